/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only file that talks to libblkid. */
#include "devices.h"

#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"

int uevent_open(void) {
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        NETLINK_KOBJECT_UEVENT);
        if (fd < 0)
                return -errno;
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1};
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        /* Coldplug can produce a burst; a large buffer keeps events from being dropped. */
        int size = 4 * 1024 * 1024;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
        return fd;
}

/* value may end at the message's end without a NUL: copy at most avail bytes. */
static void copy_value(char *dst, size_t size, const char *value, size_t avail) {
        snprintf(dst, size, "%.*s", (int)strnlen(value, avail), value);
}

int uevent_parse(const char *buf, size_t len, struct uevent *ret) {
        *ret = (struct uevent){0};
        /* The first string is "action@devpath"; libudev messages start with "libudev". */
        if (len == 0 || !memchr(buf, '@', strnlen(buf, len)))
                return -EINVAL;
        for (size_t off = strnlen(buf, len) + 1; off < len; off += strnlen(buf + off, len - off) + 1) {
                const char *kv = buf + off, *v;
                if ((v = startswith(kv, "ACTION=")))
                        copy_value(ret->action, sizeof ret->action, v, len - (size_t)(v - buf));
                else if ((v = startswith(kv, "SUBSYSTEM=")))
                        copy_value(ret->subsystem, sizeof ret->subsystem, v, len - (size_t)(v - buf));
                else if ((v = startswith(kv, "DEVNAME=")))
                        copy_value(ret->devname, sizeof ret->devname, v, len - (size_t)(v - buf));
                else if ((v = startswith(kv, "MODALIAS=")))
                        copy_value(ret->modalias, sizeof ret->modalias, v, len - (size_t)(v - buf));
        }
        return 0;
}

int uevent_receive(int fd, struct uevent *ret) {
        char buf[8192];
        struct sockaddr_nl sa;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
        struct msghdr msg = {.msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov,
                             .msg_iovlen = 1};
        for (;;) {
                ssize_t n = recvmsg(fd, &msg, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EAGAIN ? 0 : -errno;
                /* Only the kernel (pid 0) speaks on group 1 here; ignore anything else. */
                if (sa.nl_pid != 0)
                        continue;
                buf[n] = 0;
                if (uevent_parse(buf, (size_t)n, ret) < 0)
                        continue;
                return 1;
        }
}

static int walk_modaliases(int dirfd, int depth, int (*cb)(const char *, void *), void *userdata) {
        char alias[512];
        int fd = openat(dirfd, "modalias", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                ssize_t n = read(fd, alias, sizeof alias - 1);
                close(fd);
                if (n > 0) {
                        alias[n] = 0;
                        alias[strcspn(alias, "\n")] = 0;
                        int r = cb(alias, userdata);
                        if (r < 0)
                                return r;
                }
        }
        if (depth > 24)
                return 0;
        int sub = dup(dirfd);
        if (sub < 0)
                return -errno;
        DIR *d = fdopendir(sub);
        if (!d) {
                close(sub);
                return -errno;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                /* Real subdirectories only: sysfs links point back up and would loop. */
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                int child = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
                                                          O_NOFOLLOW);
                if (child < 0)
                        continue;
                int r = walk_modaliases(child, depth + 1, cb, userdata);
                close(child);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        closedir(d);
        return 0;
}

int coldplug_modaliases(const char *sysdir, int (*cb)(const char *modalias, void *userdata),
                        void *userdata) {
        _cleanup_close_ int fd = open(sysdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return walk_modaliases(fd, 0, cb, userdata);
}

/* Probes one device and compares the wanted tag. 1 match, 0 no match. */
static int probe_matches(const char *devpath, const char *tag, const char *value) {
        blkid_probe pr = blkid_new_probe_from_filename(devpath);
        if (!pr)
                return 0;
        bool part = startswith(tag, "PART") != NULL;
        if (part) {
                blkid_probe_enable_superblocks(pr, 0);
                blkid_probe_enable_partitions(pr, 1);
                blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        } else {
                blkid_probe_enable_superblocks(pr, 1);
                blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL |
                                                              BLKID_SUBLKS_TYPE);
        }
        int match = 0;
        const char *got = NULL;
        if (blkid_do_safeprobe(pr) == 0) {
                const char *key = streq(tag, "PARTUUID")    ? "PART_ENTRY_UUID"
                                  : streq(tag, "PARTLABEL") ? "PART_ENTRY_NAME"
                                                            : tag;
                if (blkid_probe_lookup_value(pr, key, &got, NULL) == 0 && got)
                        match = strcasecmp(got, value) == 0;
        }
        blkid_free_probe(pr);
        return match;
}

int devices_find(const char *spec, char *ret, size_t size) {
        if (spec[0] == '/') {
                struct stat st;
                if (stat(spec, &st) < 0)
                        return -errno;
                if (!S_ISBLK(st.st_mode))
                        return -ENOTBLK;
                snprintf(ret, size, "%s", spec);
                return 0;
        }
        const char *eq = strchr(spec, '=');
        if (!eq)
                return -EINVAL;
        char tag[16];
        snprintf(tag, sizeof tag, "%.*s", (int)(eq - spec), spec);
        if (!streq(tag, "UUID") && !streq(tag, "LABEL") && !streq(tag, "PARTUUID") &&
            !streq(tag, "PARTLABEL"))
                return -EINVAL;
        DIR *d = opendir("/sys/class/block");
        if (!d)
                return -errno;
        struct dirent *de;
        int r = -ENOENT;
        while ((de = readdir(d))) {
                char path[PATH_MAX];
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof path, "/dev/%s", de->d_name);
                if (probe_matches(path, tag, eq + 1) > 0) {
                        snprintf(ret, size, "%s", path);
                        r = 0;
                        break;
                }
        }
        closedir(d);
        return r;
}

int devices_probe_type(const char *devpath, char *ret, size_t size) {
        blkid_probe pr = blkid_new_probe_from_filename(devpath);
        if (!pr)
                return -errno ? -errno : -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        const char *type = NULL;
        int r = blkid_do_safeprobe(pr);
        if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 && type)
                snprintf(ret, size, "%s", type);
        else
                r = -ENODATA;
        blkid_free_probe(pr);
        return r;
}
