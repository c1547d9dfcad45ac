/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the HTTP listener serves, rendered ahead of time: for each domain,
 * its Prometheus samples (one text fragment per metric family, so /metrics
 * can emit every family's samples together, as the text format requires)
 * and its row of the HTML overview. Pure: from a DOMAIN_REPORT (json_t of
 * checks/report.h), the domain's active findings with first-seen times and
 * its rollover state, never I/O or the clock.
 */
#ifndef XDANE_DAEMON_RENDER_H
#define XDANE_DAEMON_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/statedb.h"

/* The metric families of DESIGN.md ("xdaned and its config", HTTP). */
#define RENDER_FAMILY_TABLE(X)                                                                 \
	X(DOMAIN_STATUS, "xdane_domain_status", "gauge",                                       \
	  "Status of the domain's last check: 0 ok, 1 info, 2 warning, 3 critical, 4 unknown") \
	X(FINDING, "xdane_finding", "gauge", "1 for each active finding of the last check")    \
	X(DANE_MATCH, "xdane_dane_match", "gauge",                                             \
	  "1 if the endpoint's chain matched a TLSA record, else 0")                           \
	X(TLSA_RECORD_MATCH, "xdane_tlsa_record_match", "gauge",                               \
	  "1 if this published TLSA record matched the endpoint's chain, else 0")              \
	X(DNSSEC_STATE, "xdane_dnssec_state", "gauge",                                         \
	  "1 for the DNSSEC state of each checked RRset")                                      \
	X(CERT_NOT_AFTER, "xdane_cert_not_after_timestamp_seconds", "gauge",                   \
	  "Expiry of the leaf certificate an endpoint presented")                              \
	X(RRSIG_EXPIRY, "xdane_rrsig_expiry_timestamp_seconds", "gauge",                       \
	  "Soonest RRSIG expiration of the zone's RRsets of this type")                        \
	X(LAST_CHECK, "xdane_last_check_timestamp_seconds", "gauge",                           \
	  "When the domain was last checked")                                                  \
	X(CHECK_DURATION, "xdane_check_duration_seconds", "gauge",                             \
	  "How long the domain's last check took")                                             \
	X(ROLLOVER_STATE, "xdane_rollover_state", "gauge",                                     \
	  "1 for the state the domain's certificate rollover is in")

enum render_family {
#define RENDER_FAMILY_ENUM_(id, name, type, help) RENDER_##id,
	RENDER_FAMILY_TABLE(RENDER_FAMILY_ENUM_)
#undef RENDER_FAMILY_ENUM_
		RENDER_FAMILY_COUNT
};

/*
 * What the listener shows of one domain, immutable once built: each family's
 * sample lines (each ending in '\n'; "" when none), then its row of the HTML
 * overview, as parts of one allocation, each followed by a NUL.
 */
#define RENDER_PART_ROW RENDER_FAMILY_COUNT /* the part after the families */
struct render_domain {
	char *text;
	uint32_t off[RENDER_PART_ROW + 2]; /* part p is text[off[p] .. off[p + 1] - 1) */
	int status;			   /* 0 ok .. 3 critical, 4 unknown (never checked) */
};

/* Part p (a family, or RENDER_PART_ROW) of d, NUL-terminated; its length into ret_len. */
const char *render_part(const struct render_domain *d, size_t part, size_t *ret_len);

/*
 * Renders one domain from its DOMAIN_REPORT (NULL: never checked yet), its
 * active findings (their first_seen is shown) and its rollover state
 * (NULL or "": no rollover configured, then xdane_rollover_state has only
 * its state="none" series). Returns 0 or -ENOMEM (out then empty).
 */
int render_domain(const char *domain, const json_t *report, const struct statedb_findings *active,
		  const char *rollover_state, struct render_domain *out);
void render_domain_release(struct render_domain *d);

/* "# HELP ...\n# TYPE ...\n" of a family. */
const char *render_family_header(enum render_family f);
/* The family's metric name ("xdane_domain_status"). */
const char *render_family_name(enum render_family f);

/* The daemon's own samples (xdane_up-style families), appended after the domains'. */
struct render_daemon_stats {
	int64_t started_at;
	uint64_t checks_total;
	uint64_t checks_failed_total; /* could not check (deadline, error) */
	unsigned checks_in_flight;
	unsigned domains;
	uint64_t alerts_delivered_total;
	uint64_t alert_delivery_failures_total;
	unsigned alerts_pending; /* outbox rows not yet delivered */
	uint64_t state_errors_total;
	bool state_db_ok;	    /* the last write (or the open) worked */
	char state_db_problem[640]; /* why not, one line; "" when ok */
};
int render_daemon_metrics(const struct render_daemon_stats *s, char **ret);

/*
 * The HTML overview: head (title, generated time `now`, counts by status,
 * and a banner when problem, xdaned's own trouble, is not NULL) then the
 * rows in the given order, then the tail. Self-contained (inline CSS, no
 * script), escaped.
 */
int render_page_head(int64_t now, const unsigned counts[5], const char *problem, char **ret);
const char *render_page_tail(void);

/* Escapes text for HTML into a malloc'd string. */
char *render_html_escape(const char *text);

#endif
