/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration file (DESIGN.md "xdaned and its config"): one schema
 * table read with libconfuse; errors name the file and line. The rest of the
 * tree sees struct config only.
 */
#ifndef XDANE_DAEMON_CONFIG_H
#define XDANE_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certs/keygen.h"
#include "checks/finding.h"

/* Defaults of the keys below. */
#define CONFIG_DEFAULT_AUTH_PORT	 53
#define CONFIG_DEFAULT_INTERVAL_S	 300
#define CONFIG_DEFAULT_TIMEOUT_S	 30
#define CONFIG_DEFAULT_MAX_QUERIES	 256
#define CONFIG_DEFAULT_MAX_CHECKS	 64
#define CONFIG_DEFAULT_CACHE_MB		 4
#define CONFIG_DEFAULT_CONSECUTIVE	 2
#define CONFIG_DEFAULT_EXEC_TIMEOUT_S	 30
#define CONFIG_DEFAULT_WEBHOOK_TIMEOUT_S 10
#define CONFIG_DEFAULT_RRSIG_MARGIN_S	 (3 * 86400)
#define CONFIG_DEFAULT_CERT_MARGIN_S	 (14 * 86400)
#define CONFIG_DEFAULT_CERT_CRITICAL_S	 (3 * 86400)
#define CONFIG_DEFAULT_CONNECT_TIMEOUT_S 5
#define CONFIG_DEFAULT_PROBE_TIMEOUT_S	 5
#define CONFIG_DEFAULT_HTTP_LISTEN	 "127.0.0.1:9470"
#define CONFIG_DEFAULT_CONTROL_SOCKET	 "/run/xdane/control.sock"
#define CONFIG_DEFAULT_STATE_DB		 "/var/lib/xdane/state.db"

/* A domain's `rollover { }` block (DESIGN.md "Certificate rollover"). */
struct config_rollover {
	bool enabled;	   /* the block is there */
	bool current_next; /* mode "current-next", else "reactive" */
	char *zone;	   /* where the TLSA owners live; default the domain */
	unsigned ttl;
	bool update; /* publisher "update" (RFC 2136), else "file" */
	char *fragment;
	char **reload_argv; /* NULL-terminated */
	char *zone_file;    /* or NULL */
	char *update_server;
	unsigned update_port;
	char *tsig_key_file;
	char **deploy_argv; /* NULL-terminated */
	char *cert;
	char *key;
	bool watch;
	int64_t safety_margin_s;
	int64_t min_wait_s;
	enum keygen_type key_type; /* of next keys (certs/keygen.h) */
	unsigned retries;	   /* failures of one command before ROLLOVER_FAILED */
	int64_t retry_interval_s;  /* the first backoff; doubles up to an hour */
	int64_t deploy_timeout_s;
	int64_t stall_timeout_s; /* ROLLOVER_STALLED after this long in a phase; 0 never */
};

/* A domain block; what it leaves out is filled in from the global settings. */
struct config_domain {
	char *name;
	unsigned services; /* bit per enum xmpp_service */
	unsigned interval_s;
	int64_t rrsig_margin_s;
	int64_t cert_margin_s;
	int64_t cert_critical_s;
	int severity[FINDING_COUNT]; /* global overrides, then the domain's, or -1 */
	struct config_rollover rollover;
};

struct config {
	char *resolver_config; /* NULL: full recursion from the root */
	char *trust_anchor;
	char *ca_file;
	char *state_db;
	char *control_socket;
	char *http_listen;
	unsigned auth_port;
	unsigned interval_s;
	unsigned timeout_s;
	unsigned max_queries; /* DNS queries in flight at most */
	unsigned max_checks;  /* xdaned: domains checked at once at most */
	unsigned workers;     /* checking threads; 0: one per CPU, at most 4 */
	unsigned cache_mb;    /* xdaned: DNS caches of all workers together, MiB */
	unsigned services;    /* of domains whose block does not name theirs (bit each) */
	int64_t rrsig_margin_s;
	int64_t cert_margin_s;	 /* CERT_EXPIRING warning within this */
	int64_t cert_critical_s; /* ... critical within this */
	unsigned connect_timeout_s;
	unsigned probe_timeout_s;    /* each XMPP/TLS step after connecting */
	char *s2s_from;		     /* from= of s2s stream headers, or NULL */
	int severity[FINDING_COUNT]; /* per-code override from `finding "CODE" {}`, or -1 */
	char **alert_exec;	     /* NULL-terminated argv of the exec hook, or NULL */
	char *alert_webhook;
	bool alert_webhook_alertmanager; /* webhook-format "alertmanager" (else "webhook") */
	unsigned alert_consecutive;
	unsigned alert_exec_timeout_s;
	unsigned alert_webhook_timeout_s;
	struct config_domain *domains;
	size_t n_domains;
};

/* A config with every default and no domains. */
int config_defaults(struct config **ret);

/*
 * Reads path. On failure writes one line into err ("FILE:LINE: what is
 * wrong", or "FILE: reason") and returns a negative code.
 */
int config_load(const char *path, struct config **ret, char *err, size_t errlen);

void config_free(struct config *c);

#endif
