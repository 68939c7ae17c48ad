/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A student reads; a teacher or an admin changes what their role covers; root does anything.
 * Later methods (Update*, Install*, Class*, Ask) join the table with their polkit action. */
#include "authz.h"

#include <stdio.h>

#include "util.h"

#define EVERYONE \
        (ROLE_BIT(ROLE_STUDENT) | ROLE_BIT(ROLE_TEACHER) | ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_ROOT))
#define STAFF (ROLE_BIT(ROLE_TEACHER) | ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_ROOT))

static const struct authz_method methods[] = {
        { "GetStatus", NULL, EVERYONE },
        /* Fetches and judges the channel's manifest: nothing on the machine changes but the
         * record of the newest accepted serial. */
        { "UpdateCheck", NULL, EVERYONE },
        { "UpdateApprove", "org.koompi.agent.update-approve", ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_ROOT) },
        { "UpdateApply", "org.koompi.agent.update-apply", ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_ROOT) },
        { "RunHealth", "org.koompi.agent.run-health", STAFF },
        { "AcknowledgeAlert", "org.koompi.agent.acknowledge-alert", STAFF },
        /* Apps: anyone may search and look; installing and removing is everyone's too, but a
         * risky request needs a confirmation a student may not give, and the AUR is staff's
         * (packages.c). */
        { "Search", NULL, EVERYONE },
        { "Info", NULL, EVERYONE },
        { "List", NULL, EVERYONE },
        { "Install", "org.koompi.agent.packages", EVERYONE },
        { "Remove", "org.koompi.agent.packages", EVERYONE },
};

static bool has_gid(const gid_t *gids, unsigned n, long gid) {
        for (unsigned i = 0; gid >= 0 && i < n; i++)
                if ((long)gids[i] == gid)
                        return true;
        return false;
}

enum authz_role authz_role(uid_t uid, const gid_t *gids, unsigned n_gids, long admin_gid, long teacher_gid) {
        if (uid == 0)
                return ROLE_ROOT;
        if (has_gid(gids, n_gids, admin_gid))
                return ROLE_ADMIN;
        if (has_gid(gids, n_gids, teacher_gid))
                return ROLE_TEACHER;
        return ROLE_STUDENT;
}

const struct authz_method *authz_method(const char *name) {
        for (size_t i = 0; name && i < ELEMENTSOF(methods); i++)
                if (streq(methods[i].name, name))
                        return &methods[i];
        return NULL;
}

enum authz_verdict authz_decide(const char *name, enum authz_role role, bool use_polkit) {
        const struct authz_method *m = authz_method(name);
        if (!m)
                return AUTHZ_DENY;
        if (!m->action || role == ROLE_ROOT)
                return AUTHZ_ALLOW;
        if (use_polkit)
                return AUTHZ_ASK_POLKIT;
        return (m->roles & ROLE_BIT(role)) ? AUTHZ_ALLOW : AUTHZ_DENY;
}

bool authz_use_polkit(const char *setting, bool polkitd_on_bus) {
        if (streq_ptr(setting, "yes"))
                return true;
        if (streq_ptr(setting, "no"))
                return false;
        return polkitd_on_bus;
}

void authz_refusal(const char *name, const char *admin_group, const char *teacher_group, char *buf,
                   size_t size) {
        const struct authz_method *m = authz_method(name);
        if (!m)
                snprintf(buf, size, "not allowed: %s is not a method of koompi-agent", name);
        else if (m->roles & ROLE_BIT(ROLE_TEACHER))
                snprintf(buf, size, "not allowed: needs the %s or %s group", admin_group, teacher_group);
        else if (m->roles & ROLE_BIT(ROLE_ADMIN))
                snprintf(buf, size, "not allowed: needs the %s group", admin_group);
        else
                snprintf(buf, size, "not allowed: needs root");
}

const char *authz_role_name(enum authz_role role) {
        static const char *const names[] = { "student", "teacher", "admin", "root" };
        return role <= ROLE_ROOT ? names[role] : "student";
}
