/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "chanstate.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "manifest.h"
#include "util.h"

static int state_path(const char *state_dir, const char *channel, char *buf, size_t size) {
        if (!update_name_valid(channel))
                return -EINVAL;
        if (snprintf(buf, size, "%s/update/%s.state", state_dir, channel) >= (int)size)
                return -ENAMETOOLONG;
        return 0;
}

static int make_update_dir(const char *state_dir) {
        char dir[PATH_MAX];
        if (snprintf(dir, sizeof dir, "%s/update", state_dir) >= (int)sizeof dir)
                return -ENAMETOOLONG;
        return mkdir_p(dir, 0755);
}

int update_state_load(const char *state_dir, const char *channel, struct channel_state *ret) {
        struct channel_state s = { 0 };
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        int n = 0;
        int r = state_path(state_dir, channel, path, sizeof path);
        if (r >= 0)
                r = read_file(path, &text, NULL);
        if (r < 0)
                return r;
        if (sscanf(text, "serial=%" SCNu64 "\nissued=%" SCNd64 "\nversion=%64[^\n]\nsha256=%64[0-9a-f]\n%n",
                   &s.serial, &s.issued, s.version, s.sha256, &n) != 4 ||
            text[n] != '\0' || s.serial == 0)
                return -EBADMSG;
        *ret = s;
        return 0;
}

int update_state_save(const char *state_dir, const char *channel, const struct channel_state *s) {
        char path[PATH_MAX], text[256];
        int r = state_path(state_dir, channel, path, sizeof path);
        if (r < 0)
                return r;
        if (!s->version[0] || strchr(s->version, '\n') || strlen(s->sha256) != 64 ||
            s->sha256[strspn(s->sha256, "0123456789abcdef")])
                return -EINVAL;
        r = make_update_dir(state_dir);
        if (r < 0)
                return r;
        int len =
                snprintf(text, sizeof text, "serial=%" PRIu64 "\nissued=%" PRId64 "\nversion=%s\nsha256=%s\n",
                         s->serial, s->issued, s->version, s->sha256);
        return write_file_atomic(path, text, (size_t)len, 0644);
}

static void approved_path(const char *state_dir, char *buf, size_t size) {
        snprintf(buf, size, "%s/update/approved", state_dir);
}

bool update_approved(const char *state_dir, const char *version) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        approved_path(state_dir, path, sizeof path);
        if (read_file(path, &text, NULL) < 0)
                return false;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (streq(line, version))
                        return true;
        return false;
}

int update_approve(const char *state_dir, const char *version) {
        _cleanup_free_ char *text = NULL, *grown = NULL;
        char path[PATH_MAX];
        if (!update_version_valid(version))
                return -EINVAL;
        if (update_approved(state_dir, version))
                return 0;
        int r = make_update_dir(state_dir);
        if (r < 0)
                return r;
        approved_path(state_dir, path, sizeof path);
        r = read_file(path, &text, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        if (asprintf(&grown, "%s%s\n", text ? text : "", version) < 0)
                return -ENOMEM;
        return write_file_atomic(path, grown, strlen(grown), 0644);
}
