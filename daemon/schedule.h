/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * When each domain is checked next: pure bookkeeping, no clock and no I/O
 * (times are milliseconds of a monotonic clock the caller reads). A domain
 * is never checked twice at once; a trigger while it runs makes it run again
 * right after. Intervals get a jitter of up to 5 % either way, stable per
 * domain and round, so domains added together drift apart instead of
 * checking in lockstep, and first checks are spread over the first
 * min(interval, 30 s).
 */
#ifndef XDANE_DAEMON_SCHEDULE_H
#define XDANE_DAEMON_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sched_entry {
	char *name;
	int64_t interval_ms;
	int64_t next_due; /* ms; INT64_MAX while in flight */
	bool in_flight;
	bool triggered; /* check again as soon as the running check ends */
	uint32_t round; /* checks started, for the jitter */
	uint32_t hash;
};

struct sched {
	struct sched_entry *v;
	size_t n;
};

/*
 * Sets the domains (names and intervals in seconds) at time now. A domain
 * that was already scheduled keeps its due time, run state and round (its
 * interval may change); a new one is spread over its first interval.
 * old_index (may be NULL) gets for each domain the index it had before, or
 * -1. On -ENOMEM the schedule is as it was.
 */
int sched_set(struct sched *s, const char *const *names, const unsigned *interval_s, size_t n,
	      int64_t now, long *old_index);

/* The earliest due time of a domain not in flight, or INT64_MAX. */
int64_t sched_next_due(const struct sched *s);

/*
 * Marks up to max domains due at now as in flight and writes their indexes
 * into out, most overdue first. Returns how many.
 */
size_t sched_take_due(struct sched *s, int64_t now, size_t *out, size_t max);

/* The check of index ended at now: due again after its interval (or at once if triggered). */
void sched_done(struct sched *s, size_t index, int64_t now);

/* Check name now (or right after its running check). Returns its index, or -1 if unknown. */
long sched_trigger(struct sched *s, const char *name, int64_t now);

/* The index of name, or -1. */
long sched_find(const struct sched *s, const char *name);

void sched_release(struct sched *s);

#endif
