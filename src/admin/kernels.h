/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

/* The kernels a root carries, as Arch installs them: ROOTDIR/usr/lib/modules/KVER/vmlinuz. */

/* The newest KVER (strverscmp order, names starting with '.' skipped) whose vmlinuz is a
 * regular file that is not empty: the kernel entries sync writes an entry for and the update
 * builds an initramfs for. 0 with ret set; -ENOENT when the root carries no such kernel (or no
 * modules directory); -ENOBUFS when KVER does not fit size; -ENAMETOOLONG for a rootdir beyond
 * PATH_MAX; another negative errno when the directory cannot be read. */
int kernel_find_newest(const char *rootdir, char *ret, size_t size);
