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

/* Every side effect of the boot goes through this table, so the stages can be run against a
 * fake in unit tests. Each returns 0 or a negative errno and, on failure, may describe what
 * was missing in ctx->why. */
struct init_ops {
        int (*mount_api)(struct init_ctx *ctx);
        int (*read_settings)(struct init_ctx *ctx, char **cmdline, bool *config_found);
        int (*start_modules)(struct init_ctx *ctx);
        int (*find_device)(struct init_ctx *ctx);
        int (*unlock)(struct init_ctx *ctx);
        int (*mount_root)(struct init_ctx *ctx);
        int (*switch_root)(struct init_ctx *ctx);
        /* Shows what failed and carries out the failure action; returns only in tests. */
        void (*fail)(struct init_ctx *ctx, const char *stage, int err);
        /* The recovery menu (recovery.h): stage NULL when asked for on the command line.
         * RECOVERY_RETRY, RECOVERY_BOOT or a negative errno. NULL: no menu. */
        int (*recover)(struct init_ctx *ctx, const char *stage, int err);
};

struct timeline_mark {
        const char *stage;
        uint64_t ms; /* CLOCK_BOOTTIME: since the kernel started */
};

/* The settings in force: command line over config over defaults. */
struct boot_settings {
        const char *snapshot;
        const char *root;        /* root= spec, may be NULL: then the unlocked volume */
        const char *rootflags;   /* without subvol=/subvolid= */
        const char *luks_uuid;   /* "" when the root is not encrypted */
        const char *luks_name;
        const char *luks_key;    /* "" when a passphrase is asked */
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
        int keyslot;                /* the keyslot that opened the volume, -1 for none */
        pid_t modules_pid;          /* the background loader of the slow modules */
        pid_t coldplug_pid;         /* the background loader of the hardware's drivers */
        int coldplug_stop_fd;       /* closing it stops that loader; valid while its pid > 0 */
        bool modprobe_off;          /* the kernel's module helper is switched off (ops.c) */
        char modprobe_saved[256];   /* its path, to switch it back on */
        void *kmod;                 /* struct kmod_ctx * */
        char why[1024];            /* what exactly was missing or wrong */

        /* Rollback (rollback.c): what systemd-boot started, the ledger, the fallback. */
        bool counting;              /* systemd-boot counts tries in the entry's name */
        char entry_id[256];         /* LoaderEntrySelected, "" without a loader */
        char entry_file[512];     /* basename of LoaderBootCountPath: the counted entry file */
        char esp_partuuid[64];      /* LoaderDevicePartUUID */
        bool esp_mounted;
        bool prompt_pending;        /* a marker on the ESP says a prompt is open for entry_file */
        struct ledger ledger;
        bool ledger_loaded;
        uint64_t ledger_seq;        /* this boot's record */
        char root_uuid[37];
        bool fallback;
        char requested[256];        /* the root asked for, when a fallback replaced it */

        struct timeline_mark timeline[TIMELINE_MAX];
        unsigned n_timeline;
        uint64_t prompt_ms; /* time spent waiting on a person at the prompt */
};

struct init_stage {
        const char *name;
        int (*run)(struct init_ctx *ctx);
        const char *failure; /* what its failure means, for the person at the screen */
};

extern const struct init_stage init_stages[];
extern const unsigned init_n_stages;

/* Runs the stages in order; on the first failure calls ops->fail and returns its error. */
int init_run(struct init_ctx *ctx);
/* Merges command line, config and defaults into ctx->s. Pure. */
void init_resolve_settings(struct init_ctx *ctx);
void timeline_mark(struct init_ctx *ctx, const char *stage);
/* Writes the timeline as JSON (for /run/koompi/boot.json). */
int timeline_write_json(const struct init_ctx *ctx, const char *path);

/* The real operations (ops.c). */
extern const struct init_ops init_real_ops;
/* rollback.c */
void rollback_read_loader(struct init_ctx *ctx);
void rollback_before_prompt(struct init_ctx *ctx);
void rollback_after_unlock(struct init_ctx *ctx);
int rollback_choose_root(struct init_ctx *ctx, const char *top);
void rollback_record_boot(struct init_ctx *ctx, const char *top);
void rollback_record_switch(struct init_ctx *ctx, const char *newroot);
/* switchroot.c */
int switch_root_exec(const char *newroot, const char *init);
