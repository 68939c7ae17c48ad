/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image's boot.conf: what koompi-init in the image must read is the host's settings with
 * the modules of --module added to [modules] load, and the builder checks that it does. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>

#include "mkinitramfs.h"
#include "util.h"

/* load, then the words of extra it lacks, each once. 1 when extra added one, else 0. */
static int merged_load(char *const *load, char *const *extra, char ***ret) {
        char **v = NULL;
        int added = 0;
        for (char *const *l = load; l && *l; l++)
                if (strv_extend(&v, *l) < 0)
                        goto oom;
        for (char *const *e = extra; e && *e; e++) {
                if (strv_contains(v, *e))
                        continue;
                if (strv_extend(&v, *e) < 0)
                        goto oom;
                added = 1;
        }
        *ret = v;
        return added;
oom:
        strv_free(v);
        return -ENOMEM;
}

int mki_image_config(const struct koompi_config *c, const char *text, size_t len, char *const *extra,
                     char **ret, size_t *ret_len, const char **ret_key) {
        char **load = NULL;
        int added = merged_load(c->modules_load, extra, &load);
        if (added < 0)
                return added;
        *ret = NULL;
        *ret_len = 0;
        int r = 0;
        if (added) {
                /* Written from the parsed settings: the host's text may hold what iniparser
                 * reads only as the last line of a file, or a line too long once the
                 * modules are added. */
                struct koompi_config image = *c;
                image.modules_load = load;
                r = config_format(&image, ret, ret_len, ret_key);
        } else if (text) {
                *ret = malloc(len + 1);
                if (*ret) {
                        memcpy(*ret, text, len);
                        (*ret)[len] = 0;
                        *ret_len = len;
                }
                r = *ret ? 0 : -ENOMEM;
        }
        strv_free(load);
        return r;
}

/* The words of a line, outer spaces trimmed, ASCII lower-cased as iniparser compares them. */
static void trimmed_lower(const char *s, size_t n, char *out, size_t size) {
        while (n > 0 && isspace((unsigned char)*s))
                s++, n--;
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                n--;
        size_t k = 0;
        for (; k < n && k + 1 < size; k++)
                out[k] = (char)tolower((unsigned char)s[k]);
        out[k] = 0;
}

/* The number of the last line of text setting key ("section:key"): iniparser keeps the last.
 * 0 when no line does. */
static unsigned line_of_key(const char *text, size_t len, const char *key) {
        char section[128] = "", name[256];
        unsigned lineno = 0, found = 0;
        for (size_t at = 0; at < len;) {
                const char *line = text + at;
                size_t n = strcspn(line, "\n");
                if (at + n > len)
                        n = len - at;
                at += n + 1;
                lineno++;
                const char *eq = memchr(line, '=', n);
                size_t lead = strspn(line, " \t");
                if (lead < n && line[lead] == '[') {
                        const char *close = memchr(line, ']', n);
                        if (close)
                                trimmed_lower(line + lead + 1, (size_t)(close - line - lead - 1), section,
                                              sizeof section);
                } else if (eq) {
                        trimmed_lower(line, (size_t)(eq - line), name, sizeof name);
                        size_t sl = strlen(section);
                        if (strncmp(key, section, sl) == 0 && key[sl] == ':' && streq(key + sl + 1, name))
                                found = lineno;
                }
        }
        return found;
}

/* The value of key in c for a message: cut, and never the password hash. */
static void shown_value(const struct koompi_config *c, const char *key, char *out, size_t size) {
        _cleanup_free_ char *v = NULL;
        if (streq(key, "recovery:password_hash"))
                snprintf(out, size, "(the hash)");
        else if (config_value_text(c, key, &v) < 0)
                snprintf(out, size, "?");
        else if (strlen(v) > 48)
                snprintf(out, size, "'%.40s...'", v);
        else
                snprintf(out, size, "'%s'", v);
}

static int differs(const struct koompi_config *want, const struct koompi_config *got, const char *key,
                   const char *text, size_t len, char **ret_error) {
        char w[64], g[64];
        shown_value(want, key, w, sizeof w);
        shown_value(got, key, g, sizeof g);
        unsigned line = line_of_key(text, len, key);
        char where[32] = "";
        if (line)
                snprintf(where, sizeof where, "line %u, ", line);
        if (asprintf(ret_error, "%s%s reads as %s instead of %s", where, key, g, w) < 0)
                return -ENOMEM;
        return -EBADMSG;
}

int mki_image_config_check(const struct koompi_config *c, char *const *extra, const char *path,
                           const char *text, size_t len, char **ret_error) {
        struct koompi_config got;
        _cleanup_free_ char *error = NULL;
        char **load = NULL;
        int r = merged_load(c->modules_load, extra, &load);
        if (r < 0)
                return r;
        struct koompi_config want = *c;
        want.modules_load = load;
        config_init_defaults(&got);
        r = config_load(&got, path, &error);
        if (r == -EINVAL) {
                *ret_error = error;
                error = NULL;
                r = -EBADMSG;
        } else if (r >= 0) {
                const char *key = config_diff(&want, &got);
                r = key ? differs(&want, &got, key, text, len, ret_error) : 0;
        }
        config_free(&got);
        strv_free(load);
        return r;
}
