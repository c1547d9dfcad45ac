/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An incremental, bounded reader of the server side of an XMPP stream up to
 * TLS (RFC 6120 §4-5): stream header, features, STARTTLS answer, stream
 * errors. It only reads; the prober owns the socket and decides what to send.
 */
#ifndef XDANE_CHECKS_XMPPSTREAM_H
#define XDANE_CHECKS_XMPPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bytes accepted before the reader gives up. Before TLS a server sends a
 * stream header and a features element: about 500 bytes from Prosody, rarely
 * more than 4 KiB with many features; Direct TLS adds SASL mechanisms and
 * little else. 64 KiB leaves ten times that room and still bounds what expat
 * buffers (one token at most) and how long a talkative peer can hold a probe.
 */
#define XMPPSTREAM_MAX_BYTES (64 * 1024)
/* Element nesting (the stream element is depth 1; features need 4). */
#define XMPPSTREAM_MAX_DEPTH 16
/* Longest host name xmppstream_header() accepts: a DNS name in text, without its final dot. */
#define XMPPSTREAM_NAME_MAX 253
/* Room for any header xmppstream_header() writes, with its NUL. */
#define XMPPSTREAM_HEADER_MAX 768

#define XMPPSTREAM_NS_CLIENT "jabber:client"
#define XMPPSTREAM_NS_SERVER "jabber:server"

/* The one element we send inside the stream (RFC 6120 §5.4.2). */
#define XMPPSTREAM_STARTTLS "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"

struct xmppstream;

struct xmppstream_state {
	bool header; /* <stream:stream> seen, with the expected content namespace */
	/* Its attributes, "" when absent; cut to fit on a UTF-8 boundary (XML has no NUL). */
	char from[256];
	char id[128];
	char version[16];
	bool features;		/* <stream:features> complete */
	bool starttls_offered;	/* <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> in them */
	bool starttls_required; /* ... with <required/> */
	bool proceed;		/* <proceed/> (xmpp-tls) complete; nothing after it is parsed */
	bool failure;		/* <failure/> (xmpp-tls) complete */
	/*
	 * The defined condition of a complete <stream:error> (its first child in
	 * urn:ietf:params:xml:ns:xmpp-streams other than <text>, e.g.
	 * "host-unknown"), "undefined-condition" when it names none, "" if none.
	 */
	char stream_error[64];
	bool closed; /* </stream:stream>; nothing after it is parsed */
	/*
	 * 0, or why the reader stopped: ERR_PARSE (malformed XML, a DOCTYPE or
	 * entity declaration, not a stream, wrong content namespace) or
	 * ERR_TOO_BIG (the byte or the depth bound).
	 */
	int error;
	char error_detail[128]; /* expat's message or which bound, for the report */
	/* Bytes read: fed so far, or up to the end of <proceed/> or </stream:stream>. */
	size_t bytes;
};

/* content_ns is XMPPSTREAM_NS_CLIENT or XMPPSTREAM_NS_SERVER (else -EINVAL); -ENOMEM. */
int xmppstream_new(const char *content_ns, struct xmppstream **ret);

/* NULL is fine. */
void xmppstream_free(struct xmppstream *s);

/*
 * Feeds the next bytes received. Returns 0, or the error now in the state;
 * once stopped (error, proceed or close) further feeds change nothing and
 * return the same.
 */
int xmppstream_feed(struct xmppstream *s, const uint8_t *data, size_t len);

/* Lives as long as s. */
const struct xmppstream_state *xmppstream_state(const struct xmppstream *s);

/*
 * Writes the opening of our stream (with a NUL) into out:
 *   <?xml version='1.0'?><stream:stream xmlns='NS'
 *   xmlns:stream='http://etherx.jabber.org/streams' to='TO' [from='FROM'] version='1.0'>
 * from may be NULL. to and from are host names (letters, digits, '-', '.'; a
 * final dot is dropped, RFC 7622 §3.2), anything else is ERR_PARSE. Returns the
 * length, -EINVAL for another namespace, or ERR_TOO_BIG when size is too small.
 */
int xmppstream_header(const char *content_ns, const char *to, const char *from, char *out,
		      size_t size);

#endif
