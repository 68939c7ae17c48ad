#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What follows a release, through koompi-agent, against Debian's nginx on 127.0.0.1 serving
# manifests this test signs: a manifest revoking the booted root's release rolls the machine
# back to the newest good root of another release, with an alert, once; revoking every release
# left raises an alert and changes nothing. The outcomes (booted-good, rolled-back, applied) are
# kept in the state folder, queued while the report URL is down and sent once it answers (nginx
# logs each POST's body), keyed by a report id, never the machine-id; with [privacy] report = no
# nothing is sent. A root made with koompi-boot update --release is recorded applied, and
# [update] reboot decides (never, idle, a window) in the log and in koompi status.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"
. "$(dirname "$0")/lib-agent.sh"
. "$(dirname "$0")/lib-nginx.sh"
. "$(dirname "$0")/lib-update.sh"

require_update_tools nginx minisign curl
if [ -z "$BUSYBOX" ]; then
	echo "test-update-policy.sh: SKIPPED: no static busybox for the test roots"
	finish
	exit 0
fi
KVER=6.1.0-test
# release_root NAME RELEASE: a root with a shell, a kernel and its image, made from RELEASE.
release_root() {
	add_shell_root "$1" $KVER || return 1
	btrfs property set -ts "$TOP/$1" ro false &&
		echo "$2" >"$TOP/$1/etc/koompi/release" &&
		echo "image of $1" >"$TOP/$1/usr/lib/modules/$KVER/initramfs-koompi.img" &&
		btrfs property set -ts "$TOP/$1" ro true
}
make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
release_root @root-a 2026.11.1 && release_root @root-b 2026.12.1 && release_root @root-c 2026.12.2 ||
	{ not_ok "roots made from releases"; finish; exit 1; }
write_ledger "boot 1 1732400000 koompi-root-a.conf @root-a - switched good -" \
	"boot 2 1732400100 koompi-root-b.conf @root-b - switched good -" \
	"boot 3 1732400200 koompi-root-c.conf @root-c - switched good -"
make_kernel
make_esp_dir
boot_state @root-c
expect_rc "entries sync" 0 kb entries sync
next_root() { "$K" --top "$TOP" --esp "$ESP" --state "$STATE" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["default"]["snapshot"])'; }
check "@root-c boots next" test "$(next_root)" = @root-c

NGINX_HTTP_EXTRA="log_format body escape=none '\$request_body';"
NGINX_SERVER_EXTRA="location = /report { access_log $T/nginx/reports.log body; proxy_pass http://127.0.0.1:\$server_port/taken; }
        location = /taken { access_log off; return 204; }"
start_update_world
REPORT_ID=$(python3 -c 'import hmac,sys; print(hmac.new(bytes.fromhex(sys.argv[1]), b"koompi-report", "sha256").hexdigest())' $MACHINE_ID)
# conf REPORT_URL PRIVACY_REPORT [REBOOT]
conf() {
	write_agent_conf "[update]" "mirrors = $MIRROR" "channel = stable" "keys_dir = $T/keys" \
		"machine_id_file = $T/machine-id" "report_url = $1" "reboot = ${3:-never}" "[privacy]" "report = $2"
}
# serve SERIAL REVOKED-JSON: a signed manifest revoking those releases.
serve() {
	python3 - "$T/mirror/stable/manifest.json" "$@" <<'PY'
import json, sys
m = {"format": 1, "channel": "stable", "version": "2026.12.3", "serial": int(sys.argv[2]),
     "issued": "2026-12-06T00:00:00Z", "expires": "2099-01-01T00:00:00Z", "tier": "regular",
     "rollout": {"percent": 0, "paused": False}, "repo": {"name": "koompi", "path": "2026.12.3/"},
     "packages": [], "revoked": json.loads(sys.argv[3])}
open(sys.argv[1], "w").write(json.dumps(m) + "\n")
PY
	sign_manifest
}
outcomes() { cat "$T/state/update/outcomes" 2>/dev/null; }
queue() { cat "$T/state/update/report-queue" 2>/dev/null; }
alerts() { "$K" --top "$TOP" --esp "$ESP" --state "$STATE" --json status | python3 -c 'import json,sys; [print(a["kind"], a["message"]) for a in json.load(sys.stdin)["alerts"]]'; }

# ---- offline: the report URL does not answer ----
conf "$DOWN/report" yes
check "the agent starts" start_agent
check "the booted root, good, made from 2026.12.2: booted-good recorded" wait_for 50 grep -q '"version":"2026.12.2","outcome":"booted-good"' "$T/state/update/outcomes"
check "the record carries the report id" grep -q "\"id\":\"$REPORT_ID\"" "$T/state/update/outcomes"
serve 10 '["2026.11.1"]'
expect_rc "a manifest revoking another release: accepted" 0 "$KOOMPI" --json update check
check "its answer lists the revoked releases" json_true "$T/out" 'j["revoked"] == ["2026.11.1"] and not j["revoked_current"]'
check "current is the booted root's release" json_true "$T/out" 'j["current"] == "2026.12.2"'
check "nothing changes: @root-c still boots next" test "$(next_root)" = @root-c

esp_before=$(tree_state "$ESP")
serve 11 '["2026.12.2"]'
expect_rc "a manifest revoking the booted root's release: accepted" 0 "$KOOMPI" --json update check
check "its answer: the current release is revoked" json_true "$T/out" 'j["revoked_current"]'
check "the machine goes back to @root-b, the newest good root of another release" wait_for 100 sh -c "test \"\$(\"$K\" --top \"$TOP\" --esp \"$ESP\" --state \"$STATE\" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"default\"][\"snapshot\"])')\" = @root-b"
check "@root-c's entry is spent (rollback marks)" test "$(entry_of @root-c)" = "koompi-root-c+0.conf"
check "the ledger marks @root-c bad" grep -q "^mark .* @root-c bad rollback%20to%20@root-b" "$LEDGER"
check "an alert names the release and the root it goes back to" wait_for 50 sh -c "'$K' --top '$TOP' --esp '$ESP' --state '$STATE' alerts 2>/dev/null | grep -q 'revoked.*release 2026.12.2 of the booted root @root-c was revoked: going back to @root-b (release 2026.12.1)'"
check "rolled-back recorded" wait_for 50 grep -q '"version":"2026.12.2","outcome":"rolled-back"' "$T/state/update/outcomes"
check "the agent logs it" grep -q "update: release 2026.12.2 is revoked: koompi-boot rollback @root-b" "$T/agent.log"
ledger_before=$(cat "$LEDGER")
esp_rolled=$(tree_state "$ESP")
serve 12 '["2026.12.2"]'
expect_rc "the same revocation again" 0 "$KOOMPI" --json update check
check "it is done already: logged" wait_for 50 grep -q "@root-b boots next already" "$T/agent.log"
check "no second rollback or alert (ledger as it was)" test "$ledger_before" = "$(cat "$LEDGER")"
check "the ESP as it was" test "$esp_rolled" = "$(tree_state "$ESP")"

serve 13 '["2026.12.2", "2026.12.1", "2026.11.1"]'
expect_rc "every release left revoked" 0 "$KOOMPI" --json update check
check "an alert says no root is left, nothing changed" wait_for 50 sh -c "'$K' --top '$TOP' --esp '$ESP' --state '$STATE' alerts 2>/dev/null | grep -q 'no good root of another release is left to go back to: nothing was changed'"
check "nothing changed on the ESP" test "$esp_rolled" = "$(tree_state "$ESP")"
check "no rollback mark added" test "$(grep -c '^mark' "$LEDGER")" -eq "$(echo "$ledger_before" | grep -c '^mark')"
check "offline: the outcomes stay queued" test "$(queue | grep -c .)" -eq 2
check "the agent says they wait" grep -q "update reports: 0 sent, the rest kept for later" "$T/agent.log"
check "nothing reached the report sink yet" test ! -s "$T/nginx/reports.log"

# ---- online: the queue goes, and is emptied ----
stop_agent
conf "$MIRROR/report" yes
check "the agent starts with a report URL that answers" start_agent
check "the queue is sent and emptied" wait_for 100 sh -c "test -e '$T/state/update/report-queue' && ! test -s '$T/state/update/report-queue'"
check "nginx received the two outcomes" test "$(grep -c . "$T/nginx/reports.log")" -eq 2
check "each POST is one report line koompi-release step reads" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [(l["version"], l["outcome"]) for l in lines] == [("2026.12.2", "booted-good"), ("2026.12.2", "rolled-back")], lines
assert all(l["id"] == sys.argv[2] and l["time"].endswith("Z") for l in lines)
' "$T/nginx/reports.log" "$REPORT_ID"
check "the machine-id is in no byte sent" sh -c "! grep -rqi '$MACHINE_ID' '$T/nginx/reports.log' '$T/nginx/access.log'"
check "the outcomes stay recorded" test "$(outcomes | grep -c .)" -eq 2
check "rolled-back once, though @root-c also shows bad in every read of the roots" test "$(outcomes | grep -c rolled-back)" -eq 1

# ---- privacy off: nothing is sent; an update applied is recorded, reboot = never ----
stop_agent
conf "$MIRROR/report" no
check "the agent starts with [privacy] report = no" start_agent
expect_rc "an update made from release 2026.12.3" 0 kb update --release 2026.12.3 --run 'echo new >/etc/version'
NEW=$(newest_root)
expect_rc "koompi status" 0 "$KOOMPI" status
check "applied recorded" wait_for 50 grep -q '"version":"2026.12.3","outcome":"applied"' "$T/state/update/outcomes"
check "never: the decision logged" grep -q "update: 2026.12.3 ($NEW) boots next: not restarting (\[update\] reboot = never): the update boots next time" "$T/agent.log"
expect_rc "koompi status again" 0 "$KOOMPI" status
check "koompi status says the update boots next time" grep -q "^Update: *2026.12.3 ($NEW) boots next: not restarting" "$T/out"
check "privacy off: nothing queued" sh -c "! grep -q 2026.12.3 '$T/state/update/report-queue'"
check "privacy off: nothing sent" test "$(grep -c . "$T/nginx/reports.log")" -eq 2
expect_rc "koompi-boot status says what boots next" 0 "$K" --top "$TOP" --esp "$ESP" --state "$STATE" status
check "  the new root, not yet running" grep -q "^Next boot: *$NEW (this root runs until the machine restarts)" "$T/out"

# ---- reboot = idle, and a window: decided, logged; no logind on this bus, so no restart ----
stop_agent
conf "$MIRROR/report" no idle
check "the agent starts with reboot = idle" start_agent
expect_rc "status" 0 "$KOOMPI" status
check "applied once per root, not again" test "$(outcomes | grep -c 2026.12.3)" -eq 1
check "idle: logind cannot list the sessions here, so the agent waits" wait_for 50 grep -q "boots next: waiting: the sessions could not be listed" "$T/agent.log"
stop_agent
conf "$MIRROR/report" no "00:00-00:00"
check "the agent starts with an empty window (refused: never)" start_agent
check "  the bad value is a problem, the default kept" wait_for 50 grep -q "update:reboot: bad value '00:00-00:00'" "$T/agent.log"
stop_agent
now=$(date +%H:%M)
later=$(date -d '+2 min' +%H:%M)
conf "$MIRROR/report" no "$now-$later"
check "the agent starts with a window holding now" start_agent
check "inside the window: restarting, through logind" wait_for 50 grep -q "boots next: restarting: .* is inside the window $now-$later" "$T/agent.log"
check "logind is not on this bus: the restart is asked again later" grep -q "logind did not restart the machine" "$T/agent.log"
stop_agent
finish
