/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The boot ledger: one record per boot (which root, how far it got, how it ended), the admin's
 * marks on roots, and alerts for the admin. It is what automatic rollback decides from when no
 * counting boot loader is in charge, and what `koompi-boot status` shows.
 *
 * File format (text, UTF-8 or any bytes, '\n' line endings, one record per line):
 *
 *     koompi-boot-ledger 1
 *     boot  SEQ TIME ENTRY ROOT UUID STAGE OUTCOME NOTE
 *     mark  BOOT TIME ROOT ACTION NOTE
 *     alert SEQ TIME KIND STATE MESSAGE
 *
 * Fields are separated by one space. SEQ, BOOT and TIME are decimal (TIME in unix seconds).
 * Every text field is escaped: bytes 0x00-0x20, 0x7f and '%' are written as "%XX" (two hex
 * digits), an empty field as "-" (so a literal "-" is written "%2D"). STAGE is started, unlocked,
 * root-mounted, switched, good or marked-bad; OUTCOME is in-progress, good, bad, abandoned,
 * failed or fell-back; ACTION is rearm, good or bad; STATE is new or acked. A mark's BOOT is the
 * sequence number of the boot during which it was made: it applies after that boot's record.
 *
 * Reading never fails on content: a line that does not parse (truncated, a torn write, garbage,
 * a record without its final '\n') is skipped and counted in `recovered`. A file from a newer
 * version (header "koompi-boot-ledger N", N > 1) is read as far as it is understood: unknown
 * record kinds are skipped and counted in `ignored`, fields after the ones known here are
 * ignored. Newer versions must therefore only add record kinds and trailing fields. Saving always
 * writes version 1. */

#define LEDGER_VERSION 1
#define LEDGER_MAX_BOOTS_DEFAULT 200
#define LEDGER_MAX_ALERTS_DEFAULT 50
#define LEDGER_MAX_MARKS_DEFAULT 64
#define LEDGER_NOTE_MAX 200 /* notes and messages are cut to this many bytes */
#define LEDGER_FILE_MAX (1024 * 1024) /* only this much of a file is read */

/* How far a boot got; only ever moves forward. */
enum ledger_stage {
        LEDGER_STAGE_STARTED, /* the initramfs ran (up to the passphrase prompt) */
        LEDGER_STAGE_UNLOCKED, /* the LUKS volume opened */
        LEDGER_STAGE_ROOT_MOUNTED,
        LEDGER_STAGE_SWITCHED, /* handed over to the root's init */
        LEDGER_STAGE_GOOD, /* the running system declared itself healthy */
        LEDGER_STAGE_MARKED_BAD, /* the running system declared itself broken */
        _LEDGER_STAGE_MAX,
        _LEDGER_STAGE_INVALID = -1,
};

/* How a boot ended. */
enum ledger_outcome {
        LEDGER_OUTCOME_IN_PROGRESS, /* not yet known (the current boot, or it died) */
        LEDGER_OUTCOME_GOOD,
        LEDGER_OUTCOME_BAD, /* declared broken: the root is bad unless it was good */
        LEDGER_OUTCOME_ABANDONED, /* never got past the passphrase prompt: not a failure */
        LEDGER_OUTCOME_FAILED, /* got further, but never reached good */
        LEDGER_OUTCOME_FELL_BACK, /* given up during the boot for another root: a failure */
        _LEDGER_OUTCOME_MAX,
        _LEDGER_OUTCOME_INVALID = -1,
};

/* An admin's verdict on a root. The newest mark of a root is a fresh start: the boots before it
 * no longer count. */
enum ledger_mark_action {
        LEDGER_MARK_REARM, /* try it again: failures forgotten, not known good */
        LEDGER_MARK_GOOD, /* known good (blessed by hand) */
        LEDGER_MARK_BAD, /* never boot it automatically, whatever happens later */
        _LEDGER_MARK_MAX,
        _LEDGER_MARK_INVALID = -1,
};

struct ledger_boot {
        uint64_t seq; /* 1, 2, 3, ... */
        uint64_t time; /* unix seconds */
        char *entry; /* boot loader entry id, "" when unknown */
        char *root; /* root subvolume, never empty */
        char *uuid; /* the root's Btrfs UUID, "" when unknown */
        enum ledger_stage stage;
        enum ledger_outcome outcome;
        char *note; /* "" when none */
};

struct ledger_mark {
        uint64_t boot; /* seq of the boot it was made in (0: before any) */
        uint64_t time;
        char *root;
        enum ledger_mark_action action;
        char *note;
};

struct ledger_alert {
        uint64_t seq; /* 1, 2, 3, ... (its own numbering) */
        uint64_t time;
        char *kind; /* "fallback", ... never empty */
        char *message;
        bool acked;
};

struct ledger {
        struct ledger_boot *boots; /* by seq, oldest first */
        size_t n_boots;
        struct ledger_mark *marks; /* oldest first */
        size_t n_marks;
        struct ledger_alert *alerts; /* by seq, oldest first */
        size_t n_alerts;

        /* Limits applied by ledger_trim()/ledger_save(); set after ledger_init() to change. */
        size_t max_boots, max_marks, max_alerts;

        /* Filled by loading. */
        unsigned version; /* of the file read; 0 when it had no header */
        unsigned recovered; /* lines skipped as damaged */
        unsigned ignored; /* lines of a newer version not understood */
};

/* Iteration, oldest first: LEDGER_FOREACH_BOOT(b, &ledger) { ... b->root ... }. An empty
 * ledger's arrays are NULL, and NULL + 0 is undefined in C: the end is computed only from a
 * pointer that is not NULL. */
#define LEDGER_FOREACH_BOOT(b, l) \
        for (const struct ledger_boot *b = (l)->boots; b && b < (l)->boots + (l)->n_boots; b++)
#define LEDGER_FOREACH_MARK(m, l) \
        for (const struct ledger_mark *m = (l)->marks; m && m < (l)->marks + (l)->n_marks; m++)
#define LEDGER_FOREACH_ALERT(a, l) \
        for (const struct ledger_alert *a = (l)->alerts; a && a < (l)->alerts + (l)->n_alerts; a++)

void ledger_init(struct ledger *l);
void ledger_free(struct ledger *l);

/* Replaces the contents of l with what text holds (len bytes; NULs allowed, they only make
 * their line invalid). Fails only with -ENOMEM; damage is counted, see above. */
int ledger_parse(struct ledger *l, const char *text, size_t len);
/* Reads path (at most LEDGER_FILE_MAX bytes) into l. A missing file gives an empty ledger and 0.
 * Other read errors give an empty ledger and the negative errno: the caller decides whether to
 * go on (and overwrite the file on save) or not. */
int ledger_load(struct ledger *l, const char *path);
/* The file's text (NUL-terminated; *ret_len without the NUL). Does not trim. */
int ledger_format(const struct ledger *l, char **ret, size_t *ret_len);
/* Trims to the limits, then writes path with write_file_atomic() (mode 0644). */
int ledger_save(struct ledger *l, const char *path);

/* Drops what is over the limits, oldest first, while keeping what decides the state of a root:
 *   boots: the newest boot of every root, its newest good one, and the failures after it (up to
 *          64 per root) are dropped last; the newest boot overall is never dropped, so sequence
 *          numbers keep growing;
 *   marks: only the newest of each root is kept, then the oldest go;
 *   alerts: acknowledged ones go first; the newest is never dropped either.
 * A limit of 0 counts as 1. */
void ledger_trim(struct ledger *l);

/* Call once per boot after loading and before appending the new boot: any boot still
 * in-progress belongs to a boot that died. It becomes abandoned when it never got past started,
 * failed when it got further, good or bad when it reached those stages. Returns how many. */
unsigned ledger_close_stale(struct ledger *l);

/* Appends a boot at stage started, outcome in-progress. entry, uuid and note may be NULL. The
 * sequence number is the last one + 1 (*ret_seq if not NULL). -EINVAL for an empty root. */
int ledger_append_boot(struct ledger *l, uint64_t time, const char *entry, const char *root, const char *uuid,
                       const char *note, uint64_t *ret_seq);
/* The current boot is the last one appended (NULL when there is none). */
struct ledger_boot *ledger_current(struct ledger *l);
/* Moves the current boot to stage (never backwards: an earlier stage leaves it as it is).
 * Reaching good also sets the outcome good, marked-bad sets it bad. note replaces the note
 * unless NULL. -ENOENT without a boot, -EINVAL for a bad stage. */
int ledger_set_stage(struct ledger *l, enum ledger_stage stage, const char *note);
/* Replaces b's note (cut to LEDGER_NOTE_MAX bytes) unless note is NULL. 0 or -ENOMEM. */
int ledger_boot_set_note(struct ledger_boot *b, const char *note);
/* Sets how the current boot ended. note replaces the note unless NULL. */
int ledger_set_outcome(struct ledger *l, enum ledger_outcome outcome, const char *note);

/* Records an admin's verdict on root, made during the current boot. */
int ledger_mark_root(struct ledger *l, uint64_t time, const char *root, enum ledger_mark_action action,
                     const char *note);

/* Adds an alert. An identical alert (same kind and message) still unacknowledged is not added
 * again: returns 0 and its seq; 1 when a new one was added. -EINVAL for an empty kind. */
int ledger_add_alert(struct ledger *l, uint64_t time, const char *kind, const char *message,
                     uint64_t *ret_seq);
/* Acknowledges the alert with sequence seq, or every alert when seq is 0. Returns how many
 * changed; -ENOENT when seq names no alert. */
int ledger_ack_alerts(struct ledger *l, uint64_t seq);
/* Unacknowledged alerts, oldest first: pass NULL for the first, the previous one for the next. */
const struct ledger_alert *ledger_next_unacked(const struct ledger *l, const struct ledger_alert *prev);
size_t ledger_count_unacked(const struct ledger *l);

/* What the ledger says about one root. Boots are counted from its newest mark on. */
struct ledger_root_status {
        const struct ledger_boot *last; /* its newest boot, whatever the marks; NULL if none */
        enum ledger_mark_action mark; /* its newest mark, or _LEDGER_MARK_INVALID */
        unsigned boots; /* boots since the mark */
        unsigned failures; /* consecutive failed boots since it was last good (or
                                         * the mark); abandoned and in-progress ones don't count */
        bool good; /* reached good since the mark, or marked good */
        bool bad; /* marked bad, or a boot ended bad while not good */
        const struct ledger_boot *last_failure; /* the newest of those failures (its note says
                                                 * why, e.g. the failed health check); NULL if none */
};
void ledger_root_status(const struct ledger *l, const char *root, struct ledger_root_status *ret);
const struct ledger_boot *ledger_last_boot_of(const struct ledger *l, const char *root);
unsigned ledger_root_failures(const struct ledger *l, const char *root);
bool ledger_root_was_good(const struct ledger *l, const char *root);

const char *ledger_stage_to_string(enum ledger_stage s);
enum ledger_stage ledger_stage_from_string(const char *s);
const char *ledger_outcome_to_string(enum ledger_outcome o);
enum ledger_outcome ledger_outcome_from_string(const char *s);
const char *ledger_mark_action_to_string(enum ledger_mark_action a);
enum ledger_mark_action ledger_mark_action_from_string(const char *s);
