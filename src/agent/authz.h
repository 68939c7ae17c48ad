/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who may call what on org.koompi.Agent1: pure decisions, no bus and no user database. */
enum authz_role {
        ROLE_STUDENT, /* anyone else: reads */
        ROLE_TEACHER, /* a member of the teacher group */
        ROLE_ADMIN, /* a member of the admin group */
        ROLE_ROOT, /* uid 0 */
};
#define ROLE_BIT(r) (1u << (r))

enum authz_verdict {
        AUTHZ_ALLOW,
        AUTHZ_DENY,
        AUTHZ_ASK_POLKIT, /* polkitd decides, with the method's action */
};

struct authz_method {
        const char *name; /* the D-Bus method */
        const char *action; /* its polkit action, NULL for a read */
        unsigned roles; /* ROLE_BIT()s allowed without polkit */
};

/* The role of a caller: root by uid, then admin, then teacher by group (gid < 0: no such
 * group on this machine). */
enum authz_role authz_role(uid_t uid, const gid_t *gids, unsigned n_gids, long admin_gid, long teacher_gid);
/* The method's entry, or NULL for a method the table does not know. */
const struct authz_method *authz_method(const char *name);
/* The decision for a caller of role on method name. A read is allowed to everyone; root may do
 * anything; any other change goes to polkit when polkit is in use, else by role. An unknown
 * method is denied. */
enum authz_verdict authz_decide(const char *name, enum authz_role role, bool use_polkit);
/* Whether polkit is in use: setting is auto, yes or no; auto follows whether polkitd is on the
 * bus. */
bool authz_use_polkit(const char *setting, bool polkitd_on_bus);
/* The refusal text for method name, naming the groups that would allow it, e.g.
 * "not allowed: needs the koompi-admin or koompi-teacher group". Writes at most size bytes. */
void authz_refusal(const char *name, const char *admin_group, const char *teacher_group, char *buf,
                   size_t size);
const char *authz_role_name(enum authz_role role);
