/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The doing of a package request. System packages only ever land in a new root: the root
 * booted now, and the one booted next, are never changed here. */
#include "pkgexec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "pkgline.h"
#include "pkglist.h"
#include "pkgaur.h"
#include "pkgboot.h"
#include "pkgkeep.h"
#include "pkgpinned.h"
#include "pkgplan.h"
#include "rootpacman.h"
#include "strv.h"
#include "util.h"

static const char *plan_str(json_object *plan, const char *key) {
        json_object *v = json_object_object_get(plan, key);
        return v ? json_object_get_string(v) : "";
}

static char *join(char *const *names) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        if (!f)
                abort();
        for (char *const *n = names; n && *n; n++)
                fprintf(f, "%s%s", n == names ? "" : " ", *n);
        fclose(f);
        return s;
}

static int keep_list(const struct pkgjob *j, const char *list, char *const *names, enum risk_op op) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/packages/%s", j->state_dir, list);
        return pkglist_update(path, op == RISK_INSTALL ? names : NULL, op == RISK_REMOVE ? names : NULL);
}

/* A new root with names installed (from the release the booted root keeps, when it keeps one)
 * or removed. */
static int pacman_root(const struct pkgjob *j, struct pkgjob_out *o, enum risk_op op, char **names,
                       char *error, size_t size) {
        struct pkgpinned pin;
        int r = op == RISK_INSTALL ? pkgpinned_load(j, &pin, error, size) : -ENOENT;
        if (r >= 0) {
                r = pkgpinned_install(j, o, &pin, names, error, size);
                pkgpinned_free(&pin);
                return r;
        }
        if (r != -ENOENT)
                return r;
        _cleanup_free_ char *list = join(names), *args = NULL, *cmd = NULL;
        if (asprintf(&args, "--config %s %s --noconfirm %s", j->conf->packages.pacman_conf,
                     op == RISK_INSTALL ? "-S --needed" : "-R", list) < 0)
                abort();
        pkgout_progress(o, "pacman: a new root with %s %s", list,
                        op == RISK_INSTALL ? "installed" : "removed");
        cmd = root_pacman_command(args);
        return pkgboot_update(j, o, "--run", cmd, NULL, error, size);
}

/* The repositories' packages, in one new root. */
static int pacman_change(const struct pkgjob *j, struct pkgjob_out *o, enum risk_op op, char **names,
                         char *error, size_t size) {
        int r = pacman_root(j, o, op, names, error, size);
        if (r < 0)
                return r;
        r = keep_list(j, "pacman.list", names, op);
        /* A package built from the AUR leaves through pacman too. */
        if (r >= 0 && op == RISK_REMOVE)
                r = keep_list(j, "aur.list", names, op);
        for (char **n = names; r >= 0 && op == RISK_REMOVE && *n; n++)
                (void)pkgkeep_remove(j->state_dir, *n, "");
        if (r < 0)
                snprintf(error, size,
                         "the new root is made, but the lists in %s/packages could not be written: %s",
                         j->state_dir, strerror(-r));
        return r;
}

/* An AppImage or a Flatpak: its worker does it. */
static int worker_change(const struct pkgjob *j, struct pkgjob_out *o, enum pkg_source src, enum risk_op op,
                         json_object *plan, char *error, size_t size) {
        json_object *done;
        const char *arg = op == RISK_INSTALL ? plan_str(plan, "target") : plan_str(plan, "name");
        pkgout_progress(o, "%s: %s %s", pkg_source_name(src), op == RISK_INSTALL ? "installing" : "removing",
                        arg);
        int r = pkgplan_worker(j, o, src, op == RISK_INSTALL ? "install" : "remove", arg, &done, error, size);
        if (r < 0)
                return r;
        json_object_object_add(plan, "version", json_object_get(json_object_object_get(done, "version")));
        json_object_put(done);
        return 0;
}

static int plan_source(json_object *plan, enum pkg_source *ret) {
        return pkg_source_parse(plan_str(plan, "source"), ret);
}

int pkgexec_do(const struct pkgjob *j, struct pkgjob_out *o, enum risk_op op, json_object *plans, char *error,
               size_t size) {
        char **system = NULL;
        enum pkg_source src;
        int r = 0;
        for (size_t i = 0; r >= 0 && i < json_object_array_length(plans); i++) {
                json_object *plan = json_object_array_get_idx(plans, i);
                r = plan_source(plan, &src);
                if (r >= 0 && (src == PKG_PACMAN || (src == PKG_AUR && op == RISK_REMOVE)))
                        r = strv_extend(&system, plan_str(plan, "name"));
                else if (r >= 0 && src == PKG_AUR)
                        r = pkgexec_aur_install(j, o, plan, error, size);
                else if (r >= 0)
                        r = worker_change(j, o, src, op, plan, error, size);
        }
        if (r >= 0 && system)
                r = pacman_change(j, o, op, system, error, size);
        strv_free(system);
        return r;
}
