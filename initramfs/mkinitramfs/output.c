/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing the archive: compressed with libzstd or not, to a temporary file beside the
 * output, renamed over it only when complete. A compressed image is archives laid end to end:
 * the host's files (the bulk, the same from one build to the next until a package changes) in
 * three parts, /init, busybox and the libraries, then the kernel's modules, each compressed
 * once and kept in the cache under the digest of its content, so a package that changes one
 * part costs the compression of that part only; then this image's own files (settings,
 * keymap, included files, module indexes), compressed on every build. Included files are
 * never cached: a keyfile stays in the image only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <zstd.h>

#include "log.h"
#include "mkinitramfs.h"
#include "sha256.h"
#include "util.h"

#define MAX_ZSTD_WORKERS 8
#define ZSTD_JOB_SIZE (4 * 1024 * 1024)
/* Cached segments kept: a few kernels' worth of each part, so switching back and forth stays
 * fast. */
#define CACHE_KEEP 12

struct zout {
        ZSTD_CCtx *cctx;
        int fd;
        void *buf;
        size_t size;
};

static int zout_stream(struct zout *z, const void *data, size_t len, ZSTD_EndDirective mode) {
        ZSTD_inBuffer in = { data, len, 0 };
        for (;;) {
                ZSTD_outBuffer out = { z->buf, z->size, 0 };
                size_t left = ZSTD_compressStream2(z->cctx, &out, &in, mode);
                if (ZSTD_isError(left)) {
                        log_error("zstd compression failed: %s", ZSTD_getErrorName(left));
                        return -EIO;
                }
                int r = write_full(z->fd, z->buf, out.pos);
                if (r < 0)
                        return r;
                if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
                        return 0;
        }
}

static int zout_sink(const void *buf, size_t len, void *userdata) {
        return zout_stream(userdata, buf, len, ZSTD_e_continue);
}

/* Compresses one segment of the archive into fd as one zstd frame. */
static int write_zstd(struct mki *m, int fd, unsigned segment) {
        struct zout z = { .fd = fd, .size = ZSTD_CStreamOutSize() };
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        int r;

        z.cctx = ZSTD_createCCtx();
        z.buf = malloc(z.size);
        if (!z.cctx || !z.buf) {
                r = -ENOMEM;
                goto out;
        }
        if (ZSTD_isError(ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_compressionLevel, m->zstd_level)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_checksumFlag, 1))) {
                r = log_errno(-EINVAL, "zstd refused level %d", m->zstd_level);
                goto out;
        }
        /* The output does not depend on the number of workers, only on there being some
         * (one worker on a single CPU gives the same bytes as eight). A libzstd built
         * without threads refuses this and compresses in this thread. */
        if (!ZSTD_isError(ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_nbWorkers,
                                                 cpus < 1                          ? 1
                                                         : cpus > MAX_ZSTD_WORKERS ? MAX_ZSTD_WORKERS
                                                                                   : (int)cpus)))
                /* Jobs of a fixed size, small enough to keep every worker busy on an image
                 * of a few tens of megabytes (the default grows with the level). */
                ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_jobSize, ZSTD_JOB_SIZE);
        r = cpio_write_segment(m->cpio, segment, zout_sink, &z, NULL);
        if (r == 0)
                r = zout_stream(&z, NULL, 0, ZSTD_e_end);
out:
        ZSTD_freeCCtx(z.cctx);
        free(z.buf);
        return r;
}

/* Whether fd holds whole zstd frames whose content checksums hold: a cached segment is
 * checked before it goes into an image, so a damaged cache cannot make a damaged image. */
int output_cache_check(int fd) {
        ZSTD_DCtx *d = ZSTD_createDCtx();
        size_t in_size = ZSTD_DStreamInSize(), out_size = ZSTD_DStreamOutSize();
        void *in_buf = malloc(in_size), *out_buf = malloc(out_size);
        size_t left = 1;
        int r = 0;
        if (!d || !in_buf || !out_buf) {
                r = -ENOMEM;
                goto out;
        }
        for (;;) {
                ssize_t n = read(fd, in_buf, in_size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        goto out;
                }
                if (n == 0)
                        break;
                ZSTD_inBuffer in = { in_buf, (size_t)n, 0 };
                while (in.pos < in.size) {
                        ZSTD_outBuffer out = { out_buf, out_size, 0 };
                        left = ZSTD_decompressStream(d, &out, &in);
                        if (ZSTD_isError(left)) {
                                r = -EBADMSG;
                                goto out;
                        }
                }
        }
        if (left != 0)
                r = -EBADMSG; /* cut short */
out:
        ZSTD_freeDCtx(d);
        free(in_buf);
        free(out_buf);
        return r;
}

static int copy_fd(int from, int to) {
        char buf[1 << 16];
        if (lseek(from, 0, SEEK_SET) < 0)
                return -errno;
        for (;;) {
                ssize_t n = read(from, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                int r = write_full(to, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
}

struct cached_file {
        char name[256];
        struct timespec t;
};

static int by_mtime_newest_first(const void *a, const void *b) {
        const struct cached_file *x = a, *y = b;
        if (x->t.tv_sec != y->t.tv_sec)
                return x->t.tv_sec < y->t.tv_sec ? 1 : -1;
        if (x->t.tv_nsec != y->t.tv_nsec)
                return x->t.tv_nsec < y->t.tv_nsec ? 1 : -1;
        return strcmp(x->name, y->name);
}

/* Keeps the CACHE_KEEP segments used last (a hit touches its file). */
static void cache_prune(const char *dir) {
        struct cached_file files[64];
        size_t n = 0;
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d)) && n < ELEMENTSOF(files)) {
                struct stat st;
                if (!endswith(de->d_name, ".cpio.zst") ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                snprintf(files[n].name, sizeof files[n].name, "%s", de->d_name);
                files[n++].t = st.st_mtim;
        }
        qsort(files, n, sizeof *files, by_mtime_newest_first);
        for (size_t i = CACHE_KEEP; i < n; i++)
                if (unlinkat(dirfd(d), files[i].name, 0) == 0)
                        log_debug("cache: removed %s/%s", dir, files[i].name);
        closedir(d);
}

/* What is in the cache goes into images as it is: a directory others can write to, or owned by
 * another user, is not used. A missing one is fine (made 0700 when a segment is stored). */
static bool cache_dir_safe(const char *dir) {
        struct stat st;
        if (lstat(dir, &st) < 0)
                return errno == ENOENT;
        if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
                log_warning("the cache directory %s is not a directory of this user that only it "
                            "can write to: not used",
                            dir);
                return false;
        }
        return true;
}

/* Compresses a segment into out (tmp) and puts it in the cache at path, unless its files changed
 * since their digest was taken: the name would not say what it holds. 0, -ESTALE then, or a
 * negative errno. */
static int cache_store(struct mki *m, int out, const char *tmp, const char *path, unsigned segment,
                       const uint8_t digest[SHA256_DIGEST_SIZE]) {
        uint8_t again[SHA256_DIGEST_SIZE];
        int r = write_zstd(m, out, segment);
        if (r == 0 && fsync(out) < 0)
                r = -errno;
        if (r == 0 && (r = cpio_segment_digest(m->cpio, segment, again)) == 0 &&
            memcmp(again, digest, sizeof again) != 0)
                r = -ESTALE;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        return r;
}

/* A segment of the host's files, from the cache when its content did not change, else
 * compressed and stored there. Without a usable cache it is compressed straight into fd. */
static int write_host_segment(struct mki *m, int fd, unsigned segment) {
        const char *dir = m->opt->cache_dir ? m->opt->cache_dir : MKI_DEFAULT_CACHE_DIR;
        uint8_t digest[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE], path[PATH_MAX], tmp[PATH_MAX];

        if (m->opt->no_cache)
                return write_zstd(m, fd, segment);
        int r = cpio_segment_digest(m->cpio, segment, digest);
        if (r < 0)
                return log_errno(r, "reading the files of the image failed");
        sha256_to_hex(digest, hex);
        /* The level and the library's version in the name: another libzstd may compress the
         * same input to other (valid) bytes, and a build should give what a build without the
         * cache gives. */
        if ((size_t)snprintf(path, sizeof path, "%s/%s-%d-%u.cpio.zst", dir, hex, m->zstd_level,
                             ZSTD_versionNumber()) >= sizeof path ||
            (size_t)snprintf(tmp, sizeof tmp, "%s/.new.XXXXXX", dir) >= sizeof tmp)
                return mki_bad_input(m, -ENAMETOOLONG, "--cache-dir %s: path too long", dir);

        if (!cache_dir_safe(dir))
                return write_zstd(m, fd, segment);
        _cleanup_close_ int cached = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (cached >= 0) {
                r = output_cache_check(cached);
                if (r == 0) {
                        log_debug("cache: %s", path);
                        futimens(cached, NULL);
                        return copy_fd(cached, fd);
                }
                log_warning("the cached segment %s is damaged (%s); making it again", path, strerror(-r));
                unlink(path);
        }

        _cleanup_close_ int out = -1;
        if (mkdir_p(dir, 0700) < 0 || !cache_dir_safe(dir) || (out = mkostemp(tmp, O_CLOEXEC)) < 0) {
                log_debug("cache %s not usable (%m): compressing without it", dir);
                return write_zstd(m, fd, segment);
        }
        r = cache_store(m, out, tmp, path, segment, digest);
        if (r == -ESTALE) {
                unlink(tmp);
                log_warning("a file of the image changed while it was being built: %s not cached", path);
                return copy_fd(out, fd);
        }
        if (r < 0) {
                unlink(tmp);
                log_debug("cache: storing %s failed (%s): compressing without it", path, strerror(-r));
                return r == -ENOMEM ? r : write_zstd(m, fd, segment);
        }
        log_debug("cache: stored %s", path);
        cache_prune(dir);
        return copy_fd(out, fd);
}

/* The image's own segment is small: compressed in one call that knows its size, so zstd
 * sizes its tables to it (at high levels, tables sized for an unknown length take longer to
 * set up than the compression itself). */
static int write_small_zstd(struct mki *m, int fd, unsigned segment) {
        void *in = NULL, *out = NULL;
        size_t in_len = 0;
        ZSTD_CCtx *cctx = ZSTD_createCCtx();
        int r = cctx ? cpio_write_segment_mem(m->cpio, segment, &in, &in_len) : -ENOMEM;
        if (r == 0 &&
            (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, m->zstd_level)) ||
             ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1))))
                r = log_errno(-EINVAL, "zstd refused level %d", m->zstd_level);
        size_t bound = ZSTD_compressBound(in_len);
        if (r == 0 && !(out = malloc(bound)))
                r = -ENOMEM;
        if (r == 0) {
                size_t n = ZSTD_compress2(cctx, out, bound, in, in_len);
                if (ZSTD_isError(n))
                        r = log_errno(-EIO, "zstd compression failed: %s", ZSTD_getErrorName(n));
                else
                        r = write_full(fd, out, n);
        }
        ZSTD_freeCCtx(cctx);
        free(in);
        free(out);
        return r;
}

static int write_image_zstd(struct mki *m, int fd) {
        /* /init first: tools that read only the first archive (bsdtar, cpio) see it. */
        static const unsigned host_parts[] = { MKI_SEGMENT_INIT, MKI_SEGMENT_HOST, MKI_SEGMENT_MODULES };
        int r = 0;
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(host_parts); i++)
                if (cpio_segment_count(m->cpio, host_parts[i]) > 0)
                        r = write_host_segment(m, fd, host_parts[i]);
        if (r == 0)
                r = write_small_zstd(m, fd, MKI_SEGMENT_IMAGE);
        return r;
}

int output_write(struct mki *m, const char *path, const char *compress, uint64_t *ret_size) {
        char tmp[PATH_MAX];
        const char *slash = strrchr(path, '/');
        int n = slash ? snprintf(tmp, sizeof tmp, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1)
                      : snprintf(tmp, sizeof tmp, ".%s.XXXXXX", path);
        if (n < 0 || (size_t)n >= sizeof tmp)
                return mki_bad_input(m, -ENAMETOOLONG, "--output %s: path too long", path);
        if (slash && slash[1] == 0)
                return mki_bad_input(m, -EISDIR, "--output %s: a directory", path);

        char dir[PATH_MAX];
        struct stat st;
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        if (!dir[0])
                snprintf(dir, sizeof dir, "/");
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return mki_bad_input(m, -ENOENT, "--output %s: the directory %s does not exist", path, dir);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                return mki_bad_input(m, -EISDIR, "--output %s: a directory", path);
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return log_errno(-errno, "creating a temporary file in %s failed", dir);

        int r;
        if (streq(compress, "zstd"))
                r = write_image_zstd(m, fd);
        else
                r = cpio_write_fd(m->cpio, fd, NULL);
        if (r < 0 && *cpio_write_error(m->cpio))
                log_errno(r, "%s", cpio_write_error(m->cpio));
        if (r < 0)
                log_errno(r, "writing %s failed", tmp);
        if (r == 0 && fstat(fd, &st) < 0)
                r = log_errno(-errno, "stat of %s failed", tmp);
        if (r == 0 && fsync(fd) < 0)
                r = log_errno(-errno, "writing %s failed", tmp);
        if (close(fd) < 0 && r == 0)
                r = log_errno(-errno, "writing %s failed", tmp);
        if (r == 0 && mki_interrupted()) {
                log_error("interrupted; nothing was written");
                r = -EINTR;
        }
        if (r == 0 && rename(tmp, path) < 0)
                r = log_errno(-errno, "renaming %s to %s failed", tmp, path);
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        r = fsync_parent_dir(path);
        if (r < 0)
                log_warning("syncing the directory of %s failed: %s", path, strerror(-r));
        *ret_size = (uint64_t)st.st_size;
        return 0;
}
