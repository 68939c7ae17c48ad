/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's only use of iniparser: a table of (section:key, parser, field), like boot.conf. */
#include "agentconf.h"

#include <ctype.h>
#include <errno.h>
#include <iniparser.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>

#include "manifest.h"
#include "rebootpolicy.h"
#include "util.h"

enum kind {
        K_STR,
        K_PATH,
        K_BOOL,
        K_DURATION,
        K_CHOICE,
        K_CHECKS,
        K_WORDS,
        K_FREE,
        K_NAME,
        K_RATE,
        K_REBOOT,
        K_URL
};

struct conf_key {
        const char *key; /* "section:key", as iniparser names it */
        enum kind kind;
        size_t offset;
        const char *choices; /* K_CHOICE: space separated */
        const char *expect; /* what a good value looks like, for the problem text */
};

#define F(field) offsetof(struct agent_config, field)
static const struct conf_key conf_keys[] = {
        { "agent:koompi_boot", K_PATH, F(koompi_boot), NULL, "an absolute path" },
        { "access:admin_group", K_STR, F(admin_group), NULL, "a group name" },
        { "access:teacher_group", K_STR, F(teacher_group), NULL, "a group name" },
        { "access:polkit", K_CHOICE, F(polkit), " auto yes no ", "auto, yes or no" },
        { "health:required_dir", K_PATH, F(required_dir), NULL, "an absolute path" },
        { "health:wanted_dir", K_PATH, F(wanted_dir), NULL, "an absolute path" },
        { "health:timeout", K_DURATION, F(check_timeout_ms), NULL, "a duration such as 30s" },
        { "health:required_checks", K_CHECKS, F(required_checks), NULL,
          "built-in check names: " BUILTIN_NAMES },
        { "health:wanted_checks", K_CHECKS, F(wanted_checks), NULL, "built-in check names: " BUILTIN_NAMES },
        { "health:min_free", K_FREE, F(min_free), NULL, "a size such as 2G or a share such as 5%" },
        { "health:units", K_WORDS, F(units), NULL, "unit names" },
        { "update:mirrors", K_WORDS, F(update_mirrors), NULL, "base URLs" },
        { "update:channel", K_NAME, F(update_channel), NULL, "a channel name of a-z, 0-9, '.', '_', '-'" },
        { "update:keys_dir", K_PATH, F(update_keys_dir), NULL, "an absolute path" },
        { "update:machine_id_file", K_PATH, F(update_machine_id_file), NULL, "an absolute path" },
        { "update:ring", K_CHOICE, F(update_ring), " early normal late ", "early, normal or late" },
        { "update:user", K_STR, F(update_user), NULL, "a user name" },
        { "update:check_interval", K_DURATION, F(update_check_interval_ms), NULL,
          "a duration such as 360min" },
        { "update:max_rate", K_RATE, F(update_max_rate), NULL,
          "bytes a second such as 500K or 2M, 0 for no limit" },
        { "update:reboot", K_REBOOT, F(update_reboot), NULL, "never, idle or a window such as 22:00-05:00" },
        { "update:report_url", K_URL, F(update_report_url), NULL, "an http or https URL" },
        { "privacy:telemetry", K_BOOL, F(telemetry), NULL, "yes or no" },
        { "privacy:crash_reports", K_BOOL, F(crash_reports), NULL, "yes or no" },
        { "privacy:report", K_BOOL, F(report), NULL, "yes or no" },
};
#undef F

static void set_str(char **field, const char *value) {
        free(*field);
        *field = strdup_or_die(value);
}

void agentconf_defaults(struct agent_config *c) {
        *c = (struct agent_config) { 0 };
        set_str(&c->koompi_boot, "/usr/bin/koompi-boot");
        set_str(&c->admin_group, "koompi-admin");
        set_str(&c->teacher_group, "koompi-teacher");
        set_str(&c->polkit, "auto");
        set_str(&c->required_dir, "/etc/koompi/health.d/required");
        set_str(&c->wanted_dir, "/etc/koompi/health.d/wanted");
        c->check_timeout_ms = 30000;
        set_str(&c->required_checks, "home-mounted var-mounted root-readonly ledger-writable");
        set_str(&c->wanted_checks, "free-space units");
        c->min_free = (struct free_threshold) { .bytes = 1024ULL * 1024 * 1024 };
        set_str(&c->units, "display-manager.service");
        set_str(&c->update_mirrors, "");
        set_str(&c->update_channel, "stable");
        set_str(&c->update_keys_dir, "/etc/koompi/update-keys.d");
        set_str(&c->update_machine_id_file, "/etc/machine-id");
        set_str(&c->update_ring, "normal");
        set_str(&c->update_user, "nobody");
        c->update_check_interval_ms = 6 * 3600 * 1000;
        pkgconf_defaults(&c->packages);
        set_str(&c->update_reboot, "never");
        set_str(&c->update_report_url, "");
}

void agentconf_free(struct agent_config *c) {
        free(c->koompi_boot);
        free(c->admin_group);
        free(c->teacher_group);
        free(c->polkit);
        free(c->required_dir);
        free(c->wanted_dir);
        free(c->required_checks);
        free(c->wanted_checks);
        free(c->units);
        free(c->update_mirrors);
        free(c->update_channel);
        free(c->update_keys_dir);
        free(c->update_machine_id_file);
        free(c->update_ring);
        free(c->update_user);
        pkgconf_free(&c->packages);
        free(c->update_reboot);
        free(c->update_report_url);
        for (unsigned i = 0; i < c->n_problems; i++)
                free(c->problems[i]);
        *c = (struct agent_config) { 0 };
}

__attribute__((format(printf, 2, 3))) static void problem(struct agent_config *c, const char *fmt, ...) {
        char *s;
        va_list ap;
        if (c->n_problems >= AGENTCONF_MAX_PROBLEMS)
                return;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        c->problems[c->n_problems++] = s;
}

static int parse_bool(const char *v, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" },
                                 *const no[] = { "no", "false", "off", "0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
                        *ret = strcasecmp(v, yes[i]) == 0;
                        return 0;
                }
        }
        return -EINVAL;
}

static int apply_key(struct agent_config *c, const struct conf_key *k, const char *v) {
        void *field = (char *)c + k->offset;
        char word[64];
        switch (k->kind) {
        case K_CHOICE:
                if (!*v || strlen(v) + 3 > sizeof word || strchr(v, ' '))
                        return -EINVAL;
                snprintf(word, sizeof word, " %s ", v);
                if (!strstr(k->choices, word))
                        return -EINVAL;
                break;
        case K_PATH:
                if (v[0] != '/')
                        return -EINVAL;
                break;
        case K_STR:
                if (!*v)
                        return -EINVAL;
                break;
        case K_NAME:
                if (!update_name_valid(v))
                        return -EINVAL;
                break;
        case K_CHECKS:
                if (!builtin_list_valid(v))
                        return -EINVAL;
                break;
        case K_WORDS:
                break;
        case K_REBOOT: {
                struct reboot_policy p;
                if (reboot_policy_parse(v, &p) < 0)
                        return -EINVAL;
                break;
        }
        case K_URL:
                if (*v && !startswith(v, "http://") && !startswith(v, "https://"))
                        return -EINVAL;
                break;
        case K_FREE:
                return builtin_parse_free(v, field);
        case K_RATE: {
                struct free_threshold t;
                if (builtin_parse_free(v, &t) < 0 || t.percent)
                        return -EINVAL;
                *(uint64_t *)field = t.bytes;
                return 0;
        }
        case K_BOOL:
                return parse_bool(v, field);
        case K_DURATION: {
                unsigned ms;
                if (parse_duration_ms(v, &ms) < 0 || ms == 0)
                        return -EINVAL;
                *(unsigned *)field = ms;
                return 0;
        }
        }
        set_str(field, v);
        return 0;
}

/* A line's first word after blanks, compared without case; its end in *ret_end. */
static bool word_is(const char *p, const char *word, size_t len, const char **ret_end) {
        if (strncasecmp(p, word, len) != 0)
                return false;
        *ret_end = p + len;
        return true;
}

unsigned agentconf_line_of(const char *text, const char *section, const char *key) {
        size_t sl = strlen(section), kl = strlen(key);
        bool in_section = false;
        unsigned line = 1;
        for (const char *p = text; p && *p; line++) {
                const char *end, *q = p + strspn(p, " \t");
                if (*q == '[') {
                        q += 1 + strspn(q + 1, " \t");
                        in_section = word_is(q, section, sl, &end) && end[strspn(end, " \t")] == ']';
                } else if (in_section && word_is(q, key, kl, &end) && end[strspn(end, " \t")] == '=')
                        return line;
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return 0;
}

static unsigned line_of_name(const char *text, const char *name) {
        char section[64];
        const char *colon = strchr(name, ':');
        if (!text || !colon || (size_t)(colon - name) >= sizeof section)
                return 0;
        snprintf(section, sizeof section, "%.*s", (int)(colon - name), name);
        return agentconf_line_of(text, section, colon + 1);
}

/* A key of [packages], known to pkgconf.c ("packages:aur"). */
static bool packages_key(const char *name) {
        const char *key = strncasecmp(name, "packages:", 9) == 0 ? name + 9 : NULL;
        return key && pkgconf_has_key(key);
}

static const struct conf_key *key_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++)
                if (strcasecmp(conf_keys[i].key, name) == 0)
                        return &conf_keys[i];
        return NULL;
}

/* iniparser reports a syntax error through a global callback with no context: the text is
 * kept here for the one load running (the agent is single-threaded). */
static char syntax_error[256];

static int keep_syntax_error(const char *fmt, ...) {
        va_list ap;
        if (syntax_error[0])
                return 0;
        va_start(ap, fmt);
        vsnprintf(syntax_error, sizeof syntax_error, fmt, ap);
        va_end(ap);
        /* "iniparser: syntax error in FILE (LINE):\n-> TEXT\n": one line for the log. */
        for (char *p = syntax_error; *p; p++)
                if (*p == '\n')
                        *p = ' ';
        return 0;
}

static void check_unknown_keys(struct agent_config *c, dictionary *d, const char *path, const char *text) {
        int nsec = iniparser_getnsec(d);
        for (int s = 0; s < nsec; s++) {
                const char *sec = iniparser_getsecname(d, s);
                int n = iniparser_getsecnkeys(d, sec);
                if (n <= 0)
                        continue;
                const char **keys = calloc((size_t)n, sizeof(char *));
                if (!keys)
                        abort();
                iniparser_getseckeys(d, sec, keys);
                for (int k = 0; k < n; k++)
                        if (!key_find(keys[k]) && !packages_key(keys[k]))
                                problem(c, "%s:%u: %s: unknown key, ignored", path,
                                        line_of_name(text, keys[k]), keys[k]);
                free(keys);
        }
}

static void apply_packages(struct agent_config *c, dictionary *d, const char *path, const char *text) {
        int n = iniparser_getsecnkeys(d, "packages");
        if (n <= 0)
                return;
        const char **keys = calloc((size_t)n, sizeof(char *));
        if (!keys)
                abort();
        iniparser_getseckeys(d, "packages", keys);
        for (int k = 0; k < n; k++) {
                const char *v = iniparser_getstring(d, keys[k], "");
                if (packages_key(keys[k]) && pkgconf_set(&c->packages, keys[k] + 9, v) == -EINVAL)
                        problem(c,
                                "%s:%u: %s: bad value '%s' (see koompi-agent.conf(5)), the default is used",
                                path, line_of_name(text, keys[k]), keys[k], v);
        }
        free(keys);
}

static void apply_keys(struct agent_config *c, dictionary *d, const char *path, const char *text) {
        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++) {
                const struct conf_key *k = &conf_keys[i];
                const char *v = iniparser_getstring(d, k->key, NULL);
                if (v && apply_key(c, k, v) < 0)
                        problem(c, "%s:%u: %s: bad value '%s' (expected %s), the default is used", path,
                                line_of_name(text, k->key), k->key, v, k->expect);
        }
        apply_packages(c, d, path, text);
}

int agentconf_load(struct agent_config *c, const char *path) {
        _cleanup_free_ char *text = NULL;
        int r = read_file(path, &text, NULL);
        if (r == -ENOENT)
                return r;
        if (r < 0) {
                problem(c, "%s: cannot be read (%s), the defaults are used", path, strerror(-r));
                return r;
        }
        syntax_error[0] = '\0';
        iniparser_set_error_callback(keep_syntax_error);
        dictionary *d = iniparser_load(path);
        iniparser_set_error_callback(NULL);
        if (!d || syntax_error[0]) {
                problem(c, "%s: not an INI file, every default is used: %s", path,
                        syntax_error[0] ? syntax_error : "unreadable");
                if (d)
                        iniparser_freedict(d);
                return 0;
        }
        check_unknown_keys(c, d, path, text);
        apply_keys(c, d, path, text);
        iniparser_freedict(d);
        return 0;
}
