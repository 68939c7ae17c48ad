/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The steps of an AppImage's install: fetched or copied beside where it is kept, checked,
 * its .desktop and icon read out of its payload by an unprivileged unsquashfs, then put in
 * place; anything made is removed when a step fails. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "appimage.h"
#include "desktop.h"
#include "integrate.h"
#include "pkgargs.h"
#include "pkgpriv.h"
#include "util.h"
#include "workerline.h"

#define ICON_MAX (4 * 1024 * 1024)
#define FETCH_SECONDS 1800
#define EXTRACT_SECONDS 120

struct stage {
        const struct pkg_config *c;
        char name[PKG_NAME_MAX + 1];
        char copy[PATH_MAX]; /* the AppImage beside its place, until renamed into it */
        char download[PATH_MAX]; /* a URL's folder, the fetching user's */
        char extract[PATH_MAX]; /* the payload's files, the extracting user's */
        char desktop[PATH_MAX], icon[PATH_MAX]; /* written, removed on failure */
        char *error;
        size_t size;
};

static int fail(struct stage *s, int r, const char *what) {
        snprintf(s->error, s->size, "%s: %s (%s)", s->name, what, strerror(-r));
        return r;
}

/* As fail(), but a full disk is named as such, with the folder that has no room: the user's
 * next step is to free space there, not to retry. */
static int fail_in(struct stage *s, int r, const char *dir, const char *what) {
        if (r != -ENOSPC && r != -EDQUOT)
                return fail(s, r, what);
        snprintf(s->error, s->size, "%s: the disk is full: no room in %s (%s: %s)", s->name, dir, what,
                 strerror(-r));
        return r;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
        return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(char *dir) {
        if (dir[0])
                nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        dir[0] = '\0';
}

/* A folder under the AppImages' one that [packages] user may write. */
static int user_dir(struct stage *s, const char *kind, char *dir) {
        uid_t uid;
        gid_t gid;
        snprintf(dir, PATH_MAX, "%s/.%s-XXXXXX", s->c->appimage_dir, kind);
        if (pkg_user_ids(s->c->user, &uid, &gid) < 0)
                return -ESRCH;
        if (!mkdtemp(dir)) {
                dir[0] = '\0';
                return -errno;
        }
        if (geteuid() == 0 && chown(dir, uid, gid) < 0)
                return -errno;
        return 0;
}

static int fetch(struct stage *s, const char *url, char *path) {
        int r = user_dir(s, "download", s->download);
        if (r < 0)
                return fail_in(s, r, s->c->appimage_dir, "no folder to download into");
        snprintf(path, PATH_MAX, "%.4000s/download", s->download);
        char *argv[] = { (char *)"/usr/bin/curl",
                         (char *)"-fsSL",
                         (char *)"--proto",
                         (char *)"=https,http",
                         (char *)"-o",
                         path,
                         (char *)"--",
                         (char *)url,
                         NULL };
        workerline_progress(stdout, 1, 4, "downloading");
        r = pkg_run_as(s->c->user, argv, FETCH_SECONDS);
        if (r != 0)
                return fail(s, r < 0 ? r : -EIO,
                            "the download failed (is the network up? is the URL right?)");
        return 0;
}

/* Copies the file at path next to its place. */
static int copy_in(struct stage *s, const char *path, bool ours, uint64_t *ret_offset) {
        struct stat st;
        _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (in < 0 || fstat(in, &st) < 0)
                return fail(s, -errno, path);
        if (!S_ISREG(st.st_mode) || (!ours && !(st.st_mode & S_IROTH)))
                return fail(s, -EPERM, "not a regular file readable by everyone");
        snprintf(s->copy, sizeof s->copy, "%s/.%s.AppImage-XXXXXX", s->c->appimage_dir, s->name);
        _cleanup_close_ int out = mkostemp(s->copy, O_CLOEXEC);
        if (out < 0) {
                s->copy[0] = '\0';
                return fail_in(s, -errno, s->c->appimage_dir, "no room for the copy");
        }
        for (off_t done = 0; done < st.st_size;) {
                ssize_t n = sendfile(out, in, NULL, (size_t)(st.st_size - done));
                if (n <= 0)
                        return fail_in(s, n < 0 ? -errno : -EIO, s->c->appimage_dir, "copying failed");
                done += n;
        }
        if (fchmod(out, 0755) < 0 || fsync(out) < 0)
                return fail_in(s, -errno, s->c->appimage_dir, "copying failed");
        struct appimage_info info;
        int r = appimage_detect_fd(out, &info);
        if (r == -EPROTONOSUPPORT)
                return fail(s, r, "a type-1 AppImage, which is not supported");
        if (r < 0)
                return fail(s, r, "not a type-2 AppImage");
        *ret_offset = info.payload_offset;
        return 0;
}

/* The payload's top-level .desktop files and icons, by unsquashfs as [packages] user. */
static int extract(struct stage *s, uint64_t offset) {
        char off[32], dest[PATH_MAX + 8];
        int r = user_dir(s, "extract", s->extract);
        if (r < 0)
                return fail_in(s, r, s->c->appimage_dir, "no folder to read the payload into");
        snprintf(off, sizeof off, "%llu", (unsigned long long)offset);
        snprintf(dest, sizeof dest, "%s/root", s->extract);
        char *argv[] = { (char *)"/usr/bin/unsquashfs",
                         (char *)"-o",
                         off,
                         (char *)"-n",
                         (char *)"-no-xattrs",
                         (char *)"-d",
                         dest,
                         s->copy,
                         (char *)"*.desktop",
                         (char *)".DirIcon",
                         (char *)"*.png",
                         (char *)"*.svg",
                         NULL };
        workerline_progress(stdout, 2, 4, "reading the .desktop entry and the icon");
        r = pkg_run_as(s->c->user, argv, EXTRACT_SECONDS);
        if (r != 0)
                return fail(s, r < 0 ? r : -EBADMSG, "its payload could not be read (unsquashfs failed)");
        return 0;
}

/* A regular file of the payload (no symlink is followed), at most max bytes. */
static int read_payload(struct stage *s, const char *name, size_t max, char **ret, size_t *ret_len) {
        char path[PATH_MAX * 2];
        struct stat st;
        snprintf(path, sizeof path, "%s/root/%s", s->extract, name);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max)
                return -EFBIG;
        char *buf = xmalloc((size_t)st.st_size + 1);
        ssize_t n = read(fd, buf, (size_t)st.st_size);
        if (n != st.st_size) {
                free(buf);
                return -EIO;
        }
        buf[n] = '\0';
        *ret = buf;
        *ret_len = (size_t)n;
        return 0;
}

/* The first top-level .desktop file's name. */
static int find_desktop(struct stage *s, char *buf, size_t size) {
        char root[PATH_MAX + 8];
        snprintf(root, sizeof root, "%s/root", s->extract);
        DIR *d = opendir(root);
        int r = -ENOENT;
        for (struct dirent *e; d && r < 0 && (e = readdir(d));)
                if (endswith(e->d_name, ".desktop") && e->d_type == DT_REG && strlen(e->d_name) < size) {
                        snprintf(buf, size, "%s", e->d_name);
                        r = 0;
                }
        if (d)
                closedir(d);
        return r;
}

/* The icon the .desktop names (NAME.png or NAME.svg), else .DirIcon (a PNG). */
static int place_icon(struct stage *s, const char *desktop_text) {
        _cleanup_free_ char *icon = desktop_get(desktop_text, "Icon"), *data = NULL;
        const char *ext[] = { "png", "svg" };
        char name[300];
        size_t len;
        int r = -ENOENT;
        for (size_t i = 0; r < 0 && icon && !strchr(icon, '/') && i < ELEMENTSOF(ext); i++) {
                snprintf(name, sizeof name, "%.250s.%s", icon, ext[i]);
                r = read_payload(s, name, ICON_MAX, &data, &len);
                if (r == 0)
                        snprintf(s->icon, sizeof s->icon, "%s/koompi-appimage-%s.%s", s->c->icon_dir, s->name,
                                 ext[i]);
        }
        if (r < 0 && read_payload(s, ".DirIcon", ICON_MAX, &data, &len) == 0) {
                snprintf(s->icon, sizeof s->icon, "%s/koompi-appimage-%s.png", s->c->icon_dir, s->name);
                r = 0;
        }
        if (r < 0)
                return 0; /* no icon: the entry keeps its own Icon= */
        r = write_file_atomic(s->icon, data, len, 0644);
        if (r < 0)
                s->icon[0] = '\0';
        return r < 0 ? fail_in(s, r, s->c->icon_dir, "the icon could not be written") : 0;
}

static int place_desktop(struct stage *s, const char *app) {
        _cleanup_free_ char *text = NULL, *out = NULL;
        char name[256];
        size_t len;
        int r = find_desktop(s, name, sizeof name);
        if (r >= 0)
                r = read_payload(s, name, DESKTOP_MAX, &text, &len);
        if (r < 0)
                return fail(s, r == -ENOENT ? -EBADMSG : r, "its payload holds no .desktop entry");
        r = place_icon(s, text);
        if (r < 0)
                return r;
        if (desktop_rewrite(text, app, s->icon[0] ? s->icon : NULL, &out) < 0)
                return fail(s, -EBADMSG, "its .desktop entry has no Exec=");
        snprintf(s->desktop, sizeof s->desktop, "%s/koompi-appimage-%s.desktop", s->c->desktop_dir, s->name);
        r = write_file_atomic(s->desktop, out, strlen(out), 0644);
        if (r < 0)
                s->desktop[0] = '\0';
        return r < 0 ? fail_in(s, r, s->c->desktop_dir, "the .desktop entry could not be written") : 0;
}

static void undo(struct stage *s, int r) {
        remove_tree(s->download);
        remove_tree(s->extract);
        if (r < 0) {
                const char *made[] = { s->copy, s->desktop, s->icon };
                for (size_t i = 0; i < ELEMENTSOF(made); i++)
                        if (made[i][0])
                                unlink(made[i]);
        }
}

static int make_dirs(struct stage *s) {
        const char *dirs[] = { s->c->appimage_dir, s->c->desktop_dir, s->c->icon_dir };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                int r = mkdir_p(dirs[i], 0755);
                if (r < 0)
                        return fail(s, r, dirs[i]);
        }
        return 0;
}

int integrate_install(const struct pkg_config *c, const char *target, char *ret_name, size_t name_size,
                      char *error, size_t size) {
        struct stage s = { .c = c, .error = error, .size = size };
        char app[PATH_MAX], from[PATH_MAX];
        uint64_t offset = 0;
        bool url = strstr(target, "://");
        if (integrate_name(target, s.name, sizeof s.name) < 0) {
                snprintf(error, size, "no app name can be made of %.200s", target);
                return -EINVAL;
        }
        snprintf(app, sizeof app, "%s/%s.AppImage", c->appimage_dir, s.name);
        snprintf(from, sizeof from, "%s", target);
        int r = make_dirs(&s);
        if (r >= 0 && url)
                r = fetch(&s, target, from);
        if (r >= 0)
                r = copy_in(&s, from, url, &offset);
        if (r >= 0)
                r = extract(&s, offset);
        if (r >= 0)
                r = place_desktop(&s, app);
        if (r >= 0 && rename(s.copy, app) < 0)
                r = fail(&s, -errno, "it could not be put in place");
        workerline_progress(stdout, 4, 4, r >= 0 ? "integrated" : "failed: undone");
        undo(&s, r);
        if (r >= 0)
                snprintf(ret_name, name_size, "%s", s.name);
        return r;
}
