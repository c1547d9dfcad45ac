/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of a check: every domain listed in a file is checked (gathered
 * and judged) by the runner (one event loop and resolver per worker thread),
 * twice: first with libunbound's caches cold, then warm. By default the DNS
 * half only; with --probe CA_FILE the endpoint half too (each worker's prober:
 * one SSL_CTX and CA store). Prints wall and CPU time, peak RSS, the most DNS
 * queries in flight, probe counts and the CPU other processes (--watch-pid,
 * e.g. the XMPP server) used meanwhile, as key=value lines. Run by
 * bench_check_dns.py and bench_check_endpoints.py against the loopback bed;
 * it never fails on time.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "checks/judge.h"
#include "checks/runner.h"
#include "common/strlist.h"

#define BENCH_MAX_WATCH 4

struct bench {
	struct judge_opts judge;
	int64_t now;
	bool probe;			/* judge the endpoint half too */
	atomic_size_t findings_warning; /* at warning or above: the domains should be healthy */
	atomic_size_t unfinished;
	atomic_size_t endpoints;     /* endpoint addresses probed (first probes) */
	atomic_size_t probes_ok;     /* ... of which reached TLS */
	atomic_size_t dane_match;    /* ... of which OpenSSL's DANE verdict was a match */
	atomic_size_t rsa_probes;    /* second connections offering RSA only */
	atomic_size_t connections;   /* every probe: endpoints + rsa_probes */
	long watch[BENCH_MAX_WATCH]; /* pids whose CPU is reported per pass */
	size_t n_watch;
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
	for (i = 0; i < f->n_probes; i++) {
		const struct probe_facts *p = &f->probes[i];

		atomic_fetch_add(&b->connections, 1);
		if (p->rsa_only) {
			atomic_fetch_add(&b->rsa_probes, 1);
			continue;
		}
		atomic_fetch_add(&b->endpoints, 1);
		if (p->status == PROBE_OK) {
			atomic_fetch_add(&b->probes_ok, 1);
		}
		if (p->dane == DANE_MATCH) {
			atomic_fetch_add(&b->dane_match, 1);
		}
	}
	if ((b->probe ? judge_check(f, b->now, &b->judge, &fl)
		      : judge_dns(f, b->now, &b->judge, &fl)) == 0) {
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

/* CPU seconds (utime + stime) of another process, from /proc; -1 if it cannot be read. */
static double bench_pid_cpu(long pid)
{
	char path[64], buf[1024];
	const char *p;
	unsigned long long utime, stime;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				&utime, &stime) != 2) {
		return -1;
	}
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void bench_pass(struct runner *r, struct bench *b, const struct strlist *domains,
		       const char *label)
{
	struct timespec t0, t1;
	struct rusage ru;
	double watch0[BENCH_MAX_WATCH];
	double cpu0 = bench_cpu();
	size_t i;

	atomic_store(&b->findings_warning, 0);
	atomic_store(&b->unfinished, 0);
	atomic_store(&b->endpoints, 0);
	atomic_store(&b->probes_ok, 0);
	atomic_store(&b->dane_match, 0);
	atomic_store(&b->rsa_probes, 0);
	atomic_store(&b->connections, 0);
	for (i = 0; i < b->n_watch; i++) {
		watch0[i] = bench_pid_cpu(b->watch[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	runner_run(r, (const char *const *)domains->v, NULL, domains->n, bench_on_result, b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	for (i = 0; i < b->n_watch; i++) {
		printf("%s.pid_%ld_cpu_s=%.3f\n", label, b->watch[i],
		       bench_pid_cpu(b->watch[i]) - watch0[i]);
	}
	if (b->probe) {
		printf("%s.endpoints=%zu\n%s.probes_ok=%zu\n%s.dane_match=%zu\n"
		       "%s.rsa_probes=%zu\n%s.connections=%zu\n",
		       label, atomic_load(&b->endpoints), label, atomic_load(&b->probes_ok), label,
		       atomic_load(&b->dane_match), label, atomic_load(&b->rsa_probes), label,
		       atomic_load(&b->connections));
	}
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

/* The options after the five positional arguments; -1 on a bad one. */
static int bench_options(int argc, char **argv, struct runner_opts *o, struct bench *b)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (i + 1 >= argc) {
			return -1;
		}
		if (strcmp(argv[i], "--probe") == 0) {
			o->probe = true;
			o->prober.ca_file = argv[++i];
			b->probe = true;
		} else if (strcmp(argv[i], "--service") == 0) {
			int s = facts_service_from_name(argv[++i]);

			if (s < 0) {
				return -1;
			}
			o->dns.services |= 1u << s;
		} else if (strcmp(argv[i], "--watch-pid") == 0 && b->n_watch < BENCH_MAX_WATCH) {
			b->watch[b->n_watch++] = atol(argv[++i]);
		} else {
			return -1;
		}
	}
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
	memset(&o, 0, sizeof(o));
	memset(&b, 0, sizeof(b));
	if (argc < 6 || bench_options(argc - 6, argv + 6, &o, &b) < 0) {
		fprintf(stderr, "usage: bench_dns UNBOUND_CONF AUTH_PORT MAX_QUERIES WORKERS "
				"DOMAINS_FILE [--probe CA_FILE] [--service NAME]... "
				"[--watch-pid PID]...\n");
		return 2;
	}
	if (bench_read_domains(argv[5], &domains) < 0 || domains.n == 0) {
		fprintf(stderr, "bench: cannot read domains from %s\n", argv[5]);
		return 2;
	}
	o.resolver.config_file = argv[1];
	o.resolver.max_inflight = (unsigned)atoi(argv[3]);
	o.workers = (unsigned)atoi(argv[4]);
	if (o.dns.services == 0) {
		o.dns.services = DNSCHECK_ALL_SERVICES;
	}
	o.dns.zone_health = true;
	o.dns.auth_port = (uint16_t)atoi(argv[2]);
	o.dns.now = (int64_t)time(NULL);
	o.timeout_s = 60;
	o.prober.now = o.dns.now;
	judge_opts_init(&b.judge);
	b.now = o.dns.now;
	if (runner_new(&o, domains.n, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		return 2;
	}
	printf("max_queries=%u\nprobe=%d\n", o.resolver.max_inflight, o.probe ? 1 : 0);
	bench_pass(r, &b, &domains, "cold");
	bench_pass(r, &b, &domains, "warm");
	runner_free(r);
	strlist_release(&domains);
	return 0;
}
