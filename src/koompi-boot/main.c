/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-boot: the admin's view of the boot. Verbs dispatch through a table. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "btrfs.h"
#include "log.h"
#include "util.h"

#define EXIT_USAGE 1
#define EXIT_NO_STATE 2

struct options {
        bool json;
        const char *state; /* boot.json written by koompi-init */
        const char *top;   /* a mounted Btrfs top level, to list the roots */
};

/* Reads "key":"value" from our own flat JSON. */
static bool json_get(const char *text, const char *key, char *out, size_t size) {
        char pat[64];
        snprintf(pat, sizeof pat, "\"%s\":", key);
        const char *p = strstr(text, pat);
        if (!p)
                return false;
        p += strlen(pat);
        if (*p == '"') {
                p++;
                size_t n = 0;
                for (; *p && *p != '"' && n + 1 < size; p++) {
                        if (*p == '\\' && p[1])
                                p++;
                        out[n++] = *p;
                }
                out[n] = 0;
        } else
                snprintf(out, size, "%.*s", (int)strcspn(p, ",}"), p);
        return true;
}

static int verb_status(const struct options *o) {
        _cleanup_free_ char *text = NULL;
        int r = read_file(o->state, &text, NULL);
        if (r < 0) {
                log_errno(r, "reading %s failed: this system was not started by koompi-init",
                          o->state);
                return EXIT_NO_STATE;
        }
        char snapshot[256] = "", luks[256] = "", root[256] = "", keyslot[16] = "", prompt[32] = "";
        json_get(text, "snapshot", snapshot, sizeof snapshot);
        json_get(text, "luks_device", luks, sizeof luks);
        json_get(text, "root_device", root, sizeof root);
        json_get(text, "keyslot", keyslot, sizeof keyslot);
        json_get(text, "prompt_ms", prompt, sizeof prompt);
        char roots[1024] = "";
        if (o->top && btrfs_subvol_list_names(o->top, "@root", roots, sizeof roots) < 0)
                log_warning("cannot list the roots under %s", o->top);

        const char *tl = strstr(text, "\"timeline\":[");
        if (o->json) {
                printf("{\"booted\":{\"snapshot\":");
                json_write_string(stdout, snapshot);
                printf(",\"luks_device\":");
                json_write_string(stdout, luks);
                printf(",\"root_device\":");
                json_write_string(stdout, root);
                printf(",\"keyslot\":%s,\"prompt_ms\":%s},\"snapshots\":[", *keyslot ? keyslot : "null",
                       *prompt ? prompt : "0");
                char *save = NULL, *copy = strdup_or_die(roots);
                bool first = true;
                for (char *n = strtok_r(copy, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
                        printf("%s{\"name\":", first ? "" : ",");
                        json_write_string(stdout, n);
                        printf(",\"state\":\"%s\"}", streq(n, snapshot) ? "booted" : "untested");
                        first = false;
                }
                free(copy);
                printf("],\"alerts\":[],\"timeline\":%.*s}\n",
                       tl ? (int)strcspn(tl + 11, "]") + 1 : 2, tl ? tl + 11 : "[]");
                return 0;
        }
        printf("Booted root:    %s\n", snapshot);
        printf("Encrypted disk: %s (keyslot %s)\n", *luks ? luks : "none", keyslot);
        printf("Filesystem:     %s\n", root);
        if (o->top)
                printf("Roots:          %s\n", *roots ? roots : "none");
        printf("Boot timeline (ms since the kernel started):\n");
        const char *p = tl;
        while (p && (p = strstr(p, "{\"stage\":\""))) {
                char stage[64];
                unsigned long long ms;
                if (sscanf(p, "{\"stage\":\"%63[^\"]\",\"ms\":%llu}", stage, &ms) == 2)
                        printf("  %-12s %8llu\n", stage, ms);
                p++;
        }
        printf("  (%s ms of it waiting at the passphrase prompt)\n", *prompt ? prompt : "0");
        return 0;
}

static void usage(FILE *f) {
        fputs("Usage: koompi-boot [--json] [--state FILE] [--top DIR] VERB\n"
              "\n"
              "Verbs:\n"
              "  status    the booted root, its disk and the boot timeline\n"
              "\n"
              "Options:\n"
              "  --json        print one JSON object\n"
              "  --state FILE  boot record of koompi-init (default /run/koompi/boot.json)\n"
              "  --top DIR     a mounted Btrfs top level, to list the roots\n"
              "\n"
              "Exit codes: 0 success, 1 bad usage, 2 no boot record (not booted by koompi-init).\n",
              f);
}

static const struct verb {
        const char *name;
        int (*run)(const struct options *o);
} verbs[] = {
        {"status", verb_status},
};

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                {"json", no_argument, NULL, 'j'},  {"state", required_argument, NULL, 's'},
                {"top", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        struct options o = {.state = "/run/koompi/boot.json"};
        int c;
        log_init("koompi-boot");
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (c) {
                case 'j':
                        o.json = true;
                        break;
                case 's':
                        o.state = optarg;
                        break;
                case 't':
                        o.top = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        const char *name = optind < argc ? argv[optind] : "status";
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return verbs[i].run(&o);
        log_error("unknown verb '%s'; see koompi-boot --help", name);
        return EXIT_USAGE;
}
