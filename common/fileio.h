/* SPDX-License-Identifier: BSD-3-Clause */
/* Whole-file reading with a size bound. */
#ifndef XDANE_COMMON_FILEIO_H
#define XDANE_COMMON_FILEIO_H

#include <stddef.h>

struct buf;

/*
 * Reads the file at path into ret (initialised here with maximum max).
 * Returns 0, -errno, or ERR_TOO_BIG; ret holds nothing on failure.
 */
int fileio_read(const char *path, size_t max, struct buf *ret);

#endif
