/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The blocking commands of certificate rollovers (DESIGN.md "Certificate
 * rollover"), run off the event loop: publishing a TLSA fragment (file +
 * reload, or RFC 2136 UPDATE), running the deploy command, generating a next
 * key. One worker thread takes the jobs in submission order; each result
 * comes back on the loop's thread, in the same order, through one callback.
 * What to run and what a result means is the rollover manager's; this module
 * neither logs nor retries.
 */
#ifndef XDANE_DAEMON_ROLLEXEC_H
#define XDANE_DAEMON_ROLLEXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certs/keygen.h"
#include "certs/rollover.h"

struct event_base;
struct rollexec;

/* When a job's timeout_ms is 0; the engine's deploy_timeout_s must not be shorter. */
#define ROLLEXEC_DEPLOY_TIMEOUT_MS 600000

enum rollexec_kind {
	ROLLEXEC_PUBLISH,
	ROLLEXEC_DEPLOY,
	ROLLEXEC_GENERATE,
};

/* Every pointer is malloc'd and owned by the job (rollexec_job_free frees them). */
struct rollexec_job {
	enum rollexec_kind kind;
	char *domain;
	uint32_t seq; /* the engine's action seq, echoed in the result */
	/*
	 * The command's or the update's limit (0: PUBLISH_RELOAD_TIMEOUT_MS,
	 * PUBLISH_UPDATE_TIMEOUT_MS, ROLLEXEC_DEPLOY_TIMEOUT_MS). rollexec_stop
	 * waits for a running job this long.
	 */
	int timeout_ms;

	/* PUBLISH: every record of recs at every owner (no records: the owners' TLSA withdrawn). */
	char *zone;
	uint32_t ttl;
	char **owners;
	size_t n_owners;
	struct rollover_rec *recs;
	size_t n_recs;
	bool update; /* the RFC 2136 publisher, else the file publisher */
	/* file: the fragment keeps its mode (0644 when new) and group, for the name server */
	char *fragment_path;
	char **reload_argv; /* NULL-terminated, or NULL: no reload */
	char *zone_file;    /* its SOA serial is increased; NULL: left alone */
	/* update */
	char *update_server;
	unsigned update_port; /* 0: 53 */
	char *tsig_key_file;  /* NULL: unsigned */

	/* DEPLOY: deploy_argv runs with XDANE_DOMAIN, XDANE_CERT and XDANE_KEY set. */
	char **deploy_argv; /* NULL-terminated */
	char *cert_path;
	char *key_path; /* also GENERATE's */

	/* GENERATE: a new key of key_type to key_path (0600, atomic); its view for shapes. */
	enum keygen_type key_type;
	struct rollover_tlsa_type shapes[ROLLOVER_SHAPE_MAX];
	size_t n_shapes;
};

struct rollexec_result {
	enum rollexec_kind kind;
	const char *domain; /* the job's; lives for the callback */
	uint32_t seq;
	bool ok;
	char error[ROLLOVER_MSG_MAX]; /* empty when ok; else one line naming the path, command
				       * or server, and why */
	struct rollover_key key;      /* GENERATE with ok */
};

/* Runs on the loop's thread; may submit jobs and may call rollexec_stop. */
typedef void (*rollexec_done_fn)(void *arg, const struct rollexec_result *r);

/*
 * Starts the worker thread (every signal but those of faults blocked in it:
 * they are the loop's) and watches loop for its results. Call the functions
 * below from the thread that runs loop; rollexec_stop before loop is freed.
 */
int rollexec_start(struct event_base *loop, rollexec_done_fn done, void *arg,
		   struct rollexec **ret);

/*
 * Queues job, taking it: it is freed here on error (-EINVAL for a job missing
 * what its kind needs, -ESHUTDOWN while stopping, -ENOMEM). The result comes
 * later through done, never inside this call.
 */
int rollexec_submit(struct rollexec *x, struct rollexec_job *job);

/* Jobs submitted whose result has not been delivered yet (queued, running or on the way). */
size_t rollexec_pending(const struct rollexec *x);

/*
 * Waits for the running job (bounded by its timeout), drops the queued ones
 * and undelivered results (done is not called again; the engine issues its
 * commands again after a restart) and frees x. NULL is a no-op.
 */
void rollexec_stop(struct rollexec *x);

void rollexec_job_free(struct rollexec_job *job);

#endif
