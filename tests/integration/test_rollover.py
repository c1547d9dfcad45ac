# SPDX-License-Identifier: BSD-3-Clause
"""Certificate rollovers driven by xdaned on the bed (issue 6): the real BIND serving the zone
(re-signed by BIND itself), the real Prosody presenting the certificate, the deploy command a
real process. A prober resolves the TLSA through a caching validating unbound every 0.5 s and
DANE-verifies a STARTTLS handshake with Prosody: at no moment may it fail."""

import dataclasses
import http.client
import json
import os
import shutil
import socket
import subprocess
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
        self.delay = 0.0  # seconds before answering: a deploy that takes its time
        # seconds between answering and the server presenting the certificate: a deploy
        # whose reload finishes after it returned (deployed then lasts that long)
        self.serve_lag = 0.0
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
                time.sleep(self.delay)
                ack = path[:-4] + ".ack"
                if self.fail:
                    self._answer(ack, "deploy refused by the test")
                    continue
                if self.serve_lag:
                    self._answer(ack, "ok")
                    time.sleep(self.serve_lag)
                # Copied, as a real deploy command installs them: Prosody reloads a host's
                # certificate only when its files are other files.
                stem = path[:-4]
                shutil.copyfile(req["XDANE_CERT"], stem + ".crt")
                shutil.copyfile(req["XDANE_KEY"], stem + ".key")
                cert = dataclasses.replace(self.template, chain=stem + ".crt",
                                           key=stem + ".key")
                self.bed.serve_cert(self.domain, cert)
                if not self.serve_lag:
                    self._answer(ack, "ok")
            time.sleep(0.05)

    @staticmethod
    def _answer(ack, verdict):
        with open(ack, "w") as f:
            f.write(verdict)

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


def probe(resolver, d):
    """The prober of the issue: every 0.5 s, TLSA through the caching unbound, STARTTLS, DANE.

    A handshake may wait up to 30 s: the deploy stand-in reloads the bed's one Prosody, which
    rebuilds the TLS contexts of every host the session's bed has made (hundreds by the end of
    the suite) and answers nobody meanwhile. A peer waiting for a busy server is not a DANE
    failure; one that completes against the wrong TLSA is, and still fails the test."""
    return Prober.for_domain(resolver, d, tls_timeout=30.0)


def short_ttl_domain(bed, fault):
    spec = bed.new_spec(kind=f"roll-{fault}")
    apply_fault(fault, spec, bed, {})
    spec.ttl = TTL
    return bed.add_domain(spec)


def argv(args):
    return "{" + ", ".join(json.dumps(a) for a in args) + "}"


def rollover_block(d, deployer, cert, mode="reactive", reload=None, extra=""):
    """The domain's rollover block: the bed's publisher for d (file for inline-signed, update
    for updatable), `reload` replacing the file publisher's reload command."""
    p = d.publisher
    if "update_port" in p:
        publisher = (f'publisher = "update" update-server = "{p["update_server"]}" '
                     f'update-port = {p["update_port"]} tsig-key-file = "{p["tsig_key_file"]}"')
    else:
        publisher = (f'publisher = "file" fragment = "{p["fragment"]}" '
                     f'reload-command = {argv(reload or p["reload_command"])} '
                     f'zone-file = "{p["zone_file"]}"')
    return (f'rollover {{ mode = "{mode}" zone = "{d.name}" ttl = {TTL} {publisher} '
            f'deploy-command = {deployer.argv()} cert = "{cert.chain}" key = "{cert.key}" '
            f'safety-margin = 1 min-wait = 0 retry-interval = 1 {extra} }}')


def wait_state(daemon, domain, want, timeout=60, key=None):
    """The rollover status once its state is `want` (and its current key `key`, if given)."""
    def ready():
        st = rollover_status(daemon, domain)
        if st["state"] == want and (key is None or
                                    st["keys_spki_sha256"]["current"] == key):
            return st
        return None
    try:
        return daemon.wait(f"rollover of {domain} in {want}", ready, timeout=timeout,
                           interval=0.05)
    except AssertionError as e:
        raise AssertionError(f"{e}\nrollover: {rollover_status(daemon, domain)}\n"
                             f"report: {daemon.report(domain)}") from None


def issue_like(bed, d, old, name, key=None):
    return bed.ca.issue(f"{d.name}-{name}", cn=d.name, dns=list(old.dns_ids),
                        srv=list(old.srv_ids), xmpp=list(old.xmpp_addrs), key=key)


@pytest.mark.parametrize("fault", ["inline-signed", "updatable"])
def test_reactive_rollover(bed, xdane, resolver, tmp_path, fault):
    """Key A -> key B, with the file publisher ($INCLUDE + rndc reload, BIND re-signs) and with
    the update publisher (RFC 2136 with TSIG): the prober never fails, and at the end only B's
    TLSA is published and Prosody serves B; /status, /metrics and the page show the phase."""
    d = short_ttl_domain(bed, fault)
    old = d.certs["main"]
    new = issue_like(bed, d, old, "b")
    with Deployer(bed, d, tmp_path, old) as deployer:
        daemon = Xdaned(xdane, bed, tmp_path / "xdaned",
                        {d.name: rollover_block(d, deployer, old)}, interval=2).start()
        try:
            st = wait_state(daemon, d.name, "idle")
            assert st["keys_spki_sha256"]["current"] == old.spki_sha256
            assert st["mode"] == "reactive"
            # At rest the servers are asked once a minute: let the timer go there, so that
            # the stage below shows a moving rollover does not wait for it.
            daemon.wait("no publish in flight", lambda: not rollover_status(
                daemon, d.name)["commands"]["publish"]["in_flight"])
            time.sleep(2)
            with probe(resolver, d) as prober:
                prober.wait_attempts(2, 60)
                staged_at = time.monotonic()
                status, text = control(daemon, "POST", f"/rollover/{d.name}/stage",
                                       {"cert": new.chain, "key": new.key})
                assert status == 200, text
                daemon.wait("the deploy", lambda: deployer.requests, timeout=120)
                # The wait is TTL + margin (4 s): far less than the minute at rest.
                assert time.monotonic() - staged_at < 45, rollover_status(daemon, d.name)
                done = wait_state(daemon, d.name, "idle", timeout=120, key=new.spki_sha256)
                assert not done["failed"] and not done["stalled"], done
                prober.wait_attempts(len(prober.attempts) + 2, 60)
            assert not prober.failures, prober.summary()
            assert deployer.requests and deployer.requests[-1]["XDANE_DOMAIN"] == d.name
            for owner in owners(d):
                assert served_tlsa(bed, owner) == [f"3 1 1 {new.spki_sha256}"], owner
            log = daemon.log_text()
            phases = [line.split("-> ")[1] for line in log.splitlines() if "rollover " in line
                      and " -> " in line]
            assert phases == ["staged", "published", "propagated", "deployed", "verified",
                              "retired", "idle"], log[-3000:]
            assert daemon.report(d.name)["rollover"] == {"state": "idle"}
            metrics = daemon.get("/metrics")[1]
            assert f'xdane_rollover_state{{domain="{d.name}",state="idle"}} 1' in metrics
            assert f'xdane_rollover_state{{domain="{d.name}",state="deployed"}} 0' in metrics
        finally:
            daemon.stop()


def test_current_next_rollover_needs_no_wait(bed, xdane, resolver, tmp_path):
    """Current + next: xdaned generates the next key (0600) and publishes it beside the
    current one; a certificate for it (from its CSR's key) is staged and goes from staged
    straight to propagated, without publishing or waiting; afterwards the fragment holds the
    new current key and a fresh next key."""
    d = short_ttl_domain(bed, "inline-signed")
    old = d.certs["main"]
    with Deployer(bed, d, tmp_path, old) as deployer:
        daemon = Xdaned(xdane, bed, tmp_path / "xdaned",
                        {d.name: rollover_block(d, deployer, old, mode="current-next")},
                        interval=2).start()
        try:
            st = daemon.wait("a next key", lambda: rollover_status(daemon, d.name) if
                             rollover_status(daemon, d.name)["keys_spki_sha256"]["next"] and
                             rollover_status(daemon, d.name)["state"] == "idle" else None,
                             timeout=60)
            next_spki = st["keys_spki_sha256"]["next"]
            status, path = control(daemon, "GET", f"/rollover/{d.name}/next-key")
            assert status == 200, path
            path = path.strip()
            assert os.stat(path).st_mode & 0o777 == 0o600
            status, csr = control(daemon, "GET", f"/rollover/{d.name}/csr")
            assert status == 200 and "BEGIN CERTIFICATE REQUEST" in csr, csr
            # Both keys published on every owner, once the servers caught up.
            daemon.wait("current + next published", lambda: all(
                served_tlsa(bed, o) == sorted([f"3 1 1 {old.spki_sha256}",
                                               f"3 1 1 {next_spki}"]) for o in owners(d)))
            time.sleep(TTL + 2)  # longer than the wait: the next key is old news to resolvers
            new = issue_like(bed, d, old, "next", key=path)
            assert new.spki_sha256 == next_spki
            with probe(resolver, d) as prober:
                prober.wait_attempts(2, 60)
                mark = len(daemon.log_text())
                status, text = control(daemon, "POST", f"/rollover/{d.name}/stage",
                                       {"cert": new.chain, "key": new.key})
                assert status == 200, text
                done = wait_state(daemon, d.name, "idle", timeout=60, key=next_spki)
                assert done["keys_spki_sha256"]["next"] not in (None, next_spki), done
                prober.wait_attempts(len(prober.attempts) + 2, 60)
            assert not prober.failures, prober.summary()
            log = daemon.log_text()[mark:]
            phases = [line.split("-> ")[1] for line in log.splitlines() if "rollover " in line
                      and " -> " in line]
            assert phases[:2] == ["staged", "propagated"], log
            fresh = done["keys_spki_sha256"]["next"]
            daemon.wait("new current + fresh next published", lambda: all(
                served_tlsa(bed, o) == sorted([f"3 1 1 {next_spki}", f"3 1 1 {fresh}"])
                for o in owners(d)))
        finally:
            daemon.stop()


@pytest.mark.parametrize("what", ["publisher", "deploy"])
def test_failing_command_ends_in_rollover_failed(bed, xdane, resolver, tmp_path, what):
    """A reload command that fails, or a deploy command that does: after its retries the
    rollover holds with ROLLOVER_FAILED (a finding, so an alert), and Prosody still serves the
    old certificate, which the published TLSA still matches (the prober never fails)."""
    d = short_ttl_domain(bed, "inline-signed")
    old = d.certs["main"]
    new = issue_like(bed, d, old, "b")
    reload = ["false"] if what == "publisher" else None
    with Deployer(bed, d, tmp_path, old) as deployer:
        deployer.fail = what == "deploy"
        daemon = Xdaned(xdane, bed, tmp_path / "xdaned",
                        {d.name: rollover_block(d, deployer, old, reload=reload,
                                                extra="retries = 2")},
                        interval=2).start()
        try:
            wait_state(daemon, d.name, "idle")
            with probe(resolver, d) as prober:
                prober.wait_attempts(2, 60)
                status, text = control(daemon, "POST", f"/rollover/{d.name}/stage",
                                       {"cert": new.chain, "key": new.key})
                assert status == 200, text
                st = daemon.wait("ROLLOVER_FAILED", lambda: rollover_status(daemon, d.name)
                                 if rollover_status(daemon, d.name)["failed"] else None,
                                 timeout=60)
                held = "staged" if what == "publisher" else "propagated"
                assert st["state"] == held, st
                op = st["commands"]["publish" if what == "publisher" else "deploy"]
                assert op["failed"] and op["attempts"] >= 2, st
                assert ("'false'" if what == "publisher" else "refused by the test") in \
                    st["message"], st
                report = daemon.wait("the finding", lambda: daemon.report(d.name) if any(
                    f["code"] == "ROLLOVER_FAILED" for f in daemon.report(d.name)["findings"])
                    else None)
                assert report["status"] == "critical"
                prober.wait_attempts(len(prober.attempts) + 2, 60)
            assert not prober.failures, prober.summary()
            assert all(a.cert_sha256 == old.sha256 for a in prober.attempts), prober.summary()
            daemon.wait("the exec hook's firing ROLLOVER_FAILED", lambda: [
                c for c in daemon.hook_calls() if c["stdin"]["code"] == "ROLLOVER_FAILED" and
                c["env"]["XDANE_STATE"] == "firing"])
        finally:
            daemon.stop()


def test_kill_9_in_every_state(bed, xdane, resolver, tmp_path):
    """xdaned killed with SIGKILL in each state of a rollover and started again: each rollover
    completes from its stored state, and the prober never fails throughout. Commands are made
    slow (a reload that sleeps, a deploy that takes 1.5 s and whose certificate is served 2 s
    after it returned) so that every state lasts: the poll below must see each one."""
    d = short_ttl_domain(bed, "inline-signed")
    first = cur = d.certs["main"]
    slow_reload = ["sh", "-c", 'sleep 1; exec "$@"', "reload", *d.publisher["reload_command"]]
    phases = ["staged", "published", "propagated", "deployed", "verified", "retired"]
    with Deployer(bed, d, tmp_path, first) as deployer:
        deployer.delay = 1.5
        deployer.serve_lag = 2.0
        daemon = Xdaned(xdane, bed, tmp_path / "xdaned",
                        {d.name: rollover_block(d, deployer, first, reload=slow_reload)},
                        interval=2).start()
        try:
            wait_state(daemon, d.name, "idle")
            with probe(resolver, d) as prober:
                for i, phase in enumerate(phases):
                    new = issue_like(bed, d, first, f"k{i}")
                    status, text = control(daemon, "POST", f"/rollover/{d.name}/stage",
                                           {"cert": new.chain, "key": new.key})
                    assert status == 200, text

                    def reached():
                        state = rollover_status(daemon, d.name)["state"]
                        assert state == phase or phases.index(state) < phases.index(phase), \
                            f"went past {phase} to {state} before the kill"
                        return state == phase
                    try:
                        # Long: late in the suite the bed's named and Prosody serve hundreds
                        # of zones and hosts, and a phase once took a minute (see the note).
                        daemon.wait(f"{phase} (rollover {i})", reached, timeout=180,
                                    interval=0.02)
                    except AssertionError as e:
                        raise AssertionError(f"{e}\nrollover: "
                                             f"{rollover_status(daemon, d.name)}") from None
                    daemon.kill()
                    daemon.start()
                    wait_state(daemon, d.name, "idle", timeout=120, key=new.spki_sha256)
                    cur = new
                prober.wait_attempts(len(prober.attempts) + 2, 60)
            assert not prober.failures, prober.summary()
            for owner in owners(d):
                assert served_tlsa(bed, owner) == [f"3 1 1 {cur.spki_sha256}"], owner
            assert daemon.log_text().count("rollover resumed in") == len(phases)
        finally:
            daemon.stop()


def test_stage_refuses_bad_input_before_publishing(bed, xdane, tmp_path):
    """`xdane rollover stage` refuses, with a line naming the problem and before anything is
    published: a key that is not the certificate's, an expired certificate, one that does not
    name the domain, a fragment path that cannot be written, a TSIG key file others can read."""
    import datetime as dt
    d = short_ttl_domain(bed, "inline-signed")
    u = short_ttl_domain(bed, "updatable")
    old = d.certs["main"]
    good = issue_like(bed, d, old, "good")
    u_good = issue_like(bed, u, u.certs["main"], "good")
    other = issue_like(bed, d, old, "other")
    past = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=1)
    expired = bed.ca.issue(f"{d.name}-expired", cn=d.name, dns=list(old.dns_ids),
                           not_before=past - dt.timedelta(days=30), not_after=past)
    stranger = bed.ca.issue(f"{d.name}-stranger", cn="stranger.example",
                            dns=["stranger.example"])
    loose = tmp_path / "tsig.key"
    shutil.copyfile(u.publisher["tsig_key_file"], loose)
    os.chmod(loose, 0o644)
    with Deployer(bed, d, tmp_path, old) as deployer:
        nowhere = dict(d.publisher, fragment=str(tmp_path / "no-such-dir" / "f.tlsa"))
        blocks = {d.name: rollover_block(d, deployer, old),
                  u.name: rollover_block(u, deployer, u.certs["main"]).replace(
                      u.publisher["tsig_key_file"], str(loose))}
        daemon = Xdaned(xdane, bed, tmp_path / "xdaned", blocks, interval=2).start()
        try:
            wait_state(daemon, d.name, "idle")
            wait_state(daemon, u.name, "idle")
            # Idle, the rollover publishes its fragment once (the current key, in xdane's
            # form): what is there after that must stay.
            fragment = daemon.wait("the first publish", lambda: (lambda t: t if
                                   "written by xdane" in t else None)(
                                       open(d.publisher["fragment"]).read()))
            daemon.wait("no publish in flight", lambda: not rollover_status(
                daemon, d.name)["commands"]["publish"]["in_flight"])
            cases = [
                (d.name, good.chain, other.key, "does not match the certificate"),
                (d.name, expired.chain, expired.key, "expire"),
                (d.name, stranger.chain, stranger.key, d.name),
                (u.name, u_good.chain, u_good.key, str(loose)),
            ]
            for domain, cert, key, words in cases:
                p = daemon.ctl("rollover", "stage", domain, "--cert", cert, "--key", key)
                assert p.returncode != 0, (words, p.stdout)
                assert words in p.stderr, (words, p.stderr)
                assert rollover_status(daemon, domain)["state"] == "idle"
            # The same with a fragment directory that is not there: the block is replaced.
            daemon.stop()
            daemon.write_config(open(daemon.config).read().replace(
                d.publisher["fragment"], nowhere["fragment"]))
            daemon.start()
            wait_state(daemon, d.name, "idle")
            p = daemon.ctl("rollover", "stage", d.name, "--cert", good.chain, "--key", good.key)
            assert p.returncode != 0 and "no-such-dir" in p.stderr, p.stderr
            assert open(d.publisher["fragment"]).read() == fragment
            assert not deployer.requests
            assert rollover_status(daemon, d.name)["state"] == "idle"
        finally:
            daemon.stop()


def test_watched_certificate_starts_a_rollover(bed, xdane, resolver, tmp_path):
    """With watch = true, a new key in the certificate file the config names (what a certbot
    renewal with a new key does) starts a reactive rollover by itself."""
    d = short_ttl_domain(bed, "inline-signed")
    old = d.certs["main"]
    new = issue_like(bed, d, old, "renewed")
    live = tmp_path / "live"
    live.mkdir()
    shutil.copyfile(old.chain, live / "fullchain.pem")
    shutil.copyfile(old.key, live / "privkey.pem")
    watched = dataclasses.replace(old, chain=str(live / "fullchain.pem"),
                                  key=str(live / "privkey.pem"))
    with Deployer(bed, d, tmp_path, old) as deployer:
        daemon = Xdaned(xdane, bed, tmp_path / "xdaned",
                        {d.name: rollover_block(d, deployer, watched, extra="watch = true")},
                        interval=2).start()
        try:
            wait_state(daemon, d.name, "idle")
            time.sleep(1.5)  # the watch has seen the file as it is
            with probe(resolver, d) as prober:
                shutil.copyfile(new.key, live / "privkey.pem.new")
                shutil.copyfile(new.chain, live / "fullchain.pem.new")
                os.rename(live / "privkey.pem.new", live / "privkey.pem")
                os.rename(live / "fullchain.pem.new", live / "fullchain.pem")
                wait_state(daemon, d.name, "idle", timeout=120, key=new.spki_sha256)
                prober.wait_attempts(len(prober.attempts) + 2, 60)
            assert not prober.failures, prober.summary()
            p = daemon.ctl("rollover", "status", d.name, "--json")
            assert p.returncode == 0, p.stderr
            assert json.loads(p.stdout)["keys_spki_sha256"]["current"] == new.spki_sha256
            assert "changed" in daemon.log_text()
        finally:
            daemon.stop()


def nsupdate(d, *lines):
    """An RFC 2136 update of d's zone with the bed's TSIG key (the updatable zones)."""
    p = d.publisher
    script = (f"server {p['update_server']} {p['update_port']}\nzone {d.name}\n" +
              "".join(f"update {line}\n" for line in lines) + "send\n")
    cp = subprocess.run(["nsupdate", "-k", p["tsig_key_file"]], input=script, text=True,
                        capture_output=True, timeout=30)
    assert cp.returncode == 0, cp.stderr


def test_owners_only_grow_and_survive_a_restart(bed, xdane, tmp_path):
    """An SRV record for a new port gets the current key's TLSA at its owner at once (the
    fragment is published again); once that SRV record is gone again, a check that no longer
    finds the owner takes nothing away; after a restart the stored owners are there before any
    check, so the first publish of the new process is never written at fewer owners."""
    d = short_ttl_domain(bed, "updatable")
    cur = d.certs["main"]
    srv = f"_xmpp-client._tcp.{d.name}."
    extra = f"_5299._tcp.{d.target.name}"
    with Deployer(bed, d, tmp_path, cur) as deployer:
        daemon = Xdaned(xdane, bed, tmp_path / "xdaned",
                        {d.name: rollover_block(d, deployer, cur)}, interval=2).start()
        try:
            st = wait_state(daemon, d.name, "idle")
            assert sorted(st["owners"]) == owners(d)
            assert extra not in owners(d)
            nsupdate(d, f"add {srv} {TTL} IN SRV 0 5 5299 {d.target.name}.")
            st = daemon.wait("the new owner", lambda: (lambda s: s if extra in s["owners"]
                                                       else None)(
                                 rollover_status(daemon, d.name)), timeout=60)
            assert st["state"] == "idle"
            want = [f"3 1 1 {cur.spki_sha256}"]
            daemon.wait(f"TLSA at {extra}", lambda: served_tlsa(bed, extra) == want,
                        timeout=60)
            assert "TLSA owner(s) now; the fragment is published again" in daemon.log_text()

            nsupdate(d, f"delete {srv} SRV 0 5 5299 {d.target.name}.")
            # A check that no longer sees the port, and one more: the owner and its records stay.
            def seen_owners(report):
                return {e.get("tlsa_owner") for s in report.get("services", [])
                        for e in s.get("endpoints", [])}
            gone = daemon.wait("a check without the SRV record", lambda: (
                lambda r: r if extra not in seen_owners(r) else None)(daemon.report(d.name)),
                timeout=60)
            daemon.wait("one more check", lambda: daemon.report(d.name)["checked_at"] !=
                        gone["checked_at"], timeout=60)
            assert extra in rollover_status(daemon, d.name)["owners"]
            assert served_tlsa(bed, extra) == want
            for owner in owners(d):
                assert served_tlsa(bed, owner) == want, owner

            daemon.stop()
            daemon.start()
            st = rollover_status(daemon, d.name)
            assert st["state"] == "idle"
            assert sorted(st["owners"]) == sorted(owners(d) + [extra])
        finally:
            daemon.stop()


@pytest.mark.parametrize("fault,why", [
    ("dane-ta", "pins a CA or trust anchor"),
    ("rsa-and-ecdsa", "a second certificate"),
])
def test_what_a_rollover_would_break_keeps_it_from_starting(bed, xdane, tmp_path, fault, why):
    """The fragment replaces every TLSA at the owners with DANE-EE records of the one key it
    rolls: with a CA pin there (TLSA 2 0 1, DANE-TA), or a second (RSA) certificate Prosody
    shows to peers offering only RSA, the rollover does not start, says why, publishes
    nothing."""
    spec = bed.new_spec(kind="roll-refused")
    apply_fault("inline-signed", spec, bed, {})
    apply_fault(fault, spec, bed, {})
    spec.ttl = TTL
    d = bed.add_domain(spec)
    cur = d.certs["main"]
    before = open(d.publisher["fragment"]).read()
    served = {owner: served_tlsa(bed, owner) for owner in owners(d)}
    assert served
    with Deployer(bed, d, tmp_path, cur) as deployer:
        daemon = Xdaned(xdane, bed, tmp_path / "xdaned",
                        {d.name: rollover_block(d, deployer, cur)}, interval=2).start()
        try:
            st = daemon.wait("the reason", lambda: (lambda s: s if why in
                                                    s.get("detail", "") else None)(
                                 rollover_status(daemon, d.name)))
            assert st["state"] == "none", st
            daemon.wait("the log line", lambda: "rollover cannot start" in daemon.log_text())
            # Another check: still not started.
            checked = daemon.report(d.name)["checked_at"]
            daemon.wait("one more check",
                        lambda: daemon.report(d.name)["checked_at"] != checked)
            assert rollover_status(daemon, d.name)["state"] == "none"
            assert open(d.publisher["fragment"]).read() == before
            assert {owner: served_tlsa(bed, owner) for owner in owners(d)} == served
        finally:
            daemon.stop()
