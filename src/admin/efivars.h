/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

#include "efi.h"

/* Changing the loader's variables, through libefivar: the admin side only (koompi-init reads
 * them from efivarfs, efi.h). */

/* true when the machine booted through UEFI and efivarfs is mounted. */
bool efi_loader_available(void);
/* Writes a non-volatile string variable ("LoaderEntryOneShot", "LoaderEntryDefault"). */
int efi_loader_set_string(const char *name, const char *value);
int efi_loader_delete(const char *name);
