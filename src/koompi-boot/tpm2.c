/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tpm2 enroll, remove and status: the disk key sealed in the TPM (tpm2.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bootstate.h"
#include "context.h"
#include "log.h"
#include "print.h"
#include "tpm2.h"
#include "util.h"
#include "verbs.h"

/* The LUKS2 volume: --device, else the one of [luks] uuid, else the one koompi-init unlocked
 * (boot.json). 0 or -ENOENT after saying so. */
static int volume_of(struct context *c, char *ret, size_t size) {
        struct boot_state s;

        if (c->o->device) {
                snprintf(ret, size, "%s", c->o->device);
                return 0;
        }
        if (c->config.luks_uuid && *c->config.luks_uuid) {
                snprintf(ret, size, "/dev/disk/by-uuid/%s", c->config.luks_uuid);
                return 0;
        }
        if (boot_state_load(c->o->state, &s) == 0 && *s.luks_device) {
                snprintf(ret, size, "%s", s.luks_device);
                boot_state_free(&s);
                return 0;
        }
        log_error("which volume? give --device DEV (or [luks] uuid in the settings)");
        return -ENOENT;
}

static int cryptenroll_failed(int r, const char *what) {
        if (r == -ENOENT)
                return log_error("systemd-cryptenroll is missing (package systemd)"), -ENOENT;
        log_error("%s failed (systemd-cryptenroll said why above)", what);
        return -EIO;
}

int verb_tpm2_enroll(struct context *c) {
        char dev[PATH_MAX];
        int r = volume_of(c, dev, sizeof dev);
        if (r < 0)
                return r;
        struct tpm2_enroll e = {
                .device = dev,
                .tpm2_device = c->o->tpm2_device,
                .pcrs = c->o->tpm2_pcrs,
                .pin = c->o->pin,
        };
        r = tpm2_enroll(&e);
        if (r < 0)
                return cryptenroll_failed(r, "sealing the key in the TPM");
        printf("the TPM now unlocks %s (PCRs %s%s)\n", dev, e.pcrs ? e.pcrs : TPM2_PCRS_DEFAULT,
               e.pin ? ", with a PIN" : "");
        printf("the recovery key follows: write it down for the school's records; it is shown once\n");
        fflush(stdout);
        r = tpm2_add_recovery_key(dev);
        if (r < 0)
                return cryptenroll_failed(r, "adding the recovery key");
        return 0;
}

int verb_tpm2_remove(struct context *c) {
        char dev[PATH_MAX];
        int r = volume_of(c, dev, sizeof dev);
        if (r == 0)
                r = tpm2_remove(dev);
        if (r < 0)
                return r == -ENOENT && !c->o->device ? r : cryptenroll_failed(r, "removing the TPM token");
        printf("the TPM no longer unlocks %s; the passphrase and the recovery key still do\n", dev);
        return 0;
}

static void pcr_list(unsigned mask, char *buf, size_t size) {
        size_t n = 0;
        buf[0] = 0;
        for (unsigned i = 0; i < 32 && n + 4 < size; i++)
                if (mask & (1u << i))
                        n += (size_t)snprintf(buf + n, size - n, "%s%u", n ? "+" : "", i);
}

int verb_tpm2_status(struct context *c) {
        struct tpm2_token t;
        char dev[PATH_MAX], pcrs[128];
        int token, r = volume_of(c, dev, sizeof dev);

        if (r < 0)
                return r;
        r = tpm2_read(dev, &token, &t);
        if (r < 0 && r != -ENOENT)
                return log_errno(r, "reading the LUKS header of %s failed", dev), -ENOENT;
        pcr_list(r == 0 ? t.pcr_mask : 0, pcrs, sizeof pcrs);
        if (c->o->json) {
                printf("{\"device\":");
                json_str(dev);
                if (r < 0)
                        printf(",\"tpm2\":null}\n");
                else
                        printf(",\"tpm2\":{\"token\":%d,\"keyslot\":%d,\"pcrs\":\"%s\",\"pin\":%s}}\n", token,
                               t.keyslot, pcrs, t.pin ? "true" : "false");
                return 0;
        }
        if (r < 0)
                printf("%s: no TPM2 token; the passphrase unlocks it\n", dev);
        else
                printf("%s: TPM2 token %d, keyslot %d, sealed to PCRs %s%s\n", dev, token, t.keyslot,
                       *pcrs ? pcrs : "(none)", t.pin ? ", with a PIN" : "");
        return 0;
}
