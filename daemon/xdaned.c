/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `xdaned`, the daemon: reads its config and runs the service (service.h)
 * in the foreground until SIGTERM, as systemd and container runtimes expect.
 */
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "daemon/config.h"
#include "daemon/service.h"

#define XDANED_DEFAULT_CONFIG "/etc/xdane/xdane.conf"

static const char xdaned_usage[] =
	"usage: xdaned [-c FILE] [--foreground] [--check-config]\n"
	"  -c, --config FILE   the configuration (default " XDANED_DEFAULT_CONFIG ")\n"
	"  --check-config      read and validate FILE, print a summary, and exit\n"
	"  --foreground        accepted for compatibility: xdaned never forks\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'C'},
		{"foreground", no_argument, NULL, 'f'},	  {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	  {NULL, 0, NULL, 0},
	};
	const char *path = XDANED_DEFAULT_CONFIG;
	bool check_only = false;
	struct config *cfg = NULL;
	char err[512];
	int opt;

	/*
	 * A fixed mmap threshold: a check in flight holds ~200 KiB of facts
	 * (fixed-size arrays, mostly unused), calloc'd per check. glibc's
	 * threshold otherwise rises to the size of the first such block freed,
	 * and from then on every one comes from a heap arena, zeroed in full, so
	 * all of it is resident; mapped afresh, only the pages a check writes are.
	 * Fixing it also keeps glibc's trimming of free heap tops on.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check_only = true;
			break;
		case 'f':
			break;
		case 'h':
			fputs(xdaned_usage, stdout);
			return 0;
		case 'V':
			printf("xdaned %s\n", XDANE_VERSION);
			return 0;
		default:
			fprintf(stderr,
				"xdaned: unknown option or missing value: '%s' (try --help)\n",
				argv[optind - 1]);
			return 3;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xdaned: unexpected argument '%s' (try --help)\n", argv[optind]);
		return 3;
	}
	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "xdaned: %s\n", err);
		return 1;
	}
	if (check_only) {
		printf("%s: ok, %zu domain%s\n", path, cfg->n_domains,
		       cfg->n_domains == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}
	log_setup("xdaned", false, LOG_INFO);
	/*
	 * libconfuse's tree of thousands of domain blocks is freed by now, but
	 * glibc keeps the pages: hand them back before the long run.
	 */
	malloc_trim(0);
	return service_run(path, cfg);
}
