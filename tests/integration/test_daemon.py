# SPDX-License-Identifier: BSD-3-Clause
"""xdaned on the real bed: scheduled checks, /status, /metrics (promtool-clean), the HTML page,
the control socket (status, trigger, reload), alerts to an exec hook and a webhook receiver
exactly once per transition across a restart, reloads with a broken config, a state db that
cannot be opened, and many domains checked on time while one endpoint hangs."""

import collections
import gzip
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from daemonrun import Receiver, Xdaned


@pytest.fixture
def daemons(xdane, bed, tmp_path):
    """Makes Xdaned instances (xdaned's config in their own directory); stops them after the
    test, asserting a clean exit."""
    made = []

    def make(domains, name="xdaned", **kwargs):
        d = Xdaned(xdane, bed, tmp_path / name, domains, **kwargs)
        made.append(d)
        return d
    yield make
    for d in made:
        try:
            d.stop()
        finally:
            d.kill()


def promtool_check_metrics(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    return p.returncode, (p.stdout + p.stderr).strip()


def test_status_metrics_page_and_control(bed, daemons):
    bad = bed.derive("tlsa-mismatch")
    good = bed.good.name
    d = daemons({good: "", bad.name: 'services = {"xmpp-client"}'}).start()

    # Both checked, from the scheduler's own start (no trigger needed).
    d.wait("both domains checked",
           lambda: all(r.get("checked_at") for r in d.json("/status")["domains"]))
    # The snapshot the listeners serve follows the state db within a moment.
    d.wait("both checks on /metrics", lambda: d.get("/metrics")[1].count(
        "xdane_last_check_timestamp_seconds{") == 2)
    doc = d.json("/status")
    by_name = {r["domain"]: r for r in doc["domains"]}
    assert set(by_name) == {good, bad.name}
    assert by_name[good]["status"] in ("ok", "info"), by_name[good]["findings"]
    assert by_name[bad.name]["status"] == "critical"
    assert {s["service"] for s in by_name[bad.name]["services"]} == {"xmpp-client"}

    one = d.report(bad.name)
    mismatch = [f for f in one["active_findings"] if f["code"] == "TLSA_MISMATCH"]
    assert mismatch and all(f["first_seen"] and f["alert"] == "firing" for f in mismatch)
    assert one["rollover"] == {"state": "none"}

    status, metrics = d.get("/metrics")
    assert status == 200
    assert f'xdane_domain_status{{domain="{bad.name}"}} 3' in metrics
    assert f'xdane_finding{{domain="{bad.name}",code="TLSA_MISMATCH",severity="critical"' \
        in metrics
    assert f'xdane_dane_match{{domain="{bad.name}",service="xmpp-client"' in metrics
    assert f'xdane_last_check_timestamp_seconds{{domain="{good}"}}' in metrics
    assert "xdane_checks_total" in metrics
    assert promtool_check_metrics(metrics) == (0, "")

    status, page = d.get("/")
    assert status == 200 and page.lstrip().lower().startswith("<!doctype html")
    assert good in page and bad.name in page and "TLSA_MISMATCH" in page
    assert f'href="/status/{bad.name}"' in page

    # The TCP listener is read-only and bounded.
    assert d.get("/reload", method="POST", data=b"")[0] == 405
    assert d.get(f"/trigger/{good}", method="POST", data=b"")[0] == 405
    assert d.get("/status/nope.example")[0] == 404
    assert d.get("/nothing-here")[0] == 404
    big = d.get("/metrics", headers={"X-Padding": "a" * 60000})[0]
    assert big in (400, 413, 431), big
    assert d.get("/healthz") == (200, "ok\n")

    # The control socket: status, trigger, reload.
    p = d.ctl("status")
    assert p.returncode == 2, p.stderr
    assert bad.name in p.stdout and "critical" in p.stdout and good in p.stdout
    p = d.ctl("status", bad.name)
    assert p.returncode == 2 and "TLSA_MISMATCH" in p.stdout and "since" in p.stdout
    p = d.ctl("status", "--json", good)
    assert p.returncode == 0, p.stdout
    assert json.loads(p.stdout)["domain"] == good
    t = time.time()
    p = d.ctl("trigger", good)
    assert p.returncode == 0 and "queued" in p.stdout, p.stderr
    d.checked_after(good, t)
    p = d.ctl("trigger", "nope.example")
    assert p.returncode == 3 and "not a configured domain" in p.stderr
    p = d.ctl("reload")
    assert p.returncode == 0 and "reloaded" in p.stdout, p.stderr
    assert os.stat(d.socket).st_mode & 0o777 == 0o660

    # The exec hook heard about the mismatch, with the environment and JSON of DESIGN.md.
    calls = d.wait("the exec hook", lambda: [c for c in d.hook_calls()
                                             if c["env"]["XDANE_CODE"] == "TLSA_MISMATCH"])
    c = calls[0]
    assert c["env"]["XDANE_DOMAIN"] == bad.name and c["env"]["XDANE_STATE"] == "firing"
    assert c["env"]["XDANE_SEVERITY"] == "critical" and c["env"]["XDANE_MESSAGE"]
    assert c["stdin"]["domain"] == bad.name and c["stdin"]["code"] == "TLSA_MISMATCH"


def test_metrics_compressed_for_clients_that_ask(bed, daemons):
    """/metrics with Accept-Encoding: gzip (as Prometheus sends it): the page compressed once
    and shared (daemon/gzpage.h), the same samples as the plain page, and following the checks."""
    good = bed.good.name
    d = daemons({good: ""}, interval=3600).start()
    d.wait("the first check on /metrics",
           lambda: f'xdane_last_check_timestamp_seconds{{domain="{good}"}}' in d.get("/metrics")[1])
    gz = {"Accept-Encoding": "gzip"}

    # The first request for it may be answered plain (none is made yet); then compressed.
    def compressed():
        status, headers, body = d.get_raw("/metrics", headers=gz)
        assert status == 200 and headers["Vary"] == "Accept-Encoding"
        return (headers, body) if headers["Content-Encoding"] == "gzip" else None
    headers, body = d.wait("a compressed /metrics", compressed, timeout=10)
    assert int(headers["Content-Length"]) == len(body)
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = gzip.decompress(body).decode()

    # Nothing changes between checks an hour apart: the plain page is the same text.
    status, headers, plain = d.get_raw("/metrics")
    assert status == 200 and headers["Content-Encoding"] is None
    assert headers["Vary"] == "Accept-Encoding"
    assert text == plain.decode()
    assert len(body) * 4 < len(plain)
    assert promtool_check_metrics(text) == (0, "")

    # A weight of 0 refuses gzip; other codings alone get the plain page.
    for refused in ("gzip;q=0", "identity", "br", "*;q=0"):
        status, headers, body = d.get_raw("/metrics", headers={"Accept-Encoding": refused})
        assert status == 200 and headers["Content-Encoding"] is None, refused
        assert body == plain
    status, headers, body = d.get_raw("/metrics", method="HEAD", headers=gz)
    assert status == 200 and headers["Content-Encoding"] == "gzip" and body == b""
    # Only /metrics: the other pages stay plain.
    status, headers, _ = d.get_raw("/status", headers=gz)
    assert status == 200 and headers["Content-Encoding"] is None

    # A new check shows in the compressed page within moments.
    before = metric_value(text, f'xdane_last_check_timestamp_seconds{{domain="{good}"}}')
    time.sleep(1.1)  # the timestamps have a resolution of a second
    t = time.time()
    assert d.ctl("trigger", good).returncode == 0
    d.checked_after(good, t)

    def newer():
        status, headers, body = d.get_raw("/metrics", headers=gz)
        if headers["Content-Encoding"] != "gzip":
            return None
        v = metric_value(gzip.decompress(body).decode(),
                         f'xdane_last_check_timestamp_seconds{{domain="{good}"}}')
        return v if v > before else None
    d.wait("the new check in the compressed /metrics", newer, timeout=15)


def metric_value(text, series):
    """The value of the sample `series` (name and labels as written) in a /metrics text."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no {series} in /metrics")


def _transitions(calls):
    """Counts of (code, key, state) of exec hook calls."""
    return collections.Counter((c["stdin"]["code"], c["stdin"]["key"], c["stdin"]["state"])
                               for c in calls)


def _webhook_transitions(bodies):
    out = collections.Counter()
    for b in bodies:
        assert b["version"] == "4"
        for a in b["alerts"]:
            out[(a["labels"]["code"], a["labels"].get("address", ""), a["status"])] += 1
    return out


def test_break_restart_repair_alerts_exactly_once(bed, daemons):
    dom = bed.derive()
    receiver = Receiver()
    try:
        d = daemons({dom.name: 'services = {"xmpp-client"}'}, consecutive=2,
                    webhook=receiver.url, webhook_format="webhook").start()
        d.wait("a healthy check", lambda: d.report(dom.name)["status"] in ("ok", "info"))

        # Break: the TLSA matches nothing. After two checks it fires, once per hook.
        for t in dom.spec.targets:
            t.tlsa = "mismatch"
        dom = bed.republish(dom)
        d.wait("the exec hook to fire", lambda: [
            c for c in d.hook_calls() if c["stdin"]["code"] == "TLSA_MISMATCH"])
        d.wait("the webhook to fire", lambda: receiver.bodies())
        # Every transition out (one alert per address may still be in the outbox).
        d.wait("nothing pending", lambda: "xdane_alerts_pending 0" in d.get("/metrics")[1])
        first_seen = {f["address"]: f["first_seen"] for f in d.report(dom.name)[
            "active_findings"] if f["code"] == "TLSA_MISMATCH"}
        assert first_seen

        # Restart: the last report and the first-seen times are there at once, nothing is
        # sent again.
        d.stop()
        fired_exec, fired_hook = _transitions(d.hook_calls()), _webhook_transitions(
            receiver.bodies())
        d.start()
        r = d.report(dom.name)
        assert r["status"] == "critical"
        assert {f["address"]: f["first_seen"] for f in r["active_findings"]
                if f["code"] == "TLSA_MISMATCH"} == first_seen
        d.checked_after(dom.name, time.time() + 1)
        d.checked_after(dom.name, time.time() + 1)
        assert _transitions(d.hook_calls()) == fired_exec
        assert _webhook_transitions(receiver.bodies()) == fired_hook

        # Repair: one resolved per firing alert, per hook.
        for t in dom.spec.targets:
            t.tlsa = "match"
        dom = bed.republish(dom)
        d.wait("the alerts to resolve", lambda: all(
            n == 1 for n in _transitions(d.hook_calls()).values()) and any(
            k[2] == "resolved" for k in _transitions(d.hook_calls())) and all(
            (k[0], k[1], "resolved") in _transitions(d.hook_calls())
            for k in fired_exec), timeout=40)
        d.wait("the webhook to resolve", lambda: all(
            (k[0], k[1], "resolved") in _webhook_transitions(receiver.bodies())
            for k in fired_hook), timeout=40)
        d.checked_after(dom.name, time.time() + 1)
        d.checked_after(dom.name, time.time() + 1)
        exec_counts = _transitions(d.hook_calls())
        assert set(exec_counts.values()) == {1}, exec_counts
        assert {k[2] for k in exec_counts} == {"firing", "resolved"}
        assert {(k[0], k[1]) for k in exec_counts if k[2] == "firing"} == \
            {(k[0], k[1]) for k in exec_counts if k[2] == "resolved"}
        hook_counts = _webhook_transitions(receiver.bodies())
        assert set(hook_counts.values()) == {1}, hook_counts
        assert d.report(dom.name)["status"] in ("ok", "info")
        assert not [f for f in d.report(dom.name)["active_findings"]
                    if f["code"] == "TLSA_MISMATCH"]
    finally:
        receiver.close()


def test_reload_with_a_broken_config_keeps_the_old_one(bed, daemons):
    dom = bed.derive()
    d = daemons({bed.good.name: 'services = {"xmpp-client"}'}, interval=60).start()
    good_config = open(d.config).read()

    d.write_config(good_config + '\ndomain "bad..name" {}\n')
    p = d.ctl("reload")
    assert p.returncode == 1
    assert f"{d.config}:" in p.stderr and "bad..name" in p.stderr, p.stderr
    d.write_config(good_config + "\nno-such-key = 1\n")
    d.proc.send_signal(signal.SIGHUP)
    d.wait("the SIGHUP reload to be refused", lambda: "no-such-key" in d.log_text())
    assert d.get("/healthz")[0] == 200
    assert [r["domain"] for r in d.json("/status")["domains"]] == [bed.good.name]

    # A good config takes effect: the new domain is scheduled and checked.
    d.write_config(good_config + f'\ndomain "{dom.name}" {{ services = {{"xmpp-client"}} }}\n')
    p = d.ctl("reload")
    assert p.returncode == 0 and "2 domains" in p.stdout, p.stderr
    assert [r["domain"] for r in d.json("/status")["domains"]] == [bed.good.name, dom.name]
    d.wait("the new domain checked", lambda: d.report(dom.name).get("checked_at"))


def test_an_unusable_state_db_is_logged_not_fatal(bed, daemons, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    d = daemons({bed.good.name: 'services = {"xmpp-client"}'}, name="nodb",
                extra="")
    d.write_config(open(d.config).read().replace(f'state-db = "{d.state_db}"',
                                                 f'state-db = "{blocker}/state.db"'))
    d.start()
    assert "state db:" in d.log_text() and "not-a-dir" in d.log_text()
    d.wait("a check", lambda: f'xdane_last_check_timestamp_seconds{{domain="{bed.good.name}"}}'
           in d.get("/metrics")[1])
    status, metrics = d.get("/metrics")
    assert "xdane_state_errors_total 1" in metrics or "xdane_state_errors_total 2" in metrics
    assert "xdane_state_db_ok 0" in metrics
    assert 'class="problem">xdaned: state db:' in d.get("/")[1]
    assert d.get("/healthz")[0] == 200


def test_many_domains_on_time_while_one_endpoint_hangs(bed, daemons):
    names = bed.bulk_domains(200, prefix="daemon", ipv6=False)
    hanging = bed.derive("peer-silent")
    domains = {n: 'services = {"xmpp-client"}' for n in names}
    domains[hanging.name] = 'services = {"xmpp-client"}'
    d = daemons(domains, interval=10, exec_hook=False).start(timeout=60)

    def last_checks():
        text = d.get("/metrics")[1]
        out = {}
        for line in text.splitlines():
            if line.startswith("xdane_last_check_timestamp_seconds{"):
                name = line.split('"')[1]
                out[name] = float(line.rsplit(" ", 1)[1])
        return out
    # Watch for 30 s: every domain is first checked within its first interval (first checks
    # are spread over it) and then every 10 s (+-5 % jitter), while the silent peer holds its
    # probes to the timeout. A gap is the time between two checks of one domain.
    start = time.time()
    seen = collections.defaultdict(set)
    while time.time() - start < 30:
        for name, at in last_checks().items():
            seen[name].add(at)
        time.sleep(0.5)
    assert set(seen) == set(domains)
    late_first = {n: min(v) - start for n, v in seen.items() if min(v) - start > 15}
    assert not late_first, late_first
    gaps = {n: max(b - a for a, b in zip(sorted(v), sorted(v)[1:])) for n, v in seen.items()
            if len(v) > 1}
    assert set(gaps) == set(domains), set(domains) - set(gaps)
    late = {n: g for n, g in gaps.items() if g > 13}
    assert not late, late
    r = d.report(hanging.name)
    assert "XMPP_STREAM_FAILED" in {f["code"] for f in r["findings"]}


def test_systemd_notify_watchdog_and_journal_prefixes(bed, daemons, tmp_path):
    """What systemd sees (Type=notify, WatchdogSec): READY, RELOADING then READY on SIGHUP,
    WATCHDOG pings, STOPPING; and log lines with syslog priority prefixes for the journal."""
    sock_path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(0.2)
    messages = []

    def drain():
        while True:
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                return

    d = daemons({bed.good.name: 'services = {"xmpp-client"}'}, interval=60)
    d.env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="400000",
                 JOURNAL_STREAM="8:12345")
    try:
        d.start()
        d.wait("READY=1", lambda: (drain(), any("READY=1" in m for m in messages))[1])
        d.wait("watchdog pings", lambda: (drain(), sum("WATCHDOG=1" in m for m in messages)
                                          >= 3)[1])
        d.proc.send_signal(signal.SIGHUP)
        d.wait("a reload", lambda: (drain(), any("RELOADING=1" in m for m in messages))[1])
        d.wait("ready again", lambda: (drain(), any(
            "READY=1" in m for m in messages[[i for i, m in enumerate(messages)
                                              if "RELOADING=1" in m][0]:]))[1])
        d.stop()
        drain()
        assert any("STOPPING=1" in m for m in messages), messages
        lines = d.log_text().splitlines()
        assert lines and all(line.startswith("<") for line in lines), lines
        assert any(line.startswith("<6>started:") for line in lines), lines
    finally:
        sock.close()


def test_a_webhook_that_is_down_is_retried_and_never_stalls_checks(bed, daemons):
    bad = bed.derive("tlsa-mismatch")
    receiver = Receiver()
    receiver.status = 500
    try:
        d = daemons({bad.name: 'services = {"xmpp-client"}'}, exec_hook=False,
                    webhook=receiver.url, webhook_format="webhook").start()
        d.wait("a failed delivery", lambda: receiver.bodies())
        failed = len(receiver.bodies())
        # Checks go on while the receiver fails.
        d.checked_after(bad.name, time.time() + 1)
        d.checked_after(bad.name, time.time() + 1)
        metrics = d.get("/metrics")[1]
        assert "xdane_alert_delivery_failures_total 0" not in metrics
        assert "xdane_alerts_pending 0" not in metrics
        assert "failed (attempt 1)" in d.log_text()
        receiver.status = 200
        # The retry comes after its backoff (10 s), once for each alert that failed.
        d.wait("the retry", lambda: len(receiver.bodies()) > failed, timeout=30)
        d.wait("nothing pending", lambda: "xdane_alerts_pending 0" in d.get("/metrics")[1],
               timeout=30)
        delivered = len(receiver.bodies())
        d.checked_after(bad.name, time.time() + 1)
        d.checked_after(bad.name, time.time() + 1)
        assert len(receiver.bodies()) == delivered
        keys = collections.Counter(json.dumps(b["alerts"][0]["labels"], sort_keys=True)
                                   for b in receiver.bodies()[failed:])
        assert set(keys.values()) == {1}, keys
    finally:
        receiver.close()


SLOW_HOOK = """#!/usr/bin/python3
import json, os, sys, time
event = sys.stdin.read()
open(sys.argv[1] + ".started", "a").write("x")
time.sleep(2)
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"env": {}, "stdin": json.loads(event)}) + "\\n")
"""


def test_a_stop_lets_deliveries_in_flight_finish(bed, daemons):
    """SIGTERM while an exec hook runs: xdaned waits for it, and after a restart nothing is
    delivered twice."""
    bad = bed.derive("tlsa-mismatch")
    d = daemons({bad.name: 'services = {"xmpp-client"}'}, interval=60)
    with open(os.path.join(d.dir, "hook.py"), "w") as f:
        f.write(SLOW_HOOK)
    d.start()
    assert d.ctl("trigger", bad.name).returncode == 0
    d.wait("a hook running", lambda: os.path.exists(d.hook_log + ".started"), timeout=30)
    t0 = time.monotonic()
    d.stop()  # asserts exit 0
    assert time.monotonic() - t0 < 15
    delivered = d.hook_calls()
    assert delivered, "the hook in flight was let finish"
    d.start()
    d.checked_after(bad.name, time.time() + 1)
    d.wait("the outbox drained", lambda: "xdane_alerts_pending 0" in d.get("/metrics")[1])
    keys = collections.Counter((c["stdin"]["key"], c["stdin"]["state"]) for c in d.hook_calls())
    assert set(keys.values()) == {1}, keys
