/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where things live; shared by koompi-init and koompi-boot so both read the same files.
 *
 * Btrfs top level (subvolid 5): root snapshots "@root-*" (read-only), "@home", "@var".
 * The ledger lives in the var subvolume: TOP/@var/lib/koompi/ledger, which the running system
 * sees as /var/lib/koompi/ledger and koompi-init reaches right after unlocking.
 *
 * ESP: loader/loader.conf, loader/entries/koompi-<ID>[+LEFT[-DONE]].conf (one per root,
 * ID from entry_id_from_root()), kernels and images stored once per content under
 * koompi/<first 16 hex digits of the SHA-256>/{vmlinuz,initramfs.img}. */

#define LAYOUT_LEDGER_IN_VAR "lib/koompi/ledger"
#define LAYOUT_LEDGER_SYSTEM "/var/lib/koompi/ledger"
#define LAYOUT_ENTRIES_DIR "loader/entries"
#define LAYOUT_LOADER_CONF "loader/loader.conf"
#define LAYOUT_KERNELS_DIR "koompi"
/* Unified kernel images ([boot] image = uki): EFI/Linux/koompi-<ID>[+LEFT[-DONE]].efi. */
#define LAYOUT_UKI_DIR "EFI/Linux"
#define LAYOUT_ENTRY_PREFIX "koompi-"
#define LAYOUT_ROOT_PREFIX "@root-"
/* Written by koompi-init before it hands over: what was booted, how, and its timeline. */
#define LAYOUT_BOOT_JSON "/run/koompi/boot.json"
