/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for zonegen/fragment: owners in the zone, canonical order, rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "certs/tlsa.h"
#include "common/err.h"
#include "zonegen/fragment.h"

static uint8_t d_a[32] = {0xaa};
static uint8_t d_b[32] = {0xbb};
static uint8_t d_512[64] = {0x51};
static uint8_t d_full[3] = {0x30, 0x01, 0x02};

static const struct tlsa_record rec_a = {3, 1, 1, d_a, sizeof(d_a)};
static const struct tlsa_record rec_b = {3, 1, 1, d_b, sizeof(d_b)};
static const struct tlsa_record rec_512 = {3, 1, 2, d_512, sizeof(d_512)};
static const struct tlsa_record rec_ta = {2, 0, 0, d_full, sizeof(d_full)};

static void test_new(void **state)
{
	struct fragment *f = NULL;

	(void)state;
	assert_int_equal(fragment_new("Example.ORG", 3600, &f), 0);
	assert_string_equal(fragment_zone(f), "example.org.");
	assert_int_equal(fragment_ttl(f), 3600);
	assert_int_equal(fragment_owner_count(f), 0);
	assert_int_equal(fragment_record_count(f), 0);
	fragment_free(f);
	assert_int_equal(fragment_new("a..b", 60, &f), ERR_PARSE);
	assert_int_equal(fragment_new("", 60, &f), ERR_PARSE);
	assert_int_equal(fragment_new("example.org", FRAGMENT_TTL_MAX + 1u, &f), ERR_PARSE);
	fragment_free(NULL);
}

static void test_owner_in_zone(void **state)
{
	struct fragment *f = NULL;

	(void)state;
	assert_int_equal(fragment_new("example.org.", 60, &f), 0);
	assert_int_equal(fragment_add_tlsa(f, "_5222._tcp.xmpp.example.org", &rec_a), 0);
	assert_int_equal(fragment_add_tlsa(f, "example.org", &rec_a), 0); /* the apex */
	assert_int_equal(fragment_add_tlsa(f, "_5222._tcp.xmpp.example.net", &rec_a), ERR_PARSE);
	assert_int_equal(fragment_add_tlsa(f, "org", &rec_a), ERR_PARSE);
	assert_int_equal(fragment_add_tlsa(f, "badexample.org", &rec_a), ERR_PARSE);
	assert_int_equal(fragment_add_owner(f, "_5269._tcp.other.org"), ERR_PARSE);
	assert_int_equal(fragment_add_owner(f, "a..example.org"), ERR_PARSE);
	assert_int_equal(fragment_record_count(f), 2);
	fragment_free(f);
}

static void test_bad_records(void **state)
{
	struct fragment *f = NULL;
	uint8_t short_data[31] = {0};
	const struct tlsa_record short_sha256 = {3, 1, 1, short_data, sizeof(short_data)};
	const struct tlsa_record wrong_512 = {3, 1, 2, d_a, sizeof(d_a)};
	const struct tlsa_record empty = {3, 1, 0, d_a, 0};

	(void)state;
	assert_int_equal(fragment_new("example.org", 60, &f), 0);
	assert_int_equal(fragment_add_tlsa(f, "_1._tcp.example.org", &short_sha256), ERR_PARSE);
	assert_int_equal(fragment_add_tlsa(f, "_1._tcp.example.org", &wrong_512), ERR_PARSE);
	assert_int_equal(fragment_add_tlsa(f, "_1._tcp.example.org", &empty), ERR_PARSE);
	assert_int_equal(fragment_record_count(f), 0);
	assert_int_equal(fragment_owner_count(f), 0);
	fragment_free(f);
}

/* Whatever the order of adding, the same canonical order and the same text. */
static void test_order_and_dedup(void **state)
{
	static const char *const owners[] = {"_5269._tcp.xmpp.example.org",
					     "_5222._tcp.XMPP.example.org.",
					     "_5222._tcp.a.example.org"};
	struct fragment *f1 = NULL;
	struct fragment *f2 = NULL;
	char *t1 = NULL;
	char *t2 = NULL;
	size_t i;

	(void)state;
	assert_int_equal(fragment_new("example.org", 300, &f1), 0);
	assert_int_equal(fragment_new("example.org", 300, &f2), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(fragment_add_tlsa(f1, owners[i], &rec_b), 0);
		assert_int_equal(fragment_add_tlsa(f1, owners[i], &rec_a), 0);
		assert_int_equal(fragment_add_tlsa(f1, owners[i], &rec_512), 0);
	}
	for (i = 3; i-- > 0;) {
		assert_int_equal(fragment_add_tlsa(f2, owners[i], &rec_512), 0);
		assert_int_equal(fragment_add_tlsa(f2, owners[i], &rec_a), 0);
		assert_int_equal(fragment_add_tlsa(f2, owners[i], &rec_b), 0);
		assert_int_equal(fragment_add_tlsa(f2, owners[i], &rec_a), 0); /* again */
	}
	assert_int_equal(fragment_record_count(f1), 9);
	assert_int_equal(fragment_record_count(f2), 9);
	assert_int_equal(fragment_owner_count(f1), 3);
	assert_int_equal(fragment_render(f1, &t1), 0);
	assert_int_equal(fragment_render(f2, &t2), 0);
	assert_string_equal(t1, t2);
	/* RFC 4034 §6.1: "a" sorts before "xmpp"; then _5222 before _5269 (label by label
	 * from the right). */
	assert_string_equal(fragment_owner(f1, 0), "_5222._tcp.a.example.org.");
	assert_string_equal(fragment_owner(f1, 1), "_5222._tcp.xmpp.example.org.");
	assert_string_equal(fragment_owner(f1, 2), "_5269._tcp.xmpp.example.org.");
	assert_null(fragment_owner(f1, 3));
	/* RFC 4034 §6.3: 3 1 1 aa.. < 3 1 1 bb.. < 3 1 2 .. */
	assert_int_equal(fragment_record(f1, 0)->data[0], 0xaa);
	assert_int_equal(fragment_record(f1, 1)->data[0], 0xbb);
	assert_int_equal(fragment_record(f1, 2)->mtype, 2);
	assert_string_equal(fragment_record_owner(f1, 3), "_5222._tcp.xmpp.example.org.");
	assert_null(fragment_record(f1, 9));
	free(t1);
	free(t2);
	fragment_free(f1);
	fragment_free(f2);
}

static void test_render(void **state)
{
	struct fragment *f = NULL;
	char *text = NULL;
	const char *want = "; TLSA records of zone example.org., written by xdane for $INCLUDE.\n"
			   "; Do not edit: xdane replaces this file whenever it publishes.\n"
			   "; 2 record(s) at 3 owner(s), TTL 3600.\n"
			   "; _5269._tcp.xmpp.example.org.: no TLSA records (withdrawn)\n"
			   "_443._tcp.xmpp.example.org.\t3600\tIN\tTLSA\t2 0 0 300102\n"
			   "_5222._tcp.xmpp.example.org.\t3600\tIN\tTLSA\t3 1 1 "
			   "aa00000000000000000000000000000000000000000000000000000000000000\n";

	(void)state;
	assert_int_equal(fragment_new("example.org", 3600, &f), 0);
	assert_int_equal(fragment_add_owner(f, "_5269._tcp.xmpp.example.org"), 0);
	assert_int_equal(fragment_add_tlsa(f, "_5222._tcp.xmpp.example.org", &rec_a), 0);
	assert_int_equal(fragment_add_tlsa(f, "_443._tcp.xmpp.example.org", &rec_ta), 0);
	assert_int_equal(fragment_add_owner(f, "_5222._tcp.xmpp.example.org"), 0); /* has one */
	assert_int_equal(fragment_render(f, &text), 0);
	assert_string_equal(text, want);
	free(text);
	fragment_free(f);
}

static void test_render_empty(void **state)
{
	struct fragment *f = NULL;
	char *text = NULL;

	(void)state;
	assert_int_equal(fragment_new("example.org", 0, &f), 0);
	assert_int_equal(fragment_render(f, &text), 0);
	assert_string_equal(text, "; TLSA records of zone example.org., written by xdane for "
				  "$INCLUDE.\n"
				  "; Do not edit: xdane replaces this file whenever it publishes.\n"
				  "; 0 record(s) at 0 owner(s), TTL 0.\n");
	free(text);
	fragment_free(f);
}

/* Names with characters that mean something in a zone file come out escaped. */
static void test_render_escapes(void **state)
{
	struct fragment *f = NULL;
	char *text = NULL;

	(void)state;
	assert_int_equal(fragment_new("example.org", 60, &f), 0);
	assert_int_equal(fragment_add_owner(f, "a\\;b\\010c.example.org"), 0);
	assert_int_equal(fragment_add_tlsa(f, "x\\(y.example.org", &rec_a), 0);
	assert_int_equal(fragment_render(f, &text), 0);
	assert_non_null(strstr(text, "; a\\;b\\010c.example.org.: no TLSA"));
	assert_non_null(strstr(text, "\nx\\(y.example.org.\t60\tIN\tTLSA"));
	free(text);
	fragment_free(f);
}

static void test_limits(void **state)
{
	struct fragment *f = NULL;
	uint8_t data[32] = {0};
	struct tlsa_record rec = {3, 1, 1, data, sizeof(data)};
	unsigned i;

	(void)state;
	assert_int_equal(fragment_new("example.org", 60, &f), 0);
	for (i = 0; i < FRAGMENT_RECORDS_MAX; i++) {
		data[0] = (uint8_t)i;
		data[1] = (uint8_t)(i >> 8);
		assert_int_equal(fragment_add_tlsa(f, "_5222._tcp.example.org", &rec), 0);
	}
	data[2] = 1;
	assert_int_equal(fragment_add_tlsa(f, "_5222._tcp.example.org", &rec), ERR_TOO_BIG);
	fragment_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_owner_in_zone),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_order_and_dedup),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_empty),
		cmocka_unit_test(test_render_escapes),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
