/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the DNS half of a check: every domain listed in a file is
 * checked (gathered and judged) by the runner (one event loop and resolver
 * per worker thread), twice: first with libunbound's caches cold, then warm.
 * Prints wall and CPU time, peak RSS and the most DNS queries in flight, as
 * key=value lines. Run by bench_check_dns.py against the loopback bed; it
 * never fails on time.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "checks/judge.h"
#include "checks/runner.h"
#include "common/strlist.h"

struct bench {
	struct judge_opts judge;
	int64_t now;
	atomic_size_t findings_warning; /* at warning or above: the domains should be healthy */
	atomic_size_t unfinished;
};

static void bench_on_result(void *arg, size_t index, const struct domain_facts *f,
			    const char *error)
{
	struct bench *b = arg;
	struct findings fl = {0};
	size_t i;

	(void)index;
	(void)error;
	if (f == NULL) {
		atomic_fetch_add(&b->unfinished, 1);
		return;
	}
	if (judge_dns(f, b->now, &b->judge, &fl) == 0) {
		for (i = 0; i < fl.n; i++) {
			if (fl.v[i].severity >= SEVERITY_WARNING) {
				atomic_fetch_add(&b->findings_warning, 1);
			}
		}
	}
	findings_release(&fl);
}

static double bench_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void bench_pass(struct runner *r, struct bench *b, const struct strlist *domains,
		       const char *label)
{
	struct timespec t0, t1;
	struct rusage ru;
	double cpu0 = bench_cpu();

	atomic_store(&b->findings_warning, 0);
	atomic_store(&b->unfinished, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	runner_run(r, (const char *const *)domains->v, domains->n, bench_on_result, b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	printf("%s.domains=%zu\n%s.wall_s=%.3f\n%s.cpu_s=%.3f\n%s.peak_rss_kib=%ld\n"
	       "%s.findings_warning_or_worse=%zu\n%s.unfinished=%zu\n"
	       "%s.queries_in_flight_peak=%u\n",
	       label, domains->n, label,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, label,
	       bench_cpu() - cpu0, label, ru.ru_maxrss, label, atomic_load(&b->findings_warning),
	       label, atomic_load(&b->unfinished), label, runner_inflight_peak(r));
	fflush(stdout);
}

static int bench_read_domains(const char *path, struct strlist *out)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0' && strlist_add(out, line, strlen(line)) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct strlist domains = {0};
	struct runner_opts o;
	struct runner *r = NULL;
	struct bench b;
	char err[512];

	signal(SIGPIPE, SIG_IGN);
	if (argc != 6) {
		fprintf(stderr, "usage: bench_dns UNBOUND_CONF AUTH_PORT MAX_QUERIES WORKERS "
				"DOMAINS_FILE\n");
		return 2;
	}
	memset(&o, 0, sizeof(o));
	memset(&b, 0, sizeof(b));
	if (bench_read_domains(argv[5], &domains) < 0 || domains.n == 0) {
		fprintf(stderr, "bench: cannot read domains from %s\n", argv[5]);
		return 2;
	}
	o.resolver.config_file = argv[1];
	o.resolver.max_inflight = (unsigned)atoi(argv[3]);
	o.workers = (unsigned)atoi(argv[4]);
	o.dns.services = DNSCHECK_ALL_SERVICES;
	o.dns.zone_health = true;
	o.dns.auth_port = (uint16_t)atoi(argv[2]);
	o.dns.now = (int64_t)time(NULL);
	o.timeout_s = 60;
	judge_opts_init(&b.judge);
	b.now = o.dns.now;
	if (runner_new(&o, domains.n, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		return 2;
	}
	printf("max_queries=%u\n", o.resolver.max_inflight);
	bench_pass(r, &b, &domains, "cold");
	bench_pass(r, &b, &domains, "warm");
	runner_free(r);
	strlist_release(&domains);
	return 0;
}
