/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLSA record text. ldns checks and canonicalises the owner name; the data
 * is printed as ldns prints a TLSA record (lower-case hex).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "certs/tlsa.h"
#include "common/err.h"
#include "common/hexstr.h"
#include "zonegen/tlsarr.h"

/* The absolute presentation form of name, or ERR_PARSE. */
static int tlsarr_dname(const char *name, char **ret)
{
	ldns_rdf *dname = NULL;
	char *text;
	int r = ERR_PARSE;

	if (name[0] == '\0' || ldns_str2rdf_dname(&dname, name) != LDNS_STATUS_OK) {
		goto out;
	}
	text = ldns_rdf2str(dname);
	if (text == NULL) {
		r = -ENOMEM;
		goto out;
	}
	*ret = text;
	r = 0;
out:
	ldns_rdf_deep_free(dname);
	return r;
}

int tlsarr_owner(const char *host, unsigned port, char **ret)
{
	char *owner = NULL;
	int r;

	if (port == 0 || port > TLSARR_PORT_MAX) {
		return ERR_PARSE;
	}
	if (asprintf(&owner, "_%u._tcp.%s", port, host) < 0) {
		return -ENOMEM;
	}
	r = tlsarr_dname(owner, ret);
	free(owner);
	return r;
}

int tlsarr_format(const char *owner, bool has_ttl, uint32_t ttl, const struct tlsa_record *rec,
		  char **ret)
{
	char *abs_owner = NULL;
	char *hex = NULL;
	char *line = NULL;
	int n;
	int r;

	if (rec->len == 0) {
		r = ERR_PARSE; /* RFC 6698 §2.1.4: the data is never empty */
		goto out;
	}
	hex = hexstr_encode(rec->data, rec->len);
	if (hex == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (owner == NULL) {
		n = asprintf(&line, "%u %u %u %s", rec->usage, rec->selector, rec->mtype, hex);
	} else {
		r = tlsarr_dname(owner, &abs_owner);
		if (r < 0) {
			goto out;
		}
		if (has_ttl) {
			n = asprintf(&line, "%s %u IN TLSA %u %u %u %s", abs_owner, ttl, rec->usage,
				     rec->selector, rec->mtype, hex);
		} else {
			n = asprintf(&line, "%s IN TLSA %u %u %u %s", abs_owner, rec->usage,
				     rec->selector, rec->mtype, hex);
		}
	}
	if (n < 0) {
		line = NULL;
		r = -ENOMEM;
		goto out;
	}
	*ret = line;
	r = 0;
out:
	free(abs_owner);
	free(hex);
	return r;
}
