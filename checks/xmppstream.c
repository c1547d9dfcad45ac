/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server side of an XMPP stream up to TLS, read with expat as it arrives:
 * only the few elements the prober acts on are recognised, text is dropped,
 * and the bytes, the nesting and each recorded value have a bound. Deciding
 * what to send and what a state means is the prober's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "checks/xmppstream.h"
#include "common/err.h"

/*
 * expat hands namespaced names as "URI local". A space never occurs in a
 * local name, so comparing with the strings below is exact.
 */
#define XS_SEP		    ' '
#define XS_NS_STREAMS	    "http://etherx.jabber.org/streams"
#define XS_NS_TLS	    "urn:ietf:params:xml:ns:xmpp-tls"
#define XS_NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
#define XS_STREAM	    XS_NS_STREAMS " stream"
#define XS_FEATURES	    XS_NS_STREAMS " features"
#define XS_ERROR	    XS_NS_STREAMS " error"
#define XS_STARTTLS	    XS_NS_TLS " starttls"
#define XS_REQUIRED	    XS_NS_TLS " required"
#define XS_PROCEED	    XS_NS_TLS " proceed"
#define XS_FAILURE	    XS_NS_TLS " failure"
#define XS_ERROR_PREFIX	    XS_NS_STREAM_ERRORS " "

/*
 * Expat guesses UTF-16 from the first two bytes even when told UTF-8, and
 * guesses differently when they arrive in two reads. XMPP is UTF-8 only
 * (RFC 6120 §11.6) and XML has no NUL, so a 0x00 (UTF-16 without a BOM) or a
 * 0xfe or 0xff (a UTF-16 BOM; neither occurs in UTF-8) there is refused first.
 */
#define XS_SNIFF_BYTES 2

/* A host name's labels have at most 63 octets (RFC 1035 §2.3.4). */
#define XS_LABEL_MAX 63

/* What the open elements are, as far as the reader cares. */
enum xs_elem {
	XS_OTHER = 0,
	XS_STREAM_ELEM,
	XS_FEATURES_ELEM,
	XS_STARTTLS_ELEM,
	XS_PROCEED_ELEM,
	XS_FAILURE_ELEM,
	XS_ERROR_ELEM,
};

struct xmppstream {
	XML_Parser parser;
	const char *content_ns; /* one of our two constants */
	struct xmppstream_state state;
	bool stopped; /* by an error, <proceed/> or </stream:stream>: no more parsing */
	unsigned depth;
	enum xs_elem open[XMPPSTREAM_MAX_DEPTH]; /* open[i]: the open element at depth i + 1 */
	bool header_ns_declared; /* the stream header declares a default namespace */
	char header_ns[48];	 /* which one (cut), for the check and the report */
	char condition[sizeof(((struct xmppstream_state *)0)->stream_error)]; /* until the end */
};

/* Copies src, cut to size on a UTF-8 character boundary (expat hands UTF-8, never NUL). */
static void xs_copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size);

	if (n == size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80) {
			n--;
		}
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* An expat name as {URI}local, for a report. */
static void xs_clark(char *dst, size_t size, const char *name)
{
	const char *local = strrchr(name, XS_SEP);

	if (local == NULL) {
		snprintf(dst, size, "%s", name);
	} else {
		snprintf(dst, size, "{%.*s}%s", (int)(local - name), name, local + 1);
	}
}

__attribute__((format(printf, 3, 4))) static void xs_fail(struct xmppstream *s, int err,
							  const char *fmt, ...)
{
	va_list ap;

	s->stopped = true;
	s->state.error = err;
	va_start(ap, fmt);
	vsnprintf(s->state.error_detail, sizeof(s->state.error_detail), fmt, ap);
	va_end(ap);
}

/* From a handler: no more callbacks; XML_Parse returns XML_ERROR_ABORTED. */
static void xs_halt(struct xmppstream *s)
{
	XML_StopParser(s->parser, XML_FALSE);
}

/* From the end handler of <proceed/> or </stream:stream>: stop right after this tag. */
static void xs_finish(struct xmppstream *s)
{
	XML_Index end = XML_GetCurrentByteIndex(s->parser) + XML_GetCurrentByteCount(s->parser);

	s->stopped = true;
	s->state.bytes = end > 0 ? (size_t)end : s->state.bytes;
	xs_halt(s);
}

static void XMLCALL xs_ns_start(void *data, const XML_Char *prefix, const XML_Char *uri)
{
	struct xmppstream *s = data;

	/* Only the stream header's own declaration is the content namespace (RFC 6120 §4.8.2). */
	if (!s->stopped && s->depth == 0 && prefix == NULL) {
		s->header_ns_declared = true;
		xs_copy(s->header_ns, sizeof(s->header_ns), uri != NULL ? uri : "");
	}
}

static void xs_stream_start(struct xmppstream *s, const XML_Char *name, const XML_Char **attrs)
{
	struct xmppstream_state *st = &s->state;
	char shown[64];
	size_t i;

	if (strcmp(name, XS_STREAM) != 0) {
		xs_clark(shown, sizeof(shown), name);
		xs_fail(s, ERR_PARSE, "not an XMPP stream: first element '%s'", shown);
	} else if (!s->header_ns_declared) {
		xs_fail(s, ERR_PARSE, "stream header without a content namespace (expected '%s')",
			s->content_ns);
	} else if (strcmp(s->header_ns, s->content_ns) != 0) {
		xs_fail(s, ERR_PARSE, "content namespace '%s', expected '%s'", s->header_ns,
			s->content_ns);
	} else {
		st->header = true;
		for (i = 0; attrs[i] != NULL && attrs[i + 1] != NULL; i += 2) {
			if (strcmp(attrs[i], "from") == 0) {
				xs_copy(st->from, sizeof(st->from), attrs[i + 1]);
			} else if (strcmp(attrs[i], "id") == 0) {
				xs_copy(st->id, sizeof(st->id), attrs[i + 1]);
			} else if (strcmp(attrs[i], "version") == 0) {
				xs_copy(st->version, sizeof(st->version), attrs[i + 1]);
			}
		}
	}
}

/* What a child of parent named name is, noting what its start tells. */
static enum xs_elem xs_child(struct xmppstream *s, enum xs_elem parent, const XML_Char *name)
{
	enum xs_elem kind = XS_OTHER;

	if (parent == XS_STREAM_ELEM) {
		if (strcmp(name, XS_FEATURES) == 0) {
			kind = XS_FEATURES_ELEM;
		} else if (strcmp(name, XS_PROCEED) == 0) {
			kind = XS_PROCEED_ELEM;
		} else if (strcmp(name, XS_FAILURE) == 0) {
			kind = XS_FAILURE_ELEM;
		} else if (strcmp(name, XS_ERROR) == 0) {
			kind = XS_ERROR_ELEM;
			s->condition[0] = '\0';
		}
	} else if (parent == XS_FEATURES_ELEM && strcmp(name, XS_STARTTLS) == 0) {
		kind = XS_STARTTLS_ELEM;
		s->state.starttls_offered = true;
	} else if (parent == XS_STARTTLS_ELEM && strcmp(name, XS_REQUIRED) == 0) {
		s->state.starttls_required = true;
	} else if (parent == XS_ERROR_ELEM && s->condition[0] == '\0' &&
		   strncmp(name, XS_ERROR_PREFIX, strlen(XS_ERROR_PREFIX)) == 0 &&
		   strcmp(name + strlen(XS_ERROR_PREFIX), "text") != 0) {
		/* RFC 6120 §4.9.2: the condition is the one child in this namespace besides <text>.
		 */
		xs_copy(s->condition, sizeof(s->condition), name + strlen(XS_ERROR_PREFIX));
	}
	return kind;
}

static void XMLCALL xs_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
	struct xmppstream *s = data;

	/* expat may still call after XML_StopParser (the end of an empty element). */
	if (s->stopped) {
		return;
	}
	if (s->depth == XMPPSTREAM_MAX_DEPTH) {
		xs_fail(s, ERR_TOO_BIG, "elements nested deeper than %d", XMPPSTREAM_MAX_DEPTH);
	} else if (s->depth == 0) {
		xs_stream_start(s, name, attrs);
		s->open[s->depth++] = XS_STREAM_ELEM;
	} else {
		s->open[s->depth] = xs_child(s, s->open[s->depth - 1], name);
		s->depth++;
	}
	if (s->stopped) {
		xs_halt(s);
	}
}

static void XMLCALL xs_end(void *data, const XML_Char *name)
{
	struct xmppstream *s = data;
	struct xmppstream_state *st = &s->state;

	(void)name; /* expat has matched it with its start tag */
	if (s->stopped || s->depth == 0) {
		return;
	}
	switch (s->open[--s->depth]) {
	case XS_STREAM_ELEM:
		st->closed = true;
		xs_finish(s);
		break;
	case XS_FEATURES_ELEM:
		st->features = true;
		break;
	case XS_PROCEED_ELEM:
		/* TLS bytes may follow in the same read: they are not XML. */
		st->proceed = true;
		xs_finish(s);
		break;
	case XS_FAILURE_ELEM:
		st->failure = true;
		break;
	case XS_ERROR_ELEM:
		/* RFC 6120 §4.9.3.21: the condition for an error that names none. */
		xs_copy(st->stream_error, sizeof(st->stream_error),
			s->condition[0] != '\0' ? s->condition : "undefined-condition");
		break;
	default:
		break;
	}
}

static void XMLCALL xs_doctype(void *data, const XML_Char *doctype_name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	struct xmppstream *s = data;

	(void)doctype_name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	if (!s->stopped) {
		/* RFC 6120 §11.1; stopping here also keeps every entity (billion laughs) out. */
		xs_fail(s, ERR_PARSE, "DOCTYPE declaration (XMPP forbids DTDs)");
		xs_halt(s);
	}
}

static void XMLCALL xs_entity(void *data, const XML_Char *entity_name, int is_parameter_entity,
			      const XML_Char *value, int value_length, const XML_Char *base,
			      const XML_Char *system_id, const XML_Char *public_id,
			      const XML_Char *notation_name)
{
	struct xmppstream *s = data;

	(void)entity_name;
	(void)is_parameter_entity;
	(void)value;
	(void)value_length;
	(void)base;
	(void)system_id;
	(void)public_id;
	(void)notation_name;
	/* Only reachable inside a DTD, which xs_doctype already refuses: a second lock. */
	if (!s->stopped) {
		xs_fail(s, ERR_PARSE, "entity declaration (XMPP forbids DTDs)");
		xs_halt(s);
	}
}

static const char *xs_known_ns(const char *content_ns)
{
	const char *ns = NULL;

	if (content_ns != NULL && strcmp(content_ns, XMPPSTREAM_NS_CLIENT) == 0) {
		ns = XMPPSTREAM_NS_CLIENT;
	} else if (content_ns != NULL && strcmp(content_ns, XMPPSTREAM_NS_SERVER) == 0) {
		ns = XMPPSTREAM_NS_SERVER;
	}
	return ns;
}

int xmppstream_new(const char *content_ns, struct xmppstream **ret)
{
	struct xmppstream *s = NULL;
	const char *ns = xs_known_ns(content_ns);
	int r = -EINVAL;

	if (ns == NULL) {
		goto out;
	}
	r = -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		goto out;
	}
	s->content_ns = ns;
	/* XMPP is UTF-8 only (RFC 6120 §11.6): an encoding declaration changes nothing. */
	s->parser = XML_ParserCreateNS("UTF-8", XS_SEP);
	if (s->parser == NULL) {
		goto out;
	}
	XML_SetUserData(s->parser, s);
	XML_SetElementHandler(s->parser, xs_start, xs_end);
	XML_SetStartNamespaceDeclHandler(s->parser, xs_ns_start);
	XML_SetStartDoctypeDeclHandler(s->parser, xs_doctype);
	XML_SetEntityDeclHandler(s->parser, xs_entity);
	/* No character data, comment or processing instruction handler: all are dropped. */
	*ret = s;
	s = NULL;
	r = 0;
out:
	xmppstream_free(s);
	return r;
}

void xmppstream_free(struct xmppstream *s)
{
	if (s != NULL) {
		if (s->parser != NULL) {
			XML_ParserFree(s->parser);
		}
		free(s);
	}
}

/* The first XS_SNIFF_BYTES of the stream, wherever they fall in data[0..n). */
static void xs_sniff(struct xmppstream *s, const uint8_t *data, size_t n)
{
	size_t i;

	for (i = 0; s->state.bytes + i < XS_SNIFF_BYTES && i < n && !s->stopped; i++) {
		if (data[i] == 0x00 || data[i] >= 0xfe) {
			xs_fail(s, ERR_PARSE, "not UTF-8: byte 0x%02x at %zu (XMPP is UTF-8 only)",
				data[i], s->state.bytes + i);
		}
	}
}

int xmppstream_feed(struct xmppstream *s, const uint8_t *data, size_t len)
{
	struct xmppstream_state *st = &s->state;
	size_t n;

	if (s->stopped || len == 0) {
		goto out;
	}
	/* Parse what fits under the bound first: a <proceed/> in it still counts. */
	n = XMPPSTREAM_MAX_BYTES - st->bytes;
	n = len < n ? len : n;
	xs_sniff(s, data, n);
	if (n > 0 && !s->stopped) {
		/* A handler that stops the parser has already said why. */
		if (XML_Parse(s->parser, (const char *)data, (int)n, XML_FALSE) != XML_STATUS_OK &&
		    !s->stopped) {
			xs_fail(s, ERR_PARSE, "%s at line %llu, column %llu",
				XML_ErrorString(XML_GetErrorCode(s->parser)),
				(unsigned long long)XML_GetCurrentLineNumber(s->parser),
				(unsigned long long)XML_GetCurrentColumnNumber(s->parser) + 1);
		}
	}
	if (!st->proceed && !st->closed) {
		st->bytes += n;
	}
	if (!s->stopped && n < len) {
		xs_fail(s, ERR_TOO_BIG, "more than %d bytes before TLS", XMPPSTREAM_MAX_BYTES);
	}
out:
	return st->error;
}

const struct xmppstream_state *xmppstream_state(const struct xmppstream *s)
{
	return &s->state;
}

/* The length of a host name without its final dot, or -1 if it is not one. */
static int xs_host_len(const char *name)
{
	size_t n, i, label = 0;
	int r = -1;

	if (name == NULL) {
		goto out;
	}
	n = strnlen(name, XMPPSTREAM_NAME_MAX + 2);
	if (n > 0 && name[n - 1] == '.') {
		n--;
	}
	if (n == 0 || n > XMPPSTREAM_NAME_MAX) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (c == '.') {
			if (label == 0 || i == n - 1) {
				goto out;
			}
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-') {
			if (++label > XS_LABEL_MAX) {
				goto out;
			}
		} else {
			goto out;
		}
	}
	r = (int)n;
out:
	return r;
}

int xmppstream_header(const char *content_ns, const char *to, const char *from, char *out,
		      size_t size)
{
	const char *ns = xs_known_ns(content_ns);
	int to_len, from_len = 0, n;
	int r = -EINVAL;

	if (ns == NULL) {
		goto out;
	}
	r = ERR_PARSE;
	to_len = xs_host_len(to);
	if (to_len < 0 || (from != NULL && (from_len = xs_host_len(from)) < 0)) {
		goto out;
	}
	n = snprintf(out, size,
		     "<?xml version='1.0'?><stream:stream xmlns='%s' xmlns:stream='" XS_NS_STREAMS
		     "' to='%.*s'%s%.*s%s version='1.0'>",
		     ns, to_len, to, from != NULL ? " from='" : "", from_len,
		     from != NULL ? from : "", from != NULL ? "'" : "");
	r = ERR_TOO_BIG;
	if (n < 0 || (size_t)n >= size) {
		goto out;
	}
	r = n;
out:
	if (r < 0 && size > 0) {
		out[0] = '\0';
	}
	return r;
}
