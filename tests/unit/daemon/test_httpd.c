/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for daemon/httpd's pure part: which Accept-Encoding headers allow gzip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "daemon/httpd.h"

static void accept_encoding(void **state)
{
	static const struct {
		const char *header;
		bool gzip;
	} cases[] = {
		{NULL, false},
		{"", false},
		{"identity", false},
		{"gzip", true},
		{"GZIP", true},
		{"x-gzip", true},
		{"gzip, deflate", true}, /* python requests */
		{"deflate, gzip;q=1.0, *;q=0.5",
		 true}, /* curl --compressed sends "deflate, gzip" */
		{"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip ;Q=0.0 , identity", false},
		{"gzip;q=0.001", true},
		{"gzip;q=", true}, /* malformed weights count as 1 */
		{"*", true},
		{"*;q=0", false},
		{"gzip;q=0, *", false}, /* listed wins over "*" */
		{"identity;q=1, *;q=0", false},
		{"gzipx", false},
		{"deflate,gzip", true},
		{" \tgzip\t", true},
		{",,gzip,,", true},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (httpd_accepts_gzip(cases[i].header) != cases[i].gzip) {
			fail_msg("Accept-Encoding \"%s\": want %d",
				 cases[i].header ? cases[i].header : "(none)", cases[i].gzip);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accept_encoding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
