/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cpio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "sha256.h"
#include "util.h"

#define CPIO_MAGIC "070701"
#define CPIO_HEADER_SIZE 110
#define CPIO_TRAILER "TRAILER!!!"
#define MAX_SYMLINK_HOPS 40
#define OUT_BUFFER_MAX (1024 * 1024)

struct entry {
        char *path; /* normalized: no leading '/', no empty, "." or ".." parts */
        unsigned mode; /* S_IFxxx | permission bits */
        unsigned rmajor, rminor;
        char *src; /* regular file: read from here, else from data */
        char *data; /* regular file content, or symlink target */
        size_t size;
        bool implicit; /* directory added for a child; explicit adds may change it */
        unsigned segment; /* see cpio_set_segment(); unused for directories */
        bool keep; /* scratch of segment_entries() */
};

#define ALL_SEGMENTS UINT_MAX

struct cpio {
        uint32_t mtime;
        unsigned segment; /* of the entries added next */
        struct entry **entries;
        size_t n, allocated;
        size_t *table; /* open addressing on path: index + 1, 0 = free */
        size_t table_size;
        char write_error[PATH_MAX + 64]; /* the source file the last write failed on */
};

int cpio_mtime_from_env(uint32_t *ret) {
        const char *s = getenv("SOURCE_DATE_EPOCH");
        if (!s || !*s) {
                *ret = 0;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || *s == '-' || v > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t)v;
        return 0;
}

int cpio_new(uint32_t mtime, struct cpio **ret) {
        struct cpio *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->mtime = mtime;
        c->table_size = 256;
        c->table = calloc(c->table_size, sizeof *c->table);
        if (!c->table) {
                free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

static void entry_free(struct entry *e) {
        if (!e)
                return;
        free(e->path);
        free(e->src);
        free(e->data);
        free(e);
}

struct cpio *cpio_free(struct cpio *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++)
                entry_free(c->entries[i]);
        free(c->entries);
        free(c->table);
        free(c);
        return NULL;
}

size_t cpio_count(const struct cpio *c) {
        return c->n;
}

/* --- the path table --- */

static size_t hash_path(const char *s, size_t len) {
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char)s[i];
                h *= 1099511628211ULL;
        }
        return (size_t)h;
}

static struct entry *find(const struct cpio *c, const char *path, size_t len) {
        size_t mask = c->table_size - 1;
        for (size_t i = hash_path(path, len) & mask;; i = (i + 1) & mask) {
                size_t slot = c->table[i];
                if (slot == 0)
                        return NULL;
                struct entry *e = c->entries[slot - 1];
                if (strncmp(e->path, path, len) == 0 && e->path[len] == 0)
                        return e;
        }
}

static void table_put(struct cpio *c, size_t index) {
        const char *p = c->entries[index]->path;
        size_t mask = c->table_size - 1;
        size_t i = hash_path(p, strlen(p)) & mask;
        while (c->table[i])
                i = (i + 1) & mask;
        c->table[i] = index + 1;
}

static int table_grow(struct cpio *c) {
        size_t *t = calloc(c->table_size * 2, sizeof *t);
        if (!t)
                return -ENOMEM;
        free(c->table);
        c->table = t;
        c->table_size *= 2;
        for (size_t i = 0; i < c->n; i++)
                table_put(c, i);
        return 0;
}

/* Takes ownership of e, also on failure. */
static int insert(struct cpio *c, struct entry *e) {
        if ((c->n + 1) * 2 > c->table_size && table_grow(c) < 0) {
                entry_free(e);
                return -ENOMEM;
        }
        if (c->n == c->allocated) {
                size_t a = c->allocated ? c->allocated * 2 : 256;
                struct entry **n = realloc(c->entries, a * sizeof *n);
                if (!n) {
                        entry_free(e);
                        return -ENOMEM;
                }
                c->entries = n;
                c->allocated = a;
        }
        c->entries[c->n] = e;
        table_put(c, c->n);
        c->n++;
        return 0;
}

/* --- paths --- */

/* Appends the components of in to out (holding *len bytes, normalized), resolving "." and
 * "..". -EINVAL when ".." leaves the root, -ENAMETOOLONG. */
static int append_components(char *out, size_t *len, const char *in) {
        for (const char *p = in; *p;) {
                size_t n = strcspn(p, "/");
                if (n == 0 || (n == 1 && p[0] == '.')) {
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (*len == 0)
                                return -EINVAL;
                        char *slash = memrchr(out, '/', *len);
                        *len = slash ? (size_t)(slash - out) : 0;
                        out[*len] = 0;
                } else {
                        if (*len + n + 2 > PATH_MAX)
                                return -ENAMETOOLONG;
                        if (*len > 0)
                                out[(*len)++] = '/';
                        memcpy(out + *len, p, n);
                        *len += n;
                        out[*len] = 0;
                }
                p += n;
                p += strspn(p, "/");
        }
        return 0;
}

/* Normalizes path and follows the symlinks of the archive among its parents. The last
 * component is not followed. out has PATH_MAX bytes. */
static int resolve(const struct cpio *c, const char *path, char *out) {
        char buf[PATH_MAX];
        size_t len = 0;
        unsigned hops = 0;

        out[0] = 0;
        int r = append_components(out, &len, path);
        if (r < 0)
                return r;
        if (len == 0)
                return -EINVAL;

        for (size_t i = 0; i < len;) {
                size_t end = i + strcspn(out + i, "/");
                if (end == len)
                        break;
                struct entry *e = find(c, out, end);
                if (!e || S_ISDIR(e->mode)) {
                        i = end + 1;
                        continue;
                }
                if (!S_ISLNK(e->mode))
                        return -ENOTDIR;
                if (++hops > MAX_SYMLINK_HOPS)
                        return -ELOOP;
                /* dir of the link + its target + what followed the link */
                size_t blen = 0;
                buf[0] = 0;
                if (e->data[0] != '/') {
                        char dir[PATH_MAX];
                        memcpy(dir, out, i);
                        dir[i] = 0;
                        r = append_components(buf, &blen, dir);
                        if (r < 0)
                                return r;
                }
                r = append_components(buf, &blen, e->data);
                if (r == 0)
                        r = append_components(buf, &blen, out + end);
                if (r < 0)
                        return r;
                if (blen == 0)
                        return -EINVAL;
                memcpy(out, buf, blen + 1);
                len = blen;
                i = 0;
        }
        return 0;
}

static int add_parents(struct cpio *c, const char *path) {
        for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
                size_t len = (size_t)(s - path);
                struct entry *e = find(c, path, len);
                if (e) {
                        /* resolve() followed every symlink and refused every other kind */
                        if (!S_ISDIR(e->mode))
                                return -ENOTDIR;
                        continue;
                }
                e = calloc(1, sizeof *e);
                if (!e || !(e->path = strndup(path, len))) {
                        free(e);
                        return -ENOMEM;
                }
                e->mode = S_IFDIR | 0755;
                e->implicit = true;
                int r = insert(c, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool same_entry(const struct entry *a, const struct entry *b) {
        if (a->mode != b->mode)
                return false;
        switch (a->mode & S_IFMT) {
        case S_IFLNK:
                return streq(a->data, b->data);
        case S_IFCHR:
                return a->rmajor == b->rmajor && a->rminor == b->rminor;
        case S_IFREG:
                if (a->src || b->src)
                        return streq_ptr(a->src, b->src);
                return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
        }
        return false;
}

/* The kernel and cpio readers stop at an entry named TRAILER!!!: one at that path (a directory
 * above another entry too) would cut the archive there. */
static bool is_trailer_path(const char *resolved) {
        size_t n = strlen(CPIO_TRAILER);
        return strncmp(resolved, CPIO_TRAILER, n) == 0 && (resolved[n] == 0 || resolved[n] == '/');
}

/* Takes ownership of e (its path not yet set), also on failure. */
static int add_entry(struct cpio *c, const char *path, struct entry *e) {
        char resolved[PATH_MAX];
        int r = resolve(c, path, resolved);
        if (r == 0 && is_trailer_path(resolved))
                r = -EINVAL;
        if (r < 0) {
                entry_free(e);
                return r;
        }
        struct entry *old = find(c, resolved, strlen(resolved));
        if (old) {
                if (S_ISDIR(old->mode) && S_ISDIR(e->mode)) {
                        if (old->implicit)
                                old->mode = e->mode;
                        old->implicit = false;
                        r = 0;
                } else
                        r = same_entry(old, e) ? 0 : -EEXIST;
                entry_free(e);
                return r;
        }
        e->segment = c->segment;
        e->path = strdup(resolved);
        if (!e->path) {
                entry_free(e);
                return -ENOMEM;
        }
        r = add_parents(c, resolved);
        if (r < 0) {
                entry_free(e);
                return r;
        }
        return insert(c, e);
}

static struct entry *entry_new(unsigned mode) {
        struct entry *e = calloc(1, sizeof *e);
        if (e)
                e->mode = mode;
        return e;
}

int cpio_add_dir(struct cpio *c, const char *path, unsigned mode) {
        struct entry *e = entry_new(S_IFDIR | (mode & 07777));
        if (!e)
                return -ENOMEM;
        return add_entry(c, path, e);
}

int cpio_add_file(struct cpio *c, const char *path, unsigned mode, const char *src) {
        struct stat st;
        _cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uint64_t)st.st_size > UINT32_MAX)
                return -EFBIG;
        if (mode == CPIO_MODE_FROM_SOURCE)
                mode = st.st_mode;
        struct entry *e = entry_new(S_IFREG | (mode & 07777));
        if (!e)
                return -ENOMEM;
        e->src = strdup(src);
        if (!e->src) {
                entry_free(e);
                return -ENOMEM;
        }
        e->size = (size_t)st.st_size;
        return add_entry(c, path, e);
}

int cpio_add_data(struct cpio *c, const char *path, unsigned mode, const void *data, size_t len) {
        if ((uint64_t)len > UINT32_MAX)
                return -EFBIG;
        struct entry *e = entry_new(S_IFREG | (mode & 07777));
        if (!e)
                return -ENOMEM;
        e->data = malloc(len ? len : 1);
        if (!e->data) {
                entry_free(e);
                return -ENOMEM;
        }
        if (len)
                memcpy(e->data, data, len);
        e->size = len;
        return add_entry(c, path, e);
}

int cpio_add_symlink(struct cpio *c, const char *path, const char *target) {
        if (!*target)
                return -EINVAL;
        struct entry *e = entry_new(S_IFLNK | 0777);
        if (!e)
                return -ENOMEM;
        e->data = strdup(target);
        if (!e->data) {
                entry_free(e);
                return -ENOMEM;
        }
        e->size = strlen(target);
        return add_entry(c, path, e);
}

int cpio_add_chardev(struct cpio *c, const char *path, unsigned mode, unsigned major, unsigned minor) {
        struct entry *e = entry_new(S_IFCHR | (mode & 07777));
        if (!e)
                return -ENOMEM;
        e->rmajor = major;
        e->rminor = minor;
        return add_entry(c, path, e);
}

int cpio_stat(struct cpio *c, const char *path, unsigned *ret_mode) {
        char resolved[PATH_MAX];
        int r = resolve(c, path, resolved);
        if (r < 0)
                return r == -ENOTDIR ? -ENOENT : r;
        struct entry *e = find(c, resolved, strlen(resolved));
        if (!e)
                return -ENOENT;
        if (ret_mode)
                *ret_mode = e->mode;
        return 0;
}

/* --- writing --- */

struct out {
        char *buf;
        size_t size, used;
        uint64_t total;
        cpio_sink_t sink;
        void *userdata;
        char *error; /* what went wrong with a source file, for the caller's message */
        size_t error_size;
};

static int out_flush(struct out *o) {
        if (o->used == 0)
                return 0;
        int r = o->sink(o->buf, o->used, o->userdata);
        o->used = 0;
        return r < 0 ? r : 0;
}

static int out_put(struct out *o, const void *data, size_t len) {
        const char *p = data;
        while (len > 0) {
                if (o->used == o->size) {
                        int r = out_flush(o);
                        if (r < 0)
                                return r;
                }
                size_t n = o->size - o->used;
                if (n > len)
                        n = len;
                memcpy(o->buf + o->used, p, n);
                o->used += n;
                o->total += n;
                p += n;
                len -= n;
        }
        return 0;
}

static int out_pad(struct out *o) {
        static const char zeros[4];
        size_t pad = (4 - o->total % 4) % 4;
        return out_put(o, zeros, pad);
}

/* Copies size bytes of fd to the output, reading straight into its buffer. */
static int out_copy_fd(struct out *o, int fd, size_t size) {
        while (size > 0) {
                if (o->used == o->size) {
                        int r = out_flush(o);
                        if (r < 0)
                                return r;
                }
                size_t n = o->size - o->used;
                if (n > size)
                        n = size;
                ssize_t k = read(fd, o->buf + o->used, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ENODATA; /* the file shrank since it was added */
                o->used += (size_t)k;
                o->total += (uint64_t)k;
                size -= (size_t)k;
        }
        return 0;
}

static int out_header(struct out *o, const char *name, uint32_t ino, uint32_t mode, uint32_t nlink,
                      uint32_t mtime, uint32_t size, uint32_t rmajor, uint32_t rminor) {
        char h[CPIO_HEADER_SIZE + 1];
        size_t namesize = strlen(name) + 1;
        snprintf(h, sizeof h, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", CPIO_MAGIC, ino, mode,
                 0u, 0u, nlink, mtime, size, 0u, 0u, rmajor, rminor, (uint32_t)namesize, 0u);
        int r = out_put(o, h, CPIO_HEADER_SIZE);
        if (r == 0)
                r = out_put(o, name, namesize);
        if (r == 0)
                r = out_pad(o);
        return r;
}

static int source_failed(struct out *o, int r, const char *before, const char *src, const char *after) {
        snprintf(o->error, o->error_size, "%s%s%s", before, src, after);
        return r;
}

static int write_file_entry(struct out *o, const struct entry *e, uint32_t ino, uint32_t mtime) {
        struct stat st;
        _cleanup_close_ int fd = open(e->src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return source_failed(o, -errno, "cannot open ", e->src, "");
        if (fstat(fd, &st) < 0)
                return source_failed(o, -errno, "cannot stat ", e->src, "");
        if (!S_ISREG(st.st_mode))
                return source_failed(o, -EINVAL, "", e->src, " is no longer a regular file");
        if ((uint64_t)st.st_size > UINT32_MAX)
                return source_failed(o, -EFBIG, "", e->src, "");
        int r = out_header(o, e->path, ino, e->mode, 1, mtime, (uint32_t)st.st_size, 0, 0);
        if (r < 0)
                return r;
        r = out_copy_fd(o, fd, (size_t)st.st_size);
        if (r == -ENODATA)
                return source_failed(o, -EIO, "", e->src, " shrank while it was being read");
        if (r < 0)
                return source_failed(o, r, "reading ", e->src, " failed");
        return out_pad(o);
}

static int write_entry(struct out *o, const struct entry *e, uint32_t ino, uint32_t mtime) {
        if (S_ISREG(e->mode) && e->src)
                return write_file_entry(o, e, ino, mtime);

        uint32_t nlink = S_ISDIR(e->mode) ? 2 : 1;
        uint32_t size = S_ISREG(e->mode) || S_ISLNK(e->mode) ? (uint32_t)e->size : 0;
        int r = out_header(o, e->path, ino, e->mode, nlink, mtime, size, e->rmajor, e->rminor);
        if (r < 0 || size == 0)
                return r;
        r = out_put(o, e->data, size);
        if (r < 0)
                return r;
        return out_pad(o);
}

static int entry_cmp(const void *a, const void *b) {
        const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
        return strcmp(x->path, y->path);
}

void cpio_set_segment(struct cpio *c, unsigned segment) {
        c->segment = segment;
}

size_t cpio_segment_count(const struct cpio *c, unsigned segment) {
        size_t n = 0;
        for (size_t i = 0; i < c->n; i++)
                n += !S_ISDIR(c->entries[i]->mode) && c->entries[i]->segment == segment;
        return n;
}

/* The entries of a segment (ALL_SEGMENTS: every entry), sorted by path, with the directories
 * above them: a parent sorts before its children, a path being a prefix of theirs. The
 * parents of a path are found by its prefixes, which are normalized paths too. */
static int segment_entries(const struct cpio *c, unsigned segment, struct entry ***ret, size_t *ret_n) {
        struct entry **sorted = malloc((c->n ? c->n : 1) * sizeof *sorted);
        if (!sorted)
                return -ENOMEM;
        for (size_t i = 0; i < c->n; i++) {
                struct entry *e = c->entries[i];
                e->keep = segment == ALL_SEGMENTS || (!S_ISDIR(e->mode) && e->segment == segment);
        }
        if (segment != ALL_SEGMENTS)
                for (size_t i = 0; i < c->n; i++) {
                        const struct entry *e = c->entries[i];
                        if (!e->keep || S_ISDIR(e->mode))
                                continue;
                        for (const char *s = strchr(e->path, '/'); s; s = strchr(s + 1, '/')) {
                                struct entry *d = find(c, e->path, (size_t)(s - e->path));
                                if (d)
                                        d->keep = true;
                        }
                }
        size_t n = 0;
        for (size_t i = 0; i < c->n; i++)
                if (c->entries[i]->keep)
                        sorted[n++] = c->entries[i];
        /* Sorting a copy keeps the hash table's indexes valid. */
        qsort(sorted, n, sizeof *sorted, entry_cmp);
        *ret = sorted;
        *ret_n = n;
        return 0;
}

static uint64_t padded(uint64_t n) {
        return (n + 3) & ~(uint64_t)3;
}

/* The size of the output buffer: the archive's length as the entries were added (a source
 * file may have grown since; the buffer is then flushed when full), at most OUT_BUFFER_MAX.
 * A small archive is not given a large buffer: the sink sees the same bytes either way. */
static size_t out_buffer_size(struct entry *const *sorted, size_t n) {
        uint64_t total = padded(CPIO_HEADER_SIZE + sizeof CPIO_TRAILER);
        for (size_t i = 0; i < n && total < OUT_BUFFER_MAX; i++) {
                const struct entry *e = sorted[i];
                uint64_t size = S_ISREG(e->mode) || S_ISLNK(e->mode) ? e->size : 0;
                total += padded(CPIO_HEADER_SIZE + strlen(e->path) + 1) + padded(size);
        }
        return total < OUT_BUFFER_MAX ? (size_t)total : OUT_BUFFER_MAX;
}

static int write_entries(struct cpio *c, unsigned segment, cpio_sink_t sink, void *userdata,
                         uint64_t *ret_size) {
        _cleanup_free_ struct entry **sorted = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        c->write_error[0] = 0;
        int r = segment_entries(c, segment, &sorted, &n);
        if (r < 0)
                return r;
        size_t size = out_buffer_size(sorted, n);
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;

        struct out o = { .buf = buf,
                         .size = size,
                         .sink = sink,
                         .userdata = userdata,
                         .error = c->write_error,
                         .error_size = sizeof c->write_error };
        for (size_t i = 0; i < n; i++) {
                r = write_entry(&o, sorted[i], (uint32_t)(i + 1), c->mtime);
                if (r < 0)
                        return r;
        }
        r = out_header(&o, CPIO_TRAILER, 0, 0, 1, 0, 0, 0, 0);
        if (r == 0)
                r = out_flush(&o);
        if (r < 0)
                return r;
        if (ret_size)
                *ret_size = o.total;
        return 0;
}

int cpio_write(struct cpio *c, cpio_sink_t sink, void *userdata, uint64_t *ret_size) {
        return write_entries(c, ALL_SEGMENTS, sink, userdata, ret_size);
}

int cpio_write_segment(struct cpio *c, unsigned segment, cpio_sink_t sink, void *userdata,
                       uint64_t *ret_size) {
        return write_entries(c, segment, sink, userdata, ret_size);
}

static void digest_u64(struct sha256_ctx *h, uint64_t v) {
        uint8_t b[8];
        for (unsigned i = 0; i < 8; i++)
                b[i] = (uint8_t)(v >> (8 * i));
        sha256_update(h, b, sizeof b);
}

static void digest_str(struct sha256_ctx *h, const char *s) {
        digest_u64(h, strlen(s));
        sha256_update(h, s, strlen(s));
}

/* A source file by its content alone (with its length): the same bytes give the same key wherever they
 * are read from, another root's snapshot of them included. */
static int digest_file(struct sha256_ctx *h, const char *src) {
        uint8_t digest[SHA256_DIGEST_SIZE];
        uint64_t size = 0;
        int r = sha256_file(src, digest, &size);
        if (r < 0)
                return r;
        digest_u64(h, size);
        sha256_update(h, digest, sizeof digest);
        return 0;
}

int cpio_segment_digest(const struct cpio *c, unsigned segment, uint8_t ret[32]) {
        _cleanup_free_ struct entry **sorted = NULL;
        size_t n = 0;
        int r = segment_entries(c, segment, &sorted, &n);
        if (r < 0)
                return r;
        struct sha256_ctx h;
        sha256_init(&h);
        digest_str(&h, "koompi cpio segment 2");
        digest_u64(&h, c->mtime);
        for (size_t i = 0; i < n && r == 0; i++) {
                const struct entry *e = sorted[i];
                digest_str(&h, e->path);
                digest_u64(&h, e->mode);
                digest_u64(&h, (uint64_t)e->rmajor << 32 | e->rminor);
                digest_u64(&h, e->src != NULL); /* a file's digest never reads as an entry's bytes */
                if (e->src)
                        r = digest_file(&h, e->src);
                else {
                        digest_u64(&h, e->size);
                        if (e->size)
                                sha256_update(&h, e->data, e->size);
                }
        }
        if (r == 0)
                sha256_final(&h, ret);
        return r;
}

static int sink_fd(const void *buf, size_t len, void *userdata) {
        return write_full(*(int *)userdata, buf, len);
}

int cpio_write_fd(struct cpio *c, int fd, uint64_t *ret_size) {
        return cpio_write(c, sink_fd, &fd, ret_size);
}

struct mem {
        char *data;
        size_t len, allocated;
};

static int sink_mem(const void *buf, size_t len, void *userdata) {
        struct mem *m = userdata;
        if (m->len + len > m->allocated) {
                size_t a = m->allocated ? m->allocated : 4096;
                while (a < m->len + len)
                        a *= 2;
                char *n = realloc(m->data, a);
                if (!n)
                        return -ENOMEM;
                m->data = n;
                m->allocated = a;
        }
        memcpy(m->data + m->len, buf, len);
        m->len += len;
        return 0;
}

static int write_mem(struct cpio *c, unsigned segment, void **ret, size_t *ret_len) {
        struct mem m = { 0 };
        int r = write_entries(c, segment, sink_mem, &m, NULL);
        if (r < 0) {
                free(m.data);
                return r;
        }
        *ret = m.data;
        *ret_len = m.len;
        return 0;
}

const char *cpio_write_error(const struct cpio *c) {
        return c->write_error;
}

int cpio_write_mem(struct cpio *c, void **ret, size_t *ret_len) {
        return write_mem(c, ALL_SEGMENTS, ret, ret_len);
}

int cpio_write_segment_mem(struct cpio *c, unsigned segment, void **ret, size_t *ret_len) {
        return write_mem(c, segment, ret, ret_len);
}
