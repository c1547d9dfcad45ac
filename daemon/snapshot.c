/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Snapshots of the rendered views, and the pages generated from one while
 * they are sent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/snapshot.h"

struct view *view_new(const char *name, struct render_domain *r)
{
	struct view *v = calloc(1, sizeof(*v));

	if (v == NULL || (v->name = strdup(name)) == NULL) {
		free(v);
		return NULL;
	}
	atomic_init(&v->ref, 1);
	v->r = *r;
	memset(r, 0, sizeof(*r));
	return v;
}

struct view *view_ref(struct view *v)
{
	atomic_fetch_add_explicit(&v->ref, 1, memory_order_relaxed);
	return v;
}

void view_unref(struct view *v)
{
	if (v == NULL || atomic_fetch_sub_explicit(&v->ref, 1, memory_order_acq_rel) != 1) {
		return;
	}
	render_domain_release(&v->r);
	free(v->name);
	free(v);
}

int snapshot_box_init(struct snapshot_box *b)
{
	b->current = NULL;
	return pthread_mutex_init(&b->lock, NULL) == 0 ? 0 : -ENOMEM;
}

void snapshot_box_destroy(struct snapshot_box *b)
{
	snapshot_release(b->current);
	b->current = NULL;
	pthread_mutex_destroy(&b->lock);
}

int snapshot_publish(struct snapshot_box *b, struct view *const *views, size_t n,
		     const struct render_daemon_stats *stats, int64_t now)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	struct snapshot *old;
	size_t i;

	if (s == NULL || (n > 0 && (s->v = calloc(n, sizeof(*s->v))) == NULL)) {
		free(s);
		return -ENOMEM;
	}
	atomic_init(&s->ref, 1);
	s->published = now;
	s->stats = *stats;
	for (i = 0; i < n; i++) {
		if (views[i] != NULL) {
			s->v[s->n++] = view_ref(views[i]);
		}
	}
	pthread_mutex_lock(&b->lock);
	old = b->current;
	b->current = s;
	pthread_mutex_unlock(&b->lock);
	snapshot_release(old); /* readers still holding it keep it alive */
	return 0;
}

struct snapshot *snapshot_acquire(struct snapshot_box *b)
{
	struct snapshot *s;

	pthread_mutex_lock(&b->lock);
	s = b->current;
	if (s != NULL) {
		atomic_fetch_add_explicit(&s->ref, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&b->lock);
	return s;
}

struct snapshot *snapshot_acquire_ref(struct snapshot *s)
{
	atomic_fetch_add_explicit(&s->ref, 1, memory_order_relaxed);
	return s;
}

void snapshot_release(struct snapshot *s)
{
	size_t i;

	if (s == NULL || atomic_fetch_sub_explicit(&s->ref, 1, memory_order_acq_rel) != 1) {
		return;
	}
	for (i = 0; i < s->n; i++) {
		view_unref(s->v[i]);
	}
	free(s->v);
	free(s);
}

/*
 * A page is a sequence of pieces, numbered from 0: /metrics is, for each
 * family, its header and then every view's samples of it, and last the
 * daemon's own samples; / is its head, every view's row, and its tail.
 * The head (the daemon's samples, or the page's head with its counts) is
 * made when the reader is; the rest is the views' texts, copied as sent.
 */
/* How many pieces ahead snapshot_prefetch asks for a view, and for its text. */
#define SNAPSHOT_PREFETCH_VIEW 16
#define SNAPSHOT_PREFETCH_TEXT 8

struct snapshot_reader {
	struct snapshot *s;
	enum snapshot_page_kind kind;
	char *head;
	size_t head_len;
	size_t next;	 /* the piece after the one being sent */
	const char *cur; /* the piece being sent */
	size_t cur_len;
	size_t cur_off;
};

/* Piece k of r's page into *ret and its length; false past the last piece. */
static bool snapshot_piece(const struct snapshot_reader *r, size_t k, const char **ret,
			   size_t *ret_len)
{
	const struct snapshot *s = r->s;
	size_t per_family = s->n + 1;

	if (r->kind == SNAPSHOT_HTML) {
		if (k == 0) {
			*ret = r->head;
			*ret_len = r->head_len;
		} else if (k <= s->n) {
			*ret = render_part(&s->v[k - 1]->r, RENDER_PART_ROW, ret_len);
		} else if (k == s->n + 1) {
			*ret = render_page_tail();
			*ret_len = strlen(*ret);
		} else {
			return false;
		}
		return true;
	}
	if (k < RENDER_FAMILY_COUNT * per_family) {
		size_t f = k / per_family, i = k % per_family;

		if (i == 0) {
			*ret = render_family_header((enum render_family)f);
			*ret_len = strlen(*ret);
		} else {
			*ret = render_part(&s->v[i - 1]->r, f, ret_len);
		}
		return true;
	}
	if (k == RENDER_FAMILY_COUNT * per_family) {
		*ret = r->head;
		*ret_len = r->head_len;
		return true;
	}
	return false;
}

/* The page's head: the counts by status, and xdaned's own problem as a banner. */
static int snapshot_html_head(const struct snapshot *s, char **ret)
{
	unsigned counts[5] = {0};
	size_t i;

	for (i = 0; i < s->n; i++) {
		int st = s->v[i]->r.status;

		counts[st >= 0 && st <= 4 ? st : 4]++;
	}
	return render_page_head(s->published, counts,
				s->stats.state_db_ok ? NULL : s->stats.state_db_problem, ret);
}

struct snapshot_reader *snapshot_reader_new(struct snapshot *s, enum snapshot_page_kind kind,
					    size_t *ret_len)
{
	struct snapshot_reader *r;
	const char *piece;
	size_t k, len, total = 0;
	int err;

	if ((int)kind < 0 || kind >= SNAPSHOT_PAGE_COUNT || (r = calloc(1, sizeof(*r))) == NULL) {
		return NULL;
	}
	r->kind = kind;
	r->s = s;
	err = kind == SNAPSHOT_METRICS ? render_daemon_metrics(&s->stats, &r->head)
				       : snapshot_html_head(s, &r->head);
	if (err < 0) {
		free(r);
		return NULL;
	}
	r->head_len = strlen(r->head);
	for (k = 0; snapshot_piece(r, k, &piece, &len); k++) {
		total += len;
	}
	r->s = snapshot_acquire_ref(s);
	*ret_len = total;
	return r;
}

/*
 * Asks the CPU for the memory of the pieces after piece k ahead of time: a
 * page visits every view once per family, each in an allocation of its own,
 * and without this the copy waits on a cache miss (two: the view, then its
 * text) for every piece of 2 KB or less.
 */
static void snapshot_prefetch(const struct snapshot_reader *r, size_t k)
{
	const struct snapshot *s = r->s;
	size_t per_family = s->n + 1, i;

	if (r->kind != SNAPSHOT_METRICS || k >= RENDER_FAMILY_COUNT * per_family) {
		return;
	}
	i = k % per_family;
	if (i + SNAPSHOT_PREFETCH_VIEW <= s->n) {
		__builtin_prefetch(s->v[i + SNAPSHOT_PREFETCH_VIEW - 1]);
	}
	if (i + SNAPSHOT_PREFETCH_TEXT <= s->n) {
		const struct render_domain *d = &s->v[i + SNAPSHOT_PREFETCH_TEXT - 1]->r;

		if (d->text != NULL) {
			__builtin_prefetch(d->text + d->off[k / per_family]);
		}
	}
}

size_t snapshot_reader_read(struct snapshot_reader *r, char *buf, size_t max)
{
	size_t done = 0;

	while (done < max) {
		size_t n;

		if (r->cur_off == r->cur_len) {
			if (!snapshot_piece(r, r->next, &r->cur, &r->cur_len)) {
				r->cur_len = r->cur_off = 0;
				break;
			}
			r->next++;
			r->cur_off = 0;
			snapshot_prefetch(r, r->next);
			continue;
		}
		n = r->cur_len - r->cur_off < max - done ? r->cur_len - r->cur_off : max - done;
		memcpy(buf + done, r->cur + r->cur_off, n);
		r->cur_off += n;
		done += n;
	}
	return done;
}

void snapshot_reader_free(void *reader)
{
	struct snapshot_reader *r = reader;

	if (r == NULL) {
		return;
	}
	snapshot_release(r->s);
	free(r->head);
	free(r);
}

const struct view *snapshot_find(const struct snapshot *s, const char *domain)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i]->name, domain) == 0) {
			return s->v[i];
		}
	}
	return NULL;
}
