/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/hooks: both payloads field by field, and real
 * deliveries on a real libevent loop: /bin/sh children for the exec hook, a
 * small HTTP server on a thread for the webhook. Loopback only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/err.h"
#include "daemon/hooks.h"

#define FIRING                                                                              \
	"{\"domain\":\"example.org\",\"code\":\"TLSA_MISMATCH\",\"severity\":\"critical\"," \
	"\"state\":\"firing\",\"service\":\"xmpp-client\",\"target\":\"xmpp.example.org\"," \
	"\"port\":5222,\"address\":\"192.0.2.1\",\"message\":\"no TLSA record matches\","   \
	"\"key\":\"k1\",\"starts_at\":\"2026-01-02T03:04:05Z\",\"ends_at\":null}"
#define RESOLVED                                                                                  \
	"{\"domain\":\"example.net\",\"code\":\"RRSIG_EXPIRED\",\"severity\":\"warning\","        \
	"\"state\":\"resolved\",\"service\":null,\"target\":null,\"port\":null,\"address\":null," \
	"\"message\":\"signatures "                                                               \
	"expired\",\"key\":\"k2\",\"starts_at\":\"2026-01-02T03:04:05Z\","                        \
	"\"ends_at\":\"2026-01-03T00:00:00Z\"}"

#define STATUS_URL "http://127.0.0.1:9470/"

/* The same labels computed by prometheus/common's LabelSet.Fingerprint (FNV-1a, in Python). */
#define FIRING_FINGERPRINT   "fb611a0c9cc981ea"
#define RESOLVED_FINGERPRINT "c05c30091d635285"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (v == NULL) {
		fail_msg("not JSON: %s: '%s'", e.text, text ? text : "(null)");
	}
	return v;
}

static void assert_str(json_t *o, const char *name, const char *want)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_string(v)) {
		fail_msg("%s: not a string", name);
	}
	assert_string_equal(json_string_value(v), want);
}

static void assert_firing_labels(json_t *l)
{
	assert_true(json_is_object(l));
	assert_int_equal(json_object_size(l), 9);
	assert_str(l, "alertname", "TLSA_MISMATCH");
	assert_str(l, "code", "TLSA_MISMATCH");
	assert_str(l, "domain", "example.org");
	assert_str(l, "severity", "critical");
	assert_str(l, "service", "xmpp-client");
	assert_str(l, "target", "xmpp.example.org");
	assert_str(l, "port", "5222");
	assert_str(l, "address", "192.0.2.1");
	assert_str(l, "instance", "mon1");
}

static void assert_resolved_labels(json_t *l)
{
	assert_true(json_is_object(l));
	assert_int_equal(json_object_size(l), 4);
	assert_str(l, "alertname", "RRSIG_EXPIRED");
	assert_str(l, "code", "RRSIG_EXPIRED");
	assert_str(l, "domain", "example.net");
	assert_str(l, "severity", "warning");
}

/* --- payloads ------------------------------------------------------------------------- */

static void am_firing(void **state)
{
	const char *ev[] = {FIRING};
	char *out = NULL;
	json_t *v;
	json_t *a;

	(void)state;
	assert_int_equal(hooks_alertmanager_payload(ev, 1, "mon1", STATUS_URL, &out), 0);
	v = parse(out);
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 1);
	a = json_array_get(v, 0);
	assert_int_equal(json_object_size(a), 4);
	assert_firing_labels(json_object_get(a, "labels"));
	assert_int_equal(json_object_size(json_object_get(a, "annotations")), 2);
	assert_str(json_object_get(a, "annotations"), "summary",
		   "domain 'example.org': TLSA_MISMATCH (critical)");
	assert_str(json_object_get(a, "annotations"), "description", "no TLSA record matches");
	assert_str(a, "startsAt", "2026-01-02T03:04:05Z");
	/* Firing: no endsAt, Alertmanager ends it resolve_timeout after the last push. */
	assert_null(json_object_get(a, "endsAt"));
	assert_str(a, "generatorURL", "http://127.0.0.1:9470/status/example.org");
	json_decref(v);
	free(out);
}

static void am_resolved_minimal(void **state)
{
	const char *ev[] = {RESOLVED};
	char *out = NULL;
	json_t *v;
	json_t *a;

	(void)state;
	assert_int_equal(hooks_alertmanager_payload(ev, 1, NULL, NULL, &out), 0);
	v = parse(out);
	a = json_array_get(v, 0);
	assert_resolved_labels(json_object_get(a, "labels"));
	assert_str(a, "startsAt", "2026-01-02T03:04:05Z");
	assert_str(a, "endsAt", "2026-01-03T00:00:00Z");
	assert_null(json_object_get(a, "generatorURL"));
	json_decref(v);
	free(out);
}

static void am_many_and_none(void **state)
{
	const char *ev[] = {FIRING, RESOLVED};
	char *out = NULL;
	json_t *v;

	(void)state;
	assert_int_equal(hooks_alertmanager_payload(ev, 2, "mon1", STATUS_URL, &out), 0);
	v = parse(out);
	assert_int_equal(json_array_size(v), 2);
	assert_firing_labels(json_object_get(json_array_get(v, 0), "labels"));
	assert_str(json_object_get(json_array_get(v, 1), "labels"), "domain", "example.net");
	json_decref(v);
	free(out);
	assert_int_equal(hooks_alertmanager_payload(ev, 0, NULL, NULL, &out), 0);
	assert_string_equal(out, "[]");
	free(out);
}

static void wh_firing(void **state)
{
	char *out = NULL;
	json_t *v;
	json_t *a;

	(void)state;
	assert_int_equal(hooks_webhook_payload(FIRING, "mon1", STATUS_URL, &out), 0);
	v = parse(out);
	assert_int_equal(json_object_size(v), 10);
	assert_str(v, "version", "4");
	assert_str(v, "receiver", "xdane");
	assert_str(v, "status", "firing");
	assert_str(v, "externalURL", STATUS_URL);
	assert_str(
		v, "groupKey",
		"{}:{address=\"192.0.2.1\", alertname=\"TLSA_MISMATCH\", code=\"TLSA_MISMATCH\", "
		"domain=\"example.org\", instance=\"mon1\", port=\"5222\", "
		"service=\"xmpp-client\", severity=\"critical\", target=\"xmpp.example.org\"}");
	assert_true(json_is_integer(json_object_get(v, "truncatedAlerts")));
	assert_int_equal(json_integer_value(json_object_get(v, "truncatedAlerts")), 0);
	assert_firing_labels(json_object_get(v, "groupLabels"));
	assert_firing_labels(json_object_get(v, "commonLabels"));
	assert_str(json_object_get(v, "commonAnnotations"), "description",
		   "no TLSA record matches");
	assert_int_equal(json_array_size(json_object_get(v, "alerts")), 1);
	a = json_array_get(json_object_get(v, "alerts"), 0);
	assert_int_equal(json_object_size(a), 7);
	assert_str(a, "status", "firing");
	assert_firing_labels(json_object_get(a, "labels"));
	assert_str(json_object_get(a, "annotations"), "summary",
		   "domain 'example.org': TLSA_MISMATCH (critical)");
	assert_str(a, "startsAt", "2026-01-02T03:04:05Z");
	assert_str(a, "endsAt", "0001-01-01T00:00:00Z");
	assert_str(a, "generatorURL", "http://127.0.0.1:9470/status/example.org");
	assert_str(a, "fingerprint", FIRING_FINGERPRINT);
	json_decref(v);
	free(out);
}

static void wh_resolved_minimal(void **state)
{
	char *out = NULL;
	json_t *v;
	json_t *a;

	(void)state;
	assert_int_equal(hooks_webhook_payload(RESOLVED, NULL, NULL, &out), 0);
	v = parse(out);
	assert_str(v, "status", "resolved");
	assert_str(v, "externalURL", "");
	assert_str(v, "groupKey",
		   "{}:{alertname=\"RRSIG_EXPIRED\", code=\"RRSIG_EXPIRED\", "
		   "domain=\"example.net\", severity=\"warning\"}");
	a = json_array_get(json_object_get(v, "alerts"), 0);
	assert_str(a, "status", "resolved");
	assert_resolved_labels(json_object_get(a, "labels"));
	assert_str(a, "endsAt", "2026-01-03T00:00:00Z");
	assert_str(a, "generatorURL", "");
	assert_str(a, "fingerprint", RESOLVED_FINGERPRINT);
	json_decref(v);
	free(out);
}

static void payload_bad_events(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{\"domain\":\"example.org\",\"severity\":\"critical\",\"state\":\"firing\"}",
		"{\"domain\":\"example.org\",\"code\":\"X\",\"severity\":\"critical\","
		"\"state\":\"bogus\"}",
		/* a resolve without endsAt would read as firing to Alertmanager */
		"{\"domain\":\"example.org\",\"code\":\"X\",\"severity\":\"critical\","
		"\"state\":\"resolved\",\"ends_at\":null}",
	};
	char *out = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hooks_alertmanager_payload(&bad[i], 1, NULL, NULL, &out),
				 ERR_PARSE);
		assert_int_equal(hooks_webhook_payload(bad[i], NULL, NULL, &out), ERR_PARSE);
	}
	assert_null(out);
}

/* --- the loop ------------------------------------------------------------------------- */

struct outcome {
	struct hooks *free_me; /* freed from inside done when set */
	int calls;
	bool ok;
	char why[512];
};

static void on_done(void *arg, bool ok, const char *why)
{
	struct outcome *o = arg;

	o->calls++;
	o->ok = ok;
	snprintf(o->why, sizeof(o->why), "%s", why ? why : "");
	if (o->free_me != NULL) {
		hooks_free(o->free_me);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Runs base until *flag, or *count, or max_ms: a ticking timer keeps checking. */
static void run_until(struct event_base *base, const int *calls, const struct hooks *h,
		      unsigned max_ms)
{
	struct timeval tv = {0, 20 * 1000};
	struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	struct timespec t0;
	struct timespec t;

	assert_non_null(tick);
	event_add(tick, &tv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (calls != NULL && *calls > 0) {
			break;
		}
		if (h != NULL && hooks_inflight(h) == 0) {
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >
		    (long)max_ms) {
			break;
		}
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(tick);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *slurp(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A process that exists and is not a zombie. */
static bool proc_running(long pid)
{
	char path[64];
	char *s;
	char *p;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	s = slurp(path);
	if (s == NULL) {
		return false;
	}
	p = strrchr(s, ')');
	return p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Waits up to 2 s for pid to be gone (an orphan is reaped by init, not by us). */
static bool proc_gone(long pid)
{
	for (int i = 0; i < 200; i++) {
		if (!proc_running(pid)) {
			return true;
		}
		usleep(10 * 1000);
	}
	return false;
}

struct fixture {
	struct event_base *base;
	char dir[64];
	char path[128];
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	f->base = event_base_new();
	snprintf(f->dir, sizeof(f->dir), "/tmp/xdane-hooks-XXXXXX");
	if (f->base == NULL || mkdtemp(f->dir) == NULL) {
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0) {
		return -1;
	}
	event_base_free(f->base);
	free(f);
	return 0;
}

static struct hooks *exec_hooks(struct fixture *f, const char *script, unsigned timeout_s)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	struct hooks_opts o = {.exec_argv = argv, .exec_timeout_s = timeout_s};
	struct hooks *h = NULL;
	char err[256];

	assert_int_equal(hooks_new(f->base, &o, &h, err, sizeof(err)), 0);
	return h;
}

/* --- exec ----------------------------------------------------------------------------- */

static void exec_env_and_stdin(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	char script[1024];
	char path[192];
	struct hooks *h;
	sigset_t usr1;
	sigset_t old;
	int leak;

	/* What the hook must not inherit: an fd, a blocked signal, an ignored one, stale XDANE_. */
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);
	signal(SIGUSR2, SIG_IGN);
	setenv("XDANE_CODE", "stale", 1);
	setenv("HOOKS_TEST_PASSTHROUGH", "yes", 1);

	snprintf(script, sizeof(script),
		 "printf '%%s\\n' \"$XDANE_DOMAIN\" \"$XDANE_CODE\" \"$XDANE_SEVERITY\" "
		 "\"$XDANE_STATE\" \"$XDANE_MESSAGE\" \"$HOOKS_TEST_PASSTHROUGH\" > %s/env; "
		 "cat > %s/stdin; "
		 "if [ -e /proc/$$/fd/%d ]; then echo leaked; else echo closed; fi > %s/checks; "
		 /* read by the shell itself: a forked grep would see dash's mask around vfork */
		 "while read -r l; do case $l in SigBlk*|SigIgn*) echo \"$l\";; esac; done "
		 "< /proc/self/status >> %s/checks; "
		 "echo to-stdout; echo to-stderr >&2",
		 f->dir, f->dir, leak, f->dir, f->dir);
	h = exec_hooks(f, script, 10);
	assert_int_equal(hooks_deliver(h, "exec", FIRING, on_done, &o), 0);
	assert_int_equal(o.calls, 0); /* never inside the call */
	assert_int_equal(hooks_inflight(h), 1);
	run_until(f->base, &o.calls, NULL, 10000);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR2, SIG_DFL);
	unsetenv("XDANE_CODE");
	close(leak);

	assert_int_equal(o.calls, 1);
	assert_true(o.ok);
	assert_int_equal(hooks_inflight(h), 0);
	snprintf(path, sizeof(path), "%s/env", f->dir);
	assert_string_equal(slurp(path), "example.org\nTLSA_MISMATCH\ncritical\nfiring\n"
					 "no TLSA record matches\nyes\n");
	snprintf(path, sizeof(path), "%s/stdin", f->dir);
	assert_string_equal(slurp(path), FIRING);
	snprintf(path, sizeof(path), "%s/checks", f->dir);
	assert_string_equal(slurp(path), "closed\nSigBlk:\t0000000000000000\n"
					 "SigIgn:\t0000000000000000\n");
	hooks_free(h);
}

static void exec_nonzero_exit(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	struct hooks *h = exec_hooks(f, "echo 'page failed' >&2; exit 3", 10);
	char path[192];
	int saved;
	int fd;

	/* The log goes to stderr: catch it to see the output and the status logged. */
	snprintf(path, sizeof(path), "%s/log", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	assert_int_equal(hooks_deliver(h, "exec", RESOLVED, on_done, &o), 0);
	run_until(f->base, &o.calls, NULL, 10000);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(o.calls, 1);
	assert_false(o.ok);
	assert_string_equal(o.why, "exit status 3");
	assert_string_equal(slurp(path), "xdane: domain 'example.net': exec hook (RRSIG_EXPIRED "
					 "resolved): exit status 3, output 'page failed\\n'\n");
	hooks_free(h);
}

static void exec_big_output(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	/* Far more than the pipe holds and than is kept: read and dropped, never blocking. */
	struct hooks *h = exec_hooks(f, "head -c 300000 /dev/zero | tr '\\000' x; exit 0", 10);

	assert_int_equal(hooks_deliver(h, "exec", FIRING, on_done, &o), 0);
	run_until(f->base, &o.calls, NULL, 10000);
	assert_int_equal(o.calls, 1);
	assert_true(o.ok);
	hooks_free(h);
}

static void read_pids(struct fixture *f, long pids[2])
{
	char path[192];
	char *s;

	snprintf(path, sizeof(path), "%s/pid", f->dir);
	s = slurp(path);
	assert_non_null(s);
	assert_int_equal(sscanf(s, "%ld %ld", &pids[0], &pids[1]), 2);
}

static void exec_timeout(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	char script[512];
	struct hooks *h;
	long pids[2];
	double t0;
	double dt;

	snprintf(script, sizeof(script), "echo $$ > %s/pid; sleep 30 & echo $! >> %s/pid; wait",
		 f->dir, f->dir);
	h = exec_hooks(f, script, 1);
	t0 = now_s();
	assert_int_equal(hooks_deliver(h, "exec", FIRING, on_done, &o), 0);
	run_until(f->base, &o.calls, NULL, 10000);
	dt = now_s() - t0;
	assert_int_equal(o.calls, 1);
	assert_false(o.ok);
	assert_string_equal(o.why, "timed out after 1s, killed with SIGTERM");
	assert_true(dt >= 0.9 && dt < 3.0);
	read_pids(f, pids);
	assert_true(proc_gone(pids[0]));
	assert_true(proc_gone(pids[1])); /* the shell's child too: the group was signalled */
	assert_int_equal(hooks_inflight(h), 0);
	hooks_free(h);
}

static void exec_timeout_sigkill(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	char script[512];
	struct hooks *h;
	long pids[2];

	/* Ignores SIGTERM, and so does its child: only SIGKILL ends them. */
	snprintf(script, sizeof(script),
		 "trap '' TERM; echo $$ > %s/pid; sleep 30 & echo $! >> %s/pid; "
		 "while :; do wait; done",
		 f->dir, f->dir);
	h = exec_hooks(f, script, 1);
	assert_int_equal(hooks_deliver(h, "exec", FIRING, on_done, &o), 0);
	run_until(f->base, &o.calls, NULL, 15000);
	assert_int_equal(o.calls, 1);
	assert_false(o.ok);
	assert_string_equal(o.why, "timed out after 1s, killed with SIGKILL");
	read_pids(f, pids);
	assert_true(proc_gone(pids[0]));
	assert_true(proc_gone(pids[1]));
	hooks_free(h);
}

static void exec_missing_program(void **state)
{
	struct fixture *f = *state;
	char *argv[] = {"/nonexistent/xdane-hook", NULL};
	struct hooks_opts opts = {.exec_argv = argv, .exec_timeout_s = 5};
	struct outcome o = {0};
	struct hooks *h = NULL;
	char err[256];

	assert_int_equal(hooks_new(f->base, &opts, &h, err, sizeof(err)), 0);
	assert_int_equal(hooks_deliver(h, "exec", FIRING, on_done, &o), -ENOENT);
	assert_int_equal(hooks_inflight(h), 0);
	assert_int_equal(hooks_deliver(h, "exec", "garbage", on_done, &o), ERR_PARSE);
	assert_int_equal(hooks_deliver(h, "webhook", FIRING, on_done, &o), ERR_NOT_FOUND);
	assert_int_equal(hooks_deliver(h, "pager", FIRING, on_done, &o), -EINVAL);
	assert_int_equal(o.calls, 0);
	hooks_free(h);
}

static void exec_free_in_flight(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	char script[512];
	struct hooks *h;
	long pids[2];

	snprintf(script, sizeof(script), "sleep 30 & echo $$ $! > %s/pid; wait", f->dir);
	h = exec_hooks(f, script, 60);
	assert_int_equal(hooks_deliver(h, "exec", FIRING, on_done, &o), 0);
	run_until(f->base, NULL, NULL, 300);
	read_pids(f, pids);
	assert_true(proc_running(pids[0]));
	hooks_free(h);
	assert_int_equal(o.calls, 0);
	assert_false(proc_running(pids[0])); /* killed and reaped by hooks_free itself */
	assert_true(proc_gone(pids[1]));
	/* Nothing of the delivery is left on the loop. */
	assert_int_equal(event_base_loop(f->base, EVLOOP_NONBLOCK), 1);
}

/* --- webhook -------------------------------------------------------------------------- */

enum srv_mode {
	SRV_OK,
	SRV_FAIL,
	SRV_SILENT,
};

/* One request on 127.0.0.1, answered as mode says. */
struct srv {
	int lfd;
	int port;
	enum srv_mode mode;
	pthread_t th;
	bool got;
	char method[16];
	char path[256];
	char ctype[128];
	char *body;
};

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct pollfd p = {.fd = s->lfd, .events = POLLIN};
	char buf[65536];
	size_t len = 0;
	size_t clen = 0;
	char *hend = NULL;
	int fd;

	if (poll(&p, 1, 10000) != 1 || (fd = accept(s->lfd, NULL, NULL)) < 0) {
		return NULL;
	}
	p.fd = fd;
	while (len < sizeof(buf) - 1) {
		ssize_t n;

		if (hend != NULL && len - (size_t)(hend + 4 - buf) >= clen) {
			break;
		}
		if (poll(&p, 1, 10000) != 1 ||
		    (n = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0) {
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (hend == NULL && (hend = strstr(buf, "\r\n\r\n")) != NULL) {
			char *cl = strcasestr(buf, "\r\nContent-Length:");
			char *ct = strcasestr(buf, "\r\nContent-Type:");

			clen = cl != NULL && cl < hend ? strtoul(cl + 17, NULL, 10) : 0;
			if (ct != NULL && ct < hend) {
				sscanf(ct + 15, " %127[^\r]", s->ctype);
			}
			sscanf(buf, "%15s %255s", s->method, s->path);
		}
	}
	if (hend != NULL) {
		s->got = true;
		s->body = strndup(hend + 4, len - (size_t)(hend + 4 - buf));
	}
	if (s->mode == SRV_OK) {
		const char r[] =
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

		(void)!write(fd, r, sizeof(r) - 1);
	} else if (s->mode == SRV_FAIL) {
		const char r[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n"
				 "Connection: close\r\n\r\nboom";

		(void)!write(fd, r, sizeof(r) - 1);
	} else {
		/* Never answers: waits for the client to give up and close. */
		while (poll(&p, 1, 10000) == 1 && read(fd, buf, sizeof(buf)) > 0) {
		}
	}
	close(fd);
	return NULL;
}

/* A socket bound to an ephemeral loopback port; listening unless for a refused connection. */
static void srv_bind(struct srv *s, bool listening)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);

	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	if (listening) {
		assert_int_equal(listen(s->lfd, 4), 0);
	}
}

static void srv_start(struct srv *s, enum srv_mode mode)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	srv_bind(s, true);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

/* Joins the server; what it got stays in s until srv_free. */
static void srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static void srv_free(struct srv *s)
{
	free(s->body);
	s->body = NULL;
}

static struct hooks *web_hooks(struct fixture *f, int port, enum webhook_format fmt,
			       unsigned timeout_s)
{
	struct hooks_opts o = {
		.webhook_url = f->path,
		.webhook_format = fmt,
		.webhook_timeout_s = timeout_s,
		.instance = "mon1",
		.status_url = STATUS_URL,
	};
	struct hooks *h = NULL;
	char err[256];

	snprintf(f->path, sizeof(f->path), "http://127.0.0.1:%d/api/v2/alerts", port);
	assert_int_equal(hooks_new(f->base, &o, &h, err, sizeof(err)), 0);
	return h;
}

static void web_alertmanager_ok(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	struct hooks *h;
	struct srv s;
	json_t *v;

	srv_start(&s, SRV_OK);
	h = web_hooks(f, s.port, WEBHOOK_ALERTMANAGER, 5);
	assert_int_equal(hooks_deliver(h, "webhook", FIRING, on_done, &o), 0);
	assert_int_equal(o.calls, 0);
	assert_int_equal(hooks_inflight(h), 1);
	run_until(f->base, &o.calls, NULL, 10000);
	srv_stop(&s);
	assert_int_equal(o.calls, 1);
	assert_true(o.ok);
	assert_int_equal(hooks_inflight(h), 0);
	assert_true(s.got);
	assert_string_equal(s.method, "POST");
	assert_string_equal(s.path, "/api/v2/alerts");
	assert_string_equal(s.ctype, "application/json");
	v = parse(s.body);
	assert_int_equal(json_array_size(v), 1);
	assert_firing_labels(json_object_get(json_array_get(v, 0), "labels"));
	json_decref(v);
	srv_free(&s);
	hooks_free(h);
}

static void web_webhook_format(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	struct hooks *h;
	struct srv s;
	json_t *v;

	srv_start(&s, SRV_OK);
	h = web_hooks(f, s.port, WEBHOOK_WEBHOOK, 5);
	/* done frees the hooks: nothing of them may be touched afterwards */
	o.free_me = h;
	assert_int_equal(hooks_deliver(h, "webhook", RESOLVED, on_done, &o), 0);
	run_until(f->base, &o.calls, NULL, 10000);
	srv_stop(&s);
	assert_int_equal(o.calls, 1);
	assert_true(o.ok);
	v = parse(s.body);
	assert_str(v, "version", "4");
	assert_str(v, "status", "resolved");
	/* RESOLVED's labels plus instance="mon1", in Python as above */
	assert_str(json_array_get(json_object_get(v, "alerts"), 0), "fingerprint",
		   "09fa1a8d3d64f307");
	json_decref(v);
	srv_free(&s);
}

static void web_http_500(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	char want[256];
	struct hooks *h;
	struct srv s;

	srv_start(&s, SRV_FAIL);
	h = web_hooks(f, s.port, WEBHOOK_ALERTMANAGER, 5);
	assert_int_equal(hooks_deliver(h, "webhook", FIRING, on_done, &o), 0);
	run_until(f->base, &o.calls, NULL, 10000);
	srv_stop(&s);
	assert_int_equal(o.calls, 1);
	assert_false(o.ok);
	snprintf(want, sizeof(want), "HTTP 500 from %s: 'boom'", f->path);
	assert_string_equal(o.why, want);
	srv_free(&s);
	hooks_free(h);
}

static void web_refused(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	struct hooks *h;
	struct srv s;

	memset(&s, 0, sizeof(s));
	srv_bind(&s, false); /* bound, not listening: the port refuses */
	h = web_hooks(f, s.port, WEBHOOK_ALERTMANAGER, 5);
	assert_int_equal(hooks_deliver(h, "webhook", FIRING, on_done, &o), 0);
	run_until(f->base, &o.calls, NULL, 10000);
	close(s.lfd);
	assert_int_equal(o.calls, 1);
	assert_false(o.ok);
	assert_non_null(strstr(o.why, f->path));
	assert_null(strchr(o.why, '\n'));
	hooks_free(h);
}

static void web_timeout(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	struct hooks *h;
	struct srv s;
	double t0;
	double dt;

	srv_start(&s, SRV_SILENT);
	h = web_hooks(f, s.port, WEBHOOK_ALERTMANAGER, 1);
	t0 = now_s();
	assert_int_equal(hooks_deliver(h, "webhook", FIRING, on_done, &o), 0);
	run_until(f->base, &o.calls, NULL, 10000);
	dt = now_s() - t0;
	assert_int_equal(o.calls, 1);
	assert_false(o.ok);
	assert_non_null(strstr(o.why, "timed out"));
	assert_true(dt >= 0.9 && dt < 3.0);
	hooks_free(h);
	srv_stop(&s); /* the server saw the client close */
	assert_true(s.got);
	srv_free(&s);
}

static void web_resend(void **state)
{
	struct fixture *f = *state;
	const char *ev[] = {FIRING, FIRING};
	struct hooks *h;
	struct srv s;
	json_t *v;

	srv_start(&s, SRV_OK);
	h = web_hooks(f, s.port, WEBHOOK_ALERTMANAGER, 5);
	assert_int_equal(hooks_resend(h, ev, 2), 0);
	assert_int_equal(hooks_inflight(h), 1);
	run_until(f->base, NULL, h, 10000);
	srv_stop(&s);
	assert_int_equal(hooks_inflight(h), 0);
	v = parse(s.body);
	assert_int_equal(json_array_size(v), 2);
	json_decref(v);
	srv_free(&s);
	hooks_free(h);

	/* Only Alertmanager wants re-sends. */
	h = web_hooks(f, s.port, WEBHOOK_WEBHOOK, 5);
	assert_int_equal(hooks_resend(h, ev, 2), 0);
	assert_int_equal(hooks_inflight(h), 0);
	hooks_free(h);
}

static void web_free_in_flight(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {0};
	struct hooks *h;
	struct srv s;

	srv_start(&s, SRV_SILENT);
	h = web_hooks(f, s.port, WEBHOOK_ALERTMANAGER, 30);
	assert_int_equal(hooks_deliver(h, "webhook", FIRING, on_done, &o), 0);
	run_until(f->base, NULL, NULL, 300);
	hooks_free(h);
	srv_stop(&s); /* returns once the request was dropped and the connection closed */
	assert_true(s.got);
	srv_free(&s);
	assert_int_equal(o.calls, 0);
	assert_int_equal(event_base_loop(f->base, EVLOOP_NONBLOCK), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(am_firing),
		cmocka_unit_test(am_resolved_minimal),
		cmocka_unit_test(am_many_and_none),
		cmocka_unit_test(wh_firing),
		cmocka_unit_test(wh_resolved_minimal),
		cmocka_unit_test(payload_bad_events),
		cmocka_unit_test_setup_teardown(exec_env_and_stdin, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_nonzero_exit, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_big_output, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_timeout, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_timeout_sigkill, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_missing_program, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_free_in_flight, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(web_alertmanager_ok, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(web_webhook_format, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(web_http_500, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(web_refused, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(web_timeout, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(web_resend, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(web_free_in_flight, fixture_setup,
						fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
