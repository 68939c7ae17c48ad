#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Without --top and --esp, koompi-boot finds the Btrfs filesystem of / in mountinfo, mounts its
# top level privately, and finds the ESP at /efi. Run in a chroot whose / is a Btrfs
# subvolume, which is what mountinfo then shows; the private mount must not leak out.
. "$(dirname "$0")/lib.sh"

make_top @root-a @root-b || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
make_kernel
dev=$(findmnt -no SOURCE "$TOP")
btrfs -q subvolume create "$TOP/@sys" >/dev/null
R=$T/sys
mkdir -p "$R"
mount -o subvol=@sys "$dev" "$R" && MOUNTS="$R $MOUNTS" || { not_ok "mounting the chroot"; finish; exit 1; }
mkdir -p "$R/usr" "$R/proc" "$R/dev" "$R/run/koompi" "$R/tmp" "$R/etc" "$R/efi/loader" "$R/var/lib/koompi" "$R/k"
for l in lib lib64 bin sbin; do
	[ -e "/$l" ] && ln -s "usr/$l" "$R/$l"
done
mount --bind /usr "$R/usr" && MOUNTS="$R/usr $MOUNTS" && mount -o remount,bind,ro "$R/usr"
mount -t proc proc "$R/proc" && MOUNTS="$R/proc $MOUNTS"
mount --rbind /dev "$R/dev" && mount --make-rslave "$R/dev" && MOUNTS="$R/dev $MOUNTS"
cp /etc/ld.so.cache "$R/etc/" 2>/dev/null
cp "$K" "$R/koompi-boot"
cp "$T/vmlinuz" "$T/initrd.img" "$R/k/"
printf 'koompi-boot-ledger 1\nboot 1 1732400000 - @root-b - switched in-progress -\n' >"$R/var/lib/koompi/ledger"
printf '{"snapshot":"@root-b","entry":"","counting":false,"ledger_seq":1,"fallback":false,"timeline":[]}\n' \
	>"$R/run/koompi/boot.json"
in_root() { chroot "$R" /koompi-boot "$@"; }

expect_rc "entries sync without --top and --esp" 0 in_root entries sync --kernel /k/vmlinuz --initrd /k/initrd.img \
	--options "root=UUID=1"
check "the roots were found: an entry for each" test -f "$R/efi/loader/entries/koompi-root-a+3.conf" -a \
	-f "$R/efi/loader/entries/koompi-root-b+3.conf"
check "no entry for the subvolume of / itself" test -z "$(ls "$R/efi/loader/entries" | grep sys)"
check "the private mount of the top level did not leak" test -z "$(findmnt -rn | grep koompi-boot)"
check "its mount point is removed" test -z "$(ls "$R/run" | grep koompi-boot)"
expect_rc "status --json without --top and --esp" 0 in_root status --json
check "status finds the roots and their entries" json_true "$T/out" \
	'sorted(s["name"] for s in j["snapshots"]) == ["@root-a","@root-b"] and all(s["entry"] for s in j["snapshots"])'
check "status reads the system ledger" json_true "$T/out" 'j["ledger"]["path"] == "/var/lib/koompi/ledger" and j["boots"][0]["seq"] == 1'
check "status finds the ESP at /efi" json_true "$T/out" 'j["esp"] == "/efi"'
expect_rc "mark-good without EFI variables: the ledger only" 0 in_root mark-good
check "the system ledger has the boot good" grep -q "^boot 1 .* good good" "$R/var/lib/koompi/ledger"
rmdir "$R/efi/loader/entries" 2>/dev/null
mv "$R/efi/loader" "$R/efi/not-loader"
expect_rc "no ESP anywhere: exit 2" 2 in_root entries sync --kernel /k/vmlinuz --initrd /k/initrd.img --options x
check "the message says where it looked" grep -q "/efi, /boot, /boot/efi" "$T/err"

finish
