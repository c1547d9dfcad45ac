/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the SOA serial of a zone file. A bump must change the
 * serial's digits and nothing else, and finding the serial in its output
 * must give the bumped value at the same place.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zonegen/soaserial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether out is text with the digits at old replaced by those of the next serial. */
static int fuzz_bumped_right(const char *text, size_t len, const struct soaserial_pos *old,
			     const char *out, size_t out_len)
{
	struct soaserial_pos again;
	char digits[16];
	size_t n;
	size_t tail;

	if (old->offset > len || old->len == 0 || old->len > len - old->offset) {
		return 0;
	}
	n = (size_t)snprintf(digits, sizeof(digits), "%u", (unsigned)soaserial_next(old->serial));
	tail = len - old->offset - old->len;
	if (out_len != old->offset + n + tail || out[out_len] != '\0' ||
	    memcmp(out, text, old->offset) != 0 || memcmp(out + old->offset, digits, n) != 0 ||
	    memcmp(out + old->offset + n, text + old->offset + old->len, tail) != 0) {
		return 0;
	}
	if (soaserial_find(out, out_len, &again, NULL) != 0) {
		return 0;
	}
	return again.serial == soaserial_next(old->serial) && again.offset == old->offset &&
	       again.len == n && again.line == old->line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct soaserial_error err;
	struct soaserial_pos found, old;
	char *out = NULL;
	size_t out_len = 0;
	int r_find, r_bump;

	if (size > SOASERIAL_FILE_MAX) {
		return 0;
	}
	memset(&err, 0, sizeof(err));
	r_find = soaserial_find(text, size, &found, &err);
	if (r_find < 0 && memchr(err.detail, '\0', sizeof(err.detail)) == NULL) {
		abort();
	}
	r_bump = soaserial_bump_text(text, size, &out, &out_len, &old, NULL);
	/* The bump finds the serial as soaserial_find does; only memory may fail it after. */
	if (r_bump == 0 ? r_find != 0 : (r_find == 0 && r_bump != -ENOMEM)) {
		abort();
	}
	if (r_bump == 0) {
		if (found.serial != old.serial || found.offset != old.offset ||
		    found.len != old.len || found.line != old.line ||
		    !fuzz_bumped_right(text, size, &old, out, out_len)) {
			abort();
		}
		free(out);
	}
	return 0;
}
