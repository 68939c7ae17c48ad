/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stages of koompi-init against a fake operations table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "init.h"
#include "log.h"
#include "recovery.h"
#include "util.h"

static char calls[256];
static const char *fake_cmdline;
static int fail_at_unlock;
static char failed_stage[32];
static int failed_err;

static void called(const char *what) {
        strncat(calls, what, sizeof calls - strlen(calls) - 1);
        strncat(calls, " ", sizeof calls - strlen(calls) - 1);
}

static int fake_api(struct init_ctx *ctx) { called("api"); return 0; }
static int fake_settings(struct init_ctx *ctx, char **line, bool *found) {
        called("settings");
        *line = strdup(fake_cmdline);
        *found = false;
        return 0;
}
static int fake_modules(struct init_ctx *ctx) { called("modules"); return 0; }
static int fake_find(struct init_ctx *ctx) {
        called("find");
        snprintf(ctx->luks_device, sizeof ctx->luks_device, "/dev/vdb");
        return 0;
}
static int fake_unlock(struct init_ctx *ctx) {
        called("unlock");
        if (fail_at_unlock > 0) {
                fail_at_unlock--;
                snprintf(ctx->why, sizeof ctx->why, "wrong 3 times");
                return -EPERM;
        }
        ctx->keyslot = 1;
        return 0;
}
static int fail_mounts; /* how many mounts fail */
static int fake_mount(struct init_ctx *ctx) {
        called("mount");
        if (fail_mounts > 0) {
                fail_mounts--;
                return -EIO;
        }
        return 0;
}
static int fake_switch(struct init_ctx *ctx) { called("switch"); return 0; }
static void fake_fail(struct init_ctx *ctx, const char *stage, int err) {
        snprintf(failed_stage, sizeof failed_stage, "%s", stage);
        failed_err = err;
}

static const struct init_ops fake_ops = {fake_api, fake_settings, fake_modules, fake_find,
                                         fake_unlock, fake_mount, fake_switch, fake_fail, NULL};

/* The recovery menu, answering from a script: one answer per opening. */
static const int *answers;
static int fake_recover(struct init_ctx *ctx, const char *stage, int err) {
        called(stage ? "recover" : "recover-asked");
        int a = *answers;
        if (a)
                answers++;
        if (a == RECOVERY_BOOT)
                ctx->s.snapshot = "@root-chosen";
        return a ? a : -ECANCELED;
}

static const struct init_ops recover_ops = {fake_api, fake_settings, fake_modules, fake_find,
                                            fake_unlock, fake_mount, fake_switch, fake_fail,
                                            fake_recover};

static int reset(void **state) {
        calls[0] = 0;
        failed_stage[0] = 0;
        failed_err = 0;
        fail_at_unlock = 0;
        fail_mounts = 0;
        log_set_console_fd(-1);
        return 0;
}

static void run(struct init_ctx *ctx, const char *line) {
        *ctx = (struct init_ctx){.ops = &fake_ops, .keyslot = -1};
        fake_cmdline = line;
        config_init_defaults(&ctx->config);
}

static void done(struct init_ctx *ctx) {
        cmdline_free(&ctx->cmdline);
        config_free(&ctx->config);
}

static void test_happy_path_order(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd root=UUID=ef");
        assert_int_equal(init_run(&ctx), 0);
        assert_string_equal(calls, "api settings modules find unlock mount switch ");
        assert_string_equal(failed_stage, "");
        assert_int_equal(ctx.n_timeline, init_n_stages);
        for (unsigned i = 1; i < ctx.n_timeline; i++)
                assert_true(ctx.timeline[i].ms >= ctx.timeline[i - 1].ms);
        assert_string_equal(ctx.s.snapshot, "@root-current");
        done(&ctx);
}

static void test_unencrypted_root_skips_unlock(void **state) {
        struct init_ctx ctx;
        run(&ctx, "root=LABEL=koompi");
        assert_int_equal(init_run(&ctx), 0);
        assert_string_equal(calls, "api settings modules find mount switch ");
        done(&ctx);
}

static void test_failure_stops_and_names_stage(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fail_at_unlock = 1;
        assert_int_equal(init_run(&ctx), -EPERM);
        assert_string_equal(calls, "api settings modules find unlock ");
        assert_string_equal(failed_stage, "unlock");
        assert_int_equal(failed_err, -EPERM);
        assert_string_equal(ctx.why, "wrong 3 times");
        done(&ctx);
}

static void test_nothing_to_boot(void **state) {
        struct init_ctx ctx;
        run(&ctx, "quiet");
        assert_int_equal(init_run(&ctx), -EINVAL);
        assert_string_equal(failed_stage, "device");
        assert_non_null(strstr(ctx.why, "rd.luks.uuid="));
        done(&ctx);
}

static void test_rd_break_stops_before_switch(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd rd.break");
        assert_int_equal(init_run(&ctx), -ECANCELED);
        assert_string_equal(calls, "api settings modules find unlock mount ");
        assert_string_equal(failed_stage, "switch-root");
        done(&ctx);
}

static void test_settings_precedence(void **state) {
        struct init_ctx ctx;
        run(&ctx, "");
        free(ctx.config.luks_uuid);
        ctx.config.luks_uuid = strdup("from-config");
        free(ctx.config.snapshot);
        ctx.config.snapshot = strdup("@root-config");
        ctx.config.timeout_ms = 9000;
        assert_int_equal(cmdline_parse("rd.luks.uuid=from-cmdline rd.luks.options=tries=0", &ctx.cmdline), 0);
        init_resolve_settings(&ctx);
        assert_string_equal(ctx.s.luks_uuid, "from-cmdline");
        assert_string_equal(ctx.s.snapshot, "@root-config");
        assert_int_equal(ctx.s.timeout_ms, 9000);
        assert_true(ctx.s.luks_tries >= 100); /* tries=0: keep asking */
        assert_string_equal(ctx.s.init, "/sbin/init");
        cmdline_free(&ctx.cmdline);

        /* rootflags=subvol= selects the root when koompi.snapshot= is absent, and is removed
         * from the options applied to every mount. */
        assert_int_equal(cmdline_parse("rootflags=subvol=/@root-old,compress=zstd,subvolid=260 "
                                       "rd.timeout=0",
                                       &ctx.cmdline),
                         0);
        init_resolve_settings(&ctx);
        assert_string_equal(ctx.s.snapshot, "@root-old");
        assert_string_equal(ctx.s.rootflags, "compress=zstd");
        assert_true(ctx.s.timeout_ms > 3600000);
        cmdline_free(&ctx.cmdline);

        assert_int_equal(cmdline_parse("rootflags=subvol=@x koompi.snapshot=@y rd.emergency=reboot",
                                       &ctx.cmdline),
                         0);
        init_resolve_settings(&ctx);
        assert_string_equal(ctx.s.snapshot, "@y");
        assert_string_equal(ctx.s.failure_action, "reboot");
        done(&ctx);
}

static void test_timeline_json(void **state) {
        struct init_ctx ctx;
        char path[] = "/tmp/koompi-boot-json-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        run(&ctx, "rd.luks.uuid=abcd koompi.snapshot=@root-\"x");
        assert_int_equal(init_run(&ctx), 0);
        assert_int_equal(timeline_write_json(&ctx, path), 0);
        char *text = NULL;
        assert_int_equal(read_file(path, &text, NULL), 0);
        assert_non_null(strstr(text, "\"snapshot\":\"@root-x\""));
        assert_non_null(strstr(text, "\"luks_device\":\"/dev/vdb\""));
        assert_non_null(strstr(text, "\"keyslot\":1"));
        assert_non_null(strstr(text, "{\"stage\":\"unlock\",\"ms\":"));
        free(text);
        unlink(path);
        done(&ctx);
}

static void test_recovery_retry_runs_the_stage_again(void **state) {
        static const int script[] = {RECOVERY_RETRY, 0};
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        ctx.ops = &recover_ops;
        answers = script;
        fail_at_unlock = 1;
        assert_int_equal(init_run(&ctx), 0);
        assert_string_equal(calls, "api settings modules find unlock recover unlock mount switch ");
        assert_string_equal(failed_stage, "");
        done(&ctx);
}

static void test_recovery_boot_runs_the_root_stage(void **state) {
        static const int script[] = {RECOVERY_BOOT, RECOVERY_BOOT, 0};
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        ctx.ops = &recover_ops;
        answers = script;
        fail_mounts = 2;
        assert_int_equal(init_run(&ctx), 0);
        assert_string_equal(calls, "api settings modules find unlock mount recover mount recover "
                                   "mount switch ");
        assert_string_equal(ctx.s.snapshot, "@root-chosen");
        done(&ctx);
}

static void test_recovery_gone_runs_the_failure_action(void **state) {
        static const int script[] = {0};
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        ctx.ops = &recover_ops;
        answers = script;
        fail_at_unlock = 1;
        assert_int_equal(init_run(&ctx), -EPERM);
        assert_string_equal(calls, "api settings modules find unlock recover ");
        assert_string_equal(failed_stage, "unlock");
        done(&ctx);
}

static void test_recovery_asked_after_unlock(void **state) {
        static const char *const lines[] = {"rd.luks.uuid=abcd koompi.recovery",
                                            "rd.luks.uuid=abcd rd.break"};
        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                static const int script[] = {RECOVERY_BOOT, 0};
                struct init_ctx ctx;
                reset(NULL);
                run(&ctx, lines[i]);
                ctx.ops = &recover_ops;
                answers = script;
                /* rd.break no longer stops before the switch: the menu replaced it. */
                assert_int_equal(init_run(&ctx), 0);
                assert_string_equal(calls, "api settings modules find unlock recover-asked mount "
                                           "switch ");
                assert_string_equal(ctx.s.snapshot, "@root-chosen");
                done(&ctx);
        }
}

static void test_recovery_opens_again_after_a_failed_retry(void **state) {
        static const int script[] = {RECOVERY_RETRY, 0};
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        ctx.ops = &recover_ops;
        answers = script;
        fail_at_unlock = 2;
        assert_int_equal(init_run(&ctx), -EPERM);
        assert_string_equal(calls, "api settings modules find unlock recover unlock recover ");
        assert_string_equal(failed_stage, "unlock");
        done(&ctx);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_happy_path_order, reset),
                cmocka_unit_test_setup(test_unencrypted_root_skips_unlock, reset),
                cmocka_unit_test_setup(test_failure_stops_and_names_stage, reset),
                cmocka_unit_test_setup(test_nothing_to_boot, reset),
                cmocka_unit_test_setup(test_rd_break_stops_before_switch, reset),
                cmocka_unit_test_setup(test_settings_precedence, reset),
                cmocka_unit_test_setup(test_timeline_json, reset),
                cmocka_unit_test_setup(test_recovery_retry_runs_the_stage_again, reset),
                cmocka_unit_test_setup(test_recovery_boot_runs_the_root_stage, reset),
                cmocka_unit_test_setup(test_recovery_gone_runs_the_failure_action, reset),
                cmocka_unit_test_setup(test_recovery_asked_after_unlock, reset),
                cmocka_unit_test_setup(test_recovery_opens_again_after_a_failed_retry, reset),
        };
        return cmocka_run_group_tests_name("init-stages", tests, NULL, NULL);
}
