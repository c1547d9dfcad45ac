/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Validation of a staged certificate and key (reactive rollover). Everything
 * is refused with one line naming the file before anything is published;
 * publishing and the state machine are the caller's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "certs/cert.h"
#include "certs/keygen.h"
#include "certs/pkey.h"
#include "certs/rollover.h"
#include "certs/stage.h"
#include "certs/tlsa.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/timefmt.h"

/* SRV-ID services (RFC 7673 / RFC 6120 §13.7.1.2.1) that also cover an XMPP domain. */
static const char *const stage_srv_services[] = {"_xmpp-client.", "_xmpp-server."};

static void stage_fail(struct stage_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void stage_fail(struct stage_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

/* Length of name without one trailing root dot. */
static size_t stage_name_len(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && name[len - 1] == '.' ? len - 1 : len;
}

int stage_dns_id_matches(const char *pattern, const char *name)
{
	size_t plen = stage_name_len(pattern);
	size_t nlen = stage_name_len(name);
	const char *rest;
	const char *dot;

	if (plen == 0 || nlen == 0) {
		return 0;
	}
	if (pattern[0] != '*') {
		return plen == nlen && strncasecmp(pattern, name, plen) == 0;
	}
	/* "*." then at least two labels: never "*" alone, "*.org" or "f*o.example". */
	if (plen < 3 || pattern[1] != '.') {
		return 0;
	}
	rest = pattern + 1; /* ".example.org" */
	if (memchr(rest + 1, '.', plen - 2) == NULL || memchr(rest, '*', plen - 1) != NULL) {
		return 0;
	}
	/* The wildcard takes exactly one non-empty leftmost label of name. */
	dot = memchr(name, '.', nlen);
	if (dot == NULL || dot == name) {
		return 0;
	}
	return (size_t)(name + nlen - dot) == plen - 1 && strncasecmp(dot, rest, plen - 1) == 0;
}

static bool stage_srv_id_matches(const char *srv_id, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(stage_srv_services) / sizeof(stage_srv_services[0]); i++) {
		size_t slen = strlen(stage_srv_services[i]);

		if (strncasecmp(srv_id, stage_srv_services[i], slen) == 0 &&
		    stage_name_len(srv_id + slen) == stage_name_len(name) &&
		    strncasecmp(srv_id + slen, name, stage_name_len(name)) == 0) {
			return true;
		}
	}
	return false;
}

/* RFC 6125 §6.4.4: the CN counts only when the certificate has no DNS-ID or SRV-ID. */
static bool stage_covers(const struct cert_info *info, const char *name)
{
	size_t i;

	for (i = 0; i < info->ids.dns_ids.n; i++) {
		if (stage_dns_id_matches(info->ids.dns_ids.v[i], name)) {
			return true;
		}
	}
	for (i = 0; i < info->ids.srv_ids.n; i++) {
		if (stage_srv_id_matches(info->ids.srv_ids.v[i], name)) {
			return true;
		}
	}
	if (info->ids.dns_ids.n == 0 && info->ids.srv_ids.n == 0 && info->cn != NULL) {
		return stage_dns_id_matches(info->cn, name) == 1;
	}
	return false;
}

/* "a, b, c" of what the certificate names, cut to fit, for the error line. */
static void stage_list_names(const struct cert_info *info, char *out, size_t size)
{
	size_t used = 0;
	size_t i;

	out[0] = '\0';
	for (i = 0; i < info->ids.dns_ids.n && used < size; i++) {
		int w = snprintf(out + used, size - used, "%s'%s'", used > 0 ? ", " : "",
				 info->ids.dns_ids.v[i]);
		used += w > 0 ? (size_t)w : 0;
	}
	if (used == 0 && info->cn != NULL) {
		snprintf(out, size, "CN '%s'", info->cn);
	} else if (used == 0) {
		snprintf(out, size, "no DNS name");
	}
}

static void stage_time(int64_t t, char out[TIMEFMT_RFC3339_LEN])
{
	if (timefmt_rfc3339(t, out) < 0) {
		snprintf(out, TIMEFMT_RFC3339_LEN, "%s", t < 0 ? "before 0000" : "after 9999");
	}
}

static int stage_check_dates(const struct stage_request *req, const struct cert_info *info,
			     struct stage_error *err)
{
	char when[TIMEFMT_RFC3339_LEN];

	if (info->not_before > req->now) {
		stage_time(info->not_before, when);
		stage_fail(err, "%s: not valid before %s", req->cert_path, when);
		return -EKEYEXPIRED;
	}
	if (info->not_after <= req->now) {
		stage_time(info->not_after, when);
		stage_fail(err, "%s: expired on %s", req->cert_path, when);
		return -EKEYEXPIRED;
	}
	if (info->not_after - req->now <= req->margin_s) {
		stage_time(info->not_after, when);
		stage_fail(err, "%s: expires on %s, within the %lld-day margin", req->cert_path,
			   when, (long long)(req->margin_s / 86400));
		return -EKEYEXPIRED;
	}
	return 0;
}

static int stage_check_names(const struct stage_request *req, const struct cert_info *info,
			     struct stage_error *err)
{
	char names[256];
	size_t i;

	for (i = 0; i < req->n_names; i++) {
		if (!stage_covers(info, req->names[i])) {
			stage_list_names(info, names, sizeof(names));
			stage_fail(err, "%s: does not cover '%s' (it names %s)", req->cert_path,
				   req->names[i], names);
			return -EBADMSG;
		}
	}
	return 0;
}

/* The certificate's data per shape: selector 0 needs the certificate, not just the key. */
static int stage_rollover_key(const struct stage_request *req, const struct cert *c,
			      const struct cert_info *info, struct rollover_key *ret)
{
	struct rollover_key rk = {0};
	struct tlsa_record rec = {0};
	size_t i;
	int r;

	if (req->n_shapes > ROLLOVER_SHAPE_MAX) {
		return -EINVAL;
	}
	memcpy(rk.spki_sha256, info->spki_sha256, sizeof(rk.spki_sha256));
	rk.has_cert = true;
	memcpy(rk.cert_sha256, info->sha256, sizeof(rk.cert_sha256));
	for (i = 0; i < req->n_shapes; i++) {
		const struct rollover_tlsa_type *s = &req->shapes[i];

		r = s->mtype == TLSA_MTYPE_FULL
			    ? ERR_UNSUPPORTED
			    : tlsa_from_cert(c, s->usage, s->selector, s->mtype, &rec);
		if (r < 0) {
			goto out;
		}
		if (rec.len > ROLLOVER_DATA_MAX) {
			r = ERR_UNSUPPORTED;
			goto out;
		}
		memcpy(rk.data[i], rec.data, rec.len);
		tlsa_record_release(&rec);
	}
	*ret = rk;
	r = 0;
out:
	tlsa_record_release(&rec);
	return r;
}

int stage_check(const struct stage_request *req, struct rollover_key *ret, struct stage_error *err)
{
	struct cert_info info = {0};
	struct keygen_key *key = NULL;
	struct rollover_key rk;
	struct cert *c = NULL;
	struct buf spki;
	struct buf b;
	bool have_info = false;
	int r;

	buf_init(&spki, 0);
	r = fileio_read(req->cert_path, CERT_FILE_MAX, &b);
	if (r < 0) {
		stage_fail(err, "%s: %s", req->cert_path, err_str(r));
		goto out;
	}
	r = cert_parse(b.data, b.len, &c);
	buf_release(&b);
	if (r < 0) {
		stage_fail(err, "%s: %s", req->cert_path, err_str(r));
		goto out;
	}
	r = fileio_read(req->key_path, PKEY_FILE_MAX, &b);
	if (r < 0) {
		stage_fail(err, "%s: %s", req->key_path, err_str(r));
		goto out;
	}
	r = keygen_parse(b.data, b.len, &key);
	buf_release(&b); /* cleanses the private key */
	if (r < 0) {
		stage_fail(err, "%s: %s", req->key_path, err_str(r));
		goto out;
	}
	r = cert_info_get(c, &info);
	if (r < 0) {
		stage_fail(err, "%s: %s", req->cert_path, err_str(r));
		goto out;
	}
	have_info = true;
	r = cert_selected_der(c, 1, &spki);
	if (r < 0) {
		stage_fail(err, "%s: %s", req->cert_path, err_str(r));
		goto out;
	}
	r = keygen_matches_spki(key, spki.data, spki.len);
	if (r < 0) {
		stage_fail(err, "%s: its public key: %s", req->cert_path, err_str(r));
		goto out;
	}
	if (r == 0) {
		r = -EKEYREJECTED;
		stage_fail(err, "%s: the key in %s does not match the certificate", req->cert_path,
			   req->key_path);
		goto out;
	}
	r = stage_check_dates(req, &info, err);
	if (r < 0) {
		goto out;
	}
	r = stage_check_names(req, &info, err);
	if (r < 0) {
		goto out;
	}
	r = stage_rollover_key(req, c, &info, &rk);
	if (r < 0) {
		stage_fail(err, "%s: TLSA data: %s", req->cert_path, err_str(r));
		goto out;
	}
	*ret = rk;
	r = 0;
out:
	if (have_info) {
		cert_info_release(&info);
	}
	buf_release(&spki);
	keygen_free(key);
	cert_free(c);
	return r;
}
