/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `xdane`: one table of subcommands, each a function taking its own argv.
 * Usage errors print one line and exit CLI_EXIT_UNKNOWN.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/checkcmd.h"
#include "daemon/cli.h"
#include "daemon/ctl.h"
#include "daemon/records.h"

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct cli_command cli_commands[] = {
	{"check", checkcmd_main, "check the DNSSEC and DANE deployment of XMPP domains once"},
	{"cert", records_cert_main, "describe a certificate: identities, dates, key, TLSA data"},
	{"tlsa", records_tlsa_main, "print a TLSA record for a certificate or key"},
	{"ds", records_ds_main, "print DS records for the key-signing keys in a DNSKEY file"},
	{"status", ctl_status_main, "show what xdaned last saw (all domains, or one)"},
	{"trigger", ctl_trigger_main, "have xdaned check a domain now"},
	{"reload", ctl_reload_main, "have xdaned re-read its config"},
	{"rollover", ctl_rollover_main, "show, start or call off xdaned's certificate rollovers"},
};

static void cli_usage(FILE *out)
{
	size_t i;

	fputs("usage: xdane COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", out);
	for (i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++) {
		fprintf(out, "  %-8s %s\n", cli_commands[i].name, cli_commands[i].summary);
	}
	fputs("\n'xdane COMMAND --help' shows a command's options; man xdane(1) has the rest.\n",
	      out);
}

int cli_main(int argc, char **argv)
{
	size_t i;

	/* A peer closing mid-handshake must not kill us: OpenSSL writes without MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2) {
		cli_usage(stderr);
		return CLI_EXIT_UNKNOWN;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		cli_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("xdane %s\n", XDANE_VERSION);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++) {
		if (strcmp(argv[1], cli_commands[i].name) == 0) {
			return cli_commands[i].run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "xdane: unknown command '%s' (try 'xdane --help')\n", argv[1]);
	return CLI_EXIT_UNKNOWN;
}

bool cli_parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '9') {
		return false; /* strtoul would accept " 1", "+1" and "-1" */
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max) {
		return false;
	}
	*ret = v;
	return true;
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xdane %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_bad_option(const char *cmd, char **argv, int next_index, int bad_opt)
{
	const char *arg = argv[next_index - 1];

	/* getopt_long sets optopt to a known option's value when its argument is missing. */
	if (bad_opt != 0) {
		if (arg[0] == '-' && arg[1] != '-') {
			cli_error(cmd, "option '-%c' is unknown or needs a value (try --help)",
				  bad_opt);
		} else {
			cli_error(cmd, "option '%s' needs a value", arg);
		}
	} else {
		cli_error(cmd, "unknown option '%s' (try --help)", arg);
	}
	return CLI_EXIT_UNKNOWN;
}
