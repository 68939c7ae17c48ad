/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel uevents off netlink, as koompi-init reads them while it waits for the disk: the
 * message is exactly the bytes given (buf, len), not NUL-terminated, as uevent_parse() allows. */
#include <string.h>

#include "devices.h"
#include "fuzzer.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *buf = malloc(size ? size : 1);
        struct uevent ev;

        FUZZ_CHECK(buf);
        memcpy(buf, data, size);
        if (uevent_parse(buf, size, &ev) < 0)
                return 0;
        FUZZ_CHECK(strnlen(ev.action, sizeof ev.action) < sizeof ev.action);
        FUZZ_CHECK(strnlen(ev.subsystem, sizeof ev.subsystem) < sizeof ev.subsystem);
        FUZZ_CHECK(strnlen(ev.devname, sizeof ev.devname) < sizeof ev.devname);
        FUZZ_CHECK(strnlen(ev.modalias, sizeof ev.modalias) < sizeof ev.modalias);
        (void)modalias_priority(ev.modalias);
        return 0;
}
