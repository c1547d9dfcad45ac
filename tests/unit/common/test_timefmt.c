/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for common/timefmt, table-driven. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/timefmt.h"

static void test_table(void **state)
{
	static const struct {
		int64_t t;
		const char *text;
	} rows[] = {
		{0, "1970-01-01T00:00:00Z"},
		{951782400, "2000-02-29T00:00:00Z"},
		{1795307684, "2026-11-22T00:34:44Z"},
		{-1, "1969-12-31T23:59:59Z"},
		{253402300799, "9999-12-31T23:59:59Z"},
		{-62167219200, "0000-01-01T00:00:00Z"},
	};
	char out[TIMEFMT_RFC3339_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(timefmt_rfc3339(rows[i].t, out), 0);
		assert_string_equal(out, rows[i].text);
	}
}

static void test_out_of_range(void **state)
{
	char out[TIMEFMT_RFC3339_LEN];

	(void)state;
	assert_int_equal(timefmt_rfc3339(253402300800, out), -EOVERFLOW);
	assert_int_equal(timefmt_rfc3339(-62167219201, out), -EOVERFLOW);
	assert_int_equal(timefmt_rfc3339(INT64_MAX, out), -EOVERFLOW);
	assert_int_equal(timefmt_rfc3339(INT64_MIN, out), -EOVERFLOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
