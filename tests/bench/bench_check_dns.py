#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark: the DNS half of `xdane check` for N generated domains on the loopback bed.

Brings up the bed, makes N healthy signed child zones (bed.bulk_domains), then measures:
  - bench_dns (the checks library in one process, one resolver): a cold pass and a warm pass,
    with wall time, CPU time, peak RSS and the most queries ever in flight against the cap;
  - the `xdane check --json` command line on all N domains (a fresh process: cold).
It prints figures and never fails on time (STYLE.md). Goal (issue 3): under 5 s wall for
1,000 domains cold on 2 cores, queries in flight never above the cap.

    /usr/bin/python3 tests/bench/bench_check_dns.py [--domains 1000] [--max-queries 256]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)
import testbed  # noqa: E402


def process_cpu(pid):
    """CPU seconds a process has used (utime + stime), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--domains", type=int, default=1000)
    ap.add_argument("--max-queries", type=int, default=256)
    ap.add_argument("--workers", type=int, default=0, help="0: one per CPU, at most 4")
    ap.add_argument("--build", default=os.environ.get("XDANE_BUILD", os.path.join(REPO, "build")))
    args = ap.parse_args()
    bench_bin = os.path.join(args.build, "tests", "bench", "bench_dns")
    xdane = os.path.join(args.build, "daemon", "xdane")

    with tempfile.TemporaryDirectory(prefix="xdane-bench-") as work, \
            testbed.Bed(os.path.join(work, "bed")) as bed:
        t = time.monotonic()
        names = bed.bulk_domains(args.domains)
        print(f"bed: up in {bed.startup_seconds:.1f} s, {len(names)} signed domains made in "
              f"{time.monotonic() - t:.1f} s")
        listing = os.path.join(work, "domains.txt")
        with open(listing, "w") as f:
            f.write("\n".join(names) + "\n")

        named_cpu0 = process_cpu(bed.named.server.pid)
        out = subprocess.run([bench_bin, bed.unbound_conf, str(bed.named.port),
                              str(args.max_queries), str(args.workers), listing],
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise SystemExit(f"bench_dns failed: {out.stderr}")
        named_cpu = process_cpu(bed.named.server.pid) - named_cpu0
        figures = dict(line.split("=", 1) for line in out.stdout.split())
        print(f"\nchecks library (runner), one process, {args.domains} domains, "
              f"max {args.max_queries} queries in flight, workers {args.workers or 'auto'}:")
        for label in ("cold", "warm"):
            print(f"  {label}: wall {float(figures[label + '.wall_s']):.2f} s, "
                  f"CPU {float(figures[label + '.cpu_s']):.2f} s, "
                  f"peak RSS {int(figures[label + '.peak_rss_kib']) / 1024:.1f} MiB, "
                  f"queries in flight at most {figures[label + '.queries_in_flight_peak']} "
                  f"(cap {args.max_queries}), "
                  f"findings >= warning: {figures[label + '.findings_warning_or_worse']}, "
                  f"unfinished: {figures[label + '.unfinished']}")
        print(f"  the bed's named used {named_cpu:.2f} s CPU on the same 2 cores meanwhile")

        cpu0, _ = children_cpu()
        t = time.monotonic()
        # --dns-only: the bulk domains are DNS only (no VirtualHost), and this is the DNS half.
        p = subprocess.run([xdane, "check", "--json", "--dns-only", "--resolver-config",
                            bed.unbound_conf, "--auth-port", str(bed.named.port), "--max-queries",
                            str(args.max_queries), *(["--workers", str(args.workers)]
                                                     if args.workers else []), *names],
                           capture_output=True, text=True, timeout=600)
        wall = time.monotonic() - t
        cpu1, rss = children_cpu()
        doc = json.loads(p.stdout) if p.stdout else {"domains": []}
        statuses = {}
        for d in doc["domains"]:
            statuses[d["status"]] = statuses.get(d["status"], 0) + 1
        print(f"\nxdane check --json --dns-only, {args.domains} domains (fresh process, cold): "
              f"wall {wall:.2f} s, CPU {cpu1 - cpu0:.2f} s, peak RSS {rss / 1024:.1f} MiB, "
              f"exit {p.returncode}, statuses {statuses}")


if __name__ == "__main__":
    main()
