/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for zonegen/tsigkey: key-file syntax, algorithms and file permissions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "zonegen/tsigkey.h"

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldCE="

static void test_accepted(void **state)
{
	static const struct {
		const char *text;
		const char *name;
		const char *algorithm;
	} rows[] = {
		/* As tsig-keygen writes it. */
		{"key \"xdane-update\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET "\";\n};\n",
		 "xdane-update.", "hmac-sha256."},
		{"key upd.example. { secret \"" SECRET "\"; algorithm \"HMAC-SHA512\"; };",
		 "upd.example.", "hmac-sha512."},
		{"# made by hand\n// for the zone\n/* several\n lines */ key \"k\"{algorithm "
		 "hmac-sha256.;secret " SECRET ";};  \n\n",
		 "k.", "hmac-sha256."},
	};
	struct tsigkey_error err;
	struct tsigkey *k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		k = NULL;
		if (tsigkey_parse(rows[i].text, strlen(rows[i].text), &k, &err) != 0) {
			fail_msg("row %zu: %s (line %d)", i, err.detail, err.line);
		}
		assert_string_equal(k->name, rows[i].name);
		assert_string_equal(k->algorithm, rows[i].algorithm);
		assert_string_equal(k->secret, SECRET);
		tsigkey_free(k);
	}
	tsigkey_free(NULL);
}

static void test_refused(void **state)
{
	static const struct {
		const char *text;
		int r;
		int line;
		const char *detail;
	} rows[] = {
		{"", ERR_PARSE, 1, "expected a key statement (key \"name\" { ... };)"},
		{"options { };", ERR_PARSE, 1, "expected a key statement (key \"name\" { ... };)"},
		{"key \"k\" { algorithm hmac-md5; secret \"" SECRET "\"; };", ERR_UNSUPPORTED, 1,
		 "algorithm 'hmac-md5' is too weak (RFC 8945 §6); use hmac-sha256"},
		{"key \"k\" {\n algorithm hmac-sha384;\n secret \"" SECRET "\"; };",
		 ERR_UNSUPPORTED, 2,
		 "algorithm 'hmac-sha384' is broken in ldns 1.8.3 (updates go out unsigned); use "
		 "hmac-sha256"},
		{"key \"k\" { algorithm hmac-sha1; secret \"" SECRET "\"; };", ERR_UNSUPPORTED, 1,
		 "algorithm 'hmac-sha1' is too weak (RFC 8945 §6); use hmac-sha256"},
		{"key \"k\" { algorithm gss-tsig; secret \"" SECRET "\"; };", ERR_UNSUPPORTED, 1,
		 "unknown algorithm 'gss-tsig'; use hmac-sha256"},
		{"key \"k\" { algorithm hmac-sha256; };", ERR_PARSE, 0,
		 "the key statement has no secret"},
		{"key \"k\" { secret \"" SECRET "\"; };", ERR_PARSE, 0,
		 "the key statement has no algorithm"},
		{"key \"k\" { algorithm hmac-sha256; secret \"not base64!\"; };", ERR_PARSE, 1,
		 "the secret is not base64"},
		{"key \"k\" { algorithm hmac-sha256; secret \"\"; };", ERR_PARSE, 1,
		 "expected the secret"},
		{"key \"k\" { algorithm hmac-sha256; algorithm hmac-sha256; };", ERR_PARSE, 1,
		 "algorithm given twice"},
		{"key \"k\" { algorithm hmac-sha256 secret \"" SECRET "\"; };", ERR_PARSE, 1,
		 "expected ';', found 'secret'"},
		{"key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; }", ERR_PARSE, 1,
		 "expected ';' before the end"},
		{"key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\nkey \"j\" { };",
		 ERR_PARSE, 2, "more than one statement; the file must hold one key"},
		{"key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; primary yes; };",
		 ERR_PARSE, 1, "unknown option 'primary' in the key statement"},
		{"key \"a..b\" { algorithm hmac-sha256; secret \"" SECRET "\"; };", ERR_PARSE, 1,
		 "key name 'a..b' is not a domain name"},
		{"key \"k\" { secret \"abc", ERR_PARSE, 1, "unterminated quoted string"},
		{"/* key", ERR_PARSE, 1, "unterminated comment"},
	};
	struct tsigkey_error err;
	struct tsigkey *k = NULL;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&err, 0, sizeof(err));
		r = tsigkey_parse(rows[i].text, strlen(rows[i].text), &k, &err);
		if (r != rows[i].r || err.line != rows[i].line ||
		    strcmp(err.detail, rows[i].detail) != 0) {
			fail_msg("row %zu: %d, line %d: %s", i, r, err.line, err.detail);
		}
		assert_null(k);
	}
}

static char dir[] = "/tmp/xdane-test-tsigkey-XXXXXX";
static char path[64];

static void write_key(mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs("key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n", fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_load_permissions(void **state)
{
	struct tsigkey_error err;
	struct tsigkey *k = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/update.key", dir);
	write_key(0600);
	assert_int_equal(tsigkey_load(path, &k, &err), 0);
	assert_string_equal(k->name, "k.");
	tsigkey_free(k);
	k = NULL;
	write_key(0400);
	assert_int_equal(tsigkey_load(path, &k, &err), 0);
	tsigkey_free(k);
	k = NULL;

	write_key(0640);
	assert_int_equal(tsigkey_load(path, &k, &err), -EPERM);
	assert_non_null(strstr(err.detail, path));
	assert_non_null(strstr(err.detail, "mode 0640"));
	write_key(0604);
	assert_int_equal(tsigkey_load(path, &k, &err), -EPERM);
	write_key(0620);
	assert_int_equal(tsigkey_load(path, &k, &err), -EPERM);

	/* Owned by someone else: only root can arrange that here. */
	write_key(0600);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(tsigkey_load(path, &k, &err), -EPERM);
		assert_non_null(strstr(err.detail, "owned by uid 65534"));
	}
	assert_null(k);

	assert_int_equal(tsigkey_load(dir, &k, &err), -EPERM);
	assert_non_null(strstr(err.detail, "not a regular file"));
	unlink(path);
	assert_int_equal(tsigkey_load(path, &k, &err), -ENOENT);
	assert_non_null(strstr(err.detail, path));

	/* A parse error names the file and the line. */
	{
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fputs("key \"k\" {\n algorithm hmac-md5;\n secret \"" SECRET "\"; };\n", fp);
		fclose(fp);
		assert_int_equal(chmod(path, 0600), 0);
		assert_int_equal(tsigkey_load(path, &k, &err), ERR_UNSUPPORTED);
		assert_int_equal(err.line, 2);
		assert_non_null(strstr(err.detail, path));
		assert_non_null(strstr(err.detail, "line 2: algorithm 'hmac-md5'"));
	}
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_load_permissions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
