/* SPDX-License-Identifier: BSD-3-Clause */
/* PEM block scanning shared by the certificate and key readers (certs/ only). */
#ifndef XDANE_CERTS_PEM_H
#define XDANE_CERTS_PEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pem_block {
	const char *label;  /* "CERTIFICATE", "PRIVATE KEY", ... */
	const uint8_t *der; /* the decoded base64 body */
	size_t len;
	bool encrypted; /* an RFC 1421 "Proc-Type: 4,ENCRYPTED" header */
};

/* Called per block: 0 to go on, 1 to stop, a negative error to abort. */
typedef int (*pem_block_fn)(const struct pem_block *block, void *arg);

/*
 * Calls fn for each PEM block of data in order. Text outside blocks is
 * ignored. Returns 0 (all blocks seen) or 1 (fn stopped), fn's error, or
 * ERR_PARSE for a malformed block. nblocks_seen (if not NULL) counts the
 * blocks seen, on failure too.
 */
int pem_scan(const uint8_t *data, size_t len, pem_block_fn fn, void *arg, size_t *nblocks_seen);

/* Whether data looks like PEM at all (a BEGIN line), to tell PEM from DER. */
bool pem_is_pem(const uint8_t *data, size_t len);

#endif
