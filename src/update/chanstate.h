/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* What a machine last accepted on a channel, kept in STATE_DIR/update/CHANNEL.state so a
 * replayed or older manifest is refused after a restart, and a wrong clock cannot make an
 * expired manifest good again. */
struct channel_state {
        uint64_t serial; /* 0: nothing accepted yet */
        int64_t issued;
        char version[65];
        char sha256[65]; /* of the manifest's bytes: the same manifest seen again is no replay */
};

/* The state of channel (update_name_valid()). 0, -ENOENT when nothing was accepted yet (*ret
 * untouched, as on every error), -EINVAL for a bad channel name, -EBADMSG when the file is not one of
 * ours, or the negative errno of reading it. */
int update_state_load(const char *state_dir, const char *channel, struct channel_state *ret);
/* Whether an admin approved version (a major release): it is a line of
 * STATE_DIR/update/approved. */
bool update_approved(const char *state_dir, const char *version);
/* Adds version to STATE_DIR/update/approved (crash-safely; once). 0, -EINVAL for a string that
 * is no version, or a negative errno of reading or writing. */
int update_approve(const char *state_dir, const char *version);
/* Writes s crash-safely (a temporary file, fsync, rename, fsync of the folder), making
 * STATE_DIR/update when missing. 0, -EINVAL for a bad channel name or version, or a negative
 * errno. */
int update_state_save(const char *state_dir, const char *channel, const struct channel_state *s);
