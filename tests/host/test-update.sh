#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi-boot update on a real Btrfs top level: one new read-only root holding the command's
# change and one counting entry whose files exist, @root-current untouched; the command's
# sandbox; a failing command leaves nothing behind; --pacman and --pacman-cache; the initramfs built into the root
# and shared by content; an ESP too full; two koompi-boot at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-roots.sh"

if [ -z "$BUSYBOX" ]; then
	echo "test-update.sh: SKIPPED: no static busybox to run commands in the test roots"
	finish
	exit 0
fi
make_top || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
add_shell_root @root-current || { not_ok "a root with a shell"; finish; exit 1; }
btrfs -q subvolume create "$TOP/@home" >/dev/null
echo homework >"$TOP/@home/student.txt"
make_kernel
make_esp_dir
boot_state @root-current
expect_rc "entries sync before the updates" 0 kb entries sync

cur_before=$(tree_state "$TOP/@root-current")
home_before=$(tree_state "$TOP/@home")
var_before=$(cd "$TOP/@var" && find . | sort)
mounts_before=$(grep -c " $TOP" /proc/self/mountinfo)
n0=$(nroots)

# ---- one update ----
cmd='echo updated >/etc/version
{
	[ $$ -eq 1 ] && echo pid1
	touch /home/x 2>/dev/null && echo home-writable || echo home-read-only
	[ -z "$(ls /home)" ] && echo home-empty
	[ -e /proc/self/stat ] && echo proc
	[ -e /sys/kernel ] && echo sys
	touch /sys/x 2>/dev/null || echo sys-read-only
	[ -c /dev/null ] && echo dev
	[ -d /run ] && echo run
	touch /tmp/t && echo tmp
	echo "root=$KOOMPI_UPDATE_ROOT from=$KOOMPI_UPDATE_FROM"
} >/etc/sandbox
echo in-root >/var/lib/marker'
expect_rc "update --run succeeds" 0 kb update --run "$cmd"
cp "$T/out" "$T/update1.out"
new=$(newest_root)
check "exactly one new root" test "$(nroots)" -eq $((n0 + 1))
echo "$new" | grep -Eqx '@root-[0-9]{4}-[0-9]{2}-[0-9]{2}(\.[0-9]+)?' && ok "the new root is named after the day ($new)" ||
	not_ok "the new root is named after the day" "$new"
check "the new root is read-only" is_ro "$new"
check "the new root holds the command's change" test "$(cat "$TOP/$new/etc/version")" = updated
check "@root-current is untouched" test "$cur_before" = "$(tree_state "$TOP/@root-current")"
check "@root-current is still read-only" is_ro @root-current
e=$(entry_of "$new")
check "one counting entry for the new root (+3)" test "$e" = "koompi-${new#@}+3.conf"
check "every root has one entry with its files, no journal, no temporary file" consistent
check "the new root boots next" test "$(next_boot)" = "$new"
check "the command ran as PID 1 of its own namespace" grep -qx pid1 "$TOP/$new/etc/sandbox"
check "/home is not writable from the command" grep -qx home-read-only "$TOP/$new/etc/sandbox"
check "/home is empty for the command" grep -qx home-empty "$TOP/$new/etc/sandbox"
check "/proc, /dev, /run and /tmp are there" test "$(grep -cx 'proc\|dev\|run\|tmp' "$TOP/$new/etc/sandbox")" -eq 4
check "/sys is there, read-only" test "$(grep -cx 'sys\|sys-read-only' "$TOP/$new/etc/sandbox")" -eq 2
check "the command knows its root" grep -qx "root=$new from=@root-current" "$TOP/$new/etc/sandbox"
check "/var in the command is the root's own" test -f "$TOP/$new/var/lib/marker"
check "@home is untouched" test "$home_before" = "$(tree_state "$TOP/@home")"
check "@var is untouched but for lib/koompi" test "$var_before" = "$(cd "$TOP/@var" && find . | sort)"
check "no mount is left behind" test "$(grep -c " $TOP" /proc/self/mountinfo)" -eq "$mounts_before"
check "/tmp of the command went with it" test ! -e "$TOP/$new/tmp/t"
for s in 1 2 3 4 5 6 7; do
	grep -q "^\[$s/7\] " "$T/update1.out" || { not_ok "progress line $s/7" "$(cat "$T/update1.out")"; break; }
done
[ "$s" = 7 ] && ok "a progress line per step"
grep -q "^update: $new made from @root-current" "$T/update1.out" && grep -q "boots next" "$T/update1.out" &&
	grep -q "transaction [0-9.]* s" "$T/update1.out" && ok "a summary" || not_ok "a summary" "$(cat "$T/update1.out")"

# ---- updates build on each other ----
expect_rc "a second update" 0 kb update --run 'cat /etc/version >/etc/previous; echo second >/etc/version'
new2=$(newest_root)
check "a second new root" test "$(nroots)" -eq $((n0 + 2))
check "it was made from the first update (the root booted next)" test "$(cat "$TOP/$new2/etc/previous")" = updated
check "the same day gives the next sequence number" test "$new2" = "$new.2"
check "the first update is untouched" test "$(cat "$TOP/$new/etc/version")" = updated
check "consistent after two updates" consistent

# ---- the release a root is made from ----
expect_rc "update --release: the new root is made from a release" 0 kb update --release 2026.12.2 --run 'echo r >/etc/r'
rel=$(newest_root)
check "the release is kept in the new root" test "$(cat "$TOP/$rel/etc/koompi/release")" = 2026.12.2
check "the progress says so" grep -q "release 2026.12.2 recorded in /etc/koompi/release" "$T/out"
kbs() { "$K" --top "$TOP" --esp "$ESP" --state "$STATE" "$@"; }
expect_rc "status --json" 0 kbs --json status
check "status --json: each root's release, null when unknown" json_true "$T/out" \
	'[s["release"] for s in j["snapshots"] if s["name"] in ("'"$rel"'", "@root-current")] == ["2026.12.2", None]'
expect_rc "status" 0 kbs status
check "status: the release beside the root" grep -q "$rel .* release 2026.12.2" "$T/out"
expect_rc "an update without --release" 0 kb update --run 'echo s >/etc/s'
check "a root made without --release is no release: the inherited file goes" test ! -e "$TOP/$(newest_root)/etc/koompi/release"
check "the release root keeps its file" test -s "$TOP/$rel/etc/koompi/release"
expect_rc "a --release that is no version: exit 1" 1 kb update --release ../x --run true
expect_rc "--release is update's only" 1 kb prune --release 2026.12.2

# ---- a failing command ----
esp_before=$(tree_state "$ESP")
roots_before=$(roots)
expect_rc "a failing command: exit status 6" 6 kb update --run 'echo broken >/etc/version; exit 3'
check "a failing command leaves no root" test "$(roots)" = "$roots_before"
check "a failing command leaves the ESP as it was" test "$esp_before" = "$(tree_state "$ESP")"
check "a failing command leaves no journal" test ! -e "$(journal)"
grep -q "exit status 3" "$T/err" && ok "the failure is said, with its status" || not_ok "the failure is said" "$(cat "$T/err")"
expect_rc "a command that does not exist: exit status 6" 6 kb update --run 'no-such-program'
check "and leaves no root" test "$(roots)" = "$roots_before"

# ---- usage ----
expect_rc "update without a command" 1 kb update
expect_rc "update with --run and --pacman" 1 kb update --run true --pacman -Syu
expect_rc "update with a stray word" 1 kb update now --run true
expect_rc "update --dry-run is refused" 1 kb update --dry-run --run true
check "usage errors leave the ESP as it was" test "$esp_before" = "$(tree_state "$ESP")"

# ---- --pacman runs the new root's own pacman ----
expect_rc "an update installing a pacman" 0 kb update --run \
	'printf "#!/bin/sh\necho \"\$*\" >/etc/pacman-args\n" >/usr/bin/pacman && chmod 755 /usr/bin/pacman'
expect_rc "update --pacman" 0 kb update --pacman '-Syu --noconfirm vim'
check "--pacman ran the root's pacman with the arguments" test "$(cat "$TOP/$(newest_root)/etc/pacman-args")" = "-Syu --noconfirm vim"

# ---- --pacman-cache: a folder shown read-only to the command, kept by no root ----
mkdir -p "$T/cache"
echo verified >"$T/cache/pkg.pkg.tar.zst"
expect_rc "update --pacman-cache" 0 kb update --pacman-cache "$T/cache" --run \
	'cat /tmp/koompi-update-cache/pkg.pkg.tar.zst >/etc/from-cache
	touch /tmp/koompi-update-cache/x 2>/dev/null && echo writable >>/etc/from-cache; true'
new=$(newest_root)
check "the command read the cache" test "$(cat "$TOP/$new/etc/from-cache")" = verified
check "and could not write it" test ! -e "$T/cache/x"
check "the new root keeps neither the mount point nor the files" test ! -e "$TOP/$new/tmp/koompi-update-cache"
check "no mount is left" test "$(grep -c " $TOP" /proc/self/mountinfo)" -eq "$mounts_before"

# ---- a kernel in the root: its initramfs built into it, shared by content ----
kdirs_before=$(ls "$ESP/koompi" | wc -l)
expect_rc "an update installing a kernel" 0 kb update --run \
	'mkdir -p /usr/lib/modules/6.1.0-test && echo "kernel one" >/usr/lib/modules/6.1.0-test/vmlinuz'
k1=$(newest_root)
img=$TOP/$k1/usr/lib/modules/6.1.0-test/initramfs-koompi.img
check "the initramfs was built into the new root" test -s "$img"
grep -q "initramfs: 6.1.0-test: built" "$T/out" && ok "the build is reported" || not_ok "the build is reported" "$(cat "$T/out")"
e=$(entry_of "$k1")
kid=$(sed -n 's|^linux /koompi/\([0-9a-f]*\)/vmlinuz$|\1|p' "$ESP/loader/entries/$e")
check "its entry boots the root's own kernel" test "$(cat "$ESP/koompi/$kid/vmlinuz")" = "kernel one"
check "and the image built in the root" cmp "$img" "$ESP/koompi/$kid/initramfs.img"
check "one more kernel on the ESP" test "$(ls "$ESP/koompi" | wc -l)" -eq $((kdirs_before + 1))
python3 - "$img" <<'EOF' && ok "the image is a cpio archive with koompi-init as /init" || not_ok "the image is a cpio archive with /init"
import sys
d = open(sys.argv[1], "rb").read()
sys.exit(0 if d[:6] == b"070701" and b"init\0" in d else 1)
EOF
expect_rc "an update that changes no kernel" 0 kb update --run 'echo again >/etc/version'
k2=$(newest_root)
grep -q "initramfs: 6.1.0-test: unchanged" "$T/out" && ok "an unchanged image is said so" ||
	not_ok "an unchanged image is said so" "$(cat "$T/out")"
check "the unchanged image is the inherited file (extents shared)" test \
	"$(stat -c %i "$img")" = "$(stat -c %i "$TOP/$k2/usr/lib/modules/6.1.0-test/initramfs-koompi.img")"
check "its entry shares the kernel directory" grep -q "^linux /koompi/$kid/vmlinuz$" "$ESP/loader/entries/$(entry_of "$k2")"
check "no new kernel on the ESP" test "$(ls "$ESP/koompi" | wc -l)" -eq $((kdirs_before + 1))
check "consistent after the kernel updates" consistent

# ---- the root's own koompi-mkinitramfs, run in the sandbox ----
expect_rc "an update installing its own image builder" 0 kb update --run 'cat >/usr/bin/koompi-mkinitramfs <<"B"
#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = --output ] && out=$2; shift; done
[ $$ -eq 1 ] && echo "own builder, in the sandbox" >"$out"
B
chmod 755 /usr/bin/koompi-mkinitramfs'
k3=$(newest_root)
check "the root's own builder made its image" test \
	"$(cat "$TOP/$k3/usr/lib/modules/6.1.0-test/initramfs-koompi.img")" = "own builder, in the sandbox"
grep -q "the root's own builder" "$T/out" && ok "the root's own builder is named" || not_ok "the root's own builder is named" "$(cat "$T/out")"
check "consistent after the root's own build" consistent
expect_rc "a builder that fails: exit status 6" 6 kb update --run 'printf "#!/bin/sh\nexit 2\n" >/usr/bin/koompi-mkinitramfs'
check "and leaves no root" test "$(newest_root)" = "$k3"
check "consistent after a failed build" consistent

# ---- an ESP too full ----
mount_small_fs "$T/small" 256 || not_ok "a small filesystem"
mkdir -p "$T/small/loader"
roots_before=$(roots)
expect_rc "an ESP too full: exit status 4" 4 "$K" --top "$TOP" --esp "$T/small" --state "$STATE" --options "$OPTS" \
	--kernel "$T/vmlinuz" --initrd "$T/initrd.img" update --run 'echo x >/etc/version'
check "nothing was made" test "$(roots)" = "$roots_before"
check "nothing was written on the full ESP" test "$(cd "$T/small" && find . | sort | tr '\n' ' ')" = ". ./loader "
grep -q "need up to [0-9]* bytes, [0-9]* are free" "$T/err" && ok "the space needed and free are said" ||
	not_ok "the space needed and free are said" "$(cat "$T/err")"

# ---- one koompi-boot changing roots at a time ----
flock "$TOP" sleep 3 &
sleep 0.5
expect_rc "an update while another holds the lock: exit status 3" 3 kb update --run true
check "and nothing was made" test "$(roots)" = "$roots_before"
wait

# ---- a root without a kernel and no --kernel ----
make_top_b() {
	TOP=$T/top2
	mkdir -p "$TOP"
	truncate -s 256M "$T/btrfs2.img"
	mkfs.btrfs -q -f "$T/btrfs2.img" >/dev/null 2>&1 && mount -o loop "$T/btrfs2.img" "$TOP" || return 1
	MOUNTS="$TOP $MOUNTS"
	btrfs -q subvolume create "$TOP/@var" >/dev/null && mkdir -p "$TOP/@var/lib/koompi"
}
make_top_b && add_shell_root @root-current || not_ok "a second top level"
expect_rc "no kernel anywhere: exit status 2" 2 "$K" --top "$TOP" --esp "$ESP" --state "$STATE" --options "$OPTS" \
	update --run true
check "and nothing was made" test "$(roots)" = "@root-current"

finish
