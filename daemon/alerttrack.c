/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alert tracking: the rules of alerttrack.h as one pure step over a domain's
 * tracked findings, and the event JSON of a transition. Storing the result is
 * statedb.c's; delivering the event is hooks.c's. present_run counts checks
 * with the key present at any severity; it fires once the current severity
 * is warning or worse.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/timefmt.h"
#include "daemon/alerttrack.h"

void alerttrack_key(const struct finding *f, char *buf, size_t len)
{
	const char *code = finding_code_name(f->code);
	char port[8] = "";

	/* Port 0 means "not applicable", like the empty strings beside it. */
	if (f->port != 0) {
		snprintf(port, sizeof(port), "%u", (unsigned)f->port);
	}
	snprintf(buf, len, "%s|%s|%s|%s|%s", code != NULL ? code : "UNKNOWN", f->service, f->target,
		 port, f->address);
}

static bool alerttrack_alerts(enum severity sev)
{
	return sev >= SEVERITY_WARNING;
}

/* Index of the entry of l with key, or -1. */
static ptrdiff_t alerttrack_find(const struct statedb_finding *v, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i].key, key) == 0) {
			return (ptrdiff_t)i;
		}
	}
	return -1;
}

/*
 * The check's findings with one entry per key (worst severity, the first
 * message and subject), in the order of their first occurrence.
 */
static int alerttrack_merge(const struct findings *found, struct statedb_finding **ret, size_t *n)
{
	struct statedb_finding *v = NULL;
	size_t i, m = 0;

	*ret = NULL;
	*n = 0;
	if (found == NULL || found->n == 0) {
		return 0;
	}
	v = calloc(found->n, sizeof(*v));
	if (v == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < found->n; i++) {
		const struct finding *f = &found->v[i];
		char key[sizeof(v->key)];
		ptrdiff_t j;

		alerttrack_key(f, key, sizeof(key));
		j = alerttrack_find(v, m, key);
		if (j >= 0) {
			if (f->severity > v[j].f.severity) {
				v[j].f.severity = f->severity;
			}
			continue;
		}
		memcpy(v[m].key, key, sizeof(key));
		v[m].f = *f;
		m++;
	}
	*ret = v;
	*n = m;
	return 0;
}

static int alerttrack_push(struct alert_transition **tr, size_t *n_tr,
			   enum alert_transition_kind kind, size_t index)
{
	struct alert_transition *grown = realloc(*tr, (*n_tr + 1) * sizeof(**tr));

	if (grown == NULL) {
		return -ENOMEM;
	}
	grown[*n_tr].kind = kind;
	grown[*n_tr].index = index;
	*tr = grown;
	(*n_tr)++;
	return 0;
}

/* A finding seen in this check that was not tracked: a new occurrence. */
static void alerttrack_new(struct statedb_finding *out, const struct statedb_finding *m,
			   int64_t now)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->key, m->key, sizeof(out->key));
	out->f = m->f;
	out->first_seen = now;
	out->last_seen = now;
	out->present_run = 1;
	out->alert = ALERT_NONE;
}

int alerttrack_step(const struct statedb_findings *prev, const struct findings *found, int64_t now,
		    unsigned consecutive, struct statedb_findings *next,
		    struct alert_transition **tr, size_t *n_tr)
{
	struct statedb_finding *merged = NULL, *v = NULL;
	struct alert_transition *t = NULL;
	size_t n_merged = 0, n_prev = prev != NULL ? prev->n : 0, n = 0, n_t = 0, i;
	bool *taken = NULL;
	int r;

	next->v = NULL;
	next->n = 0;
	*tr = NULL;
	*n_tr = 0;
	/* 0 would fire before the finding was ever seen; the config's minimum is 1. */
	if (consecutive == 0) {
		consecutive = 1;
	}
	r = alerttrack_merge(found, &merged, &n_merged);
	if (r < 0) {
		goto out;
	}
	r = -ENOMEM;
	if (n_prev + n_merged > 0) {
		v = calloc(n_prev + n_merged, sizeof(*v));
		taken = calloc(n_merged + 1, sizeof(*taken));
		if (v == NULL || taken == NULL) {
			goto out;
		}
	}

	/* Every tracked finding, in its order: present again, or absent. */
	for (i = 0; i < n_prev; i++) {
		const struct statedb_finding *p = &prev->v[i];
		ptrdiff_t j = alerttrack_find(merged, n_merged, p->key);
		struct statedb_finding *s = &v[n];
		bool was_firing = p->alert == ALERT_FIRING || p->alert == ALERT_RESOLVING;

		if (j >= 0) {
			taken[j] = true;
			if (p->cleared != 0 && !was_firing) {
				/* Cleared and never alerting: this is a new occurrence. */
				alerttrack_new(s, &merged[j], now);
			} else {
				/*
				 * Still present, or back while its alert was
				 * resolving: the same occurrence, and the alert
				 * (if any) simply stays firing.
				 */
				*s = *p;
				s->f = merged[j].f;
				s->last_seen = now;
				s->cleared = 0;
				s->absent_run = 0;
				s->present_run = p->cleared != 0 ? 1 : p->present_run + 1;
				if (was_firing) {
					s->alert = ALERT_FIRING;
				}
			}
			/*
			 * A firing finding whose severity changes (warning to
			 * critical) is the same alert: no transition, the event
			 * of the next transition carries the new severity.
			 * Keeping it simple beats a re-fire nobody asked for.
			 */
			if (s->alert == ALERT_NONE && alerttrack_alerts(s->f.severity) &&
			    s->present_run >= consecutive) {
				s->alert = ALERT_FIRING;
				s->fired_at = now;
				if (alerttrack_push(&t, &n_t, ALERT_FIRES, n) < 0) {
					goto out;
				}
			}
			n++;
			continue;
		}

		if (p->cleared != 0 && !was_firing) {
			/* Cleared at an earlier check: only the db's history keeps it. */
			continue;
		}
		*s = *p;
		s->present_run = 0;
		s->absent_run = p->absent_run + 1;
		if (p->cleared == 0) {
			s->cleared = now;
		}
		if (was_firing) {
			if (s->absent_run >= consecutive) {
				s->alert = ALERT_NONE;
				if (alerttrack_push(&t, &n_t, ALERT_RESOLVES, n) < 0) {
					goto out;
				}
			} else {
				s->alert = ALERT_RESOLVING;
			}
		}
		n++;
	}

	/* Findings not tracked before, in the check's order. */
	for (i = 0; i < n_merged; i++) {
		struct statedb_finding *s = &v[n];

		if (taken[i]) {
			continue;
		}
		alerttrack_new(s, &merged[i], now);
		if (alerttrack_alerts(s->f.severity) && s->present_run >= consecutive) {
			s->alert = ALERT_FIRING;
			s->fired_at = now;
			if (alerttrack_push(&t, &n_t, ALERT_FIRES, n) < 0) {
				goto out;
			}
		}
		n++;
	}

	next->v = n > 0 ? v : NULL;
	next->n = n;
	if (n == 0) {
		free(v);
	}
	v = NULL;
	*tr = t;
	*n_tr = n_t;
	t = NULL;
	r = 0;
out:
	free(merged);
	free(taken);
	free(v);
	free(t);
	return r;
}

/*
 * A JSON string of s. Targets and messages can carry bytes from the network
 * that are not UTF-8, which jansson refuses: those become '?' rather than
 * failing the whole transition as if memory had run out.
 */
static json_t *alerttrack_str(const char *s)
{
	json_t *j = json_string(s);
	char *copy;
	size_t i;

	if (j != NULL) {
		return j;
	}
	copy = strdup(s);
	if (copy == NULL) {
		return NULL;
	}
	for (i = 0; copy[i] != '\0'; i++) {
		if ((unsigned char)copy[i] >= 0x80) {
			copy[i] = '?';
		}
	}
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *alerttrack_str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? alerttrack_str(s) : json_null();
}

static json_t *alerttrack_time(int64_t t)
{
	char text[TIMEFMT_RFC3339_LEN];

	return timefmt_rfc3339(t, text) == 0 ? json_string(text) : json_null();
}

/* Adds key = value to o, taking the value; a NULL value (ENOMEM) fails. */
static int alerttrack_put(json_t *o, const char *key, json_t *value)
{
	return value != NULL && json_object_set_new(o, key, value) == 0 ? 0 : -ENOMEM;
}

int alerttrack_event_json(const char *domain, const struct statedb_finding *sf,
			  enum alert_transition_kind kind, int64_t now, char **ret)
{
	const struct finding *f = &sf->f;
	const char *code = finding_code_name(f->code);
	const char *sev = severity_name(f->severity);
	int64_t starts = sf->fired_at != 0 ? sf->fired_at : now;
	json_t *o = json_object();
	char *text = NULL;
	int r = -ENOMEM;

	*ret = NULL;
	if (o == NULL) {
		goto out;
	}
	r = 0;
	r |= alerttrack_put(o, "domain", alerttrack_str(domain));
	r |= alerttrack_put(o, "code", json_string(code != NULL ? code : "UNKNOWN"));
	r |= alerttrack_put(o, "severity", json_string(sev != NULL ? sev : "critical"));
	r |= alerttrack_put(o, "state", json_string(kind == ALERT_FIRES ? "firing" : "resolved"));
	r |= alerttrack_put(o, "service", alerttrack_str_or_null(f->service));
	r |= alerttrack_put(o, "target", alerttrack_str_or_null(f->target));
	r |= alerttrack_put(o, "port", f->port != 0 ? json_integer(f->port) : json_null());
	r |= alerttrack_put(o, "address", alerttrack_str_or_null(f->address));
	r |= alerttrack_put(o, "message", alerttrack_str(f->message));
	r |= alerttrack_put(o, "key", alerttrack_str(sf->key));
	r |= alerttrack_put(o, "starts_at", alerttrack_time(starts));
	r |= alerttrack_put(o, "ends_at", kind == ALERT_FIRES ? json_null() : alerttrack_time(now));
	if (r != 0) {
		r = -ENOMEM;
		goto out;
	}
	text = json_dumps(o, JSON_COMPACT);
	if (text == NULL) {
		r = -ENOMEM;
		goto out;
	}
	*ret = text;
	r = 0;
out:
	json_decref(o);
	return r;
}
