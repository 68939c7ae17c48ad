/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-boot: the admin's view of the boot and its boot loader entries. Verbs dispatch
 * through a table; each lives in the file of its group (status.c, sync.c, bless.c,
 * history.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "koompi-boot.h"
#include "layout.h"
#include "log.h"
#include "util.h"

static const struct verb {
        const char *name;
        int (*run)(struct context *c);
        const char *usage;
        const char *help;
} verbs[] = {
        { "status", verb_status, "status", "the booted root, the default, each root's state, alerts, last boots" },
        { "list", verb_list, "list", "the roots and their boot loader entries" },
        { "entries", verb_entries, "entries sync", "write one boot loader entry per root on the ESP" },
        { "mark-good", verb_mark_good, "mark-good", "bless the running boot (drop its entry's counter)" },
        { "mark-bad", verb_mark_bad, "mark-bad", "mark the running boot bad at once (+0-DONE)" },
        { "history", verb_history, "history [-n N]", "the boots recorded in the ledger" },
        { "alerts", verb_alerts, "alerts [ack [SEQ]]", "the alerts, or acknowledge one (all without SEQ)" },
        { "update", verb_update, "update --run 'CMD'", "a new root: CMD run in a snapshot, sealed, its entry tried next" },
        { "snapshot", verb_snapshot, "snapshot create [N]", "a read-only copy of the current root named N; delete, pin, unpin N" },
        { "rollback", verb_rollback, "rollback [NAME]", "NAME (default: the previous good root) boots next; --once: one boot" },
        { "prune", verb_prune, "prune [--keep N]", "delete all but the newest N roots and the ones that matter" },
        { "recover", verb_recover, "recover", "finish or undo an update, deletion or rollback a crash interrupted" },
};

static void usage(FILE *f) {
        fputs("Usage: koompi-boot [OPTIONS] VERB [ARGS]\n\nVerbs:\n", f);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-20s %s\n", verbs[i].usage, verbs[i].help);
        fputs("\n"
              "Options:\n"
              "  --json             print one JSON object (status, list, history, alerts, entries sync)\n"
              "  --top DIR          the mounted Btrfs top level (default: the one of /, mounted privately)\n"
              "  --esp DIR          the mounted ESP (default: /efi, /boot or /boot/efi, whichever holds loader/)\n"
              "  --state FILE       koompi-init's record of this boot (default " LAYOUT_BOOT_JSON ")\n"
              "  --config FILE      settings (default " DEFAULT_CONFIG ")\n"
              "  --entry FILE       mark-good/mark-bad: the booted entry file, instead of LoaderBootCountPath\n"
              "  --kernel FILE      entries sync, update: the kernel of roots that carry none\n"
              "  --initrd FILE      entries sync, update: the initramfs going with --kernel\n"
              "  --options \"...\"    entries sync, update: kernel options (default: /proc/cmdline)\n"
              "  --dry-run          entries sync, snapshot, prune, rollback: say what would change, change nothing\n"
              "  -n N               history: the last N boots\n"
              "  --run 'CMD'        update: the command run in the new root (by its /bin/sh)\n"
              "  --pacman 'ARGS'    update: the same as --run 'pacman ARGS'\n"
              "  --keep N           prune: how many of the newest roots to keep (default 10)\n"
              "  --once             rollback: for the next boot only (LoaderEntryOneShot)\n"
              "  -h, --help         this help\n"
              "\n"
              "Exit codes: 0 success; 1 bad usage; 2 state missing or unreadable (boot record, ledger,\n"
              "roots, ESP); 3 refused as unsafe, the ESP left as it was; 4 ESP full, nothing changed;\n"
              "5 writing the ESP or the ledger failed; 6 update: the command (or the initramfs build) failed,\n"
              "its root was deleted and nothing else changed.\n",
              f);
}

enum {
        ARG_JSON = 0x100,
        ARG_TOP,
        ARG_ESP,
        ARG_STATE,
        ARG_CONFIG,
        ARG_ENTRY,
        ARG_KERNEL,
        ARG_INITRD,
        ARG_OPTIONS,
        ARG_DRY_RUN,
        ARG_RUN,
        ARG_PACMAN,
        ARG_KEEP,
        ARG_ONCE,
};

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "json", no_argument, NULL, ARG_JSON },
                { "top", required_argument, NULL, ARG_TOP },
                { "esp", required_argument, NULL, ARG_ESP },
                { "state", required_argument, NULL, ARG_STATE },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "entry", required_argument, NULL, ARG_ENTRY },
                { "kernel", required_argument, NULL, ARG_KERNEL },
                { "initrd", required_argument, NULL, ARG_INITRD },
                { "options", required_argument, NULL, ARG_OPTIONS },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "run", required_argument, NULL, ARG_RUN },
                { "pacman", required_argument, NULL, ARG_PACMAN },
                { "keep", required_argument, NULL, ARG_KEEP },
                { "once", no_argument, NULL, ARG_ONCE },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct options o = { .state = LAYOUT_BOOT_JSON };
        struct context ctx;
        int c, r;

        log_init("koompi-boot");
        while ((c = getopt_long(argc, argv, "hn:", longopts, NULL)) != -1) {
                switch (c) {
                case ARG_JSON:
                        o.json = true;
                        break;
                case ARG_TOP:
                        o.top = optarg;
                        break;
                case ARG_ESP:
                        o.esp = optarg;
                        break;
                case ARG_STATE:
                        o.state = optarg;
                        break;
                case ARG_CONFIG:
                        o.config = optarg;
                        break;
                case ARG_ENTRY:
                        o.entry = optarg;
                        break;
                case ARG_KERNEL:
                        o.kernel = optarg;
                        break;
                case ARG_INITRD:
                        o.initrd = optarg;
                        break;
                case ARG_OPTIONS:
                        o.kernel_options = optarg;
                        break;
                case ARG_DRY_RUN:
                        o.dry_run = true;
                        break;
                case ARG_RUN:
                        o.run = optarg;
                        break;
                case ARG_PACMAN:
                        o.pacman = optarg;
                        break;
                case ARG_KEEP:
                        if (parse_uint(optarg, &o.keep) < 0) {
                                log_error("--keep wants a number of roots, not \"%s\"", optarg);
                                return EXIT_USAGE;
                        }
                        o.has_keep = true;
                        break;
                case ARG_ONCE:
                        o.once = true;
                        break;
                case 'n':
                        if (parse_uint(optarg, &o.limit) < 0) {
                                log_error("-n wants a number of boots, not \"%s\"", optarg);
                                return EXIT_USAGE;
                        }
                        o.has_limit = true;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        log_error("see koompi-boot --help");
                        return EXIT_USAGE;
                }
        }
        const char *paths[] = { o.top, o.esp, o.state, o.config, o.entry, o.kernel, o.initrd };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (paths[i] && strlen(paths[i]) > ARG_PATH_MAX) {
                        log_error("the path \"%.40s...\" is longer than %d bytes", paths[i], ARG_PATH_MAX);
                        return EXIT_USAGE;
                }
        if (!!o.kernel != !!o.initrd) {
                log_error("--kernel and --initrd go together");
                return EXIT_USAGE;
        }

        const char *name = optind < argc ? argv[optind++] : "status";
        const struct verb *v = NULL;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        v = &verbs[i];
        if (!v) {
                log_error("unknown verb '%s'; see koompi-boot --help", name);
                return EXIT_USAGE;
        }
        o.args = argv + optind;
        o.n_args = argc - optind;

        r = ctx_init(&ctx, &o);
        if (r != 0)
                return r;
        r = v->run(&ctx);
        fflush(stdout);
        ctx_done(&ctx);
        return r;
}
