# SPDX-License-Identifier: BSD-3-Clause
"""The loopback test bed: one call brings up a test CA, BIND serving the signed parent `example.`
and its child zones, and Prosody serving them, all under one directory on 127.0.0.0/8 and ::1;
each test then derives the broken domain it needs on a child zone of its own."""

import atexit
import concurrent.futures
import inspect
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from . import bulk as bbulk
from . import dns as bdns
from .faults import FAULTS, DomainSpec, apply_fault
from .peers import Peer, behaviour_of, is_peer
from .pki import CA
from .proc import BedError, Server, free_port, read_tail
from .xmpp import Prosody

PARENT = "example"
GOOD = "good.example"
SERVER_ADDRESSES = {
    "main": ("127.0.0.1", "::1"),
    # Prosody (unlike named) can bind any 127/8 address; its ports differ from main's on ::1.
    "second": ("127.0.0.2", "::1"),
}
LOG_LINES = 200
# Names per certificate of served bulk domains: few, as on a real XMPP server (check_ssl_cert
# runs a few processes per name), but not one per domain (each certificate costs Prosody seven
# TLS contexts, ~18 ms, and the bed ~0.1 s of openssl runs).
BULK_NAMES_PER_CERT = 10
NAMESERVER_ROLES = {
    "ns1": "the bed's named",
    "ns2": "relay to a second named (secondaries of the secondary-* faults)",
    "ns3": "black hole: reads UDP, accepts TCP, never answers (ns-unreachable)",
}


def relative(name):
    return name.rstrip(".")


def _ns_of(roles):
    """[(name server, address)] of the NS set with these roles ("ns1", ...)."""
    return [(relative(bdns.NAMESERVERS[r][0]), bdns.NAMESERVERS[r][1]) for r in roles]


@dataclass
class Target:
    """An SRV target as built: its name, the server behind it and what DNS says about it."""

    name: str
    server: str
    addresses: list
    ports: dict  # service -> port
    tlsa: dict  # owner name -> [TLSA RDATA text]
    cname: str = None

    def info(self):
        return {"name": self.name, "server": self.server, "addresses": self.addresses,
                "ports": dict(self.ports), "tlsa": {k: list(v) for k, v in self.tlsa.items()},
                "cname": self.cname}


@dataclass
class Endpoint:
    """One (service, SRV target, address, port) a check connects to: the server behind it
    ("main", "second", "peer-silent", ...), the certificates a client can get there (`certs`:
    the Certs, first the default one, then others by signature algorithms; empty where no TLS
    handshake completes) and what a check should find there (`shows`: faults.Shows, for the
    faults of the domain that show at this endpoint)."""

    service: str
    target: str
    address: str
    port: int
    server: str
    certs: list
    shows: list

    @property
    def codes(self):
        """Finding codes a check should report here (any one of them per fault)."""
        return sorted({c for s in self.shows for c in s.codes})

    def info(self):
        return {"service": self.service, "target": self.target, "address": self.address,
                "port": self.port, "server": self.server,
                "certs": [c.info() for c in self.certs],
                "findings": [s.info() for s in self.shows]}


@dataclass
class Domain:
    """A domain the bed serves (zone, SRV, targets, TLSA, certificates) and its fault, if any.

    `cert` is the certificate the main server presents (`certs` has one per server, peers
    included; `alt_certs` the servers' further certificates, other key types; `spare_certs`
    certificates made for the domain and not served, e.g. "next"); `srv` maps each SRV owner
    to its records (priority, weight, port, target); `ns` is the zone's NS set as
    [(name server, address)], every address on the bed's named port. `endpoints` lists every
    (service, target, address, port) with what it presents and what a check should find
    there; `faulty_endpoints` only those where a finding is due.
    """

    name: str
    kind: str
    spec: DomainSpec = field(repr=False)
    muc: str = None
    signed: bool = True
    serial: int = 1
    zone_file: str = None  # what named loads (signed)
    source_file: str = None  # the unsigned source
    fragment_file: str = None  # TLSA records $INCLUDEd by the source (spec.fragment)
    publisher: dict = field(default_factory=dict)  # how xdane may change the zone
    keys: dict = field(default_factory=dict)
    ds: list = field(default_factory=list)
    delegation: list = field(default_factory=list)  # NS and DS lines in the parent
    targets: list = field(default_factory=list)
    srv: dict = field(default_factory=dict)
    certs: dict = field(default_factory=dict)
    ns: list = field(default_factory=list)  # [(name server, address)] of the zone's NS set
    secondary: dict = None  # what ns2 serves for the zone (serial, zone_file, dnskey tags)
    child_zones: dict = field(default_factory=dict)  # unsigned child zone -> its zone file
    alt_certs: dict = field(default_factory=dict)  # server -> [more Certs it presents]
    spare_certs: dict = field(default_factory=dict)  # name -> Cert made but not served
    endpoints: list = field(default_factory=list)  # [Endpoint]

    @property
    def cert(self):
        return self.certs["main"]

    @property
    def target(self):
        return self.targets[0]

    def port(self, service, target=None):
        """The port of `service` ("xmpp-client", ...) on the `target`-th SRV target (default:
        the first target that has the service)."""
        if target is not None:
            return self.targets[target].ports[service]
        for t in self.targets:
            if service in t.ports:
                return t.ports[service]
        raise KeyError(f"{self.name}: no target for {service}")

    @property
    def faulty_endpoints(self):
        """The endpoints where a check should report a finding (Endpoint.codes)."""
        return [e for e in self.endpoints if e.codes]

    def info(self):
        return {"name": self.name, "kind": self.kind, "zone": self.name + ".", "muc": self.muc,
                "signed": self.signed, "serial": self.serial, "zone_file": self.zone_file,
                "source_file": self.source_file, "fragment_file": self.fragment_file,
                "publisher": dict(self.publisher),
                "ds": list(self.ds),
                "keys": dict(self.keys), "cert": self.cert.chain, "key": self.cert.key,
                "certs": {s: c.info() for s, c in self.certs.items()},
                "ports": dict(self.targets[0].ports),
                "srv": {k: [list(r) for r in v] for k, v in self.srv.items()},
                "targets": [t.info() for t in self.targets],
                "ns": [list(n) for n in self.ns],
                "secondary": dict(self.secondary) if self.secondary else None,
                "child_zones": dict(self.child_zones),
                "alt_certs": {s: [c.info() for c in cs] for s, cs in self.alt_certs.items()},
                "spare_certs": {n: c.info() for n, c in self.spare_certs.items()},
                "endpoints": [e.info() for e in self.endpoints]}


class Bed:
    """The test bed. `Bed().start()` (or `with Bed() as bed:`) brings everything up.

    After start: `dir`, `ca` (CA), `named` (dns.Named: `port`, `rndc()`), `servers` ("main",
    and "second" once a fault needs it: xmpp.Prosody), `unbound_conf`, `trust_anchor` (paths by
    syntax), `domains` (name -> Domain), `good` (the healthy good.example), `stubs` (the ns2
    relay and the ns3 black hole on 127.0.0.2/.3, same port as named), `named2` (behind the
    relay, once a secondary fault needs it). `derive(fault)` builds a new broken domain;
    `bulk_domains(n)` many healthy ones; `info()` describes it all as JSON-able data.
    """

    def __init__(self, directory=None, *, prosody_log_level="info", keep_dir=True):
        """`directory` (created if needed) holds everything; default a new temporary one,
        removed by stop() only when `keep_dir` is false (logs are gone then)."""
        if directory:
            os.makedirs(directory, exist_ok=True)
            self.dir = os.path.abspath(directory)
            self._own_dir = False
        else:
            self.dir = tempfile.mkdtemp(prefix="xdane-bed-")
            self._own_dir = True
        self.keep_dir = keep_dir
        self.prosody_log_level = prosody_log_level
        self.ca = None
        self.named = None
        self.named2 = None  # the second named behind the ns2 relay, started on first use
        self.stubs = {}  # "ns2" relay and "ns3" black hole (netstub.py processes)
        self.servers = {}
        self.peers = {}  # behaviour -> peers.Peer (hostile.py processes), started on first use
        self.other_ca = None  # a second CA, not the bed's (cert-untrusted), made on first use
        self.domains = {}
        self.bulk = {}  # name -> Domain of bulk_domains()
        self._bulk = None  # shared keys, certificate, layout and name counters of bulk zones
        self.unbound_conf = os.path.join(self.dir, "unbound.conf")
        self.trust_anchor = {}
        self.startup_seconds = None
        self._lock = threading.RLock()
        self._counter = 0
        self._parent_serial = 1
        self._parent_keys = []
        self._delegations = {}  # child name -> zone-file lines in the parent
        self._ns_used = {"ns1"}  # name server roles some zone names (their A goes in the parent)
        self._ns2_port = None
        self._started = False
        self._stopped = False

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, timeout=20.0):
        """Bring the bed up; raise BedError (after stopping what did start) on failure."""
        t0 = time.monotonic()
        atexit.register(self.stop)
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        self._started = True
        self.startup_seconds = round(time.monotonic() - t0, 3)
        return self

    def _start(self, timeout):
        # Everything the bed generates belongs to one run: a reused directory starts empty
        # (stale keys, journals or NZD zones from an earlier run would be picked up).
        for sub in ("ca", "ca-other", "certs", "zones", "trust", "named", "named2", "logs",
                    "peers", *(f"prosody-{name}" for name in SERVER_ADDRESSES)):
            shutil.rmtree(os.path.join(self.dir, sub), ignore_errors=True)
        for sub in ("ca", "certs", "zones", "trust", "named", "logs"):
            os.makedirs(os.path.join(self.dir, sub))
        self.ca = CA(os.path.join(self.dir, "ca"), certs_dir=os.path.join(self.dir, "certs"))

        # Prosody boots (Lua, ~0.2 s) while the zones are signed.
        good = DomainSpec.healthy(GOOD, kind="good")
        good.params["target_vhost"] = True  # danetool sends the SRV target as to= and SNI
        certs, alt, spares = self._issue_certs(good)
        self._declare_hosts(good, certs, alt)
        main = self.servers["main"]
        main.start()

        # One port for every authoritative address (xdane check --auth-port): named on
        # 127.0.0.1, the ns2 relay and the ns3 black hole on 127.0.0.2 and 127.0.0.3. The
        # stand-ins start now (a Python start, ~30 ms) so that the port stays ours.
        port = free_port(tuple(a for _, a in bdns.NAMESERVERS.values()), udp=True)
        control = free_port(("127.0.0.1",))
        self._ns2_port = free_port(("127.0.0.1",), udp=True)
        self._start_stubs(port)
        self.named = bdns.Named(os.path.join(self.dir, "named"), port, control,
                                os.path.join(self.dir, "logs", "named.log"))
        ksk = bdns.keygen(PARENT, self._zone_dir(PARENT), ksk=True)
        zsk = bdns.keygen(PARENT, self._zone_dir(PARENT), ksk=False)
        self._parent_keys = [ksk, zsk]
        domain = self._build_zone(good, certs, alt_certs=alt, spare_certs=spares)
        self._delegations[GOOD] = domain.delegation
        parent_path = self._write_parent()
        self.named.write_conf({PARENT: parent_path, GOOD: domain.zone_file})
        self.named.start()
        self.trust_anchor = bdns.write_trust_anchors(os.path.join(self.dir, "trust"), PARENT, ksk)
        bdns.write_unbound_conf(self.unbound_conf, PARENT, port, self.trust_anchor["ds"])
        self.named.wait_serving(PARENT, timeout=timeout)
        self.named.wait_serving(GOOD, timeout=timeout)
        main.wait_ready(timeout=timeout)
        for stub in self.stubs.values():
            stub.wait_until(lambda s=stub: "ready" in read_tail(s.log_path, 5), "ready",
                            timeout=timeout)
        self.domains[GOOD] = domain

    def _start_stubs(self, port):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "netstub.py")
        logs = os.path.join(self.dir, "logs")
        ns2, ns3 = bdns.NAMESERVERS["ns2"][1], bdns.NAMESERVERS["ns3"][1]
        for role, name, args in (("ns2", "relay", [ns2, port, self._ns2_port]),
                                 ("ns3", "blackhole", [ns3, port])):
            log = os.path.join(logs, f"{role}-{name}.log")
            open(log, "w").close()
            self.stubs[role] = Server(f"{role}-{name}", [sys.executable, "-I", script, name, *args],
                                      log_path=log).start()

    def _ensure_named2(self):
        """Start the second named (behind the ns2 relay) unless it runs already."""
        if self.named2 is None:
            self.named2 = bdns.Named(os.path.join(self.dir, "named2"), self._ns2_port,
                                     free_port(("127.0.0.1",)),
                                     os.path.join(self.dir, "logs", "named2.log"), name="named2")
            self.named2.write_conf({})
            self.named2.start()
            self.named2.wait_answering()
        return self.named2

    def stop(self, timeout=5.0):
        """Stop every server this bed started (by pid: SIGTERM, SIGKILL after `timeout`).
        Idempotent; the bed directory and its logs stay."""
        if self._stopped:
            return
        self._stopped = True
        errors = []
        for server in [*self.servers.values(), *self.peers.values(), self.named, self.named2,
                       *self.stubs.values()]:
            if server is None:
                continue
            try:
                server.stop(timeout)
            except Exception as e:  # keep stopping the others
                errors.append(f"{server}: {e}")
        atexit.unregister(self.stop)
        if self._own_dir and not self.keep_dir and not errors:
            shutil.rmtree(self.dir, ignore_errors=True)
        if errors:
            raise BedError("stopping the bed: " + "; ".join(errors))

    def __enter__(self):
        if not self._started:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def processes(self):
        """Every proc.Server the bed started (named, Prosody, named2, relay, black hole)."""
        procs = [self.named.server if self.named else None,
                 self.named2.server if self.named2 else None]
        procs += [s.server for s in self.servers.values()] + list(self.stubs.values())
        procs += [p.server for p in self.peers.values()]
        return [p for p in procs if p is not None]

    def pids(self):
        """{server name: pid} of every process the bed started."""
        p = {}
        for named in (self.named, self.named2):
            if named and named.server:
                p[named.name] = named.server.pid
        for name, s in self.servers.items():
            p[f"prosody-{name}"] = s.pid
        for s in self.stubs.values():
            p[s.name] = s.pid
        for peer in self.peers.values():
            p[peer.name] = peer.pid
        return {k: v for k, v in p.items() if v}

    @property
    def good(self):
        return self.domains[GOOD]

    # --- description and logs ----------------------------------------------------------

    def info(self):
        """Everything a client of the bed needs, as JSON-able data."""
        with self._lock:
            return {
                "dir": self.dir,
                "startup_seconds": self.startup_seconds,
                "parent_zone": PARENT + ".",
                "named": {"pid": self.named.server.pid, "address": bdns.ADDRESS,
                          "port": self.named.port, "control_port": self.named.control_port,
                          "conf": self.named.conf, "rndc_conf": self.named.rndc_conf,
                          "log": self.named.log_path},
                # Every authoritative address answers on named's port (--auth-port).
                "nameservers": {role: {"name": relative(n), "address": a,
                                       "port": self.named.port,
                                       "what": NAMESERVER_ROLES[role]}
                                for role, (n, a) in bdns.NAMESERVERS.items()},
                "servers": {n: s.info() for n, s in self.servers.items()},
                "peers": {p.name: p.info() for p in self.peers.values()},
                "unbound_conf": self.unbound_conf,
                "trust_anchor": dict(self.trust_anchor),
                "ca": self.ca.info(),
                "other_ca": self.other_ca.info() if self.other_ca else None,
                "domains": {n: d.info() for n, d in self.domains.items()},
                "bulk": self._bulk_info(),
                "pids": self.pids(),
                "logs": self.log_paths(),
            }

    def log_paths(self):
        paths = {"named": self.named.log_path if self.named else None,
                 "named2": self.named2.log_path if self.named2 else None}
        for name, s in self.servers.items():
            paths[f"prosody-{name}"] = s.log_path
            paths[f"prosody-{name}-stdout"] = s.stdout_path
        for s in self.stubs.values():
            paths[s.name] = s.log_path
        for peer in self.peers.values():
            paths[peer.name] = peer.log_path
        return {k: v for k, v in paths.items() if v}

    def logs(self, lines=LOG_LINES):
        """{log name: its last `lines` lines} for every server log of the bed."""
        return {name: read_tail(path, lines) for name, path in self.log_paths().items()}

    def print_logs(self, file=None, lines=LOG_LINES):
        file = file or sys.stderr
        for name, text in self.logs(lines).items():
            print(f"===== {name} (last {lines} lines) =====\n{text}", file=file)

    # --- domains and faults ------------------------------------------------------------

    def new_spec(self, label=None, kind="ok"):
        """A healthy DomainSpec for a fresh child of example. (name `<label>.example`, by
        default `<kind>-<n>.example`), to edit and pass to add_domain()."""
        with self._lock:
            self._counter += 1
            # Short enough for a DNS label (63) and a certificate CN (64) with many faults.
            label = label or kind[:40].rstrip("-") + f"-{self._counter}"
            name = f"{label}.{PARENT}"
            if name in self.domains:
                raise BedError(f"domain {name} exists already")
            return DomainSpec.healthy(name, kind=kind)

    def derive(self, *faults, label=None, **params):
        """Build and serve a new domain with the given faults (none: a healthy one).

        Keyword parameters go to the faults that take them (e.g. hours= for expiring-rrsig).
        Returns the Domain once named serves it and Prosody serves its hosts.
        """
        kind = "-".join(faults) or "ok"
        spec = self.new_spec(label, kind)
        used = set()
        for f in faults:
            fn = FAULTS.get(f)
            accepted = set(inspect.signature(fn).parameters) if fn else set()
            used |= accepted & set(params)
            apply_fault(f, spec, self, {k: v for k, v in params.items() if k in accepted})
        if set(params) - used:
            raise BedError(f"no fault among {faults} takes {sorted(set(params) - used)}")
        return self.add_domain(spec)

    def add_domain(self, spec):
        """Build `spec` (certificates, Prosody hosts, signed child zone, delegation), serve it
        and return its Domain."""
        with self._lock:
            if spec.name in self.domains:
                raise BedError(f"domain {spec.name} exists already")
            unknown = set(spec.nameservers) - set(bdns.NAMESERVERS)
            if unknown or "ns1" not in spec.nameservers:
                raise BedError(f"{spec.name}: name servers {spec.nameservers}: want ns1 and "
                               f"any of {', '.join(bdns.NAMESERVERS)}")
            if ("ns2" in spec.nameservers) != (spec.secondary is not None):
                raise BedError(f"{spec.name}: ns2 in the NS set goes with a secondary spec")
            if spec.secondary and "ns2" in spec.nameservers:
                self._ensure_named2()
            certs, alt, spares = self._issue_certs(spec)
            changed = self._declare_hosts(spec, certs, alt)
            starting = self._declare_peers(spec, certs)
            # Prosody reloads (and peers start) while the zones are built and served.
            reloading = {name: self.servers[name].apply(wait=False) for name in changed}
            domain = self._build_zone(spec, certs, serial=spec.serial, alt_certs=alt,
                                      spare_certs=spares)
            for child, path in domain.child_zones.items():
                self.named.addzone(child, f'type primary; file "{path}";')
            if domain.secondary:
                self.named2.addzone(spec.name,
                                    f'type primary; file "{domain.secondary["zone_file"]}";')
            options = spec.zone_options or 'type primary; file "{file}";'
            if spec.signing == "inline":
                options, keydir = self._inline_zone_options(spec)
            self.named.addzone(spec.name, options.replace("{file}", domain.zone_file))
            if spec.signing == "inline":
                self._adopt_inline_key(domain, keydir)
            self._delegations[spec.name] = domain.delegation
            self._ns_used |= set(spec.nameservers)
            self._publish_parent()
            if spec.zone_options is None:
                self.named.wait_serving(spec.name)
            for child in domain.child_zones:
                self.named.wait_serving(child)
            if domain.secondary:
                self.named2.wait_serving(spec.name, domain.secondary["serial"])
            for name, generation in reloading.items():
                self.servers[name].wait_applied(generation)
            for peer in starting:
                peer.wait_ready()
            self.domains[spec.name] = domain
            return domain

    def bulk_domains(self, n, prefix="bench", signer=None, *, serve=False, ipv6=True,
                     target_hosts=False):
        """Make `n` more healthy domains `<prefix>-<i>.example` for benchmarks and return their
        names (in order). Each is its own signed child zone of example. with DS, SRV for the four
        services and the MUC's s2s, target `xmpp.<name>` (A 127.0.0.1, AAAA ::1, the main
        Prosody's ports) and TLSA 3 1 1 of one key shared by all bulk domains (that of
        `bed.bulk_cert`, `*.example`). All bulk zones share one KSK/ZSK pair and are signed in
        parallel (bulk.py), loaded with one `rndc reconfig` and delegated in one parent update.
        The Domains are in `bed.bulk` (not `bed.domains`). `signer`: "python" (needs
        python3-cryptography; the default when it is there) or "ldns" (ldns-signzone, ~3x
        slower).

        By default DNS only (no VirtualHost). `serve=True`: the main Prosody serves each domain
        as a VirtualHost of its own (a lean one: STARTTLS and Direct TLS, see xmpp.Prosody) with
        a certificate naming it (one per BULK_NAMES_PER_CERT names, all with the key of
        `bulk_cert`, so the TLSA matches), and each Domain gets that `cert` and its `endpoints`;
        `target_hosts=True` adds a VirtualHost (and a DNS-ID) for each SRV target too (danetool
        sends the target as to= and SNI). `ipv6=False`: the targets get the A record only, so
        every endpoint has one address."""
        if n < 0:
            raise BedError(f"bulk_domains: n={n}")
        if target_hosts and not serve:
            raise BedError("bulk_domains: target_hosts needs serve=True")
        with self._lock:
            main = self.servers["main"]
            if self._bulk is None:
                cert = self.ca.issue("bulk", cn="bulk.example", dns=["*.example"])
                keys = bbulk.SharedKeys(os.path.join(self.dir, "zones", "bulk-keys"))
                self._bulk = {"keys": keys, "cert": cert, "counters": {}, "signer": None,
                              "served": {},
                              "layout": bbulk.Layout(main.ports, main.addresses,
                                                     cert.spki_sha256)}
            b = self._bulk
            layout = b["layout"]
            if not ipv6:
                layout = bbulk.Layout(layout.ports, [a for a in layout.addresses if ":" not in a],
                                      layout.tlsa_hex)
            first = b["counters"].get(prefix, 0) + 1
            names = [f"{prefix}-{i}.{PARENT}" for i in range(first, first + n)]
            taken = [x for x in names if x in self.domains or x in self.bulk]
            if taken:
                raise BedError(f"bulk_domains: {taken[0]} exists already")
            b["counters"][prefix] = first + n - 1
            if not names:
                return []
            # Prosody activates the new hosts (~8 ms each, on one core) while zones are signed.
            generation = self._serve_bulk(names, target_hosts) if serve else None
            jobs = [(x, os.path.join(self._zone_dir(x), f"{x}.zone")) for x in names]
            b["signer"] = bbulk.sign_zones(jobs, layout, b["keys"], signer=signer)
            ns = _ns_of(["ns1"])
            for x, path in jobs:
                self.bulk[x] = self._bulk_domain(x, path, ns, layout)
                self._delegations[x] = self.bulk[x].delegation
            self.named.add_bulk_zones(dict(jobs))
            self._publish_parent()
            self._wait_bulk(names)
            if serve:
                main.wait_applied(generation, timeout=30.0 + 0.05 * len(main.hosts))
                for x in names:
                    d = self.bulk[x]
                    d.certs["main"] = b["served"][x]
                    d.endpoints = [Endpoint(service=s, target=t.name, address=a, port=p,
                                            server="main", certs=[d.cert], shows=[])
                                   for t in d.targets for s, p in t.ports.items()
                                   for a in t.addresses]
            return names

    def _serve_bulk(self, names, target_hosts):
        """Declare lean VirtualHosts on the main Prosody for the bulk domains `names` (and
        their SRV targets) with certificates naming them; start the reload and return its
        generation (for wait_applied)."""
        b = self._bulk
        main = self.servers["main"]
        per_cert = max(1, BULK_NAMES_PER_CERT // (2 if target_hosts else 1))
        groups = [names[i:i + per_cert] for i in range(0, len(names), per_cert)]

        def issue(group):
            hosts = [h for x in group for h in ([x, f"xmpp.{x}"] if target_hosts else [x])]
            return group, hosts, self.ca.issue(f"bulk-{group[0]}", cn=group[0], dns=hosts,
                                               key=b["cert"].key)

        # Three openssl runs per certificate; the CA signs one at a time.
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            issued = list(pool.map(issue, groups))
        for group, hosts, cert in issued:
            for h in hosts:
                main.set_host(h, cert, lean=True)
            for x in group:
                b["served"][x] = cert
        return main.apply(wait=False)

    def _bulk_domain(self, name, path, ns, layout=None):
        b = self._bulk
        layout, cert = layout or b["layout"], b["cert"]
        spec = DomainSpec(name=name, kind="bulk")
        target = f"xmpp.{name}"
        srv = {}
        for service, port in layout.ports.items():
            srv[f"_{service}._tcp.{name}"] = [(0, 5, port, target)]
            if service.endswith("server"):
                srv[f"_{service}._tcp.conference.{name}"] = [(0, 5, port, target)]
        tlsa = {f"_{p}._tcp.{target}": [cert.tlsa(3, 1, 1)]
                for p in sorted(set(layout.ports.values()))}
        ds = [b["keys"].ds(name)]
        return Domain(name=name, kind="bulk", spec=spec, muc=f"conference.{name}", serial=1,
                      zone_file=path, ds=ds,
                      keys={"ksk": b["keys"].ksk_path, "zsk": b["keys"].zsk_path},
                      delegation=[f"{name}. IN NS {n}." for n, _ in ns] + ds,
                      targets=[Target(name=target, server="main", addresses=list(layout.addresses),
                                      ports=dict(layout.ports), tlsa=tlsa)],
                      srv=srv, certs={"main": cert}, ns=ns)

    def _wait_bulk(self, names, timeout=30.0):
        """Wait until named answers authoritatively for every zone in `names`."""
        deadline = time.monotonic() + timeout
        pending = list(names)
        while pending:
            try:
                self.named.wait_serving(pending[-1], timeout=max(0.1, deadline - time.monotonic()))
            except BedError:
                raise self.named.server.fail(f"bulk zone {pending[-1]} not served") from None
            pending.pop()

    def _bulk_info(self):
        if not self._bulk:
            return None
        layout = self._bulk["layout"]
        return {"count": len(self.bulk), "names": list(self.bulk), "signer": self._bulk["signer"],
                "served": list(self._bulk["served"]),
                "layout": {"target": "xmpp.<name>", "addresses": list(layout.addresses),
                           "ports": dict(layout.ports), "tlsa": f"3 1 1 {layout.tlsa_hex}",
                           "cert": self._bulk["cert"].chain, "key": self._bulk["cert"].key,
                           "ns": [list(n) for n in _ns_of(["ns1"])],
                           "dnskey": [self._bulk["keys"].dnskey_text(r) for r in
                                      (self._bulk["keys"].ksk_rdata,
                                       self._bulk["keys"].zsk_rdata)]}}

    @property
    def bulk_cert(self):
        return self._bulk["cert"] if self._bulk else None

    def republish(self, domain):
        """Rebuild a domain's zone from its (edited) `domain.spec` with the same keys and
        certificates, a higher serial and fresh signatures; reload it (and the parent if the
        delegation changed). For tests that break or repair a domain in place; the
        resolver may keep a bogus answer for val-bogus-ttl (1 s in the bed's unbound.conf)."""
        with self._lock:
            if isinstance(domain, str):
                domain = self.domains[domain]
            if domain.kind == "bulk":
                raise BedError(f"{domain.name} is a bulk domain (shared keys); derive() one to "
                               "change")
            if domain.spec.updatable:
                raise BedError(f"{domain.name} takes RFC 2136 updates; named refuses to reload it")
            spec = domain.spec
            child = f"{spec.unsigned_child}.{domain.name}" if spec.unsigned_child else None
            if _ns_of(spec.nameservers) != domain.ns or \
                    [child] != (list(domain.child_zones) or [None]) or \
                    bool(spec.secondary) != bool(domain.secondary):
                raise BedError(f"{domain.name}: republish cannot change the name servers or "
                               "child zones; derive a new domain")
            new = self._build_zone(domain.spec, domain.certs, keys=domain.keys,
                                   serial=domain.serial + 1, alt_certs=domain.alt_certs,
                                   spare_certs=domain.spare_certs)
            for child, path in new.child_zones.items():
                self.named.reload(child, new.serial, path)
            self.named.reload(new.name, new.serial, new.zone_file)
            if new.secondary:
                self.named2.reload(new.name, new.secondary["serial"],
                                   new.secondary["zone_file"])
            if new.delegation != self._delegations.get(new.name):
                self._delegations[new.name] = new.delegation
                self._publish_parent()
            self.domains[new.name] = new
            return new

    def serve_cert(self, domain, cert, server="main"):
        """Make `server` present `cert` (a pki.Cert, e.g. from bed.ca.issue) for the domain
        and its MUC from now on (Prosody reloads; DNS is left alone, as in a deployment)."""
        with self._lock:
            if isinstance(domain, str):
                domain = self.domains[domain]
            p = self.servers[server]
            for host, (_, component, _) in list(p.hosts.items()):
                if host in (domain.name, domain.muc) or host in [t.name for t in domain.targets]:
                    p.set_host(host, cert, component)
            p.apply()
            domain.certs[server] = cert
            domain.alt_certs.pop(server, None)
            for e in domain.endpoints:
                if e.server == server:
                    e.certs = [cert]
            return domain

    def _ca(self, which):
        if which == "bed":
            return self.ca
        if which == "other":
            if self.other_ca is None:
                self.other_ca = CA(os.path.join(self.dir, "ca-other"),
                                   cn="xdane test bed other CA (not trusted)",
                                   certs_dir=os.path.join(self.dir, "certs"))
            return self.other_ca
        raise BedError(f"unknown CA {which!r}: want 'bed' or 'other'")

    def _issue(self, name, c, key_type=None):
        return self._ca(c.ca).issue(name, cn=c.cn, dns=c.dns, srv=c.srv, xmpp=c.xmpp,
                                    not_before=c.not_before, not_after=c.not_after,
                                    key_type=key_type or c.key_type,
                                    key=None if key_type else c.key)

    def _issue_certs(self, spec):
        """The certificates for `spec`: (server -> Cert it presents, server -> [further Certs
        of other key types], spare name -> Cert). Peers present the main server's certificate
        unless the spec names one for them."""
        servers = {t.server for t in spec.targets} | {"main"}
        certs, alt = {}, {}
        for s in sorted(servers, key=is_peer):  # Prosody servers first: peers may share main's
            c = spec.certs.get(s)
            if c is None and is_peer(s):
                certs[s] = certs["main"]
                alt[s] = list(alt.get("main", []))
                continue
            c = c or spec.certs["main"]
            certs[s] = self._issue(f"{spec.name}-{s}", c)
            for kt in c.alt_key_types:
                if kt == c.key_type:
                    raise BedError(f"{spec.name}: a second {kt} certificate for {s}")
                alt.setdefault(s, []).append(self._issue(f"{spec.name}-{s}-{kt}", c, kt))
        spares = {n: self._issue(f"{spec.name}-{n}", c) for n, c in spec.spare_certs.items()}
        return certs, alt, spares

    def _declare_peers(self, spec, certs):
        """Start the hostile peers `spec` needs (not waiting) and make each present the
        domain's certificate for the domain, its MUC and its target; the peers started."""
        started = []
        for t in spec.targets:
            if not is_peer(t.server):
                continue
            b = behaviour_of(t.server)
            peer = self.peers.get(b)
            if peer is None:
                peer = Peer(b, os.path.join(self.dir, "peers", b), self.ca,
                            os.path.join(self.dir, "logs", f"peer-{b}.log"))
                self.peers[b] = peer.start()
                started.append(peer)
            for host in (spec.name, spec.muc_name, spec.target_name(t)):
                if host:
                    peer.add_cert(host, certs[t.server])
        return started

    def _declare_hosts(self, spec, certs, alt=None):
        """Give each server its hosts for `spec`; start a server not running yet (the second
        one is started on first use). Returns the running servers that need a reload."""
        changed = []
        alt = alt or {}
        used = {t.server for t in spec.targets}
        for s, cert in certs.items():
            # Peers are no Prosody; a Prosody no target names needs no host (a peer fault on
            # all four services): each host costs every later full reload ~18 ms.
            if is_peer(s) or (s not in used and s in self.servers):
                continue
            extra = alt.get(s, ())
            p = self.servers.get(s)
            if p is None:
                if s not in SERVER_ADDRESSES:
                    raise BedError(f"no server {s!r}; known: {', '.join(SERVER_ADDRESSES)}")
                p = Prosody(s, os.path.join(self.dir, f"prosody-{s}"), SERVER_ADDRESSES[s], cert,
                            log_level=self.prosody_log_level)
            p.set_host(spec.name, cert, alt=extra)
            if spec.muc:
                p.set_host(spec.muc_name, cert, "muc", alt=extra)
            if spec.params.get("target_vhost"):
                for t in spec.targets:
                    if t.server == s:
                        p.set_host(spec.target_name(t), cert, alt=extra)
            if s not in self.servers:
                self.servers[s] = p
                if self._started or s != "main":
                    p.start()
                    p.wait_ready()
            else:
                changed.append(s)
        return changed

    def _zone_dir(self, zone):
        d = os.path.join(self.dir, "zones", zone)
        os.makedirs(d, exist_ok=True)
        return d

    def _build_zone(self, spec, certs, keys=None, serial=1, alt_certs=None, spare_certs=None):
        """Write (and sign) the child zone with `keys` (new ones by default); a Domain."""
        name = spec.name
        d = self._zone_dir(name)
        records, targets, srv, endpoints = [], [], {}, []
        alt_certs, spare_certs = dict(alt_certs or {}), dict(spare_certs or {})
        muc = spec.muc_name
        for t in spec.targets:
            if is_peer(t.server):
                server = self.peers[behaviour_of(t.server)]
            else:
                server = self.servers[t.server]
            tname = spec.target_name(t)
            addresses = list(server.addresses if t.addresses is None else t.addresses)
            ports = {s: server.ports[s] for s in t.services}
            host = f"{t.cname}.{name}" if t.cname else tname
            if t.cname:
                records.append(f"{tname}. IN CNAME {host}.")
            for a in addresses:
                records.append(f"{host}. IN {'AAAA' if ':' in a else 'A'} {a}")
            for service, port in ports.items():
                owners = [f"_{service}._tcp.{name}"]
                if muc and service.endswith("server"):
                    owners.append(f"_{service}._tcp.{muc}")
                for owner in owners:
                    srv.setdefault(owner, []).append((t.priority, t.weight, port, tname))
            tlsa = {}
            for port in sorted(set(ports.values())):
                owner = f"_{port}._tcp.{tname}"
                tlsa[owner] = self._tlsa_rdata(t.tlsa, certs[t.server], spare_certs)
                for rdata in tlsa[owner]:
                    records.append(f"{owner}. IN TLSA {rdata}")
            targets.append(Target(name=tname, server=t.server, addresses=addresses,
                                  ports=ports, tlsa=tlsa, cname=t.cname))
            for service, port in ports.items():
                presented = [certs[t.server], *alt_certs.get(t.server, ())]
                if is_peer(t.server) and not server.presents_cert(service):
                    presented = []
                shows = [x for x in t.shows if x.services is None or service in x.services]
                endpoints += [Endpoint(service=service, target=tname, address=a, port=port,
                                       server=t.server, certs=presented, shows=shows)
                              for a in addresses]
        tlsa_lines = [r for r in records if " IN TLSA " in r]
        if spec.fragment:
            records = [r for r in records if " IN TLSA " not in r]
        if spec.srv == "dot":  # the service is decidedly not available (RFC 2782)
            srv = {owner: [(0, 0, 0, ".")] for owner in srv}
        if spec.srv:
            for owner, rrs in srv.items():
                for prio, weight, port, target in rrs:
                    records.append(f"{owner}. IN SRV {prio} {weight} {port} "
                                   f"{target.rstrip('.')}.")
        records += spec.extra_records
        ns = _ns_of(spec.nameservers)
        ns_names = [n + "." for n, _ in ns]

        # An unsigned child zone (delegated without DS) takes every record at or below it.
        child_zones, child_records = {}, []
        if spec.unsigned_child:
            child = f"{spec.unsigned_child}.{name}"

            def below(line):
                owner = line.split()[0].rstrip(".").lower()
                return owner == child or owner.endswith("." + child)
            child_records = [r for r in records if below(r)]
            records = [r for r in records if not below(r)] + [f"{child}. IN NS {bdns.NS_NAME}"]
            child_zones[child] = os.path.join(d, f"{child}.zone")
            with open(child_zones[child], "w") as f:
                f.write(bdns.render_zone(child, serial, child_records, ttl=spec.ttl))

        # <name>.db is the unsigned source; named always loads <name>.zone (signed or a copy),
        # so that republish() can switch between signed and unsigned without touching named.
        unsigned = os.path.join(d, f"{name}.db")
        zone_path = os.path.join(d, f"{name}.zone")
        fragment = None
        if spec.fragment:
            # The file publisher's fragment: only TLSA records, $INCLUDEd by the source.
            fragment = os.path.join(d, f"{name}.tlsa")
            with open(fragment, "w") as f:
                f.write("".join(line + "\n" for line in tlsa_lines))
            records.append(f'$INCLUDE "{fragment}"')
        text = (spec.zone_text if spec.zone_text is not None
                else bdns.render_zone(name, serial, records, ttl=spec.ttl, ns=ns_names))
        with open(unsigned, "w") as f:
            f.write(text)
        keys, ds = dict(keys or {}), []
        if spec.signing == "inline":
            # named signs (add_domain finds its key and publishes the DS once it did).
            if spec.signed is False or spec.zone_text is not None or spec.zone_options:
                raise BedError(f"{name}: inline signing wants a signed, generated zone")
            zone_path = unsigned
            if spec.ds != "none" and "csk" in keys:
                ds = self._ds(spec, bdns.Key.load(keys["csk"]), keys, d)
        elif spec.signed and spec.zone_text is None and spec.zone_options is None:
            if "ksk" in keys:
                ksk, zsk = bdns.Key.load(keys["ksk"]), bdns.Key.load(keys["zsk"])
            else:
                ksk = bdns.keygen(name, d, ksk=True, algorithm=spec.algorithm)
                zsk = bdns.keygen(name, d, ksk=False, algorithm=spec.algorithm)
                keys.update(ksk=ksk.path, zsk=zsk.path)
            bdns.sign(name, unsigned, zone_path, [ksk, zsk], inception=spec.inception,
                      expiration=spec.expiration, nsec3=spec.nsec3)
            ds = self._ds(spec, ksk, keys, d)
        else:
            if spec.ds != "none":
                raise BedError(f"{name}: ds={spec.ds!r} needs a signed zone")
            if spec.zone_options is None:
                with open(zone_path, "w") as f:
                    f.write(text)
        secondary = None
        if spec.secondary:
            secondary = self._build_secondary(spec, records, ns_names, serial, keys, d)
        publisher = {}
        if spec.signing == "inline":
            publisher = {"zone": name, "zone_file": unsigned, "fragment": fragment}
            if spec.updatable:
                publisher.update(update_server=bdns.ADDRESS, update_port=self.named.port,
                                 tsig_key_file=self.named.update_key_file,
                                 tsig_key_name=self.named.update_key_name)
            else:
                publisher["reload_command"] = ["rndc", "-c", self.named.rndc_conf, "reload", name]
        return Domain(name=name, kind=spec.kind, spec=spec, muc=muc, signed=spec.signed,
                      publisher=publisher,
                      serial=serial, zone_file=zone_path, source_file=unsigned,
                      fragment_file=fragment, keys=keys, ds=ds,
                      delegation=[f"{name}. IN NS {n}" for n in ns_names] + ds, targets=targets,
                      srv=dict(srv) if spec.srv else {}, certs=dict(certs), ns=ns,
                      secondary=secondary, child_zones=child_zones, alt_certs=alt_certs,
                      spare_certs=spare_certs, endpoints=endpoints)

    def _build_secondary(self, spec, records, ns_names, serial, keys, directory):
        """Write and sign what ns2 serves for `spec` (SecondarySpec: serial lag, DNSKEY set)."""
        sec = spec.secondary
        if not spec.signed or spec.signing != "offline" or spec.zone_text is not None \
                or spec.zone_options is not None:
            raise BedError(f"{spec.name}: a secondary wants a signed, generated zone")
        if sec.dnskey not in ("same", "other-zsk", "extra-zsk"):
            raise BedError(f"{spec.name}: unknown secondary dnskey {sec.dnskey!r}")
        sserial = serial - sec.serial_lag
        if sserial < 1:
            raise BedError(f"{spec.name}: secondary serial {sserial} < 1")
        ksk, zsk = bdns.Key.load(keys["ksk"]), bdns.Key.load(keys["zsk"])
        signing, published = [ksk, zsk], []
        if sec.dnskey != "same":
            if "zsk2" not in keys:
                keys["zsk2"] = bdns.keygen(spec.name, os.path.join(directory, "secondary-key"),
                                           ksk=False).path
            zsk2 = bdns.Key.load(keys["zsk2"])
            if sec.dnskey == "other-zsk":
                signing = [ksk, zsk2]
            else:
                published = [zsk2]  # in the DNSKEY set, signs nothing
        unsigned = os.path.join(directory, f"{spec.name}.ns2.db")
        zone_path = os.path.join(directory, f"{spec.name}.ns2.zone")
        with open(unsigned, "w") as f:
            f.write(bdns.render_zone(spec.name, sserial, records, ttl=spec.ttl, ns=ns_names))
            f.write("".join(k.dnskey + "\n" for k in published))
        bdns.sign(spec.name, unsigned, zone_path, signing, inception=spec.inception,
                  expiration=spec.expiration, nsec3=spec.nsec3)
        return {"server": "ns2", "address": bdns.NAMESERVERS["ns2"][1], "serial": sserial,
                "zone_file": zone_path, "dnskey": sec.dnskey,
                "key_tags": sorted(k.tag for k in signing + published)}

    @staticmethod
    def _ds(spec, ksk, keys, directory):
        """The DS lines the parent publishes for `spec` (adds the other key to `keys`)."""
        if spec.ds == "match":
            return [ksk.ds(digest) for digest in spec.ds_digests]
        if spec.ds == "other-key":
            if "other" not in keys:
                keys["other"] = bdns.keygen(spec.name, os.path.join(directory, "other-key"),
                                            ksk=True).path
            return [bdns.Key.load(keys["other"]).ds(digest) for digest in spec.ds_digests]
        if spec.ds == "none":
            return []
        raise BedError(f"{spec.name}: unknown ds mode {spec.ds!r}")

    def _inline_zone_options(self, spec):
        keydir = os.path.join(self._zone_dir(spec.name), "keys")
        os.makedirs(keydir, exist_ok=True)
        options = (f'type primary; file "{{file}}"; dnssec-policy "{bdns.INLINE_POLICY}"; '
                   f'inline-signing yes; key-directory "{keydir}";')
        if spec.updatable:
            options += f' allow-update {{ key "{self.named.update_key_name}"; }};'
        return options, keydir

    def _adopt_inline_key(self, domain, keydir, timeout=10.0):
        """Wait until named signed the zone; take its CSK into the Domain (DS, delegation)."""
        def signed():
            try:
                r = self.query(domain.name, "DNSKEY", timeout=0.3)
            except Exception:
                return False
            return any(rrset.rdtype == 46 for rrset in r.answer)  # RRSIG over the DNSKEY set
        self.named.server.wait_until(signed, f"named to sign {domain.name}", timeout=timeout)
        keys = [bdns.Key.load(os.path.join(keydir, f[:-4])) for f in os.listdir(keydir)
                if f.endswith(".key") and f.startswith(f"K{domain.name}.+")]
        csk = [k for k in keys if k.ksk]
        if len(csk) != 1:
            raise self.named.server.fail(f"{domain.name}: want one CSK in {keydir}, found {keys}")
        domain.keys["csk"] = csk[0].path
        domain.ds = self._ds(domain.spec, csk[0], domain.keys, self._zone_dir(domain.name))
        domain.delegation = [f"{domain.name}. IN NS {n}." for n, _ in domain.ns] + domain.ds

    @staticmethod
    def _tlsa_rdata(how, cert, spares=None):
        if how == "match":
            return [cert.tlsa(3, 1, 1)]
        if how == "mismatch":
            return ["3 1 1 " + ("00" * 32)]
        if how == "none":
            return []
        if callable(how):
            required = [p for p in inspect.signature(how).parameters.values()
                        if p.default is inspect.Parameter.empty]
            if len(required) >= 2:
                return list(how(cert, spares or {}))
            return list(how(cert))
        return list(how)

    def _write_parent(self):
        """Write and sign example. with every delegation; return the signed file's path."""
        d = self._zone_dir(PARENT)
        records = [f"{n} IN A {a}" for role, (n, a) in bdns.NAMESERVERS.items()
                   if role in self._ns_used]
        for lines in self._delegations.values():
            records += lines
        unsigned = os.path.join(d, f"{PARENT}.db")
        with open(unsigned, "w") as f:
            f.write(bdns.render_zone(PARENT, self._parent_serial, records))
        signed = unsigned + ".signed"
        bdns.sign(PARENT, unsigned, signed, self._parent_keys)
        return signed

    def _publish_parent(self):
        self._parent_serial += 1
        path = self._write_parent()
        self.named.reload(PARENT, self._parent_serial, path)

    # --- conveniences for tests ----------------------------------------------------------

    def query(self, name, rdtype, timeout=1.0, address=bdns.ADDRESS, tcp=False):
        """A DNSSEC-OK query straight to the bed's named (no validation), or to another
        authoritative address of the bed on the same port (127.0.0.2: ns2); a dns.message."""
        return bdns.query(name, rdtype, self.named.port, address=address, timeout=timeout,
                          tcp=tcp)

    def rndc(self, *args):
        return self.named.rndc(*args)


def start(directory=None, **kwargs):
    """Bring up a bed and return it (stop it with bed.stop(), or use `with Bed() as bed`)."""
    return Bed(directory, **kwargs).start()
