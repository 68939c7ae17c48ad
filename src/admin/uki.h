/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

/* Unified kernel images (Boot Loader Specification type #2): systemd-boot's stub, a PE file,
 * with the os-release, the kernel command line, the initramfs and the kernel added as PE
 * sections after the stub's own, as ukify does. systemd-boot lists every .efi file in EFI/Linux with
 * an .osrel section: its title is PRETTY_NAME, its sort key ID, its version VERSION_ID; the
 * boot counter is in the file name as for type #1 entries. Signed with the db key, the whole
 * image is under the signature, the command line included.
 *
 * A UKI is described by a text, its "descriptor": the .osrel section, a blank line, the
 * .cmdline section. The descriptor of the UKI a root should have is compared with the one
 * read back from the UKI on the ESP, so a UKI is rewritten only when its contents would
 * change. The .osrel section also names the kernel directory ID of its kernel and initramfs
 * (KOOMPI_KERNEL=, the ID of entryplan.h) and the certificate it is signed with
 * (KOOMPI_SIGNER=, the first 16 hex digits of the SHA-256 of the certificate file), so a new
 * kernel or a new key rewrites it too. */

#define UKI_DIR LAYOUT_UKI_DIR
#define UKI_SUFFIX ".efi"
#define UKI_STUB "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
/* Sections start on page boundaries (a multiple of any stub's SectionAlignment). */
#define UKI_ALIGN 4096
#define UKI_SECTIONS_MAX 96
#define UKI_TEXT_MAX (64 * 1024) /* the largest .osrel or .cmdline section read back */

struct uki_section {
        char name[9]; /* NUL-terminated */
        uint32_t rva; /* VirtualAddress */
        uint32_t vsize; /* VirtualSize: the bytes that matter */
        uint32_t offset; /* PointerToRawData */
        uint32_t raw_size; /* SizeOfRawData */
};

struct uki_pe {
        uint64_t image_base;
        uint32_t section_alignment;
        size_t n_sections;
        struct uki_section sections[UKI_SECTIONS_MAX];
};

/* Parses the headers of a PE32 or PE32+ file from its first len bytes. 0; -EBADMSG when it is
 * not a PE file or its section table lies beyond len or holds more than UKI_SECTIONS_MAX. */
int uki_pe_parse(const uint8_t *buf, size_t len, struct uki_pe *ret);
/* The same on a file (its first 64 KiB). 0, -EBADMSG, or the negative errno of reading it. */
int uki_pe_read(const char *path, struct uki_pe *ret);
/* The section of that name, or NULL. */
const struct uki_section *uki_pe_find(const struct uki_pe *pe, const char *name);

/* The sections a UKI adds, in the order they follow the stub's; the kernel goes last. */
enum uki_part { UKI_OSREL, UKI_CMDLINE, UKI_INITRD, UKI_LINUX, UKI_N_PARTS };
/* ".osrel", ".cmdline", ".initrd", ".linux"; NULL for another value. */
const char *uki_part_section(enum uki_part p);

/* Where each part goes: the first on the first UKI_ALIGN boundary after the end of the
 * stub's last section, each next one on the first boundary after the previous one's end.
 * Addresses include the image base (what objcopy --change-section-vma takes). 0; -EINVAL for
 * a stub without sections or an empty part; -EFBIG when the image would pass 4 GiB. */
int uki_layout(const struct uki_pe *stub, const uint64_t sizes[UKI_N_PARTS], uint64_t ret_vma[UKI_N_PARTS]);

/* What the .osrel section of a root's UKI says. */
struct uki_osrel {
        const char *root; /* "@root-2024-12-01" */
        uint64_t generation; /* VERSION_ID: systemd-boot's version order, newer roots first */
        const char *kernel_id; /* KOOMPI_KERNEL */
        const char *signer; /* KOOMPI_SIGNER; NULL or "" when not signed */
};

/* The .osrel text (values quoted, one per line, ending in a newline). 0, -EINVAL (a NULL
 * field, or one with a quote, a backslash or a line break), -ENOMEM. */
int uki_osrel_format(const struct uki_osrel *o, char **ret);
/* The value of key in an os-release text, without its quotes. 0; -ENOENT when absent;
 * -ENOBUFS when size is too small. */
int uki_osrel_get(const char *osrel, const char *key, char *buf, size_t size);

/* The descriptor: osrel, "\n", cmdline. -EINVAL when osrel is empty, does not end in a
 * newline or holds a blank line, or cmdline holds a line break; -ENOMEM. */
int uki_descriptor_format(const char *osrel, const char *cmdline, char **ret);
/* Its two parts back, each to free. 0, -EINVAL (no blank line), -ENOMEM. */
int uki_descriptor_split(const char *desc, char **ret_osrel, char **ret_cmdline);

/* What a UKI on the ESP holds: its descriptor and the sizes of its kernel and initramfs.
 * 0; -EBADMSG when it is not a PE file, lacks .osrel or .cmdline, or they are not text;
 * the negative errno of reading it; -ENOMEM. */
int uki_file_describe(const char *path, char **ret_desc, uint64_t *ret_linux_size, uint64_t *ret_initrd_size);

/* One UKI to make. */
struct uki_build {
        const char *stub; /* NULL: UKI_STUB */
        const char *kernel;
        const char *initrd;
        const char *descriptor; /* uki_descriptor_format() */
        const char *key, *cert; /* the db key and certificate; NULL: not signed */
        const char *workdir; /* an empty directory for the intermediate files */
};

/* Writes the UKI to workdir/uki.efi (objcopy, then sbsign when a key is given) and its path
 * to ret (PATH_MAX bytes). 0; -ENOENT when objcopy or sbsign is not installed or the stub is
 * missing; -EBADMSG when the stub is not a PE file; -EINVAL for a bad descriptor; -EIO when a
 * tool failed, then *ret_output (may be NULL) holds what it said (free it). */
int uki_build(const struct uki_build *b, char *ret, char **ret_output);

/* uki_build() in a temporary directory of its own (b->workdir is ignored; the directory is
 * removed after), then the UKI copied into dirfd as name through a temporary file ".NAME.PID.tmp"
 * (esp.h): when noreplace never over an existing name (-EEXIST, nothing changed), else
 * replacing it; the directory synced. 0 or the negative errno of uki_build() (with *ret_output
 * likewise), of making the directory or of writing the file (nothing left behind). */
int uki_install(const struct uki_build *b, int dirfd, const char *name, bool noreplace, char **ret_output);

/* The KOOMPI_SIGNER of a certificate file: the first 16 hex digits of its SHA-256 into buf
 * (17 bytes). 0 or the negative errno of reading it. */
int uki_signer_of(const char *cert, char buf[static 17]);
