/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Mounts through libmount. fstype and options may be NULL. */
int mount_fs(const char *source, const char *target, const char *fstype, const char *options);
int umount_fs(const char *target);
