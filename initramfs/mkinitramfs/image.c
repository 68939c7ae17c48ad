/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What goes into the image besides the modules: the layout, host files with their
 * symlinks and libraries, busybox. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"
#include "mkinitramfs.h"
#include "util.h"

#define MAX_SYMLINK_HOPS 40
#define MAX_TREE_DEPTH 32

/* The busybox applets linked in /bin, when busybox has them. */
static const char *const applets[] = {
        "[",        "blkid",  "cat",   "chmod", "chroot",   "cp",     "cut",  "date",        "dd",
        "dmesg",    "echo",   "find",  "grep",  "head",     "insmod", "ln",   "losetup",     "ls",
        "lsmod",    "mdev",   "mkdir", "mknod", "modprobe", "mount",  "mv",   "poweroff",    "printf",
        "readlink", "reboot", "rm",    "sed",   "sh",       "sleep",  "stat", "switch_root", "sync",
        "tail",     "test",   "touch", "tr",    "umount",   "uname",  "wc",
};

/* Also linked in /sbin, where scripts expect them. The kernel runs /sbin/modprobe for the
 * modules it asks for itself (crypto algorithms, character sets): busybox's, static, starts
 * in a fraction of the time a dynamically linked program takes, and the kernel asks several
 * times while dm-crypt sets up its cipher. */
static const char *const sbin_applets[] = {
        "blkid", "insmod", "losetup", "mdev", "modprobe", "poweroff", "reboot", "switch_root",
};

/* The merged-/usr symlinks of the host, mirrored so that every file lands where the host
 * has it and /bin/busybox, /lib/modules, ... follow the same links. */
static const char *const usr_links[] = { "bin", "sbin", "lib", "lib64", "usr/sbin" };

static const char initrd_release[] = "NAME=\"KOOMPI OS\"\n"
                                     "ID=koompi\n"
                                     "PRETTY_NAME=\"KOOMPI OS (initramfs)\"\n"
                                     "VARIANT=\"initramfs\"\n"
                                     "VARIANT_ID=initrd\n";

int mki_bad_input(struct mki *m, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_vmsg(LOG_LVL_ERR, fmt, ap);
        va_end(ap);
        m->bad_input = true;
        return r;
}

static int add_failed(struct mki *m, int r, const char *what) {
        if (r == -ENOMEM)
                return log_errno(r, "adding %s to the image failed", what);
        if (r == -EEXIST || r == -ENOTDIR)
                return mki_bad_input(m, r, "%s: another file of the image is already there", what);
        return mki_bad_input(m, r, "%s: %s", what, strerror(-r));
}

int image_layout(struct mki *m) {
        static const struct {
                const char *path;
                unsigned mode;
        } dirs[] = {
                { "/dev", 0755 }, { "/etc", 0755 }, { "/proc", 0555 },    { "/root", 0700 },
                { "/run", 0755 }, { "/sys", 0555 }, { "/sysroot", 0755 }, { "/tmp", 01777 },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(usr_links); i++) {
                char host[PATH_MAX], target[PATH_MAX];
                snprintf(host, sizeof host, "/%s", usr_links[i]);
                ssize_t n = readlink(host, target, sizeof target - 1);
                if (n <= 0)
                        continue;
                target[n] = 0;
                r = cpio_add_symlink(m->cpio, host, target);
                if (r < 0)
                        return add_failed(m, r, host);
        }
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                r = cpio_add_dir(m->cpio, dirs[i].path, dirs[i].mode);
                if (r < 0)
                        return add_failed(m, r, dirs[i].path);
        }
        r = cpio_add_chardev(m->cpio, "/dev/console", 0600, 5, 1);
        if (r == 0)
                r = cpio_add_chardev(m->cpio, "/dev/null", 0666, 1, 3);
        if (r == 0)
                r = cpio_add_data(m->cpio, "/etc/initrd-release", 0644, initrd_release,
                                  sizeof initrd_release - 1);
        if (r == 0)
                r = cpio_add_symlink(m->cpio, "/etc/os-release", "initrd-release");
        return r < 0 ? add_failed(m, r, "the base layout") : 0;
}

static void elf_note(const char *message, void *userdata) {
        log_debug("%s", message);
}

int image_elf_deps(struct mki *m, const char *path) {
        m->elf.note = elf_note;
        int r = elf_closure_add(&m->elf, path);
        if (r < 0 && *elf_closure_error(&m->elf))
                log_error("%s", elf_closure_error(&m->elf));
        if (r == -ENOEXEC)
                return 0;
        if (r == -EPROTONOSUPPORT) {
                log_warning("%s is not an ELF64 file of this machine: the libraries it needs "
                            "are not added",
                            path);
                return 0;
        }
        if (r == -ENOENT || r == -EBADMSG)
                return mki_bad_input(m, r, "%s: the libraries it needs cannot be found%s", path,
                                     r == -EBADMSG ? " (corrupt ELF file)" : " (see above)");
        if (r < 0)
                return log_errno(r, "reading the libraries of %s failed", path);
        return 0;
}

static bool maybe_elf(const char *name, mode_t mode) {
        return (mode & 0111) || strstr(name, ".so");
}

static int install_tree(struct mki *m, const char *src, const char *dest, unsigned depth);

static int install_entry(struct mki *m, const char *src, const char *dest, const struct stat *st, bool deps,
                         unsigned depth) {
        int r;
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlink(src, target, sizeof target - 1);
                if (n < 0)
                        return mki_bad_input(m, -errno, "%s: %s", src, strerror(errno));
                target[n] = 0;
                r = cpio_add_symlink(m->cpio, dest, target);
                return r < 0 ? add_failed(m, r, dest) : 0;
        }
        if (S_ISDIR(st->st_mode))
                return install_tree(m, src, dest, depth + 1);
        if (!S_ISREG(st->st_mode))
                return mki_bad_input(m, -EINVAL, "%s: not a regular file, directory or symlink", src);
        r = cpio_add_file(m->cpio, dest, CPIO_MODE_FROM_SOURCE, src);
        if (r < 0)
                return add_failed(m, r, src);
        return deps && maybe_elf(src, st->st_mode) ? image_elf_deps(m, src) : 0;
}

static int install_tree(struct mki *m, const char *src, const char *dest, unsigned depth) {
        struct stat st;
        if (depth > MAX_TREE_DEPTH)
                return mki_bad_input(m, -ELOOP, "%s: directories nested too deep", src);
        if (stat(src, &st) < 0)
                return mki_bad_input(m, -errno, "%s: %s", src, strerror(errno));
        int r = cpio_add_dir(m->cpio, dest, st.st_mode & 07777);
        if (r < 0)
                return add_failed(m, r, dest);

        DIR *d = opendir(src);
        if (!d)
                return mki_bad_input(m, -errno, "%s: %s", src, strerror(errno));
        struct dirent *de;
        r = 0;
        while (r == 0 && (errno = 0, de = readdir(d))) {
                char s[PATH_MAX], t[PATH_MAX];
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if ((size_t)snprintf(s, sizeof s, "%s/%s", src, de->d_name) >= sizeof s ||
                    (size_t)snprintf(t, sizeof t, "%s/%s", dest, de->d_name) >= sizeof t) {
                        r = mki_bad_input(m, -ENAMETOOLONG, "%s/%s: path too long", src, de->d_name);
                        break;
                }
                if (lstat(s, &st) < 0) {
                        r = mki_bad_input(m, -errno, "%s: %s", s, strerror(errno));
                        break;
                }
                if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
                        log_warning("%s: not a regular file, directory or symlink; skipped", s);
                        continue;
                }
                r = install_entry(m, s, t, &st, true, depth);
        }
        if (r == 0 && errno != 0)
                r = mki_bad_input(m, -errno, "%s: %s", src, strerror(errno));
        closedir(d);
        return r;
}

/* Installs a host path at the same path, walking it one component at a time so that each
 * symlink met is copied as one and the walk goes on at its target. */
static int install_host(struct mki *m, const char *path, bool deps) {
        char cur[PATH_MAX];
        unsigned hops = 0;

        if (path[0] != '/')
                return mki_bad_input(m, -EINVAL, "%s: not an absolute path", path);
        if ((size_t)snprintf(cur, sizeof cur, "%s", path) >= sizeof cur)
                return mki_bad_input(m, -ENAMETOOLONG, "%s: path too long", path);
restart:
        for (size_t i = 1; cur[i - 1];) {
                size_t end = i + strcspn(cur + i, "/");
                bool last = cur[end] == 0 || cur[end + strspn(cur + end, "/")] == 0;
                char prefix[PATH_MAX];
                struct stat st;

                if (end == i) { /* "//" */
                        i++;
                        continue;
                }
                memcpy(prefix, cur, end);
                prefix[end] = 0;
                if (lstat(prefix, &st) < 0)
                        return mki_bad_input(m, -errno, "%s: %s", prefix, strerror(errno));

                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX], next[PATH_MAX];
                        ssize_t n = readlink(prefix, target, sizeof target - 1);
                        if (n < 0)
                                return mki_bad_input(m, -errno, "%s: %s", prefix, strerror(errno));
                        target[n] = 0;
                        int r = cpio_add_symlink(m->cpio, prefix, target);
                        if (r < 0)
                                return add_failed(m, r, prefix);
                        if (++hops > MAX_SYMLINK_HOPS)
                                return mki_bad_input(m, -ELOOP, "%s: too many symlinks", path);
                        size_t dirlen = i - 1; /* the '/' before this component */
                        int k;
                        if (target[0] == '/')
                                k = snprintf(next, sizeof next, "%s%s", target, cur + end);
                        else
                                k = snprintf(next, sizeof next, "%.*s/%s%s", (int)dirlen, cur, target,
                                             cur + end);
                        if (k < 0 || (size_t)k >= sizeof next)
                                return mki_bad_input(m, -ENAMETOOLONG, "%s: path too long", path);
                        memcpy(cur, next, (size_t)k + 1);
                        goto restart;
                }
                if (last)
                        return install_entry(m, prefix, prefix, &st, deps, 0);
                if (!S_ISDIR(st.st_mode))
                        return mki_bad_input(m, -ENOTDIR, "%s: %s", prefix, strerror(ENOTDIR));
                i = end + 1;
        }
        return mki_bad_input(m, -EINVAL, "%s: not a file", path);
}

int image_install(struct mki *m, const char *path) {
        return install_host(m, path, true);
}

int image_install_as(struct mki *m, const char *src, const char *dest) {
        struct stat st;
        if (stat(src, &st) < 0)
                return mki_bad_input(m, -errno, "%s: %s", src, strerror(errno));
        if (S_ISDIR(st.st_mode))
                return install_tree(m, src, dest, 0);
        if (access(src, R_OK) < 0)
                return mki_bad_input(m, -errno, "%s: %s", src, strerror(errno));
        return install_entry(m, src, dest, &st, true, 0);
}

int mki_parse_include(const char *spec, char **ret_src, char **ret_dest) {
        const char *colon = strchr(spec, ':');
        _cleanup_free_ char *src = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
        _cleanup_free_ char *dest = strdup(colon ? colon + 1 : spec);
        if (!src || !dest)
                return -ENOMEM;
        if (src[0] != '/' || dest[0] != '/' || streq(dest, "/"))
                return -EINVAL;
        *ret_src = src;
        *ret_dest = dest;
        src = dest = NULL;
        return 0;
}

int image_include(struct mki *m, const char *spec) {
        _cleanup_free_ char *src = NULL, *dest = NULL;
        int r = mki_parse_include(spec, &src, &dest);
        if (r == -EINVAL)
                return mki_bad_input(m, r, "include %s: give an absolute SRC[:DEST]", spec);
        if (r < 0)
                return r;
        if (access(src, F_OK) < 0 || (access(src, R_OK) < 0 && errno == EACCES))
                return mki_bad_input(m, -errno, "include %s: %s", src, strerror(errno));
        log_debug("including %s as %s", src, dest);
        return streq(src, dest) ? image_install(m, src) : image_install_as(m, src, dest);
}

int image_flush_elf(struct mki *m) {
        int r = 0;
        cpio_set_segment(m->cpio, MKI_SEGMENT_HOST);
        for (size_t i = 0; r == 0 && i < m->elf.n; i++)
                if (m->elf.files[i].kind != ELF_FILE_BINARY)
                        r = install_host(m, m->elf.files[i].path, false);
        cpio_set_segment(m->cpio, MKI_SEGMENT_IMAGE);
        return r;
}

int image_busybox(struct mki *m, const char *path, bool required) {
        if (access(path, R_OK) < 0) {
                if (required)
                        return mki_bad_input(m, -errno, "busybox %s: %s", path, strerror(errno));
                log_warning("no busybox at %s: the image has no shell", path);
                return 0;
        }
        cpio_set_segment(m->cpio, MKI_SEGMENT_HOST);
        int r = cpio_add_file(m->cpio, "/bin/busybox", 0755, path);
        cpio_set_segment(m->cpio, MKI_SEGMENT_IMAGE);
        if (r < 0)
                return add_failed(m, r, path);
        return image_elf_deps(m, path);
}

static bool in_list(const char *list, const char *name) {
        size_t n = strlen(name);
        for (const char *p = list; p && *p;) {
                size_t len = strcspn(p, "\n");
                if (len == n && strncmp(p, name, n) == 0)
                        return true;
                p += len;
                p += *p == '\n';
        }
        return false;
}

static int add_applet(struct mki *m, const char *dir, const char *name, const char *target) {
        char p[64];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        /* A real program included under that name wins. */
        if (cpio_stat(m->cpio, p, NULL) == 0)
                return 0;
        int r = cpio_add_symlink(m->cpio, p, target);
        return r < 0 ? add_failed(m, r, p) : 0;
}

int image_busybox_links(struct mki *m, const char *path) {
        _cleanup_free_ char *list = NULL;
        if (cpio_stat(m->cpio, "/bin/busybox", NULL) < 0)
                return 0;
        char *argv[] = { (char *)path, (char *)"--list", NULL };
        int r = spawn_capture(argv, &list, NULL, 0);
        if (r < 0)
                log_debug("%s --list failed (%s): linking every applet", path, strerror(-r));
        for (size_t i = 0; i < ELEMENTSOF(applets); i++) {
                if (list && !in_list(list, applets[i]))
                        continue;
                r = add_applet(m, "/bin", applets[i], "busybox");
                if (r < 0)
                        return r;
        }
        /* Where /sbin is /bin (or links to the same place) these exist already. */
        for (size_t i = 0; i < ELEMENTSOF(sbin_applets); i++) {
                if (list && !in_list(list, sbin_applets[i]))
                        continue;
                r = add_applet(m, "/sbin", sbin_applets[i], "/bin/busybox");
                if (r < 0)
                        return r;
        }
        return 0;
}
