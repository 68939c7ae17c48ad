/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rollout: app ids and buckets against vectors computed with Python's hmac and hashlib,
 * the share each wave takes, the rings, and the decision of each tier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>

#include "rollout.h"
#include "testlib.h"
#include "util.h"

/* app_id = hmac.new(bytes.fromhex(MID), b"koompi-rollout", hashlib.sha256).digest()
 * bucket = int.from_bytes(hashlib.sha256(app_id + VERSION.encode()).digest()[:8], "big") % 100 */
static const struct {
        const char *machine_id, *version, *app_id;
        unsigned bucket;
} vectors[] = {
        { "0123456789abcdef0123456789abcdef", "2026.12.2",
          "30e2a79f44a545802f48406ee30c0825bfe2c892dcaaa1e1270890f7eedb808b", 69 },
        { "5f1e6b7a0c2d4e8f9a1b3c5d7e9f0a2b", "2026.12.2",
          "02564e35c9f6f06e85d7ded08dd8660373ee59887d2c7ec8e3e2bc9b999337f7", 89 },
        { "5f1e6b7a0c2d4e8f9a1b3c5d7e9f0a2b", "2027.01.1",
          "02564e35c9f6f06e85d7ded08dd8660373ee59887d2c7ec8e3e2bc9b999337f7", 55 },
        { "ffffffffffffffffffffffffffffffff", "1",
          "d10c64ee1a100276171b2c369cc6dcc1af7a816095baf53ffd98976c686b0b44", 14 },
};

static void hex(const uint8_t *b, size_t n, char *out) {
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_vectors(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(vectors); i++) {
                uint8_t app[ROLLOUT_APP_ID_BYTES];
                char app_hex[2 * ROLLOUT_APP_ID_BYTES + 1];
                assert_int_equal(rollout_app_id(vectors[i].machine_id, app), 0);
                hex(app, sizeof app, app_hex);
                assert_string_equal(app_hex, vectors[i].app_id);
                assert_int_equal(rollout_bucket(app, vectors[i].version), vectors[i].bucket);
        }
}

static void test_machine_id_file(void **state) {
        char path[TL_TMP_MAX];
        uint8_t app[ROLLOUT_APP_ID_BYTES], want[ROLLOUT_APP_ID_BYTES];
        assert_int_equal(tl_tmpfile_new(path, sizeof path, "machine-id"), 0);
        tl_write_text(path, "0123456789abcdef0123456789abcdef\n");
        assert_int_equal(rollout_app_id_file(path, app), 0);
        assert_int_equal(rollout_app_id(vectors[0].machine_id, want), 0);
        assert_memory_equal(app, want, sizeof app);
        tl_write_text(path, "uninitialized\n");
        assert_int_equal(rollout_app_id_file(path, app), -EINVAL);
        tl_write_text(path, "0123456789abcdef0123456789abcdeg\n");
        assert_int_equal(rollout_app_id_file(path, app), -EINVAL);
        tl_write_text(path, "0123456789abcdef0123456789abcdef0\n");
        assert_int_equal(rollout_app_id_file(path, app), -EINVAL);
        unlink(path);
        assert_int_equal(rollout_app_id_file(path, app), -ENOENT);
}

/* 10,000 machine-ids from a fixed sequence: each wave takes its share, within 2 points. */
static void test_shares(void **state) {
        static const unsigned waves[] = { 10, 25, 50 };
        unsigned taken[ELEMENTSOF(waves)] = { 0 };
        uint64_t x = 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < 10000; i++) {
                char id[33];
                uint8_t app[ROLLOUT_APP_ID_BYTES];
                for (int half = 0; half < 2; half++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        snprintf(id + 16 * half, 17, "%016llx", (unsigned long long)x);
                }
                assert_int_equal(rollout_app_id(id, app), 0);
                unsigned b = rollout_bucket(app, "2026.12.2");
                assert_true(b < 100);
                for (size_t w = 0; w < ELEMENTSOF(waves); w++)
                        taken[w] += b < waves[w];
        }
        for (size_t w = 0; w < ELEMENTSOF(waves); w++) {
                print_message("%u %% wave: %u of 10000\n", waves[w], taken[w]);
                assert_in_range(taken[w], waves[w] * 100 - 200, waves[w] * 100 + 200);
        }
}

static void test_rings(void **state) {
        enum rollout_ring ring;
        assert_int_equal(rollout_ring_parse("early", &ring), 0);
        assert_int_equal(ring, RING_EARLY);
        assert_int_equal(rollout_ring_parse("late", &ring), 0);
        assert_int_equal(ring, RING_LATE);
        assert_int_equal(rollout_ring_parse("normal", &ring), 0);
        assert_int_equal(ring, RING_NORMAL);
        assert_int_equal(rollout_ring_parse("first", &ring), -EINVAL);
        assert_int_equal(rollout_ring_bucket(RING_EARLY, 61), 0);
        assert_int_equal(rollout_ring_bucket(RING_LATE, 3), 99);
        assert_int_equal(rollout_ring_bucket(RING_NORMAL, 61), 61);
}

static struct rollout_decision decide(enum update_tier tier, unsigned percent, bool paused, bool approved,
                                      enum rollout_ring ring, unsigned bucket) {
        struct rollout_terms t = { .version = "2026.12.2",
                                   .current = "2026.12.1",
                                   .tier = tier,
                                   .percent = percent,
                                   .paused = paused,
                                   .approved = approved,
                                   .ring = ring };
        struct rollout_decision d;
        rollout_decide(&t, bucket, &d);
        return d;
}

static void test_staged_tiers(void **state) {
        struct rollout_decision d = decide(TIER_REGULAR, 25, false, false, RING_NORMAL, 61);
        assert_false(d.eligible);
        assert_int_equal(d.bucket, 61);
        assert_string_equal(d.reason, "waiting: this machine is in bucket 61, the release is at 25 %");
        d = decide(TIER_REGULAR, 25, false, false, RING_NORMAL, 24);
        assert_true(d.eligible);
        assert_string_equal(d.reason, "in the 25 % wave: yes");
        d = decide(TIER_CRITICAL, 25, false, false, RING_NORMAL, 25);
        assert_false(d.eligible);
        d = decide(TIER_CRITICAL, 100, false, false, RING_NORMAL, 99);
        assert_true(d.eligible);
        d = decide(TIER_CRITICAL, 0, false, false, RING_EARLY, 61);
        assert_false(d.eligible);
        d = decide(TIER_REGULAR, 10, true, false, RING_NORMAL, 3);
        assert_false(d.eligible);
        assert_string_equal(d.reason, "waiting: the rollout of 2026.12.2 is paused");
}

static void test_rings_decide(void **state) {
        struct rollout_decision d = decide(TIER_REGULAR, 10, false, false, RING_EARLY, 61);
        assert_true(d.eligible);
        assert_int_equal(d.bucket, 0);
        d = decide(TIER_REGULAR, 99, false, false, RING_LATE, 3);
        assert_false(d.eligible);
        assert_string_equal(d.reason,
                            "waiting: this machine is in bucket 99 (late ring), the release is at 99 %");
        d = decide(TIER_REGULAR, 100, false, false, RING_LATE, 3);
        assert_true(d.eligible);
}

static void test_security_and_major(void **state) {
        struct rollout_decision d = decide(TIER_SECURITY, 0, true, false, RING_LATE, 99);
        assert_true(d.eligible);
        assert_string_equal(d.reason, "a security release: every machine takes it at once");
        d = decide(TIER_MAJOR, 100, false, false, RING_EARLY, 0);
        assert_false(d.eligible);
        assert_string_equal(
                d.reason,
                "waiting: a major release needs an admin's approval (koompi update approve 2026.12.2)");
        d = decide(TIER_MAJOR, 0, false, true, RING_NORMAL, 50);
        assert_true(d.eligible);
}

static void test_up_to_date(void **state) {
        struct rollout_terms t = { .version = "2026.12.2", .current = "2026.12.2", .tier = TIER_SECURITY };
        struct rollout_decision d;
        rollout_decide(&t, 5, &d);
        assert_false(d.eligible);
        assert_string_equal(d.reason, "up to date: 2026.12.2 is this machine's release");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vectors),
                cmocka_unit_test(test_machine_id_file),
                cmocka_unit_test(test_shares),
                cmocka_unit_test(test_rings),
                cmocka_unit_test(test_staged_tiers),
                cmocka_unit_test(test_rings_decide),
                cmocka_unit_test(test_security_and_major),
                cmocka_unit_test(test_up_to_date),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
