/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resolution against the installed kernel's modules, compared with what modprobe says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "modules.h"
#include "testlib.h"
#include "util.h"

static char kver[256];
static char moddir[300];
static struct kmod_ctx *ctx;

static int setup(void **state) {
        tl_log_quiet("test-modules");
        if (tl_find_kernel(kver, sizeof kver) < 0) {
                fprintf(stderr, "no kernel with modules in /lib/modules\n");
                return -1;
        }
        snprintf(moddir, sizeof moddir, "/lib/modules/%s", kver);
        return modules_ctx_new(moddir, &ctx) < 0 ? -1 : 0;
}

static int teardown(void **state) {
        ctx = modules_ctx_free(ctx);
        return 0;
}

/* The files `modprobe --show-depends` would insert: its "insmod PATH [options]" lines.
 * "builtin NAME" lines are counted in *ret_builtin. */
static void modprobe_set(const char *name, struct tl_set *out, unsigned *ret_builtin) {
        char cmd[512], line[PATH_MAX + 64];
        snprintf(cmd, sizeof cmd, "modprobe --show-depends -S '%s' '%s' 2>/dev/null", kver, name);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        unsigned builtin = 0;
        while (fgets(line, sizeof line, f)) {
                const char *p = startswith(line, "insmod ");
                if (startswith(line, "builtin "))
                        builtin++;
                if (!p)
                        continue;
                char *q = line + strlen("insmod ");
                q[strcspn(q, " \n")] = 0;
                tl_set_add(out, q);
        }
        int status = pclose(f);
        if (ret_builtin)
                *ret_builtin = builtin;
        assert_true(status == 0 || (out->n == 0 && builtin == 0));
}

/* Every module comes after those modules.dep says it needs. */
static void assert_dependencies_first(const struct module_set *s) {
        char path[PATH_MAX];
        _cleanup_free_ char *dep = NULL;
        snprintf(path, sizeof path, "%s/modules.dep", moddir);
        assert_int_equal(read_file(path, &dep, NULL), 0);
        for (size_t i = 0; i < s->n; i++) {
                char key[PATH_MAX];
                snprintf(key, sizeof key, "\n%s:", s->files[i].relpath);
                const char *line = strstr(dep, key);
                if (line)
                        line += strlen(key);
                else if (startswith(dep, key + 1))
                        line = dep + strlen(key + 1);
                if (!line)
                        fail_msg("%s is not in modules.dep", s->files[i].relpath);
                size_t len = strcspn(line, "\n");
                _cleanup_free_ char *deps = strndup(line, len);
                for (char *save = NULL, *t = strtok_r(deps, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
                        bool before = false;
                        for (size_t j = 0; j < i; j++)
                                before = before || streq(s->files[j].relpath, t);
                        if (!before)
                                fail_msg("%s comes before its dependency %s", s->files[i].relpath, t);
                }
        }
}

static void compare_with_modprobe(const char *name) {
        struct module_set s = { 0 };
        struct tl_set mine = { 0 }, theirs = { 0 };
        assert_int_equal(modules_resolve(ctx, name, 0, &s), MODULES_ADDED);
        for (size_t i = 0; i < s.n; i++) {
                tl_set_add(&mine, s.files[i].path);
                char p[PATH_MAX];
                snprintf(p, sizeof p, "%s/%s", moddir, s.files[i].relpath);
                assert_string_equal(p, s.files[i].path);
                assert_true(access(p, R_OK) == 0);
        }
        modprobe_set(name, &theirs, NULL);
        tl_set_assert_equal(&mine, &theirs, name, "resolved", "modprobe");
        assert_dependencies_first(&s);
        tl_set_free(&mine);
        tl_set_free(&theirs);
        module_set_free(&s);
}

static void test_modules_find_dir(void **state) {
        char p[PATH_MAX];
        assert_int_equal(modules_find_dir(kver, p, sizeof p), 0);
        assert_string_equal(p, moddir);
        assert_int_equal(modules_find_dir("6.9-foo", p, sizeof p), -ENOENT);
        assert_string_equal(p, "/lib/modules/6.9-foo");
        assert_int_equal(modules_find_dir("../etc", p, sizeof p), -EINVAL);
        assert_int_equal(modules_find_dir("", p, sizeof p), -EINVAL);
}

static void test_modules_ctx_new(void **state) {
        struct kmod_ctx *c = NULL;
        assert_int_equal(modules_ctx_new("/lib/modules/6.9-foo", &c), -ENOENT);
        assert_int_equal(modules_ctx_new("/etc/passwd", &c), -ENOTDIR);
        assert_null(c);
        assert_int_equal(modules_ctx_new(moddir, &c), 0);
        assert_non_null(c);
        modules_ctx_free(c);
}

static void test_modules_resolve_like_modprobe(void **state) {
        compare_with_modprobe("btrfs");
        compare_with_modprobe("dm-crypt");
        compare_with_modprobe("dm_crypt");
        compare_with_modprobe("xts");
        compare_with_modprobe("virtio_blk");
        compare_with_modprobe("ahci");
        compare_with_modprobe("nvme");
        /* An alias: every module that provides it. */
        compare_with_modprobe("crypto-crc32c");
}

static void test_modules_resolve_accumulates(void **state) {
        struct module_set s = { 0 };
        assert_int_equal(modules_resolve(ctx, "dm-crypt", 0, &s), MODULES_ADDED);
        size_t n = s.n;
        assert_true(n >= 2);
        assert_true(module_set_contains(&s, "dm_mod"));
        assert_true(module_set_contains(&s, "dm_crypt"));
        /* dm_mod comes first. */
        assert_string_equal(s.files[0].name, "dm_mod");
        assert_int_equal(modules_resolve(ctx, "dm_crypt", 0, &s), MODULES_ADDED);
        assert_int_equal(s.n, n);
        assert_int_equal(modules_resolve(ctx, "btrfs", 0, &s), MODULES_ADDED);
        assert_true(s.n > n);
        for (size_t i = 0; i < s.n; i++)
                for (size_t j = i + 1; j < s.n; j++)
                        assert_string_not_equal(s.files[i].name, s.files[j].name);
        assert_dependencies_first(&s);
        module_set_free(&s);
}

/* The first module of modules.builtin, as libkmod names it. */
static void first_builtin(char *ret, size_t size) {
        char p[PATH_MAX];
        _cleanup_free_ char *text = NULL;
        snprintf(p, sizeof p, "%s/modules.builtin", moddir);
        assert_int_equal(read_file(p, &text, NULL), 0);
        text[strcspn(text, "\n")] = 0;
        const char *base = strrchr(text, '/');
        snprintf(ret, size, "%s", base ? base + 1 : text);
        ret[strcspn(ret, ".")] = 0;
        for (char *c = ret; *c; c++)
                if (*c == '-')
                        *c = '_';
}

static void test_modules_builtin(void **state) {
        char name[256];
        struct module_set s = { 0 };
        first_builtin(name, sizeof name);
        assert_int_equal(modules_resolve(ctx, name, 0, &s), MODULES_BUILTIN);
        assert_int_equal(s.n, 0);
        /* modprobe agrees. */
        struct tl_set theirs = { 0 };
        unsigned builtin = 0;
        modprobe_set(name, &theirs, &builtin);
        assert_int_equal(theirs.n, 0);
        assert_int_equal(builtin, 1);
        /* Loading a built-in module is a success that inserts nothing. */
        assert_int_equal(modules_load(ctx, name), 0);
        module_set_free(&s);
}

static void test_modules_unknown(void **state) {
        struct module_set s = { 0 };
        assert_int_equal(modules_resolve(ctx, "no_such_module_xyz", 0, &s), -ENOENT);
        assert_int_equal(modules_resolve(ctx, "no-such-module-xyz", 0, &s), -ENOENT);
        assert_int_equal(s.n, 0);
        assert_int_equal(modules_load(ctx, "no_such_module_xyz"), -ENOENT);
        unsigned loaded = 7;
        assert_int_equal(modules_load_modalias(ctx, "pci:v0000FFFFd0000FFFFsv0sd0bc99sc99i99", &loaded), 0);
        assert_int_equal(loaded, 0);
}

static void test_modules_host_loaded(void **state) {
        struct module_set s = { 0 };
        /* A module this machine does not have. */
        const char *absent = NULL;
        static const char *const candidates[] = { "btrfs", "nvme", "ahci", "xts", "vfat" };
        for (size_t i = 0; i < ELEMENTSOF(candidates) && !absent; i++)
                if (!modules_host_has(candidates[i]))
                        absent = candidates[i];
        if (absent) {
                assert_int_equal(modules_resolve(ctx, absent, MODULES_RESOLVE_HOST_LOADED, &s),
                                 MODULES_NOT_LOADED);
                assert_int_equal(s.n, 0);
        }
        /* A built-in one is kept (as built in). */
        char name[256];
        first_builtin(name, sizeof name);
        assert_int_equal(modules_resolve(ctx, name, MODULES_RESOLVE_HOST_LOADED, &s), MODULES_BUILTIN);

        /* One that is here (loaded or built into the running kernel) and a file for kver. */
        DIR *d = opendir("/sys/module");
        assert_non_null(d);
        struct dirent *de;
        bool tried = false;
        while (!tried && (de = readdir(d))) {
                struct module_set t = { 0 };
                if (de->d_name[0] == '.' || modules_resolve(ctx, de->d_name, 0, &t) != 0) {
                        module_set_free(&t);
                        continue;
                }
                module_set_free(&t);
                assert_true(modules_host_has(de->d_name));
                assert_int_equal(modules_resolve(ctx, de->d_name, MODULES_RESOLVE_HOST_LOADED, &s),
                                 MODULES_ADDED);
                assert_true(s.n > 0);
                tried = true;
        }
        closedir(d);
        if (!tried)
                print_message("no module of /sys/module is a file of %s; part skipped\n", kver);
        module_set_free(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_modules_find_dir),
                cmocka_unit_test(test_modules_ctx_new),
                cmocka_unit_test(test_modules_resolve_like_modprobe),
                cmocka_unit_test(test_modules_resolve_accumulates),
                cmocka_unit_test(test_modules_builtin),
                cmocka_unit_test(test_modules_unknown),
                cmocka_unit_test(test_modules_host_loaded),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
