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
#include "rootrelease.h"
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

/* What failed in making a command's sandbox, said where it failed (a child process). */
static void sandbox_say(int err, const char *what, void *userdata) {
        log_errno(err, "%s", what);
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

/* Builds the initramfs of kernel kver into tmp (inside rootdir's module directory): by the root's
 * own builder when it has one (*ret_inside), else the host's. 0, or -ECHILD after saying why. */
static int run_builder(const char *rootdir, const char *kver, const char *tmp, bool *ret_inside) {
        char moddir[PATH_MAX], own[PATH_MAX], conf[PATH_MAX], builder[PATH_MAX], out[PATH_MAX];
        int r;

        pathf(moddir, sizeof moddir, "%s/usr/lib/modules/%s", rootdir, kver);
        pathf(own, sizeof own, "%s/usr/bin/koompi-mkinitramfs", rootdir);
        *ret_inside = access(own, X_OK) == 0;
        if (*ret_inside) {
                /* The root's own builder, its koompi-init, libraries and boot.conf. */
                pathf(out, sizeof out, "/usr/lib/modules/%s/%s", kver, IMAGE_TMP);
                char *argv[] = { (char *)"/usr/bin/koompi-mkinitramfs",
                                 (char *)"--kernel",
                                 (char *)kver,
                                 (char *)"--output",
                                 out,
                                 (char *)"--quiet",
                                 NULL };
                /* /var there is the root's own directory: the builder's cache of compressed
                 * host files goes to /run (shared with the host) rather than into the root.
                 * An environment variable, which a builder of any version accepts. */
                char *env[] = { (char *)"KOOMPI_MKINITRAMFS_CACHE=/run/koompi/mkinitramfs-cache", NULL };
                r = sandbox_run(rootdir, argv, env, sandbox_say, NULL);
        } else {
                host_builder(builder, sizeof builder);
                pathf(conf, sizeof conf, "%s/etc/koompi/boot.conf", rootdir);
                bool have_conf = access(conf, R_OK) == 0;
                char *argv[] = { builder,
                                 (char *)"--kernel",
                                 (char *)kver,
                                 (char *)"--moddir",
                                 moddir,
                                 (char *)"--output",
                                 (char *)tmp,
                                 (char *)"--quiet",
                                 have_conf ? (char *)"--config" : NULL,
                                 conf,
                                 NULL };
                r = run_program(argv);
        }
        if (r < 0)
                log_errno(r, "starting koompi-mkinitramfs failed");
        else if (r > 0)
                log_error("koompi-mkinitramfs failed (exit status %d) for the kernel %s of the new root", r,
                          kver);
        return r == 0 ? 0 : -ECHILD;
}

/* Step 4. *ret_what says what happened, for the progress line. Returns 0 or a negative errno. */
static int build_initramfs(const char *rootdir, char *what, size_t wsize) {
        char kver[256], tmp[PATH_MAX], img[PATH_MAX];
        bool inside;
        int r;

        if (kernel_find_newest(rootdir, kver, sizeof kver) < 0) {
                snprintf(what, wsize,
                         "none: the root carries no kernel (its entry uses --kernel and --initrd)");
                return 0;
        }
        pathf(tmp, sizeof tmp, "%s/usr/lib/modules/%s/%s", rootdir, kver, IMAGE_TMP);
        pathf(img, sizeof img, "%s/usr/lib/modules/%s/%s", rootdir, kver, IMAGE_NAME);
        unlink(tmp);
        r = run_builder(rootdir, kver, tmp, &inside);
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        r = files_equal(tmp, img);
        if (r < 0) {
                unlink(tmp);
                return log_errno(r, "comparing the new initramfs with %s failed", img), -EIO;
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
                return log_errno(r, "renaming the new initramfs to %s failed", img), -EIO;
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
                        log_error("--kernel %s and --initrd %s must be readable files; nothing was changed",
                                  c->o->kernel, c->o->initrd);
                        return -ENOENT;
                }
        } else {
                log_error(
                        "%s carries no kernel (no usr/lib/modules/*/vmlinuz); give --kernel FILE and --initrd FILE "
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
                log_error(
                        "ESP full: a new kernel and initramfs need up to %" PRIu64 " bytes, %" PRIu64
                        " are free on %s; remove old roots (koompi-boot prune) and try again; nothing was changed",
                        need, avail, c->esp);
                return -ENOSPC;
        }
        step(1,
             "ESP: room for a kernel and an initramfs (%" PRIu64 " KiB at most, %" PRIu64 " KiB free on %s)",
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
                log_errno(r,
                          "removing the EFI variable LoaderEntryDefault (%s) failed; the new root will not "
                          "boot next until it is removed (bootctl set-default \"\")",
                          var);
        else
                printf("      removed the EFI variable LoaderEntryDefault (%s), which kept another entry the default\n",
                       var);
}

static double seconds(uint64_t us) {
        return (double)us / 1e6;
}

/* One update in progress. */
struct update {
        struct context *c;
        char *command;
        char name[ROOT_NAME_MAX + 1]; /* the new root */
        char src[256]; /* the root it is made from */
        const char *why; /* why src: "the root booted next", ... */
        char rootdir[PATH_MAX];
        struct journal j;
        uint64_t t0, t_cmd, t_img;
};

/* Steps 1 and 2: room on the ESP, the journal, the writable snapshot. Nothing to undo when it
 * fails. */
static int update_start(struct update *u, const struct root_view *v) {
        struct context *c = u->c;
        int cur = root_view_current(v, &u->why);
        if (cur < 0) {
                log_error(
                        "no read-only root to start from under %s (none boots next, none is booted, and %s is "
                        "not there); nothing was changed",
                        c->top, c->config.snapshot);
                return -ENOENT;
        }
        snprintf(u->src, sizeof u->src, "%s", v->roots[cur].info.name);
        int r = check_room(c, u->src);
        if (r < 0)
                return r;
        fault_point("esp-checked");
        r = admin_root_name_new(v, u->name, sizeof u->name);
        if (r < 0)
                return log_errno(
                               r,
                               "naming the new root failed (too many roots made today?); nothing was changed"),
                       -EPERM;
        u->j = (struct journal) { .op = "update", .step = "started" };
        snprintf(u->j.root, sizeof u->j.root, "%s", u->name);
        snprintf(u->j.from, sizeof u->j.from, "%s", u->src);
        r = journal_save(c, &u->j);
        if (r < 0)
                return log_errno(r, "recording the update beside the ledger %s failed; nothing was changed",
                                 c->ledger),
                       -EIO;
        fault_point("marked");
        r = btrfs_root_snapshot(c->top, u->src, u->name, false);
        if (r < 0) {
                log_errno(r, "snapshotting %s to %s failed; nothing was changed", u->src, u->name);
                journal_clear(c);
                return -EIO;
        }
        step(2, "snapshot: %s (%s) -> %s, writable, marked in progress", u->src, u->why, u->name);
        fault_point("snapshot");
        return admin_root_path(c, u->name, u->rootdir, sizeof u->rootdir);
}

/* Step 3: the command, in the new root. -ECHILD when it fails. */
static int update_command(struct update *u) {
        char env_root[300], env_from[300];
        snprintf(env_root, sizeof env_root, "KOOMPI_UPDATE_ROOT=%s", u->name);
        snprintf(env_from, sizeof env_from, "KOOMPI_UPDATE_FROM=%s", u->src);
        char *env[] = { env_root, env_from, NULL };
        char *argv[] = { (char *)"/bin/sh", (char *)"-c", u->command, NULL };

        step(3, "run in %s: %s", u->name, u->command);
        uint64_t t = now_monotonic_us();
        int r = sandbox_run_cache(u->rootdir, argv, env, u->c->o->pacman_cache, sandbox_say, NULL);
        u->t_cmd = now_monotonic_us() - t;
        if (r < 0)
                log_errno(r, "running the command in %s failed", u->name);
        else if (r > 0)
                log_error("the command failed in %s (exit status %d)", u->name, r);
        if (r != 0)
                return -ECHILD;
        printf("      the command succeeded (%.2f s)\n", seconds(u->t_cmd));
        fault_point("command");
        return 0;
}

/* Still step 3: the release the new root is made from, or none (rootrelease.h). */
static int update_release(struct update *u) {
        const char *release = u->c->o->release;
        int r = root_release_write(u->rootdir, release);
        if (r < 0)
                return log_errno(r, "recording the release of %s in its /%s failed", u->name,
                                 ROOT_RELEASE_FILE),
                       -EIO;
        if (release)
                printf("      release %s recorded in /%s\n", release, ROOT_RELEASE_FILE);
        return 0;
}

/* Step 4. */
static int update_initramfs(struct update *u) {
        char what[512];
        uint64_t t = now_monotonic_us();
        int r = build_initramfs(u->rootdir, what, sizeof what);
        u->t_img = now_monotonic_us() - t;
        if (r < 0)
                return r;
        step(4, "initramfs: %s", what);
        fault_point("initramfs");
        return 0;
}

/* Step 5: read-only, committed, and the journal says so. */
static int update_seal(struct update *u) {
        struct context *c = u->c;
        int r = btrfs_root_set_read_only(c->top, u->name, true);
        if (r == 0)
                r = btrfs_fs_sync(c->top);
        if (r < 0)
                return log_errno(r, "making %s read-only failed", u->name), -EIO;
        fault_point("read-only");
        snprintf(u->j.step, sizeof u->j.step, "sealed");
        r = journal_save(c, &u->j);
        if (r < 0)
                return log_errno(r, "recording the update beside the ledger %s failed", c->ledger), -EIO;
        step(5, "read-only: %s sealed", u->name);
        fault_point("sealed");
        return 0;
}

/* Step 6. */
static int update_entry(struct update *u) {
        step(6, "entry: kernel and entry on %s", u->c->esp);
        int r = admin_sync_entries(u->c);
        if (r < 0)
                return log_error("writing the entry of %s failed; deleting it", u->name), r;
        fault_point("entry");
        return 0;
}

/* What will boot, and how long each part took. */
static int update_report(struct update *u) {
        struct root_view v = {};
        char id[ENTRY_NAME_MAX + 1];
        int r = admin_view_load(u->c, &v);
        if (r < 0)
                return r;
        int n = root_view_find(&v, u->name);
        const struct root_view_root *nr = n >= 0 ? &v.roots[n] : NULL;
        if (nr && nr->entry[0] && entry_name_id(&nr->entry_name, id, sizeof id) == 0)
                clear_pinned_default(u->c, id);
        uint64_t total = now_monotonic_us() - u->t0;
        printf("update: %s made from %s, read-only, entry %s", u->name, u->src,
               nr && nr->entry[0] ? nr->entry : "(none)");
        if (nr && nr->entry_name.has_counter)
                printf(" (%u tries)", nr->entry_name.left);
        printf("\n");
        if (v.next == n)
                printf("        boots next; it becomes good once a boot of it is blessed (koompi-boot mark-good)\n");
        else
                printf("        does NOT boot next: %s does (%s %s)\n",
                       v.next >= 0 ? v.roots[v.next].info.name : "an entry of another system",
                       v.next_source ? v.next_source : "no default", v.next_pattern);
        printf("        %.2f s in all: command %.2f s, initramfs %.2f s, transaction %.3f s\n",
               seconds(total), seconds(u->t_cmd), seconds(u->t_img), seconds(total - u->t_cmd - u->t_img));
        root_view_free(&v);
        return 0;
}

/* Steps 3 to 7, on the new root update_start() made: any failure deletes it. */
static int update_finish(struct update *u) {
        int (*const steps[])(struct update * u) = { update_command, update_release, update_initramfs,
                                                    update_seal };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                r = steps[i](u);
                if (r < 0) {
                        if (i < 3)
                                printf("[4/%u] failed: deleting %s\n", STEPS, u->name);
                        undo(u->c, u->name, false);
                        return r;
                }
        }
        r = update_entry(u);
        if (r < 0) {
                undo(u->c, u->name, true);
                return r;
        }
        r = journal_clear(u->c);
        if (r < 0)
                return log_errno(r,
                                 "removing the record of the update failed; the next koompi-boot run "
                                 "removes it"),
                       -EIO;
        step(7, "done: the in-progress mark of %s cleared", u->name);
        return update_report(u);
}

static int update_run(struct context *c) {
        _cleanup_free_ char *command = NULL;
        struct root_view v = {};
        int r;

        if (c->o->run)
                command = strdup_or_die(c->o->run);
        else if (asprintf(&command, "pacman %s", c->o->pacman) < 0)
                abort();
        struct update u = { .c = c, .command = command, .t0 = now_monotonic_us() };
        r = admin_begin(c);
        if (r < 0)
                return r;
        r = admin_view_load(c, &v);
        if (r == 0)
                r = update_start(&u, &v);
        root_view_free(&v);
        if (r < 0)
                return r;
        return update_finish(&u);
}

int verb_update(struct context *c) {
        int r = update_run(c);
        admin_end();
        return r;
}
