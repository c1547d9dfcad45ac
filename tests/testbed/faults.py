# SPDX-License-Identifier: BSD-3-Clause
"""What a bed domain looks like (DomainSpec) and the catalog of faults: each fault is a small
function that edits a healthy spec before the bed builds it, so adding a fault is one function."""

import datetime as dt
import secrets
from dataclasses import dataclass, field

from .hostile import BEHAVIOURS, DIRECT_SERVICES, STARTTLS_SERVICES
from .peers import PEER_ADDRESSES
from .pki import ca_tlsa, utcnow
from .proc import BedError
from .xmpp import SERVICES


@dataclass
class CertSpec:
    """The certificate a server presents for a domain (see CA.issue for the meaning)."""

    cn: str
    dns: list
    srv: list
    xmpp: list
    not_before: dt.datetime = None
    not_after: dt.datetime = None
    key_type: str = "ec"
    key: str = None  # reuse this private key file
    ca: str = "bed"  # the issuer: "bed" (the bed's CA, --ca-file) or "other" (a CA nobody trusts)
    # More certificates with the same names and these key types, which the server presents
    # too (Prosody picks one by the client's signature algorithms), e.g. ("rsa",).
    alt_key_types: tuple = ()

    @classmethod
    def for_domain(cls, domain, muc=None, target=None):
        """A correct certificate: DNS-IDs for the domain, its MUC and its SRV target, SRV-IDs
        for both XMPP services, the domain as xmppAddr and CN."""
        dns = [domain] + ([muc] if muc else []) + ([target] if target else [])
        srv = [f"_xmpp-client.{domain}", f"_xmpp-server.{domain}"]
        if muc:
            srv.append(f"_xmpp-server.{muc}")
        return cls(cn=domain, dns=dns, srv=srv, xmpp=[domain])


@dataclass
class TargetSpec:
    """One SRV target of a domain: a name in the domain's zone served by one bed Prosody.

    `server` is "main" or "second" (a bed Prosody) or "peer-<behaviour>" (a hostile peer,
    hostile.py, where it completes TLS it presents the main server's certificate for the domain).
    `tlsa` is "match" (3 1 1 of the certificate that server presents for the domain),
    "mismatch" (a 3 1 1 record matching nothing), "none", a list of RDATA strings, or a
    function (Cert) -> list of RDATA strings (or (Cert, spare certs by name) -> list). `cname`,
    if set, makes the target a CNAME to that label, which then carries the addresses (an
    invalid SRV target, RFC 2782). `shows` says what a check should find at this target's
    endpoints (a list of Shows).
    """

    label: str = "xmpp"
    server: str = "main"
    services: tuple = SERVICES
    addresses: list = None  # default: every address the server listens on
    tlsa: object = "match"
    priority: int = 0
    weight: int = 5
    cname: str = None
    shows: list = field(default_factory=list)  # [Shows]: what a check finds at the endpoints


@dataclass
class Shows:
    """What a check should report at the endpoints of a target because of `fault`: findings
    with one of `codes` (DESIGN.md's catalog; empty: none), never one of `not_codes`, on
    `services` (None: every service of the target)."""

    fault: str
    codes: tuple = ()
    not_codes: tuple = ()
    services: tuple = None

    def info(self):
        return {"fault": self.fault, "codes": list(self.codes), "not_codes": list(self.not_codes)}


@dataclass
class SecondarySpec:
    """What the second authoritative server (ns2: 127.0.0.2 on the bed's named port, a relay to
    a second named) serves for a zone: the same records signed with the same KSK, its SOA
    serial `serial_lag` below the primary's, and its DNSKEY set by `dnskey`: "same" (the
    primary's KSK and ZSK), "other-zsk" (KSK and another ZSK, which signs everything) or
    "extra-zsk" (KSK, the primary's ZSK, which signs, and another ZSK, only published)."""

    serial_lag: int = 0
    dnskey: str = "same"


@dataclass
class DomainSpec:
    """Everything the bed builds for one domain, in its own child zone of `example.`.

    Signing: `signed`, RRSIG window `inception`/`expiration`, `nsec3` = (salt, iterations),
    `algorithm` (dnssec-keygen's name for the zone's KSK and ZSK).
    Delegation: `ds` is "match", "other-key" (DS of a key the zone does not use) or "none";
    `ds_digests` the DS digest types published. `certs` maps a server ("main", "second") to
    the certificate it presents for this domain and its MUC. `extra_records` are zone-file lines
    appended to the zone; `zone_text` replaces the whole zone file. `zone_options` replaces the
    body of named's zone statement (`{file}` stands for the zone file), e.g. to make it a
    secondary that never loads.

    `signing` "offline" signs with dnssec-signzone (any RRSIG window, NSEC3); "inline" lets
    named sign (dnssec-policy, one CSK) so that the zone can change the way a publisher
    changes it: `fragment` moves the TLSA records into an $INCLUDEd file (the file publisher's
    fragment), `updatable` allows RFC 2136 updates signed with the bed's TSIG key.
    `params` holds free-form options (`target_vhost`: also a VirtualHost for each target).
    `spare_certs` are certificates issued for the domain but not served (name -> CertSpec,
    e.g. "next" for a pre-published rollover key), handed to TLSA functions.

    Name servers: `nameservers` lists the roles in the zone's NS set (and the parent's
    delegation): "ns1" the bed's named (127.0.0.1), "ns2" a second named behind a relay
    (127.0.0.2) serving what `secondary` says, "ns3" a black hole (127.0.0.3); all on the one
    port of the bed's named. `serial` is the primary's first SOA serial. `srv` is True, False
    (no SRV records) or "dot" (every SRV RRset is `0 0 0 .`). `unsigned_child` (a label, e.g.
    "hosts") makes `<label>.<name>` an unsigned zone delegated without DS: records at or below
    it (say a target "xmpp.hosts") go there and are insecure.
    """

    name: str
    kind: str = "ok"
    ttl: int = 300
    muc: bool = True
    srv: bool = True
    targets: list = field(default_factory=lambda: [TargetSpec()])
    certs: dict = field(default_factory=dict)
    signed: bool = True
    inception: dt.datetime = None
    expiration: dt.datetime = None
    nsec3: tuple = None
    ds: str = "match"
    ds_digests: tuple = (2,)
    extra_records: list = field(default_factory=list)
    zone_text: str = None
    zone_options: str = None
    signing: str = "offline"
    algorithm: str = "ECDSAP256SHA256"  # dnssec-keygen's name for the zone's keys
    fragment: bool = False
    updatable: bool = False
    nameservers: list = field(default_factory=lambda: ["ns1"])
    secondary: SecondarySpec = None
    serial: int = 1
    unsigned_child: str = None
    params: dict = field(default_factory=dict)
    spare_certs: dict = field(default_factory=dict)

    @property
    def muc_name(self):
        return f"conference.{self.name}" if self.muc else None

    def target_name(self, target):
        if target.label.endswith("."):
            return target.label.rstrip(".")
        return f"{target.label}.{self.name}"

    @classmethod
    def healthy(cls, name, kind="ok"):
        spec = cls(name=name, kind=kind)
        spec.certs["main"] = CertSpec.for_domain(name, spec.muc_name,
                                                 spec.target_name(spec.targets[0]))
        return spec


# Fault name -> function(spec, bed, **params). Registered with @fault.
FAULTS = {}


def fault(name):
    """Register a fault: a function that edits a healthy DomainSpec in place."""
    def register(fn):
        if name in FAULTS:
            raise ValueError(f"fault {name!r} registered twice")
        FAULTS[name] = fn
        return fn
    return register


def apply_fault(name, spec, bed, params):
    try:
        fn = FAULTS[name]
    except KeyError:
        raise BedError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULTS))}") from None
    fn(spec, bed, **params)


# --- DNSSEC faults -------------------------------------------------------------------------

@fault("unsigned")
def _unsigned(spec, bed):
    """The zone is not signed and the parent has no DS: every answer is insecure."""
    spec.signed = False
    spec.ds = "none"


@fault("island")
def _island(spec, bed):
    """Signed, but no DS in the parent (an island of trust): insecure from the bed's anchor."""
    spec.ds = "none"


@fault("wrong-ds")
def _wrong_ds(spec, bed):
    """The parent's DS is for a key the zone does not use: the chain breaks, answers are bogus."""
    spec.ds = "other-key"


@fault("ds-sha1")
def _ds_sha1(spec, bed):
    """The parent publishes only a SHA-1 DS (digest type 1) for the right key: secure, but weak."""
    spec.ds_digests = (1,)


@fault("algorithm-rsasha1")
def _algorithm_rsasha1(spec, bed):
    """Signed with RSASHA1 (algorithm 5), which RFC 8624 says not to sign with: still secure."""
    spec.algorithm = "RSASHA1"


@fault("algorithm-ed448")
def _algorithm_ed448(spec, bed):
    """Signed with ED448 (algorithm 16), which Debian's libunbound (nettle) cannot verify: it
    looks insecure to xdane, while BIND's delv validates it."""
    spec.algorithm = "ED448"


@fault("expired-rrsig")
def _expired_rrsig(spec, bed, days_ago=2):
    """Every RRSIG of the zone expired `days_ago` days ago: bogus. (unbound tolerates clock
    skew of 10% of the signature's validity, between 1 hour and 1 day: a signature expired
    less than a day ago may still validate.)"""
    now = utcnow()
    spec.inception = now - dt.timedelta(days=30)
    spec.expiration = now - dt.timedelta(days=days_ago)


@fault("expiring-rrsig")
def _expiring_rrsig(spec, bed, hours=24):
    """Every RRSIG of the zone expires in `hours` hours: still secure, but soon not."""
    now = utcnow()
    spec.inception = now - dt.timedelta(hours=1)
    spec.expiration = now + dt.timedelta(hours=hours)


@fault("nsec3-iterations")
def _nsec3_iterations(spec, bed, iterations=10, salt="abcd"):
    """NSEC3 with extra iterations (RFC 9276 wants 0). Above 150 (signed by ldns-signzone:
    dnssec-signzone refuses) unbound still validates positive answers, but treats denials
    (NXDOMAIN, NODATA) as insecure."""
    if iterations < 0 or iterations > 65535:
        raise BedError(f"NSEC3 iterations {iterations} out of range")
    spec.nsec3 = (salt, iterations)


@fault("servfail")
def _servfail(spec, bed):
    """Delegated to named, which cannot load the zone (a secondary whose primary refuses):
    every lookup in it gets SERVFAIL at once (a dead server would keep unbound busy, NOTES.md)."""
    spec.signed = False
    spec.ds = "none"
    # Port 1 on loopback: nothing listens, the transfer is refused at once (no packet leaves).
    spec.zone_options = 'type secondary; primaries { 127.0.0.1 port 1; }; file "{file}";'


# --- name server faults ---------------------------------------------------------------------

def _add_nameserver(spec, role):
    # Faults add to the NS set, so that they combine (secondary-old-serial+ns-unreachable).
    if role not in spec.nameservers:
        spec.nameservers.append(role)


@fault("secondary-old-serial")
def _secondary_old_serial(spec, bed, lag=1):
    """NS set ns1 (127.0.0.1) and ns2 (127.0.0.2, same port): ns2 serves the same zone, same
    keys, validly signed, but with the SOA serial `lag` below ns1's (ns1 starts at 1 + lag)."""
    if lag < 1:
        raise BedError("secondary-old-serial wants lag >= 1")
    _add_nameserver(spec, "ns2")
    spec.serial = 1 + lag
    spec.secondary = spec.secondary or SecondarySpec()
    spec.secondary.serial_lag = lag


@fault("secondary-other-dnskey")
def _secondary_other_dnskey(spec, bed, dnskey="other-zsk"):
    """NS set ns1 and ns2 (127.0.0.2): ns2 serves the same records and SOA serial, validly
    signed by the same KSK (so the DS matches), but with another DNSKEY set: "other-zsk" (its
    own ZSK instead of ns1's) or "extra-zsk" (ns1's keys plus another ZSK)."""
    if dnskey not in ("other-zsk", "extra-zsk"):
        raise BedError(f"secondary-other-dnskey: dnskey={dnskey!r}, want other-zsk or extra-zsk")
    _add_nameserver(spec, "ns2")
    spec.secondary = spec.secondary or SecondarySpec()
    spec.secondary.dnskey = dnskey


@fault("ns-unreachable")
def _ns_unreachable(spec, bed):
    """NS set ns1 (127.0.0.1) and ns3 (127.0.0.3, same port), where a black hole reads UDP and
    accepts TCP but never answers. Resolution through the bed's unbound.conf still only asks
    127.0.0.1 (a forwarder), so it stays quick; querying ns3 directly times out."""
    _add_nameserver(spec, "ns3")


# --- variants (not faults): zones a publisher can change ------------------------------------

@fault("inline-signed")
def _inline_signed(spec, bed):
    """Healthy, but signed by named itself (inline-signing) with the TLSA records in an
    $INCLUDEd fragment: the peer of xdane's file publisher (bump the source serial, then
    rndc reload)."""
    spec.signing = "inline"
    spec.fragment = True


@fault("updatable")
def _updatable(spec, bed):
    """Healthy, signed by named itself, and open to RFC 2136 updates signed with the bed's
    TSIG key (the peer of xdane's update publisher); rndc reload is refused for it."""
    spec.signing = "inline"
    spec.updatable = True


# --- DNS record faults ---------------------------------------------------------------------

@fault("tlsa-mismatch")
def _tlsa_mismatch(spec, bed):
    """Every TLSA record is well-formed 3 1 1 data that matches no certificate."""
    for t in spec.targets:
        t.tlsa = "mismatch"
        t.shows.append(Shows("tlsa-mismatch", ("TLSA_MISMATCH",)))


@fault("missing-tlsa")
def _missing_tlsa(spec, bed):
    """Secure SRV and addresses, but no TLSA records at all."""
    for t in spec.targets:
        t.tlsa = "none"
        t.shows.append(Shows("missing-tlsa", ("TLSA_MISSING",)))


@fault("target-no-address")
def _target_no_address(spec, bed, nxdomain=False):
    """The SRV target exists (a TXT record and its TLSA records) but has neither A nor AAAA:
    NODATA, securely denied. With nxdomain=True the target name does not exist at all (no
    TLSA either): NXDOMAIN."""
    t = spec.targets[0]
    t.addresses = []
    if nxdomain:
        t.tlsa = "none"
    else:
        spec.extra_records.append(f"{spec.target_name(t)}. IN TXT \"testbed: no A, no AAAA\"")


@fault("target-insecure")
def _target_insecure(spec, bed):
    """The SRV target xmpp.hosts.<domain> lives in the unsigned zone hosts.<domain> (delegated
    without DS): SRV is secure, the target's A (127.0.0.1), AAAA (::1) and TLSA are insecure.
    Same Prosody ports and certificate (which names the target)."""
    spec.unsigned_child = "hosts"
    t = spec.targets[0]
    t.label = "xmpp.hosts"
    spec.certs["main"] = CertSpec.for_domain(spec.name, spec.muc_name, spec.target_name(t))


@fault("missing-srv")
def _missing_srv(spec, bed):
    """No SRV records for any service (NXDOMAIN at every _service._tcp name); the domain has
    A 127.0.0.1 and AAAA ::1 at its apex, so a client's fallback to the domain resolves."""
    spec.srv = False
    spec.extra_records += [f"{spec.name}. IN A 127.0.0.1", f"{spec.name}. IN AAAA ::1"]


@fault("srv-dot")
def _srv_dot(spec, bed):
    """Every SRV RRset (the four services and the MUC's s2s) is the single record `0 0 0 .`:
    the service is decidedly not available (RFC 2782). The target's records stay, unused."""
    spec.srv = "dot"


@fault("srv-target-cname")
def _srv_target_cname(spec, bed):
    """The SRV target is a CNAME (to a name with the addresses), which RFC 2782 forbids."""
    spec.targets[0].cname = "real-xmpp"


# --- certificate and server faults ---------------------------------------------------------

def _presents_main_cert(target):
    return target.server == "main" or target.server.startswith("peer-")


def _show_main(spec, shows):
    """Note `shows` on every target that presents the main server's certificate."""
    for t in spec.targets:
        if _presents_main_cert(t):
            t.shows.append(shows)

@fault("cert-wrong-name")
def _cert_wrong_name(spec, bed, other="elsewhere.example"):
    """The server presents a valid certificate (its TLSA matches) for another name only."""
    spec.certs["main"] = CertSpec(cn=other, dns=[other], srv=[f"_xmpp-client.{other}",
                                  f"_xmpp-server.{other}"], xmpp=[other])
    _show_main(spec, Shows("cert-wrong-name", ("CERT_NAME_MISMATCH",)))


@fault("cert-expired")
def _cert_expired(spec, bed, days_ago=1):
    """The server presents the right names, but the certificate expired `days_ago` days ago."""
    c = spec.certs["main"]
    now = utcnow()
    c.not_before = now - dt.timedelta(days=90)
    c.not_after = now - dt.timedelta(days=days_ago)
    _show_main(spec, Shows("cert-expired", ("CERT_EXPIRED",)))


@fault("cert-expiring")
def _cert_expiring(spec, bed, days=7):
    """The server's certificate is valid but expires in `days` days."""
    c = spec.certs["main"]
    c.not_before = utcnow() - dt.timedelta(days=80)
    c.not_after = utcnow() + dt.timedelta(days=days)
    _show_main(spec, Shows("cert-expiring", ("CERT_EXPIRING",)))


@fault("cert-rsa")
def _cert_rsa(spec, bed):
    """The server presents an RSA certificate instead of ECDSA (slower to set up)."""
    spec.certs["main"].key_type = "rsa"


@fault("second-server")
def _second_server(spec, bed):
    """A second Prosody on 127.0.0.2 also serves the domain, with another certificate (another
    key, same names); the SRV RRsets list both targets, each with TLSA matching its server."""
    spec.targets.append(TargetSpec(label="xmpp2", server="second"))
    main = spec.certs["main"]
    spec.certs["second"] = CertSpec(cn=main.cn, dns=[d for d in main.dns] + [f"xmpp2.{spec.name}"],
                                    srv=list(main.srv), xmpp=list(main.xmpp))


@fault("cert-untrusted")
def _cert_untrusted(spec, bed):
    """The server presents a certificate (right names, valid dates) from a second CA that is
    not the bed's CA (chain: leaf + that CA; bed.other_ca); TLSA 3 1 1 matches it: DANE ok,
    PKIX against --ca-file fails."""
    spec.certs["main"].ca = "other"
    _show_main(spec, Shows("cert-untrusted", ("PKIX_UNTRUSTED",)))


@fault("rsa-and-ecdsa")
def _rsa_and_ecdsa(spec, bed):
    """Prosody holds two certificates for the domain, ECDSA (Domain.cert) and RSA
    (Domain.alt_certs["main"]), same names: a client offering only RSA signature algorithms
    gets the RSA one, any other the ECDSA one. TLSA 3 1 1 only for the ECDSA key."""
    c = spec.certs["main"]
    if c.key_type != "ec":
        raise BedError("rsa-and-ecdsa wants an ECDSA main certificate (not with cert-rsa)")
    c.alt_key_types = ("rsa",)
    _show_main(spec, Shows("rsa-and-ecdsa", ("TLSA_MISMATCH",)))


@fault("tlsa-agility-trap")
def _tlsa_agility_trap(spec, bed):
    """TLSA 3 1 1 matching the certificate plus 3 1 2 with 64 random octets: by digest agility
    (RFC 7671 9) peers use only the strongest matching type of a usage and selector, so OpenSSL
    ignores the matching SHA-256 record and DANE fails."""
    garbage = secrets.token_hex(64)
    for t in spec.targets:
        if _presents_main_cert(t):
            t.tlsa = lambda cert: [cert.tlsa(3, 1, 1), f"3 1 2 {garbage}"]
            t.shows.append(Shows("tlsa-agility-trap", ("TLSA_AGILITY_TRAP",)))


@fault("tlsa-fragile")
def _tlsa_fragile(spec, bed):
    """Only TLSA 3 0 1 (SHA-256 of the whole certificate), matching: DANE ok, but every renewal
    breaks it."""
    for t in spec.targets:
        if _presents_main_cert(t):
            t.tlsa = lambda cert: [cert.tlsa(3, 0, 1)]
            t.shows.append(Shows("tlsa-fragile", ("TLSA_FRAGILE",)))


@fault("tlsa-rollover")
def _tlsa_rollover(spec, bed):
    """Two TLSA 3 1 1 records: the served key and a pre-published next key (a certificate with
    the same names, Domain.spare_certs["next"], not served; bed.serve_cert(d, it) completes the
    rollover): healthy, with a rollover slot."""
    c = spec.certs["main"]
    spec.spare_certs["next"] = CertSpec(cn=c.cn, dns=list(c.dns), srv=list(c.srv),
                                        xmpp=list(c.xmpp), key_type=c.key_type, ca=c.ca)
    for t in spec.targets:
        if _presents_main_cert(t):
            t.tlsa = lambda cert, spares: [cert.tlsa(3, 1, 1), spares["next"].tlsa(3, 1, 1)]
            t.shows.append(Shows("tlsa-rollover", (), ("TLSA_NO_ROLLOVER_SLOT",
                                                       "TLSA_MISMATCH")))


@fault("dane-ta")
def _dane_ta(spec, bed):
    """Only TLSA 2 0 1: SHA-256 of the issuing CA's certificate (the bed's CA), which the server
    sends after the leaf: DANE-TA matches at depth 1 (names and dates are checked)."""
    for t in spec.targets:
        if _presents_main_cert(t):
            t.tlsa = lambda cert: [ca_tlsa(cert, 2, 0, 1)]
            t.shows.append(Shows("dane-ta", (), ("TLSA_MISMATCH",)))


# --- hostile peers (hostile.py) ---------------------------------------------------------------

# Behaviour -> finding codes a check should report on its STARTTLS and Direct TLS endpoints.
PEER_FINDINGS = {
    "silent": {"starttls": ("XMPP_STREAM_FAILED",), "direct": ("TLS_HANDSHAKE_FAILED",)},
    "endless-xml": {"starttls": ("XMPP_STREAM_FAILED",), "direct": ("XMPP_STREAM_FAILED",)},
    "huge-features": {"starttls": ("XMPP_STREAM_FAILED",), "direct": ("XMPP_STREAM_FAILED",)},
    "no-starttls": {"starttls": ("STARTTLS_FAILED",)},
    "starttls-failure": {"starttls": ("STARTTLS_FAILED",)},
    # <proceed/> came; the handshake then meets a closed connection: either code fits.
    "close-after-proceed": {"starttls": ("STARTTLS_FAILED", "TLS_HANDSHAKE_FAILED")},
    "garbage-tls": {"starttls": ("TLS_HANDSHAKE_FAILED",), "direct": ("TLS_HANDSHAKE_FAILED",)},
    "https": {"direct": ("XMPP_STREAM_FAILED",)},
    "stream-error": {"starttls": ("XMPP_STREAM_FAILED",), "direct": ("XMPP_STREAM_FAILED",)},
    "old-tls": {"starttls": ("TLS_VERSION_OLD",), "direct": ("TLS_VERSION_OLD",)},
    # the certificate message is beyond the client's limit: the handshake fails
    "huge-chain": {"starttls": ("TLS_HANDSHAKE_FAILED",), "direct": ("TLS_HANDSHAKE_FAILED",)},
}
PEER_LABEL = "peer"  # the SRV target of a peer fault: peer.<domain>


def _peer_fault(behaviour):
    name = f"peer-{behaviour}"
    b = BEHAVIOURS[behaviour]

    def apply(spec, bed):
        main = spec.targets[0]
        peer = TargetSpec(label=PEER_LABEL, server=name, services=b.services)
        for kind, services in (("starttls", STARTTLS_SERVICES), ("direct", DIRECT_SERVICES)):
            on = tuple(s for s in services if s in b.services)
            if on:
                peer.shows.append(Shows(name, PEER_FINDINGS[behaviour][kind], services=on))
        main.services = tuple(s for s in main.services if s not in b.services)
        spec.targets = [peer] + [t for t in spec.targets if t.services]
        # The peer presents the domain's certificate, which names its target too.
        spec.certs["main"].dns.append(spec.target_name(peer))

    rest = [s for s in SERVICES if s not in b.services]
    apply.__doc__ = (
        f"SRV for {', '.join(b.services)} point at peer.<domain> (A {PEER_ADDRESSES[behaviour]}, "
        f"AAAA ::1, ports of its own), a hostile peer that {b.what}"
        + (f"; {', '.join(rest)} at Prosody (healthy)" if rest else "")
        + ". Secure SRV, A, AAAA; TLSA 3 1 1 of the domain's certificate, which the peer "
        "presents where it completes TLS.")
    return fault(name)(apply)


for _b in BEHAVIOURS:
    _peer_fault(_b)


def describe():
    """{fault name: its description} for every registered fault."""
    return {n: " ".join((FAULTS[n].__doc__ or "").split()) for n in sorted(FAULTS)}
