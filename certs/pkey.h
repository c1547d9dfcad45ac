/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Public and private keys, for TLSA records of a key that has no certificate
 * yet. Private key bytes are cleansed when freed.
 */
#ifndef XDANE_CERTS_PKEY_H
#define XDANE_CERTS_PKEY_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct pkey;

#define PKEY_FILE_MAX (1024 * 1024)

/*
 * Parses the first key in data: PEM (PRIVATE KEY, RSA/EC PRIVATE KEY,
 * PUBLIC KEY) or DER (private, then SubjectPublicKeyInfo). Never prompts for
 * a passphrase: an encrypted key is ERR_ENCRYPTED_KEY. ERR_IS_CERT when the
 * input holds a certificate and no key; ERR_NO_KEY, ERR_NOT_PEM, ERR_PARSE.
 */
int pkey_parse(const uint8_t *data, size_t len, struct pkey **ret);

/*
 * The same for private keys only, as OpenSSL's EVP_PKEY (the caller frees
 * it): a public key alone is ERR_NO_KEY. For certs/keygen, which keeps keys
 * it generated and reloads.
 */
struct evp_pkey_st;
int pkey_parse_private(const uint8_t *data, size_t len, struct evp_pkey_st **ret);

int pkey_load_file(const char *path, struct pkey **ret);

void pkey_free(struct pkey *k);

/* The DER SubjectPublicKeyInfo of the key (TLSA selector 1). */
int pkey_spki_der(const struct pkey *k, struct buf *ret);

#endif
