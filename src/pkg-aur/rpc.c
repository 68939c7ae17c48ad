/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rpc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "workerline.h"
#include "util.h"

bool aur_valid_name(const char *name) {
        size_t n = strlen(name);
        if (n == 0 || n > 127 || name[0] == '-' || name[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                if (!alnum && !strchr("@._+-", c))
                        return false;
        }
        return true;
}

/* The unreserved characters of RFC 3986 as they are, every other byte %XX. */
static char *percent_encode(const char *s) {
        char *out = xmalloc(strlen(s) * 3 + 1), *p = out;
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr("-._~", c))
                        *p++ = (char)c;
                else
                        p += sprintf(p, "%%%02X", c);
        }
        *p = '\0';
        return out;
}

static char *rpc_url(const char *base, const char *query, const char *arg) {
        _cleanup_free_ char *enc = percent_encode(arg);
        char *url;
        if (asprintf(&url, "%s/rpc/?v=5&%s%s", base, query, enc) < 0)
                return NULL;
        return url;
}

char *aur_search_url(const char *base, const char *text) {
        return rpc_url(base, "type=search&arg=", text);
}

char *aur_info_url(const char *base, const char *name) {
        return rpc_url(base, "type=info&arg[]=", name);
}

char *aur_git_url(const char *base, const char *pkgbase) {
        char *url;
        return asprintf(&url, "%s/%s.git", base, pkgbase) < 0 ? NULL : url;
}

/* A string member with no control character and at most max bytes, or NULL. */
static const char *text_member(json_object *o, const char *key, size_t max) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        const char *s = json_object_get_string(v);
        size_t n = (size_t)json_object_get_string_len(v);
        if (n > max || strlen(s) != n)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return NULL;
        return s;
}

static const char *name_member(json_object *o, const char *key) {
        const char *s = text_member(o, key, 127);
        return s && aur_valid_name(s) ? s : NULL;
}

static int64_t int_member(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
                ? json_object_get_int64(v)
                : 0;
}

int aur_parse_answer(const char *text, size_t len, json_object **ret, char *why) {
        json_tokener *tok = json_tokener_new();
        json_object *o = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL, *results;
        bool complete = tok && json_tokener_get_error(tok) == json_tokener_success;
        json_tokener_free(tok);
        int r = -EBADMSG;
        if (!complete || !json_object_is_type(o, json_type_object) || int_member(o, "version") != 5)
                snprintf(why, WORKER_WHY_MAX,
                         "the AUR's answer is not an RPC version 5 answer: check [packages] aur_url");
        else if (streq_ptr(text_member(o, "type", 32), "error")) {
                const char *said = text_member(o, "error", 200);
                snprintf(why, WORKER_WHY_MAX, "the AUR refused the query: %s",
                         said ? said : "no reason given");
                r = -EIO;
        } else if (!json_object_object_get_ex(o, "results", &results) ||
                   !json_object_is_type(results, json_type_array))
                snprintf(why, WORKER_WHY_MAX, "the AUR's answer has no results list");
        else {
                *ret = json_object_get(results);
                r = 0;
        }
        json_object_put(o);
        return r;
}

bool aur_result_valid(json_object *result) {
        return name_member(result, "Name") && text_member(result, "Version", AUR_VERSION_MAX) &&
                aur_package_base(result);
}

/* The description cut to AUR_SUMMARY_MAX bytes, at a character's start; "" when there is none or
 * it holds a control character. */
static void summary_of(json_object *result, char buf[static AUR_SUMMARY_MAX + 1]) {
        const char *s = text_member(result, "Description", SIZE_MAX);
        size_t n = s ? strlen(s) : 0;
        if (n > AUR_SUMMARY_MAX)
                for (n = AUR_SUMMARY_MAX; n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; n--)
                        ;
        memcpy(buf, s ? s : "", n);
        buf[n] = '\0';
}

json_object *aur_item(json_object *result) {
        char summary[AUR_SUMMARY_MAX + 1];
        if (!aur_result_valid(result))
                return NULL;
        summary_of(result, summary);
        struct worker_item it = {
                .source = "aur",
                .name = name_member(result, "Name"),
                .id = name_member(result, "Name"),
                .version = text_member(result, "Version", AUR_VERSION_MAX),
                .summary = summary,
        };
        return workerline_item(&it);
}

const char *aur_package_base(json_object *result) {
        return name_member(result, "PackageBase");
}

json_object *aur_find(json_object *results, const char *name) {
        for (size_t i = 0; i < json_object_array_length(results); i++) {
                json_object *r = json_object_array_get_idx(results, i);
                if (streq_ptr(name_member(r, "Name"), name))
                        return r;
        }
        return NULL;
}

static json_object *facts_of(json_object *result) {
        json_object *f = json_object_new_object(), *v;
        const char *maintainer = text_member(result, "Maintainer", AUR_MAINTAINER_MAX);
        bool out_of_date = json_object_object_get_ex(result, "OutOfDate", &v) && v != NULL;
        double popularity = json_object_object_get_ex(result, "Popularity", &v) &&
                        (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
                ? json_object_get_double(v)
                : 0.0;
        json_object_object_add(f, "votes", json_object_new_int64(int_member(result, "NumVotes")));
        json_object_object_add(f, "popularity", json_object_new_double(popularity));
        json_object_object_add(f, "maintainer", maintainer ? json_object_new_string(maintainer) : NULL);
        json_object_object_add(f, "out_of_date", json_object_new_boolean(out_of_date));
        json_object_object_add(f, "first_submitted",
                               json_object_new_int64(int_member(result, "FirstSubmitted")));
        json_object_object_add(f, "last_modified", json_object_new_int64(int_member(result, "LastModified")));
        return f;
}

json_object *aur_info(json_object *result) {
        json_object *o = aur_item(result);
        if (!o)
                return NULL;
        json_object_object_add(o, "installed_size", json_object_new_int64(0));
        json_object_object_add(o, "needs_restart", json_object_new_boolean(true));
        json_object_object_add(o, "facts", facts_of(result));
        return o;
}
