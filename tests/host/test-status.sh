#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# status, list, history and alerts on a real Btrfs top level, in text and JSON (parsed by
# Python), and a damaged ledger that must not break any of them.
. "$(dirname "$0")/lib.sh"

make_top @root-factory @root-current @root-new || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
make_kernel
make_esp_dir
write_ledger "boot 1 1732400000 koompi-root-current.conf @root-current - good good -" \
	"boot 2 1732400100 koompi-root-new.conf @root-new - switched failed -" \
	"boot 3 1732400200 koompi-root-new.conf @root-new - switched failed -" \
	"boot 4 1732400300 koompi-root-new.conf @root-new - switched failed -" \
	"boot 5 1732400400 koompi-root-current.conf @root-current - switched in-progress fallback" \
	"alert 1 1732400400 fallback new @root-new%20failed%203%20boots%20in%20a%20row;%20booted%20@root-current,%20the%20last%20good%20root" \
	"alert 2 1732300000 fallback acked an%20old%20one"
expect_rc "entries sync" 0 sync_entries
check "a root out of tries in the ledger starts spent (+0)" test -f "$ESP/loader/entries/koompi-root-new+0.conf"
check "the good root has no counter" test -f "$ESP/loader/entries/koompi-root-current.conf"
# As systemd-boot would have left it.
mv "$ESP/loader/entries/koompi-root-new+0.conf" "$ESP/loader/entries/koompi-root-new+0-3.conf"
cat >"$T/boot.json" <<'JSON'
{"snapshot":"@root-current","luks_device":"/dev/vda2","root_device":"/dev/mapper/root","keyslot":1,
 "prompt_ms":2500,"init":"/sbin/init","entry":"koompi-root-current.conf","counting":true,"ledger_seq":5,
 "fallback":true,"timeline":[{"stage":"start","ms":812},{"stage":"unlock","ms":3400},{"stage":"exec","ms":4630}]}
JSON
st() { "$K" --top "$TOP" --esp "$ESP" --state "$T/boot.json" "$@"; }

expect_rc "status --json" 0 st status --json
cp "$T/out" "$T/status.json"
check "status --json is one JSON object" json_true "$T/status.json" 'isinstance(j, dict)'
check "booted.snapshot" json_true "$T/status.json" 'j["booted"]["snapshot"] == "@root-current"'
check "booted.entry, counting, fallback, ledger_seq" json_true "$T/status.json" \
	'j["booted"]["entry"] == "koompi-root-current.conf" and j["booted"]["counting"] and j["booted"]["fallback"] and j["booted"]["ledger_seq"] == 5'
check "booted: the fields of the first status" json_true "$T/status.json" \
	'j["booted"]["luks_device"] == "/dev/vda2" and j["booted"]["keyslot"] == 1 and j["booted"]["prompt_ms"] == 2500'
check "timeline" json_true "$T/status.json" \
	'[t["stage"] for t in j["timeline"]] == ["start","unlock","exec"] and j["timeline"][2]["ms"] == 4630'
check "snapshots[]: every root, with name and state" json_true "$T/status.json" \
	'sorted(s["name"] for s in j["snapshots"]) == ["@root-current","@root-factory","@root-new"] and all("state" in s for s in j["snapshots"])'
check "the spent root is bad" json_true "$T/status.json" \
	'[s for s in j["snapshots"] if s["name"]=="@root-new"][0]["state"] == "bad"'
check "the booted root is good (its entry is blessed) and marked booted" json_true "$T/status.json" \
	'[s for s in j["snapshots"] if s["name"]=="@root-current"][0]["state"] == "good" and [s for s in j["snapshots"] if s["name"]=="@root-current"][0]["booted"]'
check "an entry on trial: tries left from its counter" json_true "$T/status.json" \
	'[s for s in j["snapshots"] if s["name"]=="@root-factory"][0]["state"] == "untested" and [s for s in j["snapshots"] if s["name"]=="@root-factory"][0]["tries_left"] == 3'
check "alerts[]: the unacknowledged one, with kind and message" json_true "$T/status.json" \
	'len(j["alerts"]) == 1 and j["alerts"][0]["kind"] == "fallback" and "@root-new" in j["alerts"][0]["message"] and "@root-current" in j["alerts"][0]["message"]'
check "last good root" json_true "$T/status.json" 'j["last_good"]["snapshot"] == "@root-current"'
check "the default resolves past the spent entry" json_true "$T/status.json" \
	'j["default"]["pattern"] == "koompi-*" and j["default"]["snapshot"] == "@root-current"'
check "the last boots" json_true "$T/status.json" '[b["seq"] for b in j["boots"]] == [1,2,3,4,5]'

expect_rc "status in text" 0 st status
check "text: the booted root" grep -q "^Booted root: *@root-current" "$T/out"
check "text: the fallback" grep -q "FALLBACK" "$T/out"
check "text: the alert" grep -q "#1 .*fallback: @root-new failed 3 boots" "$T/out"
check "text: a root in its state" grep -q "@root-new *bad *koompi-root-new+0-3.conf" "$T/out"
check "text: fits one screen" test "$(wc -l <"$T/out")" -le 30

# ---- an interrupted transaction and pinned roots ----
check "no transaction, no pins: null and []" json_true "$T/status.json" \
	'j["transaction"] is None and j["pinned"] == [] and not any(s["pinned"] for s in j["snapshots"])'
uuid=$(python3 -c 'import json,sys; print([s["uuid"] for s in json.load(open(sys.argv[1]))["snapshots"] if s["name"] == "@root-factory"][0])' "$T/status.json")
printf 'koompi-boot-pins 1\n%s @root-factory\n' "$uuid" >"$TOP/@var/lib/koompi/pinned"
printf 'koompi-boot-transaction 1\nop update\nstep started\nfrom @root-current\nroot @root-next\npid 1\n' \
	>"$TOP/@var/lib/koompi/transaction"
expect_rc "status with an interrupted update" 0 st status
check "text: the interrupted update and what to do" \
	grep -q "^Transaction: *an update was interrupted: run koompi-boot recover (@root-next, from @root-current)" "$T/out"
check "text: the pinned roots" grep -q "^Pinned: *@root-factory " "$T/out"
check "text: the pinned root marked in the roots" grep -q "@root-factory .*(pinned)$" "$T/out"
expect_rc "status --json with an interrupted update" 0 st status --json
check "json: transaction" json_true "$T/out" \
	'j["transaction"] == {"op":"update","step":"started","roots":["@root-next"],"from":"@root-current","error":None}'
check "json: pinned" json_true "$T/out" \
	'j["pinned"] == ["@root-factory"] and [s["name"] for s in j["snapshots"] if s["pinned"]] == ["@root-factory"]'
printf 'koompi-boot-transaction 1\nop delete\nroot @root-a\nroot @root-b\npid 1\n' >"$TOP/@var/lib/koompi/transaction"
expect_rc "status with an interrupted deletion" 0 st status
check "text: the interrupted deletion" \
	grep -q "^Transaction: *a deletion was interrupted: run koompi-boot recover (roots @root-a @root-b)" "$T/out"
expect_rc "status --json with an interrupted deletion" 0 st status --json
check "json: the roots being deleted" json_true "$T/out" \
	'j["transaction"]["op"] == "delete" and j["transaction"]["roots"] == ["@root-a","@root-b"]'
echo garbage >"$TOP/@var/lib/koompi/transaction"
expect_rc "status with an unreadable transaction record" 0 st status
check "text: it is unreadable, and what to do" grep -q "^Transaction: .*transaction, the record of an interrupted transaction, is unreadable" "$T/out"
expect_rc "status --json with an unreadable transaction record" 0 st status --json
check "json: the error" json_true "$T/out" 'j["transaction"]["op"] is None and j["transaction"]["error"]'
rm -f "$TOP/@var/lib/koompi/transaction" "$TOP/@var/lib/koompi/pinned"

# ---- a root on trial, from the ledger only (no entry) ----
rm "$ESP/loader/entries/koompi-root-factory+3.conf"
write_ledger "boot 1 1732400000 - @root-factory - switched failed -" \
	"boot 2 1732400100 - @root-current - switched in-progress -"
expect_rc "status --json without the entry of a root" 0 st status --json
check "in trial from the ledger: one failure, two tries left" json_true "$T/out" \
	'[(s["state"], s["tries_left"], s["state_from"]) for s in j["snapshots"] if s["name"]=="@root-factory"] == [("in-trial", 2, "ledger")]'

# ---- a damaged ledger ----
printf 'koompi-boot-ledger 1\nboot 1 1732400000 - @root-current - good good -\n\001\002garbage\377\nboot 2 17324\nalert x y\n' >"$LEDGER"
head -c 3000 /dev/urandom >>"$LEDGER"
printf '\nboot 9 1732409999 - @root-new - switched fai' >>"$LEDGER"
expect_rc "status --json with a corrupt ledger" 0 st status --json
check "still valid JSON with the good records" json_true "$T/out" \
	'j["booted"]["snapshot"] == "@root-current" and j["last_good"]["snapshot"] == "@root-current" and j["ledger"]["recovered"] > 0'
check "the damage is reported" grep -q "damaged line" "$T/err"
expect_rc "status in text with a corrupt ledger" 0 st status
expect_rc "history with a corrupt ledger" 0 "$K" --top "$TOP" history
# Records that parse but hold bytes that are not UTF-8.
printf 'koompi-boot-ledger 1\nboot 1 1732400000 - @root-current - switched good caf\351%%0A\377\nalert 1 1732400000 fallback new \300\200bad%%22quote\n' >"$LEDGER"
expect_rc "status --json with bytes that are not UTF-8" 0 st status --json
check "still valid JSON, the bytes replaced" json_true "$T/out" \
	'j["boots"][0]["note"] == "caf\ufffd\n\ufffd" and j["alerts"][0]["message"] == "\ufffd\ufffdbad\"quote"'
expect_rc "history --json with bytes that are not UTF-8" 0 "$K" --top "$TOP" history --json
check "history: valid JSON" json_true "$T/out" 'len(j["boots"]) == 1'
head -c 5000 /dev/urandom >"$LEDGER"
expect_rc "status --json with a ledger of pure garbage" 0 st status --json
check "valid JSON, no boots" json_true "$T/out" 'j["boots"] == [] and j["alerts"] == []'
chmod 000 "$LEDGER"
mv "$LEDGER" "$LEDGER.x" && mkdir "$LEDGER"
expect_rc "status --json with an unreadable ledger" 0 st status --json
check "the error is in the JSON" json_true "$T/out" 'j["ledger"]["error"] is not None'
rmdir "$LEDGER" && mv "$LEDGER.x" "$LEDGER" && chmod 644 "$LEDGER"

# ---- no boot record ----
expect_rc "status without boot.json: exit 2" 2 "$K" --top "$TOP" --esp "$ESP" --state "$T/none.json" status --json
check "the JSON is still printed, booted.snapshot null" json_true "$T/out" 'j["booted"]["snapshot"] is None and len(j["snapshots"]) == 3'
printf '{"snapshot":' >"$T/torn.json"
expect_rc "status with a torn boot.json: exit 2" 2 "$K" --top "$TOP" --esp "$ESP" --state "$T/torn.json" status --json

# ---- history and alerts ----
write_ledger "boot 1 1732400000 koompi-root-current.conf @root-current - good good -" \
	"boot 2 1732400100 koompi-root-new.conf @root-new - switched failed -" \
	"boot 3 1732400200 koompi-root-current.conf @root-current - switched in-progress note%20here" \
	"mark 2 1732400150 @root-new rearm by%20hand" \
	"alert 1 1732400200 fallback new first" \
	"alert 2 1732400300 fallback new second"
expect_rc "history --json" 0 "$K" --top "$TOP" history --json
check "history --json: every boot, oldest first" json_true "$T/out" \
	'[b["seq"] for b in j["boots"]] == [1,2,3] and j["boots"][2]["note"] == "note here" and j["boots"][1]["outcome"] == "failed"'
check "history --json: marks" json_true "$T/out" 'j["marks"][0]["action"] == "rearm" and j["marks"][0]["root"] == "@root-new"'
expect_rc "history -n 2 --json" 0 "$K" --top "$TOP" history -n 2 --json
check "history -n 2: the last two" json_true "$T/out" '[b["seq"] for b in j["boots"]] == [2,3]'
expect_rc "history in text" 0 "$K" --top "$TOP" history
check "history text: a line per boot" test "$(grep -c '@root-' "$T/out")" -ge 3
expect_rc "history -n x: exit 1" 1 "$K" --top "$TOP" history -n x
expect_rc "alerts --json" 0 "$K" --top "$TOP" alerts --json
check "alerts --json" json_true "$T/out" 'len(j["alerts"]) == 2 and j["unacknowledged"] == 2 and j["alerts"][0]["message"] == "first"'
expect_rc "alerts ack 1" 0 "$K" --top "$TOP" alerts ack 1
check "alert 1 acknowledged in the ledger" grep -q "^alert 1 .* acked first" "$LEDGER"
check "alert 2 still new" grep -q "^alert 2 .* new second" "$LEDGER"
expect_rc "alerts ack 1 again" 0 "$K" --top "$TOP" alerts ack 1
expect_rc "alerts ack 9: exit 2" 2 "$K" --top "$TOP" alerts ack 9
expect_rc "alerts ack x: exit 1" 1 "$K" --top "$TOP" alerts ack x
expect_rc "alerts ack (all)" 0 "$K" --top "$TOP" alerts ack
check "no alert left new" test "$(grep -c '^alert .* new ' "$LEDGER")" -eq 0
expect_rc "status --json after ack" 0 st status --json
check "status shows no alert after ack" json_true "$T/out" 'j["alerts"] == []'

# ---- list ----
expect_rc "list --json" 0 "$K" --top "$TOP" --esp "$ESP" list --json
check "list --json: roots with their entries and kernels" json_true "$T/out" \
	'[r["entries"][0]["file"] for r in j["roots"] if r["name"]=="@root-new"] == ["koompi-root-new+0-3.conf"] and all(len(e["kernel"]) == 16 for r in j["roots"] for e in r["entries"])'
: >"$ESP/loader/entries/koompi-root-gone+3.conf"
: >"$ESP/loader/entries/other.conf"
expect_rc "list --json with stale and other entries" 0 "$K" --top "$TOP" --esp "$ESP" list --json
check "stale and other entries" json_true "$T/out" \
	'j["stale_entries"] == ["koompi-root-gone+3.conf"] and j["other_entries"] == ["other.conf"]'
expect_rc "list in text" 0 "$K" --top "$TOP" --esp "$ESP" list
check "list text names the stale entry" grep -q "stale entry: koompi-root-gone+3.conf" "$T/out"

# ---- usage ----
expect_rc "unknown verb: exit 1" 1 "$K" frobnicate
expect_rc "unknown option: exit 1" 1 "$K" --frobnicate status
expect_rc "--help: exit 0" 0 "$K" --help
check "--help lists the exit codes" grep -q "Exit codes" "$T/out"

finish
