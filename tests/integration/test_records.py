# SPDX-License-Identifier: BSD-3-Clause
"""The record tools (`xdane cert`, `tlsa`, `ds`) against the reference tools on the same
inputs: TLSA data equals `ldns-dane create` and `danetool --tlsa-rr`, DS equals
`dnssec-dsfromkey`, and `xdane cert` agrees with `openssl x509`. Inputs are made fresh with
openssl and dnssec-keygen for each key type."""

import hashlib
import json
import re
import subprocess
from datetime import datetime, timezone

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

KEY_TYPES = {
    "ec256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "rsa2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "ed25519": ["-algorithm", "ED25519"],
}

SAN = ("DNS:example.org, DNS:xmpp.example.org, "
       "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-client.example.org, "
       "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.example.org, "
       "otherName:1.3.6.1.5.5.7.8.5;UTF8:example.org")


def sh(*argv, **kwargs):
    return subprocess.run([str(a) for a in argv], check=True, capture_output=True, text=True,
                          timeout=60, **kwargs).stdout


@pytest.fixture(scope="module", params=sorted(KEY_TYPES))
def cert(request, tmp_path_factory):
    """A self-signed XMPP certificate with SRV-IDs and xmppAddr, for each key type."""
    d = tmp_path_factory.mktemp(request.param)
    key, pub, pem = d / "key.pem", d / "pub.pem", d / "cert.pem"
    sh("openssl", "genpkey", *KEY_TYPES[request.param], "-out", key)
    sh("openssl", "pkey", "-in", key, "-pubout", "-out", pub)
    sh("openssl", "req", "-x509", "-key", key, "-subj", "/O=xdane/CN=example.org", "-days", "90",
       "-addext", f"subjectAltName={SAN}", "-out", pem)
    return {"type": request.param, "key": key, "pub": pub, "pem": pem, "dir": d}


def openssl_fingerprint(pem, spki=False):
    if spki:
        der = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-pubkey"],
                             check=True, capture_output=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der,
                             check=True, capture_output=True).stdout
        return hashlib.sha256(der).hexdigest()
    out = sh("openssl", "x509", "-in", pem, "-noout", "-fingerprint", "-sha256")
    return out.split("=", 1)[1].strip().replace(":", "").lower()


def openssl_date(pem, which):
    out = sh("openssl", "x509", "-in", pem, "-noout", f"-{which}")
    text = out.split("=", 1)[1].strip()
    return datetime.strptime(text, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=timezone.utc)


def test_cert_json_agrees_with_openssl(xdane, cert):
    """Every field of `xdane cert --json` equals what openssl reports for the same file."""
    doc = json.loads(xdane.ok("cert", "--json", cert["pem"]))
    assert doc["cn"] == "example.org"
    assert doc["dns_ids"] == ["example.org", "xmpp.example.org"]
    assert doc["srv_ids"] == ["_xmpp-client.example.org", "_xmpp-server.example.org"]
    assert doc["xmpp_addrs"] == ["example.org"]
    assert doc["sha256"] == openssl_fingerprint(cert["pem"])
    assert doc["spki_sha256"] == openssl_fingerprint(cert["pem"], spki=True)
    for key, which in (("not_before", "startdate"), ("not_after", "enddate")):
        got = datetime.strptime(doc[key], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert got == openssl_date(cert["pem"], which)
    text = sh("openssl", "x509", "-in", cert["pem"], "-noout", "-text")
    m = re.search(r"Public-Key: \((\d+) bit\)", text)
    assert doc["key_bits"] == (int(m.group(1)) if m else 256)  # openssl omits Ed25519's 256
    assert doc["key_type"] == {"ec256": "EC", "ec384": "EC", "rsa2048": "RSA",
                               "ed25519": "ED25519"}[cert["type"]]
    assert doc["key_curve"] == {"ec256": "P-256", "ec384": "P-384"}.get(cert["type"], "")
    assert doc["tlsa"][0] == f"3 1 1 {doc['spki_sha256']}"
    assert doc["tlsa"][2] == f"3 0 1 {doc['sha256']}"
    assert doc["tlsa"][1].startswith("3 1 2 ") and len(doc["tlsa"][1]) == 6 + 128


def test_cert_text_shows_decoded_othernames(xdane, cert):
    """The human report names SRV-IDs and xmppAddrs, never '<unsupported>'."""
    out = xdane.ok("cert", cert["pem"])
    assert "SRV-IDs:      _xmpp-client.example.org, _xmpp-server.example.org" in out
    assert "xmppAddrs:    example.org" in out
    assert "unsupported" not in out
    assert f"SHA-256:      {openssl_fingerprint(cert['pem'])}" in out


def tlsa_rdata(text):
    """(usage, selector, mtype, data) of a TLSA line in any tool's presentation."""
    text = text.strip()
    m = re.search(r"TLSA\s+\(?\s*(.*?)\s*\)?\s*$", text)
    rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TLSA, m.group(1) if m else text)
    return (rd.usage, rd.selector, rd.mtype, rd.cert)


ALL_PARAMS = [(u, s, m) for u in range(4) for s in range(2) for m in range(3)]


def test_tlsa_equals_ldns_dane_for_every_parameter(xdane, cert):
    """All 24 usage/selector/matching-type combinations match `ldns-dane -c FILE create`."""
    for u, s, m in ALL_PARAMS:
        ours = xdane.ok("tlsa", "--cert", cert["pem"], "--usage", u, "--selector", s,
                        "--mtype", m, "--host", "xmpp.example.org", "--port", 5222)
        # -s: no PKIX validation of the self-signed test certificate (usages 0 and 1)
        ref = sh("ldns-dane", "-s", "-c", cert["pem"], "create", "xmpp.example.org", "5222",
                 u, s, m)
        assert ours.split()[0] == "_5222._tcp.xmpp.example.org."
        assert tlsa_rdata(ours) == tlsa_rdata(ref), (u, s, m)


def test_tlsa_equals_danetool(xdane, cert):
    """danetool's usage flags (--ca, --no-domain), --x509 and --hash agree with ours."""
    for u, s, m in ALL_PARAMS:
        if m == 0:
            continue  # danetool has no full-data matching type
        flags = {0: ["--ca", "--no-domain"], 1: ["--no-domain"], 2: ["--ca"], 3: []}[u]
        flags += ["--x509"] if s == 0 else []
        flags += ["--hash", "sha256" if m == 1 else "sha512"]
        ref = sh("danetool", "--tlsa-rr", "--host", "xmpp.example.org", "--port", "5269",
                 "--load-certificate", cert["pem"], *flags)
        ours = xdane.ok("tlsa", "--cert", cert["pem"], "--usage", u, "--selector", s,
                        "--mtype", m, "--name", "_5269._tcp.xmpp.example.org")
        assert tlsa_rdata(ours) == tlsa_rdata(ref), (u, s, m)


def test_tlsa_from_keys_equals_certificate_and_danetool(xdane, cert):
    """A private key, its public key and its certificate give the same 3 1 x records."""
    for m in (0, 1, 2):
        from_cert = xdane.ok("tlsa", "--cert", cert["pem"], "--mtype", m)
        assert xdane.ok("tlsa", "--key", cert["key"], "--mtype", m) == from_cert
        assert xdane.ok("tlsa", "--key", cert["pub"], "--mtype", m) == from_cert
    ref = sh("danetool", "--tlsa-rr", "--host", "x.example.org", "--port", "5222",
             "--load-pubkey", cert["pub"])
    assert tlsa_rdata(xdane.ok("tlsa", "--key", cert["key"])) == tlsa_rdata(ref)


def test_tlsa_owner_and_ttl(xdane, cert):
    out = xdane.ok("tlsa", "--cert", cert["pem"], "--host", "xmpp.example.org.", "--port",
                   "5269", "--ttl", "300").split()
    assert out[:4] == ["_5269._tcp.xmpp.example.org.", "300", "IN", "TLSA"]
    assert xdane.ok("tlsa", "--cert", cert["pem"]).split()[:3] == ["3", "1", "1"]


DNSKEY_ALGORITHMS = ["ECDSAP256SHA256", "ECDSAP384SHA384", "RSASHA256", "ED25519"]


@pytest.fixture(scope="module")
def dnskeys(tmp_path_factory):
    """KSKs of every algorithm plus a ZSK, as dnssec-keygen writes them, in one file."""
    d = tmp_path_factory.mktemp("keys")
    for alg in DNSKEY_ALGORITHMS:
        sh("dnssec-keygen", "-q", "-K", d, "-a", alg, "-f", "KSK", "zone.example")
    sh("dnssec-keygen", "-q", "-K", d, "-a", "ECDSAP256SHA256", "zone.example")
    zone = d / "dnskeys.zone"
    keys = "".join(p.read_text() for p in sorted(d.glob("K*.key")))
    zone.write_text("$TTL 3600\n" + keys)
    return zone


def ds_set(text):
    out = set()
    for line in text.splitlines():
        if " DS " not in line.replace("\t", " "):
            continue
        fields = line.split()
        i = fields.index("DS")
        rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DS, " ".join(fields[i + 1:]))
        out.add((fields[0].lower(), rd.key_tag, rd.algorithm, rd.digest_type, rd.digest))
    return out


@pytest.mark.parametrize("digest,ref_flag", [("2", ["-2"]), ("4", ["-a", "SHA-384"])])
def test_ds_equals_dnssec_dsfromkey(xdane, dnskeys, digest, ref_flag):
    ours = ds_set(xdane.ok("ds", "--dnskey", dnskeys, "--digest", digest))
    ref = ds_set(sh("dnssec-dsfromkey", *ref_flag, "-f", dnskeys, "zone.example"))
    assert len(ref) == len(DNSKEY_ALGORITHMS)  # the ZSK has none
    assert ours == ref


def test_ds_default_is_sha256_and_reads_dig_output(xdane, dnskeys, tmp_path):
    """Output of `dig` (TTL and class on every line, comments) is accepted as well."""
    dig_style = tmp_path / "dig.txt"
    lines = [";; ANSWER SECTION:"]
    for line in dnskeys.read_text().splitlines():
        if " DNSKEY " in line and not line.startswith(";"):
            owner, rest = line.split(" ", 1)
            lines.append(f"{owner}\t3600\t{rest}")
    dig_style.write_text("\n".join(lines) + "\n")
    ours = ds_set(xdane.ok("ds", "--dnskey", dig_style))
    assert ours == ds_set(sh("dnssec-dsfromkey", "-2", "-f", dnskeys, "zone.example"))
