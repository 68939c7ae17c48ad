/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manifest.json as a mirror serves it, parsed (the signature aside: update_verify() checks it
 * first, and a key may sign a manifest this version reads otherwise): refused with its reason,
 * or every field within what the rest of the update trusts it to be. */
#include <errno.h>

#include "fuzzer.h"
#include "manifest.h"
#include "util.h"

static void check_time(int64_t t) {
        char buf[32];
        int64_t back;
        update_time_format(t, buf, sizeof buf);
        FUZZ_CHECK(update_time_parse(buf, &back) == 0 && back == t);
}

static void check_manifest(const struct manifest *m) {
        FUZZ_CHECK(m->format == MANIFEST_FORMAT && m->serial >= 1 && m->percent <= 100);
        FUZZ_CHECK(update_name_valid(m->channel) && update_version_valid(m->version));
        FUZZ_CHECK(update_name_valid(m->repo_name) && endswith(m->repo_path, "/") && m->repo_path[0] != '/');
        FUZZ_CHECK(update_tier_name(m->tier) && m->expires > m->issued);
        check_time(m->issued);
        check_time(m->expires);
        for (size_t i = 0; i < m->n_packages; i++) {
                const struct manifest_package *p = &m->packages[i];
                FUZZ_CHECK(p->name && p->version && p->file && !strchr(p->file, '/') && p->file[0] != '.');
                FUZZ_CHECK(strlen(p->sha256) == 64 && p->size <= INT64_MAX);
        }
        for (char **v = m->revoked; v && *v; v++)
                FUZZ_CHECK(update_version_valid(*v) && manifest_revokes(m, *v));
        FUZZ_CHECK(!manifest_revokes(m, NULL));
}

/* Without optional packages asked for, exactly the others stay. */
static void check_drop_optional(struct manifest *m) {
        size_t n = 0;
        for (size_t i = 0; i < m->n_packages; i++)
                n += !m->packages[i].optional;
        manifest_drop_optional(m, NULL);
        FUZZ_CHECK(m->n_packages == n);
        for (size_t i = 0; i < m->n_packages; i++)
                FUZZ_CHECK(!m->packages[i].optional);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct update_refusal why = { 0 };
        struct manifest m;
        int r = manifest_parse((const char *)data, size, &m, &why);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT);
        if (r < 0) {
                FUZZ_CHECK(why.error == r && why.reason[0]);
                return 0;
        }
        check_manifest(&m);
        check_drop_optional(&m);
        manifest_free(&m);
        return 0;
}
