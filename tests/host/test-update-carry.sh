#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What koompi install added is carried into each release by koompi update apply, through the
# agent on a private bus: a repository package (from the root's own repository, served by
# nginx) and an AUR package (an AUR made by the test: RPC answers and a PKGBUILD over git,
# built by makepkg as nobody) are installed, each in a new root; the AUR's rules are shown on
# the way (a student refused, an admin allowed, the build and install done by a teacher, a
# malicious PKGBUILD refused without confirmation). Back on the root from before, a release
# whose repository has the package makes a new root with the release's packages AND both
# carried ones, the old root untouched;
# a next release whose repository no longer has it, with the AUR package's kept file tampered
# with, still goes ahead without them and says so (the answer and an alert). Booted into the
# root with the AUR package, koompi remove takes it out in a new root and deletes its kept
# folder and its line in aur.list.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"
. "$(dirname "$0")/lib-agent.sh"
. "$(dirname "$0")/lib-nginx.sh"
. "$(dirname "$0")/lib-aur.sh"
. "$(dirname "$0")/lib-pacman.sh"
. "$(dirname "$0")/lib-figures.sh"
R=$(dirname "$K")/koompi-release
trap 'stop_nginx; agent_cleanup; cleanup' EXIT INT TERM

skip() {
	echo "test-update-carry.sh: SKIPPED: $1"
	finish
	exit 0
}
[ -n "$BUSYBOX" ] || skip "no static busybox to run commands in the test roots"
for tool in nginx curl git makepkg repo-add pacman fakeroot python3 setpriv; do
	command -v "$tool" >/dev/null || skip "$tool is missing (make deps)"
done
[ -x "$AGENT" ] && [ -x "$KOOMPI" ] && [ -x "$R" ] || { not_ok "the programs are built" "make all"; finish; exit 1; }

NGINX_SERVER_EXTRA=$AUR_NGINX
check "nginx on 127.0.0.1" start_nginx
check "the root's repository: hello-app, built by makepkg" build_packages "$T/mirror/apps" 1.0 hello-app
check "... indexed by repo-add" make_repo "$T/mirror/apps" apps
package koompi-hello 'package() {
	mkdir -p "$pkgdir/usr/share/koompi-hello"
	echo "built from the AUR" >"$pkgdir/usr/share/koompi-hello/hello.txt"
}' || not_ok "a clean PKGBUILD repository"
package koompi-evil "$AUR_EVIL" || not_ok "a malicious-looking PKGBUILD repository"

# A root with pacman whose own repository is apps: the snapshot `koompi install` reads.
make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a root with the host's pacman in it" add_pacman_root @root-current 6.1.0-test
btrfs property set -ts "$TOP/@root-current" ro false
mkdir -p "$TOP/@root-current/var/lib/pacman/sync"
cp "$T/mirror/apps/apps.db.tar.gz" "$TOP/@root-current/var/lib/pacman/sync/apps.db"
printf '[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n[apps]\nServer = %s/apps\n' \
	"$MIRROR" >"$TOP/@root-current/etc/pacman.conf"
btrfs property set -ts "$TOP/@root-current" ro true
make_kernel
make_esp_dir
boot_state @root-current
expect_rc "entries sync" 0 kb entries sync
cur_before=$(tree_state "$TOP/@root-current")

mkdir -p "$T/keys" "$T/state"
"$R" keygen -s "$T/release.key" -p "$T/keys/release.pub" >/dev/null
echo 0123456789abcdef0123456789abcdef >"$T/machine-id"
check "a private bus" start_bus
TEACHERS=$(getent group 100 | cut -d: -f1)
# Any group but root's, the teachers' and nobody's stands for the admins.
ADMINS=$(getent group | awk -F: '$3 != 0 && $3 != 100 && $3 != 65534 { print $1 ":" $3; exit }')
# carry_conf ROOT: the agent's settings, the packages read from ROOT.
carry_conf() {
	write_agent_conf "[update]" "mirrors = $MIRROR" "channel = stable" "keys_dir = $T/keys" \
		"machine_id_file = $T/machine-id" "user = nobody" \
		"[packages]" "workers_dir = $(dirname "$K")" "pacman_root = $1" "flatpak = no" \
		"appimage = no" "aur = yes" "aur_url = $MIRROR/" "user = nobody" "order = pacman aur" \
		"[access]" "teacher_group = $TEACHERS" "admin_group = ${ADMINS%:*}"
}
carry_conf "$TOP/@root-current"
check "the agent starts" start_agent
as_admin() { setpriv --reuid=65534 --regid="${ADMINS#*:}" --clear-groups "$@"; }

# ---- koompi install: a repository package, then an AUR package, each in a new root ----
expect_rc "koompi install of a repository package" 0 timed "koompi install (pacman)" "$KOOMPI" install hello-app
grep '^figure' "$T/err"
first=$(newest_root)
check "... in a new root" test -e "$TOP/$first/usr/share/hello-app/version"
check "pacman.list names it" grep -qx hello-app "$T/state/packages/pacman.list"
expect_rc "a student may not use the AUR (exit 3)" 3 as_nobody "$KOOMPI" install --from aur koompi-hello
check "... told why" grep -q "not allowed: the AUR needs the ${ADMINS%:*} or $TEACHERS group" "$T/err"
expect_rc "an admin (not root) may ask the AUR" 0 as_admin "$KOOMPI" info --from aur koompi-hello
check "... and is told where it comes from" grep -q "aur" "$T/out"
n0=$(nroots)
expect_rc "the malicious PKGBUILD: refused without a confirmation (exit 3)" 3 "$KOOMPI" install --from aur koompi-evil
check "... with its reasons" grep -q "curl" "$T/err"
check "... and no new root" test "$(nroots)" -eq "$n0"
expect_rc "a teacher's koompi install --from aur of a clean package" 0 timed "koompi install (aur)" \
	setpriv --reuid=65534 --regid=100 --clear-groups "$KOOMPI" --yes install --from aur koompi-hello
grep '^figure' "$T/err"
aur_root=$(newest_root)
check "... in a new root" grep -qx "built from the AUR" "$TOP/$aur_root/usr/share/koompi-hello/hello.txt"
check "... whose pacman knows it" test "$(root_pacman "$aur_root" -Q koompi-hello)" = "koompi-hello 1.0-1"
check "aur.list names it" grep -qx koompi-hello "$T/state/packages/aur.list"
KEPT=$T/state/packages/aur/koompi-hello
check "its built file is kept, root's, with its SHA-256" sh -c "cd '$KEPT' && sha256sum -c --quiet SHA256SUMS &&
	test \"\$(stat -c %u *.pkg.tar.*)\" = 0"
check "the new roots keep no copy of it" test -z "$(find "$TOP/$aur_root" -name 'koompi-hello-*.pkg.tar*')"

# ---- back on the root from before the installs: the release carries them ----
btrfs -q subvolume delete "$TOP/$first" >/dev/null
# Put aside, out of the roots' names, for koompi remove at the end.
mv "$TOP/$aur_root" "$TOP/aside-$aur_root"
expect_rc "entries sync without them" 0 kb entries sync
REPO=$T/mirror/stable/2026.12.2
check "the release's packages: pkg-a" build_packages "$REPO" 1.0 pkg-a
cp "$T/mirror/apps/"hello-app-*.pkg.tar.gz "$REPO/"
check "... and hello-app, in its repository" make_repo "$REPO" koompi
serve 2026.12.2 1
expect_rc "koompi update apply with carried packages" 0 timed "update apply, 2 carried" "$KOOMPI" --json update apply
grep '^figure' "$T/err"
cp "$T/out" "$T/applied.json"
new=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$T/applied.json")
check "pacman -Q in $new: the release's packages and both carried ones" \
	test "$(root_pacman "$new" -Q | tr '\n' ' ')" = "hello-app 1.0-1 koompi-hello 1.0-1 pkg-a 1.0-1 "
check "the AUR package's files are there" grep -qx "built from the AUR" "$TOP/$new/usr/share/koompi-hello/hello.txt"
check "the answer names both as carried, none left" json_true "$T/applied.json" \
	'sorted(j["carried"]) == ["hello-app", "koompi-hello"] and j["not_carried"] == []'
check "the new root keeps no copy of the cache" test ! -e "$TOP/$new/tmp/koompi-update-cache"
check "@root-current is untouched" test "$cur_before" = "$(tree_state "$TOP/@root-current")"
check "pacman -Q in @root-current: nothing" test -z "$(root_pacman @root-current -Q)"
check "the agent said what it carried" grep -q "update apply: carrying koompi-hello" "$T/agent.log"

# ---- a release without the repository package, the AUR package's kept file tampered with ----
btrfs -q subvolume delete "$TOP/$new" >/dev/null
expect_rc "entries sync without it" 0 kb entries sync
REPO=$T/mirror/stable/2026.12.3
check "the next release: pkg-a 2.0 alone" build_packages "$REPO" 2.0 pkg-a
check "... in its repository" make_repo "$REPO" koompi
serve 2026.12.3 2
f=$(ls "$KEPT"/*.pkg.tar.*)
printf 'x' >>"$f"
expect_rc "koompi update apply goes ahead" 0 timed "update apply, none carried" "$KOOMPI" --json update apply
grep '^figure' "$T/err"
cp "$T/out" "$T/left.json"
newer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$T/left.json")
check "pacman -Q in $newer: the release's package alone" test "$(root_pacman "$newer" -Q | tr '\n' ' ')" = "pkg-a 2.0-1 "
check "the answer names what was not carried, and why" json_true "$T/left.json" \
	'j["carried"] == [] and len(j["not_carried"]) == 2 and any(n.startswith("hello-app: the repository of release 2026.12.3 does not list it") for n in j["not_carried"]) and any(n.startswith("koompi-hello: its kept file ") and "no longer matches the SHA-256 recorded when it was built: refused" in n for n in j["not_carried"])'
check "an alert says so" sh -c "'$KOOMPI' --json status | python3 -c 'import json,sys; j=json.load(sys.stdin); assert any(a[\"kind\"] == \"carry\" and \"hello-app\" in a[\"message\"] and \"koompi-hello\" in a[\"message\"] for a in j[\"alerts\"])'"
check "both stay listed for a later release" sh -c "grep -qx hello-app '$T/state/packages/pacman.list' &&
	grep -qx koompi-hello '$T/state/packages/aur.list'"
check "@root-current is still untouched" test "$cur_before" = "$(tree_state "$TOP/@root-current")"

# ---- booted into the root with the AUR package: koompi remove takes its kept folder too ----
stop_agent
btrfs -q subvolume delete "$TOP/$newer" >/dev/null
mv "$TOP/aside-$aur_root" "$TOP/$aur_root"
expect_rc "entries sync with it back, the release's root gone" 0 kb entries sync
check "... it boots next" test "$(next_boot)" = "$aur_root"
boot_state "$aur_root"
carry_conf "$TOP/$aur_root"
check "the agent starts on it" start_agent
expect_rc "its removal waits for a confirmation (koompi-* is protected; exit 3)" 3 "$KOOMPI" remove koompi-hello
check "... and keeps its folder" test -d "$KEPT"
expect_rc "koompi --yes remove of the AUR package" 0 "$KOOMPI" --yes remove koompi-hello
removed=$(newest_root)
check "... made from it" grep -q "$aur_root (the root booted next) -> $removed," "$T/err"
check "... in another new root, without it" sh -c "test '$removed' != '$aur_root' &&
	test ! -e '$TOP/$removed/usr/share/koompi-hello'"
check "... whose pacman no longer knows it" test -z "$(root_pacman "$removed" -Q koompi-hello 2>/dev/null)"
check "its kept folder is gone" test ! -e "$KEPT"
check "aur.list no longer names it" sh -c "! grep -qx koompi-hello '$T/state/packages/aur.list'"
check "pacman.list still names hello-app" grep -qx hello-app "$T/state/packages/pacman.list"

stop_agent
finish
