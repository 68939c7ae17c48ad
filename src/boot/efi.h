/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* The Boot Loader Interface variables of systemd-boot (vendor GUID
 * 4a67b082-0a4c-41cf-b6c7-440b29bb8c4f), read through efivarfs. */
#define LOADER_GUID_STR "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

/* Reads a UTF-16LE string variable of the loader ("LoaderEntrySelected") as UTF-8/ASCII.
 * -ENOENT when it is not set. */
int efi_loader_get_string(const char *name, char *ret, size_t size);
/* Converts UTF-16LE to ASCII, replacing what is outside it with '?'. Pure. */
void efi_utf16le_to_ascii(const unsigned char *data, size_t len, char *ret, size_t size);
