/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The read-only half of the Flatpak source: the remotes' refs and the installed apps. */
#include "fpk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "workerline.h"

int fpk_errno(const GError *e) {
        if (!e)
                return -EIO;
        if (g_error_matches(e, FLATPAK_ERROR, FLATPAK_ERROR_ALREADY_INSTALLED))
                return -EEXIST;
        if (g_error_matches(e, FLATPAK_ERROR, FLATPAK_ERROR_NOT_INSTALLED) ||
            g_error_matches(e, FLATPAK_ERROR, FLATPAK_ERROR_REF_NOT_FOUND) ||
            g_error_matches(e, FLATPAK_ERROR, FLATPAK_ERROR_RUNTIME_NOT_FOUND))
                return -ENOENT;
        if (g_error_matches(e, FLATPAK_ERROR, FLATPAK_ERROR_ABORTED))
                return -ECANCELED;
        /* OSTree refuses a pull that would leave less than its minimum free space with a
         * message, not G_IO_ERROR_NO_SPACE. */
        if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NO_SPACE) || strstr(e->message, "min-free-space") ||
            strstr(e->message, "No space left"))
                return -ENOSPC;
        return -EIO;
}

int fpk_check_name(const char *name, char *why) {
        size_t n = strlen(name);
        bool ok = n > 0 && n <= 255 && name[0] != '.' && name[0] != '-' && strchr(name, '.');
        for (size_t i = 0; ok && i < n; i++)
                ok = g_ascii_isalnum(name[i]) || strchr("._-", name[i]);
        if (ok)
                return 0;
        snprintf(why, WORKER_WHY_MAX, "'%.64s' is not a Flatpak app id (such as org.example.App)", name);
        return -EINVAL;
}

static bool is_default_arch_app(FlatpakRef *ref) {
        return flatpak_ref_get_kind(ref) == FLATPAK_REF_KIND_APP &&
                g_strcmp0(flatpak_ref_get_arch(ref), flatpak_get_default_arch()) == 0;
}

/* Called for each app of a remote; returns true to stop the walk. */
typedef bool (*remote_app_fn)(const char *remote, FlatpakRemoteRef *ref, void *userdata);

/* Walks the apps of every enabled remote. 1 when fn stopped it, 0 when at least one remote was
 * read (or there is none), -EIO (why names the first remote that failed) when none could be. */
static int walk_remote_apps(FlatpakInstallation *inst, remote_app_fn fn, void *userdata, char *why) {
        g_autoptr(GError) err = NULL;
        g_autoptr(GPtrArray) remotes = flatpak_installation_list_remotes(inst, NULL, &err);
        if (!remotes) {
                snprintf(why, WORKER_WHY_MAX, "the Flatpak installation's remotes could not be read: %s",
                         err->message);
                return fpk_errno(err);
        }
        unsigned n_read = 0, n_failed = 0;
        for (unsigned i = 0; i < remotes->len; i++) {
                FlatpakRemote *remote = remotes->pdata[i];
                const char *rname = flatpak_remote_get_name(remote);
                if (flatpak_remote_get_disabled(remote) || flatpak_remote_get_noenumerate(remote))
                        continue;
                g_autoptr(GError) e = NULL;
                g_autoptr(GPtrArray) refs = flatpak_installation_list_remote_refs_sync(inst, rname, NULL, &e);
                if (!refs) {
                        if (n_failed++ == 0)
                                snprintf(why, WORKER_WHY_MAX,
                                         "the Flatpak remote '%s' could not be read (%s): check the network "
                                         "and the remote's address (flatpak remotes -d)",
                                         rname, e->message);
                        continue;
                }
                n_read++;
                for (unsigned j = 0; j < refs->len; j++)
                        if (is_default_arch_app(refs->pdata[j]) && fn(rname, refs->pdata[j], userdata))
                                return 1;
        }
        return n_read == 0 && n_failed > 0 ? -EIO : 0;
}

static bool has_name(void *ref, const char *name) {
        return g_strcmp0(flatpak_ref_get_name(FLATPAK_REF(ref)), name) == 0;
}

FlatpakInstalledRef *fpk_installed_app(FlatpakInstallation *inst, const char *name) {
        g_autoptr(GPtrArray) refs =
                flatpak_installation_list_installed_refs_by_kind(inst, FLATPAK_REF_KIND_APP, NULL, NULL);
        for (unsigned i = 0; refs && i < refs->len; i++)
                if (is_default_arch_app(refs->pdata[i]) && has_name(refs->pdata[i], name))
                        return g_object_ref(refs->pdata[i]);
        return NULL;
}

struct found {
        const char *name;
        char *remote;
        FlatpakRemoteRef *ref;
};

static bool found_app(const char *remote, FlatpakRemoteRef *ref, void *userdata) {
        struct found *f = userdata;
        if (!has_name(ref, f->name))
                return false;
        f->remote = g_strdup(remote);
        f->ref = g_object_ref(ref);
        return true;
}

int fpk_find_remote_app(FlatpakInstallation *inst, const char *name, char **ret_remote,
                        FlatpakRemoteRef **ret_ref, char *why) {
        struct found f = { .name = name };
        int r = fpk_check_name(name, why);
        if (r < 0)
                return r;
        r = walk_remote_apps(inst, found_app, &f, why);
        if (r < 0)
                return r;
        if (r == 0) {
                snprintf(why, WORKER_WHY_MAX,
                         "no Flatpak remote has an app named '%s': look for its id with koompi search", name);
                return -ENOENT;
        }
        *ret_remote = f.remote;
        *ret_ref = f.ref;
        return 0;
}

/* A remote's app as search shows it: its id names it and installs it; the branch is the only
 * version a remote's summary tells. */
static json_object *remote_item(FlatpakInstallation *inst, FlatpakRemoteRef *ref) {
        FlatpakRef *r = FLATPAK_REF(ref);
        g_autoptr(FlatpakInstalledRef) installed = fpk_installed_app(inst, flatpak_ref_get_name(r));
        struct worker_item it = {
                .source = "flatpak",
                .name = flatpak_ref_get_name(r),
                .id = flatpak_ref_get_name(r),
                .version = flatpak_ref_get_branch(r),
                .summary = "",
                .download_size = flatpak_remote_ref_get_download_size(ref),
                .installed = installed != NULL,
        };
        return workerline_item(&it);
}

struct search {
        FlatpakInstallation *inst;
        const char *text;
        json_object *items;
        GHashTable *seen; /* an app in two remotes is shown once, from the first */
};

static bool search_app(const char *remote, FlatpakRemoteRef *ref, void *userdata) {
        struct search *s = userdata;
        const char *name = flatpak_ref_get_name(FLATPAK_REF(ref));
        if (!strcasestr(name, s->text) || g_hash_table_contains(s->seen, name))
                return false;
        g_hash_table_add(s->seen, g_strdup(name));
        json_object_array_add(s->items, remote_item(s->inst, ref));
        return false;
}

int fpk_search(FlatpakInstallation *inst, const char *text, json_object **ret, char *why) {
        struct search s = { inst, text, json_object_new_array(),
                            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
        int r = walk_remote_apps(inst, search_app, &s, why);
        g_hash_table_unref(s.seen);
        if (r < 0) {
                json_object_put(s.items);
                return r;
        }
        *ret = s.items;
        return 0;
}

/* The [Context] permissions of an app's metadata, each list as it is written there (a "!"
 * before a value takes it away). */
static json_object *context_facts(GBytes *metadata) {
        static const char *const keys[] = { "filesystems", "devices", "shared", "sockets" };
        g_autoptr(GKeyFile) kf = g_key_file_new();
        bool loaded = metadata && g_key_file_load_from_bytes(kf, metadata, G_KEY_FILE_NONE, NULL);
        json_object *facts = json_object_new_object();
        for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
                json_object *list = json_object_new_array();
                g_auto(GStrv) values =
                        loaded ? g_key_file_get_string_list(kf, "Context", keys[i], NULL, NULL) : NULL;
                for (size_t j = 0; values && values[j]; j++)
                        json_object_array_add(list, json_object_new_string(values[j]));
                json_object_object_add(facts, keys[i], list);
        }
        return facts;
}

static GBytes *app_metadata(FlatpakInstallation *inst, const char *remote, FlatpakRemoteRef *ref, char *why) {
        GBytes *m = flatpak_remote_ref_get_metadata(ref);
        if (m)
                return g_bytes_ref(m);
        g_autoptr(GError) err = NULL;
        m = flatpak_installation_fetch_remote_metadata_sync(inst, remote, FLATPAK_REF(ref), NULL, &err);
        if (!m)
                snprintf(why, WORKER_WHY_MAX,
                         "the metadata of '%s' could not be read from the remote '%s': %s",
                         flatpak_ref_get_name(FLATPAK_REF(ref)), remote, err->message);
        return m;
}

int fpk_info(FlatpakInstallation *inst, const char *name, json_object **ret, char *why) {
        g_autofree char *remote = NULL;
        g_autoptr(FlatpakRemoteRef) ref = NULL;
        int r = fpk_find_remote_app(inst, name, &remote, &ref, why);
        if (r < 0)
                return r;
        g_autoptr(GBytes) metadata = app_metadata(inst, remote, ref, why);
        if (!metadata)
                return -EIO;
        json_object *o = remote_item(inst, ref);
        json_object_object_add(o, "installed_size",
                               json_object_new_int64((int64_t)flatpak_remote_ref_get_installed_size(ref)));
        json_object_object_add(o, "needs_restart", json_object_new_boolean(false));
        g_autofree char *full = flatpak_ref_format_ref(FLATPAK_REF(ref));
        json_object_object_add(o, "remote", json_object_new_string(remote));
        json_object_object_add(o, "ref", json_object_new_string(full));
        json_object_object_add(o, "facts", context_facts(metadata));
        *ret = o;
        return 0;
}

static json_object *installed_item(FlatpakInstalledRef *ref) {
        FlatpakRef *r = FLATPAK_REF(ref);
        const char *version = flatpak_installed_ref_get_appdata_version(ref);
        struct worker_item it = {
                .source = "flatpak",
                .name = flatpak_ref_get_name(r),
                .id = flatpak_ref_get_name(r),
                .version = version ? version : flatpak_ref_get_branch(r),
                .summary = flatpak_installed_ref_get_appdata_summary(ref),
                .installed = true,
        };
        return workerline_item(&it);
}

int fpk_list(FlatpakInstallation *inst, json_object **ret, char *why) {
        g_autoptr(GError) err = NULL;
        g_autoptr(GPtrArray) refs =
                flatpak_installation_list_installed_refs_by_kind(inst, FLATPAK_REF_KIND_APP, NULL, &err);
        if (!refs) {
                snprintf(why, WORKER_WHY_MAX, "the installed Flatpak apps could not be listed: %s",
                         err->message);
                return fpk_errno(err);
        }
        json_object *items = json_object_new_array();
        for (unsigned i = 0; i < refs->len; i++)
                json_object_array_add(items, installed_item(refs->pdata[i]));
        *ret = items;
        return 0;
}
