/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The crypto modules a volume needs, from its cipher and mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "luks.h"
#include "testlib.h"

/* The list as one line: "crypto-aes crypto-xts". */
static const char *aliases(const char *cipher, const char *mode, size_t size) {
        static char buf[256], line[256];
        size_t used = 0;
        luks_crypto_aliases_of(cipher, mode, buf, size, &used);
        line[0] = 0;
        for (const char *a = buf; *a; a += strlen(a) + 1) {
                if (line[0])
                        strcat(line, " ");
                strcat(line, a); /* at most 256 bytes in all: buf holds them */
        }
        return line;
}

static void test_crypto_aliases(void **state) {
        assert_string_equal(aliases("aes", "xts-plain64", 256), "crypto-aes crypto-xts crypto-ecb");
        assert_string_equal(aliases("aes", "cbc-essiv:sha256", 256),
                            "crypto-aes crypto-cbc crypto-essiv crypto-sha256");
        assert_string_equal(aliases("serpent", "xts-plain", 256), "crypto-serpent crypto-xts crypto-ecb");
        assert_string_equal(aliases("aes", "lrw-benbi", 256), "crypto-aes crypto-lrw crypto-ecb");
        assert_string_equal(aliases("aes", "ecb", 256), "crypto-aes crypto-ecb");
        assert_string_equal(aliases("capi:xts(aes)", NULL, 256), "crypto-capi");
        assert_string_equal(aliases(NULL, NULL, 256), "");
        /* Too small for the second name: the first stays whole. */
        assert_string_equal(aliases("aes", "xts-plain64", 16), "crypto-aes");
}

static void test_crypto_aliases_once(void **state) {
        char buf[256];
        size_t used = 0;
        luks_crypto_aliases_of("aes", "xts-plain64", buf, sizeof buf, &used);
        luks_crypto_aliases_of("aes", "xts-plain64", buf, sizeof buf, &used);
        assert_string_equal(buf, "crypto-aes");
        assert_string_equal(buf + strlen(buf) + 1, "crypto-xts");
        assert_int_equal(used,
                         strlen("crypto-aes") + 1 + strlen("crypto-xts") + 1 + strlen("crypto-ecb") + 1);
}

/* A LUKS2 header carrying a token of a type nobody here knows (another tool's, or a newer
 * version's): it opens, its keyslots count, and remembering the keyslot rewrites the header
 * with the token kept. */
static void test_unknown_token(void **state) {
        char dir[TL_TMP_MAX];
        struct luks_volume *v = NULL;
        if (getuid() != 0 || tl_run(NULL, true, "command -v cryptsetup") != 0)
                skip();
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "luks"), 0);
        const char *disk = tl_path(dir, "disk"), *key = tl_path(dir, "key");
        tl_write_text(key, "passphrase");
        tl_sh("truncate -s 20M '%s' && cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 "
              "--pbkdf-force-iterations 1000 --key-file '%s' '%s'",
              disk, key, disk);
        tl_sh("echo '{\"type\":\"x-school-vendor\",\"keyslots\":[\"0\"],\"blob\":\"abc\"}' | "
              "cryptsetup token import --token-id 3 '%s'",
              disk);
        assert_int_equal(luks_open(disk, &v), 0);
        assert_int_equal(luks_keyslot_count(v), 1);
        assert_int_equal(luks_prefer_keyslot(v, 0), 1);
        luks_close(v);
        char *token = tl_output("cryptsetup token export --token-id 3 '%s'", disk);
        assert_non_null(strstr(token, "x-school-vendor"));
        free(token);
        tl_sh("cryptsetup open --test-passphrase --key-file '%s' '%s'", key, disk);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crypto_aliases),
                cmocka_unit_test(test_crypto_aliases_once),
                cmocka_unit_test(test_unknown_token),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
