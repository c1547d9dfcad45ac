/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Snapshots of the rendered views, and the pages generated from one while
 * they are sent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/renderpack.h"
#include "daemon/snapshot.h"

/* The names part of a view of name was packed with (and is unpacked with). */
static void view_names(const char *name, size_t name_len, size_t part, struct renderpack_names *ret)
{
	ret->family = part < RENDER_FAMILY_COUNT ? render_family_name((enum render_family)part)
						 : "";
	ret->family_len = strlen(ret->family);
	ret->domain = name;
	ret->domain_len = name_len;
}

/*
 * Packs every part of r into tmp (renderpack_bound of their total plus one
 * byte per part), where each begins into off; the unpacked lengths into p.
 */
static size_t view_pack(const char *name, size_t name_len, const struct render_domain *r,
			uint8_t *tmp, struct view_packed *p)
{
	size_t part, w = 0;

	for (part = 0; part <= RENDER_PART_ROW; part++) {
		struct renderpack_names names;
		size_t len;
		const char *text = render_part(r, part, &len);

		view_names(name, name_len, part, &names);
		p->off[part] = (uint32_t)w;
		w += renderpack_pack(text, len, &names, tmp + w);
		if (part == RENDER_PART_ROW) {
			p->row_len = (uint32_t)len;
		} else {
			p->metrics_len += (uint32_t)len;
		}
	}
	p->off[RENDER_PART_ROW + 1] = (uint32_t)w;
	return w;
}

struct view *view_new(const char *name, struct render_domain *r)
{
	struct view_packed packed = {.status = r->status};
	size_t name_len = strlen(name), text_len = 0, code_len, part;
	struct view *v = NULL;
	uint8_t *tmp;

	for (part = 0; part <= RENDER_PART_ROW; part++) {
		size_t len;

		render_part(r, part, &len);
		text_len += len;
	}
	tmp = malloc(renderpack_bound(text_len) + RENDER_PART_ROW + 1);
	if (tmp == NULL) {
		goto out;
	}
	code_len = view_pack(name, name_len, r, tmp, &packed);
	/* One allocation: what a page visits of each view sits together. */
	v = calloc(1, sizeof(*v) + name_len + 1 + code_len + RENDERPACK_PAD);
	if (v == NULL) {
		goto out;
	}
	atomic_init(&v->ref, 1);
	v->name = (char *)(v + 1);
	memcpy(v->name, name, name_len + 1);
	v->name_len = name_len;
	v->rollover = NULL;
	v->r = packed;
	v->r.code = (uint8_t *)v->name + name_len + 1;
	memcpy((uint8_t *)v->r.code, tmp, code_len);
out:
	free(tmp);
	render_domain_release(r);
	return v;
}

char *view_part(const struct view *v, size_t part)
{
	struct renderpack_names names;
	struct renderpack_reader r;
	size_t len = 0, cap = 256, n;
	char *text = NULL;

	if (part > RENDER_PART_ROW) {
		return NULL;
	}
	view_names(v->name, v->name_len, part, &names);
	renderpack_reader_init(&r);
	renderpack_reader_open(&r, v->r.code + v->r.off[part], v->r.off[part + 1] - v->r.off[part],
			       &names);
	for (;;) {
		if (text == NULL || len + 1 == cap) {
			char *bigger = realloc(text, cap *= 2);

			if (bigger == NULL) {
				free(text);
				return NULL;
			}
			text = bigger;
		}
		n = renderpack_read(&r, text + len, cap - 1 - len);
		if (n == 0) {
			break;
		}
		len += n;
	}
	text[len] = '\0';
	return text;
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
	free(v);
}

int snapshot_box_init(struct snapshot_box *b)
{
	b->current = NULL;
	b->published = 0;
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
	s->seq = ++b->published;
	b->current = s;
	pthread_mutex_unlock(&b->lock);
	snapshot_release(old); /* readers still holding it keep it alive */
	return 0;
}

uint64_t snapshot_box_seq(struct snapshot_box *b)
{
	uint64_t seq;

	pthread_mutex_lock(&b->lock);
	seq = b->published;
	pthread_mutex_unlock(&b->lock);
	return seq;
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
 * made when the reader is; the views' parts are unpacked as they are sent.
 */
/* How many pieces ahead snapshot_prefetch asks for a view, and for its part. */
#define SNAPSHOT_PREFETCH_VIEW 16
#define SNAPSHOT_PREFETCH_TEXT 8

struct snapshot_reader {
	struct snapshot *s;
	enum snapshot_page_kind kind;
	char *head;
	size_t head_len;
	size_t family_len[RENDER_FAMILY_COUNT]; /* of the families' names */
	size_t next;				/* the piece after the one being sent */
	struct renderpack_reader unpack;	/* a view's part being sent */
	const char *cur;			/* or a text being sent */
	size_t cur_len;
	size_t cur_off;
};

/* Starts sending the part of view v. */
static void snapshot_open_part(struct snapshot_reader *r, const struct view *v, size_t part)
{
	struct renderpack_names names = {
		.family = part < RENDER_FAMILY_COUNT ? render_family_name((enum render_family)part)
						     : "",
		.family_len = part < RENDER_FAMILY_COUNT ? r->family_len[part] : 0,
		.domain = v->name,
		.domain_len = v->name_len,
	};

	r->cur_len = r->cur_off = 0;
	renderpack_reader_open(&r->unpack, v->r.code + v->r.off[part],
			       v->r.off[part + 1] - v->r.off[part], &names);
}

/* Starts sending text. */
static void snapshot_open_text(struct snapshot_reader *r, const char *text, size_t len)
{
	r->cur = text;
	r->cur_len = len;
	r->cur_off = 0;
}

/* Starts sending piece k of r's page; false past the last piece. */
static bool snapshot_open(struct snapshot_reader *r, size_t k)
{
	const struct snapshot *s = r->s;
	size_t per_family = s->n + 1;

	if (r->kind == SNAPSHOT_HTML) {
		if (k == 0) {
			snapshot_open_text(r, r->head, r->head_len);
		} else if (k <= s->n) {
			snapshot_open_part(r, s->v[k - 1], RENDER_PART_ROW);
		} else if (k == s->n + 1) {
			snapshot_open_text(r, render_page_tail(), strlen(render_page_tail()));
		} else {
			return false;
		}
		return true;
	}
	if (k < RENDER_FAMILY_COUNT * per_family) {
		size_t f = k / per_family, i = k % per_family;

		if (i == 0) {
			const char *h = render_family_header((enum render_family)f);

			snapshot_open_text(r, h, strlen(h));
		} else {
			snapshot_open_part(r, s->v[i - 1], f);
		}
		return true;
	}
	if (k == RENDER_FAMILY_COUNT * per_family) {
		snapshot_open_text(r, r->head, r->head_len);
		return true;
	}
	return false;
}

/* The length of r's page, from the views' unpacked lengths. */
static size_t snapshot_page_len(const struct snapshot_reader *r)
{
	const struct snapshot *s = r->s;
	size_t total = r->head_len, i;

	if (r->kind == SNAPSHOT_HTML) {
		total += strlen(render_page_tail());
		for (i = 0; i < s->n; i++) {
			total += s->v[i]->r.row_len;
		}
		return total;
	}
	for (i = 0; i < RENDER_FAMILY_COUNT; i++) {
		total += strlen(render_family_header((enum render_family)i));
	}
	for (i = 0; i < s->n; i++) {
		total += s->v[i]->r.metrics_len;
	}
	return total;
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
	size_t f;
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
	renderpack_reader_init(&r->unpack);
	for (f = 0; f < RENDER_FAMILY_COUNT; f++) {
		r->family_len[f] = strlen(render_family_name((enum render_family)f));
	}
	r->s = snapshot_acquire_ref(s);
	*ret_len = snapshot_page_len(r);
	return r;
}

/*
 * Asks the CPU for the memory of the pieces after piece k ahead of time: a
 * page visits every view once per family, and without this the copy waits
 * on a cache miss (two: the view, then its part) for every piece.
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
		/*
		 * The lines of the view that the part's opening reads, by address
		 * alone (a load here would wait for the miss it is meant to hide):
		 * its offset, the code pointer, and the name after the struct.
		 */
		const struct view *v = s->v[i + SNAPSHOT_PREFETCH_VIEW - 1];

		__builtin_prefetch(&v->r.off[k / per_family]);
		__builtin_prefetch(&v->r.code);
		__builtin_prefetch(v + 1);
	}
	if (i + SNAPSHOT_PREFETCH_TEXT <= s->n) {
		const struct view_packed *p = &s->v[i + SNAPSHOT_PREFETCH_TEXT - 1]->r;

		__builtin_prefetch(p->code + p->off[k / per_family]);
	}
}

size_t snapshot_reader_read(struct snapshot_reader *r, char *buf, size_t max)
{
	size_t done = 0;

	while (done < max) {
		size_t n;

		if (r->cur_off < r->cur_len) {
			n = r->cur_len - r->cur_off < max - done ? r->cur_len - r->cur_off
								 : max - done;
			memcpy(buf + done, r->cur + r->cur_off, n);
			r->cur_off += n;
			done += n;
			continue;
		}
		n = renderpack_read(&r->unpack, buf + done, max - done);
		if (n > 0) {
			done += n;
			continue;
		}
		if (!snapshot_open(r, r->next)) {
			break;
		}
		r->next++;
		snapshot_prefetch(r, r->next);
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
