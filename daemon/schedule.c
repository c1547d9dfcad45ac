/* SPDX-License-Identifier: BSD-3-Clause */
/* The schedule of checks: due times, in-flight marks, triggers and jitter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/schedule.h"

/* First checks are spread over at most this much, so a start does not wait long. */
#define SCHED_SPREAD_MAX_MS 30000

static uint32_t sched_hash(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *name != '\0'; name++) {
		h = (h ^ (uint8_t)*name) * 16777619u;
	}
	return h;
}

/* A stable pseudo-random number for (domain, round): a few rounds of xorshift. */
static uint32_t sched_mix(uint32_t h, uint32_t round)
{
	uint32_t x = h ^ (round * 2654435761u);

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/* The interval of e for its current round, with up to 5 % jitter either way. */
static int64_t sched_interval(const struct sched_entry *e)
{
	int64_t span = e->interval_ms / 10; /* the whole jitter range: 10 % */
	int64_t j = span > 0 ? (int64_t)((uint64_t)sched_mix(e->hash, e->round) %
					 (uint64_t)(span + 1))
			     : 0;

	return e->interval_ms - span / 2 + j;
}

static int64_t sched_first_due(const struct sched_entry *e, int64_t now)
{
	uint32_t spread = e->interval_ms < SCHED_SPREAD_MAX_MS ? (uint32_t)e->interval_ms
							       : SCHED_SPREAD_MAX_MS;

	return now + (spread > 0 ? (int64_t)(e->hash % spread) : 0);
}

long sched_find(const struct sched *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, name) == 0) {
			return (long)i;
		}
	}
	return -1;
}

static int sched_cmp_entry(const void *a, const void *b)
{
	return strcmp((*(const struct sched_entry *const *)a)->name,
		      (*(const struct sched_entry *const *)b)->name);
}

/* The old entry named name, by binary search in sorted (the old entries by name). */
static const struct sched_entry *sched_lookup(struct sched_entry **sorted, size_t n,
					      const char *name)
{
	struct sched_entry key = {.name = (char *)name};
	const struct sched_entry *k = &key;
	struct sched_entry **hit;

	if (n == 0) {
		return NULL; /* sorted is NULL then, which bsearch must not get */
	}
	hit = bsearch(&k, sorted, n, sizeof(*sorted), sched_cmp_entry);

	return hit != NULL ? *hit : NULL;
}

int sched_set(struct sched *s, const char *const *names, const unsigned *interval_s, size_t n,
	      int64_t now, long *old_index)
{
	struct sched_entry *v = n > 0 ? calloc(n, sizeof(*v)) : NULL;
	struct sched_entry **sorted = s->n > 0 ? calloc(s->n, sizeof(*sorted)) : NULL;
	size_t i;

	if ((n > 0 && v == NULL) || (s->n > 0 && sorted == NULL)) {
		free(v);
		free(sorted);
		return -ENOMEM;
	}
	/* A reload of 10,000 domains must not compare every name with every other. */
	for (i = 0; i < s->n; i++) {
		sorted[i] = &s->v[i];
	}
	if (s->n > 0) {
		qsort(sorted, s->n, sizeof(*sorted), sched_cmp_entry);
	}
	for (i = 0; i < n; i++) {
		const struct sched_entry *o = sched_lookup(sorted, s->n, names[i]);

		v[i].name = strdup(names[i]);
		if (v[i].name == NULL) {
			while (i-- > 0) {
				free(v[i].name);
			}
			free(v);
			free(sorted);
			return -ENOMEM;
		}
		v[i].interval_ms = (int64_t)interval_s[i] * 1000;
		v[i].hash = sched_hash(names[i]);
		if (old_index != NULL) {
			old_index[i] = o != NULL ? (long)(o - s->v) : -1;
		}
		if (o != NULL) {
			v[i].next_due = o->next_due;
			v[i].in_flight = o->in_flight;
			v[i].triggered = o->triggered;
			v[i].round = o->round;
		} else {
			v[i].next_due = sched_first_due(&v[i], now);
		}
	}
	free(sorted);
	sched_release(s);
	s->v = v;
	s->n = n;
	return 0;
}

int64_t sched_next_due(const struct sched *s)
{
	int64_t next = INT64_MAX;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (!s->v[i].in_flight && s->v[i].next_due < next) {
			next = s->v[i].next_due;
		}
	}
	return next;
}

size_t sched_take_due(struct sched *s, int64_t now, size_t *out, size_t max)
{
	size_t taken = 0;

	/* The most overdue first: pick the minimum each time (max is the free slots, small). */
	while (taken < max) {
		size_t i, best = s->n;

		for (i = 0; i < s->n; i++) {
			const struct sched_entry *e = &s->v[i];

			if (!e->in_flight && e->next_due <= now &&
			    (best == s->n || e->next_due < s->v[best].next_due)) {
				best = i;
			}
		}
		if (best == s->n) {
			break;
		}
		s->v[best].in_flight = true;
		s->v[best].next_due = INT64_MAX;
		s->v[best].round++;
		out[taken++] = best;
	}
	return taken;
}

void sched_done(struct sched *s, size_t index, int64_t now)
{
	struct sched_entry *e = &s->v[index];

	e->in_flight = false;
	if (e->triggered) {
		e->triggered = false;
		e->next_due = now;
	} else {
		e->next_due = now + sched_interval(e);
	}
}

long sched_trigger(struct sched *s, const char *name, int64_t now)
{
	long i = sched_find(s, name);

	if (i < 0) {
		return -1;
	}
	if (s->v[i].in_flight) {
		s->v[i].triggered = true;
	} else {
		s->v[i].next_due = now;
	}
	return i;
}

void sched_release(struct sched *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
