/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The certificate rollover engine of DESIGN.md "Certificate rollover": pure
 * logic, (state, config, observations, now) -> (next state, actions). It
 * never does I/O, reads no clock and allocates nothing; the daemon performs
 * the actions, feeds back what it saw, and stores the state (rollover_to_text)
 * in one transaction per step.
 */
#ifndef XDANE_CERTS_ROLLOVER_H
#define XDANE_CERTS_ROLLOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Record types (usage, selector, matching type) a key is published in. Every
 * key of a rollover uses all of them (RFC 7671 §9: a new key only in the
 * stronger type of two would be ignored by peers). Four cover 3 1 1 + 3 1 2
 * + 3 0 1 + 3 0 2.
 */
#define ROLLOVER_SHAPE_MAX 4
/* SHA-512; matching type 0 (whole certificate or key) is not supported. */
#define ROLLOVER_DATA_MAX   64
#define ROLLOVER_DIGEST_LEN 32
/* Error text kept in the state and in actions (a command's reason). */
#define ROLLOVER_MSG_MAX 200
/* The serialized state; the largest (four keys of four SHA-512 records) is ~3.5 KiB. */
#define ROLLOVER_TEXT_MAX 8192

enum rollover_phase {
	ROLLOVER_IDLE,
	ROLLOVER_STAGED,
	ROLLOVER_PUBLISHED,
	ROLLOVER_PROPAGATED,
	ROLLOVER_DEPLOYED,
	ROLLOVER_VERIFIED,
	ROLLOVER_RETIRED,
	ROLLOVER_PHASE_COUNT
};

enum rollover_mode {
	ROLLOVER_MODE_REACTIVE,
	ROLLOVER_MODE_CURRENT_NEXT,
};

/*
 * The keys the engine knows. LINGER holds a key withdrawn by an abort that an
 * endpoint may still present: it stays published until no endpoint does.
 */
enum rollover_slot {
	ROLLOVER_SLOT_CUR,
	ROLLOVER_SLOT_NEW,
	ROLLOVER_SLOT_NEXT,
	ROLLOVER_SLOT_LINGER,
	ROLLOVER_SLOT_COUNT
};

#define ROLLOVER_FRAGMENT_MAX (ROLLOVER_SLOT_COUNT * ROLLOVER_SHAPE_MAX)

/* The commands the engine asks for; each has its own retries. */
enum rollover_op {
	ROLLOVER_OP_PUBLISH,
	ROLLOVER_OP_DEPLOY,
	ROLLOVER_OP_GENERATE,
	ROLLOVER_OP_COUNT
};

/* What the last DNS observation said of a key on the authoritative servers. */
enum rollover_seen {
	ROLLOVER_SEEN_NO,      /* some server answered without it: the wait restarts */
	ROLLOVER_SEEN_YES,     /* every server served it: the wait runs */
	ROLLOVER_SEEN_UNKNOWN, /* was YES, then a server did not answer: the wait holds */
};

struct rollover_tlsa_type {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype; /* 1 (SHA-256) or 2 (SHA-512) */
};

/* One TLSA record's fields; len is 32 or 64 as mtype says. */
struct rollover_rec {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	uint8_t len;
	uint8_t data[ROLLOVER_DATA_MAX];
};

/*
 * A key as the engine sees it: its identity (SHA-256 of the SPKI, and of the
 * certificate where one exists) and its association data, data[i] for the
 * state's shape[i]. The caller computes the data (certs/tlsa) for the shape.
 */
struct rollover_key {
	uint8_t spki_sha256[ROLLOVER_DIGEST_LEN];
	bool has_cert;
	uint8_t cert_sha256[ROLLOVER_DIGEST_LEN];
	uint8_t data[ROLLOVER_SHAPE_MAX][ROLLOVER_DATA_MAX];
};

struct rollover_slot_state {
	bool set;
	struct rollover_key key;
	/*
	 * The publisher confirmed a fragment holding the key, and none without
	 * it was asked for since: only then can servers no longer drop it, and
	 * only then does a sighting start the wait.
	 */
	bool acked;
	bool pub_pending; /* in the fragment being published */
	enum rollover_seen seen;
	int64_t seen_since_s; /* wall time every server was first seen serving it (display) */
	int64_t seen_held_s;  /* credited seconds every server has served it */
};

struct rollover_op_state {
	uint32_t seq; /* of the last command issued; results name it */
	bool inflight;
	uint32_t attempts;    /* consecutive failures */
	int64_t retry_left_s; /* credited seconds before the next attempt */
	bool failed;	      /* attempts reached the limit: ROLLOVER_FAILED */
	uint64_t hash;	      /* publish: the fragment in flight */
	char error[ROLLOVER_MSG_MAX];
};

/*
 * Everything the engine remembers. Times: *_s ending in "since" or "entered"
 * are wall-clock and for display only; the engine measures every wait in
 * credited seconds: the clock's advance past the latest reading, counted
 * only up to max_step_s per step. A clock that goes back credits nothing
 * until it is past its old reading again (or, after a jump back of more than
 * max_step_s, starts afresh); a leap forward credits nothing.
 */
struct rollover_state {
	enum rollover_phase phase;
	enum rollover_mode mode;
	size_t n_shape;
	struct rollover_tlsa_type shape[ROLLOVER_SHAPE_MAX];
	struct rollover_slot_state slots[ROLLOVER_SLOT_COUNT];
	bool new_from_next; /* the new key was the pre-published next key */
	bool withdraw_old;  /* verified: the fragment no longer holds the current key */
	int64_t entered_s;  /* wall time the phase was entered */
	int64_t held_s;	    /* credited seconds in the phase */
	bool has_last;
	int64_t last_now_s; /* the latest clock reading (a high-water mark) */
	/* The largest TLSA or negative TTL resolvers may still hold; -1 unknown. */
	int64_t ttl_max_s;
	int64_t ttl_lower_s; /* a lower TTL seen since, -1 none */
	int64_t ttl_lower_held_s;
	/* The fragment the publisher last confirmed; unknown while another is in flight. */
	bool acked_known;
	uint64_t acked_hash;
	struct rollover_op_state ops[ROLLOVER_OP_COUNT];
	/* Credited seconds the servers have contradicted the confirmed fragment. */
	int64_t drift_s;
	/* Credited seconds every endpoint was seen without the lingering key; -1 not yet. */
	int64_t linger_clear_s;
	bool stalled; /* ROLLOVER_STALLED raised */
	bool failed;  /* ROLLOVER_FAILED raised */
};

struct rollover_config {
	int64_t ttl_s;		 /* TTL of the records xdane writes */
	int64_t safety_margin_s; /* added to the TTL wait */
	int64_t min_wait_s;	 /* floor of the whole wait */
	/*
	 * The most a single step may advance the wait. A larger advance is a
	 * clock jump (or a daemon that was down) and counts for nothing; a jump
	 * below it cannot be told from time passing, so keep it near twice the
	 * step interval and the margin above it.
	 */
	int64_t max_step_s;
	/*
	 * The longest a deploy command runs (its timeout): a key aborted after a
	 * deploy stays published until every endpoint has been seen without it
	 * for this long, since a command the daemon lost track of may still act.
	 */
	int64_t deploy_timeout_s;
	/*
	 * Publish again when the servers still contradict the confirmed fragment
	 * after this long (longer than secondaries take to follow): someone
	 * edited the zone, or a publisher of a crashed daemon finished late.
	 */
	int64_t republish_s;
	/*
	 * Failures of one command before ROLLOVER_FAILED. It is still retried,
	 * every backoff_max_s, and a success clears the finding.
	 */
	uint32_t retry_limit;
	int64_t backoff_base_s;
	int64_t backoff_max_s;
	/* ROLLOVER_STALLED after this long in a phase (0: never); published: beyond the wait. */
	int64_t stall_s[ROLLOVER_PHASE_COUNT];
	/*
	 * The owners the fragment is written at, hashed by the caller (0: none).
	 * Part of the fragment's identity: when it changes, the confirmed
	 * fragment is out of date and the records are published again.
	 */
	uint64_t owners_hash;
};

/* A command's outcome; seq is the one of the action it answers. */
struct rollover_result {
	uint32_t seq;
	bool ok;
	const char *error; /* may be NULL */
};

/*
 * What one authoritative server (one address) answered at the TLSA owners:
 * the records served at every owner (the daemon intersects the owners).
 */
struct rollover_server_obs {
	bool answered;
	size_t n_recs;
	const struct rollover_rec *recs;
};

struct rollover_endpoint_obs {
	bool answered;
	uint8_t spki_sha256[ROLLOVER_DIGEST_LEN];
	uint8_t cert_sha256[ROLLOVER_DIGEST_LEN];
	bool dane_ok; /* the presented chain matched the TLSA records (OpenSSL DANE) */
};

/*
 * One step's input; every part is optional. Arrays are borrowed for the call.
 * Servers are queried directly (not through a cache), endpoints probed after
 * the last command returned: a stale sighting could let a key go early.
 */
struct rollover_obs {
	bool dns_known; /* servers were queried directly for this step */
	size_t n_servers;
	const struct rollover_server_obs *servers;
	int64_t rrset_ttl_s;	/* TTL of the TLSA RRset as served; -1 unknown or absent */
	int64_t negative_ttl_s; /* the zone's negative TTL where an owner had no TLSA; else -1 */
	bool endpoints_known;
	size_t n_endpoints;
	const struct rollover_endpoint_obs *endpoints;
	const struct rollover_result *publish;
	const struct rollover_result *deploy;
	const struct rollover_result *generate;
	const struct rollover_key *generated; /* with an ok generate result */
	const struct rollover_key *stage;     /* a new key, validated by the caller */
	bool abort;
};

enum rollover_edge {
	ROLLOVER_EDGE_NONE,
	ROLLOVER_EDGE_RAISE,
	ROLLOVER_EDGE_CLEAR,
};

/* One step's output. Perform them after the state is stored. */
struct rollover_actions {
	bool transitioned;
	enum rollover_phase from, to;
	/* publish: the whole fragment, sorted; a publisher replaces what it holds. */
	bool publish;
	uint32_t publish_seq;
	size_t n_recs;
	struct rollover_rec recs[ROLLOVER_FRAGMENT_MAX];
	bool deploy; /* deploy the new key's certificate and key */
	uint32_t deploy_seq;
	struct rollover_key deploy_key;
	bool generate; /* generate a next key (current + next mode) */
	uint32_t generate_seq;
	/* Findings: the level now and whether it changed in this step. */
	bool stalled, failed;
	enum rollover_edge stalled_edge, failed_edge;
	char message[2 * ROLLOVER_MSG_MAX]; /* why stalled or failed: room for a command's error */
	/* A stage or abort request: 0 accepted, else -errno with req_message. */
	int req_status;
	char req_message[ROLLOVER_MSG_MAX];
	int64_t wake_s; /* step again by then even without news; 0: no timer */
};

void rollover_config_init(struct rollover_config *cfg);

/*
 * A rollover in idle for the current key. The shape is the current records'
 * types; -EINVAL for duplicates or unknown fields, ERR_UNSUPPORTED for
 * matching type 0, and in current + next mode for selector 0 (a next key has
 * no certificate yet).
 */
int rollover_init(enum rollover_mode mode, const struct rollover_tlsa_type *shape, size_t n_shape,
		  const struct rollover_key *cur, int64_t now, struct rollover_state *ret);

/* One step. Fails only for a state that is not one rollover_init made (-EINVAL). */
int rollover_step(struct rollover_state *st, const struct rollover_config *cfg,
		  const struct rollover_obs *obs, int64_t now, struct rollover_actions *ret);

/*
 * After a restart: commands of the previous process are forgotten, so the
 * next step issues them again (publishers and the deploy command are
 * idempotent by contract).
 */
void rollover_resume(struct rollover_state *st);

/* The wait a new record must be seen on every server before it counts as propagated. */
int64_t rollover_wait_s(const struct rollover_state *st, const struct rollover_config *cfg);

/* The records the zone should hold now, sorted and without duplicates. */
size_t rollover_fragment(const struct rollover_state *st, struct rollover_rec *ret);

const char *rollover_phase_name(enum rollover_phase phase);

/*
 * The state as lines of text (< ROLLOVER_TEXT_MAX), and back. Parsing is
 * strict: ERR_PARSE for anything rollover_to_text would not write.
 */
int rollover_to_text(const struct rollover_state *st, char *buf, size_t size);
int rollover_from_text(const char *text, size_t len, struct rollover_state *ret);

/*
 * The DESIGN.md invariant, for tests with a model of the world. A server's
 * history is its TLSA RRsets with the time each was served; endpoints[i] is
 * the key endpoint i presents (NULL: not serving), in the state's shape.
 * Holds when, for every endpoint, every RRset any server served after
 * now - hold_s (a resolver may still hold it) lets a peer accept the
 * endpoint, taking RFC 7671 §9 into account. why says which does not.
 */
struct rollover_world_rrset {
	int64_t from_s;
	int64_t until_s; /* INT64_MAX while served */
	size_t n_recs;
	const struct rollover_rec *recs;
};

struct rollover_world_server {
	size_t n_rrsets;
	const struct rollover_world_rrset *rrsets;
};

bool rollover_invariant_holds(const struct rollover_state *st, size_t n_servers,
			      const struct rollover_world_server *servers, size_t n_endpoints,
			      const struct rollover_key *const *endpoints, int64_t now,
			      int64_t hold_s, char *why, size_t why_size);

#endif
