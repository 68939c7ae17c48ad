#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figures of koompi-boot with 100 roots on a real Btrfs in a loop file (as root):
#   - `koompi-boot status` latency, median of 20 runs (target: under 20 ms);
#   - the update transaction's own cost, apart from its command and the initramfs build, with
#     `update --run true` (target: under 1 s): once with roots that carry no kernel
#     (--kernel/--initrd given, one kernel for all), once with roots that each carry a kernel
#     and an initramfs of realistic size (entries sync then reads every root's pair);
#   - the update's initramfs build, with roots carrying this machine's kernel modules (those of
#     config/boot.conf) and that settings file, built by the koompi-mkinitramfs beside
#     KOOMPI_BOOT: cold (an empty cache: the first build after a kernel upgrade), after the
#     command changed one carried module (the cache holds the rest), and warm (nothing carried
#     changed); the build alone, cold and warm, first.
# Usage: sh tests/host/bench-admin.sh [--json] [--quick] [--image-only] [KOOMPI_BOOT]
#   --json        also print the figures as one JSON object (seconds), last line of the output
#   --quick       skip the roots carrying kernels
#   --image-only  only the initramfs figures
set -u
json=false
quick=false
image_only=false
bin=build/koompi-boot
for a in "$@"; do
	case $a in
	--json) json=true ;;
	--quick) quick=true ;;
	--image-only) image_only=true ;;
	*) bin=$a ;;
	esac
done
cd "$(dirname "$0")/../.." || exit 1
[ -x "$bin" ] || { echo "bench-admin: $bin is not built (make $bin)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench-admin: needs root (loop devices, Btrfs)" >&2; exit 1; }
K=$(readlink -f "$bin")
BUSYBOX=$(command -v busybox)
[ -n "$BUSYBOX" ] && ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || { echo "bench-admin: needs a static busybox" >&2; exit 1; }
N=100
T=$(mktemp -d /tmp/koompi-bench-admin.XXXXXX)
TOP=$T/top
ESP=$T/esp
mounted=""
trap 'for m in $mounted; do umount "$m" 2>/dev/null || umount -l "$m"; done; rm -rf "$T"' EXIT INT TERM

# The kernel whose modules the image roots carry: this machine's (or the first with indexes).
KVER=""
for d in /lib/modules/*/modules.dep; do
	[ -e "$d" ] && KVER=$(basename "$(dirname "$d")") && break
done
MKI=$(dirname "$K")/koompi-mkinitramfs

# image_root DIR: DIR carries the modules config/boot.conf names (taken from an uncompressed
# build), this kernel's indexes, a 12 MiB kernel, config/boot.conf and its initramfs, built into
# $T/cache as an installed system's would be.
image_root() {
	mkdir -p "$T/mods" "$1/usr/lib/modules/$KVER" || return 1
	"$MKI" --kernel "$KVER" --config config/boot.conf --compress none --no-cache --quiet \
		--output "$T/plain.img" 2>/dev/null || return 1
	(cd "$T/mods" && cpio -id --quiet "usr/lib/modules/*" <"$T/plain.img") || return 1
	cp -a "$T/mods/usr/lib/modules/$KVER/kernel" "$1/usr/lib/modules/$KVER/" || return 1
	cp -a /lib/modules/"$KVER"/modules.* "$1/usr/lib/modules/$KVER/" || return 1
	head -c 12582912 /dev/urandom >"$1/usr/lib/modules/$KVER/vmlinuz"
	cp config/boot.conf "$1/etc/koompi/boot.conf"
	rm -rf "$T/cache" "$T/mods" "$T/plain.img"
	KOOMPI_MKINITRAMFS_CACHE=$T/cache "$MKI" --kernel "$KVER" --moddir "$1/usr/lib/modules/$KVER" \
		--config "$1/etc/koompi/boot.conf" --output "$1/usr/lib/modules/$KVER/initramfs-koompi.img" \
		--quiet 2>/dev/null
}

# make_roots no|yes|image: a fresh top level with N read-only roots (@root-current, then dated
# ones, oldest first), a ledger where each booted well once, entries on the ESP.
make_roots() {
	for m in $mounted; do umount "$m"; done
	mounted=""
	rm -rf "$T/top" "$T/esp" "$T/btrfs.img"
	mkdir -p "$TOP" "$ESP/loader"
	truncate -s 4G "$T/btrfs.img"
	mkfs.btrfs -q -f "$T/btrfs.img" >/dev/null 2>&1 && mount -o loop "$T/btrfs.img" "$TOP" || return 1
	mounted=$TOP
	btrfs -q subvolume create "$TOP/@var" >/dev/null && mkdir -p "$TOP/@var/lib/koompi"
	btrfs -q subvolume create "$TOP/@home" >/dev/null
	w=$TOP/base
	btrfs -q subvolume create "$w" >/dev/null
	mkdir -p "$w/bin" "$w/etc/koompi" "$w/usr/bin"
	cp "$BUSYBOX" "$w/bin/busybox" && ln -s busybox "$w/bin/sh" && ln -s busybox "$w/bin/true"
	printf '[modules]\nload =\nhardware =\n[image]\ncompression = none\n' >"$w/etc/koompi/boot.conf"
	if [ "$1" = image ]; then
		image_root "$w" || return 1
	elif [ "$1" = yes ]; then
		# A kernel of 12 MiB and an image of 30 MiB, as linux-lts and a full initramfs are.
		mkdir -p "$w/usr/lib/modules/6.6.0-bench"
		head -c 12582912 /dev/urandom >"$w/usr/lib/modules/6.6.0-bench/vmlinuz"
		head -c 31457280 /dev/urandom >"$w/usr/lib/modules/6.6.0-bench/initramfs-koompi.img"
	fi
	printf 'koompi-boot-ledger 1\n' >"$TOP/@var/lib/koompi/ledger"
	i=1
	while [ $i -le $N ]; do
		if [ $i -eq 1 ]; then name=@root-current; else name=@root-$(date -d "2024-01-01 + $i days" +%F); fi
		btrfs -q subvolume snapshot -r "$w" "$TOP/$name" >/dev/null || return 1
		id=$(echo "${name#@}")
		echo "boot $i $((1700000000 + i * 86400)) koompi-$id.conf $name - good good -" >>"$TOP/@var/lib/koompi/ledger"
		last=$name
		i=$((i + 1))
	done
	btrfs -q subvolume delete "$w" >/dev/null
	printf '{"snapshot":"%s","entry":"koompi-%s.conf","counting":false,"timeline":[]}\n' "$last" "${last#@}" >"$T/boot.json"
	head -c 12582912 /dev/urandom >"$T/vmlinuz"
	head -c 31457280 /dev/urandom >"$T/initrd.img"
	kb entries sync >/dev/null
}

kb() {
	"$K" --top "$TOP" --esp "$ESP" --state "$T/boot.json" --kernel "$T/vmlinuz" --initrd "$T/initrd.img" \
		--options "root=UUID=1234 quiet" "$@"
}

# median_ms RUNS COMMAND...: the median wall time of the command, in ms (python for the clock).
median_ms() {
	python3 - "$@" <<'EOF'
import statistics, subprocess, sys, time
runs = int(sys.argv[1]); cmd = sys.argv[2:]
subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm
t = []
for _ in range(runs):
    s = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t.append((time.perf_counter() - s) * 1000)
print(f"{statistics.median(t):.1f} {min(t):.1f} {max(t):.1f}")
EOF
}

# update_cost RUNS: medians of the transaction (koompi-boot's own figure) and the wall time, s.
update_cost() {
	: >"$T/tx"
	i=0
	while [ $i -lt "$1" ]; do
		s=$(date +%s%N)
		kb update --run true >"$T/up.out" 2>&1 || { cat "$T/up.out" >&2; return 1; }
		e=$(date +%s%N)
		tx=$(sed -n 's/.*transaction \([0-9.]*\) s$/\1/p' "$T/up.out")
		echo "$tx $(((e - s) / 1000000))" >>"$T/tx"
		i=$((i + 1))
	done
	python3 - "$T/tx" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
tx = [float(r[0]) for r in rows]; wall = [int(r[1]) / 1000 for r in rows]
print(f"{statistics.median(tx):.3f} {statistics.median(wall):.3f} {max(tx):.3f}")
EOF
}

# timed OUT COMMAND...: runs the command, its output into OUT; prints its wall time and the CPU
# time (user + system) of it and its children, s. On a shared machine the CPU time is the figure
# that load changes least.
timed() {
	python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
out = open(sys.argv[1], "w")
t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
rc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT).returncode
t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(f"{t1 - t0:.3f} {cpu:.3f}")
sys.exit(rc)
EOF
}

# medians FILE: the median of each column of FILE, with 3 decimals.
medians() {
	python3 - "$1" <<'EOF'
import statistics, sys
rows = [[float(x) for x in l.split()] for l in open(sys.argv[1]) if l.strip()]
print(" ".join(f"{statistics.median(c):.3f}" for c in zip(*rows)))
EOF
}

# image_cost RUNS cold|warm COMMAND: medians of the initramfs build and of the transaction as
# `update` reports them, of the wall time and of the CPU time, s; cold empties the builder's
# cache before each run.
image_cost() {
	: >"$T/tx"
	i=0
	while [ $i -lt "$1" ]; do
		[ "$2" = cold ] && rm -rf "$T/cache"
		t=$(KOOMPI_MKINITRAMFS_CACHE=$T/cache timed "$T/up.out" "$K" --top "$TOP" --esp "$ESP" \
			--state "$T/boot.json" --kernel "$T/vmlinuz" --initrd "$T/initrd.img" \
			--options "root=UUID=1234 quiet" update --run "$3") || { cat "$T/up.out" >&2; return 1; }
		f=$(sed -n 's/.*initramfs \([0-9.]*\) s, transaction \([0-9.]*\) s$/\1 \2/p' "$T/up.out")
		echo "$f $t" >>"$T/tx"
		i=$((i + 1))
	done
	medians "$T/tx"
}

# build_cost RUNS OPTIONS...: medians of the wall and CPU times of the builder alone on
# @root-current, s (one untimed run first).
build_cost() {
	runs=$1
	shift
	m=$TOP/@root-current/usr/lib/modules/$KVER
	: >"$T/bc"
	i=-1
	while [ $i -lt "$runs" ]; do
		t=$(KOOMPI_MKINITRAMFS_CACHE=$T/cache timed "$T/build.out" "$MKI" --kernel "$KVER" --moddir "$m" \
			--config "$TOP/@root-current/etc/koompi/boot.conf" --output "$T/build.img" --quiet "$@") ||
			{ cat "$T/build.out" >&2; return 1; }
		[ $i -ge 0 ] && echo "$t" >>"$T/bc"
		i=$((i + 1))
	done
	medians "$T/bc"
}

# The initramfs figures; their JSON members in $img_json.
image_figures() {
	img_json='"image_kernel": null'
	if [ -z "$KVER" ] || [ ! -x "$MKI" ]; then
		echo "initramfs: skipped (no kernel modules in /lib/modules, or no $MKI)"
		return 0
	fi
	make_roots image || { echo "bench-admin: making the image roots failed" >&2; return 1; }
	set -- $(build_cost 3 --no-cache) || return 1
	b_cold="$1 $2"
	echo "koompi-mkinitramfs $KVER, config/boot.conf, no cache: median $1 s of 3, CPU $2 s"
	set -- $(build_cost 5) || return 1
	b_warm="$1 $2"
	echo "koompi-mkinitramfs, cached host files: median $1 s of 5, CPU $2 s"
	ko=$(cd "$TOP/@root-current" && find "usr/lib/modules/$KVER/kernel" -name '*.ko*' | sort | head -n 1)
	set -- $(image_cost 3 cold true) || return 1
	u_cold="$1 $2 $3 $4"
	echo "update --run true, empty cache: initramfs $1 s, transaction $2 s, wall $3 s, CPU $4 s (medians of 3)"
	set -- $(image_cost 3 warm "printf x >>/$ko") || return 1
	u_changed="$1 $2 $3 $4"
	echo "update changing one carried module: initramfs $1 s, transaction $2 s, wall $3 s, CPU $4 s"
	set -- $(image_cost 3 warm true) || return 1
	u_warm="$1 $2 $3 $4"
	echo "update --run true, nothing carried changed: initramfs $1 s, transaction $2 s, wall $3 s, CPU $4 s"
	img_json=$(python3 -c 'import json,sys; a=sys.argv[1:]; f=[float(x) for x in a[1:]]
names = [f"mkinitramfs_{w}_{k}s" for w in ("cold", "warm") for k in ("", "cpu_")] + [
         f"update_{w}_{k}_s" for w in ("cold", "changed", "warm") for k in ("initramfs", "transaction", "wall", "cpu")]
print(json.dumps({"image_kernel": a[0], **dict(zip(names, f))})[1:-1])' "$KVER" $b_cold $b_warm $u_cold $u_changed $u_warm)
}

echo "bench-admin: $N roots on a loop Btrfs, the ESP a directory; $(nproc) CPUs, $(uname -r)"
st_med=null
stj_med=null
up_tx=null
up_wall=null
up_k_tx=null
up_k_wall=null
if $image_only; then
	image_figures || exit 1
else
	make_roots no || { echo "bench-admin: making the roots failed" >&2; exit 1; }
	set -- $(median_ms 20 "$K" --top "$TOP" --esp "$ESP" --state "$T/boot.json" status)
	st_med=$1
	echo "status, $N roots:           median $1 ms of 20 runs (min $2, max $3); target < 20 ms"
	set -- $(median_ms 20 "$K" --top "$TOP" --esp "$ESP" --state "$T/boot.json" --json status)
	stj_med=$1
	echo "status --json, $N roots:    median $1 ms of 20 runs (min $2, max $3)"
	set -- $(update_cost 5) || exit 1
	up_tx=$1
	up_wall=$2
	echo "update --run true, $N roots, --kernel/--initrd: transaction median $1 s of 5 (wall $2 s, max $3 s); target < 1 s"
	if ! $quick; then
		make_roots yes || { echo "bench-admin: making the roots failed" >&2; exit 1; }
		set -- $(update_cost 3) || exit 1
		up_k_tx=$1
		up_k_wall=$2
		echo "update --run true, $N roots each carrying a 12 MiB kernel and a 30 MiB image:" \
			"transaction median $1 s of 3 (wall $2 s, with the initramfs build)"
		image_figures || exit 1
	fi
fi
if $json; then
	python3 -c 'import json,sys; a=sys.argv[1:]; f=lambda x: None if x=="null" else float(x)
print(json.dumps({"roots": 100, "status_100_roots_s": f(a[0]) and f(a[0])/1000,
  "status_json_100_roots_s": f(a[1]) and f(a[1])/1000,
  "update_transaction_100_roots_s": f(a[2]), "update_wall_100_roots_s": f(a[3]),
  "update_transaction_100_kernel_roots_s": f(a[4]), "update_wall_100_kernel_roots_s": f(a[5]),
  **json.loads("{" + a[6] + "}")}))' \
		"$st_med" "$stj_med" "$up_tx" "$up_wall" "$up_k_tx" "$up_k_wall" "$img_json"
fi
