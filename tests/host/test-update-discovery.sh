#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The verbs that change roots without --top and --esp, as on a running system: / is a read-only
# Btrfs subvolume, /var the @var subvolume, the ESP at /efi. koompi-boot mounts the top level
# privately (read-only, as every verb does), makes that private mount writable, and nothing of
# it leaks out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"

if [ -z "$BUSYBOX" ]; then
	echo "test-update-discovery.sh: SKIPPED: no static busybox for the test roots"
	finish
	exit 0
fi
make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
add_shell_root @root-a && add_shell_root @root-b || { not_ok "roots"; finish; exit 1; }
make_kernel
make_esp_dir
dev=$(findmnt -no SOURCE "$TOP")
btrfs -q subvolume create "$TOP/@sys" >/dev/null
mkdir -p "$TOP/@sys/usr" "$TOP/@sys/proc" "$TOP/@sys/dev" "$TOP/@sys/run" "$TOP/@sys/sys" "$TOP/@sys/tmp" \
	"$TOP/@sys/etc" "$TOP/@sys/efi" "$TOP/@sys/var" "$TOP/@sys/k"
for l in lib lib64 bin sbin; do
	[ -e "/$l" ] && ln -s "usr/$l" "$TOP/@sys/$l"
done
cp /etc/ld.so.cache "$TOP/@sys/etc/" 2>/dev/null
cp "$K" "$TOP/@sys/koompi-boot"
cp "$T/vmlinuz" "$T/initrd.img" "$TOP/@sys/k/"
R=$T/sys
mkdir -p "$R"
mount -o ro,subvol=@sys "$dev" "$R" && MOUNTS="$R $MOUNTS" || { not_ok "mounting the chroot"; finish; exit 1; }
mount --bind /usr "$R/usr" && MOUNTS="$R/usr $MOUNTS" && mount -o remount,bind,ro "$R/usr"
mount -t proc proc "$R/proc" && MOUNTS="$R/proc $MOUNTS"
mount --rbind /dev "$R/dev" && mount --make-rslave "$R/dev" && MOUNTS="$R/dev $MOUNTS"
mount -t tmpfs tmpfs "$R/run" && MOUNTS="$R/run $MOUNTS"
mount -t tmpfs tmpfs "$R/tmp" && MOUNTS="$R/tmp $MOUNTS"
mount --bind "$TOP/@var" "$R/var" && MOUNTS="$R/var $MOUNTS"
mount --bind "$ESP" "$R/efi" && MOUNTS="$R/efi $MOUNTS"
mkdir -p "$R/run/koompi"
printf '{"snapshot":"@root-b","entry":"","counting":false,"timeline":[]}\n' >"$R/run/koompi/boot.json"
in_root() {
	chroot "$R" /koompi-boot --kernel /k/vmlinuz --initrd /k/initrd.img --options "root=UUID=1234" "$@"
}
check "/ of the chroot is read-only" sh -c "! touch '$R/x' 2>/dev/null"

expect_rc "update without --top and --esp" 0 in_root update --run 'echo chrooted >/etc/version'
new=$(newest_root)
check "the new root is on the Btrfs of /" test "$(cat "$TOP/$new/etc/version" 2>/dev/null)" = chrooted
check "it is read-only" is_ro "$new"
check "its entry is on the ESP found at /efi" test "$(entry_of "$new")" = "koompi-${new#@}+3.conf"
check "no journal is left in /var" test ! -e "$TOP/@var/lib/koompi/transaction"
check "the private mount of the top level did not leak" test -z "$(findmnt -rn | grep koompi-boot)"
check "its mount point is removed" test -z "$(ls "$R/run" | grep koompi-boot)"
check "the chroot's / is still read-only" sh -c "! touch '$R/x' 2>/dev/null"
check "consistent" consistent

expect_rc "snapshot create without --top" 0 in_root snapshot create term1
check "the snapshot is there" is_ro @root-term1
expect_rc "snapshot pin without --top" 0 in_root snapshot pin term1
check "the pin is in the system's /var" grep -q " @root-term1\$" "$TOP/@var/lib/koompi/pinned"
expect_rc "prune --keep 1 without --top" 0 in_root prune --keep 1
check "prune kept the booted root and the newest (pinned) one" test "$(roots | sort | tr '\n' ' ')" = "@root-b @root-term1 "
check "prune deleted the others" test ! -e "$TOP/$new" -a ! -e "$TOP/@root-a"
expect_rc "rollback without --top" 0 in_root rollback @root-b
check "the booted root boots next" test "$(next_boot)" = @root-b
check "consistent at the end" consistent
check "nothing leaked at the end" test -z "$(findmnt -rn | grep koompi-boot)"

finish
