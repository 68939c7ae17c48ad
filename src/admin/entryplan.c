/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "entryplan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "fallback.h"
#include "handentry.h"
#include "layout.h"
#include "loaderdefault.h"
#include "uki.h"
#include "util.h"

bool plan_is_kernel_id(const char *name) {
        if (!name || strlen(name) != PLAN_KERNEL_ID_LEN)
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

/* A root name that can stand in "koompi.snapshot=NAME" unquoted. */
static bool root_name_ok(const char *name) {
        if (!name || !*name)
                return false;
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\'' || *p == '\\')
                        return false;
        return true;
}

/* options, then koompi.snapshot=NAME. */
static int root_options(const struct plan_root *root, const char *options, char **ret) {
        if (asprintf(ret, "%s%skoompi.snapshot=%s", options ? options : "", options && *options ? " " : "",
                     root->name) < 0)
                return -ENOMEM;
        return 0;
}

int plan_entry_text(const struct plan_root *root, const char *options, char **ret) {
        char title[512], version[32], kernel[64], initrd[64];
        _cleanup_free_ char *opts = NULL;

        if (!root_name_ok(root->name) || !plan_is_kernel_id(root->kernel_id))
                return -EINVAL;
        snprintf(title, sizeof title, "KOOMPI OS (%s)", root->name);
        snprintf(version, sizeof version, "%" PRIu64, root->generation);
        snprintf(kernel, sizeof kernel, "/%s/%s/vmlinuz", LAYOUT_KERNELS_DIR, root->kernel_id);
        snprintf(initrd, sizeof initrd, "/%s/%s/initramfs.img", LAYOUT_KERNELS_DIR, root->kernel_id);
        if (root_options(root, options, &opts) < 0)
                return -ENOMEM;
        struct entry_content c = {
                .title = title,
                .version = version,
                .sort_key = (char *)PLAN_SORT_KEY,
                .kernel = kernel,
                .initrd = initrd,
                .options = opts,
        };
        return entry_content_format(&c, ret);
}

int plan_uki_text(const struct plan_root *root, const char *options, const char *signer, char **ret) {
        _cleanup_free_ char *opts = NULL, *osrel = NULL;
        int r;

        if (!root_name_ok(root->name) || !plan_is_kernel_id(root->kernel_id))
                return -EINVAL;
        struct uki_osrel o = {
                .root = root->name,
                .generation = root->generation,
                .kernel_id = root->kernel_id,
                .signer = signer,
        };
        r = uki_osrel_format(&o, &osrel);
        if (r == 0)
                r = root_options(root, options, &opts);
        if (r == 0)
                r = uki_descriptor_format(osrel, opts, ret);
        return r;
}

/* ---- loader.conf ---- */

struct text {
        char *data;
        size_t len, cap;
        bool oom;
};

static void text_add(struct text *t, const char *s, size_t n) {
        if (t->oom)
                return;
        if (t->len + n + 1 > t->cap) {
                size_t cap = (t->len + n + 1) * 2;
                char *d = realloc(t->data, cap);
                if (!d) {
                        t->oom = true;
                        return;
                }
                t->data = d;
                t->cap = cap;
        }
        memcpy(t->data + t->len, s, n);
        t->len += n;
        t->data[t->len] = 0;
}

static void text_line(struct text *t, const char *s) {
        text_add(t, s, strlen(s));
        text_add(t, "\n", 1);
}

/* The key of a loader.conf line: its first word, or NULL for blank and comment lines. */
static bool line_key_is(const char *line, size_t len, const char *key) {
        size_t i = 0, k = strlen(key);
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
                i++;
        if (len - i < k || memcmp(line + i, key, k) != 0)
                return false;
        return i + k == len || line[i + k] == ' ' || line[i + k] == '\t' || line[i + k] == '\r';
}

static void default_line(struct text *t, const char *dflt) {
        text_add(t, "default ", strlen("default "));
        text_line(t, dflt);
}

int plan_loader_conf(const char *old, char **ret) {
        return plan_loader_conf_default(old, PLAN_DEFAULT_PATTERN, ret);
}

int plan_loader_conf_default(const char *old, const char *dflt, char **ret) {
        struct text t = {};
        bool have_timeout = false, have_default = false, have_editor = false;

        text_add(&t, "", 0);
        for (const char *p = old; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);

                if (line_key_is(p, len, "default")) {
                        if (!have_default)
                                default_line(&t, dflt);
                        have_default = true;
                } else if (line_key_is(p, len, "editor")) {
                        if (!have_editor)
                                text_line(&t, "editor no");
                        have_editor = true;
                } else {
                        if (line_key_is(p, len, "timeout"))
                                have_timeout = true;
                        text_add(&t, p, len);
                        text_add(&t, "\n", 1);
                }
                p += len + (nl ? 1 : 0);
        }
        if (!have_timeout)
                text_line(&t, "timeout " PLAN_TIMEOUT_DEFAULT);
        if (!have_default)
                default_line(&t, dflt);
        if (!have_editor)
                text_line(&t, "editor no");
        if (t.oom) {
                free(t.data);
                return -ENOMEM;
        }
        *ret = t.data;
        return !old || !streq(old, t.data);
}

/* ---- kernel command line ---- */

int plan_base_options(const char *cmdline, char **ret) {
        static const char *const drop[] = { "BOOT_IMAGE=", "initrd=", "koompi.snapshot=" };
        struct text t = {};
        const char *p = cmdline ? cmdline : "";

        text_add(&t, "", 0);
        for (;;) {
                while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                        p++;
                if (!*p)
                        break;
                const char *w = p;
                bool quoted = false;
                for (; *p; p++) {
                        if (*p == '"')
                                quoted = !quoted;
                        else if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
                                break;
                }
                bool skip = false;
                for (size_t i = 0; i < ELEMENTSOF(drop); i++)
                        skip = skip || strncmp(w, drop[i], strlen(drop[i])) == 0;
                if (skip)
                        continue;
                if (t.len > 0)
                        text_add(&t, " ", 1);
                text_add(&t, w, (size_t)(p - w));
        }
        if (t.oom) {
                free(t.data);
                return -ENOMEM;
        }
        *ret = t.data;
        return 0;
}

/* ---- the plan ---- */

void plan_free(struct plan *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_entries; i++) {
                free(p->entries[i].file);
                free(p->entries[i].text);
        }
        free(p->entries);
        for (size_t i = 0; i < p->n_kernels_needed; i++)
                free(p->kernels_needed[i]);
        free(p->kernels_needed);
        for (size_t i = 0; i < p->n_kernels_unused; i++)
                free(p->kernels_unused[i]);
        free(p->kernels_unused);
        free(p->loader_conf);
        *p = (struct plan) {};
}

/* What a planned file is: its operation, whether it is a UKI, its root, and why it goes. */
struct plan_what {
        enum plan_op op;
        bool uki;
        const char *root;
        const char *reason;
};

/* Adds a file to the plan; text (may be NULL) is taken over, also on failure. */
static int add_entry(struct plan *p, const struct plan_what *w, const char *file, char *text) {
        struct plan_entry *e = realloc(p->entries, (p->n_entries + 1) * sizeof *e);
        if (!e) {
                free(text);
                return -ENOMEM;
        }
        p->entries = e;
        e = &p->entries[p->n_entries];
        *e = (struct plan_entry) { .op = w->op,
                                   .uki = w->uki,
                                   .file = strdup(file),
                                   .text = text,
                                   .root = w->root,
                                   .reason = w->reason };
        if (!e->file) {
                free(text);
                return -ENOMEM;
        }
        p->n_entries++;
        return 0;
}

static int add_name(char ***list, size_t *n, const char *name) {
        for (size_t i = 0; i < *n; i++)
                if (streq((*list)[i], name))
                        return 0;
        char **l = realloc(*list, (*n + 1) * sizeof *l);
        if (!l)
                return -ENOMEM;
        *list = l;
        l[*n] = strdup(name);
        if (!l[*n])
                return -ENOMEM;
        (*n)++;
        return 0;
}

/* An existing koompi entry file or UKI, parsed. */
struct existing {
        const struct plan_file *file;
        bool uki;
        struct entry_name name;
        char id[ENTRY_NAME_MAX + 1]; /* "koompi-x", lower case, no counter, no suffix */
        bool claimed;
};

/* The ID of an entry name: lower case, without its counter and its suffix. */
static int name_id(const struct entry_name *e, char *buf, size_t size) {
        int r = entry_name_id(e, buf, size);
        if (r < 0)
                return r;
        buf[strlen(buf) - strlen(e->suffix)] = 0;
        return 0;
}

/* Whether a is the better twin to keep than b. */
static bool keep_over(const struct existing *a, const struct existing *b) {
        if (a->name.has_counter != b->name.has_counter)
                return a->name.has_counter;
        if (a->name.has_counter) {
                if (a->name.left != b->name.left)
                        return a->name.left < b->name.left;
                if (a->name.done != b->name.done)
                        return a->name.done > b->name.done;
        }
        return strcmp(a->file->name, b->file->name) < 0;
}

/* The file name a root's new file starts with (its counter aside) and its ID. */
static int root_file(const struct plan_root *r, bool uki, struct entry_name *ret,
                     char id[ENTRY_NAME_MAX + 1]) {
        char file[ENTRY_NAME_MAX + 1];
        int k = entry_filename_for_root(r->name, 0, file, sizeof file);
        if (k < 0)
                return k;
        if (uki) {
                size_t n = strlen(file) - strlen(".conf");
                if ((size_t)snprintf(file + n, sizeof file - n, "%s", UKI_SUFFIX) >= sizeof file - n)
                        return -ENAMETOOLONG;
        }
        k = entry_name_parse(file, uki ? UKI_SUFFIX : ".conf", ret);
        if (k == 0)
                k = name_id(ret, id, ENTRY_NAME_MAX + 1);
        return k;
}

/* A new file's counter: the one of the root's file of the other kind when there is one (carry),
 * else none for a good root, spent for a bad one, TRIES for any other. */
static int new_counter(const struct plan_input *in, const struct plan_root *r, const struct existing *carry,
                       struct entry_name *e) {
        if (carry) {
                e->has_counter = carry->name.has_counter;
                e->left = carry->name.left;
                e->done = carry->name.done;
                return 0;
        }
        if (r->bad)
                entry_counter_mark_bad(e);
        else if (!r->good)
                return entry_counter_set(e, in->tries > 0 ? in->tries : ROOT_TRIES_DEFAULT);
        return 0;
}

/* The root's files: the best of the kind written now (keep), the best of the other (carry). */
static void claim_files(const struct plan_input *in, const char *id, struct existing *ex, size_t n_ex,
                        struct existing **keep, struct existing **carry) {
        *keep = *carry = NULL;
        for (size_t i = 0; i < n_ex; i++) {
                struct existing **best = ex[i].uki == in->uki ? keep : carry;
                if (ex[i].claimed || !streq(ex[i].id, id))
                        continue;
                ex[i].claimed = true;
                if (!*best || keep_over(&ex[i], *best))
                        *best = &ex[i];
        }
}

/* The root's other files go: twins of the one kept (by_hand: of its entry named by hand, all of
 * them), files of the other kind. */
static int remove_others(const struct plan_input *in, const struct plan_root *r, const char *id,
                         const struct existing *keep, bool by_hand, const struct existing *ex, size_t n_ex,
                         struct plan *p) {
        for (size_t i = 0; i < n_ex; i++) {
                const char *other = in->uki ? "image = uki" : "image = entry";
                struct plan_what w = { PLAN_REMOVE, ex[i].uki, r->name,
                                       by_hand || ex[i].uki == in->uki ? "twin" : other };
                int k;
                if (&ex[i] == keep || !ex[i].claimed || !streq(ex[i].id, id))
                        continue;
                k = add_entry(p, &w, ex[i].file->name, NULL);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* A root whose entry was named by hand (another tool's, or a person's) keeps it as it is, and no
 * file of koompi-boot's stands beside it. NULL when it has none. */
static const struct plan_file *hand_entry(const struct plan_input *in, const struct plan_root *r) {
        for (size_t i = 0; i < in->n_entries; i++)
                if (hand_entry_is_of_root(in->entries[i].name, in->entries[i].text, r->name))
                        return &in->entries[i];
        return NULL;
}

static int plan_hand_entry(const struct plan_input *in, const struct plan_root *r,
                           const struct plan_file *hand, struct existing *ex, size_t n_ex, struct plan *p) {
        struct plan_what w = { PLAN_KEEP, false, r->name, "named by hand" };
        char id[ENTRY_NAME_MAX + 1];
        struct existing *keep, *carry;
        struct entry_name e;
        int k = root_file(r, in->uki, &e, id);
        if (k < 0)
                return k;
        claim_files(in, id, ex, n_ex, &keep, &carry);
        k = add_entry(p, &w, hand->name, NULL);
        return k < 0 ? k : remove_others(in, r, id, NULL, true, ex, n_ex, p);
}

static int plan_root_entry(const struct plan_input *in, const struct plan_root *r, struct existing *ex,
                           size_t n_ex, struct plan *p) {
        char want_id[ENTRY_NAME_MAX + 1], file[ENTRY_NAME_MAX + 1];
        struct plan_what w = { PLAN_CREATE, in->uki, r->name, NULL };
        struct existing *keep, *carry;
        struct entry_name e;
        char *text = NULL;
        int k;

        k = root_file(r, in->uki, &e, want_id);
        if (k < 0)
                return k;
        k = in->uki ? plan_uki_text(r, in->options, in->signer, &text)
                    : plan_entry_text(r, in->options, &text);
        if (k < 0)
                return k;
        claim_files(in, want_id, ex, n_ex, &keep, &carry);
        if (!keep) {
                k = new_counter(in, r, carry, &e);
                if (k == 0)
                        k = entry_name_format(&e, file, sizeof file);
                if (k < 0) {
                        free(text);
                        return k;
                }
        } else if (keep->file->text && streq(keep->file->text, text)) {
                w.op = PLAN_KEEP;
                free(text);
                text = NULL;
        } else
                w.op = PLAN_UPDATE;
        k = add_entry(p, &w, keep ? keep->file->name : file, text);
        if (k == 0)
                k = remove_others(in, r, want_id, keep, false, ex, n_ex, p);
        return k;
}

/* The read-only roots: each with a usable name and kernel, and no two whose entry IDs collide. Returns 1 if
 * there is a read-only root, 0 if there is none, -EINVAL (ret->conflict[0] names the bad root) or -EEXIST
 * (conflict[0..1] name the colliding pair). */
static int check_roots(const struct plan_input *in, struct plan *ret) {
        bool any = false;

        for (size_t i = 0; i < in->n_roots; i++) {
                const struct plan_root *a = &in->roots[i];
                char ida[ENTRY_ROOT_ID_MAX + 1], idb[ENTRY_ROOT_ID_MAX + 1];

                if (!a->read_only)
                        continue;
                any = true;
                if (!root_name_ok(a->name) || !plan_is_kernel_id(a->kernel_id) ||
                    entry_id_from_root(a->name, ida, sizeof ida) < 0) {
                        ret->conflict[0] = a->name;
                        return -EINVAL;
                }
                for (size_t j = 0; j < i; j++) {
                        const struct plan_root *b = &in->roots[j];
                        if (b->read_only && entry_id_from_root(b->name, idb, sizeof idb) == 0 &&
                            streq(ida, idb)) {
                                ret->conflict[0] = b->name;
                                ret->conflict[1] = a->name;
                                return -EEXIST;
                        }
                }
        }
        return any;
}

/* The koompi files among files (entries or UKIs), appended to ex; other files are not ours to touch. */
static void collect_kind(const struct plan_file *files, size_t n, bool uki, struct existing *ex,
                         size_t *n_ex) {
        for (size_t i = 0; i < n; i++) {
                struct existing *e = &ex[*n_ex];
                if (!files[i].name ||
                    entry_name_parse(files[i].name, uki ? UKI_SUFFIX : ".conf", &e->name) < 0 ||
                    !entry_name_koompi_id(&e->name) || name_id(&e->name, e->id, sizeof e->id) < 0)
                        continue;
                e->file = &files[i];
                e->uki = uki;
                (*n_ex)++;
        }
}

static int collect_existing(const struct plan_input *in, struct existing **ret, size_t *ret_n) {
        size_t n_ex = 0, n = in->n_entries + in->n_ukis;
        struct existing *ex = calloc(n ? n : 1, sizeof *ex);

        if (!ex)
                return -ENOMEM;
        collect_kind(in->entries, in->n_entries, false, ex, &n_ex);
        collect_kind(in->ukis, in->n_ukis, true, ex, &n_ex);
        *ret = ex;
        *ret_n = n_ex;
        return 0;
}

/* Entries of no read-only root go; the reason says whether their root exists but is writable. */
static int plan_orphans(const struct plan_input *in, const struct existing *ex, size_t n_ex,
                        struct plan *ret) {
        for (size_t i = 0; i < n_ex; i++) {
                struct plan_what w = { PLAN_REMOVE, ex[i].uki, NULL, "no such root" };
                int r;

                if (ex[i].claimed)
                        continue;
                for (size_t j = 0; j < in->n_roots; j++) {
                        char id[ENTRY_NAME_MAX + 1];
                        struct entry_name e;
                        if (root_file(&in->roots[j], ex[i].uki, &e, id) == 0 && streq(id, ex[i].id))
                                w.reason = "root not read-only";
                }
                r = add_entry(ret, &w, ex[i].file->name, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Kernels a read-only root boots that the ESP lacks, and kernel directories no read-only root boots
 * (with UKIs, none: they carry their kernels). */
static int plan_kernels(const struct plan_input *in, struct plan *ret) {
        for (size_t i = 0; i < in->n_roots && !in->uki; i++) {
                const struct plan_root *a = &in->roots[i];
                bool present = false;
                if (!a->read_only || hand_entry(in, a))
                        continue;
                for (size_t j = 0; j < in->n_kernel_dirs; j++)
                        present = present || streq_ptr(in->kernel_dirs[j], a->kernel_id);
                if (!present && add_name(&ret->kernels_needed, &ret->n_kernels_needed, a->kernel_id) < 0)
                        return -ENOMEM;
        }
        for (size_t j = 0; j < in->n_kernel_dirs; j++) {
                bool used = false;
                if (!plan_is_kernel_id(in->kernel_dirs[j]))
                        continue;
                for (size_t i = 0; i < in->n_roots && !in->uki; i++)
                        used = used ||
                                (in->roots[i].read_only && !hand_entry(in, &in->roots[i]) &&
                                 streq(in->roots[i].kernel_id, in->kernel_dirs[j]));
                /* An entry that is not koompi-boot's may boot it: kept while one does. */
                for (size_t i = 0; i < in->n_entries; i++)
                        used = used ||
                                hand_entry_uses_kernel(in->entries[i].name, in->entries[i].text,
                                                       in->kernel_dirs[j]);
                if (!used && add_name(&ret->kernels_unused, &ret->n_kernels_unused, in->kernel_dirs[j]) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* loader.conf's default for the roots' entries as planned (loaderdefault.h). */
static int plan_default(const struct plan_input *in, struct plan *p) {
        _cleanup_free_ struct default_candidate *c = calloc(p->n_entries ? p->n_entries : 1, sizeof *c);
        size_t n = 0;
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_entries; i++) {
                const struct plan_entry *e = &p->entries[i];
                for (size_t j = 0; e->op != PLAN_REMOVE && e->root && j < in->n_roots; j++)
                        if (in->roots[j].name == e->root)
                                c[n++] = (struct default_candidate) { e->file, e->uki,
                                                                      in->roots[j].generation };
        }
        return loader_default_choose(c, n, PLAN_DEFAULT_PATTERN, p->loader_default, sizeof p->loader_default);
}

int plan_entries(const struct plan_input *in, struct plan *ret) {
        _cleanup_free_ struct existing *ex = NULL;
        _cleanup_free_ char *conf = NULL;
        size_t n_ex = 0;
        int r;

        *ret = (struct plan) {};
        if (!in || (in->n_roots > 0 && !in->roots) || (in->n_entries > 0 && !in->entries) ||
            (in->n_ukis > 0 && !in->ukis))
                return -EINVAL;

        r = check_roots(in, ret);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;

        r = collect_existing(in, &ex, &n_ex);
        if (r < 0)
                return r;
        for (size_t i = 0; i < in->n_roots; i++) {
                if (!in->roots[i].read_only)
                        continue;
                const struct plan_file *hand = hand_entry(in, &in->roots[i]);
                r = hand ? plan_hand_entry(in, &in->roots[i], hand, ex, n_ex, ret)
                         : plan_root_entry(in, &in->roots[i], ex, n_ex, ret);
                if (r < 0)
                        return r;
        }
        r = plan_orphans(in, ex, n_ex, ret);
        if (r < 0)
                return r;
        r = plan_kernels(in, ret);
        if (r < 0)
                return r;

        r = plan_default(in, ret);
        if (r == 0)
                r = plan_loader_conf_default(in->loader_conf, ret->loader_default, &conf);
        if (r < 0)
                return r;
        if (r > 0) {
                ret->loader_conf = conf;
                conf = NULL;
        }
        return 0;
}
