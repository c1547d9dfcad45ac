/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys that xdane generates and keeps (the "next" key of a rollover): key
 * generation, the PKCS#8 file (mode 0600, written atomically), reloading it,
 * the CSR an ACME client needs, and the key's TLSA association data. Key
 * bytes are cleansed before they are freed and never appear in a message.
 */
#ifndef XDANE_CERTS_KEYGEN_H
#define XDANE_CERTS_KEYGEN_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct pkey;
struct rollover_key;
struct rollover_tlsa_type;
struct tlsa_record;

/* A private key with no certificate; opaque. */
struct keygen_key;

enum keygen_type {
	KEYGEN_EC_P256 = 0, /* the default: small records, fast handshakes */
	KEYGEN_RSA_2048,
	KEYGEN_RSA_3072,
};

/* What failed, naming the file; never holds key material. */
struct keygen_error {
	char detail[512];
};

/* CSR names: a DNS name is at most 253 octets; more than this many is a config mistake. */
#define KEYGEN_CSR_NAMES_MAX 100

/* "ec-p256" (also "ec", "p256"), "rsa2048", "rsa3072"; -EINVAL otherwise. */
int keygen_type_parse(const char *name, enum keygen_type *ret);

/* ERR_CRYPTO (OpenSSL's text discarded: it may describe the key), -ENOMEM. */
int keygen_generate(enum keygen_type type, struct keygen_key **ret);

void keygen_free(struct keygen_key *k);

/*
 * Writes k as PKCS#8 PEM to path with mode 0600 (fileio_write_atomic). Refuses
 * (-EPERM) a directory that is writable by group or others or owned by another
 * user (other than root), and checks the file is 0600 and ours afterwards.
 */
int keygen_write(const struct keygen_key *k, const char *path, struct keygen_error *err);

/*
 * A private key from PEM (PRIVATE KEY, RSA/EC PRIVATE KEY) or DER. Never
 * prompts: ERR_ENCRYPTED_KEY. ERR_IS_CERT or ERR_NO_KEY when the input holds a
 * certificate or a public key only; ERR_NOT_PEM, ERR_PARSE, ERR_TRAILING.
 */
int keygen_parse(const uint8_t *data, size_t len, struct keygen_key **ret);

/*
 * keygen_parse of the file at path, which must be a regular file owned by us
 * with no group or other permission bits (-EPERM, like TSIG key files), at
 * most PKEY_FILE_MAX bytes (ERR_TOO_BIG). Also -errno.
 */
int keygen_load(const char *path, struct keygen_key **ret, struct keygen_error *err);

/* The public half, as certs/pkey and certs/tlsa take it (free with pkey_free). */
int keygen_public(const struct keygen_key *k, struct pkey **ret);

/* 1 when spki (a DER SubjectPublicKeyInfo) is k's public key, 0 when not, ERR_PARSE. */
int keygen_matches_spki(const struct keygen_key *k, const uint8_t *spki, size_t len);

/* tlsa_from_pkey of k's public half: selector 0 is ERR_UNSUPPORTED (no certificate). */
int keygen_tlsa(const struct keygen_key *k, unsigned usage, unsigned selector, unsigned mtype,
		struct tlsa_record *ret);

/*
 * The rollover engine's view of k: SPKI SHA-256 and data[i] for shapes[i]
 * (n <= ROLLOVER_SHAPE_MAX). ERR_UNSUPPORTED for a shape a bare key cannot
 * fill (selector 0, matching type 0), -EINVAL for too many shapes.
 */
int keygen_rollover_key(const struct keygen_key *k, const struct rollover_tlsa_type *shapes,
			size_t n, struct rollover_key *ret);

/*
 * A PKCS#10 CSR in PEM for k: subject CN = domain (omitted past 64 octets, the
 * X.520 limit), subjectAltName dNSName domain then names[] (duplicates dropped,
 * case-insensitively), signed with SHA-256. -EINVAL for an empty, overlong
 * (253) or non-printable name or more than KEYGEN_CSR_NAMES_MAX names.
 */
int keygen_csr_pem(const struct keygen_key *k, const char *domain, const char *const *names,
		   size_t n, struct buf *ret);

#endif
