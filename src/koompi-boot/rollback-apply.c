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

int admin_rollback_apply(struct context *c, const char *target) {
        struct root_view v = {};
        struct ledger l;
        char dir[PATH_MAX], note[300];
        unsigned tries = c->config.boot_tries ? c->config.boot_tries : ROOT_TRIES_DEFAULT;
        uint64_t now = (uint64_t)time(NULL);
        _cleanup_close_ int dfd = -EBADF;
        bool changed = false;
        int r;

        ledger_init(&l);
        r = admin_view_load(c, &v);
        if (r != 0)
                goto out;
        int t = root_view_find(&v, target);
        if (t < 0) {
                log_error("the root %s is gone; nothing to roll back to", target);
                r = -ENOENT;
                goto out;
        }
        const struct root_view_root *tr = &v.roots[t];

        /* 1. The ledger: newer roots bad, the target re-armed when it was bad. */
        r = ctx_ledger_load(c, &l, true);
        if (r != 0)
                goto out;
        snprintf(note, sizeof note, "rollback to %s", target);
        for (size_t i = 0; i < v.n_roots; i++) {
                struct ledger_root_status ls;
                const struct root_view_root *ar = &v.roots[i];
                if (!ar->info.read_only || !admin_root_newer(&ar->info, &tr->info))
                        continue;
                ledger_root_status(&l, ar->info.name, &ls);
                if (ls.mark == LEDGER_MARK_BAD)
                        continue;
                if (ledger_mark_root(&l, now, ar->info.name, LEDGER_MARK_BAD, note) < 0)
                        abort();
                printf("  %s marked bad in the ledger\n", ar->info.name);
                changed = true;
        }
        {
                /* Bad by the ledger's evidence (marked, or out of tries): koompi-init without a
                 * counting loader would skip it. */
                struct ledger_root_status ls;
                struct root_verdict lv;
                ledger_root_status(&l, target, &ls);
                root_state_decide(&(struct root_evidence) { .ledger = &ls, .tries = tries }, &lv);
                if (lv.state == ROOT_BAD) {
                        if (ledger_mark_root(&l, now, target, LEDGER_MARK_REARM, "rollback") < 0)
                                abort();
                        printf("  %s re-armed in the ledger (it was bad)\n", target);
                        changed = true;
                }
        }
        if (changed)
                r = ctx_ledger_save(c, &l);
        if (r != 0)
                goto out;
        fault_point("rollback-marked");

        /* 2. The entries: newer ones spent, the target's re-armed. */
        pathf(dir, sizeof dir, "%s/%s", c->esp, LAYOUT_ENTRIES_DIR);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 && errno != ENOENT) {
                log_errno(-errno, "opening %s failed", dir);
                r = -ENOENT;
                goto out;
        }
        for (size_t i = 0; dfd >= 0 && i < v.n_roots; i++) {
                struct root_view_root *ar = &v.roots[i];
                struct entry_name e = ar->entry_name;
                if (!ar->entry[0])
                        continue;
                if (ar->info.read_only && admin_root_newer(&ar->info, &tr->info)) {
                        if (entry_name_state(&e) == ENTRY_BAD)
                                continue;
                        entry_counter_mark_bad(&e);
                } else if ((int)i == t && entry_name_state(&e) == ENTRY_BAD) {
                        if (entry_counter_set(&e, tries) < 0)
                                continue;
                } else
                        continue;
                if (rename_entry(dfd, dir, ar->entry, &e) < 0) {
                        r = -EIO;
                        goto out;
                }
        }
        fault_point("rollback-renamed");

        /* 3. Entries for roots that had none (the target's, or spent ones of newer roots). */
        r = admin_sync_entries(c);
        if (r != 0)
                goto out;

        /* 4. Nothing else may decide the next boot. */
        if (admin_efi_ok(c)) {
                root_view_free(&v);
                r = admin_view_load(c, &v);
                if (r != 0)
                        goto out;
                t = root_view_find(&v, target);
                char id[ENTRY_NAME_MAX + 1];
                bool have_id = t >= 0 && v.roots[t].entry[0] &&
                               entry_name_id(&v.roots[t].entry_name, id, sizeof id) == 0;
                clear_other("LoaderEntryDefault", have_id ? id : NULL);
                clear_other("LoaderEntryOneShot", have_id ? id : NULL);
        }
        r = 0;
out:
        ledger_free(&l);
        root_view_free(&v);
        return r;
}
