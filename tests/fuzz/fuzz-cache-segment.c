/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A compressed segment in koompi-mkinitramfs's cache, checked before it is copied into an
 * image: a damaged or planted file is refused, never copied half-read. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader() */
#include <zstd.h>

#include "fuzzer.h"
#include "mkinitramfs.h"
#include "util.h"

/* A frame may ask for a window of up to 128 MiB (what levels 20-22 use), which libzstd allocates
 * before it reads a block: under AddressSanitizer, which maps and poisons every large allocation
 * afresh, inputs with windows of megabytes run a few hundred times a second and crowd out the
 * rest, and they exercise libzstd's allocator, not the check. The inputs here (at most a few
 * KiB) need no more than this. */
#define WINDOW_MAX (1u << 20)

/* Whether a frame before the first damaged one asks for a window over WINDOW_MAX. */
static bool window_too_large(const uint8_t *data, size_t size) {
        while (size > 0) {
                ZSTD_frameHeader h;
                size_t n = ZSTD_getFrameHeader(&h, data, size);
                if (n != 0)
                        return false; /* damaged, or cut short: the check stops here */
                if (h.windowSize > WINDOW_MAX)
                        return true;
                n = ZSTD_findFrameCompressedSize(data, size);
                if (ZSTD_isError(n))
                        return false;
                data += n;
                size -= n;
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[PATH_MAX];

        if (window_too_large(data, size))
                return 0;
        fuzz_file("segment.zst", data, size, path);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        FUZZ_CHECK(fd >= 0);
        int r = output_cache_check(fd);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM);
        return 0;
}
