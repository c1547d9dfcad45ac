/* SPDX-License-Identifier: BSD-3-Clause */
/* DS composition with ldns: parsing, key tags and digests are ldns's own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/err.h"
#include "zonegen/dsrr.h"

/* DNSKEY flags (RFC 4034 §2.1.1, RFC 5011 §3). */
#define DSRR_FLAG_SEP	 0x0001
#define DSRR_FLAG_REVOKE 0x0080

static int dsrr_hash(int digest, ldns_hash *ret)
{
	switch (digest) {
	case DSRR_DIGEST_SHA1:
		*ret = LDNS_SHA1;
		return 0;
	case DSRR_DIGEST_SHA256:
		*ret = LDNS_SHA256;
		return 0;
	case DSRR_DIGEST_SHA384:
		*ret = LDNS_SHA384;
		return 0;
	default:
		return ERR_UNSUPPORTED;
	}
}

static bool dsrr_is_ksk(const ldns_rr *rr)
{
	uint16_t flags;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(rr) < 4) {
		return false;
	}
	flags = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
	return (flags & DSRR_FLAG_SEP) && !(flags & DSRR_FLAG_REVOKE);
}

/* Appends the DS of one key as text (ldns prints a trailing newline: dropped). */
static int dsrr_append(const ldns_rr *key, ldns_hash hash, struct strlist *out)
{
	ldns_rr *ds = NULL;
	char *text = NULL;
	size_t len;
	int r = ERR_DNS;

	ds = ldns_key_rr2ds(key, hash);
	if (ds == NULL) {
		goto out;
	}
	text = ldns_rr2str(ds);
	if (text == NULL) {
		r = -ENOMEM;
		goto out;
	}
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ')) {
		len--;
	}
	r = strlist_add(out, text, len);
out:
	free(text);
	ldns_rr_free(ds);
	return r;
}

int dsrr_from_dnskeys(const char *text, size_t len, int digest, struct strlist *ret,
		      struct dsrr_error *err)
{
	struct strlist out = {0};
	FILE *fp = NULL;
	ldns_rr *rr = NULL;
	ldns_rdf *origin = NULL;
	ldns_rdf *prev = NULL;
	uint32_t ttl = 3600;
	ldns_hash hash;
	ldns_status st;
	size_t n_keys = 0;
	int line = 0;
	int r;

	err->line = 0;
	err->detail[0] = '\0';
	r = dsrr_hash(digest, &hash);
	if (r < 0) {
		goto out;
	}
	fp = fmemopen((void *)text, len, "r");
	if (fp == NULL) {
		r = -errno;
		goto out;
	}
	while (!feof(fp)) {
		st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN || st == LDNS_STATUS_SYNTAX_INCLUDE) {
			continue; /* blank line, comment or directive */
		}
		if (st != LDNS_STATUS_OK) {
			err->line = line;
			snprintf(err->detail, sizeof(err->detail), "%s",
				 ldns_get_errorstr_by_id(st));
			r = ERR_PARSE;
			goto out;
		}
		if (dsrr_is_ksk(rr)) {
			n_keys++;
			r = dsrr_append(rr, hash, &out);
			if (r < 0) {
				goto out;
			}
		}
		ldns_rr_free(rr);
		rr = NULL;
	}
	if (n_keys == 0) {
		r = ERR_NO_KSK;
		goto out;
	}
	for (size_t i = 0; i < out.n; i++) {
		r = strlist_add(ret, out.v[i], strlen(out.v[i]));
		if (r < 0) {
			goto out;
		}
	}
	r = 0;
out:
	ldns_rr_free(rr);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	if (fp != NULL) {
		fclose(fp);
	}
	strlist_release(&out);
	return r;
}
