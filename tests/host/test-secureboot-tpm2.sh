#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-boot secureboot keygen, enroll and status on an ESP directory; tpm2 enroll, status and
# remove on a LUKS2 image file against a swtpm (started and stopped here, by its PID).
. "$(dirname "$0")/lib.sh"

ESP=$T/esp
KEYS=$T/keys
mkdir -p "$ESP/loader" "$ESP/EFI/BOOT"
printf 'timeout 3\neditor no\n' >"$ESP/loader/loader.conf"
printf '[boot]\nimage = uki\n[secureboot]\nkeys = %s\n' "$KEYS" >"$T/boot.conf"
kb() { "$K" --esp "$ESP" --config "$T/boot.conf" "$@"; }

# ---- secureboot ----
if command -v openssl >/dev/null && command -v sbsign >/dev/null && command -v cert-to-efi-sig-list >/dev/null; then
	expect_rc "secureboot keygen" 0 kb secureboot keygen
	check "three keys and certificates" test "$(ls "$KEYS" | grep -c '\.\(key\|crt\)$')" -eq 6
	check "private keys 0600" test "$(stat -c %a "$KEYS/PK.key" "$KEYS/KEK.key" "$KEYS/db.key" | sort -u)" = 600
	check "the folder 0700" test "$(stat -c %a "$KEYS")" = 700
	before=$(tree_state "$KEYS")
	expect_rc "a second keygen is refused: exit 3" 3 kb secureboot keygen
	check "and changes nothing" test "$before" = "$(tree_state "$KEYS")"
	check "it says why" grep -q "holds Secure Boot keys already" "$T/err"
	expect_rc "secureboot status before enroll" 0 kb secureboot status --json
	check "status: keys there, nothing to enroll yet" json_true "$T/out" 'j["key_db"] and not j["enroll_db"]'
	expect_rc "secureboot enroll" 0 kb secureboot enroll
	for k in PK KEK db; do
		check "loader/keys/auto/$k.auth" test -s "$ESP/loader/keys/auto/$k.auth"
	done
	check "systemd-boot signed with db" sbverify --cert "$KEYS/db.crt" "$ESP/EFI/BOOT/BOOTX64.EFI"
	check "loader.conf: secure-boot-enroll force" grep -qx "secure-boot-enroll force" "$ESP/loader/loader.conf"
	check "loader.conf: other lines kept" grep -qx "timeout 3" "$ESP/loader/loader.conf"
	check "no private key on the ESP" test -z "$(find "$ESP" -name '*.key')"
	expect_rc "secureboot enroll again" 0 kb secureboot enroll
	check "one secure-boot-enroll line" test "$(grep -c secure-boot-enroll "$ESP/loader/loader.conf")" -eq 1
	expect_rc "secureboot status" 0 kb secureboot status --json
	check "status: enrolment files and a signed loader" json_true "$T/out" 'j["enroll_PK"] and j["bootloader_signed"]'
	expect_rc "enroll without keys: exit 2" 2 kb secureboot enroll --keys-dir "$T/nokeys"
	expect_rc "a verb's option elsewhere: exit 1" 1 kb status --keys-dir "$KEYS"
else
	echo "test-secureboot-tpm2.sh: secureboot SKIPPED (openssl, sbsigntool or efitools missing: make deps)"
fi

# ---- tpm2 ----
if ! command -v swtpm >/dev/null || ! command -v systemd-cryptenroll >/dev/null || ! command -v cryptsetup >/dev/null; then
	echo "test-secureboot-tpm2.sh: tpm2 SKIPPED (swtpm, systemd-cryptenroll or cryptsetup missing: make deps)"
	finish
	exit $?
fi
truncate -s 32M "$T/luks.img"
printf 'koompi-test' >"$T/pass"
cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$T/pass" \
	"$T/luks.img" || { not_ok "a LUKS2 image"; finish; exit 1; }
mkdir -p "$T/tpm"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
swtpm socket --tpm2 --tpmstate dir="$T/tpm" --server type=tcp,port="$port",bindaddr=127.0.0.1 \
	--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear >"$T/swtpm.log" 2>&1 &
swtpm_pid=$!
stop_swtpm() { kill "$swtpm_pid" 2>/dev/null; wait "$swtpm_pid" 2>/dev/null; cleanup; }
trap stop_swtpm EXIT INT TERM
tpm="--tpm2-device=swtpm:host=127.0.0.1,port=$port"

expect_rc "tpm2 status without a token" 0 "$K" tpm2 status --device "$T/luks.img" --json
check "says none" json_true "$T/out" 'j["tpm2"] is None'
PASSWORD=koompi-test expect_rc "tpm2 enroll" 0 "$K" tpm2 enroll --device "$T/luks.img" "$tpm" </dev/null
key=$(grep -Eo '[a-z]{8}(-[a-z]{8}){7}' "$T/out" | head -n1)
check "a recovery key printed once" test "$(grep -Ec '[a-z]{8}(-[a-z]{8}){7}' "$T/out")" -eq 1
check "the recovery key opens the volume" sh -c "printf %s '$key' | cryptsetup open --test-passphrase --key-file - '$T/luks.img'"
expect_rc "tpm2 status" 0 "$K" tpm2 status --device "$T/luks.img" --json
check "a systemd-tpm2 token sealed to PCR 7, no PIN" json_true "$T/out" \
	'j["tpm2"]["pcrs"] == "7" and not j["tpm2"]["pin"] and j["tpm2"]["keyslot"] >= 1'
check "systemd's own tools see the token" sh -c "cryptsetup luksDump '$T/luks.img' | grep -q 'systemd-tpm2'"
expect_rc "tpm2 remove" 0 "$K" tpm2 remove --device "$T/luks.img" </dev/null
expect_rc "tpm2 status after remove" 0 "$K" tpm2 status --device "$T/luks.img" --json
check "no token any more" json_true "$T/out" 'j["tpm2"] is None'
check "the passphrase still opens it" cryptsetup open --test-passphrase --key-file "$T/pass" "$T/luks.img"
expect_rc "tpm2 status of no LUKS volume: exit 2" 2 "$K" tpm2 status --device "$T/pass"
expect_rc "tpm2 enroll --pin on another verb: exit 1" 1 "$K" tpm2 status --pin --device "$T/luks.img"
finish
