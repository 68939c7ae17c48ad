/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgargs.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool pkg_name_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > PKG_NAME_MAX || !is_alnum(s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && !strchr("@._+-", s[i]))
                        return false;
        return true;
}

/* Printable ASCII, spaces allowed or not. */
static bool printable(const char *s, bool spaces) {
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || (!spaces && *s == ' '))
                        return false;
        return true;
}

bool pkg_search_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;
        return n > 0 && n <= PKG_SEARCH_MAX && s[0] != '-' && printable(s, true);
}

static bool file_valid(const char *s) {
        size_t n = strlen(s);
        return n < 4096 && printable(s, true) && !strstr(s, "/../") && !endswith(s, "/..") && n > 9 &&
                strcasecmp(s + n - 9, ".AppImage") == 0;
}

static bool url_valid(const char *s) {
        const char *rest = startswith(s, "https://");
        if (!rest)
                rest = startswith(s, "http://");
        return rest && *rest && *rest != '/' && strlen(s) <= PKG_URL_MAX && printable(s, false);
}

int pkg_target_parse(const char *arg, enum pkg_target *ret) {
        if (!arg)
                return -EINVAL;
        if (arg[0] == '/') {
                if (!file_valid(arg))
                        return -EINVAL;
                *ret = PKG_TARGET_FILE;
                return 0;
        }
        if (strstr(arg, "://")) {
                if (!url_valid(arg))
                        return -EINVAL;
                *ret = PKG_TARGET_URL;
                return 0;
        }
        if (!pkg_name_valid(arg))
                return -EINVAL;
        *ret = PKG_TARGET_NAME;
        return 0;
}
