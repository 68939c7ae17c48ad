/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include "verify.h"

/* The answer of a release check's child (updatefetch.h), which read the network without root:
 * one JSON object, {"mirror", "manifest", "signature"} or {"error", "errno"}. Nothing in it is
 * trusted: the manifest is judged again from its signature on, as if fetched here. */

struct fetch_answer {
        struct manifest manifest;
        char *mirror; /* the mirror the child named, NULL when none */
        char *text; /* the manifest's text, as judged */
        char *signature; /* its signature file's text, which verified it */
        char sha256[65]; /* of the manifest's bytes, as channel_state keeps it */
};

/* Judges text (the answer, NUL-terminated) under t. 0 with *ret filled (fetch_answer_free()
 * it); -ENODATA when text is no JSON object (the child died, or sent garbage); when the child
 * reported that it found nothing, its errno (-EIO when it gave none, or none that can be an
 * errno) and its words in why (empty when it gave none); else the refusal of update_verify(),
 * its reason in why. */
int fetch_answer_judge(const struct update_trust *t, const char *text, struct fetch_answer *ret,
                       struct update_refusal *why);
void fetch_answer_free(struct fetch_answer *a);
