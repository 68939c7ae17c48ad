/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real side effects of the boot stages. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "btrfs.h"
#include "devices.h"
#include "init.h"
#include "keymap.h"
#include "log.h"
#include "luks.h"
#include "modules.h"
#include "mount.h"
#include "prompt.h"
#include "recovery.h"
#include "util.h"

/* sysctl-style write: no temp file, /proc does not do renames. */
static void write_sysctl(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        write_full(fd, text, strlen(text));
        close(fd);
}

#define MODPROBE_SYSCTL "/proc/sys/kernel/modprobe"

/* The kernel's module helper (/sbin/modprobe) is switched off while koompi-init loads
 * modules itself: every module the boot needs is loaded by name, alias or modalias here, and
 * the kernel's own requests meanwhile are for names no module carries. Loading aesni_intel
 * alone makes it ask for "crypto-cryptd(__xts-aes-aesni)" and fifteen more such names, one
 * helper run each, some half a second under emulation, every one finding nothing. With an
 * empty path the kernel fails such a request at once. The helper is switched back on before
 * the real init, the recovery menu or a shell, and before a failed activation is tried again
 * (retry_activation()). */
static void helper_off(struct init_ctx *ctx) {
        ctx->modprobe_off = false;
        if (read_line_file(MODPROBE_SYSCTL, ctx->modprobe_saved, sizeof ctx->modprobe_saved) < 0 ||
            !*ctx->modprobe_saved)
                return;
        write_sysctl(MODPROBE_SYSCTL, "\n");
        ctx->modprobe_off = true;
}

/* true when the helper was off. */
static bool helper_on(struct init_ctx *ctx) {
        if (!ctx->modprobe_off)
                return false;
        char line[sizeof ctx->modprobe_saved + 1];
        snprintf(line, sizeof line, "%s\n", ctx->modprobe_saved);
        write_sysctl(MODPROBE_SYSCTL, line);
        ctx->modprobe_off = false;
        return true;
}

static int real_mount_api(struct init_ctx *ctx) {
        static const struct {
                const char *what, *where, *type, *options;
        } api[] = {
                { "proc", "/proc", "proc", "nosuid,nodev,noexec" },
                { "sysfs", "/sys", "sysfs", "nosuid,nodev,noexec" },
                { "devtmpfs", "/dev", "devtmpfs", "nosuid,mode=0755" },
                { "tmpfs", "/run", "tmpfs", "nosuid,nodev,mode=0755" },
        };
        for (size_t i = 0; i < ELEMENTSOF(api); i++) {
                mkdir(api[i].where, 0755);
                int r = mount_fs(api[i].what, api[i].where, api[i].type, api[i].options);
                if (r < 0 && r != -EBUSY) {
                        snprintf(ctx->why, sizeof ctx->why, "mounting %s on %s failed: %s", api[i].type,
                                 api[i].where, strerror(-r));
                        return r;
                }
        }
        /* Without /dev/console in the image the kernel gave us no stdio; take it now. */
        if (fcntl(0, F_GETFD) < 0) {
                int fd = open("/dev/console", O_RDWR | O_NOCTTY);
                if (fd >= 0) {
                        dup2(fd, 0);
                        dup2(fd, 1);
                        dup2(fd, 2);
                        if (fd > 2)
                                close(fd);
                }
        }
        log_open_kmsg();
        /* The kernel keeps only 10 lines per 5 s from /dev/kmsg by default; the boot's own
         * lines must all reach the log. Restored before the switch. */
        write_sysctl("/proc/sys/kernel/printk_devkmsg", "on\n");
        mkdir_p(INIT_STATE_DIR, 0755);
        mkdir_p("/run/cryptsetup", 0700);
        mkdir(INIT_NEWROOT, 0755);
        mkdir(INIT_TOP, 0700);
        return 0;
}

static int real_read_settings(struct init_ctx *ctx, char **cmdline, bool *config_found) {
        int r = read_file("/proc/cmdline", cmdline, NULL);
        if (r < 0) {
                snprintf(ctx->why, sizeof ctx->why, "reading /proc/cmdline failed: %s", strerror(-r));
                return r;
        }
        char *error = NULL;
        r = config_load(&ctx->config, INIT_CONFIG_PATH, &error);
        *config_found = r != -ENOENT;
        if (r == -EINVAL)
                /* A broken config must not stop the boot: the defaults boot a standard layout. A
                 * bad value costs its key only; a file that does not parse, all of them. */
                log_error("%s; what could not be read keeps the built-in defaults. Fix the file and run "
                          "koompi-mkinitramfs again",
                          error ? error : INIT_CONFIG_PATH);
        else if (r > 0)
                log_warning("%s", error);
        else if (r < 0 && r != -ENOENT)
                log_errno(r, "reading %s failed; booting with the built-in defaults", INIT_CONFIG_PATH);
        free(error);
        return 0;
}

/* The slow modules (btrfs benchmarks its RAID code when it loads) load in a child process
 * while the parent looks for the disk. */
static int real_start_modules(struct init_ctx *ctx) {
        struct kmod_ctx *kctx = NULL;
        int r = modules_ctx_new(NULL, &kctx);
        if (r < 0) {
                snprintf(ctx->why, sizeof ctx->why,
                         "the module directory of this kernel is "
                         "missing from the image (%s); was it built for another kernel?",
                         strerror(-r));
                return r;
        }
        ctx->kmod = kctx;
        helper_off(ctx);
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int failed = 0;
                for (char **m = ctx->config.modules_load; m && *m; m++) {
                        int q = modules_load(kctx, *m);
                        /* ENODEV: the hardware or firmware it drives is absent (efivarfs on a
                         * machine not booted through UEFI); nothing to worry about. */
                        if (q == -ENODEV)
                                log_debug("module %s: no such device here", *m);
                        else if (q < 0) {
                                log_errno(q, "loading module %s failed", *m);
                                failed = 1;
                        }
                }
                _exit(failed);
        }
        ctx->modules_pid = pid;
        return 0;
}

/* The configured modules (btrfs): the root cannot be mounted without them. */
static int wait_config_modules(struct init_ctx *ctx) {
        if (ctx->modules_pid <= 0)
                return 0;
        int status = 0;
        while (waitpid(ctx->modules_pid, &status, 0) < 0 && errno == EINTR)
                ;
        ctx->modules_pid = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                log_warning("some configured modules did not load (see above); going on");
        return 0;
}

/* Every module, the hardware's drivers too (keyboards, for the recovery menu). */
static int wait_modules(struct init_ctx *ctx) {
        if (ctx->coldplug_pid > 0) {
                while (waitpid(ctx->coldplug_pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                ctx->coldplug_pid = 0;
                if (ctx->coldplug_stop_fd >= 0)
                        close(ctx->coldplug_stop_fd);
        }
        return wait_config_modules(ctx);
}

/* The root is mounted: the drivers of the devices the boot did not need load in the real
 * system (udev coldplugs every device again), not here. The loader stops after the module it
 * is loading; it is not waited for, the real init reaps it. */
static void stop_coldplug(struct init_ctx *ctx) {
        if (ctx->coldplug_pid <= 0)
                return;
        if (ctx->coldplug_stop_fd >= 0)
                close(ctx->coldplug_stop_fd);
        ctx->coldplug_pid = 0;
}

#define SEEN_MAX 1024

struct coldplug_state {
        struct init_ctx *ctx;
        /* The parent's news, for the loader in the child: a byte when the disk was found,
         * end of file when the root is mounted and the loads are no longer needed. */
        int stop_fd;
        bool disk_found;
        bool fast_storage; /* a device of priority 0 (virtio, NVMe) was seen */
        bool waited;
        unsigned loaded;
        unsigned n_seen;
        uint64_t seen[SEEN_MAX]; /* hashes of the modaliases already handled */
};

static uint64_t hash_string(const char *s) {
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

/* Reads what the parent said, waiting up to wait_ms for it. -ECANCELED: stop. */
static int coldplug_news(struct coldplug_state *st, unsigned wait_ms) {
        struct pollfd p = { .fd = st->stop_fd, .events = POLLIN };
        while (poll(&p, 1, st->disk_found ? 0 : (int)wait_ms) > 0) {
                char b;
                ssize_t n = read(st->stop_fd, &b, 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -ECANCELED;
                st->disk_found = true;
                wait_ms = 0;
        }
        return 0;
}

static int load_alias(const char *modalias, int prio, void *userdata) {
        struct coldplug_state *st = userdata;
        if (st->stop_fd >= 0) {
                /* The disk is more likely behind the virtio or NVMe controller just set up
                 * than behind the SATA one: up to a second for it to show (0.4 s under
                 * emulation) before AHCI's slow probe (0.5 s there). A machine without such
                 * a controller does not wait. */
                unsigned wait_ms = prio == 1 && st->fast_storage && !st->waited ? 1000 : 0;
                st->waited = st->waited || wait_ms > 0;
                if (coldplug_news(st, wait_ms) < 0)
                        return -ECANCELED;
                /* The disk is there: only keyboards (USB, input) still matter here, for the
                 * prompt; other storage controllers and the rest load in the real system,
                 * instead of taking the processor from the unlock. */
                if (st->disk_found && prio != 2)
                        return 0;
                if (prio == 0)
                        st->fast_storage = true;
        }
        /* Many devices share an alias (CPUs, ports, identical disks): look each up once. */
        uint64_t h = hash_string(modalias);
        for (unsigned i = 0; i < st->n_seen; i++)
                if (st->seen[i] == h)
                        return 0;
        if (st->n_seen < SEEN_MAX)
                st->seen[st->n_seen++] = h;
        unsigned n = 0;
        int r = modules_load_modalias(st->ctx->kmod, modalias, &n);
        if (r < 0)
                log_debug("no module loaded for %s: %s", modalias, strerror(-r));
        st->loaded += n;
        return 0;
}

/* Storage controllers (PCI class 01) and virtio disks that no driver claimed: what the image
 * lacks when the disk never shows. */
static void describe_unbound_storage(char *out, size_t size) {
        static const char *const buses[] = { "/sys/bus/pci/devices", "/sys/bus/virtio/devices" };
        size_t used = 0;
        out[0] = 0;
        for (size_t b = 0; b < ELEMENTSOF(buses); b++) {
                DIR *d = opendir(buses[b]);
                if (!d)
                        continue;
                struct dirent *de;
                while ((de = readdir(d))) {
                        char path[PATH_MAX], alias[256];
                        if (de->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof path, "%s/%s/driver", buses[b], de->d_name);
                        if (access(path, F_OK) == 0)
                                continue;
                        snprintf(path, sizeof path, "%s/%s/modalias", buses[b], de->d_name);
                        if (read_line_file(path, alias, sizeof alias) < 0)
                                continue;
                        bool storage = b == 0 ? strstr(alias, "bc01sc") != NULL
                                              : startswith(alias, "virtio:d00000002v") ||
                                        startswith(alias, "virtio:d00000008v");
                        if (!storage)
                                continue;
                        int n = snprintf(out + used, size - used, "%s%s (%s)", used ? ", " : "", de->d_name,
                                         alias);
                        if (n < 0 || (size_t)n >= size - used)
                                break;
                        used += (size_t)n;
                }
                closedir(d);
        }
}

static void describe_block_devices(char *out, size_t size) {
        size_t used = 0;
        out[0] = 0;
        DIR *d = opendir("/sys/class/block");
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                char path[PATH_MAX], type[32] = "no filesystem";
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof path, "/dev/%s", de->d_name);
                devices_probe_type(path, type, sizeof type);
                int n = snprintf(out + used, size - used, "%s%s (%s)", used ? ", " : "", de->d_name, type);
                if (n < 0 || (size_t)n >= size - used)
                        break;
                used += (size_t)n;
        }
        closedir(d);
        if (!used)
                snprintf(out, size, "none");
}

static void real_describe_disks(struct init_ctx *ctx, char *out, size_t size) {
        char seen[256], unbound[256];
        describe_block_devices(seen, sizeof seen);
        describe_unbound_storage(unbound, sizeof unbound);
        snprintf(out, size, "Block devices seen: %s.%s%s", seen,
                 *unbound ? " Disk controllers with no driver in this image: " : "", unbound);
}

/* The disk is probed the moment its uevent arrives, not after every other device of the
 * machine has its driver: coldplug runs beside the search. */
static int real_wait_device(struct init_ctx *ctx, const char *spec, char *found, size_t size) {
        uint64_t deadline = now_monotonic_us() + (uint64_t)ctx->s.timeout_ms * 1000;
        int fd = uevent_open();
        if (fd < 0)
                log_errno(fd, "listening for kernel device events failed; polling instead");
        static struct coldplug_state st;
        st = (struct coldplug_state) { .ctx = ctx, .stop_fd = -1 };
        int stop[2] = { -1, -1 };
        if (pipe2(stop, O_CLOEXEC) < 0)
                log_errno(-errno, "creating a pipe failed; coldplug will run to its end");
        pid_t pid = fork();
        if (pid == 0) {
                if (fd >= 0)
                        close(fd);
                if (stop[1] >= 0)
                        close(stop[1]);
                st.stop_fd = stop[0];
                int q = coldplug_modaliases("/sys/devices", load_alias, &st);
                if (q == -ECANCELED)
                        log_debug("coldplug stopped: the root is mounted");
                else if (q < 0)
                        log_errno(q, "walking /sys/devices failed");
                log_debug("coldplug loaded %u modules", st.loaded);
                _exit(0);
        }
        if (stop[0] >= 0)
                close(stop[0]);
        if (pid < 0) {
                if (stop[1] >= 0)
                        close(stop[1]);
                stop[1] = -1;
                coldplug_modaliases("/sys/devices", load_alias, &st);
        }
        /* Without the pipe (-1) the loader cannot be stopped and runs to its end. */
        ctx->coldplug_pid = pid > 0 ? pid : 0;
        ctx->coldplug_stop_fd = stop[1];

        int r;
        for (;;) {
                r = devices_find(spec, found, size);
                if (r == 0)
                        break;
                uint64_t now = now_monotonic_us();
                if (now >= deadline) {
                        if (fd >= 0)
                                close(fd);
                        return -ENODEV;
                }
                if (fd < 0) {
                        usleep(50000);
                        continue;
                }
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t left_ms = (deadline - now) / 1000;
                poll(&p, 1, left_ms > 200 ? 200 : (int)left_ms + 1);
                struct uevent ev;
                while (uevent_receive(fd, &ev) > 0)
                        if (streq(ev.action, "add") && *ev.modalias)
                                load_alias(ev.modalias, modalias_priority(ev.modalias), &st);
        }
        if (fd >= 0)
                close(fd);
        if (ctx->coldplug_pid > 0 && ctx->coldplug_stop_fd >= 0 && write(ctx->coldplug_stop_fd, "f", 1) < 0)
                log_debug("telling the coldplug loader the disk was found failed: %m");
        return 0;
}

static void load_crypto_modules(struct init_ctx *ctx, struct luks_volume *v) {
        char aliases[256];
        /* AF_ALG: libcryptsetup decrypts the keyslots with the kernel's ciphers. */
        int r = modules_load(ctx->kmod, "algif_skcipher");
        if (r < 0 && r != -ENOENT)
                log_errno(r, "loading algif_skcipher failed");
        luks_crypto_aliases(v, aliases, sizeof aliases);
        for (const char *a = aliases; *a; a += strlen(a) + 1) {
                r = modules_load(ctx->kmod, a);
                /* -ENOENT: built in, or no module: the kernel's own then serves. -ENODEV: an
                 * accelerated one for instructions this processor lacks (aesni_intel). */
                if (r < 0 && r != -ENOENT && r != -ENODEV)
                        log_errno(r, "loading the module of %s failed", a);
        }
}

/* An activation that failed for another reason than a wrong key may have lacked a crypto
 * module the configured list loads in the background, or that only the helper would have
 * found: once, the configured modules are waited for, the helper switched on, and it is
 * tried again. */
static bool retry_activation(struct init_ctx *ctx, int r) {
        if (r >= 0 || r == -EPERM || r == -ENOMEM)
                return false;
        bool pending = ctx->modules_pid > 0;
        wait_config_modules(ctx);
        if (!helper_on(ctx) && !pending)
                return false;
        log_info("setting up the volume failed (%s); trying again with every configured module "
                 "loaded and the kernel's module helper on",
                 strerror(-r));
        return true;
}

static int activate_once(struct init_ctx *ctx, struct luks_volume *v, const char *pass, size_t len) {
        if (!pass)
                return luks_activate_keyfile(v, ctx->s.luks_name, ctx->s.luks_key, ctx->s.discard);
        return luks_activate_passphrase(v, ctx->s.luks_name, -1, pass, len, ctx->s.discard);
}

/* There is no udevd here: once the volume is set up, leave the record udev would have written
 * for the dm device, so the real system's udev treats /dev/mapper/NAME as set up, not as a
 * half-made device. */
static void udev_record(struct init_ctx *ctx) {
        static const char rec[] = "E:DM_UDEV_PRIMARY_SOURCE_FLAG=1\nE:DM_UDEV_RULES_VSN=2\n"
                                  "E:DM_ACTIVATION=1\n";
        struct stat st;
        char mapper[300], path[64];
        snprintf(mapper, sizeof mapper, "/dev/mapper/%s", ctx->s.luks_name);
        if (stat(mapper, &st) < 0 || !S_ISBLK(st.st_mode))
                return;
        mkdir_p("/run/udev/data", 0755);
        snprintf(path, sizeof path, "/run/udev/data/b%u:%u", major(st.st_rdev), minor(st.st_rdev));
        int q = write_file_atomic(path, rec, sizeof rec - 1, 0644);
        if (q < 0)
                log_errno(q, "writing %s failed", path);
}

static int real_activate(struct init_ctx *ctx, struct luks_volume *v, const char *pass, size_t len) {
        int r = activate_once(ctx, v, pass, len);
        if (retry_activation(ctx, r))
                r = activate_once(ctx, v, pass, len);
        if (r >= 0)
                udev_record(ctx);
        return r;
}

static int real_activate_token(struct init_ctx *ctx, struct luks_volume *v, int token, const char *pin,
                               size_t len) {
        int r = luks_activate_token(v, ctx->s.luks_name, token, pin, len, ctx->s.discard);
        if (r >= 0)
                udev_record(ctx);
        return r;
}

/* Polled: the node is made by devtmpfs as soon as the driver registers it. */
static int real_wait_tpm(unsigned timeout_ms) {
        uint64_t until = now_boottime_ms() + timeout_ms;
        struct stat st;
        while (stat("/dev/tpmrm0", &st) < 0) {
                if (now_boottime_ms() >= until)
                        return -ENODEV;
                usleep(20 * 1000);
        }
        return 0;
}

static int real_open_volume(struct init_ctx *ctx, const char *device, struct luks_volume **ret) {
        struct luks_volume *v = NULL;
        int r = luks_open(device, &v);
        if (r < 0)
                return r;
        load_crypto_modules(ctx, v);
        *ret = v;
        return 0;
}

static void log_timeline(struct init_ctx *ctx) {
        char line[400];
        size_t used = 0;
        for (unsigned i = 0; i < ctx->n_timeline && used < sizeof line; i++)
                used += (size_t)snprintf(line + used, sizeof line - used, " %s=%llums",
                                         ctx->timeline[i].stage, (unsigned long long)ctx->timeline[i].ms);
        log_info("timeline%s (waited %llums at the prompt)", line, (unsigned long long)ctx->prompt_ms);
}

/* Whether init is executable inside root: checked from a child chrooted there, so absolute
 * symlinks (/sbin/init -> /lib/systemd/systemd) resolve in the root, not in the initramfs. */
static bool init_executable_in(const char *root, const char *init) {
        pid_t pid = fork();
        if (pid < 0)
                return true; /* cannot check: let the exec say */
        if (pid == 0)
                _exit(chroot(root) == 0 && chdir("/") == 0 && access(init, X_OK) == 0 ? 0 : 1);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int real_switch_root(struct init_ctx *ctx) {
        stop_coldplug(ctx);
        helper_on(ctx);
        struct kmod_ctx *k = ctx->kmod;
        if (k)
                kmod_unref(k);
        ctx->kmod = NULL;
        timeline_mark(ctx, "exec");
        log_timeline(ctx);
        write_sysctl("/proc/sys/kernel/printk_devkmsg", "ratelimit\n");
        int r = timeline_write_json(ctx, INIT_STATE_DIR "/boot.json");
        if (r < 0)
                log_errno(r, "writing " INIT_STATE_DIR "/boot.json failed");
        r = switch_root_exec(INIT_NEWROOT, ctx->s.init);
        snprintf(ctx->why, sizeof ctx->why, "switching to %s failed: %s", ctx->s.snapshot, strerror(-r));
        return r;
}

static void real_fail(struct init_ctx *ctx, const struct init_stage *stage, int err) {
        wait_modules(ctx);
        helper_on(ctx);
        log_error("BOOT FAILED at stage %s: %s", stage->name, stage->failure);
        log_error("%s", *ctx->why ? ctx->why : strerror(-err));
        if (err != -ECANCELED)
                log_error("What to do: %s", stage->advice);
        const char *action = ctx->s.failure_action ? ctx->s.failure_action : "halt";
        if (streq(action, "shell") || err == -ECANCELED) {
                log_error("starting a shell (/bin/sh); 'exit' halts the machine");
                pid_t pid = access("/bin/sh", X_OK) == 0 ? fork() : -1;
                if (pid == 0) {
                        execl("/bin/sh", "sh", NULL);
                        _exit(127);
                }
                if (pid < 0)
                        log_error("this image has no shell: it carries busybox only when its "
                                  "settings offer one ([recovery] password_hash, auth = none "
                                  "or failure_action = shell); rebuild it with one of them");
                if (pid > 0)
                        waitpid(pid, NULL, 0);
                action = "halt";
        }
        sync();
        if (streq(action, "reboot") || streq(action, "poweroff")) {
                log_error("the machine will %s in 15 seconds", action);
                sleep(15);
                reboot(streq(action, "reboot") ? RB_AUTOBOOT : RB_POWER_OFF);
        }
        log_error("the machine is halted: hold the power button to switch it off");
        reboot(RB_HALT_SYSTEM);
        for (;;)
                pause();
}

static int real_recover(struct init_ctx *ctx, const struct init_stage *stage, int err) {
        /* The modules (btrfs) must be there for the menu to mount the top level. */
        wait_modules(ctx);
        helper_on(ctx);
        return recovery_run(ctx, stage, err);
}

const struct init_ops init_real_ops = {
        .mount_api = real_mount_api,
        .read_settings = real_read_settings,
        .start_modules = real_start_modules,
        .switch_root = real_switch_root,
        .load_module = modules_load,
        .wait_device = real_wait_device,
        .find_device = devices_find,
        .describe_disks = real_describe_disks,
        .init_executable = init_executable_in,
        .wait_modules = wait_config_modules,
        .open_volume = real_open_volume,
        .activate = real_activate,
        .keyslot_count = luks_keyslot_count,
        .tpm2_token = luks_tpm2_token,
        .wait_tpm = real_wait_tpm,
        .activate_token = real_activate_token,
        .prefer_keyslot = luks_prefer_keyslot,
        .close_volume = luks_close,
        .prompt = prompt_secret,
        .load_keymap = keymap_load_path,
        .mount = mount_fs,
        .umount = umount_fs,
        .check_root = btrfs_subvol_check,
        .list_roots = btrfs_subvol_list_names,
        .read_loader = rollback_read_loader,
        .esp_before_prompt = rollback_before_prompt,
        .esp_after_unlock = rollback_after_unlock,
        .choose_root = rollback_choose_root,
        .flush_records = recovery_flush,
        .record_boot = rollback_record_boot,
        .record_switch = rollback_record_switch,
        .fail = real_fail,
        .recover = real_recover,
};
