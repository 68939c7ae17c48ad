/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "btrfs.h"
#include "config.h"
#include "entry.h"
#include "fallback.h"
#include "journal.h"
#include "ledger.h"
#include "rootpolicy.h"
#include "rootview.h"

#define DEFAULT_CONFIG "/etc/koompi/boot.conf"

/* The command line, checked against the verb: an option it does not own is refused before it
 * runs, and args holds only the words after the verb's name. */
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
        const char *run;        /* update --run: the command run in the new root */
        const char *pacman;     /* update --pacman: the arguments of the new root's pacman */
        unsigned keep;          /* prune --keep */
        bool has_keep;
        bool once;              /* rollback --once */
        char **args;            /* words after the verb (and its second word: "snapshot delete") */
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
/* Each returns 0 or a negative errno, after saying what failed and what to do. */
int ctx_need_top(struct context *c);
int ctx_need_esp(struct context *c);
/* Loads the ledger (a missing file is an empty ledger). write: takes the lock first, held until
 * ctx_done() or ctx_ledger_save(). Returns 0 or a negative errno; damage is reported as a warning. */
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
int verb_entries_sync(struct context *c);
int verb_mark_good(struct context *c);
int verb_mark_bad(struct context *c);
int verb_history(struct context *c);
int verb_alerts(struct context *c);
int verb_alerts_ack(struct context *c);

/* ---- Changing roots: update, snapshot, prune, rollback, recover (admin.c) ---- */

/* Beside the ledger (in @var): the transaction in progress (journal.h). */
#define ADMIN_JOURNAL_FILE JOURNAL_FILE

/* The view of the roots (rootview.h) from what the context found: the roots when ctx_need_top()
 * succeeded, the entries when ctx_need_esp() did, the ledger, the pins, this boot's record, and
 * LoaderEntryDefault when admin_efi_ok(). Nothing is logged. Returns root_view_load()'s value
 * (0 also when parts are unknown: see the view's *_error fields); *ret_pins_error (may be NULL)
 * is pins_load()'s. Free with root_view_free() in every case. */
int admin_view_gather(struct context *c, struct root_view *v, int *ret_pins_error);
/* admin_view_gather() for the verbs that change roots, after ctx_need_top() and ctx_need_esp():
 * 0, or a negative errno after saying why (roots or pins unreadable). */
int admin_view_load(struct context *c, struct root_view *v);
/* The root an admin named: an existing root's exact name, or "@root-" added to what was typed
 * ("2024-12-01" is "@root-2024-12-01"). Only "@root-*" subvolumes are ever named: @home and
 * @var are out of reach. Its index, or -1 after saying why, with *ret_err set (a negative errno). */
int admin_view_find_arg(const struct root_view *v, const char *arg, int *ret_err);

/* For every verb that changes roots, before anything else: the ESP, the top level mounted
 * writable, the lock that keeps two of them apart, then a transaction a crash interrupted
 * finished or undone (recover.c). Returns 0 or a negative errno. */
int admin_begin(struct context *c);
/* Only the lock that keeps the verbs changing roots or entries apart (entries sync takes it
 * without admin_begin()). 0, -EBUSY when another koompi-boot holds it, -ENOENT when it cannot
 * be taken, after saying so; holding it already is fine (context.c). */
int admin_lock(struct context *c);
bool admin_locked(void);
/* Releases the lock; every verb that called admin_begin() calls it before returning. */
void admin_end(void);
/* Whether systemd-boot's EFI variables are this ESP's to read and write: the machine booted
 * through UEFI and the ESP was found, not given with --esp (which may be another disk's). */
bool admin_efi_ok(struct context *c);
/* entries sync, its report indented under the caller's progress line. Returns 0 or a negative
 * errno. */
int admin_sync_entries(struct context *c);
/* TOP/NAME. 0 or -ENAMETOOLONG. */
int admin_root_path(struct context *c, const char *name, char *buf, size_t size);
/* Files beside the ledger. 0 or -ENAMETOOLONG. */
int admin_state_path(struct context *c, const char *file, char *buf, size_t size);
/* The directory of the ledger, where the journal and the pins are. 0 or -ENAMETOOLONG. */
int ctx_state_dir(struct context *c, char *buf, size_t size);

/* The journal and the pins beside this context's ledger (journal.h). journal_load: 0, -ENOENT
 * when there is none, -EBADMSG when it cannot be understood; *j is zeroed first. pins_load:
 * *ret is a (maybe empty) vector to strv_free() even when it fails with a negative errno. */
int journal_load(struct context *c, struct journal *j);
int journal_save(struct context *c, const struct journal *j);
int journal_clear(struct context *c);
int pins_load(struct context *c, char ***ret);

/* Deletes the roots named (NULL-terminated) under a journal, then brings the entries and the
 * kernels on the ESP in line (prune.c). Returns 0 or a negative errno. */
int admin_delete_roots(struct context *c, char *const *names);
/* Makes target the root booted next, for good: the roots newer than it are marked bad (their
 * entries spent, the ledger told), target re-armed when it was bad (rollback-apply.c).
 * Repeating it finishes what a crash interrupted. Returns 0 or a negative errno. */
int admin_rollback_apply(struct context *c, const char *target);
/* Whether root a was made after b (the greater generation, then the name). */
bool admin_root_newer(const struct btrfs_root_info *a, const struct btrfs_root_info *b);

/* Runs argv[0] (an absolute path inside rootdir) chrooted in rootdir, in a mount and PID
 * namespace of its own: /proc mounted, /sys read-only, /dev and /run bound, /tmp an empty
 * tmpfs, /home an empty read-only tmpfs. env: extra "KEY=VALUE" strings (NULL-terminated, may
 * be NULL). Returns the exit status (128+N for signal N) or a negative errno (sandbox.c). */
int sandbox_run(const char *rootdir, char *const argv[], char *const env[]);

int verb_update(struct context *c);
int verb_snapshot_create(struct context *c);
int verb_snapshot_delete(struct context *c);
int verb_snapshot_pin(struct context *c);
int verb_snapshot_unpin(struct context *c);
int verb_prune(struct context *c);
int verb_rollback(struct context *c);
int verb_recover(struct context *c);
