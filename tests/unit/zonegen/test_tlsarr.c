/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for zonegen/tlsarr: owner names and record text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "certs/tlsa.h"
#include "common/err.h"
#include "zonegen/tlsarr.h"

static uint8_t data[] = {0xab, 0x12, 0x00, 0xff};
static const struct tlsa_record rec = {3, 1, 1, data, sizeof(data)};

static void test_owner(void **state)
{
	char *owner;

	(void)state;
	assert_int_equal(tlsarr_owner("xmpp.example.org", 5222, &owner), 0);
	assert_string_equal(owner, "_5222._tcp.xmpp.example.org.");
	free(owner);
	assert_int_equal(tlsarr_owner("xmpp.example.org.", 65535, &owner), 0);
	assert_string_equal(owner, "_65535._tcp.xmpp.example.org.");
	free(owner);
	assert_int_equal(tlsarr_owner("xmpp.example.org", 0, &owner), ERR_PARSE);
	assert_int_equal(tlsarr_owner("xmpp.example.org", 65536, &owner), ERR_PARSE);
	assert_int_equal(tlsarr_owner("a..b", 5222, &owner), ERR_PARSE);
	assert_int_equal(
		tlsarr_owner("a234567890123456789012345678901234567890123456789012345678901234.org",
			     5222, &owner),
		ERR_PARSE);
}

static void test_format(void **state)
{
	static const struct {
		const char *owner;
		int has_ttl;
		uint32_t ttl;
		const char *want;
	} rows[] = {
		{NULL, 0, 0, "3 1 1 ab1200ff"},
		{"_5222._tcp.xmpp.example.org", 0, 0,
		 "_5222._tcp.xmpp.example.org. IN TLSA 3 1 1 ab1200ff"},
		{"_5222._tcp.xmpp.example.org.", 1, 3600,
		 "_5222._tcp.xmpp.example.org. 3600 IN TLSA 3 1 1 ab1200ff"},
		{"_5269._tcp.XMPP.example.org", 1, 0,
		 "_5269._tcp.XMPP.example.org. 0 IN TLSA 3 1 1 ab1200ff"},
	};
	size_t i;
	char *line;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(
			tlsarr_format(rows[i].owner, rows[i].has_ttl, rows[i].ttl, &rec, &line), 0);
		assert_string_equal(line, rows[i].want);
		free(line);
	}
	assert_int_equal(tlsarr_format("bad..name", 0, 0, &rec, &line), ERR_PARSE);
}

static void test_empty_data_refused(void **state)
{
	const struct tlsa_record empty = {3, 1, 1, NULL, 0};
	char *line;

	(void)state;
	assert_int_equal(tlsarr_format(NULL, 0, 0, &empty, &line), ERR_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_empty_data_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
