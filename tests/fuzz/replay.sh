#!/bin/sh
# Replays the seed corpus and every recorded crash of each fuzz target (built with the usual
# compiler and replay.c): a regression test, fast, no libFuzzer needed.
# Usage: replay.sh BIN_DIR NAME...
set -u
dir=$1; shift
here=$(dirname "$0")
pass=0; fail=0; bad=""
for name in "$@"; do
	if [ ! -d "$here/corpus/$name" ]; then
		echo "fuzz-replay: $name has no seed corpus ($here/corpus/$name)" >&2
		fail=$((fail + 1)); bad="$bad $name"; continue
	fi
	if "$dir/fuzz-$name" "$here/corpus/$name" "$here/crashes/$name" >/dev/null; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); bad="$bad $name"
	fi
done
echo "fuzz-replay: ${pass} passed, ${fail} failed"
[ -z "$bad" ] || { echo "fuzz-replay: failing:$bad" >&2; exit 1; }
