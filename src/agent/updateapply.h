/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "agentconf.h"
#include "rootfacts.h"

/* One application of a release (UpdateApply): the same check as UpdateCheck; when this machine
 * takes the release, its files (the packages and the repository's database, each listed in the
 * manifest) downloaded into STATE_DIR/update/cache/VERSION by a child without root; checked
 * again here as root; then `koompi-boot update --run` installs them from that copy, shown
 * read-only in the command's sandbox, with a pacman.conf naming that repository only. */
struct updateapply;

struct updateapply_ops {
        /* How far it got: step is a file name while downloading (done and total are the
         * release's bytes), "transaction" while koompi-boot runs (0 of 1, then 1 of 1). */
        void (*progress)(const char *step, uint64_t done, uint64_t total, void *userdata);
        /* The outcome, owned by done: {"version", "root", "fetched", "resumed", "boots_next",
         * "up_to_date"} or {"error", "errno" (positive), "refused" (a manifest or a file was
         * refused)}. */
        void (*done)(json_object *answer, void *userdata);
        /* The machine takes version: its download starts (NULL: not told). */
        void (*taken)(const char *version, void *userdata);
        void *userdata;
};

/* Starts on e. src names koompi-boot and its folders (copied). 0, or a negative errno when
 * nothing could be started (done is then not called). */
int updateapply_start(struct updateapply **ret, sd_event *e, const struct agent_config *conf,
                      const char *state_dir, const struct rootfacts_source *src,
                      const struct updateapply_ops *ops);
/* Stops what still runs (the check, the download), and frees it. A koompi-boot already running
 * finishes by itself: its transaction is crash-safe. */
void updateapply_free(struct updateapply *a);
