/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state db in SQLite: schema and its upgrades, one cached prepared
 * statement per query, and every SQLite status turned into a code of
 * common/err.h plus one line for statedb_error(). When a finding alerts is
 * alerttrack.c's; delivering the outbox is hooks.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "certs/rollover.h"
#include "common/err.h"
#include "daemon/alerttrack.h"
#include "daemon/statedb.h"

/*
 * The HTTP thread's reader never blocks the writer in WAL mode; the wait is
 * for another writer (an operator's sqlite3 shell), which should not make a
 * check fail at once but must not hang the loop for long either.
 */
#define STATEDB_BUSY_TIMEOUT_MS 5000
/* Cleared findings kept per domain as history: enough to see a pattern. */
#define STATEDB_HISTORY_MAX 100
/* Event log rows kept: days of events for a few hundred domains. */
#define STATEDB_EVENTS_MAX 10000
/* Delivered outbox rows kept, for an operator looking at what went out. */
#define STATEDB_DELIVERED_MAX 1000

/*
 * The schema, one script per version: statedb_schema[v] upgrades version v
 * to v + 1, and PRAGMA user_version says which version a file has.
 *
 * findings holds every occurrence of a finding: the tracked ones (active,
 * cleared == 0, or cleared but with an alert still resolving, alert != 0)
 * and the history of cleared ones. At most one tracked row per key and
 * domain, which the partial unique index enforces.
 *
 * rollovers (version 2) holds the rollover engine's state per domain as the
 * text of rollover_to_text, opaque here, and its phase name for a person
 * with sqlite3. It has no foreign key to reports on purpose: forgetting an
 * unconfigured domain's reports must never take a rollover in flight with it.
 * Its owners (version 3) are the TLSA owners the daemon writes the fragment
 * at, kept so that a restart never publishes at fewer of them.
 */
static const char *const statedb_schema[] = {
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
	" what TEXT NOT NULL);",
	/* 1 -> 2: certificate rollovers (DESIGN.md "Certificate rollover"). */
	"CREATE TABLE rollovers ("
	" domain TEXT PRIMARY KEY NOT NULL,"
	" state TEXT NOT NULL,"
	" phase TEXT NOT NULL,"
	" updated INTEGER NOT NULL);",
	/* 2 -> 3: the owners of a rollover's fragment. */
	"ALTER TABLE rollovers ADD COLUMN owners TEXT NOT NULL DEFAULT '';",
};

#define STATEDB_SCHEMA_VERSION ((int)(sizeof(statedb_schema) / sizeof(statedb_schema[0])))

/* The columns of a struct statedb_finding, in the order statedb_row reads them. */
#define STATEDB_FINDING_COLS                                                                    \
	"key, code, severity, service, target, port, address, message, first_seen, last_seen, " \
	"cleared, present_run, absent_run, alert, fired_at"
#define STATEDB_FINDING_NCOLS 15

/* X(id, sql): every statement, prepared on first use and kept on the handle. */
#define STATEDB_STMT_TABLE(X)                                                                      \
	X(BEGIN, "BEGIN IMMEDIATE")                                                                \
	X(COMMIT, "COMMIT")                                                                        \
	X(ROLLBACK, "ROLLBACK")                                                                    \
	X(REPORT_PUT,                                                                              \
	  "INSERT INTO reports(domain, checked_at, status, json) VALUES (?1, ?2, ?3, ?4)"          \
	  " ON CONFLICT(domain) DO UPDATE SET checked_at = excluded.checked_at,"                   \
	  " status = excluded.status, json = excluded.json")                                       \
	X(REPORT_GET, "SELECT json, checked_at FROM reports WHERE domain = ?1")                    \
	X(REPORTS_ALL, "SELECT domain, json FROM reports ORDER BY domain")                         \
	X(TRACKED, "SELECT " STATEDB_FINDING_COLS ", id FROM findings"                             \
		   " WHERE domain = ?1 AND (cleared = 0 OR alert != 0) ORDER BY id")               \
	X(ACTIVE, "SELECT " STATEDB_FINDING_COLS " FROM findings"                                  \
		  " WHERE domain = ?1 AND cleared = 0 ORDER BY first_seen, key")                   \
	X(FIRING, "SELECT " STATEDB_FINDING_COLS ", domain FROM findings"                          \
		  " WHERE alert != 0 ORDER BY domain, first_seen, key")                            \
	X(FINDING_INSERT,                                                                          \
	  "INSERT INTO findings(domain, key, code, severity, service, target, port, address,"      \
	  " message, first_seen, last_seen, cleared, present_run, absent_run, alert, fired_at)"    \
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)")       \
	X(FINDING_UPDATE,                                                                          \
	  "UPDATE findings SET severity = ?4, service = ?5, target = ?6, port = ?7,"               \
	  " address = ?8, message = ?9, first_seen = ?10, last_seen = ?11, cleared = ?12,"         \
	  " present_run = ?13, absent_run = ?14, alert = ?15, fired_at = ?16"                      \
	  " WHERE id = ?17 AND domain = ?1 AND key = ?2 AND code = ?3")                            \
	X(HISTORY_PRUNE,                                                                           \
	  "DELETE FROM findings WHERE domain = ?1 AND cleared != 0 AND alert = 0 AND id NOT IN"    \
	  " (SELECT id FROM findings WHERE domain = ?1 AND cleared != 0 AND alert = 0"             \
	  " ORDER BY cleared DESC, id DESC LIMIT ?2)")                                             \
	X(OUTBOX_INSERT, "INSERT INTO outbox(hook, event, created, attempts, next_try)"            \
			 " VALUES (?1, ?2, ?3, 0, ?3)")                                            \
	/* A row waits while an older one of the same hook and alert is undelivered: a  */         \
	/* "resolved" never overtakes its "firing" (which may be retrying or in flight).  */       \
	X(OUTBOX_DUE, "SELECT id, hook, event, attempts, next_try FROM outbox o"                   \
		      " WHERE delivered_at IS NULL AND next_try <= ?1 AND NOT EXISTS"              \
		      " (SELECT 1 FROM outbox p WHERE p.delivered_at IS NULL"                      \
		      " AND p.hook = o.hook AND p.id < o.id"                                       \
		      " AND json_extract(p.event, '$.domain') = json_extract(o.event, '$.domain')" \
		      " AND json_extract(p.event, '$.key') = json_extract(o.event, '$.key'))"      \
		      " ORDER BY id LIMIT ?2")                                                     \
	X(OUTBOX_DONE,                                                                             \
	  "UPDATE outbox SET delivered_at = ?2 WHERE id = ?1 AND delivered_at IS NULL")            \
	X(OUTBOX_PRUNE,                                                                            \
	  "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND id NOT IN"                        \
	  " (SELECT id FROM outbox WHERE delivered_at IS NOT NULL ORDER BY id DESC LIMIT ?1)")     \
	X(OUTBOX_RETRY, "UPDATE outbox SET attempts = attempts + 1, next_try = ?2"                 \
			" WHERE id = ?1 AND delivered_at IS NULL")                                 \
	X(OUTBOX_GET, "SELECT hook, event, attempts FROM outbox WHERE id = ?1")                    \
	X(OUTBOX_NEXT, "SELECT min(next_try), count(*) FROM outbox WHERE delivered_at IS NULL")    \
	X(EVENT_INSERT, "INSERT INTO events(at, domain, what) VALUES (?1, ?2, ?3)")                \
	X(EVENT_PRUNE, "DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?1")         \
	X(ROLLOVER_PUT,                                                                            \
	  "INSERT INTO rollovers(domain, state, phase, updated) VALUES (?1, ?2, ?3, ?4)"           \
	  " ON CONFLICT(domain) DO UPDATE SET state = excluded.state,"                             \
	  " phase = excluded.phase, updated = excluded.updated")                                   \
	X(ROLLOVER_GET, "SELECT state, updated FROM rollovers WHERE domain = ?1")                  \
	X(ROLLOVERS_ALL, "SELECT domain, state, phase, updated FROM rollovers ORDER BY domain")    \
	X(ROLLOVER_DELETE, "DELETE FROM rollovers WHERE domain = ?1")                              \
	X(ROLLOVER_OWNERS_PUT, "UPDATE rollovers SET owners = ?2 WHERE domain = ?1")               \
	X(ROLLOVER_OWNERS_GET, "SELECT owners FROM rollovers WHERE domain = ?1")                   \
	X(FORGET, "DELETE FROM reports WHERE domain NOT IN (SELECT value FROM json_each(?1))")

enum statedb_stmt_id {
#define STATEDB_STMT_ENUM_(id, sql) STATEDB_##id,
	STATEDB_STMT_TABLE(STATEDB_STMT_ENUM_)
#undef STATEDB_STMT_ENUM_
		STATEDB_STMT_COUNT
};

static const char *const statedb_sql[STATEDB_STMT_COUNT] = {
#define STATEDB_STMT_SQL_(id, sql) [STATEDB_##id] = sql,
	STATEDB_STMT_TABLE(STATEDB_STMT_SQL_)
#undef STATEDB_STMT_SQL_
};

struct statedb {
	sqlite3 *h;
	char *path;
	bool readonly;
	sqlite3_stmt *stmt[STATEDB_STMT_COUNT];
	char err[512];
};

/* Errors */

/* Keeps "path: SQLite's message" and returns the matching code. */
static int statedb_fail(struct statedb *db, int rc)
{
	const char *msg = db->h != NULL ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
	int sys = db->h != NULL ? sqlite3_system_errno(db->h) : 0;

	if (rc == SQLITE_CANTOPEN && sys != 0) {
		snprintf(db->err, sizeof(db->err), "%s: %s (%s)", db->path, msg, strerror(sys));
	} else {
		snprintf(db->err, sizeof(db->err), "%s: %s", db->path, msg);
	}
	return (rc & 0xff) == SQLITE_NOMEM ? -ENOMEM : ERR_STATEDB;
}

/* Keeps "path: what: message of code" for a failure outside SQLite. */
static int statedb_fail_code(struct statedb *db, int code, const char *what)
{
	snprintf(db->err, sizeof(db->err), "%s: %s: %s", db->path, what, err_str(code));
	return code;
}

const char *statedb_error(const struct statedb *db)
{
	return db != NULL ? db->err : "";
}

/* Statements */

static sqlite3_stmt *statedb_stmt(struct statedb *db, enum statedb_stmt_id id, int *r)
{
	int rc;

	if (db->stmt[id] == NULL) {
		rc = sqlite3_prepare_v3(db->h, statedb_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					&db->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			db->stmt[id] = NULL;
			*r = statedb_fail(db, rc);
			return NULL;
		}
	}
	return db->stmt[id];
}

/*
 * Ends a use of a statement. A statement left mid-way would hold its read
 * transaction open, and a WAL reader would keep seeing an old snapshot.
 */
static void statedb_done(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Binding: every bind_* returns SQLITE_OK (0) or an error, so a chain ORs them. */
static int statedb_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s != NULL ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC)
			 : sqlite3_bind_null(st, i);
}

static int statedb_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	return sqlite3_bind_int64(st, i, v);
}

/* Steps st to its end (a write or a statement without rows). */
static int statedb_step_done(struct statedb *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	return rc == SQLITE_DONE ? 0 : statedb_fail(db, rc);
}

/* Runs a statement without parameters or rows. */
static int statedb_run(struct statedb *db, enum statedb_stmt_id id)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB;

	st = statedb_stmt(db, id, &r);
	if (st == NULL) {
		return r;
	}
	r = statedb_step_done(db, st);
	statedb_done(st);
	return r;
}

static int statedb_begin(struct statedb *db)
{
	return statedb_run(db, STATEDB_BEGIN);
}

/* Ends the transaction: committed, or rolled back when the commit fails. */
static int statedb_commit(struct statedb *db)
{
	int r = statedb_run(db, STATEDB_COMMIT);

	if (r < 0 && !sqlite3_get_autocommit(db->h)) {
		(void)statedb_run(db, STATEDB_ROLLBACK);
	}
	return r;
}

/* Best effort, keeping the message of the failure that led here. */
static void statedb_rollback(struct statedb *db)
{
	char keep[sizeof(db->err)];

	if (sqlite3_get_autocommit(db->h)) {
		return; /* SQLite already rolled back (e.g. SQLITE_FULL) */
	}
	memcpy(keep, db->err, sizeof(keep));
	(void)statedb_run(db, STATEDB_ROLLBACK);
	memcpy(db->err, keep, sizeof(keep));
}

/* Opening and the schema */

/* An error line, cut at size: the one place lines are composed from long paths. */
static void statedb_line(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void statedb_line(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

/* A clearer line than SQLite's "unable to open database file" for a bad directory. */
static int statedb_check_dir(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == path) {
		snprintf(dir, sizeof(dir), "/");
	} else {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	}
	if (stat(dir, &st) < 0) {
		statedb_line(err, errlen, "%s: directory '%s': %s", path, dir, strerror(errno));
		return ERR_STATEDB;
	}
	if (!S_ISDIR(st.st_mode)) {
		statedb_line(err, errlen, "%s: '%s' is not a directory", path, dir);
		return ERR_STATEDB;
	}
	if (access(dir, X_OK) < 0) {
		statedb_line(err, errlen, "%s: directory '%s': %s", path, dir, strerror(errno));
		return ERR_STATEDB;
	}
	return 0;
}

static int statedb_exec(struct statedb *db, const char *sql)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : statedb_fail(db, rc);
}

/* Reads one integer from a pragma (or any one-row query). */
static int statedb_query_int(struct statedb *db, const char *sql, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		r = statedb_fail(db, rc);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = statedb_fail(db, rc);
		goto out;
	}
	*ret = sqlite3_column_int64(st, 0);
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

static int statedb_wal(struct statedb *db)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int rc, r;

	rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		r = statedb_fail(db, rc);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = statedb_fail(db, rc);
		goto out;
	}
	mode = sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		snprintf(db->err, sizeof(db->err),
			 "%s: cannot switch to WAL mode (journal mode %s)", db->path,
			 mode != NULL ? (const char *)mode : "unknown");
		r = ERR_STATEDB;
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

/* Creates or upgrades the schema, in one transaction. */
static int statedb_migrate(struct statedb *db)
{
	char sql[64];
	int64_t version;
	int r;

	r = statedb_begin(db);
	if (r < 0) {
		return r;
	}
	/* Read again under the write lock: another xdaned may just have upgraded. */
	r = statedb_query_int(db, "PRAGMA user_version", &version);
	if (r < 0) {
		goto out;
	}
	if (version > STATEDB_SCHEMA_VERSION) {
		snprintf(db->err, sizeof(db->err),
			 "%s: schema version %lld is newer than this xdaned's (%d)", db->path,
			 (long long)version, STATEDB_SCHEMA_VERSION);
		r = ERR_STATEDB;
		goto out;
	}
	for (; version < STATEDB_SCHEMA_VERSION; version++) {
		r = statedb_exec(db, statedb_schema[version]);
		if (r < 0) {
			goto out;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STATEDB_SCHEMA_VERSION);
	r = statedb_exec(db, sql);
	if (r < 0) {
		goto out;
	}
	r = statedb_commit(db);
out:
	if (r < 0) {
		statedb_rollback(db);
	}
	return r;
}

static int statedb_setup(struct statedb *db)
{
	int64_t version;
	int r;

	sqlite3_busy_timeout(db->h, STATEDB_BUSY_TIMEOUT_MS);
	/* The first read: a file that is not a database fails here, not later. */
	r = statedb_query_int(db, "PRAGMA user_version", &version);
	if (r < 0) {
		return r;
	}
	r = statedb_exec(db, "PRAGMA foreign_keys = ON");
	if (r < 0) {
		return r;
	}
	if (db->readonly) {
		if (version != STATEDB_SCHEMA_VERSION) {
			snprintf(db->err, sizeof(db->err),
				 "%s: schema version %lld, this xdaned reads version %d", db->path,
				 (long long)version, STATEDB_SCHEMA_VERSION);
			return ERR_STATEDB;
		}
		return 0;
	}
	r = statedb_wal(db);
	if (r < 0) {
		return r;
	}
	/* In WAL mode NORMAL loses no committed data on a crash of the process. */
	r = statedb_exec(db, "PRAGMA synchronous = NORMAL");
	if (r < 0) {
		return r;
	}
	return statedb_migrate(db);
}

int statedb_open(const char *path, bool readonly, struct statedb **ret, char *err, size_t errlen)
{
	struct statedb *db = NULL;
	char line[512] = "";
	int flags, rc, r = -ENOMEM;

	*ret = NULL;
	db = calloc(1, sizeof(*db));
	if (db == NULL) {
		snprintf(line, sizeof(line), "%s: %s", path, err_str(r));
		goto out;
	}
	db->readonly = readonly;
	db->path = strdup(path);
	if (db->path == NULL) {
		snprintf(line, sizeof(line), "%s: %s", path, err_str(r));
		goto out;
	}
	r = statedb_check_dir(path, line, sizeof(line));
	if (r < 0) {
		goto out;
	}
	/* One connection per thread (statedb.h), so SQLite's own mutexes are not needed. */
	flags = SQLITE_OPEN_NOMUTEX;
	flags |= readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &db->h, flags, NULL);
	if (rc != SQLITE_OK) {
		r = statedb_fail(db, rc);
		goto out;
	}
	r = statedb_setup(db);
out:
	if (r < 0) {
		if (db != NULL && db->err[0] != '\0') {
			snprintf(line, sizeof(line), "%s", db->err);
		}
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s", line);
		}
		statedb_close(db);
		return r;
	}
	*ret = db;
	return 0;
}

void statedb_close(struct statedb *db)
{
	size_t i;

	if (db == NULL) {
		return;
	}
	for (i = 0; i < STATEDB_STMT_COUNT; i++) {
		sqlite3_finalize(db->stmt[i]);
	}
	/* Closes even when something is unfinalized, as the destructor must. */
	sqlite3_close_v2(db->h);
	free(db->path);
	free(db);
}

/* Findings */

void statedb_findings_release(struct statedb_findings *l)
{
	if (l == NULL) {
		return;
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static struct statedb_finding *statedb_findings_grow(struct statedb_findings *l, size_t *cap)
{
	if (l->n == *cap) {
		size_t c = *cap != 0 ? 2 * *cap : 8;
		struct statedb_finding *grown = realloc(l->v, c * sizeof(*grown));

		if (grown == NULL) {
			return NULL;
		}
		l->v = grown;
		*cap = c;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n];
}

static void statedb_column_copy(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s != NULL ? (const char *)s : "");
}

/* Reads the STATEDB_FINDING_COLS of the current row; false for an unknown code. */
static bool statedb_row(sqlite3_stmt *st, struct statedb_finding *sf)
{
	const unsigned char *code = sqlite3_column_text(st, 1);
	int c = code != NULL ? finding_code_from_name((const char *)code) : -1;
	int64_t sev = sqlite3_column_int64(st, 2);
	int64_t alert = sqlite3_column_int64(st, 13);

	/* A code a newer xdane wrote and this one does not know: not ours to judge. */
	if (c < 0) {
		return false;
	}
	statedb_column_copy(st, 0, sf->key, sizeof(sf->key));
	sf->f.code = (enum finding_code)c;
	sf->f.severity = sev >= SEVERITY_OK && sev <= SEVERITY_CRITICAL ? (enum severity)sev
									: SEVERITY_CRITICAL;
	statedb_column_copy(st, 3, sf->f.service, sizeof(sf->f.service));
	statedb_column_copy(st, 4, sf->f.target, sizeof(sf->f.target));
	sf->f.port = (uint16_t)sqlite3_column_int(st, 5);
	statedb_column_copy(st, 6, sf->f.address, sizeof(sf->f.address));
	statedb_column_copy(st, 7, sf->f.message, sizeof(sf->f.message));
	sf->first_seen = sqlite3_column_int64(st, 8);
	sf->last_seen = sqlite3_column_int64(st, 9);
	sf->cleared = sqlite3_column_int64(st, 10);
	sf->present_run = (unsigned)sqlite3_column_int64(st, 11);
	sf->absent_run = (unsigned)sqlite3_column_int64(st, 12);
	sf->alert = alert >= ALERT_NONE && alert <= ALERT_RESOLVING ? (enum alert_state)alert
								    : ALERT_NONE;
	sf->fired_at = sqlite3_column_int64(st, 14);
	return true;
}

/*
 * Runs a findings query bound to domain (NULL: no parameter) and collects
 * its rows; the column after the finding's, when asked, goes to ret_ids
 * (integer) or ret_names (text), each parallel to ret.
 */
static int statedb_findings_query(struct statedb *db, enum statedb_stmt_id id, const char *domain,
				  struct statedb_findings *ret, int64_t **ret_ids,
				  char ***ret_names)
{
	struct statedb_findings l = {NULL, 0};
	int64_t *ids = NULL;
	char **names = NULL;
	size_t cap = 0, side_cap = 0, i;
	sqlite3_stmt *st;
	int rc, r = ERR_STATEDB;

	st = statedb_stmt(db, id, &r);
	if (st == NULL) {
		goto out;
	}
	if (domain != NULL && statedb_bind_text(st, 1, domain) != SQLITE_OK) {
		r = statedb_fail(db, sqlite3_errcode(db->h));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct statedb_finding *sf = statedb_findings_grow(&l, &cap);

		r = -ENOMEM;
		if (sf == NULL) {
			goto out;
		}
		if (ret_ids != NULL && side_cap < cap) {
			int64_t *grown = realloc(ids, cap * sizeof(*ids));

			if (grown == NULL) {
				goto out;
			}
			ids = grown;
			side_cap = cap;
		} else if (ret_names != NULL && side_cap < cap) {
			char **grown = realloc(names, cap * sizeof(*names));

			if (grown == NULL) {
				goto out;
			}
			names = grown;
			side_cap = cap;
		}
		if (!statedb_row(st, sf)) {
			continue;
		}
		if (ret_ids != NULL) {
			ids[l.n] = sqlite3_column_int64(st, STATEDB_FINDING_NCOLS);
		}
		if (ret_names != NULL) {
			const unsigned char *s = sqlite3_column_text(st, STATEDB_FINDING_NCOLS);

			names[l.n] = strdup(s != NULL ? (const char *)s : "");
			if (names[l.n] == NULL) {
				goto out;
			}
		}
		l.n++;
	}
	if (rc != SQLITE_DONE) {
		r = statedb_fail(db, rc);
		goto out;
	}
	*ret = l;
	l.v = NULL;
	if (ret_ids != NULL) {
		*ret_ids = ids;
		ids = NULL;
	}
	if (ret_names != NULL) {
		*ret_names = names;
		names = NULL;
	}
	r = 0;
out:
	if (r == -ENOMEM) {
		statedb_fail_code(db, r, "reading findings");
	}
	if (names != NULL) {
		for (i = 0; i < l.n; i++) {
			free(names[i]);
		}
	}
	free(names);
	free(ids);
	free(l.v);
	statedb_done(st);
	return r;
}

int statedb_active(struct statedb *db, const char *domain, struct statedb_findings *ret)
{
	ret->v = NULL;
	ret->n = 0;
	return statedb_findings_query(db, STATEDB_ACTIVE, domain, ret, NULL, NULL);
}

int statedb_firing(struct statedb *db, struct statedb_findings *ret, char ***domains)
{
	struct statedb_findings l = {NULL, 0};
	char **names = NULL, **block = NULL;
	size_t i, total = 0;
	char *p;
	int r;

	ret->v = NULL;
	ret->n = 0;
	*domains = NULL;
	r = statedb_findings_query(db, STATEDB_FIRING, NULL, &l, NULL, &names);
	if (r < 0 || l.n == 0) {
		goto out;
	}
	/* One block, pointers then strings, so that one free() releases it. */
	for (i = 0; i < l.n; i++) {
		total += strlen(names[i]) + 1;
	}
	block = malloc(l.n * sizeof(*block) + total);
	if (block == NULL) {
		r = statedb_fail_code(db, -ENOMEM, "reading findings");
		goto out;
	}
	p = (char *)(block + l.n);
	for (i = 0; i < l.n; i++) {
		size_t len = strlen(names[i]) + 1;

		memcpy(p, names[i], len);
		block[i] = p;
		p += len;
	}
	*ret = l;
	l.v = NULL;
	*domains = block;
	r = 0;
out:
	if (names != NULL) {
		for (i = 0; i < l.n; i++) {
			free(names[i]);
		}
	}
	free(names);
	free(l.v);
	return r;
}

static int statedb_finding_write(struct statedb *db, enum statedb_stmt_id id, const char *domain,
				 const struct statedb_finding *sf, int64_t row)
{
	const struct finding *f = &sf->f;
	const char *code = finding_code_name(f->code);
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	st = statedb_stmt(db, id, &r);
	if (st == NULL) {
		return r;
	}
	rc = statedb_bind_text(st, 1, domain);
	rc |= statedb_bind_text(st, 2, sf->key);
	rc |= statedb_bind_text(st, 3, code != NULL ? code : "UNKNOWN");
	rc |= statedb_bind_int(st, 4, f->severity);
	rc |= statedb_bind_text(st, 5, f->service);
	rc |= statedb_bind_text(st, 6, f->target);
	rc |= statedb_bind_int(st, 7, f->port);
	rc |= statedb_bind_text(st, 8, f->address);
	rc |= statedb_bind_text(st, 9, f->message);
	rc |= statedb_bind_int(st, 10, sf->first_seen);
	rc |= statedb_bind_int(st, 11, sf->last_seen);
	rc |= statedb_bind_int(st, 12, sf->cleared);
	rc |= statedb_bind_int(st, 13, sf->present_run);
	rc |= statedb_bind_int(st, 14, sf->absent_run);
	rc |= statedb_bind_int(st, 15, sf->alert);
	rc |= statedb_bind_int(st, 16, sf->fired_at);
	if (id == STATEDB_FINDING_UPDATE) {
		rc |= statedb_bind_int(st, 17, row);
	}
	if (rc != SQLITE_OK) {
		r = statedb_fail(db, sqlite3_errcode(db->h));
		goto out;
	}
	r = statedb_step_done(db, st);
	if (r == 0 && id == STATEDB_FINDING_UPDATE && sqlite3_changes(db->h) != 1) {
		snprintf(db->err, sizeof(db->err), "%s: finding row %lld of '%s' vanished",
			 db->path, (long long)row, domain);
		r = ERR_STATEDB;
	}
out:
	statedb_done(st);
	return r;
}

/* Events */

static int statedb_event_insert(struct statedb *db, int64_t now, const char *domain,
				const char *what)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	st = statedb_stmt(db, STATEDB_EVENT_INSERT, &r);
	if (st == NULL) {
		return r;
	}
	rc = statedb_bind_int(st, 1, now);
	rc |= statedb_bind_text(st, 2, domain);
	rc |= statedb_bind_text(st, 3, what);
	r = rc == SQLITE_OK ? statedb_step_done(db, st) : statedb_fail(db, sqlite3_errcode(db->h));
	statedb_done(st);
	return r;
}

static int statedb_eventf(struct statedb *db, int64_t now, const char *domain, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int statedb_eventf(struct statedb *db, int64_t now, const char *domain, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return statedb_event_insert(db, now, domain, what);
}

/* Deletes rows of a bounded table beyond its bound (id, limit). */
static int statedb_prune(struct statedb *db, enum statedb_stmt_id id, const char *domain,
			 int64_t keep)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	st = statedb_stmt(db, id, &r);
	if (st == NULL) {
		return r;
	}
	if (domain != NULL) {
		rc = statedb_bind_text(st, 1, domain);
		rc |= statedb_bind_int(st, 2, keep);
	} else {
		rc = statedb_bind_int(st, 1, keep);
	}
	r = rc == SQLITE_OK ? statedb_step_done(db, st) : statedb_fail(db, sqlite3_errcode(db->h));
	statedb_done(st);
	return r;
}

int statedb_event(struct statedb *db, int64_t now, const char *domain, const char *what)
{
	int r;

	r = statedb_begin(db);
	if (r < 0) {
		return r;
	}
	r = statedb_event_insert(db, now, domain, what);
	if (r < 0) {
		goto out;
	}
	r = statedb_prune(db, STATEDB_EVENT_PRUNE, NULL, STATEDB_EVENTS_MAX);
	if (r < 0) {
		goto out;
	}
	r = statedb_commit(db);
out:
	if (r < 0) {
		statedb_rollback(db);
	}
	return r;
}

/* Reports */

static int statedb_report_put(struct statedb *db, const char *domain, int64_t now,
			      const char *status, const char *json)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	st = statedb_stmt(db, STATEDB_REPORT_PUT, &r);
	if (st == NULL) {
		return r;
	}
	rc = statedb_bind_text(st, 1, domain);
	rc |= statedb_bind_int(st, 2, now);
	rc |= statedb_bind_text(st, 3, status);
	rc |= statedb_bind_text(st, 4, json != NULL ? json : "{}");
	r = rc == SQLITE_OK ? statedb_step_done(db, st) : statedb_fail(db, sqlite3_errcode(db->h));
	statedb_done(st);
	return r;
}

/*
 * The text in column 0 of the one row statement id finds for domain
 * (malloc'd) and, unless at is NULL, the integer in column 1; ERR_NOT_FOUND
 * ("no WHAT of domain ...") without a row.
 */
static int statedb_text_of(struct statedb *db, enum statedb_stmt_id id, const char *domain,
			   const char *what, char **text, int64_t *at)
{
	const unsigned char *t;
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	*text = NULL;
	st = statedb_stmt(db, id, &r);
	if (st == NULL) {
		return r;
	}
	if (statedb_bind_text(st, 1, domain) != SQLITE_OK) {
		r = statedb_fail(db, sqlite3_errcode(db->h));
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		snprintf(db->err, sizeof(db->err), "%s: no %s of domain '%s'", db->path, what,
			 domain);
		r = ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = statedb_fail(db, rc);
		goto out;
	}
	t = sqlite3_column_text(st, 0);
	if ((*text = strdup(t != NULL ? (const char *)t : "")) == NULL) {
		char doing[64];

		snprintf(doing, sizeof(doing), "reading a %s", what);
		r = statedb_fail_code(db, -ENOMEM, doing);
		goto out;
	}
	if (at != NULL) {
		*at = sqlite3_column_int64(st, 1);
	}
	r = 0;
out:
	statedb_done(st);
	return r;
}

int statedb_report(struct statedb *db, const char *domain, char **json, int64_t *checked_at)
{
	return statedb_text_of(db, STATEDB_REPORT_GET, domain, "report", json, checked_at);
}

int statedb_reports_each(struct statedb *db,
			 int (*fn)(void *arg, const char *domain, const char *json), void *arg)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	st = statedb_stmt(db, STATEDB_REPORTS_ALL, &r);
	if (st == NULL) {
		return r;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *d = sqlite3_column_text(st, 0);
		const unsigned char *j = sqlite3_column_text(st, 1);

		if (fn(arg, d != NULL ? (const char *)d : "", j != NULL ? (const char *)j : "{}") !=
		    0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	r = rc == SQLITE_DONE ? 0 : statedb_fail(db, rc);
	statedb_done(st);
	return r;
}

/* Checks */

static const char *statedb_status_name(enum severity status)
{
	const char *name = severity_name(status);

	return name != NULL ? name : "unknown";
}

static int statedb_outbox_insert(struct statedb *db, const char *hook, const char *event,
				 int64_t now)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	st = statedb_stmt(db, STATEDB_OUTBOX_INSERT, &r);
	if (st == NULL) {
		return r;
	}
	rc = statedb_bind_text(st, 1, hook);
	rc |= statedb_bind_text(st, 2, event);
	rc |= statedb_bind_int(st, 3, now);
	r = rc == SQLITE_OK ? statedb_step_done(db, st) : statedb_fail(db, sqlite3_errcode(db->h));
	statedb_done(st);
	return r;
}

/* Index of the entry of prev that is the same occurrence as sf, or -1. */
static ptrdiff_t statedb_same(const struct statedb_findings *prev, const struct statedb_finding *sf)
{
	size_t i;

	for (i = 0; i < prev->n; i++) {
		if (prev->v[i].first_seen == sf->first_seen &&
		    strcmp(prev->v[i].key, sf->key) == 0) {
			return (ptrdiff_t)i;
		}
	}
	return -1;
}

/* Writes the tracked list of one step back, with an event for each change a person cares about. */
static int statedb_store_tracked(struct statedb *db, const char *domain, int64_t now,
				 const struct statedb_findings *prev, const int64_t *ids,
				 const struct statedb_findings *next)
{
	size_t i;
	int r = 0;

	for (i = 0; i < next->n && r == 0; i++) {
		const struct statedb_finding *sf = &next->v[i];
		ptrdiff_t j = statedb_same(prev, sf);
		const char *sev = statedb_status_name(sf->f.severity);

		if (j < 0) {
			r = statedb_finding_write(db, STATEDB_FINDING_INSERT, domain, sf, 0);
			if (r == 0) {
				r = statedb_eventf(db, now, domain, "finding %s appeared (%s)",
						   sf->key, sev);
			}
			continue;
		}
		r = statedb_finding_write(db, STATEDB_FINDING_UPDATE, domain, sf, ids[j]);
		if (r == 0 && prev->v[j].cleared == 0 && sf->cleared != 0) {
			r = statedb_eventf(db, now, domain, "finding %s cleared", sf->key);
		} else if (r == 0 && prev->v[j].cleared != 0 && sf->cleared == 0) {
			r = statedb_eventf(db, now, domain, "finding %s is back (%s)", sf->key,
					   sev);
		}
	}
	return r;
}

/* Queues one outbox row per hook for each transition. */
static int statedb_queue(struct statedb *db, const char *domain, int64_t now,
			 const struct statedb_findings *next, const struct alert_transition *tr,
			 size_t n_tr, const char *const *hooks, size_t n_hooks)
{
	char *event = NULL;
	size_t i, k;
	int r = 0;

	for (i = 0; i < n_tr && r == 0; i++) {
		const struct statedb_finding *sf = &next->v[tr[i].index];
		bool fires = tr[i].kind == ALERT_FIRES;

		r = alerttrack_event_json(domain, sf, tr[i].kind, now, &event);
		if (r < 0) {
			r = statedb_fail_code(db, r, "building an alert event");
			break;
		}
		for (k = 0; k < n_hooks && r == 0; k++) {
			r = statedb_outbox_insert(db, hooks[k], event, now);
		}
		free(event);
		event = NULL;
		if (r == 0) {
			r = statedb_eventf(db, now, domain, "alert %s %s (%s)", sf->key,
					   fires ? "firing" : "resolved",
					   statedb_status_name(sf->f.severity));
		}
	}
	return r;
}

int statedb_record_check(struct statedb *db, const char *domain, int64_t now, enum severity status,
			 const char *report_json, const struct findings *found,
			 unsigned consecutive, const char *const *hooks, size_t n_hooks,
			 struct statedb_findings *active, size_t *transitions)
{
	struct statedb_findings prev = {NULL, 0}, next = {NULL, 0}, act = {NULL, 0};
	struct alert_transition *tr = NULL;
	int64_t *ids = NULL;
	size_t n_tr = 0;
	bool in_tx = false;
	int r;

	active->v = NULL;
	active->n = 0;
	*transitions = 0;
	r = statedb_begin(db);
	if (r < 0) {
		goto out;
	}
	in_tx = true;
	r = statedb_report_put(db, domain, now, statedb_status_name(status), report_json);
	if (r < 0) {
		goto out;
	}
	r = statedb_findings_query(db, STATEDB_TRACKED, domain, &prev, &ids, NULL);
	if (r < 0) {
		goto out;
	}
	r = alerttrack_step(&prev, found, now, consecutive, &next, &tr, &n_tr);
	if (r < 0) {
		r = statedb_fail_code(db, r, "tracking alerts");
		goto out;
	}
	r = statedb_store_tracked(db, domain, now, &prev, ids, &next);
	if (r < 0) {
		goto out;
	}
	r = statedb_queue(db, domain, now, &next, tr, n_tr, hooks, n_hooks);
	if (r < 0) {
		goto out;
	}
	r = statedb_prune(db, STATEDB_HISTORY_PRUNE, domain, STATEDB_HISTORY_MAX);
	if (r < 0) {
		goto out;
	}
	r = statedb_prune(db, STATEDB_EVENT_PRUNE, NULL, STATEDB_EVENTS_MAX);
	if (r < 0) {
		goto out;
	}
	r = statedb_active(db, domain, &act);
	if (r < 0) {
		goto out;
	}
	in_tx = false;
	r = statedb_commit(db);
	if (r < 0) {
		goto out;
	}
	*active = act;
	act.v = NULL;
	*transitions = n_tr;
out:
	if (in_tx) {
		statedb_rollback(db);
	}
	statedb_findings_release(&act);
	statedb_findings_release(&prev);
	statedb_findings_release(&next);
	free(ids);
	free(tr);
	return r;
}

/* The "error" member of a report, or a generic line. */
static void statedb_report_error(const char *report_json, char *out, size_t size)
{
	json_t *o = report_json != NULL ? json_loads(report_json, 0, NULL) : NULL;
	const char *why = json_string_value(json_object_get(o, "error"));

	snprintf(out, size, "check failed: %s", why != NULL ? why : "no result");
	json_decref(o);
}

int statedb_record_error(struct statedb *db, const char *domain, int64_t now,
			 const char *report_json)
{
	char what[600];
	int r;

	statedb_report_error(report_json, what, sizeof(what));
	r = statedb_begin(db);
	if (r < 0) {
		return r;
	}
	r = statedb_report_put(db, domain, now, "unknown", report_json);
	if (r < 0) {
		goto out;
	}
	r = statedb_event_insert(db, now, domain, what);
	if (r < 0) {
		goto out;
	}
	r = statedb_prune(db, STATEDB_EVENT_PRUNE, NULL, STATEDB_EVENTS_MAX);
	if (r < 0) {
		goto out;
	}
	r = statedb_commit(db);
out:
	if (r < 0) {
		statedb_rollback(db);
	}
	return r;
}

/* Outbox */

void statedb_deliveries_release(struct statedb_deliveries *l)
{
	size_t i;

	if (l == NULL) {
		return;
	}
	for (i = 0; i < l->n; i++) {
		free(l->v[i].event);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int statedb_outbox_due(struct statedb *db, int64_t now, size_t max, struct statedb_deliveries *ret)
{
	struct statedb_deliveries l = {NULL, 0};
	sqlite3_stmt *st;
	size_t cap = 0;
	int r = ERR_STATEDB, rc;

	ret->v = NULL;
	ret->n = 0;
	if (max == 0) {
		return 0;
	}
	st = statedb_stmt(db, STATEDB_OUTBOX_DUE, &r);
	if (st == NULL) {
		return r;
	}
	rc = statedb_bind_int(st, 1, now);
	rc |= statedb_bind_int(st, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	if (rc != SQLITE_OK) {
		r = statedb_fail(db, sqlite3_errcode(db->h));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct statedb_delivery *d;
		const unsigned char *text;

		if (l.n == cap) {
			size_t c = cap != 0 ? 2 * cap : 16;
			struct statedb_delivery *grown = realloc(l.v, c * sizeof(*grown));

			if (grown == NULL) {
				r = statedb_fail_code(db, -ENOMEM, "reading the outbox");
				goto out;
			}
			l.v = grown;
			cap = c;
		}
		d = &l.v[l.n];
		memset(d, 0, sizeof(*d));
		d->id = sqlite3_column_int64(st, 0);
		statedb_column_copy(st, 1, d->hook, sizeof(d->hook));
		text = sqlite3_column_text(st, 2);
		d->event = strdup(text != NULL ? (const char *)text : "{}");
		if (d->event == NULL) {
			r = statedb_fail_code(db, -ENOMEM, "reading the outbox");
			goto out;
		}
		d->attempts = (unsigned)sqlite3_column_int64(st, 3);
		d->next_try = sqlite3_column_int64(st, 4);
		l.n++;
	}
	if (rc != SQLITE_DONE) {
		r = statedb_fail(db, rc);
		goto out;
	}
	*ret = l;
	l.v = NULL;
	l.n = 0;
	r = 0;
out:
	statedb_deliveries_release(&l);
	statedb_done(st);
	return r;
}

/* Runs an UPDATE of one outbox row by id; ERR_NOT_FOUND when it matched none. */
static int statedb_outbox_update(struct statedb *db, enum statedb_stmt_id id, int64_t row,
				 int64_t value)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	st = statedb_stmt(db, id, &r);
	if (st == NULL) {
		return r;
	}
	rc = statedb_bind_int(st, 1, row);
	rc |= statedb_bind_int(st, 2, value);
	r = rc == SQLITE_OK ? statedb_step_done(db, st) : statedb_fail(db, sqlite3_errcode(db->h));
	if (r == 0 && sqlite3_changes(db->h) == 0) {
		snprintf(db->err, sizeof(db->err), "%s: no undelivered outbox row %lld", db->path,
			 (long long)row);
		r = ERR_NOT_FOUND;
	}
	statedb_done(st);
	return r;
}

int statedb_outbox_done(struct statedb *db, int64_t id, int64_t now)
{
	int r;

	r = statedb_begin(db);
	if (r < 0) {
		return r;
	}
	r = statedb_outbox_update(db, STATEDB_OUTBOX_DONE, id, now);
	if (r < 0) {
		goto out;
	}
	r = statedb_prune(db, STATEDB_OUTBOX_PRUNE, NULL, STATEDB_DELIVERED_MAX);
	if (r < 0) {
		goto out;
	}
	r = statedb_commit(db);
out:
	if (r < 0) {
		statedb_rollback(db);
	}
	return r;
}

/* The domain an event JSON names, for the event log; NULL if none. */
static char *statedb_event_domain(const char *event)
{
	json_t *o = json_loads(event, 0, NULL);
	const char *d = json_string_value(json_object_get(o, "domain"));
	char *copy = d != NULL ? strdup(d) : NULL;

	json_decref(o);
	return copy;
}

int statedb_outbox_retry(struct statedb *db, int64_t id, int64_t next_try, const char *why)
{
	sqlite3_stmt *st = NULL;
	char *domain = NULL;
	int r, rc;

	r = statedb_begin(db);
	if (r < 0) {
		return r;
	}
	r = statedb_outbox_update(db, STATEDB_OUTBOX_RETRY, id, next_try);
	if (r < 0) {
		goto out;
	}
	st = statedb_stmt(db, STATEDB_OUTBOX_GET, &r);
	if (st == NULL) {
		goto out;
	}
	if (statedb_bind_int(st, 1, id) != SQLITE_OK) {
		r = statedb_fail(db, sqlite3_errcode(db->h));
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = statedb_fail(db, rc);
		goto out;
	}
	domain = statedb_event_domain((const char *)sqlite3_column_text(st, 1));
	/*
	 * The event log's time is the wall clock here: the caller has no `now`
	 * to give, and the time only informs a person reading the log.
	 */
	r = statedb_eventf(db, (int64_t)time(NULL), domain,
			   "delivery %lld to hook '%s' failed (attempt %lld): %s, retrying at %lld",
			   (long long)id, (const char *)sqlite3_column_text(st, 0),
			   (long long)sqlite3_column_int64(st, 2), why != NULL ? why : "unknown",
			   (long long)next_try);
	if (r < 0) {
		goto out;
	}
	statedb_done(st);
	st = NULL;
	r = statedb_prune(db, STATEDB_EVENT_PRUNE, NULL, STATEDB_EVENTS_MAX);
	if (r < 0) {
		goto out;
	}
	r = statedb_commit(db);
out:
	statedb_done(st);
	if (r < 0) {
		statedb_rollback(db);
	}
	free(domain);
	return r;
}

int statedb_outbox_next(struct statedb *db, int64_t *next_try)
{
	size_t pending;

	return statedb_outbox_pending(db, next_try, &pending);
}

int statedb_outbox_pending(struct statedb *db, int64_t *next_try, size_t *pending)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	*next_try = 0;
	*pending = 0;
	st = statedb_stmt(db, STATEDB_OUTBOX_NEXT, &r);
	if (st == NULL) {
		return r;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = statedb_fail(db, rc);
		goto out;
	}
	/* min() of no rows is NULL, which reads as 0: "none". */
	*next_try = sqlite3_column_int64(st, 0);
	*pending = (size_t)sqlite3_column_int64(st, 1);
	r = 0;
out:
	statedb_done(st);
	return r;
}

/* Rollovers */

static int statedb_rollover_put(struct statedb *db, const char *domain, const char *state_text,
				const char *phase, int64_t now)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	st = statedb_stmt(db, STATEDB_ROLLOVER_PUT, &r);
	if (st == NULL) {
		return r;
	}
	rc = statedb_bind_text(st, 1, domain);
	rc |= statedb_bind_text(st, 2, state_text);
	rc |= statedb_bind_text(st, 3, phase);
	rc |= statedb_bind_int(st, 4, now);
	r = rc == SQLITE_OK ? statedb_step_done(db, st) : statedb_fail(db, sqlite3_errcode(db->h));
	statedb_done(st);
	return r;
}

int statedb_rollover_save(struct statedb *db, const char *domain, const char *state_text,
			  const char *phase, int64_t now, const char *event)
{
	int r;

	if (domain == NULL || state_text == NULL || phase == NULL) {
		return statedb_fail_code(db, -EINVAL, "saving a rollover");
	}
	/* rollover_from_text will never read more, so a longer text would be lost state. */
	if (strlen(state_text) >= ROLLOVER_TEXT_MAX) {
		snprintf(db->err, sizeof(db->err), "%s: rollover state of domain '%s': %s",
			 db->path, domain, err_str(ERR_TOO_BIG));
		return ERR_TOO_BIG;
	}
	r = statedb_begin(db);
	if (r < 0) {
		return r;
	}
	r = statedb_rollover_put(db, domain, state_text, phase, now);
	if (r < 0) {
		goto out;
	}
	if (event != NULL) {
		r = statedb_event_insert(db, now, domain, event);
		if (r < 0) {
			goto out;
		}
		r = statedb_prune(db, STATEDB_EVENT_PRUNE, NULL, STATEDB_EVENTS_MAX);
		if (r < 0) {
			goto out;
		}
	}
	r = statedb_commit(db);
out:
	if (r < 0) {
		statedb_rollback(db);
	}
	return r;
}

int statedb_rollover_load(struct statedb *db, const char *domain, char **state_text,
			  int64_t *updated)
{
	return statedb_text_of(db, STATEDB_ROLLOVER_GET, domain, "rollover", state_text, updated);
}

int statedb_rollovers_each(struct statedb *db,
			   int (*fn)(void *arg, const char *domain, const char *state_text,
				     const char *phase, int64_t updated),
			   void *arg)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	st = statedb_stmt(db, STATEDB_ROLLOVERS_ALL, &r);
	if (st == NULL) {
		return r;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *d = sqlite3_column_text(st, 0);
		const unsigned char *s = sqlite3_column_text(st, 1);
		const unsigned char *p = sqlite3_column_text(st, 2);

		if (fn(arg, d != NULL ? (const char *)d : "", s != NULL ? (const char *)s : "",
		       p != NULL ? (const char *)p : "", sqlite3_column_int64(st, 3)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	r = rc == SQLITE_DONE ? 0 : statedb_fail(db, rc);
	statedb_done(st);
	return r;
}

int statedb_rollover_delete(struct statedb *db, const char *domain)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB;

	st = statedb_stmt(db, STATEDB_ROLLOVER_DELETE, &r);
	if (st == NULL) {
		return r;
	}
	r = statedb_bind_text(st, 1, domain) == SQLITE_OK
		    ? statedb_step_done(db, st)
		    : statedb_fail(db, sqlite3_errcode(db->h));
	if (r == 0 && sqlite3_changes(db->h) == 0) {
		snprintf(db->err, sizeof(db->err), "%s: no rollover of domain '%s'", db->path,
			 domain);
		r = ERR_NOT_FOUND;
	}
	statedb_done(st);
	return r;
}

int statedb_rollover_owners_save(struct statedb *db, const char *domain, const char *owners)
{
	sqlite3_stmt *st;
	int r = ERR_STATEDB, rc;

	if (domain == NULL || owners == NULL) {
		return statedb_fail_code(db, -EINVAL, "saving a rollover's owners");
	}
	st = statedb_stmt(db, STATEDB_ROLLOVER_OWNERS_PUT, &r);
	if (st == NULL) {
		return r;
	}
	rc = statedb_bind_text(st, 1, domain);
	rc |= statedb_bind_text(st, 2, owners);
	r = rc == SQLITE_OK ? statedb_step_done(db, st) : statedb_fail(db, sqlite3_errcode(db->h));
	if (r == 0 && sqlite3_changes(db->h) == 0) {
		snprintf(db->err, sizeof(db->err), "%s: no rollover of domain '%s'", db->path,
			 domain);
		r = ERR_NOT_FOUND;
	}
	statedb_done(st);
	return r;
}

int statedb_rollover_owners_load(struct statedb *db, const char *domain, char **owners)
{
	return statedb_text_of(db, STATEDB_ROLLOVER_OWNERS_GET, domain, "rollover", owners, NULL);
}

int statedb_forget_except(struct statedb *db, const char *const *domains, size_t n)
{
	json_t *a = json_array();
	sqlite3_stmt *st = NULL;
	char *text = NULL;
	size_t i;
	int r = -ENOMEM;

	if (a == NULL) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (json_array_append_new(a, json_string(domains[i])) < 0) {
			goto out;
		}
	}
	text = json_dumps(a, JSON_COMPACT);
	if (text == NULL) {
		goto out;
	}
	st = statedb_stmt(db, STATEDB_FORGET, &r);
	if (st == NULL) {
		goto out;
	}
	/*
	 * The findings go with their report (ON DELETE CASCADE), in this one
	 * statement; rollovers stay (statedb.h).
	 */
	r = statedb_bind_text(st, 1, text) == SQLITE_OK ? statedb_step_done(db, st)
							: statedb_fail(db, sqlite3_errcode(db->h));
out:
	if (r == -ENOMEM) {
		statedb_fail_code(db, r, "forgetting domains");
	}
	statedb_done(st);
	free(text);
	json_decref(a);
	return r;
}
