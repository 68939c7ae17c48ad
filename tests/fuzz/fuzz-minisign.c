/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* minisign files as the agent reads them: public keys from /etc/koompi/update-keys.d (a key
 * written back reads as the same key), and a manifest's signature from a mirror, checked with
 * the release key over the data signed, so that what passes the parser meets the check.
 *
 * Input: a key or signature file, then optionally a NUL byte and the data signed. */
#include <errno.h>

#include "fuzzer.h"
#include "minisign.h"
#include "releasekey.h"
#include "util.h"

static void check_pubkey(const char *text) {
        _cleanup_free_ char *back = NULL;
        struct minisign_pubkey k, again;
        char hex[MINISIGN_ID_HEX];
        int r = minisign_pubkey_parse(text, &k);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT);
        if (r < 0)
                return;
        minisign_id_hex(k.id, hex);
        FUZZ_CHECK(strlen(hex) == MINISIGN_ID_HEX - 1);
        FUZZ_CHECK(minisign_pubkey_format(&k, &back) == 0);
        FUZZ_CHECK(minisign_pubkey_parse(back, &again) == 0 && memcmp(&k, &again, sizeof k) == 0);
}

static void check_sig(const char *text, const uint8_t *data, size_t len) {
        struct minisign_sig s;
        int r = minisign_sig_parse(text, &s);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT);
        if (r < 0)
                return;
        FUZZ_CHECK(memchr(s.trusted_comment, 0, sizeof s.trusted_comment));
        r = minisign_verify(fuzz_release_key(), &s, data, len);
        FUZZ_CHECK(r == 0 || r == -ENOKEY || r == -EKEYREJECTED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_string(data, size);
        size_t n = strlen(text);
        const uint8_t *signed_data = n < size ? data + n + 1 : data + size;

        check_pubkey(text);
        check_sig(text, signed_data, (size_t)(data + size - signed_data));
        return 0;
}
