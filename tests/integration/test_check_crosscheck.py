# SPDX-License-Identifier: BSD-3-Clause
"""Cross-check: for every kind of zone the bed serves, xdane's secure/insecure/bogus verdict
for the domain equals what delv (BIND's validating lookup tool) says against the same bed and
trust anchor, and what unbound-host says through the same unbound.conf."""

import json
import subprocess

import pytest

# Faults that change the zone's DNSSEC state (or its reachability), and healthy variants.
ZONE_KINDS = [None, "unsigned", "island", "wrong-ds", "ds-sha1", "expired-rrsig",
              "expiring-rrsig", "nsec3-iterations", "servfail", "missing-tlsa"]

BOGUS_MARKS = ("no valid signature", "no valid RRSIG", "verify failed", "broken trust chain",
               "insecurity proof failed", "RRSIG failed to verify", "no valid DS")


def delv_state(bed, name):
    p = subprocess.run(["delv", "@127.0.0.1", "-p", str(bed.named.port), "-a",
                        bed.trust_anchor["bind"], "+root=example", name, "SOA"],
                       capture_output=True, text=True, timeout=30)
    out = p.stdout + p.stderr
    if "; fully validated" in out:
        return "secure"
    if "; unsigned answer" in out:
        return "insecure"
    if any(m in out for m in BOGUS_MARKS):
        return "bogus"
    return "indeterminate"


def unbound_host_state(bed, name):
    p = subprocess.run(["unbound-host", "-C", bed.unbound_conf, "-v", "-t", "SOA", name],
                       capture_output=True, text=True, timeout=30)
    out = p.stdout + p.stderr
    if "(secure)" in out:
        return "secure"
    if "(insecure)" in out:
        return "insecure"
    if "(BOGUS" in out:
        return "bogus"
    return "indeterminate"


@pytest.fixture(scope="module")
def zones(bed):
    """One domain per kind, derived once for the module."""
    return {kind: (bed.good if kind is None else bed.derive(kind)) for kind in ZONE_KINDS}


@pytest.mark.parametrize("kind", ZONE_KINDS, ids=[k or "good" for k in ZONE_KINDS])
def test_xdane_agrees_with_delv_and_unbound_host(xdane, bed, zones, kind):
    d = zones[kind]
    p = xdane.run("check", "--json", "--dns-only", "--resolver-config", bed.unbound_conf,
                  "--auth-port",
                  bed.named.port, d.name, timeout=60)
    assert p.returncode in (0, 1, 2), p.stderr
    ours = json.loads(p.stdout)["domains"][0]["dnssec"]["state"]
    assert ours == delv_state(bed, d.name), kind
    assert ours == unbound_host_state(bed, d.name), kind


def test_ed448_is_where_validators_differ(xdane, bed):
    """BIND (OpenSSL) validates Ed448, Debian's libunbound (nettle) does not: xdane says the
    zone looks insecure from here and names the algorithm, instead of calling it unsigned."""
    d = bed.derive("algorithm-ed448")
    p = xdane.run("check", "--json", "--dns-only", "--resolver-config", bed.unbound_conf,
                  "--auth-port",
                  bed.named.port, d.name, timeout=60)
    r = json.loads(p.stdout)["domains"][0]
    assert delv_state(bed, d.name) == "secure"
    assert unbound_host_state(bed, d.name) == "insecure"
    assert r["dnssec"]["state"] == "insecure"
    [f] = [f for f in r["findings"] if f["code"] == "DNSKEY_ALGORITHM_UNSUPPORTED"]
    assert "ED448" in f["message"] and "unsigned" not in f["message"]
