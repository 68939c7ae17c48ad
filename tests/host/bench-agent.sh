#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figures of koompi-agent on a private bus over a real Btrfs in a loop file (as root):
#   - time from start to the name taken on the bus (ready);
#   - resident memory when idle (VmRSS; target: at most 8 MiB);
#   - wakeups while idle: context switches over the idle period (target: none);
#   - `koompi status` latency, median of 20 runs;
# and beside them the same for PackageKit's packagekitd when it is installed, idle on the same bus.
# Usage: sh tests/host/bench-agent.sh [--idle SEC] [KOOMPI_BOOT]   (default 60 s of idling)
set -u
idle=60
bin=build/koompi-boot
while [ $# -gt 0 ]; do
	case $1 in
	--idle) idle=$2; shift ;;
	*) bin=$1 ;;
	esac
	shift
done
cd "$(dirname "$0")/../.." || exit 1
. tests/host/lib-bench.sh
bench_begin bench-agent "$bin"
. tests/host/lib.sh
. tests/host/lib-agent.sh

now_ms() { date +%s%3N; }
# idle_figures PID NAME: its VmRSS and its context switches over $idle seconds of idling.
idle_figures() {
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status")
	before=$(awk '/ctxt_switches:/ {n += $2} END {print n}' "/proc/$1/status")
	sleep "$idle"
	after=$(awk '/ctxt_switches:/ {n += $2} END {print n}' "/proc/$1/status")
	printf '%-12s idle RSS %6d KiB, %d wakeups in %d s\n' "$2" "$rss" $((after - before)) "$idle"
}

# prop_latency NAME PATH INTERFACE PROPERTY LABEL: median of 20 property reads with busctl.
prop_latency() {
	for i in $(seq 20); do
		s=$(now_ms)
		busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" get-property "$1" "$2" "$3" "$4" >/dev/null
		echo $(($(now_ms) - s))
	done | sort -n | sed -n 10p | xargs printf '%-12s property read (busctl), median of 20: %d ms\n' "$5"
}

pk=$(command -v packagekitd || ls /usr/libexec/packagekitd /usr/lib/packagekit/packagekitd 2>/dev/null | head -n1)
# PackageKit's own bus policy, as its package installs it.
BUS_EXTRA_POLICY='<include ignore_missing="yes">/etc/dbus-1/system.d/org.freedesktop.PackageKit.conf</include>
  <include ignore_missing="yes">/usr/share/dbus-1/system.d/org.freedesktop.PackageKit.conf</include>'
make_agent_world || { echo "bench-agent: no Btrfs top level" >&2; exit 1; }
start_bus || { echo "bench-agent: no bus" >&2; exit 1; }
write_agent_conf
t0=$(now_ms)
start_agent || { echo "bench-agent: the agent did not start" >&2; exit 1; }
printf 'koompi-agent  start to ready %d ms\n' $(($(now_ms) - t0))
for i in $(seq 20); do
	s=$(now_ms)
	"$KOOMPI" status >/dev/null
	echo $(($(now_ms) - s))
done | sort -n | sed -n 10p | xargs printf 'koompi status latency, median of 20: %d ms\n'
idle_figures "$AGENT_PID" koompi-agent
prop_latency org.koompi.Agent1 /org/koompi/Agent1 org.koompi.Agent1 Version koompi-agent
if [ -n "$pk" ]; then
	# packagekitd will not start without a polkit authority on its bus: the stand-in answers.
	start_polkitd yes 0 || echo "bench-agent: the stand-in polkitd did not start" >&2
	t0=$(now_ms)
	# Its polkit client ignores DBUS_SYSTEM_BUS_ADDRESS and dials the standard socket: in a
	# mount namespace of its own, that path leads to the private bus (the host's is untouched).
	unshare -m --propagation private sh -c 'mkdir -p /run/dbus && mount -t tmpfs tmpfs /run/dbus &&
		ln -s "$1" /run/dbus/system_bus_socket && exec "$2"' sh "$BUSDIR/socket" "$pk" >"$T/packagekitd.log" 2>&1 &
	pk_pid=$!
	BG_PIDS="$BG_PIDS $pk_pid"
	if wait_for 300 busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.freedesktop.PackageKit >/dev/null; then
		printf 'packagekitd  start to ready %d ms\n' $(($(now_ms) - t0))
		idle_figures "$pk_pid" packagekitd
		prop_latency org.freedesktop.PackageKit /org/freedesktop/PackageKit org.freedesktop.PackageKit \
			VersionMajor packagekitd
	else
		echo "packagekitd  not measured: it did not take its name:"
		sed 's/^/    /' "$T/packagekitd.log"
	fi
else
	echo "packagekitd  not measured: not installed (Debian package packagekit)"
fi
