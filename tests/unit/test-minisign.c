/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* minisign's files: a key and signatures made by the stock minisign 0.11, and our own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "minisign.h"
#include "testlib.h"
#include "util.h"

/* minisign -G -W; minisign -S -W -m m.txt -t fixture (m.txt holds "koompi\n"); -l: legacy. */
static const char stock_pub[] = "untrusted comment: minisign public key D61324FFAC7E11D0\n"
                                "RWTQEX6s/yQT1g2KCcN9q3GfTYWP0K6s4BMJFZ9Y7YS3yitS7SVndNgD\n";
static const char stock_sig[] =
        "untrusted comment: signature from minisign secret key\n"
        "RUTQEX6s/yQT1nj1PI8sW1WjhCokx0kNAMuzx5uKyMb5bnTnogcsCtL6+SI9wisUcWe3YEVdXEWZAZO51khMnUo6Z/My6NBYggo=\n"
        "trusted comment: fixture\n"
        "CUbkBb8Zv9IX7WoDmjK65pExTsYDZX/4BI9OO2DwdPfCGXRIJpXjVEuTpuBoi93owQCDBajRa7PwBocFcPE5CQ==\n";
static const char legacy_sig[] =
        "untrusted comment: signature from minisign secret key\n"
        "RWTQEX6s/yQT1lir53lAnh361chVpiAc2o/FROvERz7auRkHcehv2Mr5P1ZhJTM5XeXAyKcz1Em0EA4MfUWIM/szP347YepASgQ=\n"
        "trusted comment: legacy\n"
        "K8Xa5ltC0lXdHwcsLF3XvXz5XxgyV4AOhTA3jvPdUIb+QAa1oVqMf5USw1c1A2NE1FXToGJnmfM2OLB77GICCw==\n";
static const char stock_sec[] =
        "untrusted comment: minisign encrypted secret key\n"
        "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA0BF+rP8kE9btK+YyhkcCou1QsGaenYnE52O1ie3"
        "zrpOAswgHj7NUlQ2KCcN9q3GfTYWP0K6s4BMJFZ9Y7YS3yitS7SVndNgDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char message[] = "koompi\n";

static void test_stock_key_and_signature(void **state) {
        struct minisign_pubkey k;
        struct minisign_sig s;
        char hex[MINISIGN_ID_HEX];
        assert_int_equal(minisign_pubkey_parse(stock_pub, &k), 0);
        minisign_id_hex(k.id, hex);
        assert_string_equal(hex, "D61324FFAC7E11D0");
        assert_int_equal(minisign_sig_parse(stock_sig, &s), 0);
        assert_string_equal(s.trusted_comment, "fixture");
        assert_memory_equal(s.id, k.id, MINISIGN_ID_BYTES);
        assert_int_equal(minisign_verify(&k, &s, message, strlen(message)), 0);
        /* One byte more, one byte less. */
        assert_int_equal(minisign_verify(&k, &s, "koompi\n\n", 8), -EKEYREJECTED);
        assert_int_equal(minisign_verify(&k, &s, message, strlen(message) - 1), -EKEYREJECTED);
}

static void test_trusted_comment_is_signed(void **state) {
        struct minisign_pubkey k;
        struct minisign_sig s;
        assert_int_equal(minisign_pubkey_parse(stock_pub, &k), 0);
        assert_int_equal(minisign_sig_parse(stock_sig, &s), 0);
        snprintf(s.trusted_comment, sizeof s.trusted_comment, "fixturf");
        assert_int_equal(minisign_verify(&k, &s, message, strlen(message)), -EKEYREJECTED);
}

static void test_legacy_refused(void **state) {
        struct minisign_sig s;
        assert_int_equal(minisign_sig_parse(legacy_sig, &s), -EPROTONOSUPPORT);
}

static void test_bad_files(void **state) {
        struct minisign_pubkey k;
        struct minisign_sig s;
        assert_int_equal(minisign_pubkey_parse("", &k), -EBADMSG);
        assert_int_equal(minisign_pubkey_parse("untrusted comment: x\nnot base64!\n", &k), -EBADMSG);
        /* A signature line where a key should be: too long. */
        assert_int_equal(
                minisign_pubkey_parse(
                        "RUTQEX6s/yQT1nj1PI8sW1WjhCokx0kNAMuzx5uKyMb5bnTnogcsCtL6+SI9wisUcWe3YEVdXEWZAZO51khMnUo6Z/"
                        "My6NBYggo=\n",
                        &k),
                -EBADMSG);
        /* Bare base64, as minisign -P takes it. */
        assert_int_equal(
                minisign_pubkey_parse("RWTQEX6s/yQT1g2KCcN9q3GfTYWP0K6s4BMJFZ9Y7YS3yitS7SVndNgD", &k), 0);
        assert_int_equal(minisign_sig_parse("", &s), -EBADMSG);
        assert_int_equal(minisign_sig_parse(stock_pub, &s), -EBADMSG);
        /* Three lines of four. */
        char cut[sizeof stock_sig];
        snprintf(cut, sizeof cut, "%s", stock_sig);
        *strchr(strstr(cut, "trusted comment: fixture"), '\n') = '\0';
        assert_int_equal(minisign_sig_parse(cut, &s), -EBADMSG);
}

static void test_sign_and_verify(void **state) {
        struct minisign_pubkey pub, other;
        struct minisign_seckey sec, sec2;
        struct minisign_sig s;
        _cleanup_free_ char *sig = NULL;
        assert_int_equal(minisign_keygen(&pub, &sec), 0);
        assert_int_equal(minisign_sign(&sec, "hello", 5, "timestamp:1 file:manifest.json", &sig), 0);
        assert_int_equal(minisign_sig_parse(sig, &s), 0);
        assert_string_equal(s.trusted_comment, "timestamp:1 file:manifest.json");
        assert_int_equal(minisign_verify(&pub, &s, "hello", 5), 0);
        assert_int_equal(minisign_verify(&pub, &s, "hellO", 5), -EKEYREJECTED);
        assert_int_equal(minisign_keygen(&other, &sec2), 0);
        assert_int_equal(minisign_verify(&other, &s, "hello", 5), -ENOKEY);
        /* Same id, another key: the signature does not verify. */
        memcpy(other.id, pub.id, MINISIGN_ID_BYTES);
        assert_int_equal(minisign_verify(&other, &s, "hello", 5), -EKEYREJECTED);
        assert_int_equal(minisign_sign(&sec, "x", 1, "two\nlines", &sig), -EINVAL);
        secure_wipe(&sec, sizeof sec);
        secure_wipe(&sec2, sizeof sec2);
}

static void test_key_files_round_trip(void **state) {
        struct minisign_pubkey pub, pub2;
        struct minisign_seckey sec, sec2;
        _cleanup_free_ char *pubtext = NULL, *sectext = NULL;
        assert_int_equal(minisign_keygen(&pub, &sec), 0);
        assert_int_equal(minisign_pubkey_format(&pub, &pubtext), 0);
        assert_int_equal(minisign_seckey_format(&sec, &sectext), 0);
        assert_int_equal(minisign_pubkey_parse(pubtext, &pub2), 0);
        assert_memory_equal(&pub, &pub2, sizeof pub);
        assert_int_equal(minisign_seckey_parse(sectext, &sec2), 0);
        assert_memory_equal(&sec, &sec2, sizeof sec);
        /* The public key is not a secret key. */
        assert_int_equal(minisign_seckey_parse(pubtext, &sec2), -EBADMSG);
        secure_wipe(&sec, sizeof sec);
        secure_wipe(&sec2, sizeof sec2);
        secure_wipe(sectext, strlen(sectext));
}

/* minisign -W's key (zero checksum) signs the same as minisign did. */
static void test_stock_secret_key(void **state) {
        struct minisign_seckey sec;
        struct minisign_sig mine, theirs;
        _cleanup_free_ char *sig = NULL;
        assert_int_equal(minisign_seckey_parse(stock_sec, &sec), 0);
        assert_int_equal(minisign_sign(&sec, message, strlen(message), "fixture", &sig), 0);
        assert_int_equal(minisign_sig_parse(sig, &mine), 0);
        assert_int_equal(minisign_sig_parse(stock_sig, &theirs), 0);
        /* Ed25519 is deterministic: the same key, hash and comment give the same bytes. */
        assert_memory_equal(mine.sig, theirs.sig, 64);
        assert_memory_equal(mine.global_sig, theirs.global_sig, 64);
        secure_wipe(&sec, sizeof sec);
}

static void test_encrypted_secret_key_refused(void **state) {
        struct minisign_seckey sec;
        char text[sizeof stock_sec];
        snprintf(text, sizeof text, "%s", stock_sec);
        /* kdf_alg "Sc": the base64 of "Ed" "Sc" "B2" starts RWRTY0Iy. */
        memcpy(strchr(text, '\n') + 1, "RWRTY0Iy", 8);
        assert_int_equal(minisign_seckey_parse(text, &sec), -EOPNOTSUPP);
}

static void test_keys_folder(void **state) {
        char dir[TL_TMP_MAX];
        struct minisign_pubkey *keys = NULL, pub;
        struct minisign_seckey sec;
        _cleanup_free_ char *text = NULL;
        size_t n = 0;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "keys"), 0);
        assert_int_equal(minisign_keys_load(tl_path(dir, "missing"), &keys, &n), -ENOENT);
        assert_int_equal(minisign_keygen(&pub, &sec), 0);
        assert_int_equal(minisign_pubkey_format(&pub, &text), 0);
        tl_write_text(tl_path(dir, "new.pub"), text);
        tl_write_text(tl_path(dir, "old.pub"), stock_pub);
        tl_write_text(tl_path(dir, "broken.pub"), "nonsense\n");
        tl_write_text(tl_path(dir, "README"), stock_pub);
        assert_int_equal(minisign_keys_load(dir, &keys, &n), 0);
        assert_int_equal(n, 2);
        assert_non_null(minisign_key_find(keys, n, pub.id));
        struct minisign_pubkey stock;
        assert_int_equal(minisign_pubkey_parse(stock_pub, &stock), 0);
        assert_non_null(minisign_key_find(keys, n, stock.id));
        stock.id[0] ^= 1;
        assert_null(minisign_key_find(keys, n, stock.id));
        free(keys);
        secure_wipe(&sec, sizeof sec);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stock_key_and_signature),
                cmocka_unit_test(test_trusted_comment_is_signed),
                cmocka_unit_test(test_legacy_refused),
                cmocka_unit_test(test_bad_files),
                cmocka_unit_test(test_sign_and_verify),
                cmocka_unit_test(test_key_files_round_trip),
                cmocka_unit_test(test_stock_secret_key),
                cmocka_unit_test(test_encrypted_secret_key_refused),
                cmocka_unit_test(test_keys_folder),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
