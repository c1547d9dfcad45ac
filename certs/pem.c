/* SPDX-License-Identifier: BSD-3-Clause */
/* PEM scanning over OpenSSL's PEM_read_bio, bounded by the caller's buffer. */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "certs/pem.h"
#include "common/err.h"

bool pem_is_pem(const uint8_t *data, size_t len)
{
	return memmem(data, len, "-----BEGIN ", 11) != NULL;
}

int pem_scan(const uint8_t *data, size_t len, pem_block_fn fn, void *arg, size_t *nblocks_seen)
{
	BIO *bio = NULL;
	char *name = NULL;
	char *header = NULL;
	unsigned char *body = NULL;
	long body_len = 0;
	size_t n = 0;
	int r = ERR_PARSE;

	if (len > INT_MAX) {
		r = ERR_TOO_BIG;
		goto out;
	}
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio == NULL) {
		r = ERR_CRYPTO;
		goto out;
	}
	for (;;) {
		struct pem_block block;

		ERR_clear_error();
		if (!PEM_read_bio(bio, &name, &header, &body, &body_len)) {
			unsigned long e = ERR_peek_last_error();

			/* PEM_R_NO_START_LINE is the normal end: no further block. */
			r = ERR_GET_LIB(e) == ERR_LIB_PEM &&
					    ERR_GET_REASON(e) == PEM_R_NO_START_LINE
				    ? 0
				    : ERR_PARSE;
			goto out;
		}
		n++;
		block.label = name;
		block.der = body;
		block.len = (size_t)body_len;
		block.encrypted = header != NULL && strstr(header, "ENCRYPTED") != NULL;
		r = fn(&block, arg);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(body, (size_t)body_len);
		name = header = NULL;
		body = NULL;
		if (r != 0) {
			goto out;
		}
	}
out:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_clear_free(body, (size_t)body_len);
	BIO_free(bio);
	if (nblocks_seen != NULL) {
		*nblocks_seen = n;
	}
	return r;
}
