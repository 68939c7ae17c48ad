/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cpio writer of koompi-mkinitramfs, fed the paths an image can be asked to hold (an
 * include= of boot.conf, module and library names, symlinks met on the host), and its output
 * read back as the kernel unpacks it: every archive and every segment is whole newc, each
 * directory comes before what it holds, and the trailer ends it and only it.
 *
 * Input: lines "d PATH", "f PATH DATA", "l PATH TARGET", "c PATH" or "s N" (the segment the
 * next entries belong to). */
#include <errno.h>
#include <string.h>

#include "cpio.h"
#include "fuzzer.h"
#include "util.h"

#define HEADER_SIZE 110

struct archive {
        const char *data;
        size_t len, pos;
        char **names; /* the directories met so far: a path may have over 2,000 */
        size_t *lens; /* their lengths: compared first, so that a deep archive stays fast */
        size_t n_names;
};

static unsigned long field(const char *h, unsigned i) {
        char hex[9];
        memcpy(hex, h + 6 + 8 * i, 8);
        hex[8] = 0;
        return strtoul(hex, NULL, 16);
}

static bool seen_dir(const struct archive *a, const char *name, size_t len) {
        for (size_t i = 0; i < a->n_names; i++)
                if (a->lens[i] == len && memcmp(a->names[i], name, len) == 0)
                        return true;
        return false;
}

/* One entry at a->pos; true when it was the trailer. */
static bool check_entry(struct archive *a) {
        FUZZ_CHECK(a->len - a->pos >= HEADER_SIZE && memcmp(a->data + a->pos, "070701", 6) == 0);
        const char *h = a->data + a->pos, *name = h + HEADER_SIZE;
        unsigned long mode = field(h, 1), size = field(h, 6), namesize = field(h, 11);
        FUZZ_CHECK(namesize > 1 && a->len - a->pos - HEADER_SIZE >= namesize);
        FUZZ_CHECK(name[namesize - 1] == 0 && strlen(name) == namesize - 1);
        a->pos = (a->pos + HEADER_SIZE + namesize + 3) & ~(size_t)3;
        FUZZ_CHECK(a->pos <= a->len && a->len - a->pos >= size);
        a->pos = (a->pos + size + 3) & ~(size_t)3;
        if (streq(name, "TRAILER!!!"))
                return true;
        FUZZ_CHECK(*name != '/' && !strstr(name, "//") && !streq(name, ".."));
        const char *slash = strrchr(name, '/');
        FUZZ_CHECK(!slash || seen_dir(a, name, (size_t)(slash - name)));
        if ((mode & 0170000) == 0040000) {
                a->names = realloc(a->names, (a->n_names + 1) * sizeof *a->names);
                a->lens = realloc(a->lens, (a->n_names + 1) * sizeof *a->lens);
                FUZZ_CHECK(a->names && a->lens);
                a->lens[a->n_names] = namesize - 1;
                a->names[a->n_names++] = strdup_or_die(name);
        }
        return false;
}

static void check_archive(const void *data, size_t len) {
        struct archive a = { .data = data, .len = len };
        while (!check_entry(&a))
                ;
        /* Whatever the kernel would unpack after a trailer is lost: only padding may follow. */
        for (size_t i = a.pos; i < len; i++)
                FUZZ_CHECK(a.data[i] == 0);
        for (size_t i = 0; i < a.n_names; i++)
                free(a.names[i]);
        free(a.names);
        free(a.lens);
}

static void add_line(struct cpio *c, char *line) {
        char *path, *arg;
        unsigned segment;

        if (strlen(line) < 3 || line[1] != ' ')
                return;
        path = line + 2;
        arg = strchr(path, ' ');
        if (arg)
                *arg++ = 0;
        if (line[0] == 'd')
                (void)cpio_add_dir(c, path, 0755);
        else if (line[0] == 'f')
                (void)cpio_add_data(c, path, 0644, arg ? arg : "", arg ? strlen(arg) : 0);
        else if (line[0] == 'l' && arg)
                (void)cpio_add_symlink(c, path, arg);
        else if (line[0] == 'c')
                (void)cpio_add_chardev(c, path, 0600, 5, 1);
        else if (line[0] == 's' && parse_uint(path, &segment) == 0 && segment < 4)
                cpio_set_segment(c, segment);
}

static void check_write(struct cpio *c, int segment) {
        _cleanup_free_ void *out = NULL;
        size_t len;
        int r = segment < 0 ? cpio_write_mem(c, &out, &len)
                            : cpio_write_segment_mem(c, (unsigned)segment, &out, &len);
        FUZZ_CHECK(r == 0);
        check_archive(out, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_string(data, size);
        _cleanup_cpio_ struct cpio *c = NULL;

        FUZZ_CHECK(cpio_new(0, &c) == 0);
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                add_line(c, l);
        check_write(c, -1);
        for (unsigned s = 0; s < 4; s++)
                if (cpio_segment_count(c, s) > 0)
                        check_write(c, (int)s);
        return 0;
}
