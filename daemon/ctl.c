/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `xdane status|trigger|reload`: requests to xdaned over its control socket
 * (HTTP on a Unix socket, via libcurl). The socket is --control-socket, else
 * the control-socket key of --config, else the default (DESIGN.md).
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
#include "daemon/cli.h"
#include "daemon/config.h"
#include "daemon/ctl.h"

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
 * method url over the control socket; the body into reply. Returns the HTTP
 * status, or 0 after printing why the daemon could not be reached.
 */
static long ctl_request(const char *cmd, const struct ctl_opts *o, const char *method,
			const char *path, struct buf *reply)
{
	struct config *cfg = NULL;
	const char *socket = o->socket;
	char url[600], err[CURL_ERROR_SIZE] = "";
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
	if (strcmp(method, "POST") == 0) {
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
	status = ctl_request("status", &o, "GET", path, &reply);
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

/* A POST whose answer is one line; 2xx is success. */
static int ctl_post(const char *cmd, const struct ctl_opts *o, const char *path)
{
	struct buf reply;
	long status;
	int r;

	buf_init(&reply, 64 * 1024);
	status = ctl_request(cmd, o, "POST", path, &reply);
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
	return ctl_post("trigger", &o, path);
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
	return ctl_post("reload", &o, "/reload");
}
