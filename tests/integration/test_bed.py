# SPDX-License-Identifier: BSD-3-Clause
"""Proves the loopback test bed itself: delv, unbound-host and a long-lived libunbound context
see good.example as secure and each DNS fault as intended (secondaries with another serial or
DNSKEY set, a black-holed name server, targets without addresses or insecure, missing and "."
SRV), nothing outside example. resolves or leaves loopback, bulk domains are valid, Prosody
serves the bed's certificates on every port, each hostile peer misbehaves as its fault says
(socket and openssl s_client), the certificate and TLSA faults give OpenSSL's DANE the verdicts
they promise, and the bed stops exactly what it started."""

import datetime as dt
import hashlib
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest

import dns.exception
import dns.message
import dns.query
import dns.rdatatype

import testbed
import testbed.faults
import testbed.hostile
import testbed.peers
from testbed.pki import spki_of
from testbed.ubctx import Resolver

TIMEOUT = 20  # seconds for any one tool run; no test may hang
PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def run(argv, timeout=TIMEOUT, input=None):
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                          input=input, stdin=None if input is not None else subprocess.DEVNULL)


# --- DNS verdicts --------------------------------------------------------------------------

def delv(bed, name, rdtype):
    """delv's verdict on name/rdtype through the bed's named: secure, insecure, bogus or
    servfail, with delv's output."""
    cp = run(["delv", f"@{bed.info()['named']['address']}", "-p", bed.named.port,
              "-a", bed.trust_anchor["bind"], "+root=example.", name, rdtype])
    out = cp.stdout + cp.stderr
    if "; fully validated" in out or "; negative response, fully validated" in out:
        return "secure", out
    if "; unsigned answer" in out:
        return "insecure", out
    if re.search(r"broken trust chain|no valid signature|RRSIG has expired|insecurity proof failed",
                 out):
        return "bogus", out
    if "resolution failed" in out:
        return "servfail", out
    return "unknown", out


def unbound_host(bed, name, rdtype, conf=None):
    """unbound-host's verdict with the bed's unbound.conf: secure, insecure, bogus, servfail,
    refused or nxdomain, with its output."""
    cp = run(["unbound-host", "-C", conf or bed.unbound_conf, "-v", "-t", rdtype, name])
    out = cp.stdout + cp.stderr
    for pattern, verdict in (("REFUSED", "refused"), ("SERVFAIL", "servfail"),
                             ("(BOGUS", "bogus"), ("(insecure)", "insecure"),
                             ("(secure)", "secure")):
        if pattern in out:
            return verdict, out
    return "unknown", out


# Derived once for this module: these domains are only read, never changed.
DNS_FAULTS = {  # fault -> (delv verdict, unbound-host verdict)
    "unsigned": ("insecure", "insecure"),
    "island": ("insecure", "insecure"),
    "wrong-ds": ("bogus", "bogus"),
    "expired-rrsig": ("bogus", "bogus"),
    "expiring-rrsig": ("secure", "secure"),
    "servfail": ("servfail", "servfail"),
    "ds-sha1": ("secure", "secure"),
    "nsec3-iterations": ("secure", "secure"),
}


@pytest.fixture(scope="module")
def dns_faults(bed):
    return {fault: bed.derive(fault) for fault in DNS_FAULTS}


GOOD_RRSETS = [
    ("_xmpp-client._tcp.good.example", "SRV"),
    ("_xmpp-server._tcp.good.example", "SRV"),
    ("_xmpps-client._tcp.good.example", "SRV"),
    ("_xmpps-server._tcp.good.example", "SRV"),
    ("_xmpp-server._tcp.conference.good.example", "SRV"),
    ("xmpp.good.example", "A"),
    ("xmpp.good.example", "AAAA"),
]


def good_rrsets(bed):
    tlsa = [(owner, "TLSA") for owner in bed.good.target.tlsa]
    assert len(tlsa) == 4, bed.good.target.tlsa
    return GOOD_RRSETS + tlsa


def test_good_example_is_fully_validated_by_delv(bed):
    for name, rdtype in good_rrsets(bed):
        verdict, out = delv(bed, name, rdtype)
        assert verdict == "secure", f"{name}/{rdtype}: {out}"
    # The records carry the bed's real ports.
    _, out = delv(bed, "_xmpps-client._tcp.good.example", "SRV")
    assert f" {bed.good.port('xmpps-client')} xmpp.good.example." in out, out


def test_good_example_is_secure_for_unbound_host(bed):
    for name, rdtype in good_rrsets(bed):
        verdict, out = unbound_host(bed, name, rdtype)
        assert verdict == "secure", f"{name}/{rdtype}: {out}"


@pytest.mark.parametrize("fault", sorted(DNS_FAULTS))
def test_dns_fault_verdicts(bed, dns_faults, fault):
    domain = dns_faults[fault]
    name = f"_xmpp-client._tcp.{domain.name}"
    want_delv, want_unbound = DNS_FAULTS[fault]
    verdict, out = delv(bed, name, "SRV")
    assert verdict == want_delv, f"delv {name}: {out}"
    verdict, out = unbound_host(bed, name, "SRV")
    assert verdict == want_unbound, f"unbound-host {name}: {out}"


def test_bogus_answers_say_why(bed, dns_faults):
    _, out = unbound_host(bed, f"xmpp.{dns_faults['expired-rrsig'].name}", "A")
    assert "signature expired" in out, out  # val-log-level 2 fills why_bogus
    _, out = unbound_host(bed, f"xmpp.{dns_faults['wrong-ds'].name}", "A")
    assert "DS" in out, out


def test_names_outside_example_are_refused_at_once(bed):
    for name in ("debian.org", "example.com", "com", "good.example.org"):
        t0 = time.monotonic()
        verdict, out = unbound_host(bed, name, "A")
        assert verdict == "refused", f"{name}: {out}"
        assert time.monotonic() - t0 < 2, f"{name} took {time.monotonic() - t0:.1f}s"


def test_resolver_sends_nothing_beyond_loopback(bed, tmp_path):
    trace = tmp_path / "trace"
    for name, rdtype in (("debian.org", "A"), ("_xmpp-client._tcp.good.example", "SRV"),
                         (f"xmpp.{bed.derive('wrong-ds').name}", "A")):
        cp = run(["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg",
                  "-o", trace, "unbound-host", "-C", bed.unbound_conf, "-t", rdtype, name])
        assert cp.returncode in (0, 1), cp.stderr
        text = trace.read_text()
        v4 = re.findall(r'inet_addr\("([0-9.]+)"\)', text)
        v6 = re.findall(r'inet_pton\(AF_INET6, "([0-9a-f:]+)"', text)
        outside = [a for a in v4 if not a.startswith("127.")] + [a for a in v6 if a != "::1"]
        assert not outside, f"{name}: packets to {outside}\n{text}"
        if name == "debian.org":
            assert not v4 and not v6, f"a refused name sent packets:\n{text}"


def test_default_local_zones_do_not_hide_example(bed):
    # unbound's built-in local zones (test., invalid., localhost., ...) never include example.
    verdict, out = unbound_host(bed, "example.", "SOA")
    assert verdict == "secure", out


# --- name servers: secondaries, a black hole, one port ---------------------------------------

@pytest.fixture(scope="module")
def ub(bed):
    """One long-lived libunbound context on the bed's unbound.conf, as xdane holds one."""
    with Resolver(bed.unbound_conf) as ctx:
        yield ctx


@pytest.fixture(scope="module")
def derived(bed):
    """Domains of the record and name server faults, derived once (only read)."""
    return {
        "secondary-old-serial": bed.derive("secondary-old-serial"),
        "other-zsk": bed.derive("secondary-other-dnskey"),
        "extra-zsk": bed.derive("secondary-other-dnskey", dnskey="extra-zsk"),
        "ns-unreachable": bed.derive("ns-unreachable"),
        "target-no-address": bed.derive("target-no-address"),
        "target-nxdomain": bed.derive("target-no-address", nxdomain=True),
        "target-insecure": bed.derive("target-insecure"),
        "missing-srv": bed.derive("missing-srv"),
        "srv-dot": bed.derive("srv-dot"),
        "nsec3-151": bed.derive("nsec3-iterations", iterations=151),
        "missing-tlsa": bed.derive("missing-tlsa"),
        "srv-target-cname": bed.derive("srv-target-cname"),
    }


NS1, NS2, NS3 = ("ns1.example", "127.0.0.1"), ("ns2.example", "127.0.0.2"), \
    ("ns3.example", "127.0.0.3")


def rrset(msg, rdtype, section="answer"):
    """RDATA texts of `rdtype` in a dns.message section."""
    t = dns.rdatatype.from_text(rdtype)
    return sorted(rd.to_text() for rrs in getattr(msg, section) if rrs.rdtype == t for rd in rrs)


def soa_serial(bed, zone, address, tcp=False):
    r = bed.query(zone, "SOA", address=address, tcp=tcp)
    assert r.rcode() == 0 and r.flags & dns.flags.AA, r
    return r.answer[0][0].serial


def axfr_verified(bed, zone, address, tmp_path):
    """Transfer `zone` from `address` (on the bed's port) and dnssec-verify what was served."""
    cp = run(["dig", "-p", bed.named.port, f"@{address}", zone, "AXFR", "+nocmd", "+nostats"])
    assert cp.returncode == 0 and "SOA" in cp.stdout, cp.stdout + cp.stderr
    path = tmp_path / f"{zone}.{address}.axfr"
    path.write_text(cp.stdout)
    cp = run(["dnssec-verify", "-o", zone, path])
    assert cp.returncode == 0 and "Zone fully signed" in cp.stdout + cp.stderr, \
        cp.stdout + cp.stderr
    return cp.stdout + cp.stderr


def test_every_name_server_answers_on_the_named_port(bed, derived):
    assert bed.good.ns == [NS1]
    assert bed.info()["domains"]["good.example"]["ns"] == [list(NS1)]
    assert {n["port"] for n in bed.info()["nameservers"].values()} == {bed.named.port}
    # The parent publishes the name servers' addresses (secure, like any example. data).
    for name, address in (NS1, NS2, NS3):
        assert rrset(bed.query(name, "A"), "A") == [address]


def test_secondary_old_serial(bed, ub, derived, tmp_path):
    d = derived["secondary-old-serial"]
    assert d.ns == [NS1, NS2]
    assert d.serial == 2 and d.secondary["serial"] == 1
    # The NS set (in the zone and in the parent's delegation) names both servers.
    for address in ("127.0.0.1", "127.0.0.2"):
        assert rrset(bed.query(d.name, "NS", address=address), "NS") == \
            ["ns1.example.", "ns2.example."]
    assert d.delegation[:2] == [f"{d.name}. IN NS ns1.example.", f"{d.name}. IN NS ns2.example."]
    ds = rrset(bed.query(d.name, "DS"), "DS")  # from the parent, for the KSK both servers use
    assert [x.upper() for x in ds] == [" ".join(d.ds[0].split()[3:]).upper()]
    # Same port, other serial, UDP and TCP (through the relay).
    assert soa_serial(bed, d.name, "127.0.0.1") == 2
    assert soa_serial(bed, d.name, "127.0.0.2") == 1
    assert soa_serial(bed, d.name, "127.0.0.2", tcp=True) == 1
    # Same keys, and what ns2 serves is validly signed.
    assert rrset(bed.query(d.name, "DNSKEY", address="127.0.0.2"), "DNSKEY") == \
        rrset(bed.query(d.name, "DNSKEY"), "DNSKEY")
    axfr_verified(bed, d.name, "127.0.0.2", tmp_path)
    assert ub.resolve(f"_xmpp-client._tcp.{d.name}", "SRV").verdict == "secure"


@pytest.mark.parametrize("mode", ["other-zsk", "extra-zsk"])
def test_secondary_other_dnskey(bed, derived, mode, tmp_path):
    d = derived[mode]
    assert d.ns == [NS1, NS2] and d.secondary["dnskey"] == mode
    assert soa_serial(bed, d.name, "127.0.0.1") == soa_serial(bed, d.name, "127.0.0.2") == 1
    keys1 = rrset(bed.query(d.name, "DNSKEY"), "DNSKEY")
    keys2 = rrset(bed.query(d.name, "DNSKEY", address="127.0.0.2"), "DNSKEY")
    ksk = [k for k in keys1 if k.startswith("257 ")]
    assert len(ksk) == 1 and [k for k in keys2 if k.startswith("257 ")] == ksk
    zsk1 = {k for k in keys1 if k.startswith("256 ")}
    zsk2 = {k for k in keys2 if k.startswith("256 ")}
    assert len(zsk1) == 1
    if mode == "other-zsk":
        assert len(zsk2) == 1 and not zsk1 & zsk2
    else:
        assert len(zsk2) == 2 and zsk1 < zsk2
    # The RRSIGs over the data come from ns2's own ZSK in other-zsk mode.
    sig = bed.query(f"_xmpp-client._tcp.{d.name}", "SRV", address="127.0.0.2")
    tags2 = {rd.key_tag for rrs in sig.answer if rrs.rdtype == 46 for rd in rrs}
    tags1 = {rd.key_tag for rrs in bed.query(f"_xmpp-client._tcp.{d.name}", "SRV").answer
             if rrs.rdtype == 46 for rd in rrs}
    assert (tags1 != tags2) == (mode == "other-zsk")
    assert set(d.secondary["key_tags"]) >= tags2
    for address in ("127.0.0.1", "127.0.0.2"):
        axfr_verified(bed, d.name, address, tmp_path)
    # One DS (the shared KSK's) fits both servers' DNSKEY sets: both chains are valid.
    verdict, out = delv(bed, f"_xmpp-client._tcp.{d.name}", "SRV")
    assert verdict == "secure", out


def black_hole_lines(bed):
    with open(bed.stubs["ns3"].log_path) as f:
        return [line for line in f.read().splitlines() if " udp " in line or " tcp " in line]


def test_ns_unreachable(bed, derived):
    d = derived["ns-unreachable"]
    assert d.ns == [NS1, NS3]
    assert rrset(bed.query(d.name, "NS"), "NS") == ["ns1.example.", "ns3.example."]
    before = len(black_hole_lines(bed))
    # UDP: read, never answered.
    with pytest.raises(dns.exception.Timeout):
        bed.query(d.name, "SOA", address="127.0.0.3", timeout=0.5)
    # TCP: accepted, never answered.
    with pytest.raises(dns.exception.Timeout):
        bed.query(d.name, "SOA", address="127.0.0.3", timeout=0.5, tcp=True)
    lines = black_hole_lines(bed)[before:]
    assert [line.split()[1] for line in lines] == ["udp", "tcp"], lines


def test_ns_unreachable_does_not_slow_libunbound(bed, derived, tmp_path):
    """The zone's records resolve at once through the bed's unbound.conf, in one long-lived
    context, also after the NS RRset is cached (with a stub zone unbound then asked the
    name servers on port 53 and took 15-90 s: the bed forwards instead)."""
    d = derived["ns-unreachable"]
    good = bed.good
    before = len(black_hole_lines(bed))
    queries = [f"{d.name}/NS", f"_xmpp-client._tcp.{d.name}/SRV", f"{d.target.name}/A",
               f"{d.target.name}/AAAA", f"_{d.port('xmpp-client')}._tcp.{d.target.name}/TLSA",
               f"nothere.{d.name}/A", f"{good.name}/NS", f"nothere.{good.name}/A",
               f"xmpp.{good.name}/TXT", f"{NS3[0]}/A"]
    argv = [sys.executable, "-m", "testbed.ubctx", bed.unbound_conf, *queries]
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(testbed.__file__)))
    trace = tmp_path / "trace"
    argv = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-o",
            trace, *argv]
    cp = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=TIMEOUT,
                        env=env)
    assert cp.returncode == 0, cp.stderr
    answers = [json.loads(line) for line in cp.stdout.splitlines()]
    assert len(answers) == len(queries)
    for a in answers:
        assert a["seconds"] < 1.0, a
        assert a["verdict"] == "secure", a
    assert [a["rcode"] for a in answers] == [0, 0, 0, 0, 0, 3, 0, 3, 0, 0]
    assert answers[2]["records"] == ["127.0.0.1"] and answers[3]["records"] == ["::1"]
    assert len(black_hole_lines(bed)) == before  # the black hole was never asked
    text = trace.read_text()
    dests = set(re.findall(r'sin_port=htons\((\d+)\), sin_addr=inet_addr\("([0-9.]+)"\)',
                           text))
    assert dests <= {(str(bed.named.port), "127.0.0.1")}, dests


def test_target_no_address(bed, ub, derived):
    d = derived["target-no-address"]
    t = d.target
    assert t.addresses == []
    srv = ub.resolve(f"_xmpp-client._tcp.{d.name}", "SRV")
    assert srv.verdict == "secure" and srv.records[0].endswith(f" {t.name}.")
    for rdtype in ("A", "AAAA"):
        a = ub.resolve(t.name, rdtype)
        assert (a.rcode, a.havedata, a.verdict) == (0, False, "secure"), a  # NODATA
        verdict, out = delv(bed, t.name, rdtype)
        assert verdict == "secure" and "NXRRSET" in out, out
    assert ub.resolve(t.name, "TXT").havedata  # the name exists

    d = derived["target-nxdomain"]
    t = d.target
    srv = ub.resolve(f"_xmpp-client._tcp.{d.name}", "SRV")
    assert srv.verdict == "secure" and srv.records[0].endswith(f" {t.name}.")
    for rdtype in ("A", "AAAA", "TXT"):
        a = ub.resolve(t.name, rdtype)
        assert (a.rcode, a.verdict) == (3, "secure"), a
    assert ub.resolve(f"_{d.port('xmpp-client')}._tcp.{t.name}", "TLSA").rcode == 3


def test_target_insecure(bed, ub, derived):
    d = derived["target-insecure"]
    t = d.target
    assert t.name == f"xmpp.hosts.{d.name}" and d.child_zones == \
        {f"hosts.{d.name}": d.child_zones[f"hosts.{d.name}"]}
    for service in testbed.SERVICES:
        srv = ub.resolve(f"_{service}._tcp.{d.name}", "SRV")
        assert srv.verdict == "secure", srv
        assert srv.records == [f"0 5 {bed.servers['main'].ports[service]} {t.name}."]
    a, aaaa = ub.resolve(t.name, "A"), ub.resolve(t.name, "AAAA")
    assert (a.verdict, a.records) == ("insecure", ["127.0.0.1"]), a
    assert (aaaa.verdict, aaaa.records) == ("insecure", ["::1"]), aaaa
    tlsa = ub.resolve(f"_{d.port('xmpp-client')}._tcp.{t.name}", "TLSA")
    assert tlsa.verdict == "insecure" and tlsa.records == [d.cert.tlsa()]
    # Insecure because provably unsigned: the signed parent denies a DS for hosts.<domain>.
    ds = ub.resolve(f"hosts.{d.name}", "DS")
    assert (ds.rcode, ds.havedata, ds.verdict) == (0, False, "secure"), ds
    # The server there presents the domain's certificate, which names the target.
    leaf = probe(d, "xmpp-client")[0]
    assert sha256(leaf) == d.cert.sha256
    assert "does match" in openssl_x509(leaf, "-checkhost", t.name).stdout


def test_missing_srv_and_srv_dot(bed, ub, derived):
    d = derived["missing-srv"]
    assert d.srv == {}
    for service in testbed.SERVICES:
        r = ub.resolve(f"_{service}._tcp.{d.name}", "SRV")
        assert (r.rcode, r.verdict) == (3, "secure"), r
    assert ub.resolve(f"_xmpp-server._tcp.{d.muc}", "SRV").rcode == 3
    a, aaaa = ub.resolve(d.name, "A"), ub.resolve(d.name, "AAAA")
    assert (a.verdict, a.records, aaaa.verdict, aaaa.records) == \
        ("secure", ["127.0.0.1"], "secure", ["::1"])

    d = derived["srv-dot"]
    owners = [f"_{s}._tcp.{d.name}" for s in testbed.SERVICES] + \
        [f"_xmpp-server._tcp.{d.muc}", f"_xmpps-server._tcp.{d.muc}"]
    assert sorted(d.srv) == sorted(owners)
    for owner in owners:
        r = ub.resolve(owner, "SRV")
        assert (r.verdict, r.records) == ("secure", ["0 0 0 ."]), r


def test_nsec3_iterations_above_150_make_denials_insecure(bed, ub, derived):
    d = derived["nsec3-151"]
    param = rrset(bed.query(d.name, "NSEC3PARAM"), "NSEC3PARAM")
    assert len(param) == 1 and param[0].split()[2] == "151", param
    srv = ub.resolve(f"_xmpp-client._tcp.{d.name}", "SRV")
    assert srv.verdict == "secure" and srv.records, srv
    for name, rdtype in ((f"nothere.{d.name}", "A"), (d.target.name, "TXT")):
        r = ub.resolve(name, rdtype)
        assert not r.havedata and r.verdict == "insecure", r  # NXDOMAIN / NODATA, insecure
    # Few iterations: the same denial is secure.
    few = bed.derive("nsec3-iterations", iterations=10)
    r = ub.resolve(f"nothere.{few.name}", "A")
    assert (r.rcode, r.verdict) == (3, "secure"), r


def test_existing_record_faults_still_behave(bed, ub, derived, dns_faults):
    d = dns_faults["ds-sha1"]
    ds = rrset(bed.query(d.name, "DS"), "DS")
    assert len(ds) == 1 and ds[0].split()[2] == "1", ds
    assert ub.resolve(f"{d.target.name}", "A").verdict == "secure"

    d = derived["missing-tlsa"]
    r = ub.resolve(f"_{d.port('xmpp-client')}._tcp.{d.target.name}", "TLSA")
    assert (r.rcode, r.verdict) == (3, "secure"), r
    assert ub.resolve(d.target.name, "A").verdict == "secure"

    d = derived["srv-target-cname"]
    r = ub.resolve(d.target.name, "A")
    assert r.verdict == "secure" and r.cname == [f"real-xmpp.{d.name}."] and \
        r.records == ["127.0.0.1"], r

    d = dns_faults["servfail"]
    r = ub.resolve(f"_xmpp-client._tcp.{d.name}", "SRV")
    assert r.verdict == "servfail" and r.seconds < 2, r


# --- bulk domains ----------------------------------------------------------------------------

def test_bulk_domains(bed, ub, tmp_path):
    t0 = time.monotonic()
    names = bed.bulk_domains(80, prefix="bulktest")  # > bulk.PARALLEL_MIN: signed in a pool
    elapsed = time.monotonic() - t0
    assert names == [f"bulktest-{i}.example" for i in range(1, 81)]
    assert bed.bulk_domains(2, prefix="bulktest") == ["bulktest-81.example", "bulktest-82.example"]
    assert elapsed < 10, elapsed
    cert = bed.bulk_cert
    ports = bed.servers["main"].ports
    for name in names[:3] + names[-2:]:
        d = bed.bulk[name]
        assert d.ns == [NS1] and d.kind == "bulk"
        for service in testbed.SERVICES:
            r = ub.resolve(f"_{service}._tcp.{name}", "SRV")
            assert (r.verdict, r.records) == ("secure", [f"0 5 {ports[service]} xmpp.{name}."]), r
        r = ub.resolve(f"_xmpp-server._tcp.conference.{name}", "SRV")
        assert r.verdict == "secure" and r.records, r
        a, aaaa = ub.resolve(f"xmpp.{name}", "A"), ub.resolve(f"xmpp.{name}", "AAAA")
        assert (a.verdict, a.records, aaaa.records) == ("secure", ["127.0.0.1"], ["::1"])
        r = ub.resolve(f"_{ports['xmpps-client']}._tcp.xmpp.{name}", "TLSA")
        assert (r.verdict, r.records) == ("secure", [cert.tlsa()]), r
        r = ub.resolve(f"nothere.{name}", "A")
        assert (r.rcode, r.verdict) == (3, "secure"), r
    # Each zone has its own DS (the shared KSK hashed with the zone's name).
    assert len({bed.bulk[n].ds[0].split()[-1] for n in names}) == len(names)
    cp = run(["dnssec-verify", "-o", names[0], bed.bulk[names[0]].zone_file])
    assert cp.returncode == 0, cp.stdout + cp.stderr
    info = bed.info()["bulk"]
    assert info["count"] >= 82 and names[0] in info["names"]
    # Without python3-cryptography, ldns-signzone signs the same layout with the same keys.
    name = bed.bulk_domains(2, prefix="ldns", signer="ldns")[0]
    assert bed.info()["bulk"]["signer"] == "ldns"
    r = ub.resolve(f"_xmpp-client._tcp.{name}", "SRV")
    assert (r.verdict, r.records) == ("secure", [f"0 5 {ports['xmpp-client']} xmpp.{name}."]), r
    assert ub.resolve(f"_{ports['xmpp-client']}._tcp.xmpp.{name}", "TLSA").records == \
        [cert.tlsa()]
    # A derived domain after the bulk ones is served as before.
    assert ub.resolve(f"xmpp.{bed.derive().name}", "A").verdict == "secure"


# --- TLS ------------------------------------------------------------------------------------

def served(address, port, *, starttls=None, host=None, sni=None, alpn=None):
    """The chain (list of DER) a bed server presents, via openssl s_client."""
    argv = ["openssl", "s_client", "-connect", f"[{address}]:{port}" if ":" in address
            else f"{address}:{port}", "-showcerts"]
    if starttls:
        argv += ["-starttls", starttls, "-xmpphost", host]
    argv += ["-servername", sni] if sni else ["-noservername"]
    if alpn:
        argv += ["-alpn", alpn]
    cp = run(argv)
    pems = PEM_RE.findall(cp.stdout)
    assert pems, f"no certificate from {' '.join(argv)}:\n{cp.stdout[-1500:]}\n{cp.stderr[-1500:]}"
    return [ssl.PEM_cert_to_DER_cert(p) for p in pems]


def sha256(der):
    return hashlib.sha256(der).hexdigest()


def probe(domain, service, host=None, target=0, address=None):
    """The chain presented for `host` (default: the domain) on `service` of an SRV target."""
    t = domain.targets[target]
    host = host or domain.name
    port = t.ports[service]
    address = address or t.addresses[0]
    if service.startswith("xmpps"):
        alpn = "xmpp-client" if service.endswith("client") else "xmpp-server"
        return served(address, port, sni=host, alpn=alpn)
    kind = "xmpp" if service.endswith("client") else "xmpp-server"
    return served(address, port, starttls=kind, host=host)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("service", testbed.SERVICES)
def test_prosody_serves_the_bed_certificate(bed, service, address):
    chain = probe(bed.good, service, address=address)
    assert sha256(chain[0]) == bed.good.cert.sha256
    # leaf + CA, so that DANE-TA (2 x x) can match too
    assert len(chain) == 2 and chain[1] == bed.ca.der


@pytest.mark.parametrize("service", ["xmpp-server", "xmpps-server"])
def test_muc_domain_is_served_over_s2s(bed, service):
    chain = probe(bed.good, service, host="conference.good.example")
    assert sha256(chain[0]) == bed.good.cert.sha256


def spki_sha256_by_openssl(der):
    """SHA-256 of the certificate's SubjectPublicKeyInfo, computed by openssl (independent of
    the bed's own DER parsing)."""
    pem = run(["openssl", "x509", "-noout", "-pubkey"], input=ssl.DER_cert_to_PEM_cert(der))
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                          input=pem.stdout.encode(), capture_output=True, timeout=TIMEOUT,
                          check=True).stdout
    return hashlib.sha256(spki).hexdigest()


def test_tlsa_of_good_example_matches_the_served_key(bed):
    for service in testbed.SERVICES:
        port = bed.good.port(service)
        leaf = probe(bed.good, service)[0]
        assert hashlib.sha256(spki_of(leaf)).hexdigest() == spki_sha256_by_openssl(leaf)
        answer = bed.query(f"_{port}._tcp.xmpp.good.example", "TLSA").answer
        tlsa = [rr for rrset in answer if rrset.rdtype == 52 for rr in rrset]
        assert [(r.usage, r.selector, r.mtype, r.cert.hex()) for r in tlsa] == \
            [(3, 1, 1, spki_sha256_by_openssl(leaf))], f"{service} port {port}"


def openssl_x509(der, *args):
    pem = ssl.DER_cert_to_PEM_cert(der)
    return run(["openssl", "x509", "-noout", *args], input=pem)


def test_cert_wrong_name_fault(bed):
    d = bed.derive("cert-wrong-name")
    for service in testbed.SERVICES:
        leaf = probe(d, service)[0]
        assert sha256(leaf) == d.cert.sha256
        cp = openssl_x509(leaf, "-checkhost", d.name)
        assert "does NOT match" in cp.stdout, cp.stdout
    # DANE-EE still matches: only the name is wrong.
    assert d.target.tlsa[f"_{d.port('xmpp-client')}._tcp.{d.target.name}"] == \
        [f"3 1 1 {d.cert.spki_sha256}"]


def test_cert_expired_fault(bed):
    d = bed.derive("cert-expired")
    assert d.cert.not_after < dt.datetime.now(dt.timezone.utc)
    for service in testbed.SERVICES:
        leaf = probe(d, service)[0]
        assert sha256(leaf) == d.cert.sha256
        assert openssl_x509(leaf, "-checkend", "0").returncode == 1  # already expired
        assert openssl_x509(leaf, "-checkhost", d.name).stdout.count("does match") == 1


def test_tlsa_mismatch_fault(bed):
    d = bed.derive("tlsa-mismatch")
    leaf = probe(d, "xmpp-client")[0]
    assert sha256(leaf) == d.cert.sha256
    owner = f"_{d.port('xmpp-client')}._tcp.{d.target.name}"
    verdict, out = unbound_host(bed, owner, "TLSA")
    assert verdict == "secure", out
    assert hashlib.sha256(spki_of(leaf)).hexdigest() not in out.lower()
    assert "TLSA" in out or "type52" in out, out


def test_second_server_fault(bed):
    d = bed.derive("second-server")
    assert [t.server for t in d.targets] == ["main", "second"]
    assert d.targets[1].addresses[0] == "127.0.0.2"
    verdict, out = unbound_host(bed, f"_xmpp-client._tcp.{d.name}", "SRV")
    assert verdict == "secure" and out.count("has SRV record") == 2, out
    for target in (0, 1):
        t = d.targets[target]
        cert = d.certs[t.server]
        for service in testbed.SERVICES:
            for address in t.addresses:
                leaf = probe(d, service, target=target, address=address)[0]
                assert sha256(leaf) == cert.sha256, (t.name, service, address)
            owner = f"_{t.ports[service]}._tcp.{t.name}"
            assert t.tlsa[owner] == [f"3 1 1 {cert.spki_sha256}"]
            verdict, out = unbound_host(bed, owner, "TLSA")
            assert verdict == "secure" and cert.spki_sha256 in out.lower(), out
    assert d.certs["main"].spki_sha256 != d.certs["second"].spki_sha256


# --- hostile peers ----------------------------------------------------------------------------

PEER_FAULTS = sorted(f for f in testbed.FAULTS if f.startswith("peer-"))
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
STARTTLS = f"<starttls xmlns='{NS_TLS}'/>".encode()


@pytest.fixture(scope="module")
def peers(bed):
    """One domain per hostile peer fault, derived once (only read)."""
    return {f: bed.derive(f) for f in PEER_FAULTS}


def stream_header(domain, service):
    ns = "jabber:server" if service.endswith("server") else "jabber:client"
    return (f"<?xml version='1.0'?><stream:stream xmlns='{ns}' "
            f"xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' "
            "version='1.0'>").encode()


class Client:
    """A raw TCP (then TLS) client with a bounded buffer and a deadline for every wait."""

    def __init__(self, address, port, timeout=2.0):
        self.sock = socket.create_connection((address, port), timeout=timeout)
        self.buf = b""
        self.eof = False

    def tls(self, sni, alpn=None, timeout=2.0):
        """TLS handshake (no verification: the tests compare certificates); the leaf as DER."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if alpn:
            ctx.set_alpn_protocols([alpn])
        self.sock.settimeout(timeout)
        self.sock = ctx.wrap_socket(self.sock, server_hostname=sni)
        self.buf = b""
        return self.sock.getpeercert(binary_form=True)

    def send(self, data):
        self.sock.sendall(data)

    def read_until(self, marker, limit=64 * 1024, seconds=5.0):
        """Read until `marker` is in the buffer; the buffer up to and including it."""
        deadline = time.monotonic() + seconds
        while marker not in self.buf:
            assert not self.eof, f"closed before {marker!r}: {self.buf[-300:]!r}"
            assert len(self.buf) <= limit, f"more than {limit} bytes before {marker!r}"
            assert time.monotonic() < deadline, \
                f"no {marker!r} after {seconds}s: {self.buf[-300:]!r}"
            self._read(max(0.01, deadline - time.monotonic()))
        i = self.buf.index(marker) + len(marker)
        got, self.buf = self.buf[:i], self.buf[i:]
        return got

    def read_for(self, seconds):
        """Everything that arrives within `seconds` (or until EOF)."""
        deadline = time.monotonic() + seconds
        while not self.eof and time.monotonic() < deadline:
            try:
                self._read(max(0.01, deadline - time.monotonic()))
            except socket.timeout:
                break
        got, self.buf = self.buf, b""
        return got

    def _read(self, timeout):
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
        self.buf += data

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def peer_target(domain):
    t = domain.targets[0]
    assert t.server.startswith("peer-") and t.name == f"peer.{domain.name}", t
    return t


def peer_endpoints(domain):
    """(service, address, port) of every endpoint of the domain's peer."""
    t = peer_target(domain)
    return [(s, a, p) for s, p in t.ports.items() for a in t.addresses]


def peer_log(bed, domain):
    with open(bed.peers[peer_target(domain).server[5:]].log_path) as f:
        return f.read()


def test_peer_domains_are_secure_and_point_at_the_peers(bed, ub, peers):
    for fault, d in peers.items():
        behaviour = fault[len("peer-"):]
        peer = bed.peers[behaviour]
        t = peer_target(d)
        assert t.addresses == [testbed.peers.PEER_ADDRESSES[behaviour], "::1"]
        assert t.ports == peer.ports and set(t.ports) == \
            set(testbed.hostile.BEHAVIOURS[behaviour].services)
        for service in testbed.SERVICES:
            r = ub.resolve(f"_{service}._tcp.{d.name}", "SRV")
            target = t if service in t.ports else d.targets[1]
            assert (r.verdict, r.records) == \
                ("secure", [f"0 5 {target.ports[service]} {target.name}."]), (fault, r)
            tlsa = ub.resolve(f"_{target.ports[service]}._tcp.{target.name}", "TLSA")
            assert (tlsa.verdict, tlsa.records) == ("secure", [d.cert.tlsa()]), (fault, tlsa)
        a, aaaa = ub.resolve(t.name, "A"), ub.resolve(t.name, "AAAA")
        assert (a.verdict, a.records, aaaa.verdict, aaaa.records) == \
            ("secure", [t.addresses[0]], "secure", ["::1"]), fault
        # What a check should name: every endpoint of the peer, nothing else.
        faulty = d.faulty_endpoints
        assert sorted((e.service, e.address, e.port) for e in faulty) == \
            sorted(peer_endpoints(d)), fault
        for e in faulty:
            kind = "direct" if e.service.startswith("xmpps") else "starttls"
            assert e.codes == sorted(testbed.faults.PEER_FINDINGS[behaviour][kind])
            assert [c.sha256 for c in e.certs] == \
                ([d.cert.sha256] if testbed.hostile.BEHAVIOURS[behaviour].tls[kind] else [])
        for e in d.endpoints:
            if e not in faulty:  # Prosody serves the services the peer does not
                assert e.server == "main" and [c.sha256 for c in e.certs] == [d.cert.sha256]
    info = json.loads(json.dumps(bed.info()))
    d = peers["peer-https"]
    eps = info["domains"][d.name]["endpoints"]
    assert {(e["service"], e["address"]) for e in eps if e["findings"]} == \
        {(s, a) for s, a, _ in peer_endpoints(d)}
    e = next(e for e in eps if e["findings"])
    assert e["findings"] == [{"fault": "peer-https", "codes": ["XMPP_STREAM_FAILED"],
                              "not_codes": []}]
    assert e["certs"][0]["sha256"] == d.cert.sha256 and e["certs"][0]["chain"] == d.cert.chain
    assert info["peers"]["peer-https"]["ports"] == bed.peers["https"].ports


def open_all(domain, tls=True):
    """A Client on every endpoint of the domain's peer, the stream header sent (after TLS on
    Direct TLS ports, if `tls`); [(service, Client)]."""
    clients = []
    for service, address, port in peer_endpoints(domain):
        c = Client(address, port)
        clients.append((service, c))
        if service.startswith("xmpps"):
            if not tls:
                continue
            assert sha256(c.tls(domain.name)) == domain.cert.sha256
        c.send(stream_header(domain.name, service))
    return clients


def test_peer_silent(bed, peers):
    d = peers["peer-silent"]
    clients = open_all(d, tls=False)
    try:
        time.sleep(0.3)
        for service, c in clients:
            if service.startswith("xmpps"):  # no ServerHello
                with pytest.raises((socket.timeout, TimeoutError)):
                    c.tls(d.name, alpn=service.replace("xmpps", "xmpp"), timeout=0.05)
            else:
                assert c.read_for(0.01) == b"" and not c.eof
    finally:
        for _, c in clients:
            c.close()


def test_peer_endless_xml(bed, peers):
    d = peers["peer-endless-xml"]
    ended = peer_log(bed, d).count(" end ")
    clients = open_all(d)
    try:
        time.sleep(0.5)
        for service, c in clients:
            got = c.read_for(0.05)
            assert got.startswith(b"<?xml") and b"<stream:stream" in got and \
                b"<stream:features" not in got and not c.eof, got[:300]
            assert b"<testbed:noise" in got
            assert 4096 <= len(got) <= 64 * 1024, len(got)  # a few KiB per 100 ms, no more
    finally:
        for _, c in clients:
            c.close()
    # The peer stops writing once the client goes (it logs "end ..." for each connection).
    deadline = time.monotonic() + 3
    while peer_log(bed, d).count(" end ") < ended + len(clients):
        assert time.monotonic() < deadline, peer_log(bed, d)
        time.sleep(0.05)


def test_peer_huge_features(bed, peers):
    d = peers["peer-huge-features"]
    t = peer_target(d)
    with Client(t.addresses[0], t.ports["xmpp-client"]) as c:
        c.send(stream_header(d.name, "xmpp-client"))
        features = c.read_until(b"</stream:features>", limit=8 << 20, seconds=10)
        assert len(features) > 4 << 20 and features.count(b"<starttls") == 1
        assert f"<starttls xmlns='{NS_TLS}'><required/></starttls>".encode() in features[-400:]
        c.send(STARTTLS)
        assert c.read_until(b"/>") == f"<proceed xmlns='{NS_TLS}'/>".encode()
        assert sha256(c.tls(d.name)) == d.cert.sha256  # a patient client gets TLS
    with Client("::1", t.ports["xmpps-server"]) as c:
        assert sha256(c.tls(d.name)) == d.cert.sha256
        c.send(stream_header(d.name, "xmpps-server"))
        features = c.read_until(b"</stream:features>", limit=8 << 20, seconds=10)
        assert len(features) > 4 << 20 and b"<starttls" not in features
        assert b"<dialback xmlns='urn:xmpp:features:dialback'>" in features


def test_peer_no_starttls(bed, peers):
    d = peers["peer-no-starttls"]
    for service, address, port in peer_endpoints(d):
        with Client(address, port) as c:
            c.send(stream_header(d.name, service))
            features = c.read_until(b"</stream:features>")
            assert b"<starttls" not in features
            assert (b"dialback" if service == "xmpp-server" else b"<mechanisms") in features
            c.send(STARTTLS)  # anyway
            assert c.read_for(1.0) == f"<failure xmlns='{NS_TLS}'/></stream:stream>".encode()
            assert c.eof
    # Direct TLS goes to Prosody, healthy.
    for service in ("xmpps-client", "xmpps-server"):
        assert d.targets[1].name == f"xmpp.{d.name}"
        assert sha256(probe(d, service, target=1)[0]) == d.cert.sha256


@pytest.mark.parametrize("fault, answer", [
    ("peer-starttls-failure", f"<failure xmlns='{NS_TLS}'/></stream:stream>"),
    ("peer-close-after-proceed", f"<proceed xmlns='{NS_TLS}'/>")],
    ids=["starttls-failure", "close-after-proceed"])
def test_peer_starttls_answer_then_close(bed, peers, fault, answer):
    d = peers[fault]
    for service, address, port in peer_endpoints(d):
        with Client(address, port) as c:
            c.send(stream_header(d.name, service))
            features = c.read_until(b"</stream:features>")
            assert f"<starttls xmlns='{NS_TLS}'><required/></starttls>".encode() in features
            c.send(STARTTLS)
            assert c.read_for(1.0) == answer.encode() and c.eof
    t = peer_target(d)
    cp = run(["openssl", "s_client", "-connect", f"{t.addresses[0]}:{t.ports['xmpp-client']}",
              "-starttls", "xmpp", "-xmpphost", d.name])
    assert "no peer certificate available" in cp.stdout, cp.stdout + cp.stderr


def test_peer_garbage_tls(bed, peers):
    d = peers["peer-garbage-tls"]
    for service, address, port in peer_endpoints(d):
        host = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        argv = ["openssl", "s_client", "-connect", host]
        if service.startswith("xmpps"):
            argv += ["-servername", d.name]
        else:
            argv += ["-starttls", "xmpp" if service == "xmpp-client" else "xmpp-server",
                     "-xmpphost", d.name]
        cp = run(argv, timeout=5)
        assert cp.returncode != 0 and "no peer certificate available" in cp.stdout, cp.stdout
        assert "wrong version number" in cp.stderr, cp.stderr


def test_peer_https(bed, peers):
    d = peers["peer-https"]
    for service, address, port in peer_endpoints(d):
        alpn = service.replace("xmpps", "xmpp")
        chain = served(address, port, sni=d.name, alpn=alpn)
        assert sha256(chain[0]) == d.cert.sha256 and chain[1] == bed.ca.der
        with Client(address, port) as c:
            assert sha256(c.tls(d.name, alpn=alpn)) == d.cert.sha256
            assert c.sock.selected_alpn_protocol() is None  # like Prosody 0.12
            c.send(stream_header(d.name, service))
            reply = c.read_for(1.0)
            assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n") and c.eof, reply
    with Client(address, port) as c:
        c.tls(d.name)
        c.send(f"GET / HTTP/1.1\r\nHost: {d.name}\r\n\r\n".encode())
        assert c.read_for(1.0).startswith(b"HTTP/1.1 200 OK\r\n")
    # STARTTLS goes to Prosody, healthy.
    assert sha256(probe(d, "xmpp-client", target=1)[0]) == d.cert.sha256


def test_peer_stream_error(bed, peers):
    d = peers["peer-stream-error"]
    for service, address, port in peer_endpoints(d):
        with Client(address, port) as c:
            if service.startswith("xmpps"):
                assert sha256(c.tls(d.name)) == d.cert.sha256
            c.send(stream_header(d.name, service))
            reply = c.read_for(1.0)
            assert c.eof and b"<stream:features" not in reply
            assert reply.endswith(b"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:"
                                  b"xmpp-streams'/></stream:error></stream:stream>"), reply
            assert f"from='{d.name}'".encode() in reply


# --- certificate and TLSA faults -------------------------------------------------------------

CERT_FAULTS = ["cert-untrusted", "rsa-and-ecdsa", "tlsa-agility-trap", "tlsa-fragile",
               "tlsa-rollover", "dane-ta"]


@pytest.fixture(scope="module")
def cert_faults(bed):
    return {f: bed.derive(f) for f in CERT_FAULTS}


def dane(bed, domain, service, rrdata, sigalgs=None, cafile=None):
    """openssl s_client's DANE verdict (with the bed's CA for PKIX) on `service` of the domain's
    first target: (verified, output)."""
    t = domain.targets[0]
    argv = ["openssl", "s_client", "-connect", f"{t.addresses[0]}:{t.ports[service]}",
            "-CAfile", cafile or bed.ca.cert, "-verify_return_error"]
    if service.startswith("xmpps"):
        argv += ["-servername", domain.name]
    else:
        argv += ["-starttls", "xmpp" if service == "xmpp-client" else "xmpp-server",
                 "-xmpphost", domain.name]
    if rrdata is not None:
        argv += ["-dane_tlsa_domain", domain.name]
        for rr in rrdata:
            argv += ["-dane_tlsa_rrdata", rr]
    if sigalgs:
        argv += ["-sigalgs", sigalgs]
    cp = run(argv, timeout=5)
    out = cp.stdout + cp.stderr
    return "Verification: OK" in out and cp.returncode == 0, out


def published_tlsa(ub, domain, service):
    t = domain.targets[0]
    r = ub.resolve(f"_{t.ports[service]}._tcp.{t.name}", "TLSA")
    assert r.verdict == "secure", r
    return sorted(r.records)


def test_cert_untrusted(bed, ub, cert_faults):
    d = cert_faults["cert-untrusted"]
    assert bed.other_ca is not None and bed.other_ca.der != bed.ca.der
    for service in ("xmpp-client", "xmpps-server"):
        chain = probe(d, service)
        assert sha256(chain[0]) == d.cert.sha256 and chain[1:] == [bed.other_ca.der]
        rrs = published_tlsa(ub, d, service)
        assert rrs == [f"3 1 1 {d.cert.spki_sha256}"]
        ok, out = dane(bed, d, service, rrs)
        assert ok and "matched EE certificate at depth 0" in out, out
        ok, out = dane(bed, d, service, None)  # PKIX alone, against the bed's CA
        assert not ok and "self-signed certificate in certificate chain" in out, out
    assert run(["openssl", "verify", "-CAfile", bed.other_ca.cert, d.cert.cert]).returncode == 0
    assert d.faulty_endpoints and {tuple(e.codes) for e in d.faulty_endpoints} == \
        {("PKIX_UNTRUSTED",)}


def test_rsa_and_ecdsa(bed, ub, cert_faults):
    d = cert_faults["rsa-and-ecdsa"]
    ec, (rsa,) = d.cert, d.alt_certs["main"]
    assert (ec.key_type, rsa.key_type) == ("ec", "rsa") and rsa.dns_ids == ec.dns_ids
    for service in testbed.SERVICES:
        for sigalgs, want in (("RSA-PSS+SHA256:RSA+SHA256", rsa), ("ECDSA+SHA256", ec),
                              (None, ec)):
            t = d.targets[0]
            argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{t.ports[service]}",
                    "-showcerts"]
            if service.startswith("xmpps"):
                argv += ["-servername", d.name]
            else:
                argv += ["-starttls", "xmpp" if service == "xmpp-client" else "xmpp-server",
                         "-xmpphost", d.name]
            cp = run(argv + (["-sigalgs", sigalgs] if sigalgs else []), timeout=5)
            pems = PEM_RE.findall(cp.stdout)
            assert len(pems) == 2, cp.stdout + cp.stderr  # leaf + CA for either key
            assert sha256(ssl.PEM_cert_to_DER_cert(pems[0])) == want.sha256, (service, sigalgs)
    rrs = published_tlsa(ub, d, "xmpp-client")
    assert rrs == [f"3 1 1 {ec.spki_sha256}"]
    assert dane(bed, d, "xmpp-client", rrs, sigalgs="ECDSA+SHA256")[0]
    ok, out = dane(bed, d, "xmpp-client", rrs, sigalgs="RSA-PSS+SHA256:RSA+SHA256")
    assert not ok and "no matching DANE TLSA records" in out, out
    e = d.endpoints[0]
    assert [c.sha256 for c in e.certs] == [ec.sha256, rsa.sha256] and e.codes == ["TLSA_MISMATCH"]


def test_tlsa_agility_trap(bed, ub, cert_faults):
    d = cert_faults["tlsa-agility-trap"]
    rrs = published_tlsa(ub, d, "xmpps-client")
    assert len(rrs) == 2 and f"3 1 1 {d.cert.spki_sha256}" in rrs
    garbage = [r for r in rrs if r.startswith("3 1 2 ")]
    assert len(garbage) == 1 and len(garbage[0].split()[3]) == 128
    assert garbage[0].split()[3] != d.cert.spki_sha512
    # The matching SHA-256 record alone verifies; beside the SHA-512 one OpenSSL ignores it.
    assert dane(bed, d, "xmpps-client", [f"3 1 1 {d.cert.spki_sha256}"])[0]
    ok, out = dane(bed, d, "xmpps-client", rrs)
    assert not ok and "no matching DANE TLSA records" in out, out


def test_tlsa_fragile_rollover_and_dane_ta(bed, ub, cert_faults):
    d = cert_faults["tlsa-fragile"]
    leaf = probe(d, "xmpp-server")[0]
    rrs = published_tlsa(ub, d, "xmpp-server")
    assert rrs == [f"3 0 1 {sha256(leaf)}"] and sha256(leaf) == d.cert.sha256
    assert dane(bed, d, "xmpp-server", rrs)[0]
    assert d.faulty_endpoints[0].codes == ["TLSA_FRAGILE"]

    d = cert_faults["tlsa-rollover"]
    nxt = d.spare_certs["next"]
    assert nxt.spki_sha256 != d.cert.spki_sha256 and nxt.dns_ids == d.cert.dns_ids
    rrs = published_tlsa(ub, d, "xmpps-server")
    assert rrs == sorted([f"3 1 1 {d.cert.spki_sha256}",
                          f"3 1 1 {spki_sha256_by_openssl(nxt.der)}"])
    ok, out = dane(bed, d, "xmpps-server", rrs)
    assert ok and "matched EE certificate at depth 0" in out, out
    assert sha256(probe(d, "xmpps-server")[0]) == d.cert.sha256  # the next one is not served
    assert d.faulty_endpoints == [] and \
        "TLSA_NO_ROLLOVER_SLOT" in d.endpoints[0].shows[0].not_codes

    d = cert_faults["dane-ta"]
    rrs = published_tlsa(ub, d, "xmpp-client")
    assert rrs == [f"2 0 1 {hashlib.sha256(bed.ca.der).hexdigest()}"]
    ok, out = dane(bed, d, "xmpp-client", rrs)
    assert ok and "matched TA certificate at depth 1" in out, out
    assert d.faulty_endpoints == []


def test_faults_cli_lists_the_new_faults():
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(testbed.__file__)))
    cp = subprocess.run([sys.executable, "-m", "testbed", "faults"], capture_output=True,
                        text=True, timeout=TIMEOUT, env=env)
    assert cp.returncode == 0, cp.stderr
    listed = {line.split()[0] for line in cp.stdout.splitlines() if line.strip()}
    assert set(PEER_FAULTS) | set(CERT_FAULTS) <= listed
    assert len(PEER_FAULTS) == 11


# --- changing a domain in place -------------------------------------------------------------

def tlsa_of(bed, owner):
    verdict, out = unbound_host(bed, owner, "TLSA")
    return verdict, sorted(re.findall(r"TLSA record (3 1 1 [0-9A-F]+)", out))


def test_republish_breaks_and_repairs_a_domain(bed):
    d = bed.derive()
    name = f"xmpp.{d.name}"
    assert unbound_host(bed, name, "A")[0] == "secure"
    # More than a day past: unbound accepts up to val-sig-skew-max (1 day) of clock skew.
    d.spec.expiration = testbed.pki.utcnow() - dt.timedelta(days=2)
    d.spec.inception = d.spec.expiration - dt.timedelta(days=7)
    d = bed.republish(d)
    assert d.serial == 2
    assert unbound_host(bed, name, "A")[0] == "bogus"
    d.spec.expiration = d.spec.inception = None
    d = bed.republish(d)
    assert unbound_host(bed, name, "A")[0] == "secure"


def test_serve_cert_replaces_the_served_certificate(bed):
    d = bed.derive()
    old = d.cert
    new = bed.ca.issue(f"{d.name}-next", cn=d.name, dns=[d.name, d.muc], srv=list(old.srv_ids))
    bed.serve_cert(d, new)
    assert d.cert is new
    for service in testbed.SERVICES:
        assert sha256(probe(d, service)[0]) == new.sha256, service
    assert sha256(probe(d, "xmpp-server", host=d.muc)[0]) == new.sha256
    # DNS is left alone: the published TLSA still pins the old key.
    owner = f"_{d.port('xmpp-client')}._tcp.{d.target.name}"
    assert tlsa_of(bed, owner) == ("secure", [f"3 1 1 {old.spki_sha256.upper()}"])


def test_inline_signed_zone_follows_fragment_and_reload(bed):
    # The file publisher's way: write the fragment, bump the source serial, rndc reload.
    d = bed.derive("inline-signed")
    pub = d.publisher
    owner = f"_{d.port('xmpp-client')}._tcp.{d.target.name}"
    assert tlsa_of(bed, owner) == ("secure", [f"3 1 1 {d.cert.spki_sha256.upper()}"])
    extra = "ab" * 32
    with open(pub["fragment"], "a") as f:
        f.write(f"{owner}. 300 IN TLSA 3 1 1 {extra}\n")
    with open(pub["zone_file"]) as f:
        text = f.read()
    with open(pub["zone_file"], "w") as f:
        f.write(text.replace(" 1 3600 600 86400 60", " 2 3600 600 86400 60"))
    assert run(pub["reload_command"]).returncode == 0
    deadline = time.monotonic() + 5
    while tlsa_of(bed, owner)[1] != sorted([f"3 1 1 {d.cert.spki_sha256.upper()}",
                                            f"3 1 1 {extra.upper()}"]):
        assert time.monotonic() < deadline, tlsa_of(bed, owner)
        time.sleep(0.1)
    assert tlsa_of(bed, owner)[0] == "secure"


def test_updatable_zone_takes_tsig_signed_updates(bed):
    # The update publisher's way: RFC 2136 UPDATE with TSIG; named signs the change at once.
    d = bed.derive("updatable")
    pub = d.publisher
    owner = f"_{d.port('xmpp-client')}._tcp.{d.target.name}"
    extra = "cd" * 32
    script = (f"server {pub['update_server']} {pub['update_port']}\nzone {d.name}\n"
              f"update add {owner}. 300 IN TLSA 3 1 1 {extra}\nsend\n")
    cp = run(["nsupdate", "-k", pub["tsig_key_file"]], input=script)
    assert cp.returncode == 0, cp.stderr
    deadline = time.monotonic() + 5
    while f"3 1 1 {extra.upper()}" not in tlsa_of(bed, owner)[1]:
        assert time.monotonic() < deadline, tlsa_of(bed, owner)
        time.sleep(0.1)
    assert tlsa_of(bed, owner)[0] == "secure"
    # Without the key the update is refused.
    cp = run(["nsupdate"], input=script.replace("cd" * 32, "ef" * 32))
    assert cp.returncode != 0 and "REFUSED" in cp.stdout + cp.stderr


def test_info_is_json_and_complete(bed):
    info = json.loads(json.dumps(bed.info()))
    good = info["domains"]["good.example"]
    assert os.path.exists(good["cert"]) and os.path.exists(good["key"])
    assert good["ports"] == bed.servers["main"].ports
    assert set(info["pids"]) >= {"named", "prosody-main"}
    for path in (info["unbound_conf"], info["ca"]["cert"], *info["trust_anchor"].values()):
        assert os.path.exists(path), path


# --- lifecycle ------------------------------------------------------------------------------

def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_second_bed_runs_beside_the_first_and_stops_cleanly(bed, tmp_path):
    with testbed.Bed(str(tmp_path / "bed2")) as other:
        assert other.named.port != bed.named.port
        ours, theirs = bed.servers["main"].ports.values(), other.servers["main"].ports.values()
        assert not set(ours) & set(theirs)
        other.derive("second-server")
        other.derive("peer-silent")
        pids = other.pids()
        assert set(pids) == {"named", "prosody-main", "prosody-second", "ns2-relay",
                             "ns3-blackhole", "peer-silent"}
        # Same peer address in both beds, other ports.
        assert other.peers["silent"].addresses == ["127.0.0.10", "::1"]
        assert all(pid_alive(p) for p in pids.values())
        verdict, out = unbound_host(other, "_xmpp-client._tcp.good.example", "SRV")
        assert verdict == "secure", out
    assert not [p for p in pids.values() if pid_alive(p)]
    logs = other.logs()
    assert "running" in logs["named"] and "Prosody" in logs["prosody-main"]
    assert "testbed: generation" in logs["prosody-second"]
    assert pid_alive(bed.named.server.pid)  # the session's bed is untouched


def test_cli_up_prints_json_and_stops_on_sigterm(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(testbed.__file__)))
    proc = subprocess.Popen([sys.executable, "-m", "testbed", "up", "--dir", tmp_path / "cli",
                             "--fault", "ns-unreachable", "--bulk", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, f"testbed up ended early: {proc.stderr.read()}"
            lines.append(line)
            if line.rstrip() == "}":
                break
        info = json.loads("".join(lines))
        assert info["dir"] == str(tmp_path / "cli")
        assert info["bulk"]["names"] == ["bench-1.example", "bench-2.example", "bench-3.example"]
        assert info["domains"]["ns-unreachable-1.example"]["ns"] == \
            [["ns1.example", "127.0.0.1"], ["ns3.example", "127.0.0.3"]]
        assert {n["port"] for n in info["nameservers"].values()} == {info["named"]["port"]}
        pids = list(info["pids"].values())
        assert pids and all(pid_alive(p) for p in pids)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0, proc.stderr.read()
        assert not [p for p in pids if pid_alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(TIMEOUT)
