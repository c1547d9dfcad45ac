/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for certs/san: SRV-IDs and xmppAddrs decoded, malformed names
 * skipped and counted, malformed DER refused. GeneralNames are built with
 * OpenSSL so each case differs from a valid one in exactly one way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509v3.h>

#include "certs/san.h"
#include "common/err.h"

static GENERAL_NAMES *names;

static int setup(void **state)
{
	(void)state;
	names = GENERAL_NAMES_new();
	return names == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	GENERAL_NAMES_free(names);
	return 0;
}

static void add_dns(const char *s, size_t len)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

	assert_true(ASN1_STRING_set(ia5, s, (int)len));
	GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
	assert_true(sk_GENERAL_NAME_push(names, gn) > 0);
}

static void add_other(int nid, int type, const char *s, size_t len)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_STRING *str = ASN1_STRING_type_new(type);
	ASN1_TYPE *value = ASN1_TYPE_new();

	assert_true(ASN1_STRING_set(str, s, (int)len));
	ASN1_TYPE_set(value, type, str);
	assert_true(GENERAL_NAME_set0_othername(gn, OBJ_nid2obj(nid), value));
	assert_true(sk_GENERAL_NAME_push(names, gn) > 0);
}

/* DER of the names built so far, decoded with san_decode. */
static int decode(struct san_ids *ids)
{
	unsigned char *der = NULL;
	int len = i2d_GENERAL_NAMES(names, &der);
	int r;

	assert_true(len > 0);
	r = san_decode(der, (size_t)len, ids);
	OPENSSL_free(der);
	return r;
}

static void test_xmpp_identities(void **state)
{
	struct san_ids ids;

	(void)state;
	add_dns("example.org", 11);
	add_other(NID_SRVName, V_ASN1_IA5STRING, "_xmpp-client.example.org", 24);
	add_other(NID_SRVName, V_ASN1_IA5STRING, "_xmpp-server.example.org", 24);
	add_other(NID_XmppAddr, V_ASN1_UTF8STRING,
		  "r\xc3\xbc"
		  "diger@example.org",
		  20);
	assert_int_equal(decode(&ids), 0);
	assert_int_equal(ids.dns_ids.n, 1);
	assert_string_equal(ids.dns_ids.v[0], "example.org");
	assert_int_equal(ids.srv_ids.n, 2);
	assert_string_equal(ids.srv_ids.v[0], "_xmpp-client.example.org");
	assert_string_equal(ids.srv_ids.v[1], "_xmpp-server.example.org");
	assert_int_equal(ids.xmpp_addrs.n, 1);
	assert_string_equal(ids.xmpp_addrs.v[0], "r\xc3\xbc"
						 "diger@example.org");
	assert_int_equal(ids.n_rejected, 0);
	san_ids_release(&ids);
}

static void test_malformed_names_are_skipped(void **state)
{
	static const struct {
		int nid; /* 0: dNSName */
		int type;
		const char *s;
		size_t len;
	} bad[] = {
		{0, V_ASN1_IA5STRING, "evil.org\0.example.org", 21},	    /* embedded NUL */
		{0, V_ASN1_IA5STRING, "has space.org", 13},		    /* not a name */
		{NID_SRVName, V_ASN1_UTF8STRING, "_xmpp-client.a.org", 18}, /* wrong type */
		{NID_SRVName, V_ASN1_IA5STRING, "xmpp-client.a.org", 17},   /* no "_" */
		{NID_SRVName, V_ASN1_IA5STRING, "_xmpp-client", 12},	    /* no name */
		{NID_SRVName, V_ASN1_IA5STRING, "_.a.org", 7},		    /* empty service */
		{NID_XmppAddr, V_ASN1_IA5STRING, "a@b.org", 7},		    /* wrong type */
		{NID_XmppAddr, V_ASN1_UTF8STRING, "a\xc0\xafz", 4},	    /* overlong UTF-8 */
		{NID_XmppAddr, V_ASN1_UTF8STRING, "a\xed\xa0\x80", 4},	    /* surrogate */
		{NID_XmppAddr, V_ASN1_UTF8STRING, "a\x1b[31m", 6},	    /* control */
		{NID_XmppAddr, V_ASN1_UTF8STRING, "a\xe2\x82", 3},	    /* truncated */
	};
	struct san_ids ids;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].nid == 0) {
			add_dns(bad[i].s, bad[i].len);
		} else {
			add_other(bad[i].nid, bad[i].type, bad[i].s, bad[i].len);
		}
	}
	add_dns("good.example.org", 16);
	assert_int_equal(decode(&ids), 0);
	assert_int_equal(ids.n_rejected, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(ids.dns_ids.n, 1);
	assert_string_equal(ids.dns_ids.v[0], "good.example.org");
	assert_int_equal(ids.srv_ids.n, 0);
	assert_int_equal(ids.xmpp_addrs.n, 0);
	san_ids_release(&ids);
}

static void test_other_othernames_ignored(void **state)
{
	struct san_ids ids;

	(void)state;
	add_other(NID_ms_upn, V_ASN1_UTF8STRING, "user@example.org", 16);
	assert_int_equal(decode(&ids), 0);
	assert_int_equal(ids.n_rejected, 0);
	assert_int_equal(ids.dns_ids.n + ids.srv_ids.n + ids.xmpp_addrs.n, 0);
	san_ids_release(&ids);
}

static void test_malformed_der(void **state)
{
	static const uint8_t garbage[] = {0x30, 0x05, 0x82, 0x10, 'a'};
	unsigned char *der = NULL;
	struct san_ids ids;
	int len;

	(void)state;
	assert_int_equal(san_decode(garbage, sizeof(garbage), &ids), ERR_PARSE);
	assert_int_equal(san_decode(garbage, 0, &ids), ERR_PARSE);
	add_dns("example.org", 11);
	len = i2d_GENERAL_NAMES(names, &der);
	assert_int_equal(san_decode(der, (size_t)len - 1, &ids), ERR_PARSE); /* truncated */
	OPENSSL_free(der);
	der = OPENSSL_malloc((size_t)len + 1);
	{
		unsigned char *p = der;

		i2d_GENERAL_NAMES(names, &p);
		der[len] = 0;
	}
	assert_int_equal(san_decode(der, (size_t)len + 1, &ids), ERR_TRAILING);
	assert_null(ids.dns_ids.v);
	OPENSSL_free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_xmpp_identities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_names_are_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_othernames_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_der, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
