# SPDX-License-Identifier: BSD-3-Clause
"""zonegen's publishers against the bed's real BIND, driven through the test-only
tests/tools/publish_tool: a rendered fragment passes named-checkzone; the file publisher
(fragment + serial + `rndc reload`) and the update publisher (RFC 2136 with TSIG) each make
named serve a new TLSA record that the bed's validating resolver finds secure; and every
refusal of "Bad input" (issue #6) happens before anything is published, with a clear error."""

import base64
import os
import secrets
import shutil
import socket
import subprocess
import time

import dns.rdatatype
import pytest

from testbed.ubctx import Resolver
from xdanebin import SANITIZER_MARKS, Xdane

TTL = 60


class Tool:
    """The built publish_tool (XDANE_BUILD, default build/)."""

    def __init__(self):
        self.path = Xdane().build / "tests" / "tools" / "publish_tool"
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path} not built")

    def run(self, *args, timeout=60):
        p = subprocess.run([str(self.path), *[str(a) for a in args]], capture_output=True,
                           text=True, timeout=timeout)
        for mark in SANITIZER_MARKS:
            assert mark not in p.stderr, f"publish_tool {args}: sanitizer report:\n{p.stderr}"
        return p

    def ok(self, *args, **kwargs):
        p = self.run(*args, **kwargs)
        assert p.returncode == 0, f"publish_tool {args}: exit {p.returncode}: {p.stderr}"
        return p.stdout

    def fails(self, *args, **kwargs):
        """Runs and expects failure; returns the error line."""
        p = self.run(*args, **kwargs)
        assert p.returncode == 1, f"publish_tool {args}: exit {p.returncode}: {p.stdout}"
        return p.stderr.strip()


@pytest.fixture(scope="module")
def tool():
    return Tool()


def new_rdata():
    """A 3 1 1 record for a key nobody has: what a rollover would publish next."""
    return "3 1 1 " + secrets.token_hex(32)


def tlsa_of(domain):
    """owner (absolute) -> the TLSA RDATA the bed published for it."""
    return {owner.rstrip(".") + ".": list(rdatas)
            for t in domain.targets for owner, rdatas in t.tlsa.items()}


def records(tlsa):
    """publish_tool arguments for owner -> RDATA list (an empty list withdraws the owner)."""
    return [f"{owner} {rdata}" for owner, rdatas in sorted(tlsa.items()) for rdata in rdatas] + \
        [owner for owner, rdatas in sorted(tlsa.items()) if not rdatas]


def served(bed, owner, timeout=10.0, want=None):
    """The TLSA RDATA named serves at owner (asked directly), once it equals `want`."""
    deadline = time.monotonic() + timeout
    while True:
        r = bed.query(owner, "TLSA")
        got = sorted(rd.to_text().lower() for rrset in r.answer
                     if rrset.rdtype == dns.rdatatype.TLSA for rd in rrset)
        signed = any(rrset.rdtype == dns.rdatatype.RRSIG and rrset.covers == dns.rdatatype.TLSA
                     for rrset in r.answer)
        if want is None or (got == sorted(want) and (signed or not want)):
            return got, signed
        if time.monotonic() > deadline:
            raise AssertionError(f"{owner}: named serves {got} (signed={signed}), "
                                 f"want {sorted(want)}")
        time.sleep(0.05)


def soa_serial(path):
    with open(path) as f:
        for line in f:
            if " SOA " in line:
                return int(line.split()[5])
    raise AssertionError(f"{path}: no SOA line")


def assert_secure(bed, tlsa):
    """Through the bed's validating resolver (a fresh libunbound context: no cache)."""
    with Resolver(bed.unbound_conf) as ctx:
        for owner, rdatas in tlsa.items():
            a = ctx.resolve(owner, "TLSA")
            assert a.verdict == "secure", f"{owner}: {a.info()}"
            assert sorted(r.lower() for r in a.records) == sorted(rdatas), f"{owner}: {a.info()}"


# --- rendering --------------------------------------------------------------------------------

def test_fragment_passes_named_checkzone(tool, tmp_path):
    """A fragment with every shape of record and a withdrawn owner, $INCLUDEd from a zone with
    its own $ORIGIN and $TTL, loads in named-checkzone with exactly its records; the same set
    given in another order renders to the same bytes."""
    recs = [f"_5222._tcp.xmpp.example.org {new_rdata()}",
            f"_5222._tcp.xmpp.example.org 3 1 2 {secrets.token_hex(64)}",
            f"_5269._tcp.XMPP.example.org. 2 0 0 {secrets.token_hex(900)}",
            f"_5223._tcp.a.example.org 3 0 1 {secrets.token_hex(32)}",
            "_5270._tcp.xmpp.example.org"]
    text = tool.ok("render", "example.org", 3600, *recs)
    assert tool.ok("render", "example.org.", 3600, *reversed(recs)) == text
    fragment = tmp_path / "example.org.tlsa"
    fragment.write_text(text)
    zone = tmp_path / "db.example.org"
    zone.write_text(f"$ORIGIN elsewhere.example.\n$TTL 5\n"
                    f"example.org. IN SOA ns1.example.org. h.example.org. 1 60 60 600 60\n"
                    f"example.org. IN NS ns1.example.org.\nns1.example.org. IN A 192.0.2.1\n"
                    f'$INCLUDE "{fragment}"\n'
                    f"www.example.org. IN A 192.0.2.2\n")
    p = subprocess.run(["named-checkzone", "-k", "fail", "-i", "full", "-D", "-o", "-",
                        "example.org", str(zone)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    tlsa = [line.split() for line in p.stdout.splitlines() if "\tTLSA\t" in line.replace(" ", "\t")]
    assert len(tlsa) == 4, p.stdout
    assert {f[0] for f in tlsa} == {"_5222._tcp.xmpp.example.org.", "_5269._tcp.xmpp.example.org.",
                                    "_5223._tcp.a.example.org."}
    assert all(f[1] == "3600" for f in tlsa)  # the fragment's TTL, not the zone's $TTL
    # named-checkzone prints the records after the include in the zone's origin again.
    assert "www.example.org." in p.stdout


def test_render_refuses_owner_outside_zone(tool):
    err = tool.fails("render", "example.org", 60, f"_5222._tcp.xmpp.example.net {new_rdata()}")
    assert "_5222._tcp.xmpp.example.net" in err and "malformed input" in err


# --- file publisher ---------------------------------------------------------------------------

def file_args(d, *extra):
    p = d.publisher
    return ["file", "--fragment", p["fragment"], "--zone-file", p["zone_file"], *extra]


def test_file_publisher_inline_signed(bed, tool):
    """Publish current + new TLSA at every owner (fragment, serial + 1, rndc reload): named
    serves and signs both, the resolver finds them secure; then withdraw the old ones."""
    d = bed.derive("inline-signed")
    p = d.publisher
    before = tlsa_of(d)
    serial = soa_serial(p["zone_file"])
    both = {owner: rdatas + [new_rdata()] for owner, rdatas in before.items()}
    tool.ok(*file_args(d), d.name, TTL, *records(both), "--", *p["reload_command"])
    assert soa_serial(p["zone_file"]) == serial + 1
    with open(p["fragment"]) as f:
        assert f.read() == tool.ok("render", d.name, TTL, *records(both))
    for owner, rdatas in both.items():
        served(bed, owner, want=rdatas)
    assert_secure(bed, both)

    only_new = {owner: rdatas[-1:] for owner, rdatas in both.items()}
    tool.ok(*file_args(d), d.name, TTL, *records(only_new), "--", *p["reload_command"])
    assert soa_serial(p["zone_file"]) == serial + 2
    for owner, rdatas in only_new.items():
        served(bed, owner, want=rdatas)
    assert_secure(bed, only_new)


def test_file_publisher_reload_fails(bed, tool):
    """rndc refusing the reload is a failure with rndc's own words; the fragment and serial
    are written (a retry publishes them)."""
    d = bed.derive("inline-signed")
    p = d.publisher
    serial = soa_serial(p["zone_file"])
    argv = ["rndc", "-c", bed.named.rndc_conf, "reload", "no-such-zone.example"]
    err = tool.fails(*file_args(d), d.name, TTL, *records(tlsa_of(d)), "--", *argv)
    assert err.startswith("publish_tool: reload command 'rndc' exited with status 1: "), err
    assert "not found" in err, err
    assert soa_serial(p["zone_file"]) == serial + 1


def test_file_publisher_reload_timeout(bed, tool, tmp_path):
    d = bed.derive("inline-signed")
    t0 = time.monotonic()
    err = tool.fails(*file_args(d, "--timeout-ms", 300), d.name, TTL, *records(tlsa_of(d)),
                     "--", "sleep", "30")
    assert time.monotonic() - t0 < 5
    assert err == "publish_tool: reload command 'sleep' timed out after 300 ms and was killed"


@pytest.mark.parametrize("case", ["fragment-dir-missing", "fragment-is-dir", "no-soa",
                                  "reload-missing"])
def test_file_publisher_bad_input(bed, tool, tmp_path, case):
    """Bad input (issue #6): refused before anything is published: no fragment written, no
    serial changed, no command run."""
    d = bed.derive("inline-signed")
    p = d.publisher
    fragment, zone_file, reload = p["fragment"], p["zone_file"], list(p["reload_command"])
    if case == "fragment-dir-missing":
        fragment = str(tmp_path / "missing" / "x.tlsa")
        want = f"fragment cannot be written: creating a temporary file in '{tmp_path}/missing'"
    elif case == "fragment-is-dir":
        fragment = str(tmp_path)
        want = f"fragment cannot be written: '{tmp_path}' is not a regular file"
    elif case == "no-soa":
        zone_file = str(tmp_path / "db")
        with open(zone_file, "w") as f:
            f.write("$TTL 60\n@ IN NS ns1.example.\n")
        want = f"zone file '{zone_file}': no SOA record"
    else:
        reload = ["/nonexistent/rndc", "reload"]
        want = "reload command '/nonexistent/rndc' cannot be run: No such file or directory"
    with open(p["fragment"]) as f:
        old_fragment = f.read()
    serial = soa_serial(p["zone_file"])
    err = tool.fails("file", "--fragment", fragment, "--zone-file", zone_file, d.name, TTL,
                     *records({o: [new_rdata()] for o in tlsa_of(d)}), "--", *reload)
    assert err.startswith(f"publish_tool: {want}"), err
    with open(p["fragment"]) as f:
        assert f.read() == old_fragment
    assert soa_serial(p["zone_file"]) == serial
    assert not os.path.exists(tmp_path / "missing")


# --- update publisher -------------------------------------------------------------------------

def update_args(bed, key_file=None, *extra):
    args = ["update", "--server", "127.0.0.1", "--port", bed.named.port, *extra]
    if key_file is not False:
        args += ["--key-file", key_file or bed.named.update_key_file]
    return args


def test_update_publisher(bed, tool):
    """RFC 2136 with the bed's TSIG key: current + new, then an owner withdrawn (a secure
    NXDOMAIN), then only the new records; named signs each change at once."""
    d = bed.derive("updatable")
    before = tlsa_of(d)
    both = {owner: rdatas + [new_rdata()] for owner, rdatas in before.items()}
    tool.ok(*update_args(bed), d.name, TTL, *records(both))
    for owner, rdatas in both.items():
        served(bed, owner, want=rdatas)
    assert_secure(bed, both)

    gone = sorted(both)[0]
    step = dict(both, **{gone: []})
    tool.ok(*update_args(bed), d.name, TTL, *records(step))
    served(bed, gone, want=[])
    with Resolver(bed.unbound_conf) as ctx:
        a = ctx.resolve(gone, "TLSA")
        # The owner held only its TLSA RRset: now it does not exist, provably.
        assert a.rcode == 3 and a.records == [] and a.verdict == "secure", a.info()

    only_new = {owner: rdatas[-1:] for owner, rdatas in both.items()}
    tool.ok(*update_args(bed), d.name, TTL, *records(only_new))
    for owner, rdatas in only_new.items():
        served(bed, owner, want=rdatas)
    assert_secure(bed, only_new)
    # Idempotent: the same update again changes nothing and succeeds.
    tool.ok(*update_args(bed), d.name, TTL, *records(only_new))
    assert_secure(bed, only_new)


def write_key(path, name, secret=None, algorithm="hmac-sha256", mode=0o600):
    secret = secret or base64.b64encode(secrets.token_bytes(32)).decode()
    with open(path, "w") as f:
        f.write(f'key "{name}" {{\n\talgorithm {algorithm};\n\tsecret "{secret}";\n}};\n')
    os.chmod(path, mode)
    return str(path)


@pytest.mark.parametrize("case", ["wrong-secret", "unknown-key", "no-key"])
def test_update_refused_by_named(bed, tool, tmp_path, case):
    """named's refusals come back as clear errors and the zone is unchanged."""
    d = bed.derive("updatable")
    before = tlsa_of(d)
    if case == "wrong-secret":
        key = write_key(tmp_path / "k", bed.named.update_key_name)
        want = (f"NOTAUTH, TSIG error BADSIG (wrong secret) "
                f"(key '{bed.named.update_key_name}.')")
    elif case == "unknown-key":
        key = write_key(tmp_path / "k", "nobody-knows-me")
        want = "NOTAUTH, TSIG error BADKEY (server does not know the key) (key 'nobody-knows-me.')"
    else:
        key = False
        want = "REFUSED (not allowed to update this zone without a key)"
    err = tool.fails(*update_args(bed, key), d.name, TTL,
                     *records({o: [new_rdata()] for o in before}))
    assert err == (f"publish_tool: update of zone {d.name}. at 127.0.0.1 port {bed.named.port}: "
                   f"{want}"), err
    for owner, rdatas in before.items():
        served(bed, owner, want=rdatas, timeout=0)


@pytest.mark.parametrize("case", ["group-readable", "world-readable", "other-owner", "md5",
                                  "sha384", "garbage"])
def test_update_bad_key_file(bed, tool, tmp_path, case):
    """Bad input (issue #6): a key file with loose permissions, of another user, or with an
    unsupported algorithm is refused before any packet is sent."""
    d = bed.derive("updatable")
    before = tlsa_of(d)
    path = tmp_path / "update.key"
    shutil.copy(bed.named.update_key_file, path)
    os.chmod(path, 0o600)
    if case == "group-readable":
        os.chmod(path, 0o640)
        want = f"TSIG key file '{path}' has mode 0640: readable or writable by group or others"
    elif case == "world-readable":
        os.chmod(path, 0o604)
        want = f"TSIG key file '{path}' has mode 0604"
    elif case == "other-owner":
        # The suite runs as root (README); never skipped.
        assert os.geteuid() == 0, "giving the key file away needs root"
        os.chown(path, 65534, 65534)
        want = f"TSIG key file '{path}' is owned by uid 65534, not by this user (0)"
    elif case == "md5":
        write_key(path, bed.named.update_key_name, algorithm="hmac-md5")
        want = f"TSIG key file '{path}', line 2: algorithm 'hmac-md5' is too weak"
    elif case == "sha384":
        write_key(path, bed.named.update_key_name, algorithm="hmac-sha384")
        want = f"TSIG key file '{path}', line 2: algorithm 'hmac-sha384' is broken in ldns 1.8.3"
    else:
        path.write_text("this is not a key file\n")
        want = f"TSIG key file '{path}', line 1: expected a key statement"
    err = tool.fails(*update_args(bed, str(path)), d.name, TTL,
                     *records({o: [new_rdata()] for o in before}))
    assert err.startswith(f"publish_tool: {want}"), err
    for owner, rdatas in before.items():
        served(bed, owner, want=rdatas, timeout=0)


def test_update_no_server(tool):
    """Nothing listening: a bounded failure naming the server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    err = tool.fails("update", "--server", "127.0.0.1", "--port", port, "--timeout-ms", 500,
                     "example.org", 60, "_1._tcp.example.org")
    assert time.monotonic() - t0 < 5
    assert err.startswith(f"publish_tool: update of zone example.org. at 127.0.0.1 port {port}: "
                          "no response"), err


def test_update_hmac_sha512(tool, tmp_path):
    """hmac-sha512 works with ldns 1.8.3 against BIND 9.18 (hmac-sha384 does not, NOTES.md):
    a named of this test's own, with a SHA-512 key, accepts the signed update and the
    response's TSIG verifies."""
    key = tmp_path / "k512.key"
    key.write_text(subprocess.run(["tsig-keygen", "-a", "hmac-sha512", "k512"], check=True,
                                  capture_output=True, text=True).stdout)
    os.chmod(key, 0o600)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "db").write_text("$TTL 60\n@ IN SOA ns1 h 1 60 60 600 60\n@ IN NS ns1\n"
                                 "ns1 IN A 127.0.0.1\n")
    conf = tmp_path / "named.conf"
    conf.write_text(f'include "{key}";\noptions {{ directory "{tmp_path}"; pid-file none; '
                    f"listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }}; "
                    f"recursion no; notify no; }};\n"
                    f'zone "sha512.example" {{ type primary; file "{tmp_path}/db"; '
                    f'allow-update {{ key "k512"; }}; }};\n')
    log = open(tmp_path / "named.log", "w")
    named = subprocess.Popen(["named", "-g", "-n", "1", "-c", str(conf)], stdout=log,
                             stderr=subprocess.STDOUT)
    try:
        owner = "_5222._tcp.xmpp.sha512.example."
        rdata = new_rdata()
        deadline = time.monotonic() + 10
        while True:
            p = tool.run("update", "--server", "127.0.0.1", "--port", port, "--key-file", key,
                         "--timeout-ms", 500, "sha512.example", 60, f"{owner} {rdata}")
            if p.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)  # named still starting
        assert p.returncode == 0, p.stderr + (tmp_path / "named.log").read_text()
        out = subprocess.run(["dig", "+short", "-p", str(port), "@127.0.0.1", owner, "TLSA"],
                             capture_output=True, text=True, timeout=10).stdout
        assert out.replace(" ", "").lower().strip() == rdata.replace(" ", "").lower()
    finally:
        named.terminate()
        named.wait(timeout=10)
        log.close()
