/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the verbs that change roots share: the lock, the top level mounted writable, the
 * journal of the transaction in progress and its recovery, the pins, the view of the roots
 * (entries, states, booted, next, last good), entries sync run from inside a verb, and the
 * test-only fault points. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "efivars.h"
#include "koompi-boot.h"
#include "layout.h"
#include "log.h"
#include "util.h"

#define JOURNAL_HEADER "koompi-boot-transaction 1"
#define PINS_HEADER "koompi-boot-pins 1"
#define STATE_FILE_MAX (256 * 1024)

static int lock_fd = -1;

void fault_point(const char *name) {
        const char *want = getenv(FAULT_POINT_ENV);
        if (want && streq(want, name))
                _exit(FAULT_POINT_EXIT);
}

int admin_root_path(struct context *c, const char *name, char *buf, size_t size) {
        return pathf(buf, size, "%s/%s", c->top, name);
}

int admin_state_path(struct context *c, const char *file, char *buf, size_t size) {
        const char *slash = strrchr(c->ledger, '/');
        if (!slash)
                return pathf(buf, size, "%s", file);
        return pathf(buf, size, "%.*s/%s", (int)(slash - c->ledger), c->ledger, file);
}

/* ---- the journal ---- */

void journal_free(struct journal *j) {
        strv_free(j->roots);
        j->roots = NULL;
}

int journal_load(struct context *c, struct journal *j) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        size_t len;
        int r;

        *j = (struct journal) {};
        admin_state_path(c, ADMIN_JOURNAL_FILE, path, sizeof path);
        r = read_file(path, &text, &len);
        if (r < 0)
                return r;
        if (len > STATE_FILE_MAX || strlen(text) != len)
                return -EBADMSG;
        bool header = false;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (!header) {
                        if (!streq(line, JOURNAL_HEADER))
                                return -EBADMSG;
                        header = true;
                        continue;
                }
                char *sp = strchr(line, ' ');
                if (!sp)
                        continue;
                *sp = 0;
                const char *v = sp + 1;
                if (streq(line, "op"))
                        snprintf(j->op, sizeof j->op, "%s", v);
                else if (streq(line, "step"))
                        snprintf(j->step, sizeof j->step, "%s", v);
                else if (streq(line, "from"))
                        snprintf(j->from, sizeof j->from, "%s", v);
                else if (streq(line, "root")) {
                        if (root_name_check(v) < 0) {
                                journal_free(j);
                                return -EBADMSG;
                        }
                        if (!j->root[0])
                                snprintf(j->root, sizeof j->root, "%s", v);
                        if (strv_extend(&j->roots, v) < 0) {
                                journal_free(j);
                                return -ENOMEM;
                        }
                }
        }
        if (!header ||
            (!streq(j->op, "update") && !streq(j->op, "snapshot") && !streq(j->op, "delete") &&
             !streq(j->op, "rollback")) ||
            (!streq(j->op, "delete") && !j->root[0])) {
                journal_free(j);
                return -EBADMSG;
        }
        return 0;
}

int journal_save(struct context *c, const struct journal *j) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX], dir[PATH_MAX];
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, JOURNAL_HEADER "\nop %s\n", j->op);
        if (j->step[0])
                fprintf(f, "step %s\n", j->step);
        if (j->from[0])
                fprintf(f, "from %s\n", j->from);
        if (!streq(j->op, "delete"))
                fprintf(f, "root %s\n", j->root);
        for (char **p = j->roots; p && *p; p++)
                fprintf(f, "root %s\n", *p);
        fprintf(f, "pid %d\n", (int)getpid());
        if (fclose(f) != 0)
                return -ENOMEM;
        admin_state_path(c, "", dir, sizeof dir);
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        admin_state_path(c, ADMIN_JOURNAL_FILE, path, sizeof path);
        return write_file_atomic(path, text, len, 0644);
}

int journal_clear(struct context *c) {
        char path[PATH_MAX], dir[PATH_MAX];
        admin_state_path(c, ADMIN_JOURNAL_FILE, path, sizeof path);
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        admin_state_path(c, "", dir, sizeof dir);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd >= 0 ? fsync_dir(fd) : 0;
}

/* ---- pins ---- */

int pins_load(struct context *c, char ***ret) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        size_t len;

        *ret = calloc(1, sizeof(char *));
        if (!*ret)
                abort();
        admin_state_path(c, ADMIN_PINS_FILE, path, sizeof path);
        int r = read_file(path, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (len > STATE_FILE_MAX)
                return -EFBIG;
        /* "UUID NAME" per line; the name is for people, the UUID decides. */
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                size_t n = strcspn(line, " ");
                if (n != 36 || startswith(line, PINS_HEADER))
                        continue;
                line[n] = 0;
                if (strv_extend(ret, line) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int pins_save(struct context *c, char *const *uuids, const struct root_view *v) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, PINS_HEADER "\n");
        for (char *const *p = uuids; p && *p; p++) {
                const char *name = "?";
                for (size_t i = 0; i < v->n_roots; i++)
                        if (streq(v->roots[i].info.uuid, *p))
                                name = v->roots[i].info.name;
                fprintf(f, "%s %s\n", *p, name);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        admin_state_path(c, ADMIN_PINS_FILE, path, sizeof path);
        return write_file_atomic(path, text, len, 0644);
}

/* ---- the view ---- */

bool admin_efi_ok(struct context *c) {
        return !c->o->esp && efi_loader_available();
}

int admin_view_gather(struct context *c, struct root_view *v, int *ret_pins_error) {
        struct boot_state s;
        char **pins = NULL;
        int pins_error = pins_load(c, &pins);
        bool booted = boot_state_load(c->o->state, &s) == 0;
        struct root_view_input in = {
                .top = c->top[0] ? c->top : NULL,
                .esp = c->esp[0] ? c->esp : NULL,
                .ledger = c->ledger,
                .efi_ok = admin_efi_ok(c),
                .config = &c->config,
                .pins = pins_error == 0 ? pins : NULL,
                .booted = booted ? s.snapshot : NULL,
        };
        int r = root_view_load(&in, v);
        boot_state_free(&s);
        strv_free(pins);
        if (ret_pins_error)
                *ret_pins_error = pins_error;
        return r;
}

int admin_view_load(struct context *c, struct root_view *v) {
        int pins_error, r = admin_view_gather(c, v, &pins_error);
        if (r < 0)
                return log_errno(r, "gathering the roots failed"), -ENOENT;
        if (v->roots_error < 0) {
                log_errno(v->roots_error,
                          "listing the root snapshots under %s failed (is it the Btrfs top level, "
                          "subvolid=5?)",
                          c->top);
                return -ENOENT;
        }
        if (v->esp_error < 0)
                log_errno(v->esp_error, "reading the entries on %s failed", c->esp);
        if (v->ledger_error < 0)
                log_errno(v->ledger_error, "reading the ledger %s failed; every root is taken as untested",
                          c->ledger);
        if (pins_error < 0) {
                log_errno(pins_error, "reading the pinned roots failed");
                return -ENOENT;
        }
        return 0;
}

int admin_view_find_arg(const struct root_view *v, const char *arg, int *ret_err) {
        char name[ROOT_NAME_MAX + 1];
        int i = root_view_find(v, arg);
        if (i >= 0 && startswith(arg, ROOT_NAME_PREFIX))
                return i;
        if (root_name_from_arg(arg, name, sizeof name) < 0) {
                log_error("\"%s\" is not the name of a root snapshot (%s*); koompi-boot never touches other "
                          "subvolumes",
                          arg, ROOT_NAME_PREFIX);
                *ret_err = -EPERM;
                return -1;
        }
        i = root_view_find(v, name);
        if (i < 0) {
                log_error("there is no root named %s; see koompi-boot list", name);
                *ret_err = -ENOENT;
        }
        return i;
}

/* ---- entries sync from inside a verb ---- */

int admin_sync_entries(struct context *c) {
        struct options o = *c->o;
        const struct options *saved = c->o;
        int out = -1, mem = -1, r;

        o.n_args = 0;
        o.json = false;
        o.dry_run = false;
        fflush(stdout);
        mem = memfd_create("koompi-boot-sync", MFD_CLOEXEC);
        if (mem >= 0)
                out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (out >= 0 && dup2(mem, STDOUT_FILENO) < 0) {
                close(out);
                out = -1;
        }
        c->o = &o;
        r = verb_entries_sync(c);
        c->o = saved;
        if (out < 0) {
                if (mem >= 0)
                        close(mem);
                return r;
        }
        fflush(stdout);
        dup2(out, STDOUT_FILENO);
        close(out);
        /* Its report, indented under our progress line. */
        FILE *f = fdopen(mem, "r");
        if (f) {
                char line[1024];
                rewind(f);
                while (fgets(line, sizeof line, f))
                        printf("      %s", line);
                fclose(f);
        } else
                close(mem);
        fflush(stdout);
        return r;
}

/* ---- begin: lock, writable top level, recovery ---- */

static int top_writable(struct context *c) {
        /* Our own private mount of the top level is read-only: make it writable, in our
         * namespace only. A --top given is used as it is. */
        if (c->top_mount[0] && mount(NULL, c->top, NULL, MS_REMOUNT | MS_BIND, NULL) < 0)
                return log_errno(-errno, "making the top level at %s writable failed", c->top);
        if (access(c->top, W_OK) < 0)
                return log_errno(-errno, "the Btrfs top level %s is not writable", c->top);
        return 0;
}

bool admin_locked(void) {
        return lock_fd >= 0;
}

static int take_lock(struct context *c) {
        if (lock_fd >= 0)
                return 0;
        int fd = open(c->top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_errno(-errno, "opening %s failed", c->top);
        /* The top level directory itself is the lock, the same inode in every mount of it. */
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int r = -errno;
                close(fd);
                if (r == -EWOULDBLOCK) {
                        log_error("another koompi-boot is changing the roots or their entries (an update, "
                                  "snapshot, prune, rollback or entries sync); wait for it to finish");
                        return -EBUSY;
                }
                return log_errno(r, "locking %s failed", c->top);
        }
        lock_fd = fd;
        log_debug("holding the lock of the roots (%s)", c->top);
        return 0;
}

static bool protected_now(const struct root_view *v, int i, char *why, size_t size) {
        const struct policy_root *p = &v->roots[i].policy;
        unsigned reasons = (p->booted ? RETAIN_BOOTED : 0) | (p->next ? RETAIN_NEXT : 0) |
                           (p->last_good ? RETAIN_LAST_GOOD : 0) | (p->pinned ? RETAIN_PINNED : 0) |
                           (p->configured ? RETAIN_CONFIGURED : 0);
        retention_reasons_format(reasons, why, size);
        return reasons != 0;
}

static int recover_update(struct context *c, const struct journal *j) {
        bool ro;
        int r = btrfs_subvol_check(c->top, j->root, &ro);
        if (r == -ENOENT) {
                printf("recover: the interrupted %s had not made %s yet; nothing to undo\n", j->op, j->root);
                return 0;
        }
        if (r < 0) {
                log_errno(r, "checking %s, left by an interrupted update, failed", j->root);
                return -ENOENT;
        }
        if (!streq(j->step, "sealed")) {
                /* Its command may not have finished: it is not a root anyone should boot. */
                r = btrfs_root_delete(c->top, j->root);
                if (r < 0) {
                        log_errno(r, "deleting %s, left unfinished by an interrupted update, failed", j->root);
                        return -EIO;
                }
                btrfs_fs_sync(c->top);
                printf("recover: deleted %s, left unfinished by an interrupted update (from %s)\n", j->root,
                       j->from[0] ? j->from : "?");
                return 0;
        }
        /* Complete and read-only: only its entry may be missing. */
        if (!ro) {
                log_error("%s is recorded as sealed but is not read-only; delete it with koompi-boot snapshot "
                          "delete after checking it",
                          j->root);
                return -EPERM;
        }
        printf("recover: finishing the interrupted %s: the entry of %s\n", j->op, j->root);
        return admin_sync_entries(c);
}

static int recover_delete(struct context *c, const struct journal *j) {
        struct root_view v;
        int r = admin_view_load(c, &v);
        if (r != 0)
                return r;
        for (char **p = j->roots; p && *p; p++) {
                char why[128];
                int i = root_view_find(&v, *p);
                if (i < 0)
                        continue;
                if (protected_now(&v, i, why, sizeof why)) {
                        printf("recover: kept %s, whose deletion was interrupted: it is now %s\n", *p, why);
                        continue;
                }
                r = btrfs_root_delete(c->top, *p);
                if (r < 0) {
                        log_errno(r, "deleting %s failed", *p);
                        root_view_free(&v);
                        return -EIO;
                }
                printf("recover: deleted %s, whose deletion was interrupted\n", *p);
        }
        root_view_free(&v);
        btrfs_fs_sync(c->top);
        printf("recover: removing the entries of deleted roots\n");
        return admin_sync_entries(c);
}

/* Finishes or undoes what an interrupted transaction left. *ret_did: there was one. */
static int recover(struct context *c, bool *ret_did) {
        struct journal j;
        int r = journal_load(c, &j);
        *ret_did = false;
        if (r == -ENOENT) {
                log_debug("no interrupted transaction to finish");
                return 0;
        }
        if (r < 0) {
                char path[PATH_MAX];
                admin_state_path(c, ADMIN_JOURNAL_FILE, path, sizeof path);
                log_errno(r, "reading %s, the record of an interrupted transaction, failed; check the roots "
                          "with koompi-boot list, then remove it",
                          path);
                return -ENOENT;
        }
        *ret_did = true;
        log_debug("an interrupted %s of %s (step %s) to finish or undo", j.op, j.root[0] ? j.root : "roots",
                  j.step[0] ? j.step : "-");
        if (streq(j.op, "update") || streq(j.op, "snapshot"))
                r = recover_update(c, &j);
        else if (streq(j.op, "delete"))
                r = recover_delete(c, &j);
        else {
                printf("recover: finishing the interrupted rollback to %s\n", j.root);
                r = admin_rollback_apply(c, j.root);
        }
        journal_free(&j);
        if (r != 0)
                return r;
        r = journal_clear(c);
        if (r < 0)
                return log_errno(r, "removing the record of the interrupted transaction failed"), -EIO;
        return 0;
}

int admin_lock(struct context *c) {
        int r = take_lock(c);
        return r == -EBUSY || r >= 0 ? r : -ENOENT;
}

void admin_end(void) {
        /* The lock's fd is under the private mount of the top level, which ctx_done() then
         * unmounts. */
        if (lock_fd >= 0) {
                close(lock_fd);
                lock_fd = -1;
        }
}

int admin_begin(struct context *c) {
        bool did;
        /* The ESP before the private mount namespace: an automounted ESP is mounted now. */
        int r = ctx_need_esp(c);
        if (r == 0)
                r = ctx_need_top(c);
        if (r != 0)
                return r;
        if (top_writable(c) < 0)
                return -ENOENT;
        r = take_lock(c);
        if (r == -EBUSY)
                return -EPERM;
        if (r < 0)
                return -ENOENT;
        return recover(c, &did);
}

static int recover_run(struct context *c) {
        bool did;
        int r = ctx_need_esp(c);
        if (r == 0)
                r = ctx_need_top(c);
        if (r != 0)
                return r;
        if (top_writable(c) < 0)
                return -ENOENT;
        r = take_lock(c);
        if (r != 0)
                return r == -EBUSY ? r : -ENOENT;
        r = recover(c, &did);
        if (r == 0 && !did)
                printf("nothing to recover: no update, snapshot, deletion or rollback was interrupted\n");
        return r;
}

int verb_recover(struct context *c) {
        int r = recover_run(c);
        admin_end();
        return r;
}
