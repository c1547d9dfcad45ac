/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for certs/cert and certs/pkey: what a certificate says, and a
 * clear error for every kind of wrong input. Expected digests were computed
 * with the openssl CLI on the files in tests/data. A cert made from an X509
 * OpenSSL already holds (cert_from_x509) must say exactly what cert_parse says.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "certs/cert.h"
#include "certs/pkey.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hexstr.h"

#define DATA(name) XDANE_TEST_DATA "/" name

static void assert_hex(const uint8_t *data, size_t len, const char *want)
{
	char *hex = hexstr_encode(data, len);

	assert_string_equal(hex, want);
	free(hex);
}

static void read_file(const char *path, struct buf *b)
{
	assert_int_equal(fileio_read(path, CERT_FILE_MAX, b), 0);
}

static void test_xmpp_cert_info(void **state)
{
	const char *files[] = {DATA("xmpp.pem"), DATA("xmpp.der")};
	struct cert_info info;
	struct cert *c;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(cert_load_file(files[i], &c), 0);
		assert_int_equal(cert_info_get(c, &info), 0);
		assert_string_equal(info.cn, "example.org");
		assert_int_equal(info.ids.dns_ids.n, 2);
		assert_string_equal(info.ids.dns_ids.v[1], "xmpp.example.org");
		assert_int_equal(info.ids.srv_ids.n, 2);
		assert_string_equal(info.ids.srv_ids.v[0], "_xmpp-client.example.org");
		assert_string_equal(info.ids.srv_ids.v[1], "_xmpp-server.example.org");
		assert_int_equal(info.ids.xmpp_addrs.n, 2);
		/* openssl's config reader took the UTF-8 of "ü" for Latin-1 and encoded it again */
		assert_string_equal(info.ids.xmpp_addrs.v[1], "r\xc3\x83\xc2\xbc"
							      "diger@example.org");
		assert_int_equal(info.not_before, 1795307679);
		assert_int_equal(info.not_after, 2110667679);
		assert_string_equal(info.key_type, "EC");
		assert_string_equal(info.key_curve, "P-256");
		assert_int_equal(info.key_bits, 256);
		assert_hex(info.sha256, 32,
			   "91d7c554ac88ad7fc8ad83441257c0cf6385a04a1a3d29793eaca4cb0a454db4");
		assert_hex(info.spki_sha256, 32,
			   "6f2b7d939c5e559f2fb46f7e26945e6f32e4c6a51223e15a71fc0839e8202c8f");
		cert_info_release(&info);
		cert_free(c);
	}
}

static void test_rsa_cert_last_cn(void **state)
{
	struct cert_info info;
	struct cert *c;

	(void)state;
	assert_int_equal(cert_load_file(DATA("rsa.pem"), &c), 0);
	assert_int_equal(cert_info_get(c, &info), 0);
	assert_string_equal(info.cn, "last.example");
	assert_int_equal(info.ids.dns_ids.n, 0);
	assert_string_equal(info.key_type, "RSA");
	assert_string_equal(info.key_curve, "");
	assert_int_equal(info.key_bits, 2048);
	cert_info_release(&info);
	cert_free(c);
}

/* A PEM file with a key first and the certificate second: the certificate wins. */
static void test_key_then_cert(void **state)
{
	struct buf key, pem, both;
	struct cert *c;

	(void)state;
	read_file(DATA("xmpp.key"), &key);
	read_file(DATA("xmpp.pem"), &pem);
	buf_init(&both, CERT_FILE_MAX);
	assert_int_equal(buf_append(&both, key.data, key.len), 0);
	assert_int_equal(buf_append(&both, pem.data, pem.len), 0);
	assert_int_equal(cert_parse(both.data, both.len, &c), 0);
	cert_free(c);
	buf_release(&key);
	buf_release(&pem);
	buf_release(&both);
}

static void test_wrong_inputs(void **state)
{
	static const char corrupt_pem[] = "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n"
					  "-----END CERTIFICATE-----\n";
	struct cert *c = NULL;
	struct buf der;

	(void)state;
	assert_int_equal(cert_load_file(DATA("xmpp.key"), &c), ERR_IS_KEY);
	assert_int_equal(cert_load_file(DATA("encrypted.key"), &c), ERR_IS_KEY);
	assert_int_equal(cert_load_file(DATA("xmpp.pub"), &c), ERR_NO_CERT);
	assert_int_equal(cert_load_file(DATA("dnskeys.zone"), &c), ERR_NOT_PEM);
	assert_int_equal(cert_load_file(DATA("missing.pem"), &c), -ENOENT);
	assert_int_equal(cert_parse((const uint8_t *)"", 0, &c), ERR_NOT_PEM);
	assert_int_equal(cert_parse((const uint8_t *)corrupt_pem, sizeof(corrupt_pem) - 1, &c),
			 ERR_PARSE);
	read_file(DATA("xmpp.der"), &der);
	assert_int_equal(cert_parse(der.data, der.len - 10, &c), ERR_PARSE);
	assert_int_equal(cert_parse(der.data, 1, &c), ERR_PARSE);
	assert_int_equal(buf_append(&der, "\0", 1), 0);
	assert_int_equal(cert_parse(der.data, der.len, &c), ERR_TRAILING);
	assert_null(c);
	buf_release(&der);
}

static void test_keys(void **state)
{
	const char *files[] = {DATA("xmpp.key"), DATA("xmpp.pub")};
	struct cert *c;
	struct buf want, got;
	struct pkey *k = NULL;
	size_t i;

	(void)state;
	assert_int_equal(cert_load_file(DATA("xmpp.pem"), &c), 0);
	assert_int_equal(cert_selected_der(c, 1, &want), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pkey_load_file(files[i], &k), 0);
		assert_int_equal(pkey_spki_der(k, &got), 0);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, want.len);
		buf_release(&got);
		pkey_free(k);
	}
	buf_release(&want);
	cert_free(c);
	k = NULL;
	assert_int_equal(pkey_load_file(DATA("encrypted.key"), &k), ERR_ENCRYPTED_KEY);
	assert_int_equal(pkey_load_file(DATA("xmpp.pem"), &k), ERR_IS_CERT);
	assert_int_equal(pkey_load_file(DATA("dnskeys.zone"), &k), ERR_NOT_PEM);
	assert_int_equal(pkey_parse((const uint8_t *)"\x30\x03\x02\x01\x00", 5, &k), ERR_PARSE);
	assert_null(k);
}

/* --- cert_from_x509 against cert_parse ----------------------------------------------- */

static void assert_strlist_equal(const struct strlist *a, const struct strlist *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_string_equal(a->v[i], b->v[i]);
	}
}

static void assert_selected_equal(const struct cert *a, const struct cert *b)
{
	struct buf da, db;
	unsigned selector;

	for (selector = 0; selector < 2; selector++) {
		assert_int_equal(cert_selected_der(a, selector, &da), 0);
		assert_int_equal(cert_selected_der(b, selector, &db), 0);
		assert_int_equal(da.len, db.len);
		assert_memory_equal(da.data, db.data, da.len);
		buf_release(&da);
		buf_release(&db);
	}
}

/* Every field of cert_info, and the DER both selectors pick; returns a's identities. */
static size_t assert_certs_equal(const struct cert *a, const struct cert *b)
{
	size_t n_ids;

	struct cert_info ia, ib;

	assert_int_equal(cert_info_get(a, &ia), 0);
	assert_int_equal(cert_info_get(b, &ib), 0);
	if (ia.cn == NULL || ib.cn == NULL) {
		assert_null(ia.cn);
		assert_null(ib.cn);
	} else {
		assert_string_equal(ia.cn, ib.cn);
	}
	assert_strlist_equal(&ia.ids.dns_ids, &ib.ids.dns_ids);
	assert_strlist_equal(&ia.ids.srv_ids, &ib.ids.srv_ids);
	assert_strlist_equal(&ia.ids.xmpp_addrs, &ib.ids.xmpp_addrs);
	assert_int_equal(ia.ids.n_rejected, ib.ids.n_rejected);
	assert_int_equal(ia.not_before, ib.not_before);
	assert_int_equal(ia.not_after, ib.not_after);
	assert_string_equal(ia.key_type, ib.key_type);
	assert_string_equal(ia.key_curve, ib.key_curve);
	assert_int_equal(ia.key_bits, ib.key_bits);
	assert_memory_equal(ia.sha256, ib.sha256, CERT_SHA256_LEN);
	assert_memory_equal(ia.spki_sha256, ib.spki_sha256, CERT_SHA256_LEN);
	n_ids = ia.ids.dns_ids.n + ia.ids.srv_ids.n + ia.ids.xmpp_addrs.n + ia.ids.n_rejected;
	cert_info_release(&ia);
	cert_info_release(&ib);
	assert_selected_equal(a, b);
	return n_ids;
}

/*
 * x given to cert_from_x509 twice: as it is, and decoded from its DER the way a
 * TLS handshake decodes a peer's certificate; each against cert_parse of the DER.
 * The caller's reference is dropped before the certs are used: each holds its own.
 */
static size_t assert_from_x509_as_parsed(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_X509(x, &der);
	struct cert *parsed = NULL, *held = NULL, *decoded = NULL;
	X509 *x2;
	size_t n_ids;

	assert_true(len > 0);
	assert_int_equal(cert_parse(der, (size_t)len, &parsed), 0);
	p = der;
	x2 = d2i_X509(NULL, &p, len);
	assert_non_null(x2);
	assert_int_equal(cert_from_x509(x, &held), 0);
	assert_int_equal(cert_from_x509(x2, &decoded), 0);
	X509_free(x2);
	X509_free(x);
	n_ids = assert_certs_equal(parsed, held);
	assert_certs_equal(parsed, decoded);
	cert_free(parsed);
	cert_free(held);
	cert_free(decoded);
	OPENSSL_free(der);
	return n_ids;
}

static void test_from_x509_data_files(void **state)
{
	const char *files[] = {DATA("xmpp.pem"), DATA("xmpp.der"), DATA("rsa.pem")};
	struct cert *c;
	struct buf der;
	const unsigned char *p;
	X509 *x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		assert_int_equal(cert_load_file(files[i], &c), 0);
		assert_int_equal(cert_selected_der(c, 0, &der), 0);
		cert_free(c);
		p = der.data;
		x = d2i_X509(NULL, &p, (long)der.len);
		assert_non_null(x);
		assert_from_x509_as_parsed(x);
		buf_release(&der);
	}
	assert_int_equal(cert_from_x509(NULL, &c), ERR_PARSE);
}

static void add_san(X509 *x, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, value);
	assert_non_null(ext);
	assert_true(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
}

/* A self-signed certificate for key, with the subject and SAN given (either may be NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *const *cns, size_t n_cns, const char *san)
{
	X509 *x = X509_new();
	X509_NAME *name;
	size_t i;

	assert_non_null(x);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 4711));
	/* Fixed dates, one before 2050 (UTCTime) and one after (GeneralizedTime). */
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), 1795307679));
	assert_true(ASN1_TIME_set_string(X509_getm_notAfter(x), "20610101000000Z"));
	name = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					       (const unsigned char *)"xdane tests", -1, -1, 0));
	for (i = 0; i < n_cns; i++) {
		assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
						       (const unsigned char *)cns[i], -1, -1, 0));
	}
	assert_true(X509_set_issuer_name(x, name));
	assert_true(X509_set_pubkey(x, key));
	if (san != NULL) {
		add_san(x, san);
	}
	assert_true(X509_sign(x, key,
			      EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) > 0);
	return x;
}

/* Many names of every kind, a UTF-8 xmppAddr, and one DNS-ID with a NUL (rejected). */
static char *many_names(void)
{
	size_t cap = 16384, n = 0;
	char *s = malloc(cap);
	int i;

	assert_non_null(s);
	for (i = 0; i < 60; i++) {
		n += (size_t)snprintf(s + n, cap - n, "DNS:host%d.example.org,", i);
	}
	for (i = 0; i < 20; i++) {
		n += (size_t)snprintf(s + n, cap - n,
				      "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-%s.d%d.example,",
				      i % 2 ? "server" : "client", i);
		n += (size_t)snprintf(s + n, cap - n,
				      "otherName:1.3.6.1.5.5.7.8.5;UTF8:r\xc3\xbc"
				      "diger%d@d%d.example,",
				      i, i);
	}
	n += (size_t)snprintf(s + n, cap - n, "DNS:*.wild.example,IP:192.0.2.1,");
	n += (size_t)snprintf(s + n, cap - n, "otherName:1.3.6.1.5.5.7.8.5;IA5STRING:wrong@type");
	assert_true(n < cap);
	return s;
}

static void test_from_x509_generated(void **state)
{
	static const char *const two_cns[] = {"first.example", "l\xc3\xa4st.example"};
	static const char *const one_cn[] = {"example.net"};
	char *san = many_names();
	EVP_PKEY *keys[4];
	size_t i;

	(void)state;
	keys[0] = EVP_RSA_gen(2048);
	keys[1] = EVP_EC_gen("P-384");
	keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	keys[3] = EVP_EC_gen("P-256");
	for (i = 0; i < 4; i++) {
		assert_non_null(keys[i]);
		/* 61 DNS-IDs, 20 SRV-IDs, 20 xmppAddrs, 1 rejected (the IP is no identity) */
		assert_int_equal(assert_from_x509_as_parsed(make_cert(keys[i], two_cns, 2, san)),
				 102);
		assert_from_x509_as_parsed(make_cert(keys[i], one_cn, 1, "DNS:example.net"));
		assert_from_x509_as_parsed(make_cert(keys[i], NULL, 0, NULL));
		EVP_PKEY_free(keys[i]);
	}
	free(san);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xmpp_cert_info),
		cmocka_unit_test(test_rsa_cert_last_cn),
		cmocka_unit_test(test_key_then_cert),
		cmocka_unit_test(test_wrong_inputs),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_from_x509_data_files),
		cmocka_unit_test(test_from_x509_generated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
