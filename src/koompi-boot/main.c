/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-boot: the admin's view of the boot and its boot loader entries. Verbs dispatch
 * through a table that states, once, the words each takes and the options it owns; the global
 * options (where the roots and the ESP are) go anywhere on the line. Each verb lives in the
 * file of its group (status.c, sync.c, bless.c, history.c, update.c, snapshot.c, ...). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "context.h"
#include "exit-code.h"
#include "layout.h"
#include "log.h"
#include "sandbox.h"
#include "rootrelease.h"
#include "util.h"
#include "verbs.h"

/* The options a verb may own, one bit each. */
enum {
        VOPT_JSON = 1 << 0,
        VOPT_DRY_RUN = 1 << 1,
        VOPT_ENTRY = 1 << 2,
        VOPT_KERNEL = 1 << 3, /* --kernel, --initrd, --options: for the entries it writes */
        VOPT_LIMIT = 1 << 4,
        VOPT_RUN = 1 << 5, /* --run, --pacman */
        VOPT_KEEP = 1 << 6,
        VOPT_ONCE = 1 << 7,
        VOPT_REASON = 1 << 8,
        VOPT_KEYS = 1 << 9, /* --keys-dir */
        VOPT_DEVICE = 1 << 10, /* --device */
        VOPT_TPM2 = 1 << 11, /* --pin, --tpm2-device, --tpm2-pcrs */
};

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
        ARG_PACMAN_CACHE,
        ARG_RELEASE,
        ARG_KEEP,
        ARG_ONCE,
        ARG_REASON,
        ARG_DEBUG,
        ARG_KEYS_DIR,
        ARG_DEVICE,
        ARG_PIN,
        ARG_TPM2_DEVICE,
        ARG_TPM2_PCRS,
};

static const struct option_spec {
        struct option opt;
        unsigned owner; /* the VOPT_ bit of the verbs that take it; 0: every verb */
        const char *arg; /* what its argument is, for the help */
        const char *help;
} option_specs[] = {
        { { "top", required_argument, NULL, ARG_TOP },
          0,
          "DIR",
          "the mounted Btrfs top level (default: the one of /, mounted privately)" },
        { { "esp", required_argument, NULL, ARG_ESP },
          0,
          "DIR",
          "the mounted ESP (default: /efi, /boot or /boot/efi, whichever holds loader/)" },
        { { "state", required_argument, NULL, ARG_STATE },
          0,
          "FILE",
          "koompi-init's record of this boot (default " LAYOUT_BOOT_JSON ")" },
        { { "config", required_argument, NULL, ARG_CONFIG },
          0,
          "FILE",
          "settings (default " DEFAULT_CONFIG ")" },
        { { "debug", no_argument, NULL, ARG_DEBUG },
          0,
          NULL,
          "also the debug lines: paths found, mounts, locks (also KOOMPI_BOOT_DEBUG=1)" },
        { { "help", no_argument, NULL, 'h' }, 0, NULL, "this help (also -h)" },
        { { "json", no_argument, NULL, ARG_JSON }, VOPT_JSON, NULL, "print one JSON object" },
        { { "entry", required_argument, NULL, ARG_ENTRY },
          VOPT_ENTRY,
          "FILE",
          "the booted entry file, instead of LoaderBootCountPath" },
        { { "kernel", required_argument, NULL, ARG_KERNEL },
          VOPT_KERNEL,
          "FILE",
          "the kernel of roots that carry none" },
        { { "initrd", required_argument, NULL, ARG_INITRD },
          VOPT_KERNEL,
          "FILE",
          "the initramfs going with --kernel" },
        { { "options", required_argument, NULL, ARG_OPTIONS },
          VOPT_KERNEL,
          "\"...\"",
          "kernel options (default: /proc/cmdline)" },
        { { "dry-run", no_argument, NULL, ARG_DRY_RUN },
          VOPT_DRY_RUN,
          NULL,
          "say what would change, change nothing" },
        { { "limit", required_argument, NULL, 'n' }, VOPT_LIMIT, "N", "the last N boots (also -n N)" },
        { { "run", required_argument, NULL, ARG_RUN },
          VOPT_RUN,
          "'CMD'",
          "the command run in the new root (by its /bin/sh)" },
        { { "pacman", required_argument, NULL, ARG_PACMAN },
          VOPT_RUN,
          "'ARGS'",
          "the same as --run 'pacman ARGS'" },
        { { "pacman-cache", required_argument, NULL, ARG_PACMAN_CACHE },
          VOPT_RUN,
          "DIR",
          "shown read-only to the command at " SANDBOX_CACHE_DIR " (a release's verified packages)" },
        { { "release", required_argument, NULL, ARG_RELEASE },
          VOPT_RUN,
          "VERSION",
          "the release the new root is made from, kept in its /" ROOT_RELEASE_FILE },
        { { "keep", required_argument, NULL, ARG_KEEP },
          VOPT_KEEP,
          "N",
          "how many of the newest roots to keep (default 10)" },
        { { "once", no_argument, NULL, ARG_ONCE },
          VOPT_ONCE,
          NULL,
          "for the next boot only (LoaderEntryOneShot)" },
        { { "reason", required_argument, NULL, ARG_REASON },
          VOPT_REASON,
          "TEXT",
          "why, kept as the note of this boot in the ledger (e.g. the failed health check)" },
        { { "keys-dir", required_argument, NULL, ARG_KEYS_DIR },
          VOPT_KEYS,
          "DIR",
          "the Secure Boot keys (default: [secureboot] keys, /etc/koompi/secureboot)" },
        { { "device", required_argument, NULL, ARG_DEVICE },
          VOPT_DEVICE,
          "DEV",
          "the LUKS2 volume (default: [luks] uuid's, else the one unlocked at boot)" },
        { { "pin", no_argument, NULL, ARG_PIN }, VOPT_TPM2, NULL, "the TPM also asks for a PIN" },
        { { "tpm2-device", required_argument, NULL, ARG_TPM2_DEVICE },
          VOPT_TPM2,
          "DEV",
          "systemd-cryptenroll's TPM (default auto)" },
        { { "tpm2-pcrs", required_argument, NULL, ARG_TPM2_PCRS },
          VOPT_TPM2,
          "LIST",
          "the PCRs the key is sealed to (default 7: the Secure Boot state)" },
};

static const struct verb {
        const char *name;
        const char *sub; /* its second word ("entries sync"), NULL when none */
        unsigned min_args, max_args; /* the words after name (and sub) */
        unsigned options; /* the VOPT_ bits it owns */
        int (*run)(struct context *c);
        const char *args;
        const char *help;
} verbs[] = {
        { "status", NULL, 0, 0, VOPT_JSON, verb_status, "",
          "the booted root, the default, each root's state, alerts, last boots" },
        { "list", NULL, 0, 0, VOPT_JSON, verb_list, "", "the roots and their boot loader entries" },
        { "entries", "sync", 0, 0, VOPT_JSON | VOPT_DRY_RUN | VOPT_KERNEL, verb_entries_sync, "",
          "write one boot loader entry per root on the ESP" },
        { "mark-good", NULL, 0, 0, VOPT_ENTRY | VOPT_REASON, verb_mark_good, "",
          "bless the running boot (drop its entry's counter)" },
        { "mark-bad", NULL, 0, 0, VOPT_ENTRY | VOPT_REASON, verb_mark_bad, "",
          "mark the running boot bad at once (+0-DONE)" },
        { "note", NULL, 1, 1, 0, verb_note, "TEXT",
          "keep TEXT as the note of the running boot in the ledger (health results)" },
        { "history", NULL, 0, 0, VOPT_JSON | VOPT_LIMIT, verb_history, "",
          "the boots recorded in the ledger" },
        { "alerts", NULL, 0, 0, VOPT_JSON, verb_alerts, "", "the alerts" },
        { "alerts", "ack", 0, 1, 0, verb_alerts_ack, "[SEQ]", "acknowledge alert SEQ (all without SEQ)" },
        { "alerts", "raise", 2, 2, 0, verb_alerts_raise, "KIND TEXT",
          "raise an alert for the admin (e.g. from a health check)" },
        { "update", NULL, 0, 0, VOPT_RUN | VOPT_KERNEL, verb_update, "",
          "a new root: CMD run in a snapshot, sealed, its entry tried next" },
        { "snapshot", "create", 0, 1, VOPT_DRY_RUN | VOPT_KERNEL, verb_snapshot_create, "[NAME]",
          "a read-only copy of the current root named NAME" },
        { "snapshot", "delete", 1, 1, VOPT_DRY_RUN | VOPT_KERNEL, verb_snapshot_delete, "NAME",
          "delete a root, its entry and the kernels only it uses" },
        { "snapshot", "pin", 1, 1, VOPT_DRY_RUN | VOPT_KERNEL, verb_snapshot_pin, "NAME",
          "keep NAME from prune and snapshot delete" },
        { "snapshot", "unpin", 1, 1, VOPT_DRY_RUN | VOPT_KERNEL, verb_snapshot_unpin, "NAME",
          "undo snapshot pin" },
        { "rollback", NULL, 0, 1, VOPT_DRY_RUN | VOPT_ONCE | VOPT_KERNEL, verb_rollback, "[NAME]",
          "NAME (default: the previous good root) boots next; --once: one boot" },
        { "prune", NULL, 0, 0, VOPT_DRY_RUN | VOPT_KEEP | VOPT_KERNEL, verb_prune, "",
          "delete all but the newest N roots and the ones that matter" },
        { "recover", NULL, 0, 0, VOPT_KERNEL, verb_recover, "",
          "finish or undo an update, deletion or rollback a crash interrupted" },
        { "secureboot", "keygen", 0, 0, VOPT_KEYS, verb_secureboot_keygen, "",
          "make the school's own Secure Boot keys PK, KEK and db" },
        { "secureboot", "enroll", 0, 0, VOPT_KEYS, verb_secureboot_enroll, "",
          "sign systemd-boot, put the keys on the ESP for systemd-boot to enroll" },
        { "secureboot", "status", 0, 0, VOPT_JSON | VOPT_KEYS, verb_secureboot_status, "",
          "Secure Boot on or off, setup mode, the keys, what is signed" },
        { "tpm2", "enroll", 0, 0, VOPT_DEVICE | VOPT_TPM2, verb_tpm2_enroll, "",
          "seal the disk key in the TPM (PCR 7), add a recovery key" },
        { "tpm2", "remove", 0, 0, VOPT_DEVICE, verb_tpm2_remove, "", "remove the TPM token" },
        { "tpm2", "status", 0, 0, VOPT_JSON | VOPT_DEVICE, verb_tpm2_status, "",
          "whether the TPM unlocks the volume, sealed to which PCRs" },
};

#define OPTIONS_MAX (ELEMENTSOF(option_specs) + 1)

/* "snapshot delete", for messages. */
static void verb_title(const struct verb *v, char *buf, size_t size) {
        snprintf(buf, size, "%s%s%s", v->name, v->sub ? " " : "", v->sub ? v->sub : "");
}

/* "[--dry-run] [--kernel FILE] ...", the options v owns. */
static void verb_options_text(const struct verb *v, char *buf, size_t size) {
        size_t n = 0;
        buf[0] = 0;
        for (size_t i = 0; i < ELEMENTSOF(option_specs) && n < size; i++) {
                const struct option_spec *s = &option_specs[i];
                if (!(s->owner & v->options))
                        continue;
                int k = snprintf(buf + n, size - n, "%s[--%s%s%s]", n ? " " : "", s->opt.name,
                                 s->arg ? " " : "", s->arg ? s->arg : "");
                if (k > 0)
                        n += (size_t)k;
        }
}

static void usage(FILE *f) {
        char title[64], opts[256];
        fputs("Usage: koompi-boot [OPTIONS] VERB [ARGS] [VERB OPTIONS]\n\nVerbs and the options each takes:\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                verb_title(&verbs[i], title, sizeof title);
                snprintf(title + strlen(title), sizeof title - strlen(title), "%s%s",
                         *verbs[i].args ? " " : "", verbs[i].args);
                verb_options_text(&verbs[i], opts, sizeof opts);
                fprintf(f, "  %-22s %s\n", title, verbs[i].help);
                if (*opts)
                        fprintf(f, "  %-22s %s\n", "", opts);
        }
        fputs("\nOptions of every verb, before or after it:\n", f);
        for (size_t pass = 0; pass < 2; pass++) {
                if (pass == 1)
                        fputs("\nOptions of some verbs (see above which):\n", f);
                for (size_t i = 0; i < ELEMENTSOF(option_specs); i++) {
                        const struct option_spec *s = &option_specs[i];
                        if (!!s->owner != !!pass)
                                continue;
                        snprintf(opts, sizeof opts, "--%s%s%s", s->opt.name, s->arg ? " " : "",
                                 s->arg ? s->arg : "");
                        fprintf(f, "  %-20s %s\n", opts, s->help);
                }
        }
        fputs("\n"
              "Exit codes: 0 success; 1 bad usage; 2 state missing or unreadable (boot record, ledger,\n"
              "roots, ESP); 3 refused as unsafe, the ESP left as it was; 4 ESP full, nothing changed;\n"
              "5 writing the ESP or the ledger failed; 6 update: the command (or the initramfs build) failed,\n"
              "its root was deleted and nothing else changed.\n",
              f);
}

static int usage_error(const struct verb *v, const char *what) {
        char title[64], opts[256];
        verb_title(v, title, sizeof title);
        verb_options_text(v, opts, sizeof opts);
        log_error("%s: %s; usage: koompi-boot [OPTIONS] %s%s%s%s%s (see koompi-boot --help)", title, what,
                  title, *v->args ? " " : "", v->args, *opts ? " " : "", opts);
        return -EINVAL;
}

/* The verb named by the first words of args (already free of options). *ret_words: how many
 * words named it. NULL after saying why. */
static const struct verb *verb_find(char **args, int n, int *ret_words) {
        const char *name = n > 0 ? args[0] : "status", *sub = n > 1 ? args[1] : NULL;
        const struct verb *plain = NULL;
        bool known = false;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                const struct verb *v = &verbs[i];
                if (!streq(v->name, name))
                        continue;
                known = true;
                if (v->sub && sub && streq(v->sub, sub)) {
                        *ret_words = 2;
                        return v;
                }
                if (!v->sub)
                        plain = v;
        }
        if (plain) {
                *ret_words = n > 0 ? 1 : 0;
                return plain;
        }
        if (!known)
                log_error("unknown verb '%s'; see koompi-boot --help", name);
        else {
                char subs[128] = "";
                for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                        if (streq(verbs[i].name, name) && verbs[i].sub)
                                snprintf(subs + strlen(subs), sizeof subs - strlen(subs), "%s%s",
                                         *subs ? ", " : "", verbs[i].sub);
                log_error("%s wants one of: %s; see koompi-boot --help", name, subs);
        }
        return NULL;
}

static void all_options(struct option *ret) {
        for (size_t i = 0; i < ELEMENTSOF(option_specs); i++)
                ret[i] = option_specs[i].opt;
        ret[ELEMENTSOF(option_specs)] = (struct option) {};
}

/* The words of the line that are not options nor their arguments, in order, every option known,
 * so that "--top DIR status" and "status --top DIR" both name the verb status. Options are checked
 * later, against the verb's. Returns the number of words; *ret_help: whether -h or --help was given. */
static int collect_words(int argc, char **argv, char **words, bool *ret_help) {
        struct option all[OPTIONS_MAX];
        int n = 0, c;

        all_options(all);
        *ret_help = false;
        opterr = 0;
        optind = 0;
        /* "-": getopt hands the words back in order (as option 1) instead of moving them. */
        while ((c = getopt_long(argc, argv, "-:hn:", all, NULL)) != -1)
                if (c == 1)
                        words[n++] = optarg;
                else if (c == 'h')
                        *ret_help = true;
        while (optind < argc)
                words[n++] = argv[optind++];
        return n;
}

/* "--keep" out of "--keep=3". */
static void option_name(const char *arg, char *buf, size_t size) {
        snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
}

static bool option_known(const char *name) {
        if (streq(name, "-n") || streq(name, "-h"))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(option_specs); i++)
                if (startswith(name, "--") && streq(name + 2, option_specs[i].opt.name))
                        return true;
        return false;
}

static int parse_number(const struct verb *v, const char *opt, const char *arg, unsigned *ret) {
        char what[128];
        if (parse_uint(arg, ret) >= 0)
                return 0;
        snprintf(what, sizeof what, "%s wants a number, not \"%s\"", opt, arg);
        return usage_error(v, what);
}

/* Stores one option the verb owns (or a global one). */
static int option_store(const struct verb *v, int c, struct options *o) {
        switch (c) {
        case ARG_TOP:
                o->top = optarg;
                break;
        case ARG_ESP:
                o->esp = optarg;
                break;
        case ARG_STATE:
                o->state = optarg;
                break;
        case ARG_CONFIG:
                o->config = optarg;
                break;
        case ARG_JSON:
                o->json = true;
                break;
        case ARG_ENTRY:
                o->entry = optarg;
                break;
        case ARG_KERNEL:
                o->kernel = optarg;
                break;
        case ARG_INITRD:
                o->initrd = optarg;
                break;
        case ARG_OPTIONS:
                o->kernel_options = optarg;
                break;
        case ARG_DRY_RUN:
                o->dry_run = true;
                break;
        case ARG_RUN:
                o->run = optarg;
                break;
        case ARG_PACMAN:
                o->pacman = optarg;
                break;
        case ARG_PACMAN_CACHE:
                o->pacman_cache = optarg;
                break;
        case ARG_RELEASE:
                if (!root_release_valid(optarg))
                        return usage_error(v, "--release wants a version of A-Z a-z 0-9 . _ + : ~ -");
                o->release = optarg;
                break;
        case ARG_ONCE:
                o->once = true;
                break;
        case ARG_REASON:
                o->reason = optarg;
                break;
        case ARG_KEYS_DIR:
                o->keys_dir = optarg;
                break;
        case ARG_DEVICE:
                o->device = optarg;
                break;
        case ARG_PIN:
                o->pin = true;
                break;
        case ARG_TPM2_DEVICE:
                o->tpm2_device = optarg;
                break;
        case ARG_TPM2_PCRS:
                o->tpm2_pcrs = optarg;
                break;
        case ARG_DEBUG:
                log_set_max_level(LOG_LVL_DEBUG);
                break;
        case ARG_KEEP:
                o->has_keep = true;
                return parse_number(v, "--keep", optarg, &o->keep);
        case 'n':
                o->has_limit = true;
                return parse_number(v, "-n", optarg, &o->limit);
        }
        return 0;
}

/* An option the verb does not own, or one missing its argument. */
static int option_refuse(const struct verb *v, int c, const char *arg) {
        char name[64], what[160];
        if (arg && startswith(arg, "--"))
                option_name(arg, name, sizeof name);
        else
                snprintf(name, sizeof name, "-%c", optopt ? optopt : '?');
        if (c == ':')
                snprintf(what, sizeof what, "%s wants an argument", name);
        else if (option_known(name))
                snprintf(what, sizeof what, "%s is not one of its options", name);
        else
                snprintf(what, sizeof what, "there is no option %s", name);
        return usage_error(v, what);
}

/* The options of the line, against the verb's own and the global ones. */
static int verb_parse_options(const struct verb *v, int argc, char **argv, struct options *o) {
        struct option own[OPTIONS_MAX] = {};
        size_t n = 0;
        int c, r;

        for (size_t i = 0; i < ELEMENTSOF(option_specs); i++)
                if (!option_specs[i].owner || (option_specs[i].owner & v->options))
                        own[n++] = option_specs[i].opt;
        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, v->options & VOPT_LIMIT ? "-:hn:" : "-:h", own, NULL)) != -1) {
                if (c == 1)
                        continue; /* a word: collect_words() has it */
                if (c == '?' || c == ':')
                        return option_refuse(v, c, argv[optind - 1]);
                r = option_store(v, c, o);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int options_check(const struct verb *v, const struct options *o) {
        const char *paths[] = { o->top,    o->esp,    o->state,    o->config, o->entry,
                                o->kernel, o->initrd, o->keys_dir, o->device, o->pacman_cache };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (paths[i] && strlen(paths[i]) > ARG_PATH_MAX) {
                        log_error("the path \"%.40s...\" is longer than %d bytes", paths[i], ARG_PATH_MAX);
                        return -EINVAL;
                }
        if (!!o->kernel != !!o->initrd)
                return usage_error(v, "--kernel and --initrd go together");
        if (o->has_keep && o->keep < 1)
                return usage_error(v, "--keep wants at least 1 root");
        if ((v->options & VOPT_RUN) && !!o->run == !!o->pacman)
                return usage_error(v, "give the command: one of --run 'CMD' or --pacman 'ARGS'");
        if (o->once && o->n_args != 1)
                return usage_error(v, "--once wants the NAME of the root");
        return 0;
}

static int verb_arity(const struct verb *v, int n) {
        char what[96];
        if (n >= (int)v->min_args && n <= (int)v->max_args)
                return 0;
        if (v->max_args == 0)
                snprintf(what, sizeof what, "takes no arguments");
        else if (n < (int)v->min_args)
                snprintf(what, sizeof what, "wants %u argument%s", v->min_args, v->min_args == 1 ? "" : "s");
        else
                snprintf(what, sizeof what, "takes at most %u argument%s", v->max_args,
                         v->max_args == 1 ? "" : "s");
        return usage_error(v, what);
}

/* The verb and its options, from the command line. Returns 0 (*ret NULL when the help was
 * asked for and printed), or a negative errno after saying what is wrong. */
static int parse_line(int argc, char **argv, struct options *o, const struct verb **ret) {
        _cleanup_free_ char **words = calloc((size_t)argc + 1, sizeof *words);
        const struct verb *v;
        bool help;
        int n, used, r;

        if (!words)
                abort();
        n = collect_words(argc, argv, words, &help);
        if (help) {
                usage(stdout);
                *ret = NULL;
                return 0;
        }
        v = verb_find(words, n, &used);
        if (!v)
                return -EINVAL;
        r = verb_parse_options(v, argc, argv, o);
        if (r != 0)
                return r;
        r = verb_arity(v, n - used);
        if (r != 0)
                return r;
        /* The words stay in argv; words[] is only the list of them. */
        for (int i = 0; i < n - used; i++)
                o->args[i] = words[used + i];
        o->n_args = n - used;
        r = options_check(v, o);
        if (r != 0)
                return r;
        *ret = v;
        return 0;
}

int main(int argc, char **argv) {
        char *args[2] = {}; /* no verb takes more than one word */
        struct options o = { .state = LAYOUT_BOOT_JSON, .args = args };
        const struct verb *v = NULL;
        struct context ctx;
        int r;

        log_init("koompi-boot");
        if (streq_ptr(getenv("KOOMPI_BOOT_DEBUG"), "1"))
                log_set_max_level(LOG_LVL_DEBUG);
        r = parse_line(argc, argv, &o, &v);
        if (r == 0 && v) {
                log_debug("verb %s%s%s, %d word%s, config %s, state %s", v->name, v->sub ? " " : "",
                          v->sub ? v->sub : "", o.n_args, o.n_args == 1 ? "" : "s",
                          o.config ? o.config : DEFAULT_CONFIG, o.state);
                r = ctx_init(&ctx, &o);
                if (r == 0) {
                        r = v->run(&ctx);
                        fflush(stdout);
                        esp_readonly_after_failure(&ctx, r);
                        ctx_done(&ctx);
                }
        }
        return exit_code_from_errno(r);
}
