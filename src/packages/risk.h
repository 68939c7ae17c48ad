/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkgsource.h"

/* The risk of a package request: a pure function of the facts a source gave, 0.0 to 1.0, with
 * every reason and its weight. The score is the sum of the weights, at most 1.0; above
 * RISK_CONFIRM_ABOVE nothing happens without the caller's confirmation. The weights (also in
 * README.md and koompi(1)):
 *   AUR, any package (built from a stranger's script)               0.20
 *   AUR, first submitted less than 30 days ago                       0.20
 *   AUR, orphaned (no maintainer)                                    0.20
 *   AUR, fewer than 10 votes                                         0.15
 *   AUR, flagged out of date                                         0.10
 *   AUR, maintainer changed since this machine last installed it     0.30
 *   PKGBUILD: a download in build() or package() (curl, wget, git clone) 0.40
 *   PKGBUILD: a download piped into a shell (curl ... | sh)          0.60
 *   PKGBUILD: an encoded blob (a run of 160+ base64/hex characters, base64 -d, xxd -r) 0.40
 *   PKGBUILD: a write outside $pkgdir and $srcdir (/usr, /etc, ~, ...) 0.50
 *   PKGBUILD: a setuid or setgid mode (chmod 4755, u+s, install -m4755) 0.40
 *   PKGBUILD: sudo                                                   0.50
 *   AppImage: runs without a sandbox                                 0.30
 *   Flatpak: --filesystem=host (or host-os, host-etc)                0.40
 *   Flatpak: --filesystem=home                                       0.20
 *   Flatpak: --device=all                                            0.30
 *   a removal of a package the boot or the desktop needs             0.80
 * Each kind counts once, however often it appears. */
#define RISK_CONFIRM_ABOVE 0.7
#define RISK_MAX_REASONS 24
#define RISK_REASON_MAX 200

#define RISK_W_AUR 0.20
#define RISK_W_AUR_NEW 0.20
#define RISK_W_AUR_ORPHANED 0.20
#define RISK_W_AUR_FEW_VOTES 0.15
#define RISK_W_AUR_OUT_OF_DATE 0.10
#define RISK_W_AUR_MAINTAINER_CHANGED 0.30
#define RISK_W_DOWNLOAD 0.40
#define RISK_W_PIPE_SHELL 0.60
#define RISK_W_BLOB 0.40
#define RISK_W_WRITE_OUTSIDE 0.50
#define RISK_W_SETUID 0.40
#define RISK_W_SUDO 0.50
#define RISK_W_APPIMAGE 0.30
#define RISK_W_FLATPAK_HOST 0.40
#define RISK_W_FLATPAK_HOME 0.20
#define RISK_W_FLATPAK_DEVICE_ALL 0.30
#define RISK_W_PROTECTED_REMOVAL 0.80

#define RISK_AUR_NEW_DAYS 30
#define RISK_AUR_FEW_VOTES 10
#define RISK_BLOB_RUN 160

enum risk_op {
        RISK_INSTALL,
        RISK_REMOVE,
};

struct risk_reason {
        double weight;
        char text[RISK_REASON_MAX];
};

struct risk_result {
        double score;
        size_t n;
        struct risk_reason reasons[RISK_MAX_REASONS];
};

/* What the AUR's RPC said, and what this machine remembers of the package. */
struct risk_aur {
        bool known; /* the facts below were given */
        long votes;
        bool out_of_date;
        int64_t first_submitted; /* seconds since the epoch */
        const char *maintainer; /* NULL: orphaned */
        const char *last_maintainer; /* at the last install here; NULL: never installed here */
        const char *pkgbuild; /* its text, NULL when not fetched */
};

struct risk_facts {
        enum pkg_source source;
        enum risk_op op;
        const char *name;
        int64_t now; /* seconds since the epoch */
        struct risk_aur aur;
        char *const *flatpak_filesystems; /* the app's [Context] filesystems, NULL-terminated */
        char *const *flatpak_devices;
        char *const *protected_names; /* fnmatch(3) patterns of what a removal must not take */
};

/* The score and its reasons, into *ret. */
void risk_score(const struct risk_facts *f, struct risk_result *ret);
/* Whether the request waits for a confirmation (score above RISK_CONFIRM_ABOVE). */
bool risk_needs_confirmation(const struct risk_result *r);
/* Adds a reason of weight (the score grows by it, at most to 1.0). Beyond RISK_MAX_REASONS the
 * weight still counts and the text is dropped. */
__attribute__((format(printf, 3, 4))) void risk_add(struct risk_result *r, double weight, const char *fmt,
                                                    ...);

/* The PKGBUILD's text judged line by line (pkgbuild.c): its reasons added to r. */
void risk_pkgbuild(const char *text, struct risk_result *r);
