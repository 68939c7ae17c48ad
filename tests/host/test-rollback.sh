#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-boot rollback on a real Btrfs top level: the root named (or the previous good one)
# becomes the one systemd-boot starts, for good: the newer roots' entries are spent and the
# ledger marks them bad; a bad target is re-armed; what will boot is said, and `koompi-boot
# status` (which reads the ESP on its own) agrees; the next update is tried next again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"

if [ -z "$BUSYBOX" ]; then
	echo "test-rollback.sh: SKIPPED: no static busybox for the test roots"
	finish
	exit 0
fi
make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
add_shell_root @root-factory && add_shell_root @root-current || { not_ok "roots"; finish; exit 1; }
write_ledger "boot 1 1732400000 koompi-root-factory.conf @root-factory - good good -" \
	"boot 2 1732500000 koompi-root-current.conf @root-current - good good -"
make_kernel
make_esp_dir
boot_state @root-current
expect_rc "entries sync" 0 kb entries sync
expect_rc "update 1" 0 kb update --run 'echo one >/etc/version'
U1=$(newest_root)
expect_rc "update 2" 0 kb update --run 'echo two >/etc/version'
U2=$(newest_root)
check "update 2 boots next" test "$(next_boot)" = "$U2"

# ---- rollback NAME ----
expect_rc "rollback --dry-run @root-current" 0 kb --dry-run rollback @root-current
check "--dry-run changes nothing" test "$(next_boot)" = "$U2"
grep -q "would make @root-current the root booted next; the newer roots would be marked bad: $U2 $U1" "$T/out" &&
	ok "--dry-run says what would change" || not_ok "--dry-run says what would change" "$(cat "$T/out")"
expect_rc "rollback @root-current" 0 kb rollback @root-current
check "@root-current boots next (status agrees)" test "$(next_boot)" = @root-current
grep -q "^next boot: @root-current" "$T/out" && ok "what will boot is said" || not_ok "what will boot is said" "$(cat "$T/out")"
check "update 1's entry is spent" test "$(entry_of "$U1")" = "koompi-${U1#@}+0.conf"
check "update 2's entry is spent" test "$(entry_of "$U2")" = "koompi-${U2#@}+0.conf"
check "the ledger marks update 1 bad" grep -q "^mark .* $U1 bad rollback%20to%20@root-current" "$LEDGER"
check "the ledger marks update 2 bad" grep -q "^mark .* $U2 bad rollback%20to%20@root-current" "$LEDGER"
check "@root-current's entry is as it was (good: no counter)" test "$(entry_of @root-current)" = "koompi-root-current.conf"
check "consistent after the rollback" consistent
"$K" --top "$TOP" --esp "$ESP" --state "$STATE" --json status >"$T/status.json" 2>/dev/null
json_true "$T/status.json" "[s['state'] for s in j['snapshots'] if s['name'] == '$U2'] == ['bad']" &&
	ok "status shows the newer roots bad" || not_ok "status shows the newer roots bad" "$(cat "$T/status.json")"
ledger_before=$(cat "$LEDGER")
esp_before=$(tree_state "$ESP")
expect_rc "the same rollback again" 0 kb rollback @root-current
check "again changes nothing on the ESP" test "$esp_before" = "$(tree_state "$ESP")"
check "again adds nothing to the ledger" test "$ledger_before" = "$(cat "$LEDGER")"

# ---- rollback: the previous good root ----
expect_rc "rollback without a name" 0 kb rollback
check "the previous good root (factory) boots next" test "$(next_boot)" = @root-factory
check "the booted root's entry is spent" test "$(entry_of @root-current)" = "koompi-root-current+0.conf"
check "consistent after the second rollback" consistent
expect_rc "rollback from the oldest good root: exit status 2" 2 "$K" --top "$TOP" --esp "$ESP" \
	--state /nonexistent --options "$OPTS" --kernel "$T/vmlinuz" --initrd "$T/initrd.img" rollback

# ---- forward again: a bad target is re-armed ----
expect_rc "rollback to update 2" 0 kb rollback "$U2"
check "update 2 boots next" test "$(next_boot)" = "$U2"
check "its entry is re-armed (+3)" test "$(entry_of "$U2")" = "koompi-${U2#@}+3.conf"
check "the ledger re-arms it" grep -q "^mark .* $U2 rearm rollback" "$LEDGER"
"$K" --top "$TOP" --esp "$ESP" --state "$STATE" --json status >"$T/status.json" 2>/dev/null
json_true "$T/status.json" "[s['state'] for s in j['snapshots'] if s['name'] == '$U2'] == ['untested']" &&
	ok "status shows it untested again" || not_ok "status shows it untested again" "$(cat "$T/status.json")"
check "consistent after rolling forward" consistent

# ---- refusals ----
esp_before=$(tree_state "$ESP")
expect_rc "rollback to a root that does not exist: exit status 2" 2 kb rollback @root-nothing
expect_rc "rollback to @var: exit status 3" 3 kb rollback @var
btrfs -q subvolume create "$TOP/@root-wip" >/dev/null
expect_rc "rollback to a writable root: exit status 3" 3 kb rollback @root-wip
btrfs -q subvolume delete "$TOP/@root-wip" >/dev/null
expect_rc "rollback --once with --esp given: exit status 3" 3 kb rollback --once @root-factory
expect_rc "rollback --once without a name" 1 kb rollback --once
expect_rc "rollback with two names" 1 kb rollback a b
check "the refusals changed nothing on the ESP" test "$esp_before" = "$(tree_state "$ESP")"

# ---- a rollback holds until the next update ----
expect_rc "rollback to @root-factory" 0 kb rollback @root-factory
expect_rc "an update after the rollback" 0 kb update --run 'echo three >/etc/version'
U3=$(newest_root)
check "it was made from the root booted next (factory)" test "$(cat "$TOP/$U3/etc/version")" = three -a \
	"$(grep -c . "$TOP/$U3/etc/version")" -eq 1
grep -q "snapshot: @root-factory (the root booted next)" "$T/out" && ok "the update started from @root-factory" ||
	not_ok "the update started from @root-factory" "$(cat "$T/out")"
check "the update boots next" test "$(next_boot)" = "$U3"
check "consistent at the end" consistent

finish
