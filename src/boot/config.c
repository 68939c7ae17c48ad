/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only file that talks to iniparser. */
#include "config.h"

#include <errno.h>
#include <iniparser.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "strv.h"
#include "util.h"

#define DEFAULT_MODULES_LOAD "dm-crypt btrfs xts ecb algif_skcipher"
#define DEFAULT_MODULES_HW                                                                    \
        "virtio_pci virtio_blk virtio_scsi nvme ahci sd_mod sdhci_pci sdhci_acpi mmc_block "  \
        "usb_storage uas xhci_pci ehci_pci ohci_pci uhci_hcd usbhid hid_generic atkbd i8042 " \
        "aesni_intel crc32c_intel xxhash64 blake2b-256 efivarfs vfat nls_cp437 nls_ascii"

static void set_str(char **field, const char *value) {
        free(*field);
        *field = strdup_or_die(value);
}

void config_init_defaults(struct koompi_config *c) {
        *c = (struct koompi_config) { 0 };
        set_str(&c->snapshot, "@root-current");
        set_str(&c->home_subvol, "@home");
        set_str(&c->var_subvol, "@var");
        c->timeout_ms = 30000;
        set_str(&c->failure_action, "halt");
        c->boot_tries = 3;
        c->keep = 10;
        set_str(&c->image, "entry");
        set_str(&c->luks_uuid, "");
        set_str(&c->luks_name, "root");
        set_str(&c->luks_key, "");
        c->luks_tries = 3;
        set_str(&c->luks_tpm2, "auto");
        c->modules_load = strv_split(DEFAULT_MODULES_LOAD);
        c->modules_hardware = strv_split(DEFAULT_MODULES_HW);
        set_str(&c->compression, "zstd");
        c->compression_level = 9;
        c->include = strv_split("");
        set_str(&c->password_hash, "");
        set_str(&c->auth, "password");
        set_str(&c->sb_keys, "/etc/koompi/secureboot");
}

void config_free(struct koompi_config *c) {
        free(c->snapshot);
        free(c->home_subvol);
        free(c->var_subvol);
        free(c->failure_action);
        free(c->luks_uuid);
        free(c->luks_name);
        free(c->luks_key);
        free(c->luks_tpm2);
        strv_free(c->modules_load);
        strv_free(c->modules_hardware);
        free(c->compression);
        strv_free(c->include);
        free(c->password_hash);
        free(c->auth);
        free(c->image);
        free(c->sb_keys);
        *c = (struct koompi_config) { 0 };
}

enum value_kind { V_STR, V_UINT, V_INT, V_DURATION, V_STRV, V_CHOICE };

struct config_key {
        const char *key; /* "section:key" as iniparser names it */
        enum value_kind kind;
        size_t offset;
        const char *choices; /* V_CHOICE: space separated */
};

#define F(field) offsetof(struct koompi_config, field)
static const struct config_key config_keys[] = {
        { "boot:snapshot", V_STR, F(snapshot), NULL },
        { "boot:home", V_STR, F(home_subvol), NULL },
        { "boot:var", V_STR, F(var_subvol), NULL },
        { "boot:timeout", V_DURATION, F(timeout_ms), NULL },
        { "boot:failure_action", V_CHOICE, F(failure_action), "halt reboot poweroff shell" },
        { "boot:tries", V_UINT, F(boot_tries), NULL },
        { "boot:keep", V_UINT, F(keep), NULL },
        { "boot:image", V_CHOICE, F(image), "entry uki" },
        { "luks:uuid", V_STR, F(luks_uuid), NULL },
        { "luks:name", V_STR, F(luks_name), NULL },
        { "luks:key", V_STR, F(luks_key), NULL },
        { "luks:tries", V_UINT, F(luks_tries), NULL },
        { "luks:tpm2", V_CHOICE, F(luks_tpm2), "auto yes no" },
        { "modules:load", V_STRV, F(modules_load), NULL },
        { "modules:hardware", V_STRV, F(modules_hardware), NULL },
        { "image:compression", V_CHOICE, F(compression), "zstd none" },
        { "image:compression_level", V_INT, F(compression_level), NULL },
        { "image:include", V_STRV, F(include), NULL },
        { "recovery:password_hash", V_STR, F(password_hash), NULL },
        { "recovery:auth", V_CHOICE, F(auth), "password none" },
        { "secureboot:keys", V_STR, F(sb_keys), NULL },
};
#undef F

static bool choice_ok(const char *choices, const char *value) {
        char **v = strv_split(choices);
        bool found = false;
        for (char **p = v; *p && !found; p++)
                found = streq(*p, value);
        strv_free(v);
        return found;
}

static int apply_key(struct koompi_config *c, const struct config_key *k, const char *value) {
        void *field = (char *)c + k->offset;
        unsigned u;
        switch (k->kind) {
        case V_CHOICE:
                if (!choice_ok(k->choices, value))
                        return -EINVAL;
                /* fall through */
        case V_STR:
                set_str(field, value);
                return 0;
        case V_UINT:
                if (parse_uint(value, &u) < 0)
                        return -EINVAL;
                *(unsigned *)field = u;
                return 0;
        case V_INT: {
                char *end;
                long l = strtol(value, &end, 10);
                if (!*value || *end || l < -1000 || l > 1000)
                        return -EINVAL;
                *(int *)field = (int)l;
                return 0;
        }
        case V_DURATION:
                if (parse_duration_ms(value, &u) < 0)
                        return -EINVAL;
                *(unsigned *)field = u;
                return 0;
        case V_STRV:
                strv_free(*(char ***)field);
                *(char ***)field = strv_split(value);
                return 0;
        }
        return -EINVAL;
}

static bool key_known(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (streq(config_keys[i].key, name))
                        return true;
        return false;
}

/* iniparser reports a syntax error or an over-long line, with its line number, to this
 * callback only: the first report is kept for the caller's message. */
static char parser_error[256];

static int keep_parser_error(const char *fmt, ...) {
        va_list ap;
        if (parser_error[0])
                return 0;
        va_start(ap, fmt);
        vsnprintf(parser_error, sizeof parser_error, fmt, ap);
        va_end(ap);
        const char *rest = startswith(parser_error, "iniparser: ");
        if (rest)
                memmove(parser_error, rest, strlen(rest) + 1);
        for (char *p = parser_error; *p; p++)
                if (*p == '\n')
                        *p = *(p + 1) ? ' ' : 0;
        return 0;
}

/* Appends to the message in msg, cut at the buffer's end. */
static void __attribute__((format(printf, 3, 4))) append(char *msg, size_t size, const char *fmt, ...) {
        size_t used = strlen(msg);
        va_list ap;
        if (used + 1 >= size)
                return;
        va_start(ap, fmt);
        vsnprintf(msg + used, size - used, fmt, ap);
        va_end(ap);
}

/* Keys of a newer version (or typos) are left out, so that the rest of the file still counts:
 * the number of them, named in msg. */
static int unknown_keys(dictionary *d, char *msg, size_t size) {
        int n = 0, nsec = iniparser_getnsec(d);
        msg[0] = 0;
        for (int s = 0; s < nsec; s++) {
                const char *sec = iniparser_getsecname(d, s);
                int nkeys = iniparser_getsecnkeys(d, sec);
                if (nkeys <= 0)
                        continue;
                const char **keys = calloc((size_t)nkeys, sizeof(char *));
                if (!keys)
                        return -ENOMEM;
                iniparser_getseckeys(d, sec, keys);
                for (int k = 0; k < nkeys; k++)
                        if (!key_known(keys[k])) {
                                append(msg, size, "%s'%s'", *msg ? ", " : "", keys[k]);
                                n++;
                        }
                free(keys);
        }
        return n;
}

/* Applies every key of d whose value is good; a bad value costs its key only, which keeps the
 * value c had (its default), so that one bad line does not cost the technician password or the
 * LUKS UUID. The number of bad values, each named in msg. */
static int apply_keys(struct koompi_config *c, dictionary *d, char *msg, size_t size) {
        int n = 0;
        msg[0] = 0;
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                const char *v = iniparser_getstring(d, config_keys[i].key, NULL);
                if (!v || apply_key(c, &config_keys[i], v) == 0)
                        continue;
                append(msg, size, "%s'%s' for '%s'", *msg ? ", " : "", v, config_keys[i].key);
                n++;
        }
        return n;
}

static int load_dict(const char *path, dictionary **ret, char *msg, size_t size) {
        parser_error[0] = 0;
        iniparser_set_error_callback(keep_parser_error);
        *ret = iniparser_load(path);
        if (*ret)
                return 0;
        if (access(path, R_OK) < 0)
                return -errno;
        if (parser_error[0])
                snprintf(msg, size, "%s: not a valid INI file (%s)", path, parser_error);
        else
                snprintf(msg, size, "%s: not a valid INI file (a line is neither [section] nor key = value)",
                         path);
        return -EINVAL;
}

/* What config_load() says of a file that parsed: its bad values, its unknown keys. */
static void note_left_out(char *msg, size_t size, const char *path, int n_bad, const char *bad, int n_unknown,
                          const char *unknown) {
        msg[0] = 0;
        append(msg, size, "%s:", path);
        if (n_bad > 0)
                append(msg, size, " bad %s %s%s", n_bad == 1 ? "value" : "values", bad,
                       n_unknown > 0 ? ";" : "");
        if (n_unknown > 0)
                append(msg, size, " unknown %s %s ignored", n_unknown == 1 ? "key" : "keys", unknown);
        if (n_bad == 0)
                append(msg, size, ", the rest applies");
}

int config_load(struct koompi_config *c, const char *path, char **ret_error) {
        char msg[512], unknown[384], bad[384];
        struct stat st;
        dictionary *d;
        if (ret_error)
                *ret_error = NULL;
        if (stat(path, &st) < 0)
                return -errno;
        /* iniparser reads a directory, or a file that fails part way, as a file that ends there. */
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        _cleanup_free_ char *text = NULL;
        int r = read_file(path, &text, NULL);
        if (r < 0)
                return r;
        r = load_dict(path, &d, msg, sizeof msg);
        if (r == 0) {
                r = unknown_keys(d, unknown, sizeof unknown);
                int n_bad = r >= 0 ? apply_keys(c, d, bad, sizeof bad) : 0;
                if (n_bad > 0 || r > 0)
                        note_left_out(msg, sizeof msg, path, n_bad, bad, r, unknown);
                if (n_bad > 0)
                        r = -EINVAL;
                iniparser_freedict(d);
        }
        if (ret_error && (r == -EINVAL || r > 0))
                *ret_error = strdup(msg);
        return r;
}

/* ---- the settings as text, for the image ---- */

static void value_text(const struct koompi_config *c, const struct config_key *k, FILE *f) {
        const void *field = (const char *)c + k->offset;
        switch (k->kind) {
        case V_STR:
        case V_CHOICE:
                fputs(*(char *const *)field ? *(char *const *)field : "", f);
                break;
        case V_UINT:
                fprintf(f, "%u", *(const unsigned *)field);
                break;
        case V_INT:
                fprintf(f, "%d", *(const int *)field);
                break;
        case V_DURATION:
                fprintf(f, "%ums", *(const unsigned *)field);
                break;
        case V_STRV:
                for (char *const *w = *(char **const *)field; w && *w; w++)
                        fprintf(f, "%s%s", w == *(char **const *)field ? "" : " ", *w);
                break;
        }
}

/* How iniparser takes a value as it is: unquoted unless it would cut it at ';' or '#', strip
 * its outer spaces or quotes, or join the next line to a trailing '\'. 0: as it is, else the
 * quote to put around it; -EINVAL when no quoting can hold it. */
static int quote_for(const char *v) {
        size_t n = strlen(v);
        if (strpbrk(v, "\n\r"))
                return -EINVAL;
        if (n == 0 ||
            (!strpbrk(v, ";#\"'") && v[n - 1] != '\\' && !isspace((unsigned char)v[0]) &&
             !isspace((unsigned char)v[n - 1])))
                return 0;
        if (!strchr(v, '"'))
                return '"';
        return strchr(v, '\'') ? -EINVAL : '\'';
}

/* The longest line iniparser reads, its newline left out: a longer one fails the whole file. */
#define INI_LINE_MAX 1022

static int key_line(const struct koompi_config *c, const struct config_key *k, FILE *f) {
        _cleanup_free_ char *v = NULL;
        size_t len = 0;
        FILE *vf = open_memstream(&v, &len);
        if (!vf)
                return -ENOMEM;
        value_text(c, k, vf);
        if (fclose(vf) != 0)
                return -ENOMEM;
        int q = quote_for(v);
        if (q < 0)
                return q;
        const char *name = strchr(k->key, ':') + 1;
        /* "name = " and the value, with its two quotes when it has them. */
        if (strlen(name) + 3 + len + (q ? 2 : 0) > INI_LINE_MAX)
                return -EINVAL;
        if (q)
                fprintf(f, "%s = %c%s%c\n", name, q, v, q);
        else
                fprintf(f, "%s =%s%s\n", name, *v ? " " : "", v);
        return 0;
}

int config_format(const struct koompi_config *c, char **ret, size_t *ret_len, const char **ret_key) {
        char *buf = NULL;
        size_t size = 0, seclen = 0;
        int r = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(config_keys); i++) {
                const char *key = config_keys[i].key;
                size_t n = (size_t)(strchr(key, ':') - key);
                if (i == 0 || n != seclen || strncmp(key, config_keys[i - 1].key, n) != 0)
                        fprintf(f, "%s[%.*s]\n", i ? "\n" : "", (int)n, key);
                seclen = n;
                r = key_line(c, &config_keys[i], f);
                if (r < 0 && ret_key)
                        *ret_key = key;
        }
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = size;
        return 0;
}

static bool value_equal(const struct koompi_config *a, const struct koompi_config *b,
                        const struct config_key *k) {
        const void *x = (const char *)a + k->offset, *y = (const char *)b + k->offset;
        switch (k->kind) {
        case V_STR:
        case V_CHOICE:
                return streq_ptr(*(char *const *)x, *(char *const *)y);
        case V_UINT:
        case V_DURATION:
                return *(const unsigned *)x == *(const unsigned *)y;
        case V_INT:
                return *(const int *)x == *(const int *)y;
        case V_STRV: {
                char *const *v = *(char **const *)x, *const *w = *(char **const *)y;
                unsigned n = strv_length(v);
                if (n != strv_length(w))
                        return false;
                for (unsigned i = 0; i < n; i++)
                        if (!streq(v[i], w[i]))
                                return false;
                return true;
        }
        }
        return false;
}

const char *config_diff(const struct koompi_config *a, const struct koompi_config *b) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (!value_equal(a, b, &config_keys[i]))
                        return config_keys[i].key;
        return NULL;
}

int config_value_text(const struct koompi_config *c, const char *key, char **ret) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                if (!streq(config_keys[i].key, key))
                        continue;
                size_t len = 0;
                FILE *f = open_memstream(ret, &len);
                if (!f)
                        return -ENOMEM;
                value_text(c, &config_keys[i], f);
                return fclose(f) == 0 ? 0 : -ENOMEM;
        }
        return -ENOENT;
}
