#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi install of a repository package from the pinned, verified copy of the release the
# booted root was made from: a release (makepkg, repo-add, nginx on 127.0.0.1, signed by
# koompi-release) with an optional package, applied by koompi update apply without it; then,
# booted into that root, koompi install of it downloads only its file, as the update does,
# and makes a new root that has it, the booted one as it was. A name the release lacks, a
# tampered file on the mirror, a full disk and a mirror that dies mid-download each leave no
# root and no cache, and say what failed. The next release carries the package.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"
. "$(dirname "$0")/lib-agent.sh"
. "$(dirname "$0")/lib-nginx.sh"
. "$(dirname "$0")/lib-pacman.sh"
. "$(dirname "$0")/lib-figures.sh"
. "$(dirname "$0")/lib-update.sh"

if [ -z "$BUSYBOX" ]; then
	echo "test-packages-pinned.sh: SKIPPED: no static busybox to run commands in the test roots"
	finish
	exit 0
fi
require_update_tools nginx curl makepkg repo-add pacman fakeroot python3 minisign
[ -x "$(dirname "$K")/koompi-pkg-pacman" ] || { not_ok "koompi-pkg-pacman is built" "make all"; finish; exit 1; }

# ---- a release: pkg-a for every machine, opt-app (which needs opt-lib) and opt-lib optional,
# stray not in its manifest (but in its database), needs-stray needing it ----
REPO=$T/mirror/stable/2026.12.2
OPT=opt-app-1.0-1-any.pkg.tar.gz
check "packages built by makepkg (as nobody)" build_packages "$REPO" 1.0 pkg-a opt-app:3072:opt-lib opt-lib stray \
	needs-stray:0:stray
check "a repository made by repo-add" make_repo "$REPO" koompi
start_update_world
serve 2026.12.2 1
python3 - "$T/mirror/stable/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["packages"] = [p for p in m["packages"] if p["name"] != "stray"]
open(sys.argv[1], "w").write(json.dumps(m, indent=1) + "\n")
PY
sign_manifest
for o in opt-app opt-lib needs-stray; do
	expect_rc "koompi-release marks $o optional" 0 "$R" -m "$T/mirror/stable/manifest.json" -s "$T/release.key" optional $o
done

make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a root with the host's pacman in it" add_pacman_root @root-current 6.1.0-test
# The image's pacman.conf names the release's repository, as koompi-pkg-pacman reads it.
btrfs property set -ts "$TOP/@root-current" ro false
printf '[options]\nArchitecture = auto\nSigLevel = Never\n[koompi]\nServer = %s/stable/2026.12.2\n' "$MIRROR" \
	>"$TOP/@root-current/etc/pacman.conf"
btrfs property set -ts "$TOP/@root-current" ro true
make_esp_dir
boot_state @root-current
expect_rc "entries sync" 0 kb entries sync
conf() {
	write_agent_conf "[update]" "mirrors = $MIRROR" "channel = stable" "keys_dir = $T/keys" \
		"machine_id_file = $T/machine-id" "user = nobody" \
		"[packages]" "workers_dir = $(dirname "$K")" "pacman_root = $TOP/$1" "flatpak = no" \
		"appimage = no" "order = pacman"
}
conf @root-current
mkdir -p "$T/state"
check "the agent starts" start_agent

# ---- update apply leaves the optional package out ----
expect_rc "koompi update apply" 0 "$KOOMPI" --json update apply
base=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$T/out")
check "pacman -Q in $base: the release's package, not the optional one" \
	test "$(root_pacman "$base" -Q | tr '\n' ' ')" = "pkg-a 1.0-1 "
check "the optional packages were not downloaded" sh -c "! grep -q 'GET /stable/2026.12.2/\(opt-\|needs-\)' '$T/nginx/access.log'"
check "$base keeps the release's manifest" test -s "$TOP/$base/usr/lib/koompi/release/manifest.json"

stop_agent
boot_state "$base"
conf "$base"
check "the agent starts on $base" start_agent
base_before=$(tree_state "$TOP/$base")
CACHE=$T/state/update/install

# refused NAME RC WORDS: koompi install opt-app (or $PKG) exits RC, says WORDS, makes no root
# and leaves no cache.
refused() {
	before=$(roots)
	expect_rc "$1: exit $2" "$2" "$KOOMPI" install "${PKG:-opt-app}"
	check "$1: says \"$3\"" grep -q "$3" "$T/err"
	check "$1: no new root" test "$(roots)" = "$before"
	check "$1: no cache left" test ! -e "$CACHE"
}

expect_rc "koompi info opt-app" 0 "$KOOMPI" info opt-app
check "... says it comes from the release's pinned repository" \
	grep -q "from release 2026.12.2's pinned repository, checked against its signed manifest" "$T/out"
PKG=stray refused "a package the release does not list" 2 "stray is not in release 2026.12.2's repository"
PKG=needs-stray refused "a package needing one the release does not list" 3 \
	"stray (stray-1.0-1-any.pkg.tar.gz) is not in release 2026.12.2's repository: refused"

cp "$REPO/$OPT" "$T/opt.good"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[100]^=1; open(p,"wb").write(b)' "$REPO/$OPT"
refused "a tampered file on the mirror" 5 "$OPT does not match its sha256 in the manifest"
cp "$T/opt.good" "$REPO/$OPT"

mkdir -p "$CACHE"
mount -t tmpfs -o size=1m tmpfs "$CACHE" && MOUNTS="$CACHE $MOUNTS"
before=$(roots)
expect_rc "a full disk: exit 4" 4 "$KOOMPI" install opt-app
check "a full disk: says so" grep -q "MiB free" "$T/err"
check "a full disk: no new root" test "$(roots)" = "$before"
check "a full disk: nothing of the package left" test -z "$(ls -A "$CACHE")"
umount "$CACHE"
rmdir "$CACHE"

stop_nginx
NGINX_SERVER_EXTRA="limit_rate 512k;"
check "nginx again, 512 KiB/s" start_nginx "$NGINX_PORT"
part_started() { [ "$(stat -c %s "$CACHE/$OPT.part" 2>/dev/null || echo 0)" -gt 300000 ]; }
"$KOOMPI" install opt-app >"$T/cut.out" 2>"$T/cut.err" &
pid=$!
check "the download is under way" wait_for 200 part_started
stop_nginx
wait $pid
check "the mirror died: exit 5" test $? -eq 5
check "the mirror died: says the download failed" grep -q "the download failed, nothing changed" "$T/cut.err"
check "the mirror died: no new root" test "$(roots)" = "$before"
check "the mirror died: no cache left" test ! -e "$CACHE"
NGINX_SERVER_EXTRA=""
check "nginx again" start_nginx "$NGINX_PORT"

# ---- the install itself ----
: >"$T/nginx/access.log"
kill -USR1 "$NGINX_PID" 2>/dev/null
expect_rc "koompi install opt-app" 0 timed "koompi install (pinned pacman)" "$KOOMPI" install opt-app
grep '^figure' "$T/err"
hwm=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$AGENT_PID/status")
new=$(newest_root)
check "a new root ($new) that has it, and the dependency pacman found" \
	test "$(root_pacman "$new" -Q | tr '\n' ' ')" = "opt-app 1.0-1 opt-lib 1.0-1 pkg-a 1.0-1 "
check "... boots next" test "$(next_boot)" = "$new"
# The files asked of the mirror, a name a line, sorted and unique: a resumed download asks for
# the rest of the same file again, which is still only that file.
fetched() { sed -n 's|.*"GET /stable/2026.12.2/\([^ ]*\) HTTP.*|\1|p; s|.*"GET \([^ ]*\) HTTP.*|\1|p' "$T/nginx/access.log" | sort -u; }
only_theirs() {
	want=$(printf '%s\n' "$OPT" opt-lib-1.0-1-any.pkg.tar.gz | sort -u)
	[ "$(fetched)" = "$want" ] || { echo "asked of the mirror:"; cat "$T/nginx/access.log"; return 1; }
}
check "only their files were downloaded" only_theirs
check "it was shown" grep -q "pacman: downloading $OPT" "$T/err"
check "$base is as it was" test "$base_before" = "$(tree_state "$TOP/$base")"
check "the cache is removed" test ! -e "$CACHE"
check "pacman.list names it" grep -qx opt-app "$T/state/packages/pacman.list"
check "the new root keeps the same release's manifest" \
	cmp "$TOP/$base/usr/lib/koompi/release/manifest.json" "$TOP/$new/usr/lib/koompi/release/manifest.json"

# ---- by hand, for the figures: the file fetched with curl, then the same transaction ----
mkdir -p "$T/hand"
cp "$TOP/$base/usr/lib/koompi/release/manifest.json" "$T/hand/"
printf '[options]\nArchitecture = auto\nCacheDir = /tmp/koompi-update-cache/\nSigLevel = Never\n[koompi]\nServer = file:///tmp/koompi-update-cache\n' \
	>"$T/hand/pacman.conf"
hand="curl -s -o '$T/hand/$OPT' '$MIRROR/stable/2026.12.2/$OPT' && '$K' --top '$TOP' --esp '$ESP' --state '$STATE' update --run \
	'pacman --dbpath /usr/lib/pacman/db --config /tmp/koompi-update-cache/pacman.conf -S --needed --noconfirm opt-app' \
	--pacman-cache '$T/hand' >/dev/null"
expect_rc "by hand: curl, then koompi-boot update --run pacman -S" 0 timed "by hand (curl + koompi-boot update)" sh -c "$hand"
grep '^figure' "$T/err"
echo "figure: the agent's peak RSS after the install: $hwm"

# ---- the next release carries it ----
REPO=$T/mirror/stable/2026.12.3
mkdir -p "$REPO"
cp "$T/mirror/stable/2026.12.2/$OPT" "$T/mirror/stable/2026.12.2/opt-lib-1.0-1-any.pkg.tar.gz" "$REPO/"
check "pkg-a 2.0 built" build_packages "$REPO" 2.0 pkg-a
check "its repository" make_repo "$REPO" koompi
serve 2026.12.3 10
for o in opt-app opt-lib; do
	expect_rc "... $o optional in it too" 0 "$R" -m "$T/mirror/stable/manifest.json" -s "$T/release.key" optional $o
done
stop_agent
boot_state "$new"
conf "$new"
check "the agent starts on $new" start_agent
expect_rc "koompi update apply" 0 "$KOOMPI" --json update apply
next=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$T/out")
check "the answer names opt-app carried" json_true "$T/out" 'j["carried"] == ["opt-app"]'
check "pacman -Q in $next: pkg-a upgraded, opt-app carried with its dependency" \
	test "$(root_pacman "$next" -Q | tr '\n' ' ')" = "opt-app 1.0-1 opt-lib 1.0-1 pkg-a 2.0-1 "
check "downloaded from the new release's copy" grep -q "GET /stable/2026.12.3/$OPT " "$T/nginx/access.log"
stop_agent
finish
