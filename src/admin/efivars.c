/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only file that talks to efivar. */
#include "efivars.h"

#include <efivar/efivar.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

static int loader_guid(efi_guid_t *g) {
        return efi_str_to_guid(LOADER_GUID_STR, g) < 0 ? -EINVAL : 0;
}

bool efi_loader_available(void) {
        return efi_variables_supported() != 0;
}

int efi_loader_set_string(const char *name, const char *value) {
        efi_guid_t g;
        if (loader_guid(&g) < 0)
                return -EINVAL;
        size_t n = strlen(value);
        uint8_t *buf = calloc(n + 1, 2);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                buf[2 * i] = (uint8_t)value[i];
        int r = efi_set_variable(g, name, buf, (n + 1) * 2,
                                 EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
                                         EFI_VARIABLE_RUNTIME_ACCESS,
                                 0644);
        free(buf);
        return r < 0 ? (errno ? -errno : -EIO) : 0;
}

int efi_loader_delete(const char *name) {
        efi_guid_t g;
        if (loader_guid(&g) < 0)
                return -EINVAL;
        return efi_del_variable(g, name) < 0 ? (errno ? -errno : -EIO) : 0;
}
