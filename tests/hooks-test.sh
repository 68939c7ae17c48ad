#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Tests of the pacman hooks' script with a fake koompi-mkinitramfs and a fake module tree:
# which kernels' images get built or removed for which targets, and that failures are loud.
# HOOK_SHELL runs the script with another shell (Arch's /bin/sh is bash: HOOK_SHELL=bash).
set -u
cd "$(dirname "$0")/.." || exit 1
script=$PWD/hooks/koompi-mkinitramfs-hook.sh

tmp=$(mktemp -d /tmp/koompi-hooks-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0

ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$1"; }
not_ok() { fail=$((fail + 1)); printf 'FAIL %s\n' "$1"; [ $# -gt 1 ] && printf '     %s\n' "$2"; }

# The fake builder: records its kernel, writes the image, fails for $FAKE_FAIL_KVER.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/koompi-mkinitramfs" <<'EOF'
#!/bin/sh
kver="" out=""
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kver=$2; shift ;;
	--output) out=$2; shift ;;
	*) echo "fake koompi-mkinitramfs: unexpected argument $1" >&2; exit 1 ;;
	esac
	shift
done
echo "$kver" >>"$FAKE_LOG"
if [ "$kver" = "${FAKE_FAIL_KVER:-}" ]; then
	echo "koompi-mkinitramfs: module btrfs not found for $kver" >&2
	exit 1
fi
echo "image of $kver" >"$out"
EOF
chmod +x "$tmp/bin/koompi-mkinitramfs"

# Two installed kernels and the leftover directory of a removed one (no vmlinuz).
mods=$tmp/modules
for k in 6.12.4-arch1-1 6.6.60-1-lts; do
	mkdir -p "$mods/$k/kernel"
	: >"$mods/$k/vmlinuz"
done
mkdir -p "$mods/6.10.1-arch1-1/extramodules"

export KOOMPI_MODULES_DIR="$mods"
export KOOMPI_IMAGE_DIR="$tmp/boot/koompi"
export FAKE_LOG="$tmp/log"
PATH="$tmp/bin:$PATH"
export PATH

# run NAME EXPECTED_STATUS EXPECTED_KERNELS [ARG] <<targets
run() {
	name=$1 want_rc=$2 want=$3
	shift 3
	rm -rf "${tmp:?}/boot" "$FAKE_LOG"
	: >"$FAKE_LOG"
	out=$(${HOOK_SHELL:-sh} "$script" "$@" 2>&1)
	rc=$?
	got=$(sort "$FAKE_LOG" | tr '\n' ' ' | sed 's/ $//')
	if [ "$rc" -ne "$want_rc" ]; then
		not_ok "$name" "exit status $rc, expected $want_rc; output: $out"
	elif [ "$got" != "$want" ]; then
		not_ok "$name" "built [$got], expected [$want]; output: $out"
	else
		ok "$name"
	fi
}

run "a kernel upgrade rebuilds that kernel only" 0 "6.12.4-arch1-1" <<'EOF'
usr/lib/modules/6.12.4-arch1-1/vmlinuz
EOF
if [ -f "$KOOMPI_IMAGE_DIR/initramfs-6.12.4-arch1-1.img" ]; then
	ok "the image is written to the image dir"
else
	not_ok "the image is written to the image dir"
fi

run "two kernel targets rebuild both" 0 "6.12.4-arch1-1 6.6.60-1-lts" <<'EOF'
usr/lib/modules/6.6.60-1-lts/vmlinuz
usr/lib/modules/6.12.4-arch1-1/vmlinuz
EOF

run "a boot.conf change rebuilds every installed kernel" 0 "6.12.4-arch1-1 6.6.60-1-lts" <<'EOF'
etc/koompi/boot.conf
EOF

run "a koompi-init upgrade rebuilds every kernel" 0 "6.12.4-arch1-1 6.6.60-1-lts" <<'EOF'
usr/lib/koompi/koompi-init
EOF

run "a kernel and koompi-init together build each kernel once" 0 \
	"6.12.4-arch1-1 6.6.60-1-lts" <<'EOF'
usr/lib/modules/6.12.4-arch1-1/vmlinuz
usr/lib/koompi/koompi-init
etc/koompi/boot.conf
EOF

run "a leading slash is accepted" 0 "6.6.60-1-lts" <<'EOF'
/usr/lib/modules/6.6.60-1-lts/vmlinuz
EOF

run "no targets build nothing" 0 "" </dev/null

run "'all' rebuilds every kernel without reading targets" 0 "6.12.4-arch1-1 6.6.60-1-lts" all </dev/null

# Failures.
FAKE_FAIL_KVER=6.6.60-1-lts
export FAKE_FAIL_KVER
run "a failed build fails the hook, and the other kernels are still built" 1 \
	"6.12.4-arch1-1 6.6.60-1-lts" <<'EOF'
etc/koompi/boot.conf
EOF
case $out in
*"NOT built: 6.6.60-1-lts"*"module btrfs not found"* | *"module btrfs not found"*"NOT built: 6.6.60-1-lts"*)
	ok "the failure names the kernel and shows the builder's message" ;;
*) not_ok "the failure names the kernel and shows the builder's message" "output: $out" ;;
esac
unset FAKE_FAIL_KVER

run "a vmlinuz target of a kernel that is not there fails" 1 "" <<'EOF'
usr/lib/modules/6.99.0-gone/vmlinuz
EOF

KOOMPI_MKINITRAMFS=$tmp/bin/no-such-builder run "a missing builder fails" 1 "" <<'EOF'
usr/lib/modules/6.12.4-arch1-1/vmlinuz
EOF

run "an unknown mode fails" 1 "" frobnicate </dev/null

# remove: only the images of the kernels named go.
mkdir -p "$KOOMPI_IMAGE_DIR"
echo old >"$KOOMPI_IMAGE_DIR/initramfs-6.12.4-arch1-1.img"
echo old >"$KOOMPI_IMAGE_DIR/initramfs-6.6.60-1-lts.img"
out=$(printf 'usr/lib/modules/6.6.60-1-lts/vmlinuz\nusr/lib/modules/6.6.60-1-lts/kernel\n' |
	${HOOK_SHELL:-sh} "$script" remove 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ ! -e "$KOOMPI_IMAGE_DIR/initramfs-6.6.60-1-lts.img" ] &&
	[ -e "$KOOMPI_IMAGE_DIR/initramfs-6.12.4-arch1-1.img" ]; then
	ok "remove deletes the image of the removed kernel only"
else
	not_ok "remove deletes the image of the removed kernel only" "status $rc; output: $out"
fi

# The hook files name the script where the Makefile installs it, and the targets it handles.
hook=hooks/90-koompi-mkinitramfs.hook
if grep -q '^Exec = /usr/lib/koompi/koompi-mkinitramfs-hook.sh$' "$hook" &&
	grep -q '^Target = usr/lib/modules/\*/vmlinuz$' "$hook" &&
	grep -q '^Target = etc/koompi/boot.conf$' "$hook" &&
	grep -q '^Target = usr/lib/koompi/koompi-init$' "$hook" &&
	grep -q '^When = PostTransaction$' "$hook" && grep -q '^NeedsTargets$' "$hook" &&
	grep -q '^Exec = /usr/lib/koompi/koompi-mkinitramfs-hook.sh remove$' \
		hooks/60-koompi-mkinitramfs-remove.hook; then
	ok "the hooks run the installed script on the expected targets"
else
	not_ok "the hooks run the installed script on the expected targets"
fi

echo "hooks: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
