# SPDX-License-Identifier: BSD-3-Clause
"""The pieces a certificate-rollover test stands on: a caching validating resolver (the real
unbound on loopback, testbed/resolver.py) and a prober that every 0.5 s resolves a target's
TLSA through it, connects with STARTTLS and DANE-verifies with `openssl s_client`
(prober.py). A healthy domain: no failure. A TLSA that matches nothing: every attempt fails
DANE verification. A bogus, missing or insecure TLSA: every attempt fails at DNS. A TLSA RRset
changed on named: the resolver answers the old one until its TTL runs out (what makes a
rollover test meaningful), and the prober, whose certificate both RRsets match, sees the
switch without a failure."""

import os
import secrets
import time

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype
import pytest
from prober import Prober

from testbed.resolver import CachingResolver


def tlsa_of(response, owner):
    """(sorted TLSA RDATA text, TTL) in a response, ([], None) if there is none."""
    want = dns.name.from_text(owner)
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.TLSA and rrset.name == want:
            return sorted(rd.to_text().lower() for rd in rrset), rrset.ttl
    return [], None


def owner_of(domain, service="xmpp-client"):
    t = domain.target
    return f"_{t.ports[service]}._tcp.{t.name}"


def pid_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def resolver(bed, tmp_path_factory):
    """One running unbound for the module (its cache lives as long), stopped at teardown."""
    r = CachingResolver(bed, str(tmp_path_factory.mktemp("unbound"))).start()
    yield r
    r.stop()


def unbound_log(resolver):
    return f"\n--- {resolver.log_path} ---\n{resolver.log_tail()}"


def test_healthy_domain_no_failures(bed, resolver):
    d = bed.derive()
    owner = owner_of(d)
    with Prober.for_domain(resolver, d) as p:
        time.sleep(4)
    attempts = p.attempts
    assert len(attempts) >= 6, p.summary()
    assert p.failures == [], p.summary() + unbound_log(resolver)
    for a in attempts:
        assert a.tlsa == d.target.tlsa[owner], p.summary()
        assert a.matched == d.cert.tlsa(3, 1, 1), a
        assert a.dane.endswith("matched EE certificate at depth 0"), a
        assert a.cert_sha256 == d.cert.sha256, a
        assert a.address == "127.0.0.1"
    # Attempts are 0.5 s apart, and after the first the TLSA comes from the resolver's cache:
    # its TTL counts down from the zone's.
    starts = [a.mono for a in attempts]
    assert all(0.4 < b - a < 1.5 for a, b in zip(starts, starts[1:])), starts
    assert attempts[0].tlsa_ttl <= d.spec.ttl
    assert attempts[-1].tlsa_ttl <= attempts[0].tlsa_ttl - 2, [a.tlsa_ttl for a in attempts]


@pytest.mark.parametrize("fault, depth", [("tlsa-rollover", 0), ("dane-ta", 1)])
def test_which_record_matched(bed, resolver, fault, depth):
    """tlsa-rollover: the served key's 3 1 1 and the next key's, which is not served;
    dane-ta: only 2 0 1 of the bed CA, matched in the served chain. The prober names the
    record OpenSSL matched."""
    d = bed.derive(fault)
    published = sorted(d.target.tlsa[owner_of(d)])
    assert len(published) == (2 if fault == "tlsa-rollover" else 1)
    want = d.cert.tlsa(3, 1, 1) if fault == "tlsa-rollover" else bed.ca.tlsa(2, 0, 1)
    with Prober.for_domain(resolver, d) as p:
        p.wait_attempts(3)
    assert p.failures == [], p.summary()
    for a in p.attempts:
        assert a.tlsa == published and a.matched == want, a
        assert a.dane.endswith(f"at depth {depth}"), a


def test_tlsa_mismatch_fails_dane(bed, resolver):
    """tlsa-mismatch: the TLSA record is secure and matches no certificate Prosody serves."""
    d = bed.derive("tlsa-mismatch")
    published = d.target.tlsa[owner_of(d)]
    with Prober.for_domain(resolver, d) as p:
        p.wait_attempts(3)
    attempts = p.attempts
    assert attempts and len(p.failures) == len(attempts), p.summary()
    for a in p.failures:
        assert a.stage == "dane", p.summary()
        assert a.reason.startswith("DANE verification failed"), a.reason
        assert "no matching DANE TLSA records" in a.reason, a.reason
        assert a.tlsa == published and a.matched is None
    assert "FAILED at dane" in p.summary()


@pytest.mark.parametrize("fault, stage, reason", [
    ("expired-rrsig", "dns-tlsa", "rcode SERVFAIL"),  # bogus
    ("missing-tlsa", "dns-tlsa", "rcode NXDOMAIN, AD set"),  # securely denied
    ("unsigned", "dns-tlsa", "not secure (AD not set)"),  # insecure
])
def test_dns_failures_stop_before_tls(bed, resolver, fault, stage, reason):
    d = bed.derive(fault)
    with Prober.for_domain(resolver, d) as p:
        p.wait_attempts(2)
    assert p.attempts and len(p.failures) == len(p.attempts), p.summary()
    for a in p.failures:
        assert (a.stage, a.output) == (stage, ""), p.summary()
        assert reason in a.reason, p.summary()


def test_resolver_caches_tlsa_for_its_ttl(bed, resolver):
    """Change a TLSA RRset (add a pre-published next key, as a rollover does) and republish:
    named serves the new RRset at once, the resolver the old one until the TTL it had runs
    out, then the new one. A prober running throughout never fails (the served key is in
    both) and sees the change only after the TTL."""
    ttl = 5
    spec = bed.new_spec(kind="short-ttl")
    spec.ttl = ttl
    d = bed.add_domain(spec)
    owner = owner_of(d)
    old = sorted(d.target.tlsa[owner])

    # unbound counts TTLs in whole seconds from when it fetched, between these two instants.
    asking = time.monotonic()
    first, first_ttl = tlsa_of(resolver.query(owner, "TLSA"), owner)
    cached_at = time.monotonic()
    assert first == old and ttl - 1 <= first_ttl <= ttl
    p = Prober.for_domain(resolver, d).start()
    try:
        nxt = "3 1 1 " + secrets.token_hex(32)  # the next key's SPKI digest
        for t in d.spec.targets:
            t.tlsa = [*old, nxt]
        d = bed.republish(d)
        new = sorted(d.target.tlsa[owner])
        assert new == sorted([*old, nxt])
        assert tlsa_of(bed.query(owner, "TLSA"), owner)[0] == new

        # Until the TTL runs out: the old RRset, secure, its TTL counting down.
        r = resolver.query(owner, "TLSA")
        still, left = tlsa_of(r, owner)
        asked = time.monotonic() - cached_at
        assert asked < ttl - 1, f"republish took too long ({asked:.1f}s) to see the cache"
        assert still == old, f"the resolver gave the new RRset {asked:.1f}s after caching"
        assert r.flags & dns.flags.AD
        assert 0 < left <= ttl

        # Then the new one, within a second or two of the expiry.
        while True:
            got, _ = tlsa_of(resolver.query(owner, "TLSA"), owner)
            since = time.monotonic() - asking
            if got != old:
                break
            assert since < ttl + 2, f"still the old RRset {since:.1f}s after caching"
            time.sleep(0.1)
        assert got == new
        # Expiry is at the fetch's whole second + TTL: more than TTL - 1 s after `asking`.
        assert since > ttl - 1, f"new RRset after {since:.1f}s, before the TTL ({ttl}s) ran out"
        p.wait_attempts(len(p.attempts) + 2)
    finally:
        p.stop()
    assert p.failures == [], p.summary() + unbound_log(resolver)
    # An attempt starts a moment before its query: allow that much before the expiry.
    seen = [(round(a.mono - asking, 2), a.tlsa) for a in p.attempts]
    assert any(tlsa == old for _, tlsa in seen) and seen[-1][1] == new, seen
    assert all(at > ttl - 1.1 for at, tlsa in seen if tlsa == new), seen
    assert all(a.matched == d.cert.tlsa(3, 1, 1) for a in p.attempts)


def test_resolver_refuses_other_names_flushes_and_stops(bed, tmp_path):
    """A resolver of its own: names outside example. are REFUSED locally; flush() empties
    the cache (a restart on the same port); stop() leaves no process behind."""
    r = CachingResolver(bed, str(tmp_path / "unbound")).start()
    try:
        assert r.query("www.example.com", "A").rcode() == dns.rcode.REFUSED
        owner = owner_of(bed.good)
        full = bed.good.spec.ttl
        _, ttl0 = tlsa_of(r.query(owner, "TLSA"), owner)
        time.sleep(2.1)
        _, ttl1 = tlsa_of(r.query(owner, "TLSA"), owner)
        # Whole seconds: a fetch that straddles a second may already show full - 1.
        assert full - 1 <= ttl0 <= full and ttl1 <= full - 2, (ttl0, ttl1)
        pid, port = r.pid, r.port
        r.flush()
        assert r.port == port and r.pid != pid and not pid_exists(pid)
        assert tlsa_of(r.query(owner, "TLSA"), owner)[1] >= full - 1
    finally:
        pid = r.pid
        r.stop()
    assert not r.alive() and not pid_exists(pid)
    r.stop()  # idempotent
