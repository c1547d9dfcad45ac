/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/schedule: first checks spread over the first interval,
 * never two checks of a domain at once, jitter within 5 %, triggers, the
 * cap on what is taken, and reloads that keep what was known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "daemon/schedule.h"

static const char *const names3[] = {"a.example", "b.example", "c.example"};
static const unsigned ivl3[] = {60, 60, 10};

static void first_checks_spread_within_interval(void **state)
{
	struct sched s = {0};
	size_t i;

	(void)state;
	assert_int_equal(sched_set(&s, names3, ivl3, 3, 1000, NULL), 0);
	for (i = 0; i < 3; i++) {
		assert_true(s.v[i].next_due >= 1000);
		assert_true(s.v[i].next_due < 1000 + (int64_t)ivl3[i] * 1000);
		assert_false(s.v[i].in_flight);
	}
	sched_release(&s);
}

static void long_intervals_start_within_30s(void **state)
{
	const char *const names[] = {"x.example"};
	const unsigned ivl[] = {3600};
	struct sched s = {0};

	(void)state;
	assert_int_equal(sched_set(&s, names, ivl, 1, 0, NULL), 0);
	assert_true(s.v[0].next_due < 30000);
	sched_release(&s);
}

static void a_domain_never_runs_twice(void **state)
{
	struct sched s = {0};
	size_t out[8];
	size_t n;

	(void)state;
	assert_int_equal(sched_set(&s, names3, ivl3, 3, 0, NULL), 0);
	n = sched_take_due(&s, 100000, out, 8);
	assert_int_equal(n, 3);
	/* All in flight: nothing more to take, and nothing due. */
	assert_int_equal(sched_take_due(&s, 200000, out, 8), 0);
	assert_true(sched_next_due(&s) == INT64_MAX);
	sched_done(&s, out[0], 200000);
	assert_int_equal(sched_take_due(&s, 200000, out, 8), 0); /* not due yet */
	sched_release(&s);
}

static void the_most_overdue_goes_first_and_the_cap_holds(void **state)
{
	struct sched s = {0};
	size_t out[8];

	(void)state;
	assert_int_equal(sched_set(&s, names3, ivl3, 3, 0, NULL), 0);
	s.v[0].next_due = 500;
	s.v[1].next_due = 100;
	s.v[2].next_due = 300;
	assert_int_equal(sched_take_due(&s, 1000, out, 2), 2);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);
	assert_int_equal(sched_next_due(&s), 500);
	sched_release(&s);
}

static void jitter_stays_within_five_percent(void **state)
{
	struct sched s = {0};
	size_t out[1];
	int64_t now = 0;
	int round;

	(void)state;
	assert_int_equal(sched_set(&s, names3, ivl3, 1, 0, NULL), 0);
	for (round = 0; round < 200; round++) {
		int64_t due;

		now = s.v[0].next_due;
		assert_int_equal(sched_take_due(&s, now, out, 1), 1);
		sched_done(&s, 0, now);
		due = s.v[0].next_due - now;
		assert_true(due >= 57000 && due <= 63000);
	}
	sched_release(&s);
}

static void a_trigger_runs_now_or_right_after(void **state)
{
	struct sched s = {0};
	size_t out[4];

	(void)state;
	assert_int_equal(sched_set(&s, names3, ivl3, 3, 0, NULL), 0);
	assert_int_equal(sched_trigger(&s, "b.example", 5), 1);
	assert_int_equal(sched_take_due(&s, 5, out, 4), 1);
	assert_int_equal(out[0], 1);
	/* Triggered while running: due again the moment it ends. */
	assert_int_equal(sched_trigger(&s, "b.example", 6), 1);
	assert_int_equal(sched_take_due(&s, 6, out, 4), 0);
	sched_done(&s, 1, 7000);
	assert_int_equal(s.v[1].next_due, 7000);
	assert_int_equal(sched_trigger(&s, "nope.example", 6), -1);
	sched_release(&s);
}

static void a_reload_keeps_what_it_knew(void **state)
{
	const char *const names[] = {"c.example", "new.example", "a.example"};
	const unsigned ivl[] = {10, 60, 120};
	struct sched s = {0};
	size_t out[4];
	long old[3];

	(void)state;
	assert_int_equal(sched_set(&s, names3, ivl3, 3, 0, NULL), 0);
	s.v[0].next_due = 4242;
	assert_int_equal(sched_trigger(&s, "c.example", 0), 2);
	assert_int_equal(sched_take_due(&s, 0, out, 4), 1); /* c in flight */
	assert_int_equal(sched_set(&s, names, ivl, 3, 100, old), 0);
	assert_int_equal(old[0], 2);
	assert_int_equal(old[1], -1);
	assert_int_equal(old[2], 0);
	assert_true(s.v[0].in_flight);
	assert_int_equal(s.v[2].next_due, 4242);
	assert_int_equal(s.v[2].interval_ms, 120000);
	assert_true(s.v[1].next_due >= 100 && s.v[1].next_due < 100 + 30000);
	assert_int_equal(sched_find(&s, "b.example"), -1);
	sched_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_checks_spread_within_interval),
		cmocka_unit_test(long_intervals_start_within_30s),
		cmocka_unit_test(a_domain_never_runs_twice),
		cmocka_unit_test(the_most_overdue_goes_first_and_the_cap_holds),
		cmocka_unit_test(jitter_stays_within_five_percent),
		cmocka_unit_test(a_trigger_runs_now_or_right_after),
		cmocka_unit_test(a_reload_keeps_what_it_knew),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
