/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A growable byte buffer with a hard maximum: every reader of outside data
 * fills one of these, so no input can grow memory without bound.
 */
#ifndef XDANE_COMMON_BUF_H
#define XDANE_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data; /* always NUL-terminated past len, for text parsers */
	size_t len;
	size_t cap;
	size_t max; /* len never exceeds this */
};

void buf_init(struct buf *b, size_t max);

/* Appends n bytes; ERR_TOO_BIG past the maximum, -ENOMEM; b unchanged on failure. */
int buf_append(struct buf *b, const void *p, size_t n);

/* Frees the storage (cleansing it first: buffers may hold key material). */
void buf_release(struct buf *b);

#endif
