/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "testlib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "log.h"
#include "util.h"

int tl_tmpdir_new(char *buf, size_t size, const char *name) {
        if ((size_t)snprintf(buf, size, "/tmp/koompi-test-%s-XXXXXX", name) >= size)
                return -ENAMETOOLONG;
        return mkdtemp(buf) ? 0 : -errno;
}

int tl_tmpdir_remove(const char *dir) {
        char cmd[PATH_MAX + 16];
        if (!dir[0] || snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir) >= (int)sizeof cmd)
                return -EINVAL;
        return system(cmd) == 0 ? 0 : -EIO;
}

int tl_tmpfile_new(char *buf, size_t size, const char *name) {
        if ((size_t)snprintf(buf, size, "/tmp/koompi-test-%s-XXXXXX", name) >= size)
                return -ENAMETOOLONG;
        int fd = mkostemp(buf, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

const char *tl_path(const char *dir, const char *name) {
        static char p[4][PATH_MAX];
        static unsigned next;
        char *s = p[next++ % 4];
        if (snprintf(s, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
                fail_msg("path too long: %s/%s", dir, name);
        return s;
}

void tl_write_file(const char *path, const char *text, size_t len, mode_t mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                fail_msg("cannot create %s: %s", path, strerror(errno));
        assert_int_equal(write_full(fd, text, len == (size_t)-1 ? strlen(text) : len), 0);
        /* The umask does not get a say. */
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(close(fd), 0);
}

void tl_sh(const char *fmt, ...) {
        char cmd[8192];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);
        int r = system(cmd);
        if (r != 0)
                fail_msg("'%s' failed: %d", cmd, r);
}

static char *read_all(FILE *f) {
        size_t cap = 65536, len = 0, n;
        char *out = malloc(cap);
        assert_non_null(out);
        while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
                len += n;
                if (len + 1 == cap) {
                        char *bigger = realloc(out, cap * 2);
                        assert_non_null(bigger);
                        out = bigger;
                        cap *= 2;
                }
        }
        out[len] = 0;
        return out;
}

static int run_v(char **ret_out, bool with_stderr, const char *fmt, va_list ap) {
        char cmd[8192];
        int n = vsnprintf(cmd, sizeof cmd - 8, fmt, ap);
        if (n < 0 || (size_t)n >= sizeof cmd - 8)
                fail_msg("command too long: %.80s", cmd);
        if (with_stderr)
                strcat(cmd, " 2>&1");
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        char *out = read_all(f);
        int status = pclose(f);
        if (ret_out)
                *ret_out = out;
        else
                free(out);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int tl_run(char **ret_out, bool with_stderr, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = run_v(ret_out, with_stderr, fmt, ap);
        va_end(ap);
        return r;
}

char *tl_output(const char *fmt, ...) {
        char cmd[8192], *out = NULL;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);
        int r = tl_run(&out, false, "%s", cmd);
        if (r != 0)
                fail_msg("'%s' failed (%d): %s", cmd, r, out);
        return out;
}

int tl_find_kernel(char *ret, size_t size) {
        DIR *d = opendir("/lib/modules");
        if (!d)
                return -errno;
        struct dirent *de;
        int r = -ENOENT;
        while ((de = readdir(d))) {
                char p[PATH_MAX];
                if (de->d_name[0] == '.' ||
                    snprintf(p, sizeof p, "/lib/modules/%s/modules.dep", de->d_name) >= (int)sizeof p)
                        continue;
                if (access(p, R_OK) == 0 && (r < 0 || strcmp(de->d_name, ret) < 0) &&
                    snprintf(ret, size, "%s", de->d_name) < (int)size)
                        r = 0;
        }
        closedir(d);
        return r;
}

void tl_log_quiet(const char *program) {
        log_init(program);
        log_set_max_level(LOG_LVL_ERR - 1);
}

void tl_set_add(struct tl_set *s, const char *item) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->items[i], item))
                        return;
        assert_true(s->n < ELEMENTSOF(s->items));
        s->items[s->n] = strdup(item);
        assert_non_null(s->items[s->n]);
        s->n++;
}

void tl_set_free(struct tl_set *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->items[i]);
        s->n = 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void tl_set_assert_equal(struct tl_set *mine, struct tl_set *theirs, const char *what, const char *me,
                         const char *them) {
        qsort(mine->items, mine->n, sizeof(char *), cmp_str);
        qsort(theirs->items, theirs->n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < mine->n || i < theirs->n; i++) {
                const char *x = i < mine->n ? mine->items[i] : "(none)";
                const char *y = i < theirs->n ? theirs->items[i] : "(none)";
                if (streq(x, y))
                        continue;
                for (size_t j = 0; j < mine->n; j++)
                        print_message("%s: %s\n", me, mine->items[j]);
                for (size_t j = 0; j < theirs->n; j++)
                        print_message("%s: %s\n", them, theirs->items[j]);
                fail_msg("%s: %s has %s where %s has %s", what, me, x, them, y);
        }
}

/* The pages holding len bytes, and the guard page after them. */
static size_t fenced_pages(size_t len) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        return (len + page - 1) / page * page;
}

void *tl_fenced_copy(const void *data, size_t len) {
        size_t size = fenced_pages(len);
        char *base = mmap(NULL, size + (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED || mprotect(base + size, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE) < 0)
                fail_msg("mapping a fenced buffer failed: %m");
        memcpy(base + size - len, data, len);
        return base + size - len;
}

void tl_fenced_free(void *p, size_t len) {
        size_t size = fenced_pages(len);
        munmap((char *)p + len - size, size + (size_t)sysconf(_SC_PAGESIZE));
}
