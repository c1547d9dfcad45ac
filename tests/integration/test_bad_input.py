# SPDX-License-Identifier: BSD-3-Clause
"""Bad input to the record tools: each case gets exit 3, nothing on stdout, and exactly one
line on stderr that names the file or argument and says what is wrong. Never a crash (the
ASan+UBSan build runs these too; xdanebin fails on any sanitizer report)."""

import os
import socket
import subprocess

import pytest

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
CERT = os.path.join(DATA, "xmpp.pem")
KEY = os.path.join(DATA, "xmpp.key")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    der = open(os.path.join(DATA, "xmpp.der"), "rb").read()
    made = {
        "empty": b"",
        "text": b"hello, this is not a certificate\n",
        "truncated_der": der[: len(der) // 2],
        "trailing_der": der + b"\x00\x01",
        # a DER SEQUENCE header claiming 16 MiB of content
        "hostile_der": b"\x30\x84\x01\x00\x00\x00" + b"\x30" * 64,
        "deep_der": b"\x30\x80" * 5000,
        "corrupt_pem": b"-----BEGIN CERTIFICATE-----\nMIIB!!!notbase64\n-----END CERTIFICATE-----\n",
        "truncated_pem": open(CERT, "rb").read()[:200],
        "huge": b"-----BEGIN CERTIFICATE-----\n" + b"A" * (2 * 1024 * 1024),
        "binary_zone": b"\x00\x01\x02example. IN DNSKEY",
        "zsk_only": b"example. 3600 IN DNSKEY 256 3 13 "
                    b"DIhgzckfnqNaX3olLz2KzmW81WOTgkfhMGn6ShQ/OPFom0kzsoxinOm7"
                    b"gF5yX4IbV9iBrP6EZ7dUEFFyV4Jdrw==\n",
        "bad_zone": b"; keys\nexample. 3600 IN DNSKEY 257 3 13 AAAA\nexample. 3600 IN DNSKEY x y\n",
    }
    paths = {}
    for name, content in made.items():
        p = d / name
        p.write_bytes(content)
        paths[name] = str(p)
    paths["missing"] = str(d / "no-such-file.pem")
    paths["directory"] = str(d)
    paths["encrypted"] = os.path.join(DATA, "encrypted.key")
    paths["pub"] = os.path.join(DATA, "xmpp.pub")
    return paths


# (argv with {name} placeholders, text the one stderr line must contain)
CASES = [
    (["cert", "{missing}"], "{missing}: No such file or directory"),
    (["cert", "{directory}"], "{directory}: Is a directory"),
    (["cert", "{empty}"], "{empty}: neither PEM nor DER"),
    (["cert", "{text}"], "{text}: neither PEM nor DER"),
    (["cert", "{truncated_der}"], "{truncated_der}: malformed input"),
    (["cert", "{trailing_der}"], "{trailing_der}: trailing data"),
    (["cert", "{hostile_der}"], "{hostile_der}: malformed input"),
    (["cert", "{deep_der}"], "{deep_der}: malformed input"),
    (["cert", "{corrupt_pem}"], "{corrupt_pem}: malformed input"),
    (["cert", "{truncated_pem}"], "{truncated_pem}: malformed input"),
    (["cert", "{huge}"], "{huge}: input exceeds the size limit"),
    (["cert", KEY], KEY + ": holds a private key, not a certificate"),
    (["cert", "{encrypted}"], "{encrypted}: holds a private key, not a certificate"),
    (["cert", "{pub}"], "{pub}: no certificate in the file"),
    (["cert", "--json", "{missing}"], "{missing}: No such file"),
    (["cert"], "expected exactly one certificate FILE"),
    (["cert", CERT, CERT], "expected exactly one certificate FILE"),
    (["cert", "--frobnicate", CERT], "unknown option '--frobnicate'"),
    (["tlsa", "--cert", "{text}"], "{text}: neither PEM nor DER"),
    (["tlsa", "--cert", KEY], KEY + ": holds a private key"),
    (["tlsa", "--key", CERT], CERT + ": holds a certificate, not a key"),
    (["tlsa", "--key", "{encrypted}"], "{encrypted}: the private key is encrypted"),
    (["tlsa", "--key", "{truncated_der}"], "{truncated_der}: malformed input"),
    (["tlsa", "--key", "{missing}"], "{missing}: No such file or directory"),
    (["tlsa", "--key", KEY, "--selector", "0"], "--selector 0 pins a whole certificate"),
    (["tlsa", "--cert", CERT, "--key", KEY], "exactly one of --cert FILE or --key FILE"),
    (["tlsa"], "exactly one of --cert FILE or --key FILE"),
    (["tlsa", "--cert"], "option '--cert' needs a value"),
    (["tlsa", "--cert", CERT, "--usage", "4"], "--usage '4': expected a number from 0 to 3"),
    (["tlsa", "--cert", CERT, "--usage", "-1"], "--usage '-1'"),
    (["tlsa", "--cert", CERT, "--selector", "x"], "--selector 'x'"),
    (["tlsa", "--cert", CERT, "--mtype", "3"], "--mtype '3'"),
    (["tlsa", "--cert", CERT, "--mtype", "99999999999999999999"], "--mtype '9999"),
    (["tlsa", "--cert", CERT, "--ttl", "2147483648"], "--ttl '2147483648'"),
    (["tlsa", "--cert", CERT, "--host", "x.org", "--port", "0"], "--port '0'"),
    (["tlsa", "--cert", CERT, "--host", "x.org", "--port", "65536"], "--port '65536'"),
    (["tlsa", "--cert", CERT, "--host", "x.org"], "--host and --port go together"),
    (["tlsa", "--cert", CERT, "--host", "a..b", "--port", "5222"], "--host 'a..b'"),
    (["tlsa", "--cert", CERT, "--name", "a" * 64 + ".org"], "--name '" + "a" * 64),
    (["tlsa", "--cert", CERT, "--name", "x", "--host", "y", "--port", "1"], "either --name"),
    (["tlsa", "--cert", CERT, "extra"], "unexpected argument 'extra'"),
    (["ds"], "--dnskey FILE is required"),
    (["ds", "--dnskey", "{missing}"], "{missing}: No such file or directory"),
    (["ds", "--dnskey", "{binary_zone}"], "{binary_zone}: not a zone file"),
    (["ds", "--dnskey", "{zsk_only}"], "{zsk_only}: no key-signing key"),
    (["ds", "--dnskey", "{empty}"], "{empty}: no key-signing key"),
    (["ds", "--dnskey", "{bad_zone}"], "{bad_zone}:3: Syntax error"),  # line 2 is valid
    (["ds", "--dnskey", "{huge}"], "{huge}: input exceeds the size limit"),
    (["ds", "--dnskey", "{zsk_only}", "--digest", "1"], "--digest 1: SHA-1 must not be used"),
    (["ds", "--dnskey", "{zsk_only}", "--digest", "3"], "--digest '3': expected 2"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    ([], "usage: xdane COMMAND"),
]


@pytest.mark.parametrize("argv,expect", CASES, ids=[" ".join(c[0]) or "none" for c in CASES])
def test_bad_input_is_one_clear_line(xdane, files, argv, expect):
    argv = [a.format(**files) for a in argv]
    expect = expect.format(**files)
    p = xdane.run(*argv)
    assert p.returncode == 3, p
    assert p.stdout == ""
    assert expect in p.stderr, p.stderr
    if argv:
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_xdaned_check_config(xdane, tmp_path):
    """--check-config validates a file (errors name file and line); a daemon that cannot
    start says why and exits 1."""
    good = tmp_path / "good.conf"
    good.write_text('domain "example.org" { services = {"xmpp-client"} }\n')
    bad = tmp_path / "bad.conf"
    bad.write_text('interval = 60\ndomain "not a domain" { }\n')
    p = xdane.run("-c", good, "--check-config", binary=xdane.xdaned)
    assert (p.returncode, p.stdout) == (0, f"{good}: ok, 1 domain\n")
    p = xdane.run("-c", bad, "--check-config", binary=xdane.xdaned)
    assert p.returncode == 1 and f"{bad}:2: domain 'not a domain'" in p.stderr
    p = xdane.run("-c", tmp_path / "missing.conf", "--check-config", binary=xdane.xdaned)
    assert p.returncode == 1 and "missing.conf: No such file or directory" in p.stderr
    # A listener it cannot have: one line saying so, exit 1, nothing left behind.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        unbound = tmp_path / "unbound.conf"
        unbound.write_text('server:\n\tlocal-zone: "." refuse\n')
        busy = tmp_path / "busy.conf"
        busy.write_text(f'resolver-config = "{unbound}"\nstate-db = "{tmp_path}/state.db"\n'
                        f'control-socket = "{tmp_path}/control.sock"\n'
                        f'http {{ listen = "127.0.0.1:{port}" }}\n'
                        'domain "example.org" { services = {"xmpp-client"} }\n')
        p = xdane.run("-c", busy, binary=xdane.xdaned)
    assert p.returncode == 1, p.stderr
    assert f"http listen 127.0.0.1:{port}: Address already in use" in p.stderr
    assert not (tmp_path / "control.sock").exists()
    p = xdane.run("--frob", binary=xdane.xdaned)
    assert p.returncode == 3 and "'--frob'" in p.stderr
    assert xdane.run("--version", binary=xdane.xdaned).stdout.startswith("xdaned ")


def test_help_and_version(xdane):
    assert xdane.ok("--version").startswith("xdane ")
    for cmd in ("cert", "tlsa", "ds"):
        assert xdane.ok(cmd, "--help").startswith(f"usage: xdane {cmd}")
    assert "cert" in xdane.ok("--help")


def test_unreadable_file_as_unprivileged_user(xdane, tmp_path):
    """A file the caller may not read (root reads everything, so test as nobody)."""
    secret = tmp_path / "secret.pem"
    secret.write_bytes(open(CERT, "rb").read())
    secret.chmod(0o000)
    tmp_path.chmod(0o755)
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        str(xdane.xdane), "cert", str(secret)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 3
    assert f"{secret}: Permission denied" in p.stderr
