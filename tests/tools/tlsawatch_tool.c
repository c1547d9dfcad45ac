/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test-only driver of checks/tlsawatch for tests/integration/test_tlsawatch.py:
 * asks each server for each owner's TLSA and prints the result as JSON.
 *
 *   tlsawatch_tool [--port N] [--timeout-ms N] --server ADDR[=NAME]... OWNER...
 *
 * Output: {"servers": [{"address", "name", "answered", "status", "detail",
 * "answers": {OWNER: {"status", "rcode", "detail", "alias", "ttl", "records":
 * ["U S M HEX"...], "n_found", "truncated", "serial", "soa_minimum",
 * "neg_ttl"}}}]} (the SOA fields only when the answer had one). Exit 0, or 1
 * with the error on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checks/tlsawatch.h"
#include "common/err.h"

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, "tlsawatch_tool: %s: %s\n", what, detail);
	return 1;
}

static json_t *rec_json(const struct tlsawatch_rec *rec)
{
	char text[16 + 2 * TLSAWATCH_DATA_MAX + 8];
	size_t off;
	size_t i;

	off = (size_t)snprintf(text, sizeof(text), "%u %u %u ", rec->usage, rec->selector,
			       rec->mtype);
	for (i = 0; i < rec->len && i < TLSAWATCH_DATA_MAX; i++) {
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%02x", rec->data[i]);
	}
	if (rec->cut) {
		snprintf(text + off, sizeof(text) - off, "...");
	}
	return json_string(text);
}

static json_t *answer_json(const struct tlsawatch_answer *a)
{
	json_t *o = json_object();
	json_t *recs = json_array();
	size_t i;

	for (i = 0; i < a->n_recs; i++) {
		json_array_append_new(recs, rec_json(&a->recs[i]));
	}
	json_object_set_new(o, "status", json_string(facts_lookup_status_name(a->status)));
	json_object_set_new(o, "rcode", json_integer(a->rcode));
	json_object_set_new(o, "detail", json_string(a->detail));
	json_object_set_new(o, "alias", json_boolean(a->alias));
	json_object_set_new(o, "ttl", json_integer(a->ttl));
	json_object_set_new(o, "records", recs);
	json_object_set_new(o, "n_found", json_integer((json_int_t)a->n_found));
	json_object_set_new(o, "truncated", json_boolean(a->truncated));
	if (a->has_soa) {
		json_object_set_new(o, "serial", json_integer(a->serial));
		json_object_set_new(o, "soa_minimum", json_integer(a->soa_minimum));
		json_object_set_new(o, "neg_ttl", json_integer(a->neg_ttl));
	}
	return o;
}

static json_t *result_json(const struct tlsawatch_result *res)
{
	json_t *servers = json_array();
	json_t *top = json_object();
	size_t si;
	size_t oi;

	for (si = 0; si < res->n_servers; si++) {
		const struct tlsawatch_server *s = &res->servers[si];
		json_t *o = json_object();
		json_t *answers = json_object();

		for (oi = 0; oi < res->n_owners; oi++) {
			json_object_set_new(answers, res->owners[oi], answer_json(&s->answers[oi]));
		}
		json_object_set_new(o, "address", json_string(s->address));
		json_object_set_new(o, "name", json_string(s->name));
		json_object_set_new(o, "answered", json_boolean(s->answered));
		json_object_set_new(o, "status", json_string(facts_lookup_status_name(s->status)));
		json_object_set_new(o, "detail", json_string(s->detail));
		json_object_set_new(o, "answers", answers);
		json_array_append_new(servers, o);
	}
	json_object_set_new(top, "servers", servers);
	return top;
}

int main(int argc, char **argv)
{
	struct tlsawatch_result *res = calloc(1, sizeof(*res));
	long port = 53;
	long timeout_ms = 3000;
	json_t *out;
	char *text;
	int i;
	int r;

	if (res == NULL) {
		return fail("start", "out of memory");
	}
	tlsawatch_init(res);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			port = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
			timeout_ms = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--server") == 0 && i + 1 < argc) {
			char *addr = argv[++i];
			char *name = strchr(addr, '=');

			if (name != NULL) {
				*name++ = '\0';
			}
			r = tlsawatch_add_server(res, name, addr);
			if (r < 0) {
				return fail(addr, err_str(r));
			}
		} else {
			r = tlsawatch_add_owner(res, argv[i]);
			if (r < 0) {
				return fail(argv[i], err_str(r));
			}
		}
	}
	if (port <= 0 || port > 65535 || timeout_ms <= 0 || timeout_ms > 600000) {
		return fail("usage", "bad --port or --timeout-ms");
	}
	r = tlsawatch_run((uint16_t)port, (int)timeout_ms, res);
	if (r < 0) {
		return fail("watch", err_str(r));
	}
	out = result_json(res);
	text = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text == NULL) {
		return fail("output", "out of memory");
	}
	printf("%s\n", text);
	free(text);
	json_decref(out);
	free(res);
	return 0;
}
