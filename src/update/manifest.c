/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manifest.json, format 1: the only file of the update library that reads JSON with json-c. */
#include "manifest.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "strv.h"
#include "util.h"

static const char *const tier_names[_TIER_MAX] = {
        [TIER_SECURITY] = "security",
        [TIER_CRITICAL] = "critical",
        [TIER_REGULAR] = "regular",
        [TIER_MAJOR] = "major",
};

const char *update_tier_name(enum update_tier t) {
        return (unsigned)t < _TIER_MAX ? tier_names[t] : NULL;
}

int update_tier_parse(const char *s, enum update_tier *ret) {
        for (unsigned t = 0; s && t < _TIER_MAX; t++)
                if (streq(s, tier_names[t])) {
                        *ret = (enum update_tier)t;
                        return 0;
                }
        return -EINVAL;
}

/* Whether s has the form "DDDD-DD-DDTDD:DD:DDZ", digits only where a D is: sscanf() alone also
 * takes a sign or a space in place of a digit ("-026-12-06T00:00:00Z"). */
static bool time_form(const char *s) {
        static const char form[] = "DDDD-DD-DDTDD:DD:DDZ";
        if (strlen(s) != sizeof form - 1)
                return false;
        for (size_t i = 0; form[i]; i++)
                if (form[i] == 'D' ? s[i] < '0' || s[i] > '9' : s[i] != form[i])
                        return false;
        return true;
}

int update_time_parse(const char *s, int64_t *ret) {
        struct tm tm = { 0 }, back;
        char z = 0;
        int n = 0;
        if (!s || !time_form(s) ||
            sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec, &z, &n) != 7 ||
            n != 20 || z != 'Z')
                return -EINVAL;
        int year = tm.tm_year, mon = tm.tm_mon, mday = tm.tm_mday;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        time_t t = timegm(&tm);
        /* timegm() folds "February 30" into March: a date that does not come back is refused. */
        if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_year + 1900 != year ||
            back.tm_mon + 1 != mon || back.tm_mday != mday || tm.tm_hour > 23 || tm.tm_min > 59 ||
            tm.tm_sec > 59)
                return -EINVAL;
        *ret = (int64_t)t;
        return 0;
}

void update_time_format(int64_t t, char *buf, size_t size) {
        struct tm tm;
        time_t tt = (time_t)t;
        /* Four digits of year whatever it is, as update_time_parse() reads it (strftime()'s %Y
         * writes the year 763 as "763"). */
        if (!gmtime_r(&tt, &tm) ||
            (size_t)snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900LL,
                             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) >= size)
                snprintf(buf, size, "?");
}

static bool chars_in(const char *s, const char *allowed, size_t max) {
        size_t n = s ? strlen(s) : 0;
        return n > 0 && n <= max && s[strspn(s, allowed)] == '\0';
}

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"
#define ALNUM LOWER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

bool update_name_valid(const char *s) {
        return chars_in(s, LOWER_DIGITS "._-", 64) && s[0] != '.';
}

bool update_version_valid(const char *s) {
        return chars_in(s, ALNUM "._+:~-", 64) && s[0] != '.';
}

static bool file_valid(const char *s) {
        return chars_in(s, ALNUM "._+:~@-", 255) && s[0] != '.';
}

/* A relative folder of plain names, ending in '/': "2026.12.2/". */
static bool repo_path_valid(const char *s) {
        if (!chars_in(s, ALNUM "._+~-/", 255) || s[0] == '/' || !endswith(s, "/"))
                return false;
        for (const char *p = s; *p; p = strchr(p, '/') + 1)
                if (p[0] == '/' || p[0] == '.')
                        return false;
        return true;
}

static bool sha256_valid(const char *s) {
        return chars_in(s, "0123456789abcdef", 64) && strlen(s) == 64;
}

static int malformed(struct update_refusal *why, const char *field, const char *expect) {
        return update_refuse(why, -EBADMSG, "malformed manifest: \"%s\" must be %s", field, expect);
}

/* The member key of o as a string passing valid (NULL: any); required or *ret stays NULL. */
static int get_string(json_object *o, const char *key, bool required, bool (*valid)(const char *),
                      const char *expect, char **ret, struct update_refusal *why) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) && !required)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return malformed(why, key, expect);
        const char *s = json_object_get_string(v);
        if (strlen(s) != (size_t)json_object_get_string_len(v) || (valid && !valid(s)))
                return malformed(why, key, expect);
        *ret = strdup_or_die(s);
        return 0;
}

static int get_uint(json_object *o, const char *key, uint64_t min, uint64_t max, uint64_t *ret,
                    struct update_refusal *why) {
        json_object *v;
        char expect[80];
        snprintf(expect, sizeof expect, "an integer from %llu to %llu", (unsigned long long)min,
                 (unsigned long long)max);
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return malformed(why, key, expect);
        int64_t n = json_object_get_int64(v);
        if (n < 0 || (uint64_t)n < min || (uint64_t)n > max)
                return malformed(why, key, expect);
        *ret = (uint64_t)n;
        return 0;
}

static int get_time(json_object *o, const char *key, bool required, int64_t *ret,
                    struct update_refusal *why) {
        _cleanup_free_ char *s = NULL;
        const char *expect = "a UTC time such as \"2026-12-06T00:00:00Z\"";
        int r = get_string(o, key, required, NULL, expect, &s, why);
        if (r < 0 || !s)
                return r;
        return update_time_parse(s, ret) < 0 ? malformed(why, key, expect) : 0;
}

static int get_object(json_object *o, const char *key, json_type type, json_object **ret,
                      struct update_refusal *why) {
        if (!json_object_object_get_ex(o, key, ret) || !json_object_is_type(*ret, type))
                return malformed(why, key, type == json_type_array ? "a list" : "an object");
        return 0;
}

static int parse_format(json_object *root, struct manifest *m, struct update_refusal *why) {
        uint64_t format;
        int r = get_uint(root, "format", 0, UINT32_MAX, &format, why);
        if (r < 0)
                return r;
        if (format != MANIFEST_FORMAT)
                return update_refuse(why, -EPROTONOSUPPORT,
                                     "unknown manifest format %llu: this machine reads format %d only",
                                     (unsigned long long)format, MANIFEST_FORMAT);
        m->format = (unsigned)format;
        return 0;
}

static int parse_release(json_object *root, struct manifest *m, struct update_refusal *why) {
        _cleanup_free_ char *tier = NULL;
        const char *tiers = "one of security, critical, regular, major";
        int r = get_string(root, "channel", true, update_name_valid, "a channel name", &m->channel, why);
        if (r >= 0)
                r = get_string(root, "version", true, update_version_valid, "a version", &m->version, why);
        if (r >= 0)
                r = get_uint(root, "serial", 1, INT64_MAX, &m->serial, why);
        if (r >= 0)
                r = get_time(root, "issued", true, &m->issued, why);
        if (r >= 0)
                r = get_time(root, "expires", true, &m->expires, why);
        if (r >= 0 && m->expires <= m->issued)
                r = malformed(why, "expires", "later than \"issued\"");
        if (r >= 0)
                r = get_string(root, "tier", true, NULL, tiers, &tier, why);
        if (r >= 0 && update_tier_parse(tier, &m->tier) < 0)
                r = malformed(why, "tier", tiers);
        if (r >= 0)
                r = get_string(root, "notes", false, NULL, "text", &m->notes, why);
        return r;
}

/* The member key of o as true or false; absent is false unless required. */
static int get_bool(json_object *o, const char *key, bool required, bool *ret, struct update_refusal *why) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) && !required) {
                *ret = false;
                return 0;
        }
        if (!json_object_is_type(v, json_type_boolean))
                return malformed(why, key, "true or false");
        *ret = json_object_get_boolean(v);
        return 0;
}

static int parse_rollout(json_object *root, struct manifest *m, struct update_refusal *why) {
        json_object *rollout;
        uint64_t percent;
        int r = get_object(root, "rollout", json_type_object, &rollout, why);
        if (r >= 0)
                r = get_uint(rollout, "percent", 0, 100, &percent, why);
        if (r >= 0)
                r = get_bool(rollout, "paused", true, &m->paused, why);
        if (r >= 0)
                r = get_time(rollout, "started", false, &m->started, why);
        if (r < 0)
                return r;
        m->percent = (unsigned)percent;
        return 0;
}

static int parse_repo(json_object *root, struct manifest *m, struct update_refusal *why) {
        json_object *repo;
        int r = get_object(root, "repo", json_type_object, &repo, why);
        if (r >= 0)
                r = get_string(repo, "name", true, update_name_valid, "a repository name", &m->repo_name,
                               why);
        if (r >= 0)
                r = get_string(repo, "path", true, repo_path_valid, "a relative folder ending in '/'",
                               &m->repo_path, why);
        return r;
}

static int parse_package(json_object *o, struct manifest_package *p, struct update_refusal *why) {
        _cleanup_free_ char *sha = NULL;
        if (!json_object_is_type(o, json_type_object))
                return malformed(why, "packages", "a list of objects");
        int r = get_string(o, "name", true, file_valid, "a package name", &p->name, why);
        if (r >= 0)
                r = get_string(o, "version", true, update_version_valid, "a version", &p->version, why);
        if (r >= 0)
                r = get_string(o, "file", true, file_valid, "a file name", &p->file, why);
        if (r >= 0)
                r = get_uint(o, "size", 0, INT64_MAX, &p->size, why);
        if (r >= 0)
                r = get_string(o, "sha256", true, sha256_valid, "64 lower-case hex digits", &sha, why);
        if (r >= 0)
                memcpy(p->sha256, sha, sizeof p->sha256);
        if (r >= 0)
                r = get_bool(o, "optional", false, &p->optional, why);
        return r;
}

static int parse_packages(json_object *root, struct manifest *m, struct update_refusal *why) {
        json_object *list;
        int r = get_object(root, "packages", json_type_array, &list, why);
        if (r < 0)
                return r;
        size_t n = json_object_array_length(list);
        m->packages = calloc(n ? n : 1, sizeof *m->packages);
        if (!m->packages)
                abort();
        for (size_t i = 0; i < n; i++, m->n_packages++)
                if ((r = parse_package(json_object_array_get_idx(list, i), &m->packages[i], why)) < 0) {
                        m->n_packages++; /* freed with the rest */
                        return r;
                }
        return 0;
}

static int parse_revoked(json_object *root, struct manifest *m, struct update_refusal *why) {
        json_object *list;
        int r = get_object(root, "revoked", json_type_array, &list, why);
        for (size_t i = 0; r >= 0 && i < json_object_array_length(list); i++) {
                json_object *v = json_object_array_get_idx(list, i);
                if (!json_object_is_type(v, json_type_string) ||
                    !update_version_valid(json_object_get_string(v)))
                        return malformed(why, "revoked", "a list of versions");
                if (strv_extend(&m->revoked, json_object_get_string(v)) < 0)
                        abort();
        }
        return r;
}

static json_object *parse_json(const char *text, size_t len, struct update_refusal *why) {
        json_tokener *tok = json_tokener_new();
        if (!tok)
                abort();
        /* Strict: no trailing commas, no single quotes, nothing json-c would forgive. */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        json_object *root = len > MANIFEST_MAX_BYTES || len > INT32_MAX
                ? NULL
                : json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error e = json_tokener_get_error(tok);
        /* Text after the object, or an object cut short, is not a manifest either. */
        if (root && (e != json_tokener_success || json_tokener_get_parse_end(tok) != len)) {
                json_object_put(root);
                root = NULL;
        }
        if (!root)
                update_refuse(why, -EBADMSG, "malformed JSON in the manifest: %s",
                              len > MANIFEST_MAX_BYTES             ? "larger than 1 MiB"
                                      : e == json_tokener_success  ? "text after the object"
                                      : e == json_tokener_continue ? "it ends too early"
                                                                   : json_tokener_error_desc(e));
        json_tokener_free(tok);
        return root;
}

int manifest_parse(const char *text, size_t len, struct manifest *ret, struct update_refusal *why) {
        struct manifest m = { 0 };
        json_object *root = parse_json(text, len, why);
        if (!root)
                return -EBADMSG;
        int r = json_object_is_type(root, json_type_object)
                ? 0
                : update_refuse(why, -EBADMSG, "malformed JSON in the manifest: not an object");
        if (r >= 0)
                r = parse_format(root, &m, why);
        if (r >= 0)
                r = parse_release(root, &m, why);
        if (r >= 0)
                r = parse_rollout(root, &m, why);
        if (r >= 0)
                r = parse_repo(root, &m, why);
        if (r >= 0)
                r = parse_packages(root, &m, why);
        if (r >= 0)
                r = parse_revoked(root, &m, why);
        json_object_put(root);
        if (r < 0) {
                manifest_free(&m);
                return r;
        }
        *ret = m;
        return 0;
}

static void package_free(struct manifest_package *p) {
        free(p->name);
        free(p->version);
        free(p->file);
}

void manifest_free(struct manifest *m) {
        for (size_t i = 0; i < m->n_packages; i++)
                package_free(&m->packages[i]);
        free(m->packages);
        free(m->channel);
        free(m->version);
        free(m->repo_name);
        free(m->repo_path);
        strv_free(m->revoked);
        free(m->notes);
        *m = (struct manifest) { 0 };
}

/* Keeps the packages keep() says yes to, in their order. */
static void keep_packages(struct manifest *m, bool (*keep)(const struct manifest_package *p, char *const *v),
                          char *const *v) {
        size_t n = 0;
        for (size_t i = 0; i < m->n_packages; i++)
                if (keep(&m->packages[i], v))
                        m->packages[n++] = m->packages[i];
                else
                        package_free(&m->packages[i]);
        m->n_packages = n;
}

static bool wanted(const struct manifest_package *p, char *const *names) {
        return !p->optional || strv_contains(names, p->name);
}

void manifest_drop_optional(struct manifest *m, char *const *names) {
        keep_packages(m, wanted, names);
}

static bool listed(const struct manifest_package *p, char *const *files) {
        return strv_contains(files, p->file);
}

int manifest_keep_files(struct manifest *m, char *const *files, const char **ret_missing) {
        for (char *const *f = files; f && *f; f++) {
                size_t i = 0;
                while (i < m->n_packages && !streq(m->packages[i].file, *f))
                        i++;
                if (i == m->n_packages) {
                        *ret_missing = *f;
                        return -ENOENT;
                }
        }
        keep_packages(m, listed, files);
        return 0;
}

bool manifest_revokes(const struct manifest *m, const char *v) {
        return v && strv_contains(m->revoked, v);
}
