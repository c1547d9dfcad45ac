/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for checks/judge: a healthy domain yields only infos; each row
 * breaks one thing of it and names the exact findings it must produce.
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
	t->data = len > 0 ? calloc(1, len) : NULL;
	assert_true(len == 0 || t->data != NULL);
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

/*
 * d.example.: four services, each one SRV to xmpp.d.example. on its own
 * port, A and AAAA secure, one 3 1 1 TLSA per endpoint, a signed zone with
 * a matching DS and two consistent servers, signatures valid for 30 days.
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
	snprintf(t->a_addrs[0], sizeof(t->a_addrs[0]), "192.0.2.10");
	t->n_aaaa = 1;
	snprintf(t->aaaa_addrs[0], sizeof(t->aaaa_addrs[0]), "2001:db8::10");
	healthy_zone(f);
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
	assert_int_equal(judge_dns(fx->f, NOW, &fx->o, &fx->out), 0);
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
	assert_int_equal(judge_dns(f, NOW, &o, &out), 0);
	assert_int_equal(out.n, HEALTHY_SLOTS - 1);
	assert_int_equal(findings_worst(&out), SEVERITY_INFO);
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
