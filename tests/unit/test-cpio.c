/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cpio.h"
#include "sha256.h"
#include "testlib.h"
#include "util.h"

static char dir[TL_TMP_MAX];

static int setup(void **state) {
        return tl_tmpdir_new(dir, sizeof dir, "cpio") < 0 ? -1 : 0;
}

static int teardown(void **state) {
        return tl_tmpdir_remove(dir) < 0 ? -1 : 0;
}

static const char *path_in(const char *name) {
        return tl_path(dir, name);
}

/* Finds the line of name in a `bsdtar -tv` listing ("MODE NLINK UID GID SIZE MON DAY YEAR
 * NAME") and checks its fields; owners must be 0 and the date the epoch. */
static void check_listed(const char *listing, const char *name, const char *mode, const char *size) {
        char m[32], uid[32], gid[32], sz[32], mon[8], day[8], year[8], n[PATH_MAX];
        unsigned nlink;
        for (const char *l = listing; *l; l = strchr(l, '\n') + 1) {
                if (sscanf(l, "%31s %u %31s %31s %31s %7s %7s %7s %4095s", m, &nlink, uid, gid, sz, mon, day,
                           year, n) != 9)
                        fail_msg("cannot parse: %.80s", l);
                if (streq(n, name)) {
                        assert_string_equal(m, mode);
                        assert_string_equal(uid, "0");
                        assert_string_equal(gid, "0");
                        assert_string_equal(sz, size);
                        assert_string_equal(year, "1970");
                        return;
                }
                if (!strchr(l, '\n'))
                        break;
        }
        fail_msg("%s is not listed", name);
}

static int sink_to_fd(const void *buf, size_t len, void *userdata) {
        return write_full(*(int *)userdata, buf, len);
}

static struct cpio *sample(void) {
        struct cpio *c = NULL;
        assert_int_equal(cpio_new(0, &c), 0);
        tl_write_mode(path_in("hello"), "hello world\n", 0644);
        tl_write_mode(path_in("script"), "#!/bin/sh\necho hi\n", 0755);
        tl_write_mode(path_in("empty"), "", 0600);
        /* Out of order, and "usr/bin" implied by its file. */
        assert_int_equal(cpio_add_file(c, "/usr/bin/script", CPIO_MODE_FROM_SOURCE, path_in("script")), 0);
        assert_int_equal(cpio_add_symlink(c, "/bin", "usr/bin"), 0);
        assert_int_equal(cpio_add_dir(c, "/proc", 0555), 0);
        assert_int_equal(cpio_add_dir(c, "/tmp", 01777), 0);
        assert_int_equal(cpio_add_chardev(c, "/dev/console", 0600, 5, 1), 0);
        assert_int_equal(cpio_add_chardev(c, "/dev/null", 0666, 1, 3), 0);
        assert_int_equal(cpio_add_file(c, "/etc/hello", 0644, path_in("hello")), 0);
        assert_int_equal(cpio_add_file(c, "/etc/empty", CPIO_MODE_FROM_SOURCE, path_in("empty")), 0);
        assert_int_equal(cpio_add_data(c, "/etc/abc", 0640, "abc", 3), 0);
        assert_int_equal(cpio_add_data(c, "/etc/five", 0644, "12345", 5), 0);
        assert_int_equal(cpio_add_symlink(c, "/etc/link", "/etc/hello"), 0);
        return c;
}

/* The entries every reader must list, sorted. */
static const char *const sample_paths[] = {
        "bin",       "dev",      "dev/console", "dev/null", "etc", "etc/abc", "etc/empty",      "etc/five",
        "etc/hello", "etc/link", "proc",        "tmp",      "usr", "usr/bin", "usr/bin/script",
};

static void test_cpio_tool_lists(void **state) {
        _cleanup_cpio_ struct cpio *c = sample();
        assert_int_equal(cpio_count(c), ELEMENTSOF(sample_paths));
        char img[PATH_MAX];
        snprintf(img, sizeof img, "%s", path_in("a.cpio"));
        int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        uint64_t size = 0;
        assert_int_equal(cpio_write_fd(c, fd, &size), 0);
        close(fd);
        struct stat st;
        assert_int_equal(stat(img, &st), 0);
        assert_int_equal((uint64_t)st.st_size, size);
        assert_int_equal(size % 4, 0);

        _cleanup_free_ char *list = tl_output("cpio --quiet -t < '%s'", img);
        char expect[1024] = "";
        for (size_t i = 0; i < ELEMENTSOF(sample_paths); i++)
                strcat(strcat(expect, sample_paths[i]), "\n");
        assert_string_equal(list, expect);

        /* bsdtar reads the same archive independently: types, modes, owners, sizes. */
        _cleanup_free_ char *v = tl_output("bsdtar -tvf '%s'", img);
        check_listed(v, "dev/console", "crw-------", "5,1");
        check_listed(v, "dev/null", "crw-rw-rw-", "1,3");
        check_listed(v, "usr/bin/script", "-rwxr-xr-x", "18");
        check_listed(v, "etc/abc", "-rw-r-----", "3");
        check_listed(v, "etc/empty", "-rw-------", "0");
        check_listed(v, "bin", "lrwxrwxrwx", "7");
        check_listed(v, "tmp", "drwxrwxrwt", "0");
        check_listed(v, "proc", "dr-xr-xr-x", "0");
        assert_non_null(strstr(v, " bin -> usr/bin\n"));
        assert_null(strstr(v, "TRAILER"));
}

static void test_cpio_extracts(void **state) {
        _cleanup_cpio_ struct cpio *c = sample();
        char img[PATH_MAX], out[PATH_MAX];
        snprintf(img, sizeof img, "%s", path_in("b.cpio"));
        int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(cpio_write_fd(c, fd, NULL), 0);
        close(fd);

        snprintf(out, sizeof out, "%s", path_in("x"));
        assert_int_equal(mkdir(out, 0755), 0);
        _cleanup_free_ char *o = tl_output("cd '%s' && cpio --quiet -i -d -m --no-absolute-filenames "
                                           "--nonmatching 'dev/*' < '%s'",
                                           out, img);
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(read_file(path_in("x/etc/hello"), &data, &len), 0);
        assert_string_equal(data, "hello world\n");
        free(data);
        assert_int_equal(read_file(path_in("x/etc/five"), &data, &len), 0);
        assert_int_equal(len, 5);
        assert_memory_equal(data, "12345", 5);
        free(data);
        assert_int_equal(read_file(path_in("x/bin/script"), &data, &len), 0);
        assert_string_equal(data, "#!/bin/sh\necho hi\n");
        free(data);
        char target[PATH_MAX] = "";
        assert_true(readlink(path_in("x/etc/link"), target, sizeof target - 1) > 0);
        assert_string_equal(target, "/etc/hello");
        struct stat st;
        assert_int_equal(stat(path_in("x/usr/bin/script"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(st.st_mtime, 0);

        /* One file at a time through bsdtar, to its standard output. */
        _cleanup_free_ char *abc = tl_output("bsdtar -xOf '%s' etc/abc", img);
        assert_string_equal(abc, "abc");
}

static unsigned long hex8(const char *p) {
        char b[9];
        memcpy(b, p, 8);
        b[8] = 0;
        return strtoul(b, NULL, 16);
}

/* Walks the archive with the rules of the format: every header at a multiple of 4, the
 * fields, and the trailer last. */
static void test_cpio_format(void **state) {
        _cleanup_cpio_ struct cpio *c = sample();
        _cleanup_free_ void *buf = NULL;
        size_t len = 0;
        assert_int_equal(cpio_write_mem(c, &buf, &len), 0);
        const char *p = buf;
        size_t off = 0, n = 0;
        unsigned long last_ino = 0;
        for (;;) {
                assert_true(off + 110 <= len);
                assert_int_equal(off % 4, 0);
                assert_memory_equal(p + off, "070701", 6);
                unsigned long ino = hex8(p + off + 6), mode = hex8(p + off + 14);
                unsigned long uid = hex8(p + off + 22), gid = hex8(p + off + 30);
                unsigned long mtime = hex8(p + off + 46), size = hex8(p + off + 54);
                unsigned long namesize = hex8(p + off + 94);
                const char *name = p + off + 110;
                assert_int_equal(name[namesize - 1], 0);
                assert_int_equal(uid, 0);
                assert_int_equal(gid, 0);
                assert_int_equal(mtime, 0);
                off += 110 + namesize;
                off = (off + 3) & ~(size_t)3;
                if (streq(name, "TRAILER!!!")) {
                        assert_int_equal(ino, 0);
                        assert_int_equal(off, len);
                        break;
                }
                assert_true(n < ELEMENTSOF(sample_paths));
                assert_string_equal(name, sample_paths[n]);
                assert_int_equal(ino, last_ino + 1);
                last_ino = ino;
                if (streq(name, "etc/five")) {
                        assert_int_equal(size, 5);
                        assert_int_equal(mode, 0100644);
                        assert_memory_equal(p + off, "12345", 5);
                }
                if (streq(name, "bin")) {
                        assert_int_equal(size, 7);
                        assert_memory_equal(p + off, "usr/bin", 7);
                }
                off += size;
                off = (off + 3) & ~(size_t)3;
                n++;
        }
        assert_int_equal(n, ELEMENTSOF(sample_paths));
}

static void test_cpio_reproducible(void **state) {
        _cleanup_cpio_ struct cpio *a = sample();
        _cleanup_free_ void *b1 = NULL, *b2 = NULL, *b3 = NULL;
        size_t l1 = 0, l2 = 0, l3 = 0;
        assert_int_equal(cpio_write_mem(a, &b1, &l1), 0);
        assert_int_equal(cpio_write_mem(a, &b2, &l2), 0);
        assert_int_equal(l1, l2);
        assert_memory_equal(b1, b2, l1);

        /* The same entries added in another order give the same bytes. */
        _cleanup_cpio_ struct cpio *c = NULL;
        assert_int_equal(cpio_new(0, &c), 0);
        assert_int_equal(cpio_add_symlink(c, "etc/link", "/etc/hello"), 0);
        assert_int_equal(cpio_add_data(c, "etc/five", 0644, "12345", 5), 0);
        assert_int_equal(cpio_add_data(c, "etc/abc", 0640, "abc", 3), 0);
        assert_int_equal(cpio_add_file(c, "etc/empty", 0600, path_in("empty")), 0);
        assert_int_equal(cpio_add_file(c, "etc/hello", 0644, path_in("hello")), 0);
        assert_int_equal(cpio_add_chardev(c, "dev/null", 0666, 1, 3), 0);
        assert_int_equal(cpio_add_chardev(c, "dev/console", 0600, 5, 1), 0);
        assert_int_equal(cpio_add_dir(c, "tmp", 01777), 0);
        assert_int_equal(cpio_add_dir(c, "proc", 0555), 0);
        assert_int_equal(cpio_add_dir(c, "usr/bin", 0755), 0);
        assert_int_equal(cpio_add_symlink(c, "bin", "usr/bin"), 0);
        assert_int_equal(cpio_add_file(c, "bin/script", 0755, path_in("script")), 0);
        assert_int_equal(cpio_write_mem(c, &b3, &l3), 0);
        assert_int_equal(l1, l3);
        assert_memory_equal(b1, b3, l1);
}

static void test_cpio_mtime(void **state) {
        uint32_t t = 1;
        unsetenv("SOURCE_DATE_EPOCH");
        assert_int_equal(cpio_mtime_from_env(&t), 0);
        assert_int_equal(t, 0);
        setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
        assert_int_equal(cpio_mtime_from_env(&t), 0);
        assert_int_equal(t, 1700000000);
        setenv("SOURCE_DATE_EPOCH", "soon", 1);
        assert_int_equal(cpio_mtime_from_env(&t), -EINVAL);
        setenv("SOURCE_DATE_EPOCH", "99999999999", 1);
        assert_int_equal(cpio_mtime_from_env(&t), -EINVAL);
        unsetenv("SOURCE_DATE_EPOCH");

        _cleanup_cpio_ struct cpio *c = NULL;
        assert_int_equal(cpio_new(1700000000, &c), 0);
        assert_int_equal(cpio_add_data(c, "f", 0644, "x", 1), 0);
        _cleanup_free_ void *buf = NULL;
        size_t len = 0;
        assert_int_equal(cpio_write_mem(c, &buf, &len), 0);
        assert_int_equal(hex8((char *)buf + 46), 1700000000);
}

static void test_cpio_paths(void **state) {
        _cleanup_cpio_ struct cpio *c = NULL;
        unsigned mode = 0;
        assert_int_equal(cpio_new(0, &c), 0);
        assert_int_equal(cpio_add_symlink(c, "/lib64", "usr/lib64"), 0);
        assert_int_equal(cpio_add_symlink(c, "/usr/lib64/ld.so", "/lib/x/ld.so"), 0);
        assert_int_equal(cpio_add_symlink(c, "/lib", "usr/lib"), 0);
        assert_int_equal(cpio_add_data(c, "/lib/x/ld.so", 0755, "ELF", 3), 0);
        /* Stored below the targets of the symlinked parents. */
        assert_int_equal(cpio_stat(c, "usr/lib/x/ld.so", &mode), 0);
        assert_true(S_ISREG(mode));
        assert_int_equal(cpio_stat(c, "/usr/lib64/ld.so", &mode), 0);
        assert_true(S_ISLNK(mode));
        assert_int_equal(cpio_stat(c, "//lib64/./ld.so", &mode), 0);
        assert_true(S_ISLNK(mode));
        assert_int_equal(cpio_stat(c, "lib/x/../x/ld.so", &mode), 0);
        assert_true(S_ISREG(mode));
        assert_int_equal(cpio_stat(c, "lib/x/nothing", NULL), -ENOENT);
        assert_int_equal(cpio_stat(c, "usr/lib", &mode), 0);
        assert_true(S_ISDIR(mode));

        /* Relative targets with "..". */
        assert_int_equal(cpio_add_symlink(c, "/usr/share/up", "../lib/x"), 0);
        assert_int_equal(cpio_add_data(c, "/usr/share/up/y", 0644, "y", 1), 0);
        assert_int_equal(cpio_stat(c, "usr/lib/x/y", NULL), 0);

        /* The same entry again is fine, a different one is not. */
        assert_int_equal(cpio_add_symlink(c, "/lib", "usr/lib"), 0);
        assert_int_equal(cpio_add_symlink(c, "/lib", "usr/lib32"), -EEXIST);
        assert_int_equal(cpio_add_data(c, "/lib/x/ld.so", 0755, "ELF", 3), 0);
        assert_int_equal(cpio_add_data(c, "/lib/x/ld.so", 0755, "ELG", 3), -EEXIST);
        assert_int_equal(cpio_add_dir(c, "/lib/x/ld.so", 0755), -EEXIST);
        assert_int_equal(cpio_add_dir(c, "/usr/lib/x", 0700), 0);
        assert_int_equal(cpio_add_dir(c, "/usr/lib/x", 0755), 0);
        /* An implicit directory takes the mode of a later explicit add. */
        assert_int_equal(cpio_stat(c, "/usr/lib/x", &mode), 0);
        assert_int_equal(mode, S_IFDIR | 0700);

        /* A file as a parent, loops, and paths above the root. */
        assert_int_equal(cpio_add_data(c, "/lib/x/ld.so/z", 0644, "", 0), -ENOTDIR);
        assert_int_equal(cpio_add_symlink(c, "/loop", "loop"), 0);
        assert_int_equal(cpio_add_data(c, "/loop/z", 0644, "", 0), -ELOOP);
        assert_int_equal(cpio_add_dir(c, "/../etc", 0755), -EINVAL);
        assert_int_equal(cpio_add_dir(c, "/", 0755), -EINVAL);
        assert_int_equal(cpio_add_symlink(c, "/empty", ""), -EINVAL);
}

/* The name that ends an archive cannot be added, nor anything below it, however spelled: what
 * came after it would never reach the initramfs. */
static void test_cpio_trailer_name(void **state) {
        _cleanup_cpio_ struct cpio *c = NULL;
        _cleanup_free_ void *buf = NULL;
        size_t len = 0;
        assert_int_equal(cpio_new(0, &c), 0);
        assert_int_equal(cpio_add_data(c, "/TRAILER!!!", 0644, "x", 1), -EINVAL);
        assert_int_equal(cpio_add_dir(c, "TRAILER!!!", 0755), -EINVAL);
        assert_int_equal(cpio_add_data(c, "/TRAILER!!!/x", 0644, "x", 1), -EINVAL);
        assert_int_equal(cpio_add_data(c, "/etc/../TRAILER!!!/x", 0644, "x", 1), -EINVAL);
        assert_int_equal(cpio_add_symlink(c, "/t", "TRAILER!!!"), 0);
        assert_int_equal(cpio_add_data(c, "/t/x", 0644, "x", 1), -EINVAL);
        /* Only the whole name: a longer one is a name like any other. */
        assert_int_equal(cpio_add_data(c, "/TRAILER!!!x", 0644, "x", 1), 0);
        assert_int_equal(cpio_add_data(c, "/etc/TRAILER!!!", 0644, "x", 1), 0);
        assert_int_equal(cpio_stat(c, "/TRAILER!!!", NULL), -ENOENT);
        assert_int_equal(cpio_count(c), 4);
        assert_int_equal(cpio_write_mem(c, &buf, &len), 0);
}

static void test_cpio_bad_sources(void **state) {
        _cleanup_cpio_ struct cpio *c = NULL;
        assert_int_equal(cpio_new(0, &c), 0);
        assert_int_equal(cpio_add_file(c, "/x", 0644, path_in("does-not-exist")), -ENOENT);
        assert_int_equal(cpio_add_file(c, "/x", 0644, dir), -EISDIR);
        assert_int_equal(cpio_add_file(c, "/x", 0644, "/dev/null"), -EINVAL);
        assert_int_equal(cpio_count(c), 0);

        /* A file removed between adding and writing fails the write. */
        tl_write_mode(path_in("gone"), "soon gone", 0644);
        assert_int_equal(cpio_add_file(c, "/x", 0644, path_in("gone")), 0);
        assert_int_equal(unlink(path_in("gone")), 0);
        void *buf = NULL;
        size_t len = 0;
        assert_int_equal(cpio_write_mem(c, &buf, &len), -ENOENT);
        assert_null(buf);
        /* The library does not log: it says which file, for the program's message. */
        char want[PATH_MAX + 64];
        snprintf(want, sizeof want, "cannot open %s", path_in("gone"));
        assert_string_equal(cpio_write_error(c), want);
        assert_int_equal(mkdir(path_in("gone"), 0755), 0);
        assert_int_equal(cpio_write_mem(c, &buf, &len), -EINVAL);
        snprintf(want, sizeof want, "%s is no longer a regular file", path_in("gone"));
        assert_string_equal(cpio_write_error(c), want);
        assert_int_equal(rmdir(path_in("gone")), 0);
        tl_write_mode(path_in("gone"), "back", 0644);
        assert_int_equal(cpio_write_mem(c, &buf, &len), 0);
        assert_string_equal(cpio_write_error(c), "");
        free(buf);
}

/* Counts the pieces a sink is given and keeps their bytes. */
struct pieces {
        size_t n, largest;
        char *data;
        size_t len;
};

static int sink_pieces(const void *buf, size_t len, void *userdata) {
        struct pieces *p = userdata;
        p->data = realloc(p->data, p->len + len);
        assert_non_null(p->data);
        memcpy(p->data + p->len, buf, len);
        p->len += len;
        p->n++;
        p->largest = len > p->largest ? len : p->largest;
        return 0;
}

/* Writes c through sink_pieces and checks the bytes are those of cpio_write_mem(). */
static void write_pieces(struct cpio *c, struct pieces *p) {
        _cleanup_free_ void *mem = NULL;
        size_t len = 0;
        uint64_t size = 0;
        assert_int_equal(cpio_write(c, sink_pieces, p, &size), 0);
        assert_int_equal(cpio_write_mem(c, &mem, &len), 0);
        assert_int_equal(size, p->len);
        assert_int_equal(len, p->len);
        assert_memory_equal(mem, p->data, len);
}

/* The output buffer is sized to the archive (at most 1 MiB): a small archive reaches the sink
 * in one piece, a large one in pieces of at most 1 MiB, and a source file that grew past the
 * buffer after it was added is written whole, as it is when written. */
static void test_cpio_buffer_sizes(void **state) {
        _cleanup_cpio_ struct cpio *c = sample();
        struct pieces small = { 0 }, grown = { 0 };
        write_pieces(c, &small);
        assert_int_equal(small.n, 1);
        free(small.data);

        size_t big = 3 * 1024 * 1024 + 5;
        _cleanup_free_ char *content = malloc(big);
        assert_non_null(content);
        memset(content, 'x', big);
        tl_write_mode(path_in("grows"), "small", 0644);
        assert_int_equal(cpio_add_file(c, "/etc/grows", 0644, path_in("grows")), 0);
        int fd = open(path_in("grows"), O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write_full(fd, content, big), 0);
        close(fd);
        write_pieces(c, &grown);
        assert_true(grown.n >= 4);
        assert_true(grown.largest <= 1024 * 1024);
        assert_non_null(memmem(grown.data, grown.len, content, big));
        free(grown.data);

        _cleanup_cpio_ struct cpio *large = NULL;
        struct pieces pieces = { 0 };
        assert_int_equal(cpio_new(0, &large), 0);
        assert_int_equal(cpio_add_data(large, "/big", 0644, content, big), 0);
        write_pieces(large, &pieces);
        assert_int_equal(pieces.n, 4);
        assert_int_equal(pieces.largest, 1024 * 1024);
        free(pieces.data);
}

/* Writes one segment to a file and returns bsdtar's listing of it (free it). */
static char *segment_listing(struct cpio *c, unsigned segment, const char *name) {
        char img[PATH_MAX];
        snprintf(img, sizeof img, "%s", path_in(name));
        int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(cpio_write_segment(c, segment, sink_to_fd, &fd, NULL), 0);
        close(fd);
        return tl_output("bsdtar -tf '%s'", img);
}

static void test_cpio_segments(void **state) {
        _cleanup_cpio_ struct cpio *c = NULL;
        assert_int_equal(cpio_new(0, &c), 0);
        tl_write_mode(path_in("lib"), "a library", 0644);
        tl_write_mode(path_in("conf"), "a setting", 0644);
        assert_int_equal(cpio_add_dir(c, "/etc", 0755), 0);
        assert_int_equal(cpio_add_data(c, "/etc/release", 0644, "v1", 2), 0);
        cpio_set_segment(c, 1);
        assert_int_equal(cpio_add_file(c, "/usr/lib/x/libx.so", 0644, path_in("lib")), 0);
        assert_int_equal(cpio_add_symlink(c, "/usr/lib/x/libx.so.1", "libx.so"), 0);
        cpio_set_segment(c, 0);
        assert_int_equal(cpio_add_file(c, "/etc/koompi/conf", 0600, path_in("conf")), 0);
        assert_int_equal(cpio_segment_count(c, 1), 2);
        assert_int_equal(cpio_segment_count(c, 0), 2);
        assert_int_equal(cpio_segment_count(c, 7), 0);

        /* Each segment is a whole archive: its entries and the directories above them. */
        _cleanup_free_ char *one = segment_listing(c, 1, "seg1.cpio");
        assert_string_equal(one,
                            "usr\nusr/lib\nusr/lib/x\nusr/lib/x/libx.so\n"
                            "usr/lib/x/libx.so.1\n");
        _cleanup_free_ char *zero = segment_listing(c, 0, "seg0.cpio");
        assert_string_equal(zero, "etc\netc/koompi\netc/koompi/conf\netc/release\n");

        /* Unpacked one after the other, as the kernel unpacks archives laid end to end
         * (cpio(1) stops at the first trailer), they give the whole tree. */
        _cleanup_free_ char *x = tl_output("cd '%s' && mkdir -p u && cd u && cpio --quiet -i -d "
                                           "< ../seg1.cpio && cpio --quiet -i -d < ../seg0.cpio && "
                                           "cd .. && find u | sort | tr '\\n' ' '",
                                           dir);
        assert_string_equal(x,
                            "u u/etc u/etc/koompi u/etc/koompi/conf u/etc/release u/usr "
                            "u/usr/lib u/usr/lib/x u/usr/lib/x/libx.so u/usr/lib/x/libx.so.1 ");

        /* The digest follows the files of its segment, and only them. */
        uint8_t a[32], b[32], d[32];
        assert_int_equal(cpio_segment_digest(c, 1, a), 0);
        assert_int_equal(cpio_segment_digest(c, 1, b), 0);
        assert_memory_equal(a, b, 32);
        tl_write_mode(path_in("conf"), "another setting", 0644);
        assert_int_equal(cpio_segment_digest(c, 1, b), 0);
        assert_memory_equal(a, b, 32);
        assert_int_equal(cpio_segment_digest(c, 0, d), 0);
        tl_write_mode(path_in("lib"), "a new library", 0644);
        assert_int_equal(cpio_segment_digest(c, 1, b), 0);
        assert_memory_not_equal(a, b, 32);
        assert_int_equal(unlink(path_in("lib")), 0);
        assert_int_equal(cpio_segment_digest(c, 1, b), -ENOENT);
}

/* The digest of a segment follows the content of its files, not where they lie: the same bytes
 * read from another place (another root's snapshot of them) give the same digest, one byte
 * changed under the same size and times another. */
static void test_cpio_digest_by_content(void **state) {
        _cleanup_cpio_ struct cpio *c = NULL, *d = NULL;
        uint8_t a[32], b[32], e[32];
        struct timespec times[2] = { { .tv_sec = 1700000000 }, { .tv_sec = 1700000000 } };
        tl_write_mode(path_in("mod-a.ko"), "module bytes, thirty-two of them", 0644);
        tl_write_mode(path_in("mod-b.ko"), "module bytes, thirty-two of them", 0600);
        assert_int_equal(cpio_new(0, &c), 0);
        assert_int_equal(cpio_new(0, &d), 0);
        assert_int_equal(cpio_add_file(c, "/lib/m.ko", 0644, path_in("mod-a.ko")), 0);
        assert_int_equal(cpio_add_file(d, "/lib/m.ko", 0644, path_in("mod-b.ko")), 0);
        assert_int_equal(cpio_segment_digest(c, 0, a), 0);
        assert_int_equal(cpio_segment_digest(d, 0, b), 0);
        assert_memory_equal(a, b, 32);

        assert_int_equal(utimensat(AT_FDCWD, path_in("mod-a.ko"), times, 0), 0);
        assert_int_equal(cpio_segment_digest(c, 0, e), 0);
        assert_memory_equal(a, e, 32);
        tl_write_mode(path_in("mod-a.ko"), "module bytes, thirty-two of thEm", 0644);
        assert_int_equal(utimensat(AT_FDCWD, path_in("mod-a.ko"), times, 0), 0);
        assert_int_equal(cpio_segment_digest(c, 0, e), 0);
        assert_memory_not_equal(a, e, 32);

        /* The bytes of an entry never read as a file of the same length whose digest they are. */
        _cleanup_cpio_ struct cpio *f = NULL;
        uint8_t file_digest[32];
        assert_int_equal(sha256_file(path_in("mod-b.ko"), file_digest, NULL), 0);
        assert_int_equal(cpio_new(0, &f), 0);
        assert_int_equal(cpio_add_data(f, "/lib/m.ko", 0644, file_digest, sizeof file_digest), 0);
        assert_int_equal(cpio_segment_digest(f, 0, e), 0);
        assert_memory_not_equal(b, e, 32);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cpio_tool_lists),   cmocka_unit_test(test_cpio_extracts),
                cmocka_unit_test(test_cpio_format),       cmocka_unit_test(test_cpio_reproducible),
                cmocka_unit_test(test_cpio_mtime),        cmocka_unit_test(test_cpio_paths),
                cmocka_unit_test(test_cpio_bad_sources),  cmocka_unit_test(test_cpio_trailer_name),
                cmocka_unit_test(test_cpio_segments),     cmocka_unit_test(test_cpio_digest_by_content),
                cmocka_unit_test(test_cpio_buffer_sizes),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
