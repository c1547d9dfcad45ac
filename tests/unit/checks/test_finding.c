/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for checks/finding: the catalog is complete and round-trips. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "checks/finding.h"

static void test_round_trip_and_shape(void **state)
{
	int i;
	const char *p;

	(void)state;
	assert_int_equal(FINDING_COUNT, 33); /* the catalog of DESIGN.md */
	for (i = 0; i < FINDING_COUNT; i++) {
		const char *name = finding_code_name(i);

		assert_non_null(name);
		assert_int_equal(finding_code_from_name(name), i);
		assert_non_null(finding_meaning(i));
		for (p = name; *p; p++) {
			assert_true(isupper((unsigned char)*p) || isdigit((unsigned char)*p) ||
				    *p == '_');
		}
	}
	assert_int_equal(finding_code_from_name("tlsa_mismatch"), -1);
	assert_null(finding_code_name(FINDING_COUNT));
}

static void test_default_severities(void **state)
{
	static const struct {
		const char *code;
		enum severity sev;
	} rows[] = {
		{"DNSSEC_BOGUS", SEVERITY_CRITICAL},	  {"DNS_LOOKUP_FAILED", SEVERITY_WARNING},
		{"TLSA_NO_ROLLOVER_SLOT", SEVERITY_INFO}, {"TLSA_MISMATCH", SEVERITY_CRITICAL},
		{"PKIX_UNTRUSTED", SEVERITY_WARNING},	  {"ROLLOVER_FAILED", SEVERITY_CRITICAL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(finding_default_severity(finding_code_from_name(rows[i].code)),
				 rows[i].sev);
	}
}

static void test_severity_names(void **state)
{
	(void)state;
	assert_string_equal(severity_name(SEVERITY_OK), "ok");
	assert_string_equal(severity_name(SEVERITY_CRITICAL), "critical");
	assert_int_equal(severity_from_name("warning"), SEVERITY_WARNING);
	assert_int_equal(severity_from_name("fatal"), -1);
	assert_null(severity_name(4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_shape),
		cmocka_unit_test(test_default_severities),
		cmocka_unit_test(test_severity_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
