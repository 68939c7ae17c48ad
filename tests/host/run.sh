#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the host integration tests (tests/host/test-*.sh) against a built koompi-boot. They need
# root: real Btrfs filesystems in loop files, mounts, subvolumes. Without root they are skipped,
# unless HOST_CHECK_REQUIRED=1.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build/koompi-boot}
[ -x "$bin" ] || { echo "host: $bin is not built (make $bin)" >&2; exit 1; }
if [ "$(id -u)" != 0 ]; then
	echo "host: SKIPPED: the host tests need root (loop devices, Btrfs, mounts)" >&2
	[ "${HOST_CHECK_REQUIRED:-0}" = 1 ] && exit 1
	exit 0
fi
for tool in mkfs.btrfs btrfs losetup python3; do
	command -v "$tool" >/dev/null || { echo "host: $tool is missing (btrfs-progs, util-linux, python3)" >&2; exit 1; }
done
KOOMPI_BOOT=$(readlink -f "$bin")
export KOOMPI_BOOT
failed=""
pass=0
fail=0
for t in tests/host/test-*.sh; do
	out=$(sh "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -n1)
	f=$(printf '%s\n' "$out" | sed -n 's/^.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -n1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		failed="$failed ${t##*/}"
		[ -z "$f" ] && fail=$((fail + 1))
	fi
done
echo "host: ${pass} passed, ${fail} failed"
[ -z "$failed" ] || { echo "host: failing:$failed" >&2; exit 1; }
