/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Secure Boot with the school's own keys: PK (the platform key, which authorises changes to
 * KEK), KEK (which authorises changes to db) and db (which signs what the firmware may start:
 * systemd-boot and the unified kernel images). The keys live in one folder, never on the ESP
 * (the private keys mode 0600, the folder 0700), with the owner GUID of their signature lists
 * in "GUID". Enrolment goes through systemd-boot itself: the signed variable updates
 * loader/keys/auto/{PK,KEK,db}.auth on the ESP, which systemd-boot writes into the firmware
 * when the firmware is in setup mode and loader.conf says "secure-boot-enroll force".
 *
 * The tools are the distribution's: openssl (keys and certificates), efitools
 * (cert-to-efi-sig-list, sign-efi-sig-list), sbsigntool (sbsign, sbverify). */

#define SB_ENROLL_DIR "loader/keys/auto"
#define SB_BOOTLOADER "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
/* The EFI global variable GUID (SecureBoot, SetupMode). */
#define SB_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define SB_EFIVARS "/sys/firmware/efi/efivars"

enum sb_key { SB_PK, SB_KEK, SB_DB, SB_N_KEYS };

/* "PK", "KEK", "db": the variable names, and the stems of the files; NULL for another value. */
const char *sb_key_name(enum sb_key k);

/* The paths of a key's files in dir: "DIR/NAME.key", "DIR/NAME.crt" (ext "key" or "crt").
 * 0; -EINVAL for an unknown key; -ENAMETOOLONG when buf is too small. */
int sb_key_path(const char *dir, enum sb_key k, const char *ext, char *buf, size_t size);

/* Whether dir may hold private keys: -EPERM when it is on a FAT file system (an ESP anyone
 * with the disk can read, and where modes mean nothing); 0 otherwise, also when it does not
 * exist yet (its parent is checked then); another negative errno when neither can be looked at. */
int sb_keys_dir_check(const char *dir);

/* Makes the three keys in dir (created 0700 when missing): self-signed RSA 2048 certificates
 * valid for 10 years with the subject "/CN=<owner> <NAME>/", private keys created 0600 before
 * anything is written to them, and a random owner GUID. 0; -EEXIST when one of the files is
 * there already (nothing changed); -EPERM (sb_keys_dir_check()); -ENOENT when openssl is
 * missing; -EIO when it failed, *ret_output (may be NULL) then what it said (free it); the
 * files made so far are removed on failure. */
int sb_keygen(const char *dir, const char *owner, char **ret_output);

/* The signed updates of the three variables, outdir/{PK,KEK,db}.auth (PK signed by itself, KEK
 * by PK, db by KEK), through outdir/NAME.esl. 0; -ENOENT when a key, the GUID or the tools are
 * missing; -EIO when a tool failed (*ret_output as above). */
int sb_auth_make(const char *dir, const char *outdir, char **ret_output);

/* sbsign with the db key: in to out. 0, -ENOENT (no db key or no sbsign), -EIO (*ret_output). */
int sb_sign(const char *dir, const char *in, const char *out, char **ret_output);
/* sbverify against the db certificate: 1 when path is signed by it, 0 when not (unsigned, or
 * by another key), -ENOENT when there is no db certificate or no sbverify. */
int sb_verify(const char *dir, const char *path);

/* loader.conf with "secure-boot-enroll force" (a line of that key replaced, else added at the
 * end; other lines kept). Returns 1 when it differs from old (may be NULL), 0 when not, or
 * -ENOMEM. */
int sb_loader_conf(const char *old, char **ret);

/* The firmware's Secure Boot state. Each field 1, 0, or -1 when the variable is absent (no
 * UEFI, or a firmware without Secure Boot). */
struct sb_state {
        int secure_boot; /* SecureBoot: the firmware checks signatures */
        int setup_mode; /* SetupMode: no PK, keys may be enrolled */
};

/* The value of a one-byte EFI variable as efivarfs gives it (4 bytes of attributes, then the
 * data): 1 or 0; -EBADMSG when it is not 5 bytes or the byte is neither. */
int sb_var_bool(const unsigned char *data, size_t len);
/* Reads SecureBoot and SetupMode from efivars (SB_EFIVARS; another folder for tests). Always
 * succeeds: what cannot be read is -1. */
void sb_state_read(const char *efivars, struct sb_state *ret);
