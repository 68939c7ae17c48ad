#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-release against the stock minisign: its keys and signatures are minisign's, each way;
# set, pause, revoke, optional and step make signed new editions; a bad manifest is not signed.
. "$(dirname "$0")/lib.sh"
R=$(dirname "$K")/koompi-release
[ -x "$R" ] || { not_ok "koompi-release is built" "make all"; finish; exit 1; }
command -v minisign >/dev/null || { not_ok "minisign is installed" "make deps (Debian package minisign)"; finish; exit 1; }
cd "$T" || exit 1

cat >manifest.json <<'JSON'
{ "format": 1, "channel": "stable", "version": "2026.12.2", "serial": 17,
  "issued": "2026-12-06T00:00:00Z", "expires": "2026-12-20T00:00:00Z", "tier": "critical",
  "rollout": { "percent": 10, "paused": false },
  "repo": { "name": "koompi", "path": "2026.12.2/" },
  "packages": [], "revoked": [ "2026.12.1" ], "notes": "a field koompi-release keeps" }
JSON

expect_rc "keygen" 0 "$R" keygen -s rel.key -p rel.pub
check "the secret key is 0600" test "$(stat -c %a rel.key)" = 600
check "the secret key is never printed" sh -c "! grep -qF \"\$(sed -n 2p rel.key)\" out"
expect_rc "keygen refuses to replace a key (exit 3)" 3 "$R" keygen -s rel.key -p rel.pub
check "the refusal names the file" grep -q "rel.pub exists" err

expect_rc "sign" 0 "$R" -s rel.key sign
check "stock minisign -V accepts our signature" minisign -V -q -m manifest.json -p rel.pub
check "the trusted comment is minisign's form" grep -q "^trusted comment: timestamp:[0-9]*	file:manifest.json	hashed$" manifest.json.minisig
check "stock minisign signs with our secret key" sh -c "minisign -S -s rel.key -m manifest.json -x stock.minisig </dev/null >/dev/null"
check "and that signature verifies with our public key" minisign -V -q -m manifest.json -p rel.pub -x stock.minisig

# A key made by minisign signs with koompi-release.
minisign -G -W -p mini.pub -s mini.key >/dev/null 2>&1
expect_rc "koompi-release signs with minisign's key" 0 "$R" -s mini.key -t "release 2026.12.2" sign
check "minisign verifies it, trusted comment included" sh -c \
	"minisign -V -m manifest.json -p mini.pub | grep -q '^Trusted comment: release 2026.12.2$'"

# Edits: each a new edition, signed when -s is given.
expect_rc "set --percent 25" 0 "$R" -s rel.key --now 2026-12-07T00:00:00Z set --percent 25
check "serial 18, issued now, expires as far after" python3 -c "
import json; j = json.load(open('manifest.json'))
assert j['serial'] == 18 and j['issued'] == '2026-12-07T00:00:00Z' and j['expires'] == '2026-12-21T00:00:00Z', j
assert j['rollout'] == {'percent': 25, 'paused': False, 'started': '2026-12-06T00:00:00Z'}, j
assert j['notes'] == 'a field koompi-release keeps'"
check "re-signed" minisign -V -q -m manifest.json -p rel.pub
expect_rc "pause" 0 "$R" -s rel.key pause
check "paused at 25 %" python3 -c "
import json; j = json.load(open('manifest.json')); assert j['rollout']['paused'] and j['rollout']['percent'] == 25 and j['serial'] == 19"
expect_rc "revoke" 0 "$R" -s rel.key revoke 2026.11.3
check "revoked list" python3 -c "
import json; j = json.load(open('manifest.json')); assert j['revoked'] == ['2026.12.1', '2026.11.3'], j"
expect_rc "revoke a name that is no version (exit 2)" 2 "$R" -s rel.key revoke ../x
check "unchanged after the refusal" python3 -c "
import json; j = json.load(open('manifest.json')); assert j['serial'] == 20, j"
expect_rc "edit without a key: written, not signed" 0 "$R" set --percent 25
check "it says to sign it" grep -q "not signed yet" out
check "the old signature no longer verifies" sh -c "! minisign -V -q -m manifest.json -p rel.pub 2>/dev/null"

# step: the schedule, then a halt on the reports.
"$R" -s rel.key set --percent 10 >/dev/null
expect_rc "step at 17 h: raise to 25 %" 0 "$R" -s rel.key --now 2026-12-06T17:00:00Z step
check "the decision is printed" grep -q "^step: raise: the critical schedule is at 25 %" out
expect_rc "step again: hold" 0 "$R" -s rel.key --now 2026-12-06T18:00:00Z step
check "held" grep -q "^step: hold" out
i=0
: >reports.jsonl
while [ $i -lt 20 ]; do
	printf '{"id":"m%d","version":"2026.12.2","outcome":"taken"}\n' $i >>reports.jsonl
	i=$((i + 1))
done
printf '{"id":"m1","version":"2026.12.2","outcome":"rolled-back"}\n{"id":"m2","version":"2026.12.2","outcome":"rolled-back"}\n' >>reports.jsonl
expect_rc "step with 2 of 20 rolled back: halt" 0 "$R" -s rel.key --reports reports.jsonl --now 2026-12-06T20:00:00Z step
check "halted: 0 % and paused" python3 -c "
import json; j = json.load(open('manifest.json')); assert j['rollout']['percent'] == 0 and j['rollout']['paused'], j"
check "signed" minisign -V -q -m manifest.json -p rel.pub

# optional: a package in the repository that machines take only when asked for.
python3 -c "
import json; j = json.load(open('manifest.json'))
j['packages'] = [{'name': 'gimp', 'version': '3-1', 'file': 'gimp-3-1-any.pkg.tar.zst', 'size': 5, 'sha256': '0' * 64}]
json.dump(j, open('manifest.json', 'w'))"
expect_rc "optional" 0 "$R" -s rel.key optional gimp
check "the package is marked optional, and signed" sh -c "python3 -c \"
import json; assert json.load(open('manifest.json'))['packages'][0]['optional'] is True\" && minisign -V -q -m manifest.json -p rel.pub"
expect_rc "optional names a package the manifest lacks (exit 2)" 2 "$R" -s rel.key optional inkscape
check "which the refusal names" grep -q "lists no package inkscape" err

# A manifest no machine would accept is not signed.
rm -f manifest.json.minisig
sed -i 's/"format": 1/"format": 2/' manifest.json
expect_rc "an unknown format is not signed (exit 2)" 2 "$R" -s rel.key sign
check "no signature written" test ! -e manifest.json.minisig
printf '{ "format": 1, ' >broken.json
expect_rc "malformed JSON is not signed (exit 2)" 2 "$R" -m broken.json -s rel.key sign
check "the message says why" grep -q "malformed JSON" err
expect_rc "a missing manifest (exit 2)" 2 "$R" -m none.json -s rel.key sign
expect_rc "usage: set without --percent (exit 1)" 1 "$R" set
expect_rc "usage: revoke without a version (exit 1)" 1 "$R" revoke
cd / || exit 1
finish
