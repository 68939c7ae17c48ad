/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fallback.h"
#include "init.h"
#include "ledger.h"

/* The recovery menu of koompi-init: what a technician at the console gets when the boot
 * cannot go on by itself, or when koompi.recovery (or rd.break) is on the kernel command line.
 *
 * It explains what failed and what was expected, asks for the technician password
 * ([recovery] password_hash, a crypt(3) hash), and offers a menu: list, boot NAME, retry,
 * good NAME, bad NAME, log, shell, reboot, poweroff. Every action is recorded in the ledger
 * ("technician at the console"). The Btrfs top level is mounted at INIT_TOP (/run/koompi/top)
 * while the menu needs it, and for the shell; it is unmounted before the boot goes on.
 *
 * What is allowed without the password: retry, log, reboot, poweroff. Three wrong passwords
 * lock the rest until the machine restarts. With no usable hash and no "auth = none", the
 * password is never asked and the rest stays locked. */

/* What recovery_run() tells the caller to do. */
enum {
        RECOVERY_RETRY = 1, /* run the failed stage again, then the rest of the boot; when the
                             * menu was asked for: go on with the boot */
        RECOVERY_BOOT = 2, /* ctx->s.snapshot is the root the technician chose: run the root
                             * stage (again), then the rest of the boot */
};

/* Opens the menu. stage and err: the stage that failed and its error; stage NULL when it was
 * asked for on the command line (after the unlock, before the root is mounted). Returns
 * RECOVERY_RETRY or RECOVERY_BOOT, or a negative errno when the console is gone or nothing
 * was typed for recovery_idle_ms() (the caller then runs the failure action). reboot and
 * poweroff do not return. */
int recovery_run(struct init_ctx *ctx, const struct init_stage *stage, int err);

/* How long the menu waits for input before it gives up and the failure action runs: 5 minutes
 * when that action is reboot or poweroff (an unattended machine must not wait forever), else 0
 * (forever: halt would only keep the screen). */
#define RECOVERY_IDLE_MS (5u * 60u * 1000u)
unsigned recovery_idle_ms(const char *failure_action);

/* Records kept in memory while the disk was locked go into ctx->ledger, once it is loaded
 * (call after rollback_choose_root(), before the ledger is saved). */
void recovery_flush(struct init_ctx *ctx);

/* ---- the pure parts, tested without a console ---- */

enum recovery_item {
        RECOVERY_ITEM_EMPTY, /* an empty line */
        RECOVERY_ITEM_HELP,
        RECOVERY_ITEM_LIST, /* 1 */
        RECOVERY_ITEM_BOOT, /* 2 NAME */
        RECOVERY_ITEM_RETRY, /* 3 */
        RECOVERY_ITEM_GOOD, /* 4 NAME */
        RECOVERY_ITEM_BAD, /* 5 NAME */
        RECOVERY_ITEM_LOG, /* 6 */
        RECOVERY_ITEM_SHELL, /* 7 */
        RECOVERY_ITEM_REBOOT, /* 8 */
        RECOVERY_ITEM_POWEROFF, /* 9 */
        _RECOVERY_ITEM_MAX,
};

#define RECOVERY_NAME_MAX 255

struct recovery_command {
        enum recovery_item item;
        char arg[RECOVERY_NAME_MAX + 1]; /* the root of boot, good, bad; "" when not given */
};

/* One line of input: an item by number (1-9) or by word (any case), then the root name for
 * boot, good and bad ("boot @root-2024-12-01", "2 @root-2024-12-01"); "help", "?" and "h"
 * show the menu. Leading and trailing blanks are ignored.
 * 0 on success; -EINVAL: not an item; -E2BIG: words after an item that takes none, or more
 * than one name; -EBADMSG: the name cannot be a root's (a '/', ".", "..", a control or non-ASCII
 * byte); -ENAMETOOLONG: a name longer than RECOVERY_NAME_MAX. */
int recovery_parse(const char *line, struct recovery_command *ret);
const char *recovery_item_to_string(enum recovery_item i);
bool recovery_item_takes_root(enum recovery_item i);
/* list, boot, good, bad and shell need the technician password; the others never do. */
bool recovery_item_needs_auth(enum recovery_item i);

/* The root the technician meant: NAME exactly, else "@NAME", else "@root-NAME". Returns its
 * index in names, or -ENOENT. */
int recovery_match_root(const char *const *names, size_t n, const char *arg);

enum recovery_auth_mode {
        RECOVERY_AUTH_PASSWORD, /* a usable password_hash */
        RECOVERY_AUTH_NONE, /* auth = none: no password (labs) */
        RECOVERY_AUTH_UNSET, /* no password_hash: no shell */
        RECOVERY_AUTH_BROKEN, /* a password_hash crypt(3) does not understand: no shell */
};

#define RECOVERY_AUTH_MAX_FAILURES 3

/* The technician's authentication in this boot. */
struct recovery_auth {
        enum recovery_auth_mode mode;
        unsigned failures;
        bool authenticated;
};

/* auth: the [recovery] auth setting ("password" or "none"); hash: password_hash. */
enum recovery_auth_mode recovery_auth_mode_of(const char *auth, const char *hash);
void recovery_auth_init(struct recovery_auth *a, enum recovery_auth_mode mode);
/* Whether the password may be asked now: a hash is set, not yet authenticated, fewer than
 * RECOVERY_AUTH_MAX_FAILURES wrong ones. */
bool recovery_auth_may_ask(const struct recovery_auth *a);
/* Three wrong passwords in this boot. */
bool recovery_auth_locked_out(const struct recovery_auth *a);
/* Records the outcome of one attempt. Returns how long to wait before anything else is read, in
 * milliseconds: 0 when accepted, 1 s after the first failure, 2 s after the second, 4 s after
 * the third. An attempt while the password may not be asked changes nothing and returns 0. */
unsigned recovery_auth_attempt(struct recovery_auth *a, bool matched);
unsigned recovery_auth_delay_ms(unsigned failures);
/* Whether the item may be carried out now. */
bool recovery_item_allowed(const struct recovery_auth *a, enum recovery_item i);

/* Whether hash is a crypt(3) hash this system can check. */
bool recovery_hash_usable(const char *hash);
/* Whether password matches the crypt(3) hash (compared in constant time). False for an empty
 * or unusable hash. */
bool recovery_password_matches(const char *hash, const char *password);

/* "technician at the console, 2025-01-10 10:32:05 UTC: WHAT". -ENOBUFS when cut. */
#define RECOVERY_WHO "technician at the console"
int recovery_format_record(char *buf, size_t size, uint64_t time, const char *what);

/* A record of the technician's, for the ledger. */
enum recovery_record_kind {
        RECOVERY_RECORD_ALERT, /* an alert of kind "recovery" holding text */
        RECOVERY_RECORD_MARK, /* a mark of root, note text */
};

struct recovery_record {
        enum recovery_record_kind kind;
        uint64_t time;
        bool notify; /* alert: left new (shown at boot until acknowledged);
                                           * otherwise written acknowledged */
        enum ledger_mark_action action; /* mark */
        char root[RECOVERY_NAME_MAX + 1]; /* mark */
        char text[LEDGER_NOTE_MAX + 1];
};

#define RECOVERY_ALERT_KIND "recovery"

/* Adds the records to l, in order. 0 or the first negative errno (the others are still
 * added). */
int recovery_apply_records(struct ledger *l, const struct recovery_record *recs, size_t n);

/* Tries a root has left before it is skipped, from its state in the ledger: -1 for a good root
 * (not counted), 0 for a bad one. tries 0 means ROOT_TRIES_DEFAULT. */
int recovery_tries_left(const struct fallback_root *r, unsigned tries);
