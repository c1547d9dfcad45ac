/* SPDX-License-Identifier: BSD-3-Clause */
/* Lookups in the findings catalog. */
#include <stddef.h>
#include <string.h>

#include "checks/finding.h"

static const struct {
	const char *name;
	enum severity severity;
	const char *meaning;
} finding_catalog[FINDING_COUNT] = {
#define FINDING_ROW_(code, sev, meaning) [FINDING_##code] = {#code, SEVERITY_##sev, meaning},
	FINDING_TABLE(FINDING_ROW_)
#undef FINDING_ROW_
};

static const char *const severity_names[] = {
	[SEVERITY_OK] = "ok",
	[SEVERITY_INFO] = "info",
	[SEVERITY_WARNING] = "warning",
	[SEVERITY_CRITICAL] = "critical",
};

static int finding_is_valid(enum finding_code code)
{
	return (int)code >= 0 && code < FINDING_COUNT;
}

const char *finding_code_name(enum finding_code code)
{
	return finding_is_valid(code) ? finding_catalog[code].name : NULL;
}

int finding_code_from_name(const char *name)
{
	int i;

	for (i = 0; i < FINDING_COUNT; i++) {
		if (strcmp(finding_catalog[i].name, name) == 0) {
			return i;
		}
	}
	return -1;
}

enum severity finding_default_severity(enum finding_code code)
{
	return finding_is_valid(code) ? finding_catalog[code].severity : SEVERITY_CRITICAL;
}

const char *finding_meaning(enum finding_code code)
{
	return finding_is_valid(code) ? finding_catalog[code].meaning : NULL;
}

const char *severity_name(enum severity sev)
{
	return (int)sev >= 0 && sev <= SEVERITY_CRITICAL ? severity_names[sev] : NULL;
}

int severity_from_name(const char *name)
{
	int i;

	for (i = 0; i <= SEVERITY_CRITICAL; i++) {
		if (strcmp(severity_names[i], name) == 0) {
			return i;
		}
	}
	return -1;
}
