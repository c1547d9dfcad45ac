/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLSA records (RFC 6698, RFC 7218 names) and their association data: which
 * bytes of a certificate or key a record pins, and how they are matched.
 */
#ifndef XDANE_CERTS_TLSA_H
#define XDANE_CERTS_TLSA_H

#include <stddef.h>
#include <stdint.h>

struct cert;
struct pkey;

enum tlsa_usage {
	TLSA_USAGE_PKIX_TA = 0,
	TLSA_USAGE_PKIX_EE = 1,
	TLSA_USAGE_DANE_TA = 2,
	TLSA_USAGE_DANE_EE = 3,
};

enum tlsa_selector {
	TLSA_SELECTOR_CERT = 0,
	TLSA_SELECTOR_SPKI = 1,
};

enum tlsa_mtype {
	TLSA_MTYPE_FULL = 0,
	TLSA_MTYPE_SHA256 = 1,
	TLSA_MTYPE_SHA512 = 2,
};

struct tlsa_record {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	uint8_t *data; /* owned */
	size_t len;
};

/* Whether each field is one RFC 6698 defines (private-use values are not). */
int tlsa_is_known(unsigned usage, unsigned selector, unsigned mtype);

/*
 * The record for a certificate or a key. ERR_UNSUPPORTED for an unknown
 * usage, selector or matching type, and for selector 0 with a bare key.
 */
int tlsa_from_cert(const struct cert *c, unsigned usage, unsigned selector, unsigned mtype,
		   struct tlsa_record *ret);
int tlsa_from_pkey(const struct pkey *k, unsigned usage, unsigned selector, unsigned mtype,
		   struct tlsa_record *ret);

void tlsa_record_release(struct tlsa_record *rec);

/* "U S M hexdata", as records appear in reports; malloc'd, NULL on ENOMEM. */
char *tlsa_text(unsigned usage, unsigned selector, unsigned mtype, const uint8_t *data, size_t len);

#endif
