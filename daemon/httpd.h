/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An HTTP listener on libmicrohttpd's own thread: the read-only TCP listener
 * (`http { listen }`) and the control socket (a Unix socket whose file mode
 * is the access control). Requests are small and bounded: headers beyond a
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
 * error (the connection is then closed). Runs on the listener's thread.
 */
typedef long (*httpd_stream_fn)(void *cls, char *buf, size_t max);

struct httpd_response {
	unsigned status;	  /* 200, 404, ... */
	const char *content_type; /* static string */
	char *body;		  /* malloc'd, taken over by httpd */
	size_t len;
	const char *allow; /* "Allow" header for 405, or NULL */
	/* Instead of body: a stream, and how to free its state after the response. */
	httpd_stream_fn stream;
	void *stream_cls;
	void (*stream_free)(void *cls);
};

/*
 * Answers one request (method "GET", "POST", ..., url the path). Runs on the
 * listener's thread; thread_ctx is this listener's (see httpd_opts).
 */
typedef void (*httpd_handler_fn)(void *arg, void *thread_ctx, const char *method, const char *url,
				 struct httpd_response *resp);

struct httpd_opts {
	httpd_handler_fn handler;
	void *arg;
	/* Made on the listener's thread before its first request and freed on it (may be NULL). */
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

/* Stops the listener (waits for its thread) and removes a Unix socket file. */
void httpd_stop(struct httpd *h);

/* Helpers for handlers: a text body (copied). */
void httpd_text(struct httpd_response *resp, unsigned status, const char *content_type,
		const char *text);

#endif
