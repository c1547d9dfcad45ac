/* SPDX-License-Identifier: BSD-3-Clause */
/* Log lines to stderr (prefixed with the program name) or to syslog. */
#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"

static const char *log_ident = "xdane";
static bool log_to_syslog;
static int log_max_level = LOG_INFO;

void log_setup(const char *ident, bool use_syslog, int max_level)
{
	log_ident = ident;
	log_to_syslog = use_syslog;
	log_max_level = max_level;
	if (use_syslog) {
		openlog(ident, LOG_PID, LOG_DAEMON);
	}
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_max_level) {
		return;
	}
	va_start(ap, fmt);
	if (log_to_syslog) {
		vsyslog(level, fmt, ap);
	} else {
		fprintf(stderr, "%s: ", log_ident);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
