/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for zonegen/publish: the file publisher's steps, its checks, and the reload
 * command's exit status, output and timeout. The update publisher talks to a server and is
 * tested against the bed's named (tests/integration/test_publish.py).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit/testutil.h"

#include "certs/tlsa.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "zonegen/fragment.h"
#include "zonegen/publish.h"

static char dir[] = "/tmp/xdane-test-publish-XXXXXX";
static char frag_path[96];
static char zone_path[96];
static uint8_t d_a[32] = {0xaa};
static const struct tlsa_record rec_a = {3, 1, 1, d_a, sizeof(d_a)};

static int setup(void **state)
{
	FILE *fp;

	(void)state;
	if (mkdtemp(dir) == NULL) {
		return -1;
	}
	snprintf(frag_path, sizeof(frag_path), "%s/example.org.tlsa", dir);
	snprintf(zone_path, sizeof(zone_path), "%s/db.example.org", dir);
	fp = fopen(zone_path, "w");
	if (fp == NULL) {
		return -1;
	}
	fprintf(fp,
		"$TTL 60\n@ IN SOA ns1.example.org. host.example.org. 7 1 2 3 4\n"
		"@ IN NS ns1\n$INCLUDE \"%s\"\n",
		frag_path);
	fclose(fp);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(frag_path);
	unlink(zone_path);
	rmdir(dir);
	return 0;
}

static struct fragment *one_record(void)
{
	struct fragment *f = NULL;

	assert_int_equal(fragment_new("example.org", 300, &f), 0);
	assert_int_equal(fragment_add_tlsa(f, "_5222._tcp.xmpp.example.org", &rec_a), 0);
	return f;
}

static char *read_text(const char *path)
{
	struct buf b;
	char *s;

	assert_int_equal(fileio_read(path, 65536, &b), 0);
	s = strdup((char *)b.data);
	buf_release(&b);
	return s;
}

static void test_file_publishes(void **state)
{
	char *argv[] = {"sh",	   "-c",      "test -s \"$0\" && grep -q ' 8 1 2 3 4' \"$1\"",
			frag_path, zone_path, NULL};
	struct publish_file_opts o = {frag_path, FILEIO_MODE_KEEP, zone_path, argv, 0};
	struct publish_error err = {""};
	struct fragment *f = one_record();
	struct stat st;
	char *text;

	(void)state;
	assert_int_equal(publish_file_check(&o, &err), 0);
	/* The reload command sees the fragment written and the serial increased. */
	if (publish_file(&o, f, &err) != 0) {
		fail_msg("%s", err.detail);
	}
	text = read_text(frag_path);
	assert_non_null(strstr(text, "_5222._tcp.xmpp.example.org.\t300\tIN\tTLSA\t3 1 1 aa00"));
	free(text);
	text = read_text(zone_path);
	assert_non_null(strstr(text, "host.example.org. 8 1 2 3 4"));
	free(text);
	assert_int_equal(stat(frag_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	/* Again (the retry of a failed step): same fragment, next serial. */
	argv[2] = "true";
	o.fragment_mode = 0640;
	assert_int_equal(publish_file(&o, f, &err), 0);
	text = read_text(zone_path);
	assert_non_null(strstr(text, "host.example.org. 9 1 2 3 4"));
	free(text);
	assert_int_equal(stat(frag_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* Without zone file and reload command: only the fragment. */
	o.zone_file = NULL;
	o.reload_argv = NULL;
	assert_int_equal(publish_file(&o, f, &err), 0);
	text = read_text(zone_path);
	assert_non_null(strstr(text, "host.example.org. 9 1 2 3 4"));
	free(text);
	fragment_free(f);
}

static void test_reload_fails(void **state)
{
	char *exits[] = {"sh", "-c", "echo 'rndc: connect failed'; echo 'second line' >&2; exit 3",
			 NULL};
	char *silent[] = {"false", NULL};
	char *killed[] = {"sh", "-c", "kill -TERM $$", NULL};
	char *missing[] = {"/nonexistent/xdane-reload", NULL};
	struct publish_file_opts o = {frag_path, FILEIO_MODE_KEEP, NULL, exits, 0};
	struct publish_error err;
	struct fragment *f = one_record();

	(void)state;
	assert_int_equal(publish_file(&o, f, &err), -EIO);
	assert_string_equal(err.detail, "reload command 'sh' exited with status 3: rndc: connect "
					"failed second line");
	o.reload_argv = silent;
	assert_int_equal(publish_file(&o, f, &err), -EIO);
	assert_string_equal(err.detail, "reload command 'false' exited with status 1 (no output)");
	o.reload_argv = killed;
	assert_int_equal(publish_file(&o, f, &err), -EIO);
	assert_string_equal(err.detail, "reload command 'sh' was killed by signal 15");
	o.reload_argv = missing;
	assert_int_equal(publish_file(&o, f, &err), -ENOENT);
	assert_string_equal(err.detail, "reload command '/nonexistent/xdane-reload' cannot be run: "
					"No such file or directory");
	assert_int_equal(publish_file_check(&o, &err), -ENOENT);
	assert_string_equal(err.detail, "reload command '/nonexistent/xdane-reload' cannot be run: "
					"No such file or directory");
	fragment_free(f);
}

/* A hanging command and the child it started are killed at the timeout. */
static void test_reload_timeout(void **state)
{
	char pidfile[128];
	char *argv[] = {"sh", "-c", "echo started; sleep 30 & echo $! > \"$0\"; wait", pidfile,
			NULL};
	struct publish_file_opts o = {frag_path, FILEIO_MODE_KEEP, NULL, argv, 300};
	struct publish_error err;
	struct fragment *f = one_record();
	int64_t t0 = now_ms();
	char *text;
	long pid;

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/sleep.pid", dir);
	assert_int_equal(publish_file(&o, f, &err), -ETIMEDOUT);
	assert_true(now_ms() - t0 < 3000);
	assert_string_equal(err.detail,
			    "reload command 'sh' timed out after 300 ms and was killed; "
			    "output: started");
	text = read_text(pidfile);
	pid = strtol(text, NULL, 10);
	free(text);
	unlink(pidfile);
	assert_true(pid > 0);
	/* The background sleep was in the command's process group: gone, or a zombie waiting
	 * for a PID 1 that may never reap it (containers). */
	for (int i = 0; i < 100 && is_running((pid_t)pid); i++) {
		usleep(10000);
	}
	assert_false(is_running((pid_t)pid));
	fragment_free(f);
}

/* Output beyond PUBLISH_OUTPUT_MAX is read (the command never blocks on a full pipe) and
 * only its end kept. */
static void test_reload_output_bounded(void **state)
{
	char *argv[] = {"sh", "-c",
			"i=0; while [ $i -lt 3000 ]; do echo xxxxxxxxxxxxxxxxxxxxxxxx; "
			"i=$((i+1)); done; echo THE-END; exit 1",
			NULL};
	struct publish_file_opts o = {frag_path, FILEIO_MODE_KEEP, NULL, argv, 10000};
	struct publish_error err;
	struct fragment *f = one_record();
	size_t n;

	(void)state;
	assert_int_equal(publish_file(&o, f, &err), -EIO);
	n = strlen(err.detail);
	assert_true(n < 100 + PUBLISH_OUTPUT_MAX);
	assert_string_equal(err.detail + n - strlen("xxxx THE-END"), "xxxx THE-END");
	fragment_free(f);
}

static void test_check_refuses(void **state)
{
	char bad_zone[128];
	char *argv[] = {"true", NULL};
	struct publish_file_opts o = {NULL, FILEIO_MODE_KEEP, NULL, argv, 0};
	struct publish_error err;
	FILE *fp;

	(void)state;
	assert_int_equal(publish_file_check(&o, &err), ERR_PARSE);
	assert_string_equal(err.detail, "no fragment path");
	o.fragment = "/nonexistent/xdane/example.org.tlsa";
	assert_int_equal(publish_file_check(&o, &err), -ENOENT);
	assert_string_equal(err.detail, "fragment cannot be written: creating a temporary file in "
					"'/nonexistent/xdane': No such file or directory");
	o.fragment = dir;
	assert_int_equal(publish_file_check(&o, &err), -EISDIR);
	o.fragment = frag_path;
	o.zone_file = "/nonexistent/db";
	assert_int_equal(publish_file_check(&o, &err), -ENOENT);
	assert_string_equal(
		err.detail,
		"zone file '/nonexistent/db' cannot be read: No such file or directory");
	snprintf(bad_zone, sizeof(bad_zone), "%s/db.bad", dir);
	fp = fopen(bad_zone, "w");
	assert_non_null(fp);
	fputs("$TTL 60\n@ IN NS ns1\n@ IN SOA a b (1 2 3 4\n", fp);
	fclose(fp);
	o.zone_file = bad_zone;
	assert_int_equal(publish_file_check(&o, &err), ERR_PARSE);
	assert_non_null(strstr(err.detail, "line 3: '(' without ')'"));
	unlink(bad_zone);
	o.zone_file = zone_path;
	assert_int_equal(publish_file_check(&o, &err), 0);
	argv[0] = "xdane-no-such-command";
	assert_int_equal(publish_file_check(&o, &err), -ENOENT);
}

/* An unwritable fragment directory is found before anything is published. As root, the
 * check runs as nobody in a child, where the directory's permissions apply. */
static void test_check_unwritable(void **state)
{
	char sub[128];
	char frag[160];
	struct publish_file_opts o = {frag, FILEIO_MODE_KEEP, NULL, NULL, 0};
	struct publish_error err;
	pid_t pid;
	int status;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/ro", dir);
	snprintf(frag, sizeof(frag), "%s/example.org.tlsa", sub);
	assert_int_equal(mkdir(sub, 0555), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
			_exit(2);
		}
		if (publish_file_check(&o, &err) != -EACCES ||
		    strstr(err.detail, "creating a temporary file in") == NULL ||
		    strstr(err.detail, sub) == NULL ||
		    strstr(err.detail, "Permission denied") == NULL) {
			fprintf(stderr, "%s\n", err.detail);
			_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	rmdir(sub);
}

static void test_update_bad_options(void **state)
{
	struct publish_update_opts o = {"not-an-address", 53, NULL, 100};
	struct publish_error err;
	struct fragment *f = one_record();

	(void)state;
	assert_int_equal(publish_update(&o, f, &err), ERR_PARSE);
	assert_string_equal(err.detail, "update server 'not-an-address' is not an IP address");
	o.server = NULL;
	assert_int_equal(publish_update(&o, f, &err), ERR_PARSE);
	fragment_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_publishes),
		cmocka_unit_test(test_reload_fails),
		cmocka_unit_test(test_reload_timeout),
		cmocka_unit_test(test_reload_output_bounded),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_check_unwritable),
		cmocka_unit_test(test_update_bad_options),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
