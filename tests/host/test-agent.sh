#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-agent on a private bus over a real Btrfs top level: it takes its name, is
# introspectable, answers koompi status (text and JSON) with the facts of koompi-boot, runs the
# health checks (a failing required one, a hanging wanted one), acknowledges an alert, and leaves
# nothing running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-agent.sh"

[ -x "$AGENT" ] && [ -x "$KOOMPI" ] || { not_ok "koompi-agent and koompi are built" "make all"; finish; exit 1; }
make_agent_world || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a private bus" start_bus
write_agent_conf
check "the agent starts and says it serves" start_agent
busctl_() { busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" "$@"; }
expect_rc "the name is taken" 0 busctl_ call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
	NameHasOwner s org.koompi.Agent1
check "... by the agent" grep -qx "b true" "$T/out"
expect_rc "introspectable" 0 busctl_ introspect org.koompi.Agent1 /org/koompi/Agent1 org.koompi.Agent1
for member in .GetStatus .RunHealth .AcknowledgeAlert .Version .BootedRoot .NextRoot .Health .Alerts \
	.AlertRaised .Progress; do
	check "introspection names $member" grep -q "^\\$member " "$T/out"
done
expect_rc "BootedRoot read as a property" 0 busctl_ get-property org.koompi.Agent1 /org/koompi/Agent1 \
	org.koompi.Agent1 BootedRoot
check "... is the booted root" grep -qx 's "@root-current"' "$T/out"
expect_rc "Alerts read as a property" 0 busctl_ get-property org.koompi.Agent1 /org/koompi/Agent1 \
	org.koompi.Agent1 Alerts
check "... holds the ledger's alert" grep -q '^a(tss) 1 1 "fallback" "@root-new failed 3 boots in a row"' "$T/out"

expect_rc "koompi status --json" 0 "$KOOMPI" --json status
cp "$T/out" "$T/status.json"
check "one JSON object with the version" json_true "$T/status.json" 'j["version"] != ""'
check "the booted root" json_true "$T/status.json" 'j["booted_root"] == "@root-current"'
check "the alerts of the ledger" json_true "$T/status.json" \
	'[(a["seq"], a["kind"]) for a in j["alerts"]] == [(1, "fallback")]'
check "koompi-boot's status whole under boot" json_true "$T/status.json" \
	'sorted(s["name"] for s in j["boot"]["snapshots"]) == ["@root-current", "@root-factory"]'
check "no problem" json_true "$T/status.json" 'j["problems"] == []'
check "no check run yet" json_true "$T/status.json" 'j["health"] == {"state": "unknown", "reason": "", "checks": []}'
expect_rc "koompi status" 0 "$KOOMPI" status
check "text: the booted root" grep -q "^Booted root: *@root-current$" "$T/out"
check "text: the alert" grep -q "#1 fallback: @root-new failed 3 boots in a row" "$T/out"

# ---- signals ----
busctl_ monitor --match="type='signal',sender='org.koompi.Agent1'" >"$T/monitor.out" 2>&1 &
BG_PIDS=$!
check "a bus monitor listens" wait_for 100 grep -q "Monitoring bus message stream" "$T/monitor.out"
printf 'alert 2 1732400200 health new check%%20%%60home-mounted%%60%%20failed\n' >>"$LEDGER"
expect_rc "status after a new alert in the ledger" 0 "$KOOMPI" status
check "AlertRaised for the new alert" wait_for 100 grep -q "Member=AlertRaised" "$T/monitor.out"
check "... with its text" grep -q 'STRING "check `home-mounted` failed";' "$T/monitor.out"
check "... and none for the one known before" test "$(grep -c "Member=AlertRaised" "$T/monitor.out")" -eq 1
check "PropertiesChanged for Alerts" grep -q 'STRING "Alerts";' "$T/monitor.out"
# A change of the ledger by someone else (koompi-health, an admin) is seen without a caller.
expect_rc "koompi-boot alerts raise" 0 "$K" --top "$TOP" --esp "$ESP" alerts raise health "check \`var-mounted\` failed"
check "AlertRaised follows the ledger, with no call" \
	wait_for 100 grep -q 'STRING "check `var-mounted` failed";' "$T/monitor.out"
check "... once" test "$(grep -c "Member=AlertRaised" "$T/monitor.out")" -eq 2

expect_rc "a second agent is refused" 2 "$AGENT" --config "$T/agent.conf" --top "$TOP" --esp "$ESP" --state "$T/boot.json"
check "... saying the name is taken" grep -q "taking org.koompi.Agent1 on the system bus failed" "$T/err"

# ---- health ----
printf '#!/bin/sh\necho checking /home\necho "/home is not mounted"\nexit 1\n' >"$T/health/required/home-mounted"
printf '#!/bin/sh\nexit 0\n' >"$T/health/required/root-read-only"
printf '#!/bin/sh\necho $$ >%s/hang.pid\nexec sleep 60\n' "$T" >"$T/health/wanted/hangs"
printf '#!/bin/sh\nexit 1\n' >"$T/health/wanted/switched-off"
chmod +x "$T/health/required/home-mounted" "$T/health/required/root-read-only" "$T/health/wanted/hangs"
expect_rc "health run: a required check failed (exit 4)" 4 "$KOOMPI" health run
check "text: the reason" grep -q "^Health: *failed: check \`home-mounted\` failed: /home is not mounted$" "$T/out"
expect_rc "koompi health --json" 4 "$KOOMPI" --json health
cp "$T/out" "$T/health.json"
check "each check's result" json_true "$T/health.json" \
	'[(c["name"], c["required"], c["state"]) for c in j["checks"]] == [("home-mounted", True, "failed"), ("root-read-only", True, "passed"), ("hangs", False, "timed-out")]'
check "a script that is not executable is no check" json_true "$T/health.json" \
	'"switched-off" not in [c["name"] for c in j["checks"]]'
check "the hanging check timed out, with the reason" json_true "$T/health.json" \
	'j["checks"][2]["reason"] == "check `hangs` failed: no result within 2s (it hangs)"'
check "the hanging check was killed" sh -c "! kill -0 \$(cat $T/hang.pid)"
check "the result kept under --state-dir" json_true "$T/state/health.json" 'j["state"] == "failed"'
expect_rc "Health property" 0 busctl_ get-property org.koompi.Agent1 /org/koompi/Agent1 org.koompi.Agent1 Health
check "... failed" grep -qx 's "failed"' "$T/out"
rm "$T/health/required/home-mounted"
expect_rc "health run: only a wanted check fails (exit 0)" 0 "$KOOMPI" health run
check "degraded" grep -q "^Health: *degraded: check \`hangs\` failed" "$T/out"
check "Progress as each check ended" wait_for 100 grep -q 'STRING "root-read-only";' "$T/monitor.out"

# ---- alerts ----
expect_rc "alerts ack of a missing alert (exit 2)" 2 "$KOOMPI" alerts ack 9
check "... names it" grep -q "no alert #9" "$T/err"
expect_rc "alerts ack 1 as root" 0 "$KOOMPI" alerts ack 1
check "... says so" grep -q "alert #1 acknowledged" "$T/out"
expect_rc "alerts --json" 0 "$KOOMPI" --json alerts
check "the other alerts are left" json_true "$T/out" '[a["seq"] for a in j] == [2, 3]'
expect_rc "alerts ack: every alert" 0 "$KOOMPI" alerts ack
check "... says so" grep -q "every alert acknowledged" "$T/out"
expect_rc "alerts --json" 0 "$KOOMPI" --json alerts
check "no alert left" json_true "$T/out" 'j == []'
expect_rc "the ledger has it acknowledged" 0 "$K" --top "$TOP" --esp "$ESP" --state "$T/boot.json" --json alerts
check "... acked" json_true "$T/out" '[a["acked"] for a in j["alerts"] if a["seq"] == 1] == [True]'

# ---- usage and a stopped agent ----
expect_rc "an unknown verb is bad usage (exit 1)" 1 "$KOOMPI" frobnicate
expect_rc "alerts ack with a bad number (exit 1)" 1 "$KOOMPI" alerts ack x
pids="$AGENT_PID $BUS_PID"
stop_agent
expect_rc "no agent: exit 2" 2 "$KOOMPI" status
check "... with what to do" grep -q "koompi-agent is not running: systemctl start koompi-agent" "$T/err"
agent_cleanup
check "neither the agent nor the bus is left running" sh -c "! kill -0 ${pids% *} && ! kill -0 ${pids#* }"
finish
