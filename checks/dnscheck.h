/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DNS half of checking one domain (DESIGN.md steps 1-3 and 6): resolve
 * the SRV RRsets, the targets' addresses and, where DANE applies, the TLSA
 * RRsets; find the zone, its DS, DNSKEY and NS, and ask every authoritative
 * server directly. Fills a domain_facts; judging is judge.h's job.
 */
#ifndef XDANE_CHECKS_DNSCHECK_H
#define XDANE_CHECKS_DNSCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "checks/facts.h"

struct dnscheck;
struct event_base;
struct prober;
struct resolver;

struct dnscheck_opts {
	unsigned services;     /* bit (1 << enum xmpp_service) per service to check */
	bool zone_health;      /* ask the authoritative servers directly */
	uint16_t auth_port;    /* where they listen: 53, or a test bed's port */
	int64_t now;	       /* wall clock, for signature expiry */
	struct prober *prober; /* connects to every endpoint address; NULL: DNS only */
};

/* All four services. */
#define DNSCHECK_ALL_SERVICES ((1u << SERVICE_COUNT) - 1)

/*
 * Called once when everything is gathered; facts belong to the check and
 * live until dnscheck_free (which the callback may call).
 */
typedef void (*dnscheck_done_fn)(void *arg, struct dnscheck *c, struct domain_facts *facts);

/*
 * Starts checking domain (a valid name; see dnsmsg_name_parse). done runs
 * from the event loop, never inside this call. Returns 0, ERR_PARSE for an
 * invalid name, or -ENOMEM.
 */
int dnscheck_start(struct event_base *base, struct resolver *res, const char *domain,
		   const struct dnscheck_opts *o, dnscheck_done_fn done, void *arg,
		   struct dnscheck **ret);

/*
 * Frees a check: after done, or, for a check stopped before it finished,
 * only after resolver_free (its lookups still point at it until then).
 * Direct queries in flight are cancelled here.
 */
void dnscheck_free(struct dnscheck *c);

/* Whether text is a host name xdane can check: LDH labels, optional final dot, not the root. */
bool dnscheck_name_is_valid(const char *text);

#endif
