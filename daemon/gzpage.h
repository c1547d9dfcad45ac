/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A page compressed once and shared by every client that accepts gzip.
 *
 * /metrics of 10,000 domains is ~19 MB: generating it costs ~12 ms of CPU a
 * request and the kernel's copies and the client's reading as much again,
 * so eight scrapers at once queue behind each other on 2 cores. Compressed,
 * it is ~0.6 MB, and Prometheus asks for gzip; but compressing it costs
 * ~45 ms, too much for every request. So a thread of its own compresses the
 * current snapshot's page after it changed, at most once a second and with
 * at most a tenth of a core, and a request takes the newest compressed page
 * with a reference: it is sent as it is. Once a newer snapshot is published,
 * the page answers for max_lag_ms more (GZCACHE_MAX_LAG_MS in xdaned), which
 * is long enough for the next one to be made. Past that, or before the first
 * is made (the thread works only while clients ask for gzip: one did in the
 * last GZCACHE_DEMAND_MS), a request waits for the next page, up to
 * GZCACHE_WAIT_MS, and is then answered uncompressed, which every client
 * accepts. Waiting is the cheaper: eight clients generating the plain page at
 * once slowed the compression and each other down to 100-250 ms a request.
 */
#ifndef XDANE_DAEMON_GZPAGE_H
#define XDANE_DAEMON_GZPAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/snapshot.h"

#define GZCACHE_MAX_LAG_MS 5000
#define GZCACHE_DEMAND_MS  (10 * 60 * 1000)
#define GZCACHE_WAIT_MS	   1000 /* for a page, before a request is answered uncompressed */
#define GZCACHE_MIN_GAP_MS 1000 /* from the start of one compression to the next */
#define GZCACHE_GAP_PER_MS 10	/* ... and at least this many times its CPU time */

struct gzpage {
	atomic_uint ref;
	uint64_t seq;	  /* of the snapshot it was made from */
	int64_t taken_ms; /* monotonic: when that snapshot was taken (set by the cache) */
	size_t len;
	unsigned char data[]; /* one gzip member (RFC 1952) */
};

/*
 * The page of kind of s (which the caller holds) compressed, with one
 * reference; NULL on -ENOMEM, or when *stop became true meanwhile (checked
 * between blocks; stop may be NULL).
 */
struct gzpage *gzpage_make(struct snapshot *s, enum snapshot_page_kind kind,
			   const atomic_bool *stop);
struct gzpage *gzpage_ref(struct gzpage *p);
void gzpage_unref(struct gzpage *p);

/*
 * Whether a page made from snapshot seq may answer a request at now_ms while
 * snapshot current is the newest; stale_ms is when gzcache_published said a
 * newer one was (0: not yet, so it has just been).
 */
bool gzcache_fresh(uint64_t seq, uint64_t current, int64_t stale_ms, int64_t now_ms,
		   int64_t max_lag_ms);

/* A compressing thread for the pages of kind of the snapshots published in box. */
struct gzcache;

/* Starts it; -ENOMEM or -EAGAIN (no thread), and then requests are answered uncompressed. */
int gzcache_start(struct snapshot_box *box, enum snapshot_page_kind kind, int64_t max_lag_ms,
		  struct gzcache **ret);
/* Stops the thread (a compression under way ends at its next block) and frees c (NULL: none). */
void gzcache_stop(struct gzcache *c);
/* Tells c that box has a new snapshot. */
void gzcache_published(struct gzcache *c);
/*
 * The newest compressed page with a reference, waiting for one if need be;
 * NULL: answer uncompressed. Counts as demand.
 */
struct gzpage *gzcache_get(struct gzcache *c);

#endif
