/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/ctl's `xdane rollover`: the command lines it takes
 * and refuses (table-driven), and the status a person reads, with its exit
 * code, from answers in the shape xdaned's rollmgr_status gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/cli.h"
#include "daemon/ctl.h"

#define ARGV_MAX 12

struct parse_case {
	const char *line; /* split at spaces */
	int result;
	enum ctl_rollover_sub sub;
	const char *domain, *cert, *key, *socket, *config;
	bool json, csr;
};

static const struct parse_case parse_cases[] = {
	{"rollover status", 0, CTL_ROLLOVER_STATUS, NULL, NULL, NULL, NULL, NULL, false, false},
	{"rollover status example.org --json", 0, CTL_ROLLOVER_STATUS, "example.org", NULL, NULL,
	 NULL, NULL, true, false},
	{"rollover status -j -s /run/x.sock", 0, CTL_ROLLOVER_STATUS, NULL, NULL, NULL,
	 "/run/x.sock", NULL, true, false},
	{"rollover stage example.org --cert a.crt --key a.key --config /etc/x.conf", 0,
	 CTL_ROLLOVER_STAGE, "example.org", "a.crt", "a.key", NULL, "/etc/x.conf", false, false},
	{"rollover stage --key=k --cert=c example.org", 0, CTL_ROLLOVER_STAGE, "example.org", "c",
	 "k", NULL, NULL, false, false},
	{"rollover abort example.org", 0, CTL_ROLLOVER_ABORT, "example.org", NULL, NULL, NULL, NULL,
	 false, false},
	{"rollover next-key --csr example.org", 0, CTL_ROLLOVER_NEXT_KEY, "example.org", NULL, NULL,
	 NULL, NULL, false, true},
	{"rollover next-key example.org", 0, CTL_ROLLOVER_NEXT_KEY, "example.org", NULL, NULL, NULL,
	 NULL, false, false},
	/* help */
	{"rollover --help", 1, 0, NULL, NULL, NULL, NULL, NULL, false, false},
	{"rollover help", 1, 0, NULL, NULL, NULL, NULL, NULL, false, false},
	{"rollover stage --help", 1, 0, NULL, NULL, NULL, NULL, NULL, false, false},
	{"rollover next-key -h", 1, 0, NULL, NULL, NULL, NULL, NULL, false, false},
	/* refused */
	{"rollover", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL, false, false},
	{"rollover start example.org", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL, false,
	 false},
	{"rollover --json status", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL, false, false},
	{"rollover status a.example b.example", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL,
	 false, false},
	{"rollover status --csr", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL, false, false},
	{"rollover status --bogus", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL, false,
	 false},
	{"rollover abort", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL, false, false},
	{"rollover abort --json example.org", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL,
	 false, false},
	{"rollover abort ../reload", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL, false,
	 false},
	{"rollover abort ..", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL, false, false},
	{"rollover abort example.org?x", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL, NULL, false,
	 false},
	{"rollover stage example.org --cert a.crt", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL,
	 NULL, false, false},
	{"rollover stage example.org --key a.key --cert", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL,
	 NULL, NULL, false, false},
	{"rollover next-key --cert a example.org", CLI_EXIT_UNKNOWN, 0, NULL, NULL, NULL, NULL,
	 NULL, false, false},
};

static void assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL) {
		assert_null(got);
	} else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

static void command_lines(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct ctl_rollover_args a;
		char line[200], *argv[ARGV_MAX + 1], *tok, *save = NULL;
		int argc = 0, r;

		snprintf(line, sizeof(line), "%s", c->line);
		for (tok = strtok_r(line, " ", &save); tok != NULL && argc < ARGV_MAX;
		     tok = strtok_r(NULL, " ", &save)) {
			argv[argc++] = tok;
		}
		argv[argc] = NULL;
		memset(&a, 0xa5, sizeof(a));
		r = ctl_rollover_parse(argc, argv, &a);
		print_message("%s -> %d\n", c->line, r);
		assert_int_equal(r, c->result);
		if (r != 0) {
			continue;
		}
		assert_int_equal(a.sub, c->sub);
		assert_str_or_null(a.domain, c->domain);
		assert_str_or_null(a.cert, c->cert);
		assert_str_or_null(a.key, c->key);
		assert_str_or_null(a.socket, c->socket);
		assert_str_or_null(a.config, c->config);
		assert_int_equal(a.json, c->json);
		assert_int_equal(a.csr, c->csr);
	}
}

/* 2026-11-22T02:34:57Z */
#define ENTERED "1795314897"

static const char idle_json[] =
	"{\"domain\": \"example.org\", \"mode\": \"current-next\", \"state\": \"idle\","
	" \"entered\": " ENTERED ", \"held_seconds\": 90061, \"wait_seconds\": 7200,"
	" \"keys_spki_sha256\": {\"current\": \"6f2b\", \"new\": null, \"next\": \"95e8\","
	" \"lingering\": null},"
	" \"commands\": {\"publish\": {\"in_flight\": false, \"attempts\": 0, \"failed\": false},"
	" \"deploy\": {\"in_flight\": false, \"attempts\": 0, \"failed\": false},"
	" \"generate\": {\"in_flight\": false, \"attempts\": 0, \"failed\": false}},"
	" \"stalled\": false, \"failed\": false}";

static const char stalled_json[] =
	"{\"domain\": \"chat.example.net\", \"mode\": \"reactive\", \"state\": \"published\","
	" \"entered\": " ENTERED ", \"held_seconds\": 3725, \"wait_seconds\": 3630,"
	" \"owners\": [\"_5222._tcp.xmpp.example.net\", \"_5269._tcp.xmpp.example.net\"],"
	" \"keys_spki_sha256\": {\"current\": \"aa11\", \"new\": \"bb22\", \"next\": null,"
	" \"lingering\": null},"
	" \"commands\": {\"publish\": {\"in_flight\": true, \"attempts\": 2, \"failed\": false,"
	" \"error\": \"rndc exited 1\"},"
	" \"deploy\": {\"in_flight\": false, \"attempts\": 0, \"failed\": false},"
	" \"generate\": {\"in_flight\": false, \"attempts\": 1, \"failed\": false,"
	" \"error\": \"disk full\"}},"
	" \"stalled\": true, \"failed\": false,"
	" \"message\": \"published for 7300 s (limit 7230 s), waiting for every server\"}";

static const char failed_json[] =
	"{\"domain\": \"muc.example.org\", \"mode\": \"reactive\", \"state\": \"propagated\","
	" \"entered\": " ENTERED ", \"held_seconds\": 45, \"wait_seconds\": 59,"
	" \"keys_spki_sha256\": {\"current\": \"cc33\", \"new\": \"dd44\", \"next\": null,"
	" \"lingering\": null},"
	" \"commands\": {\"publish\": {\"in_flight\": false, \"attempts\": 0, \"failed\": false},"
	" \"deploy\": {\"in_flight\": false, \"attempts\": 5, \"failed\": true,"
	" \"error\": \"deploy exited 2\"},"
	" \"generate\": {\"in_flight\": false, \"attempts\": 0, \"failed\": false}},"
	" \"stalled\": true, \"failed\": true, \"message\": \"deploy failed 5 times: deploy exited "
	"2\"}";

static const char none_json[] = "{\"domain\": \"new.example\", \"state\": \"none\","
				" \"detail\": \"not started: waiting for the first check\"}";

/* What ctl_rollover_print writes for the document text, and its exit code. */
static char *printed(const char *text, bool print, int *ret_code)
{
	json_t *doc = json_loads(text, 0, NULL);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(doc);
	assert_non_null(f);
	*ret_code = ctl_rollover_print(f, doc, print);
	fclose(f);
	json_decref(doc);
	return out;
}

static void one_line_per_domain(void **state)
{
	char text[8192];
	char *out;
	int code;

	(void)state;
	snprintf(text, sizeof(text), "{\"rollovers\": [%s, %s, %s]}", idle_json, stalled_json,
		 none_json);
	out = printed(text, true, &code);
	assert_string_equal(
		out, "example.org                              current-next idle       "
		     "since 2026-11-22T02:34:57Z  wait 2h00m\n"
		     "chat.example.net                         reactive     published  "
		     "since 2026-11-22T02:34:57Z  wait 1h00m\n"
		     "  stalled: published for 7300 s (limit 7230 s), waiting for every server\n"
		     "new.example                              -            none       "
		     "not started: waiting for the first check\n");
	assert_int_equal(code, CLI_EXIT_WARNING);
	free(out);
}

static void a_failed_rollover_is_critical(void **state)
{
	char text[8192];
	char *out;
	int code;

	(void)state;
	snprintf(text, sizeof(text), "{\"rollovers\": [%s, %s, %s]}", stalled_json, failed_json,
		 idle_json);
	out = printed(text, false, &code);
	assert_string_equal(out, "");
	assert_int_equal(code, CLI_EXIT_CRITICAL);
	free(out);
	out = printed(failed_json, true, &code);
	assert_int_equal(code, CLI_EXIT_CRITICAL);
	assert_non_null(strstr(out, "  deploy     to be retried, failed 5 times: deploy exited 2\n"
				    "  failed: deploy failed 5 times: deploy exited 2\n"));
	free(out);
}

static void the_detail_of_one_domain(void **state)
{
	char *out;
	int code;

	(void)state;
	out = printed(stalled_json, true, &code);
	assert_string_equal(
		out, "chat.example.net: published, reactive, since 2026-11-22T02:34:57Z (1h02m)\n"
		     "  wait       1h00m\n"
		     "  owners     _5222._tcp.xmpp.example.net\n"
		     "             _5269._tcp.xmpp.example.net\n"
		     "  current    aa11\n"
		     "  new        bb22\n"
		     "  publish    running, failed 2 times: rndc exited 1\n"
		     "  generate   to be retried, failed 1 time: disk full\n"
		     "  stalled: published for 7300 s (limit 7230 s), waiting for every server\n");
	assert_int_equal(code, CLI_EXIT_WARNING);
	free(out);

	out = printed(idle_json, true, &code);
	assert_string_equal(out,
			    "example.org: idle, current-next, since 2026-11-22T02:34:57Z (1d01h)\n"
			    "  wait       2h00m\n"
			    "  current    6f2b\n"
			    "  next       95e8\n");
	assert_int_equal(code, CLI_EXIT_OK);
	free(out);

	out = printed(none_json, true, &code);
	assert_string_equal(out, "new.example: none (not started: waiting for the first check)\n");
	assert_int_equal(code, CLI_EXIT_OK);
	free(out);
}

static void no_rollovers_and_odd_answers(void **state)
{
	char *out;
	int code;

	(void)state;
	out = printed("{\"rollovers\": []}", true, &code);
	assert_string_equal(out, "no domain has a rollover block\n");
	assert_int_equal(code, CLI_EXIT_OK);
	free(out);
	/* Fields missing or of another type (a newer or older daemon) print as unknown. */
	out = printed("{\"domain\": 7, \"state\": \"staged\", \"entered\": \"x\"}", true, &code);
	assert_string_equal(out, "?: staged, ?, since ? (0s)\n"
				 "  wait       0s\n");
	assert_int_equal(code, CLI_EXIT_OK);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(command_lines),
		cmocka_unit_test(one_line_per_domain),
		cmocka_unit_test(a_failed_rollover_is_critical),
		cmocka_unit_test(the_detail_of_one_domain),
		cmocka_unit_test(no_rollovers_and_odd_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
