/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/renderpack: every text unpacks to itself byte for
 * byte (samples, rows, the names where the packer would refer to them,
 * runs longer than one item holds, bytes of every value, the empty text),
 * packed texts stay within renderpack_bound, a typical sample packs small,
 * and a truncated packed text ends early instead of reading past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/renderpack.h"

static const struct renderpack_names names = {
	.family = "xdane_dnssec_state",
	.family_len = sizeof("xdane_dnssec_state") - 1,
	.domain = "d00042.example",
	.domain_len = sizeof("d00042.example") - 1,
};

/* Packs text, checks the bound, unpacks it; returns the packed size. */
static size_t round_trip(const char *text, size_t len, const struct renderpack_names *n)
{
	uint8_t *packed = malloc(renderpack_bound(len) + 1);
	char *back = malloc(len + 1);
	struct renderpack_cursor c;
	const char *piece;
	size_t plen, w, got = 0;

	assert_non_null(packed);
	assert_non_null(back);
	packed[renderpack_bound(len)] = 0xA5; /* a guard past the bound */
	w = renderpack_pack(text, len, n, packed);
	assert_true(w <= renderpack_bound(len));
	assert_int_equal(packed[renderpack_bound(len)], 0xA5);
	c = (struct renderpack_cursor){packed, packed + w};
	while (renderpack_next(&c, n, &piece, &plen)) {
		assert_true(plen > 0);
		assert_true(got + plen <= len);
		memcpy(back + got, piece, plen);
		got += plen;
	}
	assert_int_equal(got, len);
	assert_memory_equal(back, text, len);
	assert_false(renderpack_next(&c, n, &piece, &plen)); /* stays at its end */
	free(packed);
	free(back);
	return w;
}

static void samples_and_rows(void **state)
{
	static const char *const texts[] = {
		"xdane_dnssec_state{domain=\"d00042.example\",rrset=\"SRV "
		"_xmpp-client._tcp.d00042.example\",state=\"secure\"} 1\n"
		"xdane_dnssec_state{domain=\"d00042.example\",rrset=\"TLSA "
		"_5222._tcp.xmpp.d00042.example\",state=\"bogus\"} 1\n",
		"xdane_tlsa_record_match{domain=\"d00042.example\",target=\"xmpp.d00042.example\","
		"port=\"5222\",usage=\"3\",selector=\"1\",mtype=\"1\",data="
		"\"001c033f9675db54f6ba2c79f7a4028d65b7e93366c88ac90490520ec5a8db42\"} 0\n",
		"<tr class=\"r0\"><td><a href=\"/status/d00042.example\">d00042.example</a></td>"
		"<td><span class=\"b s0\">ok</span></td><td><time "
		"datetime=\"2026-11-22T02:34:57Z\">2026-11-22 02:34 UTC</time> <span "
		"class=\"age\">0.11 s</span></td><td>none</td><td>&mdash;</td></tr>\n",
		"",
		"x",
		"\"",
		"d00042.exampl", /* a prefix of the domain: not a reference */
		"d00042.example",
		"xdane_dnssec_state",
		"{domain=\"{domain=\"\"} 1\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		round_trip(texts[i], strlen(texts[i]), &names);
	}
}

/* A healthy domain's sample packs to a small fraction of its text. */
static void packs_small(void **state)
{
	const char *line = "xdane_dnssec_state{domain=\"d00042.example\",rrset=\"SRV "
			   "_xmpp-client._tcp.d00042.example\",state=\"secure\"} 1\n";

	(void)state;
	assert_true(round_trip(line, strlen(line), &names) <= 12);
}

/* Every byte value, in runs longer than one literal item, and with empty names. */
static void any_bytes(void **state)
{
	const struct renderpack_names empty = {.family = "", .domain = ""};
	char text[1000];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(text); i++) {
		text[i] = (char)(i * 7 + 3);
	}
	round_trip(text, sizeof(text), &names);
	round_trip(text, sizeof(text), &empty);
	for (i = 0; i < sizeof(text); i++) {
		text[i] = (char)(0x80 + i % 0x80); /* what a reference's byte looks like */
	}
	round_trip(text, sizeof(text), &names);
	round_trip("\"} 1\n", 5, &empty);
}

/* A packed text cut inside a literal run: unpacking stops at the cut. */
static void truncated(void **state)
{
	const char *text = "a literal run that is long enough";
	uint8_t packed[64];
	struct renderpack_cursor c;
	const char *piece;
	size_t w, len;

	(void)state;
	w = renderpack_pack(text, strlen(text), &names, packed);
	assert_true(w > 4);
	c = (struct renderpack_cursor){packed, packed + 4};
	assert_false(renderpack_next(&c, &names, &piece, &len));
	assert_ptr_equal(c.p, c.end);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(samples_and_rows),
		cmocka_unit_test(packs_small),
		cmocka_unit_test(any_bytes),
		cmocka_unit_test(truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
