/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "packages.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "child.h"
#include "access.h"
#include "log.h"
#include "pkgargs.h"
#include "pkgjob.h"
#include "pkgline.h"
#include "strv.h"
#include "updateoutcome.h"
#include "util.h"

#define ANSWER_MAX (4 * 1024 * 1024)

static void strv_freep(char ***v) {
        strv_free(*v);
}

/* One request running: its process, what it said so far. */
struct pkgcall {
        struct agent *agent;
        sd_bus_message *call;
        const char *operation; /* "install", ... for Progress */
        pid_t pid;
        int fd;
        sd_event_source *io;
        char *buf;
        size_t len;
        json_object *final;
        struct pkgcall *next;
};

static void call_free(struct pkgcall *c) {
        sd_event_source_disable_unref(c->io);
        if (c->pid > 0) {
                kill(c->pid, SIGKILL);
                waitpid(c->pid, NULL, 0);
        }
        if (c->fd >= 0)
                close(c->fd);
        sd_bus_message_unref(c->call);
        json_object_put(c->final);
        free(c->buf);
        free(c);
}

static void unlink_call(struct pkgcall *c) {
        for (struct pkgcall **p = &c->agent->pkgcalls; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        return;
                }
}

static void reply_error(struct pkgcall *c, json_object *final) {
        json_object *e = json_object_object_get(final, "errno"),
                    *confirm = json_object_object_get(final, "confirm");
        const char *text = json_object_get_string(json_object_object_get(final, "error"));
        int n = e ? json_object_get_int(e) : EIO;
        if (confirm && n == PKGJOB_CONFIRM_ERRNO) {
                /* The plans, each with its risk and reasons, for the caller to show and ask. */
                sd_bus_reply_method_errorf(
                        c->call, ERROR_NEEDS_CONFIRMATION, "%s",
                        json_object_to_json_string_ext(
                                confirm, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                return;
        }
        sd_bus_reply_method_errnof(c->call, n > 0 && n < 4096 ? n : EIO, "%s",
                                   text ? text : "the request failed");
}

static void end(struct pkgcall *c) {
        json_object *result;
        int status = 0;
        if (c->pid > 0 && waitpid(c->pid, &status, 0) == c->pid)
                c->pid = 0;
        if (!c->final)
                sd_bus_reply_method_errorf(c->call, SD_BUS_ERROR_FAILED,
                                           "the %s request stopped without an answer (see the journal)",
                                           c->operation);
        else if (json_object_object_get_ex(c->final, "result", &result))
                sd_bus_reply_method_return(
                        c->call, "s",
                        json_object_to_json_string_ext(
                                result, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        else
                reply_error(c, c->final);
        unlink_call(c);
        call_free(c);
}

static void take_line(struct pkgcall *c, const char *line) {
        json_object *o = json_tokener_parse(line), *p;
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return;
        }
        if (json_object_object_get_ex(o, "progress", &p)) {
                sd_bus_emit_signal(c->agent->bus, AGENT_OBJECT_PATH, AGENT_INTERFACE, "Progress", "ssuu",
                                   c->operation, json_object_get_string(json_object_object_get(p, "text")),
                                   (uint32_t)json_object_get_int(json_object_object_get(p, "done")),
                                   (uint32_t)json_object_get_int(json_object_object_get(p, "total")));
                json_object_put(o);
                return;
        }
        json_object_put(c->final);
        c->final = o;
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct pkgcall *c = userdata;
        char chunk[16384];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0 || c->len + (size_t)n > ANSWER_MAX) {
                end(c);
                return 0;
        }
        char *grown = realloc(c->buf, c->len + (size_t)n + 1);
        if (!grown)
                abort();
        c->buf = grown;
        memcpy(c->buf + c->len, chunk, (size_t)n);
        c->len += (size_t)n;
        c->buf[c->len] = '\0';
        for (char *nl; (nl = memchr(c->buf, '\n', c->len));) {
                *nl = '\0';
                take_line(c, c->buf);
                c->len -= (size_t)(nl + 1 - c->buf);
                memmove(c->buf, nl + 1, c->len + 1);
        }
        return 0;
}

/* Forks the request's process. 0 or a negative errno. */
static int start(struct agent *a, sd_bus_message *m, const char *operation, const struct pkgjob *job) {
        int fd;
        pid_t pid = child_fork(&fd);
        if (pid == 0)
                pkgjob_child(job, 3);
        if (pid < 0)
                return pid;
        struct pkgcall *c = xmalloc(sizeof *c);
        *c = (struct pkgcall) {
                .agent = a, .call = sd_bus_message_ref(m), .operation = operation, .pid = pid, .fd = fd
        };
        int r = sd_event_add_io(a->event, &c->io, c->fd, EPOLLIN, on_readable, c);
        if (r < 0) {
                call_free(c);
                return r;
        }
        c->next = a->pkgcalls;
        a->pkgcalls = c;
        return 0;
}

void packages_done(struct agent *a) {
        while (a->pkgcalls) {
                struct pkgcall *c = a->pkgcalls;
                a->pkgcalls = c->next;
                call_free(c);
        }
}

/* The release of the booted root, as the root facts say, into buf ("" when unknown). */
static void booted_release(const struct agent *a, char *buf, size_t size) {
        _cleanup_free_ struct revoke_root *roots = NULL;
        size_t n = update_roots_of(a->facts.status, &roots);
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++)
                if (roots[i].booted && roots[i].release)
                        snprintf(buf, size, "%s", roots[i].release);
}

/* What every request shares: the caller's role, --from, the settings. 1 to go on, else what
 * the method returns (the call answered, or waiting for polkit). */
static int prepare(struct agent *a, sd_bus_message *m, const char *method, const char *from,
                   struct pkgjob *job, sd_bus_error *err) {
        enum authz_role role;
        int r = bus_caller_role(m, &role, &a->config);
        if (r < 0)
                return r;
        *job = (struct pkgjob) { .staff = role != ROLE_STUDENT,
                                 .conf = &a->config,
                                 .config_path = a->config_path,
                                 .state_dir = a->state_dir,
                                 .boot = &a->source };
        booted_release(a, job->release, sizeof job->release);
        if (pkg_source_parse(from, &job->from) < 0)
                return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
                                         "'%.40s' is not a source: pacman, flatpak, aur or appimage", from);
        if (job->from == PKG_AUR && !job->staff)
                return sd_bus_error_setf(err, SD_BUS_ERROR_ACCESS_DENIED,
                                         "not allowed: the AUR needs the %s or %s group",
                                         a->config.admin_group, a->config.teacher_group);
        return 1;
}

static int run(struct agent *a, sd_bus_message *m, const char *operation, struct pkgjob *job,
               sd_bus_error *err) {
        int r = start(a, m, operation, job);
        if (r < 0)
                return sd_bus_error_set_errnof(err, -r, "the %s request could not be started: %m", operation);
        return 1;
}

int packages_search(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        struct agent *a = userdata;
        const char *text, *from;
        struct pkgjob job;
        int r = sd_bus_message_read(m, "ss", &text, &from);
        if (r < 0)
                return r;
        r = prepare(a, m, "Search", from, &job, err);
        if (r != 1)
                return r;
        if (!pkg_search_valid(text))
                return sd_bus_error_set(
                        err, SD_BUS_ERROR_INVALID_ARGS,
                        "the search text must be 1 to 100 printable characters, not starting with '-'");
        char *args[] = { (char *)text, NULL };
        job.verb = PKGJOB_SEARCH;
        job.args = args;
        return run(a, m, "search", &job, err);
}

int packages_info(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        struct agent *a = userdata;
        const char *name, *from;
        enum pkg_target t;
        struct pkgjob job;
        int r = sd_bus_message_read(m, "ss", &name, &from);
        if (r < 0)
                return r;
        r = prepare(a, m, "Info", from, &job, err);
        if (r != 1)
                return r;
        if (pkg_target_parse(name, &t) < 0)
                return sd_bus_error_setf(
                        err, SD_BUS_ERROR_INVALID_ARGS,
                        "'%.100s' is not a package name, an AppImage's absolute path or its URL", name);
        char *args[] = { (char *)name, NULL };
        job.verb = PKGJOB_INFO;
        job.args = args;
        return run(a, m, "info", &job, err);
}

int packages_list(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        struct agent *a = userdata;
        const char *from;
        struct pkgjob job;
        int r = sd_bus_message_read(m, "s", &from);
        if (r < 0)
                return r;
        r = prepare(a, m, "List", from, &job, err);
        if (r != 1)
                return r;
        job.verb = PKGJOB_LIST;
        return run(a, m, "list", &job, err);
}

/* The names of an Install or Remove: 1 to PKG_NAMES_MAX, each a target (Install) or a name. */
static int check_names(char **names, bool install, sd_bus_error *err) {
        enum pkg_target t;
        if (strv_length(names) == 0 || strv_length(names) > PKG_NAMES_MAX)
                return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS, "give 1 to %d names", PKG_NAMES_MAX);
        for (char **n = names; *n; n++)
                if (install ? pkg_target_parse(*n, &t) < 0 : !pkg_name_valid(*n))
                        return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
                                                 "'%.100s' is not a package name%s", *n,
                                                 install ? ", an AppImage's absolute path or its URL" : "");
        return 1;
}

/* Install and Remove: changes, decided by authz.c (or polkit) first. */
static int change(sd_bus_message *m, struct agent *a, const char *method, enum pkgjob_verb verb,
                  sd_bus_error *err) {
        _cleanup_(strv_freep) char **names = NULL;
        const char *from;
        int yes;
        struct pkgjob job;
        int r = bus_authorize(a, m, method, err);
        if (r != 1)
                return r == 2 ? 1 : r;
        r = sd_bus_message_read_strv(m, &names);
        if (r >= 0)
                r = sd_bus_message_read(m, "sb", &from, &yes);
        if (r < 0)
                return r;
        r = prepare(a, m, method, from, &job, err);
        if (r != 1)
                return r;
        r = check_names(names, verb == PKGJOB_INSTALL, err);
        if (r != 1)
                return r;
        if (yes && !job.staff)
                return sd_bus_error_setf(err, SD_BUS_ERROR_ACCESS_DENIED,
                                         "not allowed: confirming a risky request needs the %s or %s group",
                                         a->config.admin_group, a->config.teacher_group);
        job.verb = verb;
        job.args = names;
        job.yes = yes;
        return run(a, m, verb == PKGJOB_INSTALL ? "install" : "remove", &job, err);
}

int packages_install(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        return change(m, userdata, "Install", PKGJOB_INSTALL, err);
}

int packages_remove(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        return change(m, userdata, "Remove", PKGJOB_REMOVE, err);
}
