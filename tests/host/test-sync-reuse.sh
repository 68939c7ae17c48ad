#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# entries sync does not read again the kernels of read-only roots it has already stored: a
# root's kernel is replaced (bind-mounted over) by another of the same size after the first
# sync, and a re-sync that hashed it would store a new kernel directory. Hashing still happens
# when the entry's version is not the root's generation, when the kernel directory is missing,
# and for kernels given with --kernel.
. "$(dirname "$0")/lib.sh"

make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
add_root @root-a 6.1.0 && add_root @root-b 6.1.0 || { not_ok "roots with their own kernels"; finish; exit 1; }
make_kernel
make_esp_dir
write_ledger

kernel_of() { sed -n 's|^linux /koompi/\([0-9a-f]*\)/vmlinuz$|\1|p' "$ESP"/loader/entries/koompi-root-"$1"*.conf; }

expect_rc "first sync" 0 sync_entries
ida=$(kernel_of a)
idb=$(kernel_of b)
check "each root has its own kernel directory" test -n "$ida" -a -n "$idb" -a "$ida" != "$idb"
check "the kernel of @root-a stored byte for byte" cmp "$TOP/@root-a/usr/lib/modules/6.1.0/vmlinuz" \
	"$ESP/koompi/$ida/vmlinuz"

# Another kernel of the same size where @root-a's is: only a sync that reads it can notice.
vmlinuz=$TOP/@root-a/usr/lib/modules/6.1.0/vmlinuz
sed 's/kernel/KERNEL/' "$vmlinuz" >"$T/other-vmlinuz"
check "the other kernel has the same size" test "$(stat -c %s "$vmlinuz")" = "$(stat -c %s "$T/other-vmlinuz")"
mount --bind "$T/other-vmlinuz" "$vmlinuz" || { not_ok "bind-mounting over the kernel"; finish; exit 1; }
MOUNTS="$vmlinuz $MOUNTS"
before=$(tree_state "$ESP")
expect_rc "a re-sync of unchanged roots" 0 sync_entries
check "it did not read the kernel again: the ESP is unchanged" test "$before" = "$(tree_state "$ESP")"
check "both entries up to date" test "$(grep -c '^up to date: ' "$T/out")" -eq 2

# The entry's version is not the root's generation: the kernel is read.
entry=$(ls "$ESP"/loader/entries/koompi-root-a*.conf)
sed -i 's/^version .*/version 1/' "$entry"
expect_rc "a sync after the version changed" 0 sync_entries
check "a version that is not the generation makes it hash the kernel" test "$(kernel_of a)" != "$ida"
check "and store what it read" cmp "$T/other-vmlinuz" "$ESP/koompi/$(kernel_of a)/vmlinuz"
check "the version is the generation again" test "$(sed -n 's/^version //p' "$entry")" != 1

umount "$vmlinuz"
MOUNTS=${MOUNTS#"$vmlinuz "}
# The directory the entry names is gone: the kernel is read and stored again.
rm -rf "$ESP/koompi/$(kernel_of a)"
expect_rc "a sync with the kernel directory gone" 0 sync_entries
check "a missing kernel directory makes it hash the kernel" test "$(kernel_of a)" = "$ida"
check "and store it again" cmp "$vmlinuz" "$ESP/koompi/$ida/vmlinuz"
check "@root-b kept its kernel" test "$(kernel_of b)" = "$idb"

# A kernel of the same size in a directory named for another: the sizes decide, then the hash.
printf 'x' >>"$ESP/koompi/$ida/initramfs.img"
expect_rc "a sync with a kernel directory of the wrong sizes" 0 sync_entries
check "the damaged directory is rewritten" cmp "$TOP/@root-a/usr/lib/modules/6.1.0/initramfs-koompi.img" \
	"$ESP/koompi/$ida/initramfs.img"

# Kernels given with --kernel may change between runs: always read.
btrfs -q subvolume create "$TOP/@root-c.w" >/dev/null && btrfs -q subvolume snapshot -r "$TOP/@root-c.w" "$TOP/@root-c" >/dev/null &&
	btrfs -q subvolume delete "$TOP/@root-c.w" >/dev/null || { not_ok "a root without a kernel"; finish; exit 1; }
expect_rc "a sync with a root that carries no kernel" 0 sync_entries
idc=$(kernel_of c)
head -c 200000 /dev/urandom >"$T/vmlinuz"
expect_rc "a sync after --kernel's file changed" 0 sync_entries
check "a kernel given with --kernel is read on every sync" test "$(kernel_of c)" != "$idc"
check "and stored" cmp "$T/vmlinuz" "$ESP/koompi/$(kernel_of c)/vmlinuz"

finish
