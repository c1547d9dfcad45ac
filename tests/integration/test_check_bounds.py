# SPDX-License-Identifier: BSD-3-Clause
"""Odd and oversized zone contents: unusable TLSA records are findings, and RRsets larger
than xdane follows (SRV records, targets, TLSA records) are cut at their bound and named in
the report's notes, never a crash or an unbounded check."""

import json


def check(xdane, bed, name):
    p = xdane.run("check", "--json", "--dns-only", "--resolver-config", bed.unbound_conf,
                  "--auth-port",
                  bed.named.port, name, timeout=60)
    assert p.returncode in (0, 1, 2), p.stderr
    return json.loads(p.stdout)["domains"][0]


def test_unusable_tlsa_records(xdane, bed):
    d = bed.derive()
    port = d.port("xmpp-client")
    owner = f"_{port}._tcp.{d.target.name}."
    d.spec.extra_records += [
        f"{owner} 300 IN TLSA 3 1 1 abcd",                 # SHA-256 data of 2 octets
        f"{owner} 300 IN TLSA 4 1 1 {'00' * 32}",          # usage 4 does not exist
        f"{owner} 300 IN TLSA 3 7 1 {'00' * 32}",          # selector 7 does not exist
    ]
    bed.republish(d)
    r = check(xdane, bed, d.name)
    unusable = [f for f in r["findings"] if f["code"] == "TLSA_UNUSABLE"]
    assert len(unusable) == 1 and unusable[0]["port"] == port, r["findings"]
    for text in ("3 1 1 (2 octets", "4 1 1 (unknown usage", "3 7 1 (unknown selector"):
        assert text in unusable[0]["message"], unusable[0]["message"]


def test_bounds_are_kept_and_reported(xdane, bed):
    d = bed.derive()
    base = d.name + "."
    records = []
    for i in range(40):  # 40 SRV records, each to its own target with an address
        records.append(f"_xmpp-client._tcp.{base} 300 IN SRV 10 {i} 5222 t{i}.{base}")
        records.append(f"t{i}.{base} 300 IN A 127.0.0.1")
    for i in range(30):  # 30 TLSA records at the endpoint tried first (highest weight)
        records.append(f"_5222._tcp.t39.{base} 300 IN TLSA 3 1 1 {i:064x}")
    d.spec.extra_records += records
    bed.republish(d)
    r = check(xdane, bed, d.name)
    client = next(s for s in r["services"] if s["service"] == "xmpp-client")
    assert len(client["srv"]) == 16
    assert len({e["target"] for e in client["endpoints"]}) <= 16
    kept = [(s["priority"], s["weight"]) for s in client["srv"]]
    assert kept == sorted(kept, key=lambda pw: (pw[0], -pw[1])), "best records first"
    assert kept[0][0] == 0 and kept[1] == (10, 39), "the bed's own record, then weight 39"
    t39 = [e for e in client["endpoints"] if e["target"] == f"t39.{d.name}"]
    assert t39 and len(t39[0]["tlsa"]) == 16
    notes = " ".join(r["notes"])
    assert "only the first 16 SRV records" in notes
    assert "only 16 TLSA records of _5222._tcp.t39." in notes
