/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "integrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "desktop.h"
#include "pkgargs.h"
#include "util.h"

int integrate_name(const char *target, char *buf, size_t size) {
        const char *base = strrchr(target, '/');
        base = base ? base + 1 : target;
        size_t len = strcspn(base, "?#");
        if (len > 9 && strncasecmp(base + len - 9, ".AppImage", 9) == 0)
                len -= 9;
        if (len == 0 || len >= size || len > PKG_NAME_MAX)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                char ch = base[i];
                bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                        strchr("._+-", ch);
                buf[i] = ok ? ch : '-';
        }
        buf[len] = '\0';
        return pkg_name_valid(buf) ? 0 : -EINVAL;
}

static void paths(const struct pkg_config *c, const char *name, char app[PATH_MAX], char desktop[PATH_MAX]) {
        snprintf(app, PATH_MAX, "%s/%s.AppImage", c->appimage_dir, name);
        snprintf(desktop, PATH_MAX, "%s/koompi-appimage-%s.desktop", c->desktop_dir, name);
}

json_object *integrate_item(const struct pkg_config *c, const char *name) {
        char app[PATH_MAX], desktop[PATH_MAX];
        _cleanup_free_ char *text = NULL, *summary = NULL, *version = NULL;
        struct stat st;
        paths(c, name, app, desktop);
        if (!pkg_name_valid(name) || stat(app, &st) < 0)
                return NULL;
        if (read_file(desktop, &text, NULL) >= 0) {
                summary = desktop_get(text, "Comment");
                version = desktop_get(text, "X-AppImage-Version");
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "id", json_object_new_string(name));
        json_object_object_add(o, "version", json_object_new_string(version ? version : ""));
        json_object_object_add(o, "summary", json_object_new_string(summary ? summary : ""));
        json_object_object_add(o, "source", json_object_new_string("appimage"));
        json_object_object_add(o, "download_size", json_object_new_int64(0));
        json_object_object_add(o, "installed_size", json_object_new_int64((int64_t)st.st_size));
        json_object_object_add(o, "installed", json_object_new_boolean(true));
        return o;
}

json_object *integrate_list(const struct pkg_config *c, const char *text) {
        json_object *all = json_object_new_array();
        DIR *d = opendir(c->appimage_dir);
        for (struct dirent *e; d && (e = readdir(d));) {
                char name[PKG_NAME_MAX + 1];
                if (e->d_name[0] == '.' || !endswith(e->d_name, ".AppImage") ||
                    integrate_name(e->d_name, name, sizeof name) < 0)
                        continue;
                json_object *item = integrate_item(c, name);
                const char *summary = json_object_get_string(json_object_object_get(item, "summary"));
                if (item && (!text || strcasestr(name, text) || (summary && strcasestr(summary, text))))
                        json_object_array_add(all, item);
                else
                        json_object_put(item);
        }
        if (d)
                closedir(d);
        return all;
}

static int unlink_if(const char *path) {
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int integrate_remove(const struct pkg_config *c, const char *name, char *error, size_t size) {
        char app[PATH_MAX], desktop[PATH_MAX], icon[PATH_MAX];
        const char *ext[] = { "png", "svg" };
        paths(c, name, app, desktop);
        if (access(app, F_OK) < 0) {
                snprintf(error, size, "no AppImage named %s is installed in %s", name, c->appimage_dir);
                return -ENOENT;
        }
        int r = unlink_if(desktop);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(ext); i++) {
                snprintf(icon, sizeof icon, "%s/koompi-appimage-%s.%s", c->icon_dir, name, ext[i]);
                r = unlink_if(icon);
        }
        if (r >= 0)
                r = unlink_if(app);
        if (r < 0)
                snprintf(error, size, "removing %s failed: %s", name, strerror(-r));
        return r;
}
