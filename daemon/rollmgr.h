/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's side of certificate rollovers (DESIGN.md "Certificate
 * rollover"): for every domain with a `rollover { }` block, the engine's
 * state (certs/rollover), stored in the state db after every step and before
 * its actions run; the observations it steps on (the TLSA the authoritative
 * servers serve, asked directly by checks/tlsawatch, and the endpoints as the
 * domain's checks found them); its commands run off the loop by rollexec;
 * the staged certificate, the next key and the watched certificate file.
 * Runs on the event loop's thread only.
 */
#ifndef XDANE_DAEMON_ROLLMGR_H
#define XDANE_DAEMON_ROLLMGR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks/finding.h"

struct config;
struct event_base;
struct statedb;
struct buf;

struct rollmgr_env {
	struct event_base *base;
	struct statedb *db;  /* NULL: no rollover steps (nothing could be stored) */
	const char *key_dir; /* staged certificates and next keys live here (made 0700) */
	uint16_t auth_port;  /* of the authoritative servers (53; tests use others) */
	/* Asks for a check of domain now (its endpoints after a deploy). */
	void (*trigger)(void *arg, const char *domain);
	/* The domain's rollover phase or findings changed: render it again. */
	void (*changed)(void *arg, const char *domain);
	void *arg;
};

struct rollmgr;

int rollmgr_new(const struct rollmgr_env *env, struct rollmgr **ret);
/* Stops the watches and the command runner (waits for a command running) and frees. */
void rollmgr_free(struct rollmgr *m);

/*
 * Takes the rollover blocks of cfg (on start and after each reload; cfg
 * stays valid until the next call): resumes each stored rollover, starts
 * the new ones, and forgets the runtime of domains whose block is gone (their
 * stored state stays, for a block that comes back).
 */
int rollmgr_configure(struct rollmgr *m, const struct config *cfg);

/*
 * A check of domain finished (report as stored); started_at is when the
 * check was submitted (wall clock): endpoints probed before the last
 * command returned are not taken as news of it.
 */
void rollmgr_on_report(struct rollmgr *m, const char *domain, const json_t *report,
		       int64_t started_at);

/* Adds the domain's ROLLOVER_STALLED / ROLLOVER_FAILED findings to fl. */
int rollmgr_findings(const struct rollmgr *m, const char *domain, struct findings *fl);

/* The domain's phase name ("idle", ...), or NULL without a rollover. */
const char *rollmgr_phase(const struct rollmgr *m, const char *domain);

/*
 * Control requests. Each returns an HTTP status (200, 400, 404, 409, 500)
 * and a one-line message in msg.
 *  - stage: cert and key files (a reactive rollover, or the certificate for
 *    the next key), checked (key matches, valid for long enough, names the
 *    domain) and copied to key_dir before anything is published;
 *  - abort: back to idle, the new TLSA withdrawn;
 *  - status: a JSON object of one domain, or of every one (domain NULL);
 *  - next_key: the next key's path, or (csr) a CSR for it in PEM.
 */
unsigned rollmgr_stage(struct rollmgr *m, const char *domain, const char *cert, const char *key,
		       char *msg, size_t msglen);
unsigned rollmgr_abort(struct rollmgr *m, const char *domain, char *msg, size_t msglen);
unsigned rollmgr_status(const struct rollmgr *m, const char *domain, json_t **ret, char *msg,
			size_t msglen);
unsigned rollmgr_next_key(struct rollmgr *m, const char *domain, bool csr, struct buf *out,
			  char *msg, size_t msglen);

#endif
