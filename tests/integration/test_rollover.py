# SPDX-License-Identifier: BSD-3-Clause
"""Certificate rollovers driven by xdaned on the bed (issue 6): the real BIND serving the zone
(re-signed by BIND itself), the real Prosody presenting the certificate, the deploy command a
real process. A prober resolves the TLSA through a caching validating unbound every 0.5 s and
DANE-verifies a STARTTLS handshake with Prosody: at no moment may it fail."""

import dataclasses
import http.client
import json
import os
import socket
import threading
import time

import dns.rdatatype
import pytest

from daemonrun import Xdaned
from prober import Prober
from testbed.faults import apply_fault
from testbed.resolver import CachingResolver

TTL = 3  # of the zone's records: what resolvers may hold, so the wait before a deploy

DEPLOY_SCRIPT = r"""#!/usr/bin/python3
# A deploy command for the test: hands XDANE_CERT/XDANE_KEY to the test, which makes Prosody
# serve them, and exits with the test's verdict.
import json, os, sys, time, uuid
spool = sys.argv[1]
name = uuid.uuid4().hex
req = {k: os.environ.get(k) for k in ("XDANE_DOMAIN", "XDANE_CERT", "XDANE_KEY")}
with open(os.path.join(spool, name + ".tmp"), "w") as f:
    json.dump(req, f)
os.rename(os.path.join(spool, name + ".tmp"), os.path.join(spool, name + ".req"))
ack = os.path.join(spool, name + ".ack")
for _ in range(1200):
    if os.path.exists(ack):
        verdict = open(ack).read()
        print(verdict)
        sys.exit(0 if verdict == "ok" else 1)
    time.sleep(0.05)
print("the test never answered")
sys.exit(1)
"""


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def control(daemon, method, path, body=None):
    """(status, text) of a request on xdaned's control socket."""
    c = UnixHTTPConnection(daemon.socket)
    try:
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json"} if body is not None else {})
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def rollover_status(daemon, domain):
    status, text = control(daemon, "GET", f"/rollover/{domain}")
    assert status == 200, f"{status} {text}"
    return json.loads(text)


class Deployer:
    """The test's side of DEPLOY_SCRIPT: serves each requested certificate with Prosody
    (bed.serve_cert) and acknowledges; `fail` makes it refuse instead."""

    def __init__(self, bed, domain, directory, template):
        self.bed, self.domain, self.template = bed, domain, template
        self.spool = os.path.join(str(directory), "spool")
        os.makedirs(self.spool, exist_ok=True)
        self.script = os.path.join(str(directory), "deploy.py")
        with open(self.script, "w") as f:
            f.write(DEPLOY_SCRIPT)
        os.chmod(self.script, 0o755)
        self.requests = []
        self.fail = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def argv(self):
        return f'{{"{self.script}", "{self.spool}"}}'

    def _run(self):
        while not self._stop.is_set():
            for name in sorted(os.listdir(self.spool)):
                if not name.endswith(".req"):
                    continue
                path = os.path.join(self.spool, name)
                with open(path) as f:
                    req = json.load(f)
                os.unlink(path)
                self.requests.append(req)
                verdict = "deploy refused by the test" if self.fail else "ok"
                if not self.fail:
                    cert = dataclasses.replace(self.template, chain=req["XDANE_CERT"],
                                               key=req["XDANE_KEY"])
                    self.bed.serve_cert(self.domain, cert)
                with open(path[:-4] + ".ack", "w") as f:
                    f.write(verdict)
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)


def served_tlsa(bed, owner):
    r = bed.query(owner, "TLSA")
    return sorted(rd.to_text().lower() for rrset in r.answer
                  if rrset.rdtype == dns.rdatatype.TLSA for rd in rrset)


def owners(domain):
    return sorted({owner.rstrip(".") for t in domain.targets for owner in t.tlsa})


@pytest.fixture
def resolver(bed, tmp_path):
    r = CachingResolver(bed, str(tmp_path / "unbound"))
    r.start()
    yield r
    r.stop()


def short_ttl_domain(bed, fault):
    spec = bed.new_spec(kind=f"roll-{fault}")
    apply_fault(fault, spec, bed, {})
    spec.ttl = TTL
    return bed.add_domain(spec)


def rollover_block(d, deployer, cert, mode="reactive"):
    p = d.publisher
    if "fragment" in p and p.get("fragment"):
        publisher = (f'publisher = "file" fragment = "{p["fragment"]}" '
                     f'reload-command = {{{", ".join(json.dumps(a) for a in p["reload_command"])}}} '
                     f'zone-file = "{p["zone_file"]}"')
    else:
        publisher = (f'publisher = "update" update-server = "127.0.0.1" '
                     f'update-port = {p["update_port"]} tsig-key-file = "{p["tsig_key_file"]}"')
    return (f'rollover {{ mode = "{mode}" zone = "{d.name}" ttl = {TTL} {publisher} '
            f'deploy-command = {deployer.argv()} cert = "{cert.chain}" key = "{cert.key}" '
            f'safety-margin = 1 min-wait = 0 }}')


def test_reactive_rollover_file_publisher(bed, xdane, resolver, tmp_path):
    """Key A -> key B with the file publisher ($INCLUDE + rndc reload, BIND re-signs): the
    prober never fails, and at the end only B's TLSA is published and Prosody serves B."""
    d = short_ttl_domain(bed, "inline-signed")
    old = d.certs["main"]
    new = bed.ca.issue(f"{d.name}-b", cn=d.name, dns=list(old.dns_ids),
                       srv=list(old.srv_ids), xmpp=list(old.xmpp_addrs))
    with Deployer(bed, d, tmp_path, old) as deployer:
        daemon = Xdaned(xdane, bed, tmp_path / "xdaned",
                        {d.name: rollover_block(d, deployer, old)}, interval=2).start()
        try:
            st = daemon.wait("the rollover to start", lambda: rollover_status(daemon, d.name)
                             if rollover_status(daemon, d.name)["state"] == "idle" else None)
            assert st["keys_spki_sha256"]["current"] == old.spki_sha256
            with Prober.for_domain(resolver, d) as prober:
                prober.wait_attempts(2, 10)
                status, text = control(daemon, "POST", f"/rollover/{d.name}/stage",
                                       {"cert": new.chain, "key": new.key})
                assert status == 200, text
                done = daemon.wait("the rollover to finish", lambda: rollover_status(
                    daemon, d.name) if rollover_status(daemon, d.name)["keys_spki_sha256"][
                        "current"] == new.spki_sha256 and rollover_status(daemon, d.name)[
                            "state"] == "idle" else None, timeout=120)
                assert not done["failed"] and not done["stalled"], done
                prober.wait_attempts(len(prober.attempts) + 2, 10)
            assert not prober.failures, prober.summary()
            assert len(deployer.requests) >= 1
            assert deployer.requests[-1]["XDANE_DOMAIN"] == d.name
            for owner in owners(d):
                assert served_tlsa(bed, owner) == [f"3 1 1 {new.spki_sha256}"], owner
            log = daemon.log_text()
            for phase in ("staged", "published", "propagated", "deployed", "verified",
                          "retired"):
                assert f"-> {phase}" in log, log[-3000:]
        finally:
            daemon.stop()
