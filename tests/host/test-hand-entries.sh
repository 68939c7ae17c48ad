#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Entries written by hand (named otherwise than koompi-<ID>, the root named only on the options
# line) count as koompi-boot's do: after three failed boots of such a root, systemd-boot has
# left its entry spent, status shows the root bad with that entry and names the fallback, and
# the default resolves past it.
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
finish
