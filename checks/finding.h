/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The findings catalog of DESIGN.md: stable codes, their default severities
 * and meanings, in one table. Codes are a contract with users' alert rules.
 */
#ifndef XDANE_CHECKS_FINDING_H
#define XDANE_CHECKS_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum severity {
	SEVERITY_OK = 0,
	SEVERITY_INFO = 1,
	SEVERITY_WARNING = 2,
	SEVERITY_CRITICAL = 3,
};

/* X(code, default severity, meaning) */
#define FINDING_TABLE(X)                                                                          \
	X(DNSSEC_BOGUS, CRITICAL, "a record needed for the check failed validation")              \
	X(DNS_LOOKUP_FAILED, WARNING, "a lookup failed without a validation verdict")             \
	X(DNSSEC_INSECURE, WARNING, "the domain's records are not signed from a trust anchor")    \
	X(DS_MISMATCH, CRITICAL, "no DS at the parent matches a DNSKEY of the zone")              \
	X(DS_DIGEST_WEAK, WARNING, "a DS uses SHA-1 (digest type 1)")                             \
	X(DNSKEY_ALGORITHM_WEAK, WARNING,                                                         \
	  "the zone is signed with an algorithm that must not be "                                \
	  "used any more (RFC 8624)")                                                             \
	X(DNSKEY_ALGORITHM_UNSUPPORTED, WARNING,                                                  \
	  "the zone is signed only with algorithms this validator cannot verify")                 \
	X(RRSIG_EXPIRING, WARNING, "a signature on a checked RRset expires within the margin")    \
	X(NSEC3_ITERATIONS, WARNING, "NSEC3 with more than 0 extra iterations (RFC 9276)")        \
	X(NS_INCONSISTENT, WARNING, "authoritative servers disagree on SOA serial or DNSKEY set") \
	X(NS_UNREACHABLE, WARNING, "an authoritative server does not answer")                     \
	X(SRV_MISSING, WARNING, "no SRV for a configured service")                                \
	X(SRV_INSECURE, WARNING, "SRV RRset not secure, so DANE cannot apply to the service")     \
	X(SRV_TARGET_INVALID, CRITICAL, "an SRV target has no address records, or is a CNAME")    \
	X(ADDRESS_INSECURE, WARNING, "A/AAAA of a target not secure, so DANE cannot apply")       \
	X(TLSA_MISSING, WARNING, "secure SRV and address, but no TLSA for the endpoint")          \
	X(TLSA_MISMATCH, CRITICAL, "TLSA records exist, none matches the presented chain")        \
	X(TLSA_AGILITY_TRAP, CRITICAL, "a record matches, but peers ignore it (RFC 7671 §9)")     \
	X(TLSA_UNUSABLE, WARNING, "a TLSA record is unknown or malformed")                        \
	X(TLSA_NO_ROLLOVER_SLOT, INFO, "only one TLSA record: no pre-published next key")         \
	X(TLSA_FRAGILE, WARNING, "every matching record pins the whole certificate")              \
	X(CONNECT_FAILED, CRITICAL, "TCP connection to the endpoint failed or timed out")         \
	X(XMPP_STREAM_FAILED, CRITICAL, "the endpoint does not speak XMPP")                       \
	X(STARTTLS_FAILED, CRITICAL, "STARTTLS not offered, refused or cut off")                  \
	X(TLS_HANDSHAKE_FAILED, CRITICAL, "the TLS handshake failed")                             \
	X(TLS_VERSION_OLD, WARNING, "the endpoint negotiated a TLS version below 1.2")            \
	X(CERT_EXPIRED, CRITICAL, "the leaf certificate is expired or not yet valid")             \
	X(CERT_EXPIRING, WARNING, "the leaf expires within the margin")                           \
	X(CERT_NAME_MISMATCH, CRITICAL, "the leaf does not name the domain")                      \
	X(PKIX_UNTRUSTED, WARNING, "the chain does not validate to a trusted CA")                 \
	X(ENDPOINTS_DIFFER, WARNING, "endpoints of one service present different certificates")   \
	X(ROLLOVER_STALLED, WARNING, "a rollover has waited in one state longer than its limit")  \
	X(ROLLOVER_FAILED, CRITICAL, "a rollover step failed and needs a person")

enum finding_code {
#define FINDING_ENUM_(code, sev, meaning) FINDING_##code,
	FINDING_TABLE(FINDING_ENUM_)
#undef FINDING_ENUM_
		FINDING_COUNT
};

/* "TLSA_MISMATCH"; NULL for a value outside the table. */
const char *finding_code_name(enum finding_code code);

/* The code named name (exact, upper-case), or -1. */
int finding_code_from_name(const char *name);

enum severity finding_default_severity(enum finding_code code);

const char *finding_meaning(enum finding_code code);

/* A subject field longer than this is cut (names are at most 255 octets). */
#define FINDING_SUBJECT_MAX 256
#define FINDING_MESSAGE_MAX 512

/*
 * One finding: a code, its severity and its subject. Empty strings and port
 * 0 mean "not applicable" (a zone-level finding has no service).
 */
struct finding {
	enum finding_code code;
	enum severity severity;
	char service[16];		  /* "xmpp-client", ... */
	char target[FINDING_SUBJECT_MAX]; /* SRV target, NS name or RRset owner */
	uint16_t port;
	char address[48];
	char message[FINDING_MESSAGE_MAX]; /* one line for a person: what and what to do */
};

struct findings {
	struct finding *v;
	size_t n;
	size_t cap;
};

/*
 * Appends a finding; subject strings may be NULL. The message is printf-like
 * and cut at FINDING_MESSAGE_MAX. Returns 0 or -ENOMEM.
 */
int findings_add(struct findings *l, enum finding_code code, enum severity sev, const char *service,
		 const char *target, uint16_t port, const char *address, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/* The worst severity among the findings, SEVERITY_OK when there are none. */
enum severity findings_worst(const struct findings *l);

/* Index of the first finding with code, or -1. */
int findings_find(const struct findings *l, enum finding_code code);

void findings_release(struct findings *l);

/* "ok", "info", "warning", "critical". */
const char *severity_name(enum severity sev);

/* The severity named name, or -1. */
int severity_from_name(const char *name);

#endif
