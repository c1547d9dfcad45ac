/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for common/err: project codes and errno values never collide. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"

static void test_codes_are_distinct_and_below_errno(void **state)
{
	static const int codes[] = {
#define ERR_LIST_(name, msg) name,
		ERR_TABLE(ERR_LIST_)
#undef ERR_LIST_
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_true(codes[i] <= -ERR_BASE);
		for (j = i + 1; j < sizeof(codes) / sizeof(codes[0]); j++) {
			assert_int_not_equal(codes[i], codes[j]);
		}
	}
}

static void test_messages(void **state)
{
	(void)state;
	assert_string_equal(err_str(ERR_IS_KEY), "holds a private key, not a certificate");
	assert_string_equal(err_str(ERR_TOO_BIG), "input exceeds the size limit");
	assert_string_equal(err_str(-ENOENT), strerror(ENOENT));
	assert_string_equal(err_str(-(ERR_BASE + ERR_COUNT)), "unknown error");
	assert_string_equal(err_str(1), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_are_distinct_and_below_errno),
		cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
