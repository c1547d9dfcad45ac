/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packing of rendered text. The packed form is a sequence of items, each
 * starting with one byte b:
 *   b < 0x80   a literal run: the next b + 1 bytes, as they are;
 *   b >= 0x80  a reference: string b - 0x80 of the names (0 the family's,
 *              1 the domain's), then of renderpack_dict.
 * A healthy domain's samples and row (~2.3 KB at one endpoint) pack to about
 * a quarter: each sample repeats its family's name, the domain label and
 * label names, and each row the same markup. Literal runs carry any byte, so
 * there is nothing to escape; the dictionary is fixed, so a packed text
 * needs nothing but the names to be unpacked. Packed texts never leave the
 * process: the dictionary may change from one build to the next.
 */
#include <pthread.h>
#include <string.h>

#include "daemon/renderpack.h"

#define RENDERPACK_REF	     0x80u
#define RENDERPACK_RUN_MAX   128u /* bytes of one literal run */
#define RENDERPACK_N_NAMES   2u	  /* the family's name, the domain's */
#define RENDERPACK_MIN_MATCH 2u	  /* a reference of one byte saves nothing over a literal */
#define RENDERPACK_SHORT     RENDERPACK_PAD /* items this long are copied as one fixed-size move */

/*
 * What the samples (render.c's label order) and the rows repeat. The packer
 * takes the longest entry that matches, so a long entry for the common case
 * ("3 1 1" records, "secure") sits beside the short ones it is made of.
 */
/*
 * Each entry in a slot of its own, longer than it, so that the unpacker may
 * copy RENDERPACK_SHORT bytes from any entry (see renderpack_read).
 */
#define RENDERPACK_ENTRY(s)      \
	{                        \
		s, sizeof(s) - 1 \
	}
static const struct {
	char s[RENDERPACK_SHORT * 2];
	size_t len;
} renderpack_dict[] = {
	/* samples */
	RENDERPACK_ENTRY("{domain=\""),
	RENDERPACK_ENTRY("\"} 1\n"),
	RENDERPACK_ENTRY("\"} 0\n"),
	RENDERPACK_ENTRY("\"} "),
	RENDERPACK_ENTRY("\",service=\""),
	RENDERPACK_ENTRY("\",target=\""),
	RENDERPACK_ENTRY("\",port=\""),
	RENDERPACK_ENTRY("\",address=\""),
	RENDERPACK_ENTRY("\",rrset=\""),
	RENDERPACK_ENTRY("\",state=\""),
	RENDERPACK_ENTRY("\",state=\"secure\"} 1\n"),
	RENDERPACK_ENTRY("\",state=\"none\"} 1\n"),
	RENDERPACK_ENTRY("\",rrtype=\""),
	RENDERPACK_ENTRY("\",code=\""),
	RENDERPACK_ENTRY("\",severity=\""),
	RENDERPACK_ENTRY("\",usage=\""),
	RENDERPACK_ENTRY("\",selector=\""),
	RENDERPACK_ENTRY("\",mtype=\""),
	RENDERPACK_ENTRY("\",data=\""),
	RENDERPACK_ENTRY("\",usage=\"3\",selector=\"1\",mtype=\"1\",data=\""),
	RENDERPACK_ENTRY("xmpp-client"),
	RENDERPACK_ENTRY("xmpp-server"),
	RENDERPACK_ENTRY("xmpps-client"),
	RENDERPACK_ENTRY("xmpps-server"),
	RENDERPACK_ENTRY("._tcp."),
	RENDERPACK_ENTRY("SRV _"),
	RENDERPACK_ENTRY("TLSA _"),
	RENDERPACK_ENTRY("DNSKEY"),
	RENDERPACK_ENTRY("xmpp."),
	RENDERPACK_ENTRY("critical"),
	RENDERPACK_ENTRY("warning"),
	/* rows */
	RENDERPACK_ENTRY("<tr class=\"r"),
	RENDERPACK_ENTRY("\"><td><a href=\"/status/"),
	RENDERPACK_ENTRY("\">"),
	RENDERPACK_ENTRY("</a></td><td>"),
	RENDERPACK_ENTRY("<span class=\"b s"),
	RENDERPACK_ENTRY("</span>"),
	RENDERPACK_ENTRY("</span></td><td>"),
	RENDERPACK_ENTRY("</td><td>"),
	RENDERPACK_ENTRY("<time datetime=\""),
	RENDERPACK_ENTRY(" UTC</time>"),
	RENDERPACK_ENTRY("Z\">"),
	RENDERPACK_ENTRY(" <span class=\"age\">"),
	RENDERPACK_ENTRY(" <span class=\"age\">in "),
	RENDERPACK_ENTRY(" <span class=\"age\">since "),
	RENDERPACK_ENTRY("&mdash;"),
	RENDERPACK_ENTRY("</td></tr>\n"),
	RENDERPACK_ENTRY("<ul>"),
	RENDERPACK_ENTRY("</ul>"),
	RENDERPACK_ENTRY("<li>"),
	RENDERPACK_ENTRY("</div></li>"),
	RENDERPACK_ENTRY(" <code>"),
	RENDERPACK_ENTRY("</code> <span class=\"subj\">"),
	RENDERPACK_ENTRY("<div class=\"msg\">"),
	RENDERPACK_ENTRY(", for "),
	RENDERPACK_ENTRY("never checked"),
	RENDERPACK_ENTRY("\">ok</span>"),
	RENDERPACK_ENTRY("\">secure</span>"),
	RENDERPACK_ENTRY("none"),
};

#define RENDERPACK_DICT_N (sizeof(renderpack_dict) / sizeof(renderpack_dict[0]))
_Static_assert(RENDERPACK_N_NAMES + RENDERPACK_DICT_N <= RENDERPACK_REFS,
	       "one byte names a reference");
_Static_assert(RENDERPACK_REFS == 0x80u && RENDERPACK_REFS % 64 == 0, "the format's reference bit");

size_t renderpack_bound(size_t len)
{
	return len + (len + RENDERPACK_RUN_MAX - 1) / RENDERPACK_RUN_MAX;
}

/* Reference ref's string into *ret and its length; false for a reference to nothing. */
static bool renderpack_ref(unsigned ref, const struct renderpack_names *names, const char **ret,
			   size_t *ret_len)
{
	if (ref == 0) {
		*ret = names->family;
		*ret_len = names->family_len;
	} else if (ref == 1) {
		*ret = names->domain;
		*ret_len = names->domain_len;
	} else if (ref - RENDERPACK_N_NAMES < RENDERPACK_DICT_N) {
		*ret = renderpack_dict[ref - RENDERPACK_N_NAMES].s;
		*ret_len = renderpack_dict[ref - RENDERPACK_N_NAMES].len;
	} else {
		return false;
	}
	return true;
}

/*
 * The dictionary's references by first byte, as bit sets, so that the packer
 * (once per check of a domain, on the service's loop) tries only the few
 * entries that can match instead of all of them at every byte.
 */
static uint64_t renderpack_first[256][RENDERPACK_REFS / 64];
static pthread_once_t renderpack_first_once = PTHREAD_ONCE_INIT;

static void renderpack_first_init(void)
{
	unsigned ref;

	for (ref = RENDERPACK_N_NAMES; ref < RENDERPACK_N_NAMES + RENDERPACK_DICT_N; ref++) {
		unsigned char c = (unsigned char)renderpack_dict[ref - RENDERPACK_N_NAMES].s[0];

		renderpack_first[c][ref / 64] |= (uint64_t)1 << (ref % 64);
	}
}

/* Whether reference ref matches text[0..len) and is longer than *best_len (then it is the best). */
static void renderpack_try(unsigned ref, const char *text, size_t len,
			   const struct renderpack_names *names, int *best, size_t *best_len)
{
	const char *s;
	size_t n;

	if (renderpack_ref(ref, names, &s, &n) && n > *best_len && n <= len && s[0] == text[0] &&
	    memcmp(s, text, n) == 0) {
		*best = (int)ref;
		*best_len = n;
	}
}

/* The reference matching the longest prefix of text[0..len) (its length into ret_len), or -1. */
static int renderpack_match(const char *text, size_t len, const struct renderpack_names *names,
			    size_t *ret_len)
{
	const uint64_t *set = renderpack_first[(unsigned char)text[0]];
	size_t best_len = RENDERPACK_MIN_MATCH - 1, w;
	int best = -1;
	unsigned ref;

	for (ref = 0; ref < RENDERPACK_N_NAMES; ref++) {
		renderpack_try(ref, text, len, names, &best, &best_len);
	}
	for (w = 0; w < RENDERPACK_REFS / 64; w++) {
		uint64_t bits = set[w];

		while (bits != 0) {
			renderpack_try((unsigned)(w * 64 + (unsigned)__builtin_ctzll(bits)), text,
				       len, names, &best, &best_len);
			bits &= bits - 1;
		}
	}
	*ret_len = best_len;
	return best;
}

/* Writes the literal run text[0..n) (any length) to out; returns the bytes written. */
static size_t renderpack_literal(const char *text, size_t n, uint8_t *out)
{
	size_t done = 0, w = 0;

	while (done < n) {
		size_t run = n - done < RENDERPACK_RUN_MAX ? n - done : RENDERPACK_RUN_MAX;

		out[w++] = (uint8_t)(run - 1);
		memcpy(out + w, text + done, run);
		w += run;
		done += run;
	}
	return w;
}

size_t renderpack_pack(const char *text, size_t len, const struct renderpack_names *names,
		       uint8_t *out)
{
	size_t i = 0, lit = 0, w = 0;

	pthread_once(&renderpack_first_once, renderpack_first_init);
	while (i < len) {
		size_t n;
		int ref = renderpack_match(text + i, len - i, names, &n);

		if (ref < 0) {
			i++;
			continue;
		}
		w += renderpack_literal(text + lit, i - lit, out + w);
		out[w++] = (uint8_t)(RENDERPACK_REF | (unsigned)ref);
		i += n;
		lit = i;
	}
	w += renderpack_literal(text + lit, len - lit, out + w);
	return w;
}

/* Points references 0 and 1 at names; a short name is copied to a padded slot (renderpack_read). */
static void renderpack_reader_names(struct renderpack_reader *r,
				    const struct renderpack_names *names)
{
	const char *name[RENDERPACK_N_NAMES] = {names->family, names->domain};
	const size_t name_len[RENDERPACK_N_NAMES] = {names->family_len, names->domain_len};
	unsigned i;

	for (i = 0; i < RENDERPACK_N_NAMES; i++) {
		if (name_len[i] <= RENDERPACK_SHORT) {
			memcpy(r->name[i], name[i], name_len[i]);
			r->ref[i] = r->name[i];
		} else {
			r->ref[i] = name[i]; /* only ever copied exactly */
		}
		r->ref_len[i] = (uint32_t)name_len[i];
	}
}

void renderpack_reader_init(struct renderpack_reader *r)
{
	static const struct renderpack_names none = {.family = "", .domain = ""};
	static const char nothing[RENDERPACK_SHORT]; /* padded, as every source must be */
	unsigned ref;

	memset(r, 0, sizeof(*r));
	for (ref = RENDERPACK_N_NAMES; ref < RENDERPACK_REFS; ref++) {
		size_t len = 0;

		if (!renderpack_ref(ref, &none, &r->ref[ref], &len)) {
			r->ref[ref] = nothing; /* never packed: unpacks to nothing */
		}
		r->ref_len[ref] = (uint32_t)len;
	}
	renderpack_reader_names(r, &none);
}

void renderpack_reader_open(struct renderpack_reader *r, const uint8_t *code, size_t len,
			    const struct renderpack_names *names)
{
	r->p = code;
	r->end = code + len;
	r->skip = 0;
	renderpack_reader_names(r, names);
}

/*
 * The hot loop of every /metrics and / request (a page of 10,000 domains is
 * millions of items, most a few bytes long): an item is a table lookup or a
 * length byte, then one copy. A short item is copied as one fixed-size move
 * of RENDERPACK_SHORT bytes, past its end into buf's room: the dictionary's
 * slots, the names' slots and the packed text's padding make the source
 * readable that far. Calling memcpy per item cost twice as much.
 */
size_t renderpack_read(struct renderpack_reader *r, char *buf, size_t max)
{
	const uint8_t *p = r->p, *end = r->end;
	size_t done = 0, skip = r->skip;

	while (p < end) {
		unsigned b = *p;
		const char *src;
		size_t n, step;

		if (b >= RENDERPACK_REF) {
			src = r->ref[b - RENDERPACK_REF];
			n = r->ref_len[b - RENDERPACK_REF];
			step = 1;
		} else {
			src = (const char *)p + 1;
			n = b + 1;
			step = n + 1;
			if ((size_t)(end - p) < step) {
				p = end; /* a run past the end: never packed so; stop, do not
					    overread */
				break;
			}
		}
		if (n <= RENDERPACK_SHORT && skip == 0 && max - done >= RENDERPACK_SHORT) {
			memcpy(buf + done, src, RENDERPACK_SHORT);
			done += n;
			p += step;
			continue;
		}
		if (n - skip > max - done) {
			memcpy(buf + done, src + skip, max - done);
			skip += max - done;
			done = max;
			break;
		}
		memcpy(buf + done, src + skip, n - skip);
		done += n - skip;
		skip = 0;
		p += step;
	}
	r->p = p;
	r->skip = skip;
	return done;
}
