/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "appimage.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t get_le(const uint8_t *p, size_t n) {
        uint64_t v = 0;
        for (size_t i = n; i > 0; i--)
                v = (v << 8) | p[i - 1];
        return v;
}

static uint64_t get_be(const uint8_t *p, size_t n) {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
                v = (v << 8) | p[i];
        return v;
}

/* The end of the ELF's section header table, from its header: e_shoff + e_shnum * e_shentsize.
 * 0, or -EBADMSG when the header is cut short or its class or byte order is unknown. */
static int elf_end(const uint8_t *h, size_t len, uint64_t *ret) {
        bool is64 = h[EI_CLASS] == ELFCLASS64;
        uint64_t (*get)(const uint8_t *, size_t) = h[EI_DATA] == ELFDATA2MSB ? get_be : get_le;
        if ((h[EI_CLASS] != ELFCLASS32 && !is64) || (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB))
                return -EBADMSG;
        if (len < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
                return -EBADMSG;
        uint64_t shoff =
                is64 ? get(h + offsetof(Elf64_Ehdr, e_shoff), 8) : get(h + offsetof(Elf32_Ehdr, e_shoff), 4);
        uint64_t entsize =
                get(h + (is64 ? offsetof(Elf64_Ehdr, e_shentsize) : offsetof(Elf32_Ehdr, e_shentsize)), 2);
        uint64_t num = get(h + (is64 ? offsetof(Elf64_Ehdr, e_shnum) : offsetof(Elf32_Ehdr, e_shnum)), 2);
        if (shoff == 0 || shoff > UINT64_MAX / 2)
                return -EBADMSG;
        *ret = shoff + entsize * num;
        return 0;
}

int appimage_detect(const uint8_t *head, size_t head_len, uint64_t file_size, const uint8_t *payload_magic,
                    struct appimage_info *ret) {
        uint64_t end;
        if (head_len < 11 || memcmp(head, ELFMAG, SELFMAG) != 0 || head[8] != 'A' || head[9] != 'I')
                return -ENOEXEC;
        if (head[10] != 2) {
                *ret = (struct appimage_info) { .type = head[10] };
                return -EPROTONOSUPPORT;
        }
        int r = elf_end(head, head_len, &end);
        if (r < 0)
                return r;
        /* A SquashFS superblock is 96 bytes. */
        if (end > file_size || file_size - end < 96)
                return -EBADMSG;
        if (payload_magic && memcmp(payload_magic, "hsqs", 4) != 0)
                return -EBADMSG;
        *ret = (struct appimage_info) { .type = 2, .payload_offset = end };
        return 0;
}

int appimage_detect_fd(int fd, struct appimage_info *ret) {
        uint8_t head[APPIMAGE_HEADER_MAX], magic[4];
        struct appimage_info info;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        ssize_t head_len = pread(fd, head, sizeof head, 0);
        if (head_len < 0)
                return -errno;
        int r = appimage_detect(head, (size_t)head_len, (uint64_t)st.st_size, NULL, &info);
        if (r < 0) {
                if (r == -EPROTONOSUPPORT)
                        *ret = info;
                return r;
        }
        ssize_t n = pread(fd, magic, sizeof magic, (off_t)info.payload_offset);
        if (n < 0)
                return -errno;
        if (n < (ssize_t)sizeof magic)
                return -EBADMSG;
        return appimage_detect(head, (size_t)head_len, (uint64_t)st.st_size, magic, ret);
}
