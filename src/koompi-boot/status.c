/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* status and list: the roots, their entries and states, the booted root, the default, alerts. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "btrfs.h"
#include "efivars.h"
#include "entry.h"
#include "fallback.h"
#include "koompi-boot.h"
#include "layout.h"
#include "log.h"
#include "util.h"

#define STATUS_BOOTS 5

/* One entry file in loader/entries. */
struct entry_file {
        char file[ENTRY_NAME_MAX + 1];
        struct entry_name name;
        bool koompi;
        char kernel[128];               /* the directory of its "linux" line, "" if unknown */
        int root;                       /* index in the roots, -1 for none */
};

struct view {
        struct btrfs_root_info *roots;
        size_t n_roots;
        bool have_roots;
        struct entry_file *entries;
        size_t n_entries;
        bool have_esp;
        struct ledger ledger;
        int ledger_error;               /* negative errno, 0 when read */
        struct boot_state boot;
        int boot_error;
        /* per root */
        struct fallback_root *states;
        int *entry_of;                  /* index into entries of the root's entry, -1 for none */
        int *tries_left;                /* -1 when unknown */
        const char **source;            /* "entry" or "ledger" */
        bool *pinned;
        /* beside the ledger: the transaction a crash interrupted, and the pinned roots */
        struct journal journal;
        int journal_error;              /* 0 when there is one, -ENOENT when none, else unreadable */
        char **pins;                    /* UUIDs */
        int pins_error;
};

static void view_free(struct view *v) {
        free(v->roots);
        free(v->entries);
        ledger_free(&v->ledger);
        boot_state_free(&v->boot);
        free(v->states);
        free(v->entry_of);
        free(v->tries_left);
        free(v->source);
        free(v->pinned);
        if (v->journal_error == 0)
                journal_free(&v->journal);
        strv_free(v->pins);
}

/* The directory under koompi/ an entry's "linux" line names. */
static void entry_kernel(const char *path, char *ret, size_t size) {
        _cleanup_free_ char *text = NULL;
        struct entry_content ec = {};
        ret[0] = 0;
        if (read_file(path, &text, NULL) < 0 || entry_content_parse(text, &ec) < 0)
                return;
        const char *k = ec.kernel ? startswith(ec.kernel, "/" LAYOUT_KERNELS_DIR "/") : NULL;
        if (k)
                snprintf(ret, size, "%.*s", (int)strcspn(k, "/"), k);
        entry_content_free(&ec);
}

static void read_entries(struct context *c, struct view *v) {
        char dir[PATH_MAX];
        pathf(dir, sizeof dir, "%s/%s", c->esp, LAYOUT_ENTRIES_DIR);
        DIR *d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        log_errno(-errno, "reading %s failed", dir);
                return;
        }
        for (struct dirent *de; (de = readdir(d));) {
                struct entry_file e = { .root = -1 };
                char path[PATH_MAX];
                if (de->d_name[0] == '.' || entry_name_parse(de->d_name, ".conf", &e.name) < 0)
                        continue;
                snprintf(e.file, sizeof e.file, "%s", de->d_name);
                e.koompi = entry_name_koompi_id(&e.name) != NULL;
                if (e.koompi) {
                        pathf(path, sizeof path, "%s/%s", dir, de->d_name);
                        entry_kernel(path, e.kernel, sizeof e.kernel);
                }
                struct entry_file *n = realloc(v->entries, (v->n_entries + 1) * sizeof *n);
                if (!n)
                        abort();
                v->entries = n;
                v->entries[v->n_entries++] = e;
        }
        closedir(d);
}

/* Gathers what status and list show. Nothing here fails the verb: what cannot be read is
 * shown as unknown. */
static void gather(struct context *c, struct view *v, bool need_roots) {
        *v = (struct view) {};
        ledger_init(&v->ledger);
        v->boot_error = boot_state_load(c->o->state, &v->boot);
        if (v->boot_error < 0)
                boot_state_free(&v->boot);
        v->have_esp = ctx_need_esp(c) == 0;
        if (v->have_esp)
                read_entries(c, v);
        if (need_roots && ctx_need_top(c) == 0) {
                int r = btrfs_list_roots(c->top, LAYOUT_ROOT_PREFIX, &v->roots, &v->n_roots);
                if (r < 0)
                        log_errno(r, "listing the root snapshots under %s failed", c->top);
                else
                        v->have_roots = true;
        }
        v->ledger_error = ledger_load(&v->ledger, c->ledger);
        v->journal_error = journal_load(c, &v->journal);
        v->pins_error = pins_load(c, &v->pins);
        if (v->ledger.recovered > 0)
                log_warning("the ledger %s had %u damaged line%s; they were skipped", c->ledger,
                            v->ledger.recovered, v->ledger.recovered == 1 ? "" : "s");

        size_t n = v->n_roots ? v->n_roots : 1;
        v->states = calloc(n, sizeof *v->states);
        v->entry_of = calloc(n, sizeof *v->entry_of);
        v->tries_left = calloc(n, sizeof *v->tries_left);
        v->source = calloc(n, sizeof *v->source);
        v->pinned = calloc(n, sizeof *v->pinned);
        if (!v->states || !v->entry_of || !v->tries_left || !v->source || !v->pinned)
                abort();
        unsigned tries = c->config.boot_tries ? c->config.boot_tries : ROOT_TRIES_DEFAULT;
        for (size_t i = 0; i < v->n_roots; i++) {
                char want[ENTRY_NAME_MAX + 1];
                struct fallback_root *fr = &v->states[i];
                *fr = (struct fallback_root) { .name = v->roots[i].name, .read_only = v->roots[i].read_only,
                                               .generation = v->roots[i].otransid };
                v->entry_of[i] = -1;
                for (char **p = v->pins; p && *p; p++)
                        if (streq(*p, v->roots[i].uuid))
                                v->pinned[i] = true;
                if (entry_filename_for_root(v->roots[i].name, 0, want, sizeof want) == 0)
                        for (size_t j = 0; j < v->n_entries; j++) {
                                struct entry_file *e = &v->entries[j];
                                if (!e->koompi || !entry_id_equal(e->file, want))
                                        continue;
                                e->root = (int)i;
                                /* With twins, the counted one speaks (entries sync keeps it). */
                                if (v->entry_of[i] < 0 || (e->name.has_counter &&
                                                           !v->entries[v->entry_of[i]].name.has_counter))
                                        v->entry_of[i] = (int)j;
                        }

                struct ledger_root_status ls;
                ledger_root_status(&v->ledger, fr->name, &ls);
                const struct entry_file *e = v->entry_of[i] >= 0 ? &v->entries[v->entry_of[i]] : NULL;
                if (e && e->name.has_counter) {
                        fallback_root_from_entry(fr, &e->name);
                        v->tries_left[i] = (int)e->name.left;
                        v->source[i] = "entry";
                } else {
                        fallback_root_from_ledger(fr, &v->ledger, tries);
                        v->source[i] = "ledger";
                        /* A blessed entry is a good root unless the ledger knows it bad. */
                        if (e && fr->state != ROOT_BAD) {
                                fr->state = ROOT_GOOD;
                                v->source[i] = "entry";
                        }
                        v->tries_left[i] = fr->state == ROOT_UNTESTED || fr->state == ROOT_IN_TRIAL
                                                   ? (int)(tries > fr->failures ? tries - fr->failures : 0)
                                                   : -1;
                }
        }
}

static const char *state_text(const struct view *v, size_t i, char *buf, size_t size) {
        const struct fallback_root *fr = &v->states[i];
        if (!fr->read_only)
                snprintf(buf, size, "not read-only");
        else if (fr->state == ROOT_IN_TRIAL || fr->state == ROOT_UNTESTED) {
                if (v->tries_left[i] >= 0)
                        snprintf(buf, size, "%s, %d %s left", fr->state == ROOT_IN_TRIAL ? "in trial" : "untested",
                                 v->tries_left[i], v->tries_left[i] == 1 ? "try" : "tries");
                else
                        snprintf(buf, size, "%s", fr->state == ROOT_IN_TRIAL ? "in trial" : "untested");
        } else
                snprintf(buf, size, "%s", root_state_to_string(fr->state));
        return buf;
}

/* The default: LoaderEntryDefault when set, else loader.conf; resolved the way systemd-boot
 * sorts koompi entries (spent last, newest version first). */
static void find_default(struct context *c, const struct view *v, char *pattern, size_t psize,
                         const char **ret_source, const struct entry_file **ret_entry) {
        char var[256];
        *ret_entry = NULL;
        *ret_source = NULL;
        pattern[0] = 0;
        if (efi_loader_available() && efi_loader_get_string("LoaderEntryDefault", var, sizeof var) == 0 && *var) {
                snprintf(pattern, psize, "%s", var);
                *ret_source = "LoaderEntryDefault";
        } else if (v->have_esp) {
                char path[PATH_MAX];
                _cleanup_free_ char *text = NULL;
                pathf(path, sizeof path, "%s/%s", c->esp, LAYOUT_LOADER_CONF);
                if (read_file(path, &text, NULL) == 0)
                        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                                l += strspn(l, " \t");
                                const char *val = startswith(l, "default");
                                if (val && (*val == ' ' || *val == '\t')) {
                                        val += strspn(val, " \t");
                                        snprintf(pattern, psize, "%.*s", (int)strcspn(val, " \t\r"), val);
                                        *ret_source = LAYOUT_LOADER_CONF;
                                }
                        }
        }
        if (!*pattern)
                return;
        const struct entry_file *best = NULL;
        uint64_t best_gen = 0;
        for (size_t i = 0; i < v->n_entries; i++) {
                const struct entry_file *e = &v->entries[i];
                char id[ENTRY_NAME_MAX + 1];
                if (!e->koompi || e->root < 0 || entry_name_id(&e->name, id, sizeof id) < 0 ||
                    (fnmatch(pattern, id, FNM_CASEFOLD) != 0 && fnmatch(pattern, e->file, FNM_CASEFOLD) != 0))
                        continue;
                uint64_t gen = v->roots[e->root].otransid;
                bool bad = entry_name_state(&e->name) == ENTRY_BAD, best_bad = best && entry_name_state(&best->name) == ENTRY_BAD;
                if (!best || (best_bad && !bad) || (bad == best_bad && (gen > best_gen || (gen == best_gen && strcmp(e->file, best->file) > 0)))) {
                        best = e;
                        best_gen = gen;
                }
        }
        *ret_entry = best;
}

static const struct ledger_boot *last_good(const struct ledger *l) {
        const struct ledger_boot *found = NULL;
        LEDGER_FOREACH_BOOT(b, l)
                if (b->outcome == LEDGER_OUTCOME_GOOD || b->stage == LEDGER_STAGE_GOOD)
                        found = b;
        return found;
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

static void status_json(struct context *c, const struct view *v, const char *pattern, const char *dsource,
                        const struct entry_file *def) {
        const struct boot_state *b = &v->boot;
        bool have = v->boot_error == 0;

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

        printf(",\"default\":{\"pattern\":");
        json_str_or_null(pattern);
        printf(",\"source\":");
        json_str_or_null(dsource);
        printf(",\"entry\":");
        json_str_or_null(def ? def->file : NULL);
        printf(",\"snapshot\":");
        json_str_or_null(def && def->root >= 0 ? v->roots[def->root].name : NULL);
        printf("}");

        printf(",\"snapshots\":[");
        for (size_t i = 0; i < v->n_roots; i++) {
                const struct btrfs_root_info *r = &v->roots[i];
                const struct entry_file *e = v->entry_of[i] >= 0 ? &v->entries[v->entry_of[i]] : NULL;
                const struct ledger_boot *lb = ledger_last_boot_of(&v->ledger, r->name);
                printf("%s{\"name\":", i ? "," : "");
                json_str(r->name);
                printf(",\"state\":\"%s\",\"state_from\":\"%s\",\"booted\":%s,\"read_only\":%s,\"entry\":",
                       root_state_to_string(v->states[i].state), v->source[i],
                       have && streq(b->snapshot, r->name) ? "true" : "false", r->read_only ? "true" : "false");
                json_str_or_null(e ? e->file : NULL);
                if (v->tries_left[i] >= 0)
                        printf(",\"tries_left\":%d", v->tries_left[i]);
                else
                        printf(",\"tries_left\":null");
                printf(",\"failures\":%u,\"generation\":%" PRIu64 ",\"created\":%" PRId64 ",\"pinned\":%s,\"uuid\":",
                       v->states[i].failures, r->otransid, r->otime, v->pinned[i] ? "true" : "false");
                json_str_or_null(r->uuid);
                printf(",\"last_boot\":");
                if (lb)
                        json_boot(lb);
                else
                        printf("null");
                printf("}");
        }
        printf("]");

        printf(",\"pinned\":[");
        bool first = true;
        for (size_t i = 0; i < v->n_roots; i++)
                if (v->pinned[i]) {
                        printf("%s", first ? "" : ",");
                        json_str(v->roots[i].name);
                        first = false;
                }
        printf("],\"transaction\":");
        if (v->journal_error == -ENOENT)
                printf("null");
        else if (v->journal_error < 0) {
                printf("{\"op\":null,\"step\":null,\"roots\":[],\"from\":null,\"error\":");
                json_str(strerror(-v->journal_error));
                printf("}");
        } else {
                const struct journal *j = &v->journal;
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

        const struct ledger_boot *g = last_good(&v->ledger);
        printf(",\"last_good\":");
        if (g) {
                printf("{\"snapshot\":");
                json_str(g->root);
                printf(",\"seq\":%" PRIu64 ",\"time\":%" PRIu64 "}", g->seq, g->time);
        } else
                printf("null");

        printf(",\"alerts\":[");
        first = true;
        for (const struct ledger_alert *a = NULL; (a = ledger_next_unacked(&v->ledger, a));) {
                printf("%s", first ? "" : ",");
                json_alert(a);
                first = false;
        }
        printf("],\"boots\":[");
        size_t from = v->ledger.n_boots > STATUS_BOOTS ? v->ledger.n_boots - STATUS_BOOTS : 0;
        for (size_t i = from; i < v->ledger.n_boots; i++) {
                printf("%s", i > from ? "," : "");
                json_boot(&v->ledger.boots[i]);
        }
        printf("],\"ledger\":{\"path\":");
        json_str(c->ledger);
        printf(",\"error\":");
        json_str_or_null(v->ledger_error < 0 ? strerror(-v->ledger_error) : NULL);
        printf(",\"recovered\":%u,\"ignored\":%u}", v->ledger.recovered, v->ledger.ignored);
        printf(",\"esp\":");
        json_str_or_null(v->have_esp ? c->esp : NULL);
        printf(",\"timeline\":[");
        struct tl_ctx t = { .json = true, .first = true };
        if (have)
                boot_state_timeline(b, timeline_cb, &t);
        printf("]}\n");
}

static void status_text(struct context *c, const struct view *v, const char *pattern, const char *dsource,
                        const struct entry_file *def) {
        const struct boot_state *b = &v->boot;
        bool have = v->boot_error == 0;
        char when[32], buf[64];

        if (have) {
                printf("Booted root:    %s", *b->snapshot ? b->snapshot : "?");
                if (*b->entry)
                        printf(" (entry %s%s)", b->entry, b->counting ? ", counted by systemd-boot" : "");
                else
                        printf(" (no boot loader entry)");
                printf("\n");
                if (b->fallback)
                        printf("                FALLBACK: not the root that should have booted (see the alerts)\n");
        } else
                printf("Booted root:    unknown (%s: %s)\n", c->o->state, strerror(-v->boot_error));
        if (*pattern)
                printf("Default:        %s (%s)%s%s\n", pattern, dsource, def ? " -> " : "", def ? def->file : "");
        else
                printf("Default:        %s\n", v->have_esp ? "none set (systemd-boot boots the first entry)" : "unknown (no ESP)");
        if (have) {
                printf("Encrypted disk: %s", *b->luks_device ? b->luks_device : "none");
                if (b->has_keyslot && b->keyslot >= 0)
                        printf(" (keyslot %ld)", b->keyslot);
                printf("\nFilesystem:     %s\n", b->root_device);
        }

        if (v->have_roots) {
                printf("Roots (newest first):\n");
                for (size_t i = 0; i < v->n_roots; i++) {
                        const struct entry_file *e = v->entry_of[i] >= 0 ? &v->entries[v->entry_of[i]] : NULL;
                        bool booted = have && streq(b->snapshot, v->roots[i].name);
                        printf("  %s %-22s %-23s %s%s\n", booted ? "*" : " ", v->roots[i].name,
                               state_text(v, i, buf, sizeof buf), e ? e->file : v->have_esp ? "(no entry)" : "",
                               v->pinned[i] ? " (pinned)" : "");
                }
        } else
                printf("Roots:          unknown (run as root, or give --top DIR)\n");
        if (v->have_roots) {
                bool any = false;
                for (size_t i = 0; i < v->n_roots; i++)
                        if (v->pinned[i]) {
                                printf("%s%s", any ? ", " : "Pinned:         ", v->roots[i].name);
                                any = true;
                        }
                if (any)
                        printf(" (prune keeps them; koompi-boot snapshot unpin NAME)\n");
        }
        if (v->pins_error < 0)
                printf("Pinned:         unknown (the pins beside %s are unreadable: %s)\n", c->ledger,
                       strerror(-v->pins_error));
        if (v->journal_error == 0) {
                const struct journal *j = &v->journal;
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
        } else if (v->journal_error != -ENOENT) {
                char path[PATH_MAX];
                admin_state_path(c, ADMIN_JOURNAL_FILE, path, sizeof path);
                printf("Transaction:    %s, the record of an interrupted transaction, is unreadable (%s): check "
                       "the roots with koompi-boot list, then remove it\n",
                       path, strerror(-v->journal_error));
        }

        const struct ledger_boot *g = last_good(&v->ledger);
        if (g) {
                format_time(g->time, when, sizeof when);
                printf("Last good root: %s (boot #%" PRIu64 ", %s)\n", g->root, g->seq, when);
        } else
                printf("Last good root: none recorded\n");

        size_t unacked = ledger_count_unacked(&v->ledger);
        if (v->ledger_error < 0)
                printf("Ledger:         %s unreadable: %s\n", c->ledger, strerror(-v->ledger_error));
        else if (v->ledger.recovered > 0)
                printf("Ledger:         %u damaged line%s skipped\n", v->ledger.recovered, v->ledger.recovered == 1 ? "" : "s");
        if (unacked > 0) {
                printf("Alerts (%zu, acknowledge with koompi-boot alerts ack):\n", unacked);
                for (const struct ledger_alert *a = NULL; (a = ledger_next_unacked(&v->ledger, a));) {
                        format_time(a->time, when, sizeof when);
                        printf("  #%" PRIu64 " %s %s: %s\n", a->seq, when, a->kind, a->message);
                }
        } else
                printf("Alerts:         none\n");

        if (v->ledger.n_boots > 0) {
                printf("Last boots:\n");
                size_t from = v->ledger.n_boots > STATUS_BOOTS ? v->ledger.n_boots - STATUS_BOOTS : 0;
                for (size_t i = v->ledger.n_boots; i-- > from;) {
                        const struct ledger_boot *lb = &v->ledger.boots[i];
                        format_time(lb->time, when, sizeof when);
                        printf("  #%-4" PRIu64 " %s %-22s %-12s %s%s%s\n", lb->seq, when, lb->root,
                               ledger_stage_to_string(lb->stage), ledger_outcome_to_string(lb->outcome),
                               *lb->note ? " " : "", lb->note);
                }
        }
        if (have) {
                struct tl_ctx t = { .json = false, .first = true };
                printf("Boot timeline (ms since the kernel started):\n");
                boot_state_timeline(b, timeline_cb, &t);
                printf("  (%" PRIu64 " ms of it waiting at the passphrase prompt)\n", b->prompt_ms);
        }
}

int verb_status(struct context *c) {
        struct view v;
        char pattern[256];
        const char *dsource;
        const struct entry_file *def;

        if (c->o->n_args > 0) {
                log_error("status takes no arguments");
                return EXIT_USAGE;
        }
        gather(c, &v, true);
        find_default(c, &v, pattern, sizeof pattern, &dsource, &def);
        if (c->o->json)
                status_json(c, &v, pattern, dsource, def);
        else
                status_text(c, &v, pattern, dsource, def);
        int r = v.boot_error < 0 ? EXIT_NO_STATE : EXIT_OK;
        if (v.boot_error < 0)
                log_error("reading %s failed: %s; this system was not started by koompi-init", c->o->state,
                          strerror(-v.boot_error));
        view_free(&v);
        return r;
}

int verb_list(struct context *c) {
        struct view v;
        char when[32], buf[64];

        if (c->o->n_args > 0) {
                log_error("list takes no arguments");
                return EXIT_USAGE;
        }
        gather(c, &v, true);
        if (!v.have_roots) {
                view_free(&v);
                return EXIT_NO_STATE;
        }
        if (c->o->json) {
                printf("{\"roots\":[");
                for (size_t i = 0; i < v.n_roots; i++) {
                        const struct btrfs_root_info *r = &v.roots[i];
                        printf("%s{\"name\":", i ? "," : "");
                        json_str(r->name);
                        printf(",\"read_only\":%s,\"generation\":%" PRIu64 ",\"created\":%" PRId64 ",\"uuid\":",
                               r->read_only ? "true" : "false", r->otransid, r->otime);
                        json_str_or_null(r->uuid);
                        printf(",\"state\":\"%s\",\"entries\":[", root_state_to_string(v.states[i].state));
                        bool first = true;
                        for (size_t j = 0; j < v.n_entries; j++)
                                if (v.entries[j].root == (int)i) {
                                        printf("%s{\"file\":", first ? "" : ",");
                                        json_str(v.entries[j].file);
                                        printf(",\"kernel\":");
                                        json_str_or_null(v.entries[j].kernel);
                                        printf("}");
                                        first = false;
                                }
                        printf("]}");
                }
                printf("],\"stale_entries\":[");
                bool first = true;
                for (size_t j = 0; j < v.n_entries; j++)
                        if (v.entries[j].koompi && v.entries[j].root < 0) {
                                printf("%s", first ? "" : ",");
                                json_str(v.entries[j].file);
                                first = false;
                        }
                printf("],\"other_entries\":[");
                first = true;
                for (size_t j = 0; j < v.n_entries; j++)
                        if (!v.entries[j].koompi) {
                                printf("%s", first ? "" : ",");
                                json_str(v.entries[j].file);
                                first = false;
                        }
                printf("],\"esp\":");
                json_str_or_null(v.have_esp ? c->esp : NULL);
                printf("}\n");
                view_free(&v);
                return EXIT_OK;
        }

        printf("%-24s %-9s %-16s %-23s %s\n", "ROOT", "READ-ONLY", "CREATED", "STATE", "ENTRY (KERNEL)");
        for (size_t i = 0; i < v.n_roots; i++) {
                const struct btrfs_root_info *r = &v.roots[i];
                bool any = false;
                format_time(r->otime > 0 ? (uint64_t)r->otime : 0, when, sizeof when);
                printf("%-24s %-9s %-16s %-23s", r->name, r->read_only ? "yes" : "no", when, state_text(&v, i, buf, sizeof buf));
                for (size_t j = 0; j < v.n_entries; j++)
                        if (v.entries[j].root == (int)i) {
                                printf("%s%s (%s)", any ? ", " : " ", v.entries[j].file,
                                       *v.entries[j].kernel ? v.entries[j].kernel : "?");
                                any = true;
                        }
                printf("%s\n", any ? "" : v.have_esp ? " (no entry)" : " (ESP not found)");
        }
        for (size_t j = 0; j < v.n_entries; j++)
                if (v.entries[j].koompi && v.entries[j].root < 0)
                        printf("stale entry: %s (no such root; koompi-boot entries sync removes it)\n", v.entries[j].file);
        for (size_t j = 0; j < v.n_entries; j++)
                if (!v.entries[j].koompi)
                        printf("other entry: %s\n", v.entries[j].file);
        view_free(&v);
        return EXIT_OK;
}
