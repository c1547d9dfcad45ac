/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker threads for many checks. Each worker owns an event base and a
 * resolver (created by the calling thread, used only by the worker); the
 * only shared state is the index of the next domain, taken atomically.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "checks/runner.h"
#include "common/err.h"

/* What the workers of one run share (read-only while they run). */
struct runner_shared {
	const struct runner_opts *opts;
	const char *const *domains;
	size_t n;
	unsigned n_workers;
	runner_fn fn;
	void *arg;
};

struct runner {
	struct runner_opts opts;
	struct runner_worker *workers;
	unsigned n_workers;
};

struct runner_worker;

struct runner_slot {
	struct runner_worker *w;
	size_t index;
	struct dnscheck *check;
	struct event *deadline;
	bool given_up; /* deadline passed: the check is freed after the resolver */
	struct runner_slot *next_given_up;
};

struct runner_worker {
	struct runner_shared *sh;
	struct event_base *base;
	struct resolver *res;
	struct prober *prober;
	struct dnscheck_opts dns; /* the run's, with this worker's prober */
	unsigned id;
	size_t next; /* next index to look at for a domain of this worker's shard */
	size_t running;
	bool exhausted; /* no domain left to take */
	struct runner_slot *given_up;
	pthread_t thread;
};

static void runner_fill(struct runner_worker *w);

static void runner_slot_end(struct runner_worker *w, struct runner_slot *slot)
{
	if (slot->deadline != NULL) {
		event_free(slot->deadline);
		slot->deadline = NULL;
	}
	w->running--;
	runner_fill(w);
	if (w->running == 0 && w->exhausted) {
		event_base_loopbreak(w->base);
	}
}

static void runner_on_done(void *arg, struct dnscheck *c, struct domain_facts *f)
{
	struct runner_slot *slot = arg;
	struct runner_worker *w = slot->w;

	if (slot->given_up) {
		return; /* reported already; freed with the worker */
	}
	w->sh->fn(w->sh->arg, slot->index, f, NULL);
	dnscheck_free(c);
	slot->check = NULL;
	runner_slot_end(w, slot);
	free(slot);
}

static void runner_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct runner_slot *slot = arg;
	struct runner_worker *w = slot->w;
	char why[96];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), "not finished within %u s", w->sh->opts->timeout_s);
	w->sh->fn(w->sh->arg, slot->index, NULL, why);
	/* Its lookups still point at it until the resolver is freed. */
	slot->given_up = true;
	slot->next_given_up = w->given_up;
	w->given_up = slot;
	runner_slot_end(w, slot);
}

static void runner_start(struct runner_worker *w, size_t index)
{
	struct runner_slot *slot = calloc(1, sizeof(*slot));
	struct timeval tv = {(time_t)w->sh->opts->timeout_s, 0};
	int r = -ENOMEM;

	w->running++;
	if (slot == NULL) {
		w->sh->fn(w->sh->arg, index, NULL, err_str(r));
		w->running--;
		return;
	}
	slot->w = w;
	slot->index = index;
	slot->deadline = evtimer_new(w->base, runner_on_deadline, slot);
	if (slot->deadline != NULL && evtimer_add(slot->deadline, &tv) == 0) {
		r = dnscheck_start(w->base, w->res, w->sh->domains[index], &w->dns, runner_on_done,
				   slot, &slot->check);
	}
	if (r < 0) {
		w->sh->fn(w->sh->arg, index, NULL, err_str(r));
		if (slot->deadline != NULL) {
			event_free(slot->deadline);
		}
		free(slot);
		w->running--;
	}
}

/*
 * Which worker checks a domain: always the same one (FNV-1a of the name, case
 * folded), so that a later run finds that worker's cache warm for it.
 */
static unsigned runner_shard(const char *name, unsigned n_workers)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++) {
		char ch = *name >= 'A' && *name <= 'Z' ? (char)(*name - 'A' + 'a') : *name;

		if (ch == '.' && name[1] == '\0') {
			break; /* "example.org." and "example.org" are one domain */
		}
		h = (h ^ (uint8_t)ch) * 16777619u;
	}
	return h % n_workers;
}

/* Takes this shard's domains until RUNNER_PARALLEL are in flight or none are left. */
static void runner_fill(struct runner_worker *w)
{
	const struct runner_shared *sh = w->sh;

	while (!w->exhausted && w->running < RUNNER_PARALLEL) {
		while (w->next < sh->n &&
		       runner_shard(sh->domains[w->next], sh->n_workers) != w->id) {
			w->next++;
		}
		if (w->next >= sh->n) {
			w->exhausted = true;
			break;
		}
		runner_start(w, w->next++);
	}
}

static void *runner_thread(void *arg)
{
	struct runner_worker *w = arg;

	w->exhausted = false;
	w->next = 0;
	runner_fill(w);
	if (w->running > 0) {
		event_base_dispatch(w->base);
	}
	return NULL;
}

static void runner_worker_cleanup(struct runner_worker *w)
{
	struct runner_slot *slot;

	resolver_free(w->res); /* first: given-up checks still own lookups */
	w->res = NULL;
	while ((slot = w->given_up) != NULL) {
		w->given_up = slot->next_given_up;
		dnscheck_free(slot->check); /* cancels its probes */
		free(slot);
	}
	prober_free(w->prober);
	if (w->base != NULL) {
		event_base_free(w->base);
	}
}

static unsigned runner_workers(const struct runner_opts *o, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned w = o->workers;

	if (w == 0) {
		w = cpus > 0 ? (unsigned)(cpus < 4 ? cpus : 4) : 1;
	}
	if (w > RUNNER_MAX_WORKERS) {
		w = RUNNER_MAX_WORKERS;
	}
	/* More workers than domains (by the parallel bound) only cost cold caches. */
	while (w > 1 && (size_t)(w - 1) * RUNNER_PARALLEL >= n) {
		w--;
	}
	return w;
}

int runner_new(const struct runner_opts *o, size_t n_hint, struct runner **ret, char *err,
	       size_t errlen)
{
	struct runner *r = calloc(1, sizeof(*r));
	struct resolver_opts ro = o->resolver;
	unsigned total = ro.max_inflight ? ro.max_inflight : RESOLVER_DEFAULT_INFLIGHT;
	unsigned i;
	int rc;

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->opts = *o;
	r->n_workers = runner_workers(o, n_hint);
	r->workers = calloc(r->n_workers, sizeof(*r->workers));
	if (r->workers == NULL) {
		snprintf(err, errlen, "out of memory");
		runner_free(r);
		return -ENOMEM;
	}
	for (i = 0; i < r->n_workers; i++) {
		r->workers[i].id = i;
		/* The cap is over all workers: split it, every worker keeping at least one. */
		ro.max_inflight = total / r->n_workers + (i < total % r->n_workers ? 1 : 0);
		if (ro.max_inflight == 0) {
			ro.max_inflight = 1;
		}
		r->workers[i].base = event_base_new();
		if (r->workers[i].base == NULL) {
			snprintf(err, errlen, "out of memory");
			runner_free(r);
			return -ENOMEM;
		}
		rc = resolver_new(r->workers[i].base, &ro, &r->workers[i].res, err, errlen);
		if (rc == 0 && o->probe) {
			rc = prober_new(r->workers[i].base, &o->prober, &r->workers[i].prober, err,
					errlen);
		}
		if (rc < 0) {
			runner_free(r);
			return rc;
		}
		r->workers[i].dns = o->dns;
		r->workers[i].dns.prober = r->workers[i].prober;
	}
	*ret = r;
	return 0;
}

int runner_run(struct runner *r, const char *const *domains, size_t n, runner_fn fn, void *arg)
{
	struct runner_shared sh = {&r->opts, domains, n, r->n_workers, fn, arg};
	unsigned i, started = 0;

	for (i = 0; i < r->n_workers; i++) {
		r->workers[i].sh = &sh;
		if (pthread_create(&r->workers[i].thread, NULL, runner_thread, &r->workers[i]) !=
		    0) {
			break;
		}
		started++;
	}
	if (started == 0) {
		runner_thread(&r->workers[0]); /* no thread to be had: work here */
	}
	for (i = 0; i < started; i++) {
		pthread_join(r->workers[i].thread, NULL);
	}
	return 0;
}

unsigned runner_inflight_peak(const struct runner *r)
{
	unsigned i, sum = 0;

	for (i = 0; i < r->n_workers; i++) {
		sum += resolver_inflight_peak(r->workers[i].res);
	}
	return sum;
}

void runner_free(struct runner *r)
{
	unsigned i;

	if (r == NULL) {
		return;
	}
	for (i = 0; r->workers != NULL && i < r->n_workers; i++) {
		runner_worker_cleanup(&r->workers[i]);
	}
	free(r->workers);
	free(r);
}
