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
 * needs nothing but the names to be unpacked, and one edit of the table
 * changes the format of texts packed and unpacked by the same build only.
 */
#include <string.h>

#include "daemon/renderpack.h"

#define RENDERPACK_REF	     0x80u
#define RENDERPACK_RUN_MAX   128u /* bytes of one literal run */
#define RENDERPACK_N_NAMES   2u	  /* the family's name, the domain's */
#define RENDERPACK_MIN_MATCH 2u	  /* a reference of one byte saves nothing over a literal */

/*
 * What the samples (render.c's label order) and the rows repeat. The packer
 * takes the longest entry that matches, so a long entry for the common case
 * ("3 1 1" records, "secure") sits beside the short ones it is made of.
 */
#define RENDERPACK_ENTRY(s)      \
	{                        \
		s, sizeof(s) - 1 \
	}
static const struct {
	const char *s;
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
_Static_assert(RENDERPACK_N_NAMES + RENDERPACK_DICT_N <= 0x80u, "one byte names a reference");

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

/* The reference matching the longest prefix of text[0..len) (its length into ret_len), or -1. */
static int renderpack_match(const char *text, size_t len, const struct renderpack_names *names,
			    size_t *ret_len)
{
	size_t best_len = RENDERPACK_MIN_MATCH - 1;
	int best = -1;
	unsigned ref;

	for (ref = 0; ref < RENDERPACK_N_NAMES + RENDERPACK_DICT_N; ref++) {
		const char *s;
		size_t n;

		renderpack_ref(ref, names, &s, &n);
		if (n > best_len && n <= len && s[0] == text[0] && memcmp(s, text, n) == 0) {
			best = (int)ref;
			best_len = n;
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

bool renderpack_next(struct renderpack_cursor *c, const struct renderpack_names *names,
		     const char **ret, size_t *ret_len)
{
	while (c->p < c->end) {
		unsigned b = *c->p++;

		if (b >= RENDERPACK_REF) {
			if (renderpack_ref(b - RENDERPACK_REF, names, ret, ret_len) &&
			    *ret_len > 0) {
				return true;
			}
			continue; /* an empty name: nothing to give */
		}
		if ((size_t)(c->end - c->p) < b + 1) {
			break; /* a run past the end: never packed so; stop rather than overread */
		}
		*ret = (const char *)c->p;
		*ret_len = b + 1;
		c->p += b + 1;
		return true;
	}
	c->p = c->end;
	return false;
}
