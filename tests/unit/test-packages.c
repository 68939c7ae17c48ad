/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The choice of source, the arguments of a request, AppImage detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "appimage.h"
#include "pkgargs.h"
#include "pkgsource.h"
#include "testlib.h"

#define ALL ((1u << PKG_SOURCE_COUNT) - 1)

static int choose(unsigned enabled, unsigned allowed, unsigned found, enum pkg_source from,
                  enum pkg_source *ret, char *why) {
        enum pkg_source order[PKG_SOURCE_COUNT];
        size_t n;
        assert_int_equal(pkg_order_parse("pacman flatpak aur appimage", order, &n), 0);
        struct pkg_choice_input in = { .order = order,
                                       .n_order = n,
                                       .enabled = enabled,
                                       .allowed = allowed,
                                       .found = found,
                                       .from = from };
        return pkg_choose(&in, ret, why, 200);
}

static void test_choice(void **state) {
        enum pkg_source s;
        char why[200];
        unsigned no_aur = ALL & ~PKG_SOURCE_BIT(PKG_AUR);
        /* The seed's order: pacman before Flatpak. */
        assert_int_equal(choose(ALL, ALL, PKG_SOURCE_BIT(PKG_FLATPAK) | PKG_SOURCE_BIT(PKG_PACMAN),
                                PKG_SOURCE_ANY, &s, why),
                         0);
        assert_int_equal(s, PKG_PACMAN);
        assert_non_null(strstr(why, "pacman: the first source in the order pacman, flatpak, aur, appimage"));
        /* --from wins over the order. */
        assert_int_equal(choose(ALL, ALL, PKG_SOURCE_BIT(PKG_FLATPAK) | PKG_SOURCE_BIT(PKG_PACMAN),
                                PKG_FLATPAK, &s, why),
                         0);
        assert_int_equal(s, PKG_FLATPAK);
        /* The AUR off: skipped by the order, refused by --from. */
        assert_int_equal(choose(no_aur, ALL, PKG_SOURCE_BIT(PKG_AUR) | PKG_SOURCE_BIT(PKG_APPIMAGE),
                                PKG_SOURCE_ANY, &s, why),
                         0);
        assert_int_equal(s, PKG_APPIMAGE);
        assert_int_equal(choose(no_aur, ALL, PKG_SOURCE_BIT(PKG_AUR), PKG_AUR, &s, why), -EPERM);
        assert_non_null(strstr(why, "switched off"));
        /* A student may not use the AUR even when it is on. */
        assert_int_equal(choose(ALL, no_aur, PKG_SOURCE_BIT(PKG_AUR), PKG_AUR, &s, why), -EPERM);
        assert_non_null(strstr(why, "admins and teachers"));
        assert_int_equal(choose(ALL, no_aur, PKG_SOURCE_BIT(PKG_AUR), PKG_SOURCE_ANY, &s, why), -ENOENT);
        assert_non_null(strstr(why, "searched: pacman, flatpak, appimage"));
        assert_int_equal(choose(ALL, ALL, 0, PKG_PACMAN, &s, why), -ENOENT);
        assert_int_equal(s, PKG_APPIMAGE); /* untouched */
}

static int choose_failed(unsigned found, unsigned failed, enum pkg_source from, char *why) {
        enum pkg_source order[PKG_SOURCE_COUNT], s;
        size_t n;
        assert_int_equal(pkg_order_parse("pacman flatpak", order, &n), 0);
        struct pkg_choice_input in = { .order = order,
                                       .n_order = n,
                                       .enabled = ALL,
                                       .allowed = ALL,
                                       .found = found,
                                       .failed = failed,
                                       .from = from };
        return pkg_choose(&in, &s, why, 200);
}

/* A source that could not be asked is not said to lack the app. */
static void test_choice_failed(void **state) {
        char why[200];
        unsigned fp = PKG_SOURCE_BIT(PKG_FLATPAK), pm = PKG_SOURCE_BIT(PKG_PACMAN);
        assert_int_equal(choose_failed(0, fp, PKG_FLATPAK, why), -EIO);
        assert_string_equal(why, "flatpak could not be asked");
        assert_int_equal(choose_failed(0, fp, PKG_SOURCE_ANY, why), -ENOENT);
        assert_string_equal(why, "no source has it (searched: pacman, flatpak)");
        assert_int_equal(choose_failed(0, fp | pm, PKG_SOURCE_ANY, why), -EIO);
        assert_string_equal(why, "no source could be asked (pacman, flatpak)");
        assert_int_equal(choose_failed(pm, fp, PKG_SOURCE_ANY, why), 0);
        assert_int_equal(choose_failed(0, pm, PKG_FLATPAK, why), -ENOENT);
        assert_string_equal(why, "flatpak does not have it");
}

static void test_order_and_from(void **state) {
        enum pkg_source order[PKG_SOURCE_COUNT], s;
        size_t n;
        assert_int_equal(pkg_order_parse("flatpak,pacman", order, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(order[0], PKG_FLATPAK);
        assert_int_equal(pkg_order_parse("flatpak flatpak", order, &n), -EINVAL);
        assert_int_equal(pkg_order_parse("snap", order, &n), -EINVAL);
        assert_int_equal(pkg_order_parse(" ", order, &n), -EINVAL);
        assert_int_equal(pkg_order_parse("pacmanflatpakaurappimage", order, &n), -EINVAL);
        assert_int_equal(pkg_source_parse("", &s), 0);
        assert_int_equal(s, PKG_SOURCE_ANY);
        assert_int_equal(pkg_source_parse("aur", &s), 0);
        assert_int_equal(s, PKG_AUR);
        assert_int_equal(pkg_source_parse("AUR", &s), -EINVAL);
        assert_int_equal(pkg_source_parse("snap", &s), -EINVAL);
        assert_int_equal(pkg_source_parse(NULL, &s), -EINVAL);
        assert_true(pkg_source_needs_restart(PKG_PACMAN));
        assert_true(pkg_source_needs_restart(PKG_AUR));
        assert_false(pkg_source_needs_restart(PKG_FLATPAK));
        assert_false(pkg_source_needs_restart(PKG_APPIMAGE));
}

static void test_arguments(void **state) {
        enum pkg_target t;
        char longname[PKG_NAME_MAX + 2];
        memset(longname, 'a', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        const char *good[] = {
                "firefox", "org.mozilla.firefox", "lib32-glibc", "gtk+3", "python@3.12", "7zip"
        };
        const char *bad[] = { "", "-Syu", ".hidden", "a b", "a;b", "$(id)", "a/b", "ä", "--from", "x\n" };
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
                assert_true(pkg_name_valid(good[i]));
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_false(pkg_name_valid(bad[i]));
        assert_false(pkg_name_valid(longname));
        longname[PKG_NAME_MAX] = '\0';
        assert_true(pkg_name_valid(longname));
        assert_int_equal(pkg_target_parse("/home/u/Downloads/Tool-1.0.AppImage", &t), 0);
        assert_int_equal(t, PKG_TARGET_FILE);
        assert_int_equal(pkg_target_parse("/tmp/x.appimage", &t), 0);
        assert_int_equal(pkg_target_parse("https://example.org/Tool.AppImage", &t), 0);
        assert_int_equal(t, PKG_TARGET_URL);
        assert_int_equal(pkg_target_parse("firefox", &t), 0);
        assert_int_equal(t, PKG_TARGET_NAME);
        assert_int_equal(pkg_target_parse("/etc/shadow", &t), -EINVAL);
        assert_int_equal(pkg_target_parse("/a/../b.AppImage", &t), -EINVAL);
        assert_int_equal(pkg_target_parse("ftp://example.org/x.AppImage", &t), -EINVAL);
        assert_int_equal(pkg_target_parse("https:///x", &t), -EINVAL);
        assert_int_equal(pkg_target_parse("https://a b", &t), -EINVAL);
        assert_int_equal(pkg_target_parse(NULL, &t), -EINVAL);
        assert_true(pkg_search_valid("web browser"));
        assert_false(pkg_search_valid("-x"));
        assert_false(pkg_search_valid(""));
        assert_false(pkg_search_valid("tab\there"));
}

/* An ELF64 header whose section headers end at end, marked as an AppImage of type. */
static void elf_head(uint8_t h[64], unsigned type, uint64_t end) {
        Elf64_Ehdr e = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
                                      EV_CURRENT },
                         .e_type = ET_EXEC,
                         .e_machine = EM_X86_64,
                         .e_shoff = end - 2 * 64,
                         .e_shentsize = 64,
                         .e_shnum = 2 };
        e.e_ident[8] = 'A';
        e.e_ident[9] = 'I';
        e.e_ident[10] = (unsigned char)type;
        memcpy(h, &e, sizeof e);
}

static void test_appimage_detect(void **state) {
        uint8_t h[64];
        struct appimage_info info = { 0 };
        elf_head(h, 2, 4096);
        assert_int_equal(appimage_detect(h, 64, 8192, (const uint8_t *)"hsqs", &info), 0);
        assert_int_equal(info.type, 2);
        assert_int_equal(info.payload_offset, 4096);
        /* Truncated: the payload's superblock does not fit; the header cut short; no SquashFS. */
        assert_int_equal(appimage_detect(h, 64, 4100, NULL, &info), -EBADMSG);
        assert_int_equal(appimage_detect(h, 40, 8192, NULL, &info), -EBADMSG);
        assert_int_equal(appimage_detect(h, 64, 8192,
                                         (const uint8_t *)"\x7f"
                                                          "ELF",
                                         &info),
                         -EBADMSG);
        elf_head(h, 1, 4096);
        assert_int_equal(appimage_detect(h, 64, 8192, NULL, &info), -EPROTONOSUPPORT);
        assert_int_equal(info.type, 1);
        /* An ELF that is not an AppImage, and not an ELF at all. */
        elf_head(h, 2, 4096);
        h[8] = 0;
        assert_int_equal(appimage_detect(h, 64, 8192, NULL, &info), -ENOEXEC);
        assert_int_equal(appimage_detect((const uint8_t *)"#!/bin/sh\nAI\x02", 13, 13, NULL, &info),
                         -ENOEXEC);
}

static void test_appimage_file(void **state) {
        char path[TL_TMP_MAX];
        uint8_t image[4096 + 512] = { 0 };
        struct appimage_info info;
        elf_head(image, 2, 4096);
        memcpy(image + 4096, "hsqs", 4);
        assert_int_equal(tl_tmpfile_new(path, sizeof path, "appimage"), 0);
        tl_write_file(path, (const char *)image, sizeof image, 0755);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(appimage_detect_fd(fd, &info), 0);
        assert_int_equal(info.payload_offset, 4096);
        close(fd);
        /* Cut in the payload. */
        tl_write_file(path, (const char *)image, 4096 + 50, 0755);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_int_equal(appimage_detect_fd(fd, &info), -EBADMSG);
        close(fd);
        /* A real ELF that is no AppImage: this test. */
        fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        assert_int_equal(appimage_detect_fd(fd, &info), -ENOEXEC);
        close(fd);
        unlink(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_choice),          cmocka_unit_test(test_choice_failed),
                cmocka_unit_test(test_order_and_from),  cmocka_unit_test(test_arguments),
                cmocka_unit_test(test_appimage_detect), cmocka_unit_test(test_appimage_file),
        };
        return cmocka_run_group_tests_name("packages", tests, NULL, NULL);
}
