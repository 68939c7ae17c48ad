/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"

/* The checks built into koompi-health and the agent, run beside the health.d scripts:
 *   home-mounted, var-mounted  /home and /var mounted read-write from @home and @var
 *   root-readonly              / mounted read-only from the root koompi-init booted
 *   free-space                 the Btrfs filesystem's free space above a threshold
 *   ledger-writable            a file can be created in the ledger's folder
 *   units                      none of the listed systemd units failed
 * Each has a pure verdict (below, unit-tested) and a part that looks at the machine. */

/* The names, space separated, in the order they run. */
#define BUILTIN_NAMES "home-mounted var-mounted root-readonly free-space ledger-writable units"

/* A free-space threshold: at least `bytes` free and at least `percent` of the size free. */
struct free_threshold {
        uint64_t bytes;
        unsigned percent;
};

/* Where the checks look; NULL fields take the running system's places. */
struct builtin_env {
        const char *mountinfo; /* default /proc/self/mountinfo */
        const char *boot_json; /* koompi-init's record, default /run/koompi/boot.json */
        const char *top; /* the mounted Btrfs top level: statvfs and TOP/@var/lib/koompi */
};

/* What the mount table says of one mount point (the topmost mount there). */
struct mount_seen {
        bool found;
        char root[256]; /* the mounted path inside its filesystem: "/@home" for a subvolume */
        char fstype[32];
        bool read_only; /* the mount's own flags, not the filesystem's */
};

/* Whether name is a built-in check. */
bool builtin_known(const char *name);
/* Whether every space-separated word of list is a built-in check (an empty list is). */
bool builtin_list_valid(const char *list);
/* Whether the word name is in the space-separated list. */
bool builtin_in_list(const char *list, const char *name);
/* Parses "5%", "2G", "512M", "100K", "0" or a byte count. 0, or -EINVAL (ret untouched). */
int builtin_parse_free(const char *s, struct free_threshold *ret);

/* The verdict on mount m at target: from Btrfs subvolume subvol (NULL: any), read-write or
 * read-only as want_rw says. CHECK_PASSED or CHECK_FAILED, with what was found in msg. */
enum health_state builtin_mount_verdict(const struct mount_seen *m, const char *target, const char *subvol,
                                        bool want_rw, char *msg, size_t size);
/* The verdict on avail of total bytes free against t. CHECK_PASSED or CHECK_FAILED. */
enum health_state builtin_free_verdict(uint64_t avail, uint64_t total, const struct free_threshold *t,
                                       char *msg, size_t size);
/* The verdict on n units and their ActiveState (NULL: unknown). CHECK_FAILED when one is
 * "failed", naming them; CHECK_SKIPPED when n is 0; else CHECK_PASSED. */
enum health_state builtin_units_verdict(const char *const *names, const char *const *states, size_t n,
                                        char *msg, size_t size);

/* Reads the topmost mount at target from a mountinfo file (libmount). 0 (also when nothing is
 * mounted there: ret->found is false), or a negative errno when the file cannot be read. */
int builtin_mount_read(const char *mountinfo, const char *target, struct mount_seen *ret);

/* Which checks run and their thresholds, from agent.conf's [health]. */
struct builtin_settings {
        const char *required; /* space-separated names whose failure makes the boot bad */
        const char *wanted; /* names whose failure only warns; a name in both is required */
        const char *units; /* units: the units that must not have failed, space separated */
        struct free_threshold min_free; /* free-space: what must stay free */
};

/* Runs the built-in check called name, with what it found in msg. CHECK_NOT_RUN for an unknown
 * name. */
enum health_state builtin_run_one(const char *name, const struct builtin_settings *set,
                                  const struct builtin_env *env, char *msg, size_t size);
/* Adds the built-in checks the settings name to run, pending, with an empty path (so a runner
 * knows them from scripts) and timeout_ms each, in BUILTIN_NAMES order. */
void builtin_add_pending(struct health_run *run, const struct builtin_settings *set, unsigned timeout_ms);
/* Runs the built-in checks the settings name and adds their results to run, in BUILTIN_NAMES
 * order. */
void builtin_run_all(struct health_run *run, const struct builtin_settings *set,
                     const struct builtin_env *env);
