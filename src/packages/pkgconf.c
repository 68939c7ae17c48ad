/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgconf.h"

#include <errno.h>
#include <iniparser.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>

#include "pkgsource.h"
#include "util.h"

enum kind { K_BOOL, K_PATH, K_STR, K_WORDS, K_ORDER, K_URL, K_DURATION };

static const struct key {
        const char *name;
        enum kind kind;
        size_t offset;
} keys[] = {
#define F(field) offsetof(struct pkg_config, field)
        { "flatpak", K_BOOL, F(flatpak) },
        { "aur", K_BOOL, F(aur) },
        { "appimage", K_BOOL, F(appimage) },
        { "order", K_ORDER, F(order) },
        { "aur_url", K_URL, F(aur_url) },
        { "user", K_STR, F(user) },
        { "workers_dir", K_PATH, F(workers_dir) },
        { "pacman_conf", K_PATH, F(pacman_conf) },
        { "pacman_root", K_PATH, F(pacman_root) },
        { "protected", K_WORDS, F(protected_names) },
        { "appimage_dir", K_PATH, F(appimage_dir) },
        { "desktop_dir", K_PATH, F(desktop_dir) },
        { "icon_dir", K_PATH, F(icon_dir) },
        { "timeout", K_DURATION, F(timeout_ms) },
#undef F
};

bool pkgconf_has_key(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcasecmp(keys[i].name, key) == 0)
                        return true;
        return false;
}

static void set_str(char **field, const char *value) {
        free(*field);
        *field = strdup_or_die(value);
}

void pkgconf_defaults(struct pkg_config *c) {
        *c = (struct pkg_config) { .flatpak = true, .appimage = true, .timeout_ms = 3600 * 1000 };
        set_str(&c->order, "pacman flatpak aur appimage");
        set_str(&c->aur_url, "https://aur.archlinux.org");
        set_str(&c->user, "nobody");
        set_str(&c->workers_dir, "/usr/lib/koompi");
        set_str(&c->pacman_conf, "/etc/pacman.conf");
        set_str(&c->pacman_root, "/");
        set_str(&c->protected_names,
                "linux linux-* systemd systemd-* koompi-* base filesystem glibc pacman "
                "btrfs-progs cryptsetup dbus mkinitcpio plasma-desktop plasma-workspace "
                "sddm gnome-shell gdm xorg-server mesa networkmanager");
        set_str(&c->appimage_dir, "/opt/appimages");
        set_str(&c->desktop_dir, "/usr/local/share/applications");
        set_str(&c->icon_dir, "/usr/local/share/icons/hicolor/256x256/apps");
}

void pkgconf_free(struct pkg_config *c) {
        char **strings[] = { &c->order,           &c->aur_url,      &c->user,
                             &c->workers_dir,     &c->pacman_conf,  &c->pacman_root,
                             &c->protected_names, &c->appimage_dir, &c->desktop_dir,
                             &c->icon_dir };
        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                free(*strings[i]);
                *strings[i] = NULL;
        }
}

static int parse_bool(const char *v, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" },
                                 *const no[] = { "no", "false", "off", "0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
                        *ret = strcasecmp(v, yes[i]) == 0;
                        return 0;
                }
        return -EINVAL;
}

static int check(enum kind kind, const char *v) {
        enum pkg_source order[PKG_SOURCE_COUNT];
        size_t n;
        switch (kind) {
        case K_PATH:
                return v[0] == '/' ? 0 : -EINVAL;
        case K_STR:
                return *v && !strchr(v, ' ') ? 0 : -EINVAL;
        case K_ORDER:
                return pkg_order_parse(v, order, &n);
        case K_URL:
                return (startswith(v, "https://") || startswith(v, "http://")) && !strchr(v, ' ') ? 0
                                                                                                  : -EINVAL;
        default:
                return 0;
        }
}

int pkgconf_set(struct pkg_config *c, const char *key, const char *value) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (strcasecmp(keys[i].name, key) != 0)
                        continue;
                void *field = (char *)c + keys[i].offset;
                if (keys[i].kind == K_BOOL)
                        return parse_bool(value, field);
                if (keys[i].kind == K_DURATION) {
                        unsigned ms;
                        if (parse_duration_ms(value, &ms) < 0 || ms == 0)
                                return -EINVAL;
                        *(unsigned *)field = ms;
                        return 0;
                }
                int r = check(keys[i].kind, value);
                if (r < 0)
                        return r;
                set_str(field, value);
                return 0;
        }
        return -ENOENT;
}

static bool listed(const char *const *names, const char *name) {
        for (; names && *names; names++)
                if (strcasecmp(*names, name) == 0)
                        return true;
        return false;
}

int pkgconf_load_strict(struct pkg_config *c, const char *path, const char *const *strict,
                        const char **ret_bad_key) {
        const char *bad = NULL;
        char name[64];
        if (access(path, R_OK) < 0)
                return -errno;
        dictionary *d = iniparser_load(path);
        if (!d)
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                snprintf(name, sizeof name, "packages:%s", keys[i].name);
                const char *v = iniparser_getstring(d, name, NULL);
                if (v && pkgconf_set(c, keys[i].name, v) == -EINVAL && !bad && listed(strict, keys[i].name))
                        bad = keys[i].name;
        }
        iniparser_freedict(d);
        if (!bad)
                return 0;
        if (ret_bad_key)
                *ret_bad_key = bad;
        return -EINVAL;
}

int pkgconf_load(struct pkg_config *c, const char *path) {
        return pkgconf_load_strict(c, path, NULL, NULL);
}
