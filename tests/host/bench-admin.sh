#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figures of koompi-boot with 100 roots on a real Btrfs in a loop file (as root):
#   - `koompi-boot status` latency, median of 20 runs (target: under 20 ms);
#   - the update transaction's own cost, apart from its command and the initramfs build, with
#     `update --run true` (target: under 1 s): once with roots that carry no kernel
#     (--kernel/--initrd given, one kernel for all), once with roots that each carry a kernel
#     and an initramfs of realistic size (entries sync then reads every root's pair).
# Usage: sh tests/host/bench-admin.sh [--json] [--quick] [KOOMPI_BOOT]
#   --json   also print the figures as one JSON object (seconds), last line of the output
#   --quick  skip the roots carrying kernels
set -u
json=false
quick=false
bin=build/koompi-boot
for a in "$@"; do
	case $a in
	--json) json=true ;;
	--quick) quick=true ;;
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

# make_roots WITH_KERNEL: a fresh top level with N read-only roots (@root-current, then dated
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
	if [ "$1" = yes ]; then
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

echo "bench-admin: $N roots on a loop Btrfs, the ESP a directory; $(nproc) CPUs, $(uname -r)"
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
up_k_tx=null
up_k_wall=null
if ! $quick; then
	make_roots yes || { echo "bench-admin: making the roots failed" >&2; exit 1; }
	set -- $(update_cost 3) || exit 1
	up_k_tx=$1
	up_k_wall=$2
	echo "update --run true, $N roots each carrying a 12 MiB kernel and a 30 MiB image:" \
		"transaction median $1 s of 3 (wall $2 s, with the initramfs build)"
fi
if $json; then
	python3 -c 'import json,sys; a=sys.argv[1:]; f=lambda x: None if x=="null" else float(x)
print(json.dumps({"roots": 100, "status_100_roots_s": f(a[0])/1000, "status_json_100_roots_s": f(a[1])/1000,
  "update_transaction_100_roots_s": f(a[2]), "update_wall_100_roots_s": f(a[3]),
  "update_transaction_100_kernel_roots_s": f(a[4]), "update_wall_100_kernel_roots_s": f(a[5])}))' \
		"$st_med" "$stj_med" "$up_tx" "$up_wall" "$up_k_tx" "$up_k_wall"
fi
