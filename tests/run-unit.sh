#!/bin/sh
# Runs every cmocka binary given and sums their results.
set -u
pass=0; fail=0; bad=""
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		bad="$bad ${t##*/}"
		[ -z "$f" ] && fail=$((fail + 1))
	fi
done
echo "unit: ${pass} passed, ${fail} failed"
[ -z "$bad" ] || { echo "unit: failing:$bad" >&2; exit 1; }
