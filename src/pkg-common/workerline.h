/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The package workers' side of the backend protocol (koompi-pkg-flatpak, koompi-pkg-aur): JSON
 * lines on stdout, zero or more progress lines, then exactly one result or error line. The agent
 * reads them from a child process and trusts none of it. */
#define WORKER_WHY_MAX 512

/* One package as search and list give it; info adds to it. Strings may be NULL (written as ""). A
 * new object, or NULL when out of memory. */
struct worker_item {
        const char *source; /* flatpak | aur */
        const char *name;
        const char *id;
        const char *version;
        const char *summary;
        uint64_t download_size;
        bool installed;
};
json_object *workerline_item(const struct worker_item *it);

/* Writes the sentence into why (WORKER_WHY_MAX bytes) and returns err: a verb's failure in one
 * line. */
__attribute__((format(printf, 3, 4))) int workerline_why(char *why, int err, const char *fmt, ...);

/* {"progress":{"done":N,"total":N,"text":"..."}} and a newline, flushed at once. */
void workerline_progress(FILE *f, uint64_t done, uint64_t total, const char *text);
/* {"result": r}; takes r. Returns 0, or -EIO when f could not be written. */
int workerline_result(FILE *f, json_object *r);
/* {"error": why, "errno": -err}. Returns the exit status for err (below). */
int workerline_error(FILE *f, int err, const char *why);
/* The final line of a verb that returned r: workerline_result(result) for 0, else workerline_error(r,
 * why). Returns the exit status. */
int workerline_answer(FILE *f, int r, json_object *result, const char *why);
/* The exit status of the project's error table for err (0 or a negative errno): 0; 1 usage
 * (-EINVAL); 2 state missing (-ENOENT, -ENODATA, -EBADMSG, -ENOMEDIUM); 3 refused (-EPERM,
 * -EBUSY, -EEXIST, -ENOTEMPTY, -ECANCELED); 4 no room (-ENOSPC); 6 a command failed (-ECHILD);
 * 5 anything else. */
int workerline_exit_status(int err);
