/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

#include "strv.h" /* the lists below are string vectors */

/* /etc/koompi/boot.conf, every key documented and defaulted in config/boot.conf.
 * Lists are space-separated words kept as a NULL-terminated vector. */
struct koompi_config {
        /* [boot] */
        char *snapshot; /* root subvolume booted without koompi.snapshot= */
        char *home_subvol; /* mounted read-write at /home */
        char *var_subvol; /* mounted read-write at /var */
        unsigned timeout_ms; /* device wait, overridden by rd.timeout= */
        char *failure_action; /* halt | reboot | poweroff | shell */
        unsigned boot_tries; /* boot counter for new roots */
        unsigned keep; /* roots koompi-boot prune keeps besides the protected ones */
        char *image; /* entry (type #1 entries) | uki (a unified kernel image per root) */
        /* [luks] */
        char *luks_uuid; /* when the command line names none */
        char *luks_name; /* dm name of the unlocked volume */
        char *luks_key; /* keyfile inside the image, if any */
        unsigned luks_tries; /* passphrase attempts */
        char *luks_tpm2; /* auto | yes | no: the TPM2 token tried, its parts in the image */
        /* [modules] */
        char **modules_load; /* always loaded at boot (and carried in the image) */
        char **modules_hardware; /* carried in the image, loaded when hardware asks */
        /* [image] */
        char *compression; /* zstd | none */
        int compression_level;
        char **include; /* extra SRC[:DEST] files */
        /* [recovery] */
        char *password_hash;
        char *auth; /* "" (password) | none */
        /* [secureboot] */
        char *sb_keys; /* where PK, KEK and db live; UKIs are signed when db.key and db.crt are there */
};

/* Sets every field to its default. */
void config_init_defaults(struct koompi_config *c);
/* Reads path over the defaults. 0; the number of unknown keys (> 0: keys of a newer version, or
 * typos), which are left out while every other key applies, *ret_error then naming them for
 * the caller's log; -ENOENT when missing (defaults stay); -EISDIR, or the errno of reading it,
 * when it cannot be read as a whole (nothing applied); -EINVAL on a corrupt file (nothing
 * applied) or a bad value of a known key (that key keeps the value c had, every other key
 * applies, as with an unknown key), *ret_error then naming what was wrong (the line iniparser
 * stopped at, or each bad key and its value). Free *ret_error; it is NULL when the load was clean. */
int config_load(struct koompi_config *c, const char *path, char **ret_error);
/* The settings as the text of a boot.conf that config_load() reads back as c: every key in its
 * section, a value quoted where iniparser would otherwise cut or join it. 0; -EINVAL when a
 * value cannot be written (a line break, both kinds of quotes, or a line longer than the 1,022
 * bytes iniparser reads), *ret_key (may be NULL) then naming its "section:key"; -ENOMEM. */
int config_format(const struct koompi_config *c, char **ret, size_t *ret_len, const char **ret_key);
/* The first "section:key" whose value differs between a and b, or NULL when they agree. */
const char *config_diff(const struct koompi_config *a, const struct koompi_config *b);
/* The value of key ("section:key") as config_format() writes it, unquoted, in *ret (free it).
 * 0, -ENOENT for an unknown key, -ENOMEM. */
int config_value_text(const struct koompi_config *c, const char *key, char **ret);
void config_free(struct koompi_config *c);
