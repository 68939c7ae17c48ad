#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi update apply through koompi-agent: packages built by makepkg, a repository made by
# repo-add, served by Debian's nginx on 127.0.0.1 behind a first mirror that is down, a signed
# manifest naming them; a root on Btrfs with a real pacman. Each bad case leaves no new root and
# says why (a tampered manifest, an expired one, a release not taken now, a tampered package, a
# full disk, the mirror stopped mid-download); the download then resumes where it stopped (fewer
# bytes the second time, counted in nginx's log), the new root holds the packages and the old
# one is untouched; a replayed manifest is refused; the next release upgrades in another root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"
. "$(dirname "$0")/lib-agent.sh"
. "$(dirname "$0")/lib-nginx.sh"
. "$(dirname "$0")/lib-pacman.sh"
R=$(dirname "$K")/koompi-release
trap 'stop_nginx; agent_cleanup; cleanup' EXIT INT TERM

for tool in nginx curl makepkg repo-add pacman fakeroot python3; do
	command -v $tool >/dev/null || { not_ok "$tool is installed" "make deps"; finish; exit 1; }
done
if [ -z "$BUSYBOX" ]; then
	echo "test-update-apply.sh: SKIPPED: no static busybox to run commands in the test roots"
	finish
	exit 0
fi
[ -x "$AGENT" ] && [ -x "$KOOMPI" ] && [ -x "$R" ] || { not_ok "the programs are built" "make all"; finish; exit 1; }

REPO=$T/mirror/stable/2026.12.2
check "packages built by makepkg (as nobody)" build_packages "$REPO" 1.0 pkg-a pkg-b pkg-big:3072
check "a repository made by repo-add" make_repo "$REPO" koompi
make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a root with the host's pacman in it" add_pacman_root @root-current 6.1.0-test
make_esp_dir
boot_state @root-current
expect_rc "entries sync before the updates" 0 "$K" --top "$TOP" --esp "$ESP" --state "$STATE" entries sync
cur_before=$(tree_state "$TOP/@root-current")

mkdir -p "$T/keys" "$T/state"
"$R" keygen -s "$T/release.key" -p "$T/keys/release.pub" >/dev/null
echo 0123456789abcdef0123456789abcdef >"$T/machine-id"
check "nginx on 127.0.0.1" start_nginx
PORT=$NGINX_PORT
DOWN=http://127.0.0.1:$(free_port)
check "a private bus" start_bus
write_agent_conf "[update]" "mirrors = $DOWN $MIRROR" "channel = stable" "keys_dir = $T/keys" \
	"machine_id_file = $T/machine-id" "user = nobody"
# The agent's koompi-boot works on this test's top level and ESP.
start_agent_here() {
	: >"$T/agent.log"
	"$AGENT" --config "$T/agent.conf" --top "$TOP" --esp "$ESP" --state "$STATE" --state-dir "$T/state" \
		>"$T/agent.log" 2>&1 &
	AGENT_PID=$!
	wait_for 100 agent_serving
}
check "the agent starts" start_agent_here

# refused NAME RC WORDS: koompi update apply exits RC, says WORDS, and makes no root.
refused() {
	before=$(roots)
	expect_rc "$1: exit $2" "$2" "$KOOMPI" --json update apply
	check "$1: the error says \"$3\"" json_true "$T/out" "\"$3\" in j[\"error\"]"
	check "$1: no new root" test "$(roots)" = "$before"
}
CACHE=$T/state/update/cache/2026.12.2
sent() { awk -v f="/$1 " 'index($0, f) { print $10 }' "$T/nginx/access.log"; }
BIG=pkg-big-1.0-1-any.pkg.tar.gz

# ---- refusals: nothing downloaded, no root ----
serve 2026.12.2 1
sed -i 's/"percent": 100/"percent": 99/' "$T/mirror/stable/manifest.json"
refused "a tampered manifest" 6 "bad signature"
check "a tampered manifest: nothing downloaded" test ! -e "$CACHE"
serve 2026.12.2 2 'issued="2026-11-01T00:00:00Z"' 'expires="2026-11-15T00:00:00Z"'
refused "an expired manifest" 6 "expired: the manifest expired at 2026-11-15T00:00:00Z"
serve 2026.12.2 3 'rollout={"percent": 0, "paused": false}'
refused "a release not taken now" 3 "is not taken now: waiting: this machine is in bucket"
expect_rc "a student may not apply (exit 3)" 3 as_nobody "$KOOMPI" update apply
check "the refusal names the admin group" grep -q "not allowed: needs the koompi-admin group" "$T/err"

# ---- a tampered package: refused once downloaded, deleted ----
cp "$REPO/pkg-b-1.0-1-any.pkg.tar.gz" "$T/pkg-b.good"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[100]^=1; open(p,"wb").write(b)' \
	"$REPO/pkg-b-1.0-1-any.pkg.tar.gz"
serve 2026.12.2 4
cp "$T/pkg-b.good" "$T/pkg-b.keep"
python3 - "$T/mirror/stable/manifest.json" "$T/pkg-b.good" <<'PY'
import hashlib, json, sys
m = json.load(open(sys.argv[1]))
good = open(sys.argv[2], "rb").read()
for p in m["packages"]:
    if p["file"].startswith("pkg-b-"):
        p["sha256"] = hashlib.sha256(good).hexdigest()
open(sys.argv[1], "w").write(json.dumps(m, indent=1) + "\n")
PY
"$R" -m "$T/mirror/stable/manifest.json" -s "$T/release.key" sign >/dev/null
refused "a tampered package" 6 "pkg-b-1.0-1-any.pkg.tar.gz"
check "a tampered package: said so" json_true "$T/out" '"SHA-256" in j["error"] or "sha256" in j["error"]'
check "a tampered package: its bytes are deleted" test ! -e "$CACHE/pkg-b-1.0-1-any.pkg.tar.zst" -a ! -e "$CACHE/pkg-b-1.0-1-any.pkg.tar.gz"
cp "$T/pkg-b.keep" "$REPO/pkg-b-1.0-1-any.pkg.tar.gz"

# ---- a full disk: the cache on a small filesystem ----
serve 2026.12.2 5
mkdir -p "$T/state/update/cache"
mount -t tmpfs -o size=2m tmpfs "$T/state/update/cache" && MOUNTS="$T/state/update/cache $MOUNTS"
refused "a full disk" 4 "MiB free, the release needs"
check "a full disk: nothing of the big package fetched" test -z "$(sent "$BIG")"
umount "$T/state/update/cache"

# ---- the mirror stopped mid-download, then started again ----
stop_nginx
NGINX_SERVER_EXTRA="limit_rate 512k;"
check "nginx again, 512 KiB/s" start_nginx "$PORT"
part=$CACHE/$BIG.part
part_started() { [ "$(stat -c %s "$part" 2>/dev/null || echo 0)" -gt 300000 ]; }
"$KOOMPI" --json update apply >"$T/cut.out" 2>"$T/cut.err" &
apply_pid=$!
check "the download of the big package is under way" wait_for 200 part_started
stop_nginx
wait $apply_pid
rc=$?
check "the cut download fails (exit 5)" test "$rc" -eq 5
check "the cut: said so" json_true "$T/cut.out" '"error" in j and not j["refused"]'
check "the cut: no new root" test "$(roots)" = "@root-current"
have=$(stat -c %s "$part" 2>/dev/null || echo 0)
size=$(stat -c %s "$REPO/$BIG")
check "part of it is kept ($have of $size bytes)" test "$have" -gt 0 -a "$have" -lt "$size"
check "the progress was shown, a line per file" grep -q "^downloading $BIG" "$T/cut.err"
NGINX_SERVER_EXTRA=""
check "nginx again, on the same port" start_nginx "$PORT"
expect_rc "the release is applied (exit 0)" 0 "$KOOMPI" --json update apply
cp "$T/out" "$T/applied.json"
second=$(sent "$BIG" | tail -n1)
check "nginx sent only the rest the second time ($second bytes)" test "$second" -eq $((size - have))
check "the answer says what was resumed" json_true "$T/applied.json" "j['resumed'] >= $have and j['version'] == '2026.12.2'"
new=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$T/applied.json")
check "the second mirror served: the first is down" grep -q "GET /stable/2026.12.2/$BIG" "$T/nginx/access.log"

# ---- what the new root holds, and the old one ----
check "one new root ($new)" test "$(nroots)" -eq 2 -a -d "$TOP/$new"
check "pacman -Q in the new root: the release's packages" \
	test "$(root_pacman "$new" -Q | tr '\n' ' ')" = "pkg-a 1.0-1 pkg-b 1.0-1 pkg-big 1.0-1 "
check "the new root's database is inside the root" test -d "$TOP/$new/usr/lib/pacman/db/local/pkg-a-1.0-1"
check "... not at pacman's default place, which @var hides on a booted machine" \
	test -z "$(chroot "$TOP/$new" /usr/bin/pacman -Q 2>/dev/null)"
check "their files are there" test "$(cat "$TOP/$new/usr/share/pkg-a/version")" = "pkg-a 1.0"
check "the new root is read-only" is_ro "$new"
check "the new root boots next" test "$(next_boot)" = "$new"
check "the new root keeps no copy of the cache nor its mount point" \
	test ! -e "$TOP/$new/tmp/koompi-update-cache" -a -z "$(find "$TOP/$new" -name "$BIG")"
check "@root-current is untouched" test "$cur_before" = "$(tree_state "$TOP/@root-current")"
check "@root-current is still read-only" is_ro @root-current
check "pacman -Q in @root-current: nothing" test -z "$(root_pacman @root-current -Q 2>/dev/null)"
check "pacman -Q in @root-current at pacman's default place: nothing" \
	test -z "$(chroot "$TOP/@root-current" /usr/bin/pacman -Q 2>/dev/null)"
check "@root-current has no database inside it" test ! -e "$TOP/@root-current/usr/lib/pacman/db"
check "the cache is removed once applied" test ! -e "$CACHE"
check "the release is kept as this machine's" grep -qx "2026.12.2" "$T/state/update/current"
check "and the root it is in, by the root's own record" grep -qx "2026.12.2" "$TOP/$new/etc/koompi/release"
check "no second record of it in the state folder" test ! -e "$T/state/update/roots"
check "the verified manifest is kept in the root it made" \
	cmp "$TOP/$new/usr/lib/koompi/release/manifest.json" "$T/mirror/stable/manifest.json"
check "with its signature, which still verifies" sh -c "cmp '$TOP/$new/usr/lib/koompi/release/manifest.json.minisig' \
	'$T/mirror/stable/manifest.json.minisig' && minisign -V -q -m '$TOP/$new/usr/lib/koompi/release/manifest.json' -p '$T/keys/release.pub'"
check "the agent logged each file" grep -q "update apply: fetching $BIG" "$T/agent.log"
check "taken and applied are kept as outcomes" \
	sh -c "grep -q '\"version\":\"2026.12.2\",\"outcome\":\"taken\"' '$T/state/update/outcomes' &&
		grep -q '\"version\":\"2026.12.2\",\"outcome\":\"applied\"' '$T/state/update/outcomes'"
expect_rc "applied again: up to date (exit 0)" 0 "$KOOMPI" update apply
check "up to date: said so" grep -q "^Up to date: *2026.12.2" "$T/out"

# ---- a replayed older manifest ----
serve 2026.12.2 4
refused "a replayed manifest" 6 "replayed or older manifest: serial 4 is not newer than 5"

# ---- the next release: an upgrade, in another root ----
REPO=$T/mirror/stable/2026.12.3
mkdir -p "$REPO"
cp "$T/mirror/stable/2026.12.2/pkg-b-1.0-1-any.pkg.tar.gz" "$T/mirror/stable/2026.12.2/$BIG" "$REPO/"
check "pkg-a 2.0 built" build_packages "$REPO" 2.0 pkg-a
check "its repository" make_repo "$REPO" koompi
serve 2026.12.3 6
boot_state "$new"
expect_rc "koompi update apply (text)" 0 "$KOOMPI" update apply
check "text: the new root and when it starts" sh -c "grep -q '^Applied: *2026.12.3 in the new root @root-' '$T/out' && grep -q '^Next start: *the machine starts @root-.* next time' '$T/out'"
newer=$(sed -n 's/^Applied: *2026.12.3 in the new root \(@root-[^ ]*\)$/\1/p' "$T/out")
check "pacman -Q in $newer: pkg-a upgraded" test "$(root_pacman "$newer" -Q pkg-a)" = "pkg-a 2.0-1"
check "$new still holds pkg-a 1.0" test "$(root_pacman "$new" -Q pkg-a)" = "pkg-a 1.0-1"
check "each root keeps its own release's manifest" sh -c "grep -q '\"version\": \"2026.12.3\"' '$TOP/$newer/usr/lib/koompi/release/manifest.json' &&
	grep -q '\"version\": \"2026.12.2\"' '$TOP/$new/usr/lib/koompi/release/manifest.json'"
stop_agent
finish
