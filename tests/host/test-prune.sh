#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-boot prune after fifteen updates: the newest N roots are kept, and always the booted
# root, the last good one, the one booted next, a pinned one and one in trial; the others go,
# with their entries and the kernels no entry uses any more.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"

if [ -z "$BUSYBOX" ]; then
	echo "test-prune.sh: SKIPPED: no static busybox to run commands in the test roots"
	finish
	exit 0
fi
make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
truncate -s 1G "$T/btrfs.img" && btrfs -q filesystem resize max "$TOP" >/dev/null
add_shell_root @root-factory && add_shell_root @root-current || { not_ok "roots with a shell"; finish; exit 1; }
btrfs -q subvolume create "$TOP/@home" >/dev/null
echo homework >"$TOP/@home/student.txt"
write_ledger "boot 1 1732400000 koompi-root-factory.conf @root-factory - good good -"
make_kernel
make_esp_dir
boot_state @root-current
expect_rc "entries sync before the updates" 0 kb entries sync
home_before=$(tree_state "$TOP/@home")

# Fifteen updates: the first installs kernel A, the fifth replaces it with kernel B.
i=1
failed=0
while [ $i -le 15 ]; do
	case $i in
	1) cmd='mkdir -p /usr/lib/modules/6.1.0-p && echo "kernel A" >/usr/lib/modules/6.1.0-p/vmlinuz' ;;
	5) cmd='echo "kernel B" >/usr/lib/modules/6.1.0-p/vmlinuz' ;;
	*) cmd=true ;;
	esac
	kb update --run "$cmd; echo $i >/etc/version" >"$T/out" 2>"$T/err" || failed=$((failed + 1))
	eval "U$i=\$(newest_root)"
	i=$((i + 1))
done
check "fifteen updates" test "$failed" -eq 0 -a "$(nroots)" -eq 17
check "consistent after fifteen updates" consistent
check "three kernels on the ESP (the test one, A, B)" test "$(ls "$ESP/koompi" | wc -l)" -eq 3
check "the fifteenth boots next" test "$(next_boot)" = "$U15"

# Update 2 is a baseline; update 3 was started once by systemd-boot and is in trial.
expect_rc "snapshot pin" 0 kb snapshot pin "$U2"
e3=$(entry_of "$U3")
mv "$ESP/loader/entries/$e3" "$ESP/loader/entries/${e3%+3.conf}+2-1.conf"

# ---- dry run ----
roots_before=$(roots)
esp_before=$(tree_state "$ESP")
expect_rc "prune --dry-run" 0 kb prune --keep 10 --dry-run
check "--dry-run deletes nothing" test "$roots_before" = "$(roots)"
check "--dry-run leaves the ESP as it was" test "$esp_before" = "$(tree_state "$ESP")"
check "--dry-run says what would go" test "$(grep -c '^  would delete' "$T/out")" -eq 3

# ---- prune --keep 10 ----
expect_rc "prune --keep 10" 0 kb prune --keep 10
cp "$T/out" "$T/prune.out"
for r in "$U1" "$U4" "$U5"; do
	check "deleted: $r" test ! -e "$TOP/$r" -a -z "$(entry_of "$r")"
done
i=6
while [ $i -le 15 ]; do
	eval "r=\$U$i"
	check "kept, among the 10 newest: $r" test -e "$TOP/$r"
	i=$((i + 1))
done
check "kept: the booted root" test -e "$TOP/@root-current"
check "kept: the last good root" test -e "$TOP/@root-factory"
check "kept: the pinned root" test -e "$TOP/$U2"
check "kept: the root in trial" test -e "$TOP/$U3"
check "fourteen roots left" test "$(nroots)" -eq 14
check "the in-trial entry keeps its counter" test "$(entry_of "$U3")" = "${e3%+3.conf}+2-1.conf"
grep -q "keep   @root-current *booted, configured default" "$T/prune.out" &&
	grep -q "keep   @root-factory *last good" "$T/prune.out" && grep -q "keep   $U2 *pinned" "$T/prune.out" &&
	grep -q "keep   $U3 *in trial" "$T/prune.out" && grep -q "keep   $U15 *newest, boots next" "$T/prune.out" &&
	ok "each kept root is said with its reasons" || not_ok "each kept root is said with its reasons" "$(cat "$T/prune.out")"
check "consistent after the prune" consistent
check "kernel A is kept: the pinned and in-trial roots use it" test "$(ls "$ESP/koompi" | wc -l)" -eq 3
check "the fifteenth still boots next" test "$(next_boot)" = "$U15"
check "@home is untouched" test "$home_before" = "$(tree_state "$TOP/@home")"
check "@var and @home are still there" test -d "$TOP/@var/lib/koompi" -a -f "$TOP/@home/student.txt"

# ---- again: nothing to do ----
esp_before=$(tree_state "$ESP")
expect_rc "prune again" 0 kb prune --keep 10
grep -q "nothing to prune" "$T/out" && ok "nothing to prune the second time" || not_ok "nothing to prune" "$(cat "$T/out")"
check "the ESP is as it was" test "$esp_before" = "$(tree_state "$ESP")"

# ---- unpinned and out of trial: they go, and kernel A with them ----
expect_rc "snapshot unpin" 0 kb snapshot unpin "$U2"
e3=$(entry_of "$U3")
mv "$ESP/loader/entries/$e3" "$ESP/loader/entries/${e3%+2-1.conf}+0-3.conf"
expect_rc "prune after unpinning" 0 kb prune --keep 10
check "the unpinned root is deleted" test ! -e "$TOP/$U2"
check "the spent root is deleted" test ! -e "$TOP/$U3"
check "kernel A, used by no entry now, is deleted" test "$(ls "$ESP/koompi" | wc -l)" -eq 2
check "no entry names kernel A" test -z "$(grep -l "kernel A" "$ESP"/koompi/*/vmlinuz)"
check "consistent after the second prune" consistent

# ---- the default and usage ----
expect_rc "prune with the default (10)" 0 kb prune
grep -q "keeping the newest 10 roots" "$T/out" && grep -q "nothing to prune" "$T/out" && ok "the default keeps 10" ||
	not_ok "the default keeps 10" "$(cat "$T/out")"
expect_rc "prune --keep 0 is refused" 1 kb prune --keep 0
expect_rc "prune --keep x is refused" 1 kb prune --keep x
expect_rc "prune with a stray word" 1 kb prune all
expect_rc "prune --keep 1" 0 kb prune --keep 1
check "--keep 1: the newest, the booted and the last good root are left" test \
	"$(roots | sort | tr '\n' ' ')" = "$(printf '%s\n' @root-current @root-factory "$U15" | sort | tr '\n' ' ')"
check "consistent after --keep 1" consistent

finish
