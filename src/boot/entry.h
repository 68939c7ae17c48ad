/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Boot Loader Specification entries: the boot-counting file-name grammar used by systemd-boot
 * and systemd-bless-boot, the transitions of the counter, and the contents of a type #1 entry.
 * Everything here is pure: no file is touched; callers rename and write.
 *
 * File-name grammar (systemd's):
 *
 *     name    = stem [ "+" LEFT [ "-" DONE ] ] suffix
 *     LEFT    = 1*DIGIT   ; <= INT_MAX
 *     DONE    = 1*DIGIT   ; <= INT_MAX, missing means 0
 *     suffix  = ".conf" (type #1) or ".efi" (type #2), compared case-insensitively
 *
 * Only the LAST '+' of the name before the suffix is looked at; if what follows it does not match
 * the grammar exactly, or nothing comes before it (the stem may not be empty), the entry simply
 * has no counter and its stem is everything before the suffix ("linux-6.1+deb12.conf": no
 * counter, stem "linux-6.1+deb12"; "+3.conf": no counter, stem "+3").
 *
 * States: no counter = good (blessed, or never counted); LEFT > 0 = indeterminate (on trial);
 * LEFT == 0 = bad (its tries are spent; systemd-boot sorts it last). */

#define ENTRY_NAME_MAX 255 /* a FAT long file name, and the BLS limit */
#define ENTRY_SUFFIX_MAX 15

enum entry_state {
        ENTRY_GOOD,
        ENTRY_INDETERMINATE,
        ENTRY_BAD,
};

struct entry_name {
        char stem[ENTRY_NAME_MAX + 1]; /* before the counter (or the suffix), as spelled */
        char suffix[ENTRY_SUFFIX_MAX + 1]; /* ".conf" or ".efi", spelled as in the file name */
        bool has_counter;
        unsigned left; /* tries left, <= INT_MAX */
        unsigned done; /* tries done, <= INT_MAX */
};

/* Splits a file name (no directory) ending in suffix (".conf" or ".efi", any case). 0 on success,
 * also when the name has no valid counter (has_counter false); -EINVAL when the name does not end
 * in suffix, is nothing but the suffix, or contains '/'; -ENAMETOOLONG beyond ENTRY_NAME_MAX. */
int entry_name_parse(const char *filename, const char *suffix, struct entry_name *ret);

/* The file name back: stem, then "+LEFT" and "-DONE" (the latter only when DONE > 0), then the
 * suffix. After a bump DONE is always > 0, so the result is the name systemd-boot gives the file.
 * -ENOBUFS when size is too small. */
int entry_name_format(const struct entry_name *e, char *buf, size_t size);

enum entry_state entry_name_state(const struct entry_name *e);
const char *entry_state_to_string(enum entry_state s);

/* Counter transitions. Each changes only has_counter/left/done. */

/* What systemd-boot does to the entry it starts: LEFT-1 (not below 0), DONE+1 (not above INT_MAX).
 * -ENOENT (nothing changed) on an entry without a counter: the loader does not count it. */
int entry_counter_bump(struct entry_name *e);
/* What `systemd-bless-boot good` does: drop the counter. Idempotent. */
void entry_counter_bless(struct entry_name *e);
/* What `systemd-bless-boot bad` does: "+0-DONE", or "+0" when DONE is 0. An entry without a
 * counter gets "+0". */
void entry_counter_mark_bad(struct entry_name *e);
/* Undoes one bump (LEFT+1, DONE-1): for an attempt that never got past the passphrase prompt, so
 * it does not use up a try. -ENOENT without a counter, -ERANGE when DONE is 0 or LEFT is INT_MAX. */
int entry_counter_give_back(struct entry_name *e);
/* Arms a fresh counter: "+TRIES" (DONE 0). TRIES 0 marks the entry bad; -ERANGE above INT_MAX. */
int entry_counter_set(struct entry_name *e, unsigned tries);

/* The entry id systemd-boot matches LoaderEntryDefault/LoaderEntrySelected against: the file name
 * without the counter, ASCII lower-cased ("Koompi-X+2-1.conf" -> "koompi-x.conf").
 * -ENOBUFS when size is too small. */
int entry_name_id(const struct entry_name *e, char *buf, size_t size);
/* The same from a bare file name; a name with neither suffix is only lower-cased. */
int entry_id_from_filename(const char *filename, char *buf, size_t size);
/* Whether two file names or ids name the same entry (counters and case ignored), so that both an
 * old systemd-boot's LoaderEntrySelected (with the counter) and a new one's (without) match. */
bool entry_id_equal(const char *a, const char *b);

/* Entries written by koompi-boot are named "koompi-<ID>[+TRIES].conf" with ID derived from the
 * root subvolume's name. */
#define ENTRY_KOOMPI_PREFIX "koompi-"
#define ENTRY_ROOT_ID_MAX 200

/* "@root-2024-12-01" -> "root-2024-12-01": one leading '@' dropped, ASCII letters lower-cased
 * (systemd-boot matches ids case-insensitively), every byte outside ALPHA DIGIT "-" "_" "."
 * replaced by '_' (so never a '+', which would read as a counter). Distinct unusual names can
 * map to the same ID; callers holding several roots should check for that. -EINVAL for an empty
 * result or one starting with '.', -ENAMETOOLONG beyond ENTRY_ROOT_ID_MAX, -ENOBUFS. */
int entry_id_from_root(const char *root, char *buf, size_t size);
/* "koompi-<ID>+TRIES.conf", or "koompi-<ID>.conf" when tries is 0 (not counted). */
int entry_filename_for_root(const char *root, unsigned tries, char *buf, size_t size);
/* The ID of a koompi entry (pointer into e->stem after "koompi-"), or NULL for other entries. */
const char *entry_name_koompi_id(const struct entry_name *e);

/* The root an entry boots is what its options line names, whatever the file is called (an
 * entry may be written by hand, or by another tool): koompi.snapshot=, else the subvol= of
 * rootflags= (leading '/' dropped), as koompi-init reads its command line. 0 with the name in
 * buf; -ENOENT when the options name none (the entry boots boot.conf's snapshot); -ENOBUFS;
 * -ENOMEM. */
int entry_options_root(const char *options, char *buf, size_t size);
/* Whether the entry e belongs to root: options_root (entry_options_root() of its options; NULL
 * or "" when they name none) is root; naming none, e is "koompi-<ID>" with root's ID. */
bool entry_is_of_root(const struct entry_name *e, const char *options_root, const char *root);

/* The contents of a type #1 entry. Every string is owned (free with entry_content_free) and may
 * be NULL when absent. "linux" is a predefined macro in GNU C, hence `kernel`. */
struct entry_content {
        char *title;
        char *version;
        char *sort_key; /* "sort-key" */
        char *kernel; /* "linux" */
        char *initrd; /* the first "initrd" */
        char *options; /* every "options" line, joined with single spaces */
        char **extra; /* other lines, "key value", in file order (NULL-terminated) */
};

/* Parses an entry file's text: "key value" lines, '#' comments and blank lines ignored, leading
 * and trailing whitespace trimmed. A repeated options line is appended with a space; for other
 * known keys the last one wins, except initrd: the first goes to `initrd`, later ones to `extra`,
 * and one naming no file is left out.
 * Unknown keys are kept in `extra`. *ret is overwritten. 0 or -ENOMEM. */
int entry_content_parse(const char *text, struct entry_content *ret);
/* Writes the entry as text, '\n' line endings, keys in this order: title, version, sort-key,
 * linux, initrd, the extra lines, options. Absent and empty values are left out. -EINVAL when a
 * value contains a line break. *ret is a NUL-terminated string to free. */
int entry_content_format(const struct entry_content *c, char **ret);
void entry_content_free(struct entry_content *c);
