/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XMPP certificate identity check (RFC 6120 §13.7.2.1, RFC 6125 §6,
 * RFC 7673 §3): do the names a leaf presents (already decoded by certs/)
 * name the service? Pure: deciding when the SRV target may count, and what a
 * mismatch means next to DANE, is left to the caller.
 */
#ifndef XDANE_CHECKS_IDENTITY_H
#define XDANE_CHECKS_IDENTITY_H

#include <stdbool.h>

#include "checks/facts.h"

struct cert_info;

/*
 * The longest presented identifier that can match: an SRV-ID
 * "_xmpps-client." + a 253-octet name + a trailing dot, plus the NUL.
 */
#define IDENTITY_PRESENTED_MAX (sizeof("_xmpps-client.") - 1 + 253 + 1 + 1)
/* A reference identifier: at most 253 octets without the trailing dot, plus the NUL. */
#define IDENTITY_REFERENCE_MAX 256

/* The reference identifiers a peer checks. */
struct identity_ref {
	const char *domain;	   /* the XMPP service domain D (source domain of the stream) */
	enum xmpp_service service; /* selects the SRV-ID service label */
	/* The SRV target, acceptable too when the SRV RRset is secure (RFC 7673); else NULL. */
	const char *srv_target;
};

enum identity_kind {
	IDENTITY_NONE = 0,
	IDENTITY_DNS_ID,
	IDENTITY_SRV_ID,
	IDENTITY_XMPP_ADDR,
	IDENTITY_CN,
	IDENTITY_KIND_COUNT
};

struct identity_result {
	bool matched;
	enum identity_kind kind;		/* of the presented identifier that matched */
	char presented[IDENTITY_PRESENTED_MAX]; /* the one that matched, as written; else "" */
	char reference[IDENTITY_REFERENCE_MAX]; /* D or the SRV target, no trailing dot; else "" */
};

/*
 * Matches cert's names against ref: DNS-IDs and the CN against D and the SRV
 * target, SRV-IDs and xmppAddrs against D only; the CN only when the leaf has
 * no SAN identifier of those three kinds at all. Names are ASCII (A-labels),
 * compared without case and without one trailing dot. When several match,
 * the first in this order is reported: SRV-ID, DNS-ID, xmppAddr, CN; within
 * a kind, D before the SRV target, then the leaf's own order.
 * Returns 0 with ret filled, matched or not; ERR_PARSE when D or the SRV
 * target is not a host name; -EINVAL for NULL arguments or an unknown
 * service. ret is written only on success.
 */
int identity_match(const struct cert_info *cert, const struct identity_ref *ref,
		   struct identity_result *ret);

/* "none", "dns-id", "srv-id", "xmpp-addr", "cn"; NULL outside the enum. */
const char *identity_kind_name(enum identity_kind k);

#endif
