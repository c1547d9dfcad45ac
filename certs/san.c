/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * subjectAltName decoding. OpenSSL's ASN.1 parser does the DER; we check the
 * string types and contents ourselves, since a name read from a hostile
 * certificate ends up in reports, JSON and metric labels.
 */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "certs/san.h"
#include "common/err.h"

/* Names longer than a DNS name (RFC 1035: 255 octets) plus a service label. */
#define SAN_NAME_MAX 320

/* Printable ASCII without spaces: what a DNS-ID or SRV-ID may hold. */
static int san_is_ascii_name(const unsigned char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SAN_NAME_MAX) {
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f) {
			return 0;
		}
	}
	return 1;
}

/* Well-formed UTF-8 (shortest form, no surrogates) without control characters. */
static int san_is_utf8_text(const unsigned char *s, size_t len)
{
	size_t i = 0;
	size_t n, k;
	unsigned long cp;

	if (len == 0 || len > SAN_NAME_MAX * 4) {
		return 0;
	}
	while (i < len) {
		unsigned char c = s[i];

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f) {
				return 0;
			}
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n) {
			return 0;
		}
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				return 0;
			}
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0)) {
			return 0;
		}
		i += n + 1;
	}
	return 1;
}

/* RFC 4985: SRVName ::= IA5String "_Service.Name"; the service label is required. */
static int san_is_srv_name(const unsigned char *s, size_t len)
{
	const unsigned char *dot;

	if (!san_is_ascii_name(s, len) || s[0] != '_') {
		return 0;
	}
	dot = memchr(s, '.', len);
	return dot != NULL && dot > s + 1 && dot < s + len - 1;
}

static int san_add(struct strlist *l, const ASN1_STRING *str, int want_type,
		   int (*valid)(const unsigned char *, size_t), size_t *n_rejected)
{
	const unsigned char *s = ASN1_STRING_get0_data(str);
	size_t len = (size_t)ASN1_STRING_length(str);

	if (ASN1_STRING_type(str) != want_type || !valid(s, len)) {
		(*n_rejected)++;
		return 0;
	}
	return strlist_add(l, (const char *)s, len);
}

static int san_add_othername(struct san_ids *ids, const OTHERNAME *on)
{
	int nid = OBJ_obj2nid(on->type_id);
	const ASN1_TYPE *v = on->value;

	if (nid != NID_SRVName && nid != NID_XmppAddr) {
		return 0; /* other otherNames say nothing about XMPP identity */
	}
	if (v == NULL || (v->type != V_ASN1_IA5STRING && v->type != V_ASN1_UTF8STRING)) {
		ids->n_rejected++;
		return 0;
	}
	if (nid == NID_SRVName) {
		return san_add(&ids->srv_ids, v->value.ia5string, V_ASN1_IA5STRING, san_is_srv_name,
			       &ids->n_rejected);
	}
	return san_add(&ids->xmpp_addrs, v->value.utf8string, V_ASN1_UTF8STRING, san_is_utf8_text,
		       &ids->n_rejected);
}

int san_decode(const uint8_t *der, size_t len, struct san_ids *ret)
{
	struct san_ids ids = {0};
	GENERAL_NAMES *names = NULL;
	const unsigned char *p = der;
	int i, n;
	int r = ERR_PARSE;

	memset(ret, 0, sizeof(*ret));
	if (len > LONG_MAX) {
		goto out;
	}
	names = d2i_GENERAL_NAMES(NULL, &p, (long)len);
	if (names == NULL) {
		goto out;
	}
	if (p != der + len) {
		r = ERR_TRAILING;
		goto out;
	}
	n = sk_GENERAL_NAME_num(names);
	for (i = 0; i < n; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

		if (gn->type == GEN_DNS) {
			r = san_add(&ids.dns_ids, gn->d.dNSName, V_ASN1_IA5STRING,
				    san_is_ascii_name, &ids.n_rejected);
		} else if (gn->type == GEN_OTHERNAME) {
			r = san_add_othername(&ids, gn->d.otherName);
		} else {
			r = 0;
		}
		if (r < 0) {
			goto out;
		}
	}
	*ret = ids;
	memset(&ids, 0, sizeof(ids));
	r = 0;
out:
	ERR_clear_error();
	GENERAL_NAMES_free(names);
	san_ids_release(&ids);
	return r;
}

void san_ids_release(struct san_ids *ids)
{
	strlist_release(&ids->dns_ids);
	strlist_release(&ids->srv_ids);
	strlist_release(&ids->xmpp_addrs);
	ids->n_rejected = 0;
}
