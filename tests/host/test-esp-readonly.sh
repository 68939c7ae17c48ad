#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An ESP mounted read-only (the kernel does it to a FAT it found an error in: errors=remount-ro):
# the verbs that write it refuse before any work, saying so with how to check the FAT and that
# `koompi-boot recover` finishes the rest (exit 5, nothing changed); status shows it; once it is
# writable again recover finishes the transaction that was left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"

make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
# Roots with a shell where there is a static busybox, for the update below.
for r in @root-factory @root-current; do
	if [ -n "$BUSYBOX" ]; then add_shell_root $r; else add_root $r; fi || { not_ok "roots"; finish; exit 1; }
done
write_ledger "boot 1 1732400000 koompi-root-factory.conf @root-factory - good good -"
make_kernel
# vfat when the kernel has it, else tmpfs: the same read-only mount either way.
ESP=$T/esp
mount_small_fs "$ESP" 8192 || { not_ok "a small ESP in a loop file"; finish; exit 1; }
mkdir -p "$ESP/loader"
boot_state @root-current
expect_rc "entries sync on the writable ESP ($SMALL_FS)" 0 kb entries sync
dev=$(findmnt -n -o SOURCE "$ESP")
status_json() { "$K" --top "$TOP" --esp "$ESP" --state "$STATE" --json status; }

# says_readonly NAME: the message, once, names the ESP, the kernel's log, fsck.fat on its device
# and recover.
says_readonly() {
	check "$1: says once that the ESP is read-only" test "$(grep -c "the ESP ($ESP) is read-only" "$T/err")" -eq 1
	check "$1: points at the kernel's log" grep -q 'journalctl -k' "$T/err"
	check "$1: says how to check it" grep -qF "fsck.fat -a $dev" "$T/err"
	check "$1: then recover" grep -q 'then run `koompi-boot recover`' "$T/err"
}

# A snapshot whose entry was never written: the transaction left for recover.
KOOMPI_FAULT_POINT=snapshot-made kb snapshot create >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 99 ] && ok "a snapshot stopped before its entry" || not_ok "a snapshot stopped before its entry" "exit $rc"
check "its transaction is left" test -e "$(journal)"
mount -o remount,ro "$ESP" || { not_ok "remounting the ESP read-only"; finish; exit 1; }
roots_before=$(roots)
esp_before=$(tree_state "$ESP")
journal_before=$(cat "$(journal)")

expect_rc "recover on a read-only ESP: exit 5" 5 kb recover
says_readonly recover
check "recover: nothing changed (roots, ESP, transaction)" test "$roots_before|$esp_before|$journal_before" = \
	"$(roots)|$(tree_state "$ESP")|$(cat "$(journal)")"
check "recover: no work started" test ! -s "$T/out"

expect_rc "entries sync on a read-only ESP: exit 5" 5 kb entries sync
says_readonly "entries sync"
expect_rc "snapshot create on a read-only ESP: exit 5" 5 kb snapshot create
says_readonly "snapshot create"
check "snapshot create: no new root" test "$roots_before" = "$(roots)"
expect_rc "prune on a read-only ESP: exit 5" 5 kb prune --keep 1
says_readonly prune
check "nothing changed on the ESP" test "$esp_before" = "$(tree_state "$ESP")"
check "the transaction is still there" test "$journal_before" = "$(cat "$(journal)")"

expect_rc "entries sync --dry-run on a read-only ESP" 0 kb entries sync --dry-run
expect_rc "status on a read-only ESP: exit 0" 0 status_json
check "status: esp_read_only" json_true "$T/out" 'j["esp_read_only"] is True'
says_readonly status

mount -o remount,rw "$ESP" || { not_ok "remounting the ESP writable"; finish; exit 1; }
expect_rc "status on the writable ESP" 0 status_json
check "status: not esp_read_only" json_true "$T/out" 'j["esp_read_only"] is False'
check "status: no warning" test ! -s "$T/err"
expect_rc "recover once the ESP is writable" 0 kb recover
check "recover finished the snapshot: its entry" grep -q "finishing the interrupted snapshot" "$T/out"
check "no transaction left" test ! -e "$(journal)"
check "consistent" consistent

# ---- the ESP turning read-only while an update runs (its command waits for the test) ----
if [ -z "$BUSYBOX" ]; then
	echo "skip the update: no static busybox to run its command"
	finish
	exit 0
fi
roots_before=$(roots)
kb update --run 'touch /etc/started; n=0; while [ ! -e /etc/go ] && [ $n -lt 60 ]; do sleep 1; n=$((n + 1)); done' \
	>"$T/out" 2>"$T/err" &
pid=$!
n=0
while [ -z "$(ls "$TOP"/@root-*/etc/started 2>/dev/null)" ] && [ $n -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
started=$(ls "$TOP"/@root-*/etc/started 2>/dev/null)
check "the update's command started" test -n "$started"
mount -o remount,ro "$ESP" || not_ok "remounting the ESP read-only during the update"
touch "${started%/started}/go"
wait $pid
rc=$?
[ "$rc" -eq 5 ] && ok "update: the ESP read-only before its entry: exit 5" || not_ok "update: exit 5" "exit $rc: $(cat "$T/err")"
says_readonly update
check "update: its root was deleted" test "$roots_before" = "$(roots)"
mount -o remount,rw "$ESP" || not_ok "remounting the ESP writable"
expect_rc "recover after the update" 0 kb recover
check "consistent after the update" consistent

finish
