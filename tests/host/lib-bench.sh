# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced first by the agent's benches, from the top of the tree, before lib.sh.
# bench_begin NAME BIN: the koompi-boot BIN is built and we are root (loop devices, Btrfs), or
# the bench ends saying so; KOOMPI_BOOT names BIN for lib.sh.
bench_begin() {
	[ -x "$2" ] || { echo "$1: $2 is not built (make $2)" >&2; exit 1; }
	[ "$(id -u)" = 0 ] || { echo "$1: needs root (loop devices, Btrfs)" >&2; exit 1; }
	KOOMPI_BOOT=$(readlink -f "$2")
}
