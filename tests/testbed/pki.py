# SPDX-License-Identifier: BSD-3-Clause
"""A private test CA driven through the openssl CLI: issues leaf certificates with DNS-IDs,
SRV-IDs (RFC 4985), xmppAddr and CN, any validity window (also already expired), EC or RSA keys."""

import datetime as dt
import hashlib
import os
import ssl
import threading
from dataclasses import dataclass, field

from .proc import BedError, run

OID_SRVNAME = "1.3.6.1.5.5.7.8.7"  # RFC 4985 id-on-dnsSRV, IA5String
OID_XMPPADDR = "1.3.6.1.5.5.7.8.5"  # RFC 6120 id-on-xmppAddr, UTF8String

KEY_TYPES = ("ec", "rsa")

_CA_CNF = """\
[ca]
default_ca = bed
[bed]
dir = {dir}
database = {dir}/index.txt
serial = {dir}/serial
new_certs_dir = {dir}/issued
certificate = {dir}/ca.crt
private_key = {dir}/ca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[policy_any]
commonName = optional
"""


def utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _asn1_time(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y%m%d%H%M%SZ")


_NEWKEY = {"ec": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
           "rsa": ["-newkey", "rsa:2048"]}


def genkey(path, key_type="ec"):
    """Write a new private key (EC P-256 or RSA 2048) in PEM to `path`."""
    if key_type == "ec":
        opts = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    elif key_type == "rsa":
        opts = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    else:
        raise BedError(f"unknown key type {key_type!r} (want one of {KEY_TYPES})")
    run(["openssl", "genpkey", *opts, "-out", path])
    os.chmod(path, 0o600)


def _der_items(der, start, end):
    """(start, content start, end) of each DER TLV in der[start:end]."""
    i = start
    while i < end:
        length = der[i + 1]
        content = i + 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(der[content:content + n], "big")
            content += n
        yield i, content, content + length
        i = content + length


def spki_of(cert_der):
    """The DER SubjectPublicKeyInfo of a DER certificate (RFC 5280 4.1; `openssl x509` costs
    ~50 ms a call here, this costs nothing)."""
    _, cert_start, cert_end = next(_der_items(cert_der, 0, len(cert_der)))
    _, tbs_start, tbs_end = next(_der_items(cert_der, cert_start, cert_end))
    fields = list(_der_items(cert_der, tbs_start, tbs_end))
    if cert_der[fields[0][0]] == 0xA0:  # [0] version
        fields = fields[1:]
    start, _, end = fields[5]  # serial, signature, issuer, validity, subject, SPKI
    return cert_der[start:end]


def first_pem_cert(text):
    """The first PEM certificate block in `text`."""
    start = text.index("-----BEGIN CERTIFICATE-----")
    end = text.index("-----END CERTIFICATE-----", start) + len("-----END CERTIFICATE-----")
    return text[start:end] + "\n"


@dataclass(frozen=True)
class Cert:
    """An issued certificate and its files.

    `cert` holds the leaf alone, `chain` leaf + CA (what servers serve, so DANE-TA can match),
    `key` the private key. Digests are lower-case hex.
    """

    name: str
    cert: str
    chain: str
    key: str
    ca: str
    key_type: str
    cn: str
    dns_ids: tuple
    srv_ids: tuple
    xmpp_addrs: tuple
    not_before: dt.datetime
    not_after: dt.datetime
    sha256: str
    spki_sha256: str
    spki_sha512: str
    der: bytes = field(repr=False)
    spki: bytes = field(repr=False)

    def tlsa(self, usage=3, selector=1, mtype=1):
        """TLSA RDATA text ("3 1 1 ab12...") for this certificate (usage 2 uses the CA's)."""
        if usage in (0, 2):
            raise BedError("use CA.tlsa() for trust-anchor usages")
        return tlsa_rdata(self.der, self.spki, usage, selector, mtype)

    def info(self):
        return {"name": self.name, "cert": self.cert, "chain": self.chain, "key": self.key,
                "key_type": self.key_type, "cn": self.cn, "dns_ids": list(self.dns_ids),
                "srv_ids": list(self.srv_ids), "xmpp_addrs": list(self.xmpp_addrs),
                "not_before": self.not_before.isoformat(), "not_after": self.not_after.isoformat(),
                "sha256": self.sha256, "spki_sha256": self.spki_sha256,
                "tlsa_311": f"3 1 1 {self.spki_sha256}", "ca": self.ca}


def ca_tlsa(cert, usage=2, selector=0, mtype=1):
    """TLSA RDATA text for the CA that issued `cert` (its `ca` file), e.g. DANE-TA 2 0 1."""
    with open(cert.ca) as f:
        der = ssl.PEM_cert_to_DER_cert(first_pem_cert(f.read()))
    return tlsa_rdata(der, spki_of(der), usage, selector, mtype)


def tlsa_rdata(cert_der, spki, usage, selector, mtype):
    data = cert_der if selector == 0 else spki
    if mtype == 1:
        data = hashlib.sha256(data).digest()
    elif mtype == 2:
        data = hashlib.sha512(data).digest()
    return f"{usage} {selector} {mtype} {data.hex()}"


class CA:
    """A self-signed test CA kept in `directory` (ca.crt, ca.key, openssl ca database).

    `issue()` is thread-safe; each certificate gets its own files under `directory/../certs`
    unless an output directory is given.
    """

    def __init__(self, directory, key_type="ec", cn=None, certs_dir=None):
        self.dir = os.path.abspath(directory)
        self.key_type = key_type
        self.certs_dir = os.path.abspath(certs_dir or os.path.join(self.dir, "..", "certs"))
        self.cert = os.path.join(self.dir, "ca.crt")
        self.key = os.path.join(self.dir, "ca.key")
        self.cnf = os.path.join(self.dir, "ca.cnf")
        self._lock = threading.Lock()
        os.makedirs(os.path.join(self.dir, "issued"), exist_ok=True)
        os.makedirs(self.certs_dir, exist_ok=True)
        with open(self.cnf, "w") as f:
            f.write(_CA_CNF.format(dir=self.dir))
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "index.txt.attr"), "w") as f:
            f.write("unique_subject = no\n")
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write(os.urandom(8).hex().upper() + "\n")
        genkey(self.key, key_type)
        run(["openssl", "req", "-x509", "-new", "-key", self.key, "-sha256",
             "-subj", f"/CN={cn or f'xdane test bed CA ({key_type})'}",
             "-days", "3650", "-set_serial", "1",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash",
             "-out", self.cert])
        with open(self.cert) as f:
            self.pem = f.read()
        self.der = ssl.PEM_cert_to_DER_cert(self.pem)
        self.spki = spki_of(self.der)
        self.sha256 = hashlib.sha256(self.der).hexdigest()
        self.spki_sha256 = hashlib.sha256(self.spki).hexdigest()

    def info(self):
        return {"cert": self.cert, "key": self.key, "sha256": self.sha256,
                "spki_sha256": self.spki_sha256, "tlsa_201": self.tlsa(2, 0, 1)}

    def tlsa(self, usage=2, selector=1, mtype=1):
        """TLSA RDATA text for this CA as trust anchor (DANE-TA, usage 2, by default)."""
        return tlsa_rdata(self.der, self.spki, usage, selector, mtype)

    def issue(self, name, *, cn=None, dns=(), srv=(), xmpp=(), not_before=None, not_after=None,
              days=90, key_type="ec", key=None, out_dir=None):
        """Issue a leaf certificate; files are `<out_dir>/<name>.{crt,key,leaf.crt}`.

        `dns` are DNS-IDs, `srv` SRV-IDs such as "_xmpp-client.example.org", `xmpp` xmppAddr
        values. Validity is [not_before, not_after] (datetimes, UTC), by default from an hour ago
        for `days` days; a not_after in the past gives an expired certificate. `key` reuses an
        existing private key file (same key, new certificate) instead of generating one.
        The `.crt` file holds leaf + CA (what a server serves); `.leaf.crt` the leaf alone.
        """
        out_dir = os.path.abspath(out_dir or self.certs_dir)
        os.makedirs(out_dir, exist_ok=True)
        stem = os.path.join(out_dir, name)
        now = utcnow()
        not_before = not_before or now - dt.timedelta(hours=1)
        not_after = not_after or now + dt.timedelta(days=days)
        if not_after <= not_before:
            raise BedError(f"certificate {name}: not_after {not_after} <= not_before {not_before}")
        if key_type not in KEY_TYPES:
            raise BedError(f"unknown key type {key_type!r} (want one of {KEY_TYPES})")
        key_path = stem + ".key"
        if key:
            if os.path.abspath(key) != key_path:
                with open(key) as src, open(key_path, "w") as dst:
                    dst.write(src.read())
                os.chmod(key_path, 0o600)
        if key:
            key_type = _key_type_of(key_path)
        cn = cn if cn is not None else (dns[0] if dns else name)
        sans = [f"DNS.{i} = {d}" for i, d in enumerate(dns, 1)]
        sans += [f"otherName.{i} = {OID_SRVNAME};IA5STRING:{s}" for i, s in enumerate(srv, 1)]
        sans += [f"otherName.{i} = {OID_XMPPADDR};UTF8:{x}"
                 for i, x in enumerate(xmpp, len(srv) + 1)]
        usage = "digitalSignature" + (",keyEncipherment" if key_type == "rsa" else "")
        ext = ["[leaf]", "basicConstraints = critical,CA:FALSE",
               f"keyUsage = critical,{usage}",
               "extendedKeyUsage = serverAuth,clientAuth",
               "subjectKeyIdentifier = hash", "authorityKeyIdentifier = keyid"]
        if sans:
            ext += ["subjectAltName = @san", "[san]", *sans]
        ext_path = stem + ".ext"
        with open(ext_path, "w") as f:
            f.write("\n".join(ext) + "\n")
        csr = stem + ".csr"
        subj = f"/CN={cn}" if cn else "/"
        if key:
            run(["openssl", "req", "-new", "-key", key_path, "-subj", subj, "-out", csr])
        else:  # new key and CSR in one call (each openssl start costs)
            run(["openssl", "req", "-new", *_NEWKEY[key_type], "-nodes", "-keyout", key_path,
                 "-subj", subj, "-out", csr])
            os.chmod(key_path, 0o600)
        leaf = stem + ".leaf.crt"
        with self._lock:
            run(["openssl", "ca", "-batch", "-config", self.cnf, "-in", csr, "-out", leaf,
                 "-notext", "-startdate", _asn1_time(not_before), "-enddate", _asn1_time(not_after),
                 "-extfile", ext_path, "-extensions", "leaf", "-preserveDN"])
        with open(leaf) as f:
            leaf_pem = first_pem_cert(f.read())
        with open(leaf, "w") as f:
            f.write(leaf_pem)
        chain = stem + ".crt"
        with open(chain, "w") as f:
            f.write(leaf_pem + self.pem)
        der = ssl.PEM_cert_to_DER_cert(leaf_pem)
        spki = spki_of(der)
        return Cert(name=name, cert=leaf, chain=chain, key=key_path, ca=self.cert,
                    key_type=key_type, cn=cn,
                    dns_ids=tuple(dns), srv_ids=tuple(srv), xmpp_addrs=tuple(xmpp),
                    not_before=not_before, not_after=not_after,
                    sha256=hashlib.sha256(der).hexdigest(),
                    spki_sha256=hashlib.sha256(spki).hexdigest(),
                    spki_sha512=hashlib.sha512(spki).hexdigest(), der=der, spki=spki)


def _key_type_of(key_path):
    text = run(["openssl", "pkey", "-in", key_path, "-noout", "-text"]).stdout
    return "rsa" if "modulus" in text.lower() else "ec"
