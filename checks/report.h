/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reports of checks: the DOMAIN_REPORT JSON of DESIGN.md ("xdane check")
 * and the human report, grouped by service and endpoint, from facts and
 * findings. Names are shown without the trailing dot, as people write them.
 */
#ifndef XDANE_CHECKS_REPORT_H
#define XDANE_CHECKS_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "checks/facts.h"
#include "checks/finding.h"
#include "common/strlist.h"

struct report;

/* A {"domains": [...]} document with n slots, filled in any order. */
int report_new(size_t n, struct report **ret);
void report_free(struct report *r);

/* Puts the DOMAIN_REPORT of a finished check at index. */
int report_set(struct report *r, size_t index, const struct domain_facts *f,
	       const struct findings *fl);

/* Puts a domain that could not be checked (status "unknown", error) at index. */
int report_set_error(struct report *r, size_t index, const char *domain, const char *error);

/* The DOMAIN_REPORT of a finished check, a new reference (NULL: out of memory). */
json_t *report_domain(const struct domain_facts *f, const struct findings *fl);

/* That of a domain that could not be checked; checked_at 0 leaves the time out. */
/*
 * Replaces the findings of a report_domain report with fl (a caller that
 * adds findings of its own: the daemon's rollovers) and its status with
 * their worst. 0 or -ENOMEM.
 */
int report_set_findings(json_t *report, const struct findings *fl);

json_t *report_domain_error(const char *domain, const char *error, int64_t checked_at);

/* The whole document as text (pretty-printed, newline-terminated). */
int report_json(const struct report *r, char **ret);

/* The human report of one domain, as malloc'd text. */
int report_text(const struct domain_facts *f, const struct findings *fl, char **ret);

/* Notes on bounds that were hit (e.g. "only 16 of 40 SRV records followed"), as text lines. */
int report_notes(const struct domain_facts *f, struct strlist *ret);

#endif
