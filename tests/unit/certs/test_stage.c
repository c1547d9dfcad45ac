/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for certs/stage: a staged certificate and key pass only when
 * they match, are valid at `now` beyond the margin and cover every name; each
 * refusal is one line naming the file. Certificates are made in-process.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs/keygen.h"
#include "certs/rollover.h"
#include "certs/stage.h"
#include "certs/tlsa.h"
#include "common/err.h"

#define DAY 86400
/* 2026-11-22T00:00:00Z */
#define NOW INT64_C(1795305600)

struct fixture {
	char dir[64];
	char crt[128];
	char key[128];
	char other_key[128];
	EVP_PKEY *k;
	EVP_PKEY *other;
};

static void write_key(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
	fclose(f);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A self-signed certificate for key valid [nb, na], with an optional CN and SAN. */
static void write_cert(const char *path, EVP_PKEY *key, int64_t nb, int64_t na, const char *cn,
		       const char *san)
{
	X509 *x = X509_new();
	X509_NAME *name;
	FILE *f;

	assert_non_null(x);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 42));
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
	name = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					       (const unsigned char *)"xdane tests", -1, -1, 0));
	if (cn != NULL) {
		assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
						       (const unsigned char *)cn, -1, -1, 0));
	}
	assert_true(X509_set_issuer_name(x, name));
	assert_true(X509_set_pubkey(x, key));
	if (san != NULL) {
		X509V3_CTX ctx;
		X509_EXTENSION *ext;

		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		assert_non_null(ext);
		assert_true(X509_add_ext(x, ext, -1));
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(PEM_write_X509(f, x));
	fclose(f);
	X509_free(x);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/xdane-stage-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->crt, sizeof(f->crt), "%s/new.crt", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/new.key", f->dir);
	snprintf(f->other_key, sizeof(f->other_key), "%s/other.key", f->dir);
	f->k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	f->other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(f->k);
	assert_non_null(f->other);
	write_key(f->key, f->k);
	write_key(f->other_key, f->other);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->crt);
	unlink(f->key);
	unlink(f->other_key);
	rmdir(f->dir);
	EVP_PKEY_free(f->k);
	EVP_PKEY_free(f->other);
	free(f);
	return 0;
}

static const char *const domain_names[] = {"example.org", "conference.example.org"};
static const struct rollover_tlsa_type shapes[] = {{3, 1, 1}, {3, 0, 1}, {3, 1, 2}};

static struct stage_request request(const struct fixture *f)
{
	struct stage_request req = {
		.cert_path = f->crt,
		.key_path = f->key,
		.names = domain_names,
		.n_names = 2,
		.now = NOW,
		.margin_s = 14 * DAY,
		.shapes = shapes,
		.n_shapes = 3,
	};

	return req;
}

/* The check fails with code and a message holding each of the parts given. */
static void assert_refused(const struct stage_request *req, int code, const char *part1,
			   const char *part2)
{
	struct stage_error err = {{0}};
	struct rollover_key rk;

	assert_int_equal(stage_check(req, &rk, &err), code);
	if (strstr(err.detail, part1) == NULL || (part2 != NULL && !strstr(err.detail, part2))) {
		fail_msg("message '%s' lacks '%s' / '%s'", err.detail, part1,
			 part2 == NULL ? "" : part2);
	}
	assert_null(strchr(err.detail, '\n'));
}

static void test_matching_pair(void **state)
{
	struct fixture *f = *state;
	struct stage_request req = request(f);
	struct stage_error err = {{0}};
	struct rollover_key rk;
	X509 *x;
	FILE *fp;
	unsigned char *der = NULL;
	int len;
	uint8_t digest[32];
	uint8_t sha512[64];
	unsigned dlen = 0;

	write_cert(f->crt, f->k, NOW - DAY, NOW + 90 * DAY, "example.org",
		   "DNS:example.org,DNS:conference.example.org");
	assert_int_equal(stage_check(&req, &rk, &err), 0);
	assert_true(rk.has_cert);
	/* The data is the key's as certs/tlsa computes it, and the certificate's for 3 0 1. */
	fp = fopen(f->crt, "r");
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	len = i2d_PUBKEY(f->k, &der);
	assert_true(len > 0);
	assert_true(EVP_Digest(der, (size_t)len, digest, &dlen, EVP_sha256(), NULL));
	assert_memory_equal(rk.spki_sha256, digest, 32);
	assert_memory_equal(rk.data[0], digest, 32);
	assert_true(EVP_Digest(der, (size_t)len, sha512, &dlen, EVP_sha512(), NULL));
	assert_memory_equal(rk.data[2], sha512, 64);
	OPENSSL_free(der);
	assert_true(X509_digest(x, EVP_sha256(), digest, &dlen));
	assert_memory_equal(rk.cert_sha256, digest, 32);
	assert_memory_equal(rk.data[1], digest, 32);
	X509_free(x);
}

static void test_mismatched_key(void **state)
{
	struct fixture *f = *state;
	struct stage_request req = request(f);

	write_cert(f->crt, f->k, NOW - DAY, NOW + 90 * DAY, NULL,
		   "DNS:example.org,DNS:conference.example.org");
	req.key_path = f->other_key;
	assert_refused(&req, -EKEYREJECTED, "new.crt: the key in ", "other.key does not match");
}

static void test_dates(void **state)
{
	static const struct {
		int64_t nb, na;
		const char *msg;
	} cases[] = {
		{NOW - 400 * DAY, NOW - 5 * DAY + 3600, "new.crt: expired on 2026-11-17T01:00:00Z"},
		{NOW - 400 * DAY, NOW, "expired on 2026-11-22T00:00:00Z"},
		{NOW + 3600, NOW + 90 * DAY, "not valid before 2026-11-22T01:00:00Z"},
		{NOW - DAY, NOW + 3 * DAY, "expires on 2026-11-25T00:00:00Z, within the 14-day"},
		{NOW - DAY, NOW + 14 * DAY, "within the 14-day margin"},
	};
	struct fixture *f = *state;
	struct stage_request req = request(f);
	struct stage_error err;
	struct rollover_key rk;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_cert(f->crt, f->k, cases[i].nb, cases[i].na, NULL,
			   "DNS:example.org,DNS:conference.example.org");
		assert_refused(&req, -EKEYEXPIRED, cases[i].msg, NULL);
	}
	/* Just past the margin, and with no margin at all. */
	write_cert(f->crt, f->k, NOW, NOW + 14 * DAY + 1, NULL,
		   "DNS:example.org,DNS:conference.example.org");
	assert_int_equal(stage_check(&req, &rk, &err), 0);
	write_cert(f->crt, f->k, NOW - DAY, NOW + 3 * DAY, NULL,
		   "DNS:example.org,DNS:conference.example.org");
	req.margin_s = 0;
	assert_int_equal(stage_check(&req, &rk, &err), 0);
}

static void test_names(void **state)
{
	static const struct {
		const char *cn;
		const char *san;
		int ok;
	} cases[] = {
		{NULL, "DNS:example.org,DNS:conference.example.org", 1},
		{NULL, "DNS:EXAMPLE.ORG.,DNS:*.example.org", 1},
		{NULL, "DNS:example.org,DNS:*.Example.Org", 1},
		/* SRV-IDs for the domain, a wildcard for the MUC */
		{NULL,
		 "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-client.example.org,DNS:*.example.org",
		 1},
		/* The CN counts only without a DNS-ID or SRV-ID. */
		{"example.org", "DNS:conference.example.org", 0},
		{"example.org", NULL, 0},
		{NULL, "DNS:example.org", 0},
		{NULL, "DNS:*.example.org", 0},
		{NULL, "DNS:example.org,DNS:*.org", 0},
		{NULL, "DNS:example.org,DNS:*", 0},
		{NULL, "DNS:example.org,DNS:conf*.example.org", 0},
		{NULL, "DNS:example.org,DNS:*.*.org", 0},
		{NULL, "DNS:example.net,DNS:conference.example.net", 0},
		{NULL, "DNS:example.org,DNS:*.conference.example.org", 0},
	};
	struct fixture *f = *state;
	struct stage_request req = request(f);
	struct stage_error err;
	struct rollover_key rk;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_cert(f->crt, f->k, NOW - DAY, NOW + 90 * DAY, cases[i].cn, cases[i].san);
		if (cases[i].ok) {
			assert_int_equal(stage_check(&req, &rk, &err), 0);
		} else {
			assert_refused(&req, -EBADMSG, "new.crt: does not cover '", "it names");
		}
	}
	/* A CN alone covers a domain when there is no SAN at all. */
	write_cert(f->crt, f->k, NOW - DAY, NOW + 90 * DAY, "example.org", NULL);
	req.n_names = 1;
	assert_int_equal(stage_check(&req, &rk, &err), 0);
}

static void test_dns_id_matches(void **state)
{
	static const struct {
		const char *pattern, *name;
		int want;
	} cases[] = {
		{"example.org", "example.org", 1},
		{"example.org.", "Example.ORG", 1},
		{"example.org", "example.org.", 1},
		{"*.example.org", "a.example.org", 1},
		{"*.example.org", "a.example.org.", 1},
		{"*.example.org", "example.org", 0},
		{"*.example.org", "a.b.example.org", 0},
		{"*.example.org", ".example.org", 0},
		{"*.org", "example.org", 0},
		{"*", "org", 0},
		{"*.", "org", 0},
		{"a*.example.org", "ab.example.org", 0},
		{"*.*.example.org", "a.b.example.org", 0},
		{"*example.org", "aexample.org", 0},
		{"", "", 0},
		{"example.org", "xexample.org", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (stage_dns_id_matches(cases[i].pattern, cases[i].name) != cases[i].want) {
			fail_msg("'%s' vs '%s': want %d", cases[i].pattern, cases[i].name,
				 cases[i].want);
		}
	}
}

static void test_bad_files(void **state)
{
	struct fixture *f = *state;
	struct stage_request req = request(f);
	char missing[160];

	write_cert(f->crt, f->k, NOW - DAY, NOW + 90 * DAY, NULL,
		   "DNS:example.org,DNS:conference.example.org");
	snprintf(missing, sizeof(missing), "%s/absent.key", f->dir);
	req.key_path = missing;
	assert_refused(&req, -ENOENT, "absent.key: ", NULL);

	req = request(f);
	req.cert_path = missing;
	assert_refused(&req, -ENOENT, "absent.key: ", NULL);

	/* The certificate where the key should be, the key where the certificate should be. */
	req = request(f);
	req.key_path = f->crt;
	assert_refused(&req, ERR_IS_CERT, "new.crt: ", err_str(ERR_IS_CERT));
	req = request(f);
	req.cert_path = f->key;
	assert_refused(&req, ERR_IS_KEY, "new.key: ", err_str(ERR_IS_KEY));

	write_text(f->other_key, "-----BEGIN PRIVATE KEY-----\nnot base64!\n"
				 "-----END PRIVATE KEY-----\n");
	req = request(f);
	req.key_path = f->other_key;
	assert_refused(&req, ERR_PARSE, "other.key: ", NULL);
	write_text(f->other_key, "garbage");
	assert_refused(&req, ERR_NOT_PEM, "other.key: ", NULL);
	write_text(f->other_key, "");
	assert_refused(&req, ERR_NOT_PEM, "other.key: ", NULL);

	write_text(f->crt, "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n");
	req = request(f);
	assert_refused(&req, ERR_PARSE, "new.crt: ", NULL);
	write_text(f->crt, "\x30\x82\xff\xff");
	assert_refused(&req, ERR_PARSE, "new.crt: ", NULL);
	/* A directory is neither. */
	req.cert_path = f->dir;
	assert_refused(&req, -EISDIR, f->dir, NULL);
}

static void test_shapes(void **state)
{
	static const struct rollover_tlsa_type full[] = {{3, 1, 0}};
	struct fixture *f = *state;
	struct stage_request req = request(f);

	write_cert(f->crt, f->k, NOW - DAY, NOW + 90 * DAY, NULL,
		   "DNS:example.org,DNS:conference.example.org");
	req.shapes = full;
	req.n_shapes = 1;
	assert_refused(&req, ERR_UNSUPPORTED, "new.crt: TLSA data", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_matching_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mismatched_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test(test_dns_id_matches),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shapes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
