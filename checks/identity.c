/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Matching of a leaf's presented identifiers against the reference
 * identifiers of an XMPP service. Names arrive decoded (certs/san.c,
 * certs/cert.c); here they are only compared.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "certs/cert.h"
#include "checks/identity.h"
#include "common/err.h"

/* RFC 1035 §2.3.4: 63 octets a label, 255 a name on the wire, so 253 in text. */
#define IDENTITY_LABEL_MAX 63
#define IDENTITY_NAME_MAX  253

static const char *const identity_kind_names[IDENTITY_KIND_COUNT] = {
	[IDENTITY_NONE] = "none",     [IDENTITY_DNS_ID] = "dns-id",
	[IDENTITY_SRV_ID] = "srv-id", [IDENTITY_XMPP_ADDR] = "xmpp-addr",
	[IDENTITY_CN] = "cn",
};

/*
 * The SRV-ID service labels (RFC 4985 "_Service") a peer of each service
 * accepts (RFC 6120 §13.7.1.2.1). A Direct TLS port usually serves the
 * STARTTLS certificate (XEP-0368), so its peers accept the STARTTLS label
 * too; a STARTTLS peer does not accept the Direct TLS one.
 */
static const char *const identity_srv_labels[SERVICE_COUNT][2] = {
	[SERVICE_XMPP_CLIENT] = {"_xmpp-client", NULL},
	[SERVICE_XMPP_SERVER] = {"_xmpp-server", NULL},
	[SERVICE_XMPPS_CLIENT] = {"_xmpps-client", "_xmpp-client"},
	[SERVICE_XMPPS_SERVER] = {"_xmpps-server", "_xmpp-server"},
};

/*
 * The order in which kinds are tried; the first match is reported. SRV-IDs
 * are the most specific (service and domain), xmppAddrs are XMPP-only and
 * rare, the CN is the legacy fallback. Any order gives the same yes or no;
 * fixing one makes the reported match deterministic.
 */
static const enum identity_kind identity_order[] = {
	IDENTITY_SRV_ID,
	IDENTITY_DNS_ID,
	IDENTITY_XMPP_ADDR,
	IDENTITY_CN,
};

/* Case-folding in ASCII only: tolower() would follow the locale. */
static unsigned char identity_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool identity_is_ldh(unsigned char c)
{
	c = identity_lower(c);
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool identity_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen) {
		return false;
	}
	for (i = 0; i < alen; i++) {
		if (identity_lower((unsigned char)a[i]) != identity_lower((unsigned char)b[i])) {
			return false;
		}
	}
	return true;
}

/* The length of s without one trailing dot. */
static size_t identity_trimmed_len(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && s[len - 1] == '.' ? len - 1 : len;
}

/*
 * A host name of LDH labels, each 1 to 63 octets, 253 at most in all. Hyphen
 * placement is not policed: a name that differs from the reference does not
 * match anyway, and D comes from DNS, which allows it.
 */
static bool identity_is_host(const char *s, size_t len)
{
	size_t i;
	size_t label = 0;

	if (len == 0 || len > IDENTITY_NAME_MAX) {
		return false;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0) {
				return false;
			}
			label = 0;
		} else if (identity_is_ldh((unsigned char)s[i]) && label < IDENTITY_LABEL_MAX) {
			label++;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* An exact, wildcard-free comparison of presented name p (as written) with reference r. */
static bool identity_host_matches(const char *p, size_t plen, const char *r)
{
	return identity_is_host(p, plen) && identity_equal(p, plen, r, strlen(r));
}

/*
 * RFC 6125 §6.4.3 as narrowed by RFC 9525 §6.3: "*" only as the complete
 * left-most label, standing for exactly one label, with at least two labels
 * after it ("*.org" never matches). It never stands for an A-label
 * (RFC 6125 §7.2): "*.example.org" must not vouch for every IDN under it.
 */
static bool identity_dns_id_matches(const char *p, const char *r)
{
	size_t plen = identity_trimmed_len(p);
	const char *rest;
	size_t rest_len;
	const char *dot;

	if (plen < 2 || p[0] != '*' || p[1] != '.') {
		return identity_host_matches(p, plen, r);
	}
	rest = p + 2;
	rest_len = plen - 2;
	if (!identity_is_host(rest, rest_len) || memchr(rest, '.', rest_len) == NULL) {
		return false;
	}
	dot = strchr(r, '.');
	if (dot == NULL || (dot - r >= 4 && identity_equal(r, 4, "xn--", 4))) {
		return false;
	}
	return identity_equal(rest, rest_len, dot + 1, strlen(dot + 1));
}

/* RFC 4985 "_Service.Name": a service label this service accepts, then exactly D. */
static bool identity_srv_id_matches(const char *p, const char *d, enum xmpp_service service)
{
	size_t plen = identity_trimmed_len(p);
	const char *dot = memchr(p, '.', plen);
	size_t i;

	if (dot == NULL) {
		return false;
	}
	for (i = 0; i < 2; i++) {
		const char *label = identity_srv_labels[service][i];

		if (label != NULL && identity_equal(p, (size_t)(dot - p), label, strlen(label))) {
			return identity_host_matches(dot + 1, plen - (size_t)(dot - p) - 1, d);
		}
	}
	return false;
}

/*
 * RFC 6120 §13.7.1.4: the bare domain D, nothing before or after it; the
 * trailing dot goes as RFC 7622 §3.2 strips it. xmppAddrs are UTF-8: one
 * naming an IDN in U-labels does not match D's A-labels (no IDNA here).
 */
static bool identity_xmpp_addr_matches(const char *p, const char *d)
{
	return identity_host_matches(p, identity_trimmed_len(p), d);
}

static bool identity_name_matches(enum identity_kind kind, const char *p, const char *r,
				  enum xmpp_service service)
{
	switch (kind) {
	case IDENTITY_SRV_ID:
		return identity_srv_id_matches(p, r, service);
	case IDENTITY_DNS_ID:
	case IDENTITY_CN:
		return identity_dns_id_matches(p, r);
	case IDENTITY_XMPP_ADDR:
		return identity_xmpp_addr_matches(p, r);
	default:
		return false;
	}
}

/*
 * A matching name is at most a reference (253 octets) plus a service label
 * and a dot, so it always fits; the bound is kept all the same.
 */
static void identity_copy(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * RFC 6125 §6.4.4: the CN counts only when the leaf has no identifier of a
 * type we support. A SAN name that certs/san.c rejected as malformed was
 * still presented, so it also rules the CN out.
 */
static bool identity_cn_applies(const struct cert_info *cert)
{
	const struct san_ids *ids = &cert->ids;

	return cert->cn != NULL && ids->dns_ids.n == 0 && ids->srv_ids.n == 0 &&
	       ids->xmpp_addrs.n == 0 && ids->n_rejected == 0;
}

/*
 * Looks for a match of one kind: D first, then the SRV target where the kind
 * allows it (RFC 7673 §3 relaxes the DNS-ID only; SRV-IDs and xmppAddrs
 * name the service domain by definition), each in the leaf's order.
 */
static bool identity_find(const struct cert_info *cert, enum identity_kind kind,
			  enum xmpp_service service, char refs[][IDENTITY_REFERENCE_MAX],
			  size_t n_refs, struct identity_result *res)
{
	char *const *names = NULL;
	size_t n = 0;
	size_t i, j;

	switch (kind) {
	case IDENTITY_SRV_ID:
		names = cert->ids.srv_ids.v;
		n = cert->ids.srv_ids.n;
		n_refs = 1;
		break;
	case IDENTITY_DNS_ID:
		names = cert->ids.dns_ids.v;
		n = cert->ids.dns_ids.n;
		break;
	case IDENTITY_XMPP_ADDR:
		names = cert->ids.xmpp_addrs.v;
		n = cert->ids.xmpp_addrs.n;
		n_refs = 1;
		break;
	case IDENTITY_CN:
		names = &cert->cn;
		n = identity_cn_applies(cert) ? 1 : 0;
		break;
	default:
		break;
	}
	for (i = 0; i < n_refs; i++) {
		for (j = 0; j < n; j++) {
			if (names[j] == NULL ||
			    !identity_name_matches(kind, names[j], refs[i], service)) {
				continue;
			}
			res->matched = true;
			res->kind = kind;
			identity_copy(res->presented, sizeof(res->presented), names[j]);
			identity_copy(res->reference, sizeof(res->reference), refs[i]);
			return true;
		}
	}
	return false;
}

/*
 * A reference must be a host name (no wildcard, no underscore) and not an
 * IPv4 literal, whose last label is all digits: an IP address would need an
 * iPAddress SAN, which XMPP does not use. ret gets it without the trailing dot.
 */
static int identity_ref_prepare(const char *s, char ret[IDENTITY_REFERENCE_MAX])
{
	size_t len = identity_trimmed_len(s);
	size_t i = len;

	if (!identity_is_host(s, len)) {
		return ERR_PARSE;
	}
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') {
		i--;
	}
	if (i == 0 || s[i - 1] == '.') {
		return ERR_PARSE;
	}
	memcpy(ret, s, len);
	ret[len] = '\0';
	return 0;
}

int identity_match(const struct cert_info *cert, const struct identity_ref *ref,
		   struct identity_result *ret)
{
	struct identity_result res;
	char refs[2][IDENTITY_REFERENCE_MAX];
	size_t n_refs = 1;
	size_t k;
	int r = -EINVAL;

	if (cert == NULL || ref == NULL || ret == NULL || ref->domain == NULL ||
	    (int)ref->service < 0 || ref->service >= SERVICE_COUNT) {
		goto out;
	}
	r = identity_ref_prepare(ref->domain, refs[0]);
	if (r < 0) {
		goto out;
	}
	if (ref->srv_target != NULL) {
		r = identity_ref_prepare(ref->srv_target, refs[1]);
		if (r < 0) {
			goto out;
		}
		n_refs = 2;
	}
	memset(&res, 0, sizeof(res));
	for (k = 0; k < sizeof(identity_order) / sizeof(identity_order[0]); k++) {
		if (identity_find(cert, identity_order[k], ref->service, refs, n_refs, &res)) {
			break;
		}
	}
	*ret = res;
	r = 0;
out:
	return r;
}

const char *identity_kind_name(enum identity_kind k)
{
	return (int)k >= 0 && k < IDENTITY_KIND_COUNT ? identity_kind_names[k] : NULL;
}
