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
	int64_t now; /* PKIX and DANE-TA dates are checked at this time; 0: when each probe runs */
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

/*
 * Memory of server ports that hold no RSA certificate beside the leaf a
 * first probe saw (the second key type, issue #4). Finding out costs a
 * whole second connection (TCP, stream, STARTTLS, a ClientHello offering
 * only RSA, the server's alert): as much work for the server as the check
 * itself, for an answer that rarely changes between the checks of a
 * long-running process. Only a definite no is kept (the server's alert, or
 * the same leaf again), never a timeout or a lost connection; a server that
 * has an RSA certificate is asked at every check, so that certificate's
 * verdicts stay fresh. The key is the SNI domain, the SRV target, the port
 * and the SHA-256 of the first leaf (the certificate, not only its key: a
 * second certificate is most often added or dropped at a renewal), so a new
 * certificate is asked about at once, and an RSA certificate added beside an
 * unchanged one is found within PROBE_RSA_MEMO_TTL_MS (an hour: one
 * question in twelve checks at the default interval of 300 s). Times are
 * monotonic milliseconds. One memory per prober (per worker thread, which
 * always gets the same domains), PROBE_RSA_MEMO_SIZE entries at most (the
 * one closest to expiry goes first), allocated at the first note (40
 * octets an entry, 320 KiB).
 */
#define PROBE_RSA_MEMO_TTL_MS (3600 * 1000)
#define PROBE_RSA_MEMO_SIZE   8192

/* Whether a note for this server port and leaf is younger than the TTL. */
bool prober_rsa_absent(struct prober *p, const char *domain, const char *target, uint16_t port,
		       const uint8_t leaf_sha256[CERT_SHA256_LEN], int64_t now_ms);

/* Notes that it holds no RSA certificate beside that leaf; best effort (a memory only). */
void prober_rsa_note_absent(struct prober *p, const char *domain, const char *target, uint16_t port,
			    const uint8_t leaf_sha256[CERT_SHA256_LEN], int64_t now_ms);

#endif
