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

/*
 * Bytes that must be readable after a packed text given to the unpacker
 * (their values do not matter): it copies short items in one move.
 */
#define RENDERPACK_PAD 32

/* Bytes renderpack_pack writes at most for len bytes of text. */
size_t renderpack_bound(size_t len);

/* Packs text[0..len) into out (renderpack_bound(len) bytes); returns the bytes written. */
size_t renderpack_pack(const char *text, size_t len, const struct renderpack_names *names,
		       uint8_t *out);

/* References a packed byte can make: the names, then the dictionary. */
#define RENDERPACK_REFS 128

/*
 * Unpacks packed texts into a caller's buffer, whole items at a time (a
 * page of 10,000 domains is millions of items). Set up once
 * (renderpack_reader_init), then opened on each packed text in turn.
 */
struct renderpack_reader {
	const uint8_t *p; /* the next item */
	const uint8_t *end;
	size_t skip; /* bytes of the item at p already given */
	const char *ref[RENDERPACK_REFS];
	uint32_t ref_len[RENDERPACK_REFS];
	char name[2][2 * RENDERPACK_PAD]; /* short names, padded (see renderpack_read) */
};

void renderpack_reader_init(struct renderpack_reader *r);

/*
 * Starts on code[0..len) (followed by RENDERPACK_PAD readable bytes), packed
 * with names (whose strings must outlive the reading).
 */
void renderpack_reader_open(struct renderpack_reader *r, const uint8_t *code, size_t len,
			    const struct renderpack_names *names);

/* Unpacks the next at most max bytes into buf: how many, 0 at the end of the text. */
size_t renderpack_read(struct renderpack_reader *r, char *buf, size_t max);

#endif
