/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The boot of koompi-init as a table of stages, read top to bottom. */
#include <errno.h>
#include <stdio.h>

#include "init.h"
#include "log.h"
#include "recovery.h"
#include "util.h"

static const char *nonempty(const char *a, const char *b) { return a && *a ? a : b; }

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
        ctx->timeline[ctx->n_timeline++] = (struct timeline_mark){stage, now_boottime_ms()};
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

static int stage_api(struct init_ctx *ctx) { return ctx->ops->mount_api(ctx); }

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

static int stage_modules(struct init_ctx *ctx) { return ctx->ops->start_modules(ctx); }

static int stage_device(struct init_ctx *ctx) {
        if (!*ctx->s.luks_uuid && !ctx->s.root) {
                snprintf(ctx->why, sizeof ctx->why,
                         "neither rd.luks.uuid= nor root= is on the kernel command line and "
                         "boot.conf names no [luks] uuid: there is nothing to boot from");
                return -EINVAL;
        }
        return ctx->ops->find_device(ctx);
}

static int stage_unlock(struct init_ctx *ctx) {
        if (!*ctx->s.luks_uuid)
                return 0;
        return ctx->ops->unlock(ctx);
}

static int stage_root(struct init_ctx *ctx) { return ctx->ops->mount_root(ctx); }

static int stage_switch(struct init_ctx *ctx) {
        if (ctx->s.stop_before_switch) {
                snprintf(ctx->why, sizeof ctx->why,
                         "rd.break is on the kernel command line: stopped before switching to "
                         "the root %s", ctx->s.snapshot);
                return -ECANCELED;
        }
        return ctx->ops->switch_root(ctx);
}

const struct init_stage init_stages[] = {
        {"mount-api", stage_api, "the kernel's /proc, /sys, /dev or /run could not be mounted"},
        {"settings", stage_settings, "the kernel command line could not be read"},
        {"modules", stage_modules, "the kernel modules for the disk could not be loaded"},
        {"device", stage_device, "the encrypted disk was not found"},
        {"unlock", stage_unlock, "the encrypted disk could not be unlocked"},
        {"root", stage_root, "the root snapshot could not be mounted"},
        {"switch-root", stage_switch, "the system could not be started"},
};
const unsigned init_n_stages = ELEMENTSOF(init_stages);

static unsigned stage_index(const char *name) {
        for (unsigned i = 0; i < init_n_stages; i++)
                if (streq(init_stages[i].name, name))
                        return i;
        return 0;
}

int init_run(struct init_ctx *ctx) {
        bool asked = false;
        for (unsigned i = 0; i < init_n_stages; i++) {
                const struct init_stage *st = &init_stages[i];
                ctx->why[0] = 0;
                int r = st->run(ctx);
                timeline_mark(ctx, st->name);
                if (r >= 0 && ctx->ops->recover && !asked && streq(st->name, "unlock") &&
                    (ctx->cmdline.recovery || ctx->s.stop_before_switch)) {
                        /* koompi.recovery or rd.break: the menu, once the volume is open so
                         * that it can list the roots; then the boot goes on with the root the
                         * menu chose (or the one asked for). */
                        asked = true;
                        ctx->s.stop_before_switch = false;
                        ctx->ops->recover(ctx, NULL, 0);
                        continue;
                }
                if (r < 0 && ctx->ops->recover && recovery_wanted(st->name, r)) {
                        int a = ctx->ops->recover(ctx, st->name, r);
                        if (a == RECOVERY_RETRY) {
                                i--; /* the same stage again */
                                continue;
                        }
                        if (a == RECOVERY_BOOT) {
                                i = stage_index("root") - 1;
                                continue;
                        }
                }
                if (r < 0) {
                        ctx->ops->fail(ctx, st->name, r);
                        return r;
                }
        }
        return 0;
}
