/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for common/strlist and common/hexstr. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/hexstr.h"
#include "common/strlist.h"

static void test_add_copies_len_bytes(void **state)
{
	struct strlist l = {0};

	(void)state;
	assert_int_equal(strlist_add(&l, "abcdef", 3), 0);
	assert_int_equal(strlist_add(&l, "xyz", 3), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "abc");
	assert_string_equal(l.v[1], "xyz");
	assert_int_equal(strlist_add(&l, "a.org\0.evil.net", 16), -EINVAL);
	assert_int_equal(l.n, 2);
	strlist_release(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
}

static void test_hex(void **state)
{
	static const uint8_t data[] = {0x00, 0x0f, 0xa5, 0xff};
	char *hex;

	(void)state;
	hex = hexstr_encode(data, sizeof(data));
	assert_string_equal(hex, "000fa5ff");
	free(hex);
	hex = hexstr_encode(data, 0);
	assert_string_equal(hex, "");
	free(hex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_copies_len_bytes),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
