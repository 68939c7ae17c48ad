#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the "busybox-script" image of make bench: the minimal shell-script
# initramfs that koompi-init is measured against. It does the same steps as
# koompi-init with busybox and the cryptsetup binary, and nothing more: no
# udev, no error handling beyond a message.
#
# Built by qemu/bench.py with
#   koompi-mkinitramfs --init busybox-init.sh --include /usr/sbin/cryptsetup \
#       --include KEYFILE:/etc/koompi/keys/root.key --include bench.env:/etc/bench.env
# so it carries the same modules as koompi-init's image. /etc/bench.env sets
# LUKS_UUID, LUKS_NAME, KEYFILE, SNAPSHOT, HOME_SUBVOL, VAR_SUBVOL, MODULES.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

die() {
	echo "busybox-init: FAILED: $*"
	exec sh
}

mkdir -p /proc /sys /dev /run /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/cryptsetup
. /etc/bench.env

# crc32c_intel (or the generic one) first: btrfs needs crc32c through a soft
# dependency that busybox modprobe does not follow.
modprobe crc32c_intel 2>/dev/null || modprobe crc32c_generic 2>/dev/null
for m in $MODULES; do
	modprobe "$m" || echo "busybox-init: modprobe $m failed"
done

# Wait for the LUKS partition by UUID (no udev: ask blkid, 10 ms apart, 30 s at most).
i=0
while ! dev=$(findfs "UUID=$LUKS_UUID" 2>/dev/null); do
	i=$((i + 1))
	[ $i -gt 3000 ] && die "no device with UUID $LUKS_UUID"
	usleep 10000
done

DM_DISABLE_UDEV=1 cryptsetup open --type luks2 --key-file "$KEYFILE" "$dev" "$LUKS_NAME" ||
	die "cryptsetup open $dev"

mount -t btrfs -o "ro,subvol=/$SNAPSHOT" "/dev/mapper/$LUKS_NAME" /newroot || die "mount $SNAPSHOT"
mount -t btrfs -o "rw,subvol=/$HOME_SUBVOL" "/dev/mapper/$LUKS_NAME" /newroot/home || die "mount $HOME_SUBVOL"
mount -t btrfs -o "rw,subvol=/$VAR_SUBVOL" "/dev/mapper/$LUKS_NAME" /newroot/var || die "mount $VAR_SUBVOL"

for d in dev proc sys run; do
	mount --move "/$d" "/newroot/$d" || die "mount --move /$d"
done
exec switch_root /newroot /sbin/init
