/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The package verbs: say what will happen, ask when it is risky, then let the agent do it and
 * show its progress. */
#include "pkg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pkgargs.h"
#include "pkgshow.h"
#include "pkgsource.h"

#define NEEDS_CONFIRMATION "org.koompi.Agent1.Error.NeedsConfirmation"

static int on_progress(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        const char *operation, *step;
        uint32_t done, total;
        if (sd_bus_message_read(m, "ssuu", &operation, &step, &done, &total) >= 0 &&
            strcmp(operation, "health") != 0)
                fprintf(stderr, "  %s\n", step);
        return 0;
}

static int build_call(struct invocation *inv, const char *method, char **names, bool yes,
                      sd_bus_message **ret) {
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(inv->bus.bus, &m, "org.koompi.Agent1", "/org/koompi/Agent1",
                                               "org.koompi.Agent1", method);
        if (r >= 0 && names && strcmp(method, "Install") != 0 && strcmp(method, "Remove") != 0)
                r = sd_bus_message_append(m, "s", names[0]);
        else if (r >= 0 && names)
                r = sd_bus_message_append_strv(m, names);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", inv->from);
        if (r >= 0 && names && (strcmp(method, "Install") == 0 || strcmp(method, "Remove") == 0))
                r = sd_bus_message_append(m, "b", yes);
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

/* Calls method, showing the agent's Progress meanwhile (on stderr, not with --json). 0 with
 * the reply, or a negative errno with err set. */
static int call(struct invocation *inv, const char *method, char **names, bool yes, sd_bus_message **ret,
                sd_bus_error *err) {
        sd_bus_message *m = NULL;
        sd_bus_slot *slot = NULL;
        int r = build_call(inv, method, names, yes, &m);
        if (r >= 0 && !inv->json)
                r = sd_bus_match_signal(inv->bus.bus, &slot, "org.koompi.Agent1", "/org/koompi/Agent1",
                                        "org.koompi.Agent1", "Progress", on_progress, NULL);
        inv->bus.dispatch = true;
        if (r >= 0)
                r = kbus_send(&inv->bus, m, ret, err);
        if (r < 0 && !sd_bus_error_is_set(err))
                sd_bus_error_set_errno(err, r);
        sd_bus_slot_unref(slot);
        sd_bus_message_unref(m);
        return r;
}

static int explain(const char *method, const sd_bus_error *err, int r) {
        if (sd_bus_error_has_names(err, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                fprintf(stderr, "koompi: koompi-agent is not running: systemctl start koompi-agent\n");
                return KOOMPI_EXIT_UNREACHABLE;
        }
        fprintf(stderr, "koompi: %s: %s\n", method, err->message ? err->message : strerror(-r));
        if (sd_bus_error_has_name(err, SD_BUS_ERROR_ACCESS_DENIED))
                return KOOMPI_EXIT_NOT_ALLOWED;
        if (sd_bus_error_has_names(err, SD_BUS_ERROR_INVALID_ARGS, SD_BUS_ERROR_UNKNOWN_METHOD))
                return KOOMPI_EXIT_USAGE;
        if (r == -ETIMEDOUT)
                return KOOMPI_EXIT_UNREACHABLE;
        return koompi_exit_from_errno(sd_bus_error_get_errno(err));
}

/* A call whose answer is one JSON string, parsed into *ret. An exit code. */
static int call_json(struct invocation *inv, const char *method, char **names, bool yes, json_object **ret,
                     sd_bus_error *err) {
        sd_bus_message *reply = NULL;
        const char *text;
        int r = call(inv, method, names, yes, &reply, err);
        if (r < 0)
                return -1; /* the caller explains err */
        if (sd_bus_message_read(reply, "s", &text) < 0 || !(*ret = json_tokener_parse(text))) {
                sd_bus_message_unref(reply);
                fprintf(stderr, "koompi: koompi-agent answered %s with no JSON\n", method);
                return KOOMPI_EXIT_FAILED;
        }
        if (inv->json)
                puts(text);
        sd_bus_message_unref(reply);
        return KOOMPI_EXIT_OK;
}

static int simple(struct invocation *inv, const char *method, char **names) {
        sd_bus_error err = SD_BUS_ERROR_NULL;
        json_object *o = NULL;
        int code = call_json(inv, method, names, false, &o, &err);
        if (code < 0)
                code = explain(method, &err, -EIO);
        else if (code == KOOMPI_EXIT_OK && !inv->json && strcmp(method, "Info") == 0)
                pkgshow_plan(stdout, o, false);
        else if (code == KOOMPI_EXIT_OK && !inv->json)
                pkgshow_items(stdout, o);
        json_object_put(o);
        sd_bus_error_free(&err);
        return code;
}

int pkg_verb_search(struct invocation *inv) {
        if (inv->n_args != 1 || !pkg_search_valid(inv->args[0]))
                return fprintf(stderr, "koompi: search takes one TEXT (1 to %d characters)\n",
                               PKG_SEARCH_MAX),
                       KOOMPI_EXIT_USAGE;
        return simple(inv, "Search", inv->args);
}

int pkg_verb_info(struct invocation *inv) {
        if (inv->n_args != 1)
                return fprintf(stderr, "koompi: info takes one APP\n"), KOOMPI_EXIT_USAGE;
        return simple(inv, "Info", inv->args);
}

int pkg_verb_list(struct invocation *inv) {
        if (inv->n_args != 0)
                return fprintf(stderr, "koompi: list takes no argument (--from SOURCE narrows it)\n"),
                       KOOMPI_EXIT_USAGE;
        return simple(inv, "List", NULL);
}

/* Asks on the terminal; no terminal is a no. */
static bool confirm(const char *what) {
        char answer[16];
        if (!isatty(STDIN_FILENO))
                return false;
        fprintf(stderr, "%s anyway? [y/N] ", what);
        fflush(stderr);
        return fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

/* Before Install: what each app is, where it comes from and why, its size, restart, risk. */
static int preview(struct invocation *inv) {
        for (int i = 0; i < inv->n_args && !inv->json; i++) {
                sd_bus_error err = SD_BUS_ERROR_NULL;
                json_object *plan = NULL;
                char *one[] = { inv->args[i], NULL };
                int code = call_json(inv, "Info", one, false, &plan, &err);
                if (code < 0)
                        code = explain("Info", &err, -EIO);
                sd_bus_error_free(&err);
                if (code != KOOMPI_EXIT_OK)
                        return code;
                pkgshow_plan(stdout, plan, false);
                json_object_put(plan);
        }
        return KOOMPI_EXIT_OK;
}

/* The plans of a NeedsConfirmation refusal, shown; whether the person said yes. */
static bool risky(struct invocation *inv, const sd_bus_error *err, bool removal) {
        json_object *plans = json_tokener_parse(err->message ? err->message : "");
        for (size_t i = 0;
             !inv->json && json_object_is_type(plans, json_type_array) && i < json_object_array_length(plans);
             i++)
                pkgshow_plan(stderr, json_object_array_get_idx(plans, i), removal);
        json_object_put(plans);
        if (inv->json)
                return false;
        fprintf(stderr, "koompi: this is risky (above 0.70).\n");
        return confirm(removal ? "Remove" : "Install");
}

static void show_done(json_object *answer, const char *key, const char *verb) {
        json_object *plans = json_object_object_get(answer, key);
        for (size_t i = 0; json_object_is_type(plans, json_type_array) && i < json_object_array_length(plans);
             i++) {
                json_object *p = json_object_array_get_idx(plans, i);
                bool restart = json_object_get_boolean(json_object_object_get(p, "needs_restart"));
                printf("%s %s from %s%s\n", json_object_get_string(json_object_object_get(p, "name")), verb,
                       json_object_get_string(json_object_object_get(p, "source")),
                       restart ? ": in a new root, there after the next boot" : "");
        }
}

/* Install or Remove, asked again with yes when the person confirms a risky one. */
static int change(struct invocation *inv, const char *method, bool removal) {
        sd_bus_error err = SD_BUS_ERROR_NULL;
        json_object *answer = NULL;
        bool yes = inv->yes;
        int code = call_json(inv, method, inv->args, yes, &answer, &err);
        if (code < 0 && !yes && sd_bus_error_has_name(&err, NEEDS_CONFIRMATION)) {
                if (!risky(inv, &err, removal)) {
                        fprintf(stderr,
                                "koompi: nothing done; an admin or a teacher may go ahead with --yes\n");
                        sd_bus_error_free(&err);
                        return KOOMPI_EXIT_NOT_ALLOWED;
                }
                sd_bus_error_free(&err);
                code = call_json(inv, method, inv->args, true, &answer, &err);
        }
        if (code < 0)
                code = explain(method, &err, -EIO);
        else if (code == KOOMPI_EXIT_OK && !inv->json)
                show_done(answer, removal ? "removed" : "installed", removal ? "removed" : "installed");
        json_object_put(answer);
        sd_bus_error_free(&err);
        return code;
}

/* A relative AppImage path made absolute, for the agent that does not share our directory. */
static void absolute_paths(struct invocation *inv) {
        for (int i = 0; i < inv->n_args; i++) {
                char *path;
                if (inv->args[i][0] != '/' && !strstr(inv->args[i], "://") && strchr(inv->args[i], '.') &&
                    access(inv->args[i], F_OK) == 0 && (path = realpath(inv->args[i], NULL)))
                        inv->args[i] = path; /* kept until koompi exits */
        }
}

int pkg_verb_install(struct invocation *inv) {
        if (inv->n_args < 1 || inv->n_args > PKG_NAMES_MAX)
                return fprintf(stderr, "koompi: install takes 1 to %d APPs\n", PKG_NAMES_MAX),
                       KOOMPI_EXIT_USAGE;
        absolute_paths(inv);
        int code = preview(inv);
        return code == KOOMPI_EXIT_OK ? change(inv, "Install", false) : code;
}

int pkg_verb_remove(struct invocation *inv) {
        if (inv->n_args < 1 || inv->n_args > PKG_NAMES_MAX)
                return fprintf(stderr, "koompi: remove takes 1 to %d APPs\n", PKG_NAMES_MAX),
                       KOOMPI_EXIT_USAGE;
        return change(inv, "Remove", true);
}
