/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgplan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "pkgargs.h"
#include "pkginfo.h"
#include "pkgpinned.h"
#include "pkgrun.h"
#include "strv.h"
#include "util.h"

unsigned pkgplan_usable(const struct pkgjob *j) {
        const struct pkg_config *c = &j->conf->packages;
        unsigned enabled = PKG_SOURCE_BIT(PKG_PACMAN) | (c->flatpak ? PKG_SOURCE_BIT(PKG_FLATPAK) : 0) |
                (c->aur ? PKG_SOURCE_BIT(PKG_AUR) : 0) | (c->appimage ? PKG_SOURCE_BIT(PKG_APPIMAGE) : 0);
        unsigned usable = enabled & (j->staff ? ~0u : ~PKG_SOURCE_BIT(PKG_AUR));
        return j->from < PKG_SOURCE_COUNT ? usable & PKG_SOURCE_BIT(j->from) : usable;
}

static void relay(const struct pkg_line *l, void *userdata) {
        pkgout_progress(userdata, "%s", l->text);
}

static int clean(enum pkg_source src, const char *verb, json_object *r, json_object **ret) {
        if (streq(verb, "search") || streq(verb, "list"))
                return pkg_items_clean(r, src, ret);
        if (streq(verb, "info"))
                return pkg_info_clean(r, src, ret);
        if (streq(verb, "build"))
                return pkg_build_clean(r, ret);
        return pkg_done_clean(r, src, ret);
}

int pkgplan_worker(const struct pkgjob *j, struct pkgjob_out *o, enum pkg_source src, const char *verb,
                   const char *arg, json_object **ret, char *error, size_t size) {
        return pkgplan_worker_out(j, o, src, verb, arg, NULL, ret, error, size);
}

int pkgplan_worker_out(const struct pkgjob *j, struct pkgjob_out *o, enum pkg_source src, const char *verb,
                       const char *arg, const char *out_dir, json_object **ret, char *error, size_t size) {
        char path[PATH_MAX];
        struct pkg_line l;
        snprintf(path, sizeof path, "%s/koompi-pkg-%s", j->conf->packages.workers_dir, pkg_source_name(src));
        char *argv[] = { path,
                         (char *)"--config",
                         (char *)j->config_path,
                         (char *)verb,
                         (char *)arg,
                         out_dir ? (char *)"--out" : NULL,
                         (char *)out_dir,
                         NULL };
        struct pkgrun run = {
                .argv = argv, .timeout_ms = j->conf->packages.timeout_ms, .progress = relay, .userdata = o
        };
        int r = pkgrun_run(&run, &l);
        if (r == -ENOENT || r == -EACCES)
                snprintf(error, size, "%s: koompi-pkg-%s is not installed (%s)", pkg_source_name(src),
                         pkg_source_name(src), path);
        else if (r == -ETIMEDOUT)
                snprintf(error, size, "%s: %s took longer than [packages] timeout and was stopped",
                         pkg_source_name(src), verb);
        else if (r < 0 || l.kind == PKG_LINE_ERROR)
                snprintf(error, size, "%s: %s", pkg_source_name(src), r < 0 ? strerror(-r) : l.text);
        if (r < 0)
                return r;
        if (l.kind == PKG_LINE_ERROR)
                return l.error;
        r = clean(src, verb, l.result, ret);
        pkg_line_done(&l);
        if (r < 0)
                snprintf(error, size, "%s: %s gave an answer that is not valid", pkg_source_name(src), verb);
        return r;
}

/* The AUR maintainer at the last install of name here (STATE_DIR/packages/aur/NAME.maintainer),
 * NULL when never installed. */
static char *last_maintainer(const struct pkgjob *j, const char *name) {
        char path[PATH_MAX], line[128];
        snprintf(path, sizeof path, "%s/packages/aur/%s.maintainer", j->state_dir, name);
        return read_line_file(path, line, sizeof line) < 0 ? NULL : strdup_or_die(line);
}

static void add_risk(json_object *plan, const struct risk_result *r) {
        json_object *reasons = json_object_new_array();
        for (size_t i = 0; i < r->n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "weight", json_object_new_double(r->reasons[i].weight));
                json_object_object_add(o, "text", json_object_new_string(r->reasons[i].text));
                json_object_array_add(reasons, o);
        }
        json_object_object_add(plan, "risk", json_object_new_double(r->score));
        json_object_object_add(plan, "reasons", reasons);
        json_object_object_add(plan, "needs_confirmation",
                               json_object_new_boolean(risk_needs_confirmation(r)));
}

/* The sources' failures met while looking, "; "-separated, after what is in buf. */
static void note_problem(char *buf, size_t size, const char *problem) {
        size_t used = strlen(buf);
        if (used + 3 < size)
                snprintf(buf + used, size - used, "%s%.*s", used ? "; " : "", (int)(size - used - 3),
                         problem);
}

/* Asks each usable source, in order, for the app; the first that has it (installed, for a
 * removal) is taken. Its bit in *found, its info in *ret; the bits of those that failed in
 * *failed, their errors in problems. */
static int find(const struct pkgjob *j, struct pkgjob_out *o, const char *arg, enum risk_op op,
                unsigned usable, unsigned *found, unsigned *failed, json_object **ret, char *problems,
                size_t size) {
        char error[PKG_TEXT_MAX];
        for (size_t i = 0; i < o->n_order; i++) {
                enum pkg_source s = o->order[i];
                json_object *info;
                if (!(usable & PKG_SOURCE_BIT(s)))
                        continue;
                int r = pkgplan_worker(j, o, s, "info", arg, &info, error, sizeof error);
                if (r == -ENOENT && !strstr(error, "not installed ("))
                        continue; /* the source does not have it */
                if (r < 0) {
                        note_problem(problems, size, error);
                        *failed |= PKG_SOURCE_BIT(s);
                        continue;
                }
                if (op == RISK_REMOVE &&
                    !json_object_get_boolean(json_object_object_get(info, "installed"))) {
                        json_object_put(info);
                        continue;
                }
                *found = PKG_SOURCE_BIT(s);
                *ret = info;
                return 0;
        }
        return -ENOENT;
}

/* The sources an argument may come from: a file or URL is an AppImage's. */
static int target_sources(const struct pkgjob *j, const char *arg, unsigned *ret, char *error, size_t size) {
        enum pkg_target t;
        if (pkg_target_parse(arg, &t) < 0) {
                snprintf(error, size, "'%.*s' is not a package name, an AppImage's absolute path or its URL",
                         100, arg);
                return -EINVAL;
        }
        *ret = t == PKG_TARGET_NAME ? pkgplan_usable(j) : pkgplan_usable(j) & PKG_SOURCE_BIT(PKG_APPIMAGE);
        return 0;
}

int pkgplan_plan(const struct pkgjob *j, struct pkgjob_out *o, const char *arg, enum risk_op op,
                 json_object **ret, char *error, size_t size) {
        char why[512], problems[PKG_TEXT_MAX] = "";
        unsigned usable, found = 0, failed = 0;
        json_object *info = NULL;
        enum pkg_source src;
        int r = target_sources(j, arg, &usable, error, size);
        if (r < 0)
                return r;
        pkgout_progress(o, "%s: looking for it", arg);
        (void)find(j, o, arg, op, usable, &found, &failed, &info, problems, sizeof problems);
        struct pkg_choice_input in = { .order = o->order,
                                       .n_order = o->n_order,
                                       .enabled = pkgplan_usable(&(struct pkgjob) {
                                               .conf = j->conf, .staff = true, .from = PKG_SOURCE_ANY }),
                                       .allowed = j->staff ? ~0u : ~PKG_SOURCE_BIT(PKG_AUR),
                                       .found = found,
                                       .failed = failed,
                                       .from = j->from };
        r = pkg_choose(&in, &src, why, sizeof why);
        if (r < 0) {
                snprintf(error, size, "%.100s: %s%s%s%s", arg,
                         op == RISK_REMOVE && r == -ENOENT ? "not installed: " : "", why,
                         problems[0] ? "; " : "", problems);
                json_object_put(info);
                return r;
        }
        _cleanup_free_ char *maintainer = src == PKG_AUR ? last_maintainer(j, arg) : NULL;
        char **protect = strv_split(j->conf->packages.protected_names);
        struct pkg_risk_context ctx = { .source = src,
                                        .op = op,
                                        .name = json_object_get_string(json_object_object_get(info, "name")),
                                        .now = (int64_t)time(NULL),
                                        .last_maintainer = maintainer,
                                        .protected_names = protect };
        struct risk_result risk;
        pkg_info_risk(info, &ctx, &risk);
        strv_free(protect);
        if (src == PKG_PACMAN && op == RISK_INSTALL) {
                size_t used = strlen(why);
                snprintf(why + used, sizeof why - used, "; ");
                pkgpinned_describe(j, why + strlen(why), sizeof why - strlen(why));
        }
        json_object_object_add(info, "why", json_object_new_string(why));
        json_object_object_add(info, "target", json_object_new_string(arg));
        add_risk(info, &risk);
        *ret = info;
        return 0;
}
