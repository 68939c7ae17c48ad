/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tpm2.h"

#include <errno.h>
#include <stdio.h>

#include "luks.h"
#include "tool.h"
#include "util.h"

int tpm2_enroll(const struct tpm2_enroll *e) {
        char device[300], pcrs[96];
        snprintf(device, sizeof device, "--tpm2-device=%s", e->tpm2_device ? e->tpm2_device : "auto");
        snprintf(pcrs, sizeof pcrs, "--tpm2-pcrs=%s", e->pcrs ? e->pcrs : TPM2_PCRS_DEFAULT);
        char *argv[] = { (char *)"systemd-cryptenroll",
                         device,
                         pcrs,
                         (char *)(e->pin ? "--tpm2-with-pin=yes" : "--tpm2-with-pin=no"),
                         (char *)e->device,
                         NULL };
        return tool_run_interactive(argv);
}

int tpm2_add_recovery_key(const char *device) {
        char *argv[] = { (char *)"systemd-cryptenroll", (char *)"--recovery-key", (char *)device, NULL };
        return tool_run_interactive(argv);
}

int tpm2_remove(const char *device) {
        char *argv[] = { (char *)"systemd-cryptenroll", (char *)"--wipe-slot=tpm2", (char *)device, NULL };
        return tool_run_interactive(argv);
}

int tpm2_read(const char *device, int *ret_token, struct tpm2_token *ret) {
        struct luks_volume *v = NULL;
        int r = luks_open(device, &v);
        if (r < 0)
                return r;
        r = luks_tpm2_token(v, ret_token, ret);
        luks_close(v);
        return r;
}
