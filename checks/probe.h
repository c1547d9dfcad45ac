/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Probes of XMPP endpoints on the event loop (DESIGN.md steps 4-5): connect,
 * speak just enough XMPP to reach TLS (STARTTLS, or Direct TLS with a stream
 * inside it), keep the presented chain, and verify it three ways: OpenSSL
 * DANE against the TLSA records, PKIX against the CA store, and each TLSA
 * record on its own. Identity is judged later from the leaf (judge.c).
 */
#ifndef XDANE_CHECKS_PROBE_H
#define XDANE_CHECKS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks/facts.h"

struct event_base;
struct prober;
struct probe;

/* Defaults of the step timeouts (seconds): connect, and each exchange after it. */
#define PROBE_CONNECT_TIMEOUT_S 5
#define PROBE_STEP_TIMEOUT_S	5
/* Connections open at once per prober; more wait in a queue. */
#define PROBE_DEFAULT_PARALLEL 128
/* Largest Certificate message accepted (OpenSSL's own default is 100 KiB). */
#define PROBE_MAX_CERT_LIST (100 * 1024)

struct prober_opts {
	const char *ca_file;	    /* PKIX trust: a CA bundle, or NULL for the system store */
	unsigned connect_timeout_s; /* 0: PROBE_CONNECT_TIMEOUT_S */
	unsigned step_timeout_s;    /* 0: PROBE_STEP_TIMEOUT_S */
	unsigned max_parallel;	    /* 0: PROBE_DEFAULT_PARALLEL */
	const char *s2s_from;	    /* the from= of s2s stream headers, or NULL */
	int64_t now;		    /* PKIX and DANE-TA dates are checked at this time */
};

/*
 * One SSL_CTX and CA store for all probes of a loop. err gets one line on
 * failure. The program must ignore SIGPIPE: OpenSSL writes to sockets a peer
 * may have closed.
 */
int prober_new(struct event_base *base, const struct prober_opts *o, struct prober **ret, char *err,
	       size_t errlen);

/* Cancels queued and running probes (no callbacks) and frees; NULL is fine. */
void prober_free(struct prober *p);

struct probe_request {
	const char *domain; /* D: stream to= and SNI */
	enum xmpp_service service;
	const char *address; /* IPv4 or IPv6 text */
	uint16_t port;
	bool rsa_only;		       /* offer only RSA signature algorithms */
	bool dane;		       /* the TLSA records are secure: enable DANE */
	const struct tlsa_facts *tlsa; /* the endpoint's records (may be unusable ones) */
	size_t n_tlsa;
};

/* Called once with the filled facts (out, as given to prober_start). */
typedef void (*probe_fn)(void *arg, struct probe_facts *out);

/*
 * Queues a probe; out is filled (its endpoint field is left as it is) and fn
 * runs from the loop, never inside this call. Returns 0 (ret set, for
 * probe_cancel until fn runs) or -ENOMEM.
 */
int prober_start(struct prober *p, const struct probe_request *req, struct probe_facts *out,
		 probe_fn fn, void *arg, struct probe **ret);

/* Stops a probe before its callback; fn is not called. NULL is fine. */
void probe_cancel(struct probe *pr);

/* Connections that were open at once at most. */
unsigned prober_parallel_peak(const struct prober *p);

#endif
