/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rollback transaction, shared by the rollback verb and by recovery: see rollback.c for
 * what a rollback is. The marks it leaves are the library's (rollback-marks.h); this file
 * prints them and keeps the ledger, the ESP and the EFI variables in step. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "context.h"
#include "efivars.h"
#include "esp.h"
#include "journal.h"
#include "layout.h"
#include "log.h"
#include "rollback-marks.h"
#include "transaction.h"
#include "uki.h"
#include "util.h"
#include "view.h"

struct rollback_root *admin_rollback_roots(const struct root_view *v) {
        struct rollback_root *roots = calloc(v->n_roots ? v->n_roots : 1, sizeof *roots);
        if (!roots)
                abort();
        for (size_t i = 0; i < v->n_roots; i++) {
                const struct root_view_root *ar = &v->roots[i];
                roots[i] = (struct rollback_root) { .name = ar->info.name,
                                                    .generation = ar->info.otransid,
                                                    .read_only = ar->info.read_only,
                                                    .entry = ar->entry[0] ? ar->entry : NULL,
                                                    .entry_name = ar->entry_name };
        }
        return roots;
}

static void print_progress(const struct progress_event *e, void *userdata) {
        switch (e->kind) {
        case PROGRESS_LEDGER_BAD:
                printf("  %s marked bad in the ledger\n", e->root);
                break;
        case PROGRESS_LEDGER_REARM:
                printf("  %s re-armed in the ledger (it was bad)\n", e->root);
                break;
        case PROGRESS_ENTRY_RENAMED:
                printf("  entry %s -> %s\n", e->from, e->to);
                break;
        }
}

static void clear_other(const char *var, const char *id) {
        char value[256];
        if (efi_loader_get_string(var, value, sizeof value) < 0 || !*value ||
            (id && entry_id_equal(value, id)))
                return;
        int r = efi_loader_delete(var);
        if (r < 0)
                log_errno(r, "removing the EFI variable %s (%s) failed; it still decides the next boot", var,
                          value);
        else
                printf("  removed the EFI variable %s (%s)\n", var, value);
}

/* Step 1, the ledger: the roots newer than the target bad, the target re-armed when it was bad. */
static int rollback_ledger(struct context *c, const struct rollback_root *roots, size_t n, size_t t) {
        unsigned tries = c->config.boot_tries ? c->config.boot_tries : ROOT_TRIES_DEFAULT;
        struct ledger l;
        ledger_init(&l);
        int r = ctx_ledger_load(c, &l, true);
        if (r == 0 &&
            rollback_mark_ledger(&l, roots, n, t, tries, (uint64_t)time(NULL), print_progress, NULL) > 0)
                r = ctx_ledger_save(c, &l);
        ledger_free(&l);
        return r;
}

/* Step 2, the entries in one folder (sub: loader/entries, or EFI/Linux for UKIs): the newer ones
 * spent, the target's re-armed. */
static int rollback_entries_in(struct context *c, const char *sub, const struct rollback_root *roots,
                               size_t n, size_t t) {
        unsigned tries = c->config.boot_tries ? c->config.boot_tries : ROOT_TRIES_DEFAULT;
        char dir[PATH_MAX];

        pathf(dir, sizeof dir, "%s/%s", c->esp, sub);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 && errno == ENOENT)
                return 0;
        if (dfd < 0)
                return log_errno(-errno, "opening %s failed", dir), -ENOENT;
        int r = rollback_rename_entries(dfd, roots, n, t, tries, print_progress, NULL);
        if (r == -EEXIST)
                return log_error(
                               "spending the entries newer than %s in %s failed: a twin holds the new name; "
                               "run koompi-boot entries sync, then the rollback again",
                               roots[t].name, dir),
                       -EIO;
        if (r < 0)
                return log_errno(r, "spending the entries newer than %s (or re-arming its own) in %s failed",
                                 roots[t].name, dir),
                       -EIO;
        return 0;
}

/* Step 2 for both kinds of entry: each root's entry is renamed in the folder it is in. */
static int rollback_entries(struct context *c, const struct rollback_root *roots, size_t n, size_t t) {
        _cleanup_free_ struct rollback_root *kind = calloc(n ? n : 1, sizeof *kind);
        int r = 0;

        if (!kind)
                abort();
        for (int uki = 0; uki <= 1 && r == 0; uki++) {
                for (size_t i = 0; i < n; i++) {
                        kind[i] = roots[i];
                        if (kind[i].entry &&
                            (strcasecmp(kind[i].entry_name.suffix, UKI_SUFFIX) == 0) != (bool)uki)
                                kind[i].entry = NULL;
                }
                r = rollback_entries_in(c, uki ? UKI_DIR : LAYOUT_ENTRIES_DIR, kind, n, t);
        }
        return r;
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
        bool have_id =
                t >= 0 && v.roots[t].entry[0] && entry_name_id(&v.roots[t].entry_name, id, sizeof id) == 0;
        clear_other("LoaderEntryDefault", have_id ? id : NULL);
        clear_other("LoaderEntryOneShot", have_id ? id : NULL);
        root_view_free(&v);
        return 0;
}

int admin_rollback_apply(struct context *c, const char *target) {
        struct root_view v = {};
        _cleanup_free_ struct rollback_root *roots = NULL;
        int r = admin_view_load(c, &v);
        if (r < 0)
                goto out;
        int t = root_view_find(&v, target);
        if (t < 0) {
                log_error("the root %s is gone; nothing to roll back to", target);
                r = -ENOENT;
                goto out;
        }
        roots = admin_rollback_roots(&v);
        r = rollback_ledger(c, roots, v.n_roots, (size_t)t);
        if (r < 0)
                goto out;
        fault_point("rollback-marked");
        r = rollback_entries(c, roots, v.n_roots, (size_t)t);
        if (r < 0)
                goto out;
        fault_point("rollback-renamed");
        /* 3. Entries for roots that had none (the target's, or spent ones of newer roots). */
        r = admin_sync_entries(c);
        if (r == 0) {
                fault_point("rollback-synced");
                r = rollback_variables(c, target);
        }
out:
        root_view_free(&v);
        return r;
}
