/* SPDX-License-Identifier: BSD-3-Clause */
/* `xdane`, the command line: everything lives in daemon/cli.c and the libraries. */
#include "daemon/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
