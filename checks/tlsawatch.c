/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLSA RRsets at a few owners as each authoritative server address serves
 * them: one authq per (server, owner), all in flight at once, one timer for
 * the whole watch. Answers are read by a pure function the unit tests drive.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "checks/authq.h"
#include "checks/dnsmsg.h"
#include "checks/tlsawatch.h"
#include "common/err.h"

void tlsawatch_init(struct tlsawatch_result *res)
{
	memset(res, 0, sizeof(*res));
}

int tlsawatch_add_owner(struct tlsawatch_result *res, const char *owner)
{
	ldns_rdf *name = dnsmsg_name_parse(owner);

	if (name == NULL) {
		return ERR_PARSE;
	}
	if (res->n_owners >= TLSAWATCH_MAX_OWNERS) {
		ldns_rdf_deep_free(name);
		return -E2BIG;
	}
	dnsmsg_name(name, res->owners[res->n_owners++]);
	ldns_rdf_deep_free(name);
	return 0;
}

int tlsawatch_add_server(struct tlsawatch_result *res, const char *name, const char *address)
{
	uint8_t buf[sizeof(struct in6_addr)];
	struct tlsawatch_server *s;
	size_t i;

	if (strlen(address) >= FACTS_ADDR_MAX ||
	    (inet_pton(AF_INET, address, buf) != 1 && inet_pton(AF_INET6, address, buf) != 1)) {
		return ERR_PARSE;
	}
	for (i = 0; i < res->n_servers; i++) {
		if (strcmp(res->servers[i].address, address) == 0) {
			return 0;
		}
	}
	if (res->n_servers >= FACTS_MAX_SERVERS) {
		return -E2BIG;
	}
	s = &res->servers[res->n_servers++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name != NULL ? name : "");
	snprintf(s->address, sizeof(s->address), "%s", address);
	return 0;
}

int tlsawatch_add_zone_servers(struct tlsawatch_result *res, const struct zone_facts *zone)
{
	size_t i;
	int r;

	for (i = 0; i < zone->n_servers; i++) {
		r = tlsawatch_add_server(res, zone->servers[i].name, zone->servers[i].address);
		if (r < 0) {
			return r;
		}
	}
	return (int)zone->n_servers;
}

static void answer_fail(struct tlsawatch_answer *a, enum lookup_status st, const char *detail)
{
	a->status = st;
	snprintf(a->detail, sizeof(a->detail), "%s", detail);
}

static int rec_cmp(const void *pa, const void *pb)
{
	const struct tlsawatch_rec *a = pa;
	const struct tlsawatch_rec *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c;

	if (a->usage != b->usage) {
		return a->usage < b->usage ? -1 : 1;
	}
	if (a->selector != b->selector) {
		return a->selector < b->selector ? -1 : 1;
	}
	if (a->mtype != b->mtype) {
		return a->mtype < b->mtype ? -1 : 1;
	}
	n = n < TLSAWATCH_DATA_MAX ? n : TLSAWATCH_DATA_MAX;
	c = memcmp(a->data, b->data, n);
	if (c != 0) {
		return c;
	}
	return a->len < b->len ? -1 : a->len > b->len;
}

/* One TLSA RR into rec; false if its RDATA is not the four fields of RFC 6698 §2.1. */
static bool rec_read(const ldns_rr *rr, struct tlsawatch_rec *rec)
{
	const ldns_rdf *f[4];
	size_t i;

	if (ldns_rr_rd_count(rr) != 4) {
		return false;
	}
	for (i = 0; i < 4; i++) {
		f[i] = ldns_rr_rdf(rr, i);
		if (f[i] == NULL || (i < 3 && ldns_rdf_size(f[i]) != 1)) {
			return false;
		}
	}
	memset(rec, 0, sizeof(*rec));
	rec->usage = ldns_rdf_data(f[0])[0];
	rec->selector = ldns_rdf_data(f[1])[0];
	rec->mtype = ldns_rdf_data(f[2])[0];
	/* An RR's RDATA is at most 65535 octets, so the length fits. */
	rec->len = (uint16_t)ldns_rdf_size(f[3]);
	rec->cut = rec->len > TLSAWATCH_DATA_MAX;
	memcpy(rec->data, ldns_rdf_data(f[3]), rec->cut ? TLSAWATCH_DATA_MAX : rec->len);
	return true;
}

/* The SOA of the authority section (the zone's, in a denial), if any. */
static void answer_soa(const ldns_pkt *pkt, struct tlsawatch_answer *a)
{
	const ldns_rr_list *auth = ldns_pkt_authority(pkt);
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		const ldns_rdf *serial;
		const ldns_rdf *minimum;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) != 7) {
			continue;
		}
		serial = ldns_rr_rdf(rr, 2);
		minimum = ldns_rr_rdf(rr, 6);
		if (ldns_rdf_size(serial) != 4 || ldns_rdf_size(minimum) != 4) {
			continue;
		}
		a->has_soa = true;
		a->serial = ldns_rdf2native_int32(serial);
		a->soa_minimum = ldns_rdf2native_int32(minimum);
		/* RFC 2308 §5: a denial is cached for the lesser of the SOA's TTL and MINIMUM. */
		a->neg_ttl = ldns_rr_ttl(rr) < a->soa_minimum ? ldns_rr_ttl(rr) : a->soa_minimum;
		return;
	}
}

/* The TLSA RRs at owner (after any CNAME) into a; false on ENOMEM or a malformed record. */
static bool answer_recs(const ldns_pkt *pkt, const ldns_rdf *qname, struct tlsawatch_answer *a)
{
	ldns_rdf *owner = dnsmsg_answer_owner(pkt, qname, LDNS_RR_TYPE_TLSA, &a->alias);
	ldns_rr_list *rrs = NULL;
	bool ok = false;
	size_t i;

	if (owner == NULL) {
		answer_fail(a, LOOKUP_ERROR, "CNAME chain too long");
		goto out;
	}
	rrs = dnsmsg_rrs(pkt, owner, LDNS_RR_TYPE_TLSA);
	if (rrs == NULL) {
		answer_fail(a, LOOKUP_ERROR, "out of memory");
		goto out;
	}
	a->n_found = ldns_rr_list_rr_count(rrs);
	for (i = 0; i < a->n_found; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (i == 0 || ldns_rr_ttl(rr) < a->ttl) {
			a->ttl = ldns_rr_ttl(rr);
		}
		if (a->n_recs == TLSAWATCH_MAX_RECS) {
			a->truncated = true;
			continue;
		}
		if (!rec_read(rr, &a->recs[a->n_recs])) {
			answer_fail(a, LOOKUP_ERROR, "malformed TLSA record");
			goto out;
		}
		a->n_recs++;
	}
	qsort(a->recs, a->n_recs, sizeof(a->recs[0]), rec_cmp);
	ok = true;
out:
	ldns_rr_list_free(rrs);
	ldns_rdf_deep_free(owner);
	return ok;
}

/* True if pkt's question is (owner, TLSA, IN): authq matches only the message id. */
static bool answer_question_is(const ldns_pkt *pkt, const ldns_rdf *qname)
{
	const ldns_rr_list *q = ldns_pkt_question(pkt);
	const ldns_rr *rr;

	if (ldns_rr_list_rr_count(q) != 1) {
		return false;
	}
	rr = ldns_rr_list_rr(q, 0);
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_TLSA &&
	       ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	       ldns_dname_compare(ldns_rr_owner(rr), qname) == 0;
}

void tlsawatch_answer_read(const char *owner, enum lookup_status status, const ldns_pkt *pkt,
			   struct tlsawatch_answer *ret)
{
	ldns_rdf *qname = NULL;
	char text[32];

	memset(ret, 0, sizeof(*ret));
	ret->rcode = pkt != NULL ? (int)ldns_pkt_get_rcode(pkt) : -1;
	if (pkt == NULL) {
		answer_fail(ret, status == LOOKUP_OK ? LOOKUP_ERROR : status,
			    status == LOOKUP_TIMEOUT ? "timeout" : "no usable response");
		goto out;
	}
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NXDOMAIN) {
		snprintf(text, sizeof(text), "rcode %d", ret->rcode);
		answer_fail(ret,
			    ret->rcode == LDNS_RCODE_SERVFAIL  ? LOOKUP_SERVFAIL
			    : ret->rcode == LDNS_RCODE_REFUSED ? LOOKUP_REFUSED
							       : LOOKUP_ERROR,
			    ret->rcode == LDNS_RCODE_SERVFAIL  ? "SERVFAIL"
			    : ret->rcode == LDNS_RCODE_REFUSED ? "REFUSED"
							       : text);
		goto out;
	}
	qname = dnsmsg_name_parse(owner);
	if (qname == NULL) {
		answer_fail(ret, LOOKUP_ERROR, "bad owner name");
		goto out;
	}
	if (!answer_question_is(pkt, qname)) {
		answer_fail(ret, LOOKUP_ERROR, "answer to another question");
		goto out;
	}
	if (ldns_pkt_tc(pkt)) {
		/* authq retries over TCP; a truncated answer left is incomplete. */
		answer_fail(ret, LOOKUP_ERROR, "truncated answer");
		goto out;
	}
	if (!ldns_pkt_aa(pkt)) {
		/* A referral or a cached answer: the server does not serve the zone itself. */
		answer_fail(ret, LOOKUP_ERROR, "not authoritative");
		goto out;
	}
	answer_soa(pkt, ret);
	if (!answer_recs(pkt, qname, ret)) {
		goto out;
	}
	if (ret->n_found > 0) {
		ret->status = LOOKUP_OK;
	} else if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN) {
		ret->status = LOOKUP_NXDOMAIN;
	} else {
		ret->status = LOOKUP_NODATA;
	}
	if (ret->status != LOOKUP_OK && !ret->has_soa) {
		answer_fail(ret, LOOKUP_ERROR, "denial without SOA");
	}
out:
	ldns_rdf_deep_free(qname);
}

void tlsawatch_answer_read_wire(const char *owner, const uint8_t *wire, size_t len,
				struct tlsawatch_answer *ret)
{
	ldns_pkt *pkt = NULL;

	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK) {
		memset(ret, 0, sizeof(*ret));
		ret->rcode = -1;
		answer_fail(ret, LOOKUP_ERROR, "malformed answer");
		return;
	}
	tlsawatch_answer_read(owner, LOOKUP_OK, pkt, ret);
	ldns_pkt_free(pkt);
}

void tlsawatch_server_summarize(const struct tlsawatch_result *res, struct tlsawatch_server *s)
{
	size_t i;

	s->answered = true;
	s->status = LOOKUP_OK;
	s->detail[0] = '\0';
	for (i = 0; i < res->n_owners; i++) {
		const struct tlsawatch_answer *a = &s->answers[i];

		if (a->status == LOOKUP_OK || a->status == LOOKUP_NXDOMAIN ||
		    a->status == LOOKUP_NODATA) {
			continue;
		}
		s->answered = false;
		s->status = a->status;
		snprintf(s->detail, sizeof(s->detail), "%s", a->detail);
		return;
	}
}

/* The loop */

struct tlsawatch_slot {
	struct tlsawatch *w;
	size_t server;
	size_t owner;
	struct authq *q; /* in flight, or NULL */
};

struct tlsawatch {
	struct tlsawatch_result *res;
	struct event *timer;
	int timeout_ms;
	size_t n_slots;
	size_t pending;
	tlsawatch_done_fn done;
	void *arg;
	struct tlsawatch_slot slots[FACTS_MAX_SERVERS * TLSAWATCH_MAX_OWNERS];
};

void tlsawatch_cancel(struct tlsawatch *w)
{
	size_t i;

	if (w == NULL) {
		return;
	}
	for (i = 0; i < w->n_slots; i++) {
		authq_cancel(w->slots[i].q);
	}
	if (w->timer != NULL) {
		event_free(w->timer);
	}
	free(w);
}

static void tlsawatch_finish(struct tlsawatch *w)
{
	struct tlsawatch_result *res = w->res;
	tlsawatch_done_fn done = w->done;
	void *arg = w->arg;
	size_t i;

	for (i = 0; i < res->n_servers; i++) {
		tlsawatch_server_summarize(res, &res->servers[i]);
	}
	tlsawatch_cancel(w);
	done(arg, res);
}

static void tlsawatch_on_answer(void *arg, enum lookup_status status, const ldns_pkt *pkt)
{
	struct tlsawatch_slot *slot = arg;
	struct tlsawatch *w = slot->w;

	slot->q = NULL; /* authq frees itself before calling back */
	tlsawatch_answer_read(w->res->owners[slot->owner], status, pkt,
			      &w->res->servers[slot->server].answers[slot->owner]);
	if (--w->pending == 0) {
		tlsawatch_finish(w);
	}
}

static void tlsawatch_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tlsawatch *w = arg;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < w->n_slots; i++) {
		struct tlsawatch_slot *slot = &w->slots[i];
		struct tlsawatch_answer *a;

		if (slot->q == NULL) {
			continue;
		}
		authq_cancel(slot->q);
		slot->q = NULL;
		a = &w->res->servers[slot->server].answers[slot->owner];
		memset(a, 0, sizeof(*a));
		a->rcode = -1;
		a->status = LOOKUP_TIMEOUT;
		snprintf(a->detail, sizeof(a->detail), "no answer within %d ms", w->timeout_ms);
	}
	tlsawatch_finish(w);
}

int tlsawatch_start(struct event_base *base, uint16_t port, int timeout_ms,
		    struct tlsawatch_result *res, tlsawatch_done_fn done, void *arg,
		    struct tlsawatch **ret)
{
	struct tlsawatch *w = calloc(1, sizeof(*w));
	struct timeval tv;
	size_t si;
	size_t oi;
	int r = -ENOMEM;

	if (w == NULL) {
		goto out;
	}
	w->res = res;
	w->done = done;
	w->arg = arg;
	w->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
	for (si = 0; si < res->n_servers; si++) {
		for (oi = 0; oi < res->n_owners; oi++) {
			struct tlsawatch_slot *slot = &w->slots[w->n_slots++];
			struct tlsawatch_answer *a = &res->servers[si].answers[oi];

			slot->w = w;
			slot->server = si;
			slot->owner = oi;
			memset(a, 0, sizeof(*a));
			a->rcode = -1;
			if (authq_send(base, res->servers[si].address, port, res->owners[oi],
				       LDNS_RR_TYPE_TLSA, tlsawatch_on_answer, slot,
				       &slot->q) < 0) {
				slot->q = NULL;
				answer_fail(a, LOOKUP_ERROR, "could not send the query");
				continue;
			}
			w->pending++;
		}
	}
	/* With nothing in flight the timer fires at once, so done always runs from the loop. */
	tv.tv_sec = w->pending > 0 ? w->timeout_ms / 1000 : 0;
	tv.tv_usec = w->pending > 0 ? (w->timeout_ms % 1000) * 1000 : 0;
	w->timer = evtimer_new(base, tlsawatch_on_timeout, w);
	if (w->timer == NULL || evtimer_add(w->timer, &tv) < 0) {
		goto out;
	}
	*ret = w;
	w = NULL;
	r = 0;
out:
	tlsawatch_cancel(w);
	return r;
}

static void tlsawatch_run_done(void *arg, struct tlsawatch_result *res)
{
	(void)res;
	*(bool *)arg = true;
}

int tlsawatch_run(uint16_t port, int timeout_ms, struct tlsawatch_result *res)
{
	struct event_base *base = event_base_new();
	struct tlsawatch *w = NULL;
	bool done = false;
	int r = -ENOMEM;

	if (base == NULL) {
		goto out;
	}
	r = tlsawatch_start(base, port, timeout_ms, res, tlsawatch_run_done, &done, &w);
	if (r < 0) {
		goto out;
	}
	while (!done && event_base_loop(base, EVLOOP_ONCE) == 0) {
	}
	r = done ? 0 : ERR_DNS;
out:
	if (!done) {
		tlsawatch_cancel(w);
	}
	if (base != NULL) {
		event_base_free(base);
	}
	return r;
}
