/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The changing half of the Flatpak source: one non-interactive FlatpakTransaction per request,
 * its progress passed on, and a failed install undone. */
#include "fpk.h"

#include <errno.h>
#include <stdio.h>

#include "workerline.h"

struct tx_state {
        const struct fpk_ops *ops;
        unsigned n_ops; /* known once the transaction is ready */
        unsigned n_done;
        char *current; /* the ref being worked on */
        GError *error; /* the first operation's error */
};

static void on_progress(FlatpakTransactionProgress *p, gpointer userdata) {
        struct tx_state *s = userdata;
        if (!s->ops || !s->ops->progress)
                return;
        g_autofree char *status = flatpak_transaction_progress_get_status(p);
        g_autofree char *text = g_strdup_printf("%s: %s", s->current, status ? status : "");
        unsigned total = MAX(s->n_ops, s->n_done + 1);
        s->ops->progress((uint64_t)s->n_done * 100 + (unsigned)flatpak_transaction_progress_get_progress(p),
                         (uint64_t)total * 100, text, s->ops->userdata);
}

static void on_new_operation(FlatpakTransaction *tx, FlatpakTransactionOperation *op,
                             FlatpakTransactionProgress *p, gpointer userdata) {
        struct tx_state *s = userdata;
        g_free(s->current);
        s->current = g_strdup(flatpak_transaction_operation_get_ref(op));
        flatpak_transaction_progress_set_update_frequency(p, 500);
        g_signal_connect(p, "changed", G_CALLBACK(on_progress), s);
        on_progress(p, s);
}

static void on_operation_done(FlatpakTransaction *tx, FlatpakTransactionOperation *op, const char *commit,
                              FlatpakTransactionResult details, gpointer userdata) {
        struct tx_state *s = userdata;
        s->n_done++;
}

static gboolean on_operation_error(FlatpakTransaction *tx, FlatpakTransactionOperation *op,
                                   const GError *error, FlatpakTransactionErrorDetails details,
                                   gpointer userdata) {
        struct tx_state *s = userdata;
        if (!s->error)
                s->error = g_error_copy(error);
        return FALSE; /* stop: a half-done request is undone, not continued */
}

static gboolean on_ready(FlatpakTransaction *tx, gpointer userdata) {
        struct tx_state *s = userdata;
        g_autolist(FlatpakTransactionOperation) ops = flatpak_transaction_get_operations(tx);
        s->n_ops = g_list_length(ops);
        return TRUE;
}

static FlatpakTransaction *new_transaction(FlatpakInstallation *inst, struct tx_state *s, GError **err) {
        FlatpakTransaction *tx = flatpak_transaction_new_for_installation(inst, NULL, err);
        if (!tx)
                return NULL;
        flatpak_transaction_set_no_interaction(tx, TRUE);
        g_signal_connect(tx, "new-operation", G_CALLBACK(on_new_operation), s);
        g_signal_connect(tx, "operation-done", G_CALLBACK(on_operation_done), s);
        g_signal_connect(tx, "operation-error", G_CALLBACK(on_operation_error), s);
        g_signal_connect(tx, "ready", G_CALLBACK(on_ready), s);
        return tx;
}

/* Runs the transaction made by add (0 or a negative errno, why said) for refs. */
static int run_transaction(FlatpakInstallation *inst, const struct fpk_ops *ops, char *const *refs,
                           bool install, const char *remote, char *why) {
        struct tx_state s = { .ops = ops };
        g_autoptr(GError) err = NULL;
        g_autoptr(FlatpakTransaction) tx = new_transaction(inst, &s, &err);
        bool ok = tx != NULL;
        for (size_t i = 0; ok && refs[i]; i++)
                ok = install ? flatpak_transaction_add_install(tx, remote, refs[i], NULL, &err)
                             : flatpak_transaction_add_uninstall(tx, refs[i], &err);
        ok = ok && flatpak_transaction_run(tx, NULL, &err);
        const GError *e = s.error ? s.error : err;
        int r = ok ? 0 : fpk_errno(e);
        if (!ok)
                snprintf(why, WORKER_WHY_MAX, "%s %s failed: %s", install ? "installing" : "removing",
                         s.current ? s.current : refs[0], e ? e->message : "unknown error");
        g_free(s.current);
        g_clear_error(&s.error);
        return r;
}

/* The full refs installed now (apps and runtimes), as a set. */
static GHashTable *installed_set(FlatpakInstallation *inst) {
        GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GPtrArray) refs = flatpak_installation_list_installed_refs(inst, NULL, NULL);
        for (unsigned i = 0; refs && i < refs->len; i++)
                g_hash_table_add(set, flatpak_ref_format_ref(refs->pdata[i]));
        return set;
}

/* Uninstalls what is installed now and was not in before, then drops the objects a cut pull
 * left in the local repository. Best effort: the install's own error is what is reported. */
static void undo_install(FlatpakInstallation *inst, GHashTable *before) {
        g_autoptr(GHashTable) now = installed_set(inst);
        g_autoptr(GPtrArray) added = g_ptr_array_new();
        GHashTableIter it;
        gpointer ref;
        char why[WORKER_WHY_MAX];
        g_hash_table_iter_init(&it, now);
        while (g_hash_table_iter_next(&it, &ref, NULL))
                if (!g_hash_table_contains(before, ref))
                        g_ptr_array_add(added, ref);
        g_ptr_array_add(added, NULL);
        if (added->len > 1 && run_transaction(inst, NULL, (char **)added->pdata, false, NULL, why) < 0)
                fprintf(stderr, "koompi-pkg-flatpak: undoing a failed install: %s\n", why);
        flatpak_installation_prune_local_repo(inst, NULL, NULL);
}

static json_object *name_version(FlatpakRef *ref) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(flatpak_ref_get_name(ref)));
        json_object_object_add(o, "version", json_object_new_string(flatpak_ref_get_branch(ref)));
        return o;
}

int fpk_install(FlatpakInstallation *inst, const char *name, const struct fpk_ops *ops, json_object **ret,
                char *why) {
        g_autofree char *remote = NULL;
        g_autoptr(FlatpakRemoteRef) ref = NULL;
        g_autoptr(FlatpakInstalledRef) installed = fpk_installed_app(inst, name);
        if (installed) {
                snprintf(why, WORKER_WHY_MAX, "the Flatpak app '%s' is already installed", name);
                return -EEXIST;
        }
        int r = fpk_find_remote_app(inst, name, &remote, &ref, why);
        if (r < 0)
                return r;
        g_autofree char *full = flatpak_ref_format_ref(FLATPAK_REF(ref));
        char *refs[] = { full, NULL };
        g_autoptr(GHashTable) before = installed_set(inst);
        r = run_transaction(inst, ops, refs, true, remote, why);
        if (r < 0) {
                undo_install(inst, before);
                return r;
        }
        *ret = name_version(FLATPAK_REF(ref));
        return 0;
}

int fpk_remove(FlatpakInstallation *inst, const char *name, const struct fpk_ops *ops, json_object **ret,
               char *why) {
        int r = fpk_check_name(name, why);
        if (r < 0)
                return r;
        g_autoptr(FlatpakInstalledRef) installed = fpk_installed_app(inst, name);
        if (!installed) {
                snprintf(why, WORKER_WHY_MAX,
                         "the Flatpak app '%s' is not installed: see koompi list --from flatpak", name);
                return -ENOENT;
        }
        g_autofree char *full = flatpak_ref_format_ref(FLATPAK_REF(installed));
        char *refs[] = { full, NULL };
        r = run_transaction(inst, ops, refs, false, NULL, why);
        if (r < 0)
                return r;
        *ret = name_version(FLATPAK_REF(installed));
        return 0;
}
