/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only file that talks to libmount. */
#include "mount.h"

#include <errno.h>
#include <libmount.h>

#include "util.h"

int mount_fs(const char *source, const char *target, const char *fstype, const char *options) {
        struct libmnt_context *cxt = mnt_new_context();
        if (!cxt)
                return -ENOMEM;
        /* No /etc/fstab, no mount.<type> helpers, no mtab: everything is given here. */
        mnt_context_disable_helpers(cxt, 1);
        mnt_context_disable_mtab(cxt, 1);
        mnt_context_disable_swapmatch(cxt, 1);
        int r = mnt_context_set_source(cxt, source);
        if (r == 0)
                r = mnt_context_set_target(cxt, target);
        if (r == 0 && fstype)
                r = mnt_context_set_fstype(cxt, fstype);
        if (r == 0 && options)
                r = mnt_context_set_options(cxt, options);
        if (r == 0)
                r = mnt_context_mount(cxt);
        if (r > 0) /* a mount(2) errno as reported by libmount */
                r = -mnt_context_get_syscall_errno(cxt) ?: -EIO;
        if (r == 0 && mnt_context_get_status(cxt) != 1)
                r = -mnt_context_get_syscall_errno(cxt) ?: -EIO;
        mnt_free_context(cxt);
        return r;
}

int umount_fs(const char *target) {
        struct libmnt_context *cxt = mnt_new_context();
        if (!cxt)
                return -ENOMEM;
        mnt_context_disable_mtab(cxt, 1);
        mnt_context_disable_helpers(cxt, 1);
        int r = mnt_context_set_target(cxt, target);
        if (r == 0)
                r = mnt_context_umount(cxt);
        if (r > 0)
                r = -mnt_context_get_syscall_errno(cxt) ?: -EIO;
        mnt_free_context(cxt);
        return r;
}
