#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent goes away while koompi waits for it: killed and started again in the middle of a
# call (koompi asks again once it is back, and says so), or stopped and not answering (koompi
# gives up after its --timeout with a clear message). Never a hang: every client runs under
# timeout(1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-agent.sh"

[ -x "$AGENT" ] && [ -x "$KOOMPI" ] || { not_ok "koompi-agent and koompi are built" "make all"; finish; exit 1; }
make_agent_world || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a private bus" start_bus
write_agent_conf
sed -i 's/^timeout = 2s$/timeout = 30s/' "$T/agent.conf"
# Hangs the first time (the agent is then busy with the caller's RunHealth), passes after.
cat >"$T/health/required/hangs-once" <<SCRIPT
#!/bin/sh
[ -e "$T/hung-once" ] && exit 0
echo \$\$ >"$T/hung-once"
exec sleep 60
SCRIPT
chmod +x "$T/health/required/hangs-once"
check "the agent starts" start_agent

timeout 60 "$KOOMPI" health run >"$T/client.out" 2>"$T/client.err" &
client=$!
check "the client's call is being answered (the check runs)" wait_for 100 test -s "$T/hung-once"
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
AGENT_PID=""
kill_group "$(cat "$T/hung-once")"
check "the agent starts again" start_agent
wait "$client"
rc=$?
if [ "$rc" -eq 0 ]; then ok "the waiting client got its answer from the new agent"; else not_ok "the waiting client got its answer from the new agent" "exit $rc: $(cat "$T/client.err")"; fi
check "... and said it asked again" grep -q "koompi-agent stopped while answering RunHealth; asking again once it is back" "$T/client.err"
check "... the answer is the second run's" grep -q "^Health: *ok$" "$T/client.out"

# Stopped: the call times out, with what to do.
kill -STOP "$AGENT_PID"
expect_rc "a stopped agent: koompi gives up after --timeout (exit 2)" 2 timeout 30 "$KOOMPI" --timeout 1 status
check "... saying the agent did not answer and what to do" \
	grep -q "koompi-agent did not answer GetStatus within 1 s: systemctl status koompi-agent" "$T/err"
kill -CONT "$AGENT_PID"
expect_rc "continued, it answers again" 0 timeout 30 "$KOOMPI" status

# Killed and not started again: the retry gives up within its bound.
rm -f "$T/hung-once"
timeout 60 "$KOOMPI" health run >"$T/client.out" 2>"$T/client.err" &
client=$!
check "a second call is being answered" wait_for 100 test -s "$T/hung-once"
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
AGENT_PID=""
kill_group "$(cat "$T/hung-once")"
wait "$client"
rc=$?
if [ "$rc" -eq 2 ]; then ok "the agent does not come back: exit 2"; else not_ok "the agent does not come back: exit 2" "exit $rc"; fi
check "... saying so, with what to do" \
	grep -q "koompi-agent did not come back within 5 s: systemctl status koompi-agent" "$T/client.err"
finish
