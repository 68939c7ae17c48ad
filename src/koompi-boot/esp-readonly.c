/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel remounts a FAT read-only when it finds an error in it (errors=remount-ro), and
 * every write on the ESP fails from then on. Said once, with how to mend it: up front where a
 * verb is about to write, or after a write failed part way. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "context.h"
#include "esp.h"
#include "exit-code.h"
#include "log.h"

void esp_readonly_explain(const char *esp, const char *outcome) {
        char dev[PATH_MAX], type[64];
        if (mount_source(esp, dev, sizeof dev, type, sizeof type) < 0)
                snprintf(dev, sizeof dev, "DEVICE");
        log_error("the ESP (%s) is read-only: the kernel makes a FAT read-only when it finds an error in it "
                  "(see `journalctl -k`)%s%s",
                  esp, outcome ? "; " : "", outcome ? outcome : "");
        log_error(
                "no entry or boot counter can change until it is checked unmounted: `umount %s; fsck.fat -a "
                "%s; mount %s`; then run `koompi-boot recover`",
                esp, dev, esp);
}

int ctx_need_esp_writable(struct context *c) {
        int r = ctx_need_esp(c);
        if (r != 0)
                return r;
        r = esp_check_writable(c->esp);
        if (r == -EROFS) {
                /* Once: an update that cannot write its entry syncs again to undo it. */
                if (!c->esp_readonly_said)
                        esp_readonly_explain(c->esp, "nothing was changed");
                c->esp_readonly_said = true;
                return r;
        }
        if (r < 0)
                return log_errno(r, "checking the ESP %s failed", c->esp), -ENOENT;
        return 0;
}

void esp_readonly_after_failure(struct context *c, int r) {
        if (r == 0 || !c->esp[0] || c->esp_readonly_said || exit_code_from_errno(r) != EXIT_WRITE_FAILED)
                return;
        if (esp_check_writable(c->esp) == -EROFS) {
                esp_readonly_explain(c->esp, "a write on it failed part way");
                c->esp_readonly_said = true;
        }
}
