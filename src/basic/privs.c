/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

int drop_root(const char *user) {
        if (geteuid() != 0)
                return 0;
        struct passwd *pw = getpwnam(user);
        if (!pw)
                return -ESRCH;
        if (pw->pw_uid == 0)
                return -EPERM;
        if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
                return -errno;
        /* What gets in afterwards cannot gain back what was dropped. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || setuid(0) == 0)
                return -EPERM;
        return 0;
}
