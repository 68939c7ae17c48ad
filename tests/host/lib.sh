# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the host tests: a real Btrfs filesystem in a loop file with root snapshots, an ESP
# directory, a ledger, and ok/not_ok counting. Sourced; KOOMPI_BOOT is the binary under test.
set -u

: "${KOOMPI_BOOT:?KOOMPI_BOOT must name the koompi-boot binary}"
K=$KOOMPI_BOOT
pass=0
fail=0
T=$(mktemp -d /tmp/koompi-host-test.XXXXXX)
MOUNTS=""

cleanup() {
	for m in $MOUNTS; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$1"; }
not_ok() {
	fail=$((fail + 1))
	printf 'FAIL %s\n' "$1"
	[ $# -gt 1 ] && printf '     %s\n' "$2"
	return 0
}
# check NAME COMMAND...: ok when the command succeeds.
check() {
	name=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then ok "$name"; else not_ok "$name" "$(head -c 600 "$T/check.out")"; fi
}
# expect_rc NAME RC COMMAND...: runs it, output in $T/out and $T/err, ok when it exits RC.
expect_rc() {
	name=$1 want=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else not_ok "$name" "exit $rc, expected $want: $(head -c 600 "$T/err")"; fi
}
finish() {
	printf '%s: %d passed, %d failed\n' "${0##*/}" "$pass" "$fail"
	[ "$fail" -eq 0 ]
}

# A fresh Btrfs top level at $TOP with @var (holding the ledger directory) and the read-only
# roots given as arguments, created in that order (so the last is the newest).
make_top() {
	TOP=$T/top
	mkdir -p "$TOP"
	truncate -s 256M "$T/btrfs.img"
	mkfs.btrfs -q -f "$T/btrfs.img" >/dev/null 2>&1 || return 1
	mount -o loop "$T/btrfs.img" "$TOP" || return 1
	MOUNTS="$TOP $MOUNTS"
	btrfs -q subvolume create "$TOP/@var" >/dev/null || return 1
	mkdir -p "$TOP/@var/lib/koompi"
	for r in "$@"; do
		add_root "$r" || return 1
	done
	LEDGER=$TOP/@var/lib/koompi/ledger
}

# add_root NAME [KVER...]: a read-only root, with a kernel and image under usr/lib/modules for
# each KVER given.
add_root() {
	name=$1
	shift
	btrfs -q subvolume create "$TOP/$name.w" >/dev/null || return 1
	echo "$name" >"$TOP/$name.w/etc-hostname"
	for kver in "$@"; do
		mkdir -p "$TOP/$name.w/usr/lib/modules/$kver"
		echo "kernel $kver of $name" >"$TOP/$name.w/usr/lib/modules/$kver/vmlinuz"
		echo "image $kver of $name" >"$TOP/$name.w/usr/lib/modules/$kver/initramfs-koompi.img"
	done
	btrfs -q subvolume snapshot -r "$TOP/$name.w" "$TOP/$name" >/dev/null || return 1
	btrfs -q subvolume delete "$TOP/$name.w" >/dev/null
}

# A kernel and an initramfs for roots that carry none.
make_kernel() {
	head -c 200000 /dev/urandom >"$T/vmlinuz"
	head -c 300000 /dev/urandom >"$T/initrd.img"
}

# The ESP as a plain directory with loader/.
make_esp_dir() {
	ESP=$T/esp
	mkdir -p "$ESP/loader"
}

# sync [ARGS...]: entries sync with the test kernel and fixed options.
sync_entries() {
	"$K" --top "$TOP" --esp "$ESP" entries sync --kernel "$T/vmlinuz" --initrd "$T/initrd.img" \
		--options "root=UUID=1234 quiet" "$@"
}

# A listing of a tree that changes when any file is added, removed, renamed or rewritten.
tree_state() {
	(cd "$1" && find . -printf '%p %s %i %T@\n' | sort)
}

entries() { (cd "$ESP/loader/entries" && ls); }

# The vfat module is not in every kernel; tests on FAT are skipped without it.
have_vfat() {
	grep -qw vfat /proc/filesystems 2>/dev/null || modprobe vfat 2>/dev/null
	grep -qw vfat /proc/filesystems 2>/dev/null && command -v mkfs.vfat >/dev/null
}

# mount_small_fs DIR SIZE_KIB: a small filesystem at DIR: vfat when the kernel has it (to hit the
# ESP's own behaviour), else tmpfs. Sets SMALL_FS to the type.
mount_small_fs() {
	mkdir -p "$1"
	if have_vfat; then
		truncate -s "${2}K" "$T/small-$2.img"
		mkfs.vfat "$T/small-$2.img" >/dev/null 2>&1 && mount -o loop "$T/small-$2.img" "$1" || return 1
		SMALL_FS=vfat
	else
		mount -t tmpfs -o "size=${2}k" tmpfs "$1" || return 1
		SMALL_FS=tmpfs
	fi
	MOUNTS="$1 $MOUNTS"
}

# A ledger with the given lines after its header.
write_ledger() {
	printf 'koompi-boot-ledger 1\n' >"$LEDGER"
	for line in "$@"; do
		printf '%s\n' "$line" >>"$LEDGER"
	done
}

# json FILE PYTHON-EXPRESSION: evaluates the expression with `j` the parsed JSON of FILE; ok when true.
json_true() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
