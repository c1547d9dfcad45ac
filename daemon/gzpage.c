/* SPDX-License-Identifier: BSD-3-Clause */
/* Pages compressed once per change and shared (gzpage.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <zlib.h>

#include "common/log.h"
#include "daemon/gzpage.h"

#define GZPAGE_BLOCK (64 * 1024) /* read from the page at a time, as httpd sends it */

static int64_t gz_clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t gz_now_ms(void)
{
	return gz_clock_ms(CLOCK_MONOTONIC);
}

/* Grows p's data to at least twice its capacity; NULL (p freed) on -ENOMEM. */
static struct gzpage *gzpage_grow(struct gzpage *p, size_t *cap)
{
	size_t want = *cap * 2;
	struct gzpage *q = realloc(p, sizeof(*p) + want);

	if (q == NULL) {
		free(p);
		return NULL;
	}
	*cap = want;
	return q;
}

/*
 * Deflates z's input onto p's data, growing it; with Z_FINISH, to the end of
 * the member. NULL (p freed) on -ENOMEM.
 */
static struct gzpage *gzpage_deflate(struct gzpage *p, size_t *cap, z_stream *z, int flush)
{
	int ret;

	do {
		if (p->len == *cap && (p = gzpage_grow(p, cap)) == NULL) {
			return NULL;
		}
		z->next_out = p->data + p->len;
		z->avail_out = (uInt)(*cap - p->len);
		ret = deflate(z, flush); /* Z_BUF_ERROR is no progress, not an error */
		p->len = *cap - z->avail_out;
	} while (z->avail_out == 0);
	if (flush == Z_FINISH && ret != Z_STREAM_END) {
		free(p);
		return NULL;
	}
	return p;
}

struct gzpage *gzpage_make(struct snapshot *s, enum snapshot_page_kind kind,
			   const atomic_bool *stop)
{
	size_t len = 0, cap, n;
	struct snapshot_reader *r = snapshot_reader_new(s, kind, &len);
	char *in = malloc(GZPAGE_BLOCK);
	struct gzpage *p = NULL;
	z_stream z = {0};
	int flush;

	/* A page is mostly repeated names and labels: it compresses 20-30 times. */
	cap = len / 16 + 4096;
	if (r == NULL || in == NULL || (p = malloc(sizeof(*p) + cap)) == NULL ||
	    deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16 /* gzip */, 8, Z_DEFAULT_STRATEGY) !=
		    Z_OK) {
		free(p);
		free(in);
		snapshot_reader_free(r);
		return NULL;
	}
	p->len = 0;
	do {
		if (stop != NULL && atomic_load(stop)) {
			free(p);
			p = NULL;
			break;
		}
		n = snapshot_reader_read(r, in, GZPAGE_BLOCK);
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		z.next_in = (Bytef *)in;
		z.avail_in = (uInt)n;
		p = gzpage_deflate(p, &cap, &z, flush);
	} while (p != NULL && flush != Z_FINISH);
	deflateEnd(&z);
	free(in);
	snapshot_reader_free(r);
	if (p == NULL) {
		return NULL;
	}
	if (p->len < cap) { /* give back what the estimate overshot */
		struct gzpage *fit = realloc(p, sizeof(*p) + p->len);

		p = fit != NULL ? fit : p;
	}
	atomic_init(&p->ref, 1);
	p->seq = s->seq;
	p->taken_ms = 0;
	return p;
}

struct gzpage *gzpage_ref(struct gzpage *p)
{
	atomic_fetch_add_explicit(&p->ref, 1, memory_order_relaxed);
	return p;
}

void gzpage_unref(struct gzpage *p)
{
	if (p != NULL && atomic_fetch_sub_explicit(&p->ref, 1, memory_order_acq_rel) == 1) {
		free(p);
	}
}

bool gzcache_fresh(uint64_t seq, uint64_t current, int64_t stale_ms, int64_t now_ms,
		   int64_t max_lag_ms)
{
	/* stale_ms 0 with a newer snapshot: published, and gzcache_published is on its way. */
	return seq == current || stale_ms == 0 || now_ms - stale_ms <= max_lag_ms;
}

/* --- the compressing thread -------------------------------------------------------- */

struct gzcache {
	struct snapshot_box *box;
	enum snapshot_page_kind kind;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC: for the thread */
	pthread_cond_t made; /* on CLOCK_MONOTONIC: for requests, a page was made */
	int64_t max_lag_ms;
	atomic_bool stopping;
	/* Under lock: */
	struct gzpage *page; /* the newest made */
	int64_t stale_ms;    /* when a snapshot newer than page's was published (0: none yet) */
	int64_t asked_ms;    /* the last request for it (0: none yet) */
	int64_t last_start_ms, last_cpu_ms; /* of the last compression */
	bool idle;			    /* the thread waits for a change or a request */
	unsigned waiting;		    /* requests waiting for a page (on made) */
	bool failing; /* the last compression ran out of memory: logged once */
};

/* Whether a compression is wanted now, snapshot current being the newest (under c->lock). */
static bool gzcache_wanted(const struct gzcache *c, uint64_t current, int64_t now)
{
	bool asked = c->asked_ms != 0 && now - c->asked_ms <= GZCACHE_DEMAND_MS;

	return asked && current != 0 && (c->page == NULL || c->page->seq != current);
}

/*
 * When the next compression may start (under c->lock): the thread's share of
 * a core is bounded. By CPU time, not wall time: on a busy machine a
 * compression takes longer but costs the same, and the page must keep up.
 */
static int64_t gzcache_due(const struct gzcache *c)
{
	int64_t gap = c->last_cpu_ms * GZCACHE_GAP_PER_MS;

	return c->last_start_ms + (gap > GZCACHE_MIN_GAP_MS ? gap : GZCACHE_MIN_GAP_MS);
}

static void gzcache_wait_until(struct gzcache *c, pthread_cond_t *cond, int64_t due_ms)
{
	struct timespec ts = {(time_t)(due_ms / 1000), (long)(due_ms % 1000) * 1000000};

	pthread_cond_timedwait(cond, &c->lock, &ts);
}

/* Compresses the current snapshot's page and makes it the newest (called and left under lock). */
static void gzcache_compress(struct gzcache *c, int64_t start)
{
	int64_t cpu = gz_clock_ms(CLOCK_THREAD_CPUTIME_ID);
	struct snapshot *s;
	struct gzpage *p, *old = NULL;

	c->last_start_ms = start;
	pthread_mutex_unlock(&c->lock);
	s = snapshot_acquire(c->box);
	p = s != NULL ? gzpage_make(s, c->kind, &c->stopping) : NULL;
	snapshot_release(s);
	if (p != NULL) {
		p->taken_ms = start;
	}
	pthread_mutex_lock(&c->lock);
	c->last_cpu_ms = gz_clock_ms(CLOCK_THREAD_CPUTIME_ID) - cpu;
	if (p != NULL) {
		old = c->page;
		c->page = p;
		/* Published meanwhile: then stale since it was taken, at the latest. */
		c->stale_ms = p->seq == snapshot_box_seq(c->box) ? 0 : start;
		c->failing = false;
		if (c->waiting > 0) {
			pthread_cond_broadcast(&c->made);
		}
	} else if (!atomic_load(&c->stopping) && !c->failing) {
		log_err("out of memory compressing a page: it is sent uncompressed");
		c->failing = true;
	}
	pthread_mutex_unlock(&c->lock);
	gzpage_unref(old); /* responses still sending it keep it */
	pthread_mutex_lock(&c->lock);
}

static void *gzcache_main(void *arg)
{
	struct gzcache *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!atomic_load(&c->stopping)) {
		int64_t now = gz_now_ms();

		if (!gzcache_wanted(c, snapshot_box_seq(c->box), now)) {
			c->idle = true;
			pthread_cond_wait(&c->cond, &c->lock);
			c->idle = false;
		} else if (now < gzcache_due(c)) {
			gzcache_wait_until(c, &c->cond, gzcache_due(c));
		} else {
			gzcache_compress(c, now);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int gzcache_start(struct snapshot_box *box, enum snapshot_page_kind kind, int64_t max_lag_ms,
		  struct gzcache **ret)
{
	struct gzcache *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;
	int r;

	*ret = NULL;
	if (c == NULL) {
		return -ENOMEM;
	}
	c->box = box;
	c->kind = kind;
	c->max_lag_ms = max_lag_ms;
	atomic_init(&c->stopping, false);
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return -ENOMEM;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	r = pthread_cond_init(&c->cond, &ca);
	if (r == 0 && (r = pthread_cond_init(&c->made, &ca)) != 0) {
		pthread_cond_destroy(&c->cond);
	}
	pthread_condattr_destroy(&ca);
	if (r != 0) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return -ENOMEM;
	}
	if (pthread_create(&c->thread, NULL, gzcache_main, c) != 0) {
		pthread_cond_destroy(&c->made);
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return -EAGAIN;
	}
	*ret = c;
	return 0;
}

void gzcache_stop(struct gzcache *c)
{
	if (c == NULL) {
		return;
	}
	pthread_mutex_lock(&c->lock);
	atomic_store(&c->stopping, true);
	pthread_cond_signal(&c->cond);
	pthread_cond_broadcast(&c->made);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	gzpage_unref(c->page);
	pthread_cond_destroy(&c->made);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void gzcache_published(struct gzcache *c)
{
	if (c == NULL) {
		return;
	}
	pthread_mutex_lock(&c->lock);
	if (c->page != NULL && c->stale_ms == 0) {
		c->stale_ms = gz_now_ms(); /* the page was the newest until now */
	}
	if (c->idle) {
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
}

/* The newest page with a reference if it may answer at now, else NULL (under c->lock). */
static struct gzpage *gzcache_take(struct gzcache *c, uint64_t current, int64_t now)
{
	struct gzpage *p = c->page;

	return p != NULL && gzcache_fresh(p->seq, current, c->stale_ms, now, c->max_lag_ms)
		       ? gzpage_ref(p)
		       : NULL;
}

struct gzpage *gzcache_get(struct gzcache *c)
{
	struct gzpage *p;
	int64_t now, until;

	if (c == NULL) {
		return NULL;
	}
	now = gz_now_ms();
	until = now + GZCACHE_WAIT_MS;
	pthread_mutex_lock(&c->lock);
	c->asked_ms = now;
	for (;;) {
		uint64_t current = snapshot_box_seq(c->box);

		p = gzcache_take(c, current, now);
		/* Wake the thread only from its idle wait: a wait for its due time ends by itself.
		 */
		if (c->idle && gzcache_wanted(c, current, now)) {
			pthread_cond_signal(&c->cond);
		}
		if (p != NULL || now >= until || atomic_load(&c->stopping)) {
			break;
		}
		c->waiting++;
		gzcache_wait_until(c, &c->made, until);
		c->waiting--;
		now = gz_now_ms();
	}
	pthread_mutex_unlock(&c->lock);
	return p;
}
