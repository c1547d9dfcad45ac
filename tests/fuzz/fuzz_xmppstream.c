/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: what an XMPP server sends before TLS, fed in three
 * chunks to a reader for each content namespace. A reader fed the whole
 * input at once must reach the same state: chunking never changes a verdict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/xmppstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fields that must not depend on how the bytes were split. */
static int fuzz_same(const struct xmppstream_state *a, const struct xmppstream_state *b)
{
	return a->header == b->header && a->features == b->features &&
	       a->starttls_offered == b->starttls_offered &&
	       a->starttls_required == b->starttls_required && a->proceed == b->proceed &&
	       a->failure == b->failure && a->closed == b->closed && a->error == b->error &&
	       strcmp(a->stream_error, b->stream_error) == 0 && strcmp(a->from, b->from) == 0 &&
	       strcmp(a->id, b->id) == 0 && strcmp(a->version, b->version) == 0 &&
	       (a->error != 0 || a->bytes == b->bytes);
}

static void fuzz_one(const char *ns, const uint8_t *data, size_t size)
{
	struct xmppstream *chunked = NULL, *whole = NULL;
	const struct xmppstream_state *st;
	size_t cut1 = size / 3, cut2 = size - size / 3;

	if (xmppstream_new(ns, &chunked) == 0 && xmppstream_new(ns, &whole) == 0) {
		xmppstream_feed(chunked, data, cut1);
		xmppstream_feed(chunked, data + cut1, cut2 - cut1);
		xmppstream_feed(chunked, data + cut2, size - cut2);
		xmppstream_feed(whole, data, size);
		st = xmppstream_state(chunked);
		if (!fuzz_same(st, xmppstream_state(whole)) || st->bytes > size ||
		    st->bytes > XMPPSTREAM_MAX_BYTES ||
		    memchr(st->error_detail, '\0', 128) == NULL ||
		    (st->error != 0) != (st->error_detail[0] != '\0')) {
			abort();
		}
	}
	xmppstream_free(chunked);
	xmppstream_free(whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(XMPPSTREAM_NS_CLIENT, data, size);
	fuzz_one(XMPPSTREAM_NS_SERVER, data, size);
	return 0;
}
