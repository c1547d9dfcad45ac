#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The built-in demo (`scripts/demo`): brings up the loopback bed (BIND serving the signed zones
example. and good.example, Prosody serving good.example), then runs xdane against it the way an
operator would: describe the certificate the server presents, derive the TLSA and DS records
from it and from the zone's keys, and compare them with what the validated zone publishes.
Then it starts the daemon, xdaned, on the healthy and the broken domains, prints its status URL
and its first status, and stops it (with --serve it keeps running until Ctrl-C).
Everything stays on loopback; the bed stops every process it started."""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testbed  # noqa: E402

SERVICES = ("xmpp-client", "xmpp-server", "xmpps-client", "xmpps-server")


def heading(text):
    print(f"\n== {text}", flush=True)


def run(argv, show=True, check=True):
    """Runs argv, echoing it as a shell line; returns stdout."""
    if show:
        print("$ " + " ".join(str(a) for a in argv), flush=True)
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise SystemExit(f"demo: {argv[0]} failed (exit {p.returncode}): {p.stderr.strip()}")
    return p.stdout


def served_certificate(bed, domain, service, path):
    """The leaf the server presents on a STARTTLS port, saved as PEM (openssl s_client)."""
    port = domain.port(service)
    starttls = "xmpp" if service == "xmpp-client" else "xmpp-server"
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-starttls", starttls,
            "-xmpphost", domain.name, "-servername", domain.name]
    print("$ " + " ".join(argv) + f" < /dev/null > {path}", flush=True)
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30)
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", p.stdout, re.S)
    if not m:
        raise SystemExit(f"demo: no certificate from {domain.name} port {port}: {p.stderr}")
    with open(path, "w") as f:
        f.write(m.group(0) + "\n")


def validated_tlsa(bed, owner):
    """TLSA data at owner, validated from the bed's trust anchor by delv, or None."""
    out = run(["delv", "@127.0.0.1", "-p", bed.named.port, "-a", bed.trust_anchor["bind"],
               "+root=example", "+nosplit", owner, "TLSA"], show=False, check=False)
    if "; fully validated" not in out:
        return None
    records = []
    for line in out.splitlines():
        fields = line.split()  # owner TTL IN TLSA usage selector mtype data
        if len(fields) == 8 and fields[3] == "TLSA":
            records.append(" ".join(fields[4:7]) + " " + fields[7].lower())
    return records


def ds_data(text):
    """The DS RDATA (key tag, algorithm, digest type, digest) of zone-file lines."""
    return {" ".join(line.split()[4:]).lower() for line in text.splitlines()
            if len(line.split()) > 4 and line.split()[3] == "DS"}


def compare_tlsa(bed, xdane, domain, cert):
    """For each service port: the record xdane derives from the served cert vs the zone."""
    all_match = True
    for service in SERVICES:
        port = domain.port(service)
        ours = run([xdane, "tlsa", "--cert", cert, "--host", domain.target.name, "--port",
                    port], show=service == SERVICES[0]).split()
        owner, data = ours[0], " ".join(ours[3:])
        published = validated_tlsa(bed, owner)
        if published is None:
            verdict = "NOT VALIDATED (no secure TLSA: DANE peers fall back or refuse)"
            all_match = False
        elif data in published:
            verdict = "matches the published, DNSSEC-validated TLSA"
        else:
            verdict = "MISMATCH: published " + "; ".join(published)
            all_match = False
        print(f"  {service:13} {owner:40} {verdict}")
    return all_match


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except OSError:
        return None, ""


def run_daemon(bed, xdane, xdaned, work, domains, serve):
    """Starts xdaned on the domains, shows its status URL, first status and a few metrics, then
    stops it (or, with serve, waits for Ctrl-C). Returns whether it reported as expected."""
    port = free_port()
    conf = os.path.join(work, "xdane.conf")
    sock = os.path.join(work, "control.sock")
    blocks = "\n".join(f'domain "{d}" {{}}' for d in domains)
    with open(conf, "w") as f:
        f.write(f"""# The demo's xdaned: the bed's resolver, CA and name server port.
resolver-config = "{bed.unbound_conf}"
ca-file = "{bed.ca.cert}"
auth-port = {bed.named.port}
state-db = "{os.path.join(work, "state.db")}"
control-socket = "{sock}"
interval = 60
http {{ listen = "127.0.0.1:{port}" }}
{blocks}
""")
    print(f"$ xdaned -c {conf}")
    log = open(os.path.join(work, "xdaned.log"), "w")
    proc = subprocess.Popen([xdaned, "-c", conf], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and \
                http_get(url + "healthz")[0] != 200:
            time.sleep(0.05)
        # First checks are spread over up to 30 s; the demo asks for them now.
        print(f"$ xdane trigger --control-socket {sock} DOMAIN   # for each of {len(domains)}")
        for d in domains:
            subprocess.run([xdane, "trigger", "--control-socket", sock, d],
                           capture_output=True, timeout=30)
        checked = False
        while time.monotonic() < deadline and proc.poll() is None and not checked:
            status, metrics = http_get(url + "metrics")
            checked = status == 200 and metrics.count(
                "xdane_last_check_timestamp_seconds{") == len(domains)
            time.sleep(0.2)
        print(f"status page: {url}   (also {url}metrics, {url}status, {url}status/DOMAIN)")
        p = subprocess.run([xdane, "status", "--control-socket", sock], capture_output=True,
                           text=True, timeout=30)
        print(f"$ xdane status --control-socket {sock}")
        print(p.stdout, end="")
        print(f"(exit {p.returncode}: the worst of them, 2 = critical)")
        print(f"$ curl -s {url}metrics | grep -E '^xdane_(domain_status|dane_match)' | head -4")
        lines = [line for line in http_get(url + "metrics")[1].splitlines()
                 if line.startswith(("xdane_domain_status", "xdane_dane_match"))]
        print("\n".join(lines[:4]))
        if serve:
            print(f"serving until Ctrl-C: open {url} in a browser on this machine")
            try:
                proc.wait()
            except KeyboardInterrupt:
                pass
        return checked and p.returncode == 2 and all(d in p.stdout for d in domains)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--xdane", required=True, help="path of the built xdane binary")
    ap.add_argument("--serve", action="store_true",
                    help="keep xdaned and the bed running until Ctrl-C")
    args = ap.parse_args()
    xdane = os.path.abspath(args.xdane)
    xdaned = os.path.join(os.path.dirname(xdane), "xdaned")
    work = tempfile.mkdtemp(prefix="xdane-demo-")

    heading("bringing up the loopback bed (BIND + Prosody, 127.0.0.1 and ::1 only)")
    with testbed.Bed(os.path.join(work, "bed")) as bed:
        good = bed.good
        print(f"bed up in {bed.startup_seconds:.1f} s in {bed.dir}")
        print(f"  named    127.0.0.1 port {bed.named.port}: signed zones example. (trust "
              f"anchor) and {good.name}")
        ports = ", ".join(f"{s} {p}" for s, p in bed.servers["main"].ports.items())
        print(f"  prosody  127.0.0.1 and ::1: {ports}")
        print(f"  SRV      _xmpp-client._tcp.{good.name} -> {good.target.name} port "
              f"{good.port('xmpp-client')}")

        heading(f"xdane check {good.name}: DNS validated, every endpoint connected and verified")
        check = [xdane, "check", "--resolver-config", bed.unbound_conf, "--auth-port",
                 bed.named.port, "--ca-file", bed.ca.cert]
        p = subprocess.run([str(a) for a in check + [good.name]], capture_output=True,
                           text=True, timeout=60)
        print(f"$ xdane check --resolver-config {bed.unbound_conf} --auth-port "
              f"{bed.named.port} --ca-file {bed.ca.cert} {good.name}")
        print(p.stdout, end="")
        print(f"(exit {p.returncode}: 0 = ok, info only)")
        check_ok = p.returncode == 0

        heading(f"the certificate {good.name} presents (STARTTLS, client port)")
        cert = os.path.join(work, "served.pem")
        served_certificate(bed, good, "xmpp-client", cert)
        print(run([xdane, "cert", cert]), end="")

        heading("TLSA records derived from it, against what the signed zone publishes")
        ok = compare_tlsa(bed, xdane, good, cert)

        heading(f"DS records for {good.name}'s key-signing key, against the parent")
        keys = os.path.join(work, "dnskeys.txt")
        dig = run(["dig", "@127.0.0.1", "-p", bed.named.port, "+noall", "+answer", "+nosplit",
                   good.name, "DNSKEY"], show=False)
        with open(keys, "w") as f:
            f.write(dig)
        print(f"$ dig @127.0.0.1 -p {bed.named.port} +noall +answer +nosplit {good.name} DNSKEY"
              f" > {keys}")
        ours = run([xdane, "ds", "--dnskey", keys])
        print(ours, end="")
        parent = run(["dig", "@127.0.0.1", "-p", bed.named.port, "+noall", "+answer",
                      "+nosplit", good.name, "DS"], show=False)
        ds_ok = ds_data(ours) == ds_data(parent)
        print("  the parent example. publishes " +
              ("exactly these DS records" if ds_ok else "OTHER DS records:\n" + parent))

        heading("a broken deployment: the TLSA records pin a key the server does not have")
        broken = bed.derive("tlsa-mismatch")
        cert2 = os.path.join(work, "broken.pem")
        served_certificate(bed, broken, "xmpp-client", cert2)
        broken_ok = compare_tlsa(bed, xdane, broken, cert2)
        print("  -> every DANE peer would refuse these endpoints" if not broken_ok else
              "  -> unexpectedly matching")

        heading("a broken deployment: a key-signing key replaced, the DS at the parent not")
        wrong = bed.derive("wrong-ds")
        p = subprocess.run([str(a) for a in check + [wrong.name]], capture_output=True,
                           text=True, timeout=60)
        print(f"$ xdane check ... {wrong.name}")
        print("\n".join(line for line in p.stdout.splitlines()
                        if "DS_MISMATCH" in line or line.startswith(wrong.name)))
        print(f"(exit {p.returncode}: 2 = critical; every validating resolver answers SERVFAIL)")
        wrong_found = p.returncode == 2 and "DS_MISMATCH" in p.stdout

        heading("xdaned, the daemon: checks on a schedule, status over HTTP, alerts")
        daemon_ok = run_daemon(bed, xdane, xdaned, work, [good.name, broken.name, wrong.name],
                               args.serve)

    heading("bed stopped (logs kept in " + os.path.join(work, "bed") + ")")
    if not (ok and ds_ok and not broken_ok and check_ok and wrong_found and daemon_ok):
        print("demo: the healthy domain did not check out as expected", file=sys.stderr)
        return 1
    print("good.example: TLSA and DS records match what the validated zone publishes; xdaned "
          "reported the broken domains.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
