/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A package request from start to end: which source, what it risks, then the doing. */
#include "pkgjob.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "pkgargs.h"
#include "pkgexec.h"
#include "pkgout.h"
#include "pkgplan.h"
#include "pkginfo.h"
#include "strv.h"
#include "util.h"

/* Search or List: every usable source asked; one that fails is a problem, not the end. */
static _Noreturn void gather(const struct pkgjob *j, struct pkgjob_out *o, const char *verb,
                             const char *arg) {
        json_object *all = json_object_new_array(), *problems = json_object_new_array(), *answer;
        unsigned usable = pkgplan_usable(j);
        char error[PKG_TEXT_MAX] = "";
        for (size_t i = 0; i < o->n_order; i++) {
                enum pkg_source s = o->order[i];
                json_object *items;
                if (!(usable & PKG_SOURCE_BIT(s)))
                        continue;
                int r = pkgplan_worker(j, o, s, verb, arg, &items, error, sizeof error);
                if (r < 0) {
                        json_object_array_add(problems, json_object_new_string(error));
                        continue;
                }
                for (size_t k = 0; k < json_object_array_length(items); k++)
                        json_object_array_add(all, json_object_get(json_object_array_get_idx(items, k)));
                json_object_put(items);
        }
        if (j->from < PKG_SOURCE_COUNT && json_object_array_length(problems) > 0) {
                json_object_put(all);
                json_object_put(problems);
                pkgout_finish(o, -EIO, error, NULL);
        }
        answer = json_object_new_object();
        json_object_object_add(answer, "results", all);
        json_object_object_add(answer, "problems", problems);
        pkgout_finish(o, 0, NULL, answer);
}

static _Noreturn void info(const struct pkgjob *j, struct pkgjob_out *o) {
        char error[PKG_TEXT_MAX];
        json_object *plan;
        int r = pkgplan_plan(j, o, j->args[0], RISK_INSTALL, &plan, error, sizeof error);
        pkgout_finish(o, r, error, r < 0 ? NULL : plan);
}

/* Install or Remove: every name planned first; nothing is done when one cannot be, or when one
 * is risky and the caller did not confirm. */
static _Noreturn void change(const struct pkgjob *j, struct pkgjob_out *o, enum risk_op op) {
        char error[PKG_TEXT_MAX];
        json_object *plans = json_object_new_array(), *plan;
        bool risky = false;
        for (char **name = j->args; *name; name++) {
                int r = pkgplan_plan(j, o, *name, op, &plan, error, sizeof error);
                if (r < 0) {
                        json_object_put(plans);
                        pkgout_finish(o, r, error, NULL);
                }
                risky = risky || json_object_get_boolean(json_object_object_get(plan, "needs_confirmation"));
                json_object_array_add(plans, plan);
        }
        if (risky && !j->yes)
                pkgout_finish(o, -PKGJOB_CONFIRM_ERRNO, "the request is risky: it needs a confirmation",
                              plans);
        int r = pkgexec_do(j, o, op, plans, error, sizeof error);
        if (r < 0) {
                json_object_put(plans);
                pkgout_finish(o, r, error, NULL);
        }
        json_object *answer = json_object_new_object();
        json_object_object_add(answer, op == RISK_INSTALL ? "installed" : "removed", plans);
        pkgout_finish(o, 0, NULL, answer);
}

void pkgjob_child(const struct pkgjob *j, int fd) {
        sigset_t all;
        struct pkgjob_out o = { .f = fdopen(fd, "w") };
        /* The agent blocks these for its loop; the workers must not inherit that. */
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (!o.f)
                _exit(1);
        (void)pkg_order_parse(j->conf->packages.order, o.order, &o.n_order);
        switch (j->verb) {
        case PKGJOB_SEARCH:
                gather(j, &o, "search", j->args[0]);
        case PKGJOB_LIST:
                gather(j, &o, "list", NULL);
        case PKGJOB_INFO:
                info(j, &o);
        case PKGJOB_INSTALL:
                change(j, &o, RISK_INSTALL);
        case PKGJOB_REMOVE:
                change(j, &o, RISK_REMOVE);
        }
        pkgout_finish(&o, -EINVAL, "an unknown request", NULL);
}
