/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Inside koompi-boot every function returns 0 or a negative errno; main() turns it into the
 * exit status documented in koompi-boot(8), here and nowhere else:
 *   0                                                       0
 *   -EINVAL (bad usage or argument)                         1
 *   -ENOENT, -ENODATA, -EBADMSG, -ENOMEDIUM (state missing
 *     or unreadable: boot record, ledger, roots, ESP)       2
 *   -EPERM, -EBUSY, -EEXIST, -ENOTEMPTY, -ECANCELED
 *     (refused as unsafe; nothing was changed)              3
 *   -ENOSPC (the ESP lacks room; nothing was changed)       4
 *   any other (-EIO, -EROFS, ...: a write failed part way)  5
 *   -ECHILD (update: its command or its initramfs build
 *     failed, and its root was deleted)                     6 */
enum {
        EXIT_USAGE = 1,
        EXIT_NO_STATE = 2,
        EXIT_REFUSED = 3,
        EXIT_ESP_FULL = 4,
        EXIT_WRITE_FAILED = 5,
        EXIT_COMMAND_FAILED = 6,
};

/* The exit status for r (0 or a negative errno). A positive r is a bug: EXIT_WRITE_FAILED. */
int exit_code_from_errno(int r);
