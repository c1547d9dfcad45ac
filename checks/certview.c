/* SPDX-License-Identifier: BSD-3-Clause */
/* Rendering of certificate descriptions as JSON (jansson) and as text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checks/certview.h"
#include "common/err.h"
#include "common/hexstr.h"
#include "common/timefmt.h"

static const struct {
	unsigned usage, selector, mtype;
} certview_params[CERTVIEW_N_TLSA] = {
	{TLSA_USAGE_DANE_EE, TLSA_SELECTOR_SPKI, TLSA_MTYPE_SHA256},
	{TLSA_USAGE_DANE_EE, TLSA_SELECTOR_SPKI, TLSA_MTYPE_SHA512},
	{TLSA_USAGE_DANE_EE, TLSA_SELECTOR_CERT, TLSA_MTYPE_SHA256},
};

int certview_build(const struct cert *c, struct certview *ret)
{
	struct certview v;
	int i;
	int r;

	memset(&v, 0, sizeof(v));
	r = cert_info_get(c, &v.info);
	if (r < 0) {
		goto out;
	}
	for (i = 0; i < CERTVIEW_N_TLSA; i++) {
		r = tlsa_from_cert(c, certview_params[i].usage, certview_params[i].selector,
				   certview_params[i].mtype, &v.tlsa[i]);
		if (r < 0) {
			goto out;
		}
	}
	*ret = v;
	memset(&v, 0, sizeof(v));
	r = 0;
out:
	certview_release(&v);
	return r;
}

void certview_release(struct certview *v)
{
	int i;

	cert_info_release(&v->info);
	for (i = 0; i < CERTVIEW_N_TLSA; i++) {
		tlsa_record_release(&v->tlsa[i]);
	}
}

json_t *certview_string_array(const struct strlist *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < l->n; i++) {
		if (json_array_append_new(a, json_string(l->v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *certview_json_time(int64_t t)
{
	char text[TIMEFMT_RFC3339_LEN];

	return timefmt_rfc3339(t, text) == 0 ? json_string(text) : json_null();
}

static json_t *certview_json_hex(const uint8_t *data, size_t len)
{
	char *hex = hexstr_encode(data, len);
	json_t *s = hex != NULL ? json_string(hex) : NULL;

	free(hex);
	return s;
}

static json_t *certview_json_tlsa(const struct certview *v)
{
	json_t *a = json_array();
	int i;

	for (i = 0; a != NULL && i < CERTVIEW_N_TLSA; i++) {
		const struct tlsa_record *t = &v->tlsa[i];
		char *text = tlsa_text(t->usage, t->selector, t->mtype, t->data, t->len);

		if (text == NULL || json_array_append_new(a, json_string(text)) < 0) {
			free(text);
			json_decref(a);
			return NULL;
		}
		free(text);
	}
	return a;
}

json_t *certview_cert_object(const struct cert_info *in)
{
	/* json_pack's "o" steals each value; a NULL value fails the whole pack. */
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:i}", "cn",
			 in->cn != NULL ? json_string(in->cn) : json_null(), "dns_ids",
			 certview_string_array(&in->ids.dns_ids), "srv_ids",
			 certview_string_array(&in->ids.srv_ids), "xmpp_addrs",
			 certview_string_array(&in->ids.xmpp_addrs), "not_before",
			 certview_json_time(in->not_before), "not_after",
			 certview_json_time(in->not_after), "sha256",
			 certview_json_hex(in->sha256, sizeof(in->sha256)), "spki_sha256",
			 certview_json_hex(in->spki_sha256, sizeof(in->spki_sha256)), "key_type",
			 in->key_type, "key_curve", in->key_curve, "key_bits", in->key_bits);
}

int certview_json(const struct certview *v, char **ret)
{
	json_t *o = certview_cert_object(&v->info);
	char *text;

	if (o == NULL || json_object_set_new(o, "tlsa", certview_json_tlsa(v)) < 0) {
		json_decref(o);
		return -ENOMEM;
	}
	text = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	if (text == NULL) {
		return -ENOMEM;
	}
	*ret = text;
	return 0;
}

static void certview_print_list(FILE *out, const char *label, const struct strlist *l)
{
	size_t i;

	fprintf(out, "%-14s", label);
	if (l->n == 0) {
		fputs("(none)", out);
	}
	for (i = 0; i < l->n; i++) {
		fprintf(out, "%s%s", i > 0 ? ", " : "", l->v[i]);
	}
	fputc('\n', out);
}

static void certview_print_hex(FILE *out, const char *label, const uint8_t *data, size_t len)
{
	char *hex = hexstr_encode(data, len);

	fprintf(out, "%-14s%s\n", label, hex != NULL ? hex : "(out of memory)");
	free(hex);
}

int certview_print(const struct certview *v, FILE *out)
{
	const struct cert_info *in = &v->info;
	char before[TIMEFMT_RFC3339_LEN] = "(out of range)";
	char after[TIMEFMT_RFC3339_LEN] = "(out of range)";
	int i;

	timefmt_rfc3339(in->not_before, before);
	timefmt_rfc3339(in->not_after, after);
	fprintf(out, "%-14s%s\n", "subject CN:", in->cn != NULL ? in->cn : "(none)");
	certview_print_list(out, "DNS-IDs:", &in->ids.dns_ids);
	certview_print_list(out, "SRV-IDs:", &in->ids.srv_ids);
	certview_print_list(out, "xmppAddrs:", &in->ids.xmpp_addrs);
	fprintf(out, "%-14s%s\n", "not before:", before);
	fprintf(out, "%-14s%s\n", "not after:", after);
	fprintf(out, "%-14s%s%s%s (%d bits)\n", "key:", in->key_type, in->key_curve[0] ? " " : "",
		in->key_curve, in->key_bits);
	certview_print_hex(out, "SHA-256:", in->sha256, sizeof(in->sha256));
	certview_print_hex(out, "SPKI SHA-256:", in->spki_sha256, sizeof(in->spki_sha256));
	for (i = 0; i < CERTVIEW_N_TLSA; i++) {
		char label[32];

		snprintf(label, sizeof(label), "TLSA %u %u %u:", v->tlsa[i].usage,
			 v->tlsa[i].selector, v->tlsa[i].mtype);
		certview_print_hex(out, label, v->tlsa[i].data, v->tlsa[i].len);
	}
	if (in->ids.n_rejected > 0) {
		fprintf(out, "%-14s%zu malformed subjectAltName entries ignored\n",
			"warning:", in->ids.n_rejected);
	}
	return ferror(out) ? -EIO : 0;
}
