/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An HTTP listener on libmicrohttpd's own threads: the read-only TCP listener
 * (`http { listen }`, a few threads, so that one slow client does not hold up
 * the others) and the control socket (a Unix socket whose file mode is the
 * access control; one thread). Requests are small and bounded: headers beyond a
 * few KiB and any request body beyond HTTPD_BODY_MAX are refused, and each
 * connection has a timeout. The routes are the caller's handler.
 */
#ifndef XDANE_DAEMON_HTTPD_H
#define XDANE_DAEMON_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of request body accepted at most (control requests carry none today). */
#define HTTPD_BODY_MAX 4096

struct httpd;

/*
 * A body made piece by piece while it is sent (a large /status): fills buf
 * with at most max bytes and returns how many, 0 at the end, or -1 on an
 * error (the connection is then closed). Runs on the thread that answered
 * the request.
 */
typedef long (*httpd_stream_fn)(void *cls, char *buf, size_t max);

struct httpd_request {
	const char *method; /* "GET", "POST", ... */
	const char *url;    /* the path */
	const char *body;   /* NUL-terminated, "" when none */
	size_t body_len;
	bool accepts_gzip; /* Accept-Encoding allows gzip */
};

struct httpd_response {
	unsigned status;	      /* 200, 404, ... */
	const char *content_type;     /* static string */
	const char *content_encoding; /* "gzip", or NULL: none */
	bool varies_by_encoding;      /* the body depends on Accept-Encoding (Vary) */
	char *body;		      /* malloc'd, taken over by httpd */
	size_t len;		      /* of body; of a stream: its length if known, else 0 */
	const char *allow;	      /* "Allow" header for 405, or NULL */
	/* Instead of body: a stream, and how to free its state after the response. */
	httpd_stream_fn stream;
	void *stream_cls;
	void (*stream_free)(void *cls);
	/*
	 * Or len bytes at shared, sent as they are (no copy) and kept alive by
	 * stream_cls until stream_free(stream_cls) after the response.
	 */
	const void *shared;
};

/*
 * Answers one request. Runs on one of the listener's threads; thread_ctx is
 * that thread's (see httpd_opts).
 */
typedef void (*httpd_handler_fn)(void *arg, void *thread_ctx, const struct httpd_request *req,
				 struct httpd_response *resp);

struct httpd_opts {
	httpd_handler_fn handler;
	void *arg;
	/*
	 * One per listener thread, made on it before its first request (may be
	 * NULL) and used only by it (its streams run on it too); freed by
	 * httpd_stop once every thread has ended.
	 */
	void *(*thread_init)(void *arg);
	void (*thread_done)(void *arg, void *thread_ctx);
};

/*
 * Listens on "ADDRESS:PORT" ("127.0.0.1:9470", "[::1]:9470"). On failure
 * err says why ("http listen 127.0.0.1:9470: Address already in use").
 */
int httpd_start_tcp(const char *listen, const struct httpd_opts *o, struct httpd **ret, char *err,
		    size_t errlen);

/* Whether listen is "ADDRESS:PORT" with a numeric IPv4 or [IPv6] address. */
bool httpd_listen_valid(const char *listen);

/* Listens on a Unix socket at path (replacing a stale one) with the given file mode. */
int httpd_start_unix(const char *path, unsigned mode, const struct httpd_opts *o,
		     struct httpd **ret, char *err, size_t errlen);

/* Stops the listener (waits for its threads) and removes a Unix socket file. */
void httpd_stop(struct httpd *h);

/*
 * Whether an Accept-Encoding header's value (NULL: none sent) allows gzip
 * (RFC 9110 12.5.3): "gzip" or "x-gzip" listed with a weight above 0, or
 * not listed and "*" is.
 */
bool httpd_accepts_gzip(const char *accept_encoding);

/* Helpers for handlers: a text body (copied). */
void httpd_text(struct httpd_response *resp, unsigned status, const char *content_type,
		const char *text);

#endif
