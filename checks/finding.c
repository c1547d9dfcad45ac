/* SPDX-License-Identifier: BSD-3-Clause */
/* Lookups in the findings catalog. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
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

static void finding_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

int findings_add(struct findings *l, enum finding_code code, enum severity sev, const char *service,
		 const char *target, uint16_t port, const char *address, const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct finding *grown = realloc(l->v, cap * sizeof(*grown));

		if (grown == NULL) {
			return -ENOMEM;
		}
		l->v = grown;
		l->cap = cap;
	}
	f = &l->v[l->n];
	memset(f, 0, sizeof(*f));
	f->code = code;
	f->severity = sev;
	finding_copy(f->service, sizeof(f->service), service);
	finding_copy(f->target, sizeof(f->target), target);
	f->port = port;
	finding_copy(f->address, sizeof(f->address), address);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	l->n++;
	return 0;
}

enum severity findings_worst(const struct findings *l)
{
	enum severity worst = SEVERITY_OK;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].severity > worst) {
			worst = l->v[i].severity;
		}
	}
	return worst;
}

int findings_find(const struct findings *l, enum finding_code code)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].code == code) {
			return (int)i;
		}
	}
	return -1;
}

void findings_release(struct findings *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}
