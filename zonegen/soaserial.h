/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SOA serial of a zone file: found by a tokenizer of the master-file
 * format (RFC 1035 §5.1 and BIND's directives), increased with RFC 1982
 * arithmetic and replaced in place, leaving every other byte of the file as
 * it was. What the zone holds is not checked: named does that on reload.
 */
#ifndef XDANE_ZONEGEN_SOASERIAL_H
#define XDANE_ZONEGEN_SOASERIAL_H

#include <stddef.h>
#include <stdint.h>

/* A zone file larger than this is not one xdane edits: held in memory whole. */
#define SOASERIAL_FILE_MAX (64 * 1024 * 1024)

/* Why and where: line is 1-based, 0 when no line applies. */
struct soaserial_error {
	int line;
	char detail[256];
};

/* Where the serial is: its value and the offset and length of its digits in the text. */
struct soaserial_pos {
	uint32_t serial;
	size_t offset;
	size_t len;
	int line;
};

/*
 * The serial after serial: + 1 modulo 2^32 (RFC 1982 §3.1), skipping 0 as
 * BIND's own increment does. Date-style serials (2024061501) are increased
 * by one too; xdane never jumps to the date.
 */
uint32_t soaserial_next(uint32_t serial);

/*
 * Finds the serial of the one SOA record of zone-file text (len bytes, no
 * NUL needed). Comments, quoted strings, escapes, parentheses over several
 * lines, $ORIGIN/$TTL/$INCLUDE/$GENERATE lines, omitted owners and TTL and
 * class in either order are understood. ERR_PARSE, with err (may be NULL)
 * saying why and at which line, when there is no SOA record (one in an
 * $INCLUDEd file is not followed), more than one, a serial that is not a
 * decimal number below 2^32, or unbalanced parentheses.
 */
int soaserial_find(const char *text, size_t len, struct soaserial_pos *ret,
		   struct soaserial_error *err);

/*
 * The text with the serial replaced by soaserial_next of it; malloc'd and
 * NUL-terminated into ret_text (ret_len without the NUL). Errors of
 * soaserial_find, -ENOMEM.
 */
int soaserial_bump_text(const char *text, size_t len, char **ret_text, size_t *ret_len,
			struct soaserial_pos *ret_old, struct soaserial_error *err);

/*
 * Increases the serial of the zone file at path, written atomically with
 * its mode kept (fileio_write_atomic). ret_old and ret_new (may be NULL) get
 * the serials. Errors: those of fileio_read (ERR_TOO_BIG past
 * SOASERIAL_FILE_MAX) and fileio_write_atomic, and of soaserial_find; err
 * says what failed.
 */
int soaserial_bump_file(const char *path, uint32_t *ret_old, uint32_t *ret_new,
			struct soaserial_error *err);

#endif
