#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# mark-good and mark-bad with --entry and --state: the entry renamed (no replace), the ledger
# record of the running boot moved to good or marked-bad, and every way of being run twice.
# The ledger only needs a directory, so --top is a plain one here.
. "$(dirname "$0")/lib.sh"

TOP=$T/top
LEDGER=$TOP/@var/lib/koompi/ledger
E=$T/esp/loader/entries
mkdir -p "$TOP/@var/lib/koompi" "$E"

state() { # state SNAPSHOT ENTRY COUNTING [SEQ]
	printf '{"snapshot":"%s","entry":"%s","counting":%s%s,"fallback":false,"timeline":[]}\n' "$1" "$2" "$3" \
		"${4:+,\"ledger_seq\":$4}" >"$T/boot.json"
}
mark() { # mark VERB ENTRY-FILE
	"$K" --top "$TOP" --state "$T/boot.json" --entry "$E/$2" "$1"
}
stage_of() { # the stage of boot SEQ in the ledger
	awk -v s="$1" '$1 == "boot" && $2 == s { print $7 }' "$LEDGER"
}
outcome_of() {
	awk -v s="$1" '$1 == "boot" && $2 == s { print $8 }' "$LEDGER"
}

# ---- mark-good of a counted boot ----
write_ledger "boot 1 1732400000 koompi-root-old.conf @root-old - good good -" \
	"boot 2 1732400100 koompi-root-new.conf @root-new - switched in-progress -"
: >"$E/koompi-root-new+2-1.conf"
: >"$E/koompi-root-old.conf"
state @root-new koompi-root-new.conf true 2
expect_rc "mark-good" 0 mark mark-good koompi-root-new+2-1.conf
check "the counter is dropped" test "$(cd "$E" && ls | grep root-new)" = "koompi-root-new.conf"
check "the boot is recorded good" test "$(stage_of 2)" = good
check "with outcome good" test "$(outcome_of 2)" = good
check "the older boot is untouched" test "$(stage_of 1)" = good
before=$(tree_state "$T/top"; tree_state "$T/esp")
expect_rc "mark-good twice" 0 mark mark-good koompi-root-new+2-1.conf
check "the second mark-good says it was done" grep -q "already good" "$T/out"
check "the second mark-good changes nothing" test "$before" = "$(tree_state "$T/top"; tree_state "$T/esp")"

# ---- systemd-bless-boot got there first ----
write_ledger "boot 3 1732400200 koompi-root-b.conf @root-b - switched in-progress -"
: >"$E/koompi-root-b.conf"
state @root-b koompi-root-b.conf true 3
expect_rc "mark-good after systemd-bless-boot renamed the entry" 0 mark mark-good koompi-root-b+2-1.conf
check "the ledger is still updated" test "$(stage_of 3)" = good

# ---- tries given back by koompi-init: the booted name is gone ----
write_ledger "boot 4 1732400300 koompi-root-c.conf @root-c - switched in-progress -"
: >"$E/koompi-root-c+3.conf"
state @root-c koompi-root-c.conf true 4
expect_rc "mark-good when the entry has another counter now" 0 mark mark-good koompi-root-c+2-1.conf
check "that file is blessed" test "$(cd "$E" && ls | grep root-c)" = "koompi-root-c.conf"

# ---- a twin: refused, the ledger still records the verdict ----
write_ledger "boot 5 1732400400 koompi-root-d.conf @root-d - switched in-progress -"
: >"$E/koompi-root-d+1-2.conf"
: >"$E/koompi-root-d.conf"
state @root-d koompi-root-d.conf true 5
expect_rc "mark-good beside an uncounted twin: exit 3" 3 mark mark-good koompi-root-d+1-2.conf
check "the message says twin and what to do" grep -q "twin.*entries sync" "$T/err"
check "neither file is replaced" test "$(cd "$E" && ls | grep -c root-d)" -eq 2
check "the boot is still recorded good" test "$(stage_of 5)" = good

# ---- mark-bad ----
write_ledger "boot 6 1732400500 koompi-root-e.conf @root-e - switched in-progress -"
: >"$E/koompi-root-e+2-1.conf"
state @root-e koompi-root-e.conf true 6
expect_rc "mark-bad" 0 mark mark-bad koompi-root-e+2-1.conf
check "the entry is spent at once: +0-1" test "$(cd "$E" && ls | grep root-e)" = "koompi-root-e+0-1.conf"
check "the boot is recorded marked-bad" test "$(stage_of 6)" = marked-bad
check "with outcome bad" test "$(outcome_of 6)" = bad
expect_rc "mark-bad twice" 0 mark mark-bad koompi-root-e+2-1.conf
check "still +0-1" test "$(cd "$E" && ls | grep root-e)" = "koompi-root-e+0-1.conf"
expect_rc "mark-good after mark-bad: exit 3" 3 mark mark-good koompi-root-e+2-1.conf
check "mark-good does not undo mark-bad" test "$(cd "$E" && ls | grep root-e)" = "koompi-root-e+0-1.conf"
check "nor in the ledger" test "$(stage_of 6)" = marked-bad

# mark-bad after the boot was blessed.
write_ledger "boot 7 1732400600 koompi-root-f.conf @root-f - switched in-progress -"
: >"$E/koompi-root-f+2-1.conf"
state @root-f koompi-root-f.conf true 7
mark mark-good koompi-root-f+2-1.conf >/dev/null 2>&1
expect_rc "mark-bad after mark-good" 0 mark mark-bad koompi-root-f+2-1.conf
check "the blessed entry is spent" test "$(cd "$E" && ls | grep root-f)" = "koompi-root-f+0.conf"
check "the boot is recorded marked-bad" test "$(stage_of 7)" = marked-bad

# ---- no counting: only the ledger ----
write_ledger "boot 8 1732400700 - @root-g - switched in-progress -"
state @root-g "" false 8
expect_rc "mark-good without counting" 0 "$K" --top "$T/top" --state "$T/boot.json" mark-good
check "says only the ledger is updated" grep -q "only the ledger" "$T/out"
check "the ledger is updated" test "$(stage_of 8)" = good

# ---- an older koompi-init: no ledger_seq, the newest record of the booted root ----
write_ledger "boot 9 1732400800 - @root-h - switched in-progress -"
state @root-h "" false
expect_rc "mark-good without ledger_seq" 0 "$K" --top "$T/top" --state "$T/boot.json" mark-good
check "the newest record of the booted root is updated" test "$(stage_of 9)" = good
state @root-other "" false
write_ledger "boot 10 1732400900 - @root-h - switched in-progress -"
expect_rc "no record of the booted root: exit 2" 2 "$K" --top "$T/top" --state "$T/boot.json" mark-good
check "no other root's record is touched" test "$(stage_of 10)" = switched

# ---- a crash at each step of mark-good and mark-bad: the next run finishes the verdict ----
seq=20
for verb in mark-good mark-bad; do
	for p in mark-found mark-renamed; do
		seq=$((seq + 1))
		id=koompi-root-cut$seq
		write_ledger "boot $seq 1732401000 $id.conf @root-cut$seq - switched in-progress -"
		echo "title cut $seq" >"$E/$id+2-1.conf"
		state "@root-cut$seq" "$id.conf" true $seq
		KOOMPI_FAULT_POINT=$p mark "$verb" "$id+2-1.conf" >"$T/out" 2>"$T/err"
		check "$verb stops at $p" test $? -eq 99
		check "$verb, $p: one entry, its text kept" test "$(cat "$E/$id"*.conf)" = "title cut $seq"
		check "$verb, $p: the ledger is readable" "$K" --top "$T/top" history
		expect_rc "$verb, $p: run again" 0 mark "$verb" "$id+2-1.conf"
		if [ "$verb" = mark-good ]; then want="$id.conf" stage=good; else want="$id+0-1.conf" stage=marked-bad; fi
		check "$verb, $p: then $want" test "$(cd "$E" && ls | grep "^$id[.+]")" = "$want"
		check "$verb, $p: then the boot is $stage" test "$(stage_of $seq)" = $stage
	done
done

# ---- missing state ----
state @root-h "" false 99
expect_rc "a boot number the ledger does not have: exit 2" 2 "$K" --top "$T/top" --state "$T/boot.json" mark-good
check "the message names the boot" grep -q "no boot #99" "$T/err"
expect_rc "no boot.json: exit 2" 2 "$K" --top "$T/top" --state "$T/nonexistent.json" mark-good
check "the message says why" grep -q "not started by koompi-init" "$T/err"
: >"$E/koompi-root-z+1-2.conf"
expect_rc "no boot.json still blesses the entry given" 2 "$K" --top "$T/top" --state "$T/nonexistent.json" \
	--entry "$E/koompi-root-z+1-2.conf" mark-good
check "the entry is blessed" test -e "$E/koompi-root-z.conf"
state @root-h "" false 10
expect_rc "the booted entry is nowhere: exit 2" 2 mark mark-good koompi-root-nowhere+1-2.conf
rm -f "$LEDGER"
expect_rc "no ledger at all: exit 2" 2 "$K" --top "$T/top" --state "$T/boot.json" mark-good
check "no ledger is created" test ! -e "$LEDGER"

finish
