/* SPDX-License-Identifier: BSD-3-Clause */
/* The `xdane` command line: subcommand dispatch and shared argument helpers. */
#ifndef XDANE_DAEMON_CLI_H
#define XDANE_DAEMON_CLI_H

#include <stdbool.h>

/* Exit codes, the monitoring-plugin convention (DESIGN.md `xdane check`). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_WARNING = 1,
	CLI_EXIT_CRITICAL = 2,
	CLI_EXIT_UNKNOWN = 3, /* bad arguments, unreadable input: could not check */
};

int cli_main(int argc, char **argv);

/* Parses a decimal in [0, max]; false (and nothing written) otherwise. */
bool cli_parse_uint(const char *s, unsigned long max, unsigned long *ret);

/* Prints "xdane CMD: " + message + newline to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports an unknown option or missing argument as getopt_long saw it. */
int cli_bad_option(const char *cmd, char **argv, int next_index, int bad_opt);

#endif
