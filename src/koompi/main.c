/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi: the command for people, a client of org.koompi.Agent1 and nothing else. */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "call.h"
#include "invocation.h"
#include "pkg.h"
#include "pkgsource.h"
#include "show.h"
#include "update.h"

#define APPLY_TIMEOUT_US (12ULL * 3600 * 1000000)

static void usage(FILE *f) {
        fputs("Usage: koompi [--json] [--timeout SEC] VERB [ARGS]\n\n"
              "Verbs:\n"
              "  status               the booted root, the next root, health, alerts, the agent's version\n"
              "  health               each health check's last result\n"
              "  health run           run the checks now and show the result (admins and teachers)\n"
              "  alerts               the alerts not yet acknowledged\n"
              "  alerts ack [SEQ]     acknowledge alert SEQ, or all of them (admins and teachers)\n"
              "  update check         the release available, and whether this machine takes it now\n"
              "  update approve VERSION  let this machine take the major release VERSION (admins)\n"
              "  update apply         download the release and install it in a new root, which the\n"
              "                       machine starts next time (admins)\n"
              "  search TEXT          apps from every source switched on\n"
              "  info APP             where APP would come from and why, its size, restart and risk\n"
              "  install APP...       install apps (a name, an AppImage's path or URL)\n"
              "  remove APP...        remove apps\n"
              "  list                 the apps installed\n\n"
              "Options:\n"
              "  --json               print the agent's answer as one JSON object\n"
              "  --timeout SEC        how long to wait for the agent (default 25, health run 600,\n"
              "                       install and remove 3600)\n"
              "  --from SOURCE        pacman, flatpak, aur or appimage instead of the first that has it\n"
              "  -y, --yes            a risky install or remove goes ahead (admins and teachers)\n"
              "  -h, --help           this help\n\n"
              "Exit codes: 0 success; 1 bad usage; 2 koompi-agent not running, not answering or no such\n"
              "alert, or no such app; 3 not allowed, or risky and not confirmed (update apply: not taken\n"
              "now); 4 health: a required check failed, or no room; 5 the agent failed the request; 6 update:\n"
              "the release's manifest or a package was refused, or the update's command failed and its root\n"
              "was deleted; a package's new root could not be made (nothing changed).\n",
              f);
}

/* The GetStatus answer, parsed. An exit code. */
static int get_status(struct invocation *inv, json_object **ret, char **ret_text) {
        sd_bus_message *reply = NULL;
        const char *text;
        int code = kbus_call(&inv->bus, "GetStatus", &reply, NULL);
        if (code != KOOMPI_EXIT_OK)
                return code;
        if (sd_bus_message_read(reply, "s", &text) < 0 || !(*ret = json_tokener_parse(text))) {
                sd_bus_message_unref(reply);
                fprintf(stderr,
                        "koompi: koompi-agent answered GetStatus with no JSON object; is it the same version?\n");
                return KOOMPI_EXIT_FAILED;
        }
        *ret_text = strdup(text);
        sd_bus_message_unref(reply);
        return KOOMPI_EXIT_OK;
}

/* Prints the JSON of what, whole or one member of it. */
static void print_json(json_object *o, const char *key) {
        json_object *v = o;
        if (key && !json_object_object_get_ex(o, key, &v))
                v = NULL;
        puts(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int health_code(json_object *health) {
        return strcmp(show_str(health, "state", ""), "failed") == 0 ? KOOMPI_EXIT_UNHEALTHY : KOOMPI_EXIT_OK;
}

static int verb_status(struct invocation *inv) {
        json_object *o;
        char *text;
        if (inv->n_args > 0)
                return fprintf(stderr, "koompi: status takes no argument\n"), KOOMPI_EXIT_USAGE;
        int code = get_status(inv, &o, &text);
        if (code != KOOMPI_EXIT_OK)
                return code;
        if (inv->json)
                puts(text);
        else
                show_status(stdout, o);
        json_object_put(o);
        free(text);
        return KOOMPI_EXIT_OK;
}

static int health_run(struct invocation *inv) {
        sd_bus_message *reply = NULL;
        const char *text;
        json_object *o;
        int code = kbus_call(&inv->bus, "RunHealth", &reply, NULL);
        if (code != KOOMPI_EXIT_OK)
                return code;
        if (sd_bus_message_read(reply, "s", &text) < 0 || !(o = json_tokener_parse(text))) {
                sd_bus_message_unref(reply);
                fprintf(stderr, "koompi: koompi-agent answered RunHealth with no JSON object\n");
                return KOOMPI_EXIT_FAILED;
        }
        if (inv->json)
                puts(text);
        else
                show_health(stdout, o);
        code = health_code(o);
        json_object_put(o);
        sd_bus_message_unref(reply);
        return code;
}

static int verb_health(struct invocation *inv) {
        json_object *o, *health = NULL;
        char *text;
        if (inv->n_args == 1 && strcmp(inv->args[0], "run") == 0)
                return health_run(inv);
        if (inv->n_args > 0)
                return fprintf(stderr, "koompi: health takes no argument but 'run'\n"), KOOMPI_EXIT_USAGE;
        int code = get_status(inv, &o, &text);
        if (code != KOOMPI_EXIT_OK)
                return code;
        json_object_object_get_ex(o, "health", &health);
        if (inv->json)
                print_json(o, "health");
        else
                show_health(stdout, health);
        code = health_code(health);
        json_object_put(o);
        free(text);
        return code;
}

static int alerts_ack(struct invocation *inv) {
        uint64_t seq = 0;
        char *end;
        if (inv->n_args > 2)
                return fprintf(stderr, "koompi: alerts ack takes at most one SEQ\n"), KOOMPI_EXIT_USAGE;
        if (inv->n_args == 2) {
                seq = strtoull(inv->args[1], &end, 10);
                if (*end || seq == 0 || inv->args[1][0] == '-')
                        return fprintf(stderr,
                                       "koompi: '%s' is not an alert number (koompi alerts lists them)\n",
                                       inv->args[1]),
                               KOOMPI_EXIT_USAGE;
        }
        sd_bus_message *reply = NULL;
        int code = kbus_call(&inv->bus, "AcknowledgeAlert", &reply, "t", seq);
        sd_bus_message_unref(reply);
        if (code == KOOMPI_EXIT_OK && inv->json)
                printf("{\"acknowledged\":%" PRIu64 "}\n", seq);
        else if (code == KOOMPI_EXIT_OK && seq)
                printf("alert #%" PRIu64 " acknowledged\n", seq);
        else if (code == KOOMPI_EXIT_OK)
                printf("every alert acknowledged\n");
        return code;
}

static int verb_alerts(struct invocation *inv) {
        json_object *o, *alerts = NULL;
        char *text;
        if (inv->n_args > 0 && strcmp(inv->args[0], "ack") == 0)
                return alerts_ack(inv);
        if (inv->n_args > 0)
                return fprintf(stderr, "koompi: alerts takes no argument but 'ack [SEQ]'\n"),
                       KOOMPI_EXIT_USAGE;
        int code = get_status(inv, &o, &text);
        if (code != KOOMPI_EXIT_OK)
                return code;
        json_object_object_get_ex(o, "alerts", &alerts);
        if (inv->json)
                print_json(o, "alerts");
        else
                show_alerts(stdout, alerts);
        json_object_put(o);
        free(text);
        return KOOMPI_EXIT_OK;
}

static int update_check(struct invocation *inv) {
        sd_bus_message *reply = NULL;
        const char *text;
        json_object *o;
        int code = kbus_call(&inv->bus, "UpdateCheck", &reply, NULL);
        if (code != KOOMPI_EXIT_OK)
                return code;
        if (sd_bus_message_read(reply, "s", &text) < 0 || !(o = json_tokener_parse(text))) {
                sd_bus_message_unref(reply);
                fprintf(stderr, "koompi: koompi-agent answered UpdateCheck with no JSON object\n");
                return KOOMPI_EXIT_FAILED;
        }
        if (inv->json)
                print_json(o, NULL);
        else
                show_update_check(stdout, o);
        code = update_check_code(o);
        json_object_put(o);
        sd_bus_message_unref(reply);
        return code;
}

static int update_approve(struct invocation *inv) {
        sd_bus_message *reply = NULL;
        int code = kbus_call(&inv->bus, "UpdateApprove", &reply, "s", inv->args[1]);
        sd_bus_message_unref(reply);
        if (code == KOOMPI_EXIT_OK && inv->json)
                printf("{\"approved\":\"%s\"}\n", inv->args[1]);
        else if (code == KOOMPI_EXIT_OK)
                printf("%s approved: this machine takes it when koompi update check says so\n", inv->args[1]);
        return code;
}

static int verb_update(struct invocation *inv) {
        if (inv->n_args == 1 && strcmp(inv->args[0], "check") == 0)
                return update_check(inv);
        if (inv->n_args == 2 && strcmp(inv->args[0], "approve") == 0)
                return update_approve(inv);
        if (inv->n_args == 1 && strcmp(inv->args[0], "apply") == 0) {
                /* A download on a slow link: hours, unless told otherwise. */
                if (!inv->timeout_us)
                        inv->bus.timeout_us = APPLY_TIMEOUT_US;
                return update_apply(&inv->bus, inv->json, stderr);
        }
        fprintf(stderr, "koompi: update takes 'check', 'approve VERSION' or 'apply'\n");
        return KOOMPI_EXIT_USAGE;
}

static const struct verb {
        const char *name;
        int (*run)(struct invocation *inv);
        uint64_t timeout_s; /* the default wait for the agent */
} verbs[] = {
        { "status", verb_status, 25 },
        { "health", verb_health, 600 },
        { "alerts", verb_alerts, 25 },
        /* Every mirror may be tried, each with its own timeouts. */
        { "update", verb_update, 600 },
        { "search", pkg_verb_search, 120 },
        { "info", pkg_verb_info, 120 },
        { "list", pkg_verb_list, 120 },
        /* A new root, maybe a build: minutes. */
        { "install", pkg_verb_install, 3600 },
        { "remove", pkg_verb_remove, 3600 },
};

/* 0 to go on, else an exit code (-1: help printed, exit 0). */
static int parse_options(int argc, char **argv, struct invocation *inv) {
        static const struct option longopts[] = {
                { "json", no_argument, NULL, 'j' },       { "timeout", required_argument, NULL, 't' },
                { "from", required_argument, NULL, 'f' }, { "yes", no_argument, NULL, 'y' },
                { "help", no_argument, NULL, 'h' },       {},
        };
        char *end;
        int c;
        enum pkg_source from;
        while ((c = getopt_long(argc, argv, "hy", longopts, NULL)) >= 0) {
                if (c == 'j')
                        inv->json = true;
                else if (c == 'y')
                        inv->yes = true;
                else if (c == 'f') {
                        if (!*optarg || pkg_source_parse(optarg, &from) < 0)
                                return fprintf(stderr,
                                               "koompi: --from takes pacman, flatpak, aur or appimage, not '%s'\n",
                                               optarg),
                                       1;
                        inv->from = optarg;
                } else if (c == 't') {
                        double s = strtod(optarg, &end);
                        if (*end || s <= 0 || s > 86400)
                                return fprintf(stderr, "koompi: --timeout wants seconds, not '%s'\n", optarg),
                                       1;
                        inv->timeout_us = (uint64_t)(s * 1e6);
                } else if (c == 'h') {
                        usage(stdout);
                        return -1;
                } else {
                        usage(stderr);
                        return 1;
                }
        }
        return 0;
}

int main(int argc, char **argv) {
        struct invocation inv = { .from = "" };
        int code = parse_options(argc, argv, &inv);
        if (code != 0)
                return code < 0 ? 0 : code;
        if (optind >= argc) {
                usage(stderr);
                return KOOMPI_EXIT_USAGE;
        }
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
                if (strcmp(verbs[i].name, argv[optind]) != 0)
                        continue;
                inv.args = argv + optind + 1;
                inv.n_args = argc - optind - 1;
                code = kbus_open(&inv.bus, inv.timeout_us ? inv.timeout_us : verbs[i].timeout_s * 1000000);
                if (code == KOOMPI_EXIT_OK)
                        code = verbs[i].run(&inv);
                kbus_close(&inv.bus);
                return code;
        }
        fprintf(stderr, "koompi: unknown verb '%s' (koompi --help lists them)\n", argv[optind]);
        return KOOMPI_EXIT_USAGE;
}
