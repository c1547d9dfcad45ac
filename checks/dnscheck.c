/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Gathering for the DNS half of a check. Every lookup is a request with a
 * kind and an index into the facts; a counter of outstanding requests ends
 * the check. Lookups that depend on others (addresses after SRV, TLSA after
 * both, servers after NS) are started from the callbacks that make them
 * possible. Nothing here judges: it only records what it saw.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "checks/authq.h"
#include "checks/dnscheck.h"
#include "checks/dnsmsg.h"
#include "checks/probe.h"
#include "checks/resolver.h"
#include "common/err.h"

enum dnscheck_kind {
	REQ_SRV,	/* index: service */
	REQ_A,		/* index: target */
	REQ_AAAA,	/* index: target */
	REQ_TLSA,	/* index: endpoint */
	REQ_DOMAIN_SOA, /* finds the zone apex */
	REQ_APEX_SOA,
	REQ_DNSKEY,
	REQ_DS,
	REQ_NS,
	REQ_NS_A,	 /* index: NS name */
	REQ_NS_AAAA,	 /* index: NS name */
	AUTH_SOA,	 /* index: server */
	AUTH_DNSKEY,	 /* index: server */
	AUTH_NSEC3PARAM, /* index: server */
	PROBE,		 /* index: probe */
};

/*
 * The second key type asked for at one server port (target, port) beside the
 * leaf a first probe found there; see dnscheck_ask_rsa.
 */
struct dnscheck_rsa_ask {
	size_t target;
	uint16_t port;
	uint8_t leaf_sha256[CERT_SHA256_LEN];
	size_t probe; /* the RSA-only probe, or SIZE_MAX: the prober remembered the answer */
};

struct dnscheck {
	struct event_base *base;
	struct resolver *res;
	struct dnscheck_opts opts;
	struct domain_facts *facts;
	dnscheck_done_fn done;
	void *arg;
	unsigned pending;
	struct event *finish_ev;
	struct timespec started;
	unsigned addr_pending[FACTS_MAX_TARGETS]; /* A/AAAA lookups outstanding per target */
	size_t n_ns;
	char ns_names[FACTS_MAX_SERVERS][FACTS_NAME_MAX];
	ldns_rr_list *ds_rrs;	       /* deep copies, for matching DS to DNSKEY at the end */
	ldns_rr_list *dnskey_rrs;      /* from the resolver */
	ldns_rr_list *auth_dnskey_rrs; /* from the first server that had some */
	int failed;		       /* ENOMEM while gathering: the facts are incomplete */
	struct dnscheck_req *reqs;     /* outstanding */
	size_t n_rsa_asks;
	struct dnscheck_rsa_ask rsa_asks[FACTS_MAX_PROBES];
};

/*
 * An outstanding lookup. Requests are listed in their check, so a check
 * freed before it finished (its deadline passed) can cancel and free them.
 */
struct dnscheck_req {
	struct dnscheck *c;
	struct dnscheck_req *next;
	struct dnscheck_req *prev;
	struct authq *aq; /* a direct query in flight, or NULL */
	struct probe *pr; /* a probe in flight, or NULL */
	enum dnscheck_kind kind;
	size_t index;
};

static void dnscheck_release(struct dnscheck *c)
{
	if (c->pending == 0) {
		event_active(c->finish_ev, EV_TIMEOUT, 0);
	}
}

static struct dnscheck_req *dnscheck_req_new(struct dnscheck *c, enum dnscheck_kind kind,
					     size_t index)
{
	struct dnscheck_req *req = malloc(sizeof(*req));

	if (req == NULL) {
		c->failed = ENOMEM;
		return NULL;
	}
	req->c = c;
	req->aq = NULL;
	req->pr = NULL;
	req->kind = kind;
	req->index = index;
	req->prev = NULL;
	req->next = c->reqs;
	if (c->reqs != NULL) {
		c->reqs->prev = req;
	}
	c->reqs = req;
	c->pending++;
	return req;
}

/* Unlinks and frees a request whose lookup has ended. */
static void dnscheck_req_end(struct dnscheck_req *req)
{
	struct dnscheck *c = req->c;

	if (req->prev != NULL) {
		req->prev->next = req->next;
	} else {
		c->reqs = req->next;
	}
	if (req->next != NULL) {
		req->next->prev = req->prev;
	}
	c->pending--;
	free(req);
}

static void dnscheck_on_answer(void *arg, const struct resolver_answer *a);
static void dnscheck_on_auth(void *arg, enum lookup_status st, const ldns_pkt *pkt);

static void dnscheck_resolve(struct dnscheck *c, const char *name, uint16_t type,
			     enum dnscheck_kind kind, size_t index)
{
	struct dnscheck_req *req = dnscheck_req_new(c, kind, index);

	if (req == NULL) {
		return;
	}
	if (resolver_query(c->res, name, type, c->opts.now, dnscheck_on_answer, req) < 0) {
		c->failed = ENOMEM;
		dnscheck_req_end(req);
	}
}

static void dnscheck_ask_server(struct dnscheck *c, size_t server, uint16_t type,
				enum dnscheck_kind kind)
{
	struct dnscheck_req *req = dnscheck_req_new(c, kind, server);

	if (req == NULL) {
		return;
	}
	if (authq_send(c->base, c->facts->zone.servers[server].address, c->opts.auth_port,
		       c->facts->zone.apex, type, dnscheck_on_auth, req, &req->aq) < 0) {
		c->facts->zone.servers[server].status = LOOKUP_ERROR;
		dnscheck_req_end(req);
	}
}

/* --- services, targets, endpoints ----------------------------------------------------- */

static int dnscheck_srv_cmp(const void *a, const void *b)
{
	const struct srv_facts *x = a;
	const struct srv_facts *y = b;

	if (x->priority != y->priority) {
		return x->priority < y->priority ? -1 : 1;
	}
	return x->weight == y->weight ? 0 : x->weight > y->weight ? -1 : 1;
}

/* Index of the target named name, adding it (and its address lookups) if new; -1 if full. */
static int dnscheck_target(struct dnscheck *c, const char *name)
{
	struct domain_facts *f = c->facts;
	size_t i;

	for (i = 0; i < f->n_targets; i++) {
		if (strcasecmp(f->targets[i].name, name) == 0) {
			return (int)i;
		}
	}
	if (f->n_targets == FACTS_MAX_TARGETS) {
		f->targets_truncated = true;
		return -1;
	}
	i = f->n_targets++;
	snprintf(f->targets[i].name, FACTS_NAME_MAX, "%s", name);
	c->addr_pending[i] = 2;
	dnscheck_resolve(c, name, LDNS_RR_TYPE_A, REQ_A, i);
	dnscheck_resolve(c, name, LDNS_RR_TYPE_AAAA, REQ_AAAA, i);
	return (int)i;
}

/* RFC 7673: DANE applies where the SRV RRset (or its denial) and the addresses are secure. */
static bool dnscheck_dane_applies(const struct domain_facts *f, const struct endpoint_facts *e)
{
	const struct service_facts *s = &f->services[e->service];
	const struct target_facts *t = &f->targets[e->target];
	bool any = false;

	if (s->rr.state != DNSSEC_SECURE) {
		return false;
	}
	if (t->a.cname[0] != '\0' || t->aaaa.cname[0] != '\0') {
		return false;
	}
	if (t->a.status == LOOKUP_OK) {
		if (t->a.state != DNSSEC_SECURE) {
			return false;
		}
		any = true;
	}
	if (t->aaaa.status == LOOKUP_OK) {
		if (t->aaaa.state != DNSSEC_SECURE) {
			return false;
		}
		any = true;
	}
	return any;
}

static void dnscheck_on_probe(void *arg, struct probe_facts *out);

/* Starts one probe of an endpoint address; the facts slot is taken here. Its index, or -1. */
static int dnscheck_probe(struct dnscheck *c, size_t ei, const char *address, bool rsa_only)
{
	struct domain_facts *f = c->facts;
	struct endpoint_facts *e = &f->endpoints[ei];
	struct probe_request pr = {0};
	struct dnscheck_req *req;
	size_t pi;

	if (f->n_probes == FACTS_MAX_PROBES) {
		f->probes_truncated = true;
		return -1;
	}
	pi = f->n_probes++;
	f->probes[pi].endpoint = ei;
	req = dnscheck_req_new(c, PROBE, pi);
	if (req == NULL) {
		return -1;
	}
	pr.domain = f->domain;
	pr.service = e->service;
	pr.address = address;
	pr.port = e->port;
	pr.rsa_only = rsa_only;
	/* DANE only with a secure TLSA RRset (RFC 7673 §3); otherwise peers use PKIX. */
	pr.dane = e->dane_applies && e->tlsa.status == LOOKUP_OK &&
		  e->tlsa.state == DNSSEC_SECURE && e->n_tlsa > 0;
	pr.tlsa = e->tlsa_recs;
	pr.n_tlsa = e->n_tlsa;
	if (prober_start(c->opts.prober, &pr, &f->probes[pi], dnscheck_on_probe, req, &req->pr) <
	    0) {
		c->failed = ENOMEM;
		dnscheck_req_end(req);
		return -1;
	}
	return (int)pi;
}

/* Connects to every address of an endpoint once its DANE inputs are known. */
static void dnscheck_probe_endpoint(struct dnscheck *c, size_t ei)
{
	const struct target_facts *t = &c->facts->targets[c->facts->endpoints[ei].target];
	size_t k;

	if (c->opts.prober == NULL) {
		return;
	}
	c->facts->probed = true;
	for (k = 0; k < t->n_a; k++) {
		dnscheck_probe(c, ei, t->a_addrs[k], false);
	}
	for (k = 0; k < t->n_aaaa; k++) {
		dnscheck_probe(c, ei, t->aaaa_addrs[k], false);
	}
}

static int64_t dnscheck_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A first probe found a leaf other than RSA: the server may hold an RSA
 * certificate too, which only a client offering nothing but RSA signature
 * algorithms gets (issue #4, step 3). Asking costs a second connection, as
 * much work for the server as the first, so it is asked once per server port
 * (target, port) and leaf, not per address nor per service on that port: the
 * addresses of one target that present the same leaf are one deployment,
 * and where they differ (ENDPOINTS_DIFFER) each leaf gets its own question.
 * The price: nodes behind one name that share the first certificate but not
 * the RSA one are sampled at a single address. The answer is kept by the
 * probe of the first address to finish, so the report shows it there and the
 * judge reports it once per TLSA owner. And a server that said "no RSA
 * certificate" is not asked again by this prober for a while
 * (prober_rsa_absent). A setting to turn the question off would not earn
 * its place: what is left of its cost is one connection per server port in
 * a one-off check, and one per server port and hour in a long-running one.
 */
static void dnscheck_ask_rsa(struct dnscheck *c, const struct probe_facts *first)
{
	struct domain_facts *f = c->facts;
	const struct endpoint_facts *e = &f->endpoints[first->endpoint];
	struct dnscheck_rsa_ask *ask;
	size_t i;
	int pi;

	for (i = 0; i < c->n_rsa_asks; i++) {
		ask = &c->rsa_asks[i];
		if (ask->target == e->target && ask->port == e->port &&
		    memcmp(ask->leaf_sha256, first->leaf.sha256, CERT_SHA256_LEN) == 0) {
			return;
		}
	}
	if (c->n_rsa_asks == FACTS_MAX_PROBES) {
		return; /* as many as probes: the probes' bound is hit and reported already */
	}
	ask = &c->rsa_asks[c->n_rsa_asks];
	ask->target = e->target;
	ask->port = e->port;
	memcpy(ask->leaf_sha256, first->leaf.sha256, CERT_SHA256_LEN);
	ask->probe = SIZE_MAX;
	if (!prober_rsa_absent(c->opts.prober, f->domain, f->targets[e->target].name, e->port,
			       first->leaf.sha256, dnscheck_now_ms())) {
		pi = dnscheck_probe(c, first->endpoint, first->address, true);
		if (pi < 0) {
			return;
		}
		ask->probe = (size_t)pi;
	}
	c->n_rsa_asks++;
}

/*
 * The RSA-only probe ended: keep it only if it shows another leaf. A
 * definite no (the server's alert, or the same leaf again) is remembered;
 * a timeout or a lost connection is not an answer and is asked again.
 */
static void dnscheck_got_rsa(struct dnscheck *c, struct probe_facts *out)
{
	struct domain_facts *f = c->facts;
	const struct endpoint_facts *e = &f->endpoints[out->endpoint];
	const struct dnscheck_rsa_ask *ask = NULL;
	size_t i, pi = (size_t)(out - f->probes);
	bool same;

	for (i = 0; i < c->n_rsa_asks && ask == NULL; i++) {
		ask = c->rsa_asks[i].probe == pi ? &c->rsa_asks[i] : NULL;
	}
	same = ask != NULL && out->status == PROBE_OK && out->has_leaf &&
	       memcmp(out->leaf.sha256, ask->leaf_sha256, CERT_SHA256_LEN) == 0;
	if (ask != NULL && (same || (out->status == PROBE_TLS_FAILED && out->tls_alert))) {
		prober_rsa_note_absent(c->opts.prober, f->domain, f->targets[e->target].name,
				       e->port, ask->leaf_sha256, dnscheck_now_ms());
	}
	if (same || out->status != PROBE_OK || !out->has_leaf) {
		/* No RSA certificate there (or the same one): nothing to judge. */
		if (out->has_leaf) {
			cert_info_release(&out->leaf);
			out->has_leaf = false;
		}
		out->status = PROBE_NOT_DONE;
		snprintf(out->detail, sizeof(out->detail), "no other certificate for RSA");
	}
}

/* A probe ended; a first one may ask for the second key type. */
static void dnscheck_on_probe(void *arg, struct probe_facts *out)
{
	struct dnscheck_req *req = arg;
	struct dnscheck *c = req->c;

	req->pr = NULL; /* the prober frees its probe before calling back */
	if (out->rsa_only) {
		dnscheck_got_rsa(c, out);
	} else if (out->status == PROBE_OK && out->has_leaf &&
		   strcmp(out->leaf.key_type, "RSA") != 0) {
		dnscheck_ask_rsa(c, out);
	}
	dnscheck_req_end(req);
	dnscheck_release(c);
}

static void dnscheck_endpoint_ready(struct dnscheck *c, size_t ei)
{
	struct endpoint_facts *e = &c->facts->endpoints[ei];

	e->dane_applies = dnscheck_dane_applies(c->facts, e);
	if (e->dane_applies) {
		dnscheck_resolve(c, e->tlsa_owner, LDNS_RR_TYPE_TLSA, REQ_TLSA, ei);
	} else {
		dnscheck_probe_endpoint(c, ei);
	}
}

static void dnscheck_endpoint(struct dnscheck *c, enum xmpp_service s, const char *target,
			      uint16_t port)
{
	struct domain_facts *f = c->facts;
	struct endpoint_facts *e;
	int ti;

	if (f->n_endpoints == FACTS_MAX_ENDPOINTS) {
		f->endpoints_truncated = true;
		return;
	}
	ti = dnscheck_target(c, target);
	if (ti < 0) {
		return;
	}
	e = &f->endpoints[f->n_endpoints];
	e->service = s;
	e->target = (size_t)ti;
	e->port = port;
	snprintf(e->tlsa_owner, sizeof(e->tlsa_owner), "_%u._tcp.%s", port, target);
	f->n_endpoints++;
	if (c->addr_pending[ti] == 0) {
		dnscheck_endpoint_ready(c, f->n_endpoints - 1);
	}
}

/*
 * Keeps the FACTS_MAX_SRV best records in order (what peers try first): a
 * record better than the worst kept one replaces it and moves up.
 */
static void dnscheck_keep_srv(struct service_facts *sf, const struct srv_facts *rec)
{
	size_t i;

	if (sf->n_srv == FACTS_MAX_SRV) {
		if (dnscheck_srv_cmp(rec, &sf->srv[FACTS_MAX_SRV - 1]) >= 0) {
			return;
		}
		sf->n_srv--;
	}
	i = sf->n_srv++;
	while (i > 0 && dnscheck_srv_cmp(rec, &sf->srv[i - 1]) < 0) {
		sf->srv[i] = sf->srv[i - 1];
		i--;
	}
	sf->srv[i] = *rec;
}

static void dnscheck_got_srv(struct dnscheck *c, enum xmpp_service s,
			     const struct resolver_answer *a)
{
	struct service_facts *sf = &c->facts->services[s];
	ldns_rr_list *rrs = NULL;
	size_t i, n;

	sf->rr = *a->rr;
	if (a->owner != NULL) {
		rrs = dnsmsg_rrs(a->pkt, a->owner, LDNS_RR_TYPE_SRV);
	}
	n = rrs != NULL ? ldns_rr_list_rr_count(rrs) : 0;
	for (i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		struct srv_facts rec;

		if (ldns_rr_rd_count(rr) != 4) {
			continue;
		}
		rec.priority = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		rec.weight = ldns_rdf2native_int16(ldns_rr_rdf(rr, 1));
		rec.port = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
		dnsmsg_name(ldns_rr_rdf(rr, 3), rec.target);
		dnscheck_keep_srv(sf, &rec);
	}
	sf->rr.truncated = n > FACTS_MAX_SRV;
	ldns_rr_list_free(rrs);
	if (sf->n_srv == 1 && strcmp(sf->srv[0].target, ".") == 0) {
		sf->absent = true; /* RFC 2782: "decidedly not available" */
		return;
	}
	if (sf->rr.state == DNSSEC_BOGUS) {
		return; /* peers do not use a bogus RRset; the judge says so */
	}
	if (sf->rr.status == LOOKUP_OK) {
		for (i = 0; i < sf->n_srv; i++) {
			if (strcmp(sf->srv[i].target, ".") != 0) {
				dnscheck_endpoint(c, s, sf->srv[i].target, sf->srv[i].port);
			}
		}
	} else if ((sf->rr.status == LOOKUP_NXDOMAIN || sf->rr.status == LOOKUP_NODATA) &&
		   facts_service_default_port(s) != 0) {
		/* No SRV: clients fall back to the domain on the default port (RFC 6120 §3.2.2). */
		sf->fallback = true;
		dnscheck_endpoint(c, s, c->facts->domain, facts_service_default_port(s));
	}
}

static void dnscheck_got_address(struct dnscheck *c, size_t ti, bool v6,
				 const struct resolver_answer *a)
{
	struct target_facts *t = &c->facts->targets[ti];
	ldns_rr_list *rrs = NULL;
	size_t i, n;
	size_t *count = v6 ? &t->n_aaaa : &t->n_a;
	char(*addrs)[FACTS_ADDR_MAX] = v6 ? t->aaaa_addrs : t->a_addrs;

	*(v6 ? &t->aaaa : &t->a) = *a->rr;
	if (a->owner != NULL) {
		rrs = dnsmsg_rrs(a->pkt, a->owner, v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A);
	}
	n = rrs != NULL ? ldns_rr_list_rr_count(rrs) : 0;
	for (i = 0; i < n && *count < FACTS_MAX_ADDRS; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		char *text = ldns_rr_rd_count(rr) == 1 ? ldns_rdf2str(ldns_rr_rdf(rr, 0)) : NULL;

		if (text != NULL) {
			snprintf(addrs[(*count)++], FACTS_ADDR_MAX, "%s", text);
			LDNS_FREE(text);
		}
	}
	(v6 ? &t->aaaa : &t->a)->truncated = n > FACTS_MAX_ADDRS;
	ldns_rr_list_free(rrs);
	if (--c->addr_pending[ti] > 0) {
		return;
	}
	for (i = 0; i < c->facts->n_endpoints; i++) {
		if (c->facts->endpoints[i].target == ti) {
			dnscheck_endpoint_ready(c, i);
		}
	}
}

static void dnscheck_got_tlsa(struct dnscheck *c, size_t ei, const struct resolver_answer *a)
{
	struct endpoint_facts *e = &c->facts->endpoints[ei];
	ldns_rr_list *rrs = NULL;
	size_t i, n;

	e->tlsa = *a->rr;
	if (a->owner != NULL) {
		rrs = dnsmsg_rrs(a->pkt, a->owner, LDNS_RR_TYPE_TLSA);
	}
	n = rrs != NULL ? ldns_rr_list_rr_count(rrs) : 0;
	for (i = 0; i < n && e->n_tlsa < FACTS_MAX_TLSA; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		struct tlsa_facts *t = &e->tlsa_recs[e->n_tlsa];
		ldns_rdf *data;

		if (ldns_rr_rd_count(rr) != 4) {
			continue;
		}
		data = ldns_rr_rdf(rr, 3);
		t->usage = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
		t->selector = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
		t->mtype = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		t->len = ldns_rdf_size(data);
		t->data = malloc(t->len ? t->len : 1);
		if (t->data == NULL) {
			c->failed = ENOMEM;
			break;
		}
		memcpy(t->data, ldns_rdf_data(data), t->len);
		e->n_tlsa++;
	}
	e->tlsa.truncated = n > FACTS_MAX_TLSA;
	ldns_rr_list_free(rrs);
	dnscheck_probe_endpoint(c, ei);
}

/* --- zone health --------------------------------------------------------------------- */

static void dnscheck_zone_start(struct dnscheck *c)
{
	const char *apex = c->facts->zone.apex;

	dnscheck_resolve(c, apex, LDNS_RR_TYPE_DNSKEY, REQ_DNSKEY, 0);
	dnscheck_resolve(c, apex, LDNS_RR_TYPE_DS, REQ_DS, 0);
	dnscheck_resolve(c, apex, LDNS_RR_TYPE_NS, REQ_NS, 0);
}

/* The owner of the SOA in the authority section of a denial: the zone apex. */
static bool dnscheck_authority_apex(const ldns_pkt *pkt, char out[FACTS_NAME_MAX])
{
	const ldns_rr_list *auth = pkt != NULL ? ldns_pkt_authority(pkt) : NULL;
	size_t i;

	for (i = 0; auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		if (ldns_rr_get_type(ldns_rr_list_rr(auth, i)) == LDNS_RR_TYPE_SOA) {
			dnsmsg_name(ldns_rr_owner(ldns_rr_list_rr(auth, i)), out);
			return true;
		}
	}
	return false;
}

static void dnscheck_got_domain_soa(struct dnscheck *c, const struct resolver_answer *a)
{
	struct zone_facts *z = &c->facts->zone;

	if (a->rr->status == LOOKUP_OK && a->rr->cname[0] == '\0') {
		snprintf(z->apex, sizeof(z->apex), "%s", c->facts->domain);
		z->soa = *a->rr;
		dnscheck_zone_start(c);
		return;
	}
	if ((a->rr->status == LOOKUP_NODATA || a->rr->status == LOOKUP_NXDOMAIN) &&
	    dnscheck_authority_apex(a->pkt, z->apex)) {
		dnscheck_resolve(c, z->apex, LDNS_RR_TYPE_SOA, REQ_APEX_SOA, 0);
		dnscheck_zone_start(c);
		return;
	}
	z->soa = *a->rr; /* the zone could not be found: the judge reports the lookup */
}

/* A deep copy of the records of type at the answer's owner, for later matching. */
static ldns_rr_list *dnscheck_keep(const struct resolver_answer *a, ldns_rr_type type)
{
	ldns_rr_list *shallow;
	ldns_rr_list *copy;

	if (a->owner == NULL) {
		return NULL;
	}
	shallow = dnsmsg_rrs(a->pkt, a->owner, type);
	copy = shallow != NULL ? ldns_rr_list_clone(shallow) : NULL;
	ldns_rr_list_free(shallow);
	return copy;
}

static void dnscheck_fill_dnskeys(const ldns_rr_list *rrs, struct dnskey_facts *out, size_t *n_out)
{
	size_t i;

	*n_out = 0;
	for (i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs) && *n_out < FACTS_MAX_DNSKEY;
	     i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(rr) != 4) {
			continue;
		}
		out[*n_out].flags = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		out[*n_out].protocol = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
		out[*n_out].algorithm = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		out[*n_out].key_tag = ldns_calc_keytag(rr);
		(*n_out)++;
	}
}

static int dnscheck_dnskey_cmp(const void *a, const void *b)
{
	const struct dnskey_facts *x = a;
	const struct dnskey_facts *y = b;

	if (x->key_tag != y->key_tag) {
		return x->key_tag < y->key_tag ? -1 : 1;
	}
	if (x->algorithm != y->algorithm) {
		return x->algorithm < y->algorithm ? -1 : 1;
	}
	return x->flags == y->flags ? 0 : x->flags < y->flags ? -1 : 1;
}

static void dnscheck_got_ns(struct dnscheck *c, const struct resolver_answer *a)
{
	ldns_rr_list *rrs = a->owner != NULL ? dnsmsg_rrs(a->pkt, a->owner, LDNS_RR_TYPE_NS) : NULL;
	size_t i, n = rrs != NULL ? ldns_rr_list_rr_count(rrs) : 0;

	c->facts->zone.ns = *a->rr;
	for (i = 0; i < n && c->n_ns < FACTS_MAX_SERVERS; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (ldns_rr_rd_count(rr) != 1) {
			continue;
		}
		dnsmsg_name(ldns_rr_rdf(rr, 0), c->ns_names[c->n_ns]);
		dnscheck_resolve(c, c->ns_names[c->n_ns], LDNS_RR_TYPE_A, REQ_NS_A, c->n_ns);
		dnscheck_resolve(c, c->ns_names[c->n_ns], LDNS_RR_TYPE_AAAA, REQ_NS_AAAA, c->n_ns);
		c->n_ns++;
	}
	c->facts->zone.ns.truncated = n > FACTS_MAX_SERVERS;
	ldns_rr_list_free(rrs);
}

static void dnscheck_got_ns_address(struct dnscheck *c, size_t ni, const struct resolver_answer *a,
				    ldns_rr_type type)
{
	struct zone_facts *z = &c->facts->zone;
	ldns_rr_list *rrs = a->owner != NULL ? dnsmsg_rrs(a->pkt, a->owner, type) : NULL;
	size_t i, n = rrs != NULL ? ldns_rr_list_rr_count(rrs) : 0;

	for (i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		struct server_facts *s;
		char *text;

		if (z->n_servers == FACTS_MAX_SERVERS) {
			z->servers_truncated = true;
			break;
		}
		text = ldns_rr_rd_count(rr) == 1 ? ldns_rdf2str(ldns_rr_rdf(rr, 0)) : NULL;
		if (text == NULL) {
			continue;
		}
		s = &z->servers[z->n_servers];
		snprintf(s->name, sizeof(s->name), "%s", c->ns_names[ni]);
		snprintf(s->address, sizeof(s->address), "%s", text);
		LDNS_FREE(text);
		dnscheck_ask_server(c, z->n_servers, LDNS_RR_TYPE_SOA, AUTH_SOA);
		dnscheck_ask_server(c, z->n_servers, LDNS_RR_TYPE_DNSKEY, AUTH_DNSKEY);
		dnscheck_ask_server(c, z->n_servers, LDNS_RR_TYPE_NSEC3PARAM, AUTH_NSEC3PARAM);
		z->n_servers++;
	}
	ldns_rr_list_free(rrs);
}

static void dnscheck_on_answer(void *arg, const struct resolver_answer *a)
{
	struct dnscheck_req *req = arg;
	struct dnscheck *c = req->c;
	struct zone_facts *z = &c->facts->zone;

	switch (req->kind) {
	case REQ_SRV:
		dnscheck_got_srv(c, (enum xmpp_service)req->index, a);
		break;
	case REQ_A:
	case REQ_AAAA:
		dnscheck_got_address(c, req->index, req->kind == REQ_AAAA, a);
		break;
	case REQ_TLSA:
		dnscheck_got_tlsa(c, req->index, a);
		break;
	case REQ_DOMAIN_SOA:
		dnscheck_got_domain_soa(c, a);
		break;
	case REQ_APEX_SOA:
		z->soa = *a->rr;
		break;
	case REQ_DNSKEY:
		z->dnskey = *a->rr;
		c->dnskey_rrs = dnscheck_keep(a, LDNS_RR_TYPE_DNSKEY);
		break;
	case REQ_DS:
		z->ds = *a->rr;
		c->ds_rrs = dnscheck_keep(a, LDNS_RR_TYPE_DS);
		break;
	case REQ_NS:
		dnscheck_got_ns(c, a);
		break;
	case REQ_NS_A:
	case REQ_NS_AAAA:
		dnscheck_got_ns_address(c, req->index, a,
					req->kind == REQ_NS_A ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA);
		break;
	default:
		break;
	}
	dnscheck_req_end(req);
	dnscheck_release(c);
}

/* --- direct answers of the authoritative servers -------------------------------------- */

static ldns_rdf *dnscheck_apex_rdf(const struct dnscheck *c)
{
	return dnsmsg_name_parse(c->facts->zone.apex);
}

static void dnscheck_got_auth_soa(struct dnscheck *c, struct server_facts *s, const ldns_pkt *pkt,
				  const ldns_rdf *apex)
{
	ldns_rr_list *rrs = dnsmsg_rrs(pkt, apex, LDNS_RR_TYPE_SOA);

	s->authoritative = ldns_pkt_aa(pkt);
	if (rrs != NULL && ldns_rr_list_rr_count(rrs) > 0 &&
	    ldns_rr_rd_count(ldns_rr_list_rr(rrs, 0)) == 7) {
		s->serial = ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(rrs, 0), 2));
	} else {
		s->authoritative = false; /* no SOA for its own zone: not serving it */
	}
	s->soa_sig_expiration = dnsmsg_sig_expiration(pkt, apex, LDNS_RR_TYPE_SOA, c->opts.now);
	ldns_rr_list_free(rrs);
}

static void dnscheck_got_auth_dnskey(struct dnscheck *c, size_t si, const ldns_pkt *pkt,
				     const ldns_rdf *apex)
{
	struct server_facts *s = &c->facts->zone.servers[si];
	ldns_rr_list *rrs = dnsmsg_rrs(pkt, apex, LDNS_RR_TYPE_DNSKEY);

	dnscheck_fill_dnskeys(rrs, s->dnskeys, &s->n_dnskey);
	qsort(s->dnskeys, s->n_dnskey, sizeof(s->dnskeys[0]), dnscheck_dnskey_cmp);
	s->dnskey_sig_expiration = dnsmsg_sig_expiration(pkt, apex, LDNS_RR_TYPE_DNSKEY,
							 c->opts.now);
	if (c->auth_dnskey_rrs == NULL && rrs != NULL && ldns_rr_list_rr_count(rrs) > 0) {
		c->auth_dnskey_rrs = ldns_rr_list_clone(rrs); /* if the resolver gets none */
	}
	ldns_rr_list_free(rrs);
}

static void dnscheck_got_auth_nsec3param(struct server_facts *s, const ldns_pkt *pkt,
					 const ldns_rdf *apex)
{
	ldns_rr_list *rrs = dnsmsg_rrs(pkt, apex, LDNS_RR_TYPE_NSEC3PARAM);

	if (rrs != NULL && ldns_rr_list_rr_count(rrs) > 0 &&
	    ldns_rr_rd_count(ldns_rr_list_rr(rrs, 0)) == 4) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, 0);
		ldns_rdf *salt = ldns_rr_rdf(rr, 3);

		s->has_nsec3param = true;
		s->nsec3_iterations = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
		/* NSEC3 salt wire form: one length octet, then the salt. */
		s->nsec3_salt_len = ldns_rdf_size(salt) > 0 ? ldns_rdf_data(salt)[0] : 0;
	}
	ldns_rr_list_free(rrs);
}

static void dnscheck_on_auth(void *arg, enum lookup_status st, const ldns_pkt *pkt)
{
	struct dnscheck_req *req = arg;
	struct dnscheck *c = req->c;
	struct server_facts *s = &c->facts->zone.servers[req->index];
	ldns_rdf *apex = dnscheck_apex_rdf(c);

	req->aq = NULL; /* authq frees itself before calling back */
	if (st != LOOKUP_OK || pkt == NULL || apex == NULL) {
		/* The worst outcome of a server's queries is its status. */
		if (s->status == LOOKUP_NOT_DONE || s->status == LOOKUP_OK) {
			s->status = st != LOOKUP_OK ? st : LOOKUP_ERROR;
		}
	} else if (req->kind == AUTH_SOA) {
		if (s->status == LOOKUP_NOT_DONE) {
			s->status = LOOKUP_OK;
		}
		dnscheck_got_auth_soa(c, s, pkt, apex);
	} else if (req->kind == AUTH_DNSKEY) {
		dnscheck_got_auth_dnskey(c, req->index, pkt, apex);
	} else {
		dnscheck_got_auth_nsec3param(s, pkt, apex);
	}
	ldns_rdf_deep_free(apex);
	dnscheck_req_end(req);
	dnscheck_release(c);
}

/* --- the end ------------------------------------------------------------------------- */

/* Which DS matches which DNSKEY (ldns computes the digest of each key). */
static void dnscheck_match_ds(struct dnscheck *c)
{
	struct zone_facts *z = &c->facts->zone;
	const ldns_rr_list *keys = c->dnskey_rrs;
	size_t i, k;

	if (keys == NULL || ldns_rr_list_rr_count(keys) == 0) {
		keys = c->auth_dnskey_rrs;
	}
	dnscheck_fill_dnskeys(keys, z->dnskeys, &z->n_dnskey);
	z->n_ds = 0;
	for (i = 0; c->ds_rrs != NULL && i < ldns_rr_list_rr_count(c->ds_rrs); i++) {
		ldns_rr *ds = ldns_rr_list_rr(c->ds_rrs, i);
		struct ds_facts *d;

		if (z->n_ds == FACTS_MAX_DS) {
			z->ds.truncated = true;
			break;
		}
		if (ldns_rr_rd_count(ds) != 4) {
			continue;
		}
		d = &z->ds_recs[z->n_ds++];
		d->key_tag = ldns_rdf2native_int16(ldns_rr_rdf(ds, 0));
		d->algorithm = ldns_rdf2native_int8(ldns_rr_rdf(ds, 1));
		d->digest_type = ldns_rdf2native_int8(ldns_rr_rdf(ds, 2));
		d->key_index = -1;
		for (k = 0; k < z->n_dnskey && k < ldns_rr_list_rr_count(keys); k++) {
			if (ldns_rr_compare_ds(ds, ldns_rr_list_rr(keys, k))) {
				d->key_index = (int)k;
				break;
			}
		}
	}
}

static void dnscheck_on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct dnscheck *c = arg;
	struct timespec end;

	(void)fd;
	(void)what;
	if (c->opts.zone_health) {
		dnscheck_match_ds(c);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	c->facts->duration_s = (double)(end.tv_sec - c->started.tv_sec) +
			       (double)(end.tv_nsec - c->started.tv_nsec) / 1e9;
	c->done(c->arg, c, c->facts);
}

int dnscheck_start(struct event_base *base, struct resolver *res, const char *domain,
		   const struct dnscheck_opts *o, dnscheck_done_fn done, void *arg,
		   struct dnscheck **ret)
{
	struct dnscheck *c = NULL;
	ldns_rdf *name = dnsmsg_name_parse(domain);
	int s;
	int r = ERR_PARSE;

	if (name == NULL) {
		goto out;
	}
	r = -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->facts = calloc(1, sizeof(*c->facts))) == NULL) {
		goto out;
	}
	c->finish_ev = event_new(base, -1, 0, dnscheck_on_finish, c);
	if (c->finish_ev == NULL) {
		goto out;
	}
	c->base = base;
	c->res = res;
	c->opts = *o;
	c->done = done;
	c->arg = arg;
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	dnsmsg_name(name, c->facts->domain);
	c->facts->checked_at = o->now;
	c->facts->zone_checked = o->zone_health;
	c->pending = 1; /* held until every first lookup is queued */
	for (s = 0; s < SERVICE_COUNT; s++) {
		char owner[FACTS_NAME_MAX + 32];

		if (!(o->services & (1u << s))) {
			continue;
		}
		c->facts->services[s].enabled = true;
		snprintf(owner, sizeof(owner), "%s.%s", facts_service_label(s), c->facts->domain);
		dnscheck_resolve(c, owner, LDNS_RR_TYPE_SRV, REQ_SRV, (size_t)s);
	}
	if (o->zone_health) {
		dnscheck_resolve(c, c->facts->domain, LDNS_RR_TYPE_SOA, REQ_DOMAIN_SOA, 0);
	}
	c->pending--;
	dnscheck_release(c);
	*ret = c;
	c = NULL;
	r = 0;
out:
	ldns_rdf_deep_free(name);
	dnscheck_free(c);
	return r;
}

void dnscheck_free(struct dnscheck *c)
{
	struct dnscheck_req *req;

	if (c == NULL) {
		return;
	}
	/* A check stopped early: its resolver lookups were cancelled with the resolver. */
	while ((req = c->reqs) != NULL) {
		authq_cancel(req->aq);
		probe_cancel(req->pr);
		dnscheck_req_end(req);
	}
	if (c->finish_ev != NULL) {
		event_free(c->finish_ev);
	}
	if (c->facts != NULL) {
		facts_release(c->facts);
		free(c->facts);
	}
	ldns_rr_list_deep_free(c->ds_rrs);
	ldns_rr_list_deep_free(c->dnskey_rrs);
	ldns_rr_list_deep_free(c->auth_dnskey_rrs);
	free(c);
}

/* RFC 1123 §2.1 host name labels: letters, digits, inner hyphens, up to 63 octets. */
static bool dnscheck_label_is_ldh(const char *label, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-') {
		return false;
	}
	for (i = 0; i < len; i++) {
		char ch = label[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-')) {
			return false;
		}
	}
	return true;
}

bool dnscheck_name_is_valid(const char *text)
{
	size_t len = strlen(text);
	const char *label = text;
	const char *dot;

	/* An XMPP domain is a host name (RFC 7622 §3.2): LDH labels, A-labels for IDNs. */
	if (len > 0 && text[len - 1] == '.') {
		len--;
	}
	if (len == 0 || len > 253) {
		return false;
	}
	while ((dot = memchr(label, '.', len - (size_t)(label - text))) != NULL) {
		if (!dnscheck_label_is_ldh(label, (size_t)(dot - label))) {
			return false;
		}
		label = dot + 1;
	}
	return dnscheck_label_is_ldh(label, len - (size_t)(label - text));
}
