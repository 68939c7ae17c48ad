/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "tpm2token.h"

/* As systemd-cryptenroll 252 writes it. */
static const char systemd_252[] =
        "{\"type\":\"systemd-tpm2\",\"keyslots\":[\"1\"],\"tpm2-blob\":\"AJ4AIPeR+ZXw/2w==\","
        "\"tpm2-pcrs\":[7],\"tpm2-pcr-bank\":\"sha256\",\"tpm2-primary-alg\":\"ecc\","
        "\"tpm2-policy-hash\":\"c1e0b5\",\"tpm2-pin\":false}";

static void test_systemd_token(void **state) {
        struct tpm2_token t;
        assert_int_equal(tpm2_token_parse(systemd_252, &t), 0);
        assert_int_equal(t.keyslot, 1);
        assert_int_equal(t.pcr_mask, 1u << 7);
        assert_false(t.pin);
}

static void test_pin_and_pcrs(void **state) {
        struct tpm2_token t;
        assert_int_equal(
                tpm2_token_parse(" { \"tpm2-pin\" : true , \"keyslots\" : [ \"12\" , \"3\" ],\n"
                                 "\"tpm2-pcrs\":[0, 7,11], \"tpm2_future\": {\"a\":[1,{\"b\":\"}\"}]},"
                                 "\"type\" : \"systemd-tpm2\" }",
                                 &t),
                0);
        assert_true(t.pin);
        assert_int_equal(t.keyslot, 12);
        assert_int_equal(t.pcr_mask, (1u << 0) | (1u << 7) | (1u << 11));
        /* No PCRs (enrolled with --tpm2-pcrs=), no keyslot named. */
        assert_int_equal(tpm2_token_parse("{\"type\":\"systemd-tpm2\",\"tpm2-pcrs\":[]}", &t), 0);
        assert_int_equal(t.pcr_mask, 0);
        assert_int_equal(t.keyslot, -1);
}

static void test_other_types(void **state) {
        struct tpm2_token t = { .keyslot = 99 };
        assert_int_equal(tpm2_token_parse("{\"type\":\"systemd-fido2\",\"keyslots\":[\"2\"]}", &t), -ENOENT);
        assert_int_equal(tpm2_token_parse("{\"type\":\"luks2-keyring\",\"key_description\":\"x\"}", &t),
                         -ENOENT);
        assert_int_equal(t.keyslot, 99);
}

static void test_malformed(void **state) {
        static const char *const bad[] = {
                NULL,
                "",
                "[]",
                "{\"keyslots\":[\"1\"]}", /* no type */
                "{\"type\":\"systemd-tpm2\"",
                "{\"type\":systemd-tpm2}",
                "{\"type\":\"systemd-tpm2\",\"tpm2-pin\":\"yes\"}",
                "{\"type\":\"systemd-tpm2\",\"tpm2-pcrs\":[\"7\"]}",
                "{\"type\":\"systemd-tpm2\",\"keyslots\":[1]}",
                "{\"type\":\"systemd-tpm2\",\"tpm2-blob\":\"unterminated}",
                "{\"type\":\"systemd-tpm2\" \"keyslots\":[]}",
                "{\"type\":\"systemd-tpm2\",\"tpm2-pcrs\":[7",
        };
        struct tpm2_token t = { .keyslot = 99 };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                if (tpm2_token_parse(bad[i], &t) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i] ? bad[i] : "NULL");
        assert_int_equal(t.keyslot, 99);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_systemd_token),
                cmocka_unit_test(test_pin_and_pcrs),
                cmocka_unit_test(test_other_types),
                cmocka_unit_test(test_malformed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
