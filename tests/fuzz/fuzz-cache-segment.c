/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A compressed segment in koompi-mkinitramfs's cache, checked before it is copied into an
 * image: a damaged or planted file is refused, never copied half-read. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "fuzzer.h"
#include "mkinitramfs.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[PATH_MAX];

        fuzz_file("segment.zst", data, size, path);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        FUZZ_CHECK(fd >= 0);
        int r = output_cache_check(fd);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM);
        return 0;
}
