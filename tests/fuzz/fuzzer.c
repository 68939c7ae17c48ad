/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "fuzzer.h"

char *fuzz_string(const uint8_t *data, size_t size) {
        char *s = strndup((const char *)data, size);
        if (!s)
                abort();
        return s;
}

static char dir[PATH_MAX];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        remove(path);
        return 0;
}

static void remove_dir(void) {
        nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_dir(void) {
        if (*dir)
                return dir;
        /* Memory, not a disk: a target writes its input once per run, up to millions of times. */
        const char *tmp = getenv("TMPDIR");
        if (!tmp || !*tmp)
                tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/koompi-fuzz.XXXXXX", tmp);
        if (!mkdtemp(dir))
                abort();
        atexit(remove_dir);
        return dir;
}

void fuzz_file(const char *name, const uint8_t *data, size_t size, char *ret) {
        if ((size_t)snprintf(ret, PATH_MAX, "%s/%s", fuzz_dir(), name) >= PATH_MAX)
                abort();
        int fd = open(ret, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                abort();
        for (size_t done = 0; done < size;) {
                ssize_t n = write(fd, data + done, size - done);
                if (n <= 0)
                        abort();
                done += (size_t)n;
        }
        close(fd);
}
