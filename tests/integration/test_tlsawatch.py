# SPDX-License-Identifier: BSD-3-Clause
"""checks/tlsawatch against the bed's real BIND, through the test-only tests/tools/tlsawatch_tool:
what each authoritative server address serves at TLSA owners, asked directly (DESIGN.md
"Certificate rollover", `propagated`). A healthy domain: every server serves what the bed
published. An owner that does not exist: NXDOMAIN with the zone's negative TTL. The ns3 black
hole: ns3 does not answer within the timeout while ns1 does. A secondary that lags behind the
primary: the two servers report different records."""

import json
import subprocess

import pytest

from testbed import dns as bdns
from xdanebin import SANITIZER_MARKS, Xdane

NS1 = bdns.NAMESERVERS["ns1"][1]
NS2 = bdns.NAMESERVERS["ns2"][1]
NS3 = bdns.NAMESERVERS["ns3"][1]
# Short enough for a fast test, long enough for a loaded loopback BIND.
TIMEOUT_MS = 1500


class Tool:
    """The built tlsawatch_tool (XDANE_BUILD, default build/)."""

    def __init__(self):
        self.path = Xdane().build / "tests" / "tools" / "tlsawatch_tool"
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path} not built")

    def watch(self, bed, servers, owners, timeout_ms=TIMEOUT_MS):
        """{address: server result} for every (address or (address, name)) and owner."""
        args = [str(self.path), "--port", str(bed.named.port), "--timeout-ms", str(timeout_ms)]
        for s in servers:
            args += ["--server", s if isinstance(s, str) else f"{s[0]}={s[1]}"]
        p = subprocess.run(args + list(owners), capture_output=True, text=True, timeout=30)
        for mark in SANITIZER_MARKS:
            assert mark not in p.stderr, f"tlsawatch_tool: sanitizer report:\n{p.stderr}"
        assert p.returncode == 0, f"tlsawatch_tool {args}: exit {p.returncode}: {p.stderr}"
        return {s["address"]: s for s in json.loads(p.stdout)["servers"]}


@pytest.fixture(scope="module")
def tool():
    return Tool()


def published(domain):
    """owner (absolute, lower case) -> sorted TLSA RDATA text the bed published."""
    return {owner.rstrip(".").lower() + ".": sorted(r.lower() for r in rdatas)
            for t in domain.targets for owner, rdatas in t.tlsa.items()}


def servers_of(domain):
    return [(address, name) for name, address in domain.ns]


def test_every_server_serves_the_published_tlsa(bed, tool):
    """Healthy domain (ns1 and ns2, same zone): each address answers every owner with exactly
    the records the bed published, with the zone's TTL."""
    d = bed.derive("secondary-old-serial", lag=1)
    want = published(d)
    assert want
    got = tool.watch(bed, servers_of(d), want)
    assert set(got) == {NS1, NS2}
    for address, s in got.items():
        assert s["answered"], (address, s)
        assert s["status"] == "ok"
        for owner, rdatas in want.items():
            a = s["answers"][owner]
            assert a["status"] == "ok", (address, owner, a)
            assert a["records"] == rdatas, (address, owner)
            assert a["ttl"] == d.spec.ttl
            assert a["rcode"] == 0


def test_good_domain_ns1(bed, tool):
    d = bed.good
    want = published(d)
    got = tool.watch(bed, [NS1], want)
    assert all(got[NS1]["answers"][o]["records"] == r for o, r in want.items())


def test_missing_owner_is_nxdomain_with_negative_ttl(bed, tool):
    d = bed.derive()
    owner = f"_9999._tcp.nowhere.{d.name}."
    soa = bed.query(d.name, "SOA").answer[0]
    got = tool.watch(bed, [NS1], [owner])
    a = got[NS1]["answers"][owner]
    assert got[NS1]["answered"]
    assert a["status"] == "nxdomain", a
    assert a["records"] == []
    assert a["serial"] == soa[0].serial == d.serial
    assert a["soa_minimum"] == soa[0].minimum
    assert a["neg_ttl"] == min(soa[0].minimum, soa.ttl)


def test_existing_name_without_tlsa_is_nodata(bed, tool):
    d = bed.derive()
    got = tool.watch(bed, [NS1], [f"{d.name}."])
    a = got[NS1]["answers"][f"{d.name}."]
    assert a["status"] == "nodata", a
    assert a["serial"] == d.serial


def test_black_hole_does_not_answer(bed, tool):
    """ns-unreachable adds ns3 (127.0.0.3), which never answers: the watch reports it as not
    answered after its timeout, while ns1 answers."""
    d = bed.derive("ns-unreachable")
    want = published(d)
    assert NS3 in [a for _, a in d.ns]
    got = tool.watch(bed, servers_of(d), want, timeout_ms=800)
    assert got[NS1]["answered"]
    assert not got[NS3]["answered"]
    assert got[NS3]["status"] == "timeout"
    assert got[NS3]["detail"]
    for owner in want:
        assert got[NS3]["answers"][owner]["status"] == "timeout"
        assert got[NS1]["answers"][owner]["records"] == want[owner]


def test_lagging_secondary_reports_other_records(bed, tool):
    """The primary (ns1) gets a new TLSA record; the lagging secondary (ns2) still serves the
    old set and serial. The two addresses report different records and serials: what the
    rollover must wait out."""
    d = bed.derive("secondary-old-serial", lag=1)
    owner = sorted(published(d))[0]
    extra = "3 1 1 " + "ab" * 32
    d.spec.extra_records.append(f"{owner} IN TLSA {extra}")
    # republish rebuilds ns2 from the same spec; keep ns2 on its old zone file.
    old_ns2 = open(d.secondary["zone_file"]).read()
    d = bed.republish(d)
    with open(d.secondary["zone_file"], "w") as f:
        f.write(old_ns2)
    bed.named2.reload(d.name, d.secondary["serial"] - 1, d.secondary["zone_file"])
    got = tool.watch(bed, servers_of(d), [owner, f"_1._tcp.none.{d.name}."])
    new, old = got[NS1]["answers"][owner], got[NS2]["answers"][owner]
    assert got[NS1]["answered"] and got[NS2]["answered"]
    assert extra in new["records"]
    assert extra not in old["records"]
    assert new["records"] != old["records"]
    # The denial carries each server's own SOA serial.
    nx1 = got[NS1]["answers"][f"_1._tcp.none.{d.name}."]
    nx2 = got[NS2]["answers"][f"_1._tcp.none.{d.name}."]
    assert nx1["serial"] == d.serial
    assert nx2["serial"] < nx1["serial"]
