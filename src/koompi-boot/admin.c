/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The view of the roots that the verbs changing them share (rootview.h, gathered from what the
 * context found), and entries sync run from inside such a verb. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bootstate.h"
#include "context.h"
#include "efivars.h"
#include "layout.h"
#include "log.h"
#include "util.h"
#include "verbs.h"
#include "view.h"

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
