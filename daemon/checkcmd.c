/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `xdane check`: reads options (and --config), runs the checks of all
 * domains on one event loop, a bounded number at a time, each with its
 * deadline, then prints the reports in the order the domains were given and
 * exits with the monitoring-plugin code of the worst result.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "checks/dnscheck.h"
#include "checks/judge.h"
#include "checks/report.h"
#include "checks/resolver.h"
#include "checks/runner.h"
#include "common/err.h"
#include "daemon/checkcmd.h"
#include "daemon/cli.h"
#include "daemon/config.h"

static const char checkcmd_usage[] =
	"usage: xdane check [--config FILE] [--resolver-config FILE] [--trust-anchor FILE]\n"
	"                   [--ca-file FILE] [--auth-port N] [--service NAME]... [--json]\n"
	"                   [--timeout SECONDS] [--max-queries N] [--workers N]\n"
	"                   [--no-zone-health] [--dns-only] DOMAIN...\n"
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
	long workers;	   /* 0: one per CPU, at most 4 */
	unsigned services; /* 0: all */
	bool json;
	bool no_zone_health;
	bool dns_only;
};

struct checkcmd_slot {
	const struct config_domain *conf; /* the domain's block in --config, or NULL */
	bool unknown;			  /* could not check */
	enum severity worst;
	char *text;
};

struct checkcmd_run {
	struct report *report;
	pthread_mutex_t report_lock; /* workers add to the one document */
	struct judge_opts judge;
	struct runner_opts runner;
	struct checkcmd_slot *slots;
	const char **domains;
	unsigned *services; /* per domain: --service, else its config block's, else all */
	size_t n;
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
		{"dns-only", no_argument, NULL, 'D'},
		{"workers", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	int svc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:r:a:C:p:s:jt:q:ZDw:h", opts, NULL)) != -1) {
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
		case 'D':
			o->dns_only = true;
			break;
		case 'w':
			ok = checkcmd_number("--workers", optarg, RUNNER_MAX_WORKERS, &o->workers);
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

/* The judge options of a domain block: its margins and severities (config.c merged them). */
static void checkcmd_domain_judge(const struct config_domain *d, struct judge_opts *o)
{
	int i;

	judge_opts_init(o);
	o->rrsig_margin_s = d->rrsig_margin_s;
	o->cert_margin_s = d->cert_margin_s;
	o->cert_critical_s = d->cert_critical_s;
	for (i = 0; i < FINDING_COUNT; i++) {
		o->severity[i] = d->severity[i];
	}
}

/* "Example.org." and "example.org" name one domain. */
static bool checkcmd_same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	la -= la > 0 && a[la - 1] == '.';
	lb -= lb > 0 && b[lb - 1] == '.';
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* Each domain's block in the config (if any) and the services to check. */
static int checkcmd_domain_settings(const struct checkcmd_opts *o, const struct config *cfg,
				    struct checkcmd_run *run)
{
	size_t i, j;

	run->services = calloc(run->n, sizeof(*run->services));
	if (run->services == NULL) {
		cli_error("check", "out of memory");
		return CLI_EXIT_UNKNOWN;
	}
	for (i = 0; i < run->n; i++) {
		for (j = 0; j < cfg->n_domains && run->slots[i].conf == NULL; j++) {
			if (checkcmd_same_name(run->domains[i], cfg->domains[j].name)) {
				run->slots[i].conf = &cfg->domains[j];
			}
		}
		run->services[i] = o->services != 0		? o->services
				   : run->slots[i].conf != NULL ? run->slots[i].conf->services
								: cfg->services;
	}
	return 0;
}

static void checkcmd_on_result(void *arg, size_t index, const struct domain_facts *f,
			       const char *error)
{
	struct checkcmd_run *run = arg;
	struct checkcmd_slot *slot = &run->slots[index];
	struct findings fl = {0};
	int r = -ENOMEM;

	if (f != NULL) {
		struct judge_opts own;
		const struct judge_opts *jo = &run->judge;

		if (slot->conf != NULL) {
			checkcmd_domain_judge(slot->conf, &own);
			jo = &own;
		}
		r = judge_check(f, run->runner.dns.now, jo, &fl);
		if (r == 0) {
			pthread_mutex_lock(&run->report_lock);
			r = report_set(run->report, index, f, &fl);
			pthread_mutex_unlock(&run->report_lock);
		}
		if (r == 0 && !run->json) {
			r = report_text(f, &fl, &slot->text);
		}
		slot->worst = findings_worst(&fl);
		findings_release(&fl);
		if (r == 0) {
			return;
		}
		error = err_str(r);
	}
	slot->unknown = true;
	pthread_mutex_lock(&run->report_lock);
	report_set_error(run->report, index, run->domains[index], error);
	pthread_mutex_unlock(&run->report_lock);
	free(slot->text);
	if (asprintf(&slot->text, "%s: unknown: %s\n", run->domains[index], error) < 0) {
		slot->text = NULL;
	}
}

/* Exit code of the run: critical beats could-not-check beats warning (monitoring plugins). */
static int checkcmd_exit_code(const struct checkcmd_run *run)
{
	bool unknown = false;
	enum severity worst = SEVERITY_OK;
	size_t i;

	for (i = 0; i < run->n; i++) {
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
		for (i = 0; i < run->n; i++) {
			if (run->slots[i].text != NULL) {
				fputs(run->slots[i].text, stdout);
			}
			if (i + 1 < run->n) {
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

/* Options over config over defaults; fills the judge and runner options of the run. */
static void checkcmd_settings(const struct checkcmd_opts *o, const struct config *cfg,
			      struct checkcmd_run *run)
{
	struct runner_opts *ro = &run->runner;
	int i;

	judge_opts_init(&run->judge);
	run->judge.rrsig_margin_s = cfg->rrsig_margin_s;
	run->judge.cert_margin_s = cfg->cert_margin_s;
	run->judge.cert_critical_s = cfg->cert_critical_s;
	for (i = 0; i < FINDING_COUNT; i++) {
		run->judge.severity[i] = cfg->severity[i];
	}
	ro->dns.services = o->services != 0 ? o->services : DNSCHECK_ALL_SERVICES;
	ro->dns.zone_health = !o->no_zone_health;
	ro->dns.auth_port = (uint16_t)(o->auth_port > 0 ? (unsigned long)o->auth_port
							: cfg->auth_port);
	ro->dns.now = (int64_t)time(NULL);
	ro->timeout_s = o->timeout_s > 0 ? (unsigned)o->timeout_s : cfg->timeout_s;
	ro->workers = (unsigned)o->workers;
	ro->resolver.config_file = o->resolver_config != NULL ? o->resolver_config
							      : cfg->resolver_config;
	ro->resolver.trust_anchor_file = o->trust_anchor != NULL ? o->trust_anchor
								 : cfg->trust_anchor;
	ro->resolver.max_inflight = o->max_queries > 0 ? (unsigned)o->max_queries
						       : cfg->max_queries;
	ro->probe = !o->dns_only;
	ro->prober.ca_file = o->ca_file != NULL ? o->ca_file : cfg->ca_file;
	ro->prober.connect_timeout_s = cfg->connect_timeout_s;
	ro->prober.step_timeout_s = cfg->probe_timeout_s;
	ro->prober.s2s_from = cfg->s2s_from;
	ro->prober.now = ro->dns.now;
	run->json = o->json;
}

/* The domains to check: the arguments, else the config's; an exit code if none or invalid. */
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
	run->domains = calloc(n, sizeof(*run->domains));
	if (run->slots == NULL || run->domains == NULL) {
		cli_error("check", "out of memory");
		return CLI_EXIT_UNKNOWN;
	}
	run->n = n;
	for (i = 0; i < n; i++) {
		run->domains[i] = argc > 0 ? argv[i] : cfg->domains[i].name;
		if (!dnscheck_name_is_valid(run->domains[i])) {
			cli_error("check", "'%s' is not a valid domain name", run->domains[i]);
			return CLI_EXIT_UNKNOWN;
		}
	}
	return 0;
}

static void checkcmd_cleanup(struct checkcmd_run *run)
{
	size_t i;

	for (i = 0; run->slots != NULL && i < run->n; i++) {
		free(run->slots[i].text);
	}
	free(run->slots);
	free(run->domains);
	free(run->services);
	report_free(run->report);
	pthread_mutex_destroy(&run->report_lock);
}

int checkcmd_main(int argc, char **argv)
{
	struct checkcmd_opts o = {0};
	struct checkcmd_run run;
	struct runner *runner = NULL;
	struct config *cfg = NULL;
	char err[512];
	int r;

	memset(&run, 0, sizeof(run));
	pthread_mutex_init(&run.report_lock, NULL);
	r = checkcmd_parse(argc, argv, &o);
	if (r != 0) {
		r = r == 1 ? CLI_EXIT_OK : r;
		goto out;
	}
	r = o.config_path != NULL ? config_load(o.config_path, &cfg, err, sizeof(err))
				  : config_defaults(&cfg);
	if (r < 0) {
		cli_error("check", "%s", o.config_path != NULL ? err : "out of memory");
		r = CLI_EXIT_UNKNOWN;
		goto out;
	}
	r = checkcmd_domains(argc - optind, argv + optind, cfg, &run);
	if (r != 0) {
		goto out;
	}
	checkcmd_settings(&o, cfg, &run);
	r = checkcmd_domain_settings(&o, cfg, &run);
	if (r != 0) {
		goto out;
	}
	r = CLI_EXIT_UNKNOWN;
	if (report_new(run.n, &run.report) < 0) {
		cli_error("check", "out of memory");
		goto out;
	}
	if (runner_new(&run.runner, run.n, &runner, err, sizeof(err)) < 0) {
		cli_error("check", "%s", err);
		goto out;
	}
	runner_run(runner, run.domains, run.services, run.n, checkcmd_on_result, &run);
	r = checkcmd_output(&run);
out:
	runner_free(runner);
	checkcmd_cleanup(&run);
	config_free(cfg);
	return r;
}
