#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi install|list|search|info|remove of an AppImage made by the test, through the agent on
# a private bus: integrated (kept, executable, its .desktop and icon read from the payload
# without running it, Exec= rewritten) and removed again; what fails (no such app, a cut
# AppImage, a type-1 one, a URL with the network down, a full disk) leaves nothing behind and says what
# failed; a risky removal waits for a confirmation that a student may not give.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-agent.sh"
. "$(dirname "$0")/lib-appimage.sh"

WORKER=$(dirname "$K")/koompi-pkg-appimage
[ -x "$AGENT" ] && [ -x "$KOOMPI" ] && [ -x "$WORKER" ] ||
	{ not_ok "koompi-agent, koompi and koompi-pkg-appimage are built" "make all"; finish; exit 1; }
for tool in mksquashfs unsquashfs setpriv; do
	command -v "$tool" >/dev/null || { not_ok "$tool is installed"; finish; exit 1; }
done
# The payload is read by nobody: the test's folders must be open to it.
chmod 755 "$T"
make_agent_world || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a private bus" start_bus
write_agent_conf "[packages]" "workers_dir = $(dirname "$K")" "appimage_dir = $T/opt/appimages" \
	"desktop_dir = $T/share/applications" "icon_dir = $T/share/icons" "flatpak = no" "order = appimage"
check "the agent starts" start_agent
check "an AppImage made by the test" make_appimage "$T/Hello-1.0.AppImage" hello

APP=$T/opt/appimages/Hello-1.0.AppImage
DESKTOP=$T/share/applications/koompi-appimage-Hello-1.0.desktop
ICON=$T/share/icons/koompi-appimage-Hello-1.0.png
nothing_left() {
	[ -z "$(ls -A "$T/opt/appimages" 2>/dev/null)" ] && [ -z "$(ls -A "$T/share/applications" 2>/dev/null)" ] &&
		[ -z "$(ls -A "$T/share/icons" 2>/dev/null)" ]
}

# ---- install, look, remove ----
expect_rc "info of the file says where it comes from and its risk" 0 "$KOOMPI" info "$T/Hello-1.0.AppImage"
check "... appimage, no restart, the risk of no sandbox" sh -c "grep -q 'From:     appimage' '$T/out' &&
	grep -q 'Restart:  not needed' '$T/out' && grep -q 'Risk:     0.30' '$T/out' && grep -q 'without a sandbox' '$T/out'"
t0=$(date +%s.%N)
expect_rc "koompi install of the file" 0 "$KOOMPI" install "$T/Hello-1.0.AppImage"
t1=$(date +%s.%N)
check "... says what it did" grep -q "^Hello-1.0 installed from appimage$" "$T/out"
check "... showed the agent's progress" grep -q "reading the .desktop entry and the icon" "$T/err"
check "the file is kept, executable" test -x "$APP"
check "... the same bytes" cmp "$APP" "$T/Hello-1.0.AppImage"
check "the .desktop entry runs the kept file" grep -qx "Exec=$APP --start %U" "$DESKTOP"
check "... TryExec and Icon rewritten too" sh -c "grep -qx 'TryExec=$APP' '$DESKTOP' && grep -qx 'Icon=$ICON' '$DESKTOP'"
check "the icon is the payload's" grep -q "hello-icon" "$ICON"
check "nothing of the work is left beside it" test "$(ls -A "$T/opt/appimages")" = Hello-1.0.AppImage
expect_rc "koompi --json list" 0 "$KOOMPI" --json list
check "... lists it, installed, with the .desktop's comment" json_true "$T/out" \
	'[(r["name"], r["installed"], r["summary"]) for r in j["results"]] == [("Hello-1.0", True, "Says hello from hello")]'
expect_rc "a student searches" 0 as_nobody "$KOOMPI" search hello
check "... and finds it" grep -q "^Hello-1.0 .*appimage .*installed" "$T/out"
expect_rc "koompi info by name" 0 "$KOOMPI" --json info Hello-1.0
check "... installed, from appimage" json_true "$T/out" 'j["installed"] and j["source"] == "appimage" and j["risk"] == 0.3'
expect_rc "koompi remove" 0 "$KOOMPI" remove Hello-1.0
check "... undoes all of it" nothing_left

# ---- failures leave nothing behind and say what failed ----
expect_rc "an unknown app (exit 2)" 2 "$KOOMPI" install no-such-app
check "... says no source has it" grep -q "no-such-app: no source has it (searched: appimage" "$T/err"
head -c 20000 "$T/Hello-1.0.AppImage" >"$T/Cut.AppImage"
expect_rc "a cut AppImage fails" 2 "$KOOMPI" install "$T/Cut.AppImage"
check "... saying so" grep -q "Cut: not a type-2 AppImage" "$T/err"
check "... nothing left" nothing_left
cp "$T/Hello-1.0.AppImage" "$T/Old.AppImage"
printf 'AI\001' | dd of="$T/Old.AppImage" bs=1 seek=8 conv=notrunc 2>/dev/null
expect_rc "a type-1 AppImage is refused" 5 "$KOOMPI" install "$T/Old.AppImage"
check "... saying so" grep -q "type-1 AppImage, which is not supported" "$T/err"
check "... nothing left" nothing_left
expect_rc "a URL with the network down fails" 5 "$KOOMPI" install http://127.0.0.1:9/Net.AppImage
check "... saying the download failed" grep -q "Net: the download failed" "$T/err"
check "... nothing left" nothing_left
# A full disk: /opt/appimages a 1 MiB tmpfs that a 2 MiB AppImage does not fit.
cp "$T/Hello-1.0.AppImage" "$T/Big.AppImage"
head -c 2097152 /dev/urandom >>"$T/Big.AppImage"
if mount -t tmpfs -o size=1m,mode=755 koompi-test-full "$T/opt/appimages"; then
	MOUNTS="$T/opt/appimages $MOUNTS"
	expect_rc "an AppImage larger than the disk fails (exit 4)" 4 "$KOOMPI" install "$T/Big.AppImage"
	check "... saying the disk is full, and where" grep -q "Big: the disk is full: no room in $T/opt/appimages" "$T/err"
	check "... nothing left (no half file, no .desktop, no icon)" nothing_left
	check "... the room given back" test "$(df --output=used -k "$T/opt/appimages" | tail -n1)" -eq 0
	umount "$T/opt/appimages" && MOUNTS=${MOUNTS#"$T/opt/appimages "}
else
	not_ok "a 1 MiB tmpfs on $T/opt/appimages"
fi
# The AppImage fits but its .desktop entry does not (a tmpfs with no inode free): the kept file and
# the icon already written are taken back.
if mount -t tmpfs -o nr_inodes=1,mode=755 koompi-test-full "$T/share/applications"; then
	MOUNTS="$T/share/applications $MOUNTS"
	expect_rc "no room for the .desktop entry fails (exit 4)" 4 "$KOOMPI" install "$T/Hello-1.0.AppImage"
	check "... saying where" grep -q "Hello-1.0: the disk is full: no room in $T/share/applications (the .desktop entry could not be written" "$T/err"
	check "... the file and the icon taken back" nothing_left
	umount "$T/share/applications" && MOUNTS=${MOUNTS#"$T/share/applications "}
else
	not_ok "a tmpfs without free inodes on $T/share/applications"
fi
expect_rc "a bad name is refused before anything runs (exit 1)" 1 "$KOOMPI" install '-x;rm'
expect_rc "an unknown --from (exit 1)" 1 "$KOOMPI" install --from snap x
expect_rc "a student may not use the AUR (exit 3)" 3 as_nobody "$KOOMPI" info --from aur x
check "... told why" grep -q "the AUR needs the koompi-admin or koompi-teacher group" "$T/err"

# ---- a risky removal ----
check "an AppImage named like the kernel" make_appimage "$T/linux-tools.AppImage" tools
expect_rc "a student installs it" 0 as_nobody "$KOOMPI" install "$T/linux-tools.AppImage"
expect_rc "its removal is risky: refused without a confirmation (exit 3)" 3 as_nobody "$KOOMPI" remove linux-tools
check "... with the reason" grep -q "linux-tools is needed by the boot or the desktop (linux-\*)" "$T/err"
check "... and nothing removed" test -x "$T/opt/appimages/linux-tools.AppImage"
expect_rc "a student may not confirm it (exit 3)" 3 as_nobody "$KOOMPI" --yes remove linux-tools
check "... told who may" grep -q "confirming a risky request needs the koompi-admin or koompi-teacher group" "$T/err"
expect_rc "NeedsConfirmation on the bus, with the reasons" 1 dbus-send --system --print-reply \
	--dest=org.koompi.Agent1 /org/koompi/Agent1 org.koompi.Agent1.Remove array:string:linux-tools string: boolean:false
check "... named so" grep -q "org.koompi.Agent1.Error.NeedsConfirmation: .*needed by the boot" "$T/err"
expect_rc "root confirms it with --yes" 0 "$KOOMPI" --yes remove linux-tools
check "... removed" nothing_left
check "the agent still serves" kill -0 "$AGENT_PID"

# ---- figures: the same by hand, and the agent's peak memory ----
by_hand() {
	mkdir -p "$T/hand/apps" "$T/hand/icons" && cp "$T/Hello-1.0.AppImage" "$T/hand/Hello.AppImage" &&
		chmod 755 "$T/hand/Hello.AppImage" &&
		off=$(python3 -c 'import struct,sys; h=open(sys.argv[1],"rb").read(64); print(struct.unpack_from("<Q",h,40)[0]+struct.unpack_from("<H",h,58)[0]*struct.unpack_from("<H",h,60)[0])' "$T/hand/Hello.AppImage") &&
		unsquashfs -o "$off" -n -q -d "$T/hand/x" "$T/hand/Hello.AppImage" '*.desktop' '*.png' >/dev/null &&
		sed "s|^Exec=[^ ]*|Exec=$T/hand/Hello.AppImage|" "$T/hand/x/hello.desktop" >"$T/hand/apps/hello.desktop" &&
		cp "$T/hand/x/hello.png" "$T/hand/icons/"
}
t2=$(date +%s.%N)
check "the same integration by hand" by_hand
t3=$(date +%s.%N)
echo "figure: AppImage: koompi install $(echo "$t1 - $t0" | bc) s, by hand $(echo "$t3 - $t2" | bc) s;" \
	"the agent's peak RSS $(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$AGENT_PID/status")"
finish
