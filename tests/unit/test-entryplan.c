/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryplan.h"
#include "util.h"

#define K1 "0123456789abcdef"
#define K2 "fedcba9876543210"
#define OPTS "root=UUID=1234 quiet"

/* The roots of a machine during an update: the factory root, the current one (booted well),
 * the update (never booted) and a root still being written (not read-only). */
static struct plan_root roots[] = {
        { .name = "@root-factory", .read_only = true, .generation = 10, .good = true, .kernel_id = K1 },
        { .name = "@root-current", .read_only = true, .generation = 100, .good = true, .kernel_id = K1 },
        { .name = "@root-new", .read_only = true, .generation = 200, .kernel_id = K2 },
        { .name = "@root-wip", .read_only = false, .generation = 300 },
};

static struct plan_input input(const struct plan_file *entries, size_t n, const char *const *kdirs,
                               size_t nk) {
        return (struct plan_input) {
                .roots = roots,
                .n_roots = ELEMENTSOF(roots),
                .entries = entries,
                .n_entries = n,
                .kernel_dirs = kdirs,
                .n_kernel_dirs = nk,
                .options = OPTS,
                .tries = 3,
                .loader_conf = "timeout 3\ndefault koompi-*\neditor no\n",
        };
}

static const struct plan_entry *find(const struct plan *p, const char *file) {
        for (size_t i = 0; i < p->n_entries; i++)
                if (streq(p->entries[i].file, file))
                        return &p->entries[i];
        return NULL;
}

static void expect_op(const struct plan *p, const char *file, enum plan_op op) {
        const struct plan_entry *e = find(p, file);
        if (!e)
                fail_msg("no plan for %s", file);
        if (e->op != op)
                fail_msg("%s: op %d, expected %d", file, e->op, op);
}

static size_t count_op(const struct plan *p, enum plan_op op) {
        size_t n = 0;
        for (size_t i = 0; i < p->n_entries; i++)
                n += p->entries[i].op == op;
        return n;
}

static char *text_of(const char *root) {
        for (size_t i = 0; i < ELEMENTSOF(roots); i++)
                if (streq(roots[i].name, root)) {
                        char *t = NULL;
                        assert_int_equal(plan_entry_text(&roots[i], OPTS, &t), 0);
                        return t;
                }
        fail_msg("no root %s", root);
        return NULL;
}

static void test_entry_text(void **state) {
        _cleanup_free_ char *t = text_of("@root-new");
        assert_string_equal(t,
                            "title KOOMPI OS (@root-new)\n"
                            "version 200\n"
                            "sort-key koompi\n"
                            "linux /koompi/fedcba9876543210/vmlinuz\n"
                            "initrd /koompi/fedcba9876543210/initramfs.img\n"
                            "options root=UUID=1234 quiet koompi.snapshot=@root-new\n");
        _cleanup_free_ char *bare = NULL;
        assert_int_equal(plan_entry_text(&roots[0], "", &bare), 0);
        assert_non_null(strstr(bare, "\noptions koompi.snapshot=@root-factory\n"));
}

static void test_fresh_esp(void **state) {
        struct plan p;
        struct plan_input in = input(NULL, 0, NULL, 0);
        in.loader_conf = NULL;
        assert_int_equal(plan_entries(&in, &p), 0);

        assert_int_equal(p.n_entries, 3);
        expect_op(&p, "koompi-root-factory.conf", PLAN_CREATE);
        expect_op(&p, "koompi-root-current.conf", PLAN_CREATE);
        expect_op(&p, "koompi-root-new+3.conf", PLAN_CREATE);
        _cleanup_free_ char *t = text_of("@root-new");
        assert_string_equal(find(&p, "koompi-root-new+3.conf")->text, t);
        assert_string_equal(find(&p, "koompi-root-new+3.conf")->root, "@root-new");

        /* Two roots share a kernel: stored once. */
        assert_int_equal(p.n_kernels_needed, 2);
        assert_string_equal(p.kernels_needed[0], K1);
        assert_string_equal(p.kernels_needed[1], K2);
        assert_int_equal(p.n_kernels_unused, 0);
        assert_string_equal(p.loader_conf, "timeout 3\ndefault koompi-*\neditor no\n");
        plan_free(&p);
}

/* What a sync wrote, read back, plans nothing. */
static void test_resync_idempotent(void **state) {
        struct plan p, q;
        struct plan_input in = input(NULL, 0, NULL, 0);
        assert_int_equal(plan_entries(&in, &p), 0);

        struct plan_file files[8];
        size_t n = 0;
        for (size_t i = 0; i < p.n_entries; i++)
                files[n++] = (struct plan_file) { .name = p.entries[i].file, .text = p.entries[i].text };
        files[n++] = (struct plan_file) { .name = "debian-6.1.conf", .text = "title Debian\n" };
        const char *kdirs[] = { K1, K2, "pending" };
        in = input(files, n, kdirs, ELEMENTSOF(kdirs));
        assert_int_equal(plan_entries(&in, &q), 0);
        assert_int_equal(q.n_entries, 3);
        assert_int_equal(count_op(&q, PLAN_KEEP), 3);
        assert_null(find(&q, "debian-6.1.conf"));
        assert_int_equal(q.n_kernels_needed, 0);
        assert_int_equal(q.n_kernels_unused, 0);
        assert_null(q.loader_conf);
        plan_free(&q);
        plan_free(&p);
}

/* A re-sync never resets or re-arms a counter, and never blesses: the name stays. */
static void test_counters_preserved(void **state) {
        _cleanup_free_ char *tn = text_of("@root-new"), *tc = text_of("@root-current"),
                            *tf = text_of("@root-factory");
        struct plan_file files[] = {
                { "koompi-root-new+1-2.conf", tn },
                { "koompi-root-current+0-3.conf", tc },
                /* Blessed by hand though the ledger never saw it good: stays blessed. */
                { "koompi-root-factory.conf", tf },
        };
        const char *kdirs[] = { K1, K2 };
        struct plan p;
        struct plan_input in = input(files, ELEMENTSOF(files), kdirs, 2);
        roots[0].good = false;
        assert_int_equal(plan_entries(&in, &p), 0);
        roots[0].good = true;
        assert_int_equal(p.n_entries, 3);
        expect_op(&p, "koompi-root-new+1-2.conf", PLAN_KEEP);
        expect_op(&p, "koompi-root-current+0-3.conf", PLAN_KEEP);
        expect_op(&p, "koompi-root-factory.conf", PLAN_KEEP);
        plan_free(&p);

        /* New options: the contents change, the names do not. */
        in.options = "root=UUID=1234 quiet splash";
        assert_int_equal(plan_entries(&in, &p), 0);
        assert_int_equal(count_op(&p, PLAN_UPDATE), 3);
        expect_op(&p, "koompi-root-new+1-2.conf", PLAN_UPDATE);
        assert_non_null(strstr(find(&p, "koompi-root-new+1-2.conf")->text,
                               "options root=UUID=1234 quiet splash koompi.snapshot=@root-new\n"));
        plan_free(&p);

        /* An unreadable file is rewritten under its name. */
        files[0].text = NULL;
        in = input(files, ELEMENTSOF(files), kdirs, 2);
        assert_int_equal(plan_entries(&in, &p), 0);
        expect_op(&p, "koompi-root-new+1-2.conf", PLAN_UPDATE);
        plan_free(&p);
}

static void test_new_entry_counters(void **state) {
        struct plan p;
        struct plan_input in = input(NULL, 0, NULL, 0);

        in.tries = 5;
        assert_int_equal(plan_entries(&in, &p), 0);
        expect_op(&p, "koompi-root-new+5.conf", PLAN_CREATE);
        plan_free(&p);

        in.tries = 0; /* the default */
        assert_int_equal(plan_entries(&in, &p), 0);
        expect_op(&p, "koompi-root-new+3.conf", PLAN_CREATE);
        plan_free(&p);

        /* Known bad: starts spent, so systemd-boot sorts it last and never picks it itself. */
        roots[2].bad = true;
        assert_int_equal(plan_entries(&in, &p), 0);
        roots[2].bad = false;
        expect_op(&p, "koompi-root-new+0.conf", PLAN_CREATE);
        plan_free(&p);

        /* Bad wins over good. */
        roots[1].bad = true;
        assert_int_equal(plan_entries(&in, &p), 0);
        roots[1].bad = false;
        expect_op(&p, "koompi-root-current+0.conf", PLAN_CREATE);
        plan_free(&p);
}

static void test_twins(void **state) {
        _cleanup_free_ char *tn = text_of("@root-new"), *tc = text_of("@root-current");
        const char *kdirs[] = { K1, K2 };
        struct plan p;

        /* An uncounted twin beside a counted entry goes, whatever the ledger says. */
        struct plan_file a[] = {
                { "koompi-root-new.conf", tn },
                { "koompi-root-new+2-1.conf", tn },
                { "koompi-root-current.conf", tc },
                { "koompi-root-current+3.conf", tc },
        };
        struct plan_input in = input(a, ELEMENTSOF(a), kdirs, 2);
        assert_int_equal(plan_entries(&in, &p), 0);
        expect_op(&p, "koompi-root-new+2-1.conf", PLAN_KEEP);
        expect_op(&p, "koompi-root-new.conf", PLAN_REMOVE);
        assert_string_equal(find(&p, "koompi-root-new.conf")->reason, "twin");
        expect_op(&p, "koompi-root-current+3.conf", PLAN_KEEP);
        expect_op(&p, "koompi-root-current.conf", PLAN_REMOVE);
        assert_int_equal(count_op(&p, PLAN_CREATE), 1); /* the factory root */
        plan_free(&p);

        /* Among counted twins, the fewest tries left, then the most done; case is ignored. */
        struct plan_file b[] = {
                { "koompi-root-new+3.conf", tn },
                { "koompi-Root-New+1-1.conf", tn },
                { "koompi-root-new+1-2.conf", tn },
                { "koompi-root-new+2-1.conf", NULL },
        };
        in = input(b, ELEMENTSOF(b), kdirs, 2);
        assert_int_equal(plan_entries(&in, &p), 0);
        expect_op(&p, "koompi-root-new+1-2.conf", PLAN_KEEP);
        expect_op(&p, "koompi-root-new+3.conf", PLAN_REMOVE);
        expect_op(&p, "koompi-Root-New+1-1.conf", PLAN_REMOVE);
        expect_op(&p, "koompi-root-new+2-1.conf", PLAN_REMOVE);
        /* No uncounted koompi-root-new file is planned anywhere. */
        for (size_t i = 0; i < p.n_entries; i++)
                if (p.entries[i].op != PLAN_REMOVE)
                        assert_false(streq(p.entries[i].file, "koompi-root-new.conf"));
        plan_free(&p);

        /* A spent twin is kept over a fresh one: tries are never handed back by a sync. */
        struct plan_file c[] = {
                { "koompi-root-new+0-3.conf", tn },
                { "koompi-root-new+3.conf", tn },
        };
        in = input(c, ELEMENTSOF(c), kdirs, 2);
        assert_int_equal(plan_entries(&in, &p), 0);
        expect_op(&p, "koompi-root-new+0-3.conf", PLAN_KEEP);
        expect_op(&p, "koompi-root-new+3.conf", PLAN_REMOVE);
        plan_free(&p);
}

static void test_stale(void **state) {
        _cleanup_free_ char *tn = text_of("@root-new");
        struct plan_file files[] = {
                { "koompi-root-new+3.conf", tn },
                { "koompi-root-gone+0-3.conf", "title x\n" },
                { "koompi-root-wip+3.conf", "title x\n" },
                { "debian.conf", "title Debian\n" },
                { "koompi-.conf", "title odd\n" },
                { "koompi-root-x.efi", "" },
                { "README", "" },
        };
        const char *kdirs[] = {
                K1, K2, "00000000deadbeef", "pending", "initramfs-6.12.img", "DEADBEEF00000000"
        };
        struct plan p;
        struct plan_input in = input(files, ELEMENTSOF(files), kdirs, ELEMENTSOF(kdirs));
        assert_int_equal(plan_entries(&in, &p), 0);
        expect_op(&p, "koompi-root-new+3.conf", PLAN_KEEP);
        expect_op(&p, "koompi-root-gone+0-3.conf", PLAN_REMOVE);
        assert_string_equal(find(&p, "koompi-root-gone+0-3.conf")->reason, "no such root");
        assert_null(find(&p, "koompi-root-gone+0-3.conf")->root);
        expect_op(&p, "koompi-root-wip+3.conf", PLAN_REMOVE);
        assert_string_equal(find(&p, "koompi-root-wip+3.conf")->reason, "root not read-only");
        assert_null(find(&p, "debian.conf"));
        assert_null(find(&p, "koompi-.conf"));
        assert_null(find(&p, "koompi-root-x.efi"));
        assert_null(find(&p, "README"));
        /* Only a kernel directory nothing refers to goes; other names under koompi/ stay. */
        assert_int_equal(p.n_kernels_unused, 1);
        assert_string_equal(p.kernels_unused[0], "00000000deadbeef");
        assert_int_equal(p.n_kernels_needed, 0);
        plan_free(&p);
}

static void test_refusals(void **state) {
        struct plan p;
        struct plan_input in = input(NULL, 0, NULL, 0);

        /* Nothing read-only: every entry would go. */
        struct plan_root none[] = { { .name = "@root-wip", .read_only = false } };
        in.roots = none;
        in.n_roots = 1;
        assert_int_equal(plan_entries(&in, &p), -ENOENT);
        plan_free(&p);
        in.n_roots = 0;
        assert_int_equal(plan_entries(&in, &p), -ENOENT);
        plan_free(&p);

        /* Two roots, one entry ID. */
        struct plan_root clash[] = {
                { .name = "@root-A", .read_only = true, .kernel_id = K1 },
                { .name = "@root-a", .read_only = true, .kernel_id = K1 },
        };
        in.roots = clash;
        in.n_roots = 2;
        assert_int_equal(plan_entries(&in, &p), -EEXIST);
        assert_string_equal(p.conflict[0], "@root-A");
        assert_string_equal(p.conflict[1], "@root-a");
        plan_free(&p);

        /* A name that cannot go on the command line. */
        struct plan_root spaced[] = { { .name = "@root-my backup", .read_only = true, .kernel_id = K1 } };
        in.roots = spaced;
        in.n_roots = 1;
        assert_int_equal(plan_entries(&in, &p), -EINVAL);
        assert_string_equal(p.conflict[0], "@root-my backup");
        plan_free(&p);

        /* No kernel. */
        struct plan_root nokernel[] = { { .name = "@root-a", .read_only = true, .kernel_id = "xyz" } };
        in.roots = nokernel;
        assert_int_equal(plan_entries(&in, &p), -EINVAL);
        plan_free(&p);
}

static void test_loader_conf(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        assert_int_equal(plan_loader_conf(NULL, &a), 1);
        assert_string_equal(a, "timeout 3\ndefault koompi-*\neditor no\n");
        assert_int_equal(plan_loader_conf(a, &b), 0);
        assert_string_equal(a, b);

        /* The timeout and other keys are kept; a pinned default and the editor are not. */
        assert_int_equal(plan_loader_conf("# mine\ntimeout 10\ndefault koompi-root-new+3.conf\n"
                                          "console-mode max\neditor yes\ndefault @saved",
                                          &c),
                         1);
        assert_string_equal(c, "# mine\ntimeout 10\ndefault koompi-*\nconsole-mode max\neditor no\n");

        /* A key is the whole first word. */
        assert_int_equal(plan_loader_conf("timeoutx 5\n  default  x\n", &d), 1);
        assert_string_equal(d, "timeoutx 5\ndefault koompi-*\ntimeout 3\neditor no\n");
}

static void test_base_options(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        assert_int_equal(plan_base_options("BOOT_IMAGE=/vmlinuz-linux root=UUID=x rw quiet "
                                           "koompi.snapshot=@root-a initrd=\\koompi\\x foo=\"a b\"\n",
                                           &a),
                         0);
        assert_string_equal(a, "root=UUID=x rw quiet foo=\"a b\"");
        assert_int_equal(plan_base_options("", &b), 0);
        assert_string_equal(b, "");
        assert_int_equal(plan_base_options("  initrd=x   koompi.snapshot=y  ", &c), 0);
        assert_string_equal(c, "");
}

static void test_kernel_id(void **state) {
        assert_true(plan_is_kernel_id("0123456789abcdef"));
        assert_false(plan_is_kernel_id("0123456789ABCDEF"));
        assert_false(plan_is_kernel_id("0123456789abcde"));
        assert_false(plan_is_kernel_id("0123456789abcdef0"));
        assert_false(plan_is_kernel_id("pending"));
        assert_false(plan_is_kernel_id(NULL));
}

/* ---- image = uki ---- */

static struct plan_input uki_input(const struct plan_file *ukis, size_t n, const struct plan_file *entries,
                                   size_t ne, const char *signer) {
        static const char *const kdirs[] = { K1, K2, "pending" };
        struct plan_input in = input(entries, ne, kdirs, ELEMENTSOF(kdirs));
        in.uki = true;
        in.ukis = ukis;
        in.n_ukis = n;
        in.signer = signer;
        return in;
}

static void test_uki_text(void **state) {
        _cleanup_free_ char *t = NULL, *u = NULL;
        char *x = NULL;
        assert_int_equal(plan_uki_text(&roots[2], OPTS, "00112233aabbccdd", &t), 0);
        assert_string_equal(t,
                            "NAME=\"KOOMPI OS\"\n"
                            "ID=koompi\n"
                            "PRETTY_NAME=\"KOOMPI OS (@root-new)\"\n"
                            "VERSION_ID=\"200\"\n"
                            "KOOMPI_ROOT=\"@root-new\"\n"
                            "KOOMPI_KERNEL=\"" K2 "\"\n"
                            "KOOMPI_SIGNER=\"00112233aabbccdd\"\n"
                            "\n" OPTS " koompi.snapshot=@root-new");
        /* No options: the snapshot alone; unsigned: no signer line. */
        assert_int_equal(plan_uki_text(&roots[0], NULL, NULL, &u), 0);
        assert_non_null(strstr(u, "\n\nkoompi.snapshot=@root-factory"));
        assert_null(strstr(u, "KOOMPI_SIGNER"));
        /* A root not read-only has no kernel. */
        assert_int_equal(plan_uki_text(&roots[3], OPTS, NULL, &x), -EINVAL);
        assert_null(x);
}

static void test_uki_fresh_esp(void **state) {
        struct plan p;
        struct plan_input in = uki_input(NULL, 0, NULL, 0, NULL);
        assert_int_equal(plan_entries(&in, &p), 0);

        assert_int_equal(p.n_entries, 3);
        expect_op(&p, "koompi-root-factory.efi", PLAN_CREATE);
        expect_op(&p, "koompi-root-current.efi", PLAN_CREATE);
        expect_op(&p, "koompi-root-new+3.efi", PLAN_CREATE);
        for (size_t i = 0; i < p.n_entries; i++)
                assert_true(p.entries[i].uki);
        _cleanup_free_ char *t = NULL;
        assert_int_equal(plan_uki_text(&roots[2], OPTS, NULL, &t), 0);
        assert_string_equal(find(&p, "koompi-root-new+3.efi")->text, t);
        /* UKIs carry their kernels: none stored, the kernel directories unused (not "pending"). */
        assert_int_equal(p.n_kernels_needed, 0);
        assert_int_equal(p.n_kernels_unused, 2);
        assert_string_equal(p.kernels_unused[0], K1);
        assert_string_equal(p.kernels_unused[1], K2);
        plan_free(&p);
}

/* Read back, the same UKIs are kept; a new signing key rewrites them under the same names. */
static void test_uki_resync(void **state) {
        struct plan p, q, k;
        struct plan_input in = uki_input(NULL, 0, NULL, 0, "00112233aabbccdd");
        assert_int_equal(plan_entries(&in, &p), 0);

        struct plan_file files[8];
        size_t n = 0;
        for (size_t i = 0; i < p.n_entries; i++)
                files[n++] = (struct plan_file) { .name = p.entries[i].file, .text = p.entries[i].text };
        files[n++] = (struct plan_file) { .name = "debian.efi", .text = NULL };
        in = uki_input(files, n, NULL, 0, "00112233aabbccdd");
        assert_int_equal(plan_entries(&in, &q), 0);
        assert_int_equal(q.n_entries, 3);
        assert_int_equal(count_op(&q, PLAN_KEEP), 3);
        assert_null(find(&q, "debian.efi"));
        in.signer = "ffffffffffffffff";
        assert_int_equal(plan_entries(&in, &k), 0);
        assert_int_equal(count_op(&k, PLAN_UPDATE), 3);
        expect_op(&k, "koompi-root-new+3.efi", PLAN_UPDATE);
        plan_free(&k);
        plan_free(&q);
        plan_free(&p);
}

/* Switching the image kind replaces each root's file and keeps its counter state. */
static void test_uki_switch_keeps_counters(void **state) {
        struct plan p, q;
        const struct plan_file entries[] = {
                { "koompi-root-factory.conf", "x" },
                { "koompi-root-current+0-3.conf", "x" },
                { "koompi-root-new+1-2.conf", "x" },
                { "koompi-root-gone.conf", "x" },
        };
        struct plan_input in = uki_input(NULL, 0, entries, ELEMENTSOF(entries), NULL);
        assert_int_equal(plan_entries(&in, &p), 0);
        expect_op(&p, "koompi-root-factory.efi", PLAN_CREATE);
        expect_op(&p, "koompi-root-current+0-3.efi", PLAN_CREATE);
        expect_op(&p, "koompi-root-new+1-2.efi", PLAN_CREATE);
        expect_op(&p, "koompi-root-new+1-2.conf", PLAN_REMOVE);
        assert_string_equal(find(&p, "koompi-root-new+1-2.conf")->reason, "image = uki");
        assert_false(find(&p, "koompi-root-new+1-2.conf")->uki);
        assert_string_equal(find(&p, "koompi-root-gone.conf")->reason, "no such root");
        assert_int_equal(count_op(&p, PLAN_REMOVE), 4);

        /* And back: the UKIs go, the entries come back with their counters. */
        const struct plan_file ukis[] = {
                { "koompi-root-current+0-3.efi", "x" },
                { "koompi-root-new+2-1.efi", "x" },
                { "koompi-root-wip+3.EFI", "x" },
        };
        in = input(NULL, 0, NULL, 0);
        in.ukis = ukis;
        in.n_ukis = ELEMENTSOF(ukis);
        assert_int_equal(plan_entries(&in, &q), 0);
        expect_op(&q, "koompi-root-current+0-3.conf", PLAN_CREATE);
        expect_op(&q, "koompi-root-new+2-1.conf", PLAN_CREATE);
        expect_op(&q, "koompi-root-factory.conf", PLAN_CREATE);
        expect_op(&q, "koompi-root-new+2-1.efi", PLAN_REMOVE);
        assert_true(find(&q, "koompi-root-new+2-1.efi")->uki);
        assert_string_equal(find(&q, "koompi-root-new+2-1.efi")->reason, "image = entry");
        assert_string_equal(find(&q, "koompi-root-wip+3.EFI")->reason, "root not read-only");
        plan_free(&q);
        plan_free(&p);
}

/* An entry named by hand whose options name a root is that root's entry: kept as it is, with no
 * koompi-<ID> file beside it (a twin an older sync wrote goes), and the kernel directory it boots
 * from stays, whatever the image kind. */
static void test_hand_named_entry(void **state) {
        _cleanup_free_ char *tn = text_of("@root-new");
        const char *hand = "title School image\nlinux /koompi/00000000deadbeef/vmlinuz\n"
                           "initrd /koompi/00000000deadbeef/initramfs.img\n"
                           "options root=UUID=1234 rootflags=subvol=/@root-new,compress=zstd quiet\n";
        struct plan_file files[] = {
                { "school-new+2-1.conf", hand },
                { "koompi-root-new+3.conf", tn },
                { "school-wip.conf",
                  "linux /koompi/00000000cafef00d/vmlinuz\noptions koompi.snapshot=@root-wip\n" },
        };
        const char *kdirs[] = { K1, K2, "00000000deadbeef", "00000000cafebabe", "00000000cafef00d" };
        struct plan p;
        struct plan_input in = input(files, ELEMENTSOF(files), kdirs, ELEMENTSOF(kdirs));
        assert_int_equal(plan_entries(&in, &p), 0);
        expect_op(&p, "school-new+2-1.conf", PLAN_KEEP);
        assert_string_equal(find(&p, "school-new+2-1.conf")->reason, "named by hand");
        assert_string_equal(find(&p, "school-new+2-1.conf")->root, "@root-new");
        assert_null(find(&p, "school-new+2-1.conf")->text);
        expect_op(&p, "koompi-root-new+3.conf", PLAN_REMOVE);
        assert_string_equal(find(&p, "koompi-root-new+3.conf")->reason, "twin");
        /* The factory and current roots get theirs; @root-new none; a writable root's entry
         * named by hand is not koompi-boot's either. */
        assert_int_equal(count_op(&p, PLAN_CREATE), 2);
        for (size_t i = 0; i < p.n_entries; i++)
                assert_false(p.entries[i].op == PLAN_CREATE && strstr(p.entries[i].file, "root-new"));
        assert_null(find(&p, "school-wip.conf"));
        /* @root-new boots its entry's kernel: koompi-boot's own for it (K2) is not kept. */
        assert_int_equal(p.n_kernels_unused, 2);
        assert_string_equal(p.kernels_unused[0], K2);
        assert_string_equal(p.kernels_unused[1], "00000000cafebabe");
        /* It is the newest root and its entry is not spent: the default names that entry. */
        assert_string_equal(p.loader_default, "school-new.conf");
        assert_string_equal(p.loader_conf, "timeout 3\ndefault school-new.conf\neditor no\n");
        plan_free(&p);

        /* With UKIs too: none for @root-new, and its entry's kernel directory stays. */
        in = uki_input(NULL, 0, files, ELEMENTSOF(files), NULL);
        in.kernel_dirs = kdirs;
        in.n_kernel_dirs = ELEMENTSOF(kdirs);
        assert_int_equal(plan_entries(&in, &p), 0);
        expect_op(&p, "school-new+2-1.conf", PLAN_KEEP);
        expect_op(&p, "koompi-root-new+3.conf", PLAN_REMOVE);
        assert_string_equal(find(&p, "koompi-root-new+3.conf")->reason, "twin");
        assert_int_equal(count_op(&p, PLAN_CREATE), 2);
        assert_null(find(&p, "koompi-root-new+3.efi"));
        assert_int_equal(p.n_kernels_unused, 3);
        for (size_t i = 0; i < p.n_kernels_unused; i++)
                assert_false(streq(p.kernels_unused[i], "00000000deadbeef"));
        plan_free(&p);
}

/* The default follows the entry that should boot next, whatever its name: a hand-named entry of
 * the newest root by its ID; back to the glob once it is spent or a newer root has koompi's. */
static void test_hand_named_default(void **state) {
        const char *hand = "title School image\nlinux /vmlinuz\noptions koompi.snapshot=@root-new\n";
        struct plan_file files[] = { { "School-New.conf", hand } };
        const char *kdirs[] = { K1 };
        struct plan p;
        struct plan_input in = input(files, ELEMENTSOF(files), kdirs, ELEMENTSOF(kdirs));
        in.loader_conf = NULL;
        assert_int_equal(plan_entries(&in, &p), 0);
        assert_string_equal(p.loader_default, "school-new.conf");
        assert_string_equal(p.loader_conf, "timeout 3\ndefault school-new.conf\neditor no\n");
        /* Only K1 is stored: the root booted by hand boots what its entry names. */
        assert_int_equal(p.n_kernels_needed, 0);
        plan_free(&p);

        /* Spent by systemd-boot: the glob again, so that @root-current's entry boots. */
        files[0].name = "School-New+0-3.conf";
        in.loader_conf = "timeout 5\ndefault school-new.conf\n";
        assert_int_equal(plan_entries(&in, &p), 0);
        assert_string_equal(p.loader_default, "koompi-*");
        assert_string_equal(p.loader_conf, "timeout 5\ndefault koompi-*\neditor no\n");
        plan_free(&p);

        /* The hand-named entry is of an older root: the glob picks the newest. */
        files[0].name = "school-factory.conf";
        files[0].text = "linux /vmlinuz\noptions koompi.snapshot=@root-factory\n";
        in.loader_conf = "timeout 3\ndefault koompi-*\neditor no\n";
        assert_int_equal(plan_entries(&in, &p), 0);
        assert_string_equal(p.loader_default, "koompi-*");
        assert_null(p.loader_conf);
        assert_int_equal(p.n_kernels_needed, 1);
        assert_string_equal(p.kernels_needed[0], K2);
        plan_free(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_entry_text),
                cmocka_unit_test(test_fresh_esp),
                cmocka_unit_test(test_resync_idempotent),
                cmocka_unit_test(test_counters_preserved),
                cmocka_unit_test(test_new_entry_counters),
                cmocka_unit_test(test_twins),
                cmocka_unit_test(test_stale),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_loader_conf),
                cmocka_unit_test(test_base_options),
                cmocka_unit_test(test_kernel_id),
                cmocka_unit_test(test_uki_text),
                cmocka_unit_test(test_uki_fresh_esp),
                cmocka_unit_test(test_uki_resync),
                cmocka_unit_test(test_uki_switch_keeps_counters),
                cmocka_unit_test(test_hand_named_entry),
                cmocka_unit_test(test_hand_named_default),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
