/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The packages of a release, resumable, over libcurl. */
#include "download.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "fetch.h"
#include "util.h"
#include "verify.h"

/* Room kept free beyond what is fetched, for pacman's own files. */
#define SPACE_MARGIN (16ULL * 1024 * 1024)

struct transfer {
        CURL *curl;
        int fd; /* the .part, appended to */
        uint64_t offset; /* bytes in the .part when this transfer started */
        uint64_t got; /* bytes this transfer wrote */
        uint64_t size; /* the package's size: a longer body is refused */
        bool restarted; /* the server ignored the range: the .part was emptied */
        int error; /* what stopped the writing */
        const char *file;
        uint64_t before, total; /* the release's bytes before this file, and all of them */
        const struct download_ops *ops;
};

static size_t on_data(char *p, size_t size, size_t n, void *userdata) {
        struct transfer *t = userdata;
        size_t len = size * n;
        int r = t->offset + t->got + len > t->size ? -EFBIG : write_full(t->fd, p, len);
        if (r < 0) {
                t->error = r;
                return 0; /* curl stops with CURLE_WRITE_ERROR */
        }
        t->got += len;
        if (t->ops && t->ops->progress)
                t->ops->progress(t->file, t->before + t->offset + t->got, t->total, t->ops->userdata);
        return len;
}

static void set_options(struct transfer *t, const char *url, const struct download_limits *lim,
                        char *curl_error) {
        CURL *c = t->curl;
        fetch_set_common(c, url, lim->connect_timeout_s, lim->stall_timeout_s, curl_error);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)lim->max_rate);
        curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t->offset);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
}

/* Appends what url has beyond the .part's bytes. 0, or a negative errno with why filled. */
static int transfer_run(struct transfer *t, const char *url, const struct download_limits *lim,
                        struct update_refusal *why) {
        char curl_error[CURL_ERROR_SIZE] = "";
        t->curl = curl_easy_init();
        if (!t->curl)
                return update_refuse(why, -ENOMEM, "libcurl could not start");
        set_options(t, url, lim, curl_error);
        CURLcode rc = curl_easy_perform(t->curl);
        curl_easy_cleanup(t->curl);
        t->curl = NULL;
        if (t->error == -EFBIG)
                return update_refuse(why, -EILSEQ, "%s: %s sent more bytes than the manifest says", t->file,
                                     url);
        if (t->error < 0)
                return update_refuse(why, t->error, "%s could not be written: %s", t->file,
                                     strerror(-t->error));
        /* The server answered the range with the whole file: curl stops before any byte. */
        if (rc == CURLE_RANGE_ERROR && t->offset > 0)
                return -ERANGE;
        if (rc != CURLE_OK)
                return update_refuse(why, -EIO, "%s: %s", url,
                                     curl_error[0] ? curl_error : curl_easy_strerror(rc));
        return 0;
}

static int paths(const char *dir, const char *file, char *final, char *part) {
        if (snprintf(final, PATH_MAX, "%s/%s", dir, file) >= PATH_MAX ||
            snprintf(part, PATH_MAX, "%s/%s.part", dir, file) >= PATH_MAX)
                return -ENAMETOOLONG;
        return 0;
}

/* The .part of p opened for appending, its bytes in t->offset (a longer one is emptied). */
static int open_part(const char *part, const struct manifest_package *p, struct transfer *t) {
        struct stat st;
        t->fd = open(part, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (t->fd < 0)
                return -errno;
        if (fstat(t->fd, &st) < 0)
                return -errno;
        t->offset = (uint64_t)st.st_size;
        if (t->offset > p->size) {
                t->offset = 0;
                return ftruncate(t->fd, 0) < 0 ? -errno : 0;
        }
        return 0;
}

/* The .part made durable, checked, and given its name; bytes that do not match are deleted. */
static int finish_part(const char *part, const char *final, const struct manifest_package *p,
                       struct update_refusal *why) {
        int r = update_verify_package(p, part, why);
        if (r == -EILSEQ)
                unlink(part);
        if (r < 0)
                return r;
        if (rename(part, final) < 0)
                return update_refuse(why, -errno, "%s could not be renamed: %s", part, strerror(errno));
        r = fsync_parent_dir(final);
        return r < 0 ? update_refuse(why, r, "%s could not be synced: %s", final, strerror(-r)) : 0;
}

static int fetch_package(const char *url, const char *dir, const struct manifest_package *p,
                         const struct download_limits *lim, struct transfer *t, struct download_stats *stats,
                         struct update_refusal *why) {
        char final[PATH_MAX], part[PATH_MAX];
        int r = paths(dir, p->file, final, part);
        if (r >= 0)
                r = open_part(part, p, t);
        if (r < 0) {
                if (t->fd >= 0)
                        close(t->fd);
                return update_refuse(why, r, "%s/%s.part could not be opened: %s", dir, p->file,
                                     strerror(-r));
        }
        t->size = p->size;
        if (t->offset < p->size)
                r = transfer_run(t, url, lim, why);
        if (r == -ERANGE) {
                /* No ranges there: the .part starts over, once. */
                t->offset = 0;
                t->restarted = true;
                r = ftruncate(t->fd, 0) < 0 ? update_refuse(why, -errno, "%s: %s", part, strerror(errno))
                                            : transfer_run(t, url, lim, why);
        }
        if (fsync(t->fd) < 0 && r >= 0)
                r = update_refuse(why, -errno, "%s could not be synced: %s", part, strerror(errno));
        close(t->fd);
        if (r == -EILSEQ)
                unlink(part);
        stats->fetched += t->got;
        if (r >= 0)
                r = finish_part(part, final, p, why);
        /* Counted once the file is whole: a mirror that failed kept nothing of its own. */
        if (r >= 0 && !t->restarted)
                stats->resumed += t->offset;
        return r;
}

/* Whether p is already in dir, verified; a file there that does not match is deleted. */
static bool already_there(const char *dir, const struct manifest_package *p) {
        char final[PATH_MAX], part[PATH_MAX];
        if (paths(dir, p->file, final, part) < 0 || access(final, F_OK) < 0)
                return false;
        if (update_verify_package(p, final, NULL) == 0)
                return true;
        unlink(final);
        return false;
}

int download_remaining(const struct manifest *m, const char *dir, uint64_t *ret) {
        uint64_t left = 0;
        for (size_t i = 0; i < m->n_packages; i++) {
                char final[PATH_MAX], part[PATH_MAX];
                struct stat st;
                int r = paths(dir, m->packages[i].file, final, part);
                if (r < 0)
                        return r;
                if (stat(final, &st) == 0)
                        continue;
                uint64_t have = stat(part, &st) == 0 ? (uint64_t)st.st_size : 0;
                left += have < m->packages[i].size ? m->packages[i].size - have : 0;
        }
        *ret = left;
        return 0;
}

static int check_space(const struct manifest *m, const char *dir, struct update_refusal *why) {
        struct statvfs vfs;
        uint64_t left;
        int r = download_remaining(m, dir, &left);
        if (r < 0)
                return update_refuse(why, r, "%s: %s", dir, strerror(-r));
        if (statvfs(dir, &vfs) < 0)
                return update_refuse(why, -errno, "%s: %s", dir, strerror(errno));
        uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        if (avail < left + SPACE_MARGIN)
                return update_refuse(why, -ENOSPC,
                                     "%s has %" PRIu64 " MiB free, the release needs %" PRIu64
                                     " MiB more (and 16 MiB to spare)",
                                     dir, avail >> 20, (left + (1 << 20) - 1) >> 20);
        return 0;
}

static int package_from_mirrors(char *const *mirrors, const struct manifest *m,
                                const struct manifest_package *p, const char *dir,
                                const struct download_limits *lim, struct transfer *t,
                                struct download_stats *stats, struct update_refusal *why) {
        int r = -EIO;
        for (char *const *mirror = mirrors; *mirror; mirror++) {
                _cleanup_free_ char *rest = NULL;
                if (asprintf(&rest, "%s%s", m->repo_path, p->file) < 0)
                        return -ENOMEM;
                _cleanup_free_ char *url = fetch_join_url(*mirror, m->channel, rest);
                t->got = 0;
                t->restarted = false;
                t->error = 0;
                t->fd = -1;
                r = fetch_package(url, dir, p, lim, t, stats, why);
                /* Another mirror does not make room, nor a readable folder. */
                if (r == 0 || (r != -EIO && r != -EILSEQ))
                        return r;
        }
        return r;
}

int download_release(char *const *mirrors, const struct manifest *m, const char *dir,
                     const struct download_limits *lim, const struct download_ops *ops,
                     struct download_stats *stats, struct update_refusal *why) {
        struct download_stats local = { 0 };
        struct transfer t = { .ops = ops };
        int r = mirrors && *mirrors ? check_space(m, dir, why)
                                    : update_refuse(why, -EINVAL, "no mirror is set");
        for (size_t i = 0; i < m->n_packages; i++)
                t.total += m->packages[i].size;
        for (size_t i = 0; r >= 0 && i < m->n_packages; i++) {
                const struct manifest_package *p = &m->packages[i];
                t.file = p->file;
                if (!already_there(dir, p))
                        r = package_from_mirrors(mirrors, m, p, dir, lim, &t, &local, why);
                t.before += p->size;
        }
        if (stats) {
                stats->fetched += local.fetched;
                stats->resumed += local.resumed;
        }
        return r < 0 ? r : 0;
}
