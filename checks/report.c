/* SPDX-License-Identifier: BSD-3-Clause */
/* Report rendering: JSON with jansson, text with stdio memory streams. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checks/certview.h"
#include "checks/identity.h"
#include "checks/judge.h"
#include "checks/report.h"
#include "common/hexstr.h"
#include "common/timefmt.h"

struct report {
	json_t *domains; /* array of n slots, null until set */
};

/* A name as people write it: without the trailing dot (the root stays "."). */
static void report_display(const char *name, char *out, size_t size)
{
	size_t len = strlen(name);

	if (len > 1 && name[len - 1] == '.') {
		len--;
	}
	snprintf(out, size, "%.*s", (int)len, name);
}

static json_t *report_name(const char *name)
{
	char shown[FACTS_NAME_MAX];

	report_display(name, shown, sizeof(shown));
	return json_string(shown);
}

static json_t *report_time(int64_t t)
{
	char text[TIMEFMT_RFC3339_LEN];

	return t != 0 && timefmt_rfc3339(t, text) == 0 ? json_string(text) : json_null();
}

static json_t *report_str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static char *report_tlsa_text(const struct tlsa_facts *t)
{
	return tlsa_text(t->usage, t->selector, t->mtype, t->data, t->len);
}

/* Adds key = value to o, taking the value; a NULL value (ENOMEM) makes o fail later. */
static int report_put(json_t *o, const char *key, json_t *value)
{
	return value != NULL && json_object_set_new(o, key, value) == 0 ? 0 : -ENOMEM;
}

static json_t *report_rrset(const struct rrset_facts *rr)
{
	json_t *o = json_object();
	int r = 0;

	if (o == NULL) {
		return NULL;
	}
	r |= report_put(o, "status", json_string(facts_lookup_status_name(rr->status)));
	r |= report_put(o, "state", json_string(facts_dnssec_state_name(rr->state)));
	r |= report_put(o, "ttl", json_integer(rr->ttl));
	r |= report_put(o, "why_bogus", report_str_or_null(rr->why));
	r |= report_put(o, "cname", rr->cname[0] ? report_name(rr->cname) : json_null());
	r |= report_put(o, "rrsig_expiration", report_time(rr->sig_expiration));
	if (r != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *report_tlsa_list(const struct endpoint_facts *e)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < e->n_tlsa; i++) {
		char *text = report_tlsa_text(&e->tlsa_recs[i]);

		if (text == NULL || json_array_append_new(a, json_string(text)) < 0) {
			free(text);
			json_decref(a);
			return NULL;
		}
		free(text);
	}
	return a;
}

/* The probe of endpoint ei at address (the RSA-only one if rsa_only), or NULL. */
static const struct probe_facts *report_probe(const struct domain_facts *f, size_t ei,
					      const char *address, bool rsa_only)
{
	size_t i;

	for (i = 0; address != NULL && i < f->n_probes; i++) {
		const struct probe_facts *p = &f->probes[i];

		if (p->endpoint == ei && p->rsa_only == rsa_only && p->status != PROBE_NOT_DONE &&
		    strcmp(p->address, address) == 0) {
			return p;
		}
	}
	return NULL;
}

/* RFC 6120 §13.7 identity of a probe's leaf, as the judge sees it. */
static bool report_name_match(const struct domain_facts *f, const struct endpoint_facts *e,
			      const struct probe_facts *p, struct identity_result *res)
{
	const struct service_facts *sf = &f->services[e->service];
	struct identity_ref ref = {f->domain, e->service, NULL};

	if (sf->rr.state == DNSSEC_SECURE && !sf->fallback) {
		ref.srv_target = f->targets[e->target].name;
	}
	return identity_match(&p->leaf, &ref, res) == 0 && res->matched;
}

/* Each TLSA record checked on its own against the chain (digest agility aside). */
static json_t *report_tlsa_matches(const struct endpoint_facts *e, const struct probe_facts *p)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < e->n_tlsa && i < FACTS_MAX_TLSA; i++) {
		if (json_array_append_new(a, json_boolean(p->tlsa_match[i] == 1)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* What one probe found: status, TLS, the three verdicts and the certificate. */
static int report_probe_fields(json_t *o, const struct domain_facts *f,
			       const struct endpoint_facts *e, const struct probe_facts *p)
{
	struct identity_result id = {0};
	bool tls = p->tls_version != 0;
	char *rec = NULL;
	int r = 0;

	if (p->dane_record >= 0 && (size_t)p->dane_record < e->n_tlsa) {
		rec = report_tlsa_text(&e->tlsa_recs[p->dane_record]);
	}
	r |= report_put(o, "probe", json_string(facts_probe_status_name(p->status)));
	r |= report_put(o, "detail", json_string(p->detail));
	r |= report_put(o, "tls_version", tls ? json_string(p->tls_version_name) : json_null());
	r |= report_put(o, "dane", json_string(facts_dane_verdict_name(p->dane)));
	r |= report_put(o, "dane_record", rec != NULL ? json_string(rec) : json_null());
	r |= report_put(o, "dane_depth",
			p->dane_depth >= 0 ? json_integer(p->dane_depth) : json_null());
	r |= report_put(o, "tlsa_matches", report_tlsa_matches(e, p));
	r |= report_put(o, "pkix",
			p->has_leaf ? json_string(p->pkix_ok ? "ok" : "fail") : json_null());
	r |= report_put(o, "pkix_error", report_str_or_null(p->pkix_error));
	r |= report_put(o, "name_match",
			p->has_leaf ? json_boolean(report_name_match(f, e, p, &id)) : json_null());
	r |= report_put(o, "name_matched", report_str_or_null(id.presented));
	r |= report_put(o, "cert", p->has_leaf ? certview_cert_object(&p->leaf) : json_null());
	free(rec);
	return r != 0 ? -ENOMEM : 0;
}

static json_t *report_endpoint(const struct domain_facts *f, size_t ei, const char *address)
{
	const struct endpoint_facts *e = &f->endpoints[ei];
	const struct probe_facts *p = report_probe(f, ei, address, false);
	const struct probe_facts *rsa = report_probe(f, ei, address, true);
	const char *tlsa_state = !e->dane_applies ? "not-applicable"
				 : e->tlsa.status == LOOKUP_OK
					 ? facts_dnssec_state_name(e->tlsa.state)
					 : facts_lookup_status_name(e->tlsa.status);
	json_t *o = json_pack("{s:o, s:i, s:o, s:b, s:o, s:s, s:o, s:o}", "target",
			      report_name(f->targets[e->target].name), "port", e->port, "address",
			      report_str_or_null(address), "dane_applies", e->dane_applies,
			      "tlsa_owner", report_name(e->tlsa_owner), "tlsa_state", tlsa_state,
			      "tlsa_lookup", report_rrset(&e->tlsa), "tlsa", report_tlsa_list(e));

	if (o != NULL && p != NULL && report_probe_fields(o, f, e, p) < 0) {
		json_decref(o);
		return NULL;
	}
	if (o != NULL && rsa != NULL) {
		/* The server's other certificate, shown to peers offering only RSA. */
		json_t *other = json_object();

		if (other == NULL || report_probe_fields(other, f, e, rsa) < 0 ||
		    json_object_set_new(o, "rsa", other) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* One endpoint object per address of the target (DESIGN.md), or one without address. */
static int report_endpoints(const struct domain_facts *f, enum xmpp_service s, json_t *out)
{
	size_t i, k;

	for (i = 0; i < f->n_endpoints; i++) {
		const struct endpoint_facts *e = &f->endpoints[i];
		const struct target_facts *t = &f->targets[e->target];

		if (e->service != s) {
			continue;
		}
		if (t->n_a + t->n_aaaa == 0 &&
		    json_array_append_new(out, report_endpoint(f, i, NULL)) < 0) {
			return -ENOMEM;
		}
		for (k = 0; k < t->n_a + t->n_aaaa; k++) {
			const char *addr = k < t->n_a ? t->a_addrs[k] : t->aaaa_addrs[k - t->n_a];

			if (json_array_append_new(out, report_endpoint(f, i, addr)) < 0) {
				return -ENOMEM;
			}
		}
	}
	return 0;
}

static json_t *report_srv_records(const struct service_facts *sf)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < sf->n_srv; i++) {
		if (json_array_append_new(
			    a, json_pack("{s:i, s:i, s:i, s:o}", "priority", sf->srv[i].priority,
					 "weight", sf->srv[i].weight, "port", sf->srv[i].port,
					 "target", report_name(sf->srv[i].target))) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *report_services(const struct domain_facts *f)
{
	json_t *a = json_array();
	int s;

	for (s = 0; a != NULL && s < SERVICE_COUNT; s++) {
		const struct service_facts *sf = &f->services[s];
		json_t *endpoints = json_array();
		json_t *o;

		if (!sf->enabled) {
			json_decref(endpoints);
			continue;
		}
		if (endpoints == NULL || report_endpoints(f, s, endpoints) < 0) {
			json_decref(endpoints);
			json_decref(a);
			return NULL;
		}
		o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:o}", "service",
			      facts_service_name(s), "srv_state",
			      facts_dnssec_state_name(sf->rr.state), "srv_status",
			      facts_lookup_status_name(sf->rr.status), "absent", sf->absent,
			      "fallback", sf->fallback, "srv_lookup", report_rrset(&sf->rr), "srv",
			      report_srv_records(sf), "endpoints", endpoints);
		if (json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *report_dnskeys(const struct dnskey_facts *keys, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(
			    a, json_pack("{s:i, s:i, s:i}", "key_tag", keys[i].key_tag, "algorithm",
					 keys[i].algorithm, "flags", keys[i].flags)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *report_ds(const struct zone_facts *z)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < z->n_ds; i++) {
		const struct ds_facts *d = &z->ds_recs[i];
		json_t *match = d->key_index >= 0 ? json_integer(z->dnskeys[d->key_index].key_tag)
						  : json_null();

		if (json_array_append_new(a,
					  json_pack("{s:i, s:i, s:i, s:o}", "key_tag", d->key_tag,
						    "algorithm", d->algorithm, "digest_type",
						    d->digest_type, "matches_key", match)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *report_servers(const struct zone_facts *z)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < z->n_servers; i++) {
		const struct server_facts *s = &z->servers[i];
		json_t *nsec3 = s->has_nsec3param
					? json_pack("{s:i, s:i}", "iterations", s->nsec3_iterations,
						    "salt_length", s->nsec3_salt_len)
					: json_null();

		if (json_array_append_new(
			    a, json_pack("{s:o, s:s, s:s, s:b, s:I, s:o, s:o, s:o, s:o}", "name",
					 report_name(s->name), "address", s->address, "status",
					 facts_lookup_status_name(s->status), "authoritative",
					 s->authoritative, "serial", (json_int_t)s->serial,
					 "dnskeys", report_dnskeys(s->dnskeys, s->n_dnskey),
					 "soa_rrsig_expiration", report_time(s->soa_sig_expiration),
					 "dnskey_rrsig_expiration",
					 report_time(s->dnskey_sig_expiration), "nsec3param",
					 nsec3)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *report_zone(const struct domain_facts *f)
{
	const struct zone_facts *z = &f->zone;

	if (!f->zone_checked) {
		return json_null();
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "apex",
			 z->apex[0] ? report_name(z->apex) : json_null(), "soa",
			 report_rrset(&z->soa), "dnskey", report_rrset(&z->dnskey), "dnskeys",
			 report_dnskeys(z->dnskeys, z->n_dnskey), "ds_lookup", report_rrset(&z->ds),
			 "ds", report_ds(z), "servers", report_servers(z));
}

static json_t *report_findings(const struct findings *fl)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < fl->n; i++) {
		const struct finding *x = &fl->v[i];
		json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s}", "code",
				      finding_code_name(x->code), "severity",
				      severity_name(x->severity), "service",
				      report_str_or_null(x->service), "target",
				      x->target[0] ? report_name(x->target) : json_null(), "port",
				      x->port ? json_integer(x->port) : json_null(), "address",
				      report_str_or_null(x->address), "message", x->message);

		if (json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int report_new(size_t n, struct report **ret)
{
	struct report *r = calloc(1, sizeof(*r));
	size_t i;

	if (r == NULL || (r->domains = json_array()) == NULL) {
		free(r);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (json_array_append_new(r->domains, json_null()) < 0) {
			report_free(r);
			return -ENOMEM;
		}
	}
	*ret = r;
	return 0;
}

void report_free(struct report *r)
{
	if (r == NULL) {
		return;
	}
	json_decref(r->domains);
	free(r);
}

json_t *report_domain(const struct domain_facts *f, const struct findings *fl)
{
	struct strlist notes = {0};
	const char *state = facts_dnssec_state_name(judge_domain_dnssec(f));
	json_t *o;

	if (report_notes(f, &notes) < 0) {
		strlist_release(&notes);
		return NULL;
	}
	o = json_pack("{s:o, s:s, s:o, s:f, s:{s:s, s:o}, s:o, s:o, s:o, s:o}", "domain",
		      report_name(f->domain), "status", severity_name(findings_worst(fl)),
		      "checked_at", report_time(f->checked_at), "duration_seconds", f->duration_s,
		      "dnssec", "state", state, "why_bogus",
		      report_str_or_null(f->zone_checked ? f->zone.soa.why : f->services[0].rr.why),
		      "services", report_services(f), "zone", report_zone(f), "findings",
		      report_findings(fl), "notes", certview_string_array(&notes));
	strlist_release(&notes);
	return o;
}

int report_set_findings(json_t *report, const struct findings *fl)
{
	json_t *list = report_findings(fl);

	if (list == NULL || json_object_set_new(report, "findings", list) < 0) {
		return -ENOMEM;
	}
	return json_object_set_new(report, "status",
				   json_string(severity_name(findings_worst(fl)))) < 0
		       ? -ENOMEM
		       : 0;
}

json_t *report_domain_error(const char *domain, const char *error, int64_t checked_at)
{
	json_t *o = json_pack("{s:o, s:s, s:s}", "domain", report_name(domain), "status", "unknown",
			      "error", error);

	if (o != NULL && checked_at != 0 &&
	    json_object_set_new(o, "checked_at", report_time(checked_at)) < 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

int report_set(struct report *r, size_t index, const struct domain_facts *f,
	       const struct findings *fl)
{
	json_t *o = report_domain(f, fl);

	if (o == NULL || json_array_set_new(r->domains, index, o) < 0) {
		return -ENOMEM;
	}
	return 0;
}

int report_set_error(struct report *r, size_t index, const char *domain, const char *error)
{
	json_t *o = report_domain_error(domain, error, 0);

	if (o == NULL || json_array_set_new(r->domains, index, o) < 0) {
		return -ENOMEM;
	}
	return 0;
}

int report_json(const struct report *r, char **ret)
{
	json_t *doc = json_pack("{s:O}", "domains", r->domains);
	char *text;

	if (doc == NULL) {
		return -ENOMEM;
	}
	text = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	if (text == NULL) {
		return -ENOMEM;
	}
	*ret = text;
	return 0;
}

/* --- notes on bounds ------------------------------------------------------------------ */

static int report_note(struct strlist *l, const char *fmt, const char *name, unsigned bound)
{
	char line[512];
	char shown[FACTS_NAME_MAX];

	report_display(name, shown, sizeof(shown));
	snprintf(line, sizeof(line), fmt, bound, shown);
	return strlist_add(l, line, strlen(line));
}

int report_notes(const struct domain_facts *f, struct strlist *ret)
{
	int r = 0;
	int s;
	size_t i;

	for (s = 0; s < SERVICE_COUNT; s++) {
		if (f->services[s].rr.truncated) {
			r |= report_note(ret, "only the first %u SRV records of %s were followed",
					 facts_service_label(s), FACTS_MAX_SRV);
		}
	}
	if (f->targets_truncated) {
		r |= report_note(ret, "only %u SRV targets of %s were followed", f->domain,
				 FACTS_MAX_TARGETS);
	}
	if (f->endpoints_truncated) {
		r |= report_note(ret, "only %u endpoints of %s were checked", f->domain,
				 FACTS_MAX_ENDPOINTS);
	}
	for (i = 0; i < f->n_targets; i++) {
		if (f->targets[i].a.truncated || f->targets[i].aaaa.truncated) {
			r |= report_note(ret, "only %u addresses per family of %s were kept",
					 f->targets[i].name, FACTS_MAX_ADDRS);
		}
	}
	for (i = 0; i < f->n_endpoints; i++) {
		if (f->endpoints[i].tlsa.truncated) {
			r |= report_note(ret, "only %u TLSA records of %s were kept",
					 f->endpoints[i].tlsa_owner, FACTS_MAX_TLSA);
		}
	}
	if (f->zone.servers_truncated || f->zone.ns.truncated) {
		r |= report_note(ret, "only %u authoritative server addresses of %s were asked",
				 f->zone.apex, FACTS_MAX_SERVERS);
	}
	if (f->probes_truncated) {
		r |= report_note(ret, "only %u connections to endpoints of %s were made", f->domain,
				 FACTS_MAX_PROBES);
	}
	if (f->zone.ds.truncated) {
		r |= report_note(ret, "only %u DS records of %s were kept", f->zone.apex,
				 FACTS_MAX_DS);
	}
	return r != 0 ? -ENOMEM : 0;
}

/* --- the human report ----------------------------------------------------------------- */

static void report_text_addresses(FILE *out, const struct target_facts *t)
{
	size_t k;

	for (k = 0; k < t->n_a; k++) {
		fprintf(out, " %s", t->a_addrs[k]);
	}
	for (k = 0; k < t->n_aaaa; k++) {
		fprintf(out, " %s", t->aaaa_addrs[k]);
	}
	if (t->n_a + t->n_aaaa == 0) {
		fprintf(out, " (no address: A %s, AAAA %s)", facts_lookup_status_name(t->a.status),
			facts_lookup_status_name(t->aaaa.status));
	}
	if (t->a.cname[0] != '\0' || t->aaaa.cname[0] != '\0') {
		char shown[FACTS_NAME_MAX];

		report_display(t->a.cname[0] ? t->a.cname : t->aaaa.cname, shown, sizeof(shown));
		fprintf(out, " (a CNAME to %s)", shown);
	}
}

/* One line per probe: how far it got and the three verdicts. */
static void report_text_probe(FILE *out, const struct domain_facts *f,
			      const struct endpoint_facts *e, const struct probe_facts *p)
{
	struct identity_result id = {0};
	char until[TIMEFMT_RFC3339_LEN] = "?";

	fprintf(out, "      %s%s: %s", p->address, p->rsa_only ? " (offering only RSA)" : "",
		p->detail);
	if (p->has_leaf) {
		bool named = report_name_match(f, e, p, &id);

		timefmt_rfc3339(p->leaf.not_after, until);
		fprintf(out,
			"; DANE %s, PKIX %s, name %s; cert %02x%02x%02x%02x... %s%s%s until %s",
			facts_dane_verdict_name(p->dane), p->pkix_ok ? "ok" : "fail",
			named ? id.presented : "MISMATCH", p->leaf.sha256[0], p->leaf.sha256[1],
			p->leaf.sha256[2], p->leaf.sha256[3], p->leaf.key_type,
			p->leaf.key_curve[0] ? " " : "", p->leaf.key_curve, until);
	}
	fputc('\n', out);
}

static void report_text_endpoint(FILE *out, const struct domain_facts *f, size_t ei)
{
	const struct endpoint_facts *e = &f->endpoints[ei];
	const struct target_facts *t = &f->targets[e->target];
	char shown[FACTS_NAME_MAX];
	size_t i;

	report_display(t->name, shown, sizeof(shown));
	fprintf(out, "    %s:%u  addresses %s:", shown, e->port,
		facts_dnssec_state_name(t->a.status == LOOKUP_OK ? t->a.state : t->aaaa.state));
	report_text_addresses(out, t);
	fputc('\n', out);
	if (!e->dane_applies) {
		fputs("      TLSA not looked up: DANE does not apply (SRV or addresses not "
		      "secure)\n",
		      out);
	} else if (e->tlsa.status != LOOKUP_OK) {
		fprintf(out, "      TLSA %s (%s)\n", facts_lookup_status_name(e->tlsa.status),
			facts_dnssec_state_name(e->tlsa.state));
	}
	for (i = 0; e->dane_applies && e->tlsa.status == LOOKUP_OK && i < e->n_tlsa; i++) {
		char *text = report_tlsa_text(&e->tlsa_recs[i]);

		fprintf(out, "      TLSA %s: %s\n", facts_dnssec_state_name(e->tlsa.state),
			text != NULL ? text : "?");
		free(text);
	}
	for (i = 0; i < f->n_probes; i++) {
		if (f->probes[i].endpoint == ei && f->probes[i].status != PROBE_NOT_DONE) {
			report_text_probe(out, f, e, &f->probes[i]);
		}
	}
}

static void report_text_service(FILE *out, const struct domain_facts *f, enum xmpp_service s)
{
	const struct service_facts *sf = &f->services[s];
	size_t i;

	fprintf(out, "  %s: SRV %s, %s", facts_service_name(s),
		facts_lookup_status_name(sf->rr.status), facts_dnssec_state_name(sf->rr.state));
	if (sf->absent) {
		fputs(" (\".\": decidedly not offered)", out);
	} else if (sf->fallback) {
		fprintf(out, " (no SRV: clients use the domain on port %u)",
			facts_service_default_port(s));
	}
	fputc('\n', out);
	for (i = 0; i < f->n_endpoints; i++) {
		if (f->endpoints[i].service == s) {
			report_text_endpoint(out, f, i);
		}
	}
}

static void report_text_zone(FILE *out, const struct domain_facts *f)
{
	const struct zone_facts *z = &f->zone;
	char shown[FACTS_NAME_MAX];
	size_t i;

	if (z->apex[0] == '\0') {
		fprintf(out, "  zone: not found (SOA lookup %s)\n",
			facts_lookup_status_name(z->soa.status));
		return;
	}
	report_display(z->apex, shown, sizeof(shown));
	fprintf(out, "  zone %s: %s", shown, facts_dnssec_state_name(z->soa.state));
	for (i = 0; i < z->n_ds; i++) {
		fprintf(out, "%s DS %u/%u/%u %s", i == 0 ? ";" : ",", z->ds_recs[i].key_tag,
			z->ds_recs[i].algorithm, z->ds_recs[i].digest_type,
			z->ds_recs[i].key_index >= 0 ? "matches a key" : "matches no key");
	}
	fputc('\n', out);
	for (i = 0; i < z->n_servers; i++) {
		const struct server_facts *s = &z->servers[i];

		report_display(s->name, shown, sizeof(shown));
		fprintf(out, "    server %s %s: %s", shown, s->address,
			facts_lookup_status_name(s->status));
		if (s->status == LOOKUP_OK) {
			fprintf(out, ", serial %u, %zu DNSKEY%s%s", s->serial, s->n_dnskey,
				s->authoritative ? "" : ", NOT authoritative",
				s->has_nsec3param ? ", NSEC3" : "");
		}
		fputc('\n', out);
	}
}

int report_text(const struct domain_facts *f, const struct findings *fl, char **ret)
{
	char shown[FACTS_NAME_MAX];
	struct strlist notes = {0};
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	size_t i;
	int s;

	out = open_memstream(&text, &len);
	if (out == NULL) {
		return -ENOMEM;
	}
	report_display(f->domain, shown, sizeof(shown));
	fprintf(out, "%s: %s, DNSSEC %s (%.2f s)\n", shown, severity_name(findings_worst(fl)),
		facts_dnssec_state_name(judge_domain_dnssec(f)), f->duration_s);
	if (f->zone_checked) {
		report_text_zone(out, f);
	}
	for (s = 0; s < SERVICE_COUNT; s++) {
		if (f->services[s].enabled) {
			report_text_service(out, f, s);
		}
	}
	for (i = 0; i < fl->n; i++) {
		const struct finding *x = &fl->v[i];

		fprintf(out, "  %-8s %s: %s\n", severity_name(x->severity),
			finding_code_name(x->code), x->message);
	}
	if (report_notes(f, &notes) == 0) {
		for (i = 0; i < notes.n; i++) {
			fprintf(out, "  note: %s\n", notes.v[i]);
		}
	}
	strlist_release(&notes);
	if (fclose(out) != 0) {
		free(text);
		return -ENOMEM;
	}
	*ret = text;
	return 0;
}
