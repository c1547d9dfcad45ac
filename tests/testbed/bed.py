# SPDX-License-Identifier: BSD-3-Clause
"""The loopback test bed: one call brings up a test CA, BIND serving the signed parent `example.`
and its child zones, and Prosody serving them, all under one directory on 127.0.0.0/8 and ::1;
each test then derives the broken domain it needs on a child zone of its own."""

import atexit
import inspect
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from . import dns as bdns
from .faults import FAULTS, DomainSpec, apply_fault
from .pki import CA
from .proc import BedError, free_port, read_tail
from .xmpp import Prosody

PARENT = "example"
GOOD = "good.example"
SERVER_ADDRESSES = {
    "main": ("127.0.0.1", "::1"),
    # Prosody (unlike named) can bind any 127/8 address; its ports differ from main's on ::1.
    "second": ("127.0.0.2", "::1"),
}
LOG_LINES = 200


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
class Domain:
    """A domain the bed serves (zone, SRV, targets, TLSA, certificates) and its fault, if any.

    `cert` is the certificate the main server presents (`certs` has one per server);
    `srv` maps each SRV owner to its records (priority, weight, port, target).
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

    @property
    def cert(self):
        return self.certs["main"]

    @property
    def target(self):
        return self.targets[0]

    def port(self, service, target=0):
        """The port of `service` ("xmpp-client", ...) on the `target`-th SRV target."""
        return self.targets[target].ports[service]

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
                "targets": [t.info() for t in self.targets]}


class Bed:
    """The test bed. `Bed().start()` (or `with Bed() as bed:`) brings everything up.

    After start: `dir`, `ca` (CA), `named` (dns.Named: `port`, `rndc()`), `servers` ("main",
    and "second" once a fault needs it: xmpp.Prosody), `unbound_conf`, `trust_anchor` (paths by
    syntax), `domains` (name -> Domain), `good` (the healthy good.example). `derive(fault)`
    builds a new broken domain; `info()` describes it all as JSON-able data.
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
        self.servers = {}
        self.domains = {}
        self.unbound_conf = os.path.join(self.dir, "unbound.conf")
        self.trust_anchor = {}
        self.startup_seconds = None
        self._lock = threading.RLock()
        self._counter = 0
        self._parent_serial = 1
        self._parent_keys = []
        self._delegations = {}  # child name -> zone-file lines in the parent
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
        for sub in ("ca", "certs", "zones", "trust", "named", "logs",
                    *(f"prosody-{name}" for name in SERVER_ADDRESSES)):
            shutil.rmtree(os.path.join(self.dir, sub), ignore_errors=True)
        for sub in ("ca", "certs", "zones", "trust", "named", "logs"):
            os.makedirs(os.path.join(self.dir, sub))
        self.ca = CA(os.path.join(self.dir, "ca"), certs_dir=os.path.join(self.dir, "certs"))

        # Prosody boots (Lua, ~0.2 s) while the zones are signed.
        good = DomainSpec.healthy(GOOD, kind="good")
        good.params["target_vhost"] = True  # danetool sends the SRV target as to= and SNI
        certs = self._issue_certs(good)
        self._declare_hosts(good, certs)
        main = self.servers["main"]
        main.start()

        port = free_port(("127.0.0.1",), udp=True)
        control = free_port(("127.0.0.1",))
        self.named = bdns.Named(os.path.join(self.dir, "named"), port, control,
                                os.path.join(self.dir, "logs", "named.log"))
        ksk = bdns.keygen(PARENT, self._zone_dir(PARENT), ksk=True)
        zsk = bdns.keygen(PARENT, self._zone_dir(PARENT), ksk=False)
        self._parent_keys = [ksk, zsk]
        domain = self._build_zone(good, certs)
        self._delegations[GOOD] = domain.delegation
        parent_path = self._write_parent()
        self.named.write_conf({PARENT: parent_path, GOOD: domain.zone_file})
        self.named.start()
        self.trust_anchor = bdns.write_trust_anchors(os.path.join(self.dir, "trust"), PARENT, ksk)
        bdns.write_unbound_conf(self.unbound_conf, PARENT, port, self.trust_anchor["ds"])
        self.named.wait_serving(PARENT, timeout=timeout)
        self.named.wait_serving(GOOD, timeout=timeout)
        main.wait_ready(timeout=timeout)
        self.domains[GOOD] = domain

    def stop(self, timeout=5.0):
        """Stop every server this bed started (by pid: SIGTERM, SIGKILL after `timeout`).
        Idempotent; the bed directory and its logs stay."""
        if self._stopped:
            return
        self._stopped = True
        errors = []
        for server in list(self.servers.values()) + [self.named]:
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

    def pids(self):
        """{server name: pid} of every process the bed started."""
        p = {"named": self.named.server.pid if self.named and self.named.server else None}
        for name, s in self.servers.items():
            p[f"prosody-{name}"] = s.pid
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
                "servers": {n: s.info() for n, s in self.servers.items()},
                "unbound_conf": self.unbound_conf,
                "trust_anchor": dict(self.trust_anchor),
                "ca": {"cert": self.ca.cert, "key": self.ca.key},
                "domains": {n: d.info() for n, d in self.domains.items()},
                "pids": self.pids(),
                "logs": self.log_paths(),
            }

    def log_paths(self):
        paths = {"named": self.named.log_path if self.named else None}
        for name, s in self.servers.items():
            paths[f"prosody-{name}"] = s.log_path
            paths[f"prosody-{name}-stdout"] = s.stdout_path
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
            name = f"{label or f'{kind}-{self._counter}'}.{PARENT}"
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
            certs = self._issue_certs(spec)
            changed = self._declare_hosts(spec, certs)
            domain = self._build_zone(spec, certs)
            for name in changed:
                self.servers[name].apply()
            options = spec.zone_options or 'type primary; file "{file}";'
            if spec.signing == "inline":
                options, keydir = self._inline_zone_options(spec)
            self.named.addzone(spec.name, options.replace("{file}", domain.zone_file))
            if spec.signing == "inline":
                self._adopt_inline_key(domain, keydir)
            self._delegations[spec.name] = domain.delegation
            self._publish_parent()
            if spec.zone_options is None:
                self.named.wait_serving(spec.name)
            self.domains[spec.name] = domain
            return domain

    def republish(self, domain):
        """Rebuild a domain's zone from its (edited) `domain.spec` with the same keys and
        certificates, a higher serial and fresh signatures; reload it (and the parent if the
        delegation changed). For tests that break or repair a domain in place; the
        resolver may keep a bogus answer for val-bogus-ttl (1 s in the bed's unbound.conf)."""
        with self._lock:
            if isinstance(domain, str):
                domain = self.domains[domain]
            if domain.spec.updatable:
                raise BedError(f"{domain.name} takes RFC 2136 updates; named refuses to reload it")
            new = self._build_zone(domain.spec, domain.certs, keys=domain.keys,
                                   serial=domain.serial + 1)
            self.named.reload(new.name, new.serial, new.zone_file)
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
            for host, (_, component) in list(p.hosts.items()):
                if host in (domain.name, domain.muc) or host in [t.name for t in domain.targets]:
                    p.set_host(host, cert, component)
            p.apply()
            domain.certs[server] = cert
            return domain

    def _issue_certs(self, spec):
        servers = {t.server for t in spec.targets} | {"main"}
        certs = {}
        for s in sorted(servers):
            c = spec.certs.get(s) or spec.certs["main"]
            certs[s] = self.ca.issue(f"{spec.name}-{s}", cn=c.cn, dns=c.dns, srv=c.srv,
                                     xmpp=c.xmpp, not_before=c.not_before,
                                     not_after=c.not_after, key_type=c.key_type, key=c.key)
        return certs

    def _declare_hosts(self, spec, certs):
        """Give each server its hosts for `spec`; start a server not running yet (the second
        one is started on first use). Returns the running servers that need a reload."""
        changed = []
        for s, cert in certs.items():
            p = self.servers.get(s)
            if p is None:
                if s not in SERVER_ADDRESSES:
                    raise BedError(f"no server {s!r}; known: {', '.join(SERVER_ADDRESSES)}")
                p = Prosody(s, os.path.join(self.dir, f"prosody-{s}"), SERVER_ADDRESSES[s], cert,
                            log_level=self.prosody_log_level)
            p.set_host(spec.name, cert)
            if spec.muc:
                p.set_host(spec.muc_name, cert, "muc")
            if spec.params.get("target_vhost"):
                for t in spec.targets:
                    if t.server == s:
                        p.set_host(spec.target_name(t), cert)
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

    def _build_zone(self, spec, certs, keys=None, serial=1):
        """Write (and sign) the child zone with `keys` (new ones by default); a Domain."""
        name = spec.name
        d = self._zone_dir(name)
        records, targets, srv = [], [], {}
        muc = spec.muc_name
        for t in spec.targets:
            server = self.servers[t.server]
            tname = spec.target_name(t)
            addresses = list(t.addresses or server.addresses)
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
                tlsa[owner] = self._tlsa_rdata(t.tlsa, certs[t.server])
                for rdata in tlsa[owner]:
                    records.append(f"{owner}. IN TLSA {rdata}")
            targets.append(Target(name=tname, server=t.server, addresses=addresses,
                                  ports=ports, tlsa=tlsa, cname=t.cname))
        tlsa_lines = [r for r in records if " IN TLSA " in r]
        if spec.fragment:
            records = [r for r in records if " IN TLSA " not in r]
        if spec.srv:
            for owner, rrs in srv.items():
                for prio, weight, port, target in rrs:
                    records.append(f"{owner}. IN SRV {prio} {weight} {port} {target}.")
        records += spec.extra_records

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
                else bdns.render_zone(name, serial, records, ttl=spec.ttl))
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
                ksk = bdns.keygen(name, d, ksk=True)
                zsk = bdns.keygen(name, d, ksk=False)
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
                      delegation=[f"{name}. IN NS {bdns.NS_NAME}"] + ds, targets=targets,
                      srv=dict(srv) if spec.srv else {}, certs=dict(certs))

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
        domain.delegation = [f"{domain.name}. IN NS {bdns.NS_NAME}"] + domain.ds

    @staticmethod
    def _tlsa_rdata(how, cert):
        if how == "match":
            return [cert.tlsa(3, 1, 1)]
        if how == "mismatch":
            return ["3 1 1 " + ("00" * 32)]
        if how == "none":
            return []
        if callable(how):
            return list(how(cert))
        return list(how)

    def _write_parent(self):
        """Write and sign example. with every delegation; return the signed file's path."""
        d = self._zone_dir(PARENT)
        records = [f"{bdns.NS_NAME} IN A {bdns.ADDRESS}"]
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

    def query(self, name, rdtype, timeout=1.0):
        """A DNSSEC-OK query straight to the bed's named (no validation); a dns.message."""
        return bdns.query(name, rdtype, self.named.port, timeout=timeout)

    def rndc(self, *args):
        return self.named.rndc(*args)


def start(directory=None, **kwargs):
    """Bring up a bed and return it (stop it with bed.stop(), or use `with Bed() as bed`)."""
    return Bed(directory, **kwargs).start()
