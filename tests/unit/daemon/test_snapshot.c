/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/snapshot: the pages generated while they are sent
 * are the families' headers and every view's samples in order, then the
 * daemon's own samples (/metrics), or the head, every row and the tail (/);
 * the length announced up front is the length read, whatever the reads'
 * sizes; the views' packed parts unpack to what render_domain made; a reader
 * keeps its snapshot alive after a newer one is published.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/snapshot.h"

#define NOW ((int64_t)1795314897)

static const char *const names[] = {"a.example", "b.example", "c.example"};

struct fixture {
	struct snapshot_box box;
	struct view *v[3];
	char *part[3][RENDER_PART_ROW + 1]; /* render_domain's text of each view's parts */
	struct render_daemon_stats stats;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	size_t i;

	assert_non_null(f);
	assert_int_equal(snapshot_box_init(&f->box), 0);
	for (i = 0; i < 3; i++) {
		struct render_domain r;
		size_t p;

		/* Never checked; the second with a rollover (every state a series). */
		assert_int_equal(
			render_domain(names[i], NULL, NULL, i == 1 ? "published" : NULL, &r), 0);
		for (p = 0; p <= RENDER_PART_ROW; p++) {
			f->part[i][p] = strdup(render_part(&r, p, NULL));
			assert_non_null(f->part[i][p]);
		}
		f->v[i] = view_new(names[i], &r);
		assert_non_null(f->v[i]);
		assert_null(r.text); /* taken over */
	}
	f->stats.started_at = NOW;
	f->stats.state_db_ok = true;
	assert_int_equal(snapshot_publish(&f->box, f->v, 3, &f->stats, NOW), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < 3; i++) {
		size_t p;

		view_unref(f->v[i]);
		for (p = 0; p <= RENDER_PART_ROW; p++) {
			free(f->part[i][p]);
		}
	}
	snapshot_box_destroy(&f->box);
	free(f);
	return 0;
}

/* The whole page of kind, read chunk bytes at a time; its announced length into ret_len. */
static char *read_page(struct snapshot *s, enum snapshot_page_kind kind, size_t chunk,
		       size_t *ret_len)
{
	struct snapshot_reader *r = snapshot_reader_new(s, kind, ret_len);
	size_t got = 0, n;
	char *page;

	assert_non_null(r);
	page = malloc(*ret_len + chunk + 1);
	assert_non_null(page);
	while ((n = snapshot_reader_read(r, page + got, chunk)) > 0) {
		assert_true(n <= chunk);
		got += n;
		assert_true(got <= *ret_len);
	}
	assert_int_equal(snapshot_reader_read(r, page + got, chunk), 0); /* stays at its end */
	snapshot_reader_free(r);
	assert_int_equal(got, *ret_len);
	page[got] = '\0';
	return page;
}

/* The page as the views' parts joined: what the reader must produce. */
static char *expected_metrics(struct fixture *f)
{
	size_t cap = 1 << 16, len = 0, i, p;
	char *out = malloc(cap), *daemon = NULL;

	assert_non_null(out);
	out[0] = '\0';
	for (p = 0; p < RENDER_FAMILY_COUNT; p++) {
		len += (size_t)snprintf(out + len, cap - len, "%s",
					render_family_header((enum render_family)p));
		for (i = 0; i < 3; i++) {
			len += (size_t)snprintf(out + len, cap - len, "%s", f->part[i][p]);
		}
	}
	assert_int_equal(render_daemon_metrics(&f->stats, &daemon), 0);
	len += (size_t)snprintf(out + len, cap - len, "%s", daemon);
	assert_true(len < cap);
	free(daemon);
	return out;
}

static void metrics_page(void **state)
{
	struct fixture *f = *state;
	struct snapshot *s = snapshot_acquire(&f->box);
	char *want = expected_metrics(f);
	static const size_t chunks[] = {1, 7, 100, 65536};
	size_t i, len;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		char *page = read_page(s, SNAPSHOT_METRICS, chunks[i], &len);

		assert_string_equal(page, want);
		assert_int_equal(len, strlen(want));
		free(page);
	}
	free(want);
	snapshot_release(s);
}

static void html_page(void **state)
{
	struct fixture *f = *state;
	struct snapshot *s = snapshot_acquire(&f->box);
	size_t len, i;
	char *page = read_page(s, SNAPSHOT_HTML, 13, &len);
	const char *at = page;

	assert_non_null(strstr(page, "<!DOCTYPE html>"));
	assert_non_null(strstr(page, "unknown 3"));
	for (i = 0; i < 3; i++) { /* every row, in the snapshot's order */
		const char *row = f->part[i][RENDER_PART_ROW];

		at = strstr(at, row);
		assert_non_null(at);
		at += strlen(row);
	}
	assert_string_equal(at, render_page_tail());
	free(page);
	snapshot_release(s);
}

/* A reader holds its snapshot: the views it reads outlive a newer publish. */
static void reader_outlives_publish(void **state)
{
	struct fixture *f = *state;
	struct snapshot *s = snapshot_acquire(&f->box);
	struct snapshot_reader *r;
	char buf[64];
	size_t len, total;

	r = snapshot_reader_new(s, SNAPSHOT_METRICS, &len);
	assert_non_null(r);
	snapshot_release(s);
	assert_int_equal(snapshot_publish(&f->box, f->v, 1, &f->stats, NOW + 1), 0);
	total = 0;
	for (size_t n; (n = snapshot_reader_read(r, buf, sizeof(buf))) > 0;) {
		total += n;
	}
	assert_int_equal(total, len);
	snapshot_reader_free(r);
	s = snapshot_acquire(&f->box);
	assert_int_equal(s->n, 1);
	snapshot_release(s);
}

/* Each view's parts unpack to the text they were packed from. */
static void view_parts(void **state)
{
	struct fixture *f = *state;
	size_t i, p;

	for (i = 0; i < 3; i++) {
		assert_string_equal(f->v[i]->name, names[i]);
		assert_int_equal(f->v[i]->r.status, 4);
		for (p = 0; p <= RENDER_PART_ROW; p++) {
			char *text = view_part(f->v[i], p);

			assert_non_null(text);
			assert_string_equal(text, f->part[i][p]);
			free(text);
		}
		assert_null(view_part(f->v[i], RENDER_PART_ROW + 1));
	}
}

/*
 * The bed's sample domains (report_two_domains.json), checked: every part
 * unpacks to its text, and the packed form is a fraction of it.
 */
static void checked_views(void **state)
{
	json_t *doc = json_load_file(XDANE_TEST_DATA "/report_two_domains.json", 0, NULL);
	const json_t *report;
	size_t i;

	(void)state;
	assert_non_null(doc);
	json_array_foreach(json_object_get(doc, "domains"), i, report)
	{
		const char *name = json_string_value(json_object_get(report, "domain"));
		char *want[RENDER_PART_ROW + 1];
		size_t p, text_len = 0;
		struct render_domain r;
		struct view *v;

		assert_int_equal(render_domain(name, report, NULL, NULL, &r), 0);
		for (p = 0; p <= RENDER_PART_ROW; p++) {
			want[p] = strdup(render_part(&r, p, NULL));
			assert_non_null(want[p]);
			text_len += strlen(want[p]);
		}
		v = view_new(name, &r);
		assert_non_null(v);
		assert_int_equal(v->r.metrics_len + v->r.row_len, text_len);
		/* 6,956 -> 2,129 and 13,265 -> 5,440 bytes (long finding messages) */
		assert_true(v->r.off[RENDER_PART_ROW + 1] * 2 < text_len);
		for (p = 0; p <= RENDER_PART_ROW; p++) {
			char *text = view_part(v, p);

			assert_non_null(text);
			assert_string_equal(text, want[p]);
			free(text);
			free(want[p]);
		}
		view_unref(v);
	}
	json_decref(doc);
}

static void bad_kind(void **state)
{
	struct fixture *f = *state;
	struct snapshot *s = snapshot_acquire(&f->box);
	size_t len;

	assert_null(snapshot_reader_new(s, SNAPSHOT_PAGE_COUNT, &len));
	snapshot_release(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(metrics_page, setup, teardown),
		cmocka_unit_test_setup_teardown(html_page, setup, teardown),
		cmocka_unit_test_setup_teardown(reader_outlives_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(view_parts, setup, teardown),
		cmocka_unit_test(checked_views),
		cmocka_unit_test_setup_teardown(bad_kind, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
