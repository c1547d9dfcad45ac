/* SPDX-License-Identifier: BSD-3-Clause */
/* The routes of the HTTP listeners. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/timefmt.h"
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

static void routes_status_all(struct statedb *db, const struct snapshot *snap,
			      struct httpd_response *resp)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list != NULL && snap != NULL && i < snap->n; i++) {
		if (json_array_append_new(list, routes_report(db, snap->v[i])) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	routes_json(resp, 200, list != NULL ? json_pack("{s:o}", "domains", list) : NULL);
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
	    json_object_set_new(o, "rollover", json_pack("{s:s}", "state", "none")) < 0) {
		json_decref(o);
		o = NULL;
	}
	routes_json(resp, 200, o);
}

static void routes_page(const struct snapshot *snap, struct httpd_response *resp, bool metrics)
{
	char *body = NULL;
	size_t len = 0;
	int r;

	if (snap == NULL) {
		httpd_text(resp, 503, CT_TEXT, "starting\n");
		return;
	}
	r = metrics ? snapshot_metrics(snap, &body, &len) : snapshot_page(snap, &body, &len);
	if (r < 0) {
		httpd_text(resp, 500, CT_TEXT, "out of memory\n");
		return;
	}
	resp->status = 200;
	resp->content_type = metrics ? CT_PROM : CT_HTML;
	resp->body = body;
	resp->len = len;
}

/* The read-only routes; false when url is none of them. */
static bool routes_read(struct service *s, struct statedb *db, const char *url,
			struct httpd_response *resp)
{
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
		routes_page(snap, resp, url[1] == 'm');
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

void routes_public(void *arg, void *thread_ctx, const char *method, const char *url,
		   struct httpd_response *resp)
{
	if (!routes_is_read_method(method)) {
		httpd_text(resp, 405, CT_TEXT,
			   "read-only: GET only here; control goes over the control socket\n");
		resp->allow = "GET, HEAD";
		return;
	}
	if (!routes_read(arg, thread_ctx, url, resp)) {
		httpd_text(resp, 404, CT_TEXT, "not found\n");
	}
}

void routes_control(void *arg, void *thread_ctx, const char *method, const char *url,
		    struct httpd_response *resp)
{
	char reply[600], line[640];
	unsigned status;

	if (routes_is_read_method(method)) {
		if (!routes_read(arg, thread_ctx, url, resp)) {
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
