/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "refusal.h"

/* A release's manifest.json as koompi-release edits it: the JSON kept whole (fields it does
 * not know stay), checked as a machine would check it before it is read and before it is
 * written. */

/* The manifest at path. 0 with *ret (json_object_put() it), -ENOENT, -EBADMSG or
 * -EPROTONOSUPPORT when it is not a good manifest (why says why), or the negative errno of
 * reading it. */
int release_doc_load(const char *path, json_object **ret, struct update_refusal *why);
/* Writes doc to path, pretty-printed, crash-safely, after checking it. 0, -EBADMSG when it is
 * not a good manifest (why says why), or the negative errno of writing. */
int release_doc_save(const char *path, json_object *doc, struct update_refusal *why);
/* Makes doc a new edition at now: serial one more, issued now, expires as far after now as it
 * was after the old issued time, rollout.started kept (set to the old issued time when
 * absent, so the schedule does not start again). 0 or -EBADMSG when a field is missing. */
int release_doc_renew(json_object *doc, int64_t now);
/* rollout.percent and rollout.paused. 0 or -EBADMSG. */
int release_doc_set_rollout(json_object *doc, unsigned percent, bool paused);
/* Adds version to revoked (once). 0 or -EBADMSG. */
int release_doc_revoke(json_object *doc, const char *version);
/* Marks the package named name optional: in the repository, verified, but installed only by
 * the machines that ask for it. 0, -ENOENT when no package has that name, or -EBADMSG. */
int release_doc_set_optional(json_object *doc, const char *name);
/* A member of doc or of its rollout object: a string, or "" when missing. */
const char *release_doc_string(json_object *doc, const char *key);
