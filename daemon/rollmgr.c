/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rollovers in the daemon: the glue between the pure engine (certs/rollover)
 * and the world. Every step goes the same way: gather the news (a command's
 * result, what the servers serve, what the endpoints present), call
 * rollover_step, store the new state with its transition in one transaction,
 * and only then hand the actions to rollexec. A crash between the store and
 * the action loses nothing: rollover_resume re-issues commands on start, and
 * publishers and the deploy command are idempotent by contract.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "certs/cert.h"
#include "certs/keygen.h"
#include "certs/pkey.h"
#include "certs/rollover.h"
#include "certs/stage.h"
#include "checks/tlsawatch.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"
#include "daemon/config.h"
#include "daemon/rollexec.h"
#include "daemon/rollmgr.h"
#include "daemon/statedb.h"
#include "zonegen/publish.h"
#include "zonegen/tsigkey.h"

/* How often the servers are asked while a rollover moves, and while it rests. */
#define RM_POLL_BUSY_MS	  1000
#define RM_POLL_IDLE_MS	  60000
#define RM_DNS_TIMEOUT_MS 3000
/* The endpoints are checked again at most this often while the engine waits for them. */
#define RM_TRIGGER_S 2
/* A staged certificate must stay valid at least this long. */
#define RM_STAGE_MARGIN_S 86400
/* Endpoints of one domain the engine is told about (service x target x address). */
#define RM_MAX_ENDPOINTS 64
#define RM_PATH_MAX	 4096
/* Backoff between retries doubles up to this (or retry-interval, if longer). */
#define RM_BACKOFF_MAX_S 3600
/* stall-timeout in `deployed` is this many times longer. */
#define RM_DEPLOYED_STALL_FACTOR 6

struct rm_server {
	char name[FACTS_NAME_MAX];
	char address[FACTS_ADDR_MAX];
};

struct rm_domain {
	struct rollmgr *m;
	struct rm_domain *next;
	char *name;
	const struct config_rollover *ro; /* the current config's; NULL: no longer configured */
	struct rollover_config rc;
	bool have_state;
	struct rollover_state st;
	char saved[ROLLOVER_TEXT_MAX]; /* the state as stored */
	char message[2 * ROLLOVER_MSG_MAX];
	/* News for the next step. */
	bool has_publish, has_deploy, has_generate;
	struct rollover_result publish, deploy, generate;
	char publish_err[ROLLOVER_MSG_MAX], deploy_err[ROLLOVER_MSG_MAX],
		generate_err[ROLLOVER_MSG_MAX];
	struct rollover_key generated;
	bool has_stage;
	struct rollover_key stage;
	bool abort;
	/* What the last check found. */
	size_t n_shape;
	struct rollover_tlsa_type shape[ROLLOVER_SHAPE_MAX];
	/*
	 * The fragment's owners, sorted: every TLSA owner any check found, the
	 * stored ones included. Known once stored or read from a check whose
	 * SRV lookups all answered; no step runs before.
	 */
	bool owners_known;
	/* Why the last check's findings keep a rollover from starting, "" if nothing does. */
	char unsupported[FACTS_NAME_MAX + 256];
	size_t n_owners;
	char owners[TLSAWATCH_MAX_OWNERS][FACTS_NAME_MAX];
	size_t n_servers;
	struct rm_server servers[FACTS_MAX_SERVERS];
	size_t n_endpoints;
	struct rollover_endpoint_obs endpoints[RM_MAX_ENDPOINTS];
	bool endpoints_fresh; /* probed after the last command returned, not stepped on yet */
	int64_t cmd_done_at;
	int64_t triggered_at;
	/* Asking the servers. */
	struct tlsawatch *watch;
	struct tlsawatch_result *wres;
	struct event *timer;
	/* The watched certificate file. */
	bool watched_known;
	struct stat watched;
	bool watch_pending; /* changed, not staged yet */
	bool watch_logged;  /* why not, logged */
	bool init_logged;   /* why the rollover cannot start, logged */
	bool owners_logged; /* that it waits for its owners, logged */
};

struct rollmgr {
	struct rollmgr_env env;
	struct rollexec *exec;
	struct rm_domain *domains;
};

static int64_t rm_now(void)
{
	return (int64_t)time(NULL);
}

static struct rm_domain *rm_find(const struct rollmgr *m, const char *domain)
{
	struct rm_domain *d;

	for (d = m->domains; d != NULL; d = d->next) {
		if (strcmp(d->name, domain) == 0) {
			return d;
		}
	}
	return NULL;
}

/* A configured rollover with a state, or NULL. */
static struct rm_domain *rm_active(const struct rollmgr *m, const char *domain)
{
	struct rm_domain *d = rm_find(m, domain);

	return d != NULL && d->ro != NULL ? d : NULL;
}

static void rm_path(const struct rm_domain *d, const char *suffix, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.%s", d->m->env.key_dir, d->name, suffix);
}

/* --- storing ---------------------------------------------------------------------------- */

/* Stores the state when it changed, with event (NULL: none) in the same transaction. */
static int rm_store(struct rm_domain *d, const char *event)
{
	char text[ROLLOVER_TEXT_MAX];
	const char *phase = rollover_phase_name(d->st.phase);

	if (rollover_to_text(&d->st, text, sizeof(text)) < 0) {
		return -ENOMEM;
	}
	if (strcmp(text, d->saved) == 0) {
		return 0;
	}
	if (d->m->env.db == NULL ||
	    statedb_rollover_save(d->m->env.db, d->name, text, phase, rm_now(), event) < 0) {
		return ERR_STATEDB;
	}
	memcpy(d->saved, text, strlen(text) + 1);
	return 0;
}

/* Back to the state as stored (a step that could not be stored did not happen). */
static void rm_restore(struct rm_domain *d)
{
	if (d->saved[0] == '\0' || rollover_from_text(d->saved, strlen(d->saved), &d->st) < 0) {
		d->have_state = false;
		return;
	}
	rollover_resume(&d->st);
}

/* --- the commands ------------------------------------------------------------------------ */

static char *rm_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static char **rm_argv_dup(char *const *argv)
{
	size_t n = 0, i;
	char **out;

	if (argv == NULL) {
		return NULL;
	}
	while (argv[n] != NULL) {
		n++;
	}
	out = calloc(n + 1, sizeof(*out));
	for (i = 0; out != NULL && i < n; i++) {
		if ((out[i] = strdup(argv[i])) == NULL) {
			while (i > 0) {
				free(out[--i]);
			}
			free(out);
			return NULL;
		}
	}
	return out;
}

static struct rollexec_job *rm_job(const struct rm_domain *d, enum rollexec_kind kind, uint32_t seq)
{
	struct rollexec_job *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->domain = strdup(d->name)) == NULL) {
		free(j);
		return NULL;
	}
	j->kind = kind;
	j->seq = seq;
	return j;
}

static int rm_publish(struct rm_domain *d, const struct rollover_actions *a)
{
	const struct config_rollover *ro = d->ro;
	struct rollexec_job *j = rm_job(d, ROLLEXEC_PUBLISH, a->publish_seq);
	size_t i;

	if (j == NULL) {
		return -ENOMEM;
	}
	j->zone = rm_strdup(ro->zone != NULL ? ro->zone : d->name);
	j->ttl = ro->ttl;
	j->owners = calloc(d->n_owners, sizeof(*j->owners));
	j->recs = calloc(a->n_recs > 0 ? a->n_recs : 1, sizeof(*j->recs));
	j->update = ro->update;
	j->fragment_path = rm_strdup(ro->fragment);
	j->reload_argv = rm_argv_dup(ro->reload_argv);
	j->zone_file = rm_strdup(ro->zone_file);
	j->update_server = rm_strdup(ro->update_server);
	j->update_port = ro->update_port;
	j->tsig_key_file = rm_strdup(ro->tsig_key_file);
	if (j->zone == NULL || j->owners == NULL || j->recs == NULL) {
		rollexec_job_free(j);
		return -ENOMEM;
	}
	for (i = 0; i < d->n_owners; i++) {
		if ((j->owners[i] = strdup(d->owners[i])) == NULL) {
			rollexec_job_free(j);
			return -ENOMEM;
		}
		j->n_owners++;
	}
	memcpy(j->recs, a->recs, a->n_recs * sizeof(*j->recs));
	j->n_recs = a->n_recs;
	return rollexec_submit(d->m->exec, j);
}

/* The files a deploy hands over: the staged ones, or the next key's with its certificate. */
static int rm_deploy(struct rm_domain *d, const struct rollover_actions *a)
{
	struct rollexec_job *j = rm_job(d, ROLLEXEC_DEPLOY, a->deploy_seq);
	char cert[RM_PATH_MAX], key[RM_PATH_MAX];

	if (j == NULL) {
		return -ENOMEM;
	}
	rm_path(d, "staged.crt", cert, sizeof(cert));
	rm_path(d, "staged.key", key, sizeof(key));
	j->deploy_argv = rm_argv_dup(d->ro->deploy_argv);
	j->cert_path = strdup(cert);
	j->key_path = strdup(key);
	j->timeout_ms = (int)(d->ro->deploy_timeout_s * 1000);
	if (j->deploy_argv == NULL || j->cert_path == NULL || j->key_path == NULL) {
		rollexec_job_free(j);
		return -ENOMEM;
	}
	return rollexec_submit(d->m->exec, j);
}

static int rm_generate(struct rm_domain *d, const struct rollover_actions *a)
{
	struct rollexec_job *j = rm_job(d, ROLLEXEC_GENERATE, a->generate_seq);
	char key[RM_PATH_MAX];

	if (j == NULL) {
		return -ENOMEM;
	}
	rm_path(d, "next.key", key, sizeof(key));
	j->key_path = strdup(key);
	j->key_type = d->ro->key_type;
	memcpy(j->shapes, d->st.shape, d->st.n_shape * sizeof(j->shapes[0]));
	j->n_shapes = d->st.n_shape;
	if (j->key_path == NULL) {
		rollexec_job_free(j);
		return -ENOMEM;
	}
	return rollexec_submit(d->m->exec, j);
}

/* --- a step ---------------------------------------------------------------------------- */

static void rm_schedule(struct rm_domain *d, int64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
			     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	if (d->timer != NULL) {
		evtimer_add(d->timer, &tv);
	}
}

/* A rollover moves (or a command runs): the servers are asked every second. */
static bool rm_busy(const struct rm_domain *d)
{
	int op;

	if (!d->have_state) {
		return false;
	}
	for (op = 0; op < ROLLOVER_OP_COUNT; op++) {
		if (d->st.ops[op].inflight) {
			return true;
		}
	}
	return d->st.phase != ROLLOVER_IDLE;
}

/*
 * The timer fires within ms: a rollover that starts moving while the timer
 * waits out its minute at rest must not wait that minute for its first look.
 */
static void rm_schedule_within(struct rm_domain *d, int64_t ms)
{
	struct timeval due, now;

	if (d->timer == NULL) {
		return;
	}
	if (evtimer_pending(d->timer, &due) && evutil_gettimeofday(&now, NULL) == 0) {
		int64_t left = ((int64_t)due.tv_sec - now.tv_sec) * 1000 +
			       ((int64_t)due.tv_usec - now.tv_usec) / 1000;

		if (left <= ms) {
			return;
		}
	}
	rm_schedule(d, ms);
}

/* The engine's findings changed: the message is kept for the findings of the next checks. */
static void rm_note_findings(struct rm_domain *d, const struct rollover_actions *a)
{
	if (a->stalled_edge == ROLLOVER_EDGE_RAISE || a->failed_edge == ROLLOVER_EDGE_RAISE) {
		snprintf(d->message, sizeof(d->message), "%s", a->message);
		log_warning("%s: rollover %s: %s", d->name,
			    a->failed_edge == ROLLOVER_EDGE_RAISE ? "failed" : "stalled",
			    a->message);
	}
	if (a->stalled_edge == ROLLOVER_EDGE_CLEAR || a->failed_edge == ROLLOVER_EDGE_CLEAR) {
		log_notice("%s: rollover %s again", d->name,
			   a->failed_edge == ROLLOVER_EDGE_CLEAR ? "works" : "moves");
	}
}

/*
 * Runs one step on obs plus the news gathered since the last one; the
 * actions into ret (may be NULL). Returns 0, or < 0 when nothing happened.
 */
static int rm_step(struct rm_domain *d, struct rollover_obs *obs, struct rollover_actions *ret)
{
	struct rollmgr *m = d->m;
	struct rollover_actions a;
	char event[160];
	int64_t now = rm_now();
	int r;

	if (!d->have_state || d->ro == NULL || !d->owners_known) {
		return -EAGAIN;
	}
	obs->publish = d->has_publish ? &d->publish : NULL;
	obs->deploy = d->has_deploy ? &d->deploy : NULL;
	obs->generate = d->has_generate ? &d->generate : NULL;
	obs->generated = d->has_generate && d->generate.ok ? &d->generated : NULL;
	obs->stage = d->has_stage ? &d->stage : NULL;
	obs->abort = d->abort;
	if (d->endpoints_fresh && !obs->endpoints_known) {
		obs->endpoints_known = true;
		obs->n_endpoints = d->n_endpoints;
		obs->endpoints = d->endpoints;
	}
	if (rollover_step(&d->st, &d->rc, obs, now, &a) < 0) {
		log_err("%s: rollover state is not valid; the rollover is held", d->name);
		return -EINVAL;
	}
	d->has_publish = d->has_deploy = d->has_generate = d->has_stage = d->abort = false;
	d->endpoints_fresh = false;
	snprintf(event, sizeof(event), "rollover: %s -> %s", rollover_phase_name(a.from),
		 rollover_phase_name(a.to));
	r = rm_store(d, a.transitioned ? event : NULL);
	if (r < 0) {
		/* Nothing acts on a state that is not stored: back to the stored one. */
		log_err("%s: cannot store the rollover state; its step is undone", d->name);
		rm_restore(d);
		return r;
	}
	if (ret != NULL) {
		*ret = a;
	}
	if (a.transitioned) {
		log_notice("%s: rollover %s -> %s", d->name, rollover_phase_name(a.from),
			   rollover_phase_name(a.to));
	}
	rm_note_findings(d, &a);
	if ((a.publish && rm_publish(d, &a) < 0) || (a.deploy && rm_deploy(d, &a) < 0) ||
	    (a.generate && rm_generate(d, &a) < 0)) {
		log_err("%s: out of memory starting a rollover command", d->name);
	}
	if (a.transitioned || a.stalled_edge != ROLLOVER_EDGE_NONE ||
	    a.failed_edge != ROLLOVER_EDGE_NONE) {
		m->env.changed(m->env.arg, d->name);
	}
	if (a.stalled_edge != ROLLOVER_EDGE_NONE || a.failed_edge != ROLLOVER_EDGE_NONE) {
		/* The findings come with the domain's next report: make it now. */
		m->env.trigger(m->env.arg, d->name);
	}
	if (d->st.phase == ROLLOVER_DEPLOYED && now - d->triggered_at >= RM_TRIGGER_S &&
	    !d->endpoints_fresh) {
		/* The engine waits for the endpoints: probe them afresh. */
		d->triggered_at = now;
		m->env.trigger(m->env.arg, d->name);
	}
	if (a.wake_s > 0 && a.wake_s - now < RM_POLL_BUSY_MS / 1000) {
		rm_schedule(d, a.wake_s > now ? (a.wake_s - now) * 1000 : 0);
	} else if (rm_busy(d)) {
		rm_schedule_within(d, RM_POLL_BUSY_MS);
	}
	return 0;
}

/* A step on the news alone (a command's result, a request, fresh endpoints). */
static int rm_step_news(struct rm_domain *d, struct rollover_actions *ret)
{
	struct rollover_obs obs;

	memset(&obs, 0, sizeof(obs));
	obs.rrset_ttl_s = -1;
	obs.negative_ttl_s = -1;
	return rm_step(d, &obs, ret);
}

/* --- what the servers serve ------------------------------------------------------------ */

static bool rm_rec_equal(const struct tlsawatch_rec *x, const struct tlsawatch_rec *y)
{
	return x->usage == y->usage && x->selector == y->selector && x->mtype == y->mtype &&
	       x->len == y->len && !x->cut && !y->cut && memcmp(x->data, y->data, x->len) == 0;
}

/* The records a server serves at every owner (the intersection), in the engine's form. */
static size_t rm_server_recs(const struct tlsawatch_result *res, const struct tlsawatch_server *s,
			     struct rollover_rec *out, size_t max)
{
	const struct tlsawatch_answer *first = &s->answers[0];
	size_t i, k, o, n = 0;

	for (i = 0; i < first->n_recs && n < max; i++) {
		const struct tlsawatch_rec *x = &first->recs[i];
		bool everywhere = x->len <= ROLLOVER_DATA_MAX && !x->cut;

		for (o = 1; everywhere && o < res->n_owners; o++) {
			const struct tlsawatch_answer *a = &s->answers[o];

			everywhere = false;
			for (k = 0; k < a->n_recs; k++) {
				everywhere |= rm_rec_equal(x, &a->recs[k]);
			}
		}
		if (!everywhere) {
			continue;
		}
		out[n].usage = x->usage;
		out[n].selector = x->selector;
		out[n].mtype = x->mtype;
		out[n].len = (uint8_t)x->len;
		memcpy(out[n].data, x->data, x->len);
		n++;
	}
	return n;
}

static void rm_on_watched(void *arg, struct tlsawatch_result *res)
{
	struct rm_domain *d = arg;
	struct rollover_server_obs servers[FACTS_MAX_SERVERS];
	struct rollover_rec *recs;
	struct rollover_obs obs;
	size_t i, o;

	d->watch = NULL;
	recs = calloc(FACTS_MAX_SERVERS * TLSAWATCH_MAX_RECS, sizeof(*recs));
	if (recs == NULL) {
		return;
	}
	memset(&obs, 0, sizeof(obs));
	obs.dns_known = true;
	obs.rrset_ttl_s = -1;
	obs.negative_ttl_s = -1;
	for (i = 0; i < res->n_servers; i++) {
		const struct tlsawatch_server *s = &res->servers[i];
		struct rollover_rec *mine = recs + i * TLSAWATCH_MAX_RECS;

		servers[i].answered = s->answered;
		servers[i].n_recs = s->answered ? rm_server_recs(res, s, mine, TLSAWATCH_MAX_RECS)
						: 0;
		servers[i].recs = mine;
		for (o = 0; s->answered && o < res->n_owners; o++) {
			const struct tlsawatch_answer *a = &s->answers[o];

			if (a->status == LOOKUP_OK && (int64_t)a->ttl > obs.rrset_ttl_s) {
				obs.rrset_ttl_s = a->ttl;
			} else if (a->status != LOOKUP_OK &&
				   (int64_t)a->neg_ttl > obs.negative_ttl_s) {
				obs.negative_ttl_s = a->neg_ttl;
			}
		}
	}
	obs.n_servers = res->n_servers;
	obs.servers = servers;
	rm_step(d, &obs, NULL);
	free(recs);
}

static void rm_watch(struct rm_domain *d)
{
	size_t i;

	if (d->watch != NULL || d->n_owners == 0 || d->n_servers == 0) {
		return;
	}
	if (d->wres == NULL && (d->wres = malloc(sizeof(*d->wres))) == NULL) {
		return;
	}
	tlsawatch_init(d->wres);
	for (i = 0; i < d->n_owners; i++) {
		if (tlsawatch_add_owner(d->wres, d->owners[i]) < 0) {
			return;
		}
	}
	for (i = 0; i < d->n_servers; i++) {
		if (tlsawatch_add_server(d->wres, d->servers[i].name, d->servers[i].address) < 0) {
			return;
		}
	}
	if (tlsawatch_start(d->m->env.base, d->m->env.auth_port, RM_DNS_TIMEOUT_MS, d->wres,
			    rm_on_watched, d, &d->watch) < 0) {
		d->watch = NULL;
	}
}

/* --- the watched certificate ------------------------------------------------------------ */

static unsigned rm_stage_files(struct rm_domain *d, const char *cert, const char *key, char *msg,
			       size_t msglen);

static bool rm_same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_size == b->st_size;
}

/*
 * A certificate file that changed to a key the rollover does not know starts
 * one. A change is pending until it is staged or found to be the current key:
 * while a rollover runs (our own deploy writes the file too), and while the
 * key file has not followed the certificate yet (a renewal writes two files).
 * Each change is logged once.
 */
static void rm_check_watched(struct rm_domain *d)
{
	struct stat st;
	char msg[512];
	unsigned status;

	if (!d->ro->watch || d->ro->cert == NULL || stat(d->ro->cert, &st) < 0) {
		return;
	}
	if (!d->watched_known) {
		d->watched = st; /* the file as it was at start is the current one */
		d->watched_known = true;
		return;
	}
	if (!rm_same_stat(&st, &d->watched)) {
		d->watched = st;
		d->watch_pending = true;
		d->watch_logged = false;
	}
	if (!d->watch_pending || d->st.phase != ROLLOVER_IDLE) {
		return;
	}
	status = rm_stage_files(d, d->ro->cert, d->ro->key, msg, sizeof(msg));
	if (status == 200) {
		log_notice("%s: %s changed: %s", d->name, d->ro->cert, msg);
		d->watch_pending = false;
	} else if (strstr(msg, "already the current key") != NULL) {
		d->watch_pending = false; /* a renewal with the same key, or our own deploy */
	} else if (!d->watch_logged) {
		log_warning("%s: %s changed, not staged (yet): %s", d->name, d->ro->cert, msg);
		d->watch_logged = true;
	}
}

static void rm_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rm_domain *d = arg;

	(void)fd;
	(void)what;
	if (d->ro == NULL) {
		return;
	}
	if (d->have_state) {
		rm_check_watched(d);
		rm_watch(d);
	}
	rm_schedule(d, rm_busy(d) ? RM_POLL_BUSY_MS : RM_POLL_IDLE_MS);
}

/* --- what the checks found -------------------------------------------------------------- */

static const char *rm_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* hex of 32 octets into out; false otherwise. */
static bool rm_hex32(const char *hex, uint8_t out[32])
{
	size_t len = 0;

	return hex != NULL && strlen(hex) == 64 &&
	       OPENSSL_hexstr2buf_ex(out, 32, &len, hex, '\0') == 1 && len == 32;
}

/* Adds owner in its place (sorted, so a set has one order); true when it was new. */
static bool rm_add_owner(struct rm_domain *d, const char *owner)
{
	size_t i = 0;
	int c = 1;

	while (i < d->n_owners && (c = strcasecmp(d->owners[i], owner)) < 0) {
		i++;
	}
	if ((i < d->n_owners && c == 0) || d->n_owners >= TLSAWATCH_MAX_OWNERS ||
	    owner[0] == '\0' || strlen(owner) >= FACTS_NAME_MAX) {
		return false;
	}
	memmove(d->owners[i + 1], d->owners[i], (d->n_owners - i) * sizeof(d->owners[0]));
	snprintf(d->owners[i], FACTS_NAME_MAX, "%s", owner);
	d->n_owners++;
	return true;
}

/* The owners as the engine counts them in the fragment's identity. */
static uint64_t rm_owners_hash(const struct rm_domain *d)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;
	const char *p;

	for (i = 0; i < d->n_owners; i++) {
		for (p = d->owners[i]; *p != '\0'; p++) {
			h = (h ^ (uint8_t)tolower((unsigned char)*p)) * 1099511628211ULL;
		}
		h = (h ^ ' ') * 1099511628211ULL;
	}
	return h;
}

/* Stores the owners beside the state, space-separated (a name in presentation form has none). */
static void rm_store_owners(struct rm_domain *d)
{
	char *text;
	size_t i, len = 0;

	if (d->m->env.db == NULL) {
		return;
	}
	text = malloc(d->n_owners * FACTS_NAME_MAX + 1);
	if (text == NULL) {
		log_err("%s: cannot store the rollover's TLSA owners: %s", d->name,
			strerror(ENOMEM));
		return;
	}
	text[0] = '\0';
	for (i = 0; i < d->n_owners; i++) {
		len += (size_t)sprintf(text + len, "%s%s", i > 0 ? " " : "", d->owners[i]);
	}
	if (statedb_rollover_owners_save(d->m->env.db, d->name, text) < 0) {
		log_err("%s: cannot store the rollover's TLSA owners: %s", d->name,
			statedb_error(d->m->env.db));
	}
	free(text);
}

/* The stored owners of d, added to those it has. */
static void rm_load_owners(struct rm_domain *d)
{
	char *text = NULL, *name, *save = NULL;

	if (d->m->env.db == NULL ||
	    statedb_rollover_owners_load(d->m->env.db, d->name, &text) < 0) {
		return;
	}
	for (name = strtok_r(text, " ", &save); name != NULL; name = strtok_r(NULL, " ", &save)) {
		rm_add_owner(d, name);
	}
	free(text);
	if (d->n_owners > 0) {
		d->owners_known = true;
		d->rc.owners_hash = rm_owners_hash(d);
	}
}

/* Owners d did not know: stored, and the fragment is out of date (published again). */
static void rm_owners_grew(struct rm_domain *d)
{
	d->rc.owners_hash = rm_owners_hash(d);
	if (d->have_state) {
		rm_store_owners(d);
		log_notice("%s: rollover: %zu TLSA owner(s) now; the fragment is published again",
			   d->name, d->n_owners);
		rm_schedule(d, 0);
	}
}

/* Every service's SRV lookup was answered (records, or none): the endpoints are all known. */
static bool rm_report_decided(const json_t *report)
{
	const json_t *sv;
	size_t i;

	json_array_foreach(json_object_get(report, "services"), i, sv)
	{
		const char *status = rm_str(sv, "srv_status");

		if (status == NULL ||
		    (strcmp(status, "ok") != 0 && strcmp(status, "nxdomain") != 0 &&
		     strcmp(status, "nodata") != 0)) {
			return false;
		}
	}
	return true;
}

/*
 * What a rollover would break, so it does not start: the fragment replaces
 * every TLSA at the owners with DANE-EE records of the one key it rolls.
 * A record pinning a CA or trust anchor (usage 0 to 2) would be dropped, and
 * so would the records of a second certificate the server shows to peers
 * offering only RSA.
 */
static void rm_note_unsupported(struct rm_domain *d, const char *owner, const json_t *e)
{
	const json_t *rec, *rsa = json_object_get(json_object_get(e, "rsa"), "cert");
	const char *main_key = rm_str(json_object_get(e, "cert"), "spki_sha256");
	const char *rsa_key = rm_str(rsa, "spki_sha256");
	unsigned u;
	size_t i;

	if (d->unsupported[0] != '\0') {
		return;
	}
	json_array_foreach(json_object_get(e, "tlsa"), i, rec)
	{
		const char *tlsa = json_string_value(rec);

		if (tlsa != NULL && sscanf(tlsa, "%u", &u) == 1 && u != 3) {
			snprintf(d->unsupported, sizeof(d->unsupported),
				 "%s TLSA %.12s... pins a CA or trust anchor; rollovers manage "
				 "DANE-EE (usage 3) records only",
				 owner, tlsa);
			return;
		}
	}
	if (main_key != NULL && rsa_key != NULL && strcmp(main_key, rsa_key) != 0) {
		snprintf(d->unsupported, sizeof(d->unsupported),
			 "%s port %d shows peers offering only RSA a second certificate; a "
			 "rollover replaces one key only",
			 rm_str(e, "address") != NULL ? rm_str(e, "address") : owner,
			 (int)json_integer_value(json_object_get(e, "port")));
	}
}

static void rm_add_shape(struct rm_domain *d, const char *tlsa)
{
	unsigned u, s, mt;
	size_t i;

	if (tlsa == NULL || sscanf(tlsa, "%u %u %u", &u, &s, &mt) != 3 || u != 3 || s > 1 ||
	    mt < 1 || mt > 2 || (d->ro->current_next && s != 1)) {
		return;
	}
	for (i = 0; i < d->n_shape; i++) {
		if (d->shape[i].usage == u && d->shape[i].selector == s &&
		    d->shape[i].mtype == mt) {
			return;
		}
	}
	if (d->n_shape < ROLLOVER_SHAPE_MAX) {
		d->shape[d->n_shape++] = (struct rollover_tlsa_type){(uint8_t)u, (uint8_t)s,
								     (uint8_t)mt};
	}
}

static void rm_add_endpoint(struct rm_domain *d, const json_t *e)
{
	const json_t *cert = json_object_get(e, "cert");
	struct rollover_endpoint_obs *o;
	const char *dane = rm_str(e, "dane");

	if (rm_str(e, "address") == NULL || d->n_endpoints >= RM_MAX_ENDPOINTS) {
		return;
	}
	o = &d->endpoints[d->n_endpoints];
	memset(o, 0, sizeof(*o));
	o->answered = rm_hex32(rm_str(cert, "spki_sha256"), o->spki_sha256) &&
		      rm_hex32(rm_str(cert, "sha256"), o->cert_sha256);
	o->dane_ok = o->answered && dane != NULL && strcmp(dane, "match") == 0;
	d->n_endpoints++;
}

/* Whether name is zone or below it (names as reports show them: no trailing dot). */
static bool rm_under(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	while (z > 0 && zone[z - 1] == '.') {
		z--;
	}
	while (n > 0 && name[n - 1] == '.') {
		n--;
	}
	if (z == 0) {
		return true;
	}
	return (n == z && strncasecmp(name, zone, z) == 0) ||
	       (n > z && name[n - z - 1] == '.' && strncasecmp(name + n - z, zone, z) == 0);
}

static const char *rm_zone(const struct rm_domain *d)
{
	return d->ro->zone != NULL ? d->ro->zone : d->name;
}

/*
 * The owners (every endpoint's TLSA owner in the rollover's zone, added to
 * those seen before), the shapes published there, the zone's server addresses and the endpoints'
 * keys, from a report. A failed check's report changes nothing.
 */
static void rm_read_report(struct rm_domain *d, const json_t *report)
{
	const json_t *zone = json_object_get(report, "zone");
	const json_t *sv, *e, *rec, *server;
	const char *apex = rm_str(zone, "apex");
	bool grew = false;
	size_t i, k, x;

	if (!json_is_array(json_object_get(report, "services"))) {
		return;
	}
	/*
	 * Owners only grow: a check whose SRV lookup of one service failed for a
	 * moment lists fewer endpoints, and a fragment written without their
	 * owners would withdraw every TLSA there.
	 */
	d->n_servers = d->n_endpoints = d->n_shape = 0;
	d->unsupported[0] = '\0';
	json_array_foreach(json_object_get(report, "services"), i, sv)
	{
		json_array_foreach(json_object_get(sv, "endpoints"), k, e)
		{
			const char *owner = rm_str(e, "tlsa_owner");

			if (owner == NULL || !rm_under(owner, rm_zone(d))) {
				continue;
			}
			grew |= rm_add_owner(d, owner);
			json_array_foreach(json_object_get(e, "tlsa"), x, rec)
			{
				rm_add_shape(d, json_string_value(rec));
			}
			rm_add_endpoint(d, e);
			rm_note_unsupported(d, owner, e);
		}
	}
	if (apex != NULL && rm_under(apex, rm_zone(d)) && rm_under(rm_zone(d), apex)) {
		json_array_foreach(json_object_get(zone, "servers"), i, server)
		{
			const char *address = rm_str(server, "address");

			if (address != NULL && d->n_servers < FACTS_MAX_SERVERS) {
				snprintf(d->servers[d->n_servers].name, FACTS_NAME_MAX, "%s",
					 rm_str(server, "name") != NULL ? rm_str(server, "name")
									: "");
				snprintf(d->servers[d->n_servers].address, FACTS_ADDR_MAX, "%s",
					 address);
				d->n_servers++;
			}
		}
	}
	if (d->n_shape == 0) {
		d->shape[0] = (struct rollover_tlsa_type){3, 1, 1};
		d->n_shape = 1;
	}
	if (rm_report_decided(report) && d->n_owners > 0) {
		d->owners_known = true;
	}
	if (grew) {
		rm_owners_grew(d);
	}
}

/* The first rollover state of a domain: idle, for the certificate the server serves now. */
static void rm_init_state(struct rm_domain *d)
{
	const char *names[1] = {d->name};
	struct stage_request req = {
		.cert_path = d->ro->cert,
		.key_path = d->ro->key,
		.names = names,
		.n_names = 1,
		.now = rm_now(),
		.shapes = d->shape,
		.n_shapes = d->n_shape,
	};
	struct rollover_key cur;
	struct stage_error err;
	int r;

	if (d->unsupported[0] != '\0') {
		if (!d->init_logged) {
			log_err("%s: rollover cannot start: %s", d->name, d->unsupported);
			d->init_logged = true;
		}
		return;
	}
	if (stage_check(&req, &cur, &err) < 0) {
		if (!d->init_logged) {
			log_err("%s: rollover cannot start: %s", d->name, err.detail);
			d->init_logged = true;
		}
		return;
	}
	r = rollover_init(d->ro->current_next ? ROLLOVER_MODE_CURRENT_NEXT : ROLLOVER_MODE_REACTIVE,
			  d->shape, d->n_shape, &cur, rm_now(), &d->st);
	if (r < 0) {
		if (!d->init_logged) {
			log_err("%s: rollover cannot start for the published TLSA types: %s",
				d->name, err_str(r));
			d->init_logged = true;
		}
		return;
	}
	d->have_state = true;
	d->saved[0] = '\0';
	if (rm_store(d, d->ro->current_next ? "rollover: started (current-next)"
					    : "rollover: started (reactive)") < 0) {
		log_err("%s: cannot store the rollover state", d->name);
		d->have_state = false;
		return;
	}
	rm_store_owners(d);
	log_notice("%s: rollover %s, idle", d->name,
		   d->ro->current_next ? "current + next" : "reactive");
	rm_step_news(d, NULL);
	rm_schedule(d, 0);
}

void rollmgr_on_report(struct rollmgr *m, const char *domain, const json_t *report,
		       int64_t started_at)
{
	struct rm_domain *d = rm_active(m, domain);

	if (d == NULL || !json_is_array(json_object_get(report, "services"))) {
		return;
	}
	rm_read_report(d, report);
	if (!d->have_state && !d->owners_known) {
		if (!d->owners_logged) {
			log_info("%s: rollover waits for a check that finds every service's SRV "
				 "records",
				 d->name);
			d->owners_logged = true;
		}
		return;
	}
	if (!d->have_state) {
		rm_init_state(d);
		return;
	}
	if (started_at >= d->cmd_done_at && d->n_endpoints > 0) {
		d->endpoints_fresh = true;
		rm_step_news(d, NULL);
	}
}

/* --- command results -------------------------------------------------------------------- */

static void rm_on_done(void *arg, const struct rollexec_result *res)
{
	struct rollmgr *m = arg;
	struct rm_domain *d = rm_active(m, res->domain);
	struct rollover_result *r;
	char *err;

	if (d == NULL || !d->have_state) {
		return;
	}
	switch (res->kind) {
	case ROLLEXEC_PUBLISH:
		r = &d->publish, err = d->publish_err, d->has_publish = true;
		break;
	case ROLLEXEC_DEPLOY:
		r = &d->deploy, err = d->deploy_err, d->has_deploy = true;
		break;
	default:
		r = &d->generate, err = d->generate_err, d->has_generate = true;
		d->generated = res->key;
		break;
	}
	snprintf(err, ROLLOVER_MSG_MAX, "%s", res->error);
	r->seq = res->seq;
	r->ok = res->ok;
	r->error = res->ok ? NULL : err;
	if (!res->ok) {
		log_warning("%s: rollover %s failed: %s", d->name,
			    res->kind == ROLLEXEC_PUBLISH  ? "publish"
			    : res->kind == ROLLEXEC_DEPLOY ? "deploy"
							   : "key generation",
			    res->error);
	}
	d->cmd_done_at = rm_now();
	d->endpoints_fresh = false;
	rm_step_news(d, NULL);
}

/* --- control requests ------------------------------------------------------------------ */

static bool rm_same_key(const struct rollover_key *a, const struct rollover_slot_state *s)
{
	return s->set && memcmp(a->spki_sha256, s->key.spki_sha256, ROLLOVER_DIGEST_LEN) == 0;
}

static int rm_copy_file(const char *from, const char *to, size_t max, int mode, char *msg,
			size_t msglen)
{
	struct fileio_error ferr;
	struct buf b;
	int r = fileio_read(from, max, &b);

	if (r < 0) {
		snprintf(msg, msglen, "cannot read %s: %s", from, err_str(r));
		return r;
	}
	r = fileio_write_atomic(to, b.data, b.len, mode, &ferr);
	buf_release(&b);
	if (r < 0) {
		snprintf(msg, msglen, "%s", ferr.detail);
	}
	return r;
}

/*
 * Whether the publisher could do its job now (the fragment's directory takes
 * a file, the zone file has its SOA, the reload command exists; or the TSIG
 * key file is ours, private and of a known algorithm): a rollover that could
 * not publish is refused before anything is published.
 */
static bool rm_publisher_ready(const struct rm_domain *d, char *msg, size_t msglen)
{
	const struct config_rollover *ro = d->ro;
	struct publish_file_opts o = {
		.fragment = ro->fragment,
		.fragment_mode = FILEIO_MODE_KEEP,
		.zone_file = ro->zone_file,
		.reload_argv = ro->reload_argv,
	};
	struct publish_error perr;
	struct tsigkey_error terr;
	struct tsigkey *k = NULL;

	if (ro->update && ro->tsig_key_file != NULL &&
	    tsigkey_load(ro->tsig_key_file, &k, &terr) < 0) {
		snprintf(msg, msglen, "publisher not ready: %s", terr.detail);
		return false;
	}
	tsigkey_free(k);
	if (!ro->update && publish_file_check(&o, &perr) < 0) {
		snprintf(msg, msglen, "publisher not ready: %s", perr.detail);
		return false;
	}
	return true;
}

static unsigned rm_stage_files(struct rm_domain *d, const char *cert, const char *key, char *msg,
			       size_t msglen)
{
	const char *names[1] = {d->name};
	struct stage_request req = {
		.cert_path = cert,
		.key_path = key,
		.names = names,
		.n_names = 1,
		.now = rm_now(),
		.margin_s = RM_STAGE_MARGIN_S,
		.shapes = d->st.shape,
		.n_shapes = d->st.n_shape,
	};
	char cert_copy[RM_PATH_MAX], key_copy[RM_PATH_MAX];
	struct rollover_actions a;
	struct rollover_key k;
	struct stage_error err;

	if (stage_check(&req, &k, &err) < 0) {
		snprintf(msg, msglen, "%s", err.detail);
		return 400;
	}
	if (rm_same_key(&k, &d->st.slots[ROLLOVER_SLOT_CUR])) {
		snprintf(msg, msglen,
			 "%s: already the current key (a renewal with the same key "
			 "needs no rollover: deploy it)",
			 cert);
		return 409;
	}
	if (d->st.phase != ROLLOVER_IDLE) {
		snprintf(msg, msglen, "a rollover is in progress (%s): abort it first",
			 rollover_phase_name(d->st.phase));
		return 409;
	}
	if (!rm_publisher_ready(d, msg, msglen)) {
		return 409;
	}
	/* Kept where the deploy command finds them, whatever happens to the originals. */
	rm_path(d, "staged.crt", cert_copy, sizeof(cert_copy));
	rm_path(d, "staged.key", key_copy, sizeof(key_copy));
	if (rm_copy_file(cert, cert_copy, CERT_FILE_MAX, 0644, msg, msglen) < 0 ||
	    rm_copy_file(key, key_copy, PKEY_FILE_MAX, 0600, msg, msglen) < 0) {
		return 500;
	}
	d->has_stage = true;
	d->stage = k;
	if (rm_step_news(d, &a) < 0) {
		snprintf(msg, msglen, "the rollover state cannot be stored");
		return 500;
	}
	if (a.req_status < 0) {
		snprintf(msg, msglen, "%s", a.req_message);
		return 409;
	}
	snprintf(msg, msglen, "staged: %s", rollover_phase_name(d->st.phase));
	return 200;
}

unsigned rollmgr_stage(struct rollmgr *m, const char *domain, const char *cert, const char *key,
		       char *msg, size_t msglen)
{
	struct rm_domain *d = rm_active(m, domain);

	if (d == NULL) {
		snprintf(msg, msglen, "%s has no rollover block", domain);
		return 404;
	}
	if (!d->have_state) {
		snprintf(msg, msglen, "%s: the rollover has not started yet (first check pending)",
			 domain);
		return 409;
	}
	return rm_stage_files(d, cert, key, msg, msglen);
}

unsigned rollmgr_abort(struct rollmgr *m, const char *domain, char *msg, size_t msglen)
{
	struct rm_domain *d = rm_active(m, domain);
	struct rollover_actions a;

	if (d == NULL || !d->have_state) {
		snprintf(msg, msglen, "%s has no rollover", domain);
		return 404;
	}
	d->abort = true;
	if (rm_step_news(d, &a) < 0) {
		snprintf(msg, msglen, "the rollover state cannot be stored");
		return 500;
	}
	if (a.req_status < 0) {
		snprintf(msg, msglen, "%s", a.req_message);
		return 409;
	}
	snprintf(msg, msglen, "aborted: %s", rollover_phase_name(d->st.phase));
	return 200;
}

static json_t *rm_hex_or_null(const struct rollover_slot_state *s)
{
	char hex[2 * ROLLOVER_DIGEST_LEN + 1];
	size_t i;

	if (!s->set) {
		return json_null();
	}
	for (i = 0; i < ROLLOVER_DIGEST_LEN; i++) {
		snprintf(hex + 2 * i, 3, "%02x", s->key.spki_sha256[i]);
	}
	return json_string(hex);
}

static json_t *rm_op_json(const struct rollover_op_state *o)
{
	return json_pack("{s:b, s:i, s:b, s:s?}", "in_flight", o->inflight, "attempts",
			 (int)o->attempts, "failed", o->failed, "error",
			 o->error[0] != '\0' ? o->error : NULL);
}

static json_t *rm_owners_json(const struct rm_domain *d)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < d->n_owners; i++) {
		json_array_append_new(a, json_string(d->owners[i]));
	}
	return a;
}

static json_t *rm_domain_json(const struct rm_domain *d)
{
	const struct rollover_state *st = &d->st;

	if (!d->have_state) {
		char detail[sizeof(d->unsupported) + 64];

		if (d->unsupported[0] != '\0') {
			snprintf(detail, sizeof(detail), "not started: %s", d->unsupported);
		} else {
			snprintf(detail, sizeof(detail), "not started: %s",
				 d->n_owners == 0 ? "waiting for the first check"
						  : "waiting for a check that finds every "
						    "service's SRV records");
		}
		return json_pack("{s:s, s:s, s:s}", "domain", d->name, "state", "none", "detail",
				 detail);
	}
	return json_pack(
		"{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:{s:o, s:o, s:o, s:o}, s:{s:o, s:o, s:o},"
		" s:b, s:b, s:s?}",
		"domain", d->name, "mode",
		st->mode == ROLLOVER_MODE_CURRENT_NEXT ? "current-next" : "reactive", "state",
		rollover_phase_name(st->phase), "entered", (json_int_t)st->entered_s,
		"held_seconds", (json_int_t)st->held_s, "wait_seconds",
		(json_int_t)rollover_wait_s(st, &d->rc), "owners", rm_owners_json(d),
		"keys_spki_sha256", "current", rm_hex_or_null(&st->slots[ROLLOVER_SLOT_CUR]), "new",
		rm_hex_or_null(&st->slots[ROLLOVER_SLOT_NEW]), "next",
		rm_hex_or_null(&st->slots[ROLLOVER_SLOT_NEXT]), "lingering",
		rm_hex_or_null(&st->slots[ROLLOVER_SLOT_LINGER]), "commands", "publish",
		rm_op_json(&st->ops[ROLLOVER_OP_PUBLISH]), "deploy",
		rm_op_json(&st->ops[ROLLOVER_OP_DEPLOY]), "generate",
		rm_op_json(&st->ops[ROLLOVER_OP_GENERATE]), "stalled", st->stalled, "failed",
		st->failed, "message", st->stalled || st->failed ? d->message : NULL);
}

unsigned rollmgr_status(const struct rollmgr *m, const char *domain, json_t **ret, char *msg,
			size_t msglen)
{
	const struct rm_domain *d;
	json_t *list;

	if (domain != NULL) {
		d = rm_active(m, domain);
		if (d == NULL) {
			snprintf(msg, msglen, "%s has no rollover block", domain);
			return 404;
		}
		*ret = rm_domain_json(d);
		return *ret != NULL ? 200 : 500;
	}
	list = json_array();
	for (d = m->domains; list != NULL && d != NULL; d = d->next) {
		if (d->ro != NULL && json_array_append_new(list, rm_domain_json(d)) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	*ret = list != NULL ? json_pack("{s:o}", "rollovers", list) : NULL;
	return *ret != NULL ? 200 : 500;
}

unsigned rollmgr_next_key(struct rollmgr *m, const char *domain, bool csr, struct buf *out,
			  char *msg, size_t msglen)
{
	struct rm_domain *d = rm_active(m, domain);
	char path[RM_PATH_MAX];
	struct keygen_error kerr;
	struct keygen_key *k = NULL;
	int r;

	if (d == NULL || !d->have_state) {
		snprintf(msg, msglen, "%s has no rollover", domain);
		return 404;
	}
	if (d->st.mode != ROLLOVER_MODE_CURRENT_NEXT) {
		snprintf(msg, msglen, "%s: a reactive rollover has no next key", domain);
		return 409;
	}
	rm_path(d, "next.key", path, sizeof(path));
	if (!d->st.slots[ROLLOVER_SLOT_NEXT].set) {
		snprintf(msg, msglen, "%s: no next key yet (being generated)", domain);
		return 409;
	}
	if (!csr) {
		buf_init(out, RM_PATH_MAX + 1);
		if (buf_append(out, path, strlen(path)) < 0 || buf_append(out, "\n", 1) < 0) {
			return 500;
		}
		return 200;
	}
	r = keygen_load(path, &k, &kerr);
	if (r < 0) {
		snprintf(msg, msglen, "%s", kerr.detail);
		return 500;
	}
	buf_init(out, 64 * 1024);
	r = keygen_csr_pem(k, d->name, NULL, 0, out);
	keygen_free(k);
	if (r < 0) {
		snprintf(msg, msglen, "cannot make a CSR: %s", err_str(r));
		return 500;
	}
	return 200;
}

int rollmgr_findings(const struct rollmgr *m, const char *domain, struct findings *fl)
{
	const struct rm_domain *d = rm_active(m, domain);
	int r = 0;

	if (d == NULL || !d->have_state) {
		return 0;
	}
	if (d->st.failed) {
		r = findings_add(fl, FINDING_ROLLOVER_FAILED,
				 finding_default_severity(FINDING_ROLLOVER_FAILED), NULL, NULL, 0,
				 NULL, "rollover in %s: %s", rollover_phase_name(d->st.phase),
				 d->message);
	}
	if (r == 0 && d->st.stalled) {
		r = findings_add(fl, FINDING_ROLLOVER_STALLED,
				 finding_default_severity(FINDING_ROLLOVER_STALLED), NULL, NULL, 0,
				 NULL, "rollover in %s: %s", rollover_phase_name(d->st.phase),
				 d->message);
	}
	return r;
}

const char *rollmgr_phase(const struct rollmgr *m, const char *domain)
{
	const struct rm_domain *d = rm_active(m, domain);

	return d != NULL && d->have_state ? rollover_phase_name(d->st.phase) : NULL;
}

/* --- life ------------------------------------------------------------------------------- */

int rollmgr_new(const struct rollmgr_env *env, struct rollmgr **ret)
{
	struct rollmgr *m = calloc(1, sizeof(*m));
	int r;

	if (m == NULL) {
		return -ENOMEM;
	}
	m->env = *env;
	r = rollexec_start(env->base, rm_on_done, m, &m->exec);
	if (r < 0) {
		free(m);
		return r;
	}
	*ret = m;
	return 0;
}

static void rm_domain_stop(struct rm_domain *d)
{
	tlsawatch_cancel(d->watch);
	d->watch = NULL;
	if (d->timer != NULL) {
		event_free(d->timer);
		d->timer = NULL;
	}
}

void rollmgr_free(struct rollmgr *m)
{
	struct rm_domain *d, *next;

	if (m == NULL) {
		return;
	}
	rollexec_stop(m->exec);
	for (d = m->domains; d != NULL; d = next) {
		next = d->next;
		rm_domain_stop(d);
		free(d->wres);
		free(d->name);
		free(d);
	}
	free(m);
}

/* The stored state of d, resumed: commands of the previous process are issued again. */
static void rm_load(struct rm_domain *d)
{
	char *text = NULL;
	int64_t updated;

	if (d->m->env.db == NULL ||
	    statedb_rollover_load(d->m->env.db, d->name, &text, &updated) < 0) {
		return;
	}
	if (strlen(text) >= sizeof(d->saved) ||
	    rollover_from_text(text, strlen(text), &d->st) < 0) {
		log_err("%s: the stored rollover state does not parse; it is left as it is",
			d->name);
		free(text);
		return;
	}
	memcpy(d->saved, text, strlen(text) + 1);
	free(text);
	rollover_resume(&d->st);
	d->have_state = true;
	rm_load_owners(d);
	log_notice("%s: rollover resumed in %s", d->name, rollover_phase_name(d->st.phase));
}

static struct rm_domain *rm_domain_new(struct rollmgr *m, const char *name)
{
	struct rm_domain *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->name = strdup(name)) == NULL) {
		free(d);
		return NULL;
	}
	d->m = m;
	d->next = m->domains;
	m->domains = d;
	rm_load(d);
	return d;
}

/* The engine's limits from the block; the rest are the engine's defaults. */
static void rm_engine_config(const struct config_rollover *ro, struct rollover_config *rc)
{
	int p;

	rollover_config_init(rc);
	rc->ttl_s = ro->ttl;
	rc->safety_margin_s = ro->safety_margin_s;
	rc->min_wait_s = ro->min_wait_s;
	rc->retry_limit = ro->retries;
	rc->backoff_base_s = ro->retry_interval_s;
	rc->backoff_max_s = ro->retry_interval_s > RM_BACKOFF_MAX_S ? ro->retry_interval_s
								    : RM_BACKOFF_MAX_S;
	rc->deploy_timeout_s = ro->deploy_timeout_s;
	for (p = 0; p < ROLLOVER_PHASE_COUNT; p++) {
		rc->stall_s[p] = ro->stall_timeout_s;
	}
	/* Endpoints follow a deploy at their own pace (several servers, caches): longer. */
	rc->stall_s[ROLLOVER_DEPLOYED] = RM_DEPLOYED_STALL_FACTOR * ro->stall_timeout_s;
	rc->stall_s[ROLLOVER_IDLE] = 0;
}

int rollmgr_configure(struct rollmgr *m, const struct config *cfg)
{
	struct rm_domain *d;
	size_t i;

	for (d = m->domains; d != NULL; d = d->next) {
		d->ro = NULL;
	}
	if (m->env.key_dir != NULL && mkdir(m->env.key_dir, 0700) < 0 && errno != EEXIST) {
		log_err("%s: %s", m->env.key_dir, strerror(errno));
	}
	for (i = 0; i < cfg->n_domains; i++) {
		const struct config_domain *cd = &cfg->domains[i];

		if (!cd->rollover.enabled) {
			continue;
		}
		d = rm_find(m, cd->name);
		if (d == NULL && (d = rm_domain_new(m, cd->name)) == NULL) {
			return -ENOMEM;
		}
		d->ro = &cd->rollover;
		rm_engine_config(&cd->rollover, &d->rc);
		d->rc.owners_hash = rm_owners_hash(d);
		if (d->timer == NULL &&
		    (d->timer = evtimer_new(m->env.base, rm_on_timer, d)) == NULL) {
			return -ENOMEM;
		}
		rm_schedule(d, 0);
	}
	for (d = m->domains; d != NULL; d = d->next) {
		if (d->ro == NULL) {
			rm_domain_stop(d); /* its stored state stays for a block that comes back */
		}
	}
	return 0;
}
