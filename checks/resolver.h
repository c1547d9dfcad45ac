/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Validating resolution with libunbound on the caller's libevent loop
 * (ub_ctx_create_event, ub_resolve_event): many queries in flight, none
 * blocking, at most max_inflight at once (the rest wait in a queue). Each
 * answer comes back classified as rrset_facts plus the parsed packet.
 */
#ifndef XDANE_CHECKS_RESOLVER_H
#define XDANE_CHECKS_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "checks/facts.h"

struct event_base;
struct resolver;

/* Debian's root trust anchor (dns-root-data), the default without a config. */
#define RESOLVER_ROOT_ANCHOR	  "/usr/share/dns/root.key"
#define RESOLVER_DEFAULT_INFLIGHT 256

struct resolver_opts {
	const char *config_file;       /* an unbound.conf (ub_ctx_config), or NULL */
	const char *trust_anchor_file; /* DS/DNSKEY zone-file syntax, or NULL */
	unsigned max_inflight;	       /* 0: RESOLVER_DEFAULT_INFLIGHT */
	unsigned cache_mb; /* caches of this resolver in MiB; 0: 112 (a one-off sweep) */
};

/*
 * Creates the resolver. Without config_file and trust_anchor_file it recurses
 * from the root with RESOLVER_ROOT_ANCHOR. On failure writes one line into
 * err (naming the file and the reason) and returns a negative code.
 */
int resolver_new(struct event_base *base, const struct resolver_opts *o, struct resolver **ret,
		 char *err, size_t errlen);

/* Cancels what is in flight (no callbacks) and frees; NULL is fine. */
void resolver_free(struct resolver *r);

/*
 * The answer to one query. rr is classified (status, state, TTL, why, CNAME,
 * signature expiry, count); owner is where the records of the asked type sit
 * (the end of a CNAME chain), NULL when there are none; pkt is the parsed
 * answer or NULL. All three live only during the callback.
 */
struct resolver_answer {
	const struct rrset_facts *rr;
	const ldns_rdf *owner;
	const ldns_pkt *pkt;
};

typedef void (*resolver_fn)(void *arg, const struct resolver_answer *a);

/*
 * Queues a query for (name, type, IN); fn runs once with the answer, from the
 * event loop or, for data libunbound holds locally, before this returns.
 * now is the wall clock for signature expiry. Returns 0 or -ENOMEM.
 */
int resolver_query(struct resolver *r, const char *name, uint16_t type, int64_t now, resolver_fn fn,
		   void *arg);

/* The resolver's own failure (e.g. UB_INITFAIL at the first query), or NULL. */
const char *resolver_error(const struct resolver *r);

/* Queries in flight now, and the most ever in flight (for benchmarks and tests). */
unsigned resolver_inflight(const struct resolver *r);
unsigned resolver_inflight_peak(const struct resolver *r);

#endif
