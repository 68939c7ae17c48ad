/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* The verbs, each run by main() once its words and options are checked against its entry in
 * main.c's table. Each returns 0 or a negative errno, after saying what failed. */
int verb_status(struct context *c);
int verb_list(struct context *c);
int verb_entries_sync(struct context *c);
int verb_mark_good(struct context *c);
int verb_mark_bad(struct context *c);
int verb_note(struct context *c);
int verb_alerts_raise(struct context *c);
int verb_history(struct context *c);
int verb_alerts(struct context *c);
int verb_alerts_ack(struct context *c);
int verb_update(struct context *c);
int verb_snapshot_create(struct context *c);
int verb_snapshot_delete(struct context *c);
int verb_snapshot_pin(struct context *c);
int verb_snapshot_unpin(struct context *c);
int verb_prune(struct context *c);
int verb_rollback(struct context *c);
int verb_recover(struct context *c);
int verb_secureboot_keygen(struct context *c);
int verb_secureboot_enroll(struct context *c);
int verb_secureboot_status(struct context *c);
/* systemd-boot on the ESP signed with the db key of keys (NULL: [secureboot] keys) when the
 * package's file or the key changed since it was last signed (koompi/bootloader-signed on the
 * ESP says from what). 0, also when there is no db certificate; -ENOENT or -EIO after saying why. */
int admin_sign_loader(struct context *c, const char *keys);
int verb_tpm2_enroll(struct context *c);
int verb_tpm2_remove(struct context *c);
int verb_tpm2_status(struct context *c);
