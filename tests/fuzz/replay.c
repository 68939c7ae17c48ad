/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds files to a fuzz target without libFuzzer, so that `make unit` replays the corpus and
 * every past crash with the usual compiler (and its sanitizers, with SANITIZE=).
 * Usage: fuzz-NAME FILE|DIR...; a directory gives each regular file in it, sorted. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzzer.h"
#include "util.h"

static unsigned replayed;

static int replay_file(const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = read_file(path, &data, &len);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        replayed++;
        return 0;
}

static int replay_dir(const char *path) {
        struct dirent **names;
        int n = scandir(path, &names, NULL, alphasort), r = 0;
        if (n < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                char p[PATH_MAX];
                struct stat st;
                if (r == 0 && names[i]->d_name[0] != '.' &&
                    (size_t)snprintf(p, sizeof p, "%s/%s", path, names[i]->d_name) < sizeof p &&
                    stat(p, &st) == 0 && S_ISREG(st.st_mode))
                        r = replay_file(p);
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0)
                        continue; /* no crashes recorded for this target */
                int r = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
                if (r < 0)
                        return 1;
        }
        printf("%s: %u inputs replayed\n", argv[0], replayed);
        return 0;
}
