/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stages of koompi-init against a fake operations table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "init.h"
#include "tpm2token.h"
#include "log.h"
#include "recovery.h"
#include "util.h"

/* The stages' steps, one word each, as the boot reads them: api settings modules find unlock
 * mount switch (the Btrfs top level mounted) and the recovery menu's openings. */
static char calls[256];
/* Every operation the stages called, with its arguments, for the tests of the stages' logic. */
static char oplog[2048];
static const char *fake_cmdline;
static int fail_at_unlock; /* how many unlock stages get only wrong passphrases */
static int fail_mounts; /* how many mounts of the top level fail */
static char failed_stage[32];
static int failed_err;

/* What the fake machine answers. */
static struct {
        int wait_err; /* wait_device */
        int find_err; /* find_device (root= inside the volume) */
        int open_err; /* open_volume */
        int keyfile_slot; /* activate with the key file: a keyslot or an error */
        int keyslot; /* activate with the right passphrase */
        int activate_err; /* activate with the right passphrase, when not 0 */
        const char *const *typed; /* what is typed at each prompt; NULL ends it */
        int prompt_err; /* the prompt's answer once typed ran out */
        int keyslots; /* keyslot_count */
        int prefer; /* prefer_keyslot */
        int top_err; /* every mount of the top level fails with it */
        const char *subvol_missing; /* this subvolume does not mount (-ENOENT) */
        const char *loadable; /* load_module loads this name (0); others: -ENOENT */
        int check_err; /* check_root */
        bool writable; /* check_root: the root is not read-only */
        int choose_err; /* choose_root */
        bool no_init; /* init_executable */
        bool dirty_buffer; /* a prompt found the previous passphrase in its buffer */
        unsigned prompts;
        int last_activate;
        bool token; /* the volume has a systemd-tpm2 token */
        bool token_pin; /* ... which wants a PIN */
        int tpm_err; /* wait_tpm */
        int token_slot; /* activate_token: a keyslot or an error */
} fk;

static void add(char *log, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *log, size_t size, const char *fmt, ...) {
        size_t used = strlen(log);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(log + used, size - used, fmt, ap);
        va_end(ap);
        strncat(log, " ", size - strlen(log) - 1);
}

static void called(const char *what) {
        add(calls, sizeof calls, "%s", what);
}
#define op(...) add(oplog, sizeof oplog, __VA_ARGS__)

static int fake_api(struct init_ctx *ctx) {
        called("api");
        return 0;
}
static int fake_settings(struct init_ctx *ctx, char **line, bool *found) {
        called("settings");
        *line = strdup(fake_cmdline);
        *found = false;
        return 0;
}
static int fake_modules(struct init_ctx *ctx) {
        called("modules");
        return 0;
}
static int fake_switch(struct init_ctx *ctx) {
        called("switch");
        op("switch");
        return 0;
}

static int fake_load_module(struct kmod_ctx *kmod, const char *name) {
        op("load(%s)", name);
        return fk.loadable && streq(fk.loadable, name) ? 0 : -ENOENT;
}
static int fake_wait_device(struct init_ctx *ctx, const char *spec, char *ret, size_t size) {
        called("find");
        op("wait(%s)", spec);
        if (fk.wait_err)
                return fk.wait_err;
        snprintf(ret, size, "%s", startswith(spec, "UUID=") ? "/dev/vdb" : "/dev/vdc");
        return 0;
}
static int fake_find_device(const char *spec, char *ret, size_t size) {
        op("find(%s)", spec);
        if (fk.find_err)
                return fk.find_err;
        snprintf(ret, size, "/dev/mapper/inner");
        return 0;
}
static void fake_describe_disks(struct init_ctx *ctx, char *out, size_t size) {
        snprintf(out, size, "Block devices seen: vda (vfat).");
}
static bool fake_init_executable(const char *root, const char *init) {
        op("init(%s%s)", root, init);
        return !fk.no_init;
}
static int fake_wait_modules(struct init_ctx *ctx) {
        op("modules-wait");
        return 0;
}

static struct luks_volume *const the_volume = (struct luks_volume *)&fk;

static int fake_open_volume(struct init_ctx *ctx, const char *device, struct luks_volume **ret) {
        called("unlock");
        op("open(%s)", device);
        if (fk.open_err)
                return fk.open_err;
        *ret = the_volume;
        return 0;
}
static int fake_activate(struct init_ctx *ctx, struct luks_volume *v, const char *pass, size_t len) {
        assert_ptr_equal(v, the_volume);
        if (!pass) {
                op("activate(key %s)", ctx->s.luks_key);
                return fk.last_activate = fk.keyfile_slot;
        }
        assert_int_equal(strlen(pass), len);
        op("activate(%s)", pass);
        if (fail_at_unlock > 0 || !streq(pass, "right"))
                return fk.last_activate = -EPERM;
        return fk.last_activate = fk.activate_err ? fk.activate_err : fk.keyslot;
}
static int fake_tpm2_token(struct luks_volume *v, int *ret_token, struct tpm2_token *ret) {
        assert_ptr_equal(v, the_volume);
        if (!fk.token)
                return -ENOENT;
        *ret_token = 2;
        *ret = (struct tpm2_token) { .keyslot = 1, .pcr_mask = 1u << 7, .pin = fk.token_pin };
        return 0;
}
static int fake_wait_tpm(unsigned timeout_ms) {
        op("wait-tpm");
        assert_true(timeout_ms >= 1000);
        return fk.tpm_err;
}
static int fake_activate_token(struct init_ctx *ctx, struct luks_volume *v, int token, const char *pin,
                               size_t len) {
        assert_int_equal(token, 2);
        op("token(%s)", pin ? pin : "no pin");
        if (fk.token_pin && !pin)
                return fk.last_activate = -ENOANO;
        return fk.last_activate = fk.token_slot;
}
static int fake_keyslot_count(struct luks_volume *v) {
        return fk.keyslots;
}
static int fake_prefer_keyslot(struct luks_volume *v, int keyslot) {
        op("prefer(%d)", keyslot);
        return fk.prefer;
}
static void fake_close_volume(struct luks_volume *v) {
        assert_ptr_equal(v, the_volume);
        op("close");
        if (fk.last_activate < 0 && fail_at_unlock > 0)
                fail_at_unlock--;
}
static int fake_prompt(int fd, const char *prompt, char *buf, size_t size, unsigned timeout_ms) {
        op("prompt");
        for (size_t i = 0; i < size; i++)
                if (buf[i])
                        fk.dirty_buffer = true;
        const char *typed = fail_at_unlock > 0 ? "wrong" : "right";
        if (fk.typed) {
                typed = fk.typed[fk.prompts];
                if (!typed)
                        return fk.prompt_err;
        }
        fk.prompts++;
        snprintf(buf, size, "%s", typed);
        return (int)strlen(typed);
}
static int fake_load_keymap(const char *path) {
        op("keymap");
        return -ENOENT;
}

static int fake_mount(const char *what, const char *where, const char *type, const char *opts) {
        op("mount(%s %s %s)", what, where, opts);
        if (streq(where, INIT_TOP)) {
                called("mount");
                if (fail_mounts > 0) {
                        fail_mounts--;
                        return -EIO;
                }
                return fk.top_err;
        }
        if (fk.subvol_missing && strstr(opts, fk.subvol_missing))
                return -ENOENT;
        return 0;
}
static int fake_umount(const char *where) {
        op("umount(%s)", where);
        return 0;
}
static int fake_check_root(const char *top, const char *name, bool *ret_ro) {
        op("check(%s)", name);
        if (fk.check_err)
                return fk.check_err;
        *ret_ro = !fk.writable;
        return 0;
}
static int fake_list_roots(const char *top, const char *prefix, char *out, size_t size) {
        snprintf(out, size, "@root-a @root-b");
        return 0;
}
static void fake_read_loader(struct init_ctx *ctx) {
        op("loader");
}
static void fake_before_prompt(struct init_ctx *ctx) {
        op("esp-prompt");
}
static void fake_after_unlock(struct init_ctx *ctx) {
        op("esp-unlocked");
}
static int fake_choose_root(struct init_ctx *ctx, const char *top) {
        op("choose");
        if (fk.choose_err)
                snprintf(ctx->why, sizeof ctx->why, "no root to boot");
        return fk.choose_err;
}
static void fake_flush_records(struct init_ctx *ctx) {
        op("flush");
}
static void fake_record_boot(struct init_ctx *ctx, const char *top) {
        op("ledger(%s)", top);
}
static void fake_record_switch(struct init_ctx *ctx, const char *newroot) {
        op("ledger-switch(%s)", newroot);
}
static void fake_fail(struct init_ctx *ctx, const struct init_stage *stage, int err) {
        snprintf(failed_stage, sizeof failed_stage, "%s", stage->name);
        failed_err = err;
}

#define FAKE_OPS                                                                                         \
        .mount_api = fake_api, .read_settings = fake_settings, .start_modules = fake_modules,            \
        .switch_root = fake_switch, .load_module = fake_load_module, .wait_device = fake_wait_device,    \
        .find_device = fake_find_device, .describe_disks = fake_describe_disks,                          \
        .init_executable = fake_init_executable, .wait_modules = fake_wait_modules,                      \
        .open_volume = fake_open_volume, .activate = fake_activate, .keyslot_count = fake_keyslot_count, \
        .prefer_keyslot = fake_prefer_keyslot, .close_volume = fake_close_volume, .prompt = fake_prompt, \
        .tpm2_token = fake_tpm2_token, .wait_tpm = fake_wait_tpm, .activate_token = fake_activate_token, \
        .load_keymap = fake_load_keymap, .mount = fake_mount, .umount = fake_umount,                     \
        .check_root = fake_check_root, .list_roots = fake_list_roots, .read_loader = fake_read_loader,   \
        .esp_before_prompt = fake_before_prompt, .esp_after_unlock = fake_after_unlock,                  \
        .choose_root = fake_choose_root, .flush_records = fake_flush_records,                            \
        .record_boot = fake_record_boot, .record_switch = fake_record_switch, .fail = fake_fail

static const struct init_ops fake_ops = { FAKE_OPS };

/* The recovery menu, answering from a script: one answer per opening. */
static const int *answers;
static int fake_recover(struct init_ctx *ctx, const struct init_stage *stage, int err) {
        called(stage ? "recover" : "recover-asked");
        int a = *answers;
        if (a)
                answers++;
        if (a == RECOVERY_BOOT)
                ctx->s.snapshot = "@root-chosen";
        return a ? a : -ECANCELED;
}

static const struct init_ops recover_ops = { FAKE_OPS, .recover = fake_recover };

#define TEST_MARK "---- next test ----"

/* Whether needle was logged since the test began. */
struct seen {
        const char *needle;
        bool found;
};
static void look(const char *line, void *userdata) {
        struct seen *s = userdata;
        if (streq(line, TEST_MARK))
                s->found = false;
        else if (strstr(line, s->needle))
                s->found = true;
}
static bool logged(const char *needle) {
        struct seen s = { needle, false };
        log_tail(look, &s);
        return s.found;
}

static int reset(void **state) {
        calls[0] = 0;
        oplog[0] = 0;
        fk = (typeof(fk)) { .keyfile_slot = -EPERM, .keyslot = 1, .keyslots = 1, .prompt_err = -ECANCELED };
        failed_stage[0] = 0;
        failed_err = 0;
        fail_at_unlock = 0;
        fail_mounts = 0;
        log_set_console_fd(-1);
        log_set_max_level(LOG_LVL_INFO);
        log_info(TEST_MARK);
        return 0;
}

static void run(struct init_ctx *ctx, const char *line) {
        *ctx = (struct init_ctx) { .ops = &fake_ops, .keyslot = -1 };
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
        assert_int_equal(ctx.n_timeline, _INIT_STAGE_MAX);
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
        assert_string_equal(ctx.why, "the passphrase for /dev/vdb (LUKS UUID abcd) was wrong 3 times");
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

        assert_int_equal(
                cmdline_parse("rootflags=subvol=@x koompi.snapshot=@y rd.emergency=reboot", &ctx.cmdline), 0);
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
        static const int script[] = { RECOVERY_RETRY, 0 };
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
        static const int script[] = { RECOVERY_BOOT, RECOVERY_BOOT, 0 };
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        ctx.ops = &recover_ops;
        answers = script;
        fail_mounts = 2;
        assert_int_equal(init_run(&ctx), 0);
        assert_string_equal(calls,
                            "api settings modules find unlock mount recover mount recover "
                            "mount switch ");
        assert_string_equal(ctx.s.snapshot, "@root-chosen");
        done(&ctx);
}

static void test_recovery_gone_runs_the_failure_action(void **state) {
        static const int script[] = { 0 };
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
        static const char *const lines[] = { "rd.luks.uuid=abcd koompi.recovery",
                                             "rd.luks.uuid=abcd rd.break" };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                static const int script[] = { RECOVERY_BOOT, 0 };
                struct init_ctx ctx;
                reset(NULL);
                run(&ctx, lines[i]);
                ctx.ops = &recover_ops;
                answers = script;
                /* rd.break no longer stops before the switch: the menu replaced it. */
                assert_int_equal(init_run(&ctx), 0);
                assert_string_equal(calls,
                                    "api settings modules find unlock recover-asked mount "
                                    "switch ");
                assert_string_equal(ctx.s.snapshot, "@root-chosen");
                done(&ctx);
        }
}

static void test_recovery_opens_again_after_a_failed_retry(void **state) {
        static const int script[] = { RECOVERY_RETRY, 0 };
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

/* ---- the stages' own logic, over the fake operations ---- */

static void test_stage_table(void **state) {
        static const char *const names[] = { "mount-api", "settings", "modules",    "device",
                                             "unlock",    "root",     "switch-root" };
        assert_int_equal(ELEMENTSOF(names), _INIT_STAGE_MAX);
        for (unsigned i = 0; i < _INIT_STAGE_MAX; i++) {
                const struct init_stage *st = &init_stages[i];
                /* boot.json and the VM tests read these names. */
                assert_int_equal(st->id, i);
                assert_string_equal(st->name, names[i]);
                assert_non_null(st->run);
                assert_true(st->failure && *st->failure);
                assert_true(st->advice && *st->advice);
                if (st->recovery) {
                        assert_true(st->menu_advice && *st->menu_advice);
                        assert_true(st->retry && *st->retry);
                }
                assert_int_equal(st->recovery,
                                 i == INIT_STAGE_DEVICE || i == INIT_STAGE_UNLOCK || i == INIT_STAGE_ROOT);
        }
}

static void test_happy_path_operations(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd rootflags=compress=zstd");
        fk.keyslot = 0;
        assert_int_equal(init_run(&ctx), 0);
        assert_string_equal(oplog,
                            "wait(UUID=abcd) load(dm-crypt) loader open(/dev/vdb) esp-prompt keymap "
                            "prompt activate(right) close esp-unlocked modules-wait "
                            "mount(/dev/mapper/root /run/koompi/top rw,subvolid=5,compress=zstd) "
                            "choose check(@root-current) "
                            "mount(/dev/mapper/root /sysroot ro,subvol=/@root-current,compress=zstd) "
                            "mount(/dev/mapper/root /sysroot/home rw,subvol=/@home,compress=zstd) "
                            "mount(/dev/mapper/root /sysroot/var rw,subvol=/@var,compress=zstd) "
                            "flush ledger(/run/koompi/top) umount(/run/koompi/top) "
                            "init(/sysroot/sbin/init) ledger-switch(/sysroot) switch ");
        assert_string_equal(ctx.luks_device, "/dev/vdb");
        assert_string_equal(ctx.root_device, "/dev/mapper/root");
        assert_int_equal(ctx.keyslot, 0);
        assert_true(logged("unlocked /dev/vdb as /dev/mapper/root (keyslot 0)"));
        done(&ctx);
}

static void test_unencrypted_root_operations(void **state) {
        struct init_ctx ctx;
        run(&ctx, "root=LABEL=koompi");
        assert_int_equal(init_run(&ctx), 0);
        assert_string_equal(oplog,
                            "wait(LABEL=koompi) modules-wait mount(/dev/vdc /run/koompi/top rw,subvolid=5) "
                            "loader choose check(@root-current) "
                            "mount(/dev/vdc /sysroot ro,subvol=/@root-current) "
                            "mount(/dev/vdc /sysroot/home rw,subvol=/@home) "
                            "mount(/dev/vdc /sysroot/var rw,subvol=/@var) "
                            "flush ledger(/run/koompi/top) umount(/run/koompi/top) "
                            "init(/sysroot/sbin/init) ledger-switch(/sysroot) switch ");
        assert_string_equal(ctx.luks_device, "");
        assert_int_equal(ctx.keyslot, -1);
        done(&ctx);
}

static void test_wrong_passphrase_tells_tries_left(void **state) {
        static const char *const typed[] = { "wrong1", "wrong2", "right", NULL };
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd rd.luks.name=abcd=cryptroot");
        fk.typed = typed;
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog,
                               "prompt activate(wrong1) prompt activate(wrong2) prompt "
                               "activate(right) close esp-unlocked "));
        assert_int_equal(fk.prompts, 3);
        assert_true(logged("wrong passphrase for disk cryptroot: 2 tries left"));
        assert_true(logged("wrong passphrase for disk cryptroot: 1 try left"));
        /* The buffer is wiped after each attempt: no prompt finds the passphrase before it. */
        assert_false(fk.dirty_buffer);
        assert_string_equal(ctx.root_device, "/dev/mapper/cryptroot");
        done(&ctx);
}

static void test_wrong_passphrase_every_try(void **state) {
        static const char *const typed[] = { "a", "b", "c", NULL };
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd rd.luks.options=tries=2");
        fk.typed = typed;
        assert_int_equal(init_run(&ctx), -EPERM);
        assert_int_equal(fk.prompts, 2);
        assert_true(logged("wrong passphrase for disk root: 0 tries left"));
        assert_string_equal(ctx.why, "the passphrase for /dev/vdb (LUKS UUID abcd) was wrong 2 times");
        assert_string_equal(failed_stage, "unlock");
        /* No keyslot is remembered, the ESP is not told the prompt was answered. */
        assert_null(strstr(oplog, "prefer"));
        assert_null(strstr(oplog, "esp-unlocked"));
        assert_non_null(strstr(oplog, "activate(b) close "));
        assert_false(fk.dirty_buffer);
        done(&ctx);
}

static void test_activation_error_stops_asking(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fk.activate_err = -EIO;
        assert_int_equal(init_run(&ctx), -EIO);
        assert_int_equal(fk.prompts, 1);
        assert_non_null(strstr(ctx.why, "unlocking /dev/vdb failed: "));
        done(&ctx);
}

static void test_keyfile_opens_without_prompt(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd rd.luks.key=/etc/root.key");
        fk.keyfile_slot = 1;
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog, "open(/dev/vdb) activate(key /etc/root.key) close esp-unlocked "));
        assert_null(strstr(oplog, "prompt"));
        assert_null(strstr(oplog, "esp-prompt"));
        assert_int_equal(ctx.keyslot, 1);
        done(&ctx);
}

static void test_keyfile_then_passphrase(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd rd.luks.key=/etc/root.key");
        fk.keyfile_slot = -EPERM;
        fk.keyslot = 0;
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog,
                               "open(/dev/vdb) activate(key /etc/root.key) esp-prompt keymap "
                               "prompt activate(right) close esp-unlocked "));
        assert_true(logged("the keyfile /etc/root.key does not open /dev/vdb"));
        assert_int_equal(ctx.keyslot, 0);
        done(&ctx);
}

/* The choice between the TPM and the prompt. */
static void test_tpm2_opens_without_prompt(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fk.token = true;
        fk.token_slot = 1;
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog, "open(/dev/vdb) wait-tpm token(no pin) close esp-unlocked "));
        assert_null(strstr(oplog, "prompt"));
        assert_null(strstr(oplog, "activate("));
        assert_string_equal(ctx.unlocked_by, "tpm2");
        assert_string_equal(ctx.tpm2_refusal, "");
        assert_int_equal(ctx.keyslot, 1);
        done(&ctx);
}

static void test_tpm2_refused_then_prompt(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fk.token = true;
        fk.token_slot = -EPERM;
        fk.keyslot = 3;
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(
                strstr(oplog, "wait-tpm token(no pin) esp-prompt keymap prompt activate(right) close "));
        assert_true(
                logged("the TPM would not release the key: Secure Boot was turned off or its keys changed; "
                       "type the recovery key"));
        assert_string_equal(ctx.tpm2_refusal,
                            "the TPM would not release the key: Secure Boot was turned off or "
                            "its keys changed; type the recovery key");
        assert_string_equal(ctx.unlocked_by, "passphrase");
        assert_int_equal(ctx.keyslot, 3);
        done(&ctx);
}

static void test_tpm2_absent_then_prompt(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fk.token = true;
        fk.tpm_err = -ENODEV;
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog, "wait-tpm esp-prompt"));
        assert_null(strstr(oplog, "token("));
        assert_true(logged("no TPM appeared (/dev/tpmrm0)"));
        assert_non_null(strstr(ctx.tpm2_refusal, "no TPM appeared"));
        done(&ctx);
}

static void test_tpm2_pin(void **state) {
        static const char *const typed[] = { "right", NULL };
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fk.token = true;
        fk.token_pin = true;
        fk.token_slot = 1;
        fk.typed = typed;
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog, "wait-tpm prompt token(right) close "));
        assert_string_equal(ctx.unlocked_by, "tpm2");
        done(&ctx);
}

/* [luks] tpm2 = no: the token is not tried; a volume without a token: the prompt as before. */
static void test_tpm2_not_tried(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fk.token = true;
        free(ctx.config.luks_tpm2);
        ctx.config.luks_tpm2 = strdup("no");
        assert_int_equal(init_run(&ctx), 0);
        assert_null(strstr(oplog, "wait-tpm"));
        assert_non_null(strstr(oplog, "prompt activate(right)"));
        done(&ctx);
        reset(NULL);
        run(&ctx, "rd.luks.uuid=abcd");
        assert_int_equal(init_run(&ctx), 0);
        assert_null(strstr(oplog, "wait-tpm"));
        assert_string_equal(ctx.unlocked_by, "passphrase");
        done(&ctx);
}

static void test_remembered_keyslot(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd rd.luks.key=/etc/root.key");
        fk.keyfile_slot = 1;
        fk.keyslots = 2;
        fk.prefer = 1;
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog, "activate(key /etc/root.key) prefer(1) close "));
        assert_true(logged("keyslot 1 will be tried first from now on"));
        done(&ctx);

        /* One keyslot: nothing to prefer. */
        reset(NULL);
        run(&ctx, "rd.luks.uuid=abcd");
        fk.keyslots = 1;
        assert_int_equal(init_run(&ctx), 0);
        assert_null(strstr(oplog, "prefer"));
        done(&ctx);

        /* Writing the header failed: the boot goes on. */
        reset(NULL);
        run(&ctx, "rd.luks.uuid=abcd");
        fk.keyslots = 3;
        fk.prefer = -EROFS;
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog, "activate(right) prefer(1) close "));
        assert_true(logged("remembering keyslot 1 in the LUKS header failed"));
        done(&ctx);
}

static void test_abandoned_prompt(void **state) {
        static const char *const none[] = { NULL };
        static const int script[] = { RECOVERY_RETRY, 0 };
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd rd.luks.options=timeout=30");
        ctx.ops = &recover_ops;
        answers = script;
        fk.typed = none;
        fk.prompt_err = -ETIMEDOUT;
        assert_int_equal(init_run(&ctx), -ETIMEDOUT);
        assert_string_equal(ctx.why, "no passphrase was entered for /dev/vdb (timed out)");
        /* Nobody is at the screen: no menu, the failure action. */
        assert_null(strstr(calls, "recover"));
        assert_string_equal(failed_stage, "unlock");
        assert_non_null(strstr(oplog, "esp-prompt keymap prompt close "));
        assert_null(strstr(oplog, "esp-unlocked"));
        done(&ctx);

        reset(NULL);
        run(&ctx, "rd.luks.uuid=abcd");
        fk.typed = none;
        fk.prompt_err = -ECANCELED;
        assert_int_equal(init_run(&ctx), -ECANCELED);
        assert_string_equal(ctx.why, "no passphrase was entered for /dev/vdb (the console closed)");
        done(&ctx);
}

static void test_unreadable_header(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fk.open_err = -EINVAL;
        assert_int_equal(init_run(&ctx), -EINVAL);
        assert_non_null(strstr(ctx.why, "/dev/vdb (UUID abcd) has no readable LUKS header: "));
        assert_string_equal(failed_stage, "unlock");
        assert_null(strstr(oplog, "prompt"));
        done(&ctx);
}

static void test_missing_device_names_uuid(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=5e1f0c3a-77aa-4bde-9f00-123456789abc rd.timeout=5");
        fk.wait_err = -ENODEV;
        assert_int_equal(init_run(&ctx), -ENODEV);
        assert_string_equal(ctx.why,
                            "no disk with LUKS UUID 5e1f0c3a-77aa-4bde-9f00-123456789abc "
                            "appeared within 5 s. Block devices seen: vda (vfat).");
        assert_string_equal(failed_stage, "device");
        assert_string_equal(calls, "api settings modules find ");
        done(&ctx);

        reset(NULL);
        run(&ctx, "root=LABEL=gone rd.timeout=7");
        fk.wait_err = -ENODEV;
        assert_int_equal(init_run(&ctx), -ENODEV);
        assert_string_equal(ctx.why,
                            "no disk with root LABEL=gone appeared within 7 s. Block "
                            "devices seen: vda (vfat).");
        done(&ctx);
}

static void test_root_inside_the_volume(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd root=UUID=ef");
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog,
                               "modules-wait find(UUID=ef) mount(/dev/mapper/inner "
                               "/run/koompi/top rw,subvolid=5) "));
        done(&ctx);

        reset(NULL);
        run(&ctx, "rd.luks.uuid=abcd root=UUID=ef");
        fk.find_err = -ENOENT;
        assert_int_equal(init_run(&ctx), -ENOENT);
        assert_string_equal(ctx.why, "root=UUID=ef was not found after unlocking /dev/vdb");
        assert_string_equal(failed_stage, "root");
        assert_null(strstr(oplog, "mount("));
        done(&ctx);
}

static void test_missing_root(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd koompi.snapshot=@root-gone");
        fk.check_err = -ENOENT;
        assert_int_equal(init_run(&ctx), -ENOENT);
        assert_non_null(strstr(ctx.why, "the root @root-gone does not exist on /dev/mapper/root ("));
        assert_non_null(strstr(ctx.why, "Roots on this disk: @root-a @root-b"));
        assert_string_equal(failed_stage, "root");
        /* The top level is let go; nothing is written to the ledger. */
        assert_non_null(strstr(oplog, "check(@root-gone) umount(/run/koompi/top) "));
        assert_null(strstr(oplog, "ledger"));
        assert_null(strstr(oplog, "/sysroot "));
        done(&ctx);
}

static void test_writable_root_mounted_read_only(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd rw");
        fk.writable = true;
        assert_int_equal(init_run(&ctx), 0);
        assert_true(logged("the root @root-current is not read-only; mounting it read-only anyway"));
        assert_true(logged("rw on the command line"));
        assert_non_null(strstr(oplog, "mount(/dev/mapper/root /sysroot ro,subvol=/@root-current) "));
        done(&ctx);
}

static void test_choose_root_fails(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fk.choose_err = -ENOENT;
        assert_int_equal(init_run(&ctx), -ENOENT);
        assert_string_equal(ctx.why, "no root to boot");
        assert_non_null(strstr(oplog, "choose umount(/run/koompi/top) "));
        assert_null(strstr(oplog, "check("));
        done(&ctx);
}

static void test_subvolume_fails_no_ledger(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fk.subvol_missing = "@var";
        assert_int_equal(init_run(&ctx), -ENOENT);
        assert_non_null(strstr(ctx.why,
                               "mounting subvolume @var of /dev/mapper/root at "
                               "/sysroot/var failed: "));
        assert_null(strstr(oplog, "ledger"));
        assert_null(strstr(oplog, "flush"));
        assert_non_null(strstr(oplog, "umount(/run/koompi/top) "));
        done(&ctx);
}

static void test_missing_home(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fk.subvol_missing = "@home";
        assert_int_equal(init_run(&ctx), -ENOENT);
        assert_non_null(
                strstr(ctx.why, "mounting subvolume @home of /dev/mapper/root at /sysroot/home failed: "));
        assert_string_equal(failed_stage, "root");
        assert_null(strstr(oplog, "ledger"));
        assert_non_null(strstr(oplog, "umount(/run/koompi/top) "));
        done(&ctx);
}

/* 64 KiB of garbage after the loader's words: every word unknown, the boot goes on. */
static void test_garbage_cmdline(void **state) {
        struct init_ctx ctx;
        char *line = malloc(64 * 1024 + 1);
        assert_non_null(line);
        srand(17);
        for (size_t i = 0; i < 64 * 1024; i++)
                line[i] = (char)(1 + rand() % 255);
        line[64 * 1024] = 0;
        memcpy(line, "rd.luks.uuid=abcd ", 18);
        run(&ctx, line);
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog, "mount(/dev/mapper/root /sysroot ro,subvol=/@root-current) "));
        done(&ctx);
        /* A root name of 64 KiB: no such root, said so, nothing overflows. */
        memcpy(line, "rd.luks.uuid=abcd koompi.snapshot=@", 35);
        memset(line + 35, 'a', 64 * 1024 - 35);
        run(&ctx, line);
        fk.check_err = -ENOENT;
        assert_int_equal(init_run(&ctx), -ENOENT);
        assert_non_null(strstr(ctx.why, "the root @aaaa"));
        assert_string_equal(failed_stage, "root");
        done(&ctx);
        free(line);
}

static void test_btrfs_checksum_retry(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        fail_mounts = 1;
        fk.loadable = "crypto-xxhash64";
        assert_int_equal(init_run(&ctx), 0);
        assert_non_null(strstr(oplog,
                               "mount(/dev/mapper/root /run/koompi/top rw,subvolid=5) "
                               "load(crypto-xxhash64) load(crypto-blake2b-256) "
                               "load(crypto-sha256) load(crypto-crc32c) "
                               "mount(/dev/mapper/root /run/koompi/top rw,subvolid=5) choose "));
        done(&ctx);

        /* No checksum driver loaded: no second mount. */
        reset(NULL);
        run(&ctx, "rd.luks.uuid=abcd");
        fk.top_err = -EINVAL;
        assert_int_equal(init_run(&ctx), -EINVAL);
        assert_non_null(strstr(oplog, "load(crypto-crc32c) "));
        assert_null(strstr(oplog, "load(crypto-crc32c) mount("));
        assert_non_null(strstr(ctx.why, "mounting the Btrfs filesystem on /dev/mapper/root failed: "));
        assert_string_equal(failed_stage, "root");
        done(&ctx);
}

static void test_ledger_written_at_each_stage(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        assert_int_equal(init_run(&ctx), 0);
        /* The technician's records go in first, then the boot with its root mounted; the
         * switch is recorded in the root once init is known to be there, before the switch. */
        assert_non_null(strstr(oplog,
                               "mount(/dev/mapper/root /sysroot/var rw,subvol=/@var) flush "
                               "ledger(/run/koompi/top) umount(/run/koompi/top) "
                               "init(/sysroot/sbin/init) ledger-switch(/sysroot) switch "));
        done(&ctx);

        /* rd.break stops before the switch: not recorded as switched. */
        reset(NULL);
        run(&ctx, "rd.luks.uuid=abcd rd.break");
        assert_int_equal(init_run(&ctx), -ECANCELED);
        assert_non_null(strstr(oplog, "ledger(/run/koompi/top)"));
        assert_null(strstr(oplog, "ledger-switch"));
        done(&ctx);
}

static void test_no_init_in_root(void **state) {
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd init=/usr/lib/systemd/systemd");
        fk.no_init = true;
        assert_int_equal(init_run(&ctx), -ENOENT);
        assert_string_equal(ctx.why, "the root @root-current has no executable /usr/lib/systemd/systemd");
        assert_string_equal(failed_stage, "switch-root");
        assert_null(strstr(oplog, "ledger-switch"));
        assert_null(strstr(oplog, "switch "));
        done(&ctx);
}

static void test_fault_matches(void **state) {
        unsigned long ms = 7;
        assert_false(init_fault_matches(NULL, "ledger-boot", &ms));
        assert_false(init_fault_matches("ledger-boot-x", "ledger-boot", &ms));
        assert_false(init_fault_matches("ledger", "ledger-boot", &ms));
        assert_false(init_fault_matches("ledger-boot:", "ledger-boot", &ms));
        assert_false(init_fault_matches("ledger-boot:5x", "ledger-boot", &ms));
        assert_int_equal(ms, 7);
        assert_true(init_fault_matches("ledger-boot", "ledger-boot", &ms));
        assert_int_equal(ms, 0);
        assert_true(init_fault_matches("counter-rename:250", "counter-rename", &ms));
        assert_int_equal(ms, 250);
        /* A boot without koompi.fault= never reaches the trigger; one naming another step
         * neither (a real match here would reset the machine running the test). */
        static struct init_ctx ctx;
        init_fault_point(&ctx, "ledger-boot");
        ctx.cmdline.fault = (char *)"not-a-step:0";
        init_fault_point(&ctx, "ledger-boot");
}

static void test_device_retried_from_the_menu(void **state) {
        static const int script[] = { RECOVERY_RETRY, 0 };
        struct init_ctx ctx;
        run(&ctx, "rd.luks.uuid=abcd");
        ctx.ops = &recover_ops;
        answers = script;
        fk.wait_err = -ENODEV;
        assert_int_equal(init_run(&ctx), -ENODEV);
        assert_string_equal(calls, "api settings modules find recover find recover ");
        assert_string_equal(failed_stage, "device");
        done(&ctx);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_happy_path_order, reset),
                cmocka_unit_test_setup(test_fault_matches, reset),
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
                cmocka_unit_test_setup(test_stage_table, reset),
                cmocka_unit_test_setup(test_happy_path_operations, reset),
                cmocka_unit_test_setup(test_unencrypted_root_operations, reset),
                cmocka_unit_test_setup(test_wrong_passphrase_tells_tries_left, reset),
                cmocka_unit_test_setup(test_wrong_passphrase_every_try, reset),
                cmocka_unit_test_setup(test_activation_error_stops_asking, reset),
                cmocka_unit_test_setup(test_keyfile_opens_without_prompt, reset),
                cmocka_unit_test_setup(test_keyfile_then_passphrase, reset),
                cmocka_unit_test_setup(test_remembered_keyslot, reset),
                cmocka_unit_test_setup(test_tpm2_opens_without_prompt, reset),
                cmocka_unit_test_setup(test_tpm2_refused_then_prompt, reset),
                cmocka_unit_test_setup(test_tpm2_absent_then_prompt, reset),
                cmocka_unit_test_setup(test_tpm2_pin, reset),
                cmocka_unit_test_setup(test_tpm2_not_tried, reset),
                cmocka_unit_test_setup(test_abandoned_prompt, reset),
                cmocka_unit_test_setup(test_unreadable_header, reset),
                cmocka_unit_test_setup(test_missing_device_names_uuid, reset),
                cmocka_unit_test_setup(test_root_inside_the_volume, reset),
                cmocka_unit_test_setup(test_missing_root, reset),
                cmocka_unit_test_setup(test_writable_root_mounted_read_only, reset),
                cmocka_unit_test_setup(test_choose_root_fails, reset),
                cmocka_unit_test_setup(test_subvolume_fails_no_ledger, reset),
                cmocka_unit_test_setup(test_missing_home, reset),
                cmocka_unit_test_setup(test_garbage_cmdline, reset),
                cmocka_unit_test_setup(test_btrfs_checksum_retry, reset),
                cmocka_unit_test_setup(test_ledger_written_at_each_stage, reset),
                cmocka_unit_test_setup(test_no_init_in_root, reset),
                cmocka_unit_test_setup(test_device_retried_from_the_menu, reset),
        };
        return cmocka_run_group_tests_name("init-stages", tests, NULL, NULL);
}
