/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `xdane check`: reads options (and --config), runs the checks of all
 * domains on one event loop, a bounded number at a time, each with its
 * deadline, then prints the reports in the order the domains were given and
 * exits with the monitoring-plugin code of the worst result.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "checks/dnscheck.h"
#include "checks/judge.h"
#include "checks/report.h"
#include "checks/resolver.h"
#include "common/err.h"
#include "daemon/checkcmd.h"
#include "daemon/cli.h"
#include "daemon/config.h"

/*
 * Domains checked at once. Each holds its facts (about 150 KiB) until it is
 * judged; the resolver's own cap bounds the queries.
 */
#define CHECKCMD_MAX_PARALLEL 64

static const char checkcmd_usage[] =
	"usage: xdane check [--config FILE] [--resolver-config FILE] [--trust-anchor FILE]\n"
	"                   [--ca-file FILE] [--auth-port N] [--service NAME]... [--json]\n"
	"                   [--timeout SECONDS] [--max-queries N] [--no-zone-health] DOMAIN...\n"
	"Check the DNSSEC and DANE deployment of XMPP domains once. Exit 0 ok, 1 warning,\n"
	"2 critical, 3 could not check. Without DOMAIN, the domains of --config.\n";

struct checkcmd_opts {
	const char *config_path;
	const char *resolver_config;
	const char *trust_anchor;
	const char *ca_file;
	long auth_port; /* -1: from config */
	long timeout_s;
	long max_queries;
	unsigned services; /* 0: all */
	bool json;
	bool no_zone_health;
};

struct checkcmd_run;

struct checkcmd_slot {
	struct checkcmd_run *run;
	const char *domain;
	struct dnscheck *check;
	struct event *deadline;
	bool finished; /* judged, or given up */
	bool unknown;  /* could not check */
	enum severity worst;
	char *text;
};

struct checkcmd_run {
	struct event_base *base;
	struct resolver *res;
	struct report *report;
	struct judge_opts judge;
	struct dnscheck_opts dns;
	struct checkcmd_slot *slots;
	size_t n_slots;
	size_t next;	/* first slot not started */
	size_t running; /* started and not finished */
	size_t done;
	unsigned timeout_s;
	bool json;
};

static bool checkcmd_number(const char *opt, const char *value, unsigned long max, long *ret)
{
	unsigned long v;

	if (!cli_parse_uint(value, max, &v) || v == 0) {
		cli_error("check", "%s '%s': expected a number from 1 to %lu", opt, value, max);
		return false;
	}
	*ret = (long)v;
	return true;
}

/* Returns 0 to go on, 1 after --help, or an exit code. */
static int checkcmd_parse(int argc, char **argv, struct checkcmd_opts *o)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"resolver-config", required_argument, NULL, 'r'},
		{"trust-anchor", required_argument, NULL, 'a'},
		{"ca-file", required_argument, NULL, 'C'},
		{"auth-port", required_argument, NULL, 'p'},
		{"service", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"max-queries", required_argument, NULL, 'q'},
		{"no-zone-health", no_argument, NULL, 'Z'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	int svc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:r:a:C:p:s:jt:q:Zh", opts, NULL)) != -1) {
		bool ok = true;

		switch (opt) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'r':
			o->resolver_config = optarg;
			break;
		case 'a':
			o->trust_anchor = optarg;
			break;
		case 'C':
			o->ca_file = optarg;
			break;
		case 'p':
			ok = checkcmd_number("--auth-port", optarg, 65535, &o->auth_port);
			break;
		case 's':
			svc = facts_service_from_name(optarg);
			if (svc < 0) {
				cli_error("check",
					  "--service '%s': expected xmpp-client, xmpp-server, "
					  "xmpps-client or xmpps-server",
					  optarg);
				ok = false;
			} else {
				o->services |= 1u << svc;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			ok = checkcmd_number("--timeout", optarg, 3600, &o->timeout_s);
			break;
		case 'q':
			ok = checkcmd_number("--max-queries", optarg, 65536, &o->max_queries);
			break;
		case 'Z':
			o->no_zone_health = true;
			break;
		case 'h':
			fputs(checkcmd_usage, stdout);
			return 1;
		default:
			return cli_bad_option("check", argv, optind, optopt);
		}
		if (!ok) {
			return CLI_EXIT_UNKNOWN;
		}
	}
	return 0;
}

static void checkcmd_start_next(struct checkcmd_run *run);

static void checkcmd_finish(struct checkcmd_run *run, struct checkcmd_slot *slot)
{
	slot->finished = true;
	if (slot->deadline != NULL) {
		event_free(slot->deadline);
		slot->deadline = NULL;
	}
	run->running--;
	run->done++;
	if (run->done == run->n_slots) {
		event_base_loopbreak(run->base);
	} else {
		checkcmd_start_next(run);
	}
}

static void checkcmd_record_error(struct checkcmd_run *run, struct checkcmd_slot *slot,
				  const char *error)
{
	slot->unknown = true;
	report_set_error(run->report, (size_t)(slot - run->slots), slot->domain, error);
	if (asprintf(&slot->text, "%s: unknown: %s\n", slot->domain, error) < 0) {
		slot->text = NULL;
	}
}

static void checkcmd_on_done(void *arg, struct dnscheck *c, struct domain_facts *f)
{
	struct checkcmd_slot *slot = arg;
	struct checkcmd_run *run = slot->run;
	struct findings fl = {0};
	int r;

	r = judge_dns(f, run->dns.now, &run->judge, &fl);
	if (r == 0) {
		r = report_set(run->report, (size_t)(slot - run->slots), f, &fl);
	}
	if (r == 0 && !run->json) {
		r = report_text(f, &fl, &slot->text);
	}
	if (r < 0) {
		checkcmd_record_error(run, slot, "out of memory");
	}
	slot->worst = findings_worst(&fl);
	findings_release(&fl);
	dnscheck_free(c);
	slot->check = NULL;
	checkcmd_finish(run, slot);
}

static void checkcmd_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct checkcmd_slot *slot = arg;
	char why[128];

	(void)fd;
	(void)what;
	/* The check keeps its lookups until the resolver goes; it is freed after that. */
	snprintf(why, sizeof(why), "not finished within %u s (--timeout)", slot->run->timeout_s);
	checkcmd_record_error(slot->run, slot, why);
	checkcmd_finish(slot->run, slot);
}

static void checkcmd_start_next(struct checkcmd_run *run)
{
	while (run->running < CHECKCMD_MAX_PARALLEL && run->next < run->n_slots) {
		struct checkcmd_slot *slot = &run->slots[run->next++];
		struct timeval tv = {(time_t)run->timeout_s, 0};
		int r;

		run->running++;
		slot->deadline = evtimer_new(run->base, checkcmd_on_deadline, slot);
		if (slot->deadline == NULL || evtimer_add(slot->deadline, &tv) < 0) {
			checkcmd_record_error(run, slot, "out of memory");
			checkcmd_finish(run, slot);
			continue;
		}
		r = dnscheck_start(run->base, run->res, slot->domain, &run->dns, checkcmd_on_done,
				   slot, &slot->check);
		if (r < 0) {
			checkcmd_record_error(run, slot, err_str(r));
			checkcmd_finish(run, slot);
		}
	}
}

/* Exit code of the run: critical beats could-not-check beats warning (monitoring plugins). */
static int checkcmd_exit_code(const struct checkcmd_run *run)
{
	bool unknown = false;
	enum severity worst = SEVERITY_OK;
	size_t i;

	for (i = 0; i < run->n_slots; i++) {
		if (run->slots[i].unknown) {
			unknown = true;
		} else if (run->slots[i].worst > worst) {
			worst = run->slots[i].worst;
		}
	}
	if (worst == SEVERITY_CRITICAL) {
		return CLI_EXIT_CRITICAL;
	}
	if (unknown) {
		return CLI_EXIT_UNKNOWN;
	}
	return worst == SEVERITY_WARNING ? CLI_EXIT_WARNING : CLI_EXIT_OK;
}

static int checkcmd_output(const struct checkcmd_run *run)
{
	char *json = NULL;
	size_t i;

	if (run->json) {
		if (report_json(run->report, &json) < 0) {
			cli_error("check", "out of memory");
			return CLI_EXIT_UNKNOWN;
		}
		fputs(json, stdout);
		fputc('\n', stdout);
		free(json);
	} else {
		for (i = 0; i < run->n_slots; i++) {
			if (run->slots[i].text != NULL) {
				fputs(run->slots[i].text, stdout);
			}
			if (i + 1 < run->n_slots) {
				fputc('\n', stdout);
			}
		}
	}
	if (fflush(stdout) != 0) {
		cli_error("check", "writing the report failed");
		return CLI_EXIT_UNKNOWN;
	}
	return checkcmd_exit_code(run);
}

/* Options over config over defaults; fills the judge and DNS options of the run. */
static void checkcmd_settings(const struct checkcmd_opts *o, const struct config *cfg,
			      struct checkcmd_run *run, struct resolver_opts *ro)
{
	int i;

	judge_opts_init(&run->judge);
	run->judge.rrsig_margin_s = cfg->rrsig_margin_s;
	for (i = 0; i < FINDING_COUNT; i++) {
		run->judge.severity[i] = cfg->severity[i];
	}
	run->dns.services = o->services != 0 ? o->services : DNSCHECK_ALL_SERVICES;
	run->dns.zone_health = !o->no_zone_health;
	run->dns.auth_port = (uint16_t)(o->auth_port > 0 ? (unsigned long)o->auth_port
							 : cfg->auth_port);
	run->dns.now = (int64_t)time(NULL);
	run->timeout_s = o->timeout_s > 0 ? (unsigned)o->timeout_s : cfg->timeout_s;
	run->json = o->json;
	ro->config_file = o->resolver_config != NULL ? o->resolver_config : cfg->resolver_config;
	ro->trust_anchor_file = o->trust_anchor != NULL ? o->trust_anchor : cfg->trust_anchor;
	ro->max_inflight = o->max_queries > 0 ? (unsigned)o->max_queries : cfg->max_queries;
}

/* The domains to check: the arguments, else the config's. NULL and an exit code if none. */
static int checkcmd_domains(int argc, char **argv, const struct config *cfg,
			    struct checkcmd_run *run)
{
	size_t i;
	size_t n = argc > 0 ? (size_t)argc : cfg->n_domains;

	if (n == 0) {
		cli_error("check", "no DOMAIN given (try --help)");
		return CLI_EXIT_UNKNOWN;
	}
	run->slots = calloc(n, sizeof(*run->slots));
	if (run->slots == NULL) {
		cli_error("check", "out of memory");
		return CLI_EXIT_UNKNOWN;
	}
	run->n_slots = n;
	for (i = 0; i < n; i++) {
		run->slots[i].run = run;
		run->slots[i].domain = argc > 0 ? argv[i] : cfg->domains[i].name;
		if (!dnscheck_name_is_valid(run->slots[i].domain)) {
			cli_error("check", "'%s' is not a valid domain name", run->slots[i].domain);
			return CLI_EXIT_UNKNOWN;
		}
	}
	return 0;
}

static void checkcmd_cleanup(struct checkcmd_run *run)
{
	size_t i;

	resolver_free(run->res); /* first: checks given up on still own lookups */
	for (i = 0; i < run->n_slots; i++) {
		if (run->slots[i].deadline != NULL) {
			event_free(run->slots[i].deadline);
		}
		dnscheck_free(run->slots[i].check);
		free(run->slots[i].text);
	}
	free(run->slots);
	report_free(run->report);
	if (run->base != NULL) {
		event_base_free(run->base);
	}
}

int checkcmd_main(int argc, char **argv)
{
	struct checkcmd_opts o = {0};
	struct checkcmd_run run;
	struct resolver_opts ro = {0};
	struct config *cfg = NULL;
	char err[512];
	int r;

	memset(&run, 0, sizeof(run));
	r = checkcmd_parse(argc, argv, &o);
	if (r != 0) {
		return r == 1 ? CLI_EXIT_OK : r;
	}
	r = o.config_path != NULL ? config_load(o.config_path, &cfg, err, sizeof(err))
				  : config_defaults(&cfg);
	if (r < 0) {
		cli_error("check", "%s", o.config_path != NULL ? err : "out of memory");
		return CLI_EXIT_UNKNOWN;
	}
	r = checkcmd_domains(argc - optind, argv + optind, cfg, &run);
	if (r != 0) {
		goto out;
	}
	checkcmd_settings(&o, cfg, &run, &ro);
	r = CLI_EXIT_UNKNOWN;
	run.base = event_base_new();
	if (run.base == NULL || report_new(run.n_slots, &run.report) < 0) {
		cli_error("check", "out of memory");
		goto out;
	}
	if (resolver_new(run.base, &ro, &run.res, err, sizeof(err)) < 0) {
		cli_error("check", "%s", err);
		goto out;
	}
	checkcmd_start_next(&run);
	if (run.done < run.n_slots) {
		event_base_dispatch(run.base);
	}
	if (resolver_error(run.res) != NULL) {
		cli_error("check", "resolver: %s", resolver_error(run.res));
		goto out;
	}
	r = checkcmd_output(&run);
out:
	checkcmd_cleanup(&run);
	config_free(cfg);
	return r;
}
