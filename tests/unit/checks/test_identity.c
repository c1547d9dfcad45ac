/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for checks/identity: one row per rule of RFC 6120 §13.7.2.1,
 * RFC 6125 §6 and RFC 7673 §3, with hand-built certificate names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "certs/cert.h"
#include "checks/identity.h"
#include "common/err.h"

#define MAX_NAMES 4

/* A presented name with its length, so that a row can hold an embedded NUL. */
struct name {
	const char *s;
	size_t len;
};

#define N(lit)                         \
	{                              \
		(lit), sizeof(lit) - 1 \
	}

struct row {
	const char *what;
	struct name dns[MAX_NAMES];
	struct name srv[MAX_NAMES];
	struct name xmpp[MAX_NAMES];
	const char *cn;
	size_t n_rejected;
	const char *domain;
	enum xmpp_service service;
	const char *target;
	enum identity_kind kind; /* IDENTITY_NONE: nothing matches */
	const char *presented;
	const char *reference;
};

#define ROWS(a) (sizeof(a) / sizeof((a)[0]))

static void add_names(struct strlist *l, const struct name *names)
{
	size_t i;

	for (i = 0; i < MAX_NAMES && names[i].s != NULL; i++) {
		/* A name holding a NUL never gets into a cert_info (strlist_add refuses it). */
		if (memchr(names[i].s, '\0', names[i].len) != NULL) {
			assert_int_equal(strlist_add(l, names[i].s, names[i].len), -EINVAL);
			continue;
		}
		assert_int_equal(strlist_add(l, names[i].s, names[i].len), 0);
	}
}

static void build_cert(const struct row *row, struct cert_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	add_names(&ret->ids.dns_ids, row->dns);
	add_names(&ret->ids.srv_ids, row->srv);
	add_names(&ret->ids.xmpp_addrs, row->xmpp);
	ret->ids.n_rejected = row->n_rejected;
	if (row->cn != NULL) {
		ret->cn = strdup(row->cn);
		assert_non_null(ret->cn);
	}
}

static void check_row(const struct row *row)
{
	struct cert_info info;
	struct identity_ref ref = {row->domain, row->service, row->target};
	struct identity_result res;
	bool want = row->kind != IDENTITY_NONE;
	int r;

	build_cert(row, &info);
	memset(&res, 0xa5, sizeof(res));
	r = identity_match(&info, &ref, &res);
	cert_info_release(&info);
	if (r != 0) {
		fail_msg("%s: identity_match returned %d", row->what, r);
	}
	if (res.matched != want || res.kind != row->kind) {
		fail_msg("%s: matched %d kind %s, want %d %s", row->what, res.matched,
			 identity_kind_name(res.kind), want, identity_kind_name(row->kind));
	}
	if (strcmp(res.presented, want ? row->presented : "") != 0 ||
	    strcmp(res.reference, want ? row->reference : "") != 0) {
		fail_msg("%s: presented '%s' reference '%s'", row->what, res.presented,
			 res.reference);
	}
}

static void check_rows(const struct row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		check_row(&rows[i]);
	}
}

/* DNS-IDs without wildcards: RFC 6125 §6.4.1, case and one trailing dot ignored. */
static void test_dns_id_exact(void **state)
{
	static const struct row rows[] = {
		{"exact", .dns = {N("example.org")}, .domain = "example.org",
		 .kind = IDENTITY_DNS_ID, .presented = "example.org", .reference = "example.org"},
		{"presented case", .dns = {N("ExAmPle.ORG")}, .domain = "example.org",
		 .kind = IDENTITY_DNS_ID, .presented = "ExAmPle.ORG", .reference = "example.org"},
		{"reference case kept", .dns = {N("example.org")}, .domain = "EXAMPLE.org",
		 .kind = IDENTITY_DNS_ID, .presented = "example.org", .reference = "EXAMPLE.org"},
		{"presented trailing dot", .dns = {N("example.org.")}, .domain = "example.org",
		 .kind = IDENTITY_DNS_ID, .presented = "example.org.", .reference = "example.org"},
		{"reference trailing dot", .dns = {N("example.org")}, .domain = "example.org.",
		 .kind = IDENTITY_DNS_ID, .presented = "example.org", .reference = "example.org"},
		{"both trailing dots", .dns = {N("example.org.")}, .domain = "example.org.",
		 .kind = IDENTITY_DNS_ID, .presented = "example.org.", .reference = "example.org"},
		{"single-label domain", .dns = {N("localhost")}, .domain = "localhost",
		 .kind = IDENTITY_DNS_ID, .presented = "localhost", .reference = "localhost"},
		{"second of several", .dns = {N("other.example"), N("example.org")},
		 .domain = "example.org", .kind = IDENTITY_DNS_ID, .presented = "example.org",
		 .reference = "example.org"},
		{"A-label exact", .dns = {N("xn--bcher-kva.example")},
		 .domain = "XN--BCHER-KVA.example", .kind = IDENTITY_DNS_ID,
		 .presented = "xn--bcher-kva.example", .reference = "XN--BCHER-KVA.example"},
		{"A-label below", .dns = {N("xmpp.xn--bcher-kva.example")},
		 .domain = "xmpp.xn--bcher-kva.example", .kind = IDENTITY_DNS_ID,
		 .presented = "xmpp.xn--bcher-kva.example",
		 .reference = "xmpp.xn--bcher-kva.example"},
		{"parent only", .dns = {N("example.org")}, .domain = "xmpp.example.org"},
		{"child only", .dns = {N("xmpp.example.org")}, .domain = "example.org"},
		{"suffix is not a label", .dns = {N("notexample.org")}, .domain = "example.org"},
		{"prefix is not a name", .dns = {N("example.or")}, .domain = "example.org"},
		{"two trailing dots", .dns = {N("example.org..")}, .domain = "example.org"},
		{"leading dot", .dns = {N(".example.org")}, .domain = "example.org"},
		{"empty label", .dns = {N("example..org")}, .domain = "example.org"},
		{"empty name", .dns = {N("")}, .domain = "example.org"},
		{"only a dot", .dns = {N(".")}, .domain = "example.org"},
		{"inner space", .dns = {N("example .org")}, .domain = "example.org"},
		{"trailing space", .dns = {N("example.org ")}, .domain = "example.org"},
		{"underscore", .dns = {N("x_y.example.org")}, .domain = "x-y.example.org"},
		{"U-label is not the A-label",
		 .dns = {N("b\xc3\xbc"
			   "cher.example")},
		 .domain = "xn--bcher-kva.example"},
		/*
		 * A name with a NUL never reaches the matcher: certs/san.c rejects it
		 * and strlist_add refuses it, so a forged prefix cannot match.
		 */
		{"NUL first", .dns = {N("\0example.org")}, .domain = "example.org"},
		{"NUL before a forged suffix", .dns = {N("example.org\0.evil.net")},
		 .domain = "example.org"},
		{"NUL inside", .dns = {N("exam\0ple.org")}, .domain = "example.org"},
		{"NUL after a wildcard", .dns = {N("*\0.example.org")},
		 .domain = "xmpp.example.org"},
	};

	(void)state;
	check_rows(rows, ROWS(rows));
}

/* RFC 6125 §6.4.3, §7.2 and RFC 9525 §6.3: "*" is a whole left-most label for one label. */
static void test_dns_id_wildcard(void **state)
{
	static const struct row rows[] = {
		{"one label", .dns = {N("*.example.org")}, .domain = "xmpp.example.org",
		 .kind = IDENTITY_DNS_ID, .presented = "*.example.org",
		 .reference = "xmpp.example.org"},
		{"case and dots", .dns = {N("*.EXAMPLE.org.")}, .domain = "XMPP.example.org.",
		 .kind = IDENTITY_DNS_ID, .presented = "*.EXAMPLE.org.",
		 .reference = "XMPP.example.org"},
		{"under an A-label", .dns = {N("*.xn--bcher-kva.example")},
		 .domain = "chat.xn--bcher-kva.example", .kind = IDENTITY_DNS_ID,
		 .presented = "*.xn--bcher-kva.example", .reference = "chat.xn--bcher-kva.example"},
		{"xn- without the second hyphen is no A-label", .dns = {N("*.example.org")},
		 .domain = "xn-a.example.org", .kind = IDENTITY_DNS_ID,
		 .presented = "*.example.org", .reference = "xn-a.example.org"},
		{"label xn alone", .dns = {N("*.example.org")}, .domain = "xn.example.org",
		 .kind = IDENTITY_DNS_ID, .presented = "*.example.org",
		 .reference = "xn.example.org"},
		{"first listed wins", .dns = {N("*.example.org"), N("xmpp.example.org")},
		 .domain = "xmpp.example.org", .kind = IDENTITY_DNS_ID,
		 .presented = "*.example.org", .reference = "xmpp.example.org"},
		{"not the apex", .dns = {N("*.example.org")}, .domain = "example.org"},
		{"not two labels", .dns = {N("*.example.org")}, .domain = "a.b.example.org"},
		{"partial: prefix", .dns = {N("x*.example.org")}, .domain = "xmpp.example.org"},
		{"partial: prefix, empty rest", .dns = {N("x*.example.org")},
		 .domain = "x.example.org"},
		{"partial: suffix", .dns = {N("*mpp.example.org")}, .domain = "xmpp.example.org"},
		{"partial: inside", .dns = {N("xm*p.example.org")}, .domain = "xmpp.example.org"},
		{"double star", .dns = {N("**.example.org")}, .domain = "xmpp.example.org"},
		{"not left-most", .dns = {N("xmpp.*.org")}, .domain = "xmpp.example.org"},
		{"right-most", .dns = {N("xmpp.example.*")}, .domain = "xmpp.example.org"},
		{"two wildcards", .dns = {N("*.*.org")}, .domain = "xmpp.example.org"},
		{"one label after", .dns = {N("*.org")}, .domain = "example.org"},
		{"one label after, dotted", .dns = {N("*.org.")}, .domain = "example.org"},
		{"star alone", .dns = {N("*")}, .domain = "localhost"},
		{"star dot", .dns = {N("*.")}, .domain = "localhost"},
		{"star dot dot", .dns = {N("*..")}, .domain = "example.org"},
		{"empty label after", .dns = {N("*..example.org")}, .domain = "xmpp.example.org"},
		{"A-label", .dns = {N("*.example.org")}, .domain = "xn--bcher-kva.example.org"},
		{"A-label, upper case", .dns = {N("*.example.org")},
		 .domain = "XN--bcher-kva.example.org"},
		{"other domain", .dns = {N("*.example.net")}, .domain = "xmpp.example.org"},
	};

	(void)state;
	check_rows(rows, ROWS(rows));
}

/* RFC 4985 and RFC 6120 §13.7.1.2.1: "_Service.D" for the peer's service, never a wildcard. */
static void test_srv_id(void **state)
{
	static const struct row rows[] = {
		{"client", .srv = {N("_xmpp-client.example.org")}, .domain = "example.org",
		 .service = SERVICE_XMPP_CLIENT, .kind = IDENTITY_SRV_ID,
		 .presented = "_xmpp-client.example.org", .reference = "example.org"},
		{"server", .srv = {N("_xmpp-server.example.org")}, .domain = "example.org",
		 .service = SERVICE_XMPP_SERVER, .kind = IDENTITY_SRV_ID,
		 .presented = "_xmpp-server.example.org", .reference = "example.org"},
		{"xmpps-client, own label", .srv = {N("_xmpps-client.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPPS_CLIENT, .kind = IDENTITY_SRV_ID,
		 .presented = "_xmpps-client.example.org", .reference = "example.org"},
		{"xmpps-client, STARTTLS label", .srv = {N("_xmpp-client.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPPS_CLIENT, .kind = IDENTITY_SRV_ID,
		 .presented = "_xmpp-client.example.org", .reference = "example.org"},
		{"xmpps-server, own label", .srv = {N("_xmpps-server.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPPS_SERVER, .kind = IDENTITY_SRV_ID,
		 .presented = "_xmpps-server.example.org", .reference = "example.org"},
		{"xmpps-server, STARTTLS label", .srv = {N("_xmpp-server.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPPS_SERVER, .kind = IDENTITY_SRV_ID,
		 .presented = "_xmpp-server.example.org", .reference = "example.org"},
		{"case and dots", .srv = {N("_XMPP-Client.Example.ORG.")}, .domain = "example.org.",
		 .service = SERVICE_XMPP_CLIENT, .kind = IDENTITY_SRV_ID,
		 .presented = "_XMPP-Client.Example.ORG.", .reference = "example.org"},
		{"second of several",
		 .srv = {N("_xmpp-server.example.org"), N("_xmpp-client.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPP_CLIENT, .kind = IDENTITY_SRV_ID,
		 .presented = "_xmpp-client.example.org", .reference = "example.org"},
		{"A-label", .srv = {N("_xmpp-client.xn--bcher-kva.example")},
		 .domain = "xn--bcher-kva.example", .service = SERVICE_XMPP_CLIENT,
		 .kind = IDENTITY_SRV_ID, .presented = "_xmpp-client.xn--bcher-kva.example",
		 .reference = "xn--bcher-kva.example"},
		{"server for client", .srv = {N("_xmpp-server.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPP_CLIENT},
		{"client for server", .srv = {N("_xmpp-client.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPP_SERVER},
		{"Direct TLS label for STARTTLS client", .srv = {N("_xmpps-client.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPP_CLIENT},
		{"Direct TLS label for STARTTLS server", .srv = {N("_xmpps-server.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPP_SERVER},
		{"xmpps-client, server labels",
		 .srv = {N("_xmpp-server.example.org"), N("_xmpps-server.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPPS_CLIENT},
		{"xmpps-server, client labels",
		 .srv = {N("_xmpp-client.example.org"), N("_xmpps-client.example.org")},
		 .domain = "example.org", .service = SERVICE_XMPPS_SERVER},
		{"other domain", .srv = {N("_xmpp-client.example.net")}, .domain = "example.org"},
		{"parent domain", .srv = {N("_xmpp-client.example.org")},
		 .domain = "chat.example.org"},
		{"wildcard", .srv = {N("_xmpp-client.*.example.org")},
		 .domain = "chat.example.org"},
		{"wildcard, one label", .srv = {N("_xmpp-client.*.org")}, .domain = "example.org"},
		{"wildcard service", .srv = {N("*.example.org")}, .domain = "example.org"},
		{"no underscore", .srv = {N("xmpp-client.example.org")}, .domain = "example.org"},
		{"no service", .srv = {N("_.example.org")}, .domain = "example.org"},
		{"no name", .srv = {N("_xmpp-client")}, .domain = "example.org"},
		{"no name, dot", .srv = {N("_xmpp-client.")}, .domain = "example.org"},
		{"empty label", .srv = {N("_xmpp-client..example.org")}, .domain = "example.org"},
		{"SRV owner, not SRVName", .srv = {N("_xmpp-client._tcp.example.org")},
		 .domain = "example.org"},
		{"unknown service", .srv = {N("_xmpp-bosh.example.org")}, .domain = "example.org"},
		{"space", .srv = {N("_xmpp-client.example.org ")}, .domain = "example.org"},
		{"NUL inside", .srv = {N("_xmpp-client\0.example.org")}, .domain = "example.org"},
		{"not against the SRV target", .srv = {N("_xmpp-client.xmpp1.hosting.net")},
		 .domain = "example.org", .target = "xmpp1.hosting.net"},
		{"SRV-ID as a DNS-ID", .dns = {N("_xmpp-client.example.org")},
		 .domain = "example.org"},
	};

	(void)state;
	check_rows(rows, ROWS(rows));
}

/* RFC 6120 §13.7.1.4: the bare domain, without localpart or resourcepart. */
static void test_xmpp_addr(void **state)
{
	static const struct row rows[] = {
		{"bare domain", .xmpp = {N("example.org")}, .domain = "example.org",
		 .kind = IDENTITY_XMPP_ADDR, .presented = "example.org",
		 .reference = "example.org"},
		{"case and dots", .xmpp = {N("EXAMPLE.org.")}, .domain = "example.org.",
		 .kind = IDENTITY_XMPP_ADDR, .presented = "EXAMPLE.org.",
		 .reference = "example.org"},
		{"for a server too", .xmpp = {N("example.org")}, .domain = "example.org",
		 .service = SERVICE_XMPPS_SERVER, .kind = IDENTITY_XMPP_ADDR,
		 .presented = "example.org", .reference = "example.org"},
		{"localpart", .xmpp = {N("user@example.org")}, .domain = "example.org"},
		{"empty localpart", .xmpp = {N("@example.org")}, .domain = "example.org"},
		{"resourcepart", .xmpp = {N("example.org/resource")}, .domain = "example.org"},
		{"full JID", .xmpp = {N("user@example.org/resource")}, .domain = "example.org"},
		{"wildcard", .xmpp = {N("*.example.org")}, .domain = "chat.example.org"},
		{"other domain", .xmpp = {N("example.net")}, .domain = "example.org"},
		{"U-label",
		 .xmpp = {N("b\xc3\xbc"
			    "cher.example")},
		 .domain = "xn--bcher-kva.example"},
		{"not against the SRV target", .xmpp = {N("xmpp1.hosting.net")},
		 .domain = "example.org", .target = "xmpp1.hosting.net"},
	};

	(void)state;
	check_rows(rows, ROWS(rows));
}

/* RFC 6125 §6.4.4: the CN only when no SAN identifier is presented. */
static void test_cn(void **state)
{
	static const struct row rows[] = {
		{"no SAN", .cn = "example.org", .domain = "example.org", .kind = IDENTITY_CN,
		 .presented = "example.org", .reference = "example.org"},
		{"case and dots", .cn = "EXAMPLE.ORG.", .domain = "example.org",
		 .kind = IDENTITY_CN, .presented = "EXAMPLE.ORG.", .reference = "example.org"},
		{"wildcard", .cn = "*.example.org", .domain = "chat.example.org",
		 .kind = IDENTITY_CN, .presented = "*.example.org",
		 .reference = "chat.example.org"},
		{"SRV target", .cn = "xmpp1.hosting.net", .domain = "example.org",
		 .target = "xmpp1.hosting.net", .kind = IDENTITY_CN,
		 .presented = "xmpp1.hosting.net", .reference = "xmpp1.hosting.net"},
		{"SRV target not given", .cn = "xmpp1.hosting.net", .domain = "example.org"},
		{"wildcard apex", .cn = "*.example.org", .domain = "example.org"},
		{"partial wildcard", .cn = "x*.example.org", .domain = "xa.example.org"},
		{"wildcard on one label", .cn = "*.org", .domain = "example.org"},
		{"not a host name", .cn = "Example Org Ltd", .domain = "example.org"},
		{"empty", .cn = "", .domain = "example.org"},
		{"ignored beside a DNS-ID", .cn = "example.org", .dns = {N("other.example")},
		 .domain = "example.org"},
		{"ignored beside an SRV-ID of another service", .cn = "example.org",
		 .srv = {N("_xmpp-server.example.org")}, .domain = "example.org",
		 .service = SERVICE_XMPP_CLIENT},
		{"ignored beside an xmppAddr", .cn = "example.org", .xmpp = {N("user@example.org")},
		 .domain = "example.org"},
		{"ignored beside a rejected SAN name", .cn = "example.org", .n_rejected = 1,
		 .domain = "example.org"},
	};

	(void)state;
	check_rows(rows, ROWS(rows));
}

/* RFC 7673 §3: the SRV target counts (for DNS-IDs and the CN) only when the caller says so. */
static void test_srv_target(void **state)
{
	static const struct row rows[] = {
		{"not given", .dns = {N("xmpp1.hosting.net")}, .domain = "example.org"},
		{"given", .dns = {N("xmpp1.hosting.net")}, .domain = "example.org",
		 .target = "xmpp1.hosting.net.", .kind = IDENTITY_DNS_ID,
		 .presented = "xmpp1.hosting.net", .reference = "xmpp1.hosting.net"},
		{"given, case", .dns = {N("XMPP1.hosting.net")}, .domain = "example.org",
		 .target = "xmpp1.HOSTING.net", .kind = IDENTITY_DNS_ID,
		 .presented = "XMPP1.hosting.net", .reference = "xmpp1.HOSTING.net"},
		{"given, wildcard", .dns = {N("*.hosting.net")}, .domain = "example.org",
		 .target = "xmpp1.hosting.net", .kind = IDENTITY_DNS_ID,
		 .presented = "*.hosting.net", .reference = "xmpp1.hosting.net"},
		{"D before the target", .dns = {N("xmpp1.hosting.net"), N("example.org")},
		 .domain = "example.org", .target = "xmpp1.hosting.net", .kind = IDENTITY_DNS_ID,
		 .presented = "example.org", .reference = "example.org"},
		{"target is D", .dns = {N("example.org")}, .domain = "example.org",
		 .target = "example.org", .kind = IDENTITY_DNS_ID, .presented = "example.org",
		 .reference = "example.org"},
		{"names neither", .dns = {N("example.net")}, .domain = "example.org",
		 .target = "xmpp1.hosting.net"},
	};

	(void)state;
	check_rows(rows, ROWS(rows));
}

/* SRV-ID, then DNS-ID, then xmppAddr, then CN; the kind decides before the reference. */
static void test_preference(void **state)
{
	static const struct row rows[] = {
		{"SRV-ID first", .srv = {N("_xmpp-client.example.org")}, .dns = {N("example.org")},
		 .xmpp = {N("example.org")}, .domain = "example.org", .kind = IDENTITY_SRV_ID,
		 .presented = "_xmpp-client.example.org", .reference = "example.org"},
		{"DNS-ID before xmppAddr", .dns = {N("example.org")}, .xmpp = {N("example.org")},
		 .domain = "example.org", .kind = IDENTITY_DNS_ID, .presented = "example.org",
		 .reference = "example.org"},
		{"DNS-ID on the target before xmppAddr on D", .dns = {N("xmpp1.hosting.net")},
		 .xmpp = {N("example.org")}, .domain = "example.org", .target = "xmpp1.hosting.net",
		 .kind = IDENTITY_DNS_ID, .presented = "xmpp1.hosting.net",
		 .reference = "xmpp1.hosting.net"},
		{"DNS-ID when the SRV-ID is another service's",
		 .srv = {N("_xmpp-server.example.org")}, .dns = {N("example.org")},
		 .domain = "example.org", .kind = IDENTITY_DNS_ID, .presented = "example.org",
		 .reference = "example.org"},
		{"SRV-ID alone suffices", .srv = {N("_xmpp-client.example.org")},
		 .dns = {N("other.example")}, .domain = "example.org", .kind = IDENTITY_SRV_ID,
		 .presented = "_xmpp-client.example.org", .reference = "example.org"},
		{"xmppAddr when no DNS-ID matches", .dns = {N("other.example")},
		 .xmpp = {N("example.org")}, .cn = "example.org", .domain = "example.org",
		 .kind = IDENTITY_XMPP_ADDR, .presented = "example.org",
		 .reference = "example.org"},
		{"no names", .domain = "example.org"},
		{"no names, target given", .domain = "example.org", .target = "xmpp1.hosting.net"},
		{"only rejected names", .n_rejected = 3, .domain = "example.org"},
	};

	(void)state;
	check_rows(rows, ROWS(rows));
}

/* References that are host names, if odd ones: no error, and a match where named. */
static void test_reference_accepted(void **state)
{
	static const struct row rows[] = {
		{"digits, not last", .dns = {N("123.example")}, .domain = "123.example",
		 .kind = IDENTITY_DNS_ID, .presented = "123.example", .reference = "123.example"},
		{"digits and letters last", .dns = {N("1.2.3.4a")}, .domain = "1.2.3.4a",
		 .kind = IDENTITY_DNS_ID, .presented = "1.2.3.4a", .reference = "1.2.3.4a"},
		{"hyphens as written", .dns = {N("-x-.example")}, .domain = "-x-.example",
		 .kind = IDENTITY_DNS_ID, .presented = "-x-.example", .reference = "-x-.example"},
	};

	(void)state;
	check_rows(rows, ROWS(rows));
}

static void test_reference_invalid(void **state)
{
	static const struct {
		const char *domain;
		enum xmpp_service service;
		const char *target;
		int r;
	} rows[] = {
		{"", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{".", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"..", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"example.org..", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{".example.org", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"example..org", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"exa mple.org", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"example.org ", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"*.example.org", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"_xmpp-client.example.org", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"user@example.org", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"example.org/resource", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"b\xc3\xbc"
		 "cher.example",
		 SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"192.0.2.1", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"192.0.2.1.", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"123", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"2001:db8::1", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{"[2001:db8::1]", SERVICE_XMPP_CLIENT, NULL, ERR_PARSE},
		{NULL, SERVICE_XMPP_CLIENT, NULL, -EINVAL},
		{"example.org", SERVICE_COUNT, NULL, -EINVAL},
		{"example.org", (enum xmpp_service) - 1, NULL, -EINVAL},
		{"example.org", SERVICE_XMPP_CLIENT, "", ERR_PARSE},
		{"example.org", SERVICE_XMPP_CLIENT, ".", ERR_PARSE},
		{"example.org", SERVICE_XMPP_CLIENT, "bad..name", ERR_PARSE},
		{"example.org", SERVICE_XMPP_CLIENT, "*.hosting.net", ERR_PARSE},
		{"example.org", SERVICE_XMPP_CLIENT, "192.0.2.1", ERR_PARSE},
		{"", SERVICE_XMPP_CLIENT, "xmpp1.hosting.net", ERR_PARSE},
	};
	struct cert_info info;
	struct identity_result res, untouched;
	size_t i;

	(void)state;
	/* A certificate that would match, so only the reference can fail. */
	memset(&info, 0, sizeof(info));
	assert_int_equal(strlist_add(&info.ids.dns_ids, "example.org", 11), 0);
	info.cn = strdup("example.org");
	assert_non_null(info.cn);
	memset(&untouched, 0xa5, sizeof(untouched));
	for (i = 0; i < ROWS(rows); i++) {
		struct identity_ref ref = {rows[i].domain, rows[i].service, rows[i].target};
		int r;

		res = untouched;
		r = identity_match(&info, &ref, &res);
		if (r != rows[i].r) {
			fail_msg("row %zu ('%s'): %d, want %d", i,
				 rows[i].domain ? rows[i].domain : "(null)", r, rows[i].r);
		}
		assert_memory_equal(&res, &untouched, sizeof(res));
	}
	cert_info_release(&info);
}

static void test_null_arguments(void **state)
{
	struct cert_info info;
	struct identity_ref ref = {"example.org", SERVICE_XMPP_CLIENT, NULL};
	struct identity_result res;

	(void)state;
	memset(&info, 0, sizeof(info));
	assert_int_equal(identity_match(NULL, &ref, &res), -EINVAL);
	assert_int_equal(identity_match(&info, NULL, &res), -EINVAL);
	assert_int_equal(identity_match(&info, &ref, NULL), -EINVAL);
}

/* Fills s with labels of the given lengths, joined by dots. */
static void make_name(char *s, const size_t *labels, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(s, 'a' + (int)i, labels[i]);
		s += labels[i];
		*s++ = i + 1 < n ? '.' : '\0';
	}
}

/* RFC 1035 bounds: 63-octet labels, 253-octet names; the longest match fits the result. */
static void test_long_names(void **state)
{
	static const size_t max_labels[] = {63, 63, 63, 61};
	static const size_t long_label[] = {64, 10};
	static const size_t too_long[] = {63, 63, 63, 62};
	char d[256], bad[256], srv[300], dotted[300];
	struct cert_info info;
	struct identity_ref ref = {d, SERVICE_XMPPS_CLIENT, NULL};
	struct identity_result res;

	(void)state;
	make_name(d, max_labels, 4);
	assert_int_equal(strlen(d), 253);
	snprintf(srv, sizeof(srv), "_xmpps-client.%s.", d);
	assert_int_equal(strlen(srv), IDENTITY_PRESENTED_MAX - 1);
	snprintf(dotted, sizeof(dotted), "%s.", d);

	memset(&info, 0, sizeof(info));
	assert_int_equal(strlist_add(&info.ids.srv_ids, srv, strlen(srv)), 0);
	assert_int_equal(identity_match(&info, &ref, &res), 0);
	assert_true(res.matched);
	assert_int_equal(res.kind, IDENTITY_SRV_ID);
	assert_string_equal(res.presented, srv);
	assert_string_equal(res.reference, d);

	ref.domain = dotted;
	assert_int_equal(identity_match(&info, &ref, &res), 0);
	assert_true(res.matched);
	assert_string_equal(res.reference, d);

	make_name(bad, too_long, 4);
	assert_int_equal(strlen(bad), 254);
	ref.domain = bad;
	assert_int_equal(identity_match(&info, &ref, &res), ERR_PARSE);
	make_name(bad, long_label, 2);
	ref.domain = bad;
	assert_int_equal(identity_match(&info, &ref, &res), ERR_PARSE);
	bad[64] = '\0'; /* the 64-octet label alone */
	assert_int_equal(identity_match(&info, &ref, &res), ERR_PARSE);
	cert_info_release(&info);

	/* A presented name longer than any DNS name is read safely and matches nothing. */
	memset(&info, 0, sizeof(info));
	memset(srv, 'a', sizeof(srv) - 1);
	srv[sizeof(srv) - 1] = '\0';
	assert_int_equal(strlist_add(&info.ids.dns_ids, srv, strlen(srv)), 0);
	info.cn = strdup(srv);
	assert_non_null(info.cn);
	ref.domain = "example.org";
	assert_int_equal(identity_match(&info, &ref, &res), 0);
	assert_false(res.matched);
	cert_info_release(&info);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(identity_kind_name(IDENTITY_NONE), "none");
	assert_string_equal(identity_kind_name(IDENTITY_DNS_ID), "dns-id");
	assert_string_equal(identity_kind_name(IDENTITY_SRV_ID), "srv-id");
	assert_string_equal(identity_kind_name(IDENTITY_XMPP_ADDR), "xmpp-addr");
	assert_string_equal(identity_kind_name(IDENTITY_CN), "cn");
	assert_null(identity_kind_name(IDENTITY_KIND_COUNT));
	assert_null(identity_kind_name((enum identity_kind) - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_id_exact),
		cmocka_unit_test(test_dns_id_wildcard),
		cmocka_unit_test(test_srv_id),
		cmocka_unit_test(test_xmpp_addr),
		cmocka_unit_test(test_cn),
		cmocka_unit_test(test_srv_target),
		cmocka_unit_test(test_preference),
		cmocka_unit_test(test_reference_accepted),
		cmocka_unit_test(test_reference_invalid),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
