/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only file that talks to iniparser. */
#include "config.h"

#include <errno.h>
#include <iniparser.h>
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
        c->compression_level = 19;
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

static int silent_error(const char *fmt, ...) {
        return 0;
}

int config_load(struct koompi_config *c, const char *path, char **ret_error) {
        char msg[512];
        struct stat st;
        if (ret_error)
                *ret_error = NULL;
        if (stat(path, &st) < 0)
                return -errno;
        /* iniparser prints syntax errors to stderr by default; we report them ourselves. */
        iniparser_set_error_callback(silent_error);
        dictionary *d = iniparser_load(path);
        if (!d) {
                if (access(path, R_OK) < 0)
                        return -errno;
                snprintf(msg, sizeof msg,
                         "%s: not a valid INI file (a line is neither "
                         "[section] nor key = value)",
                         path);
                goto invalid;
        }
        /* Reject keys we do not know: a typo must not silently fall back to a default. */
        int nsec = iniparser_getnsec(d);
        for (int s = 0; s < nsec; s++) {
                const char *sec = iniparser_getsecname(d, s);
                int nkeys = iniparser_getsecnkeys(d, sec);
                if (nkeys <= 0)
                        continue;
                const char **keys = calloc((size_t)nkeys, sizeof(char *));
                if (!keys) {
                        iniparser_freedict(d);
                        return -ENOMEM;
                }
                iniparser_getseckeys(d, sec, keys);
                for (int k = 0; k < nkeys; k++) {
                        if (key_known(keys[k]))
                                continue;
                        snprintf(msg, sizeof msg, "%s: unknown key '%s'", path, keys[k]);
                        free(keys);
                        goto invalid_free;
                }
                free(keys);
        }
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                const char *v = iniparser_getstring(d, config_keys[i].key, NULL);
                if (!v)
                        continue;
                if (apply_key(c, &config_keys[i], v) < 0) {
                        snprintf(msg, sizeof msg, "%s: bad value '%s' for '%s'", path, v, config_keys[i].key);
                        goto invalid_free;
                }
        }
        iniparser_freedict(d);
        return 0;
invalid_free:
        iniparser_freedict(d);
invalid:
        if (ret_error)
                *ret_error = strdup(msg);
        return -EINVAL;
}
