/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Automatic rollback in the initramfs: what systemd-boot started, the ledger, the fallback
 * choice, and tries given back for boots that never got past the passphrase prompt.
 *
 * Two counters never run at once. When systemd-boot started us with a counted entry
 * (LoaderBootCountPath), its file-name counter is the count. Otherwise the ledger is.
 *
 * Given-back tries: before the prompt, a marker on the ESP (koompi/pending/<entry file id>)
 * counts the prompts opened for that entry; a successful unlock takes its own back. A marker
 * still counting after an unlock (in this boot or a later one, of any entry) tells how many
 * attempts stopped at the prompt, and those tries are given back to the entry's name. A boot
 * that died before its prompt left no marker and keeps its try spent. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "btrfs.h"
#include "devices.h"
#include "efi.h"
#include "entry.h"
#include "entrydir.h"
#include "entryfile.h"
#include "fallback.h"
#include "init.h"
#include "layout.h"
#include "log.h"
#include "modules.h"
#include "mount.h"
#include "util.h"

#define ESP_DIR "/run/koompi/esp"
#define PENDING_DIR ESP_DIR "/" LAYOUT_KERNELS_DIR "/pending"
#define EFIVARS "/sys/firmware/efi/efivars"

void rollback_read_loader(struct init_ctx *ctx) {
        char path[512];
        if (access("/sys/firmware/efi", F_OK) < 0)
                return; /* not booted through UEFI: no loader variables */
        if (ctx->kmod)
                modules_load(ctx->kmod, "efivarfs");
        if (access(EFIVARS "/", F_OK) == 0)
                mount_fs("efivarfs", EFIVARS, "efivarfs", "nosuid,nodev,noexec");
        efi_loader_get_string("LoaderEntrySelected", ctx->entry_id, sizeof ctx->entry_id);
        if (efi_loader_get_string("LoaderBootCountPath", path, sizeof path) == 0 && *path) {
                const char *base = strrchr(path, '\\');
                snprintf(ctx->entry_file, sizeof ctx->entry_file, "%s", base ? base + 1 : path);
                ctx->counting = true;
        }
        efi_loader_get_string("LoaderDevicePartUUID", ctx->esp_partuuid, sizeof ctx->esp_partuuid);
        for (char *p = ctx->esp_partuuid; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        if (*ctx->entry_id)
                log_info("started by the boot loader from entry %s%s%s", ctx->entry_id,
                         ctx->counting ? ", counted as " : "", ctx->entry_file);
}

static int esp_mount(struct init_ctx *ctx) {
        char dev[128], spec[96];
        if (ctx->esp_mounted)
                return 0;
        if (!*ctx->esp_partuuid)
                return -ENOENT;
        snprintf(spec, sizeof spec, "PARTUUID=%s", ctx->esp_partuuid);
        int r = devices_find(spec, dev, sizeof dev);
        if (r < 0)
                return log_errno(r, "the ESP (%s) was not found", spec);
        /* Loaded here, not on every boot: only a boot started by systemd-boot needs them. */
        modules_load(ctx->kmod, "vfat");
        modules_load(ctx->kmod, "nls_cp437");
        modules_load(ctx->kmod, "nls_ascii");
        mkdir_p(ESP_DIR, 0700);
        r = mount_fs(dev, ESP_DIR, "vfat", "rw,noatime,flush");
        if (r < 0)
                return log_errno(r, "mounting the ESP %s failed", dev);
        ctx->esp_mounted = true;
        return 0;
}

static void esp_umount(struct init_ctx *ctx) {
        if (!ctx->esp_mounted)
                return;
        sync();
        umount_fs(ESP_DIR);
        ctx->esp_mounted = false;
}

/* Whether a loader entry file is a unified kernel image (EFI/Linux) or a type #1 entry. */
static bool is_uki(const char *file) {
        size_t n = strlen(file);
        return n > 4 && strcasecmp(file + n - 4, ".efi") == 0;
}

static const char *entry_suffix(const char *file) {
        return is_uki(file) ? ".efi" : ".conf";
}

static const char *entry_dir(const char *file) {
        return is_uki(file) ? ESP_DIR "/" LAYOUT_UKI_DIR : ESP_DIR "/" LAYOUT_ENTRIES_DIR;
}

static int pending_path(const char *entry_file, char *out, size_t size) {
        char id[256];
        int r = entry_id_from_filename(entry_file, id, sizeof id);
        if (r < 0)
                return r;
        snprintf(out, size, "%s/%s", PENDING_DIR, id);
        return 0;
}

static unsigned pending_read(const char *path) {
        char buf[32];
        unsigned n = 0;
        if (read_line_file(path, buf, sizeof buf) < 0 || parse_uint(buf, &n) < 0)
                return 0;
        return n;
}

static void pending_write(const char *path, unsigned n) {
        char buf[32];
        int len = snprintf(buf, sizeof buf, "%u\n", n);
        mkdir_p(PENDING_DIR, 0755);
        int r = n ? write_file_atomic(path, buf, (size_t)len, 0644) : (unlink(path) < 0 ? -errno : 0);
        if (r < 0 && r != -ENOENT)
                log_errno(r, "updating %s failed", path);
}

void rollback_before_prompt(struct init_ctx *ctx) {
        char path[512];
        struct entry_name e;
        if (!ctx->counting || entry_name_parse(ctx->entry_file, entry_suffix(ctx->entry_file), &e) < 0 ||
            !e.has_counter)
                return;
        if (esp_mount(ctx) < 0 || pending_path(ctx->entry_file, path, sizeof path) < 0)
                return;
        init_fault_point(ctx, "prompt-marker");
        pending_write(path, pending_read(path) + 1);
        ctx->prompt_pending = true;
        esp_umount(ctx); /* a power cut at the prompt must find the ESP clean */
}

/* Finds the current file of the entry with this id in its folder (entries, or UKIs). */
static int find_entry_file(const char *id, char *out, size_t size) {
        DIR *d = opendir(entry_dir(id));
        if (!d)
                return -errno;
        struct dirent *de;
        int r = -ENOENT;
        while ((de = readdir(d))) {
                if (de->d_name[0] != '.' && entry_id_equal(de->d_name, id)) {
                        snprintf(out, size, "%s", de->d_name);
                        r = 0;
                        break;
                }
        }
        closedir(d);
        return r;
}

static int rename_entry(const struct init_ctx *ctx, const char *from, const struct entry_name *to) {
        char name[ENTRY_NAME_MAX + 1];
        int r = entry_name_format(to, name, sizeof name);
        if (r < 0 || streq(name, from))
                return r;
        _cleanup_close_ int dfd = open(entry_dir(from), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        init_fault_point(ctx, "counter-rename");
        r = entry_file_rename(dfd, from, name);
        if (r == 0)
                log_info("entry %s is now %s", from, name);
        return r;
}

static void give_back(const struct init_ctx *ctx, const char *id, unsigned n) {
        char file[300];
        struct entry_name e;
        if (find_entry_file(id, file, sizeof file) < 0 ||
            entry_name_parse(file, entry_suffix(file), &e) < 0 || !e.has_counter)
                return;
        unsigned given = 0;
        while (given < n && entry_counter_give_back(&e) == 0)
                given++;
        if (given && rename_entry(ctx, file, &e) == 0)
                log_notice("gave %u %s back to %s: %s never got past the passphrase prompt", given,
                           given == 1 ? "try" : "tries", id, given == 1 ? "that boot" : "those boots");
}

void rollback_after_unlock(struct init_ctx *ctx) {
        char path[512];
        /* Any boot systemd-boot started may find prompts left open by earlier boots, of
         * this entry or of another one (an entry out of tries sorts last, so the next boot is
         * usually another root's). */
        if (!*ctx->entry_id && !ctx->prompt_pending)
                return;
        if (esp_mount(ctx) < 0)
                return;
        /* This boot's prompt was answered: its marker goes. */
        if (ctx->prompt_pending && pending_path(ctx->entry_file, path, sizeof path) == 0) {
                unsigned n = pending_read(path);
                init_fault_point(ctx, "prompt-answered");
                pending_write(path, n ? n - 1 : 0);
        }
        DIR *d = opendir(PENDING_DIR);
        if (d) {
                struct dirent *de;
                while ((de = readdir(d))) {
                        /* A marker's write cut short by a power cut stays: the marker it
                         * was to replace is still there (or none was), and freeing its
                         * clusters can trip on a FAT the cut left behind its directory entry,
                         * which sets the ESP read-only for the rest of the boot. */
                        if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp"))
                                continue;
                        snprintf(path, sizeof path, "%s/%s", PENDING_DIR, de->d_name);
                        unsigned n = pending_read(path);
                        if (n)
                                give_back(ctx, de->d_name, n);
                        unlink(path);
                }
                closedir(d);
        }
        /* The booted entry may have been renamed above; keep its current name. */
        if (*ctx->entry_file) {
                char id[256], file[300];
                if (entry_id_from_filename(ctx->entry_file, id, sizeof id) == 0 &&
                    find_entry_file(id, file, sizeof file) == 0)
                        snprintf(ctx->entry_file, sizeof ctx->entry_file, "%s", file);
        }
}

/* A root's entry is the one whose options name it, whatever the file is called: entries
 * written by hand count as koompi-boot's do. */
static void entry_state_of_root(const struct entry_dir *entries, struct fallback_root *fr) {
        char id[256], want[300], file[300];
        struct entry_name e;
        if (entry_dir_root(entries, fr->name, file, sizeof file, &e) == 0) {
                fallback_root_from_entry(fr, &e);
                return;
        }
        /* Else its UKI, named after it (its command line is inside the signed image). */
        if (entry_id_from_root(fr->name, id, sizeof id) < 0)
                return;
        snprintf(want, sizeof want, "%s%s.efi", LAYOUT_ENTRY_PREFIX, id);
        if (find_entry_file(want, file, sizeof file) == 0 && entry_name_parse(file, ".efi", &e) == 0)
                fallback_root_from_entry(fr, &e);
}

static void ledger_path(struct init_ctx *ctx, const char *top, char *out, size_t size) {
        snprintf(out, size, "%s/%s/%s", top, ctx->config.var_subvol, LAYOUT_LEDGER_IN_VAR);
}

int rollback_choose_root(struct init_ctx *ctx, const char *top) {
        char path[PATH_MAX];
        ledger_path(ctx, top, path, sizeof path);
        ledger_init(&ctx->ledger);
        int r = ledger_load(&ctx->ledger, path);
        if (r < 0 && r != -ENOENT)
                log_errno(r, "reading the ledger %s failed; starting a new one", path);
        if (ctx->ledger.recovered)
                log_warning("the ledger %s had %u damaged lines; they were skipped", path,
                            (unsigned)ctx->ledger.recovered);
        ctx->ledger_loaded = true;
        unsigned closed = ledger_close_stale(&ctx->ledger);
        if (closed)
                log_info("the previous boot never finished; recorded as such in the ledger");

        struct btrfs_root_info *roots = NULL;
        size_t n = 0;
        r = btrfs_list_roots(top, LAYOUT_ROOT_PREFIX, &roots, &n);
        if (r < 0) {
                log_errno(r, "listing the roots failed; booting %s as asked", ctx->s.snapshot);
                return 0;
        }
        struct fallback_root *fr = calloc(n ? n : 1, sizeof *fr);
        if (!fr) {
                free(roots);
                return -ENOMEM;
        }
        /* Under systemd-boot its counters are the count, whether or not the entry it started
         * is counted itself: a spent newer entry means this boot is a fallback. */
        bool loader = *ctx->entry_id && esp_mount(ctx) == 0;
        struct entry_dir entries = {};
        /* The entries read once for all the roots (missing: no entry for any). */
        if (loader)
                (void)entry_dir_load(ESP_DIR "/" LAYOUT_ENTRIES_DIR, &entries);
        for (size_t i = 0; i < n; i++) {
                fr[i] = (struct fallback_root) { .name = roots[i].name,
                                                 .read_only = roots[i].read_only,
                                                 .generation = roots[i].otransid };
                if (loader) {
                        entry_state_of_root(&entries, &fr[i]);
                        fallback_root_note_from_ledger(&fr[i], &ctx->ledger);
                } else
                        fallback_root_from_ledger(&fr[i], &ctx->ledger, ctx->config.boot_tries);
        }
        entry_dir_free(&entries);
        struct fallback_input in = { .requested = ctx->s.snapshot,
                                     .roots = fr,
                                     .n_roots = n,
                                     .tries = ctx->config.boot_tries,
                                     .counting_loader = loader };
        struct fallback_choice c;
        r = fallback_choose(&in, &c);
        if (c.mark_entry_bad && ctx->esp_mounted && *ctx->entry_file) {
                struct entry_name e;
                if (entry_name_parse(ctx->entry_file, entry_suffix(ctx->entry_file), &e) == 0) {
                        entry_counter_mark_bad(&e);
                        rename_entry(ctx, ctx->entry_file, &e);
                }
        }
        esp_umount(ctx);
        if (r < 0) {
                snprintf(ctx->why, sizeof ctx->why, "%s", c.message);
        } else {
                if (c.fallback) {
                        ctx->fallback = true;
                        snprintf(ctx->requested, sizeof ctx->requested, "%s", ctx->s.snapshot);
                        snprintf(ctx->snapshot_buf, sizeof ctx->snapshot_buf, "%s", c.root->name);
                        ctx->s.snapshot = ctx->snapshot_buf;
                        ledger_add_alert(&ctx->ledger, (uint64_t)time(NULL), "fallback", c.message, NULL);
                }
                for (size_t i = 0; i < n; i++)
                        if (streq(roots[i].name, ctx->s.snapshot))
                                snprintf(ctx->root_uuid, sizeof ctx->root_uuid, "%s", roots[i].uuid);
        }
        free(fr);
        free(roots);
        return r;
}

static void show_alerts(struct init_ctx *ctx) {
        const struct ledger_alert *a = NULL;
        while ((a = ledger_next_unacked(&ctx->ledger, a)))
                log_warning("ALERT: %s (acknowledge with: koompi-boot alerts ack %llu)", a->message,
                            (unsigned long long)a->seq);
}

void rollback_record_boot(struct init_ctx *ctx, const char *top) {
        char path[PATH_MAX];
        if (!ctx->ledger_loaded)
                return;
        ledger_append_boot(&ctx->ledger, (uint64_t)time(NULL), ctx->entry_id, ctx->s.snapshot, ctx->root_uuid,
                           ctx->fallback ? "fallback" : NULL, &ctx->ledger_seq);
        ledger_set_stage(&ctx->ledger, LEDGER_STAGE_ROOT_MOUNTED, NULL);
        /* The TPM kept the key: someone typed it instead, and the admin should know why. */
        if (*ctx->tpm2_refusal)
                ledger_add_alert(&ctx->ledger, (uint64_t)time(NULL), "tpm2", ctx->tpm2_refusal, NULL);
        show_alerts(ctx);
        ledger_path(ctx, top, path, sizeof path);
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        *strrchr(dir, '/') = 0;
        mkdir_p(dir, 0755);
        init_fault_point(ctx, "ledger-boot");
        int r = ledger_save(&ctx->ledger, path);
        if (r < 0)
                log_errno(r, "writing the ledger %s failed", path);
}

void rollback_record_switch(struct init_ctx *ctx, const char *newroot) {
        char path[PATH_MAX];
        if (!ctx->ledger_loaded)
                return;
        ledger_set_stage(&ctx->ledger, LEDGER_STAGE_SWITCHED, NULL);
        snprintf(path, sizeof path, "%s%s", newroot, LAYOUT_LEDGER_SYSTEM);
        init_fault_point(ctx, "ledger-switch");
        int r = ledger_save(&ctx->ledger, path);
        if (r < 0)
                log_errno(r, "writing the ledger %s failed", path);
        ledger_free(&ctx->ledger);
        ctx->ledger_loaded = false;
}
