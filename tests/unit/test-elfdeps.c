/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "elfdeps.h"
#include "testlib.h"
#include "util.h"

static char dir[TL_TMP_MAX];

static int setup(void **state) {
        return tl_tmpdir_new(dir, sizeof dir, "elf") < 0 ? -1 : 0;
}

static int teardown(void **state) {
        return tl_tmpdir_remove(dir) < 0 ? -1 : 0;
}

/* What the dynamic loader itself maps for binary: it traces instead of running it. Lines
 * are "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
 * "\t/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file. */
static void loader_set(const char *binary, struct tl_set *out) {
        char cmd[PATH_MAX + 64];
        snprintf(cmd, sizeof cmd, "LD_TRACE_LOADED_OBJECTS=1 LD_LIBRARY_PATH= '%s'", binary);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        char line[PATH_MAX + 64];
        while (fgets(line, sizeof line, f)) {
                char *p = strstr(line, "=> ");
                p = p ? p + 3 : line + strspn(line, " \t");
                if (*p != '/')
                        continue;
                p[strcspn(p, " \n")] = 0;
                tl_set_add(out, p);
        }
        assert_int_equal(pclose(f), 0);
        assert_true(out->n > 0);
}

static void closure_set(const struct elf_closure *c, struct tl_set *out) {
        for (size_t i = 0; i < c->n; i++)
                if (c->files[i].kind != ELF_FILE_BINARY)
                        tl_set_add(out, c->files[i].path);
}

static void compare_with_loader(const char *binary) {
        struct elf_closure c = { 0 };
        struct tl_set mine = { 0 }, loader = { 0 };
        assert_int_equal(elf_closure_add(&c, binary), 0);
        assert_string_equal(c.files[0].path, binary);
        assert_int_equal(c.files[0].kind, ELF_FILE_BINARY);
        closure_set(&c, &mine);
        loader_set(binary, &loader);
        tl_set_assert_equal(&mine, &loader, binary, "closure", "loader");
        tl_set_free(&mine);
        tl_set_free(&loader);
        elf_closure_done(&c);
}

static void test_elf_read(void **state) {
        struct elf_info info = { 0 };
        assert_int_equal(elf_read("/bin/ls", &info), 0);
        assert_int_equal(info.machine, EM_X86_64);
        assert_true(info.dynamic);
        assert_non_null(info.interp);
        assert_string_equal(info.interp, "/lib64/ld-linux-x86-64.so.2");
        bool libc = false;
        for (char **n = info.needed; *n; n++)
                libc = libc || streq(*n, "libc.so.6");
        assert_true(libc);
        elf_info_done(&info);

        assert_int_equal(elf_read("/lib/x86_64-linux-gnu/libc.so.6", &info), 0);
        assert_non_null(info.soname);
        assert_string_equal(info.soname, "libc.so.6");
        elf_info_done(&info);
        assert_int_equal(elf_read("/lib/x86_64-linux-gnu/libkmod.so.2", &info), 0);
        assert_string_equal(info.soname, "libkmod.so.2");
        assert_null(info.interp);
        elf_info_done(&info);

        assert_int_equal(elf_read("/bin/busybox", &info), 0);
        assert_null(info.interp);
        assert_null(info.needed[0]);
        elf_info_done(&info);
}

static void test_elf_read_bad(void **state) {
        char p[PATH_MAX];
        struct elf_info info = { 0 };
        snprintf(p, sizeof p, "%s/script", dir);
        tl_sh("printf '#!/bin/sh\\necho hi\\n' > '%s'", p);
        assert_int_equal(elf_read(p, &info), -ENOEXEC);
        snprintf(p, sizeof p, "%s/nothing", dir);
        assert_int_equal(elf_read(p, &info), -ENOENT);
        assert_int_equal(elf_read(dir, &info), -EISDIR);

        /* A 32-bit header. */
        snprintf(p, sizeof p, "%s/elf32", dir);
        tl_sh("printf '\\177ELF\\001\\001\\001\\000\\000\\000\\000\\000\\000\\000\\000\\000' > '%s'", p);
        assert_int_equal(elf_read(p, &info), -EPROTONOSUPPORT);

        /* Cut short: the headers point past the end. */
        snprintf(p, sizeof p, "%s/short", dir);
        tl_sh("head -c 200 /bin/ls > '%s'", p);
        assert_int_equal(elf_read(p, &info), -EBADMSG);
        tl_sh("head -c 40 /bin/ls > '%s'", p);
        assert_int_equal(elf_read(p, &info), -EBADMSG);
}

/* An ELF64 header of this machine, program headers right after it, then their strings. */
struct two_interps {
        Elf64_Ehdr eh;
        Elf64_Phdr ph[2];
        char strings[32];
};

static void test_elf_read_two_interpreters(void **state) {
        struct two_interps f = { 0 };
        struct elf_info info = { 0 };
        char p[PATH_MAX];
        memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
        f.eh.e_ident[EI_CLASS] = ELFCLASS64;
        f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
        f.eh.e_ident[EI_VERSION] = EV_CURRENT;
        f.eh.e_type = ET_EXEC;
        f.eh.e_machine = EM_X86_64;
        f.eh.e_phoff = offsetof(struct two_interps, ph);
        f.eh.e_phentsize = sizeof(Elf64_Phdr);
        f.eh.e_phnum = 2;
        memcpy(f.strings, "/lib/ld-a.so\0/lib/ld-b.so", 26);
        for (int i = 0; i < 2; i++)
                f.ph[i] = (Elf64_Phdr) { .p_type = PT_INTERP,
                                         .p_offset = offsetof(struct two_interps, strings) + 13 * (unsigned)i,
                                         .p_filesz = 13 };
        snprintf(p, sizeof p, "%s/two-interps", dir);
        tl_write_file(p, (const char *)&f, sizeof f, 0755);
        /* Refused, and nothing of the first is left behind (LeakSanitizer would say so). */
        assert_int_equal(elf_read(p, &info), -EBADMSG);
        assert_null(info.interp);
        /* With one, it is read. */
        f.eh.e_phnum = 1;
        tl_write_file(p, (const char *)&f, sizeof f, 0755);
        assert_int_equal(elf_read(p, &info), 0);
        assert_string_equal(info.interp, "/lib/ld-a.so");
        elf_info_done(&info);
}

static void test_elf_closure_system_binaries(void **state) {
        compare_with_loader("/bin/ls");
        if (access("/usr/sbin/cryptsetup", X_OK) == 0)
                compare_with_loader("/usr/sbin/cryptsetup");
        if (access("/usr/bin/bsdtar", X_OK) == 0)
                compare_with_loader("/usr/bin/bsdtar");
}

static void test_elf_closure_static(void **state) {
        struct elf_closure c = { 0 };
        assert_int_equal(elf_closure_add(&c, "/bin/busybox"), 0);
        assert_int_equal(c.n, 1);
        assert_string_equal(c.files[0].path, "/bin/busybox");
        elf_closure_done(&c);
}

static void test_elf_closure_not_elf(void **state) {
        struct elf_closure c = { 0 };
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/script2", dir);
        tl_sh("printf '#!/bin/sh\\n' > '%s'", p);
        assert_int_equal(elf_closure_add(&c, p), -ENOEXEC);
        assert_int_equal(c.n, 0);
        elf_closure_done(&c);
}

/* Builds, below dir/NAME: lib2/libbar.so; lib/libfoo.so needing libbar (found through
 * foo_link); exe needing libfoo (through exe_link). */
static void build_tree(const char *name, const char *foo_link, const char *exe_link, bool runs) {
        tl_sh("set -e; d='%s/%s'; mkdir -p \"$d/lib\" \"$d/lib2\"; cd \"$d\"; "
              "echo 'int bar(void) { return 2; }' > bar.c; "
              "echo 'int bar(void); int foo(void) { return bar() + 1; }' > foo.c; "
              "echo 'int foo(void); int main(void) { return foo() == 3 ? 0 : 1; }' > exe.c; "
              "cc -shared -fPIC -o lib2/libbar.so -Wl,-soname,libbar.so bar.c; "
              "cc -shared -fPIC -o lib/libfoo.so.1.0 -Wl,-soname,libfoo.so.1 foo.c "
              "-Llib2 -lbar %s; "
              "ln -sf libfoo.so.1.0 lib/libfoo.so.1; ln -sf libfoo.so.1 lib/libfoo.so; "
              "cc -o exe exe.c -Llib -lfoo -Wl,-rpath-link,lib2 %s; %s",
              dir, name, foo_link, exe_link, runs ? "./exe" : "true");
}

static void test_elf_closure_runpath(void **state) {
        char exe[PATH_MAX], p[PATH_MAX];
        build_tree("runpath", "-Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib2'",
                   "-Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'", true);
        snprintf(exe, sizeof exe, "%s/runpath/exe", dir);
        compare_with_loader(exe);

        struct elf_info info = { 0 };
        assert_int_equal(elf_read(exe, &info), 0);
        assert_string_equal(info.runpath, "$ORIGIN/lib");
        assert_null(info.rpath);
        elf_info_done(&info);

        struct elf_closure c = { 0 };
        assert_int_equal(elf_closure_add(&c, exe), 0);
        /* The name the loader looks up, a symlink to the real file. */
        snprintf(p, sizeof p, "%s/runpath/lib/libfoo.so.1", dir);
        assert_true(elf_closure_contains(&c, p));
        snprintf(p, sizeof p, "%s/runpath/lib/../lib2/libbar.so", dir);
        assert_true(elf_closure_contains(&c, p));
        /* Adding again changes nothing. */
        size_t n = c.n;
        assert_int_equal(elf_closure_add(&c, exe), 0);
        assert_int_equal(c.n, n);
        elf_closure_done(&c);

        /* RUNPATH is not inherited: libfoo without its own cannot find libbar. */
        build_tree("norunpath", "", "-Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib:$ORIGIN/lib2'", false);
        snprintf(exe, sizeof exe, "%s/norunpath/exe", dir);
        /* libbar is found only through the system directories: nowhere. */
        assert_int_equal(elf_closure_add(&c, exe), -ENOENT);
        elf_closure_done(&c);
}

static void test_elf_closure_rpath(void **state) {
        char exe[PATH_MAX];
        /* DT_RPATH of the executable also serves the libraries it loads. */
        build_tree("rpath", "", "-Wl,--disable-new-dtags,-rpath,'$ORIGIN/lib:$ORIGIN/lib2'", true);
        snprintf(exe, sizeof exe, "%s/rpath/exe", dir);
        compare_with_loader(exe);
        struct elf_info info = { 0 };
        assert_int_equal(elf_read(exe, &info), 0);
        assert_null(info.runpath);
        assert_non_null(info.rpath);
        elf_info_done(&info);
}

static void count_note(const char *message, void *userdata) {
        if (strstr(message, "search path entry of") && strstr(message, "/note/exe skipped"))
                (*(unsigned *)userdata)++;
}

static void test_elf_closure_note(void **state) {
        char exe[PATH_MAX];
        unsigned skipped = 0;
        /* $PLATFORM is not expanded: that entry is skipped, and the caller told so. */
        build_tree("note", "", "-Wl,--disable-new-dtags,-rpath,'$PLATFORM/x:$ORIGIN/lib:$ORIGIN/lib2'", true);
        snprintf(exe, sizeof exe, "%s/note/exe", dir);
        struct elf_closure c = { .note = count_note, .note_userdata = &skipped };
        assert_int_equal(elf_closure_add(&c, exe), 0);
        assert_true(skipped > 0);
        elf_closure_done(&c);
        assert_ptr_equal(c.note, count_note);
}

static void test_elf_closure_missing(void **state) {
        char exe[PATH_MAX];
        build_tree("missing", "-Wl,-rpath,'$ORIGIN/../lib2'", "-Wl,-rpath,'$ORIGIN/lib'", true);
        tl_sh("rm '%s/missing/lib2/libbar.so'", dir);
        snprintf(exe, sizeof exe, "%s/missing/exe", dir);
        struct elf_closure c = { 0 };
        assert_int_equal(elf_closure_add(&c, exe), -ENOENT);
        /* The library does not log: it says what is missing and who needs it. */
        char want[2 * PATH_MAX];
        snprintf(want, sizeof want, "libbar.so, needed by %s/missing/lib/libfoo.so.1, was not found", dir);
        assert_string_equal(elf_closure_error(&c), want);
        elf_closure_done(&c);
        assert_string_equal(elf_closure_error(&c), "");
}

static void test_elf_closure_ld_so_conf(void **state) {
        char exe[PATH_MAX], conf[PATH_MAX], p[PATH_MAX];
        build_tree("conf", "", "", false);
        snprintf(exe, sizeof exe, "%s/conf/exe", dir);
        snprintf(conf, sizeof conf, "%s/conf/ld.so.conf", dir);
        /* An include relative to the file, a glob, comments, several directories a line. */
        tl_sh("set -e; cd '%s/conf'; mkdir -p conf.d; "
              "printf '# test\\ninclude conf.d/*.conf\\n/nonexistent\\n' > ld.so.conf; "
              "printf '%s/conf/lib  # foo\\n' > conf.d/a.conf; "
              "printf '/nowhere, %s/conf/lib2\\n' > conf.d/b.conf",
              dir, dir, dir);

        struct elf_closure c = { .ld_so_conf = conf };
        assert_int_equal(elf_closure_add(&c, exe), 0);
        snprintf(p, sizeof p, "%s/conf/lib/libfoo.so.1", dir);
        assert_true(elf_closure_contains(&c, p));
        snprintf(p, sizeof p, "%s/conf/lib2/libbar.so", dir);
        assert_true(elf_closure_contains(&c, p));
        assert_true(elf_closure_contains(&c, "/lib64/ld-linux-x86-64.so.2"));
        /* The directories of the file come before the standard ones. */
        assert_true(c.n_libdirs > 4);
        snprintf(p, sizeof p, "%s/conf/lib", dir);
        assert_string_equal(c.libdirs[0], p);
        assert_string_equal(c.libdirs[1], "/nowhere");
        assert_string_equal(c.libdirs[3], "/nonexistent");
        assert_string_equal(c.libdirs[4], "/lib/x86_64-linux-gnu");
        elf_closure_done(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_elf_read),
                cmocka_unit_test(test_elf_read_bad),
                cmocka_unit_test(test_elf_closure_system_binaries),
                cmocka_unit_test(test_elf_closure_static),
                cmocka_unit_test(test_elf_read_two_interpreters),
                cmocka_unit_test(test_elf_closure_not_elf),
                cmocka_unit_test(test_elf_closure_runpath),
                cmocka_unit_test(test_elf_closure_rpath),
                cmocka_unit_test(test_elf_closure_note),
                cmocka_unit_test(test_elf_closure_missing),
                cmocka_unit_test(test_elf_closure_ld_so_conf),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
