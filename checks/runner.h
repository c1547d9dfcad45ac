/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runs the DNS checks of many domains: one event loop and one resolver per
 * worker thread (a core each: DNSSEC validation is CPU-bound), domains handed
 * out one at a time, a bounded number in flight per worker, each with its
 * deadline. The caller gets every domain's facts through a callback.
 */
#ifndef XDANE_CHECKS_RUNNER_H
#define XDANE_CHECKS_RUNNER_H

#include <stddef.h>

#include "checks/dnscheck.h"
#include "checks/facts.h"
#include "checks/probe.h"
#include "checks/resolver.h"

/* Domains one worker checks at once; each holds its facts (~150 KiB) until judged. */
#define RUNNER_PARALLEL 64
/* Worker threads at most, whatever the machine has. */
#define RUNNER_MAX_WORKERS 16

struct runner_opts {
	unsigned workers;	       /* 0: the online CPUs, at most 4 */
	struct resolver_opts resolver; /* max_inflight and cache_mb are totals over the workers */
	struct dnscheck_opts dns;      /* its prober is set per worker */
	bool probe;		       /* connect to the endpoints (the endpoint half) */
	struct prober_opts prober;     /* for each worker's prober */
	unsigned timeout_s;	       /* per domain */
	/*
	 * Started workers (runner_start) run this much nicer than the process:
	 * checks are background work that must not hold up the daemon's HTTP
	 * threads, nor the servers it watches on the same machine. 0: as nice.
	 */
	int nice;
};

/*
 * Called once per domain, from a worker thread (so it must only touch what
 * belongs to index, or lock): facts when the check finished, else NULL and
 * error says why ("not finished within 30 s").
 */
typedef void (*runner_fn)(void *arg, size_t index, const struct domain_facts *f, const char *error);

struct runner;

/*
 * Creates the workers' event loops and resolvers (kept across runs, so a
 * second run finds their caches warm). On failure writes one line into err
 * and returns a negative code.
 */
int runner_new(const struct runner_opts *o, size_t n_hint, struct runner **ret, char *err,
	       size_t errlen);

/*
 * Checks the n domains and returns when all are done: 0 or -ENOMEM.
 * services[i] (NULL: the options' for all) are the services of domains[i].
 */
int runner_run(struct runner *r, const char *const *domains, const unsigned *services, size_t n,
	       runner_fn fn, void *arg);

/*
 * A started runner (the daemon's): the workers run until runner_stop and
 * check the domains submitted to them, each at the time it starts (so `now`
 * of the options is not used) and for the services given. fn runs once per
 * job on the worker's thread, with the facts or an error.
 */
typedef void (*runner_job_fn)(void *arg, const struct domain_facts *f, const char *error);

/* Starts the worker threads. Returns 0 or a negative code; runner_run is not used after. */
int runner_start(struct runner *r);

/*
 * Queues a check of domain (copied) for its worker: thread-safe, never
 * blocks on a check. Returns 0, -EINVAL when not started, or -ENOMEM.
 */
int runner_submit(struct runner *r, const char *domain, unsigned services, runner_job_fn fn,
		  void *arg);

/* Stops and joins the workers; checks still queued or running are dropped without fn. */
void runner_stop(struct runner *r);

/* The most DNS queries that were in flight at once, summed over the workers (>= the truth). */
unsigned runner_inflight_peak(const struct runner *r);

void runner_free(struct runner *r);

#endif
