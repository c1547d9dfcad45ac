# SPDX-License-Identifier: BSD-3-Clause
"""The README's demo (tests/demo.py, run by scripts/demo) works with the build under test:
the healthy domain's TLSA and DS records match the validated zone, the broken one does not,
xdaned reports all of them with its status URL, and every process it started is gone
afterwards."""

import os
import subprocess
import sys

DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demo.py")


def test_demo_runs_and_says_what_it_saw(xdane):
    p = subprocess.run([sys.executable, DEMO, "--xdane", str(xdane.xdane)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert out.count("matches the published, DNSSEC-validated TLSA") == 4
    assert "the parent example. publishes exactly these DS records" in out
    assert out.count("MISMATCH: published 3 1 1") == 4
    assert "SRV-IDs:      _xmpp-client.good.example" in out
    assert "good.example: info, DNSSEC secure" in out
    assert "critical DS_MISMATCH" in out
    assert "status page: http://127.0.0.1:" in out
    assert "$ xdane status --control-socket" in out
    assert "wrong-ds-" in out.split("$ xdane status")[1] and "(exit 2:" in out
    assert 'xdane_domain_status{domain="good.example"}' in out
    for mark in ("AddressSanitizer", "runtime error:"):
        assert mark not in p.stderr
    bed_dir = out.split("logs kept in ")[1].split(")")[0]
    pids = subprocess.run(["pgrep", "-f", bed_dir], capture_output=True, text=True).stdout
    assert pids == "", f"processes of the demo bed still running: {pids}"
