/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-mkinitramfs as a program, building images for the installed kernel, and the parts
 * of it that need no kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "config.h"
#include "mkinitramfs.h"
#include "modules.h"
#include "testlib.h"
#include "util.h"

/* snprintf into a PATH_MAX buffer, failing the test when it does not fit. */
static char *fmt_path(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *fmt_path(char *buf, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, PATH_MAX, fmt, ap);
        va_end(ap);
        if (n < 0 || n >= PATH_MAX)
                fail_msg("path too long");
        return buf;
}

static char dir[TL_TMP_MAX];
static char kver[256];
static char program[PATH_MAX];
/* Options naming /init's source: empty when the koompi-init next to the program is used. */
static char init_args[PATH_MAX + 32];

static int setup(void **state) {
        char self[PATH_MAX];
        tl_log_quiet("test-mkinitramfs");
        if (tl_tmpdir_new(dir, sizeof dir, "mki") < 0 || tl_find_kernel(kver, sizeof kver) < 0)
                return -1;
        /* build/tests/test-mkinitramfs -> build/koompi-mkinitramfs (build/san/ alike) */
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
                return -1;
        self[n] = 0;
        *strrchr(self, '/') = 0;
        *strrchr(self, '/') = 0;
        fmt_path(program, "%s/koompi-mkinitramfs", self);
        if (access(program, X_OK) < 0) {
                fprintf(stderr, "%s is missing\n", program);
                return -1;
        }
        char fast[PATH_MAX];
        fmt_path(fast, "%s/fast.conf", dir);
        static const char fast_conf[] = "[image]\ncompression_level = 3\n";
        if (write_file_atomic(fast, fast_conf, sizeof fast_conf - 1, 0644) < 0)
                return -1;
        static const char shell_conf[] = "[image]\ncompression_level = 3\n[recovery]\n"
                                         "password_hash = $6$salt$hash\n";
        fmt_path(fast, "%s/shell.conf", dir);
        if (write_file_atomic(fast, shell_conf, sizeof shell_conf - 1, 0644) < 0)
                return -1;
        /* Without a built koompi-init next to it, another dynamic program stands in. */
        snprintf(self + strlen(self), sizeof self - strlen(self), "/koompi-init");
        if (access(self, X_OK) < 0)
                fmt_path(init_args, "--koompi-init /bin/ls");
        return 0;
}

static int teardown(void **state) {
        return tl_tmpdir_remove(dir) < 0 ? -1 : 0;
}

static const char *in_dir(char *buf, const char *name) {
        snprintf(buf, PATH_MAX, "%s/%s", dir, name);
        return buf;
}

/* Builds an image; returns the exit status and the messages. */
static int mki(char **ret_out, const char *output, const char *fmt, ...) {
        char extra[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(extra, sizeof extra, fmt, ap);
        va_end(ap);
        /* A low level keeps the tests quick; a later --config wins. */
        return tl_run(ret_out, true,
                      "'%s' --kernel '%s' --output '%s' --cache-dir '%s/cache' --config '%s/fast.conf' "
                      "%s %s",
                      program, kver, output, dir, dir, init_args, extra);
}

static bool listed(const char *list, const char *path) {
        size_t n = strlen(path);
        for (const char *p = list; p && *p;) {
                size_t len = strcspn(p, "\n");
                if (len == n && strncmp(p, path, n) == 0)
                        return true;
                p += len;
                p += *p == '\n';
        }
        return false;
}

/* path, or the same below usr/ when the host merges / into /usr. */
static void assert_listed(const char *list, const char *path) {
        char usr[PATH_MAX];
        fmt_path(usr, "usr/%s", path);
        if (!listed(list, path) && !listed(list, usr))
                fail_msg("%s is not in the image", path);
}

static void file_is_absent(const char *path) {
        struct stat st;
        if (stat(path, &st) == 0)
                fail_msg("%s exists", path);
}

/* Nothing but the files named is left in the directory (no temporary file). */
static void only_files(const char *d, const char *const *names, size_t n) {
        DIR *dd = opendir(d);
        assert_non_null(dd);
        struct dirent *de;
        while ((de = readdir(dd))) {
                bool known = de->d_name[0] == '.' && (!de->d_name[1] || streq(de->d_name, ".."));
                for (size_t i = 0; i < n && !known; i++)
                        known = streq(de->d_name, names[i]);
                if (!known)
                        fail_msg("%s/%s was left behind", d, de->d_name);
        }
        closedir(dd);
}

static void test_mki_parse_include(void **state) {
        char *src = NULL, *dest = NULL;
        assert_int_equal(mki_parse_include("/etc/key", &src, &dest), 0);
        assert_string_equal(src, "/etc/key");
        assert_string_equal(dest, "/etc/key");
        free(src);
        free(dest);
        assert_int_equal(mki_parse_include("/root/disk.key:/etc/koompi/disk.key", &src, &dest), 0);
        assert_string_equal(src, "/root/disk.key");
        assert_string_equal(dest, "/etc/koompi/disk.key");
        free(src);
        free(dest);
        assert_int_equal(mki_parse_include("etc/key", &src, &dest), -EINVAL);
        assert_int_equal(mki_parse_include("/etc/key:", &src, &dest), -EINVAL);
        assert_int_equal(mki_parse_include("/etc/key:etc/key", &src, &dest), -EINVAL);
        assert_int_equal(mki_parse_include("/etc/key:/", &src, &dest), -EINVAL);
}

/* The settings of a boot.conf text (over the defaults), as the builder reads the host's. */
static void settings_of(const char *text, struct koompi_config *c) {
        char p[PATH_MAX];
        char *error = NULL;
        tl_write_text(in_dir(p, "host.conf"), text);
        config_init_defaults(c);
        assert_true(config_load(c, p, &error) >= 0);
        free(error);
}

static void test_mki_image_config(void **state) {
        char *load[] = { (char *)"dm-crypt", (char *)"btrfs", NULL };
        char *none[] = { NULL };
        char *extra[] = { (char *)"btrfs", (char *)"loop", (char *)"loop", (char *)"nbd", NULL };
        char *out = NULL;
        size_t len = 0;
        struct koompi_config c;

        config_init_defaults(&c);
        strv_free(c.modules_load);
        c.modules_load = load;
        assert_int_equal(mki_image_config(&c, NULL, 0, none, &out, &len, NULL), 0);
        assert_null(out);
        assert_int_equal(mki_image_config(&c, NULL, 0, extra + 0, &out, &len, NULL), 0);
        assert_non_null(out);
        assert_non_null(strstr(out, "[modules]\nload = dm-crypt btrfs loop nbd\n"));
        free(out);
        /* Already loaded: the file is copied as it is. */
        char *same[] = { (char *)"btrfs", NULL };
        const char *text = "[boot]\ntimeout = 5s\n";
        assert_int_equal(mki_image_config(&c, text, strlen(text), same, &out, &len, NULL), 0);
        assert_int_equal(len, strlen(text));
        assert_memory_equal(out, text, len);
        free(out);
        c.modules_load = NULL;
        config_free(&c);

        /* The result reads back with the modules added and the rest kept. */
        const char *conf = "[modules]\nload = dm-crypt btrfs\nhardware = nvme\n[boot]\ntries = 5";
        settings_of(conf, &c);
        assert_int_equal(mki_image_config(&c, conf, strlen(conf), extra, &out, &len, NULL), 0);
        config_free(&c);
        char p[PATH_MAX];
        int fd = open(in_dir(p, "merged.conf"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write_full(fd, out, len), 0);
        close(fd);
        free(out);
        char *error = NULL;
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, p, &error), 0);
        assert_int_equal(strv_length(c.modules_load), 4);
        assert_string_equal(c.modules_load[2], "loop");
        assert_string_equal(c.modules_load[3], "nbd");
        assert_int_equal(strv_length(c.modules_hardware), 1);
        assert_int_equal(c.boot_tries, 5);
        config_free(&c);
}

/* Builds the image's boot.conf from a host file and the modules, then reads it back: the
 * result of mki_image_config_check(), its message in *ret_error. */
static int image_config_round_trip(const char *host, char *const *extra, char **ret_error) {
        struct koompi_config c;
        char *out = NULL, p[PATH_MAX];
        size_t len = 0;
        settings_of(host, &c);
        int r = mki_image_config(&c, host, strlen(host), extra, &out, &len, NULL);
        if (r == 0) {
                tl_write_file(in_dir(p, "image.conf"), out, len, 0644);
                r = mki_image_config_check(&c, extra, p, out, len, ret_error);
        }
        free(out);
        config_free(&c);
        return r;
}

/* Host files that are valid, with modules added: the image's boot.conf gives the host's
 * settings plus the modules (each of these was read otherwise, or not at all). */
static void test_mki_image_config_valid_hosts(void **state) {
        char *loop[] = { (char *)"loop", NULL };
        /* A load line iniparser still reads: 1,021 bytes and its '\n' (it reads 1,023). */
        char long_load[1100] = "[luks]\nuuid = 1234\n[modules]\nload = btrfs";
        size_t start = strlen("[luks]\nuuid = 1234\n[modules]\n");
        while (strlen(long_load) - start < 1000)
                strcat(long_load, " dm-crypt");
        while (strlen(long_load) - start < 1021)
                strcat(long_load, " x");
        strcat(long_load, "\n[recovery]\npassword_hash = $6$salt$hash\n");
        const char *hosts[] = {
                "[boot]\nfailure_action = reboot\n[luks]\nuuid = abc\nx",
                "[boot]\nfailure_action = reboot\n[luks]\nuuid = abc\\",
                "[boot:x]\ny = 1\n[luks]\nuuid = abc\n",
                "[recovery]\npassword_hash = $6$a;b#c$d\n",
                "[luks]\nuuid = abc\n[modules]\nload = dm-crypt\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(hosts); i++) {
                char *error = NULL;
                if (image_config_round_trip(hosts[i], loop, &error) != 0)
                        fail_msg("host file %zu: %s", i, error ? error : "?");
        }
        char *error = NULL;
        /* With " loop" added, the load line grows past what iniparser reads: config_format()
         * refuses to write it, naming the key. */
        struct koompi_config c;
        char *out = NULL, p[PATH_MAX];
        size_t len = 0;
        const char *key = NULL;
        settings_of(long_load, &c);
        assert_int_equal(mki_image_config(&c, long_load, strlen(long_load), loop, &out, &len, &key), -EINVAL);
        assert_string_equal(key, "modules:load");
        assert_null(out);
        /* Written all the same, the check refuses the line iniparser cannot read, naming it. */
        char *grown = NULL;
        assert_true(asprintf(&grown, "[modules]\n%.*s loop\n", (int)strcspn(long_load + start, "\n"),
                             long_load + start) > 0);
        tl_write_file(in_dir(p, "image.conf"), grown, strlen(grown), 0644);
        int r = mki_image_config_check(&c, loop, p, grown, strlen(grown), &error);
        free(grown);
        config_free(&c);
        assert_int_equal(r, -EBADMSG);
        assert_non_null(strstr(error, "line too long"));
        /* "FILE: not a valid INI file (input line too long in FILE (N))": line N is the load line. */
        const char *num = strrchr(error, '(');
        assert_non_null(num);
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%.*s", (int)(strchr(error, ':') - error), error);
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        char line[1200];
        for (long n = strtol(num + 1, NULL, 10); n > 0 && fgets(line, sizeof line, f); n--)
                ;
        fclose(f);
        assert_true(strncmp(line, "load = btrfs", strlen("load = btrfs")) == 0);
        free(error);
}

static void test_mki_image_config_module_words(void **state) {
        char *words[] = { (char *)"a#b", (char *)"c;d", (char *)"e\"f", NULL };
        char *both[] = { (char *)"g\"h'i", NULL };
        char *line[] = { (char *)"j\n[boot]", NULL };
        char *error = NULL;
        struct koompi_config c;
        char *out = NULL;
        size_t len = 0;
        const char *key = NULL;

        assert_int_equal(image_config_round_trip("[luks]\nuuid = abc\n", words, &error), 0);
        assert_null(error);
        settings_of("[luks]\nuuid = abc\n", &c);
        assert_int_equal(mki_image_config(&c, NULL, 0, both, &out, &len, &key), -EINVAL);
        assert_string_equal(key, "modules:load");
        assert_int_equal(mki_image_config(&c, NULL, 0, line, &out, &len, &key), -EINVAL);
        assert_null(out);
        config_free(&c);
}

/* A hand-made image config that reads otherwise is refused naming the line and the key. */
static void test_mki_image_config_check_names_line(void **state) {
        struct koompi_config c;
        char *error = NULL, p[PATH_MAX];
        const char *image = "[boot]\ntries = 3\n[luks]\nuuid = abc ; a comment\n";
        settings_of("[luks]\nuuid = abcd\n", &c);
        tl_write_text(in_dir(p, "image.conf"), image);
        assert_int_equal(mki_image_config_check(&c, NULL, p, image, strlen(image), &error), -EBADMSG);
        assert_non_null(strstr(error, "line 4, luks:uuid reads as 'abc' instead of 'abcd'"));
        free(error);
        config_free(&c);
}

static void expect_hash_cost(const char *hash, int want, const char *needle) {
        char *error = NULL;
        assert_int_equal(mki_password_hash_check(hash, &error), want);
        if (needle) {
                assert_non_null(error);
                assert_non_null(strstr(error, needle));
                assert_non_null(strstr(error, "openssl passwd -6"));
        } else
                assert_null(error);
        free(error);
}

/* A technician password hash that would make every try at the recovery menu take minutes is
 * refused when the image is built. */
static void test_mki_password_hash_cost(void **state) {
        expect_hash_cost(NULL, 0, NULL);
        expect_hash_cost("", 0, NULL);
        expect_hash_cost("$1$salt$hash", 0, NULL);
        expect_hash_cost("$6$salt$hash", 0, NULL);
        expect_hash_cost("$6$rounds=5000$salt$hash", 0, NULL);
        expect_hash_cost("$5$rounds=1000000$salt$hash", 0, NULL);
        expect_hash_cost("$6$rounds=1000001$salt$hash", -E2BIG, "SHA-crypt with rounds=1000001");
        expect_hash_cost("$6$rounds=999999999$salt$hash", -E2BIG, "rounds=999999999");
        expect_hash_cost("$5$rounds=99999999999999999999999$s$h", -E2BIG, "(at most 1000000 rounds)");
        expect_hash_cost("$2b$10$abcdefghijklmnopqrstuu", 0, NULL);
        expect_hash_cost("$2y$12$abcdefghijklmnopqrstuu", 0, NULL);
        expect_hash_cost("$2b$13$abcdefghijklmnopqrstuu", -E2BIG, "bcrypt of cost 13");
        expect_hash_cost("$2b$31$abcdefghijklmnopqrstuu", -E2BIG, "bcrypt of cost 31");
        expect_hash_cost("$2a$x$abc", -E2BIG, "cost 12");
        /* yescrypt as mkpasswd makes it (16 MiB), the most allowed (64 MiB), and more. */
        expect_hash_cost("$y$j9T$salt$hash", 0, NULL);
        expect_hash_cost("$y$jBT$salt$hash", 0, NULL);
        expect_hash_cost("$y$jCT$salt$hash", -E2BIG, "64 MiB");
        expect_hash_cost("$gy$jzz$salt$hash", -E2BIG, "yescrypt");
        expect_hash_cost("$7$BU..../....salt$hash", 0, NULL);
        expect_hash_cost("$7$DU..../....salt$hash", -E2BIG, "scrypt");
}

static void test_mki_default_image(void **state) {
        char img[PATH_MAX], x[PATH_MAX], p[PATH_MAX];
        _cleanup_free_ char *out = NULL, *list = NULL, *verbose = NULL;
        in_dir(img, "default.img");
        /* A technician password: the image carries busybox for the recovery shell. */
        assert_int_equal(mki(&out, img, "--config '%s/shell.conf' --compress none --include /bin/ls", dir),
                         0);
        /* The summary line: path, size, files, time. */
        assert_non_null(strstr(out, img));
        assert_non_null(strstr(out, " bytes, "));

        assert_int_equal(tl_run(&list, true, "bsdtar -tf '%s'", img), 0);
        static const char *const expected[] = {
                "init",   "bin/busybox", "bin/sh", "bin/mount", "bin/switch_root",    "dev",
                "proc",   "sys",         "run",    "sysroot",   "etc/initrd-release", "tmp",
                "bin/ls",
        };
        for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                assert_listed(list, expected[i]);
        assert_true(listed(list, "dev/console") && listed(list, "dev/null"));
        char m[PATH_MAX];
        static const char *const modules[] = {
                "kernel/fs/btrfs/btrfs.ko",
                "kernel/drivers/md/dm-crypt.ko",
                "kernel/drivers/md/dm-mod.ko",
                "modules.dep",
                "modules.dep.bin",
                "modules.alias.bin",
                "modules.symbols.bin",
                "modules.builtin.bin",
                "modules.softdep",
        };
        for (size_t i = 0; i < ELEMENTSOF(modules); i++) {
                fmt_path(m, "lib/modules/%s/%s", kver, modules[i]);
                assert_listed(list, m);
        }
        assert_listed(list, "lib/x86_64-linux-gnu/libc.so.6");

        /* Types, modes and owners as bsdtar reads them. */
        assert_int_equal(tl_run(&verbose, true, "bsdtar -tvf '%s'", img), 0);
        assert_non_null(strstr(verbose,
                               "crw-------  1 0      0         5,1 Jan  1  1970 "
                               "dev/console\n"));
        assert_non_null(strstr(verbose,
                               "crw-rw-rw-  1 0      0         1,3 Jan  1  1970 "
                               "dev/null\n"));
        assert_non_null(strstr(verbose, " init\n"));
        assert_non_null(strstr(verbose, "-rwxr-xr-x"));

        /* Unpacked, the modules resolve with the image's own indexes and are all there. */
        in_dir(x, "x");
        assert_int_equal(mkdir(x, 0755), 0);
        assert_int_equal(tl_run(NULL, true, "cd '%s' && bsdtar -xf '%s' --exclude 'dev/*'", x, img), 0);
        fmt_path(p, "%s/lib/modules/%s", x, kver);
        struct kmod_ctx *ctx = NULL;
        assert_int_equal(modules_ctx_new(p, &ctx), 0);
        struct koompi_config c;
        config_init_defaults(&c);
        struct module_set s = { 0 };
        for (char **name = c.modules_load; *name; name++) {
                int r = modules_resolve(ctx, *name, 0, &s);
                assert_true(r == MODULES_ADDED || r == MODULES_BUILTIN);
        }
        assert_true(s.n > 3);
        for (size_t i = 0; i < s.n; i++) {
                assert_non_null(startswith(s.files[i].path, p));
                if (access(s.files[i].path, R_OK) < 0)
                        fail_msg("%s is indexed but missing", s.files[i].path);
        }
        module_set_free(&s);
        config_free(&c);
        modules_ctx_free(ctx);

        /* The libraries are complete: the included ls runs inside the image. */
        if (getuid() == 0) {
                _cleanup_free_ char *ls = NULL;
                assert_int_equal(tl_run(&ls, true, "chroot '%s' /bin/ls /etc", x), 0);
                assert_non_null(strstr(ls, "initrd-release"));
                /* busybox runs too. */
                free(ls);
                ls = NULL;
                assert_int_equal(tl_run(&ls, true, "chroot '%s' /bin/sh -c 'echo shell-ok'", x), 0);
                assert_non_null(strstr(ls, "shell-ok"));
                /* The kernel's own module requests run /sbin/modprobe: busybox's, static. */
                free(ls);
                ls = NULL;
                assert_int_equal(tl_run(&ls, true,
                                        "chroot '%s' /bin/sh -c 'test -x /sbin/modprobe && "
                                        "readlink /sbin/modprobe'",
                                        x),
                                 0);
                assert_string_equal(ls, "/bin/busybox\n");
        }
}

static void test_mki_reproducible(void **state) {
        char a[PATH_MAX], b[PATH_MAX];
        in_dir(a, "r1.img");
        in_dir(b, "r2.img");
        assert_int_equal(mki(NULL, a, "--quiet"), 0);
        assert_int_equal(mki(NULL, b, "--quiet"), 0);
        assert_int_equal(tl_run(NULL, true, "cmp '%s' '%s'", a, b), 0);
        /* zstd, with its frame magic. */
        int fd = open(a, O_RDONLY | O_CLOEXEC);
        unsigned char magic[4] = { 0 };
        assert_true(fd >= 0);
        assert_int_equal(read(fd, magic, 4), 4);
        close(fd);
        assert_memory_equal(magic, "\x28\xb5\x2f\xfd", 4);
        assert_int_equal(tl_run(NULL, true, "bsdtar -tf '%s' init", a), 0);

        /* SOURCE_DATE_EPOCH is every entry's time. */
        _cleanup_free_ char *v = NULL;
        assert_int_equal(tl_run(NULL, true,
                                "SOURCE_DATE_EPOCH=1700000000 '%s' --kernel '%s' --output "
                                "'%s' --quiet --compress none %s",
                                program, kver, b, init_args),
                         0);
        assert_int_equal(tl_run(&v, true, "TZ=UTC bsdtar -tvf '%s' init", b), 0);
        assert_non_null(strstr(v, "Nov 14  2023 init"));
}

/* The number of files in the cache directory d. */
static int cached_files(const char *d) {
        _cleanup_free_ char *n = NULL;
        assert_int_equal(tl_run(&n, true, "ls -A '%s' | wc -l", d), 0);
        return atoi(n);
}

static void test_mki_cache(void **state) {
        char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], cache[PATH_MAX], key[PATH_MAX];
        _cleanup_free_ char *out = NULL, *n = NULL;
        in_dir(a, "cache-a.img");
        in_dir(b, "cache-b.img");
        in_dir(c, "cache-c.img");
        in_dir(cache, "cache2");
        in_dir(key, "secret.key");
        tl_run(NULL, true, "rm -rf '%s'", cache);

        /* First build: the host's files compressed and kept, in three parts (the modules, the
         * libraries, /init); second: the same bytes. */
        assert_int_equal(mki(NULL, a, "--quiet --cache-dir '%s'", cache), 0);
        assert_int_equal(cached_files(cache), 3);
        assert_int_equal(mki(NULL, b, "--quiet --cache-dir '%s'", cache), 0);
        assert_int_equal(tl_run(NULL, true, "cmp '%s' '%s'", a, b), 0);
        assert_int_equal(cached_files(cache), 3);
        assert_int_equal(mki(NULL, c, "--quiet --no-cache"), 0);
        assert_int_equal(tl_run(NULL, true, "cmp '%s' '%s'", a, c), 0);

        /* Archives end to end: the host's files in three parts, then the image's own. */
        assert_int_equal(tl_run(&n, true, "zstd -l '%s' | awk 'NR == 2 { print $1 }'", a), 0);
        assert_int_equal(atoi(n), 4);

        /* A damaged cached segment is not used: made again, the image unchanged. */
        assert_int_equal(
                tl_run(NULL, true,
                       "for f in '%s'/*.cpio.zst; do "
                       "printf 'XXXXXXXX' | dd of=\"$f\" bs=1 seek=40 conv=notrunc status=none; done",
                       cache),
                0);
        assert_int_equal(mki(&out, b, "--cache-dir '%s'", cache), 0);
        assert_non_null(strstr(out, "is damaged"));
        assert_int_equal(tl_run(NULL, true, "cmp '%s' '%s'", a, b), 0);
        assert_int_equal(tl_run(NULL, true, "zstd -tq '%s'/*.cpio.zst", cache), 0);

        /* An included keyfile is in the image, never in the cache. */
        assert_int_equal(tl_run(NULL, true, "printf 'koompi-unique-secret-7781' > '%s'", key), 0);
        assert_int_equal(mki(NULL, b, "--quiet --cache-dir '%s' --include '%s:/etc/root.key'", cache, key),
                         0);
        assert_int_equal(tl_run(NULL, true, "zstd -dc '%s' | grep -q -a koompi-unique-secret-7781", b), 0);
        assert_int_equal(tl_run(NULL, true,
                                "for f in '%s'/*; do zstd -dc \"$f\"; done | "
                                "grep -q -a koompi-unique-secret-7781",
                                cache),
                         1);

        /* A cache that cannot be written is no failure. */
        assert_int_equal(mki(NULL, c, "--quiet --cache-dir /proc/koompi-no-such-dir"), 0);
        assert_int_equal(tl_run(NULL, true, "cmp '%s' '%s'", a, c), 0);

        /* One others may write to is not used: said, and the image is the same. */
        assert_int_equal(tl_run(NULL, true, "chmod 0777 '%s'", cache), 0);
        assert_int_equal(tl_run(NULL, true, "for f in '%s'/*; do printf X >> \"$f\"; done", cache), 0);
        free(out);
        out = NULL;
        assert_int_equal(mki(&out, c, "--cache-dir '%s'", cache), 0);
        assert_non_null(strstr(out, "not used"));
        assert_int_equal(tl_run(NULL, true, "cmp '%s' '%s'", a, c), 0);
}

/* The cache is keyed by content: one carried file changed (same size, same times) makes the
 * part holding it again, and only that part; the same bytes elsewhere are found in the cache. */
static void test_mki_cache_parts(void **state) {
        char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], cache[PATH_MAX], init[PATH_MAX], moved[PATH_MAX];
        in_dir(a, "parts-a.img");
        in_dir(b, "parts-b.img");
        in_dir(c, "parts-c.img");
        in_dir(cache, "cache-parts");
        in_dir(init, "parts-init.sh");
        in_dir(moved, "parts-moved.sh");
        tl_run(NULL, true, "rm -rf '%s'", cache);
        assert_int_equal(tl_run(NULL, true,
                                "printf '#!/bin/sh\\necho aaaa\\n' >'%s' && chmod 755 '%s' && "
                                "touch -d @1700000000 '%s'",
                                init, init, init),
                         0);
        assert_int_equal(mki(NULL, a, "--quiet --cache-dir '%s' --init '%s'", cache, init), 0);
        assert_int_equal(cached_files(cache), 3);

        assert_int_equal(tl_run(NULL, true,
                                "printf '#!/bin/sh\\necho bbbb\\n' >'%s' && touch -d @1700000000 '%s'", init,
                                init),
                         0);
        assert_int_equal(mki(NULL, b, "--quiet --cache-dir '%s' --init '%s'", cache, init), 0);
        assert_int_not_equal(tl_run(NULL, false, "cmp -s '%s' '%s'", a, b), 0);
        assert_int_equal(cached_files(cache), 4);
        assert_int_equal(tl_run(NULL, true, "zstd -dc '%s' | grep -q -a bbbb", b), 0);
        assert_int_equal(mki(NULL, c, "--quiet --no-cache --init '%s'", init), 0);
        assert_int_equal(tl_run(NULL, true, "cmp '%s' '%s'", b, c), 0);

        /* The same bytes at another path, with other times: found, the image the same. */
        assert_int_equal(tl_run(NULL, true, "cp '%s' '%s' && touch '%s'", init, moved, moved), 0);
        assert_int_equal(mki(NULL, c, "--quiet --cache-dir '%s' --init '%s'", cache, moved), 0);
        assert_int_equal(tl_run(NULL, true, "cmp '%s' '%s'", b, c), 0);
        assert_int_equal(cached_files(cache), 4);
}

/* --best is level 19 whatever the settings say; the default level is lower. */
static void test_mki_best(void **state) {
        char a[PATH_MAX], cache[PATH_MAX], init[PATH_MAX];
        _cleanup_free_ char *n = NULL;
        in_dir(a, "best.img");
        in_dir(cache, "cache-best");
        in_dir(init, "best-init.sh");
        tl_run(NULL, true, "rm -rf '%s'", cache);
        /* Small inputs (no modules: --init and busybox scripts) keep level 19 quick. The parts are
         * cached under their level. */
        assert_int_equal(tl_run(NULL, true, "printf '#!/bin/sh\\n' >'%s' && chmod 755 '%s'", init, init), 0);
        assert_int_equal(
                mki(NULL, a, "--quiet --cache-dir '%s' --init '%s' --busybox '%s' --best", cache, init, init),
                0);
        assert_int_equal(tl_run(NULL, true, "zstd -tq '%s'", a), 0);
        assert_int_equal(tl_run(&n, true, "ls '%s' | grep -c -- '-19-'", cache), 0);
        assert_true(atoi(n) >= 2);
        assert_int_equal(tl_run(NULL, true, "ls '%s' | grep -v -q -- '-19-'", cache), 1);

        /* Without it, the settings' level (3 in the tests' settings). */
        assert_int_equal(
                mki(NULL, a, "--quiet --cache-dir '%s' --init '%s' --busybox '%s'", cache, init, init), 0);
        assert_int_equal(tl_run(NULL, true, "ls '%s' | grep -q -- '-3-'", cache), 0);

        struct koompi_config c;
        config_init_defaults(&c);
        assert_true(c.compression_level < MKI_BEST_LEVEL);
        config_free(&c);
}

/* busybox only when the settings can give a shell. */
static void test_mki_busybox_for_shell_only(void **state) {
        char img[PATH_MAX], conf[PATH_MAX];
        _cleanup_free_ char *list = NULL, *list2 = NULL, *list3 = NULL;
        in_dir(img, "noshell.img");
        assert_int_equal(mki(NULL, img, "--quiet --compress none"), 0);
        assert_int_equal(tl_run(&list, true, "bsdtar -tf '%s'", img), 0);
        assert_false(listed(list, "bin/busybox") || listed(list, "usr/bin/busybox"));
        assert_false(listed(list, "bin/sh") || listed(list, "usr/bin/sh"));
        assert_listed(list, "init");

        static const char *const shells[] = { "[recovery]\nauth = none\n",
                                              "[boot]\nfailure_action = shell\n" };
        for (size_t i = 0; i < ELEMENTSOF(shells); i++) {
                in_dir(conf, "shell-setting.conf");
                assert_int_equal(write_file_atomic(conf, shells[i], strlen(shells[i]), 0644), 0);
                assert_int_equal(mki(NULL, img, "--quiet --compress none --config '%s'", conf), 0);
                free(list2);
                list2 = NULL;
                assert_int_equal(tl_run(&list2, true, "bsdtar -tf '%s'", img), 0);
                if (!listed(list2, "bin/busybox") && !listed(list2, "usr/bin/busybox"))
                        fail_msg("no busybox with the settings %s", shells[i]);
        }
        /* Asked for by name, it is carried whatever the settings. */
        assert_int_equal(mki(NULL, img, "--quiet --compress none --busybox /bin/busybox"), 0);
        assert_int_equal(tl_run(&list3, true, "bsdtar -tf '%s'", img), 0);
        assert_true(listed(list3, "bin/busybox") || listed(list3, "usr/bin/busybox"));
}

static void test_mki_unknown_kernel(void **state) {
        char d[PATH_MAX], img[PATH_MAX];
        _cleanup_free_ char *out = NULL;
        in_dir(d, "fail");
        assert_int_equal(mkdir(d, 0755), 0);
        fmt_path(img, "%s/k.img", d);
        assert_int_equal(tl_run(&out, true, "'%s' --kernel 6.9-foo --output '%s'", program, img), 1);
        assert_non_null(strstr(out, "kernel 6.9-foo: no module directory at /lib/modules/6.9-foo"));
        file_is_absent(img);
        only_files(d, NULL, 0);
}

/* A config opening the recovery shell without a password is built, with a warning. */
static void test_mki_warns_auth_none(void **state) {
        char d[PATH_MAX], img[PATH_MAX], conf[PATH_MAX];
        _cleanup_free_ char *out = NULL;
        in_dir(d, "authnone");
        assert_int_equal(mkdir(d, 0755), 0);
        fmt_path(img, "%s/k.img", d);
        fmt_path(conf, "%s/boot.conf", d);
        FILE *f = fopen(conf, "w");
        assert_non_null(f);
        fputs("[recovery]\nauth = none\n", f);
        fclose(f);
        assert_int_equal(tl_run(&out, true, "'%s' --kernel '%s' --output '%s' --config '%s' --compress none",
                                program, kver, img, conf),
                         0);
        assert_non_null(strstr(out, "auth = none"));
        assert_non_null(strstr(out, "no password"));
        assert_int_equal(access(img, F_OK), 0);
}

/* A host file whose load line is just short enough for iniparser: the build with --module
 * fails naming the key, instead of writing an image that boots on the built-in defaults. */
static void test_mki_refuses_unreadable_image_config(void **state) {
        char img[PATH_MAX], conf[PATH_MAX];
        char *out = NULL;
        in_dir(img, "long.img");
        char text[1100] = "[image]\ncompression_level = 3\n[modules]\nload = btrfs";
        while (strlen(text) < 1020 + strlen("[image]\ncompression_level = 3\n[modules]\n"))
                strcat(text, " x");
        strcat(text, "\n");
        tl_write_text(in_dir(conf, "long.conf"), text);
        assert_int_equal(mki(&out, img, "--config '%s' --module loop", conf), 1);
        assert_non_null(
                strstr(out, "the value of modules:load cannot be written into the image's boot.conf"));
        free(out);
        file_is_absent(img);
}

static void test_mki_refuses_costly_hash(void **state) {
        char img[PATH_MAX], conf[PATH_MAX];
        char *out = NULL;
        in_dir(img, "costly.img");
        tl_write_text(
                in_dir(conf, "costly.conf"),
                "[image]\ncompression_level = 3\n[recovery]\npassword_hash = $6$rounds=999999999$s$h\n");
        assert_int_equal(mki(&out, img, "--config '%s'", conf), 1);
        assert_non_null(strstr(out, "[recovery] password_hash is SHA-crypt with rounds=999999999"));
        assert_non_null(strstr(out, "openssl passwd -6"));
        free(out);
        file_is_absent(img);
}

static void test_mki_bad_inputs(void **state) {
        char d[PATH_MAX], img[PATH_MAX], conf[PATH_MAX];
        char *out = NULL;
        in_dir(d, "bad");
        assert_int_equal(mkdir(d, 0755), 0);
        fmt_path(img, "%s/b.img", d);
        /* A previous image stays as it was. */
        assert_int_equal(tl_run(NULL, true, "echo previous > '%s'", img), 0);

        assert_int_equal(mki(&out, img, "--module no_such_module_xyz"), 1);
        assert_non_null(strstr(out, "module no_such_module_xyz (--module): not found"));
        free(out);

        fmt_path(conf, "%s/missing.conf", d);
        assert_int_equal(mki(&out, img, "--config '%s'", conf), 1);
        assert_non_null(strstr(out, conf));
        free(out);

        fmt_path(conf, "%s/corrupt.conf", dir);
        assert_int_equal(tl_run(NULL, true, "printf '[boot]\\ntimeuot = 5\\n' > '%s'", conf), 0);
        assert_int_equal(mki(&out, img, "--config '%s'", conf), 1);
        assert_non_null(strstr(out, "timeuot"));
        free(out);

        assert_int_equal(
                tl_run(NULL, true, "printf '[modules]\\nload = btrfs not_a_module_q\\n' > '%s'", conf), 0);
        assert_int_equal(mki(&out, img, "--config '%s'", conf), 1);
        assert_non_null(strstr(out, "module not_a_module_q ([modules] load of"));
        free(out);

        assert_int_equal(mki(&out, img, "--include /nonexistent/file"), 1);
        assert_non_null(strstr(out, "/nonexistent/file"));
        free(out);

        assert_int_equal(mki(&out, img, "--include relative/file"), 1);
        free(out);

        assert_int_equal(mki(&out, img, "--busybox /nonexistent/busybox"), 1);
        assert_non_null(strstr(out, "/nonexistent/busybox"));
        free(out);

        assert_int_equal(mki(&out, img, "--init /nonexistent/init"), 1);
        assert_non_null(strstr(out, "/nonexistent/init"));
        free(out);

        char noexec[PATH_MAX];
        in_dir(noexec, "noexec");
        assert_int_equal(tl_run(NULL, true, "echo x > '%s' && chmod 644 '%s'", noexec, noexec), 0);
        assert_int_equal(mki(&out, img, "--init '%s'", noexec), 1);
        assert_non_null(strstr(out, "not executable"));
        free(out);

        /* Usage. */
        assert_int_equal(tl_run(&out, true, "'%s' --output '%s'", program, img), 1);
        assert_non_null(strstr(out, "--kernel"));
        free(out);
        assert_int_equal(
                tl_run(&out, true, "'%s' --kernel '%s' --output '%s' --compress xz", program, kver, img), 1);
        free(out);
        assert_int_equal(tl_run(&out, true, "'%s' --kernel '%s' --output '%s' --bogus", program, kver, img),
                         1);
        free(out);

        /* Cannot write there: an internal error. */
        assert_int_equal(mki(&out, "/proc/koompi-test.img", "--compress none"), 2);
        free(out);

        _cleanup_free_ char *prev = NULL;
        assert_int_equal(read_file(img, &prev, NULL), 0);
        assert_string_equal(prev, "previous\n");
        static const char *const left[] = { "b.img" };
        only_files(d, left, 1);
}

static void test_mki_help(void **state) {
        _cleanup_free_ char *out = NULL;
        assert_int_equal(tl_run(&out, true, "'%s' --help", program), 0);
        assert_non_null(strstr(out, "--kernel KVER"));
        assert_non_null(strstr(out, "Exit status"));
        assert_non_null(strstr(out, "  2  internal error"));
}

static void test_mki_init_script_and_modules(void **state) {
        char img[PATH_MAX], script[PATH_MAX], conf[PATH_MAX], x[PATH_MAX], p[PATH_MAX];
        _cleanup_free_ char *out = NULL, *list = NULL;
        in_dir(img, "script.img");
        in_dir(script, "init.sh");
        in_dir(conf, "hw.conf");
        assert_int_equal(tl_run(NULL, true, "printf '#!/bin/sh\\necho hi\\n' > '%s' && chmod 755 '%s'",
                                script, script),
                         0);
        /* A hardware module the kernel lacks is only a warning. */
        assert_int_equal(tl_run(NULL, true,
                                "printf '[modules]\\nhardware = virtio_blk no_such_hw_q\\n' "
                                "> '%s'",
                                conf),
                         0);
        /* koompi-init is not needed with --init. */
        assert_int_equal(tl_run(&out, true,
                                "'%s' --kernel '%s' --output '%s' --init '%s' "
                                "--koompi-init /nonexistent --config '%s' --module loop "
                                "--include '%s:/etc/copy.sh' --compress none",
                                program, kver, img, script, conf, script),
                         0);
        assert_non_null(strstr(out, "no_such_hw_q"));
        assert_int_equal(tl_run(&list, true, "bsdtar -tf '%s'", img), 0);
        assert_true(listed(list, "init"));
        assert_true(listed(list, "etc/copy.sh"));
        assert_true(listed(list, "etc/koompi/boot.conf"));
        fmt_path(p, "lib/modules/%s/kernel/drivers/block/loop.ko", kver);
        assert_listed(list, p);
        fmt_path(p, "lib/modules/%s/kernel/drivers/block/virtio_blk.ko", kver);
        assert_listed(list, p);

        in_dir(x, "sx");
        assert_int_equal(mkdir(x, 0755), 0);
        assert_int_equal(tl_run(NULL, true, "cd '%s' && bsdtar -xf '%s' --exclude 'dev/*'", x, img), 0);
        /* With another /init, /sbin/modprobe is busybox's. */
        if (getuid() == 0) {
                _cleanup_free_ char *mp = NULL;
                assert_int_equal(tl_run(&mp, true,
                                        "chroot '%s' /bin/sh -c 'test -x /sbin/modprobe && "
                                        "/sbin/modprobe --help'",
                                        x),
                                 0);
                assert_non_null(strstr(mp, "BusyBox"));
        }
        _cleanup_free_ char *init = NULL;
        fmt_path(p, "%s/init", x);
        assert_int_equal(read_file(p, &init, NULL), 0);
        assert_string_equal(init, "#!/bin/sh\necho hi\n");
        /* The image's boot.conf loads --module too, and keeps the rest of the file. */
        struct koompi_config c;
        char *error = NULL;
        config_init_defaults(&c);
        fmt_path(p, "%s/etc/koompi/boot.conf", x);
        assert_int_equal(config_load(&c, p, &error), 0);
        assert_string_equal(c.modules_load[strv_length(c.modules_load) - 1], "loop");
        assert_int_equal(strv_length(c.modules_hardware), 2);
        config_free(&c);
}

static void test_mki_host_only(void **state) {
        char img[PATH_MAX], conf[PATH_MAX], p[PATH_MAX];
        _cleanup_free_ char *list = NULL;
        in_dir(img, "host.img");
        in_dir(conf, "host.conf");
        assert_int_equal(tl_run(NULL, true,
                                "printf '[modules]\\nload = dm-crypt\\nhardware = nvme ahci "
                                "virtio_blk\\n' > '%s'",
                                conf),
                         0);
        assert_int_equal(mki(NULL, img, "--config '%s' --host-only --compress none --quiet", conf), 0);
        assert_int_equal(tl_run(&list, true, "bsdtar -tf '%s'", img), 0);
        static const char *const hw[] = {
                "nvme:kernel/drivers/nvme/host/nvme.ko",
                "ahci:kernel/drivers/ata/ahci.ko",
                "virtio_blk:kernel/drivers/block/virtio_blk.ko",
        };
        for (size_t i = 0; i < ELEMENTSOF(hw); i++) {
                char name[32];
                const char *colon = strchr(hw[i], ':');
                snprintf(name, sizeof name, "%.*s", (int)(colon - hw[i]), hw[i]);
                fmt_path(p, "lib/modules/%s/%s", kver, colon + 1);
                char usr[PATH_MAX];
                fmt_path(usr, "usr/%s", p);
                bool in = listed(list, p) || listed(list, usr);
                if (in != modules_host_has(name))
                        fail_msg("--host-only: %s is %s the image but %s loaded here", name,
                                 in ? "in" : "not in", in ? "not" : "is");
        }
        fmt_path(p, "lib/modules/%s/kernel/drivers/md/dm-crypt.ko", kver);
        assert_listed(list, p);
}

/* In this process: the console keymap of vconsole.conf is compiled into the image. */
static void test_mki_build_keymap(void **state) {
        char img[PATH_MAX], vc[PATH_MAX];
        _cleanup_free_ char *list = NULL;
        struct mki_result res;
        if (access("/usr/bin/loadkeys", X_OK) < 0 && access("/bin/loadkeys", X_OK) < 0)
                skip();
        in_dir(img, "keymap.img");
        in_dir(vc, "vconsole.conf");
        assert_int_equal(tl_run(NULL, true, "printf 'FONT=x\\nKEYMAP=\"us\"\\n' > '%s'", vc), 0);
        struct mki_options o = {
                .kernel = kver,
                .output = img,
                .koompi_init = "/bin/ls",
                .compress = "none",
                .vconsole = vc,
                .config = NULL,
        };
        assert_int_equal(mki_build(&o, &res), MKI_EXIT_OK);
        assert_true(res.files > 50);
        assert_true(res.modules > 3);
        struct stat st;
        assert_int_equal(stat(img, &st), 0);
        assert_int_equal((uint64_t)st.st_size, res.size);
        assert_int_equal(tl_run(&list, true, "bsdtar -tf '%s'", img), 0);
        assert_true(listed(list, "etc/koompi/keymap.bmap"));

        /* A keymap that does not exist fails the build, and nothing is written. */
        assert_int_equal(unlink(img), 0);
        assert_int_equal(tl_run(NULL, true, "printf 'KEYMAP=no-such-map-q\\n' > '%s'", vc), 0);
        assert_int_equal(mki_build(&o, &res), MKI_EXIT_INPUT);
        file_is_absent(img);

        /* Without KEYMAP= there is none. */
        assert_int_equal(tl_run(NULL, true, "printf 'FONT=x\\n' > '%s'", vc), 0);
        assert_int_equal(mki_build(&o, &res), MKI_EXIT_OK);
        free(list);
        list = NULL;
        assert_int_equal(tl_run(&list, true, "bsdtar -tf '%s'", img), 0);
        assert_false(listed(list, "etc/koompi/keymap.bmap"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mki_parse_include),
                cmocka_unit_test(test_mki_image_config),
                cmocka_unit_test(test_mki_image_config_valid_hosts),
                cmocka_unit_test(test_mki_image_config_module_words),
                cmocka_unit_test(test_mki_image_config_check_names_line),
                cmocka_unit_test(test_mki_default_image),
                cmocka_unit_test(test_mki_reproducible),
                cmocka_unit_test(test_mki_unknown_kernel),
                cmocka_unit_test(test_mki_password_hash_cost),
                cmocka_unit_test(test_mki_bad_inputs),
                cmocka_unit_test(test_mki_refuses_costly_hash),
                cmocka_unit_test(test_mki_refuses_unreadable_image_config),
                cmocka_unit_test(test_mki_warns_auth_none),
                cmocka_unit_test(test_mki_help),
                cmocka_unit_test(test_mki_init_script_and_modules),
                cmocka_unit_test(test_mki_host_only),
                cmocka_unit_test(test_mki_build_keymap),
                cmocka_unit_test(test_mki_cache),
                cmocka_unit_test(test_mki_cache_parts),
                cmocka_unit_test(test_mki_best),
                cmocka_unit_test(test_mki_busybox_for_shell_only),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
