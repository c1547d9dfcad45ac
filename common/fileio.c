/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounded whole-file reading. */
#include <errno.h>
#include <fcntl.h>
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
