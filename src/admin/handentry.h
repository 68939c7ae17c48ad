/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

/* Entries in loader/entries that koompi-boot did not name ("koompi-<ID>"): written by hand or by
 * another tool. They are never rewritten, renamed or removed by `entries sync`; one whose options
 * line names a root is that root's entry (koompi-init and status count it as such), so sync
 * writes no entry of its own beside it. */

/* Whether the entry file name, with contents text (NULL: unreadable), is named otherwise than
 * "koompi-<ID>" and its options line names root (koompi.snapshot=, else rootflags=subvol=). */
bool hand_entry_is_of_root(const char *name, const char *text, const char *root);
/* Whether that file, named otherwise than "koompi-<ID>", boots its kernel or an initramfs from
 * the kernel directory id (koompi/<id>/ on the ESP), which must then stay. */
bool hand_entry_uses_kernel(const char *name, const char *text, const char *id);
