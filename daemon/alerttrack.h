/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * When a finding becomes an alert, and when the alert resolves (DESIGN.md
 * "Alerts"): pure logic over the tracked findings of one domain and the
 * findings of its latest check. A finding of severity >= warning fires after
 * it was present in `consecutive` checks in a row, and a firing alert
 * resolves after `consecutive` checks in a row without it. Findings below
 * warning are tracked (first seen, last seen) but never alert. No I/O and no
 * clock: statedb.c stores what this computes.
 */
#ifndef XDANE_DAEMON_ALERTTRACK_H
#define XDANE_DAEMON_ALERTTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "checks/finding.h"
#include "daemon/statedb.h"

enum alert_transition_kind {
	ALERT_FIRES,
	ALERT_RESOLVES,
};

struct alert_transition {
	enum alert_transition_kind kind;
	size_t index; /* into the tracked list returned by alerttrack_step */
};

/* Writes the key of f into buf (see struct statedb_finding). */
void alerttrack_key(const struct finding *f, char *buf, size_t len);

/*
 * One check of a domain at now: prev are the domain's tracked findings
 * (active, and cleared ones still counted towards resolving), found the
 * check's findings. Fills *next with the new tracked list (findings that
 * cleared long ago are dropped; a cleared one keeps first_seen/cleared set)
 * and *tr with the transitions, each pointing into *next. Returns 0 or
 * -ENOMEM (outputs then empty).
 */
int alerttrack_step(const struct statedb_findings *prev, const struct findings *found, int64_t now,
		    unsigned consecutive, struct statedb_findings *next,
		    struct alert_transition **tr, size_t *n_tr);

/*
 * The event JSON of one transition, as the outbox stores it and the hooks
 * send it (malloc'd, compact):
 * {"domain","code","severity","state":"firing|resolved","service","target",
 *  "port","address","message","key","starts_at","ends_at"} with RFC 3339
 * times (ends_at null while firing) and null for empty subject fields.
 */
int alerttrack_event_json(const char *domain, const struct statedb_finding *sf,
			  enum alert_transition_kind kind, int64_t now, char **ret);

#endif
