/* SPDX-License-Identifier: BSD-3-Clause */
/* Log lines to stderr (prefixed with the program name) or to syslog. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"

static const char *log_ident = "xdane";
static bool log_to_syslog;
static bool log_to_journal; /* stderr is the journal: "<N>" priority prefixes, no name */
static int log_max_level = LOG_INFO;

void log_setup(const char *ident, bool use_syslog, int max_level)
{
	log_ident = ident;
	log_to_syslog = use_syslog;
	log_max_level = max_level;
	/* systemd sets JOURNAL_STREAM when stderr goes to the journal (sd-daemon(3)). */
	log_to_journal = !use_syslog && getenv("JOURNAL_STREAM") != NULL;
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
	} else if (log_to_journal) {
		/* Threads log too: the stream lock keeps each line whole. */
		flockfile(stderr);
		fprintf(stderr, "<%d>", level);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	} else {
		flockfile(stderr);
		fprintf(stderr, "%s: ", log_ident);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	va_end(ap);
}
