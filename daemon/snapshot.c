/* SPDX-License-Identifier: BSD-3-Clause */
/* Snapshots of the rendered views, and the pages built from one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "daemon/snapshot.h"

/* No page is bigger than this: 10,000 domains of a few KiB of samples each fit. */
#define SNAPSHOT_PAGE_MAX (512u << 20)

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

static int snapshot_put(struct buf *b, const char *text)
{
	return text != NULL ? buf_append(b, text, strlen(text)) : 0;
}

/* Hands the buffer's text to the caller (not cleansed: pages hold no secrets). */
static int snapshot_finish(struct buf *b, int r, char **ret, size_t *len)
{
	if (r < 0) {
		free(b->data);
		return r;
	}
	if (b->data == NULL && buf_append(b, "", 0) < 0) {
		return -ENOMEM;
	}
	*ret = (char *)b->data;
	*len = b->len;
	return 0;
}

int snapshot_metrics(const struct snapshot *s, char **ret, size_t *len)
{
	struct buf b;
	char *daemon = NULL;
	int f, r = 0;
	size_t i;

	buf_init(&b, SNAPSHOT_PAGE_MAX);
	for (f = 0; f < RENDER_FAMILY_COUNT && r == 0; f++) {
		r = snapshot_put(&b, render_family_header((enum render_family)f));
		for (i = 0; i < s->n && r == 0; i++) {
			r = snapshot_put(&b, s->v[i]->r.family[f]);
		}
	}
	if (r == 0) {
		r = render_daemon_metrics(&s->stats, &daemon);
	}
	if (r == 0) {
		r = snapshot_put(&b, daemon);
	}
	free(daemon);
	return snapshot_finish(&b, r, ret, len);
}

int snapshot_page(const struct snapshot *s, char **ret, size_t *len)
{
	unsigned counts[5] = {0};
	struct buf b;
	char *head = NULL;
	size_t i;
	int r;

	for (i = 0; i < s->n; i++) {
		int st = s->v[i]->r.status;

		counts[st >= 0 && st <= 4 ? st : 4]++;
	}
	buf_init(&b, SNAPSHOT_PAGE_MAX);
	r = render_page_head(s->published, counts,
			     s->stats.state_db_ok ? NULL : s->stats.state_db_problem, &head);
	if (r == 0) {
		r = snapshot_put(&b, head);
	}
	for (i = 0; i < s->n && r == 0; i++) {
		r = snapshot_put(&b, s->v[i]->r.html_row);
	}
	if (r == 0) {
		r = snapshot_put(&b, render_page_tail());
	}
	free(head);
	return snapshot_finish(&b, r, ret, len);
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
