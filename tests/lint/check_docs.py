#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Keeps the docs true to the code: every finding code of checks/finding.h and every config
key of daemon/config.c is documented in docs/xdane.conf.5, every subcommand of daemon/cli.c
in docs/xdane.1 and the README."""
import re
import sys
from pathlib import Path


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
    conf5 = (root / "docs" / "xdane.conf.5").read_text().replace("\\-", "-")
    man1 = (root / "docs" / "xdane.1").read_text().replace("\\-", "-")
    readme = (root / "README.md").read_text()
    problems = []
    codes = re.findall(r"^\s*X\(([A-Z0-9_]+),", (root / "checks" / "finding.h").read_text(), re.M)
    keys = re.findall(r'CFG_[A-Z_]+\("([a-z-]+)"', (root / "daemon" / "config.c").read_text())
    commands = re.findall(r'^\s*\{"([a-z]+)", [a-z_]+_main,', (root / "daemon" / "cli.c").read_text(),
                          re.M)
    if len(codes) < 30 or len(keys) < 20 or len(commands) < 3:
        problems.append(f"parsing the sources failed: {len(codes)} codes, {len(keys)} keys, "
                        f"{len(commands)} commands")
    problems += [f"finding code {c} is not in docs/xdane.conf.5" for c in codes if c not in conf5]
    problems += [f"config key '{k}' is not in docs/xdane.conf.5" for k in keys if k not in conf5]
    problems += [f"command '{c}' is not in docs/xdane.1" for c in commands
                 if f"xdane {c}" not in man1 and f".B {c}" not in man1 and f".BI \"{c}" not in man1]
    problems += [f"command '{c}' is not in README.md" for c in commands
                 if f"xdane {c}" not in readme]
    for p in problems:
        print(p)
    print(f"docs: {len(codes)} codes, {len(keys)} keys, {len(commands)} commands, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
