/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging with syslog levels, to stderr or syslog. Only daemon/ logs above
 * debug (STYLE.md "Logging"); lower layers return errors and verdicts.
 */
#ifndef XDANE_COMMON_LOG_H
#define XDANE_COMMON_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Where lines go and which are kept; before this, stderr at LOG_INFO. */
void log_setup(const char *ident, bool use_syslog, int max_level);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)	 log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	 log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	 log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	 log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
