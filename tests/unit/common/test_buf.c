/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for common/buf: the bound holds and failures leave the buffer intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"

static void test_append_within_bound(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "abcd", 4), 0);
	assert_int_equal(buf_append(&b, "efgh", 4), 0);
	assert_int_equal(b.len, 8);
	assert_string_equal((char *)b.data, "abcdefgh");
	buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_append_past_bound_fails_unchanged(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 5);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append(&b, "def", 3), ERR_TOO_BIG);
	assert_int_equal(b.len, 3);
	assert_string_equal((char *)b.data, "abc");
	buf_release(&b);
}

static void test_empty_append_terminates(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_non_null(b.data);
	assert_int_equal(b.data[0], '\0');
	assert_int_equal(buf_append(&b, "x", 1), ERR_TOO_BIG);
	buf_release(&b);
}

static void test_growth_keeps_content(void **state)
{
	struct buf b;
	char chunk[1000];
	int i;

	(void)state;
	memset(chunk, 'z', sizeof(chunk));
	buf_init(&b, 100000);
	for (i = 0; i < 50; i++) {
		assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
	}
	assert_int_equal(b.len, 50000);
	assert_int_equal(b.data[49999], 'z');
	assert_int_equal(b.data[50000], '\0');
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_within_bound),
		cmocka_unit_test(test_append_past_bound_fails_unchanged),
		cmocka_unit_test(test_empty_append_terminates),
		cmocka_unit_test(test_growth_keeps_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
