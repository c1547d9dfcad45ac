/* SPDX-License-Identifier: BSD-3-Clause */
/* Key loading for TLSA records of keys without a certificate (yet). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certs/pem.h"
#include "certs/pkey.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"

struct pkey {
	EVP_PKEY *evp;
};

/* DER of a private key (PKCS#8 or traditional) or a SubjectPublicKeyInfo. */
static int pkey_from_der(const uint8_t *der, size_t len, bool is_public, EVP_PKEY **ret)
{
	const unsigned char *p = der;
	EVP_PKEY *k;

	if (len > LONG_MAX) {
		return ERR_TOO_BIG;
	}
	k = is_public ? d2i_PUBKEY(NULL, &p, (long)len) : d2i_AutoPrivateKey(NULL, &p, (long)len);
	ERR_clear_error();
	if (k == NULL) {
		return ERR_PARSE;
	}
	if (p != der + len) {
		EVP_PKEY_free(k);
		return ERR_TRAILING;
	}
	*ret = k;
	return 0;
}

struct pkey_scan {
	EVP_PKEY *evp;
	bool private_only; /* PUBLIC KEY blocks are noted, not taken */
	bool saw_cert;
	bool saw_public;
};

static int pkey_scan_block(const struct pem_block *block, void *arg)
{
	struct pkey_scan *scan = arg;
	int r;

	if (strcmp(block->label, "ENCRYPTED PRIVATE KEY") == 0) {
		return ERR_ENCRYPTED_KEY;
	}
	if (strcmp(block->label, "PRIVATE KEY") == 0 ||
	    strcmp(block->label, "RSA PRIVATE KEY") == 0 ||
	    strcmp(block->label, "EC PRIVATE KEY") == 0) {
		if (block->encrypted) {
			return ERR_ENCRYPTED_KEY;
		}
		r = pkey_from_der(block->der, block->len, false, &scan->evp);
		return r < 0 ? r : 1;
	}
	if (strcmp(block->label, "PUBLIC KEY") == 0) {
		if (scan->private_only) {
			scan->saw_public = true;
			return 0;
		}
		r = pkey_from_der(block->der, block->len, true, &scan->evp);
		return r < 0 ? r : 1;
	}
	if (strcmp(block->label, "CERTIFICATE") == 0) {
		scan->saw_cert = true;
	}
	return 0;
}

/* The first key in data (PEM or DER); with private_only, private keys alone. */
static int pkey_read(const uint8_t *data, size_t len, bool private_only, EVP_PKEY **ret)
{
	struct pkey_scan scan = {.private_only = private_only};
	int r;

	if (pem_is_pem(data, len)) {
		r = pem_scan(data, len, pkey_scan_block, &scan, NULL);
		if (r < 0) {
			goto out;
		}
		if (scan.evp == NULL) {
			r = scan.saw_cert && !scan.saw_public ? ERR_IS_CERT : ERR_NO_KEY;
			goto out;
		}
	} else if (len > 0 && data[0] == 0x30) {
		r = pkey_from_der(data, len, false, &scan.evp);
		if (r < 0 && !private_only) {
			r = pkey_from_der(data, len, true, &scan.evp);
		}
		if (r < 0) {
			goto out;
		}
	} else {
		r = ERR_NOT_PEM;
		goto out;
	}
	*ret = scan.evp;
	return 0;
out:
	EVP_PKEY_free(scan.evp);
	return r;
}

int pkey_parse(const uint8_t *data, size_t len, struct pkey **ret)
{
	EVP_PKEY *evp = NULL;
	struct pkey *k;
	int r = pkey_read(data, len, false, &evp);

	if (r < 0) {
		return r;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(evp);
		return -ENOMEM;
	}
	k->evp = evp;
	*ret = k;
	return 0;
}

int pkey_parse_private(const uint8_t *data, size_t len, struct evp_pkey_st **ret)
{
	return pkey_read(data, len, true, ret);
}

int pkey_load_file(const char *path, struct pkey **ret)
{
	struct buf b;
	int r;

	r = fileio_read(path, PKEY_FILE_MAX, &b);
	if (r < 0) {
		return r;
	}
	r = pkey_parse(b.data, b.len, ret);
	buf_release(&b); /* cleanses: the file may hold a private key */
	return r;
}

void pkey_free(struct pkey *k)
{
	if (k == NULL) {
		return;
	}
	EVP_PKEY_free(k->evp); /* OpenSSL cleanses private key material */
	free(k);
}

int pkey_spki_der(const struct pkey *k, struct buf *ret)
{
	unsigned char *der = NULL;
	int len;
	int r;

	buf_init(ret, 0);
	len = i2d_PUBKEY(k->evp, &der);
	if (len <= 0) {
		ERR_clear_error();
		return ERR_CRYPTO;
	}
	buf_init(ret, (size_t)len);
	r = buf_append(ret, der, (size_t)len);
	OPENSSL_free(der);
	return r;
}
