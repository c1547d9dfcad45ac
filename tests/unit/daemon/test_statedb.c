/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/statedb, on real SQLite files in a temporary
 * directory under /tmp: round trips, what survives a reopen, the outbox's
 * one row per hook per transition, all-or-nothing checks, WAL readers, the
 * bounds on history and the event log, and the errors at open. A second
 * plain SQLite connection looks at the tables and plants faults (a trigger
 * that raises).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "common/err.h"
#include "daemon/statedb.h"

/* 2026-11-18T11:06:40Z; no test reads the clock. */
#define NOW    ((int64_t)1795000000)
#define DOMAIN "example.org"

static const char *const hooks2[] = {"exec", "webhook"};

struct fixture {
	char dir[64];
	char path[128];
	struct statedb *db;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL) {
		return -1;
	}
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/xdane-statedb-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/state.db", fx->dir);
	if (statedb_open(fx->path, false, &fx->db, err, sizeof(err)) != 0) {
		fprintf(stderr, "open: %s\n", err);
		rmdir(fx->dir);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

/* Removes the directory and everything in it (state.db, -wal, -shm, test files). */
static int teardown(void **state)
{
	struct fixture *fx = *state;
	struct dirent *e;
	char p[512];
	DIR *d;

	statedb_close(fx->db);
	d = opendir(fx->dir);
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(p, sizeof(p), "%s/%s", fx->dir, e->d_name);
			unlink(p);
		}
	}
	if (d != NULL) {
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void reopen(struct fixture *fx)
{
	char err[512];

	statedb_close(fx->db);
	fx->db = NULL;
	assert_int_equal(statedb_open(fx->path, false, &fx->db, err, sizeof(err)), 0);
}

/* A plain SQLite connection beside the db under test. */
static sqlite3 *raw_open(const struct fixture *fx)
{
	sqlite3 *h = NULL;

	assert_int_equal(sqlite3_open(fx->path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	return h;
}

static void raw_exec(const struct fixture *fx, const char *sql)
{
	sqlite3 *h = raw_open(fx);
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fail_msg("%s: %s", sql, msg);
	}
	sqlite3_close(h);
}

static int64_t raw_int(const struct fixture *fx, const char *sql)
{
	sqlite3 *h = raw_open(fx);
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* The findings of a check, by letter: A critical, B warning, I info. */
static void add(struct findings *l, char letter)
{
	int r = -1;

	switch (letter) {
	case 'A':
		r = findings_add(l, FINDING_TLSA_MISMATCH, SEVERITY_CRITICAL, "xmpp-client",
				 "xmpp.example.org", 5222, "192.0.2.1", "no record matches");
		break;
	case 'B':
		r = findings_add(l, FINDING_TLSA_MISSING, SEVERITY_WARNING, "xmpp-server",
				 "xmpp.example.org", 5269, NULL, "no TLSA");
		break;
	case 'I':
		r = findings_add(l, FINDING_TLSA_NO_ROLLOVER_SLOT, SEVERITY_INFO, "xmpp-client",
				 "xmpp.example.org", 5222, NULL, "one record");
		break;
	default:
		fail_msg("unknown finding letter %c", letter);
	}
	assert_int_equal(r, 0);
}

/*
 * Records a check of domain with the findings named by letters and
 * `consecutive` 2; returns statedb_record_check's result and fills the
 * active count and transitions when asked.
 */
static int check_hooks(struct fixture *fx, const char *domain, int64_t now, const char *letters,
		       const char *const *hooks, size_t n_hooks, size_t *n_active,
		       size_t *transitions)
{
	struct findings found = {0};
	struct statedb_findings active = {0};
	char json[128];
	size_t i, tr = 0;
	int r;

	for (i = 0; letters[i] != '\0'; i++) {
		add(&found, letters[i]);
	}
	snprintf(json, sizeof(json), "{\"domain\":\"%s\",\"checked\":%lld}", domain,
		 (long long)now);
	r = statedb_record_check(fx->db, domain, now, findings_worst(&found), json, &found, 2,
				 hooks, n_hooks, &active, &tr);
	if (n_active != NULL) {
		*n_active = active.n;
	}
	if (transitions != NULL) {
		*transitions = tr;
	}
	if (r != 0) {
		assert_int_equal(active.n, 0);
		assert_int_equal(tr, 0);
	}
	statedb_findings_release(&active);
	findings_release(&found);
	return r;
}

static size_t check(struct fixture *fx, int64_t now, const char *letters)
{
	size_t transitions = 0;

	assert_int_equal(check_hooks(fx, DOMAIN, now, letters, hooks2, 2, NULL, &transitions), 0);
	return transitions;
}

static int64_t outbox_rows(const struct fixture *fx)
{
	return raw_int(fx, "SELECT count(*) FROM outbox");
}

/* Open */

static void test_open_schema(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(raw_int(fx, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 4);
	reopen(fx);
	assert_int_equal(raw_int(fx, "PRAGMA user_version"), 1);
	assert_string_equal(statedb_error(fx->db), "");
	assert_string_equal(statedb_error(NULL), "");
}

static void test_open_not_a_database(void **state)
{
	struct fixture *fx = *state;
	struct statedb *db = (struct statedb *)1;
	char path[256], err[512] = "";
	char junk[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/junk.db", fx->dir);
	memset(junk, 'x', sizeof(junk));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	fclose(f);
	assert_int_equal(statedb_open(path, false, &db, err, sizeof(err)), ERR_STATEDB);
	assert_null(db);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a database"));
	db = (struct statedb *)1;
	assert_int_equal(statedb_open(path, true, &db, err, sizeof(err)), ERR_STATEDB);
	assert_null(db);
	assert_non_null(strstr(err, "not a database"));
}

static void test_open_bad_directory(void **state)
{
	struct fixture *fx = *state;
	struct statedb *db = NULL;
	char path[256], err[512] = "";

	snprintf(path, sizeof(path), "%s/missing/state.db", fx->dir);
	assert_int_equal(statedb_open(path, false, &db, err, sizeof(err)), ERR_STATEDB);
	assert_null(db);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_null(strchr(err, '\n'));

	/* A file where the directory should be. */
	snprintf(path, sizeof(path), "%s/state.db/x.db", fx->dir);
	assert_int_equal(statedb_open(path, false, &db, err, sizeof(err)), ERR_STATEDB);
	assert_non_null(strstr(err, "is not a directory"));

	/* A reader never creates. */
	snprintf(path, sizeof(path), "%s/none.db", fx->dir);
	assert_int_equal(statedb_open(path, true, &db, err, sizeof(err)), ERR_STATEDB);
	assert_null(db);
	assert_non_null(strstr(err, path));
	assert_int_equal(access(path, F_OK), -1);
}

static void test_open_newer_schema(void **state)
{
	struct fixture *fx = *state;
	struct statedb *db = NULL;
	char err[512] = "";

	raw_exec(fx, "PRAGMA user_version = 99");
	assert_int_equal(statedb_open(fx->path, false, &db, err, sizeof(err)), ERR_STATEDB);
	assert_null(db);
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(statedb_open(fx->path, true, &db, err, sizeof(err)), ERR_STATEDB);
	assert_non_null(strstr(err, "schema version 99"));
}

/* Reports */

static int collect(void *arg, const char *domain, const char *json)
{
	char *out = arg;

	(void)json;
	strcat(out, domain);
	strcat(out, " ");
	return strcmp(domain, "b.example") == 0; /* stops after b */
}

static void test_report_round_trip(void **state)
{
	struct fixture *fx = *state;
	char *json = NULL, seen[128] = "";
	int64_t at = 0;

	assert_int_equal(statedb_report(fx->db, DOMAIN, &json, &at), ERR_NOT_FOUND);
	assert_null(json);
	assert_non_null(strstr(statedb_error(fx->db), DOMAIN));

	check(fx, NOW, "A");
	check(fx, NOW + 60, "");
	assert_int_equal(statedb_report(fx->db, DOMAIN, &json, &at), 0);
	assert_string_equal(json, "{\"domain\":\"example.org\",\"checked\":1795000060}");
	assert_int_equal(at, NOW + 60);
	free(json);
	assert_int_equal(raw_int(fx, "SELECT status = 'ok' FROM reports"), 1);

	assert_int_equal(check_hooks(fx, "c.example", NOW, "B", NULL, 0, NULL, NULL), 0);
	assert_int_equal(check_hooks(fx, "a.example", NOW, "", NULL, 0, NULL, NULL), 0);
	assert_int_equal(check_hooks(fx, "b.example", NOW, "", NULL, 0, NULL, NULL), 0);
	assert_int_equal(raw_int(fx, "SELECT status = 'warning' FROM reports"
				     " WHERE domain = 'c.example'"),
			 1);
	assert_int_equal(statedb_reports_each(fx->db, collect, seen), 0);
	assert_string_equal(seen, "a.example b.example ");
}

static void test_record_error(void **state)
{
	struct fixture *fx = *state;
	struct statedb_findings active = {0};
	char *json = NULL;
	int64_t at = 0;

	check(fx, NOW, "AB");
	check(fx, NOW + 60, "AB");
	assert_int_equal(statedb_record_error(fx->db, DOMAIN, NOW + 120,
					      "{\"domain\":\"example.org\",\"status\":\"unknown\","
					      "\"error\":\"deadline exceeded\"}"),
			 0);
	assert_int_equal(statedb_report(fx->db, DOMAIN, &json, &at), 0);
	assert_non_null(strstr(json, "deadline exceeded"));
	assert_int_equal(at, NOW + 120);
	free(json);
	assert_int_equal(raw_int(fx, "SELECT status = 'unknown' FROM reports"), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"
				     " WHERE what = 'check failed: deadline exceeded'"),
			 1);
	/* The findings and their alerts are as the last check left them. */
	assert_int_equal(statedb_active(fx->db, DOMAIN, &active), 0);
	assert_int_equal(active.n, 2);
	assert_int_equal(active.v[0].last_seen, NOW + 60);
	assert_int_equal(active.v[0].alert, ALERT_FIRING);
	statedb_findings_release(&active);
}

/* Findings */

static void test_first_seen_kept(void **state)
{
	struct fixture *fx = *state;
	struct statedb_findings active = {0};
	size_t n_active = 0;

	check(fx, NOW, "A");
	check(fx, NOW + 60, "AI");
	assert_int_equal(statedb_active(fx->db, DOMAIN, &active), 0);
	assert_int_equal(active.n, 2);
	/* Ordered by first_seen: A first, then I. */
	assert_int_equal(active.v[0].f.code, FINDING_TLSA_MISMATCH);
	assert_int_equal(active.v[0].first_seen, NOW);
	assert_int_equal(active.v[0].last_seen, NOW + 60);
	assert_int_equal(active.v[0].present_run, 2);
	assert_int_equal(active.v[0].alert, ALERT_FIRING);
	assert_int_equal(active.v[0].fired_at, NOW + 60);
	assert_string_equal(active.v[0].f.target, "xmpp.example.org");
	assert_int_equal(active.v[0].f.port, 5222);
	assert_string_equal(active.v[0].f.address, "192.0.2.1");
	assert_string_equal(active.v[0].f.message, "no record matches");
	assert_string_equal(active.v[0].key,
			    "TLSA_MISMATCH|xmpp-client|xmpp.example.org|5222|192.0.2.1");
	assert_int_equal(active.v[1].f.code, FINDING_TLSA_NO_ROLLOVER_SLOT);
	assert_int_equal(active.v[1].first_seen, NOW + 60);
	assert_int_equal(active.v[1].alert, ALERT_NONE);
	statedb_findings_release(&active);

	/* Across a restart too. */
	reopen(fx);
	assert_int_equal(check_hooks(fx, DOMAIN, NOW + 120, "AI", hooks2, 2, &n_active, NULL), 0);
	assert_int_equal(n_active, 2);
	assert_int_equal(statedb_active(fx->db, DOMAIN, &active), 0);
	assert_int_equal(active.v[0].first_seen, NOW);
	assert_int_equal(active.v[0].last_seen, NOW + 120);
	assert_int_equal(active.v[0].alert, ALERT_FIRING);
	assert_int_equal(active.v[1].first_seen, NOW + 60);
	statedb_findings_release(&active);
	/* The restart fired nothing again. */
	assert_int_equal(outbox_rows(fx), 2);
}

static void test_history(void **state)
{
	struct fixture *fx = *state;
	struct statedb_findings active = {0};

	check(fx, NOW, "I");
	check(fx, NOW + 60, "");
	check(fx, NOW + 120, "I");
	/* Two occurrences: the cleared one in history, the new one active with its own first_seen.
	 */
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM findings WHERE cleared = 1795000060"
				     " AND first_seen = 1795000000 AND last_seen = 1795000000"),
			 1);
	assert_int_equal(statedb_active(fx->db, DOMAIN, &active), 0);
	assert_int_equal(active.n, 1);
	assert_int_equal(active.v[0].first_seen, NOW + 120);
	statedb_findings_release(&active);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events WHERE what LIKE '%appeared%'"),
			 2);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events WHERE what LIKE '%cleared'"), 1);
}

static void test_history_bound(void **state)
{
	struct fixture *fx = *state;
	int64_t t = NOW;
	int i;

	/* 120 occurrences of B, each cleared: it flaps, so it never fires with N=2. */
	for (i = 0; i < 120; i++) {
		assert_int_equal(check(fx, t, "B"), 0);
		assert_int_equal(check(fx, t + 60, ""), 0);
		t += 120;
	}
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM findings"), 100);
	/* The newest were kept. */
	assert_int_equal(raw_int(fx, "SELECT max(cleared) FROM findings"), t - 60);
	assert_int_equal(raw_int(fx, "SELECT min(cleared) FROM findings"), t - 60 - 99 * 120);
	assert_int_equal(outbox_rows(fx), 0);
}

/* Outbox */

static void test_outbox_one_row_per_hook(void **state)
{
	struct fixture *fx = *state;
	struct statedb_deliveries due = {0};
	json_t *o;

	assert_int_equal(check(fx, NOW, "A"), 0);
	assert_int_equal(outbox_rows(fx), 0);
	assert_int_equal(check(fx, NOW + 60, "A"), 1);
	assert_int_equal(outbox_rows(fx), 2);
	assert_int_equal(check(fx, NOW + 120, "A"), 0);
	assert_int_equal(check(fx, NOW + 180, ""), 0);
	assert_int_equal(outbox_rows(fx), 2);
	assert_int_equal(check(fx, NOW + 240, ""), 1);
	assert_int_equal(outbox_rows(fx), 4);
	assert_int_equal(check(fx, NOW + 300, ""), 0);
	assert_int_equal(outbox_rows(fx), 4);

	/* The resolved rows wait until their firing rows are delivered (per hook). */
	assert_int_equal(statedb_outbox_due(fx->db, NOW + 300, 10, &due), 0);
	assert_int_equal(due.n, 2);
	assert_string_equal(due.v[0].hook, "exec");
	assert_string_equal(due.v[1].hook, "webhook");
	assert_string_equal(due.v[0].event, due.v[1].event);
	o = json_loads(due.v[0].event, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "firing");
	assert_string_equal(json_string_value(json_object_get(o, "domain")), DOMAIN);
	assert_string_equal(json_string_value(json_object_get(o, "starts_at")),
			    "2026-11-18T11:07:40Z");
	json_decref(o);
	assert_int_equal(statedb_outbox_done(fx->db, due.v[0].id, NOW + 300), 0);
	statedb_deliveries_release(&due);
	/* exec's firing row is out: its resolved row is due; webhook's still waits. */
	assert_int_equal(statedb_outbox_due(fx->db, NOW + 300, 10, &due), 0);
	assert_int_equal(due.n, 2);
	assert_string_equal(due.v[0].hook, "webhook");
	assert_string_equal(due.v[1].hook, "exec");
	assert_int_equal(statedb_outbox_done(fx->db, due.v[0].id, NOW + 300), 0);
	statedb_deliveries_release(&due);
	assert_int_equal(statedb_outbox_due(fx->db, NOW + 300, 10, &due), 0);
	assert_int_equal(due.n, 2);
	assert_string_equal(due.v[0].hook, "exec");
	assert_string_equal(due.v[1].hook, "webhook");
	o = json_loads(due.v[0].event, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "resolved");
	assert_string_equal(json_string_value(json_object_get(o, "starts_at")),
			    "2026-11-18T11:07:40Z");
	assert_string_equal(json_string_value(json_object_get(o, "ends_at")),
			    "2026-11-18T11:10:40Z");
	json_decref(o);
	statedb_deliveries_release(&due);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events WHERE what LIKE 'alert %'"), 2);
}

static void test_outbox_no_hooks(void **state)
{
	struct fixture *fx = *state;
	size_t tr = 0;

	assert_int_equal(check_hooks(fx, DOMAIN, NOW, "B", NULL, 0, NULL, &tr), 0);
	assert_int_equal(check_hooks(fx, DOMAIN, NOW + 60, "B", NULL, 0, NULL, &tr), 0);
	assert_int_equal(tr, 1);
	assert_int_equal(outbox_rows(fx), 0);
}

static void test_outbox_due_done_retry_next(void **state)
{
	struct fixture *fx = *state;
	struct statedb_deliveries due = {0};
	int64_t next = -1, first, second;
	char sql[128];

	assert_int_equal(statedb_outbox_next(fx->db, &next), 0);
	assert_int_equal(next, 0);
	check(fx, NOW, "AB");
	check(fx, NOW + 60, "AB"); /* two alerts, two hooks: four rows at NOW + 60 */

	assert_int_equal(statedb_outbox_due(fx->db, NOW, 10, &due), 0);
	assert_int_equal(due.n, 0); /* not due before they were queued */
	statedb_deliveries_release(&due);
	assert_int_equal(statedb_outbox_next(fx->db, &next), 0);
	assert_int_equal(next, NOW + 60);

	assert_int_equal(statedb_outbox_due(fx->db, NOW + 60, 3, &due), 0);
	assert_int_equal(due.n, 3); /* at most max, oldest first */
	assert_true(due.v[0].id < due.v[1].id && due.v[1].id < due.v[2].id);
	assert_int_equal(due.v[0].attempts, 0);
	assert_int_equal(due.v[0].next_try, NOW + 60);
	first = due.v[0].id;
	second = due.v[1].id;
	statedb_deliveries_release(&due);
	assert_null(due.v);
	assert_int_equal(due.n, 0);

	/* Delivered: never again. */
	assert_int_equal(statedb_outbox_done(fx->db, first, NOW + 61), 0);
	assert_int_equal(statedb_outbox_done(fx->db, first, NOW + 62), ERR_NOT_FOUND);
	assert_int_equal(statedb_outbox_done(fx->db, 9999, NOW + 62), ERR_NOT_FOUND);

	/* Failed: later, with one more attempt, and the why in the event log. */
	assert_int_equal(statedb_outbox_retry(fx->db, second, NOW + 600, "HTTP 503"), 0);
	assert_int_equal(statedb_outbox_due(fx->db, NOW + 100, 10, &due), 0);
	assert_int_equal(due.n, 2);
	assert_true(due.v[0].id != first && due.v[0].id != second);
	assert_int_equal(statedb_outbox_done(fx->db, due.v[0].id, NOW + 100), 0);
	assert_int_equal(statedb_outbox_done(fx->db, due.v[1].id, NOW + 100), 0);
	statedb_deliveries_release(&due);
	assert_int_equal(statedb_outbox_next(fx->db, &next), 0);
	assert_int_equal(next, NOW + 600);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events WHERE domain = 'example.org'"
				     " AND what LIKE '%HTTP 503%'"),
			 1);

	assert_int_equal(statedb_outbox_due(fx->db, NOW + 600, 10, &due), 0);
	assert_int_equal(due.n, 1);
	assert_int_equal(due.v[0].id, second);
	assert_int_equal(due.v[0].attempts, 1);
	assert_int_equal(due.v[0].next_try, NOW + 600);
	statedb_deliveries_release(&due);
	assert_int_equal(statedb_outbox_retry(fx->db, second, NOW + 900, "timeout"), 0);
	assert_int_equal(statedb_outbox_done(fx->db, second, NOW + 900), 0);
	assert_int_equal(statedb_outbox_retry(fx->db, second, NOW + 999, "late"), ERR_NOT_FOUND);
	assert_int_equal(statedb_outbox_next(fx->db, &next), 0);
	assert_int_equal(next, 0);
	snprintf(sql, sizeof(sql), "SELECT attempts FROM outbox WHERE id = %lld",
		 (long long)second);
	assert_int_equal(raw_int(fx, sql), 2);

	/* Survives a restart: a delivered row stays delivered. */
	reopen(fx);
	assert_int_equal(statedb_outbox_due(fx->db, NOW + 10000, 10, &due), 0);
	assert_int_equal(due.n, 0);
	statedb_deliveries_release(&due);
}

/* Undelivered rows survive a restart and come back due. */
static void test_outbox_survives_restart(void **state)
{
	struct fixture *fx = *state;
	struct statedb_deliveries due = {0};

	check(fx, NOW, "A");
	check(fx, NOW + 60, "A");
	reopen(fx);
	assert_int_equal(statedb_outbox_due(fx->db, NOW + 60, 10, &due), 0);
	assert_int_equal(due.n, 2);
	statedb_deliveries_release(&due);
	assert_int_equal(statedb_outbox_due(fx->db, NOW + 60, 0, &due), 0);
	assert_int_equal(due.n, 0);
}

/* Transactions */

static void test_failed_check_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	struct statedb_findings active = {0};
	char *json = NULL;
	int64_t events, at = 0;
	size_t tr = 0;

	check(fx, NOW, "A");
	events = raw_int(fx, "SELECT count(*) FROM events");
	raw_exec(fx, "CREATE TRIGGER boom BEFORE INSERT ON outbox"
		     " BEGIN SELECT RAISE(ABORT, 'outbox boom'); END");

	/* This check would fire A and queue it: the queueing fails, so nothing of it stays. */
	assert_int_equal(check_hooks(fx, DOMAIN, NOW + 60, "AB", hooks2, 2, NULL, &tr),
			 ERR_STATEDB);
	assert_non_null(strstr(statedb_error(fx->db), "outbox boom"));
	assert_non_null(strstr(statedb_error(fx->db), fx->path));
	assert_int_equal(statedb_report(fx->db, DOMAIN, &json, &at), 0);
	assert_int_equal(at, NOW);
	free(json);
	assert_int_equal(statedb_active(fx->db, DOMAIN, &active), 0);
	assert_int_equal(active.n, 1);
	assert_int_equal(active.v[0].last_seen, NOW);
	assert_int_equal(active.v[0].present_run, 1);
	assert_int_equal(active.v[0].alert, ALERT_NONE);
	statedb_findings_release(&active);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM findings"), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), events);
	assert_int_equal(outbox_rows(fx), 0);

	/* The fault gone, the same check fires exactly once. */
	raw_exec(fx, "DROP TRIGGER boom");
	assert_int_equal(check_hooks(fx, DOMAIN, NOW + 60, "AB", hooks2, 2, NULL, &tr), 0);
	assert_int_equal(tr, 1);
	assert_int_equal(outbox_rows(fx), 2);
	/* The handle is usable after the failure: plain writes work. */
	assert_int_equal(statedb_event(fx->db, NOW + 61, NULL, "daemon event"), 0);
}

/* A failure later in the transaction (the findings write) also rolls back the report. */
static void test_failed_findings_write(void **state)
{
	struct fixture *fx = *state;
	char *json = NULL;

	check(fx, NOW, "");
	raw_exec(fx, "CREATE TRIGGER boom BEFORE INSERT ON findings"
		     " BEGIN SELECT RAISE(ABORT, 'findings boom'); END");
	assert_int_equal(check_hooks(fx, DOMAIN, NOW + 60, "I", hooks2, 2, NULL, NULL),
			 ERR_STATEDB);
	assert_non_null(strstr(statedb_error(fx->db), "findings boom"));
	assert_int_equal(statedb_report(fx->db, DOMAIN, &json, NULL), 0);
	assert_non_null(strstr(json, "1795000000"));
	free(json);
	/* A domain never seen before: not even its report row. */
	assert_int_equal(check_hooks(fx, "new.example", NOW, "I", hooks2, 2, NULL, NULL),
			 ERR_STATEDB);
	assert_int_equal(statedb_report(fx->db, "new.example", &json, NULL), ERR_NOT_FOUND);
}

/* WAL: a reader sees each commit of the writer, and cannot write. */
static void test_reader_sees_writer(void **state)
{
	struct fixture *fx = *state;
	struct statedb *ro = NULL;
	struct statedb_findings active = {0};
	char err[512] = "", *json = NULL;
	int64_t at = 0;

	check(fx, NOW, "A");
	assert_int_equal(statedb_open(fx->path, true, &ro, err, sizeof(err)), 0);
	assert_int_equal(statedb_report(ro, DOMAIN, &json, &at), 0);
	assert_int_equal(at, NOW);
	free(json);
	assert_int_equal(statedb_active(ro, DOMAIN, &active), 0);
	assert_int_equal(active.n, 1);
	statedb_findings_release(&active);

	check(fx, NOW + 60, "AB");
	assert_int_equal(statedb_report(ro, DOMAIN, &json, &at), 0);
	assert_int_equal(at, NOW + 60);
	free(json);
	assert_int_equal(statedb_active(ro, DOMAIN, &active), 0);
	assert_int_equal(active.n, 2);
	statedb_findings_release(&active);

	assert_true(statedb_event(ro, NOW, NULL, "must not land") < 0);
	assert_non_null(strstr(statedb_error(ro), "readonly"));
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events WHERE what = 'must not land'"),
			 0);
	statedb_close(ro);
	snprintf(err, sizeof(err), "%s-wal", fx->path);
	assert_int_equal(access(err, F_OK), 0);
}

/* Events */

static void test_events_bound(void **state)
{
	struct fixture *fx = *state;
	char what[32];
	int i;

	for (i = 0; i < 10050; i++) {
		snprintf(what, sizeof(what), "event %d", i);
		assert_int_equal(statedb_event(fx->db, NOW + i, i % 2 ? DOMAIN : NULL, what), 0);
	}
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 10000);
	assert_int_equal(raw_int(fx, "SELECT min(at) FROM events"), NOW + 50);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events WHERE domain IS NULL"), 5000);
	check(fx, NOW + 20000, "I");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 10000);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events WHERE at = 1795020000"), 1);
}

/* Firing and forgetting */

static void test_firing_and_forget(void **state)
{
	struct fixture *fx = *state;
	struct statedb_findings firing = {0};
	const char *const keep[] = {"b.example"};
	char **domains = NULL;

	assert_int_equal(statedb_firing(fx->db, &firing, &domains), 0);
	assert_int_equal(firing.n, 0);
	assert_null(domains);

	assert_int_equal(check_hooks(fx, "a.example", NOW, "AI", hooks2, 2, NULL, NULL), 0);
	assert_int_equal(check_hooks(fx, "a.example", NOW + 60, "AI", hooks2, 2, NULL, NULL), 0);
	assert_int_equal(check_hooks(fx, "b.example", NOW, "B", hooks2, 2, NULL, NULL), 0);
	assert_int_equal(check_hooks(fx, "b.example", NOW + 60, "B", hooks2, 2, NULL, NULL), 0);
	assert_int_equal(check_hooks(fx, "b.example", NOW + 120, "", hooks2, 2, NULL, NULL), 0);

	/* a's A firing, b's B resolving; a's info never. */
	assert_int_equal(statedb_firing(fx->db, &firing, &domains), 0);
	assert_int_equal(firing.n, 2);
	assert_string_equal(domains[0], "a.example");
	assert_int_equal(firing.v[0].alert, ALERT_FIRING);
	assert_int_equal(firing.v[0].f.code, FINDING_TLSA_MISMATCH);
	assert_string_equal(domains[1], "b.example");
	assert_int_equal(firing.v[1].alert, ALERT_RESOLVING);
	statedb_findings_release(&firing);
	free(domains); /* one block */

	assert_int_equal(statedb_forget_except(fx->db, keep, 1), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM reports"), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM findings WHERE domain = 'a.example'"),
			 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM findings WHERE domain = 'b.example'"),
			 1);
	/* Queued deliveries are not the forgotten domain's to take back. */
	assert_int_equal(outbox_rows(fx), 4);
	assert_int_equal(statedb_forget_except(fx->db, NULL, 0), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM reports"), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM findings"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_bad_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_seen_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_one_row_per_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_no_hooks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_due_done_retry_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_survives_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_check_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_findings_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_sees_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firing_and_forget, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
