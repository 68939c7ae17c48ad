#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Entries written by hand (named otherwise than koompi-<ID>, the root named only on the options
# line) count as koompi-boot's do: after three failed boots of such a root, systemd-boot has
# left its entry spent, status shows the root bad with that entry and names the fallback, and
# the default resolves past it; and entries sync takes such an entry as its root's, writing no
# twin beside it. loader.conf's default follows the entry that should boot next whatever its name
# (its ID when it was named by hand, "koompi-*" when it is koompi-boot's), so a rollback to a
# root booted by its hand-named entry makes it boot next; and no kernel is stored under koompi/
# for a root that boots the one its hand-named entry names.
. "$(dirname "$0")/lib.sh"

make_top @root-factory @root-2024-12-01 || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
make_esp_dir
mkdir -p "$ESP/loader/entries"
hand() { printf 'title %s\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' "$1" "$2" >"$ESP/loader/entries/$1"; }
# As systemd-boot leaves them after three failed boots of the new image.
hand "school-image+0-3.conf" "root=UUID=1234 rootflags=subvol=/@root-2024-12-01,compress=zstd quiet"
hand "school-factory.conf" "root=UUID=1234 koompi.snapshot=@root-factory quiet"
hand "memtest.conf" "quiet"
printf 'default school-*\n' >"$ESP/loader/loader.conf"
write_ledger "boot 1 1732400000 school-factory.conf @root-factory - good good -" \
	"boot 2 1732400400 school-factory.conf @root-factory - switched in-progress fallback" \
	"alert 1 1732400400 fallback new @root-2024-12-01%20failed%203%20boots;%20booted%20@root-factory"
cat >"$T/boot.json" <<'JSON'
{"snapshot":"@root-factory","luks_device":"/dev/vda2","root_device":"/dev/mapper/root","keyslot":0,
 "prompt_ms":0,"init":"/sbin/init","entry":"school-factory.conf","counting":true,"ledger_seq":2,
 "fallback":true,"timeline":[]}
JSON
st() { "$K" --top "$TOP" --esp "$ESP" --state "$T/boot.json" "$@"; }
snap() { echo "[s for s in j['snapshots'] if s['name'] == '$1'][0]"; }

expect_rc "status --json" 0 st status --json
check "the hand-named spent entry is its root's" json_true "$T/out" \
	"$(snap @root-2024-12-01)['entry'] == 'school-image+0-3.conf'"
check "its root is bad, from the entry" json_true "$T/out" \
	"$(snap @root-2024-12-01)['state'] == 'bad' and $(snap @root-2024-12-01)['state_from'] == 'entry'"
check "the booted root has its hand-named entry, blessed: good" json_true "$T/out" \
	"$(snap @root-factory)['entry'] == 'school-factory.conf' and $(snap @root-factory)['state'] == 'good'"
check "the fallback and its alert" json_true "$T/out" \
	'j["booted"]["fallback"] and len(j["alerts"]) == 1 and "@root-2024-12-01" in j["alerts"][0]["message"]'
check "the default resolves past the spent entry" json_true "$T/out" \
	'j["default"]["snapshot"] == "@root-factory"'
expect_rc "status in text" 0 st status
check "text: the fallback" grep -q "FALLBACK" "$T/out"
check "text: the root bad with its entry" grep -q "@root-2024-12-01 *bad *school-image+0-3.conf" "$T/out"

expect_rc "list --json" 0 st list --json
check "list: each root's entry; only the entry naming no root is another system's" json_true "$T/out" \
	'[r["entries"][0]["file"] for r in j["roots"] if r["name"] == "@root-2024-12-01"] == ["school-image+0-3.conf"] and j["other_entries"] == ["memtest.conf"] and j["stale_entries"] == []'
expect_rc "list in text" 0 st list
check "list text: no hand-named entry of a root shown as another's" sh -c "! grep -q 'other entry: school' '$T/out'"

# ---- entries sync beside them ----
# A root's entry named by hand is that root's entry: sync writes no koompi-<ID> twin beside it
# and leaves it as it was written (name, counter, contents); a twin an older sync wrote goes.
make_kernel
hands() { (cd "$ESP/loader/entries" && cat school-image+0-3.conf school-factory.conf memtest.conf | sha256sum); }
before=$(hands)
printf 'title KOOMPI OS (@root-factory)\noptions koompi.snapshot=@root-factory\n' \
	>"$ESP/loader/entries/koompi-root-factory.conf"
expect_rc "entries sync beside entries named by hand" 0 sync_entries --json
check "no koompi-<ID> entry beside a root's entry named by hand" \
	sh -c "! ls '$ESP/loader/entries' | grep -q '^koompi-'"
check "the entries named by hand are left as they were" test "$before" = "$(hands)"
check "sync takes each as its root's entry" json_true "$T/out" \
	'{(e["file"], e["root"], e.get("reason")) for e in j["entries"] if e["action"] == "keep"} == {("school-image+0-3.conf", "@root-2024-12-01", "named by hand"), ("school-factory.conf", "@root-factory", "named by hand")}'
check "the twin an older sync wrote is removed as one" json_true "$T/out" \
	'[(e["file"], e["reason"]) for e in j["entries"] if e["action"] == "remove"] == [("koompi-root-factory.conf", "twin")]'
dflt() { sed -n 's/^default[[:space:]]*//p' "$ESP/loader/loader.conf"; }
kdirs() { ls "$ESP/koompi" 2>/dev/null | grep -cE '^[0-9a-f]{16}$'; }
check "the default names the hand-named entry that boots next" test "$(dflt)" = school-factory.conf
check "no kernel stored for roots booted by their hand-named entries" test "$(kdirs)" -eq 0
expect_rc "status --json after the sync" 0 st status --json
check "status: that root boots next" json_true "$T/out" \
	'j["default"]["snapshot"] == "@root-factory" and j["default"]["entry"] == "school-factory.conf"'
add_root @root-2024-12-15
expect_rc "a new root without an entry named by hand" 0 sync_entries
check "gets koompi-boot's own" test -f "$ESP/loader/entries/koompi-root-2024-12-15+3.conf"
check "and still no twin of the others" test "$(entries | grep -c '^koompi-')" -eq 1
check "the default is koompi's glob again" test "$(dflt)" = "koompi-*"
check "its kernel is stored, once" test "$(kdirs)" -eq 1
state=$(tree_state "$ESP")
expect_rc "sync again" 0 sync_entries
check "changes nothing" test "$state" = "$(tree_state "$ESP")"

# ---- a rollback to the root booted by its hand-named entry ----
expect_rc "rollback @root-factory" 0 st rollback --kernel "$T/vmlinuz" --initrd "$T/initrd.img" \
	--options "root=UUID=1234 quiet" @root-factory
check "says it boots next" grep -q "next boot: @root-factory (entry school-factory.conf" "$T/out"
check "the newer root's entry is spent" test -f "$ESP/loader/entries/koompi-root-2024-12-15+0.conf"
check "the default names the hand-named entry" test "$(dflt)" = school-factory.conf
expect_rc "status --json after the rollback" 0 st status --json
check "status: @root-factory boots next" json_true "$T/out" 'j["default"]["snapshot"] == "@root-factory"'
finish
