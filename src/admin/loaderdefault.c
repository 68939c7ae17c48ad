/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "loaderdefault.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "uki.h"

struct parsed {
        const struct default_candidate *c;
        struct entry_name name;
        bool spent;
};

/* Whether a boots before b: an entry not spent first, then the newer root. */
static bool before(const struct parsed *a, const struct parsed *b) {
        if (a->spent != b->spent)
                return !a->spent;
        return a->c->generation > b->c->generation;
}

static int put(const char *value, char *ret, size_t size) {
        if ((size_t)snprintf(ret, size, "%s", value) >= size)
                return -ENOBUFS;
        return 0;
}

int loader_default_choose(const struct default_candidate *c, size_t n, const char *pattern, char *ret,
                          size_t size) {
        struct parsed best = {}, p;
        char id[ENTRY_NAME_MAX + 1];

        for (size_t i = 0; i < n; i++) {
                if (!c[i].file || entry_name_parse(c[i].file, c[i].uki ? UKI_SUFFIX : ".conf", &p.name) < 0)
                        continue;
                p.c = &c[i];
                p.spent = entry_name_state(&p.name) == ENTRY_BAD;
                if (!best.c || before(&p, &best))
                        best = p;
        }
        if (!best.c || entry_name_koompi_id(&best.name) || entry_name_id(&best.name, id, sizeof id) < 0 ||
            id[strcspn(id, "*?[\\ \t")])
                return put(pattern, ret, size);
        return put(id, ret, size);
}
