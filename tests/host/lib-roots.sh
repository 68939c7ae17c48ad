# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the host tests of the verbs that change roots (update, snapshot, prune, rollback,
# recover). Sourced after lib.sh: roots that can run commands (a static busybox as /bin/sh), a
# record of the booted root, and the checks every test makes of the roots and the ESP.

BUSYBOX=$(command -v busybox 2>/dev/null)
# It runs chrooted in roots that hold nothing else: it must be static.
[ -n "$BUSYBOX" ] && ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || BUSYBOX=""
STATE=$T/boot.json
OPTS="root=UUID=1234 quiet"

# add_shell_root NAME [KVER]: a read-only root with a static busybox as /bin/sh, etc/version
# holding "base", etc/koompi/boot.conf for an initramfs without modules, and with KVER a kernel
# (usr/lib/modules/KVER/vmlinuz, no image yet).
add_shell_root() {
	w=$TOP/$1.w
	btrfs -q subvolume create "$w" >/dev/null || return 1
	mkdir -p "$w/bin" "$w/etc/koompi" "$w/usr/bin" "$w/var/lib" "$w/home" || return 1
	cp "$BUSYBOX" "$w/bin/busybox" || return 1
	for a in sh cat echo mkdir touch ls rm true false test grep sed head id readlink stat mount chmod wc sleep; do
		ln -s busybox "$w/bin/$a"
	done
	echo base >"$w/etc/version"
	printf '[modules]\nload =\nhardware =\n[image]\ncompression = none\n' >"$w/etc/koompi/boot.conf"
	if [ $# -gt 1 ]; then
		mkdir -p "$w/usr/lib/modules/$2"
		echo "kernel $2 of $1" >"$w/usr/lib/modules/$2/vmlinuz"
	fi
	btrfs -q subvolume snapshot -r "$w" "$TOP/$1" >/dev/null || return 1
	btrfs -q subvolume delete "$w" >/dev/null
}

# boot_state NAME: the running system booted NAME (koompi-init's record, for --state).
boot_state() {
	printf '{"snapshot":"%s","entry":"koompi-%s.conf","counting":false,"timeline":[]}\n' "$1" \
		"$(echo "${1#@}" | tr 'A-Z' 'a-z')" >"$STATE"
}

# kb ARGS...: koompi-boot on the test top level and ESP, with the test kernel for roots carrying
# none and fixed kernel options.
kb() {
	"$K" --top "$TOP" --esp "$ESP" --state "$STATE" --kernel "$T/vmlinuz" --initrd "$T/initrd.img" \
		--options "$OPTS" "$@"
}

roots() { (cd "$TOP" && ls -d @root-* 2>/dev/null); }
nroots() { roots | wc -l; }
is_ro() { btrfs property get -ts "$TOP/$1" ro 2>/dev/null | grep -q 'ro=true'; }
# The entry file of a root (its ID, any counter), or nothing.
entry_of() {
	id=$(echo "${1#@}" | tr 'A-Z' 'a-z' | sed 's/\./\\./g')
	(cd "$ESP/loader/entries" 2>/dev/null && ls | grep -E "^koompi-${id}(\+[0-9]+(-[0-9]+)?)?\.conf$")
}
journal() { echo "$TOP/@var/lib/koompi/transaction"; }
# The newest root (by creation), as koompi-boot orders them.
newest_root() { "$K" --top "$TOP" --esp "$ESP" --state "$STATE" --json list | python3 -c 'import json,sys; print(json.load(sys.stdin)["roots"][0]["name"])'; }

# consistent: every read-only root has exactly one entry whose linux and initrd files exist; no
# root is writable; no entry names a missing root; no journal; no temporary file on the ESP.
consistent() {
	for r in $(roots); do
		is_ro "$r" || { echo "$r is writable"; return 1; }
		e=$(entry_of "$r")
		[ "$(echo "$e" | grep -c .)" -eq 1 ] || { echo "$r has entries: '$e'"; return 1; }
		for k in linux initrd; do
			f=$(sed -n "s|^$k /||p" "$ESP/loader/entries/$e")
			[ -s "$ESP/$f" ] || { echo "$e: $k $f missing"; return 1; }
		done
		grep -q "koompi.snapshot=$r\$" "$ESP/loader/entries/$e" || { echo "$e does not name $r"; return 1; }
	done
	for e in $(cd "$ESP/loader/entries" && ls | grep '^koompi-'); do
		s=$(sed -n 's/^options .*koompi.snapshot=\([^ ]*\).*/\1/p' "$ESP/loader/entries/$e")
		[ -d "$TOP/$s" ] || { echo "$e names $s, which is gone"; return 1; }
	done
	[ ! -e "$(journal)" ] || { echo "a journal is left: $(cat "$(journal)")"; return 1; }
	[ -z "$(find "$ESP" -name '.*')" ] || { echo "temporary files: $(find "$ESP" -name '.*')"; return 1; }
}

# The root systemd-boot would start, as koompi-boot status sees it.
next_boot() {
	"$K" --top "$TOP" --esp "$ESP" --state "$STATE" --json status 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["default"]["snapshot"])'
}
