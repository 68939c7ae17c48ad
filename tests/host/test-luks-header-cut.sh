#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A power cut in the middle of the LUKS2 header write with which koompi-init remembers the keyslot
# that opened the volume (luks_prefer_keyslot(): crypt_keyslot_set_priority()) cannot lock the
# school out of its disk.
#
# Why: LUKS2 keeps two copies of its metadata (binary header and JSON area), each with its own
# sequence number and a checksum over the whole copy. libcryptsetup writes them one after the
# other, and a priority change writes no keyslot area. A cut part way through one copy leaves
# that copy failing its checksum and the other copy whole (old or new); libcryptsetup then reads
# the whole one. Proof here: the write is torn on the host at every combination of the 512-byte
# sectors it changes in one copy, with the other copy old or new; each result must still open
# with every keyslot (the passphrase in keyslot 0, the key file in keyslot 1).
# Needs cryptsetup (no device-mapper: --test-passphrase only derives and checks the key).
. "$(dirname "$0")/lib.sh"

command -v cryptsetup >/dev/null || { echo "test-luks-header-cut: SKIPPED: no cryptsetup"; exit 0; }
cd "$T" || exit 1
printf %s koompi-demo >pass
head -c 64 /dev/urandom >key
truncate -s 20M old.img
fast="--pbkdf pbkdf2 --pbkdf-force-iterations 1000"
# shellcheck disable=SC2086
cryptsetup luksFormat -q --type luks2 $fast --key-file pass old.img >/dev/null 2>&1 &&
	cryptsetup luksAddKey -q $fast --key-file pass old.img key >/dev/null 2>&1 ||
	{ not_ok "a LUKS2 volume with a passphrase and a key file" "$(cryptsetup --version)"; finish; exit; }
cp old.img new.img
# The same library call as koompi-init's (crypt_keyslot_set_priority), made by cryptsetup.
check "keyslot 0 is remembered (priority prefer)" cryptsetup config --priority prefer --key-slot 0 new.img
preferred() { cryptsetup luksDump "$1" 2>/dev/null | grep -A2 '^  0: luks2' | grep -q 'Priority: *preferred'; }
check "the header says so" preferred new.img
check "the old header did not" sh -c "! cryptsetup luksDump old.img | grep -A2 '^  0: luks2' | grep -q 'Priority: *preferred'"

opens() { # opens IMAGE: the header reads, and both keyslots open
	cryptsetup luksDump "$1" >/dev/null 2>&1 &&
		cryptsetup open --test-passphrase --key-slot 0 --key-file pass "$1" 2>/dev/null &&
		cryptsetup open --test-passphrase --key-slot 1 --key-file key "$1" 2>/dev/null
}

# Every torn image: COPY (primary or secondary) with a subset of its changed sectors new, the
# other copy OTHER (old or new). tear.py writes them and prints one name a line.
cat >tear.py <<'EOF'
import itertools, struct, sys
old, new = open("old.img", "rb").read(), open("new.img", "rb").read()
hdr = struct.unpack(">Q", old[8:16])[0]  # the size of one copy (binary header + JSON area)
def changed(start):
    return [s for s in range(start, start + hdr, 512) if old[s:s + 512] != new[s:s + 512]]
copies = {"primary": 0, "secondary": hdr}
for name, start in copies.items():
    sectors = changed(start)
    assert 0 < len(sectors) <= 12, f"{len(sectors)} sectors changed in the {name} copy"
    other = copies["secondary" if name == "primary" else "primary"]
    for keep_other in ("old", "new"):
        for n in range(len(sectors) + 1):
            for subset in itertools.combinations(sectors, n):
                img = bytearray(old[:2 * hdr])
                if keep_other == "new":
                    img[other:other + hdr] = new[other:other + hdr]
                for s in subset:
                    img[s:s + 512] = new[s:s + 512]
                out = f"torn-{name}-{'.'.join(str(s // 512) for s in subset) or 'none'}-other-{keep_other}"
                with open(out, "wb") as f:
                    f.write(img)
                print(out, len(sectors))
EOF
if ! python3 tear.py >torn.list 2>tear.err; then
	not_ok "the torn headers are written" "$(cat tear.err)"
	finish
	exit
fi
n=0 bad="" read_new=0
while read -r head _; do
	# The rest of the volume (keyslot areas) as it was: the write never touches it.
	cp --reflink=auto --sparse=always old.img state.img
	dd if="$head" of=state.img conv=notrunc status=none
	n=$((n + 1))
	opens state.img || bad="$bad $head"
	preferred state.img && read_new=$((read_new + 1))
	rm -f "$head"
done <torn.list
check "the header write was torn $n ways ($(awk 'NR == 1 { print $2 }' torn.list) sectors changed per copy)" \
	test "$n" -ge 8
check "every torn header still opens with the passphrase and the key file" test -z "$bad"
[ -n "$bad" ] && printf '     locked out by:%s\n' "$bad"
echo "     ($read_new of them read as the new header, $((n - read_new)) as the old one)"
check "some torn writes read as the new header, some as the old" test "$read_new" -gt 0 -a "$read_new" -lt "$n"
# The limit of the proof: both copies torn at once is what a cut cannot make, since the second
# copy is written only after the first was.
cp old.img both.img
dd if=new.img of=both.img bs=512 count=1 conv=notrunc status=none
hdr_sectors=$(($(od -An -j8 -N8 -tu8 --endian=big old.img) / 512))
dd if=new.img of=both.img bs=512 skip="$hdr_sectors" seek="$hdr_sectors" count=1 conv=notrunc status=none
if opens both.img; then
	echo "     (both copies torn at once: still opens)"
else
	echo "     (both copies torn at once would not open: the reason the copies are written in turn)"
fi
finish
