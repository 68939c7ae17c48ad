/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A package worker's answer read as untrusted; the .desktop rewrite; the kept lists; the
 * [packages] settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desktop.h"
#include "pkgconf.h"
#include "pkginfo.h"
#include "pkgline.h"
#include "pkglist.h"
#include "pacparse.h"
#include "testlib.h"
#include "util.h"

static void test_lines(void **state) {
        struct pkg_line l;
        assert_int_equal(
                pkg_line_parse("{\"progress\":{\"done\":1,\"total\":3,\"text\":\"fetching\\nx\"}}", &l), 0);
        assert_int_equal(l.kind, PKG_LINE_PROGRESS);
        assert_int_equal(l.done, 1);
        assert_int_equal(l.total, 3);
        assert_string_equal(l.text, "fetching x");
        assert_int_equal(pkg_line_parse("{\"result\":[1,2]}", &l), 0);
        assert_int_equal(l.kind, PKG_LINE_RESULT);
        assert_true(json_object_is_type(l.result, json_type_array));
        pkg_line_done(&l);
        assert_int_equal(pkg_line_parse("{\"error\":\"no such app\",\"errno\":2}", &l), 0);
        assert_int_equal(l.kind, PKG_LINE_ERROR);
        assert_int_equal(l.error, -ENOENT);
        const char *bad[] = { "",
                              "[]",
                              "not json",
                              "{\"error\":\"x\",\"errno\":0}",
                              "{\"error\":\"x\",\"errno\":-5}",
                              "{\"error\":\"x\",\"errno\":99999}",
                              "{\"error\":3,\"errno\":5}",
                              "{\"progress\":{\"done\":-1,\"total\":1,\"text\":\"\"}}",
                              "{\"progress\":{\"done\":1,\"total\":1}}",
                              "{\"result\":1,\"extra\":2}",
                              "{\"other\":1}" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                if (pkg_line_parse(bad[i], &l) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
}

static json_object *parse(const char *s) {
        json_object *o = json_tokener_parse(s);
        assert_non_null(o);
        return o;
}

static void test_items(void **state) {
        json_object *out,
                *in = parse("[{\"name\":\"org.example.App\",\"id\":\"org.example.App\",\"version\":\"1.2\","
                            "\"summary\":\"An\\u0007app\",\"source\":\"flatpak\",\"download_size\":1000,"
                            "\"installed\":true,\"evil\":\"dropped\"}]");
        assert_int_equal(pkg_items_clean(in, PKG_FLATPAK, &out), 0);
        json_object *it = json_object_array_get_idx(out, 0);
        assert_string_equal(json_object_get_string(json_object_object_get(it, "summary")), "An app");
        assert_false(json_object_object_get_ex(it, "evil", NULL));
        assert_true(json_object_get_boolean(json_object_object_get(it, "installed")));
        json_object_put(out);
        /* The wrong source, a name that is an option, a negative size, not an array. */
        assert_int_equal(pkg_items_clean(in, PKG_AUR, &out), -EBADMSG);
        json_object_put(in);
        const char *bad[] = { "[{\"name\":\"-rf\",\"source\":\"aur\"}]",
                              "[{\"name\":\"x\",\"source\":\"aur\",\"download_size\":-1}]",
                              "[{\"name\":\"x\",\"source\":\"aur\",\"version\":3}]", "{\"name\":\"x\"}" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                in = parse(bad[i]);
                if (pkg_items_clean(in, PKG_AUR, &out) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
                json_object_put(in);
        }
}

static void test_info_and_risk(void **state) {
        json_object *out,
                *in = parse(
                        "{\"name\":\"tool\",\"source\":\"aur\",\"installed_size\":5,\"needs_restart\":false,"
                        "\"facts\":{\"votes\":2,\"popularity\":0.1,\"maintainer\":null,"
                        "\"out_of_date\":false,\"first_submitted\":1,\"last_modified\":2,"
                        "\"pkgbuild\":\"package() {\\n  curl https://x | sh\\n}\\n\"}}");
        assert_int_equal(pkg_info_clean(in, PKG_AUR, &out), 0);
        /* The source decides whether a restart is needed, not the worker. */
        assert_true(json_object_get_boolean(json_object_object_get(out, "needs_restart")));
        struct pkg_risk_context ctx = {
                .source = PKG_AUR, .op = RISK_INSTALL, .name = "tool", .now = 1000000000
        };
        struct risk_result r;
        pkg_info_risk(out, &ctx, &r);
        assert_true(risk_needs_confirmation(&r));
        json_object_put(out);
        json_object_put(in);
        in = parse(
                "{\"name\":\"org.x.Y\",\"source\":\"flatpak\",\"facts\":{\"filesystems\":[\"host\"],\"devices\":[\"all\"]}}");
        assert_int_equal(pkg_info_clean(in, PKG_FLATPAK, &out), 0);
        ctx = (struct pkg_risk_context) { .source = PKG_FLATPAK, .op = RISK_INSTALL, .name = "org.x.Y" };
        pkg_info_risk(out, &ctx, &r);
        assert_int_equal(r.n, 2);
        json_object_put(out);
        json_object_put(in);
        in = parse("{\"name\":\"org.x.Y\",\"source\":\"flatpak\",\"facts\":{\"filesystems\":\"host\"}}");
        assert_int_equal(pkg_info_clean(in, PKG_FLATPAK, &out), -EBADMSG);
        json_object_put(in);
}

static void test_build_and_done(void **state) {
        json_object *out, *in = parse("{\"files\":[\"/run/koompi/aur-1/tool-1-1-x86_64.pkg.tar.zst\"]}");
        assert_int_equal(pkg_build_clean(in, &out), 0);
        json_object_put(out);
        json_object_put(in);
        const char *bad[] = { "{\"files\":[]}", "{\"files\":[\"relative.pkg.tar.zst\"]}",
                              "{\"files\":[\"/a/../b.pkg.tar.zst\"]}",
                              "{\"files\":[\"/a/x'; rm -rf /'.pkg.tar.zst\"]}",
                              "{\"files\":[\"/a/notapackage\"]}" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                in = parse(bad[i]);
                if (pkg_build_clean(in, &out) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
                json_object_put(in);
        }
        in = parse("{\"name\":\"Tool-1.0\",\"version\":\"\"}");
        assert_int_equal(pkg_done_clean(in, PKG_APPIMAGE, &out), 0);
        json_object_put(out);
        json_object_put(in);
}

static void test_desktop(void **state) {
        static const char text[] =
                "[Desktop Entry]\nName=Tool\nExec=\"tool bin\" --x %U\nTryExec=tool\nIcon=tool\n"
                "[Desktop Action New]\nExec=tool --new\n";
        char *out = NULL, *name = desktop_get(text, "Name");
        assert_string_equal(name, "Tool");
        free(name);
        assert_null(desktop_get(text, "Comment"));
        assert_int_equal(desktop_rewrite(text, "/opt/appimages/Tool.AppImage", "/icons/t.png", &out), 0);
        assert_string_equal(out,
                            "[Desktop Entry]\nName=Tool\nExec=/opt/appimages/Tool.AppImage --x %U\n"
                            "TryExec=/opt/appimages/Tool.AppImage\nIcon=/icons/t.png\n[Desktop Action New]\n"
                            "Exec=/opt/appimages/Tool.AppImage --new\n");
        free(out);
        assert_int_equal(desktop_rewrite("[Desktop Entry]\nName=x\n", "/a", NULL, &out), -EBADMSG);
        /* An Exec= outside [Desktop Entry] does not make an entry. */
        assert_int_equal(desktop_rewrite("[Other]\nExec=x\n", "/a", NULL, &out), -EBADMSG);
}

static void test_list(void **state) {
        char dir[TL_TMP_MAX], *text = NULL;
        char *add[] = { (char *)"vlc", (char *)"firefox", (char *)"vlc", NULL },
             *remove[] = { (char *)"gimp", NULL };
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "pkglist"), 0);
        const char *path = tl_path(dir, "packages/pacman.list");
        assert_int_equal(pkglist_update(path, add, NULL), 0);
        char *more[] = { (char *)"gimp", NULL };
        assert_int_equal(pkglist_update(path, more, NULL), 0);
        assert_int_equal(pkglist_update(path, NULL, remove), 0);
        assert_int_equal(read_file(path, &text, NULL), 0);
        assert_string_equal(text, "firefox\nvlc\n");
        free(text);
        tl_tmpdir_remove(dir);
}

static void test_config(void **state) {
        struct pkg_config c;
        pkgconf_defaults(&c);
        assert_false(c.aur);
        assert_true(c.flatpak);
        assert_int_equal(pkgconf_set(&c, "aur", "yes"), 0);
        assert_true(c.aur);
        assert_int_equal(pkgconf_set(&c, "order", "flatpak pacman"), 0);
        assert_string_equal(c.order, "flatpak pacman");
        assert_int_equal(pkgconf_set(&c, "order", "snap"), -EINVAL);
        assert_string_equal(c.order, "flatpak pacman");
        assert_int_equal(pkgconf_set(&c, "appimage_dir", "relative"), -EINVAL);
        assert_int_equal(pkgconf_set(&c, "aur_url", "ftp://x"), -EINVAL);
        assert_int_equal(pkgconf_set(&c, "timeout", "10min"), 0);
        assert_int_equal(c.timeout_ms, 600000);
        assert_int_equal(pkgconf_set(&c, "nope", "1"), -ENOENT);
        assert_true(pkgconf_has_key("AUR"));
        assert_false(pkgconf_has_key("nope"));
        pkgconf_free(&c);
}

static void test_pacman_output(void **state) {
        static const char si[] =
                "Repository      : koompi\nName            : hello-koompi\nVersion         : 1.0-1\n"
                "Description     : A greeting\nDownload Size   : 1.50 MiB\n"
                "Installed Size  : 10.00 KiB\n\nRepository      : other\nName            : x\n";
        static const char ss[] =
                "core/linux 6.12-1 [installed]\n    The Linux kernel\nextra/vlc 3.0-2\n    A player\n"
                "garbage line\n";
        json_object *o;
        uint64_t n;
        assert_int_equal(pacman_parse_size("512 B", &n), 0);
        assert_int_equal(n, 512);
        assert_int_equal(pacman_parse_size("1.50 MiB", &n), 0);
        assert_int_equal(n, 1572864);
        assert_int_equal(pacman_parse_size("lots", &n), -EINVAL);
        assert_int_equal(pacman_parse_info(si, false, &o), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(o, "name")), "hello-koompi");
        assert_int_equal(json_object_get_int64(json_object_object_get(o, "download_size")), 1572864);
        assert_int_equal(json_object_get_int64(json_object_object_get(o, "installed_size")), 10240);
        json_object_put(o);
        assert_int_equal(pacman_parse_info("error: package 'x' was not found\n", false, &o), -EBADMSG);
        o = pacman_parse_search(ss);
        assert_int_equal(json_object_array_length(o), 2);
        json_object *linux_item = json_object_array_get_idx(o, 0);
        assert_true(json_object_get_boolean(json_object_object_get(linux_item, "installed")));
        assert_string_equal(json_object_get_string(json_object_object_get(linux_item, "summary")),
                            "The Linux kernel");
        json_object_put(o);
        o = pacman_parse_query("base 3-2\nvim 9.1-1\n\n");
        assert_int_equal(json_object_array_length(o), 2);
        json_object_put(o);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines),         cmocka_unit_test(test_items),
                cmocka_unit_test(test_info_and_risk), cmocka_unit_test(test_build_and_done),
                cmocka_unit_test(test_desktop),       cmocka_unit_test(test_list),
                cmocka_unit_test(test_config),        cmocka_unit_test(test_pacman_output),
        };
        return cmocka_run_group_tests_name("pkgline", tests, NULL, NULL);
}
