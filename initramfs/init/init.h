/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmdline.h"
#include "config.h"
#include "ledger.h"

#define INIT_CONFIG_PATH "/etc/koompi/boot.conf"
#define INIT_NEWROOT "/sysroot"
#define INIT_TOP "/run/koompi/top"
#define INIT_STATE_DIR "/run/koompi"
#define TIMELINE_MAX 16

struct init_ctx;
struct init_stage;
struct kmod_ctx;
struct luks_volume;
struct tpm2_token;

/* Every side effect of the boot goes through this table, so the stages can be run against a
 * fake in unit tests: the stages decide, the operations do. Unless said otherwise each returns
 * 0 or a negative errno; only the stages' own operations (the first four) and choose_root
 * describe a failure in ctx->why. Those that need no ctx are library functions as they are. */
struct init_ops {
        /* Stages that are all side effect. */
        int (*mount_api)(struct init_ctx *ctx);
        int (*read_settings)(struct init_ctx *ctx, char **cmdline, bool *config_found);
        int (*start_modules)(struct init_ctx *ctx);
        /* Hands over to ctx->s.init in INIT_NEWROOT; returns only on failure. */
        int (*switch_root)(struct init_ctx *ctx);

        /* Loads a module by name or alias (modules_load(), with ctx->kmod): 0, -ENOENT (no such
         * module, or built in), -ENODEV (its hardware is absent) or another negative errno. */
        int (*load_module)(struct kmod_ctx *kmod, const char *name);
        /* Waits up to ctx->s.timeout_ms for the device spec (UUID=, LABEL=, a path) while the
         * hardware's drivers load, and writes its path to ret: 0, or -ENODEV when it did not
         * appear. Writes nothing to ctx->why. */
        int (*wait_device)(struct init_ctx *ctx, const char *spec, char *ret, size_t size);
        /* The device spec as it is now (devices_find()): 0, or -ENOENT. */
        int (*find_device)(const char *spec, char *ret, size_t size);
        /* What the machine shows after a disk did not appear: its block devices, and the disk
         * controllers no driver claimed. Always writes a string to out. */
        void (*describe_disks)(struct init_ctx *ctx, char *out, size_t size);
        /* Whether init is executable inside the root mounted at root. */
        bool (*init_executable)(const char *root, const char *init);
        /* Waits for the configured modules (btrfs) loading in the background; always 0. */
        int (*wait_modules)(struct init_ctx *ctx);

        /* Reads the LUKS header of device and loads the modules of its cipher; *ret is the
         * handle the operations of luks.h below take. */
        int (*open_volume)(struct init_ctx *ctx, const char *device, struct luks_volume **ret);
        /* Sets up /dev/mapper/<ctx->s.luks_name> with pass (len bytes), or with the key file
         * ctx->s.luks_key when pass is NULL. Returns the keyslot that opened it, -EPERM for a
         * wrong key, or another negative errno. */
        int (*activate)(struct init_ctx *ctx, struct luks_volume *v, const char *pass, size_t len);
        /* luks.h: the keyslots in use; the keyslot the next boots try first (1 when that
         * changed, 0 when it already was); closing the header. */
        int (*keyslot_count)(struct luks_volume *v);
        /* luks.h: the volume's systemd-tpm2 token, 0 or -ENOENT when it has none. */
        int (*tpm2_token)(struct luks_volume *v, int *ret_token, struct tpm2_token *ret);
        /* Waits up to timeout_ms for the TPM's resource manager /dev/tpmrm0 (it appears after
         * /dev/tpm0): 0, or -ENODEV when none appeared. */
        int (*wait_tpm)(unsigned timeout_ms);
        /* Sets up /dev/mapper/<ctx->s.luks_name> through the token, the TPM releasing the key
         * (pin NULL when it wants none): the keyslot, -ENOANO when a PIN is wanted, or another
         * negative errno when the TPM refused. */
        int (*activate_token)(struct init_ctx *ctx, struct luks_volume *v, int token, const char *pin,
                              size_t len);
        int (*prefer_keyslot)(struct luks_volume *v, int keyslot);
        void (*close_volume)(struct luks_volume *v);
        /* prompt.h: a secret read from fd without echo; its length, -ETIMEDOUT or -ECANCELED
         * (the console is gone). */
        int (*prompt)(int fd, const char *prompt, char *buf, size_t size, unsigned timeout_ms);
        /* keymap.h: the console keymap from path; how many entries the kernel refused, or a
         * negative errno (-ENOENT and -ENOTTY need no message). */
        int (*load_keymap)(const char *path);

        /* mount.h */
        int (*mount)(const char *what, const char *where, const char *type, const char *options);
        int (*umount)(const char *where);
        /* btrfs.h: whether the subvolume name exists under top (0 with *ret_ro); the names of
         * the subvolumes under top that start with prefix, for a message. */
        int (*check_root)(const char *top, const char *name, bool *ret_ro);
        int (*list_roots)(const char *top, const char *prefix, char *out, size_t size);

        /* The ESP and the ledger (rollback.c). */
        void (*read_loader)(struct init_ctx *ctx);
        void (*esp_before_prompt)(struct init_ctx *ctx);
        void (*esp_after_unlock)(struct init_ctx *ctx);
        /* Reads the ledger under top and settles ctx->s.snapshot (a fallback may replace it). */
        int (*choose_root)(struct init_ctx *ctx, const char *top);
        /* The records the recovery menu kept while the disk was locked go into the ledger. */
        void (*flush_records)(struct init_ctx *ctx);
        /* This boot in the ledger: its root mounted (the ledger under top, the top level), then
         * switched to (the copy in the root mounted at newroot). */
        void (*record_boot)(struct init_ctx *ctx, const char *top);
        void (*record_switch)(struct init_ctx *ctx, const char *newroot);

        /* Shows what failed and carries out the failure action; returns only in tests. */
        void (*fail)(struct init_ctx *ctx, const struct init_stage *stage, int err);
        /* The recovery menu (recovery.h): stage NULL when asked for on the command line.
         * RECOVERY_RETRY, RECOVERY_BOOT or a negative errno. NULL: no menu. */
        int (*recover)(struct init_ctx *ctx, const struct init_stage *stage, int err);
};

struct timeline_mark {
        const char *stage;
        uint64_t ms; /* CLOCK_BOOTTIME: since the kernel started */
};

/* The settings in force: command line over config over defaults. */
struct boot_settings {
        const char *snapshot;
        const char *root; /* root= spec, may be NULL: then the unlocked volume */
        const char *rootflags; /* without subvol=/subvolid= */
        const char *luks_uuid; /* "" when the root is not encrypted */
        const char *luks_name;
        const char *luks_key; /* "" when a passphrase is asked */
        unsigned luks_tries;
        unsigned luks_timeout_ms; /* passphrase prompt timeout, 0 = none */
        bool discard;
        unsigned timeout_ms;
        const char *failure_action; /* halt reboot poweroff shell */
        const char *init;
        bool rw;
        bool stop_before_switch; /* rd.break */
};

struct init_ctx {
        const struct init_ops *ops;
        struct boot_cmdline cmdline;
        struct koompi_config config;
        struct boot_settings s;
        char rootflags_buf[512];
        char snapshot_buf[256];

        char luks_device[128]; /* the LUKS container, found by find_device */
        char root_device[128]; /* the Btrfs filesystem, after unlock */
        int keyslot; /* the keyslot that opened the volume, -1 for none */
        const char *unlocked_by; /* "tpm2", "keyfile", "passphrase"; NULL before the unlock */
        char tpm2_refusal[256]; /* why the TPM did not release the key, for the ledger's alert */
        pid_t modules_pid; /* the background loader of the slow modules */
        pid_t coldplug_pid; /* the background loader of the hardware's drivers */
        int coldplug_stop_fd; /* closing it stops that loader; valid while its pid > 0 */
        bool modprobe_off; /* the kernel's module helper is switched off (ops.c) */
        char modprobe_saved[256]; /* its path, to switch it back on */
        void *kmod; /* struct kmod_ctx * */
        char why[1024]; /* what exactly was missing or wrong */

        /* Rollback (rollback.c): what systemd-boot started, the ledger, the fallback. */
        bool counting; /* systemd-boot counts tries in the entry's name */
        char entry_id[256]; /* LoaderEntrySelected, "" without a loader */
        char entry_file[512]; /* basename of LoaderBootCountPath: the counted entry file */
        char esp_partuuid[64]; /* LoaderDevicePartUUID */
        bool esp_mounted;
        bool prompt_pending; /* a marker on the ESP says a prompt is open for entry_file */
        struct ledger ledger;
        bool ledger_loaded;
        uint64_t ledger_seq; /* this boot's record */
        char root_uuid[37];
        bool fallback;
        char requested[256]; /* the root asked for, when a fallback replaced it */

        struct timeline_mark timeline[TIMELINE_MAX];
        unsigned n_timeline;
        uint64_t prompt_ms; /* time spent waiting on a person at the prompt */
};

enum init_stage_id {
        INIT_STAGE_MOUNT_API,
        INIT_STAGE_SETTINGS,
        INIT_STAGE_MODULES,
        INIT_STAGE_DEVICE,
        INIT_STAGE_UNLOCK,
        INIT_STAGE_ROOT,
        INIT_STAGE_SWITCH_ROOT,
        _INIT_STAGE_MAX,
};

/* A stage of the boot, in the order they run (init_stages[id]). */
struct init_stage {
        enum init_stage_id id;
        const char *name; /* in the log and in boot.json's timeline */
        int (*run)(struct init_ctx *ctx);
        const char *failure; /* what its failure means, for the person at the screen */
        const char *advice; /* what to do when the boot stops there */
        /* Whether the recovery menu is offered when it fails (recovery_wanted()); then what to
         * do there, and what its retry does. */
        bool recovery;
        const char *menu_advice;
        const char *retry;
};

extern const struct init_stage init_stages[_INIT_STAGE_MAX];

/* Runs the stages in order; on the first failure calls ops->fail and returns its error. */
int init_run(struct init_ctx *ctx);
/* Merges command line, config and defaults into ctx->s. Pure. */
void init_resolve_settings(struct init_ctx *ctx);
void timeline_mark(struct init_ctx *ctx, const char *stage);
/* Writes the timeline as JSON (for /run/koompi/boot.json). */
int timeline_write_json(const struct init_ctx *ctx, const char *path);

/* Whether a failure of stage opens the recovery menu: the disk never appeared, unlocking
 * failed, the root could not be chosen or mounted. Not when nobody answered the passphrase
 * prompt (-ETIMEDOUT) or the console is gone (-ECANCELED): the failure action then runs. */
bool recovery_wanted(const struct init_stage *stage, int err);

/* The real operations (ops.c). */
extern const struct init_ops init_real_ops;
/* rollback.c */
void rollback_read_loader(struct init_ctx *ctx);
void rollback_before_prompt(struct init_ctx *ctx);
void rollback_after_unlock(struct init_ctx *ctx);
int rollback_choose_root(struct init_ctx *ctx, const char *top);
void rollback_record_boot(struct init_ctx *ctx, const char *top);
void rollback_record_switch(struct init_ctx *ctx, const char *newroot);
/* fault.c: the test-only power cuts of koompi.fault=STEP[:DELAY_MS]. Whether spec names step;
 * then *ret_ms is the delay (0 when none is given). false for NULL or another step. */
bool init_fault_matches(const char *spec, const char *step, unsigned long *ret_ms);
/* Resets the machine without a sync at step, or DELAY_MS later, when the command line asks it. */
void init_fault_point(const struct init_ctx *ctx, const char *step);
/* switchroot.c */
int switch_root_exec(const char *newroot, const char *init);
