/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "elfdeps.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "strv.h"
#include "util.h"

#define LD_SO_CONF "/etc/ld.so.conf"
#define LD_SO_CONF_MAX_DEPTH 8

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define ELF_NATIVE_DATA ELFDATA2LSB
#else
#define ELF_NATIVE_DATA ELFDATA2MSB
#endif

static const char *const standard_libdirs[] = {
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
};

/* --- reading one file --- */

struct map {
        const uint8_t *data;
        size_t size;
};

static void unmap(struct map *m) {
        if (m->data)
                munmap((void *)m->data, m->size);
}

static int map_file(const char *path, struct map *ret) {
        struct stat st;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -ENOEXEC;
        if ((size_t)st.st_size < EI_NIDENT)
                return -ENOEXEC;
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        *ret = (struct map) { p, (size_t)st.st_size };
        return 0;
}

static bool in_file(const struct map *m, uint64_t off, uint64_t len) {
        return off <= m->size && len <= m->size - off;
}

/* The file offset of a virtual address, through the PT_LOAD segments. */
static int vaddr_to_offset(const struct map *m, const Elf64_Phdr *ph, unsigned n, uint64_t addr,
                           uint64_t *ret) {
        for (unsigned i = 0; i < n; i++) {
                if (ph[i].p_type != PT_LOAD)
                        continue;
                if (addr >= ph[i].p_vaddr && addr - ph[i].p_vaddr < ph[i].p_filesz) {
                        *ret = addr - ph[i].p_vaddr + ph[i].p_offset;
                        return in_file(m, *ret, 0) ? 0 : -EBADMSG;
                }
        }
        return -EBADMSG;
}

/* A string of the dynamic string table, checked to end inside it. */
static int dyn_string(const struct map *m, uint64_t strtab, uint64_t strsz, uint64_t off, char **ret) {
        if (off >= strsz || !in_file(m, strtab, strsz))
                return -EBADMSG;
        const char *s = (const char *)m->data + strtab + off;
        size_t len = strnlen(s, strsz - off);
        if (len == strsz - off)
                return -EBADMSG;
        *ret = strndup(s, len);
        return *ret ? 0 : -ENOMEM;
}

static int read_dynamic(const struct map *m, const Elf64_Phdr *ph, unsigned n, const Elf64_Phdr *dyn,
                        struct elf_info *info) {
        uint64_t strtab_addr = 0, strsz = 0, strtab = 0;
        uint64_t soname = UINT64_MAX, runpath = UINT64_MAX, rpath = UINT64_MAX;

        if (!in_file(m, dyn->p_offset, dyn->p_filesz) || dyn->p_offset % 8)
                return -EBADMSG;
        const Elf64_Dyn *d = (const Elf64_Dyn *)(m->data + dyn->p_offset);
        size_t count = dyn->p_filesz / sizeof(Elf64_Dyn);

        for (size_t i = 0; i < count && d[i].d_tag != DT_NULL; i++) {
                switch (d[i].d_tag) {
                case DT_STRTAB:
                        strtab_addr = d[i].d_un.d_ptr;
                        break;
                case DT_STRSZ:
                        strsz = d[i].d_un.d_val;
                        break;
                case DT_SONAME:
                        soname = d[i].d_un.d_val;
                        break;
                case DT_RUNPATH:
                        runpath = d[i].d_un.d_val;
                        break;
                case DT_RPATH:
                        rpath = d[i].d_un.d_val;
                        break;
                }
        }
        info->dynamic = true;
        if (!strtab_addr)
                return 0; /* nothing named: a static-pie */
        int r = vaddr_to_offset(m, ph, n, strtab_addr, &strtab);
        if (r < 0)
                return r;

        for (size_t i = 0; i < count && d[i].d_tag != DT_NULL; i++) {
                if (d[i].d_tag != DT_NEEDED)
                        continue;
                _cleanup_free_ char *s = NULL;
                r = dyn_string(m, strtab, strsz, d[i].d_un.d_val, &s);
                if (r < 0)
                        return r;
                r = strv_extend(&info->needed, s);
                if (r < 0)
                        return r;
        }
        if (soname != UINT64_MAX && (r = dyn_string(m, strtab, strsz, soname, &info->soname)) < 0)
                return r;
        if (runpath != UINT64_MAX && (r = dyn_string(m, strtab, strsz, runpath, &info->runpath)) < 0)
                return r;
        if (rpath != UINT64_MAX && (r = dyn_string(m, strtab, strsz, rpath, &info->rpath)) < 0)
                return r;
        return 0;
}

static int parse(const struct map *m, struct elf_info *info) {
        const unsigned char *id = m->data;
        if (memcmp(id, ELFMAG, SELFMAG) != 0)
                return -ENOEXEC;
        if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELF_NATIVE_DATA)
                return -EPROTONOSUPPORT;
        if (m->size < sizeof(Elf64_Ehdr))
                return -EBADMSG;
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m->data;
        info->machine = eh->e_machine;
        if (eh->e_phnum == 0)
                return 0; /* a relocatable object: nothing to load */
        if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff % 8 ||
            !in_file(m, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
                return -EBADMSG;
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(m->data + eh->e_phoff);

        for (unsigned i = 0; i < eh->e_phnum; i++) {
                if (ph[i].p_type == PT_INTERP) {
                        /* The loader takes one interpreter: a file naming two is not one the
                         * kernel would run as we read it. */
                        if (!in_file(m, ph[i].p_offset, ph[i].p_filesz) || ph[i].p_filesz == 0 ||
                            info->interp)
                                return -EBADMSG;
                        const char *s = (const char *)m->data + ph[i].p_offset;
                        info->interp = strndup(s, strnlen(s, ph[i].p_filesz));
                        if (!info->interp)
                                return -ENOMEM;
                }
        }
        for (unsigned i = 0; i < eh->e_phnum; i++)
                if (ph[i].p_type == PT_DYNAMIC)
                        return read_dynamic(m, ph, eh->e_phnum, &ph[i], info);
        return 0;
}

void elf_info_done(struct elf_info *info) {
        free(info->interp);
        free(info->soname);
        free(info->runpath);
        free(info->rpath);
        strv_free(info->needed);
        *info = (struct elf_info) { 0 };
}

int elf_read(const char *path, struct elf_info *ret) {
        struct map m = { 0 };
        struct elf_info info = { 0 };
        int r = map_file(path, &m);
        if (r < 0)
                return r;
        info.needed = calloc(1, sizeof(char *));
        r = info.needed ? parse(&m, &info) : -ENOMEM;
        unmap(&m);
        if (r < 0) {
                elf_info_done(&info);
                return r;
        }
        *ret = info;
        return 0;
}

/* --- ld.so.conf --- */

static int libdirs_add(struct elf_closure *c, const char *dir) {
        if (strv_contains(c->libdirs, dir))
                return 0;
        int r = strv_extend(&c->libdirs, dir);
        if (r == 0)
                c->n_libdirs++;
        return r;
}

static int read_ld_so_conf(struct elf_closure *c, const char *path, unsigned depth);

static int conf_include(struct elf_closure *c, const char *conf, const char *pattern, unsigned depth) {
        char full[PATH_MAX];
        const char *slash = strrchr(conf, '/');
        if (pattern[0] == '/' || !slash)
                snprintf(full, sizeof full, "%s", pattern);
        else
                snprintf(full, sizeof full, "%.*s/%s", (int)(slash - conf), conf, pattern);
        glob_t g;
        int r = glob(full, 0, NULL, &g);
        if (r == GLOB_NOMATCH)
                return 0;
        if (r != 0)
                return r == GLOB_NOSPACE ? -ENOMEM : -EIO;
        for (size_t i = 0; i < g.gl_pathc && r == 0; i++)
                r = read_ld_so_conf(c, g.gl_pathv[i], depth + 1);
        globfree(&g);
        return r;
}

/* Keeps a message naming the files for elf_closure_error(); returns r. */
static int closure_failed(struct elf_closure *c, int r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int closure_failed(struct elf_closure *c, int r, const char *fmt, ...) {
        va_list ap;
        free(c->error);
        va_start(ap, fmt);
        if (vasprintf(&c->error, fmt, ap) < 0)
                c->error = NULL;
        va_end(ap);
        return r;
}

const char *elf_closure_error(const struct elf_closure *c) {
        return c->error ? c->error : "";
}

static int read_ld_so_conf(struct elf_closure *c, const char *path, unsigned depth) {
        _cleanup_free_ char *text = NULL;
        if (depth > LD_SO_CONF_MAX_DEPTH)
                return 0;
        int r = read_file(path, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return closure_failed(c, r, "reading %s failed: %s", path, strerror(-r));

        for (char *line = text, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                line[strcspn(line, "#")] = 0;
                line += strspn(line, " \t");
                const char *inc = startswith(line, "include");
                if (inc && (*inc == ' ' || *inc == '\t')) {
                        inc += strspn(inc, " \t");
                        for (char *save = NULL, *tok = strtok_r((char *)inc, " \t", &save); tok;
                             tok = strtok_r(NULL, " \t", &save)) {
                                r = conf_include(c, path, tok, depth);
                                if (r < 0)
                                        return r;
                        }
                        continue;
                }
                if (startswith(line, "hwcap"))
                        continue;
                /* Directories, separated by blanks, commas or colons; "dir=type" is old. */
                for (char *save = NULL, *tok = strtok_r(line, " \t,:", &save); tok;
                     tok = strtok_r(NULL, " \t,:", &save)) {
                        tok[strcspn(tok, "=")] = 0;
                        if (tok[0] != '/')
                                continue;
                        size_t len = strlen(tok);
                        while (len > 1 && tok[len - 1] == '/')
                                tok[--len] = 0;
                        r = libdirs_add(c, tok);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int load_libdirs(struct elf_closure *c) {
        if (c->libdirs_loaded)
                return 0;
        int r = read_ld_so_conf(c, c->ld_so_conf ? c->ld_so_conf : LD_SO_CONF, 0);
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(standard_libdirs); i++)
                r = libdirs_add(c, standard_libdirs[i]);
        if (r < 0)
                return r;
        c->libdirs_loaded = true;
        return 0;
}

/* --- the closure --- */

void elf_closure_done(struct elf_closure *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->files[i].path);
        free(c->files);
        strv_free(c->libdirs);
        free(c->error);
        *c = (struct elf_closure) { .ld_so_conf = c->ld_so_conf,
                                    .note = c->note,
                                    .note_userdata = c->note_userdata };
}

bool elf_closure_contains(const struct elf_closure *c, const char *path) {
        for (size_t i = 0; i < c->n; i++)
                if (streq(c->files[i].path, path))
                        return true;
        return false;
}

static int closure_push(struct elf_closure *c, const char *path, enum elf_file_kind kind) {
        if (elf_closure_contains(c, path))
                return 0;
        if (c->n == c->allocated) {
                size_t a = c->allocated ? c->allocated * 2 : 32;
                struct elf_file *f = realloc(c->files, a * sizeof *f);
                if (!f)
                        return -ENOMEM;
                c->files = f;
                c->allocated = a;
        }
        char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        c->files[c->n].path = p;
        c->files[c->n++].kind = kind;
        return 0;
}

/* An object of the program being resolved, in load order. */
struct object {
        char *path;
        struct elf_info info;
        int parent; /* index of the object that needed it, -1 for the binary */
};

struct program {
        struct object *objects;
        size_t n, allocated;
        char **loaded; /* names (DT_NEEDED as written, sonames) already satisfied */
        const struct elf_closure *closure; /* for its note callback */
        uint16_t machine;
};

static void program_done(struct program *p) {
        for (size_t i = 0; i < p->n; i++) {
                free(p->objects[i].path);
                elf_info_done(&p->objects[i].info);
        }
        free(p->objects);
        strv_free(p->loaded);
}

static int program_push(struct program *p, const char *path, struct elf_info *info, int parent) {
        if (p->n == p->allocated) {
                size_t a = p->allocated ? p->allocated * 2 : 16;
                struct object *o = realloc(p->objects, a * sizeof *o);
                if (!o)
                        return -ENOMEM;
                p->objects = o;
                p->allocated = a;
        }
        char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        struct object *o = &p->objects[p->n++];
        o->path = copy;
        o->info = *info;
        o->parent = parent;
        *info = (struct elf_info) { 0 };
        return 0;
}

static int mark_loaded(struct program *p, const char *name) {
        if (!name || strv_contains(p->loaded, name))
                return 0;
        return strv_extend(&p->loaded, name);
}

/* Whether path is a library the loader would take: an ELF file of the same machine.
 * 1 yes (*ret_info filled), 0 no. */
static int check_candidate(struct program *p, const char *path, struct elf_info *ret_info) {
        int r = elf_read(path, ret_info);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if (ret_info->machine != p->machine) {
                elf_info_done(ret_info);
                return 0;
        }
        return 1;
}

static int try_candidate(struct program *p, const char *dir, const char *name, char *ret,
                         struct elf_info *ret_info) {
        if ((size_t)snprintf(ret, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
                return 0;
        return check_candidate(p, ret, ret_info);
}

static void note(const struct elf_closure *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const struct elf_closure *c, const char *fmt, ...) {
        char msg[2 * PATH_MAX];
        va_list ap;
        if (!c->note)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        c->note(msg, c->note_userdata);
}

/* Tries each directory of a colon-separated list, $ORIGIN being origin's directory. */
static int try_search_path(struct program *p, const char *list, const char *origin, const char *name,
                           char *ret, struct elf_info *ret_info) {
        char odir[PATH_MAX];
        snprintf(odir, sizeof odir, "%s", origin);
        char *slash = strrchr(odir, '/');
        if (slash)
                *(slash == odir ? slash + 1 : slash) = 0;
        else
                snprintf(odir, sizeof odir, ".");

        for (const char *s = list; *s;) {
                size_t len = strcspn(s, ":");
                char dir[PATH_MAX], *o = dir;
                const char *e = s + len;
                bool ok = len > 0;
                while (ok && s < e) {
                        const char *var = NULL;
                        size_t skip = 0;
                        if (strncmp(s, "$ORIGIN", 7) == 0)
                                var = odir, skip = 7;
                        else if (strncmp(s, "${ORIGIN}", 9) == 0)
                                var = odir, skip = 9;
                        else if (*s == '$')
                                ok = false; /* $LIB, $PLATFORM: not used by our binaries */
                        size_t need = var ? strlen(var) : 1;
                        if (!ok || (size_t)(o - dir) + need + 1 >= sizeof dir) {
                                ok = false;
                                break;
                        }
                        if (var) {
                                memcpy(o, var, need);
                                o += need;
                                s += skip;
                        } else
                                *o++ = *s++;
                }
                *o = 0;
                s = e + (*e == ':');
                if (!ok) {
                        note(p->closure, "%s: search path entry of %s skipped", name, origin);
                        continue;
                }
                int r = try_candidate(p, dir, name, ret, ret_info);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* Finds the library name needed by object index, as ld.so does. 1 found, 0 not. */
static int find_library(struct elf_closure *c, struct program *p, size_t index, const char *name, char *ret,
                        struct elf_info *ret_info) {
        const struct object *obj = &p->objects[index];
        int r;

        if (strchr(name, '/')) {
                if ((size_t)snprintf(ret, PATH_MAX, "%s", name) >= PATH_MAX)
                        return 0;
                return check_candidate(p, ret, ret_info);
        }
        if (!obj->info.runpath)
                for (int i = (int)index; i >= 0; i = p->objects[i].parent) {
                        const struct object *o = &p->objects[i];
                        if (!o->info.rpath || o->info.runpath)
                                continue;
                        r = try_search_path(p, o->info.rpath, o->path, name, ret, ret_info);
                        if (r != 0)
                                return r;
                }
        if (obj->info.runpath) {
                r = try_search_path(p, obj->info.runpath, obj->path, name, ret, ret_info);
                if (r != 0)
                        return r;
        }
        r = load_libdirs(c);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_libdirs; i++) {
                r = try_candidate(p, c->libdirs[i], name, ret, ret_info);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int resolve_program(struct elf_closure *c, struct program *p) {
        /* Breadth first, as the loader: the first object providing a name satisfies it. */
        for (size_t i = 0; i < p->n; i++) {
                for (char **n = p->objects[i].info.needed; n && *n; n++) {
                        char path[PATH_MAX];
                        struct elf_info info = { 0 };
                        if (strv_contains(p->loaded, *n))
                                continue;
                        int r = find_library(c, p, i, *n, path, &info);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return closure_failed(c, -ENOENT, "%s, needed by %s, was not found", *n,
                                                      p->objects[i].path);
                        r = mark_loaded(p, *n);
                        if (r == 0)
                                r = mark_loaded(p, info.soname);
                        if (r == 0)
                                r = closure_push(c, path, ELF_FILE_LIBRARY);
                        if (r == 0)
                                r = program_push(p, path, &info, (int)i);
                        elf_info_done(&info);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int add_interpreter(struct elf_closure *c, struct program *p, const char *interp) {
        struct elf_info info = { 0 };
        int r = elf_read(interp, &info);
        if (r == -ENOEXEC)
                r = -ENOENT;
        if (r < 0)
                return closure_failed(c, r, "the interpreter %s of %s: %s", interp, p->objects[0].path,
                                      strerror(-r));
        /* Libraries that name the loader (libc does) get the one already there. */
        const char *base = strrchr(interp, '/');
        r = mark_loaded(p, base ? base + 1 : interp);
        if (r == 0)
                r = mark_loaded(p, info.soname);
        elf_info_done(&info);
        if (r == 0)
                r = closure_push(c, interp, ELF_FILE_INTERPRETER);
        return r;
}

int elf_closure_add(struct elf_closure *c, const char *binary) {
        struct elf_info info = { 0 };
        struct program p = { .closure = c };
        free(c->error);
        c->error = NULL;
        int r = elf_read(binary, &info);
        if (r < 0)
                return r;
        p.machine = info.machine;
        r = closure_push(c, binary, ELF_FILE_BINARY);
        if (r == 0)
                r = program_push(&p, binary, &info, -1);
        elf_info_done(&info);
        if (r == 0 && p.objects[0].info.interp)
                r = add_interpreter(c, &p, p.objects[0].info.interp);
        if (r == 0)
                r = mark_loaded(&p, p.objects[0].info.soname);
        if (r == 0)
                r = resolve_program(c, &p);
        program_done(&p);
        return r;
}
