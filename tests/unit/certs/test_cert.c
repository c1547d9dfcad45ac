/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for certs/cert and certs/pkey: what a certificate says, and a
 * clear error for every kind of wrong input. Expected digests were computed
 * with the openssl CLI on the files in tests/data.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xmpp_cert_info), cmocka_unit_test(test_rsa_cert_last_cn),
		cmocka_unit_test(test_key_then_cert),  cmocka_unit_test(test_wrong_inputs),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
