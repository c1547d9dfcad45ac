/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Running an outside command to completion: argv without a shell, stdin from
 * /dev/null, stdout and stderr captured (their end kept for the message), in
 * a process group of its own that is killed on timeout, reaped by its pid
 * only. Blocking and bounded by the timeout: call it off the event loop.
 * Which commands to run, and what their failure means, is the caller's.
 */
#ifndef XDANE_COMMON_COMMAND_H
#define XDANE_COMMON_COMMAND_H

#include <stdatomic.h>
#include <stddef.h>

/* Output kept for messages: the last bytes, where a command puts its error. */
#define COMMAND_OUTPUT_MAX 1024
/*
 * An err buffer of this size always holds the whole message with the whole
 * kept output ("timed out after N ms and was killed; output: ...").
 */
#define COMMAND_ERR_MAX (COMMAND_OUTPUT_MAX + 128)

/*
 * Whether argv0 names an executable file, directly (with a '/') or as
 * posix_spawnp finds it in PATH. 0, -ENOENT, -EACCES or another -errno.
 */
int command_find(const char *argv0);

/*
 * Runs argv (NULL-terminated; argv[0] searched in PATH when it has no '/')
 * with the environment of the process plus extra_env ("NAME=value",
 * NULL-terminated, replacing variables of the same name; may be NULL), the
 * signal mask cleared and the common signals at their defaults. Waits up to
 * timeout_ms for it to exit and close its output; past that, its whole
 * process group is killed (SIGKILL) and reaped.
 *
 * Returns 0 when it exited 0; -ETIMEDOUT; -EIO when it exited otherwise or
 * was killed by a signal; -errno when it could not be started (-ENOENT for
 * a missing command) or watched; -EINVAL for timeout_ms <= 0 or an extra_env
 * entry without '='. out (may be NULL) gets the end of its
 * output as one line (control characters made spaces), on success too. err
 * (may be NULL) gets, on failure, a phrase to follow the command's name,
 * ending in the output where there was some: "exited with status 3: ...",
 * "exited with status 1 (no output)", "was killed by signal 9",
 * "timed out after 300 ms and was killed; output: ...", "cannot be run: No
 * such file or directory". Where the message does not fit in err_size, the
 * start of the output is cut ("...") so that its end stays.
 */
int command_run(char *const *argv, char *const *extra_env, int timeout_ms, char *out,
		size_t out_size, char *err, size_t err_size);

/*
 * command_run that another thread can cut short: once *cancel is true, the
 * command's process group is killed within COMMAND_CANCEL_POLL_MS and
 * -ECANCELED returned (err: "was stopped"). A daemon stopping does not wait
 * out a deploy command's timeout; the command is idempotent and runs again.
 */
#define COMMAND_CANCEL_POLL_MS 100
int command_run_cancelable(char *const *argv, char *const *extra_env, int timeout_ms,
			   const atomic_bool *cancel, char *out, size_t out_size, char *err,
			   size_t err_size);

#endif
