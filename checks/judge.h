/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The judge: a pure function from gathered facts and the time to findings
 * (DESIGN.md "Findings catalog"). No I/O, no clock, no globals: everything it
 * knows is in its arguments, so every rule is unit-tested with built facts.
 */
#ifndef XDANE_CHECKS_JUDGE_H
#define XDANE_CHECKS_JUDGE_H

#include <stdint.h>

#include "checks/facts.h"
#include "checks/finding.h"

/* Default RRSIG margin: 3 days (DESIGN.md, RRSIG_EXPIRING). */
#define JUDGE_RRSIG_MARGIN_S (3 * 86400)

/* Default leaf margins: warning within 14 days, critical within 3 (DESIGN.md, CERT_EXPIRING). */
#define JUDGE_CERT_MARGIN_S   (14 * 86400)
#define JUDGE_CERT_CRITICAL_S (3 * 86400)

/*
 * NSEC3 iterations above which validators treat denials as insecure: unbound
 * 1.17 and BIND 9.18 stop at 150 (RFC 9276 §3.2 lets them go lower).
 */
#define JUDGE_NSEC3_INSECURE_ITERATIONS 150

struct judge_opts {
	int64_t rrsig_margin_s;
	unsigned nsec3_insecure_iterations;
	int64_t cert_margin_s;	 /* a leaf expiring sooner is a warning */
	int64_t cert_critical_s; /* ... and sooner still, critical */
	/* Per-code override of the severity, or -1 for the judge's own choice. */
	int severity[FINDING_COUNT];
	/*
	 * DNSKEY algorithms this validator cannot verify: a zone signed only with
	 * them validates as insecure, and is reported as such, never as unsigned.
	 */
	uint8_t unsupported_algorithms[8];
	size_t n_unsupported_algorithms;
};

/*
 * Defaults: the margins above, no overrides, and the algorithms Debian's
 * libunbound (nettle) cannot verify: RSAMD5 (1), ECC-GOST (12), ED448 (16).
 */
void judge_opts_init(struct judge_opts *o);

/*
 * Appends to out the findings of the DNS half of a check (steps 1-3 and 6 of
 * DESIGN.md) for facts f at time now. Returns 0, or -ENOMEM with out as it
 * was. Only enabled services count; truncation flags are left to the report.
 */
int judge_dns(const struct domain_facts *f, int64_t now, const struct judge_opts *o,
	      struct findings *out);

/*
 * Appends to out the findings of the endpoint half of a check (steps 4-5 of
 * DESIGN.md): one set per probe in f->probes that was done (status not
 * PROBE_NOT_DONE) of an enabled service, then ENDPOINTS_DIFFER per service.
 * Returns 0, or -ENOMEM with out as it was.
 */
int judge_endpoints(const struct domain_facts *f, int64_t now, const struct judge_opts *o,
		    struct findings *out);

/* judge_dns, then judge_endpoints; all or nothing: on -ENOMEM out is as it was. */
int judge_check(const struct domain_facts *f, int64_t now, const struct judge_opts *o,
		struct findings *out);

/* The domain's overall DNSSEC state for the report: that of its zone's SOA. */
enum dnssec_state judge_domain_dnssec(const struct domain_facts *f);

#endif
