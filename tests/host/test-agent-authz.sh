#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Who may do what through koompi-agent, decided from the bus credentials (no polkitd on the
# private bus): a caller of another uid with no group of a role reads but may not change; the
# same caller in the teacher group may.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-agent.sh"

[ -x "$AGENT" ] && [ -x "$KOOMPI" ] || { not_ok "koompi-agent and koompi are built" "make all"; finish; exit 1; }
command -v setpriv >/dev/null || { not_ok "setpriv is installed (util-linux)"; finish; exit 1; }
make_agent_world || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a private bus" start_bus
write_agent_conf
check "the agent starts" start_agent

expect_rc "a student reads the status" 0 as_nobody "$KOOMPI" --json status
check "... with the booted root and the alert" json_true "$T/out" \
	'j["booted_root"] == "@root-current" and [a["seq"] for a in j["alerts"]] == [1]'
expect_rc "a student reads the health" 0 as_nobody "$KOOMPI" health
expect_rc "a student reads the alerts" 0 as_nobody "$KOOMPI" alerts
expect_rc "a student may not acknowledge an alert (exit 3)" 3 as_nobody "$KOOMPI" alerts ack 1
check "... told which group it needs" grep -qx "koompi: not allowed: needs the koompi-admin or koompi-teacher group" "$T/err"
expect_rc "a student may not acknowledge every alert (exit 3)" 3 as_nobody "$KOOMPI" alerts ack
expect_rc "a student may not run the checks (exit 3)" 3 as_nobody "$KOOMPI" health run
check "... told which group it needs" grep -q "not allowed: needs the koompi-admin or koompi-teacher group" "$T/err"
expect_rc "the alert is still there" 0 "$KOOMPI" --json alerts
check "... unacknowledged" json_true "$T/out" '[a["seq"] for a in j] == [1]'
expect_rc "a student calling the bus directly is refused the same way" 1 as_nobody \
	dbus-send --system --print-reply --dest=org.koompi.Agent1 /org/koompi/Agent1 \
	org.koompi.Agent1.AcknowledgeAlert uint64:1
check "... AccessDenied, naming the groups" \
	grep -q "org.freedesktop.DBus.Error.AccessDenied: not allowed: needs the koompi-admin or koompi-teacher group" "$T/err"
expect_rc "nobody but root owns the name (the shipped policy)" 1 as_nobody \
	busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
	org.freedesktop.DBus RequestName su org.koompi.Agent1 0
check "... refused by the bus" grep -qi "access denied" "$T/err"

# The same uid as a teacher: its own group is the teacher group.
stop_agent
write_agent_conf "[access]" "teacher_group = $(id -gn 65534)"
check "the agent starts with nobody's group as the teachers'" start_agent
expect_rc "a teacher acknowledges the alert" 0 as_nobody "$KOOMPI" alerts ack 1
expect_rc "... and it is gone" 0 "$KOOMPI" --json alerts
check "... from the agent's answer" json_true "$T/out" 'j == []'
expect_rc "a teacher runs the checks" 0 as_nobody "$KOOMPI" health run
finish
