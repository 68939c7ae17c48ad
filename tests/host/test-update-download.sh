#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A release's packages from Debian's nginx on 127.0.0.1: a download cut half way continues
# where it stopped (fewer bytes the second time, counted in nginx's log), a stalled link gives
# up, the bandwidth limit holds, a server that ignores ranges starts over, bytes that do not
# match are deleted, the first mirror down (the second serves), a disk too small (nothing
# fetched).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-nginx.sh"
DL=$(dirname "$K")/tests/download-tool
trap 'stop_nginx; cleanup' EXIT INT TERM
for tool in nginx curl python3; do
	command -v $tool >/dev/null || { not_ok "$tool is installed" "make deps"; finish; exit 1; }
done
[ -x "$DL" ] || { not_ok "download-tool is built" "make build/tests/download-tool"; finish; exit 1; }

NGINX_SERVER_EXTRA="limit_rate 1m;"
check "nginx on 127.0.0.1, 1 MiB/s" start_nginx
PORT=$NGINX_PORT
REPO=$T/mirror/stable/2026.12.2
mkdir -p "$REPO" "$T/dl"
head -c 3145728 /dev/urandom >"$REPO/big-1.0-1-x86_64.pkg.tar.zst"
head -c 1572864 /dev/urandom >"$REPO/mid-1.0-1-x86_64.pkg.tar.zst"
head -c 10240 /dev/urandom >"$REPO/small-1.0-1-x86_64.pkg.tar.zst"

# manifest NAME FILE...: a manifest of those files in $T/NAME.json.
manifest() {
	out=$T/$1.json
	shift
	python3 - "$out" "$REPO" "$@" <<'PY'
import hashlib, json, os, sys
out, repo, files = sys.argv[1], sys.argv[2], sys.argv[3:]
pkgs = [{"name": f.split("-")[0], "version": "1.0-1", "file": f, "size": os.path.getsize(os.path.join(repo, f)),
         "sha256": hashlib.sha256(open(os.path.join(repo, f), "rb").read()).hexdigest()} for f in files]
m = {"format": 1, "channel": "stable", "version": "2026.12.2", "serial": 1, "issued": "2026-12-06T00:00:00Z",
     "expires": "2099-01-01T00:00:00Z", "tier": "regular", "rollout": {"percent": 100, "paused": False},
     "repo": {"name": "koompi", "path": "2026.12.2/"}, "packages": pkgs, "revoked": []}
json.dump(m, open(out, "w"))
PY
}
# sent FILE: the bytes nginx sent for FILE, request by request.
sent() { awk -v f="/$1 " 'index($0, f) { print $10 }' "$T/nginx/access.log"; }
same() { cmp -s "$REPO/$1" "$2/$1"; }

manifest big big-1.0-1-x86_64.pkg.tar.zst small-1.0-1-x86_64.pkg.tar.zst

# ---- cut half way, then continued ----
"$DL" 0 "$T/big.json" "$T/dl" "$MIRROR" >"$T/cut.out" 2>"$T/cut.err" &
pid=$!
sleep 1.5
stop_nginx
wait $pid
rc=$?
check "the cut download fails (exit 5)" test "$rc" -eq 5
part=$(stat -c %s "$T/dl/big-1.0-1-x86_64.pkg.tar.zst.part" 2>/dev/null || echo 0)
check "part of it is kept ($part bytes)" test "$part" -gt 0 -a "$part" -lt 3145728
check "nothing has its final name yet" test ! -e "$T/dl/big-1.0-1-x86_64.pkg.tar.zst"
check "nginx again, on the same port" start_nginx "$PORT"
expect_rc "the download continues" 0 "$DL" 0 "$T/big.json" "$T/dl" "$MIRROR"
check "it says what it resumed" grep -qx "fetched=$((3145728 - part + 10240)) resumed=$part" "$T/out"
second=$(sent big-1.0-1-x86_64.pkg.tar.zst | tail -n1)
check "nginx sent only the rest the second time ($second bytes)" test "$second" -eq $((3145728 - part))
check "a partial answer (206)" grep -q '"GET /stable/2026.12.2/big-1.0-1-x86_64.pkg.tar.zst HTTP/1.1" 206' "$T/nginx/access.log"
check "the file is whole and verified" same big-1.0-1-x86_64.pkg.tar.zst "$T/dl"
check "the small one too" same small-1.0-1-x86_64.pkg.tar.zst "$T/dl"
check "no .part is left" sh -c "! ls '$T/dl' | grep -q part"
expect_rc "again: nothing to fetch" 0 "$DL" 0 "$T/big.json" "$T/dl" "$MIRROR"
check "nothing fetched" grep -qx "fetched=0 resumed=0" "$T/out"

# ---- the bandwidth limit ----
manifest mid mid-1.0-1-x86_64.pkg.tar.zst
start=$(date +%s%N)
expect_rc "max_rate 500 KB/s" 0 "$DL" 500000 "$T/mid.json" "$T/dl" "$MIRROR"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "1.5 MiB took at least 2 s at 500 KB/s ($ms ms)" test "$ms" -ge 2000

# ---- a stalled link gives up (3 s), keeping what came ----
rm -f "$T/dl/big-1.0-1-x86_64.pkg.tar.zst"
"$DL" 0 "$T/big.json" "$T/dl" "$MIRROR" >"$T/stall.out" 2>"$T/stall.err" &
pid=$!
sleep 1
kill -STOP "$NGINX_PID"
wait $pid
rc=$?
kill -CONT "$NGINX_PID"
check "a stalled link: exit 5" test "$rc" -eq 5
check "the message says it stalled" grep -qi "too slow\|timed out\|timeout" "$T/stall.err"
check "the part is kept" test -s "$T/dl/big-1.0-1-x86_64.pkg.tar.zst.part"
expect_rc "and continued" 0 "$DL" 0 "$T/big.json" "$T/dl" "$MIRROR"
check "whole" same big-1.0-1-x86_64.pkg.tar.zst "$T/dl"

# ---- a server that ignores ranges: the .part starts over ----
stop_nginx
NGINX_SERVER_EXTRA="max_ranges 0;"
start_nginx "$PORT"
rm -f "$T/dl/big-1.0-1-x86_64.pkg.tar.zst"
head -c 1000 /dev/zero >"$T/dl/big-1.0-1-x86_64.pkg.tar.zst.part"
expect_rc "no ranges: fetched whole" 0 "$DL" 0 "$T/big.json" "$T/dl" "$MIRROR"
check "whole and verified" same big-1.0-1-x86_64.pkg.tar.zst "$T/dl"

# ---- bytes that do not match ----
mkdir -p "$T/dl2"
manifest tampered small-1.0-1-x86_64.pkg.tar.zst
printf 'X' | dd of="$REPO/small-1.0-1-x86_64.pkg.tar.zst" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_rc "a tampered package: exit 6" 6 "$DL" 0 "$T/tampered.json" "$T/dl2" "$MIRROR"
check "the message names the file" grep -q "small-1.0-1-x86_64.pkg.tar.zst does not match its sha256" "$T/err"
check "nothing is left of it" test -z "$(ls "$T/dl2")"

# ---- the first mirror down ----
DOWN=http://127.0.0.1:$(free_port)
mkdir -p "$T/dl3"
expect_rc "the first mirror down: the second serves" 0 "$DL" 0 "$T/mid.json" "$T/dl3" "$DOWN" "$MIRROR"
check "whole" same mid-1.0-1-x86_64.pkg.tar.zst "$T/dl3"
expect_rc "no mirror answers: exit 5" 5 "$DL" 0 "$T/big.json" "$T/dl3" "$DOWN"

# ---- a disk too small: refused before anything is fetched ----
mkdir -p "$T/small"
if mount -t tmpfs -o size=8m tmpfs "$T/small"; then
	MOUNTS="$T/small $MOUNTS"
	lines=$(wc -l <"$T/nginx/access.log")
	expect_rc "too little room: exit 4" 4 "$DL" 0 "$T/big.json" "$T/small" "$MIRROR"
	check "it says how much is needed" grep -q "the release needs 4 MiB more" "$T/err"
	check "nothing fetched" test "$(wc -l <"$T/nginx/access.log")" -eq "$lines" -a -z "$(ls "$T/small")"
else
	not_ok "a small tmpfs"
fi
stop_nginx
finish
