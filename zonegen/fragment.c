/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLSA fragments. Each record is composed as text by tlsarr, parsed back by
 * ldns (which checks it) and printed by ldns; records and owners are kept
 * sorted and unique as they are added, so rendering is deterministic.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "certs/tlsa.h"
#include "common/err.h"
#include "zonegen/fragment.h"
#include "zonegen/tlsarr.h"

struct fragment_owner {
	ldns_rdf *dname; /* canonical (lower-case) */
	char *text;
};

struct fragment_entry {
	struct fragment_owner owner;
	struct tlsa_record rec;
	ldns_rr *rr; /* as ldns parsed it, for printing */
};

struct fragment {
	struct fragment_owner zone;
	uint32_t ttl;
	struct fragment_owner *owners;
	size_t n_owners;
	struct fragment_entry *entries;
	size_t n_entries;
};

static void fragment_owner_release(struct fragment_owner *o)
{
	ldns_rdf_deep_free(o->dname);
	free(o->text);
	o->dname = NULL;
	o->text = NULL;
}

/* Parses name into its canonical form (absolute, lower-case); ERR_PARSE when it is not a
 * domain name. ldns makes "x.org" and "x.org." the same name. */
static int fragment_owner_parse(const char *name, struct fragment_owner *ret)
{
	struct fragment_owner o = {NULL, NULL};
	int r = ERR_PARSE;

	if (name[0] == '\0' || ldns_str2rdf_dname(&o.dname, name) != LDNS_STATUS_OK) {
		goto out;
	}
	ldns_dname2canonical(o.dname);
	o.text = ldns_rdf2str(o.dname);
	if (o.text == NULL) {
		r = -ENOMEM;
		goto out;
	}
	*ret = o;
	o.dname = NULL;
	o.text = NULL;
	r = 0;
out:
	fragment_owner_release(&o);
	return r;
}

int fragment_new(const char *zone, uint32_t ttl, struct fragment **ret)
{
	struct fragment *f = NULL;
	int r = ERR_PARSE;

	if (ttl > FRAGMENT_TTL_MAX) {
		goto out;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		r = -ENOMEM;
		goto out;
	}
	f->ttl = ttl;
	r = fragment_owner_parse(zone, &f->zone);
	if (r < 0) {
		goto out;
	}
	*ret = f;
	f = NULL;
	r = 0;
out:
	fragment_free(f);
	return r;
}

void fragment_free(struct fragment *f)
{
	size_t i;

	if (f == NULL) {
		return;
	}
	for (i = 0; i < f->n_entries; i++) {
		fragment_owner_release(&f->entries[i].owner);
		tlsa_record_release(&f->entries[i].rec);
		ldns_rr_free(f->entries[i].rr);
	}
	for (i = 0; i < f->n_owners; i++) {
		fragment_owner_release(&f->owners[i]);
	}
	fragment_owner_release(&f->zone);
	free(f->entries);
	free(f->owners);
	free(f);
}

/* Owner inside the zone (at the apex or below), as a server would accept it. */
static bool fragment_in_zone(const struct fragment *f, const ldns_rdf *dname)
{
	return ldns_dname_compare(dname, f->zone.dname) == 0 ||
	       ldns_dname_is_subdomain(dname, f->zone.dname);
}

/* RFC 4034 §6.3: RDATA compared as left-justified octet strings; a TLSA's RDATA is
 * usage, selector, matching type, data. */
static int fragment_rdata_compare(const struct tlsa_record *a, const struct tlsa_record *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c;

	if (a->usage != b->usage) {
		return a->usage < b->usage ? -1 : 1;
	}
	if (a->selector != b->selector) {
		return a->selector < b->selector ? -1 : 1;
	}
	if (a->mtype != b->mtype) {
		return a->mtype < b->mtype ? -1 : 1;
	}
	c = memcmp(a->data, b->data, n);
	if (c != 0) {
		return c;
	}
	return a->len == b->len ? 0 : (a->len < b->len ? -1 : 1);
}

/* Inserts a copy of owner (parsed) into the sorted owner list, unless present. */
static int fragment_insert_owner(struct fragment *f, const struct fragment_owner *owner)
{
	struct fragment_owner copy = {NULL, NULL};
	struct fragment_owner *grown;
	size_t i;
	int c;

	for (i = 0; i < f->n_owners; i++) {
		c = ldns_dname_compare(owner->dname, f->owners[i].dname);
		if (c == 0) {
			return 0;
		}
		if (c < 0) {
			break;
		}
	}
	if (f->n_owners >= FRAGMENT_OWNERS_MAX) {
		return ERR_TOO_BIG;
	}
	copy.dname = ldns_rdf_clone(owner->dname);
	copy.text = strdup(owner->text);
	grown = realloc(f->owners, (f->n_owners + 1) * sizeof(*f->owners));
	if (copy.dname == NULL || copy.text == NULL || grown == NULL) {
		if (grown != NULL) {
			f->owners = grown;
		}
		fragment_owner_release(&copy);
		return -ENOMEM;
	}
	f->owners = grown;
	memmove(&f->owners[i + 1], &f->owners[i], (f->n_owners - i) * sizeof(*f->owners));
	f->owners[i] = copy;
	f->n_owners++;
	return 0;
}

int fragment_add_owner(struct fragment *f, const char *owner)
{
	struct fragment_owner o = {NULL, NULL};
	int r;

	r = fragment_owner_parse(owner, &o);
	if (r < 0) {
		goto out;
	}
	if (!fragment_in_zone(f, o.dname)) {
		r = ERR_PARSE;
		goto out;
	}
	r = fragment_insert_owner(f, &o);
out:
	fragment_owner_release(&o);
	return r;
}

/* The data length a matching type implies (RFC 6698 §2.1.3), 0 for any. */
static size_t fragment_mtype_len(unsigned mtype)
{
	switch (mtype) {
	case TLSA_MTYPE_SHA256:
		return 32;
	case TLSA_MTYPE_SHA512:
		return 64;
	default:
		return 0;
	}
}

int fragment_add_tlsa(struct fragment *f, const char *owner, const struct tlsa_record *rec)
{
	struct fragment_entry e = {{NULL, NULL}, {0, 0, 0, NULL, 0}, NULL};
	struct fragment_entry *grown;
	char *line = NULL;
	size_t want = fragment_mtype_len(rec->mtype);
	size_t i;
	int c;
	int r;

	r = fragment_owner_parse(owner, &e.owner);
	if (r < 0) {
		goto out;
	}
	if (!fragment_in_zone(f, e.owner.dname) || rec->len == 0 ||
	    (want != 0 && rec->len != want)) {
		r = ERR_PARSE;
		goto out;
	}
	for (i = 0; i < f->n_entries; i++) {
		c = ldns_dname_compare(e.owner.dname, f->entries[i].owner.dname);
		if (c == 0) {
			c = fragment_rdata_compare(rec, &f->entries[i].rec);
		}
		if (c == 0) {
			r = fragment_insert_owner(f, &e.owner); /* already there: a no-op */
			goto out;
		}
		if (c < 0) {
			break;
		}
	}
	if (f->n_entries >= FRAGMENT_RECORDS_MAX) {
		r = ERR_TOO_BIG;
		goto out;
	}
	/* Composed as text and parsed by ldns: the record is checked by the same parser a zone
	 * file goes through, and printed the way ldns prints TLSA records. */
	r = tlsarr_format(e.owner.text, true, f->ttl, rec, &line);
	if (r < 0) {
		goto out;
	}
	if (ldns_rr_new_frm_str(&e.rr, line, 0, NULL, NULL) != LDNS_STATUS_OK) {
		r = ERR_PARSE;
		goto out;
	}
	e.rec.usage = rec->usage;
	e.rec.selector = rec->selector;
	e.rec.mtype = rec->mtype;
	e.rec.data = malloc(rec->len);
	if (e.rec.data == NULL) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(e.rec.data, rec->data, rec->len);
	e.rec.len = rec->len;
	r = fragment_insert_owner(f, &e.owner);
	if (r < 0) {
		goto out;
	}
	grown = realloc(f->entries, (f->n_entries + 1) * sizeof(*f->entries));
	if (grown == NULL) {
		r = -ENOMEM;
		goto out;
	}
	f->entries = grown;
	memmove(&f->entries[i + 1], &f->entries[i], (f->n_entries - i) * sizeof(*f->entries));
	f->entries[i] = e;
	f->n_entries++;
	memset(&e, 0, sizeof(e));
	r = 0;
out:
	fragment_owner_release(&e.owner);
	tlsa_record_release(&e.rec);
	ldns_rr_free(e.rr);
	free(line);
	return r;
}

const char *fragment_zone(const struct fragment *f)
{
	return f->zone.text;
}

uint32_t fragment_ttl(const struct fragment *f)
{
	return f->ttl;
}

size_t fragment_owner_count(const struct fragment *f)
{
	return f->n_owners;
}

const char *fragment_owner(const struct fragment *f, size_t i)
{
	return i < f->n_owners ? f->owners[i].text : NULL;
}

size_t fragment_record_count(const struct fragment *f)
{
	return f->n_entries;
}

const char *fragment_record_owner(const struct fragment *f, size_t i)
{
	return i < f->n_entries ? f->entries[i].owner.text : NULL;
}

const struct tlsa_record *fragment_record(const struct fragment *f, size_t i)
{
	return i < f->n_entries ? &f->entries[i].rec : NULL;
}

/* Records per owner, for the comment that says which owners are managed but empty. */
static size_t fragment_records_at(const struct fragment *f, const ldns_rdf *owner)
{
	size_t i;
	size_t n = 0;

	for (i = 0; i < f->n_entries; i++) {
		if (ldns_dname_compare(owner, f->entries[i].owner.dname) == 0) {
			n++;
		}
	}
	return n;
}

int fragment_render(const struct fragment *f, char **ret)
{
	ldns_buffer *out = NULL;
	char *text;
	size_t i;
	int r = -ENOMEM;

	out = ldns_buffer_new(1024);
	if (out == NULL) {
		goto out;
	}
	/* Only names ldns printed go into comments: they are escaped, never a newline. */
	ldns_buffer_printf(out,
			   "; TLSA records of zone %s, written by xdane for $INCLUDE.\n"
			   "; Do not edit: xdane replaces this file whenever it publishes.\n"
			   "; %zu record(s) at %zu owner(s), TTL %u.\n",
			   f->zone.text, f->n_entries, f->n_owners, (unsigned)f->ttl);
	for (i = 0; i < f->n_owners; i++) {
		if (fragment_records_at(f, f->owners[i].dname) == 0) {
			ldns_buffer_printf(out, "; %s: no TLSA records (withdrawn)\n",
					   f->owners[i].text);
		}
	}
	for (i = 0; i < f->n_entries; i++) {
		if (ldns_rr2buffer_str_fmt(out, ldns_output_format_nocomments, f->entries[i].rr) !=
		    LDNS_STATUS_OK) {
			goto out;
		}
	}
	if (ldns_buffer_status(out) != LDNS_STATUS_OK) {
		goto out;
	}
	text = ldns_buffer_export2str(out);
	if (text == NULL) {
		goto out;
	}
	*ret = text;
	r = 0;
out:
	ldns_buffer_free(out);
	return r;
}
