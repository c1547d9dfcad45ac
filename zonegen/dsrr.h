/* SPDX-License-Identifier: BSD-3-Clause */
/* DS records (RFC 4034 §5) for the key-signing keys of a DNSKEY set. */
#ifndef XDANE_ZONEGEN_DSRR_H
#define XDANE_ZONEGEN_DSRR_H

#include <stddef.h>

#include "common/strlist.h"

/* A file of DNSKEY records larger than this is not one. */
#define DSRR_FILE_MAX (1024 * 1024)

/* DS digest types (IANA "Delegation Signer Digest Algorithms"). */
enum dsrr_digest {
	DSRR_DIGEST_SHA1 = 1, /* must not be used (RFC 8624 §3.3) */
	DSRR_DIGEST_SHA256 = 2,
	DSRR_DIGEST_SHA384 = 4,
};

/* Where parsing stopped, for an error message naming the line. */
struct dsrr_error {
	int line;
	char detail[128];
};

/*
 * Reads zone-file text holding DNSKEY records (other records, comments and
 * $ORIGIN/$TTL are allowed) and appends one DS line per key-signing key (SEP
 * flag set, not revoked) to ret, in zone-file syntax without newline.
 * Errors: ERR_PARSE (err says line and why), ERR_NO_KSK, ERR_UNSUPPORTED
 * (digest), -ENOMEM. ret is untouched on failure.
 */
int dsrr_from_dnskeys(const char *text, size_t len, int digest, struct strlist *ret,
		      struct dsrr_error *err);

#endif
