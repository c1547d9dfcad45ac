/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SOA serials of zone files. A small tokenizer of the master-file format
 * rather than ldns's zone parser: we must know where the serial's digits are
 * to change only them, and must not refuse a zone named accepts because ldns
 * lacks a record type or a BIND directive.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "zonegen/soaserial.h"

/* Tokens of one entry we look at: owner, TTL, class, type, MNAME, RNAME, SERIAL. */
#define SOASERIAL_TOKENS 8

struct soaserial_token {
	size_t offset;
	size_t len;
	int line;
};

/* One logical entry: the tokens of a line, or of several joined by parentheses. */
struct soaserial_entry {
	struct soaserial_token tok[SOASERIAL_TOKENS];
	size_t n;	/* tokens seen, may exceed SOASERIAL_TOKENS */
	bool has_owner; /* the first token started in column 0 */
	int line;
};

struct soaserial_scan {
	const char *text;
	size_t len;
	size_t pos;
	int line;
};

static void soaserial_fail(struct soaserial_error *err, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void soaserial_fail(struct soaserial_error *err, int line, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL) {
		return;
	}
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

uint32_t soaserial_next(uint32_t serial)
{
	uint32_t next = serial + 1u; /* unsigned: wraps modulo 2^32 */

	return next == 0 ? 1 : next;
}

static bool soaserial_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Whether c ends a bare token (RFC 1035 §5.1: blanks, comments, parentheses, quotes). */
static bool soaserial_is_delim(char c)
{
	return soaserial_is_blank(c) || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"';
}

/*
 * Reads the next entry. Returns 1 with an entry, 0 at the end of the text,
 * ERR_PARSE for unbalanced parentheses or an unterminated quoted string.
 */
static int soaserial_next_entry(struct soaserial_scan *s, struct soaserial_entry *e,
				struct soaserial_error *err)
{
	int depth = 0;
	int open_line = 0;
	size_t start;
	int start_line;
	char c;

	if (s->pos >= s->len) {
		return 0;
	}
	memset(e, 0, sizeof(*e));
	e->line = s->line;
	c = s->text[s->pos];
	e->has_owner = !soaserial_is_blank(c) && c != '\n' && c != ';' && c != '(';
	while (s->pos < s->len) {
		c = s->text[s->pos];
		if (soaserial_is_blank(c)) {
			s->pos++;
		} else if (c == ';') {
			while (s->pos < s->len && s->text[s->pos] != '\n') {
				s->pos++;
			}
		} else if (c == '\n') {
			s->pos++;
			s->line++;
			if (depth == 0) {
				return 1;
			}
		} else if (c == '(') {
			if (depth == 0) {
				open_line = s->line;
			}
			depth++;
			s->pos++;
		} else if (c == ')') {
			if (depth == 0) {
				soaserial_fail(err, s->line, "')' without '('");
				return ERR_PARSE;
			}
			depth--;
			s->pos++;
		} else {
			start = s->pos;
			start_line = s->line;
			if (c == '"') {
				s->pos++;
				while (s->pos < s->len && s->text[s->pos] != '"') {
					if (s->text[s->pos] == '\\' && s->pos + 1 < s->len) {
						s->pos++;
					}
					if (s->text[s->pos] == '\n') {
						s->line++;
					}
					s->pos++;
				}
				if (s->pos >= s->len) {
					soaserial_fail(err, start_line,
						       "unterminated quoted string");
					return ERR_PARSE;
				}
				s->pos++; /* the closing quote */
			} else {
				while (s->pos < s->len && !soaserial_is_delim(s->text[s->pos])) {
					/* An escaped character belongs to the token, whatever it
					 * is. */
					if (s->text[s->pos] == '\\' && s->pos + 1 < s->len) {
						if (s->text[s->pos + 1] == '\n') {
							s->line++;
						}
						s->pos++;
					}
					s->pos++;
				}
			}
			if (e->n < SOASERIAL_TOKENS) {
				e->tok[e->n].offset = start;
				e->tok[e->n].len = s->pos - start;
				e->tok[e->n].line = start_line;
			}
			e->n++;
		}
	}
	if (depth > 0) {
		soaserial_fail(err, open_line, "'(' without ')'");
		return ERR_PARSE;
	}
	return 1;
}

static bool soaserial_tok_is(const struct soaserial_scan *s, const struct soaserial_token *t,
			     const char *word)
{
	return t->len == strlen(word) && strncasecmp(s->text + t->offset, word, t->len) == 0;
}

/* A TTL: decimal seconds, or BIND's units ("1h30m", "2W"). */
static bool soaserial_is_ttl(const struct soaserial_scan *s, const struct soaserial_token *t)
{
	const char *p = s->text + t->offset;
	bool digit = false;
	size_t i;

	if (t->len == 0 || !isdigit((unsigned char)p[0])) {
		return false;
	}
	for (i = 0; i < t->len; i++) {
		if (isdigit((unsigned char)p[i])) {
			digit = true;
		} else if (digit && strchr("smhdwSMHDW", p[i]) != NULL) {
			digit = false;
		} else {
			return false;
		}
	}
	return true;
}

static bool soaserial_is_class(const struct soaserial_scan *s, const struct soaserial_token *t)
{
	static const char *const classes[] = {"IN",	"CH", "CHAOS", "HS",
					      "HESIOD", "CS", "NONE",  "ANY"};
	const char *p = s->text + t->offset;
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (soaserial_tok_is(s, t, classes[i])) {
			return true;
		}
	}
	/* RFC 3597 generic class: CLASS followed by a number. */
	if (t->len > 5 && strncasecmp(p, "CLASS", 5) == 0) {
		for (i = 5; i < t->len; i++) {
			if (!isdigit((unsigned char)p[i])) {
				return false;
			}
		}
		return true;
	}
	return false;
}

/* The serial of an SOA entry whose type is token type_i. */
static int soaserial_read(const struct soaserial_scan *s, const struct soaserial_entry *e,
			  size_t type_i, struct soaserial_pos *ret, struct soaserial_error *err)
{
	const struct soaserial_token *t;
	uint64_t v = 0;
	size_t i;

	if (e->n < type_i + 4) {
		soaserial_fail(err, e->line, "SOA record without a serial");
		return ERR_PARSE;
	}
	t = &e->tok[type_i + 3];
	if (soaserial_tok_is(s, &e->tok[type_i + 1], "\\#")) {
		soaserial_fail(err, e->line,
			       "SOA record in generic syntax (RFC 3597): not supported");
		return ERR_PARSE;
	}
	/* RFC 1035 §3.3.13: an unsigned 32-bit number; BIND writes and reads it in decimal. */
	for (i = 0; i < t->len; i++) {
		if (!isdigit((unsigned char)s->text[t->offset + i]) || i >= 10) {
			break;
		}
		v = v * 10 + (uint64_t)(s->text[t->offset + i] - '0');
	}
	if (t->len == 0 || i != t->len || v > UINT32_MAX) {
		soaserial_fail(err, t->line, "SOA serial '%.*s' is not a decimal number below 2^32",
			       (int)(t->len > 32 ? 32 : t->len), s->text + t->offset);
		return ERR_PARSE;
	}
	ret->serial = (uint32_t)v;
	ret->offset = t->offset;
	ret->len = t->len;
	ret->line = t->line;
	return 0;
}

int soaserial_find(const char *text, size_t len, struct soaserial_pos *ret,
		   struct soaserial_error *err)
{
	struct soaserial_scan s = {text, len, 0, 1};
	struct soaserial_entry e;
	struct soaserial_pos found = {0, 0, 0, 0};
	int includes = 0;
	int soa_line = 0;
	size_t i;
	int r;

	for (;;) {
		r = soaserial_next_entry(&s, &e, err);
		if (r < 0) {
			return r;
		}
		if (r == 0) {
			break;
		}
		if (e.n == 0) {
			continue;
		}
		if (e.has_owner && text[e.tok[0].offset] == '$') {
			/* $ORIGIN, $TTL, $GENERATE: no SOA. $INCLUDE: not followed, but said. */
			if (soaserial_tok_is(&s, &e.tok[0], "$INCLUDE")) {
				includes++;
			}
			continue;
		}
		/* [owner] then TTL and class in either order (RFC 2308 §4 allows both), then the
		 * type. */
		i = e.has_owner ? 1 : 0;
		while (i < e.n && i < SOASERIAL_TOKENS && i < (e.has_owner ? 3u : 2u) &&
		       (soaserial_is_ttl(&s, &e.tok[i]) || soaserial_is_class(&s, &e.tok[i]))) {
			i++;
		}
		if (i >= e.n || i >= SOASERIAL_TOKENS) {
			continue;
		}
		if (!soaserial_tok_is(&s, &e.tok[i], "SOA") &&
		    !soaserial_tok_is(&s, &e.tok[i], "TYPE6")) {
			continue;
		}
		if (soa_line != 0) {
			soaserial_fail(err, e.line, "a second SOA record (the first is at line %d)",
				       soa_line);
			return ERR_PARSE;
		}
		soa_line = e.line;
		r = soaserial_read(&s, &e, i, &found, err);
		if (r < 0) {
			return r;
		}
	}
	if (soa_line == 0) {
		soaserial_fail(err, 0, "no SOA record%s",
			       includes > 0 ? " (one in an $INCLUDEd file is not looked for)" : "");
		return ERR_PARSE;
	}
	*ret = found;
	return 0;
}

int soaserial_bump_text(const char *text, size_t len, char **ret_text, size_t *ret_len,
			struct soaserial_pos *ret_old, struct soaserial_error *err)
{
	struct soaserial_pos pos;
	char digits[16];
	char *out;
	size_t n;
	size_t out_len;
	int r;

	r = soaserial_find(text, len, &pos, err);
	if (r < 0) {
		return r;
	}
	n = (size_t)snprintf(digits, sizeof(digits), "%u", (unsigned)soaserial_next(pos.serial));
	out_len = len - pos.len + n;
	out = malloc(out_len + 1);
	if (out == NULL) {
		return -ENOMEM;
	}
	memcpy(out, text, pos.offset);
	memcpy(out + pos.offset, digits, n);
	memcpy(out + pos.offset + n, text + pos.offset + pos.len, len - pos.offset - pos.len);
	out[out_len] = '\0';
	*ret_text = out;
	*ret_len = out_len;
	if (ret_old != NULL) {
		*ret_old = pos;
	}
	return 0;
}

int soaserial_bump_file(const char *path, uint32_t *ret_old, uint32_t *ret_new,
			struct soaserial_error *err)
{
	struct fileio_error ferr;
	struct soaserial_pos old;
	struct buf b = {NULL, 0, 0, 0};
	char *text = NULL;
	size_t len;
	int r;

	r = fileio_read(path, SOASERIAL_FILE_MAX, &b);
	if (r < 0) {
		soaserial_fail(err, 0, "reading zone file '%s': %s", path, err_str(r));
		goto out;
	}
	r = soaserial_bump_text((const char *)b.data, b.len, &text, &len, &old, err);
	if (r < 0) {
		if (err != NULL) {
			char why[sizeof(err->detail)];

			snprintf(why, sizeof(why), "%s", err->detail);
			if (err->line > 0) {
				soaserial_fail(err, err->line, "zone file '%s', line %d: %s", path,
					       err->line, why);
			} else {
				soaserial_fail(err, 0, "zone file '%s': %s", path, why);
			}
		}
		goto out;
	}
	r = fileio_write_atomic(path, text, len, FILEIO_MODE_KEEP, &ferr);
	if (r < 0) {
		soaserial_fail(err, 0, "%s", ferr.detail);
		goto out;
	}
	if (ret_old != NULL) {
		*ret_old = old.serial;
	}
	if (ret_new != NULL) {
		*ret_new = soaserial_next(old.serial);
	}
out:
	free(text);
	buf_release(&b);
	return r;
}
