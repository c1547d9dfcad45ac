# SPDX-License-Identifier: BSD-3-Clause
"""What a bed domain looks like (DomainSpec) and the catalog of faults: each fault is a small
function that edits a healthy spec before the bed builds it, so adding a fault is one function."""

import datetime as dt
from dataclasses import dataclass, field

from .pki import utcnow
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

    `tlsa` is "match" (3 1 1 of the certificate that server presents for the domain),
    "mismatch" (a 3 1 1 record matching nothing), "none", a list of RDATA strings, or a
    function (Cert) -> list of RDATA strings. `cname`, if set, makes the target a CNAME to that
    label, which then carries the addresses (an invalid SRV target, RFC 2782).
    """

    label: str = "xmpp"
    server: str = "main"
    services: tuple = SERVICES
    addresses: list = None  # default: every address the server listens on
    tlsa: object = "match"
    priority: int = 0
    weight: int = 5
    cname: str = None


@dataclass
class DomainSpec:
    """Everything the bed builds for one domain, in its own child zone of `example.`.

    Signing: `signed`, RRSIG window `inception`/`expiration`, `nsec3` = (salt, iterations).
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
    fragment: bool = False
    updatable: bool = False
    params: dict = field(default_factory=dict)

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
    """NSEC3 with extra iterations (RFC 9276 wants 0). dnssec-signzone refuses more than 150."""
    if iterations > 150:
        raise BedError("dnssec-signzone refuses more than 150 NSEC3 iterations (NOTES.md)")
    spec.nsec3 = (salt, iterations)


@fault("servfail")
def _servfail(spec, bed):
    """Delegated to named, which cannot load the zone (a secondary whose primary refuses):
    every lookup in it gets SERVFAIL at once (a dead server would keep unbound busy, NOTES.md)."""
    spec.signed = False
    spec.ds = "none"
    # Port 1 on loopback: nothing listens, the transfer is refused at once (no packet leaves).
    spec.zone_options = 'type secondary; primaries { 127.0.0.1 port 1; }; file "{file}";'


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


@fault("missing-tlsa")
def _missing_tlsa(spec, bed):
    """Secure SRV and addresses, but no TLSA records at all."""
    for t in spec.targets:
        t.tlsa = "none"


@fault("srv-target-cname")
def _srv_target_cname(spec, bed):
    """The SRV target is a CNAME (to a name with the addresses), which RFC 2782 forbids."""
    spec.targets[0].cname = "real-xmpp"


# --- certificate and server faults ---------------------------------------------------------

@fault("cert-wrong-name")
def _cert_wrong_name(spec, bed, other="elsewhere.example"):
    """The server presents a valid certificate (its TLSA matches) for another name only."""
    spec.certs["main"] = CertSpec(cn=other, dns=[other], srv=[f"_xmpp-client.{other}",
                                  f"_xmpp-server.{other}"], xmpp=[other])


@fault("cert-expired")
def _cert_expired(spec, bed, days_ago=1):
    """The server presents the right names, but the certificate expired `days_ago` days ago."""
    c = spec.certs["main"]
    now = utcnow()
    c.not_before = now - dt.timedelta(days=90)
    c.not_after = now - dt.timedelta(days=days_ago)


@fault("cert-expiring")
def _cert_expiring(spec, bed, days=7):
    """The server's certificate is valid but expires in `days` days."""
    c = spec.certs["main"]
    c.not_before = utcnow() - dt.timedelta(days=80)
    c.not_after = utcnow() + dt.timedelta(days=days)


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


def describe():
    """{fault name: its description} for every registered fault."""
    return {n: " ".join((FAULTS[n].__doc__ or "").split()) for n in sorted(FAULTS)}
