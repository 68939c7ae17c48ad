/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The built packages leave the user's throw-away tree: copied by root out of a tree the build's
 * user controlled, so nothing there is followed (no symbolic link, only regular files). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "build.h"
#include "workerline.h"
#include "strv.h"
#include "util.h"

/* A package file's name: no directory, no dot file, ".pkg.tar" in it, not a signature. */
static bool is_package_name(const char *name) {
        return name[0] != '.' && strstr(name, ".pkg.tar") && !endswith(name, ".sig") &&
                strlen(name) < NAME_MAX;
}

static int copy_fd(int from, int to) {
        char buf[65536];
        ssize_t n;
        while ((n = read(from, buf, sizeof buf)) > 0)
                if (write_full(to, buf, (size_t)n) < 0)
                        return -errno;
        if (n < 0)
                return -errno;
        return fsync(to) < 0 ? -errno : 0;
}

/* Copies name from srcdir into dstdir as a new file. */
static int copy_one(int srcdir, int dstdir, const char *name) {
        _cleanup_close_ int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (in < 0 || fstat(in, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        _cleanup_close_ int out = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (out < 0)
                return -errno;
        int r = copy_fd(in, out);
        if (r < 0)
                (void)unlinkat(dstdir, name, 0);
        return r;
}

/* Copies every package of srcdir; the names copied in *names. */
static int copy_all(int srcdir, int dstdir, char ***names) {
        int fd = fcntl(srcdir, F_DUPFD_CLOEXEC, 3);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;
        int r = 0;
        if (!d) {
                r = -errno;
                if (fd >= 0)
                        close(fd);
                return r;
        }
        while (r == 0 && (e = readdir(d)))
                if (is_package_name(e->d_name) && (r = copy_one(srcdir, dstdir, e->d_name)) == 0)
                        r = strv_extend(names, e->d_name);
        closedir(d);
        return r;
}

static json_object *files_answer(const char *dir, char **names) {
        json_object *files = json_object_new_array(), *o = json_object_new_object();
        for (size_t i = 0; names && names[i]; i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", dir, names[i]) >= 0)
                        json_object_array_add(files, json_object_new_string(p));
        }
        json_object_object_add(o, "files", files);
        return o;
}

int aur_collect(const char *work, const char *out_dir, json_object **ret, char *why) {
        _cleanup_free_ char *src = NULL, *dst = realpath(out_dir, NULL);
        char **names = NULL;
        if (asprintf(&src, "%s/out", work) < 0)
                return -ENOMEM;
        _cleanup_close_ int sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int dfd = dst ? open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        int r = sfd < 0 || dfd < 0 ? -errno : copy_all(sfd, dfd, &names);
        if (r == 0 && strv_length(names) == 0)
                r = -ENOENT;
        if (r < 0) {
                for (size_t i = 0; names && names[i]; i++)
                        (void)unlinkat(dfd, names[i], 0);
                snprintf(why, WORKER_WHY_MAX, "the built package could not be put in %s: %s", out_dir,
                         r == -ENOENT ? "makepkg made no package file" : strerror(-r));
        } else
                *ret = files_answer(dst, names);
        strv_free(names);
        return r;
}
