# SPDX-License-Identifier: BSD-3-Clause
"""Cross-check: for every bed endpoint where DANE applies, xdane's DANE verdict equals what
`openssl s_client -dane_tlsa_domain D -dane_tlsa_rrdata ...` concludes on its own connection
to the same address and port, with the same TLSA records (STARTTLS with -starttls xmpp /
xmpp-server -xmpphost D, Direct TLS without)."""

import json
import subprocess

import pytest

KINDS = [None, "tlsa-mismatch", "cert-wrong-name", "tlsa-agility-trap", "tlsa-fragile",
         "dane-ta", "tlsa-rollover", "cert-untrusted", "second-server"]


def s_client_verdict(domain, service, address, port, records):
    host = f"[{address}]" if ":" in address else address
    argv = ["openssl", "s_client", "-connect", f"{host}:{port}", "-servername", domain,
            "-dane_tlsa_domain", domain, "-dane_ee_no_namechecks", "-brief"]
    if service == "xmpp-client":
        argv += ["-starttls", "xmpp", "-xmpphost", domain]
    elif service == "xmpp-server":
        argv += ["-starttls", "xmpp-server", "-xmpphost", domain]
    for rr in records:
        argv += ["-dane_tlsa_rrdata", rr]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30)
    out = p.stdout + p.stderr
    if "Verification: OK" in out and "matched" in out:
        return "match"
    if "no matching DANE TLSA records" in out:
        return "mismatch"
    return "unknown: " + out[-300:]


@pytest.fixture(scope="module")
def domains(bed):
    return {kind: (bed.good if kind is None else bed.derive(kind)) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS, ids=[k or "good" for k in KINDS])
def test_dane_verdict_equals_openssl_s_client(xdane, bed, domains, kind):
    d = domains[kind]
    p = xdane.run("check", "--json", "--resolver-config", bed.unbound_conf, "--auth-port",
                  bed.named.port, "--ca-file", bed.ca.cert, d.name, timeout=120)
    report = json.loads(p.stdout)["domains"][0]
    compared = 0
    for s in report["services"]:
        for e in s["endpoints"]:
            if e.get("dane") not in ("match", "mismatch"):
                continue
            theirs = s_client_verdict(d.name, s["service"], e["address"], e["port"], e["tlsa"])
            assert e["dane"] == theirs, (kind, s["service"], e["address"], e["port"])
            compared += 1
    assert compared >= 8, f"{kind}: only {compared} endpoints compared"
