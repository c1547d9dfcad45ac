/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for common/fileio: bounded reads, atomic replacement, and their failures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"

static char tmp_path[] = "/tmp/xdane-test-fileio-XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(tmp_path);

	(void)state;
	if (fd < 0 || write(fd, "0123456789", 10) != 10) {
		return -1;
	}
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(tmp_path);
	return 0;
}

static void test_reads_whole_file(void **state)
{
	struct buf b;

	(void)state;
	assert_int_equal(fileio_read(tmp_path, 10, &b), 0);
	assert_int_equal(b.len, 10);
	assert_string_equal((char *)b.data, "0123456789");
	buf_release(&b);
}

static void test_too_big(void **state)
{
	struct buf b;

	(void)state;
	assert_int_equal(fileio_read(tmp_path, 9, &b), ERR_TOO_BIG);
	assert_null(b.data);
}

static void test_missing_and_directory(void **state)
{
	struct buf b;

	(void)state;
	assert_int_equal(fileio_read("/nonexistent/xdane", 100, &b), -ENOENT);
	assert_int_equal(fileio_read("/", 100, &b), -EISDIR);
}

static char dir[] = "/tmp/xdane-test-atomic-XXXXXX";

static void path_in(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void assert_content(const char *path, const char *want)
{
	struct buf b;

	assert_int_equal(fileio_read(path, 4096, &b), 0);
	assert_string_equal((char *)b.data, want);
	buf_release(&b);
}

/* Nothing but the named files is left in the directory (no temporary files). */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			n++;
		}
	}
	closedir(d);
	return n;
}

static void test_atomic_modes(void **state)
{
	char path[128];
	struct fileio_error err;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path_in(path, sizeof(path), "new");
	assert_int_equal(fileio_write_atomic(path, "one\n", 4, FILEIO_MODE_KEEP, &err), 0);
	assert_content(path, "one\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* The mode of the file replaced is kept. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(fileio_write_atomic(path, "two", 3, FILEIO_MODE_KEEP, &err), 0);
	assert_content(path, "two");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Or the one given. */
	assert_int_equal(fileio_write_atomic(path, "", 0, 0640, &err), 0);
	assert_content(path, "");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(fileio_write_atomic(path, "x", 1, 010000, &err), -EINVAL);
	assert_int_equal(entries(), 1);
	assert_int_equal(fileio_check_atomic(path, &err), 0);
	unlink(path);
}

/* A symbolic link stays a link; the file it points to is replaced. */
static void test_atomic_symlink(void **state)
{
	char target[128];
	char link[128];
	struct fileio_error err;
	struct stat st;

	(void)state;
	path_in(target, sizeof(target), "target");
	path_in(link, sizeof(link), "link");
	assert_int_equal(fileio_write_atomic(target, "old", 3, FILEIO_MODE_KEEP, &err), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(fileio_write_atomic(link, "new", 3, FILEIO_MODE_KEEP, &err), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_content(target, "new");
	unlink(link);
	unlink(target);
	assert_int_equal(entries(), 0);
}

static void test_atomic_refused(void **state)
{
	char path[128];
	struct fileio_error err;

	(void)state;
	assert_int_equal(fileio_write_atomic(dir, "x", 1, FILEIO_MODE_KEEP, &err), -EISDIR);
	assert_non_null(strstr(err.detail, "is not a regular file"));
	assert_int_equal(fileio_check_atomic(dir, &err), -EISDIR);
	assert_int_equal(
		fileio_write_atomic("/nonexistent/xdane/f", "x", 1, FILEIO_MODE_KEEP, &err),
		-ENOENT);
	assert_string_equal(err.detail, "creating a temporary file in '/nonexistent/xdane': No "
					"such file or directory");
	assert_int_equal(fileio_check_atomic("/nonexistent/xdane/f", &err), -ENOENT);
	path_in(path, sizeof(path), "dangling");
	assert_int_equal(symlink("/nonexistent/xdane/f", path), 0);
	assert_int_equal(fileio_write_atomic(path, "x", 1, FILEIO_MODE_KEEP, &err), -ENOENT);
	assert_non_null(strstr(err.detail, "resolving the link"));
	unlink(path);
	assert_int_equal(entries(), 0);
}

/*
 * The failures that matter: an unwritable directory, and a write that fails half-way
 * (RLIMIT_FSIZE stands in for a full disk). Each leaves the old file whole and no temporary
 * file behind. Run in a child: it drops privileges (as root the directory's permissions
 * would not apply) and limits its file size.
 */
static void test_atomic_failures(void **state)
{
	char path[160];
	char sub[128];
	char big[8192];
	struct fileio_error err;
	struct rlimit lim = {1000, 1000};
	pid_t pid;
	int status;

	(void)state;
	path_in(sub, sizeof(sub), "ro");
	snprintf(path, sizeof(path), "%s/file", sub);
	memset(big, 'x', sizeof(big));
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(fileio_write_atomic(path, "old", 3, 0644, &err), 0);
	assert_int_equal(chmod(sub, 0555), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
			_exit(10);
		}
		if (fileio_write_atomic(path, "new", 3, FILEIO_MODE_KEEP, &err) != -EACCES ||
		    strstr(err.detail, "creating a temporary file in") == NULL ||
		    strstr(err.detail, sub) == NULL) {
			_exit(11);
		}
		if (fileio_check_atomic(path, &err) != -EACCES) {
			_exit(12);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(chmod(sub, 0755), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &lim) != 0) {
			_exit(10);
		}
		if (fileio_write_atomic(path, big, sizeof(big), FILEIO_MODE_KEEP, &err) != -EFBIG ||
		    strstr(err.detail, "writing '") == NULL) {
			_exit(11);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_content(path, "old");
	unlink(path);
	rmdir(sub);
	assert_int_equal(entries(), 0);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_whole_file),      cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_missing_and_directory), cmocka_unit_test(test_atomic_modes),
		cmocka_unit_test(test_atomic_symlink),	      cmocka_unit_test(test_atomic_refused),
		cmocka_unit_test(test_atomic_failures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
