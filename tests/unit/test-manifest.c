/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manifest.json: parsing, and every refusal of update_verify() with its own errno and words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>

#include "chanstate.h"
#include "minisign.h"
#include "testlib.h"
#include "util.h"
#include "verify.h"

#define ISSUED 1796515200 /* 2026-12-06T00:00:00Z */
#define EXPIRES 1797724800 /* 2026-12-20T00:00:00Z */
#define SHA_HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static struct minisign_pubkey pub;
static struct minisign_seckey sec;

#define MANIFEST_BUF 2048

/* A good manifest with the fields that vary: format, channel, serial, issued, expires. */
static void manifest_text(char buf[MANIFEST_BUF], const char *format, const char *channel, const char *serial,
                          const char *issued, const char *expires) {
        int n = snprintf(
                buf, MANIFEST_BUF,
                "{ \"format\": %s, \"channel\": \"%s\", \"version\": \"2026.12.2\", \"serial\": %s,\n"
                "  \"issued\": \"%s\", \"expires\": \"%s\", \"tier\": \"regular\",\n"
                "  \"rollout\": { \"percent\": 25, \"paused\": false },\n"
                "  \"repo\": { \"name\": \"koompi\", \"path\": \"2026.12.2/\" },\n"
                "  \"packages\": [ { \"name\": \"hello\", \"version\": \"1.0-1\",\n"
                "      \"file\": \"hello-1.0-1-x86_64.pkg.tar.zst\", \"size\": 5,\n"
                "      \"sha256\": \"" SHA_HELLO "\" } ],\n"
                "  \"revoked\": [ \"2026.12.1\" ], \"notes\": \"winter\" }\n",
                format, channel, serial, issued, expires);
        assert_true(n > 0 && n < MANIFEST_BUF);
}

static void good_text(char buf[MANIFEST_BUF]) {
        manifest_text(buf, "1", "stable", "17", "2026-12-06T00:00:00Z", "2026-12-20T00:00:00Z");
}

static char *sign(const char *text) {
        char *sig;
        assert_int_equal(minisign_sign(&sec, text, strlen(text), "file:manifest.json", &sig), 0);
        return sig;
}

static struct update_trust trust(void) {
        return (struct update_trust) { .channel = "stable",
                                       .keys = &pub,
                                       .n_keys = 1,
                                       .last = { .serial = 16, .issued = ISSUED - 86400 },
                                       .now = ISSUED + 3600 };
}

/* update_verify() of text signed with our key, under t; the errno, the reason in why. */
static int verify_signed(const struct update_trust *t, const char *text, struct update_refusal *why) {
        _cleanup_free_ char *sig = sign(text);
        struct manifest m;
        int r = update_verify(t, text, strlen(text), sig, &m, why);
        if (r == 0)
                manifest_free(&m);
        return r;
}

static int setup(void **state) {
        return minisign_keygen(&pub, &sec);
}

static int teardown(void **state) {
        secure_wipe(&sec, sizeof sec);
        return 0;
}

static void test_parse_good(void **state) {
        char text[MANIFEST_BUF];
        good_text(text);
        struct manifest m;
        struct update_refusal why = { 0 };
        assert_int_equal(manifest_parse(text, strlen(text), &m, &why), 0);
        assert_int_equal(why.error, 0);
        assert_string_equal(m.channel, "stable");
        assert_string_equal(m.version, "2026.12.2");
        assert_int_equal(m.serial, 17);
        assert_int_equal(m.issued, ISSUED);
        assert_int_equal(m.expires, EXPIRES);
        assert_int_equal(m.tier, TIER_REGULAR);
        assert_int_equal(m.percent, 25);
        assert_false(m.paused);
        assert_int_equal(m.started, 0);
        assert_string_equal(m.repo_name, "koompi");
        assert_string_equal(m.repo_path, "2026.12.2/");
        assert_int_equal(m.n_packages, 1);
        assert_string_equal(m.packages[0].file, "hello-1.0-1-x86_64.pkg.tar.zst");
        assert_int_equal(m.packages[0].size, 5);
        assert_string_equal(m.packages[0].sha256, SHA_HELLO);
        assert_false(m.packages[0].optional);
        assert_true(manifest_revokes(&m, "2026.12.1"));
        assert_false(manifest_revokes(&m, "2026.12.2"));
        assert_string_equal(m.notes, "winter");
        manifest_free(&m);
}

/* good_text() with a second package, "extra", marked optional as given. */
static void parse_with_extra(const char *optional, struct manifest *m) {
        char text[MANIFEST_BUF], edited[MANIFEST_BUF];
        struct update_refusal why = { 0 };
        good_text(text);
        char *at = strstr(text, " ],");
        assert_non_null(at);
        snprintf(
                edited, sizeof edited,
                "%.*s, { \"name\": \"extra\", \"version\": \"2-1\", \"file\": \"extra-2-1-any.pkg.tar.zst\", "
                "\"size\": 5, \"sha256\": \"" SHA_HELLO "\"%s }%s",
                (int)(at - text), text, optional, at);
        assert_int_equal(manifest_parse(edited, strlen(edited), m, &why), 0);
}

static void test_parse_optional(void **state) {
        struct manifest m;
        parse_with_extra(", \"optional\": true", &m);
        assert_int_equal(m.n_packages, 2);
        assert_false(m.packages[0].optional);
        assert_true(m.packages[1].optional);
        manifest_free(&m);
        parse_with_extra(", \"optional\": false", &m);
        assert_false(m.packages[1].optional);
        manifest_free(&m);
}

/* An optional package stays only when asked for; the others always. */
static void test_drop_optional(void **state) {
        char *const asked[] = { (char *)"extra", NULL }, *const other[] = { (char *)"hello", NULL };
        struct manifest m;
        parse_with_extra(", \"optional\": true", &m);
        manifest_drop_optional(&m, asked);
        assert_int_equal(m.n_packages, 2);
        manifest_drop_optional(&m, other);
        assert_int_equal(m.n_packages, 1);
        assert_string_equal(m.packages[0].name, "hello");
        manifest_free(&m);
        parse_with_extra(", \"optional\": true", &m);
        manifest_drop_optional(&m, NULL);
        assert_int_equal(m.n_packages, 1);
        assert_string_equal(m.packages[0].name, "hello");
        manifest_free(&m);
        parse_with_extra("", &m);
        manifest_drop_optional(&m, NULL);
        assert_int_equal(m.n_packages, 2);
        manifest_free(&m);
}

static void test_keep_files(void **state) {
        char *const one[] = { (char *)"extra-2-1-any.pkg.tar.zst", NULL },
                    *const stranger[] = { (char *)"extra-2-1-any.pkg.tar.zst",
                                          (char *)"gimp-3-1-any.pkg.tar.zst", NULL };
        const char *missing = NULL;
        struct manifest m;
        parse_with_extra(", \"optional\": true", &m);
        assert_int_equal(manifest_keep_files(&m, stranger, &missing), -ENOENT);
        assert_string_equal(missing, "gimp-3-1-any.pkg.tar.zst");
        assert_int_equal(m.n_packages, 2);
        assert_int_equal(manifest_keep_files(&m, one, &missing), 0);
        assert_int_equal(m.n_packages, 1);
        assert_string_equal(m.packages[0].name, "extra");
        assert_int_equal(manifest_keep_files(&m, NULL, &missing), 0);
        assert_int_equal(m.n_packages, 0);
        manifest_free(&m);
}

static void test_verify_good(void **state) {
        char text[MANIFEST_BUF];
        good_text(text);
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        assert_int_equal(verify_signed(&t, text, &why), 0);
        /* The first manifest a machine sees. */
        t.last = (struct channel_state) { 0 };
        assert_int_equal(verify_signed(&t, text, &why), 0);
}

static void expect_refusal(int r, const struct update_refusal *why, int error, const char *words) {
        assert_int_equal(r, error);
        assert_int_equal(why->error, error);
        if (!strstr(why->reason, words))
                fail_msg("reason \"%s\" does not say \"%s\"", why->reason, words);
}

static void test_missing_signature(void **state) {
        char text[MANIFEST_BUF];
        good_text(text);
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        struct manifest m;
        expect_refusal(update_verify(&t, text, strlen(text), NULL, &m, &why), &why, -ENOENT, "no signature");
}

static void test_bad_signature(void **state) {
        char text[MANIFEST_BUF];
        good_text(text);
        _cleanup_free_ char *sig = sign(text);
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        struct manifest m;
        expect_refusal(update_verify(&t, text, strlen(text), "garbage\n", &m, &why), &why, -EKEYREJECTED,
                       "bad signature");
        /* The manifest changed after signing: 25 % made 95 %. */
        char *p = strstr(text, "25");
        p[0] = '9';
        expect_refusal(update_verify(&t, text, strlen(text), sig, &m, &why), &why, -EKEYREJECTED,
                       "changed after key");
}

static void test_unknown_key(void **state) {
        char text[MANIFEST_BUF];
        good_text(text);
        struct minisign_pubkey other;
        struct minisign_seckey other_sec;
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        char hex[MINISIGN_ID_HEX], words[64];
        assert_int_equal(minisign_keygen(&other, &other_sec), 0);
        t.keys = &other;
        minisign_id_hex(pub.id, hex);
        snprintf(words, sizeof words, "unknown key: the manifest is signed by key %s", hex);
        expect_refusal(verify_signed(&t, text, &why), &why, -ENOKEY, words);
        t.n_keys = 0;
        expect_refusal(verify_signed(&t, text, &why), &why, -ENOKEY, "unknown key");
        secure_wipe(&other_sec, sizeof other_sec);
}

static void test_replayed(void **state) {
        char text[MANIFEST_BUF];
        good_text(text);
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        t.last.serial = 17;
        expect_refusal(verify_signed(&t, text, &why), &why, -ESTALE, "serial 17 is not newer than 17");
        t.last.serial = 30;
        expect_refusal(verify_signed(&t, text, &why), &why, -ESTALE, "replayed or older");
}

/* The manifest accepted last time, fetched again, is no replay; another one with its serial is. */
static void test_same_manifest_again(void **state) {
        char text[MANIFEST_BUF];
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        good_text(text);
        t.last.serial = 17;
        update_manifest_sha256(text, strlen(text), t.last.sha256);
        assert_int_equal(verify_signed(&t, text, &why), 0);
        char *p = strstr(text, "winter");
        p[0] = 'W';
        expect_refusal(verify_signed(&t, text, &why), &why, -ESTALE, "serial 17 is not newer than 17");
}

/* The manifest a root keeps: its signature checked, not its age, serial or channel. */
static void test_verify_kept(void **state) {
        char text[MANIFEST_BUF];
        good_text(text);
        _cleanup_free_ char *sig = sign(text);
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        struct manifest m;
        t.now = EXPIRES + 86400;
        t.last.serial = 99;
        t.channel = "beta";
        assert_int_equal(update_verify_kept(&t, text, strlen(text), sig, &m, &why), 0);
        assert_string_equal(m.version, "2026.12.2");
        manifest_free(&m);
        expect_refusal(update_verify_kept(&t, text, strlen(text), NULL, &m, &why), &why, -ENOENT,
                       "no signature");
        strstr(text, "winter")[5] = 'x';
        expect_refusal(update_verify_kept(&t, text, strlen(text), sig, &m, &why), &why, -EKEYREJECTED,
                       "bad signature");
        t.n_keys = 0;
        expect_refusal(update_verify_kept(&t, text, strlen(text), sig, &m, &why), &why, -ENOKEY,
                       "unknown key");
}

static void test_expired(void **state) {
        char text[MANIFEST_BUF];
        good_text(text);
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        t.now = EXPIRES;
        expect_refusal(verify_signed(&t, text, &why), &why, -ETIME,
                       "expired at 2026-12-20T00:00:00Z, and it is at least 2026-12-20T00:00:00Z");
}

/* A dead RTC battery: the clock says 2009. */
static void test_wrong_clock(void **state) {
        char text[MANIFEST_BUF];
        good_text(text);
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        t.now = 1230768000; /* 2009-01-01 */
        /* A good manifest issued after the last accepted one is still accepted. */
        assert_int_equal(verify_signed(&t, text, &why), 0);
        /* An expired one is refused: the last accepted manifest was issued after it expired. */
        t.last.issued = EXPIRES + 1;
        expect_refusal(verify_signed(&t, text, &why), &why, -ETIME, "expired");
        /* Nothing accepted yet: the build time is the floor. */
        t.last = (struct channel_state) { 0 };
        t.build_time = EXPIRES + 60;
        expect_refusal(verify_signed(&t, text, &why), &why, -ETIME, "2026-12-20T00:01:00Z");
        assert_int_equal(update_trusted_now(&t), EXPIRES + 60);
}

static void test_trusted_now(void **state) {
        struct update_trust t = { .now = 100, .build_time = 50, .last = { .serial = 1, .issued = 70 } };
        assert_int_equal(update_trusted_now(&t), 100);
        t.now = 10;
        assert_int_equal(update_trusted_now(&t), 70);
        t.build_time = 90;
        assert_int_equal(update_trusted_now(&t), 90);
        /* No accepted manifest: its issued time means nothing. */
        t = (struct update_trust) { .now = 10, .last = { .serial = 0, .issued = 500 } };
        assert_int_equal(update_trusted_now(&t), 10);
}

static void test_other_channel(void **state) {
        char text[MANIFEST_BUF];
        manifest_text(text, "1", "beta", "17", "2026-12-06T00:00:00Z", "2026-12-20T00:00:00Z");
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        expect_refusal(verify_signed(&t, text, &why), &why, -EXDEV,
                       "the manifest is for \"beta\", this machine follows \"stable\"");
}

static void test_unknown_format(void **state) {
        char text[MANIFEST_BUF];
        manifest_text(text, "2", "stable", "17", "2026-12-06T00:00:00Z", "2026-12-20T00:00:00Z");
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        expect_refusal(verify_signed(&t, text, &why), &why, -EPROTONOSUPPORT, "unknown manifest format 2");
}

static void test_malformed_json(void **state) {
        static const char *const bad[] = {
                "", "{", "[1,2]", "{\"format\": 1,}", "{\"format\": 1} {}", "nonsense",
        };
        struct update_trust t = trust();
        struct update_refusal why = { 0 };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                expect_refusal(verify_signed(&t, bad[i], &why), &why, -EBADMSG, "malformed JSON");
}

/* Each field missing, of the wrong kind or out of range: "malformed manifest" naming it. */
static void test_bad_fields(void **state) {
        static const struct {
                const char *from, *to, *field;
        } cases[] = {
                { "\"serial\": 17", "\"serial\": 0", "serial" },
                { "\"serial\": 17", "\"serial\": \"17\"", "serial" },
                { "\"serial\": 17", "\"serial\": 17.5", "serial" },
                { "\"serial\": 17", "\"serials\": 17", "serial" },
                { "\"channel\": \"stable\"", "\"channel\": \"../etc\"", "channel" },
                { "\"tier\": \"regular\"", "\"tier\": \"urgent\"", "tier" },
                { "\"percent\": 25", "\"percent\": 101", "percent" },
                { "\"percent\": 25", "\"percent\": -1", "percent" },
                { "\"paused\": false", "\"paused\": 0", "paused" },
                { "\"path\": \"2026.12.2/\"", "\"path\": \"../2026.12.2/\"", "path" },
                { "\"path\": \"2026.12.2/\"", "\"path\": \"/srv/\"", "path" },
                { "\"path\": \"2026.12.2/\"", "\"path\": \"2026.12.2\"", "path" },
                { "\"file\": \"hello", "\"file\": \"../hello", "file" },
                { "\"size\": 5", "\"size\": -5", "size" },
                { "\"sha256\": \"2cf", "\"sha256\": \"2CF", "sha256" },
                { "\"sha256\": \"2cf", "\"sha256\": \"2c", "sha256" },
                { "\"issued\": \"2026-12-06T00:00:00Z\"", "\"issued\": \"2026-02-30T00:00:00Z\"", "issued" },
                { "\"expires\": \"2026-12-20T00:00:00Z\"", "\"expires\": \"2026-12-05T00:00:00Z\"",
                  "expires" },
                { "\"expires\": \"2026-12-20T00:00:00Z\"", "\"expires\": \"2026-12-20 00:00:00\"",
                  "expires" },
                { "\"revoked\": [ \"2026.12.1\" ]", "\"revoked\": [ 1 ]", "revoked" },
                { "\"revoked\": [ \"2026.12.1\" ], ", "", "revoked" },
                { "\"notes\": \"winter\"", "\"notes\": 3", "notes" },
                { "\"size\": 5", "\"size\": 5, \"optional\": 1", "optional" },
                { "\"size\": 5", "\"size\": 5, \"optional\": \"true\"", "optional" },
                { "\"size\": 5", "\"size\": 5, \"optional\": null", "optional" },
        };
        struct update_trust t = trust();
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char text[MANIFEST_BUF];
                good_text(text);
                char edited[MANIFEST_BUF], words[64];
                struct update_refusal why = { 0 };
                char *at = strstr(text, cases[i].from);
                assert_non_null(at);
                snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - text), text, cases[i].to,
                         at + strlen(cases[i].from));
                snprintf(words, sizeof words, "malformed manifest: \"%s\"", cases[i].field);
                expect_refusal(verify_signed(&t, edited, &why), &why, -EBADMSG, words);
        }
}

static void test_package_bytes(void **state) {
        char dir[TL_TMP_MAX];
        struct manifest_package p = { .file = (char *)"hello.pkg", .size = 5, .sha256 = SHA_HELLO };
        struct update_refusal why = { 0 };
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "pkg"), 0);
        tl_write_text(tl_path(dir, "hello.pkg"), "hello");
        assert_int_equal(update_verify_package(&p, tl_path(dir, "hello.pkg"), &why), 0);
        tl_write_text(tl_path(dir, "hello.pkg"), "hellO");
        expect_refusal(update_verify_package(&p, tl_path(dir, "hello.pkg"), &why), &why, -EILSEQ,
                       "hello.pkg does not match its sha256");
        tl_write_text(tl_path(dir, "hello.pkg"), "hello!");
        expect_refusal(update_verify_package(&p, tl_path(dir, "hello.pkg"), &why), &why, -EILSEQ,
                       "hello.pkg is 6 bytes, the manifest says 5");
        expect_refusal(update_verify_package(&p, tl_path(dir, "none"), &why), &why, -ENOENT,
                       "could not be read");
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_channel_state(void **state) {
        char dir[TL_TMP_MAX];
        struct channel_state s = { .serial = 17,
                                   .issued = ISSUED,
                                   .version = "2026.12.2",
                                   .sha256 = SHA_HELLO },
                             back;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "chanstate"), 0);
        assert_int_equal(update_state_load(dir, "stable", &back), -ENOENT);
        assert_int_equal(update_state_save(dir, "stable", &s), 0);
        assert_int_equal(update_state_load(dir, "stable", &back), 0);
        assert_int_equal(back.serial, 17);
        assert_int_equal(back.issued, ISSUED);
        assert_string_equal(back.version, "2026.12.2");
        assert_string_equal(back.sha256, SHA_HELLO);
        assert_int_equal(update_state_load(dir, "beta", &back), -ENOENT);
        assert_int_equal(update_state_save(dir, "../x", &s), -EINVAL);
        assert_int_equal(update_state_load(dir, "../x", &back), -EINVAL);
        tl_write_text(tl_path(dir, "update/stable.state"), "serial=oops\n");
        assert_int_equal(update_state_load(dir, "stable", &back), -EBADMSG);
        /* Only the new file, complete: no temporary file left beside it. */
        assert_int_equal(update_state_save(dir, "stable", &s), 0);
        _cleanup_free_ char *ls = tl_output("ls %s/update", dir);
        assert_string_equal(ls, "stable.state\n");
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_refusal_errnos(void **state) {
        static const int refusals[] = { -ENOENT, -EKEYREJECTED, -ENOKEY, -EBADMSG, -EPROTONOSUPPORT,
                                        -EXDEV,  -ESTALE,       -ETIME,  -EILSEQ };
        for (size_t i = 0; i < ELEMENTSOF(refusals); i++)
                assert_true(update_is_refusal(refusals[i]));
        /* Failures, not refusals: nothing answered, nothing set, nothing written. */
        assert_false(update_is_refusal(-EIO));
        assert_false(update_is_refusal(-EINVAL));
        assert_false(update_is_refusal(-ENOSPC));
        assert_false(update_is_refusal(0));
}

static void test_approvals(void **state) {
        char dir[TL_TMP_MAX];
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "approve"), 0);
        assert_false(update_approved(dir, "2027.1.0"));
        assert_int_equal(update_approve(dir, "2027.1.0"), 0);
        assert_int_equal(update_approve(dir, "2027.2.0"), 0);
        assert_int_equal(update_approve(dir, "2027.1.0"), 0);
        assert_true(update_approved(dir, "2027.1.0"));
        assert_true(update_approved(dir, "2027.2.0"));
        assert_false(update_approved(dir, "2027.1"));
        assert_int_equal(update_approve(dir, "../x"), -EINVAL);
        assert_int_equal(update_approve(dir, ""), -EINVAL);
        _cleanup_free_ char *text = tl_output("cat %s/update/approved", dir);
        assert_string_equal(text, "2027.1.0\n2027.2.0\n");
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_times(void **state) {
        int64_t t;
        char buf[32];
        assert_int_equal(update_time_parse("2026-12-06T00:00:00Z", &t), 0);
        assert_int_equal(t, ISSUED);
        update_time_format(t, buf, sizeof buf);
        assert_string_equal(buf, "2026-12-06T00:00:00Z");
        assert_int_equal(update_time_parse("2026-12-06T24:00:00Z", &t), -EINVAL);
        assert_int_equal(update_time_parse("2026-12-06T00:00:00+01:00", &t), -EINVAL);
        assert_int_equal(update_time_parse("2026-12-06", &t), -EINVAL);
        assert_int_equal(update_time_parse("2025-02-29T00:00:00Z", &t), -EINVAL);
        assert_int_equal(update_time_parse("2028-02-29T00:00:00Z", &t), 0);
        /* That form only: a sign or a space where a digit goes is refused (it would not be
         * written back the same). */
        assert_int_equal(update_time_parse("-026-12-06T00:00:00Z", &t), -EINVAL);
        assert_int_equal(update_time_parse("+026-12-06T00:00:00Z", &t), -EINVAL);
        assert_int_equal(update_time_parse("2026-12-06T 1:00:00Z", &t), -EINVAL);
        assert_int_equal(update_time_parse("2026-12-06T00:+1:00Z", &t), -EINVAL);
        assert_int_equal(update_time_parse("2026-12-06t00:00:00Z", &t), -EINVAL);
        /* A year before 1000 is written with its four digits, and reads back. */
        assert_int_equal(update_time_parse("0763-12-06T00:00:00Z", &t), 0);
        update_time_format(t, buf, sizeof buf);
        assert_string_equal(buf, "0763-12-06T00:00:00Z");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_good),
                cmocka_unit_test(test_parse_optional),
                cmocka_unit_test(test_drop_optional),
                cmocka_unit_test(test_keep_files),
                cmocka_unit_test(test_verify_good),
                cmocka_unit_test(test_missing_signature),
                cmocka_unit_test(test_verify_kept),
                cmocka_unit_test(test_bad_signature),
                cmocka_unit_test(test_unknown_key),
                cmocka_unit_test(test_replayed),
                cmocka_unit_test(test_same_manifest_again),
                cmocka_unit_test(test_expired),
                cmocka_unit_test(test_wrong_clock),
                cmocka_unit_test(test_trusted_now),
                cmocka_unit_test(test_other_channel),
                cmocka_unit_test(test_unknown_format),
                cmocka_unit_test(test_malformed_json),
                cmocka_unit_test(test_bad_fields),
                cmocka_unit_test(test_package_bytes),
                cmocka_unit_test(test_channel_state),
                cmocka_unit_test(test_times),
                cmocka_unit_test(test_approvals),
                cmocka_unit_test(test_refusal_errnos),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
