/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libmicrohttpd listeners. We make, bind and listen on the socket ourselves
 * and hand it over (MHD_OPTION_LISTEN_SOCKET): the errors then say what
 * failed, and the Unix socket gets its mode before anyone can connect.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/log.h"
#include "daemon/httpd.h"

/* Per connection: bounds on what a client may send. */
#define HTTPD_MEMORY_LIMIT (32u * 1024) /* request line + headers + buffers */
#define HTTPD_TIMEOUT_S	   10
#define HTTPD_CONNECTIONS  64 /* in all; libmicrohttpd shares them out among the threads */
/*
 * Threads of the TCP listener. A /metrics of 10,000 domains is 20-25 MB,
 * which a slow client takes a while to read: with one thread every other
 * scrape waited behind it. Pages are generated while they are sent, and the
 * compressed /metrics is shared without a copy, so a few threads on 2 cores
 * are enough; each has its own state db reader. The control socket serves
 * one person at a time and keeps one.
 */
#define HTTPD_TCP_THREADS 4

/* One listener thread's context (httpd_opts.thread_init), found through httpd.key. */
struct httpd_thread {
	struct httpd_thread *next;
	void *ctx;
};

struct httpd {
	struct MHD_Daemon *mhd;
	struct httpd_opts opts;
	pthread_key_t key; /* the calling thread's struct httpd_thread */
	pthread_mutex_t lock;
	struct httpd_thread *threads; /* every one made (under lock), freed by httpd_stop */
	bool sync_made;		      /* key and lock */
	int fd;
	char *unix_path;
};

/* What a connection has sent of its body so far: kept up to HTTPD_BODY_MAX, counted beyond. */
struct httpd_conn {
	size_t body;
	char data[HTTPD_BODY_MAX + 1];
};

/* Whether a weight's value ("1", "0.5", "0", "0.000") is above 0: malformed ones count as 1. */
static bool httpd_weight_positive(const char *v, size_t n)
{
	bool digits = false;
	size_t i;

	for (i = 0; i < n && (isdigit((unsigned char)v[i]) || v[i] == '.'); i++) {
		if (v[i] > '0' && v[i] <= '9') {
			return true;
		}
		digits = digits || v[i] == '0';
	}
	return !digits || i < n;
}

/* The weight of one list member "coding *( OWS ; OWS param )": whether above 0. */
static bool httpd_member_weight(const char *params, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start, end;

		while (i < n && (params[i] == ';' || params[i] == ' ' || params[i] == '\t')) {
			i++;
		}
		start = i;
		while (i < n && params[i] != ';') {
			i++;
		}
		end = i;
		while (end > start && (params[end - 1] == ' ' || params[end - 1] == '\t')) {
			end--;
		}
		if (end - start >= 2 && (params[start] == 'q' || params[start] == 'Q') &&
		    params[start + 1] == '=') {
			return httpd_weight_positive(params + start + 2, end - start - 2);
		}
	}
	return true;
}

bool httpd_accepts_gzip(const char *h)
{
	int gzip = -1, any = -1; /* -1: not listed, else whether its weight is above 0 */

	while (h != NULL && *h != '\0') {
		size_t member = strcspn(h, ","), coding;

		while (member > 0 && (*h == ' ' || *h == '\t')) {
			h++;
			member--;
		}
		coding = strcspn(h, ";, \t");
		if (coding > member) {
			coding = member;
		}
		if ((coding == 4 && strncasecmp(h, "gzip", 4) == 0) ||
		    (coding == 6 && strncasecmp(h, "x-gzip", 6) == 0)) {
			gzip = httpd_member_weight(h + coding, member - coding);
		} else if (coding == 1 && *h == '*') {
			any = httpd_member_weight(h + coding, member - coding);
		}
		h += member;
		if (*h == ',') {
			h++;
		}
	}
	return gzip >= 0 ? gzip == 1 : any == 1;
}

void httpd_text(struct httpd_response *resp, unsigned status, const char *content_type,
		const char *text)
{
	resp->status = status;
	resp->content_type = content_type;
	resp->body = strdup(text);
	resp->len = resp->body != NULL ? strlen(text) : 0;
	if (resp->body == NULL) {
		resp->status = 500;
	}
}

/* Adapts a stream to libmicrohttpd's content reader. */
static ssize_t httpd_on_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct httpd_response *resp = cls;
	long n;

	(void)pos;
	n = resp->stream(resp->stream_cls, buf, max);
	if (n == 0) {
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : (ssize_t)n;
}

static void httpd_on_read_done(void *cls)
{
	struct httpd_response *resp = cls;

	if (resp->stream_free != NULL) {
		resp->stream_free(resp->stream_cls);
	}
	free(resp);
}

static enum MHD_Result httpd_send(struct MHD_Connection *c, struct httpd_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (resp->shared != NULL) {
		r = MHD_create_response_from_buffer_with_free_callback_cls(
			resp->len, (void *)resp->shared, resp->stream_free, resp->stream_cls);
		if (r == NULL) {
			resp->stream_free(resp->stream_cls);
			return MHD_NO;
		}
	} else if (resp->stream != NULL) {
		struct httpd_response *held = malloc(sizeof(*held));

		if (held == NULL) {
			if (resp->stream_free != NULL) {
				resp->stream_free(resp->stream_cls);
			}
			return MHD_NO;
		}
		*held = *resp;
		/* A known length goes out as Content-Length, not chunked. */
		r = MHD_create_response_from_callback(resp->len > 0 ? resp->len : MHD_SIZE_UNKNOWN,
						      64 * 1024, httpd_on_read, held,
						      httpd_on_read_done);
		if (r == NULL) {
			httpd_on_read_done(held);
			return MHD_NO;
		}
	} else {
		if (resp->body == NULL) {
			resp->status = resp->status >= 400 ? resp->status : 500;
			resp->body = strdup("");
			resp->len = 0;
			if (resp->body == NULL) {
				return MHD_NO;
			}
		}
		r = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
		if (r == NULL) {
			free(resp->body);
			return MHD_NO;
		}
	}
	if (resp->content_type != NULL) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	}
	if (resp->content_encoding != NULL) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
					resp->content_encoding);
	}
	if (resp->varies_by_encoding) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	}
	if (resp->allow != NULL) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * The calling thread's context, made at its first request: a state db reader
 * (routes.c) is a SQLite connection, used by one thread only. NULL when it
 * could not be made (the handler copes; the next request tries again).
 */
static void *httpd_thread_ctx(struct httpd *h)
{
	struct httpd_thread *t = pthread_getspecific(h->key);

	if (t != NULL) {
		return t->ctx;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	t->ctx = h->opts.thread_init != NULL ? h->opts.thread_init(h->opts.arg) : NULL;
	if (pthread_setspecific(h->key, t) != 0) {
		if (h->opts.thread_done != NULL) {
			h->opts.thread_done(h->opts.arg, t->ctx);
		}
		free(t);
		return NULL;
	}
	pthread_mutex_lock(&h->lock);
	t->next = h->threads;
	h->threads = t;
	pthread_mutex_unlock(&h->lock);
	return t->ctx;
}

static enum MHD_Result httpd_on_request(void *cls, struct MHD_Connection *c, const char *url,
					const char *method, const char *version,
					const char *upload_data, size_t *upload_data_size,
					void **con_cls)
{
	struct httpd *h = cls;
	struct httpd_conn *conn = *con_cls;
	struct httpd_response resp = {0};
	struct httpd_request req;

	(void)version;
	if (conn == NULL) {
		conn = calloc(1, sizeof(*conn));
		if (conn == NULL) {
			return MHD_NO;
		}
		*con_cls = conn;
		return MHD_YES; /* headers only; the body (if any) comes next */
	}
	if (*upload_data_size > 0) {
		if (conn->body + *upload_data_size <= HTTPD_BODY_MAX) {
			memcpy(conn->data + conn->body, upload_data, *upload_data_size);
		}
		conn->body += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (conn->body > HTTPD_BODY_MAX) {
		httpd_text(&resp, 413, "text/plain; charset=utf-8", "request body too large\n");
		return httpd_send(c, &resp);
	}
	conn->data[conn->body] = '\0';
	req.method = method;
	req.url = url;
	req.body = conn->data;
	req.body_len = conn->body;
	req.accepts_gzip = httpd_accepts_gzip(
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
	h->opts.handler(h->opts.arg, httpd_thread_ctx(h), &req, &resp);
	return httpd_send(c, &resp);
}

static void httpd_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			       enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static void httpd_on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("http: %s", line);
}

/* Starts libmicrohttpd on fd with threads threads (1: no pool); on failure h is as it was. */
static int httpd_run(struct httpd *h, const struct httpd_opts *o, int fd, unsigned threads,
		     char *err, size_t errlen, const char *what)
{
	struct MHD_OptionItem pool[] = {
		{MHD_OPTION_THREAD_POOL_SIZE, threads, NULL},
		{MHD_OPTION_END, 0, NULL},
	};

	h->opts = *o;
	h->fd = fd;
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		snprintf(err, errlen, "%s: cannot start the HTTP server", what);
		return -ENOMEM;
	}
	if (pthread_key_create(&h->key, NULL) != 0) {
		pthread_mutex_destroy(&h->lock);
		snprintf(err, errlen, "%s: cannot start the HTTP server", what);
		return -ENOMEM;
	}
	/* No pool option for one thread: libmicrohttpd would warn that it ignores it. */
	if (threads <= 1) {
		pool[0].option = MHD_OPTION_END;
	}
	/* The logger first: what libmicrohttpd says about the other options goes to our log. */
	h->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		httpd_on_request, h, MHD_OPTION_EXTERNAL_LOGGER, httpd_on_mhd_log, h,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)HTTPD_MEMORY_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)HTTPD_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_CONNECTIONS,
		MHD_OPTION_NOTIFY_COMPLETED, httpd_on_completed, h, MHD_OPTION_ARRAY, pool,
		MHD_OPTION_END);
	if (h->mhd == NULL) {
		pthread_key_delete(h->key);
		pthread_mutex_destroy(&h->lock);
		snprintf(err, errlen, "%s: cannot start the HTTP server", what);
		return -EIO;
	}
	h->sync_made = true;
	return 0;
}

/* "127.0.0.1:9470" or "[::1]:9470" into addr. */
static int httpd_parse_listen(const char *listen, struct sockaddr_storage *addr, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	const char *h = listen;
	size_t hlen;
	char *end;
	unsigned long port;

	if (colon == NULL || colon == listen) {
		return -EINVAL;
	}
	hlen = (size_t)(colon - listen);
	if (listen[0] == '[') {
		if (colon[-1] != ']') {
			return -EINVAL;
		}
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		return -EINVAL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port > 65535) {
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)addr)->sin_addr) == 1) {
		((struct sockaddr_in *)addr)->sin_family = AF_INET;
		((struct sockaddr_in *)addr)->sin_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)addr)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)addr)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)addr)->sin6_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return -EINVAL;
}

bool httpd_listen_valid(const char *listen)
{
	struct sockaddr_storage addr;
	socklen_t len;

	return httpd_parse_listen(listen, &addr, &len) == 0;
}

int httpd_start_tcp(const char *listen_on, const struct httpd_opts *o, struct httpd **ret,
		    char *err, size_t errlen)
{
	struct sockaddr_storage addr;
	socklen_t len;
	struct httpd *h;
	int fd, one = 1, r;

	if (httpd_parse_listen(listen_on, &addr, &len) < 0) {
		snprintf(err, errlen,
			 "http listen '%s': expected ADDRESS:PORT (127.0.0.1:9470, [::1]:9470)",
			 listen_on);
		return -EINVAL;
	}
	fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "http listen %s: %s", listen_on, strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr.ss_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, 64) < 0) {
		r = -errno;
		snprintf(err, errlen, "http listen %s: %s", listen_on, strerror(errno));
		close(fd);
		return r;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = httpd_run(h, o, fd, HTTPD_TCP_THREADS, err, errlen, listen_on);
	if (r < 0) {
		close(fd);
		free(h);
		return r;
	}
	*ret = h;
	return 0;
}

int httpd_start_unix(const char *path, unsigned mode, const struct httpd_opts *o,
		     struct httpd **ret, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;
	struct httpd *h;
	int fd, r;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	/* A socket left by a daemon that died; anything else at the path is not ours to remove. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s: exists and is not a socket",
				 path);
			return -EEXIST;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		return -errno;
	}
	/* Bound with no access, then given its mode: nobody connects in between. */
	{
		mode_t old = umask(0777);

		r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
		umask(old);
	}
	if (r < 0 || chmod(path, mode) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return r;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL || (h->unix_path = strdup(path)) == NULL) {
		free(h);
		close(fd);
		unlink(path);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = httpd_run(h, o, fd, 1, err, errlen, path);
	if (r < 0) {
		close(fd);
		unlink(path);
		free(h->unix_path);
		free(h);
		return r;
	}
	*ret = h;
	return 0;
}

void httpd_stop(struct httpd *h)
{
	if (h == NULL) {
		return;
	}
	MHD_stop_daemon(h->mhd); /* closes the listening socket too, and joins the threads */
	while (h->threads != NULL) {
		struct httpd_thread *t = h->threads;

		h->threads = t->next;
		if (h->opts.thread_done != NULL) {
			h->opts.thread_done(h->opts.arg, t->ctx);
		}
		free(t);
	}
	if (h->sync_made) {
		pthread_key_delete(h->key);
		pthread_mutex_destroy(&h->lock);
	}
	if (h->unix_path != NULL) {
		unlink(h->unix_path);
		free(h->unix_path);
	}
	free(h);
}
