/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Snapshots of the rendered views, and the pages built from one: at most once
 * per snapshot and page, however many requests ask for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

	if (s == NULL || (n > 0 && (s->v = calloc(n, sizeof(*s->v))) == NULL) ||
	    pthread_mutex_init(&s->pages_lock, NULL) != 0) {
		if (s != NULL) {
			free(s->v);
		}
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
	for (i = 0; i < SNAPSHOT_PAGE_COUNT; i++) {
		snapshot_body_unref(s->pages[i]); /* responses still sending one keep it */
	}
	pthread_mutex_destroy(&s->pages_lock);
	free(s->v);
	free(s);
}

/*
 * A page body of len bytes in a mapping of its own, unmapped when the last
 * response that sends it is done. Not malloc: glibc raises its mmap threshold
 * to the size of the first large block freed (up to 32 MiB), so later pages
 * of 25 MB would come from the HTTP threads' arenas, which give memory back
 * to the system only from their top.
 */
static struct snapshot_body *snapshot_body_new(size_t len, char **ret_data)
{
	struct snapshot_body *b;
	void *p;

	if (len > SNAPSHOT_PAGE_MAX) {
		return NULL;
	}
	p = mmap(NULL, sizeof(*b) + len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		 0);
	if (p == MAP_FAILED) {
		return NULL;
	}
	b = p;
	atomic_init(&b->ref, 1);
	b->len = len;
	*ret_data = (char *)(b + 1);
	b->data = *ret_data;
	return b;
}

void snapshot_body_unref(void *body)
{
	struct snapshot_body *b = body;

	if (b == NULL || atomic_fetch_sub_explicit(&b->ref, 1, memory_order_acq_rel) != 1) {
		return;
	}
	munmap(b, sizeof(*b) + b->len);
}

static char *snapshot_put(char *p, const char *text, size_t len)
{
	if (len > 0) {
		memcpy(p, text, len);
	}
	return p + len;
}

/*
 * Every family's header and samples, then the daemon's: sized first from the
 * lengths render kept, then joined, so 250,000 fragments are read once.
 */
static struct snapshot_body *snapshot_build_metrics(const struct snapshot *s)
{
	size_t head[RENDER_FAMILY_COUNT];
	struct snapshot_body *b = NULL;
	char *daemon = NULL, *p;
	size_t i, len, daemon_len;
	int f;

	if (render_daemon_metrics(&s->stats, &daemon) < 0) {
		return NULL;
	}
	daemon_len = strlen(daemon);
	len = daemon_len;
	for (f = 0; f < RENDER_FAMILY_COUNT; f++) {
		head[f] = strlen(render_family_header((enum render_family)f));
		len += head[f];
		for (i = 0; i < s->n; i++) {
			len += s->v[i]->r.family_len[f];
		}
	}
	b = snapshot_body_new(len, &p);
	if (b == NULL) {
		goto out;
	}
	for (f = 0; f < RENDER_FAMILY_COUNT; f++) {
		p = snapshot_put(p, render_family_header((enum render_family)f), head[f]);
		for (i = 0; i < s->n; i++) {
			p = snapshot_put(p, s->v[i]->r.family[f], s->v[i]->r.family_len[f]);
		}
	}
	snapshot_put(p, daemon, daemon_len);
out:
	free(daemon);
	return b;
}

static struct snapshot_body *snapshot_build_html(const struct snapshot *s)
{
	unsigned counts[5] = {0};
	struct snapshot_body *b = NULL;
	const char *tail = render_page_tail();
	char *head = NULL, *p;
	size_t i, len, head_len, tail_len = strlen(tail);

	for (i = 0; i < s->n; i++) {
		int st = s->v[i]->r.status;

		counts[st >= 0 && st <= 4 ? st : 4]++;
	}
	if (render_page_head(s->published, counts,
			     s->stats.state_db_ok ? NULL : s->stats.state_db_problem, &head) < 0) {
		return NULL;
	}
	head_len = strlen(head);
	len = head_len + tail_len;
	for (i = 0; i < s->n; i++) {
		len += s->v[i]->r.html_row_len;
	}
	b = snapshot_body_new(len, &p);
	if (b == NULL) {
		goto out;
	}
	p = snapshot_put(p, head, head_len);
	for (i = 0; i < s->n; i++) {
		p = snapshot_put(p, s->v[i]->r.html_row, s->v[i]->r.html_row_len);
	}
	snapshot_put(p, tail, tail_len);
out:
	free(head);
	return b;
}

int snapshot_page(struct snapshot *s, enum snapshot_page_kind kind, struct snapshot_body **ret_body)
{
	struct snapshot_body *b;

	if ((int)kind < 0 || kind >= SNAPSHOT_PAGE_COUNT) {
		return -EINVAL;
	}
	/* Concurrent first requests wait here for one build instead of making one each. */
	pthread_mutex_lock(&s->pages_lock);
	b = s->pages[kind];
	if (b == NULL) {
		b = kind == SNAPSHOT_METRICS ? snapshot_build_metrics(s) : snapshot_build_html(s);
		s->pages[kind] = b;
	}
	if (b != NULL) {
		atomic_fetch_add_explicit(&b->ref, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&s->pages_lock);
	if (b == NULL) {
		return -ENOMEM;
	}
	*ret_body = b;
	return 0;
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
