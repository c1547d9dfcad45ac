# SPDX-License-Identifier: BSD-3-Clause
"""Shared pytest setup of the integration tests: `tests/` on sys.path (for `testbed`), one
loopback test bed per session (tests derive their own faults from it), and every server log of
a bed a failed test used printed in its report."""

import os
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

import testbed  # noqa: E402  (needs the sys.path entry above)


# --- test bed ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def bed(tmp_path_factory):
    """The session's running bed: good.example is healthy; call bed.derive("fault") in a test
    for a broken domain of its own. Its directory (logs included) stays under pytest's tmp."""
    b = testbed.Bed(str(tmp_path_factory.mktemp("bed")))
    b.start()
    yield b
    b.stop()


def _beds_of(item):
    """Every Bed a test used, directly or as an attribute of one of its fixtures."""
    found = []
    for value in getattr(item, "funcargs", {}).values():
        for candidate in (value, getattr(value, "bed", None)):
            if isinstance(candidate, testbed.Bed) and candidate not in found:
                found.append(candidate)
    return found


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, add the tail of every server log of the test's beds to its report."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for b in _beds_of(item):
        for name, text in b.logs().items():
            report.sections.append((f"bed {b.dir}: {name}", text))


# --- xdane ---------------------------------------------------------------------------------
# Room for the `xdane` fixture (built binaries, config pointing at the bed's unbound.conf,
# trust anchor, CA and named port). Fixtures that hold a bed as `.bed` get its logs printed
# on failure too (see _beds_of).

from xdanebin import Xdane  # noqa: E402


@pytest.fixture(scope="session")
def xdane():
    """The built xdane binaries (XDANE_BUILD, default build/)."""
    return Xdane()
