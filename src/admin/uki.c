/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "uki.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esp.h"
#include "sha256.h"
#include "tool.h"
#include "util.h"

#define PE_HEADER_READ (64 * 1024)
#define PE_SECTION_SIZE 40

static uint16_t le16(const uint8_t *p) {
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) {
        return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The optional header's image base and section alignment, PE32 (0x10b) or PE32+ (0x20b). */
static int pe_optional(const uint8_t *opt, size_t opt_size, struct uki_pe *pe) {
        if (opt_size < 40)
                return -EBADMSG;
        uint16_t magic = le16(opt);
        if (magic == 0x20b)
                pe->image_base = le64(opt + 24);
        else if (magic == 0x10b)
                pe->image_base = le32(opt + 28);
        else
                return -EBADMSG;
        pe->section_alignment = le32(opt + 32);
        return 0;
}

static void pe_section(const uint8_t *p, struct uki_section *s) {
        memcpy(s->name, p, 8);
        s->name[8] = 0;
        s->vsize = le32(p + 8);
        s->rva = le32(p + 12);
        s->raw_size = le32(p + 16);
        s->offset = le32(p + 20);
}

int uki_pe_parse(const uint8_t *buf, size_t len, struct uki_pe *ret) {
        struct uki_pe pe = {};

        if (!buf || len < 0x40 || buf[0] != 'M' || buf[1] != 'Z')
                return -EBADMSG;
        size_t nt = le32(buf + 0x3c);
        if (nt > len || len - nt < 24 || memcmp(buf + nt, "PE\0\0", 4) != 0)
                return -EBADMSG;
        const uint8_t *coff = buf + nt + 4;
        size_t n = le16(coff + 2), opt_size = le16(coff + 16);
        size_t table = nt + 24 + opt_size;
        if (n > UKI_SECTIONS_MAX || table > len || (len - table) / PE_SECTION_SIZE < n ||
            pe_optional(coff + 20, opt_size, &pe) < 0)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                pe_section(buf + table + i * PE_SECTION_SIZE, &pe.sections[i]);
        pe.n_sections = n;
        *ret = pe;
        return 0;
}

int uki_pe_read(const char *path, struct uki_pe *ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ uint8_t *buf = NULL;
        if (fd < 0)
                return -errno;
        buf = malloc(PE_HEADER_READ);
        if (!buf)
                return -ENOMEM;
        ssize_t n = pread(fd, buf, PE_HEADER_READ, 0);
        if (n < 0)
                return -errno;
        return uki_pe_parse(buf, (size_t)n, ret);
}

const struct uki_section *uki_pe_find(const struct uki_pe *pe, const char *name) {
        for (size_t i = 0; i < pe->n_sections; i++)
                if (streq(pe->sections[i].name, name))
                        return &pe->sections[i];
        return NULL;
}

const char *uki_part_section(enum uki_part p) {
        static const char *const names[UKI_N_PARTS] = {
                [UKI_OSREL] = ".osrel",
                [UKI_CMDLINE] = ".cmdline",
                [UKI_INITRD] = ".initrd",
                [UKI_LINUX] = ".linux",
        };
        return p < UKI_N_PARTS ? names[p] : NULL;
}

static uint64_t align_up(uint64_t v, uint64_t a) {
        return (v + a - 1) / a * a;
}

int uki_layout(const struct uki_pe *stub, const uint64_t sizes[UKI_N_PARTS], uint64_t ret_vma[UKI_N_PARTS]) {
        uint64_t end = 0, vma[UKI_N_PARTS];

        if (!stub || stub->n_sections == 0)
                return -EINVAL;
        for (size_t i = 0; i < stub->n_sections; i++) {
                const struct uki_section *s = &stub->sections[i];
                uint64_t e = (uint64_t)s->rva + (s->vsize ? s->vsize : s->raw_size);
                end = e > end ? e : end;
        }
        for (int p = 0; p < UKI_N_PARTS; p++) {
                if (sizes[p] == 0)
                        return -EINVAL;
                vma[p] = align_up(end, UKI_ALIGN);
                end = vma[p] + sizes[p];
                if (end > UINT32_MAX)
                        return -EFBIG;
        }
        for (int p = 0; p < UKI_N_PARTS; p++)
                ret_vma[p] = stub->image_base + vma[p];
        return 0;
}

/* ---- os-release and the descriptor ---- */

static bool value_ok(const char *v) {
        return v && !strpbrk(v, "\"\\\n\r`$");
}

int uki_osrel_format(const struct uki_osrel *o, char **ret) {
        const char *signer = o->signer ? o->signer : "";
        char *text;

        if (!value_ok(o->root) || !value_ok(o->kernel_id) || !value_ok(signer))
                return -EINVAL;
        int n = asprintf(&text,
                         "NAME=\"KOOMPI OS\"\nID=koompi\nPRETTY_NAME=\"KOOMPI OS (%s)\"\n"
                         "VERSION_ID=\"%" PRIu64 "\"\nKOOMPI_ROOT=\"%s\"\nKOOMPI_KERNEL=\"%s\"\n%s%s%s",
                         o->root, o->generation, o->root, o->kernel_id, *signer ? "KOOMPI_SIGNER=\"" : "",
                         signer, *signer ? "\"\n" : "");
        if (n < 0)
                return -ENOMEM;
        *ret = text;
        return 0;
}

int uki_osrel_get(const char *osrel, const char *key, char *buf, size_t size) {
        size_t k = strlen(key);
        for (const char *p = osrel; p && *p;) {
                size_t len = strcspn(p, "\n");
                if (len > k && strncmp(p, key, k) == 0 && p[k] == '=') {
                        const char *v = p + k + 1;
                        size_t vlen = len - k - 1;
                        if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
                                v++;
                                vlen -= 2;
                        }
                        if (vlen >= size)
                                return -ENOBUFS;
                        memcpy(buf, v, vlen);
                        buf[vlen] = 0;
                        return 0;
                }
                p += len + (p[len] ? 1 : 0);
        }
        return -ENOENT;
}

int uki_descriptor_format(const char *osrel, const char *cmdline, char **ret) {
        size_t n = osrel ? strlen(osrel) : 0;
        char *text;

        if (n == 0 || osrel[n - 1] != '\n' || osrel[0] == '\n' || strstr(osrel, "\n\n") || !cmdline ||
            strpbrk(cmdline, "\n\r"))
                return -EINVAL;
        if (asprintf(&text, "%s\n%s", osrel, cmdline) < 0)
                return -ENOMEM;
        *ret = text;
        return 0;
}

int uki_descriptor_split(const char *desc, char **ret_osrel, char **ret_cmdline) {
        const char *blank = desc ? strstr(desc, "\n\n") : NULL;
        if (!blank)
                return -EINVAL;
        char *osrel = strndup(desc, (size_t)(blank - desc) + 1);
        char *cmdline = strdup(blank + 2);
        if (!osrel || !cmdline) {
                free(osrel);
                free(cmdline);
                return -ENOMEM;
        }
        *ret_osrel = osrel;
        *ret_cmdline = cmdline;
        return 0;
}

/* ---- a UKI on the ESP ---- */

/* A text section: its VirtualSize bytes (the file may pad it), no NUL inside, trailing NULs and
 * newlines of the padding dropped. */
static int section_text(int fd, const struct uki_section *s, char **ret) {
        size_t n = s->vsize && s->vsize < s->raw_size ? s->vsize : s->raw_size;
        if (n > UKI_TEXT_MAX)
                return -EBADMSG;
        char *t = malloc(n + 1);
        if (!t)
                return -ENOMEM;
        ssize_t k = pread(fd, t, n, s->offset);
        if (k != (ssize_t)n) {
                free(t);
                return k < 0 ? -errno : -EBADMSG;
        }
        t[n] = 0;
        while (n > 0 && t[n - 1] == 0)
                t[--n] = 0;
        if (strlen(t) != n) {
                free(t);
                return -EBADMSG;
        }
        *ret = t;
        return 0;
}

static int describe_fd(int fd, const struct uki_pe *pe, char **ret) {
        const struct uki_section *os = uki_pe_find(pe, ".osrel"), *cl = uki_pe_find(pe, ".cmdline");
        _cleanup_free_ char *osrel = NULL, *cmdline = NULL;
        int r;

        if (!os || !cl)
                return -EBADMSG;
        r = section_text(fd, os, &osrel);
        if (r == 0)
                r = section_text(fd, cl, &cmdline);
        if (r < 0)
                return r;
        /* The stub reads the command line up to its first NUL; a trailing newline is not ours. */
        cmdline[strcspn(cmdline, "\n")] = 0;
        r = asprintf(ret, "%s\n%s", osrel, cmdline);
        return r < 0 ? -ENOMEM : 0;
}

int uki_file_describe(const char *path, char **ret_desc, uint64_t *ret_linux_size,
                      uint64_t *ret_initrd_size) {
        struct uki_pe pe;
        int r = uki_pe_read(path, &pe);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        const struct uki_section *lx = uki_pe_find(&pe, ".linux"), *rd = uki_pe_find(&pe, ".initrd");
        r = describe_fd(fd, &pe, ret_desc);
        if (r < 0)
                return r;
        if (ret_linux_size)
                *ret_linux_size = lx ? lx->vsize : 0;
        if (ret_initrd_size)
                *ret_initrd_size = rd ? rd->vsize : 0;
        return 0;
}

/* ---- making one ---- */

static int file_size(const char *path, uint64_t *ret) {
        struct stat st;
        if (stat(path, &st) < 0)
                return -errno;
        *ret = (uint64_t)st.st_size;
        return 0;
}

/* The os-release and command line as files in workdir, for objcopy; their sizes. */
static int write_text_parts(const struct uki_build *b, char osrel[PATH_MAX], char cmdline[PATH_MAX],
                            uint64_t sizes[UKI_N_PARTS]) {
        _cleanup_free_ char *os = NULL, *cl = NULL;
        int r = uki_descriptor_split(b->descriptor, &os, &cl);
        if (r < 0)
                return r;
        snprintf(osrel, PATH_MAX, "%s/osrel", b->workdir);
        snprintf(cmdline, PATH_MAX, "%s/cmdline", b->workdir);
        r = write_file_atomic(osrel, os, strlen(os), 0600);
        if (r == 0)
                r = write_file_atomic(cmdline, cl, strlen(cl), 0600);
        if (r < 0)
                return r;
        sizes[UKI_OSREL] = strlen(os);
        sizes[UKI_CMDLINE] = strlen(cl);
        return 0;
}

/* "--add-section NAME=FILE --change-section-vma NAME=0xVMA" for one part; 4 words. */
static void objcopy_part(char **argv, char bufs[2][PATH_MAX + 32], enum uki_part p, const char *file,
                         uint64_t vma) {
        const char *name = uki_part_section(p);
        snprintf(bufs[0], PATH_MAX + 32, "%s=%s", name, file);
        snprintf(bufs[1], PATH_MAX + 32, "%s=0x%" PRIx64, name, vma);
        argv[0] = (char *)"--add-section";
        argv[1] = bufs[0];
        argv[2] = (char *)"--change-section-vma";
        argv[3] = bufs[1];
}

static int run_objcopy(const char *stub, const char *const files[UKI_N_PARTS],
                       const uint64_t vma[UKI_N_PARTS], const char *out, char **ret_output) {
        char bufs[UKI_N_PARTS][2][PATH_MAX + 32];
        char *argv[2 + 4 * UKI_N_PARTS + 3];
        size_t n = 0;

        argv[n++] = (char *)"objcopy";
        for (int p = 0; p < UKI_N_PARTS; p++, n += 4)
                objcopy_part(argv + n, bufs[p], (enum uki_part)p, files[p], vma[p]);
        argv[n++] = (char *)stub;
        argv[n++] = (char *)out;
        argv[n] = NULL;
        return tool_run(argv, ret_output);
}

static int run_sbsign(const struct uki_build *b, const char *in, const char *out, char **ret_output) {
        char *argv[] = { (char *)"sbsign", (char *)"--key", (char *)b->key,
                         (char *)"--cert", (char *)b->cert, (char *)"--output",
                         (char *)out,      (char *)in,      NULL };
        return tool_run(argv, ret_output);
}

static int stub_layout(const struct uki_build *b, const char *stub, uint64_t sizes[UKI_N_PARTS],
                       uint64_t vma[UKI_N_PARTS]) {
        struct uki_pe pe;
        int r = uki_pe_read(stub, &pe);
        if (r < 0)
                return r == -EBADMSG ? r : -ENOENT;
        r = file_size(b->initrd, &sizes[UKI_INITRD]);
        if (r == 0)
                r = file_size(b->kernel, &sizes[UKI_LINUX]);
        if (r < 0)
                return -ENOENT;
        return uki_layout(&pe, sizes, vma);
}

int uki_build(const struct uki_build *b, char *ret, char **ret_output) {
        const char *stub = b->stub ? b->stub : UKI_STUB;
        char osrel[PATH_MAX], cmdline[PATH_MAX], unsigned_uki[PATH_MAX], out[PATH_MAX];
        uint64_t sizes[UKI_N_PARTS], vma[UKI_N_PARTS];
        int r;

        r = write_text_parts(b, osrel, cmdline, sizes);
        if (r < 0)
                return r;
        r = stub_layout(b, stub, sizes, vma);
        if (r < 0)
                return r;
        const char *files[UKI_N_PARTS] = { osrel, cmdline, b->initrd, b->kernel };
        snprintf(unsigned_uki, sizeof unsigned_uki, "%s/unsigned.efi", b->workdir);
        snprintf(out, sizeof out, "%s/uki.efi", b->workdir);
        _cleanup_free_ char *said = NULL;
        r = run_objcopy(stub, files, vma, b->key ? unsigned_uki : out, &said);
        if (r == 0 && b->key)
                r = run_sbsign(b, unsigned_uki, out, &said);
        if (r < 0) {
                if (ret_output) {
                        *ret_output = said;
                        said = NULL;
                }
                return r;
        }
        snprintf(ret, PATH_MAX, "%s", out);
        return 0;
}

static void workdir_remove(const char *dir) {
        static const char *const files[] = { "osrel", "cmdline", "unsigned.efi", "uki.efi" };
        char path[PATH_MAX];
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                snprintf(path, sizeof path, "%s/%s", dir, files[i]);
                unlink(path);
        }
        rmdir(dir);
}

int uki_install(const struct uki_build *b, int dirfd, const char *name, bool noreplace, char **ret_output) {
        char dir[] = "/tmp/koompi-uki.XXXXXX", out[PATH_MAX];
        struct uki_build own = *b;

        if (!mkdtemp(dir))
                return -errno;
        own.workdir = dir;
        int r = uki_build(&own, out, ret_output);
        if (r == 0)
                r = esp_install_file(out, dirfd, name, noreplace);
        workdir_remove(dir);
        return r;
}

int uki_signer_of(const char *cert, char buf[static 17]) {
        uint8_t digest[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        int r = sha256_file(cert, digest, NULL);
        if (r < 0)
                return r;
        sha256_to_hex(digest, hex);
        snprintf(buf, 17, "%.16s", hex);
        return 0;
}
