/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "init.h"
#include "log.h"
#include "util.h"

#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* Frees the initramfs: removes everything on the device of dirfd, never crossing mounts. */
static void remove_recursive(int dirfd, dev_t rootdev) {
        DIR *d = fdopendir(dirfd);
        if (!d) {
                close(dirfd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != rootdev)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                remove_recursive(sub, rootdev);
                        unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
                } else
                        unlinkat(dirfd, de->d_name, 0);
        }
        closedir(d);
}

int switch_root_exec(const char *newroot, const char *init) {
        static const char *const moves[] = { "/dev", "/proc", "/sys", "/run" };
        char target[PATH_MAX];
        for (size_t i = 0; i < ELEMENTSOF(moves); i++) {
                snprintf(target, sizeof target, "%s%s", newroot, moves[i]);
                if (mount(moves[i], target, NULL, MS_MOVE, NULL) < 0) {
                        log_warning("cannot move %s into the root (%m); detaching it", moves[i]);
                        umount2(moves[i], MNT_DETACH);
                }
        }
        if (chdir(newroot) < 0)
                return -errno;

        /* Only delete what is certainly the initramfs: PID 1, / on ramfs or tmpfs. */
        struct statfs sfs;
        struct stat rootst;
        int rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd >= 0 && getpid() == 1 && fstatfs(rootfd, &sfs) == 0 &&
            (sfs.f_type == RAMFS_MAGIC || sfs.f_type == TMPFS_MAGIC) && fstat(rootfd, &rootst) == 0)
                remove_recursive(rootfd, rootst.st_dev);
        else if (rootfd >= 0)
                close(rootfd);

        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                return -errno;
        if (chroot(".") < 0)
                return -errno;
        if (chdir("/") < 0)
                return -errno;
        char *const argv[] = { (char *)init, NULL };
        execv(init, argv);
        return -errno;
}
