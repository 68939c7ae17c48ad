/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* update: the transaction that makes a new root. A new root is either complete, read-only and
 * bootable with a boot counter, or it does not exist:
 *
 *   1. the ESP has room for a kernel and an initramfs;
 *   2. the journal beside the ledger records "update NEWROOT started", then the current root
 *      is snapshotted to NEWROOT, writable;
 *   3. the command runs chrooted in NEWROOT (sandbox.c);
 *   4. the initramfs of NEWROOT's newest kernel is built into NEWROOT itself
 *      (usr/lib/modules/KVER/initramfs-koompi.img), by NEWROOT's own koompi-mkinitramfs when
 *      it has one; an image identical to the one NEWROOT inherited is not replaced, so it stays
 *      shared on disk and on the ESP;
 *   5. NEWROOT is made read-only, the filesystem committed, the journal says "sealed";
 *   6. entries sync stores the kernel (once per content) and writes NEWROOT's entry with a boot
 *      counter: it has the greatest version, so it is tried next;
 *   7. the journal is removed.
 * A failure in 2-6 deletes NEWROOT (and its entry if one was written) and changes nothing else.
 * A crash leaves the journal: the next koompi-boot that changes roots (or `koompi-boot
 * recover`) deletes NEWROOT when it was not sealed, and writes its entry when it was. Until
 * then NEWROOT has no entry, so nothing boots it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "context.h"
#include "efivars.h"
#include "esp.h"
#include "journal.h"
#include "kernels.h"
#include "layout.h"
#include "log.h"
#include "sandbox.h"
#include "transaction.h"
#include "util.h"
#include "verbs.h"
#include "view.h"

#define STEPS 7u
/* Room kept for an initramfs not built yet. */
#define IMAGE_RESERVE (32ULL << 20)
#define IMAGE_NAME "initramfs-koompi.img"
#define IMAGE_TMP ".initramfs-koompi.img.new"

static void step(unsigned n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step(unsigned n, const char *fmt, ...) {
        va_list ap;
        printf("[%u/%u] ", n, STEPS);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

static uint64_t file_size(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

/* 1: the same bytes, 0: not, negative errno. */
static int files_equal(const char *a, const char *b) {
        _cleanup_close_ int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *ba = NULL, *bb = NULL;
        struct stat sa, sb;
        if (fa < 0 || fb < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fa, &sa) < 0 || fstat(fb, &sb) < 0)
                return -errno;
        if (sa.st_size != sb.st_size)
                return 0;
        ba = malloc(1 << 16);
        bb = malloc(1 << 16);
        if (!ba || !bb)
                return -ENOMEM;
        for (;;) {
                ssize_t na = read(fa, ba, 1 << 16), nb;
                if (na < 0)
                        return -errno;
                if (na == 0)
                        return 1;
                for (ssize_t got = 0; got < na; got += nb) {
                        nb = read(fb, bb + got, (size_t)(na - got));
                        if (nb <= 0)
                                return nb < 0 ? -errno : 0;
                }
                if (memcmp(ba, bb, (size_t)na) != 0)
                        return 0;
        }
}

static int run_program(char *const argv[]) {
        int status;
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execv(argv[0], argv);
                log_errno(-errno, "running %s failed", argv[0]);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* koompi-mkinitramfs beside this program (build/ or /usr/bin), else /usr/bin's. */
static void host_builder(char *buf, size_t size) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
                self[n] = 0;
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = 0;
                        if (pathf(buf, size, "%s/koompi-mkinitramfs", self) == 0 && access(buf, X_OK) == 0)
                                return;
                }
        }
        snprintf(buf, size, "/usr/bin/koompi-mkinitramfs");
}

/* Step 4. *ret_what says what happened, for the progress line. Returns 0 or a negative errno. */
static int build_initramfs(const char *rootdir, char *what, size_t wsize) {
        char kver[256], moddir[PATH_MAX], tmp[PATH_MAX], img[PATH_MAX], own[PATH_MAX], conf[PATH_MAX];
        int r;

        if (kernel_find_newest(rootdir, kver, sizeof kver) < 0) {
                snprintf(what, wsize, "none: the root carries no kernel (its entry uses --kernel and --initrd)");
                return 0;
        }
        pathf(moddir, sizeof moddir, "%s/usr/lib/modules/%s", rootdir, kver);
        pathf(tmp, sizeof tmp, "%s/%s", moddir, IMAGE_TMP);
        pathf(img, sizeof img, "%s/%s", moddir, IMAGE_NAME);
        pathf(own, sizeof own, "%s/usr/bin/koompi-mkinitramfs", rootdir);
        unlink(tmp);
        bool inside = access(own, X_OK) == 0;
        if (inside) {
                /* The root's own builder, its koompi-init, libraries and boot.conf. */
                char out[PATH_MAX];
                pathf(out, sizeof out, "/usr/lib/modules/%s/%s", kver, IMAGE_TMP);
                char *argv[] = { (char *)"/usr/bin/koompi-mkinitramfs", (char *)"--kernel", kver, (char *)"--output",
                                 out, (char *)"--quiet", NULL };
                /* /var there is the root's own directory: the builder's cache of compressed
                 * host files goes to /run (shared with the host) rather than into the root.
                 * An environment variable, which a builder of any version accepts. */
                char *env[] = { (char *)"KOOMPI_MKINITRAMFS_CACHE=/run/koompi/mkinitramfs-cache", NULL };
                r = sandbox_run(rootdir, argv, env);
        } else {
                char builder[PATH_MAX];
                host_builder(builder, sizeof builder);
                pathf(conf, sizeof conf, "%s/etc/koompi/boot.conf", rootdir);
                bool have_conf = access(conf, R_OK) == 0;
                char *argv[] = { builder, (char *)"--kernel", kver, (char *)"--moddir", moddir, (char *)"--output", tmp,
                                 (char *)"--quiet", have_conf ? (char *)"--config" : NULL, conf, NULL };
                r = run_program(argv);
        }
        if (r != 0) {
                unlink(tmp);
                if (r < 0)
                        log_errno(r, "starting koompi-mkinitramfs failed");
                else
                        log_error("koompi-mkinitramfs failed (exit status %d) for the kernel %s of the new root", r,
                                  kver);
                return -ECHILD;
        }
        r = files_equal(tmp, img);
        if (r < 0) {
                unlink(tmp);
                log_errno(r, "comparing the new initramfs with %s failed", img);
                return -EIO;
        }
        if (r > 0) {
                /* The inherited file shares its extents with the old root's. */
                unlink(tmp);
                snprintf(what, wsize, "%s: unchanged (%s builder), the inherited image kept", kver,
                         inside ? "the root's own" : "the host's");
                return 0;
        }
        if (rename(tmp, img) < 0) {
                r = -errno;
                unlink(tmp);
                log_errno(r, "renaming the new initramfs to %s failed", img);
                return -EIO;
        }
        snprintf(what, wsize, "%s: built, %" PRIu64 " bytes (%s builder)", kver, file_size(img),
                 inside ? "the root's own" : "the host's");
        return 0;
}

/* Step 1: room for the kernel and initramfs of the current root, or of --kernel/--initrd. */
static int check_room(struct context *c, const char *src) {
        char rootdir[PATH_MAX], kver[256];
        uint64_t kernel = 0, image = 0, avail = 0, block = 4096;

        admin_root_path(c, src, rootdir, sizeof rootdir);
        if (kernel_find_newest(rootdir, kver, sizeof kver) == 0) {
                char p[PATH_MAX];
                pathf(p, sizeof p, "%s/usr/lib/modules/%s/vmlinuz", rootdir, kver);
                kernel = file_size(p);
                pathf(p, sizeof p, "%s/usr/lib/modules/%s/%s", rootdir, kver, IMAGE_NAME);
                image = file_size(p);
                if (image == 0) {
                        pathf(p, sizeof p, "%s/boot/koompi/initramfs-%s.img", rootdir, kver);
                        image = file_size(p);
                }
                if (image == 0)
                        image = IMAGE_RESERVE;
        } else if (c->o->kernel) {
                kernel = file_size(c->o->kernel);
                image = file_size(c->o->initrd);
                if (kernel == 0 || image == 0) {
                        log_error("--kernel %s and --initrd %s must be readable files; nothing was changed", c->o->kernel,
                                  c->o->initrd);
                        return -ENOENT;
                }
        } else {
                log_error("%s carries no kernel (no usr/lib/modules/*/vmlinuz); give --kernel FILE and --initrd FILE "
                          "to boot the new root with those; nothing was changed",
                          src);
                return -ENOENT;
        }
        _cleanup_close_ int fd = open(c->esp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || esp_free_space(fd, &avail, &block) < 0) {
                log_errno(-errno, "finding the free space of %s failed", c->esp);
                return -ENOENT;
        }
        /* The kernel's directory, the entry and loader.conf take a block each. */
        uint64_t need = esp_blocks_bytes(kernel, block) + esp_blocks_bytes(image, block) + 3 * block;
        if (need > avail) {
                log_error("ESP full: a new kernel and initramfs need up to %" PRIu64 " bytes, %" PRIu64
                          " are free on %s; remove old roots (koompi-boot prune) and try again; nothing was changed",
                          need, avail, c->esp);
                return -ENOSPC;
        }
        step(1, "ESP: room for a kernel and an initramfs (%" PRIu64 " KiB at most, %" PRIu64 " KiB free on %s)",
             need >> 10, avail >> 10, c->esp);
        return 0;
}

/* Deletes the new root after a failure; resync: its entry may have been written. */
static void undo(struct context *c, const char *name, bool resync) {
        int r = btrfs_root_delete(c->top, name);
        if (r < 0 && r != -ENOENT) {
                log_errno(r, "deleting %s failed; the next koompi-boot run deletes it", name);
                return;
        }
        btrfs_fs_sync(c->top);
        if (resync && admin_sync_entries(c) != 0) {
                log_error("the entry of %s could not be removed; the next koompi-boot run removes it", name);
                return;
        }
        r = journal_clear(c);
        if (r < 0)
                log_errno(r, "removing the record of the update failed; the next koompi-boot run removes it");
        printf("update: %s deleted; nothing else was changed\n", name);
}

/* After the entry is written: a LoaderEntryDefault of another entry would keep the new root
 * from being tried; it goes. */
static void clear_pinned_default(struct context *c, const char *entry_id) {
        char var[256];
        if (!admin_efi_ok(c) || efi_loader_get_string("LoaderEntryDefault", var, sizeof var) < 0 || !*var ||
            entry_id_equal(var, entry_id))
                return;
        int r = efi_loader_delete("LoaderEntryDefault");
        if (r < 0)
                log_errno(r, "removing the EFI variable LoaderEntryDefault (%s) failed; the new root will not "
                          "boot next until it is removed (bootctl set-default \"\")",
                          var);
        else
                printf("      removed the EFI variable LoaderEntryDefault (%s), which kept another entry the default\n",
                       var);
}

static double seconds(uint64_t us) {
        return (double)us / 1e6;
}

static int update_run(struct context *c) {
        _cleanup_free_ char *command = NULL;
        char name[ROOT_NAME_MAX + 1], rootdir[PATH_MAX], what[512], src[256];
        struct root_view v = {};
        struct journal j = { .op = "update", .step = "started" };
        uint64_t t0 = now_monotonic_us(), t_cmd = 0, t_img = 0;
        const char *why;
        int r;

        if (c->o->run)
                command = strdup_or_die(c->o->run);
        else if (asprintf(&command, "pacman %s", c->o->pacman) < 0)
                abort();

        r = admin_begin(c);
        if (r != 0)
                return r;
        ledger_init(&v.ledger);
        r = admin_view_load(c, &v);
        if (r != 0)
                goto out;
        int cur = root_view_current(&v, &why);
        if (cur < 0) {
                log_error("no read-only root to start from under %s (none boots next, none is booted, and %s is "
                          "not there); nothing was changed",
                          c->top, c->config.snapshot);
                r = -ENOENT;
                goto out;
        }
        snprintf(src, sizeof src, "%s", v.roots[cur].info.name);

        /* 1. */
        r = check_room(c, src);
        if (r != 0)
                goto out;
        fault_point("esp-checked");

        /* 2. */
        {
                time_t now = time(NULL);
                struct tm tm;
                const char **names = calloc(v.n_roots ? v.n_roots : 1, sizeof *names);
                if (!names)
                        abort();
                for (size_t i = 0; i < v.n_roots; i++)
                        names[i] = v.roots[i].info.name;
                localtime_r(&now, &tm);
                r = root_name_generate(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, names, v.n_roots, name,
                                       sizeof name);
                free(names);
                if (r < 0) {
                        log_errno(r, "naming the new root failed (too many roots made today?); nothing was changed");
                        r = -EPERM;
                        goto out;
                }
        }
        snprintf(j.root, sizeof j.root, "%s", name);
        snprintf(j.from, sizeof j.from, "%s", src);
        r = journal_save(c, &j);
        if (r < 0) {
                log_errno(r, "recording the update beside the ledger %s failed; nothing was changed", c->ledger);
                r = -EIO;
                goto out;
        }
        fault_point("marked");
        r = btrfs_root_snapshot(c->top, src, name, false);
        if (r < 0) {
                log_errno(r, "snapshotting %s to %s failed; nothing was changed", src, name);
                journal_clear(c);
                r = -EIO;
                goto out;
        }
        step(2, "snapshot: %s (%s) -> %s, writable, marked in progress", src, why, name);
        fault_point("snapshot");

        /* 3. */
        admin_root_path(c, name, rootdir, sizeof rootdir);
        step(3, "run in %s: %s", name, command);
        {
                char env_root[300], env_from[300];
                snprintf(env_root, sizeof env_root, "KOOMPI_UPDATE_ROOT=%s", name);
                snprintf(env_from, sizeof env_from, "KOOMPI_UPDATE_FROM=%s", src);
                char *env[] = { env_root, env_from, NULL };
                char *argv[] = { (char *)"/bin/sh", (char *)"-c", command, NULL };
                uint64_t t = now_monotonic_us();
                r = sandbox_run(rootdir, argv, env);
                t_cmd = now_monotonic_us() - t;
        }
        if (r != 0) {
                if (r < 0)
                        log_errno(r, "running the command in %s failed", name);
                else
                        log_error("the command failed in %s (exit status %d)", name, r);
                printf("[4/%u] failed: deleting %s\n", STEPS, name);
                undo(c, name, false);
                r = -ECHILD;
                goto out;
        }
        printf("      the command succeeded (%.2f s)\n", seconds(t_cmd));
        fault_point("command");

        /* 4. */
        {
                uint64_t t = now_monotonic_us();
                r = build_initramfs(rootdir, what, sizeof what);
                t_img = now_monotonic_us() - t;
        }
        if (r != 0) {
                printf("[4/%u] failed: deleting %s\n", STEPS, name);
                undo(c, name, false);
                goto out;
        }
        step(4, "initramfs: %s", what);
        fault_point("initramfs");

        /* 5. */
        r = btrfs_root_set_read_only(c->top, name, true);
        if (r == 0)
                r = btrfs_fs_sync(c->top);
        if (r < 0) {
                log_errno(r, "making %s read-only failed", name);
                undo(c, name, false);
                r = -EIO;
                goto out;
        }
        fault_point("read-only");
        snprintf(j.step, sizeof j.step, "sealed");
        r = journal_save(c, &j);
        if (r < 0) {
                log_errno(r, "recording the update beside the ledger %s failed", c->ledger);
                undo(c, name, false);
                r = -EIO;
                goto out;
        }
        step(5, "read-only: %s sealed", name);
        fault_point("sealed");

        /* 6. */
        step(6, "entry: kernel and entry on %s", c->esp);
        r = admin_sync_entries(c);
        if (r != 0) {
                log_error("writing the entry of %s failed; deleting it", name);
                undo(c, name, true);
                goto out;
        }
        fault_point("entry");

        /* 7. */
        r = journal_clear(c);
        if (r < 0) {
                log_errno(r, "removing the record of the update failed; the next koompi-boot run removes it");
                r = -EIO;
                goto out;
        }
        step(7, "done: the in-progress mark of %s cleared", name);

        /* What will boot. */
        root_view_free(&v);
        r = admin_view_load(c, &v);
        if (r != 0)
                goto out;
        int n = root_view_find(&v, name);
        const struct root_view_root *nr = n >= 0 ? &v.roots[n] : NULL;
        if (nr && nr->entry[0]) {
                char id[ENTRY_NAME_MAX + 1];
                if (entry_name_id(&nr->entry_name, id, sizeof id) == 0)
                        clear_pinned_default(c, id);
        }
        uint64_t total = now_monotonic_us() - t0;
        printf("update: %s made from %s, read-only, entry %s", name, src, nr && nr->entry[0] ? nr->entry : "(none)");
        if (nr && nr->entry_name.has_counter)
                printf(" (%u tries)", nr->entry_name.left);
        printf("\n");
        if (v.next == n)
                printf("        boots next; it becomes good once a boot of it is blessed (koompi-boot mark-good)\n");
        else
                printf("        does NOT boot next: %s does (%s %s)\n",
                       v.next >= 0 ? v.roots[v.next].info.name : "an entry of another system",
                       v.next_source ? v.next_source : "no default", v.next_pattern);
        printf("        %.2f s in all: command %.2f s, initramfs %.2f s, transaction %.3f s\n", seconds(total),
               seconds(t_cmd), seconds(t_img), seconds(total - t_cmd - t_img));
        r = 0;
out:
        root_view_free(&v);
        return r;
}

int verb_update(struct context *c) {
        int r = update_run(c);
        admin_end();
        return r;
}
