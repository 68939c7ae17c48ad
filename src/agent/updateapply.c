/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "updateapply.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>

#include "child.h"
#include "apply.h"
#include "log.h"
#include "sandbox.h"
#include "strv.h"
#include "updatecarry.h"
#include "updatecheck.h"
#include "updatedownload.h"
#include "util.h"

/* The transaction: pacman and the initramfs, on a slow disk. */
#define TRANSACTION_TIMEOUT_MS (3600u * 1000)
#define LINE_MAX_BYTES 2048

struct updateapply {
        sd_event *event;
        const struct agent_config *conf;
        char *state_dir;
        struct rootfacts_source src;
        struct updateapply_ops ops;
        struct updatecheck *check;
        struct manifest m;
        bool have_manifest;
        struct updatecarry carry; /* what koompi install added, carried into the new root */
        char **optional; /* pacman.list: the release's optional packages taken too */
        char *text, *sig; /* the accepted manifest and its signature, kept in the new root */
        char dir[PATH_MAX];
        pid_t pid;
        int fd;
        sd_event_source *io;
        char line[LINE_MAX_BYTES];
        size_t len;
        struct download_line end; /* the child's last line */
        char file[256]; /* the file being fetched, said once in the log */
        bool ended;
        bool running_boot; /* koompi-boot runs: its end frees this */
        bool orphaned; /* freed while koompi-boot ran */
};

static json_object *error_answer(int err, bool refused, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static json_object *error_answer(int err, bool refused, const char *fmt, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                abort();
        va_end(ap);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "error", json_object_new_string(text));
        json_object_object_add(o, "errno", json_object_new_int(err < 0 ? -err : err));
        json_object_object_add(o, "refused", json_object_new_boolean(refused));
        return o;
}

static void finish(struct updateapply *a, json_object *answer) {
        json_object *e;
        if (json_object_object_get_ex(answer, "error", &e))
                log_warning("update apply: %s", json_object_get_string(e));
        a->ops.done(answer, a->ops.userdata);
}

static void fail_refusal(struct updateapply *a, const struct update_refusal *why) {
        finish(a, error_answer(why->error, update_is_refusal(why->error), "%s", why->reason));
}

static json_object *applied_answer(const struct updateapply *a, const char *root) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "version", json_object_new_string(a->m.version));
        json_object_object_add(o, "root", json_object_new_string(root));
        json_object_object_add(o, "fetched", json_object_new_int64((int64_t)a->end.fetched));
        json_object_object_add(o, "resumed", json_object_new_int64((int64_t)a->end.resumed));
        /* [update] reboot = never: the new root boots next time the machine starts. */
        json_object_object_add(o, "boots_next", json_object_new_boolean(true));
        json_object_object_add(o, "up_to_date", json_object_new_boolean(false));
        updatecarry_answer(&a->carry, o);
        return o;
}

/* What was not carried is said in the log, with why, and in one alert for the admin, by name
 * (an alert's text is cut at 200 bytes). */
static void tell_not_carried(struct updateapply *a) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t len = 0;
        if (!a->carry.not_carried)
                return;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                abort();
        fprintf(f, "release %s applied without", a->m.version);
        for (char **n = a->carry.not_carried; *n; n++) {
                log_warning("update apply: not carried: %s", *n);
                fprintf(f, "%s %.*s", n == a->carry.not_carried ? "" : ",", (int)strcspn(*n, ":"), *n);
        }
        fprintf(f, ", which koompi install added (the agent's log says why)");
        fclose(f);
        if (rootfacts_raise_alert(&a->src, "carry", text, &error) < 0)
                log_warning("update apply: the alert could not be raised: %s",
                            error ? error : "no reason given");
}

/* koompi-boot's exit status as the errno of the table koompi(1) maps. */
static int boot_errno(int r) {
        switch (r) {
        case 2:
                return -ENOENT;
        case 3:
                return -EBUSY;
        case 4:
                return -ENOSPC;
        case 6:
                return -ECHILD;
        default:
                return -EIO;
        }
}

/* koompi-boot's line of how long each part took ("1.37 s in all: command 0.39 s, ..."). */
static void log_timing(const char *out) {
        const char *line = strstr(out, " s in all: ");
        if (!line)
                return;
        while (line > out && line[-1] != '\n')
                line--;
        line += strspn(line, " ");
        log_info("update apply: koompi-boot took %.*s", (int)strcspn(line, "\n"), line);
}

static void transaction_done(int r, const char *out, const char *error, void *userdata) {
        struct updateapply *a = userdata;
        char root[256];
        a->running_boot = false;
        if (a->orphaned) {
                updateapply_free(a);
                return;
        }
        a->ops.progress("transaction", 1, 1, a->ops.userdata);
        if (r != 0) {
                finish(a,
                       error_answer(boot_errno(r), false,
                                    "koompi-boot update failed: %s; nothing was changed",
                                    error ? error : "no reason given"));
                return;
        }
        if (apply_root_from_output(out, root, sizeof root) < 0)
                snprintf(root, sizeof root, "?");
        int k = apply_record(a->state_dir, a->m.version);
        if (k < 0)
                log_errno(k, "update apply: keeping %s as the applied release failed", a->m.version);
        log_timing(out);
        log_info("update apply: %s installed in %s, which boots next", a->m.version, root);
        tell_not_carried(a);
        apply_cache_remove(a->dir);
        finish(a, applied_answer(a, root));
}

/* A list that cannot be read carries nothing: the release goes ahead, and says so. */
static void carry_prepare(struct updateapply *a) {
        char *why;
        int r = updatecarry_prepare(&a->carry, a->state_dir, &a->m, a->dir);
        if (r < 0 &&
            (asprintf(&why, "%s/packages: the lists could not be read: %s", a->state_dir, strerror(-r)) < 0 ||
             strv_consume(&a->carry.not_carried, why) < 0))
                abort();
        for (char **n = a->carry.carried; n && *n; n++)
                log_info("update apply: carrying %s into the new root", *n);
}

static void start_transaction(struct updateapply *a) {
        struct update_refusal why = { 0 };
        int r = apply_cache_verify(&a->m, a->dir, &why);
        if (r < 0)
                return fail_refusal(a, &why);
        r = apply_pacman_conf(&a->m, a->dir, SANDBOX_CACHE_DIR);
        if (r >= 0)
                r = apply_keep_manifest(a->dir, a->text, a->sig);
        if (r < 0) {
                finish(a, error_answer(r, false, "writing into %s failed: %s", a->dir, strerror(-r)));
                return;
        }
        carry_prepare(a);
        _cleanup_free_ char *pac = apply_command(SANDBOX_CACHE_DIR, &a->m),
                            *cmd = apply_keep_command(pac, SANDBOX_CACHE_DIR),
                            *carried = updatecarry_command(&a->carry, cmd, SANDBOX_CACHE_DIR);
        const char *argv[] = { "update",         "--run", carried ? carried : cmd,
                               "--pacman-cache", a->dir,  "--release",
                               a->m.version,     NULL };
        a->ops.progress("transaction", 0, 1, a->ops.userdata);
        r = rootfacts_call(a->event, &a->src, argv, transaction_done, a);
        if (r < 0) {
                finish(a, error_answer(r, false, "koompi-boot could not be run: %s", strerror(-r)));
                return;
        }
        a->running_boot = true;
}

/* One line of the child. */
static void child_line(struct updateapply *a, const char *text) {
        struct download_line l;
        if (updatedownload_parse(text, &l) < 0)
                return;
        if (l.done) {
                a->end = l;
                a->ended = true;
                return;
        }
        if (!streq(l.file, a->file)) {
                snprintf(a->file, sizeof a->file, "%s", l.file);
                log_info("update apply: fetching %s", l.file);
        }
        a->ops.progress(l.file, l.have, l.total, a->ops.userdata);
}

static void child_ended(struct updateapply *a) {
        a->io = sd_event_source_disable_unref(a->io);
        closep(&a->fd);
        if (a->pid > 0) {
                kill(a->pid, SIGKILL);
                waitpid(a->pid, NULL, 0);
                a->pid = 0;
        }
        if (!a->ended) {
                finish(a, error_answer(-EIO, false, "the download stopped without saying why"));
                return;
        }
        log_info("update apply: %llu bytes fetched, %llu kept from before",
                 (unsigned long long)a->end.fetched, (unsigned long long)a->end.resumed);
        if (a->end.error < 0) {
                struct update_refusal why = { .error = a->end.error };
                snprintf(why.reason, sizeof why.reason, "%s", a->end.reason);
                return fail_refusal(a, &why);
        }
        start_transaction(a);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct updateapply *a = userdata;
        ssize_t n = read(fd, a->line + a->len, sizeof a->line - 1 - a->len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) {
                child_ended(a);
                return 0;
        }
        a->len += (size_t)n;
        a->line[a->len] = '\0';
        char *start = a->line, *nl;
        while ((nl = strchr(start, '\n'))) {
                *nl = '\0';
                child_line(a, start);
                start = nl + 1;
        }
        a->len -= (size_t)(start - a->line);
        memmove(a->line, start, a->len);
        if (a->len == sizeof a->line - 1)
                a->len = 0; /* no line is that long: dropped */
        return 0;
}

static int start_child(struct updateapply *a) {
        const struct download_request req = { .user = a->conf->update_user,
                                              .mirrors = a->conf->update_mirrors,
                                              .manifest = updatecheck_accepted(a->check),
                                              .optional = a->optional,
                                              .dir = a->dir,
                                              .max_rate = a->conf->update_max_rate };
        int fd;
        pid_t pid = child_fork(&fd);
        if (pid == 0)
                updatedownload_child(3, &req);
        if (pid < 0)
                return pid;
        a->pid = pid;
        a->fd = fd;
        return sd_event_add_io(a->event, &a->io, a->fd, EPOLLIN, on_readable, a);
}

/* The accepted manifest, its cache folder made for the download's user. */
static int prepare(struct updateapply *a, struct update_refusal *why) {
        a->text = strdup_or_die(updatecheck_accepted(a->check));
        a->sig = strdup_or_die(updatecheck_accepted_signature(a->check));
        int r = manifest_parse(a->text, strlen(a->text), &a->m, why);
        if (r < 0)
                return r;
        a->have_manifest = true;
        r = apply_repo_check(&a->m, why);
        if (r < 0)
                return r;
        /* A list that cannot be read takes no optional package; carry_prepare() says why. */
        if (updatecarry_optional_names(a->state_dir, a->conf->packages.pacman_root, &a->optional) < 0)
                a->optional = NULL;
        manifest_drop_optional(&a->m, a->optional);
        r = apply_cache_path(a->state_dir, a->m.version, a->dir, sizeof a->dir);
        struct passwd *pw = r < 0 ? NULL : getpwnam(a->conf->update_user);
        if (r >= 0 && !pw)
                return update_refuse(why, -ESRCH, "no user %s ([update] user) to download with",
                                     a->conf->update_user);
        if (r >= 0)
                r = apply_cache_prepare(a->dir, geteuid() == 0 ? pw->pw_uid : geteuid(),
                                        geteuid() == 0 ? pw->pw_gid : getegid());
        return r < 0
                ? update_refuse(why, r, "the cache folder %s could not be made: %s", a->dir, strerror(-r))
                : 0;
}

static bool answer_bool(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static const char *answer_str(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* Whether the check's answer says this release is already this machine's. */
static bool up_to_date(json_object *check) {
        const char *cur = answer_str(check, "current"), *ver = answer_str(check, "version");
        return cur && ver && streq(cur, ver);
}

static void on_checked(json_object *check, void *userdata) {
        struct updateapply *a = userdata;
        struct update_refusal why = { 0 };
        json_object *answer = NULL;
        if (answer_str(check, "error"))
                answer = error_answer(answer_bool(check, "refused") ? -EBADMSG : -EIO,
                                      answer_bool(check, "refused"), "%s", answer_str(check, "error"));
        else if (up_to_date(check)) {
                answer = json_object_new_object();
                json_object_object_add(answer, "version",
                                       json_object_new_string(answer_str(check, "version")));
                json_object_object_add(answer, "up_to_date", json_object_new_boolean(true));
        } else if (!answer_bool(check, "eligible"))
                answer = error_answer(-ECANCELED, false, "%s is not taken now: %s",
                                      answer_str(check, "version"), answer_str(check, "reason"));
        else if (prepare(a, &why) < 0)
                answer = error_answer(why.error, update_is_refusal(why.error), "%s", why.reason);
        else {
                int r = start_child(a);
                if (r < 0)
                        answer =
                                error_answer(r, false, "the download could not be started: %s", strerror(-r));
                else if (a->ops.taken)
                        a->ops.taken(a->m.version, a->ops.userdata);
        }
        json_object_put(check);
        updatecheck_free(a->check);
        a->check = NULL;
        if (answer)
                finish(a, answer);
}

int updateapply_start(struct updateapply **ret, sd_event *e, const struct agent_config *conf,
                      const char *state_dir, const struct rootfacts_source *src,
                      const struct updateapply_ops *ops) {
        struct updateapply *a = xmalloc(sizeof *a);
        *a = (struct updateapply) { .event = e,
                                    .conf = conf,
                                    .state_dir = strdup_or_die(state_dir),
                                    .src = *src,
                                    .ops = *ops,
                                    .fd = -1 };
        a->src.timeout_ms = TRANSACTION_TIMEOUT_MS;
        int r = updatecheck_start(&a->check, e, conf, state_dir, on_checked, a);
        if (r < 0) {
                updateapply_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

void updateapply_free(struct updateapply *a) {
        if (!a)
                return;
        if (a->running_boot) {
                a->orphaned = true; /* freed when koompi-boot ends */
                return;
        }
        updatecheck_free(a->check);
        sd_event_source_disable_unref(a->io);
        if (a->pid > 0) {
                kill(a->pid, SIGKILL);
                waitpid(a->pid, NULL, 0);
        }
        closep(&a->fd);
        if (a->have_manifest)
                manifest_free(&a->m);
        updatecarry_free(&a->carry);
        strv_free(a->optional);
        free(a->text);
        free(a->sig);
        free(a->state_dir);
        free(a);
}
