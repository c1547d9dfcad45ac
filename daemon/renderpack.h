/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A compact form of the text render.c makes, for the 10,000 domains whose
 * views xdaned keeps for as long as it serves them: the text as literal runs
 * and references to a fixed dictionary of what the samples and rows repeat
 * (label names, markup) and to two strings given at both ends (the metric
 * family's name and the domain's). Unpacking gives back the text byte for
 * byte, piece by piece, so a page can be sent while it is unpacked. Pure.
 */
#ifndef XDANE_DAEMON_RENDERPACK_H
#define XDANE_DAEMON_RENDERPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The strings that vary per part and per domain: packer and unpacker must be given the same. */
struct renderpack_names {
	const char *family; /* the metric family's name; "" for the HTML row */
	size_t family_len;
	const char *domain;
	size_t domain_len;
};

/* Bytes renderpack_pack writes at most for len bytes of text. */
size_t renderpack_bound(size_t len);

/* Packs text[0..len) into out (renderpack_bound(len) bytes); returns the bytes written. */
size_t renderpack_pack(const char *text, size_t len, const struct renderpack_names *names,
		       uint8_t *out);

/* Where unpacking stands in one packed text. */
struct renderpack_cursor {
	const uint8_t *p;
	const uint8_t *end;
};

/*
 * The next piece of the text at c (a literal run, or a string the packer
 * referred to) into *ret and its length, and advances c; false at the end.
 * The piece lives as long as the packed text and names do.
 */
bool renderpack_next(struct renderpack_cursor *c, const struct renderpack_names *names,
		     const char **ret, size_t *ret_len);

#endif
