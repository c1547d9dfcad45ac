/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `xdane status|trigger|reload|rollover`: requests to xdaned over its control
 * socket (HTTP on a Unix socket, via libcurl). The socket is --control-socket,
 * else the control-socket key of --config, else the default (DESIGN.md). What
 * a request does is the daemon's (daemon/routes.h); this side parses, sends
 * and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "checks/finding.h"
#include "common/buf.h"
#include "common/timefmt.h"
#include "daemon/cli.h"
#include "daemon/config.h"
#include "daemon/ctl.h"
#include "daemon/httpd.h"

/* A status of 10,000 domains is tens of MiB; nothing we ask for is bigger. */
#define CTL_REPLY_MAX (256u << 20)
#define CTL_TIMEOUT_S 30

struct ctl_opts {
	const char *socket;
	const char *config;
	bool json;
};

static size_t ctl_on_data(char *p, size_t size, size_t n, void *arg)
{
	return buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

/* Parses the common options; returns 0 to go on, 1 after --help, else an exit code. */
static int ctl_parse(const char *cmd, const char *usage, int argc, char **argv, bool json_ok,
		     struct ctl_opts *o)
{
	static const struct option opts[] = {
		{"control-socket", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "s:c:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			o->socket = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'j':
			if (!json_ok) {
				return cli_bad_option(cmd, argv, optind, 0);
			}
			o->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			return cli_bad_option(cmd, argv, optind, optopt);
		}
	}
	return 0;
}

/*
 * method url over the control socket, with body (JSON; NULL: none); the
 * answer into reply. Returns the HTTP status, or 0 after printing why the
 * daemon could not be reached.
 */
static long ctl_request(const char *cmd, const struct ctl_opts *o, const char *method,
			const char *path, const char *body, struct buf *reply)
{
	struct config *cfg = NULL;
	const char *socket = o->socket;
	char url[600], err[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURL *c;
	CURLcode rc;
	long status = 0;

	if (socket == NULL && o->config != NULL) {
		char cerr[512];

		if (config_load(o->config, &cfg, cerr, sizeof(cerr)) < 0) {
			cli_error(cmd, "%s", cerr);
			return 0;
		}
		socket = cfg->control_socket;
	}
	if (socket == NULL) {
		socket = CONFIG_DEFAULT_CONTROL_SOCKET;
	}
	c = curl_easy_init();
	if (c == NULL) {
		cli_error(cmd, "out of memory");
		config_free(cfg);
		return 0;
	}
	snprintf(url, sizeof(url), "http://xdaned%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		/* No "Expect: 100-continue" round trip for a body of a few hundred bytes. */
		headers = curl_slist_append(headers, "Content-Type: application/json");
		headers = curl_slist_append(headers, "Expect:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctl_on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CTL_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		cli_error(cmd, "cannot reach xdaned at %s: %s (is it running?)", socket,
			  err[0] ? err : curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	config_free(cfg);
	return status;
}

static int ctl_exit_of(const char *status)
{
	if (status == NULL || strcmp(status, "unknown") == 0) {
		return CLI_EXIT_UNKNOWN;
	}
	if (strcmp(status, "critical") == 0) {
		return CLI_EXIT_CRITICAL;
	}
	return strcmp(status, "warning") == 0 ? CLI_EXIT_WARNING : CLI_EXIT_OK;
}

/* The monitoring-plugin code of several: critical, then could-not-check, then warning. */
static int ctl_worse(int a, int b)
{
	static const int rank[] = {0, 1, 3, 2}; /* by exit code: ok, warning, critical, unknown */

	return rank[b] > rank[a] ? b : a;
}

static void ctl_print_finding(const json_t *f)
{
	const char *target = json_string_value(json_object_get(f, "target"));
	const char *service = json_string_value(json_object_get(f, "service"));
	const char *address = json_string_value(json_object_get(f, "address"));
	json_int_t port = json_integer_value(json_object_get(f, "port"));

	printf("  %-8s %s", json_string_value(json_object_get(f, "severity")),
	       json_string_value(json_object_get(f, "code")));
	if (service != NULL) {
		printf(" %s", service);
	}
	if (target != NULL) {
		printf(" %s", target);
		if (port != 0) {
			printf(":%lld", (long long)port);
		}
	}
	if (address != NULL) {
		printf(" [%s]", address);
	}
	printf(" since %s\n    %s\n", json_string_value(json_object_get(f, "first_seen")),
	       json_string_value(json_object_get(f, "message")));
}

static int ctl_print_domain(const json_t *d)
{
	const char *status = json_string_value(json_object_get(d, "status"));
	const char *at = json_string_value(json_object_get(d, "checked_at"));
	const char *error = json_string_value(json_object_get(d, "error"));
	const json_t *active = json_object_get(d, "active_findings");
	const json_t *f;
	size_t i;

	printf("%s: %s", json_string_value(json_object_get(d, "domain")),
	       status != NULL ? status : "unknown");
	if (at != NULL) {
		printf(", checked %s", at);
	}
	if (error != NULL) {
		printf(" (%s)", error);
	}
	putchar('\n');
	json_array_foreach(active, i, f)
	{
		ctl_print_finding(f);
	}
	return ctl_exit_of(status);
}

/* One line per domain (when print); the exit code of the worst. */
static int ctl_print_all(const json_t *doc, bool print)
{
	const json_t *d, *findings;
	int code = CLI_EXIT_OK;
	size_t i;

	json_array_foreach(json_object_get(doc, "domains"), i, d)
	{
		const char *status = json_string_value(json_object_get(d, "status"));
		const char *at = json_string_value(json_object_get(d, "checked_at"));

		findings = json_object_get(d, "findings");
		code = ctl_worse(code, ctl_exit_of(status));
		if (!print) {
			continue;
		}
		printf("%-40s %-8s %s  %zu finding%s\n",
		       json_string_value(json_object_get(d, "domain")),
		       status != NULL ? status : "unknown", at != NULL ? at : "never checked",
		       json_array_size(findings), json_array_size(findings) == 1 ? "" : "s");
	}
	return code;
}

static const char ctl_status_usage[] =
	"usage: xdane status [--control-socket PATH | --config FILE] [--json] [DOMAIN]\n"
	"Show what xdaned last saw: every domain, or one with its active findings and\n"
	"when each was first seen. Exit 0 ok, 1 warning, 2 critical, 3 unknown or no daemon.\n";

int ctl_status_main(int argc, char **argv)
{
	struct ctl_opts o = {0};
	struct buf reply;
	char path[300];
	json_t *doc;
	long status;
	int r = ctl_parse("status", ctl_status_usage, argc, argv, true, &o);

	if (r != 0) {
		return r == 1 ? CLI_EXIT_OK : r;
	}
	if (argc - optind > 1) {
		cli_error("status", "one DOMAIN at most (try --help)");
		return CLI_EXIT_UNKNOWN;
	}
	if (optind < argc && (strlen(argv[optind]) > 255 || strchr(argv[optind], '/') != NULL)) {
		cli_error("status", "'%s' is not a domain name", argv[optind]);
		return CLI_EXIT_UNKNOWN;
	}
	snprintf(path, sizeof(path), "/status%s%s", optind < argc ? "/" : "",
		 optind < argc ? argv[optind] : "");
	buf_init(&reply, CTL_REPLY_MAX);
	status = ctl_request("status", &o, "GET", path, NULL, &reply);
	if (status == 0) {
		buf_release(&reply);
		return CLI_EXIT_UNKNOWN;
	}
	if (status != 200) {
		if (reply.len > 0 && reply.data[reply.len - 1] == '\n') {
			reply.data[--reply.len] = '\0';
		}
		cli_error("status", "%s", reply.data != NULL ? (char *)reply.data : "no answer");
		buf_release(&reply);
		return CLI_EXIT_UNKNOWN;
	}
	doc = json_loads((char *)reply.data, 0, NULL);
	if (doc == NULL) {
		cli_error("status", "xdaned's answer is not JSON");
		buf_release(&reply);
		return CLI_EXIT_UNKNOWN;
	}
	if (o.json) {
		fputs((char *)reply.data, stdout);
		fputc('\n', stdout);
		r = optind < argc ? ctl_exit_of(json_string_value(json_object_get(doc, "status")))
				  : ctl_print_all(doc, false);
	} else {
		r = optind < argc ? ctl_print_domain(doc) : ctl_print_all(doc, true);
	}
	json_decref(doc);
	buf_release(&reply);
	return r;
}

/*
 * A request whose answer is printed as it comes (one line, a path, a PEM
 * file): 2xx is success; 404 (not a domain it knows) and no daemon are
 * CLI_EXIT_UNKNOWN; any other answer goes to stderr and is 1.
 */
static int ctl_call(const char *cmd, const struct ctl_opts *o, const char *method, const char *path,
		    const char *body)
{
	struct buf reply;
	long status;
	int r;

	buf_init(&reply, 64 * 1024);
	status = ctl_request(cmd, o, method, path, body, &reply);
	if (status == 0) {
		r = CLI_EXIT_UNKNOWN;
	} else if (status >= 200 && status < 300) {
		fputs(reply.data != NULL ? (char *)reply.data : "ok\n", stdout);
		r = CLI_EXIT_OK;
	} else {
		if (reply.len > 0 && reply.data[reply.len - 1] == '\n') {
			reply.data[reply.len - 1] = '\0';
		}
		cli_error(cmd, "%s", reply.data != NULL ? (char *)reply.data : "failed");
		r = status == 404 ? CLI_EXIT_UNKNOWN : 1;
	}
	buf_release(&reply);
	return r;
}

static const char ctl_trigger_usage[] =
	"usage: xdane trigger [--control-socket PATH | --config FILE] DOMAIN\n"
	"Have xdaned check DOMAIN now (or right after the check that is running).\n";

int ctl_trigger_main(int argc, char **argv)
{
	struct ctl_opts o = {0};
	char path[300];
	int r = ctl_parse("trigger", ctl_trigger_usage, argc, argv, false, &o);

	if (r != 0) {
		return r == 1 ? CLI_EXIT_OK : r;
	}
	if (argc - optind != 1) {
		cli_error("trigger", "expected one DOMAIN (try --help)");
		return CLI_EXIT_UNKNOWN;
	}
	if (strlen(argv[optind]) > 255 || strchr(argv[optind], '/') != NULL) {
		cli_error("trigger", "'%s' is not a domain name", argv[optind]);
		return CLI_EXIT_UNKNOWN;
	}
	snprintf(path, sizeof(path), "/trigger/%s", argv[optind]);
	return ctl_call("trigger", &o, "POST", path, NULL);
}

static const char ctl_reload_usage[] =
	"usage: xdane reload [--control-socket PATH | --config FILE]\n"
	"Have xdaned re-read its config; when the new one is invalid it says why and keeps\n"
	"running on the old one (exit 1).\n";

int ctl_reload_main(int argc, char **argv)
{
	struct ctl_opts o = {0};
	int r = ctl_parse("reload", ctl_reload_usage, argc, argv, false, &o);

	if (r != 0) {
		return r == 1 ? CLI_EXIT_OK : r;
	}
	if (optind < argc) {
		cli_error("reload", "unexpected argument '%s' (try --help)", argv[optind]);
		return CLI_EXIT_UNKNOWN;
	}
	return ctl_call("reload", &o, "POST", "/reload", NULL);
}

/* --- xdane rollover ------------------------------------------------------------------- */

static const char ctl_rollover_usage[] =
	"usage: xdane rollover status [--json] [DOMAIN]\n"
	"       xdane rollover stage DOMAIN --cert FILE --key FILE\n"
	"       xdane rollover abort DOMAIN\n"
	"       xdane rollover next-key [--csr] DOMAIN\n"
	"Each also takes --control-socket PATH or --config FILE.\n"
	"Watch and steer xdaned's certificate rollovers: their state, a new certificate\n"
	"handed in, a rollover called off, the pre-published next key. 'xdane rollover\n"
	"SUBCOMMAND --help' says more.\n";

/* Options of every subcommand; each takes -s, -c and -h and those its opts name. */
static const struct option ctl_rollover_opts[] = {
	{"control-socket", required_argument, NULL, 's'},
	{"config", required_argument, NULL, 'c'},
	{"json", no_argument, NULL, 'j'},
	{"cert", required_argument, NULL, 'C'},
	{"key", required_argument, NULL, 'k'},
	{"csr", no_argument, NULL, 'r'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const struct {
	const char *name;
	const char *opts; /* its own options, by their getopt value */
	int min_args, max_args;
	const char *usage;
} ctl_rollover_subs[] = {
	[CTL_ROLLOVER_STATUS] =
		{"status", "j", 0, 1,
		 "usage: xdane rollover status [--control-socket PATH | --config FILE]"
		 " [--json] [DOMAIN]\n"
		 "Show the rollover of every domain that has a rollover block, or of one:\n"
		 "its state, since when, the wait before a new key may be deployed, the\n"
		 "keys and commands. Exit 0, 1 when a rollover is stalled, 2 when one\n"
		 "failed, 3 when xdaned cannot tell.\n"},
	[CTL_ROLLOVER_STAGE] =
		{"stage", "Ck", 1, 1,
		 "usage: xdane rollover stage [--control-socket PATH | --config FILE]"
		 " DOMAIN\n"
		 "                            --cert FILE --key FILE\n"
		 "Hand a new certificate and its key to xdaned: it checks and copies them,\n"
		 "publishes the new key's TLSA next to the current one, waits until every\n"
		 "resolver may have seen it, and only then runs the deploy command. xdaned\n"
		 "reads the files itself (as its own user): give paths it can read.\n"},
	[CTL_ROLLOVER_ABORT] =
		{"abort", "", 1, 1,
		 "usage: xdane rollover abort [--control-socket PATH | --config FILE]"
		 " DOMAIN\n"
		 "Call off a rollover that has not deployed yet: back to idle, the new TLSA\n"
		 "withdrawn.\n"},
	[CTL_ROLLOVER_NEXT_KEY] =
		{"next-key", "r", 1, 1,
		 "usage: xdane rollover next-key [--control-socket PATH |"
		 " --config FILE] [--csr] DOMAIN\n"
		 "Print the path of the next key xdaned keeps published (current-next\n"
		 "mode), or with --csr a certificate signing request for it (PEM), for\n"
		 "the ACME client.\n"},
};

#define CTL_ROLLOVER_SUBS (sizeof(ctl_rollover_subs) / sizeof(ctl_rollover_subs[0]))

/* A name that can go into a URL path as it is, as configured domains are written. */
static bool ctl_is_domain(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || s[0] == '.' || strstr(s, "..") != NULL) {
		return false; /* "..", as a path segment, would be a different URL */
	}
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

static const char *ctl_option_name(int val)
{
	size_t i;

	for (i = 0; ctl_rollover_opts[i].name != NULL; i++) {
		if (ctl_rollover_opts[i].val == val) {
			return ctl_rollover_opts[i].name;
		}
	}
	return "?";
}

int ctl_rollover_parse(int argc, char **argv, struct ctl_rollover_args *ret)
{
	struct ctl_rollover_args a = {0};
	char cmd[32];
	size_t sub;
	int opt, nargs;

	if (argc < 2) {
		cli_error("rollover", "expected a subcommand: status, stage, abort or next-key "
				      "(try --help)");
		return CLI_EXIT_UNKNOWN;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(ctl_rollover_usage, stdout);
		return 1;
	}
	for (sub = 0; sub < CTL_ROLLOVER_SUBS; sub++) {
		if (strcmp(argv[1], ctl_rollover_subs[sub].name) == 0) {
			break;
		}
	}
	if (sub == CTL_ROLLOVER_SUBS) {
		if (argv[1][0] == '-') {
			cli_error("rollover",
				  "the subcommand comes first, before '%s' (try --help)", argv[1]);
		} else {
			cli_error("rollover", "unknown subcommand '%s' (try --help)", argv[1]);
		}
		return CLI_EXIT_UNKNOWN;
	}
	a.sub = (enum ctl_rollover_sub)sub;
	snprintf(cmd, sizeof(cmd), "rollover %s", ctl_rollover_subs[sub].name);
	argc--;
	argv++;
	opterr = 0;
	optind = 0; /* glibc: start afresh (tests parse several command lines) */
	while ((opt = getopt_long(argc, argv, "s:c:jh", ctl_rollover_opts, NULL)) != -1) {
		if (opt == 's' || opt == 'c') {
			*(opt == 's' ? &a.socket : &a.config) = optarg;
			continue;
		}
		if (opt == 'h') {
			fputs(ctl_rollover_subs[sub].usage, stdout);
			return 1;
		}
		if (opt == '?') {
			return cli_bad_option(cmd, argv, optind, optopt);
		}
		if (strchr(ctl_rollover_subs[sub].opts, opt) == NULL) {
			cli_error(cmd, "option '--%s' does not apply here (try --help)",
				  ctl_option_name(opt));
			return CLI_EXIT_UNKNOWN;
		}
		if (opt == 'j') {
			a.json = true;
		} else if (opt == 'r') {
			a.csr = true;
		} else {
			*(opt == 'C' ? &a.cert : &a.key) = optarg;
		}
	}
	nargs = argc - optind;
	if (nargs < ctl_rollover_subs[sub].min_args || nargs > ctl_rollover_subs[sub].max_args) {
		if (nargs > 1) {
			cli_error(cmd, "one DOMAIN only: unexpected '%s' (try --help)",
				  argv[optind + 1]);
		} else {
			cli_error(cmd, "expected a DOMAIN (try --help)");
		}
		return CLI_EXIT_UNKNOWN;
	}
	if (nargs == 1) {
		a.domain = argv[optind];
		if (!ctl_is_domain(a.domain)) {
			cli_error(cmd, "'%s' is not a domain name", a.domain);
			return CLI_EXIT_UNKNOWN;
		}
	}
	if (a.sub == CTL_ROLLOVER_STAGE && (a.cert == NULL || a.key == NULL)) {
		cli_error(cmd, "both --cert FILE and --key FILE are needed (try --help)");
		return CLI_EXIT_UNKNOWN;
	}
	*ret = a;
	return 0;
}

static const char *ctl_str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

/* 45s, 12m05s, 3h04m, 2d05h: a wait at a glance. */
static const char *ctl_duration(json_int_t s, char *out, size_t len)
{
	long long v = s > 0 ? (long long)s : 0;

	if (v < 60) {
		snprintf(out, len, "%llds", v);
	} else if (v < 3600) {
		snprintf(out, len, "%lldm%02llds", v / 60, v % 60);
	} else if (v < 86400) {
		snprintf(out, len, "%lldh%02lldm", v / 3600, v % 3600 / 60);
	} else {
		snprintf(out, len, "%lldd%02lldh", v / 86400, v % 86400 / 3600);
	}
	return out;
}

static const char *ctl_time(const json_t *t, char out[TIMEFMT_RFC3339_LEN])
{
	if (!json_is_integer(t) || timefmt_rfc3339(json_integer_value(t), out) < 0) {
		snprintf(out, TIMEFMT_RFC3339_LEN, "?");
	}
	return out;
}

static int ctl_rollover_exit(const json_t *r)
{
	if (json_is_true(json_object_get(r, "failed"))) {
		return CLI_EXIT_CRITICAL;
	}
	return json_is_true(json_object_get(r, "stalled")) ? CLI_EXIT_WARNING : CLI_EXIT_OK;
}

/* "  failed: MESSAGE" or "  stalled: MESSAGE", when it is. */
static void ctl_rollover_problem(FILE *out, const json_t *r)
{
	int code = ctl_rollover_exit(r);

	if (code != CLI_EXIT_OK) {
		fprintf(out, "  %s: %s\n", code == CLI_EXIT_CRITICAL ? "failed" : "stalled",
			ctl_str(r, "message", "(no message)"));
	}
}

static void ctl_rollover_line(FILE *out, const json_t *r)
{
	const char *state = ctl_str(r, "state", "?");
	char when[TIMEFMT_RFC3339_LEN], wait[32];

	fprintf(out, "%-40s %-12s %-10s", ctl_str(r, "domain", "?"), ctl_str(r, "mode", "-"),
		state);
	if (strcmp(state, "none") == 0) {
		fprintf(out, " %s\n", ctl_str(r, "detail", ""));
		return;
	}
	fprintf(out, " since %s  wait %s\n", ctl_time(json_object_get(r, "entered"), when),
		ctl_duration(json_integer_value(json_object_get(r, "wait_seconds")), wait,
			     sizeof(wait)));
	ctl_rollover_problem(out, r);
}

static void ctl_rollover_command(FILE *out, const char *name, const json_t *c)
{
	bool in_flight = json_is_true(json_object_get(c, "in_flight"));
	json_int_t attempts = json_integer_value(json_object_get(c, "attempts"));
	const char *error = ctl_str(c, "error", NULL);

	if (!in_flight && attempts == 0) {
		return;
	}
	fprintf(out, "  %-10s %s", name, in_flight ? "running" : "to be retried");
	if (attempts > 0) {
		fprintf(out, ", failed %lld time%s", (long long)attempts, attempts == 1 ? "" : "s");
	}
	if (error != NULL) {
		fprintf(out, ": %s", error);
	}
	fputc('\n', out);
}

static void ctl_rollover_detail(FILE *out, const json_t *r)
{
	static const char *const keys[] = {"current", "new", "next", "lingering"};
	static const char *const commands[] = {"publish", "deploy", "generate"};
	const json_t *spki = json_object_get(r, "keys_spki_sha256");
	const json_t *owner;
	const char *state = ctl_str(r, "state", "?");
	char when[TIMEFMT_RFC3339_LEN], held[32], wait[32];
	size_t i;

	fprintf(out, "%s: %s", ctl_str(r, "domain", "?"), state);
	if (strcmp(state, "none") == 0) {
		fprintf(out, " (%s)\n", ctl_str(r, "detail", "no rollover state"));
		return;
	}
	fprintf(out, ", %s, since %s (%s)\n", ctl_str(r, "mode", "?"),
		ctl_time(json_object_get(r, "entered"), when),
		ctl_duration(json_integer_value(json_object_get(r, "held_seconds")), held,
			     sizeof(held)));
	fprintf(out, "  %-10s %s\n", "wait",
		ctl_duration(json_integer_value(json_object_get(r, "wait_seconds")), wait,
			     sizeof(wait)));
	json_array_foreach(json_object_get(r, "owners"), i, owner)
	{
		const char *name = json_string_value(owner);

		fprintf(out, "  %-10s %s\n", i == 0 ? "owners" : "", name != NULL ? name : "?");
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *hex = ctl_str(spki, keys[i], NULL);

		if (hex != NULL) {
			fprintf(out, "  %-10s %s\n", keys[i], hex);
		}
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		ctl_rollover_command(out, commands[i],
				     json_object_get(json_object_get(r, "commands"), commands[i]));
	}
	ctl_rollover_problem(out, r);
}

int ctl_rollover_print(FILE *out, const json_t *doc, bool print)
{
	const json_t *list = json_object_get(doc, "rollovers");
	const json_t *r;
	int code = CLI_EXIT_OK;
	size_t i;

	if (!json_is_array(list)) {
		if (print) {
			ctl_rollover_detail(out, doc);
		}
		return ctl_rollover_exit(doc);
	}
	if (print && json_array_size(list) == 0) {
		fputs("no domain has a rollover block\n", out);
	}
	json_array_foreach(list, i, r)
	{
		code = ctl_worse(code, ctl_rollover_exit(r));
		if (print) {
			ctl_rollover_line(out, r);
		}
	}
	return code;
}

static int ctl_rollover_status(const struct ctl_rollover_args *a, const struct ctl_opts *o)
{
	const char *cmd = "rollover status";
	struct buf reply;
	char path[300];
	json_t *doc = NULL;
	long status;
	int r = CLI_EXIT_UNKNOWN;

	snprintf(path, sizeof(path), "/rollover%s%s", a->domain != NULL ? "/" : "",
		 a->domain != NULL ? a->domain : "");
	buf_init(&reply, CTL_REPLY_MAX);
	status = ctl_request(cmd, o, "GET", path, NULL, &reply);
	if (status == 0) {
		goto out;
	}
	if (status != 200) {
		if (reply.len > 0 && reply.data[reply.len - 1] == '\n') {
			reply.data[--reply.len] = '\0';
		}
		cli_error(cmd, "%s", reply.data != NULL ? (char *)reply.data : "no answer");
		goto out;
	}
	doc = json_loads(reply.data != NULL ? (char *)reply.data : "", 0, NULL);
	if (doc == NULL) {
		cli_error(cmd, "xdaned's answer is not JSON");
		goto out;
	}
	if (o->json) {
		fputs((char *)reply.data, stdout);
		fputc('\n', stdout);
	}
	r = ctl_rollover_print(stdout, doc, !o->json);
out:
	json_decref(doc);
	buf_release(&reply);
	return r;
}

/* The files go as absolute paths: xdaned reads them from its own working directory. */
static int ctl_rollover_stage(const struct ctl_rollover_args *a, const struct ctl_opts *o)
{
	const char *cmd = "rollover stage";
	char *cert = NULL, *key = NULL, *body = NULL;
	char path[300];
	json_t *doc = NULL;
	int r = CLI_EXIT_UNKNOWN;

	cert = realpath(a->cert, NULL);
	if (cert == NULL) {
		cli_error(cmd, "%s: %s", a->cert, strerror(errno));
		goto out;
	}
	key = realpath(a->key, NULL);
	if (key == NULL) {
		cli_error(cmd, "%s: %s", a->key, strerror(errno));
		goto out;
	}
	doc = json_pack("{s:s, s:s}", "cert", cert, "key", key);
	if (doc == NULL) {
		cli_error(cmd, "'%s' or '%s' cannot be sent: paths must be UTF-8", cert, key);
		goto out;
	}
	body = json_dumps(doc, JSON_COMPACT);
	if (body == NULL) {
		cli_error(cmd, "out of memory");
		goto out;
	}
	if (strlen(body) > HTTPD_BODY_MAX) {
		cli_error(cmd, "the two paths are too long for xdaned (%d bytes of JSON at most)",
			  HTTPD_BODY_MAX);
		goto out;
	}
	snprintf(path, sizeof(path), "/rollover/%s/stage", a->domain);
	r = ctl_call(cmd, o, "POST", path, body);
out:
	free(body);
	json_decref(doc);
	free(key);
	free(cert);
	return r;
}

int ctl_rollover_main(int argc, char **argv)
{
	struct ctl_rollover_args a;
	struct ctl_opts o = {0};
	char path[300];
	int r = ctl_rollover_parse(argc, argv, &a);

	if (r != 0) {
		return r == 1 ? CLI_EXIT_OK : r;
	}
	o.socket = a.socket;
	o.config = a.config;
	o.json = a.json;
	switch (a.sub) {
	case CTL_ROLLOVER_STATUS:
		return ctl_rollover_status(&a, &o);
	case CTL_ROLLOVER_STAGE:
		return ctl_rollover_stage(&a, &o);
	case CTL_ROLLOVER_ABORT:
		snprintf(path, sizeof(path), "/rollover/%s/abort", a.domain);
		return ctl_call("rollover abort", &o, "POST", path, NULL);
	case CTL_ROLLOVER_NEXT_KEY:
		snprintf(path, sizeof(path), "/rollover/%s/%s", a.domain,
			 a.csr ? "csr" : "next-key");
		return ctl_call("rollover next-key", &o, "GET", path, NULL);
	}
	return CLI_EXIT_UNKNOWN;
}
