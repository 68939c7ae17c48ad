/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "apply.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "show.h"

#define BAR_WIDTH 30

struct watch {
        FILE *f;
        bool tty;
        char last_step[256];
        bool bar_open; /* a bar line is drawn, not ended */
};

static json_object *member(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void draw_bar(struct watch *w, const char *step, uint32_t done, uint32_t total) {
        unsigned filled = total ? (unsigned)((uint64_t)done * BAR_WIDTH / total) : 0;
        char bar[BAR_WIDTH + 1];
        memset(bar, '#', filled);
        memset(bar + filled, ' ', BAR_WIDTH - filled);
        bar[BAR_WIDTH] = '\0';
        fprintf(w->f, "\r[%s] %3u %% %7.1f of %.1f MiB  %-40.40s", bar,
                total ? (unsigned)((uint64_t)done * 100 / total) : 0, done / 1024.0, total / 1024.0, step);
        w->bar_open = true;
}

/* A line for each new step; on a terminal, the bar in between. */
static void show_progress(struct watch *w, const char *step, uint32_t done, uint32_t total) {
        bool transaction = strcmp(step, "transaction") == 0;
        if (transaction || strcmp(step, w->last_step) != 0) {
                if (w->bar_open)
                        fputc('\n', w->f);
                w->bar_open = false;
                snprintf(w->last_step, sizeof w->last_step, "%s", step);
                if (transaction && done == 0)
                        fprintf(w->f,
                                "installing: a new root with the release's packages (koompi-boot update)\n");
                else if (!transaction && !w->tty)
                        fprintf(w->f, "downloading %s (%" PRIu32 " of %" PRIu32 " KiB done)\n", step, done,
                                total);
        }
        if (!transaction && w->tty)
                draw_bar(w, step, done, total);
        fflush(w->f);
}

static int on_progress(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        const char *operation, *step;
        uint32_t done, total;
        if (sd_bus_message_read(m, "ssuu", &operation, &step, &done, &total) < 0 ||
            strcmp(operation, "update") != 0)
                return 0;
        show_progress(userdata, step, done, total);
        return 0;
}

int update_apply_code(json_object *answer) {
        if (!member(answer, "error"))
                return KOOMPI_EXIT_OK;
        if (json_object_get_boolean(member(answer, "refused")))
                return KOOMPI_EXIT_REFUSED;
        return koompi_exit_from_errno(json_object_get_int(member(answer, "errno")));
}

/* What to do after each kind of failure. */
static const char *advice(json_object *answer) {
        switch (update_apply_code(answer)) {
        case KOOMPI_EXIT_REFUSED:
                return "nothing was installed; tell whoever publishes the releases (the mirror may be "
                       "tampered with or out of date)";
        case KOOMPI_EXIT_NOT_ALLOWED:
                return "nothing was installed; koompi update check says when this machine takes it";
        case KOOMPI_EXIT_NO_ROOM:
                return "nothing was installed; free some space (koompi-boot prune removes old roots) and "
                       "try again";
        default:
                return "nothing was installed; what was downloaded is kept, koompi update apply again "
                       "continues where it stopped";
        }
}

void show_update_apply(FILE *f, json_object *answer) {
        if (member(answer, "error")) {
                fprintf(f, "Not applied: %s\n", show_str(answer, "error", ""));
                fprintf(f, "What now:    %s\n", advice(answer));
                return;
        }
        if (json_object_get_boolean(member(answer, "up_to_date"))) {
                fprintf(f, "Up to date:  %s is this machine's release\n", show_str(answer, "version", "?"));
                return;
        }
        fprintf(f, "Applied:     %s in the new root %s\n", show_str(answer, "version", "?"),
                show_str(answer, "root", "?"));
        fprintf(f, "Downloaded:  %" PRId64 " bytes (%" PRId64 " already there)\n",
                json_object_get_int64(member(answer, "fetched")),
                json_object_get_int64(member(answer, "resumed")));
        fprintf(f,
                "Next start:  the machine starts %s next time; the running system is unchanged until then\n",
                show_str(answer, "root", "?"));
}

int update_apply(struct koompi_bus *b, bool json, FILE *err) {
        struct watch w = { .f = err, .tty = isatty(fileno(err)) };
        sd_bus_message *reply = NULL;
        sd_bus_slot *slot = NULL;
        const char *text;
        json_object *o;
        int r = sd_bus_match_signal(b->bus, &slot, NULL, "/org/koompi/Agent1", "org.koompi.Agent1",
                                    "Progress", on_progress, &w);
        if (r < 0)
                fprintf(err, "koompi: the progress cannot be followed (%s); waiting for the outcome\n",
                        strerror(-r));
        b->dispatch = true;
        int code = kbus_call(b, "UpdateApply", &reply, NULL);
        sd_bus_slot_unref(slot);
        if (w.bar_open)
                fputc('\n', err);
        if (code != KOOMPI_EXIT_OK)
                return code;
        if (sd_bus_message_read(reply, "s", &text) < 0 || !(o = json_tokener_parse(text))) {
                sd_bus_message_unref(reply);
                fprintf(stderr, "koompi: koompi-agent answered UpdateApply with no JSON object\n");
                return KOOMPI_EXIT_FAILED;
        }
        if (json)
                printf("%s\n",
                       json_object_to_json_string_ext(
                               o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        else
                show_update_apply(stdout, o);
        code = update_apply_code(o);
        json_object_put(o);
        sd_bus_message_unref(reply);
        return code;
}
