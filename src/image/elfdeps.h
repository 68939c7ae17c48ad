/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Named elfdeps, not elf: the build searches src/ first and an elf.h here would hide the
 * system <elf.h>. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an ELF64 file of this machine's byte order asks of the dynamic loader, read from its
 * program headers and dynamic section (nothing is run). */
struct elf_info {
        uint16_t machine; /* EM_X86_64, ... */
        bool dynamic; /* has a dynamic section */
        char *interp; /* PT_INTERP, or NULL (static, or a shared library) */
        char *soname; /* DT_SONAME, or NULL */
        char *runpath; /* DT_RUNPATH, colon-separated, or NULL */
        char *rpath; /* DT_RPATH, or NULL */
        char **needed; /* DT_NEEDED in order, NULL-terminated, never NULL */
};

/* 0; -ENOEXEC when path is no ELF file, -EPROTONOSUPPORT when it is one of another class or
 * byte order, -EBADMSG when it is truncated, its headers point outside of it or it names two
 * interpreters (PT_INTERP), or the errno of opening it. */
int elf_read(const char *path, struct elf_info *ret);
void elf_info_done(struct elf_info *info);

enum elf_file_kind {
        ELF_FILE_BINARY, /* given to elf_closure_add() */
        ELF_FILE_INTERPRETER, /* PT_INTERP of a binary */
        ELF_FILE_LIBRARY, /* a DT_NEEDED, at the path the loader finds it */
};

struct elf_file {
        char *path;
        enum elf_file_kind kind;
};

/* The files that some binaries need to run: the binaries, their interpreter and every shared
 * library they load, directly or not, each once, named as the loader looks them up (a name
 * may be a symlink: copy it as one, with what it points to). */
struct elf_closure {
        struct elf_file *files;
        size_t n, allocated;
        /* Where libraries are looked for after DT_RPATH and DT_RUNPATH: the directories of
         * ld_so_conf (NULL: /etc/ld.so.conf), then the standard ones. Read on first use. */
        const char *ld_so_conf;
        char **libdirs;
        size_t n_libdirs;
        bool libdirs_loaded;
        /* Optional: told of what is skipped on the way (a search path entry that cannot be
         * used), for the caller's debug output. */
        void (*note)(const char *message, void *userdata);
        void *note_userdata;
        /* Why the last elf_closure_add() failed, when the reason names files: see
         * elf_closure_error(). */
        char *error;
};

/* Frees what was collected; ld_so_conf and the note callback stay. */
void elf_closure_done(struct elf_closure *c);
/* After elf_closure_add() failed: what was wrong, naming the files ("libx.so.1, needed by
 * /usr/bin/y, was not found", "the interpreter ... of ...: ...", "reading /etc/ld.so.conf
 * failed: ..."), for the caller's message; "" when the failure names no file (memory, a
 * binary that is no ELF file) or the last call succeeded. */
const char *elf_closure_error(const struct elf_closure *c);
bool elf_closure_contains(const struct elf_closure *c, const char *path);

/* Adds binary (an executable or a shared library) and what it needs, resolving DT_NEEDED as
 * the loader does: the name itself when it holds a '/'; else DT_RPATH of the object and of
 * those that loaded it (when the object has no DT_RUNPATH), DT_RUNPATH, the directories of
 * ld.so.conf, then /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib64, /usr/lib64, /lib
 * and /usr/lib; $ORIGIN is expanded; a candidate of another machine or class is skipped.
 * A static binary brings nothing else.
 * 0; -ENOEXEC when binary is no ELF file and -EPROTONOSUPPORT when it is a foreign one
 * (nothing added: the caller decides); -ENOENT when a needed library or the interpreter is
 * found nowhere (elf_closure_error() says which, and which file needs it); other negative
 * errnos. */
int elf_closure_add(struct elf_closure *c, const char *binary);
