/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * XMPP endpoint probes: a small state machine per connection, driven by one
 * libevent event that is re-armed for the next read or write with the
 * current step's timeout. Plain-text bytes go through the bounded stream
 * reader (xmppstream); TLS is nonblocking OpenSSL on the same socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "certs/tlsa.h"
#include "checks/probe.h"
#include "checks/xmppstream.h"
#include "common/err.h"

/* One read from the socket: stream features fit many times over. */
#define PROBE_READ_CHUNK 4096

enum probe_phase {
	PHASE_QUEUED,
	PHASE_CONNECT,
	PHASE_STREAM,	/* plain: our header sent (or sending), reading features */
	PHASE_STARTTLS, /* <starttls/> sent (or sending), waiting for <proceed/> */
	PHASE_HANDSHAKE,
	PHASE_TLS_STREAM, /* Direct TLS: header sent inside TLS, reading features */
};

struct prober {
	struct event_base *base;
	struct event *kick; /* starts queued probes from the loop */
	struct prober_opts opts;
	SSL_CTX *ctx;
	X509_STORE *store;
	unsigned running;
	unsigned peak;
	struct probe *queue_head; /* waiting, FIFO */
	struct probe *queue_tail;
	struct probe *active;		 /* running, doubly linked */
	struct probe_rsa_memo *rsa_memo; /* PROBE_RSA_MEMO_SIZE entries, allocated on first use */
};

/* One server port known to hold no RSA certificate beside a leaf (prober_rsa_absent). */
struct probe_rsa_memo {
	uint8_t key[CERT_SHA256_LEN]; /* SHA-256 of (domain, target, port, leaf) */
	int64_t expires_ms;	      /* monotonic; 0: an empty slot */
};

struct probe {
	struct prober *p;
	struct probe *next;
	struct probe *prev;
	struct probe_request req; /* strings below, tlsa borrowed from the caller */
	char domain[FACTS_NAME_MAX];
	char address[FACTS_ADDR_MAX];
	struct probe_facts *out;
	probe_fn fn;
	void *arg;
	enum probe_phase phase;
	bool queued;
	int fd;
	struct event *ev;
	SSL *ssl;
	struct xmppstream *xs;
	char wbuf[512]; /* what is left to send (stream header, <starttls/>) */
	size_t wlen;
	size_t woff;
	size_t dane_usable;
};

static bool probe_is_direct(enum xmpp_service s)
{
	return s == SERVICE_XMPPS_CLIENT || s == SERVICE_XMPPS_SERVER;
}

static bool probe_is_server(enum xmpp_service s)
{
	return s == SERVICE_XMPP_SERVER || s == SERVICE_XMPPS_SERVER;
}

static const char *probe_content_ns(const struct probe *pr)
{
	return probe_is_server(pr->req.service) ? "jabber:server" : "jabber:client";
}

/* --- the prober ----------------------------------------------------------------------- */

static int probe_ctx_setup(SSL_CTX *ctx)
{
	/*
	 * See what servers really negotiate: TLS 1.0 and old ciphers stay possible so
	 * that TLS_VERSION_OLD can be reported instead of a failed handshake.
	 */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") || SSL_CTX_dane_enable(ctx) <= 0) {
		return ERR_CRYPTO;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE,
			   NULL); /* verdicts are ours, not a failed handshake */
	SSL_CTX_set_verify_depth(ctx, FACTS_MAX_CHAIN);
	SSL_CTX_set_max_cert_list(ctx, PROBE_MAX_CERT_LIST);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return 0;
}

static void prober_pump(struct prober *p);

static void prober_on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	prober_pump(arg);
}

int prober_new(struct event_base *base, const struct prober_opts *o, struct prober **ret, char *err,
	       size_t errlen)
{
	struct prober *p = calloc(1, sizeof(*p));
	int r = ERR_CRYPTO;

	if (p == NULL || (p->kick = event_new(base, -1, 0, prober_on_kick, p)) == NULL) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->base = base;
	p->opts = *o;
	p->ctx = SSL_CTX_new(TLS_client_method());
	p->store = X509_STORE_new();
	if (p->ctx == NULL || p->store == NULL || probe_ctx_setup(p->ctx) < 0) {
		snprintf(err, errlen, "cannot set up TLS");
		goto fail;
	}
	if (o->ca_file != NULL) {
		if (!X509_STORE_load_file(p->store, o->ca_file)) {
			snprintf(err, errlen, "CA file %s: %s", o->ca_file,
				 ERR_reason_error_string(ERR_peek_last_error()));
			r = ERR_PARSE;
			goto fail;
		}
	} else if (!X509_STORE_set_default_paths(p->store)) {
		snprintf(err, errlen, "cannot load the system CA store");
		goto fail;
	}
	ERR_clear_error();
	*ret = p;
	return 0;
fail:
	ERR_clear_error();
	prober_free(p);
	return r;
}

/* The time chains are verified at: the prober's fixed time (one check), else now (a daemon). */
static time_t probe_verify_time(const struct prober *p)
{
	return p->opts.now != 0 ? (time_t)p->opts.now : time(NULL);
}

static void probe_release(struct probe *pr)
{
	if (pr->ev != NULL) {
		event_free(pr->ev);
	}
	if (pr->ssl != NULL) {
		SSL_free(pr->ssl);
	}
	if (pr->fd >= 0) {
		close(pr->fd);
	}
	xmppstream_free(pr->xs);
	free(pr);
}

static void probe_unlink(struct probe *pr)
{
	struct prober *p = pr->p;

	if (pr->queued) {
		struct probe **link = &p->queue_head;

		while (*link != NULL && *link != pr) {
			link = &(*link)->next;
		}
		if (*link == pr) {
			*link = pr->next;
		}
		if (p->queue_tail == pr) {
			p->queue_tail = NULL;
			for (struct probe *q = p->queue_head; q != NULL; q = q->next) {
				p->queue_tail = q;
			}
		}
		pr->queued = false;
	} else {
		if (pr->prev != NULL) {
			pr->prev->next = pr->next;
		} else {
			p->active = pr->next;
		}
		if (pr->next != NULL) {
			pr->next->prev = pr->prev;
		}
		p->running--;
	}
	pr->next = pr->prev = NULL;
}

void prober_free(struct prober *p)
{
	if (p == NULL) {
		return;
	}
	while (p->active != NULL) {
		struct probe *pr = p->active;

		probe_unlink(pr);
		probe_release(pr);
	}
	while (p->queue_head != NULL) {
		struct probe *pr = p->queue_head;

		probe_unlink(pr);
		probe_release(pr);
	}
	SSL_CTX_free(p->ctx);
	X509_STORE_free(p->store);
	event_free(p->kick);
	free(p->rsa_memo);
	free(p);
}

unsigned prober_parallel_peak(const struct prober *p)
{
	return p->peak;
}

/* --- servers without a second certificate --------------------------------------------- */

/*
 * Entries per set: enough that a set does not overflow by chance while the
 * memory is far from full (with 4 ways, 600 keys in 4096 entries already
 * lost a few; with 8, 2,000 lost 80), few enough to scan at once (640 octets).
 */
#define PROBE_RSA_MEMO_WAYS 16

/* The memo key: names case-folded, each ended by a NUL so no two inputs run together. */
static void probe_rsa_memo_key(const char *domain, const char *target, uint16_t port,
			       const uint8_t leaf_sha256[CERT_SHA256_LEN],
			       uint8_t ret[CERT_SHA256_LEN])
{
	uint8_t in[2 * FACTS_NAME_MAX + 2 + CERT_SHA256_LEN];
	size_t n = 0;
	const char *names[2] = {domain, target};
	size_t i, k;

	for (k = 0; k < 2; k++) {
		for (i = 0; names[k][i] != '\0' && i < FACTS_NAME_MAX - 1; i++) {
			char ch = names[k][i];

			in[n++] = (uint8_t)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
		}
		in[n++] = '\0';
	}
	in[n++] = (uint8_t)(port >> 8);
	in[n++] = (uint8_t)port;
	memcpy(in + n, leaf_sha256, CERT_SHA256_LEN);
	n += CERT_SHA256_LEN;
	if (!EVP_Digest(in, n, ret, NULL, EVP_sha256(), NULL)) {
		memset(ret, 0, CERT_SHA256_LEN); /* all keys alike: a miss at worst */
		ERR_clear_error();
	}
}

/* The first slot of the key's set (the key is a digest: its first octets spread evenly). */
static struct probe_rsa_memo *probe_rsa_memo_set(struct prober *p, const uint8_t *key)
{
	uint32_t h = (uint32_t)key[0] | (uint32_t)key[1] << 8 | (uint32_t)key[2] << 16;

	return &p->rsa_memo[(h % (PROBE_RSA_MEMO_SIZE / PROBE_RSA_MEMO_WAYS)) *
			    PROBE_RSA_MEMO_WAYS];
}

bool prober_rsa_absent(struct prober *p, const char *domain, const char *target, uint16_t port,
		       const uint8_t leaf_sha256[CERT_SHA256_LEN], int64_t now_ms)
{
	uint8_t key[CERT_SHA256_LEN];
	struct probe_rsa_memo *set;
	size_t i;

	if (p->rsa_memo == NULL) {
		return false;
	}
	probe_rsa_memo_key(domain, target, port, leaf_sha256, key);
	set = probe_rsa_memo_set(p, key);
	for (i = 0; i < PROBE_RSA_MEMO_WAYS; i++) {
		if (set[i].expires_ms > now_ms && memcmp(set[i].key, key, sizeof(key)) == 0) {
			return true;
		}
	}
	return false;
}

void prober_rsa_note_absent(struct prober *p, const char *domain, const char *target, uint16_t port,
			    const uint8_t leaf_sha256[CERT_SHA256_LEN], int64_t now_ms)
{
	uint8_t key[CERT_SHA256_LEN];
	struct probe_rsa_memo *set, *slot;
	size_t i;

	if (p->rsa_memo == NULL) {
		p->rsa_memo = calloc(PROBE_RSA_MEMO_SIZE, sizeof(*p->rsa_memo));
		if (p->rsa_memo == NULL) {
			return; /* a memory only: without it every check asks the server */
		}
	}
	probe_rsa_memo_key(domain, target, port, leaf_sha256, key);
	set = probe_rsa_memo_set(p, key);
	slot = &set[0];
	for (i = 0; i < PROBE_RSA_MEMO_WAYS; i++) {
		if (memcmp(set[i].key, key, sizeof(key)) == 0) {
			slot = &set[i];
			break;
		}
		/* Else the slot that expires first: empty and expired ones come first. */
		if (set[i].expires_ms < slot->expires_ms) {
			slot = &set[i];
		}
	}
	memcpy(slot->key, key, sizeof(key));
	slot->expires_ms = now_ms + PROBE_RSA_MEMO_TTL_MS;
}

/* --- ending a probe ------------------------------------------------------------------- */

static void probe_finish(struct probe *pr, enum probe_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void probe_finish(struct probe *pr, enum probe_status st, const char *fmt, ...)
{
	struct prober *p = pr->p;
	probe_fn fn = pr->fn;
	void *arg = pr->arg;
	struct probe_facts *out = pr->out;
	va_list ap;

	out->status = st;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
	if (pr->ssl != NULL && st == PROBE_OK) {
		SSL_shutdown(pr->ssl); /* best effort: sends close_notify if it can */
	}
	ERR_clear_error();
	probe_unlink(pr);
	probe_release(pr);
	fn(arg, out);
	prober_pump(p);
}

/* The first OpenSSL error as text, or what the socket said. */
static void probe_tls_error(char *buf, size_t len, int ssl_err)
{
	unsigned long e = ERR_peek_last_error();

	if (e != 0) {
		snprintf(buf, len, "%s",
			 ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "TLS error");
	} else if (ssl_err == SSL_ERROR_SYSCALL) {
		snprintf(buf, len, "%s", errno ? strerror(errno) : "connection closed");
	} else if (ssl_err == SSL_ERROR_ZERO_RETURN) {
		snprintf(buf, len, "connection closed");
	} else {
		snprintf(buf, len, "TLS error %d", ssl_err);
	}
	ERR_clear_error();
}

/* --- verification of the presented chain ---------------------------------------------- */

/*
 * The presented chain in our own type, made only when needed (the leaf always, a
 * CA only for a trust-anchor record). Each is a reference to the X509 the handshake
 * decoded, never a second decode: decoding a public key is the costly part of a
 * certificate in OpenSSL 3.0.
 */
struct probe_chain {
	STACK_OF(X509) * x509;
	struct cert *certs[FACTS_MAX_CHAIN];
	bool tried[FACTS_MAX_CHAIN];
	size_t n;
};

static void probe_chain_init(STACK_OF(X509) * chain, struct probe_chain *ret)
{
	int n = chain != NULL ? sk_X509_num(chain) : 0;

	memset(ret, 0, sizeof(*ret));
	ret->x509 = chain;
	ret->n = n < FACTS_MAX_CHAIN ? (size_t)n : FACTS_MAX_CHAIN;
}

/* The certificate at depth, or NULL if there is none or no memory (it then matches nothing). */
static const struct cert *probe_chain_get(struct probe_chain *c, size_t depth)
{
	if (depth >= c->n) {
		return NULL;
	}
	if (!c->tried[depth]) {
		c->tried[depth] = true;
		if (cert_from_x509(sk_X509_value(c->x509, (int)depth), &c->certs[depth]) < 0) {
			c->certs[depth] = NULL;
		}
	}
	return c->certs[depth];
}

static void probe_chain_release(struct probe_chain *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		cert_free(c->certs[i]);
	}
	c->n = 0;
}

/* Each record on its own (no digest agility): does it match the chain? */
static void probe_match_records(struct probe *pr, struct probe_chain *chain)
{
	struct probe_facts *out = pr->out;
	size_t i, depth;

	for (i = 0; i < pr->req.n_tlsa && i < FACTS_MAX_TLSA; i++) {
		const struct tlsa_facts *t = &pr->req.tlsa[i];
		bool ee = t->usage == TLSA_USAGE_PKIX_EE || t->usage == TLSA_USAGE_DANE_EE;

		out->tlsa_match[i] = 0;
		if (!tlsa_is_known(t->usage, t->selector, t->mtype)) {
			continue;
		}
		/* End-entity usages pin the leaf; trust-anchor usages a certificate above it. */
		for (depth = ee ? 0 : 1; depth < (ee ? 1 : chain->n) && !out->tlsa_match[i];
		     depth++) {
			struct tlsa_record rec = {0};

			const struct cert *c = probe_chain_get(chain, depth);

			if (c != NULL &&
			    tlsa_from_cert(c, t->usage, t->selector, t->mtype, &rec) == 0 &&
			    rec.len == t->len && memcmp(rec.data, t->data, t->len) == 0) {
				out->tlsa_match[i] = 1;
			}
			tlsa_record_release(&rec);
		}
	}
}

static void probe_dane_verdict(struct probe *pr)
{
	struct probe_facts *out = pr->out;
	uint8_t usage, selector, mtype;
	const unsigned char *data = NULL;
	size_t dlen = 0;
	size_t i;

	out->dane_depth = -1;
	out->dane_record = -1;
	if (!pr->req.dane) {
		out->dane = DANE_NOT_APPLICABLE;
		return;
	}
	if (pr->dane_usable == 0) {
		out->dane = DANE_NONE;
		return;
	}
	out->dane_depth = SSL_get0_dane_authority(pr->ssl, NULL, NULL);
	if (out->dane_depth < 0) {
		out->dane = DANE_MISMATCH;
		return;
	}
	out->dane = DANE_MATCH;
	if (SSL_get0_dane_tlsa(pr->ssl, &usage, &selector, &mtype, &data, &dlen) < 0) {
		return;
	}
	for (i = 0; i < pr->req.n_tlsa; i++) {
		const struct tlsa_facts *t = &pr->req.tlsa[i];

		if (t->usage == usage && t->selector == selector && t->mtype == mtype &&
		    t->len == dlen && memcmp(t->data, data, dlen) == 0) {
			out->dane_record = (int)i;
			break;
		}
	}
}

static void probe_pkix(struct probe *pr, STACK_OF(X509) * chain)
{
	struct probe_facts *out = pr->out;
	X509_STORE_CTX *vctx = X509_STORE_CTX_new();
	X509 *leaf = sk_X509_value(chain, 0);

	out->pkix_ok = false;
	if (vctx == NULL || leaf == NULL || !X509_STORE_CTX_init(vctx, pr->p->store, leaf, chain)) {
		snprintf(out->pkix_error, sizeof(out->pkix_error), "cannot verify");
		goto out;
	}
	X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(vctx), probe_verify_time(pr->p));
	if (X509_verify_cert(vctx) == 1) {
		out->pkix_ok = true;
		out->pkix_error[0] = '\0';
	} else {
		snprintf(out->pkix_error, sizeof(out->pkix_error), "%s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx)));
	}
out:
	X509_STORE_CTX_free(vctx);
	ERR_clear_error();
}

/* What TLS brought: version, cipher, chain, leaf, and the three verdicts. */
static void probe_collect(struct probe *pr)
{
	struct probe_facts *out = pr->out;
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(pr->ssl);
	int n = chain != NULL ? sk_X509_num(chain) : 0;
	int i;

	out->tls_version = (uint16_t)SSL_version(pr->ssl);
	snprintf(out->tls_version_name, sizeof(out->tls_version_name), "%s",
		 SSL_get_version(pr->ssl));
	snprintf(out->cipher, sizeof(out->cipher), "%s", SSL_get_cipher_name(pr->ssl));
	out->chain_len = (size_t)n;
	for (i = 0; i < n && i < FACTS_MAX_CHAIN; i++) {
		unsigned int md_len = 0;

		X509_digest(sk_X509_value(chain, i), EVP_sha256(), out->chain_sha256[i], &md_len);
	}
	if (n > 0) {
		struct probe_chain decoded;
		const struct cert *leaf;

		probe_chain_init(chain, &decoded);
		leaf = probe_chain_get(&decoded, 0);
		if (leaf != NULL && cert_info_get(leaf, &out->leaf) == 0) {
			out->has_leaf = true;
		}
		probe_match_records(pr, &decoded);
		probe_chain_release(&decoded);
		probe_pkix(pr, chain);
	}
	probe_dane_verdict(pr);
	ERR_clear_error();
}

/* --- the state machine ---------------------------------------------------------------- */

static void probe_on_event(evutil_socket_t fd, short what, void *arg);

static void probe_arm(struct probe *pr, short what, unsigned timeout_s)
{
	struct timeval tv = {(time_t)timeout_s, 0};

	if (pr->ev != NULL) {
		event_free(pr->ev);
	}
	pr->ev = event_new(pr->p->base, pr->fd, what, probe_on_event, pr);
	if (pr->ev == NULL || event_add(pr->ev, &tv) < 0) {
		probe_finish(pr, PROBE_CONNECT_FAILED, "out of memory");
	}
}

static unsigned probe_step_timeout(const struct probe *pr)
{
	return pr->p->opts.step_timeout_s ? pr->p->opts.step_timeout_s : PROBE_STEP_TIMEOUT_S;
}

/* Queues bytes to send in the plain phases. */
static int probe_queue_write(struct probe *pr, const char *data, size_t len)
{
	if (len > sizeof(pr->wbuf)) {
		return ERR_TOO_BIG;
	}
	memcpy(pr->wbuf, data, len);
	pr->wlen = len;
	pr->woff = 0;
	return 0;
}

static int probe_stream_open(struct probe *pr)
{
	const char *from = probe_is_server(pr->req.service) ? pr->p->opts.s2s_from : NULL;
	char header[512];
	int len;
	int r;

	xmppstream_free(pr->xs);
	pr->xs = NULL;
	r = xmppstream_new(probe_content_ns(pr), &pr->xs);
	if (r < 0) {
		return r;
	}
	len = xmppstream_header(probe_content_ns(pr), pr->domain, from, header, sizeof(header));
	if (len < 0) {
		return len;
	}
	return probe_queue_write(pr, header, (size_t)len);
}

static void probe_start_tls(struct probe *pr)
{
	static const unsigned char alpn_client[] = "\x0bxmpp-client";
	static const unsigned char alpn_server[] = "\x0bxmpp-server";
	size_t i;

	pr->ssl = SSL_new(pr->p->ctx);
	if (pr->ssl == NULL || !SSL_set_fd(pr->ssl, pr->fd) ||
	    !SSL_set_tlsext_host_name(pr->ssl, pr->domain)) {
		probe_finish(pr, PROBE_TLS_FAILED, "cannot set up TLS");
		return;
	}
	if (probe_is_direct(pr->req.service)) {
		/* XEP-0368: ALPN names the service, so an HTTPS server is not taken for XMPP. */
		const unsigned char *alpn = probe_is_server(pr->req.service) ? alpn_server
									     : alpn_client;

		SSL_set_alpn_protos(pr->ssl, alpn, sizeof(alpn_client) - 1);
	}
	if (pr->req.rsa_only &&
	    !SSL_set1_sigalgs_list(pr->ssl,
				   "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:"
				   "rsa_pss_rsae_sha512:RSA+SHA256:RSA+SHA384:RSA+SHA512")) {
		probe_finish(pr, PROBE_TLS_FAILED, "cannot restrict signature algorithms");
		return;
	}
	if (pr->req.dane) {
		/*
		 * OpenSSL's name checks know DNS-IDs only; ours (RFC 6120) run on the leaf
		 * later. DANE-EE ignores names anyway (RFC 7671 §5.1, NOTES.md).
		 */
		if (SSL_dane_enable(pr->ssl, pr->domain) <= 0) {
			probe_finish(pr, PROBE_TLS_FAILED, "cannot enable DANE");
			return;
		}
		SSL_dane_set_flags(pr->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
		SSL_set1_host(pr->ssl, NULL);
		for (i = 0; i < pr->req.n_tlsa; i++) {
			const struct tlsa_facts *t = &pr->req.tlsa[i];

			if (SSL_dane_tlsa_add(pr->ssl, t->usage, t->selector, t->mtype, t->data,
					      t->len) > 0) {
				pr->dane_usable++;
			}
		}
		ERR_clear_error(); /* unusable records are the judge's business */
	}
	X509_VERIFY_PARAM_set_time(SSL_get0_param(pr->ssl), probe_verify_time(pr->p));
	pr->phase = PHASE_HANDSHAKE;
	probe_arm(pr, EV_WRITE, probe_step_timeout(pr));
}

static void probe_handshake(struct probe *pr)
{
	char why[128];
	int rc = SSL_connect(pr->ssl);
	int e;
	int r;

	if (rc == 1) {
		probe_collect(pr);
		if (!probe_is_direct(pr->req.service)) {
			probe_finish(pr, PROBE_OK, "STARTTLS, %s", pr->out->tls_version_name);
			return;
		}
		r = probe_stream_open(pr);
		if (r < 0) {
			probe_finish(pr, PROBE_STREAM_FAILED, "%s", err_str(r));
			return;
		}
		pr->phase = PHASE_TLS_STREAM;
		probe_arm(pr, EV_WRITE, probe_step_timeout(pr));
		return;
	}
	e = SSL_get_error(pr->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		probe_arm(pr, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE,
			  probe_step_timeout(pr));
		return;
	}
	/* OpenSSL files an alert received from the peer as SSL_AD_REASON_OFFSET + its code. */
	pr->out->tls_alert = e == SSL_ERROR_SSL &&
			     ERR_GET_LIB(ERR_peek_last_error()) == ERR_LIB_SSL &&
			     ERR_GET_REASON(ERR_peek_last_error()) >= SSL_AD_REASON_OFFSET;
	probe_tls_error(why, sizeof(why), e);
	probe_finish(pr, PROBE_TLS_FAILED, "TLS handshake failed: %s", why);
}

/* After each feed: the next step, or the end, from what the server said so far. */
static void probe_after_feed(struct probe *pr)
{
	const struct xmppstream_state *st = xmppstream_state(pr->xs);
	enum probe_status fail_stage = pr->phase == PHASE_STARTTLS ? PROBE_STARTTLS_FAILED
								   : PROBE_STREAM_FAILED;

	if (st->error != 0) {
		probe_finish(pr, PROBE_STREAM_FAILED, "not an XMPP stream: %s", st->error_detail);
	} else if (st->stream_error[0] != '\0') {
		probe_finish(pr, fail_stage, "stream error <%s/>", st->stream_error);
	} else if (pr->phase == PHASE_STARTTLS && st->failure) {
		probe_finish(pr, PROBE_STARTTLS_FAILED,
			     "the server answered <failure/> to <starttls/>");
	} else if (pr->phase == PHASE_STARTTLS && st->proceed) {
		probe_start_tls(pr);
	} else if (st->closed) {
		probe_finish(pr, fail_stage, "the server closed the stream");
	} else if (st->features && pr->phase == PHASE_TLS_STREAM) {
		probe_finish(pr, PROBE_OK, "Direct TLS, %s", pr->out->tls_version_name);
	} else if (st->features && pr->phase == PHASE_STREAM) {
		if (!st->starttls_offered) {
			probe_finish(pr, PROBE_STARTTLS_FAILED,
				     "the stream features do not offer <starttls/>");
			return;
		}
		probe_queue_write(pr, XMPPSTREAM_STARTTLS, strlen(XMPPSTREAM_STARTTLS));
		pr->phase = PHASE_STARTTLS;
		probe_arm(pr, EV_WRITE, probe_step_timeout(pr));
	} else {
		probe_arm(pr, EV_READ, probe_step_timeout(pr));
	}
}

static void probe_plain_io(struct probe *pr, short what)
{
	uint8_t buf[PROBE_READ_CHUNK];
	ssize_t n;

	if (pr->woff < pr->wlen && (what & EV_WRITE)) {
		n = send(pr->fd, pr->wbuf + pr->woff, pr->wlen - pr->woff, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			probe_finish(pr, PROBE_STREAM_FAILED, "send: %s", strerror(errno));
			return;
		}
		pr->woff += n > 0 ? (size_t)n : 0;
		probe_arm(pr, pr->woff < pr->wlen ? EV_WRITE : EV_READ, probe_step_timeout(pr));
		return;
	}
	n = recv(pr->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		probe_arm(pr, EV_READ, probe_step_timeout(pr));
		return;
	}
	if (n <= 0) {
		if (pr->phase == PHASE_STARTTLS) {
			probe_finish(pr, PROBE_STARTTLS_FAILED,
				     "connection closed before <proceed/>");
		} else {
			probe_finish(pr, PROBE_STREAM_FAILED,
				     "connection closed before stream features%s%s",
				     n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
		}
		return;
	}
	xmppstream_feed(pr->xs, buf, (size_t)n);
	probe_after_feed(pr);
}

static void probe_tls_io(struct probe *pr)
{
	uint8_t buf[PROBE_READ_CHUNK];
	char why[128];
	int n;
	int e;

	if (pr->woff < pr->wlen) {
		n = SSL_write(pr->ssl, pr->wbuf + pr->woff, (int)(pr->wlen - pr->woff));
		if (n > 0) {
			pr->woff += (size_t)n;
			probe_arm(pr, pr->woff < pr->wlen ? EV_WRITE : EV_READ,
				  probe_step_timeout(pr));
			return;
		}
	} else {
		n = SSL_read(pr->ssl, buf, sizeof(buf));
		if (n > 0) {
			xmppstream_feed(pr->xs, buf, (size_t)n);
			probe_after_feed(pr);
			return;
		}
	}
	e = SSL_get_error(pr->ssl, n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		probe_arm(pr, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE,
			  probe_step_timeout(pr));
		return;
	}
	probe_tls_error(why, sizeof(why), e);
	probe_finish(pr, PROBE_STREAM_FAILED, "no stream features inside TLS: %s", why);
}

static void probe_connected(struct probe *pr)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	int r;

	if (getsockopt(pr->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
		soerr = errno;
	}
	if (soerr != 0) {
		probe_finish(pr, PROBE_CONNECT_FAILED, "%s", strerror(soerr));
		return;
	}
	if (probe_is_direct(pr->req.service)) {
		probe_start_tls(pr);
		return;
	}
	r = probe_stream_open(pr);
	if (r < 0) {
		probe_finish(pr, PROBE_STREAM_FAILED, "%s", err_str(r));
		return;
	}
	pr->phase = PHASE_STREAM;
	probe_arm(pr, EV_WRITE, probe_step_timeout(pr));
}

static void probe_timed_out(struct probe *pr)
{
	unsigned s = probe_step_timeout(pr);

	switch (pr->phase) {
	case PHASE_CONNECT:
		probe_finish(pr, PROBE_CONNECT_FAILED, "no connection within %u s",
			     pr->p->opts.connect_timeout_s ? pr->p->opts.connect_timeout_s
							   : PROBE_CONNECT_TIMEOUT_S);
		break;
	case PHASE_STARTTLS:
		probe_finish(pr, PROBE_STARTTLS_FAILED, "no <proceed/> within %u s", s);
		break;
	case PHASE_HANDSHAKE:
		probe_finish(pr, PROBE_TLS_FAILED, "TLS handshake not done within %u s", s);
		break;
	default:
		probe_finish(pr, PROBE_STREAM_FAILED, "no stream features within %u s", s);
		break;
	}
}

static void probe_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct probe *pr = arg;

	(void)fd;
	if (what & EV_TIMEOUT) {
		probe_timed_out(pr);
		return;
	}
	switch (pr->phase) {
	case PHASE_CONNECT:
		probe_connected(pr);
		break;
	case PHASE_STREAM:
	case PHASE_STARTTLS:
		probe_plain_io(pr, what);
		break;
	case PHASE_HANDSHAKE:
		probe_handshake(pr);
		break;
	case PHASE_TLS_STREAM:
		probe_tls_io(pr);
		break;
	default:
		break;
	}
}

/* --- starting --------------------------------------------------------------------------- */

static int probe_address(const char *text, uint16_t port, struct sockaddr_storage *ss,
			 socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return ERR_PARSE;
}

static void probe_connect(struct probe *pr)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	unsigned timeout = pr->p->opts.connect_timeout_s ? pr->p->opts.connect_timeout_s
							 : PROBE_CONNECT_TIMEOUT_S;

	pr->phase = PHASE_CONNECT;
	if (probe_address(pr->address, pr->req.port, &ss, &len) < 0) {
		probe_finish(pr, PROBE_CONNECT_FAILED, "'%s' is not an address", pr->address);
		return;
	}
	pr->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pr->fd < 0) {
		probe_finish(pr, PROBE_CONNECT_FAILED, "socket: %s", strerror(errno));
		return;
	}
	if (connect(pr->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		probe_finish(pr, PROBE_CONNECT_FAILED, "%s", strerror(errno));
		return;
	}
	probe_arm(pr, EV_WRITE, timeout);
}

/* Starts queued probes while there is room; each runs from an event, never from here. */
static void prober_pump(struct prober *p)
{
	unsigned max = p->opts.max_parallel ? p->opts.max_parallel : PROBE_DEFAULT_PARALLEL;

	while (p->running < max && p->queue_head != NULL) {
		struct probe *pr = p->queue_head;

		p->queue_head = pr->next;
		if (p->queue_head == NULL) {
			p->queue_tail = NULL;
		}
		pr->queued = false;
		pr->next = p->active;
		pr->prev = NULL;
		if (p->active != NULL) {
			p->active->prev = pr;
		}
		p->active = pr;
		p->running++;
		if (p->running > p->peak) {
			p->peak = p->running;
		}
		probe_connect(pr);
	}
}

int prober_start(struct prober *p, const struct probe_request *req, struct probe_facts *out,
		 probe_fn fn, void *arg, struct probe **ret)
{
	struct probe *pr = calloc(1, sizeof(*pr));

	if (pr == NULL) {
		return -ENOMEM;
	}
	pr->p = p;
	pr->fd = -1;
	pr->req = *req;
	/* Stream to= and SNI take the name without the root's dot. */
	snprintf(pr->domain, sizeof(pr->domain), "%s", req->domain);
	if (strlen(pr->domain) > 1 && pr->domain[strlen(pr->domain) - 1] == '.') {
		pr->domain[strlen(pr->domain) - 1] = '\0';
	}
	snprintf(pr->address, sizeof(pr->address), "%s", req->address);
	pr->req.domain = pr->domain;
	pr->req.address = pr->address;
	pr->out = out;
	pr->fn = fn;
	pr->arg = arg;
	snprintf(out->address, sizeof(out->address), "%s", req->address);
	out->rsa_only = req->rsa_only;
	out->dane_depth = -1;
	out->dane_record = -1;
	pr->queued = true;
	pr->phase = PHASE_QUEUED;
	if (p->queue_tail != NULL) {
		p->queue_tail->next = pr;
	} else {
		p->queue_head = pr;
	}
	p->queue_tail = pr;
	*ret = pr;
	/* Started from the loop, so that fn never runs inside this call. */
	event_active(p->kick, EV_TIMEOUT, 0);
	return 0;
}

void probe_cancel(struct probe *pr)
{
	if (pr == NULL) {
		return;
	}
	probe_unlink(pr);
	probe_release(pr);
}
