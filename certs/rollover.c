/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rollover engine (DESIGN.md "Certificate rollover", RFC 6698 App. A.4,
 * RFC 7671 §8): which TLSA records the zone must hold, when a new key may be
 * deployed and when the old one may go. Commands, DNS queries, probes and
 * storage are the daemon's; this file only decides.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/rollover.h"
#include "common/err.h"

/* A serialized line: a slot with four SHA-512 records is ~720 characters. */
#define ROLLOVER_LINE_MAX     1024
#define ROLLOVER_TEXT_VERSION 1

/* Defaults of rollover_config_init (DESIGN.md: margin 1 h, floor 0). */
#define ROLLOVER_DEFAULT_TTL_S	      3600
#define ROLLOVER_DEFAULT_MARGIN_S     3600
#define ROLLOVER_DEFAULT_MAX_STEP_S   900
#define ROLLOVER_DEFAULT_RETRY_LIMIT  5
#define ROLLOVER_DEFAULT_DEPLOY_S     600
#define ROLLOVER_DEFAULT_REPUBLISH_S  3600
#define ROLLOVER_DEFAULT_BACKOFF_S    30
#define ROLLOVER_DEFAULT_BACKOFF_MAX  3600
#define ROLLOVER_DEFAULT_STALL_S      3600
#define ROLLOVER_DEFAULT_STALL_DEPLOY (6 * 3600)

static const char *const rollover_phase_names[ROLLOVER_PHASE_COUNT] = {
	[ROLLOVER_IDLE] = "idle",	    [ROLLOVER_STAGED] = "staged",
	[ROLLOVER_PUBLISHED] = "published", [ROLLOVER_PROPAGATED] = "propagated",
	[ROLLOVER_DEPLOYED] = "deployed",   [ROLLOVER_VERIFIED] = "verified",
	[ROLLOVER_RETIRED] = "retired",
};

/* What a phase waits for, for the ROLLOVER_STALLED message. */
static const char *const rollover_phase_waits[ROLLOVER_PHASE_COUNT] = {
	[ROLLOVER_IDLE] = "nothing",
	[ROLLOVER_STAGED] = "the publisher to confirm the new TLSA",
	[ROLLOVER_PUBLISHED] = "every authoritative server to serve the new TLSA, then the wait",
	[ROLLOVER_PROPAGATED] = "the deploy command",
	[ROLLOVER_DEPLOYED] = "every endpoint to present the new key with DANE matching",
	[ROLLOVER_VERIFIED] = "every authoritative server to drop the old TLSA",
	[ROLLOVER_RETIRED] = "nothing",
};

static const char *const rollover_slot_names[ROLLOVER_SLOT_COUNT] = {
	[ROLLOVER_SLOT_CUR] = "cur",
	[ROLLOVER_SLOT_NEW] = "new",
	[ROLLOVER_SLOT_NEXT] = "next",
	[ROLLOVER_SLOT_LINGER] = "linger",
};

static const char *const rollover_op_names[ROLLOVER_OP_COUNT] = {
	[ROLLOVER_OP_PUBLISH] = "publish",
	[ROLLOVER_OP_DEPLOY] = "deploy",
	[ROLLOVER_OP_GENERATE] = "generate",
};

/* What the endpoints showed in this step. */
struct rollover_view {
	bool all_answered;   /* endpoints were probed, and every one answered */
	bool all_new;	     /* ... and every one presents the new key, DANE matching */
	bool cur_presented;  /* an endpoint presents the current key (not also the new one) */
	bool new_may;	     /* an endpoint may present the new key (or is unknown) */
	bool linger_matched; /* an endpoint presents the lingering key */
};

void rollover_config_init(struct rollover_config *cfg)
{
	int p;

	memset(cfg, 0, sizeof(*cfg));
	cfg->ttl_s = ROLLOVER_DEFAULT_TTL_S;
	cfg->safety_margin_s = ROLLOVER_DEFAULT_MARGIN_S;
	cfg->min_wait_s = 0;
	cfg->max_step_s = ROLLOVER_DEFAULT_MAX_STEP_S;
	cfg->deploy_timeout_s = ROLLOVER_DEFAULT_DEPLOY_S;
	cfg->republish_s = ROLLOVER_DEFAULT_REPUBLISH_S;
	cfg->retry_limit = ROLLOVER_DEFAULT_RETRY_LIMIT;
	cfg->backoff_base_s = ROLLOVER_DEFAULT_BACKOFF_S;
	cfg->backoff_max_s = ROLLOVER_DEFAULT_BACKOFF_MAX;
	for (p = ROLLOVER_STAGED; p < ROLLOVER_PHASE_COUNT; p++) {
		cfg->stall_s[p] = ROLLOVER_DEFAULT_STALL_S;
	}
	/* A person may run the deploy by hand, or endpoints reload slowly. */
	cfg->stall_s[ROLLOVER_DEPLOYED] = ROLLOVER_DEFAULT_STALL_DEPLOY;
}

const char *rollover_phase_name(enum rollover_phase phase)
{
	if ((int)phase < 0 || phase >= ROLLOVER_PHASE_COUNT) {
		return "unknown";
	}
	return rollover_phase_names[phase];
}

/* Keys and records */

static uint8_t rollover_data_len(unsigned mtype)
{
	return mtype == 1 ? 32 : mtype == 2 ? 64 : 0;
}

static bool rollover_shape_valid(const struct rollover_tlsa_type *shape, size_t n)
{
	size_t i, j;

	if (n == 0 || n > ROLLOVER_SHAPE_MAX) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (shape[i].usage > 3 || shape[i].selector > 1 || shape[i].mtype > 2) {
			return false;
		}
		for (j = 0; j < i; j++) {
			if (shape[i].usage == shape[j].usage &&
			    shape[i].selector == shape[j].selector &&
			    shape[i].mtype == shape[j].mtype) {
				return false;
			}
		}
	}
	return true;
}

static bool rollover_shape_has_selector0(const struct rollover_state *st)
{
	size_t i;

	for (i = 0; i < st->n_shape; i++) {
		if (st->shape[i].selector == 0) {
			return true;
		}
	}
	return false;
}

static void rollover_key_rec(const struct rollover_state *st, const struct rollover_key *k,
			     size_t i, struct rollover_rec *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->usage = st->shape[i].usage;
	ret->selector = st->shape[i].selector;
	ret->mtype = st->shape[i].mtype;
	ret->len = rollover_data_len(ret->mtype);
	memcpy(ret->data, k->data[i], ret->len);
}

static bool rollover_rec_equal(const struct rollover_rec *a, const struct rollover_rec *b)
{
	return a->usage == b->usage && a->selector == b->selector && a->mtype == b->mtype &&
	       a->len == b->len && a->len <= ROLLOVER_DATA_MAX &&
	       memcmp(a->data, b->data, a->len) == 0;
}

static int rollover_rec_cmp(const void *pa, const void *pb)
{
	const struct rollover_rec *a = pa, *b = pb;

	if (a->usage != b->usage) {
		return a->usage < b->usage ? -1 : 1;
	}
	if (a->selector != b->selector) {
		return a->selector < b->selector ? -1 : 1;
	}
	if (a->mtype != b->mtype) {
		return a->mtype < b->mtype ? -1 : 1;
	}
	return memcmp(a->data, b->data, a->len);
}

/* The association data of both keys is the same: they are one set of records. */
static bool rollover_key_same_data(const struct rollover_state *st, const struct rollover_key *a,
				   const struct rollover_key *b)
{
	size_t i;

	for (i = 0; i < st->n_shape; i++) {
		if (memcmp(a->data[i], b->data[i], rollover_data_len(st->shape[i].mtype)) != 0) {
			return false;
		}
	}
	return true;
}

static bool rollover_key_same(const struct rollover_state *st, const struct rollover_key *a,
			      const struct rollover_key *b)
{
	return rollover_key_same_data(st, a, b) &&
	       memcmp(a->spki_sha256, b->spki_sha256, ROLLOVER_DIGEST_LEN) == 0 &&
	       a->has_cert == b->has_cert &&
	       (!a->has_cert || memcmp(a->cert_sha256, b->cert_sha256, ROLLOVER_DIGEST_LEN) == 0);
}

/* The record is the key's record of shape entry i. */
static bool rollover_rec_is(const struct rollover_state *st, const struct rollover_rec *r,
			    const struct rollover_key *k, size_t i)
{
	return r->usage == st->shape[i].usage && r->selector == st->shape[i].selector &&
	       r->mtype == st->shape[i].mtype && r->len == rollover_data_len(r->mtype) &&
	       memcmp(r->data, k->data[i], r->len) == 0;
}

static bool rollover_server_has(const struct rollover_state *st,
				const struct rollover_server_obs *s, const struct rollover_key *k,
				size_t i)
{
	size_t j;

	for (j = 0; j < s->n_recs; j++) {
		if (rollover_rec_is(st, &s->recs[j], k, i)) {
			return true;
		}
	}
	return false;
}

/* Every record of the key is on the server. */
static bool rollover_server_serves(const struct rollover_state *st,
				   const struct rollover_server_obs *s,
				   const struct rollover_key *k)
{
	size_t i;

	for (i = 0; i < st->n_shape; i++) {
		if (!rollover_server_has(st, s, k, i)) {
			return false;
		}
	}
	return true;
}

/* A record of old that new does not share is on the server. */
static bool rollover_server_serves_any_of(const struct rollover_state *st,
					  const struct rollover_server_obs *s,
					  const struct rollover_key *old,
					  const struct rollover_key *keep)
{
	size_t i;

	for (i = 0; i < st->n_shape; i++) {
		uint8_t len = rollover_data_len(st->shape[i].mtype);

		if (memcmp(old->data[i], keep->data[i], len) != 0 &&
		    rollover_server_has(st, s, old, i)) {
			return true;
		}
	}
	return false;
}

/* The endpoint's chain matches one of the key's records (a record to keep). */
static bool rollover_endpoint_matches(const struct rollover_state *st,
				      const struct rollover_endpoint_obs *e,
				      const struct rollover_key *k)
{
	size_t i;

	for (i = 0; i < st->n_shape; i++) {
		if (st->shape[i].selector == 1 &&
		    memcmp(e->spki_sha256, k->spki_sha256, ROLLOVER_DIGEST_LEN) == 0) {
			return true;
		}
		if (st->shape[i].selector == 0 && k->has_cert &&
		    memcmp(e->cert_sha256, k->cert_sha256, ROLLOVER_DIGEST_LEN) == 0) {
			return true;
		}
	}
	return false;
}

/* The endpoint serves this key (and this certificate, where the key has one). */
static bool rollover_endpoint_presents(const struct rollover_endpoint_obs *e,
				       const struct rollover_key *k)
{
	return memcmp(e->spki_sha256, k->spki_sha256, ROLLOVER_DIGEST_LEN) == 0 &&
	       (!k->has_cert || memcmp(e->cert_sha256, k->cert_sha256, ROLLOVER_DIGEST_LEN) == 0);
}

/* The fragment */

static bool rollover_slot_in_fragment(const struct rollover_state *st, int slot)
{
	if (!st->slots[slot].set) {
		return false;
	}
	return slot != ROLLOVER_SLOT_CUR || !st->withdraw_old;
}

size_t rollover_fragment(const struct rollover_state *st, struct rollover_rec *ret)
{
	size_t n = 0, i, out;
	int slot;

	for (slot = 0; slot < ROLLOVER_SLOT_COUNT; slot++) {
		if (!rollover_slot_in_fragment(st, slot)) {
			continue;
		}
		for (i = 0; i < st->n_shape && n < ROLLOVER_FRAGMENT_MAX; i++) {
			rollover_key_rec(st, &st->slots[slot].key, i, &ret[n++]);
		}
	}
	if (n == 0) {
		return 0;
	}
	/* A deterministic order, so the same fragment is the same file. */
	qsort(ret, n, sizeof(ret[0]), rollover_rec_cmp);
	for (i = 1, out = 1; i < n; i++) {
		if (!rollover_rec_equal(&ret[i], &ret[out - 1])) {
			ret[out++] = ret[i];
		}
	}
	return out;
}

static uint64_t rollover_mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* Tells two fragments apart (64 bits, eight bytes a round); not a security boundary. */
/* The fragment's identity: its records and, unless 0, the caller's owners_hash. */
static uint64_t rollover_fragment_hash(const struct rollover_rec *recs, size_t n,
				       uint64_t owners_hash)
{
	uint64_t h = 14695981039346656037ULL, v;
	size_t i, j;

	if (owners_hash != 0) {
		h = rollover_mix(h, owners_hash);
	}
	for (i = 0; i < n; i++) {
		h = rollover_mix(h, (uint64_t)recs[i].usage << 24 |
					    (uint64_t)recs[i].selector << 16 |
					    (uint64_t)recs[i].mtype << 8 | recs[i].len);
		/* len is 32 or 64: whole words. */
		for (j = 0; j + 8 <= recs[i].len; j += 8) {
			memcpy(&v, recs[i].data + j, sizeof(v));
			h = rollover_mix(h, v);
		}
	}
	return h;
}

static uint64_t rollover_desired_hash(const struct rollover_state *st,
				      const struct rollover_config *cfg)
{
	struct rollover_rec recs[ROLLOVER_FRAGMENT_MAX];

	return rollover_fragment_hash(recs, rollover_fragment(st, recs), cfg->owners_hash);
}

/* Time */

/*
 * Sums and differences of times clamp instead of overflowing: a stored state
 * or the clock may hold any reading, and a held time may sit at its maximum.
 */
static int64_t rollover_add_s(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b) {
		return INT64_MAX;
	}
	if (b < 0 && a < INT64_MIN - b) {
		return INT64_MIN;
	}
	return a + b;
}

static int64_t rollover_sub_s(int64_t a, int64_t b)
{
	if (b < 0 && a > INT64_MAX + b) {
		return INT64_MAX;
	}
	if (b > 0 && a < INT64_MIN + b) {
		return INT64_MIN;
	}
	return a - b;
}

int64_t rollover_wait_s(const struct rollover_state *st, const struct rollover_config *cfg)
{
	int64_t ttl = st->ttl_max_s > cfg->ttl_s ? st->ttl_max_s : cfg->ttl_s;
	int64_t margin = cfg->safety_margin_s > 0 ? cfg->safety_margin_s : 0;
	int64_t w = (ttl > 0 ? ttl : 0) + margin;

	return w < cfg->min_wait_s ? cfg->min_wait_s : w;
}

/*
 * The seconds this step may count towards waits: the clock's advance since
 * the last step, or nothing when it went backwards or leapt (a jump, or a
 * daemon that was down: either way the time cannot be vouched for).
 */
static int64_t rollover_credit(struct rollover_state *st, const struct rollover_config *cfg,
			       int64_t now)
{
	int64_t d = 0;

	if (!st->has_last) {
		st->has_last = true;
		st->last_now_s = now;
		return 0;
	}
	if (now > st->last_now_s) {
		if (rollover_sub_s(now, st->last_now_s) <= cfg->max_step_s) {
			d = now - st->last_now_s;
		}
		st->last_now_s = now;
	} else if (rollover_sub_s(st->last_now_s, now) > cfg->max_step_s) {
		/* Far back: the old reading was wrong; waiting for it could take years. */
		st->last_now_s = now;
	}
	return d;
}

static void rollover_advance(struct rollover_state *st, int64_t d)
{
	int slot, op;

	st->held_s = rollover_add_s(st->held_s, d);
	for (slot = 0; slot < ROLLOVER_SLOT_COUNT; slot++) {
		if (st->slots[slot].set && st->slots[slot].seen == ROLLOVER_SEEN_YES) {
			st->slots[slot].seen_held_s = rollover_add_s(st->slots[slot].seen_held_s,
								     d);
		}
	}
	for (op = 0; op < ROLLOVER_OP_COUNT; op++) {
		st->ops[op].retry_left_s -= d;
		if (st->ops[op].retry_left_s < 0) {
			st->ops[op].retry_left_s = 0;
		}
	}
	if (st->ttl_lower_s >= 0) {
		st->ttl_lower_held_s = rollover_add_s(st->ttl_lower_held_s, d);
	}
}

static int64_t rollover_backoff(const struct rollover_config *cfg, uint32_t attempts)
{
	int64_t b = cfg->backoff_base_s > 0 ? cfg->backoff_base_s : 1;
	uint32_t i;

	for (i = 1; i < attempts && b < cfg->backoff_max_s; i++) {
		b *= 2;
	}
	return b > cfg->backoff_max_s ? cfg->backoff_max_s : b;
}

/* Observations */

static void rollover_copy_msg(char *dst, const char *src)
{
	size_t i;

	if (src == NULL) {
		src = "no reason given";
	}
	/* Kept on one line: the state is stored as lines of text. */
	for (i = 0; src[i] != '\0' && i + 1 < ROLLOVER_MSG_MAX; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	dst[i] = '\0';
}

/* A result for the command in flight; returns whether it succeeded. */
static bool rollover_absorb(struct rollover_state *st, const struct rollover_config *cfg,
			    enum rollover_op op, const struct rollover_result *res,
			    bool forced_fail, const char *forced_msg)
{
	struct rollover_op_state *o = &st->ops[op];

	if (res == NULL || !o->inflight || res->seq != o->seq) {
		return false; /* nothing asked, or an answer to an older command */
	}
	o->inflight = false;
	if (res->ok && !forced_fail) {
		o->attempts = 0;
		o->retry_left_s = 0;
		o->failed = false;
		o->error[0] = '\0';
		return true;
	}
	o->attempts++;
	o->retry_left_s = rollover_backoff(cfg, o->attempts);
	if (cfg->retry_limit == 0 || o->attempts >= cfg->retry_limit) {
		o->failed = true;
	}
	rollover_copy_msg(o->error, forced_fail ? forced_msg : res->error);
	return false;
}

static void rollover_op_reset(struct rollover_state *st, enum rollover_op op)
{
	struct rollover_op_state *o = &st->ops[op];

	o->inflight = false;
	o->attempts = 0;
	o->retry_left_s = 0;
	o->failed = false;
	o->error[0] = '\0';
}

static void rollover_ttl_observe(struct rollover_state *st, int64_t ttl)
{
	if (ttl < 0) {
		return;
	}
	if (ttl >= st->ttl_max_s) {
		st->ttl_max_s = ttl;
		st->ttl_lower_s = -1;
		st->ttl_lower_held_s = 0;
		return;
	}
	if (ttl > st->ttl_lower_s) {
		st->ttl_lower_s = ttl;
	}
}

/*
 * The TTL bound drops only once the lower TTL has been served for as long as
 * the old one: by then no resolver holds an answer with the old TTL.
 */
static void rollover_ttl_decay(struct rollover_state *st)
{
	if (st->ttl_lower_s >= 0 && st->ttl_lower_held_s >= st->ttl_max_s) {
		st->ttl_max_s = st->ttl_lower_s;
		st->ttl_lower_s = -1;
		st->ttl_lower_held_s = 0;
	}
}

/*
 * Servers only move forward (they load what the primary has), and once the
 * publisher confirmed a fragment with the key, and none without it was sent
 * since, whatever they load holds it: a server that does not answer still
 * serves it, so the wait holds rather than restarts. A server that answers
 * without the key restarts it.
 */
static void rollover_seen_update(struct rollover_state *st, const struct rollover_obs *obs,
				 int64_t now)
{
	int slot;
	size_t i;

	for (slot = 0; slot < ROLLOVER_SLOT_COUNT; slot++) {
		struct rollover_slot_state *s = &st->slots[slot];
		bool lacks = false, all = obs->n_servers > 0;

		if (!s->set) {
			continue;
		}
		for (i = 0; i < obs->n_servers; i++) {
			if (!obs->servers[i].answered) {
				all = false;
			} else if (!rollover_server_serves(st, &obs->servers[i], &s->key)) {
				lacks = true;
			}
		}
		if (lacks || !s->acked) {
			s->seen = ROLLOVER_SEEN_NO;
			s->seen_since_s = 0;
			s->seen_held_s = 0;
		} else if (all) {
			if (s->seen == ROLLOVER_SEEN_NO) {
				s->seen_since_s = now;
				s->seen_held_s = 0;
			}
			s->seen = ROLLOVER_SEEN_YES;
		} else if (s->seen == ROLLOVER_SEEN_YES) {
			s->seen = ROLLOVER_SEEN_UNKNOWN;
		}
	}
}

/*
 * An answering server lacks a key the confirmed fragment holds, or serves
 * one it left out.
 */
static bool rollover_drifted(const struct rollover_state *st, const struct rollover_obs *obs)
{
	const struct rollover_slot_state *cur = &st->slots[ROLLOVER_SLOT_CUR];
	int slot;
	size_t i;

	for (i = 0; i < obs->n_servers; i++) {
		const struct rollover_server_obs *s = &obs->servers[i];

		if (!s->answered) {
			continue;
		}
		for (slot = 0; slot < ROLLOVER_SLOT_COUNT; slot++) {
			if (st->slots[slot].set && rollover_slot_in_fragment(st, slot) &&
			    !rollover_server_serves(st, s, &st->slots[slot].key)) {
				return true;
			}
		}
		if (st->withdraw_old && st->slots[ROLLOVER_SLOT_NEW].set &&
		    rollover_server_serves_any_of(st, s, &cur->key,
						  &st->slots[ROLLOVER_SLOT_NEW].key)) {
			return true;
		}
	}
	return false;
}

static void rollover_drift(struct rollover_state *st, const struct rollover_config *cfg,
			   const struct rollover_obs *obs, int64_t d)
{
	if (!st->acked_known || st->ops[ROLLOVER_OP_PUBLISH].inflight) {
		st->drift_s = 0;
		return;
	}
	if (!obs->dns_known) {
		return;
	}
	if (!rollover_drifted(st, obs)) {
		st->drift_s = 0;
		return;
	}
	st->drift_s = rollover_add_s(st->drift_s, d);
	if (st->drift_s >= cfg->republish_s) {
		st->acked_known = false;
		st->drift_s = 0;
	}
}

static struct rollover_view rollover_view_get(const struct rollover_state *st,
					      const struct rollover_obs *obs)
{
	const struct rollover_slot_state *cur = &st->slots[ROLLOVER_SLOT_CUR];
	const struct rollover_slot_state *nw = &st->slots[ROLLOVER_SLOT_NEW];
	const struct rollover_slot_state *linger = &st->slots[ROLLOVER_SLOT_LINGER];
	struct rollover_view v = {0};
	bool cur_is_new = nw->set && rollover_key_same_data(st, &cur->key, &nw->key);
	size_t i;

	v.all_answered = obs->endpoints_known && obs->n_endpoints > 0;
	v.all_new = v.all_answered && nw->set;
	v.new_may = !v.all_answered;
	for (i = 0; obs->endpoints_known && i < obs->n_endpoints; i++) {
		const struct rollover_endpoint_obs *e = &obs->endpoints[i];

		if (!e->answered) {
			v.all_answered = false;
			v.all_new = false;
			v.new_may = true;
			continue;
		}
		if (nw->set) {
			if (!rollover_endpoint_presents(e, &nw->key) || !e->dane_ok) {
				v.all_new = false;
			}
			if (rollover_endpoint_matches(st, e, &nw->key)) {
				v.new_may = true;
			}
		}
		if (!cur_is_new && rollover_endpoint_matches(st, e, &cur->key)) {
			v.cur_presented = true;
		}
		if (linger->set && rollover_endpoint_matches(st, e, &linger->key)) {
			v.linger_matched = true;
		}
	}
	return v;
}

/* Transitions */

static void rollover_enter(struct rollover_state *st, enum rollover_phase phase, int64_t now,
			   struct rollover_actions *ret)
{
	st->phase = phase;
	st->entered_s = now;
	st->held_s = 0;
	ret->transitioned = true;
	ret->to = phase;
}

static void rollover_req(struct rollover_actions *ret, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void rollover_req(struct rollover_actions *ret, int status, const char *fmt, ...)
{
	va_list ap;

	ret->req_status = status;
	va_start(ap, fmt);
	vsnprintf(ret->req_message, sizeof(ret->req_message), fmt, ap);
	va_end(ap);
}

static void rollover_abort(struct rollover_state *st, const struct rollover_view *v, int64_t now,
			   struct rollover_actions *ret)
{
	struct rollover_slot_state *nw = &st->slots[ROLLOVER_SLOT_NEW];
	/* In propagated a deploy may have run, or still run: keep it until seen unused. */
	bool keep = (v->new_may || st->phase == ROLLOVER_PROPAGATED) &&
		    !rollover_key_same_data(st, &nw->key, &st->slots[ROLLOVER_SLOT_CUR].key);

	if (st->phase == ROLLOVER_IDLE) {
		rollover_req(ret, -ENOENT, "no rollover in progress");
		return;
	}
	if (st->phase >= ROLLOVER_DEPLOYED) {
		rollover_req(ret, -EBUSY,
			     "the new certificate is deployed (state %s): too late to abort",
			     rollover_phase_name(st->phase));
		return;
	}
	if (st->ops[ROLLOVER_OP_DEPLOY].inflight) {
		rollover_req(ret, -EBUSY, "the deploy command is running; abort after it returns");
		return;
	}
	if (st->new_from_next) {
		/* It goes back to being the next key, still published. */
		st->slots[ROLLOVER_SLOT_NEXT] = *nw;
	} else if (keep) {
		if (st->slots[ROLLOVER_SLOT_LINGER].set) {
			rollover_req(ret, -EBUSY,
				     "an endpoint may present the new key and a key of an earlier "
				     "abort is still kept published");
			return;
		}
		/* An endpoint may present it (a deploy that failed half-way): keep it. */
		st->slots[ROLLOVER_SLOT_LINGER] = *nw;
		st->linger_clear_s = -1;
	}
	memset(nw, 0, sizeof(*nw));
	st->new_from_next = false;
	st->withdraw_old = false;
	rollover_op_reset(st, ROLLOVER_OP_DEPLOY);
	rollover_enter(st, ROLLOVER_IDLE, now, ret);
	rollover_req(ret, 0, "aborted; %s",
		     keep ? "the new TLSA stays while an endpoint presents it"
			  : "withdrawing the new TLSA");
}

static void rollover_stage(struct rollover_state *st, const struct rollover_key *k, int64_t now,
			   struct rollover_actions *ret)
{
	struct rollover_slot_state *nw = &st->slots[ROLLOVER_SLOT_NEW];
	struct rollover_slot_state *cur = &st->slots[ROLLOVER_SLOT_CUR];
	int from = -1, slot;

	if (st->phase != ROLLOVER_IDLE) {
		if (nw->set && rollover_key_same(st, &nw->key, k)) {
			rollover_req(ret, 0, "already staged (state %s)",
				     rollover_phase_name(st->phase));
		} else {
			rollover_req(ret, -EBUSY, "a rollover is in progress (state %s)",
				     rollover_phase_name(st->phase));
		}
		return;
	}
	if (rollover_shape_has_selector0(st) && !k->has_cert) {
		rollover_req(ret, -EINVAL, "the TLSA records pin the certificate, none was given");
		return;
	}
	if (rollover_key_same(st, &cur->key, k)) {
		rollover_req(ret, -EALREADY, "this is the current certificate");
		return;
	}
	/* A key whose records are already out keeps the time they have been out. */
	for (slot = 0; slot < ROLLOVER_SLOT_COUNT && from < 0; slot++) {
		if (slot != ROLLOVER_SLOT_NEW && st->slots[slot].set &&
		    rollover_key_same_data(st, &st->slots[slot].key, k)) {
			from = slot;
		}
	}
	memset(nw, 0, sizeof(*nw));
	if (from >= 0) {
		*nw = st->slots[from];
		if (from != ROLLOVER_SLOT_CUR) {
			memset(&st->slots[from], 0, sizeof(st->slots[from]));
		}
	}
	nw->set = true;
	nw->key = *k;
	st->new_from_next = from == ROLLOVER_SLOT_NEXT;
	st->withdraw_old = false;
	rollover_op_reset(st, ROLLOVER_OP_DEPLOY);
	rollover_enter(st, ROLLOVER_STAGED, now, ret);
	rollover_req(ret, 0, "staged%s",
		     from == ROLLOVER_SLOT_NEXT	 ? " (the pre-published next key)"
		     : from == ROLLOVER_SLOT_CUR ? " (same key as the current one)"
						 : "");
}

/* Every server answered, serves the new (and next) key and none of the old one's records. */
static bool rollover_retire_seen(const struct rollover_state *st, const struct rollover_obs *obs)
{
	const struct rollover_slot_state *next = &st->slots[ROLLOVER_SLOT_NEXT];
	size_t i;

	if (!obs->dns_known || obs->n_servers == 0) {
		return false;
	}
	if (st->mode == ROLLOVER_MODE_CURRENT_NEXT && !next->set) {
		return false;
	}
	for (i = 0; i < obs->n_servers; i++) {
		const struct rollover_server_obs *s = &obs->servers[i];

		if (!s->answered ||
		    !rollover_server_serves(st, s, &st->slots[ROLLOVER_SLOT_NEW].key) ||
		    (next->set && !rollover_server_serves(st, s, &next->key)) ||
		    rollover_server_serves_any_of(st, s, &st->slots[ROLLOVER_SLOT_CUR].key,
						  &st->slots[ROLLOVER_SLOT_NEW].key)) {
			return false;
		}
	}
	return true;
}

static bool rollover_new_propagated(const struct rollover_state *st, int64_t wait)
{
	const struct rollover_slot_state *nw = &st->slots[ROLLOVER_SLOT_NEW];

	return nw->set && nw->seen != ROLLOVER_SEEN_NO && nw->seen_held_s >= wait;
}

static bool rollover_acked_current(const struct rollover_state *st,
				   const struct rollover_config *cfg)
{
	return st->acked_known && st->acked_hash == rollover_desired_hash(st, cfg);
}

/* The rule of the phase, for a step that no request moved. */
static void rollover_rule(struct rollover_state *st, const struct rollover_config *cfg,
			  const struct rollover_obs *obs, const struct rollover_view *v,
			  bool deploy_ok, int64_t now, struct rollover_actions *ret)
{
	int64_t wait = rollover_wait_s(st, cfg);

	switch (st->phase) {
	case ROLLOVER_IDLE:
		break;
	case ROLLOVER_STAGED:
		if (rollover_new_propagated(st, wait)) {
			rollover_enter(st, ROLLOVER_PROPAGATED, now, ret);
		} else if (rollover_acked_current(st, cfg)) {
			rollover_enter(st, ROLLOVER_PUBLISHED, now, ret);
		}
		break;
	case ROLLOVER_PUBLISHED:
		if (rollover_new_propagated(st, wait)) {
			rollover_enter(st, ROLLOVER_PROPAGATED, now, ret);
		}
		break;
	case ROLLOVER_PROPAGATED:
		if (deploy_ok) {
			rollover_enter(st, ROLLOVER_DEPLOYED, now, ret);
		}
		break;
	case ROLLOVER_DEPLOYED:
		if (v->all_new) {
			rollover_enter(st, ROLLOVER_VERIFIED, now, ret);
		}
		break;
	case ROLLOVER_VERIFIED:
		if (st->withdraw_old && rollover_acked_current(st, cfg) &&
		    rollover_retire_seen(st, obs)) {
			rollover_enter(st, ROLLOVER_RETIRED, now, ret);
		}
		break;
	case ROLLOVER_RETIRED: {
		struct rollover_slot_state old = st->slots[ROLLOVER_SLOT_CUR];

		st->slots[ROLLOVER_SLOT_CUR] = st->slots[ROLLOVER_SLOT_NEW];
		memset(&st->slots[ROLLOVER_SLOT_NEW], 0, sizeof(st->slots[0]));
		/* Someone put the old certificate back since: keep its records. */
		if (v->cur_presented && !st->slots[ROLLOVER_SLOT_LINGER].set) {
			st->slots[ROLLOVER_SLOT_LINGER] = old;
			st->linger_clear_s = -1;
		}
		st->new_from_next = false;
		st->withdraw_old = false;
		rollover_op_reset(st, ROLLOVER_OP_DEPLOY);
		rollover_enter(st, ROLLOVER_IDLE, now, ret);
		break;
	}
	case ROLLOVER_PHASE_COUNT:
		break;
	}
}

/*
 * In verified the old records go once every endpoint answers without them,
 * and come back if an endpoint is seen presenting the old key again.
 */
static void rollover_withdraw_decide(struct rollover_state *st, const struct rollover_view *v)
{
	if (st->phase != ROLLOVER_VERIFIED) {
		return;
	}
	if (st->withdraw_old && v->cur_presented) {
		st->withdraw_old = false;
	} else if (!st->withdraw_old && v->all_answered && !v->cur_presented) {
		st->withdraw_old = true;
	}
}

/*
 * A lingering key goes once every endpoint has been seen without it for a
 * deploy timeout; an endpoint seen with it (or not answering) starts over.
 */
static void rollover_linger(struct rollover_state *st, const struct rollover_config *cfg,
			    const struct rollover_obs *obs, const struct rollover_view *v,
			    int64_t d)
{
	if (!st->slots[ROLLOVER_SLOT_LINGER].set) {
		st->linger_clear_s = -1;
		return;
	}
	if (!obs->endpoints_known) {
		return;
	}
	if (!v->all_answered || v->linger_matched) {
		st->linger_clear_s = -1;
	} else if (st->linger_clear_s < 0) {
		st->linger_clear_s = 0;
	} else {
		st->linger_clear_s = rollover_add_s(st->linger_clear_s, d);
	}
	if (st->linger_clear_s >= cfg->deploy_timeout_s) {
		memset(&st->slots[ROLLOVER_SLOT_LINGER], 0, sizeof(st->slots[0]));
		st->linger_clear_s = -1;
	}
}

/* Commands */

static bool rollover_op_ready(const struct rollover_state *st, enum rollover_op op)
{
	return !st->ops[op].inflight && st->ops[op].retry_left_s == 0;
}

static void rollover_issue(struct rollover_state *st, const struct rollover_config *cfg,
			   struct rollover_actions *ret)
{
	struct rollover_op_state *o;
	uint64_t h;

	int slot;

	/*
	 * A key out of the fragment may leave the servers: whatever was seen of
	 * it no longer counts, nor does the last confirmation.
	 */
	for (slot = 0; slot < ROLLOVER_SLOT_COUNT; slot++) {
		struct rollover_slot_state *s = &st->slots[slot];

		if (s->set && !rollover_slot_in_fragment(st, slot)) {
			s->acked = false;
			s->pub_pending = false;
			s->seen = ROLLOVER_SEEN_NO;
			s->seen_since_s = 0;
			s->seen_held_s = 0;
		}
	}
	ret->n_recs = rollover_fragment(st, ret->recs);
	h = rollover_fragment_hash(ret->recs, ret->n_recs, cfg->owners_hash);
	o = &st->ops[ROLLOVER_OP_PUBLISH];
	if ((!st->acked_known || st->acked_hash != h) &&
	    rollover_op_ready(st, ROLLOVER_OP_PUBLISH)) {
		o->seq++;
		o->inflight = true;
		o->hash = h;
		st->acked_known = false;
		for (slot = 0; slot < ROLLOVER_SLOT_COUNT; slot++) {
			st->slots[slot].pub_pending = rollover_slot_in_fragment(st, slot);
		}
		ret->publish = true;
		ret->publish_seq = o->seq;
	}
	o = &st->ops[ROLLOVER_OP_DEPLOY];
	if (st->phase == ROLLOVER_PROPAGATED && rollover_op_ready(st, ROLLOVER_OP_DEPLOY) &&
	    rollover_new_propagated(st, rollover_wait_s(st, cfg))) {
		o->seq++;
		o->inflight = true;
		ret->deploy = true;
		ret->deploy_seq = o->seq;
		ret->deploy_key = st->slots[ROLLOVER_SLOT_NEW].key;
	}
	o = &st->ops[ROLLOVER_OP_GENERATE];
	if (st->mode == ROLLOVER_MODE_CURRENT_NEXT && !st->slots[ROLLOVER_SLOT_NEXT].set &&
	    rollover_op_ready(st, ROLLOVER_OP_GENERATE)) {
		o->seq++;
		o->inflight = true;
		ret->generate = true;
		ret->generate_seq = o->seq;
	}
}

static int64_t rollover_stall_limit(const struct rollover_state *st,
				    const struct rollover_config *cfg)
{
	int64_t limit = cfg->stall_s[st->phase];

	if (limit > 0 && st->phase == ROLLOVER_PUBLISHED) {
		limit += rollover_wait_s(st, cfg);
	}
	return limit;
}

static void rollover_findings(struct rollover_state *st, const struct rollover_config *cfg,
			      struct rollover_actions *ret)
{
	int64_t limit = rollover_stall_limit(st, cfg);
	bool stalled = limit > 0 && st->held_s > limit;
	int failed_op = -1, op;

	for (op = 0; op < ROLLOVER_OP_COUNT && failed_op < 0; op++) {
		if (st->ops[op].failed) {
			failed_op = op;
		}
	}
	if (failed_op >= 0) {
		snprintf(ret->message, sizeof(ret->message), "%s failed %" PRIu32 " times: %s",
			 rollover_op_names[failed_op], st->ops[failed_op].attempts,
			 st->ops[failed_op].error);
	} else if (stalled) {
		snprintf(ret->message, sizeof(ret->message),
			 "%s for %" PRId64 " s (limit %" PRId64 " s), waiting for %s",
			 rollover_phase_name(st->phase), st->held_s, limit,
			 rollover_phase_waits[st->phase]);
	}
	ret->stalled_edge = stalled == st->stalled ? ROLLOVER_EDGE_NONE
			    : stalled		   ? ROLLOVER_EDGE_RAISE
						   : ROLLOVER_EDGE_CLEAR;
	ret->failed_edge = (failed_op >= 0) == st->failed ? ROLLOVER_EDGE_NONE
			   : failed_op >= 0		  ? ROLLOVER_EDGE_RAISE
							  : ROLLOVER_EDGE_CLEAR;
	st->stalled = ret->stalled = stalled;
	st->failed = ret->failed = failed_op >= 0;
}

static void rollover_wake_at(int64_t *wake, int64_t t)
{
	if (*wake == 0 || t < *wake) {
		*wake = t;
	}
}

static int64_t rollover_wake(const struct rollover_state *st, const struct rollover_config *cfg,
			     int64_t now)
{
	const struct rollover_slot_state *nw = &st->slots[ROLLOVER_SLOT_NEW];
	int64_t wake = 0, wait = rollover_wait_s(st, cfg), limit = rollover_stall_limit(st, cfg);
	int op;

	for (op = 0; op < ROLLOVER_OP_COUNT; op++) {
		if (!st->ops[op].inflight && st->ops[op].retry_left_s > 0) {
			rollover_wake_at(&wake, rollover_add_s(now, st->ops[op].retry_left_s));
		}
	}
	if (st->phase >= ROLLOVER_STAGED && st->phase <= ROLLOVER_PROPAGATED && nw->set &&
	    nw->seen == ROLLOVER_SEEN_YES && nw->seen_held_s < wait) {
		rollover_wake_at(&wake, rollover_add_s(now, wait - nw->seen_held_s));
	}
	if (limit > 0 && !st->stalled) {
		rollover_wake_at(&wake, rollover_add_s(now, limit - st->held_s + 1));
	}
	return wake;
}

static bool rollover_state_valid(const struct rollover_state *st)
{
	int slot;

	if ((int)st->phase < 0 || st->phase >= ROLLOVER_PHASE_COUNT ||
	    (st->mode != ROLLOVER_MODE_REACTIVE && st->mode != ROLLOVER_MODE_CURRENT_NEXT) ||
	    !rollover_shape_valid(st->shape, st->n_shape) || !st->slots[ROLLOVER_SLOT_CUR].set) {
		return false;
	}
	for (slot = 0; slot < ROLLOVER_SLOT_COUNT; slot++) {
		if ((int)st->slots[slot].seen < 0 || st->slots[slot].seen > ROLLOVER_SEEN_UNKNOWN) {
			return false;
		}
	}
	return (st->phase == ROLLOVER_IDLE) != st->slots[ROLLOVER_SLOT_NEW].set;
}

int rollover_init(enum rollover_mode mode, const struct rollover_tlsa_type *shape, size_t n_shape,
		  const struct rollover_key *cur, int64_t now, struct rollover_state *ret)
{
	struct rollover_state st;
	size_t i;

	if ((mode != ROLLOVER_MODE_REACTIVE && mode != ROLLOVER_MODE_CURRENT_NEXT) ||
	    !rollover_shape_valid(shape, n_shape) || cur == NULL) {
		return -EINVAL;
	}
	memset(&st, 0, sizeof(st));
	st.mode = mode;
	st.n_shape = n_shape;
	memcpy(st.shape, shape, n_shape * sizeof(shape[0]));
	for (i = 0; i < n_shape; i++) {
		/* A whole certificate is KiB: the state stays small (digests only). */
		if (shape[i].mtype == 0) {
			return ERR_UNSUPPORTED;
		}
		/* A generated next key has no certificate to pin. */
		if (shape[i].selector == 0 && mode == ROLLOVER_MODE_CURRENT_NEXT) {
			return ERR_UNSUPPORTED;
		}
	}
	if (rollover_shape_has_selector0(&st) && !cur->has_cert) {
		return -EINVAL;
	}
	st.phase = ROLLOVER_IDLE;
	st.slots[ROLLOVER_SLOT_CUR].set = true;
	st.slots[ROLLOVER_SLOT_CUR].key = *cur;
	st.entered_s = now;
	st.has_last = true;
	st.last_now_s = now;
	st.ttl_max_s = -1;
	st.ttl_lower_s = -1;
	st.linger_clear_s = -1;
	*ret = st;
	return 0;
}

void rollover_resume(struct rollover_state *st)
{
	int op;

	for (op = 0; op < ROLLOVER_OP_COUNT; op++) {
		st->ops[op].inflight = false;
	}
}

int rollover_step(struct rollover_state *st, const struct rollover_config *cfg,
		  const struct rollover_obs *obs, int64_t now, struct rollover_actions *ret)
{
	static const struct rollover_obs nothing;
	struct rollover_view v;
	bool deploy_ok, gen_ok, gen_bad;
	int64_t d;

	if (!rollover_state_valid(st)) {
		return -EINVAL;
	}
	if (obs == NULL) {
		obs = &nothing;
	}
	memset(ret, 0, sizeof(*ret));
	ret->from = ret->to = st->phase;

	d = rollover_credit(st, cfg, now);
	rollover_advance(st, d);

	if (obs->publish != NULL && st->ops[ROLLOVER_OP_PUBLISH].inflight &&
	    obs->publish->seq == st->ops[ROLLOVER_OP_PUBLISH].seq) {
		bool ok = rollover_absorb(st, cfg, ROLLOVER_OP_PUBLISH, obs->publish, false, NULL);
		int slot;

		/* A failed publish may still have changed the zone: the fragment stays unknown. */
		st->acked_known = ok;
		st->acked_hash = ok ? st->ops[ROLLOVER_OP_PUBLISH].hash : 0;
		for (slot = 0; slot < ROLLOVER_SLOT_COUNT; slot++) {
			if (ok && st->slots[slot].pub_pending) {
				st->slots[slot].acked = true;
			}
			st->slots[slot].pub_pending = false;
		}
	}
	deploy_ok = rollover_absorb(st, cfg, ROLLOVER_OP_DEPLOY, obs->deploy, false, NULL) &&
		    st->phase == ROLLOVER_PROPAGATED;
	gen_bad = obs->generated == NULL;
	gen_ok = rollover_absorb(st, cfg, ROLLOVER_OP_GENERATE, obs->generate, gen_bad,
				 "the generated key was not handed over");
	if (gen_ok && st->mode == ROLLOVER_MODE_CURRENT_NEXT &&
	    !st->slots[ROLLOVER_SLOT_NEXT].set) {
		struct rollover_slot_state *next = &st->slots[ROLLOVER_SLOT_NEXT];

		memset(next, 0, sizeof(*next));
		next->set = true;
		next->key = *obs->generated;
		next->key.has_cert = false;
	}

	if (obs->dns_known) {
		rollover_ttl_observe(st, obs->rrset_ttl_s);
		rollover_ttl_observe(st, obs->negative_ttl_s);
		rollover_seen_update(st, obs, now);
	}
	rollover_ttl_decay(st);
	v = rollover_view_get(st, obs);

	if (obs->abort && deploy_ok) {
		rollover_req(ret, -EBUSY,
			     "the deploy command has just succeeded: too late to abort");
	} else if (obs->abort) {
		rollover_abort(st, &v, now, ret);
	} else if (obs->stage != NULL) {
		rollover_stage(st, obs->stage, now, ret);
	}
	if (!ret->transitioned) {
		rollover_rule(st, cfg, obs, &v, deploy_ok, now, ret);
	}
	/* The slots may have moved: what the endpoints show is judged again. */
	v = rollover_view_get(st, obs);
	rollover_withdraw_decide(st, &v);
	rollover_linger(st, cfg, obs, &v, d);
	rollover_drift(st, cfg, obs, d);

	rollover_issue(st, cfg, ret);
	rollover_findings(st, cfg, ret);
	ret->wake_s = rollover_wake(st, cfg, now);
	return 0;
}

/* Text form */

struct rollover_out {
	char *buf;
	size_t size, len;
	bool over;
};

static void rollover_put(struct rollover_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rollover_put(struct rollover_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->over) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->over = true;
		return;
	}
	o->len += (size_t)n;
}

static void rollover_put_hex(struct rollover_out *o, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (o->over || o->size - o->len < 2 * n + 2) {
		o->over = true;
		return;
	}
	o->buf[o->len++] = ' ';
	for (i = 0; i < n; i++) {
		o->buf[o->len++] = digits[p[i] >> 4];
		o->buf[o->len++] = digits[p[i] & 0xf];
	}
	o->buf[o->len] = '\0';
}

int rollover_to_text(const struct rollover_state *st, char *buf, size_t size)
{
	struct rollover_out o = {buf, size, 0, size == 0};
	size_t i;
	int slot, op;

	if (!rollover_state_valid(st)) {
		return -EINVAL;
	}
	rollover_put(&o, "xdane-rollover %d\nphase %s\nmode %s\nshape", ROLLOVER_TEXT_VERSION,
		     rollover_phase_name(st->phase),
		     st->mode == ROLLOVER_MODE_CURRENT_NEXT ? "current-next" : "reactive");
	for (i = 0; i < st->n_shape; i++) {
		rollover_put(&o, " %u %u %u", st->shape[i].usage, st->shape[i].selector,
			     st->shape[i].mtype);
	}
	rollover_put(&o,
		     "\nclock %d %" PRId64 " %" PRId64 " %" PRId64 "\nttl %" PRId64 " %" PRId64
		     " %" PRId64 "\nflags %d %d %d %d %" PRId64 " %" PRId64 "\nacked %d %016" PRIx64
		     "\n",
		     st->has_last, st->last_now_s, st->entered_s, st->held_s, st->ttl_max_s,
		     st->ttl_lower_s, st->ttl_lower_held_s, st->new_from_next, st->withdraw_old,
		     st->stalled, st->failed, st->linger_clear_s, st->drift_s, st->acked_known,
		     st->acked_hash);
	for (slot = 0; slot < ROLLOVER_SLOT_COUNT; slot++) {
		const struct rollover_slot_state *s = &st->slots[slot];

		if (!s->set) {
			continue;
		}
		rollover_put(&o, "slot %s %d %d %d %" PRId64 " %" PRId64, rollover_slot_names[slot],
			     s->acked, s->pub_pending, (int)s->seen, s->seen_since_s,
			     s->seen_held_s);
		rollover_put_hex(&o, s->key.spki_sha256, ROLLOVER_DIGEST_LEN);
		if (s->key.has_cert) {
			rollover_put_hex(&o, s->key.cert_sha256, ROLLOVER_DIGEST_LEN);
		} else {
			rollover_put(&o, " -");
		}
		for (i = 0; i < st->n_shape; i++) {
			rollover_put_hex(&o, s->key.data[i], rollover_data_len(st->shape[i].mtype));
		}
		rollover_put(&o, "\n");
	}
	for (op = 0; op < ROLLOVER_OP_COUNT; op++) {
		const struct rollover_op_state *p = &st->ops[op];

		rollover_put(&o,
			     "op %s %" PRIu32 " %d %" PRIu32 " %" PRId64 " %d %016" PRIx64 " %s\n",
			     rollover_op_names[op], p->seq, p->inflight, p->attempts,
			     p->retry_left_s, p->failed, p->hash, p->error);
	}
	return o.over ? ERR_TOO_BIG : 0;
}

/* A cursor over one line, split at single spaces. */
struct rollover_in {
	char line[ROLLOVER_LINE_MAX];
	char *p;
	bool bad;
};

static char *rollover_tok(struct rollover_in *in)
{
	char *start = in->p, *sp;

	if (in->bad || start == NULL || *start == '\0') {
		in->bad = true;
		return NULL;
	}
	sp = strchr(start, ' ');
	if (sp != NULL) {
		*sp = '\0';
		in->p = sp + 1;
	} else {
		in->p = start + strlen(start);
	}
	if (*start == '\0') {
		in->bad = true;
		return NULL;
	}
	return start;
}

static int64_t rollover_tok_int(struct rollover_in *in, int64_t min, int64_t max)
{
	const char *t = rollover_tok(in);
	bool neg;
	uint64_t v = 0;

	if (t == NULL) {
		return 0;
	}
	neg = *t == '-';
	t += neg;
	if (*t == '\0' || strlen(t) > 19) {
		in->bad = true;
		return 0;
	}
	for (; *t != '\0'; t++) {
		if (*t < '0' || *t > '9') {
			in->bad = true;
			return 0;
		}
		v = v * 10 + (uint64_t)(*t - '0');
	}
	if (v > (uint64_t)INT64_MAX || (neg ? -(int64_t)v : (int64_t)v) < min ||
	    (neg ? -(int64_t)v : (int64_t)v) > max) {
		in->bad = true;
		return 0;
	}
	return neg ? -(int64_t)v : (int64_t)v;
}

static bool rollover_tok_bool(struct rollover_in *in)
{
	return rollover_tok_int(in, 0, 1) != 0;
}

static int rollover_hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

static void rollover_tok_hex(struct rollover_in *in, uint8_t *out, size_t n)
{
	const char *t = rollover_tok(in);
	size_t i;

	if (t == NULL || strlen(t) != 2 * n) {
		in->bad = true;
		return;
	}
	for (i = 0; i < n; i++) {
		int hi = rollover_hexval(t[2 * i]), lo = rollover_hexval(t[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			in->bad = true;
			return;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

static uint64_t rollover_tok_hash(struct rollover_in *in)
{
	uint8_t b[8];
	uint64_t h = 0;
	size_t i;

	memset(b, 0, sizeof(b));
	rollover_tok_hex(in, b, sizeof(b));
	for (i = 0; i < sizeof(b); i++) {
		h = h << 8 | b[i];
	}
	return h;
}

static int rollover_tok_name(struct rollover_in *in, const char *const *names, int n)
{
	const char *t = rollover_tok(in);
	int i;

	for (i = 0; t != NULL && i < n; i++) {
		if (names[i] != NULL && strcmp(t, names[i]) == 0) {
			return i;
		}
	}
	in->bad = true;
	return 0;
}

/* The whole line has been read. */
static bool rollover_tok_end(const struct rollover_in *in)
{
	return !in->bad && in->p != NULL && *in->p == '\0';
}

/* Copies the next line of text into in; false at the end or for a line too long. */
static bool rollover_next_line(const char *text, size_t len, size_t *pos, struct rollover_in *in)
{
	const char *nl;
	size_t n;

	if (*pos >= len) {
		return false;
	}
	nl = memchr(text + *pos, '\n', len - *pos);
	if (nl == NULL) {
		return false; /* every line ends in a newline */
	}
	n = (size_t)(nl - (text + *pos));
	if (n >= sizeof(in->line) || memchr(text + *pos, '\0', n) != NULL) {
		return false;
	}
	memcpy(in->line, text + *pos, n);
	in->line[n] = '\0';
	in->p = in->line;
	in->bad = false;
	*pos += n + 1;
	return true;
}

static bool rollover_expect(struct rollover_in *in, const char *word)
{
	const char *t = rollover_tok(in);

	return t != NULL && strcmp(t, word) == 0;
}

static bool rollover_parse_head(const char *text, size_t len, size_t *pos,
				struct rollover_state *st)
{
	static const char *const modes[] = {"reactive", "current-next"};
	struct rollover_in in;
	size_t i;

	if (!rollover_next_line(text, len, pos, &in) || !rollover_expect(&in, "xdane-rollover") ||
	    rollover_tok_int(&in, ROLLOVER_TEXT_VERSION, ROLLOVER_TEXT_VERSION) !=
		    ROLLOVER_TEXT_VERSION ||
	    !rollover_tok_end(&in)) {
		return false;
	}
	if (!rollover_next_line(text, len, pos, &in) || !rollover_expect(&in, "phase")) {
		return false;
	}
	st->phase = rollover_tok_name(&in, rollover_phase_names, ROLLOVER_PHASE_COUNT);
	if (!rollover_tok_end(&in) || !rollover_next_line(text, len, pos, &in) ||
	    !rollover_expect(&in, "mode")) {
		return false;
	}
	st->mode = rollover_tok_name(&in, modes, 2);
	if (!rollover_tok_end(&in) || !rollover_next_line(text, len, pos, &in) ||
	    !rollover_expect(&in, "shape")) {
		return false;
	}
	for (i = 0; i < ROLLOVER_SHAPE_MAX && !in.bad && *in.p != '\0'; i++) {
		st->shape[i].usage = (uint8_t)rollover_tok_int(&in, 0, 3);
		st->shape[i].selector = (uint8_t)rollover_tok_int(&in, 0, 1);
		st->shape[i].mtype = (uint8_t)rollover_tok_int(&in, 1, 2);
	}
	st->n_shape = i;
	if (!rollover_tok_end(&in) || !rollover_shape_valid(st->shape, st->n_shape)) {
		return false;
	}
	if (!rollover_next_line(text, len, pos, &in) || !rollover_expect(&in, "clock")) {
		return false;
	}
	st->has_last = rollover_tok_bool(&in);
	st->last_now_s = rollover_tok_int(&in, INT64_MIN + 1, INT64_MAX);
	st->entered_s = rollover_tok_int(&in, INT64_MIN + 1, INT64_MAX);
	st->held_s = rollover_tok_int(&in, 0, INT64_MAX);
	if (!rollover_tok_end(&in) || !rollover_next_line(text, len, pos, &in) ||
	    !rollover_expect(&in, "ttl")) {
		return false;
	}
	st->ttl_max_s = rollover_tok_int(&in, -1, INT32_MAX);
	st->ttl_lower_s = rollover_tok_int(&in, -1, INT32_MAX);
	st->ttl_lower_held_s = rollover_tok_int(&in, 0, INT64_MAX);
	if (!rollover_tok_end(&in) || !rollover_next_line(text, len, pos, &in) ||
	    !rollover_expect(&in, "flags")) {
		return false;
	}
	st->new_from_next = rollover_tok_bool(&in);
	st->withdraw_old = rollover_tok_bool(&in);
	st->stalled = rollover_tok_bool(&in);
	st->failed = rollover_tok_bool(&in);
	st->linger_clear_s = rollover_tok_int(&in, -1, INT64_MAX);
	st->drift_s = rollover_tok_int(&in, 0, INT64_MAX);
	if (!rollover_tok_end(&in) || !rollover_next_line(text, len, pos, &in) ||
	    !rollover_expect(&in, "acked")) {
		return false;
	}
	st->acked_known = rollover_tok_bool(&in);
	st->acked_hash = rollover_tok_hash(&in);
	return rollover_tok_end(&in);
}

static bool rollover_parse_slot(struct rollover_in *in, struct rollover_state *st)
{
	int slot = rollover_tok_name(in, rollover_slot_names, ROLLOVER_SLOT_COUNT);
	struct rollover_slot_state *s = &st->slots[slot];
	size_t i;

	if (in->bad || s->set) {
		return false;
	}
	s->set = true;
	s->acked = rollover_tok_bool(in);
	s->pub_pending = rollover_tok_bool(in);
	s->seen = (enum rollover_seen)rollover_tok_int(in, ROLLOVER_SEEN_NO, ROLLOVER_SEEN_UNKNOWN);
	s->seen_since_s = rollover_tok_int(in, INT64_MIN + 1, INT64_MAX);
	s->seen_held_s = rollover_tok_int(in, 0, INT64_MAX);
	rollover_tok_hex(in, s->key.spki_sha256, ROLLOVER_DIGEST_LEN);
	if (!in->bad && strncmp(in->p, "- ", 2) == 0) {
		rollover_tok(in);
	} else {
		s->key.has_cert = true;
		rollover_tok_hex(in, s->key.cert_sha256, ROLLOVER_DIGEST_LEN);
	}
	for (i = 0; i < st->n_shape; i++) {
		rollover_tok_hex(in, s->key.data[i], rollover_data_len(st->shape[i].mtype));
	}
	return rollover_tok_end(in);
}

static bool rollover_parse_op(struct rollover_in *in, struct rollover_state *st, bool *seen)
{
	int op = rollover_tok_name(in, rollover_op_names, ROLLOVER_OP_COUNT);
	struct rollover_op_state *p = &st->ops[op];
	size_t i, n;

	if (in->bad || seen[op]) {
		return false;
	}
	seen[op] = true;
	p->seq = (uint32_t)rollover_tok_int(in, 0, UINT32_MAX);
	p->inflight = rollover_tok_bool(in);
	p->attempts = (uint32_t)rollover_tok_int(in, 0, UINT32_MAX);
	p->retry_left_s = rollover_tok_int(in, 0, INT64_MAX);
	p->failed = rollover_tok_bool(in);
	p->hash = rollover_tok_hash(in);
	if (in->bad || in->p == NULL) {
		return false;
	}
	/* The error is the rest of the line, as rollover_copy_msg kept it. */
	n = strlen(in->p);
	if (n >= sizeof(p->error)) {
		return false;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in->p[i];

		if (c < 0x20 || c == 0x7f) {
			return false;
		}
	}
	memcpy(p->error, in->p, n + 1);
	return true;
}

int rollover_from_text(const char *text, size_t len, struct rollover_state *ret)
{
	struct rollover_state st;
	struct rollover_in in;
	bool ops_seen[ROLLOVER_OP_COUNT] = {false};
	size_t pos = 0;
	int op;

	if (len > ROLLOVER_TEXT_MAX) {
		return ERR_TOO_BIG;
	}
	memset(&st, 0, sizeof(st));
	if (!rollover_parse_head(text, len, &pos, &st)) {
		return ERR_PARSE;
	}
	while (pos < len) {
		const char *word;

		if (!rollover_next_line(text, len, &pos, &in)) {
			return ERR_PARSE;
		}
		word = rollover_tok(&in);
		if (word != NULL && strcmp(word, "slot") == 0) {
			if (!rollover_parse_slot(&in, &st)) {
				return ERR_PARSE;
			}
		} else if (word != NULL && strcmp(word, "op") == 0) {
			if (!rollover_parse_op(&in, &st, ops_seen)) {
				return ERR_PARSE;
			}
		} else {
			return ERR_PARSE;
		}
	}
	for (op = 0; op < ROLLOVER_OP_COUNT; op++) {
		if (!ops_seen[op]) {
			return ERR_PARSE;
		}
	}
	if (!rollover_state_valid(&st) ||
	    (rollover_shape_has_selector0(&st) && st.mode == ROLLOVER_MODE_CURRENT_NEXT)) {
		return ERR_PARSE;
	}
	*ret = st;
	return 0;
}

/* The invariant */

/* A peer using this RRset accepts the key: a record matches and is of the
 * strongest matching type of its usage and selector (RFC 7671 §9). */
static bool rollover_rrset_accepts(const struct rollover_state *st,
				   const struct rollover_world_rrset *rs,
				   const struct rollover_key *k)
{
	size_t i, j;

	for (i = 0; i < rs->n_recs; i++) {
		const struct rollover_rec *r = &rs->recs[i];
		uint8_t strongest = 0;
		bool match = false;

		for (j = 0; j < st->n_shape && !match; j++) {
			match = rollover_rec_is(st, r, k, j);
		}
		if (!match) {
			continue;
		}
		for (j = 0; j < rs->n_recs; j++) {
			if (rs->recs[j].usage == r->usage && rs->recs[j].selector == r->selector &&
			    rs->recs[j].mtype <= 2 && rs->recs[j].mtype > strongest) {
				strongest = rs->recs[j].mtype;
			}
		}
		if (r->mtype == strongest) {
			return true;
		}
	}
	return false;
}

bool rollover_invariant_holds(const struct rollover_state *st, size_t n_servers,
			      const struct rollover_world_server *servers, size_t n_endpoints,
			      const struct rollover_key *const *endpoints, int64_t now,
			      int64_t hold_s, char *why, size_t why_size)
{
	size_t e, s, v;

	for (e = 0; e < n_endpoints; e++) {
		if (endpoints[e] == NULL) {
			continue;
		}
		for (s = 0; s < n_servers; s++) {
			for (v = 0; v < servers[s].n_rrsets; v++) {
				const struct rollover_world_rrset *rs = &servers[s].rrsets[v];

				/* Served at until_s at the latest, held for hold_s at most. */
				if (rs->from_s > now || rs->until_s <= now - hold_s ||
				    rollover_rrset_accepts(st, rs, endpoints[e])) {
					continue;
				}
				if (why != NULL && why_size > 0) {
					snprintf(why, why_size,
						 "endpoint %zu is not accepted by the RRset server "
						 "%zu "
						 "served from %" PRId64 " until %" PRId64
						 " (now %" PRId64 ", hold %" PRId64 " s)",
						 e, s, rs->from_s, rs->until_s, now, hold_s);
				}
				return false;
			}
		}
	}
	return true;
}
