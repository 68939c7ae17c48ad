# SPDX-License-Identifier: LGPL-2.1-or-later
# The figures a host test prints beside its checks (time and memory of a step, for the notes),
# never checked themselves. Sourced after lib.sh.
# timed WHAT COMMAND...: runs it under GNU time; "figure: WHAT: S s, peak RSS K KiB" on stderr.
timed() {
	what=$1
	shift
	/usr/bin/time -f '%e %M' -o "$T/time" "$@"
	rc=$?
	read -r secs kib <"$T/time" 2>/dev/null
	echo "figure: $what: ${secs:-?} s, peak RSS ${kib:-?} KiB" >&2
	return $rc
}
