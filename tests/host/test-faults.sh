#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Crash safety of the verbs that change roots: koompi-boot is made to exit at each of its fault
# points ($KOOMPI_FAULT_POINT), as a power cut would stop it there. Right after each crash the
# machine still boots a complete root and @root-current is untouched; after the next run
# (koompi-boot recover, or any verb that changes roots) no half root, stale entry or journal is
# left, and the transaction is either undone (before the new root was sealed) or finished.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"

if [ -z "$BUSYBOX" ]; then
	echo "test-faults.sh: SKIPPED: no static busybox to run commands in the test roots"
	finish
	exit 0
fi
make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
truncate -s 1G "$T/btrfs.img" && btrfs -q filesystem resize max "$TOP" >/dev/null
# Old roots for the deletions, then the factory root (booted well once) and the current one.
for r in @root-junk1 @root-junk2 @root-junk3 @root-junk4 @root-junk5 @root-factory @root-current; do
	add_shell_root $r || { not_ok "a root with a shell"; finish; exit 1; }
done
write_ledger "boot 1 1732400000 koompi-root-factory.conf @root-factory - good good -"
make_kernel
make_esp_dir
boot_state @root-current
expect_rc "entries sync before the crashes" 0 kb entries sync
check "consistent to begin with" consistent
cur_before=$(tree_state "$TOP/@root-current")

# bootable: the root booted next exists, is read-only, and its entry's files are there.
bootable() {
	n=$(next_boot)
	[ -n "$n" ] && [ "$n" != None ] && is_ro "$n" || { echo "next boot: '$n'"; return 1; }
	e=$(entry_of "$n")
	for k in linux initrd; do
		f=$(sed -n "s|^$k /||p" "$ESP/loader/entries/$e")
		[ -s "$ESP/$f" ] || { echo "$e: $k $f missing"; return 1; }
	done
	[ "$cur_before" = "$(tree_state "$TOP/@root-current")" ] || { echo "@root-current changed"; return 1; }
	is_ro @root-current || { echo "@root-current is writable"; return 1; }
}

# crash POINT VERB...: runs the verb, which must stop at POINT (status 99).
crash() {
	p=$1
	shift
	KOOMPI_FAULT_POINT=$p kb "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 99 ]; then ok "$p: koompi-boot stops there"; else not_ok "$p: koompi-boot stops there" "exit $rc: $(cat "$T/err")"; fi
	check "$p: the machine still boots a complete root, @root-current untouched" bootable
}

# ---- update ----
for p in esp-checked marked snapshot command initramfs read-only sealed entry; do
	roots_before=$(roots)
	esp_before=$(tree_state "$ESP")
	next_before=$(next_boot)
	crash "$p" update --run "mkdir -p /usr/lib/modules/6.1.0-f && echo 'kernel $p' >/usr/lib/modules/6.1.0-f/vmlinuz && echo '$p' >/etc/version"
	case $p in
	esp-checked | marked | snapshot | command | initramfs | read-only | sealed)
		check "$p: the ESP is as it was" test "$esp_before" = "$(tree_state "$ESP")"
		check "$p: the root booted next is the same" test "$next_before" = "$(next_boot)"
		;;
	esac
	expect_rc "$p: koompi-boot recover" 0 kb recover
	check "$p: consistent after recovery" consistent
	case $p in
	esp-checked | marked | snapshot | command | initramfs | read-only)
		check "$p: undone: the same roots" test "$roots_before" = "$(roots)"
		check "$p: undone: the ESP as it was" test "$esp_before" = "$(tree_state "$ESP")"
		;;
	sealed | entry)
		new=$(newest_root)
		check "$p: finished: one new root" test "$(roots | wc -l)" -eq $(($(echo "$roots_before" | wc -l) + 1))
		check "$p: finished: it holds the change" test "$(cat "$TOP/$new/etc/version")" = "$p"
		check "$p: finished: a counting entry" test "$(entry_of "$new")" = "koompi-${new#@}+3.conf"
		check "$p: finished: it boots next" test "$(next_boot)" = "$new"
		check "$p: finished: its kernel" grep -rqx "kernel $p" "$ESP/koompi"
		;;
	esac
done
expect_rc "recover with nothing to recover" 0 kb recover
grep -q "nothing to recover" "$T/out" && ok "recover says there was nothing" || not_ok "recover says there was nothing" "$(cat "$T/out")"

# The next update cleans up by itself.
roots_before=$(roots)
crash command update --run 'echo half >/etc/version'
expect_rc "the next update after a crash" 0 kb update --run 'echo whole >/etc/version'
grep -q "^recover: deleted" "$T/out" && ok "it deleted the half root first" || not_ok "it deleted the half root first" "$(cat "$T/out")"
check "then made its own" test "$(cat "$TOP/$(newest_root)/etc/version")" = whole
check "one root more, not two" test "$(roots | wc -l)" -eq $(($(echo "$roots_before" | wc -l) + 1))
check "consistent after the next update" consistent

# A damaged journal is not guessed at.
echo garbage >"$(journal)"
expect_rc "a damaged journal: exit status 2" 2 kb recover
rm -f "$(journal)"

# ---- snapshot create ----
for p in snapshot-marked snapshot-made; do
	roots_before=$(roots)
	crash "$p" snapshot create "@root-snap-$p"
	expect_rc "$p: koompi-boot recover" 0 kb recover
	check "$p: consistent after recovery" consistent
	if [ "$p" = snapshot-marked ]; then
		check "$p: undone: the same roots" test "$roots_before" = "$(roots)"
	else
		check "$p: finished: the snapshot and its entry" test -n "$(entry_of "@root-snap-$p")"
	fi
done

# ---- deletion (snapshot delete, prune) ----
for p in delete-marked delete-removed delete-synced; do
	victim=@root-junk$(roots | grep -c '^@root-junk')
	crash "$p" snapshot delete "$victim"
	expect_rc "$p: koompi-boot recover" 0 kb recover
	check "$p: consistent after recovery" consistent
	check "$p: $victim is gone" test ! -e "$TOP/$victim"
	check "$p: its entry is gone" test -z "$(entry_of "$victim")"
done
n=$(roots | wc -l)
crash delete-one prune --keep $((n - 2))
check "delete-one: one root deleted, one to go" test "$(roots | grep -c '^@root-junk[12]$')" -eq 1
expect_rc "delete-one: koompi-boot recover" 0 kb recover
check "delete-one: both deleted" test ! -e "$TOP/@root-junk1" -a ! -e "$TOP/@root-junk2"
check "delete-one: consistent after recovery" consistent

# ---- rollback ----
newest=$(newest_root)
for p in rollback-marked rollback-renamed rollback-synced; do
	crash "$p" rollback @root-current
	expect_rc "$p: koompi-boot recover" 0 kb recover
	check "$p: consistent after recovery" consistent
	check "$p: finished: @root-current boots next" test "$(next_boot)" = @root-current
	expect_rc "$p: forward again" 0 kb rollback "$newest"
	check "$p: forward again: $newest boots next" test "$(next_boot)" = "$newest"
done

# ---- entries sync: each step left as a crash leaves it, then the next run ----
for p in sync-planned sync-kernels sync-entries; do
	gone=$(entry_of "$newest")
	rm -f "$ESP/loader/entries/$gone"
	crash "$p" entries sync
	expect_rc "$p: koompi-boot recover" 0 kb recover
	expect_rc "$p: entries sync again" 0 kb entries sync
	check "$p: consistent after the next sync" consistent
	check "$p: $newest has its entry back" test -n "$(entry_of "$newest")"
done

check "@root-current was never touched" test "$cur_before" = "$(tree_state "$TOP/@root-current")"
# A root that carries no kernel, updated with --kernel and --initrd: the run that finishes the
# update after a crash (at boot, koompi-boot-recover.service: no options) uses the same files.
printf 'kernel given\n' >"$T/vmlinuz-given"
printf 'initrd given\n' >"$T/initrd-given"
crash sealed update --kernel "$T/vmlinuz-given" --initrd "$T/initrd-given" --run 'rm -rf /usr/lib/modules'
check "sealed, the root carries no kernel: the journal names the kernel it was given" \
	grep -qx "kernel $T/vmlinuz-given" "$(journal)"
expect_rc "... koompi-boot recover without --kernel finishes it" 0 "$K" --top "$TOP" --esp "$ESP" --state "$STATE" recover
check "... with the kernel the update was given" grep -rqx "kernel given" "$ESP/koompi"
check "... consistent after recovery" consistent
finish
