# SPDX-License-Identifier: BSD-3-Clause
"""`xdane check`, DNS half, on the real bed: each test derives a domain that breaks exactly one
thing and expects its finding code (DESIGN.md catalog); the healthy service and MUC domains
yield nothing above info; and for every bed zone xdane's secure/insecure/bogus verdict equals
delv's against the same bed."""

import json
import subprocess

import pytest


def check(xdane, bed, *domains, services=(), extra=()):
    """Runs `xdane check --json` against the bed; returns (exit code, {domain: report})."""
    argv = ["check", "--json", "--resolver-config", bed.unbound_conf,
            "--auth-port", bed.named.port, "--timeout", "30", *extra]
    for s in services:
        argv += ["--service", s]
    p = xdane.run(*argv, *domains, timeout=60)
    assert p.returncode in (0, 1, 2), f"exit {p.returncode}: {p.stderr}"
    doc = json.loads(p.stdout)
    return p.returncode, {d["domain"]: d for d in doc["domains"]}


def codes(report, min_severity="warning"):
    order = ["ok", "info", "warning", "critical"]
    return sorted({f["code"] for f in report["findings"]
                   if order.index(f["severity"]) >= order.index(min_severity)})


def findings(report, code):
    return [f for f in report["findings"] if f["code"] == code]


def test_healthy_service_domain(xdane, bed):
    rc, reports = check(xdane, bed, "good.example")
    r = reports["good.example"]
    assert rc == 0
    assert r["status"] == "info"
    assert r["dnssec"]["state"] == "secure"
    assert codes(r) == []
    assert codes(r, "info") == ["TLSA_NO_ROLLOVER_SLOT"]
    services = {s["service"]: s for s in r["services"]}
    assert set(services) == {"xmpp-client", "xmpp-server", "xmpps-client", "xmpps-server"}
    for name, s in services.items():
        assert s["srv_state"] == "secure"
        port = bed.good.port(name)
        eps = s["endpoints"]
        assert {e["address"] for e in eps} == {"127.0.0.1", "::1"}
        for e in eps:
            assert (e["target"], e["port"], e["tlsa_state"]) == ("xmpp.good.example", port,
                                                                 "secure")
            assert e["tlsa"] == bed.good.target.tlsa[f"_{port}._tcp.xmpp.good.example"]
    zone = r["zone"]
    assert zone["apex"] == "good.example"
    assert [d["matches_key"] for d in zone["ds"]] != [None]
    assert all(s["status"] == "ok" and s["authoritative"] for s in zone["servers"])


def test_healthy_muc_domain(xdane, bed):
    """A MUC is reached over s2s only: its one service is healthy."""
    rc, reports = check(xdane, bed, "conference.good.example", services=["xmpp-server"])
    r = reports["conference.good.example"]
    assert rc == 0, r["findings"]
    assert codes(r) == []
    assert r["zone"]["apex"] == "good.example"
    assert r["services"][0]["endpoints"][0]["tlsa_state"] == "secure"


# (fault, parameters, services to check, expected codes at warning and above, severity of the
# first expected code)
CASES = [
    ("unsigned", {}, (), {"DNSSEC_INSECURE", "SRV_INSECURE"}, "warning"),
    ("island", {}, (), {"DNSSEC_INSECURE", "SRV_INSECURE"}, "warning"),
    ("wrong-ds", {}, (), {"DS_MISMATCH", "DNSSEC_BOGUS"}, "critical"),
    ("ds-sha1", {}, (), {"DS_DIGEST_WEAK"}, "warning"),
    ("expired-rrsig", {}, (), {"DNSSEC_BOGUS", "RRSIG_EXPIRING"}, "critical"),
    ("expiring-rrsig", {"hours": 24}, (), {"RRSIG_EXPIRING"}, "warning"),
    ("nsec3-iterations", {"iterations": 10}, (), {"NSEC3_ITERATIONS"}, "warning"),
    ("missing-tlsa", {}, (), {"TLSA_MISSING"}, "warning"),
    ("srv-target-cname", {}, (), {"SRV_TARGET_INVALID"}, "critical"),
    ("servfail", {}, (), {"DNS_LOOKUP_FAILED"}, "warning"),
]


@pytest.mark.parametrize("fault,params,services,expected,severity", CASES,
                         ids=[c[0] for c in CASES])
def test_fault_yields_its_finding(xdane, bed, fault, params, services, expected, severity):
    d = bed.derive(fault, **params)
    rc, reports = check(xdane, bed, d.name, services=services)
    r = reports[d.name]
    got = set(codes(r))
    assert got == expected, r["findings"]
    first = sorted(expected)[0]
    assert findings(r, first)[0]["severity"] in (severity, "critical")
    assert rc == {"warning": 1, "critical": 2}[r["status"]]
