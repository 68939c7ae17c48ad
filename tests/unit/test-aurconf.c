/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The settings koompi-pkg-aur reads from agent.conf's [packages]: the defaults, what a file
 * sets, and the values it refuses rather than build as the wrong user or from the wrong AUR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aurconf.h"
#include "testlib.h"
#include "workerline.h"

static char dir[TL_TMP_MAX];

static int setup(void **state) {
        return tl_tmpdir_new(dir, sizeof dir, "aurconf");
}

static int teardown(void **state) {
        return tl_tmpdir_remove(dir);
}

/* aurconf_load() of a file holding text; its why into why. */
static int load_text(const char *text, struct aur_config *c, char *why) {
        const char *path = tl_path(dir, "agent.conf");
        tl_write_text(path, text);
        return aurconf_load(c, path, why);
}

static void test_missing_file_defaults(void **state) {
        struct aur_config c = { 0 };
        char why[WORKER_WHY_MAX] = "";
        assert_int_equal(aurconf_load(&c, tl_path(dir, "none.conf"), why), 0);
        assert_string_equal(c.user, "nobody");
        assert_string_equal(c.aur_url, "https://aur.archlinux.org");
        aurconf_free(&c);
        assert_null(c.user);
}

static void test_file_sets(void **state) {
        struct aur_config c = { 0 };
        char why[WORKER_WHY_MAX] = "";
        assert_int_equal(load_text("[agent]\nuser = root\n[packages]\nUser = builder\n"
                                   "aur_url = http://127.0.0.1:8080/aur///\norder = nonsense\n"
                                   "timeout = never\n",
                                   &c, why),
                         0);
        /* [agent]'s user is not the builder; the keys it does not read may be anything. */
        assert_string_equal(c.user, "builder");
        assert_string_equal(c.aur_url, "http://127.0.0.1:8080/aur");
        aurconf_free(&c);
        assert_int_equal(load_text("[update]\naur_url = ftp://x\n", &c, why), 0);
        assert_string_equal(c.aur_url, "https://aur.archlinux.org");
        aurconf_free(&c);
}

static void test_refused(void **state) {
        const struct {
                const char *text, *why;
        } bad[] = {
                { "[packages]\nuser =\n", "[packages] user is empty or has a space" },
                { "[packages]\nuser = two words\n", "[packages] user is empty or has a space" },
                { "[packages]\naur_url = ftp://aur.example\n",
                  "[packages] aur_url is not an http or https URL" },
                { "[packages]\naur_url = aur.archlinux.org\n", "[packages] aur_url is not an http" },
                { "[packages\nuser = x\n", "could not be read as INI" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                struct aur_config c = { 0 };
                char why[WORKER_WHY_MAX] = "";
                assert_int_equal(load_text(bad[i].text, &c, why), -EINVAL);
                assert_non_null(strstr(why, bad[i].why));
                assert_non_null(strstr(why, dir));
                assert_null(c.user);
                assert_null(c.aur_url);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_missing_file_defaults),
                cmocka_unit_test(test_file_sets),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
