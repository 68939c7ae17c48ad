/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ledger.h"

/* Exit codes, documented in koompi-boot(8) and --help. */
#define EXIT_OK 0
#define EXIT_USAGE 1            /* unknown verb or option, bad argument */
#define EXIT_NO_STATE 2         /* state missing or unreadable: boot record, ledger, roots, ESP */
#define EXIT_REFUSED 3          /* refused as unsafe or contradictory; nothing was changed */
#define EXIT_ESP_FULL 4         /* the ESP lacks room; nothing was changed */
#define EXIT_WRITE_FAILED 5     /* writing the ESP or the ledger failed part way */

#define DEFAULT_CONFIG "/etc/koompi/boot.conf"

struct options {
        bool json;
        bool dry_run;
        const char *state;      /* boot.json of koompi-init */
        const char *top;        /* a mounted Btrfs top level */
        const char *esp;        /* the mounted ESP */
        const char *config;     /* boot.conf */
        const char *entry;      /* mark-good/mark-bad: the entry file instead of LoaderBootCountPath */
        const char *kernel;     /* entries sync: for roots carrying no kernel */
        const char *initrd;
        const char *kernel_options; /* entries sync: base options instead of /proc/cmdline */
        unsigned limit;         /* history -n */
        bool has_limit;
        char **args;            /* words after the verb */
        int n_args;
};

/* What a verb works on, found or mounted on demand. */
struct context {
        const struct options *o;
        struct koompi_config config;
        char top[PATH_MAX];     /* "" until ctx_need_top() */
        char top_mount[PATH_MAX]; /* our private mount of the top level, "" when given */
        char esp[PATH_MAX];     /* "" until ctx_need_esp() */
        char ledger[PATH_MAX];
        int ledger_lock;        /* fd holding the lock, or -1 */
};

int ctx_init(struct context *c, const struct options *o);
void ctx_done(struct context *c);
/* Each returns 0 or an exit code, after saying what failed and what to do. */
int ctx_need_top(struct context *c);
int ctx_need_esp(struct context *c);
/* Loads the ledger (a missing file is an empty ledger). write: takes the lock first, held until
 * ctx_done() or ctx_ledger_save(). Returns 0 or an exit code; damage is reported as a warning. */
int ctx_ledger_load(struct context *c, struct ledger *l, bool write);
int ctx_ledger_save(struct context *c, struct ledger *l);

/* /run/koompi/boot.json, as koompi-init writes it. Strings are "" when absent. */
struct boot_state {
        char snapshot[256];
        char entry[256];
        char luks_device[256];
        char root_device[256];
        char init[256];
        long keyslot;
        bool has_keyslot;
        uint64_t prompt_ms;
        bool counting;
        bool fallback;
        uint64_t ledger_seq;    /* 0 when absent */
        char *timeline;         /* the raw JSON array, "[]" when absent */
};
/* 0, or negative errno: -ENOENT missing, -EBADMSG not the JSON expected. */
int boot_state_load(const char *path, struct boot_state *ret);
void boot_state_free(struct boot_state *s);
/* Calls cb for each {"stage":..,"ms":..} of the timeline. */
void boot_state_timeline(const struct boot_state *s, void (*cb)(const char *stage, uint64_t ms, void *ud),
                         void *ud);

/* Paths given on the command line are at most this long, so that every path built from them
 * fits in PATH_MAX. */
#define ARG_PATH_MAX 1024

/* snprintf for paths built from bounded parts; -ENAMETOOLONG when cut. */
int pathf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A JSON string on stdout; bytes that are not UTF-8 become U+FFFD. */
void json_str(const char *s);

/* One ledger record as a JSON object on stdout. */
void json_boot(const struct ledger_boot *b);
void json_alert(const struct ledger_alert *a);

/* "2024-12-01 08:00" in local time. */
void format_time(uint64_t t, char *buf, size_t size);

int verb_status(struct context *c);
int verb_list(struct context *c);
int verb_entries(struct context *c);
int verb_mark_good(struct context *c);
int verb_mark_bad(struct context *c);
int verb_history(struct context *c);
int verb_alerts(struct context *c);
