/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One name, one clear choice: the seed's order unless the caller names a source. */
#include "pkgsource.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const names[PKG_SOURCE_COUNT] = { "pacman", "flatpak", "aur", "appimage" };

const char *pkg_source_name(enum pkg_source s) {
        return s < PKG_SOURCE_COUNT ? names[s] : "any";
}

int pkg_source_parse(const char *s, enum pkg_source *ret) {
        if (!s)
                return -EINVAL;
        if (!*s) {
                *ret = PKG_SOURCE_ANY;
                return 0;
        }
        for (size_t i = 0; i < PKG_SOURCE_COUNT; i++)
                if (streq(s, names[i])) {
                        *ret = (enum pkg_source)i;
                        return 0;
                }
        return -EINVAL;
}

bool pkg_source_needs_restart(enum pkg_source s) {
        return s == PKG_PACMAN || s == PKG_AUR;
}

int pkg_order_parse(const char *s, enum pkg_source ret[PKG_SOURCE_COUNT], size_t *ret_n) {
        enum pkg_source order[PKG_SOURCE_COUNT];
        unsigned seen = 0;
        size_t n = 0;
        char word[16];
        for (const char *p = s; p && *p;) {
                size_t len = strcspn(p, " \t,");
                enum pkg_source src;
                if (len > 0) {
                        if (len >= sizeof word)
                                return -EINVAL;
                        snprintf(word, sizeof word, "%.*s", (int)len, p);
                        if (pkg_source_parse(word, &src) < 0 || (seen & PKG_SOURCE_BIT(src)))
                                return -EINVAL;
                        seen |= PKG_SOURCE_BIT(src);
                        order[n++] = src;
                }
                p += len;
                p += strspn(p, " \t,");
        }
        if (n == 0)
                return -EINVAL;
        memcpy(ret, order, n * sizeof order[0]);
        *ret_n = n;
        return 0;
}

/* The order's names, "a, b, c", into buf. */
static void order_text(const struct pkg_choice_input *in, unsigned mask, char *buf, size_t size) {
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < in->n_order && used < size; i++) {
                if (!(mask & PKG_SOURCE_BIT(in->order[i])))
                        continue;
                int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", names[in->order[i]]);
                used += n > 0 ? (size_t)n : 0;
        }
        if (!buf[0])
                snprintf(buf, size, "none");
}

static int choose_from(const struct pkg_choice_input *in, enum pkg_source *ret, char *why, size_t size) {
        const char *name = names[in->from];
        if (!(in->enabled & PKG_SOURCE_BIT(in->from))) {
                snprintf(why, size, "%s is switched off on this machine ([packages] %s = no)", name, name);
                return -EPERM;
        }
        if (!(in->allowed & PKG_SOURCE_BIT(in->from))) {
                snprintf(why, size, "%s is for admins and teachers only", name);
                return -EPERM;
        }
        if ((in->failed & ~in->found) & PKG_SOURCE_BIT(in->from)) {
                snprintf(why, size, "%s could not be asked", name);
                return -EIO;
        }
        if (!(in->found & PKG_SOURCE_BIT(in->from))) {
                snprintf(why, size, "%s does not have it", name);
                return -ENOENT;
        }
        snprintf(why, size, "%s: asked for with --from", name);
        *ret = in->from;
        return 0;
}

int pkg_choose(const struct pkg_choice_input *in, enum pkg_source *ret, char *why, size_t why_size) {
        char searched[64];
        if (in->from < PKG_SOURCE_COUNT)
                return choose_from(in, ret, why, why_size);
        unsigned usable = in->enabled & in->allowed;
        order_text(in, usable, searched, sizeof searched);
        for (size_t i = 0; i < in->n_order; i++) {
                enum pkg_source s = in->order[i];
                if (!(usable & in->found & PKG_SOURCE_BIT(s)))
                        continue;
                snprintf(why, why_size, "%s: the first source in the order %s that has it", names[s],
                         searched);
                *ret = s;
                return 0;
        }
        unsigned asked = 0;
        for (size_t i = 0; i < in->n_order; i++)
                asked |= usable & PKG_SOURCE_BIT(in->order[i]);
        if (asked && (in->failed & asked) == asked) {
                snprintf(why, why_size, "no source could be asked (%s)", searched);
                return -EIO;
        }
        snprintf(why, why_size, "no source has it (searched: %s)", searched);
        return -ENOENT;
}
