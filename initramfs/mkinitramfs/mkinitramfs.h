/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "cpio.h"
#include "elfdeps.h"
#include "modules.h"

#define MKI_DEFAULT_CONFIG "/etc/koompi/boot.conf"
#define MKI_IMAGE_CONFIG "/etc/koompi/boot.conf"
#define MKI_DEFAULT_KOOMPI_INIT "/usr/lib/koompi/koompi-init"
#define MKI_DEFAULT_BUSYBOX "/bin/busybox"
#define MKI_VCONSOLE_CONF "/etc/vconsole.conf"
#define MKI_DEFAULT_CACHE_DIR "/var/cache/koompi-mkinitramfs"
/* --best: the smallest image short of zstd's "ultra" levels, whose windows (32 to 128 MiB) the
 * kernel would have to allocate to unpack the image. */
#define MKI_BEST_LEVEL 19

/* The segments of the archive (see output.c): the host's files in parts that change apart (a
 * kernel upgrade changes the modules, a library's package its part, a koompi-boot package
 * /init), each cached compressed, then the image's own files. */
enum {
        MKI_SEGMENT_IMAGE = 0,
        MKI_SEGMENT_HOST = 1, /* busybox, the libraries and their links */
        MKI_SEGMENT_MODULES = 2, /* the kernel's modules */
        MKI_SEGMENT_INIT = 3, /* /init */
};

/* Exit codes of koompi-mkinitramfs. */
enum {
        MKI_EXIT_OK = 0,
        MKI_EXIT_INPUT = 1, /* bad usage or input: the message says which */
        MKI_EXIT_INTERNAL = 2, /* could not write, compressor or depmod failed, no memory */
};

struct mki_options {
        const char *kernel; /* KVER, required */
        const char *output; /* required */
        const char *config; /* NULL: MKI_DEFAULT_CONFIG when it exists */
        char **includes; /* "SRC[:DEST]", NULL-terminated, may be NULL */
        char **modules; /* --module, NULL-terminated, may be NULL */
        const char *init; /* --init: this file is /init */
        const char *koompi_init; /* NULL: next to our executable, else the default */
        const char *busybox; /* NULL: MKI_DEFAULT_BUSYBOX, skipped when missing */
        const char *moddir; /* NULL: /lib/modules/KVER or /usr/lib/modules/KVER */
        const char *compress; /* "zstd" | "none", NULL: the config's */
        const char *vconsole; /* NULL: MKI_VCONSOLE_CONF */
        const char *cache_dir; /* NULL: MKI_DEFAULT_CACHE_DIR */
        bool no_cache; /* compress every segment, keep nothing */
        bool best; /* --best: the smallest image (zstd level MKI_BEST_LEVEL), whatever the settings say */
        bool host_only;
};

struct mki_result {
        uint64_t size; /* bytes written to the output */
        size_t files; /* entries of the archive */
        size_t modules; /* module files carried */
};

/* Builds the image. Returns MKI_EXIT_*; every failure is logged, and leaves nothing at
 * options->output (a previous file there is kept). A caller that blocks SIGINT, SIGTERM and
 * SIGHUP around it gets a build that stops, cleaned up, when one of them is pending. */
int mki_build(const struct mki_options *o, struct mki_result *ret);

/* --- the parts, for the unit tests --- */

struct mki {
        const struct mki_options *opt;
        struct koompi_config config;
        char *config_path; /* the file read, NULL when the defaults are used */
        char moddir[PATH_MAX];
        struct cpio *cpio;
        struct elf_closure elf;
        struct module_set modules;
        char stage[PATH_MAX]; /* temporary directory, "" when none */
        bool bad_input; /* the failure is the caller's: exit 1 */
        int zstd_level;
};

/* Logs an error caused by the input, marks it as such and returns r (negative). */
int mki_bad_input(struct mki *m, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Splits "SRC[:DEST]" (DEST defaults to SRC; both must be absolute). */
int mki_parse_include(const char *spec, char **ret_src, char **ret_dest);

/* settings.c */
/* The boot.conf of the image, for the settings c (the host's, read from text, len bytes; text
 * NULL when there is no file) and the modules of --module (extra): text as it is when extra
 * adds nothing to c's [modules] load, else every setting written by config_format() with
 * extra's new words at the end of load. *ret is NULL when the image needs no boot.conf (no
 * file and nothing added). 0; -EINVAL when a value cannot be written (*ret_key, may be NULL,
 * names it); -ENOMEM. */
int mki_image_config(const struct koompi_config *c, const char *text, size_t len, char *const *extra,
                     char **ret, size_t *ret_len, const char **ret_key);
/* Reads path (the image's boot.conf, whose text is text) as koompi-init will, and compares it
 * with c plus extra as mki_image_config() merges them. 0 when it gives exactly those settings;
 * -EBADMSG when it does not, *ret_error (free it) then naming the line and the key, or what
 * iniparser stopped at; the errno of reading it; -ENOMEM. */
int mki_image_config_check(const struct koompi_config *c, char *const *extra, const char *path,
                           const char *text, size_t len, char **ret_error);

/* hashcost.c */
/* Whether a crypt(3) hash costs the recovery menu at most about a second a try: SHA-crypt
 * ($5$, $6$) up to 1,000,000 rounds, bcrypt ($2?$) up to cost 12, yescrypt ($y$, $gy$) and
 * scrypt ($7$) up to 64 MiB; other methods have a fixed cost. 0; -E2BIG when it costs more,
 * *ret_error (free it) then naming the setting and how to make a cheaper hash; -ENOMEM. */
int mki_password_hash_check(const char *hash, char **ret_error);

/* image.c */
int image_layout(struct mki *m);
/* Copies a host file into the image at the same path, each symlink met on the way (of the
 * directories too) copied as a symlink, then what it points to. A directory is copied with
 * everything below it. ELF files bring their libraries. */
int image_install(struct mki *m, const char *path);
/* Copies src to dest (a directory with everything below it). ELF files bring their
 * libraries. */
int image_install_as(struct mki *m, const char *src, const char *dest);
int image_include(struct mki *m, const char *spec);
/* Adds the libraries and interpreter of an ELF file (nothing when it is no ELF file). */
int image_elf_deps(struct mki *m, const char *path);
/* Copies the collected libraries into the image. */
int image_flush_elf(struct mki *m);
int image_busybox(struct mki *m, const char *path, bool required);
int image_busybox_links(struct mki *m, const char *path);

/* tpm2.c: whether the image carries the TPM2 parts ([luks] tpm2 = yes, or auto and the volume
 * of [luks] uuid has a systemd-tpm2 token); adding them: 0, or a negative errno after saying
 * what is missing. */
bool mki_tpm2_wanted(const struct mki *m);
int image_tpm2(struct mki *m);

/* kmods.c */
int kmods_collect(struct mki *m);
int kmods_install(struct mki *m);

/* output.c */
int output_write(struct mki *m, const char *path, const char *compress, uint64_t *ret_size);
/* Whether fd (read from where it stands to its end) holds whole zstd frames whose content
 * checksums hold, as a cached segment must before it goes into an image. 0, -EBADMSG when it
 * does not, -ENOMEM, or the negative errno of reading it. */
int output_cache_check(int fd);

/* spawn.c */
/* Whether SIGINT, SIGTERM or SIGHUP is pending (blocked by the caller of mki_build()): every
 * step and the output check it, so the build stops before anything is written. */
bool mki_interrupted(void);
/* Runs argv[0] (a path) with argv, stdin from /dev/null. *ret_out (may be NULL) gets its
 * standard output, err (may be NULL) the start of its standard error. 0 when it exited 0,
 * -EPROTO when it failed otherwise, the errno of starting it. */
int spawn_capture(char *const argv[], char **ret_out, char *err, size_t err_size);
/* The first of dirs holding an executable name, in ret (PATH_MAX). */
int find_program(const char *name, char *ret);
int rm_rf(const char *path);
/* a/b into ret (PATH_MAX bytes); -ENAMETOOLONG. */
int path_join(char *ret, const char *a, const char *b);
