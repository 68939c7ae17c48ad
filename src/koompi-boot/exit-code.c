/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>

#include "exit-code.h"

static const struct {
        int err;
        int code;
} exit_codes[] = {
        { EINVAL, EXIT_USAGE },      { ENOENT, EXIT_NO_STATE },    { ENODATA, EXIT_NO_STATE },
        { EBADMSG, EXIT_NO_STATE },  { ENOMEDIUM, EXIT_NO_STATE }, { EPERM, EXIT_REFUSED },
        { EBUSY, EXIT_REFUSED },     { EEXIST, EXIT_REFUSED },     { ENOTEMPTY, EXIT_REFUSED },
        { ECANCELED, EXIT_REFUSED }, { ENOSPC, EXIT_ESP_FULL },    { ECHILD, EXIT_COMMAND_FAILED },
};

int exit_code_from_errno(int r) {
        if (r == 0)
                return 0;
        for (size_t i = 0; i < sizeof exit_codes / sizeof exit_codes[0]; i++)
                if (r == -exit_codes[i].err)
                        return exit_codes[i].code;
        return EXIT_WRITE_FAILED;
}
