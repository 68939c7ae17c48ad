#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-pkg-flatpak against a Flatpak repository made by the test, offline: a tiny runtime (the
# host's static busybox) and apps made with flatpak build-init, build-finish and build-export
# into a local OSTree repository, served by Debian's nginx on 127.0.0.1 (an unsigned test remote:
# --no-gpg-verify). The worker's system installation is the test's own (FLATPAK_SYSTEM_DIR,
# FLATPAK_CONFIG_DIR). Search, info (the app's --filesystem=host and --device=all as facts),
# install, list, remove for real; an unknown app, the remote down and a full disk each fail with
# a clear error and leave the installation as it was.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-nginx.sh"
. "$(dirname "$0")/lib-flatpak.sh"
. "$(dirname "$0")/lib-figures.sh"
FP=$(dirname "$K")/koompi-pkg-flatpak
trap 'stop_nginx; cleanup' EXIT INT TERM
for tool in nginx curl flatpak python3 mkfs.ext4; do
	command -v $tool >/dev/null || { not_ok "$tool is installed" "make deps"; finish; exit 1; }
done
[ -x "$FP" ] || { not_ok "koompi-pkg-flatpak is built" "make $FP"; finish; exit 1; }
[ -n "$RUNTIME_SH" ] || { echo "test-pkg-flatpak.sh: SKIPPED: no static busybox for the runtime"; finish; exit 0; }
build_flatpak_repo
check "nginx on 127.0.0.1 serving it" start_nginx

SYS=$T/system
check "a system installation with the test remote" add_installation "$SYS"
fp() { FLATPAK_SYSTEM_DIR=$SYS "$FP" "$@"; }
last() { tail -n1 "$T/out" >"$T/last.json"; }

# ---- search, info, list ----
expect_rc "search" 0 fp search hello
check "search finds the app, not installed, with its size" json_true "$T/out" \
	'[(p["name"], p["source"], p["installed"]) for p in j["result"]] == [("org.koompi.Hello", "flatpak", False)] and j["result"][0]["download_size"] > 0'
check "its id is the app's id" json_true "$T/out" "j['result'][0]['id'] == 'org.koompi.Hello'"
expect_rc "search of a broader word" 0 fp search KOOMPI
check "it finds every app, without case, and no runtime" json_true "$T/out" \
	'sorted(p["name"] for p in j["result"]) == ["org.koompi.Big", "org.koompi.Calm", "org.koompi.Hello"]'
expect_rc "info" 0 fp info org.koompi.Hello
check "info shows --filesystem=host and --device=all as facts" json_true "$T/out" \
	'j["result"]["facts"]["filesystems"] == ["host"] and j["result"]["facts"]["devices"] == ["all"]'
check "info: no restart needed, an installed size, the remote" json_true "$T/out" \
	'j["result"]["needs_restart"] is False and j["result"]["installed_size"] > 0 and j["result"]["remote"] == "koompi-test"'
check "info: the full ref" json_true "$T/out" "j['result']['ref'] == 'app/org.koompi.Hello/$ARCH/stable'"
expect_rc "info of an app asking for nothing" 0 fp info org.koompi.Calm
check "its facts are empty lists" json_true "$T/out" \
	'all(j["result"]["facts"][k] == [] for k in ("filesystems", "devices", "shared", "sockets"))'
expect_rc "info of an unknown app: exit 2" 2 fp info org.koompi.Nope
check "it says no remote has it" json_true "$T/out" '"no Flatpak remote has an app named" in j["error"] and j["errno"] == 2'
expect_rc "info of a name that is no app id: exit 1" 1 fp info '../x'
expect_rc "list, nothing installed" 0 fp list
check "an empty list" json_true "$T/out" 'j["result"] == []'

# ---- install, list, remove ----
expect_rc "install" 0 timed "install by koompi-pkg-flatpak" env FLATPAK_SYSTEM_DIR="$SYS" "$FP" install org.koompi.Hello
grep '^figure' "$T/err"
last
check "install answers with the name and version" json_true "$T/last.json" \
	'j["result"] == {"name": "org.koompi.Hello", "version": "stable"}'
grep -q '"progress"' "$T/out" && ok "install printed progress lines" || not_ok "install printed progress lines"
check "flatpak sees the app and its runtime installed" sh -c \
	"FLATPAK_SYSTEM_DIR='$SYS' flatpak list --system --columns=application | grep -qx org.koompi.Hello &&
	 FLATPAK_SYSTEM_DIR='$SYS' flatpak list --system --columns=application | grep -qx org.koompi.Platform"
check "the app's files are deployed" sh -c "grep -q 'hello from org.koompi.Hello' '$SYS'/app/org.koompi.Hello/$ARCH/stable/active/files/bin/hello.sh"
check "nothing went to the host's installation" test ! -e /var/lib/flatpak/app/org.koompi.Hello
expect_rc "list" 0 fp list
check "list shows the app, installed" json_true "$T/out" \
	'[(p["name"], p["installed"]) for p in j["result"]] == [("org.koompi.Hello", True)]'
expect_rc "search marks it installed" 0 fp search hello
check "installed: true" json_true "$T/out" 'j["result"][0]["installed"] is True'
expect_rc "install again: exit 3" 3 fp install org.koompi.Hello
check "it says it is already installed" json_true "$T/out" '"already installed" in j["error"] and j["errno"] == 17'
state=$(deployed "$SYS")
expect_rc "install of an unknown app: exit 2" 2 fp install org.koompi.Nope
check "the installation is as it was" test "$state" = "$(deployed "$SYS")"
expect_rc "remove" 0 fp remove org.koompi.Hello
check "the same install by hand, for the figures" add_installation "$T/by-hand"
FLATPAK_SYSTEM_DIR=$T/by-hand timed "the same by flatpak install" flatpak install --system -y --noninteractive \
	koompi-test org.koompi.Hello >/dev/null
last
check "remove answers with the name and version" json_true "$T/last.json" \
	'j["result"] == {"name": "org.koompi.Hello", "version": "stable"}'
check "the app is gone" test ! -e "$SYS/app/org.koompi.Hello/$ARCH/stable/active"
expect_rc "list after remove" 0 fp list
check "an empty list again" json_true "$T/out" 'j["result"] == []'
expect_rc "remove of an app not installed: exit 2" 2 fp remove org.koompi.Hello
check "it says it is not installed" json_true "$T/out" '"is not installed" in j["error"]'

# ---- a full disk ----
truncate -s 16M "$T/small.img"
mkdir -p "$T/small"
if mkfs.ext4 -q -F "$T/small.img" >/dev/null 2>&1 && mount -o loop "$T/small.img" "$T/small"; then
	MOUNTS="$T/small $MOUNTS"
	check "an installation on a 16 MiB filesystem" add_installation "$T/small/flatpak"
	# Flatpak keeps 500 MB free on a system installation by default; 1 MB here lets the
	# runtime in, so that the app's failure has something to undo.
	sed -i 's/^min-free-space-size=.*/min-free-space-size=1MB/' "$T/small/flatpak/repo/config"
	state=$(deployed "$T/small/flatpak")
	used_before=$(df --output=used -k "$T/small" | tail -n1)
	FLATPAK_SYSTEM_DIR=$T/small/flatpak "$FP" install org.koompi.Big >"$T/out" 2>"$T/err"
	rc=$?
	check "installing an app larger than the disk: exit 4" test "$rc" -eq 4
	last
	check "it says the disk is full" json_true "$T/last.json" 'j["errno"] == 28 and "installing" in j["error"]'
	check "the installation is as it was (its runtime uninstalled again)" test "$state" = "$(deployed "$T/small/flatpak")"
	used_after=$(df --output=used -k "$T/small" | tail -n1)
	check "what it fetched is deleted again (${used_before} KiB used before, ${used_after} KiB after)" \
		test "$used_after" -le $((used_before + 64))
	FLATPAK_SYSTEM_DIR=$T/small/flatpak "$FP" install org.koompi.Calm >"$T/out" 2>"$T/err"
	check "a small app still fits afterwards" test $? -eq 0
else
	not_ok "a 16 MiB ext4 filesystem in a loop file"
fi

# ---- the remote down ----
stop_nginx
state=$(deployed "$SYS")
expect_rc "search with the remote down: exit 5" 5 fp search hello
check "it names the remote and what to check" json_true "$T/out" \
	'"koompi-test" in j["error"] and "could not be read" in j["error"] and j["errno"] == 5'
expect_rc "install with the remote down: exit 5" 5 fp install org.koompi.Hello
check "the installation is as it was" test "$state" = "$(deployed "$SYS")"
expect_rc "list works without the network" 0 fp list
expect_rc "bad usage: exit 1" 1 fp install
finish
