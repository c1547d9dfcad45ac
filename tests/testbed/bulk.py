# SPDX-License-Identifier: BSD-3-Clause
"""Bulk domains for benchmarks: many healthy signed child zones of `example.`, made fast.

Every bulk zone has good.example's layout (SRV for the four services and the MUC's s2s, target
`xmpp.<domain>` with A/AAAA, TLSA 3 1 1 for each port) and is signed here, in Python, with one
KSK/ZSK pair (ECDSA P-256) shared by all bulk zones: a DNSKEY RRset does not name its zone, so
sharing keys is invisible to a resolver (each zone still has its own DS, which hashes the owner
name). dnssec-keygen + dnssec-signzone cost ~130 ms per zone, named's inline signing ~10 ms per
zone, ldns-signzone ~20 ms; this signer ~4 ms of one core, spread over every core. It needs
python3-cryptography (which python3-dnspython only recommends); without it, ldns-signzone signs
(same keys, same layout, ~5x slower). Zones use NSEC (like dnssec-signzone's default), RRSIGs
from an hour ago for 30 days, DNSKEY signed by the KSK, the rest by the ZSK."""

import base64
import concurrent.futures
import datetime as dt
import hashlib
import multiprocessing
import os
import socket
import struct

from .dns import keygen, sigtime
from .proc import run

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
except ImportError:  # pragma: no cover - depends on the machine
    ec = None

ALGORITHM = 13  # ECDSAP256SHA256
TTL = 300
NEG_TTL = 60  # SOA minimum: the NSEC TTL
TYPES = {"A": 1, "NS": 2, "SOA": 6, "AAAA": 28, "SRV": 33, "DS": 43, "RRSIG": 46, "NSEC": 47,
         "DNSKEY": 48, "TLSA": 52}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
PARALLEL_MIN = 64  # fewer zones are signed in this process (a pool costs ~50 ms to start)


def name_wire(name):
    """Uncompressed, lower-case (canonical) wire form of an absolute name given as text."""
    labels = [lab for lab in name.lower().rstrip(".").split(".") if lab]
    return b"".join(bytes([len(lab)]) + lab.encode() for lab in labels) + b"\0"


def key_tag(rdata):
    """RFC 4034 appendix B."""
    acc = 0
    for i, b in enumerate(rdata):
        acc += b if i & 1 else b << 8
    acc += (acc >> 16) & 0xFFFF
    return acc & 0xFFFF


def _bitmap(types):
    """NSEC type bit maps (RFC 4034 4.1.2) and their text, for types all below 256."""
    field = bytearray(max(types) // 8 + 1)
    for t in types:
        field[t // 8] |= 0x80 >> (t % 8)
    return bytes([0, len(field)]) + bytes(field), " ".join(TYPE_NAMES[t] for t in sorted(types))


def _read_key(stem):
    """(DNSKEY rdata, private scalar) of the dnssec-keygen key files `stem`.key/.private."""
    with open(stem + ".key") as f:
        rr = next(line for line in f if not line.startswith(";")).split()
    i = rr.index("DNSKEY")
    flags, proto, alg = int(rr[i + 1]), int(rr[i + 2]), int(rr[i + 3])
    rdata = struct.pack("!HBB", flags, proto, alg) + base64.b64decode("".join(rr[i + 4:]))
    with open(stem + ".private") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return rdata, int.from_bytes(base64.b64decode(fields["PrivateKey"].strip()), "big")


class SharedKeys:
    """One KSK and one ZSK (dnssec-keygen files under `directory`, made for the owner
    `bulk.example.`: the owner in a .key file does not matter to the signers) for every bulk
    zone. Picklable, so pool workers rebuild the private keys from it."""

    def __init__(self, directory):
        self.ksk_path = keygen("bulk.example", directory, ksk=True).path
        self.zsk_path = keygen("bulk.example", directory, ksk=False).path
        self.ksk_rdata, self._ksk_d = _read_key(self.ksk_path)
        self.zsk_rdata, self._zsk_d = _read_key(self.zsk_path)
        self.ksk_tag, self.zsk_tag = key_tag(self.ksk_rdata), key_tag(self.zsk_rdata)
        self._private = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_private"] = None
        return state

    def private(self):
        """(KSK, ZSK) as cryptography private keys."""
        if self._private is None:
            curve = ec.SECP256R1()
            self._private = (ec.derive_private_key(self._ksk_d, curve),
                             ec.derive_private_key(self._zsk_d, curve))
        return self._private

    @staticmethod
    def dnskey_text(rdata):
        flags, proto, alg = struct.unpack("!HBB", rdata[:4])
        return f"{flags} {proto} {alg} {base64.b64encode(rdata[4:]).decode()}"

    def ds(self, zone, digest=2):
        """The DS RR (zone-file syntax) of the KSK for `zone`."""
        if digest != 2:
            raise ValueError("bulk zones publish SHA-256 DS only")
        h = hashlib.sha256(name_wire(zone) + self.ksk_rdata).hexdigest().upper()
        return f"{zone.rstrip('.')}. IN DS {self.ksk_tag} {ALGORITHM} 2 {h}"

    def dnskey_lines(self, zone):
        z = zone.rstrip(".") + "."
        return [f"{z} {TTL} IN DNSKEY {self.dnskey_text(r)}"
                for r in (self.ksk_rdata, self.zsk_rdata)]


class Layout:
    """What every bulk zone holds, relative to its apex: (label, type, rdata text, rdata wire)
    with `{z}` standing for the zone in names (filled in per zone)."""

    def __init__(self, ports, addresses, tlsa_hex, muc=True, ns="ns1.example."):
        self.ports, self.addresses, self.tlsa_hex, self.muc, self.ns = \
            dict(ports), list(addresses), tlsa_hex, muc, ns

    def text(self, zone, serial):
        """The unsigned zone file text of `zone`."""
        return "".join(f"{o} {TTL} IN {t} {text}\n" for o, t, text, _ in
                       self.records(zone, serial))

    def records(self, zone, serial):
        """[(owner, type, rdata text, rdata wire)] of `zone` (absolute names, lower case)."""
        z = zone.lower().rstrip(".") + "."
        target = "xmpp." + z
        tw = name_wire(target)
        rr = [(z, "SOA", f"{self.ns} hostmaster.{z} {serial} 3600 600 86400 {NEG_TTL}",
               name_wire(self.ns) + name_wire("hostmaster." + z) +
               struct.pack("!IIIII", serial, 3600, 600, 86400, NEG_TTL)),
              (z, "NS", self.ns, name_wire(self.ns))]
        for service, port in self.ports.items():
            owners = [f"_{service}._tcp.{z}"]
            if self.muc and service.endswith("server"):
                owners.append(f"_{service}._tcp.conference.{z}")
            for owner in owners:
                rr.append((owner, "SRV", f"0 5 {port} {target}", struct.pack("!HHH", 0, 5, port)
                           + tw))
        for a in self.addresses:
            if ":" in a:
                rr.append((target, "AAAA", a, socket.inet_pton(socket.AF_INET6, a)))
            else:
                rr.append((target, "A", a, socket.inet_aton(a)))
        tlsa = bytes.fromhex(self.tlsa_hex)
        for port in sorted(set(self.ports.values())):
            rr.append((f"_{port}._tcp.{target}", "TLSA", f"3 1 1 {self.tlsa_hex.upper()}",
                       bytes([3, 1, 1]) + tlsa))
        return rr


def _canonical_key(owner):
    # RFC 4034 6.1: compare label by label from the right, as lower-case octet strings.
    return [lab.encode() for lab in reversed(owner.rstrip(".").split("."))]


def sign_zone(zone, serial, layout, keys, inception, expiration):
    """The signed zone file text of one bulk zone."""
    z = zone.lower().rstrip(".") + "."
    signer = name_wire(z)
    inc, exp = int(inception.timestamp()), int(expiration.timestamp())
    inc_t, exp_t = inception.strftime("%Y%m%d%H%M%S"), expiration.strftime("%Y%m%d%H%M%S")
    rrsets = {}  # (owner, type) -> [(text, wire)]
    for owner, rtype, text, wire in layout.records(z, serial):
        rrsets.setdefault((owner, rtype), []).append((text, wire))
    rrsets[(z, "DNSKEY")] = [(keys.dnskey_text(r), r) for r in (keys.ksk_rdata, keys.zsk_rdata)]
    # NSEC chain over the owner names in canonical order.
    owners = sorted({o for o, _ in rrsets}, key=_canonical_key)
    present = {}
    for o, t in rrsets:
        present.setdefault(o, set()).add(TYPES[t])
    for i, o in enumerate(owners):
        nxt = owners[(i + 1) % len(owners)]
        bits, bits_text = _bitmap(present[o] | {TYPES["RRSIG"], TYPES["NSEC"]})
        rrsets[(o, "NSEC")] = [(f"{nxt} {bits_text}", name_wire(nxt) + bits)]
    sha256 = ec.ECDSA(hashes.SHA256())
    ksk, zsk = keys.private()
    out = [f"; bulk zone {z} signed by the xdane test bed", f"$TTL {TTL}"]
    for o in owners:
        ow = name_wire(o)
        labels = len(o.rstrip(".").split("."))
        for (owner, rtype), rdatas in ((k, v) for k, v in rrsets.items() if k[0] == o):
            t = TYPES[rtype]
            ttl = NEG_TTL if rtype == "NSEC" else TTL
            key, tag = (ksk, keys.ksk_tag) if rtype == "DNSKEY" else (zsk, keys.zsk_tag)
            head = struct.pack("!HBBIIIH", t, ALGORITHM, labels, ttl, exp, inc, tag) + signer
            rrhead = ow + struct.pack("!HHI", t, 1, ttl)
            data = head + b"".join(rrhead + struct.pack("!H", len(w)) + w
                                   for w in sorted(w for _, w in rdatas))
            r, s = decode_dss_signature(key.sign(data, sha256))
            sig = base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
            for text, _ in rdatas:
                out.append(f"{owner} {ttl} IN {rtype} {text}")
            out.append(f"{owner} {ttl} IN RRSIG {rtype} {ALGORITHM} {labels} {ttl} {exp_t} "
                       f"{inc_t} {tag} {z} {sig}")
    return "\n".join(out) + "\n"


def _sign_chunk(args):
    jobs, serial, layout, keys, inception, expiration = args
    for zone, path in jobs:
        with open(path, "w") as f:
            f.write(sign_zone(zone, serial, layout, keys, inception, expiration))
    return len(jobs)


def _ldns_sign(job, serial, layout, keys, inception, expiration):
    zone, path = job
    unsigned = path + ".db"
    with open(unsigned, "w") as f:
        f.write(layout.text(zone, serial) + "".join(line + "\n" for line in
                                                    keys.dnskey_lines(zone)))
    run(["ldns-signzone", "-o", zone.rstrip(".") + ".", "-f", path, "-i", sigtime(inception),
         "-e", sigtime(expiration), unsigned, keys.ksk_path, keys.zsk_path],
        cwd=os.path.dirname(path))


def signer_available():
    """"python" when python3-cryptography is there (fast), else "ldns"."""
    return "python" if ec is not None else "ldns"


def sign_zones(jobs, layout, keys, serial=1, inception=None, expiration=None, processes=None,
               signer=None):
    """Sign every (zone, path) of `jobs` into its file, in parallel on every core. `signer`:
    "python" (needs python3-cryptography) or "ldns" (ldns-signzone); default the first that
    is available. Returns the signer used."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    inception = inception or now - dt.timedelta(hours=1)
    expiration = expiration or now + dt.timedelta(days=30)
    processes = processes or os.cpu_count() or 1
    signer = signer or signer_available()
    if signer == "ldns":
        with concurrent.futures.ThreadPoolExecutor(processes) as pool:
            list(pool.map(lambda j: _ldns_sign(j, serial, layout, keys, inception, expiration),
                          jobs))
    elif len(jobs) < PARALLEL_MIN or processes == 1:
        _sign_chunk((jobs, serial, layout, keys, inception, expiration))
    else:
        chunks = [jobs[i::processes * 4] for i in range(processes * 4)]
        # fork: the workers need nothing but their arguments, and start in a few milliseconds.
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            pool.map(_sign_chunk, [(c, serial, layout, keys, inception, expiration)
                                   for c in chunks if c])
    return signer
