/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded whole-file reading, and atomic whole-file replacement (temporary
 * file, fsync, rename, fsync of the directory) for zone fragments, zone files
 * and whatever else must never be seen half-written.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fileio.h"

int fileio_read(const char *path, size_t max, struct buf *ret)
{
	struct buf b;
	char chunk[4096];
	ssize_t n;
	int fd = -1;
	int r;

	buf_init(&b, max);
	buf_init(ret, max);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0) {
			break;
		}
		r = buf_append(&b, chunk, (size_t)n);
		if (r < 0) {
			goto out;
		}
	}
	/* An empty file still gets a NUL-terminated buffer for text parsers. */
	r = buf_append(&b, "", 0);
	if (r < 0) {
		goto out;
	}
	*ret = b;
	buf_init(&b, max);
	r = 0;
out:
	buf_release(&b);
	if (fd >= 0) {
		close(fd);
	}
	return r;
}

/* Mode of a file that did not exist before: BIND and other readers must read it. */
#define FILEIO_MODE_NEW 0644

static void fileio_fail(struct fileio_error *err, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fileio_fail(struct fileio_error *err, int r, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (err == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	n = strlen(err->detail);
	snprintf(err->detail + n, sizeof(err->detail) - n, ": %s", strerror(-r));
}

static int fileio_write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Gives the temporary file the old file's owner and group where the process
 * may. Changing the owner needs privilege and usually fails harmlessly; losing
 * the group is only an error when the group had rights others lack (a zone
 * file root:bind 0640 that named could no longer read).
 */
static int fileio_keep_owner(int fd, const struct stat *old, mode_t mode)
{
	mode_t group_only = ((mode >> 3) & 07) & ~(mode & 07);

	if (fchown(fd, old->st_uid, old->st_gid) == 0) {
		return 0;
	}
	if (fchown(fd, (uid_t)-1, old->st_gid) == 0) {
		return 0;
	}
	return group_only != 0 ? -EPERM : 0;
}

/* path, or the file its symbolic link points to: a link stays a link. */
static int fileio_target(const char *path, char **ret, struct fileio_error *err)
{
	struct stat st;
	char *t;
	int r;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		t = realpath(path, NULL);
		if (t == NULL) {
			r = -errno;
			fileio_fail(err, r, "resolving the link '%s'", path);
			return r;
		}
	} else {
		t = strdup(path);
		if (t == NULL) {
			return -ENOMEM;
		}
	}
	*ret = t;
	return 0;
}

/*
 * Creates the temporary file beside target (rename(2) is atomic only within one file
 * system; the leading dot keeps it out of globs while it exists).
 */
static int fileio_temp(const char *target, char **ret_path, int *ret_fd, struct fileio_error *err)
{
	const char *slash = strrchr(target, '/');
	char *tmp = NULL;
	int fd;
	int r;

	if (slash == NULL) {
		r = asprintf(&tmp, ".%s.XXXXXX", target);
	} else {
		r = asprintf(&tmp, "%.*s/.%s.XXXXXX", (int)(slash - target), target, slash + 1);
	}
	if (r < 0) {
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (slash == NULL) {
			fileio_fail(err, r,
				    "creating a temporary file for '%s' in the current directory",
				    target);
		} else {
			fileio_fail(err, r, "creating a temporary file in '%.*s'",
				    slash == target ? 1 : (int)(slash - target), target);
		}
		free(tmp);
		return r;
	}
	*ret_path = tmp;
	*ret_fd = fd;
	return 0;
}

/* Stats target: 1 when it is a regular file, 0 when absent, else an error. */
static int fileio_existing(const char *target, struct stat *st, struct fileio_error *err)
{
	int r;

	if (stat(target, st) == 0) {
		if (!S_ISREG(st->st_mode)) {
			r = S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
			fileio_fail(err, r, "'%s' is not a regular file", target);
			return r;
		}
		return 1;
	}
	if (errno == ENOENT) {
		return 0;
	}
	r = -errno;
	fileio_fail(err, r, "stat '%s'", target);
	return r;
}

int fileio_check_atomic(const char *path, struct fileio_error *err)
{
	struct stat st;
	char *target = NULL;
	char *tmp = NULL;
	int fd = -1;
	int r;

	r = fileio_target(path, &target, err);
	if (r < 0) {
		goto out;
	}
	r = fileio_existing(target, &st, err);
	if (r < 0) {
		goto out;
	}
	r = fileio_temp(target, &tmp, &fd, err);
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(target);
	return r < 0 ? r : 0;
}

int fileio_write_atomic(const char *path, const void *data, size_t len, int mode,
			struct fileio_error *err)
{
	char *target = NULL;
	char *tmp = NULL;
	char *slash;
	struct stat st;
	bool exists;
	mode_t final_mode;
	int fd = -1;
	int dfd = -1;
	int r;

	if (mode != FILEIO_MODE_KEEP && (mode < 0 || mode > 07777)) {
		r = -EINVAL;
		fileio_fail(err, r, "mode %o for '%s'", (unsigned)mode, path);
		goto out;
	}
	r = fileio_target(path, &target, err);
	if (r < 0) {
		goto out;
	}
	r = fileio_existing(target, &st, err);
	if (r < 0) {
		goto out;
	}
	exists = r == 1;
	final_mode = mode != FILEIO_MODE_KEEP ? (mode_t)mode
					      : (exists ? st.st_mode & 07777 : FILEIO_MODE_NEW);
	r = fileio_temp(target, &tmp, &fd, err);
	if (r < 0) {
		goto out;
	}
	slash = strrchr(target, '/');
	r = fileio_write_all(fd, data, len);
	if (r < 0) {
		fileio_fail(err, r, "writing '%s'", tmp);
		goto out;
	}
	if (exists) {
		r = fileio_keep_owner(fd, &st, final_mode);
		if (r < 0) {
			fileio_fail(err, r, "keeping the group of '%s' (gid %u) on its replacement",
				    target, (unsigned)st.st_gid);
			goto out;
		}
	}
	/* After fchown, which may clear set-id bits. */
	if (fchmod(fd, final_mode) < 0) {
		r = -errno;
		fileio_fail(err, r, "setting mode %04o on '%s'", (unsigned)final_mode, tmp);
		goto out;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		fileio_fail(err, r, "syncing '%s'", tmp);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		fileio_fail(err, r, "closing '%s'", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, target) < 0) {
		r = -errno;
		fileio_fail(err, r, "renaming '%s' to '%s'", tmp, target);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	/* The rename itself is durable only once the directory is synced. */
	if (slash == NULL) {
		dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else if (slash == target) {
		dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		*slash = '\0';
		dfd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
	}
	/* Some file systems (FUSE, some network ones) cannot sync a directory: nothing to do. */
	if (dfd < 0 || (fsync(dfd) < 0 && errno != EINVAL && errno != ENOTSUP)) {
		r = -errno;
		fileio_fail(err, r, "'%s' was replaced, but syncing its directory failed", target);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0) {
		close(fd);
	}
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	if (dfd >= 0) {
		close(dfd);
	}
	free(target);
	return r;
}
