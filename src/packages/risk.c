/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "risk.h"

#include <fnmatch.h>
#include <stdio.h>

#include "util.h"

static void score_aur(const struct risk_facts *f, struct risk_result *r) {
        const struct risk_aur *a = &f->aur;
        risk_add(r, RISK_W_AUR, "from the AUR: built from a script anyone may publish");
        if (!a->known)
                return;
        if (a->first_submitted > 0 && f->now - a->first_submitted < RISK_AUR_NEW_DAYS * 86400LL)
                risk_add(r, RISK_W_AUR_NEW, "new in the AUR: first submitted less than %d days ago",
                         RISK_AUR_NEW_DAYS);
        if (!a->maintainer)
                risk_add(r, RISK_W_AUR_ORPHANED, "orphaned in the AUR: nobody maintains it");
        if (a->votes < RISK_AUR_FEW_VOTES)
                risk_add(r, RISK_W_AUR_FEW_VOTES, "few votes in the AUR (%ld)", a->votes);
        if (a->out_of_date)
                risk_add(r, RISK_W_AUR_OUT_OF_DATE, "flagged out of date in the AUR");
        if (a->last_maintainer && !streq_ptr(a->maintainer, a->last_maintainer))
                risk_add(r, RISK_W_AUR_MAINTAINER_CHANGED,
                         "its maintainer changed since it was installed here (%s, now %s)",
                         a->last_maintainer, a->maintainer ? a->maintainer : "nobody");
        if (a->pkgbuild)
                risk_pkgbuild(a->pkgbuild, r);
}

/* Whether list holds value, or value followed by ':' (":ro", ":rw"). */
static bool has_value(char *const *list, const char *value) {
        for (char *const *p = list; p && *p; p++) {
                const char *rest = startswith(*p, value);
                if (rest && (!*rest || *rest == ':'))
                        return true;
        }
        return false;
}

static void score_flatpak(const struct risk_facts *f, struct risk_result *r) {
        if (has_value(f->flatpak_filesystems, "host") || has_value(f->flatpak_filesystems, "host-os") ||
            has_value(f->flatpak_filesystems, "host-etc"))
                risk_add(r, RISK_W_FLATPAK_HOST,
                         "the Flatpak asks for the whole filesystem (--filesystem=host)");
        if (has_value(f->flatpak_filesystems, "home"))
                risk_add(r, RISK_W_FLATPAK_HOME, "the Flatpak asks for the home folder (--filesystem=home)");
        if (has_value(f->flatpak_devices, "all"))
                risk_add(r, RISK_W_FLATPAK_DEVICE_ALL, "the Flatpak asks for every device (--device=all)");
}

static void score_removal(const struct risk_facts *f, struct risk_result *r) {
        for (char *const *p = f->protected_names; f->name && p && *p; p++)
                if (fnmatch(*p, f->name, 0) == 0) {
                        risk_add(r, RISK_W_PROTECTED_REMOVAL, "%s is needed by the boot or the desktop (%s)",
                                 f->name, *p);
                        return;
                }
}

void risk_score(const struct risk_facts *f, struct risk_result *ret) {
        struct risk_result r = { 0 };
        if (f->op == RISK_REMOVE)
                score_removal(f, &r);
        else if (f->source == PKG_AUR)
                score_aur(f, &r);
        else if (f->source == PKG_APPIMAGE)
                risk_add(&r, RISK_W_APPIMAGE, "an AppImage runs without a sandbox, with all of your rights");
        else if (f->source == PKG_FLATPAK)
                score_flatpak(f, &r);
        *ret = r;
}
