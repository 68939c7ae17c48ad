/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What an AUR package needs to be built, as its .SRCINFO says, and the sentence of a build that
 * failed without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "srcinfo.h"
#include "strv.h"
#include "util.h"

/* As makepkg --printsrcinfo prints a split package's. */
static const char srcinfo[] = "pkgbase = koompi-tool\n"
                              "\tpkgdesc = A tool\n"
                              "\tpkgver = 1.0\n"
                              "\tarch = x86_64\n"
                              "\tarch = aarch64\n"
                              "\tcheckdepends = python-pytest\n"
                              "\tmakedepends = cmake>=3.20\n"
                              "\tmakedepends = git\n"
                              "\tmakedepends = cmake>=3.20\n"
                              "\tdepends = glibc\n"
                              "\tmakedepends_x86_64 = nasm\n"
                              "\tmakedepends_aarch64 = arm-tool\n"
                              "\tmakedepends_x86_64_v3 = not-an-arch\n"
                              "\toptdepends = makedepends = no\n"
                              "\n"
                              "pkgname = koompi-tool\n"
                              "\n"
                              "pkgname = koompi-tool-docs\n"
                              "\tdepends = koompi-tool\n";

static void test_build_deps(void **state) {
        char **deps = srcinfo_build_deps(srcinfo, "x86_64");
        assert_int_equal(strv_length(deps), 4);
        assert_string_equal(deps[0], "python-pytest");
        assert_string_equal(deps[1], "cmake>=3.20");
        assert_string_equal(deps[2], "git");
        assert_string_equal(deps[3], "nasm");
        strv_free(deps);
        deps = srcinfo_build_deps(srcinfo, "aarch64");
        assert_true(strv_contains(deps, "arm-tool") && !strv_contains(deps, "nasm"));
        strv_free(deps);
}

static void test_none(void **state) {
        const char *texts[] = { "",
                                "pkgbase = x\n\tdepends = glibc\n",
                                "makedepends\n",
                                "makedepends =\n",
                                "makedepends=x\n",
                                "= x\n" };
        for (size_t i = 0; i < ELEMENTSOF(texts); i++)
                assert_null(srcinfo_build_deps(texts[i], "x86_64"));
        assert_null(srcinfo_build_deps(NULL, "x86_64"));
}

static void test_missing_text(void **state) {
        char *one[] = { (char *)"koompi-no-such-tool", NULL }, *two[] = { (char *)"a", (char *)"b>=2", NULL };
        char buf[512], tiny[24];
        srcinfo_missing_text(one, buf, sizeof buf);
        assert_non_null(strstr(buf, "the build needs koompi-no-such-tool, which is not installed: "));
        assert_non_null(strstr(buf, "install it first"));
        srcinfo_missing_text(two, buf, sizeof buf);
        assert_non_null(strstr(buf, "the build needs a, b>=2, which are not installed: "));
        srcinfo_missing_text(two, tiny, sizeof tiny);
        assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build_deps),
                cmocka_unit_test(test_none),
                cmocka_unit_test(test_missing_text),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
