# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the host tests that install releases: roots with a real pacman (the host's, with its
# libraries) and pacman repositories of small packages built by makepkg (as nobody: makepkg
# refuses root) and indexed by repo-add. Sourced after lib.sh and lib-roots.sh.

# add_pacman_root NAME KVER: add_shell_root NAME KVER with an initramfs for that kernel, the
# host's pacman and the libraries it loads, and an empty local database: a root pacman can
# install into.
add_pacman_root() {
	add_shell_root "$1.base" "$2" || return 1
	w=$TOP/$1.w
	btrfs -q subvolume snapshot "$TOP/$1.base" "$w" >/dev/null || return 1
	btrfs -q subvolume delete "$TOP/$1.base" >/dev/null
	echo "image $2 of $1" >"$w/usr/lib/modules/$2/initramfs-koompi.img"
	for f in /usr/bin/pacman $(ldd /usr/bin/pacman | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }'); do
		cp --parents -L "$f" "$w" || return 1
	done
	mkdir -p "$w/var/lib/pacman/local" "$w/var/cache/pacman/pkg" "$w/etc" && cp /etc/pacman.conf "$w/etc/" &&
		echo 9 >"$w/var/lib/pacman/local/ALPM_DB_VERSION" || return 1
	btrfs -q subvolume snapshot -r "$w" "$TOP/$1" >/dev/null || return 1
	btrfs -q subvolume delete "$w" >/dev/null
}

# build_packages DIR VERSION NAME[:KIB[:DEPENDS]]...: one makepkg run (a split package) making
# NAME at VERSION-1 for each NAME, holding /usr/share/NAME/version ("NAME VERSION") and KIB KiB
# of random bytes when given, depending on the package DEPENDS when given; the packages land in
# DIR.
build_packages() {
	dir=$1 ver=$2
	shift 2
	b=$(mktemp -d "$T/build.XXXXXX")
	names="" funcs=""
	for spec in "$@"; do
		n=${spec%%:*}
		kib=0 dep=""
		[ "$n" = "$spec" ] || kib=${spec#*:}
		case $kib in *:*) dep=${kib#*:} kib=${kib%%:*} ;; esac
		names="$names $n"
		funcs="$funcs
package_$n() {
	${dep:+depends=($dep)}
	mkdir -p \"\$pkgdir/usr/share/$n\"
	echo \"$n $ver\" >\"\$pkgdir/usr/share/$n/version\"
	[ $kib -eq 0 ] || head -c $((kib * 1024)) /dev/urandom >\"\$pkgdir/usr/share/$n/blob\"
}"
	done
	cat >"$b/PKGBUILD" <<PKG
pkgbase=koompi-test
pkgname=($names)
pkgver=$ver
pkgrel=1
pkgdesc="a package of the update tests"
arch=(any)
license=(LGPL)
options=(!strip !debug)
$funcs
PKG
	mkdir -p "$dir"
	# nobody goes through $T to its build folder.
	chmod 711 "$T"
	chown -R nobody:nogroup "$b"
	chmod 777 "$dir"
	(cd "$b" && setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$b" PKGDEST="$dir" \
		BUILDDIR="$b/build" SRCDEST="$b" makepkg --nodeps --noconfirm >"$b/makepkg.log" 2>&1) ||
		{ cat "$b/makepkg.log"; return 1; }
}

# make_repo DIR NAME: repo-add's database DIR/NAME.db of every package in DIR.
make_repo() {
	rm -f "$1/$2".db* "$1/$2".files*
	repo-add -q "$1/$2.db.tar.gz" "$1"/*.pkg.tar.* >/dev/null 2>&1
}

# root_pacman ROOT ARGS...: the root's own pacman, reading its own database inside the root
# (DBPath /usr/lib/pacman/db: src/admin/rootpacman.h).
root_pacman() {
	r=$1
	shift
	chroot "$TOP/$r" /usr/bin/pacman --dbpath /usr/lib/pacman/db "$@"
}

# serve VERSION SERIAL [FIELD=JSON ...]: $T/mirror/stable/manifest.json of the files in
# $T/mirror/stable/VERSION (repository koompi), signed by koompi-release ($R) with $T/release.key.
serve() {
	python3 - "$T/mirror/stable" "$@" <<'PY'
import hashlib, json, os, sys
top, version, serial = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = os.path.join(top, version)
files = sorted(f for f in os.listdir(d) if f.endswith(".pkg.tar.gz")) + ["koompi.db"]
def entry(f):
    data = open(os.path.join(d, f), "rb").read()
    name, ver = (f[:-3], "1") if f == "koompi.db" else (f.rsplit("-", 3)[0], "-".join(f.rsplit("-", 3)[1:3]))
    return {"name": name, "version": ver, "file": f, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
m = {"format": 1, "channel": "stable", "version": version, "serial": serial,
     "issued": "2026-12-06T00:00:00Z", "expires": "2099-01-01T00:00:00Z", "tier": "regular",
     "rollout": {"percent": 100, "paused": False}, "repo": {"name": "koompi", "path": version + "/"},
     "packages": [entry(f) for f in files], "revoked": []}
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    m[k] = json.loads(v)
open(os.path.join(top, "manifest.json"), "w").write(json.dumps(m, indent=1) + "\n")
PY
	"$R" -m "$T/mirror/stable/manifest.json" -s "$T/release.key" sign >/dev/null
}
