/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The boot of koompi-init as a table of stages, read top to bottom. */
#include <errno.h>
#include <stdio.h>

#include "init.h"
#include "keymap.h"
#include "log.h"
#include "luks.h"
#include "recovery.h"
#include "util.h"

static const char *nonempty(const char *a, const char *b) {
        return a && *a ? a : b;
}

/* rootflags=subvol=@x,compress=zstd: the snapshot comes from koompi.snapshot= (or subvol= when
 * that is absent); the remaining options apply to every Btrfs mount. */
static void split_rootflags(struct init_ctx *ctx, const char **ret_subvol) {
        char *out = ctx->rootflags_buf;
        size_t used = 0;
        *ret_subvol = NULL;
        out[0] = 0;
        if (!ctx->cmdline.rootflags)
                return;
        char *copy = strdup_or_die(ctx->cmdline.rootflags);
        for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
                const char *v;
                if ((v = startswith(tok, "subvol="))) {
                        while (*v == '/')
                                v++;
                        snprintf(ctx->snapshot_buf, sizeof ctx->snapshot_buf, "%s", v);
                        *ret_subvol = ctx->snapshot_buf;
                        continue;
                }
                if (startswith(tok, "subvolid="))
                        continue;
                used += (size_t)snprintf(out + used, sizeof ctx->rootflags_buf - used, "%s%s",
                                         used ? "," : "", tok);
                if (used >= sizeof ctx->rootflags_buf)
                        break;
        }
        free(copy);
}

void init_resolve_settings(struct init_ctx *ctx) {
        const struct boot_cmdline *c = &ctx->cmdline;
        const struct koompi_config *f = &ctx->config;
        struct boot_settings *s = &ctx->s;
        const char *subvol;

        split_rootflags(ctx, &subvol);
        s->rootflags = ctx->rootflags_buf;
        s->snapshot = nonempty(c->snapshot, nonempty(subvol, f->snapshot));
        s->root = c->root;
        s->luks_uuid = nonempty(c->luks_uuid, f->luks_uuid);
        s->luks_name = nonempty(c->luks_name, nonempty(f->luks_name, "root"));
        s->luks_key = nonempty(c->luks_key, f->luks_key);
        s->luks_tries = c->has_luks_tries ? c->luks_tries : f->luks_tries;
        if (s->luks_tries == 0) /* crypttab: tries=0 means "forever"; we cap it */
                s->luks_tries = 1000;
        s->luks_timeout_ms = c->has_luks_timeout ? c->luks_timeout_ms : 0;
        s->discard = c->luks_discard;
        s->timeout_ms = c->has_timeout ? c->timeout_ms : f->timeout_ms;
        if (s->timeout_ms == 0) /* dracut: rd.timeout=0 waits forever; a day is forever here */
                s->timeout_ms = 86400000;
        s->failure_action = nonempty(c->emergency, f->failure_action);
        s->init = nonempty(c->init, "/sbin/init");
        s->rw = c->rw == 1;
        s->stop_before_switch = c->rd_break;
}

void timeline_mark(struct init_ctx *ctx, const char *stage) {
        if (ctx->n_timeline >= TIMELINE_MAX)
                return;
        ctx->timeline[ctx->n_timeline++] = (struct timeline_mark) { stage, now_boottime_ms() };
}

int timeline_write_json(const struct init_ctx *ctx, const char *path) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return -errno;
        fputs("{\"snapshot\":", f);
        json_write_string(f, ctx->s.snapshot);
        fputs(",\"luks_device\":", f);
        json_write_string(f, ctx->luks_device);
        fputs(",\"root_device\":", f);
        json_write_string(f, ctx->root_device);
        fprintf(f, ",\"keyslot\":%d,\"prompt_ms\":%llu,\"init\":", ctx->keyslot,
                (unsigned long long)ctx->prompt_ms);
        json_write_string(f, ctx->s.init);
        fputs(",\"entry\":", f);
        json_write_string(f, ctx->entry_id);
        fputs(",\"entry_file\":", f);
        json_write_string(f, ctx->entry_file);
        fprintf(f, ",\"counting\":%s,\"fallback\":%s,\"ledger_seq\":%llu,\"requested\":",
                ctx->counting ? "true" : "false", ctx->fallback ? "true" : "false",
                (unsigned long long)ctx->ledger_seq);
        json_write_string(f, ctx->fallback ? ctx->requested : ctx->s.snapshot);
        fputs(",\"root_uuid\":", f);
        json_write_string(f, ctx->root_uuid);
        fputs(",\"unlocked_by\":", f);
        json_write_string(f, ctx->unlocked_by ? ctx->unlocked_by : "");
        fputs(",\"timeline\":[", f);
        for (unsigned i = 0; i < ctx->n_timeline; i++) {
                fprintf(f, "%s{\"stage\":", i ? "," : "");
                json_write_string(f, ctx->timeline[i].stage);
                fprintf(f, ",\"ms\":%llu}", (unsigned long long)ctx->timeline[i].ms);
        }
        fputs("]}\n", f);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        int r = write_file_atomic(path, buf, len, 0644);
        free(buf);
        return r;
}

static int stage_api(struct init_ctx *ctx) {
        return ctx->ops->mount_api(ctx);
}

static int stage_settings(struct init_ctx *ctx) {
        char *line = NULL;
        bool found = false;
        int r = ctx->ops->read_settings(ctx, &line, &found);
        if (r < 0)
                return r;
        r = cmdline_parse(line ? line : "", &ctx->cmdline);
        free(line);
        if (r < 0)
                return r;
        init_resolve_settings(ctx);
        if (ctx->cmdline.debug)
                log_set_max_level(LOG_LVL_DEBUG);
        else if (ctx->cmdline.quiet)
                log_set_max_level(LOG_LVL_WARNING);
        log_info("booting root %s%s%s", ctx->s.snapshot, *ctx->s.luks_uuid ? " from LUKS " : "",
                 ctx->s.luks_uuid);
        return 0;
}

static int stage_modules(struct init_ctx *ctx) {
        return ctx->ops->start_modules(ctx);
}

/* The LUKS volume by its UUID, or the unencrypted root= filesystem. */
static int stage_device(struct init_ctx *ctx) {
        bool luks = *ctx->s.luks_uuid;
        char spec[300], seen[512];
        if (!luks && !ctx->s.root) {
                snprintf(ctx->why, sizeof ctx->why,
                         "neither rd.luks.uuid= nor root= is on the kernel command line and "
                         "boot.conf names no [luks] uuid: there is nothing to boot from");
                return -EINVAL;
        }
        snprintf(spec, sizeof spec, "%s%s", luks ? "UUID=" : "", luks ? ctx->s.luks_uuid : ctx->s.root);
        char *found = luks ? ctx->luks_device : ctx->root_device;
        int r = ctx->ops->wait_device(ctx, spec, found, sizeof ctx->luks_device);
        if (r < 0) {
                ctx->ops->describe_disks(ctx, seen, sizeof seen);
                snprintf(ctx->why, sizeof ctx->why, "no disk with %s %s appeared within %u s. %s",
                         luks ? "LUKS UUID" : "root", luks ? ctx->s.luks_uuid : spec,
                         ctx->s.timeout_ms / 1000, seen);
                return r;
        }
        log_info("found %s at %s", spec, found);
        return 0;
}

#define PASSPHRASE_MAX 512
/* /dev/tpmrm0 comes a moment after the TPM driver binds; under emulation it takes seconds. */
#define TPM_WAIT_MS 10000
/* What a technician reads when the TPM keeps the key. */
#define TPM_REFUSED                                                                                \
        "the TPM would not release the key: Secure Boot was turned off or its keys changed; type " \
        "the recovery key"
#define TPM_ABSENT \
        "no TPM appeared (/dev/tpmrm0): it is off in the firmware or the disk is in another machine; type the recovery key"
#define TPM_BAD_PIN "the TPM did not release the key with that PIN; type the recovery key"

/* Asks up to luks_tries times; the passphrase never outlives its attempt. */
static int unlock_with_passphrase(struct init_ctx *ctx, struct luks_volume *v) {
        char prompt[300];
        char *pass = luks_secret_alloc(PASSPHRASE_MAX);
        if (!pass)
                return -ENOMEM;
        int r = -EPERM;
        for (unsigned attempt = 1; attempt <= ctx->s.luks_tries; attempt++) {
                snprintf(prompt, sizeof prompt,
                         "Please enter passphrase for disk %s (%s): ", ctx->s.luks_name, ctx->luks_device);
                uint64_t asked = now_boottime_ms();
                int len = ctx->ops->prompt(0, prompt, pass, PASSPHRASE_MAX, ctx->s.luks_timeout_ms);
                ctx->prompt_ms += now_boottime_ms() - asked;
                if (len < 0) {
                        r = len;
                        snprintf(ctx->why, sizeof ctx->why, "no passphrase was entered for %s (%s)",
                                 ctx->luks_device, len == -ETIMEDOUT ? "timed out" : "the console closed");
                        break;
                }
                r = ctx->ops->activate(ctx, v, pass, (size_t)len);
                secure_wipe(pass, PASSPHRASE_MAX);
                if (r >= 0)
                        break;
                if (r != -EPERM) {
                        snprintf(ctx->why, sizeof ctx->why, "unlocking %s failed: %s", ctx->luks_device,
                                 strerror(-r));
                        break;
                }
                unsigned left = ctx->s.luks_tries - attempt;
                log_error("wrong passphrase for disk %s: %u %s left", ctx->s.luks_name, left,
                          left == 1 ? "try" : "tries");
                snprintf(ctx->why, sizeof ctx->why, "the passphrase for %s (LUKS UUID %s) was wrong %u times",
                         ctx->luks_device, ctx->s.luks_uuid, ctx->s.luks_tries);
        }
        luks_secret_free(pass);
        return r;
}

/* The TPM's PIN, asked once. */
static int tpm2_with_pin(struct init_ctx *ctx, struct luks_volume *v, int token) {
        char prompt[300];
        char *pin = luks_secret_alloc(PASSPHRASE_MAX);
        if (!pin)
                return -ENOMEM;
        snprintf(prompt, sizeof prompt, "Please enter the TPM PIN for disk %s (%s): ", ctx->s.luks_name,
                 ctx->luks_device);
        uint64_t asked = now_boottime_ms();
        int r = ctx->ops->prompt(0, prompt, pin, PASSPHRASE_MAX, ctx->s.luks_timeout_ms);
        ctx->prompt_ms += now_boottime_ms() - asked;
        if (r >= 0)
                r = ctx->ops->activate_token(ctx, v, token, pin, (size_t)r);
        luks_secret_free(pin);
        return r;
}

/* The TPM first, when the volume has a systemd-tpm2 token and [luks] tpm2 is not "no": the
 * keyslot; -ENOENT when there is no token to try; another negative errno when the TPM did not
 * release the key, said on the screen in one line and kept for the ledger's alert. */
static int unlock_with_tpm2(struct init_ctx *ctx, struct luks_volume *v) {
        struct tpm2_token tok;
        int token, r;

        if (streq_ptr(ctx->config.luks_tpm2, "no") || ctx->ops->tpm2_token(v, &token, &tok) < 0)
                return -ENOENT;
        r = ctx->ops->wait_tpm(TPM_WAIT_MS);
        if (r == 0)
                r = tok.pin ? tpm2_with_pin(ctx, v, token) : ctx->ops->activate_token(ctx, v, token, NULL, 0);
        if (r >= 0)
                return r;
        snprintf(ctx->tpm2_refusal, sizeof ctx->tpm2_refusal, "%s",
                 r == -ENODEV                                       ? TPM_ABSENT
                         : r == -ENOANO || (tok.pin && r == -EPERM) ? TPM_BAD_PIN
                                                                    : TPM_REFUSED);
        log_error("%s", ctx->tpm2_refusal);
        log_debug("the token of %s failed: %s", ctx->luks_device, strerror(-r));
        return r;
}

/* The TPM, else the key file, else the passphrase. Returns the keyslot that opened the volume. */
static int open_with_a_key(struct init_ctx *ctx, struct luks_volume *v) {
        int r = unlock_with_tpm2(ctx, v);
        if (r >= 0) {
                ctx->unlocked_by = "tpm2";
                return r;
        }
        r = -EPERM;
        if (*ctx->s.luks_key) {
                r = ctx->ops->activate(ctx, v, NULL, 0);
                ctx->unlocked_by = r >= 0 ? "keyfile" : NULL;
                if (r < 0)
                        log_warning("the keyfile %s does not open %s (%s); asking for the "
                                    "passphrase",
                                    ctx->s.luks_key, ctx->luks_device, strerror(-r));
        }
        if (r < 0) {
                ctx->ops->esp_before_prompt(ctx);
                /* The OS's keymap before the prompt, so the passphrase reads as typed. */
                int k = ctx->ops->load_keymap(KEYMAP_IMAGE_PATH);
                if (k < 0 && k != -ENOENT && k != -ENOTTY)
                        log_errno(k, "loading the console keymap failed; the US layout stays");
                else if (k > 0)
                        log_debug("the kernel refused %d keymap entries (Unicode keysyms on a console not in "
                                  "Unicode mode?)",
                                  k);
                r = unlock_with_passphrase(ctx, v);
                ctx->unlocked_by = r >= 0 ? "passphrase" : NULL;
        }
        return r;
}

static int stage_unlock(struct init_ctx *ctx) {
        if (!*ctx->s.luks_uuid)
                return 0;
        /* dm-crypt must be there before the prompt, so no delay follows the Enter key. */
        int r = ctx->ops->load_module(ctx->kmod, "dm-crypt");
        if (r < 0)
                log_errno(r, "loading dm-crypt failed");
        ctx->ops->read_loader(ctx);
        struct luks_volume *v = NULL;
        r = ctx->ops->open_volume(ctx, ctx->luks_device, &v);
        if (r < 0) {
                snprintf(ctx->why, sizeof ctx->why, "%s (UUID %s) has no readable LUKS header: %s",
                         ctx->luks_device, ctx->s.luks_uuid, strerror(-r));
                return r;
        }
        r = open_with_a_key(ctx, v);
        /* Remember the keyslot that opened the volume: next boot it is tried first, so the
         * key derivation runs once, not once per keyslot. */
        if (r >= 0 && ctx->ops->keyslot_count(v) > 1) {
                init_fault_point(ctx, "luks-remember");
                int q = ctx->ops->prefer_keyslot(v, r);
                if (q < 0)
                        log_errno(q, "remembering keyslot %d in the LUKS header failed", r);
                else if (q > 0)
                        log_info("keyslot %d will be tried first from now on", r);
        }
        ctx->ops->close_volume(v);
        if (r < 0)
                return r;
        ctx->keyslot = r;
        snprintf(ctx->root_device, sizeof ctx->root_device, "/dev/mapper/%s", ctx->s.luks_name);
        ctx->ops->esp_after_unlock(ctx);
        log_info("unlocked %s as %s (keyslot %d)", ctx->luks_device, ctx->root_device, r);
        return 0;
}

static void join_options(char *out, size_t size, const char *a, const char *b) {
        snprintf(out, size, "%s%s%s", a, *b ? "," : "", b);
}

static int mount_subvol(struct init_ctx *ctx, const char *name, const char *where, bool rw) {
        char opts[700], base[300];
        snprintf(base, sizeof base, "%s,subvol=/%s", rw ? "rw" : "ro", name);
        join_options(opts, sizeof opts, base, ctx->s.rootflags);
        int r = ctx->ops->mount(ctx->root_device, where, "btrfs", opts);
        if (r < 0)
                snprintf(ctx->why, sizeof ctx->why, "mounting subvolume %s of %s at %s failed: %s", name,
                         ctx->root_device, where, strerror(-r));
        return r;
}

/* Btrfs asks the kernel for its checksum's driver when it mounts; with the module helper off
 * nobody answers. btrfs.ko names them all as soft dependencies, but libkmod follows only the
 * first of its softdep lines: a filesystem made with --csum xxhash or blake2 would not mount.
 * They are loaded when a mount failed, and the mount tried again. */
static int mount_top(struct init_ctx *ctx) {
        static const char *const csums[] = { "crypto-xxhash64", "crypto-blake2b-256", "crypto-sha256",
                                             "crypto-crc32c" };
        char opts[600];
        join_options(opts, sizeof opts, "rw,subvolid=5", ctx->s.rootflags);
        int r = ctx->ops->mount(ctx->root_device, INIT_TOP, "btrfs", opts);
        if (r < 0) {
                int loaded = 0;
                for (size_t i = 0; i < ELEMENTSOF(csums); i++)
                        if (ctx->ops->load_module(ctx->kmod, csums[i]) == 0)
                                loaded++;
                if (loaded > 0)
                        r = ctx->ops->mount(ctx->root_device, INIT_TOP, "btrfs", opts);
        }
        if (r < 0)
                snprintf(ctx->why, sizeof ctx->why, "mounting the Btrfs filesystem on %s failed: %s",
                         ctx->root_device, strerror(-r));
        return r;
}

/* The chosen root exists; a writable one is still mounted read-only. */
static int check_root(struct init_ctx *ctx) {
        bool ro = false;
        int r = ctx->ops->check_root(INIT_TOP, ctx->s.snapshot, &ro);
        if (r < 0) {
                char names[200] = "";
                ctx->ops->list_roots(INIT_TOP, "@root", names, sizeof names);
                snprintf(ctx->why, sizeof ctx->why,
                         "the root %s does not exist on %s (%s). Roots on this disk: %s", ctx->s.snapshot,
                         ctx->root_device, strerror(-r), *names ? names : "none");
                return r;
        }
        if (!ro)
                log_warning("the root %s is not read-only; mounting it read-only anyway", ctx->s.snapshot);
        if (ctx->s.rw)
                log_notice("rw on the command line: root snapshots are read-only; writes go to "
                           "/home and /var");
        return 0;
}

/* Under the top level (mounted at INIT_TOP): the root chosen, checked, mounted with /home
 * and /var, and the boot written to the ledger. */
static int mount_from_top(struct init_ctx *ctx) {
        if (!*ctx->s.luks_uuid)
                ctx->ops->read_loader(ctx);
        int r = ctx->ops->choose_root(ctx, INIT_TOP);
        if (r >= 0)
                r = check_root(ctx);
        if (r >= 0)
                r = mount_subvol(ctx, ctx->s.snapshot, INIT_NEWROOT, false);
        if (r >= 0)
                r = mount_subvol(ctx, ctx->config.home_subvol, INIT_NEWROOT "/home", true);
        if (r >= 0)
                r = mount_subvol(ctx, ctx->config.var_subvol, INIT_NEWROOT "/var", true);
        if (r >= 0) {
                ctx->ops->flush_records(ctx);
                ctx->ops->record_boot(ctx, INIT_TOP);
        }
        return r;
}

static int stage_root(struct init_ctx *ctx) {
        ctx->ops->wait_modules(ctx);
        /* root= names the filesystem inside the volume when given; else the volume is it. */
        if (ctx->s.root && *ctx->s.luks_uuid) {
                int r = ctx->ops->find_device(ctx->s.root, ctx->root_device, sizeof ctx->root_device);
                if (r < 0) {
                        snprintf(ctx->why, sizeof ctx->why, "root=%s was not found after unlocking %s",
                                 ctx->s.root, ctx->luks_device);
                        return r;
                }
        }
        int r = mount_top(ctx);
        if (r < 0)
                return r;
        r = mount_from_top(ctx);
        ctx->ops->umount(INIT_TOP);
        if (r >= 0)
                log_info("mounted %s read-only, %s and %s read-write", ctx->s.snapshot,
                         ctx->config.home_subvol, ctx->config.var_subvol);
        return r;
}

static int stage_switch(struct init_ctx *ctx) {
        if (ctx->s.stop_before_switch) {
                snprintf(ctx->why, sizeof ctx->why,
                         "rd.break is on the kernel command line: stopped before switching to "
                         "the root %s",
                         ctx->s.snapshot);
                return -ECANCELED;
        }
        if (!ctx->ops->init_executable(INIT_NEWROOT, ctx->s.init)) {
                snprintf(ctx->why, sizeof ctx->why, "the root %s has no executable %s", ctx->s.snapshot,
                         ctx->s.init);
                return -ENOENT;
        }
        ctx->ops->record_switch(ctx, INIT_NEWROOT);
        return ctx->ops->switch_root(ctx);
}

#define RESTART "Restart the machine; if this happens again, call a technician with this screen."

const struct init_stage init_stages[_INIT_STAGE_MAX] = {
        [INIT_STAGE_MOUNT_API] = {
                .id = INIT_STAGE_MOUNT_API, .name = "mount-api", .run = stage_api,
                .failure = "the kernel's /proc, /sys, /dev or /run could not be mounted",
                .advice = RESTART,
        },
        [INIT_STAGE_SETTINGS] = {
                .id = INIT_STAGE_SETTINGS, .name = "settings", .run = stage_settings,
                .failure = "the kernel command line could not be read",
                .advice = RESTART,
        },
        [INIT_STAGE_MODULES] = {
                .id = INIT_STAGE_MODULES, .name = "modules", .run = stage_modules,
                .failure = "the kernel modules for the disk could not be loaded",
                .advice = RESTART,
        },
        [INIT_STAGE_DEVICE] = {
                .id = INIT_STAGE_DEVICE, .name = "device", .run = stage_device,
                .failure = "the encrypted disk was not found",
                .advice = "Check that the disk is connected. If it is, the image may lack its "
                          "driver: run koompi-mkinitramfs without --host-only. rd.timeout= waits "
                          "longer.",
                .recovery = true,
                .menu_advice = "Check that the disk is connected and seen by the firmware. If it "
                               "is, this image may lack its driver: run koompi-mkinitramfs "
                               "without --host-only on the installed system. retry waits for the "
                               "disk again.",
                .retry = "wait for the disk again, then boot as usual",
        },
        [INIT_STAGE_UNLOCK] = {
                .id = INIT_STAGE_UNLOCK, .name = "unlock", .run = stage_unlock,
                .failure = "the encrypted disk could not be unlocked",
                .advice = "Restart the machine to try the passphrase again.",
                .recovery = true,
                .menu_advice = "retry asks for the passphrase again.",
                .retry = "ask for the disk's passphrase again, then boot as usual",
        },
        [INIT_STAGE_ROOT] = {
                .id = INIT_STAGE_ROOT, .name = "root", .run = stage_root,
                .failure = "the root snapshot could not be mounted",
                .advice = "Restart and choose another root in the boot menu, or set "
                          "koompi.snapshot= to one of the roots listed.",
                .recovery = true,
                .menu_advice = "list shows the roots and their state; boot NAME starts one of "
                               "them once; good NAME or bad NAME changes what the next boots "
                               "choose.",
                .retry = "mount the root again, then boot as usual",
        },
        [INIT_STAGE_SWITCH_ROOT] = {
                .id = INIT_STAGE_SWITCH_ROOT, .name = "switch-root", .run = stage_switch,
                .failure = "the system could not be started",
                .advice = RESTART,
        },
};

bool recovery_wanted(const struct init_stage *stage, int err) {
        if (!stage || err == -ETIMEDOUT || err == -ECANCELED)
                return false;
        return stage->recovery;
}

/* koompi.recovery or rd.break: the menu, once the volume is open so that it can list the
 * roots; then the boot goes on with the root the menu chose (or the one asked for). */
static bool menu_asked(struct init_ctx *ctx, enum init_stage_id done) {
        if (done != INIT_STAGE_UNLOCK || !ctx->ops->recover ||
            !(ctx->cmdline.recovery || ctx->s.stop_before_switch))
                return false;
        ctx->s.stop_before_switch = false;
        ctx->ops->recover(ctx, NULL, 0);
        return true;
}

int init_run(struct init_ctx *ctx) {
        bool asked = false;
        for (unsigned i = 0; i < _INIT_STAGE_MAX; i++) {
                const struct init_stage *st = &init_stages[i];
                ctx->why[0] = 0;
                int r = st->run(ctx);
                timeline_mark(ctx, st->name);
                if (r >= 0 && !asked && menu_asked(ctx, st->id)) {
                        asked = true;
                        continue;
                }
                if (r < 0 && ctx->ops->recover && recovery_wanted(st, r)) {
                        int a = ctx->ops->recover(ctx, st, r);
                        if (a == RECOVERY_RETRY) {
                                i--; /* the same stage again */
                                continue;
                        }
                        if (a == RECOVERY_BOOT) {
                                i = INIT_STAGE_ROOT - 1;
                                continue;
                        }
                }
                if (r < 0) {
                        ctx->ops->fail(ctx, st, r);
                        return r;
                }
        }
        return 0;
}
