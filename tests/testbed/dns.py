# SPDX-License-Identifier: BSD-3-Clause
"""DNS side of the test bed: DNSSEC keys and zone signing with BIND's tools, one authoritative
named on 127.0.0.1 with its own rndc channel, and the resolver files (unbound.conf, trust anchors)
that point libunbound, unbound-host and delv at it and nowhere else."""

import base64
import datetime as dt
import os
import secrets
import shutil
import time
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode

from .proc import BedError, Server, run

ALGORITHM = "ECDSAP256SHA256"  # fast to generate and verify, validated by Debian's libunbound
ADDRESS = "127.0.0.1"  # named can listen only on addresses configured on lo (NOTES.md)
NS_NAME = "ns1.example."  # the main name server of every bed zone (glue in the parent)
# The authoritative servers a bed zone can name in its NS set, all on the bed's one named port:
# ns1 is named itself; ns2 a relay in front of a second named (secondaries); ns3 a black hole.
NAMESERVERS = {
    "ns1": ("ns1.example.", "127.0.0.1"),
    "ns2": ("ns2.example.", "127.0.0.2"),
    "ns3": ("ns3.example.", "127.0.0.3"),
}
INLINE_POLICY = "testbed"
MAX_SIGNZONE_ITERATIONS = 150  # dnssec-signzone refuses more; ldns-signzone signs those


def absolute(name):
    return name if name.endswith(".") else name + "."


def relative(name):
    return name.rstrip(".")


@dataclass(frozen=True)
class Key:
    """A DNSSEC key made by dnssec-keygen: `path` is the K... stem (add .key / .private)."""

    zone: str
    path: str
    tag: int
    ksk: bool

    @property
    def dnskey(self):
        """The DNSKEY RR in zone-file syntax."""
        with open(self.path + ".key") as f:
            return next(line for line in f if not line.startswith(";")).strip()

    @classmethod
    def load(cls, path):
        """The key whose files are `path`.key / `path`.private."""
        with open(path + ".key") as f:
            rr = next(line for line in f if not line.startswith(";")).split()
        flags = int(rr[rr.index("DNSKEY") + 1])
        return cls(zone=rr[0], path=path, tag=int(path.rsplit("+", 1)[1]), ksk=bool(flags & 1))

    def ds(self, digest=2):
        """The DS RR for this key in zone-file syntax (digest 2 = SHA-256)."""
        return run(["dnssec-dsfromkey", f"-{digest}", self.path + ".key"]).stdout.strip()


def keygen(zone, directory, ksk=True, algorithm=ALGORITHM):
    """Generate a key for `zone` in `directory` (ECDSA P-256 unless `algorithm` says)."""
    os.makedirs(directory, exist_ok=True)
    argv = ["dnssec-keygen", "-q", "-K", directory, "-a", algorithm, "-L", "300"]
    if algorithm.startswith("RSA") or algorithm.startswith("NSEC3RSA"):
        argv += ["-b", "2048"]
    if ksk:
        argv += ["-f", "KSK"]
    stem = run(argv + ["-n", "ZONE", absolute(zone)]).stdout.strip()
    tag = int(stem.rsplit("+", 1)[1])
    return Key(zone=absolute(zone), path=os.path.join(directory, stem), tag=tag, ksk=ksk)


def sigtime(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y%m%d%H%M%S")


def sign(zone, unsigned, signed, keys, *, inception=None, expiration=None, nsec3=None):
    """Sign the zone file `unsigned` into `signed` with dnssec-signzone.

    `inception`/`expiration` are datetimes for every RRSIG (default: an hour ago, 30 days on);
    an expiration in the past is allowed (post-sign verification is then skipped: it would
    refuse, NOTES.md). `nsec3` is (salt hex or "-", extra iterations) or None for NSEC; more
    than 150 iterations are signed with ldns-signzone (dnssec-signzone refuses them).
    """
    now = dt.datetime.now(dt.timezone.utc)
    inception = inception or now - dt.timedelta(hours=1)
    expiration = expiration or now + dt.timedelta(days=30)
    if nsec3 is not None and nsec3[1] > MAX_SIGNZONE_ITERATIONS:
        return _ldns_sign(zone, unsigned, signed, keys, inception, expiration, nsec3)
    # -d: the dsset- file goes beside the zone, not into the caller's working directory.
    argv = ["dnssec-signzone", "-q", "-o", absolute(zone), "-f", signed, "-N", "keep",
            "-d", os.path.dirname(os.path.abspath(signed)),
            "-s", sigtime(inception), "-e", sigtime(expiration)]
    if expiration <= now:
        argv.append("-P")
    if nsec3 is not None:
        salt, iterations = nsec3
        argv += ["-3", salt, "-H", str(iterations)]
    # dnssec-signzone signs with the keys named, but wants their DNSKEYs in the zone already.
    presign = unsigned + ".presign"
    with open(unsigned) as src, open(presign, "w") as dst:
        dst.write(src.read() + "".join(k.dnskey + "\n" for k in keys))
    argv.append(presign)
    argv += [k.path for k in keys]
    run(argv, cwd=os.path.dirname(os.path.abspath(signed)))


def _ldns_sign(zone, unsigned, signed, keys, inception, expiration, nsec3):
    """sign() for what dnssec-signzone refuses (NSEC3 iterations > 150): ldns-signzone reads
    the same K* key files and adds their DNSKEYs itself."""
    salt, iterations = nsec3
    argv = ["ldns-signzone", "-o", absolute(zone), "-f", signed,
            "-i", sigtime(inception), "-e", sigtime(expiration), "-n", "-t", str(iterations)]
    if salt != "-":  # "-" is dnssec-signzone's "no salt", ldns-signzone's default
        argv += ["-s", salt]
    run(argv + [unsigned] + [k.path for k in keys],
        cwd=os.path.dirname(os.path.abspath(signed)))


def render_zone(origin, serial, records, ttl=300, ns=(NS_NAME,)):
    """Zone-file text: SOA (primary: the first of `ns`) and the NS set at the apex, then
    `records` (lines "owner [ttl] TYPE rdata")."""
    ns = [ns] if isinstance(ns, str) else list(ns)
    lines = [f"$ORIGIN {absolute(origin)}", f"$TTL {ttl}",
             f"@ IN SOA {ns[0]} hostmaster.{absolute(origin)} {serial} 3600 600 86400 60"]
    lines += [f"@ IN NS {n}" for n in ns]
    lines += list(records)
    return "\n".join(lines) + "\n"


def parse_ds(text):
    """(key tag, algorithm, digest type, digest hex) of a DS RR in zone-file syntax."""
    fields = text.split()
    i = fields.index("DS")
    return int(fields[i + 1]), int(fields[i + 2]), int(fields[i + 3]), "".join(fields[i + 4:])


def query(name, rdtype, port, address=ADDRESS, timeout=1.0, tcp=False):
    """One query (UDP unless `tcp`) straight to an authoritative server of the bed (no
    recursion, DNSSEC OK); the response."""
    q = dns.message.make_query(absolute(name), rdtype, want_dnssec=True)
    q.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(q, address, port=port, timeout=timeout)
    return dns.query.udp(q, address, port=port, timeout=timeout)


class Named:
    """An authoritative named of the bed: named -g -c <own conf>, an rndc key and control port,
    on 127.0.0.1:`port`. `name` tells the bed's main named ("named") from the second one
    behind the ns2 relay ("named2"). Zones come from named.conf, `rndc addzone`, or the
    `bulk.conf` it includes (bulk domains: written at once, then `rndc reconfig`)."""

    def __init__(self, directory, port, control_port, log_path, name="named"):
        self.name = name
        self.dir = os.path.abspath(directory)
        self.port = port
        self.control_port = control_port
        self.conf = os.path.join(self.dir, "named.conf")
        self.rndc_conf = os.path.join(self.dir, "rndc.conf")
        self.work = os.path.join(self.dir, "named")
        self.bulk_conf = os.path.join(self.dir, "bulk.conf")
        self.log_path = log_path
        # named's own state (zones added with rndc addzone live in its NZD database) belongs to
        # one run: start from nothing, also in a reused directory.
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.secret = base64.b64encode(secrets.token_bytes(32)).decode()
        # TSIG key for RFC 2136 updates to the zones that allow them (BIND key-file syntax,
        # as nsupdate -k and xdane's tsig-key-file read it). hmac-sha256: ldns 1.8.3 breaks
        # hmac-sha384 (NOTES.md).
        self.update_key_name = "testbed-update"
        self.update_key_file = os.path.join(self.dir, "update.key")
        with open(self.update_key_file, "w") as f:
            f.write(f'key "{self.update_key_name}" {{\n\talgorithm hmac-sha256;\n\tsecret '
                    f'"{base64.b64encode(secrets.token_bytes(32)).decode()}";\n}};\n')
        os.chmod(self.update_key_file, 0o600)
        self.server = None

    def write_conf(self, zones):
        """Write named.conf for `zones` (name -> zone file) and rndc.conf."""
        key = f'key "testbed-rndc" {{ algorithm hmac-sha256; secret "{self.secret}"; }};\n'
        w = self.work
        text = [key, f'include "{self.update_key_file}";',
                "# Inline-signed zones (BIND signs): one CSK, never rolled.",
                f'dnssec-policy "{INLINE_POLICY}" {{ keys {{ csk lifetime unlimited algorithm '
                f"{ALGORITHM.lower()}; }}; }};",
                "options {",
                f'\tdirectory "{w}";',
                f'\tpid-file "{w}/named.pid";',
                f'\tlock-file "{w}/named.lock";',
                f'\tsession-keyfile "{w}/session.key";',
                f'\tmanaged-keys-directory "{w}";',
                f'\tdump-file "{w}/named_dump.db";',
                f'\tstatistics-file "{w}/named.stats";',
                f'\tmemstatistics-file "{w}/named.memstats";',
                f"\tlisten-on port {self.port} {{ {ADDRESS}; }};",
                "\tlisten-on-v6 { none; };",
                "\trecursion no;",
                "\tdnssec-validation no;",
                "\tnotify no;",
                "\tallow-transfer { 127.0.0.0/8; };",
                "\tallow-new-zones yes;",
                "\tminimal-responses no-auth-recursive;",
                "};",
                f"controls {{ inet {ADDRESS} port {self.control_port} "
                f'allow {{ {ADDRESS}; }} keys {{ "testbed-rndc"; }}; }};']
        for name, path in zones.items():
            text.append(f'zone "{absolute(name)}" {{ type primary; file "{path}"; }};')
        text.append(f'include "{self.bulk_conf}";')
        open(self.bulk_conf, "w").close()
        with open(self.conf, "w") as f:
            f.write("\n".join(text) + "\n")
        with open(self.rndc_conf, "w") as f:
            f.write(key + f'options {{ default-key "testbed-rndc"; default-server {ADDRESS}; '
                    f"default-port {self.control_port}; }};\n")
        run(["named-checkconf", self.conf])

    def start(self):
        open(self.log_path, "w").close()  # one run per log, also in a reused directory
        # -g: foreground, log to stderr (into log_path); -n 2: small thread pool, quick start.
        self.server = Server(self.name, ["named", "-g", "-n", "2", "-c", self.conf],
                             log_path=self.log_path, cwd=self.work).start()
        return self

    def wait_answering(self, timeout=10.0):
        """Wait until named answers at all (REFUSED for a zone it lacks is an answer)."""
        def ready():
            try:
                query(".", "SOA", self.port, timeout=0.3)
            except (dns.exception.DNSException, OSError):
                return False
            return True
        self.server.wait_until(ready, "an answer", timeout=timeout)

    def add_bulk_zones(self, zones):
        """Append `zones` (name -> zone file) to bulk.conf and `rndc reconfig`: one reload
        for any number of zones (rndc addzone costs a process and an NZD write per zone)."""
        with open(self.bulk_conf, "a") as f:
            f.write("".join(f'zone "{absolute(n)}" {{ type primary; file "{p}"; }};\n'
                            for n, p in zones.items()))
        self.rndc("reconfig", timeout=60)

    def wait_serving(self, zone, serial=None, timeout=10.0):
        """Wait until named answers authoritatively for `zone` (with at least `serial`)."""
        def ready():
            try:
                r = query(zone, "SOA", self.port, timeout=0.3)
            except (dns.exception.DNSException, OSError):
                return False
            if r.rcode() != dns.rcode.NOERROR or not r.flags & dns.flags.AA or not r.answer:
                return False
            return serial is None or r.answer[0][0].serial >= serial
        self.server.wait_until(ready, f"SOA of {zone}" + (f" serial {serial}" if serial else ""),
                               timeout=timeout)

    def rndc(self, *args, timeout=15):
        """Run rndc against this named; raise with named's log tail on failure."""
        try:
            return run(["rndc", "-c", self.rndc_conf, *args], timeout=timeout).stdout
        except BedError as e:
            raise self.server.fail(f"rndc {' '.join(args)} failed: {e}") from None

    def addzone(self, zone, options):
        """Add a zone at run time; `options` is the body of its zone statement."""
        self.rndc("addzone", absolute(zone), f"{{ {options} }};")

    def reload(self, zone, serial, path, timeout=10.0):
        """`rndc reload zone`, then wait until `serial` is served.

        named skips a reload when the file looks no newer than its last load (same clock
        tick), so the file's mtime is bumped and the reload repeated until the serial shows.
        """
        deadline = time.monotonic() + timeout
        while True:
            self.rndc("reload", absolute(zone))
            try:
                self.wait_serving(zone, serial, timeout=1.0)
                return
            except BedError:
                if time.monotonic() > deadline:
                    raise
                os.utime(path)

    def stop(self, timeout=5.0):
        if self.server:
            self.server.stop(timeout)


def write_trust_anchors(directory, zone, ksk):
    """Write the bed's trust anchor for `zone` in three syntaxes; return their paths.

    ds: zone-file DS (unbound trust-anchor-file, ub_ctx_add_ta_file); dnskey: zone-file DNSKEY;
    bind: a `trust-anchors { }` clause for delv -a.
    """
    os.makedirs(directory, exist_ok=True)
    paths = {"ds": os.path.join(directory, "example.ds"),
             "dnskey": os.path.join(directory, "example.dnskey"),
             "bind": os.path.join(directory, "bind-anchors.conf")}
    ds = ksk.ds()
    with open(paths["ds"], "w") as f:
        f.write(ds + "\n")
    with open(paths["dnskey"], "w") as f:
        f.write(ksk.dnskey + "\n")
    tag, alg, dtype, digest = parse_ds(ds)
    with open(paths["bind"], "w") as f:
        f.write(f'trust-anchors {{\n\t"{absolute(zone)}" static-ds {tag} {alg} {dtype} '
                f'"{digest}";\n}};\n')
    return paths


def write_unbound_conf(path, zone, port, trust_anchor_ds):
    """An unbound.conf for ub_ctx_config and unbound-host -C that only ever asks the bed's named.

    Everything outside `zone` is refused locally at once (no packet leaves: without this,
    libunbound iterates from the real root hints). `zone` is a forward zone, not a stub: with a
    stub, unbound takes a child zone's NS RRset from its cache (e.g. after an NS lookup) as a
    better delegation than the stub and then asks those servers on port 53, where nothing
    answers: lookups take 15-90 s (measured on unbound 1.17). A forwarder is used for every
    name below it, whatever is cached; named answers its zones to RD=1 queries all the same.
    Validation failures are explained (val-log-level 2 fills why_bogus) and not cached for long
    (val-bogus-ttl).
    """
    z = absolute(zone)
    text = f"""\
# Written by the xdane test bed: resolve {z} from the bed's named only, refuse everything else.
server:
	# The forwarder below is on 127.0.0.1; unbound skips localhost servers unless told otherwise.
	do-not-query-localhost: no
	# Hermetic: every name outside {z} is REFUSED locally, nothing is sent to the root servers.
	local-zone: "." refuse
	local-zone: "{z}" transparent
	trust-anchor-file: "{trust_anchor_ds}"
	# Fill why_bogus (ub_result) with the validator's reason.
	val-log-level: 2
	# Tests break and repair zones: do not keep a bogus verdict for the default 60 s.
	val-bogus-ttl: 1
	cache-max-negative-ttl: 5
	# Checks run in parallel; the library default is small (NOTES.md).
	outgoing-range: 256
	# Not needed by libunbound, but keeps a daemon started on this file inside the bed.
	chroot: ""
	username: ""
	pidfile: ""
	use-syslog: no

# A forward zone, not a stub zone: a stub loses to NS RRsets of child zones in the cache, and
# their servers would be asked on port 53 (the bed's servers all answer on {port} only).
forward-zone:
	name: "{z}"
	forward-addr: {ADDRESS}@{port}
"""
    with open(path, "w") as f:
        f.write(text)
    return path
