/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the HTTP listeners answer (DESIGN.md "xdaned and its config"): the
 * read-only routes on the TCP listener, and those plus the mutating ones on
 * the control socket. Runs on the listeners' threads; reads the snapshot
 * and, for full reports, the state db through a reader of its own thread.
 *
 *   GET /metrics        Prometheus text format 0.0.4 (gzip'd when asked: gzpage.h)
 *   GET /status         {"domains": [DOMAIN_REPORT...]}
 *   GET /status/DOMAIN  DOMAIN_REPORT + active_findings (first seen) + rollover
 *   GET /healthz        200 while the scheduler runs, else 503
 *   GET /               the HTML overview
 *   POST /trigger/DOMAIN, POST /reload   control socket only
 */
#ifndef XDANE_DAEMON_ROUTES_H
#define XDANE_DAEMON_ROUTES_H

#include "daemon/httpd.h"

void routes_public(void *arg, void *thread_ctx, const struct httpd_request *req,
		   struct httpd_response *resp);
/*
 * The control socket: the read-only routes, POST /trigger/DOMAIN, POST
 * /reload, and the rollovers: GET /rollover[/DOMAIN] (JSON),
 * GET /rollover/DOMAIN/next-key (the path), GET /rollover/DOMAIN/csr (PEM),
 * POST /rollover/DOMAIN/stage with {"cert": PATH, "key": PATH},
 * POST /rollover/DOMAIN/abort.
 */
void routes_control(void *arg, void *thread_ctx, const struct httpd_request *req,
		    struct httpd_response *resp);

/* A state db reader for one listener thread, each its own (NULL if the db cannot be opened). */
void *routes_thread_init(void *arg);
void routes_thread_done(void *arg, void *thread_ctx);

#endif
