/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cost of the technician password hash, capped when the image is built: the recovery menu
 * computes it for every try, on the slowest laptop of the school. Each cap costs about a second
 * a try on a slow machine; the defaults of the tools cost far less. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mkinitramfs.h"
#include "util.h"

#define SHA_CRYPT_ROUNDS_MAX 1000000UL /* $5$, $6$: openssl passwd -6 uses 5,000 */
#define BCRYPT_COST_MAX 12 /* $2b$: 2^12 rounds; mkpasswd uses 5 */
#define MEMORY_HARD_MAX (64UL << 20) /* yescrypt, scrypt: bytes; mkpasswd uses 16 MiB */

static const char itoa64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static int atoi64(char c) {
        const char *p = c ? strchr(itoa64, c) : NULL;
        return p ? (int)(p - itoa64) : -1;
}

static int too_costly(char **ret_error, const char *what, const char *cap) {
        if (asprintf(ret_error,
                     "[recovery] password_hash is %s: every try at the recovery menu would take too long "
                     "(at most %s). Make a cheaper hash with: openssl passwd -6",
                     what, cap) < 0)
                return -ENOMEM;
        return -E2BIG;
}

/* "$5$rounds=N$..." and "$6$rounds=N$...": without rounds= the default, 5,000. */
static int check_sha_crypt(const char *params, char **ret_error) {
        const char *v = startswith(params, "rounds=");
        if (!v)
                return 0;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (*end != '$' || errno == ERANGE || n > SHA_CRYPT_ROUNDS_MAX) {
                char what[64];
                snprintf(what, sizeof what, "SHA-crypt with rounds=%.*s", (int)strcspn(v, "$"), v);
                return too_costly(ret_error, what, "1000000 rounds");
        }
        return 0;
}

/* "$2b$NN$...": 2^NN rounds. */
static int check_bcrypt(const char *params, char **ret_error) {
        char what[48];
        if (params[0] >= '0' && params[0] <= '9' && params[1] >= '0' && params[1] <= '9' &&
            params[2] == '$' && (params[0] - '0') * 10 + (params[1] - '0') <= BCRYPT_COST_MAX)
                return 0;
        snprintf(what, sizeof what, "bcrypt of cost %.*s", (int)strcspn(params, "$"), params);
        return too_costly(ret_error, what, "cost 12");
}

/* yescrypt "$y$jNR$...": N = 2^(n+1) blocks of r * 128 bytes, each a single character below
 * 'j' (larger values take several; no cheap hash needs them). */
static int check_yescrypt(const char *params, char **ret_error) {
        int n = atoi64(params[0] == 'j' ? params[1] : 0), r = n >= 0 ? atoi64(params[2]) : -1;
        if (n >= 0 && n < 47 && r >= 0 && r < 47 && n + 1 < 40 &&
            ((uint64_t)128 << (n + 1)) * (uint64_t)(r + 1) <= MEMORY_HARD_MAX)
                return 0;
        return too_costly(ret_error, "yescrypt with more memory than that", "64 MiB");
}

/* scrypt "$7$" N_log2 (one character), r and p (five each, 30 bits little-endian). */
static uint64_t decode30(const char *s) {
        uint64_t v = 0;
        for (int i = 0; i < 5; i++) {
                int c = atoi64(s[i]);
                if (c < 0)
                        return UINT64_MAX;
                v |= (uint64_t)c << (6 * i);
        }
        return v;
}

static int check_scrypt(const char *params, char **ret_error) {
        int n = atoi64(params[0]);
        uint64_t r = n >= 0 ? decode30(params + 1) : UINT64_MAX,
                 p = r != UINT64_MAX ? decode30(params + 6) : 0;
        if (n >= 0 && n < 40 && r != UINT64_MAX && p != UINT64_MAX && r <= 1024 && p <= 1024 &&
            ((uint64_t)128 << n) * r * p <= MEMORY_HARD_MAX)
                return 0;
        return too_costly(ret_error, "scrypt with more memory than that", "64 MiB");
}

int mki_password_hash_check(const char *hash, char **ret_error) {
        static const struct {
                const char *prefix;
                int (*check)(const char *params, char **ret_error);
        } methods[] = {
                { "$5$", check_sha_crypt }, { "$6$", check_sha_crypt }, { "$2a$", check_bcrypt },
                { "$2b$", check_bcrypt },   { "$2x$", check_bcrypt },   { "$2y$", check_bcrypt },
                { "$y$", check_yescrypt },  { "$gy$", check_yescrypt }, { "$7$", check_scrypt },
        };
        *ret_error = NULL;
        for (size_t i = 0; hash && i < ELEMENTSOF(methods); i++) {
                const char *params = startswith(hash, methods[i].prefix);
                if (params)
                        return methods[i].check(params, ret_error);
        }
        return 0;
}
