#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Keeps docs/ARCHITECTURE.md true: the folders of its layering table exist,
no source includes a header of a layer it may not use, and third-party
headers appear only in the layers the table allows."""
import re
import sys
from pathlib import Path

# The table names libraries; these are the headers that reveal each one.
LIBRARY_HEADERS = {
    "OpenSSL": r"openssl/",
    "ldns": r"ldns/",
    "libunbound": r"unbound(-event)?\.h",
    "libevent": r"event2?/|event\.h",
    "jansson": r"jansson\.h",
    "libconfuse": r"confuse\.h",
    "libcurl": r"curl/",
    "libmicrohttpd": r"microhttpd\.h",
    "SQLite": r"sqlite3\.h",
    "libsystemd": r"systemd/",
    "expat": r"expat\.h",
}


def parse_table(text):
    """Rows of the '| folder | may use | holds |' table as {folder: set(uses)}."""
    rows = {}
    in_table = False
    for line in text.splitlines():
        if line.startswith("| folder | may use |"):
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set(cells[0]) <= {"-", " "}:
                continue
            folder = cells[0].strip("`").rstrip("/")
            rows[folder] = {u.strip() for u in cells[1].split(",")}
    return rows


def check(root):
    problems = []
    arch = (root / "docs" / "ARCHITECTURE.md").read_text()
    table = parse_table(arch)
    if not table:
        return ["docs/ARCHITECTURE.md: no layering table found"]
    for folder in re.findall(r"^\| `([a-z]+)/` \|", arch, re.M):
        if not (root / folder).is_dir():
            problems.append(f"docs/ARCHITECTURE.md names `{folder}/`, which does not exist")
    for folder, uses in table.items():
        for path in sorted((root / folder).glob("*.[ch]")):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                m = re.match(r'\s*#\s*include\s+"([a-z]+)/', line)
                if m and m.group(1) != folder and m.group(1) not in uses:
                    problems.append(f"{path.relative_to(root)}:{n}: includes {m.group(1)}/, "
                                    f"but {folder}/ may use only {', '.join(sorted(uses))}")
                m = re.match(r"\s*#\s*include\s+<([^>]+)>", line)
                if not m:
                    continue
                for lib, pattern in LIBRARY_HEADERS.items():
                    if re.match(pattern, m.group(1)) and lib not in uses:
                        problems.append(f"{path.relative_to(root)}:{n}: includes <{m.group(1)}> "
                                        f"({lib}), which {folder}/ may not use")
    return problems


def self_test():
    """The checker itself: a small tree with one violation of each kind must yield each."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "docs").mkdir()
        (root / "docs" / "ARCHITECTURE.md").write_text(
            "| folder | may use | holds |\n| --- | --- | --- |\n"
            "| `common/` | libc | x |\n| `certs/` | common, OpenSSL | x |\n"
            "| `gone/` | common | x |\n")
        (root / "common").mkdir()
        (root / "certs").mkdir()
        (root / "common" / "a.c").write_text('#include "certs/cert.h"\n#include <ldns/ldns.h>\n')
        (root / "certs" / "b.c").write_text('#include "common/err.h"\n#include <openssl/x509.h>\n')
        problems = check(root)
    expected = ["names `gone/`", "common/a.c:1: includes certs/", "common/a.c:2: includes <ldns"]
    missing = [e for e in expected if not any(e in p for p in problems)]
    if missing or len(problems) != len(expected):
        print(f"self-test: expected {expected}, got {problems}")
        return 1
    print("layering self-test: every violation found")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
    problems = check(root)
    for p in problems:
        print(p)
    print(f"layering: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
