/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test-only driver of zonegen's fragment, serial and publisher APIs, for the
 * integration tests (tests/integration/test_publish.py). Not installed: the
 * operator's command line comes with the daemon.
 *
 *   publish_tool render ZONE TTL RECORD...
 *   publish_tool file [--fragment P] [--zone-file F] [--mode OCTAL] [--timeout-ms N]
 *                     [--check-only] ZONE TTL RECORD... [-- RELOAD-ARGV...]
 *   publish_tool update --server ADDR [--port N] [--key-file K] [--timeout-ms N]
 *                       ZONE TTL RECORD...
 *   publish_tool bump ZONE-FILE
 *   publish_tool key KEY-FILE
 *
 * RECORD is one argument: "OWNER USAGE SELECTOR MTYPE HEX", or "OWNER" alone
 * for an owner whose TLSA RRset is to be withdrawn. Exit 0 on success, 1 with
 * the error on stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/tlsa.h"
#include "common/err.h"
#include "common/fileio.h"
#include "zonegen/fragment.h"
#include "zonegen/publish.h"
#include "zonegen/soaserial.h"
#include "zonegen/tsigkey.h"

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, "publish_tool: %s: %s\n", what, detail);
	return 1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* "OWNER [U S M HEX]" into the fragment. */
static int add_record(struct fragment *f, const char *arg)
{
	char owner[1024];
	char hex[8192];
	unsigned u;
	unsigned s;
	unsigned m;
	uint8_t data[4096];
	struct tlsa_record rec;
	size_t i;
	int n;
	int r;

	n = sscanf(arg, "%1023s %u %u %u %8191s", owner, &u, &s, &m, hex);
	if (n == 1) {
		r = fragment_add_owner(f, owner);
	} else if (n == 5 && u < 256 && s < 256 && m < 256 && strlen(hex) % 2 == 0 &&
		   strlen(hex) / 2 <= sizeof(data)) {
		for (i = 0; i < strlen(hex) / 2; i++) {
			int hi = hexval(hex[2 * i]);
			int lo = hexval(hex[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				return fail(arg, "bad hex");
			}
			data[i] = (uint8_t)(hi << 4 | lo);
		}
		rec.usage = (uint8_t)u;
		rec.selector = (uint8_t)s;
		rec.mtype = (uint8_t)m;
		rec.data = data;
		rec.len = strlen(hex) / 2;
		r = fragment_add_tlsa(f, owner, &rec);
	} else {
		return fail(arg, "want \"OWNER U S M HEX\" or \"OWNER\"");
	}
	if (r < 0) {
		return fail(arg, err_str(r));
	}
	return 0;
}

/* ZONE TTL RECORD... from argv[i] up to "--" or the end; returns the index after them. */
static int build(int argc, char **argv, int i, struct fragment **ret)
{
	struct fragment *f = NULL;
	char *end;
	unsigned long ttl;
	int r;

	if (argc - i < 2) {
		fail("usage", "ZONE TTL RECORD...");
		return -1;
	}
	errno = 0;
	ttl = strtoul(argv[i + 1], &end, 10);
	if (errno != 0 || *end != '\0' || ttl > UINT32_MAX) {
		fail(argv[i + 1], "bad TTL");
		return -1;
	}
	r = fragment_new(argv[i], (uint32_t)ttl, &f);
	if (r < 0) {
		fail(argv[i], err_str(r));
		return -1;
	}
	for (i += 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (add_record(f, argv[i]) != 0) {
			fragment_free(f);
			return -1;
		}
	}
	*ret = f;
	return i;
}

static int cmd_render(int argc, char **argv)
{
	struct fragment *f = NULL;
	char *text = NULL;
	int r;

	if (build(argc, argv, 2, &f) < 0) {
		return 1;
	}
	r = fragment_render(f, &text);
	fragment_free(f);
	if (r < 0) {
		return fail("render", err_str(r));
	}
	fputs(text, stdout);
	free(text);
	return 0;
}

static int cmd_file(int argc, char **argv)
{
	struct publish_file_opts o = {NULL, FILEIO_MODE_KEEP, NULL, NULL, 0};
	struct publish_error err;
	struct fragment *f = NULL;
	int check_only = 0;
	int i = 2;
	int r;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0'; i += 2) {
		if (strcmp(argv[i], "--fragment") == 0) {
			o.fragment = argv[i + 1];
		} else if (strcmp(argv[i], "--zone-file") == 0) {
			o.zone_file = argv[i + 1];
		} else if (strcmp(argv[i], "--mode") == 0) {
			o.fragment_mode = (int)strtol(argv[i + 1], NULL, 8);
		} else if (strcmp(argv[i], "--timeout-ms") == 0) {
			o.reload_timeout_ms = atoi(argv[i + 1]);
		} else if (strcmp(argv[i], "--check-only") == 0) {
			check_only = 1;
			i--;
		} else {
			return fail(argv[i], "unknown option");
		}
	}
	i = build(argc, argv, i, &f);
	if (i < 0) {
		return 1;
	}
	if (i < argc && strcmp(argv[i], "--") == 0 && i + 1 < argc) {
		o.reload_argv = &argv[i + 1];
	}
	r = publish_file_check(&o, &err);
	if (r == 0 && !check_only) {
		r = publish_file(&o, f, &err);
	}
	fragment_free(f);
	if (r < 0) {
		fprintf(stderr, "publish_tool: %s\n", err.detail);
		return 1;
	}
	return 0;
}

static int cmd_update(int argc, char **argv)
{
	struct publish_update_opts o = {NULL, 0, NULL, 0};
	struct publish_error err;
	struct tsigkey_error kerr;
	struct tsigkey *key = NULL;
	struct fragment *f = NULL;
	int i = 2;
	int r;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--server") == 0) {
			o.server = argv[i + 1];
		} else if (strcmp(argv[i], "--port") == 0) {
			o.port = (unsigned)atoi(argv[i + 1]);
		} else if (strcmp(argv[i], "--timeout-ms") == 0) {
			o.timeout_ms = atoi(argv[i + 1]);
		} else if (strcmp(argv[i], "--key-file") == 0) {
			r = tsigkey_load(argv[i + 1], &key, &kerr);
			if (r < 0) {
				fprintf(stderr, "publish_tool: %s\n", kerr.detail);
				return 1;
			}
		} else {
			tsigkey_free(key);
			return fail(argv[i], "unknown option");
		}
	}
	o.key = key;
	if (build(argc, argv, i, &f) < 0) {
		tsigkey_free(key);
		return 1;
	}
	r = publish_update(&o, f, &err);
	fragment_free(f);
	tsigkey_free(key);
	if (r < 0) {
		fprintf(stderr, "publish_tool: %s\n", err.detail);
		return 1;
	}
	return 0;
}

static int cmd_bump(int argc, char **argv)
{
	struct soaserial_error err;
	uint32_t old_serial;
	uint32_t new_serial;

	if (argc != 3) {
		return fail("usage", "bump ZONE-FILE");
	}
	if (soaserial_bump_file(argv[2], &old_serial, &new_serial, &err) < 0) {
		fprintf(stderr, "publish_tool: %s\n", err.detail);
		return 1;
	}
	printf("%u %u\n", old_serial, new_serial);
	return 0;
}

static int cmd_key(int argc, char **argv)
{
	struct tsigkey_error err;
	struct tsigkey *k = NULL;

	if (argc != 3) {
		return fail("usage", "key KEY-FILE");
	}
	if (tsigkey_load(argv[2], &k, &err) < 0) {
		fprintf(stderr, "publish_tool: %s\n", err.detail);
		return 1;
	}
	printf("%s %s\n", k->name, k->algorithm);
	tsigkey_free(k);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{"render", cmd_render}, {"file", cmd_file}, {"update", cmd_update},
		{"bump", cmd_bump},	{"key", cmd_key},
	};
	size_t i;

	for (i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			return cmds[i].run(argc, argv);
		}
	}
	return fail("usage", "publish_tool render|file|update|bump|key ...");
}
