/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the HTTP threads read: an immutable snapshot of every domain's
 * rendered view, which the event loop swaps in whole. Views and snapshots
 * are reference-counted (atomically), so a scrape holds the snapshot it
 * started with while the loop publishes newer ones, and a view shared by
 * consecutive snapshots is rendered once.
 */
#ifndef XDANE_DAEMON_SNAPSHOT_H
#define XDANE_DAEMON_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/render.h"

/*
 * A domain's rendered samples and HTML row, packed (renderpack.h) to about a
 * quarter of their text: with 10,000 domains the texts were most of
 * xdaned's memory. Unpacked while a page is sent.
 */
struct view_packed {
	int status;			   /* render_domain's: 0 ok .. 3 critical, 4 unknown */
	uint32_t metrics_len;		   /* bytes of its samples unpacked, every family */
	uint32_t row_len;		   /* bytes of its HTML row unpacked */
	uint32_t off[RENDER_PART_ROW + 2]; /* part p is code[off[p] .. off[p + 1]) */
	const uint8_t *code;
};

/* One allocation: the view, then its name, then its packed parts and their padding. */
struct view {
	atomic_uint ref;
	char *name;
	size_t name_len;
	const char *rollover; /* the rollover's phase (a static name), NULL without one */
	struct view_packed r;
};

/*
 * The pages served from a snapshot. None is kept: each response generates its
 * page while it is sent, from the views' texts, so 10,000 domains cost their
 * texts once and not again per page, however many clients read at once.
 */
enum snapshot_page_kind {
	SNAPSHOT_METRICS, /* /metrics: every family's samples together, then the daemon's */
	SNAPSHOT_HTML,	  /* /: the HTML overview */
	SNAPSHOT_PAGE_COUNT
};

struct snapshot {
	atomic_uint ref;
	uint64_t seq;	   /* 1, 2, ... in the order published */
	int64_t published; /* unix time */
	struct render_daemon_stats stats;
	size_t n;
	struct view **v; /* in the config's order; each holds a reference */
};

/* A new view of name, r packed; r is released (then empty) either way. NULL on -ENOMEM. */
struct view *view_new(const char *name, struct render_domain *r);
/* Part p (a family, or RENDER_PART_ROW) of v unpacked, malloc'd; NULL on -ENOMEM. */
char *view_part(const struct view *v, size_t part);
struct view *view_ref(struct view *v);
void view_unref(struct view *v);

/* Where the loop publishes and readers take snapshots. */
struct snapshot_box {
	pthread_mutex_t lock;
	struct snapshot *current;
	uint64_t published; /* snapshots published so far: the current one's seq */
};

int snapshot_box_init(struct snapshot_box *b);
void snapshot_box_destroy(struct snapshot_box *b);

/*
 * Publishes a snapshot of views[0..n) (each gets a reference) and stats.
 * Returns 0 or -ENOMEM (the old snapshot stays).
 */
int snapshot_publish(struct snapshot_box *b, struct view *const *views, size_t n,
		     const struct render_daemon_stats *stats, int64_t now);

/* The current snapshot's seq (0 before the first publish). */
uint64_t snapshot_box_seq(struct snapshot_box *b);
/* The current snapshot with a reference for the caller (NULL before the first publish). */
struct snapshot *snapshot_acquire(struct snapshot_box *b);
void snapshot_release(struct snapshot *s);
/* Another reference to s, which the caller holds. */
struct snapshot *snapshot_acquire_ref(struct snapshot *s);

/*
 * A reader of the page of kind of s, which it holds a reference to; the
 * page's length in bytes into ret_len. NULL on -ENOMEM or a bad kind.
 */
struct snapshot_reader *snapshot_reader_new(struct snapshot *s, enum snapshot_page_kind kind,
					    size_t *ret_len);
/* Copies the next at most max bytes of the page into buf: how many, 0 at its end. */
size_t snapshot_reader_read(struct snapshot_reader *r, char *buf, size_t max);
/* Frees a reader (NULL: nothing); takes void * to be a free callback. */
void snapshot_reader_free(void *reader);

/* The view of domain in s, or NULL. */
const struct view *snapshot_find(const struct snapshot *s, const char *domain);

#endif
