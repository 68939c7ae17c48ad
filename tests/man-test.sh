#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every manual page renders without a troff warning, and names the sections it must have.
set -u
cd "$(dirname "$0")/.." || exit 1
command -v groff >/dev/null || { echo "man: groff is missing (package groff-base)" >&2; exit 1; }
fail=0
n=0
for f in man/*.[1-8]; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	warnings=$(groff -man -ww -z "$f" 2>&1)
	if [ -n "$warnings" ]; then
		printf 'FAIL %s: %s\n' "$f" "$warnings"
		fail=$((fail + 1))
		continue
	fi
	for s in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
		if ! grep -q "^\.SH \"\{0,1\}$s\"\{0,1\}\$" "$f"; then
			printf 'FAIL %s: no %s section\n' "$f" "$s"
			fail=$((fail + 1))
		fi
	done
	section=${f##*.}
	if ! grep -q "^\.TH [^ ]* $section " "$f"; then
		printf 'FAIL %s: .TH does not say section %s\n' "$f" "$section"
		fail=$((fail + 1))
	fi
done
echo "man: $n pages, $fail failed"
[ "$fail" -eq 0 ]
