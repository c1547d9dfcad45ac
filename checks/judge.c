/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The judge: gathered facts and the time in, findings out. One function per
 * rule family of DESIGN.md's catalog. The DNS half follows RFC 7673 §3 for
 * what a peer does with a failed, bogus or insecure answer; the endpoint half
 * reads what each probe met (connection, TLS, the leaf against TLSA, names
 * and PKIX) and says which kinds of peers accept it. Gathering is elsewhere.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/identity.h"
#include "checks/judge.h"
#include "common/timefmt.h"

/* An SRV owner, "_xmpps-server._tcp." + the domain. */
#define JUDGE_OWNER_MAX (FACTS_NAME_MAX + 24)
/* A list inside a message stops here, leaving room for what to do. */
#define JUDGE_LIST_MAX 240
/* The catalog's severity, before any override of the config. */
#define JUDGE_DEFAULT (-1)

/* DNSKEY flags (RFC 4034 §2.1.1, RFC 5011 §7). */
#define JUDGE_FLAG_SEP	  0x0001
#define JUDGE_FLAG_REVOKE 0x0080

/*
 * DNSKEY algorithms by number (IANA registry, mnemonics of RFC 8624). weak:
 * RFC 8624 §3.1 says MUST NOT or NOT RECOMMENDED for signing.
 */
static const struct {
	uint8_t number;
	const char *mnemonic;
	bool weak;
} judge_algorithms[] = {
	{1, "RSAMD5", true},
	{3, "DSA", true},
	{5, "RSASHA1", true},
	{6, "DSA-NSEC3-SHA1", true},
	{7, "RSASHA1-NSEC3-SHA1", true},
	{8, "RSASHA256", false},
	{10, "RSASHA512", true},
	{12, "ECC-GOST", true},
	{13, "ECDSAP256SHA256", false},
	{14, "ECDSAP384SHA384", false},
	{15, "ED25519", false},
	{16, "ED448", false},
};

/* Who a finding is about; NULL and 0 mean "not applicable". */
struct judge_subject {
	const char *service;
	const char *target;
	uint16_t port;
	const char *address;
};

struct judge_run {
	const struct domain_facts *f;
	int64_t now;
	const struct judge_opts *o;
	struct findings *out;
	int err; /* the first failure; once set, nothing more is added */
	char srv_owner[SERVICE_COUNT][JUDGE_OWNER_MAX];
};

/* A bounded list for a message; a cut list ends in "...". */
struct judge_list {
	char s[JUDGE_LIST_MAX];
	size_t len;
	size_t n; /* items added, including those cut */
	bool cut;
};

/* The set of DNSKEY algorithms a zone is signed with. */
struct judge_algset {
	bool has[256];
	size_t n;
};

enum judge_sigtype {
	JUDGE_SIG_SOA,
	JUDGE_SIG_DNSKEY,
	JUDGE_SIG_SRV,
	JUDGE_SIG_A,
	JUDGE_SIG_AAAA,
	JUDGE_SIG_TLSA,
	JUDGE_SIG_COUNT
};

static const char *const judge_sigtype_names[JUDGE_SIG_COUNT] = {
	[JUDGE_SIG_SOA] = "SOA", [JUDGE_SIG_DNSKEY] = "DNSKEY", [JUDGE_SIG_SRV] = "SRV",
	[JUDGE_SIG_A] = "A",	 [JUDGE_SIG_AAAA] = "AAAA",	[JUDGE_SIG_TLSA] = "TLSA",
};

/* The soonest RRSIG expiry within the margin among the RRsets of one type. */
struct judge_expiry {
	size_t n; /* RRsets of the type within the margin */
	int64_t soonest;
	const char *owner;
	const char *server; /* the NS name when it is one server's copy */
	struct judge_subject subject;
};

void judge_opts_init(struct judge_opts *o)
{
	/*
	 * What Debian's libunbound (nettle) cannot verify, so a zone signed only
	 * with them validates as insecure (NOTES.md): ED448, ECC-GOST, and
	 * RSAMD5, which unbound refuses outright (RFC 6725).
	 */
	static const uint8_t unsupported[] = {1, 12, 16};
	size_t i;

	memset(o, 0, sizeof(*o));
	o->rrsig_margin_s = JUDGE_RRSIG_MARGIN_S;
	o->nsec3_insecure_iterations = JUDGE_NSEC3_INSECURE_ITERATIONS;
	o->cert_margin_s = JUDGE_CERT_MARGIN_S;
	o->cert_critical_s = JUDGE_CERT_CRITICAL_S;
	for (i = 0; i < FINDING_COUNT; i++) {
		o->severity[i] = -1;
	}
	memcpy(o->unsupported_algorithms, unsupported, sizeof(unsupported));
	o->n_unsupported_algorithms = sizeof(unsupported);
}

enum dnssec_state judge_domain_dnssec(const struct domain_facts *f)
{
	int s;

	if (f->zone_checked) {
		return f->zone.soa.state;
	}
	for (s = 0; s < SERVICE_COUNT; s++) {
		if (f->services[s].enabled) {
			return f->services[s].rr.state;
		}
	}
	return DNSSEC_INDETERMINATE;
}

/* Helpers on facts */

static size_t judge_clamp(size_t n, size_t max)
{
	return n < max ? n : max;
}

static bool judge_is_failed(enum lookup_status s)
{
	return s == LOOKUP_SERVFAIL || s == LOOKUP_REFUSED || s == LOOKUP_TIMEOUT ||
	       s == LOOKUP_ERROR;
}

static bool judge_is_absent(enum lookup_status s)
{
	return s == LOOKUP_NXDOMAIN || s == LOOKUP_NODATA;
}

/* No records, and the denial did not fail validation (that is DNSSEC_BOGUS). */
static bool judge_rr_absent(const struct rrset_facts *rr)
{
	return judge_is_absent(rr->status) && rr->state != DNSSEC_BOGUS;
}

/* Records found, and they did not fail validation. */
static bool judge_rr_found(const struct rrset_facts *rr)
{
	return rr->status == LOOKUP_OK && rr->state != DNSSEC_BOGUS;
}

static const char *judge_zone_name(const struct domain_facts *f)
{
	return f->zone.apex[0] != '\0' ? f->zone.apex : f->domain;
}

/* The length of name without its trailing dot, for "host:port" and command lines. */
static int judge_host_len(const char *name)
{
	size_t len = strlen(name);

	return (int)(len > 1 && name[len - 1] == '.' ? len - 1 : len);
}

static bool judge_endpoint_on(const struct domain_facts *f, const struct endpoint_facts *e)
{
	return (int)e->service >= 0 && e->service < SERVICE_COUNT &&
	       f->services[e->service].enabled &&
	       e->target < judge_clamp(f->n_targets, FACTS_MAX_TARGETS);
}

/*
 * Whether an enabled service's SRV records name the host (names compare
 * without case, RFC 4343); with secure_only, only a secure SRV RRset counts.
 */
static bool judge_srv_names(const struct domain_facts *f, const char *name, bool secure_only)
{
	size_t i, n;
	int s;

	for (s = 0; s < SERVICE_COUNT; s++) {
		const struct service_facts *svc = &f->services[s];

		if (!svc->enabled || svc->absent || !judge_rr_found(&svc->rr) ||
		    (secure_only && svc->rr.state != DNSSEC_SECURE)) {
			continue;
		}
		n = judge_clamp(svc->n_srv, FACTS_MAX_SRV);
		for (i = 0; i < n; i++) {
			if (strcasecmp(svc->srv[i].target, name) == 0) {
				return true;
			}
		}
	}
	return false;
}

/* Whether peers of an enabled service use target t (an SRV names it, or an endpoint). */
static bool judge_target_used(const struct domain_facts *f, size_t t)
{
	size_t i, n = judge_clamp(f->n_endpoints, FACTS_MAX_ENDPOINTS);

	for (i = 0; i < n; i++) {
		if (judge_endpoint_on(f, &f->endpoints[i]) && f->endpoints[i].target == t) {
			return true;
		}
	}
	return judge_srv_names(f, f->targets[t].name, false);
}

static bool judge_server_serves(const struct server_facts *s)
{
	return s->status == LOOKUP_OK && s->authoritative;
}

/* The zone's algorithms: its DNSKEY RRset, else whatever its servers serve. */
static void judge_algset_fill(const struct domain_facts *f, struct judge_algset *set)
{
	const struct zone_facts *z = &f->zone;
	size_t i, j, n;

	memset(set, 0, sizeof(*set));
	for (i = 0; i < judge_clamp(z->n_dnskey, FACTS_MAX_DNSKEY); i++) {
		set->has[z->dnskeys[i].algorithm] = true;
	}
	for (i = 0; z->n_dnskey == 0 && i < judge_clamp(z->n_servers, FACTS_MAX_SERVERS); i++) {
		n = judge_clamp(z->servers[i].n_dnskey, FACTS_MAX_DNSKEY);
		for (j = 0; j < n; j++) {
			set->has[z->servers[i].dnskeys[j].algorithm] = true;
		}
	}
	for (i = 0; i < 256; i++) {
		set->n += set->has[i];
	}
}

static const char *judge_algorithm_name(unsigned alg)
{
	size_t i;

	for (i = 0; i < sizeof(judge_algorithms) / sizeof(judge_algorithms[0]); i++) {
		if (judge_algorithms[i].number == alg) {
			return judge_algorithms[i].mnemonic;
		}
	}
	return "unknown";
}

static bool judge_algorithm_is_weak(unsigned alg)
{
	size_t i;

	for (i = 0; i < sizeof(judge_algorithms) / sizeof(judge_algorithms[0]); i++) {
		if (judge_algorithms[i].number == alg) {
			return judge_algorithms[i].weak;
		}
	}
	return false;
}

static bool judge_algorithm_is_unsupported(const struct judge_opts *o, unsigned alg)
{
	size_t i, n = judge_clamp(o->n_unsupported_algorithms, sizeof(o->unsupported_algorithms));

	for (i = 0; i < n; i++) {
		if (o->unsupported_algorithms[i] == alg) {
			return true;
		}
	}
	return false;
}

/* Text */

static void judge_list_add(struct judge_list *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void judge_list_add(struct judge_list *l, const char *fmt, ...)
{
	/* Room kept for ", ..." and the NUL. */
	const size_t cap = sizeof(l->s) - 6;
	char item[JUDGE_LIST_MAX];
	size_t sep = l->n > 0 ? 2 : 0, len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	l->n++;
	if (l->cut) {
		return;
	}
	len = strlen(item);
	if (l->len + sep + len > cap) {
		memcpy(l->s + l->len, sep > 0 ? ", ..." : "...", sep > 0 ? 6 : 4);
		l->len += sep > 0 ? 5 : 3;
		l->cut = true;
		return;
	}
	memcpy(l->s + l->len, ", ", sep);
	memcpy(l->s + l->len + sep, item, len + 1);
	l->len += sep + len;
}

/* "1d 4h", "2d", "3h 20m", "2h", "5m", "42s": two units at most, a zero second one left out. */
static void judge_duration(int64_t s, char *out, size_t size)
{
	static const struct {
		long long size;
		const char *unit;
		long long next; /* the second unit, 0 for none */
		const char *next_unit;
	} steps[] = {
		{86400, "d", 3600, "h"}, {3600, "h", 60, "m"}, {60, "m", 0, ""}, {1, "s", 0, ""}};
	long long v = s < 0 ? -(long long)s : (long long)s;
	long long small;
	size_t i;

	for (i = 0; i < 3 && v < steps[i].size; i++) {
	}
	small = steps[i].next > 0 ? v % steps[i].size / steps[i].next : 0;
	if (small == 0) {
		snprintf(out, size, "%lld%s", v / steps[i].size, steps[i].unit);
	} else {
		snprintf(out, size, "%lld%s %lld%s", v / steps[i].size, steps[i].unit, small,
			 steps[i].next_unit);
	}
}

static const char *judge_rcode_name(int rcode)
{
	static const char *const names[] = {"NOERROR",	"FORMERR", "SERVFAIL",
					    "NXDOMAIN", "NOTIMP",  "REFUSED"};

	return rcode >= 0 && rcode < 6 ? names[rcode] : NULL;
}

/* "timeout", "servfail, rcode SERVFAIL", "error, rcode 9". */
static void judge_failure_text(const struct rrset_facts *rr, char *out, size_t size)
{
	const char *rcode = judge_rcode_name(rr->rcode);

	if (rr->status == LOOKUP_TIMEOUT) {
		snprintf(out, size, "%s", facts_lookup_status_name(rr->status));
	} else if (rcode != NULL) {
		snprintf(out, size, "%s, rcode %s", facts_lookup_status_name(rr->status), rcode);
	} else {
		snprintf(out, size, "%s, rcode %d", facts_lookup_status_name(rr->status),
			 rr->rcode);
	}
}

/* Adding a finding: the one place where the config's overrides apply. */

static void judge_add(struct judge_run *r, enum finding_code code, int sev,
		      const struct judge_subject *s, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void judge_add(struct judge_run *r, enum finding_code code, int sev,
		      const struct judge_subject *s, const char *fmt, ...)
{
	char msg[FINDING_MESSAGE_MAX];
	int over = r->o->severity[code];
	va_list ap;

	if (r->err < 0) {
		return;
	}
	if (sev < 0) {
		sev = (int)finding_default_severity(code);
	}
	if (over >= SEVERITY_OK && over <= SEVERITY_CRITICAL) {
		sev = over;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->err = findings_add(r->out, code, (enum severity)sev, s->service, s->target, s->port,
			      s->address, "%s", msg);
}

/* Rules 1 and 2: bogus and failed lookups */

struct judge_rr {
	const struct rrset_facts *rr;
	const char *type;
	const char *owner;
	struct judge_subject subject;
	bool peers_use; /* an SRV, address or TLSA lookup peers depend on */
};

static void judge_rrset(struct judge_run *r, const struct judge_rr *x)
{
	char status[64];

	if (x->rr->state == DNSSEC_BOGUS) {
		judge_add(r, FINDING_DNSSEC_BOGUS, JUDGE_DEFAULT, &x->subject,
			  "%s %s failed DNSSEC validation (%s): %s", x->type, x->owner,
			  x->rr->why[0] != '\0' ? x->rr->why : "no reason given",
			  x->peers_use ? "peers skip it (RFC 7673 §3); fix the zone's "
					 "signatures or the DS chain above it"
				       : "validating resolvers answer SERVFAIL; fix the zone's "
					 "signatures or the DS at the parent");
		return;
	}
	if (!judge_is_failed(x->rr->status)) {
		return;
	}
	judge_failure_text(x->rr, status, sizeof(status));
	/*
	 * A failed SRV, address or TLSA lookup makes peers skip the target
	 * (RFC 7673 §3): as bad as a dead endpoint (NOTES.md).
	 */
	judge_add(r, FINDING_DNS_LOOKUP_FAILED, x->peers_use ? SEVERITY_CRITICAL : JUDGE_DEFAULT,
		  &x->subject, "%s lookup of %s failed (%s): %s", x->type, x->owner, status,
		  x->peers_use ? "peers skip this target (RFC 7673 §3); check that the "
				 "zone's servers answer"
			       : "check that the zone's servers answer");
}

static void judge_rrsets_services(struct judge_run *r)
{
	int s;

	for (s = 0; s < SERVICE_COUNT; s++) {
		struct judge_rr x = {
			.rr = &r->f->services[s].rr,
			.type = "SRV",
			.owner = r->srv_owner[s],
			.subject = {facts_service_name(s), r->srv_owner[s], 0, NULL},
			.peers_use = true,
		};

		if (r->f->services[s].enabled) {
			judge_rrset(r, &x);
		}
	}
}

static void judge_rrsets_targets(struct judge_run *r)
{
	size_t i, n = judge_clamp(r->f->n_targets, FACTS_MAX_TARGETS);

	for (i = 0; i < n; i++) {
		const struct target_facts *t = &r->f->targets[i];
		struct judge_rr x = {
			.type = "A",
			.owner = t->name,
			.subject = {NULL, t->name, 0, NULL},
			.peers_use = true,
		};

		if (!judge_target_used(r->f, i)) {
			continue;
		}
		x.rr = &t->a;
		judge_rrset(r, &x);
		x.type = "AAAA";
		x.rr = &t->aaaa;
		judge_rrset(r, &x);
	}
}

static void judge_rrsets_endpoints(struct judge_run *r)
{
	size_t i, n = judge_clamp(r->f->n_endpoints, FACTS_MAX_ENDPOINTS);

	for (i = 0; i < n; i++) {
		const struct endpoint_facts *e = &r->f->endpoints[i];
		struct judge_rr x = {
			.rr = &e->tlsa,
			.type = "TLSA",
			.owner = e->tlsa_owner,
			.peers_use = true,
		};

		if (!judge_endpoint_on(r->f, e)) {
			continue;
		}
		x.subject = (struct judge_subject){facts_service_name(e->service),
						   r->f->targets[e->target].name, e->port, NULL};
		judge_rrset(r, &x);
	}
}

static void judge_rrsets_zone(struct judge_run *r)
{
	const struct zone_facts *z = &r->f->zone;
	const char *apex = judge_zone_name(r->f);
	struct judge_rr x = {.owner = apex, .subject = {NULL, apex, 0, NULL}};

	if (!r->f->zone_checked) {
		return;
	}
	x.type = "SOA";
	x.rr = &z->soa;
	judge_rrset(r, &x);
	x.type = "DNSKEY";
	x.rr = &z->dnskey;
	judge_rrset(r, &x);
	x.type = "DS";
	x.rr = &z->ds;
	judge_rrset(r, &x);
	x.type = "NS";
	x.rr = &z->ns;
	judge_rrset(r, &x);
}

/* Rule 3: a zone that validates as insecure, said once and with its cause */

static void judge_zone_insecure(struct judge_run *r)
{
	const struct zone_facts *z = &r->f->zone;
	const char *apex = judge_zone_name(r->f);
	struct judge_subject subj = {NULL, apex, 0, NULL};
	struct judge_list algs = {.len = 0};
	struct judge_algset set;
	bool all_unsupported = true;
	unsigned a;

	if (!r->f->zone_checked || z->soa.state != DNSSEC_INSECURE) {
		return;
	}
	judge_algset_fill(r->f, &set);
	for (a = 0; a < 256; a++) {
		if (set.has[a]) {
			judge_list_add(&algs, "%s (%u)", judge_algorithm_name(a), a);
			all_unsupported = all_unsupported &&
					  judge_algorithm_is_unsupported(r->o, a);
		}
	}
	if (set.n == 0) {
		judge_add(r, FINDING_DNSSEC_INSECURE, JUDGE_DEFAULT, &subj,
			  "zone %s is not signed, so DANE cannot apply to the domain: sign it and "
			  "publish its DS at the parent (xdane ds --dnskey)",
			  apex);
	} else if (judge_is_absent(z->ds.status)) {
		judge_add(r, FINDING_DNSSEC_INSECURE, JUDGE_DEFAULT, &subj,
			  "zone %s is signed but has no DS at the parent (island of trust): "
			  "publish the DS of its KSK at the parent (xdane ds --dnskey)",
			  apex);
	} else if (all_unsupported) {
		/* NOTES.md: such a zone comes back insecure; it is not unsigned. */
		judge_add(r, FINDING_DNSKEY_ALGORITHM_UNSUPPORTED, JUDGE_DEFAULT, &subj,
			  "zone %s is signed with %s, which this validator cannot verify, so it "
			  "looks insecure from here (and to peers whose validators lack it): add a "
			  "key of a widely supported algorithm (ECDSAP256SHA256 or ED25519), or "
			  "check from a validator that has it",
			  apex, algs.s);
	} else if (z->ds.state == DNSSEC_INSECURE) {
		judge_add(r, FINDING_DNSSEC_INSECURE, JUDGE_DEFAULT, &subj,
			  "zone %s is signed (%s), but its DS at the parent is itself insecure: "
			  "the chain of trust breaks above the zone; the parent must be signed",
			  apex, algs.s);
	} else {
		judge_add(r, FINDING_DNSSEC_INSECURE, JUDGE_DEFAULT, &subj,
			  "zone %s is signed (%s) and has a DS at the parent, but validates as "
			  "insecure: check that validators support the DS digest types and the "
			  "key algorithms",
			  apex, algs.s);
	}
}

/* Rule 4: the DS at the parent against the zone's keys */

static void judge_ds_mismatch(struct judge_run *r)
{
	const struct zone_facts *z = &r->f->zone;
	size_t i, n_ds = judge_clamp(z->n_ds, FACTS_MAX_DS);
	size_t n_key = judge_clamp(z->n_dnskey, FACTS_MAX_DNSKEY);
	struct judge_subject subj = {NULL, judge_zone_name(r->f), 0, NULL};
	struct judge_list ds = {.len = 0}, ksk = {.len = 0};

	if (n_key == 0 || n_ds == 0) {
		return;
	}
	for (i = 0; i < n_ds; i++) {
		if (z->ds_recs[i].key_index >= 0 && (size_t)z->ds_recs[i].key_index < n_key) {
			return;
		}
		judge_list_add(&ds, "%u/%u/%u", z->ds_recs[i].key_tag, z->ds_recs[i].algorithm,
			       z->ds_recs[i].digest_type);
	}
	for (i = 0; i < n_key; i++) {
		const struct dnskey_facts *k = &z->dnskeys[i];

		if ((k->flags & JUDGE_FLAG_SEP) && !(k->flags & JUDGE_FLAG_REVOKE)) {
			judge_list_add(&ksk, "%u/%u", k->key_tag, k->algorithm);
		}
	}
	judge_add(r, FINDING_DS_MISMATCH, JUDGE_DEFAULT, &subj,
		  "DS at the parent (key tags %s) matches no DNSKEY of %s (KSKs: %s): publish "
		  "the DS of the current KSK (xdane ds --dnskey) or restore the key",
		  ds.s, subj.target, ksk.n > 0 ? ksk.s : "none with the SEP flag");
}

/* RFC 8624 §3.3: SHA-1 DS MUST NOT be generated any more. */
static void judge_ds_digest(struct judge_run *r)
{
	const struct zone_facts *z = &r->f->zone;
	size_t i, n_ds = judge_clamp(z->n_ds, FACTS_MAX_DS);
	struct judge_subject subj = {NULL, judge_zone_name(r->f), 0, NULL};
	struct judge_list weak = {.len = 0};

	for (i = 0; i < n_ds; i++) {
		if (z->ds_recs[i].digest_type == 1) {
			judge_list_add(&weak, "%u/%u/1", z->ds_recs[i].key_tag,
				       z->ds_recs[i].algorithm);
		}
	}
	if (weak.n > 0) {
		judge_add(r, FINDING_DS_DIGEST_WEAK, JUDGE_DEFAULT, &subj,
			  "DS %s of %s at the parent uses SHA-1: publish a SHA-256 DS (digest "
			  "type 2, xdane ds --dnskey) and withdraw the SHA-1 one (RFC 8624 §3.3)",
			  weak.s, subj.target);
	}
}

static void judge_ds(struct judge_run *r)
{
	/* The records themselves, even when bogus: a mismatch is why it is bogus. */
	if (!r->f->zone_checked || r->f->zone.ds.status != LOOKUP_OK) {
		return;
	}
	judge_ds_mismatch(r);
	judge_ds_digest(r);
}

/* Rule 5: algorithms RFC 8624 §3.1 retires for signing */

static void judge_dnskey_algorithms(struct judge_run *r)
{
	struct judge_subject subj = {NULL, judge_zone_name(r->f), 0, NULL};
	struct judge_list weak = {.len = 0};
	struct judge_algset set;
	unsigned a;

	if (!r->f->zone_checked) {
		return;
	}
	judge_algset_fill(r->f, &set);
	for (a = 0; a < 256; a++) {
		if (set.has[a] && judge_algorithm_is_weak(a)) {
			judge_list_add(&weak, "%s (%u)", judge_algorithm_name(a), a);
		}
	}
	if (weak.n > 0) {
		judge_add(r, FINDING_DNSKEY_ALGORITHM_WEAK, JUDGE_DEFAULT, &subj,
			  "zone %s is signed with %s, which must not or should no longer be used "
			  "for signing (RFC 8624 §3.1): roll to ECDSAP256SHA256 (13) or ED25519 "
			  "(15)",
			  subj.target, weak.s);
	}
}

/* Rule 6: RRSIGs close to expiry, the soonest of each RRset type */

static void judge_expiry_note(struct judge_run *r, struct judge_expiry *x, int64_t exp,
			      const char *owner, const char *server,
			      const struct judge_subject *subj)
{
	if (exp == 0 || exp - r->now >= r->o->rrsig_margin_s) {
		return;
	}
	x->n++;
	if (x->n == 1 || exp < x->soonest) {
		x->soonest = exp;
		x->owner = owner;
		x->server = server;
		x->subject = *subj;
	}
}

static void judge_expiry_rrset(struct judge_run *r, struct judge_expiry *x,
			       const struct rrset_facts *rr, const char *owner,
			       const struct judge_subject *subj)
{
	if (rr->state == DNSSEC_SECURE) {
		judge_expiry_note(r, x, rr->sig_expiration, owner, NULL, subj);
	}
}

static void judge_expiry_collect_dane(struct judge_run *r, struct judge_expiry *x)
{
	const struct domain_facts *f = r->f;
	size_t i;
	int s;

	for (s = 0; s < SERVICE_COUNT; s++) {
		struct judge_subject subj = {facts_service_name(s), r->srv_owner[s], 0, NULL};

		if (f->services[s].enabled) {
			judge_expiry_rrset(r, &x[JUDGE_SIG_SRV], &f->services[s].rr,
					   r->srv_owner[s], &subj);
		}
	}
	for (i = 0; i < judge_clamp(f->n_targets, FACTS_MAX_TARGETS); i++) {
		const struct target_facts *t = &f->targets[i];
		struct judge_subject subj = {NULL, t->name, 0, NULL};

		if (judge_target_used(f, i)) {
			judge_expiry_rrset(r, &x[JUDGE_SIG_A], &t->a, t->name, &subj);
			judge_expiry_rrset(r, &x[JUDGE_SIG_AAAA], &t->aaaa, t->name, &subj);
		}
	}
	for (i = 0; i < judge_clamp(f->n_endpoints, FACTS_MAX_ENDPOINTS); i++) {
		const struct endpoint_facts *e = &f->endpoints[i];
		struct judge_subject subj = {NULL, NULL, e->port, NULL};

		if (judge_endpoint_on(f, e)) {
			subj.service = facts_service_name(e->service);
			subj.target = f->targets[e->target].name;
			judge_expiry_rrset(r, &x[JUDGE_SIG_TLSA], &e->tlsa, e->tlsa_owner, &subj);
		}
	}
}

static void judge_expiry_collect_zone(struct judge_run *r, struct judge_expiry *x)
{
	const struct zone_facts *z = &r->f->zone;
	const char *apex = judge_zone_name(r->f);
	struct judge_subject subj = {NULL, apex, 0, NULL};
	size_t i;

	if (!r->f->zone_checked) {
		return;
	}
	judge_expiry_rrset(r, &x[JUDGE_SIG_SOA], &z->soa, apex, &subj);
	judge_expiry_rrset(r, &x[JUDGE_SIG_DNSKEY], &z->dnskey, apex, &subj);
	/* Each server's own copy: a secondary that stopped transferring goes stale. */
	for (i = 0; i < judge_clamp(z->n_servers, FACTS_MAX_SERVERS); i++) {
		const struct server_facts *s = &z->servers[i];
		struct judge_subject ssubj = {NULL, s->name, 0, s->address};

		if (s->status == LOOKUP_OK) {
			judge_expiry_note(r, &x[JUDGE_SIG_SOA], s->soa_sig_expiration, apex,
					  s->name, &ssubj);
			judge_expiry_note(r, &x[JUDGE_SIG_DNSKEY], s->dnskey_sig_expiration, apex,
					  s->name, &ssubj);
		}
	}
}

static void judge_expiry_report(struct judge_run *r, enum judge_sigtype type,
				const struct judge_expiry *x)
{
	const char *name = judge_sigtype_names[type];
	char when[TIMEFMT_RFC3339_LEN], left[32], margin[32], where[FACTS_NAME_MAX + 64];
	char more[96] = "";
	bool expired = x->soonest <= r->now;

	if (timefmt_rfc3339(x->soonest, when) < 0) {
		snprintf(when, sizeof(when), "out of range");
	}
	judge_duration(x->soonest - r->now, left, sizeof(left));
	judge_duration(r->o->rrsig_margin_s, margin, sizeof(margin));
	if (x->server != NULL) {
		snprintf(where, sizeof(where), " at %s (%s)", x->server, x->subject.address);
	} else {
		where[0] = '\0';
	}
	if (x->n > 1) {
		snprintf(more, sizeof(more), "; %zu more %s RRsets within the %s margin", x->n - 1,
			 name, margin);
	}
	/*
	 * Past its expiration a signature is invalid (RFC 4035 §5.3.1); the
	 * validators' clock-skew allowance (unbound: at most a day) only delays it.
	 */
	judge_add(r, FINDING_RRSIG_EXPIRING, expired ? SEVERITY_CRITICAL : JUDGE_DEFAULT,
		  &x->subject, "RRSIG over %s %s%s %s %s%s (%s)%s: %s", name, x->owner, where,
		  expired ? "expired" : "expires in", left, expired ? " ago" : "", when, more,
		  x->server != NULL ? "check that this server gets the re-signed zone (NOTIFY, "
				      "transfers) and that the signer is running"
				    : "re-sign the zone and check that its signer is running");
}

static void judge_rrsig(struct judge_run *r)
{
	struct judge_expiry x[JUDGE_SIG_COUNT];
	int t;

	memset(x, 0, sizeof(x));
	judge_expiry_collect_zone(r, x);
	judge_expiry_collect_dane(r, x);
	for (t = 0; t < JUDGE_SIG_COUNT; t++) {
		if (x[t].n > 0) {
			judge_expiry_report(r, t, &x[t]);
		}
	}
}

/* Rule 7: NSEC3 iterations (RFC 9276) */

static void judge_nsec3(struct judge_run *r)
{
	const struct zone_facts *z = &r->f->zone;
	struct judge_subject subj = {NULL, judge_zone_name(r->f), 0, NULL};
	unsigned iter = 0, salt = 0;
	char salt_text[64] = "";
	size_t i;

	if (!r->f->zone_checked) {
		return;
	}
	for (i = 0; i < judge_clamp(z->n_servers, FACTS_MAX_SERVERS); i++) {
		const struct server_facts *s = &z->servers[i];

		if (judge_server_serves(s) && s->has_nsec3param) {
			iter = s->nsec3_iterations > iter ? s->nsec3_iterations : iter;
			salt = s->nsec3_salt_len > salt ? s->nsec3_salt_len : salt;
		}
	}
	if (iter == 0) {
		return;
	}
	if (salt > 0) {
		snprintf(salt_text, sizeof(salt_text), " and drop the %u-octet salt", salt);
	}
	if (iter > r->o->nsec3_insecure_iterations) {
		/* RFC 9276 §3.2; unbound 1.17 and BIND 9.18 stop at 150 (NOTES.md). */
		judge_add(r, FINDING_NSEC3_ITERATIONS, SEVERITY_CRITICAL, &subj,
			  "zone %s uses NSEC3 with %u extra iterations, more than the %u "
			  "validators accept: they treat denials as insecure, so 'no TLSA' can no "
			  "longer be proven; set the iterations to 0%s (RFC 9276 §3.1)",
			  subj.target, iter, r->o->nsec3_insecure_iterations, salt_text);
	} else {
		judge_add(r, FINDING_NSEC3_ITERATIONS, JUDGE_DEFAULT, &subj,
			  "zone %s uses NSEC3 with %u extra iterations: set them to 0%s (RFC 9276 "
			  "§3.1); above %u validators treat its denials as insecure",
			  subj.target, iter, salt_text, r->o->nsec3_insecure_iterations);
	}
}

/* Rule 8: the zone's authoritative servers, reachable and in agreement */

static void judge_server_reach(struct judge_run *r, const struct server_facts *s)
{
	struct judge_subject subj = {NULL, s->name, 0, s->address};
	const char *apex = judge_zone_name(r->f);

	if (judge_is_failed(s->status)) {
		judge_add(r, FINDING_NS_UNREACHABLE, JUDGE_DEFAULT, &subj,
			  "%s (%s) did not answer the SOA query for %s (%s): resolvers retry the "
			  "other servers, slower and with less redundancy; check the server and "
			  "any firewall in front of it",
			  s->name, s->address, apex, facts_lookup_status_name(s->status));
	} else if (judge_is_absent(s->status)) {
		judge_add(r, FINDING_NS_UNREACHABLE, JUDGE_DEFAULT, &subj,
			  "%s (%s) answers %s for the SOA of %s: it does not serve the zone; load "
			  "the zone there or remove its NS record",
			  s->name, s->address, facts_lookup_status_name(s->status), apex);
	} else if (s->status == LOOKUP_OK && !s->authoritative) {
		judge_add(r, FINDING_NS_UNREACHABLE, JUDGE_DEFAULT, &subj,
			  "%s (%s) answers but is not authoritative for %s (lame): load the zone "
			  "there or remove its NS record",
			  s->name, s->address, apex);
	}
}

static void judge_serials(struct judge_run *r)
{
	const struct zone_facts *z = &r->f->zone;
	struct judge_subject subj = {NULL, judge_zone_name(r->f), 0, NULL};
	struct judge_list list = {.len = 0};
	const struct server_facts *first = NULL;
	bool differ = false;
	size_t i;

	for (i = 0; i < judge_clamp(z->n_servers, FACTS_MAX_SERVERS); i++) {
		const struct server_facts *s = &z->servers[i];

		if (!judge_server_serves(s)) {
			continue;
		}
		first = first != NULL ? first : s;
		differ = differ || s->serial != first->serial;
		judge_list_add(&list, "%s (%s) %u", s->name, s->address, s->serial);
	}
	if (differ) {
		judge_add(r, FINDING_NS_INCONSISTENT, JUDGE_DEFAULT, &subj,
			  "servers of %s serve different SOA serials: %s; check zone transfers "
			  "(NOTIFY, allow-transfer) to the servers behind",
			  subj.target, list.s);
	}
}

static int judge_dnskey_cmp(const void *pa, const void *pb)
{
	const struct dnskey_facts *a = pa, *b = pb;

	if (a->key_tag != b->key_tag) {
		return a->key_tag < b->key_tag ? -1 : 1;
	}
	if (a->algorithm != b->algorithm) {
		return a->algorithm < b->algorithm ? -1 : 1;
	}
	return a->flags < b->flags ? -1 : a->flags > b->flags;
}

/* The server's DNSKEYs, sorted by (key tag, algorithm, flags); returns how many. */
static size_t judge_dnskey_sorted(const struct server_facts *s,
				  struct dnskey_facts keys[FACTS_MAX_DNSKEY])
{
	size_t n = judge_clamp(s->n_dnskey, FACTS_MAX_DNSKEY);

	memcpy(keys, s->dnskeys, n * sizeof(keys[0]));
	qsort(keys, n, sizeof(keys[0]), judge_dnskey_cmp);
	return n;
}

static bool judge_dnskey_same(const struct dnskey_facts *a, size_t na, const struct dnskey_facts *b,
			      size_t nb)
{
	size_t i;

	if (na != nb) {
		return false;
	}
	for (i = 0; i < na; i++) {
		if (judge_dnskey_cmp(&a[i], &b[i]) != 0) {
			return false;
		}
	}
	return true;
}

static void judge_dnskey_list(struct judge_list *list, const struct server_facts *s,
			      const struct dnskey_facts *keys, size_t n)
{
	char tags[128] = "";
	size_t i, len = 0;

	for (i = 0; i < n && len < sizeof(tags); i++) {
		int w = snprintf(tags + len, sizeof(tags) - len, "%s%u/%u/%u", i ? " " : "",
				 keys[i].key_tag, keys[i].algorithm, keys[i].flags);

		len += w > 0 ? (size_t)w : 0;
	}
	judge_list_add(list, "%s (%s) {%s}", s->name, s->address, tags);
}

static void judge_dnskey_sets(struct judge_run *r)
{
	const struct zone_facts *z = &r->f->zone;
	struct judge_subject subj = {NULL, judge_zone_name(r->f), 0, NULL};
	struct dnskey_facts first[FACTS_MAX_DNSKEY], keys[FACTS_MAX_DNSKEY];
	struct judge_list list = {.len = 0};
	size_t i, n, n_first = 0;
	bool seen = false, differ = false;

	for (i = 0; i < judge_clamp(z->n_servers, FACTS_MAX_SERVERS); i++) {
		const struct server_facts *s = &z->servers[i];

		if (!judge_server_serves(s)) {
			continue;
		}
		n = judge_dnskey_sorted(s, keys);
		if (!seen) {
			memcpy(first, keys, n * sizeof(keys[0]));
			n_first = n;
			seen = true;
		}
		differ = differ || !judge_dnskey_same(first, n_first, keys, n);
		judge_dnskey_list(&list, s, keys, n);
	}
	if (differ) {
		judge_add(r, FINDING_NS_INCONSISTENT, JUDGE_DEFAULT, &subj,
			  "servers of %s serve different DNSKEY sets (tag/algorithm/flags): %s; "
			  "check that every server gets the signed zone from the same signer",
			  subj.target, list.s);
	}
}

static void judge_servers(struct judge_run *r)
{
	size_t i;

	if (!r->f->zone_checked) {
		return;
	}
	for (i = 0; i < judge_clamp(r->f->zone.n_servers, FACTS_MAX_SERVERS); i++) {
		judge_server_reach(r, &r->f->zone.servers[i]);
	}
	judge_serials(r);
	judge_dnskey_sets(r);
}

/* Rule 9: the SRV RRsets of the enabled services */

static void judge_srv_missing(struct judge_run *r, enum xmpp_service s)
{
	const struct domain_facts *f = r->f;
	struct judge_subject subj = {facts_service_name(s), r->srv_owner[s], 0, NULL};
	const char *status = facts_lookup_status_name(f->services[s].rr.status);
	uint16_t port = facts_service_default_port(s);

	if (port == 0) {
		/* XEP-0368 has no fallback: without SRV, Direct TLS is never tried. */
		judge_add(r, FINDING_SRV_MISSING, JUDGE_DEFAULT, &subj,
			  "no SRV at %s (%s): Direct TLS (XEP-0368) is not advertised, so peers "
			  "never use it; publish an SRV record for the Direct TLS port, or drop %s "
			  "from the domain's services",
			  r->srv_owner[s], status, subj.service);
		return;
	}
	judge_add(r, FINDING_SRV_MISSING, JUDGE_DEFAULT, &subj,
		  "no SRV at %s (%s): peers fall back to %.*s:%u (RFC 6120 §3.2.2); publish an "
		  "SRV record naming the real host, or a single SRV with target \".\" if the "
		  "service is not offered",
		  r->srv_owner[s], status, judge_host_len(f->domain), f->domain, port);
}

static void judge_services(struct judge_run *r)
{
	bool zone_bogus = judge_domain_dnssec(r->f) == DNSSEC_BOGUS;
	int s;

	for (s = 0; s < SERVICE_COUNT; s++) {
		const struct service_facts *svc = &r->f->services[s];
		struct judge_subject subj = {facts_service_name(s), r->srv_owner[s], 0, NULL};

		if (!svc->enabled) {
			continue;
		}
		if (judge_rr_absent(&svc->rr)) {
			judge_srv_missing(r, s);
		} else if (judge_rr_found(&svc->rr) && !svc->absent &&
			   svc->rr.state == DNSSEC_INSECURE && !zone_bogus) {
			/* RFC 7673 §3.1: an insecure SRV RRset means no DANE for its targets. */
			judge_add(r, FINDING_SRV_INSECURE, JUDGE_DEFAULT, &subj,
				  "SRV %s is not secure, so DANE cannot apply to %s: sign the zone "
				  "and publish its DS at the parent",
				  r->srv_owner[s], subj.service);
		}
	}
}

/* Rule 10: the hosts SRV records name */

static void judge_target_addresses(struct judge_run *r, const struct target_facts *t)
{
	struct judge_subject subj = {NULL, t->name, 0, NULL};
	const char *alias = t->a.cname[0] != '\0' ? t->a.cname : t->aaaa.cname;

	if (alias[0] != '\0') {
		judge_add(r, FINDING_SRV_TARGET_INVALID, JUDGE_DEFAULT, &subj,
			  "SRV target %s is an alias (CNAME to %s), which RFC 2782 forbids: "
			  "point the SRV records at %s",
			  t->name, alias, alias);
	} else if (judge_rr_absent(&t->a) && judge_rr_absent(&t->aaaa)) {
		judge_add(r, FINDING_SRV_TARGET_INVALID, JUDGE_DEFAULT, &subj,
			  "SRV target %s has no address records (A %s, AAAA %s): peers cannot "
			  "connect; publish its A/AAAA or fix the SRV records",
			  t->name, facts_lookup_status_name(t->a.status),
			  facts_lookup_status_name(t->aaaa.status));
	}
}

static void judge_target_security(struct judge_run *r, const struct target_facts *t)
{
	struct judge_subject subj = {NULL, t->name, 0, NULL};
	bool a = judge_rr_found(&t->a) && t->a.state == DNSSEC_INSECURE;
	bool aaaa = judge_rr_found(&t->aaaa) && t->aaaa.state == DNSSEC_INSECURE;

	/* RFC 7673 §3.2: DANE needs secure addresses as well as a secure SRV. */
	if ((a || aaaa) && judge_srv_names(r->f, t->name, true)) {
		judge_add(r, FINDING_ADDRESS_INSECURE, JUDGE_DEFAULT, &subj,
			  "%s of %s %s not secure while the SRV naming it is, so DANE cannot "
			  "apply to this target: sign the zone holding %s and publish its DS at "
			  "the parent",
			  a && aaaa ? "A and AAAA" : (a ? "A" : "AAAA"), t->name,
			  a && aaaa ? "are" : "is", t->name);
	}
}

static void judge_targets(struct judge_run *r)
{
	size_t i;

	for (i = 0; i < judge_clamp(r->f->n_targets, FACTS_MAX_TARGETS); i++) {
		const struct target_facts *t = &r->f->targets[i];

		/* Only SRV targets: the fallback host (the domain itself) may be anything. */
		if (judge_srv_names(r->f, t->name, false)) {
			judge_target_addresses(r, t);
			judge_target_security(r, t);
		}
	}
}

/* Rule 11: TLSA where DANE applies */

/* Why peers cannot use the record (RFC 6698 §2.1, RFC 7218), or NULL. */
static const char *judge_tlsa_problem(const struct tlsa_facts *t, char *buf, size_t size)
{
	static const size_t digest_len[] = {0, 32, 64}; /* SHA-256, SHA-512 */

	if (t->usage > 3) {
		return "unknown usage";
	}
	if (t->selector > 1) {
		return "unknown selector";
	}
	if (t->mtype > 2) {
		return "unknown matching type";
	}
	if (t->data == NULL || t->len == 0) {
		return "no data";
	}
	if (t->mtype > 0 && t->len != digest_len[t->mtype]) {
		snprintf(buf, size, "%zu octets where %s has %zu", t->len,
			 t->mtype == 1 ? "SHA-256" : "SHA-512", digest_len[t->mtype]);
		return buf;
	}
	return NULL;
}

/* Reports the unusable records of e; returns how many are usable. */
static size_t judge_tlsa_records(struct judge_run *r, const struct endpoint_facts *e,
				 const struct judge_subject *subj)
{
	struct judge_list bad = {.len = 0};
	size_t i, usable = 0, n = judge_clamp(e->n_tlsa, FACTS_MAX_TLSA);
	char buf[64];

	for (i = 0; i < n; i++) {
		const struct tlsa_facts *t = &e->tlsa_recs[i];
		const char *why = judge_tlsa_problem(t, buf, sizeof(buf));

		if (why == NULL) {
			usable++;
		} else {
			judge_list_add(&bad, "%u %u %u (%s)", t->usage, t->selector, t->mtype, why);
		}
	}
	if (bad.n > 0) {
		judge_add(r, FINDING_TLSA_UNUSABLE, JUDGE_DEFAULT, subj,
			  "TLSA %s has records peers cannot use: %s; correct or remove them%s",
			  e->tlsa_owner, bad.s,
			  usable == 0 ? " (no usable record is left: DANE peers treat the "
					"endpoint as having none)"
				      : "");
	}
	return usable;
}

static void judge_tlsa_endpoint(struct judge_run *r, const struct endpoint_facts *e)
{
	const char *host = r->f->targets[e->target].name;
	struct judge_subject subj = {facts_service_name(e->service), host, e->port, NULL};
	size_t usable;

	if (judge_rr_absent(&e->tlsa)) {
		judge_add(r, FINDING_TLSA_MISSING, JUDGE_DEFAULT, &subj,
			  "no TLSA at %s (%s) although SRV and addresses are secure: publish e.g. "
			  "`xdane tlsa --cert CERT --host %.*s --port %u`",
			  e->tlsa_owner, facts_lookup_status_name(e->tlsa.status),
			  judge_host_len(host), host, e->port);
		return;
	}
	if (!judge_rr_found(&e->tlsa)) {
		return;
	}
	if (e->tlsa.state == DNSSEC_INSECURE) {
		judge_add(r, FINDING_TLSA_MISSING, JUDGE_DEFAULT, &subj,
			  "TLSA %s exists but is not secure: DANE peers ignore it; sign the zone "
			  "holding it and publish its DS at the parent",
			  e->tlsa_owner);
	}
	usable = judge_tlsa_records(r, e, &subj);
	if (usable == 1 && e->tlsa.state == DNSSEC_SECURE) {
		judge_add(r, FINDING_TLSA_NO_ROLLOVER_SLOT, JUDGE_DEFAULT, &subj,
			  "one usable TLSA record at %s: pre-publish the next key's TLSA (xdane "
			  "tlsa --key NEXT.key) so a key change does not break DANE",
			  e->tlsa_owner);
	}
}

static void judge_tlsa(struct judge_run *r)
{
	size_t i;

	for (i = 0; i < judge_clamp(r->f->n_endpoints, FACTS_MAX_ENDPOINTS); i++) {
		const struct endpoint_facts *e = &r->f->endpoints[i];

		if (judge_endpoint_on(r->f, e) && e->dane_applies) {
			judge_tlsa_endpoint(r, e);
		}
	}
}

int judge_dns(const struct domain_facts *f, int64_t now, const struct judge_opts *o,
	      struct findings *out)
{
	struct judge_run r = {.f = f, .now = now, .o = o, .out = out, .err = 0};
	size_t n0 = out->n;
	int s;

	for (s = 0; s < SERVICE_COUNT; s++) {
		snprintf(r.srv_owner[s], sizeof(r.srv_owner[s]), "%s.%s", facts_service_label(s),
			 f->domain);
	}
	judge_rrsets_zone(&r);
	judge_zone_insecure(&r);
	judge_ds(&r);
	judge_dnskey_algorithms(&r);
	judge_rrsig(&r);
	judge_nsec3(&r);
	judge_servers(&r);
	judge_rrsets_services(&r);
	judge_services(&r);
	judge_rrsets_targets(&r);
	judge_targets(&r);
	judge_rrsets_endpoints(&r);
	judge_tlsa(&r);
	if (r.err < 0) {
		/* All or nothing: the caller's list is as it was. */
		out->n = n0;
	}
	return r.err;
}

/* The endpoint half: what each probe met (DESIGN.md steps 4 and 5) */

/* Octets of a digest shown in a message: the 16 hex digits people compare at a glance. */
#define JUDGE_HEX_SHORT 8
/* "3 1 1 " and 16 hex digits and "...". */
#define JUDGE_TLSA_TEXT_MAX (16 + 2 * JUDGE_HEX_SHORT + 4)
/* TLS 1.2 (RFC 8996 forbids the versions below it). */
#define JUDGE_TLS_1_2 0x0303

/* One probe being judged, with the words its messages use for it. */
struct judge_probe {
	const struct probe_facts *p;
	const struct endpoint_facts *e;
	const struct target_facts *t;
	struct judge_subject subj;
	size_t n_tlsa; /* the endpoint's records, clamped */
	/* "certificate", or "RSA certificate" for the probe offering only RSA signatures */
	const char *cert;
	char where[FACTS_NAME_MAX + FACTS_ADDR_MAX + 16]; /* "xmpp.example.org:5222 at 192.0.2.1" */
};

/* Lower-case hex of at most max octets of data, then "..." when cut; out holds 2 * max + 4. */
static void judge_hex(const uint8_t *data, size_t len, size_t max, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, n;

	if (data == NULL) {
		len = 0;
	}
	n = judge_clamp(len, max);
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	snprintf(out + 2 * n, 4, "%s", n < len ? "..." : "");
}

/* "3 1 1 0123456789abcdef...", as the record is found in the zone. */
static void judge_tlsa_text(const struct tlsa_facts *t, char out[JUDGE_TLSA_TEXT_MAX])
{
	char hex[2 * JUDGE_HEX_SHORT + 4];

	judge_hex(t->data, t->len, JUDGE_HEX_SHORT, hex);
	snprintf(out, JUDGE_TLSA_TEXT_MAX, "%u %u %u %s", t->usage, t->selector, t->mtype,
		 hex[0] != '\0' ? hex : "-");
}

/* Whether OpenSSL takes the record at all (SSL_dane_tlsa_add refuses the others). */
static bool judge_tlsa_usable(const struct tlsa_facts *t)
{
	char buf[64];

	return judge_tlsa_problem(t, buf, sizeof(buf)) == NULL;
}

/*
 * Whether a makes peers skip b (RFC 7671 §9 as OpenSSL implements it):
 * within one (usage, selector) only the records of the strongest digest
 * present are used, SHA-512 (2) over SHA-256 (1); Full (0) is no digest and
 * is always used.
 */
static bool judge_tlsa_outranks(const struct tlsa_facts *a, const struct tlsa_facts *b)
{
	return a->usage == b->usage && a->selector == b->selector && b->mtype != 0 &&
	       a->mtype > b->mtype;
}

static bool judge_is_direct_tls(enum xmpp_service s)
{
	return s == SERVICE_XMPPS_CLIENT || s == SERVICE_XMPPS_SERVER;
}

/* The record that made the verdict DANE_MATCH when it is DANE-EE (usage 3), else NULL. */
static const struct tlsa_facts *judge_dane_ee(const struct judge_probe *jp)
{
	const struct probe_facts *p = jp->p;
	const struct tlsa_facts *t;

	if (p->dane != DANE_MATCH || p->dane_record < 0 || (size_t)p->dane_record >= jp->n_tlsa) {
		return NULL;
	}
	t = &jp->e->tlsa_recs[p->dane_record];
	return t->usage == 3 ? t : NULL;
}

/* Fills jp for probe p; false when p is not to be judged (not done, or of no enabled endpoint). */
static bool judge_probe_init(const struct domain_facts *f, const struct probe_facts *p,
			     struct judge_probe *jp)
{
	const struct endpoint_facts *e;

	if (p->status == PROBE_NOT_DONE ||
	    p->endpoint >= judge_clamp(f->n_endpoints, FACTS_MAX_ENDPOINTS)) {
		return false;
	}
	e = &f->endpoints[p->endpoint];
	if (!judge_endpoint_on(f, e)) {
		return false;
	}
	jp->p = p;
	jp->e = e;
	jp->t = &f->targets[e->target];
	jp->subj = (struct judge_subject){facts_service_name(e->service), jp->t->name, e->port,
					  p->address};
	jp->n_tlsa = judge_clamp(e->n_tlsa, FACTS_MAX_TLSA);
	jp->cert = p->rsa_only ? "RSA certificate" : "certificate";
	snprintf(jp->where, sizeof(jp->where), "%.*s:%u at %s", judge_host_len(jp->t->name),
		 jp->t->name, e->port, p->address);
	return true;
}

/* Endpoint rule 1: how far the connection got; returns whether TLS came up to judge. */
static bool judge_probe_status(struct judge_run *r, const struct judge_probe *jp)
{
	const struct probe_facts *p = jp->p;
	const char *detail = p->detail[0] != '\0' ? p->detail : "no detail";
	const char *rsa = p->rsa_only ? " (offering only RSA, for its RSA certificate)" : "";
	const char *over = judge_is_direct_tls(jp->e->service) ? " over Direct TLS (XEP-0368)" : "";
	const char *d = r->f->domain;
	int dlen = judge_host_len(d);

	switch (p->status) {
	case PROBE_CONNECT_FAILED:
		judge_add(r, FINDING_CONNECT_FAILED, JUDGE_DEFAULT, &jp->subj,
			  "cannot connect to %s%s (%s): peers that pick this address cannot reach "
			  "%.*s; check that the server listens there and that no firewall drops "
			  "the port",
			  jp->where, rsa, detail, dlen, d);
		return false;
	case PROBE_STREAM_FAILED:
		if (p->tls_version != 0) {
			/* Direct TLS: an HTTPS server on the port completes TLS too. */
			judge_add(
				r, FINDING_XMPP_STREAM_FAILED, JUDGE_DEFAULT, &jp->subj,
				"%s%s completed TLS, but no XMPP stream for %.*s followed inside "
				"it (%s): check that the port serves XMPP%s, not HTTPS or another "
				"service",
				jp->where, rsa, dlen, d, detail, over);
		} else {
			judge_add(r, FINDING_XMPP_STREAM_FAILED, JUDGE_DEFAULT, &jp->subj,
				  "%s%s does not speak XMPP for %.*s (%s): check that the XMPP "
				  "server, not another service, listens there and hosts the domain",
				  jp->where, rsa, dlen, d, detail);
		}
		return p->tls_version != 0;
	case PROBE_STARTTLS_FAILED:
		judge_add(r, FINDING_STARTTLS_FAILED, JUDGE_DEFAULT, &jp->subj,
			  "STARTTLS with %s%s failed (%s): peers that require TLS (every server, "
			  "most clients) cannot connect; give the server a certificate and key for "
			  "%.*s and enable TLS",
			  jp->where, rsa, detail, dlen, d);
		return false;
	case PROBE_TLS_FAILED:
		judge_add(r, FINDING_TLS_HANDSHAKE_FAILED, JUDGE_DEFAULT, &jp->subj,
			  "TLS handshake with %s%s failed (%s): no peer gets a secure connection; "
			  "check the certificate and key the server has for %.*s and its TLS "
			  "settings",
			  jp->where, rsa, detail, dlen, d);
		return false;
	case PROBE_OK:
		return true;
	default:
		return false;
	}
}

/* Endpoint rule 2: RFC 8996 forbids TLS 1.0 and 1.1. */
static void judge_probe_version(struct judge_run *r, const struct judge_probe *jp)
{
	const struct probe_facts *p = jp->p;
	char version[32];

	if (p->tls_version == 0 || p->tls_version >= JUDGE_TLS_1_2) {
		return;
	}
	if (p->tls_version_name[0] != '\0') {
		snprintf(version, sizeof(version), "%.*s", (int)sizeof(p->tls_version_name),
			 p->tls_version_name);
	} else {
		snprintf(version, sizeof(version), "version 0x%04x", p->tls_version);
	}
	judge_add(r, FINDING_TLS_VERSION_OLD, JUDGE_DEFAULT, &jp->subj,
		  "%s negotiated %s%s, below TLS 1.2: RFC 8996 forbids it and current peers "
		  "refuse it; enable TLS 1.2 and 1.3 on the server",
		  jp->where, version, p->rsa_only ? " for its RSA certificate" : "");
}

/* Endpoint rule 3, a mismatch: the agility trap when a record matches on its own. */
static void judge_dane_mismatch(struct judge_run *r, const struct judge_probe *jp)
{
	const struct probe_facts *p = jp->p;
	const struct tlsa_facts *recs = jp->e->tlsa_recs, *first = NULL;
	struct judge_list trapped = {.len = 0}, stronger = {.len = 0}, all = {.len = 0};
	struct judge_list alone = {.len = 0};
	bool listed[FACTS_MAX_TLSA] = {false}, has_ta = false;
	char text[JUDGE_TLSA_TEXT_MAX], spki[2 * CERT_SHA256_LEN + 4], sha[2 * JUDGE_HEX_SHORT + 4];
	size_t i, j;

	for (i = 0; i < jp->n_tlsa; i++) {
		bool skipped = false;

		judge_tlsa_text(&recs[i], text);
		judge_list_add(&all, "%s", text);
		has_ta = has_ta || recs[i].usage == 0 || recs[i].usage == 2;
		if (p->tlsa_match[i] != 1 || !judge_tlsa_usable(&recs[i])) {
			continue;
		}
		for (j = 0; j < jp->n_tlsa; j++) {
			if (p->tlsa_match[j] == 1 || !judge_tlsa_usable(&recs[j]) ||
			    !judge_tlsa_outranks(&recs[j], &recs[i])) {
				continue;
			}
			skipped = true;
			first = first != NULL ? first : &recs[j];
			if (!listed[j]) {
				char other[JUDGE_TLSA_TEXT_MAX];

				listed[j] = true;
				judge_tlsa_text(&recs[j], other);
				judge_list_add(&stronger, "%s", other);
			}
		}
		judge_list_add(skipped ? &trapped : &alone, "%s", text);
	}
	if (trapped.n > 0) {
		judge_add(
			r, FINDING_TLSA_AGILITY_TRAP, JUDGE_DEFAULT, &jp->subj,
			"TLSA %s at %s matches the %s of %s on its own, but peers ignore it: "
			"%s, of the same usage and selector, uses a stronger matching type and "
			"matches nothing, and OpenSSL, like every RFC 7671 §9 peer, uses only the "
			"strongest; publish the served key in that type too (`xdane tlsa --cert "
			"CERT --usage %u --selector %u --mtype %u`) or remove %s",
			trapped.s, jp->e->tlsa_owner, jp->cert, jp->where, stronger.s, first->usage,
			first->selector, first->mtype,
			stronger.n > 1 ? "those records" : "that record");
		return;
	}
	judge_hex(p->leaf.spki_sha256, CERT_SHA256_LEN, CERT_SHA256_LEN, spki);
	judge_hex(p->leaf.sha256, CERT_SHA256_LEN, JUDGE_HEX_SHORT, sha);
	if (alone.n > 0) {
		/* OpenSSL found a record but refused the chain: DANE-TA checks dates. */
		judge_add(r, FINDING_TLSA_MISMATCH, JUDGE_DEFAULT, &jp->subj,
			  "TLSA %s (%s) does not verify the %s of %s (SPKI SHA-256 %s): %s "
			  "matches on its own, yet the chain failed DANE verification; DANE peers "
			  "refuse the connection; check the chain's dates and that it holds the "
			  "pinned CA",
			  jp->e->tlsa_owner, all.s, jp->cert, jp->where, spki, alone.s);
		return;
	}
	judge_add(r, FINDING_TLSA_MISMATCH, JUDGE_DEFAULT, &jp->subj,
		  "TLSA %s (%s) matches nothing in the chain of the %s of %s (SPKI SHA-256 %s, "
		  "certificate SHA-256 %s): DANE peers refuse the connection; publish the served "
		  "key (`xdane tlsa --cert CERT`) or serve the pinned certificate%s",
		  jp->e->tlsa_owner, all.s, jp->cert, jp->where, spki, sha,
		  has_ta ? " (DANE-TA: with its CA in the served chain)" : "");
}

/* Endpoint rule 3, a match: fragile when every matching record pins the whole certificate. */
static void judge_dane_fragile(struct judge_run *r, const struct judge_probe *jp)
{
	const struct probe_facts *p = jp->p;
	struct judge_list pins = {.len = 0};
	char text[JUDGE_TLSA_TEXT_MAX];
	size_t i;

	for (i = 0; i < jp->n_tlsa; i++) {
		if (p->tlsa_match[i] != 1) {
			continue;
		}
		/*
		 * Only a pinned end-entity certificate changes at each renewal: a DANE-TA or
		 * PKIX-TA record pins the CA's certificate, which a leaf renewal keeps.
		 */
		if (jp->e->tlsa_recs[i].selector != 0 || jp->e->tlsa_recs[i].usage == 0 ||
		    jp->e->tlsa_recs[i].usage == 2) {
			return;
		}
		judge_tlsa_text(&jp->e->tlsa_recs[i], text);
		judge_list_add(&pins, "%s", text);
	}
	if (pins.n > 0) {
		judge_add(r, FINDING_TLSA_FRAGILE, JUDGE_DEFAULT, &jp->subj,
			  "every TLSA record at %s that matches the %s of %s pins the whole "
			  "certificate (%s): each renewal breaks DANE, even with the same key; "
			  "publish 3 1 1 for its key (`xdane tlsa --cert CERT`), which survives "
			  "renewals with the same key",
			  jp->e->tlsa_owner, jp->cert, jp->where, pins.s);
	}
}

static void judge_probe_dane(struct judge_run *r, const struct judge_probe *jp)
{
	/* DANE_NONE (no usable record) is the DNS half's TLSA_UNUSABLE. */
	if (jp->p->dane == DANE_MISMATCH) {
		judge_dane_mismatch(r, jp);
	} else if (jp->p->dane == DANE_MATCH) {
		judge_dane_fragile(r, jp);
	}
}

/* Endpoint rule 4: the leaf's dates. */
static void judge_probe_dates(struct judge_run *r, const struct judge_probe *jp)
{
	const struct cert_info *c = &jp->p->leaf;
	const struct tlsa_facts *ee = judge_dane_ee(jp);
	char when[TIMEFMT_RFC3339_LEN], left[32], note[JUDGE_TLSA_TEXT_MAX + 80] = "";
	int64_t t = c->not_before > r->now ? c->not_before : c->not_after;
	const char *who = ee != NULL ? "PKIX and DANE-TA peers" : "peers";
	int sev = JUDGE_DEFAULT;

	if (ee != NULL) {
		char text[JUDGE_TLSA_TEXT_MAX];

		/* RFC 7671 §5.1: DANE-EE peers ignore dates; PKIX and DANE-TA peers do not. */
		judge_tlsa_text(ee, text);
		snprintf(note, sizeof(note),
			 "; DANE-EE peers ignore dates (RFC 7671 §5.1) and %s matches", text);
	}
	if (timefmt_rfc3339(t, when) < 0) {
		snprintf(when, sizeof(when), "out of range");
	}
	judge_duration(t - r->now, left, sizeof(left));
	if (c->not_before > r->now) {
		judge_add(r, FINDING_CERT_EXPIRED, JUDGE_DEFAULT, &jp->subj,
			  "the %s of %s is not valid before %s (in %s): %s reject it until then%s; "
			  "check the issuer's and the server's clocks, or serve the previous "
			  "certificate until then",
			  jp->cert, jp->where, when, left, who, note);
	} else if (c->not_after <= r->now) {
		judge_add(r, FINDING_CERT_EXPIRED, JUDGE_DEFAULT, &jp->subj,
			  "the %s of %s expired %s ago (%s): %s reject it%s; renew it now, with "
			  "the same key so its TLSA records stay valid",
			  jp->cert, jp->where, left, when, who, note);
	} else if (c->not_after - r->now < r->o->cert_margin_s) {
		if (c->not_after - r->now < r->o->cert_critical_s) {
			sev = SEVERITY_CRITICAL;
		}
		judge_add(
			r, FINDING_CERT_EXPIRING, sev, &jp->subj,
			"the %s of %s expires in %s (%s): %s reject it from then on%s; renew it "
			"with the same key so its TLSA records stay valid, or pre-publish the new "
			"key's TLSA first",
			jp->cert, jp->where, left, when, who, note);
	}
}

/* "DNS-ID a.example, SRV-ID _xmpp-client.a.example, xmppAddr a.example, CN a.example". */
static void judge_names(const struct cert_info *c, struct judge_list *l)
{
	const struct {
		const char *kind;
		const struct strlist *names;
	} lists[] = {
		{"DNS-ID", &c->ids.dns_ids},
		{"SRV-ID", &c->ids.srv_ids},
		{"xmppAddr", &c->ids.xmpp_addrs},
	};
	size_t i, j;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		for (j = 0; j < lists[i].names->n; j++) {
			judge_list_add(l, "%s %s", lists[i].kind, lists[i].names->v[j]);
		}
	}
	if (c->cn != NULL) {
		judge_list_add(l, "CN %s", c->cn);
	}
}

/*
 * Endpoint rule 5: the leaf against D, and against the SRV target where the
 * SRV RRset is secure and no fallback (RFC 7673 §3).
 */
static void judge_probe_identity(struct judge_run *r, const struct judge_probe *jp)
{
	const struct service_facts *svc = &r->f->services[jp->e->service];
	const struct probe_facts *p = jp->p;
	const struct tlsa_facts *ee = judge_dane_ee(jp);
	const char *d = r->f->domain, *label = facts_service_label(jp->e->service);
	bool srv_ok = judge_rr_found(&svc->rr) && svc->rr.state == DNSSEC_SECURE &&
		      !svc->fallback && !svc->absent;
	struct identity_ref ref = {d, jp->e->service, srv_ok ? jp->t->name : NULL};
	struct identity_result res;
	struct judge_list names = {.len = 0};
	char text[JUDGE_TLSA_TEXT_MAX], also[FACTS_NAME_MAX + 32] = "";
	char why[FACTS_NAME_MAX + 96] = "";
	int dlen = judge_host_len(d), hlen = judge_host_len(jp->t->name);

	if (identity_match(&p->leaf, &ref, &res) < 0) {
		/* A target that is no host name cannot be presented: judge against D alone. */
		if (ref.srv_target == NULL) {
			return;
		}
		ref.srv_target = NULL;
		srv_ok = false;
		if (identity_match(&p->leaf, &ref, &res) < 0) {
			return;
		}
	}
	if (res.matched) {
		return;
	}
	if (srv_ok) {
		snprintf(also, sizeof(also), " or the SRV target %.*s", hlen, jp->t->name);
	} else {
		ref.srv_target = jp->t->name;
		if (identity_match(&p->leaf, &ref, &res) == 0 && res.matched) {
			snprintf(why, sizeof(why),
				 "; it names the SRV target %.*s, which counts only with a "
				 "DNSSEC-secure SRV RRset (RFC 7673)",
				 hlen, jp->t->name);
		}
	}
	judge_names(&p->leaf, &names);
	if (ee != NULL) {
		/* RFC 7671 §5.1: DANE-EE peers ignore names. */
		judge_tlsa_text(ee, text);
		judge_add(r, FINDING_CERT_NAME_MISMATCH, SEVERITY_WARNING, &jp->subj,
			  "the %s of %s does not name %.*s%s (it presents %s)%s: DANE-EE peers "
			  "accept it (%s matches; RFC 7671 §5.1), PKIX and DANE-TA peers reject "
			  "it; get one naming %.*s",
			  jp->cert, jp->where, dlen, d, also, names.n > 0 ? names.s : "no names",
			  why, text, dlen, d);
		return;
	}
	judge_add(r, FINDING_CERT_NAME_MISMATCH, JUDGE_DEFAULT, &jp->subj,
		  "the %s of %s does not name %.*s%s (it presents %s)%s: peers reject it; get "
		  "one naming %.*s (a DNS-ID, or the SRV-ID %.*s.%.*s)",
		  jp->cert, jp->where, dlen, d, also, names.n > 0 ? names.s : "no names", why, dlen,
		  d, (int)strcspn(label, "."), label, dlen, d);
}

/* Endpoint rule 6: the chain against the trust store. */
static void judge_probe_pkix(struct judge_run *r, const struct judge_probe *jp)
{
	const struct probe_facts *p = jp->p;
	const char *error = p->pkix_error[0] != '\0' ? p->pkix_error : "no reason given";
	const char *dane;

	if (p->pkix_ok) {
		return;
	}
	if (p->dane == DANE_MATCH) {
		dane = "DANE peers still accept it (a TLSA record matches); serve a chain from a "
		       "CA peers trust for the others";
	} else if (p->dane == DANE_NOT_APPLICABLE) {
		dane = "DANE does not apply here, so no peer accepts it; serve a chain from a CA "
		       "peers trust, with its intermediates";
	} else {
		dane = "no TLSA record matches either, so DANE peers reject it too; serve a chain "
		       "from a CA peers trust, with its intermediates";
	}
	judge_add(r, FINDING_PKIX_UNTRUSTED, JUDGE_DEFAULT, &jp->subj,
		  "the chain of the %s of %s does not validate to a trusted CA (%s): peers "
		  "without DANE reject it; %s",
		  jp->cert, jp->where, error, dane);
}

static void judge_probe(struct judge_run *r, const struct probe_facts *p)
{
	struct judge_probe jp;

	/* A probe that got TLS is judged further even when the stream inside failed. */
	if (!judge_probe_init(r->f, p, &jp) || !judge_probe_status(r, &jp)) {
		return;
	}
	judge_probe_version(r, &jp);
	if (!p->has_leaf) {
		return;
	}
	judge_probe_dane(r, &jp);
	judge_probe_dates(r, &jp);
	judge_probe_identity(r, &jp);
	judge_probe_pkix(r, &jp);
}

/*
 * Endpoint rule 7: the leaves of one service's complete probes, once per
 * service. The RSA-only probes are left out: a second certificate for RSA
 * peers is by design.
 */
static void judge_differ(struct judge_run *r, enum xmpp_service s)
{
	struct judge_list list = {.len = 0};
	struct judge_subject subj = {facts_service_name(s), NULL, 0, NULL};
	const uint8_t *first = NULL;
	bool differ = false;
	char hex[2 * JUDGE_HEX_SHORT + 4];
	size_t i;

	for (i = 0; i < judge_clamp(r->f->n_probes, FACTS_MAX_PROBES); i++) {
		const struct probe_facts *p = &r->f->probes[i];
		struct judge_probe jp;

		if (!judge_probe_init(r->f, p, &jp) || jp.e->service != s ||
		    p->status != PROBE_OK || !p->has_leaf || p->rsa_only) {
			continue;
		}
		first = first != NULL ? first : p->leaf.sha256;
		differ = differ || memcmp(first, p->leaf.sha256, CERT_SHA256_LEN) != 0;
		judge_hex(p->leaf.sha256, CERT_SHA256_LEN, JUDGE_HEX_SHORT, hex);
		judge_list_add(&list, "%.*s:%u/%s %s", judge_host_len(jp.t->name), jp.t->name,
			       jp.e->port, p->address, hex);
	}
	if (differ) {
		judge_add(r, FINDING_ENDPOINTS_DIFFER, JUDGE_DEFAULT, &subj,
			  "endpoints of %s present different certificates (SHA-256): %s; what a "
			  "peer sees (key, TLSA match, expiry) depends on the address it picks: "
			  "deploy the same certificate everywhere",
			  subj.service, list.s);
	}
}

int judge_endpoints(const struct domain_facts *f, int64_t now, const struct judge_opts *o,
		    struct findings *out)
{
	struct judge_run r = {.f = f, .now = now, .o = o, .out = out, .err = 0};
	size_t i, n0 = out->n;
	int s;

	for (i = 0; i < judge_clamp(f->n_probes, FACTS_MAX_PROBES); i++) {
		judge_probe(&r, &f->probes[i]);
	}
	for (s = 0; s < SERVICE_COUNT; s++) {
		if (f->services[s].enabled) {
			judge_differ(&r, s);
		}
	}
	if (r.err < 0) {
		out->n = n0;
	}
	return r.err;
}

int judge_check(const struct domain_facts *f, int64_t now, const struct judge_opts *o,
		struct findings *out)
{
	size_t n0 = out->n;
	int r;

	r = judge_dns(f, now, o, out);
	if (r < 0) {
		goto out;
	}
	r = judge_endpoints(f, now, o, out);
out:
	if (r < 0) {
		out->n = n0;
	}
	return r;
}
