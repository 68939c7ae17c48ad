#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-agent with a polkitd on the bus (a stand-in that answers yes or no): polkit decides on
# changes, not the groups; root is never asked; polkit = no in agent.conf leaves it to the
# groups; and while polkit takes its time the agent answers everyone else.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-agent.sh"

[ -x "$AGENT" ] && [ -x "$KOOMPI" ] && [ -x "$FAKE_POLKITD" ] ||
	{ not_ok "koompi-agent, koompi and the stand-in polkitd are built" "make all build/tests/fake-polkitd"; finish; exit 1; }
make_agent_world || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a private bus" start_bus
write_agent_conf "[access]" "teacher_group = $(id -gn 65534)"
check "the agent starts" start_agent

check "polkitd says yes" start_polkitd yes 0
expect_rc "reads need no polkit" 0 as_nobody "$KOOMPI" status
check "... polkit was not asked" sh -c "! grep -q asked '$T/polkitd.log'"
expect_rc "polkit allows: the teacher runs the checks" 0 as_nobody "$KOOMPI" health run
check "... polkit was asked for its action" grep -q "^asked org.koompi.agent.run-health$" "$T/polkitd.log"
expect_rc "root acknowledges without polkit" 0 "$KOOMPI" alerts ack 1
check "... polkit was not asked for it" sh -c "! grep -q acknowledge-alert '$T/polkitd.log'"
stop_polkitd

check "polkitd says no" start_polkitd no 0
expect_rc "polkit refuses: the teacher's group does not count then (exit 3)" 3 as_nobody "$KOOMPI" health run
check "... with the refusal" grep -q "not allowed: needs the koompi-admin or" "$T/err"
check "... polkit was asked" grep -q "^asked org.koompi.agent.run-health$" "$T/polkitd.log"
stop_polkitd

# polkit slow to decide (a person typing a password): the agent goes on answering.
check "polkitd takes 5 s to say yes" start_polkitd yes 5000
timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups "$KOOMPI" health run >"$T/slow.out" 2>"$T/slow.err" &
slow=$!
check "polkit is deciding" wait_for 100 grep -q "^asked org.koompi.agent.run-health$" "$T/polkitd.log"
expect_rc "meanwhile the agent answers status" 0 timeout 30 "$KOOMPI" --timeout 3 status
check "... before polkit has decided" kill -0 "$slow"
wait "$slow"
rc=$?
if [ "$rc" -eq 0 ]; then ok "the waiting caller is served once polkit says yes"; else not_ok "the waiting caller is served once polkit says yes" "exit $rc: $(cat "$T/slow.err")"; fi
stop_polkitd

# polkit = no: the groups decide although polkitd is there.
stop_agent
check "polkitd says no" start_polkitd no 0
write_agent_conf "[access]" "teacher_group = $(id -gn 65534)" "polkit = no"
check "the agent starts with polkit = no" start_agent
expect_rc "the teacher's group decides: allowed" 0 as_nobody "$KOOMPI" health run
check "... polkit was not asked" sh -c "! grep -q asked '$T/polkitd.log'"
finish
