#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every C file of the tree is formatted as .clang-format (clang-format 14) says.
set -eu
cd "${1:-$(dirname "$0")/../..}"
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ -n "$files" ] || { echo "check_format: no C files found"; exit 1; }
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "format: $(echo "$files" | wc -w) files clean"
