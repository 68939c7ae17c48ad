/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What `koompi-boot entries sync` does to the ESP, decided by a pure function of what is there
 * (the files in loader/entries, the kernel directories under koompi/, loader.conf) and what
 * should be there (the roots). The caller reads the ESP, plans, checks the free space for the
 * kernels needed, then carries the plan out in this order, so that an entry never points to a
 * missing kernel and a crash between two steps leaves a bootable ESP:
 *   1. kernels_needed: write koompi/<KERNEL-ID>/{vmlinuz,initramfs.img};
 *   2. entries PLAN_CREATE (never replacing) and PLAN_UPDATE (same name, new contents);
 *   3. entries PLAN_REMOVE;
 *   4. loader_conf, when not NULL;
 *   5. kernels_unused: remove those directories.
 *
 * With image = uki (in->uki), each root gets a unified kernel image instead, in EFI/Linux,
 * "koompi-<ID>[+N].efi" under the same counter rules; it embeds its kernel and initramfs, so
 * kernels_needed is empty and every kernel directory is unused. Each root's file of the other
 * kind goes, and its counter carries over to the new file, so switching the image kind never
 * re-arms a spent root nor blesses one on trial. Step 2 then writes UKIs as well.
 *
 * The rules:
 *   - one entry per read-only root, "koompi-<ID>[+N].conf" (entry_id_from_root()), only for
 *     roots whose names are safe on a kernel command line;
 *   - a new entry of a root known good gets no counter, of a root known bad "+0", of any other
 *     root "+TRIES"; an existing entry keeps its name, so its counter state is never reset
 *     (a "+1-2" is not re-armed to "+3", a spent "+0-3" stays spent, a blessed entry stays
 *     blessed); only its contents are brought up to date;
 *   - twins (several files with the same ID, counters and case aside): one is kept, the others
 *     removed. A counted file is kept over an uncounted one, so no uncounted twin ever stands
 *     beside a counted entry (systemd-bless-boot cannot bless such an entry); among counted
 *     files the one with the fewest tries left, then the most tries done: a try once spent is
 *     never given back by a sync;
 *   - an entry named otherwise than "koompi-<ID>" whose options line names a read-only root
 *     (written by hand or by another tool; handentry.h) is that root's entry: it is kept as it
 *     is (name, counter and contents are its writer's, PLAN_KEEP "named by hand"), and the
 *     root gets no file of koompi-boot's beside it (those there go as "twin"), so systemd-boot
 *     never shows, counts or falls back to two entries of one root;
 *   - koompi entries of roots that are gone or not read-only are removed; other entries are
 *     never touched;
 *   - kernel directories are named by the first 16 hex digits of the SHA-256 of the SHA-256
 *     of the kernel followed by the SHA-256 of the initramfs, so identical pairs are stored
 *     once and shared; directories no entry refers to are removed (one that an entry not
 *     named "koompi-<ID>" boots from stays, whatever the image kind); only names of exactly 16
 *     lower-case hex digits are taken as kernel directories (koompi/ holds other things);
 *   - loader.conf: "timeout" kept when present (else "timeout 3"), "editor no", and
 *     "default koompi-*": a glob, so systemd-boot's own order (spent entries last, then the
 *     newest version) picks the default and no default pins an entry still counting or spent;
 *     but when the entry that should boot next (not spent, the newest root) was named by hand,
 *     "default" is that entry's ID (loaderdefault.h); other lines are kept;
 *   - a root whose entry was named by hand boots what that entry names: its kernel is not
 *     stored under koompi/. */

#define PLAN_KERNEL_ID_LEN 16
#define PLAN_SORT_KEY "koompi"
#define PLAN_DEFAULT_PATTERN "koompi-*"
#define PLAN_TIMEOUT_DEFAULT "3"
#define PLAN_DEFAULT_MAX 256

struct plan_root {
        const char *name; /* "@root-2024-12-01" */
        bool read_only;
        uint64_t generation; /* newer roots have larger values (Btrfs otransid): "version" */
        bool good; /* known good (the ledger): a new entry gets no counter */
        bool bad; /* known bad (the ledger): a new entry starts spent, "+0" */
        const char *kernel_id; /* PLAN_KERNEL_ID_LEN hex digits; needed for read-only roots */
};

struct plan_file {
        const char *name; /* file name in loader/entries */
        const char *text; /* its contents; NULL when unreadable (then always updated) */
};

struct plan_input {
        const struct plan_root *roots;
        size_t n_roots;
        const struct plan_file *entries;
        size_t n_entries;
        const char *const *kernel_dirs; /* names of the directories under koompi/ */
        size_t n_kernel_dirs;
        const char *options; /* base kernel options, without koompi.snapshot= */
        unsigned tries; /* 0: ROOT_TRIES_DEFAULT */
        const char *loader_conf; /* its text, NULL when there is none */
        bool uki; /* [boot] image = uki: a unified kernel image per root instead of an entry */
        const struct plan_file *ukis; /* the files in EFI/Linux, text: their descriptor (uki.h) */
        size_t n_ukis;
        const char *signer; /* the KOOMPI_SIGNER of new UKIs; NULL or "": not signed */
};

enum plan_op {
        PLAN_KEEP, /* up to date */
        PLAN_CREATE, /* new file; must not replace one */
        PLAN_UPDATE, /* new contents under the same name */
        PLAN_REMOVE,
};

struct plan_entry {
        enum plan_op op;
        bool uki; /* file is a UKI in EFI/Linux, else an entry in loader/entries */
        char *file;
        char *text; /* PLAN_CREATE, PLAN_UPDATE: the new contents */
        const char *root; /* into the input; NULL for an entry of no root */
        const char *reason; /* PLAN_REMOVE: "no such root", "root not read-only", "twin"
                                 * (then the entry of the same root that is kept comes first),
                                 * "image = uki" or "image = entry" (the other kind's file of a
                                 * root, after the one that replaces it); PLAN_KEEP: NULL, or
                                 * "named by hand" (a root's entry that is not koompi-boot's) */
};

struct plan {
        struct plan_entry *entries; /* roots in input order, then what is removed */
        size_t n_entries;
        char **kernels_needed; /* referenced and absent, each once */
        size_t n_kernels_needed;
        char **kernels_unused; /* present and referenced by no entry */
        size_t n_kernels_unused;
        char *loader_conf; /* new text, NULL when unchanged */
        char loader_default[PLAN_DEFAULT_MAX]; /* its "default": PLAN_DEFAULT_PATTERN or an entry's ID */
        const char *conflict[2]; /* on failure: the root(s) at fault, into the input */
};

/* Fills *ret (free with plan_free(), also after a failure). 0 on success;
 * -ENOENT: no read-only root at all (refusing to remove every entry);
 * -EEXIST: two roots give the same entry ID (conflict[0] and conflict[1]);
 * -EINVAL: a read-only root whose name cannot go on a kernel command line (bytes outside
 *          printable ASCII, spaces, quotes) or has no valid kernel_id (conflict[0]);
 * -ENOMEM. */
int plan_entries(const struct plan_input *in, struct plan *ret);
void plan_free(struct plan *p);

/* The contents of the entry of one root. 0, -EINVAL (see plan_entries()), -ENOMEM. */
int plan_entry_text(const struct plan_root *root, const char *options, char **ret);
/* The descriptor (uki.h) of the UKI of one root: its os-release, and options followed by
 * koompi.snapshot=NAME. signer: NULL or "" when not signed. 0, -EINVAL, -ENOMEM. */
int plan_uki_text(const struct plan_root *root, const char *options, const char *signer, char **ret);
/* loader.conf as it should be (old may be NULL), with "default PLAN_DEFAULT_PATTERN". Returns 1
 * when it differs from old, 0 when not, -ENOMEM. */
int plan_loader_conf(const char *old, char **ret);
/* The same with "default dflt" (a glob or an entry's ID; one word). */
int plan_loader_conf_default(const char *old, const char *dflt, char **ret);
/* A kernel command line (/proc/cmdline) without the words that name a boot image or a root
 * (BOOT_IMAGE=, initrd=, koompi.snapshot=), words joined by single spaces; quotes kept. */
int plan_base_options(const char *cmdline, char **ret);
/* Whether name is PLAN_KERNEL_ID_LEN lower-case hex digits. */
bool plan_is_kernel_id(const char *name);
