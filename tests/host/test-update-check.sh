#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi update check through koompi-agent, against Debian's nginx on 127.0.0.1 serving
# manifests this test signs: a good one (kept: serial and issued), and each refusal with its
# own words and exit 6 (tampered, bad signature, no signature, unknown key, replayed, expired,
# other channel, unknown format, malformed JSON); the first mirror down (the second serves);
# no mirror at all (exit 5); the bucket as the issue defines it; students may check; a major
# release waits for an admin's approval; the agent checks by itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-agent.sh"
. "$(dirname "$0")/lib-nginx.sh"
. "$(dirname "$0")/lib-update.sh"

require_update_tools nginx minisign curl
make_agent_world || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
start_update_world

mkdir -p "$T/other"
minisign -G -W -p "$T/other/stranger.pub" -s "$T/other/stranger.key" >/dev/null 2>&1
write_agent_conf "[update]" "mirrors = $MIRROR" "channel = stable" "keys_dir = $T/keys" \
	"machine_id_file = $T/machine-id"
check "the agent starts" start_agent

# serve SERIAL [FIELD=JSON ...]: a manifest for the mirror, fields replaced as given.
serve() {
	python3 - "$T/mirror/stable/manifest.json" "$@" <<'PY'
import json, sys
m = {"format": 1, "channel": "stable", "version": "2026.12.2", "serial": int(sys.argv[2]),
     "issued": "2026-12-06T00:00:00Z", "expires": "2099-01-01T00:00:00Z", "tier": "regular",
     "rollout": {"percent": 100, "paused": False}, "repo": {"name": "koompi", "path": "2026.12.2/"},
     "packages": [], "revoked": ["2026.12.1"], "notes": "winter term"}
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    m[k] = json.loads(v)
open(sys.argv[1], "w").write(json.dumps(m, indent=1) + "\n")
PY
	rm -f "$T/mirror/stable/manifest.json.minisig"
}
stock_sign() {
	minisign -S -s "$1" -m "$T/mirror/stable/manifest.json" </dev/null >/dev/null 2>&1
}
# refused NAME WORDS: koompi update check --json exits 6 naming the cause.
refused() {
	expect_rc "$1: refused (exit 6)" 6 "$KOOMPI" --json update check
	check "$1: the error says \"$2\"" json_true "$T/out" "\"$2\" in j[\"error\"] and j[\"refused\"]"
}
state() { cat "$T/state/update/stable.state" 2>/dev/null; }

serve 10
sign_manifest
expect_rc "a good release: accepted" 0 "$KOOMPI" --json update check
check "the answer: version, tier, percent, eligible, reason" json_true "$T/out" \
	'j["version"] == "2026.12.2" and j["tier"] == "regular" and j["percent"] == 100 and j["eligible"] and j["reason"] == "in the 100 % wave: yes" and j["mirror"] == "'"$MIRROR"'"'
check "the bucket is the issue's HMAC-SHA256 and SHA-256 (69 for this machine-id)" json_true "$T/out" \
	'j["bucket"] == __import__("functools").reduce(lambda a, b: a, [int.from_bytes(__import__("hashlib").sha256(__import__("hmac").new(bytes.fromhex("0123456789abcdef0123456789abcdef"), b"koompi-rollout", "sha256").digest() + b"2026.12.2").digest()[:8], "big") % 100]) == 69'
check "the serial and issued time are kept" grep -qx "serial=10" "$T/state/update/stable.state"
check "issued kept" grep -qx "issued=1796515200" "$T/state/update/stable.state"
expect_rc "the same manifest again is no replay" 0 "$KOOMPI" --json update check
expect_rc "text: koompi update check" 0 "$KOOMPI" update check
check "text: what a teacher reads" sh -c "grep -q '^Available: *2026.12.2 (regular, channel stable, serial 10)' '$T/out' && grep -q '^Taken now: *in the 100 % wave: yes' '$T/out'"

serve 11 'rollout={"percent": 25, "paused": false}'
sign_manifest
expect_rc "at 25 %: accepted, this machine waits" 0 "$KOOMPI" --json update check
check "waiting: bucket 69, the release at 25 %" json_true "$T/out" \
	'not j["eligible"] and j["reason"] == "waiting: this machine is in bucket 69, the release is at 25 %"'
expect_rc "a student may check" 0 as_nobody "$KOOMPI" --json update check
check "the student's answer" json_true "$T/out" 'j["version"] == "2026.12.2" and not j["eligible"]'

serve 20
sign_manifest
sed -i 's/"percent": 100/"percent": 99/' "$T/mirror/stable/manifest.json"
refused "a tampered manifest" "bad signature: the manifest or its signature was changed"
serve 20
printf 'untrusted comment: x\nnot a signature\n' >"$T/mirror/stable/manifest.json.minisig"
refused "a bad signature" "bad signature: manifest.json.minisig is not a minisign signature"
serve 20
refused "no signature" "no signature"
serve 20
stock_sign "$T/other/stranger.key"
refused "an unknown key" "unknown key: the manifest is signed by key"
serve 10
sign_manifest
refused "a replayed manifest" "replayed or older manifest: serial 10 is not newer than 11, accepted before"
serve 9
sign_manifest
refused "an older manifest" "serial 9 is not newer than 11"
serve 20 'issued="2026-11-01T00:00:00Z"' 'expires="2026-11-15T00:00:00Z"'
sign_manifest
refused "an expired manifest" "expired: the manifest expired at 2026-11-15T00:00:00Z"
serve 20 'channel="beta"'
sign_manifest
refused "another channel's manifest" 'another channel: the manifest is for \"beta\", this machine follows \"stable\"'
serve 20 'format=2'
stock_sign "$T/release.key"
refused "an unknown format" "unknown manifest format 2"
printf '{ "format": 1, "channel": "stable", ' >"$T/mirror/stable/manifest.json"
stock_sign "$T/release.key"
refused "malformed JSON" "malformed JSON"
check "no refusal changed the kept serial" grep -qx "serial=11" "$T/state/update/stable.state"
check "the agent logs the refusals" grep -q "update check: malformed JSON" "$T/agent.log"

# A major release waits for an admin.
serve 12 'tier="major"' 'version="2027.1.0"'
sign_manifest
expect_rc "a major release: accepted" 0 "$KOOMPI" --json update check
check "waiting for an admin's approval" json_true "$T/out" \
	'not j["eligible"] and j["reason"] == "waiting: a major release needs an admin'"'"'s approval (koompi update approve 2027.1.0)"'
expect_rc "a student may not approve (exit 3)" 3 as_nobody "$KOOMPI" update approve 2027.1.0
check "the refusal names the admin group" grep -q "not allowed: needs the koompi-admin group" "$T/err"
expect_rc "no version, no approval" 5 "$KOOMPI" update approve ../2027
expect_rc "root approves" 0 "$KOOMPI" update approve 2027.1.0
check "kept in the state folder" grep -qx "2027.1.0" "$T/state/update/approved"
expect_rc "approving twice is fine" 0 "$KOOMPI" update approve 2027.1.0
check "once" test "$(grep -c . "$T/state/update/approved")" -eq 1
expect_rc "checked again" 0 "$KOOMPI" --json update check
check "approved: taken" json_true "$T/out" 'j["eligible"] and j["reason"] == "a major release, approved by an admin: yes"'

# Mirrors: the first down, the second serves; then none.
stop_agent
write_agent_conf "[update]" "mirrors = $DOWN $MIRROR" "channel = stable" "keys_dir = $T/keys" \
	"machine_id_file = $T/machine-id"
start_agent
serve 21
sign_manifest
expect_rc "the first mirror down: the second serves" 0 "$KOOMPI" --json update check
check "served by the second" json_true "$T/out" 'j["mirror"] == "'"$MIRROR"'" and j["version"] == "2026.12.2"'
stop_agent
write_agent_conf "[update]" "mirrors = $DOWN" "channel = stable" "keys_dir = $T/keys" "machine_id_file = $T/machine-id"
start_agent
expect_rc "no mirror answers: exit 5" 5 "$KOOMPI" --json update check
check "the error names the mirror" json_true "$T/out" '"no mirror answered: '"$DOWN"': manifest.json" in j["error"] and not j["refused"]'

# The fetching child drops root: with no such user it refuses to fetch.
stop_agent
write_agent_conf "[update]" "mirrors = $MIRROR" "channel = stable" "keys_dir = $T/keys" \
	"machine_id_file = $T/machine-id" "user = no-such-user-here"
start_agent
serve 22
sign_manifest
expect_rc "[update] user unknown: nothing fetched (exit 5)" 5 "$KOOMPI" --json update check
check "it says why" json_true "$T/out" '"could not drop root" in j["error"]'

# The agent's own check: nobody asks, and the accepted serial is kept.
stop_agent
write_agent_conf "[update]" "mirrors = $MIRROR" "channel = stable" "keys_dir = $T/keys" \
	"machine_id_file = $T/machine-id" "check_interval = 1s"
serve 30
sign_manifest
check "the agent starts, checking every second" start_agent
check "it checks by itself: serial 30 kept" wait_for 100 grep -qx "serial=30" "$T/state/update/stable.state"
check "its log says what it found" grep -q "update check: 2026.12.2 accepted: in the 100 % wave: yes" "$T/agent.log"
stop_agent
finish
