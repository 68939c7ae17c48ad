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
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "uki.h"
#include "util.h"

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
        put16(p, (uint16_t)v);
        put16(p + 2, (uint16_t)(v >> 16));
}

/* A PE32+ header with image base base and the sections {name, rva, vsize}. */
struct fake_section {
        const char *name;
        uint32_t rva, vsize;
};

static size_t fake_pe(uint8_t *buf, size_t size, uint64_t base, const struct fake_section *s, size_t n) {
        const size_t nt = 0x80, opt = nt + 24, table = opt + 240;
        memset(buf, 0, size);
        buf[0] = 'M';
        buf[1] = 'Z';
        put32(buf + 0x3c, nt);
        memcpy(buf + nt, "PE\0\0", 4);
        put16(buf + nt + 4 + 2, (uint16_t)n);
        put16(buf + nt + 4 + 16, 240);
        put16(buf + opt, 0x20b);
        put32(buf + opt + 24, (uint32_t)base);
        put32(buf + opt + 28, (uint32_t)(base >> 32));
        put32(buf + opt + 32, 0x200);
        for (size_t i = 0; i < n; i++) {
                uint8_t *e = buf + table + i * 40;
                memcpy(e, s[i].name, strlen(s[i].name));
                put32(e + 8, s[i].vsize);
                put32(e + 12, s[i].rva);
                put32(e + 16, (s[i].vsize + 0x1ff) & ~0x1ffu);
                put32(e + 20, 0x400 + (uint32_t)i * 0x200);
        }
        return table + n * 40;
}

static const struct fake_section stub_sections[] = {
        { ".text", 0x4000, 0xbff0 },
        { ".data", 0x11000, 0x34b8 },
        { ".sdmagic", 0x19100, 0x34 },
};

static void test_pe_parse(void **state) {
        uint8_t buf[4096];
        struct uki_pe pe;
        size_t len = fake_pe(buf, sizeof buf, 0, stub_sections, ELEMENTSOF(stub_sections));

        assert_int_equal(uki_pe_parse(buf, len, &pe), 0);
        assert_int_equal(pe.n_sections, 3);
        assert_int_equal(pe.section_alignment, 0x200);
        assert_int_equal(pe.image_base, 0);
        const struct uki_section *s = uki_pe_find(&pe, ".sdmagic");
        assert_non_null(s);
        assert_int_equal(s->rva, 0x19100);
        assert_int_equal(s->vsize, 0x34);
        assert_int_equal(s->offset, 0x800);
        assert_null(uki_pe_find(&pe, ".linux"));
}

static void test_pe_refused(void **state) {
        uint8_t buf[4096];
        struct uki_pe pe = { .n_sections = 7 };
        size_t len = fake_pe(buf, sizeof buf, 0, stub_sections, ELEMENTSOF(stub_sections));

        /* The section table cut off, a wrong magic, no MZ, an NT header beyond the end. */
        assert_int_equal(uki_pe_parse(buf, len - 1, &pe), -EBADMSG);
        buf[0x80 + 24] = 0x0b;
        buf[0x80 + 25] = 0x03;
        assert_int_equal(uki_pe_parse(buf, len, &pe), -EBADMSG);
        fake_pe(buf, sizeof buf, 0, stub_sections, ELEMENTSOF(stub_sections));
        buf[0] = 'X';
        assert_int_equal(uki_pe_parse(buf, len, &pe), -EBADMSG);
        buf[0] = 'M';
        put32(buf + 0x3c, 0xffffff);
        assert_int_equal(uki_pe_parse(buf, len, &pe), -EBADMSG);
        assert_int_equal(uki_pe_parse(NULL, 0, &pe), -EBADMSG);
        /* Output untouched on failure. */
        assert_int_equal(pe.n_sections, 7);
}

static void test_layout(void **state) {
        uint8_t buf[4096];
        struct uki_pe pe;
        uint64_t vma[UKI_N_PARTS];
        const uint64_t sizes[UKI_N_PARTS] = { 131, 41, 100000, 8247232 };

        fake_pe(buf, sizeof buf, 0, stub_sections, ELEMENTSOF(stub_sections));
        assert_int_equal(uki_pe_parse(buf, sizeof buf, &pe), 0);
        assert_int_equal(uki_layout(&pe, sizes, vma), 0);
        /* After the stub's last section (0x19134), on page boundaries, in order, kernel last. */
        assert_int_equal(vma[UKI_OSREL], 0x1a000);
        assert_int_equal(vma[UKI_CMDLINE], 0x1b000);
        assert_int_equal(vma[UKI_INITRD], 0x1c000);
        assert_int_equal(vma[UKI_LINUX], 0x35000);
        for (int p = 0; p < UKI_N_PARTS; p++) {
                assert_int_equal(vma[p] % UKI_ALIGN, 0);
                if (p > 0)
                        assert_true(vma[p] >= vma[p - 1] + sizes[p - 1]);
        }
        assert_string_equal(uki_part_section(UKI_OSREL), ".osrel");
        assert_string_equal(uki_part_section(UKI_LINUX), ".linux");
}

static void test_layout_image_base_and_limits(void **state) {
        uint8_t buf[4096];
        struct uki_pe pe;
        uint64_t vma[UKI_N_PARTS] = { 0 };
        uint64_t sizes[UKI_N_PARTS] = { 1, 1, 1, 1 };

        fake_pe(buf, sizeof buf, 0x10000000, stub_sections, ELEMENTSOF(stub_sections));
        assert_int_equal(uki_pe_parse(buf, sizeof buf, &pe), 0);
        assert_int_equal(uki_layout(&pe, sizes, vma), 0);
        assert_int_equal(vma[UKI_OSREL], 0x1001a000);
        sizes[UKI_INITRD] = 0;
        assert_int_equal(uki_layout(&pe, sizes, vma), -EINVAL);
        sizes[UKI_INITRD] = 1;
        sizes[UKI_LINUX] = (uint64_t)5 << 30;
        assert_int_equal(uki_layout(&pe, sizes, vma), -EFBIG);
        pe.n_sections = 0;
        assert_int_equal(uki_layout(&pe, sizes, vma), -EINVAL);
}

static void test_osrel(void **state) {
        _cleanup_free_ char *t = NULL, *u = NULL;
        char v[64];
        struct uki_osrel o = { .root = "@root-2024-12-01",
                               .generation = 4711,
                               .kernel_id = "0123456789abcdef" };

        assert_int_equal(uki_osrel_format(&o, &u), 0);
        assert_null(strstr(u, "KOOMPI_SIGNER"));
        o.signer = "fedcba9876543210";
        assert_int_equal(uki_osrel_format(&o, &t), 0);
        assert_string_equal(t,
                            "NAME=\"KOOMPI OS\"\n"
                            "ID=koompi\n"
                            "PRETTY_NAME=\"KOOMPI OS (@root-2024-12-01)\"\n"
                            "VERSION_ID=\"4711\"\n"
                            "KOOMPI_ROOT=\"@root-2024-12-01\"\n"
                            "KOOMPI_KERNEL=\"0123456789abcdef\"\n"
                            "KOOMPI_SIGNER=\"fedcba9876543210\"\n");
        assert_int_equal(uki_osrel_get(t, "VERSION_ID", v, sizeof v), 0);
        assert_string_equal(v, "4711");
        assert_int_equal(uki_osrel_get(t, "ID", v, sizeof v), 0);
        assert_string_equal(v, "koompi");
        assert_int_equal(uki_osrel_get(t, "KOOMPI_KERNEL", v, sizeof v), 0);
        assert_string_equal(v, "0123456789abcdef");
        assert_int_equal(uki_osrel_get(t, "VERSION", v, sizeof v), -ENOENT);
        assert_int_equal(uki_osrel_get(t, "PRETTY_NAME", v, 8), -ENOBUFS);
        assert_int_equal(uki_osrel_get("A='x y'\n", "A", v, sizeof v), 0);
        assert_string_equal(v, "x y");
}

static void test_osrel_refused(void **state) {
        char *t = (char *)"untouched";
        struct uki_osrel o = { .root = "@root-\"x", .generation = 1, .kernel_id = "0123456789abcdef" };

        assert_int_equal(uki_osrel_format(&o, &t), -EINVAL);
        o.root = "@root-x\nID=evil";
        assert_int_equal(uki_osrel_format(&o, &t), -EINVAL);
        o.root = "@root-x";
        o.kernel_id = NULL;
        assert_int_equal(uki_osrel_format(&o, &t), -EINVAL);
        assert_string_equal(t, "untouched");
}

static void test_descriptor(void **state) {
        _cleanup_free_ char *d = NULL, *os = NULL, *cl = NULL;
        char *x = NULL;

        assert_int_equal(uki_descriptor_format("ID=koompi\nVERSION_ID=\"1\"\n",
                                               "root=UUID=1 koompi.snapshot=@root-a", &d),
                         0);
        assert_string_equal(d, "ID=koompi\nVERSION_ID=\"1\"\n\nroot=UUID=1 koompi.snapshot=@root-a");
        assert_int_equal(uki_descriptor_split(d, &os, &cl), 0);
        assert_string_equal(os, "ID=koompi\nVERSION_ID=\"1\"\n");
        assert_string_equal(cl, "root=UUID=1 koompi.snapshot=@root-a");
        /* A line break in the command line, a blank line or no final newline in the os-release. */
        assert_int_equal(uki_descriptor_format("ID=koompi\n", "a\nb", &x), -EINVAL);
        assert_int_equal(uki_descriptor_format("ID=koompi\n\nX=1\n", "a", &x), -EINVAL);
        assert_int_equal(uki_descriptor_format("ID=koompi", "a", &x), -EINVAL);
        assert_int_equal(uki_descriptor_format("", "a", &x), -EINVAL);
        assert_int_equal(uki_descriptor_split("ID=koompi\n", &x, &x), -EINVAL);
        assert_null(x);
}

static bool have_tools(void) {
        return access(UKI_STUB, R_OK) == 0 && tl_run(NULL, false, "command -v objcopy >/dev/null") == 0;
}

/* A real UKI from the stub: the sections where the layout put them, the descriptor read back. */
static void test_build_and_describe(void **state) {
        char dir[TL_TMP_MAX], out[PATH_MAX], desc_want[256];
        _cleanup_free_ char *desc = NULL;
        uint64_t ks = 0, is = 0;
        struct uki_pe pe;

        if (!have_tools())
                skip();
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "uki"), 0);
        tl_write_file(tl_path(dir, "vmlinuz"), "KERNEL-KERNEL-KERNEL", 20, 0644);
        tl_write_file(tl_path(dir, "initrd"), "INITRD", 6, 0644);
        mkdir(tl_path(dir, "work"), 0700);
        snprintf(desc_want, sizeof desc_want, "ID=koompi\nVERSION_ID=\"7\"\n\nquiet koompi.snapshot=@root-a");
        struct uki_build b = {
                .kernel = tl_path(dir, "vmlinuz"),
                .initrd = tl_path(dir, "initrd"),
                .descriptor = desc_want,
                .workdir = tl_path(dir, "work"),
        };
        assert_int_equal(uki_build(&b, out, NULL), 0);
        assert_int_equal(uki_file_describe(out, &desc, &ks, &is), 0);
        assert_string_equal(desc, desc_want);
        assert_int_equal(ks, 20);
        assert_int_equal(is, 6);
        assert_int_equal(uki_pe_read(out, &pe), 0);
        const struct uki_section *os = uki_pe_find(&pe, ".osrel"), *lx = uki_pe_find(&pe, ".linux");
        assert_non_null(os);
        assert_non_null(lx);
        assert_int_equal(os->rva % UKI_ALIGN, 0);
        assert_true(lx->rva > os->rva);
        /* The stub's own sections come first, untouched. */
        assert_non_null(uki_pe_find(&pe, ".sdmagic"));
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_install_noreplace(void **state) {
        char dir[TL_TMP_MAX];
        _cleanup_free_ char *said = NULL;

        if (!have_tools())
                skip();
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "ukiesp"), 0);
        tl_write_file(tl_path(dir, "vmlinuz"), "K", 1, 0644);
        tl_write_file(tl_path(dir, "initrd"), "I", 1, 0644);
        tl_write_text(tl_path(dir, "koompi-a+3.efi"), "old");
        struct uki_build b = {
                .kernel = tl_path(dir, "vmlinuz"),
                .initrd = tl_path(dir, "initrd"),
                .descriptor = "ID=koompi\n\nx",
        };
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        assert_int_equal(uki_install(&b, dfd, "koompi-a+3.efi", true, &said), -EEXIST);
        assert_int_equal(tl_run(NULL, false, "test \"$(cat %s)\" = old", tl_path(dir, "koompi-a+3.efi")), 0);
        assert_int_equal(uki_install(&b, dfd, "koompi-a+3.efi", false, &said), 0);
        assert_int_equal(tl_run(NULL, false, "! ls -a %s | grep -q tmp", dir), 0);
        assert_int_equal(tl_run(NULL, false, "objdump -h %s | grep -q osrel", tl_path(dir, "koompi-a+3.efi")),
                         0);
        /* A stub that is not there: not installed, nothing written. */
        b.stub = "/nonexistent/linuxx64.efi.stub";
        assert_int_equal(uki_install(&b, dfd, "koompi-b.efi", true, &said), -ENOENT);
        assert_int_equal(access(tl_path(dir, "koompi-b.efi"), F_OK), -1);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pe_parse),
                cmocka_unit_test(test_pe_refused),
                cmocka_unit_test(test_layout),
                cmocka_unit_test(test_layout_image_base_and_limits),
                cmocka_unit_test(test_osrel),
                cmocka_unit_test(test_osrel_refused),
                cmocka_unit_test(test_descriptor),
                cmocka_unit_test(test_build_and_describe),
                cmocka_unit_test(test_install_noreplace),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
