/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

#include "entry.h"

/* The entry of a root in a directory of type #1 entries (loader/entries on the ESP), read as
 * koompi-init reads it at boot: an entry belongs to the root its options line names, whatever
 * its file name (entry_is_of_root()). With several, a counted one wins (entries sync keeps
 * it), else the first in directory order. 0 with its file name in ret_file (size bytes) and its
 * parsed name in *ret_name; -ENOENT when no entry belongs to root; the negative errno of
 * opening dir. Files that are not "*.conf", start with '.' or are over 64 KiB are skipped. */
int entry_dir_find_root(const char *dir, const char *root, char *ret_file, size_t size,
                        struct entry_name *ret_name);

/* The same, the directory read once for many roots (koompi-init asks for every root at boot:
 * each file is read once, not once per root). */
struct entry_dir_item {
        char file[256];
        char options_root[256]; /* the root its options name, "" when none */
        struct entry_name name;
};
struct entry_dir {
        struct entry_dir_item *items;
        size_t n;
};
/* 0, -ENOMEM, or the negative errno of opening dir; entry_dir_free() it. */
int entry_dir_load(const char *dir, struct entry_dir *ret);
void entry_dir_free(struct entry_dir *d);
/* As entry_dir_find_root() over what entry_dir_load() read. */
int entry_dir_root(const struct entry_dir *d, const char *root, char *ret_file, size_t size,
                   struct entry_name *ret_name);
