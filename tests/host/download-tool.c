/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* download_release() from the command line, for the host tests: the packages of MANIFEST (a
 * manifest.json, taken as verified) into DIR from the mirrors. Prints what it did; exits 0,
 * 4 (no room), 5 (no mirror served to the end), 6 (bytes that do not match), 1 otherwise. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "download.h"
#include "util.h"

int main(int argc, char **argv) {
        struct download_limits lim = { .connect_timeout_s = 5, .stall_timeout_s = 3 };
        struct download_stats stats = { 0 };
        struct update_refusal why = { 0 };
        _cleanup_free_ char *text = NULL;
        struct manifest m;
        size_t len;
        if (argc < 5) {
                fprintf(stderr, "usage: download-tool MAX_RATE MANIFEST DIR MIRROR...\n");
                return 1;
        }
        lim.max_rate = strtoull(argv[1], NULL, 10);
        if (read_file(argv[2], &text, &len) < 0 || manifest_parse(text, len, &m, &why) < 0) {
                fprintf(stderr, "download-tool: %s: %s\n", argv[2], why.reason);
                return 1;
        }
        int r = download_release(argv + 4, &m, argv[3], &lim, NULL, &stats, &why);
        printf("fetched=%" PRIu64 " resumed=%" PRIu64 "\n", stats.fetched, stats.resumed);
        if (r < 0)
                fprintf(stderr, "download-tool: %s\n", why.reason);
        manifest_free(&m);
        return r == 0 ? 0 : r == -ENOSPC ? 4 : r == -EIO ? 5 : r == -EILSEQ ? 6 : 1;
}
