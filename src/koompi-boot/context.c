/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the verbs work on: the configuration, the Btrfs top level (given, or mounted privately),
 * the ESP, the ledger and its lock. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include "context.h"
#include "esp.h"
#include "journal.h"
#include "layout.h"
#include "log.h"
#include "mount.h"
#include "print.h"
#include "util.h"

int ctx_init(struct context *c, const struct options *o) {
        const char *path = o->config ? o->config : DEFAULT_CONFIG;
        _cleanup_free_ char *err = NULL;
        int r;

        *c = (struct context) { .o = o, .ledger_lock = -1 };
        config_init_defaults(&c->config);
        r = config_load(&c->config, path, &err);
        if (r == -ENOENT && !o->config)
                ; /* the defaults */
        else if (r < 0) {
                if (err)
                        log_error("%s", err);
                else
                        log_errno(r, "reading %s failed", path);
                log_error("fix %s (see koompi-boot.conf(5)); nothing was done", path);
                return -ENOENT;
        } else if (r > 0)
                log_warning("%s", err);
        if (o->top)
                pathf(c->ledger, sizeof c->ledger, "%s/%s/%s", o->top, c->config.var_subvol,
                      LAYOUT_LEDGER_IN_VAR);
        else
                snprintf(c->ledger, sizeof c->ledger, "%s", LAYOUT_LEDGER_SYSTEM);
        log_debug("settings from %s%s, the ledger at %s", path,
                  r == -ENOENT ? " (missing: the defaults)" : "", c->ledger);
        return 0;
}

void ctx_done(struct context *c) {
        if (c->ledger_lock >= 0) {
                close(c->ledger_lock);
                c->ledger_lock = -1;
        }
        if (c->top_mount[0]) {
                int r = umount_fs(c->top_mount);
                if (r < 0)
                        log_errno(r, "unmounting %s failed", c->top_mount);
                else
                        rmdir(c->top_mount);
                c->top_mount[0] = 0;
        }
        config_free(&c->config);
}

/* mountinfo escapes spaces and the like as \ooo. */
static void unescape_octal(char *s) {
        char *w = s;
        for (char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
                    p[3] <= '7') {
                        *w++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
                        p += 3;
                } else
                        *w++ = *p;
        }
        *w = 0;
}

int mount_source(const char *target, char *src, size_t src_size, char *fstype, size_t type_size) {
        _cleanup_free_ char *text = NULL;
        bool found = false;
        int r = read_file("/proc/self/mountinfo", &text, NULL);
        if (r < 0)
                return r;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char *f[8] = {};
                char *sep = strstr(line, " - ");
                if (!sep)
                        continue;
                *sep = 0;
                char *s2 = NULL;
                int n = 0;
                for (char *w = strtok_r(line, " ", &s2); w && n < 5; w = strtok_r(NULL, " ", &s2))
                        f[n++] = w;
                if (n < 5)
                        continue;
                unescape_octal(f[4]);
                if (!streq(f[4], target))
                        continue;
                char *s3 = NULL, *type = strtok_r(sep + 3, " ", &s3), *source = strtok_r(NULL, " ", &s3);
                if (!type || !source)
                        continue;
                snprintf(fstype, type_size, "%s", type);
                snprintf(src, src_size, "%s", source);
                unescape_octal(src);
                found = true;
        }
        return found ? 0 : -ENOENT;
}

int ctx_need_top(struct context *c) {
        char source[PATH_MAX], fstype[64], dir[64];
        struct stat st;
        int r;

        if (c->top[0])
                return 0;
        if (c->o->top) {
                if (stat(c->o->top, &st) < 0 || !S_ISDIR(st.st_mode)) {
                        log_error("--top %s is not a directory; give the directory where the Btrfs top "
                                  "level (subvolid=5) is mounted",
                                  c->o->top);
                        return -ENOENT;
                }
                snprintf(c->top, sizeof c->top, "%s", c->o->top);
                return 0;
        }

        if (geteuid() != 0) {
                log_error("finding the root snapshots mounts the Btrfs top level, which needs root; "
                          "run koompi-boot as root, or mount it yourself and give --top DIR");
                return -ENOENT;
        }
        r = mount_source("/", source, sizeof source, fstype, sizeof fstype);
        if (r < 0) {
                log_errno(r, "finding the filesystem of / in /proc/self/mountinfo failed; give --top DIR");
                return -ENOENT;
        }
        if (!streq(fstype, "btrfs")) {
                log_error("/ is on %s (%s), not Btrfs: this is not a KOOMPI OS root; give --top DIR", fstype,
                          source);
                return -ENOENT;
        }
        /* A mount of our own that nobody else sees, and that goes away with us whatever happens. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                log_errno(-errno, "making a private mount namespace failed; give --top DIR");
                return -ENOENT;
        }
        pathf(dir, sizeof dir, "%s/koompi-boot.XXXXXX", access("/run", W_OK) == 0 ? "/run" : "/tmp");
        if (!mkdtemp(dir)) {
                log_errno(-errno, "creating a mount point failed; give --top DIR");
                return -ENOENT;
        }
        r = mount_fs(source, dir, "btrfs", "ro,subvolid=5");
        if (r < 0) {
                rmdir(dir);
                log_errno(r, "mounting the top level of %s (subvolid=5) failed; give --top DIR", source);
                return -ENOENT;
        }
        snprintf(c->top_mount, sizeof c->top_mount, "%s", dir);
        snprintf(c->top, sizeof c->top, "%s", dir);
        log_debug("mounted the top level of %s at %s", source, dir);
        return 0;
}

int ctx_need_esp(struct context *c) {
        struct stat st;
        int r;

        if (c->esp[0])
                return 0;
        if (c->o->esp) {
                if (stat(c->o->esp, &st) < 0 || !S_ISDIR(st.st_mode)) {
                        log_error("--esp %s is not a directory; give the directory where the EFI system "
                                  "partition is mounted",
                                  c->o->esp);
                        return -ENOENT;
                }
                snprintf(c->esp, sizeof c->esp, "%s", c->o->esp);
                return 0;
        }
        r = esp_find(c->esp, sizeof c->esp);
        if (r < 0) {
                c->esp[0] = 0;
                log_error("no EFI system partition found: none of /efi, /boot, /boot/efi holds loader/; "
                          "mount it (e.g. at /efi) or give --esp DIR");
                return -ENOENT;
        }
        log_debug("found the ESP at %s", c->esp);
        return 0;
}

static int ledger_lock(struct context *c) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", c->ledger);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir)
                *slash = 0;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        /* The directory itself is the lock: no extra file in the layout. */
        if (flock(fd, LOCK_EX) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        c->ledger_lock = fd;
        return 0;
}

int ctx_ledger_load(struct context *c, struct ledger *l, bool write) {
        int r;

        if (write && c->ledger_lock < 0) {
                r = ledger_lock(c);
                if (r < 0) {
                        log_errno(r, "locking the ledger %s failed", c->ledger);
                        return -ENOENT;
                }
        }
        r = ledger_load(l, c->ledger);
        if (r < 0) {
                log_errno(r, "reading the ledger %s failed", c->ledger);
                return -ENOENT;
        }
        if (l->recovered > 0)
                log_warning("the ledger %s had %u damaged line%s; they were skipped", c->ledger, l->recovered,
                            l->recovered == 1 ? "" : "s");
        return 0;
}

int ctx_ledger_save(struct context *c, struct ledger *l) {
        int r = ledger_save(l, c->ledger);
        if (r < 0) {
                log_errno(r, "writing the ledger %s failed", c->ledger);
                return -EIO;
        }
        if (c->ledger_lock >= 0) {
                close(c->ledger_lock);
                c->ledger_lock = -1;
        }
        return 0;
}

/* ---- files beside the ledger, the lock of the roots ---- */

static int lock_fd = -1;

int admin_root_path(struct context *c, const char *name, char *buf, size_t size) {
        return pathf(buf, size, "%s/%s", c->top, name);
}

int admin_state_path(struct context *c, const char *file, char *buf, size_t size) {
        const char *slash = strrchr(c->ledger, '/');
        if (!slash)
                return pathf(buf, size, "%s", file);
        return pathf(buf, size, "%.*s/%s", (int)(slash - c->ledger), c->ledger, file);
}

int ctx_state_dir(struct context *c, char *buf, size_t size) {
        const char *slash = strrchr(c->ledger, '/');
        if (!slash)
                return pathf(buf, size, ".");
        return pathf(buf, size, "%.*s", (int)(slash - c->ledger), c->ledger);
}

int journal_load(struct context *c, struct journal *j) {
        char dir[PATH_MAX];
        *j = (struct journal) {};
        int r = ctx_state_dir(c, dir, sizeof dir);
        return r < 0 ? r : journal_read(dir, j);
}

int journal_save(struct context *c, const struct journal *j) {
        char dir[PATH_MAX];
        struct journal with = *j;
        /* What finishing it needs besides the roots: the kernel of roots that carry none. */
        snprintf(with.kernel, sizeof with.kernel, "%s", c->o->kernel ? c->o->kernel : "");
        snprintf(with.initrd, sizeof with.initrd, "%s", c->o->initrd ? c->o->initrd : "");
        snprintf(with.options, sizeof with.options, "%s", c->o->kernel_options ? c->o->kernel_options : "");
        int r = ctx_state_dir(c, dir, sizeof dir);
        return r < 0 ? r : journal_write(dir, &with);
}

int journal_clear(struct context *c) {
        char dir[PATH_MAX];
        int r = ctx_state_dir(c, dir, sizeof dir);
        return r < 0 ? r : journal_remove(dir);
}

int pins_load(struct context *c, char ***ret) {
        char dir[PATH_MAX];
        int r = ctx_state_dir(c, dir, sizeof dir);
        if (r == 0)
                r = pins_read(dir, ret);
        if (r < 0) {
                /* Callers free what they got, failed or not. */
                *ret = calloc(1, sizeof(char *));
                if (!*ret)
                        abort();
        }
        return r;
}

bool admin_locked(void) {
        return lock_fd >= 0;
}

int admin_lock(struct context *c) {
        if (lock_fd >= 0)
                return 0;
        int r = roots_lock(c->top, &lock_fd);
        if (r == -EBUSY)
                return log_error("another koompi-boot is changing the roots or their entries (an update, "
                                 "snapshot, prune, rollback or entries sync); wait for it to finish"),
                       r;
        if (r < 0)
                return log_errno(r, "locking %s failed", c->top), -ENOENT;
        log_debug("holding the lock of the roots (%s)", c->top);
        return 0;
}

void admin_end(void) {
        /* The lock's fd is under the private mount of the top level, which ctx_done() then
         * unmounts. */
        if (lock_fd >= 0) {
                close(lock_fd);
                lock_fd = -1;
        }
}

int pathf(char *buf, size_t size, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

void format_time(uint64_t t, char *buf, size_t size) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (t == 0 || !localtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
                snprintf(buf, size, "%s", t == 0 ? "-" : "?");
}

void json_str(const char *s) {
        json_write_string(stdout, s);
}
