/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker threads for many checks. Each worker owns an event base and a
 * resolver (created by the calling thread, used only by the worker). In a
 * run (runner_run) the workers take their shard of one list of domains and
 * end when it is done; started (runner_start) they live until runner_stop
 * and take jobs from a queue of their own, fed by runner_submit from any
 * thread and woken through a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "checks/runner.h"
#include "common/err.h"

/* What the workers of one run share (read-only while they run). */
struct runner_shared {
	const struct runner_opts *opts;
	const char *const *domains;
	const unsigned *services; /* per domain, or NULL */
	size_t n;
	unsigned n_workers;
	runner_fn fn;
	void *arg;
};

struct runner {
	struct runner_opts opts;
	struct runner_worker *workers;
	unsigned n_workers;
	unsigned n_started; /* worker threads running since runner_start */
	bool started;	    /* runner_start: the workers run until runner_stop */
};

/* A check submitted to a started runner, queued until its worker has a free slot. */
struct runner_job {
	struct runner_job *next;
	runner_job_fn fn;
	void *arg;
	unsigned services;
	char domain[];
};

struct runner_worker;

struct runner_slot {
	struct runner_worker *w;
	size_t index;
	struct runner_job *job; /* started runner: the job, else NULL (index of the run) */
	struct dnscheck *check;
	struct event *deadline;
	bool given_up; /* deadline passed: the check is freed after the resolver */
	struct runner_slot *next_given_up;
	struct runner_slot *prev, *next; /* the worker's running slots */
};

struct runner_worker {
	struct runner_shared *sh;
	const struct runner_opts *opts;
	struct event_base *base;
	struct resolver *res;
	struct prober *prober;
	struct dnscheck_opts dns; /* the run's, with this worker's prober */
	unsigned id;
	size_t next; /* next index to look at for a domain of this worker's shard */
	size_t running;
	unsigned done_since_trim; /* checks finished since the last malloc_trim */
	bool exhausted;		  /* no domain left to take */
	struct runner_slot *given_up;
	struct runner_slot *slots; /* running */
	pthread_t thread;
	/* Started runner: the queue (under lock) and the pipe that wakes the loop for it. */
	pthread_mutex_t lock;
	bool lock_made;
	struct runner_job *queue, *queue_tail;
	bool stopping;
	int wake[2];
	struct event *wake_ev;
};

static void runner_fill(struct runner_worker *w);

static void runner_slot_link(struct runner_worker *w, struct runner_slot *slot)
{
	slot->prev = NULL;
	slot->next = w->slots;
	if (w->slots != NULL) {
		w->slots->prev = slot;
	}
	w->slots = slot;
}

static void runner_slot_unlink(struct runner_worker *w, struct runner_slot *slot)
{
	if (slot->prev != NULL) {
		slot->prev->next = slot->next;
	} else {
		w->slots = slot->next;
	}
	if (slot->next != NULL) {
		slot->next->prev = slot->prev;
	}
	slot->prev = slot->next = NULL;
}

/* Tells the owner of a slot how its check ended: facts, or an error. */
static void runner_report(struct runner_worker *w, struct runner_slot *slot,
			  const struct domain_facts *f, const char *error)
{
	if (slot->job != NULL) {
		slot->job->fn(slot->job->arg, f, error);
		free(slot->job);
		slot->job = NULL;
	} else {
		w->sh->fn(w->sh->arg, slot->index, f, error);
	}
}

static void runner_slot_end(struct runner_worker *w, struct runner_slot *slot)
{
	if (slot->deadline != NULL) {
		event_free(slot->deadline);
		slot->deadline = NULL;
	}
	runner_slot_unlink(w, slot);
	w->running--;
	runner_fill(w);
	if (w->running == 0 && w->exhausted && w->sh != NULL) {
		event_base_loopbreak(w->base);
	}
}

/*
 * Gives the pages of freed memory back to the kernel every RUNNER_TRIM_EVERY
 * checks. A check frees most of what it allocated (facts, libunbound's query
 * states, TLS buffers, the report) but leaves live blocks scattered over its
 * worker's arena, and glibc only returns the free top of a thread's arena:
 * at 10,000 domains, 64 in flight, the two workers' arenas held ~10 MiB of
 * free pages by the end of a sweep. malloc_trim(0) walks every arena and
 * releases whole free pages in the middle too; once per 64 checks it costs
 * far less than a check.
 */
#define RUNNER_TRIM_EVERY 64

static void runner_note_done(struct runner_worker *w)
{
	if (++w->done_since_trim >= RUNNER_TRIM_EVERY) {
		w->done_since_trim = 0;
		malloc_trim(0);
	}
}

static void runner_on_done(void *arg, struct dnscheck *c, struct domain_facts *f)
{
	struct runner_slot *slot = arg;
	struct runner_worker *w = slot->w;

	if (slot->given_up) {
		return; /* reported already; freed with the worker */
	}
	runner_report(w, slot, f, NULL);
	dnscheck_free(c);
	slot->check = NULL;
	runner_slot_end(w, slot);
	free(slot);
	runner_note_done(w);
}

static void runner_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct runner_slot *slot = arg;
	struct runner_worker *w = slot->w;
	char why[96];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), "not finished within %u s", w->opts->timeout_s);
	runner_report(w, slot, NULL, why);
	/* Its lookups still point at it until the resolver is freed. */
	slot->given_up = true;
	slot->next_given_up = w->given_up;
	w->given_up = slot;
	runner_slot_end(w, slot);
}

/* Starts the check of index (a run) or of job (a started runner), which it then owns. */
static void runner_check(struct runner_worker *w, size_t index, struct runner_job *job)
{
	struct runner_slot *slot = calloc(1, sizeof(*slot));
	struct timeval tv = {(time_t)w->opts->timeout_s, 0};
	struct dnscheck_opts dns = w->dns;
	const char *domain = job != NULL ? job->domain : w->sh->domains[index];
	int r = -ENOMEM;

	if (slot == NULL) {
		struct runner_slot tmp = {.w = w, .index = index, .job = job};

		runner_report(w, &tmp, NULL, err_str(r));
		return;
	}
	w->running++;
	slot->w = w;
	slot->index = index;
	slot->job = job;
	runner_slot_link(w, slot);
	if (job != NULL) {
		/* A long-lived worker: the time of this check, and the services it asks for. */
		dns.now = (int64_t)time(NULL);
		dns.services = job->services;
	} else if (w->sh->services != NULL) {
		dns.services = w->sh->services[index];
	}
	slot->deadline = evtimer_new(w->base, runner_on_deadline, slot);
	if (slot->deadline != NULL && evtimer_add(slot->deadline, &tv) == 0) {
		r = dnscheck_start(w->base, w->res, domain, &dns, runner_on_done, slot,
				   &slot->check);
	}
	if (r < 0) {
		runner_report(w, slot, NULL, err_str(r));
		if (slot->deadline != NULL) {
			event_free(slot->deadline);
		}
		runner_slot_unlink(w, slot);
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

/* Started runner: takes queued jobs until RUNNER_PARALLEL are in flight. */
static void runner_fill_jobs(struct runner_worker *w)
{
	struct runner_job *job;

	while (w->running < RUNNER_PARALLEL) {
		pthread_mutex_lock(&w->lock);
		job = w->stopping ? NULL : w->queue;
		if (job != NULL) {
			w->queue = job->next;
			if (w->queue == NULL) {
				w->queue_tail = NULL;
			}
		}
		pthread_mutex_unlock(&w->lock);
		if (job == NULL) {
			return;
		}
		runner_check(w, 0, job);
	}
}

/* Takes this shard's domains until RUNNER_PARALLEL are in flight or none are left. */
static void runner_fill(struct runner_worker *w)
{
	const struct runner_shared *sh = w->sh;

	if (sh == NULL) {
		runner_fill_jobs(w);
		return;
	}
	while (!w->exhausted && w->running < RUNNER_PARALLEL) {
		while (w->next < sh->n &&
		       runner_shard(sh->domains[w->next], sh->n_workers) != w->id) {
			w->next++;
		}
		if (w->next >= sh->n) {
			w->exhausted = true;
			break;
		}
		runner_check(w, w->next++, NULL);
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
	struct runner_job *job;

	/* Checks still running when a started runner stopped: dropped like given-up ones. */
	while ((slot = w->slots) != NULL) {
		runner_slot_unlink(w, slot);
		if (slot->deadline != NULL) {
			event_free(slot->deadline);
		}
		free(slot->job);
		slot->next_given_up = w->given_up;
		w->given_up = slot;
	}
	resolver_free(w->res); /* first: given-up checks still own lookups */
	w->res = NULL;
	while ((slot = w->given_up) != NULL) {
		w->given_up = slot->next_given_up;
		dnscheck_free(slot->check); /* cancels its probes */
		free(slot);
	}
	while ((job = w->queue) != NULL) {
		w->queue = job->next;
		free(job);
	}
	if (w->wake_ev != NULL) {
		event_free(w->wake_ev);
	}
	if (w->wake[0] >= 0) {
		close(w->wake[0]);
		close(w->wake[1]);
	}
	if (w->lock_made) {
		pthread_mutex_destroy(&w->lock);
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
		r->workers[i].wake[0] = r->workers[i].wake[1] = -1;
	}
	for (i = 0; i < r->n_workers; i++) {
		r->workers[i].id = i;
		r->workers[i].opts = &r->opts;
		/* The cap is over all workers: split it, every worker keeping at least one. */
		ro.max_inflight = total / r->n_workers + (i < total % r->n_workers ? 1 : 0);
		if (ro.max_inflight == 0) {
			ro.max_inflight = 1;
		}
		/* So is the cache budget (each worker caches only its own shard's domains). */
		ro.cache_mb = o->resolver.cache_mb / r->n_workers;
		if (o->resolver.cache_mb != 0 && ro.cache_mb == 0) {
			ro.cache_mb = 1;
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

int runner_run(struct runner *r, const char *const *domains, const unsigned *services, size_t n,
	       runner_fn fn, void *arg)
{
	struct runner_shared sh = {&r->opts, domains, services, n, r->n_workers, fn, arg};
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

/* The wake pipe is readable: jobs were queued, or the runner stops. */
static void runner_on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct runner_worker *w = arg;
	char buf[64];
	bool stopping;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0) {
	}
	pthread_mutex_lock(&w->lock);
	stopping = w->stopping;
	pthread_mutex_unlock(&w->lock);
	if (stopping) {
		event_base_loopbreak(w->base);
		return;
	}
	runner_fill_jobs(w);
}

/* Lowers the calling thread's priority by nice (Linux: a thread's own nice value). */
static void runner_lower_priority(int nice)
{
	int prio;

	if (nice <= 0) {
		return;
	}
	errno = 0;
	prio = getpriority(PRIO_PROCESS, 0);
	if (prio == -1 && errno != 0) {
		return;
	}
	prio = prio + nice > 19 ? 19 : prio + nice;
	/* Best effort: a thread that keeps its priority only competes more. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), prio);
}

static void *runner_serve(void *arg)
{
	struct runner_worker *w = arg;

	runner_lower_priority(w->opts->nice);
	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static int runner_worker_prepare(struct runner_worker *w)
{
	if (pthread_mutex_init(&w->lock, NULL) != 0) {
		return -ENOMEM;
	}
	w->lock_made = true;
	if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		w->wake[0] = w->wake[1] = -1;
		return -errno;
	}
	w->wake_ev = event_new(w->base, w->wake[0], EV_READ | EV_PERSIST, runner_on_wake, w);
	if (w->wake_ev == NULL || event_add(w->wake_ev, NULL) < 0) {
		return -ENOMEM;
	}
	return 0;
}

static void runner_wake(struct runner_worker *w)
{
	ssize_t n = write(w->wake[1], "", 1);

	(void)n; /* a full pipe is already a wake-up */
}

int runner_start(struct runner *r)
{
	unsigned i;
	int rc;

	if (r->started) {
		return -EALREADY;
	}
	for (i = 0; i < r->n_workers; i++) {
		rc = runner_worker_prepare(&r->workers[i]);
		if (rc < 0) {
			return rc;
		}
	}
	for (i = 0; i < r->n_workers; i++) {
		rc = pthread_create(&r->workers[i].thread, NULL, runner_serve, &r->workers[i]);
		if (rc != 0) {
			r->n_started = i;
			runner_stop(r);
			return -rc;
		}
	}
	r->n_started = r->n_workers;
	r->started = true;
	return 0;
}

int runner_submit(struct runner *r, const char *domain, unsigned services, runner_job_fn fn,
		  void *arg)
{
	size_t len = strlen(domain);
	struct runner_job *job;
	struct runner_worker *w;

	if (!r->started) {
		return -EINVAL;
	}
	job = malloc(sizeof(*job) + len + 1);
	if (job == NULL) {
		return -ENOMEM;
	}
	job->next = NULL;
	job->fn = fn;
	job->arg = arg;
	job->services = services;
	memcpy(job->domain, domain, len + 1);
	w = &r->workers[runner_shard(domain, r->n_workers)];
	pthread_mutex_lock(&w->lock);
	if (w->queue_tail != NULL) {
		w->queue_tail->next = job;
	} else {
		w->queue = job;
	}
	w->queue_tail = job;
	pthread_mutex_unlock(&w->lock);
	runner_wake(w);
	return 0;
}

void runner_stop(struct runner *r)
{
	unsigned i;

	for (i = 0; i < r->n_started; i++) {
		pthread_mutex_lock(&r->workers[i].lock);
		r->workers[i].stopping = true;
		pthread_mutex_unlock(&r->workers[i].lock);
		runner_wake(&r->workers[i]);
	}
	for (i = 0; i < r->n_started; i++) {
		pthread_join(r->workers[i].thread, NULL);
	}
	r->n_started = 0;
	r->started = false;
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
	runner_stop(r);
	for (i = 0; r->workers != NULL && i < r->n_workers; i++) {
		runner_worker_cleanup(&r->workers[i]);
	}
	free(r->workers);
	free(r);
}
