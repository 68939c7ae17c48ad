/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* history and alerts: the ledger, read and acknowledged. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "context.h"
#include "log.h"
#include "print.h"
#include "util.h"
#include "verbs.h"

#define HISTORY_DEFAULT 20

int verb_history(struct context *c) {
        struct ledger l;
        char when[32];
        int r;

        ledger_init(&l);
        r = ctx_ledger_load(c, &l, false);
        if (r != 0) {
                ledger_free(&l);
                return r;
        }
        size_t n = c->o->has_limit ? c->o->limit : c->o->json ? l.n_boots : HISTORY_DEFAULT;
        size_t from = l.n_boots > n ? l.n_boots - n : 0;

        if (c->o->json) {
                printf("{\"boots\":[");
                for (size_t i = from; i < l.n_boots; i++) {
                        printf("%s", i > from ? "," : "");
                        json_boot(&l.boots[i]);
                }
                printf("],\"marks\":[");
                for (size_t i = 0; i < l.n_marks; i++) {
                        const struct ledger_mark *m = &l.marks[i];
                        printf("%s{\"boot\":%" PRIu64 ",\"time\":%" PRIu64 ",\"root\":", i ? "," : "",
                               m->boot, m->time);
                        json_str(m->root);
                        printf(",\"action\":\"%s\",\"note\":", ledger_mark_action_to_string(m->action));
                        json_str(m->note);
                        printf("}");
                }
                printf("],\"ledger\":");
                json_str(c->ledger);
                printf(",\"recovered\":%u}\n", l.recovered);
                ledger_free(&l);
                return 0;
        }

        if (l.n_boots == 0)
                printf("no boots recorded in %s\n", c->ledger);
        else
                printf("%-5s %-16s %-22s %-26s %-12s %-11s %s\n", "BOOT", "TIME", "ROOT", "ENTRY", "STAGE",
                       "OUTCOME", "NOTE");
        for (size_t i = from; i < l.n_boots; i++) {
                const struct ledger_boot *b = &l.boots[i];
                format_time(b->time, when, sizeof when);
                printf("%-5" PRIu64 " %-16s %-22s %-26s %-12s %-11s %s\n", b->seq, when, b->root,
                       *b->entry ? b->entry : "-", ledger_stage_to_string(b->stage),
                       ledger_outcome_to_string(b->outcome), b->note);
        }
        for (size_t i = 0; i < l.n_marks; i++) {
                const struct ledger_mark *m = &l.marks[i];
                format_time(m->time, when, sizeof when);
                printf("mark after boot #%" PRIu64 " (%s): %s %s%s%s\n", m->boot, when, m->root,
                       ledger_mark_action_to_string(m->action), *m->note ? ": " : "", m->note);
        }
        ledger_free(&l);
        return 0;
}

int verb_alerts_ack(struct context *c) {
        const char *arg = c->o->n_args > 0 ? c->o->args[0] : NULL;
        uint64_t seq = 0;
        struct ledger l;
        int r;

        if (arg) {
                char *end;
                errno = 0;
                unsigned long long v = strtoull(arg, &end, 10);
                if (errno || *end || !*arg || *arg == '-' || v == 0) {
                        log_error("\"%s\" is not an alert number (see koompi-boot alerts)", arg);
                        return -EINVAL;
                }
                seq = v;
        }
        ledger_init(&l);
        r = ctx_ledger_load(c, &l, true);
        if (r != 0)
                goto out;
        r = ledger_ack_alerts(&l, seq);
        if (r == -ENOENT) {
                log_error("there is no alert #%" PRIu64 " in %s (see koompi-boot alerts)", seq, c->ledger);
                r = -ENOENT;
                goto out;
        }
        if (r < 0) {
                log_errno(r, "acknowledging failed");
                r = -EIO;
                goto out;
        }
        if (r == 0) {
                printf(seq ? "alert #%" PRIu64 " was already acknowledged\n" : "no alert to acknowledge\n",
                       seq);
                r = 0;
                goto out;
        }
        int n = r;
        r = ctx_ledger_save(c, &l);
        if (r == 0)
                printf("%d alert%s acknowledged\n", n, n == 1 ? "" : "s");
out:
        ledger_free(&l);
        return r;
}

int verb_alerts(struct context *c) {
        struct ledger l;
        char when[32];
        int r;

        ledger_init(&l);
        r = ctx_ledger_load(c, &l, false);
        if (r != 0) {
                ledger_free(&l);
                return r;
        }
        if (c->o->json) {
                printf("{\"alerts\":[");
                for (size_t i = 0; i < l.n_alerts; i++) {
                        printf("%s", i ? "," : "");
                        json_alert(&l.alerts[i]);
                }
                printf("],\"unacknowledged\":%zu}\n", ledger_count_unacked(&l));
        } else if (l.n_alerts == 0)
                printf("no alerts\n");
        else
                for (size_t i = 0; i < l.n_alerts; i++) {
                        const struct ledger_alert *a = &l.alerts[i];
                        format_time(a->time, when, sizeof when);
                        printf("#%-4" PRIu64 " %s %-5s %s: %s\n", a->seq, when, a->acked ? "acked" : "NEW",
                               a->kind, a->message);
                }
        ledger_free(&l);
        return 0;
}

int verb_alerts_raise(struct context *c) {
        const char *kind = c->o->args[0], *message = c->o->args[1];
        struct ledger l;
        uint64_t seq = 0;
        int r;

        if (!*kind || strpbrk(kind, " \t\n") || !*message) {
                log_error("an alert needs a kind (one word, e.g. health) and a message");
                return -EINVAL;
        }
        ledger_init(&l);
        r = ctx_ledger_load(c, &l, true);
        if (r != 0)
                goto out;
        r = ledger_add_alert(&l, (uint64_t)time(NULL), kind, message, &seq);
        if (r < 0) {
                log_errno(r, "adding the alert failed");
                r = -EIO;
                goto out;
        }
        bool added = r > 0;
        r = added ? ctx_ledger_save(c, &l) : 0;
        if (r == 0)
                printf(added ? "alert #%" PRIu64 " raised\n" : "alert #%" PRIu64 " was already raised\n",
                       seq);
out:
        ledger_free(&l);
        return r;
}
