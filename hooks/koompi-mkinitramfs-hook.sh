#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The pacman hooks' script: reads the targets of the transaction on stdin (paths without the
# leading '/', as NeedsTargets passes them) and
#   (no argument)  rebuilds /boot/koompi/initramfs-KVER.img of each kernel whose
#                  usr/lib/modules/KVER/vmlinuz is a target, or of every installed kernel when
#                  any other target (boot.conf, koompi-init, ...) is among them;
#   remove         deletes the image of each kernel whose vmlinuz is a target;
#   all            rebuilds every installed kernel's image, reading nothing (by hand).
# A kernel is installed when usr/lib/modules/KVER/vmlinuz exists.
#
# Exits 1 when any image could not be built (the others are still built, and the previous
# image of the failed kernel is kept); says which, and the builder's own message.
#
# For tests: KOOMPI_MODULES_DIR (default /usr/lib/modules), KOOMPI_IMAGE_DIR (default
# /boot/koompi), KOOMPI_MKINITRAMFS (default koompi-mkinitramfs from PATH).
set -u

modules_dir=${KOOMPI_MODULES_DIR:-/usr/lib/modules}
image_dir=${KOOMPI_IMAGE_DIR:-/boot/koompi}
mkinitramfs=${KOOMPI_MKINITRAMFS:-koompi-mkinitramfs}
mode=${1:-build}

msg() { printf '==> %s\n' "$*"; }
err() { printf '==> ERROR: %s\n' "$*" >&2; }

case $mode in
build | remove | all) ;;
*)
	err "unknown mode '$mode' (build, remove or all)"
	exit 1
	;;
esac

# The kernel release of a target usr/lib/modules/KVER/vmlinuz, or nothing.
kver_of() {
	case $1 in
	usr/lib/modules/*/vmlinuz)
		k=${1#usr/lib/modules/}
		k=${k%/vmlinuz}
		case $k in
		*/* | '') ;;
		*) printf '%s\n' "$k" ;;
		esac
		;;
	esac
}

installed_kernels() {
	for d in "$modules_dir"/*/; do
		[ -f "${d}vmlinuz" ] || continue
		d=${d%/}
		printf '%s\n' "${d##*/}"
	done
}

kernels=""
rebuild_all=false
if [ "$mode" = all ]; then
	rebuild_all=true
else
	while IFS= read -r target || [ -n "$target" ]; do
		target=${target#/}
		[ -n "$target" ] || continue
		k=$(kver_of "$target")
		if [ -n "$k" ]; then
			kernels="$kernels
$k"
		elif [ "$mode" = build ]; then
			rebuild_all=true
		fi
	done
fi

if [ "$mode" = remove ]; then
	status=0
	for k in $(printf '%s\n' "$kernels" | sort -u); do
		img="$image_dir/initramfs-$k.img"
		[ -e "$img" ] || continue
		if rm -f -- "$img"; then
			msg "removed $img"
		else
			err "could not remove $img"
			status=1
		fi
	done
	exit $status
fi

if $rebuild_all; then
	kernels=$(installed_kernels)
	if [ -z "$kernels" ]; then
		msg "no kernel is installed in $modules_dir: no initramfs to build"
		exit 0
	fi
fi
kernels=$(printf '%s\n' "$kernels" | sed '/^$/d' | sort -u)
[ -n "$kernels" ] || exit 0

if ! mkdir -p -- "$image_dir"; then
	err "could not create $image_dir: no initramfs was built"
	exit 1
fi

failed=""
for k in $kernels; do
	img="$image_dir/initramfs-$k.img"
	if [ ! -f "$modules_dir/$k/vmlinuz" ]; then
		err "the kernel $k has no $modules_dir/$k/vmlinuz: $img was not built"
		failed="$failed $k"
		continue
	fi
	msg "building $img"
	"$mkinitramfs" --kernel "$k" --output "$img"
	rc=$?
	if [ $rc -ne 0 ]; then
		err "building $img failed (koompi-mkinitramfs exited with $rc, see above);" \
			"the kernel $k keeps its previous image, if it had one"
		failed="$failed $k"
	fi
done

if [ -n "$failed" ]; then
	err "the initramfs of these kernels was NOT built:$failed. Fix the cause, then run:" \
		"/usr/lib/koompi/koompi-mkinitramfs-hook.sh all"
	exit 1
fi
exit 0
