/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An info answer checked, and the risk of a request read from its facts. */
#include <errno.h>
#include <string.h>

#include "pkginfo.h"
#include "strv.h"
#include "util.h"

#define FACT_LIST_MAX 64

/* An array of at most FACT_LIST_MAX short strings, copied under key. */
static bool take_list(json_object *in, json_object *out, const char *key) {
        json_object *v = pkg_json_get(in, key, json_type_array), *copy = json_object_new_array();
        size_t n = v ? json_object_array_length(v) : 0;
        if ((!v && json_object_object_get_ex(in, key, NULL)) || n > FACT_LIST_MAX) {
                json_object_put(copy);
                return false;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(v, i);
                if (!json_object_is_type(s, json_type_string) || json_object_get_string_len(s) > 256) {
                        json_object_put(copy);
                        return false;
                }
                json_object_array_add(copy, json_object_new_string(json_object_get_string(s)));
        }
        json_object_object_add(out, key, copy);
        return true;
}

static bool take_aur(json_object *in, json_object *out) {
        json_object *m = pkg_json_get(in, "maintainer", json_type_string),
                    *pop = pkg_json_get(in, "popularity", json_type_double),
                    *ood = pkg_json_get(in, "out_of_date", json_type_boolean),
                    *pkgbuild = pkg_json_get(in, "pkgbuild", json_type_string);
        if (!pkg_take_u64(in, out, "votes") || !pkg_take_u64(in, out, "first_submitted") ||
            !pkg_take_u64(in, out, "last_modified") || (m && json_object_get_string_len(m) > 64) ||
            (pkgbuild && json_object_get_string_len(pkgbuild) > PKG_PKGBUILD_MAX))
                return false;
        json_object_object_add(out, "maintainer",
                               m ? json_object_new_string(json_object_get_string(m)) : NULL);
        json_object_object_add(out, "popularity",
                               json_object_new_double(pop ? json_object_get_double(pop) : 0));
        json_object_object_add(out, "out_of_date",
                               json_object_new_boolean(ood && json_object_get_boolean(ood)));
        json_object_object_add(out, "pkgbuild",
                               pkgbuild ? json_object_new_string(json_object_get_string(pkgbuild)) : NULL);
        return true;
}

static bool take_facts(json_object *in, enum pkg_source src, json_object *out) {
        json_object *type;
        switch (src) {
        case PKG_FLATPAK:
                return take_list(in, out, "filesystems") && take_list(in, out, "devices") &&
                        take_list(in, out, "shared") && take_list(in, out, "sockets");
        case PKG_AUR:
                return take_aur(in, out);
        case PKG_APPIMAGE:
                type = pkg_json_get(in, "type", json_type_int);
                json_object_object_add(out, "type",
                                       json_object_new_int(type ? json_object_get_int(type) : 0));
                return pkg_take_text(in, out, "desktop", 400, true);
        default:
                return true;
        }
}

int pkg_info_clean(json_object *r, enum pkg_source src, json_object **ret) {
        json_object *out, *facts = json_object_new_object(),
                          *in_facts = pkg_json_get(r, "facts", json_type_object);
        int e = pkg_item_clean(r, src, &out);
        if (e < 0) {
                json_object_put(facts);
                return e;
        }
        bool ok = pkg_take_u64(r, out, "installed_size") && (!in_facts || take_facts(in_facts, src, facts));
        json_object_object_add(out, "needs_restart", json_object_new_boolean(pkg_source_needs_restart(src)));
        json_object_object_add(out, "facts", facts);
        if (!ok) {
                json_object_put(out);
                return -EBADMSG;
        }
        *ret = out;
        return 0;
}

int pkg_build_clean(json_object *r, json_object **ret) {
        json_object *files = pkg_json_get(r, "files", json_type_array), *out;
        size_t n = files ? json_object_array_length(files) : 0;
        if (n == 0 || n > 32)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++) {
                const char *f = json_object_get_string(json_object_array_get_idx(files, i));
                if (!json_object_is_type(json_object_array_get_idx(files, i), json_type_string) ||
                    f[0] != '/' || strstr(f, "/../") || !strstr(f, ".pkg.tar") || strlen(f) > 1024 ||
                    strpbrk(f, " '\"\\\n$`"))
                        return -EBADMSG;
        }
        out = json_object_new_object();
        json_object_object_add(out, "files", json_object_get(files));
        *ret = out;
        return 0;
}

static char **strings_of(json_object *facts, const char *key) {
        json_object *v = pkg_json_get(facts, key, json_type_array);
        char **list = NULL;
        for (size_t i = 0; v && i < json_object_array_length(v); i++)
                if (strv_extend(&list, json_object_get_string(json_object_array_get_idx(v, i))) < 0)
                        abort();
        return list;
}

void pkg_info_risk(json_object *info, const struct pkg_risk_context *ctx, struct risk_result *ret) {
        json_object *facts = pkg_json_get(info, "facts", json_type_object), *v;
        struct risk_facts f = { .source = ctx->source,
                                .op = ctx->op,
                                .name = ctx->name,
                                .now = ctx->now,
                                .protected_names = ctx->protected_names };
        if (ctx->source == PKG_AUR && facts) {
                v = pkg_json_get(facts, "maintainer", json_type_string);
                f.aur = (struct risk_aur) {
                        .known = true,
                        .votes = (long)json_object_get_int64(pkg_json_get(facts, "votes", json_type_int)),
                        .out_of_date = json_object_get_boolean(
                                pkg_json_get(facts, "out_of_date", json_type_boolean)),
                        .first_submitted =
                                json_object_get_int64(pkg_json_get(facts, "first_submitted", json_type_int)),
                        .maintainer = v ? json_object_get_string(v) : NULL,
                        .last_maintainer = ctx->last_maintainer,
                };
                v = pkg_json_get(facts, "pkgbuild", json_type_string);
                f.aur.pkgbuild = v ? json_object_get_string(v) : NULL;
        }
        char **fs = strings_of(facts, "filesystems"), **dev = strings_of(facts, "devices");
        f.flatpak_filesystems = fs;
        f.flatpak_devices = dev;
        risk_score(&f, ret);
        strv_free(fs);
        strv_free(dev);
}
