/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The child that downloads a release: no root, no group, then the mirrors. */
#include "updatedownload.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "download.h"
#include "privs.h"
#include "strv.h"
#include "updatefetch.h"
#include "util.h"

/* Progress lines at most this often. */
#define PROGRESS_EVERY_US 250000
/* The longest a child may take: a large release on a slow link, days at most. */
#define CHILD_SECONDS (3 * 24 * 3600)

struct reporter {
        int fd;
        uint64_t last_us;
        const char *last_file;
};

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...) {
        char line[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof line - 1, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n > sizeof line - 2)
                n = (int)sizeof line - 2;
        line[n] = '\n';
        if (write_full(fd, line, (size_t)n + 1) < 0)
                _exit(1); /* the agent is gone */
}

static void on_progress(const char *file, uint64_t have, uint64_t total, void *userdata) {
        struct reporter *rep = userdata;
        uint64_t now = now_monotonic_us();
        if (file == rep->last_file && have < total && now - rep->last_us < PROGRESS_EVERY_US)
                return;
        rep->last_us = now;
        rep->last_file = file;
        say(rep->fd, "progress %" PRIu64 " %" PRIu64 " %s", have, total, file);
}

static int download(const struct download_request *req, struct reporter *rep, struct download_stats *stats,
                    struct update_refusal *why) {
        const struct download_limits lim = { .max_rate = req->max_rate,
                                             .connect_timeout_s = 15,
                                             .stall_timeout_s = 30 };
        const struct download_ops ops = { .progress = on_progress, .userdata = rep };
        struct manifest m;
        int r = manifest_parse(req->manifest, strlen(req->manifest), &m, why);
        if (r < 0)
                return r;
        const char *missing;
        if (!req->files)
                manifest_drop_optional(&m, req->optional);
        else if (manifest_keep_files(&m, req->files, &missing) < 0) {
                r = update_refuse(why, -ENOENT, "%s is not in release %s's repository", missing, m.version);
                manifest_free(&m);
                return r;
        }
        char **mirrors = strv_split(req->mirrors);
        r = download_release(mirrors, &m, req->dir, &lim, &ops, stats, why);
        strv_free(mirrors);
        manifest_free(&m);
        return r;
}

void updatedownload_child(int fd, const struct download_request *req) {
        struct reporter rep = { .fd = fd };
        struct update_refusal why = { 0 };
        struct download_stats stats = { 0 };
        alarm(CHILD_SECONDS);
        int r = drop_root(req->user);
        if (r < 0)
                update_refuse(
                        &why, r,
                        "the download could not drop root: no such user in [update] user, or it is root");
        else
                r = download(req, &rep, &stats, &why);
        /* One line: the reason's own newlines would cut it. */
        for (char *p = why.reason; *p; p++)
                if (*p == '\n')
                        *p = ' ';
        say(fd, "done %d %" PRIu64 " %" PRIu64 " %s", r < 0 ? r : 0, stats.fetched, stats.resumed,
            r < 0 ? why.reason : "");
        _exit(0);
}

int updatedownload_parse(const char *line, struct download_line *ret) {
        struct download_line l = { 0 };
        int n = 0;
        if (sscanf(line, "progress %" SCNu64 " %" SCNu64 " %255[^\n]%n", &l.have, &l.total, l.file, &n) ==
                    3 &&
            !line[n] && l.have <= l.total) {
                *ret = l;
                return 0;
        }
        if (sscanf(line, "done %d %" SCNu64 " %" SCNu64 " %n", &l.error, &l.fetched, &l.resumed, &n) == 3 &&
            l.error <= 0 && n > 0) {
                l.done = true;
                snprintf(l.reason, sizeof l.reason, "%s", line + n);
                *ret = l;
                return 0;
        }
        return -EBADMSG;
}
