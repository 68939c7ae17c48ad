#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-health's built-in checks on a loop-mounted Btrfs and captured mount tables: all pass on
# a good boot; /home missing marks a boot on trial bad, naming the check; a nearly full
# filesystem and an unwritable ledger folder fail their checks; no systemd on the bus skips
# the units check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-agent.sh"

HEALTH=$(dirname "$K")/koompi-health
[ -x "$HEALTH" ] || { not_ok "koompi-health is built" "make all"; finish; exit 1; }
make_agent_world || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
E=$ESP/loader/entries
mkdir -p "$E"
# builtin_conf REQUIRED WANTED MIN_FREE: the built-in checks only (the script folders are empty).
builtin_conf() {
	write_agent_conf
	printf '[health]\nrequired_checks = %s\nwanted_checks = %s\nmin_free = %s\nunits = display-manager.service\n' \
		"$1" "$2" "$3" >>"$T/agent.conf"
}
# mountinfo HOME_LINE: the mount table of a booted @root-current, /home as given (or none).
mountinfo() {
	{
		printf '22 1 0:31 /@root-current / ro,noatime shared:1 - btrfs /dev/mapper/root ro,subvol=/@root-current\n'
		printf '23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw\n'
		[ -n "$1" ] && printf '%s\n' "$1"
		printf '25 22 0:31 /@var /var rw,noatime shared:4 - btrfs /dev/mapper/root rw,subvol=/@var\n'
	} >"$T/mountinfo"
}
HOME_LINE='24 22 0:31 /@home /home rw,noatime shared:3 - btrfs /dev/mapper/root rw,subvol=/@home'
boot_record() {
	printf '{"snapshot":"@root-current","entry":"%s","counting":%s,"ledger_seq":2,"fallback":false,"timeline":[]}\n' \
		"$2" "$1" >"$T/boot.json"
}
health() {
	"$HEALTH" --config "$T/agent.conf" --top "$TOP" --esp "$ESP" --state "$T/boot.json" --state-dir "$T/state" \
		--mountinfo "$T/mountinfo" --countdown 0 "$@"
}
stage_of_boot_2() {
	"$K" --top "$TOP" --esp "$ESP" --state "$T/boot.json" --json history >"$T/history.json" &&
		python3 -c 'import json,sys; print([b["stage"] for b in json.load(open(sys.argv[1]))["boots"] if b["seq"] == 2][0])' \
			"$T/history.json"
}
ALL_REQUIRED="home-mounted var-mounted root-readonly ledger-writable"

builtin_conf "$ALL_REQUIRED" "free-space units" 1M
mountinfo "$HOME_LINE"
boot_record true koompi-root-current+2-1.conf
: >"$E/koompi-root-current+2-1.conf"
expect_rc "a good boot: every built-in check passes (exit 0)" 0 health --entry "$E/koompi-root-current+2-1.conf"
check "... healthy" grep -q "healthy: 6 checks passed" "$T/err"
check "... the entry keeps its counter" test -e "$E/koompi-root-current+2-1.conf"
check "... no systemd on the test bus: units skipped, saying why" \
	grep -q "check \`units\` skipped: no systemd on the system bus to ask about display-manager.service" "$T/err"
check "... each built-in check in the result" json_true "$T/state/health.json" \
	'j["state"] == "ok" and {c["name"]: c["state"] for c in j["checks"]} == {"home-mounted": "passed", "var-mounted": "passed", "root-readonly": "passed", "ledger-writable": "passed", "free-space": "passed", "units": "skipped"}'
check "... the ledger's folder is left as it was" test -z "$(ls -A "$TOP/@var/lib/koompi" | grep -v '^ledger$')"

printf '{"snapshot":"@root-other","entry":"koompi-root-current+2-1.conf","counting":true,"ledger_seq":2,"fallback":false,"timeline":[]}\n' \
	>"$T/boot.json"
expect_rc "/ is not the root koompi-init booted: exit 4" 4 health --entry "$E/koompi-root-current+2-1.conf"
check "... says which" grep -q "this boot is bad: check \`root-readonly\` failed: / is mounted from /@root-current, not from @root-other" "$T/err"
write_ledger "boot 2 1732400100 koompi-root-current.conf @root-current - switched in-progress -"
rm -f "$E"/*
: >"$E/koompi-root-current+2-1.conf"

mountinfo ""
boot_record true koompi-root-current+2-1.conf
expect_rc "/home is not mounted, on a boot on trial: exit 4" 4 health --entry "$E/koompi-root-current+2-1.conf"
check "... the reason on screen" grep -q "this boot is bad: check \`home-mounted\` failed: /home is not mounted" "$T/err"
check "... the entry is spent (+0)" test -e "$E/koompi-root-current+0-1.conf"
check "... the ledger has the boot marked bad" test "$(stage_of_boot_2)" = marked-bad
check "... the result names the check" json_true "$T/state/health.json" \
	'j["state"] == "failed" and j["reason"] == "check `home-mounted` failed: /home is not mounted"'

mountinfo "${HOME_LINE% - *} - btrfs /dev/mapper/root ro,subvol=/@home"
sed -i 's|^24 22 0:31 /@home /home rw|24 22 0:31 /@home /home ro|' "$T/mountinfo"
boot_record false koompi-root-current.conf
expect_rc "/home mounted read-only on a blessed root: exit 0" 0 health
check "... a warning that nothing is marked bad" \
	grep -q "check \`home-mounted\` failed: /home is mounted read-only, not read-write; this boot is not on trial" "$T/err"

# A nearly full filesystem: what is left is below min_free.
mountinfo "$HOME_LINE"
avail=$(df --output=avail -B1 "$TOP" | tail -n1)
if fallocate -l $((avail - 24 * 1024 * 1024)) "$TOP/@var/fill" && sync && btrfs filesystem sync "$TOP" >/dev/null 2>&1; then
	ok "the Btrfs filesystem filled up to its last 24 MiB"
else
	not_ok "the Btrfs filesystem filled up to its last 24 MiB" "$(df -h "$TOP")"
fi
builtin_conf "$ALL_REQUIRED" "free-space" 64M
expect_rc "free space below min_free, a wanted check: exit 0" 0 health
check "... a warning saying how much is left" \
	grep -Eq "check \`free-space\` failed: only [0-9.]+ MiB free \([0-9]+%\), below the 64.0 MiB asked for \(a wanted check: only a warning\)" "$T/err"
builtin_conf "$ALL_REQUIRED free-space" "" 64M
write_ledger "boot 2 1732400100 koompi-root-current.conf @root-current - switched in-progress -"
rm -f "$E"/*
: >"$E/koompi-root-current+2-1.conf"
boot_record true koompi-root-current+2-1.conf
expect_rc "free space below min_free, a required check on a boot on trial: exit 4" 4 health \
	--entry "$E/koompi-root-current+2-1.conf"
check "... the reason" grep -q "this boot is bad: check \`free-space\` failed: only" "$T/err"
rm -f "$TOP/@var/fill"
sync

# The ledger's folder cannot take a file (immutable): its check fails.
builtin_conf "$ALL_REQUIRED" "" 1M
boot_record false koompi-root-current.conf
if chattr +i "$TOP/@var/lib/koompi"; then
	expect_rc "an unwritable ledger folder on a blessed root: exit 0" 0 health
	check "... a warning naming the folder" \
		grep -q "check \`ledger-writable\` failed: the ledger's folder $TOP/@var/lib/koompi is not writable: Operation not permitted; this boot is not on trial" "$T/err"
	chattr -i "$TOP/@var/lib/koompi"
else
	not_ok "the ledger's folder made immutable (chattr +i)"
fi
rm -rf "$TOP/@var/lib/koompi"
expect_rc "no ledger folder at all: exit 0 on a blessed root" 0 health
check "... a warning that it does not exist" \
	grep -q "check \`ledger-writable\` failed: the ledger's folder $TOP/@var/lib/koompi does not exist" "$T/err"

# A built-in check that hangs (its mount table never comes: a FIFO nobody writes to) is that
# check's failure at its deadline, like a script's; the run goes on to its verdict.
rm -f "$T/mountinfo"
mkfifo "$T/mountinfo"
builtin_conf "home-mounted" "" 1M
boot_record false koompi-root-current.conf
expect_rc "a built-in check that hangs: exit 0 on a blessed root" 0 health
check "... it failed as hanging" grep -q "check \`home-mounted\` failed: no result within 2s (it hangs)" "$T/err"
finish
