/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BIND key files. A small tokenizer for the one statement they hold, not a
 * named.conf parser: key "name" { algorithm NAME; secret "BASE64"; };
 * Permissions are checked on the opened descriptor, so what is checked is
 * what is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/buf.h"
#include "common/err.h"
#include "zonegen/tsigkey.h"

/* Longest token we keep: a base64 secret of a 512-bit key is 88 characters; BIND allows
 * longer keys, so leave room. */
#define TSIGKEY_TOKEN_MAX 1024

/* The algorithms of BIND's key files and what xdane does with them. */
static const struct {
	const char *name;
	const char *ldns_name; /* NULL: refused */
	const char *why;
} tsigkey_algorithms[] = {
	{"hmac-sha256", "hmac-sha256.", NULL},
	{"hmac-sha512", "hmac-sha512.", NULL},
	{"hmac-sha384", NULL, "is broken in ldns 1.8.3 (updates go out unsigned)"},
	{"hmac-sha224", NULL, "is not supported"},
	{"hmac-sha1", NULL, "is too weak (RFC 8945 §6)"},
	{"hmac-md5", NULL, "is too weak (RFC 8945 §6)"},
	{"hmac-md5.sig-alg.reg.int", NULL, "is too weak (RFC 8945 §6)"},
};

enum tsigkey_tok_kind { TSIGKEY_EOF, TSIGKEY_WORD, TSIGKEY_STRING, TSIGKEY_PUNCT };

struct tsigkey_tok {
	enum tsigkey_tok_kind kind;
	char text[TSIGKEY_TOKEN_MAX + 1];
	int line;
};

struct tsigkey_lex {
	const char *p;
	const char *end;
	int line;
};

static void tsigkey_fail(struct tsigkey_error *err, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tsigkey_fail(struct tsigkey_error *err, int line, const char *fmt, ...)
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

static void tsigkey_cleanse_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void tsigkey_free(struct tsigkey *k)
{
	if (k == NULL) {
		return;
	}
	free(k->name);
	free(k->algorithm);
	tsigkey_cleanse_free(k->secret);
	free(k);
}

/* Skips blanks and the three comment styles of named.conf. */
static int tsigkey_skip(struct tsigkey_lex *lx, struct tsigkey_error *err)
{
	int start;

	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == '\n') {
			lx->line++;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			lx->p++;
		} else if (c == '#' || (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n') {
				lx->p++;
			}
		} else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			start = lx->line;
			lx->p += 2;
			while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/')) {
				if (*lx->p == '\n') {
					lx->line++;
				}
				lx->p++;
			}
			if (lx->p + 1 >= lx->end) {
				tsigkey_fail(err, start, "unterminated comment");
				return ERR_PARSE;
			}
			lx->p += 2;
		} else {
			break;
		}
	}
	return 0;
}

static int tsigkey_next(struct tsigkey_lex *lx, struct tsigkey_tok *t, struct tsigkey_error *err)
{
	size_t n = 0;
	int r;

	r = tsigkey_skip(lx, err);
	if (r < 0) {
		return r;
	}
	t->line = lx->line;
	t->text[0] = '\0';
	if (lx->p >= lx->end) {
		t->kind = TSIGKEY_EOF;
		return 0;
	}
	if (*lx->p == '{' || *lx->p == '}' || *lx->p == ';') {
		t->kind = TSIGKEY_PUNCT;
		t->text[0] = *lx->p++;
		t->text[1] = '\0';
		return 0;
	}
	if (*lx->p == '"') {
		t->kind = TSIGKEY_STRING;
		lx->p++;
		while (lx->p < lx->end && *lx->p != '"') {
			if (*lx->p == '\n' || *lx->p == '\0') {
				break;
			}
			if (*lx->p == '\\' && lx->p + 1 < lx->end) {
				lx->p++;
			}
			if (n >= TSIGKEY_TOKEN_MAX) {
				tsigkey_fail(err, t->line, "string longer than %d characters",
					     TSIGKEY_TOKEN_MAX);
				return ERR_PARSE;
			}
			t->text[n++] = *lx->p++;
		}
		if (lx->p >= lx->end || *lx->p != '"') {
			tsigkey_fail(err, t->line, "unterminated quoted string");
			return ERR_PARSE;
		}
		lx->p++;
		t->text[n] = '\0';
		return 0;
	}
	t->kind = TSIGKEY_WORD;
	while (lx->p < lx->end && strchr(" \t\r\n{};\"#", *lx->p) == NULL && *lx->p != '\0') {
		if (n >= TSIGKEY_TOKEN_MAX) {
			tsigkey_fail(err, t->line, "word longer than %d characters",
				     TSIGKEY_TOKEN_MAX);
			return ERR_PARSE;
		}
		t->text[n++] = *lx->p++;
	}
	if (n == 0) {
		tsigkey_fail(err, t->line, "unexpected character 0x%02x", (unsigned char)*lx->p);
		return ERR_PARSE;
	}
	t->text[n] = '\0';
	return 0;
}

static int tsigkey_expect(struct tsigkey_lex *lx, struct tsigkey_tok *t, const char *punct,
			  struct tsigkey_error *err)
{
	int r = tsigkey_next(lx, t, err);

	if (r < 0) {
		return r;
	}
	if (t->kind != TSIGKEY_PUNCT || strcmp(t->text, punct) != 0) {
		tsigkey_fail(err, t->line, "expected '%s'%s%s%s", punct,
			     t->kind == TSIGKEY_EOF ? " before the end" : ", found '",
			     t->kind == TSIGKEY_EOF ? "" : t->text,
			     t->kind == TSIGKEY_EOF ? "" : "'");
		return ERR_PARSE;
	}
	return 0;
}

/* A key name or algorithm value: a word or a quoted string. */
static int tsigkey_value(struct tsigkey_lex *lx, struct tsigkey_tok *t, const char *what,
			 struct tsigkey_error *err)
{
	int r = tsigkey_next(lx, t, err);

	if (r < 0) {
		return r;
	}
	if ((t->kind != TSIGKEY_WORD && t->kind != TSIGKEY_STRING) || t->text[0] == '\0') {
		tsigkey_fail(err, t->line, "expected %s", what);
		return ERR_PARSE;
	}
	return 0;
}

static int tsigkey_set_algorithm(struct tsigkey *k, const struct tsigkey_tok *t,
				 struct tsigkey_error *err)
{
	size_t i;
	size_t n = strlen(t->text);

	/* BIND accepts the name with or without the final dot. */
	if (n > 0 && t->text[n - 1] == '.') {
		n--;
	}
	for (i = 0; i < sizeof(tsigkey_algorithms) / sizeof(tsigkey_algorithms[0]); i++) {
		if (strlen(tsigkey_algorithms[i].name) != n ||
		    strncasecmp(tsigkey_algorithms[i].name, t->text, n) != 0) {
			continue;
		}
		if (tsigkey_algorithms[i].ldns_name == NULL) {
			tsigkey_fail(err, t->line, "algorithm '%s' %s; use hmac-sha256", t->text,
				     tsigkey_algorithms[i].why);
			return ERR_UNSUPPORTED;
		}
		k->algorithm = strdup(tsigkey_algorithms[i].ldns_name);
		return k->algorithm == NULL ? -ENOMEM : 0;
	}
	tsigkey_fail(err, t->line, "unknown algorithm '%.64s'; use hmac-sha256", t->text);
	return ERR_UNSUPPORTED;
}

static int tsigkey_set_secret(struct tsigkey *k, const struct tsigkey_tok *t,
			      struct tsigkey_error *err)
{
	ldns_rdf *raw = NULL;
	bool ok;

	ok = t->text[0] != '\0' && ldns_str2rdf_b64(&raw, t->text) == LDNS_STATUS_OK &&
	     ldns_rdf_size(raw) > 0;
	if (raw != NULL) {
		explicit_bzero(ldns_rdf_data(raw), ldns_rdf_size(raw));
		ldns_rdf_deep_free(raw);
	}
	if (!ok) {
		tsigkey_fail(err, t->line, "the secret is not base64");
		return ERR_PARSE;
	}
	k->secret = strdup(t->text);
	return k->secret == NULL ? -ENOMEM : 0;
}

/* The key name, absolute, checked to be a domain name. */
static int tsigkey_set_name(struct tsigkey *k, const struct tsigkey_tok *t,
			    struct tsigkey_error *err)
{
	ldns_rdf *dname = NULL;

	if (ldns_str2rdf_dname(&dname, t->text) != LDNS_STATUS_OK ||
	    ldns_dname_label_count(dname) == 0) {
		ldns_rdf_deep_free(dname);
		tsigkey_fail(err, t->line, "key name '%.64s' is not a domain name", t->text);
		return ERR_PARSE;
	}
	k->name = ldns_rdf2str(dname);
	ldns_rdf_deep_free(dname);
	return k->name == NULL ? -ENOMEM : 0;
}

int tsigkey_parse(const char *text, size_t len, struct tsigkey **ret, struct tsigkey_error *err)
{
	struct tsigkey_lex lx = {text, text + len, 1};
	struct tsigkey_tok *t = NULL;
	struct tsigkey *k = NULL;
	int r = -ENOMEM;

	t = calloc(1, sizeof(*t));
	k = calloc(1, sizeof(*k));
	if (t == NULL || k == NULL) {
		goto out;
	}
	r = tsigkey_next(&lx, t, err);
	if (r < 0) {
		goto out;
	}
	if (t->kind != TSIGKEY_WORD || strcasecmp(t->text, "key") != 0) {
		tsigkey_fail(err, t->line, "expected a key statement (key \"name\" { ... };)");
		r = ERR_PARSE;
		goto out;
	}
	r = tsigkey_value(&lx, t, "the key's name", err);
	if (r < 0) {
		goto out;
	}
	r = tsigkey_set_name(k, t, err);
	if (r < 0) {
		goto out;
	}
	r = tsigkey_expect(&lx, t, "{", err);
	if (r < 0) {
		goto out;
	}
	for (;;) {
		r = tsigkey_next(&lx, t, err);
		if (r < 0) {
			goto out;
		}
		if (t->kind == TSIGKEY_PUNCT && strcmp(t->text, "}") == 0) {
			break;
		}
		if (t->kind != TSIGKEY_WORD) {
			tsigkey_fail(err, t->line, "expected algorithm, secret or '}'");
			r = ERR_PARSE;
			goto out;
		}
		if (strcasecmp(t->text, "algorithm") == 0) {
			if (k->algorithm != NULL) {
				tsigkey_fail(err, t->line, "algorithm given twice");
				r = ERR_PARSE;
				goto out;
			}
			r = tsigkey_value(&lx, t, "an algorithm name", err);
			if (r < 0) {
				goto out;
			}
			r = tsigkey_set_algorithm(k, t, err);
		} else if (strcasecmp(t->text, "secret") == 0) {
			if (k->secret != NULL) {
				tsigkey_fail(err, t->line, "secret given twice");
				r = ERR_PARSE;
				goto out;
			}
			r = tsigkey_value(&lx, t, "the secret", err);
			if (r < 0) {
				goto out;
			}
			r = tsigkey_set_secret(k, t, err);
		} else {
			tsigkey_fail(err, t->line, "unknown option '%.64s' in the key statement",
				     t->text);
			r = ERR_PARSE;
		}
		if (r < 0) {
			goto out;
		}
		r = tsigkey_expect(&lx, t, ";", err);
		if (r < 0) {
			goto out;
		}
	}
	r = tsigkey_expect(&lx, t, ";", err);
	if (r < 0) {
		goto out;
	}
	r = tsigkey_next(&lx, t, err);
	if (r < 0) {
		goto out;
	}
	if (t->kind != TSIGKEY_EOF) {
		tsigkey_fail(err, t->line, "more than one statement; the file must hold one key");
		r = ERR_PARSE;
		goto out;
	}
	if (k->algorithm == NULL || k->secret == NULL) {
		tsigkey_fail(err, 0, "the key statement has no %s",
			     k->algorithm == NULL ? "algorithm" : "secret");
		r = ERR_PARSE;
		goto out;
	}
	*ret = k;
	k = NULL;
	r = 0;
out:
	if (t != NULL) {
		explicit_bzero(t, sizeof(*t));
		free(t);
	}
	tsigkey_free(k);
	return r;
}

int tsigkey_load(const char *path, struct tsigkey **ret, struct tsigkey_error *err)
{
	struct buf b;
	struct stat st;
	char chunk[4096];
	ssize_t n;
	int fd = -1;
	int r;

	buf_init(&b, TSIGKEY_FILE_MAX);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		tsigkey_fail(err, 0, "TSIG key file '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EPERM;
		tsigkey_fail(err, 0, "TSIG key file '%s' is not a regular file", path);
		goto out;
	}
	/* The secret lets anyone who reads it change the zone. */
	if ((st.st_mode & 077) != 0) {
		r = -EPERM;
		tsigkey_fail(err, 0,
			     "TSIG key file '%s' has mode %04o: readable or writable by group or "
			     "others; chmod 600 it",
			     path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		r = -EPERM;
		tsigkey_fail(err, 0, "TSIG key file '%s' is owned by uid %u, not by this user (%u)",
			     path, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			r = -errno;
			tsigkey_fail(err, 0, "TSIG key file '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0) {
			break;
		}
		r = buf_append(&b, chunk, (size_t)n);
		if (r < 0) {
			tsigkey_fail(err, 0, "TSIG key file '%s': %s", path, err_str(r));
			goto out;
		}
	}
	r = tsigkey_parse(b.data == NULL ? "" : (const char *)b.data, b.len, ret, err);
	if (r < 0 && err != NULL) {
		char why[sizeof(err->detail)];

		snprintf(why, sizeof(why), "%s", err->detail);
		if (err->line > 0) {
			tsigkey_fail(err, err->line, "TSIG key file '%s', line %d: %s", path,
				     err->line, why);
		} else {
			tsigkey_fail(err, 0, "TSIG key file '%s': %s", path, why);
		}
	}
out:
	explicit_bzero(chunk, sizeof(chunk));
	buf_release(&b);
	if (fd >= 0) {
		close(fd);
	}
	return r;
}
