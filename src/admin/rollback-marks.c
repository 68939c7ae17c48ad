/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryfile.h"
#include "rollback-marks.h"
#include "util.h"

bool rollback_root_newer(const struct rollback_root *a, const struct rollback_root *b) {
        if (a->generation != b->generation)
                return a->generation > b->generation;
        return strcmp(a->name, b->name) > 0;
}

static void tell(progress_fn progress, void *userdata, enum progress_kind kind, const char *root,
                 const char *from, const char *to) {
        struct progress_event e = { .kind = kind, .root = root, .from = from, .to = to };
        if (progress)
                progress(&e, userdata);
}

int rollback_mark_ledger(struct ledger *l, const struct rollback_root *roots, size_t n, size_t target,
                         unsigned tries, uint64_t now, progress_fn progress, void *userdata) {
        const struct rollback_root *t = &roots[target];
        struct ledger_root_status ls;
        struct root_verdict verdict;
        char note[300];
        int marks = 0;

        snprintf(note, sizeof note, "rollback to %s", t->name);
        for (size_t i = 0; i < n; i++) {
                if (!roots[i].read_only || !rollback_root_newer(&roots[i], t))
                        continue;
                ledger_root_status(l, roots[i].name, &ls);
                if (ls.mark == LEDGER_MARK_BAD)
                        continue;
                if (ledger_mark_root(l, now, roots[i].name, LEDGER_MARK_BAD, note) < 0)
                        abort();
                tell(progress, userdata, PROGRESS_LEDGER_BAD, roots[i].name, NULL, NULL);
                marks++;
        }
        ledger_root_status(l, t->name, &ls);
        root_state_decide(&(struct root_evidence) { .ledger = &ls, .tries = tries }, &verdict);
        if (verdict.state == ROOT_BAD) {
                if (ledger_mark_root(l, now, t->name, LEDGER_MARK_REARM, "rollback") < 0)
                        abort();
                tell(progress, userdata, PROGRESS_LEDGER_REARM, t->name, NULL, NULL);
                marks++;
        }
        return marks;
}

bool rollback_entry_name(const struct rollback_root *roots, size_t i, size_t target, unsigned tries,
                         struct entry_name *ret) {
        const struct rollback_root *r = &roots[i];
        struct entry_name e = r->entry_name;
        if (!r->entry)
                return false;
        if (r->read_only && rollback_root_newer(r, &roots[target])) {
                if (entry_name_state(&e) == ENTRY_BAD)
                        return false;
                entry_counter_mark_bad(&e);
        } else if (i != target || entry_name_state(&e) != ENTRY_BAD || entry_counter_set(&e, tries) < 0)
                return false;
        *ret = e;
        return true;
}

int rollback_rename_entries(int dirfd, const struct rollback_root *roots, size_t n, size_t target,
                            unsigned tries, progress_fn progress, void *userdata) {
        char name[ENTRY_NAME_MAX + 1];
        struct entry_name e;

        for (size_t i = 0; i < n; i++) {
                if (!rollback_entry_name(roots, i, target, tries, &e))
                        continue;
                int r = entry_name_format(&e, name, sizeof name);
                if (r < 0)
                        return r;
                if (streq(name, roots[i].entry))
                        continue;
                r = entry_file_rename(dirfd, roots[i].entry, name);
                if (r < 0)
                        return r;
                tell(progress, userdata, PROGRESS_ENTRY_RENAMED, roots[i].name, roots[i].entry, name);
        }
        return 0;
}
