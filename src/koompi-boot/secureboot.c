/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secureboot keygen, enroll and status: the school's own Secure Boot keys (secureboot.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "esp.h"
#include "layout.h"
#include "log.h"
#include "print.h"
#include "secureboot.h"
#include "sha256.h"
#include "uki.h"
#include "util.h"
#include "verbs.h"

#define KEY_OWNER "KOOMPI OS"
#define ESP_BOOTLOADERS_MAX 2

/* Where the keys are: --keys-dir, else [secureboot] keys. */
static const char *keys_dir(struct context *c) {
        return c->o->keys_dir ? c->o->keys_dir : c->config.sb_keys;
}

/* A tool run by sb_*() failed with r: the message, then what the tool said, so that the person
 * sees both. Returns r. */
__attribute__((format(printf, 3, 4))) static int tool_failed(int r, const char *said, const char *fmt, ...) {
        char text[PATH_MAX + 256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        log_errno(r, "%s", text);
        if (said && *said)
                fprintf(stderr, "%s%s", said, endswith(said, "\n") ? "" : "\n");
        return r;
}

int verb_secureboot_keygen(struct context *c) {
        const char *dir = keys_dir(c);
        _cleanup_free_ char *said = NULL;
        int r = sb_keygen(dir, KEY_OWNER, &said);

        if (r == -EEXIST)
                return log_error(
                               "%s holds Secure Boot keys already; nothing was changed (move them away to make "
                               "new ones: the firmware keeps trusting the enrolled ones)",
                               dir),
                       -EEXIST;
        if (r == -EPERM)
                return log_error(
                               "%s is on a FAT file system (the ESP?): private keys must stay where only root "
                               "reads them; give --keys-dir on the root file system",
                               dir),
                       -EPERM;
        if (r == -ENOENT)
                return log_error("openssl is missing (package openssl); nothing was changed"), -ENOENT;
        if (r < 0)
                return tool_failed(r, said, "making the keys in %s failed; nothing was kept", dir);
        printf("made PK, KEK and db in %s (private keys readable by root only)\n", dir);
        printf("next: koompi-boot secureboot enroll, then put the firmware in setup mode and reboot\n");
        return 0;
}

/* ---- enroll ---- */

/* dir/sub as a directory file descriptor, made when missing; -EIO after saying why. */
static int open_esp_dir(struct context *c, const char *sub) {
        char path[PATH_MAX];
        int r = pathf(path, sizeof path, "%s/%s", c->esp, sub);
        if (r == 0)
                r = mkdir_p(path, 0755);
        if (r < 0)
                return log_errno(r, "creating %s failed", path), -EIO;
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_errno(-errno, "opening %s failed", path), -EIO;
        return fd;
}

/* The .auth files made in work, copied to loader/keys/auto. */
static int install_auth(struct context *c, const char *work) {
        _cleanup_close_ int fd = open_esp_dir(c, SB_ENROLL_DIR);
        if (fd < 0)
                return fd;
        for (int k = 0; k < SB_N_KEYS; k++) {
                char src[PATH_MAX], name[16];
                snprintf(name, sizeof name, "%s.auth", sb_key_name((enum sb_key)k));
                sb_key_path(work, (enum sb_key)k, "auth", src, sizeof src);
                int r = esp_install_file(src, fd, name, false);
                if (r < 0)
                        return log_errno(r, "writing %s/%s/%s failed", c->esp, SB_ENROLL_DIR, name), -EIO;
        }
        return 0;
}

/* systemd-boot signed with the db key, where the firmware starts it: EFI/BOOT/BOOTX64.EFI, and
 * EFI/systemd/systemd-bootx64.efi when bootctl installed it there. */
static int install_bootloader(struct context *c, const char *dir, const char *work) {
        static const char *const places[ESP_BOOTLOADERS_MAX][2] = {
                { "EFI/BOOT", "BOOTX64.EFI" }, { "EFI/systemd", "systemd-bootx64.efi" }
        };
        _cleanup_free_ char *said = NULL;
        char signed_path[PATH_MAX], probe[PATH_MAX];
        int r;

        snprintf(signed_path, sizeof signed_path, "%s/bootloader.efi", work);
        r = sb_sign(dir, SB_BOOTLOADER, signed_path, &said);
        if (r < 0) {
                tool_failed(r, said, "signing %s with %s/db.key failed", SB_BOOTLOADER, dir);
                return r == -ENOENT ? -ENOENT : -EIO;
        }
        for (size_t i = 0; i < ESP_BOOTLOADERS_MAX; i++) {
                pathf(probe, sizeof probe, "%s/%s", c->esp, places[i][0]);
                if (i > 0 && access(probe, F_OK) < 0)
                        continue;
                _cleanup_close_ int fd = open_esp_dir(c, places[i][0]);
                if (fd < 0)
                        return fd;
                r = esp_install_file(signed_path, fd, places[i][1], false);
                if (r < 0)
                        return log_errno(r, "writing %s/%s failed", probe, places[i][1]), -EIO;
                printf("signed systemd-boot: %s/%s\n", probe, places[i][1]);
        }
        return 0;
}

/* What the ESP's systemd-boot was signed from: the SHA-256 of the package's file, and the db
 * certificate's signer ID (uki.h), so a new package or a new key signs it again. */
#define LOADER_RECORD "koompi/bootloader-signed"

static int loader_record(const char *dir, char *buf, size_t size) {
        uint8_t digest[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE], signer[17], crt[PATH_MAX];
        int r = sha256_file(SB_BOOTLOADER, digest, NULL);
        if (r == 0)
                r = sb_key_path(dir, SB_DB, "crt", crt, sizeof crt);
        if (r == 0)
                r = uki_signer_of(crt, signer);
        if (r < 0)
                return r;
        sha256_to_hex(digest, hex);
        snprintf(buf, size, "%s %s\n", hex, signer);
        return 0;
}

static int enroll_loader_conf(struct context *c) {
        _cleanup_free_ char *old = NULL, *text = NULL;
        char path[PATH_MAX];
        pathf(path, sizeof path, "%s/loader/loader.conf", c->esp);
        int r = read_file(path, &old, NULL);
        if (r < 0 && r != -ENOENT)
                return log_errno(r, "reading %s failed", path), -ENOENT;
        r = sb_loader_conf(old, &text);
        if (r <= 0)
                return r;
        _cleanup_close_ int fd = open_esp_dir(c, "loader");
        if (fd < 0)
                return fd;
        r = esp_write_file(fd, "loader.conf", text, strlen(text), false);
        if (r < 0)
                return log_errno(r, "writing %s failed", path), -EIO;
        return 0;
}

static void remove_work(const char *work) {
        static const char *const exts[] = { "esl", "auth" };
        char path[PATH_MAX];
        for (int k = 0; k < SB_N_KEYS; k++)
                for (size_t e = 0; e < ELEMENTSOF(exts); e++)
                        if (sb_key_path(work, (enum sb_key)k, exts[e], path, sizeof path) == 0)
                                unlink(path);
        snprintf(path, sizeof path, "%s/bootloader.efi", work);
        unlink(path);
        rmdir(work);
}

int admin_sign_loader(struct context *c, const char *keys) {
        char want[128], kdir[PATH_MAX], path[PATH_MAX], work[] = "/tmp/koompi-secureboot.XXXXXX";
        _cleanup_free_ char *have = NULL;
        const char *dir = keys ? keys : keys_dir(c);

        if (loader_record(dir, want, sizeof want) < 0)
                return 0; /* no db certificate or no systemd-boot here: nothing to sign */
        pathf(path, sizeof path, "%s/%s", c->esp, LOADER_RECORD);
        if (read_file(path, &have, NULL) == 0 && streq(have, want))
                return 0;
        if (!mkdtemp(work))
                return log_errno(-errno, "making a temporary folder failed"), -EIO;
        int r = install_bootloader(c, dir, work);
        remove_work(work);
        if (r < 0)
                return r;
        pathf(kdir, sizeof kdir, "%s/%s", c->esp, LAYOUT_KERNELS_DIR);
        r = mkdir_p(kdir, 0755);
        if (r == 0)
                r = write_file_atomic(path, want, strlen(want), 0644);
        if (r < 0)
                return log_errno(r, "writing %s failed", path), -EIO;
        return 0;
}

static int enroll_in(struct context *c, const char *dir, const char *work) {
        _cleanup_free_ char *said = NULL;
        int r = sb_auth_make(dir, work, &said);
        if (r == -ENOENT)
                return log_error(
                               "%s lacks a key, a certificate or GUID (run koompi-boot secureboot keygen), or "
                               "efitools is missing; nothing was changed",
                               dir),
                       -ENOENT;
        if (r < 0)
                return tool_failed(r, said, "making the signed key lists failed; nothing was changed"), -EIO;
        /* Signed again even when it was before: enrolling starts from a known loader. */
        char record[PATH_MAX];
        pathf(record, sizeof record, "%s/%s", c->esp, LOADER_RECORD);
        unlink(record);
        r = admin_sign_loader(c, dir);
        if (r == 0)
                r = install_auth(c, work);
        if (r == 0)
                r = enroll_loader_conf(c);
        return r;
}

int verb_secureboot_enroll(struct context *c) {
        char work[] = "/tmp/koompi-secureboot.XXXXXX";
        int r = ctx_need_esp(c);
        if (r != 0)
                return r;
        if (!mkdtemp(work))
                return log_errno(-errno, "making a temporary folder failed"), -EIO;
        r = enroll_in(c, keys_dir(c), work);
        remove_work(work);
        if (r != 0)
                return r;
        printf("wrote %s/%s/{PK,KEK,db}.auth and \"secure-boot-enroll force\" in loader/loader.conf\n",
               c->esp, SB_ENROLL_DIR);
        printf("next: in the firmware's setup, clear the Secure Boot keys (setup mode) and boot: systemd-boot "
               "enrolls these keys and restarts with Secure Boot on\n");
        if (!streq_ptr(c->config.image, "uki"))
                printf("note: [boot] image is not uki: the kernels are not signed and will be refused; set image = "
                       "uki, then run koompi-boot entries sync\n");
        return 0;
}

/* ---- status ---- */

static const char *tri(int v) {
        return v < 0 ? "unknown" : v ? "yes" : "no";
}

static bool key_files(const char *dir, enum sb_key k) {
        char key[PATH_MAX], crt[PATH_MAX];
        return sb_key_path(dir, k, "key", key, sizeof key) == 0 &&
                sb_key_path(dir, k, "crt", crt, sizeof crt) == 0 && access(key, F_OK) == 0 &&
                access(crt, F_OK) == 0;
}

struct sb_report {
        struct sb_state fw;
        bool keys[SB_N_KEYS];
        bool auth[SB_N_KEYS];
        int bootloader_signed; /* sb_verify() of EFI/BOOT/BOOTX64.EFI; -1 unknown */
};

static void report_gather(struct context *c, const char *dir, struct sb_report *r) {
        char path[PATH_MAX];
        bool esp = ctx_need_esp(c) == 0;

        sb_state_read(NULL, &r->fw);
        for (int k = 0; k < SB_N_KEYS; k++) {
                r->keys[k] = key_files(dir, (enum sb_key)k);
                pathf(path, sizeof path, "%s/%s/%s.auth", c->esp, SB_ENROLL_DIR, sb_key_name((enum sb_key)k));
                r->auth[k] = esp && access(path, F_OK) == 0;
        }
        pathf(path, sizeof path, "%s/EFI/BOOT/BOOTX64.EFI", c->esp);
        r->bootloader_signed = esp && access(path, F_OK) == 0 ? sb_verify(dir, path) : -1;
        if (r->bootloader_signed < 0)
                r->bootloader_signed = -1;
}

static void report_json(const char *dir, const struct sb_report *r) {
        printf("{\"secure_boot\":%s,\"setup_mode\":%s,\"keys_dir\":",
               r->fw.secure_boot < 0       ? "null"
                       : r->fw.secure_boot ? "true"
                                           : "false",
               r->fw.setup_mode < 0       ? "null"
                       : r->fw.setup_mode ? "true"
                                          : "false");
        json_str(dir);
        for (int k = 0; k < SB_N_KEYS; k++)
                printf(",\"key_%s\":%s,\"enroll_%s\":%s", sb_key_name((enum sb_key)k),
                       r->keys[k] ? "true" : "false", sb_key_name((enum sb_key)k),
                       r->auth[k] ? "true" : "false");
        printf(",\"bootloader_signed\":%s}\n",
               r->bootloader_signed < 0       ? "null"
                       : r->bootloader_signed ? "true"
                                              : "false");
}

int verb_secureboot_status(struct context *c) {
        const char *dir = keys_dir(c);
        struct sb_report r = {};

        report_gather(c, dir, &r);
        if (c->o->json) {
                report_json(dir, &r);
                return 0;
        }
        printf("Secure Boot:    %s\nSetup mode:     %s\n",
               r.fw.secure_boot < 0       ? "unknown (no EFI variable)"
                       : r.fw.secure_boot ? "on"
                                          : "off",
               tri(r.fw.setup_mode));
        printf("Keys in %s:", dir);
        for (int k = 0; k < SB_N_KEYS; k++)
                printf(" %s %s", sb_key_name((enum sb_key)k), r.keys[k] ? "yes" : "no");
        printf("\nTo enroll (ESP):");
        for (int k = 0; k < SB_N_KEYS; k++)
                printf(" %s.auth %s", sb_key_name((enum sb_key)k), r.auth[k] ? "yes" : "no");
        printf("\nsystemd-boot:   %s\n",
               r.bootloader_signed < 0       ? "unknown"
                       : r.bootloader_signed ? "signed with db"
                                             : "not signed with db");
        return 0;
}
