# SPDX-License-Identifier: BSD-3-Clause
"""Runs the built xdane binaries for the integration tests: XDANE_BUILD names the meson build
directory (default build/), so the same tests run against the normal and the ASan+UBSan build.
A sanitizer report on stderr fails the run, whatever the exit code."""

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Xdane:
    def __init__(self, build_dir=None):
        self.build = Path(build_dir or os.environ.get("XDANE_BUILD", REPO / "build"))
        self.xdane = self.build / "daemon" / "xdane"
        self.xdaned = self.build / "daemon" / "xdaned"
        if not self.xdane.exists():
            raise FileNotFoundError(f"{self.xdane} not built (set XDANE_BUILD)")

    def run(self, *args, timeout=30, binary=None, **kwargs):
        """Runs xdane with args; returns CompletedProcess (text). Fails on sanitizer output."""
        argv = [str(binary or self.xdane)] + [str(a) for a in args]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           errors="replace", **kwargs)
        for mark in SANITIZER_MARKS:
            assert mark not in p.stderr, f"{argv}: sanitizer report:\n{p.stderr}"
        return p

    def ok(self, *args, **kwargs):
        """Runs xdane and asserts exit 0; returns stdout."""
        p = self.run(*args, **kwargs)
        assert p.returncode == 0, f"xdane {args}: exit {p.returncode}: {p.stderr}"
        return p.stdout


SEVERITIES = ["ok", "info", "warning", "critical"]


def codes(report, min_severity="warning"):
    """The sorted finding codes of a DOMAIN_REPORT at min_severity or above."""
    return sorted({f["code"] for f in report["findings"]
                   if SEVERITIES.index(f["severity"]) >= SEVERITIES.index(min_severity)})


def findings(report, code):
    """The findings of a DOMAIN_REPORT with that code."""
    return [f for f in report["findings"] if f["code"] == code]
