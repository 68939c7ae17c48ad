/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The crypto modules a volume needs, from its cipher and mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "luks.h"

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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crypto_aliases),
                cmocka_unit_test(test_crypto_aliases_once),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
