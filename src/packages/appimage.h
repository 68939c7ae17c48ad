/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* An AppImage recognized without running it: an ELF runtime with "AI" and the type at offset
 * 8 (in the ELF identification's padding), and for type 2 a SquashFS payload starting where
 * the ELF ends (its section header table is the last thing in it). */
#define APPIMAGE_HEADER_MAX 64 /* bytes of the file's start appimage_detect() reads */

struct appimage_info {
        unsigned type; /* 1 (an ISO 9660 image: not supported) or 2 */
        uint64_t payload_offset; /* type 2: where the SquashFS starts */
};

/* The AppImage in the file's first bytes head (head_len of them, at most APPIMAGE_HEADER_MAX
 * read), file_size long in all. 0 with *ret written for a type-2 AppImage whose payload starts
 * inside the file with a SquashFS magic, its first four bytes given in payload_magic (NULL: not
 * read yet, not checked). Else: -ENOEXEC not an ELF file or no AppImage magic; -EPROTONOSUPPORT
 * an AppImage of another type (*ret written, with its type); -EBADMSG a truncated or malformed
 * one (headers cut short, the payload beyond the end of the file, no SquashFS there). */
int appimage_detect(const uint8_t *head, size_t head_len, uint64_t file_size, const uint8_t *payload_magic,
                    struct appimage_info *ret);
/* The same for an open file: reads its start and the payload's magic. The errors above, or
 * the negative errno of reading. */
int appimage_detect_fd(int fd, struct appimage_info *ret);
