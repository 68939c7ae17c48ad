#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the throwaway VM that builds the encrypted test disk (qemu/disk.py).
#
# The disk (/dev/vda) comes with a GPT of one partition. This formats the
# partition as LUKS2 (passphrase in keyslot 0, key file in keyslot 1), makes a
# Btrfs file system in it and lays out the subvolumes of a KOOMPI OS install:
#   @root-2024-12-01, @root-current   read-only snapshots of a small root whose
#                                     /sbin/init is the test-root init
#   $ROOT_NEW (optional)              a third, newest such snapshot whose init
#                                     reboots (/etc/testroot-action): an update
#                                     that fails before it is marked good
#   $EXTRA_ROOT (optional)            the newest, read-only: a whole root tree
#                                     copied from the file system on $EXTRA_ROOT_DEV
#   @home, @var                       writable
# With STATUS_TOOL=1 the small roots also carry /usr/bin/koompi-boot, the
# libraries in $STATUS_LIBS, and /etc/testroot-run (run by the test-root init).
# It ends with the line "KOOMPI-BUILDER: OK ..." or "KOOMPI-BUILDER: FAILED: ..."
# and powers off. Parameters come from /builder.env.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "koompi-builder: $*"; }
die() {
	echo "KOOMPI-BUILDER: FAILED: $*"
	sync
	poweroff -f
	exit 1
}
run() {
	say "+ $*"
	"$@" || die "$* (status $?)"
}

mkdir -p /proc /sys /dev /run /tmp /mnt
mount -t proc proc /proc
mount -t sysfs sysfs /sys
grep -q "^[^ ]* /dev devtmpfs" /proc/mounts || mount -t devtmpfs devtmpfs /dev
mkdir -p /run/cryptsetup

[ -r /builder.env ] || die "no /builder.env in the image"
. /builder.env
for v in LUKS_UUID FS_UUID PASSPHRASE DISK PART SNAPSHOT_OLD SNAPSHOT_CURRENT PBKDF_ARGS; do
	eval "[ -n \"\${$v}\" ]" || die "$v is not set in /builder.env"
done

say "kernel $(uname -r), $(cat /proc/uptime | cut -d' ' -f1) s since boot"
# crc32c first: btrfs needs it through a soft dependency that busybox modprobe does not follow.
for m in crc32c_generic virtio_pci virtio_blk dm_crypt btrfs ecb xts algif_skcipher; do
	modprobe "$m" || die "modprobe $m"
done
if [ -n "${EXTRA_ROOT:-}" ]; then
	modprobe ext4 || die "modprobe ext4"
fi
# Faster AES when the CPU has it; not required.
modprobe aesni_intel 2>/dev/null || true

i=0
while [ ! -b "$PART" ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && die "$PART did not appear"
	sleep 0.1
done

# shellcheck disable=SC2086
printf '%s' "$PASSPHRASE" | run cryptsetup luksFormat --batch-mode --type luks2 \
	--uuid "$LUKS_UUID" --label koompi-root $PBKDF_ARGS --key-slot 0 --key-file - "$PART"
# shellcheck disable=SC2086
printf '%s' "$PASSPHRASE" | run cryptsetup luksAddKey --batch-mode $PBKDF_ARGS \
	--key-slot 1 --key-file - "$PART" /keyfile
run cryptsetup open --key-file /keyfile "$PART" koompi-build
# shellcheck disable=SC2086
run mkfs.btrfs -q -f ${MKFS_ARGS:-} -U "$FS_UUID" -L koompi /dev/mapper/koompi-build
run mount -t btrfs /dev/mapper/koompi-build /mnt

# The root, built once and snapshotted read-only under two names, with a file
# that tells the snapshots apart.
R=/mnt/@root-build
run btrfs subvolume create "$R"
for d in bin sbin etc proc sys dev run home var tmp root usr/bin usr/lib mnt; do
	mkdir -p "$R/$d"
done
chmod 1777 "$R/tmp"
chmod 0700 "$R/root"
run cp /testroot/sbin/init "$R/sbin/init"
chmod 0755 "$R/sbin/init"
# A shell in the root, for interactive runs (testroot.action=shell).
if [ -x /bin/busybox ]; then
	cp /bin/busybox "$R/bin/busybox"
	for a in sh ls cat mount umount ps dmesg poweroff reboot uname df grep tr mkdir sed; do
		ln -s busybox "$R/bin/$a"
	done
fi
# koompi-boot and its libraries, for /etc/testroot-run to report what it says.
if [ "${STATUS_TOOL:-0}" = 1 ]; then
	run cp /usr/bin/koompi-boot "$R/usr/bin/koompi-boot"
	for lib in $STATUS_LIBS; do
		[ -e "$lib" ] || die "$lib (a library of koompi-boot) is not in the builder's image"
		mkdir -p "$R${lib%/*}"
		run cp -L "$lib" "$R$lib"
	done
	run cp /testroot/etc/testroot-run "$R/etc/testroot-run"
	chmod 0755 "$R/etc/testroot-run"
fi
echo "koompi-test" >"$R/etc/hostname"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"

snapshot() { # NAME BUILD_ID
	cat >"$R/etc/os-release" <<-EOF
	NAME="KOOMPI OS"
	PRETTY_NAME="KOOMPI OS (test root $1)"
	ID=koompi
	ID_LIKE=arch
	BUILD_ID=$2
	EOF
	echo "$1" >"$R/etc/koompi-root-name"
	sync
	run btrfs subvolume snapshot -r "$R" "/mnt/$1"
}
snapshot "$SNAPSHOT_OLD" "${SNAPSHOT_OLD#@root-}"
snapshot "$SNAPSHOT_CURRENT" current
if [ -n "${ROOT_NEW:-}" ]; then
	# Created last, so its generation (otransid) is the highest of the small roots.
	echo reboot >"$R/etc/testroot-action"
	snapshot "$ROOT_NEW" "${ROOT_NEW#@root-}"
	rm -f "$R/etc/testroot-action"
fi
run btrfs subvolume delete "$R"

if [ -n "${EXTRA_ROOT:-}" ]; then
	i=0
	while [ ! -b "$EXTRA_ROOT_DEV" ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && die "$EXTRA_ROOT_DEV did not appear"
		sleep 0.1
	done
	mkdir -p /src
	run mount -t ext4 -o ro "$EXTRA_ROOT_DEV" /src
	run btrfs subvolume create "/mnt/$EXTRA_ROOT"
	say "copying $EXTRA_ROOT_DEV ($(busybox du -sm /src | cut -f1) MiB) to $EXTRA_ROOT"
	run cp -a /src/. "/mnt/$EXTRA_ROOT/"
	rm -rf "/mnt/$EXTRA_ROOT/lost+found"
	echo "$EXTRA_ROOT" >"/mnt/$EXTRA_ROOT/etc/koompi-root-name"
	run umount /src
	sync
	run btrfs property set -ts "/mnt/$EXTRA_ROOT" ro true
fi

run btrfs subvolume create /mnt/@home
echo "koompi-home" >/mnt/@home/koompi-home-marker
mkdir -p /mnt/@home/koompi
run btrfs subvolume create /mnt/@var
mkdir -p /mnt/@var/lib /mnt/@var/log /mnt/@var/cache /mnt/@var/tmp
echo "koompi-var" >/mnt/@var/koompi-var-marker

run btrfs subvolume list /mnt
run btrfs filesystem df /mnt
run umount /mnt
run cryptsetup close koompi-build
cryptsetup luksDump "$PART" | grep -E '^(UUID|Label|Version)|^  [0-9]+: luks2|PBKDF:|Cipher:' | sed 's/^/koompi-builder: /'
sync
echo "KOOMPI-BUILDER: OK luks=$LUKS_UUID fs=$FS_UUID uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
