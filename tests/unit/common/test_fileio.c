/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for common/fileio: bounded reads and errno failures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"

static char tmp_path[] = "/tmp/xdane-test-fileio-XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(tmp_path);

	(void)state;
	if (fd < 0 || write(fd, "0123456789", 10) != 10) {
		return -1;
	}
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(tmp_path);
	return 0;
}

static void test_reads_whole_file(void **state)
{
	struct buf b;

	(void)state;
	assert_int_equal(fileio_read(tmp_path, 10, &b), 0);
	assert_int_equal(b.len, 10);
	assert_string_equal((char *)b.data, "0123456789");
	buf_release(&b);
}

static void test_too_big(void **state)
{
	struct buf b;

	(void)state;
	assert_int_equal(fileio_read(tmp_path, 9, &b), ERR_TOO_BIG);
	assert_null(b.data);
}

static void test_missing_and_directory(void **state)
{
	struct buf b;

	(void)state;
	assert_int_equal(fileio_read("/nonexistent/xdane", 100, &b), -ENOENT);
	assert_int_equal(fileio_read("/", 100, &b), -EISDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_whole_file),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_missing_and_directory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
