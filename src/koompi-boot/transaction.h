/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

#include "btrfs.h"
#include "context.h"
#include "rollback-marks.h"
#include "view.h"

/* The transactions the verbs changing roots share. */

/* For every verb that changes roots, before anything else: the ESP, the top level mounted
 * writable, the lock that keeps two of them apart, then a transaction a crash interrupted
 * finished or undone (recover.c). Returns 0 or a negative errno. */
int admin_begin(struct context *c);
/* Deletes the roots named (NULL-terminated) under a journal, then brings the entries and the
 * kernels on the ESP in line (prune.c). Returns 0 or a negative errno. */
int admin_delete_roots(struct context *c, char *const *names);
/* Makes target the root booted next, for good: the roots newer than it are marked bad (their
 * entries spent, the ledger told), target re-armed when it was bad (rollback-apply.c).
 * Repeating it finishes what a crash interrupted. Returns 0 or a negative errno. */
int admin_rollback_apply(struct context *c, const char *target);
/* A name for a new root made today, "@root-YYYY-MM-DD" (then ".2", ".3", ...), not in v (snapshot.c).
 * 0 or the negative errno of root_name_generate(). */
int admin_root_name_new(const struct root_view *v, char *ret, size_t size);
/* The roots of v as rollback-marks.h takes them, in v's order (pointing into v); free() it. */
struct rollback_root *admin_rollback_roots(const struct root_view *v);
