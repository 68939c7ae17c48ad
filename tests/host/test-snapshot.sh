#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-boot snapshot create, delete, pin and unpin on a real Btrfs top level: names, the
# entry of a new snapshot, the roots delete refuses (booted, booted next, last good, boot.conf's,
# pinned), subvolumes that are not roots out of reach, pins that follow the subvolume.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"

if [ -z "$BUSYBOX" ]; then
	echo "test-snapshot.sh: SKIPPED: no static busybox for the test roots"
	finish
	exit 0
fi
make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
for r in @root-old @root-spare @root-factory @root-current; do
	add_shell_root $r || { not_ok "roots"; finish; exit 1; }
done
btrfs -q subvolume create "$TOP/@home" >/dev/null
echo homework >"$TOP/@home/student.txt"
write_ledger "boot 1 1732400000 koompi-root-factory.conf @root-factory - good good -"
make_kernel
make_esp_dir
boot_state @root-current
expect_rc "entries sync" 0 kb entries sync
# The current root was blessed: known good.
mv "$ESP/loader/entries/koompi-root-current+3.conf" "$ESP/loader/entries/koompi-root-current.conf"
printf '[boot]\nsnapshot = @root-old\n' >"$T/boot.conf"
cur_before=$(tree_state "$TOP/@root-current")

# ---- create ----
expect_rc "snapshot create" 0 kb snapshot create
s1=$(newest_root)
echo "$s1" | grep -Eqx '@root-[0-9]{4}-[0-9]{2}-[0-9]{2}' && ok "named after the day ($s1)" || not_ok "named after the day" "$s1"
check "read-only" is_ro "$s1"
check "a copy of the current root" test "$(cat "$TOP/$s1/etc/version")" = base
check "@root-current untouched" test "$cur_before" = "$(tree_state "$TOP/@root-current")"
check "a copy of a good root is good: its entry has no counter" test "$(entry_of "$s1")" = "koompi-${s1#@}.conf"
check "the ledger says why" grep -q "^mark .* $s1 good snapshot%20of%20@root-current" "$LEDGER"
check "it boots next" test "$(next_boot)" = "$s1"
grep -q "boots next (the same contents as @root-current)" "$T/out" && ok "and says so" || not_ok "and says so" "$(cat "$T/out")"
check "consistent after snapshot create" consistent

expect_rc "snapshot create term1" 0 kb snapshot create term1
check "the prefix is added" test -d "$TOP/@root-term1" -a "$(newest_root)" = @root-term1
check "a copy of the good snapshot is good too" test "$(entry_of @root-term1)" = koompi-root-term1.conf
expect_rc "the same name again: exit status 3" 3 kb snapshot create term1
expect_rc "a name giving the same entry: exit status 3" 3 kb snapshot create @root-TERM1
expect_rc "a name with a space: exit status 1" 1 kb snapshot create "term 2"
expect_rc "a name with a slash: exit status 1" 1 kb snapshot create "../@home"
expect_rc "snapshot create --dry-run" 0 kb --dry-run snapshot create term2
check "--dry-run makes nothing" test ! -e "$TOP/@root-term2"

# ---- delete: the refusals ----
esp_before=$(tree_state "$ESP")
roots_before=$(roots)
expect_rc "delete the booted root: exit status 3" 3 kb snapshot delete @root-current
grep -q "booted" "$T/err" && ok "the refusal says booted" || not_ok "the refusal says booted" "$(cat "$T/err")"
expect_rc "delete the root booted next: exit status 3" 3 kb snapshot delete term1
grep -q "boots next" "$T/err" && ok "the refusal says boots next" || not_ok "the refusal says boots next" "$(cat "$T/err")"
expect_rc "delete the last good root: exit status 3" 3 kb snapshot delete @root-factory
grep -q "last good" "$T/err" && ok "the refusal says last good" || not_ok "the refusal says last good" "$(cat "$T/err")"
expect_rc "delete boot.conf's snapshot: exit status 3" 3 kb --config "$T/boot.conf" snapshot delete @root-old
grep -q "configured default" "$T/err" && ok "the refusal says configured default" || not_ok "the refusal says configured" "$(cat "$T/err")"
expect_rc "delete @var: exit status 3" 3 kb snapshot delete @var
expect_rc "delete @home: exit status 3" 3 kb snapshot delete @home
expect_rc "delete a root that does not exist: exit status 2" 2 kb snapshot delete @root-nothing
check "the refusals changed no root" test "$roots_before" = "$(roots)"
check "the refusals changed nothing on the ESP" test "$esp_before" = "$(tree_state "$ESP")"
check "@var and @home are there" test -d "$TOP/@var/lib/koompi" -a -f "$TOP/@home/student.txt"

# ---- pin, unpin ----
expect_rc "snapshot pin" 0 kb snapshot pin "$s1"
check "the pin is recorded by UUID, with the name for people" grep -Eq "^[0-9a-f-]{36} $s1\$" "$TOP/@var/lib/koompi/pinned"
expect_rc "pin again" 0 kb snapshot pin "$s1"
grep -q "already pinned" "$T/out" && ok "pin again says already pinned" || not_ok "pin again" "$(cat "$T/out")"
expect_rc "delete a pinned root: exit status 3" 3 kb snapshot delete "$s1"
grep -q "unpin" "$T/err" && ok "the refusal says to unpin it" || not_ok "the refusal says to unpin" "$(cat "$T/err")"
expect_rc "pin a root that does not exist: exit status 2" 2 kb snapshot pin @root-nothing
expect_rc "pin @home: exit status 3" 3 kb snapshot pin @home
expect_rc "snapshot unpin" 0 kb snapshot unpin "$s1"
expect_rc "unpin again" 0 kb snapshot unpin "$s1"
grep -q "is not pinned" "$T/out" && ok "unpin again says not pinned" || not_ok "unpin again" "$(cat "$T/out")"

# A pin follows the subvolume, not its name.
expect_rc "pin @root-spare" 0 kb snapshot pin spare
mv "$TOP/@root-spare" "$TOP/@root-spare2"
expect_rc "entries sync after a rename by hand" 0 kb entries sync
expect_rc "the renamed root is still pinned" 3 kb snapshot delete @root-spare2
expect_rc "unpin it" 0 kb snapshot unpin @root-spare2

# ---- delete ----
expect_rc "delete --dry-run" 0 kb --dry-run snapshot delete "$s1"
check "--dry-run deletes nothing" test -d "$TOP/$s1"
expect_rc "delete a root" 0 kb snapshot delete "$s1"
check "the root is gone" test ! -e "$TOP/$s1"
check "its entry is gone" test -z "$(entry_of "$s1")"
expect_rc "delete a root named without its prefix" 0 kb snapshot delete spare2
check "it is gone" test ! -e "$TOP/@root-spare2"
check "consistent after the deletions" consistent
check "@root-current untouched by it all" test "$cur_before" = "$(tree_state "$TOP/@root-current")"

# ---- usage ----
expect_rc "snapshot alone" 1 kb snapshot
expect_rc "snapshot delete without a name" 1 kb snapshot delete
expect_rc "snapshot create with two names" 1 kb snapshot create a b
expect_rc "snapshot frobnicate" 1 kb snapshot frobnicate x

finish
