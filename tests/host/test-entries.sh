#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-boot entries sync on a real Btrfs top level: the files it writes, idempotence, counters
# kept, twins and stale entries removed, kernels shared and collected, refusals that change
# nothing, an ESP too full, and the ESP on FAT.
. "$(dirname "$0")/lib.sh"

make_top @root-factory @root-current || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
make_kernel
make_esp_dir
mkdir -p "$ESP/koompi/pending" "$ESP/loader/entries"
echo "title Debian" >"$ESP/loader/entries/debian.conf"
echo "marker" >"$ESP/koompi/pending/koompi-root-current.conf"
# The factory root booted well once; the current one never did.
write_ledger "boot 1 1732400000 koompi-root-factory.conf @root-factory - good good -"

# ---- first sync ----
expect_rc "entries sync on a fresh ESP" 0 sync_entries
check "the good root gets an entry without counter" test -f "$ESP/loader/entries/koompi-root-factory.conf"
check "a root never good gets +3" test -f "$ESP/loader/entries/koompi-root-current+3.conf"
check "no other koompi entry" test "$(entries | grep -c '^koompi-')" -eq 2
check "other entries are left alone" test "$(cat "$ESP/loader/entries/debian.conf")" = "title Debian"
check "koompi/pending is left alone" test -f "$ESP/koompi/pending/koompi-root-current.conf"
kdirs=$(cd "$ESP/koompi" && ls | grep -v pending)
check "one kernel directory, shared by both entries" test "$(echo "$kdirs" | wc -l)" -eq 1
check "the kernel stored byte for byte" cmp "$T/vmlinuz" "$ESP/koompi/$kdirs/vmlinuz"
check "the initramfs stored byte for byte" cmp "$T/initrd.img" "$ESP/koompi/$kdirs/initramfs.img"
want_id=$(python3 -c 'import hashlib,sys
a=hashlib.sha256(open(sys.argv[1],"rb").read()).digest(); b=hashlib.sha256(open(sys.argv[2],"rb").read()).digest()
print(hashlib.sha256(a+b).hexdigest()[:16])' "$T/vmlinuz" "$T/initrd.img")
check "the kernel directory is named by the content's SHA-256" test "$kdirs" = "$want_id"
cur=$ESP/loader/entries/koompi-root-current+3.conf
check "title" grep -qx "title KOOMPI OS (@root-current)" "$cur"
check "sort-key" grep -qx "sort-key koompi" "$cur"
check "linux" grep -qx "linux /koompi/$want_id/vmlinuz" "$cur"
check "initrd" grep -qx "initrd /koompi/$want_id/initramfs.img" "$cur"
check "options name the snapshot" grep -qx "options root=UUID=1234 quiet koompi.snapshot=@root-current" "$cur"
vf=$(sed -n 's/^version //p' "$ESP/loader/entries/koompi-root-factory.conf")
vc=$(sed -n 's/^version //p' "$cur")
check "the newer root has the greater version" test "$vc" -gt "$vf"
check "loader.conf: default koompi-*" grep -qx "default koompi-\*" "$ESP/loader/loader.conf"
check "loader.conf: editor no" grep -qx "editor no" "$ESP/loader/loader.conf"
check "loader.conf: timeout 3" grep -qx "timeout 3" "$ESP/loader/loader.conf"
check "no temporary file left" test -z "$(find "$ESP" -name '.*')"

# ---- idempotence ----
before=$(tree_state "$ESP")
expect_rc "a second sync succeeds" 0 sync_entries
check "a second sync changes nothing on the ESP" test "$before" = "$(tree_state "$ESP")"
grep -q "^up to date: koompi-root-current+3.conf" "$T/out" && ok "a second sync says up to date" ||
	not_ok "a second sync says up to date" "$(cat "$T/out")"

# ---- counters preserved ----
# systemd-boot started the current root once; an admin blessed nothing.
mv "$cur" "$ESP/loader/entries/koompi-root-current+2-1.conf"
expect_rc "sync after a counted boot" 0 sync_entries
check "a +2-1 is not reset to +3" test "$(entries | grep root-current)" = "koompi-root-current+2-1.conf"
mv "$ESP/loader/entries/koompi-root-current+2-1.conf" "$ESP/loader/entries/koompi-root-current+0-3.conf"
expect_rc "sync with a spent entry" 0 sync_entries
check "a spent +0-3 is not re-armed" test "$(entries | grep root-current)" = "koompi-root-current+0-3.conf"
expect_rc "sync with new options" 0 "$K" --top "$TOP" --esp "$ESP" entries sync --kernel "$T/vmlinuz" \
	--initrd "$T/initrd.img" --options "root=UUID=1234 splash"
check "new options rewrite the contents, not the name" grep -qx \
	"options root=UUID=1234 splash koompi.snapshot=@root-current" "$ESP/loader/entries/koompi-root-current+0-3.conf"
check "and keep the counter" test "$(entries | grep -c root-current)" -eq 1
expect_rc "sync back to the old options" 0 sync_entries

# ---- twins ----
cp "$ESP/loader/entries/koompi-root-current+0-3.conf" "$ESP/loader/entries/koompi-root-current.conf"
cp "$ESP/loader/entries/koompi-root-factory.conf" "$ESP/loader/entries/koompi-root-factory+3.conf"
expect_rc "sync with twins" 0 sync_entries
check "the uncounted twin of a counted entry is removed" test "$(entries | grep root-current)" = "koompi-root-current+0-3.conf"
check "the counted twin is kept" test "$(entries | grep root-factory)" = "koompi-root-factory+3.conf"

# ---- a new root, stale entries, kernel collection ----
add_root @root-new 6.12.1-arch1 6.6.2-lts 6.12.10-arch1
expect_rc "sync with a new root carrying its kernels" 0 sync_entries
new=$ESP/loader/entries/koompi-root-new+3.conf
check "the new root gets +3" test -f "$new"
newk=$(sed -n 's|^linux /koompi/\([0-9a-f]*\)/vmlinuz$|\1|p' "$new")
check "the root's newest kernel (6.12.10) is used" grep -qx "kernel 6.12.10-arch1 of @root-new" "$ESP/koompi/$newk/vmlinuz"
check "with its own initramfs" grep -qx "image 6.12.10-arch1 of @root-new" "$ESP/koompi/$newk/initramfs.img"
check "two kernel directories now" test "$(ls "$ESP/koompi" | grep -vc pending)" -eq 2
btrfs -q subvolume delete "$TOP/@root-factory" >/dev/null
expect_rc "sync after a root was deleted" 0 sync_entries
check "the entry of the deleted root is removed" test -z "$(entries | grep root-factory)"
check "its kernel stays while another entry uses it" test -d "$ESP/koompi/$want_id"
btrfs -q subvolume delete "$TOP/@root-current" >/dev/null
expect_rc "sync after the last user of a kernel went" 0 sync_entries
check "the unreferenced kernel directory is removed" test ! -e "$ESP/koompi/$want_id"
check "the kernel in use stays" test -d "$ESP/koompi/$newk"
check "koompi/pending still there" test -f "$ESP/koompi/pending/koompi-root-current.conf"
check "debian.conf still there" test -f "$ESP/loader/entries/debian.conf"
btrfs -q subvolume create "$TOP/@root-wip" >/dev/null
cp "$new" "$ESP/loader/entries/koompi-root-wip+3.conf"
expect_rc "sync with a root that is not read-only" 0 sync_entries
check "a root not read-only has no entry" test -z "$(entries | grep root-wip)"
btrfs -q subvolume delete "$TOP/@root-wip" >/dev/null

# ---- leftovers of a crash ----
echo torn >"$ESP/loader/entries/.koompi-root-new+3.conf.999.tmp"
mkdir -p "$ESP/koompi/.0123456789abcdef.999.tmp" && echo torn >"$ESP/koompi/.0123456789abcdef.999.tmp/vmlinuz"
echo "corrupt" >"$ESP/koompi/$newk/vmlinuz"
expect_rc "sync after a crash" 0 sync_entries
check "temporary files of a crash are removed" test -z "$(find "$ESP" -name '.*tmp')"
check "a damaged kernel directory is rewritten" grep -qx "kernel 6.12.10-arch1 of @root-new" "$ESP/koompi/$newk/vmlinuz"

# ---- dry run ----
add_root @root-next
before=$(tree_state "$ESP")
expect_rc "entries sync --dry-run" 0 sync_entries --dry-run
check "--dry-run changes nothing" test "$before" = "$(tree_state "$ESP")"
check "--dry-run says what it would do" grep -q "would create koompi-root-next+3.conf" "$T/out"
expect_rc "entries sync --json" 0 sync_entries --json
check "--json: the created entry" json_true "$T/out" \
	'any(e["action"]=="create" and e["file"]=="koompi-root-next+3.conf" and e["root"]=="@root-next" for e in j["entries"])'

# ---- refusals: nothing changed ----
before=$(tree_state "$ESP")
expect_rc "a root without kernel and no --kernel: exit 2" 2 "$K" --top "$TOP" --esp "$ESP" entries sync --options x
check "the message names the root" grep -q "@root-next carries no kernel" "$T/err"
check "and nothing changed" test "$before" = "$(tree_state "$ESP")"
btrfs -q subvolume snapshot -r "$TOP/@root-next" "$TOP/@root-NEXT" >/dev/null
expect_rc "two roots with one entry ID: exit 3" 3 sync_entries
check "the message names both" grep -q "@root-NEXT and @root-next\|@root-next and @root-NEXT" "$T/err"
check "and nothing changed" test "$before" = "$(tree_state "$ESP")"
btrfs -q subvolume delete "$TOP/@root-NEXT" >/dev/null
for r in "$TOP"/@root-*; do btrfs property set -f "$r" ro false; done
expect_rc "no read-only root: exit 3" 3 sync_entries
check "no read-only root: nothing removed" test "$before" = "$(tree_state "$ESP")"
for r in "$TOP"/@root-*; do btrfs property set "$r" ro true; done
expect_rc "usage: entries without sync" 1 "$K" --top "$TOP" --esp "$ESP" entries
expect_rc "usage: --kernel without --initrd" 1 "$K" --top "$TOP" --esp "$ESP" entries sync --kernel "$T/vmlinuz"
expect_rc "no ESP: exit 2" 2 "$K" --top "$TOP" --esp "$T/nonexistent" entries sync --options x

# ---- one koompi-boot changing the entries at a time ----
rm "$ESP"/loader/entries/koompi-root-next*.conf
before=$(tree_state "$ESP")
flock "$TOP" sleep 3 &
sleep 0.5
expect_rc "a sync while an update holds the lock: exit 3" 3 sync_entries
check "the message says another koompi-boot holds it" grep -q "another koompi-boot is changing" "$T/err"
check "and nothing changed" test "$before" = "$(tree_state "$ESP")"
expect_rc "a dry run goes without the lock" 0 sync_entries --dry-run
wait
expect_rc "a sync once the lock is free" 0 sync_entries
check "writes what was missing" test -n "$(ls "$ESP"/loader/entries/koompi-root-next*.conf)"

# ---- ESP full ----
mount_small_fs "$T/small" 512
mkdir -p "$T/small/loader/entries"
echo "title Other" >"$T/small/loader/entries/other.conf"
head -c 400000 /dev/urandom >"$T/big-vmlinuz"
head -c 400000 /dev/urandom >"$T/big-initrd"
before=$(tree_state "$T/small")
expect_rc "ESP full ($SMALL_FS): exit 4" 4 "$K" --top "$TOP" --esp "$T/small" entries sync \
	--kernel "$T/big-vmlinuz" --initrd "$T/big-initrd" --options x
check "ESP full: the message gives need and free" grep -q "ESP full: need [0-9]* bytes, [0-9]* free on $T/small" "$T/err"
check "ESP full: nothing changed" test "$before" = "$(tree_state "$T/small")"

# ---- the ESP on FAT ----
if have_vfat; then
	mount_small_fs "$T/fat" 8192
	mkdir -p "$T/fat/loader"
	expect_rc "sync on a vfat ESP" 0 "$K" --top "$TOP" --esp "$T/fat" entries sync --kernel "$T/vmlinuz" \
		--initrd "$T/initrd.img" --options x
	check "vfat: entries written" test -f "$T/fat/loader/entries/koompi-root-next+3.conf"
	before=$(tree_state "$T/fat")
	expect_rc "vfat: a second sync" 0 "$K" --top "$TOP" --esp "$T/fat" entries sync --kernel "$T/vmlinuz" \
		--initrd "$T/initrd.img" --options x
	check "vfat: a second sync changes nothing" test "$before" = "$(tree_state "$T/fat")"
	cp "$T/fat/loader/entries/koompi-root-next+3.conf" "$T/fat/loader/entries/koompi-root-next.conf"
	expect_rc "vfat: sync with a twin" 0 "$K" --top "$TOP" --esp "$T/fat" entries sync --kernel "$T/vmlinuz" \
		--initrd "$T/initrd.img" --options x
	check "vfat: the twin is gone" test ! -e "$T/fat/loader/entries/koompi-root-next.conf"
else
	echo "skip the ESP on vfat: this kernel has no vfat module"
fi

finish
