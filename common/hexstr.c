/* SPDX-License-Identifier: BSD-3-Clause */
/* Hexadecimal encoding. */
#include <stdlib.h>

#include "common/hexstr.h"

char *hexstr_encode(const uint8_t *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *out;
	size_t i;

	if (len > (SIZE_MAX - 1) / 2) {
		return NULL;
	}
	out = malloc(2 * len + 1);
	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return out;
}
