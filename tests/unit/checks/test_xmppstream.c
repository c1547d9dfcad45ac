/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for checks/xmppstream: each row is what a server sends before
 * TLS (the Prosody ones recorded from the test bed's Prosody 0.12), fed
 * whole, byte by byte and in chunks, with the state it must leave.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/xmppstream.h"
#include "common/err.h"

#define C XMPPSTREAM_NS_CLIENT
#define S XMPPSTREAM_NS_SERVER

/* Transcripts */

#define XML_DECL "<?xml version='1.0'?>"
/* Prosody 0.12, c2s, c2s_require_encryption (the bed's). */
#define PROSODY_C2S_HEADER                                                        \
	XML_DECL "<stream:stream xmlns='jabber:client' "                          \
		 "xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' " \
		 "from='good.example' version='1.0' id='bf2f1c3f-30a2-45bd-ae94-edeb83af4102'>"
#define PROSODY_C2S_FEATURES                                                             \
	"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>" \
	"</starttls></stream:features>"
#define PROCEED	    "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
#define PROSODY_C2S PROSODY_C2S_HEADER PROSODY_C2S_FEATURES PROCEED
/* Prosody 0.12, s2s: dialback offered beside STARTTLS. */
#define PROSODY_S2S_HEADER                                                        \
	XML_DECL "<stream:stream xmlns='jabber:server' version='1.0' "            \
		 "xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' " \
		 "from='good.example' xmlns:db='jabber:server:dialback' "         \
		 "id='ac0e130d-e74c-477e-b66a-3bdfd8d65bf0' to=''>"
#define PROSODY_S2S                                                                \
	PROSODY_S2S_HEADER                                                         \
	"<stream:features><dialback xmlns='urn:xmpp:features:dialback'/>"          \
	"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" \
	"</stream:features>" PROCEED
/* Prosody without c2s_require_encryption: STARTTLS offered, SASL beside it. */
#define PROSODY_C2S_OPTIONAL                                                                      \
	PROSODY_C2S_HEADER                                                                        \
	"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"                    \
	"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>" \
	"<mechanism>PLAIN</mechanism></mechanisms></stream:features>"
/* Prosody 0.12 inside Direct TLS (xmpps-client, xmpps-server). */
#define PROSODY_DIRECT_C2S                                                                      \
	XML_DECL "<stream:stream version='1.0' xmlns='jabber:client' "                          \
		 "xmlns:stream='http://etherx.jabber.org/streams' "                             \
		 "id='68605d00-bba3-4127-a977-db21e5d5df11' xml:lang='en' from='good.example'>" \
		 "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"       \
		 "<mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms>"  \
		 "</stream:features>"
#define PROSODY_DIRECT_S2S                                                           \
	XML_DECL "<stream:stream version='1.0' xmlns='jabber:server' xml:lang='en' " \
		 "xmlns:stream='http://etherx.jabber.org/streams' "                  \
		 "id='301e2c9a-2b9e-43a2-8e30-a158901a1bd7' to='' "                  \
		 "xmlns:db='jabber:server:dialback' from='good.example'>"            \
		 "<stream:features><dialback "                                       \
		 "xmlns='urn:xmpp:features:dialback'/></stream:features>"
/* Prosody 0.12 asked for a host it does not serve. */
#define PROSODY_HOST_UNKNOWN                                                                     \
	XML_DECL "<stream:stream xmlns='jabber:client' "                                         \
		 "xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' "                \
		 "from='nope.example' version='1.0' id='7cc9b4b9-bab0-47fe-b6ab-708c3f3c63aa'>"  \
		 "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"     \
		 "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>This server does not serve " \
		 "nope.example</text></stream:error></stream:stream>"
#define STREAM(ns)                                                                       \
	"<stream:stream xmlns='" ns "' xmlns:stream='http://etherx.jabber.org/streams' " \
	"from='example.org' id='x1' version='1.0'>"
#define CLOSE "</stream:stream>"
/* The start of a TLS 1.2 ServerHello record, NUL bytes and all. */
#define TLS_RECORD "\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03\x00\x00\xff<&"
#define BILLION_LAUGHS                                                                          \
	"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"                              \
	"<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"                   \
	"<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"         \
	"<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>"       \
	"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" \
	"&lol3;"

/* A literal with NULs in it: the pointer and the length. */
#define IN(s)	  s, sizeof(s) - 1
#define LEN(s)	  (sizeof(s) - 1)
#define SUFFIX(s) .suffix = s, .suffix_len = LEN(s)

/* The flags of the state a row must leave set; the others must be clear. */
enum {
	SAW_HEADER = 1 << 0,
	SAW_FEATURES = 1 << 1,
	SAW_STARTTLS = 1 << 2,
	SAW_REQUIRED = 1 << 3,
	SAW_PROCEED = 1 << 4,
	SAW_FAILURE = 1 << 5,
	SAW_CLOSE = 1 << 6,
};
#define SAW_PROSODY_C2S (SAW_HEADER | SAW_FEATURES | SAW_STARTTLS | SAW_REQUIRED)

struct row {
	const char *name;
	const char *ns;
	/* The input: prefix, then unit count times, then suffix. */
	const char *prefix;
	size_t prefix_len;
	const char *unit;
	size_t count;
	const char *suffix;
	size_t suffix_len;
	/* The state it must leave. */
	unsigned saw;
	const char *stream_error; /* NULL: "" */
	int error;
	const char *detail; /* a part of error_detail, or NULL */
	const char *from;   /* NULL: not checked */
	size_t tail;	    /* bytes at the end of the input that must not be read */
};

/* Filling the byte bound exactly, up to the end of a <proceed/>. */
#define FILL_TO_BOUND (XMPPSTREAM_MAX_BYTES - LEN(STREAM(C)) - LEN(PROCEED))

static const struct row rows[] = {
	{"prosody c2s: starttls required, proceed", C, IN(PROSODY_C2S),
	 .saw = SAW_PROSODY_C2S | SAW_PROCEED, .from = "good.example"},
	{"prosody c2s: a TLS record after proceed is not parsed", C, IN(PROSODY_C2S TLS_RECORD),
	 .saw = SAW_PROSODY_C2S | SAW_PROCEED, .tail = LEN(TLS_RECORD)},
	{"prosody s2s: dialback and starttls required, proceed", S, IN(PROSODY_S2S),
	 .saw = SAW_PROSODY_C2S | SAW_PROCEED, .from = "good.example"},
	{"prosody c2s: starttls optional beside mechanisms", C, IN(PROSODY_C2S_OPTIONAL),
	 .saw = SAW_HEADER | SAW_FEATURES | SAW_STARTTLS},
	{"prosody direct tls c2s: features without starttls", C, IN(PROSODY_DIRECT_C2S),
	 .saw = SAW_HEADER | SAW_FEATURES, .from = "good.example"},
	{"prosody direct tls s2s: features without starttls", S, IN(PROSODY_DIRECT_S2S),
	 .saw = SAW_HEADER | SAW_FEATURES},
	{"features not yet complete", C,
	 IN(PROSODY_C2S_HEADER
	    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"),
	 .saw = SAW_HEADER | SAW_STARTTLS, .from = "good.example"},
	{"failure, then the close", C,
	 IN(PROSODY_C2S_HEADER PROSODY_C2S_FEATURES
	    "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" CLOSE),
	 .saw = SAW_PROSODY_C2S | SAW_FAILURE | SAW_CLOSE},
	{"prosody host-unknown stream error", C, IN(PROSODY_HOST_UNKNOWN),
	 .saw = SAW_HEADER | SAW_CLOSE, .stream_error = "host-unknown", .from = "nope.example"},
	{"stream error: text before the condition", S,
	 IN(STREAM(S) "<stream:error><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>moved</text>"
		      "<see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>b.example"
		      "</see-other-host></stream:error>"),
	 .saw = SAW_HEADER, .stream_error = "see-other-host"},
	{"stream error without a defined condition", C,
	 IN(STREAM(C) "<stream:error><oops xmlns='urn:example'/></stream:error>" CLOSE),
	 .saw = SAW_HEADER | SAW_CLOSE, .stream_error = "undefined-condition"},
	{"stream error not yet complete", C,
	 IN(STREAM(C) "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
	 .saw = SAW_HEADER},
	{"close; what follows is not parsed", C, IN(STREAM(C) CLOSE "<<junk"),
	 .saw = SAW_HEADER | SAW_CLOSE, .tail = LEN("<<junk"), .from = "example.org"},
	{"comments and processing instructions are ignored", C,
	 IN(XML_DECL "<!-- hello --><?pi x?>" STREAM(
		 C) "<!-- c --><stream:features><?pi y?>"
		    "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"),
	 .saw = SAW_HEADER | SAW_FEATURES | SAW_STARTTLS},
	{"an encoding declaration does not change UTF-8", C,
	 IN("<?xml version='1.0' encoding='UTF-16'?>" STREAM(C)), .saw = SAW_HEADER},
	{"text is dropped, however long", C, IN(STREAM(C) "<message>"), .unit = "some text ",
	 .count = 5000, SUFFIX("</message><stream:features/>"), .saw = SAW_HEADER | SAW_FEATURES},
	{"starttls outside the features is not an offer", C,
	 IN(STREAM(C) "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><stream:features/>"),
	 .saw = SAW_HEADER | SAW_FEATURES},
	{"proceed in another namespace is not the answer", C,
	 IN(STREAM(C) "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><x/>"),
	 .saw = SAW_HEADER},
	{"proceed inside the features is not the answer", C,
	 IN(STREAM(C) "<stream:features>" PROCEED "</stream:features>"),
	 .saw = SAW_HEADER | SAW_FEATURES},
	{"s2s header where c2s is expected", C, IN(PROSODY_S2S), .error = ERR_PARSE,
	 .detail = "content namespace 'jabber:server', expected 'jabber:client'"},
	{"c2s header where s2s is expected", S, IN(PROSODY_C2S), .error = ERR_PARSE,
	 .detail = "content namespace 'jabber:client', expected 'jabber:server'"},
	{"header without a content namespace", C,
	 IN("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"), .error = ERR_PARSE,
	 .detail = "without a content namespace"},
	{"stream element in another namespace", C,
	 IN("<stream:stream xmlns='jabber:client' xmlns:stream='http://example.com/streams'>"),
	 .error = ERR_PARSE, .detail = "first element '{http://example.com/streams}stream'"},
	{"an HTTP server", C, IN("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
	 .error = ERR_PARSE, .detail = "not well-formed (invalid token) at line 1, column 5"},
	{"an HTML page", C, IN("<!DOCTYPE html><html>"), .error = ERR_PARSE, .detail = "DOCTYPE"},
	{"mismatched tag", C, IN(STREAM(C) "<stream:features></stream:feature>"), .saw = SAW_HEADER,
	 .error = ERR_PARSE, .detail = "mismatched tag at line 1, column"},
	{"undefined entity", C, IN(STREAM(C) "<x>&foo;</x>"), .saw = SAW_HEADER, .error = ERR_PARSE,
	 .detail = "undefined entity"},
	{"not UTF-8", C, IN(STREAM(C) "<x a='\xff'/>"), .saw = SAW_HEADER, .error = ERR_PARSE,
	 .detail = "invalid token"},
	{"UTF-16LE without a BOM", C, IN("<\0s\0t\0r\0e\0a\0m\0"), .error = ERR_PARSE,
	 .detail = "not UTF-8: byte 0x00 at 1"},
	{"UTF-16BE with a BOM", C, IN("\xfe\xff\0<"), .error = ERR_PARSE,
	 .detail = "not UTF-8: byte 0xfe at 0"},
	{"a UTF-8 BOM is allowed", C, IN("\xef\xbb\xbf" STREAM(C)), .saw = SAW_HEADER},
	{"DOCTYPE", C, IN(XML_DECL "<!DOCTYPE stream:stream>" STREAM(C)), .error = ERR_PARSE,
	 .detail = "DOCTYPE declaration"},
	{"billion laughs", C, IN(BILLION_LAUGHS), .error = ERR_PARSE,
	 .detail = "DOCTYPE declaration"},
	{"DOCTYPE inside the stream", C, IN(STREAM(C) "<!DOCTYPE x [<!ENTITY a 'b'>]>"),
	 .saw = SAW_HEADER, .error = ERR_PARSE},
	{"70 KiB of whitespace", C, IN(STREAM(C)), .unit = " ", .count = 70 * 1024,
	 .saw = SAW_HEADER, .error = ERR_TOO_BIG, .detail = "more than 65536 bytes before TLS"},
	{"70 KiB of elements", C, IN(STREAM(C)), .unit = "<x/>", .count = 70 * 1024 / 4,
	 .saw = SAW_HEADER, .error = ERR_TOO_BIG, .detail = "more than 65536 bytes before TLS"},
	{"the byte bound exactly", C, IN(STREAM(C)), .unit = " ",
	 .count = XMPPSTREAM_MAX_BYTES - LEN(STREAM(C)), .saw = SAW_HEADER},
	{"one byte past the bound", C, IN(STREAM(C)), .unit = " ",
	 .count = XMPPSTREAM_MAX_BYTES - LEN(STREAM(C)) + 1, .saw = SAW_HEADER,
	 .error = ERR_TOO_BIG, .detail = "more than 65536 bytes before TLS"},
	{"proceed ending on the bound, TLS after it", C, IN(STREAM(C)), .unit = " ",
	 .count = FILL_TO_BOUND, SUFFIX(PROCEED TLS_RECORD), .saw = SAW_HEADER | SAW_PROCEED,
	 .tail = LEN(TLS_RECORD)},
	{"depth 16", C, IN(STREAM(C)), .unit = "<a>", .count = 15,
	 SUFFIX("</a></a></a></a></a></a></a></a></a></a></a></a></a></a></a><stream:features/>"),
	 .saw = SAW_HEADER | SAW_FEATURES},
	{"depth 17", C, IN(STREAM(C)), .unit = "<a>", .count = 16, .saw = SAW_HEADER,
	 .error = ERR_TOO_BIG, .detail = "nested deeper than 16"},
	{"depth 17 by an empty element", C, IN(STREAM(C)), .unit = "<a>", .count = 15,
	 SUFFIX("<b/></a>"), .saw = SAW_HEADER, .error = ERR_TOO_BIG,
	 .detail = "nested deeper than 16"},
};

/* Feeding */

static uint8_t *build(const struct row *r, size_t *ret_len)
{
	size_t unit_len = r->unit != NULL ? strlen(r->unit) : 0;
	size_t len = r->prefix_len + unit_len * r->count + r->suffix_len;
	uint8_t *in = malloc(len ? len : 1);
	size_t i, at = 0;

	assert_non_null(in);
	/* memcpy from NULL is undefined even for 0 bytes (UBSan says so): copy only what is there.
	 */
	if (r->prefix_len > 0) {
		memcpy(in, r->prefix, r->prefix_len);
	}
	at += r->prefix_len;
	for (i = 0; i < r->count && unit_len > 0; i++, at += unit_len) {
		memcpy(in + at, r->unit, unit_len);
	}
	if (r->suffix_len > 0) {
		memcpy(in + at, r->suffix, r->suffix_len);
	}
	*ret_len = len;
	return in;
}

/* Feeds in chunks of chunk bytes; each return is the state's error, which never goes back. */
static struct xmppstream *feed(const char *ns, const uint8_t *in, size_t len, size_t chunk)
{
	struct xmppstream *s;
	size_t at, n;
	int seen = 0;

	assert_int_equal(xmppstream_new(ns, &s), 0);
	for (at = 0; at < len; at += n) {
		int r;

		n = len - at < chunk ? len - at : chunk;
		r = xmppstream_feed(s, in + at, n);
		assert_int_equal(r, xmppstream_state(s)->error);
		assert_true(seen == 0 || r == seen);
		seen = r;
	}
	return s;
}

static void check_row(const struct row *r, const struct xmppstream_state *st, size_t len,
		      size_t chunk)
{
	print_message("%s (chunks of %zu): error %d '%s', %zu bytes\n", r->name, chunk, st->error,
		      st->error_detail, st->bytes);
	assert_int_equal(st->error, r->error);
	assert_int_equal(st->header, !!(r->saw & SAW_HEADER));
	assert_int_equal(st->features, !!(r->saw & SAW_FEATURES));
	assert_int_equal(st->starttls_offered, !!(r->saw & SAW_STARTTLS));
	assert_int_equal(st->starttls_required, !!(r->saw & SAW_REQUIRED));
	assert_int_equal(st->proceed, !!(r->saw & SAW_PROCEED));
	assert_int_equal(st->failure, !!(r->saw & SAW_FAILURE));
	assert_int_equal(st->closed, !!(r->saw & SAW_CLOSE));
	assert_string_equal(st->stream_error, r->stream_error != NULL ? r->stream_error : "");
	if (r->detail != NULL) {
		assert_non_null(strstr(st->error_detail, r->detail));
	}
	if (r->error == 0) {
		assert_string_equal(st->error_detail, "");
		assert_int_equal(st->bytes, len - r->tail);
	} else if (r->error == ERR_TOO_BIG && strstr(st->error_detail, "bytes") != NULL) {
		assert_int_equal(st->bytes, XMPPSTREAM_MAX_BYTES);
	} else {
		assert_true(st->bytes > 0 && st->bytes <= len);
	}
	if (r->from != NULL) {
		assert_string_equal(st->from, r->from);
	}
}

static void test_rows(void **state)
{
	static const size_t chunks[] = {SIZE_MAX, 1, 2, 7, 4096};
	size_t i, j, len;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t *in = build(&rows[i], &len);

		for (j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++) {
			struct xmppstream *s = feed(rows[i].ns, in, len, chunks[j]);

			check_row(&rows[i], xmppstream_state(s), len, chunks[j]);
			xmppstream_free(s);
		}
		free(in);
	}
}

#define BARE_HEADER                                                                             \
	"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " \
	"stream:id='no'>"

static void test_header_attributes(void **state)
{
	struct xmppstream *s = feed(C, (const uint8_t *)PROSODY_C2S, LEN(PROSODY_C2S), SIZE_MAX);
	const struct xmppstream_state *st = xmppstream_state(s);

	(void)state;
	assert_string_equal(st->from, "good.example");
	assert_string_equal(st->id, "bf2f1c3f-30a2-45bd-ae94-edeb83af4102");
	assert_string_equal(st->version, "1.0");
	xmppstream_free(s);
	/* Absent ones stay empty; prefixed ones are not the stream's. */
	s = feed(C, (const uint8_t *)BARE_HEADER, LEN(BARE_HEADER), SIZE_MAX);
	st = xmppstream_state(s);
	assert_true(st->header);
	assert_string_equal(st->from, "");
	assert_string_equal(st->id, "");
	assert_string_equal(st->version, "");
	xmppstream_free(s);
}

/* Values are cut to their fields, never inside a UTF-8 character. */
static void test_attributes_cut(void **state)
{
	char in[1024], from[301], id[130];
	struct xmppstream *s;
	const struct xmppstream_state *st;
	int n;

	(void)state;
	memset(from, 'a', 300);
	from[300] = '\0';
	memset(id, 'b', 126);
	strcpy(id + 126, "\xc3\xa9"); /* é across the cut at 127 */
	n = snprintf(in, sizeof(in),
		     "<stream:stream xmlns='jabber:client' "
		     "xmlns:stream='http://etherx.jabber.org/streams' from='%s' id='%s' "
		     "version='1.0&#x20;and a very long tail'>",
		     from, id);
	s = feed(C, (const uint8_t *)in, (size_t)n, SIZE_MAX);
	st = xmppstream_state(s);
	assert_int_equal(st->error, 0);
	assert_int_equal(strlen(st->from), 255);
	assert_memory_equal(st->from, from, 255);
	assert_int_equal(strlen(st->id), 126);
	assert_string_equal(st->version, "1.0 and a very ");
	xmppstream_free(s);
}

/* Once stopped, a reader ignores what follows and keeps its answer. */
static void test_feed_after_stop(void **state)
{
	static const uint8_t more[] = "<stream:features/>";
	struct xmppstream *s;
	const struct xmppstream_state *st;
	size_t bytes;

	(void)state;
	s = feed(C, (const uint8_t *)STREAM(C) "<a></b>", LEN(STREAM(C) "<a></b>"), SIZE_MAX);
	st = xmppstream_state(s);
	assert_int_equal(st->error, ERR_PARSE);
	bytes = st->bytes;
	assert_int_equal(xmppstream_feed(s, more, LEN(more)), ERR_PARSE);
	assert_int_equal(st->bytes, bytes);
	assert_false(st->features);
	xmppstream_free(s);

	s = feed(C, (const uint8_t *)PROSODY_C2S, LEN(PROSODY_C2S), 3);
	st = xmppstream_state(s);
	assert_true(st->proceed);
	assert_int_equal(xmppstream_feed(s, (const uint8_t *)TLS_RECORD, LEN(TLS_RECORD)), 0);
	assert_int_equal(xmppstream_feed(s, more, 0), 0);
	assert_int_equal(st->bytes, LEN(PROSODY_C2S));
	assert_int_equal(st->error, 0);
	xmppstream_free(s);
}

static void test_new(void **state)
{
	struct xmppstream *s = NULL;

	(void)state;
	assert_int_equal(xmppstream_new("jabber:component:accept", &s), -EINVAL);
	assert_int_equal(xmppstream_new(NULL, &s), -EINVAL);
	assert_null(s);
	assert_int_equal(xmppstream_new(S, &s), 0);
	assert_int_equal(xmppstream_feed(s, NULL, 0), 0);
	assert_int_equal(xmppstream_state(s)->bytes, 0);
	xmppstream_free(s);
	xmppstream_free(NULL);
	assert_string_equal(XMPPSTREAM_STARTTLS,
			    "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
}

/* The header writer */

static void test_header_writer(void **state)
{
	static const struct {
		const char *ns, *to, *from;
		int want; /* > 0: the text below */
		const char *text;
	} headers[] = {
		{C, "example.org", NULL, 1,
		 "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
		 "xmlns:stream='http://etherx.jabber.org/streams' to='example.org' version='1.0'>"},
		{S, "example.org", "checker.example.net", 1,
		 "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
		 "xmlns:stream='http://etherx.jabber.org/streams' to='example.org' "
		 "from='checker.example.net' version='1.0'>"},
		{C, "Example.ORG.", NULL, 1,
		 "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
		 "xmlns:stream='http://etherx.jabber.org/streams' to='Example.ORG' version='1.0'>"},
		{C, "xn--bcher-kva.example", NULL, 1,
		 "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
		 "xmlns:stream='http://etherx.jabber.org/streams' to='xn--bcher-kva.example' "
		 "version='1.0'>"},
		{C, "exa'mple.org", NULL, ERR_PARSE, NULL},
		{C, "example.org", "a<b", ERR_PARSE, NULL},
		{C, "example.org", "", ERR_PARSE, NULL},
		{C, "a&b", NULL, ERR_PARSE, NULL},
		{C, "", NULL, ERR_PARSE, NULL},
		{C, ".", NULL, ERR_PARSE, NULL},
		{C, "a..b", NULL, ERR_PARSE, NULL},
		{C, ".a", NULL, ERR_PARSE, NULL},
		{C, "a.b..", NULL, ERR_PARSE, NULL},
		{C,
		 "b\xc3\xbc"
		 "cher.example",
		 NULL, ERR_PARSE, NULL},
		{C, "a b", NULL, ERR_PARSE, NULL},
		{C, NULL, NULL, ERR_PARSE, NULL},
		{"jabber:component:accept", "example.org", NULL, -EINVAL, NULL},
		{NULL, "example.org", NULL, -EINVAL, NULL},
	};
	char out[XMPPSTREAM_HEADER_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		int r = xmppstream_header(headers[i].ns, headers[i].to, headers[i].from, out,
					  sizeof(out));

		print_message("header row %zu: %d\n", i, r);
		if (headers[i].want > 0) {
			assert_string_equal(out, headers[i].text);
			assert_int_equal(r, strlen(headers[i].text));
		} else {
			assert_int_equal(r, headers[i].want);
			assert_string_equal(out, "");
		}
	}
}

static void test_header_bounds(void **state)
{
	char name[XMPPSTREAM_NAME_MAX + 2], label[70], out[XMPPSTREAM_HEADER_MAX];
	struct xmppstream *s;
	int r;

	(void)state;
	/* 254 octets, one too many; without the last one, the longest name. */
	memset(name, 'a', sizeof(name) - 1);
	name[63] = name[127] = name[191] = '.';
	name[XMPPSTREAM_NAME_MAX + 1] = '\0';
	assert_int_equal(xmppstream_header(C, name, NULL, out, sizeof(out)), ERR_PARSE);
	name[XMPPSTREAM_NAME_MAX] = '\0';
	r = xmppstream_header(S, name, name, out, sizeof(out));
	assert_true(r > 0 && r < XMPPSTREAM_HEADER_MAX);
	/* ... with a final dot still fits. */
	name[XMPPSTREAM_NAME_MAX] = '.';
	name[XMPPSTREAM_NAME_MAX + 1] = '\0';
	assert_int_equal(xmppstream_header(S, name, name, out, sizeof(out)), r);
	/* Labels of 64 octets are not host names. */
	memset(label, 'a', 64);
	strcpy(label + 64, ".org");
	assert_int_equal(xmppstream_header(C, label, NULL, out, sizeof(out)), ERR_PARSE);
	/* Too small a buffer. */
	assert_int_equal(xmppstream_header(C, "example.org", NULL, out, 100), ERR_TOO_BIG);
	assert_string_equal(out, "");
	r = xmppstream_header(C, "example.org", NULL, out, sizeof(out));
	assert_int_equal(xmppstream_header(C, "example.org", NULL, out, (size_t)r), ERR_TOO_BIG);
	assert_int_equal(xmppstream_header(C, "example.org", NULL, out, (size_t)r + 1), r);
	assert_int_equal(xmppstream_header(C, "example.org", NULL, NULL, 0), ERR_TOO_BIG);
	/* What we send is a stream header by our own reading. */
	assert_int_equal(xmppstream_new(C, &s), 0);
	assert_int_equal(xmppstream_feed(s, (const uint8_t *)out, (size_t)r), 0);
	assert_true(xmppstream_state(s)->header);
	assert_string_equal(xmppstream_state(s)->version, "1.0");
	xmppstream_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_header_attributes),
		cmocka_unit_test(test_attributes_cut),
		cmocka_unit_test(test_feed_after_stop),
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_header_writer),
		cmocka_unit_test(test_header_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
