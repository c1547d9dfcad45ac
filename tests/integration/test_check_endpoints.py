# SPDX-License-Identifier: BSD-3-Clause
"""`xdane check`, endpoint half, against the real Prosody of the bed: c2s, s2s and Direct TLS
probes, the three verdicts (DANE with OpenSSL, PKIX against the bed's CA, RFC 6120 identity)
and the endpoint findings, each test breaking exactly one thing."""

import json

import pytest
from xdanebin import codes, findings

SERVICES = ("xmpp-client", "xmpp-server", "xmpps-client", "xmpps-server")


def check(xdane, bed, *domains, extra=()):
    argv = ["check", "--json", "--resolver-config", bed.unbound_conf, "--auth-port",
            bed.named.port, "--ca-file", bed.ca.cert, *extra, *domains]
    p = xdane.run(*argv, timeout=120)
    assert p.returncode in (0, 1, 2), f"exit {p.returncode}: {p.stderr}"
    return p.returncode, {d["domain"]: d for d in json.loads(p.stdout)["domains"]}


def endpoints(report):
    return [(s["service"], e) for s in report["services"] for e in s["endpoints"]]


def test_healthy_endpoints_all_three_verdicts(xdane, bed):
    rc, reports = check(xdane, bed, "good.example")
    r = reports["good.example"]
    assert rc == 0, r["findings"]
    assert codes(r) == []
    eps = endpoints(r)
    assert sorted({s for s, _ in eps}) == sorted(SERVICES)
    served = bed.good.cert
    for service, e in eps:
        assert e["probe"] == "ok", (service, e["address"], e["detail"])
        assert e["detail"].startswith("Direct TLS" if service.startswith("xmpps") else "STARTTLS")
        assert e["tls_version"] == "TLSv1.3"
        assert (e["dane"], e["pkix"], e["name_match"]) == ("match", "ok", True)
        assert e["dane_record"].startswith("3 1 1 ") and e["dane_depth"] == 0
        assert e["tlsa_matches"] == [True] * len(e["tlsa"])
        assert e["cert"]["sha256"] == served.sha256
        assert e["cert"]["spki_sha256"] == served.spki_sha256
        assert "_xmpp-client.good.example" in e["cert"]["srv_ids"]


def test_tlsa_for_another_key(xdane, bed):
    d = bed.derive("tlsa-mismatch")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert rc == 2
    assert codes(r) == ["TLSA_MISMATCH"]
    assert len(findings(r, "TLSA_MISMATCH")) == len(endpoints(r))
    assert all(e["dane"] == "mismatch" and e["pkix"] == "ok" for _, e in endpoints(r))


def test_certificate_for_the_wrong_name_under_dane_ee(xdane, bed):
    """DANE-EE peers ignore names (RFC 7671 §5.1): a warning, not critical."""
    d = bed.derive("cert-wrong-name")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert codes(r) == ["CERT_NAME_MISMATCH"]
    assert {f["severity"] for f in findings(r, "CERT_NAME_MISMATCH")} == {"warning"}
    assert all(e["name_match"] is False and e["dane"] == "match" for _, e in endpoints(r))


def test_expired_certificate(xdane, bed):
    d = bed.derive("cert-expired")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert rc == 2
    assert "CERT_EXPIRED" in codes(r)
    assert {f["severity"] for f in findings(r, "CERT_EXPIRED")} == {"critical"}


def test_expiring_certificate(xdane, bed):
    d = bed.derive("cert-expiring", days=7)
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert codes(r) == ["CERT_EXPIRING"]
    assert {f["severity"] for f in findings(r, "CERT_EXPIRING")} == {"warning"}


def test_untrusted_ca_with_matching_dane_ee(xdane, bed):
    d = bed.derive("cert-untrusted")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert codes(r) == ["PKIX_UNTRUSTED"]
    assert all(e["dane"] == "match" and e["pkix"] == "fail" for _, e in endpoints(r))


def test_endpoints_of_one_service_differ(xdane, bed):
    d = bed.derive("second-server")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert codes(r) == ["ENDPOINTS_DIFFER"]
    assert {f["service"] for f in findings(r, "ENDPOINTS_DIFFER")} == set(SERVICES)


def test_rsa_and_ecdsa_with_tlsa_for_one(xdane, bed):
    """The RSA certificate is only seen when RSA alone is offered: its TLSA is missing. The
    second key type is asked for once per server port (target, port) and first leaf, not per
    address: each service's port has two addresses (127.0.0.1 and ::1), one of which carries
    the RSA probe, and each TLSA owner gets one finding."""
    d = bed.derive("rsa-and-ecdsa")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert rc == 2
    assert codes(r) == ["TLSA_MISMATCH"]
    mismatches = findings(r, "TLSA_MISMATCH")
    assert all("RSA" in f["message"] for f in mismatches)
    assert len(mismatches) == len(SERVICES)
    by_service = {}
    for service, e in endpoints(r):
        assert e["dane"] == "match" and e["cert"]["key_type"] == "EC"
        by_service.setdefault(service, []).append(e)
    assert sorted(by_service) == sorted(SERVICES)
    for service, eps in by_service.items():
        assert len(eps) == 2, (service, [e["address"] for e in eps])
        rsa = [e["rsa"] for e in eps if "rsa" in e]
        assert len(rsa) == 1, (service, eps)
        assert rsa[0]["dane"] == "mismatch" and rsa[0]["cert"]["key_type"] == "RSA"


def test_digest_agility_trap(xdane, bed):
    d = bed.derive("tlsa-agility-trap")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert codes(r) == ["TLSA_AGILITY_TRAP"]
    msg = findings(r, "TLSA_AGILITY_TRAP")[0]["message"]
    assert "3 1 1" in msg and "3 1 2" in msg
    for _, e in endpoints(r):
        # each record alone: the SHA-256 one matches, the SHA-512 one does not
        assert dict(zip((t[:5] for t in e["tlsa"]), e["tlsa_matches"])) == {
            "3 1 1": True, "3 1 2": False}


def test_fragile_tlsa(xdane, bed):
    d = bed.derive("tlsa-fragile")
    rc, reports = check(xdane, bed, d.name)
    assert codes(reports[d.name]) == ["TLSA_FRAGILE"]


def test_rollover_slot_and_dane_ta(xdane, bed):
    """A pre-published next key leaves nothing to say; DANE-TA (2 0 1 of the CA) matches."""
    d = bed.derive("tlsa-rollover")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert rc == 0 and codes(r, "info") == [], r["findings"]
    d = bed.derive("dane-ta")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert rc == 0 and codes(r) == [], r["findings"]
    for _, e in endpoints(r):
        assert e["dane"] == "match" and e["dane_record"].startswith("2 0 1 ")


# (fault, finding code, services the peer serves)
HOSTILE = [
    ("peer-silent", "XMPP_STREAM_FAILED"),
    ("peer-endless-xml", "XMPP_STREAM_FAILED"),
    ("peer-huge-features", "XMPP_STREAM_FAILED"),
    ("peer-no-starttls", "STARTTLS_FAILED"),
    ("peer-starttls-failure", "STARTTLS_FAILED"),
    ("peer-close-after-proceed", "TLS_HANDSHAKE_FAILED"),
    ("peer-garbage-tls", "TLS_HANDSHAKE_FAILED"),
    ("peer-https", "XMPP_STREAM_FAILED"),
    ("peer-stream-error", "XMPP_STREAM_FAILED"),
    ("peer-huge-chain", "TLS_HANDSHAKE_FAILED"),
]


@pytest.mark.parametrize("fault,code", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_peer_is_bounded(xdane, bed, fault, code):
    d = bed.derive(fault)
    rc, reports = check(xdane, bed, d.name, extra=["--config", _short_timeouts(bed)])
    r = reports[d.name]
    assert rc == 2
    assert code in codes(r), r["findings"]
    assert r["duration_seconds"] < 15, "a hostile peer costs at most its timeouts"


def _short_timeouts(bed):
    import os
    path = os.path.join(bed.dir, "short-timeouts.conf")
    with open(path, "w") as f:
        f.write("connect-timeout = 2\nprobe-timeout = 2\n")
    return path


def _run_measured(xdane, bed, domain, config):
    """Runs one check, returning (exit code, peak RSS in KiB) of that process alone."""
    import os
    import subprocess
    argv = [str(xdane.xdane), "check", "--json", "--resolver-config", bed.unbound_conf,
            "--auth-port", str(bed.named.port), "--ca-file", bed.ca.cert, "--config", config,
            domain]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss


@pytest.mark.parametrize("fault", ["peer-huge-features", "peer-endless-xml"])
def test_hostile_peer_memory_is_bounded(xdane, bed, fault):
    """4 MiB of stream features, or XML without end, cost no more memory than a healthy check:
    the reader stops at 64 KiB and nothing is buffered."""
    config = _short_timeouts(bed)
    _, healthy = _run_measured(xdane, bed, "good.example", config)
    rc, hostile = _run_measured(xdane, bed, bed.derive(fault).name, config)
    assert rc == 2
    assert hostile < healthy + 3 * 1024, f"peak RSS {hostile} KiB vs {healthy} KiB healthy"


def test_text_report_shows_each_probe(xdane, bed):
    p = xdane.run("check", "--resolver-config", bed.unbound_conf, "--auth-port",
                  bed.named.port, "--ca-file", bed.ca.cert, "--service", "xmpp-server",
                  "good.example", timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "      127.0.0.1: STARTTLS, TLSv1.3; DANE match, PKIX ok, name " in p.stdout
    assert "      ::1: STARTTLS, TLSv1.3; DANE match, PKIX ok, name " in p.stdout


def test_old_tls_version(xdane, bed):
    """A server that negotiates TLS 1.1: only TLS_VERSION_OLD; DANE, PKIX and names are fine."""
    d = bed.derive("peer-old-tls")
    rc, reports = check(xdane, bed, d.name)
    r = reports[d.name]
    assert rc == 1
    assert codes(r) == ["TLS_VERSION_OLD"]
    old = [e for _, e in endpoints(r) if e.get("tls_version") == "TLSv1.1"]
    assert old and all(e["dane"] == "match" and e["pkix"] == "ok" for e in old)
