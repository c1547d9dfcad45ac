/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/statedb, on real SQLite files in a temporary
 * directory under /tmp: round trips, what survives a reopen, the outbox's
 * one row per hook per transition, all-or-nothing checks, WAL readers, the
 * bounds on history and the event log, the errors at open, rollover state
 * with its event, and the upgrade of a version 1 file. A second plain SQLite
 * connection looks at the tables and plants faults (a trigger that raises).
 */
#include <dirent.h>
#include <errno.h>
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

/* A plain SQLite connection beside the db under test (or any file at path). */
static sqlite3 *raw_open_path(const char *path)
{
	sqlite3 *h = NULL;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	return h;
}

static void raw_exec_path(const char *path, const char *sql)
{
	sqlite3 *h = raw_open_path(path);
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fail_msg("%s: %s", sql, msg);
	}
	sqlite3_close(h);
}

static void raw_exec(const struct fixture *fx, const char *sql)
{
	raw_exec_path(fx->path, sql);
}

static int64_t raw_int_path(const char *path, const char *sql)
{
	sqlite3 *h = raw_open_path(path);
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static int64_t raw_int(const struct fixture *fx, const char *sql)
{
	return raw_int_path(fx->path, sql);
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

	assert_int_equal(raw_int(fx, "PRAGMA user_version"), 3);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 5);
	reopen(fx);
	assert_int_equal(raw_int(fx, "PRAGMA user_version"), 3);
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

/* Rollovers */

/* The first lines of a rollover_to_text output: statedb keeps them verbatim, never reads them. */
#define STATE_STAGED	"xdane-rollover 1\nphase staged\n"
#define STATE_PUBLISHED "xdane-rollover 1\nphase published\n"

static int64_t events_like(const struct fixture *fx, const char *domain, const char *what)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM events WHERE domain = '%s' AND what = '%s'", domain, what);
	return raw_int(fx, sql);
}

static void test_rollover_round_trip(void **state)
{
	struct fixture *fx = *state;
	char *text = (char *)1;
	int64_t at = 0;

	assert_int_equal(statedb_rollover_load(fx->db, DOMAIN, &text, &at), ERR_NOT_FOUND);
	assert_null(text);
	assert_non_null(strstr(statedb_error(fx->db), DOMAIN));

	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_STAGED, "staged", NOW, NULL),
			 0);
	assert_int_equal(statedb_rollover_load(fx->db, DOMAIN, &text, &at), 0);
	assert_string_equal(text, STATE_STAGED);
	assert_int_equal(at, NOW);
	free(text);
	assert_int_equal(statedb_rollover_load(fx->db, DOMAIN, &text, NULL), 0);
	free(text);
	/* The phase is a column for a person with sqlite3. */
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM rollovers WHERE domain = 'example.org'"
				     " AND phase = 'staged' AND updated = 1795000000"),
			 1);
	/* No event asked, none written. */
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 0);
}

static void test_rollover_update_replaces(void **state)
{
	struct fixture *fx = *state;
	char *text = NULL;
	int64_t at = 0;

	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_STAGED, "staged", NOW, NULL),
			 0);
	assert_int_equal(
		statedb_rollover_save(fx->db, DOMAIN, STATE_PUBLISHED, "published", NOW + 60, NULL),
		0);
	assert_int_equal(statedb_rollover_load(fx->db, DOMAIN, &text, &at), 0);
	assert_string_equal(text, STATE_PUBLISHED);
	assert_int_equal(at, NOW + 60);
	free(text);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM rollovers"), 1);
	assert_int_equal(raw_int(fx, "SELECT phase = 'published' FROM rollovers"), 1);
}

/* The transition and its event line: both or neither. */
static void test_rollover_event_same_transaction(void **state)
{
	struct fixture *fx = *state;
	char *text = NULL;
	int64_t at = 0;

	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_STAGED, "staged", NOW,
					       "rollover staged"),
			 0);
	assert_int_equal(events_like(fx, DOMAIN, "rollover staged"), 1);
	assert_int_equal(raw_int(fx, "SELECT at FROM events WHERE what = 'rollover staged'"), NOW);

	/* The event log refuses: the state stays as it was. */
	raw_exec(fx, "CREATE TRIGGER boom BEFORE INSERT ON events"
		     " BEGIN SELECT RAISE(ABORT, 'events boom'); END");
	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_PUBLISHED, "published",
					       NOW + 60, "rollover published"),
			 ERR_STATEDB);
	assert_non_null(strstr(statedb_error(fx->db), "events boom"));
	assert_int_equal(statedb_rollover_load(fx->db, DOMAIN, &text, &at), 0);
	assert_string_equal(text, STATE_STAGED);
	assert_int_equal(at, NOW);
	free(text);
	/* A new domain leaves no row either. */
	assert_int_equal(statedb_rollover_save(fx->db, "new.example", STATE_STAGED, "staged",
					       NOW + 60, "rollover staged"),
			 ERR_STATEDB);
	assert_int_equal(statedb_rollover_load(fx->db, "new.example", &text, NULL), ERR_NOT_FOUND);
	raw_exec(fx, "DROP TRIGGER boom");

	/* The state refuses: no event line for a transition that did not happen. */
	raw_exec(fx, "CREATE TRIGGER boom BEFORE UPDATE ON rollovers"
		     " BEGIN SELECT RAISE(ABORT, 'rollovers boom'); END");
	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_PUBLISHED, "published",
					       NOW + 60, "rollover published"),
			 ERR_STATEDB);
	assert_non_null(strstr(statedb_error(fx->db), "rollovers boom"));
	assert_int_equal(events_like(fx, DOMAIN, "rollover published"), 0);
	raw_exec(fx, "DROP TRIGGER boom");

	/* The faults gone, the same transition lands once, with its line. */
	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_PUBLISHED, "published",
					       NOW + 60, "rollover published"),
			 0);
	assert_int_equal(events_like(fx, DOMAIN, "rollover published"), 1);
	assert_int_equal(raw_int(fx, "SELECT phase = 'published' FROM rollovers"), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 2);
}

struct seen {
	char text[256];
	int stop_after; /* stop once this many were seen; 0: never */
	int n;
};

static int collect_rollover(void *arg, const char *domain, const char *state_text,
			    const char *phase, int64_t updated)
{
	struct seen *s = arg;
	char line[128];

	snprintf(line, sizeof(line), "%s:%s:%lld:%d ", domain, phase, (long long)(updated - NOW),
		 strcmp(state_text, STATE_STAGED) == 0);
	strcat(s->text, line);
	s->n++;
	return s->n == s->stop_after;
}

static void test_rollovers_each_order(void **state)
{
	struct fixture *fx = *state;
	struct seen s = {"", 0, 0};

	assert_int_equal(statedb_rollovers_each(fx->db, collect_rollover, &s), 0);
	assert_int_equal(s.n, 0);

	assert_int_equal(
		statedb_rollover_save(fx->db, "c.example", STATE_STAGED, "staged", NOW, NULL), 0);
	assert_int_equal(statedb_rollover_save(fx->db, "a.example", STATE_PUBLISHED, "published",
					       NOW + 1, NULL),
			 0);
	assert_int_equal(
		statedb_rollover_save(fx->db, "b.example", STATE_STAGED, "staged", NOW + 2, NULL),
		0);
	assert_int_equal(statedb_rollovers_each(fx->db, collect_rollover, &s), 0);
	assert_string_equal(s.text, "a.example:published:1:0 b.example:staged:2:1 "
				    "c.example:staged:0:1 ");

	/* fn stops the walk, and the statement is left for the next use. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(statedb_rollovers_each(fx->db, collect_rollover, &s), 0);
	assert_string_equal(s.text, "a.example:published:1:0 b.example:staged:2:1 ");
	assert_int_equal(
		statedb_rollover_save(fx->db, "d.example", STATE_STAGED, "staged", NOW, NULL), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM rollovers"), 4);
}

static void test_rollover_delete(void **state)
{
	struct fixture *fx = *state;
	char *text = NULL;

	assert_int_equal(statedb_rollover_delete(fx->db, DOMAIN), ERR_NOT_FOUND);
	assert_non_null(strstr(statedb_error(fx->db), DOMAIN));
	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_STAGED, "staged", NOW, NULL),
			 0);
	assert_int_equal(
		statedb_rollover_save(fx->db, "other.example", STATE_STAGED, "staged", NOW, NULL),
		0);
	assert_int_equal(statedb_rollover_delete(fx->db, DOMAIN), 0);
	assert_int_equal(statedb_rollover_load(fx->db, DOMAIN, &text, NULL), ERR_NOT_FOUND);
	assert_int_equal(statedb_rollover_load(fx->db, "other.example", &text, NULL), 0);
	free(text);
	assert_int_equal(statedb_rollover_delete(fx->db, DOMAIN), ERR_NOT_FOUND);
}

/* A restart (or kill -9: every save is committed on return) resumes from the row. */
static void test_rollover_survives_reopen(void **state)
{
	struct fixture *fx = *state;
	char *text = NULL;
	int64_t at = 0;

	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_PUBLISHED, "published", NOW,
					       "rollover published"),
			 0);
	reopen(fx);
	assert_int_equal(statedb_rollover_load(fx->db, DOMAIN, &text, &at), 0);
	assert_string_equal(text, STATE_PUBLISHED);
	assert_int_equal(at, NOW);
	free(text);
	assert_int_equal(events_like(fx, DOMAIN, "rollover published"), 1);
}

/* A domain dropped from the config (a typo, say) keeps its rollover. */
static void test_rollover_kept_by_forget(void **state)
{
	struct fixture *fx = *state;
	const char *const keep[] = {"b.example"};
	char *text = NULL;

	assert_int_equal(check_hooks(fx, "a.example", NOW, "A", hooks2, 2, NULL, NULL), 0);
	assert_int_equal(
		statedb_rollover_save(fx->db, "a.example", STATE_STAGED, "staged", NOW, NULL), 0);
	assert_int_equal(statedb_forget_except(fx->db, keep, 1), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM reports"), 0);
	assert_int_equal(statedb_rollover_load(fx->db, "a.example", &text, NULL), 0);
	assert_string_equal(text, STATE_STAGED);
	free(text);
	assert_int_equal(statedb_forget_except(fx->db, NULL, 0), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM rollovers"), 1);
}

static void test_rollover_bad_input(void **state)
{
	struct fixture *fx = *state;
	char *big = malloc(16384);

	assert_non_null(big);
	memset(big, 'x', 16383);
	big[16383] = '\0';
	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, big, "staged", NOW, "too big"),
			 ERR_TOO_BIG);
	assert_non_null(strstr(statedb_error(fx->db), DOMAIN));
	free(big);
	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, NULL, "staged", NOW, NULL), -EINVAL);
	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_STAGED, NULL, NOW, NULL),
			 -EINVAL);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM rollovers"), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 0);
}

/* The HTTP thread's reader sees the rollovers and cannot write one. */
static void test_rollover_reader(void **state)
{
	struct fixture *fx = *state;
	struct statedb *ro = NULL;
	struct seen s = {"", 0, 0};
	char err[512] = "", *text = NULL;

	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_STAGED, "staged", NOW, NULL),
			 0);
	assert_int_equal(statedb_open(fx->path, true, &ro, err, sizeof(err)), 0);
	assert_int_equal(statedb_rollover_load(ro, DOMAIN, &text, NULL), 0);
	assert_string_equal(text, STATE_STAGED);
	free(text);
	assert_int_equal(statedb_rollovers_each(ro, collect_rollover, &s), 0);
	assert_int_equal(s.n, 1);

	assert_true(statedb_rollover_save(ro, DOMAIN, STATE_PUBLISHED, "published", NOW + 60,
					  "must not land") < 0);
	assert_non_null(strstr(statedb_error(ro), "readonly"));
	assert_true(statedb_rollover_delete(ro, DOMAIN) < 0);
	statedb_close(ro);
	assert_int_equal(raw_int(fx, "SELECT phase = 'staged' FROM rollovers"), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 0);
}

/* Schema version 1 exactly as released: a file of that version must upgrade in place. */
static const char schema_v1[] =
	"CREATE TABLE reports ("
	" domain TEXT PRIMARY KEY,"
	" checked_at INTEGER NOT NULL,"
	" status TEXT NOT NULL,"
	" json TEXT NOT NULL);"
	"CREATE TABLE findings ("
	" id INTEGER PRIMARY KEY,"
	" domain TEXT NOT NULL REFERENCES reports(domain) ON DELETE CASCADE,"
	" key TEXT NOT NULL,"
	" code TEXT NOT NULL,"
	" severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 3),"
	" service TEXT NOT NULL,"
	" target TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" address TEXT NOT NULL,"
	" message TEXT NOT NULL,"
	" first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" cleared INTEGER NOT NULL DEFAULT 0,"
	" present_run INTEGER NOT NULL DEFAULT 0,"
	" absent_run INTEGER NOT NULL DEFAULT 0,"
	" alert INTEGER NOT NULL DEFAULT 0 CHECK (alert BETWEEN 0 AND 2),"
	" fired_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX findings_domain ON findings(domain, cleared);"
	"CREATE UNIQUE INDEX findings_tracked ON findings(domain, key)"
	" WHERE cleared = 0 OR alert != 0;"
	"CREATE INDEX findings_alert ON findings(alert) WHERE alert != 0;"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" hook TEXT NOT NULL,"
	" event TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_try INTEGER NOT NULL,"
	" delivered_at INTEGER);"
	"CREATE INDEX outbox_due ON outbox(next_try) WHERE delivered_at IS NULL;"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" domain TEXT,"
	" what TEXT NOT NULL);"
	"INSERT INTO reports VALUES ('old.example', 1795000000, 'ok', "
	"'{\"domain\":\"old.example\"}');"
	"INSERT INTO events(at, domain, what) VALUES (1795000000, NULL, 'started');"
	"PRAGMA user_version = 1;";

/* The owners live beside the state: a save of the state keeps them, a delete drops them. */
static void test_rollover_owners(void **state)
{
	struct fixture *fx = *state;
	char *owners = (char *)1;
	const char *names = "_5222._tcp.xmpp.example.org _5269._tcp.xmpp.example.org";

	assert_int_equal(statedb_rollover_owners_load(fx->db, DOMAIN, &owners), ERR_NOT_FOUND);
	assert_null(owners);
	assert_int_equal(statedb_rollover_owners_save(fx->db, DOMAIN, names), ERR_NOT_FOUND);
	assert_non_null(strstr(statedb_error(fx->db), DOMAIN));

	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_STAGED, "staged", NOW, NULL),
			 0);
	assert_int_equal(statedb_rollover_owners_load(fx->db, DOMAIN, &owners), 0);
	assert_string_equal(owners, "");
	free(owners);
	assert_int_equal(statedb_rollover_owners_save(fx->db, DOMAIN, names), 0);
	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_PUBLISHED, "published",
					       NOW + 1, "rollover: staged -> published"),
			 0);
	assert_int_equal(statedb_rollover_owners_load(fx->db, DOMAIN, &owners), 0);
	assert_string_equal(owners, names);
	free(owners);
	assert_int_equal(statedb_rollover_owners_save(fx->db, DOMAIN, NULL), -EINVAL);

	assert_int_equal(statedb_rollover_delete(fx->db, DOMAIN), 0);
	assert_int_equal(statedb_rollover_save(fx->db, DOMAIN, STATE_STAGED, "staged", NOW, NULL),
			 0);
	assert_int_equal(statedb_rollover_owners_load(fx->db, DOMAIN, &owners), 0);
	assert_string_equal(owners, "");
	free(owners);
}

static void test_rollover_upgrade_v1(void **state)
{
	struct fixture *fx = *state;
	struct statedb *db = NULL;
	char path[256], err[512] = "", *text = NULL;
	int64_t at = 0;

	snprintf(path, sizeof(path), "%s/v1.db", fx->dir);
	raw_exec_path(path, schema_v1);

	/* A reader never upgrades: it waits for the writer. */
	assert_int_equal(statedb_open(path, true, &db, err, sizeof(err)), ERR_STATEDB);
	assert_non_null(strstr(err, "schema version 1"));

	assert_int_equal(statedb_open(path, false, &db, err, sizeof(err)), 0);
	assert_int_equal(statedb_report(db, "old.example", &text, &at), 0);
	assert_string_equal(text, "{\"domain\":\"old.example\"}");
	assert_int_equal(at, NOW);
	free(text);
	assert_int_equal(statedb_rollover_load(db, DOMAIN, &text, NULL), ERR_NOT_FOUND);
	assert_int_equal(statedb_rollover_save(db, DOMAIN, STATE_STAGED, "staged", NOW + 60,
					       "rollover staged"),
			 0);
	statedb_close(db);
	db = NULL;

	assert_int_equal(statedb_open(path, true, &db, err, sizeof(err)), 0);
	assert_int_equal(statedb_rollover_load(db, DOMAIN, &text, &at), 0);
	assert_string_equal(text, STATE_STAGED);
	assert_int_equal(at, NOW + 60);
	free(text);
	statedb_close(db);

	assert_int_equal(raw_int_path(path, "PRAGMA user_version"), 3);
	/* Version 3's owners start empty. */
	assert_int_equal(raw_int_path(path, "SELECT count(*) FROM rollovers WHERE owners = ''"), 1);
	/* The old event and the new one, whose domain says whose rollover it was. */
	assert_int_equal(raw_int_path(path, "SELECT count(*) FROM events"), 2);
	assert_int_equal(raw_int_path(path, "SELECT count(*) FROM events WHERE"
					    " domain = 'example.org' AND what = 'rollover staged'"),
			 1);
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
		cmocka_unit_test_setup_teardown(test_rollover_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover_update_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover_event_same_transaction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rollovers_each_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover_kept_by_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover_owners, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover_upgrade_v1, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
