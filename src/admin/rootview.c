/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootview.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "efi.h"
#include "layout.h"
#include "uki.h"
#include "util.h"

/* The lines of an entry that the view shows or sorts by. Unreadable: left "". */
static void entry_read(const char *path, struct root_view_entry *e) {
        _cleanup_free_ char *text = NULL;
        struct entry_content ec = {};

        if (read_file(path, &text, NULL) < 0 || entry_content_parse(text, &ec) < 0)
                return;
        const char *k = ec.kernel ? startswith(ec.kernel, "/" LAYOUT_KERNELS_DIR "/") : NULL;
        if (k && e->koompi)
                snprintf(e->kernel, sizeof e->kernel, "%.*s", (int)strcspn(k, "/"), k);
        snprintf(e->version, sizeof e->version, "%s", ec.version ? ec.version : "");
        snprintf(e->sort_key, sizeof e->sort_key, "%s", ec.sort_key ? ec.sort_key : "");
        if (!ec.options || entry_options_root(ec.options, e->options_root, sizeof e->options_root) < 0)
                e->options_root[0] = 0;
        entry_content_free(&ec);
}

/* The same from a UKI's os-release: ID is its sort key, VERSION_ID its version (what systemd-boot
 * reads), KOOMPI_KERNEL its kernel. */
static void uki_read(const char *path, struct root_view_entry *e) {
        _cleanup_free_ char *desc = NULL;

        if (uki_file_describe(path, &desc, NULL, NULL) < 0)
                return;
        if (uki_osrel_get(desc, "VERSION_ID", e->version, sizeof e->version) < 0)
                e->version[0] = 0;
        if (uki_osrel_get(desc, "ID", e->sort_key, sizeof e->sort_key) < 0)
                e->sort_key[0] = 0;
        if (!e->koompi || uki_osrel_get(desc, "KOOMPI_KERNEL", e->kernel, sizeof e->kernel) < 0)
                e->kernel[0] = 0;
}

static int entry_add(struct root_view *v, const char *dir, const char *file, bool uki) {
        struct root_view_entry e = { .root = -1, .uki = uki };
        char path[PATH_MAX];

        if (file[0] == '.' || entry_name_parse(file, uki ? UKI_SUFFIX : ".conf", &e.name) < 0 ||
            entry_name_id(&e.name, e.id, sizeof e.id) < 0)
                return 0;
        snprintf(e.file, sizeof e.file, "%s", file);
        e.koompi = entry_name_koompi_id(&e.name) != NULL;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) < sizeof path)
                (uki ? uki_read : entry_read)(path, &e);
        struct root_view_entry *n = realloc(v->entries, (v->n_entries + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        v->entries = n;
        v->entries[v->n_entries++] = e;
        return 0;
}

/* The entries in one folder of the ESP: loader/entries, or the UKIs in EFI/Linux. */
static int entries_load_dir(struct root_view *v, const char *esp, const char *sub, bool uki) {
        char dir[PATH_MAX];
        int r = 0;

        if ((size_t)snprintf(dir, sizeof dir, "%s/%s", esp, sub) >= sizeof dir)
                return v->esp_error = -ENAMETOOLONG, 0;
        DIR *d = opendir(dir);
        if (!d) {
                /* An ESP without entries is an ESP with no entry. */
                if (errno != ENOENT)
                        v->esp_error = -errno;
                return 0;
        }
        for (struct dirent *de; r == 0 && (de = readdir(d));)
                r = entry_add(v, dir, de->d_name, uki);
        closedir(d);
        return r;
}

static int entries_load(struct root_view *v, const char *esp) {
        if (!esp || !*esp)
                return v->esp_error = -ENOENT, 0;
        int r = entries_load_dir(v, esp, LAYOUT_ENTRIES_DIR, false);
        if (r == 0 && v->esp_error == 0)
                r = entries_load_dir(v, esp, UKI_DIR, true);
        return r;
}

static int roots_load(struct root_view *v, const char *top) {
        struct btrfs_root_info *infos = NULL;
        size_t n = 0;

        if (!top || !*top)
                return v->roots_error = -ENOENT, 0;
        v->roots_error = btrfs_list_roots(top, LAYOUT_ROOT_PREFIX, &infos, &n);
        if (v->roots_error < 0)
                return 0;
        v->roots = calloc(n ? n : 1, sizeof *v->roots);
        if (!v->roots) {
                free(infos);
                return -ENOMEM;
        }
        v->n_roots = n;
        for (size_t i = 0; i < n; i++)
                v->roots[i].info = infos[i];
        free(infos);
        return 0;
}

/* Each entry to the root its options name (a koompi entry naming none: the root of its name);
 * a root's entry is a counted one when it has several (twins). */
static void entries_match(struct root_view *v) {
        for (size_t i = 0; i < v->n_roots; i++) {
                struct root_view_root *r = &v->roots[i];
                for (size_t j = 0; j < v->n_entries; j++) {
                        struct root_view_entry *e = &v->entries[j];
                        if (!entry_is_of_root(&e->name, e->options_root, r->info.name))
                                continue;
                        e->root = (int)i;
                        if (!r->entry[0] || (e->name.has_counter && !r->entry_name.has_counter)) {
                                snprintf(r->entry, sizeof r->entry, "%s", e->file);
                                r->entry_name = e->name;
                        }
                }
        }
}

static bool strv_has(char *const *v, const char *s) {
        for (char *const *p = v; p && *p; p++)
                if (streq(*p, s))
                        return true;
        return false;
}

static void states_decide(struct root_view *v, unsigned tries) {
        for (size_t i = 0; i < v->n_roots; i++) {
                struct root_view_root *r = &v->roots[i];
                struct ledger_root_status ls;
                ledger_root_status(&v->ledger, r->info.name, &ls);
                struct root_evidence ev = { .entry = r->entry[0] ? &r->entry_name : NULL,
                                            .ledger = &ls,
                                            .tries = tries };
                root_state_decide(&ev, &r->verdict);
                r->state = r->verdict.state;
                r->policy = (struct policy_root) {
                        .name = r->info.name,
                        .generation = r->info.otransid,
                        .read_only = r->info.read_only,
                        .good = r->state == ROOT_GOOD,
                        .bad = r->state == ROOT_BAD,
                        .in_trial = r->state == ROOT_IN_TRIAL,
                        .pinned = strv_has(v->pins, r->info.uuid),
                };
        }
}

/* loader.conf's "default" line (the last one wins, as in systemd-boot). */
static void loader_conf_default(struct root_view *v, const char *esp) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];

        if (!esp || (size_t)snprintf(path, sizeof path, "%s/%s", esp, LAYOUT_LOADER_CONF) >= sizeof path ||
            read_file(path, &text, NULL) < 0)
                return;
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                l += strspn(l, " \t");
                const char *val = startswith(l, "default");
                if (!val || (*val != ' ' && *val != '\t'))
                        continue;
                val += strspn(val, " \t");
                snprintf(v->next_pattern, sizeof v->next_pattern, "%.*s", (int)strcspn(val, " \t\r"), val);
                v->next_source = LAYOUT_LOADER_CONF;
        }
}

/* systemd-boot's default: LoaderEntryDefault (only when its variables are this ESP's), else
 * loader.conf. */
static void find_pattern(struct root_view *v, const struct root_view_input *in) {
        char var[sizeof v->next_pattern];

        if (in->efi_ok && efi_loader_get_string("LoaderEntryDefault", var, sizeof var) == 0 && *var) {
                snprintf(v->next_pattern, sizeof v->next_pattern, "%s", var);
                v->next_source = "LoaderEntryDefault";
        } else
                loader_conf_default(v, in->esp);
}

static int find_next(struct root_view *v) {
        struct bootnext_entry *b = calloc(v->n_entries ? v->n_entries : 1, sizeof *b);

        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < v->n_entries; i++) {
                const struct root_view_entry *e = &v->entries[i];
                b[i] = (struct bootnext_entry) {
                        .id = e->id,
                        .file = e->file,
                        .version = e->version[0] ? e->version : NULL,
                        .sort_key = e->sort_key[0] ? e->sort_key : NULL,
                        .spent = entry_name_state(&e->name) == ENTRY_BAD,
                        .counted = e->name.has_counter,
                        .left = e->name.left,
                        .done = e->name.done,
                };
        }
        int k = bootnext_choose(v->next_pattern[0] ? v->next_pattern : NULL, b, v->n_entries);
        /* A default that matches nothing: systemd-boot boots the first entry of its menu. */
        if (k == -ENOENT && v->next_pattern[0])
                k = bootnext_choose(NULL, b, v->n_entries);
        free(b);
        v->next_entry = k >= 0 ? k : -1;
        v->next = k >= 0 ? v->entries[k].root : -1;
        return 0;
}

static void find_marks(struct root_view *v, const struct root_view_input *in) {
        const char *configured = in->config ? in->config->snapshot : NULL;

        LEDGER_FOREACH_BOOT(b, &v->ledger)
                if (b->outcome == LEDGER_OUTCOME_GOOD || b->stage == LEDGER_STAGE_GOOD)
                        v->last_good_boot = b;
        if (v->last_good_boot)
                v->last_good = root_view_find(v, v->last_good_boot->root);
        v->booted = in->booted && *in->booted ? root_view_find(v, in->booted) : -1;
        v->configured = configured ? root_view_find(v, configured) : -1;
        if (v->booted >= 0)
                v->roots[v->booted].policy.booted = true;
        if (v->next >= 0)
                v->roots[v->next].policy.next = true;
        if (v->last_good >= 0)
                v->roots[v->last_good].policy.last_good = true;
        if (v->configured >= 0)
                v->roots[v->configured].policy.configured = true;
}

static int pins_copy(struct root_view *v, char *const *pins) {
        unsigned n = strv_length(pins);

        v->pins = calloc(n + 1, sizeof *v->pins);
        if (!v->pins)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++)
                if (!(v->pins[i] = strdup(pins[i])))
                        return -ENOMEM;
        return 0;
}

int root_view_load(const struct root_view_input *in, struct root_view *ret) {
        int r;

        if (!in || !ret)
                return -EINVAL;
        *ret = (struct root_view) {
                .booted = -1, .next = -1, .last_good = -1, .configured = -1, .next_entry = -1
        };
        ledger_init(&ret->ledger);
        r = pins_copy(ret, in->pins);
        if (r == 0)
                r = roots_load(ret, in->top);
        if (r == 0)
                r = entries_load(ret, in->esp);
        if (r < 0)
                return r;
        ret->ledger_error = in->ledger ? ledger_load(&ret->ledger, in->ledger) : -ENOENT;
        entries_match(ret);
        states_decide(ret, in->config ? in->config->boot_tries : 0);
        find_pattern(ret, in);
        r = find_next(ret);
        if (r < 0)
                return r;
        find_marks(ret, in);
        return 0;
}

void root_view_free(struct root_view *v) {
        free(v->roots);
        free(v->entries);
        ledger_free(&v->ledger);
        strv_free(v->pins);
        *v = (struct root_view) {
                .booted = -1, .next = -1, .last_good = -1, .configured = -1, .next_entry = -1
        };
}

int root_view_find(const struct root_view *v, const char *name) {
        for (size_t i = 0; name && i < v->n_roots; i++)
                if (streq(v->roots[i].info.name, name))
                        return (int)i;
        return -1;
}

static bool can_start_from(const struct root_view *v, int i) {
        return i >= 0 && v->roots[i].info.read_only && v->roots[i].state != ROOT_BAD;
}

int root_view_current(const struct root_view *v, const char **ret_why) {
        const struct {
                int i;
                const char *why;
        } order[] = {
                { v->next, "the root booted next" },
                { v->booted, "the booted root" },
                { v->configured, "boot.conf's snapshot" },
        };
        for (size_t k = 0; k < ELEMENTSOF(order); k++)
                if (can_start_from(v, order[k].i)) {
                        *ret_why = order[k].why;
                        return order[k].i;
                }
        for (size_t i = 0; i < v->n_roots; i++)
                if (v->roots[i].info.read_only && v->roots[i].state == ROOT_GOOD) {
                        *ret_why = "the newest good root";
                        return (int)i;
                }
        *ret_why = NULL;
        return -1;
}
