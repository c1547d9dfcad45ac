#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark: xdaned with N configured domains on the loopback bed (issue 5, Performance).

Brings up the bed with N healthy signed domains (bed.bulk_domains, ipv6=False: SRV to
xmpp.<domain>, an A record only, so every endpoint has one address; TLSA 3 1 1). By default the
bed's Prosody serves each as a VirtualHost of its own (serve=True), so every probe completes a
real STARTTLS handshake and DANE match; --no-serve makes DNS-only domains instead (much faster
to bring up, but every probe then ends at Prosody's host-unknown stream error, which is cheaper
than a handshake and makes every domain critical). 10,000 served domains take Prosody 3-4.5
minutes to activate and ~700 MiB. Each domain is configured with one service (--services,
default xmpp-client): the bed's one Prosody shares the 2 cores (about 3.5 ms of CPU per
connection, and a check makes two per endpoint: the second offers RSA only), so four services
would make a sweep mostly Prosody's work.

Then, for each --max-checks value, a fresh xdaned (its own state db) is started and measured
until every domain has been checked once: the interval is long (--interval, default 3600 s) so
that no domain is checked twice, and schedule.c spreads first checks over min(interval, 30 s).
  - sweep wall: from exec until every domain has a xdane_last_check_timestamp_seconds sample
    at or after the start in /metrics (the state db is polled every --poll seconds, read-only,
    until it holds N fresh reports, then /metrics every 0.1 s until it shows them: a page of
    10,000 domains is 25 MB, and polling it every second cost xdaned ~1.5 ms per domain);
  - xdaned CPU (utime + stime of all its threads, /proc/PID/stat) over the sweep, per domain;
  - peak RSS (VmHWM of /proc/PID/status); the CPU the bed's Prosody and named used meanwhile;
  - the domains' statuses (xdane_domain_status) and xdane's failed checks at the end;
  - after the first run's sweep, `wrk` on /metrics with no check running (idle baseline).
Last, xdaned is restarted on the first run's state db (so /metrics holds all N domains from
the start, as after any restart) and `wrk` loads /metrics while the re-sweep runs: requests/s,
p50/p99/max latency, the body size, VmHWM after; and the sweep under that load. wrk runs once
per --wrk-connections and --wrk-encodings value, one after the other: 8 connections on 2
threads, then 1 (what a Prometheus scrape sees), each asking for gzip (as Prometheus does: the
page compressed once per change and shared, daemon/gzpage.h) and then not (the page generated
per request).

It prints figures and a table and never fails on time (STYLE.md). Goals (issue 5): RSS <= 64
MiB, /metrics p99 < 100 ms. Hermetic: everything listens on loopback, xdaned resolves through
the bed's unbound.conf (example. from the bed's named, every other name refused) and probes
the bed's Prosody only.

    /usr/bin/python3 tests/bench/bench_daemon.py [--domains 10000] [--max-checks 256,64,1024]
        [--services xmpp-client] [--no-serve] [--wrk-duration 20] [--wrk-connections 8,1]
        [--wrk-encodings gzip,identity]
        [--perf] [--keep] [--build DIR]

Quick mode: --domains 1000 (~25 s of bring-up, sweeps of ~30 s: the first-check spread).
--perf adds one sweep under `perf record -g` and prints the top of its profile; --keep keeps
the work directory (logs, state dbs, wrk output, a /metrics page as metrics.txt).
"""

import argparse
import contextlib
import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)

WRK = "/usr/bin/wrk"
LAST_CHECK = "xdane_last_check_timestamp_seconds{"
STATUS = "xdane_domain_status{"
STATUS_NAMES = {0: "ok", 1: "info", 2: "warning", 3: "critical", 4: "unknown"}


def process_cpu(pid):
    """CPU seconds a process has used (utime + stime, all threads), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_mem_kib(pid):
    """(VmHWM, VmRSS) of a process in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
    return out.get("VmHWM", 0), out.get("VmRSS", 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, timeout=30, headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


# What wrk sends per --wrk-encodings value: gzip is what Prometheus asks for.
ENCODING_HEADERS = {"gzip": {"Accept-Encoding": "gzip"}, "identity": {}}


def metrics_body_bytes(port, encoding):
    """Bytes of one /metrics response as sent to a client of that encoding."""
    return len(http_get(port, "/metrics", headers=ENCODING_HEADERS[encoding])[1])


def metric_values(body, prefix):
    """The values of the samples of one family: {label text: float}."""
    out = {}
    for line in body.split(b"\n"):
        if line.startswith(prefix):
            labels, _, value = line.rpartition(b" ")
            out[labels] = float(value)
    return out


def daemon_sample(body, name):
    m = re.search(rb"^" + re.escape(name.encode()) + rb"(?:\{[^}]*\})? (\S+)$", body, re.M)
    return float(m.group(1)) if m else None


class Daemon:
    """One xdaned with its config in `directory`; its state db outlives it (for a restart)."""

    def __init__(self, xdaned, bed, directory, names, services, interval, max_checks, args):
        self.xdaned, self.dir = xdaned, directory
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        self.log_path = os.path.join(directory, "xdaned.log")
        self.config = os.path.join(directory, "xdane.conf")
        self.state_db = os.path.join(directory, "state.db")
        self.proc = None
        svc = ", ".join(f'"{s}"' for s in services)
        # Domains without settings of their own: the global services and the domains list,
        # which libconfuse reads for a fraction of what 10,000 blocks cost (--blocks: those).
        if args.blocks:
            blocks = "".join(f'domain "{d}" {{ services = {{{svc}}} }}\n' for d in names)
        else:
            blocks = f"services = {{{svc}}}\ndomains = {{\n" + ",\n".join(
                f'  "{d}"' for d in names) + "\n}\n"
        with open(self.config, "w") as f:
            f.write(f"""# xdane bench: {len(names)} domains, loopback only
resolver-config = "{bed.unbound_conf}"
ca-file = "{bed.ca.cert}"
auth-port = {bed.named.port}
state-db = "{self.state_db}"
control-socket = "{os.path.join(directory, 'control.sock')}"
interval = {interval}
max-checks-in-flight = {max_checks}
max-queries-in-flight = {args.max_queries}
{f'workers = {args.workers}' if args.workers else ''}
timeout = {args.timeout}
http {{ listen = "127.0.0.1:{self.port}" }}
{blocks}""")

    def start(self, timeout=120):
        """Starts xdaned; returns (monotonic, unix) time of the exec; waits for /healthz."""
        self.log = open(self.log_path, "a")
        t0, u0 = time.monotonic(), time.time()
        self.proc = subprocess.Popen([self.xdaned, "-c", self.config], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.t0, self.u0 = t0, u0
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"xdaned exited with {self.proc.returncode}:\n"
                                 f"{self.log_tail()}")
            try:
                if http_get(self.port, "/healthz", timeout=5)[0] == 200:
                    self.healthy_s = time.monotonic() - t0
                    self.healthy_cpu = process_cpu(self.proc.pid)
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"xdaned not healthy within {timeout} s:\n{self.log_tail()}")

    @property
    def pid(self):
        return self.proc.pid

    def stop(self, timeout=120):
        """SIGTERM by pid; returns (exit code, seconds to exit)."""
        if self.proc is None or self.proc.poll() is not None:
            return (self.proc.returncode if self.proc else None), 0.0
        t = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        return rc, time.monotonic() - t

    def log_tail(self, n=3000):
        with open(self.log_path, errors="replace") as f:
            return f.read()[-n:]


def checked_in_db(daemon, since):
    """Domains whose stored report is from `since` on, read from the state db (read-only, WAL:
    costs xdaned nothing, unlike building a /metrics page of N domains at every poll)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{daemon.state_db}?mode=ro", uri=True,
                                                timeout=5)) as db:
            return db.execute("SELECT count(*) FROM reports WHERE checked_at >= ?",
                              (since,)).fetchone()[0]
    except sqlite3.Error:
        return 0  # not created yet


def checked_in_metrics(daemon, since):
    """(domains with a last-check sample from `since` on, the /metrics body)."""
    _, body = http_get(daemon.port, "/metrics")
    stamps = metric_values(body, LAST_CHECK.encode())
    return sum(1 for v in stamps.values() if v >= since), body


def sweep(daemon, n, watch, poll, timeout, progress=True):
    """Waits until all n domains have a last-check sample at or after the daemon's start in
    /metrics: the state db is polled every `poll` seconds until it holds n fresh reports, then
    /metrics every 0.1 s until it shows them (it is published 200 ms after a result). Returns
    the figures at that moment."""
    since = int(daemon.u0)  # checked_at has a resolution of one second
    watch0 = {k: process_cpu(p) for k, p in watch.items()}
    deadline = daemon.t0 + timeout
    last_print = 0.0
    done, body = 0, b""
    while True:
        now = time.monotonic()
        if daemon.proc.poll() is not None:
            raise SystemExit(f"xdaned exited with {daemon.proc.returncode}:\n"
                             f"{daemon.log_tail()}")
        stored = checked_in_db(daemon, since)
        if stored >= n:
            done, body = checked_in_metrics(daemon, since)
            if done >= n:
                break
        if now > deadline:
            done, body = checked_in_metrics(daemon, since)
            print(f"  sweep not finished after {timeout} s: {done}/{n} checked", flush=True)
            break
        if progress and now - last_print >= 10:
            last_print = now
            print(f"  {now - daemon.t0:6.1f} s: {stored}/{n} checked, xdaned CPU "
                  f"{process_cpu(daemon.pid):.1f} s, RSS {mib(process_mem_kib(daemon.pid)[1])}",
                  flush=True)
        time.sleep(max(0.0, (poll if stored < n else 0.1) - (time.monotonic() - now)))
    wall = time.monotonic() - daemon.t0
    cpu = process_cpu(daemon.pid)
    hwm, rss = process_mem_kib(daemon.pid)
    statuses = {}
    for v in metric_values(body, STATUS.encode()).values():
        name = STATUS_NAMES.get(int(v), str(v))
        statuses[name] = statuses.get(name, 0) + 1
    return {"wall_s": wall, "done": done, "cpu_s": cpu, "hwm_kib": hwm, "rss_kib": rss,
            "statuses": statuses, "body_bytes": len(body),
            "checks_total": daemon_sample(body, "xdane_checks_total"),
            "checks_failed": daemon_sample(body, "xdane_checks_failed_total"),
            "watch_cpu": {k: process_cpu(p) - watch0[k] for k, p in watch.items()},
            "healthy_s": daemon.healthy_s, "healthy_cpu_s": daemon.healthy_cpu}


WRK_LAT = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def run_wrk(port, args, duration, connections, encoding, out_path):
    """`wrk --latency` on /metrics; returns its figures (latencies in ms)."""
    argv = [WRK, f"-t{min(args.wrk_threads, connections)}", f"-c{connections}", f"-d{duration}s",
            "--timeout", "10s", "--latency"]
    for k, v in ENCODING_HEADERS[encoding].items():
        argv += ["-H", f"{k}: {v}"]
    argv.append(f"http://127.0.0.1:{port}/metrics")
    p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    with open(out_path, "w") as f:
        f.write(p.stdout + p.stderr)
    if p.returncode != 0:
        raise SystemExit(f"wrk failed ({p.returncode}): {p.stderr or p.stdout}")
    text = p.stdout
    r = {"p" + k: float(v) * WRK_UNIT[u] for k, v, u in WRK_LAT.findall(text)}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    r["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", text)
    r["requests"] = int(m.group(1)) if m else None
    m = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    r["max"] = wrk_ms(m.group(3)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", text)
    r["socket_errors"] = m.group(1).strip() if m else ""
    r["argv"] = shlex.join(argv)
    r["connections"] = connections
    r["encoding"] = encoding
    return r


def print_wrk(w):
    during = ""
    if w["checks_during"] is not None:
        a, b = w["checks_during"]
        during = f"; domains checked meanwhile {b - a} ({a} -> {b} since the start)"
    print(f"  wrk, {w['label']}: {w['rps']:.1f} requests/s ({w['requests']} requests), p50 "
          f"{w['p50']:.1f} ms, p99 {w['p99']:.1f} ms, max {w['max']:.0f} ms; non-2xx "
          f"{w['non2xx']}, {w['socket_errors'] or 'no socket errors'}; body {w['body']} bytes; "
          f"VmHWM {mib(w['hwm_kib'])}{during}\n    {w['argv']}", flush=True)


def start_perf(pid, work):
    """perf record -g on pid, into work/perf.data."""
    out = os.path.join(work, "perf.data")
    p = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(pid), "-o", out],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(work, "perf.err"), "w"))
    time.sleep(0.5)
    return p


def stop_perf(p, work):
    """Stops perf by its pid and prints the top of its report (self time per symbol)."""
    p.send_signal(signal.SIGINT)
    p.wait(60)
    report = os.path.join(work, "perf-report.txt")
    with open(report, "w") as f:
        subprocess.run(["perf", "report", "-i", os.path.join(work, "perf.data"), "--no-children",
                        "--sort", "dso,symbol", "--percent-limit", "0.5", "--stdio", "-g",
                        "none"], stdout=f, stderr=subprocess.DEVNULL, timeout=600)
    with open(report) as f:
        lines = [x.rstrip() for x in f if x.strip() and not x.startswith("#")]
    print("  perf, self time (top 25):\n    " + "\n    ".join(lines[:25]) +
          f"\n  full report: {report}", flush=True)


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def fmt_statuses(st):
    return ", ".join(f"{v} {k}" for k, v in sorted(st.items(), key=lambda kv: -kv[1])) or "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--domains", type=int, default=10000)
    ap.add_argument("--blocks", action="store_true",
                    help="configure a domain block per domain instead of the domains list")
    ap.add_argument("--max-checks", default="256,64,1024",
                    help="comma-separated max-checks-in-flight values, one sweep each; the "
                         "first is the main run (idle wrk, restart under wrk)")
    ap.add_argument("--services", default="xmpp-client",
                    help="comma-separated services each domain is configured with")
    ap.add_argument("--no-serve", action="store_true",
                    help="DNS-only bulk domains (no VirtualHosts: probes fail at host-unknown)")
    ap.add_argument("--interval", type=int, default=3600,
                    help="check interval (s); first checks are spread over min(interval, 30 s)")
    ap.add_argument("--max-queries", type=int, default=256)
    ap.add_argument("--workers", type=int, default=0, help="0: xdaned's default")
    ap.add_argument("--timeout", type=int, default=30, help="per-check deadline (s)")
    ap.add_argument("--poll", type=float, default=1.0, help="seconds between state db polls")
    ap.add_argument("--sweep-timeout", type=float, default=0,
                    help="give up a sweep after this many seconds (0: 120 + 0.1 s per domain)")
    ap.add_argument("--wrk-duration", type=int, default=20)
    ap.add_argument("--wrk-idle-duration", type=int, default=10)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--wrk-connections", default="8,1",
                    help="comma-separated; one wrk run each (1: what one Prometheus scrape sees)")
    ap.add_argument("--wrk-encodings", default="gzip,identity",
                    help="comma-separated; wrk runs with each (gzip: Accept-Encoding: gzip, as "
                         "Prometheus sends; identity: none)")
    ap.add_argument("--perf", action="store_true",
                    help="one more sweep (the first --max-checks value) under perf record -g")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--build", default=os.environ.get("XDANE_BUILD", os.path.join(REPO, "build")))
    args = ap.parse_args()

    import testbed  # noqa: E402

    xdaned = os.path.join(args.build, "daemon", "xdaned")
    if not os.access(xdaned, os.X_OK):
        raise SystemExit(f"no {xdaned}: build first (meson compile -C {args.build})")
    if not os.access(WRK, os.X_OK):
        raise SystemExit(f"no {WRK}: scripts/install-deps installs wrk")
    max_checks = [int(x) for x in args.max_checks.split(",") if x]
    services = [s for s in args.services.split(",") if s]
    conns = [int(x) for x in args.wrk_connections.split(",") if x]
    encodings = [e for e in args.wrk_encodings.split(",") if e]
    for e in encodings:
        if e not in ENCODING_HEADERS:
            raise SystemExit(f"--wrk-encodings: {e}: gzip or identity")
    loads = [(c, e) for c in conns for e in encodings]
    sweep_timeout = args.sweep_timeout or 120 + 0.1 * args.domains
    serve = not args.no_serve
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average before the bed {load}; xdaned {xdaned}")

    work = tempfile.mkdtemp(prefix="xdane-bench-daemon-")
    runs = []
    try:
        with testbed.Bed(os.path.join(work, "bed")) as bed:
            t = time.monotonic()
            names = bed.bulk_domains(args.domains, serve=serve, ipv6=False)
            made = time.monotonic() - t
            prosody = bed.servers["main"]
            print(f"bed: up in {bed.startup_seconds:.1f} s; {len(names)} signed domains "
                  f"{'served by Prosody as VirtualHosts ' if serve else '(DNS only) '}made in "
                  f"{made:.1f} s; Prosody RSS {mib(process_mem_kib(prosody.pid)[1])}")
            watch = {"prosody": prosody.pid, "named": bed.named.server.pid}
            n = len(names)

            # One sweep per max-checks value; with --perf, one more (the first value) profiled.
            plan = [(mc, False) for mc in max_checks] + ([(max_checks[0], True)] if args.perf
                                                          else [])
            for i, (mc, profiled) in enumerate(plan):
                d = Daemon(xdaned, bed, os.path.join(work, f"xdaned-{mc}{'-perf' * profiled}"),
                           names, services, args.interval, mc, args)
                print(f"\nsweep {i + 1}: {n} domains, services {','.join(services)}, interval "
                      f"{args.interval} s, max-checks-in-flight {mc} (fresh state db)"
                      f"{', under perf record' if profiled else ''}", flush=True)
                d.start()
                print(f"  healthy after {d.healthy_s:.2f} s (CPU {d.healthy_cpu:.2f} s)",
                      flush=True)
                perf = start_perf(d.pid, work) if profiled else None
                r = sweep(d, n, watch, args.poll, sweep_timeout)
                r.update(label=f"sweep, max-checks {mc}{' (under perf)' * profiled}",
                         max_checks=mc, n=n)
                if perf is not None:
                    stop_perf(perf, work)
                print(f"  all {r['done']}/{n} checked after {r['wall_s']:.1f} s; xdaned CPU "
                      f"{r['cpu_s']:.2f} s = {1000 * r['cpu_s'] / n:.2f} ms per domain; peak RSS "
                      f"{mib(r['hwm_kib'])}; statuses {fmt_statuses(r['statuses'])}; checks "
                      f"{r['checks_total']:.0f} ({r['checks_failed']:.0f} could not check); "
                      f"Prosody CPU {r['watch_cpu']['prosody']:.1f} s, named "
                      f"{r['watch_cpu']['named']:.1f} s; /metrics {r['body_bytes']} bytes",
                      flush=True)
                if i == 0:
                    time.sleep(2)  # let the last results be published
                    body = http_get(d.port, "/metrics")[1]
                    with open(os.path.join(work, "metrics.txt"), "wb") as f:
                        f.write(body)  # for --keep: what a scrape of N domains holds
                    r["wrk"] = []
                    for c, e in loads:
                        w = run_wrk(d.port, args, args.wrk_idle_duration, c, e,
                                    os.path.join(work, f"wrk-idle-c{c}-{e}.txt"))
                        w.update(label=f"idle (no check running), {c} connection"
                                       f"{'s' if c > 1 else ''}, {e}",
                                 body=metrics_body_bytes(d.port, e),
                                 hwm_kib=process_mem_kib(d.pid)[0], checks_during=None)
                        r["wrk"].append(w)
                        print_wrk(w)
                rc, stop_s = d.stop()
                r["exit"] = rc
                print(f"  stopped: exit {rc} in {stop_s:.1f} s", flush=True)
                runs.append(r)

            # Restart on the first run's state db: /metrics is full-size from the start.
            first = max_checks[0]
            d = Daemon(xdaned, bed, os.path.join(work, f"xdaned-{first}"), names, services,
                       args.interval, first, args)
            print(f"\nrestart on the state db of sweep 1 (max-checks-in-flight {first}), wrk on "
                  f"/metrics while the re-sweep runs", flush=True)
            d.start()
            print(f"  healthy after {d.healthy_s:.2f} s (CPU {d.healthy_cpu:.2f} s), /metrics "
                  f"{len(http_get(d.port, '/metrics')[1])} bytes", flush=True)
            loaded = []

            def checked_since_start():
                return checked_in_db(d, int(d.u0))

            def load():
                for c, e in loads:
                    before = checked_since_start()
                    w = run_wrk(d.port, args, args.wrk_duration, c, e,
                                os.path.join(work, f"wrk-load-c{c}-{e}.txt"))
                    w.update(label=f"while checks run, {c} connection{'s' if c > 1 else ''}, {e}",
                             body=metrics_body_bytes(d.port, e),
                             hwm_kib=process_mem_kib(d.pid)[0],
                             checks_during=(before, checked_since_start()))
                    loaded.append(w)

            th = threading.Thread(target=load)
            th.start()
            r = sweep(d, n, watch, args.poll, sweep_timeout)
            th.join()
            r.update(label=f"re-sweep after a restart, under wrk, max-checks {first}",
                     max_checks=first, n=n, wrk=loaded, under_wrk=True)
            rc, _ = d.stop()
            r["exit"] = rc
            runs.append(r)
            print(f"  all {r['done']}/{n} checked after {r['wall_s']:.1f} s; xdaned CPU "
                  f"{r['cpu_s']:.2f} s; VmHWM {mib(r['hwm_kib'])}; statuses "
                  f"{fmt_statuses(r['statuses'])}; exit {rc}")
            for w in loaded:
                print_wrk(w)
    finally:
        if not args.keep:
            subprocess.run(["rm", "-rf", work], check=False)
        else:
            print(f"\nwork directory kept: {work}")

    print(f"\n## Results: {n} domains ({'served' if serve else 'DNS only'}), services "
          f"{','.join(services)}, {os.cpu_count()} cores\n")
    print("| run | max checks | sweep wall | xdaned CPU | CPU per domain | VmHWM at sweep end "
          "| statuses | Prosody CPU | named CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in runs:
        print(f"| {r['label']} | {r['max_checks']} | {r['wall_s']:.1f} s | {r['cpu_s']:.1f} s "
              f"| {1000 * r['cpu_s'] / r['n']:.2f} ms | {mib(r['hwm_kib'])} | "
              f"{fmt_statuses(r['statuses'])} | {r['watch_cpu']['prosody']:.1f} s | "
              f"{r['watch_cpu']['named']:.1f} s |")
    print("\n| /metrics under wrk | requests/s | p50 | p99 | max | body | VmHWM after |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in runs:
        for w in r.get("wrk", []):
            print(f"| {w['label']} | {w['rps']:.1f} | {w['p50']:.1f} ms | {w['p99']:.1f} ms | "
                  f"{w['max']:.0f} ms | {w['body'] / 1e6:.2f} MB | {mib(w['hwm_kib'])} |")
    sweep_hwm = max(r["hwm_kib"] for r in runs if not r.get("under_wrk"))
    all_hwm = max([r["hwm_kib"] for r in runs] +
                  [w["hwm_kib"] for r in runs for w in r.get("wrk", [])])
    p99 = {(c, e): max(w["p99"] for r in runs for w in r.get("wrk", [])
                       if (w["connections"], w["encoding"]) == (c, e))
           for c, e in loads}
    print(f"\ngoals: RSS <= 64 MiB: checks alone {'met' if sweep_hwm <= 65536 else 'NOT met'} "
          f"({mib(sweep_hwm)}), with wrk on /metrics {'met' if all_hwm <= 65536 else 'NOT met'} "
          f"({mib(all_hwm)}); /metrics p99 < 100 ms (worst run): " +
          "; ".join(f"{c} connection{'s' if c > 1 else ''} {e} {'met' if v < 100 else 'NOT met'} "
                    f"({v:.1f} ms)" for (c, e), v in p99.items()))

if __name__ == "__main__":
    main()
