/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for common/command: real /bin/sh children for the exit status,
 * the captured output and its bounds, the environment, the timeout that kills
 * the whole process group, and commands that cannot be run.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit/testutil.h"

#include "common/command.h"

static char dir[] = "/tmp/xdane-test-command-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static long read_pid(const char *path)
{
	FILE *fp = fopen(path, "r");
	long pid = -1;

	if (fp != NULL) {
		if (fscanf(fp, "%ld", &pid) != 1) {
			pid = -1;
		}
		fclose(fp);
	}
	return pid;
}

static void test_exit_zero(void **state)
{
	char *argv[] = {"sh", "-c", "echo hello; echo 'to stderr' >&2; printf 'a\\tb\\n'", NULL};
	char out[64] = "junk";
	char err[COMMAND_ERR_MAX] = "untouched";

	(void)state;
	assert_int_equal(command_run(argv, NULL, 5000, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "hello to stderr a b");
	assert_string_equal(err, "untouched"); /* written on failure only */
	/* out and err may be NULL. */
	assert_int_equal(command_run(argv, NULL, 5000, NULL, 0, NULL, 0), 0);
}

static void test_exit_nonzero(void **state)
{
	char *exits[] = {"sh", "-c", "echo 'rndc: connect failed'; echo 'second line' >&2; exit 3",
			 NULL};
	char *silent[] = {"false", NULL};
	char *killed[] = {"sh", "-c", "kill -KILL $$", NULL};
	char out[64];
	char err[COMMAND_ERR_MAX];

	(void)state;
	assert_int_equal(command_run(exits, NULL, 5000, out, sizeof(out), err, sizeof(err)), -EIO);
	assert_string_equal(err, "exited with status 3: rndc: connect failed second line");
	assert_string_equal(out, "rndc: connect failed second line");
	assert_int_equal(command_run(silent, NULL, 5000, out, sizeof(out), err, sizeof(err)), -EIO);
	assert_string_equal(err, "exited with status 1 (no output)");
	assert_string_equal(out, "");
	assert_int_equal(command_run(killed, NULL, 5000, NULL, 0, err, sizeof(err)), -EIO);
	assert_string_equal(err, "was killed by signal 9");
}

/* stdin is /dev/null: a command that reads it sees EOF at once instead of hanging. */
static void test_stdin_empty(void **state)
{
	char *argv[] = {"sh", "-c", "cat; echo done", NULL};
	char out[64];
	int64_t t0 = now_ms();

	(void)state;
	assert_int_equal(command_run(argv, NULL, 5000, out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "done");
	assert_true(now_ms() - t0 < 3000);
}

/* The command and everything it started (its process group) are killed at the timeout. */
static void test_timeout_kills_group(void **state)
{
	char pids[128];
	char *argv[] = {"sh", "-c",
			"echo started; echo $$ > \"$0\"; sleep 30 & echo $! >> \"$0\"; "
			"sleep 30",
			pids, NULL};
	char err[COMMAND_ERR_MAX];
	long pid[2] = {-1, -1};
	int64_t t0 = now_ms();
	int64_t took;
	FILE *fp;

	(void)state;
	snprintf(pids, sizeof(pids), "%s/pids", dir);
	assert_int_equal(command_run(argv, NULL, 300, NULL, 0, err, sizeof(err)), -ETIMEDOUT);
	took = now_ms() - t0;
	assert_true(took >= 300);
	assert_true(took < 3000);
	assert_string_equal(err, "timed out after 300 ms and was killed; output: started");
	fp = fopen(pids, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%ld %ld", &pid[0], &pid[1]), 2);
	fclose(fp);
	unlink(pids);
	assert_true(pid[0] > 0 && pid[1] > 0);
	/* The shell is reaped; the background sleep went to a PID 1 that may be slow to reap
	 * it (containers): gone or a zombie. */
	for (int i = 0; i < 100 && (is_running((pid_t)pid[0]) || is_running((pid_t)pid[1])); i++) {
		usleep(10000);
	}
	assert_false(is_running((pid_t)pid[0]));
	assert_false(is_running((pid_t)pid[1]));
	/* Silent until killed: no "; output:". */
	argv[2] = "sleep 30";
	assert_int_equal(command_run(argv, NULL, 100, NULL, 0, err, sizeof(err)), -ETIMEDOUT);
	assert_string_equal(err, "timed out after 100 ms and was killed");
}

static void *set_later(void *arg)
{
	usleep(200000);
	atomic_store((atomic_bool *)arg, true);
	return NULL;
}

/* Another thread can cut a command short: it is killed, and the caller told so. */
static void test_cancel(void **state)
{
	char *argv[] = {"sh", "-c", "echo started; sleep 30", NULL};
	char err[COMMAND_ERR_MAX];
	atomic_bool cancel;
	pthread_t t;
	int64_t t0;

	(void)state;
	atomic_init(&cancel, true);
	assert_int_equal(
		command_run_cancelable(argv, NULL, 30000, &cancel, NULL, 0, err, sizeof(err)),
		-ECANCELED);
	assert_string_equal(err, "was stopped");
	atomic_store(&cancel, false);
	assert_int_equal(pthread_create(&t, NULL, set_later, &cancel), 0);
	t0 = now_ms();
	assert_int_equal(
		command_run_cancelable(argv, NULL, 30000, &cancel, NULL, 0, err, sizeof(err)),
		-ECANCELED);
	assert_true(now_ms() - t0 < 10000); /* not the 30 s of the command */
	pthread_join(t, NULL);
	/* Not cancelled: as command_run. */
	atomic_store(&cancel, false);
	argv[2] = "exit 0";
	assert_int_equal(
		command_run_cancelable(argv, NULL, 5000, &cancel, NULL, 0, err, sizeof(err)), 0);
}

/* A command that exits at once but leaves a child holding its output: the timeout ends it. */
static void test_timeout_orphan_holds_output(void **state)
{
	char pidfile[128];
	char *argv[] = {"sh", "-c", "sleep 30 & echo $! > \"$0\"; exit 0", pidfile, NULL};
	char err[COMMAND_ERR_MAX];
	int64_t t0 = now_ms();
	long pid;

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/orphan.pid", dir);
	assert_int_equal(command_run(argv, NULL, 300, NULL, 0, err, sizeof(err)), -ETIMEDOUT);
	assert_true(now_ms() - t0 < 3000);
	pid = read_pid(pidfile);
	unlink(pidfile);
	assert_true(pid > 0);
	for (int i = 0; i < 100 && is_running((pid_t)pid); i++) {
		usleep(10000);
	}
	assert_false(is_running((pid_t)pid));
}

static void test_extra_env(void **state)
{
	char *argv[] = {"sh", "-c",
			"printf '%s|%s|%s|' \"$XDANE_A\" \"$XDANE_KEEP\" \"$XDANE_EMPTY\"; "
			"env | grep -c '^XDANE_KEEP='",
			NULL};
	char *extra[] = {"XDANE_A=one two", "XDANE_KEEP=replaced", "XDANE_EMPTY=", NULL};
	char *bad[] = {"NO_EQUALS_SIGN", NULL};
	char out[128];
	char err[COMMAND_ERR_MAX];

	(void)state;
	assert_int_equal(setenv("XDANE_KEEP", "kept", 1), 0);
	assert_int_equal(command_run(argv, NULL, 5000, out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "|kept||1");
	/* Added, and replacing the variable of the same name (once, not twice). */
	assert_int_equal(command_run(argv, extra, 5000, out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "one two|replaced||1");
	/* The process's own environment is left alone. */
	assert_string_equal(getenv("XDANE_KEEP"), "kept");
	assert_null(getenv("XDANE_A"));
	assert_int_equal(command_run(argv, bad, 5000, out, sizeof(out), err, sizeof(err)), -EINVAL);
	unsetenv("XDANE_KEEP");
}

static void test_cannot_run(void **state)
{
	char *missing[] = {"/nonexistent/xdane-command", NULL};
	char *not_in_path[] = {"xdane-no-such-command", NULL};
	char *empty[] = {NULL};
	char *ok[] = {"true", NULL};
	char out[16] = "junk";
	char err[COMMAND_ERR_MAX];

	(void)state;
	assert_int_equal(command_run(missing, NULL, 5000, out, sizeof(out), err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "cannot be run: No such file or directory");
	assert_string_equal(out, "");
	assert_int_equal(command_run(not_in_path, NULL, 5000, NULL, 0, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot be run: No such file or directory");
	assert_int_equal(command_run(empty, NULL, 5000, NULL, 0, err, sizeof(err)), -ENOENT);
	assert_int_equal(command_run(ok, NULL, 0, NULL, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(command_find("sh"), 0);
	assert_int_equal(command_find("/bin/sh"), 0);
	assert_int_equal(command_find("/nonexistent/xdane-command"), -ENOENT);
	assert_int_equal(command_find("xdane-no-such-command"), -ENOENT);
	assert_int_equal(command_find(""), -ENOENT);
}

/* Output beyond COMMAND_OUTPUT_MAX is read (no block on a full pipe); its end is kept. */
static void test_output_bounded(void **state)
{
	char *argv[] = {"sh", "-c",
			"i=0; while [ $i -lt 3000 ]; do echo xxxxxxxxxxxxxxxxxxxxxxxx; "
			"i=$((i+1)); done; echo THE-END; exit 1",
			NULL};
	char out[COMMAND_OUTPUT_MAX + 1];
	char small_out[8];
	char err[COMMAND_ERR_MAX];
	char small_err[48];
	size_t n;

	(void)state;
	assert_int_equal(command_run(argv, NULL, 10000, out, sizeof(out), err, sizeof(err)), -EIO);
	n = strlen(out);
	assert_true(n <= COMMAND_OUTPUT_MAX);
	assert_true(n > COMMAND_OUTPUT_MAX - 30);
	assert_string_equal(out + n - strlen("xxxx THE-END"), "xxxx THE-END");
	n = strlen(err);
	assert_true(n < COMMAND_ERR_MAX);
	assert_true(strncmp(err, "exited with status 1: xxx", 25) == 0);
	assert_string_equal(err + n - strlen("xxxx THE-END"), "xxxx THE-END");
	/* Small buffers keep the start of the message and the end of the output. */
	assert_int_equal(command_run(argv, NULL, 10000, small_out, sizeof(small_out), small_err,
				     sizeof(small_err)),
			 -EIO);
	assert_string_equal(small_out, "THE-END");
	assert_int_equal(strlen(small_err), sizeof(small_err) - 1);
	assert_true(strncmp(small_err, "exited with status 1: ...xx", 27) == 0);
	assert_string_equal(small_err + strlen(small_err) - strlen("xxxx THE-END"), "xxxx THE-END");
}

/* A cut never leaves half of a UTF-8 character at the start. */
static void test_output_cut_utf8(void **state)
{
	/* "é" is 2 bytes: 'x' then 600 of them puts the cut inside one whatever the parity. */
	char *argv[] = {"sh", "-c",
			"printf x; i=0; while [ $i -lt 600 ]; do printf '\\303\\251'; "
			"i=$((i+1)); done; exit 2",
			NULL};
	char out[10];
	char err[41];

	(void)state;
	assert_int_equal(command_run(argv, NULL, 5000, out, sizeof(out), err, sizeof(err)), -EIO);
	assert_string_equal(out, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_true(strncmp(err, "exited with status 2: ...\xc3\xa9", 27) == 0);
	assert_true(((unsigned char)err[strlen(err) - 1] & 0xc0) == 0x80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_zero),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_exit_nonzero),
		cmocka_unit_test(test_stdin_empty),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_timeout_orphan_holds_output),
		cmocka_unit_test(test_extra_env),
		cmocka_unit_test(test_cannot_run),
		cmocka_unit_test(test_output_bounded),
		cmocka_unit_test(test_output_cut_utf8),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
