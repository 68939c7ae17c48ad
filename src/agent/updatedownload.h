/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A release's packages fetched by a child process without root ([update] user), since it reads
 * the network: it tells the agent how far it got, one line at a time on a pipe, and how it
 * ended. Nothing it says is trusted beyond numbers and a sentence: the agent checks the files
 * again as root. */
struct download_request {
        const char *user;
        const char *mirrors; /* space separated */
        const char *manifest; /* the accepted manifest's text */
        char *const *optional; /* its optional packages to fetch too (NULL: none) */
        char *const *files; /* when not NULL: only these files of it (koompi install) */
        const char *dir; /* the cache folder, writable by user */
        uint64_t max_rate; /* bytes a second, 0: no limit */
};

/* In a forked child: drops root, downloads into r->dir, writes "progress HAVE TOTAL FILE" lines
 * (a few a second at most) then one "done ERRNO FETCHED RESUMED REASON" line to fd, and exits.
 * Never returns. */
_Noreturn void updatedownload_child(int fd, const struct download_request *r);

/* One line of the child, parsed. */
struct download_line {
        bool done; /* the last line: error, fetched, resumed, reason */
        uint64_t have, total; /* progress */
        char file[256]; /* progress: the file being fetched */
        int error; /* done: 0 or a negative errno */
        uint64_t fetched, resumed;
        char reason[512]; /* done: what happened, "" when nothing went wrong */
};

/* Parses one line (without its newline). 0, or -EBADMSG when it is neither form. */
int updatedownload_parse(const char *line, struct download_line *ret);
