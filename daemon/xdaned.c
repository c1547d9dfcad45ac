/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `xdaned`, the daemon. Its scheduler, state, HTTP and control socket arrive
 * with the daemon issue; until then it knows its version and its options.
 */
#include <stdio.h>
#include <string.h>

static const char xdaned_usage[] = "usage: xdaned [-c FILE] [--foreground] [--check-config]\n";

int main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("xdaned %s\n", XDANE_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(xdaned_usage, stdout);
		return 0;
	}
	fputs("xdaned: the daemon does not run checks in this version; use 'xdane' for the "
	      "record tools\n",
	      stderr);
	return 3;
}
