#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# entries sync with [boot] image = uki on a real Btrfs top level: one unified kernel image per
# root in EFI/Linux (systemd-boot's stub, the root's kernel, image and command line), rewritten
# only when it would change, signed when the db key is there; status and list read them;
# systemd-boot's renames, mark-good and rollback work on their names; switching between entries
# and UKIs keeps every counter.
. "$(dirname "$0")/lib.sh"

STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
if [ ! -r "$STUB" ] || ! command -v objcopy >/dev/null; then
	echo "test-uki.sh: SKIPPED: no systemd-boot stub ($STUB, systemd-boot-efi) or no objcopy (binutils)"
	exit 0
fi

make_top @root-factory @root-current || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
make_kernel
make_esp_dir
write_ledger "boot 1 1732400000 koompi-root-factory.conf @root-factory - good good -" \
	"boot 2 1732400100 koompi-root-current+2-1.efi @root-current - switched in-progress -"
L=$ESP/EFI/Linux
conf() { # conf IMAGE: boot.conf with that image kind and the keys in $T/keys
	printf '[boot]\nimage = %s\n[secureboot]\nkeys = %s\n' "$1" "$T/keys" >"$T/boot.conf"
}
ksync() {
	"$K" --top "$TOP" --esp "$ESP" --config "$T/boot.conf" entries sync --kernel "$T/vmlinuz" \
		--initrd "$T/initrd.img" --options "root=UUID=1234 quiet" "$@"
}
kb() { "$K" --top "$TOP" --esp "$ESP" --config "$T/boot.conf" --state "$T/boot.json" "$@"; }
# This boot: systemd-boot started the current root's UKI and counted it.
printf '{"snapshot":"@root-current","entry":"koompi-root-current+2-1.efi","counting":true,"fallback":false,"ledger_seq":2,"timeline":[]}\n' \
	>"$T/boot.json"
ukis() { (cd "$L" && ls); }
section() { # section FILE NAME: the section's bytes on stdout
	objcopy --dump-section "$2=$T/section" "$1" "$T/dump.efi" >/dev/null 2>&1 && cat "$T/section"
}
conf uki

# ---- first sync ----
expect_rc "entries sync with image = uki" 0 ksync
check "the good root gets a UKI without counter" test -f "$L/koompi-root-factory.efi"
check "a root never good gets +3" test -f "$L/koompi-root-current+3.efi"
check "no other UKI" test "$(ukis | wc -l)" -eq 2
check "no type #1 entry" test -z "$(ls "$ESP/loader/entries" 2>/dev/null)"
check "no kernel directory: the UKIs carry their kernels" test -z "$(ls "$ESP/koompi" 2>/dev/null)"
cur=$L/koompi-root-current+3.efi
check "sections .osrel .cmdline .initrd .linux" sh -c "objdump -h '$cur' | grep -q ' .osrel ' &&
	objdump -h '$cur' | grep -q ' .cmdline ' && objdump -h '$cur' | grep -q ' .initrd ' && objdump -h '$cur' | grep -q ' .linux '"
check "the stub's own sections are kept" sh -c "objdump -h '$cur' | grep -q ' .sdmagic '"
check "the command line names the snapshot" test "$(section "$cur" .cmdline)" = "root=UUID=1234 quiet koompi.snapshot=@root-current"
check "the kernel inside byte for byte" sh -c "objcopy --dump-section .linux='$T/k' '$cur' '$T/d.efi' && cmp '$T/k' '$T/vmlinuz'"
check "the initramfs inside byte for byte" sh -c "objcopy --dump-section .initrd='$T/i' '$cur' '$T/d.efi' && cmp '$T/i' '$T/initrd.img'"
section "$cur" .osrel >"$T/osrel"
check "os-release: the title systemd-boot shows" grep -qx 'PRETTY_NAME="KOOMPI OS (@root-current)"' "$T/osrel"
check "os-release: the sort key" grep -qx 'ID=koompi' "$T/osrel"
vf=$(section "$L/koompi-root-factory.efi" .osrel | sed -n 's/^VERSION_ID="\(.*\)"$/\1/p')
vc=$(sed -n 's/^VERSION_ID="\(.*\)"$/\1/p' "$T/osrel")
check "the newer root has the greater version" test "$vc" -gt "$vf"
check "not signed without a db key" sh -c "! grep -q KOOMPI_SIGNER '$T/osrel'"
check "loader.conf: default koompi-*" grep -qx "default koompi-\*" "$ESP/loader/loader.conf"
check "no temporary file left" test -z "$(find "$ESP" -name '.*')"

# ---- idempotence ----
before=$(tree_state "$ESP")
expect_rc "a second sync succeeds" 0 ksync
check "a second sync changes nothing on the ESP" test "$before" = "$(tree_state "$ESP")"
check "a second sync says up to date" grep -q "^up to date: koompi-root-current+3.efi" "$T/out"

# ---- status and list read them ----
expect_rc "status" 0 kb status
check "status names the UKI of each root" grep -q "koompi-root-current+3.efi" "$T/out"
check "status: the default pattern picks the newest root's UKI" grep -q -- "-> koompi-root-current+3.efi" "$T/out"
expect_rc "list --json" 0 kb --json list
cp "$T/out" "$T/list.json"
check "list: the root's entry is its UKI" json_true "$T/list.json" \
	'[r for r in j["roots"] if r["name"] == "@root-current"][0]["entries"][0]["file"] == "koompi-root-current+3.efi"'

# ---- systemd-boot counts, the admin blesses ----
mv "$cur" "$L/koompi-root-current+2-1.efi"
expect_rc "sync after a counted boot" 0 ksync
check "a +2-1 is not reset to +3" test "$(ukis | grep root-current)" = "koompi-root-current+2-1.efi"
check "and not rewritten" grep -q "^up to date: koompi-root-current+2-1.efi" "$T/out"
expect_rc "mark-good on a UKI" 0 kb --entry "$L/koompi-root-current+2-1.efi" mark-good
check "the UKI is blessed: its counter dropped" test "$(ukis | grep root-current)" = "koompi-root-current.efi"

# ---- switching the image kind keeps the counters ----
mv "$L/koompi-root-current.efi" "$L/koompi-root-current+1-2.efi"
conf entry
expect_rc "sync with image = entry" 0 ksync
check "the UKIs go" test -z "$(ukis)"
check "the entry keeps the UKI's counter" test -f "$ESP/loader/entries/koompi-root-current+1-2.conf"
check "the good root's entry has none" test -f "$ESP/loader/entries/koompi-root-factory.conf"
check "the kernel is stored again" test "$(ls "$ESP/koompi" | wc -l)" -eq 1
check "the output says why they went" grep -q "removed koompi-root-current+1-2.efi (image = entry of @root-current)" "$T/out"
conf uki
expect_rc "sync with image = uki again" 0 ksync
check "the UKI keeps the entry's counter" test -f "$L/koompi-root-current+1-2.efi"
check "the entries go" test -z "$(ls "$ESP/loader/entries")"
check "the kernel directory goes" test -z "$(ls "$ESP/koompi")"

# ---- a new root with its own kernel, a stale UKI ----
add_root @root-new 6.12.1-arch1
: >"$L/koompi-root-gone+3.efi"
echo "not ours" >"$L/other.efi"
expect_rc "sync with a new root" 0 ksync
new=$L/koompi-root-new+3.efi
check "the new root gets +3" test -f "$new"
check "its own kernel inside" sh -c "objcopy --dump-section .linux='$T/k' '$new' '$T/d.efi' && cmp '$T/k' '$TOP/@root-new/usr/lib/modules/6.12.1-arch1/vmlinuz'"
check "a UKI of no root is removed" test ! -e "$L/koompi-root-gone+3.efi"
check "other UKIs are left alone" test "$(cat "$L/other.efi")" = "not ours"
before=$(tree_state "$ESP")
"$K" --top "$TOP" --esp "$ESP" --config "$T/boot.conf" --debug entries sync --kernel "$T/vmlinuz" \
	--initrd "$T/initrd.img" --options "root=UUID=1234 quiet" >"$T/out" 2>"$T/err"
check "a root's own kernel is not hashed again" grep -q "@root-new: kernel .* reused from koompi-root-new+3.efi" "$T/err"
check "and nothing changes" test "$before" = "$(tree_state "$ESP")"

# ---- rollback spends the newer roots' UKIs ----
expect_rc "rollback @root-current" 0 kb rollback @root-current --kernel "$T/vmlinuz" --initrd "$T/initrd.img" \
	--options "root=UUID=1234 quiet"
check "the newer root's UKI is spent" test -f "$L/koompi-root-new+0.efi"

# ---- signed with the db key ----
if command -v openssl >/dev/null && command -v sbsign >/dev/null && command -v sbverify >/dev/null; then
	mkdir -p "$T/keys"
	openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=koompi test db/" \
		-keyout "$T/keys/db.key" -out "$T/keys/db.crt" >/dev/null 2>&1
	expect_rc "sync with a db key" 0 ksync
	check "every UKI rewritten, under its name" test "$(grep -c '^updated koompi-root-.*\.efi' "$T/out")" -eq 3
	check "signed with the db key" sbverify --cert "$T/keys/db.crt" "$L/koompi-root-current+1-2.efi"
	check "the os-release names the certificate" sh -c "objcopy --dump-section .osrel='$T/o' '$L/koompi-root-current+1-2.efi' '$T/d.efi' && grep -q KOOMPI_SIGNER '$T/o'"
	check "the key is not on the ESP" test -z "$(find "$ESP" -name '*.key')"
	check "systemd-boot signed onto the ESP too" sbverify --cert "$T/keys/db.crt" "$ESP/EFI/BOOT/BOOTX64.EFI"
	check "and what it was signed from recorded" test -s "$ESP/koompi/bootloader-signed"
	before=$(tree_state "$ESP")
	expect_rc "a second signed sync" 0 ksync
	check "changes nothing" test "$(grep -c '^up to date' "$T/out")" -eq 3
	check "not even systemd-boot" test "$before" = "$(tree_state "$ESP")"
	echo "stale" >"$ESP/koompi/bootloader-signed"
	expect_rc "a sync after systemd-boot changed" 0 ksync
	check "signs it again" grep -q "^signed systemd-boot: .*BOOTX64.EFI" "$T/out"
else
	echo "test-uki.sh: signing SKIPPED (openssl, sbsign or sbverify missing: make deps)"
fi

# ---- the stub missing ----
expect_rc "sync --dry-run with image = uki" 0 ksync --dry-run
finish
