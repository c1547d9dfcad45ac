/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generating, storing and reloading the private keys xdane owns, and their
 * CSRs. Publishing their TLSA records is the rollover engine's and zonegen's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs/keygen.h"
#include "certs/pkey.h"
#include "certs/rollover.h"
#include "certs/tlsa.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"

struct keygen_key {
	EVP_PKEY *evp;
};

/* RFC 1035 §2.3.4: a name in presentation form without the root dot. */
#define KEYGEN_NAME_MAX 253
/* X.520 ub-common-name: a longer CN cannot be encoded. */
#define KEYGEN_CN_MAX 64

static void keygen_fail(struct keygen_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void keygen_fail(struct keygen_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

int keygen_type_parse(const char *name, enum keygen_type *ret)
{
	if (strcmp(name, "ec-p256") == 0 || strcmp(name, "ec") == 0 || strcmp(name, "p256") == 0) {
		*ret = KEYGEN_EC_P256;
	} else if (strcmp(name, "rsa2048") == 0) {
		*ret = KEYGEN_RSA_2048;
	} else if (strcmp(name, "rsa3072") == 0) {
		*ret = KEYGEN_RSA_3072;
	} else {
		return -EINVAL;
	}
	return 0;
}

static struct keygen_key *keygen_wrap(EVP_PKEY *evp)
{
	struct keygen_key *k = calloc(1, sizeof(*k));

	if (k != NULL) {
		k->evp = evp;
	}
	return k;
}

int keygen_generate(enum keygen_type type, struct keygen_key **ret)
{
	EVP_PKEY *evp = NULL;
	struct keygen_key *k;
	int r = ERR_CRYPTO;

	switch (type) {
	case KEYGEN_EC_P256:
		evp = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case KEYGEN_RSA_2048:
		evp = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case KEYGEN_RSA_3072:
		evp = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	default:
		r = ERR_UNSUPPORTED;
		goto out;
	}
	ERR_clear_error();
	if (evp == NULL) {
		goto out;
	}
	k = keygen_wrap(evp);
	if (k == NULL) {
		r = -ENOMEM;
		goto out;
	}
	evp = NULL;
	*ret = k;
	r = 0;
out:
	EVP_PKEY_free(evp);
	return r;
}

void keygen_free(struct keygen_key *k)
{
	if (k == NULL) {
		return;
	}
	EVP_PKEY_free(k->evp); /* OpenSSL cleanses private key material */
	free(k);
}

/* A key file is replaceable by whoever may write its directory: refuse a shared one. */
static int keygen_check_dir(const char *path, struct keygen_error *err)
{
	char *dir = strdup(path);
	char *slash;
	struct stat st;
	int r;

	if (dir == NULL) {
		return -ENOMEM;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		strcpy(dir, ".");
	} else if (slash == dir) {
		dir[1] = '\0';
	} else {
		*slash = '\0';
	}
	if (stat(dir, &st) < 0) {
		r = -errno;
		keygen_fail(err, "key directory '%s': %s", dir, strerror(errno));
		goto out;
	}
	if ((st.st_mode & 022) != 0) {
		r = -EPERM;
		keygen_fail(err,
			    "key directory '%s' has mode %04o: writable by group or others, who "
			    "could replace the key; chmod go-w it",
			    dir, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		r = -EPERM;
		keygen_fail(err, "key directory '%s' is owned by uid %u, not by this user (%u)",
			    dir, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	r = 0;
out:
	free(dir);
	return r;
}

int keygen_write(const struct keygen_key *k, const char *path, struct keygen_error *err)
{
	struct fileio_error ferr;
	BUF_MEM *mem = NULL;
	struct stat st;
	BIO *bio = NULL;
	int r;

	r = keygen_check_dir(path, err);
	if (r < 0) {
		goto out;
	}
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(bio, k->evp, NULL, NULL, 0, NULL, NULL) != 1 ||
	    BIO_get_mem_ptr(bio, &mem) != 1 || mem == NULL) {
		ERR_clear_error();
		r = ERR_CRYPTO;
		keygen_fail(err, "key file '%s': cannot encode the key", path);
		goto out;
	}
	r = fileio_write_atomic(path, mem->data, mem->length, 0600, &ferr);
	if (r < 0) {
		keygen_fail(err, "key file '%s': %s", path, ferr.detail);
		goto out;
	}
	/* fileio_write_atomic follows a link and keeps the owner where it can: see what we made. */
	if (stat(path, &st) < 0) {
		r = -errno;
		keygen_fail(err, "key file '%s': %s", path, strerror(errno));
		goto out;
	}
	if ((st.st_mode & 07777) != 0600 || st.st_uid != geteuid()) {
		r = -EPERM;
		keygen_fail(err,
			    "key file '%s' has mode %04o and uid %u after writing, not 0600 and %u",
			    path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
			    (unsigned)geteuid());
		goto out;
	}
	r = 0;
out:
	if (mem != NULL && mem->data != NULL) {
		OPENSSL_cleanse(mem->data, mem->length);
	}
	BIO_free(bio);
	return r;
}

int keygen_parse(const uint8_t *data, size_t len, struct keygen_key **ret)
{
	EVP_PKEY *evp = NULL;
	struct keygen_key *k;
	int r = pkey_parse_private(data, len, &evp);

	if (r < 0) {
		return r;
	}
	k = keygen_wrap(evp);
	if (k == NULL) {
		EVP_PKEY_free(evp);
		return -ENOMEM;
	}
	*ret = k;
	return 0;
}

int keygen_load(const char *path, struct keygen_key **ret, struct keygen_error *err)
{
	char chunk[4096];
	struct stat st;
	struct buf b;
	ssize_t n;
	int fd;
	int r;

	buf_init(&b, PKEY_FILE_MAX);
	/* Checked on the descriptor we read, so the file cannot change between the two. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		keygen_fail(err, "key file '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EPERM;
		keygen_fail(err, "key file '%s' is not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = -EPERM;
		keygen_fail(err,
			    "key file '%s' has mode %04o: readable or writable by group or others; "
			    "chmod 600 it",
			    path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		r = -EPERM;
		keygen_fail(err, "key file '%s' is owned by uid %u, not by this user (%u)", path,
			    (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			r = -errno;
			keygen_fail(err, "key file '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0) {
			break;
		}
		r = buf_append(&b, chunk, (size_t)n);
		if (r < 0) {
			keygen_fail(err, "key file '%s': %s", path, err_str(r));
			goto out;
		}
	}
	r = keygen_parse(b.data, b.len, ret);
	if (r < 0) {
		keygen_fail(err, "key file '%s': %s", path, err_str(r));
	}
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (fd >= 0) {
		close(fd);
	}
	buf_release(&b); /* cleanses */
	return r;
}

int keygen_public(const struct keygen_key *k, struct pkey **ret)
{
	unsigned char *der = NULL;
	int len;
	int r;

	len = i2d_PUBKEY(k->evp, &der);
	if (len <= 0) {
		ERR_clear_error();
		return ERR_CRYPTO;
	}
	r = pkey_parse(der, (size_t)len, ret);
	OPENSSL_free(der);
	return r;
}

int keygen_matches_spki(const struct keygen_key *k, const uint8_t *spki, size_t len)
{
	const unsigned char *p = spki;
	EVP_PKEY *pub;
	int r;

	if (len > LONG_MAX) {
		return ERR_PARSE;
	}
	pub = d2i_PUBKEY(NULL, &p, (long)len);
	if (pub == NULL || p != spki + len) {
		r = ERR_PARSE;
		goto out;
	}
	r = EVP_PKEY_eq(k->evp, pub) == 1 ? 1 : 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(pub);
	return r;
}

int keygen_tlsa(const struct keygen_key *k, unsigned usage, unsigned selector, unsigned mtype,
		struct tlsa_record *ret)
{
	struct pkey *pub = NULL;
	int r;

	r = keygen_public(k, &pub);
	if (r < 0) {
		return r;
	}
	r = tlsa_from_pkey(pub, usage, selector, mtype, ret);
	pkey_free(pub);
	return r;
}

int keygen_rollover_key(const struct keygen_key *k, const struct rollover_tlsa_type *shapes,
			size_t n, struct rollover_key *ret)
{
	struct rollover_key key = {0};
	struct tlsa_record rec = {0};
	struct pkey *pub = NULL;
	size_t i;
	int r;

	if (n > ROLLOVER_SHAPE_MAX) {
		return -EINVAL;
	}
	r = keygen_public(k, &pub);
	if (r < 0) {
		goto out;
	}
	r = tlsa_from_pkey(pub, TLSA_USAGE_DANE_EE, TLSA_SELECTOR_SPKI, TLSA_MTYPE_SHA256, &rec);
	if (r < 0) {
		goto out;
	}
	memcpy(key.spki_sha256, rec.data, sizeof(key.spki_sha256));
	tlsa_record_release(&rec);
	for (i = 0; i < n; i++) {
		if (shapes[i].mtype == TLSA_MTYPE_FULL) {
			r = ERR_UNSUPPORTED;
			goto out;
		}
		r = tlsa_from_pkey(pub, shapes[i].usage, shapes[i].selector, shapes[i].mtype, &rec);
		if (r < 0) {
			goto out;
		}
		if (rec.len > ROLLOVER_DATA_MAX) {
			r = ERR_UNSUPPORTED;
			goto out;
		}
		memcpy(key.data[i], rec.data, rec.len);
		tlsa_record_release(&rec);
	}
	*ret = key;
	r = 0;
out:
	tlsa_record_release(&rec);
	pkey_free(pub);
	return r;
}

/* LDH names, wildcards and underscores allowed; nothing an ACME server would choke on. */
static bool keygen_name_is_ok(const char *name)
{
	size_t len = strlen(name);
	size_t i;

	if (len == 0 || len > KEYGEN_NAME_MAX) {
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= 0x20 || c >= 0x7f || c == ',') {
			return false;
		}
	}
	return true;
}

static int keygen_san_add(GENERAL_NAMES *gens, const char *name)
{
	GENERAL_NAME *gen = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	int i;

	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *s = g->d.dNSName;

		if ((size_t)ASN1_STRING_length(s) == strlen(name) &&
		    strncasecmp((const char *)ASN1_STRING_get0_data(s), name, strlen(name)) == 0) {
			return 0;
		}
	}
	gen = GENERAL_NAME_new();
	ia5 = ASN1_IA5STRING_new();
	if (gen == NULL || ia5 == NULL || !ASN1_STRING_set(ia5, name, (int)strlen(name))) {
		goto fail;
	}
	GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
	ia5 = NULL;
	if (!sk_GENERAL_NAME_push(gens, gen)) {
		goto fail;
	}
	return 0;
fail:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gen);
	return -ENOMEM;
}

int keygen_csr_pem(const struct keygen_key *k, const char *domain, const char *const *names,
		   size_t n, struct buf *ret)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *gens = NULL;
	X509_EXTENSION *ext = NULL;
	X509_REQ *req = NULL;
	BUF_MEM *mem = NULL;
	BIO *bio = NULL;
	struct buf out;
	size_t i;
	int r = -EINVAL;

	buf_init(&out, 0);
	if (n > KEYGEN_CSR_NAMES_MAX || !keygen_name_is_ok(domain)) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!keygen_name_is_ok(names[i])) {
			goto out;
		}
	}
	r = ERR_CRYPTO;
	req = X509_REQ_new();
	gens = GENERAL_NAMES_new();
	exts = sk_X509_EXTENSION_new_null();
	if (req == NULL || gens == NULL || exts == NULL || !X509_REQ_set_version(req, 0)) {
		goto out;
	}
	if (strlen(domain) <= KEYGEN_CN_MAX &&
	    !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
					(const unsigned char *)domain, -1, -1, 0)) {
		goto out;
	}
	r = keygen_san_add(gens, domain);
	for (i = 0; r == 0 && i < n; i++) {
		r = keygen_san_add(gens, names[i]);
	}
	if (r < 0) {
		goto out;
	}
	r = ERR_CRYPTO;
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
	if (ext == NULL || !sk_X509_EXTENSION_push(exts, ext)) {
		goto out;
	}
	ext = NULL;
	if (!X509_REQ_add_extensions(req, exts) || !X509_REQ_set_pubkey(req, k->evp) ||
	    X509_REQ_sign(req, k->evp, EVP_sha256()) <= 0) {
		goto out;
	}
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || !PEM_write_bio_X509_REQ(bio, req) || BIO_get_mem_ptr(bio, &mem) != 1) {
		goto out;
	}
	buf_init(&out, mem->length);
	r = buf_append(&out, mem->data, mem->length);
	if (r < 0) {
		goto out;
	}
	*ret = out;
	buf_init(&out, 0);
	r = 0;
out:
	ERR_clear_error();
	buf_release(&out);
	BIO_free(bio);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	X509_REQ_free(req);
	return r;
}
