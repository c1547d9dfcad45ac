/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The record tools. Argument handling and messages live here; loading,
 * digests and record text come from certs/, zonegen/ and checks/certview.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/cert.h"
#include "certs/pkey.h"
#include "certs/tlsa.h"
#include "checks/certview.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "daemon/cli.h"
#include "daemon/records.h"
#include "zonegen/dsrr.h"
#include "zonegen/tlsarr.h"

/* Largest TTL a zone file may carry (RFC 2181 §8). */
#define RECORDS_TTL_MAX 2147483647UL

static const char records_cert_usage[] =
	"usage: xdane cert [--json] FILE\n"
	"Describe the first certificate in FILE (PEM or DER): subject CN, DNS-IDs,\n"
	"SRV-IDs, xmppAddrs, validity, key, SHA-256 digests and TLSA 3 1 1, 3 1 2, 3 0 1 data.\n";

int records_cert_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct certview view;
	struct cert *c = NULL;
	char *json = NULL;
	bool as_json = false;
	const char *path;
	int opt;
	int r;

	memset(&view, 0, sizeof(view));
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			as_json = true;
			break;
		case 'h':
			fputs(records_cert_usage, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option("cert", argv, optind, optopt);
		}
	}
	if (argc - optind != 1) {
		cli_error("cert", "expected exactly one certificate FILE (try --help)");
		return CLI_EXIT_UNKNOWN;
	}
	path = argv[optind];
	r = cert_load_file(path, &c);
	if (r == 0) {
		r = certview_build(c, &view);
	}
	if (r < 0) {
		cli_error("cert", "%s: %s", path, err_str(r));
		r = CLI_EXIT_UNKNOWN;
		goto out;
	}
	if (as_json) {
		r = certview_json(&view, &json);
		if (r == 0) {
			fputs(json, stdout);
			fputc('\n', stdout);
		}
	} else {
		printf("%-14s%s\n", "file:", path);
		r = certview_print(&view, stdout);
	}
	if (r < 0 || fflush(stdout) != 0) {
		cli_error("cert", "writing the output: %s", err_str(r < 0 ? r : -EIO));
		r = CLI_EXIT_UNKNOWN;
		goto out;
	}
	r = CLI_EXIT_OK;
out:
	free(json);
	certview_release(&view);
	cert_free(c);
	return r;
}

static const char records_tlsa_usage[] =
	"usage: xdane tlsa (--cert FILE | --key FILE) [--usage N] [--selector N] [--mtype N]\n"
	"                  [--name OWNER | --host HOST --port PORT] [--ttl N]\n"
	"Print a TLSA record (default 3 1 1) for a certificate or a key. The owner is\n"
	"--name, or _PORT._tcp.HOST; without an owner only the record data is printed.\n";

struct records_tlsa_args {
	const char *cert_path;
	const char *key_path;
	const char *name;
	const char *host;
	unsigned long port;
	unsigned long usage, selector, mtype;
	unsigned long ttl;
	bool has_port, has_ttl;
};

/* Parses one numeric option into *ret, or reports it and returns false. */
static bool records_number(const char *opt, const char *value, unsigned long max,
			   unsigned long *ret)
{
	if (!cli_parse_uint(value, max, ret)) {
		cli_error("tlsa", "%s '%s': expected a number from 0 to %lu", opt, value, max);
		return false;
	}
	return true;
}

static int records_tlsa_parse(int argc, char **argv, struct records_tlsa_args *a)
{
	static const struct option opts[] = {
		{"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"usage", required_argument, NULL, 'u'},
		{"selector", required_argument, NULL, 's'},
		{"mtype", required_argument, NULL, 'm'},
		{"name", required_argument, NULL, 'n'},
		{"host", required_argument, NULL, 'H'},
		{"port", required_argument, NULL, 'p'},
		{"ttl", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:k:u:s:m:n:H:p:t:h", opts, NULL)) != -1) {
		bool ok = true;

		switch (opt) {
		case 'c':
			a->cert_path = optarg;
			break;
		case 'k':
			a->key_path = optarg;
			break;
		case 'u':
			ok = records_number("--usage", optarg, TLSA_USAGE_DANE_EE, &a->usage);
			break;
		case 's':
			ok = records_number("--selector", optarg, TLSA_SELECTOR_SPKI, &a->selector);
			break;
		case 'm':
			ok = records_number("--mtype", optarg, TLSA_MTYPE_SHA512, &a->mtype);
			break;
		case 'n':
			a->name = optarg;
			break;
		case 'H':
			a->host = optarg;
			break;
		case 'p':
			ok = records_number("--port", optarg, TLSARR_PORT_MAX, &a->port);
			if (ok && a->port == 0) {
				cli_error("tlsa", "--port '%s': port 0 has no TLSA records",
					  optarg);
				ok = false;
			}
			a->has_port = true;
			break;
		case 't':
			ok = records_number("--ttl", optarg, RECORDS_TTL_MAX, &a->ttl);
			a->has_ttl = true;
			break;
		case 'h':
			fputs(records_tlsa_usage, stdout);
			return 1;
		default:
			return cli_bad_option("tlsa", argv, optind, optopt);
		}
		if (!ok) {
			return CLI_EXIT_UNKNOWN;
		}
	}
	if (optind < argc) {
		cli_error("tlsa", "unexpected argument '%s' (try --help)", argv[optind]);
		return CLI_EXIT_UNKNOWN;
	}
	if ((a->cert_path == NULL) == (a->key_path == NULL)) {
		cli_error("tlsa", "give exactly one of --cert FILE or --key FILE");
		return CLI_EXIT_UNKNOWN;
	}
	if (a->key_path != NULL && a->selector == TLSA_SELECTOR_CERT) {
		cli_error("tlsa",
			  "--selector 0 pins a whole certificate: it needs --cert, not --key");
		return CLI_EXIT_UNKNOWN;
	}
	if (a->name != NULL && (a->host != NULL || a->has_port)) {
		cli_error("tlsa", "give either --name or --host with --port, not both");
		return CLI_EXIT_UNKNOWN;
	}
	if ((a->host != NULL) != a->has_port) {
		cli_error("tlsa", "--host and --port go together (the owner is _PORT._tcp.HOST)");
		return CLI_EXIT_UNKNOWN;
	}
	return 0;
}

/* The record from the certificate or key file; reports and returns an exit code. */
static int records_tlsa_build(const struct records_tlsa_args *a, struct tlsa_record *ret)
{
	const char *path = a->cert_path != NULL ? a->cert_path : a->key_path;
	struct cert *c = NULL;
	struct pkey *k = NULL;
	int r;

	if (a->cert_path != NULL) {
		r = cert_load_file(path, &c);
		if (r == 0) {
			r = tlsa_from_cert(c, a->usage, a->selector, a->mtype, ret);
		}
	} else {
		r = pkey_load_file(path, &k);
		if (r == 0) {
			r = tlsa_from_pkey(k, a->usage, a->selector, a->mtype, ret);
		}
	}
	if (r < 0) {
		cli_error("tlsa", "%s: %s", path, err_str(r));
	}
	cert_free(c);
	pkey_free(k);
	return r < 0 ? CLI_EXIT_UNKNOWN : 0;
}

int records_tlsa_main(int argc, char **argv)
{
	struct records_tlsa_args a = {
		.usage = TLSA_USAGE_DANE_EE,
		.selector = TLSA_SELECTOR_SPKI,
		.mtype = TLSA_MTYPE_SHA256,
	};
	struct tlsa_record rec = {0};
	char *owner = NULL;
	char *line = NULL;
	int r;

	r = records_tlsa_parse(argc, argv, &a);
	if (r != 0) {
		return r == 1 ? CLI_EXIT_OK : r;
	}
	if (a.host != NULL && tlsarr_owner(a.host, (unsigned)a.port, &owner) < 0) {
		cli_error("tlsa", "--host '%s': not a valid domain name", a.host);
		return CLI_EXIT_UNKNOWN;
	}
	r = records_tlsa_build(&a, &rec);
	if (r != 0) {
		goto out;
	}
	r = tlsarr_format(owner != NULL ? owner : a.name, a.has_ttl, (uint32_t)a.ttl, &rec, &line);
	if (r == ERR_PARSE) {
		cli_error("tlsa", "--name '%s': not a valid domain name", a.name);
		r = CLI_EXIT_UNKNOWN;
		goto out;
	}
	if (r < 0) {
		cli_error("tlsa", "%s", err_str(r));
		r = CLI_EXIT_UNKNOWN;
		goto out;
	}
	puts(line);
	r = CLI_EXIT_OK;
out:
	free(line);
	free(owner);
	tlsa_record_release(&rec);
	return r;
}

static const char records_ds_usage[] =
	"usage: xdane ds --dnskey FILE [--digest 2|4]\n"
	"Print DS records (default digest type 2, SHA-256) for the key-signing keys\n"
	"(SEP flag) among the DNSKEY records of FILE, in zone-file syntax.\n";

static int records_ds_parse(int argc, char **argv, const char **ret_path, unsigned long *ret_digest)
{
	static const struct option opts[] = {
		{"dnskey", required_argument, NULL, 'f'},
		{"digest", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	unsigned long digest = DSRR_DIGEST_SHA256;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "f:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			path = optarg;
			break;
		case 'd':
			if (strcmp(optarg, "1") == 0) {
				cli_error("ds",
					  "--digest 1: SHA-1 must not be used for DS (RFC 8624)");
				return CLI_EXIT_UNKNOWN;
			}
			if (!cli_parse_uint(optarg, 255, &digest) ||
			    (digest != DSRR_DIGEST_SHA256 && digest != DSRR_DIGEST_SHA384)) {
				cli_error("ds",
					  "--digest '%s': expected 2 (SHA-256) or 4 (SHA-384)",
					  optarg);
				return CLI_EXIT_UNKNOWN;
			}
			break;
		case 'h':
			fputs(records_ds_usage, stdout);
			return 1;
		default:
			return cli_bad_option("ds", argv, optind, optopt);
		}
	}
	if (optind < argc) {
		cli_error("ds", "unexpected argument '%s' (try --help)", argv[optind]);
		return CLI_EXIT_UNKNOWN;
	}
	if (path == NULL) {
		cli_error("ds", "--dnskey FILE is required");
		return CLI_EXIT_UNKNOWN;
	}
	*ret_path = path;
	*ret_digest = digest;
	return 0;
}

int records_ds_main(int argc, char **argv)
{
	struct strlist lines = {0};
	struct dsrr_error err;
	const char *path = NULL;
	unsigned long digest = 0;
	struct buf text;
	size_t i;
	int r;

	buf_init(&text, 0);
	r = records_ds_parse(argc, argv, &path, &digest);
	if (r != 0) {
		return r == 1 ? CLI_EXIT_OK : r;
	}
	r = fileio_read(path, DSRR_FILE_MAX, &text);
	if (r < 0) {
		cli_error("ds", "%s: %s", path, err_str(r));
		r = CLI_EXIT_UNKNOWN;
		goto out;
	}
	if (memchr(text.data, '\0', text.len) != NULL) {
		cli_error("ds", "%s: not a zone file (binary data)", path);
		r = CLI_EXIT_UNKNOWN;
		goto out;
	}
	r = dsrr_from_dnskeys((const char *)text.data, text.len, (int)digest, &lines, &err);
	if (r == ERR_PARSE) {
		cli_error("ds", "%s:%d: %s", path, err.line, err.detail);
		r = CLI_EXIT_UNKNOWN;
		goto out;
	}
	if (r < 0) {
		cli_error("ds", "%s: %s", path, err_str(r));
		r = CLI_EXIT_UNKNOWN;
		goto out;
	}
	for (i = 0; i < lines.n; i++) {
		puts(lines.v[i]);
	}
	r = CLI_EXIT_OK;
out:
	strlist_release(&lines);
	buf_release(&text);
	return r;
}
