#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bad input met by koompi-boot (rows of the README's "Bad input" table): a boot.conf with a key
# of a newer version, a corrupt one, one with a bad value, one that is a directory; a root with
# a kernel but no initramfs.
. "$(dirname "$0")/lib.sh"

make_top @root-current || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
make_kernel
make_esp_dir
kb() { "$K" --top "$TOP" --esp "$ESP" "$@"; }

# ---- boot.conf ----
printf '[boot]\nkeep = 4\nsplash = on\n[telemetry]\nurl = x\n' >"$T/newer.conf"
expect_rc "a boot.conf with keys of a newer version: the verb runs" 0 kb --config "$T/newer.conf" list --json
check "the unknown keys are named" grep -q "unknown keys 'boot:splash', 'telemetry:url' ignored" "$T/err"
check "and the roots are listed" json_true "$T/out" '[r["name"] for r in j["roots"]] == ["@root-current"]'
printf '[boot]\nkeep = 4\nthis is not ini\n' >"$T/corrupt.conf"
expect_rc "a corrupt boot.conf: exit 2, nothing done" 2 kb --config "$T/corrupt.conf" list
check "the line is named" grep -q "corrupt.conf (3)" "$T/err"
printf '[boot]\nkeep = 4\nfailure_action = suspend\n' >"$T/badvalue.conf"
expect_rc "a bad value for a known key: exit 2, nothing done" 2 kb --config "$T/badvalue.conf" list
check "the key and the value are named" grep -q "bad value 'suspend' for 'boot:failure_action'" "$T/err"
mkdir "$T/dir.conf"
expect_rc "a boot.conf that is a directory: exit 2" 2 kb --config "$T/dir.conf" list

# ---- a kernel without its initramfs ----
btrfs -q subvolume create "$TOP/@root-next.w" >/dev/null
mkdir -p "$TOP/@root-next.w/usr/lib/modules/6.12.1"
echo kernel >"$TOP/@root-next.w/usr/lib/modules/6.12.1/vmlinuz"
btrfs -q subvolume snapshot -r "$TOP/@root-next.w" "$TOP/@root-next" >/dev/null
btrfs -q subvolume delete "$TOP/@root-next.w" >/dev/null
mkdir -p "$ESP/loader/entries"
before=$(tree_state "$ESP")
expect_rc "a root with a kernel and no initramfs: exit 2" 2 kb entries sync --options x
check "the message names the root, the kernel and what to do" \
	grep -q "@root-next has the kernel 6.12.1 but no initramfs for it.*koompi-mkinitramfs" "$T/err"
check "and nothing changed" test "$before" = "$(tree_state "$ESP")"
finish
