# SPDX-License-Identifier: BSD-3-Clause
"""`xdane check`, DNS half, on the real bed: each test derives a domain that breaks exactly one
thing and expects its finding code (DESIGN.md catalog); the healthy service and MUC domains
yield nothing above info; and for every bed zone xdane's secure/insecure/bogus verdict equals
delv's against the same bed."""

import json
import subprocess

import pytest
from xdanebin import codes, findings


def check(xdane, bed, *domains, services=(), extra=()):
    """Runs `xdane check --json` against the bed; returns (exit code, {domain: report})."""
    argv = ["check", "--json", "--resolver-config", bed.unbound_conf,
            "--auth-port", bed.named.port, "--timeout", "30", "--dns-only", *extra]
    for s in services:
        argv += ["--service", s]
    p = xdane.run(*argv, *domains, timeout=60)
    assert p.returncode in (0, 1, 2), f"exit {p.returncode}: {p.stderr}"
    doc = json.loads(p.stdout)
    return p.returncode, {d["domain"]: d for d in doc["domains"]}


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
    ("algorithm-rsasha1", {}, (), {"DNSKEY_ALGORITHM_WEAK"}, "warning"),
    # Debian's libunbound cannot verify Ed448: insecure from here, never "unsigned"
    ("algorithm-ed448", {}, (), {"DNSKEY_ALGORITHM_UNSUPPORTED", "SRV_INSECURE"}, "warning"),
    ("expired-rrsig", {}, (), {"DNSSEC_BOGUS", "RRSIG_EXPIRING"}, "critical"),
    ("expiring-rrsig", {"hours": 24}, (), {"RRSIG_EXPIRING"}, "warning"),
    ("nsec3-iterations", {"iterations": 10}, (), {"NSEC3_ITERATIONS"}, "warning"),
    ("missing-tlsa", {}, (), {"TLSA_MISSING"}, "warning"),
    ("srv-target-cname", {}, (), {"SRV_TARGET_INVALID"}, "critical"),
    ("servfail", {}, (), {"DNS_LOOKUP_FAILED"}, "warning"),
    ("nsec3-iterations", {"iterations": 200}, (), {"NSEC3_ITERATIONS"}, "critical"),
    ("secondary-old-serial", {}, (), {"NS_INCONSISTENT"}, "warning"),
    ("secondary-other-dnskey", {}, (), {"NS_INCONSISTENT"}, "warning"),
    ("ns-unreachable", {}, (), {"NS_UNREACHABLE"}, "warning"),
    ("target-no-address", {}, (), {"SRV_TARGET_INVALID"}, "critical"),
    ("target-no-address", {"nxdomain": True}, (), {"SRV_TARGET_INVALID"}, "critical"),
    ("target-insecure", {}, (), {"ADDRESS_INSECURE"}, "warning"),
    # no SRV: clients fall back to the domain itself, whose TLSA is then missing
    ("missing-srv", {}, (), {"SRV_MISSING", "TLSA_MISSING"}, "warning"),
]


@pytest.mark.parametrize("fault,params,services,expected,severity", CASES,
                         ids=[c[0] + "".join(f"-{k}={v}" for k, v in c[1].items())
                              for c in CASES])
def test_fault_yields_its_finding(xdane, bed, fault, params, services, expected, severity):
    d = bed.derive(fault, **params)
    rc, reports = check(xdane, bed, d.name, services=services)
    r = reports[d.name]
    got = set(codes(r))
    assert got == expected, r["findings"]
    first = sorted(expected)[0]
    assert findings(r, first)[0]["severity"] in (severity, "critical")
    assert rc == {"warning": 1, "critical": 2}[r["status"]]


def test_ns_unreachable_names_the_server(xdane, bed):
    d = bed.derive("ns-unreachable")
    _, reports = check(xdane, bed, d.name)
    f = findings(reports[d.name], "NS_UNREACHABLE")
    assert len(f) == 1 and f[0]["address"] == "127.0.0.3", f
    servers = {s["address"]: s for s in reports[d.name]["zone"]["servers"]}
    assert servers["127.0.0.3"]["status"] == "timeout"
    assert servers["127.0.0.1"]["status"] == "ok"


def test_secondary_serials_are_reported(xdane, bed):
    d = bed.derive("secondary-old-serial")
    _, reports = check(xdane, bed, d.name)
    serials = {s["address"]: s["serial"] for s in reports[d.name]["zone"]["servers"]}
    assert len(set(serials.values())) == 2, serials
    msg = findings(reports[d.name], "NS_INCONSISTENT")[0]["message"]
    assert all(str(v) in msg for v in serials.values()), msg


def test_srv_dot_is_not_a_problem(xdane, bed):
    """A single "." target says the service is decidedly not offered (RFC 2782)."""
    d = bed.derive("srv-dot")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert rc == 0 and codes(r, "info") == []
    assert all(s["absent"] and s["endpoints"] == [] for s in r["services"])


def test_severity_override_and_margin_from_config(xdane, bed, tmp_path):
    """finding "CODE" { severity } and rrsig-margin from --config change the verdict."""
    d = bed.derive("expiring-rrsig", hours=24)
    conf = tmp_path / "xdane.conf"
    conf.write_text('rrsig-margin = 3600\n')
    rc, reports = check(xdane, bed, d.name, extra=["--config", str(conf)])
    assert "RRSIG_EXPIRING" not in codes(reports[d.name]), "a 1 h margin: 24 h is fine"
    conf.write_text('finding "RRSIG_EXPIRING" { severity = "critical" }\n')
    rc, reports = check(xdane, bed, d.name, extra=["--config", str(conf)])
    assert rc == 2
    assert {f["severity"] for f in findings(reports[d.name], "RRSIG_EXPIRING")} == {"critical"}


def test_a_domain_block_sets_its_services_margins_and_severities(xdane, bed, tmp_path):
    """A domain's own block in --config: its services, margins and severities hold for it
    (named on the command line or taken from the config), the global ones for the others."""
    d = bed.derive("expiring-rrsig", hours=24)
    conf = tmp_path / "xdane.conf"
    conf.write_text(f'domain "{d.name}" {{ services = {{"xmpp-server"}} rrsig-margin = 3600 }}\n'
                    'domain "good.example" {\n'
                    '  finding "RRSIG_EXPIRING" { severity = "critical" }\n'
                    '  rrsig-margin = 31536000 }\n')
    for args in ([d.name, "good.example"], []):
        rc, reports = check(xdane, bed, *args, extra=["--config", str(conf)])
        r = reports[d.name]
        assert [s["service"] for s in r["services"]] == ["xmpp-server"]
        assert "RRSIG_EXPIRING" not in codes(r), "its own 1 h margin: 24 h is fine"
        g = reports["good.example"]
        assert len(g["services"]) == 4
        assert {f["severity"] for f in findings(g, "RRSIG_EXPIRING")} == {"critical"}, \
            "its own one-year margin and severity"
    # --service still wins over the block.
    rc, reports = check(xdane, bed, d.name, extra=["--config", str(conf), "--service",
                                                   "xmpp-client"])
    assert [s["service"] for s in reports[d.name]["services"]] == ["xmpp-client"]


def test_text_report_groups_by_service_and_endpoint(xdane, bed):
    p = xdane.run("check", "--dns-only", "--resolver-config", bed.unbound_conf, "--auth-port",
                  bed.named.port, "good.example", timeout=60)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("good.example: info, DNSSEC secure")
    port = bed.good.port("xmpp-client")
    i = lines.index("  xmpp-client: SRV ok, secure")
    assert lines[i + 1].startswith(f"    xmpp.good.example:{port}  addresses secure: 127.0.0.1 ::1")
    assert lines[i + 2].startswith("      TLSA secure: 3 1 1 ")


def test_many_domains_at_once_keep_their_order(xdane, bed):
    names = ["good.example", bed.derive("unsigned").name, bed.derive("wrong-ds").name,
             "conference.good.example"]
    rc, reports = check(xdane, bed, *names)
    assert list(reports) == names
    assert rc == 2
    assert [reports[n]["status"] for n in names] == ["info", "warning", "critical", "warning"]
