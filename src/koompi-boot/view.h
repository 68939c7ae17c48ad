/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

#include "context.h"
#include "rootview.h"

/* The roots as the verbs see them: rootview.h's view, gathered from what the context found
 * (admin.c). */

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

/* Whether systemd-boot's EFI variables are this ESP's to read and write: the machine booted
 * through UEFI and the ESP was found, not given with --esp (which may be another disk's). */
bool admin_efi_ok(struct context *c);
/* entries sync, its report indented under the caller's progress line. Returns 0 or a negative
 * errno. */
int admin_sync_entries(struct context *c);
