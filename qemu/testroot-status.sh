#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /etc/testroot-run of the small test roots of the rollback disk (qemu/disk.py): run by the
# test-root init before it powers off or reboots, it prints what koompi-boot says about the
# running boot as one console line for the VM tests:
#
#   KOOMPI-STATUS rc=N esp=DIR|none {"booted":...}     (koompi-boot status --json, joined)
#   KOOMPI-STATUS-ERR: ...                             (its standard error, if any)
#
# The ESP is mounted read-only when a disk partition holding loader/ can be mounted (vfat is
# there when koompi-init loaded it); without it, status still reads the ledger.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
dir=/run/koompi-test
mkdir -p "$dir/esp"
esp=
for dev in /dev/vda1 /dev/vdb1 /dev/vdc1; do
	[ -b "$dev" ] || continue
	if mount -t vfat -o ro "$dev" "$dir/esp" 2>/dev/null; then
		if [ -d "$dir/esp/loader" ]; then
			esp="$dir/esp"
			break
		fi
		umount "$dir/esp"
	fi
done
out=$(koompi-boot ${esp:+--esp "$esp"} status --json 2>"$dir/status.err")
rc=$?
printf 'KOOMPI-STATUS rc=%s esp=%s %s\n' "$rc" "${esp:-none}" "$(printf '%s' "$out" | tr -d '\n')"
[ -s "$dir/status.err" ] && sed 's/^/KOOMPI-STATUS-ERR: /' "$dir/status.err"
[ -n "$esp" ] && umount "$esp"
exit "$rc"
