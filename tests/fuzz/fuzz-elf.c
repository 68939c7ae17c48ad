/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ELF files, as koompi-mkinitramfs reads every binary and library it carries (an include=
 * of boot.conf can name any file). */
#include <errno.h>
#include <limits.h>

#include "elfdeps.h"
#include "fuzzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[PATH_MAX];
        struct elf_info info;

        fuzz_file("binary", data, size, path);
        int r = elf_read(path, &info);
        if (r < 0) {
                FUZZ_CHECK(r == -ENOEXEC || r == -EPROTONOSUPPORT || r == -EBADMSG || r == -ENOMEM);
                return 0;
        }
        FUZZ_CHECK(info.needed);
        elf_info_done(&info);
        return 0;
}
