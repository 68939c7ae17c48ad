/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pacparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgargs.h"
#include "util.h"

int pacman_parse_size(const char *text, uint64_t *ret) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        char *end;
        double n = strtod(text, &end);
        if (end == text || n < 0)
                return -EINVAL;
        end += strspn(end, " ");
        double mult = 1;
        for (size_t i = 0; i < ELEMENTSOF(units); i++, mult *= 1024)
                if (streq(end, units[i])) {
                        *ret = (uint64_t)(n * mult + 0.5);
                        return 0;
                }
        return -EINVAL;
}

static json_object *item(const char *name, const char *version, const char *summary, bool installed) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "id", json_object_new_string(name));
        json_object_object_add(o, "version", json_object_new_string(version));
        json_object_object_add(o, "summary", json_object_new_string(summary));
        json_object_object_add(o, "source", json_object_new_string("pacman"));
        json_object_object_add(o, "download_size", json_object_new_int64(0));
        json_object_object_add(o, "installed", json_object_new_boolean(installed));
        return o;
}

/* "Key    : value" lines of the first package (up to the first blank line). */
static void field(const char *text, const char *key, char *buf, size_t size) {
        size_t klen = strlen(key);
        buf[0] = '\0';
        for (const char *p = text; p && *p && *p != '\n';) {
                size_t len = strcspn(p, "\n");
                if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
                        const char *colon = memchr(p, ':', len);
                        if (colon) {
                                const char *v = colon + 1 + strspn(colon + 1, " ");
                                snprintf(buf, size, "%.*s", (int)(p + len - v), v);
                        }
                        return;
                }
                p += len + (p[len] == '\n');
        }
}

int pacman_parse_info(const char *text, bool installed, json_object **ret) {
        char name[256], version[128], desc[512], dl[64], inst[64];
        uint64_t dl_bytes = 0, inst_bytes = 0;
        field(text, "Name", name, sizeof name);
        field(text, "Version", version, sizeof version);
        field(text, "Description", desc, sizeof desc);
        field(text, "Download Size", dl, sizeof dl);
        field(text, "Installed Size", inst, sizeof inst);
        if (!pkg_name_valid(name) || !version[0])
                return -EBADMSG;
        (void)pacman_parse_size(dl, &dl_bytes);
        (void)pacman_parse_size(inst, &inst_bytes);
        json_object *o = item(name, version, desc, installed);
        json_object_object_add(o, "download_size", json_object_new_int64((int64_t)dl_bytes));
        json_object_object_add(o, "installed_size", json_object_new_int64((int64_t)inst_bytes));
        *ret = o;
        return 0;
}

json_object *pacman_parse_search(const char *text) {
        json_object *all = json_object_new_array();
        char name[256], version[128], rest[64];
        for (const char *p = text; p && *p;) {
                size_t len = strcspn(p, "\n");
                const char *slash = memchr(p, '/', len), *next = p + len + (p[len] == '\n');
                size_t dlen = strcspn(next, "\n");
                rest[0] = '\0';
                if (*p != ' ' && slash &&
                    sscanf(slash + 1, "%255s %127s %63[^\n]", name, version, rest) >= 2 &&
                    pkg_name_valid(name) && *next == ' ') {
                        const char *d = next + strspn(next, " ");
                        char desc[512];
                        snprintf(desc, sizeof desc, "%.*s", (int)(next + dlen - d), d);
                        json_object_array_add(all,
                                              item(name, version, desc, strstr(rest, "[installed") != NULL));
                        next += dlen + (next[dlen] == '\n');
                }
                p = next;
        }
        return all;
}

json_object *pacman_parse_query(const char *text) {
        json_object *all = json_object_new_array();
        char name[256], version[128];
        for (const char *p = text; p && *p;) {
                size_t len = strcspn(p, "\n");
                char line[512];
                snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
                if (sscanf(line, "%255s %127s", name, version) == 2 && pkg_name_valid(name))
                        json_object_array_add(all, item(name, version, "", true));
                p += len + (p[len] == '\n');
        }
        return all;
}
