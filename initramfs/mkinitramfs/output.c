/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing the archive: compressed with libzstd or not, to a temporary file beside the
 * output, renamed over it only when complete. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <zstd.h>

#include "log.h"
#include "mkinitramfs.h"
#include "util.h"

#define MAX_ZSTD_WORKERS 8
#define ZSTD_JOB_SIZE (4 * 1024 * 1024)

struct zout {
        ZSTD_CCtx *cctx;
        int fd;
        void *buf;
        size_t size;
};

static int zout_stream(struct zout *z, const void *data, size_t len, ZSTD_EndDirective mode) {
        ZSTD_inBuffer in = {data, len, 0};
        for (;;) {
                ZSTD_outBuffer out = {z->buf, z->size, 0};
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

static int write_zstd(struct mki *m, int fd) {
        struct zout z = {.fd = fd, .size = ZSTD_CStreamOutSize()};
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
                                                 cpus < 1                  ? 1
                                                 : cpus > MAX_ZSTD_WORKERS ? MAX_ZSTD_WORKERS
                                                                           : (int)cpus)))
                /* Jobs of a fixed size, small enough to keep every worker busy on an image
                 * of a few tens of megabytes (the default grows with the level). */
                ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_jobSize, ZSTD_JOB_SIZE);
        r = cpio_write(m->cpio, zout_sink, &z, NULL);
        if (r == 0)
                r = zout_stream(&z, NULL, 0, ZSTD_e_end);
out:
        ZSTD_freeCCtx(z.cctx);
        free(z.buf);
        return r;
}

static int fsync_parent(const char *path) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (!slash)
                snprintf(dir, sizeof dir, ".");
        else
                slash[slash == dir] = 0;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Some filesystems (vfat, the ESP) refuse fsync on a directory; the rename is still
         * ordered after the file's own fsync. */
        if (fsync(fd) < 0 && errno != EINVAL)
                return -errno;
        return 0;
}

int output_write(struct mki *m, const char *path, const char *compress, uint64_t *ret_size) {
        char tmp[PATH_MAX];
        const char *slash = strrchr(path, '/');
        int n = slash ? snprintf(tmp, sizeof tmp, "%.*s/.%s.XXXXXX", (int)(slash - path), path,
                                 slash + 1)
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
                return mki_bad_input(m, -ENOENT, "--output %s: the directory %s does not exist",
                                     path, dir);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                return mki_bad_input(m, -EISDIR, "--output %s: a directory", path);
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return log_errno(-errno, "creating a temporary file in %s failed", dir);

        int r;
        if (streq(compress, "zstd"))
                r = write_zstd(m, fd);
        else
                r = cpio_write_fd(m->cpio, fd, NULL);
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
        r = fsync_parent(path);
        if (r < 0)
                log_warning("syncing the directory of %s failed: %s", path, strerror(-r));
        *ret_size = (uint64_t)st.st_size;
        return 0;
}
