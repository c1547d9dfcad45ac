/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Direct queries to one authoritative server address (no recursion, DNSSEC
 * OK), on the event loop: UDP with retries, TCP when the answer is truncated.
 * Used for zone health, where each server must be asked itself, not a cache.
 */
#ifndef XDANE_CHECKS_AUTHQ_H
#define XDANE_CHECKS_AUTHQ_H

#include <stdint.h>

#include <ldns/ldns.h>

#include "checks/facts.h"

struct event_base;

/* A server that has not answered after this many tries is unreachable. */
#define AUTHQ_TRIES	     3
#define AUTHQ_TRY_TIMEOUT_MS 1000

/*
 * The answer: status OK for any response with NOERROR or NXDOMAIN, the rcode's
 * status otherwise, TIMEOUT when no response came, ERROR when the address
 * refused (ICMP) or the response was malformed. pkt lives for the callback.
 */
typedef void (*authq_fn)(void *arg, enum lookup_status status, const ldns_pkt *pkt);

struct authq;

/*
 * Sends (qname, qtype, IN) to address:port. fn runs exactly once, from the
 * loop, unless authq_cancel is called first. Returns 0 (ret set), or a
 * negative error (bad address, no socket) without calling fn.
 */
int authq_send(struct event_base *base, const char *address, uint16_t port, const char *qname,
	       uint16_t qtype, authq_fn fn, void *arg, struct authq **ret);

/* Stops a query; fn is not called. NULL is fine. */
void authq_cancel(struct authq *q);

#endif
