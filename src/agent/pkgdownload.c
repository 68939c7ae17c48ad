/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgdownload.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "apply.h"
#include "updatedownload.h"
#include "util.h"

static pid_t start(const struct download_request *req, int *ret_fd) {
        pid_t pid = child_fork(ret_fd);
        if (pid == 0)
                updatedownload_child(3, req);
        return pid;
}

/* The child's lines until it ends: each new file said once, its last line in *end. */
static bool follow(struct pkgjob_out *o, int fd, struct download_line *end) {
        FILE *f = fdopen(fd, "r");
        char *line = NULL, last[256] = "";
        size_t cap = 0;
        bool ended = false;
        if (!f) {
                close(fd);
                return false;
        }
        for (ssize_t n; (n = getline(&line, &cap, f)) > 0;) {
                struct download_line l;
                line[strcspn(line, "\n")] = '\0';
                if (updatedownload_parse(line, &l) < 0)
                        continue;
                if (l.done) {
                        *end = l;
                        ended = true;
                } else if (!streq(l.file, last)) {
                        snprintf(last, sizeof last, "%s", l.file);
                        pkgout_progress(o, "pacman: downloading %s", l.file);
                }
        }
        free(line);
        fclose(f);
        return ended;
}

int pkgdownload_run(const struct pkgjob *j, struct pkgjob_out *o, const char *manifest, char *const *files,
                    const char *dir, char *error, size_t size) {
        const struct agent_config *c = j->conf;
        const struct download_request req = { .user = c->update_user,
                                              .mirrors = c->update_mirrors,
                                              .manifest = manifest,
                                              .files = files,
                                              .dir = dir,
                                              .max_rate = c->update_max_rate };
        struct download_line end = { 0 };
        int fd = -1, r;
        struct passwd *pw = getpwnam(c->update_user);
        if (!pw) {
                snprintf(error, size, "no user %s ([update] user) to download with", c->update_user);
                return -ESRCH;
        }
        r = apply_cache_prepare(dir, pw->pw_uid, pw->pw_gid);
        pid_t pid = r < 0 ? r : start(&req, &fd);
        if (pid < 0) {
                snprintf(error, size, "the download could not be started: %s", strerror((int)-pid));
                return (int)pid;
        }
        bool ended = follow(o, fd, &end);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (!ended) {
                snprintf(error, size, "the download stopped without saying why, nothing changed");
                return -EIO;
        }
        if (end.error < 0)
                snprintf(error, size, "the download failed, nothing changed: %s", end.reason);
        return end.error;
}
