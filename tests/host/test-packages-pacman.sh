#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi install of a repository package through the agent: a repository built by the test
# (makepkg as an unprivileged user, repo-add) served by nginx on 127.0.0.1; a root with a real
# pacman (Debian's, with its libraries) whose sync database is the repository's, as the pinned
# snapshot of a release; the install makes a new root that has the package and leaves the old
# one as it was, the package named in pacman.list; remove takes it out in another new root; an
# unknown package and a repository that is down change nothing and say what failed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"
. "$(dirname "$0")/lib-agent.sh"
. "$(dirname "$0")/lib-nginx.sh"
trap 'stop_nginx; agent_cleanup; cleanup' EXIT INT TERM

skip() {
	echo "test-packages-pacman.sh: SKIPPED: $1"
	finish
	exit 0
}
[ -n "$BUSYBOX" ] || skip "no static busybox to run commands in the test roots"
for tool in makepkg repo-add pacman nginx setpriv; do
	command -v "$tool" >/dev/null || skip "$tool is missing (Debian: pacman-package-manager, makepkg, nginx)"
done
[ -x "$(dirname "$K")/koompi-pkg-pacman" ] || { not_ok "koompi-pkg-pacman is built" "make all"; finish; exit 1; }
chmod 755 "$T"

# ---- the repository: a package built by makepkg as nobody ----
make_repo() {
	mkdir -p "$T/build" "$T/mirror/koompi"
	cat >"$T/build/PKGBUILD" <<'PKG'
pkgbase=hello-koompi
pkgname=(hello-koompi hello-extra)
pkgver=1.0
pkgrel=1
pkgdesc="A greeting for the tests"
arch=('any')
license=('MIT')
options=(!strip !debug !zipman)
package_hello-koompi() {
  mkdir -p "$pkgdir/usr/share/hello-koompi"
  echo hello >"$pkgdir/usr/share/hello-koompi/hello.txt"
}
package_hello-extra() {
  mkdir -p "$pkgdir/usr/share/hello-extra"
  echo extra >"$pkgdir/usr/share/hello-extra/extra.txt"
}
PKG
	chown -R 65534:65534 "$T/build"
	(cd "$T/build" && setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$T/build" PKGDEST="$T/build" \
		PKGEXT=.pkg.tar makepkg --nodeps >"$T/makepkg.log" 2>&1) || return 1
	cp "$T/build/"*.pkg.tar "$T/mirror/koompi/" &&
		repo-add -q "$T/mirror/koompi/koompi.db.tar.gz" "$T/mirror/koompi/"*.pkg.tar >/dev/null 2>&1
}

# ---- a root with pacman, its libraries, and the repository's database as its pinned one ----
add_pacman_root() {
	w=$TOP/$1.w
	btrfs -q subvolume create "$w" >/dev/null || return 1
	mkdir -p "$w/bin" "$w/etc/koompi" "$w/usr/bin" "$w/var/lib/pacman/local" "$w/var/lib/pacman/sync" \
		"$w/var/cache/pacman/pkg" "$w/tmp" "$w/home" "$w/usr/lib/modules/6.1.0-test" || return 1
	cp "$BUSYBOX" "$w/bin/busybox" || return 1
	for a in sh cat echo mkdir ls rm true test; do ln -s busybox "$w/bin/$a"; done
	cp /usr/bin/pacman "$w/usr/bin/pacman" || return 1
	for lib in $(ldd /usr/bin/pacman | grep -o '/[^ ]*'); do cp -L --parents "$lib" "$w" || return 1; done
	echo 9 >"$w/var/lib/pacman/local/ALPM_DB_VERSION"
	cp "$T/mirror/koompi/koompi.db.tar.gz" "$w/var/lib/pacman/sync/koompi.db"
	printf '[options]\nArchitecture = auto\nSigLevel = Never\n[koompi]\nServer = %s/koompi\n' "$MIRROR" >"$w/etc/pacman.conf"
	printf '[modules]\nload =\nhardware =\n[image]\ncompression = none\n' >"$w/etc/koompi/boot.conf"
	head -c 100000 /dev/urandom >"$w/usr/lib/modules/6.1.0-test/vmlinuz"
	head -c 100000 /dev/urandom >"$w/usr/lib/modules/6.1.0-test/initramfs-koompi.img"
	btrfs -q subvolume snapshot -r "$w" "$TOP/$1" >/dev/null || return 1
	btrfs -q subvolume delete "$w" >/dev/null
}

check "a repository built with makepkg as nobody" make_repo
check "nginx serves it" start_nginx
make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a root with a real pacman" add_pacman_root @root-current
make_kernel
make_esp_dir
boot_state @root-current
expect_rc "entries sync" 0 kb entries sync
check "a private bus" start_bus
write_agent_conf "[packages]" "workers_dir = $(dirname "$K")" "pacman_root = $TOP/@root-current" \
	"flatpak = no" "appimage = no" "order = pacman"
check "the agent starts" start_agent
before=$(tree_state "$TOP/@root-current")
n0=$(nroots)

expect_rc "koompi search" 0 "$KOOMPI" search hello
check "... finds it in the repository" grep -q "^hello-koompi .*1.0-1 .*pacman .*A greeting for the tests" "$T/out"
expect_rc "koompi info says a restart is needed" 0 "$KOOMPI" info hello-koompi
check "... from pacman, its size, no risk" sh -c "grep -q 'From:     pacman: the first source' '$T/out' &&
	grep -q 'Restart:  needed' '$T/out' && grep -q 'Download: .*kB' '$T/out' && grep -q 'Risk:     0.00' '$T/out'"
check "... from the root's own databases: the root keeps no release manifest" \
	grep -q "from the root's own databases (\[packages\] pacman_conf): this root keeps no release manifest" "$T/out"
t0=$(date +%s.%N)
expect_rc "koompi install of a repository package" 0 "$KOOMPI" install hello-koompi
t1=$(date +%s.%N)
check "... says it lands in a new root" grep -q "^hello-koompi installed from pacman: in a new root" "$T/out"
check "... showed koompi-boot's steps" grep -q "the command succeeded" "$T/err"
new=$(newest_root)
check "a new root was made" test "$(nroots)" -eq $((n0 + 1))
check "... that has the package" test "$(cat "$TOP/$new/usr/share/hello-koompi/hello.txt")" = hello
check "... in its pacman database, inside the root" sh -c "ls '$TOP/$new/usr/lib/pacman/db/local' | grep -q '^hello-koompi-1.0-1$'"
check "... boots next" test "$(next_boot)" = "$new"
check "the old root is as it was" test "$(tree_state "$TOP/@root-current")" = "$before"
check "pacman.list names it for the next release" test "$(cat "$T/state/packages/pacman.list")" = hello-koompi
hwm=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$AGENT_PID/status")

# ---- after a reboot into it: remove, and what fails changes nothing ----
stop_agent
boot_state "$new"
write_agent_conf "[packages]" "workers_dir = $(dirname "$K")" "pacman_root = $TOP/$new" \
	"flatpak = no" "appimage = no" "order = pacman"
check "the agent starts on the new root" start_agent
expect_rc "koompi list shows it installed" 0 "$KOOMPI" list
check "... from pacman" grep -q "^hello-koompi .*pacman .*installed" "$T/out"
expect_rc "an unknown package (exit 2)" 2 "$KOOMPI" install no-such-package
check "... says no source has it" grep -q "no-such-package: no source has it (searched: pacman)" "$T/err"
expect_rc "koompi remove" 0 "$KOOMPI" remove hello-koompi
removed=$(newest_root)
check "... in another new root, without the package" sh -c "test '$removed' != '$new' && test ! -e '$TOP/$removed/usr/share/hello-koompi'"
check "... the root booted as it was" test -e "$TOP/$new/usr/share/hello-koompi/hello.txt"
check "... and pacman.list no longer names it" test ! -s "$T/state/packages/pacman.list"
stop_nginx
n1=$(nroots)
expect_rc "the repository down: an install that must download fails (exit 6)" 6 "$KOOMPI" install hello-extra
check "... saying the new root could not be made" grep -q "the new root could not be made, nothing changed" "$T/err"
check "... and no root is left of it" test "$(nroots)" -eq "$n1"
check "... nor a name in pacman.list" test ! -s "$T/state/packages/pacman.list"
check "the agent still serves" kill -0 "$AGENT_PID"
# ---- figures: by hand, the same package in a snapshot with the same transaction, no agent ----
start_nginx "$NGINX_PORT" >/dev/null
t2=$(date +%s.%N)
expect_rc "by hand: koompi-boot update --pacman" 0 kb update --pacman "--config /etc/pacman.conf -S --needed --noconfirm hello-koompi"
t3=$(date +%s.%N)
echo "figure: pacman: koompi install $(echo "$t1 - $t0" | bc) s, by hand (koompi-boot update --pacman)" \
	"$(echo "$t3 - $t2" | bc) s; the agent's peak RSS $hwm"
finish
