/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for zonegen/soaserial: RFC 1982 increments and the serial in many zone shapes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "zonegen/soaserial.h"

static void test_next(void **state)
{
	(void)state;
	assert_int_equal(soaserial_next(1), 2);
	assert_int_equal(soaserial_next(0), 1);
	assert_int_equal(soaserial_next(2024061501u), 2024061502u); /* date style: + 1 only */
	assert_int_equal(soaserial_next(2147483647u), 2147483648u);
	assert_int_equal(soaserial_next(4294967294u), 4294967295u);
	assert_int_equal(soaserial_next(4294967295u), 1); /* wraps, skipping 0 as BIND does */
}

/* Each zone text, the serial found, and the whole text after the bump. */
static const struct {
	const char *name;
	const char *text;
	uint32_t serial;
	int line;
	const char *bumped;
} shapes[] = {
	{"one line", "@ IN SOA ns1.example. host.example. 7 3600 600 86400 60\n", 7, 1,
	 "@ IN SOA ns1.example. host.example. 8 3600 600 86400 60\n"},
	{"directives first",
	 "$ORIGIN example.org.\n$TTL 300\n@ IN SOA ns1 host 41 3600 600 86400 60\n@ NS ns1\n", 41,
	 3, "$ORIGIN example.org.\n$TTL 300\n@ IN SOA ns1 host 42 3600 600 86400 60\n@ NS ns1\n"},
	{"parentheses and comments",
	 "$TTL 1h ; default\nexample.org.  IN  SOA  ns1.example.org. hostmaster.example.org. (\n"
	 "\t\t2024061509 ; serial (date style)\n\t\t3h ; refresh\n\t\t15m\n\t\t1w\n\t\t1h )\n"
	 "\tIN NS ns1\n",
	 2024061509u, 3,
	 "$TTL 1h ; default\nexample.org.  IN  SOA  ns1.example.org. hostmaster.example.org. (\n"
	 "\t\t2024061510 ; serial (date style)\n\t\t3h ; refresh\n\t\t15m\n\t\t1w\n\t\t1h )\n"
	 "\tIN NS ns1\n"},
	{"serial right after the parenthesis", "@ SOA ns1 host (99\n1 2 3 4)\n", 99, 1,
	 "@ SOA ns1 host (100\n1 2 3 4)\n"},
	{"serial before the closing parenthesis", "@ 3600 IN SOA ns1 host (\n 5)\n", 5, 2,
	 "@ 3600 IN SOA ns1 host (\n 6)\n"},
	{"ttl and class swapped, lower case", "@ in 60 soa ns1 host 1 2 3 4 5\n", 1, 1,
	 "@ in 60 soa ns1 host 2 2 3 4 5\n"},
	{"owner omitted after a record",
	 "$ORIGIN example.org.\nwww A 192.0.2.1\n  IN SOA ns1 host 12 1 2 3 4\n", 12, 3,
	 "$ORIGIN example.org.\nwww A 192.0.2.1\n  IN SOA ns1 host 13 1 2 3 4\n"},
	{"CRLF line ends", "$TTL 60\r\n@ IN SOA ns1 host 3 1 2 3 4\r\n@ NS ns1\r\n", 3, 2,
	 "$TTL 60\r\n@ IN SOA ns1 host 4 1 2 3 4\r\n@ NS ns1\r\n"},
	{"SOA-like words elsewhere",
	 "soa.example.org. IN TXT \"IN SOA x y 99 1 2 3 4\" ; SOA 77\n"
	 "@ IN SOA ns1 host 10 1 2 3 4\nsoa IN A 192.0.2.1\nx IN CNAME soa\n",
	 10, 2,
	 "soa.example.org. IN TXT \"IN SOA x y 99 1 2 3 4\" ; SOA 77\n"
	 "@ IN SOA ns1 host 11 1 2 3 4\nsoa IN A 192.0.2.1\nx IN CNAME soa\n"},
	{"escaped characters in names", "a\\;b IN TXT x\n@ IN SOA ns\\ 1 host\\.name 20 1 2 3 4\n",
	 20, 2, "a\\;b IN TXT x\n@ IN SOA ns\\ 1 host\\.name 21 1 2 3 4\n"},
	{"owner named like a number",
	 "$ORIGIN 2.0.192.in-addr.arpa.\n1 IN PTR a.example.\n"
	 "@ IN SOA ns1 host 30 1 2 3 4\n",
	 30, 3,
	 "$ORIGIN 2.0.192.in-addr.arpa.\n1 IN PTR a.example.\n@ IN SOA ns1 host 31 1 2 3 4\n"},
	{"multi-line TXT before", "t IN TXT ( \"a\"\n \"b;c\" )\n@ IN SOA ns1 host 9 1 2 3 4\n", 9,
	 3, "t IN TXT ( \"a\"\n \"b;c\" )\n@ IN SOA ns1 host 10 1 2 3 4\n"},
	{"$INCLUDE and $GENERATE around",
	 "$INCLUDE \"/x/tlsa\"\n$GENERATE 1-3 host$ A 192.0.2.$\n@ IN SOA ns1 host 4294967295 1 "
	 "2 3 4\n",
	 4294967295u, 3,
	 "$INCLUDE \"/x/tlsa\"\n$GENERATE 1-3 host$ A 192.0.2.$\n@ IN SOA ns1 host 1 1 2 3 4\n"},
	{"no final newline", "@ IN SOA ns1 host 999999999 1 2 3 4", 999999999u, 1,
	 "@ IN SOA ns1 host 1000000000 1 2 3 4"},
	{"TYPE6 and a generic class", "@ CLASS1 TYPE6 ns1 host 5 1 2 3 4\n", 5, 1,
	 "@ CLASS1 TYPE6 ns1 host 6 1 2 3 4\n"},
	{"leading zeros", "@ IN SOA ns1 host 0009 1 2 3 4\n", 9, 1,
	 "@ IN SOA ns1 host 10 1 2 3 4\n"},
};

static void test_shapes(void **state)
{
	struct soaserial_error err;
	struct soaserial_pos pos;
	size_t i;
	char *out;
	size_t out_len;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (soaserial_find(shapes[i].text, strlen(shapes[i].text), &pos, &err) != 0) {
			fail_msg("%s: %s (line %d)", shapes[i].name, err.detail, err.line);
		}
		if (pos.serial != shapes[i].serial || pos.line != shapes[i].line) {
			fail_msg("%s: serial %u at line %d", shapes[i].name, pos.serial, pos.line);
		}
		assert_int_equal(soaserial_bump_text(shapes[i].text, strlen(shapes[i].text), &out,
						     &out_len, &pos, &err),
				 0);
		if (strcmp(out, shapes[i].bumped) != 0) {
			fail_msg("%s: got\n%s", shapes[i].name, out);
		}
		assert_int_equal(out_len, strlen(out));
		free(out);
	}
}

static const struct {
	const char *name;
	const char *text;
	int line;
	const char *detail;
} refused[] = {
	{"empty", "", 0, "no SOA record"},
	{"no SOA", "$TTL 60\n@ IN NS ns1\n", 0, "no SOA record"},
	{"SOA only in an include", "$INCLUDE soa.db\n@ IN NS ns1\n", 0,
	 "no SOA record (one in an $INCLUDEd file is not looked for)"},
	{"two SOAs", "@ IN SOA a b 1 2 3 4 5\n@ IN NS ns1\nsub IN SOA a b 1 2 3 4 5\n", 3,
	 "a second SOA record (the first is at line 1)"},
	{"serial not a number", "@ IN SOA ns1 host 12a 1 2 3 4\n", 1,
	 "SOA serial '12a' is not a decimal number below 2^32"},
	{"serial too large", "@ IN SOA ns1 host 4294967296 1 2 3 4\n", 1,
	 "SOA serial '4294967296' is not a decimal number below 2^32"},
	{"serial far too large", "@ IN SOA ns1 host 99999999999999999999999 1 2 3 4\n", 1,
	 "SOA serial '99999999999999999999999' is not a decimal number below 2^32"},
	{"serial missing", "@ IN SOA ns1 host\n", 1, "SOA record without a serial"},
	{"serial in units", "@ IN SOA ns1 host 1h 1 2 3 4\n", 1,
	 "SOA serial '1h' is not a decimal number below 2^32"},
	{"unclosed parenthesis", "@ IN SOA ns1 host ( 1 2 3\n4 5\n", 1, "'(' without ')'"},
	{"stray parenthesis", "@ IN NS ns1 )\n", 1, "')' without '('"},
	{"unterminated string", "t TXT \"abc\n@ IN SOA a b 1 2 3 4 5\n", 1,
	 "unterminated quoted string"},
	{"generic SOA", "@ IN TYPE6 \\# 22 0000\n", 1,
	 "SOA record in generic syntax (RFC 3597): not supported"},
};

static void test_refused(void **state)
{
	struct soaserial_error err;
	struct soaserial_pos pos;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (soaserial_find(refused[i].text, strlen(refused[i].text), &pos, &err) !=
		    ERR_PARSE) {
			fail_msg("%s: accepted", refused[i].name);
		}
		if (err.line != refused[i].line || strcmp(err.detail, refused[i].detail) != 0) {
			fail_msg("%s: line %d: %s", refused[i].name, err.line, err.detail);
		}
	}
}

static void test_bump_file(void **state)
{
	char dir[] = "/tmp/xdane-test-soaserial-XXXXXX";
	char path[64];
	const char *zone =
		"$TTL 60\n@ IN SOA ns1.example. host.example. ( 41 ; serial\n 1 2 3 4 )\n";
	struct soaserial_error err;
	struct stat st;
	struct buf b;
	uint32_t old_serial = 0;
	uint32_t new_serial = 0;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/db.example", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(zone, fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(soaserial_bump_file(path, &old_serial, &new_serial, &err), 0);
	assert_int_equal(old_serial, 41);
	assert_int_equal(new_serial, 42);
	assert_int_equal(fileio_read(path, 4096, &b), 0);
	assert_string_equal(
		(char *)b.data,
		"$TTL 60\n@ IN SOA ns1.example. host.example. ( 42 ; serial\n 1 2 3 4 )\n");
	buf_release(&b);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* A zone without SOA is refused, naming the file, and left as it was. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("@ IN NS ns1\n", fp);
	fclose(fp);
	assert_int_equal(soaserial_bump_file(path, NULL, NULL, &err), ERR_PARSE);
	assert_non_null(strstr(err.detail, path));
	assert_non_null(strstr(err.detail, "no SOA record"));
	unlink(path);
	assert_int_equal(soaserial_bump_file(path, NULL, NULL, &err), -ENOENT);
	assert_non_null(strstr(err.detail, path));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bump_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
