/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TSIG keys (RFC 8945) for the update publisher, read from a BIND key file
 * as tsig-keygen writes it: key "name" { algorithm hmac-sha256; secret "..."; };
 */
#ifndef XDANE_ZONEGEN_TSIGKEY_H
#define XDANE_ZONEGEN_TSIGKEY_H

#include <stddef.h>

/* A key file is a few lines; anything larger is not one. */
#define TSIGKEY_FILE_MAX (64 * 1024)

struct tsigkey {
	char *name;	 /* as in the file, absolute: "update-key." */
	char *algorithm; /* the algorithm's domain name, as ldns wants it: "hmac-sha256." */
	char *secret;	 /* base64, as in the file; cleansed by tsigkey_free */
};

/* Why a key file was refused; line is 1-based, 0 when no line applies. */
struct tsigkey_error {
	int line;
	char detail[256];
};

/*
 * Parses key-file text holding exactly one key statement (comments #, // and
 * C-style allowed). Algorithms: hmac-sha256 and hmac-sha512 (hmac-sha384 is
 * broken in ldns 1.8.3, NOTES.md; MD5, SHA-1 and SHA-224 are refused).
 * ERR_PARSE or ERR_UNSUPPORTED (algorithm) with err (may be NULL) saying why,
 * -ENOMEM. *ret is written on success only.
 */
int tsigkey_parse(const char *text, size_t len, struct tsigkey **ret, struct tsigkey_error *err);

/*
 * Reads and parses the key file at path, refusing (-EPERM, err says why) a
 * file that is not a regular file, is readable or writable by group or
 * others, or is owned by another user than the effective one. Errors of
 * tsigkey_parse and -errno; err names the path.
 */
int tsigkey_load(const char *path, struct tsigkey **ret, struct tsigkey_error *err);

void tsigkey_free(struct tsigkey *k);

#endif
