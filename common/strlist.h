/* SPDX-License-Identifier: BSD-3-Clause */
/* A list of owned, NUL-terminated strings. */
#ifndef XDANE_COMMON_STRLIST_H
#define XDANE_COMMON_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v;
	size_t n;
};

/* Appends a copy of the len bytes at s; 0, -EINVAL if they hold a NUL, or -ENOMEM (list unchanged).
 */
int strlist_add(struct strlist *l, const char *s, size_t len);

/* Frees every string and the array; the list is then empty and reusable. */
void strlist_release(struct strlist *l);

#endif
