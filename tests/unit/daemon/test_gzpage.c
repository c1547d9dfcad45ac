/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/gzpage: a compressed page inflates to the page
 * itself, byte for byte; a compression told to stop gives up; which pages
 * may answer (the current snapshot's, or an older one's for a while after a
 * newer one was published); and the cache's thread: nothing before a client
 * asks, the first request waiting for it, then the next one after a publish,
 * the old one answering meanwhile, and past the lag a wait for the next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <zlib.h>

#include "daemon/gzpage.h"

#define NOW	((int64_t)1795314897)
#define DOMAINS 300

struct fixture {
	struct snapshot_box box;
	struct view *v[DOMAINS];
	struct render_daemon_stats stats;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	size_t i;

	assert_non_null(f);
	assert_int_equal(snapshot_box_init(&f->box), 0);
	for (i = 0; i < DOMAINS; i++) {
		struct render_domain r;
		char name[64];

		snprintf(name, sizeof(name), "d%zu.example", i);
		assert_int_equal(render_domain(name, NULL, NULL, i % 3 ? NULL : "published", &r),
				 0);
		f->v[i] = view_new(name, &r);
		assert_non_null(f->v[i]);
	}
	f->stats.started_at = NOW;
	f->stats.state_db_ok = true;
	assert_int_equal(snapshot_publish(&f->box, f->v, DOMAINS, &f->stats, NOW), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < DOMAINS; i++) {
		view_unref(f->v[i]);
	}
	snapshot_box_destroy(&f->box);
	free(f);
	return 0;
}

static char *plain_page(struct snapshot *s, size_t *ret_len)
{
	struct snapshot_reader *r = snapshot_reader_new(s, SNAPSHOT_METRICS, ret_len);
	char *page = malloc(*ret_len + 1);
	size_t got = 0, n;

	assert_non_null(r);
	assert_non_null(page);
	while ((n = snapshot_reader_read(r, page + got, *ret_len + 1 - got)) > 0) {
		got += n;
	}
	snapshot_reader_free(r);
	assert_int_equal(got, *ret_len);
	return page;
}

/* p inflated (gzip wrapper), its length into ret_len. */
static char *inflate_page(const struct gzpage *p, size_t cap, size_t *ret_len)
{
	char *out = malloc(cap);
	z_stream z = {0};

	assert_non_null(out);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)p->data;
	z.avail_in = (uInt)p->len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.avail_in, 0); /* one member, nothing after it */
	*ret_len = cap - z.avail_out;
	inflateEnd(&z);
	return out;
}

static void compressed_page_inflates_to_the_page(void **state)
{
	struct fixture *f = *state;
	struct snapshot *s = snapshot_acquire(&f->box);
	size_t len, got;
	char *want = plain_page(s, &len), *page;
	struct gzpage *p = gzpage_make(s, SNAPSHOT_METRICS, NULL);

	assert_non_null(p);
	assert_int_equal(p->seq, s->seq);
	assert_true(p->len > 18);
	assert_int_equal(p->data[0], 0x1f); /* gzip's magic */
	assert_int_equal(p->data[1], 0x8b);
	assert_true(p->len * 8 < len); /* repeated names compress well */
	page = inflate_page(p, len + 1, &got);
	assert_int_equal(got, len);
	assert_memory_equal(page, want, len);
	free(page);
	free(want);
	gzpage_unref(p);
	snapshot_release(s);
}

static void stopped_compression_gives_up(void **state)
{
	struct fixture *f = *state;
	struct snapshot *s = snapshot_acquire(&f->box);
	atomic_bool stop;

	atomic_init(&stop, true);
	assert_null(gzpage_make(s, SNAPSHOT_METRICS, &stop));
	snapshot_release(s);
}

static void fresh_pages(void **state)
{
	(void)state;
	/* The newest snapshot's: at any age. */
	assert_true(gzcache_fresh(5, 5, 0, 100000, 5000));
	assert_true(gzcache_fresh(5, 5, 100, 100000000, 5000));
	/* An older one's: for max_lag after the newer one was published. */
	assert_true(gzcache_fresh(5, 6, 100000, 100000, 5000));
	assert_true(gzcache_fresh(5, 7, 100000, 105000, 5000));
	assert_false(gzcache_fresh(5, 6, 100000, 105001, 5000));
	/* Newer, but gzcache_published has not told yet: it has just been published. */
	assert_true(gzcache_fresh(5, 6, 0, 100000, 5000));
}

/* Asks c until it answers a page of seq (a request is also what wakes it); NULL after 20 s. */
static struct gzpage *get_page_of(struct gzcache *c, uint64_t seq)
{
	struct timespec pause = {0, 20 * 1000 * 1000};
	int i;

	for (i = 0; i < 1000; i++) {
		struct gzpage *p = gzcache_get(c);

		if (p != NULL && p->seq == seq) {
			return p;
		}
		gzpage_unref(p);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void cache_follows_the_snapshots(void **state)
{
	struct fixture *f = *state;
	uint64_t first = snapshot_box_seq(&f->box);
	struct timespec older = {1, 200 * 1000 * 1000};
	struct gzcache *c;
	struct gzpage *p, *q;

	assert_int_equal(gzcache_start(&f->box, SNAPSHOT_METRICS, 60000, &c), 0);
	/* Nothing is made before a client asks; the first one waits for it. */
	p = gzcache_get(c);
	assert_non_null(p);
	assert_int_equal(p->seq, first);
	/*
	 * A change to a page made a while ago: it still answers (it was the newest
	 * until now) while the next is made, at least GZCACHE_MIN_GAP_MS after it.
	 */
	nanosleep(&older, NULL);
	assert_int_equal(snapshot_publish(&f->box, f->v, DOMAINS / 2, &f->stats, NOW + 1), 0);
	gzcache_published(c);
	q = gzcache_get(c);
	assert_non_null(q);
	gzpage_unref(q);
	q = get_page_of(c, first + 1);
	assert_non_null(q);
	assert_true(q->len < p->len); /* half the domains */
	assert_true(q->taken_ms - p->taken_ms >= GZCACHE_MIN_GAP_MS);
	gzpage_unref(p);
	gzpage_unref(q);
	gzcache_stop(c);
}

/*
 * Past max_lag after a change, a request waits for the next page rather than
 * take the old one; it is made GZCACHE_MIN_GAP_MS after the old one at the
 * earliest, so the wait is measurable.
 */
static void stale_page_is_not_served(void **state)
{
	struct fixture *f = *state;
	struct timespec lag = {0, 300 * 1000 * 1000}, t0, t1;
	struct gzcache *c;
	struct gzpage *p, *q;

	assert_int_equal(gzcache_start(&f->box, SNAPSHOT_METRICS, 200, &c), 0);
	p = gzcache_get(c);
	assert_non_null(p);
	assert_int_equal(snapshot_publish(&f->box, f->v, 1, &f->stats, NOW + 1), 0);
	gzcache_published(c);
	nanosleep(&lag, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	q = gzcache_get(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(q);
	assert_int_equal(q->seq, p->seq + 1);
	assert_true(q->taken_ms - p->taken_ms >= GZCACHE_MIN_GAP_MS);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > 100);
	gzpage_unref(p);
	gzpage_unref(q);
	gzcache_stop(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(compressed_page_inflates_to_the_page, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stopped_compression_gives_up, setup, teardown),
		cmocka_unit_test(fresh_pages),
		cmocka_unit_test_setup_teardown(cache_follows_the_snapshots, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_page_is_not_served, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
