#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figures of `koompi update apply` (as root: Btrfs in a loop file, nginx on 127.0.0.1):
#   - bytes and time to apply a release of N small packages, against pacman by hand in a
#     snapshot (btrfs subvolume snapshot, then the host's pacman --root on it, reading the same
#     repository from the disk);
#   - what koompi-boot's transaction costs beyond pacman (its own timing line);
#   - resume: the bytes fetched again after a download cut at half of a package;
#   - the agent's peak memory (itself and its download child) while downloading a package of
#     BIG_MIB MiB;
#   - koompi install of one optional package of the running release (OPT_MIB MiB) from its
#     pinned copy, against the same by hand (curl, then koompi-boot update --run pacman -S), and
#     the peak memory of the agent and of the processes it started meanwhile.
# Usage: sh tests/host/bench-update-apply.sh [KOOMPI_BOOT]   (N=10 BIG_MIB=100 by default)
set -u
bin=${1:-build/koompi-boot}
N=${N:-10}
BIG_MIB=${BIG_MIB:-100}
OPT_MIB=${OPT_MIB:-10}
cd "$(dirname "$0")/../.." || exit 1
. tests/host/lib-bench.sh
bench_begin bench-update-apply "$bin"
. tests/host/lib.sh
. tests/host/lib-roots.sh
. tests/host/lib-agent.sh
. tests/host/lib-nginx.sh
. tests/host/lib-pacman.sh
. tests/host/lib-update.sh
[ -n "$BUSYBOX" ] || { echo "bench-update-apply: needs a static busybox" >&2; exit 1; }
now_ms() { date +%s%3N; }
die() { echo "bench-update-apply: $*" >&2; tail -n 20 "$T/agent.log" >&2 2>/dev/null; exit 1; }

# serve VERSION SERIAL: the signed manifest of the files in the release's folder.
serve() {
	python3 - "$T/mirror/stable" "$1" "$2" <<'PY'
import hashlib, json, os, sys
top, version, serial = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = os.path.join(top, version)
files = sorted(f for f in os.listdir(d) if f.endswith(".pkg.tar.gz")) + ["koompi.db"]
def entry(f):
    h, n = hashlib.sha256(), 0
    with open(os.path.join(d, f), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            n += len(chunk)
    return {"name": f[:-3] if f == "koompi.db" else f.rsplit("-", 3)[0], "version": "1", "file": f, "size": n,
            "sha256": h.hexdigest()}
m = {"format": 1, "channel": "stable", "version": version, "serial": serial,
     "issued": "2026-12-06T00:00:00Z", "expires": "2099-01-01T00:00:00Z", "tier": "security",
     "rollout": {"percent": 100, "paused": False}, "repo": {"name": "koompi", "path": version + "/"},
     "packages": [entry(f) for f in files], "revoked": []}
json.dump(m, open(os.path.join(top, "manifest.json"), "w"))
PY
	sign_manifest
}
release_bytes() { du -cb "$T/mirror/stable/$1"/*.pkg.tar.gz "$T/mirror/stable/$1/koompi.db.tar.gz" | tail -n1 | cut -f1; }

# ---- the world: a bigger Btrfs, a root with pacman, nginx, the agent ----
make_top || die "no Btrfs top level"
truncate -s 2G "$T/btrfs.img"
losetup -c "$(findmnt -no SOURCE "$TOP")" && btrfs -q filesystem resize max "$TOP" >/dev/null || die "resize"
add_pacman_root @root-current 6.1.0-test || die "no pacman root"
# The image's pacman.conf names the release's repository: koompi install's plan reads it.
btrfs property set -ts "$TOP/@root-current" ro false
printf '[options]\nArchitecture = auto\nSigLevel = Never\n[koompi]\nServer = file:///nowhere\n' \
	>"$TOP/@root-current/etc/pacman.conf"
btrfs property set -ts "$TOP/@root-current" ro true
make_esp_dir
boot_state @root-current
"$K" --top "$TOP" --esp "$ESP" --state "$STATE" entries sync >/dev/null || die "entries sync"
make_release_keys || die "no release key"
start_nginx || die "nginx"
PORT=$NGINX_PORT
start_bus || die "bus"
write_agent_conf "[update]" "mirrors = $MIRROR" "channel = stable" "keys_dir = $T/keys" \
	"machine_id_file = $T/machine-id" "user = nobody"
start_agent "$T/agent.conf" "$STATE" || die "the agent did not start"
echo "bench-update-apply: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPUs"

# ---- N small packages: koompi update apply, then pacman by hand ----
names=""
i=1
while [ "$i" -le "$N" ]; do
	names="$names $(printf 'pkg-%02d:16' "$i")"
	i=$((i + 1))
done
# shellcheck disable=SC2086
build_packages "$T/mirror/stable/r1" 1.0 $names || die "makepkg"
make_repo "$T/mirror/stable/r1" koompi || die "repo-add"
serve r1 1
t0=$(now_ms)
"$KOOMPI" --json update apply >"$T/r1.json" 2>/dev/null || die "apply r1: $(cat "$T/r1.json")"
t_apply=$(($(now_ms) - t0))
fetched=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fetched"])' "$T/r1.json")
new=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$T/r1.json")
took=$(sed -n 's/.*update apply: koompi-boot took //p' "$T/agent.log" | tail -n1)
echo "apply $N packages ($(release_bytes r1) bytes of packages and database): $t_apply ms, $fetched bytes fetched; root $new"
echo "  koompi-boot: $took"
cat >"$T/hand.conf" <<CONF
[options]
Architecture = auto
SigLevel = Never
[koompi]
SigLevel = Never
Server = file://$T/mirror/stable/r1
CONF
t0=$(now_ms)
btrfs -q subvolume snapshot "$TOP/@root-current" "$TOP/@hand" >/dev/null &&
	pacman --root "$TOP/@hand" --dbpath "$TOP/@hand/var/lib/pacman" --cachedir "$T/hand-cache" \
		--config "$T/hand.conf" -Syu --noconfirm --needed -- $(echo "$names" | sed 's/:16//g') >/dev/null 2>&1 ||
	die "pacman by hand"
t_hand=$(($(now_ms) - t0))
echo "pacman by hand in a snapshot (no network, no initramfs, no entry, no check): $t_hand ms"

# ---- resume: a package cut at half ----
build_packages "$T/mirror/stable/r2" 1.0 pkg-half:20480 || die "makepkg"
make_repo "$T/mirror/stable/r2" koompi || die "repo-add"
serve r2 2
half=$T/state/update/cache/r2/$(cd "$T/mirror/stable/r2" && ls pkg-half-*.pkg.tar.gz)
size=$(stat -c %s "$T/mirror/stable/r2/$(basename "$half")")
stop_nginx
NGINX_SERVER_EXTRA="limit_rate 4m;"
start_nginx "$PORT" || die "nginx"
at_half() { [ "$(stat -c %s "$half.part" 2>/dev/null || echo 0)" -ge $((size / 2)) ]; }
"$KOOMPI" --json update apply >/dev/null 2>&1 &
apid=$!
wait_for 300 at_half || die "the download did not reach half"
stop_nginx
wait $apid
have=$(stat -c %s "$half.part")
NGINX_SERVER_EXTRA=""
start_nginx "$PORT" || die "nginx"
"$KOOMPI" --json update apply >"$T/r2.json" 2>/dev/null || die "apply r2: $(cat "$T/r2.json")"
second=$(awk -v f="/$(basename "$half") " 'index($0, f) { print $10 }' "$T/nginx/access.log" | tail -n1)
echo "resume after a cut at $((have * 100 / size)) % of $size bytes: $second bytes fetched the second time," \
	"$((second - (size - have))) beyond the missing ones"

# ---- peak memory while downloading BIG_MIB MiB ----
build_packages "$T/mirror/stable/r3" 1.0 "pkg-big:$((BIG_MIB * 1024))" || die "makepkg"
make_repo "$T/mirror/stable/r3" koompi || die "repo-add"
serve r3 3
stop_nginx
NGINX_SERVER_EXTRA="limit_rate 20m;"
start_nginx "$PORT" || die "nginx"
"$KOOMPI" --json update apply >"$T/r3.json" 2>/dev/null &
apid=$!
peak_agent=0 peak_child=0
while kill -0 "$apid" 2>/dev/null; do
	a=$(awk '/^VmHWM:/ {print $2}' "/proc/$AGENT_PID/status")
	[ "${a:-0}" -gt "$peak_agent" ] && peak_agent=$a
	for c in $(cat "/proc/$AGENT_PID/task/$AGENT_PID/children" 2>/dev/null); do
		v=$(awk '/^VmHWM:/ {print $2}' "/proc/$c/status" 2>/dev/null)
		[ "${v:-0}" -gt "$peak_child" ] && [ "$(cat "/proc/$c/comm" 2>/dev/null)" = koompi-agent ] && peak_child=$v
	done
	sleep 0.05
done
wait $apid || die "apply r3: $(cat "$T/r3.json")"
echo "peak memory downloading $BIG_MIB MiB: agent $peak_agent KiB, its download child $peak_child KiB (VmHWM)"

# ---- koompi install from the running release's pinned copy, against by hand ----
# peaks PID: the largest VmHWM of PID and of its children and theirs, in KiB, added to
# peak_agent (PID's own) and peak_kids (the largest of the others).
peaks() {
	a=$(awk '/^VmHWM:/ {print $2}' "/proc/$1/status")
	[ "${a:-0}" -gt "$peak_agent" ] && peak_agent=$a
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		for g in "$c" $(cat /proc/"$c"/task/*/children 2>/dev/null); do
			v=$(awk '/^VmHWM:/ {print $2}' "/proc/$g/status" 2>/dev/null)
			[ "${v:-0}" -gt "$peak_kids" ] && peak_kids=$v
		done
	done
}
build_packages "$T/mirror/stable/r4" 1.0 pkg-base:16 "pkg-opt:$((OPT_MIB * 1024))" || die "makepkg"
make_repo "$T/mirror/stable/r4" koompi || die "repo-add"
serve r4 4
"$R" -m "$T/mirror/stable/manifest.json" -s "$T/release.key" optional pkg-opt >/dev/null || die "optional"
stop_nginx
start_nginx "$PORT" || die "nginx"
"$KOOMPI" --json update apply >"$T/r4.json" 2>/dev/null || die "apply r4: $(cat "$T/r4.json")"
r4=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$T/r4.json")
stop_agent
boot_state "$r4"
write_agent_conf "[update]" "mirrors = $MIRROR" "channel = stable" "keys_dir = $T/keys" \
	"machine_id_file = $T/machine-id" "user = nobody" "[packages]" "workers_dir = $(dirname "$K")" \
	"pacman_root = $TOP/$r4" "flatpak = no" "appimage = no" "order = pacman"
start_agent "$T/agent.conf" "$STATE" || die "the agent did not start on $r4"
t0=$(now_ms)
"$KOOMPI" install pkg-opt >"$T/install.out" 2>&1 &
ipid=$!
peak_agent=0 peak_kids=0
while kill -0 "$ipid" 2>/dev/null; do
	peaks "$AGENT_PID"
	sleep 0.05
done
wait $ipid || die "koompi install: $(cat "$T/install.out")"
t_install=$(($(now_ms) - t0))
opt=$(cd "$T/mirror/stable/r4" && ls pkg-opt-*.pkg.tar.gz)
mkdir -p "$T/hand-pin"
printf '[options]\nArchitecture = auto\nCacheDir = /tmp/koompi-update-cache/\nSigLevel = Never\n[koompi]\nServer = file:///tmp/koompi-update-cache\n' \
	>"$T/hand-pin/pacman.conf"
t0=$(now_ms)
curl -s -o "$T/hand-pin/$opt" "$MIRROR/stable/r4/$opt" &&
	"$K" --top "$TOP" --esp "$ESP" --state "$STATE" update --run \
		'pacman --dbpath /usr/lib/pacman/db --config /tmp/koompi-update-cache/pacman.conf -S --needed --noconfirm pkg-opt' \
		--pacman-cache "$T/hand-pin" >/dev/null 2>&1 || die "the install by hand"
t_by_hand=$(($(now_ms) - t0))
echo "koompi install of one $OPT_MIB MiB package from the release's pinned copy: $t_install ms;" \
	"by hand (curl, then koompi-boot update --run pacman -S): $t_by_hand ms"
echo "  peak memory meanwhile: agent $peak_agent KiB, the largest process it started $peak_kids KiB (VmHWM)"
stop_agent
