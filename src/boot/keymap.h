/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* The console keymap of the installed system, carried into the image so that a passphrase
 * typed on a non-US layout reaches cryptsetup as it was typed on the desktop.
 *
 * The image holds the keymap in the binary format of `loadkeys -b` (what busybox loadkmap
 * reads): the 7 bytes "bkeymap", then one flag byte (0 or 1) for each of the 256 possible
 * tables (plain, shift, altgr, ... combinations), then for each flagged table, in order,
 * 128 keysyms of 16 bits in the byte order of the machine that compiled it. */

#define KEYMAP_IMAGE_PATH "/etc/koompi/keymap.bmap"
#define KEYMAP_VCONSOLE_PATH "/etc/vconsole.conf"

#define BKEYMAP_MAGIC "bkeymap"
#define BKEYMAP_MAGIC_LEN 7
#define BKEYMAP_NR_TABLES 256 /* MAX_NR_KEYMAPS */
#define BKEYMAP_NR_KEYS 128 /* keysyms per table in the file */
#define BKEYMAP_MAX_SIZE (BKEYMAP_MAGIC_LEN + BKEYMAP_NR_TABLES + BKEYMAP_NR_TABLES * BKEYMAP_NR_KEYS * 2)

/* --- build side (koompi-mkinitramfs) --- */

/* Reads KEYMAP= from a vconsole.conf (shell syntax: quotes allowed, comments, last one wins)
 * into ret_name. -ENOENT when the file is missing or sets no KEYMAP (or an empty one),
 * -ENAMETOOLONG when it does not fit in size. */
int keymap_from_vconsole(const char *vconsole_conf_path, char *ret_name, size_t size);

/* Compiles the keymap NAME ("de", "fr", "us", or a path to a .map file) with `loadkeys -b -u`
 * (package kbd; the keymaps are in /usr/share/kbd/keymaps on Arch, /usr/share/keymaps from
 * console-data on Debian). The result is checked with keymap_parse() and returned in
 * *ret_data (free it). -ENOENT when loadkeys is not installed or the keymap does not exist,
 * -EINVAL when NAME is no keymap name or loadkeys rejects it or writes something corrupt,
 * another negative errno when loadkeys cannot be run. On failure *ret_error (ret_error may
 * be NULL) gets the cause for the caller's message, naming what to install or fix (free it;
 * NULL when even that is out of memory). */
int keymap_compile(const char *name, char **ret_data, size_t *ret_len, char **ret_error);

/* --- boot side (koompi-init) --- */

/* Called once for every keysym of the file: table (0..255), key (0..127), value. A negative
 * return stops the walk and is returned by keymap_parse(). */
typedef int (*keymap_entry_cb)(unsigned table, unsigned key, uint16_t value, void *userdata);

/* Checks a binary keymap and calls cb (may be NULL: only check) for every entry. Returns the
 * number of tables, or -EINVAL when the magic is wrong, a flag is not 0 or 1, no table is
 * present, or the length is not exactly what the flags announce. Nothing is called back
 * unless the whole file is valid. */
int keymap_parse(const char *data, size_t len, keymap_entry_cb cb, void *userdata);

/* Loads a binary keymap into the kernel through console_fd (a virtual terminal: /dev/tty0)
 * with KDSKBENT. The file is checked whole before the first entry is set. Entries whose value
 * the kernel rejects (a Unicode keysym on a console not in Unicode mode) are skipped: returns
 * how many (0 when every entry was taken), -EINVAL for a corrupt file, -ENOTTY when
 * console_fd is no virtual terminal (a serial console), or the error of the first entry the
 * kernel refused for a reason other than its value. */
int keymap_load(int console_fd, const char *data, size_t len);

/* Reads path (KEYMAP_IMAGE_PATH in the image) and loads it on the first virtual terminal that
 * opens (/dev/tty0, /dev/tty1, /dev/console). Returns what keymap_load() does: the number of
 * entries skipped (>= 0) or a negative errno; -ENOENT when the file is absent (no keymap
 * was configured: the kernel's US map stays), -ENOTTY when the machine has no virtual
 * terminal; both are normal and need no message. */
int keymap_load_path(const char *path);
