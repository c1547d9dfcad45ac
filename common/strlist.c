/* SPDX-License-Identifier: BSD-3-Clause */
/* String lists. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/strlist.h"

int strlist_add(struct strlist *l, const char *s, size_t len)
{
	char **grown;
	char *copy;

	/* A NUL inside would silently cut the string: "a.org\0.evil.net" must not become "a.org".
	 */
	if (memchr(s, '\0', len) != NULL) {
		return -EINVAL;
	}
	copy = strndup(s, len);
	if (copy == NULL) {
		return -ENOMEM;
	}
	grown = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	if (grown == NULL) {
		free(copy);
		return -ENOMEM;
	}
	l->v = grown;
	l->v[l->n++] = copy;
	return 0;
}

void strlist_release(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i]);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
