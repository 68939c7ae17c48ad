#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Each verb owns its options and the number of its words: an option of another verb, a missing
# or extra word, is refused with exit status 1 and a message naming the verb and what it takes,
# before anything is read or changed. The global options go before or after the verb.
. "$(dirname "$0")/lib.sh"

make_top @root-factory @root-current || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
make_kernel
make_esp_dir
write_ledger "boot 1 1732400000 koompi-root-current.conf @root-current - switched in-progress -"
expect_rc "entries sync" 0 sync_entries
cur=$(cd "$ESP/loader/entries" && ls | grep root-current)
printf '{"snapshot":"@root-current","entry":"%s","counting":true,"ledger_seq":1,"fallback":false,"timeline":[]}\n' \
	"$cur" >"$T/boot.json"
kb() {
	"$K" --top "$TOP" --esp "$ESP" --state "$T/boot.json" "$@"
}
everything() { tree_state "$TOP"; tree_state "$ESP"; cat "$LEDGER"; }
before=$(everything)

# refused NAME PATTERN ARGS...: exit 1, a message matching PATTERN, nothing changed.
refused() {
	name=$1 pattern=$2
	shift 2
	expect_rc "$name: exit status 1" 1 kb "$@"
	grep -q -- "$pattern" "$T/err" && ok "$name: the message" || not_ok "$name: the message" "$(cat "$T/err")"
	test "$before" = "$(everything)" && ok "$name: nothing changed" || not_ok "$name: nothing changed"
}

refused "--dry-run given to mark-bad" "mark-bad: --dry-run is not one of its options.*--entry FILE" \
	--dry-run mark-bad --entry "$ESP/loader/entries/$cur"
check "mark-bad left the entry where it was" test -f "$ESP/loader/entries/$cur"
refused "prune's and rollback's options given to history" "history: --keep is not one of its options" \
	--keep 3 --once --dry-run history
refused "--json given to mark-good" "mark-good: --json is not one of its options" mark-good --json
refused "--entry given to status" "status: --entry is not one of its options" status --entry "$ESP/loader/entries/$cur"
refused "--once given to prune" "prune: --once is not one of its options" prune --once
refused "--dry-run given to update" "update: --dry-run is not one of its options" update --dry-run --run true
refused "-n given to alerts" "alerts: -n is not one of its options" alerts -n 3
refused "--kernel given to list" "list: --kernel is not one of its options" list --kernel "$T/vmlinuz" \
	--initrd "$T/initrd.img"
refused "an option of no verb" "status: there is no option --frobnicate" status --frobnicate
refused "a word given to recover" "recover: takes no arguments" recover now
refused "two words given to snapshot delete" "snapshot delete: takes at most 1 argument" snapshot delete a b
refused "snapshot pin without a name" "snapshot pin: wants 1 argument" snapshot pin
refused "alerts ack with two numbers" "alerts ack: takes at most 1 argument" alerts ack 1 2
refused "a verb option missing its argument" "prune: --keep wants an argument" prune --keep
refused "a second word no verb has" "snapshot wants one of: create, delete, pin, unpin" snapshot frobnicate

# The global options anywhere, the verb's own after or before it.
expect_rc "global options after the verb" 0 "$K" history --json --top "$TOP" --esp "$ESP"
check "and the verb sees them" json_true "$T/out" '[b["seq"] for b in j["boots"]] == [1]'
expect_rc "a verb's option before the verb" 0 kb --json history -n 1
check "and it applies" json_true "$T/out" 'len(j["boots"]) == 1'
expect_rc "snapshot's own --dry-run after its name" 0 kb snapshot create term1 --dry-run
check "and nothing was made" test ! -e "$TOP/@root-term1"
expect_rc "-h after a verb: the help" 0 kb prune -h
grep -A1 "^  prune" "$T/out" | grep -q -- "--keep N" && ok "the help lists prune's options" ||
	not_ok "the help lists prune's options" "$(cat "$T/out")"
test "$before" = "$(everything)" && ok "the dry run and the help changed nothing" ||
	not_ok "the dry run and the help changed nothing"
finish
