/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "rootpacman.h"
#include "srcinfo.h"
#include "strv.h"
#include "workerline.h"
#include "util.h"

#define PKGBUILD_MAX (256 * 1024)
#define CAPTURE_MAX (256 * 1024)
static const char *const work_dirs[] = { "home", "pkg", "build", "src", "out", "srcpkg", "log" };

int aur_work_new(const char *user, char **ret, char *why) {
        char *work = strdup_or_die("/var/tmp/koompi-aur.XXXXXX");
        struct passwd *pw = geteuid() == 0 ? getpwnam(user) : NULL;
        int r = 0;
        if (geteuid() == 0 && !pw)
                r = -ESRCH;
        else if (!mkdtemp(work))
                r = -errno;
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(work_dirs); i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", work, work_dirs[i]) < 0 || mkdir(p, 0700) < 0 ||
                    (pw && chown(p, pw->pw_uid, pw->pw_gid) < 0))
                        r = -EIO;
        }
        if (r == 0 && pw && chown(work, pw->pw_uid, pw->pw_gid) < 0)
                r = -errno;
        if (r < 0) {
                snprintf(why, WORKER_WHY_MAX,
                         "a build directory under /var/tmp could not be made for the user '%s': %s", user,
                         strerror(-r));
                if (r != -ESRCH && !streq(work, "/var/tmp/koompi-aur.XXXXXX"))
                        aur_work_remove(work);
                free(work);
                return r;
        }
        *ret = work;
        return 0;
}

/* Removes name in dirfd and all below it; symbolic links are removed, not followed. */
static void remove_at(int parent, const char *name) {
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
                DIR *d = fdopendir(fd);
                struct dirent *e;
                if (!d) {
                        close(fd);
                        return;
                }
                while ((e = readdir(d)))
                        if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
                                remove_at(dirfd(d), e->d_name);
                closedir(d);
                (void)unlinkat(parent, name, AT_REMOVEDIR);
                return;
        }
        (void)unlinkat(parent, name, 0);
}

void aur_work_remove(const char *work) {
        remove_at(AT_FDCWD, work);
}

/* The whole environment of git and makepkg: the throw-away tree's places, nothing of ours. */
struct work_env {
        char *strings[12];
};

static void work_env_make(struct work_env *e, const char *work) {
        static const char *const places[][2] = {
                { "HOME", "home" },
                { "BUILDDIR", "build" },
                { "SRCDEST", "src" },
                { "PKGDEST", "out" },
                { "SRCPKGDEST", "srcpkg" },
                { "LOGDEST", "log" },
                { "GNUPGHOME", "home/.gnupg" },
        };
        size_t n = 0;
        for (; n < ELEMENTSOF(places); n++)
                if (asprintf(&e->strings[n], "%s=%s/%s", places[n][0], work, places[n][1]) < 0)
                        e->strings[n] = strdup_or_die("HOME=/nonexistent");
        e->strings[n++] = strdup_or_die("PATH=/usr/local/bin:/usr/bin:/bin");
        e->strings[n++] = strdup_or_die("LANG=C.UTF-8");
        e->strings[n++] = strdup_or_die("GIT_TERMINAL_PROMPT=0");
        e->strings[n++] = strdup_or_die("GIT_ALLOW_PROTOCOL=http:https");
        e->strings[n] = NULL;
}

static void work_env_free(struct work_env *e) {
        for (size_t i = 0; e->strings[i]; i++)
                free(e->strings[i]);
}

int aur_clone(const char *work, const char *url, const struct aur_child *c, char *why) {
        struct work_env env;
        _cleanup_free_ char *dest = NULL;
        if (asprintf(&dest, "%s/pkg", work) < 0)
                return -ENOMEM;
        const char *argv[] = { "/usr/bin/git",
                               "-c",
                               "http.lowSpeedLimit=1000",
                               "-c",
                               "http.lowSpeedTime=30",
                               "-c",
                               "core.hooksPath=/dev/null",
                               "clone",
                               "--quiet",
                               "--no-tags",
                               "--",
                               (char *)url,
                               dest,
                               NULL };
        work_env_make(&env, work);
        struct aur_exec e = { argv, env.strings, work, NULL };
        int r = aur_child_run(c, aur_exec_fn, &e);
        work_env_free(&env);
        if (r == 0)
                return 0;
        snprintf(why, WORKER_WHY_MAX,
                 "the PKGBUILD's git repository %s could not be cloned (%s): check the network "
                 "and [packages] aur_url",
                 url, r == -ETIME ? "it took too long" : "git failed");
        return -EIO;
}

int aur_read_pkgbuild(const char *work, char **ret, char *why) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/pkg/PKGBUILD", work) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        int r = fd < 0 ? -errno : fstat(fd, &st) < 0 ? -errno : 0;
        if (r == 0 && !S_ISREG(st.st_mode))
                r = -EBADMSG;
        else if (r == 0 && st.st_size > PKGBUILD_MAX)
                r = -EFBIG;
        char *text = r == 0 ? xmalloc((size_t)st.st_size + 1) : NULL;
        ssize_t n = text ? read(fd, text, (size_t)st.st_size) : 0;
        if (text && (n != st.st_size || memchr(text, '\0', (size_t)n)))
                r = n < 0 ? -errno : -EBADMSG;
        if (r < 0) {
                free(text);
                snprintf(why, WORKER_WHY_MAX, "the package's repository has no usable PKGBUILD (%s)",
                         r == -ELOOP ? "it is a symbolic link" : strerror(-r));
                return r == -ELOOP ? -EBADMSG : r;
        }
        text[n] = '\0';
        *ret = text;
        return 0;
}

/* What makepkg's exit status says (its E_* codes). */
static const char *makepkg_failure(int status) {
        switch (status) {
        case 4:
                return "a function of the PKGBUILD (prepare, build or check) failed";
        case 5:
                return "its package() failed";
        case 8:
        case 15:
                return "a dependency it needs to build is missing";
        case 12:
                return "the PKGBUILD is not valid";
        case 1:
                return "the sources could not be downloaded or verified";
        default:
                return "makepkg failed";
        }
}

int aur_makepkg(const char *work, const struct aur_child *c, int fetch_only, char *why) {
        struct work_env env;
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/pkg", work) < 0)
                return -ENOMEM;
        const char *argv[] = { "/usr/bin/makepkg",
                               "--nodeps",
                               "--noconfirm",
                               "--nocolor",
                               "--noprogressbar",
                               fetch_only ? "--verifysource" : "--holdver",
                               NULL };
        work_env_make(&env, work);
        struct aur_exec e = { argv, env.strings, dir, NULL };
        int r = aur_child_run(c, aur_exec_fn, &e);
        work_env_free(&env);
        if (r == 0)
                return 0;
        if (r == -ETIME)
                snprintf(why, WORKER_WHY_MAX, "makepkg ran longer than %u s and was stopped", c->timeout_s);
        else
                snprintf(
                        why, WORKER_WHY_MAX,
                        "makepkg could not %s the package: %s (exit status %d); its output is in the journal",
                        fetch_only ? "fetch the sources of" : "build", makepkg_failure(r), r);
        return r == -ETIME ? -ETIME : -ECHILD;
}

/* argv run in work/pkg with the tree's environment, its output (at most CAPTURE_MAX bytes) in
 * *ret (free it). Its exit status, or a negative errno (nothing in *ret). */
static int run_captured(const char *work, const struct aur_child *c, const char *const *argv, char **ret) {
        struct work_env env;
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int out = memfd_create("koompi-aur-out", MFD_CLOEXEC);
        if (out < 0)
                return -errno;
        if (asprintf(&dir, "%s/pkg", work) < 0)
                return -ENOMEM;
        work_env_make(&env, work);
        struct aur_exec e = { argv, env.strings, dir, &out };
        int r = aur_child_run(c, aur_exec_fn, &e);
        work_env_free(&env);
        char *text = r < 0 ? NULL : xmalloc(CAPTURE_MAX + 1);
        ssize_t n = text ? pread(out, text, CAPTURE_MAX, 0) : 0;
        if (text && n < 0) {
                free(text);
                return -errno;
        }
        if (text) {
                text[n] = '\0';
                *ret = text;
        }
        return r;
}

/* The PKGBUILD's build needs by its .SRCINFO (makepkg --printsrcinfo). */
static int build_deps(const char *work, const struct aur_child *c, char ***ret) {
        const char *argv[] = { "/usr/bin/makepkg", "--printsrcinfo", NULL };
        _cleanup_free_ char *srcinfo = NULL;
        struct utsname u;
        int r = run_captured(work, c, argv, &srcinfo);
        if (r != 0)
                return r < 0 ? r : -EBADMSG;
        if (uname(&u) < 0)
                return -errno;
        *ret = srcinfo_build_deps(srcinfo, u.machine);
        return 0;
}

int aur_missing_build_deps(const char *work, const struct aur_child *c, char ***ret) {
        char **deps = NULL, **missing = NULL, dbpath[PATH_MAX];
        _cleanup_free_ char *out = NULL;
        int r = build_deps(work, c, &deps);
        if (r >= 0 && deps)
                r = root_pacman_dbpath("/", dbpath, sizeof dbpath);
        if (r >= 0 && deps) {
                /* pacman -T prints each dependency not satisfied, and exits 127 when there is one. */
                const char *head[] = { "/usr/bin/pacman", "--dbpath", dbpath, "-T" };
                const char **argv = xmalloc((ELEMENTSOF(head) + strv_length(deps) + 1) * sizeof *argv);
                memcpy(argv, head, sizeof head);
                memcpy(argv + ELEMENTSOF(head), deps, (strv_length(deps) + 1) * sizeof *argv);
                r = run_captured(work, c, argv, &out);
                free(argv);
                for (char *p = out; r == 127 && *p; p++)
                        if (*p == '\n')
                                *p = ' ';
                if (r == 127)
                        missing = strv_split(out);
                r = r == 0 || r == 127 ? 0 : r < 0 ? r : -EIO;
        }
        strv_free(deps);
        if (r < 0) {
                strv_free(missing);
                return r;
        }
        if (missing && !*missing) {
                strv_free(missing);
                missing = NULL;
        }
        *ret = missing;
        return 0;
}
