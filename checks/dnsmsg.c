/* SPDX-License-Identifier: BSD-3-Clause */
/* DNS answer reading with ldns; list ownership is kept inside this module. */
#include <stdio.h>
#include <string.h>

#include "checks/dnsmsg.h"

ldns_rr_list *dnsmsg_rrs(const ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type)
{
	const ldns_rr_list *answer = ldns_pkt_answer(pkt);
	ldns_rr_list *out = ldns_rr_list_new();
	size_t i;

	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i < ldns_rr_list_rr_count(answer); i++) {
		ldns_rr *rr = ldns_rr_list_rr(answer, i);

		if (ldns_rr_get_type(rr) == type && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0) {
			if (!ldns_rr_list_push_rr(out, rr)) {
				ldns_rr_list_free(out);
				return NULL;
			}
		}
	}
	return out;
}

ldns_rdf *dnsmsg_answer_owner(const ldns_pkt *pkt, const ldns_rdf *qname, ldns_rr_type qtype,
			      bool *ret_alias)
{
	ldns_rdf *owner = ldns_rdf_clone(qname);
	int hops;

	*ret_alias = false;
	for (hops = 0; owner != NULL && qtype != LDNS_RR_TYPE_CNAME; hops++) {
		ldns_rr_list *cnames = dnsmsg_rrs(pkt, owner, LDNS_RR_TYPE_CNAME);
		ldns_rdf *next = NULL;

		if (cnames != NULL && ldns_rr_list_rr_count(cnames) > 0 &&
		    ldns_rr_rd_count(ldns_rr_list_rr(cnames, 0)) == 1) {
			next = ldns_rdf_clone(ldns_rr_rdf(ldns_rr_list_rr(cnames, 0), 0));
		}
		ldns_rr_list_free(cnames);
		if (next == NULL) {
			break;
		}
		ldns_rdf_deep_free(owner);
		owner = NULL;
		if (hops >= DNSMSG_MAX_CNAME_CHAIN) {
			ldns_rdf_deep_free(next);
			break;
		}
		owner = next;
		*ret_alias = true;
	}
	return owner;
}

int64_t dnsmsg_sig_time(uint32_t t, int64_t now)
{
	return now + (int32_t)(t - (uint32_t)now);
}

int64_t dnsmsg_sig_expiration(const ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type,
			      int64_t now)
{
	ldns_rr_list *sigs = dnsmsg_rrs(pkt, owner, LDNS_RR_TYPE_RRSIG);
	int64_t soonest = 0;
	size_t i;

	for (i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs); i++) {
		ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		ldns_rdf *covered = ldns_rr_rrsig_typecovered(sig);
		ldns_rdf *expiration = ldns_rr_rrsig_expiration(sig);
		int64_t t;

		if (covered == NULL || expiration == NULL || ldns_rdf2rr_type(covered) != type) {
			continue;
		}
		t = dnsmsg_sig_time(ldns_rdf2native_time_t(expiration), now);
		if (soonest == 0 || t < soonest) {
			soonest = t;
		}
	}
	ldns_rr_list_free(sigs);
	return soonest;
}

void dnsmsg_name(const ldns_rdf *name, char out[FACTS_NAME_MAX])
{
	char *text = ldns_rdf2str(name);

	snprintf(out, FACTS_NAME_MAX, "%s", text != NULL ? text : "?");
	LDNS_FREE(text);
}

ldns_rdf *dnsmsg_name_parse(const char *text)
{
	ldns_rdf *name = NULL;
	size_t len = strlen(text);

	/* ldns accepts "" as the root and empty labels in some spellings: refuse both. */
	if (len == 0 || strstr(text, "..") != NULL || (text[0] == '.' && len > 1)) {
		return NULL;
	}
	if (ldns_str2rdf_dname(&name, text) != LDNS_STATUS_OK) {
		return NULL;
	}
	return name;
}
