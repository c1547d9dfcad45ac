/* SPDX-License-Identifier: BSD-3-Clause */
/* TLSA association data (RFC 6698 §2.1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "certs/cert.h"
#include "certs/pkey.h"
#include "certs/tlsa.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/hexstr.h"

int tlsa_is_known(unsigned usage, unsigned selector, unsigned mtype)
{
	return usage <= TLSA_USAGE_DANE_EE && selector <= TLSA_SELECTOR_SPKI &&
	       mtype <= TLSA_MTYPE_SHA512;
}

/* Applies the matching type to the selected DER and fills ret. */
static int tlsa_match(const struct buf *selected, unsigned usage, unsigned selector, unsigned mtype,
		      struct tlsa_record *ret)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	const uint8_t *src = selected->data;
	size_t len = selected->len;
	uint8_t *copy;

	if (mtype != TLSA_MTYPE_FULL) {
		const EVP_MD *alg = mtype == TLSA_MTYPE_SHA256 ? EVP_sha256() : EVP_sha512();

		if (!EVP_Digest(selected->data, selected->len, md, &md_len, alg, NULL)) {
			ERR_clear_error();
			return ERR_CRYPTO;
		}
		src = md;
		len = md_len;
	}
	copy = malloc(len);
	if (copy == NULL) {
		return -ENOMEM;
	}
	memcpy(copy, src, len);
	ret->usage = (uint8_t)usage;
	ret->selector = (uint8_t)selector;
	ret->mtype = (uint8_t)mtype;
	ret->data = copy;
	ret->len = len;
	return 0;
}

int tlsa_from_cert(const struct cert *c, unsigned usage, unsigned selector, unsigned mtype,
		   struct tlsa_record *ret)
{
	struct buf selected;
	int r;

	if (!tlsa_is_known(usage, selector, mtype)) {
		return ERR_UNSUPPORTED;
	}
	r = cert_selected_der(c, selector, &selected);
	if (r == 0) {
		r = tlsa_match(&selected, usage, selector, mtype, ret);
	}
	buf_release(&selected);
	return r;
}

int tlsa_from_pkey(const struct pkey *k, unsigned usage, unsigned selector, unsigned mtype,
		   struct tlsa_record *ret)
{
	struct buf selected;
	int r;

	/* A bare key has no certificate to pin: only selector 1 applies. */
	if (!tlsa_is_known(usage, selector, mtype) || selector != TLSA_SELECTOR_SPKI) {
		return ERR_UNSUPPORTED;
	}
	r = pkey_spki_der(k, &selected);
	if (r == 0) {
		r = tlsa_match(&selected, usage, selector, mtype, ret);
	}
	buf_release(&selected);
	return r;
}

void tlsa_record_release(struct tlsa_record *rec)
{
	free(rec->data);
	rec->data = NULL;
	rec->len = 0;
}

char *tlsa_text(unsigned usage, unsigned selector, unsigned mtype, const uint8_t *data, size_t len)
{
	char *hex = hexstr_encode(data, len);
	char *text = NULL;

	if (hex != NULL && asprintf(&text, "%u %u %u %s", usage, selector, mtype, hex) < 0) {
		text = NULL;
	}
	free(hex);
	return text;
}
