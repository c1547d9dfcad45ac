/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rendering for the HTTP listener: Prometheus text format 0.0.4 samples and
 * HTML rows from a DOMAIN_REPORT (checks/report.c says which fields exist
 * and when they are null). Pure text building; serving and locking are the
 * listener's.
 *
 * Label conventions (a contract with alert rules, see docs/alerts.rules.yml):
 * - Names without the trailing dot, as the report shows them; a null report
 *   field (a zone-level finding has no service or port) is the empty label
 *   value, which Prometheus treats as an absent label.
 * - xdane_dnssec_state's rrset is "TYPE owner": "SOA example.org",
 *   "DNSKEY example.org", "DS example.org",
 *   "SRV _xmpp-client._tcp.example.org", "TLSA _5222._tcp.xmpp.example.org".
 * - xdane_tlsa_record_match's data is the record's association data in
 *   lower-case hex, as the report shows it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/finding.h"
#include "common/timefmt.h"
#include "daemon/render.h"

#define RENDER_STATUS_UNKNOWN 4

static const char *const render_status_names[] = {"ok", "info", "warning", "critical", "unknown"};

/*
 * The states of DESIGN.md's rollover state machine, plus "none" for a domain
 * without a rollover. A domain with a rollover configured has all of them
 * (0 for all but one), so that a state left shows as 0, not as a vanished
 * series. A domain without one has only state="none" 1: alert rules compare
 * against the state they care about (XdaneRolloverStuck: state!~"none|idle"
 * == 1), and 8 series for each of 10,000 domains were a fifth of /metrics.
 */
static const char *const render_rollover_states[] = {
	"none", "idle", "staged", "published", "propagated", "deployed", "verified", "retired",
};

/* --- text with a sticky failure --------------------------------------------------------- */

struct rtext {
	char *p;
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed: the text is incomplete */
};

static void rtext_add(struct rtext *t, const char *s, size_t n)
{
	if (t->failed) {
		return;
	}
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap != 0 ? t->cap : 256;
		char *p;

		while (cap < t->len + n + 1) {
			cap *= 2;
		}
		p = realloc(t->p, cap);
		if (p == NULL) {
			t->failed = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void rtext_puts(struct rtext *t, const char *s)
{
	rtext_add(t, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void rtext_printf(struct rtext *t, const char *fmt,
							       ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = true;
	} else if ((size_t)n < sizeof(small)) {
		rtext_add(t, small, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);

		if (big == NULL) {
			t->failed = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		rtext_add(t, big, (size_t)n);
		free(big);
	}
}

/* Hands the text over ("" when nothing was added), or NULL when anything failed. */
static char *rtext_take(struct rtext *t)
{
	char *p;

	if (!t->failed && t->p == NULL) {
		rtext_add(t, "", 0);
	}
	p = t->failed ? NULL : t->p;
	if (p == NULL) {
		free(t->p);
	}
	memset(t, 0, sizeof(*t));
	return p;
}

/* text format 0.0.4: a label value escapes backslash, double quote and line feed. */
static void rtext_label(struct rtext *t, const char *name, const char *value)
{
	const char *p;

	rtext_printf(t, "%s%s=\"", t->len > 0 ? "," : "", name);
	for (p = value != NULL ? value : ""; *p != '\0'; p++) {
		if (*p == '\\') {
			rtext_puts(t, "\\\\");
		} else if (*p == '"') {
			rtext_puts(t, "\\\"");
		} else if (*p == '\n') {
			rtext_puts(t, "\\n");
		} else {
			rtext_add(t, p, 1);
		}
	}
	rtext_puts(t, "\"");
}

static void rtext_html(struct rtext *t, const char *text)
{
	const char *p;

	for (p = text != NULL ? text : ""; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			rtext_puts(t, "&amp;");
			break;
		case '<':
			rtext_puts(t, "&lt;");
			break;
		case '>':
			rtext_puts(t, "&gt;");
			break;
		case '"':
			rtext_puts(t, "&quot;");
			break;
		case '\'':
			rtext_puts(t, "&#39;");
			break;
		default:
			rtext_add(t, p, 1);
		}
	}
}

/* A URL path segment: unreserved characters (RFC 3986 §2.3) kept, the rest %-encoded. */
static void rtext_url(struct rtext *t, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			rtext_add(t, (const char *)p, 1);
		} else {
			rtext_printf(t, "%%%02X", *p);
		}
	}
}

char *render_html_escape(const char *text)
{
	struct rtext t = {0};

	rtext_html(&t, text);
	return rtext_take(&t);
}

/* --- series of one family, deduplicated on their label set ----------------------------- */

enum render_merge {
	RENDER_MERGE_MAX, /* 1 if any duplicate says 1 */
	RENDER_MERGE_MIN, /* the soonest time */
};

struct render_series {
	char *labels; /* 'a="x",b="y"' */
	double value;
};

struct render_set {
	struct render_series *v;
	size_t n;
	size_t cap;
	bool failed;
};

/* Adds the series of labels (taken; NULL is a failed allocation) or merges it into its twin. */
static void render_set_add(struct render_set *s, struct rtext *labels, double value,
			   enum render_merge merge)
{
	char *text = rtext_take(labels);
	size_t i;

	if (text == NULL || s->failed) {
		s->failed = true;
		free(text);
		return;
	}
	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].labels, text) == 0) {
			if (merge == RENDER_MERGE_MAX ? value > s->v[i].value
						      : value < s->v[i].value) {
				s->v[i].value = value;
			}
			free(text);
			return;
		}
	}
	if (s->n == s->cap) {
		size_t cap = s->cap != 0 ? s->cap * 2 : 8;
		struct render_series *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL) {
			s->failed = true;
			free(text);
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].labels = text;
	s->v[s->n].value = value;
	s->n++;
}

static void render_set_release(struct render_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].labels);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static const char *const render_family_names[] = {
#define RENDER_FAMILY_NAME_(id, name, type, help) name,
	RENDER_FAMILY_TABLE(RENDER_FAMILY_NAME_)
#undef RENDER_FAMILY_NAME_
};

static const char *const render_family_headers[] = {
#define RENDER_FAMILY_HEADER_(id, name, type, help) \
	"# HELP " name " " help "\n# TYPE " name " " type "\n",
	RENDER_FAMILY_TABLE(RENDER_FAMILY_HEADER_)
#undef RENDER_FAMILY_HEADER_
};

const char *render_family_header(enum render_family f)
{
	return (int)f >= 0 && f < RENDER_FAMILY_COUNT ? render_family_headers[f] : "";
}

const char *render_family_name(enum render_family f)
{
	return (int)f >= 0 && f < RENDER_FAMILY_COUNT ? render_family_names[f] : "";
}

/* The sample lines of a set: timestamps and counts print as integers with %.15g. */
static void render_set_write(struct rtext *t, const char *name, const struct render_set *s)
{
	size_t i;

	if (s->failed) {
		t->failed = true;
		return;
	}
	for (i = 0; i < s->n; i++) {
		rtext_printf(t, "%s{%s} %.15g\n", name, s->v[i].labels, s->v[i].value);
	}
}

/* --- reading the report --------------------------------------------------------------- */

static const char *render_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t render_days(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* The reports' one time format, "2026-11-22T02:34:57Z" (common/timefmt). */
static bool render_parse_time(const char *text, int64_t *ret)
{
	int y, mo, d, h, mi, s, n = 0;

	if (text == NULL ||
	    sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 ||
	    n != (int)strlen(text) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 60) {
		return false;
	}
	*ret = render_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

static bool render_time(const json_t *o, const char *key, int64_t *ret)
{
	return render_parse_time(render_str(o, key), ret);
}

/* 0 ok .. 3 critical, 4 for "unknown" (a failed check), anything else or no report. */
static int render_report_status(const json_t *report)
{
	const char *s = render_str(report, "status");
	int sev = s != NULL ? severity_from_name(s) : -1;

	return sev >= 0 ? sev : RENDER_STATUS_UNKNOWN;
}

static void render_port(char out[8], const json_t *port)
{
	if (json_is_integer(port)) {
		snprintf(out, 8, "%d", (int)json_integer_value(port));
	} else {
		out[0] = '\0';
	}
}

/* Calls fn for every endpoint object of the report, with its service's name. */
static void render_each_endpoint(const json_t *report,
				 void (*fn)(void *arg, const char *service, const json_t *e),
				 void *arg)
{
	const json_t *sv, *e;
	size_t i, k;

	json_array_foreach(json_object_get(report, "services"), i, sv)
	{
		const char *service = render_str(sv, "service");

		json_array_foreach(json_object_get(sv, "endpoints"), k, e)
		{
			fn(arg, service, e);
		}
	}
}

/* --- metric families ------------------------------------------------------------------ */

struct render_ctx {
	const char *domain;
	const json_t *report;
	struct render_set set[RENDER_FAMILY_COUNT];
};

static void render_domain_label(struct rtext *t, const struct render_ctx *c)
{
	rtext_label(t, "domain", c->domain);
}

static void render_finding(struct render_ctx *c, const char *code, const char *severity,
			   const char *service, const char *target, const char *port)
{
	struct rtext t = {0};

	render_domain_label(&t, c);
	rtext_label(&t, "code", code);
	rtext_label(&t, "severity", severity);
	rtext_label(&t, "service", service);
	rtext_label(&t, "target", target);
	rtext_label(&t, "port", port);
	render_set_add(&c->set[RENDER_FINDING], &t, 1, RENDER_MERGE_MAX);
}

/*
 * The report's findings (the last check's, as the listener must agree with
 * /status). A failed check's report has none: then the active findings,
 * which the state keeps untouched on a failed check, so a check that could
 * not run does not look like a repair to alert rules. Findings differing only
 * in address are one series (address is not a label).
 */
static void render_findings(struct render_ctx *c, const struct statedb_findings *active)
{
	const json_t *list = json_object_get(c->report, "findings");
	const json_t *x;
	char port[8];
	size_t i;

	if (json_is_array(list)) {
		json_array_foreach(list, i, x)
		{
			render_port(port, json_object_get(x, "port"));
			render_finding(c, render_str(x, "code"), render_str(x, "severity"),
				       render_str(x, "service"), render_str(x, "target"), port);
		}
		return;
	}
	for (i = 0; active != NULL && i < active->n; i++) {
		const struct finding *f = &active->v[i].f;
		const char *code = finding_code_name(f->code);
		const char *sev = severity_name(f->severity);

		port[0] = '\0';
		if (f->port != 0) {
			snprintf(port, sizeof(port), "%u", (unsigned)f->port);
		}
		render_finding(c, code != NULL ? code : "", sev != NULL ? sev : "", f->service,
			       f->target, port);
	}
}

/* 1 match, 0 mismatch, -1 for "none" and "not-applicable" (no TLSA to match, or no probe). */
static int render_dane_value(const json_t *probe)
{
	const char *dane = render_str(probe, "dane");

	if (dane != NULL && strcmp(dane, "match") == 0) {
		return 1;
	}
	if (dane != NULL && strcmp(dane, "mismatch") == 0) {
		return 0;
	}
	return -1;
}

/*
 * xdane_dane_match only where DANE applies and was judged ("match" or
 * "mismatch"): "none" (no usable TLSA) and "not-applicable" (insecure SRV or
 * address, or no probe) have their own findings, and a 0 for them would page
 * as a mismatch. An endpoint that also serves an RSA certificate (the "rsa"
 * probe) matches only if both of its chains match: peers offering only RSA
 * see the second one.
 */
static void render_dane(struct render_ctx *c, const char *service, const json_t *e)
{
	int v = render_dane_value(e);
	int rsa = render_dane_value(json_object_get(e, "rsa"));
	struct rtext t = {0};
	char port[8];

	if (rsa >= 0) {
		v = v < 0 ? rsa : (v < rsa ? v : rsa);
	}
	if (v < 0) {
		return;
	}
	render_port(port, json_object_get(e, "port"));
	render_domain_label(&t, c);
	rtext_label(&t, "service", service);
	rtext_label(&t, "target", render_str(e, "target"));
	rtext_label(&t, "port", port);
	rtext_label(&t, "address", render_str(e, "address"));
	render_set_add(&c->set[RENDER_DANE_MATCH], &t, v, RENDER_MERGE_MAX);
}

static bool render_tlsa_matched(const json_t *probe, size_t i)
{
	return json_is_true(json_array_get(json_object_get(probe, "tlsa_matches"), i));
}

/*
 * One series per published record of (target, port): the record matched if
 * any chain at any address matched it, so the series are merged with max
 * over the endpoints of every address and service sharing the owner.
 */
static void render_tlsa_records(struct render_ctx *c, const json_t *e)
{
	const json_t *rsa = json_object_get(e, "rsa");
	const json_t *rec;
	char port[8];
	size_t i;

	render_port(port, json_object_get(e, "port"));
	json_array_foreach(json_object_get(e, "tlsa"), i, rec)
	{
		unsigned usage, selector, mtype;
		char u[4], s[4], m[4];
		struct rtext t = {0};
		int n = 0;
		const char *text = json_string_value(rec);

		if (text == NULL ||
		    sscanf(text, "%3u %3u %3u %n", &usage, &selector, &mtype, &n) != 3 || n == 0) {
			continue; /* never written by report.c: nothing to say about it */
		}
		snprintf(u, sizeof(u), "%u", usage);
		snprintf(s, sizeof(s), "%u", selector);
		snprintf(m, sizeof(m), "%u", mtype);
		render_domain_label(&t, c);
		rtext_label(&t, "target", render_str(e, "target"));
		rtext_label(&t, "port", port);
		rtext_label(&t, "usage", u);
		rtext_label(&t, "selector", s);
		rtext_label(&t, "mtype", m);
		rtext_label(&t, "data", text + n);
		render_set_add(&c->set[RENDER_TLSA_RECORD_MATCH], &t,
			       render_tlsa_matched(e, i) || render_tlsa_matched(rsa, i),
			       RENDER_MERGE_MAX);
	}
}

/* The dnssec state of one lookup object (report_rrset), skipped when it was not made. */
static void render_rrset_state(struct render_ctx *c, const char *type, const char *owner,
			       const json_t *lookup)
{
	const char *status = render_str(lookup, "status");
	const char *state = render_str(lookup, "state");
	struct rtext t = {0};
	struct rtext rrset = {0};
	char *name;

	if (owner == NULL || state == NULL || status == NULL || strcmp(status, "not-done") == 0) {
		return;
	}
	rtext_printf(&rrset, "%s %s", type, owner);
	name = rtext_take(&rrset);
	render_domain_label(&t, c);
	rtext_label(&t, "rrset", name);
	rtext_label(&t, "state", state);
	if (name == NULL) {
		t.failed = true;
	}
	free(name);
	render_set_add(&c->set[RENDER_DNSSEC_STATE], &t, 1, RENDER_MERGE_MAX);
}

static void render_rrsig(struct render_ctx *c, const char *rrtype, const json_t *o, const char *key)
{
	struct rtext t = {0};
	int64_t when;

	if (!render_time(o, key, &when)) {
		return;
	}
	render_domain_label(&t, c);
	rtext_label(&t, "rrtype", rrtype);
	render_set_add(&c->set[RENDER_RRSIG_EXPIRY], &t, (double)when, RENDER_MERGE_MIN);
}

static void render_cert(struct render_ctx *c, const char *service, const json_t *e)
{
	const json_t *probes[2] = {e, json_object_get(e, "rsa")};
	char port[8];
	size_t i;

	render_port(port, json_object_get(e, "port"));
	for (i = 0; i < 2; i++) {
		struct rtext t = {0};
		int64_t when;

		if (!render_time(json_object_get(probes[i], "cert"), "not_after", &when)) {
			continue;
		}
		render_domain_label(&t, c);
		rtext_label(&t, "service", service);
		rtext_label(&t, "target", render_str(e, "target"));
		rtext_label(&t, "port", port);
		rtext_label(&t, "address", render_str(e, "address"));
		/* Two certificates at one endpoint: the one that expires first. */
		render_set_add(&c->set[RENDER_CERT_NOT_AFTER], &t, (double)when, RENDER_MERGE_MIN);
	}
}

static void render_endpoint(void *arg, const char *service, const json_t *e)
{
	struct render_ctx *c = arg;

	render_dane(c, service, e);
	render_tlsa_records(c, e);
	render_rrset_state(c, "TLSA", render_str(e, "tlsa_owner"),
			   json_object_get(e, "tlsa_lookup"));
	render_rrsig(c, "TLSA", json_object_get(e, "tlsa_lookup"), "rrsig_expiration");
	render_cert(c, service, e);
}

/*
 * Zone and SRV RRsets first, in a fixed order, then each endpoint's TLSA.
 * The report has no A/AAAA lookup objects, so their RRSIGs are not shown.
 */
static void render_dns(struct render_ctx *c)
{
	const json_t *zone = json_object_get(c->report, "zone");
	const char *apex = render_str(zone, "apex");
	const json_t *sv, *server;
	size_t i;

	render_rrset_state(c, "SOA", apex, json_object_get(zone, "soa"));
	render_rrset_state(c, "DNSKEY", apex, json_object_get(zone, "dnskey"));
	render_rrset_state(c, "DS", apex, json_object_get(zone, "ds_lookup"));
	render_rrsig(c, "SOA", json_object_get(zone, "soa"), "rrsig_expiration");
	render_rrsig(c, "DNSKEY", json_object_get(zone, "dnskey"), "rrsig_expiration");
	render_rrsig(c, "DS", json_object_get(zone, "ds_lookup"), "rrsig_expiration");
	/* What each authoritative server serves: a stale secondary signs older. */
	json_array_foreach(json_object_get(zone, "servers"), i, server)
	{
		render_rrsig(c, "SOA", server, "soa_rrsig_expiration");
		render_rrsig(c, "DNSKEY", server, "dnskey_rrsig_expiration");
	}
	json_array_foreach(json_object_get(c->report, "services"), i, sv)
	{
		const char *service = render_str(sv, "service");
		struct rtext owner = {0};
		char *name;

		if (service == NULL) {
			continue;
		}
		rtext_printf(&owner, "_%s._tcp.%s", service, c->domain);
		name = rtext_take(&owner);
		if (name == NULL) {
			c->set[RENDER_DNSSEC_STATE].failed = true;
			continue;
		}
		render_rrset_state(c, "SRV", name, json_object_get(sv, "srv_lookup"));
		render_rrsig(c, "SRV", json_object_get(sv, "srv_lookup"), "rrsig_expiration");
		free(name);
	}
	render_each_endpoint(c->report, render_endpoint, c);
}

static void render_scalar(struct render_ctx *c, enum render_family f, double value)
{
	struct rtext t = {0};

	render_domain_label(&t, c);
	render_set_add(&c->set[f], &t, value, RENDER_MERGE_MAX);
}

static void render_rollover(struct render_ctx *c, const char *state)
{
	bool known = false;
	size_t i;

	if (state == NULL || state[0] == '\0') {
		struct rtext t = {0};

		render_domain_label(&t, c);
		rtext_label(&t, "state", "none");
		render_set_add(&c->set[RENDER_ROLLOVER_STATE], &t, 1, RENDER_MERGE_MAX);
		return;
	}
	for (i = 0; i < sizeof(render_rollover_states) / sizeof(render_rollover_states[0]); i++) {
		struct rtext t = {0};
		bool on = strcmp(state, render_rollover_states[i]) == 0;

		known |= on;
		render_domain_label(&t, c);
		rtext_label(&t, "state", render_rollover_states[i]);
		render_set_add(&c->set[RENDER_ROLLOVER_STATE], &t, on, RENDER_MERGE_MAX);
	}
	if (!known) {
		/* A state this table does not know yet: shown rather than lost. */
		struct rtext t = {0};

		render_domain_label(&t, c);
		rtext_label(&t, "state", state);
		render_set_add(&c->set[RENDER_ROLLOVER_STATE], &t, 1, RENDER_MERGE_MAX);
	}
}

/* --- the HTML row --------------------------------------------------------------------- */

static void render_html_time(struct rtext *t, int64_t when)
{
	char text[TIMEFMT_RFC3339_LEN];

	if (timefmt_rfc3339(when, text) != 0) {
		rtext_puts(t, "?");
		return;
	}
	/* "2026-11-22 02:34 UTC": a person does not need the seconds. */
	rtext_printf(t, "<time datetime=\"%s\">%.10s %.5s UTC</time>", text, text, text + 11);
}

/* "3 h", "12 min": a duration at the precision a person reads at a glance. */
static void render_html_span(struct rtext *t, int64_t s)
{
	if (s < 0) {
		s = 0;
	}
	if (s < 120) {
		rtext_printf(t, "%lld s", (long long)s);
	} else if (s < 2 * 3600) {
		rtext_printf(t, "%lld min", (long long)(s / 60));
	} else if (s < 2 * 86400) {
		rtext_printf(t, "%lld h", (long long)(s / 3600));
	} else {
		rtext_printf(t, "%lld d", (long long)(s / 86400));
	}
}

static void render_html_badge(struct rtext *t, int status, const char *text)
{
	rtext_printf(t, "<span class=\"b s%d\">", status);
	rtext_html(t, text);
	rtext_puts(t, "</span>");
}

/* One finding as a list item; first_seen 0 when unknown, now 0 when there is no check time. */
static void render_html_finding(struct rtext *t, const char *code, const char *severity,
				const char *service, const char *target, const char *port,
				const char *address, const char *message, int64_t first_seen,
				int64_t now)
{
	int sev = severity != NULL ? severity_from_name(severity) : -1;

	rtext_puts(t, "<li>");
	render_html_badge(t, sev >= 0 ? sev : RENDER_STATUS_UNKNOWN,
			  severity != NULL ? severity : "?");
	rtext_puts(t, " <code>");
	rtext_html(t, code);
	rtext_puts(t, "</code> <span class=\"subj\">");
	if (service != NULL && service[0] != '\0') {
		rtext_html(t, service);
		rtext_puts(t, " ");
	}
	rtext_html(t, target);
	if (port != NULL && port[0] != '\0') {
		rtext_puts(t, ":");
		rtext_html(t, port);
	}
	if (address != NULL && address[0] != '\0') {
		rtext_puts(t, " (");
		rtext_html(t, address);
		rtext_puts(t, ")");
	}
	rtext_puts(t, "</span>");
	if (first_seen != 0) {
		rtext_puts(t, " <span class=\"age\">since ");
		render_html_time(t, first_seen);
		if (now != 0) {
			rtext_puts(t, ", for ");
			render_html_span(t, now - first_seen);
		}
		rtext_puts(t, "</span>");
	}
	rtext_puts(t, "<div class=\"msg\">");
	rtext_html(t, message);
	rtext_puts(t, "</div></li>");
}

/* Worst first, then in the state's order (first seen, then key). */
static void render_html_active(struct rtext *t, const struct statedb_findings *active, int64_t now)
{
	size_t i;
	int sev;

	for (sev = SEVERITY_CRITICAL; sev >= SEVERITY_OK; sev--) {
		for (i = 0; i < active->n; i++) {
			const struct statedb_finding *x = &active->v[i];
			char port[8] = "";

			if ((int)x->f.severity != sev) {
				continue;
			}
			if (x->f.port != 0) {
				snprintf(port, sizeof(port), "%u", (unsigned)x->f.port);
			}
			render_html_finding(t, finding_code_name(x->f.code),
					    severity_name(x->f.severity), x->f.service, x->f.target,
					    port, x->f.address, x->f.message, x->first_seen, now);
		}
	}
}

/* The report's own findings, worst first (no first-seen time: the state was not given). */
static void render_html_reported(struct rtext *t, const json_t *list)
{
	const json_t *x;
	size_t i;
	int sev;

	for (sev = SEVERITY_CRITICAL; sev >= SEVERITY_OK; sev--) {
		json_array_foreach(list, i, x)
		{
			const char *name = render_str(x, "severity");
			char port[8];

			if (name == NULL || severity_from_name(name) != sev) {
				continue;
			}
			render_port(port, json_object_get(x, "port"));
			render_html_finding(t, render_str(x, "code"), name,
					    render_str(x, "service"), render_str(x, "target"), port,
					    render_str(x, "address"), render_str(x, "message"), 0,
					    0);
		}
	}
}

static void render_html_findings(struct rtext *t, const json_t *report,
				 const struct statedb_findings *active, int64_t now)
{
	const char *error = render_str(report, "error");
	const json_t *list = json_object_get(report, "findings");
	bool any = (active != NULL && active->n > 0) || (active == NULL && json_array_size(list));

	if (error != NULL) {
		rtext_puts(t, "<p class=\"err\">check failed: ");
		rtext_html(t, error);
		rtext_puts(t, "</p>");
	}
	if (!any) {
		if (error == NULL && report != NULL) {
			rtext_puts(t, "none");
		}
		return;
	}
	rtext_puts(t, "<ul>");
	if (active != NULL) {
		render_html_active(t, active, now);
	} else {
		render_html_reported(t, list);
	}
	rtext_puts(t, "</ul>");
}

struct render_soonest {
	int64_t when;
	bool found;
};

static void render_soonest_cert(void *arg, const char *service, const json_t *e)
{
	const json_t *probes[2] = {e, json_object_get(e, "rsa")};
	struct render_soonest *s = arg;
	size_t i;

	(void)service;
	for (i = 0; i < 2; i++) {
		int64_t when;

		if (render_time(json_object_get(probes[i], "cert"), "not_after", &when) &&
		    (!s->found || when < s->when)) {
			s->when = when;
			s->found = true;
		}
	}
}

static void render_html_cert(struct rtext *t, const json_t *report, int64_t now)
{
	struct render_soonest s = {0};

	render_each_endpoint(report, render_soonest_cert, &s);
	if (!s.found) {
		rtext_puts(t, "&mdash;");
		return;
	}
	render_html_time(t, s.when);
	if (now == 0) {
		return;
	}
	if (s.when <= now) {
		rtext_puts(t, " <span class=\"b s3\">expired</span>");
	} else {
		rtext_puts(t, " <span class=\"age\">in ");
		render_html_span(t, s.when - now);
		rtext_puts(t, "</span>");
	}
}

static int render_dnssec_class(const char *state)
{
	static const char *const states[] = {"secure", "indeterminate", "insecure", "bogus"};
	int i;

	for (i = 0; i < 4; i++) {
		if (strcmp(state, states[i]) == 0) {
			return i == 1 ? RENDER_STATUS_UNKNOWN
				      : i; /* secure 0, insecure 2, bogus 3 */
		}
	}
	return RENDER_STATUS_UNKNOWN;
}

static void render_html_row(struct rtext *t, const char *domain, const json_t *report,
			    const struct statedb_findings *active, const char *rollover, int status)
{
	const char *dnssec = render_str(json_object_get(report, "dnssec"), "state");
	const json_t *duration = json_object_get(report, "duration_seconds");
	int64_t now = 0;

	rtext_printf(t, "<tr class=\"r%d\"><td><a href=\"/status/", status);
	rtext_url(t, domain);
	rtext_puts(t, "\">");
	rtext_html(t, domain);
	rtext_puts(t, "</a></td><td>");
	render_html_badge(t, status, render_status_names[status]);
	rtext_puts(t, "</td><td>");
	if (render_time(report, "checked_at", &now)) {
		render_html_time(t, now);
		if (json_is_number(duration)) {
			rtext_printf(t, " <span class=\"age\">%.2f s</span>",
				     json_number_value(duration));
		}
	} else {
		rtext_puts(t, report == NULL ? "never checked" : "&mdash;");
	}
	rtext_puts(t, "</td><td>");
	render_html_findings(t, report, active, now);
	rtext_puts(t, "</td><td>");
	render_html_cert(t, report, now);
	rtext_puts(t, "</td><td>");
	if (dnssec != NULL) {
		render_html_badge(t, render_dnssec_class(dnssec), dnssec);
	} else {
		rtext_puts(t, "&mdash;");
	}
	rtext_puts(t, "</td><td>");
	if (rollover != NULL && rollover[0] != '\0') {
		rtext_html(t, rollover);
	} else {
		rtext_puts(t, "&mdash;");
	}
	rtext_puts(t, "</td></tr>\n");
}

/* --- the domain ----------------------------------------------------------------------- */

void render_domain_release(struct render_domain *d)
{
	if (d == NULL) {
		return;
	}
	free(d->text);
	memset(d, 0, sizeof(*d));
}

/* Ends the part that began at t->len == off[part] with a NUL and records where the next begins. */
static void render_end_part(struct rtext *t, struct render_domain *out, size_t part)
{
	rtext_add(t, "", 1); /* rtext keeps a NUL after len; this one stays inside the text */
	out->off[part + 1] = (uint32_t)t->len;
}

int render_domain(const char *domain, const json_t *report, const struct statedb_findings *active,
		  const char *rollover_state, struct render_domain *out)
{
	struct render_ctx c = {.domain = domain, .report = report};
	struct rtext t = {0};
	int64_t checked_at;
	size_t i;
	char *text;

	memset(out, 0, sizeof(*out));
	out->status = report != NULL ? render_report_status(report) : RENDER_STATUS_UNKNOWN;
	render_scalar(&c, RENDER_DOMAIN_STATUS, out->status);
	render_findings(&c, active);
	if (report != NULL) {
		const json_t *duration = json_object_get(report, "duration_seconds");

		render_dns(&c);
		/*
		 * report_set_error's report of a failed check has no checked_at: the
		 * daemon adds it (the time of the attempt), or there is no sample.
		 */
		if (render_time(report, "checked_at", &checked_at)) {
			render_scalar(&c, RENDER_LAST_CHECK, (double)checked_at);
		}
		if (json_is_number(duration)) {
			render_scalar(&c, RENDER_CHECK_DURATION, json_number_value(duration));
		}
	}
	render_rollover(&c, rollover_state);
	/*
	 * One allocation of the exact size for every part: 10,000 domains keep
	 * their texts for as long as they are shown, and eleven buffers grown by
	 * doubling cost each of them twice its text.
	 */
	for (i = 0; i < RENDER_FAMILY_COUNT; i++) {
		render_set_write(&t, render_family_names[i], &c.set[i]);
		render_set_release(&c.set[i]);
		render_end_part(&t, out, i);
	}
	render_html_row(&t, domain, report, active, rollover_state, out->status);
	render_end_part(&t, out, RENDER_PART_ROW);
	if (t.failed || t.len > UINT32_MAX) {
		int status = out->status;

		free(t.p);
		memset(out, 0, sizeof(*out));
		out->status = status;
		return -ENOMEM;
	}
	text = realloc(t.p, t.len);
	out->text = text != NULL ? text : t.p;
	return 0;
}

const char *render_part(const struct render_domain *d, size_t part, size_t *ret_len)
{
	if (d->text == NULL || part > RENDER_PART_ROW) {
		if (ret_len != NULL) {
			*ret_len = 0;
		}
		return "";
	}
	if (ret_len != NULL) {
		*ret_len = d->off[part + 1] - d->off[part] - 1;
	}
	return d->text + d->off[part];
}

/* --- the daemon's own samples --------------------------------------------------------- */

int render_daemon_metrics(const struct render_daemon_stats *s, char **ret)
{
	const struct {
		const char *name;
		const char *type;
		const char *help;
		double value;
	} rows[] = {
		{"xdane_up", "gauge", "1 while xdaned is serving", 1},
		{"xdane_start_time_seconds", "gauge",
		 "When xdaned started, in seconds since the epoch", (double)s->started_at},
		{"xdane_checks_total", "counter", "Checks of domains finished since start",
		 (double)s->checks_total},
		{"xdane_checks_failed_total", "counter",
		 "Checks that could not run to the end (deadline, error) since start",
		 (double)s->checks_failed_total},
		{"xdane_checks_in_flight", "gauge", "Checks running now", s->checks_in_flight},
		{"xdane_domains", "gauge", "Domains configured", s->domains},
		{"xdane_alert_deliveries_total", "counter",
		 "Alert deliveries to hooks that succeeded", (double)s->alerts_delivered_total},
		{"xdane_alert_delivery_failures_total", "counter",
		 "Alert delivery attempts to hooks that failed (each is retried)",
		 (double)s->alert_delivery_failures_total},
		{"xdane_alerts_pending", "gauge", "Alert deliveries waiting in the outbox",
		 s->alerts_pending},
		{"xdane_state_errors_total", "counter", "Errors of the state database since start",
		 (double)s->state_errors_total},
		{"xdane_state_db_ok", "gauge",
		 "1 while the state database takes writes; 0: history and alert state are not kept",
		 s->state_db_ok ? 1 : 0},
	};
	struct rtext t = {0};
	size_t i;
	char *text;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rtext_printf(&t, "# HELP %s %s\n# TYPE %s %s\n%s %.15g\n", rows[i].name,
			     rows[i].help, rows[i].name, rows[i].type, rows[i].name, rows[i].value);
	}
	text = rtext_take(&t);
	if (text == NULL) {
		return -ENOMEM;
	}
	*ret = text;
	return 0;
}

/* --- the page ------------------------------------------------------------------------- */

static const char render_css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
	"h1{font-size:1.4em;margin:0 0 .3em}"
	".problem{background:#b00020;color:#fff;padding:.5em .8em;font-weight:600}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{border-bottom:1px solid #ddd;padding:.4em .6em;text-align:left;vertical-align:top}"
	"th{background:#f4f4f4;position:sticky;top:0}"
	"tr.r3{background:#fdecea}tr.r2{background:#fff8e1}tr.r4{background:#f3f3f3}"
	"ul{margin:0;padding-left:1.1em}li{margin-bottom:.3em}"
	".b{display:inline-block;padding:0 .5em;border-radius:.6em;font-weight:600;"
	"font-size:.85em;color:#fff}"
	".s0{background:#2e7d32}.s1{background:#1565c0}.s2{background:#ef8f00}"
	".s3{background:#c62828}.s4{background:#757575}"
	".msg{color:#555;font-size:.9em}.age{color:#666;font-size:.9em}"
	".err{color:#c62828;margin:0}.counts .b{margin-right:.4em}code{font-size:.95em}";

int render_page_head(int64_t now, const unsigned counts[5], const char *problem, char **ret)
{
	struct rtext t = {0};
	unsigned total = 0;
	char *text;
	int i;

	for (i = 0; i < 5; i++) {
		total += counts[i];
	}
	rtext_printf(&t,
		     "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta http-equiv=\"refresh\" content=\"60\">"
		     "<title>xdane: %u critical, %u warning of %u domains</title>"
		     "<style>%s</style></head><body>\n<h1>xdane</h1>\n<p class=\"counts\">",
		     counts[SEVERITY_CRITICAL], counts[SEVERITY_WARNING], total, render_css);
	for (i = 4; i >= 0; i--) {
		rtext_printf(&t, "<span class=\"b s%d\">%s %u</span>", i, render_status_names[i],
			     counts[i]);
	}
	rtext_printf(&t, " %u domains, generated ", total);
	render_html_time(&t, now);
	rtext_puts(&t, "</p>\n");
	if (problem != NULL) {
		char *esc = render_html_escape(problem);

		rtext_printf(&t, "<p class=\"problem\">xdaned: %s</p>\n", esc != NULL ? esc : "");
		free(esc);
	}
	rtext_puts(&t, "<table><thead><tr><th>Domain</th><th>Status</th><th>Last check</th>"
		       "<th>Active findings</th><th>Soonest certificate expiry</th>"
		       "<th>DNSSEC</th><th>Rollover</th></tr></thead><tbody>\n");
	text = rtext_take(&t);
	if (text == NULL) {
		return -ENOMEM;
	}
	*ret = text;
	return 0;
}

const char *render_page_tail(void)
{
	return "</tbody></table>\n</body></html>\n";
}
