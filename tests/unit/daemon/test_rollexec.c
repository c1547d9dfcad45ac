/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/rollexec on a real libevent loop: deploy commands
 * (/bin/sh scripts in a temporary directory) with their environment, failure
 * and timeout; the file publisher writing a fragment and running its reload
 * command; key generation; results in submission order; and stopping with a
 * job running and another queued. No network: the update publisher is only
 * refused before it sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit/testutil.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "certs/keygen.h"
#include "certs/rollover.h"
#include "daemon/rollexec.h"

#define RESULTS_MAX 16

struct got {
	enum rollexec_kind kind;
	char domain[64];
	uint32_t seq;
	bool ok;
	char error[ROLLOVER_MSG_MAX];
	struct rollover_key key;
	size_t pending; /* rollexec_pending inside the callback */
};

struct fixture {
	char dir[64];
	struct event_base *base;
	struct rollexec *x;
	struct got got[RESULTS_MAX];
	size_t n;
	bool stop_in_callback; /* the first result stops x */
};

static const char *OWNERS[] = {"_5222._tcp.xmpp.example.org", "_5269._tcp.xmpp.example.org",
			       "_5223._tcp.xmpp.example.org"};

static void on_done(void *arg, const struct rollexec_result *r)
{
	struct fixture *f = arg;
	struct got *g;

	assert_true(f->n < RESULTS_MAX);
	g = &f->got[f->n++];
	g->kind = r->kind;
	snprintf(g->domain, sizeof(g->domain), "%s", r->domain);
	g->seq = r->seq;
	g->ok = r->ok;
	snprintf(g->error, sizeof(g->error), "%s", r->error);
	g->key = r->key;
	if (f->stop_in_callback) {
		rollexec_stop(f->x);
		f->x = NULL;
		f->stop_in_callback = false;
	} else {
		g->pending = rollexec_pending(f->x);
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "/tmp/xdane-test-rollexec-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		return -1;
	}
	f->base = event_base_new();
	if (f->base == NULL || rollexec_start(f->base, on_done, f, &f->x) != 0) {
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	rollexec_stop(f->x);
	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0) {
		return -1;
	}
	free(f);
	return 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Runs the loop until n results arrived or max_ms passed. */
static void run_until(struct fixture *f, size_t n, int max_ms)
{
	struct timeval tv = {0, 20 * 1000};
	struct event *tick = event_new(f->base, -1, EV_PERSIST, on_tick, NULL);
	int64_t t0 = now_ms();

	assert_non_null(tick);
	event_add(tick, &tv);
	while (f->n < n && now_ms() - t0 < max_ms) {
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	event_free(tick);
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	return p;
}

/* A malloc'd NULL-terminated copy of the n strings. */
static char **strv(size_t n, ...)
{
	char **v = calloc(n + 1, sizeof(*v));
	va_list ap;

	assert_non_null(v);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		v[i] = xstrdup(va_arg(ap, const char *));
	}
	va_end(ap);
	return v;
}

static struct rollexec_job *job_new(enum rollexec_kind kind, uint32_t seq)
{
	struct rollexec_job *job = calloc(1, sizeof(*job));

	assert_non_null(job);
	job->kind = kind;
	job->domain = xstrdup("example.org");
	job->seq = seq;
	return job;
}

static struct rollexec_job *deploy_job(struct fixture *f, uint32_t seq, char **argv)
{
	struct rollexec_job *job = job_new(ROLLEXEC_DEPLOY, seq);
	char path[128];

	job->deploy_argv = argv;
	snprintf(path, sizeof(path), "%s/new.crt", f->dir);
	job->cert_path = xstrdup(path);
	snprintf(path, sizeof(path), "%s/new.key", f->dir);
	job->key_path = xstrdup(path);
	job->timeout_ms = 10000;
	return job;
}

/* 3 1 1 and 3 1 2 records with recognisable data. */
static struct rollover_rec *two_recs(void)
{
	struct rollover_rec *recs = calloc(2, sizeof(*recs));

	assert_non_null(recs);
	recs[0] = (struct rollover_rec){3, 1, 1, 32, {0}};
	memset(recs[0].data, 0xab, 32);
	recs[1] = (struct rollover_rec){3, 1, 2, 64, {0}};
	memset(recs[1].data, 0xcd, 64);
	return recs;
}

static struct rollexec_job *publish_job(struct fixture *f, uint32_t seq, const char *fragment,
					char **reload)
{
	struct rollexec_job *job = job_new(ROLLEXEC_PUBLISH, seq);

	job->zone = xstrdup("example.org");
	job->ttl = 300;
	job->n_owners = sizeof(OWNERS) / sizeof(OWNERS[0]);
	job->owners = calloc(job->n_owners, sizeof(*job->owners));
	assert_non_null(job->owners);
	for (size_t i = 0; i < job->n_owners; i++) {
		job->owners[i] = xstrdup(OWNERS[i]);
	}
	job->recs = two_recs();
	job->n_recs = 2;
	job->fragment_path = xstrdup(fragment);
	job->reload_argv = reload;
	(void)f;
	return job;
}

static char *read_text(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *text = calloc(1, 65536);
	size_t n;

	assert_non_null(fp);
	assert_non_null(text);
	n = fread(text, 1, 65535, fp);
	text[n] = '\0';
	fclose(fp);
	return text;
}

static void write_script(const char *path, const char *body)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\n%s", body);
	fclose(fp);
	assert_int_equal(chmod(path, 0755), 0);
}

/* --- deploy --------------------------------------------------------------------------- */

static void test_deploy_env(void **state)
{
	struct fixture *f = *state;
	char script[128];
	char envfile[128];
	char want[512];
	char *text;

	snprintf(script, sizeof(script), "%s/deploy.sh", f->dir);
	snprintf(envfile, sizeof(envfile), "%s/env", f->dir);
	write_script(script, "printf 'domain=%s\\ncert=%s\\nkey=%s\\n' \"$XDANE_DOMAIN\" "
			     "\"$XDANE_CERT\" \"$XDANE_KEY\" > \"$1\"\necho deployed\n");
	assert_int_equal(rollexec_submit(f->x, deploy_job(f, 7, strv(2, script, envfile))), 0);
	assert_int_equal(rollexec_pending(f->x), 1);
	run_until(f, 1, 10000);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->got[0].kind, ROLLEXEC_DEPLOY);
	assert_string_equal(f->got[0].domain, "example.org");
	assert_int_equal(f->got[0].seq, 7);
	assert_true(f->got[0].ok);
	assert_string_equal(f->got[0].error, "");
	assert_int_equal(f->got[0].pending, 0);
	assert_int_equal(rollexec_pending(f->x), 0);
	text = read_text(envfile);
	snprintf(want, sizeof(want), "domain=example.org\ncert=%s/new.crt\nkey=%s/new.key\n",
		 f->dir, f->dir);
	assert_string_equal(text, want);
	free(text);
}

static void test_deploy_fails(void **state)
{
	struct fixture *f = *state;
	size_t n;

	assert_int_equal(rollexec_submit(f->x, deploy_job(f, 1,
							  strv(3, "sh", "-c",
							       "echo 'cannot copy the certificate' "
							       ">&2; exit 1"))),
			 0);
	/* Much output: the error keeps the command's name and its last words. */
	assert_int_equal(
		rollexec_submit(f->x, deploy_job(f, 2,
						 strv(3, "sh", "-c",
						      "i=0; while [ $i -lt 500 ]; do echo "
						      "xxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; "
						      "echo THE-END; exit 4"))),
		0);
	run_until(f, 2, 10000);
	assert_int_equal(f->n, 2);
	assert_false(f->got[0].ok);
	assert_string_equal(
		f->got[0].error,
		"deploy command 'sh' exited with status 1: cannot copy the certificate");
	assert_false(f->got[1].ok);
	n = strlen(f->got[1].error);
	assert_true(n < ROLLOVER_MSG_MAX);
	assert_true(n > ROLLOVER_MSG_MAX - 10);
	assert_true(strncmp(f->got[1].error, "deploy command 'sh' exited with status 4: ...xx",
			    47) == 0);
	assert_string_equal(f->got[1].error + n - strlen("xxx THE-END"), "xxx THE-END");
}

static void test_deploy_timeout(void **state)
{
	struct fixture *f = *state;
	struct rollexec_job *job = deploy_job(f, 3, strv(3, "sh", "-c", "sleep 30 & sleep 30"));
	int64_t t0 = now_ms();
	int64_t took;

	job->timeout_ms = 300;
	assert_int_equal(rollexec_submit(f->x, job), 0);
	run_until(f, 1, 10000);
	took = now_ms() - t0;
	assert_int_equal(f->n, 1);
	assert_false(f->got[0].ok);
	assert_string_equal(f->got[0].error,
			    "deploy command 'sh' timed out after 300 ms and was killed");
	assert_true(took >= 300);
	assert_true(took < 3000);
}

static void test_deploy_missing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
		rollexec_submit(f->x, deploy_job(f, 4, strv(1, "/nonexistent/xdane-deploy"))), 0);
	run_until(f, 1, 10000);
	assert_int_equal(f->n, 1);
	assert_false(f->got[0].ok);
	assert_string_equal(f->got[0].error, "deploy command '/nonexistent/xdane-deploy' cannot "
					     "be run: No such file or directory");
}

/* --- publish -------------------------------------------------------------------------- */

static void test_publish_file(void **state)
{
	struct fixture *f = *state;
	char frag[128];
	char line[256];
	char hex311[65];
	char hex312[129];
	struct stat st;
	struct rollexec_job *job;
	char *text;

	snprintf(frag, sizeof(frag), "%s/example.org.tlsa", f->dir);
	assert_int_equal(rollexec_submit(f->x, publish_job(f, 11, frag, strv(1, "true"))), 0);
	run_until(f, 1, 10000);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->got[0].kind, ROLLEXEC_PUBLISH);
	assert_int_equal(f->got[0].seq, 11);
	assert_true(f->got[0].ok);
	assert_string_equal(f->got[0].error, "");
	assert_int_equal(stat(frag, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644); /* the name server reads it */
	memset(hex311, 'a', 64);
	for (size_t i = 0; i < 64; i += 2) {
		hex311[i + 1] = 'b';
	}
	hex311[64] = '\0';
	for (size_t i = 0; i < 128; i += 2) {
		hex312[i] = 'c';
		hex312[i + 1] = 'd';
	}
	hex312[128] = '\0';
	text = read_text(frag);
	for (size_t i = 0; i < sizeof(OWNERS) / sizeof(OWNERS[0]); i++) {
		snprintf(line, sizeof(line), "\n%s.\t300\tIN\tTLSA\t3 1 1 %s\n", OWNERS[i], hex311);
		assert_non_null(strstr(text, line));
		snprintf(line, sizeof(line), "\n%s.\t300\tIN\tTLSA\t3 1 2 %s\n", OWNERS[i], hex312);
		assert_non_null(strstr(text, line));
	}
	assert_non_null(strstr(text, "; 6 record(s) at 3 owner(s), TTL 300.\n"));
	free(text);

	/* No records: every owner's TLSA withdrawn; the mode an operator gave is kept. */
	assert_int_equal(chmod(frag, 0640), 0);
	job = publish_job(f, 12, frag, NULL);
	job->n_recs = 0;
	assert_int_equal(rollexec_submit(f->x, job), 0);
	run_until(f, 2, 10000);
	assert_int_equal(f->n, 2);
	assert_true(f->got[1].ok);
	text = read_text(frag);
	assert_null(strstr(text, "\tTLSA\t"));
	assert_non_null(
		strstr(text, "; _5222._tcp.xmpp.example.org.: no TLSA records (withdrawn)"));
	free(text);
	assert_int_equal(stat(frag, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_publish_fails(void **state)
{
	struct fixture *f = *state;
	char frag[128];
	char missing[128];
	char keyfile[128];
	struct rollexec_job *job;
	FILE *fp;

	snprintf(frag, sizeof(frag), "%s/example.org.tlsa", f->dir);
	snprintf(missing, sizeof(missing), "%s/no-such-dir/example.org.tlsa", f->dir);
	assert_int_equal(rollexec_submit(f->x, publish_job(f, 1, frag, strv(1, "false"))), 0);
	assert_int_equal(rollexec_submit(f->x, publish_job(f, 2, missing, strv(1, "true"))), 0);
	/* A record the zone cannot hold: an owner outside the zone. */
	job = publish_job(f, 3, frag, NULL);
	free(job->owners[1]);
	job->owners[1] = xstrdup("_5222._tcp.xmpp.example.net");
	assert_int_equal(rollexec_submit(f->x, job), 0);
	/* The update publisher refuses a TSIG key file others can read before it sends. */
	snprintf(keyfile, sizeof(keyfile), "%s/tsig.key", f->dir);
	fp = fopen(keyfile, "w");
	assert_non_null(fp);
	fputs("key \"k\" { algorithm hmac-sha256; secret \"c2VjcmV0\"; };\n", fp);
	fclose(fp);
	assert_int_equal(chmod(keyfile, 0644), 0);
	job = publish_job(f, 4, frag, NULL);
	job->update = true;
	job->update_server = xstrdup("127.0.0.1");
	job->tsig_key_file = xstrdup(keyfile);
	assert_int_equal(rollexec_submit(f->x, job), 0);
	/* A long reload error keeps what failed and the command's last words. */
	assert_int_equal(
		rollexec_submit(f->x, publish_job(f, 5, frag,
						  strv(3, "sh", "-c",
						       "i=0; while [ $i -lt 500 ]; do "
						       "echo yyyyyyyyyy; i=$((i+1)); done; "
						       "echo THE-END; exit 2"))),
		0);
	run_until(f, 5, 10000);
	assert_int_equal(f->n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(f->got[i].seq, i + 1);
		assert_false(f->got[i].ok);
	}
	assert_string_equal(f->got[0].error,
			    "reload command 'false' exited with status 1 (no output)");
	/* The path that could not be written is named. */
	assert_non_null(strstr(f->got[1].error, "writing the fragment"));
	missing[strlen(missing) - strlen("/example.org.tlsa")] = '\0';
	assert_non_null(strstr(f->got[1].error, missing));
	assert_string_equal(
		f->got[2].error,
		"TLSA owner '_5222._tcp.xmpp.example.net': not a domain name in the zone");
	assert_non_null(strstr(f->got[3].error, keyfile));
	assert_non_null(strstr(f->got[3].error, "has mode 0644"));
	assert_true(strlen(f->got[4].error) < ROLLOVER_MSG_MAX);
	assert_true(strncmp(f->got[4].error, "reload command 'sh' exited with status 2: yyy", 45) ==
		    0);
	assert_non_null(strstr(f->got[4].error, "..."));
	assert_string_equal(f->got[4].error + strlen(f->got[4].error) - strlen("yyy THE-END"),
			    "yyy THE-END");
}

/* --- generate ------------------------------------------------------------------------- */

static void test_generate(void **state)
{
	struct fixture *f = *state;
	struct rollexec_job *job = job_new(ROLLEXEC_GENERATE, 21);
	const struct rollover_tlsa_type shapes[] = {{3, 1, 1}, {3, 1, 2}};
	struct keygen_key *k = NULL;
	struct keygen_error kerr;
	struct rollover_key want;
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/next.key", f->dir);
	job->key_type = KEYGEN_EC_P256;
	job->key_path = xstrdup(path);
	memcpy(job->shapes, shapes, sizeof(shapes));
	job->n_shapes = 2;
	assert_int_equal(rollexec_submit(f->x, job), 0);
	/* Into a directory that is not there: fails, naming the file. */
	job = job_new(ROLLEXEC_GENERATE, 22);
	snprintf(path, sizeof(path), "%s/missing/next.key", f->dir);
	job->key_path = xstrdup(path);
	assert_int_equal(rollexec_submit(f->x, job), 0);
	run_until(f, 2, 20000);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->got[0].kind, ROLLEXEC_GENERATE);
	assert_int_equal(f->got[0].seq, 21);
	assert_true(f->got[0].ok);
	snprintf(path, sizeof(path), "%s/next.key", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(keygen_load(path, &k, &kerr), 0);
	assert_int_equal(keygen_rollover_key(k, shapes, 2, &want), 0);
	keygen_free(k);
	assert_memory_equal(f->got[0].key.spki_sha256, want.spki_sha256, ROLLOVER_DIGEST_LEN);
	assert_false(f->got[0].key.has_cert);
	assert_memory_equal(f->got[0].key.data[0], want.data[0], 32);
	assert_memory_equal(f->got[0].key.data[1], want.data[1], 64);
	assert_false(f->got[1].ok);
	assert_non_null(strstr(f->got[1].error, "/missing"));
}

/* --- the queue ------------------------------------------------------------------------ */

/* One worker, one order: a slow job first does not let the quick ones overtake it. */
static void test_order(void **state)
{
	struct fixture *f = *state;
	char frag[128];
	struct rollexec_job *gen = job_new(ROLLEXEC_GENERATE, 3);
	char path[128];

	snprintf(frag, sizeof(frag), "%s/example.org.tlsa", f->dir);
	snprintf(path, sizeof(path), "%s/next.key", f->dir);
	gen->key_path = xstrdup(path);
	assert_int_equal(rollexec_submit(f->x, deploy_job(f, 1, strv(2, "sleep", "0.3"))), 0);
	assert_int_equal(rollexec_submit(f->x, publish_job(f, 2, frag, strv(1, "true"))), 0);
	assert_int_equal(rollexec_submit(f->x, gen), 0);
	assert_int_equal(rollexec_submit(f->x, deploy_job(f, 4, strv(1, "false"))), 0);
	assert_int_equal(rollexec_submit(f->x, publish_job(f, 5, frag, NULL)), 0);
	assert_int_equal(rollexec_pending(f->x), 5);
	run_until(f, 5, 20000);
	assert_int_equal(f->n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(f->got[i].seq, i + 1);
		assert_int_equal(f->got[i].pending, 4 - i);
		assert_int_equal(f->got[i].ok, i != 3);
	}
	assert_int_equal(f->got[2].kind, ROLLEXEC_GENERATE);
}

/*
 * Stopping kills a deploy command running (it is idempotent and issued again
 * after a restart) instead of waiting out its timeout; the queued one never
 * runs, no result comes.
 */
static void test_stop_drops_queued(void **state)
{
	struct fixture *f = *state;
	char started[128];
	char ran[128];
	char script[512];
	int64_t t0;
	int64_t took;
	FILE *pidfile;
	int pid = 0;

	snprintf(started, sizeof(started), "%s/started", f->dir);
	snprintf(ran, sizeof(ran), "%s/ran", f->dir);
	snprintf(script, sizeof(script), "echo $$ > '%s.tmp'; mv '%s.tmp' '%s'; exec sleep 30",
		 started, started, started);
	assert_int_equal(rollexec_submit(f->x, deploy_job(f, 1, strv(3, "sh", "-c", script))), 0);
	snprintf(script, sizeof(script), "touch '%s'; sleep 30", ran);
	assert_int_equal(rollexec_submit(f->x, deploy_job(f, 2, strv(3, "sh", "-c", script))), 0);
	t0 = now_ms();
	while (access(started, F_OK) != 0 && now_ms() - t0 < 5000) {
		usleep(10000);
	}
	assert_int_equal(access(started, F_OK), 0);
	pidfile = fopen(started, "r");
	assert_non_null(pidfile);
	assert_int_equal(fscanf(pidfile, "%d", &pid), 1);
	fclose(pidfile);
	t0 = now_ms();
	rollexec_stop(f->x);
	f->x = NULL;
	took = now_ms() - t0;
	assert_true(took < 10000); /* not the 30 s the command would take */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH); /* killed and reaped */
	assert_int_equal(access(ran, F_OK), -1);
	/* The result of the running job is dropped, and nothing is left on the loop. */
	assert_int_equal(event_base_loop(f->base, EVLOOP_NONBLOCK), 1);
	assert_int_equal(f->n, 0);
}

/* The callback may stop the runner: later results are not delivered, x is freed after it. */
static void test_stop_in_callback(void **state)
{
	struct fixture *f = *state;
	char ran[128];
	char script[256];

	snprintf(ran, sizeof(ran), "%s/ran", f->dir);
	snprintf(script, sizeof(script), "sleep 0.3; touch '%s'", ran);
	f->stop_in_callback = true;
	assert_int_equal(rollexec_submit(f->x, deploy_job(f, 1, strv(1, "true"))), 0);
	assert_int_equal(rollexec_submit(f->x, deploy_job(f, 2, strv(3, "sh", "-c", script))), 0);
	assert_int_equal(rollexec_submit(f->x, deploy_job(f, 3, strv(1, "true"))), 0);
	run_until(f, 3, 2000);
	assert_int_equal(f->n, 1);
	assert_null(f->x);
	assert_int_equal(event_base_loop(f->base, EVLOOP_NONBLOCK), 1);
}

static void test_submit_refused(void **state)
{
	struct fixture *f = *state;
	struct rollexec_job *job;

	/* Each is freed by rollexec_submit (the sanitizer build finds a leak otherwise). */
	job = job_new(ROLLEXEC_DEPLOY, 1);
	assert_int_equal(rollexec_submit(f->x, job), -EINVAL);
	job = publish_job(f, 2, "/tmp/x", NULL);
	free(job->fragment_path);
	job->fragment_path = NULL;
	assert_int_equal(rollexec_submit(f->x, job), -EINVAL);
	job = publish_job(f, 3, "/tmp/x", NULL);
	job->update = true;
	assert_int_equal(rollexec_submit(f->x, job), -EINVAL);
	job = job_new(ROLLEXEC_GENERATE, 4);
	assert_int_equal(rollexec_submit(f->x, job), -EINVAL);
	assert_int_equal(rollexec_submit(f->x, NULL), -EINVAL);
	assert_int_equal(rollexec_pending(f->x), 0);
	rollexec_job_free(NULL);
	rollexec_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deploy_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deploy_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deploy_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deploy_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_drops_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
