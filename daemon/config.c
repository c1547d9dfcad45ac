/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config schema, its checks and its conversion to struct config. The
 * options table is the single place a key is named; validation callbacks
 * run while libconfuse parses, so their errors carry the line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <confuse.h>

#include "checks/dnscheck.h"
#include "checks/facts.h"
#include "certs/keygen.h"
#include "daemon/config.h"
#include "daemon/httpd.h"

/* Keys of the rollover section (DESIGN.md "Certificate rollover"). */
static cfg_opt_t config_rollover_opts[] = {
	CFG_STR("mode", "current-next", CFGF_NONE),
	CFG_STR("zone", NULL, CFGF_NONE),
	CFG_INT("ttl", 3600, CFGF_NONE),
	CFG_STR("publisher", "file", CFGF_NONE),
	CFG_STR("fragment", NULL, CFGF_NONE),
	CFG_STR_LIST("reload-command", NULL, CFGF_NONE),
	CFG_STR("zone-file", NULL, CFGF_NONE),
	CFG_STR("update-server", NULL, CFGF_NONE),
	CFG_INT("update-port", 53, CFGF_NONE),
	CFG_STR("tsig-key-file", NULL, CFGF_NONE),
	CFG_STR_LIST("deploy-command", NULL, CFGF_NONE),
	CFG_STR("cert", NULL, CFGF_NONE),
	CFG_STR("key", NULL, CFGF_NONE),
	CFG_BOOL("watch", cfg_false, CFGF_NONE),
	CFG_INT("safety-margin", 3600, CFGF_NONE),
	CFG_INT("min-wait", 0, CFGF_NONE),
	/* Not in DESIGN.md's list: the engine's limits (certs/rollover.h). */
	CFG_STR("key-type", "ec-p256", CFGF_NONE), /* of the next keys xdaned generates */
	CFG_INT("retries", 5, CFGF_NONE),
	CFG_INT("retry-interval", 30, CFGF_NONE),
	CFG_INT("deploy-timeout", 600, CFGF_NONE),
	CFG_INT("stall-timeout", 3600, CFGF_NONE),
	CFG_END(),
};

static cfg_opt_t config_finding_opts[] = {
	CFG_STR("severity", NULL, CFGF_NODEFAULT),
	CFG_END(),
};

/* A domain's own settings; margins and severities left out fall back to the global ones. */
static cfg_opt_t config_domain_opts[] = {
	CFG_STR_LIST("services", NULL, CFGF_NODEFAULT), /* unset or {}: the global services */
	CFG_INT("interval", 0, CFGF_NONE),		/* 0: the global interval */
	CFG_INT("rrsig-margin", 0, CFGF_NODEFAULT),
	CFG_INT("cert-margin", 0, CFGF_NODEFAULT),
	CFG_INT("cert-critical-margin", 0, CFGF_NODEFAULT),
	CFG_SEC("finding", config_finding_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("rollover", config_rollover_opts, CFGF_NODEFAULT), /* absent: no rollovers */
	CFG_END(),
};

static cfg_opt_t config_http_opts[] = {
	CFG_STR("listen", CONFIG_DEFAULT_HTTP_LISTEN, CFGF_NONE),
	CFG_END(),
};

static cfg_opt_t config_alert_opts[] = {
	CFG_STR_LIST("exec", NULL, CFGF_NONE),
	CFG_STR("webhook", NULL, CFGF_NONE),
	CFG_STR("webhook-format", "alertmanager", CFGF_NONE),
	CFG_INT("consecutive", CONFIG_DEFAULT_CONSECUTIVE, CFGF_NONE),
	CFG_INT("exec-timeout", CONFIG_DEFAULT_EXEC_TIMEOUT_S, CFGF_NONE),
	CFG_INT("webhook-timeout", CONFIG_DEFAULT_WEBHOOK_TIMEOUT_S, CFGF_NONE),
	CFG_END(),
};

static cfg_opt_t config_opts[] = {
	CFG_STR("resolver-config", NULL, CFGF_NONE),
	CFG_STR("trust-anchor", NULL, CFGF_NONE),
	CFG_STR("ca-file", NULL, CFGF_NONE),
	CFG_STR("state-db", CONFIG_DEFAULT_STATE_DB, CFGF_NONE),
	CFG_STR("control-socket", CONFIG_DEFAULT_CONTROL_SOCKET, CFGF_NONE),
	CFG_INT("interval", CONFIG_DEFAULT_INTERVAL_S, CFGF_NONE),
	CFG_INT("auth-port", CONFIG_DEFAULT_AUTH_PORT, CFGF_NONE),
	CFG_INT("timeout", CONFIG_DEFAULT_TIMEOUT_S, CFGF_NONE),
	CFG_INT("max-queries-in-flight", CONFIG_DEFAULT_MAX_QUERIES, CFGF_NONE),
	CFG_INT("max-checks-in-flight", CONFIG_DEFAULT_MAX_CHECKS, CFGF_NONE),
	CFG_INT("workers", 0, CFGF_NONE),
	CFG_INT("cache-size", CONFIG_DEFAULT_CACHE_MB, CFGF_NONE),
	CFG_INT("rrsig-margin", CONFIG_DEFAULT_RRSIG_MARGIN_S, CFGF_NONE),
	CFG_INT("cert-margin", CONFIG_DEFAULT_CERT_MARGIN_S, CFGF_NONE),
	CFG_INT("cert-critical-margin", CONFIG_DEFAULT_CERT_CRITICAL_S, CFGF_NONE),
	CFG_INT("connect-timeout", CONFIG_DEFAULT_CONNECT_TIMEOUT_S, CFGF_NONE),
	CFG_INT("probe-timeout", CONFIG_DEFAULT_PROBE_TIMEOUT_S, CFGF_NONE),
	CFG_STR("s2s-from", NULL, CFGF_NONE),
	CFG_SEC("http", config_http_opts, CFGF_NONE),
	CFG_SEC("alert", config_alert_opts, CFGF_NONE),
	CFG_SEC("finding", config_finding_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	/* What a domain checks unless its block says otherwise. */
	CFG_STR_LIST("services", "{xmpp-client, xmpp-server, xmpps-client, xmpps-server}",
		     CFGF_NONE),
	/* Domains with nothing of their own: a list costs libconfuse far less than blocks. */
	CFG_STR_LIST("domains", NULL, CFGF_NONE),
	CFG_SEC("domain", config_domain_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END(),
};

/* The first error libconfuse reports, kept for the caller. */
struct config_errbuf {
	char *buf;
	size_t len;
	int set;
	cfg_t *root; /* sections' own cfg_t lack the file name: the root has it and the line */
};

static struct config_errbuf config_err;

static void config_on_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[256];
	int line = 0;

	if (config_err.set) {
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/*
	 * The lexer counts lines in the cfg_t of the block it is in, and a block
	 * only learns the line where it started: the later of the two is where
	 * the parser is, at the bad value. Sections may lack the file name.
	 */
	if (cfg != NULL && config_err.root != NULL && config_err.root->line > cfg->line) {
		line = config_err.root->line;
	} else if (cfg != NULL) {
		line = cfg->line;
	}
	if (cfg == NULL || cfg->filename == NULL) {
		cfg = config_err.root;
	}
	if (cfg != NULL && cfg->filename != NULL && line > 0) {
		snprintf(config_err.buf, config_err.len, "%s:%d: %s", cfg->filename, line, msg);
	} else if (cfg != NULL && cfg->filename != NULL) {
		snprintf(config_err.buf, config_err.len, "%s: %s", cfg->filename, msg);
	} else {
		snprintf(config_err.buf, config_err.len, "%s", msg);
	}
	config_err.set = 1;
}

static int config_check_range(cfg_t *cfg, cfg_opt_t *opt, long min, long max)
{
	long v = cfg_opt_getnint(opt, 0);

	if (v < min || v > max) {
		cfg_error(cfg, "'%s' is %ld: expected %ld to %ld", cfg_opt_name(opt), v, min, max);
		return -1;
	}
	return 0;
}

static int config_check_port(cfg_t *cfg, cfg_opt_t *opt)
{
	return config_check_range(cfg, opt, 1, 65535);
}

static int config_check_positive(cfg_t *cfg, cfg_opt_t *opt)
{
	return config_check_range(cfg, opt, 1, 7 * 86400);
}

static int config_check_nonnegative(cfg_t *cfg, cfg_opt_t *opt)
{
	return config_check_range(cfg, opt, 0, 365L * 86400);
}

static int config_check_queries(cfg_t *cfg, cfg_opt_t *opt)
{
	return config_check_range(cfg, opt, 1, 65536);
}

/* 0 (the global interval) or what the global one allows. */
static int config_check_domain_interval(cfg_t *cfg, cfg_opt_t *opt)
{
	return config_check_range(cfg, opt, 0, 7 * 86400);
}

static bool config_is(const char *v, const char *a, const char *b)
{
	return v != NULL && (strcmp(v, a) == 0 || strcmp(v, b) == 0);
}

/*
 * A rollover block as a whole: its mode and publisher, and the keys each
 * needs. Files are not opened here: that is done (as the daemon's user)
 * before anything is published.
 */
static int config_check_rollover(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *r = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *publisher = cfg_getstr(r, "publisher");
	const char *zone = cfg_getstr(r, "zone");
	static const char *const always[] = {"cert", "key"};
	enum keygen_type key_type;
	size_t i;

	if (!config_is(cfg_getstr(r, "mode"), "current-next", "reactive")) {
		cfg_error(cfg, "rollover: mode must be \"current-next\" or \"reactive\"");
		return -1;
	}
	if (!config_is(publisher, "file", "update")) {
		cfg_error(cfg, "rollover: publisher must be \"file\" or \"update\"");
		return -1;
	}
	if (keygen_type_parse(cfg_getstr(r, "key-type"), &key_type) < 0) {
		cfg_error(cfg,
			  "rollover: key-type must be \"ec-p256\", \"rsa2048\" or \"rsa3072\"");
		return -1;
	}
	if (zone != NULL && !dnscheck_name_is_valid(zone)) {
		cfg_error(cfg, "rollover: zone '%s' is not a valid domain name", zone);
		return -1;
	}
	for (i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
		if (cfg_getstr(r, always[i]) == NULL) {
			cfg_error(cfg, "rollover: '%s' is missing (the file the server serves)",
				  always[i]);
			return -1;
		}
	}
	if (cfg_size(r, "deploy-command") == 0) {
		cfg_error(cfg, "rollover: 'deploy-command' is missing (how a new certificate "
			       "reaches the server)");
		return -1;
	}
	if (strcmp(publisher, "file") == 0 &&
	    (cfg_getstr(r, "fragment") == NULL || cfg_size(r, "reload-command") == 0)) {
		cfg_error(cfg,
			  "rollover: publisher \"file\" needs 'fragment' and 'reload-command'");
		return -1;
	}
	if (strcmp(publisher, "update") == 0 &&
	    (cfg_getstr(r, "update-server") == NULL || cfg_getstr(r, "tsig-key-file") == NULL)) {
		cfg_error(
			cfg,
			"rollover: publisher \"update\" needs 'update-server' and 'tsig-key-file'");
		return -1;
	}
	return 0;
}

static int config_check_domain_list(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++) {
		if (!dnscheck_name_is_valid(cfg_opt_getnstr(opt, i))) {
			cfg_error(cfg, "domains: '%s' is not a valid domain name",
				  cfg_opt_getnstr(opt, i));
			return -1;
		}
	}
	return 0;
}

/* ADDRESS:PORT with a numeric address: the listener never resolves names. */
static int config_check_listen(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || !httpd_listen_valid(v)) {
		cfg_error(cfg,
			  "listen '%s': expected ADDRESS:PORT with a numeric address "
			  "(127.0.0.1:9470, [::1]:9470)",
			  v != NULL ? v : "");
		return -1;
	}
	return 0;
}

static int config_check_cache(cfg_t *cfg, cfg_opt_t *opt)
{
	return config_check_range(cfg, opt, 4, 65536);
}

static int config_check_workers(cfg_t *cfg, cfg_opt_t *opt)
{
	return config_check_range(cfg, opt, 0, 16); /* RUNNER_MAX_WORKERS */
}

static int config_check_consecutive(cfg_t *cfg, cfg_opt_t *opt)
{
	return config_check_range(cfg, opt, 1, 100);
}

static int config_check_services(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	if (cfg_opt_size(opt) == 0) {
		cfg_error(cfg, "services is empty: name at least one of xmpp-client, xmpp-server, "
			       "xmpps-client, xmpps-server");
		return -1;
	}
	for (i = 0; i < cfg_opt_size(opt); i++) {
		const char *name = cfg_opt_getnstr(opt, i);

		if (facts_service_from_name(name) < 0) {
			cfg_error(cfg,
				  "unknown service '%s' (expected xmpp-client, xmpp-server, "
				  "xmpps-client or xmpps-server)",
				  name);
			return -1;
		}
	}
	return 0;
}

static int config_check_finding(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *sev = cfg_getstr(sec, "severity");

	if (finding_code_from_name(cfg_title(sec)) < 0) {
		cfg_error(cfg, "unknown finding code '%s'", cfg_title(sec));
		return -1;
	}
	if (sev == NULL || severity_from_name(sev) <= SEVERITY_OK) {
		cfg_error(cfg, "finding '%s': severity must be info, warning or critical",
			  cfg_title(sec));
		return -1;
	}
	return 0;
}

static int config_check_domain(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);

	if (!dnscheck_name_is_valid(cfg_title(sec))) {
		cfg_error(cfg, "domain '%s' is not a valid domain name", cfg_title(sec));
		return -1;
	}
	return 0;
}

static int config_check_format(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || (strcmp(v, "alertmanager") != 0 && strcmp(v, "webhook") != 0)) {
		cfg_error(cfg, "webhook-format must be \"alertmanager\" or \"webhook\"");
		return -1;
	}
	return 0;
}

static const struct {
	const char *path;
	cfg_validate_callback_t fn;
} config_checks[] = {
	{"auth-port", config_check_port},
	{"interval", config_check_positive},
	{"timeout", config_check_positive},
	{"max-queries-in-flight", config_check_queries},
	{"max-checks-in-flight", config_check_queries},
	{"workers", config_check_workers},
	{"cache-size", config_check_cache},
	{"rrsig-margin", config_check_nonnegative},
	{"cert-margin", config_check_nonnegative},
	{"cert-critical-margin", config_check_nonnegative},
	{"connect-timeout", config_check_positive},
	{"probe-timeout", config_check_positive},
	{"finding", config_check_finding},
	{"domain", config_check_domain},
	{"domains", config_check_domain_list},
	{"domain|services", config_check_services},
	{"services", config_check_services},
	{"domain|interval", config_check_domain_interval},
	{"domain|rrsig-margin", config_check_nonnegative},
	{"domain|cert-margin", config_check_nonnegative},
	{"domain|cert-critical-margin", config_check_nonnegative},
	{"domain|finding", config_check_finding},
	{"domain|rollover|update-port", config_check_port},
	{"domain|rollover|ttl", config_check_positive},
	{"domain|rollover|safety-margin", config_check_nonnegative},
	{"domain|rollover|min-wait", config_check_nonnegative},
	{"domain|rollover|retries", config_check_positive},
	{"domain|rollover|retry-interval", config_check_positive},
	{"domain|rollover|deploy-timeout", config_check_positive},
	{"domain|rollover|stall-timeout", config_check_nonnegative},
	{"domain|rollover", config_check_rollover},
	{"alert|webhook-format", config_check_format},
	{"http|listen", config_check_listen},
	{"alert|consecutive", config_check_consecutive},
	{"alert|exec-timeout", config_check_positive},
	{"alert|webhook-timeout", config_check_positive},
};

static int config_dup(const char *s, char **ret)
{
	*ret = NULL;
	if (s != NULL && (*ret = strdup(s)) == NULL) {
		return -ENOMEM;
	}
	return 0;
}

/* `finding "CODE" { severity = ... }` sections of sec into severity[]. */
static void config_convert_findings(cfg_t *sec, int *severity)
{
	unsigned i;

	for (i = 0; i < cfg_size(sec, "finding"); i++) {
		cfg_t *f = cfg_getnsec(sec, "finding", i);

		severity[finding_code_from_name(cfg_title(f))] = severity_from_name(
			cfg_getstr(f, "severity"));
	}
}

/* A margin of the domain if it sets one, else the global value. */
static int64_t config_domain_margin(cfg_t *sec, const char *key, int64_t global)
{
	return cfg_size(sec, key) > 0 ? cfg_getint(sec, key) : global;
}

static int config_convert_rollover(cfg_t *r, const char *domain, struct config_rollover *ro);

/* The services listed in sec's "services" (a bit each), or dflt when none are. */
static unsigned config_services(cfg_t *sec, unsigned dflt)
{
	unsigned i, bits = 0;

	for (i = 0; i < cfg_size(sec, "services"); i++) {
		bits |= 1u << facts_service_from_name(cfg_getnstr(sec, "services", i));
	}
	return bits != 0 ? bits : dflt;
}

static int config_convert_domain(cfg_t *sec, const struct config *c, struct config_domain *d)
{
	d->services = config_services(sec, c->services);
	d->interval_s = (unsigned)cfg_getint(sec, "interval");
	if (d->interval_s == 0) {
		d->interval_s = c->interval_s;
	}
	d->rrsig_margin_s = config_domain_margin(sec, "rrsig-margin", c->rrsig_margin_s);
	d->cert_margin_s = config_domain_margin(sec, "cert-margin", c->cert_margin_s);
	d->cert_critical_s = config_domain_margin(sec, "cert-critical-margin", c->cert_critical_s);
	memcpy(d->severity, c->severity, sizeof(d->severity));
	config_convert_findings(sec, d->severity);
	if (cfg_size(sec, "rollover") > 0 &&
	    config_convert_rollover(cfg_getsec(sec, "rollover"), cfg_title(sec), &d->rollover) <
		    0) {
		return -ENOMEM;
	}
	return config_dup(cfg_title(sec), &d->name);
}

/* A string list as a NULL-terminated argv (NULL for an empty list). */
static int config_argv(cfg_t *sec, const char *key, char ***ret)
{
	unsigned i, n = cfg_size(sec, key);
	int r = 0;

	*ret = NULL;
	if (n == 0) {
		return 0;
	}
	*ret = calloc(n + 1, sizeof(**ret));
	if (*ret == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		r |= config_dup(cfg_getnstr(sec, key, i), &(*ret)[i]);
	}
	return r;
}

static void config_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++) {
		free(argv[i]);
	}
	free(argv);
}

static int config_convert_rollover(cfg_t *r, const char *domain, struct config_rollover *ro)
{
	int rc = 0;

	ro->enabled = true;
	ro->current_next = strcmp(cfg_getstr(r, "mode"), "current-next") == 0;
	ro->update = strcmp(cfg_getstr(r, "publisher"), "update") == 0;
	ro->ttl = (unsigned)cfg_getint(r, "ttl");
	ro->update_port = (unsigned)cfg_getint(r, "update-port");
	ro->watch = cfg_getbool(r, "watch");
	ro->safety_margin_s = cfg_getint(r, "safety-margin");
	ro->min_wait_s = cfg_getint(r, "min-wait");
	ro->retries = (unsigned)cfg_getint(r, "retries");
	keygen_type_parse(cfg_getstr(r, "key-type"), &ro->key_type); /* checked already */
	ro->retry_interval_s = cfg_getint(r, "retry-interval");
	ro->deploy_timeout_s = cfg_getint(r, "deploy-timeout");
	ro->stall_timeout_s = cfg_getint(r, "stall-timeout");
	/* The zone defaults to the domain: TLSA owners usually live in its own zone. */
	rc |= config_dup(cfg_getstr(r, "zone") != NULL ? cfg_getstr(r, "zone") : domain, &ro->zone);
	rc |= config_dup(cfg_getstr(r, "fragment"), &ro->fragment);
	rc |= config_dup(cfg_getstr(r, "zone-file"), &ro->zone_file);
	rc |= config_dup(cfg_getstr(r, "update-server"), &ro->update_server);
	rc |= config_dup(cfg_getstr(r, "tsig-key-file"), &ro->tsig_key_file);
	rc |= config_dup(cfg_getstr(r, "cert"), &ro->cert);
	rc |= config_dup(cfg_getstr(r, "key"), &ro->key);
	rc |= config_argv(r, "reload-command", &ro->reload_argv);
	rc |= config_argv(r, "deploy-command", &ro->deploy_argv);
	return rc != 0 ? -ENOMEM : 0;
}

static void config_rollover_free(struct config_rollover *ro)
{
	free(ro->zone);
	free(ro->fragment);
	free(ro->zone_file);
	free(ro->update_server);
	free(ro->tsig_key_file);
	free(ro->cert);
	free(ro->key);
	config_argv_free(ro->reload_argv);
	config_argv_free(ro->deploy_argv);
}

/* The alert section: hooks and when they fire. */
static int config_convert_alert(cfg_t *sec, struct config *c)
{
	unsigned i, n = cfg_size(sec, "exec");
	int r;

	c->alert_consecutive = (unsigned)cfg_getint(sec, "consecutive");
	c->alert_exec_timeout_s = (unsigned)cfg_getint(sec, "exec-timeout");
	c->alert_webhook_timeout_s = (unsigned)cfg_getint(sec, "webhook-timeout");
	c->alert_webhook_alertmanager = strcmp(cfg_getstr(sec, "webhook-format"), "webhook") != 0;
	r = config_dup(cfg_getstr(sec, "webhook"), &c->alert_webhook);
	if (r < 0 || n == 0) {
		return r;
	}
	c->alert_exec = calloc(n + 1, sizeof(*c->alert_exec));
	if (c->alert_exec == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		r |= config_dup(cfg_getnstr(sec, "exec", i), &c->alert_exec[i]);
	}
	return r;
}

/* A domain of the `domains` list: every setting global, no rollover. */
static int config_listed_domain(const char *name, const struct config *c, struct config_domain *d)
{
	d->services = c->services;
	d->interval_s = c->interval_s;
	d->rrsig_margin_s = c->rrsig_margin_s;
	d->cert_margin_s = c->cert_margin_s;
	d->cert_critical_s = c->cert_critical_s;
	memcpy(d->severity, c->severity, sizeof(d->severity));
	return config_dup(name, &d->name);
}

static int config_cmp_name(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* A domain in the list and in a block, or twice in the list: one line naming it. */
static int config_check_unique(const struct config *c, const char *path, char *err, size_t errlen)
{
	const char **names = c->n_domains > 0 ? calloc(c->n_domains, sizeof(*names)) : NULL;
	size_t i;
	int r = 0;

	if (c->n_domains > 0 && names == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	for (i = 0; i < c->n_domains; i++) {
		names[i] = c->domains[i].name;
	}
	if (c->n_domains > 1) {
		qsort(names, c->n_domains, sizeof(*names), config_cmp_name);
	}
	for (i = 1; i < c->n_domains && r == 0; i++) {
		if (strcasecmp(names[i - 1], names[i]) == 0) {
			snprintf(err, errlen,
				 "%s: domain '%s' is configured twice (domains list or "
				 "domain block)",
				 path, names[i]);
			r = -EINVAL;
		}
	}
	free(names);
	return r;
}

static int config_convert(cfg_t *cfg, struct config *c)
{
	unsigned i, n_blocks;
	int r = 0;

	r |= config_dup(cfg_getstr(cfg, "resolver-config"), &c->resolver_config);
	r |= config_dup(cfg_getstr(cfg, "trust-anchor"), &c->trust_anchor);
	r |= config_dup(cfg_getstr(cfg, "ca-file"), &c->ca_file);
	r |= config_dup(cfg_getstr(cfg, "state-db"), &c->state_db);
	r |= config_dup(cfg_getstr(cfg, "control-socket"), &c->control_socket);
	r |= config_dup(cfg_getstr(cfg_getsec(cfg, "http"), "listen"), &c->http_listen);
	c->auth_port = (unsigned)cfg_getint(cfg, "auth-port");
	c->interval_s = (unsigned)cfg_getint(cfg, "interval");
	c->timeout_s = (unsigned)cfg_getint(cfg, "timeout");
	c->max_queries = (unsigned)cfg_getint(cfg, "max-queries-in-flight");
	c->rrsig_margin_s = cfg_getint(cfg, "rrsig-margin");
	c->cert_margin_s = cfg_getint(cfg, "cert-margin");
	c->cert_critical_s = cfg_getint(cfg, "cert-critical-margin");
	c->connect_timeout_s = (unsigned)cfg_getint(cfg, "connect-timeout");
	c->probe_timeout_s = (unsigned)cfg_getint(cfg, "probe-timeout");
	c->max_checks = (unsigned)cfg_getint(cfg, "max-checks-in-flight");
	c->workers = (unsigned)cfg_getint(cfg, "workers");
	/* libconfuse never shows a validator a list set to {}: empty means all four. */
	c->services = config_services(cfg, DNSCHECK_ALL_SERVICES);
	c->cache_mb = (unsigned)cfg_getint(cfg, "cache-size");
	r |= config_dup(cfg_getstr(cfg, "s2s-from"), &c->s2s_from);
	config_convert_findings(cfg, c->severity);
	r |= config_convert_alert(cfg_getsec(cfg, "alert"), c);
	/* The blocks first, then the list, each in the order written. */
	n_blocks = cfg_size(cfg, "domain");
	c->n_domains = n_blocks + cfg_size(cfg, "domains");
	if (c->n_domains > 0) {
		c->domains = calloc(c->n_domains, sizeof(*c->domains));
		if (c->domains == NULL) {
			c->n_domains = 0;
			return -ENOMEM;
		}
	}
	for (i = 0; i < n_blocks; i++) {
		r |= config_convert_domain(cfg_getnsec(cfg, "domain", i), c, &c->domains[i]);
	}
	for (i = n_blocks; i < c->n_domains; i++) {
		r |= config_listed_domain(cfg_getnstr(cfg, "domains", i - n_blocks), c,
					  &c->domains[i]);
	}
	return r != 0 ? -ENOMEM : 0;
}

/* Parses path into a libconfuse tree, or NULL with the error in err. */
static cfg_t *config_parse(const char *path, char *err, size_t errlen)
{
	cfg_t *cfg;
	size_t i;
	int fd;

	/* libconfuse's own message for a missing file does not say why: check first. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	close(fd);
	cfg = cfg_init(config_opts, CFGF_NONE);
	if (cfg == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	cfg_set_error_function(cfg, config_on_error);
	for (i = 0; i < sizeof(config_checks) / sizeof(config_checks[0]); i++) {
		cfg_set_validate_func(cfg, config_checks[i].path, config_checks[i].fn);
	}
	config_err.buf = err;
	config_err.len = errlen;
	config_err.set = 0;
	config_err.root = cfg;
	if (cfg_parse(cfg, path) != CFG_SUCCESS) {
		if (!config_err.set) {
			snprintf(err, errlen, "%s: cannot parse", path);
		}
		cfg_free(cfg);
		cfg = NULL;
	}
	config_err.buf = NULL;
	config_err.root = NULL;
	return cfg;
}

int config_defaults(struct config **ret)
{
	struct config *c = calloc(1, sizeof(*c));
	cfg_t *cfg;
	int i;
	int r;

	if (c == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < FINDING_COUNT; i++) {
		c->severity[i] = -1;
	}
	cfg = cfg_init(config_opts, CFGF_NONE);
	r = cfg != NULL ? config_convert(cfg, c) : -ENOMEM;
	cfg_free(cfg);
	if (r < 0) {
		config_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int config_load(const char *path, struct config **ret, char *err, size_t errlen)
{
	struct config *c = NULL;
	cfg_t *cfg;
	int i;
	int r;

	cfg = config_parse(path, err, errlen);
	if (cfg == NULL) {
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		cfg_free(cfg);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	for (i = 0; i < FINDING_COUNT; i++) {
		c->severity[i] = -1;
	}
	r = config_convert(cfg, c);
	cfg_free(cfg);
	if (r < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		config_free(c);
		return r;
	}
	r = config_check_unique(c, path, err, errlen);
	if (r < 0) {
		config_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void config_free(struct config *c)
{
	size_t i;

	if (c == NULL) {
		return;
	}
	free(c->resolver_config);
	free(c->trust_anchor);
	free(c->ca_file);
	free(c->state_db);
	free(c->control_socket);
	free(c->http_listen);
	free(c->s2s_from);
	free(c->alert_webhook);
	for (i = 0; c->alert_exec != NULL && c->alert_exec[i] != NULL; i++) {
		free(c->alert_exec[i]);
	}
	free(c->alert_exec);
	for (i = 0; i < c->n_domains; i++) {
		free(c->domains[i].name);
		config_rollover_free(&c->domains[i].rollover);
	}
	free(c->domains);
	free(c);
}
