/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: BIND key files for the update publisher. A key that
 * parses has every field set; a refusal leaves a NUL-terminated reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zonegen/tsigkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsigkey_error err;
	struct tsigkey *k = NULL;

	if (size > TSIGKEY_FILE_MAX) {
		return 0;
	}
	memset(&err, 0, sizeof(err));
	if (tsigkey_parse((const char *)data, size, &k, &err) == 0) {
		if (k == NULL || k->name == NULL || k->algorithm == NULL || k->secret == NULL ||
		    k->secret[0] == '\0') {
			abort();
		}
		tsigkey_free(k);
	} else if (k != NULL || memchr(err.detail, '\0', sizeof(err.detail)) == NULL ||
		   err.line < 0) {
		abort();
	}
	return 0;
}
