/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cmdline.h"

#include <errno.h>

#include "util.h"

static void set(char **field, const char *value, size_t len) {
        free(*field);
        *field = strndup(value, len);
}

static void set_str(char **field, const char *value) {
        set(field, value, strlen(value));
}

/* rd.luks.options=[UUID=]tries=3,timeout=0,discard */
static void parse_luks_options(struct boot_cmdline *c, const char *value) {
        const char *eq = strchr(value, '=');
        const char *comma = strchr(value, ',');
        /* A leading "UUID=" is present when the first '=' comes before the first ','
         * and the part before it looks like a UUID (has a '-'). */
        if (eq && (!comma || eq < comma) && memchr(value, '-', (size_t)(eq - value)))
                value = eq + 1;
        set_str(&c->luks_options, value);
        char *copy = strdup_or_die(value);
        for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
                const char *v;
                unsigned u;
                if ((v = startswith(tok, "tries=")) && parse_uint(v, &u) == 0) {
                        c->luks_tries = u;
                        c->has_luks_tries = true;
                } else if ((v = startswith(tok, "timeout=")) && parse_duration_ms(v, &u) == 0) {
                        c->luks_timeout_ms = u;
                        c->has_luks_timeout = true;
                } else if (streq(tok, "discard") || streq(tok, "allow-discards"))
                        c->luks_discard = true;
        }
        free(copy);
}

static const char *strip_luks_prefix(const char *uuid) {
        const char *v = startswith(uuid, "luks-");
        return v ? v : uuid;
}

static void parse_word(struct boot_cmdline *c, const char *word) {
        const char *v;
        unsigned u;

        if ((v = startswith(word, "root=")))
                set_str(&c->root, v);
        else if ((v = startswith(word, "rootflags=")))
                set_str(&c->rootflags, v);
        else if ((v = startswith(word, "rootfstype=")))
                set_str(&c->rootfstype, v);
        else if (streq(word, "ro"))
                c->rw = 0;
        else if (streq(word, "rw"))
                c->rw = 1;
        else if ((v = startswith(word, "init=")))
                set_str(&c->init, v);
        else if ((v = startswith(word, "rd.luks.uuid=")))
                set_str(&c->luks_uuid, strip_luks_prefix(v));
        else if ((v = startswith(word, "rd.luks.name="))) {
                const char *eq = strchr(v, '=');
                if (!eq)
                        return;
                set(&c->luks_uuid, strip_luks_prefix(v), (size_t)(eq - strip_luks_prefix(v)));
                set_str(&c->luks_name, eq + 1);
        } else if ((v = startswith(word, "rd.luks.key="))) {
                /* [UUID=]PATH: a path starts with '/', so an '=' before it ends a UUID. */
                const char *slash = strchr(v, '/');
                const char *eq = strchr(v, '=');
                if (eq && slash && eq < slash)
                        v = eq + 1;
                set_str(&c->luks_key, v);
        } else if ((v = startswith(word, "rd.luks.options=")))
                parse_luks_options(c, v);
        else if ((v = startswith(word, "rd.timeout="))) {
                if (parse_duration_ms(v, &u) == 0) {
                        c->timeout_ms = u;
                        c->has_timeout = true;
                }
        } else if (streq(word, "rd.break") || startswith(word, "rd.break="))
                c->rd_break = true;
        else if ((v = startswith(word, "rd.emergency=")))
                set_str(&c->emergency, v);
        else if (streq(word, "quiet"))
                c->quiet = true;
        else if (streq(word, "rd.debug") || streq(word, "koompi.debug"))
                c->debug = true;
        else if ((v = startswith(word, "koompi.snapshot=")))
                set_str(&c->snapshot, v);
        else if (streq(word, "koompi.recovery"))
                c->recovery = true;
        else if ((v = startswith(word, "koompi.fault=")))
                set_str(&c->fault, v);
}

int cmdline_parse(const char *line, struct boot_cmdline *ret) {
        *ret = (struct boot_cmdline) { .rw = -1 };
        size_t len = strlen(line);
        char *word = malloc(len + 1);
        if (!word)
                return -ENOMEM;
        const char *p = line;
        for (;;) {
                p += strspn(p, " \t\n");
                if (!*p)
                        break;
                /* Double quotes group a word ("a b"); they are not part of its value. */
                size_t n = 0;
                bool quoted = false;
                for (; *p && (quoted || !strchr(" \t\n", *p)); p++) {
                        if (*p == '"')
                                quoted = !quoted;
                        else
                                word[n++] = *p;
                }
                word[n] = 0;
                parse_word(ret, word);
        }
        free(word);
        return 0;
}

void cmdline_free(struct boot_cmdline *c) {
        free(c->root);
        free(c->rootflags);
        free(c->rootfstype);
        free(c->init);
        free(c->luks_uuid);
        free(c->luks_name);
        free(c->luks_key);
        free(c->luks_options);
        free(c->emergency);
        free(c->snapshot);
        free(c->fault);
        *c = (struct boot_cmdline) { .rw = -1 };
}
