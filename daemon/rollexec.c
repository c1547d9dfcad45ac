/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rollover command runner: one worker thread, a FIFO of jobs under a
 * mutex, and a FIFO of results that a pipe hands back to the event loop. One
 * worker keeps the commands of a domain in the order the engine issued them
 * (a deploy never overtakes the publish before it) and results in
 * submission order; rollovers are rare, so nothing is lost by running one
 * command at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "certs/keygen.h"
#include "certs/rollover.h"
#include "certs/tlsa.h"
#include "common/command.h"
#include "common/err.h"
#include "common/fileio.h"
#include "daemon/rollexec.h"
#include "zonegen/fragment.h"
#include "zonegen/publish.h"
#include "zonegen/tsigkey.h"

/* A job with its result: queued, running, then done (waiting for the loop). */
struct rollexec_item {
	struct rollexec_item *next;
	struct rollexec_job *job;
	struct rollexec_result res;
};

struct rollexec_fifo {
	struct rollexec_item *head, *tail;
};

struct rollexec {
	struct event_base *loop;
	rollexec_done_fn done;
	void *arg;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool sync_made;
	/* Under lock: */
	struct rollexec_fifo queue;
	struct rollexec_fifo results;
	bool stopping;
	atomic_bool cancel; /* stopping: a deploy command running is killed */
	/* The loop's thread only: */
	size_t pending;
	int wake[2];
	struct event *wake_ev;
	unsigned depth; /* done callbacks on the stack */
	bool dying;	/* rollexec_stop ran inside a callback: free on the way out */
};

static void rollexec_fifo_push(struct rollexec_fifo *q, struct rollexec_item *it)
{
	it->next = NULL;
	if (q->tail != NULL) {
		q->tail->next = it;
	} else {
		q->head = it;
	}
	q->tail = it;
}

static struct rollexec_item *rollexec_fifo_pop(struct rollexec_fifo *q)
{
	struct rollexec_item *it = q->head;

	if (it != NULL) {
		q->head = it->next;
		if (q->head == NULL) {
			q->tail = NULL;
		}
		it->next = NULL;
	}
	return it;
}

static void rollexec_strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
		free(v[i]);
	}
	free(v);
}

void rollexec_job_free(struct rollexec_job *job)
{
	if (job == NULL) {
		return;
	}
	free(job->domain);
	free(job->zone);
	for (size_t i = 0; job->owners != NULL && i < job->n_owners; i++) {
		free(job->owners[i]);
	}
	free(job->owners);
	free(job->recs);
	free(job->fragment_path);
	rollexec_strv_free(job->reload_argv);
	free(job->zone_file);
	free(job->update_server);
	free(job->tsig_key_file);
	rollexec_strv_free(job->deploy_argv);
	free(job->cert_path);
	free(job->key_path);
	free(job);
}

static void rollexec_item_free(struct rollexec_item *it)
{
	if (it == NULL) {
		return;
	}
	rollexec_job_free(it->job);
	free(it);
}

static void rollexec_fifo_drop(struct rollexec_fifo *q)
{
	struct rollexec_item *it;

	while ((it = rollexec_fifo_pop(q)) != NULL) {
		rollexec_item_free(it);
	}
}

/* --- the jobs (worker thread) --------------------------------------------------------- */

/* Where a UTF-8 character starts at or after s. */
static const char *rollexec_char_start(const char *s)
{
	while (((unsigned char)*s & 0xc0) == 0x80) {
		s++;
	}
	return s;
}

/*
 * The result's error from a message of any length: one that does not fit
 * keeps its start (what failed) and its end (a command's last words), with
 * "..." between.
 */
static void rollexec_set_error(struct rollexec_result *res, const char *msg)
{
	size_t len = strlen(msg);
	size_t size = sizeof(res->error);
	size_t head = (size - 4) / 2;
	size_t tail = size - 4 - head;
	const char *t;

	if (len < size) {
		memcpy(res->error, msg, len + 1);
		return;
	}
	/* The head ends before a character that does not fit. */
	while (head > 0 && ((unsigned char)msg[head] & 0xc0) == 0x80) {
		head--;
	}
	t = rollexec_char_start(msg + len - tail);
	snprintf(res->error, size, "%.*s...%s", (int)head, msg, t);
}

static void rollexec_fail(struct rollexec_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rollexec_fail(struct rollexec_result *res, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rollexec_set_error(res, msg);
}

/* The engine's records at every owner of the job, as zonegen/fragment takes them. */
static int rollexec_fragment(const struct rollexec_job *job, struct fragment **ret,
			     struct rollexec_result *res)
{
	struct fragment *f = NULL;
	size_t i, j;
	int r;

	r = fragment_new(job->zone, job->ttl, &f);
	if (r < 0) {
		rollexec_fail(res, "zone '%s' with TTL %u: %s", job->zone, (unsigned)job->ttl,
			      err_str(r));
		goto out;
	}
	for (i = 0; i < job->n_owners; i++) {
		r = fragment_add_owner(f, job->owners[i]);
		if (r < 0) {
			rollexec_fail(res, "TLSA owner '%s': %s", job->owners[i],
				      r == ERR_PARSE ? "not a domain name in the zone"
						     : err_str(r));
			goto out;
		}
		for (j = 0; j < job->n_recs; j++) {
			const struct rollover_rec *rr = &job->recs[j];
			/* Borrowed data: fragment_add_tlsa copies the record. */
			struct tlsa_record rec = {rr->usage, rr->selector, rr->mtype,
						  (uint8_t *)rr->data, rr->len};

			r = fragment_add_tlsa(f, job->owners[i], &rec);
			if (r < 0) {
				rollexec_fail(res, "TLSA record %u %u %u at '%s': %s", rr->usage,
					      rr->selector, rr->mtype, job->owners[i], err_str(r));
				goto out;
			}
		}
	}
	*ret = f;
	f = NULL;
	r = 0;
out:
	fragment_free(f);
	return r;
}

static void rollexec_publish(const struct rollexec_job *job, struct rollexec_result *res)
{
	struct fragment *f = NULL;
	struct tsigkey *key = NULL;
	struct tsigkey_error terr;
	struct publish_error perr;
	int r;

	r = rollexec_fragment(job, &f, res);
	if (r < 0) {
		goto out;
	}
	if (job->update) {
		struct publish_update_opts o = {job->update_server, job->update_port, NULL,
						job->timeout_ms};

		if (job->tsig_key_file != NULL) {
			r = tsigkey_load(job->tsig_key_file, &key, &terr);
			if (r < 0) {
				rollexec_fail(res, "%s", terr.detail);
				goto out;
			}
			o.key = key;
		}
		r = publish_update(&o, f, &perr);
	} else {
		/* The mode of the fragment the operator made readable for the name server. */
		struct publish_file_opts o = {job->fragment_path, FILEIO_MODE_KEEP, job->zone_file,
					      job->reload_argv, job->timeout_ms};

		r = publish_file(&o, f, &perr);
	}
	if (r < 0) {
		rollexec_fail(res, "%s", perr.detail);
		goto out;
	}
	res->ok = true;
out:
	tsigkey_free(key);
	fragment_free(f);
}

static void rollexec_deploy(const struct rollexec_job *job, const atomic_bool *cancel,
			    struct rollexec_result *res)
{
	char *env[4] = {NULL, NULL, NULL, NULL};
	char msg[ROLLOVER_MSG_MAX];
	int prefix;
	int r;

	if (asprintf(&env[0], "XDANE_DOMAIN=%s", job->domain) < 0) {
		env[0] = NULL;
		goto nomem;
	}
	if (asprintf(&env[1], "XDANE_CERT=%s", job->cert_path) < 0) {
		env[1] = NULL;
		goto nomem;
	}
	if (asprintf(&env[2], "XDANE_KEY=%s", job->key_path) < 0) {
		env[2] = NULL;
		goto nomem;
	}
	/* The command's words fill what the name leaves, their end kept (command_run). */
	prefix = snprintf(msg, sizeof(msg), "deploy command '%s' ", job->deploy_argv[0]);
	if (prefix < 0 || (size_t)prefix >= sizeof(msg) - 32) {
		prefix = snprintf(msg, sizeof(msg), "deploy command ");
	}
	r = command_run_cancelable(job->deploy_argv, env,
				   job->timeout_ms > 0 ? job->timeout_ms
						       : ROLLEXEC_DEPLOY_TIMEOUT_MS,
				   cancel, NULL, 0, msg + prefix, sizeof(msg) - (size_t)prefix);
	if (r < 0) {
		rollexec_set_error(res, msg);
	} else {
		res->ok = true;
	}
	goto out;
nomem:
	rollexec_fail(res, "deploy command: %s", err_str(-ENOMEM));
out:
	for (size_t i = 0; i < 3; i++) {
		free(env[i]);
	}
}

static void rollexec_generate(const struct rollexec_job *job, struct rollexec_result *res)
{
	struct keygen_key *k = NULL;
	struct keygen_error kerr;
	struct rollover_key key;
	int r;

	r = keygen_generate(job->key_type, &k);
	if (r < 0) {
		rollexec_fail(res, "generating a key for '%s': %s", job->key_path, err_str(r));
		goto out;
	}
	/* Before the file is written: a key the engine cannot use is not left behind. */
	r = keygen_rollover_key(k, job->shapes, job->n_shapes, &key);
	if (r < 0) {
		rollexec_fail(res, "TLSA data of the key for '%s': %s", job->key_path, err_str(r));
		goto out;
	}
	r = keygen_write(k, job->key_path, &kerr);
	if (r < 0) {
		rollexec_fail(res, "writing the key: %s", kerr.detail);
		goto out;
	}
	res->key = key;
	res->ok = true;
out:
	keygen_free(k);
}

static void rollexec_run(struct rollexec *x, struct rollexec_item *it)
{
	const struct rollexec_job *job = it->job;

	switch (job->kind) {
	case ROLLEXEC_PUBLISH:
		rollexec_publish(job, &it->res);
		break;
	case ROLLEXEC_DEPLOY:
		rollexec_deploy(job, &x->cancel, &it->res);
		break;
	case ROLLEXEC_GENERATE:
		rollexec_generate(job, &it->res);
		break;
	}
	if (it->res.ok) {
		it->res.error[0] = '\0';
	}
}

static void rollexec_wake(struct rollexec *x)
{
	ssize_t n = write(x->wake[1], "", 1);

	(void)n; /* a full pipe is already a wake-up */
}

static void *rollexec_thread(void *arg)
{
	struct rollexec *x = arg;
	struct rollexec_item *it;

	for (;;) {
		pthread_mutex_lock(&x->lock);
		while (!x->stopping && x->queue.head == NULL) {
			pthread_cond_wait(&x->cond, &x->lock);
		}
		it = x->stopping ? NULL : rollexec_fifo_pop(&x->queue);
		pthread_mutex_unlock(&x->lock);
		if (it == NULL) {
			break;
		}
		rollexec_run(x, it);
		pthread_mutex_lock(&x->lock);
		rollexec_fifo_push(&x->results, it);
		pthread_mutex_unlock(&x->lock);
		rollexec_wake(x);
	}
	return NULL;
}

/* --- the loop's side ------------------------------------------------------------------ */

static void rollexec_destroy(struct rollexec *x);

/* The wake pipe is readable: results are waiting. Delivers them in order. */
static void rollexec_on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct rollexec *x = arg;
	struct rollexec_item *it;
	char buf[64];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0) {
	}
	x->depth++;
	while (!x->dying) {
		pthread_mutex_lock(&x->lock);
		it = rollexec_fifo_pop(&x->results);
		pthread_mutex_unlock(&x->lock);
		if (it == NULL) {
			break;
		}
		x->pending--;
		x->done(x->arg, &it->res);
		rollexec_item_free(it);
	}
	x->depth--;
	if (x->dying && x->depth == 0) {
		rollexec_destroy(x);
	}
}

int rollexec_start(struct event_base *loop, rollexec_done_fn done, void *arg, struct rollexec **ret)
{
	struct rollexec *x = calloc(1, sizeof(*x));
	sigset_t all, old;
	int r = -ENOMEM;

	if (x == NULL) {
		goto out;
	}
	x->loop = loop;
	x->done = done;
	x->arg = arg;
	x->wake[0] = x->wake[1] = -1;
	atomic_init(&x->cancel, false);
	if (pthread_mutex_init(&x->lock, NULL) != 0) {
		goto out;
	}
	if (pthread_cond_init(&x->cond, NULL) != 0) {
		pthread_mutex_destroy(&x->lock);
		goto out;
	}
	x->sync_made = true;
	if (pipe2(x->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		r = -errno;
		x->wake[0] = x->wake[1] = -1;
		goto out;
	}
	x->wake_ev = event_new(loop, x->wake[0], EV_READ | EV_PERSIST, rollexec_on_wake, x);
	if (x->wake_ev == NULL || event_add(x->wake_ev, NULL) < 0) {
		goto out;
	}
	/* The thread inherits a full mask: the loop's signals are never taken by it. Those a
	 * fault raises stay deliverable, for the sanitizers' reports and core dumps. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&x->thread, NULL, rollexec_thread, x);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		goto out;
	}
	x->thread_started = true;
	*ret = x;
	x = NULL;
	r = 0;
out:
	rollexec_destroy(x);
	return r;
}

/* Whether job has what its kind needs. */
static bool rollexec_job_valid(const struct rollexec_job *job)
{
	if (job->domain == NULL) {
		return false;
	}
	switch (job->kind) {
	case ROLLEXEC_PUBLISH:
		if (job->zone == NULL || (job->n_owners > 0 && job->owners == NULL) ||
		    (job->n_recs > 0 && job->recs == NULL)) {
			return false;
		}
		for (size_t i = 0; i < job->n_owners; i++) {
			if (job->owners[i] == NULL) {
				return false;
			}
		}
		for (size_t i = 0; i < job->n_recs; i++) {
			if (job->recs[i].len > ROLLOVER_DATA_MAX) {
				return false;
			}
		}
		return job->update ? job->update_server != NULL : job->fragment_path != NULL;
	case ROLLEXEC_DEPLOY:
		return job->deploy_argv != NULL && job->deploy_argv[0] != NULL &&
		       job->cert_path != NULL && job->key_path != NULL;
	case ROLLEXEC_GENERATE:
		return job->key_path != NULL && job->n_shapes <= ROLLOVER_SHAPE_MAX;
	}
	return false;
}

int rollexec_submit(struct rollexec *x, struct rollexec_job *job)
{
	struct rollexec_item *it = NULL;
	int r;

	if (x->dying) {
		r = -ESHUTDOWN;
		goto out;
	}
	if (job == NULL || !rollexec_job_valid(job)) {
		r = -EINVAL;
		goto out;
	}
	it = calloc(1, sizeof(*it));
	if (it == NULL) {
		r = -ENOMEM;
		goto out;
	}
	it->job = job;
	it->res.kind = job->kind;
	it->res.domain = job->domain;
	it->res.seq = job->seq;
	job = NULL;
	pthread_mutex_lock(&x->lock);
	rollexec_fifo_push(&x->queue, it);
	pthread_cond_signal(&x->cond);
	pthread_mutex_unlock(&x->lock);
	x->pending++;
	r = 0;
out:
	rollexec_job_free(job);
	return r;
}

size_t rollexec_pending(const struct rollexec *x)
{
	return x->pending;
}

/* Ends the worker after its running job; drops everything queued. */
static void rollexec_halt(struct rollexec *x)
{
	if (x->thread_started) {
		/* A deploy may run for minutes; it is idempotent and issued again on start. */
		atomic_store(&x->cancel, true);
		pthread_mutex_lock(&x->lock);
		x->stopping = true;
		pthread_cond_signal(&x->cond);
		pthread_mutex_unlock(&x->lock);
		pthread_join(x->thread, NULL);
		x->thread_started = false;
	}
	/* The worker is gone: no lock needed. */
	rollexec_fifo_drop(&x->queue);
	rollexec_fifo_drop(&x->results);
	x->pending = 0;
	if (x->wake_ev != NULL) {
		event_free(x->wake_ev);
		x->wake_ev = NULL;
	}
}

static void rollexec_destroy(struct rollexec *x)
{
	if (x == NULL) {
		return;
	}
	rollexec_halt(x);
	if (x->wake[0] >= 0) {
		close(x->wake[0]);
		close(x->wake[1]);
	}
	if (x->sync_made) {
		pthread_cond_destroy(&x->cond);
		pthread_mutex_destroy(&x->lock);
	}
	free(x);
}

void rollexec_stop(struct rollexec *x)
{
	if (x == NULL || x->dying) {
		return;
	}
	if (x->depth > 0) {
		/* Inside our callback: stop now, free when it returns. */
		x->dying = true;
		rollexec_halt(x);
		return;
	}
	rollexec_destroy(x);
}
