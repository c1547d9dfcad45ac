/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XMPP identities of a subjectAltName extension (RFC 6120 §13.7.1.2):
 * DNS-IDs, SRV-IDs (RFC 4985 SRVName otherName) and xmppAddr otherNames.
 * OpenSSL prints those otherNames as "<unsupported>", so we decode them.
 */
#ifndef XDANE_CERTS_SAN_H
#define XDANE_CERTS_SAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/strlist.h"

struct san_ids {
	struct strlist dns_ids;	   /* dNSName, as written (may start with "*.") */
	struct strlist srv_ids;	   /* SRVName, e.g. "_xmpp-client.example.org" */
	struct strlist xmpp_addrs; /* id-on-xmppAddr, UTF-8 */
	size_t n_rejected;	   /* names skipped as malformed (NUL, wrong type, ...) */
};

/*
 * Decodes der, the DER GeneralNames of a subjectAltName extension value.
 * A malformed name is skipped and counted; malformed DER is ERR_PARSE.
 * On success ret is filled (release with san_ids_release); on failure empty.
 */
int san_decode(const uint8_t *der, size_t len, struct san_ids *ret);

void san_ids_release(struct san_ids *ids);

#endif
