#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark: the endpoint half of `xdane check` (c2s and s2s) for N domains on the loopback bed,
and per endpoint against check_ssl_cert and danetool.

Brings up the bed with N healthy signed domains that its Prosody serves as VirtualHosts of their
own (bed.bulk_domains(serve=True, ipv6=False): SRV for c2s and s2s to xmpp.<domain>, an A record
only, so every endpoint has one address and endpoints = probes; TLSA 3 1 1), then measures:
  - bench_dns --probe (the checks library in one process, one prober per worker: one SSL_CTX
    and CA store each): the full check, cold then warm (DNS caches, and each prober's memory of
    servers with no RSA certificate beside their ECDSA one, so the warm pass makes no second,
    RSA-only connections); wall, CPU, peak RSS, CPU per endpoint, the connections made, and
    the CPU the bed's Prosody and named used meanwhile;
    the same without probes (the DNS half alone) for the difference;
  - the `xdane check --json --service xmpp-client --service xmpp-server` command on all N
    domains (a fresh process: cold);
  - per endpoint, one at a time, on a sample of other bulk domains of the same layout (with a
    VirtualHost for the SRV target too, which danetool sends as to= and SNI):
    `check_ssl_cert -P xmpp|xmpp-server --dane 311` (monitoring-plugins-contrib) and
    `danetool --check --starttls-proto xmpp --local-dns` (gnutls-bin): wall, CPU of the tool and
    everything it started (RUSAGE_CHILDREN), processes started.
It prints figures and ratios and never fails on time (STYLE.md). Goals (issue): xdane's CPU per
endpoint <= 1.5 ms with warm caches, a 1,000-domain c2s+s2s sweep within 8 s wall, >= 300x
check_ssl_cert and >= 5x danetool per endpoint.

Hermetic: check_ssl_cert reads TLSA with a plain `dig` from /etc/resolv.conf and danetool's
libunbound forwards to the servers in /etc/resolv.conf and takes its trust anchor from
/usr/share/dns/root.key. Both run in a private mount (and PID) namespace (`unshare`) in which
/etc/resolv.conf names an unbound daemon (Debian's `unbound`, the bed's unbound.conf: example.
from the bed's named, every other name refused) on port 53 of a loopback address, and root.key
is the bed's `example.` anchor. The host's files are never touched. Each tool is first run
once under strace (where there is one), and the comparison stops if it connects or sends beyond
127.0.0.0/8 and ::1.

    /usr/bin/python3 tests/bench/bench_check_endpoints.py [--domains 1000] [--max-queries 256]
        [--workers N] [--ssl-cert-sample 10] [--danetool-sample 100] [--no-peers]
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)

CHECK_SSL_CERT = "/usr/lib/nagios/plugins/check_ssl_cert"
DANETOOL = "danetool"
ROOT_KEY = "/usr/share/dns/root.key"
RESOLV_CONF = "/etc/resolv.conf"
SERVICES = ("xmpp-client", "xmpp-server")


def process_cpu(pid):
    """CPU seconds a process has used (utime + stime), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rusage_cpu(ru):
    return ru.ru_utime + ru.ru_stime


def run_measured(argv, timeout, stdout_path, stderr_path):
    """Run argv (own session) to completion or `timeout` (then SIGKILL to its process group):
    (exit code, wall seconds, the child's rusage from wait4)."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             start_new_session=True)
    killed = []

    def kill():
        killed.append(True)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, ru = os.wait4(p.pid, 0)
    finally:
        timer.cancel()
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    if killed:
        raise SystemExit(f"timed out after {timeout} s: {' '.join(argv[:3])} ...")
    return p.returncode, wall, ru


# --- the inner runner: inside `unshare --mount --pid --fork --mount-proc` --------------------

def reap_orphans():
    """As PID 1 of the namespace, collect every exited process re-parented to us."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def peer_runner(spec_path):
    """Bind the bed's resolv.conf and trust anchor over the system's (this mount namespace
    only), then run each job one at a time: wall, CPU of it and its descendants, processes
    started (PIDs in a fresh PID namespace are handed out in order). Prints JSON."""
    with open(spec_path) as f:
        spec = json.load(f)
    if os.getpid() != 1:
        raise SystemExit("peer runner: not PID 1 of a PID namespace of its own")
    for src, dst in spec["binds"]:
        subprocess.run(["mount", "--bind", src, dst], check=True, timeout=10)
    with open(RESOLV_CONF) as f:
        if f.read() != spec["resolv_conf"]:
            raise SystemExit("peer runner: /etc/resolv.conf is not the bed's after the bind mount")
    results = []
    work = spec["work"]
    for i, job in enumerate(spec["jobs"]):
        out, err = os.path.join(work, f"job-{i}.out"), os.path.join(work, f"job-{i}.err")
        p = subprocess.Popen(["true"])  # the PID before the job's first
        p.wait()
        reap_orphans()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        code, wall, _ = run_measured(job["argv"], job["timeout"], out, err)
        reap_orphans()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        q = subprocess.Popen(["true"])  # the next PID after everything the job started
        q.wait()
        with open(out, errors="replace") as f:
            text = f.read()
        with open(err, errors="replace") as f:
            text_err = f.read()
        results.append({"tool": job["tool"], "endpoint": job["endpoint"], "exit": code,
                        "wall_s": wall, "cpu_s": rusage_cpu(r1) - rusage_cpu(r0),
                        # PIDs between the two `true`s, less the job's timer thread (TIDs
                        # come from the same numbers).
                        "processes": q.pid - p.pid - 2,
                        "out": (text.strip().splitlines() or [""])[0][:300],
                        "ok": code == 0 and re.search(job["ok"], text + text_err) is not None,
                        "tail": (text + text_err)[-600:]})
    json.dump(results, sys.stdout)


# --- the outer benchmark ---------------------------------------------------------------------

def pick_resolver_address():
    """A loopback address whose UDP and TCP port 53 are free (127.53.x.y)."""
    for _ in range(50):
        addr = f"127.53.{random.randint(0, 255)}.{random.randint(1, 254)}"
        free = True
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind((addr, 53))
            except OSError:
                free = False
            finally:
                s.close()
        if free:
            return addr
    raise SystemExit("no loopback address with port 53 free")


def start_resolver(bed, directory, proc):
    """Debian's unbound daemon on port 53 of a loopback address, with the bed's unbound.conf
    (example. forwarded to the bed's named, everything else refused); (server, address)."""
    os.makedirs(directory, exist_ok=True)
    addr = pick_resolver_address()
    conf = os.path.join(directory, "unbound-daemon.conf")
    log = os.path.join(directory, "unbound.log")
    with open(conf, "w") as f:
        f.write(f'include: "{bed.unbound_conf}"\n'
                "server:\n"
                f"\tinterface: {addr}@53\n"
                "\tdo-daemonize: no\n"
                f'\tlogfile: "{log}"\n'
                f'\tdirectory: "{directory}"\n'
                "\tnum-threads: 1\n"
                "remote-control:\n"
                "\tcontrol-enable: no\n")
    server = proc.Server("peer-resolver", ["unbound", "-d", "-c", conf], log_path=log,
                         stdout_path=os.path.join(directory, "unbound.stdout")).start()
    probe = ["dig", f"@{addr}", "+time=1", "+tries=1", "+short", "SOA", "example."]
    server.wait_until(lambda: subprocess.run(probe, capture_output=True, text=True,
                                             timeout=5).stdout.strip() != "",
                      "unbound answering", timeout=15)
    return server, addr


STRACE_ADDR = re.compile(r'inet_addr\("([0-9.]+)"\)|inet_pton\(AF_INET6, "([0-9a-fA-F:.]+)"')


def foreign_connects(strace_path):
    """Addresses outside 127.0.0.0/8 and ::1 that a traced run connected or sent to."""
    bad = set()
    with open(strace_path, errors="replace") as f:
        for line in f:
            if not re.search(r"\b(connect|sendto|sendmsg|sendmmsg)\(", line):
                continue
            for v4, v6 in STRACE_ADDR.findall(line):
                if v4 and not v4.startswith("127."):
                    bad.add(v4)
                if v6 and v6 not in ("::1", "::ffff:127.0.0.1") and \
                        not v6.startswith("::ffff:127."):
                    bad.add(v6)
    return sorted(bad)


def run_peers(bed, work, jobs, proc):
    """Run `jobs` in a private mount + PID namespace with the bed's resolver configured."""
    resolver, addr = start_resolver(bed, os.path.join(work, "peer-resolver"), proc)
    try:
        resolv = os.path.join(work, "resolv.conf")
        text = f"# xdane bench: the bed's resolver only (mount namespace of the peers)\n" \
               f"nameserver {addr}\n"
        with open(resolv, "w") as f:
            f.write(text)
        anchor = os.path.join(work, "root.key")
        shutil.copyfile(bed.trust_anchor["ds"], anchor)
        binds = [[resolv, RESOLV_CONF]]
        if os.path.exists(ROOT_KEY):
            binds.append([anchor, ROOT_KEY])
        spec_path = os.path.join(work, "peers.json")
        with open(spec_path, "w") as f:
            json.dump({"binds": binds, "resolv_conf": text, "jobs": jobs, "work": work}, f)
        out, err = os.path.join(work, "peers.out"), os.path.join(work, "peers.err")
        total = sum(j["timeout"] for j in jobs) + 60
        code, _, _ = run_measured(["unshare", "--mount", "--pid", "--fork", "--mount-proc",
                                   sys.executable, os.path.abspath(__file__),
                                   "--peer-runner", spec_path], total, out, err)
        with open(err, errors="replace") as f:
            errors = f.read()
        if code != 0:
            raise SystemExit(f"peer runner failed (exit {code}):\n{errors[-3000:]}")
        with open(out) as f:
            return json.load(f)
    finally:
        resolver.stop()


def peer_jobs(bed, ca_file, endpoints, n_ssl, n_dane, trace_dir=None):
    """The check_ssl_cert and danetool runs for the sample `endpoints` [(domain, service,
    target, port)]; with `trace_dir`, one run of each under strace instead."""
    jobs = []
    for tool, n in (("check_ssl_cert", n_ssl), ("danetool", n_dane)):
        for domain, service, target, port in endpoints[:n]:
            if tool == "check_ssl_cert":
                proto = "xmpp" if service == "xmpp-client" else "xmpp-server"
                argv = [CHECK_SSL_CERT, "-H", target, "-p", str(port), "-P", proto,
                        "--xmpphost", domain, "--dane", "311", "--rootcert-file", ca_file,
                        "--ignore-sct"]
                ok, timeout = r"^SSL_CERT OK", 120
            else:
                argv = [DANETOOL, "--check", target, "--port", str(port),
                        "--starttls-proto", "xmpp", "--local-dns"]
                ok, timeout = r"Verification: Certificate matches", 30
            if trace_dir:
                argv = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg",
                        "-o", os.path.join(trace_dir, f"{tool}.strace"), *argv]
            jobs.append({"tool": tool, "endpoint": f"{service} {target}:{port} ({domain})",
                         "argv": argv, "ok": ok, "timeout": timeout})
            if trace_dir:
                break
    return jobs


def ratio(a, b):
    r = a / b if b else float("inf")
    return f"{r:.1f}x" if r < 10 else f"{r:.0f}x"


def summarize(results, tool):
    rs = [r for r in results if r["tool"] == tool]
    if not rs:
        return None
    n = len(rs)
    wall = sorted(r["wall_s"] for r in rs)
    return {"n": n, "ok": sum(r["ok"] for r in rs), "wall_s": sum(wall) / n,
            "wall_median_s": wall[n // 2], "cpu_s": sum(r["cpu_s"] for r in rs) / n,
            "processes": sum(r["processes"] for r in rs) / n,
            "by_service": {s: sum(1 for r in rs if r["endpoint"].startswith(s + " "))
                           for s in SERVICES},
            "failed": [r for r in rs if not r["ok"]][:3]}


def bench_dns_run(bench_bin, bed, listing, args, probe, watch):
    argv = [bench_bin, bed.unbound_conf, str(bed.named.port), str(args.max_queries),
            str(args.workers), listing]
    if probe:
        argv += ["--probe", bed.ca.cert]
    for s in SERVICES:
        argv += ["--service", s]
    for pid in watch.values():
        argv += ["--watch-pid", str(pid)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"bench_dns failed: {out.stderr}")
    return dict(line.split("=", 1) for line in out.stdout.split())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--domains", type=int, default=1000)
    ap.add_argument("--max-queries", type=int, default=256)
    ap.add_argument("--workers", type=int, default=0, help="0: one per CPU, at most 4")
    ap.add_argument("--ssl-cert-sample", type=int, default=10,
                    help="endpoints checked with check_ssl_cert (half c2s, half s2s)")
    ap.add_argument("--danetool-sample", type=int, default=100,
                    help="endpoints checked with danetool (half c2s, half s2s)")
    ap.add_argument("--no-peers", action="store_true", help="skip check_ssl_cert and danetool")
    ap.add_argument("--build", default=os.environ.get("XDANE_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--peer-runner", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer_runner:
        return peer_runner(args.peer_runner)

    import testbed  # noqa: E402 (the inner runner needs only the standard library)
    from testbed import proc

    bench_bin = os.path.join(args.build, "tests", "bench", "bench_dns")
    xdane = os.path.join(args.build, "daemon", "xdane")
    peers_missing = [t for t, ok in (("check_ssl_cert (monitoring-plugins-contrib)",
                                      os.access(CHECK_SSL_CERT, os.X_OK)),
                                     ("danetool (gnutls-bin)", shutil.which(DANETOOL)),
                                     ("unbound", shutil.which("unbound")),
                                     ("unshare", shutil.which("unshare")),
                                     ("dig", shutil.which("dig"))) if not ok]
    n_sample = max(args.ssl_cert_sample, args.danetool_sample)
    with open("/proc/loadavg") as f:
        print(f"machine: {os.cpu_count()} CPUs, load average before the bed {f.read().split()[0]}")

    with tempfile.TemporaryDirectory(prefix="xdane-bench-") as work, \
            testbed.Bed(os.path.join(work, "bed")) as bed:
        t = time.monotonic()
        names = bed.bulk_domains(args.domains, serve=True, ipv6=False)
        made = time.monotonic() - t
        prosody = bed.servers["main"]
        print(f"bed: up in {bed.startup_seconds:.1f} s; {len(names)} signed domains served by "
              f"Prosody as VirtualHosts made in {made:.1f} s")
        cmp_names = []
        if not args.no_peers and not peers_missing:
            t = time.monotonic()
            cmp_names = bed.bulk_domains((n_sample + 1) // 2, prefix="cmp", serve=True,
                                         ipv6=False, target_hosts=True)
            print(f"     {len(cmp_names)} more (cmp-*.example, VirtualHosts for the SRV targets "
                  f"too) for check_ssl_cert and danetool in {time.monotonic() - t:.1f} s")
        listing = os.path.join(work, "domains.txt")
        with open(listing, "w") as f:
            f.write("\n".join(names) + "\n")
        endpoints = len(names) * len(SERVICES)
        watch = {"prosody": prosody.pid, "named": bed.named.server.pid}
        print(f"     {endpoints} endpoints ({len(SERVICES)} per domain, one IPv4 address "
              f"each); Prosody holds {len(prosody.hosts)} hosts")

        # 1. The checks library, one process: the full check cold then warm; the DNS half alone.
        full = bench_dns_run(bench_bin, bed, listing, args, True, watch)
        dns = bench_dns_run(bench_bin, bed, listing, args, False, watch)
        print(f"\nchecks library (bench_dns), one process, {args.domains} domains, c2s+s2s, "
              f"workers {args.workers or 'auto'}, max {args.max_queries} queries in flight:")
        per_ep = {}
        for label in ("cold", "warm"):
            f_ = {k.split(".", 1)[1]: v for k, v in full.items() if k.startswith(label + ".")}
            d_ = {k.split(".", 1)[1]: v for k, v in dns.items() if k.startswith(label + ".")}
            cpu, dcpu = float(f_["cpu_s"]), float(d_["cpu_s"])
            n_ep = int(f_["endpoints"]) or 1
            per_ep[label] = {"cpu_ms": 1000 * cpu / n_ep, "wall_s": float(f_["wall_s"]),
                             "endpoint_cpu_ms": 1000 * (cpu - dcpu) / n_ep}
            pc = float(f_[f"pid_{watch['prosody']}_cpu_s"])
            nc = float(f_[f"pid_{watch['named']}_cpu_s"])
            print(f"  {label}: full check wall {float(f_['wall_s']):.2f} s, CPU {cpu:.2f} s = "
                  f"{per_ep[label]['cpu_ms']:.2f} ms per endpoint, peak RSS "
                  f"{int(f_['peak_rss_kib']) / 1024:.1f} MiB; endpoints {f_['endpoints']}, "
                  f"TLS ok {f_['probes_ok']}, DANE match {f_['dane_match']}, connections "
                  f"{f_['connections']} ({f_['rsa_probes']} second ones offering RSA only); "
                  f"findings >= warning {f_['findings_warning_or_worse']}, unfinished "
                  f"{f_['unfinished']}")
            print(f"        Prosody CPU {pc:.2f} s ({1000 * pc / int(f_['connections'] or 1):.2f} "
                  f"ms per connection), named {nc:.2f} s; DNS half alone: wall "
                  f"{float(d_['wall_s']):.2f} s, CPU {dcpu:.2f} s, so the endpoint half costs "
                  f"{per_ep[label]['endpoint_cpu_ms']:.2f} ms CPU per endpoint")

        # 2. The command line, a fresh process (cold).
        pc0, nc0 = process_cpu(prosody.pid), process_cpu(bed.named.server.pid)
        code, wall, ru = run_measured(
            [xdane, "check", "--json", "--resolver-config", bed.unbound_conf, "--auth-port",
             str(bed.named.port), "--ca-file", bed.ca.cert, "--max-queries",
             str(args.max_queries), *(["--workers", str(args.workers)] if args.workers else []),
             *[a for s in SERVICES for a in ("--service", s)], *names],
            900, os.path.join(work, "xdane.json"), os.path.join(work, "xdane.err"))
        pc, nc = process_cpu(prosody.pid) - pc0, process_cpu(bed.named.server.pid) - nc0
        with open(os.path.join(work, "xdane.json")) as f:
            text = f.read()
        doc = json.loads(text) if text else {"domains": []}
        statuses, probes = {}, {}
        for d in doc["domains"]:
            statuses[d["status"]] = statuses.get(d["status"], 0) + 1
            for s in d.get("services", []):
                for e in s.get("endpoints", []):
                    key = f"{e.get('probe')}/dane {e.get('dane')}"
                    probes[key] = probes.get(key, 0) + 1
        cmd_cpu = rusage_cpu(ru)
        print(f"\nxdane check --json, {args.domains} domains c2s+s2s (fresh process, cold): "
              f"wall {wall:.2f} s, CPU {cmd_cpu:.2f} s = {1000 * cmd_cpu / endpoints:.2f} ms per "
              f"endpoint, peak RSS {ru.ru_maxrss / 1024:.1f} MiB, exit {code}, statuses "
              f"{statuses}, endpoints {probes}")
        print(f"  meanwhile Prosody used {pc:.2f} s CPU, named {nc:.2f} s")

        # 3. check_ssl_cert and danetool, per endpoint, one at a time.
        if args.no_peers:
            return
        if peers_missing:
            print(f"\npeers skipped: missing {', '.join(peers_missing)} (scripts/install-deps)")
            return
        sample = []
        for x in cmp_names:
            d = bed.bulk[x]
            for s in SERVICES:
                sample.append((x, s, d.target.name, d.port(s)))
        # c2s and s2s alternate, so a short sample holds both.
        if shutil.which("strace"):
            trace = os.path.join(work, "trace")
            os.makedirs(trace)
            traced = run_peers(bed, work, peer_jobs(bed, bed.ca.cert, sample, 1, 1, trace), proc)
            for r in traced:
                bad = foreign_connects(os.path.join(trace, f"{r['tool']}.strace"))
                if bad:
                    raise SystemExit(f"{r['tool']} sent packets beyond loopback ({bad}): stopped")
            verdicts = ", ".join(r["tool"] + (" ok" if r["ok"] else " FAILED: " + r["tail"])
                                 for r in traced)
            print(f"\npeers: one traced run each sent nothing beyond loopback ({verdicts})")
        else:
            print("\npeers: no strace here, so no traced run (their resolver refuses every "
                  "name outside example. all the same)")
        results = run_peers(bed, work, peer_jobs(bed, bed.ca.cert, sample, args.ssl_cert_sample,
                                                 args.danetool_sample), proc)
        warm, cold = per_ep["warm"]["cpu_ms"], per_ep["cold"]["cpu_ms"]
        sweep_wall_ms = 1000 * per_ep["warm"]["wall_s"] / endpoints
        cmd_ms = 1000 * cmd_cpu / endpoints
        for tool in ("check_ssl_cert", "danetool"):
            s = summarize(results, tool)
            if s is None:
                continue
            cpu_ms, wall_ms = 1000 * s["cpu_s"], 1000 * s["wall_s"]
            print(f"  {tool}: {s['n']} endpoints ({s['by_service']['xmpp-client']} c2s, "
                  f"{s['by_service']['xmpp-server']} s2s), {s['ok']} verified; per endpoint "
                  f"wall {wall_ms:.1f} ms (median {1000 * s['wall_median_s']:.1f}), CPU "
                  f"{cpu_ms:.1f} ms, {s['processes']:.0f} processes")
            print(f"    xdane per endpoint uses {ratio(cpu_ms, warm)} less CPU (warm), "
                  f"{ratio(cpu_ms, cold)} (cold, library), {ratio(cpu_ms, cmd_ms)} (command, "
                  f"cold); its sweep's wall per endpoint (parallel, warm) is "
                  f"{ratio(wall_ms, sweep_wall_ms)} less than one run's")
            for r in s["failed"]:
                print(f"    failed: {r['endpoint']}: exit {r['exit']}: {r['tail'][-300:]!r}")


if __name__ == "__main__":
    main()
