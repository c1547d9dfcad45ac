/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for zonegen/dsrr. Expected DS records were computed with
 * `dnssec-dsfromkey -2|-a SHA-384 -f tests/data/dnskeys.zone example.org`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "zonegen/dsrr.h"

#define DATA(name) XDANE_TEST_DATA "/" name

static int from_text(const char *text, int digest, struct strlist *out, struct dsrr_error *err)
{
	return dsrr_from_dnskeys(text, strlen(text), digest, out, err);
}

static void test_matches_dnssec_dsfromkey(void **state)
{
	struct strlist out = {0};
	struct dsrr_error err;
	struct buf zone;

	(void)state;
	assert_int_equal(fileio_read(DATA("dnskeys.zone"), DSRR_FILE_MAX, &zone), 0);
	assert_int_equal(dsrr_from_dnskeys((char *)zone.data, zone.len, 2, &out, &err), 0);
	assert_int_equal(out.n, 2); /* two KSKs; the ZSK (flags 256) has no DS */
	assert_string_equal(out.v[0],
			    "example.org.\t3600\tIN\tDS\t61616 8 2 "
			    "71fea331a5fd2738de2de241fea5168536a26005b6951fd6330ea8cc4c49807c");
	assert_string_equal(out.v[1],
			    "example.org.\t3600\tIN\tDS\t53533 13 2 "
			    "eab611acf0d948a4f40ac80b8cb4fd604860ad9bf48f6cdaca3eef9c433950cc");
	strlist_release(&out);
	assert_int_equal(dsrr_from_dnskeys((char *)zone.data, zone.len, 4, &out, &err), 0);
	assert_string_equal(out.v[1],
			    "example.org.\t3600\tIN\tDS\t53533 13 4 "
			    "eecb00d93f2fa5f5e87c2589e9aeb62258c4365cb8915dd2912a2d95f0bea8a5"
			    "7ff852e0b32d6d251a04dfc2d126a753");
	strlist_release(&out);
	buf_release(&zone);
}

static void test_errors(void **state)
{
	struct strlist out = {0};
	struct dsrr_error err;

	(void)state;
	assert_int_equal(from_text("", 2, &out, &err), ERR_NO_KSK);
	assert_int_equal(from_text("; only a comment\n", 2, &out, &err), ERR_NO_KSK);
	assert_int_equal(from_text("example.org. 3600 IN DNSKEY 256 3 13 "
				   "DIhgzckfnqNaX3olLz2KzmW81WOTgkfhMGn6ShQ/OPFom0kzsoxinOm7"
				   "gF5yX4IbV9iBrP6EZ7dUEFFyV4Jdrw==\n",
				   2, &out, &err),
			 ERR_NO_KSK);
	/* a revoked KSK (flags 257 | 0x80 = 385) gets no DS */
	assert_int_equal(from_text("example.org. 3600 IN DNSKEY 385 3 13 "
				   "hwliYMbdIu2/1yMH9zzTxkaEgvmxVqqRNg5bnUYqBdoEAJmFydoZdLsz"
				   "2Bg2Aa+YMXyT7XDzxWeVLBxGygLX7A==\n",
				   2, &out, &err),
			 ERR_NO_KSK);
	assert_int_equal(from_text("example.org. 3600 IN A 192.0.2.1\n"
				   "example.org. 3600 IN DNSKEY 257 3 13 !!notbase64\n",
				   2, &out, &err),
			 ERR_PARSE);
	assert_int_equal(err.line, 2);
	assert_true(strlen(err.detail) > 0);
	assert_int_equal(from_text("x", 3, &out, &err), ERR_UNSUPPORTED);
	assert_int_equal(out.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_dnssec_dsfromkey),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
