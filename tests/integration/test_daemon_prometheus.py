# SPDX-License-Identifier: BSD-3-Clause
"""xdaned scraped by a real Prometheus (Debian's prometheus 2.42) on loopback, as the README
sets it up: a job named xdane, the shipped rules (docs/alerts.rules.yml). Prometheus asks for
gzip and gets /metrics compressed (daemon/gzpage.h); every scrape succeeds, the samples it
stores are the page's (a domain with a mismatched TLSA critical and its DANE match 0, a good
one ok or info), and the rules put XdaneDomainCritical and XdaneDaneMismatch in pending for
the broken domain only."""

import json
import os
import urllib.parse

from daemonrun import LoopbackServer, Xdaned, logs_on_failure

PROMETHEUS = "/usr/bin/prometheus"
RULES = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "alerts.rules.yml")

# Scrapes and rule evaluations every second; nothing but xdaned on loopback to scrape.
PROM_CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - "{rules}"
scrape_configs:
  - job_name: xdane
    static_configs:
      - targets: ["127.0.0.1:{port}"]
"""


class Prometheus(LoopbackServer):
    """A Prometheus of the test's own, scraping xdaned at target_port."""

    name = "prometheus"

    def __init__(self, directory, target_port):
        super().__init__(directory, PROM_CONFIG.format(rules=os.path.abspath(RULES),
                                                       port=target_port))

    def argv(self):
        return [PROMETHEUS, f"--config.file={self.config}",
                f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                f"--web.listen-address=127.0.0.1:{self.port}"]

    def api(self, path, **params):
        """The data of a GET of the HTTP API."""
        status, body = self.get(f"{path}?{urllib.parse.urlencode(params)}")
        doc = json.loads(body)
        assert status == 200 and doc["status"] == "success", doc
        return doc["data"]

    def query(self, expr):
        """An instant query's vector as {frozenset of labels minus __name__: float value}."""
        data = self.api("/api/v1/query", query=expr)
        assert data["resultType"] == "vector", data
        return {frozenset((k, v) for k, v in r["metric"].items() if k != "__name__"):
                float(r["value"][1]) for r in data["result"]}

    def target(self):
        """The one active target's state (health, lastError, ...)."""
        targets = self.api("/api/v1/targets")["activeTargets"]
        assert len(targets) == 1, targets
        return targets[0]


def one(vector, **labels):
    """The value of the series of vector whose labels include labels (exactly one)."""
    hits = [v for k, v in vector.items() if set(labels.items()) <= k]
    assert len(hits) == 1, (labels, vector)
    return hits[0]


def test_prometheus_scrapes_compressed_metrics_and_the_rules_fire(xdane, bed, tmp_path):
    # Never skipped: scripts/install-deps installs it, and a missing one must fail the run.
    assert os.access(PROMETHEUS, os.X_OK), f"{PROMETHEUS} not installed (scripts/install-deps)"
    bad = bed.derive("tlsa-mismatch")
    good = bed.good.name
    d = Xdaned(xdane, bed, tmp_path / "xdaned", {good: "", bad.name: 'services = {"xmpp-client"}'},
               interval=3600, exec_hook=False)
    prom = Prometheus(tmp_path / "prometheus", d.port)
    try:
        d.start()
        d.wait("both domains checked",
               lambda: all(r.get("checked_at") for r in d.json("/status")["domains"]))
        prom.start()
        with logs_on_failure(prom, d):
            # Five scrapes in a row, each a success.
            d.wait("five good scrapes in a row", lambda: prom.query(
                'count_over_time(up{job="xdane"}[6s]) >= 5 and '
                'min_over_time(up{job="xdane"}[6s]) == 1'), timeout=30, interval=0.5)
            t = prom.target()
            assert t["health"] == "up" and t["lastError"] == "", t
            assert t["labels"]["job"] == "xdane"
            status, headers, _ = d.get_raw("/metrics", headers={"Accept-Encoding": "gzip"})
            assert status == 200 and headers["Content-Encoding"] == "gzip"

            # What Prometheus stored is what the page says.
            st = prom.query("xdane_domain_status")
            assert one(st, domain=bad.name) == 3
            assert one(st, domain=good) in (0, 1)
            match = prom.query(f'xdane_dane_match{{domain="{bad.name}"}}')
            assert match and set(match.values()) == {0}
            finding = prom.query(f'xdane_finding{{domain="{bad.name}",code="TLSA_MISMATCH"}}')
            assert finding and set(finding.values()) == {1}
            samples = prom.query('scrape_samples_scraped{job="xdane"}')
            page = d.get("/metrics")[1]
            assert one(samples) == sum(1 for line in page.splitlines()
                                       if line and not line.startswith("#"))

            # The shipped rules, evaluated on the scraped samples: pending (their `for:` is
            # minutes long) for the broken domain, nothing for the good one.
            def pending():
                alerts = prom.api("/api/v1/alerts")["alerts"]
                names = {(a["labels"]["alertname"], a["labels"].get("domain"), a["state"])
                         for a in alerts}
                want = {("XdaneDomainCritical", bad.name, "pending"),
                        ("XdaneDaneMismatch", bad.name, "pending")}
                return names if want <= names else None
            names = d.wait("the rules' alerts pending", pending, timeout=15, interval=0.5)
            assert not [n for n in names if n[1] == good], names
            assert not [n for n in names if n[0] == "XdaneDown"], names
    finally:
        prom.stop()
        try:
            d.stop()
        finally:
            d.kill()
