# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the agent's host tests: a private D-Bus bus with the shipped policy, koompi-agent on
# it, both stopped by PID when the test ends. Sourced after lib.sh.
AGENT=$(dirname "$K")/koompi-agent
KOOMPI=$(dirname "$K")/koompi
FAKE_POLKITD=$(dirname "$K")/tests/fake-polkitd
BUS_PID=""
AGENT_PID=""
# Other processes a test starts in the background (a bus monitor), stopped with the rest.
BG_PIDS=""
# Readable by every uid: the socket is used by a caller of another uid.
BUSDIR=$(mktemp -d /tmp/koompi-bus.XXXXXX)
chmod 755 "$BUSDIR"

agent_cleanup() {
	for p in $BG_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BG_PIDS=""
	stop_agent
	if [ -n "$BUS_PID" ]; then
		kill "$BUS_PID" 2>/dev/null
		wait "$BUS_PID" 2>/dev/null
		BUS_PID=""
	fi
	rm -rf "$BUSDIR"
}
trap 'agent_cleanup; cleanup' EXIT INT TERM

# wait_for TRIES COMMAND...: runs the command every 0.1 s until it succeeds, at most TRIES times
# and never longer than 4 x TRIES / 10 + 10 seconds (the command may be a shell function: the
# counter has a name of its own, and the clock bounds the loop whatever the command does).
wait_for() {
	_wait_for_left=$1
	_wait_for_end=$(($(date +%s) + 4 * _wait_for_left / 10 + 10))
	shift
	while [ "$_wait_for_left" -gt 0 ] && [ "$(date +%s)" -le "$_wait_for_end" ]; do
		"$@" 2>/dev/null && return 0
		_wait_for_left=$((_wait_for_left - 1))
		sleep 0.1
	done
	return 1
}

# A bus like the system bus (method calls denied unless a policy allows them) with the
# shipped policy of org.koompi.Agent1 included, and BUS_EXTRA_POLICY (XML) when set;
# DBUS_SYSTEM_BUS_ADDRESS names it.
start_bus() {
	cat >"$BUSDIR/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$BUSDIR/socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <!-- For the tests' own bus monitor (root only, as dbus-daemon decides). -->
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <!-- For the tests' stand-in polkitd, asked by the agent (root). -->
  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
  <include>$(pwd)/config/org.koompi.Agent1.conf</include>
  ${BUS_EXTRA_POLICY:-}
</busconfig>
CONF
	dbus-daemon --config-file="$BUSDIR/bus.conf" --nofork --nopidfile --print-address=3 \
		3>"$BUSDIR/address" >"$BUSDIR/bus.log" 2>&1 &
	BUS_PID=$!
	wait_for 100 test -s "$BUSDIR/address" || return 1
	DBUS_SYSTEM_BUS_ADDRESS=$(head -n1 "$BUSDIR/address")
	export DBUS_SYSTEM_BUS_ADDRESS
}

# agent.conf for the tests: koompi-boot under test, the health folders in $T, no built-in
# check (they would judge the machine running the tests; test-health-builtin.sh gives them a
# world of their own), and LINES... (before that last part, so their line numbers are known)
write_agent_conf() {
	mkdir -p "$T/health/required" "$T/health/wanted"
	{
		printf '[agent]\nkoompi_boot = %s\n' "$K"
		printf '[health]\nrequired_dir = %s\nwanted_dir = %s\ntimeout = 2s\n' "$T/health/required" "$T/health/wanted"
		for line in "$@"; do
			printf '%s\n' "$line"
		done
		printf '[health]\nrequired_checks =\nwanted_checks =\n'
	} >"$T/agent.conf"
}

# start_agent [CONFIG [STATE]]: the agent on the bus, on $TOP and $ESP, with koompi-init's record
# STATE ($T/boot.json by default); returns once it serves (its log says so) or fails when it
# died first.
start_agent() {
	: >"$T/agent.log"
	"$AGENT" --config "${1:-$T/agent.conf}" --top "$TOP" --esp "$ESP" --state "${2:-$T/boot.json}" \
		--state-dir "$T/state" >"$T/agent.log" 2>&1 &
	AGENT_PID=$!
	wait_for 100 agent_serving
}

agent_serving() {
	grep -q "serving org.koompi.Agent1" "$T/agent.log" && return 0
	kill -0 "$AGENT_PID" 2>/dev/null || return 2
	return 1
}

stop_agent() {
	[ -n "$AGENT_PID" ] || return 0
	kill "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=""
}

# koompi as another uid, with no groups but its own.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# A booted system's record and a ledger with one unacknowledged alert.
make_agent_world() {
	make_top @root-factory @root-current || return 1
	make_esp_dir
	printf '{"snapshot":"@root-current","entry":"koompi-root-current.conf","counting":false,"ledger_seq":2,"fallback":true,"timeline":[]}\n' \
		>"$T/boot.json"
	write_ledger "boot 1 1732400000 koompi-root-factory.conf @root-factory - switched good -" \
		"boot 2 1732400100 koompi-root-current.conf @root-current - switched in-progress fallback" \
		"alert 1 1732400100 fallback new @root-new%20failed%203%20boots%20in%20a%20row"
}

# start_polkitd yes|no DELAY_MS: the stand-in polkitd, answering so after DELAY_MS.
start_polkitd() {
	"$FAKE_POLKITD" "$1" "$2" >"$T/polkitd.log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	POLKITD_PID=$!
	wait_for 100 grep -q "^ready$" "$T/polkitd.log"
}

stop_polkitd() {
	kill "$POLKITD_PID" 2>/dev/null
	wait "$POLKITD_PID" 2>/dev/null
}

# kill_group PID: ends a health check the agent can no longer end (the agent was killed), with
# what it started. /bin/kill: the shell's own may not take a process group.
kill_group() {
	/bin/kill -s KILL -- "-$1" 2>/dev/null
}
