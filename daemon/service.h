/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The running daemon (DESIGN.md "Architecture"): one event loop on the main
 * thread runs the scheduler, takes the checks' results from the runner's
 * workers, records them in the state db, fires the alert hooks and
 * publishes the snapshot the HTTP threads serve. The HTTP threads reach it
 * only through the functions below.
 */
#ifndef XDANE_DAEMON_SERVICE_H
#define XDANE_DAEMON_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"
#include "daemon/snapshot.h"

struct service;
struct gzpage;

/*
 * Runs the daemon with cfg (taken over) read from config_path until SIGTERM
 * or SIGINT. Returns the process exit code: 0 after a clean stop, 1 when it
 * could not start (the reason logged).
 */
int service_run(const char *config_path, struct config *cfg);

/* --- for the HTTP threads -------------------------------------------------------- */

/* The current snapshot, referenced (snapshot_release it); NULL before the first. */
struct snapshot *service_snapshot(struct service *s);
/* /metrics compressed, with a reference, or NULL: send it uncompressed (gzpage.h). */
struct gzpage *service_metrics_gzip(struct service *s);

/* Whether the loop ran recently (GET /healthz). */
bool service_healthy(struct service *s);

/* The state db's path, for a reader connection of the HTTP thread. */
const char *service_state_db(struct service *s);

/*
 * Asks the loop to check domain now, or to re-read the config. Blocks until
 * the loop answered (at most a few seconds); reply holds one line for the
 * client. Returns the HTTP status: 202 or 200, 404 unknown domain, 400 a
 * config error (the old config stays), 503 no answer from the loop.
 */
unsigned service_trigger(struct service *s, const char *domain, char *reply, size_t len);
unsigned service_reload(struct service *s, char *reply, size_t len);

/* Rollover requests of the control socket (daemon/rollmgr.h says what each does). */
enum service_rollover_op {
	SERVICE_ROLLOVER_STATUS, /* domain NULL: every rollover */
	SERVICE_ROLLOVER_STAGE,	 /* cert and key: paths of the files to stage */
	SERVICE_ROLLOVER_ABORT,
	SERVICE_ROLLOVER_NEXT_KEY, /* the next key's path */
	SERVICE_ROLLOVER_CSR,	   /* a CSR for the next key */
};

/*
 * Like service_trigger; the answer is either reply (one line) or *body
 * (malloc'd: JSON for status, text otherwise; NULL when there is none).
 */
unsigned service_rollover(struct service *s, enum service_rollover_op op, const char *domain,
			  const char *cert, const char *key, char **body, char *reply, size_t len);

#endif
