/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/alerttrack: each row is a run of checks of one
 * domain (which findings each check found) and the transitions each check
 * must produce; then the details the rows cannot show (first_seen, the
 * cleared record, merging, the event JSON).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "daemon/alerttrack.h"

/* 2026-11-18T11:06:40Z; no test reads the clock. */
#define NOW	  ((int64_t)1795000000)
#define INTERVAL  60
#define MAX_STEPS 8

/*
 * The findings a check can contain, by letter. X has A's key (same code and
 * subject) with a lower severity and another message, for merging.
 */
static void add(struct findings *l, char letter)
{
	int r = -1;

	switch (letter) {
	case 'A':
		r = findings_add(l, FINDING_TLSA_MISMATCH, SEVERITY_CRITICAL, "xmpp-client", "a",
				 5222, "192.0.2.1", "A first");
		break;
	case 'X':
		r = findings_add(l, FINDING_TLSA_MISMATCH, SEVERITY_WARNING, "xmpp-client", "a",
				 5222, "192.0.2.1", "X second");
		break;
	case 'B':
		r = findings_add(l, FINDING_TLSA_MISSING, SEVERITY_WARNING, "xmpp-server", "b",
				 5269, NULL, "B");
		break;
	case 'I':
		r = findings_add(l, FINDING_TLSA_NO_ROLLOVER_SLOT, SEVERITY_INFO, "xmpp-client",
				 "i", 5222, NULL, "I");
		break;
	default:
		fail_msg("unknown finding letter %c", letter);
	}
	assert_int_equal(r, 0);
}

/* The letter of a tracked finding: its target, upper-cased. */
static char letter_of(const struct statedb_finding *sf)
{
	return (char)(sf->f.target[0] - 'a' + 'A');
}

struct tracker {
	struct statedb_findings tracked;
	unsigned consecutive;
	int64_t now;
};

static void tracker_release(struct tracker *t)
{
	statedb_findings_release(&t->tracked);
}

/*
 * One check with the findings named by letters; writes its transitions as
 * "+A" (fires) and "-A" (resolves) into out.
 */
static void tracker_check(struct tracker *t, const char *letters, char *out, size_t size)
{
	struct findings found = {0};
	struct statedb_findings next = {0};
	struct alert_transition *tr = NULL;
	size_t n_tr = 0, i, len = 0;

	for (i = 0; letters[i] != '\0'; i++) {
		add(&found, letters[i]);
	}
	t->now += INTERVAL;
	assert_int_equal(
		alerttrack_step(&t->tracked, &found, t->now, t->consecutive, &next, &tr, &n_tr), 0);
	out[0] = '\0';
	for (i = 0; i < n_tr; i++) {
		assert_true(tr[i].index < next.n);
		len += (size_t)snprintf(out + len, size - len, "%c%c",
					tr[i].kind == ALERT_FIRES ? '+' : '-',
					letter_of(&next.v[tr[i].index]));
	}
	statedb_findings_release(&t->tracked);
	t->tracked = next;
	free(tr);
	findings_release(&found);
}

/* The tracked entry of letter, or NULL. */
static const struct statedb_finding *tracked(const struct tracker *t, char letter)
{
	size_t i;

	for (i = 0; i < t->tracked.n; i++) {
		if (letter_of(&t->tracked.v[i]) == letter) {
			return &t->tracked.v[i];
		}
	}
	return NULL;
}

static const struct {
	const char *name;
	unsigned consecutive;
	const char *checks[MAX_STEPS]; /* findings of each check; NULL ends */
	const char *expect[MAX_STEPS]; /* transitions of each check */
} rows[] = {
	{"fires after N=2, not before", 2, {"A", "A", "A"}, {"", "+A", ""}},
	{"fires after N=3, not before", 3, {"A", "A", "A", "A"}, {"", "", "+A", ""}},
	{"N=1 fires and resolves at once", 1, {"A", "", "A"}, {"+A", "-A", "+A"}},
	{"N=0 counts as 1", 0, {"B", ""}, {"+B", "-B"}},
	{"flapping never fires with N=2",
	 2,
	 {"A", "", "A", "", "A", "", "A"},
	 {"", "", "", "", "", "", ""}},
	{"resolves after N=2 clean checks", 2, {"A", "A", "", "", ""}, {"", "+A", "", "-A", ""}},
	{"resolves after N=3 clean checks",
	 3,
	 {"B", "B", "B", "", "", "", ""},
	 {"", "", "+B", "", "", "-B", ""}},
	{"back while resolving: still firing, no transition",
	 2,
	 {"A", "A", "", "A", "", ""},
	 {"", "+A", "", "", "", "-A"}},
	{"flapping while firing never resolves",
	 2,
	 {"A", "A", "", "A", "", "A", ""},
	 {"", "+A", "", "", "", "", ""}},
	{"fires again after it resolved",
	 2,
	 {"A", "A", "", "", "A", "A"},
	 {"", "+A", "", "-A", "", "+A"}},
	{"two findings, each its own alert",
	 2,
	 {"AB", "AB", "B", "B", "", ""},
	 {"", "+A+B", "", "-A", "", "-B"}},
	{"same key twice in one check is one alert", 2, {"AX", "XA", "X"}, {"", "+A", ""}},
	{"same key as lower severity still counts", 2, {"X", "A"}, {"", "+A"}},
	{"info never alerts", 2, {"I", "I", "I", "", "I"}, {"", "", "", "", ""}},
	{"info never alerts, even with N=1", 1, {"I", "I", ""}, {"", "", ""}},
	{"info beside a firing finding", 2, {"IA", "IA", "I", "I"}, {"", "+A", "", "-A"}},
};

static void test_rows(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tracker t = {.consecutive = rows[i].consecutive, .now = NOW};
		char got[64];

		for (k = 0; k < MAX_STEPS && rows[i].checks[k] != NULL; k++) {
			tracker_check(&t, rows[i].checks[k], got, sizeof(got));
			if (strcmp(got, rows[i].expect[k]) != 0) {
				tracker_release(&t);
				fail_msg("row '%s', check %zu: transitions '%s', expected '%s'",
					 rows[i].name, k + 1, got, rows[i].expect[k]);
			}
		}
		tracker_release(&t);
	}
}

/* first_seen holds while present; a cleared finding that comes back is a new occurrence. */
static void test_first_seen(void **state)
{
	struct tracker t = {.consecutive = 3, .now = NOW};
	const struct statedb_finding *a;
	int64_t first;
	char got[64];

	(void)state;
	tracker_check(&t, "A", got, sizeof(got));
	first = t.now;
	tracker_check(&t, "A", got, sizeof(got));
	a = tracked(&t, 'A');
	assert_non_null(a);
	assert_int_equal(a->first_seen, first);
	assert_int_equal(a->last_seen, t.now);
	assert_int_equal(a->present_run, 2);
	assert_int_equal(a->cleared, 0);
	assert_int_equal(a->alert, ALERT_NONE);

	/* Absent, never fired: cleared at once, kept for this step only. */
	tracker_check(&t, "", got, sizeof(got));
	a = tracked(&t, 'A');
	assert_non_null(a);
	assert_int_equal(a->cleared, t.now);
	assert_int_equal(a->first_seen, first);
	assert_int_equal(a->present_run, 0);
	assert_int_equal(a->absent_run, 1);

	tracker_check(&t, "", got, sizeof(got));
	assert_null(tracked(&t, 'A'));

	tracker_check(&t, "A", got, sizeof(got));
	a = tracked(&t, 'A');
	assert_non_null(a);
	assert_int_equal(a->first_seen, t.now);
	assert_int_equal(a->present_run, 1);
	tracker_release(&t);
}

/* Back the very next check after it cleared: still a new occurrence. */
static void test_reappears_next_check(void **state)
{
	struct tracker t = {.consecutive = 2, .now = NOW};
	char got[64];

	(void)state;
	tracker_check(&t, "B", got, sizeof(got));
	tracker_check(&t, "", got, sizeof(got));
	tracker_check(&t, "B", got, sizeof(got));
	assert_string_equal(got, "");
	assert_int_equal(tracked(&t, 'B')->first_seen, t.now);
	assert_int_equal(tracked(&t, 'B')->cleared, 0);
	tracker_check(&t, "B", got, sizeof(got));
	assert_string_equal(got, "+B");
	tracker_release(&t);
}

/* A firing finding keeps its record while it counts towards resolving. */
static void test_resolving_record(void **state)
{
	struct tracker t = {.consecutive = 2, .now = NOW};
	const struct statedb_finding *a;
	int64_t first, fired, gone;
	char got[64];

	(void)state;
	tracker_check(&t, "A", got, sizeof(got));
	first = t.now;
	tracker_check(&t, "A", got, sizeof(got));
	fired = t.now;
	a = tracked(&t, 'A');
	assert_int_equal(a->alert, ALERT_FIRING);
	assert_int_equal(a->fired_at, fired);

	tracker_check(&t, "", got, sizeof(got));
	gone = t.now;
	a = tracked(&t, 'A');
	assert_non_null(a);
	assert_int_equal(a->alert, ALERT_RESOLVING);
	assert_int_equal(a->cleared, gone);
	assert_int_equal(a->absent_run, 1);
	assert_int_equal(a->last_seen, fired);

	/* Resolved: cleared stays the time it was first absent; fired_at is kept for the event. */
	tracker_check(&t, "", got, sizeof(got));
	assert_string_equal(got, "-A");
	a = tracked(&t, 'A');
	assert_non_null(a);
	assert_int_equal(a->alert, ALERT_NONE);
	assert_int_equal(a->cleared, gone);
	assert_int_equal(a->absent_run, 2);
	assert_int_equal(a->fired_at, fired);
	assert_int_equal(a->first_seen, first);

	tracker_check(&t, "", got, sizeof(got));
	assert_null(tracked(&t, 'A'));
	tracker_release(&t);
}

/* Back while resolving: the same occurrence, still firing since fired_at. */
static void test_back_while_resolving(void **state)
{
	struct tracker t = {.consecutive = 2, .now = NOW};
	const struct statedb_finding *a;
	int64_t first, fired;
	char got[64];

	(void)state;
	tracker_check(&t, "A", got, sizeof(got));
	first = t.now;
	tracker_check(&t, "A", got, sizeof(got));
	fired = t.now;
	tracker_check(&t, "", got, sizeof(got));
	tracker_check(&t, "A", got, sizeof(got));
	a = tracked(&t, 'A');
	assert_int_equal(a->alert, ALERT_FIRING);
	assert_int_equal(a->first_seen, first);
	assert_int_equal(a->fired_at, fired);
	assert_int_equal(a->cleared, 0);
	assert_int_equal(a->absent_run, 0);
	tracker_release(&t);
}

/* Merged: worst severity, the first message; the key as the header says. */
static void test_merge(void **state)
{
	struct tracker t = {.consecutive = 2, .now = NOW};
	const struct statedb_finding *a;
	char got[64];

	(void)state;
	tracker_check(&t, "XA", got, sizeof(got));
	assert_int_equal(t.tracked.n, 1);
	a = tracked(&t, 'A');
	assert_int_equal(a->f.severity, SEVERITY_CRITICAL);
	assert_string_equal(a->f.message, "X second");
	assert_string_equal(a->key, "TLSA_MISMATCH|xmpp-client|a|5222|192.0.2.1");
	tracker_release(&t);
}

/* A firing warning that turns critical: no new transition, the record follows. */
static void test_severity_change(void **state)
{
	struct tracker t = {.consecutive = 2, .now = NOW};
	char got[64];

	(void)state;
	tracker_check(&t, "X", got, sizeof(got));
	tracker_check(&t, "X", got, sizeof(got));
	assert_string_equal(got, "+A");
	tracker_check(&t, "A", got, sizeof(got));
	assert_string_equal(got, "");
	assert_int_equal(tracked(&t, 'A')->f.severity, SEVERITY_CRITICAL);
	assert_string_equal(tracked(&t, 'A')->f.message, "A first");
	tracker_release(&t);
}

static void test_key(void **state)
{
	struct findings l = {0};
	char key[sizeof(((struct statedb_finding *)0)->key)];

	(void)state;
	assert_int_equal(findings_add(&l, FINDING_DNSSEC_INSECURE, SEVERITY_WARNING, NULL, NULL, 0,
				      NULL, "zone"),
			 0);
	alerttrack_key(&l.v[0], key, sizeof(key));
	assert_string_equal(key, "DNSSEC_INSECURE||||");
	findings_release(&l);
}

/* No previous list and no findings: empty outputs, not an error. */
static void test_empty(void **state)
{
	struct statedb_findings next = {0};
	struct alert_transition *tr = NULL;
	size_t n_tr = 1;

	(void)state;
	assert_int_equal(alerttrack_step(NULL, NULL, NOW, 2, &next, &tr, &n_tr), 0);
	assert_int_equal(next.n, 0);
	assert_null(next.v);
	assert_int_equal(n_tr, 0);
	assert_null(tr);
}

static json_t *event(const struct statedb_finding *sf, enum alert_transition_kind kind, int64_t now)
{
	json_error_t jerr;
	char *text = NULL;
	json_t *o;

	assert_int_equal(alerttrack_event_json("example.org", sf, kind, now, &text), 0);
	assert_non_null(text);
	assert_null(strchr(text, '\n')); /* compact */
	o = json_loads(text, 0, &jerr);
	free(text);
	assert_non_null(o);
	return o;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL) {
		fail_msg("no string member '%s'", key);
	}
	return s;
}

static void test_event_json(void **state)
{
	struct statedb_finding sf = {0};
	struct findings l = {0};
	json_t *o;

	(void)state;
	assert_int_equal(findings_add(&l, FINDING_TLSA_MISMATCH, SEVERITY_CRITICAL, "xmpp-client",
				      "xmpp.example.org", 5222, "192.0.2.1", "no record matches"),
			 0);
	sf.f = l.v[0];
	alerttrack_key(&sf.f, sf.key, sizeof(sf.key));
	sf.first_seen = NOW - 120;
	sf.fired_at = NOW; /* 2026-11-18T11:06:40Z */

	o = event(&sf, ALERT_FIRES, NOW);
	assert_string_equal(str(o, "domain"), "example.org");
	assert_string_equal(str(o, "code"), "TLSA_MISMATCH");
	assert_string_equal(str(o, "severity"), "critical");
	assert_string_equal(str(o, "state"), "firing");
	assert_string_equal(str(o, "service"), "xmpp-client");
	assert_string_equal(str(o, "target"), "xmpp.example.org");
	assert_int_equal(json_integer_value(json_object_get(o, "port")), 5222);
	assert_string_equal(str(o, "address"), "192.0.2.1");
	assert_string_equal(str(o, "message"), "no record matches");
	assert_string_equal(str(o, "key"),
			    "TLSA_MISMATCH|xmpp-client|xmpp.example.org|5222|192.0.2.1");
	assert_string_equal(str(o, "starts_at"), "2026-11-18T11:06:40Z");
	assert_true(json_is_null(json_object_get(o, "ends_at")));
	assert_int_equal(json_object_size(o), 12);
	json_decref(o);

	o = event(&sf, ALERT_RESOLVES, NOW + 600);
	assert_string_equal(str(o, "state"), "resolved");
	assert_string_equal(str(o, "starts_at"), "2026-11-18T11:06:40Z");
	assert_string_equal(str(o, "ends_at"), "2026-11-18T11:16:40Z");
	json_decref(o);

	/* A zone-level finding: no subject, nulls; bytes that are not UTF-8 do not fail it. */
	findings_release(&l);
	assert_int_equal(findings_add(&l, FINDING_DNSSEC_INSECURE, SEVERITY_WARNING, NULL, NULL, 0,
				      NULL, "bad \xff byte"),
			 0);
	memset(&sf, 0, sizeof(sf));
	sf.f = l.v[0];
	alerttrack_key(&sf.f, sf.key, sizeof(sf.key));
	o = event(&sf, ALERT_FIRES, NOW);
	assert_true(json_is_null(json_object_get(o, "service")));
	assert_true(json_is_null(json_object_get(o, "target")));
	assert_true(json_is_null(json_object_get(o, "port")));
	assert_true(json_is_null(json_object_get(o, "address")));
	assert_string_equal(str(o, "message"), "bad ? byte");
	assert_string_equal(str(o, "starts_at"), "2026-11-18T11:06:40Z"); /* fired_at 0: now */
	json_decref(o);
	findings_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_first_seen),
		cmocka_unit_test(test_reappears_next_check),
		cmocka_unit_test(test_resolving_record),
		cmocka_unit_test(test_back_while_resolving),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_severity_change),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_event_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
