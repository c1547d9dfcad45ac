/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A certificate as reports show it: identities, dates, key, digests and the
 * TLSA association data an operator would publish for it. The same `cert`
 * object appears in `xdane cert --json` and in each endpoint of a check report.
 */
#ifndef XDANE_CHECKS_CERTVIEW_H
#define XDANE_CHECKS_CERTVIEW_H

#include <stdio.h>

#include "certs/cert.h"
#include "certs/tlsa.h"

/* The records shown for every certificate: 3 1 1, 3 1 2 and 3 0 1. */
#define CERTVIEW_N_TLSA 3

struct certview {
	struct cert_info info;
	struct tlsa_record tlsa[CERTVIEW_N_TLSA];
};

int certview_build(const struct cert *c, struct certview *ret);

void certview_release(struct certview *v);

struct json_t;

/*
 * The `cert` object of reports (jansson, a new reference; NULL on ENOMEM):
 * cn, dns_ids, srv_ids, xmpp_addrs, not_before, not_after, sha256,
 * spki_sha256, key_type, key_curve, key_bits.
 */
struct json_t *certview_cert_object(const struct cert_info *info);

/* A JSON array of the strings of l (a new reference; NULL on ENOMEM). */
struct json_t *certview_string_array(const struct strlist *l);

/* The `cert` object plus "tlsa" as malloc'd text (pretty-printed, without newline). */
int certview_json(const struct certview *v, char **ret);

/* Human-readable lines, one "label: value" per line. */
int certview_print(const struct certview *v, FILE *out);

#endif
