/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who calls, and whether they may: the caller's role from its bus credentials, and the
 * decision of authz.c (or polkit's) for a method. */
#include "access.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>

#include "util.h"

static long group_gid(const char *name) {
        struct group *g = getgrnam(name);
        return g ? (long)g->gr_gid : -1;
}

int bus_caller_role(sd_bus_message *m, enum authz_role *ret, const struct agent_config *conf) {
        sd_bus_creds *creds = NULL;
        const gid_t *supplementary = NULL;
        gid_t gids[65];
        uid_t uid;
        int n = 0,
            r = sd_bus_query_sender_creds(m,
                                          SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID |
                                                  SD_BUS_CREDS_SUPPLEMENTARY_GIDS | SD_BUS_CREDS_AUGMENT,
                                          &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r >= 0 && sd_bus_creds_get_egid(creds, &gids[0]) >= 0)
                n = 1;
        int ns = r >= 0 ? sd_bus_creds_get_supplementary_gids(creds, &supplementary) : 0;
        for (int i = 0; i < ns && n < (int)ELEMENTSOF(gids); i++)
                gids[n++] = supplementary[i];
        sd_bus_creds_unref(creds);
        if (r < 0)
                return r;
        *ret = authz_role(uid, gids, (unsigned)n, group_gid(conf->admin_group),
                          group_gid(conf->teacher_group));
        return 0;
}

/* polkit's answer for m, asked for when none is there yet. The answer, or 2 when the method
 * waits for it. */
static int polkit_answer(struct agent *a, sd_bus_message *m, const char *method) {
        int answer = polkit_result(a, m);
        if (answer == -EINPROGRESS)
                return 2;
        if (answer != -ENOENT)
                return answer;
        answer = polkit_ask(a, m, authz_method(method)->action);
        return answer >= 0 ? 2 : answer;
}

int bus_authorize(struct agent *a, sd_bus_message *m, const char *method, sd_bus_error *err) {
        char refusal[256];
        enum authz_role role;
        int r = bus_caller_role(m, &role, &a->config);
        if (r < 0)
                return r;
        bool use_polkit = authz_use_polkit(a->config.polkit, polkit_present(a->bus));
        enum authz_verdict v = authz_decide(method, role, use_polkit);
        if (v == AUTHZ_ASK_POLKIT) {
                r = polkit_answer(a, m, method);
                if (r == 2)
                        return 2;
                /* polkitd present but not answering: the bus credentials decide. */
                v = r > 0 ? AUTHZ_ALLOW : r == 0 ? AUTHZ_DENY : authz_decide(method, role, false);
        }
        if (v == AUTHZ_ALLOW)
                return 1;
        authz_refusal(method, a->config.admin_group, a->config.teacher_group, refusal, sizeof refusal);
        sd_bus_error_set(err, SD_BUS_ERROR_ACCESS_DENIED, refusal);
        return 0;
}
