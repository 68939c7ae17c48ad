/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "esp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "entryfile.h"
#include "util.h"

int esp_find(char *ret, size_t size) {
        static const char *const candidates[] = { "/efi", "/boot", "/boot/efi" };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                char path[64];
                struct stat st;
                snprintf(path, sizeof path, "%s/loader", candidates[i]);
                if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                        if ((size_t)snprintf(ret, size, "%s", candidates[i]) >= size)
                                return -ENOBUFS;
                        return 0;
                }
        }
        return -ENOENT;
}

int esp_check_writable(const char *path) {
        struct statvfs sv;
        if (statvfs(path, &sv) < 0)
                return -errno;
        return (sv.f_flag & ST_RDONLY) ? -EROFS : 0;
}

static int tmp_name(const char *name, char *buf, size_t size) {
        if ((size_t)snprintf(buf, size, ".%s.%d" ESP_TMP_SUFFIX, name, (int)getpid()) >= size)
                return -ENAMETOOLONG;
        return 0;
}

/* The written file tmp becomes name (unless r already says the writing failed): renamed over it,
 * or beside nothing when noreplace, then synced under its new name and the directory synced;
 * tmp is removed when the rename fails. */
static int put_in_place(int dirfd, const char *tmp, const char *name, bool noreplace, int r) {
        if (r == 0 && noreplace)
                r = rename_noreplace(dirfd, tmp, dirfd, name);
        else if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        r = fsync_renamed(dirfd, name);
        return r < 0 ? r : fsync_dir(dirfd);
}

int esp_write_file(int dirfd, const char *name, const void *data, size_t len, bool noreplace) {
        char tmp[512];
        int fd, r;

        r = tmp_name(name, tmp, sizeof tmp);
        if (r < 0)
                return r;
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        r = write_full(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return put_in_place(dirfd, tmp, name, noreplace, r);
}

int esp_copy_file(const char *src, int dirfd, const char *name) {
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        _cleanup_free_ char *buf = NULL;
        int r = 0;

        in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (in < 0)
                return -errno;
        out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (out < 0)
                return -errno;
        buf = malloc(1 << 17);
        if (!buf)
                r = -ENOMEM;
        while (r == 0) {
                ssize_t n = read(in, buf, 1 << 17);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        r = -errno;
                else if (n == 0)
                        break;
                else
                        r = write_full(out, buf, (size_t)n);
        }
        if (r == 0 && fsync(out) < 0)
                r = -errno;
        if (close(out) < 0 && r == 0)
                r = -errno;
        out = -EBADF;
        if (r < 0)
                unlinkat(dirfd, name, 0);
        return r;
}

int esp_install_file(const char *src, int dirfd, const char *name, bool noreplace) {
        char tmp[PATH_MAX];
        int r = tmp_name(name, tmp, sizeof tmp);

        if (r < 0)
                return r;
        unlinkat(dirfd, tmp, 0);
        r = esp_copy_file(src, dirfd, tmp);
        if (r < 0)
                return r;
        return put_in_place(dirfd, tmp, name, noreplace, 0);
}

int esp_remove_tree(int dirfd, const char *name) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (errno == ENOTDIR)
                        return unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
                return -errno;
        }
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT && r == 0)
                        r = -errno;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int esp_remove_temporaries(int dirfd) {
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] != '.' || streq(de->d_name, ".") || streq(de->d_name, "..") ||
                    !endswith(de->d_name, ESP_TMP_SUFFIX))
                        continue;
                if (esp_remove_tree(dirfd, de->d_name) == 0)
                        n++;
        }
        closedir(d);
        return n;
}

int esp_free_space(int dirfd, uint64_t *ret_free, uint64_t *ret_block) {
        struct statvfs sv;
        if (fstatvfs(dirfd, &sv) < 0)
                return -errno;
        uint64_t frsize = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
        *ret_free = (uint64_t)sv.f_bavail * frsize;
        if (ret_block)
                *ret_block = frsize ? frsize : 4096;
        return 0;
}

uint64_t esp_blocks_bytes(uint64_t size, uint64_t block) {
        if (block == 0)
                return size;
        return (size + block - 1) / block * block;
}
