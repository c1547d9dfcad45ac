/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/render: the exact samples of a real DOMAIN_REPORT
 * from the test bed (a healthy domain and one whose TLSA matches nothing),
 * label escaping, series deduplication, failed and never-checked domains,
 * and HTML escaping of hostile text. With `--metrics FILE` the binary
 * writes a whole /metrics page instead, for `promtool check metrics`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/render.h"

#define DATA(name) XDANE_TEST_DATA "/" name
#define GOOD	   "good.example"
#define BAD	   "tlsa-mismatch-1.example"
/* 2026-11-22T02:34:57Z, checked_at of both sample domains. */
#define CHECKED_AT ((int64_t)1795314897)
#define HOUR	   3600

/* The DOMAIN_REPORT of name in the sample document (a new reference). */
static json_t *sample_report(const char *name)
{
	json_error_t err;
	json_t *doc = json_load_file(DATA("report_two_domains.json"), 0, &err);
	json_t *d, *found = NULL;
	size_t i;

	assert_non_null(doc);
	json_array_foreach(json_object_get(doc, "domains"), i, d)
	{
		if (strcmp(json_string_value(json_object_get(d, "domain")), name) == 0) {
			found = json_incref(d);
		}
	}
	json_decref(doc);
	assert_non_null(found);
	return found;
}

/* Part p of a rendered domain (a family, or RENDER_PART_ROW). */
static const char *part(const struct render_domain *d, size_t p)
{
	return render_part(d, p, NULL);
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text != '\0'; text++) {
		n += *text == '\n';
	}
	return n;
}

/* line (without its '\n') is exactly one whole line of text. */
static void assert_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;
	unsigned n = 0;

	while (*p != '\0') {
		const char *end = strchr(p, '\n');

		assert_non_null(end); /* every sample line ends in '\n' */
		if ((size_t)(end - p) == len && memcmp(p, line, len) == 0) {
			n++;
		}
		p = end + 1;
	}
	if (n != 1) {
		print_error("line '%s' found %u times in:\n%s", line, n, text);
	}
	assert_int_equal(n, 1);
}

static void add_active(struct statedb_findings *l, enum finding_code code, enum severity sev,
		       const char *target, uint16_t port, const char *message, int64_t first_seen)
{
	struct statedb_finding *x;

	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	assert_non_null(l->v);
	x = &l->v[l->n++];
	memset(x, 0, sizeof(*x));
	x->f.code = code;
	x->f.severity = sev;
	snprintf(x->f.service, sizeof(x->f.service), "xmpp-client");
	snprintf(x->f.target, sizeof(x->f.target), "%s", target);
	x->f.port = port;
	snprintf(x->f.message, sizeof(x->f.message), "%s", message);
	x->first_seen = first_seen;
	x->last_seen = CHECKED_AT;
}

/* Samples */

static void mismatch_samples(void **state)
{
	json_t *report = sample_report(BAD);
	struct render_domain d;

	(void)state;
	assert_int_equal(render_domain(BAD, report, NULL, NULL, &d), 0);
	assert_int_equal(d.status, 3);
	assert_string_equal(part(&d, RENDER_DOMAIN_STATUS),
			    "xdane_domain_status{domain=\"" BAD "\"} 3\n");
	/* 12 findings: 4 TLSA_NO_ROLLOVER_SLOT, and 8 TLSA_MISMATCH that differ only by address. */
	assert_int_equal(count_lines(part(&d, RENDER_FINDING)), 8);
	assert_line(part(&d, RENDER_FINDING),
		    "xdane_finding{domain=\"" BAD "\",code=\"TLSA_MISMATCH\",severity=\"critical\","
		    "service=\"xmpp-client\",target=\"xmpp." BAD "\",port=\"40773\"} 1");
	assert_line(part(&d, RENDER_FINDING),
		    "xdane_finding{domain=\"" BAD "\",code=\"TLSA_NO_ROLLOVER_SLOT\","
		    "severity=\"info\",service=\"xmpps-server\",target=\"xmpp." BAD
		    "\",port=\"48921\"} 1");
	assert_int_equal(count_lines(part(&d, RENDER_DANE_MATCH)), 8);
	assert_line(part(&d, RENDER_DANE_MATCH),
		    "xdane_dane_match{domain=\"" BAD "\",service=\"xmpp-server\",target=\"xmpp." BAD
		    "\",port=\"59595\",address=\"::1\"} 0");
	/* One record per (target, port), for the two addresses of each. */
	assert_int_equal(count_lines(part(&d, RENDER_TLSA_RECORD_MATCH)), 4);
	assert_line(part(&d, RENDER_TLSA_RECORD_MATCH),
		    "xdane_tlsa_record_match{domain=\"" BAD "\",target=\"xmpp." BAD
		    "\",port=\"49031\",usage=\"3\",selector=\"1\",mtype=\"1\","
		    "data=\"0000000000000000000000000000000000000000000000000000000000000000\"} 0");
	/* SOA, DNSKEY, DS, 4 SRV and 4 TLSA owners. */
	assert_int_equal(count_lines(part(&d, RENDER_DNSSEC_STATE)), 11);
	assert_line(part(&d, RENDER_DNSSEC_STATE), "xdane_dnssec_state{domain=\"" BAD
						   "\",rrset=\"DS " BAD "\",state=\"secure\"} 1");
	assert_line(part(&d, RENDER_DNSSEC_STATE),
		    "xdane_dnssec_state{domain=\"" BAD "\",rrset=\"SRV _xmpps-client._tcp." BAD
		    "\",state=\"secure\"} 1");
	assert_line(part(&d, RENDER_DNSSEC_STATE),
		    "xdane_dnssec_state{domain=\"" BAD "\",rrset=\"TLSA _40773._tcp.xmpp." BAD
		    "\",state=\"secure\"} 1");
	assert_int_equal(count_lines(part(&d, RENDER_CERT_NOT_AFTER)), 8);
	assert_line(part(&d, RENDER_CERT_NOT_AFTER),
		    "xdane_cert_not_after_timestamp_seconds{domain=\"" BAD
		    "\",service=\"xmpps-server\",target=\"xmpp." BAD
		    "\",port=\"48921\",address=\"127.0.0.1\"} 1803090888");
	assert_string_equal(part(&d, RENDER_RRSIG_EXPIRY),
			    "xdane_rrsig_expiry_timestamp_seconds{domain=\"" BAD
			    "\",rrtype=\"SOA\"} 1797906888\n"
			    "xdane_rrsig_expiry_timestamp_seconds{domain=\"" BAD
			    "\",rrtype=\"DNSKEY\"} 1797906888\n"
			    "xdane_rrsig_expiry_timestamp_seconds{domain=\"" BAD
			    "\",rrtype=\"DS\"} 1797906888\n"
			    "xdane_rrsig_expiry_timestamp_seconds{domain=\"" BAD
			    "\",rrtype=\"SRV\"} 1797906888\n"
			    "xdane_rrsig_expiry_timestamp_seconds{domain=\"" BAD
			    "\",rrtype=\"TLSA\"} 1797906888\n");
	assert_string_equal(part(&d, RENDER_LAST_CHECK),
			    "xdane_last_check_timestamp_seconds{domain=\"" BAD "\"} 1795314897\n");
	assert_string_equal(part(&d, RENDER_CHECK_DURATION),
			    "xdane_check_duration_seconds{domain=\"" BAD "\"} 0.109856764\n");
	/* No rollover configured: only "none" (1); the states of the machine are not shown. */
	assert_string_equal(part(&d, RENDER_ROLLOVER_STATE),
			    "xdane_rollover_state{domain=\"" BAD "\",state=\"none\"} 1\n");
	render_domain_release(&d);
	json_decref(report);
}

static void good_samples(void **state)
{
	json_t *report = sample_report(GOOD);
	struct render_domain d;

	(void)state;
	assert_int_equal(render_domain(GOOD, report, NULL, "published", &d), 0);
	assert_int_equal(d.status, 1);
	assert_line(part(&d, RENDER_DANE_MATCH), "xdane_dane_match{domain=\"" GOOD
						 "\",service=\"xmpp-client\",target=\"xmpp." GOOD
						 "\",port=\"40773\",address=\"127.0.0.1\"} 1");
	assert_line(part(&d, RENDER_TLSA_RECORD_MATCH),
		    "xdane_tlsa_record_match{domain=\"" GOOD "\",target=\"xmpp." GOOD
		    "\",port=\"59595\",usage=\"3\",selector=\"1\",mtype=\"1\","
		    "data=\"001c033f9675db54f6ba2c79f7a4028d65b7e93366c88ac90490520ec5a8db42\"} 1");
	/* The DS signature expires a second after the rest. */
	assert_line(part(&d, RENDER_RRSIG_EXPIRY),
		    "xdane_rrsig_expiry_timestamp_seconds{domain=\"" GOOD "\",rrtype=\"DS\"} "
		    "1797906888");
	assert_line(part(&d, RENDER_RRSIG_EXPIRY),
		    "xdane_rrsig_expiry_timestamp_seconds{domain=\"" GOOD "\",rrtype=\"SOA\"} "
		    "1797906887");
	assert_line(part(&d, RENDER_ROLLOVER_STATE),
		    "xdane_rollover_state{domain=\"" GOOD "\",state=\"published\"} 1");
	assert_line(part(&d, RENDER_ROLLOVER_STATE),
		    "xdane_rollover_state{domain=\"" GOOD "\",state=\"none\"} 0");
	assert_int_equal(count_lines(part(&d, RENDER_ROLLOVER_STATE)), 8);
	assert_non_null(strstr(part(&d, RENDER_PART_ROW),
			       "<a href=\"/status/good.example\">good.example</a>"));
	assert_non_null(
		strstr(part(&d, RENDER_PART_ROW), "in 89 d")); /* certificate, from checked_at */
	assert_non_null(strstr(part(&d, RENDER_PART_ROW), "<td>published</td>"));
	render_domain_release(&d);
	json_decref(report);
}

/* Escaping and deduplication */

/* An endpoint of a hand-made report; rsa_match < 0: no RSA probe. */
static json_t *endpoint(const char *address, const char *dane, bool matched, int rsa_match)
{
	json_t *e = json_pack("{s:s, s:i, s:s, s:s, s:[s, s], s:s, s:[b, b]}", "target",
			      "xmpp.x.example", "port", 5222, "address", address, "tlsa_owner",
			      "_5222._tcp.xmpp.x.example", "tlsa", "3 1 1 aa", "3 1 1 bb", "dane",
			      dane, "tlsa_matches", matched, false);

	assert_non_null(e);
	if (rsa_match >= 0) {
		json_object_set_new(e, "rsa",
				    json_pack("{s:s, s:[b, b]}", "dane",
					      rsa_match ? "match" : "mismatch", "tlsa_matches",
					      false, rsa_match == 1));
	}
	return e;
}

static json_t *handmade(json_t *endpoints, json_t *findings)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:f, s:[{s:s, s:o}], s:o}", "domain", "x.example",
			      "status", "warning", "checked_at", "2026-11-22T02:34:57Z",
			      "duration_seconds", 1.5, "services", "service", "xmpp-client",
			      "endpoints", endpoints, "findings", findings);

	assert_non_null(r);
	return r;
}

static void label_escaping(void **state)
{
	const char *hostile = "a\"b\\c\nd";
	json_t *findings = json_pack("[{s:s, s:s, s:s, s:n, s:n}]", "code", "NS_UNREACHABLE",
				     "severity", "warning", "target", "ns1.\"q\".example",
				     "service", "port");
	json_t *report = handmade(json_array(), findings);
	struct render_domain d;

	(void)state;
	assert_int_equal(render_domain(hostile, report, NULL, "odd\"state", &d), 0);
	assert_string_equal(part(&d, RENDER_DOMAIN_STATUS),
			    "xdane_domain_status{domain=\"a\\\"b\\\\c\\nd\"} 2\n");
	/* A zone-level finding: no service, no port (empty label values). */
	assert_string_equal(part(&d, RENDER_FINDING),
			    "xdane_finding{domain=\"a\\\"b\\\\c\\nd\",code=\"NS_UNREACHABLE\","
			    "severity=\"warning\",service=\"\",target=\"ns1.\\\"q\\\".example\","
			    "port=\"\"} 1\n");
	/* A state the table does not know is shown, escaped, besides the known ones at 0. */
	assert_line(part(&d, RENDER_ROLLOVER_STATE),
		    "xdane_rollover_state{domain=\"a\\\"b\\\\c\\nd\",state=\"odd\\\"state\"} 1");
	assert_line(part(&d, RENDER_ROLLOVER_STATE),
		    "xdane_rollover_state{domain=\"a\\\"b\\\\c\\nd\",state=\"none\"} 0");
	assert_int_equal(count_lines(part(&d, RENDER_ROLLOVER_STATE)), 9);
	render_domain_release(&d);
	json_decref(report);
}

static void dedupe(void **state)
{
	/* Record aa matched at .1 only, record bb only by the RSA chain at .2. */
	json_t *endpoints = json_pack("[o, o, o]", endpoint("192.0.2.1", "match", true, -1),
				      endpoint("192.0.2.2", "match", false, 1),
				      endpoint("192.0.2.3", "none", false, -1));
	json_t *findings = json_pack(
		"[{s:s, s:s, s:s, s:s, s:i, s:s}, {s:s, s:s, s:s, s:s, s:i, s:s},"
		" {s:s, s:s, s:s, s:s, s:i, s:s}]",
		"code", "TLSA_MISMATCH", "severity", "critical", "service", "xmpp-client", "target",
		"xmpp.x.example", "port", 5222, "address", "192.0.2.1", "code", "TLSA_MISMATCH",
		"severity", "critical", "service", "xmpp-client", "target", "xmpp.x.example",
		"port", 5222, "address", "192.0.2.2", "code", "TLSA_MISMATCH", "severity",
		"warning", "service", "xmpp-client", "target", "xmpp.x.example", "port", 5222,
		"address", "192.0.2.3");
	json_t *report = handmade(endpoints, findings);
	struct render_domain d;

	(void)state;
	assert_int_equal(render_domain("x.example", report, NULL, NULL, &d), 0);
	/* Severity is a label: two series, not three. */
	assert_string_equal(
		part(&d, RENDER_FINDING),
		"xdane_finding{domain=\"x.example\",code=\"TLSA_MISMATCH\","
		"severity=\"critical\",service=\"xmpp-client\",target=\"xmpp.x.example\","
		"port=\"5222\"} 1\n"
		"xdane_finding{domain=\"x.example\",code=\"TLSA_MISMATCH\","
		"severity=\"warning\",service=\"xmpp-client\",target=\"xmpp.x.example\","
		"port=\"5222\"} 1\n");
	assert_string_equal(
		part(&d, RENDER_TLSA_RECORD_MATCH),
		"xdane_tlsa_record_match{domain=\"x.example\",target=\"xmpp.x.example\","
		"port=\"5222\",usage=\"3\",selector=\"1\",mtype=\"1\",data=\"aa\"} 1\n"
		"xdane_tlsa_record_match{domain=\"x.example\",target=\"xmpp.x.example\","
		"port=\"5222\",usage=\"3\",selector=\"1\",mtype=\"1\",data=\"bb\"} 1\n");
	/* "none" is not a mismatch: no series for 192.0.2.3. */
	assert_string_equal(part(&d, RENDER_DANE_MATCH),
			    "xdane_dane_match{domain=\"x.example\",service=\"xmpp-client\","
			    "target=\"xmpp.x.example\",port=\"5222\",address=\"192.0.2.1\"} 1\n"
			    "xdane_dane_match{domain=\"x.example\",service=\"xmpp-client\","
			    "target=\"xmpp.x.example\",port=\"5222\",address=\"192.0.2.2\"} 1\n");
	assert_string_equal(part(&d, RENDER_CHECK_DURATION),
			    "xdane_check_duration_seconds{domain=\"x.example\"} 1.5\n");
	render_domain_release(&d);
	json_decref(report);
}

static void rsa_mismatch(void **state)
{
	/* The ECDSA chain matches, the RSA one does not: peers offering only RSA fail. */
	json_t *report = handmade(json_pack("[o]", endpoint("192.0.2.1", "match", true, 0)),
				  json_array());
	struct render_domain d;

	(void)state;
	assert_int_equal(render_domain("x.example", report, NULL, NULL, &d), 0);
	assert_string_equal(part(&d, RENDER_DANE_MATCH),
			    "xdane_dane_match{domain=\"x.example\",service=\"xmpp-client\","
			    "target=\"xmpp.x.example\",port=\"5222\",address=\"192.0.2.1\"} 0\n");
	assert_string_equal(part(&d, RENDER_FINDING), "");
	assert_string_equal(part(&d, RENDER_DNSSEC_STATE), ""); /* no lookup objects */
	render_domain_release(&d);
	json_decref(report);
}

/* Failed and never-checked domains */

static void unknown_report(void **state)
{
	/* report_set_error's report, with the time the daemon adds. */
	json_t *report = json_pack("{s:s, s:s, s:s, s:s}", "domain", "x.example", "status",
				   "unknown", "error", "deadline of 30 s exceeded", "checked_at",
				   "2026-11-22T02:34:57Z");
	struct statedb_findings active = {0};
	struct render_domain d;

	(void)state;
	add_active(&active, FINDING_TLSA_MISMATCH, SEVERITY_CRITICAL, "xmpp.x.example", 5222,
		   "held from the last check", CHECKED_AT - 3 * HOUR);
	assert_int_equal(render_domain("x.example", report, &active, NULL, &d), 0);
	assert_int_equal(d.status, 4);
	assert_string_equal(part(&d, RENDER_DOMAIN_STATUS),
			    "xdane_domain_status{domain=\"x.example\"} 4\n");
	assert_string_equal(
		part(&d, RENDER_LAST_CHECK),
		"xdane_last_check_timestamp_seconds{domain=\"x.example\"} 1795314897\n");
	/* The state keeps findings through a failed check; so do the metrics. */
	assert_string_equal(
		part(&d, RENDER_FINDING),
		"xdane_finding{domain=\"x.example\",code=\"TLSA_MISMATCH\","
		"severity=\"critical\",service=\"xmpp-client\",target=\"xmpp.x.example\","
		"port=\"5222\"} 1\n");
	assert_string_equal(part(&d, RENDER_CHECK_DURATION), "");
	assert_string_equal(part(&d, RENDER_DANE_MATCH), "");
	assert_non_null(
		strstr(part(&d, RENDER_PART_ROW), "check failed: deadline of 30 s exceeded"));
	assert_non_null(strstr(part(&d, RENDER_PART_ROW), "class=\"b s4\">unknown<"));
	assert_non_null(strstr(part(&d, RENDER_PART_ROW), "for 3 h"));
	render_domain_release(&d);
	free(active.v);
	json_decref(report);
}

static void never_checked(void **state)
{
	struct render_domain d;
	const char *row;
	size_t len;
	int f;

	(void)state;
	assert_int_equal(render_domain("x.example", NULL, NULL, "idle", &d), 0);
	assert_int_equal(d.status, 4);
	for (f = 0; f < RENDER_FAMILY_COUNT; f++) {
		const char *text = render_part(&d, (size_t)f, &len);

		if (f == RENDER_DOMAIN_STATUS || f == RENDER_ROLLOVER_STATE) {
			assert_true(strlen(text) > 0);
		} else {
			assert_string_equal(text, "");
		}
		assert_int_equal(len, strlen(text));
	}
	/* The parts are one allocation: the row follows the last family. */
	assert_ptr_equal(part(&d, RENDER_PART_ROW),
			 render_part(&d, RENDER_FAMILY_COUNT - 1, NULL) +
				 strlen(render_part(&d, RENDER_FAMILY_COUNT - 1, NULL)) + 1);
	/* A rollover configured: every state of the machine, 0 for all but the current one. */
	assert_int_equal(count_lines(part(&d, RENDER_ROLLOVER_STATE)), 8);
	assert_line(part(&d, RENDER_ROLLOVER_STATE),
		    "xdane_rollover_state{domain=\"x.example\",state=\"idle\"} 1");
	assert_line(part(&d, RENDER_ROLLOVER_STATE),
		    "xdane_rollover_state{domain=\"x.example\",state=\"none\"} 0");
	row = render_part(&d, RENDER_PART_ROW, &len);
	assert_non_null(strstr(row, "never checked"));
	assert_int_equal(len, strlen(row));
	render_domain_release(&d);

	/* "" is no rollover, as NULL is. */
	assert_int_equal(render_domain("x.example", NULL, NULL, "", &d), 0);
	assert_string_equal(part(&d, RENDER_ROLLOVER_STATE),
			    "xdane_rollover_state{domain=\"x.example\",state=\"none\"} 1\n");
	render_part(&d, RENDER_ROLLOVER_STATE, &len);
	assert_int_equal(len, strlen(part(&d, RENDER_ROLLOVER_STATE)));
	render_domain_release(&d);
}

/* HTML */

static void html_hostile(void **state)
{
	const char *domain = "<script>alert(1)</script>\".example";
	json_t *report = handmade(json_array(), json_array());
	struct statedb_findings active = {0};
	struct render_domain d;
	char *escaped;

	(void)state;
	add_active(&active, FINDING_CERT_EXPIRING, SEVERITY_WARNING, "<b>x</b>", 5222,
		   "<script>steal()</script> & 'more'", CHECKED_AT - 90);
	add_active(&active, FINDING_CONNECT_FAILED, SEVERITY_CRITICAL, "t.example", 5222,
		   "connection refused", CHECKED_AT - 3 * 86400);
	assert_int_equal(render_domain(domain, report, &active, "<i>", &d), 0);
	assert_null(strstr(part(&d, RENDER_PART_ROW), "<script"));
	assert_null(strstr(part(&d, RENDER_PART_ROW), "<b>"));
	assert_null(strstr(part(&d, RENDER_PART_ROW), "<i>"));
	assert_non_null(strstr(part(&d, RENDER_PART_ROW),
			       "<a href=\"/status/"
			       "%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22.example\">"
			       "&lt;script&gt;alert(1)&lt;/script&gt;&quot;.example</a>"));
	assert_non_null(strstr(part(&d, RENDER_PART_ROW),
			       "&lt;script&gt;steal()&lt;/script&gt; &amp; "
			       "&#39;more&#39;"));
	assert_non_null(strstr(part(&d, RENDER_PART_ROW), "&lt;b&gt;x&lt;/b&gt;:5222"));
	assert_non_null(strstr(part(&d, RENDER_PART_ROW), "for 90 s"));
	assert_non_null(strstr(part(&d, RENDER_PART_ROW), "for 3 d"));
	/* Worst first: the critical finding, though seen later in the list. */
	assert_true(strstr(part(&d, RENDER_PART_ROW), "CONNECT_FAILED") <
		    strstr(part(&d, RENDER_PART_ROW), "CERT_EXPIRING"));
	render_domain_release(&d);
	free(active.v);
	json_decref(report);

	escaped = render_html_escape("<a href='x'>&\"</a>");
	assert_string_equal(escaped, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
	free(escaped);
}

static void page_head(void **state)
{
	const unsigned counts[5] = {10, 1, 2, 3, 4};
	char *head = NULL;

	(void)state;
	assert_int_equal(render_page_head(CHECKED_AT, counts, NULL, &head), 0);
	assert_non_null(strstr(head, "<title>xdane: 3 critical, 2 warning of 20 domains</title>"));
	assert_non_null(strstr(head, ">ok 10<"));
	assert_non_null(strstr(head, ">info 1<"));
	assert_non_null(strstr(head, ">warning 2<"));
	assert_non_null(strstr(head, ">critical 3<"));
	assert_non_null(strstr(head, ">unknown 4<"));
	assert_non_null(strstr(head, "2026-11-22 02:34 UTC"));
	assert_null(strstr(head, "<script"));
	assert_non_null(strstr(render_page_tail(), "</html>"));
	assert_null(strstr(head, "class=\"problem\""));
	free(head);
	/* xdaned's own trouble is a banner, escaped. */
	assert_int_equal(render_page_head(CHECKED_AT, counts, "state db: <full> disk", &head), 0);
	assert_non_null(
		strstr(head, "<p class=\"problem\">xdaned: state db: &lt;full&gt; disk</p>"));
	free(head);
}

/* Daemon samples and headers */

static void daemon_metrics(void **state)
{
	const struct render_daemon_stats s = {
		.started_at = CHECKED_AT,
		.checks_total = 12345,
		.checks_failed_total = 2,
		.checks_in_flight = 3,
		.domains = 200,
		.alerts_delivered_total = 7,
		.alert_delivery_failures_total = 1,
		.alerts_pending = 4,
		.state_errors_total = 0,
	};
	char *text = NULL;

	(void)state;
	assert_int_equal(render_daemon_metrics(&s, &text), 0);
	assert_line(text, "xdane_up 1");
	assert_line(text, "# TYPE xdane_checks_total counter");
	assert_line(text, "xdane_checks_total 12345");
	assert_line(text, "xdane_start_time_seconds 1795314897");
	assert_line(text, "xdane_checks_in_flight 3");
	assert_line(text, "xdane_domains 200");
	assert_line(text, "xdane_alert_deliveries_total 7");
	assert_line(text, "xdane_alert_delivery_failures_total 1");
	assert_line(text, "xdane_alerts_pending 4");
	assert_line(text, "xdane_state_errors_total 0");
	assert_line(text, "xdane_state_db_ok 0");
	assert_line(text, "xdane_checks_failed_total 2");
	assert_int_equal(count_lines(text), 33); /* 11 samples, each with HELP and TYPE */
	free(text);

	assert_string_equal(render_family_header(RENDER_CHECK_DURATION),
			    "# HELP xdane_check_duration_seconds How long the domain's last check "
			    "took\n# TYPE xdane_check_duration_seconds gauge\n");
}

/* --metrics FILE: a /metrics page of the sample domains and hostile labels. */
static int write_metrics(const char *path)
{
	const char *names[] = {GOOD, BAD};
	struct render_domain d[3];
	FILE *out = fopen(path, "w");
	const struct render_daemon_stats s = {.started_at = CHECKED_AT, .domains = 3};
	char *daemon = NULL;
	json_t *reports[2];
	size_t i;
	int f;

	if (out == NULL) {
		return 1;
	}
	for (i = 0; i < 2; i++) {
		reports[i] = sample_report(names[i]);
		if (render_domain(names[i], reports[i], NULL, i == 0 ? "verified" : NULL, &d[i]) !=
		    0) {
			return 1;
		}
		json_decref(reports[i]);
	}
	if (render_domain("a\"b\\c\nd", NULL, NULL, NULL, &d[2]) != 0 ||
	    render_daemon_metrics(&s, &daemon) != 0) {
		return 1;
	}
	for (f = 0; f < RENDER_FAMILY_COUNT; f++) {
		fputs(render_family_header(f), out);
		for (i = 0; i < 3; i++) {
			fputs(render_part(&d[i], (size_t)f, NULL), out);
		}
	}
	fputs(daemon, out);
	free(daemon);
	for (i = 0; i < 3; i++) {
		render_domain_release(&d[i]);
	}
	return fclose(out) != 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mismatch_samples), cmocka_unit_test(good_samples),
		cmocka_unit_test(label_escaping),   cmocka_unit_test(dedupe),
		cmocka_unit_test(rsa_mismatch),	    cmocka_unit_test(unknown_report),
		cmocka_unit_test(never_checked),    cmocka_unit_test(html_hostile),
		cmocka_unit_test(page_head),	    cmocka_unit_test(daemon_metrics),
	};

	if (argc == 3 && strcmp(argv[1], "--metrics") == 0) {
		return write_metrics(argv[2]);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
