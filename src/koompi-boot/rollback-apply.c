/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rollback transaction, shared by the rollback verb and by recovery: see rollback.c for
 * what a rollback is. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "context.h"
#include "efivars.h"
#include "entryfile.h"
#include "esp.h"
#include "journal.h"
#include "layout.h"
#include "log.h"
#include "transaction.h"
#include "util.h"
#include "view.h"

bool admin_root_newer(const struct btrfs_root_info *a, const struct btrfs_root_info *b) {
        if (a->otransid != b->otransid)
                return a->otransid > b->otransid;
        return strcmp(a->name, b->name) > 0;
}

static int rename_entry(int dirfd, const char *dir, const char *from, const struct entry_name *to) {
        char name[ENTRY_NAME_MAX + 1];
        int r = entry_name_format(to, name, sizeof name);
        if (r < 0)
                return log_errno(r, "naming the entry %s failed", from);
        if (streq(name, from))
                return 0;
        r = entry_file_rename(dirfd, from, name);
        if (r < 0)
                return log_errno(r, "renaming %s/%s to %s failed", dir, from, name);
        printf("  entry %s -> %s\n", from, name);
        return 0;
}

static void clear_other(const char *var, const char *id) {
        char value[256];
        if (efi_loader_get_string(var, value, sizeof value) < 0 || !*value || (id && entry_id_equal(value, id)))
                return;
        int r = efi_loader_delete(var);
        if (r < 0)
                log_errno(r, "removing the EFI variable %s (%s) failed; it still decides the next boot", var, value);
        else
                printf("  removed the EFI variable %s (%s)\n", var, value);
}

/* Marks root name bad in the ledger unless it is already; whether it did. */
static bool ledger_mark_bad_once(struct ledger *l, const char *name, uint64_t now, const char *note) {
        struct ledger_root_status ls;
        ledger_root_status(l, name, &ls);
        if (ls.mark == LEDGER_MARK_BAD)
                return false;
        if (ledger_mark_root(l, now, name, LEDGER_MARK_BAD, note) < 0)
                abort();
        printf("  %s marked bad in the ledger\n", name);
        return true;
}

/* Step 1, the ledger: the roots newer than target bad, target re-armed when it was bad. */
static int rollback_ledger(struct context *c, const struct root_view *v, int t) {
        const struct root_view_root *tr = &v->roots[t];
        unsigned tries = c->config.boot_tries ? c->config.boot_tries : ROOT_TRIES_DEFAULT;
        uint64_t now = (uint64_t)time(NULL);
        struct ledger_root_status ls;
        struct root_verdict lv;
        struct ledger l;
        char note[300];
        bool changed = false;

        ledger_init(&l);
        int r = ctx_ledger_load(c, &l, true);
        if (r < 0)
                goto out;
        snprintf(note, sizeof note, "rollback to %s", tr->info.name);
        for (size_t i = 0; i < v->n_roots; i++) {
                const struct root_view_root *ar = &v->roots[i];
                if (ar->info.read_only && admin_root_newer(&ar->info, &tr->info))
                        changed |= ledger_mark_bad_once(&l, ar->info.name, now, note);
        }
        /* Bad by the ledger's evidence (marked, or out of tries): koompi-init without a counting
         * loader would skip it. */
        ledger_root_status(&l, tr->info.name, &ls);
        root_state_decide(&(struct root_evidence) { .ledger = &ls, .tries = tries }, &lv);
        if (lv.state == ROOT_BAD) {
                if (ledger_mark_root(&l, now, tr->info.name, LEDGER_MARK_REARM, "rollback") < 0)
                        abort();
                printf("  %s re-armed in the ledger (it was bad)\n", tr->info.name);
                changed = true;
        }
        if (changed)
                r = ctx_ledger_save(c, &l);
out:
        ledger_free(&l);
        return r;
}

/* The name root i's entry should have after a rollback to t; false when it keeps its own. */
static bool rollback_entry_name(const struct root_view *v, size_t i, int t, unsigned tries, struct entry_name *ret) {
        const struct root_view_root *ar = &v->roots[i];
        struct entry_name e = ar->entry_name;
        if (!ar->entry[0])
                return false;
        if (ar->info.read_only && admin_root_newer(&ar->info, &v->roots[t].info)) {
                if (entry_name_state(&e) == ENTRY_BAD)
                        return false;
                entry_counter_mark_bad(&e);
        } else if ((int)i != t || entry_name_state(&e) != ENTRY_BAD || entry_counter_set(&e, tries) < 0)
                return false;
        *ret = e;
        return true;
}

/* Step 2, the entries: the newer ones spent, the target's re-armed. */
static int rollback_entries(struct context *c, const struct root_view *v, int t) {
        unsigned tries = c->config.boot_tries ? c->config.boot_tries : ROOT_TRIES_DEFAULT;
        char dir[PATH_MAX];
        struct entry_name e;

        pathf(dir, sizeof dir, "%s/%s", c->esp, LAYOUT_ENTRIES_DIR);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 && errno == ENOENT)
                return 0;
        if (dfd < 0)
                return log_errno(-errno, "opening %s failed", dir), -ENOENT;
        for (size_t i = 0; i < v->n_roots; i++)
                if (rollback_entry_name(v, i, t, tries, &e) && rename_entry(dfd, dir, v->roots[i].entry, &e) < 0)
                        return -EIO;
        return 0;
}

/* Step 4: nothing else may decide the next boot. */
static int rollback_variables(struct context *c, const char *target) {
        struct root_view v = {};
        char id[ENTRY_NAME_MAX + 1];
        if (!admin_efi_ok(c))
                return 0;
        int r = admin_view_load(c, &v);
        if (r < 0)
                return r;
        int t = root_view_find(&v, target);
        bool have_id = t >= 0 && v.roots[t].entry[0] && entry_name_id(&v.roots[t].entry_name, id, sizeof id) == 0;
        clear_other("LoaderEntryDefault", have_id ? id : NULL);
        clear_other("LoaderEntryOneShot", have_id ? id : NULL);
        root_view_free(&v);
        return 0;
}

int admin_rollback_apply(struct context *c, const char *target) {
        struct root_view v = {};
        int r = admin_view_load(c, &v);
        if (r < 0)
                goto out;
        int t = root_view_find(&v, target);
        if (t < 0) {
                log_error("the root %s is gone; nothing to roll back to", target);
                r = -ENOENT;
                goto out;
        }
        r = rollback_ledger(c, &v, t);
        if (r < 0)
                goto out;
        fault_point("rollback-marked");
        r = rollback_entries(c, &v, t);
        if (r < 0)
                goto out;
        fault_point("rollback-renamed");
        /* 3. Entries for roots that had none (the target's, or spent ones of newer roots). */
        r = admin_sync_entries(c);
        if (r == 0)
                r = rollback_variables(c, target);
out:
        root_view_free(&v);
        return r;
}
