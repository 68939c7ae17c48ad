/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rollback: which root boots next, chosen by the admin.
 *
 * systemd-boot boots the first entry matching loader.conf's "default koompi-*" in its order:
 * spent entries ("+0-N") last, then the greatest version (the root's generation). So the root
 * booted next is the newest root whose entry is not spent, and a rollback to TARGET, for good,
 * is: every root newer than TARGET is marked bad (its entry renamed to "+0-DONE", the way
 * systemd-bless-boot marks a bad boot, and the ledger told, so that koompi-init without a
 * counting loader skips it too, and entries sync re-creates a lost entry spent); TARGET is
 * re-armed when it was bad ("+TRIES", a rearm mark). The loader's own order then does the
 * rest, and keeps doing it: no pinned default can keep booting a root that fails, and the next
 * update, being newer, is tried next as usual. (When TARGET's entry was named by hand, no koompi
 * glob matches it: the sync at the end makes loader.conf's default that entry's ID, entryplan.h.)
 * A LoaderEntryDefault or LoaderEntryOneShot naming another entry would override all this, so it
 * is removed.
 *
 * `rollback --once NAME` sets LoaderEntryOneShot instead: NAME for the next boot only. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "context.h"
#include "efivars.h"
#include "esp.h"
#include "journal.h"
#include "layout.h"
#include "log.h"
#include "transaction.h"
#include "util.h"
#include "verbs.h"
#include "view.h"

static int rollback_once(struct context *c, struct root_view *v, int t) {
        const struct root_view_root *tr = &v->roots[t];
        char id[ENTRY_NAME_MAX + 1];
        if (!tr->entry[0] || entry_name_id(&tr->entry_name, id, sizeof id) < 0) {
                log_error("%s has no boot loader entry on the ESP; run koompi-boot entries sync first",
                          tr->info.name);
                return -ENOENT;
        }
        if (c->o->esp) {
                log_error(
                        "--once sets an EFI variable of this machine, and --esp %s may be another machine's "
                        "ESP; run it without --esp",
                        c->o->esp);
                return -EPERM;
        }
        if (!efi_loader_available()) {
                log_error(
                        "--once needs systemd-boot's EFI variables, and this machine did not boot through UEFI "
                        "(or efivarfs is not mounted); koompi-boot rollback %s makes it boot next for good",
                        tr->info.name);
                return -ENOENT;
        }
        int r = efi_loader_set_string("LoaderEntryOneShot", id);
        if (r < 0) {
                log_errno(r, "setting the EFI variable LoaderEntryOneShot failed");
                return -EIO;
        }
        if (entry_name_state(&tr->entry_name) == ENTRY_BAD)
                log_warning("the entry of %s is spent (%s): systemd-boot still starts it once", tr->info.name,
                            tr->entry);
        printf("next boot only: %s (entry %s, LoaderEntryOneShot=%s)\n", tr->info.name, tr->entry, id);
        printf("the boots after it: %s, as before\n",
               v->next >= 0 ? v->roots[v->next].info.name : "the default entry");
        return 0;
}

/* The root to go back to: the one named, else the previous good root. Its index, or a negative
 * errno after saying why. */
static int rollback_target(struct context *c, const struct root_view *v) {
        int r = -ENOENT, t;
        if (c->o->n_args == 1) {
                t = admin_view_find_arg(v, c->o->args[0], &r);
                return t < 0 ? r : t;
        }
        int from = v->booted >= 0 ? v->booted : v->next;
        if (from < 0) {
                log_error("neither the booted root nor the one booted next is known; name the root: "
                          "koompi-boot rollback NAME");
                return -ENOENT;
        }
        struct policy_root *pr = calloc(v->n_roots, sizeof *pr);
        if (!pr)
                abort();
        for (size_t i = 0; i < v->n_roots; i++)
                pr[i] = v->roots[i].policy;
        t = rollback_choose(pr, v->n_roots, (size_t)from);
        free(pr);
        if (t < 0) {
                log_error("no good root older than %s to go back to; name one: koompi-boot rollback NAME",
                          v->roots[from].info.name);
                return -ENOENT;
        }
        return t;
}

static void rollback_dry_run(struct context *c, const struct root_view *v, int t) {
        const char *target = v->roots[t].info.name;
        _cleanup_free_ struct rollback_root *roots = admin_rollback_roots(v);
        if (c->o->once) {
                printf("would boot %s once (LoaderEntryOneShot)\n", target);
                return;
        }
        printf("would make %s the root booted next; the newer roots would be marked bad:", target);
        for (size_t i = 0; i < v->n_roots; i++)
                if (roots[i].read_only && rollback_root_newer(&roots[i], &roots[t]))
                        printf(" %s", v->roots[i].info.name);
        printf("\n");
}

/* The rollback for good, under a journal, and what will boot after it. */
static int rollback_for_good(struct context *c, const char *target) {
        struct journal j = { .op = "rollback" };
        struct root_view v = {};

        printf("rollback to %s:\n", target);
        snprintf(j.root, sizeof j.root, "%s", target);
        int r = journal_save(c, &j);
        if (r < 0)
                return log_errno(r, "recording the rollback beside the ledger %s failed; nothing was changed",
                                 c->ledger),
                       -EIO;
        r = admin_rollback_apply(c, target);
        if (r < 0)
                return r;
        r = journal_clear(c);
        if (r < 0)
                return log_errno(r, "removing the record of the rollback failed"), -EIO;
        r = admin_view_load(c, &v);
        if (r < 0)
                return r;
        int t = root_view_find(&v, target);
        if (t >= 0 && v.next == t)
                printf("next boot: %s (entry %s%s), and every boot after it until the next update\n", target,
                       v.roots[t].entry, v.roots[t].entry_name.has_counter ? ", counted" : "");
        else {
                log_error("%s will still not boot next: %s does (%s %s); check with koompi-boot status",
                          target, v.next >= 0 ? v.roots[v.next].info.name : "no koompi entry",
                          v.next_source ? v.next_source : "no default", v.next_pattern);
                r = -EPERM;
        }
        root_view_free(&v);
        return r;
}

static int rollback_run(struct context *c) {
        struct root_view v = {};
        char target[256];
        int r, t;

        r = admin_begin(c);
        if (r < 0)
                return r;
        r = admin_view_load(c, &v);
        if (r < 0)
                goto out;
        t = rollback_target(c, &v);
        if (t < 0) {
                r = t;
                goto out;
        }
        if (!v.roots[t].info.read_only) {
                log_error("%s is not read-only (an update still being written?); it cannot be booted",
                          v.roots[t].info.name);
                r = -EPERM;
                goto out;
        }
        snprintf(target, sizeof target, "%s", v.roots[t].info.name);
        if (c->o->dry_run)
                rollback_dry_run(c, &v, t);
        else if (c->o->once)
                r = rollback_once(c, &v, t);
        else {
                root_view_free(&v);
                r = rollback_for_good(c, target);
        }
out:
        root_view_free(&v);
        return r;
}

int verb_rollback(struct context *c) {
        int r = rollback_run(c);
        admin_end();
        return r;
}
