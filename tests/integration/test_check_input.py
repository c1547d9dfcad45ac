# SPDX-License-Identifier: BSD-3-Clause
"""Bad input to `xdane check`: an invalid domain name, an unbound.conf that does not parse, a
missing trust anchor, a broken config file, bad option values. Each gets exit 3 and one line
naming what was wrong, before any query is sent (so none of these can leave loopback)."""

import pytest


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("checkinput")
    bad_unbound = d / "bad-unbound.conf"
    bad_unbound.write_text("server:\n\tthis-is-not-an-option: yes\n")
    bad_anchor = d / "bad-anchor.key"
    bad_anchor.write_text("example. IN DS this is not a DS record\n")
    bad_config = d / "xdane.conf"
    bad_config.write_text("interval = 60\n\nauth-port = 99999\n")
    # Every case that gets past its own error would resolve with this: refuse all, locally.
    refuse = d / "refuse.conf"
    refuse.write_text('server:\n\tlocal-zone: "." refuse\n')
    return {"bad_unbound": str(bad_unbound), "bad_anchor": str(bad_anchor),
            "bad_config": str(bad_config), "missing": str(d / "missing.conf"),
            "dir": str(d), "refuse": str(refuse)}


CASES = [
    (["a..b.example"], "'a..b.example' is not a valid domain name"),
    (["-"], "'-' is not a valid domain name"),
    (["xmpp_server.example"], "is not a valid domain name"),
    (["exa mple.org"], "is not a valid domain name"),
    (["a" * 64 + ".example"], "is not a valid domain name"),
    (["."], "'.' is not a valid domain name"),
    ([], "no DOMAIN given"),
    (["--resolver-config", "{missing}", "good.example"], "resolver config {missing}: No such file"),
    (["--resolver-config", "{bad_unbound}", "good.example"],
     "resolver config {bad_unbound}: {bad_unbound}:2: error: unknown keyword"),
    (["--resolver-config", "{dir}", "good.example"], "resolver config {dir}: not a regular file"),
    (["--trust-anchor", "{missing}", "--resolver-config", "{bad_unbound}", "good.example"],
     "resolver config {bad_unbound}:"),
    (["--trust-anchor", "{missing}", "good.example"], "trust anchor {missing}: No such file"),
    (["--trust-anchor", "{bad_anchor}", "good.example"],
     "resolver: parse error in {bad_anchor}:"),
    (["--config", "{bad_config}", "good.example"], "{bad_config}:3: 'auth-port' is 99999"),
    (["--config", "{missing}", "good.example"], "{missing}: No such file or directory"),
    (["--auth-port", "0", "good.example"], "--auth-port '0'"),
    (["--auth-port", "65536", "good.example"], "--auth-port '65536'"),
    (["--timeout", "x", "good.example"], "--timeout 'x'"),
    (["--max-queries", "0", "good.example"], "--max-queries '0'"),
    (["--service", "xmpp", "good.example"], "--service 'xmpp'"),
    (["--bogus", "good.example"], "unknown option '--bogus'"),
]


@pytest.mark.parametrize("argv,expect", CASES, ids=[" ".join(c[0])[:40] or "none" for c in CASES])
def test_bad_check_input(xdane, files, argv, expect):
    argv = [a.format(**files) for a in argv]
    if "--resolver-config" not in argv:
        argv = ["--resolver-config", files["refuse"]] + argv  # hermetic if an error is missed
    p = xdane.run("check", *argv, timeout=30)
    assert p.returncode == 3, (p.stdout, p.stderr)
    assert p.stdout == ""
    assert expect.format(**files) in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
