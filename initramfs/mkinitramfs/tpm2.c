/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The TPM2 parts of the image: libcryptsetup's systemd-tpm2 token plugin, with the libraries it
 * links, and the libtss2 libraries that systemd's shared library opens at run time, which no
 * NEEDED entry names. About 9 MB unpacked, so they go in only when the boot may use them:
 * [luks] tpm2 = yes, or auto and the volume of [luks] uuid has a systemd-tpm2 token. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "luks.h"
#include "mkinitramfs.h"
#include "util.h"

#define TPM2_PLUGIN "libcryptsetup-token-systemd-tpm2.so"

/* Where libcryptsetup looks for token plugins: the distribution's own path (Debian's
 * multiarch one, Arch's), kept as it is in the image. */
static const char *const plugin_dirs[] = {
        "/usr/lib/x86_64-linux-gnu/cryptsetup",
        "/usr/lib/cryptsetup",
        "/usr/lib64/cryptsetup",
};

/* Opened by name at run time; the TCTI of the kernel's TPM device. */
static const char *const tss2_libs[] = {
        "libtss2-esys.so.0",
        "libtss2-mu.so.0",
        "libtss2-rc.so.0",
        "libtss2-tcti-device.so.0",
};

/* Whether the volume the settings name has a systemd-tpm2 token. */
static bool volume_has_token(const struct mki *m) {
        char dev[PATH_MAX];
        struct luks_volume *v = NULL;
        struct tpm2_token tok;
        int token;

        if (!m->config.luks_uuid || !*m->config.luks_uuid)
                return false;
        snprintf(dev, sizeof dev, "/dev/disk/by-uuid/%s", m->config.luks_uuid);
        if (luks_open(dev, &v) < 0)
                return false;
        bool found = luks_tpm2_token(v, &token, &tok) == 0;
        luks_close(v);
        return found;
}

bool mki_tpm2_wanted(const struct mki *m) {
        if (streq_ptr(m->config.luks_tpm2, "yes"))
                return true;
        return streq_ptr(m->config.luks_tpm2, "auto") && volume_has_token(m);
}

/* The plugin's folder; its parent holds the libraries (libtss2 beside libcryptsetup). */
static int find_plugin(char ret[PATH_MAX]) {
        for (size_t i = 0; i < ELEMENTSOF(plugin_dirs); i++) {
                snprintf(ret, PATH_MAX, "%s/%s", plugin_dirs[i], TPM2_PLUGIN);
                if (access(ret, R_OK) == 0)
                        return 0;
        }
        return -ENOENT;
}

int image_tpm2(struct mki *m) {
        char plugin[PATH_MAX], lib[PATH_MAX + 64];
        int r;

        if (!mki_tpm2_wanted(m))
                return 0;
        if (find_plugin(plugin) < 0)
                return mki_bad_input(m, -ENOENT,
                                     "[luks] tpm2: the token plugin %s is not installed (package systemd)",
                                     TPM2_PLUGIN);
        r = image_install(m, plugin);
        *strrchr(plugin, '/') = 0;
        *strrchr(plugin, '/') = 0;
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(tss2_libs); i++) {
                snprintf(lib, sizeof lib, "%s/%s", plugin, tss2_libs[i]);
                if (access(lib, R_OK) < 0)
                        return mki_bad_input(m, -ENOENT, "[luks] tpm2: %s is missing (package %.*s)", lib,
                                             (int)strcspn(tss2_libs[i], "."), tss2_libs[i]);
                r = image_install(m, lib);
        }
        if (r == 0)
                log_debug("the TPM2 token plugin and the libtss2 libraries are in the image");
        return r;
}
