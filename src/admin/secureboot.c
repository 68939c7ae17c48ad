/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "secureboot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "tool.h"
#include "util.h"

#define GUID_FILE "GUID"
#define GUID_LEN 36

const char *sb_key_name(enum sb_key k) {
        static const char *const names[SB_N_KEYS] = { [SB_PK] = "PK", [SB_KEK] = "KEK", [SB_DB] = "db" };
        return k < SB_N_KEYS ? names[k] : NULL;
}

int sb_key_path(const char *dir, enum sb_key k, const char *ext, char *buf, size_t size) {
        const char *name = sb_key_name(k);
        if (!name)
                return -EINVAL;
        if ((size_t)snprintf(buf, size, "%s/%s.%s", dir, name, ext) >= size)
                return -ENAMETOOLONG;
        return 0;
}

static int dir_path(const char *dir, const char *file, char buf[PATH_MAX]) {
        return (size_t)snprintf(buf, PATH_MAX, "%s/%s", dir, file) >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int sb_keys_dir_check(const char *dir) {
        char parent[PATH_MAX];
        struct statfs sf;

        if (statfs(dir, &sf) < 0) {
                if (errno != ENOENT)
                        return -errno;
                snprintf(parent, sizeof parent, "%s", dir);
                char *slash = strrchr(parent, '/');
                if (slash)
                        *(slash == parent ? slash + 1 : slash) = 0;
                if (statfs(slash ? parent : ".", &sf) < 0)
                        return -errno;
        }
        return sf.f_type == MSDOS_SUPER_MAGIC ? -EPERM : 0;
}

/* ---- keygen ---- */

static int new_guid(char buf[GUID_LEN + 1]) {
        int r = read_line_file("/proc/sys/kernel/random/uuid", buf, GUID_LEN + 1);
        return r < 0 ? r : strlen(buf) == GUID_LEN ? 0 : -EIO;
}

/* An empty file of that mode, never over another: the private key is written into it, so it
 * is never readable by others, not even for a moment. */
static int create_empty(const char *path, unsigned mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

static int openssl_key(const char *dir, enum sb_key k, const char *owner, char **ret_output) {
        char key[PATH_MAX], crt[PATH_MAX], subject[256];
        int r = sb_key_path(dir, k, "key", key, sizeof key);
        if (r == 0)
                r = sb_key_path(dir, k, "crt", crt, sizeof crt);
        if (r == 0)
                r = create_empty(key, 0600);
        if (r < 0)
                return r;
        snprintf(subject, sizeof subject, "/CN=%s %s/", owner, sb_key_name(k));
        char *argv[] = { (char *)"openssl",
                         (char *)"req",
                         (char *)"-new",
                         (char *)"-x509",
                         (char *)"-newkey",
                         (char *)"rsa:2048",
                         (char *)"-nodes",
                         (char *)"-sha256",
                         (char *)"-days",
                         (char *)"3650",
                         (char *)"-subj",
                         subject,
                         (char *)"-keyout",
                         key,
                         (char *)"-out",
                         crt,
                         NULL };
        return tool_run(argv, ret_output);
}

static void keygen_undo(const char *dir) {
        char path[PATH_MAX];
        for (int k = 0; k < SB_N_KEYS; k++) {
                if (sb_key_path(dir, (enum sb_key)k, "key", path, sizeof path) == 0)
                        unlink(path);
                if (sb_key_path(dir, (enum sb_key)k, "crt", path, sizeof path) == 0)
                        unlink(path);
        }
        if (dir_path(dir, GUID_FILE, path) == 0)
                unlink(path);
}

static bool any_key_exists(const char *dir) {
        char path[PATH_MAX];
        for (int k = 0; k < SB_N_KEYS; k++)
                if ((sb_key_path(dir, (enum sb_key)k, "key", path, sizeof path) == 0 &&
                     access(path, F_OK) == 0) ||
                    (sb_key_path(dir, (enum sb_key)k, "crt", path, sizeof path) == 0 &&
                     access(path, F_OK) == 0))
                        return true;
        return dir_path(dir, GUID_FILE, path) == 0 && access(path, F_OK) == 0;
}

int sb_keygen(const char *dir, const char *owner, char **ret_output) {
        char guid[GUID_LEN + 2], path[PATH_MAX];
        int r = sb_keys_dir_check(dir);

        if (r < 0)
                return r;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        if (any_key_exists(dir))
                return -EEXIST;
        r = new_guid(guid);
        for (int k = 0; k < SB_N_KEYS && r == 0; k++)
                r = openssl_key(dir, (enum sb_key)k, owner, ret_output);
        if (r == 0 && (r = dir_path(dir, GUID_FILE, path)) == 0) {
                strcat(guid, "\n");
                r = write_file_atomic(path, guid, strlen(guid), 0644);
        }
        if (r < 0)
                keygen_undo(dir);
        return r;
}

/* ---- the signed variable updates ---- */

static int read_guid(const char *dir, char buf[GUID_LEN + 1]) {
        char path[PATH_MAX];
        int r = dir_path(dir, GUID_FILE, path);
        if (r == 0)
                r = read_line_file(path, buf, GUID_LEN + 1);
        return r < 0 ? -ENOENT : strlen(buf) == GUID_LEN ? 0 : -ENOENT;
}

/* outdir/NAME.esl from the certificate, then outdir/NAME.auth signed by signer. */
static int auth_one(const char *dir, const char *outdir, const char *guid, enum sb_key k, enum sb_key signer,
                    char **ret_output) {
        char crt[PATH_MAX], esl[PATH_MAX], auth[PATH_MAX], skey[PATH_MAX], scrt[PATH_MAX];
        int r = sb_key_path(dir, k, "crt", crt, sizeof crt);
        if (r == 0)
                r = sb_key_path(outdir, k, "esl", esl, sizeof esl);
        if (r == 0)
                r = sb_key_path(outdir, k, "auth", auth, sizeof auth);
        if (r == 0)
                r = sb_key_path(dir, signer, "key", skey, sizeof skey);
        if (r == 0)
                r = sb_key_path(dir, signer, "crt", scrt, sizeof scrt);
        if (r < 0)
                return r;
        if (access(crt, R_OK) < 0 || access(skey, R_OK) < 0 || access(scrt, R_OK) < 0)
                return -ENOENT;
        char *esl_argv[] = { (char *)"cert-to-efi-sig-list", (char *)"-g", (char *)guid, crt, esl, NULL };
        char *auth_argv[] = { (char *)"sign-efi-sig-list",
                              (char *)"-g",
                              (char *)guid,
                              (char *)"-k",
                              skey,
                              (char *)"-c",
                              scrt,
                              (char *)sb_key_name(k),
                              esl,
                              auth,
                              NULL };
        r = tool_run(esl_argv, NULL);
        if (r == 0)
                r = tool_run(auth_argv, ret_output);
        return r;
}

int sb_auth_make(const char *dir, const char *outdir, char **ret_output) {
        static const enum sb_key signer[SB_N_KEYS] = { [SB_PK] = SB_PK, [SB_KEK] = SB_PK, [SB_DB] = SB_KEK };
        char guid[GUID_LEN + 1];
        int r = read_guid(dir, guid);

        for (int k = 0; k < SB_N_KEYS && r == 0; k++)
                r = auth_one(dir, outdir, guid, (enum sb_key)k, signer[k], ret_output);
        return r;
}

/* ---- signing ---- */

int sb_sign(const char *dir, const char *in, const char *out, char **ret_output) {
        char key[PATH_MAX], crt[PATH_MAX];
        if (sb_key_path(dir, SB_DB, "key", key, sizeof key) < 0 ||
            sb_key_path(dir, SB_DB, "crt", crt, sizeof crt) < 0 || access(key, R_OK) < 0 ||
            access(crt, R_OK) < 0)
                return -ENOENT;
        char *argv[] = { (char *)"sbsign", (char *)"--key", key, (char *)"--cert", crt, (char *)"--output",
                         (char *)out,      (char *)in,      NULL };
        return tool_run(argv, ret_output);
}

int sb_verify(const char *dir, const char *path) {
        char crt[PATH_MAX];
        if (sb_key_path(dir, SB_DB, "crt", crt, sizeof crt) < 0 || access(crt, R_OK) < 0)
                return -ENOENT;
        char *argv[] = { (char *)"sbverify", (char *)"--cert", crt, (char *)path, NULL };
        int r = tool_run(argv, NULL);
        return r == -ENOENT ? r : r == 0;
}

/* ---- loader.conf ---- */

int sb_loader_conf(const char *old, char **ret) {
        static const char line[] = "secure-boot-enroll force";
        const char *p = old ? old : "";
        char *text = malloc(strlen(p) + sizeof line + 2);
        size_t n = 0;
        bool done = false;

        if (!text)
                return -ENOMEM;
        while (*p) {
                size_t len = strcspn(p, "\n");
                const char *k = p + strspn(p, " \t");
                bool ours = strncmp(k, "secure-boot-enroll", 18) == 0 && (k[18] == ' ' || k[18] == '\t');
                const char *src = ours ? line : p;
                size_t slen = ours ? strlen(line) : len;
                if (!(ours && done)) {
                        memcpy(text + n, src, slen);
                        n += slen;
                        text[n++] = '\n';
                }
                done = done || ours;
                p += len + (p[len] ? 1 : 0);
        }
        if (!done)
                n += (size_t)sprintf(text + n, "%s\n", line);
        text[n] = 0;
        *ret = text;
        return !old || !streq(old, text);
}

/* ---- the firmware's state ---- */

int sb_var_bool(const unsigned char *data, size_t len) {
        if (!data || len != 5 || data[4] > 1)
                return -EBADMSG;
        return data[4];
}

static int read_var(const char *efivars, const char *name) {
        char path[PATH_MAX];
        _cleanup_free_ char *data = NULL;
        size_t len = 0;

        snprintf(path, sizeof path, "%s/%s-%s", efivars, name, SB_GLOBAL_GUID);
        if (read_file(path, &data, &len) < 0)
                return -1;
        int v = sb_var_bool((const unsigned char *)data, len);
        return v < 0 ? -1 : v;
}

void sb_state_read(const char *efivars, struct sb_state *ret) {
        const char *dir = efivars ? efivars : SB_EFIVARS;
        ret->secure_boot = read_var(dir, "SecureBoot");
        ret->setup_mode = read_var(dir, "SetupMode");
}
