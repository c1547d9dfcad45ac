/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * X.509 certificates: loading from PEM or DER and describing what a peer
 * sees (identities, dates, key, digests). The rest of the tree never sees
 * OpenSSL types; it holds an opaque struct cert.
 */
#ifndef XDANE_CERTS_CERT_H
#define XDANE_CERTS_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "certs/san.h"

struct buf;
struct cert;
struct x509_st; /* OpenSSL's X509, for the one caller that already holds one */

/* A certificate file larger than this is not a certificate (chains are KiB). */
#define CERT_FILE_MAX (1024 * 1024)

#define CERT_SHA256_LEN 32

struct cert_info {
	char *cn;	    /* last subject CN (RFC 6125 §6.4.4), or NULL */
	struct san_ids ids; /* DNS-IDs, SRV-IDs, xmppAddrs */
	int64_t not_before; /* seconds since the epoch */
	int64_t not_after;
	char key_type[16];  /* "RSA", "EC", "ED25519", "ED448", "DSA" or "unknown" */
	char key_curve[64]; /* "P-256" etc. for EC keys, else "" */
	int key_bits;
	uint8_t sha256[CERT_SHA256_LEN];      /* of the DER certificate */
	uint8_t spki_sha256[CERT_SHA256_LEN]; /* of the DER SubjectPublicKeyInfo */
};

/*
 * Parses the first certificate in data: PEM (the first CERTIFICATE block,
 * other blocks skipped) or a single DER certificate. Errors: ERR_IS_KEY when
 * the input holds a private key and no certificate, ERR_NO_CERT, ERR_NOT_PEM,
 * ERR_PARSE (malformed PEM or DER), ERR_TRAILING, -ENOMEM.
 */
int cert_parse(const uint8_t *data, size_t len, struct cert **ret);

/* cert_parse on a file read with the CERT_FILE_MAX bound; also -errno. */
int cert_load_file(const char *path, struct cert **ret);

/*
 * A cert for an X509 that OpenSSL already decoded (a peer's certificate after a
 * handshake): it takes a reference of its own, so x stays the caller's. Nothing is
 * decoded again; every cert_info field is what cert_parse of its DER would give.
 * Errors: ERR_PARSE for NULL, ERR_CRYPTO, -ENOMEM.
 */
int cert_from_x509(struct x509_st *x, struct cert **ret);

void cert_free(struct cert *c);

/* Fills ret (release with cert_info_release); ERR_PARSE for a malformed SAN. */
int cert_info_get(const struct cert *c, struct cert_info *ret);

void cert_info_release(struct cert_info *info);

/* The DER the TLSA selector picks: 0 the whole certificate, 1 its SPKI. */
int cert_selected_der(const struct cert *c, unsigned selector, struct buf *ret);

#endif
