/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's event loop. Checks run on the runner's worker threads, which
 * judge them and hand the results back through a queue and a wake-up pipe;
 * everything else (schedule, state db writes, alert deliveries, snapshots,
 * config reloads) happens here, on the main thread, so none of it needs a
 * lock except the two queues the other threads share with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "checks/judge.h"
#include "checks/report.h"
#include "checks/runner.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "daemon/alerttrack.h"
#include "daemon/gzpage.h"
#include "daemon/hooks.h"
#include "daemon/rollmgr.h"
#include "daemon/routes.h"
#include "daemon/schedule.h"
#include "daemon/service.h"
#include "daemon/statedb.h"

/* Alert deliveries in flight at once; the rest wait in the outbox. */
#define SVC_DELIVERIES 16
/* Alertmanager forgets an alert not re-sent within its resolve_timeout (5 min). */
#define SVC_RESEND_S 60
/*
 * Snapshots are published at most this often (ms): a burst of results is one
 * swap. Publishing is cheap (a reference per domain); the pages are built
 * lazily, at most once per snapshot, by the first request that wants one
 * (snapshot.c). So during a sweep a scraper rebuilds /metrics at most five
 * times a second: a memcpy join of the rendered fragments, which at 1,000
 * domains under wrk cost too little to show (1 connection: 1,480 requests/s
 * idle, 1,400 during a sweep), so 200 ms keeps /status and / fresh and
 * slowing it to 1 s would buy nothing measurable.
 */
/*
 * The check workers run this much nicer than xdaned's other threads: a
 * sweep of 10,000 domains keeps every core busy, and a scrape of /metrics,
 * the control socket and the servers xdaned watches come first.
 */
#define SVC_CHECK_NICE 10
#define SVC_PUBLISH_MS 200
/* A control request waits this long for the loop. */
#define SVC_COMMAND_WAIT_S 10
/* At SIGTERM, alert deliveries in flight get this long to end (systemd waits 90 s). */
#define SVC_STOP_WAIT_MS 15000
/* /healthz fails when the loop has not ticked for this long. */
#define SVC_HEALTHY_S 15

/* A check on its way to a worker and back; on the way back it carries the result. */
struct svc_job {
	struct service *s;
	struct svc_job *prev, *next; /* outstanding (under s->lock) */
	struct svc_job *rnext;	     /* result queue (under s->lock) */
	struct judge_opts judge;
	int64_t submitted_at; /* wall clock */
	size_t index_hint;
	json_t *report;
	struct findings findings;
	enum severity status;
	bool unknown;
	int64_t checked_at;
	char domain[];
};

enum svc_cmd_kind {
	SVC_CMD_TRIGGER,
	SVC_CMD_RELOAD,
	SVC_CMD_ROLLOVER,
};

/* A request of a control client, answered by the loop. */
struct svc_cmd {
	struct svc_cmd *next;
	enum svc_cmd_kind kind;
	char domain[256];
	bool all; /* a rollover status of every domain */
	enum service_rollover_op op;
	char *cert, *key; /* paths of a stage request, malloc'd */
	char *body;	  /* malloc'd answer of a rollover request */
	unsigned status;
	char reply[512];
	bool done;
	int refs; /* the asking thread and the queue (under s->lock) */
};

/* An alert delivery in flight. */
struct svc_delivery {
	struct service *s;
	int64_t id;
	unsigned attempts;
	bool used;
};

struct service {
	const char *config_path;
	struct config *boot_cfg; /* what the runner and listeners were started with */
	struct config *cfg;	 /* the current one (domains, margins, alerts) */
	struct event_base *base;
	struct runner *runner;
	struct sched sched;
	struct view **views; /* index-aligned with sched */
	struct statedb *db;
	bool db_failing; /* the last write failed: logged once until it works again */
	struct hooks *hooks;
	struct rollmgr *roll;
	char *key_dir; /* rollovers' keys and staged certificates */
	const char *hook_names[2];
	size_t n_hooks;
	struct svc_delivery deliveries[SVC_DELIVERIES];
	size_t n_delivering;
	struct httpd *http, *control;
	struct snapshot_box snaps;
	struct gzcache *metrics_gz; /* NULL: /metrics is always sent uncompressed */
	struct render_daemon_stats stats;
	unsigned in_flight;
	bool dirty;
	bool stopping; /* SIGTERM: no new checks or deliveries; ends when deliveries have */
	atomic_llong heartbeat; /* unix time of the loop's last tick */

	pthread_mutex_t lock;
	pthread_cond_t cmd_cond;
	struct svc_job *outstanding;
	struct svc_job *results, *results_tail;
	struct svc_cmd *cmds;
	int wake[2];

	struct event *wake_ev, *tick_ev, *publish_ev, *outbox_ev, *resend_ev, *heart_ev,
		*watchdog_ev, *sig_hup, *sig_term, *sig_int, *stop_ev;
};

static int64_t svc_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void svc_timer(struct event *ev, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

static void svc_wake(struct service *s)
{
	ssize_t n = write(s->wake[1], "", 1);

	(void)n; /* a full pipe is already a wake-up */
}

/* --- the domains of the config ---------------------------------------------------- */

static void svc_judge_opts(const struct config_domain *d, struct judge_opts *o)
{
	int i;

	judge_opts_init(o);
	o->rrsig_margin_s = d->rrsig_margin_s;
	o->cert_margin_s = d->cert_margin_s;
	o->cert_critical_s = d->cert_critical_s;
	for (i = 0; i < FINDING_COUNT; i++) {
		o->severity[i] = d->severity[i];
	}
}

static long svc_index(const struct service *s, const char *domain, size_t hint)
{
	if (hint < s->sched.n && strcmp(s->sched.v[hint].name, domain) == 0) {
		return (long)hint;
	}
	return sched_find(&s->sched, domain);
}

/* --- rendering and publishing --------------------------------------------------- */

static void svc_mark_dirty(struct service *s)
{
	if (!s->dirty) {
		s->dirty = true;
		svc_timer(s->publish_ev, SVC_PUBLISH_MS);
	}
}

static void svc_publish(struct service *s)
{
	s->stats.checks_in_flight = s->in_flight;
	s->stats.domains = (unsigned)s->sched.n;
	s->stats.alerts_pending = 0;
	if (s->db != NULL) {
		int64_t next;
		size_t pending;

		if (statedb_outbox_pending(s->db, &next, &pending) == 0) {
			s->stats.alerts_pending = (unsigned)pending;
		}
	}
	if (snapshot_publish(&s->snaps, s->views, s->sched.n, &s->stats, (int64_t)time(NULL)) < 0) {
		log_err("out of memory publishing the status");
		return;
	}
	gzcache_published(s->metrics_gz);
	s->dirty = false;
}

static void svc_on_publish(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	svc_publish(arg);
}

/* Makes rd (rendered with the rollover phase) the view of domain index; checked: from a report. */
static void svc_install(struct service *s, size_t index, struct render_domain *rd,
			const char *phase, bool checked)
{
	struct view *v;
	int old = s->views[index] != NULL ? s->views[index]->r.status : -1;

	v = view_new(s->sched.v[index].name, rd);
	if (v == NULL) {
		log_err("%s: out of memory rendering the status", s->sched.v[index].name);
		return;
	}
	v->rollover = phase;
	if (old >= 0 && old != v->r.status && checked) {
		static const char *names[] = {"ok", "info", "warning", "critical", "unknown"};
		int st = v->r.status >= 0 && v->r.status <= 4 ? v->r.status : 4;

		log_msg(st >= 3 ? LOG_WARNING : LOG_NOTICE, "%s: %s (was %s)",
			s->sched.v[index].name, names[st], names[old >= 0 && old <= 4 ? old : 4]);
	}
	view_unref(s->views[index]);
	s->views[index] = v;
	svc_mark_dirty(s);
}

static const char *svc_phase(const struct service *s, size_t index)
{
	return s->roll != NULL ? rollmgr_phase(s->roll, s->sched.v[index].name) : NULL;
}

/* Renders domain index into rd; false (logged) when out of memory. */
static bool svc_render_text(struct service *s, size_t index, const json_t *report,
			    const struct statedb_findings *active, const char *phase,
			    struct render_domain *rd)
{
	if (render_domain(s->sched.v[index].name, report, active, phase, rd) < 0) {
		log_err("%s: out of memory rendering the status", s->sched.v[index].name);
		return false;
	}
	return true;
}

/*
 * The view of a domain after a (re)start: its last report and active
 * findings, if stored. They are freed before the view is made (so are a
 * check's stored text and findings in svc_on_result): at a start every
 * domain goes through here in a row, and a view allocated while a domain's
 * report, its parsed JSON and its findings (~20 KB) were still live stayed
 * pinned among their freed blocks, which the next domain's did not fit:
 * 10,000 domains left a 46 MB heap with 18 MB in use.
 */
static void svc_render_stored(struct service *s, size_t index)
{
	const char *phase = svc_phase(s, index);
	struct statedb_findings active = {0};
	struct render_domain rd = {0};
	json_t *report = NULL;
	char *text = NULL;
	bool checked, rendered;
	int64_t at;

	if (s->db != NULL && statedb_report(s->db, s->sched.v[index].name, &text, &at) == 0) {
		report = json_loads(text, 0, NULL);
		statedb_active(s->db, s->sched.v[index].name, &active);
	}
	checked = report != NULL;
	rendered = svc_render_text(s, index, report, &active, phase, &rd);
	statedb_findings_release(&active);
	json_decref(report);
	free(text);
	if (rendered) {
		svc_install(s, index, &rd, phase, checked);
	}
}

/* --- the state db ------------------------------------------------------------------ */

static void svc_db_failed(struct service *s, const char *what)
{
	s->stats.state_errors_total++;
	s->stats.state_db_ok = false;
	snprintf(s->stats.state_db_problem, sizeof(s->stats.state_db_problem), "state db: %s: %s",
		 what, statedb_error(s->db));
	if (!s->db_failing) {
		log_err("state db: %s: %s (status goes on from memory; history is not kept and "
			"alerts are not sent until it works again)",
			what, statedb_error(s->db));
		s->db_failing = true;
	}
}

static void svc_db_ok(struct service *s)
{
	if (s->db_failing) {
		log_notice("state db: writes work again");
		s->db_failing = false;
	}
	s->stats.state_db_ok = true;
	s->stats.state_db_problem[0] = '\0';
}

/* Findings of a check as active findings seen first now: when the db cannot tell more. */
static void svc_active_from(const struct findings *fl, int64_t now, struct statedb_findings *out)
{
	size_t i;

	out->v = fl->n > 0 ? calloc(fl->n, sizeof(*out->v)) : NULL;
	out->n = 0;
	for (i = 0; out->v != NULL && i < fl->n; i++) {
		out->v[i].f = fl->v[i];
		alerttrack_key(&fl->v[i], out->v[i].key, sizeof(out->v[i].key));
		out->v[i].first_seen = out->v[i].last_seen = now;
		out->n++;
	}
}

/* --- alert deliveries ----------------------------------------------------------- */

static void svc_pump_outbox(struct service *s);

static bool svc_delivering(const struct service *s, int64_t id)
{
	size_t i;

	for (i = 0; i < SVC_DELIVERIES; i++) {
		if (s->deliveries[i].used && s->deliveries[i].id == id) {
			return true;
		}
	}
	return false;
}

static int64_t svc_backoff_s(unsigned attempts)
{
	int64_t b = 10;

	while (attempts-- > 0 && b < 900) {
		b *= 2;
	}
	return b < 900 ? b : 900;
}

static void svc_on_delivered(void *arg, bool ok, const char *why)
{
	struct svc_delivery *d = arg;
	struct service *s = d->s;
	int64_t now = (int64_t)time(NULL);

	d->used = false;
	s->n_delivering--;
	if (ok) {
		s->stats.alerts_delivered_total++;
		if (statedb_outbox_done(s->db, d->id, now) < 0) {
			svc_db_failed(s, "marking an alert delivered");
		}
	} else {
		int64_t wait = svc_backoff_s(d->attempts);

		s->stats.alert_delivery_failures_total++;
		log_warning("alert delivery %lld failed (attempt %u): %s; next try in %lld s",
			    (long long)d->id, d->attempts + 1, why, (long long)wait);
		if (statedb_outbox_retry(s->db, d->id, now + wait, why) < 0) {
			svc_db_failed(s, "scheduling an alert retry");
		}
	}
	svc_mark_dirty(s);
	if (s->stopping) {
		if (s->n_delivering == 0) {
			event_base_loopbreak(s->base);
		}
		return;
	}
	svc_pump_outbox(s);
}

static void svc_deliver(struct service *s, const struct statedb_delivery *row)
{
	struct svc_delivery *d = NULL;
	size_t i;

	for (i = 0; i < SVC_DELIVERIES && d == NULL; i++) {
		if (!s->deliveries[i].used) {
			d = &s->deliveries[i];
		}
	}
	if (d == NULL) {
		return;
	}
	d->s = s;
	d->id = row->id;
	d->attempts = row->attempts;
	if (s->hooks == NULL ||
	    hooks_deliver(s->hooks, row->hook, row->event, svc_on_delivered, d) < 0) {
		/* The hook was removed from the config since: nobody is left to tell. */
		log_warning("alert delivery %lld: no '%s' hook configured any more; dropped",
			    (long long)row->id, row->hook);
		statedb_event(s->db, (int64_t)time(NULL), NULL,
			      "alert dropped: hook not configured");
		statedb_outbox_done(s->db, row->id, (int64_t)time(NULL));
		return;
	}
	d->used = true;
	s->n_delivering++;
}

static void svc_pump_outbox(struct service *s)
{
	struct statedb_deliveries due = {0};
	int64_t now = (int64_t)time(NULL), next = 0;
	size_t i;

	if (s->db == NULL || s->stopping) {
		return;
	}
	if (s->n_delivering < SVC_DELIVERIES &&
	    statedb_outbox_due(s->db, now, SVC_DELIVERIES + s->n_delivering, &due) < 0) {
		svc_db_failed(s, "reading the alert outbox");
	}
	for (i = 0; i < due.n && s->n_delivering < SVC_DELIVERIES; i++) {
		if (!svc_delivering(s, due.v[i].id)) {
			svc_deliver(s, &due.v[i]);
		}
	}
	statedb_deliveries_release(&due);
	/* Retries wait in the db; wake up for the earliest (deliveries in flight re-pump). */
	if (statedb_outbox_next(s->db, &next) == 0 && next > 0) {
		svc_timer(s->outbox_ev, next > now ? (next - now) * 1000 : 1000);
	}
}

static void svc_on_outbox(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	svc_pump_outbox(arg);
}

/* Alertmanager drops alerts that are not re-sent: send every firing one again. */
static void svc_on_resend(evutil_socket_t fd, short what, void *arg)
{
	struct service *s = arg;
	struct statedb_findings firing = {0};
	char **domains = NULL;
	char **events;
	size_t i, n = 0;

	(void)fd;
	(void)what;
	if (s->hooks == NULL || s->db == NULL || s->cfg->alert_webhook == NULL ||
	    !s->cfg->alert_webhook_alertmanager) {
		return;
	}
	if (statedb_firing(s->db, &firing, &domains) < 0) {
		svc_db_failed(s, "reading the firing alerts");
		return;
	}
	events = firing.n > 0 ? calloc(firing.n, sizeof(*events)) : NULL;
	for (i = 0; events != NULL && i < firing.n; i++) {
		if (alerttrack_event_json(domains[i], &firing.v[i], ALERT_FIRES,
					  (int64_t)time(NULL), &events[n]) == 0) {
			n++;
		}
	}
	if (n > 0) {
		hooks_resend(s->hooks, (const char *const *)events, n);
	}
	for (i = 0; i < n; i++) {
		free(events[i]);
	}
	free(events);
	free(domains); /* one block with its strings */
	statedb_findings_release(&firing);
}

static int svc_hooks_start(struct service *s)
{
	struct hooks_opts ho = {0};
	char err[256];
	char host[256] = "";
	char status_url[300];

	s->n_hooks = 0;
	if (s->cfg->alert_exec != NULL) {
		s->hook_names[s->n_hooks++] = "exec";
	}
	if (s->cfg->alert_webhook != NULL) {
		s->hook_names[s->n_hooks++] = "webhook";
	}
	if (s->n_hooks == 0) {
		return 0;
	}
	gethostname(host, sizeof(host) - 1);
	ho.exec_argv = s->cfg->alert_exec;
	ho.exec_timeout_s = s->cfg->alert_exec_timeout_s;
	ho.webhook_url = s->cfg->alert_webhook;
	ho.webhook_format = s->cfg->alert_webhook_alertmanager ? WEBHOOK_ALERTMANAGER
							       : WEBHOOK_WEBHOOK;
	ho.webhook_timeout_s = s->cfg->alert_webhook_timeout_s;
	ho.instance = host;
	/* Where a person reads more: the status page of the listener (generatorURL). */
	snprintf(status_url, sizeof(status_url), "http://%s", s->boot_cfg->http_listen);
	ho.status_url = status_url;
	if (hooks_new(s->base, &ho, &s->hooks, err, sizeof(err)) < 0) {
		log_err("alert hooks: %s", err);
		s->n_hooks = 0;
		return -EINVAL;
	}
	return 0;
}

static void svc_hooks_stop(struct service *s)
{
	hooks_free(s->hooks); /* deliveries in flight stay in the outbox, tried again */
	s->hooks = NULL;
	memset(s->deliveries, 0, sizeof(s->deliveries));
	s->n_delivering = 0;
}

/* --- checks ----------------------------------------------------------------------- */

static void svc_schedule(struct service *s);

/* On a worker thread: judge, build the report, and queue the result for the loop. */
static void svc_on_checked(void *arg, const struct domain_facts *f, const char *error)
{
	struct svc_job *j = arg;
	struct service *s = j->s;

	j->checked_at = (int64_t)time(NULL);
	if (f != NULL && judge_check(f, f->checked_at, &j->judge, &j->findings) == 0 &&
	    (j->report = report_domain(f, &j->findings)) != NULL) {
		j->status = findings_worst(&j->findings);
		j->checked_at = f->checked_at;
	} else {
		findings_release(&j->findings);
		j->unknown = true;
		j->report = report_domain_error(j->domain, error != NULL ? error : "out of memory",
						j->checked_at);
	}
	pthread_mutex_lock(&s->lock);
	if (j->prev != NULL) {
		j->prev->next = j->next;
	} else {
		s->outstanding = j->next;
	}
	if (j->next != NULL) {
		j->next->prev = j->prev;
	}
	if (s->results_tail != NULL) {
		s->results_tail->rnext = j;
	} else {
		s->results = j;
	}
	s->results_tail = j;
	pthread_mutex_unlock(&s->lock);
	svc_wake(s);
}

static void svc_job_free(struct svc_job *j)
{
	json_decref(j->report);
	findings_release(&j->findings);
	free(j);
}

static int svc_submit(struct service *s, size_t index)
{
	const struct config_domain *d = &s->cfg->domains[index];
	size_t len = strlen(d->name);
	struct svc_job *j = calloc(1, sizeof(*j) + len + 1);
	int r;

	if (j == NULL) {
		return -ENOMEM;
	}
	j->s = s;
	j->index_hint = index;
	j->submitted_at = (int64_t)time(NULL);
	svc_judge_opts(d, &j->judge);
	memcpy(j->domain, d->name, len + 1);
	pthread_mutex_lock(&s->lock);
	j->next = s->outstanding;
	if (s->outstanding != NULL) {
		s->outstanding->prev = j;
	}
	s->outstanding = j;
	pthread_mutex_unlock(&s->lock);
	r = runner_submit(s->runner, d->name, d->services, svc_on_checked, j);
	if (r < 0) {
		pthread_mutex_lock(&s->lock);
		if (j->prev != NULL) {
			j->prev->next = j->next;
		} else {
			s->outstanding = j->next;
		}
		if (j->next != NULL) {
			j->next->prev = j->prev;
		}
		pthread_mutex_unlock(&s->lock);
		free(j);
	}
	return r;
}

/* Starts the due checks within the cap, then sleeps until the next is due. */
static void svc_schedule(struct service *s)
{
	size_t idx[64];
	int64_t now = svc_mono_ms(), next;
	size_t i, n;

	if (s->stopping) {
		return;
	}
	while (s->in_flight < s->boot_cfg->max_checks) {
		size_t room = s->boot_cfg->max_checks - s->in_flight;

		n = sched_take_due(&s->sched, now, idx, room < 64 ? room : 64);
		if (n == 0) {
			break;
		}
		for (i = 0; i < n; i++) {
			if (svc_submit(s, idx[i]) < 0) {
				log_err("%s: cannot start a check: out of memory",
					s->sched.v[idx[i]].name);
				sched_done(&s->sched, idx[i], now);
				continue;
			}
			s->in_flight++;
		}
	}
	next = sched_next_due(&s->sched);
	evtimer_del(s->tick_ev);
	if (next != INT64_MAX && s->in_flight < s->boot_cfg->max_checks) {
		svc_timer(s->tick_ev, next > now ? next - now : 0);
	}
}

static void svc_on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	svc_schedule(arg);
}

/* On the loop: records a finished check, renders it, and lets its alerts out. */
/* A rollover that stalled or failed is a finding of its domain's checks (and alerts). */
static void svc_add_rollover_findings(struct service *s, struct svc_job *j)
{
	size_t before = j->findings.n;

	if (rollmgr_findings(s->roll, j->domain, &j->findings) < 0 || j->findings.n == before) {
		return;
	}
	if (report_set_findings(j->report, &j->findings) < 0) {
		log_err("%s: out of memory adding the rollover's findings", j->domain);
		return;
	}
	j->status = findings_worst(&j->findings);
}

static void svc_on_result(struct service *s, struct svc_job *j)
{
	struct statedb_findings active = {0};
	long index = svc_index(s, j->domain, j->index_hint);
	struct render_domain rd = {0};
	size_t transitions = 0;
	const char *phase;
	bool rendered;
	char *text;
	int r;

	s->in_flight--;
	s->stats.checks_total++;
	if (j->unknown) {
		s->stats.checks_failed_total++;
	}
	if (index < 0) {
		return; /* removed from the config while it ran */
	}
	sched_done(&s->sched, (size_t)index, svc_mono_ms());
	if (!j->unknown && s->roll != NULL) {
		svc_add_rollover_findings(s, j);
	}
	text = j->report != NULL ? json_dumps(j->report, JSON_COMPACT) : NULL;
	if (text == NULL) {
		log_err("%s: out of memory storing the report", j->domain);
		return;
	}
	if (s->db == NULL) {
		r = ERR_STATEDB;
	} else if (j->unknown) {
		r = statedb_record_error(s->db, j->domain, j->checked_at, text);
		if (r == 0) {
			r = statedb_active(s->db, j->domain, &active);
		}
	} else {
		r = statedb_record_check(s->db, j->domain, j->checked_at, j->status, text,
					 &j->findings, s->cfg->alert_consecutive, s->hook_names,
					 s->n_hooks, &active, &transitions);
	}
	if (r < 0) {
		if (s->db != NULL) {
			svc_db_failed(s, "recording a check");
		}
		statedb_findings_release(&active);
		svc_active_from(&j->findings, j->checked_at, &active);
	} else {
		svc_db_ok(s);
	}
	if (j->unknown) {
		log_warning("%s: could not check: %s", j->domain,
			    json_string_value(json_object_get(j->report, "error")));
	}
	phase = svc_phase(s, (size_t)index);
	rendered = svc_render_text(s, (size_t)index, j->report, &active, phase, &rd);
	statedb_findings_release(&active); /* before the view: see svc_render_stored */
	free(text);
	if (rendered) {
		svc_install(s, (size_t)index, &rd, phase, j->report != NULL);
	}
	if (transitions > 0) {
		svc_pump_outbox(s);
	}
	if (!j->unknown && s->roll != NULL) {
		rollmgr_on_report(s->roll, j->domain, j->report, j->submitted_at);
	}
}

/* --- control commands ------------------------------------------------------------ */

static bool svc_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Settings a reload cannot change: the runner, the listeners and the db were made with them. */
static void svc_warn_restart_keys(const struct config *old, const struct config *c)
{
	static const char fmt[] = "reload: '%s' changed; it takes effect at the next restart";

	if (!svc_same(old->resolver_config, c->resolver_config)) {
		log_warning(fmt, "resolver-config");
	}
	if (!svc_same(old->trust_anchor, c->trust_anchor)) {
		log_warning(fmt, "trust-anchor");
	}
	if (!svc_same(old->ca_file, c->ca_file)) {
		log_warning(fmt, "ca-file");
	}
	if (!svc_same(old->state_db, c->state_db)) {
		log_warning(fmt, "state-db");
	}
	if (!svc_same(old->http_listen, c->http_listen)) {
		log_warning(fmt, "http listen");
	}
	if (!svc_same(old->control_socket, c->control_socket)) {
		log_warning(fmt, "control-socket");
	}
	if (old->max_checks != c->max_checks || old->workers != c->workers ||
	    old->cache_mb != c->cache_mb || old->max_queries != c->max_queries ||
	    old->auth_port != c->auth_port || old->timeout_s != c->timeout_s ||
	    old->connect_timeout_s != c->connect_timeout_s ||
	    old->probe_timeout_s != c->probe_timeout_s || !svc_same(old->s2s_from, c->s2s_from)) {
		log_warning("reload: check limits or timeouts changed; they take effect at the "
			    "next restart");
	}
}

static bool svc_alerts_changed(const struct config *a, const struct config *b)
{
	size_t i;

	if (!svc_same(a->alert_webhook, b->alert_webhook) ||
	    a->alert_webhook_alertmanager != b->alert_webhook_alertmanager ||
	    a->alert_exec_timeout_s != b->alert_exec_timeout_s ||
	    a->alert_webhook_timeout_s != b->alert_webhook_timeout_s ||
	    (a->alert_exec == NULL) != (b->alert_exec == NULL)) {
		return true;
	}
	for (i = 0; a->alert_exec != NULL && (a->alert_exec[i] || b->alert_exec[i]); i++) {
		if (!svc_same(a->alert_exec[i], b->alert_exec[i])) {
			return true;
		}
	}
	return false;
}

/* Puts the domains of cfg on the schedule, keeping the views of those that stay. */
static int svc_apply_domains(struct service *s, const struct config *cfg)
{
	size_t n = cfg->n_domains, old_n = s->sched.n, i;
	const char **names = calloc(n + 1, sizeof(*names));
	unsigned *intervals = calloc(n + 1, sizeof(*intervals));
	long *old_index = calloc(n + 1, sizeof(*old_index));
	struct view **views = calloc(n + 1, sizeof(*views));
	int r = -ENOMEM;

	if (names == NULL || intervals == NULL || old_index == NULL || views == NULL) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		names[i] = cfg->domains[i].name;
		intervals[i] = cfg->domains[i].interval_s;
	}
	r = sched_set(&s->sched, names, intervals, n, svc_mono_ms(), old_index);
	if (r < 0) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (old_index[i] >= 0) {
			views[i] = s->views[old_index[i]];
			s->views[old_index[i]] = NULL;
		}
	}
	for (i = 0; i < old_n; i++) {
		view_unref(s->views[i]); /* domains no longer configured */
	}
	free(s->views);
	s->views = views;
	views = NULL;
	for (i = 0; i < n; i++) {
		if (s->views[i] == NULL) {
			svc_render_stored(s, i);
		}
	}
	r = 0;
out:
	free(names);
	free(intervals);
	free(old_index);
	free(views);
	return r;
}

/* --- rollovers ---------------------------------------------------------------------- */

static void svc_roll_trigger(void *arg, const char *domain)
{
	struct service *s = arg;

	if (sched_trigger(&s->sched, domain, svc_mono_ms()) == 0) {
		svc_schedule(s);
	}
}

static void svc_roll_changed(void *arg, const char *domain)
{
	struct service *s = arg;
	long index = svc_index(s, domain, 0);

	if (index >= 0) {
		svc_render_stored(s, (size_t)index);
	}
}

static bool svc_any_rollover(const struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_domains; i++) {
		if (c->domains[i].rollover.enabled) {
			return true;
		}
	}
	return false;
}

/*
 * Hands the rollover blocks of c to the rollover manager, made on the first
 * config that has one. Its keys live next to the state db, in "keys".
 */
static int svc_rollovers(struct service *s, const struct config *c)
{
	struct rollmgr_env env = {
		.base = s->base,
		.db = s->db,
		.auth_port = (uint16_t)s->boot_cfg->auth_port,
		.trigger = svc_roll_trigger,
		.changed = svc_roll_changed,
		.arg = s,
	};
	int r;

	if (s->roll == NULL) {
		const char *slash;

		if (!svc_any_rollover(c)) {
			return 0;
		}
		slash = strrchr(s->boot_cfg->state_db, '/');
		if (asprintf(&s->key_dir, "%.*s/keys",
			     slash != NULL ? (int)(slash - s->boot_cfg->state_db) : 1,
			     slash != NULL ? s->boot_cfg->state_db : ".") < 0) {
			s->key_dir = NULL;
			return -ENOMEM;
		}
		env.key_dir = s->key_dir;
		r = rollmgr_new(&env, &s->roll);
		if (r < 0) {
			log_err("rollovers cannot start: %s", err_str(r));
			return r;
		}
		if (s->db == NULL) {
			log_err("rollovers are held: the state db is not usable");
		}
	}
	return rollmgr_configure(s->roll, c);
}

static unsigned svc_reload(struct service *s, char *reply, size_t len)
{
	struct config *c = NULL;
	char err[400]; /* the reply adds a few words to it */

	sd_notify(0, "RELOADING=1");
	if (config_load(s->config_path, &c, err, sizeof(err)) < 0) {
		log_err("reload: %s; keeping the running config", err);
		snprintf(reply, len, "%s; keeping the running config", err);
		sd_notify(0, "READY=1");
		return 400;
	}
	svc_warn_restart_keys(s->boot_cfg, c);
	if (svc_rollovers(s, c) < 0 || svc_apply_domains(s, c) < 0) {
		if (s->roll != NULL) {
			rollmgr_configure(s->roll, s->cfg); /* back to the running config's */
		}
		config_free(c);
		snprintf(reply, len, "out of memory; keeping the running config");
		sd_notify(0, "READY=1");
		return 500;
	}
	if (svc_alerts_changed(s->cfg, c)) {
		svc_hooks_stop(s);
		if (s->cfg != s->boot_cfg) {
			config_free(s->cfg);
		}
		s->cfg = c;
		svc_hooks_start(s);
	} else {
		if (s->cfg != s->boot_cfg) {
			config_free(s->cfg);
		}
		s->cfg = c;
		/* hooks_new copied what it needs; the new config's argv is the same. */
	}
	if (s->db != NULL) {
		const char **names = calloc(c->n_domains + 1, sizeof(*names));
		size_t i;

		for (i = 0; names != NULL && i < c->n_domains; i++) {
			names[i] = c->domains[i].name;
		}
		if (names == NULL || statedb_forget_except(s->db, names, c->n_domains) < 0) {
			svc_db_failed(s, "forgetting removed domains");
		}
		free(names);
		statedb_event(s->db, (int64_t)time(NULL), NULL, "config reloaded");
	}
	log_info("reloaded %s: %zu domain%s", s->config_path, c->n_domains,
		 c->n_domains == 1 ? "" : "s");
	snprintf(reply, len, "reloaded %s: %zu domain%s", s->config_path, c->n_domains,
		 c->n_domains == 1 ? "" : "s");
	svc_publish(s); /* a client that reloaded sees the new domains at once */
	malloc_trim(0); /* the old config and libconfuse's tree: give the pages back */
	svc_schedule(s);
	sd_notify(0, "READY=1");
	return 200;
}

static void svc_run_rollover(struct service *s, struct svc_cmd *c)
{
	const char *domain = c->all ? NULL : c->domain;
	json_t *doc = NULL;
	struct buf out = {0};

	if (s->roll == NULL && c->op == SERVICE_ROLLOVER_STATUS && domain == NULL) {
		c->status = 200;
		c->body = strdup("{\"rollovers\": []}");
		return;
	}
	if (s->roll == NULL) {
		c->status = 404;
		snprintf(c->reply, sizeof(c->reply), "%s has no rollover block", c->domain);
		return;
	}
	switch (c->op) {
	case SERVICE_ROLLOVER_STATUS:
		c->status = rollmgr_status(s->roll, domain, &doc, c->reply, sizeof(c->reply));
		if (doc != NULL) {
			c->body = json_dumps(doc, JSON_INDENT(2));
			json_decref(doc);
		}
		return;
	case SERVICE_ROLLOVER_STAGE:
		c->status = rollmgr_stage(s->roll, c->domain, c->cert, c->key, c->reply,
					  sizeof(c->reply));
		return;
	case SERVICE_ROLLOVER_ABORT:
		c->status = rollmgr_abort(s->roll, c->domain, c->reply, sizeof(c->reply));
		return;
	case SERVICE_ROLLOVER_NEXT_KEY:
	case SERVICE_ROLLOVER_CSR:
		c->status = rollmgr_next_key(s->roll, c->domain, c->op == SERVICE_ROLLOVER_CSR,
					     &out, c->reply, sizeof(c->reply));
		if (c->status == 200 && out.data != NULL) {
			c->body = strdup((const char *)out.data);
		}
		buf_release(&out);
		return;
	}
}

static void svc_run_command(struct service *s, struct svc_cmd *c)
{
	if (c->kind == SVC_CMD_RELOAD) {
		c->status = svc_reload(s, c->reply, sizeof(c->reply));
		return;
	}
	if (c->kind == SVC_CMD_ROLLOVER) {
		svc_run_rollover(s, c);
		return;
	}
	if (sched_trigger(&s->sched, c->domain, svc_mono_ms()) < 0) {
		c->status = 404;
		snprintf(c->reply, sizeof(c->reply), "%s: not a configured domain", c->domain);
		return;
	}
	c->status = 202;
	snprintf(c->reply, sizeof(c->reply), "%s: check queued", c->domain);
	svc_schedule(s);
}

static void svc_cmd_unref(struct svc_cmd *c)
{
	if (--c->refs == 0) {
		free(c->body);
		free(c->cert);
		free(c->key);
		free(c);
	}
}

/* The wake-up pipe: results of checks and control commands are waiting. */
static void svc_on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct service *s = arg;
	struct svc_job *results, *j;
	struct svc_cmd *cmds, *c;
	char buf[256];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0) {
	}
	pthread_mutex_lock(&s->lock);
	results = s->results;
	s->results = s->results_tail = NULL;
	cmds = s->cmds;
	s->cmds = NULL;
	pthread_mutex_unlock(&s->lock);
	while ((j = results) != NULL) {
		results = j->rnext;
		svc_on_result(s, j);
		svc_job_free(j);
	}
	while ((c = cmds) != NULL) {
		cmds = c->next;
		svc_run_command(s, c);
		pthread_mutex_lock(&s->lock);
		c->done = true;
		svc_cmd_unref(c);
		pthread_cond_broadcast(&s->cmd_cond);
		pthread_mutex_unlock(&s->lock);
	}
	svc_schedule(s);
}

/* Queues c for the loop and waits for its answer; c is consumed. */
static unsigned svc_command_wait(struct service *s, struct svc_cmd *c, char **body, char *reply,
				 size_t len)
{
	struct timespec until;
	unsigned status;

	c->refs = 2;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SVC_COMMAND_WAIT_S;
	pthread_mutex_lock(&s->lock);
	c->next = s->cmds;
	s->cmds = c;
	svc_wake(s);
	while (!c->done && pthread_cond_timedwait(&s->cmd_cond, &s->lock, &until) == 0) {
	}
	if (c->done) {
		status = c->status;
		snprintf(reply, len, "%s", c->reply);
		if (body != NULL) {
			*body = c->body;
			c->body = NULL;
		}
	} else {
		status = 503;
		snprintf(reply, len, "the daemon did not answer within %d s", SVC_COMMAND_WAIT_S);
	}
	svc_cmd_unref(c);
	pthread_mutex_unlock(&s->lock);
	return status;
}

static unsigned svc_command(struct service *s, enum svc_cmd_kind kind, const char *domain,
			    char *reply, size_t len)
{
	struct svc_cmd *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(reply, len, "out of memory");
		return 500;
	}
	c->kind = kind;
	snprintf(c->domain, sizeof(c->domain), "%s", domain != NULL ? domain : "");
	return svc_command_wait(s, c, NULL, reply, len);
}

unsigned service_trigger(struct service *s, const char *domain, char *reply, size_t len)
{
	return svc_command(s, SVC_CMD_TRIGGER, domain, reply, len);
}

unsigned service_reload(struct service *s, char *reply, size_t len)
{
	return svc_command(s, SVC_CMD_RELOAD, NULL, reply, len);
}

unsigned service_rollover(struct service *s, enum service_rollover_op op, const char *domain,
			  const char *cert, const char *key, char **body, char *reply, size_t len)
{
	struct svc_cmd *c = calloc(1, sizeof(*c));

	*body = NULL;
	if (c == NULL) {
		snprintf(reply, len, "out of memory");
		return 500;
	}
	c->kind = SVC_CMD_ROLLOVER;
	c->op = op;
	c->all = domain == NULL;
	snprintf(c->domain, sizeof(c->domain), "%s", domain != NULL ? domain : "");
	if ((cert != NULL && (c->cert = strdup(cert)) == NULL) ||
	    (key != NULL && (c->key = strdup(key)) == NULL)) {
		free(c->cert);
		free(c);
		snprintf(reply, len, "out of memory");
		return 500;
	}
	return svc_command_wait(s, c, body, reply, len);
}

struct snapshot *service_snapshot(struct service *s)
{
	return snapshot_acquire(&s->snaps);
}

struct gzpage *service_metrics_gzip(struct service *s)
{
	return gzcache_get(s->metrics_gz);
}

bool service_healthy(struct service *s)
{
	return (int64_t)time(NULL) - atomic_load(&s->heartbeat) <= SVC_HEALTHY_S;
}

const char *service_state_db(struct service *s)
{
	return s->boot_cfg->state_db;
}

/* --- signals, watchdog, heartbeat ------------------------------------------------ */

static void svc_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct service *s = arg;
	char reply[512];

	(void)what;
	if (sig == SIGHUP) {
		svc_reload(s, reply, sizeof(reply));
		return;
	}
	if (s->stopping) {
		event_base_loopbreak(s->base); /* a second signal: now */
		return;
	}
	log_info("stopping on %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1");
	s->stopping = true;
	if (s->n_delivering == 0) {
		event_base_loopbreak(s->base);
		return;
	}
	/*
	 * Let the alert deliveries in flight end (each is bounded by its hook's
	 * timeout), so that a clean restart neither loses nor repeats one; the
	 * last resort is the stop timer.
	 */
	svc_timer(s->stop_ev, SVC_STOP_WAIT_MS);
}

static void svc_on_stop_timer(evutil_socket_t fd, short what, void *arg)
{
	struct service *s = arg;

	(void)fd;
	(void)what;
	log_warning("stopping with %zu alert deliveries still in flight (sent again after the "
		    "restart)",
		    s->n_delivering);
	event_base_loopbreak(s->base);
}

static void svc_on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct service *s = arg;

	(void)fd;
	(void)what;
	atomic_store(&s->heartbeat, (long long)time(NULL));
}

static void svc_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1"); /* the loop runs: that is what the watchdog watches */
}

/* --- start and stop -------------------------------------------------------------- */

static int svc_runner_start(struct service *s)
{
	const struct config *c = s->boot_cfg;
	struct runner_opts ro = {0};
	char err[512];
	int r;

	ro.workers = c->workers;
	ro.resolver.config_file = c->resolver_config;
	ro.resolver.trust_anchor_file = c->trust_anchor;
	ro.resolver.max_inflight = c->max_queries;
	ro.resolver.cache_mb = c->cache_mb;
	ro.dns.services = DNSCHECK_ALL_SERVICES;
	ro.dns.zone_health = true;
	ro.dns.auth_port = (uint16_t)c->auth_port;
	ro.probe = true;
	ro.prober.ca_file = c->ca_file;
	ro.prober.connect_timeout_s = c->connect_timeout_s;
	ro.prober.step_timeout_s = c->probe_timeout_s;
	ro.prober.s2s_from = c->s2s_from;
	ro.prober.now = 0; /* each probe verifies at its own time */
	ro.timeout_s = c->timeout_s;
	ro.nice = SVC_CHECK_NICE;
	r = runner_new(&ro, c->n_domains, &s->runner, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		return r;
	}
	r = runner_start(s->runner);
	if (r < 0) {
		log_err("cannot start the checking threads: %s", err_str(r));
	}
	return r;
}

static int svc_listen(struct service *s)
{
	struct httpd_opts ro = {routes_public, s, routes_thread_init, routes_thread_done};
	struct httpd_opts co = {routes_control, s, routes_thread_init, routes_thread_done};
	char err[512];

	if (httpd_start_tcp(s->boot_cfg->http_listen, &ro, &s->http, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -EADDRINUSE;
	}
	if (httpd_start_unix(s->boot_cfg->control_socket, 0660, &co, &s->control, err,
			     sizeof(err)) < 0) {
		log_err("%s", err);
		return -EADDRINUSE;
	}
	return 0;
}

static int svc_events(struct service *s)
{
	struct timeval sec = {1, 0}, resend = {SVC_RESEND_S, 0};
	uint64_t wd_usec = 0;

	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		return -errno;
	}
	s->wake_ev = event_new(s->base, s->wake[0], EV_READ | EV_PERSIST, svc_on_wake, s);
	s->tick_ev = evtimer_new(s->base, svc_on_tick, s);
	s->publish_ev = evtimer_new(s->base, svc_on_publish, s);
	s->outbox_ev = evtimer_new(s->base, svc_on_outbox, s);
	s->resend_ev = event_new(s->base, -1, EV_PERSIST, svc_on_resend, s);
	s->heart_ev = event_new(s->base, -1, EV_PERSIST, svc_on_heartbeat, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, svc_on_signal, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, svc_on_signal, s);
	s->sig_int = evsignal_new(s->base, SIGINT, svc_on_signal, s);
	s->stop_ev = evtimer_new(s->base, svc_on_stop_timer, s);
	if (s->wake_ev == NULL || s->tick_ev == NULL || s->publish_ev == NULL ||
	    s->outbox_ev == NULL || s->resend_ev == NULL || s->heart_ev == NULL ||
	    s->sig_hup == NULL || s->sig_term == NULL || s->sig_int == NULL || s->stop_ev == NULL ||
	    event_add(s->wake_ev, NULL) < 0 || event_add(s->resend_ev, &resend) < 0 ||
	    event_add(s->heart_ev, &sec) < 0 || event_add(s->sig_hup, NULL) < 0 ||
	    event_add(s->sig_term, NULL) < 0 || event_add(s->sig_int, NULL) < 0) {
		return -ENOMEM;
	}
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
		struct timeval half = {(time_t)(wd_usec / 2000000),
				       (suseconds_t)((wd_usec / 2) % 1000000)};

		s->watchdog_ev = event_new(s->base, -1, EV_PERSIST, svc_on_watchdog, s);
		if (s->watchdog_ev == NULL || event_add(s->watchdog_ev, &half) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

static void svc_open_db(struct service *s)
{
	char err[512];

	if (statedb_open(s->boot_cfg->state_db, false, &s->db, err, sizeof(err)) < 0) {
		/* Checks and alerts are worth more than their history: go on without it. */
		log_err("state db: %s; running without stored state: status from memory, no "
			"history, no alerts",
			err);
		s->stats.state_errors_total++;
		s->stats.state_db_ok = false;
		snprintf(s->stats.state_db_problem, sizeof(s->stats.state_db_problem),
			 "state db: %s; running without stored state: no history, no alerts", err);
		s->db = NULL;
		return;
	}
	s->stats.state_db_ok = true;
}

static void svc_free_events(struct service *s)
{
	struct event **evs[] = {&s->wake_ev,   &s->tick_ev,  &s->publish_ev,  &s->outbox_ev,
				&s->resend_ev, &s->heart_ev, &s->watchdog_ev, &s->sig_hup,
				&s->sig_term,  &s->sig_int,  &s->stop_ev};
	size_t i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		if (*evs[i] != NULL) {
			event_free(*evs[i]);
			*evs[i] = NULL;
		}
	}
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
}

static void svc_cleanup(struct service *s)
{
	struct svc_job *j;
	size_t i;

	httpd_stop(s->http);
	httpd_stop(s->control);
	gzcache_stop(s->metrics_gz);
	runner_free(s->runner); /* stops the workers: no result comes after this */
	while ((j = s->outstanding) != NULL) {
		s->outstanding = j->next;
		svc_job_free(j);
	}
	while ((j = s->results) != NULL) {
		s->results = j->rnext;
		svc_job_free(j);
	}
	while (s->cmds != NULL) { /* nobody waits: the listeners are stopped */
		struct svc_cmd *c = s->cmds;

		s->cmds = c->next;
		c->refs = 1;
		svc_cmd_unref(c);
	}
	rollmgr_free(s->roll); /* waits for a command running, bounded by its timeout */
	free(s->key_dir);
	svc_hooks_stop(s);
	for (i = 0; i < s->sched.n; i++) {
		view_unref(s->views[i]);
	}
	free(s->views);
	sched_release(&s->sched);
	snapshot_box_destroy(&s->snaps);
	statedb_close(s->db);
	svc_free_events(s);
	if (s->base != NULL) {
		event_base_free(s->base);
	}
	if (s->cfg != s->boot_cfg) {
		config_free(s->cfg);
	}
	config_free(s->boot_cfg);
	pthread_cond_destroy(&s->cmd_cond);
	pthread_mutex_destroy(&s->lock);
}

int service_run(const char *config_path, struct config *cfg)
{
	struct service svc = {0};
	struct service *s = &svc;
	int r;

	s->config_path = config_path;
	s->boot_cfg = s->cfg = cfg;
	s->wake[0] = s->wake[1] = -1;
	atomic_init(&s->heartbeat, (long long)time(NULL));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cmd_cond, NULL);
	signal(SIGPIPE, SIG_IGN); /* OpenSSL and libcurl write to peers that may be gone */
	if (snapshot_box_init(&s->snaps) < 0 || (s->base = event_base_new()) == NULL) {
		log_err("out of memory");
		svc_cleanup(s);
		return 1;
	}
	if (gzcache_start(&s->snaps, SNAPSHOT_METRICS, GZCACHE_MAX_LAG_MS, &s->metrics_gz) < 0) {
		log_warning("cannot start compressing /metrics: it is sent uncompressed");
	}
	r = svc_events(s);
	if (r == 0) {
		svc_open_db(s);
		r = svc_runner_start(s);
	}
	if (r == 0) {
		svc_hooks_start(s);
		r = svc_rollovers(s, s->cfg);
	}
	if (r == 0) {
		r = svc_apply_domains(s, s->cfg);
	}
	if (r == 0) {
		svc_publish(s); /* the stored reports are served from the first request on */
		r = svc_listen(s);
	}
	if (r < 0) {
		sd_notifyf(0, "STATUS=could not start: %s", err_str(r));
		svc_cleanup(s);
		return 1;
	}
	if (s->db != NULL) {
		statedb_event(s->db, (int64_t)time(NULL), NULL, "started");
	}
	log_info("started: %zu domain%s, http on %s, control socket %s", s->sched.n,
		 s->sched.n == 1 ? "" : "s", s->boot_cfg->http_listen, s->boot_cfg->control_socket);
	s->stats.started_at = (int64_t)time(NULL);
	sd_notifyf(0, "READY=1\nSTATUS=checking %zu domains", s->sched.n);
	svc_pump_outbox(s); /* what a previous run left undelivered */
	svc_schedule(s);
	event_base_dispatch(s->base);
	if (s->db != NULL) {
		statedb_event(s->db, (int64_t)time(NULL), NULL, "stopped");
	}
	svc_cleanup(s);
	log_info("stopped");
	return 0;
}
