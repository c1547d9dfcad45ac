/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdaned's state in SQLite (WAL): the last report of each domain, the
 * history of every finding (first seen, last seen, cleared), the alert state
 * of each finding, the outbox of alert deliveries, an event log, and the
 * state of each certificate rollover. Nothing the daemon must remember lives
 * only in memory: after a restart the last reports, the original first-seen
 * times, the undelivered alerts and every rollover in flight are all here.
 *
 * One connection per thread: the event loop holds the writer; the HTTP
 * thread opens its own reader (statedb_open with readonly), which WAL lets
 * read while the loop writes. Every function returns 0 or a negative code
 * (common/err.h) and, on failure, leaves one line in statedb_error(db).
 */
#ifndef XDANE_DAEMON_STATEDB_H
#define XDANE_DAEMON_STATEDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks/finding.h"

struct statedb;

/* Where a finding stands for alerting (DESIGN.md "Alerts"). */
enum alert_state {
	ALERT_NONE = 0,	 /* below warning, or not held for `consecutive` checks yet */
	ALERT_FIRING,	 /* held for `consecutive` checks: fired */
	ALERT_RESOLVING, /* firing, absent for fewer than `consecutive` checks */
};

/*
 * One finding of a domain as the state knows it. key is its identity across
 * checks: code, service, target, port and address joined by '|'
 * ("TLSA_MISMATCH|xmpp-client|xmpp.example.org|5222|192.0.2.1"); several
 * findings of one check with the same key (e.g. DNSSEC_BOGUS for A and for
 * AAAA of one target) count as one, with the worst severity and the first
 * message.
 */
struct statedb_finding {
	char key[FINDING_SUBJECT_MAX + 128];
	struct finding f; /* as last seen */
	int64_t first_seen;
	int64_t last_seen;
	int64_t cleared;      /* 0 while active; else when it was first absent */
	unsigned present_run; /* consecutive checks it was present (0 when absent) */
	unsigned absent_run;  /* consecutive checks it was absent since last present */
	enum alert_state alert;
	int64_t fired_at; /* when it started firing (the alert's startsAt), or 0 */
};

struct statedb_findings {
	struct statedb_finding *v;
	size_t n;
};

/* An alert transition for the hooks (exec, webhook): what the outbox holds. */
struct statedb_delivery {
	int64_t id;
	char hook[16]; /* "exec" or "webhook" */
	char *event;   /* the event JSON of alerttrack.h (malloc'd) */
	unsigned attempts;
	int64_t next_try;
};

struct statedb_deliveries {
	struct statedb_delivery *v;
	size_t n;
};

/*
 * Opens (creating, with its parent directory's permissions untouched) the
 * database at path, in WAL mode with a busy timeout, and creates or upgrades
 * the schema (PRAGMA user_version). readonly: for the HTTP thread; never
 * creates. On failure *ret is NULL and err holds one line naming the path.
 */
int statedb_open(const char *path, bool readonly, struct statedb **ret, char *err, size_t errlen);
void statedb_close(struct statedb *db);

/* The last error, one line ("state.db: disk I/O error"), or "". */
const char *statedb_error(const struct statedb *db);

/*
 * Records one finished check of domain at now, in one transaction: its
 * report (DOMAIN_REPORT JSON text) and status, then the findings history
 * and the alert tracking of alerttrack.h with `consecutive`, and one outbox
 * row per hook in hooks (e.g. {"exec", "webhook"}; none when n_hooks is 0)
 * for each transition. On return *active holds the domain's active findings
 * (first_seen preserved across checks and restarts) and *transitions the
 * number of transitions queued. All or nothing: on failure nothing changed.
 */
int statedb_record_check(struct statedb *db, const char *domain, int64_t now, enum severity status,
			 const char *report_json, const struct findings *found,
			 unsigned consecutive, const char *const *hooks, size_t n_hooks,
			 struct statedb_findings *active, size_t *transitions);

/*
 * A domain that could not be checked (deadline, error): records the error
 * in the event log and the report as {"domain":..,"status":"unknown",...},
 * leaving the findings and their alert state untouched.
 */
int statedb_record_error(struct statedb *db, const char *domain, int64_t now,
			 const char *report_json);

/* The last report of domain (malloc'd JSON text), or ERR_NOT_FOUND. */
int statedb_report(struct statedb *db, const char *domain, char **json, int64_t *checked_at);

/* Calls fn for every stored report, by domain name; stops when fn returns non-zero. */
int statedb_reports_each(struct statedb *db,
			 int (*fn)(void *arg, const char *domain, const char *json), void *arg);

/* The active findings of domain (cleared == 0), ordered by first_seen then key. */
int statedb_active(struct statedb *db, const char *domain, struct statedb_findings *ret);

/*
 * The findings of every domain that are ALERT_FIRING or ALERT_RESOLVING (for
 * re-sending), by domain. (*domains)[i] is the domain of ret->v[i]; the array
 * and its strings are one malloc'd block, so free(*domains) releases it all
 * (NULL when there are none).
 */
int statedb_firing(struct statedb *db, struct statedb_findings *ret, char ***domains);

void statedb_findings_release(struct statedb_findings *l);

/*
 * Outbox rows not delivered whose next_try <= now, oldest first, at most max;
 * a row waits while an older row of the same hook and alert is undelivered.
 */
int statedb_outbox_due(struct statedb *db, int64_t now, size_t max, struct statedb_deliveries *ret);
/* The row was delivered: it never comes back. */
int statedb_outbox_done(struct statedb *db, int64_t id, int64_t now);
/* Delivery failed: attempts + 1, try again at next_try; why goes to the event log. */
int statedb_outbox_retry(struct statedb *db, int64_t id, int64_t next_try, const char *why);
/* The earliest next_try of an undelivered row, or 0 when there is none. */
int statedb_outbox_next(struct statedb *db, int64_t *next_try);
/* The same, and how many rows wait undelivered (due or not). */
int statedb_outbox_pending(struct statedb *db, int64_t *next_try, size_t *pending);
void statedb_deliveries_release(struct statedb_deliveries *l);

/* Appends to the event log (domain may be NULL for the daemon's own events). */
int statedb_event(struct statedb *db, int64_t now, const char *domain, const char *what);

/*
 * Forgets the reports and findings of domains no longer configured (after a
 * reload). Their rollovers stay: a domain dropped by a config typo resumes
 * its rollover where it was once it is back; only statedb_rollover_delete
 * removes one.
 */
int statedb_forget_except(struct statedb *db, const char *const *domains, size_t n);

/*
 * Certificate rollovers: state_text is rollover_to_text's output, kept
 * verbatim (ERR_TOO_BIG from ROLLOVER_TEXT_MAX on), phase its phase name for a
 * person querying the file. In one transaction, the row of domain is
 * replaced and, when event is not NULL, event is appended to the event log
 * for domain at now: a transition and its log line are stored together or
 * not at all.
 */
int statedb_rollover_save(struct statedb *db, const char *domain, const char *state_text,
			  const char *phase, int64_t now, const char *event);

/* The saved state of domain (malloc'd text) and, unless NULL, when; or ERR_NOT_FOUND. */
int statedb_rollover_load(struct statedb *db, const char *domain, char **state_text,
			  int64_t *updated);

/* Calls fn for every saved rollover, by domain name; stops when fn returns non-zero. */
int statedb_rollovers_each(struct statedb *db,
			   int (*fn)(void *arg, const char *domain, const char *state_text,
				     const char *phase, int64_t updated),
			   void *arg);

/*
 * The TLSA owners a rollover's fragment is written at, as the daemon keeps
 * them (text opaque here), stored beside the rollover of domain, which must
 * exist (ERR_NOT_FOUND otherwise); a save of the state leaves them as they are.
 */
int statedb_rollover_owners_save(struct statedb *db, const char *domain, const char *owners);

/* The stored owners of domain (malloc'd, "" when none were stored), or ERR_NOT_FOUND. */
int statedb_rollover_owners_load(struct statedb *db, const char *domain, char **owners);

/* Drops the rollover of domain; ERR_NOT_FOUND when there was none. */
int statedb_rollover_delete(struct statedb *db, const char *domain);

#endif
