/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What one check of a domain gathered: plain data, filled by the gathering
 * modules (dnscheck, authq) and read by the pure judge (judge.h). Nothing in
 * here points at a library object; the only owned memory is TLSA data, freed
 * by facts_release. Every list has a bound, and a flag says when it was hit.
 */
#ifndef XDANE_CHECKS_FACTS_H
#define XDANE_CHECKS_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certs/cert.h"

/* A domain name in presentation form, absolute (trailing dot), plus NUL. */
#define FACTS_NAME_MAX 256
/* An IPv6 address in text (INET6_ADDRSTRLEN). */
#define FACTS_ADDR_MAX 46
/* The validator's reason for a bogus answer, as much as a report line holds. */
#define FACTS_WHY_MAX 256

/*
 * Bounds on what one domain may make us follow. Real XMPP deployments use a
 * handful of each; the bounds keep a hostile zone from making a check (or the
 * daemon holding thousands of them) unbounded.
 */
#define FACTS_MAX_SRV	    16 /* SRV records followed per service */
#define FACTS_MAX_TARGETS   16 /* distinct SRV targets per domain */
#define FACTS_MAX_ADDRS	    8  /* A (or AAAA) records kept per target */
#define FACTS_MAX_ENDPOINTS 64 /* (service, target, port) triples per domain */
#define FACTS_MAX_TLSA	    16 /* TLSA records kept per endpoint */
#define FACTS_MAX_DS	    16 /* DS records kept at the parent */
#define FACTS_MAX_DNSKEY    16 /* DNSKEY records kept per zone or server */
#define FACTS_MAX_SERVERS   16 /* authoritative server addresses queried */
#define FACTS_MAX_PROBES    64 /* connections per domain (endpoint x address x key type) */
#define FACTS_MAX_CHAIN	    10 /* certificates kept of a presented chain (verify depth) */

enum xmpp_service {
	SERVICE_XMPP_CLIENT = 0, /* _xmpp-client._tcp, STARTTLS, RFC 6120 */
	SERVICE_XMPP_SERVER,	 /* _xmpp-server._tcp, STARTTLS */
	SERVICE_XMPPS_CLIENT,	 /* _xmpps-client._tcp, Direct TLS, XEP-0368 */
	SERVICE_XMPPS_SERVER,	 /* _xmpps-server._tcp, Direct TLS */
	SERVICE_COUNT
};

/* How a lookup ended. Only OK, NXDOMAIN and NODATA carry a validation state. */
enum lookup_status {
	LOOKUP_NOT_DONE = 0, /* not asked (e.g. TLSA where DANE does not apply) */
	LOOKUP_OK,	     /* NOERROR with records of the asked type */
	LOOKUP_NXDOMAIN,     /* the name does not exist */
	LOOKUP_NODATA,	     /* the name exists, the type does not */
	LOOKUP_SERVFAIL,     /* SERVFAIL without a bogus verdict: servers failing */
	LOOKUP_REFUSED,
	LOOKUP_TIMEOUT,
	LOOKUP_ERROR, /* another rcode, or the resolver itself failed */
};

enum dnssec_state {
	DNSSEC_INDETERMINATE = 0, /* no answer to judge (lookup failed or not done) */
	DNSSEC_SECURE,		  /* validated from a trust anchor (a denial: secure denial) */
	DNSSEC_INSECURE,	  /* provably unsigned, or signed with no chain to an anchor */
	DNSSEC_BOGUS,		  /* validation failed; why says why */
};

/* One RRset (or its absence) as the validating resolver returned it. */
struct rrset_facts {
	enum lookup_status status;
	enum dnssec_state state;
	int rcode;		    /* as received, for messages */
	uint32_t ttl;		    /* of the RRset, or the negative TTL of a denial */
	char why[FACTS_WHY_MAX];    /* validator's reason when BOGUS, else "" */
	char cname[FACTS_NAME_MAX]; /* non-empty: the name is an alias of this name */
	int64_t sig_expiration;	    /* soonest RRSIG expiration on the RRset, 0 if none */
	size_t n_found;		    /* records of the type in the answer */
	bool truncated;		    /* n_found exceeded the bound: the rest were ignored */
};

struct srv_facts {
	uint16_t priority;
	uint16_t weight;
	uint16_t port;
	char target[FACTS_NAME_MAX]; /* "." for "service decidedly not available" */
};

struct service_facts {
	bool enabled;	       /* among the services asked for */
	struct rrset_facts rr; /* the SRV RRset at _SERVICE._tcp.DOMAIN */
	size_t n_srv;	       /* kept, sorted by priority, then weight descending */
	struct srv_facts srv[FACTS_MAX_SRV];
	bool absent;   /* a single SRV with target ".": decidedly not offered (RFC 2782) */
	bool fallback; /* no SRV: peers use DOMAIN on the default port (STARTTLS only) */
};

struct target_facts {
	char name[FACTS_NAME_MAX];
	struct rrset_facts a;
	struct rrset_facts aaaa;
	size_t n_a;
	char a_addrs[FACTS_MAX_ADDRS][FACTS_ADDR_MAX];
	size_t n_aaaa;
	char aaaa_addrs[FACTS_MAX_ADDRS][FACTS_ADDR_MAX];
};

struct tlsa_facts {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	uint8_t *data; /* owned; freed by facts_release */
	size_t len;
};

/* A (service, target, port): where a peer connects and looks for TLSA. */
struct endpoint_facts {
	enum xmpp_service service;
	size_t target; /* index into domain_facts.targets */
	uint16_t port;
	bool dane_applies; /* SRV (or fallback) and the target's addresses are secure */
	char tlsa_owner[FACTS_NAME_MAX]; /* _PORT._tcp.TARGET (RFC 7673) */
	struct rrset_facts tlsa;	 /* status NOT_DONE when !dane_applies */
	size_t n_tlsa;
	struct tlsa_facts tlsa_recs[FACTS_MAX_TLSA];
};

/* How far a probe of an endpoint got. */
enum probe_status {
	PROBE_NOT_DONE = 0,
	PROBE_CONNECT_FAILED,  /* TCP refused, unreachable or timed out */
	PROBE_STREAM_FAILED,   /* no valid stream header and features (in TLS for Direct TLS) */
	PROBE_STARTTLS_FAILED, /* <starttls/> not offered, <failure/>, or closed before <proceed/>
				*/
	PROBE_TLS_FAILED,      /* the handshake failed */
	PROBE_OK,	       /* TLS up (and, for Direct TLS, stream features inside it) */
};

/* OpenSSL's DANE verdict on a presented chain (RFC 6698, RFC 7671). */
enum dane_verdict {
	DANE_NOT_APPLICABLE = 0, /* no secure TLSA RRset: DANE peers do not use DANE here */
	DANE_NONE,		 /* TLSA records exist, none usable */
	DANE_MATCH,
	DANE_MISMATCH,
};

/*
 * One connection to one address of an endpoint: what the server presented
 * and how it verified. The leaf's description is owned (facts_release).
 */
struct probe_facts {
	size_t endpoint; /* index into domain_facts.endpoints */
	char address[FACTS_ADDR_MAX];
	bool rsa_only; /* offered only RSA signature algorithms (second key type) */
	enum probe_status status;
	char detail[192]; /* what failed, for a person: "connection refused", "<failure/>" */
	/* The handshake ended at a fatal alert from the server: it refused what we offered. */
	bool tls_alert;
	uint16_t tls_version; /* 0x0303 TLS 1.2, 0x0304 TLS 1.3; 0 without TLS */
	char tls_version_name[16];
	char cipher[64];
	size_t chain_len; /* certificates presented (kept at most FACTS_MAX_CHAIN) */
	uint8_t chain_sha256[FACTS_MAX_CHAIN][CERT_SHA256_LEN];
	bool has_leaf;
	struct cert_info leaf;
	enum dane_verdict dane; /* OpenSSL's verdict, digest agility included */
	int dane_depth;		/* chain depth of the match, -1 without */
	int dane_record;	/* index into the endpoint's tlsa_recs of the match, -1 without */
	/* Each record checked alone, without RFC 7671 §9 digest agility: 1 matches the chain. */
	uint8_t tlsa_match[FACTS_MAX_TLSA];
	bool pkix_ok; /* the chain validates to a trusted CA (names not checked) */
	char pkix_error[128];
};

struct ds_facts {
	uint16_t key_tag;
	uint8_t algorithm;
	uint8_t digest_type;
	int key_index; /* index into zone_facts.dnskeys of the key it matches, or -1 */
};

struct dnskey_facts {
	uint16_t flags; /* 257 KSK (SEP), 256 ZSK; 0x80 revoked */
	uint8_t protocol;
	uint8_t algorithm;
	uint16_t key_tag;
};

/* One authoritative server address, queried directly (no recursion, DO set). */
struct server_facts {
	char name[FACTS_NAME_MAX]; /* the NS name */
	char address[FACTS_ADDR_MAX];
	enum lookup_status status; /* of its SOA answer: OK, TIMEOUT, REFUSED, ... */
	bool authoritative;	   /* AA set on the SOA answer */
	uint32_t serial;
	size_t n_dnskey; /* its DNSKEY set, sorted by (key_tag, algorithm, flags) */
	struct dnskey_facts dnskeys[FACTS_MAX_DNSKEY];
	int64_t soa_sig_expiration;    /* soonest, 0 if unsigned */
	int64_t dnskey_sig_expiration; /* soonest, 0 if unsigned */
	bool has_nsec3param;
	uint16_t nsec3_iterations;
	uint8_t nsec3_salt_len;
};

struct zone_facts {
	char apex[FACTS_NAME_MAX]; /* the zone holding the domain; "" if not found */
	struct rrset_facts soa;	   /* through the resolver: the zone's DNSSEC state */
	struct rrset_facts dnskey; /* through the resolver */
	size_t n_dnskey;
	struct dnskey_facts dnskeys[FACTS_MAX_DNSKEY];
	struct rrset_facts ds; /* at the parent, through the resolver */
	size_t n_ds;
	struct ds_facts ds_recs[FACTS_MAX_DS];
	struct rrset_facts ns; /* the zone's NS RRset */
	size_t n_servers;
	struct server_facts servers[FACTS_MAX_SERVERS];
	bool servers_truncated;
};

struct domain_facts {
	char domain[FACTS_NAME_MAX]; /* absolute */
	int64_t checked_at;	     /* wall clock, seconds */
	double duration_s;
	struct service_facts services[SERVICE_COUNT];
	size_t n_targets;
	struct target_facts targets[FACTS_MAX_TARGETS];
	bool targets_truncated;
	size_t n_endpoints;
	struct endpoint_facts endpoints[FACTS_MAX_ENDPOINTS];
	bool endpoints_truncated;
	bool zone_checked; /* zone health was gathered */
	struct zone_facts zone;
	bool probed; /* endpoints were connected to */
	size_t n_probes;
	struct probe_facts probes[FACTS_MAX_PROBES];
	bool probes_truncated;
};

/* "xmpp-client", ...; NULL outside the enum. */
const char *facts_service_name(enum xmpp_service s);

/* The service named name, or -1. */
int facts_service_from_name(const char *name);

/* 5222 for xmpp-client, 5269 for xmpp-server, 0 for Direct TLS (no fallback, XEP-0368). */
uint16_t facts_service_default_port(enum xmpp_service s);

/* "_xmpp-client._tcp" etc. */
const char *facts_service_label(enum xmpp_service s);

const char *facts_lookup_status_name(enum lookup_status s);
const char *facts_dnssec_state_name(enum dnssec_state s);

const char *facts_probe_status_name(enum probe_status s);
const char *facts_dane_verdict_name(enum dane_verdict v);

/* Frees TLSA data and the probes' leaf descriptions. */
void facts_release(struct domain_facts *f);

#endif
