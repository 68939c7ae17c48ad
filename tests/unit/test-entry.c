/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "entry.h"
#include "strv.h"
#include "util.h"

static void expect_counter(const char *name, const char *stem, unsigned left, unsigned done) {
        struct entry_name e;
        assert_int_equal(entry_name_parse(name, ".conf", &e), 0);
        assert_string_equal(e.stem, stem);
        assert_true(e.has_counter);
        assert_int_equal(e.left, left);
        assert_int_equal(e.done, done);
}

static void expect_plain(const char *name, const char *stem) {
        struct entry_name e;
        assert_int_equal(entry_name_parse(name, ".conf", &e), 0);
        assert_string_equal(e.stem, stem);
        assert_false(e.has_counter);
        assert_int_equal(e.left, 0);
        assert_int_equal(e.done, 0);
        assert_int_equal(entry_name_state(&e), ENTRY_GOOD);
}

static void test_grammar(void **state) {
        expect_counter("koompi-root-current+3.conf", "koompi-root-current", 3, 0);
        expect_counter("koompi-root-current+2-1.conf", "koompi-root-current", 2, 1);
        expect_counter("x+0-3.conf", "x", 0, 3);
        expect_counter("x+0.conf", "x", 0, 0);
        expect_counter("x+4-0.conf", "x", 4, 0);
        expect_counter("x+007-02.conf", "x", 7, 2);
        expect_plain("koompi-root-current.conf", "koompi-root-current");
        /* Only the last '+' counts. */
        expect_plain("linux-6.1+deb12.conf", "linux-6.1+deb12");
        expect_counter("linux-6.1+deb12+3.conf", "linux-6.1+deb12", 3, 0);
        expect_counter("a+1+2.conf", "a+1", 2, 0);
        expect_plain("a+3-1+x.conf", "a+3-1+x");
        expect_plain("a+3-1+.conf", "a+3-1+");
        /* Odd names. */
        expect_plain("a+.conf", "a+");
        expect_plain("a+1-.conf", "a+1-");
        expect_plain("a+-1.conf", "a+-1");
        expect_plain("a+1-2-3.conf", "a+1-2-3");
        expect_plain("a+1x.conf", "a+1x");
        expect_plain("a+ 1.conf", "a+ 1");
        expect_plain("a+1 .conf", "a+1 ");
        expect_plain("a++.conf", "a++");
        expect_counter("a++1.conf", "a+", 1, 0);
        /* A counter needs a stem before it. */
        expect_plain("+3.conf", "+3");
        expect_plain("+3-1.conf", "+3-1");
        expect_plain("+.conf", "+");
        /* A counter in the middle of the name is none. */
        expect_plain("a+3.efi.conf", "a+3.efi");
}

static void test_bounds(void **state) {
        char max[64], over[64];
        snprintf(max, sizeof max, "a+%d-%d.conf", INT_MAX, INT_MAX);
        snprintf(over, sizeof over, "a+%u.conf", (unsigned)INT_MAX + 1);
        expect_counter(max, "a", INT_MAX, INT_MAX);
        expect_plain(over, "a+2147483648");
        expect_plain("a+1-2147483648.conf", "a+1-2147483648");
        expect_plain("a+99999999999999999999999.conf", "a+99999999999999999999999");
        expect_plain("a+18446744073709551617.conf", "a+18446744073709551617");
}

static void test_suffix(void **state) {
        struct entry_name e;
        char buf[ENTRY_NAME_MAX + 1];

        /* A UKI's counter is read with its own suffix, not with ".conf". */
        assert_int_equal(entry_name_parse("a+3.efi", ".conf", &e), -EINVAL);
        assert_int_equal(entry_name_parse("a+3.efi", ".efi", &e), 0);
        assert_true(e.has_counter);
        assert_int_equal(e.left, 3);
        assert_string_equal(e.stem, "a");
        assert_string_equal(e.suffix, ".efi");
        assert_int_equal(entry_name_parse("a+3.conf", ".efi", &e), -EINVAL);

        /* The suffix is compared without case and kept as spelled. */
        assert_int_equal(entry_name_parse("A+3.CONF", ".conf", &e), 0);
        assert_true(e.has_counter);
        assert_string_equal(e.stem, "A");
        assert_string_equal(e.suffix, ".CONF");
        assert_int_equal(entry_counter_bump(&e), 0);
        assert_int_equal(entry_name_format(&e, buf, sizeof buf), 0);
        assert_string_equal(buf, "A+2-1.CONF");
        assert_int_equal(entry_name_parse("a+3.Conf", ".conf", &e), 0);
        assert_true(e.has_counter);

        /* Not entries at all. */
        assert_int_equal(entry_name_parse(".conf", ".conf", &e), -EINVAL);
        assert_int_equal(entry_name_parse("a.conf.bak", ".conf", &e), -EINVAL);
        assert_int_equal(entry_name_parse("a.con", ".conf", &e), -EINVAL);
        assert_int_equal(entry_name_parse("dir/a+3.conf", ".conf", &e), -EINVAL);
        assert_int_equal(entry_name_parse("", ".conf", &e), -EINVAL);
        assert_int_equal(entry_name_parse(NULL, ".conf", &e), -EINVAL);

        char longname[ENTRY_NAME_MAX + 8];
        memset(longname, 'a', sizeof longname);
        strcpy(longname + ENTRY_NAME_MAX - 5 + 1, ".conf"); /* 256 characters */
        assert_int_equal(entry_name_parse(longname, ".conf", &e), -ENAMETOOLONG);
        strcpy(longname + ENTRY_NAME_MAX - 5, ".conf"); /* 255 */
        assert_int_equal(entry_name_parse(longname, ".conf", &e), 0);
        assert_int_equal(strlen(e.stem), ENTRY_NAME_MAX - 5);
}

/* A name that is nothing but a counter has no counter: a stem is never empty, so blessing or
 * bumping it never writes ".conf", which would be no entry at all. */
static void test_counter_needs_stem(void **state) {
        static const char *const names[] = { "+3.conf", "+0-3.conf", "+3.efi" };
        char buf[ENTRY_NAME_MAX + 1];
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                struct entry_name e;
                const char *suffix = strrchr(names[i], '.');
                assert_int_equal(entry_name_parse(names[i], suffix, &e), 0);
                assert_false(e.has_counter);
                assert_int_equal(entry_name_state(&e), ENTRY_GOOD);
                entry_counter_bless(&e);
                assert_int_equal(entry_name_format(&e, buf, sizeof buf), 0);
                assert_string_equal(buf, names[i]);
                assert_int_equal(entry_counter_bump(&e), -ENOENT);
        }
}

static void expect_format(const struct entry_name *e, const char *want) {
        char buf[ENTRY_NAME_MAX + 1];
        assert_int_equal(entry_name_format(e, buf, sizeof buf), 0);
        assert_string_equal(buf, want);
}

static void test_format_round_trip(void **state) {
        static const char *const names[] = {
                "koompi-root-current.conf",
                "koompi-root-current+3.conf",
                "x+2-1.conf",
                "x+0-3.conf",
                "x+0.conf",
                "linux-6.1+deb12.conf",
                "a+.conf",
                "a+1-.conf",
                "+3.conf",
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                struct entry_name e;
                assert_int_equal(entry_name_parse(names[i], ".conf", &e), 0);
                expect_format(&e, names[i]);
        }

        /* "-0" is not written back; leading zeros are not kept. */
        struct entry_name e;
        assert_int_equal(entry_name_parse("x+4-0.conf", ".conf", &e), 0);
        expect_format(&e, "x+4.conf");
        assert_int_equal(entry_name_parse("x+03-01.conf", ".conf", &e), 0);
        expect_format(&e, "x+3-1.conf");

        /* Too small a buffer. */
        char small[8];
        assert_int_equal(entry_name_parse("koompi-x+3.conf", ".conf", &e), 0);
        assert_int_equal(entry_name_format(&e, small, sizeof small), -ENOBUFS);
        char exact[sizeof "koompi-x+3.conf"];
        assert_int_equal(entry_name_format(&e, exact, sizeof exact), 0);
        assert_string_equal(exact, "koompi-x+3.conf");
}

static void test_bump_sequence(void **state) {
        struct entry_name e;

        assert_int_equal(entry_name_parse("foobar+3.conf", ".conf", &e), 0);
        assert_int_equal(entry_name_state(&e), ENTRY_INDETERMINATE);
        assert_int_equal(entry_counter_bump(&e), 0);
        expect_format(&e, "foobar+2-1.conf");
        assert_int_equal(entry_name_state(&e), ENTRY_INDETERMINATE);
        assert_int_equal(entry_counter_bump(&e), 0);
        expect_format(&e, "foobar+1-2.conf");
        assert_int_equal(entry_name_state(&e), ENTRY_INDETERMINATE);
        assert_int_equal(entry_counter_bump(&e), 0);
        expect_format(&e, "foobar+0-3.conf");
        assert_int_equal(entry_name_state(&e), ENTRY_BAD);
        /* Started again anyway (a pinned default): left stays 0, done goes on. */
        assert_int_equal(entry_counter_bump(&e), 0);
        expect_format(&e, "foobar+0-4.conf");
        assert_int_equal(entry_name_state(&e), ENTRY_BAD);

        assert_int_equal(entry_name_parse("foobar+4-0.conf", ".conf", &e), 0);
        static const char *const seq[] = { "foobar+3-1.conf", "foobar+2-2.conf", "foobar+1-3.conf",
                                           "foobar+0-4.conf" };
        for (size_t i = 0; i < ELEMENTSOF(seq); i++) {
                assert_int_equal(entry_counter_bump(&e), 0);
                expect_format(&e, seq[i]);
        }

        /* "+0" with no done count: the first start gives "+0-1". */
        assert_int_equal(entry_name_parse("x+0.conf", ".conf", &e), 0);
        assert_int_equal(entry_counter_bump(&e), 0);
        expect_format(&e, "x+0-1.conf");

        /* done never passes INT_MAX. */
        char name[64];
        snprintf(name, sizeof name, "x+1-%d.conf", INT_MAX);
        assert_int_equal(entry_name_parse(name, ".conf", &e), 0);
        assert_int_equal(entry_counter_bump(&e), 0);
        assert_int_equal(e.left, 0);
        assert_int_equal(e.done, INT_MAX);

        /* An entry without a counter is not counted. */
        assert_int_equal(entry_name_parse("x.conf", ".conf", &e), 0);
        assert_int_equal(entry_counter_bump(&e), -ENOENT);
        expect_format(&e, "x.conf");
}

static void test_bless(void **state) {
        struct entry_name e;

        assert_int_equal(entry_name_parse("koompi-new+1-2.conf", ".conf", &e), 0);
        entry_counter_bless(&e);
        expect_format(&e, "koompi-new.conf");
        assert_int_equal(entry_name_state(&e), ENTRY_GOOD);
        entry_counter_bless(&e);
        expect_format(&e, "koompi-new.conf");

        /* Even a spent entry can be blessed (an admin's decision). */
        assert_int_equal(entry_name_parse("koompi-new+0-3.conf", ".conf", &e), 0);
        entry_counter_bless(&e);
        expect_format(&e, "koompi-new.conf");
}

static void test_mark_bad(void **state) {
        struct entry_name e;

        assert_int_equal(entry_name_parse("k+2-1.conf", ".conf", &e), 0);
        entry_counter_mark_bad(&e);
        expect_format(&e, "k+0-1.conf");
        assert_int_equal(entry_name_state(&e), ENTRY_BAD);

        assert_int_equal(entry_name_parse("k+3.conf", ".conf", &e), 0);
        entry_counter_mark_bad(&e);
        expect_format(&e, "k+0.conf");

        assert_int_equal(entry_name_parse("k+0-3.conf", ".conf", &e), 0);
        entry_counter_mark_bad(&e);
        expect_format(&e, "k+0-3.conf");

        assert_int_equal(entry_name_parse("k.conf", ".conf", &e), 0);
        entry_counter_mark_bad(&e);
        expect_format(&e, "k+0.conf");
        assert_int_equal(entry_name_state(&e), ENTRY_BAD);
}

static void test_give_back(void **state) {
        struct entry_name e;

        /* An abandoned passphrase prompt: the bump is undone exactly. */
        assert_int_equal(entry_name_parse("k+3.conf", ".conf", &e), 0);
        assert_int_equal(entry_counter_bump(&e), 0);
        expect_format(&e, "k+2-1.conf");
        assert_int_equal(entry_counter_give_back(&e), 0);
        expect_format(&e, "k+3.conf");
        assert_int_equal(entry_counter_give_back(&e), -ERANGE);
        expect_format(&e, "k+3.conf");

        assert_int_equal(entry_name_parse("k+0-3.conf", ".conf", &e), 0);
        assert_int_equal(entry_counter_give_back(&e), 0);
        expect_format(&e, "k+1-2.conf");
        assert_int_equal(entry_name_state(&e), ENTRY_INDETERMINATE);

        assert_int_equal(entry_name_parse("k.conf", ".conf", &e), 0);
        assert_int_equal(entry_counter_give_back(&e), -ENOENT);

        char name[64];
        snprintf(name, sizeof name, "k+%d-1.conf", INT_MAX);
        assert_int_equal(entry_name_parse(name, ".conf", &e), 0);
        assert_int_equal(entry_counter_give_back(&e), -ERANGE);
        assert_int_equal(e.left, INT_MAX);
        assert_int_equal(e.done, 1);
}

static void test_set(void **state) {
        struct entry_name e;

        assert_int_equal(entry_name_parse("k+0-5.conf", ".conf", &e), 0);
        assert_int_equal(entry_counter_set(&e, 3), 0);
        expect_format(&e, "k+3.conf");
        assert_int_equal(entry_counter_set(&e, (unsigned)INT_MAX + 1), -ERANGE);
        expect_format(&e, "k+3.conf");
        assert_int_equal(entry_name_parse("k.conf", ".conf", &e), 0);
        assert_int_equal(entry_counter_set(&e, 0), 0);
        expect_format(&e, "k+0.conf");
        assert_int_equal(entry_name_state(&e), ENTRY_BAD);
        assert_string_equal(entry_state_to_string(ENTRY_GOOD), "good");
        assert_string_equal(entry_state_to_string(ENTRY_INDETERMINATE), "indeterminate");
        assert_string_equal(entry_state_to_string(ENTRY_BAD), "bad");
}

static void test_ids(void **state) {
        char buf[ENTRY_NAME_MAX + 1];
        struct entry_name e;

        assert_int_equal(entry_name_parse("Koompi-Root+2-1.conf", ".conf", &e), 0);
        assert_int_equal(entry_name_id(&e, buf, sizeof buf), 0);
        assert_string_equal(buf, "koompi-root.conf");
        char small[5];
        assert_int_equal(entry_name_id(&e, small, sizeof small), -ENOBUFS);

        assert_int_equal(entry_id_from_filename("koompi-x+0-3.conf", buf, sizeof buf), 0);
        assert_string_equal(buf, "koompi-x.conf");
        assert_int_equal(entry_id_from_filename("linux-6.1+deb12.conf", buf, sizeof buf), 0);
        assert_string_equal(buf, "linux-6.1+deb12.conf");
        assert_int_equal(entry_id_from_filename("UKI+3-1.EFI", buf, sizeof buf), 0);
        assert_string_equal(buf, "uki.efi");
        assert_int_equal(entry_id_from_filename("auto-windows", buf, sizeof buf), 0);
        assert_string_equal(buf, "auto-windows");

        assert_true(entry_id_equal("koompi-x+2-1.conf", "koompi-x.conf"));
        assert_true(entry_id_equal("KOOMPI-X.conf", "koompi-x+3.conf"));
        assert_false(entry_id_equal("koompi-x.conf", "koompi-y.conf"));
        assert_false(entry_id_equal("koompi-x.conf", "koompi-x.efi"));
        assert_false(entry_id_equal(NULL, "koompi-x.conf"));
}

static void test_root_ids(void **state) {
        char buf[ENTRY_NAME_MAX + 1];
        struct entry_name e;

        assert_int_equal(entry_id_from_root("@root-2024-12-01", buf, sizeof buf), 0);
        assert_string_equal(buf, "root-2024-12-01");
        assert_int_equal(entry_id_from_root("@root-current", buf, sizeof buf), 0);
        assert_string_equal(buf, "root-current");
        assert_int_equal(entry_id_from_root("root_v1.2", buf, sizeof buf), 0);
        assert_string_equal(buf, "root_v1.2");
        /* '+' must never appear: it would read as a counter. */
        assert_int_equal(entry_id_from_root("@Root+3 new/x@", buf, sizeof buf), 0);
        assert_string_equal(buf, "root_3_new_x_");
        assert_int_equal(entry_id_from_root("@@x", buf, sizeof buf), 0);
        assert_string_equal(buf, "_x");
        assert_int_equal(entry_id_from_root("@", buf, sizeof buf), -EINVAL);
        assert_int_equal(entry_id_from_root("", buf, sizeof buf), -EINVAL);
        assert_int_equal(entry_id_from_root("@.hidden", buf, sizeof buf), -EINVAL);
        char small[4];
        assert_int_equal(entry_id_from_root("@root", small, sizeof small), -ENOBUFS);
        char longroot[ENTRY_ROOT_ID_MAX + 3];
        memset(longroot, 'r', sizeof longroot - 1);
        longroot[sizeof longroot - 1] = 0;
        assert_int_equal(entry_id_from_root(longroot, buf, sizeof buf), -ENAMETOOLONG);
        longroot[0] = '@'; /* ENTRY_ROOT_ID_MAX + 1 characters after the '@' */
        assert_int_equal(entry_id_from_root(longroot, buf, sizeof buf), -ENAMETOOLONG);
        longroot[ENTRY_ROOT_ID_MAX + 1] = 0;
        assert_int_equal(entry_id_from_root(longroot, buf, sizeof buf), 0);
        assert_int_equal(strlen(buf), ENTRY_ROOT_ID_MAX);

        assert_int_equal(entry_filename_for_root("@root-2024-12-01", 3, buf, sizeof buf), 0);
        assert_string_equal(buf, "koompi-root-2024-12-01+3.conf");
        assert_int_equal(entry_name_parse(buf, ".conf", &e), 0);
        assert_true(e.has_counter);
        assert_int_equal(e.left, 3);
        assert_string_equal(entry_name_koompi_id(&e), "root-2024-12-01");
        assert_int_equal(entry_filename_for_root("@root-current", 0, buf, sizeof buf), 0);
        assert_string_equal(buf, "koompi-root-current.conf");
        /* The longest ID still makes a valid name with the largest counters. */
        assert_int_equal(entry_filename_for_root(longroot, INT_MAX, buf, sizeof buf), 0);
        assert_int_equal(entry_name_parse(buf, ".conf", &e), 0);
        e.done = INT_MAX;
        assert_int_equal(entry_name_format(&e, buf, sizeof buf), 0);

        assert_int_equal(entry_name_parse("arch-linux.conf", ".conf", &e), 0);
        assert_null(entry_name_koompi_id(&e));
        assert_int_equal(entry_name_parse("koompi-+3.conf", ".conf", &e), 0);
        assert_null(entry_name_koompi_id(&e));
}

static const char entry_text[] = "title KOOMPI OS (root-2024-12-01)\n"
                                 "version 2024-12-01\n"
                                 "sort-key koompi\n"
                                 "linux /koompi/vmlinuz-6.12\n"
                                 "initrd /koompi/initramfs-6.12.img\n"
                                 "options root=UUID=1234 koompi.snapshot=@root-2024-12-01 quiet\n";

static void test_content_round_trip(void **state) {
        struct entry_content c = {};
        char *text = NULL;

        assert_int_equal(entry_content_parse(entry_text, &c), 0);
        assert_string_equal(c.title, "KOOMPI OS (root-2024-12-01)");
        assert_string_equal(c.version, "2024-12-01");
        assert_string_equal(c.sort_key, "koompi");
        assert_string_equal(c.kernel, "/koompi/vmlinuz-6.12");
        assert_string_equal(c.initrd, "/koompi/initramfs-6.12.img");
        assert_string_equal(c.options, "root=UUID=1234 koompi.snapshot=@root-2024-12-01 quiet");
        assert_null(c.extra);
        assert_int_equal(entry_content_format(&c, &text), 0);
        assert_string_equal(text, entry_text);
        free(text);
        entry_content_free(&c);
        assert_null(c.title);

        /* Built by hand: absent fields are left out, the order is fixed. */
        c.options = strdup("quiet");
        c.title = strdup("T");
        c.kernel = strdup("/k");
        c.version = strdup("");
        assert_int_equal(entry_content_format(&c, &text), 0);
        assert_string_equal(text, "title T\nlinux /k\noptions quiet\n");
        free(text);
        entry_content_free(&c);

        /* Nothing at all gives an empty text. */
        assert_int_equal(entry_content_format(&c, &text), 0);
        assert_string_equal(text, "");
        free(text);
}

static void test_content_foreign(void **state) {
        struct entry_content c = {};
        char *text = NULL;

        assert_int_equal(entry_content_parse("# written by kernel-install\r\n"
                                             "  title   Arch Linux  \r\n"
                                             "\n"
                                             "machine-id\t0123456789abcdef0123456789abcdef\n"
                                             "options root=/dev/x\n"
                                             "linux /vmlinuz\n"
                                             "initrd /amd-ucode.img\n"
                                             "initrd /initramfs.img\n"
                                             "options  rw   quiet\n"
                                             "options\n"
                                             "title Arch Linux (override)\n"
                                             "devicetree-overlay\n"
                                             "options splash",
                                             &c),
                         0);
        assert_string_equal(c.title, "Arch Linux (override)");
        assert_string_equal(c.kernel, "/vmlinuz");
        assert_string_equal(c.initrd, "/amd-ucode.img");
        assert_string_equal(c.options, "root=/dev/x rw   quiet splash");
        assert_null(c.version);
        assert_non_null(c.extra);
        assert_string_equal(c.extra[0], "machine-id 0123456789abcdef0123456789abcdef");
        assert_string_equal(c.extra[1], "initrd /initramfs.img");
        assert_string_equal(c.extra[2], "devicetree-overlay");
        assert_null(c.extra[3]);

        assert_int_equal(entry_content_format(&c, &text), 0);
        assert_string_equal(text,
                            "title Arch Linux (override)\n"
                            "linux /vmlinuz\n"
                            "initrd /amd-ucode.img\n"
                            "machine-id 0123456789abcdef0123456789abcdef\n"
                            "initrd /initramfs.img\n"
                            "devicetree-overlay\n"
                            "options root=/dev/x rw   quiet splash\n");

        /* What was written parses back to the same. */
        struct entry_content d = {};
        assert_int_equal(entry_content_parse(text, &d), 0);
        assert_string_equal(d.title, c.title);
        assert_string_equal(d.initrd, c.initrd);
        assert_string_equal(d.options, c.options);
        assert_string_equal(d.extra[1], "initrd /initramfs.img");
        assert_null(d.extra[3]);
        free(text);
        entry_content_free(&d);

        /* A value with a line break would corrupt the file. */
        free(c.title);
        c.title = strdup("two\nlines");
        assert_int_equal(entry_content_format(&c, &text), -EINVAL);
        free(c.title);
        c.title = strdup("ok");
        free(c.extra[0]);
        c.extra[0] = strdup("key\rvalue");
        assert_int_equal(entry_content_format(&c, &text), -EINVAL);
        entry_content_free(&c);

        assert_int_equal(entry_content_parse("", &c), 0);
        assert_null(c.title);
        assert_null(c.extra);
        entry_content_free(&c);
}

static void assert_same_value(const char *a, const char *b) {
        assert_string_equal(a ? a : "", b ? b : "");
}

/* The same entry: an empty value is an absent one, as entry_content_format() writes neither. */
static void assert_same_content(const struct entry_content *a, const struct entry_content *b) {
        assert_same_value(a->title, b->title);
        assert_same_value(a->version, b->version);
        assert_same_value(a->sort_key, b->sort_key);
        assert_same_value(a->kernel, b->kernel);
        assert_same_value(a->initrd, b->initrd);
        assert_same_value(a->options, b->options);
        assert_int_equal(strv_length(a->extra), strv_length(b->extra));
        for (unsigned i = 0; i < strv_length(a->extra); i++)
                assert_string_equal(a->extra[i], b->extra[i]);
}

/* parse(format(parse(x))) is parse(x), and its text the same (an empty initrd took the first
 * slot, and the entry changed once written and read again). */
static void test_content_stable(void **state) {
        static const char *const texts[] = {
                "initrd\ninitrd /b\n",
                "initrd /a\ninitrd\t\ninitrd /b\n",
                "title\ntitle x\nlinux\nversion \noptions\n",
                "foo\n  initrd   /a  \nbar baz\ninitrd /b\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                struct entry_content c = {}, d = {};
                char *once = NULL, *twice = NULL;
                assert_int_equal(entry_content_parse(texts[i], &c), 0);
                assert_int_equal(entry_content_format(&c, &once), 0);
                assert_int_equal(entry_content_parse(once, &d), 0);
                assert_same_content(&c, &d);
                assert_int_equal(entry_content_format(&d, &twice), 0);
                assert_string_equal(once, twice);
                free(once);
                free(twice);
                entry_content_free(&c);
                entry_content_free(&d);
        }
        struct entry_content c = {};
        assert_int_equal(entry_content_parse("initrd\ninitrd /b\n", &c), 0);
        assert_string_equal(c.initrd, "/b");
        assert_null(c.extra);
        entry_content_free(&c);
}

/* The root an entry boots is what its options say, as koompi-init reads them: koompi.snapshot=
 * wins over subvol=, the last of each wins. */
static void test_options_root(void **state) {
        static const struct {
                const char *options;
                int want;
                const char *root;
        } cases[] = {
                { "root=UUID=1234 koompi.snapshot=@root-a quiet", 0, "@root-a" },
                { "rootflags=subvol=/@root-b,compress=zstd", 0, "@root-b" },
                { "rootflags=\"compress=zstd,subvol=@root-c\" rw", 0, "@root-c" },
                { "rootflags=subvol=@x,subvol=//@root-d", 0, "@root-d" },
                { "rootflags=subvol=@x koompi.snapshot=@y koompi.snapshot=@root-e", 0, "@root-e" },
                { "koompi.snapshot= rootflags=subvol=@root-f", 0, "@root-f" },
                { "root=/dev/vda2 quiet", -ENOENT, "" },
                { "rootflags=compress=zstd,subvolid=256 rootflags=subvol=", -ENOENT, "" },
                { "", -ENOENT, "" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[64] = "";
                assert_int_equal(entry_options_root(cases[i].options, buf, sizeof buf), cases[i].want);
                assert_string_equal(buf, cases[i].root);
        }
        char small[4];
        assert_int_equal(entry_options_root("koompi.snapshot=@root-g", small, sizeof small), -ENOBUFS);
}

static void test_is_of_root(void **state) {
        struct entry_name hand, koompi, other;
        assert_int_equal(entry_name_parse("arch-backup+0-3.conf", ".conf", &hand), 0);
        assert_int_equal(entry_name_parse("koompi-root-2024-12-01+2.conf", ".conf", &koompi), 0);
        assert_int_equal(entry_name_parse("arch.conf", ".conf", &other), 0);
        /* Named by hand, the root on the options line. */
        assert_true(entry_is_of_root(&hand, "@root-2024-12-01", "@root-2024-12-01"));
        assert_false(entry_is_of_root(&hand, "@root-2024-12-01", "@root-current"));
        /* The options win over the name. */
        assert_true(entry_is_of_root(&koompi, "@root-current", "@root-current"));
        assert_false(entry_is_of_root(&koompi, "@root-current", "@root-2024-12-01"));
        /* Options naming no root: a koompi entry is its name's, another entry no root's. */
        assert_true(entry_is_of_root(&koompi, "", "@root-2024-12-01"));
        assert_true(entry_is_of_root(&koompi, NULL, "@ROOT-2024-12-01"));
        assert_false(entry_is_of_root(&other, "", "@root-current"));
        assert_false(entry_is_of_root(&hand, NULL, NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_grammar),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_suffix),
                cmocka_unit_test(test_format_round_trip),
                cmocka_unit_test(test_counter_needs_stem),
                cmocka_unit_test(test_bump_sequence),
                cmocka_unit_test(test_bless),
                cmocka_unit_test(test_mark_bad),
                cmocka_unit_test(test_give_back),
                cmocka_unit_test(test_set),
                cmocka_unit_test(test_ids),
                cmocka_unit_test(test_root_ids),
                cmocka_unit_test(test_content_round_trip),
                cmocka_unit_test(test_content_foreign),
                cmocka_unit_test(test_content_stable),
                cmocka_unit_test(test_options_root),
                cmocka_unit_test(test_is_of_root),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
