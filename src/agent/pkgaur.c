/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgaur.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pkgboot.h"
#include "pkgkeep.h"
#include "pkglist.h"
#include "pkgplan.h"
#include "rootpacman.h"
#include "sandbox.h"
#include "strv.h"
#include "util.h"

#define BUILD_PARENT "/run/koompi"

static int remove_tree(const char *dir) {
        char *argv[] = { (char *)"/bin/rm", (char *)"-rf", (char *)"--", (char *)dir, NULL };
        pid_t pid = fork();
        if (pid == 0) {
                execv(argv[0], argv);
                _exit(127);
        }
        return pid < 0 ? -errno : waitpid(pid, NULL, 0) < 0 ? -errno : 0;
}

/* The folder the build writes to, owned by the build's user. */
static int make_build_dir(const struct pkgjob *j, char *dir, size_t size) {
        struct passwd *pw = getpwnam(j->conf->packages.user);
        snprintf(dir, size, BUILD_PARENT "/aur-XXXXXX");
        if (!pw)
                return -ESRCH;
        if (mkdir_p(BUILD_PARENT, 0755) < 0 || !mkdtemp(dir))
                return -errno;
        if (chown(dir, pw->pw_uid, pw->pw_gid) < 0 || chmod(dir, 0755) < 0) {
                int r = -errno;
                remove_tree(dir);
                return r;
        }
        return 0;
}

/* The files the build named, each checked to be right in dir. 0 or -EBADMSG. */
static int built_files(json_object *built, const char *dir, char ***ret) {
        json_object *files = json_object_object_get(built, "files");
        char **paths = NULL;
        for (size_t i = 0; i < json_object_array_length(files); i++) {
                const char *file = json_object_get_string(json_object_array_get_idx(files, i)),
                           *rest = file ? startswith(file, dir) : NULL;
                if (!rest || rest[0] != '/' || strchr(rest + 1, '/') || strv_extend(&paths, file) < 0) {
                        strv_free(paths);
                        return -EBADMSG;
                }
        }
        if (!paths)
                return -EBADMSG;
        *ret = paths;
        return 0;
}

/* "pacman --config CONF -U --noconfirm -- FILE...", the files where the command's sandbox
 * shows the kept folder. */
static char *install_command(const struct pkgjob *j, char *const *paths) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        if (!f)
                abort();
        fprintf(f, "--config %s -U --noconfirm --", j->conf->packages.pacman_conf);
        for (char *const *p = paths; *p; p++)
                fprintf(f, " " SANDBOX_CACHE_DIR "/%s", strrchr(*p, '/') + 1);
        fclose(f);
        char *cmd = root_pacman_command(s);
        free(s);
        return cmd;
}

/* The built files copied out of the build's reach into root's kept folder, their SHA-256
 * taken then; the install reads those copies. */
static int keep_built(const struct pkgjob *j, const char *name, json_object *built, const char *dir,
                      char **ret_command, char *error, size_t size) {
        char **paths = NULL;
        int r = built_files(built, dir, &paths);
        if (r < 0) {
                snprintf(error, size, "aur: the build of %s named files outside its folder", name);
                return r;
        }
        r = pkgkeep_stage(j->state_dir, name, paths);
        if (r < 0)
                snprintf(error, size, "aur: the built files of %s could not be kept in %s/packages/aur: %s",
                         name, j->state_dir,
                         r == -EINVAL ? "a file name that is no package file's" : strerror(-r));
        else
                *ret_command = install_command(j, paths);
        strv_free(paths);
        return r;
}

static void remember(const struct pkgjob *j, json_object *plan, const char *name) {
        char path[PATH_MAX];
        json_object *facts = json_object_object_get(plan, "facts"),
                    *m = json_object_object_get(facts, "maintainer");
        char *names[] = { (char *)name, NULL };
        snprintf(path, sizeof path, "%s/packages/aur.list", j->state_dir);
        (void)pkglist_update(path, names, NULL);
        snprintf(path, sizeof path, "%s/packages/aur", j->state_dir);
        if (!m || mkdir_p(path, 0755) < 0)
                return;
        snprintf(path, sizeof path, "%s/packages/aur/%s.maintainer", j->state_dir, name);
        (void)write_file_atomic(path, json_object_get_string(m), (size_t)json_object_get_string_len(m), 0644);
}

int pkgexec_aur_install(const struct pkgjob *j, struct pkgjob_out *o, json_object *plan, char *error,
                        size_t size) {
        const char *name = json_object_get_string(json_object_object_get(plan, "name"));
        char dir[PATH_MAX], kept[PATH_MAX];
        json_object *built = NULL;
        _cleanup_free_ char *command = NULL;
        int r = make_build_dir(j, dir, sizeof dir);
        if (r < 0) {
                snprintf(error, size, "aur: no folder to build %s in (%s)", name, strerror(-r));
                return r;
        }
        pkgout_progress(o, "aur: building %s as %s", name, j->conf->packages.user);
        r = pkgplan_worker_out(j, o, PKG_AUR, "build", name, dir, &built, error, size);
        if (r >= 0)
                r = keep_built(j, name, built, dir, &command, error, size);
        if (r >= 0)
                r = pkgkeep_dir(j->state_dir, name, ".new", kept, sizeof kept);
        if (r >= 0)
                r = pkgboot_update(j, o, "--run", command, kept, error, size);
        if (r >= 0 && pkgkeep_commit(j->state_dir, name) < 0)
                pkgout_progress(o, "aur: the built files of %s could not be kept for the next release", name);
        if (r >= 0)
                remember(j, plan, name);
        else
                (void)pkgkeep_remove(j->state_dir, name, ".new");
        json_object_put(built);
        remove_tree(dir);
        return r;
}
