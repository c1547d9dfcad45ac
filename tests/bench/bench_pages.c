/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the listener's pages without a bed: N views (daemon/snapshot)
 * rendered from one DOMAIN_REPORT under N names, then /metrics and / read
 * through a snapshot reader in 64 KiB blocks, as libmicrohttpd does, and
 * /metrics compressed as gzip clients get it (daemon/gzpage). Prints the heap
 * the views hold, the page sizes and the best of K generations as key=value
 * lines; the CPU of sending (sockets, the client) is not in it.
 *
 *     bench_pages REPORT.json [N=10000] [K=15]
 *
 * REPORT.json is a DOMAIN_REPORT, or a document with "domains": [...] whose
 * first one is used (tests/data/report_two_domains.json: four services, two
 * addresses each; one from a bench_daemon.py state db: one endpoint).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "daemon/gzpage.h"
#include "daemon/snapshot.h"

#define BENCH_BLOCK (64 * 1024) /* httpd.c's block size */

static double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Bytes of heap in use (every arena), from mallinfo2. */
static size_t bench_heap(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* The best of k generations of the page of kind; its length into ret_len. */
static double bench_page(struct snapshot_box *box, enum snapshot_page_kind kind, int k,
			 size_t *ret_len)
{
	static char buf[BENCH_BLOCK];
	double best = -1;
	int i;

	for (i = 0; i < k; i++) {
		struct snapshot *s = snapshot_acquire(box);
		double t0 = bench_now_ms(), t;
		struct snapshot_reader *r = snapshot_reader_new(s, kind, ret_len);
		size_t got = 0, n;

		if (r == NULL) {
			fprintf(stderr, "bench_pages: out of memory\n");
			exit(1);
		}
		while ((n = snapshot_reader_read(r, buf, sizeof(buf))) > 0) {
			got += n;
		}
		snapshot_reader_free(r);
		snapshot_release(s);
		t = bench_now_ms() - t0;
		if (got != *ret_len) {
			fprintf(stderr, "bench_pages: read %zu bytes of %zu\n", got, *ret_len);
			exit(1);
		}
		if (best < 0 || t < best) {
			best = t;
		}
	}
	return best;
}

/* The best of k compressions of /metrics (gzpage_make); the compressed length into ret_len. */
static double bench_gzip(struct snapshot_box *box, int k, size_t *ret_len)
{
	double best = -1;
	int i;

	for (i = 0; i < k; i++) {
		struct snapshot *s = snapshot_acquire(box);
		double t0 = bench_now_ms(), t;
		struct gzpage *p = gzpage_make(s, SNAPSHOT_METRICS, NULL);

		t = bench_now_ms() - t0;
		if (p == NULL) {
			fprintf(stderr, "bench_pages: out of memory\n");
			exit(1);
		}
		*ret_len = p->len;
		gzpage_unref(p);
		snapshot_release(s);
		if (best < 0 || t < best) {
			best = t;
		}
	}
	return best;
}

int main(int argc, char **argv)
{
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000, i, len;
	int k = argc > 3 ? atoi(argv[3]) : 15;
	struct render_daemon_stats stats = {.state_db_ok = true};
	json_t *doc, *report;
	struct snapshot_box box;
	struct view **views;
	size_t heap0;
	double ms;

	if (argc < 2 || (doc = json_load_file(argv[1], 0, NULL)) == NULL) {
		fprintf(stderr, "usage: bench_pages REPORT.json [N] [K]\n");
		return 2;
	}
	report = json_object_get(doc, "domains") != NULL
			 ? json_array_get(json_object_get(doc, "domains"), 0)
			 : doc;
	views = calloc(n, sizeof(*views));
	if (views == NULL || snapshot_box_init(&box) < 0) {
		return 1;
	}
	heap0 = bench_heap();
	for (i = 0; i < n; i++) {
		char name[64];
		struct render_domain r;

		snprintf(name, sizeof(name), "bench-%zu.example", i + 1);
		json_object_set_new(report, "domain", json_string(name));
		if (render_domain(name, report, NULL, NULL, &r) < 0 ||
		    (views[i] = view_new(name, &r)) == NULL) {
			fprintf(stderr, "bench_pages: out of memory\n");
			return 1;
		}
	}
	printf("domains=%zu views_heap_bytes=%zu per_domain=%zu\n", n, bench_heap() - heap0,
	       n > 0 ? (bench_heap() - heap0) / n : 0);
	if (snapshot_publish(&box, views, n, &stats, 1795314897) < 0) {
		return 1;
	}
	ms = bench_page(&box, SNAPSHOT_METRICS, k, &len);
	printf("page=metrics bytes=%zu best_ms=%.2f\n", len, ms);
	ms = bench_page(&box, SNAPSHOT_HTML, k, &len);
	printf("page=html bytes=%zu best_ms=%.2f\n", len, ms);
	ms = bench_gzip(&box, k, &len);
	printf("page=metrics.gz bytes=%zu best_ms=%.2f\n", len, ms);
	for (i = 0; i < n; i++) {
		view_unref(views[i]);
	}
	snapshot_box_destroy(&box);
	free(views);
	json_decref(doc);
	return 0;
}
