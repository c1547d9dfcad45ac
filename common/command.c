/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command runner. The command is started with posix_spawnp (no shell;
 * safe from a thread of a multithreaded daemon, unlike a hand-rolled fork +
 * execvp) in a process group of its own, and reaped by its pid only, so a
 * daemon's other children are never touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/command.h"

extern char **environ;

/* Between looks at a command that closed its output but has not exited yet. */
#define COMMAND_REAP_POLL_US 5000

static int64_t command_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int command_find(const char *argv0)
{
	const char *path = getenv("PATH");
	const char *p;
	const char *colon;
	char *candidate;

	if (argv0 == NULL || argv0[0] == '\0') {
		return -ENOENT;
	}
	if (strchr(argv0, '/') != NULL) {
		return access(argv0, X_OK) == 0 ? 0 : -errno;
	}
	for (p = path != NULL ? path : "/usr/local/bin:/usr/bin:/bin"; *p != '\0';
	     p = *colon == ':' ? colon + 1 : colon) {
		colon = strchrnul(p, ':');
		/* An empty PATH element is the current directory, as for execvp. */
		if (colon == p) {
			if (asprintf(&candidate, "./%s", argv0) < 0) {
				return -ENOMEM;
			}
		} else if (asprintf(&candidate, "%.*s/%s", (int)(colon - p), p, argv0) < 0) {
			return -ENOMEM;
		}
		if (access(candidate, X_OK) == 0) {
			struct stat st;

			if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
				free(candidate);
				return 0;
			}
		}
		free(candidate);
		if (*colon == '\0') {
			break;
		}
	}
	return -ENOENT;
}

/* Keeps the last COMMAND_OUTPUT_MAX bytes the command wrote: errors come last. */
static void command_keep_output(char *out, size_t *len, bool *cut, const char *p, size_t n)
{
	if (n >= COMMAND_OUTPUT_MAX) {
		*cut = *cut || n > COMMAND_OUTPUT_MAX || *len > 0;
		memcpy(out, p + n - COMMAND_OUTPUT_MAX, COMMAND_OUTPUT_MAX);
		*len = COMMAND_OUTPUT_MAX;
		return;
	}
	if (*len + n > COMMAND_OUTPUT_MAX) {
		size_t drop = *len + n - COMMAND_OUTPUT_MAX;

		memmove(out, out + drop, *len - drop);
		*len -= drop;
		*cut = true;
	}
	memcpy(out + *len, p, n);
	*len += n;
}

/* Where a UTF-8 character starts at or after s: a cut never leaves half of one. */
static const char *command_char_start(const char *s)
{
	while (((unsigned char)*s & 0xc0) == 0x80) {
		s++;
	}
	return s;
}

/* Output as one log-safe line: control characters become spaces, runs of them one. */
static void command_flatten(char *s, size_t len)
{
	size_t i;
	size_t j = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			if (j > 0 && s[j - 1] != ' ') {
				s[j++] = ' ';
			}
		} else {
			s[j++] = (char)c;
		}
	}
	while (j > 0 && s[j - 1] == ' ') {
		j--;
	}
	s[j] = '\0';
}

/* The end of s that fits in size bytes (with its NUL), from a character's start. */
static void command_copy_tail(char *dst, size_t size, const char *s)
{
	size_t len = strlen(s);

	if (dst == NULL || size == 0) {
		return;
	}
	if (len >= size) {
		s = command_char_start(s + len - (size - 1));
	}
	snprintf(dst, size, "%s", s);
}

/* err = head + sep + output, cutting the start of the output when it does not fit. */
static void command_message(char *err, size_t size, const char *head, const char *sep,
			    const char *output)
{
	size_t fixed = strlen(head) + strlen(sep);
	size_t len = strlen(output);
	static const char ellipsis[] = "...";

	if (err == NULL || size == 0) {
		return;
	}
	if (fixed + len < size || fixed + sizeof(ellipsis) >= size) {
		snprintf(err, size, "%s%s%s", head, sep, output);
		return;
	}
	output = command_char_start(output + len - (size - 1 - fixed - (sizeof(ellipsis) - 1)));
	snprintf(err, size, "%s%s%s%s", head, sep, ellipsis, output);
}

static void command_fail(char *err, size_t size, const char *what, int e)
{
	char head[128];

	snprintf(head, sizeof(head), "%s: %s", what, strerror(e));
	command_message(err, size, head, "", "");
}

/* environ with extra_env added, replacing variables of the same name; the strings are borrowed. */
static int command_envp(char *const *extra_env, char ***ret)
{
	size_t n_env = 0;
	size_t n_extra = 0;
	size_t i, j, n = 0;
	char **envp;

	while (environ != NULL && environ[n_env] != NULL) {
		n_env++;
	}
	while (extra_env != NULL && extra_env[n_extra] != NULL) {
		if (strchr(extra_env[n_extra], '=') == NULL) {
			return -EINVAL;
		}
		n_extra++;
	}
	envp = calloc(n_env + n_extra + 1, sizeof(*envp));
	if (envp == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < n_env; i++) {
		bool replaced = false;

		for (j = 0; j < n_extra && !replaced; j++) {
			size_t name_len = (size_t)(strchr(extra_env[j], '=') - extra_env[j]);

			replaced = strncmp(environ[i], extra_env[j], name_len + 1) == 0;
		}
		if (!replaced) {
			envp[n++] = environ[i];
		}
	}
	for (j = 0; j < n_extra; j++) {
		envp[n++] = extra_env[j];
	}
	envp[n] = NULL;
	*ret = envp;
	return 0;
}

static int command_spawn(char *const *argv, char *const *envp, int out_fd, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	sigset_t dfl;
	static const int reset[] = {SIGPIPE, SIGCHLD, SIGHUP,  SIGINT,	SIGQUIT,
				    SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGXFSZ};
	size_t i;
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++) {
		sigaddset(&dfl, reset[i]);
	}
	/* stdin from /dev/null, stdout and stderr into the pipe; the daemon's signal mask
	 * and ignored signals are not the command's. */
	r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (r == 0) {
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	}
	if (r == 0) {
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	}
	if (r == 0) {
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
							    POSIX_SPAWN_SETSIGDEF);
	}
	if (r == 0) {
		r = posix_spawnattr_setpgroup(&attr, 0);
	}
	if (r == 0) {
		r = posix_spawnattr_setsigmask(&attr, &none);
	}
	if (r == 0) {
		r = posix_spawnattr_setsigdefault(&attr, &dfl);
	}
	if (r == 0) {
		r = posix_spawnp(ret_pid, argv[0], &fa, &attr, argv, envp);
	}
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

int command_run(char *const *argv, char *const *extra_env, int timeout_ms, char *out,
		size_t out_size, char *err, size_t err_size)
{
	return command_run_cancelable(argv, extra_env, timeout_ms, NULL, out, out_size, err,
				      err_size);
}

static bool command_cancelled(const atomic_bool *cancel)
{
	return cancel != NULL && atomic_load(cancel);
}

int command_run_cancelable(char *const *argv, char *const *extra_env, int timeout_ms,
			   const atomic_bool *cancel, char *out, size_t out_size, char *err,
			   size_t err_size)
{
	char output[COMMAND_OUTPUT_MAX + 1];
	char chunk[4096];
	char head[96];
	size_t out_len = 0;
	bool out_cut = false;
	char **envp = NULL;
	int pipefd[2] = {-1, -1};
	struct pollfd pfd;
	pid_t pid = -1;
	int64_t deadline = command_now_ms() + timeout_ms;
	int64_t left;
	bool timed_out = false, stopped = false;
	int status = 0;
	const char *shown;
	ssize_t n;
	pid_t w;
	int r;

	output[0] = '\0';
	command_copy_tail(out, out_size, "");
	if (timeout_ms <= 0) {
		r = -EINVAL;
		command_fail(err, err_size, "cannot be run: timeout", EINVAL);
		goto out;
	}
	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
		r = -ENOENT;
		command_fail(err, err_size, "cannot be run", ENOENT);
		goto out;
	}
	r = command_envp(extra_env, &envp);
	if (r < 0) {
		command_fail(err, err_size, "cannot be run: environment", -r);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		command_fail(err, err_size, "cannot be run: pipe", errno);
		goto out;
	}
	r = command_spawn(argv, envp, pipefd[1], &pid);
	if (r < 0) {
		pid = -1;
		command_fail(err, err_size, "cannot be run", -r);
		goto out;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	/* Read until EOF (every writer gone) or the deadline. */
	for (;;) {
		left = deadline - command_now_ms();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (command_cancelled(cancel)) {
			timed_out = stopped = true;
			break;
		}
		if (cancel != NULL && left > COMMAND_CANCEL_POLL_MS) {
			left = COMMAND_CANCEL_POLL_MS;
		}
		pfd.fd = pipefd[0];
		pfd.events = POLLIN;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			r = -errno;
			command_fail(err, err_size, "could not be watched: poll", errno);
			goto out;
		}
		if (r == 0) {
			continue;
		}
		n = read(pipefd[0], chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		command_keep_output(output, &out_len, &out_cut, chunk, (size_t)n);
	}
	/* The output is closed; the command may still be exiting (or has left a child
	 * holding nothing of ours): wait for it, up to the deadline. */
	while (!timed_out) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			pid = -1;
			break;
		}
		if (w < 0 && errno != EINTR) {
			r = -errno;
			command_fail(err, err_size, "could not be watched: waitpid", errno);
			goto out;
		}
		if (command_now_ms() >= deadline || command_cancelled(cancel)) {
			timed_out = true;
			stopped = command_cancelled(cancel);
			break;
		}
		usleep(COMMAND_REAP_POLL_US);
	}
	output[out_len] = '\0';
	command_flatten(output, out_len);
	shown = out_cut ? command_char_start(output) : output;
	command_copy_tail(out, out_size, shown);
	if (stopped) {
		r = -ECANCELED;
		command_message(err, err_size, "was stopped", "", "");
		goto out;
	}
	if (timed_out) {
		r = -ETIMEDOUT;
		snprintf(head, sizeof(head), "timed out after %d ms and was killed", timeout_ms);
		command_message(err, err_size, head, shown[0] != '\0' ? "; output: " : "", shown);
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r = 0;
		goto out;
	}
	r = -EIO;
	if (WIFEXITED(status)) {
		snprintf(head, sizeof(head), "exited with status %d", WEXITSTATUS(status));
		command_message(err, err_size, head, shown[0] != '\0' ? ": " : " (no output)",
				shown);
	} else {
		snprintf(head, sizeof(head), "was killed by signal %d", WTERMSIG(status));
		command_message(err, err_size, head, shown[0] != '\0' ? ": " : "", shown);
	}
out:
	if (pid > 0) {
		/* Timed out or failed half-way: the whole process group goes. */
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
		}
	}
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
	}
	if (pipefd[1] >= 0) {
		close(pipefd[1]);
	}
	free(envp);
	return r;
}
