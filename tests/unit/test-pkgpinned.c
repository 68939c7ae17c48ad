/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manifest a root keeps of its release, as koompi install reads it (src/agent/pkgpinned.c):
 * none (today's source), a good one, one without its signature, one signed by a key not
 * trusted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>

#include "minisign.h"
#include "pkgpinned.h"
#include "testlib.h"
#include "util.h"

#define SHA_HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static const char manifest[] =
        "{ \"format\": 1, \"channel\": \"stable\", \"version\": \"2026.12.2\", \"serial\": 1,"
        " \"issued\": \"2026-12-06T00:00:00Z\", \"expires\": \"2026-12-20T00:00:00Z\", \"tier\": \"regular\","
        " \"rollout\": { \"percent\": 100, \"paused\": false },"
        " \"repo\": { \"name\": \"koompi\", \"path\": \"2026.12.2/\" }, \"packages\": ["
        " { \"name\": \"koompi.db\", \"version\": \"1\", \"file\": \"koompi.db\", \"size\": 5, \"sha256\": \"" SHA_HELLO
        "\" },"
        " { \"name\": \"gimp\", \"version\": \"3-1\", \"file\": \"gimp-3-1-any.pkg.tar.zst\", \"size\": 5,"
        " \"sha256\": \"" SHA_HELLO "\", \"optional\": true } ], \"revoked\": [] }\n";

struct world {
        char dir[TL_TMP_MAX];
        struct agent_config conf;
        struct pkgjob job;
        struct minisign_seckey sec;
};

/* A root (dir/root) and a keys folder (dir/keys) trusting one key, the job reading them. */
static void world_new(struct world *w) {
        struct minisign_pubkey pub;
        _cleanup_free_ char *pubtext = NULL;
        assert_int_equal(tl_tmpdir_new(w->dir, sizeof w->dir, "pkgpinned"), 0);
        assert_int_equal(minisign_keygen(&pub, &w->sec), 0);
        assert_int_equal(minisign_pubkey_format(&pub, &pubtext), 0);
        assert_int_equal(mkdir_p(tl_path(w->dir, "keys"), 0755), 0);
        tl_write_text(tl_path(w->dir, "keys/release.pub"), pubtext);
        assert_int_equal(mkdir_p(tl_path(w->dir, "root/usr/lib/koompi/release"), 0755), 0);
        w->conf = (struct agent_config) { .update_keys_dir = strdup_or_die(tl_path(w->dir, "keys")) };
        w->conf.packages.pacman_root = strdup_or_die(tl_path(w->dir, "root"));
        w->job = (struct pkgjob) { .conf = &w->conf };
}

static void world_free(struct world *w) {
        free(w->conf.update_keys_dir);
        free(w->conf.packages.pacman_root);
        assert_int_equal(tl_tmpdir_remove(w->dir), 0);
}

static void keep(struct world *w, bool signed_too) {
        _cleanup_free_ char *sig = NULL;
        tl_write_text(tl_path(w->dir, "root/usr/lib/koompi/release/manifest.json"), manifest);
        if (!signed_too)
                return;
        assert_int_equal(minisign_sign(&w->sec, manifest, strlen(manifest), "file:manifest.json", &sig), 0);
        tl_write_text(tl_path(w->dir, "root/usr/lib/koompi/release/manifest.json.minisig"), sig);
}

static void test_none_kept(void **state) {
        struct world w;
        struct pkgpinned p;
        char error[256] = "", why[256];
        world_new(&w);
        assert_int_equal(pkgpinned_load(&w.job, &p, error, sizeof error), -ENOENT);
        pkgpinned_describe(&w.job, why, sizeof why);
        assert_non_null(strstr(why, "this root keeps no release manifest"));
        world_free(&w);
}

static void test_kept(void **state) {
        struct world w;
        struct pkgpinned p;
        char error[256] = "", why[256];
        world_new(&w);
        keep(&w, true);
        assert_int_equal(pkgpinned_load(&w.job, &p, error, sizeof error), 0);
        assert_string_equal(p.m.version, "2026.12.2");
        assert_int_equal(p.m.n_packages, 2);
        assert_true(p.m.packages[1].optional);
        assert_string_equal(p.text, manifest);
        pkgpinned_free(&p);
        pkgpinned_describe(&w.job, why, sizeof why);
        assert_string_equal(
                why, "from release 2026.12.2's pinned repository, checked against its signed manifest");
        world_free(&w);
}

/* A manifest kept without its signature, or signed by a key no longer trusted, is refused:
 * never read as a root that keeps none. */
static void test_refused(void **state) {
        struct world w;
        struct pkgpinned p;
        char error[256] = "";
        world_new(&w);
        keep(&w, false);
        assert_int_equal(pkgpinned_load(&w.job, &p, error, sizeof error), -EKEYREJECTED);
        assert_non_null(strstr(
                error, "the release manifest this root keeps is refused, nothing changed: no signature"));
        keep(&w, true);
        assert_int_equal(unlink(tl_path(w.dir, "keys/release.pub")), 0);
        assert_int_equal(pkgpinned_load(&w.job, &p, error, sizeof error), -ENOKEY);
        assert_non_null(strstr(error, "unknown key"));
        world_free(&w);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_none_kept),
                cmocka_unit_test(test_kept),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
