/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>

#include "sha256.h"
#include "util.h"

static void expect_hex(const void *data, size_t len, const char *want) {
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        sha256(data, len, d);
        sha256_to_hex(d, hex);
        assert_string_equal(hex, want);
}

/* The test vectors of FIPS 180-4's examples (NIST CSRC). */
static void test_nist_vectors(void **state) {
        expect_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        expect_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        expect_hex(m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                           "klmnopqrlmnopqrsmnopqrstnopqrstu";
        expect_hex(m896, strlen(m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state) {
        struct sha256_ctx c;
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE], block[1000];

        memset(block, 'a', sizeof block);
        sha256_init(&c);
        for (int i = 0; i < 1000; i++)
                sha256_update(&c, block, sizeof block);
        sha256_final(&c, d);
        sha256_to_hex(d, hex);
        assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundaries (56 and 64 bytes), checked against Python's hashlib. */
static void test_padding_boundaries(void **state) {
        static const struct {
                size_t n;
                const char *hex;
        } v[] = {
                { 55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b" },
                { 56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27" },
                { 63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055" },
                { 64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241" },
                { 65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e" },
                { 119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e" },
                { 120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5" },
                { 127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07" },
                { 128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6" },
        };
        uint8_t data[128];
        for (size_t i = 0; i < sizeof data; i++)
                data[i] = (uint8_t)((i * 7 + 3) & 255);
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                expect_hex(data, v[i].n, v[i].hex);
}

/* Any split of the input into updates gives the same digest. */
static void test_split_updates(void **state) {
        uint8_t data[300], whole[SHA256_DIGEST_SIZE], part[SHA256_DIGEST_SIZE];
        for (size_t i = 0; i < sizeof data; i++)
                data[i] = (uint8_t)(i * 31 + 1);
        sha256(data, sizeof data, whole);
        for (size_t step = 1; step <= 130; step++) {
                struct sha256_ctx c;
                sha256_init(&c);
                for (size_t off = 0; off < sizeof data; off += step)
                        sha256_update(&c, data + off, sizeof data - off < step ? sizeof data - off : step);
                sha256_final(&c, part);
                assert_memory_equal(whole, part, sizeof whole);
        }
}

static void test_file(void **state) {
        char path[] = "/tmp/koompi-test-sha256.XXXXXX";
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        uint64_t size = 0;
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        /* More than one read buffer. */
        _cleanup_free_ char *big = xmalloc(200000);
        memset(big, 'a', 200000);
        assert_int_equal(write_full(fd, big, 200000), 0);
        close(fd);
        assert_int_equal(sha256_file(path, d, &size), 0);
        assert_int_equal(size, 200000);
        uint8_t want[SHA256_DIGEST_SIZE];
        sha256(big, 200000, want);
        assert_memory_equal(d, want, sizeof d);
        unlink(path);
        assert_int_equal(sha256_file(path, d, NULL), -ENOENT);

        fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(sha256_file(path, d, &size), 0);
        assert_int_equal(size, 0);
        sha256_to_hex(d, hex);
        assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        unlink(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nist_vectors),
                cmocka_unit_test(test_million_a),
                cmocka_unit_test(test_padding_boundaries),
                cmocka_unit_test(test_split_updates),
                cmocka_unit_test(test_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
