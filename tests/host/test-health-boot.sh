#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-health, the checks of one boot: a failed required check on a boot on trial marks it
# bad (entry +0, ledger marked-bad) and exits 4; on a blessed root it only warns; a failed
# wanted check only warns; a hanging check is that check's failure; the result is kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-agent.sh"

HEALTH=$(dirname "$K")/koompi-health
[ -x "$HEALTH" ] || { not_ok "koompi-health is built" "make all"; finish; exit 1; }
make_agent_world || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
write_agent_conf
E=$ESP/loader/entries
mkdir -p "$E"
# boot_record COUNTING ENTRY: koompi-init's record of boot #2 of @root-current.
boot_record() {
	printf '{"snapshot":"@root-current","entry":"%s","counting":%s,"ledger_seq":2,"fallback":false,"timeline":[]}\n' \
		"$2" "$1" >"$T/boot.json"
}
health() {
	"$HEALTH" --config "$T/agent.conf" --top "$TOP" --esp "$ESP" --state "$T/boot.json" --state-dir "$T/state" \
		--countdown 0 "$@"
}
# field_of_boot_2 FIELD: that field of boot #2 in `koompi-boot --json history`.
field_of_boot_2() {
	"$K" --top "$TOP" --esp "$ESP" --state "$T/boot.json" --json history >"$T/history.json" &&
		python3 -c 'import json,sys; print([b[sys.argv[2]] for b in json.load(open(sys.argv[1]))["boots"] if b["seq"] == 2][0])' \
			"$T/history.json" "$1"
}
stage_of_boot_2() {
	field_of_boot_2 stage
}

printf '#!/bin/sh\nexit 0\n' >"$T/health/required/root-read-only"
chmod +x "$T/health/required/root-read-only"
boot_record true koompi-root-current+2-1.conf
: >"$E/koompi-root-current+2-1.conf"
expect_rc "every check passes: exit 0" 0 health --entry "$E/koompi-root-current+2-1.conf"
check "... says so" grep -q "healthy: 1 checks passed" "$T/err"
check "... the entry keeps its counter" test -e "$E/koompi-root-current+2-1.conf"
check "... the result is kept" json_true "$T/state/health.json" 'j["state"] == "ok"'
check "... and is the boot's note in the ledger" test "$(field_of_boot_2 note)" = "health: 1 passed"

printf '#!/bin/sh\necho "disk 97%% full" >&2\nexit 1\n' >"$T/health/wanted/disk-space"
chmod +x "$T/health/wanted/disk-space"
expect_rc "a wanted check fails: exit 0" 0 health --entry "$E/koompi-root-current+2-1.conf"
check "... with a warning and its reason" grep -q "check \`disk-space\` failed: disk 97% full (a wanted check: only a warning)" "$T/err"
check "... the entry keeps its counter" test -e "$E/koompi-root-current+2-1.conf"

printf '#!/bin/sh\necho "/home is not mounted"\nexit 1\n' >"$T/health/required/home-mounted"
chmod +x "$T/health/required/home-mounted"
boot_record false koompi-root-current.conf
expect_rc "a required check fails on a blessed root: exit 0" 0 health
check "... a warning that nothing is marked bad" \
	grep -q "check \`home-mounted\` failed: /home is not mounted; this boot is not on trial (its root is blessed): nothing is marked bad" "$T/err"
check "... the ledger is left as it was" test "$(stage_of_boot_2)" = switched
check "... but has the results" test "$(field_of_boot_2 note)" = \
	"health: 1 passed, 2 failed (home-mounted, disk-space): check \`home-mounted\` failed: /home is not mounted"
"$K" --top "$TOP" --esp "$ESP" --json alerts >"$T/alerts.json" 2>&1
check "... and an alert naming the check" json_true "$T/alerts.json" \
	'any(a["kind"] == "health" and a["message"].startswith("check `home-mounted` failed: /home is not mounted") for a in j["alerts"])'

boot_record true koompi-root-current+2-1.conf
expect_rc "a required check fails on a boot on trial: exit 4" 4 health --entry "$E/koompi-root-current+2-1.conf"
check "... the reason on screen" grep -q "this boot is bad: check \`home-mounted\` failed: /home is not mounted" "$T/err"
check "... the entry is spent (+0)" test -e "$E/koompi-root-current+0-1.conf"
check "... the ledger has the boot marked bad" test "$(stage_of_boot_2)" = marked-bad
check "... and why" test "$(field_of_boot_2 note)" = "check \`home-mounted\` failed: /home is not mounted"
check "... the result is kept" json_true "$T/state/health.json" \
	'j["state"] == "failed" and j["reason"] == "check `home-mounted` failed: /home is not mounted"'

rm "$T/health/required/home-mounted"
printf '#!/bin/sh\nexec sleep 60\n' >"$T/health/required/hangs"
chmod +x "$T/health/required/hangs"
write_ledger "boot 2 1732400100 koompi-root-current.conf @root-current - switched in-progress -"
rm -f "$E"/*
: >"$E/koompi-root-current+2-1.conf"
expect_rc "a required check hangs: it failed, the boot is bad (exit 4)" 4 health --entry "$E/koompi-root-current+2-1.conf"
check "... its reason" grep -q "this boot is bad: check \`hangs\` failed: no result within 2s (it hangs)" "$T/err"

# What koompi-health found, the agent shows until it runs the checks itself.
check "a private bus" start_bus
check "the agent starts" start_agent
expect_rc "koompi health shows koompi-health's result (exit 4: a required check failed)" 4 "$KOOMPI" --json health
check "... the hanging check" json_true "$T/out" \
	'j["state"] == "failed" and [c["state"] for c in j["checks"] if c["name"] == "hangs"] == ["timed-out"]'
expect_rc "the Health property says so" 0 busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" get-property org.koompi.Agent1 \
	/org/koompi/Agent1 org.koompi.Agent1 Health
check "... failed" grep -qx 's "failed"' "$T/out"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); j["boot_id"]="another boot"; json.dump(j, open(sys.argv[1], "w"))' \
	"$T/state/health.json"
expect_rc "a result of another boot is not shown" 0 "$KOOMPI" --json health
check "... unknown" json_true "$T/out" 'j["state"] == "unknown" and j["checks"] == []'
stop_agent

# Marking fails (no record of the boot): exit 5, the boot is still reported bad.
write_ledger
rm -f "$E"/*
: >"$E/koompi-root-current+2-1.conf"
expect_rc "marking bad fails: exit 5" 5 health --entry "$E/koompi-root-current+2-1.conf"
check "... says what failed" grep -q "marking this boot bad failed: " "$T/err"
finish
