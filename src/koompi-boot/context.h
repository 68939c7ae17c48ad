/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "journal.h"
#include "ledger.h"

/* What every verb of koompi-boot works on: the command line, then the settings, the Btrfs top
 * level, the ESP and the ledger, found or mounted on demand (context.c). */

#define DEFAULT_CONFIG "/etc/koompi/boot.conf"

/* The command line, checked against the verb: an option it does not own is refused before it
 * runs, and args holds only the words after the verb's name. */
struct options {
        bool json;
        bool dry_run;
        const char *state; /* boot.json of koompi-init */
        const char *top; /* a mounted Btrfs top level */
        const char *esp; /* the mounted ESP */
        const char *config; /* boot.conf */
        const char *entry; /* mark-good/mark-bad: the entry file instead of LoaderBootCountPath */
        const char *kernel; /* entries sync: for roots carrying no kernel */
        const char *initrd;
        const char *kernel_options; /* entries sync: base options instead of /proc/cmdline */
        unsigned limit; /* history -n */
        bool has_limit;
        const char *run; /* update --run: the command run in the new root */
        const char *pacman; /* update --pacman: the arguments of the new root's pacman */
        const char *pacman_cache; /* update --pacman-cache: read-only in the command's sandbox */
        const char *release; /* update --release: the release the new root is made from */
        unsigned keep; /* prune --keep */
        bool has_keep;
        bool once; /* rollback --once */
        const char *reason; /* mark-good/mark-bad --reason: the boot's note in the ledger */
        const char *keys_dir; /* secureboot: the keys' folder instead of [secureboot] keys */
        const char *device; /* tpm2: the LUKS2 volume */
        bool pin; /* tpm2 enroll --pin */
        const char *tpm2_device; /* tpm2 enroll: systemd-cryptenroll's --tpm2-device= */
        const char *tpm2_pcrs; /* tpm2 enroll: its --tpm2-pcrs= */
        char **args; /* words after the verb (and its second word: "snapshot delete") */
        int n_args;
};

/* What a verb works on, found or mounted on demand. */
struct context {
        const struct options *o;
        struct koompi_config config;
        char top[PATH_MAX]; /* "" until ctx_need_top() */
        char top_mount[PATH_MAX]; /* our private mount of the top level, "" when given */
        char esp[PATH_MAX]; /* "" until ctx_need_esp() */
        char ledger[PATH_MAX];
        int ledger_lock; /* fd holding the lock, or -1 */
        bool esp_readonly_said; /* the read-only ESP was explained (esp_readonly_explain()) */
};

int ctx_init(struct context *c, const struct options *o);
void ctx_done(struct context *c);
/* Each returns 0 or a negative errno, after saying what failed and what to do. */
int ctx_need_top(struct context *c);
int ctx_need_esp(struct context *c);
/* ctx_need_esp(), then the ESP writable: -EROFS when it is mounted read-only, after saying what
 * happened and what to do (esp_readonly_explain()). */
int ctx_need_esp_writable(struct context *c);
/* Loads the ledger (a missing file is an empty ledger). write: takes the lock first, held until
 * ctx_done() or ctx_ledger_save(). Returns 0 or a negative errno; damage is reported as a warning. */
int ctx_ledger_load(struct context *c, struct ledger *l, bool write);
int ctx_ledger_save(struct context *c, struct ledger *l);

/* The device (src) and filesystem type of the last mount on target, from /proc/self/mountinfo.
 * 0, -ENOENT when nothing is mounted there, or the negative errno of reading it. */
int mount_source(const char *target, char *src, size_t src_size, char *fstype, size_t type_size);

/* The message for an ESP mounted read-only: what the kernel did, how to check and mend the FAT,
 * and that `koompi-boot recover` finishes the rest. outcome (or NULL): what it meant for this
 * run ("nothing was changed"). */
void esp_readonly_explain(const char *esp, const char *outcome);
/* After a verb failed with r: when the ESP it used is now read-only, says so
 * (esp_readonly_explain()). */
void esp_readonly_after_failure(struct context *c, int r);

/* Paths given on the command line are at most this long, so that every path built from them
 * fits in PATH_MAX. */
#define ARG_PATH_MAX 1024

/* snprintf for paths built from bounded parts; -ENAMETOOLONG when cut. */
int pathf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

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

/* Only the lock that keeps the verbs changing roots or entries apart (entries sync takes it
 * without admin_begin()). 0, -EBUSY when another koompi-boot holds it, -ENOENT when it cannot
 * be taken, after saying so; holding it already is fine (context.c). */
int admin_lock(struct context *c);
bool admin_locked(void);
/* Releases the lock; every verb that called admin_begin() calls it before returning. */
void admin_end(void);
/* Beside the ledger (in @var): the transaction in progress (journal.h). */
#define ADMIN_JOURNAL_FILE JOURNAL_FILE
