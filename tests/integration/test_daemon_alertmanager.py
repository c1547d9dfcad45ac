# SPDX-License-Identifier: BSD-3-Clause
"""xdaned pushing to a real Alertmanager (Debian's prometheus-alertmanager) on loopback: a
domain's signatures expire → its DNSSEC_BOGUS alert is active in Alertmanager with xdane's
labels, and Alertmanager forwards it to a webhook_config receiver; the domain is repaired → the
alert is resolved (Alertmanager 0.25 no longer lists an alert whose endsAt has passed) and the
receiver gets the resolved notification with that endsAt."""

import calendar
import datetime as dt
import json
import os
import time

import pytest

import testbed.pki
from daemonrun import LoopbackServer, Receiver, Xdaned, logs_on_failure

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"

# group_wait/group_interval of 1 s: the receiver hears of a new or resolved alert within a
# second or two. No gossip (--cluster.listen-address= below), nothing beyond loopback.
AM_CONFIG = """\
route:
  receiver: xdane-test
  group_by: ["domain"]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: xdane-test
    webhook_configs:
      - url: "{url}"
        send_resolved: true
"""


class Alertmanager(LoopbackServer):
    """A prometheus-alertmanager of the test's own (no gossip: --cluster.listen-address=)."""

    name = "alertmanager"

    def __init__(self, directory, receiver_url):
        super().__init__(directory, AM_CONFIG.format(url=receiver_url))

    def argv(self):
        return [ALERTMANAGER, f"--config.file={self.config}",
                f"--storage.path={os.path.join(self.dir, 'data')}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=", "--log.level=debug"]

    @property
    def alerts_url(self):
        return f"http://127.0.0.1:{self.port}/api/v2/alerts"

    def alerts(self, domain, query=""):
        """The alerts GET /api/v2/alerts[?query] lists for the domain."""
        status, body = self.get(f"/api/v2/alerts{query}")
        assert status == 200, body
        return [a for a in json.loads(body) if a["labels"].get("domain") == domain]


def parse_time(s):
    """Unix time of an RFC 3339 timestamp as Alertmanager and xdaned write them."""
    s = s.rstrip("Z").split("+")[0]
    whole, _, frac = s.partition(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + float(f"0.{frac or 0}")


@pytest.fixture
def alertmanager(tmp_path):
    # Never skipped: scripts/install-deps installs it, and a missing one must fail the run.
    assert os.access(ALERTMANAGER, os.X_OK), f"{ALERTMANAGER} not installed (scripts/install-deps)"
    receiver = Receiver()
    am = Alertmanager(tmp_path / "alertmanager", receiver.url)
    am.receiver = receiver
    try:
        yield am.start()
    finally:
        am.stop()
        receiver.close()


def identity(code, fields):
    """What tells one alert of a domain from another: a finding of /status/DOMAIN, or
    Alertmanager's labels (ports are strings there)."""
    return (code, fields.get("service") or None, fields.get("target") or None,
            str(fields["port"]) if fields.get("port") else None, fields.get("address") or None)


def forwarded(am, domain, status):
    """Alerts of the domain Alertmanager forwarded to the webhook receiver with `status`."""
    return [a for body in am.receiver.bodies() for a in body["alerts"]
            if a["labels"].get("domain") == domain and a["status"] == status]


def test_alertmanager_gets_firing_and_resolved(xdane, bed, tmp_path, alertmanager):
    am = alertmanager
    dom = bed.derive()
    d = Xdaned(xdane, bed, tmp_path / "xdaned", {dom.name: 'services = {"xmpp-client"}'},
               interval=2, consecutive=1, webhook=am.alerts_url, webhook_format="alertmanager",
               exec_hook=False)
    try:
        d.start()
        with logs_on_failure(am, d, extra=lambda: (
                f"--- forwarded to the webhook_config receiver ---\n"
                f"{json.dumps(am.receiver.bodies(), indent=1)[-8000:]}")):
            d.wait("a healthy check", lambda: d.report(dom.name)["status"] in ("ok", "info"))
            assert am.alerts(dom.name) == []

            # Break: every signature expired (beyond unbound's day of allowed skew).
            dom.spec.expiration = testbed.pki.utcnow() - dt.timedelta(days=2)
            dom.spec.inception = dom.spec.expiration - dt.timedelta(days=7)
            dom = bed.republish(dom)
            d.wait("DNSSEC_BOGUS to fire", lambda: [
                f for f in d.report(dom.name)["active_findings"]
                if f["code"] == "DNSSEC_BOGUS" and f["alert"] == "firing"])
            firing = {identity(f["code"], f) for f in d.report(dom.name)["active_findings"]
                      if f["alert"] == "firing"}

            # Alertmanager has them active, with xdane's labels.
            active = d.wait("the alerts in Alertmanager", lambda: [
                a for a in am.alerts(dom.name)
                if a["labels"]["alertname"] == "DNSSEC_BOGUS"], timeout=15)
            for a in active:
                assert a["labels"]["code"] == "DNSSEC_BOGUS"
                assert a["labels"]["domain"] == dom.name
                assert a["labels"]["severity"] == "critical"
                assert a["status"]["state"] == "active"
                assert a["startsAt"] and parse_time(a["startsAt"]) <= time.time() + 5
                # No endsAt was sent: Alertmanager ends it resolve_timeout after the last push.
                assert parse_time(a["endsAt"]) > time.time()
            # Every firing finding (the expired RRSIGs at the name server too) is one alert.
            d.wait("every firing finding in Alertmanager", lambda: firing <= {
                identity(a["labels"]["alertname"], a["labels"])
                for a in am.alerts(dom.name, "?active=true")}, timeout=15)

            # Alertmanager routed it to its receiver.
            sent = d.wait("Alertmanager to notify its receiver", lambda: [
                a for a in forwarded(am, dom.name, "firing")
                if a["labels"]["alertname"] == "DNSSEC_BOGUS"], timeout=15)
            assert sent[0]["labels"]["severity"] == "critical"

            # Repair: the daemon sends endsAt, Alertmanager stops listing the alerts (0.25
            # drops an alert whose endsAt has passed from GET /api/v2/alerts, active or not).
            dom.spec.expiration = dom.spec.inception = None
            repaired_at = time.time()
            dom = bed.republish(dom)
            d.wait("the alerts to leave Alertmanager", lambda: (
                not am.alerts(dom.name) and not am.alerts(dom.name, "?active=true")),
                timeout=20)
            assert not [f for f in d.report(dom.name)["active_findings"]
                        if f["code"] == "DNSSEC_BOGUS"]

            # ... and tells its receiver so, with the endsAt xdaned sent, now past.
            resolved = d.wait("Alertmanager's resolved notification", lambda: [
                a for a in forwarded(am, dom.name, "resolved")
                if a["labels"]["alertname"] == "DNSSEC_BOGUS"], timeout=15)
            for a in resolved:
                ends = parse_time(a["endsAt"])
                assert repaired_at - 2 <= ends <= time.time(), a
                assert parse_time(a["startsAt"]) <= ends
        d.stop()
    finally:
        d.kill()
