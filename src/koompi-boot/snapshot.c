/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* snapshot create, delete, pin and unpin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "context.h"
#include "journal.h"
#include "log.h"
#include "transaction.h"
#include "util.h"
#include "verbs.h"
#include "view.h"

int admin_root_name_new(const struct root_view *v, char *ret, size_t size) {
        time_t now = time(NULL);
        struct tm tm;
        const char **names = calloc(v->n_roots ? v->n_roots : 1, sizeof *names);
        if (!names)
                abort();
        for (size_t i = 0; i < v->n_roots; i++)
                names[i] = v->roots[i].info.name;
        localtime_r(&now, &tm);
        int r = root_name_generate(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, names, v->n_roots, ret,
                                   size);
        free(names);
        return r;
}

/* The name the admin gave (checked), else a new one for today. */
static int snapshot_name(struct context *c, const struct root_view *v, char *name, size_t size) {
        if (c->o->n_args == 0) {
                int r = admin_root_name_new(v, name, size);
                if (r < 0)
                        return log_errno(r, "naming the snapshot failed; give a NAME"), -EPERM;
                return 0;
        }
        if (root_name_from_arg(c->o->args[0], name, size) < 0) {
                log_error("\"%s\" cannot name a root: use letters, digits, '-', '_' and '.', at most %d "
                          "characters with the %s prefix",
                          c->o->args[0], ROOT_NAME_MAX, ROOT_NAME_PREFIX);
                return -EINVAL;
        }
        for (size_t i = 0; i < v->n_roots; i++)
                if (root_name_same_id(v->roots[i].info.name, name)) {
                        log_error("%s exists already (or a root whose boot entry would be the same: %s); "
                                  "nothing was changed",
                                  name, v->roots[i].info.name);
                        return -EEXIST;
                }
        return 0;
}

/* A read-only snapshot is made whole in one step; the journal only makes sure that a crash
 * before its entry is written is finished by the next run. */
static int snapshot_make(struct context *c, const char *src, const char *why, const char *name) {
        struct journal j = { .op = "snapshot", .step = "sealed" };
        snprintf(j.root, sizeof j.root, "%s", name);
        snprintf(j.from, sizeof j.from, "%s", src);
        int r = journal_save(c, &j);
        if (r < 0)
                return log_errno(r, "recording the snapshot beside the ledger %s failed; nothing was changed",
                                 c->ledger),
                       -EIO;
        fault_point("snapshot-marked");
        r = btrfs_root_snapshot(c->top, src, name, true);
        if (r == 0)
                r = btrfs_fs_sync(c->top);
        if (r < 0) {
                log_errno(r, "snapshotting %s as %s failed", src, name);
                journal_clear(c);
                return -EIO;
        }
        printf("snapshot: %s (%s) -> %s, read-only\n", src, why, name);
        fault_point("snapshot-made");
        return 0;
}

/* The same bits as a root known good: known good too, so its entry carries no counter. A
 * failure only costs the counter, so it is a warning. */
static void snapshot_mark_good(struct context *c, const char *src, const char *name) {
        struct ledger l;
        char note[300];
        ledger_init(&l);
        snprintf(note, sizeof note, "snapshot of %s", src);
        int r = ctx_ledger_load(c, &l, true);
        if (r == 0 && ledger_mark_root(&l, (uint64_t)time(NULL), name, LEDGER_MARK_GOOD, note) == 0)
                r = ctx_ledger_save(c, &l);
        ledger_free(&l);
        if (r != 0)
                log_warning("%s is not recorded as good in the ledger: its entry gets a boot counter", name);
}

static void snapshot_report(struct context *c, const char *src, const char *name) {
        struct root_view after;
        if (admin_view_load(c, &after) < 0)
                return;
        int i = root_view_find(&after, name);
        if (i >= 0 && after.next == i)
                printf("%s boots next (the same contents as %s)\n", name, src);
        root_view_free(&after);
}

static int snapshot_create(struct context *c, struct root_view *v) {
        char name[ROOT_NAME_MAX + 1];
        const char *why;
        int r;

        int cur = root_view_current(v, &why);
        if (cur < 0) {
                log_error("no read-only root to snapshot (none boots next, none is booted, and %s is not "
                          "there); nothing was changed",
                          c->config.snapshot);
                return -ENOENT;
        }
        const struct root_view_root *src = &v->roots[cur];
        r = snapshot_name(c, v, name, sizeof name);
        if (r < 0)
                return r;
        if (c->o->dry_run) {
                printf("would snapshot %s (%s) as %s\n", src->info.name, why, name);
                return 0;
        }
        r = snapshot_make(c, src->info.name, why, name);
        if (r < 0)
                return r;
        if (src->state == ROOT_GOOD)
                snapshot_mark_good(c, src->info.name, name);
        printf("entry:\n");
        r = admin_sync_entries(c);
        if (r < 0)
                return r;
        r = journal_clear(c);
        if (r < 0)
                return log_errno(r, "removing the record of the snapshot failed"), -EIO;
        snapshot_report(c, src->info.name, name);
        return 0;
}

static int snapshot_delete(struct context *c, struct root_view *v) {
        char why[200];
        int ex = 0;
        int i = admin_view_find_arg(v, c->o->args[0], &ex);
        if (i < 0)
                return ex;
        const struct root_view_root *r = &v->roots[i];
        const struct policy_root *p = &r->policy;
        unsigned reasons = (p->booted ? RETAIN_BOOTED : 0) | (p->next ? RETAIN_NEXT : 0) |
                (p->last_good ? RETAIN_LAST_GOOD : 0) | (p->pinned ? RETAIN_PINNED : 0) |
                (p->configured ? RETAIN_CONFIGURED : 0);
        if (reasons) {
                retention_reasons_format(reasons, why, sizeof why);
                log_error("refusing to delete %s: it is %s%s; nothing was changed", r->info.name, why,
                          p->pinned               ? " (koompi-boot snapshot unpin it first)"
                                  : p->configured ? " (boot.conf's snapshot, booted without koompi.snapshot=)"
                                                  : "");
                return -EPERM;
        }
        if (c->o->dry_run) {
                printf("would delete %s, its entry %s and any kernel only it uses\n", r->info.name,
                       r->entry[0] ? r->entry : "(none)");
                return 0;
        }
        char *names[] = { (char *)r->info.name, NULL };
        return admin_delete_roots(c, names);
}

static const char *root_name_of_uuid(const struct root_view *v, const char *uuid) {
        for (size_t i = 0; i < v->n_roots; i++)
                if (streq(v->roots[i].info.uuid, uuid))
                        return v->roots[i].info.name;
        return "?";
}

/* The pins of v, with uuid added (pin) or taken out. */
static int pins_replace(struct context *c, const struct root_view *v, const char *uuid, bool pin) {
        char dir[PATH_MAX];
        unsigned n = strv_length(v->pins), k = 0;
        _cleanup_free_ char **uuids = calloc(n + 2, sizeof *uuids);
        _cleanup_free_ char **names = calloc(n + 2, sizeof *names);
        if (!uuids || !names)
                abort();
        for (unsigned j = 0; j < n; j++)
                if (!streq(v->pins[j], uuid))
                        uuids[k++] = v->pins[j];
        if (pin)
                uuids[k++] = (char *)uuid;
        for (unsigned j = 0; j < k; j++)
                names[j] = (char *)root_name_of_uuid(v, uuids[j]);
        int r = ctx_state_dir(c, dir, sizeof dir);
        return r < 0 ? r : pins_write(dir, uuids, names);
}

static int snapshot_pin(struct context *c, struct root_view *v, bool pin) {
        int ex = 0;
        int i = admin_view_find_arg(v, c->o->args[0], &ex);
        if (i < 0)
                return ex;
        const struct root_view_root *r = &v->roots[i];
        if (r->policy.pinned == pin) {
                printf("%s is %s pinned\n", r->info.name, pin ? "already" : "not");
                return 0;
        }
        if (c->o->dry_run) {
                printf("would %s %s\n", pin ? "pin" : "unpin", r->info.name);
                return 0;
        }
        int rr = pins_replace(c, v, r->info.uuid, pin);
        if (rr < 0) {
                log_errno(rr, "writing the pinned roots beside the ledger %s failed", c->ledger);
                return -EIO;
        }
        if (pin)
                printf("pinned %s: prune keeps it and snapshot delete refuses it\n", r->info.name);
        else
                printf("unpinned %s: prune may delete it once it is no longer among the newest\n",
                       r->info.name);
        return 0;
}

/* The verbs that change roots: the lock and recovery first, then the view they act on. */
static int snapshot_run(struct context *c, int (*fn)(struct context *c, struct root_view *v)) {
        struct root_view v = {};
        int r = admin_begin(c);
        if (r == 0)
                r = admin_view_load(c, &v);
        if (r == 0)
                r = fn(c, &v);
        root_view_free(&v);
        admin_end();
        return r;
}

static int snapshot_unpin(struct context *c, struct root_view *v) {
        return snapshot_pin(c, v, false);
}

static int snapshot_pin_on(struct context *c, struct root_view *v) {
        return snapshot_pin(c, v, true);
}

int verb_snapshot_create(struct context *c) {
        return snapshot_run(c, snapshot_create);
}

int verb_snapshot_delete(struct context *c) {
        return snapshot_run(c, snapshot_delete);
}

int verb_snapshot_pin(struct context *c) {
        return snapshot_run(c, snapshot_pin_on);
}

int verb_snapshot_unpin(struct context *c) {
        return snapshot_run(c, snapshot_unpin);
}
