/* SPDX-License-Identifier: BSD-3-Clause */
/* Names of the facts' enums, and the one owned allocation (TLSA data). */
#include <stdlib.h>
#include <string.h>

#include "checks/facts.h"

static const struct {
	const char *name;
	const char *label;
	uint16_t default_port;
} facts_services[SERVICE_COUNT] = {
	[SERVICE_XMPP_CLIENT] = {"xmpp-client", "_xmpp-client._tcp", 5222},
	[SERVICE_XMPP_SERVER] = {"xmpp-server", "_xmpp-server._tcp", 5269},
	[SERVICE_XMPPS_CLIENT] = {"xmpps-client", "_xmpps-client._tcp", 0},
	[SERVICE_XMPPS_SERVER] = {"xmpps-server", "_xmpps-server._tcp", 0},
};

static int facts_service_is_valid(enum xmpp_service s)
{
	return (int)s >= 0 && s < SERVICE_COUNT;
}

const char *facts_service_name(enum xmpp_service s)
{
	return facts_service_is_valid(s) ? facts_services[s].name : NULL;
}

int facts_service_from_name(const char *name)
{
	int i;

	for (i = 0; i < SERVICE_COUNT; i++) {
		if (strcmp(facts_services[i].name, name) == 0) {
			return i;
		}
	}
	return -1;
}

uint16_t facts_service_default_port(enum xmpp_service s)
{
	return facts_service_is_valid(s) ? facts_services[s].default_port : 0;
}

const char *facts_service_label(enum xmpp_service s)
{
	return facts_service_is_valid(s) ? facts_services[s].label : NULL;
}

const char *facts_lookup_status_name(enum lookup_status s)
{
	static const char *const names[] = {
		[LOOKUP_NOT_DONE] = "not-done", [LOOKUP_OK] = "ok",
		[LOOKUP_NXDOMAIN] = "nxdomain", [LOOKUP_NODATA] = "nodata",
		[LOOKUP_SERVFAIL] = "servfail", [LOOKUP_REFUSED] = "refused",
		[LOOKUP_TIMEOUT] = "timeout",	[LOOKUP_ERROR] = "error",
	};

	return (int)s >= 0 && s <= LOOKUP_ERROR ? names[s] : "unknown";
}

const char *facts_dnssec_state_name(enum dnssec_state s)
{
	static const char *const names[] = {
		[DNSSEC_INDETERMINATE] = "indeterminate",
		[DNSSEC_SECURE] = "secure",
		[DNSSEC_INSECURE] = "insecure",
		[DNSSEC_BOGUS] = "bogus",
	};

	return (int)s >= 0 && s <= DNSSEC_BOGUS ? names[s] : "unknown";
}

const char *facts_probe_status_name(enum probe_status s)
{
	static const char *const names[] = {
		[PROBE_NOT_DONE] = "not-done",
		[PROBE_CONNECT_FAILED] = "connect-failed",
		[PROBE_STREAM_FAILED] = "stream-failed",
		[PROBE_STARTTLS_FAILED] = "starttls-failed",
		[PROBE_TLS_FAILED] = "tls-failed",
		[PROBE_OK] = "ok",
	};

	return (int)s >= 0 && s <= PROBE_OK ? names[s] : "unknown";
}

const char *facts_dane_verdict_name(enum dane_verdict v)
{
	static const char *const names[] = {
		[DANE_NOT_APPLICABLE] = "not-applicable",
		[DANE_NONE] = "none",
		[DANE_MATCH] = "match",
		[DANE_MISMATCH] = "mismatch",
	};

	return (int)v >= 0 && v <= DANE_MISMATCH ? names[v] : "unknown";
}

void facts_release(struct domain_facts *f)
{
	size_t i, j;

	for (i = 0; i < f->n_probes && i < FACTS_MAX_PROBES; i++) {
		if (f->probes[i].has_leaf) {
			cert_info_release(&f->probes[i].leaf);
			f->probes[i].has_leaf = false;
		}
	}
	for (i = 0; i < f->n_endpoints && i < FACTS_MAX_ENDPOINTS; i++) {
		struct endpoint_facts *e = &f->endpoints[i];

		for (j = 0; j < e->n_tlsa && j < FACTS_MAX_TLSA; j++) {
			free(e->tlsa_recs[j].data);
			e->tlsa_recs[j].data = NULL;
		}
	}
}
