/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* prune: keeps the newest roots and every root that matters (booted, booted next, last good, in
 * trial, pinned, boot.conf's snapshot); deletes the others, then their entries and the kernels
 * no entry uses any more. The choice is retention_choose() (rootpolicy.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "context.h"
#include "journal.h"
#include "log.h"
#include "transaction.h"
#include "util.h"
#include "verbs.h"
#include "view.h"

int admin_delete_roots(struct context *c, char *const *names) {
        struct journal j = { .op = "delete", .roots = (char **)names };
        int r;

        /* The journal first: a crash part way is finished by the next run, which removes the
         * entries of the roots already gone. */
        r = journal_save(c, &j);
        if (r < 0)
                return log_errno(r, "recording the deletion beside the ledger %s failed; nothing was changed",
                                 c->ledger),
                       -EIO;
        fault_point("delete-marked");
        for (char *const *p = names; p && *p; p++) {
                r = btrfs_root_delete(c->top, *p);
                if (r < 0 && r != -ENOENT) {
                        log_errno(r, "deleting %s failed", *p);
                        btrfs_fs_sync(c->top);
                        admin_sync_entries(c);
                        return -EIO;
                }
                printf("deleted %s\n", *p);
                if (p == names)
                        fault_point("delete-one");
        }
        r = btrfs_fs_sync(c->top);
        if (r < 0)
                return log_errno(r, "committing the deletions failed"), -EIO;
        fault_point("delete-removed");
        printf("entries and kernels on %s:\n", c->esp);
        r = admin_sync_entries(c);
        if (r != 0)
                return r;
        fault_point("delete-synced");
        r = journal_clear(c);
        if (r < 0)
                return log_errno(r, "removing the record of the deletion failed"), -EIO;
        return 0;
}

static int prune_run(struct context *c) {
        struct root_view v = {};
        unsigned keep = c->o->has_keep ? c->o->keep : c->config.keep;
        int r;

        if (keep < 1) {
                log_error("keep = 0 in %s: prune keeps at least 1 root",
                          c->o->config ? c->o->config : DEFAULT_CONFIG);
                return -EINVAL;
        }
        r = admin_begin(c);
        if (r != 0)
                return r;
        r = admin_view_load(c, &v);
        if (r != 0)
                goto out;

        struct policy_root *pr = calloc(v.n_roots ? v.n_roots : 1, sizeof *pr);
        unsigned *why = calloc(v.n_roots ? v.n_roots : 1, sizeof *why);
        char **gone = calloc(v.n_roots + 1, sizeof *gone);
        if (!pr || !why || !gone)
                abort();
        for (size_t i = 0; i < v.n_roots; i++)
                pr[i] = v.roots[i].policy;
        size_t n_gone = retention_choose(pr, v.n_roots, keep, why), k = 0;
        printf("keeping the newest %u root%s and every root booted, booted next, last good, in trial, pinned or "
               "configured:\n",
               keep, keep == 1 ? "" : "s");
        for (size_t i = 0; i < v.n_roots; i++) {
                char reasons[160];
                retention_reasons_format(why[i], reasons, sizeof reasons);
                if (why[i])
                        printf("  keep   %-26s %s\n", v.roots[i].info.name, reasons);
                else {
                        printf("  %s %s\n", c->o->dry_run ? "would delete" : "delete", v.roots[i].info.name);
                        gone[k++] = v.roots[i].info.name;
                }
        }
        if (n_gone == 0)
                printf("nothing to prune\n");
        else if (!c->o->dry_run) {
                r = admin_delete_roots(c, gone);
                if (r == 0)
                        printf("pruned %zu root%s, %zu kept\n", n_gone, n_gone == 1 ? "" : "s",
                               v.n_roots - n_gone);
        }
        free(pr);
        free(why);
        free(gone);
out:
        root_view_free(&v);
        return r;
}

int verb_prune(struct context *c) {
        int r = prune_run(c);
        admin_end();
        return r;
}
