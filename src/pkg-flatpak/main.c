/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-pkg-flatpak: the Flatpak source of koompi-agent, one request per process, so that a
 * crash inside libflatpak ends this process and not the agent. It runs as root for the system
 * installation and reads only what libflatpak hands it. */
#include <errno.h>
#include <stdio.h>

#include "fpk.h"
#include "workerargs.h"
#include "workerline.h"

static void progress_line(uint64_t done, uint64_t total, const char *text, void *userdata) {
        workerline_progress(stdout, done, total, text);
}

static const struct fpk_ops progress_ops = { progress_line, NULL };

static int do_search(void *inst, const struct worker_args *a, json_object **ret, char *why) {
        return fpk_search(inst, a->arg, ret, why);
}
static int do_info(void *inst, const struct worker_args *a, json_object **ret, char *why) {
        return fpk_info(inst, a->arg, ret, why);
}
static int do_list(void *inst, const struct worker_args *a, json_object **ret, char *why) {
        return fpk_list(inst, ret, why);
}
static int do_install(void *inst, const struct worker_args *a, json_object **ret, char *why) {
        return fpk_install(inst, a->arg, &progress_ops, ret, why);
}
static int do_remove(void *inst, const struct worker_args *a, json_object **ret, char *why) {
        return fpk_remove(inst, a->arg, &progress_ops, ret, why);
}

static const struct worker_verb verbs[] = {
        { "search", 1, do_search },   { "info", 1, do_info },     { "list", 0, do_list },
        { "install", 1, do_install }, { "remove", 1, do_remove },
};

int main(int argc, char **argv) {
        char why[WORKER_WHY_MAX] = "";
        struct worker_args a;
        json_object *result = NULL;
        int r = workerargs_parse(argc, argv, &a);
        const struct worker_verb *v = r < 0 || a.out ? NULL : workerargs_verb(verbs, G_N_ELEMENTS(verbs), &a);
        if (!v) {
                fputs("Usage: koompi-pkg-flatpak [--config AGENT_CONF] search TEXT | info APP | list | install APP | "
                      "remove APP\n",
                      stderr);
                return r == -ECANCELED ? 0
                                       : workerline_error(stdout, -EINVAL, "koompi-pkg-flatpak: bad usage");
        }
        g_autoptr(GError) err = NULL;
        g_autoptr(FlatpakInstallation) inst = flatpak_installation_new_system(NULL, &err);
        if (!inst) {
                snprintf(why, sizeof why, "the system's Flatpak installation could not be opened: %s",
                         err->message);
                return workerline_error(stdout, fpk_errno(err), why);
        }
        r = v->run(inst, &a, &result, why);
        return workerline_answer(stdout, r, result, why);
}
