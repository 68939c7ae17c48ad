# SPDX-License-Identifier: LGPL-2.1-or-later
# make_appimage FILE NAME [DESKTOP_NAME]: a type-2 AppImage made here: an ELF stub (a copy of
# /bin/true, never run) with "AI\2" at offset 8, its section headers its end, and a SquashFS
# appended that holds NAME.desktop, NAME.png and .DirIcon.
make_appimage() {
	_ai_dir=$(mktemp -d "$T/appimage.XXXXXX")
	mkdir "$_ai_dir/payload"
	printf '[Desktop Entry]\nType=Application\nName=%s\nComment=Says hello from %s\nExec=%s --start %%U\nTryExec=%s\nIcon=%s\nCategories=Utility;\n' \
		"$2" "$2" "$2" "$2" "$2" >"$_ai_dir/payload/$2.desktop"
	printf '\211PNG\r\n\032\n%s-icon' "$2" >"$_ai_dir/payload/$2.png"
	ln -s "$2.png" "$_ai_dir/payload/.DirIcon"
	cp /bin/true "$_ai_dir/stub"
	printf 'AI\002' | dd of="$_ai_dir/stub" bs=1 seek=8 conv=notrunc 2>/dev/null
	mksquashfs "$_ai_dir/payload" "$_ai_dir/payload.sqfs" -quiet -noappend -all-root >/dev/null || return 1
	cat "$_ai_dir/stub" "$_ai_dir/payload.sqfs" >"$1"
	chmod 644 "$1"
	rm -rf "$_ai_dir"
}
