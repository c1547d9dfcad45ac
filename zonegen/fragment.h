/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A TLSA fragment: the TLSA records of a set of owners in one zone, with one
 * TTL, rendered as zone-file text for BIND's $INCLUDE. Writing it and telling
 * the server is publish's job; which records belong in it, the rollover's.
 */
#ifndef XDANE_ZONEGEN_FRAGMENT_H
#define XDANE_ZONEGEN_FRAGMENT_H

#include <stddef.h>
#include <stdint.h>

struct fragment;
struct tlsa_record;

/*
 * Bounds of one fragment. The update publisher sends it in one UPDATE
 * message, at most 65535 octets over TCP: 256 records of SHA-256 data with
 * long owners stay below 40 KiB. An XMPP domain needs a few dozen.
 */
#define FRAGMENT_RECORDS_MAX 256
#define FRAGMENT_OWNERS_MAX  256

/* Largest TTL (RFC 2181 §8). */
#define FRAGMENT_TTL_MAX 2147483647u

/*
 * An empty fragment for zone (any presentation form; made absolute) with one
 * TTL for every record. ERR_PARSE for a bad zone name or ttl above
 * FRAGMENT_TTL_MAX, -ENOMEM.
 */
int fragment_new(const char *zone, uint32_t ttl, struct fragment **ret);
void fragment_free(struct fragment *f);

/*
 * Declares owner managed: the update publisher replaces its TLSA RRset even
 * when the fragment holds no record for it (which withdraws the RRset).
 * fragment_add_tlsa declares its owner too. ERR_PARSE when owner is not a
 * domain name at or below the zone, ERR_TOO_BIG past FRAGMENT_OWNERS_MAX.
 */
int fragment_add_owner(struct fragment *f, const char *owner);

/*
 * Adds a copy of rec at owner; a record already present is not added twice.
 * ERR_PARSE for an owner outside the zone or a record ldns refuses (empty
 * data, wrong length for its matching type), ERR_TOO_BIG past
 * FRAGMENT_RECORDS_MAX.
 */
int fragment_add_tlsa(struct fragment *f, const char *owner, const struct tlsa_record *rec);

/* The zone, absolute and lower-case; lives as long as f. */
const char *fragment_zone(const struct fragment *f);
uint32_t fragment_ttl(const struct fragment *f);

/* Managed owners in canonical order (RFC 4034 §6.1), absolute and lower-case. */
size_t fragment_owner_count(const struct fragment *f);
const char *fragment_owner(const struct fragment *f, size_t i);

/* Records in canonical order: by owner, then by RDATA (RFC 4034 §6.3). */
size_t fragment_record_count(const struct fragment *f);
const char *fragment_record_owner(const struct fragment *f, size_t i);
const struct tlsa_record *fragment_record(const struct fragment *f, size_t i);

/*
 * The zone-file text: a comment header (zone, counts, do-not-edit), then one
 * line per record with absolute owner, TTL and class, so it means the same
 * whatever $ORIGIN and $TTL the including file has. The same fragment always
 * renders to the same bytes. Malloc'd into ret.
 */
int fragment_render(const struct fragment *f, char **ret);

#endif
