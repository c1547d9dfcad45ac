/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for certs/tlsa: association data for every selector and matching type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "certs/cert.h"
#include "certs/pkey.h"
#include "certs/tlsa.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/hexstr.h"

#define DATA(name) XDANE_TEST_DATA "/" name

/* openssl x509 ... | openssl pkey -pubin -outform DER | sha256sum / sha512sum */
static const char spki_sha256[] =
	"6f2b7d939c5e559f2fb46f7e26945e6f32e4c6a51223e15a71fc0839e8202c8f";
static const char spki_sha512[] =
	"95e8323f51f7b0925eb36424a02e07b9605285449587be2bf94de28619629c92"
	"fd2ce25a183407f7196c72287a2ffeb272c22cf3f027a2ef84210b8a72d07579";
static const char cert_sha256[] =
	"91d7c554ac88ad7fc8ad83441257c0cf6385a04a1a3d29793eaca4cb0a454db4";

static void assert_record(const struct tlsa_record *rec, unsigned u, unsigned s, unsigned m,
			  const char *hex_want)
{
	char *hex = hexstr_encode(rec->data, rec->len);

	assert_int_equal(rec->usage, u);
	assert_int_equal(rec->selector, s);
	assert_int_equal(rec->mtype, m);
	assert_string_equal(hex, hex_want);
	free(hex);
}

static void test_from_cert(void **state)
{
	static const struct {
		unsigned u, s, m;
		const char *hex;
	} rows[] = {
		{3, 1, 1, spki_sha256}, {3, 1, 2, spki_sha512}, {3, 0, 1, cert_sha256},
		{2, 1, 1, spki_sha256}, {1, 0, 1, cert_sha256}, {0, 1, 2, spki_sha512},
	};
	struct tlsa_record rec;
	struct cert *c;
	struct buf der;
	size_t i;

	(void)state;
	assert_int_equal(cert_load_file(DATA("xmpp.pem"), &c), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(tlsa_from_cert(c, rows[i].u, rows[i].s, rows[i].m, &rec), 0);
		assert_record(&rec, rows[i].u, rows[i].s, rows[i].m, rows[i].hex);
		tlsa_record_release(&rec);
	}
	/* matching type 0 carries the selected DER itself */
	assert_int_equal(tlsa_from_cert(c, 3, 1, 0, &rec), 0);
	assert_int_equal(cert_selected_der(c, 1, &der), 0);
	assert_int_equal(rec.len, der.len);
	assert_memory_equal(rec.data, der.data, der.len);
	buf_release(&der);
	tlsa_record_release(&rec);
	assert_int_equal(tlsa_from_cert(c, 4, 1, 1, &rec), ERR_UNSUPPORTED);
	assert_int_equal(tlsa_from_cert(c, 3, 2, 1, &rec), ERR_UNSUPPORTED);
	assert_int_equal(tlsa_from_cert(c, 3, 1, 3, &rec), ERR_UNSUPPORTED);
	cert_free(c);
}

static void test_from_key(void **state)
{
	struct tlsa_record rec;
	struct pkey *k;

	(void)state;
	assert_int_equal(pkey_load_file(DATA("xmpp.key"), &k), 0);
	assert_int_equal(tlsa_from_pkey(k, 3, 1, 1, &rec), 0);
	assert_record(&rec, 3, 1, 1, spki_sha256);
	tlsa_record_release(&rec);
	assert_int_equal(tlsa_from_pkey(k, 3, 0, 1, &rec), ERR_UNSUPPORTED);
	pkey_free(k);
}

static void test_is_known(void **state)
{
	(void)state;
	assert_true(tlsa_is_known(0, 0, 0));
	assert_true(tlsa_is_known(3, 1, 2));
	assert_false(tlsa_is_known(255, 1, 1));
	assert_false(tlsa_is_known(3, 255, 1));
	assert_false(tlsa_is_known(3, 1, 255));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_cert),
		cmocka_unit_test(test_from_key),
		cmocka_unit_test(test_is_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
