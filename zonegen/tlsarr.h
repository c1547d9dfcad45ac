/* SPDX-License-Identifier: BSD-3-Clause */
/* TLSA resource records in zone-file syntax. */
#ifndef XDANE_ZONEGEN_TLSARR_H
#define XDANE_ZONEGEN_TLSARR_H

#include <stdbool.h>
#include <stdint.h>

struct tlsa_record;

/* Largest port in a TLSA owner name, "_PORT._tcp.HOST" (RFC 6698 §3). */
#define TLSARR_PORT_MAX 65535

/*
 * Builds the owner "_PORT._tcp.HOST." into a malloc'd string. ERR_PARSE
 * when host is not a valid domain name or port is 0 or above TLSARR_PORT_MAX.
 */
int tlsarr_owner(const char *host, unsigned port, char **ret);

/*
 * Formats rec as one zone-file line (no newline): "OWNER [TTL] IN TLSA U S M
 * DATA" when owner is given, else the record data alone "U S M DATA". The
 * owner is made absolute; ERR_PARSE when it is not a valid domain name.
 */
int tlsarr_format(const char *owner, bool has_ttl, uint32_t ttl, const struct tlsa_record *rec,
		  char **ret);

#endif
