/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificate loading and description. Identity rules (which name matches
 * which domain) live with the checks; this module only reports what the
 * certificate says.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "certs/cert.h"
#include "certs/pem.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"

struct cert {
	X509 *x509;
};

/* A DER certificate that must be the whole input: trailing bytes are an error. */
static int cert_from_der(const uint8_t *der, size_t len, X509 **ret)
{
	const unsigned char *p = der;
	X509 *x;

	if (len > LONG_MAX) {
		return ERR_TOO_BIG;
	}
	x = d2i_X509(NULL, &p, (long)len);
	ERR_clear_error();
	if (x == NULL) {
		return ERR_PARSE;
	}
	if (p != der + len) {
		X509_free(x);
		return ERR_TRAILING;
	}
	*ret = x;
	return 0;
}

struct cert_scan {
	X509 *x509;
	bool saw_private_key;
};

static int cert_scan_block(const struct pem_block *block, void *arg)
{
	struct cert_scan *scan = arg;

	if (strcmp(block->label, "CERTIFICATE") == 0) {
		int r = cert_from_der(block->der, block->len, &scan->x509);

		return r < 0 ? r : 1;
	}
	if (strstr(block->label, "PRIVATE KEY") != NULL) {
		scan->saw_private_key = true;
	}
	return 0;
}

int cert_parse(const uint8_t *data, size_t len, struct cert **ret)
{
	struct cert_scan scan = {0};
	struct cert *c = NULL;
	int r;

	if (pem_is_pem(data, len)) {
		r = pem_scan(data, len, cert_scan_block, &scan, NULL);
		if (r < 0) {
			goto out;
		}
		if (scan.x509 == NULL) {
			r = scan.saw_private_key ? ERR_IS_KEY : ERR_NO_CERT;
			goto out;
		}
	} else if (len > 0 && data[0] == 0x30) { /* a DER SEQUENCE */
		r = cert_from_der(data, len, &scan.x509);
		if (r < 0) {
			goto out;
		}
	} else {
		r = ERR_NOT_PEM;
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		r = -ENOMEM;
		goto out;
	}
	c->x509 = scan.x509;
	scan.x509 = NULL;
	*ret = c;
	r = 0;
out:
	X509_free(scan.x509);
	return r;
}

int cert_load_file(const char *path, struct cert **ret)
{
	struct buf b;
	int r;

	r = fileio_read(path, CERT_FILE_MAX, &b);
	if (r < 0) {
		return r;
	}
	r = cert_parse(b.data, b.len, ret);
	buf_release(&b);
	return r;
}

int cert_from_x509(X509 *x, struct cert **ret)
{
	struct cert *c;

	if (x == NULL) {
		return ERR_PARSE;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	/*
	 * A reference, not a copy: i2d_X509 then d2i_X509 would decode the public key
	 * again, which is most of what a certificate costs in OpenSSL 3.0 (a fresh
	 * OSSL_DECODER_CTX per key). The up-ref is atomic, and the X509's lazily
	 * filled caches (extensions, key) are set under its own lock.
	 */
	if (!X509_up_ref(x)) {
		ERR_clear_error();
		free(c);
		return ERR_CRYPTO;
	}
	c->x509 = x;
	*ret = c;
	return 0;
}

void cert_free(struct cert *c)
{
	if (c == NULL) {
		return;
	}
	X509_free(c->x509);
	free(c);
}

static int cert_time(const ASN1_TIME *t, int64_t *ret)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
		ERR_clear_error();
		return ERR_PARSE;
	}
	*ret = (int64_t)timegm(&tm);
	return 0;
}

/* The last CN of the subject: the most specific one (RFC 6125 §6.4.4). */
static int cert_cn(X509 *x, char **ret)
{
	const X509_NAME *subject = X509_get_subject_name(x);
	int idx = -1;
	int last = -1;
	const ASN1_STRING *data;
	unsigned char *utf8 = NULL;
	int len;

	*ret = NULL;
	while ((idx = X509_NAME_get_index_by_NID(subject, NID_commonName, idx)) >= 0) {
		last = idx;
	}
	if (last < 0) {
		return 0;
	}
	data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, last));
	len = ASN1_STRING_to_UTF8(&utf8, data);
	ERR_clear_error();
	if (len < 0) {
		return 0; /* an undecodable CN names nothing */
	}
	if ((size_t)len != strlen((char *)utf8)) {
		OPENSSL_free(utf8); /* an embedded NUL: a forgery attempt, names nothing */
		return 0;
	}
	*ret = strdup((char *)utf8);
	OPENSSL_free(utf8);
	return *ret == NULL ? -ENOMEM : 0;
}

static int cert_san(X509 *x, struct san_ids *ret)
{
	int idx = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
	const ASN1_OCTET_STRING *value;

	if (idx < 0) {
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	value = X509_EXTENSION_get_data(X509_get_ext(x, idx));
	return san_decode(ASN1_STRING_get0_data(value), (size_t)ASN1_STRING_length(value), ret);
}

static void cert_key(X509 *x, struct cert_info *info)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	const char *type = "unknown";
	char group[64];
	size_t group_len = 0;

	ERR_clear_error();
	info->key_curve[0] = '\0';
	info->key_bits = 0;
	if (pk != NULL) {
		info->key_bits = EVP_PKEY_get_bits(pk);
		switch (EVP_PKEY_get_base_id(pk)) {
		case EVP_PKEY_RSA:
		case EVP_PKEY_RSA_PSS:
			type = "RSA";
			break;
		case EVP_PKEY_EC:
			type = "EC";
			if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &group_len)) {
				const char *nist = EC_curve_nid2nist(OBJ_sn2nid(group));

				snprintf(info->key_curve, sizeof(info->key_curve), "%s",
					 nist != NULL ? nist : group);
			}
			break;
		case EVP_PKEY_ED25519:
			type = "ED25519";
			break;
		case EVP_PKEY_ED448:
			type = "ED448";
			break;
		case EVP_PKEY_DSA:
			type = "DSA";
			break;
		default:
			break;
		}
	}
	snprintf(info->key_type, sizeof(info->key_type), "%s", type);
	ERR_clear_error();
}

static int cert_digest(const struct buf *der, uint8_t out[CERT_SHA256_LEN])
{
	unsigned int n = 0;

	if (!EVP_Digest(der->data, der->len, out, &n, EVP_sha256(), NULL) || n != CERT_SHA256_LEN) {
		ERR_clear_error();
		return ERR_CRYPTO;
	}
	return 0;
}

int cert_info_get(const struct cert *c, struct cert_info *ret)
{
	struct cert_info info = {0};
	struct buf der;
	int r;

	buf_init(&der, 0);
	memset(ret, 0, sizeof(*ret));
	r = cert_cn(c->x509, &info.cn);
	if (r < 0) {
		goto out;
	}
	r = cert_san(c->x509, &info.ids);
	if (r < 0) {
		goto out;
	}
	r = cert_time(X509_get0_notBefore(c->x509), &info.not_before);
	if (r < 0) {
		goto out;
	}
	r = cert_time(X509_get0_notAfter(c->x509), &info.not_after);
	if (r < 0) {
		goto out;
	}
	cert_key(c->x509, &info);
	r = cert_selected_der(c, 0, &der);
	if (r < 0) {
		goto out;
	}
	r = cert_digest(&der, info.sha256);
	if (r < 0) {
		goto out;
	}
	buf_release(&der);
	r = cert_selected_der(c, 1, &der);
	if (r < 0) {
		goto out;
	}
	r = cert_digest(&der, info.spki_sha256);
	if (r < 0) {
		goto out;
	}
	*ret = info;
	memset(&info, 0, sizeof(info));
out:
	buf_release(&der);
	cert_info_release(&info);
	return r;
}

void cert_info_release(struct cert_info *info)
{
	free(info->cn);
	info->cn = NULL;
	san_ids_release(&info->ids);
}

int cert_selected_der(const struct cert *c, unsigned selector, struct buf *ret)
{
	unsigned char *der = NULL;
	int len;
	int r;

	buf_init(ret, 0);
	if (selector == 0) {
		len = i2d_X509(c->x509, &der);
	} else if (selector == 1) {
		len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(c->x509), &der);
	} else {
		return ERR_UNSUPPORTED;
	}
	if (len <= 0) {
		ERR_clear_error();
		return ERR_CRYPTO;
	}
	buf_init(ret, (size_t)len);
	r = buf_append(ret, der, (size_t)len);
	OPENSSL_free(der);
	return r;
}
