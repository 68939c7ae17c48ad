/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* entries sync: the ESP brought in line with the roots, through the plan of entryplan.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btrfs.h"
#include "context.h"
#include "entryfile.h"
#include "entryplan.h"
#include "esp.h"
#include "journal.h"
#include "kernels.h"
#include "layout.h"
#include "log.h"
#include "print.h"
#include "rootstate.h"
#include "sha256.h"
#include "uki.h"
#include "util.h"
#include "verbs.h"

#define ENTRY_FILE_MAX (64 * 1024)

/* A kernel and its initramfs, and the directory name they are stored under on the ESP. */
struct kernel_pair {
        char kernel[PATH_MAX];
        char initrd[PATH_MAX];
        uint64_t kernel_size, initrd_size;
        char id[PLAN_KERNEL_ID_LEN + 1];
        bool own; /* both files are inside the root itself */
};

struct sync_state {
        struct btrfs_root_info *roots;
        size_t n_roots;
        struct plan_root *proots;
        struct kernel_pair *pairs; /* per root; id "" for roots not read-only */
        struct plan_file *files;
        size_t n_files;
        char **kdirs;
        size_t n_kdirs;
        char *loader_conf;
        char *options;
        struct plan plan;
        char **repair; /* kernel directories present but damaged */
        size_t n_repair;
        struct plan_file *ukis; /* the .efi files in EFI/Linux; text: the descriptor of koompi's */
        uint64_t (*uki_sizes)[2]; /* per UKI: the sizes of its kernel and its initramfs */
        size_t n_ukis;
        char key[PATH_MAX], cert[PATH_MAX]; /* the db key and certificate; "" when not signing */
        char signer[17];
};

static void sync_state_free(struct sync_state *s) {
        free(s->roots);
        free(s->proots);
        free(s->pairs);
        for (size_t i = 0; i < s->n_files; i++) {
                free((char *)s->files[i].name);
                free((char *)s->files[i].text);
        }
        free(s->files);
        for (size_t i = 0; i < s->n_kdirs; i++)
                free(s->kdirs[i]);
        free(s->kdirs);
        free(s->loader_conf);
        free(s->options);
        plan_free(&s->plan);
        for (size_t i = 0; i < s->n_repair; i++)
                free(s->repair[i]);
        free(s->repair);
        for (size_t i = 0; i < s->n_ukis; i++) {
                free((char *)s->ukis[i].name);
                free((char *)s->ukis[i].text);
        }
        free(s->ukis);
        free(s->uki_sizes);
}

static bool is_regular(const char *path, uint64_t *ret_size) {
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        if (ret_size)
                *ret_size = (uint64_t)st.st_size;
        return true;
}

static bool in_list(char **list, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(list[i], name))
                        return true;
        return false;
}

static int hash_pair(struct kernel_pair *p) {
        uint8_t dk[SHA256_DIGEST_SIZE], di[SHA256_DIGEST_SIZE], both[2 * SHA256_DIGEST_SIZE],
                id[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        int r;

        r = sha256_file(p->kernel, dk, &p->kernel_size);
        if (r < 0)
                return log_errno(r, "reading %s failed", p->kernel);
        r = sha256_file(p->initrd, di, &p->initrd_size);
        if (r < 0)
                return log_errno(r, "reading %s failed", p->initrd);
        memcpy(both, dk, sizeof dk);
        memcpy(both + sizeof dk, di, sizeof di);
        sha256(both, sizeof both, id);
        sha256_to_hex(id, hex);
        snprintf(p->id, sizeof p->id, "%.*s", PLAN_KERNEL_ID_LEN, hex);
        return 0;
}

/* The kernel and initramfs of one root: its own, else --kernel/--initrd. Returns 0 or a negative errno. */
static int root_kernel_files(struct context *c, const char *root, struct kernel_pair *ret) {
        char rootdir[PATH_MAX], kver[256];

        *ret = (struct kernel_pair) {};
        pathf(rootdir, sizeof rootdir, "%s/%s", c->top, root);
        if (kernel_find_newest(rootdir, kver, sizeof kver) == 0) {
                pathf(ret->kernel, sizeof ret->kernel, "%s/usr/lib/modules/%s/vmlinuz", rootdir, kver);
                pathf(ret->initrd, sizeof ret->initrd, "%s/usr/lib/modules/%s/initramfs-koompi.img", rootdir,
                      kver);
                if (!is_regular(ret->initrd, NULL))
                        /* Where older versions of the pacman hook built it. */
                        pathf(ret->initrd, sizeof ret->initrd, "%s/boot/koompi/initramfs-%s.img", rootdir,
                              kver);
                if (!is_regular(ret->initrd, NULL)) {
                        if (!c->o->kernel || !c->o->initrd) {
                                log_error(
                                        "%s has the kernel %s but no initramfs for it (neither "
                                        "usr/lib/modules/%s/initramfs-koompi.img nor boot/koompi/initramfs-%s.img); "
                                        "build it with koompi-mkinitramfs in that root, or give --kernel and --initrd",
                                        root, kver, kver, kver);
                                return -ENOENT;
                        }
                        ret->kernel[0] = 0;
                } else
                        ret->own = true;
        }
        if (!ret->kernel[0]) {
                if (!c->o->kernel || !c->o->initrd) {
                        log_error("%s carries no kernel (no usr/lib/modules/*/vmlinuz); give --kernel FILE "
                                  "and --initrd FILE to boot it with those",
                                  root);
                        return -ENOENT;
                }
                snprintf(ret->kernel, sizeof ret->kernel, "%s", c->o->kernel);
                snprintf(ret->initrd, sizeof ret->initrd, "%s", c->o->initrd);
        }
        return 0;
}

/* The kernel ID named by an entry's linux and initrd lines, "/koompi/<ID>/vmlinuz" and
 * "/koompi/<ID>/initramfs.img"; false when they name anything else. */
static bool entry_kernel_id(const struct entry_content *e, char id[static PLAN_KERNEL_ID_LEN + 1]) {
        char want[64];
        const char *k = e->kernel ? startswith(e->kernel, "/" LAYOUT_KERNELS_DIR "/") : NULL;

        if (!k || !e->initrd || strlen(k) != PLAN_KERNEL_ID_LEN + strlen("/vmlinuz") ||
            !streq(k + PLAN_KERNEL_ID_LEN, "/vmlinuz"))
                return false;
        snprintf(id, PLAN_KERNEL_ID_LEN + 1, "%.*s", PLAN_KERNEL_ID_LEN, k);
        snprintf(want, sizeof want, "/%s/%s/initramfs.img", LAYOUT_KERNELS_DIR, id);
        return plan_is_kernel_id(id) && streq(e->initrd, want);
}

/* A read-only subvolume never changes, so a read-only root's kernel ID is the one its entry
 * already names when the entry was written for this very subvolume (its version is the root's
 * generation) and koompi/<ID>/ on the ESP holds files of the sizes of the root's own kernel and
 * image: then they are not read again. A kernel given with --kernel may change between runs
 * and is always hashed. (A root made writable, changed and made read-only again keeps its
 * generation; entries sync removes its entry while it is writable, and without an entry it is
 * hashed anew.) */
static bool reuse_kernel_id(struct context *c, const struct sync_state *s, const struct btrfs_root_info *root,
                            struct kernel_pair *p) {
        char want[ENTRY_NAME_MAX + 1], version[32];
        uint64_t ks, is;

        if (!root->read_only || !p->own || entry_filename_for_root(root->name, 0, want, sizeof want) < 0 ||
            !is_regular(p->kernel, &ks) || !is_regular(p->initrd, &is))
                return false;
        snprintf(version, sizeof version, "%" PRIu64, root->otransid);
        for (size_t f = 0; f < s->n_files; f++) {
                struct entry_content e = {};
                char id[PLAN_KERNEL_ID_LEN + 1], k[PATH_MAX], img[PATH_MAX];
                uint64_t eks, eis;
                bool match;

                if (!s->files[f].text || !entry_id_equal(s->files[f].name, want) ||
                    entry_content_parse(s->files[f].text, &e) < 0)
                        continue;
                match = e.version && streq(e.version, version) && entry_kernel_id(&e, id);
                entry_content_free(&e);
                if (!match || !in_list(s->kdirs, s->n_kdirs, id))
                        continue;
                pathf(k, sizeof k, "%s/%s/%s/vmlinuz", c->esp, LAYOUT_KERNELS_DIR, id);
                pathf(img, sizeof img, "%s/%s/%s/initramfs.img", c->esp, LAYOUT_KERNELS_DIR, id);
                if (!is_regular(k, &eks) || eks != ks || !is_regular(img, &eis) || eis != is)
                        continue;
                snprintf(p->id, sizeof p->id, "%s", id);
                p->kernel_size = ks;
                p->initrd_size = is;
                log_debug("%s: kernel %s reused from %s, not hashed", root->name, id, s->files[f].name);
                return true;
        }
        return false;
}

/* "koompi-<ID>.efi": the name of a root's UKI without its counter. */
static int uki_name_for_root(const char *root, char *buf, size_t size) {
        int r = entry_filename_for_root(root, 0, buf, size);
        size_t n = r < 0 ? 0 : strlen(buf) - strlen(".conf");
        if (r < 0 || (size_t)snprintf(buf + n, size - n, "%s", UKI_SUFFIX) >= size - n)
                return r < 0 ? r : -ENAMETOOLONG;
        return 0;
}

/* The same for a UKI: the kernel ID its os-release names, when that is of this very subvolume
 * (VERSION_ID is its generation) and the UKI's kernel and initramfs have the sizes of the root's. */
static bool reuse_uki_kernel_id(const struct sync_state *s, const struct btrfs_root_info *root,
                                struct kernel_pair *p) {
        char want[ENTRY_NAME_MAX + 1], version[32], v[32], id[PLAN_KERNEL_ID_LEN + 2];
        uint64_t ks, is;

        if (!root->read_only || !p->own || uki_name_for_root(root->name, want, sizeof want) < 0 ||
            !is_regular(p->kernel, &ks) || !is_regular(p->initrd, &is))
                return false;
        snprintf(version, sizeof version, "%" PRIu64, root->otransid);
        for (size_t f = 0; f < s->n_ukis; f++) {
                if (!s->ukis[f].text || !entry_id_equal(s->ukis[f].name, want) ||
                    uki_osrel_get(s->ukis[f].text, "VERSION_ID", v, sizeof v) < 0 || !streq(v, version) ||
                    uki_osrel_get(s->ukis[f].text, "KOOMPI_KERNEL", id, sizeof id) < 0 ||
                    !plan_is_kernel_id(id) || s->uki_sizes[f][0] != ks || s->uki_sizes[f][1] != is)
                        continue;
                snprintf(p->id, sizeof p->id, "%.*s", PLAN_KERNEL_ID_LEN, id);
                p->kernel_size = ks;
                p->initrd_size = is;
                log_debug("%s: kernel %s reused from %s, not hashed", root->name, id, s->ukis[f].name);
                return true;
        }
        return false;
}

/* The kernel ID of one root: reused, shared with an earlier root of the same files, or hashed.
 * Returns 0 or a negative errno. */
static int root_kernel(struct context *c, struct sync_state *s, size_t i) {
        struct kernel_pair *ret = &s->pairs[i];
        int r;

        r = root_kernel_files(c, s->roots[i].name, ret);
        if (r != 0)
                return r;
        if (reuse_kernel_id(c, s, &s->roots[i], ret) || reuse_uki_kernel_id(s, &s->roots[i], ret))
                return 0;
        for (size_t k = 0; k < i; k++)
                if (s->pairs[k].id[0] && streq(s->pairs[k].kernel, ret->kernel) &&
                    streq(s->pairs[k].initrd, ret->initrd)) {
                        *ret = s->pairs[k];
                        return 0;
                }
        log_debug("%s: hashing %s and %s", s->roots[i].name, ret->kernel, ret->initrd);
        if (hash_pair(ret) < 0) {
                log_error("the kernel of %s cannot be read; nothing was changed", s->roots[i].name);
                return -ENOENT;
        }
        return 0;
}

/* The entry files in loader/entries with their text (NULL when unreadable or not text). */
static int read_entry_files(struct context *c, struct sync_state *s) {
        char path[PATH_MAX];

        pathf(path, sizeof path, "%s/%s", c->esp, LAYOUT_ENTRIES_DIR);
        DIR *d = opendir(path);
        if (!d && errno != ENOENT) {
                log_errno(-errno, "reading %s failed", path);
                return -ENOENT;
        }
        for (struct dirent *de; d && (de = readdir(d));) {
                char file[PATH_MAX];
                size_t n = strlen(de->d_name);
                if (de->d_name[0] == '.' || n < 5 || strcasecmp(de->d_name + n - 5, ".conf") != 0)
                        continue;
                struct plan_file *nf = realloc(s->files, (s->n_files + 1) * sizeof *nf);
                if (!nf)
                        abort();
                s->files = nf;
                char *text = NULL;
                size_t len = 0;
                pathf(file, sizeof file, "%s/%s", path, de->d_name);
                int r = read_file(file, &text, &len);
                if (r < 0)
                        log_errno(r, "reading %s failed; it will be rewritten if it is a koompi entry", file);
                else if (len > ENTRY_FILE_MAX || strlen(text) != len) {
                        free(text);
                        text = NULL;
                }
                s->files[s->n_files++] =
                        (struct plan_file) { .name = strdup_or_die(de->d_name), .text = text };
        }
        if (d)
                closedir(d);
        return 0;
}

/* The directories under koompi/. */
static int read_kernel_dirs(struct context *c, struct sync_state *s) {
        char path[PATH_MAX];

        pathf(path, sizeof path, "%s/%s", c->esp, LAYOUT_KERNELS_DIR);
        DIR *d = opendir(path);
        if (!d && errno != ENOENT) {
                log_errno(-errno, "reading %s failed", path);
                return -ENOENT;
        }
        for (struct dirent *de; d && (de = readdir(d));) {
                char sub[PATH_MAX];
                struct stat st;
                pathf(sub, sizeof sub, "%s/%s", path, de->d_name);
                if (de->d_name[0] == '.' || stat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                char **nk = realloc(s->kdirs, (s->n_kdirs + 1) * sizeof *nk);
                if (!nk)
                        abort();
                s->kdirs = nk;
                s->kdirs[s->n_kdirs++] = strdup_or_die(de->d_name);
        }
        if (d)
                closedir(d);
        return 0;
}

/* One file in EFI/Linux: a koompi UKI described (text NULL when it cannot be), another named only. */
static void add_uki_file(struct sync_state *s, const char *dir, const char *name) {
        char path[PATH_MAX];
        uint64_t ks = 0, is = 0;
        char *desc = NULL;

        pathf(path, sizeof path, "%s/%s", dir, name);
        if (strncasecmp(name, LAYOUT_ENTRY_PREFIX, strlen(LAYOUT_ENTRY_PREFIX)) == 0) {
                int r = uki_file_describe(path, &desc, &ks, &is);
                if (r < 0)
                        log_debug("%s cannot be read as a unified kernel image (%s); it will be rewritten",
                                  path, strerror(-r));
        }
        struct plan_file *nf = realloc(s->ukis, (s->n_ukis + 1) * sizeof *nf);
        uint64_t(*ns)[2] = realloc(s->uki_sizes, (s->n_ukis + 1) * sizeof *ns);
        if (!nf || !ns)
                abort();
        s->ukis = nf;
        s->uki_sizes = ns;
        s->ukis[s->n_ukis] = (struct plan_file) { .name = strdup_or_die(name), .text = desc };
        s->uki_sizes[s->n_ukis][0] = ks;
        s->uki_sizes[s->n_ukis][1] = is;
        s->n_ukis++;
}

/* The .efi files in EFI/Linux. */
static int read_uki_files(struct context *c, struct sync_state *s) {
        char path[PATH_MAX];

        pathf(path, sizeof path, "%s/%s", c->esp, UKI_DIR);
        DIR *d = opendir(path);
        if (!d && errno != ENOENT) {
                log_errno(-errno, "reading %s failed", path);
                return -ENOENT;
        }
        for (struct dirent *de; d && (de = readdir(d));) {
                size_t n = strlen(de->d_name);
                if (de->d_name[0] != '.' && n > 4 && strcasecmp(de->d_name + n - 4, UKI_SUFFIX) == 0)
                        add_uki_file(s, path, de->d_name);
        }
        if (d)
                closedir(d);
        return 0;
}

static int read_esp(struct context *c, struct sync_state *s) {
        char path[PATH_MAX];
        int r = read_entry_files(c, s);
        if (r == 0)
                r = read_kernel_dirs(c, s);
        if (r == 0)
                r = read_uki_files(c, s);
        if (r != 0)
                return r;
        pathf(path, sizeof path, "%s/%s", c->esp, LAYOUT_LOADER_CONF);
        r = read_file(path, &s->loader_conf, NULL);
        if (r < 0 && r != -ENOENT) {
                log_errno(r, "reading %s failed", path);
                return -ENOENT;
        }
        return 0;
}

static const struct kernel_pair *pair_of(const struct sync_state *s, const char *id) {
        for (size_t i = 0; i < s->n_roots; i++)
                if (streq(s->pairs[i].id, id))
                        return &s->pairs[i];
        return NULL;
}

/* Kernel directories that are there but do not hold what their name promises (a crash while
 * an older version wrote them, a damaged FAT): rewritten like new ones. Sizes are checked; the
 * name already says the contents. One the plan does not need (of a root booted by its entry
 * named by hand; to be removed, or absent) is left alone. */
static void find_damaged(struct context *c, struct sync_state *s) {
        for (size_t i = 0; i < s->n_roots; i++) {
                const struct kernel_pair *p = &s->pairs[i];
                char k[PATH_MAX], img[PATH_MAX], dir[PATH_MAX];
                struct stat st;
                uint64_t ks, is;
                if (!p->id[0] || in_list(s->plan.kernels_needed, s->plan.n_kernels_needed, p->id) ||
                    in_list(s->plan.kernels_unused, s->plan.n_kernels_unused, p->id) ||
                    in_list(s->repair, s->n_repair, p->id))
                        continue;
                pathf(dir, sizeof dir, "%s/%s/%s", c->esp, LAYOUT_KERNELS_DIR, p->id);
                if (stat(dir, &st) < 0 && errno == ENOENT)
                        continue;
                pathf(k, sizeof k, "%s/%s/%s/vmlinuz", c->esp, LAYOUT_KERNELS_DIR, p->id);
                pathf(img, sizeof img, "%s/%s/%s/initramfs.img", c->esp, LAYOUT_KERNELS_DIR, p->id);
                if (is_regular(k, &ks) && ks == p->kernel_size && is_regular(img, &is) &&
                    is == p->initrd_size)
                        continue;
                char **nr = realloc(s->repair, (s->n_repair + 1) * sizeof *nr);
                if (!nr)
                        abort();
                s->repair = nr;
                s->repair[s->n_repair++] = strdup_or_die(p->id);
        }
}

/* The kernel and initramfs of a root. */
static const struct kernel_pair *pair_of_root(const struct sync_state *s, const char *root) {
        for (size_t i = 0; i < s->n_roots; i++)
                if (streq_ptr(s->roots[i].name, root))
                        return &s->pairs[i];
        return NULL;
}

/* What a UKI takes: the stub, its parts, the alignment between them. */
static uint64_t uki_bytes(const struct sync_state *s, const struct plan_entry *e, uint64_t block) {
        const struct kernel_pair *p = pair_of_root(s, e->root);
        uint64_t stub = 0;
        is_regular(UKI_STUB, &stub);
        if (!p)
                return 0;
        return esp_blocks_bytes(stub + p->kernel_size + p->initrd_size + strlen(e->text) + 5 * UKI_ALIGN,
                                block);
}

static uint64_t space_needed(const struct sync_state *s, uint64_t block) {
        uint64_t need = 0;
        for (size_t i = 0; i < s->plan.n_kernels_needed + s->n_repair; i++) {
                const char *id = i < s->plan.n_kernels_needed ? s->plan.kernels_needed[i]
                                                              : s->repair[i - s->plan.n_kernels_needed];
                const struct kernel_pair *p = pair_of(s, id);
                if (p)
                        need += esp_blocks_bytes(p->kernel_size, block) +
                                esp_blocks_bytes(p->initrd_size, block) + block;
        }
        for (size_t i = 0; i < s->plan.n_entries; i++)
                if (s->plan.entries[i].op == PLAN_CREATE || s->plan.entries[i].op == PLAN_UPDATE)
                        need += s->plan.entries[i].uki
                                ? uki_bytes(s, &s->plan.entries[i], block)
                                : esp_blocks_bytes(strlen(s->plan.entries[i].text), block);
        if (s->plan.loader_conf)
                need += esp_blocks_bytes(strlen(s->plan.loader_conf), block);
        return need;
}

/* Writes koompi/<id>/ through a temporary directory renamed into place. */
static int write_kernel(int kfd, const char *kdir, const struct kernel_pair *p, bool replace) {
        char tmp[64], old[64];
        int r;

        snprintf(tmp, sizeof tmp, ".%s.%d" ESP_TMP_SUFFIX, p->id, (int)getpid());
        snprintf(old, sizeof old, ".%s.old.%d" ESP_TMP_SUFFIX, p->id, (int)getpid());
        esp_remove_tree(kfd, tmp);
        if (mkdirat(kfd, tmp, 0755) < 0)
                return log_errno(-errno, "creating %s/%s failed", kdir, tmp);
        _cleanup_close_ int tfd = openat(kfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0)
                r = -errno;
        else {
                r = esp_copy_file(p->kernel, tfd, "vmlinuz");
                if (r == 0)
                        r = esp_copy_file(p->initrd, tfd, "initramfs.img");
                if (r == 0)
                        r = fsync_dir(tfd);
        }
        if (r == 0 && replace && renameat(kfd, p->id, kfd, old) < 0)
                r = -errno;
        if (r == 0)
                r = rename_noreplace(kfd, tmp, kfd, p->id);
        if (r == 0)
                r = fsync_renamed(kfd, p->id);
        if (r < 0) {
                esp_remove_tree(kfd, tmp);
                return log_errno(r, "storing %s and %s as %s/%s failed", p->kernel, p->initrd, kdir, p->id);
        }
        r = fsync_dir(kfd);
        if (r < 0)
                return log_errno(r, "syncing %s failed", kdir);
        if (replace)
                esp_remove_tree(kfd, old);
        return 0;
}

static void json_action(bool *first, const char *action, const char *file, const char *root,
                        const char *reason) {
        printf("%s{\"action\":", *first ? "" : ",");
        json_str(action);
        printf(",\"file\":");
        json_str(file);
        printf(",\"root\":");
        if (root)
                json_str(root);
        else
                printf("null");
        if (reason) {
                printf(",\"reason\":");
                json_str(reason);
        }
        printf("}");
        *first = false;
}

static const char *op_name(enum plan_op op, bool done) {
        switch (op) {
        case PLAN_KEEP:
                return "keep";
        case PLAN_CREATE:
                return done ? "created" : "create";
        case PLAN_UPDATE:
                return done ? "updated" : "update";
        case PLAN_REMOVE:
                return done ? "removed" : "remove";
        }
        return "?";
}

static void report(struct context *c, const struct sync_state *s, bool done) {
        const struct plan *p = &s->plan;
        if (c->o->json) {
                bool first = true;
                printf("{\"esp\":");
                json_str(c->esp);
                printf(",\"dry_run\":%s,\"entries\":[", c->o->dry_run ? "true" : "false");
                for (size_t i = 0; i < p->n_entries; i++)
                        json_action(&first, op_name(p->entries[i].op, false), p->entries[i].file,
                                    p->entries[i].root, p->entries[i].reason);
                printf("],\"kernels_added\":[");
                for (size_t i = 0; i < p->n_kernels_needed + s->n_repair; i++) {
                        printf("%s", i ? "," : "");
                        json_str(i < p->n_kernels_needed ? p->kernels_needed[i]
                                                         : s->repair[i - p->n_kernels_needed]);
                }
                printf("],\"kernels_removed\":[");
                for (size_t i = 0; i < p->n_kernels_unused; i++) {
                        printf("%s", i ? "," : "");
                        json_str(p->kernels_unused[i]);
                }
                printf("],\"loader_conf_changed\":%s}\n", p->loader_conf ? "true" : "false");
                return;
        }
        const char *pre = c->o->dry_run ? "would " : "";
        for (size_t i = 0; i < p->n_kernels_needed + s->n_repair; i++) {
                const char *id =
                        i < p->n_kernels_needed ? p->kernels_needed[i] : s->repair[i - p->n_kernels_needed];
                const struct kernel_pair *k = pair_of(s, id);
                printf("%s%s kernel %s/%s (%s, %s)\n", pre, done ? "stored" : "store", LAYOUT_KERNELS_DIR, id,
                       k ? k->kernel : "?", k ? k->initrd : "?");
        }
        for (size_t i = 0; i < p->n_entries; i++) {
                const struct plan_entry *e = &p->entries[i];
                if (e->op == PLAN_KEEP)
                        printf("up to date: %s (%s)\n", e->file, e->root);
                else if (e->op == PLAN_REMOVE)
                        printf("%s%s %s (%s%s%s)\n", pre, op_name(e->op, done && !c->o->dry_run), e->file,
                               e->reason, e->root ? " of " : "", e->root ? e->root : "");
                else
                        printf("%s%s %s (%s)\n", pre, op_name(e->op, done && !c->o->dry_run), e->file,
                               e->root);
        }
        if (p->loader_conf)
                printf("%s%s %s: default %s, editor no\n", pre, c->o->dry_run ? "update" : "updated",
                       LAYOUT_LOADER_CONF, p->loader_default);
        for (size_t i = 0; i < p->n_kernels_unused; i++)
                printf("%s%s unused kernel %s/%s\n", pre, c->o->dry_run ? "remove" : "removed",
                       LAYOUT_KERNELS_DIR, p->kernels_unused[i]);
}

/* Kernels first: no entry ever points to a missing one. */
static int write_kernels(int kfd, const char *kdir, const struct sync_state *s) {
        for (size_t i = 0; i < s->plan.n_kernels_needed + s->n_repair; i++) {
                bool repair = i >= s->plan.n_kernels_needed;
                const char *id = repair ? s->repair[i - s->plan.n_kernels_needed] : s->plan.kernels_needed[i];
                const struct kernel_pair *p = pair_of(s, id);
                if (!p || write_kernel(kfd, kdir, p, repair) < 0)
                        return -EIO;
        }
        return 0;
}

/* UKIs created (never replacing) or updated, each built from its root's kernel and image. */
static int write_ukis(int ufd, const char *udir, const struct sync_state *s) {
        for (size_t i = 0; i < s->plan.n_entries; i++) {
                const struct plan_entry *e = &s->plan.entries[i];
                const struct kernel_pair *p = pair_of_root(s, e->root);
                _cleanup_free_ char *said = NULL;
                if (!e->uki || (e->op != PLAN_CREATE && e->op != PLAN_UPDATE) || !p)
                        continue;
                struct uki_build b = {
                        .kernel = p->kernel,
                        .initrd = p->initrd,
                        .descriptor = e->text,
                        .key = s->key[0] ? s->key : NULL,
                        .cert = s->cert[0] ? s->cert : NULL,
                };
                int r = uki_install(&b, ufd, e->file, e->op == PLAN_CREATE, &said);
                if (r == -EEXIST)
                        log_error("%s/%s appeared while syncing; run koompi-boot entries sync again", udir,
                                  e->file);
                else if (r < 0)
                        log_errno(r, "writing %s/%s failed%s%s", udir, e->file, said ? ":\n" : "",
                                  said ? said : "");
                if (r < 0)
                        return -EIO;
        }
        return 0;
}

/* Entries created (never replacing: a counter is never overwritten) or updated. */
static int write_entries(int efd, const char *edir, const struct sync_state *s) {
        for (size_t i = 0; i < s->plan.n_entries; i++) {
                const struct plan_entry *e = &s->plan.entries[i];
                if (e->uki || (e->op != PLAN_CREATE && e->op != PLAN_UPDATE))
                        continue;
                int r = esp_write_file(efd, e->file, e->text, strlen(e->text), e->op == PLAN_CREATE);
                if (r == -EEXIST) {
                        log_error("%s/%s appeared while syncing; run koompi-boot entries sync again", edir,
                                  e->file);
                        return -EIO;
                }
                if (r < 0)
                        return log_errno(r, "writing %s/%s failed", edir, e->file), -EIO;
        }
        return 0;
}

/* Twins and stale entries. */
static int remove_entries(int efd, const char *edir, const struct sync_state *s, bool uki) {
        bool removed = false;
        int r;
        for (size_t i = 0; i < s->plan.n_entries; i++) {
                const struct plan_entry *e = &s->plan.entries[i];
                if (e->op != PLAN_REMOVE || e->uki != uki)
                        continue;
                if (unlinkat(efd, e->file, 0) < 0 && errno != ENOENT)
                        return log_errno(-errno, "removing %s/%s failed", edir, e->file), -EIO;
                removed = true;
        }
        if (removed && (r = fsync_dir(efd)) < 0)
                return log_errno(r, "syncing %s failed", edir), -EIO;
        return 0;
}

static int write_loader_conf(struct context *c, const struct sync_state *s) {
        char ldir[PATH_MAX];
        if (!s->plan.loader_conf)
                return 0;
        pathf(ldir, sizeof ldir, "%s/loader", c->esp);
        _cleanup_close_ int lfd = open(ldir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lfd < 0)
                return log_errno(-errno, "opening %s failed", ldir), -EIO;
        int r = esp_write_file(lfd, "loader.conf", s->plan.loader_conf, strlen(s->plan.loader_conf), false);
        if (r < 0)
                return log_errno(r, "writing %s/loader.conf failed", ldir), -EIO;
        return 0;
}

/* Kernels nothing refers to any more; a failure is left to the next sync. */
static void remove_unused_kernels(int kfd, const char *kdir, const struct sync_state *s) {
        for (size_t i = 0; i < s->plan.n_kernels_unused; i++) {
                int r = esp_remove_tree(kfd, s->plan.kernels_unused[i]);
                if (r < 0)
                        log_errno(r, "removing %s/%s failed; the next sync tries again", kdir,
                                  s->plan.kernels_unused[i]);
        }
        if (s->plan.n_kernels_unused > 0)
                fsync_dir(kfd);
}

/* EFI/Linux, made with image = uki; without, only opened when it is there (its UKIs may go).
 * A file descriptor, -ENOENT when there is none, -EIO after saying why. */
static int open_uki_dir(struct context *c, char *udir, size_t size) {
        pathf(udir, size, "%s/%s", c->esp, UKI_DIR);
        if (streq_ptr(c->config.image, "uki")) {
                int r = mkdir_p(udir, 0755);
                if (r < 0)
                        return log_errno(r, "creating %s failed", udir), -EIO;
        }
        int fd = open(udir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT)
                return log_errno(-errno, "opening %s failed", udir), -EIO;
        if (fd >= 0)
                esp_remove_temporaries(fd);
        return fd < 0 ? -ENOENT : fd;
}

static int execute(struct context *c, struct sync_state *s) {
        char edir[PATH_MAX], kdir[PATH_MAX], udir[PATH_MAX];
        int r;

        pathf(edir, sizeof edir, "%s/%s", c->esp, LAYOUT_ENTRIES_DIR);
        pathf(kdir, sizeof kdir, "%s/%s", c->esp, LAYOUT_KERNELS_DIR);
        r = mkdir_p(edir, 0755);
        if (r == 0)
                r = mkdir_p(kdir, 0755);
        if (r < 0)
                return log_errno(r, "creating %s and %s failed", edir, kdir), -EIO;
        _cleanup_close_ int efd = open(edir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int kfd = open(kdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (efd < 0 || kfd < 0)
                return log_errno(-errno, "opening the ESP's directories failed"), -EIO;
        /* What a crash left half written. */
        esp_remove_temporaries(efd);
        esp_remove_temporaries(kfd);

        _cleanup_close_ int ufd = open_uki_dir(c, udir, sizeof udir);
        if (ufd == -EIO)
                return -EIO;
        fault_point("sync-planned");
        r = write_kernels(kfd, kdir, s);
        if (r == 0 && ufd >= 0)
                r = write_ukis(ufd, udir, s);
        if (r == 0) {
                fault_point("sync-kernels");
                r = write_entries(efd, edir, s);
        }
        if (r == 0) {
                fault_point("sync-entries");
                r = remove_entries(efd, edir, s, false);
        }
        if (r == 0 && ufd >= 0)
                r = remove_entries(ufd, udir, s, true);
        if (r == 0)
                r = write_loader_conf(c, s);
        /* The loader the firmware checks before any UKI: signed with the same key. */
        if (r == 0 && s->key[0])
                r = admin_sign_loader(c, NULL);
        if (r != 0)
                return r;
        remove_unused_kernels(kfd, kdir, s);
        if (syncfs(efd) < 0)
                return log_errno(-errno, "syncing the ESP %s failed", c->esp), -EIO;
        return 0;
}

static int options_of(struct context *c, char **ret) {
        _cleanup_free_ char *cmdline = NULL;
        int r;
        if (c->o->kernel_options)
                r = plan_base_options(c->o->kernel_options, ret);
        else {
                r = read_file("/proc/cmdline", &cmdline, NULL);
                if (r < 0)
                        return log_errno(r, "reading /proc/cmdline failed; give --options \"...\""), -ENOENT;
                r = plan_base_options(cmdline, ret);
        }
        return r < 0 ? (log_errno(r, "parsing the kernel options failed"), -ENOENT) : 0;
}

/* The ESP, the top level, the base options, and the lock of update, snapshot, prune and rollback
 * (already held when one of them syncs): a sync run by hand never writes the ESP under a
 * transaction's feet. A dry run writes nothing and goes without. */
static int sync_begin(struct context *c, struct sync_state *s) {
        /* The ESP before the private mount namespace: an automounted ESP is mounted now. */
        int r = c->o->dry_run ? ctx_need_esp(c) : ctx_need_esp_writable(c);
        if (r == 0)
                r = ctx_need_top(c);
        if (r == 0)
                r = options_of(c, &s->options);
        if (r == 0 && !c->o->dry_run)
                r = admin_lock(c);
        return r;
}

/* What a new entry of each root starts as: its state by the ledger (root_state_decide(); a
 * root that gets a new entry has none to count on), known good: no counter, known bad: spent. */
static void plan_root_states(struct context *c, struct sync_state *s, const struct ledger *l) {
        for (size_t i = 0; i < s->n_roots; i++) {
                struct ledger_root_status ls;
                struct root_verdict v;
                ledger_root_status(l, s->roots[i].name, &ls);
                root_state_decide(&(struct root_evidence) { .ledger = &ls, .tries = c->config.boot_tries },
                                  &v);
                s->proots[i] = (struct plan_root) {
                        .name = s->roots[i].name,
                        .read_only = s->roots[i].read_only,
                        .generation = s->roots[i].otransid,
                        .good = v.state == ROOT_GOOD,
                        .bad = v.state == ROOT_BAD,
                };
        }
}

/* The roots, the ledger, the entries and kernels on the ESP, each root's kernel. */
static int sync_gather(struct context *c, struct sync_state *s) {
        struct ledger l;
        int r = btrfs_list_roots(c->top, LAYOUT_ROOT_PREFIX, &s->roots, &s->n_roots);
        if (r < 0) {
                log_errno(
                        r,
                        "listing the root snapshots under %s failed (is it the Btrfs top level, subvolid=5?)",
                        c->top);
                return -ENOENT;
        }
        /* The ESP first: the entries there save hashing the kernels of unchanged roots. */
        r = read_esp(c, s);
        if (r != 0)
                return r;
        s->proots = calloc(s->n_roots ? s->n_roots : 1, sizeof *s->proots);
        s->pairs = calloc(s->n_roots ? s->n_roots : 1, sizeof *s->pairs);
        if (!s->proots || !s->pairs)
                abort();
        /* The ledger says which roots are known good or bad; unreadable, every root is untested. */
        ledger_init(&l);
        if (ctx_ledger_load(c, &l, false) != 0)
                log_warning("every root is taken as untested");
        plan_root_states(c, s, &l);
        ledger_free(&l);
        for (size_t i = 0; i < s->n_roots; i++) {
                if (!s->roots[i].read_only)
                        continue;
                r = root_kernel(c, s, i);
                if (r != 0)
                        return r;
                s->proots[i].kernel_id = s->pairs[i].id;
        }
        return 0;
}

/* plan_entries()'s refusals, said for people. Returns 0 or a negative errno. */
static int plan_refused(struct context *c, const struct sync_state *s, int r) {
        if (r == -ENOENT)
                log_error(
                        "no read-only root snapshot (%s*) under %s: refusing to remove every entry; nothing "
                        "was changed",
                        LAYOUT_ROOT_PREFIX, c->top);
        else if (r == -EEXIST)
                log_error(
                        "the roots %s and %s would get the same entry (IDs ignore case and odd characters); "
                        "rename one of them; nothing was changed",
                        s->plan.conflict[0], s->plan.conflict[1]);
        else if (r == -EINVAL)
                log_error("the root name \"%s\" cannot go on a kernel command line (spaces, quotes or "
                          "non-ASCII bytes); rename it; nothing was changed",
                          s->plan.conflict[0] ? s->plan.conflict[0] : "?");
        else {
                log_errno(r, "planning the entries failed");
                return -ENOENT;
        }
        return -EPERM;
}

/* With image = uki: the stub must be there, and the db key when [secureboot] keys holds one
 * (then UKIs are signed). Returns 0 or a negative errno. */
static int uki_prepare(struct context *c, struct sync_state *s) {
        const char *dir = c->config.sb_keys;
        int r;

        if (!streq_ptr(c->config.image, "uki"))
                return 0;
        if (!is_regular(UKI_STUB, NULL))
                return log_error(
                               "image = uki needs systemd-boot's stub %s (package systemd-boot-efi); nothing "
                               "was changed",
                               UKI_STUB),
                       -ENOENT;
        if (!dir || !*dir)
                return 0;
        pathf(s->key, sizeof s->key, "%s/db.key", dir);
        pathf(s->cert, sizeof s->cert, "%s/db.crt", dir);
        if (!is_regular(s->key, NULL) || !is_regular(s->cert, NULL)) {
                log_debug("no db.key and db.crt in %s: the unified kernel images are not signed", dir);
                s->key[0] = s->cert[0] = 0;
                return 0;
        }
        r = uki_signer_of(s->cert, s->signer);
        if (r < 0)
                return log_errno(r, "reading %s failed", s->cert), -ENOENT;
        return 0;
}

static int sync_plan(struct context *c, struct sync_state *s) {
        int r = uki_prepare(c, s);
        if (r < 0)
                return r;
        struct plan_input in = {
                .roots = s->proots,
                .n_roots = s->n_roots,
                .entries = s->files,
                .n_entries = s->n_files,
                .kernel_dirs = (const char *const *)s->kdirs,
                .n_kernel_dirs = s->n_kdirs,
                .options = s->options,
                .tries = c->config.boot_tries,
                .loader_conf = s->loader_conf,
                .uki = streq_ptr(c->config.image, "uki"),
                .ukis = s->ukis,
                .n_ukis = s->n_ukis,
                .signer = s->signer,
        };
        r = plan_entries(&in, &s->plan);
        if (r < 0)
                return plan_refused(c, s, r);
        if (!in.uki)
                find_damaged(c, s);
        return 0;
}

/* Room for everything before anything is written. */
static int sync_room(struct context *c, const struct sync_state *s) {
        _cleanup_close_ int espfd = open(c->esp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint64_t avail = 0, block = 4096;
        if (espfd < 0 || esp_free_space(espfd, &avail, &block) < 0) {
                log_errno(-errno, "finding the free space of %s failed", c->esp);
                return -ENOENT;
        }
        uint64_t need = space_needed(s, block);
        if (need > avail) {
                log_error("ESP full: need %" PRIu64 " bytes, %" PRIu64
                          " free on %s; remove old kernels or root "
                          "snapshots, then run koompi-boot entries sync again; nothing was changed",
                          need, avail, c->esp);
                return -ENOSPC;
        }
        return 0;
}

static int entries_sync(struct context *c) {
        struct sync_state s = {};
        int r = sync_begin(c, &s);
        if (r == 0)
                r = sync_gather(c, &s);
        if (r == 0)
                r = sync_plan(c, &s);
        if (r == 0)
                r = sync_room(c, &s);
        if (r == 0 && c->o->dry_run)
                report(c, &s, false);
        else if (r == 0) {
                r = execute(c, &s);
                if (r == 0)
                        report(c, &s, true);
        }
        sync_state_free(&s);
        return r;
}

int verb_entries_sync(struct context *c) {
        bool locked = admin_locked();
        int r = entries_sync(c);
        if (!locked)
                admin_end();
        return r;
}
