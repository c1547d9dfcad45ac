/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alert delivery on the daemon's event loop: exec children (fork and exec, a
 * pidfd for their exit, nonblocking pipes for stdin and output) and HTTP
 * POSTs (libcurl's multi interface on libevent, the hiperfifo pattern), plus
 * the two Alertmanager payload shapes. What is due and retries are the
 * outbox's; this module runs one attempt and says how it went.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "common/err.h"
#include "common/log.h"
#include "daemon/hooks.h"

/* What of a hook's stdout+stderr is kept for the log: a page of diagnostics. */
#define HOOKS_OUTPUT_MAX 4096
/* What of an HTTP answer is kept: enough for Alertmanager's error JSON. */
#define HOOKS_RESPONSE_MAX 1024
/* What of the answer goes into the one-line why. */
#define HOOKS_WHY_BODY_MAX 160
#define HOOKS_WHY_MAX	   512
/* Between SIGTERM at the timeout and SIGKILL: time for a hook to clean up. */
#define HOOKS_KILL_GRACE_S 3
/* Exit polling when pidfd_open is missing (kernels before 5.3). */
#define HOOKS_EXIT_POLL_MS 100
/* Used when the options say 0. */
#define HOOKS_DEFAULT_EXEC_TIMEOUT_S	30
#define HOOKS_DEFAULT_WEBHOOK_TIMEOUT_S 10

/* Alertmanager's "not yet ended" in its webhook payload (Go's zero time.Time). */
#define HOOKS_GO_ZERO_TIME "0001-01-01T00:00:00Z"

enum delivery_kind {
	DELIVERY_EXEC,
	DELIVERY_HTTP,
};

/* One delivery in flight: an exec child or an HTTP request. */
struct delivery {
	struct hooks *h;
	struct delivery *prev;
	struct delivery *next;
	enum delivery_kind kind;
	hooks_done_fn done; /* NULL: a re-send, only logged */
	void *arg;
	char what[192]; /* for log lines: "domain 'x': exec hook (CODE firing)" */

	/* exec */
	pid_t pid;
	int pidfd;
	int in_fd;	       /* our end of the child's stdin */
	int out_fd;	       /* our end of the child's stdout+stderr */
	struct event *ev_exit; /* pidfd readable, or the poll timer */
	struct event *ev_in;
	struct event *ev_out;
	struct event *ev_timer; /* the timeout, then the SIGKILL grace */
	char *in_buf;
	size_t in_len;
	size_t in_off;
	char out[HOOKS_OUTPUT_MAX];
	size_t out_len;
	size_t out_dropped;
	bool term_sent;
	bool kill_sent;

	/* http */
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	char errbuf[CURL_ERROR_SIZE];
	char resp[HOOKS_RESPONSE_MAX];
	size_t resp_len;
};

/* A socket libcurl wants watched. */
struct hooks_sock {
	struct hooks *h;
	struct hooks_sock *prev;
	struct hooks_sock *next;
	curl_socket_t fd;
	struct event *ev;
};

struct hooks {
	struct event_base *base;
	char **argv;
	unsigned exec_timeout_s;
	char *url;
	char *url_shown; /* without user info and query: safe for logs */
	enum webhook_format format;
	unsigned webhook_timeout_s;
	char *instance;
	char *status_url;
	bool curl_inited;
	CURLM *multi;
	struct event *curl_timer;
	struct hooks_sock *socks;
	struct delivery *list;
	size_t inflight;
	unsigned depth; /* callbacks of ours on the stack */
	bool dying;	/* hooks_free ran inside a callback: free when it returns */
};

/* --- payloads ------------------------------------------------------------------------- */

/* The parts of an event the payloads and the exec environment use. */
struct hooks_event {
	const char *domain;
	const char *code;
	const char *severity;
	const char *state;
	const char *service;
	const char *target;
	char port[8];
	const char *address;
	const char *message;
	const char *starts_at;
	const char *ends_at; /* NULL while firing */
	bool resolved;
};

static const char *hooks_json_str(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Reads ev from root (which keeps the strings); ERR_PARSE when it is not an event. */
static int hooks_event_read(json_t *root, struct hooks_event *ev)
{
	json_t *port;

	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(root)) {
		return ERR_PARSE;
	}
	ev->domain = hooks_json_str(root, "domain");
	ev->code = hooks_json_str(root, "code");
	ev->severity = hooks_json_str(root, "severity");
	ev->state = hooks_json_str(root, "state");
	ev->service = hooks_json_str(root, "service");
	ev->target = hooks_json_str(root, "target");
	ev->address = hooks_json_str(root, "address");
	ev->message = hooks_json_str(root, "message");
	ev->starts_at = hooks_json_str(root, "starts_at");
	ev->ends_at = hooks_json_str(root, "ends_at");
	port = json_object_get(root, "port");
	if (json_is_integer(port) && json_integer_value(port) > 0 &&
	    json_integer_value(port) <= 65535) {
		snprintf(ev->port, sizeof(ev->port), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(port));
	} else if (json_is_string(port) && json_string_length(port) > 0 &&
		   json_string_length(port) < sizeof(ev->port)) {
		snprintf(ev->port, sizeof(ev->port), "%s", json_string_value(port));
	}
	if (ev->domain == NULL || ev->code == NULL || ev->severity == NULL || ev->state == NULL) {
		return ERR_PARSE;
	}
	if (strcmp(ev->state, "resolved") == 0) {
		/* Without endsAt, Alertmanager would take a resolve for a firing alert. */
		if (ev->ends_at == NULL) {
			return ERR_PARSE;
		}
		ev->resolved = true;
	} else if (strcmp(ev->state, "firing") == 0) {
		ev->ends_at = NULL;
	} else {
		return ERR_PARSE;
	}
	return 0;
}

static int hooks_event_parse(const char *text, json_t **ret_root, struct hooks_event *ev)
{
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	int r;

	if (root == NULL) {
		return ERR_PARSE;
	}
	r = hooks_event_read(root, ev);
	if (r < 0) {
		json_decref(root);
		return r;
	}
	*ret_root = root;
	return 0;
}

struct hooks_label {
	const char *name;
	const char *value;
};

/* The labels of an alert, sorted by name as Alertmanager's keys and fingerprints need. */
#define HOOKS_LABELS_MAX 9

static size_t hooks_labels(const struct hooks_event *ev, const char *instance,
			   struct hooks_label out[HOOKS_LABELS_MAX])
{
	/*
	 * alertname is the finding code so that routes and silences can name it;
	 * "code" repeats it to match the labels of xdane_finding in /metrics.
	 */
	const struct hooks_label all[HOOKS_LABELS_MAX] = {
		{"address", ev->address}, {"alertname", ev->code},    {"code", ev->code},
		{"domain", ev->domain},	  {"instance", instance},     {"port", ev->port},
		{"service", ev->service}, {"severity", ev->severity}, {"target", ev->target},
	};
	size_t n = 0;

	for (size_t i = 0; i < HOOKS_LABELS_MAX; i++) {
		if (all[i].value != NULL && all[i].value[0] != '\0') {
			out[n++] = all[i];
		}
	}
	return n;
}

/* prometheus/common's LabelSet.Fingerprint(): FNV-1a 64 over sorted name, 0xff, value, 0xff. */
static uint64_t hooks_fingerprint(const struct hooks_label *l, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		const char *parts[2] = {l[i].name, l[i].value};

		for (size_t p = 0; p < 2; p++) {
			for (const unsigned char *c = (const unsigned char *)parts[p]; *c; c++) {
				h ^= *c;
				h *= 1099511628211ULL;
			}
			h ^= 0xff;
			h *= 1099511628211ULL;
		}
	}
	return h;
}

/* Appends s to a malloc'd string; false on out of memory (*buf then freed). */
static bool hooks_append(char **buf, size_t *len, const char *s, size_t n)
{
	char *p = realloc(*buf, *len + n + 1);

	if (p == NULL) {
		free(*buf);
		*buf = NULL;
		return false;
	}
	memcpy(p + *len, s, n);
	*len += n;
	p[*len] = '\0';
	*buf = p;
	return true;
}

/* Go's strconv.Quote for the bytes that can occur in labels: what LabelSet.String() uses. */
static bool hooks_append_quoted(char **buf, size_t *len, const char *s)
{
	bool ok = hooks_append(buf, len, "\"", 1);

	for (const unsigned char *c = (const unsigned char *)s; ok && *c; c++) {
		char esc[8];

		switch (*c) {
		case '"':
			ok = hooks_append(buf, len, "\\\"", 2);
			break;
		case '\\':
			ok = hooks_append(buf, len, "\\\\", 2);
			break;
		case '\n':
			ok = hooks_append(buf, len, "\\n", 2);
			break;
		case '\r':
			ok = hooks_append(buf, len, "\\r", 2);
			break;
		case '\t':
			ok = hooks_append(buf, len, "\\t", 2);
			break;
		default:
			if (*c < 0x20 || *c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\x%02x", *c);
				ok = hooks_append(buf, len, esc, strlen(esc));
			} else {
				ok = hooks_append(buf, len, (const char *)c, 1);
			}
		}
	}
	return ok && hooks_append(buf, len, "\"", 1);
}

/* "{}:{a=\"1\", b=\"2\"}": the group key of the root route grouping by every label. */
static char *hooks_group_key(const struct hooks_label *l, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	bool ok = hooks_append(&buf, &len, "{}:{", 4);

	for (size_t i = 0; ok && i < n; i++) {
		ok = (i == 0 || hooks_append(&buf, &len, ", ", 2)) &&
		     hooks_append(&buf, &len, l[i].name, strlen(l[i].name)) &&
		     hooks_append(&buf, &len, "=", 1) &&
		     hooks_append_quoted(&buf, &len, l[i].value);
	}
	if (ok) {
		ok = hooks_append(&buf, &len, "}", 1);
	}
	return ok ? buf : NULL;
}

/* status_url + "/status/" + domain, or NULL without a status URL. */
static char *hooks_generator_url(const char *status_url, const char *domain)
{
	char *s = NULL;
	size_t blen;

	if (status_url == NULL || status_url[0] == '\0') {
		return NULL;
	}
	blen = strlen(status_url);
	while (blen > 0 && status_url[blen - 1] == '/') {
		blen--;
	}
	if (asprintf(&s, "%.*s/status/%s", (int)blen, status_url, domain) < 0) {
		return NULL;
	}
	return s;
}

/* Sets o[name] = s, taking the reference; false on failure. */
static bool hooks_set(json_t *o, const char *name, json_t *v)
{
	return v != NULL && json_object_set_new(o, name, v) == 0;
}

static json_t *hooks_labels_json(const struct hooks_label *l, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < n; i++) {
		if (!hooks_set(o, l[i].name, json_string(l[i].value))) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

static json_t *hooks_annotations_json(const struct hooks_event *ev)
{
	json_t *o = json_object();
	char *summary = NULL;

	if (o == NULL ||
	    asprintf(&summary, "domain '%s': %s (%s)", ev->domain, ev->code, ev->severity) < 0) {
		summary = NULL;
		goto fail;
	}
	if (!hooks_set(o, "summary", json_string(summary)) ||
	    !hooks_set(o, "description", json_string(ev->message ? ev->message : summary))) {
		goto fail;
	}
	free(summary);
	return o;
fail:
	free(summary);
	json_decref(o);
	return NULL;
}

/* One postableAlert of Alertmanager's API v2. */
static json_t *hooks_am_alert(const char *event, const char *instance, const char *status_url)
{
	struct hooks_label labels[HOOKS_LABELS_MAX];
	struct hooks_event ev;
	json_t *root = NULL;
	json_t *a = NULL;
	char *gen = NULL;
	size_t n;

	if (hooks_event_parse(event, &root, &ev) < 0) {
		goto out;
	}
	n = hooks_labels(&ev, instance, labels);
	gen = hooks_generator_url(status_url, ev.domain);
	a = json_object();
	if (a == NULL || !hooks_set(a, "labels", hooks_labels_json(labels, n)) ||
	    !hooks_set(a, "annotations", hooks_annotations_json(&ev)) ||
	    (ev.starts_at != NULL && !hooks_set(a, "startsAt", json_string(ev.starts_at))) ||
	    /*
	     * A firing alert has no endsAt: Alertmanager then ends it resolve_timeout
	     * after the last push, which is why firing alerts are re-sent.
	     */
	    (ev.resolved && !hooks_set(a, "endsAt", json_string(ev.ends_at))) ||
	    (gen != NULL && !hooks_set(a, "generatorURL", json_string(gen)))) {
		json_decref(a);
		a = NULL;
	}
out:
	free(gen);
	json_decref(root);
	return a;
}

static int hooks_dump(json_t *v, char **ret)
{
	char *s = json_dumps(v, JSON_COMPACT);

	if (s == NULL) {
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

int hooks_alertmanager_payload(const char *const *events, size_t n, const char *instance,
			       const char *status_url, char **ret)
{
	json_t *arr = json_array();
	int r = -ENOMEM;

	if (arr == NULL) {
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *a = hooks_am_alert(events[i], instance, status_url);

		if (a == NULL) {
			r = ERR_PARSE;
			goto out;
		}
		if (json_array_append_new(arr, a) < 0) {
			goto out;
		}
	}
	r = hooks_dump(arr, ret);
out:
	json_decref(arr);
	return r;
}

int hooks_webhook_payload(const char *event, const char *instance, const char *status_url,
			  char **ret)
{
	struct hooks_label labels[HOOKS_LABELS_MAX];
	struct hooks_event ev;
	json_t *root = NULL;
	json_t *p = NULL;
	json_t *a = NULL;
	json_t *alerts = NULL;
	json_t *lj = NULL;
	json_t *aj = NULL;
	char *gen = NULL;
	char *gkey = NULL;
	char fp[17];
	size_t n;
	int r;

	r = hooks_event_parse(event, &root, &ev);
	if (r < 0) {
		goto out;
	}
	r = -ENOMEM;
	n = hooks_labels(&ev, instance, labels);
	snprintf(fp, sizeof(fp), "%016" PRIx64, hooks_fingerprint(labels, n));
	gen = hooks_generator_url(status_url, ev.domain);
	gkey = hooks_group_key(labels, n);
	lj = hooks_labels_json(labels, n);
	aj = hooks_annotations_json(&ev);
	p = json_object();
	a = json_object();
	alerts = json_array();
	if (gkey == NULL || lj == NULL || aj == NULL || p == NULL || a == NULL || alerts == NULL) {
		goto out;
	}
	/*
	 * Alertmanager's webhook_config payload, version 4, for one alert in a group
	 * of its own (a route with group_by: ['...']): group and common labels are
	 * the alert's labels, so bridges that key on groupKey or groupLabels keep
	 * one thread per finding.
	 */
	if (!hooks_set(a, "status", json_string(ev.state)) ||
	    !hooks_set(a, "labels", json_incref(lj)) ||
	    !hooks_set(a, "annotations", json_incref(aj)) ||
	    !hooks_set(a, "startsAt",
		       json_string(ev.starts_at ? ev.starts_at : HOOKS_GO_ZERO_TIME)) ||
	    !hooks_set(a, "endsAt", json_string(ev.resolved ? ev.ends_at : HOOKS_GO_ZERO_TIME)) ||
	    !hooks_set(a, "generatorURL", json_string(gen ? gen : "")) ||
	    !hooks_set(a, "fingerprint", json_string(fp)) || json_array_append(alerts, a) < 0) {
		goto out;
	}
	if (!hooks_set(p, "receiver", json_string("xdane")) ||
	    !hooks_set(p, "status", json_string(ev.state)) ||
	    !hooks_set(p, "alerts", json_incref(alerts)) ||
	    !hooks_set(p, "groupLabels", json_incref(lj)) ||
	    !hooks_set(p, "commonLabels", json_incref(lj)) ||
	    !hooks_set(p, "commonAnnotations", json_incref(aj)) ||
	    !hooks_set(p, "externalURL", json_string(status_url ? status_url : "")) ||
	    !hooks_set(p, "version", json_string("4")) ||
	    !hooks_set(p, "groupKey", json_string(gkey)) ||
	    !hooks_set(p, "truncatedAlerts", json_integer(0))) {
		goto out;
	}
	r = hooks_dump(p, ret);
out:
	json_decref(alerts);
	json_decref(a);
	json_decref(p);
	json_decref(aj);
	json_decref(lj);
	free(gkey);
	free(gen);
	json_decref(root);
	return r;
}

/* --- shared --------------------------------------------------------------------------- */

static void hooks_destroy(struct hooks *h);

/* Our callbacks bracket their work so that hooks_free inside a done callback is safe. */
static void hooks_enter(struct hooks *h)
{
	h->depth++;
}

/* Returns true when h is gone. */
static bool hooks_leave(struct hooks *h)
{
	h->depth--;
	if (h->dying && h->depth == 0) {
		hooks_destroy(h);
		return true;
	}
	return false;
}

static void delivery_link(struct hooks *h, struct delivery *d)
{
	d->h = h;
	d->next = h->list;
	if (h->list != NULL) {
		h->list->prev = d;
	}
	h->list = d;
	h->inflight++;
}

static void delivery_unlink(struct delivery *d)
{
	struct hooks *h = d->h;

	if (d->prev != NULL) {
		d->prev->next = d->next;
	} else {
		h->list = d->next;
	}
	if (d->next != NULL) {
		d->next->prev = d->prev;
	}
	d->prev = d->next = NULL;
	h->inflight--;
}

/* Escapes bytes for a quoted log value: printable ASCII kept, the rest as \n or \xHH. */
static void hooks_escape(const char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c == '\\' || c == '\'') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* Calls done (unless a re-send) with d already detached; true when h is gone. */
static bool delivery_report(struct hooks *h, hooks_done_fn done, void *arg, bool ok,
			    const char *why)
{
	if (done == NULL) {
		return false;
	}
	hooks_enter(h);
	done(arg, ok, ok ? NULL : why);
	return hooks_leave(h);
}

/* --- exec ----------------------------------------------------------------------------- */

/* event_free of libevent 2.1 does not take NULL. */
static void hooks_event_free(struct event **ev)
{
	if (*ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
}

static void exec_close(struct delivery *d)
{
	hooks_event_free(&d->ev_exit);
	hooks_event_free(&d->ev_in);
	hooks_event_free(&d->ev_out);
	hooks_event_free(&d->ev_timer);
	if (d->pidfd >= 0) {
		close(d->pidfd);
	}
	if (d->in_fd >= 0) {
		close(d->in_fd);
	}
	if (d->out_fd >= 0) {
		close(d->out_fd);
	}
	d->pidfd = d->in_fd = d->out_fd = -1;
}

static void delivery_free(struct delivery *d)
{
	if (d == NULL) {
		return;
	}
	exec_close(d);
	free(d->in_buf);
	if (d->easy != NULL) {
		curl_easy_cleanup(d->easy);
	}
	curl_slist_free_all(d->headers);
	free(d->body);
	free(d);
}

/* Reads what the child wrote; keeps the first HOOKS_OUTPUT_MAX bytes, counts the rest. */
static void exec_drain(struct delivery *d)
{
	char buf[4096];
	ssize_t n;

	while (d->out_fd >= 0) {
		n = read(d->out_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				hooks_event_free(&d->ev_out);
				close(d->out_fd);
				d->out_fd = -1;
			}
			return;
		}
		size_t keep = sizeof(d->out) - d->out_len;

		if (keep > (size_t)n) {
			keep = (size_t)n;
		}
		memcpy(d->out + d->out_len, buf, keep);
		d->out_len += keep;
		d->out_dropped += (size_t)n - keep;
	}
}

static void exec_on_out(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	exec_drain(arg);
}

static void exec_on_in(evutil_socket_t fd, short what, void *arg)
{
	struct delivery *d = arg;
	ssize_t n;

	(void)fd;
	(void)what;
	while (d->in_off < d->in_len) {
		/* A socket, not a pipe: no SIGPIPE when the hook ignores its stdin. */
		n = send(d->in_fd, d->in_buf + d->in_off, d->in_len - d->in_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		}
		if (n < 0) {
			break; /* the hook closed its stdin: its business */
		}
		d->in_off += (size_t)n;
	}
	/* All written (or refused): EOF for the hook. */
	hooks_event_free(&d->ev_in);
	close(d->in_fd);
	d->in_fd = -1;
}

static void exec_signal(struct delivery *d, int sig)
{
	/* The whole process group: a shell's children go too. */
	if (kill(-d->pid, sig) < 0) {
		kill(d->pid, sig);
	}
}

static void exec_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct delivery *d = arg;
	struct timeval tv = {HOOKS_KILL_GRACE_S, 0};

	(void)fd;
	(void)what;
	if (!d->term_sent) {
		d->term_sent = true;
		exec_signal(d, SIGTERM);
		evtimer_add(d->ev_timer, &tv);
	} else if (!d->kill_sent) {
		d->kill_sent = true;
		exec_signal(d, SIGKILL);
	}
}

static void exec_finish(struct delivery *d, int status, bool lost)
{
	struct hooks *h = d->h;
	hooks_done_fn done = d->done;
	void *arg = d->arg;
	char why[HOOKS_WHY_MAX];
	char *out = NULL;
	size_t outlen;
	bool ok = false;

	exec_drain(d);
	outlen = d->out_len * 4 + 1;
	if (d->term_sent) {
		/* Whatever of its group ignored SIGTERM goes now. */
		kill(-d->pid, SIGKILL);
		snprintf(why, sizeof(why), "timed out after %us, killed with %s", h->exec_timeout_s,
			 d->kill_sent ? "SIGKILL" : "SIGTERM");
	} else if (lost) {
		snprintf(why, sizeof(why), "exit status lost (reaped elsewhere)");
	} else if (WIFEXITED(status)) {
		ok = WEXITSTATUS(status) == 0;
		snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));

		snprintf(why, sizeof(why), "killed by signal %d (SIG%s)", WTERMSIG(status),
			 abbrev ? abbrev : "?");
	} else {
		snprintf(why, sizeof(why), "ended with wait status 0x%x", (unsigned)status);
	}
	out = malloc(outlen);
	if (out != NULL) {
		hooks_escape(d->out, d->out_len, out, outlen);
	}
	log_msg(ok ? LOG_INFO : LOG_WARNING, "%s: %s, output '%s'%s", d->what, why,
		out ? out : "(out of memory)", d->out_dropped ? " (truncated)" : "");
	free(out);
	delivery_unlink(d);
	delivery_free(d);
	delivery_report(h, done, arg, ok, why);
}

static void exec_on_exit(evutil_socket_t fd, short what, void *arg)
{
	struct delivery *d = arg;
	int status = 0;
	pid_t r;

	(void)fd;
	(void)what;
	do {
		r = waitpid(d->pid, &status, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r == 0) {
		return; /* still running: the poll timer, or a spurious wakeup */
	}
	exec_finish(d, status, r < 0);
}

/* Child ends of the pipes must not land on 0-2, where dup2 onto itself keeps CLOEXEC. */
static int hooks_fd_above_stdio(int fd)
{
	int nfd;

	if (fd < 0 || fd > 2) {
		return fd;
	}
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

static int hooks_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		return -errno;
	}
	return 0;
}

/* The daemon's environment without our names, plus XDANE_* of ev; NULL on OOM. */
static char **exec_envp(const struct hooks_event *ev)
{
	static const char *const names[] = {"XDANE_DOMAIN", "XDANE_CODE", "XDANE_SEVERITY",
					    "XDANE_STATE", "XDANE_MESSAGE"};
	const char *values[] = {ev->domain, ev->code, ev->severity, ev->state,
				ev->message ? ev->message : ""};
	extern char **environ;
	size_t n = 0;
	size_t k = 0;
	char **envp;

	while (environ != NULL && environ[n] != NULL) {
		n++;
	}
	envp = calloc(n + 6, sizeof(*envp));
	if (envp == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < 5; i++) {
		if (asprintf(&envp[k], "%s=%s", names[i], values[i]) < 0) {
			envp[k] = NULL;
			goto fail;
		}
		k++;
	}
	for (size_t i = 0; i < n; i++) {
		bool ours = false;

		for (size_t j = 0; j < 5 && !ours; j++) {
			size_t l = strlen(names[j]);

			ours = strncmp(environ[i], names[j], l) == 0 && environ[i][l] == '=';
		}
		if (!ours) {
			envp[k++] = environ[i];
		}
	}
	envp[k] = NULL;
	return envp;
fail:
	for (size_t i = 0; i < k; i++) {
		free(envp[i]);
	}
	free(envp);
	return NULL;
}

static void exec_envp_free(char **envp)
{
	if (envp == NULL) {
		return;
	}
	/* The first five are ours; the rest are borrowed from environ. */
	for (size_t i = 0; i < 5; i++) {
		free(envp[i]);
	}
	free(envp);
}

/* argv[0], or where PATH has it: looked up before fork, execvp is not async-signal-safe. */
static int exec_which(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(name, '/') != NULL) {
		return snprintf(buf, len, "%s", name) < (int)len ? 0 : -ENAMETOOLONG;
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p != '\0';) {
		size_t dlen = strcspn(p, ":");

		if (dlen > 0 && snprintf(buf, len, "%.*s/%s", (int)dlen, p, name) < (int)len &&
		    access(buf, X_OK) == 0) {
			return 0;
		}
		p += dlen;
		if (*p == ':') {
			p++;
		}
	}
	return -ENOENT;
}

/*
 * In the child between fork and exec: async-signal-safe calls only (the
 * daemon has threads). Its own process group, so that a timeout reaches the
 * hook's own children; every signal at its default and none blocked; only
 * fds 0-2 survive the exec. An exec failure goes back as errno on errfd.
 */
static _Noreturn void exec_child(const char *path, char **argv, char **envp, int in_fd, int out_fd,
				 int errfd, int maxfd)
{
	struct sigaction dfl;
	sigset_t none;
	int e;

	setpgid(0, 0);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++) {
		sigaction(sig, &dfl, NULL); /* fails harmlessly for SIGKILL, SIGSTOP */
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) {
		goto fail;
	}
	/* Everything above 2 closes at exec, errfd only if the exec works (Linux 5.11+). */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < maxfd; fd++) {
			if (fd != errfd) {
				close(fd);
			}
		}
	}
	execve(path, argv, envp);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

static int exec_spawn(struct hooks *h, char **envp, int in_child, int out_child, pid_t *ret_pid)
{
	char path[4096];
	int ep[2] = {-1, -1};
	long maxfd = sysconf(_SC_OPEN_MAX);
	pid_t pid;
	ssize_t n;
	int e = 0;
	int r;

	r = exec_which(h->argv[0], path, sizeof(path));
	if (r < 0) {
		goto out;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		exec_child(path, h->argv, envp, in_child, out_child, ep[1],
			   maxfd > 0 && maxfd < 65536 ? (int)maxfd : 65536);
	}
	/* Against a kill before the child's own setpgid. */
	setpgid(pid, pid);
	close(ep[1]);
	ep[1] = -1;
	/* Returns at the exec (EOF) or with its errno: a moment, as posix_spawn would. */
	do {
		n = read(ep[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
		}
		r = -e;
		goto out;
	}
	*ret_pid = pid;
	r = 0;
out:
	if (ep[0] >= 0) {
		close(ep[0]);
	}
	if (ep[1] >= 0) {
		close(ep[1]);
	}
	return r;
}

static int exec_start(struct hooks *h, const char *event, hooks_done_fn done, void *arg)
{
	struct delivery *d = NULL;
	struct hooks_event ev;
	json_t *root = NULL;
	char **envp = NULL;
	int sv[2] = {-1, -1};
	int pp[2] = {-1, -1};
	struct timeval tv = {h->exec_timeout_s, 0};
	int r;

	r = hooks_event_parse(event, &root, &ev);
	if (r < 0) {
		goto out;
	}
	r = -ENOMEM;
	d = calloc(1, sizeof(*d));
	envp = exec_envp(&ev);
	if (d == NULL || envp == NULL) {
		goto out;
	}
	d->kind = DELIVERY_EXEC;
	d->pid = -1;
	d->pidfd = d->in_fd = d->out_fd = -1;
	d->done = done;
	d->arg = arg;
	snprintf(d->what, sizeof(d->what), "domain '%s': exec hook (%s %s)", ev.domain, ev.code,
		 ev.state);
	d->in_len = strlen(event);
	d->in_buf = strdup(event);
	if (d->in_buf == NULL) {
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(pp, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	sv[1] = hooks_fd_above_stdio(sv[1]);
	pp[1] = hooks_fd_above_stdio(pp[1]);
	if (sv[1] < 0 || pp[1] < 0) {
		r = -errno;
		goto out;
	}
	d->in_fd = sv[0];
	d->out_fd = pp[0];
	sv[0] = pp[0] = -1;
	if ((r = hooks_set_nonblock(d->in_fd)) < 0 || (r = hooks_set_nonblock(d->out_fd)) < 0) {
		goto out;
	}
	/* The hook only reads its stdin: half-close our read side of it. */
	shutdown(d->in_fd, SHUT_RD);
	r = -ENOMEM;
	d->ev_in = event_new(h->base, d->in_fd, EV_WRITE | EV_PERSIST, exec_on_in, d);
	d->ev_out = event_new(h->base, d->out_fd, EV_READ | EV_PERSIST, exec_on_out, d);
	d->ev_timer = evtimer_new(h->base, exec_on_timer, d);
	if (d->ev_in == NULL || d->ev_out == NULL || d->ev_timer == NULL) {
		goto out;
	}
	r = exec_spawn(h, envp, sv[1], pp[1], &d->pid);
	if (r < 0) {
		d->pid = -1;
		goto out;
	}
	/* Never reaped by anyone else, so the pid cannot be reused before pidfd_open. */
	d->pidfd = (int)syscall(SYS_pidfd_open, d->pid, 0);
	if (d->pidfd >= 0) {
		d->ev_exit = event_new(h->base, d->pidfd, EV_READ | EV_PERSIST, exec_on_exit, d);
	} else {
		d->ev_exit = event_new(h->base, -1, EV_PERSIST, exec_on_exit, d);
	}
	if (d->ev_exit == NULL) {
		/* Started: it cannot be left unwatched. */
		exec_signal(d, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = -1;
		goto out;
	}
	if (d->pidfd >= 0) {
		event_add(d->ev_exit, NULL);
	} else {
		struct timeval poll = {0, HOOKS_EXIT_POLL_MS * 1000};

		event_add(d->ev_exit, &poll);
	}
	event_add(d->ev_in, NULL);
	event_add(d->ev_out, NULL);
	evtimer_add(d->ev_timer, &tv);
	delivery_link(h, d);
	d = NULL;
	r = 0;
out:
	if (sv[0] >= 0) {
		close(sv[0]);
	}
	if (sv[1] >= 0) {
		close(sv[1]);
	}
	if (pp[0] >= 0) {
		close(pp[0]);
	}
	if (pp[1] >= 0) {
		close(pp[1]);
	}
	exec_envp_free(envp);
	delivery_free(d);
	json_decref(root);
	return r;
}

/* Kills and reaps; for hooks_free, where nothing may be left running. */
static void exec_abort(struct delivery *d)
{
	if (d->pid > 0) {
		exec_signal(d, SIGKILL);
		while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR) {
		}
		d->pid = -1;
	}
}

/* --- webhook -------------------------------------------------------------------------- */

static void http_check_done(struct hooks *h);

static void http_on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct hooks_sock *s = arg;
	struct hooks *h = s->h; /* s may be freed inside socket_action */
	int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
		     ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;

	hooks_enter(h);
	curl_multi_socket_action(h->multi, fd, action, &running);
	http_check_done(h);
	hooks_leave(h);
}

static void http_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct hooks *h = arg;
	int running;

	(void)fd;
	(void)what;
	hooks_enter(h);
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_check_done(h);
	hooks_leave(h);
}

static void hooks_sock_free(struct hooks *h, struct hooks_sock *s)
{
	if (s->prev != NULL) {
		s->prev->next = s->next;
	} else {
		h->socks = s->next;
	}
	if (s->next != NULL) {
		s->next->prev = s->prev;
	}
	hooks_event_free(&s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl asks. */
static int http_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct hooks *h = userp;
	struct hooks_sock *s = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			hooks_sock_free(h, s);
		}
		return 0;
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			return -1;
		}
		s->h = h;
		s->fd = fd;
		s->next = h->socks;
		if (h->socks != NULL) {
			h->socks->prev = s;
		}
		h->socks = s;
		curl_multi_assign(h->multi, fd, s);
	}
	kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
		       ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
	hooks_event_free(&s->ev);
	s->ev = event_new(h->base, fd, kind, http_on_sock, s);
	if (s->ev == NULL || event_add(s->ev, NULL) < 0) {
		return -1;
	}
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer for the whole multi handle. */
static int http_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct hooks *h = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(h->curl_timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(h->curl_timer, &tv) < 0 ? -1 : 0;
}

static size_t http_on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct delivery *d = userdata;
	size_t n = size * nmemb;
	size_t keep = sizeof(d->resp) - 1 - d->resp_len;

	if (keep > n) {
		keep = n;
	}
	memcpy(d->resp + d->resp_len, ptr, keep);
	d->resp_len += keep;
	d->resp[d->resp_len] = '\0';
	return n;
}

static void http_finish(struct delivery *d, CURLcode res)
{
	struct hooks *h = d->h;
	hooks_done_fn done = d->done;
	void *arg = d->arg;
	char why[HOOKS_WHY_MAX];
	long code = 0;
	bool ok = false;

	curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &code);
	if (res != CURLE_OK) {
		snprintf(why, sizeof(why), "%s (POST %s)",
			 d->errbuf[0] ? d->errbuf : curl_easy_strerror(res), h->url_shown);
	} else if (code >= 200 && code < 300) {
		ok = true;
		snprintf(why, sizeof(why), "HTTP %ld from %s", code, h->url_shown);
	} else {
		char body[HOOKS_WHY_BODY_MAX * 4 + 1];
		size_t blen = d->resp_len < HOOKS_WHY_BODY_MAX ? d->resp_len : HOOKS_WHY_BODY_MAX;

		hooks_escape(d->resp, blen, body, sizeof(body));
		/* The why is cut where it must be: the URL first, then the answer. */
		snprintf(why, sizeof(why), "HTTP %ld from %s%s%.320s%s", code, h->url_shown,
			 blen ? ": '" : "", body, blen ? "'" : "");
	}
	/* The errbuf may end in a newline: keep the why on one line. */
	why[strcspn(why, "\r\n")] = '\0';
	curl_multi_remove_handle(h->multi, d->easy);
	if (done == NULL) {
		if (ok) {
			log_debug("alertmanager re-send (%s): %s", d->what, why);
		} else {
			log_warning(
				"alertmanager re-send (%s) failed: %s, trying again at the next "
				"re-send",
				d->what, why);
		}
	}
	delivery_unlink(d);
	delivery_free(d);
	delivery_report(h, done, arg, ok, why);
}

static void http_check_done(struct hooks *h)
{
	CURLMsg *msg;
	int left;

	while (!h->dying && (msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE) {
			continue;
		}
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if (priv != NULL) {
			http_finish((struct delivery *)(void *)priv, msg->data.result);
		}
	}
}

/* Takes body (freed in every case). */
static int http_start(struct hooks *h, char *body, const char *what, hooks_done_fn done, void *arg)
{
	struct delivery *d = calloc(1, sizeof(*d));
	long timeout_ms = (long)h->webhook_timeout_s * 1000;
	int r = -ENOMEM;

	if (d == NULL) {
		free(body);
		goto out;
	}
	d->kind = DELIVERY_HTTP;
	d->pidfd = d->in_fd = d->out_fd = -1;
	d->done = done;
	d->arg = arg;
	d->body = body;
	snprintf(d->what, sizeof(d->what), "%s", what);
	d->easy = curl_easy_init();
	d->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (d->easy == NULL || d->headers == NULL) {
		goto out;
	}
	/* No "Expect: 100-continue": receivers answer the POST, not a preamble. */
	d->headers = curl_slist_append(d->headers, "Expect:");
	if (d->headers == NULL) {
		goto out;
	}
	r = -EINVAL;
	if (curl_easy_setopt(d->easy, CURLOPT_URL, h->url) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_HTTPHEADER, d->headers) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_POSTFIELDS, d->body) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(d->body)) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_USERAGENT, "xdaned/" XDANE_VERSION) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_ERRORBUFFER, d->errbuf) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_WRITEFUNCTION, http_on_body) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_WRITEDATA, d) != CURLE_OK ||
	    curl_easy_setopt(d->easy, CURLOPT_PRIVATE, d) != CURLE_OK) {
		goto out;
	}
	if (curl_multi_add_handle(h->multi, d->easy) != CURLM_OK) {
		r = -ENOMEM;
		goto out;
	}
	delivery_link(h, d);
	d = NULL;
	r = 0;
out:
	delivery_free(d);
	return r;
}

/* --- the hooks ------------------------------------------------------------------------ */

/* url without user info and query string, which may hold secrets. */
static char *hooks_url_shown(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *at = memchr(host, '@', (size_t)(end - host));
	const char *rest = end + strcspn(end, "?#");
	char *s = NULL;

	if (at != NULL) {
		host = at + 1;
	}
	if (asprintf(&s, "%.*s%.*s", (int)(scheme ? scheme + 3 - url : 0), url, (int)(rest - host),
		     host) < 0) {
		return NULL;
	}
	return s;
}

int hooks_new(struct event_base *base, const struct hooks_opts *o, struct hooks **ret, char *err,
	      size_t errlen)
{
	struct hooks *h = calloc(1, sizeof(*h));
	size_t argc = 0;
	int r = -ENOMEM;

	*ret = NULL;
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	h->base = base;
	h->format = o->webhook_format;
	h->exec_timeout_s = o->exec_timeout_s ? o->exec_timeout_s : HOOKS_DEFAULT_EXEC_TIMEOUT_S;
	h->webhook_timeout_s = o->webhook_timeout_s ? o->webhook_timeout_s
						    : HOOKS_DEFAULT_WEBHOOK_TIMEOUT_S;
	if ((o->instance && !(h->instance = strdup(o->instance))) ||
	    (o->status_url && !(h->status_url = strdup(o->status_url)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (o->exec_argv != NULL) {
		while (o->exec_argv[argc] != NULL) {
			argc++;
		}
		if (argc == 0) {
			r = -EINVAL;
			snprintf(err, errlen, "exec hook: empty argv");
			goto out;
		}
		h->argv = calloc(argc + 1, sizeof(*h->argv));
		if (h->argv == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < argc; i++) {
			h->argv[i] = strdup(o->exec_argv[i]);
			if (h->argv[i] == NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
		}
	}
	if (o->webhook_url != NULL) {
		if (o->webhook_format != WEBHOOK_ALERTMANAGER &&
		    o->webhook_format != WEBHOOK_WEBHOOK) {
			r = -EINVAL;
			snprintf(err, errlen, "webhook: unknown format %d", (int)o->webhook_format);
			goto out;
		}
		h->url = strdup(o->webhook_url);
		h->url_shown = hooks_url_shown(o->webhook_url);
		if (h->url == NULL || h->url_shown == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		/* Reference-counted by libcurl: each hooks holds one. */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			r = -ENOMEM;
			snprintf(err, errlen, "webhook: cannot initialise libcurl");
			goto out;
		}
		h->curl_inited = true;
		h->multi = curl_multi_init();
		h->curl_timer = evtimer_new(base, http_on_timer, h);
		if (h->multi == NULL || h->curl_timer == NULL ||
		    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_sock_cb) !=
			    CURLM_OK ||
		    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
		    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb) !=
			    CURLM_OK ||
		    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK) {
			snprintf(err, errlen, "webhook: cannot set up libcurl's multi interface");
			goto out;
		}
	}
	*ret = h;
	h = NULL;
	r = 0;
out:
	hooks_destroy(h);
	return r;
}

int hooks_deliver(struct hooks *h, const char *hook, const char *event, hooks_done_fn done,
		  void *arg)
{
	struct hooks_event ev;
	json_t *root = NULL;
	char what[192];
	char *body = NULL;
	int r;

	if (h->dying) {
		return -ESHUTDOWN;
	}
	if (strcmp(hook, "exec") == 0) {
		return h->argv != NULL ? exec_start(h, event, done, arg) : ERR_NOT_FOUND;
	}
	if (strcmp(hook, "webhook") != 0) {
		return -EINVAL;
	}
	if (h->multi == NULL) {
		return ERR_NOT_FOUND;
	}
	r = hooks_event_parse(event, &root, &ev);
	if (r < 0) {
		return r;
	}
	snprintf(what, sizeof(what), "domain '%s': webhook (%s %s)", ev.domain, ev.code, ev.state);
	json_decref(root);
	if (h->format == WEBHOOK_ALERTMANAGER) {
		r = hooks_alertmanager_payload(&event, 1, h->instance, h->status_url, &body);
	} else {
		r = hooks_webhook_payload(event, h->instance, h->status_url, &body);
	}
	if (r < 0) {
		return r;
	}
	return http_start(h, body, what, done, arg);
}

int hooks_resend(struct hooks *h, const char *const *events, size_t n)
{
	char what[64];
	char *body = NULL;
	int r;

	if (h->multi == NULL || h->format != WEBHOOK_ALERTMANAGER || n == 0 || h->dying) {
		return 0;
	}
	r = hooks_alertmanager_payload(events, n, h->instance, h->status_url, &body);
	if (r < 0) {
		return r;
	}
	snprintf(what, sizeof(what), "%zu firing alert%s", n, n == 1 ? "" : "s");
	return http_start(h, body, what, NULL, NULL);
}

size_t hooks_inflight(const struct hooks *h)
{
	return h->inflight;
}

/* Ends every delivery without its done: children killed and reaped, requests dropped. */
static void hooks_abort_all(struct hooks *h)
{
	while (h->list != NULL) {
		struct delivery *d = h->list;

		if (d->kind == DELIVERY_EXEC) {
			exec_abort(d);
		} else if (d->easy != NULL) {
			curl_multi_remove_handle(h->multi, d->easy);
		}
		delivery_unlink(d);
		delivery_free(d);
	}
}

static void hooks_destroy(struct hooks *h)
{
	if (h == NULL) {
		return;
	}
	hooks_abort_all(h);
	if (h->multi != NULL) {
		curl_multi_cleanup(h->multi);
	}
	while (h->socks != NULL) {
		hooks_sock_free(h, h->socks);
	}
	hooks_event_free(&h->curl_timer);
	if (h->curl_inited) {
		curl_global_cleanup();
	}
	for (size_t i = 0; h->argv != NULL && h->argv[i] != NULL; i++) {
		free(h->argv[i]);
	}
	free(h->argv);
	free(h->url);
	free(h->url_shown);
	free(h->instance);
	free(h->status_url);
	free(h);
}

void hooks_free(struct hooks *h)
{
	if (h == NULL || h->dying) {
		return;
	}
	if (h->depth > 0) {
		/* Inside one of our callbacks: stop everything now, free on the way out. */
		h->dying = true;
		hooks_abort_all(h);
		return;
	}
	hooks_destroy(h);
}
