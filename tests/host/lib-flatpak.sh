# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the Flatpak host tests: a Flatpak repository made by the test, offline, as
# flatpak's own test suite makes its own: a tiny runtime (the host's static busybox) and apps
# made with flatpak build-init, build-finish and build-export, in $T/mirror/repo (for
# lib-nginx.sh to serve). Nothing of the host's Flatpak setup is read or changed: HOME and
# FLATPAK_CONFIG_DIR are the test's. Sourced after lib.sh.
ARCH=$(flatpak --default-arch)
REPO=$T/mirror/repo
# The runtime's only program: it must run without the host's libraries.
RUNTIME_SH=$(command -v busybox 2>/dev/null)
case "$(ldd "$RUNTIME_SH" 2>&1)" in *"not a dynamic"*) ;; *) RUNTIME_SH="" ;; esac
export HOME=$T/home FLATPAK_CONFIG_DIR=$T/etc-flatpak
mkdir -p "$HOME" "$FLATPAK_CONFIG_DIR" "$T/mirror"

# The runtime: busybox as /usr/bin, by hand as flatpak's own tests make theirs.
make_runtime() {
	r=$T/build/runtime
	mkdir -p "$r/usr/bin" "$r/files"
	printf '[Runtime]\nname=org.koompi.Platform\nruntime=org.koompi.Platform/%s/stable\nsdk=org.koompi.Platform/%s/stable\n' \
		"$ARCH" "$ARCH" >"$r/metadata"
	cp "$RUNTIME_SH" "$r/usr/bin/busybox" && ln -s busybox "$r/usr/bin/sh" &&
		flatpak build-export --no-update-summary --disable-sandbox --runtime "$REPO" "$r" stable >/dev/null 2>&1
}

# make_app ID [BUILD-FINISH-OPTIONS...]: an app on the runtime, made with build-init (which
# needs the runtime installed for the builder), its command a shell script.
make_app() {
	id=$1
	shift
	a=$T/build/$id
	flatpak build-init "$a" "$id" org.koompi.Platform org.koompi.Platform stable >/dev/null || return 1
	mkdir -p "$a/files/bin"
	printf '#!/bin/sh\necho hello from %s\n' "$id" >"$a/files/bin/hello.sh"
	chmod 755 "$a/files/bin/hello.sh"
	[ "$id" != org.koompi.Big ] || head -c 24M /dev/urandom >"$a/files/big.bin"
	flatpak build-finish --command=hello.sh "$@" "$a" >/dev/null &&
		flatpak build-export --no-update-summary --disable-sandbox "$REPO" "$a" stable >/dev/null 2>&1
}

# build_flatpak_repo: the runtime and three apps: org.koompi.Hello asks for the host's files and
# every device, org.koompi.Calm for nothing, org.koompi.Big holds 24 MiB.
build_flatpak_repo() {
	check "a tiny runtime exported" make_runtime
	check "the repository's summary" flatpak build-update-repo "$REPO"
	check "the builder's remote" flatpak --user remote-add --no-gpg-verify build "file://$REPO"
	check "the runtime installed for the builder" flatpak --user install -y --noninteractive build org.koompi.Platform
	check "an app asking for the host's files and every device" make_app org.koompi.Hello --filesystem=host --device=all
	check "an app asking for nothing" make_app org.koompi.Calm
	check "a large app" make_app org.koompi.Big
	check "the repository's summary" flatpak build-update-repo "$REPO"
}

# add_installation DIR: a system installation in DIR with the test remote.
add_installation() {
	mkdir -p "$1"
	FLATPAK_SYSTEM_DIR=$1 flatpak remote-add --system --no-gpg-verify koompi-test "$MIRROR/repo"
}
# What is installed in DIR, as a listing of its deployments (an empty app/ or runtime/ is as
# good as none).
deployed() { (cd "$1" && find app runtime -mindepth 1 -maxdepth 4 2>/dev/null | sort); }
