/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* status and list: the view of the roots (rootview.h) for people and in JSON, with this boot's
 * record, an interrupted transaction, the alerts and the last boots. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstate.h"
#include "context.h"
#include "esp.h"
#include "journal.h"
#include "log.h"
#include "print.h"
#include "rootrelease.h"
#include "util.h"
#include "verbs.h"
#include "view.h"

#define STATUS_BOOTS 5

/* What status and list show: the view, and beside it this boot's record and the journal. */
struct status {
        struct root_view v;
        bool have_roots, have_esp, esp_read_only;
        struct boot_state boot;
        int boot_error;
        struct journal journal;
        int journal_error; /* 0 when there is one, -ENOENT when none, else unreadable */
        int pins_error;
};

static void status_free(struct status *st) {
        root_view_free(&st->v);
        if (st->boot_error == 0)
                boot_state_free(&st->boot);
        if (st->journal_error == 0)
                journal_free(&st->journal);
}

/* Nothing here fails the verb: what cannot be read is shown as unknown. */
static int status_gather(struct context *c, struct status *st) {
        *st = (struct status) { .boot_error = -ENOENT, .journal_error = -ENOENT };
        st->boot_error = boot_state_load(c->o->state, &st->boot);
        if (st->boot_error < 0)
                boot_state_free(&st->boot);
        st->have_esp = ctx_need_esp(c) == 0;
        st->esp_read_only = st->have_esp && esp_check_writable(c->esp) == -EROFS;
        if (st->esp_read_only)
                esp_readonly_explain(c->esp, NULL);
        bool top = ctx_need_top(c) == 0;
        int r = admin_view_gather(c, &st->v, &st->pins_error);
        if (r < 0)
                return log_errno(r, "gathering the roots failed");
        st->have_roots = top && st->v.roots_error == 0;
        if (top && st->v.roots_error < 0)
                log_errno(st->v.roots_error, "listing the root snapshots under %s failed", c->top);
        if (st->have_esp && st->v.esp_error < 0)
                log_errno(st->v.esp_error, "reading the entries on %s failed", c->esp);
        st->journal_error = journal_load(c, &st->journal);
        if (st->v.ledger.recovered > 0)
                log_warning("the ledger %s had %u damaged line%s; they were skipped", c->ledger,
                            st->v.ledger.recovered, st->v.ledger.recovered == 1 ? "" : "s");
        return 0;
}

static const char *state_text(const struct root_view_root *r, char *buf, size_t size) {
        const struct root_verdict *v = &r->verdict;
        const char *what = r->state == ROOT_IN_TRIAL ? "in trial" : "untested";
        if (!r->info.read_only)
                snprintf(buf, size, "not read-only");
        else if (r->state != ROOT_IN_TRIAL && r->state != ROOT_UNTESTED)
                snprintf(buf, size, "%s", root_state_to_string(r->state));
        else if (v->tries_left >= 0)
                snprintf(buf, size, "%s, %d %s left", what, v->tries_left,
                         v->tries_left == 1 ? "try" : "tries");
        else
                snprintf(buf, size, "%s", what);
        return buf;
}

static void json_str_or_null(const char *s) {
        if (s && *s)
                json_str(s);
        else
                printf("null");
}

void json_boot(const struct ledger_boot *b) {
        printf("{\"seq\":%" PRIu64 ",\"time\":%" PRIu64 ",\"entry\":", b->seq, b->time);
        json_str(b->entry);
        printf(",\"root\":");
        json_str(b->root);
        printf(",\"uuid\":");
        json_str(b->uuid);
        printf(",\"stage\":\"%s\",\"outcome\":\"%s\",\"note\":", ledger_stage_to_string(b->stage),
               ledger_outcome_to_string(b->outcome));
        json_str(b->note);
        printf("}");
}

void json_alert(const struct ledger_alert *a) {
        printf("{\"seq\":%" PRIu64 ",\"time\":%" PRIu64 ",\"kind\":", a->seq, a->time);
        json_str(a->kind);
        printf(",\"message\":");
        json_str(a->message);
        printf(",\"acked\":%s}", a->acked ? "true" : "false");
}

struct tl_ctx {
        bool json, first;
};

static void timeline_cb(const char *stage, uint64_t ms, void *ud) {
        struct tl_ctx *t = ud;
        if (t->json) {
                printf("%s{\"stage\":", t->first ? "" : ",");
                json_str(stage);
                printf(",\"ms\":%" PRIu64 "}", ms);
        } else
                printf("  %-12s %8" PRIu64 "\n", stage, ms);
        t->first = false;
}

/* What an interrupted transaction was, for people: "an update", "a deletion", ... */
static const char *journal_what(const struct journal *j) {
        if (streq(j->op, "update"))
                return "an update";
        if (streq(j->op, "snapshot"))
                return "a snapshot";
        if (streq(j->op, "delete"))
                return "a deletion";
        return "a rollback";
}

static void json_booted(const struct status *st) {
        const struct boot_state *b = &st->boot;
        bool have = st->boot_error == 0;

        printf("{\"booted\":{\"snapshot\":");
        json_str_or_null(have ? b->snapshot : NULL);
        printf(",\"entry\":");
        json_str_or_null(have ? b->entry : NULL);
        printf(",\"counting\":%s,\"fallback\":%s,\"ledger_seq\":", have && b->counting ? "true" : "false",
               have && b->fallback ? "true" : "false");
        if (have && b->ledger_seq)
                printf("%" PRIu64, b->ledger_seq);
        else
                printf("null");
        printf(",\"luks_device\":");
        json_str_or_null(have ? b->luks_device : NULL);
        printf(",\"root_device\":");
        json_str_or_null(have ? b->root_device : NULL);
        printf(",\"init\":");
        json_str_or_null(have ? b->init : NULL);
        if (have && b->has_keyslot)
                printf(",\"keyslot\":%ld", b->keyslot);
        else
                printf(",\"keyslot\":null");
        printf(",\"prompt_ms\":%" PRIu64 "}", have ? b->prompt_ms : 0);
}

static void json_default(const struct root_view *v) {
        printf(",\"default\":{\"pattern\":");
        json_str_or_null(v->next_pattern);
        printf(",\"source\":");
        json_str_or_null(v->next_source);
        printf(",\"entry\":");
        json_str_or_null(v->next_entry >= 0 ? v->entries[v->next_entry].file : NULL);
        printf(",\"snapshot\":");
        json_str_or_null(v->next >= 0 ? v->roots[v->next].info.name : NULL);
        printf("}");
}

/* The release r was made from, "" when unknown (rootrelease.h). */
static void root_release_of(struct context *c, const struct root_view_root *r, char *buf, size_t size) {
        char dir[PATH_MAX];
        buf[0] = '\0';
        if (admin_root_path(c, r->info.name, dir, sizeof dir) == 0)
                (void)root_release_read(dir, buf, size);
}

static void json_snapshot(struct context *c, const struct status *st, const struct root_view_root *r) {
        const struct ledger_boot *lb = ledger_last_boot_of(&st->v.ledger, r->info.name);
        bool booted = st->boot_error == 0 && streq(st->boot.snapshot, r->info.name);
        char release[ROOT_RELEASE_MAX];

        printf("{\"name\":");
        json_str(r->info.name);
        printf(",\"state\":\"%s\",\"state_from\":\"%s\",\"booted\":%s,\"read_only\":%s,\"entry\":",
               root_state_to_string(r->state), root_state_why_to_string(r->verdict.why),
               booted ? "true" : "false", r->info.read_only ? "true" : "false");
        json_str_or_null(r->entry);
        if (r->verdict.tries_left >= 0)
                printf(",\"tries_left\":%d", r->verdict.tries_left);
        else
                printf(",\"tries_left\":null");
        printf(",\"failures\":%u,\"generation\":%" PRIu64 ",\"created\":%" PRId64 ",\"pinned\":%s,\"uuid\":",
               r->verdict.failures, r->info.otransid, r->info.otime, r->policy.pinned ? "true" : "false");
        json_str_or_null(r->info.uuid);
        root_release_of(c, r, release, sizeof release);
        printf(",\"release\":");
        json_str_or_null(release);
        printf(",\"last_boot\":");
        if (lb)
                json_boot(lb);
        else
                printf("null");
        printf("}");
}

static void json_snapshots(struct context *c, const struct status *st) {
        const struct root_view *v = &st->v;

        printf(",\"snapshots\":[");
        for (size_t i = 0; i < v->n_roots; i++) {
                printf("%s", i ? "," : "");
                json_snapshot(c, st, &v->roots[i]);
        }
        printf("],\"pinned\":[");
        bool first = true;
        for (size_t i = 0; i < v->n_roots; i++)
                if (v->roots[i].policy.pinned) {
                        printf("%s", first ? "" : ",");
                        json_str(v->roots[i].info.name);
                        first = false;
                }
        printf("]");
}

static void json_transaction(const struct status *st) {
        const struct journal *j = &st->journal;

        printf(",\"transaction\":");
        if (st->journal_error == -ENOENT) {
                printf("null");
                return;
        }
        if (st->journal_error < 0) {
                printf("{\"op\":null,\"step\":null,\"roots\":[],\"from\":null,\"error\":");
                json_str(strerror(-st->journal_error));
                printf("}");
                return;
        }
        printf("{\"op\":");
        json_str(j->op);
        printf(",\"step\":");
        json_str_or_null(j->step);
        printf(",\"roots\":[");
        if (streq(j->op, "delete"))
                for (char **p = j->roots; p && *p; p++) {
                        printf("%s", p == j->roots ? "" : ",");
                        json_str(*p);
                }
        else
                json_str(j->root);
        printf("],\"from\":");
        json_str_or_null(j->from);
        printf(",\"error\":null}");
}

static void json_ledger(struct context *c, const struct status *st) {
        const struct ledger *l = &st->v.ledger;
        const struct ledger_boot *g = st->v.last_good_boot;

        printf(",\"last_good\":");
        if (g) {
                printf("{\"snapshot\":");
                json_str(g->root);
                printf(",\"seq\":%" PRIu64 ",\"time\":%" PRIu64 "}", g->seq, g->time);
        } else
                printf("null");
        printf(",\"alerts\":[");
        bool first = true;
        for (const struct ledger_alert *a = NULL; (a = ledger_next_unacked(l, a));) {
                printf("%s", first ? "" : ",");
                json_alert(a);
                first = false;
        }
        printf("],\"boots\":[");
        size_t from = l->n_boots > STATUS_BOOTS ? l->n_boots - STATUS_BOOTS : 0;
        for (size_t i = from; i < l->n_boots; i++) {
                printf("%s", i > from ? "," : "");
                json_boot(&l->boots[i]);
        }
        printf("],\"ledger\":{\"path\":");
        json_str(c->ledger);
        printf(",\"error\":");
        json_str_or_null(st->v.ledger_error < 0 ? strerror(-st->v.ledger_error) : NULL);
        printf(",\"recovered\":%u,\"ignored\":%u}", l->recovered, l->ignored);
}

static void status_json(struct context *c, const struct status *st) {
        json_booted(st);
        json_default(&st->v);
        json_snapshots(c, st);
        json_transaction(st);
        json_ledger(c, st);
        printf(",\"esp\":");
        json_str_or_null(st->have_esp ? c->esp : NULL);
        printf(",\"esp_read_only\":%s", st->esp_read_only ? "true" : "false");
        printf(",\"timeline\":[");
        struct tl_ctx t = { .json = true, .first = true };
        if (st->boot_error == 0)
                boot_state_timeline(&st->boot, timeline_cb, &t);
        printf("]}\n");
}

static void text_booted(struct context *c, const struct status *st) {
        const struct boot_state *b = &st->boot;

        if (st->boot_error < 0) {
                printf("Booted root:    unknown (%s: %s)\n", c->o->state, strerror(-st->boot_error));
                return;
        }
        printf("Booted root:    %s", *b->snapshot ? b->snapshot : "?");
        if (*b->entry)
                printf(" (entry %s%s)", b->entry, b->counting ? ", counted by systemd-boot" : "");
        else
                printf(" (no boot loader entry)");
        printf("\n");
        if (b->fallback)
                printf("                FALLBACK: not the root that should have booted (see the alerts)\n");
}

static void text_default(const struct status *st) {
        const struct root_view *v = &st->v;
        const char *file = v->next_entry >= 0 ? v->entries[v->next_entry].file : NULL;

        if (*v->next_pattern)
                printf("Default:        %s (%s)", v->next_pattern, v->next_source);
        else if (st->have_esp)
                printf("Default:        none set (systemd-boot boots the first entry)");
        else
                printf("Default:        unknown (no ESP)");
        printf("%s%s\n", file ? " -> " : "", file ? file : "");
}

static void text_disk(const struct status *st) {
        const struct boot_state *b = &st->boot;

        if (st->boot_error < 0)
                return;
        printf("Encrypted disk: %s", *b->luks_device ? b->luks_device : "none");
        if (b->has_keyslot && b->keyslot >= 0)
                printf(" (keyslot %ld)", b->keyslot);
        printf("\nFilesystem:     %s\n", b->root_device);
}

static void text_roots(struct context *c, const struct status *st) {
        const struct root_view *v = &st->v;
        char buf[64], release[ROOT_RELEASE_MAX];
        bool any = false;

        if (!st->have_roots) {
                printf("Roots:          unknown (run as root, or give --top DIR)\n");
                return;
        }
        printf("Roots (newest first):\n");
        for (size_t i = 0; i < v->n_roots; i++) {
                const struct root_view_root *r = &v->roots[i];
                bool booted = st->boot_error == 0 && streq(st->boot.snapshot, r->info.name);
                const char *entry = r->entry[0] ? r->entry : st->have_esp ? "(no entry)" : "";
                root_release_of(c, r, release, sizeof release);
                printf("  %s %-22s %-23s %s%s%s%s\n", booted ? "*" : " ", r->info.name,
                       state_text(r, buf, sizeof buf), entry, r->policy.pinned ? " (pinned)" : "",
                       release[0] ? " release " : "", release);
        }
        for (size_t i = 0; i < v->n_roots; i++)
                if (v->roots[i].policy.pinned) {
                        printf("%s%s", any ? ", " : "Pinned:         ", v->roots[i].info.name);
                        any = true;
                }
        if (any)
                printf(" (prune keeps them; koompi-boot snapshot unpin NAME)\n");
}

/* A root other than the booted one boots next (an update not yet booted, or a rollback): said,
 * since nothing reboots the machine for it. */
static void text_next(const struct status *st) {
        const struct root_view *v = &st->v;
        if (!st->have_roots || st->boot_error < 0 || v->next < 0 ||
            streq(st->boot.snapshot, v->roots[v->next].info.name))
                return;
        printf("Next boot:      %s (this root runs until the machine restarts)\n",
               v->roots[v->next].info.name);
}

static void text_transaction(struct context *c, const struct status *st) {
        const struct journal *j = &st->journal;

        if (st->pins_error < 0)
                printf("Pinned:         unknown (the pins beside %s are unreadable: %s)\n", c->ledger,
                       strerror(-st->pins_error));
        if (st->journal_error == 0) {
                printf("Transaction:    %s was interrupted: run koompi-boot recover (", journal_what(j));
                if (streq(j->op, "delete")) {
                        printf("roots");
                        for (char **p = j->roots; p && *p; p++)
                                printf(" %s", *p);
                } else if (streq(j->op, "rollback"))
                        printf("to %s", j->root);
                else
                        printf("%s%s%s", j->root, *j->from ? ", from " : "", j->from);
                printf(")\n");
        } else if (st->journal_error != -ENOENT) {
                char path[PATH_MAX];
                admin_state_path(c, ADMIN_JOURNAL_FILE, path, sizeof path);
                printf("Transaction:    %s, the record of an interrupted transaction, is unreadable (%s): check "
                       "the roots with koompi-boot list, then remove it\n",
                       path, strerror(-st->journal_error));
        }
}

static void text_alerts(struct context *c, const struct status *st) {
        const struct ledger *l = &st->v.ledger;
        const struct ledger_boot *g = st->v.last_good_boot;
        size_t unacked = ledger_count_unacked(l);
        char when[32];

        if (g) {
                format_time(g->time, when, sizeof when);
                printf("Last good root: %s (boot #%" PRIu64 ", %s)\n", g->root, g->seq, when);
        } else
                printf("Last good root: none recorded\n");
        if (st->v.ledger_error < 0)
                printf("Ledger:         %s unreadable: %s\n", c->ledger, strerror(-st->v.ledger_error));
        else if (l->recovered > 0)
                printf("Ledger:         %u damaged line%s skipped\n", l->recovered,
                       l->recovered == 1 ? "" : "s");
        if (unacked == 0) {
                printf("Alerts:         none\n");
                return;
        }
        printf("Alerts (%zu, acknowledge with koompi-boot alerts ack):\n", unacked);
        for (const struct ledger_alert *a = NULL; (a = ledger_next_unacked(l, a));) {
                format_time(a->time, when, sizeof when);
                printf("  #%" PRIu64 " %s %s: %s\n", a->seq, when, a->kind, a->message);
        }
}

static void text_boots(const struct status *st) {
        const struct ledger *l = &st->v.ledger;
        char when[32];

        if (l->n_boots > 0) {
                printf("Last boots:\n");
                size_t from = l->n_boots > STATUS_BOOTS ? l->n_boots - STATUS_BOOTS : 0;
                for (size_t i = l->n_boots; i-- > from;) {
                        const struct ledger_boot *lb = &l->boots[i];
                        format_time(lb->time, when, sizeof when);
                        printf("  #%-4" PRIu64 " %s %-22s %-12s %s%s%s\n", lb->seq, when, lb->root,
                               ledger_stage_to_string(lb->stage), ledger_outcome_to_string(lb->outcome),
                               *lb->note ? " " : "", lb->note);
                }
        }
        if (st->boot_error == 0) {
                struct tl_ctx t = { .json = false, .first = true };
                printf("Boot timeline (ms since the kernel started):\n");
                boot_state_timeline(&st->boot, timeline_cb, &t);
                printf("  (%" PRIu64 " ms of it waiting at the passphrase prompt)\n", st->boot.prompt_ms);
        }
}

static void status_text(struct context *c, const struct status *st) {
        text_booted(c, st);
        text_default(st);
        text_disk(st);
        text_roots(c, st);
        text_next(st);
        text_transaction(c, st);
        text_alerts(c, st);
        text_boots(st);
}

int verb_status(struct context *c) {
        struct status st;

        if (status_gather(c, &st) < 0) {
                status_free(&st);
                return -ENOENT;
        }
        if (c->o->json)
                status_json(c, &st);
        else
                status_text(c, &st);
        int r = st.boot_error < 0 ? -ENOENT : 0;
        if (st.boot_error < 0)
                log_error("reading %s failed: %s; this system was not started by koompi-init", c->o->state,
                          strerror(-st.boot_error));
        status_free(&st);
        return r;
}

static void json_entries_of(const struct root_view *v, int root) {
        bool first = true;

        for (size_t j = 0; j < v->n_entries; j++)
                if (v->entries[j].root == root) {
                        printf("%s{\"file\":", first ? "" : ",");
                        json_str(v->entries[j].file);
                        printf(",\"kernel\":");
                        json_str_or_null(v->entries[j].kernel);
                        printf("}");
                        first = false;
                }
}

/* The entries of no root: koompi's (stale) or another system's. */
static void json_other_entries(const struct root_view *v, bool koompi) {
        bool first = true;

        for (size_t j = 0; j < v->n_entries; j++)
                if (v->entries[j].koompi == koompi && v->entries[j].root < 0) {
                        printf("%s", first ? "" : ",");
                        json_str(v->entries[j].file);
                        first = false;
                }
}

static void list_json(struct context *c, const struct status *st) {
        const struct root_view *v = &st->v;

        printf("{\"roots\":[");
        for (size_t i = 0; i < v->n_roots; i++) {
                const struct btrfs_root_info *r = &v->roots[i].info;
                printf("%s{\"name\":", i ? "," : "");
                json_str(r->name);
                printf(",\"read_only\":%s,\"generation\":%" PRIu64 ",\"created\":%" PRId64 ",\"uuid\":",
                       r->read_only ? "true" : "false", r->otransid, r->otime);
                json_str_or_null(r->uuid);
                printf(",\"state\":\"%s\",\"entries\":[", root_state_to_string(v->roots[i].state));
                json_entries_of(v, (int)i);
                printf("]}");
        }
        printf("],\"stale_entries\":[");
        json_other_entries(v, true);
        printf("],\"other_entries\":[");
        json_other_entries(v, false);
        printf("],\"esp\":");
        json_str_or_null(st->have_esp ? c->esp : NULL);
        printf("}\n");
}

static void list_text(const struct status *st) {
        const struct root_view *v = &st->v;
        char when[32], buf[64];

        printf("%-24s %-9s %-16s %-23s %s\n", "ROOT", "READ-ONLY", "CREATED", "STATE", "ENTRY (KERNEL)");
        for (size_t i = 0; i < v->n_roots; i++) {
                const struct btrfs_root_info *r = &v->roots[i].info;
                bool any = false;
                format_time(r->otime > 0 ? (uint64_t)r->otime : 0, when, sizeof when);
                printf("%-24s %-9s %-16s %-23s", r->name, r->read_only ? "yes" : "no", when,
                       state_text(&v->roots[i], buf, sizeof buf));
                for (size_t j = 0; j < v->n_entries; j++)
                        if (v->entries[j].root == (int)i) {
                                printf("%s%s (%s)", any ? ", " : " ", v->entries[j].file,
                                       *v->entries[j].kernel ? v->entries[j].kernel : "?");
                                any = true;
                        }
                printf("%s\n", any ? "" : st->have_esp ? " (no entry)" : " (ESP not found)");
        }
        for (size_t j = 0; j < v->n_entries; j++)
                if (v->entries[j].koompi && v->entries[j].root < 0)
                        printf("stale entry: %s (no such root; koompi-boot entries sync removes it)\n",
                               v->entries[j].file);
        for (size_t j = 0; j < v->n_entries; j++)
                if (!v->entries[j].koompi && v->entries[j].root < 0)
                        printf("other entry: %s\n", v->entries[j].file);
}

int verb_list(struct context *c) {
        struct status st;
        int r = 0;

        if (status_gather(c, &st) < 0 || !st.have_roots)
                r = -ENOENT;
        else if (c->o->json)
                list_json(c, &st);
        else
                list_text(&st);
        status_free(&st);
        return r;
}
