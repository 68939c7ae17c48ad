/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the loader's variables straight from efivarfs, without libefivar: koompi-init
 * reads them, and carrying libefivar in the image for three reads costs more than it saves. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "efi.h"
#include "util.h"

void efi_utf16le_to_ascii(const unsigned char *data, size_t len, char *ret, size_t size) {
        size_t n = 0;
        for (size_t i = 0; i + 1 < len && n + 1 < size; i += 2) {
                unsigned c = data[i] | (unsigned)data[i + 1] << 8;
                if (c == 0)
                        break;
                ret[n++] = c < 0x80 ? (char)c : '?';
        }
        ret[n] = 0;
}

/* Read straight from efivarfs (4 bytes of attributes, then the data): libefivar chooses how
 * to reach the variables when it is loaded, which in PID 1 is before /sys is mounted. */
int efi_loader_get_string(const char *name, char *ret, size_t size) {
        char path[256];
        char *data = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "/sys/firmware/efi/efivars/%s-%s", name, LOADER_GUID_STR);
        int r = read_file(path, &data, &len);
        if (r < 0)
                return r;
        if (len < 4) {
                free(data);
                return -ENODATA;
        }
        efi_utf16le_to_ascii((const unsigned char *)data + 4, len - 4, ret, size);
        free(data);
        return 0;
}
