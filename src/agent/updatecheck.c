/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "updatecheck.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

#include "child.h"
#include "fetchanswer.h"
#include "rollout.h"
#include "strv.h"
#include "updatefetch.h"
#include "util.h"

/* The child's answer carries a manifest of at most MANIFEST_MAX_BYTES, escaped. */
#define ANSWER_MAX (8 * MANIFEST_MAX_BYTES)
#define CHECK_TIMEOUT_US (330ULL * 1000000)

struct updatecheck {
        sd_event_source *io, *timer;
        pid_t pid;
        int fd;
        char *answer;
        size_t len;
        char *accepted; /* the manifest's text, once judged good here */
        char *accepted_sig; /* and its signature's */
        struct update_trust trust;
        struct minisign_pubkey *keys;
        const struct agent_config *conf;
        char *state_dir;
        char *current; /* the booted root's release, when the caller knows it */
        updatecheck_done_t done;
        void *userdata;
};

const char *updatecheck_accepted(const struct updatecheck *u) {
        return u->accepted;
}

const char *updatecheck_accepted_signature(const struct updatecheck *u) {
        return u->accepted_sig;
}

char *updatecheck_current_release(const char *state_dir) {
        char path[PATH_MAX], line[128];
        snprintf(path, sizeof path, "%s/update/current", state_dir);
        if (read_line_file(path, line, sizeof line) < 0 || !line[0])
                return NULL;
        return strdup_or_die(line);
}

static json_object *error_json(const char *reason, bool refused) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "error", json_object_new_string(reason));
        json_object_object_add(o, "refused", json_object_new_boolean(refused));
        return o;
}

static void add_string(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

static void add_time(json_object *o, const char *key, int64_t t) {
        char buf[32];
        update_time_format(t, buf, sizeof buf);
        add_string(o, key, buf);
}

/* This machine's decision on m, into o. */
static void add_decision(json_object *o, const struct updatecheck *u, const struct manifest *m,
                         const char *current) {
        uint8_t app_id[ROLLOUT_APP_ID_BYTES];
        enum rollout_ring ring = RING_NORMAL;
        struct rollout_decision d;
        int r = rollout_app_id_file(u->conf->update_machine_id_file, app_id);
        (void)rollout_ring_parse(u->conf->update_ring, &ring);
        struct rollout_terms t = { .version = m->version,
                                   .current = current,
                                   .tier = m->tier,
                                   .percent = m->percent,
                                   .paused = m->paused,
                                   .approved = update_approved(u->state_dir, m->version),
                                   .ring = ring };
        rollout_decide(&t, r < 0 ? 0 : rollout_bucket(app_id, m->version), &d);
        if (r < 0 && t.tier != TIER_SECURITY) {
                d.eligible = false;
                snprintf(d.reason, sizeof d.reason,
                         "waiting: %s holds no machine-id, so this machine has no bucket",
                         u->conf->update_machine_id_file);
        }
        json_object_object_add(o, "bucket", r < 0 ? NULL : json_object_new_int((int)d.bucket));
        json_object_object_add(o, "eligible", json_object_new_boolean(d.eligible));
        add_string(o, "reason", d.reason);
}

static json_object *accepted_json(const struct updatecheck *u, const struct manifest *m, const char *mirror) {
        json_object *o = json_object_new_object();
        _cleanup_free_ char *current =
                u->current ? strdup_or_die(u->current) : updatecheck_current_release(u->state_dir);
        add_string(o, "channel", m->channel);
        add_string(o, "mirror", mirror);
        add_string(o, "current", current);
        add_string(o, "version", m->version);
        add_string(o, "tier", update_tier_name(m->tier));
        json_object_object_add(o, "serial", json_object_new_int64((int64_t)m->serial));
        add_time(o, "issued", m->issued);
        add_time(o, "expires", m->expires);
        json_object_object_add(o, "percent", json_object_new_int((int)m->percent));
        json_object_object_add(o, "paused", json_object_new_boolean(m->paused));
        add_decision(o, u, m, current);
        json_object_object_add(o, "revoked_current", json_object_new_boolean(manifest_revokes(m, current)));
        json_object *revoked = json_object_new_array();
        for (char **v = m->revoked; v && *v; v++)
                json_object_array_add(revoked, json_object_new_string(*v));
        json_object_object_add(o, "revoked", revoked);
        add_string(o, "notes", m->notes);
        return o;
}

/* The child's answer judged again: the manifest from its signature on, as if fetched here. */
static json_object *judge(struct updatecheck *u, const char *answer) {
        struct update_refusal why = { 0 };
        struct fetch_answer a;
        int r = fetch_answer_judge(&u->trust, answer, &a, &why);
        if (r == -ENODATA)
                return error_json("the check gave no answer (it timed out or failed)", false);
        if (r < 0)
                return error_json(why.reason[0] ? why.reason : "the check gave no answer",
                                  update_is_refusal(r));
        struct channel_state s = { .serial = a.manifest.serial, .issued = a.manifest.issued };
        snprintf(s.version, sizeof s.version, "%s", a.manifest.version);
        memcpy(s.sha256, a.sha256, sizeof s.sha256);
        r = update_state_save(u->state_dir, a.manifest.channel, &s);
        json_object *o = r < 0 ? error_json("the accepted serial could not be saved", false)
                               : accepted_json(u, &a.manifest, a.mirror);
        if (r >= 0) {
                free(u->accepted);
                free(u->accepted_sig);
                u->accepted = a.text;
                u->accepted_sig = a.signature;
                a.text = a.signature = NULL;
        }
        fetch_answer_free(&a);
        return o;
}

static void finish(struct updatecheck *u) {
        json_object *answer;
        u->io = sd_event_source_disable_unref(u->io);
        u->timer = sd_event_source_disable_unref(u->timer);
        if (u->pid > 0) {
                kill(u->pid, SIGKILL);
                waitpid(u->pid, NULL, 0);
                u->pid = 0;
        }
        answer = u->answer ? judge(u, u->answer)
                           : error_json("the check gave no answer (it timed out or failed)", false);
        u->done(answer, u->userdata);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct updatecheck *u = userdata;
        char buf[16384];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n > 0 && u->len + (size_t)n <= ANSWER_MAX) {
                char *grown = realloc(u->answer, u->len + (size_t)n + 1);
                if (!grown)
                        abort();
                memcpy(grown + u->len, buf, (size_t)n);
                u->len += (size_t)n;
                grown[u->len] = '\0';
                u->answer = grown;
                return 0;
        }
        if (n > 0) { /* more than any answer: not one */
                free(u->answer);
                u->answer = NULL;
        }
        finish(u);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct updatecheck *u = userdata;
        free(u->answer);
        u->answer = NULL;
        finish(u);
        return 0;
}

/* What the judgement rests on, read with root before the child starts: the keys, the
 * channel's state, the times. */
static void load_trust(struct updatecheck *u) {
        size_t n = 0;
        struct channel_state last = { 0 };
        if (minisign_keys_load(u->conf->update_keys_dir, &u->keys, &n) < 0)
                n = 0; /* no folder: no trusted key, and every manifest is refused for it */
        if (update_state_load(u->state_dir, u->conf->update_channel, &last) < 0)
                last = (struct channel_state) { 0 };
        u->trust = (struct update_trust) { .channel = u->conf->update_channel,
                                           .keys = u->keys,
                                           .n_keys = n,
                                           .last = last,
                                           .now = (int64_t)time(NULL),
                                           .build_time = update_build_time() };
}

static int start_child(struct updatecheck *u) {
        static const struct fetch_limits lim = { .max_bytes = MANIFEST_MAX_BYTES,
                                                 .connect_timeout_s = 15,
                                                 .stall_timeout_s = 30,
                                                 .total_timeout_s = 120 };
        int fd;
        pid_t pid = child_fork(&fd);
        if (pid == 0)
                updatefetch_child(3, u->conf->update_user, u->conf->update_mirrors, &u->trust, &lim);
        if (pid < 0)
                return pid;
        u->pid = pid;
        u->fd = fd;
        return 0;
}

int updatecheck_start(struct updatecheck **ret, sd_event *e, const struct agent_config *conf,
                      const char *state_dir, updatecheck_done_t done, void *userdata) {
        struct updatecheck *u = xmalloc(sizeof *u);
        *u = (struct updatecheck) { .fd = -1,
                                    .conf = conf,
                                    .state_dir = strdup_or_die(state_dir),
                                    .done = done,
                                    .userdata = userdata };
        load_trust(u);
        int r = start_child(u);
        if (r >= 0)
                r = sd_event_add_io(e, &u->io, u->fd, EPOLLIN, on_readable, u);
        if (r >= 0)
                r = sd_event_add_time_relative(e, &u->timer, CLOCK_MONOTONIC, CHECK_TIMEOUT_US, 0, on_timeout,
                                               u);
        if (r < 0) {
                updatecheck_free(u);
                return r;
        }
        *ret = u;
        return 0;
}

void updatecheck_set_current(struct updatecheck *u, const char *release) {
        free(u->current);
        u->current = release && *release ? strdup_or_die(release) : NULL;
}

void updatecheck_free(struct updatecheck *u) {
        if (!u)
                return;
        sd_event_source_disable_unref(u->io);
        sd_event_source_disable_unref(u->timer);
        if (u->pid > 0) {
                kill(u->pid, SIGKILL);
                waitpid(u->pid, NULL, 0);
        }
        if (u->fd >= 0)
                close(u->fd);
        free(u->answer);
        free(u->accepted);
        free(u->accepted_sig);
        free(u->keys);
        free(u->state_dir);
        free(u->current);
        free(u);
}
