/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/renderpack: every text unpacks to itself byte for
 * byte (samples, rows, the names where the packer would refer to them,
 * runs longer than one item holds, bytes of every value, the empty text),
 * whatever the sizes of the reads; packed texts stay within renderpack_bound,
 * a typical sample packs small, and a truncated packed text ends early
 * instead of reading past its end.
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

/* Unpacks code[0..len) chunk bytes at a time into a new string; its length into ret_len. */
static char *unpack(const uint8_t *code, size_t len, const struct renderpack_names *n, size_t chunk,
		    size_t *ret_len)
{
	struct renderpack_reader r;
	size_t got = 0, m;
	char *out = NULL;

	renderpack_reader_init(&r);
	renderpack_reader_open(&r, code, len, n);
	do {
		out = realloc(out, got + chunk + 1);
		assert_non_null(out);
		m = renderpack_read(&r, out + got, chunk);
		assert_true(m <= chunk);
		got += m;
	} while (m > 0);
	assert_int_equal(renderpack_read(&r, out, chunk), 0); /* stays at its end */
	out[got] = '\0';
	*ret_len = got;
	return out;
}

/* Packs text, checks the bound, unpacks it whole and in small reads; returns the packed size. */
static size_t round_trip(const char *text, size_t len, const struct renderpack_names *n)
{
	static const size_t chunks[] = {1, 3, 64, 65536};
	uint8_t *packed = calloc(1, renderpack_bound(len) + RENDERPACK_PAD);
	size_t w, i;

	assert_non_null(packed);
	packed[renderpack_bound(len)] = 0xA5; /* a guard past the bound */
	w = renderpack_pack(text, len, n, packed);
	assert_true(w <= renderpack_bound(len));
	assert_int_equal(packed[renderpack_bound(len)], 0xA5);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		size_t got;
		char *back = unpack(packed, w, n, chunks[i], &got);

		assert_int_equal(got, len);
		assert_memory_equal(back, text, len);
		free(back);
	}
	free(packed);
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

/* A packed text cut inside a literal run: unpacking stops before the cut run. */
static void truncated(void **state)
{
	const char *text = "a literal run that is long enough";
	uint8_t packed[64 + RENDERPACK_PAD];
	size_t w, len;
	char *back;

	(void)state;
	w = renderpack_pack(text, strlen(text), &names, packed);
	assert_true(w > 4);
	back = unpack(packed, 4, &names, 16, &len);
	assert_int_equal(len, 0);
	free(back);
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
