/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only file that talks to libblkid. */
#include "devices.h"

#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"

int uevent_open(void) {
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
        if (fd < 0)
                return -errno;
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
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

/* The value of kv when it is "key=VALUE", else NULL. The message may end in the middle of kv
 * (avail bytes are left, no NUL): the key is compared only within them. */
static const char *field_value(const char *kv, size_t avail, const char *key) {
        size_t n = strlen(key);
        return avail >= n && memcmp(kv, key, n) == 0 ? kv + n : NULL;
}

int uevent_parse(const char *buf, size_t len, struct uevent *ret) {
        static const struct {
                const char *key;
                size_t offset, size;
        } fields[] = {
                { "ACTION=", offsetof(struct uevent, action), sizeof ret->action },
                { "SUBSYSTEM=", offsetof(struct uevent, subsystem), sizeof ret->subsystem },
                { "DEVNAME=", offsetof(struct uevent, devname), sizeof ret->devname },
                { "MODALIAS=", offsetof(struct uevent, modalias), sizeof ret->modalias },
        };
        *ret = (struct uevent) { 0 };
        /* The first string is "action@devpath"; libudev messages start with "libudev". */
        if (len == 0 || !memchr(buf, '@', strnlen(buf, len)))
                return -EINVAL;
        for (size_t off = strnlen(buf, len) + 1; off < len; off += strnlen(buf + off, len - off) + 1)
                for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                        const char *v = field_value(buf + off, len - off, fields[i].key);
                        if (v) {
                                copy_value((char *)ret + fields[i].offset, fields[i].size, v,
                                           len - (size_t)(v - buf));
                                break;
                        }
                }
        return 0;
}

int uevent_receive(int fd, struct uevent *ret) {
        char buf[8192];
        struct sockaddr_nl sa;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
        struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1 };
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

#define MODALIAS_MAX 512

struct found_alias {
        char *alias;
        int priority;
};

struct alias_list {
        struct found_alias *v;
        size_t n, allocated;
};

static int alias_list_add(struct alias_list *l, const char *alias) {
        if (l->n == l->allocated) {
                size_t a = l->allocated ? 2 * l->allocated : 64;
                struct found_alias *nv = realloc(l->v, a * sizeof *nv);
                if (!nv)
                        return -ENOMEM;
                l->v = nv;
                l->allocated = a;
        }
        char *s = strdup(alias);
        if (!s)
                return -ENOMEM;
        l->v[l->n++] = (struct found_alias) { s, modalias_priority(s) };
        return 0;
}

static int walk_modaliases(int dirfd, int depth, struct alias_list *out) {
        char alias[MODALIAS_MAX];
        int fd = openat(dirfd, "modalias", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                ssize_t n = read(fd, alias, sizeof alias - 1);
                close(fd);
                if (n > 0) {
                        alias[n] = 0;
                        alias[strcspn(alias, "\n")] = 0;
                        int r = alias_list_add(out, alias);
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
                int child = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (child < 0)
                        continue;
                int r = walk_modaliases(child, depth + 1, out);
                close(child);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        closedir(d);
        return 0;
}

/* The PCI base class and subclass of a "pci:v...d...sv...sd...bcXXscXXi..." alias, -1 when
 * it has none. */
static int pci_class(const char *alias, int *ret_sub) {
        const char *bc = strstr(alias, "bc");
        const char *sc = bc ? strstr(bc, "sc") : NULL;
        unsigned b, s;
        if (!sc || sscanf(bc + 2, "%2X", &b) != 1 || sscanf(sc + 2, "%2X", &s) != 1)
                return -1;
        *ret_sub = (int)s;
        return (int)b;
}

int modalias_priority(const char *alias) {
        int sub = -1;
        if (startswith(alias, "virtio:d00000002v") || startswith(alias, "virtio:d00000008v"))
                return 0;
        if (startswith(alias, "pci:")) {
                int cls = pci_class(alias, &sub);
                if (startswith(alias, "pci:v00001AF4")) /* virtio transport: its disks */
                        return 0;
                if (cls == 0x01 && sub == 0x08) /* NVMe */
                        return 0;
                if (cls == 0x01) /* other storage: AHCI, SCSI, RAID */
                        return 1;
                if (cls == 0x08 && sub == 0x05) /* SD host: eMMC disks of small laptops */
                        return 1;
                if (cls == 0x0C && sub == 0x03) /* USB: USB disks and keyboards */
                        return 2;
                return 3;
        }
        if (startswith(alias, "mmc:") || startswith(alias, "sdio:"))
                return 1;
        if (startswith(alias, "usb:") || startswith(alias, "hid:") || startswith(alias, "serio:") ||
            startswith(alias, "scsi:"))
                return 2;
        return 3;
}

static int by_priority(const void *a, const void *b) {
        const struct found_alias *x = a, *y = b;
        if (x->priority != y->priority)
                return x->priority - y->priority;
        return strcmp(x->alias, y->alias);
}

int coldplug_modaliases(const char *sysdir, int (*cb)(const char *modalias, int priority, void *userdata),
                        void *userdata) {
        struct alias_list l = { 0 };
        _cleanup_close_ int fd = open(sysdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = walk_modaliases(fd, 0, &l);
        /* The disks' drivers first: the boot waits for the disk, not for the sound card. */
        if (r == 0)
                qsort(l.v, l.n, sizeof *l.v, by_priority);
        for (size_t i = 0; r == 0 && i < l.n; i++)
                r = cb(l.v[i].alias, l.v[i].priority, userdata);
        for (size_t i = 0; i < l.n; i++)
                free(l.v[i].alias);
        free(l.v);
        return r;
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
                blkid_probe_set_superblocks_flags(pr,
                                                  BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_TYPE);
        }
        int match = 0;
        const char *got = NULL;
        if (blkid_do_safeprobe(pr) == 0) {
                const char *key = streq(tag, "PARTUUID") ? "PART_ENTRY_UUID"
                        : streq(tag, "PARTLABEL")        ? "PART_ENTRY_NAME"
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
