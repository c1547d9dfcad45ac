/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for checks/tlsawatch: server answers built with ldns (TLSA,
 * NODATA and NXDOMAIN with the SOA, failing rcodes, truncated, garbage)
 * read into what the rollover wait needs, and the bounded server list.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/tlsawatch.h"
#include "common/err.h"

#define OWNER "_5222._tcp.xmpp.a.example."
#define SOA   "a.example. 600 IN SOA ns1.example. hostmaster.a.example. 42 3600 600 86400 300"
#define D1    "1111111111111111111111111111111111111111111111111111111111111111"
#define D2    "2222222222222222222222222222222222222222222222222222222222222222"

static void push(ldns_pkt *pkt, ldns_pkt_section sec, const char *text)
{
	ldns_rr *rr = NULL;

	assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
	assert_true(ldns_pkt_push_rr(pkt, sec, rr));
}

/* A response to (qname, TLSA) with the rcode, AA, and the RRs of each section ("" ends one). */
static ldns_pkt *response(const char *qname, ldns_pkt_rcode rcode, bool aa,
			  const char *const *answer, const char *const *authority)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *q = ldns_rr_new();
	ldns_rdf *name = NULL;

	assert_non_null(pkt);
	assert_int_equal(ldns_str2rdf_dname(&name, qname), LDNS_STATUS_OK);
	ldns_rr_set_owner(q, name);
	ldns_rr_set_type(q, LDNS_RR_TYPE_TLSA);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	assert_true(ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q));
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_aa(pkt, aa);
	ldns_pkt_set_rcode(pkt, (uint8_t)rcode);
	for (; answer != NULL && *answer != NULL; answer++) {
		push(pkt, LDNS_SECTION_ANSWER, *answer);
	}
	for (; authority != NULL && *authority != NULL; authority++) {
		push(pkt, LDNS_SECTION_AUTHORITY, *authority);
	}
	return pkt;
}

static void read_pkt(ldns_pkt *pkt, struct tlsawatch_answer *a)
{
	tlsawatch_answer_read(OWNER, LOOKUP_OK, pkt, a);
	ldns_pkt_free(pkt);
}

static void test_answer_with_tlsa(void **state)
{
	static const char *const answer[] = {
		OWNER " 300 IN TLSA 3 1 1 " D2,
		OWNER " 120 IN TLSA 3 1 1 " D1,
		OWNER " 300 IN RRSIG TLSA 13 5 300 20300101000000 20200101000000 1 a.example. "
		      "AAAA",
		NULL,
	};
	struct tlsawatch_answer *a = calloc(1, sizeof(*a));

	(void)state;
	read_pkt(response(OWNER, LDNS_RCODE_NOERROR, true, answer, NULL), a);
	assert_int_equal(a->status, LOOKUP_OK);
	assert_int_equal(a->rcode, 0);
	assert_int_equal(a->ttl, 120);
	assert_int_equal(a->n_found, 2);
	assert_int_equal(a->n_recs, 2);
	assert_false(a->truncated);
	assert_false(a->has_soa);
	/* Sorted by data: D1 first. */
	assert_int_equal(a->recs[0].usage, 3);
	assert_int_equal(a->recs[0].selector, 1);
	assert_int_equal(a->recs[0].mtype, 1);
	assert_int_equal(a->recs[0].len, 32);
	assert_false(a->recs[0].cut);
	assert_int_equal(a->recs[0].data[0], 0x11);
	assert_int_equal(a->recs[1].data[31], 0x22);
	free(a);
}

static void test_records_bounded(void **state)
{
	static char lines[TLSAWATCH_MAX_RECS + 3][256];
	const char *answer[TLSAWATCH_MAX_RECS + 4] = {0};
	struct tlsawatch_answer *a = calloc(1, sizeof(*a));
	size_t i;

	(void)state;
	for (i = 0; i < TLSAWATCH_MAX_RECS + 3; i++) {
		snprintf(lines[i], sizeof(lines[i]), OWNER " 60 IN TLSA 3 1 1 %064zx", i);
		answer[i] = lines[i];
	}
	read_pkt(response(OWNER, LDNS_RCODE_NOERROR, true, answer, NULL), a);
	assert_int_equal(a->status, LOOKUP_OK);
	assert_int_equal(a->n_found, TLSAWATCH_MAX_RECS + 3);
	assert_int_equal(a->n_recs, TLSAWATCH_MAX_RECS);
	assert_true(a->truncated);
	free(a);
}

static void test_full_data_cut(void **state)
{
	char line[1024];
	const char *answer[] = {line, NULL};
	struct tlsawatch_answer *a = calloc(1, sizeof(*a));
	int n;

	(void)state;
	n = snprintf(line, sizeof(line), OWNER " 60 IN TLSA 3 1 0 ");
	memset(line + n, 'a', 200);
	line[n + 200] = '\0';
	read_pkt(response(OWNER, LDNS_RCODE_NOERROR, true, answer, NULL), a);
	assert_int_equal(a->status, LOOKUP_OK);
	assert_int_equal(a->recs[0].len, 100);
	assert_true(a->recs[0].cut);
	assert_int_equal(a->recs[0].data[TLSAWATCH_DATA_MAX - 1], 0xaa);
	free(a);
}

static void test_nodata(void **state)
{
	static const char *const authority[] = {SOA, NULL};
	struct tlsawatch_answer *a = calloc(1, sizeof(*a));

	(void)state;
	read_pkt(response(OWNER, LDNS_RCODE_NOERROR, true, NULL, authority), a);
	assert_int_equal(a->status, LOOKUP_NODATA);
	assert_true(a->has_soa);
	assert_int_equal(a->serial, 42);
	assert_int_equal(a->soa_minimum, 300);
	assert_int_equal(a->neg_ttl, 300);
	assert_int_equal(a->n_recs, 0);
	free(a);
}

static void test_nxdomain_neg_ttl_is_lesser(void **state)
{
	static const char *const authority[] = {
		"a.example. 60 IN SOA ns1.example. h.a.example. 7 3600 600 86400 300", NULL};
	struct tlsawatch_answer *a = calloc(1, sizeof(*a));

	(void)state;
	read_pkt(response(OWNER, LDNS_RCODE_NXDOMAIN, true, NULL, authority), a);
	assert_int_equal(a->status, LOOKUP_NXDOMAIN);
	assert_int_equal(a->rcode, LDNS_RCODE_NXDOMAIN);
	assert_int_equal(a->serial, 7);
	assert_int_equal(a->soa_minimum, 300);
	assert_int_equal(a->neg_ttl, 60); /* RFC 2308 §5: the SOA's own TTL is lower */
	free(a);
}

/* Table: responses the server did not answer the owner with, and how they read. */
struct fail_row {
	const char *name;
	const char *qname;
	ldns_pkt_rcode rcode;
	bool aa;
	bool tc;
	bool with_soa;
	enum lookup_status status;
	const char *detail;
};

static const struct fail_row fail_rows[] = {
	{"refused", OWNER, LDNS_RCODE_REFUSED, false, false, false, LOOKUP_REFUSED, "REFUSED"},
	{"servfail", OWNER, LDNS_RCODE_SERVFAIL, false, false, false, LOOKUP_SERVFAIL, "SERVFAIL"},
	{"formerr", OWNER, LDNS_RCODE_FORMERR, false, false, false, LOOKUP_ERROR, "rcode 1"},
	{"not aa", OWNER, LDNS_RCODE_NOERROR, false, false, true, LOOKUP_ERROR,
	 "not authoritative"},
	{"tc", OWNER, LDNS_RCODE_NOERROR, true, true, true, LOOKUP_ERROR, "truncated answer"},
	{"other question", "other.a.example.", LDNS_RCODE_NOERROR, true, false, true, LOOKUP_ERROR,
	 "answer to another question"},
	{"denial without soa", OWNER, LDNS_RCODE_NXDOMAIN, true, false, false, LOOKUP_ERROR,
	 "denial without SOA"},
};

static void test_failures(void **state)
{
	static const char *const authority[] = {SOA, NULL};
	struct tlsawatch_answer *a = calloc(1, sizeof(*a));
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fail_rows) / sizeof(fail_rows[0]); i++) {
		const struct fail_row *row = &fail_rows[i];
		ldns_pkt *pkt = response(row->qname, row->rcode, row->aa, NULL,
					 row->with_soa ? authority : NULL);

		ldns_pkt_set_tc(pkt, row->tc);
		read_pkt(pkt, a);
		if (a->status != row->status || strcmp(a->detail, row->detail) != 0) {
			fail_msg("%s: status %d detail '%s'", row->name, a->status, a->detail);
		}
	}
	free(a);
}

static void test_no_response(void **state)
{
	struct tlsawatch_answer *a = calloc(1, sizeof(*a));

	(void)state;
	tlsawatch_answer_read(OWNER, LOOKUP_TIMEOUT, NULL, a);
	assert_int_equal(a->status, LOOKUP_TIMEOUT);
	assert_int_equal(a->rcode, -1);
	tlsawatch_answer_read(OWNER, LOOKUP_ERROR, NULL, a);
	assert_int_equal(a->status, LOOKUP_ERROR);
	free(a);
}

static void test_wire_garbage_and_cut(void **state)
{
	static const char *const answer[] = {OWNER " 300 IN TLSA 3 1 1 " D1, NULL};
	static const uint8_t garbage[] = {0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0xff, 0xff, 0x00};
	struct tlsawatch_answer *a = calloc(1, sizeof(*a));
	ldns_pkt *pkt = response(OWNER, LDNS_RCODE_NOERROR, true, answer, NULL);
	uint8_t *wire = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ldns_pkt2wire(&wire, pkt, &len), LDNS_STATUS_OK);
	tlsawatch_answer_read_wire(OWNER, wire, len, a);
	assert_int_equal(a->status, LOOKUP_OK);
	assert_int_equal(a->n_recs, 1);
	tlsawatch_answer_read_wire(OWNER, wire, len - 5, a); /* cut inside the RDATA */
	assert_int_equal(a->status, LOOKUP_ERROR);
	assert_string_equal(a->detail, "malformed answer");
	tlsawatch_answer_read_wire(OWNER, garbage, sizeof(garbage), a);
	assert_int_equal(a->status, LOOKUP_ERROR);
	tlsawatch_answer_read_wire(OWNER, garbage, 0, a);
	assert_int_equal(a->status, LOOKUP_ERROR);
	free(wire);
	ldns_pkt_free(pkt);
	free(a);
}

static void test_lists(void **state)
{
	struct tlsawatch_result *res = calloc(1, sizeof(*res));
	struct zone_facts *z = calloc(1, sizeof(*z));
	char addr[FACTS_ADDR_MAX];
	size_t i;

	(void)state;
	tlsawatch_init(res);
	assert_int_equal(tlsawatch_add_owner(res, "_443._tcp.A.example"), 0);
	assert_string_equal(res->owners[0], "_443._tcp.A.example.");
	assert_int_equal(tlsawatch_add_owner(res, "a..example"), ERR_PARSE);
	for (i = 1; i < TLSAWATCH_MAX_OWNERS; i++) {
		assert_int_equal(tlsawatch_add_owner(res, "x.example."), 0);
	}
	assert_int_equal(tlsawatch_add_owner(res, "x.example."), -E2BIG);

	assert_int_equal(tlsawatch_add_server(res, NULL, "not-an-address"), ERR_PARSE);
	z->n_servers = 3;
	snprintf(z->servers[0].name, FACTS_NAME_MAX, "ns1.example.");
	snprintf(z->servers[0].address, FACTS_ADDR_MAX, "127.0.0.1");
	snprintf(z->servers[1].name, FACTS_NAME_MAX, "ns2.example.");
	snprintf(z->servers[1].address, FACTS_ADDR_MAX, "::1");
	snprintf(z->servers[2].name, FACTS_NAME_MAX, "ns1-alias.example.");
	snprintf(z->servers[2].address, FACTS_ADDR_MAX, "127.0.0.1");
	assert_int_equal(tlsawatch_add_zone_servers(res, z), 3);
	assert_int_equal(res->n_servers, 2); /* each address once */
	assert_string_equal(res->servers[1].name, "ns2.example.");
	for (i = 2; i < FACTS_MAX_SERVERS; i++) {
		snprintf(addr, sizeof(addr), "127.0.1.%zu", i);
		assert_int_equal(tlsawatch_add_server(res, NULL, addr), 0);
	}
	assert_int_equal(tlsawatch_add_server(res, NULL, "127.0.2.1"), -E2BIG);
	free(z);
	free(res);
}

static void test_summarize(void **state)
{
	struct tlsawatch_result *res = calloc(1, sizeof(*res));
	struct tlsawatch_server *s;

	(void)state;
	tlsawatch_init(res);
	assert_int_equal(tlsawatch_add_owner(res, "a.example."), 0);
	assert_int_equal(tlsawatch_add_owner(res, "b.example."), 0);
	assert_int_equal(tlsawatch_add_server(res, NULL, "127.0.0.1"), 0);
	s = &res->servers[0];
	s->answers[0].status = LOOKUP_NXDOMAIN;
	s->answers[1].status = LOOKUP_NODATA;
	tlsawatch_server_summarize(res, s);
	assert_true(s->answered);
	assert_int_equal(s->status, LOOKUP_OK);
	s->answers[1].status = LOOKUP_TIMEOUT;
	snprintf(s->answers[1].detail, TLSAWATCH_DETAIL_MAX, "timeout");
	tlsawatch_server_summarize(res, s);
	assert_false(s->answered);
	assert_int_equal(s->status, LOOKUP_TIMEOUT);
	assert_string_equal(s->detail, "timeout");
	free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_with_tlsa),
		cmocka_unit_test(test_records_bounded),
		cmocka_unit_test(test_full_data_cut),
		cmocka_unit_test(test_nodata),
		cmocka_unit_test(test_nxdomain_neg_ttl_is_lesser),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_no_response),
		cmocka_unit_test(test_wire_garbage_and_cut),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_summarize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
