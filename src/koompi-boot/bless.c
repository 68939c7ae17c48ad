/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mark-good, mark-bad and note: the verdict of the running system on its own boot, written where
 * systemd-boot reads it (the counter in the entry's file name) and in the ledger. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootstate.h"
#include "context.h"
#include "efivars.h"
#include "entry.h"
#include "entryfile.h"
#include "esp.h"
#include "journal.h"
#include "log.h"
#include "util.h"
#include "verbs.h"

static const char *entry_suffix(const char *name) {
        size_t n = strlen(name);
        return n > 4 && strcasecmp(name + n - 4, ".efi") == 0 ? ".efi" : ".conf";
}

static bool exists_at(int dirfd, const char *name) {
        struct stat st;
        return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The one other file of the same entry (counters and case aside), for when the booted name is
 * gone: koompi-init may have given tries back, or an admin renamed it. */
static int find_same_entry(int dirfd, const char *booted, const char *except, char *ret, size_t size) {
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || streq(de->d_name, booted) || streq(de->d_name, except) ||
                    !entry_id_equal(de->d_name, booted))
                        continue;
                if (n++ == 0)
                        snprintf(ret, size, "%s", de->d_name);
        }
        closedir(d);
        return n == 0 ? -ENOENT : n > 1 ? -ENOTUNIQ : 0;
}

/* The name of entry file name once judged good (its counter dropped) or bad (+0-DONE).
 * 0, or the negative errno of entry_name_parse() or entry_name_format(). */
static int judged_name(const char *name, bool good, char *ret, size_t size) {
        struct entry_name e;
        int r = entry_name_parse(name, entry_suffix(name), &e);
        if (r < 0)
                return r;
        if (good)
                entry_counter_bless(&e);
        else
                entry_counter_mark_bad(&e);
        return entry_name_format(&e, ret, size);
}

/* The booted name is gone: the one other file of the entry is judged instead (koompi-init gave
 * tries back, or an admin renamed it). target holds the booted file's judged name. 1 when
 * nothing is left to do; 0 when other (its name written there) is to be renamed to target (its
 * judged name written there); or a negative errno after saying why. */
static int judge_other(int dirfd, const char *dir, const char *booted, bool good, char *other, size_t osize,
                       char *target, size_t tsize) {
        struct entry_name o;
        int r = find_same_entry(dirfd, booted, target, other, osize);
        if (r == -ENOENT)
                return log_error("the booted entry %s is not in %s, under any name; nothing to rename "
                                 "(is the ESP mounted? see koompi-boot list)",
                                 booted, dir),
                       -ENOENT;
        if (r < 0)
                return log_error("the booted entry %s is gone and several files in %s have its ID; run "
                                 "koompi-boot entries sync, then mark the boot again",
                                 booted, dir),
                       -EPERM;
        if (entry_name_parse(other, entry_suffix(other), &o) < 0)
                return -ENOENT;
        if (good && entry_name_state(&o) == ENTRY_BAD)
                return log_error("the booted entry is now %s: it was marked bad during this boot, and "
                                 "mark-good does not undo that; rename it by hand to re-arm it",
                                 other),
                       -EPERM;
        if (good && !o.has_counter) {
                printf("entry %s is already good (%s)\n", booted, other);
                return 1;
        }
        /* The entry carries another counter now (tries given back): judge that file. */
        if (judged_name(other, good, target, tsize) < 0)
                return -EINVAL;
        if (streq(other, target)) {
                printf("entry %s is already %s (%s)\n", booted, good ? "good" : "bad", target);
                return 1;
        }
        return 0;
}

/* from -> target in dir, never over a twin, then the whole ESP to the disk: the loader reads
 * the name on the next boot. */
static int rename_judged(int dirfd, const char *dir, const char *from, const char *target) {
        int r = entry_file_rename(dirfd, from, target);
        if (r == -EEXIST)
                return log_error(
                               "cannot rename %s to %s in %s: %s exists too (a twin); run koompi-boot entries "
                               "sync to remove the twin, then mark the boot again",
                               from, target, dir, target),
                       -EPERM;
        if (r < 0)
                return log_errno(r, "renaming %s to %s in %s failed", from, target, dir), -EIO;
        if (syncfs(dirfd) < 0)
                return log_errno(-errno, "syncing %s failed", dir), -EIO;
        printf("entry %s is now %s\n", from, target);
        return 0;
}

/* Renames the booted entry in dir to its good or bad name. Returns 0 or a negative errno. */
static int rename_entry(const char *dir, const char *booted, bool good) {
        char target[ENTRY_NAME_MAX + 1], other[ENTRY_NAME_MAX + 1];
        int r;

        _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return log_errno(-errno, "opening %s failed", dir), -ENOENT;
        r = judged_name(booted, good, target, sizeof target);
        if (r < 0)
                return log_errno(r, "%s is not the name of a boot loader entry", booted), -EINVAL;
        if (exists_at(dirfd, booted)) {
                if (!streq(booted, target))
                        return rename_judged(dirfd, dir, booted, target);
                printf("entry %s is already %s\n", booted, good ? "good (it has no boot counter)" : "bad");
                return 0;
        }
        if (exists_at(dirfd, target)) {
                /* Done before: by us, or by systemd-bless-boot. */
                printf("entry %s is already %s (%s)\n", booted, good ? "good" : "bad", target);
                return 0;
        }
        r = judge_other(dirfd, dir, booted, good, other, sizeof other, target, sizeof target);
        if (r != 0)
                return r < 0 ? r : 0;
        return rename_judged(dirfd, dir, other, target);
}

/* Where the booted entry is: --entry, else LoaderBootCountPath under the ESP. Returns 0 or a negative errno
 * code; *ret_found false when systemd-boot did not count this boot. */
static int booted_entry(struct context *c, char *dir, size_t dsize, char *name, size_t nsize,
                        bool *ret_found) {
        char path[PATH_MAX], var[PATH_MAX];
        int r;

        *ret_found = false;
        if (c->o->entry)
                snprintf(path, sizeof path, "%s", c->o->entry);
        else {
                if (!efi_loader_available())
                        return 0;
                r = efi_loader_get_string("LoaderBootCountPath", var, sizeof var);
                if (r == -ENOENT)
                        return 0;
                if (r < 0) {
                        log_errno(r, "reading the EFI variable LoaderBootCountPath failed");
                        return -ENOENT;
                }
                /* "\loader\entries\x+2-1.conf", relative to the ESP. */
                for (char *p = var; *p; p++)
                        if (*p == '\\')
                                *p = '/';
                const char *rel = var;
                while (*rel == '/')
                        rel++;
                if (!*rel || streq(rel, "..") || startswith(rel, "../") || strstr(rel, "/../") ||
                    endswith(rel, "/..")) {
                        log_error("LoaderBootCountPath \"%s\" is not a path on the ESP", var);
                        return -ENOENT;
                }
                r = ctx_need_esp(c);
                if (r != 0)
                        return r;
                pathf(path, sizeof path, "%s/%s", c->esp, rel);
        }
        char *slash = strrchr(path, '/');
        if (!slash)
                snprintf(dir, dsize, ".");
        else if (slash == path)
                snprintf(dir, dsize, "/");
        else
                snprintf(dir, dsize, "%.*s", (int)(slash - path), path);
        snprintf(name, nsize, "%s", slash ? slash + 1 : path);
        if (!*name) {
                log_error("%s names no entry file", path);
                return -EINVAL;
        }
        *ret_found = true;
        return 0;
}

/* The ledger's record of the running boot. */
static struct ledger_boot *this_boot(struct ledger *l, const struct boot_state *s) {
        if (s->ledger_seq > 0) {
                for (size_t i = 0; i < l->n_boots; i++)
                        if (l->boots[i].seq == s->ledger_seq)
                                return &l->boots[i];
                return NULL;
        }
        /* An older koompi-init: the newest record, when it is of the booted root. */
        struct ledger_boot *b = ledger_current(l);
        return b && *s->snapshot && streq(b->root, s->snapshot) ? b : NULL;
}

/* Whether boot b may move to stage (or, for _LEDGER_STAGE_INVALID, take a note): 1 yes, 0 nothing
 * to do (already there, said), -EPERM refused (said). */
static int may_record(const struct ledger_boot *b, enum ledger_stage stage, const char *note) {
        if (stage == _LEDGER_STAGE_INVALID)
                return 1;
        if (b->stage == stage && !note) {
                printf("boot #%" PRIu64 " of %s was already recorded %s\n", b->seq, b->root,
                       ledger_stage_to_string(stage));
                return 0;
        }
        if (stage == LEDGER_STAGE_GOOD && b->stage == LEDGER_STAGE_MARKED_BAD) {
                log_error("boot #%" PRIu64 " of %s was marked bad; mark-good does not undo that", b->seq,
                          b->root);
                return -EPERM;
        }
        return 1;
}

/* Moves b to stage (none: _LEDGER_STAGE_INVALID) and sets its note (unless NULL). */
static int set_boot(struct ledger *l, struct ledger_boot *b, enum ledger_stage stage, const char *note) {
        if (b == ledger_current(l) && stage != _LEDGER_STAGE_INVALID)
                return ledger_set_stage(l, stage, note);
        /* Not the newest record (should not happen while it runs): same rules by hand. */
        if (stage != _LEDGER_STAGE_INVALID && stage > b->stage) {
                b->stage = stage;
                b->outcome = stage == LEDGER_STAGE_GOOD ? LEDGER_OUTCOME_GOOD : LEDGER_OUTCOME_BAD;
        }
        return ledger_boot_set_note(b, note);
}

/* Records stage (or only the note, for _LEDGER_STAGE_INVALID) for the running boot. */
static int record(struct context *c, const struct boot_state *s, enum ledger_stage stage, const char *note) {
        _cleanup_free_ char *root = NULL;
        struct ledger l;
        int r;

        ledger_init(&l);
        r = ctx_ledger_load(c, &l, true);
        if (r != 0)
                goto out;
        struct ledger_boot *b = this_boot(&l, s);
        if (!b) {
                if (s->ledger_seq > 0)
                        log_error("the ledger %s has no boot #%" PRIu64 " (the record of this boot); "
                                  "nothing recorded there",
                                  c->ledger, s->ledger_seq);
                else
                        log_error("the ledger %s has no record of this boot of %s; nothing recorded there",
                                  c->ledger, *s->snapshot ? s->snapshot : "(unknown root)");
                r = -ENOENT;
                goto out;
        }
        r = may_record(b, stage, note);
        if (r <= 0)
                goto out;
        r = set_boot(&l, b, stage, note);
        if (r < 0) {
                log_errno(r, "recording the boot failed");
                r = -EIO;
                goto out;
        }
        uint64_t seq = b->seq;
        root = strdup_or_die(b->root);
        r = ctx_ledger_save(c, &l);
        if (r == 0 && stage != _LEDGER_STAGE_INVALID)
                printf("boot #%" PRIu64 " of %s recorded %s in the ledger\n", seq, root,
                       ledger_stage_to_string(stage));
        else if (r == 0)
                printf("boot #%" PRIu64 " of %s: note kept in the ledger\n", seq, root);
out:
        ledger_free(&l);
        return r;
}

static int mark(struct context *c, bool good) {
        char dir[PATH_MAX], name[PATH_MAX];
        struct boot_state s;
        bool found, have_state;
        int r, r_entry = 0, r_ledger;

        r = boot_state_load(c->o->state, &s);
        have_state = r == 0;
        if (r < 0)
                log_errno(r,
                          "reading %s failed: this boot was not started by koompi-init, so the ledger "
                          "cannot be updated",
                          c->o->state);

        /* The entry first: it is what systemd-boot acts on at the next boot. */
        r_entry = booted_entry(c, dir, sizeof dir, name, sizeof name, &found);
        fault_point("mark-found");
        if (r_entry == 0 && found)
                r_entry = rename_entry(dir, name, good);
        else if (r_entry == 0 && have_state && s.counting && !c->o->entry) {
                log_error("koompi-init saw systemd-boot count this boot, but LoaderBootCountPath is not "
                          "readable (is efivarfs mounted?); the entry keeps its counter");
                r_entry = -ENOENT;
        } else if (r_entry == 0)
                printf("this boot was not counted by the boot loader: only the ledger is updated\n");

        if (!have_state) {
                boot_state_free(&s);
                return r_entry != 0 ? r_entry : -ENOENT;
        }
        fault_point("mark-renamed");
        r_ledger = record(c, &s, good ? LEDGER_STAGE_GOOD : LEDGER_STAGE_MARKED_BAD, c->o->reason);
        boot_state_free(&s);
        return r_entry != 0 ? r_entry : r_ledger;
}

int verb_mark_good(struct context *c) {
        return mark(c, true);
}

int verb_mark_bad(struct context *c) {
        return mark(c, false);
}

int verb_note(struct context *c) {
        struct boot_state s;
        int r = boot_state_load(c->o->state, &s);
        if (r < 0) {
                log_errno(r,
                          "reading %s failed: this boot was not started by koompi-init, so the ledger "
                          "has no record of it to keep the note in",
                          c->o->state);
                return -ENOENT;
        }
        r = record(c, &s, _LEDGER_STAGE_INVALID, c->o->args[0]);
        boot_state_free(&s);
        return r;
}
