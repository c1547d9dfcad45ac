/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for checks/judge: a healthy domain (DNS and probes) yields only
 * infos; each row breaks one thing of it and names the exact findings it must
 * produce, from both halves of the judge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/judge.h"

/* 2026-11-18T11:06:40Z; no test reads the clock. */
#define NOW	      ((int64_t)1795000000)
#define DAY	      86400
#define HEALTHY_SLOTS 4 /* one TLSA_NO_ROLLOVER_SLOT per endpoint */
#define A4	      "192.0.2.10"
#define A6	      "2001:db8::10"
/* The probe of service s at its A (k 0) or AAAA (k 1) address. */
#define P(s, k) ((s)*2 + (k))
/* The healthy leaf's SPKI SHA-256 in hex (0xab repeated). */
#define AB	  "abababababababababababababababababababababababababababababababab"
#define RSA_PROBE 8 /* index of the RSA-only probe rows add */
/* The leaf's names in the healthy domain, in set_names syntax. */
#define HEALTHY_NAMES "dns=d.example srv=_xmpp-client.d.example srv=_xmpp-server.d.example"

static const uint16_t ports[SERVICE_COUNT] = {5222, 5269, 5223, 5270};

/* Building facts */

static void rr_secure(struct rrset_facts *rr)
{
	memset(rr, 0, sizeof(*rr));
	rr->status = LOOKUP_OK;
	rr->state = DNSSEC_SECURE;
	rr->ttl = 3600;
	rr->sig_expiration = NOW + 30 * DAY;
	rr->n_found = 1;
}

/* A lookup that ended without an answer to validate. */
static void rr_fail(struct rrset_facts *rr, enum lookup_status status, int rcode)
{
	rr->status = status;
	rr->state = DNSSEC_INDETERMINATE;
	rr->rcode = rcode;
	rr->sig_expiration = 0;
	rr->n_found = 0;
}

/* A denial (NXDOMAIN or NODATA) in the given validation state. */
static void rr_deny(struct rrset_facts *rr, enum lookup_status status, enum dnssec_state state)
{
	rr->status = status;
	rr->state = state;
	rr->rcode = status == LOOKUP_NXDOMAIN ? 3 : 0;
	rr->n_found = 0;
}

static void rr_bogus(struct rrset_facts *rr, const char *why)
{
	rr->state = DNSSEC_BOGUS;
	snprintf(rr->why, sizeof(rr->why), "%s", why);
}

static void set_tlsa(struct endpoint_facts *e, size_t i, uint8_t usage, uint8_t selector,
		     uint8_t mtype, size_t len)
{
	struct tlsa_facts *t = &e->tlsa_recs[i];

	free(t->data);
	t->usage = usage;
	t->selector = selector;
	t->mtype = mtype;
	t->len = len;
	t->data = len > 0 ? malloc(len) : NULL;
	assert_true(len == 0 || t->data != NULL);
	if (len > 0) {
		/* Record i's data reads "1111...", "2222...": messages show which. */
		memset(t->data, (int)(0x11 * (i + 1)), len);
	}
	if (e->n_tlsa <= i) {
		e->n_tlsa = i + 1;
	}
}

/* No TLSA records (their data is freed: facts_release only sees n_tlsa). */
static void clear_tlsa(struct endpoint_facts *e)
{
	size_t i;

	for (i = 0; i < e->n_tlsa; i++) {
		free(e->tlsa_recs[i].data);
		e->tlsa_recs[i].data = NULL;
	}
	e->n_tlsa = 0;
}

static void set_key(struct dnskey_facts *k, uint16_t flags, uint8_t alg, uint16_t tag)
{
	k->flags = flags;
	k->protocol = 3;
	k->algorithm = alg;
	k->key_tag = tag;
}

/* The zone's and every server's DNSKEY set: a KSK and a ZSK of one algorithm. */
static void set_all_keys(struct domain_facts *f, uint8_t ksk_alg, uint8_t zsk_alg)
{
	size_t i;

	set_key(&f->zone.dnskeys[0], 257, ksk_alg, 11111);
	set_key(&f->zone.dnskeys[1], 256, zsk_alg, 22222);
	f->zone.n_dnskey = 2;
	for (i = 0; i < f->zone.n_servers; i++) {
		memcpy(f->zone.servers[i].dnskeys, f->zone.dnskeys, sizeof(f->zone.dnskeys));
		f->zone.servers[i].n_dnskey = 2;
	}
	f->zone.ds_recs[0].algorithm = ksk_alg;
}

static void healthy_server(struct server_facts *s, const char *name, const char *address)
{
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->address, sizeof(s->address), "%s", address);
	s->status = LOOKUP_OK;
	s->authoritative = true;
	s->serial = 2026010101;
	s->soa_sig_expiration = NOW + 30 * DAY;
	s->dnskey_sig_expiration = NOW + 30 * DAY;
}

static void healthy_zone(struct domain_facts *f)
{
	struct zone_facts *z = &f->zone;

	f->zone_checked = true;
	snprintf(z->apex, sizeof(z->apex), "d.example.");
	rr_secure(&z->soa);
	rr_secure(&z->dnskey);
	rr_secure(&z->ds);
	rr_secure(&z->ns);
	z->n_servers = 2;
	healthy_server(&z->servers[0], "ns1.d.example.", "192.0.2.1");
	healthy_server(&z->servers[1], "ns2.d.example.", "192.0.2.2");
	z->ds_recs[0] = (struct ds_facts){11111, 13, 2, 0};
	z->n_ds = 1;
	set_all_keys(f, 13, 13);
}

/* The leaf's names from "dns=a srv=_xmpp-client.a xmpp=a cn=a", replacing the old ones. */
static void set_names(struct cert_info *c, const char *spec)
{
	const char *s = spec;

	cert_info_release(c);
	while (*s != '\0') {
		size_t len = strcspn(s, " ");
		const char *eq = memchr(s, '=', len);
		size_t klen, vlen;

		assert_non_null(eq);
		klen = (size_t)(eq - s);
		vlen = len - klen - 1;
		if (klen == 3 && strncmp(s, "dns", 3) == 0) {
			assert_int_equal(strlist_add(&c->ids.dns_ids, eq + 1, vlen), 0);
		} else if (klen == 3 && strncmp(s, "srv", 3) == 0) {
			assert_int_equal(strlist_add(&c->ids.srv_ids, eq + 1, vlen), 0);
		} else if (klen == 4 && strncmp(s, "xmpp", 4) == 0) {
			assert_int_equal(strlist_add(&c->ids.xmpp_addrs, eq + 1, vlen), 0);
		} else if (klen == 2 && strncmp(s, "cn", 2) == 0) {
			free(c->cn);
			c->cn = strndup(eq + 1, vlen);
			assert_non_null(c->cn);
		} else {
			fail_msg("bad name spec '%s'", spec);
		}
		s += len;
		while (*s == ' ') {
			s++;
		}
	}
}

/*
 * A fresh leaf: an EC key, valid from 30 days ago for 60 days more, naming
 * HEALTHY_NAMES; its SHA-256 is id repeated, its SPKI SHA-256 id + 10.
 */
static void set_leaf(struct probe_facts *p, uint8_t id)
{
	struct cert_info *c = &p->leaf;

	if (p->has_leaf) {
		cert_info_release(c);
	}
	memset(c, 0, sizeof(*c));
	p->has_leaf = true;
	set_names(c, HEALTHY_NAMES);
	c->not_before = NOW - 30 * DAY;
	c->not_after = NOW + 60 * DAY;
	snprintf(c->key_type, sizeof(c->key_type), "EC");
	snprintf(c->key_curve, sizeof(c->key_curve), "P-256");
	c->key_bits = 256;
	memset(c->sha256, id, sizeof(c->sha256));
	memset(c->spki_sha256, (uint8_t)(id + 10), sizeof(c->spki_sha256));
	p->chain_len = 1;
	memcpy(p->chain_sha256[0], c->sha256, CERT_SHA256_LEN);
}

/* Probe i of endpoint e at address: TLS 1.3, the healthy leaf, its 3 1 1 (record 0) matching. */
static void healthy_probe(struct domain_facts *f, size_t i, size_t e, const char *address)
{
	struct probe_facts *p = &f->probes[i];

	assert_false(p->has_leaf);
	memset(p, 0, sizeof(*p));
	p->endpoint = e;
	snprintf(p->address, sizeof(p->address), "%s", address);
	p->status = PROBE_OK;
	p->tls_version = 0x0304;
	snprintf(p->tls_version_name, sizeof(p->tls_version_name), "TLSv1.3");
	snprintf(p->cipher, sizeof(p->cipher), "TLS_AES_128_GCM_SHA256");
	set_leaf(p, 0xa1);
	p->dane = DANE_MATCH;
	p->dane_depth = 0;
	p->dane_record = 0;
	p->tlsa_match[0] = 1;
	p->pkix_ok = true;
	if (f->n_probes <= i) {
		f->n_probes = i + 1;
	}
}

/*
 * A probe that ended before TLS, or a NOT_DONE one: no leaf, no verdicts.
 * The TLS fields are left as they were, for rows that say they are ignored.
 */
static void probe_fail(struct probe_facts *p, enum probe_status status, const char *detail)
{
	if (p->has_leaf) {
		cert_info_release(&p->leaf);
		p->has_leaf = false;
	}
	p->status = status;
	snprintf(p->detail, sizeof(p->detail), "%s", detail);
	p->tls_version = 0;
	p->tls_version_name[0] = '\0';
	p->chain_len = 0;
	p->dane = DANE_NOT_APPLICABLE;
	p->dane_depth = -1;
	p->dane_record = -1;
	memset(p->tlsa_match, 0, sizeof(p->tlsa_match));
	p->pkix_ok = false;
}

/* A DANE verdict with the given record matching on its own (-1: none). */
static void probe_dane(struct probe_facts *p, enum dane_verdict v, int record)
{
	p->dane = v;
	p->dane_record = v == DANE_MATCH ? record : -1;
	p->dane_depth = v == DANE_MATCH ? 0 : -1;
	memset(p->tlsa_match, 0, sizeof(p->tlsa_match));
	if (record >= 0) {
		p->tlsa_match[record] = 1;
	}
}

/*
 * d.example.: four services, each one SRV to xmpp.d.example. on its own
 * port, A and AAAA secure, one 3 1 1 TLSA per endpoint, a signed zone with
 * a matching DS and two consistent servers, signatures valid for 30 days;
 * one probe per endpoint and address (P(s, k)), all presenting the same leaf
 * that names d.example. and matches its 3 1 1, trusted by PKIX.
 */
static struct domain_facts *healthy(void)
{
	struct domain_facts *f = calloc(1, sizeof(*f));
	struct target_facts *t;
	size_t s;

	assert_non_null(f);
	snprintf(f->domain, sizeof(f->domain), "d.example.");
	f->checked_at = NOW;
	for (s = 0; s < SERVICE_COUNT; s++) {
		struct service_facts *svc = &f->services[s];
		struct endpoint_facts *e = &f->endpoints[s];

		svc->enabled = true;
		rr_secure(&svc->rr);
		svc->n_srv = 1;
		svc->srv[0] = (struct srv_facts){0, 5, ports[s], "xmpp.d.example."};
		e->service = (enum xmpp_service)s;
		e->target = 0;
		e->port = ports[s];
		e->dane_applies = true;
		snprintf(e->tlsa_owner, sizeof(e->tlsa_owner), "_%u._tcp.xmpp.d.example.",
			 ports[s]);
		rr_secure(&e->tlsa);
		set_tlsa(e, 0, 3, 1, 1, 32);
	}
	f->n_endpoints = SERVICE_COUNT;
	t = &f->targets[0];
	f->n_targets = 1;
	snprintf(t->name, sizeof(t->name), "xmpp.d.example.");
	rr_secure(&t->a);
	rr_secure(&t->aaaa);
	t->n_a = 1;
	snprintf(t->a_addrs[0], sizeof(t->a_addrs[0]), A4);
	t->n_aaaa = 1;
	snprintf(t->aaaa_addrs[0], sizeof(t->aaaa_addrs[0]), A6);
	healthy_zone(f);
	f->probed = true;
	for (s = 0; s < SERVICE_COUNT; s++) {
		healthy_probe(f, P(s, 0), s, A4);
		healthy_probe(f, P(s, 1), s, A6);
	}
	return f;
}

/* Rows */

struct want {
	enum finding_code code;
	enum severity sev; /* SEVERITY_OK ends the list */
	const char *service;
	const char *target; /* NULL: the subject is not checked */
	uint16_t port;
	const char *address;
	const char *text; /* a part of the message, or NULL */
};

struct row {
	const char *name;
	void (*mutate)(struct domain_facts *f, struct judge_opts *o);
	int slots_lost;	   /* of the HEALTHY_SLOTS infos */
	const char *never; /* text no message may hold, or NULL */
	struct want want[8];
};

/* A row's change to the healthy facts (and options); not every one needs both. */
#define MUTATION(name)                                                   \
	static void name(struct domain_facts *f __attribute__((unused)), \
			 struct judge_opts *o __attribute__((unused)))

#define ZONE(code, sev, text)                                                 \
	{                                                                     \
		FINDING_##code, SEVERITY_##sev, "", "d.example.", 0, "", text \
	}
#define SRV(code, sev, s, text)                                                                    \
	{                                                                                          \
		FINDING_##code, SEVERITY_##sev, facts_service_name_(s), srv_owner_(s), 0, "", text \
	}
#define HOST(code, sev, text)                                                      \
	{                                                                          \
		FINDING_##code, SEVERITY_##sev, "", "xmpp.d.example.", 0, "", text \
	}
#define ENDPOINT(code, sev, s, text)                                                       \
	{                                                                                  \
		FINDING_##code, SEVERITY_##sev, facts_service_name_(s), "xmpp.d.example.", \
			ports_(s), "", text                                                \
	}
#define SERVER(code, sev, i, text)                                                                \
	{                                                                                         \
		FINDING_##code, SEVERITY_##sev, "", "ns" #i ".d.example.", 0, "192.0.2." #i, text \
	}
#define NONE      \
	{         \
		0 \
	}
#define ROW(name, fn, lost, never, ...) \
	{                               \
		name, fn, lost, never,  \
		{                       \
			__VA_ARGS__     \
		}                       \
	}
#define ANY(code, sev, text)                                              \
	{                                                                 \
		FINDING_##code, SEVERITY_##sev, NULL, NULL, 0, NULL, text \
	}
/* A finding about one probe: service s at address a of xmpp.d.example. */
#define PROBE(code, sev, s, a, text)                                                       \
	{                                                                                  \
		FINDING_##code, SEVERITY_##sev, facts_service_name_(s), "xmpp.d.example.", \
			ports_(s), a, text                                                 \
	}
/* A finding about a whole service (ENDPOINTS_DIFFER). */
#define SERVICE(code, sev, s, text)                                                     \
	{                                                                               \
		FINDING_##code, SEVERITY_##sev, facts_service_name_(s), "", 0, "", text \
	}

/* Constant forms of the subjects, for the row table. */
#define facts_service_name_(s)       \
	((s) == 0   ? "xmpp-client"  \
	 : (s) == 1 ? "xmpp-server"  \
	 : (s) == 2 ? "xmpps-client" \
		    : "xmpps-server")
#define srv_owner_(s)                                 \
	((s) == 0   ? "_xmpp-client._tcp.d.example."  \
	 : (s) == 1 ? "_xmpp-server._tcp.d.example."  \
	 : (s) == 2 ? "_xmpps-client._tcp.d.example." \
		    : "_xmpps-server._tcp.d.example.")
#define ports_(s) ((s) == 0 ? 5222 : (s) == 1 ? 5269 : (s) == 2 ? 5223 : 5270)

MUTATION(nothing)
{
}

MUTATION(nsec3_zero)
{
	f->zone.servers[0].has_nsec3param = true;
	f->zone.servers[1].has_nsec3param = true;
}

MUTATION(nsec3_zero_salted)
{
	nsec3_zero(f, o);
	f->zone.servers[0].nsec3_salt_len = 8;
	f->zone.servers[1].nsec3_salt_len = 8;
}

MUTATION(all_truncated)
{
	size_t s;

	for (s = 0; s < SERVICE_COUNT; s++) {
		f->services[s].rr.truncated = true;
		f->endpoints[s].tlsa.truncated = true;
	}
	f->targets[0].a.truncated = true;
	f->targets_truncated = true;
	f->endpoints_truncated = true;
	f->zone.servers_truncated = true;
	f->zone.ds.truncated = true;
	f->zone.ns.truncated = true;
}

MUTATION(service_decidedly_absent)
{
	f->services[1].n_srv = 1;
	snprintf(f->services[1].srv[0].target, FACTS_NAME_MAX, ".");
	f->services[1].absent = true;
}

MUTATION(disabled_service_bogus)
{
	f->services[0].enabled = false;
	rr_bogus(&f->services[0].rr, "signature expired");
}

/* Rule 1 */

MUTATION(srv_bogus)
{
	rr_bogus(&f->services[0].rr, "signature expired");
}

MUTATION(srv_bogus_denial)
{
	rr_deny(&f->services[0].rr, LOOKUP_NXDOMAIN, DNSSEC_BOGUS);
	f->services[0].n_srv = 0;
}

MUTATION(srv_bogus_servfail)
{
	rr_fail(&f->services[0].rr, LOOKUP_SERVFAIL, 2);
	rr_bogus(&f->services[0].rr, "no signatures");
}

MUTATION(srv_bogus_no_why)
{
	f->services[2].rr.state = DNSSEC_BOGUS;
}

MUTATION(a_bogus)
{
	rr_bogus(&f->targets[0].a, "signature crypto failed");
}

MUTATION(aaaa_bogus_denial)
{
	rr_deny(&f->targets[0].aaaa, LOOKUP_NODATA, DNSSEC_BOGUS);
}

MUTATION(addresses_bogus_denial)
{
	rr_deny(&f->targets[0].a, LOOKUP_NODATA, DNSSEC_BOGUS);
	rr_deny(&f->targets[0].aaaa, LOOKUP_NODATA, DNSSEC_BOGUS);
}

MUTATION(tlsa_bogus)
{
	rr_bogus(&f->endpoints[0].tlsa, "signature expired");
}

MUTATION(tlsa_bogus_denial)
{
	rr_deny(&f->endpoints[0].tlsa, LOOKUP_NODATA, DNSSEC_BOGUS);
	clear_tlsa(&f->endpoints[0]);
}

MUTATION(soa_bogus)
{
	rr_bogus(&f->zone.soa, "DS does not match");
}

MUTATION(dnskey_bogus)
{
	rr_bogus(&f->zone.dnskey, "no keys match the DS");
}

MUTATION(ds_bogus)
{
	rr_bogus(&f->zone.ds, "parent signature expired");
}

MUTATION(ns_bogus)
{
	rr_bogus(&f->zone.ns, "signature expired");
}

/* Rule 2 */

MUTATION(srv_servfail)
{
	rr_fail(&f->services[0].rr, LOOKUP_SERVFAIL, 2);
}

MUTATION(srv_timeout)
{
	rr_fail(&f->services[1].rr, LOOKUP_TIMEOUT, 0);
}

MUTATION(srv_refused)
{
	rr_fail(&f->services[2].rr, LOOKUP_REFUSED, 5);
}

MUTATION(a_error)
{
	rr_fail(&f->targets[0].a, LOOKUP_ERROR, 4);
}

MUTATION(aaaa_timeout)
{
	rr_fail(&f->targets[0].aaaa, LOOKUP_TIMEOUT, 0);
}

MUTATION(tlsa_servfail)
{
	rr_fail(&f->endpoints[3].tlsa, LOOKUP_SERVFAIL, 2);
}

MUTATION(soa_servfail)
{
	rr_fail(&f->zone.soa, LOOKUP_SERVFAIL, 2);
}

MUTATION(dnskey_timeout)
{
	rr_fail(&f->zone.dnskey, LOOKUP_TIMEOUT, 0);
}

MUTATION(ds_refused)
{
	rr_fail(&f->zone.ds, LOOKUP_REFUSED, 5);
}

MUTATION(ns_error)
{
	rr_fail(&f->zone.ns, LOOKUP_ERROR, 9);
}

MUTATION(srv_servfail_overridden)
{
	o->severity[FINDING_DNS_LOOKUP_FAILED] = SEVERITY_INFO;
	srv_servfail(f, o);
}

MUTATION(soa_servfail_overridden)
{
	o->severity[FINDING_DNS_LOOKUP_FAILED] = SEVERITY_CRITICAL;
	soa_servfail(f, o);
}

/* Rule 3 */

MUTATION(zone_unsigned)
{
	size_t i;

	f->zone.soa.state = DNSSEC_INSECURE;
	rr_deny(&f->zone.dnskey, LOOKUP_NODATA, DNSSEC_INSECURE);
	f->zone.n_dnskey = 0;
	rr_deny(&f->zone.ds, LOOKUP_NODATA, DNSSEC_SECURE);
	f->zone.n_ds = 0;
	for (i = 0; i < f->zone.n_servers; i++) {
		f->zone.servers[i].n_dnskey = 0;
	}
}

MUTATION(zone_island)
{
	f->zone.soa.state = DNSSEC_INSECURE;
	rr_deny(&f->zone.ds, LOOKUP_NODATA, DNSSEC_SECURE);
	f->zone.n_ds = 0;
}

MUTATION(zone_ed448)
{
	f->zone.soa.state = DNSSEC_INSECURE;
	set_all_keys(f, 16, 16);
}

MUTATION(zone_ed448_keys_at_servers_only)
{
	zone_ed448(f, o);
	rr_deny(&f->zone.dnskey, LOOKUP_NODATA, DNSSEC_INSECURE);
	f->zone.n_dnskey = 0;
}

MUTATION(zone_gost)
{
	f->zone.soa.state = DNSSEC_INSECURE;
	set_all_keys(f, 12, 12);
}

MUTATION(zone_ed448_and_ecdsa)
{
	f->zone.soa.state = DNSSEC_INSECURE;
	set_all_keys(f, 16, 13);
}

MUTATION(zone_ed448_island)
{
	zone_ed448(f, o);
	rr_deny(&f->zone.ds, LOOKUP_NXDOMAIN, DNSSEC_SECURE);
	f->zone.n_ds = 0;
}

MUTATION(zone_parent_insecure)
{
	f->zone.soa.state = DNSSEC_INSECURE;
	f->zone.ds.state = DNSSEC_INSECURE;
}

MUTATION(zone_insecure_signed)
{
	f->zone.soa.state = DNSSEC_INSECURE;
}

MUTATION(zone_unsupported_custom)
{
	f->zone.soa.state = DNSSEC_INSECURE;
	o->unsupported_algorithms[0] = 13;
	o->n_unsupported_algorithms = 1;
}

MUTATION(zone_ed448_nothing_unsupported)
{
	zone_ed448(f, o);
	o->n_unsupported_algorithms = 0;
}

MUTATION(zone_insecure_not_checked)
{
	f->zone_checked = false;
	f->zone.soa.state = DNSSEC_INSECURE;
}

/* Rule 4 */

MUTATION(ds_mismatch)
{
	f->zone.ds_recs[0] = (struct ds_facts){33333, 13, 2, -1};
}

MUTATION(ds_mismatch_no_sep)
{
	ds_mismatch(f, o);
	f->zone.dnskeys[0].flags = 256;
}

MUTATION(ds_mismatch_revoked_ksk)
{
	ds_mismatch(f, o);
	f->zone.dnskeys[0].flags = 257 | 0x80;
}

MUTATION(ds_second_unmatched)
{
	f->zone.ds_recs[1] = (struct ds_facts){44444, 13, 2, -1};
	f->zone.n_ds = 2;
}

MUTATION(ds_mismatch_without_keys)
{
	f->zone.ds_recs[0].key_index = -1;
	f->zone.n_dnskey = 0;
}

MUTATION(ds_sha1)
{
	f->zone.ds_recs[0].digest_type = 1;
}

MUTATION(ds_sha1_and_sha256)
{
	f->zone.ds_recs[1] = (struct ds_facts){11111, 13, 1, 0};
	f->zone.n_ds = 2;
}

MUTATION(ds_sha384)
{
	f->zone.ds_recs[0].digest_type = 4;
}

/* Rule 5 */

MUTATION(alg_rsasha1)
{
	set_all_keys(f, 5, 5);
}

MUTATION(alg_two_weak)
{
	set_all_keys(f, 7, 10);
}

MUTATION(alg_weak_at_servers_only)
{
	set_all_keys(f, 5, 5);
	f->zone.n_dnskey = 0;
}

MUTATION(alg_rsasha256)
{
	set_all_keys(f, 8, 8);
}

/* Rule 6 */

MUTATION(soa_sig_at_margin)
{
	f->zone.soa.sig_expiration = NOW + JUDGE_RRSIG_MARGIN_S;
}

MUTATION(soa_sig_inside_margin)
{
	f->zone.soa.sig_expiration = NOW + JUDGE_RRSIG_MARGIN_S - 1;
}

MUTATION(soa_sig_1d4h)
{
	f->zone.soa.sig_expiration = NOW + DAY + 4 * 3600;
}

MUTATION(soa_sig_expires_now)
{
	f->zone.soa.sig_expiration = NOW;
}

MUTATION(soa_sig_expired_2h)
{
	f->zone.soa.sig_expiration = NOW - 2 * 3600;
}

MUTATION(soa_sig_none)
{
	f->zone.soa.sig_expiration = 0;
}

MUTATION(srv_sigs_expiring)
{
	size_t s;

	for (s = 0; s < SERVICE_COUNT; s++) {
		f->services[s].rr.sig_expiration = NOW + DAY + (int64_t)(3 - s) * 3600;
	}
}

MUTATION(srv_insecure_sig_expiring)
{
	f->services[0].rr.state = DNSSEC_INSECURE;
	f->services[0].rr.sig_expiration = NOW + 3600;
}

MUTATION(server_soa_sig_expiring)
{
	f->zone.servers[1].soa_sig_expiration = NOW + 3600;
}

MUTATION(server_dnskey_sig_expired)
{
	f->zone.servers[0].dnskey_sig_expiration = NOW - 60;
}

MUTATION(unreachable_server_sig_ignored)
{
	f->zone.servers[1].status = LOOKUP_TIMEOUT;
	f->zone.servers[1].soa_sig_expiration = NOW + 3600;
}

MUTATION(tlsa_sig_expiring)
{
	f->endpoints[3].tlsa.sig_expiration = NOW + 3600;
}

MUTATION(address_sigs_expiring)
{
	f->targets[0].a.sig_expiration = NOW + 3600;
	f->targets[0].aaaa.sig_expiration = NOW + 7200;
}

MUTATION(everything_expiring)
{
	size_t i;

	for (i = 0; i < SERVICE_COUNT; i++) {
		f->services[i].rr.sig_expiration = NOW + DAY;
		f->endpoints[i].tlsa.sig_expiration = NOW + DAY;
	}
	f->targets[0].a.sig_expiration = NOW + DAY;
	f->targets[0].aaaa.sig_expiration = NOW + DAY;
	f->zone.soa.sig_expiration = NOW + DAY;
	f->zone.dnskey.sig_expiration = NOW + DAY;
	f->zone.ds.sig_expiration = NOW + DAY; /* the parent's signature: not the zone's */
	f->zone.ns.sig_expiration = NOW + DAY;
	for (i = 0; i < f->zone.n_servers; i++) {
		f->zone.servers[i].soa_sig_expiration = NOW + DAY;
		f->zone.servers[i].dnskey_sig_expiration = NOW + DAY;
	}
}

MUTATION(wide_margin)
{
	o->rrsig_margin_s = 31 * DAY;
}

MUTATION(rrsig_overridden_up)
{
	o->severity[FINDING_RRSIG_EXPIRING] = SEVERITY_CRITICAL;
	soa_sig_inside_margin(f, o);
}

MUTATION(rrsig_overridden_down)
{
	o->severity[FINDING_RRSIG_EXPIRING] = SEVERITY_INFO;
	soa_sig_expired_2h(f, o);
}

/* Rule 7 */

static void set_iterations(struct domain_facts *f, uint16_t iterations)
{
	size_t i;

	for (i = 0; i < f->zone.n_servers; i++) {
		f->zone.servers[i].has_nsec3param = true;
		f->zone.servers[i].nsec3_iterations = iterations;
	}
}

MUTATION(nsec3_1)
{
	set_iterations(f, 1);
}

MUTATION(nsec3_150)
{
	set_iterations(f, 150);
}

MUTATION(nsec3_151)
{
	set_iterations(f, 151);
}

MUTATION(nsec3_salted)
{
	set_iterations(f, 10);
	f->zone.servers[0].nsec3_salt_len = 8;
	f->zone.servers[1].nsec3_salt_len = 8;
}

MUTATION(nsec3_one_server)
{
	f->zone.servers[0].has_nsec3param = true;
	f->zone.servers[0].nsec3_iterations = 5;
}

MUTATION(nsec3_custom_limit)
{
	o->nsec3_insecure_iterations = 50;
	set_iterations(f, 51);
}

MUTATION(nsec3_lame_server)
{
	f->zone.servers[1].authoritative = false;
	f->zone.servers[1].has_nsec3param = true;
	f->zone.servers[1].nsec3_iterations = 200;
}

MUTATION(nsec3_overridden)
{
	o->severity[FINDING_NSEC3_ITERATIONS] = SEVERITY_INFO;
	set_iterations(f, 151);
}

/* Rule 8 */

MUTATION(server_timeout)
{
	f->zone.servers[1].status = LOOKUP_TIMEOUT;
}

MUTATION(server_refused)
{
	f->zone.servers[1].status = LOOKUP_REFUSED;
}

MUTATION(server_servfail)
{
	f->zone.servers[0].status = LOOKUP_SERVFAIL;
}

MUTATION(server_error)
{
	f->zone.servers[0].status = LOOKUP_ERROR;
}

MUTATION(server_lame)
{
	f->zone.servers[1].authoritative = false;
}

MUTATION(server_nxdomain)
{
	f->zone.servers[1].status = LOOKUP_NXDOMAIN;
}

MUTATION(server_not_asked)
{
	f->zone.servers[1].status = LOOKUP_NOT_DONE;
	f->zone.servers[1].serial = 1;
}

MUTATION(serial_differs)
{
	f->zone.servers[1].serial = 2026010102;
}

MUTATION(dnskey_set_differs)
{
	f->zone.servers[1].n_dnskey = 1;
}

MUTATION(dnskey_flags_differ)
{
	f->zone.servers[1].dnskeys[0].flags = 257 | 0x80;
}

MUTATION(serial_and_dnskeys_differ)
{
	serial_differs(f, o);
	dnskey_set_differs(f, o);
}

MUTATION(dnskey_order_differs)
{
	struct dnskey_facts k = f->zone.servers[1].dnskeys[0];

	f->zone.servers[1].dnskeys[0] = f->zone.servers[1].dnskeys[1];
	f->zone.servers[1].dnskeys[1] = k;
}

MUTATION(lame_server_other_serial)
{
	server_lame(f, o);
	serial_differs(f, o);
}

MUTATION(unreachable_server_other_keys)
{
	server_timeout(f, o);
	dnskey_set_differs(f, o);
}

MUTATION(third_server_behind)
{
	healthy_server(&f->zone.servers[2], "ns3.d.example.", "192.0.2.3");
	memcpy(f->zone.servers[2].dnskeys, f->zone.dnskeys, sizeof(f->zone.dnskeys));
	f->zone.servers[2].n_dnskey = 2;
	f->zone.servers[2].serial = 2026010100;
	f->zone.n_servers = 3;
}

/* Rule 9 */

static void srv_missing(struct domain_facts *f, size_t s, enum lookup_status status)
{
	rr_deny(&f->services[s].rr, status, DNSSEC_SECURE);
	f->services[s].n_srv = 0;
	f->services[s].fallback = facts_service_default_port((enum xmpp_service)s) != 0;
}

MUTATION(srv_nxdomain_client)
{
	srv_missing(f, 0, LOOKUP_NXDOMAIN);
}

MUTATION(srv_nodata_server)
{
	srv_missing(f, 1, LOOKUP_NODATA);
}

MUTATION(srv_nodata_xmpps_client)
{
	srv_missing(f, 2, LOOKUP_NODATA);
}

MUTATION(srv_nxdomain_xmpps_server)
{
	srv_missing(f, 3, LOOKUP_NXDOMAIN);
}

MUTATION(srv_missing_insecure_denial)
{
	srv_missing(f, 0, LOOKUP_NXDOMAIN);
	f->services[0].rr.state = DNSSEC_INSECURE;
}

MUTATION(srv_insecure)
{
	f->services[1].rr.state = DNSSEC_INSECURE;
}

MUTATION(srv_insecure_disabled)
{
	f->services[1].enabled = false;
	f->services[1].rr.state = DNSSEC_INSECURE;
}

MUTATION(srv_absent_insecure)
{
	service_decidedly_absent(f, o);
	f->services[1].rr.state = DNSSEC_INSECURE;
}

MUTATION(srv_insecure_zone_bogus)
{
	soa_bogus(f, o);
	srv_insecure(f, o);
}

/* Rule 10 */

MUTATION(target_cname_a)
{
	snprintf(f->targets[0].a.cname, FACTS_NAME_MAX, "real.d.example.");
}

MUTATION(target_cname_aaaa)
{
	snprintf(f->targets[0].aaaa.cname, FACTS_NAME_MAX, "real.d.example.");
}

MUTATION(target_no_addresses)
{
	rr_deny(&f->targets[0].a, LOOKUP_NODATA, DNSSEC_SECURE);
	rr_deny(&f->targets[0].aaaa, LOOKUP_NODATA, DNSSEC_SECURE);
	f->targets[0].n_a = 0;
	f->targets[0].n_aaaa = 0;
}

MUTATION(target_nxdomain)
{
	rr_deny(&f->targets[0].a, LOOKUP_NXDOMAIN, DNSSEC_SECURE);
	rr_deny(&f->targets[0].aaaa, LOOKUP_NXDOMAIN, DNSSEC_SECURE);
}

MUTATION(target_no_a)
{
	rr_deny(&f->targets[0].a, LOOKUP_NODATA, DNSSEC_SECURE);
}

MUTATION(target_no_a_aaaa_failed)
{
	rr_deny(&f->targets[0].a, LOOKUP_NODATA, DNSSEC_SECURE);
	rr_fail(&f->targets[0].aaaa, LOOKUP_SERVFAIL, 2);
}

MUTATION(a_insecure)
{
	f->targets[0].a.state = DNSSEC_INSECURE;
}

MUTATION(aaaa_insecure)
{
	f->targets[0].aaaa.state = DNSSEC_INSECURE;
}

MUTATION(addresses_insecure)
{
	a_insecure(f, o);
	aaaa_insecure(f, o);
}

MUTATION(a_insecure_srvs_insecure)
{
	size_t s;

	a_insecure(f, o);
	for (s = 0; s < SERVICE_COUNT; s++) {
		f->services[s].rr.state = DNSSEC_INSECURE;
	}
}

MUTATION(a_insecure_one_srv_secure)
{
	a_insecure_srvs_insecure(f, o);
	f->services[3].rr.state = DNSSEC_SECURE;
}

/* The fallback host (no SRV) is the domain itself; it is no SRV target. */
MUTATION(fallback_host_without_addresses)
{
	struct target_facts *t = &f->targets[1];

	srv_missing(f, 0, LOOKUP_NXDOMAIN);
	snprintf(t->name, sizeof(t->name), "d.example.");
	rr_deny(&t->a, LOOKUP_NODATA, DNSSEC_SECURE);
	rr_deny(&t->aaaa, LOOKUP_NODATA, DNSSEC_SECURE);
	f->n_targets = 2;
	f->endpoints[0].target = 1;
	f->endpoints[0].dane_applies = false;
	rr_fail(&f->endpoints[0].tlsa, LOOKUP_NOT_DONE, 0);
}

MUTATION(unused_target_bogus)
{
	struct target_facts *t = &f->targets[1];

	snprintf(t->name, sizeof(t->name), "old.d.example.");
	rr_secure(&t->a);
	rr_bogus(&t->a, "signature expired");
	rr_fail(&t->aaaa, LOOKUP_SERVFAIL, 2);
	f->n_targets = 2;
}

MUTATION(target_named_with_other_case)
{
	snprintf(f->services[0].srv[0].target, FACTS_NAME_MAX, "XMPP.D.Example.");
	target_no_addresses(f, o);
}

/* Rule 11 */

MUTATION(tlsa_nodata)
{
	rr_deny(&f->endpoints[0].tlsa, LOOKUP_NODATA, DNSSEC_SECURE);
	clear_tlsa(&f->endpoints[0]);
}

MUTATION(tlsa_nxdomain)
{
	rr_deny(&f->endpoints[1].tlsa, LOOKUP_NXDOMAIN, DNSSEC_SECURE);
	clear_tlsa(&f->endpoints[1]);
}

MUTATION(tlsa_insecure)
{
	f->endpoints[2].tlsa.state = DNSSEC_INSECURE;
}

MUTATION(dane_not_applicable)
{
	f->endpoints[0].dane_applies = false;
	rr_fail(&f->endpoints[0].tlsa, LOOKUP_NOT_DONE, 0);
}

MUTATION(tlsa_usage_4)
{
	set_tlsa(&f->endpoints[0], 0, 4, 1, 1, 32);
}

MUTATION(tlsa_usage_255)
{
	set_tlsa(&f->endpoints[0], 0, 255, 1, 1, 32);
}

MUTATION(tlsa_selector_2)
{
	set_tlsa(&f->endpoints[0], 0, 3, 2, 1, 32);
}

MUTATION(tlsa_mtype_3)
{
	set_tlsa(&f->endpoints[0], 0, 3, 1, 3, 32);
}

MUTATION(tlsa_sha256_short)
{
	set_tlsa(&f->endpoints[0], 0, 3, 1, 1, 31);
}

MUTATION(tlsa_sha512_short)
{
	set_tlsa(&f->endpoints[0], 0, 3, 1, 2, 32);
}

MUTATION(tlsa_sha512)
{
	set_tlsa(&f->endpoints[0], 0, 3, 1, 2, 64);
}

MUTATION(tlsa_empty)
{
	set_tlsa(&f->endpoints[0], 0, 3, 1, 0, 0);
}

MUTATION(tlsa_full_spki)
{
	set_tlsa(&f->endpoints[0], 0, 3, 1, 0, 91);
}

MUTATION(tlsa_two_usable)
{
	set_tlsa(&f->endpoints[0], 1, 3, 1, 1, 32);
}

MUTATION(tlsa_one_usable_one_bad)
{
	set_tlsa(&f->endpoints[0], 1, 3, 1, 1, 20);
}

MUTATION(tlsa_insecure_bad)
{
	tlsa_insecure(f, o);
	set_tlsa(&f->endpoints[2], 0, 9, 1, 1, 32);
}

MUTATION(slot_overridden)
{
	o->severity[FINDING_TLSA_NO_ROLLOVER_SLOT] = SEVERITY_WARNING;
}

/* Endpoints, rule 1: how far a probe got */

MUTATION(connect_refused)
{
	probe_fail(&f->probes[P(0, 0)], PROBE_CONNECT_FAILED, "connection refused");
}

MUTATION(stream_failed)
{
	probe_fail(&f->probes[P(1, 1)], PROBE_STREAM_FAILED, "no stream features within 10s");
}

MUTATION(starttls_failed)
{
	probe_fail(&f->probes[P(0, 1)], PROBE_STARTTLS_FAILED, "<failure/>");
}

MUTATION(tls_failed)
{
	probe_fail(&f->probes[P(2, 0)], PROBE_TLS_FAILED, "alert handshake failure");
}

MUTATION(connect_failed_no_detail)
{
	probe_fail(&f->probes[P(3, 1)], PROBE_CONNECT_FAILED, "");
}

/* Direct TLS to an HTTPS server: TLS came up, so its leaf is judged too. */
MUTATION(direct_tls_stream_failed)
{
	struct probe_facts *p = &f->probes[P(2, 0)];

	p->status = PROBE_STREAM_FAILED;
	snprintf(p->detail, sizeof(p->detail), "HTTP/1.1 400 Bad Request");
	p->leaf.not_after = NOW - DAY;
}

/* Endpoints, rule 2: TLS versions */

MUTATION(tls_1_1)
{
	f->probes[P(0, 0)].tls_version = 0x0302;
	snprintf(f->probes[P(0, 0)].tls_version_name, 16, "TLSv1.1");
}

MUTATION(tls_1_0_unnamed)
{
	f->probes[P(1, 0)].tls_version = 0x0301;
	f->probes[P(1, 0)].tls_version_name[0] = '\0';
}

MUTATION(tls_1_2)
{
	f->probes[P(0, 0)].tls_version = 0x0303;
	snprintf(f->probes[P(0, 0)].tls_version_name, 16, "TLSv1.2");
}

/* Endpoints, rule 3: DANE */

MUTATION(dane_mismatch)
{
	probe_dane(&f->probes[P(0, 0)], DANE_MISMATCH, -1);
}

/* 3 1 1 matches, 3 1 2 (stronger, same usage and selector) does not: OpenSSL fails. */
MUTATION(agility_trap)
{
	set_tlsa(&f->endpoints[0], 1, 3, 1, 2, 64);
	probe_dane(&f->probes[P(0, 0)], DANE_MISMATCH, 0);
	probe_dane(&f->probes[P(0, 1)], DANE_MISMATCH, 0);
}

MUTATION(agility_records_nothing_matches)
{
	set_tlsa(&f->endpoints[0], 1, 3, 1, 2, 64);
	probe_dane(&f->probes[P(0, 0)], DANE_MISMATCH, -1);
	probe_dane(&f->probes[P(0, 1)], DANE_MISMATCH, -1);
}

/* A stronger record of another usage skips nothing: a DANE-TA match failed for other reasons. */
MUTATION(agility_other_usage)
{
	set_tlsa(&f->endpoints[0], 0, 2, 1, 1, 32);
	set_tlsa(&f->endpoints[0], 1, 3, 1, 2, 64);
	probe_dane(&f->probes[P(0, 0)], DANE_MISMATCH, 0);
	probe_dane(&f->probes[P(0, 1)], DANE_MATCH, 0);
}

/* A malformed 3 1 2 is never added by OpenSSL, so it skips nothing. */
MUTATION(agility_unusable_stronger)
{
	set_tlsa(&f->endpoints[0], 1, 3, 1, 2, 20);
	probe_dane(&f->probes[P(0, 0)], DANE_MISMATCH, 0);
}

MUTATION(dane_none)
{
	set_tlsa(&f->endpoints[0], 0, 3, 1, 3, 32);
	probe_dane(&f->probes[P(0, 0)], DANE_NONE, -1);
	probe_dane(&f->probes[P(0, 1)], DANE_NONE, -1);
}

MUTATION(fragile)
{
	set_tlsa(&f->endpoints[0], 0, 3, 0, 1, 32);
}

/* DANE-TA pinning the CA's whole certificate survives leaf renewals: not fragile. */
MUTATION(dane_ta_full_certificate)
{
	set_tlsa(&f->endpoints[0], 0, 2, 0, 1, 32);
}

MUTATION(fragile_with_spki_record)
{
	set_tlsa(&f->endpoints[0], 0, 3, 0, 1, 32);
	set_tlsa(&f->endpoints[0], 1, 3, 1, 1, 32);
	f->probes[P(0, 0)].tlsa_match[1] = 1;
	f->probes[P(0, 1)].tlsa_match[1] = 1;
}

/* Endpoints, rule 4: dates */

MUTATION(cert_expired)
{
	f->probes[P(0, 0)].leaf.not_after = NOW - 3 * DAY;
}

MUTATION(cert_expired_now)
{
	f->probes[P(0, 0)].leaf.not_after = NOW;
}

MUTATION(cert_expired_no_dane)
{
	cert_expired(f, o);
	probe_dane(&f->probes[P(0, 0)], DANE_NOT_APPLICABLE, -1);
}

MUTATION(cert_not_yet_valid)
{
	f->probes[P(1, 1)].leaf.not_before = NOW + 2 * DAY;
}

MUTATION(cert_expiring_9d4h)
{
	f->probes[P(0, 0)].leaf.not_after = NOW + 9 * DAY + 4 * 3600;
}

MUTATION(cert_expiring_at_margin)
{
	f->probes[P(0, 0)].leaf.not_after = NOW + JUDGE_CERT_MARGIN_S;
}

MUTATION(cert_expiring_inside_margin)
{
	f->probes[P(0, 0)].leaf.not_after = NOW + JUDGE_CERT_MARGIN_S - 1;
}

MUTATION(cert_expiring_at_critical)
{
	f->probes[P(0, 0)].leaf.not_after = NOW + JUDGE_CERT_CRITICAL_S;
}

MUTATION(cert_expiring_inside_critical)
{
	f->probes[P(0, 0)].leaf.not_after = NOW + JUDGE_CERT_CRITICAL_S - 1;
}

MUTATION(cert_expiring_dane_ta)
{
	set_tlsa(&f->endpoints[0], 0, 2, 1, 1, 32);
	cert_expiring_9d4h(f, o);
}

MUTATION(cert_margins_custom)
{
	o->cert_margin_s = 61 * DAY;
	o->cert_critical_s = 60 * DAY + 1;
	f->probes[P(0, 0)].leaf.not_after = NOW + 61 * DAY - 1;
}

/* Endpoints, rule 5: names */

MUTATION(name_mismatch_dane_ee)
{
	set_names(&f->probes[P(0, 0)].leaf, "dns=other.example");
}

MUTATION(name_mismatch_no_dane)
{
	name_mismatch_dane_ee(f, o);
	probe_dane(&f->probes[P(0, 0)], DANE_NOT_APPLICABLE, -1);
}

MUTATION(name_mismatch_dane_ta)
{
	set_tlsa(&f->endpoints[0], 0, 2, 1, 1, 32);
	name_mismatch_dane_ee(f, o);
}

MUTATION(name_mismatch_dane_mismatch)
{
	name_mismatch_dane_ee(f, o);
	probe_dane(&f->probes[P(0, 0)], DANE_MISMATCH, -1);
}

MUTATION(names_listed)
{
	set_names(&f->probes[P(1, 0)].leaf, "dns=other.example dns=*.other.example "
					    "srv=_xmpp-server.other.example xmpp=other.example "
					    "cn=other.example");
	probe_dane(&f->probes[P(1, 0)], DANE_NOT_APPLICABLE, -1);
}

MUTATION(no_names)
{
	set_names(&f->probes[P(1, 0)].leaf, "");
	probe_dane(&f->probes[P(1, 0)], DANE_NOT_APPLICABLE, -1);
}

MUTATION(srv_target_secure)
{
	set_names(&f->probes[P(0, 0)].leaf, "dns=xmpp.d.example");
	probe_dane(&f->probes[P(0, 0)], DANE_NOT_APPLICABLE, -1);
}

MUTATION(srv_target_insecure_srv)
{
	f->services[0].rr.state = DNSSEC_INSECURE;
	srv_target_secure(f, o);
	set_names(&f->probes[P(0, 1)].leaf, "dns=xmpp.d.example");
	probe_dane(&f->probes[P(0, 1)], DANE_NOT_APPLICABLE, -1);
}

MUTATION(srv_target_bogus_srv)
{
	rr_bogus(&f->services[0].rr, "signature expired");
	srv_target_secure(f, o);
}

MUTATION(cn_only)
{
	set_names(&f->probes[P(0, 0)].leaf, "cn=d.example");
}

MUTATION(direct_tls_starttls_srv_id)
{
	set_names(&f->probes[P(2, 0)].leaf, "srv=_xmpp-client.d.example");
	probe_dane(&f->probes[P(2, 0)], DANE_NOT_APPLICABLE, -1);
}

/* Endpoints, rule 6: PKIX */

MUTATION(pkix_untrusted_dane)
{
	f->probes[P(0, 0)].pkix_ok = false;
	snprintf(f->probes[P(0, 0)].pkix_error, 128, "self-signed certificate");
}

MUTATION(pkix_untrusted_no_dane)
{
	pkix_untrusted_dane(f, o);
	probe_dane(&f->probes[P(0, 0)], DANE_NOT_APPLICABLE, -1);
}

MUTATION(pkix_untrusted_dane_mismatch)
{
	pkix_untrusted_dane(f, o);
	probe_dane(&f->probes[P(0, 0)], DANE_MISMATCH, -1);
}

/* Endpoints, rule 7: one certificate per service */

MUTATION(endpoints_differ)
{
	set_leaf(&f->probes[P(0, 1)], 0xb2);
}

MUTATION(services_differ)
{
	set_leaf(&f->probes[P(1, 0)], 0xb2);
	set_leaf(&f->probes[P(1, 1)], 0xb2);
}

/* Direct TLS to another server (TLS up, no XMPP inside): its leaf is not compared. */
MUTATION(failed_probe_not_compared)
{
	set_leaf(&f->probes[P(2, 1)], 0xb2);
	f->probes[P(2, 1)].status = PROBE_STREAM_FAILED;
	snprintf(f->probes[P(2, 1)].detail, 192, "no stream features");
}

/* The RSA-only probe of endpoint 0 at its A address: its own leaf and 3 1 1 (record 1). */
static struct probe_facts *rsa_probe(struct domain_facts *f)
{
	struct probe_facts *p = &f->probes[RSA_PROBE];

	healthy_probe(f, RSA_PROBE, 0, A4);
	p->rsa_only = true;
	set_leaf(p, 0xc3);
	snprintf(p->leaf.key_type, sizeof(p->leaf.key_type), "RSA");
	p->leaf.key_curve[0] = '\0';
	p->leaf.key_bits = 2048;
	set_tlsa(&f->endpoints[0], 1, 3, 1, 1, 32);
	probe_dane(p, DANE_MATCH, 1);
	return p;
}

MUTATION(rsa_probe_healthy)
{
	rsa_probe(f);
}

MUTATION(rsa_tlsa_forgotten)
{
	struct probe_facts *p = rsa_probe(f);

	clear_tlsa(&f->endpoints[0]);
	set_tlsa(&f->endpoints[0], 0, 3, 1, 1, 32);
	probe_dane(p, DANE_MISMATCH, -1);
}

MUTATION(rsa_expired)
{
	rsa_probe(f)->leaf.not_after = NOW - DAY;
}

MUTATION(rsa_tls_failed)
{
	probe_fail(rsa_probe(f), PROBE_TLS_FAILED, "no shared signature algorithms");
}

MUTATION(rsa_not_done)
{
	struct probe_facts *p = rsa_probe(f);

	probe_fail(p, PROBE_NOT_DONE, "no RSA certificate");
	p->tls_version = 0x0301;
}

/* NOT_DONE: nothing to judge, whatever else the struct holds. */
MUTATION(probe_not_done)
{
	struct probe_facts *p = &f->probes[P(0, 0)];

	set_leaf(p, 0xb2);
	p->status = PROBE_NOT_DONE;
	p->tls_version = 0x0301;
	p->leaf.not_after = NOW - DAY;
	set_names(&p->leaf, "dns=other.example");
	p->pkix_ok = false;
	probe_dane(p, DANE_MISMATCH, -1);
}

MUTATION(disabled_service_probe)
{
	f->services[3].enabled = false;
	probe_fail(&f->probes[P(3, 0)], PROBE_TLS_FAILED, "alert handshake failure");
}

/* Endpoints: overrides */

MUTATION(override_expiring_up)
{
	o->severity[FINDING_CERT_EXPIRING] = SEVERITY_CRITICAL;
	cert_expiring_9d4h(f, o);
}

MUTATION(override_expiring_critical_down)
{
	o->severity[FINDING_CERT_EXPIRING] = SEVERITY_INFO;
	cert_expiring_inside_critical(f, o);
}

MUTATION(override_name_down)
{
	o->severity[FINDING_CERT_NAME_MISMATCH] = SEVERITY_INFO;
	name_mismatch_no_dane(f, o);
}

MUTATION(override_name_dane_ee_up)
{
	o->severity[FINDING_CERT_NAME_MISMATCH] = SEVERITY_CRITICAL;
	name_mismatch_dane_ee(f, o);
}

MUTATION(override_connect)
{
	o->severity[FINDING_CONNECT_FAILED] = SEVERITY_WARNING;
	connect_refused(f, o);
}

MUTATION(override_differ)
{
	o->severity[FINDING_ENDPOINTS_DIFFER] = SEVERITY_CRITICAL;
	endpoints_differ(f, o);
}

static const struct row rows[] = {
	/* Healthy variants: only the infos. */
	ROW("healthy_nsec", nothing, 0, "unsigned", NONE),
	ROW("healthy_nsec3_zero_iterations", nsec3_zero, 0, NULL, NONE),
	ROW("healthy_nsec3_zero_iterations_salted", nsec3_zero_salted, 0, NULL, NONE),
	ROW("truncation_is_no_finding", all_truncated, 0, NULL, NONE),
	ROW("service_decidedly_absent", service_decidedly_absent, 0, NULL, NONE),
	ROW("disabled_service_ignored", disabled_service_bogus, 1, NULL, NONE),

	/* 1: bogus, one finding per RRset and nothing else about it. */
	ROW("srv_bogus", srv_bogus, 0, NULL,
	    SRV(DNSSEC_BOGUS, CRITICAL, 0,
		"SRV _xmpp-client._tcp.d.example. failed DNSSEC validation (signature expired)")),
	ROW("srv_bogus_denial", srv_bogus_denial, 0, NULL, SRV(DNSSEC_BOGUS, CRITICAL, 0, NULL)),
	ROW("srv_bogus_servfail", srv_bogus_servfail, 0, NULL,
	    SRV(DNSSEC_BOGUS, CRITICAL, 0, "no signatures")),
	ROW("srv_bogus_no_why", srv_bogus_no_why, 0, NULL,
	    SRV(DNSSEC_BOGUS, CRITICAL, 2, "no reason given")),
	ROW("a_bogus", a_bogus, 0, NULL,
	    HOST(DNSSEC_BOGUS, CRITICAL, "A xmpp.d.example. failed DNSSEC validation")),
	ROW("aaaa_bogus_denial", aaaa_bogus_denial, 0, NULL,
	    HOST(DNSSEC_BOGUS, CRITICAL, "AAAA xmpp.d.example.")),
	ROW("addresses_bogus_denial", addresses_bogus_denial, 0, NULL,
	    HOST(DNSSEC_BOGUS, CRITICAL, "A xmpp"), HOST(DNSSEC_BOGUS, CRITICAL, "AAAA xmpp")),
	ROW("tlsa_bogus", tlsa_bogus, 1, NULL,
	    ENDPOINT(DNSSEC_BOGUS, CRITICAL, 0, "TLSA _5222._tcp.xmpp.d.example.")),
	ROW("tlsa_bogus_denial", tlsa_bogus_denial, 1, NULL,
	    ENDPOINT(DNSSEC_BOGUS, CRITICAL, 0, NULL)),
	ROW("soa_bogus", soa_bogus, 0, NULL,
	    ZONE(DNSSEC_BOGUS, CRITICAL,
		 "SOA d.example. failed DNSSEC validation (DS does not match)")),
	ROW("dnskey_bogus", dnskey_bogus, 0, NULL,
	    ZONE(DNSSEC_BOGUS, CRITICAL, "DNSKEY d.example.")),
	ROW("ds_bogus", ds_bogus, 0, NULL, ZONE(DNSSEC_BOGUS, CRITICAL, "DS d.example.")),
	ROW("ns_bogus", ns_bogus, 0, NULL, ZONE(DNSSEC_BOGUS, CRITICAL, "NS d.example.")),

	/* 2: failed lookups; critical where peers skip the target. */
	ROW("srv_servfail", srv_servfail, 0, NULL,
	    SRV(DNS_LOOKUP_FAILED, CRITICAL, 0, "(servfail, rcode SERVFAIL)")),
	ROW("srv_timeout", srv_timeout, 0, NULL,
	    SRV(DNS_LOOKUP_FAILED, CRITICAL, 1, "failed (timeout)")),
	ROW("srv_refused", srv_refused, 0, NULL,
	    SRV(DNS_LOOKUP_FAILED, CRITICAL, 2, "(refused, rcode REFUSED)")),
	ROW("a_error", a_error, 0, NULL,
	    HOST(DNS_LOOKUP_FAILED, CRITICAL,
		 "A lookup of xmpp.d.example. failed (error, rcode NOTIMP)")),
	ROW("aaaa_timeout", aaaa_timeout, 0, NULL,
	    HOST(DNS_LOOKUP_FAILED, CRITICAL, "AAAA lookup")),
	ROW("tlsa_servfail", tlsa_servfail, 1, NULL,
	    ENDPOINT(DNS_LOOKUP_FAILED, CRITICAL, 3, "TLSA lookup of _5270._tcp.xmpp.d.example.")),
	ROW("soa_servfail", soa_servfail, 0, NULL, ZONE(DNS_LOOKUP_FAILED, WARNING, "SOA lookup")),
	ROW("dnskey_timeout", dnskey_timeout, 0, NULL,
	    ZONE(DNS_LOOKUP_FAILED, WARNING, "DNSKEY lookup")),
	ROW("ds_refused", ds_refused, 0, NULL, ZONE(DNS_LOOKUP_FAILED, WARNING, "DS lookup")),
	ROW("ns_error", ns_error, 0, NULL,
	    ZONE(DNS_LOOKUP_FAILED, WARNING, "NS lookup of d.example. failed (error, rcode 9)")),
	ROW("override_lowers_escalated", srv_servfail_overridden, 0, NULL,
	    SRV(DNS_LOOKUP_FAILED, INFO, 0, NULL)),
	ROW("override_raises_default", soa_servfail_overridden, 0, NULL,
	    ZONE(DNS_LOOKUP_FAILED, CRITICAL, NULL)),

	/* 3: one finding for an insecure zone, with its cause. */
	ROW("zone_unsigned", zone_unsigned, 0, NULL,
	    ZONE(DNSSEC_INSECURE, WARNING, "zone d.example. is not signed")),
	ROW("zone_island", zone_island, 0, NULL,
	    ZONE(DNSSEC_INSECURE, WARNING, "signed but has no DS at the parent (island of trust)")),
	ROW("zone_ed448", zone_ed448, 0, "not signed",
	    ZONE(DNSKEY_ALGORITHM_UNSUPPORTED, WARNING,
		 "signed with ED448 (16), which this validator cannot verify, so it looks insecure "
		 "from here")),
	ROW("zone_ed448_keys_at_servers_only", zone_ed448_keys_at_servers_only, 0, "unsigned",
	    ZONE(DNSKEY_ALGORITHM_UNSUPPORTED, WARNING, "ED448 (16)")),
	ROW("zone_gost", zone_gost, 0, NULL,
	    ZONE(DNSKEY_ALGORITHM_UNSUPPORTED, WARNING, "ECC-GOST (12)"),
	    ZONE(DNSKEY_ALGORITHM_WEAK, WARNING, "ECC-GOST (12)")),
	ROW("zone_ed448_and_ecdsa", zone_ed448_and_ecdsa, 0, NULL,
	    ZONE(DNSSEC_INSECURE, WARNING, "ECDSAP256SHA256 (13), ED448 (16)")),
	ROW("zone_ed448_island", zone_ed448_island, 0, NULL,
	    ZONE(DNSSEC_INSECURE, WARNING, "island of trust")),
	ROW("zone_parent_insecure", zone_parent_insecure, 0, NULL,
	    ZONE(DNSSEC_INSECURE, WARNING, "its DS at the parent is itself insecure")),
	ROW("zone_insecure_signed", zone_insecure_signed, 0, NULL,
	    ZONE(DNSSEC_INSECURE, WARNING, "validates as insecure")),
	ROW("zone_unsupported_custom", zone_unsupported_custom, 0, NULL,
	    ZONE(DNSKEY_ALGORITHM_UNSUPPORTED, WARNING, "ECDSAP256SHA256 (13)")),
	ROW("zone_ed448_nothing_unsupported", zone_ed448_nothing_unsupported, 0, NULL,
	    ZONE(DNSSEC_INSECURE, WARNING, "validates as insecure")),
	ROW("zone_insecure_not_checked", zone_insecure_not_checked, 0, NULL, NONE),

	/* 4: DS */
	ROW("ds_mismatch", ds_mismatch, 0, NULL,
	    ZONE(DS_MISMATCH, CRITICAL,
		 "DS at the parent (key tags 33333/13/2) matches no DNSKEY of d.example. (KSKs: "
		 "11111/13): publish the DS of the current KSK (xdane ds --dnskey)")),
	ROW("ds_mismatch_no_sep", ds_mismatch_no_sep, 0, NULL,
	    ZONE(DS_MISMATCH, CRITICAL, "(KSKs: none with the SEP flag)")),
	ROW("ds_mismatch_revoked_ksk", ds_mismatch_revoked_ksk, 0, NULL,
	    ZONE(DS_MISMATCH, CRITICAL, "(KSKs: none with the SEP flag)")),
	ROW("ds_second_unmatched", ds_second_unmatched, 0, NULL, NONE),
	ROW("ds_mismatch_without_keys", ds_mismatch_without_keys, 0, NULL, NONE),
	ROW("ds_sha1", ds_sha1, 0, NULL, ZONE(DS_DIGEST_WEAK, WARNING, "DS 11111/13/1")),
	ROW("ds_sha1_and_sha256", ds_sha1_and_sha256, 0, NULL,
	    ZONE(DS_DIGEST_WEAK, WARNING, "uses SHA-1")),
	ROW("ds_sha384", ds_sha384, 0, NULL, NONE),

	/* 5: algorithms (each number: test_weak_algorithms) */
	ROW("alg_rsasha1", alg_rsasha1, 0, NULL,
	    ZONE(DNSKEY_ALGORITHM_WEAK, WARNING, "signed with RSASHA1 (5), which")),
	ROW("alg_two_weak", alg_two_weak, 0, NULL,
	    ZONE(DNSKEY_ALGORITHM_WEAK, WARNING, "RSASHA1-NSEC3-SHA1 (7), RSASHA512 (10)")),
	ROW("alg_weak_at_servers_only", alg_weak_at_servers_only, 0, NULL,
	    ZONE(DNSKEY_ALGORITHM_WEAK, WARNING, "RSASHA1 (5)")),
	ROW("alg_rsasha256", alg_rsasha256, 0, NULL, NONE),

	/* 6: signatures */
	ROW("soa_sig_at_margin", soa_sig_at_margin, 0, NULL, NONE),
	ROW("soa_sig_inside_margin", soa_sig_inside_margin, 0, NULL,
	    ZONE(RRSIG_EXPIRING, WARNING, "expires in 2d 23h (")),
	ROW("soa_sig_1d4h", soa_sig_1d4h, 0, NULL,
	    ZONE(RRSIG_EXPIRING, WARNING,
		 "RRSIG over SOA d.example. expires in 1d 4h (2026-11-19T15:06:40Z): re-sign the "
		 "zone and check that its signer is running")),
	ROW("soa_sig_expires_now", soa_sig_expires_now, 0, NULL,
	    ZONE(RRSIG_EXPIRING, CRITICAL, "expired 0s ago (2026-11-18T11:06:40Z)")),
	ROW("soa_sig_expired_2h", soa_sig_expired_2h, 0, NULL,
	    ZONE(RRSIG_EXPIRING, CRITICAL, "expired 2h ago")),
	ROW("soa_sig_none", soa_sig_none, 0, NULL, NONE),
	ROW("srv_sigs_aggregated", srv_sigs_expiring, 0, NULL,
	    SRV(RRSIG_EXPIRING, WARNING, 3,
		"RRSIG over SRV _xmpps-server._tcp.d.example. expires in 1d "
		"(2026-11-19T11:06:40Z); 3 more SRV RRsets within the 3d margin")),
	ROW("insecure_rrset_sig_ignored", srv_insecure_sig_expiring, 0, NULL,
	    SRV(SRV_INSECURE, WARNING, 0, NULL)),
	ROW("server_soa_sig", server_soa_sig_expiring, 0, NULL,
	    SERVER(RRSIG_EXPIRING, WARNING, 2, "SOA d.example. at ns2.d.example. (192.0.2.2)")),
	ROW("server_dnskey_sig_expired", server_dnskey_sig_expired, 0, NULL,
	    SERVER(RRSIG_EXPIRING, CRITICAL, 1,
		   "RRSIG over DNSKEY d.example. at ns1.d.example. (192.0.2.1) expired 1m ago")),
	ROW("unreachable_server_sig_ignored", unreachable_server_sig_ignored, 0, NULL,
	    SERVER(NS_UNREACHABLE, WARNING, 2, NULL)),
	ROW("tlsa_sig", tlsa_sig_expiring, 0, NULL,
	    ENDPOINT(RRSIG_EXPIRING, WARNING, 3, "TLSA _5270._tcp.xmpp.d.example. expires in 1h")),
	ROW("address_sigs", address_sigs_expiring, 0, NULL,
	    HOST(RRSIG_EXPIRING, WARNING, "RRSIG over A xmpp.d.example. expires in 1h"),
	    HOST(RRSIG_EXPIRING, WARNING, "RRSIG over AAAA xmpp.d.example. expires in 2h")),
	ROW("one_finding_per_rrset_type", everything_expiring, 0, NULL,
	    ANY(RRSIG_EXPIRING, WARNING,
		"over SOA d.example. expires in 1d (2026-11-19T11:06:40Z); 2 more SOA"),
	    ANY(RRSIG_EXPIRING, WARNING, "over DNSKEY d.example. expires in 1d"),
	    ANY(RRSIG_EXPIRING, WARNING, "3 more SRV RRsets"),
	    ANY(RRSIG_EXPIRING, WARNING, "over A xmpp"),
	    ANY(RRSIG_EXPIRING, WARNING, "over AAAA xmpp"),
	    ANY(RRSIG_EXPIRING, WARNING, "3 more TLSA RRsets")),
	ROW("wide_margin", wide_margin, 0, NULL, ANY(RRSIG_EXPIRING, WARNING, "over SOA"),
	    ANY(RRSIG_EXPIRING, WARNING, "over DNSKEY"), ANY(RRSIG_EXPIRING, WARNING, "over SRV"),
	    ANY(RRSIG_EXPIRING, WARNING, "over A "), ANY(RRSIG_EXPIRING, WARNING, "over AAAA"),
	    ANY(RRSIG_EXPIRING, WARNING, "over TLSA")),
	ROW("rrsig_overridden_up", rrsig_overridden_up, 0, NULL,
	    ZONE(RRSIG_EXPIRING, CRITICAL, NULL)),
	ROW("rrsig_overridden_down", rrsig_overridden_down, 0, NULL,
	    ZONE(RRSIG_EXPIRING, INFO, "expired 2h ago")),

	/* 7: NSEC3 */
	ROW("nsec3_1", nsec3_1, 0, NULL,
	    ZONE(NSEC3_ITERATIONS, WARNING,
		 "NSEC3 with 1 extra iterations: set them to 0 (RFC 9276 §3.1)")),
	ROW("nsec3_150", nsec3_150, 0, NULL, ZONE(NSEC3_ITERATIONS, WARNING, "150 extra")),
	ROW("nsec3_151", nsec3_151, 0, NULL,
	    ZONE(NSEC3_ITERATIONS, CRITICAL,
		 "151 extra iterations, more than the 150 validators accept: they treat denials as "
		 "insecure, so 'no TLSA' can no longer be proven")),
	ROW("nsec3_salted", nsec3_salted, 0, NULL,
	    ZONE(NSEC3_ITERATIONS, WARNING, "set them to 0 and drop the 8-octet salt")),
	ROW("nsec3_one_server", nsec3_one_server, 0, NULL,
	    ZONE(NSEC3_ITERATIONS, WARNING, "5 extra")),
	ROW("nsec3_custom_limit", nsec3_custom_limit, 0, NULL,
	    ZONE(NSEC3_ITERATIONS, CRITICAL, "more than the 50")),
	ROW("nsec3_lame_server_ignored", nsec3_lame_server, 0, NULL,
	    SERVER(NS_UNREACHABLE, WARNING, 2, "lame")),
	ROW("nsec3_overridden", nsec3_overridden, 0, NULL, ZONE(NSEC3_ITERATIONS, INFO, NULL)),

	/* 8: servers */
	ROW("server_timeout", server_timeout, 0, NULL,
	    SERVER(NS_UNREACHABLE, WARNING, 2,
		   "ns2.d.example. (192.0.2.2) did not answer the SOA query for d.example. "
		   "(timeout)")),
	ROW("server_refused", server_refused, 0, NULL,
	    SERVER(NS_UNREACHABLE, WARNING, 2, "(refused)")),
	ROW("server_servfail", server_servfail, 0, NULL,
	    SERVER(NS_UNREACHABLE, WARNING, 1, "(servfail)")),
	ROW("server_error", server_error, 0, NULL, SERVER(NS_UNREACHABLE, WARNING, 1, "(error)")),
	ROW("server_lame", server_lame, 0, NULL,
	    SERVER(NS_UNREACHABLE, WARNING, 2,
		   "answers but is not authoritative for d.example. (lame)")),
	ROW("server_nxdomain", server_nxdomain, 0, NULL,
	    SERVER(NS_UNREACHABLE, WARNING, 2,
		   "answers nxdomain for the SOA of d.example.: it does not serve the zone")),
	ROW("server_not_asked", server_not_asked, 0, NULL, NONE),
	ROW("serial_differs", serial_differs, 0, NULL,
	    ZONE(NS_INCONSISTENT, WARNING,
		 "different SOA serials: ns1.d.example. (192.0.2.1) 2026010101, ns2.d.example. "
		 "(192.0.2.2) 2026010102")),
	ROW("dnskey_set_differs", dnskey_set_differs, 0, NULL,
	    ZONE(NS_INCONSISTENT, WARNING,
		 "different DNSKEY sets (tag/algorithm/flags): ns1.d.example. (192.0.2.1) "
		 "{11111/13/257 22222/13/256}, ns2.d.example. (192.0.2.2) {11111/13/257}")),
	ROW("dnskey_flags_differ", dnskey_flags_differ, 0, NULL,
	    ZONE(NS_INCONSISTENT, WARNING, "{11111/13/385 22222/13/256}")),
	ROW("serial_and_dnskeys_differ", serial_and_dnskeys_differ, 0, NULL,
	    ZONE(NS_INCONSISTENT, WARNING, "SOA serials"),
	    ZONE(NS_INCONSISTENT, WARNING, "DNSKEY")),
	ROW("dnskey_order_differs", dnskey_order_differs, 0, NULL, NONE),
	ROW("lame_server_not_compared", lame_server_other_serial, 0, NULL,
	    SERVER(NS_UNREACHABLE, WARNING, 2, "lame")),
	ROW("unreachable_server_not_compared", unreachable_server_other_keys, 0, NULL,
	    SERVER(NS_UNREACHABLE, WARNING, 2, "timeout")),
	ROW("third_server_behind", third_server_behind, 0, NULL,
	    ZONE(NS_INCONSISTENT, WARNING, "ns3.d.example. (192.0.2.3) 2026010100")),

	/* 9: services */
	ROW("srv_nxdomain_client", srv_nxdomain_client, 0, NULL,
	    SRV(SRV_MISSING, WARNING, 0,
		"no SRV at _xmpp-client._tcp.d.example. (nxdomain): peers fall back to "
		"d.example:5222")),
	ROW("srv_nodata_server", srv_nodata_server, 0, NULL,
	    SRV(SRV_MISSING, WARNING, 1, "(nodata): peers fall back to d.example:5269")),
	ROW("srv_nodata_xmpps_client", srv_nodata_xmpps_client, 0, "fall back",
	    SRV(SRV_MISSING, WARNING, 2, "Direct TLS (XEP-0368) is not advertised")),
	ROW("srv_nxdomain_xmpps_server", srv_nxdomain_xmpps_server, 0, NULL,
	    SRV(SRV_MISSING, WARNING, 3, "drop xmpps-server from the domain's services")),
	ROW("srv_missing_insecure_denial", srv_missing_insecure_denial, 0, NULL,
	    SRV(SRV_MISSING, WARNING, 0, NULL)),
	ROW("srv_insecure", srv_insecure, 0, NULL,
	    SRV(SRV_INSECURE, WARNING, 1, "SRV _xmpp-server._tcp.d.example. is not secure")),
	ROW("srv_insecure_disabled", srv_insecure_disabled, 1, NULL, NONE),
	ROW("srv_absent_insecure", srv_absent_insecure, 0, NULL, NONE),
	ROW("srv_insecure_zone_bogus", srv_insecure_zone_bogus, 0, NULL,
	    ZONE(DNSSEC_BOGUS, CRITICAL, NULL)),

	/* 10: targets */
	ROW("target_cname_a", target_cname_a, 0, NULL,
	    HOST(SRV_TARGET_INVALID, CRITICAL, "is an alias (CNAME to real.d.example.)")),
	ROW("target_cname_aaaa", target_cname_aaaa, 0, NULL,
	    HOST(SRV_TARGET_INVALID, CRITICAL, "RFC 2782")),
	ROW("target_no_addresses", target_no_addresses, 0, NULL,
	    HOST(SRV_TARGET_INVALID, CRITICAL, "has no address records (A nodata, AAAA nodata)")),
	ROW("target_nxdomain", target_nxdomain, 0, NULL,
	    HOST(SRV_TARGET_INVALID, CRITICAL, "(A nxdomain, AAAA nxdomain)")),
	ROW("target_no_a", target_no_a, 0, NULL, NONE),
	ROW("target_no_a_aaaa_failed", target_no_a_aaaa_failed, 0, NULL,
	    HOST(DNS_LOOKUP_FAILED, CRITICAL, "AAAA")),
	ROW("a_insecure", a_insecure, 0, NULL,
	    HOST(ADDRESS_INSECURE, WARNING, "A of xmpp.d.example. is not secure")),
	ROW("aaaa_insecure", aaaa_insecure, 0, NULL,
	    HOST(ADDRESS_INSECURE, WARNING, "AAAA of xmpp.d.example. is not secure")),
	ROW("addresses_insecure", addresses_insecure, 0, NULL,
	    HOST(ADDRESS_INSECURE, WARNING, "A and AAAA of xmpp.d.example. are not secure")),
	ROW("a_insecure_srvs_insecure", a_insecure_srvs_insecure, 0, NULL,
	    SRV(SRV_INSECURE, WARNING, 0, NULL), SRV(SRV_INSECURE, WARNING, 1, NULL),
	    SRV(SRV_INSECURE, WARNING, 2, NULL), SRV(SRV_INSECURE, WARNING, 3, NULL)),
	ROW("a_insecure_one_srv_secure", a_insecure_one_srv_secure, 0, NULL,
	    SRV(SRV_INSECURE, WARNING, 0, NULL), SRV(SRV_INSECURE, WARNING, 1, NULL),
	    SRV(SRV_INSECURE, WARNING, 2, NULL), HOST(ADDRESS_INSECURE, WARNING, NULL)),
	ROW("fallback_host_without_addresses", fallback_host_without_addresses, 1, NULL,
	    SRV(SRV_MISSING, WARNING, 0, NULL)),
	ROW("unused_target_ignored", unused_target_bogus, 0, NULL, NONE),
	ROW("target_names_compare_without_case", target_named_with_other_case, 0, NULL,
	    HOST(SRV_TARGET_INVALID, CRITICAL, "no address records")),

	/* 11: TLSA */
	ROW("tlsa_nodata", tlsa_nodata, 1, NULL,
	    ENDPOINT(TLSA_MISSING, WARNING, 0,
		     "no TLSA at _5222._tcp.xmpp.d.example. (nodata) although SRV and addresses "
		     "are secure: publish e.g. `xdane tlsa --cert CERT --host xmpp.d.example "
		     "--port 5222`")),
	ROW("tlsa_nxdomain", tlsa_nxdomain, 1, NULL,
	    ENDPOINT(TLSA_MISSING, WARNING, 1, "--port 5269`")),
	ROW("tlsa_insecure", tlsa_insecure, 1, NULL,
	    ENDPOINT(TLSA_MISSING, WARNING, 2, "exists but is not secure: DANE peers ignore it")),
	ROW("dane_not_applicable", dane_not_applicable, 1, NULL, NONE),
	ROW("tlsa_usage_4", tlsa_usage_4, 1, NULL,
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 0,
		     "TLSA _5222._tcp.xmpp.d.example. has records peers cannot use: 4 1 1 (unknown "
		     "usage); correct or remove them (no usable record is left")),
	ROW("tlsa_usage_255", tlsa_usage_255, 1, NULL,
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 0, "255 1 1 (unknown usage)")),
	ROW("tlsa_selector_2", tlsa_selector_2, 1, NULL,
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 0, "3 2 1 (unknown selector)")),
	ROW("tlsa_mtype_3", tlsa_mtype_3, 1, NULL,
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 0, "3 1 3 (unknown matching type)")),
	ROW("tlsa_sha256_short", tlsa_sha256_short, 1, NULL,
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 0, "3 1 1 (31 octets where SHA-256 has 32)")),
	ROW("tlsa_sha512_short", tlsa_sha512_short, 1, NULL,
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 0, "3 1 2 (32 octets where SHA-512 has 64)")),
	ROW("tlsa_sha512", tlsa_sha512, 0, NULL, NONE),
	ROW("tlsa_empty", tlsa_empty, 1, NULL,
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 0, "3 1 0 (no data)")),
	ROW("tlsa_full_spki", tlsa_full_spki, 0, NULL, NONE),
	ROW("tlsa_two_usable", tlsa_two_usable, 1, NULL, NONE),
	ROW("tlsa_one_usable_one_bad", tlsa_one_usable_one_bad, 0, "no usable record",
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 0, "3 1 1 (20 octets where SHA-256 has 32)")),
	ROW("tlsa_insecure_bad", tlsa_insecure_bad, 1, NULL,
	    ENDPOINT(TLSA_MISSING, WARNING, 2, "not secure"),
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 2, "9 1 1 (unknown usage)")),
	ROW("slot_overridden", slot_overridden, 4, NULL,
	    ENDPOINT(TLSA_NO_ROLLOVER_SLOT, WARNING, 0,
		     "one usable TLSA record at _5222._tcp.xmpp.d.example.: pre-publish the next "
		     "key's TLSA"),
	    ENDPOINT(TLSA_NO_ROLLOVER_SLOT, WARNING, 1, NULL),
	    ENDPOINT(TLSA_NO_ROLLOVER_SLOT, WARNING, 2, NULL),
	    ENDPOINT(TLSA_NO_ROLLOVER_SLOT, WARNING, 3, NULL)),

	/* Endpoints 1: connections */
	ROW("connect_refused", connect_refused, 0, NULL,
	    PROBE(CONNECT_FAILED, CRITICAL, 0, A4,
		  "cannot connect to xmpp.d.example:5222 at 192.0.2.10 (connection refused): "
		  "peers that pick this address cannot reach d.example")),
	ROW("stream_failed", stream_failed, 0, "completed TLS",
	    PROBE(XMPP_STREAM_FAILED, CRITICAL, 1, A6,
		  "xmpp.d.example:5269 at 2001:db8::10 does not speak XMPP for d.example (no "
		  "stream features within 10s)")),
	ROW("starttls_failed", starttls_failed, 0, NULL,
	    PROBE(STARTTLS_FAILED, CRITICAL, 0, A6,
		  "STARTTLS with xmpp.d.example:5222 at 2001:db8::10 failed (<failure/>)")),
	ROW("tls_failed", tls_failed, 0, NULL,
	    PROBE(TLS_HANDSHAKE_FAILED, CRITICAL, 2, A4,
		  "TLS handshake with xmpp.d.example:5223 at 192.0.2.10 failed (alert handshake "
		  "failure)")),
	ROW("connect_failed_no_detail", connect_failed_no_detail, 0, NULL,
	    PROBE(CONNECT_FAILED, CRITICAL, 3, A6, "(no detail)")),
	ROW("direct_tls_stream_failed_judged_further", direct_tls_stream_failed, 0, NULL,
	    PROBE(XMPP_STREAM_FAILED, CRITICAL, 2, A4,
		  "xmpp.d.example:5223 at 192.0.2.10 completed TLS, but no XMPP stream for "
		  "d.example followed inside it (HTTP/1.1 400 Bad Request): check that the port "
		  "serves XMPP over Direct TLS (XEP-0368)"),
	    PROBE(CERT_EXPIRED, CRITICAL, 2, A4, "expired 1d ago")),

	/* Endpoints 2: TLS versions */
	ROW("tls_1_1", tls_1_1, 0, NULL,
	    PROBE(TLS_VERSION_OLD, WARNING, 0, A4,
		  "xmpp.d.example:5222 at 192.0.2.10 negotiated TLSv1.1, below TLS 1.2")),
	ROW("tls_1_0_unnamed", tls_1_0_unnamed, 0, NULL,
	    PROBE(TLS_VERSION_OLD, WARNING, 1, A4, "negotiated version 0x0301, below")),
	ROW("tls_1_2", tls_1_2, 0, NULL, NONE),

	/* Endpoints 3: DANE */
	ROW("dane_mismatch", dane_mismatch, 0, "on its own",
	    PROBE(TLSA_MISMATCH, CRITICAL, 0, A4,
		  "TLSA _5222._tcp.xmpp.d.example. (3 1 1 1111111111111111...) matches nothing in "
		  "the chain of the certificate of xmpp.d.example:5222 at 192.0.2.10 (SPKI "
		  "SHA-256 " AB ", certificate SHA-256 a1a1a1a1a1a1a1a1...): DANE peers refuse the "
		  "connection; publish the served key (`xdane tlsa --cert CERT`)")),
	ROW("agility_trap", agility_trap, 1, NULL,
	    PROBE(TLSA_AGILITY_TRAP, CRITICAL, 0, A4,
		  "TLSA 3 1 1 1111111111111111... at _5222._tcp.xmpp.d.example. matches the "
		  "certificate of xmpp.d.example:5222 at 192.0.2.10 on its own, but peers ignore "
		  "it: 3 1 2 2222222222222222..., of the same usage and selector, uses a stronger "
		  "matching type and matches nothing"),
	    PROBE(TLSA_AGILITY_TRAP, CRITICAL, 0, A6,
		  "RFC 7671 §9 peer, uses only the strongest; publish the served key in that type "
		  "too (`xdane tlsa --cert CERT --usage 3 --selector 1 --mtype 2`) or remove that "
		  "record")),
	ROW("agility_records_nothing_matches", agility_records_nothing_matches, 1, "RFC 7671 §9",
	    PROBE(TLSA_MISMATCH, CRITICAL, 0, A4,
		  "(3 1 1 1111111111111111..., 3 1 2 2222222222222222...) matches nothing"),
	    PROBE(TLSA_MISMATCH, CRITICAL, 0, A6, NULL)),
	ROW("agility_other_usage_is_no_trap", agility_other_usage, 1, "RFC 7671 §9",
	    PROBE(TLSA_MISMATCH, CRITICAL, 0, A4,
		  "2 1 1 1111111111111111... matches on its own, yet the chain failed DANE "
		  "verification")),
	ROW("agility_unusable_stronger_is_no_trap", agility_unusable_stronger, 0, "RFC 7671 §9",
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 0, "3 1 2 (20 octets where SHA-512 has 64)"),
	    PROBE(TLSA_MISMATCH, CRITICAL, 0, A4, "matches on its own")),
	ROW("dane_none_left_to_dns", dane_none, 1, NULL,
	    ENDPOINT(TLSA_UNUSABLE, WARNING, 0, "3 1 3 (unknown matching type)")),
	ROW("fragile", fragile, 0, NULL,
	    PROBE(TLSA_FRAGILE, WARNING, 0, A4,
		  "every TLSA record at _5222._tcp.xmpp.d.example. that matches the certificate "
		  "of xmpp.d.example:5222 at 192.0.2.10 pins the whole certificate (3 0 1 "
		  "1111111111111111...): each renewal breaks DANE, even with the same key; "
		  "publish 3 1 1 for its key (`xdane tlsa --cert CERT`)"),
	    PROBE(TLSA_FRAGILE, WARNING, 0, A6, NULL)),
	ROW("fragile_not_with_spki_record", fragile_with_spki_record, 1, NULL, NONE),
	ROW("fragile_not_dane_ta", dane_ta_full_certificate, 0, NULL, NONE),

	/* Endpoints 4: dates */
	ROW("cert_expired", cert_expired, 0, NULL,
	    PROBE(CERT_EXPIRED, CRITICAL, 0, A4,
		  "the certificate of xmpp.d.example:5222 at 192.0.2.10 expired 3d ago "
		  "(2026-11-15T11:06:40Z): PKIX and DANE-TA peers reject it; DANE-EE peers "
		  "ignore dates (RFC 7671 §5.1) and 3 1 1 1111111111111111... matches; renew it "
		  "now")),
	ROW("cert_expired_now", cert_expired_now, 0, NULL,
	    PROBE(CERT_EXPIRED, CRITICAL, 0, A4, "expired 0s ago (2026-11-18T11:06:40Z)")),
	ROW("cert_expired_no_dane", cert_expired_no_dane, 0, "DANE-EE",
	    PROBE(CERT_EXPIRED, CRITICAL, 0, A4, "(2026-11-15T11:06:40Z): peers reject it;")),
	ROW("cert_not_yet_valid", cert_not_yet_valid, 0, NULL,
	    PROBE(CERT_EXPIRED, CRITICAL, 1, A6,
		  "the certificate of xmpp.d.example:5269 at 2001:db8::10 is not valid before "
		  "2026-11-20T11:06:40Z (in 2d)")),
	ROW("cert_expiring_9d4h", cert_expiring_9d4h, 0, NULL,
	    PROBE(CERT_EXPIRING, WARNING, 0, A4,
		  "the certificate of xmpp.d.example:5222 at 192.0.2.10 expires in 9d 4h "
		  "(2026-11-27T15:06:40Z): PKIX and DANE-TA peers reject it from then on; DANE-EE "
		  "peers ignore dates")),
	ROW("cert_expiring_at_margin", cert_expiring_at_margin, 0, NULL, NONE),
	ROW("cert_expiring_inside_margin", cert_expiring_inside_margin, 0, NULL,
	    PROBE(CERT_EXPIRING, WARNING, 0, A4, "expires in 13d 23h")),
	ROW("cert_expiring_at_critical", cert_expiring_at_critical, 0, NULL,
	    PROBE(CERT_EXPIRING, WARNING, 0, A4, "expires in 3d (")),
	ROW("cert_expiring_inside_critical", cert_expiring_inside_critical, 0, NULL,
	    PROBE(CERT_EXPIRING, CRITICAL, 0, A4, "expires in 2d 23h")),
	ROW("cert_expiring_dane_ta", cert_expiring_dane_ta, 0, "DANE-EE",
	    PROBE(CERT_EXPIRING, WARNING, 0, A4, "): peers reject it from then on;")),
	ROW("cert_margins_custom", cert_margins_custom, 0, NULL,
	    PROBE(CERT_EXPIRING, WARNING, 0, A4, "expires in 60d 23h"),
	    PROBE(CERT_EXPIRING, CRITICAL, 0, A6, "expires in 60d ("),
	    PROBE(CERT_EXPIRING, CRITICAL, 1, A4, NULL),
	    PROBE(CERT_EXPIRING, CRITICAL, 1, A6, NULL),
	    PROBE(CERT_EXPIRING, CRITICAL, 2, A4, NULL),
	    PROBE(CERT_EXPIRING, CRITICAL, 2, A6, NULL),
	    PROBE(CERT_EXPIRING, CRITICAL, 3, A4, NULL),
	    PROBE(CERT_EXPIRING, CRITICAL, 3, A6, NULL)),

	/* Endpoints 5: names */
	ROW("name_mismatch_dane_ee", name_mismatch_dane_ee, 0, NULL,
	    PROBE(CERT_NAME_MISMATCH, WARNING, 0, A4,
		  "the certificate of xmpp.d.example:5222 at 192.0.2.10 does not name d.example "
		  "or the SRV target xmpp.d.example (it presents DNS-ID other.example): DANE-EE "
		  "peers accept it (3 1 1 1111111111111111... matches; RFC 7671 §5.1), PKIX and "
		  "DANE-TA peers reject it")),
	ROW("name_mismatch_no_dane", name_mismatch_no_dane, 0, "DANE-EE",
	    PROBE(CERT_NAME_MISMATCH, CRITICAL, 0, A4,
		  "(it presents DNS-ID other.example): peers reject it; get one naming d.example "
		  "(a DNS-ID, or the SRV-ID _xmpp-client.d.example)")),
	ROW("name_mismatch_dane_ta", name_mismatch_dane_ta, 0, "DANE-EE",
	    PROBE(CERT_NAME_MISMATCH, CRITICAL, 0, A4, "DNS-ID other.example")),
	ROW("name_mismatch_dane_mismatch", name_mismatch_dane_mismatch, 0, NULL,
	    PROBE(TLSA_MISMATCH, CRITICAL, 0, A4, NULL),
	    PROBE(CERT_NAME_MISMATCH, CRITICAL, 0, A4, "peers reject it")),
	ROW("names_listed", names_listed, 0, NULL,
	    PROBE(CERT_NAME_MISMATCH, CRITICAL, 1, A4,
		  "(it presents DNS-ID other.example, DNS-ID *.other.example, SRV-ID "
		  "_xmpp-server.other.example, xmppAddr other.example, CN other.example)")),
	ROW("no_names", no_names, 0, NULL,
	    PROBE(CERT_NAME_MISMATCH, CRITICAL, 1, A4, "(it presents no names)")),
	ROW("srv_target_with_secure_srv", srv_target_secure, 0, NULL, NONE),
	ROW("srv_target_with_insecure_srv", srv_target_insecure_srv, 0, "or the SRV target",
	    SRV(SRV_INSECURE, WARNING, 0, NULL),
	    PROBE(CERT_NAME_MISMATCH, CRITICAL, 0, A4,
		  "does not name d.example (it presents DNS-ID xmpp.d.example); it names the SRV "
		  "target xmpp.d.example, which counts only with a DNSSEC-secure SRV RRset (RFC "
		  "7673): peers reject it"),
	    PROBE(CERT_NAME_MISMATCH, CRITICAL, 0, A6, "RFC 7673")),
	ROW("srv_target_with_bogus_srv", srv_target_bogus_srv, 0, NULL,
	    SRV(DNSSEC_BOGUS, CRITICAL, 0, NULL),
	    PROBE(CERT_NAME_MISMATCH, CRITICAL, 0, A4, "DNSSEC-secure SRV RRset")),
	ROW("cn_only_names_the_domain", cn_only, 0, NULL, NONE),
	ROW("direct_tls_accepts_starttls_srv_id", direct_tls_starttls_srv_id, 0, NULL, NONE),

	/* Endpoints 6: PKIX */
	ROW("pkix_untrusted_dane", pkix_untrusted_dane, 0, NULL,
	    PROBE(PKIX_UNTRUSTED, WARNING, 0, A4,
		  "the chain of the certificate of xmpp.d.example:5222 at 192.0.2.10 does not "
		  "validate to a trusted CA (self-signed certificate): peers without DANE reject "
		  "it; DANE peers still accept it")),
	ROW("pkix_untrusted_no_dane", pkix_untrusted_no_dane, 0, NULL,
	    PROBE(PKIX_UNTRUSTED, WARNING, 0, A4,
		  "DANE does not apply here, so no peer accepts it")),
	ROW("pkix_untrusted_dane_mismatch", pkix_untrusted_dane_mismatch, 0, NULL,
	    PROBE(TLSA_MISMATCH, CRITICAL, 0, A4, NULL),
	    PROBE(PKIX_UNTRUSTED, WARNING, 0, A4, "so DANE peers reject it too")),

	/* Endpoints 7: one certificate per service */
	ROW("endpoints_differ", endpoints_differ, 0, NULL,
	    SERVICE(ENDPOINTS_DIFFER, WARNING, 0,
		    "endpoints of xmpp-client present different certificates (SHA-256): "
		    "xmpp.d.example:5222/192.0.2.10 a1a1a1a1a1a1a1a1..., "
		    "xmpp.d.example:5222/2001:db8::10 b2b2b2b2b2b2b2b2...; ")),
	ROW("services_may_differ", services_differ, 0, NULL, NONE),
	ROW("failed_probe_not_compared", failed_probe_not_compared, 0, NULL,
	    PROBE(XMPP_STREAM_FAILED, CRITICAL, 2, A6,
		  "check that the port serves XMPP over Direct TLS (XEP-0368), not HTTPS")),

	/* Endpoints: the RSA-only probe */
	ROW("rsa_probe_healthy_not_compared", rsa_probe_healthy, 1, NULL, NONE),
	ROW("rsa_tlsa_forgotten", rsa_tlsa_forgotten, 0, NULL,
	    PROBE(TLSA_MISMATCH, CRITICAL, 0, A4,
		  "matches nothing in the chain of the RSA certificate of xmpp.d.example:5222 at "
		  "192.0.2.10 (SPKI SHA-256 cdcdcdcd")),
	ROW("rsa_expired", rsa_expired, 1, NULL,
	    PROBE(CERT_EXPIRED, CRITICAL, 0, A4,
		  "the RSA certificate of xmpp.d.example:5222 at 192.0.2.10 expired 1d ago")),
	ROW("rsa_tls_failed", rsa_tls_failed, 1, NULL,
	    PROBE(TLS_HANDSHAKE_FAILED, CRITICAL, 0, A4,
		  "TLS handshake with xmpp.d.example:5222 at 192.0.2.10 (offering only RSA, for "
		  "its RSA certificate) failed (no shared signature algorithms)")),
	ROW("rsa_not_done_ignored", rsa_not_done, 1, NULL, NONE),

	/* Endpoints: what is not judged */
	ROW("probe_not_done_ignored", probe_not_done, 0, NULL, NONE),
	ROW("disabled_service_probe_ignored", disabled_service_probe, 1, NULL, NONE),

	/* Endpoints: overrides */
	ROW("override_expiring_up", override_expiring_up, 0, NULL,
	    PROBE(CERT_EXPIRING, CRITICAL, 0, A4, "expires in 9d 4h")),
	ROW("override_expiring_critical_down", override_expiring_critical_down, 0, NULL,
	    PROBE(CERT_EXPIRING, INFO, 0, A4, "expires in 2d 23h")),
	ROW("override_name_down", override_name_down, 0, NULL,
	    PROBE(CERT_NAME_MISMATCH, INFO, 0, A4, NULL)),
	ROW("override_name_dane_ee_up", override_name_dane_ee_up, 0, NULL,
	    PROBE(CERT_NAME_MISMATCH, CRITICAL, 0, A4, "DANE-EE peers accept it")),
	ROW("override_connect", override_connect, 0, NULL,
	    PROBE(CONNECT_FAILED, WARNING, 0, A4, NULL)),
	ROW("override_differ", override_differ, 0, NULL,
	    SERVICE(ENDPOINTS_DIFFER, CRITICAL, 0, NULL)),
};

/* Checking */

struct fixture {
	const struct row *row;
	struct domain_facts *f;
	struct judge_opts o;
	struct findings out;
};

static int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL) {
		return -1;
	}
	fx->row = *state;
	fx->f = healthy();
	judge_opts_init(&fx->o);
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	findings_release(&fx->out);
	facts_release(fx->f);
	free(fx->f);
	free(fx);
	return 0;
}

static void print_findings(const struct findings *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct finding *g = &l->v[i];

		print_message("  %s %s service='%s' target='%s' port=%u address='%s'\n    %s\n",
			      finding_code_name(g->code), severity_name(g->severity), g->service,
			      g->target, g->port, g->address, g->message);
	}
}

static bool want_matches(const struct want *w, const struct finding *g)
{
	if (w->code != g->code || w->sev != g->severity) {
		return false;
	}
	if (w->target != NULL &&
	    (strcmp(w->service, g->service) != 0 || strcmp(w->target, g->target) != 0 ||
	     w->port != g->port || strcmp(w->address, g->address) != 0)) {
		return false;
	}
	return w->text == NULL || strstr(g->message, w->text) != NULL;
}

/* Every finding is one a person can read: a whole line, not cut. */
static void assert_readable(const struct finding *g, const char *never)
{
	size_t len = strlen(g->message);

	assert_true(len > 20);
	assert_true(len < FINDING_MESSAGE_MAX - 1);
	assert_null(strchr(g->message, '\n'));
	assert_true(g->severity >= SEVERITY_INFO && g->severity <= SEVERITY_CRITICAL);
	if (never != NULL) {
		assert_null(strstr(g->message, never));
	}
}

/* The findings are exactly the row's wants plus the remaining default infos. */
static void assert_findings(const struct row *row, const struct findings *out)
{
	bool used[8] = {false};
	size_t i, j, n_want = 0, slots = 0;

	while (n_want < 8 && row->want[n_want].sev != SEVERITY_OK) {
		n_want++;
	}
	for (i = 0; i < out->n; i++) {
		const struct finding *g = &out->v[i];

		assert_readable(g, row->never);
		for (j = 0; j < n_want; j++) {
			if (!used[j] && want_matches(&row->want[j], g)) {
				used[j] = true;
				break;
			}
		}
		if (j < n_want) {
			continue;
		}
		if (g->code == FINDING_TLSA_NO_ROLLOVER_SLOT && g->severity == SEVERITY_INFO) {
			slots++;
			continue;
		}
		print_findings(out);
		fail_msg("%s: unexpected finding %zu (%s)", row->name, i,
			 finding_code_name(g->code));
	}
	for (j = 0; j < n_want; j++) {
		if (!used[j]) {
			print_findings(out);
			fail_msg("%s: missing %s %s '%s'", row->name,
				 finding_code_name(row->want[j].code),
				 severity_name(row->want[j].sev),
				 row->want[j].text ? row->want[j].text : "");
		}
	}
	if (slots != (size_t)(HEALTHY_SLOTS - row->slots_lost)) {
		print_findings(out);
		fail_msg("%s: %zu TLSA_NO_ROLLOVER_SLOT infos, want %d", row->name, slots,
			 HEALTHY_SLOTS - row->slots_lost);
	}
}

static void test_row(void **state)
{
	struct fixture *fx = *state;

	fx->row->mutate(fx->f, &fx->o);
	assert_int_equal(judge_check(fx->f, NOW, &fx->o, &fx->out), 0);
	assert_findings(fx->row, &fx->out);
}

/* Tests beside the table */

static void test_healthy_infos(void **state)
{
	struct domain_facts *f = healthy();
	struct judge_opts o;
	struct findings out = {0};
	size_t i;

	(void)state;
	judge_opts_init(&o);
	assert_int_equal(judge_endpoints(f, NOW, &o, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(judge_dns(f, NOW, &o, &out), 0);
	assert_int_equal(out.n, HEALTHY_SLOTS);
	assert_int_equal(findings_worst(&out), SEVERITY_INFO);
	for (i = 0; i < out.n; i++) {
		assert_int_equal(out.v[i].code, FINDING_TLSA_NO_ROLLOVER_SLOT);
		assert_string_equal(out.v[i].service, facts_service_name((enum xmpp_service)i));
		assert_string_equal(out.v[i].target, "xmpp.d.example.");
		assert_int_equal(out.v[i].port, ports[i]);
		assert_string_equal(out.v[i].address, "");
	}
	findings_release(&out);
	facts_release(f);
	free(f);
}

static void test_opts_init(void **state)
{
	struct judge_opts o;
	size_t i;

	(void)state;
	memset(&o, 0x5a, sizeof(o));
	judge_opts_init(&o);
	assert_int_equal(o.rrsig_margin_s, 3 * DAY);
	assert_int_equal(o.nsec3_insecure_iterations, 150);
	assert_int_equal(o.cert_margin_s, 14 * DAY);
	assert_int_equal(o.cert_critical_s, 3 * DAY);
	for (i = 0; i < FINDING_COUNT; i++) {
		assert_int_equal(o.severity[i], -1);
	}
	assert_int_equal(o.n_unsupported_algorithms, 3);
	assert_int_equal(o.unsupported_algorithms[0], 1);  /* RSAMD5 */
	assert_int_equal(o.unsupported_algorithms[1], 12); /* ECC-GOST */
	assert_int_equal(o.unsupported_algorithms[2], 16); /* ED448 */
}

/* RFC 8624 §3.1: which algorithm numbers count as weak for signing. */
static void test_weak_algorithms(void **state)
{
	static const struct {
		uint8_t alg;
		const char *name; /* NULL: not weak */
	} algs[] = {
		{1, "RSAMD5"},
		{3, "DSA"},
		{5, "RSASHA1"},
		{6, "DSA-NSEC3-SHA1"},
		{7, "RSASHA1-NSEC3-SHA1"},
		{8, NULL},
		{10, "RSASHA512"},
		{12, "ECC-GOST"},
		{13, NULL},
		{14, NULL},
		{15, NULL},
		{16, NULL},
		{253, NULL},
	};
	char want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		struct domain_facts *f = healthy();
		struct judge_opts o;
		struct findings out = {0};
		int at;

		judge_opts_init(&o);
		set_all_keys(f, algs[i].alg, algs[i].alg);
		assert_int_equal(judge_dns(f, NOW, &o, &out), 0);
		at = findings_find(&out, FINDING_DNSKEY_ALGORITHM_WEAK);
		if (algs[i].name == NULL) {
			assert_int_equal(at, -1);
		} else {
			assert_true(at >= 0);
			snprintf(want, sizeof(want), "%s (%u)", algs[i].name, algs[i].alg);
			assert_non_null(strstr(out.v[at].message, want));
			assert_int_equal(out.n, HEALTHY_SLOTS + 1);
		}
		findings_release(&out);
		facts_release(f);
		free(f);
	}
}

static void test_domain_dnssec(void **state)
{
	struct domain_facts *f = healthy();

	(void)state;
	assert_int_equal(judge_domain_dnssec(f), DNSSEC_SECURE);
	f->zone.soa.state = DNSSEC_BOGUS;
	f->services[0].rr.state = DNSSEC_INSECURE;
	assert_int_equal(judge_domain_dnssec(f), DNSSEC_BOGUS);
	f->zone_checked = false;
	assert_int_equal(judge_domain_dnssec(f), DNSSEC_INSECURE);
	f->services[0].enabled = false;
	assert_int_equal(judge_domain_dnssec(f), DNSSEC_SECURE);
	f->services[1].enabled = false;
	f->services[2].enabled = false;
	f->services[3].enabled = false;
	assert_int_equal(judge_domain_dnssec(f), DNSSEC_INDETERMINATE);
	facts_release(f);
	free(f);
}

/* Findings are appended; the same facts and time give the same findings. */
static void test_appends_and_repeats(void **state)
{
	struct domain_facts *f = healthy();
	struct judge_opts o;
	struct findings out = {0};
	size_t i;

	(void)state;
	judge_opts_init(&o);
	f->zone.ds_recs[0].digest_type = 1;
	assert_int_equal(findings_add(&out, FINDING_CERT_EXPIRED, SEVERITY_CRITICAL, "xmpp-client",
				      "xmpp.d.example.", 5222, "192.0.2.10", "from the TLS half"),
			 0);
	assert_int_equal(judge_dns(f, NOW, &o, &out), 0);
	assert_int_equal(judge_dns(f, NOW, &o, &out), 0);
	assert_int_equal(out.n, 1 + 2 * (HEALTHY_SLOTS + 1));
	assert_int_equal(out.v[0].code, FINDING_CERT_EXPIRED);
	for (i = 1; i <= HEALTHY_SLOTS + 1; i++) {
		assert_memory_equal(&out.v[i], &out.v[i + HEALTHY_SLOTS + 1], sizeof(out.v[i]));
	}
	findings_release(&out);
	facts_release(f);
	free(f);
}

/* Counts out of bounds are clamped, never followed past the arrays. */
static void test_counts_clamped(void **state)
{
	struct domain_facts *f = healthy();
	struct judge_opts o;
	struct findings out = {0};

	(void)state;
	judge_opts_init(&o);
	f->services[0].n_srv = FACTS_MAX_SRV + 5;
	f->n_endpoints = FACTS_MAX_ENDPOINTS + 10;
	f->endpoints[1].target = FACTS_MAX_TARGETS + 1; /* a broken index: skipped */
	o.n_unsupported_algorithms = 100;
	f->n_probes = FACTS_MAX_PROBES + 7;
	f->probes[P(0, 0)].endpoint = FACTS_MAX_ENDPOINTS + 1; /* skipped */
	probe_fail(&f->probes[P(0, 0)], PROBE_CONNECT_FAILED, "refused");
	probe_fail(&f->probes[P(1, 0)], PROBE_CONNECT_FAILED, "refused"); /* of endpoint 1 */
	f->probes[P(2, 0)].dane_record = FACTS_MAX_TLSA + 3;		  /* no DANE-EE match */
	f->probes[P(2, 0)].leaf.not_after = NOW + DAY;
	assert_int_equal(judge_check(f, NOW, &o, &out), 0);
	assert_int_equal(out.n, HEALTHY_SLOTS - 1 + 1);
	assert_int_equal(out.v[out.n - 1].code, FINDING_CERT_EXPIRING);
	assert_null(strstr(out.v[out.n - 1].message, "DANE-EE"));
	assert_int_equal(findings_worst(&out), SEVERITY_CRITICAL);
	findings_release(&out);
	facts_release(f);
	free(f);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_healthy_infos),	    cmocka_unit_test(test_opts_init),
		cmocka_unit_test(test_weak_algorithms),	    cmocka_unit_test(test_domain_dnssec),
		cmocka_unit_test(test_appends_and_repeats), cmocka_unit_test(test_counts_clamped),
	};
	enum {
		N_FIXED = sizeof(fixed) / sizeof(fixed[0]),
		N_ROWS = sizeof(rows) / sizeof(rows[0])
	};
	struct CMUnitTest tests[N_FIXED + N_ROWS];
	size_t i;

	memcpy(tests, fixed, sizeof(fixed));
	for (i = 0; i < N_ROWS; i++) {
		tests[N_FIXED + i] = (struct CMUnitTest){
			.name = rows[i].name,
			.test_func = test_row,
			.setup_func = fixture_setup,
			.teardown_func = fixture_teardown,
			.initial_state = (void *)&rows[i],
		};
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
