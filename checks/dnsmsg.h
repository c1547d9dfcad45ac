/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading DNS answers (ldns packets) into facts: which RRs answer a
 * question, where a CNAME chain leads, when the signatures expire. Shared by
 * the resolver (validated answers) and authq (direct answers); checks/ only.
 */
#ifndef XDANE_CHECKS_DNSMSG_H
#define XDANE_CHECKS_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "checks/facts.h"

/* Longest CNAME chain followed inside one answer (unbound's own limit is 8). */
#define DNSMSG_MAX_CNAME_CHAIN 8

/*
 * The owner that holds the answer to (qname, qtype) in pkt's answer section,
 * following a CNAME chain; ret_alias is set when a CNAME was followed. Returns
 * a new rdf (caller frees) or NULL on ENOMEM or a chain longer than the bound.
 */
ldns_rdf *dnsmsg_answer_owner(const ldns_pkt *pkt, const ldns_rdf *qname, ldns_rr_type qtype,
			      bool *ret_alias);

/* The RRs of type at owner in pkt's answer section (a new list, shallow: free with
 * ldns_rr_list_free). */
ldns_rr_list *dnsmsg_rrs(const ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type);

/*
 * The soonest expiration among the RRSIGs in the answer section that cover
 * type at owner, as seconds since the epoch (RFC 4034 §3.1.5 serial
 * arithmetic around now); 0 when there is none.
 */
int64_t dnsmsg_sig_expiration(const ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type,
			      int64_t now);

/* A 32-bit RRSIG time (RFC 1982 arithmetic) as the nearest absolute time to now. */
int64_t dnsmsg_sig_time(uint32_t t, int64_t now);

/* The presentation form of a name, absolute, into out (FACTS_NAME_MAX). */
void dnsmsg_name(const ldns_rdf *name, char out[FACTS_NAME_MAX]);

/* A new absolute name from text, or NULL if text is not a valid domain name. */
ldns_rdf *dnsmsg_name_parse(const char *text);

#endif
