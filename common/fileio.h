/* SPDX-License-Identifier: BSD-3-Clause */
/* Whole-file reading with a size bound, and atomic whole-file replacement. */
#ifndef XDANE_COMMON_FILEIO_H
#define XDANE_COMMON_FILEIO_H

#include <stddef.h>

struct buf;

/*
 * Reads the file at path into ret (initialised here with maximum max).
 * Returns 0, -errno, or ERR_TOO_BIG; ret holds nothing on failure.
 */
int fileio_read(const char *path, size_t max, struct buf *ret);

/* fileio_write_atomic's mode: that of the file replaced, 0644 for a new one. */
#define FILEIO_MODE_KEEP (-1)

/* What failed and where, for an error message that names the path. */
struct fileio_error {
	char detail[512];
};

/*
 * Replaces the file at path (following a symbolic link to its target) with
 * the len bytes at data, so that readers and crashes see the old content or
 * the new, never a part: a temporary file in the same directory is written,
 * fsync'd, given mode (0..07777, or FILEIO_MODE_KEEP) and the owner and group
 * of the file it replaces where the process may, renamed over path, and the
 * directory is fsync'd. Returns 0 or -errno (-EPERM when the group of the
 * old file cannot be kept and its group permissions mattered); err (may be
 * NULL) then says which step failed on which path. Before the rename a
 * failure leaves path untouched and no temporary file behind; only the
 * final directory fsync can fail after it.
 */
int fileio_write_atomic(const char *path, const void *data, size_t len, int mode,
			struct fileio_error *err);

/*
 * Whether fileio_write_atomic could replace path now: path (or the target of
 * its link) is a regular file or absent, and its directory takes a new file
 * (tried: one is created and removed). 0 or -errno, err saying why.
 */
int fileio_check_atomic(const char *path, struct fileio_error *err);

#endif
