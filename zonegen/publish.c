/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The file and update publishers. The reload command runs through
 * common/command (no shell, its own process group, killed on timeout).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "certs/tlsa.h"
#include "common/buf.h"
#include "common/command.h"
#include "common/err.h"
#include "common/fileio.h"
#include "zonegen/fragment.h"
#include "zonegen/publish.h"
#include "zonegen/soaserial.h"
#include "zonegen/tlsarr.h"
#include "zonegen/tsigkey.h"

/* The reload command's output is kept by common/command; the error has room for it. */
_Static_assert(PUBLISH_OUTPUT_MAX == COMMAND_OUTPUT_MAX, "publish.h names command's bound");
_Static_assert(sizeof(((struct publish_error *)0)->detail) > COMMAND_ERR_MAX + 256,
	       "a reload error holds the command's name and its whole message");

static void publish_fail(struct publish_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void publish_fail(struct publish_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

int publish_file_check(const struct publish_file_opts *o, struct publish_error *err)
{
	struct fileio_error ferr;
	struct soaserial_pos pos;
	struct soaserial_error serr;
	struct buf b = {NULL, 0, 0, 0};
	int r;

	if (o->fragment == NULL || o->fragment[0] == '\0') {
		r = ERR_PARSE;
		publish_fail(err, "no fragment path");
		goto out;
	}
	r = fileio_check_atomic(o->fragment, &ferr);
	if (r < 0) {
		publish_fail(err, "fragment cannot be written: %s", ferr.detail);
		goto out;
	}
	if (o->zone_file != NULL) {
		r = fileio_read(o->zone_file, SOASERIAL_FILE_MAX, &b);
		if (r < 0) {
			publish_fail(err, "zone file '%s' cannot be read: %s", o->zone_file,
				     err_str(r));
			goto out;
		}
		r = soaserial_find((const char *)b.data, b.len, &pos, &serr);
		if (r < 0) {
			if (serr.line > 0) {
				publish_fail(err, "zone file '%s', line %d: %s", o->zone_file,
					     serr.line, serr.detail);
			} else {
				publish_fail(err, "zone file '%s': %s", o->zone_file, serr.detail);
			}
			goto out;
		}
		r = fileio_check_atomic(o->zone_file, &ferr);
		if (r < 0) {
			publish_fail(err, "zone file's serial cannot be changed: %s", ferr.detail);
			goto out;
		}
	}
	if (o->reload_argv != NULL && o->reload_argv[0] != NULL) {
		r = command_find(o->reload_argv[0]);
		if (r < 0) {
			publish_fail(err, "reload command '%s' cannot be run: %s",
				     o->reload_argv[0], err_str(r));
			goto out;
		}
	}
	r = 0;
out:
	buf_release(&b);
	return r;
}

/* Runs the reload command; err names it, with what command_run said. */
static int publish_run(char *const *argv, int timeout_ms, struct publish_error *err)
{
	char why[COMMAND_ERR_MAX];
	int r;

	r = command_run(argv, NULL, timeout_ms, NULL, 0, why, sizeof(why));
	if (r < 0) {
		publish_fail(err, "reload command '%s' %s", argv[0], why);
	}
	return r;
}

int publish_file(const struct publish_file_opts *o, const struct fragment *f,
		 struct publish_error *err)
{
	struct fileio_error ferr;
	struct soaserial_error serr;
	char *text = NULL;
	int r;

	if (o->fragment == NULL || o->fragment[0] == '\0') {
		r = ERR_PARSE;
		publish_fail(err, "no fragment path");
		goto out;
	}
	r = fragment_render(f, &text);
	if (r < 0) {
		publish_fail(err, "rendering the fragment: %s", err_str(r));
		goto out;
	}
	r = fileio_write_atomic(o->fragment, text, strlen(text), o->fragment_mode, &ferr);
	if (r < 0) {
		publish_fail(err, "writing the fragment: %s", ferr.detail);
		goto out;
	}
	/* Only a new serial makes named (and secondaries) take the new fragment; with inline
	 * signing BIND even refuses the reload without one (NOTES.md). */
	if (o->zone_file != NULL) {
		r = soaserial_bump_file(o->zone_file, NULL, NULL, &serr);
		if (r < 0) {
			publish_fail(err, "increasing the serial: %s", serr.detail);
			goto out;
		}
	}
	if (o->reload_argv != NULL && o->reload_argv[0] != NULL) {
		r = publish_run(o->reload_argv,
				o->reload_timeout_ms > 0 ? o->reload_timeout_ms
							 : PUBLISH_RELOAD_TIMEOUT_MS,
				err);
		if (r < 0) {
			goto out;
		}
	}
	r = 0;
out:
	free(text);
	return r;
}

/* RFC 2136 §2.5.2: delete an RRset: class ANY, TTL 0, no RDATA. */
static int publish_push_delete(ldns_rr_list *up, const char *owner)
{
	ldns_rdf *dname = NULL;
	ldns_rr *rr = NULL;

	if (ldns_str2rdf_dname(&dname, owner) != LDNS_STATUS_OK) {
		return ERR_PARSE;
	}
	rr = ldns_rr_new();
	if (rr == NULL) {
		ldns_rdf_deep_free(dname);
		return -ENOMEM;
	}
	ldns_rr_set_owner(rr, dname);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TLSA);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
	ldns_rr_set_ttl(rr, 0);
	if (!ldns_rr_list_push_rr(up, rr)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return 0;
}

/* RFC 2136 §2.5.1: add an RR: its class, TTL and RDATA. */
static int publish_push_add(ldns_rr_list *up, const char *owner, uint32_t ttl,
			    const struct tlsa_record *rec)
{
	ldns_rr *rr = NULL;
	char *line = NULL;
	int r;

	r = tlsarr_format(owner, true, ttl, rec, &line);
	if (r < 0) {
		return r;
	}
	if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK) {
		free(line);
		return ERR_PARSE;
	}
	free(line);
	if (!ldns_rr_list_push_rr(up, rr)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return 0;
}

/* The update section: per owner, delete the RRset, then add its records. */
static int publish_update_section(const struct fragment *f, ldns_rr_list *up)
{
	const char *owner;
	size_t i;
	size_t j;
	int r;

	for (i = 0; i < fragment_owner_count(f); i++) {
		owner = fragment_owner(f, i);
		r = publish_push_delete(up, owner);
		if (r < 0) {
			return r;
		}
		for (j = 0; j < fragment_record_count(f); j++) {
			if (strcmp(fragment_record_owner(f, j), owner) != 0) {
				continue;
			}
			r = publish_push_add(up, owner, fragment_ttl(f), fragment_record(f, j));
			if (r < 0) {
				return r;
			}
		}
	}
	return 0;
}

/* ldns's resolver, pointed at one server over TCP, signing with the key if given. */
static int publish_resolver(const struct publish_update_opts *o, ldns_resolver **ret,
			    struct publish_error *err)
{
	ldns_resolver *res = NULL;
	ldns_rdf *addr = NULL;
	int timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : PUBLISH_UPDATE_TIMEOUT_MS;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	int r = ERR_PARSE;

	if (o->server == NULL || o->port > 65535) {
		publish_fail(err, "update server or port missing or invalid");
		goto out;
	}
	addr = ldns_rdf_new_frm_str(
		strchr(o->server, ':') != NULL ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, o->server);
	if (addr == NULL) {
		publish_fail(err, "update server '%s' is not an IP address", o->server);
		goto out;
	}
	res = ldns_resolver_new();
	if (res == NULL || ldns_resolver_push_nameserver(res, addr) != LDNS_STATUS_OK) {
		r = -ENOMEM;
		goto out;
	}
	ldns_resolver_set_port(res, (uint16_t)(o->port != 0 ? o->port : 53));
	/* TCP: an UPDATE may not fit a UDP datagram, and a lost UDP response would leave us
	 * not knowing whether the change was made. */
	ldns_resolver_set_usevc(res, true);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_retrans(res, 0); /* ldns sleeps this long after a failed server */
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_random(res, false);
	if (o->key != NULL) {
		ldns_resolver_set_tsig_keyname(res, o->key->name);
		ldns_resolver_set_tsig_algorithm(res, o->key->algorithm);
		ldns_resolver_set_tsig_keydata(res, o->key->secret);
	}
	*ret = res;
	res = NULL;
	r = 0;
out:
	ldns_rdf_deep_free(addr);
	ldns_resolver_deep_free(res);
	return r;
}

/* The extended TSIG error (RFC 8945 §5.3.2) of a response, 0 when none. */
static unsigned publish_tsig_error(const ldns_pkt *p)
{
	const ldns_rr *tsig = ldns_pkt_tsig(p);

	if (tsig == NULL || ldns_rr_rd_count(tsig) < 6) {
		return 0;
	}
	return ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
}

static const char *publish_rcode_name(unsigned rcode, char buf[16])
{
	const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rcode);

	if (lt != NULL) {
		return lt->name;
	}
	snprintf(buf, 16, "RCODE%u", rcode);
	return buf;
}

int publish_update(const struct publish_update_opts *o, const struct fragment *f,
		   struct publish_error *err)
{
	ldns_resolver *res = NULL;
	ldns_rr_list *up = NULL;
	ldns_rdf *zone = NULL;
	ldns_pkt *pkt = NULL;
	ldns_pkt *answer = NULL;
	ldns_status st;
	char where[128];
	char rbuf[16];
	unsigned rcode;
	int r;

	snprintf(where, sizeof(where), "update of zone %s at %s port %u", fragment_zone(f),
		 o->server != NULL ? o->server : "?", o->port != 0 ? o->port : 53);
	r = publish_resolver(o, &res, err);
	if (r < 0) {
		goto out;
	}
	up = ldns_rr_list_new();
	if (up == NULL) {
		r = -ENOMEM;
		goto out;
	}
	r = publish_update_section(f, up);
	if (r < 0) {
		publish_fail(err, "%s: composing: %s", where, err_str(r));
		goto out;
	}
	if (ldns_str2rdf_dname(&zone, fragment_zone(f)) != LDNS_STATUS_OK) {
		r = ERR_PARSE;
		goto out;
	}
	/* Takes zone; copies up. */
	pkt = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, NULL, up, NULL);
	zone = NULL;
	if (pkt == NULL) {
		r = -ENOMEM;
		goto out;
	}
	ldns_pkt_set_rd(pkt, false); /* ldns sets RD; an UPDATE has none (RFC 2136 §2.2) */
	ldns_pkt_set_random_id(pkt);
	if (o->key != NULL) {
		/* Every non-OK status is fatal: ldns 1.8.3 fails here for hmac-sha384 and the
		 * update would otherwise go out unsigned (NOTES.md). */
		st = ldns_update_pkt_tsig_add(pkt, res);
		if (st != LDNS_STATUS_OK || ldns_pkt_tsig(pkt) == NULL) {
			r = ERR_CRYPTO;
			publish_fail(err, "%s: signing with TSIG key '%s' (%s): %s", where,
				     o->key->name, o->key->algorithm, ldns_get_errorstr_by_id(st));
			goto out;
		}
	}
	/* ldns_send verifies the response's TSIG against the query's MAC, and returns the
	 * response even when that fails, so its rcode can be reported. */
	st = ldns_send(&answer, res, pkt);
	if (answer == NULL) {
		r = st == LDNS_STATUS_NETWORK_ERR || st == LDNS_STATUS_RES_NO_NS ? -ETIMEDOUT
										 : ERR_DNS;
		publish_fail(err, "%s: no response: %s", where, ldns_get_errorstr_by_id(st));
		goto out;
	}
	rcode = ldns_pkt_get_rcode(answer);
	if (ldns_pkt_id(answer) != ldns_pkt_id(pkt) ||
	    ldns_pkt_get_opcode(answer) != LDNS_PACKET_UPDATE || !ldns_pkt_qr(answer)) {
		r = -EBADMSG;
		publish_fail(err, "%s: the response does not answer the update", where);
		goto out;
	}
	if (rcode == LDNS_RCODE_NOTAUTH || rcode == LDNS_RCODE_REFUSED) {
		unsigned terr = publish_tsig_error(answer);

		r = -EACCES;
		if (terr != 0) {
			/* RFC 8945 §5.2: 16 BADSIG, 17 BADKEY, 18 BADTIME. */
			publish_fail(err, "%s: %s, TSIG error %s (key '%s')", where,
				     publish_rcode_name(rcode, rbuf),
				     terr == 16	  ? "BADSIG (wrong secret)"
				     : terr == 17 ? "BADKEY (server does not know the key)"
				     : terr == 18 ? "BADTIME (clocks differ)"
						  : "other",
				     o->key != NULL ? o->key->name : "none");
		} else {
			publish_fail(err, "%s: %s (not allowed to update this zone%s)", where,
				     publish_rcode_name(rcode, rbuf),
				     o->key != NULL ? " with this key" : " without a key");
		}
		goto out;
	}
	if (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS ||
	    (o->key != NULL && ldns_pkt_tsig(answer) == NULL)) {
		r = -EBADMSG;
		publish_fail(
			err, "%s: the response (%s) is %s", where, publish_rcode_name(rcode, rbuf),
			ldns_pkt_tsig(answer) == NULL ? "not signed"
						      : "signed, but its TSIG does not verify");
		goto out;
	}
	if (st != LDNS_STATUS_OK) {
		r = ERR_DNS;
		publish_fail(err, "%s: %s", where, ldns_get_errorstr_by_id(st));
		goto out;
	}
	if (rcode != LDNS_RCODE_NOERROR) {
		r = -EIO;
		publish_fail(err, "%s: the server answered %s", where,
			     publish_rcode_name(rcode, rbuf));
		goto out;
	}
	r = 0;
out:
	ldns_pkt_free(answer);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(zone);
	ldns_rr_list_deep_free(up);
	ldns_resolver_deep_free(res);
	return r;
}
