/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "release-fetch.h"

#include <errno.h>
#include <stdio.h>

#include "util.h"

#define SIGNATURE_MAX_BYTES 4096
#define NOTES_MAX 1024

/* Adds "MIRROR: FILE: ERROR" to the sentence of what each mirror did. */
static void note(char *notes, const char *mirror, const char *file, const char *error) {
        size_t n = strlen(notes);
        snprintf(notes + n, NOTES_MAX - n, "%s%s: %s: %s", n ? "; " : "", mirror, file, error);
}

/* The manifest and its signature (NULL when the mirror has none) from mirror into f. 0, or
 * -EIO with the reason noted. */
static int fetch_pair(const char *mirror, const char *channel, const struct fetch_limits *lim,
                      struct release_fetched *f, char *notes) {
        struct fetch_limits sig_lim = *lim;
        _cleanup_free_ char *url = fetch_join_url(mirror, channel, "manifest.json"),
                            *sig_url = fetch_join_url(mirror, channel, "manifest.json.minisig");
        char error[FETCH_ERROR_MAX];
        size_t sig_len;
        int r = fetch_url(url, lim, &f->manifest, &f->manifest_len, error);
        if (r < 0) {
                note(notes, mirror, "manifest.json", error);
                return -EIO;
        }
        sig_lim.max_bytes = SIGNATURE_MAX_BYTES;
        r = fetch_url(sig_url, &sig_lim, &f->signature, &sig_len, error);
        if (r < 0 && r != -ENOENT) {
                note(notes, mirror, "manifest.json.minisig", error);
                return -EIO;
        }
        f->mirror = strdup_or_die(mirror);
        return 0;
}

static int try_mirror(const char *mirror, const struct update_trust *t, const struct fetch_limits *lim,
                      struct release_fetched *ret, struct update_refusal *why, char *notes) {
        struct release_fetched f = { 0 };
        struct manifest m;
        int r = fetch_pair(mirror, t->channel, lim, &f, notes);
        if (r >= 0)
                r = update_verify(t, f.manifest, f.manifest_len, f.signature, &m, why);
        if (r < 0) {
                release_fetched_free(&f);
                return r;
        }
        manifest_free(&m);
        *ret = f;
        return 0;
}

int release_fetch(char *const *mirrors, const struct update_trust *t, const struct fetch_limits *lim,
                  struct release_fetched *ret, struct update_refusal *why) {
        struct update_refusal refusal = { 0 }, attempt;
        char notes[NOTES_MAX] = "";
        if (!mirrors || !mirrors[0])
                return update_refuse(why, -EINVAL, "no mirror is set ([update] mirrors in agent.conf)");
        for (char *const *m = mirrors; *m; m++) {
                attempt = (struct update_refusal) { 0 };
                int r = try_mirror(*m, t, lim, ret, &attempt, notes);
                if (r == 0)
                        return 0;
                /* A mirror serving a refused manifest says more than one that did not answer. */
                if (r != -EIO)
                        refusal = attempt;
        }
        if (refusal.error)
                return update_refuse(why, refusal.error, "%s", refusal.reason);
        return update_refuse(why, -EIO, "no mirror answered: %s", notes);
}

void release_fetched_free(struct release_fetched *f) {
        free(f->mirror);
        free(f->manifest);
        free(f->signature);
        *f = (struct release_fetched) { 0 };
}
