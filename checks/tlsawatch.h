/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every authoritative server address of a zone serves at a few TLSA
 * owners, asked directly (authq: no cache between us and the server), for
 * the rollover wait of DESIGN.md "Certificate rollover". It gathers only:
 * deciding whether a key has propagated is the rollover engine's business.
 */
#ifndef XDANE_CHECKS_TLSAWATCH_H
#define XDANE_CHECKS_TLSAWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "checks/facts.h"

struct event_base;

/*
 * Owners asked per server: a domain's endpoints as the rollover block names
 * them (four services on a couple of targets); with FACTS_MAX_SERVERS this
 * bounds one watch at 256 queries in flight.
 */
#define TLSAWATCH_MAX_OWNERS 16
/* Records kept per owner: current + new + next + lingering key in four shapes. */
#define TLSAWATCH_MAX_RECS FACTS_MAX_TLSA
/*
 * Association data kept per record: SHA-512, the longest digest. Matching
 * type 0 data (a whole certificate or key) is cut here, with `cut` set and
 * len the full length; the rollover engine does not publish it.
 */
#define TLSAWATCH_DATA_MAX 64
/* A short reason for a person: "timeout after 1500 ms", "REFUSED", "not authoritative". */
#define TLSAWATCH_DETAIL_MAX 96

struct tlsawatch_rec {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	bool cut;     /* data holds only the first TLSAWATCH_DATA_MAX octets */
	uint16_t len; /* of the whole association data */
	uint8_t data[TLSAWATCH_DATA_MAX];
};

/* One server's answer for one owner. */
struct tlsawatch_answer {
	/*
	 * OK (TLSA records), NXDOMAIN, NODATA: the server answered for the
	 * owner. SERVFAIL, REFUSED, TIMEOUT, ERROR (another rcode, a malformed,
	 * truncated or non-authoritative answer): it did not; detail says why.
	 */
	enum lookup_status status;
	int rcode; /* as received, -1 without a response */
	char detail[TLSAWATCH_DETAIL_MAX];
	bool alias;   /* the owner is a CNAME: recs are those at its target */
	uint32_t ttl; /* OK: the RRset's TTL (the lowest of its records) */
	/* The SOA in the authority section (a denial always carries one, RFC 2308 §3). */
	bool has_soa;
	uint32_t serial;
	uint32_t soa_minimum;
	/* NXDOMAIN, NODATA: how long resolvers may cache the denial, min(SOA TTL, MINIMUM) (§5). */
	uint32_t neg_ttl;
	size_t n_found; /* TLSA records in the answer */
	bool truncated; /* n_found exceeded TLSAWATCH_MAX_RECS: the rest were ignored */
	size_t n_recs;	/* kept, sorted by (usage, selector, mtype, data) */
	struct tlsawatch_rec recs[TLSAWATCH_MAX_RECS];
};

struct tlsawatch_server {
	char name[FACTS_NAME_MAX]; /* the NS name, "" if not known */
	char address[FACTS_ADDR_MAX];
	/* Every owner got OK, NXDOMAIN or NODATA from it. */
	bool answered;
	/* OK when answered, else the status of its first owner that failed, and why. */
	enum lookup_status status;
	char detail[TLSAWATCH_DETAIL_MAX];
	struct tlsawatch_answer answers[TLSAWATCH_MAX_OWNERS]; /* by owner index */
};

/*
 * A watch: filled by the caller (tlsawatch_init, _add_owner, _add_server),
 * then by the queries. Plain data (about 350 KiB: allocate it, do not put it
 * on the stack); nothing in it is owned.
 */
struct tlsawatch_result {
	size_t n_owners;
	char owners[TLSAWATCH_MAX_OWNERS][FACTS_NAME_MAX]; /* absolute, as dnsmsg_name writes */
	size_t n_servers;
	struct tlsawatch_server servers[FACTS_MAX_SERVERS];
};

void tlsawatch_init(struct tlsawatch_result *res);

/* Adds an owner (any presentation form). ERR_PARSE for a bad name, -E2BIG past the bound. */
int tlsawatch_add_owner(struct tlsawatch_result *res, const char *owner);

/*
 * Adds a server address (IPv4 or IPv6 text; name may be NULL). An address
 * already there is skipped (returns 0): each address is asked once.
 * ERR_PARSE for a bad address, -E2BIG past FACTS_MAX_SERVERS.
 */
int tlsawatch_add_server(struct tlsawatch_result *res, const char *name, const char *address);

/*
 * Adds every server address a finished check found for the zone
 * (domain_facts.zone.servers). Returns how many addresses the zone has, 0
 * when the check gathered none, or the first error of tlsawatch_add_server.
 */
int tlsawatch_add_zone_servers(struct tlsawatch_result *res, const struct zone_facts *zone);

/*
 * Reads one server's response to (owner, TLSA) into ret, as authq hands it
 * over (status and pkt, pkt NULL without a response). Pure, for the tests.
 */
void tlsawatch_answer_read(const char *owner, enum lookup_status status, const ldns_pkt *pkt,
			   struct tlsawatch_answer *ret);

/* The same from wire form; a message that does not parse is an ERROR "malformed answer". */
void tlsawatch_answer_read_wire(const char *owner, const uint8_t *wire, size_t len,
				struct tlsawatch_answer *ret);

/* Fills the per-server summary (answered, status, detail) from its answers. */
void tlsawatch_server_summarize(const struct tlsawatch_result *res, struct tlsawatch_server *s);

typedef void (*tlsawatch_done_fn)(void *arg, struct tlsawatch_result *res);

struct tlsawatch;

/*
 * Asks every server of res for every owner's TLSA on port, all at once. A
 * query with no answer after timeout_ms (the whole watch's limit; authq's own
 * retries end sooner at AUTHQ_TRIES x AUTHQ_TRY_TIMEOUT_MS) is a TIMEOUT.
 * done runs exactly once, from the loop, with res filled, unless
 * tlsawatch_cancel is called first; the watch frees itself before calling it.
 * Returns 0 (ret set) or -ENOMEM without calling done.
 */
int tlsawatch_start(struct event_base *base, uint16_t port, int timeout_ms,
		    struct tlsawatch_result *res, tlsawatch_done_fn done, void *arg,
		    struct tlsawatch **ret);

/* Stops a watch; done is not called, res keeps what came so far. NULL is fine. */
void tlsawatch_cancel(struct tlsawatch *w);

/* tlsawatch_start on a loop of its own, until done: for tools and tests. */
int tlsawatch_run(uint16_t port, int timeout_ms, struct tlsawatch_result *res);

#endif
