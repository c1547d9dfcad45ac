/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libunbound in event mode. The callback of ub_resolve_event gets an rcode,
 * the answer packet and sec (0 insecure, 1 bogus, 2 secure); classification
 * follows NOTES.md: by rcode first, and only answers (NOERROR, NXDOMAIN)
 * get a validation state.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <unbound-event.h>
#include <unbound.h>

#include "checks/dnsmsg.h"
#include "checks/resolver.h"
#include "common/err.h"

struct resolver_query {
	struct resolver *r;
	struct resolver_query *next; /* in the wait queue, or in the in-flight list */
	struct resolver_query *prev;
	char *name;
	uint16_t type;
	int64_t now;
	int async_id;
	resolver_fn fn;
	void *arg;
};

struct resolver {
	struct ub_ctx *ctx;
	unsigned max_inflight;
	unsigned inflight;
	unsigned inflight_peak;
	struct resolver_query *queue_head; /* waiting, FIFO */
	struct resolver_query *queue_tail;
	struct resolver_query *running;	 /* in flight, for cancelling */
	int pumping;			 /* guards against re-entry from synchronous callbacks */
	struct resolver_query *starting; /* inside ub_resolve_event */
	bool starting_done;		 /* ...which already called back (and freed it) */
	char error[128];		 /* the resolver's own failure, "" while none */
};

/* A regular file we can read: libunbound's config lexer exits the process on a directory. */
static int resolver_readable(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		snprintf(err, errlen, "%s %s: not a regular file", what, path);
	}
	if (fd >= 0) {
		close(fd);
	}
	return r;
}

/*
 * Runs fn with stderr sent to a temporary file and returns its result; the
 * first line libunbound printed there (it reports config errors on stderr,
 * several lines each) goes to first_line, so we can say it in one line.
 */
static int resolver_quiet(int (*fn)(struct ub_ctx *, const char *), struct ub_ctx *ctx,
			  const char *arg, char *first_line, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	int r;

	first_line[0] = '\0';
	if (tmp == NULL || saved < 0) {
		if (tmp != NULL) {
			fclose(tmp);
		}
		if (saved >= 0) {
			close(saved);
		}
		return fn(ctx, arg);
	}
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	r = fn(ctx, arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	if (fgets(first_line, (int)len, tmp) != NULL) {
		first_line[strcspn(first_line, "\n")] = '\0';
	}
	fclose(tmp);
	return r;
}

static int resolver_setup(struct ub_ctx *ctx, const struct resolver_opts *o, char *err,
			  size_t errlen)
{
	const char *anchor = o->trust_anchor_file;
	unsigned mb = o->cache_mb != 0 ? o->cache_mb : 112;
	char why[256], msg[16], rrset[16], key[16];
	int r;

	/*
	 * libunbound's defaults (16 sockets, 4 MB caches) suit one lookup at a
	 * time; checks of thousands of domains need more, or validated answers
	 * are evicted and verified again. A long-running process may choose
	 * smaller caches (memory over CPU: a domain whose answers were evicted is
	 * validated afresh). Split message:rrset:key as 2:4:1, as unbound's own
	 * defaults roughly are. Set before the config, which may override.
	 */
	snprintf(msg, sizeof(msg), "%uk", mb * 1024 * 2 / 7);
	snprintf(rrset, sizeof(rrset), "%uk", mb * 1024 * 4 / 7);
	snprintf(key, sizeof(key), "%uk", mb * 1024 / 7);
	if (ub_ctx_set_option(ctx, "outgoing-range:", "1024") != 0 ||
	    ub_ctx_set_option(ctx, "num-queries-per-thread:", "2048") != 0 ||
	    ub_ctx_set_option(ctx, "msg-cache-size:", msg) != 0 ||
	    ub_ctx_set_option(ctx, "rrset-cache-size:", rrset) != 0 ||
	    ub_ctx_set_option(ctx, "key-cache-size:", key) != 0 ||
	    ub_ctx_set_option(ctx, "val-log-level:", "2") != 0) {
		snprintf(err, errlen, "cannot set resolver options");
		return ERR_DNS;
	}
	if (o->config_file != NULL) {
		r = resolver_readable("resolver config", o->config_file, err, errlen);
		if (r < 0) {
			return r;
		}
		r = resolver_quiet(ub_ctx_config, ctx, o->config_file, why, sizeof(why));
		if (r != 0) {
			snprintf(err, errlen, "resolver config %s: %s", o->config_file,
				 why[0] != '\0' ? why : ub_strerror(r));
			return ERR_PARSE;
		}
	}
	if (anchor == NULL && o->config_file == NULL) {
		anchor = RESOLVER_ROOT_ANCHOR;
	}
	if (anchor != NULL) {
		r = resolver_readable("trust anchor", anchor, err, errlen);
		if (r < 0) {
			return r;
		}
		r = resolver_quiet(ub_ctx_add_ta_file, ctx, anchor, why, sizeof(why));
		if (r != 0) {
			snprintf(err, errlen, "trust anchor %s: %s", anchor,
				 why[0] != '\0' ? why : ub_strerror(r));
			return ERR_PARSE;
		}
	}
	return 0;
}

static void resolver_probe_done(void *arg, int rcode, void *packet, int len, int sec, char *why,
				int was_ratelimited)
{
	(void)arg;
	(void)rcode;
	(void)packet;
	(void)len;
	(void)sec;
	(void)why;
	(void)was_ratelimited;
}

/*
 * libunbound applies trust anchors and most settings on the first query and
 * only then fails (UB_INITFAIL), printing why. Ask once now for a name it
 * answers itself (localhost., a default local zone; or refused locally by a
 * test bed's config), so a bad setting fails at start with its reason.
 * Afterwards libunbound's own logging is off: results carry what we need.
 */
static int resolver_probe(struct ub_ctx *ctx, char *why, size_t len)
{
	FILE *log = tmpfile();
	char line[512];
	int id = 0;
	int rc;

	why[0] = '\0';
	ub_ctx_debugout(ctx, log);
	rc = ub_resolve_event(ctx, "localhost.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, NULL,
			      resolver_probe_done, &id);
	if (rc == 0 && id != 0) {
		ub_cancel(ctx, id);
	}
	ub_ctx_debugout(ctx, NULL);
	if (log == NULL) {
		return rc;
	}
	rewind(log);
	while (rc != 0 && why[0] == '\0' && fgets(line, sizeof(line), log) != NULL) {
		/* "[TIME] libunbound[PID:0] error: WHAT": keep WHAT. */
		const char *what = strstr(line, "error: ");

		if (what != NULL) {
			snprintf(why, len, "%s", what + 7);
			why[strcspn(why, "\n")] = '\0';
		}
	}
	fclose(log);
	return rc;
}

int resolver_new(struct event_base *base, const struct resolver_opts *o, struct resolver **ret,
		 char *err, size_t errlen)
{
	struct resolver *r;
	char why[256];
	int rc;

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->max_inflight = o->max_inflight ? o->max_inflight : RESOLVER_DEFAULT_INFLIGHT;
	r->ctx = ub_ctx_create_event(base);
	if (r->ctx == NULL) {
		snprintf(err, errlen, "cannot create the resolver context");
		resolver_free(r);
		return ERR_DNS;
	}
	rc = resolver_setup(r->ctx, o, err, errlen);
	if (rc < 0) {
		resolver_free(r);
		return rc;
	}
	rc = resolver_probe(r->ctx, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen, "resolver: %s", why[0] != '\0' ? why : ub_strerror(rc));
		resolver_free(r);
		return ERR_DNS;
	}
	*ret = r;
	return 0;
}

static void resolver_query_free(struct resolver_query *q)
{
	free(q->name);
	free(q);
}

static void resolver_unlink_running(struct resolver *r, struct resolver_query *q)
{
	if (q->prev != NULL) {
		q->prev->next = q->next;
	} else {
		r->running = q->next;
	}
	if (q->next != NULL) {
		q->next->prev = q->prev;
	}
	q->next = q->prev = NULL;
}

void resolver_free(struct resolver *r)
{
	struct resolver_query *q;

	if (r == NULL) {
		return;
	}
	while ((q = r->running) != NULL) {
		resolver_unlink_running(r, q);
		if (r->ctx != NULL) {
			ub_cancel(r->ctx, q->async_id);
		}
		resolver_query_free(q);
	}
	while ((q = r->queue_head) != NULL) {
		r->queue_head = q->next;
		resolver_query_free(q);
	}
	if (r->ctx != NULL) {
		ub_ctx_delete(r->ctx);
	}
	free(r);
}

/* rcode and sec into status and state (NOTES.md "libunbound"). */
static void resolver_classify(int rcode, int sec, const ldns_pkt *pkt, bool has_records,
			      struct rrset_facts *rr)
{
	rr->rcode = rcode;
	if (sec == 1) {
		/* Bogus answers may carry data, and may come as SERVFAIL: a verdict all the same.
		 */
		rr->state = DNSSEC_BOGUS;
		rr->status = has_records		    ? LOOKUP_OK
			     : rcode == LDNS_RCODE_NXDOMAIN ? LOOKUP_NXDOMAIN
							    : LOOKUP_NODATA;
		return;
	}
	switch (rcode) {
	case LDNS_RCODE_NOERROR:
		rr->status = pkt == NULL ? LOOKUP_ERROR : has_records ? LOOKUP_OK : LOOKUP_NODATA;
		break;
	case LDNS_RCODE_NXDOMAIN:
		rr->status = LOOKUP_NXDOMAIN;
		break;
	case LDNS_RCODE_SERVFAIL:
		rr->status = LOOKUP_SERVFAIL;
		break;
	case LDNS_RCODE_REFUSED:
		rr->status = LOOKUP_REFUSED;
		break;
	default:
		rr->status = LOOKUP_ERROR;
		break;
	}
	if (rr->status == LOOKUP_OK || rr->status == LOOKUP_NXDOMAIN ||
	    rr->status == LOOKUP_NODATA) {
		rr->state = sec == 2 ? DNSSEC_SECURE : DNSSEC_INSECURE;
	} else {
		rr->state = DNSSEC_INDETERMINATE;
	}
}

/* The negative TTL of a denial: the SOA in the authority section (RFC 2308 §5). */
static uint32_t resolver_negative_ttl(const ldns_pkt *pkt)
{
	const ldns_rr_list *auth = ldns_pkt_authority(pkt);
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
			return ldns_rr_ttl(rr);
		}
	}
	return 0;
}

static void resolver_answer(struct resolver_query *q, int rcode, void *packet, int len, int sec,
			    const char *why)
{
	struct rrset_facts rr;
	struct resolver_answer a = {&rr, NULL, NULL};
	ldns_pkt *pkt = NULL;
	ldns_rdf *qname = NULL;
	ldns_rdf *owner = NULL;
	ldns_rr_list *rrs = NULL;
	bool alias = false;

	memset(&rr, 0, sizeof(rr));
	if (packet != NULL && len > 0 &&
	    ldns_wire2pkt(&pkt, packet, (size_t)len) != LDNS_STATUS_OK) {
		pkt = NULL;
	}
	qname = dnsmsg_name_parse(q->name);
	if (pkt != NULL && qname != NULL) {
		owner = dnsmsg_answer_owner(pkt, qname, q->type, &alias);
		rrs = owner != NULL ? dnsmsg_rrs(pkt, owner, q->type) : NULL;
		rr.n_found = rrs != NULL ? ldns_rr_list_rr_count(rrs) : 0;
		if (rr.n_found > 0) {
			rr.ttl = ldns_rr_ttl(ldns_rr_list_rr(rrs, 0));
			rr.sig_expiration = dnsmsg_sig_expiration(pkt, owner, q->type, q->now);
		} else {
			rr.ttl = resolver_negative_ttl(pkt);
		}
		if (alias && owner != NULL) {
			dnsmsg_name(owner, rr.cname);
		}
	}
	resolver_classify(rcode, sec, pkt, rr.n_found > 0, &rr);
	if (sec == 1 && why != NULL) {
		snprintf(rr.why, sizeof(rr.why), "%s", why);
	}
	a.owner = rr.n_found > 0 ? owner : NULL;
	a.pkt = pkt;
	q->fn(q->arg, &a);
	ldns_rr_list_free(rrs);
	ldns_rdf_deep_free(owner);
	ldns_rdf_deep_free(qname);
	ldns_pkt_free(pkt);
}

static void resolver_pump(struct resolver *r);

static void resolver_done(void *arg, int rcode, void *packet, int len, int sec, char *why,
			  int was_ratelimited)
{
	struct resolver_query *q = arg;
	struct resolver *r = q->r;

	(void)was_ratelimited;
	if (q == r->starting) {
		r->starting_done = true;
	}
	resolver_unlink_running(r, q);
	r->inflight--;
	resolver_answer(q, rcode, packet, len, sec, why);
	resolver_query_free(q);
	resolver_pump(r);
}

/* Starts waiting queries while there is room. */
static void resolver_pump(struct resolver *r)
{
	struct resolver_query *q;
	int id = 0;
	int rc;

	if (r->pumping) {
		return;
	}
	r->pumping = 1;
	while (r->inflight < r->max_inflight && (q = r->queue_head) != NULL) {
		r->queue_head = q->next;
		if (r->queue_head == NULL) {
			r->queue_tail = NULL;
		}
		q->next = r->running;
		q->prev = NULL;
		if (r->running != NULL) {
			r->running->prev = q;
		}
		r->running = q;
		r->inflight++;
		if (r->inflight > r->inflight_peak) {
			r->inflight_peak = r->inflight;
		}
		/*
		 * For local data libunbound calls back before returning, and q is
		 * then gone: keep the id in a local and look at q only if it is not.
		 */
		r->starting = q;
		r->starting_done = false;
		rc = ub_resolve_event(r->ctx, q->name, q->type, LDNS_RR_CLASS_IN, q, resolver_done,
				      &id);
		r->starting = NULL;
		if (r->starting_done) {
			continue;
		}
		q->async_id = id;
		if (rc != 0) {
			/* The context itself failed (e.g. a config it could not apply). */
			snprintf(r->error, sizeof(r->error), "%s", ub_strerror(rc));
			resolver_unlink_running(r, q);
			r->inflight--;
			resolver_answer(q, -1, NULL, 0, 0, NULL);
			resolver_query_free(q);
		}
	}
	r->pumping = 0;
}

int resolver_query(struct resolver *r, const char *name, uint16_t type, int64_t now, resolver_fn fn,
		   void *arg)
{
	struct resolver_query *q = calloc(1, sizeof(*q));

	if (q == NULL || (q->name = strdup(name)) == NULL) {
		free(q);
		return -ENOMEM;
	}
	q->r = r;
	q->type = type;
	q->now = now;
	q->fn = fn;
	q->arg = arg;
	if (r->queue_tail != NULL) {
		r->queue_tail->next = q;
	} else {
		r->queue_head = q;
	}
	r->queue_tail = q;
	resolver_pump(r);
	return 0;
}

unsigned resolver_inflight(const struct resolver *r)
{
	return r->inflight;
}

unsigned resolver_inflight_peak(const struct resolver *r)
{
	return r->inflight_peak;
}

const char *resolver_error(const struct resolver *r)
{
	return r->error[0] != '\0' ? r->error : NULL;
}
