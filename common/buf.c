/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounded byte buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	size_t need;
	size_t cap;
	uint8_t *grown;

	if (n > b->max - b->len) {
		return ERR_TOO_BIG;
	}
	need = b->len + n + 1; /* room for the terminating NUL */
	if (need > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < need) {
			cap *= 2;
		}
		grown = realloc(b->data, cap);
		if (grown == NULL) {
			return -ENOMEM;
		}
		b->data = grown;
		b->cap = cap;
	}
	if (n > 0) {
		memcpy(b->data + b->len, p, n);
	}
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void buf_release(struct buf *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	buf_init(b, b->max);
}
