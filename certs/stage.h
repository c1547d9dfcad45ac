/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks a staged certificate and key before a reactive rollover publishes
 * anything: the pair matches, the certificate is valid now and for a margin,
 * it covers the domain, and its TLSA data for the rollover's shapes. Pure
 * checks and bounded file reads; deciding what to do is the caller's.
 */
#ifndef XDANE_CERTS_STAGE_H
#define XDANE_CERTS_STAGE_H

#include <stddef.h>
#include <stdint.h>

struct rollover_key;
struct rollover_tlsa_type;

/* One line naming the file and what is wrong with it. */
struct stage_error {
	char detail[512];
};

struct stage_request {
	const char *cert_path;
	const char *key_path;	  /* its mode is not judged: ACME clients differ (0600, 0640) */
	const char *const *names; /* every name the certificate must cover (domain first) */
	size_t n_names;
	int64_t now;	  /* seconds since the epoch */
	int64_t margin_s; /* refuse a certificate that expires within this */
	const struct rollover_tlsa_type *shapes;
	size_t n_shapes; /* <= ROLLOVER_SHAPE_MAX */
};

/*
 * Runs every check; on success fills ret (the key, has_cert, data per shape).
 * Errors, each with err->detail set: -errno or the certs/ parse codes for an
 * unreadable file, -EKEYREJECTED for a key that is not the certificate's,
 * -EKEYEXPIRED for a certificate expired, expiring within the margin or not
 * yet valid, -EBADMSG for one that does not cover a name, ERR_UNSUPPORTED
 * for a shape.
 */
int stage_check(const struct stage_request *req, struct rollover_key *ret, struct stage_error *err);

/*
 * Whether the DNS-ID pattern (from a certificate; may start with "*.") covers
 * name: RFC 6125 §6.4.3, case-insensitive, a trailing dot ignored, the
 * wildcard only as the whole leftmost label, matching exactly one label, and
 * never directly under a single label ("*.org"). certs/ cannot use
 * checks/identity (layering); this is the small subset a staged certificate needs.
 */
int stage_dns_id_matches(const char *pattern, const char *name);

#endif
