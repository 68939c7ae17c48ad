#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# status's "boots next" is the entry systemd's own bootctl, reading the same ESP, marks as the
# default: across fresh, counted, in-trial, spent and blessed entries, patterns matching one,
# several or none, no pattern, another system's entry, and two roots of one day (.2 and .10).
. "$(dirname "$0")/lib.sh"

if ! command -v bootctl >/dev/null; then
	echo "skip: bootctl is missing (Debian package systemd-boot): status's \"boots next\" was not compared"
	finish
	exit 0
fi

make_top @root-factory @root-2024-12-01 @root-2024-12-01.2 @root-2024-12-01.10 ||
	{ not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
make_kernel
# bootctl wants the ESP to be the root of a filesystem: vfat when the kernel has it, else tmpfs
# (SYSTEMD_RELAX_ESP_CHECKS lets bootctl read an ESP that is not vfat).
ESP=$T/esp
mount_small_fs "$ESP" 8192 || { not_ok "a filesystem for the ESP"; finish; exit 1; }
mkdir -p "$ESP/loader"
write_ledger
expect_rc "entries sync" 0 sync_entries
D=$ESP/loader/entries
printf '{"snapshot":"@root-factory","entry":"","counting":false,"timeline":[]}\n' >"$T/boot.json"

# bootctl in a mount namespace without /sys/firmware: it reads only the ESP, as koompi-boot does
# with --esp (no EFI variable of the machine running the test).
bootctl_default() {
	unshare -m sh -c 'mount -t tmpfs none /sys/firmware 2>/dev/null; SYSTEMD_RELAX_ESP_CHECKS=1 \
		exec bootctl --esp-path="$1" list --no-pager' sh "$ESP" >"$T/bootctl.out" 2>"$T/bootctl.err" || return 1
	python3 - "$T/bootctl.out" <<'PY'
import os, sys
title = None
for line in open(sys.argv[1]):
    key, _, val = line.strip().partition(": ")
    if key == "title":
        title = val
    elif key == "source" and title is not None and "(default)" in title:
        print(os.path.basename(val))
        break
PY
}

status_next() {
	"$K" --top "$TOP" --esp "$ESP" --state "$T/boot.json" status --json >"$T/status.json" 2>"$T/status.err" || return 1
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["default"]["entry"] or "")' "$T/status.json"
}

# agree NAME EXPECTED: status and bootctl name the same entry, and it is EXPECTED.
agree() {
	b=$(bootctl_default) || { not_ok "$1: bootctl list" "$(head -c 600 "$T/bootctl.err")"; return; }
	s=$(status_next) || { not_ok "$1: status --json" "$(head -c 600 "$T/status.err")"; return; }
	if [ -z "$b" ]; then
		not_ok "$1: bootctl marks no entry as default" "$(head -c 600 "$T/bootctl.out")"
	elif [ "$s" != "$b" ]; then
		not_ok "$1: status says $s boots next, bootctl says $b"
	elif [ "$s" != "$2" ]; then
		not_ok "$1: status and bootctl agree on $s, expected $2"
	else
		ok "$1: $s boots next for both"
	fi
}

# entry ROOT-ID: its file now, whatever its counter.
entry() { (cd "$D" && ls | grep -E "^koompi-root-$1(\+[0-9-]*)?\.conf$"); }
# counter ROOT-ID SUFFIX: renames its entry to carry the counter SUFFIX ("" for none).
counter() { mv "$D/$(entry "$1")" "$D/koompi-root-$1$2.conf"; }
loader_default() { printf 'timeout 3\n%s\n' "${1:+default $1}" >"$ESP/loader/loader.conf"; }
set_version() { sed -i "s/^version .*/version $2/" "$D/$(entry "$1")"; }

check "every root has an entry" test "$(ls "$D" | wc -l)" -eq 4
loader_default "koompi-*"
agree "fresh, counted entries" "$(entry 2024-12-01.10)"
counter 2024-12-01.10 "+2-1"
agree "the newest in trial" "koompi-root-2024-12-01.10+2-1.conf"
counter 2024-12-01.10 "+0-3"
agree "the newest spent" "$(entry 2024-12-01.2)"
counter 2024-12-01.2 ""
agree "blessed, after a spent one" "koompi-root-2024-12-01.2.conf"
counter 2024-12-01.2 "+0"
counter 2024-12-01 "+0-3"
counter factory "+0-3"
agree "every entry spent" "koompi-root-2024-12-01.10+0-3.conf"
counter 2024-12-01.10 "+3"
counter 2024-12-01.2 "+3"
counter 2024-12-01 "+3"
counter factory ""
loader_default "koompi-root-2024-12-01*"
agree "a pattern matching several" "$(entry 2024-12-01.10)"
loader_default "koompi-root-factory.conf"
agree "a pattern naming an older root" "koompi-root-factory.conf"
loader_default "KOOMPI-ROOT-2024-12-01.CONF"
agree "a pattern in another case" "$(entry 2024-12-01)"
counter 2024-12-01 "+0-3"
agree "an explicit default keeps a spent entry" "koompi-root-2024-12-01+0-3.conf"
loader_default "debian-*"
agree "a pattern matching nothing: the first entry" "$(entry 2024-12-01.10)"
loader_default ""
agree "no pattern: the first entry" "$(entry 2024-12-01.10)"

# Two roots of one day with the same version: the ID decides, compared as a version (.10 after
# .2), not as a string.
loader_default "koompi-*"
set_version 2024-12-01.2 7
set_version 2024-12-01.10 7
set_version 2024-12-01 7
set_version factory 7
agree "same version, .2 and .10" "$(entry 2024-12-01.10)"
counter 2024-12-01.10 "+0-3"
agree "same version, .10 spent" "$(entry 2024-12-01.2)"
counter 2024-12-01.10 "+3"
set_version 2024-12-01.10 6
agree "same day, .10 older" "$(entry 2024-12-01.2)"

# Another system's entry, with a sort-key that comes first.
printf 'title Arch\nversion 1\nsort-key arch\nlinux /vmlinuz-linux\noptions root=x\n' >"$D/arch.conf"
touch "$ESP/vmlinuz-linux"
agree "another system's entry, not matched by the pattern" "$(entry 2024-12-01.2)"
loader_default ""
agree "no pattern: another system's entry first" "arch.conf"
check "status: the next root is unknown when another system's entry boots" json_true "$T/status.json" \
	'j["default"]["entry"] == "arch.conf" and j["default"]["snapshot"] is None'
finish
