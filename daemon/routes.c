/* SPDX-License-Identifier: BSD-3-Clause */
/* The routes of the HTTP listeners. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/timefmt.h"
#include "daemon/gzpage.h"
#include "daemon/routes.h"
#include "daemon/service.h"
#include "daemon/statedb.h"

#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"
#define CT_HTML "text/html; charset=utf-8"
#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"

void *routes_thread_init(void *arg)
{
	struct service *s = arg;
	struct statedb *db = NULL;
	char err[512];

	if (statedb_open(service_state_db(s), true, &db, err, sizeof(err)) < 0) {
		return NULL; /* /status then shows what the snapshot knows */
	}
	return db;
}

void routes_thread_done(void *arg, void *thread_ctx)
{
	(void)arg;
	statedb_close(thread_ctx);
}

static void routes_json(struct httpd_response *resp, unsigned status, json_t *doc)
{
	char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	json_decref(doc);
	if (text == NULL) {
		httpd_text(resp, 500, CT_TEXT, "out of memory\n");
		return;
	}
	resp->status = status;
	resp->content_type = CT_JSON;
	resp->len = strlen(text);
	resp->body = text;
}

static json_t *routes_time(int64_t t)
{
	char buf[TIMEFMT_RFC3339_LEN];

	return t != 0 && timefmt_rfc3339(t, buf) == 0 ? json_string(buf) : json_null();
}

/* The stored report of a domain, or a stand-in saying why there is none. */
static json_t *routes_report(struct statedb *db, const struct view *v)
{
	static const char *names[] = {"ok", "info", "warning", "critical", "unknown"};
	char *text = NULL;
	int64_t at;
	json_t *o = NULL;

	if (db != NULL && statedb_report(db, v->name, &text, &at) == 0) {
		o = json_loads(text, 0, NULL);
		free(text);
	}
	if (o == NULL) {
		int st = v->r.status >= 0 && v->r.status <= 4 ? v->r.status : 4;

		o = json_pack("{s:s, s:s, s:s}", "domain", v->name, "status", names[st], "error",
			      db != NULL ? "not checked yet" : "the state db is not readable");
	}
	return o;
}

/*
 * GET /status is streamed: one stored report at a time, as stored (compact
 * JSON), so that 10,000 domains never sit in memory at once.
 */
struct routes_stream {
	struct snapshot *snap; /* referenced until the response is done */
	struct statedb *db;
	size_t next;	    /* next domain of snap */
	bool closed;	    /* the closing "]}" is in pending */
	struct buf pending; /* made, not yet sent */
	size_t off;
};

static int routes_stream_fill(struct routes_stream *st)
{
	const struct view *v = st->snap->v[st->next];
	char *text = NULL;
	int64_t at;
	int r;

	r = buf_append(&st->pending, st->next == 0 ? "\n" : ",\n", st->next == 0 ? 1 : 2);
	if (r == 0 && st->db != NULL && statedb_report(st->db, v->name, &text, &at) == 0) {
		r = buf_append(&st->pending, text, strlen(text));
	} else if (r == 0) {
		json_t *o = routes_report(st->db, v); /* a stand-in saying why */
		char *t = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

		r = t != NULL ? buf_append(&st->pending, t, strlen(t)) : -ENOMEM;
		free(t);
		json_decref(o);
	}
	free(text);
	st->next++;
	return r;
}

static long routes_stream_read(void *cls, char *out, size_t max)
{
	struct routes_stream *st = cls;
	size_t n;

	while (st->off == st->pending.len) {
		st->pending.len = st->off = 0;
		if (st->next < st->snap->n) {
			if (routes_stream_fill(st) < 0) {
				return -1;
			}
		} else if (!st->closed) {
			st->closed = true;
			if (buf_append(&st->pending, "\n]}\n", 4) < 0) {
				return -1;
			}
		} else {
			return 0;
		}
	}
	n = st->pending.len - st->off < max ? st->pending.len - st->off : max;
	memcpy(out, st->pending.data + st->off, n);
	st->off += n;
	return (long)n;
}

static void routes_stream_free(void *cls)
{
	struct routes_stream *st = cls;

	snapshot_release(st->snap);
	free(st->pending.data);
	free(st);
}

static void routes_status_all(struct statedb *db, struct snapshot *snap,
			      struct httpd_response *resp)
{
	struct routes_stream *st;

	if (snap == NULL) {
		httpd_text(resp, 503, CT_TEXT, "starting\n");
		return;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		httpd_text(resp, 500, CT_TEXT, "out of memory\n");
		return;
	}
	/* The stream outlives this call: it holds a reference of its own. */
	st->snap = snapshot_acquire_ref(snap);
	st->db = db;
	buf_init(&st->pending, 64u << 20); /* one report is far smaller */
	if (buf_append(&st->pending, "{\"domains\": [", 13) < 0) {
		routes_stream_free(st);
		httpd_text(resp, 500, CT_TEXT, "out of memory\n");
		return;
	}
	resp->status = 200;
	resp->content_type = CT_JSON;
	resp->stream = routes_stream_read;
	resp->stream_cls = st;
	resp->stream_free = routes_stream_free;
}

static json_t *routes_finding(const struct statedb_finding *sf)
{
	static const char *alerts[] = {"none", "firing", "resolving"};
	const struct finding *f = &sf->f;
	json_t *o = json_pack(
		"{s:s, s:s, s:s?, s:s?, s:o, s:s?, s:s, s:o, s:o, s:s}", "code",
		finding_code_name(f->code), "severity", severity_name(f->severity), "service",
		f->service[0] ? f->service : NULL, "target", f->target[0] ? f->target : NULL,
		"port", f->port ? json_integer(f->port) : json_null(), "address",
		f->address[0] ? f->address : NULL, "message", f->message, "first_seen",
		routes_time(sf->first_seen), "last_seen", routes_time(sf->last_seen), "alert",
		alerts[sf->alert <= ALERT_RESOLVING ? sf->alert : 0]);

	return o;
}

static void routes_status_one(struct statedb *db, const struct snapshot *snap, const char *domain,
			      struct httpd_response *resp)
{
	struct statedb_findings active = {0};
	const struct view *v = snap != NULL ? snapshot_find(snap, domain) : NULL;
	json_t *o, *list;
	size_t i;

	if (v == NULL) {
		httpd_text(resp, 404, CT_TEXT, "not a configured domain\n");
		return;
	}
	o = routes_report(db, v);
	list = json_array();
	if (db != NULL) {
		statedb_active(db, domain, &active);
	}
	for (i = 0; list != NULL && i < active.n; i++) {
		json_array_append_new(list, routes_finding(&active.v[i]));
	}
	statedb_findings_release(&active);
	if (o == NULL || list == NULL || json_object_set_new(o, "active_findings", list) < 0 ||
	    json_object_set_new(
		    o, "rollover",
		    json_pack("{s:s}", "state", v->rollover != NULL ? v->rollover : "none")) < 0) {
		json_decref(o);
		o = NULL;
	}
	routes_json(resp, 200, o);
}

/* A page reader as an httpd stream. */
static long routes_page_read(void *cls, char *buf, size_t max)
{
	return (long)snapshot_reader_read(cls, buf, max);
}

/* gzpage_unref as an httpd free callback. */
static void routes_gz_free(void *page)
{
	gzpage_unref(page);
}

/* /metrics compressed, if a fresh enough page is made (gzpage.h); false: send it plain. */
static bool routes_metrics_gzip(struct service *s, struct httpd_response *resp)
{
	struct gzpage *p = service_metrics_gzip(s);

	if (p == NULL) {
		return false;
	}
	resp->status = 200;
	resp->content_type = CT_PROM;
	resp->content_encoding = "gzip";
	resp->shared = p->data;
	resp->len = p->len;
	resp->stream_cls = p;
	resp->stream_free = routes_gz_free;
	return true;
}

/*
 * / and /metrics: generated from the snapshot while sent, with the length
 * known up front; the response holds the snapshot until it is sent. A client
 * that accepts gzip may get /metrics compressed instead.
 */
static void routes_page(struct service *s, struct snapshot *snap, const struct httpd_request *req,
			struct httpd_response *resp, bool metrics)
{
	struct snapshot_reader *r;
	size_t len;

	resp->varies_by_encoding = metrics;
	if (snap == NULL) {
		httpd_text(resp, 503, CT_TEXT, "starting\n");
		return;
	}
	if (metrics && req->accepts_gzip && routes_metrics_gzip(s, resp)) {
		return;
	}
	r = snapshot_reader_new(snap, metrics ? SNAPSHOT_METRICS : SNAPSHOT_HTML, &len);
	if (r == NULL) {
		httpd_text(resp, 500, CT_TEXT, "out of memory\n");
		return;
	}
	resp->status = 200;
	resp->content_type = metrics ? CT_PROM : CT_HTML;
	resp->stream = routes_page_read;
	resp->stream_cls = r;
	resp->stream_free = snapshot_reader_free;
	resp->len = len;
}

/* The read-only routes; false when url is none of them. */
static bool routes_read(struct service *s, struct statedb *db, const struct httpd_request *req,
			struct httpd_response *resp)
{
	const char *url = req->url;
	struct snapshot *snap;

	if (strcmp(url, "/healthz") == 0) {
		if (service_healthy(s)) {
			httpd_text(resp, 200, CT_TEXT, "ok\n");
		} else {
			httpd_text(resp, 503, CT_TEXT, "the scheduler is not running\n");
		}
		return true;
	}
	if (strcmp(url, "/metrics") != 0 && strcmp(url, "/") != 0 && strcmp(url, "/status") != 0 &&
	    strncmp(url, "/status/", 8) != 0) {
		return false;
	}
	snap = service_snapshot(s);
	if (strcmp(url, "/metrics") == 0 || strcmp(url, "/") == 0) {
		routes_page(s, snap, req, resp, url[1] == 'm');
	} else if (strcmp(url, "/status") == 0) {
		routes_status_all(db, snap, resp);
	} else {
		routes_status_one(db, snap, url + 8, resp);
	}
	snapshot_release(snap);
	return true;
}

static bool routes_is_read_method(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

void routes_public(void *arg, void *thread_ctx, const struct httpd_request *req,
		   struct httpd_response *resp)
{
	if (!routes_is_read_method(req->method)) {
		httpd_text(resp, 405, CT_TEXT,
			   "read-only: GET only here; control goes over the control socket\n");
		resp->allow = "GET, HEAD";
		return;
	}
	if (!routes_read(arg, thread_ctx, req, resp)) {
		httpd_text(resp, 404, CT_TEXT, "not found\n");
	}
}

/* The answer of a rollover request: its body when there is one, else the reply line. */
static void routes_rollover_answer(struct httpd_response *resp, unsigned status, char *body,
				   const char *reply, bool json)
{
	char line[640];

	if (body != NULL) {
		resp->status = status;
		resp->content_type = json ? CT_JSON : CT_TEXT;
		resp->body = body;
		resp->len = strlen(body);
		return;
	}
	snprintf(line, sizeof(line), "%s\n", reply);
	httpd_text(resp, status, CT_TEXT, line);
}

/* /rollover[/DOMAIN[/ACTION]]: false when url is not one of them. */
static bool routes_rollover(struct service *s, const char *method, const char *url,
			    const char *body, struct httpd_response *resp)
{
	bool get = routes_is_read_method(method);
	char domain[256], reply[600];
	const char *rest, *slash;
	char *out = NULL;
	unsigned status;

	if (strcmp(url, "/rollover") == 0 || strcmp(url, "/rollover/") == 0) {
		if (!get) {
			return false;
		}
		status = service_rollover(s, SERVICE_ROLLOVER_STATUS, NULL, NULL, NULL, &out, reply,
					  sizeof(reply));
		routes_rollover_answer(resp, status, out, reply, true);
		return true;
	}
	if (strncmp(url, "/rollover/", 10) != 0) {
		return false;
	}
	rest = url + 10;
	slash = strchr(rest, '/');
	if ((slash != NULL ? (size_t)(slash - rest) : strlen(rest)) >= sizeof(domain)) {
		return false;
	}
	snprintf(domain, sizeof(domain), "%.*s",
		 slash != NULL ? (int)(slash - rest) : (int)strlen(rest), rest);
	rest = slash != NULL ? slash + 1 : "";
	if (get && rest[0] == '\0') {
		status = service_rollover(s, SERVICE_ROLLOVER_STATUS, domain, NULL, NULL, &out,
					  reply, sizeof(reply));
		routes_rollover_answer(resp, status, out, reply, true);
	} else if (get && (strcmp(rest, "next-key") == 0 || strcmp(rest, "csr") == 0)) {
		status = service_rollover(
			s, rest[0] == 'n' ? SERVICE_ROLLOVER_NEXT_KEY : SERVICE_ROLLOVER_CSR,
			domain, NULL, NULL, &out, reply, sizeof(reply));
		routes_rollover_answer(resp, status, out, reply, false);
	} else if (!get && strcmp(rest, "abort") == 0) {
		status = service_rollover(s, SERVICE_ROLLOVER_ABORT, domain, NULL, NULL, &out,
					  reply, sizeof(reply));
		routes_rollover_answer(resp, status, out, reply, false);
	} else if (!get && strcmp(rest, "stage") == 0) {
		json_t *req = json_loads(body, 0, NULL);
		const char *cert = json_string_value(json_object_get(req, "cert"));
		const char *key = json_string_value(json_object_get(req, "key"));

		if (cert == NULL || key == NULL) {
			httpd_text(resp, 400, CT_TEXT,
				   "stage wants a JSON body {\"cert\": PATH, \"key\": PATH}\n");
		} else {
			status = service_rollover(s, SERVICE_ROLLOVER_STAGE, domain, cert, key,
						  &out, reply, sizeof(reply));
			routes_rollover_answer(resp, status, out, reply, false);
		}
		json_decref(req);
	} else {
		return false;
	}
	return true;
}

void routes_control(void *arg, void *thread_ctx, const struct httpd_request *req,
		    struct httpd_response *resp)
{
	const char *method = req->method, *url = req->url;
	char reply[600], line[640];
	unsigned status;

	if (routes_rollover(arg, method, url, req->body, resp)) {
		return;
	}
	if (routes_is_read_method(method)) {
		if (!routes_read(arg, thread_ctx, req, resp)) {
			httpd_text(resp, 404, CT_TEXT, "not found\n");
		}
		return;
	}
	if (strcmp(method, "POST") != 0) {
		httpd_text(resp, 405, CT_TEXT, "GET or POST\n");
		resp->allow = "GET, HEAD, POST";
		return;
	}
	if (strncmp(url, "/trigger/", 9) == 0 && url[9] != '\0') {
		status = service_trigger(arg, url + 9, reply, sizeof(reply));
	} else if (strcmp(url, "/reload") == 0) {
		status = service_reload(arg, reply, sizeof(reply));
	} else {
		httpd_text(resp, 404, CT_TEXT, "not found\n");
		return;
	}
	snprintf(line, sizeof(line), "%s\n", reply);
	httpd_text(resp, status, CT_TEXT, line);
}
