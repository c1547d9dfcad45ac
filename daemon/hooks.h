/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alert delivery (DESIGN.md "Alerts"): the `exec` hook (argv, no shell,
 * XDANE_* environment, the event JSON on stdin, a timeout, output logged)
 * and the `webhook` hook (libcurl's multi interface driven by the daemon's
 * libevent loop, never blocking it) in its two shapes: "alertmanager" pushes
 * to a real Alertmanager's /api/v2/alerts, "webhook" sends the payload of
 * Alertmanager's own webhook_config (version "4").
 *
 * This module delivers one event at a time per call and reports the outcome;
 * what is due, retries and "exactly once" are the outbox's (statedb.h). The
 * event is the JSON of alerttrack_event_json.
 */
#ifndef XDANE_DAEMON_HOOKS_H
#define XDANE_DAEMON_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct hooks;

enum webhook_format {
	WEBHOOK_ALERTMANAGER = 0,
	WEBHOOK_WEBHOOK,
};

struct hooks_opts {
	char **exec_argv;	 /* NULL-terminated; NULL: no exec hook */
	unsigned exec_timeout_s; /* killed (SIGTERM, then SIGKILL) after this */
	const char *webhook_url; /* NULL: no webhook */
	enum webhook_format webhook_format;
	unsigned webhook_timeout_s;
	const char *instance;	/* "instance" label of alerts (host name), may be NULL */
	const char *status_url; /* generatorURL / externalURL base, may be NULL */
};

/* Called once per hooks_deliver, from the loop: ok, or why it failed (one line). */
typedef void (*hooks_done_fn)(void *arg, bool ok, const char *why);

/* Copies what it needs of o. */
int hooks_new(struct event_base *base, const struct hooks_opts *o, struct hooks **ret, char *err,
	      size_t errlen);

/*
 * Delivers event (JSON text) to hook "exec" or "webhook"; done runs later
 * from the loop, never inside this call. Returns 0, or a negative code when
 * the hook is not configured or nothing could be started.
 */
int hooks_deliver(struct hooks *h, const char *hook, const char *event, hooks_done_fn done,
		  void *arg);

/*
 * Alertmanager wants firing alerts re-sent while active (more often than its
 * resolve_timeout): POSTs these events (JSON texts, all firing) as one
 * array; fire and forget, failures logged. No-op unless the webhook format
 * is "alertmanager".
 */
int hooks_resend(struct hooks *h, const char *const *events, size_t n);

/* Deliveries in flight (exec children and HTTP requests). */
size_t hooks_inflight(const struct hooks *h);

/* Kills exec children, aborts requests (their done never runs), frees. */
void hooks_free(struct hooks *h);

/* The payloads, pure, for tests: malloc'd JSON text built from one event. */
int hooks_alertmanager_payload(const char *const *events, size_t n, const char *instance,
			       const char *status_url, char **ret);
int hooks_webhook_payload(const char *event, const char *instance, const char *status_url,
			  char **ret);

#endif
