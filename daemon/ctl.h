/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `xdane status`, `trigger`, `reload` and `rollover`: clients of xdaned's
 * control socket. The rollover parser and printer are exported for tests.
 */
#ifndef XDANE_DAEMON_CTL_H
#define XDANE_DAEMON_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

int ctl_status_main(int argc, char **argv);
int ctl_trigger_main(int argc, char **argv);
int ctl_reload_main(int argc, char **argv);
int ctl_rollover_main(int argc, char **argv);

enum ctl_rollover_sub {
	CTL_ROLLOVER_STATUS,
	CTL_ROLLOVER_STAGE,
	CTL_ROLLOVER_ABORT,
	CTL_ROLLOVER_NEXT_KEY,
};

/* `xdane rollover SUB ...` as given; the strings are argv's. */
struct ctl_rollover_args {
	enum ctl_rollover_sub sub;
	const char *socket, *config; /* NULL: not given */
	const char *domain;	     /* NULL: every domain (status only) */
	const char *cert, *key;	     /* stage, as given (made absolute when sent) */
	bool json;		     /* status */
	bool csr;		     /* next-key */
};

/*
 * Parses argv ("rollover", SUB, options and arguments). Returns 0 with ret
 * filled; 1 after printing the usage (--help); else, after one line on
 * stderr naming the bad subcommand, option or argument, CLI_EXIT_UNKNOWN.
 */
int ctl_rollover_parse(int argc, char **argv, struct ctl_rollover_args *ret);

/*
 * Prints xdaned's rollover status for a person (when print): a line per
 * domain for {"rollovers": [...]}, the detail of one for a single object.
 * Returns the exit code: CLI_EXIT_CRITICAL when a rollover failed,
 * CLI_EXIT_WARNING when one stalled, else CLI_EXIT_OK.
 */
int ctl_rollover_print(FILE *out, const json_t *doc, bool print);

#endif
