/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every verb changing roots starts with: the ESP, the top level writable, the lock, then a
 * transaction a crash interrupted finished or undone (recover, the verb, does only that). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include "context.h"
#include "journal.h"
#include "log.h"
#include "transaction.h"
#include "util.h"
#include "verbs.h"
#include "view.h"

static int top_writable(struct context *c) {
        /* Our own private mount of the top level is read-only: make it writable, in our
         * namespace only. A --top given is used as it is. */
        if (c->top_mount[0] && mount(NULL, c->top, NULL, MS_REMOUNT | MS_BIND, NULL) < 0)
                return log_errno(-errno, "making the top level at %s writable failed", c->top);
        if (access(c->top, W_OK) < 0)
                return log_errno(-errno, "the Btrfs top level %s is not writable", c->top);
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
                        log_errno(r, "deleting %s, left unfinished by an interrupted update, failed",
                                  j->root);
                        return -EIO;
                }
                btrfs_fs_sync(c->top);
                printf("recover: deleted %s, left unfinished by an interrupted update (from %s)\n", j->root,
                       j->from[0] ? j->from : "?");
                return 0;
        }
        /* Complete and read-only: only its entry may be missing. */
        if (!ro) {
                log_error(
                        "%s is recorded as sealed but is not read-only; delete it with koompi-boot snapshot "
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
                admin_state_path(c, JOURNAL_FILE, path, sizeof path);
                log_errno(r,
                          "reading %s, the record of an interrupted transaction, failed; check the roots "
                          "with koompi-boot list, then remove it",
                          path);
                return -ENOENT;
        }
        *ret_did = true;
        log_debug("an interrupted %s of %s (step %s) to finish or undo", j.op, j.root[0] ? j.root : "roots",
                  j.step[0] ? j.step : "-");
        /* Finished with the kernel it was given, unless this run was given one. */
        const struct options *given = c->o;
        struct options o = *given;
        if (!o.kernel && j.kernel[0]) {
                o.kernel = j.kernel;
                o.initrd = j.initrd;
        }
        if (!o.kernel_options && j.options[0])
                o.kernel_options = j.options;
        c->o = &o;
        if (streq(j.op, "update") || streq(j.op, "snapshot"))
                r = recover_update(c, &j);
        else if (streq(j.op, "delete"))
                r = recover_delete(c, &j);
        else {
                printf("recover: finishing the interrupted rollback to %s\n", j.root);
                r = admin_rollback_apply(c, j.root);
        }
        c->o = given;
        journal_free(&j);
        if (r != 0)
                return r;
        r = journal_clear(c);
        if (r < 0)
                return log_errno(r, "removing the record of the interrupted transaction failed"), -EIO;
        return 0;
}

/* The ESP, the top level writable and the lock: what recovery and every verb changing roots
 * start with. */
static int prepare(struct context *c) {
        /* The ESP before the private mount namespace: an automounted ESP is mounted now. A
         * read-only one is refused here, before any work, rather than at the first write. */
        int r = c->o->dry_run ? ctx_need_esp(c) : ctx_need_esp_writable(c);
        if (r == 0)
                r = ctx_need_top(c);
        if (r == 0 && top_writable(c) < 0)
                r = -ENOENT;
        if (r == 0)
                r = admin_lock(c);
        return r;
}

int admin_begin(struct context *c) {
        bool did;
        int r = prepare(c);
        if (r < 0)
                return r;
        return recover(c, &did);
}

static int recover_run(struct context *c) {
        bool did;
        int r = prepare(c);
        if (r < 0)
                return r;
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
