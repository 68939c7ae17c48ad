/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-release: the distribution's side of signed updates. It makes the signing key, signs
 * manifest.json, and moves a staged rollout: by hand (set, pause, revoke) or by the schedule
 * and the machines' reports (step). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "edit.h"
#include "manifest.h"
#include "reports.h"
#include "sign.h"
#include "step.h"
#include "util.h"

struct options {
        const char *manifest;
        const char *secret_key;
        const char *public_key;
        const char *comment;
        const char *reports;
        int percent; /* -1: not given */
        unsigned threshold;
        unsigned min_reports;
        int64_t now;
        bool force;
        struct step_result step; /* step: the decision being applied */
        char **args; /* after the verb */
        int n_args;
};

static void usage(FILE *f) {
        fputs("Usage: koompi-release [OPTIONS] VERB [ARGS]\n\n"
              "Verbs:\n"
              "  keygen               make a signing key pair (-s, -p)\n"
              "  sign                 sign the manifest: writes MANIFEST.minisig (-s)\n"
              "  set --percent N      set the rollout to N % and resume it\n"
              "  pause                pause the rollout where it is\n"
              "  revoke VERSION       revoke VERSION: machines booted from it roll back\n"
              "  optional PACKAGE     mark PACKAGE optional: in the repository and verified, installed only\n"
              "                       where koompi install asks for it\n"
              "  step                 raise, hold or halt the rollout from its schedule and the reports\n\n"
              "Options:\n"
              "  -m, --manifest FILE      the manifest (default manifest.json)\n"
              "  -s, --secret-key FILE    the secret key (default koompi-release.key); set, pause, revoke\n"
              "                           and step sign the new edition with it when given\n"
              "  -p, --public-key FILE    the public key keygen writes (default koompi-release.pub)\n"
              "  -t, --comment TEXT       sign: the trusted comment\n"
              "  --reports FILE           step: the machines' reports, JSON lines (default: none)\n"
              "  --threshold N            step: halt when more than N % of the machines that took it\n"
              "                           rolled back (default 5)\n"
              "  --min-reports N          step: judge failures only from N machines on (default 10)\n"
              "  --now TIME               the time to act at, 2026-12-06T00:00:00Z (default: the clock)\n"
              "  --force                  keygen: replace existing key files\n"
              "  -h, --help               this help\n\n"
              "Exit codes: 0 success; 1 bad usage; 2 a file missing or not a good manifest or key; 3 refused\n"
              "(a key file exists); 5 a write failed.\n",
              f);
}

static int exit_code(int r) {
        if (r == 0)
                return 0;
        if (r == -EINVAL)
                return 1;
        if (r == -ENOENT || r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP)
                return 2;
        return r == -EEXIST ? 3 : 5;
}

/* Prints why's reason and returns r. */
static int failed(int r, const struct update_refusal *why) {
        fprintf(stderr, "koompi-release: %s\n", why->reason[0] ? why->reason : strerror(-r));
        return r;
}

static int verb_keygen(struct options *o) {
        struct update_refusal why = { 0 };
        const char *secret = o->secret_key ? o->secret_key : "koompi-release.key";
        int r = release_keygen(secret, o->public_key, o->force, &why);
        if (r < 0)
                return failed(r, &why);
        printf("secret key: %s (keep it offline; mode 0600)\npublic key: %s (for /etc/koompi/update-keys.d/)\n",
               secret, o->public_key);
        return 0;
}

static int sign_manifest(const struct options *o, const char *secret) {
        struct update_refusal why = { 0 };
        int r = release_sign(o->manifest, secret, o->comment, o->now, &why);
        if (r < 0)
                return failed(r, &why);
        printf("signed: %s.minisig\n", o->manifest);
        return 0;
}

static int verb_sign(struct options *o) {
        return sign_manifest(o, o->secret_key ? o->secret_key : "koompi-release.key");
}

static void print_edition(const char *path, json_object *doc) {
        json_object *rollout = json_object_object_get(doc, "rollout");
        printf("%s: serial %s, issued %s, rollout at %d %%%s\n", path,
               json_object_get_string(json_object_object_get(doc, "serial")),
               release_doc_string(doc, "issued"),
               json_object_get_int(json_object_object_get(rollout, "percent")),
               json_object_get_boolean(json_object_object_get(rollout, "paused")) ? ", paused" : "");
}

/* Loads the manifest, lets edit change it, makes it a new edition and writes it; signs it
 * when a secret key was given. */
static int edit_manifest(struct options *o,
                         int (*edit)(struct options *o, json_object *doc, struct update_refusal *why)) {
        struct update_refusal why = { 0 };
        json_object *doc;
        int r = release_doc_load(o->manifest, &doc, &why);
        if (r < 0)
                return failed(r, &why);
        r = edit(o, doc, &why);
        if (r >= 0)
                r = release_doc_renew(doc, o->now);
        if (r >= 0)
                r = release_doc_save(o->manifest, doc, &why);
        if (r >= 0)
                print_edition(o->manifest, doc);
        json_object_put(doc);
        if (r < 0)
                return failed(r, &why);
        if (!o->secret_key) {
                printf("not signed yet: koompi-release -m %s sign\n", o->manifest);
                return 0;
        }
        return sign_manifest(o, o->secret_key);
}

static int set_percent(struct options *o, json_object *doc, struct update_refusal *why) {
        return release_doc_set_rollout(doc, (unsigned)o->percent, false);
}

static int verb_set(struct options *o) {
        if (o->percent < 0) {
                fprintf(stderr, "koompi-release: set needs --percent N (0-100)\n");
                return -EINVAL;
        }
        return edit_manifest(o, set_percent);
}

static int pause_rollout(struct options *o, json_object *doc, struct update_refusal *why) {
        json_object *rollout = json_object_object_get(doc, "rollout");
        int percent = json_object_get_int(json_object_object_get(rollout, "percent"));
        return release_doc_set_rollout(doc, (unsigned)percent, true);
}

static int verb_pause(struct options *o) {
        return edit_manifest(o, pause_rollout);
}

static int revoke_version(struct options *o, json_object *doc, struct update_refusal *why) {
        return release_doc_revoke(doc, o->args[0]);
}

static int verb_revoke(struct options *o) {
        return edit_manifest(o, revoke_version);
}

static int mark_optional(struct options *o, json_object *doc, struct update_refusal *why) {
        int r = release_doc_set_optional(doc, o->args[0]);
        return r == -ENOENT ? update_refuse(why, r, "%s lists no package %s", o->manifest, o->args[0]) : r;
}

static int verb_optional(struct options *o) {
        return edit_manifest(o, mark_optional);
}

/* The rollout's facts for step: the manifest's, and the reports' counts. */
static int step_input(const struct options *o, struct step_input *ret) {
        _cleanup_free_ char *text = NULL, *reports = NULL;
        struct update_refusal why = { 0 };
        struct manifest m;
        size_t len;
        int r = read_file(o->manifest, &text, &len);
        if (r < 0)
                return update_refuse(&why, r, "%s cannot be read: %s", o->manifest, strerror(-r)),
                       failed(r, &why);
        r = manifest_parse(text, len, &m, &why);
        if (r < 0)
                return failed(r, &why);
        *ret = (struct step_input) { .tier = m.tier,
                                     .percent = m.percent,
                                     .paused = m.paused,
                                     .started = m.started ? m.started : m.issued,
                                     .now = o->now,
                                     .threshold = o->threshold,
                                     .min_reports = o->min_reports };
        if (o->reports && (r = read_file(o->reports, &reports, NULL)) < 0)
                fprintf(stderr, "koompi-release: %s cannot be read: %s\n", o->reports, strerror(-r));
        if (r >= 0 && reports)
                r = reports_count(reports, m.version, &ret->taken, &ret->failed, NULL);
        manifest_free(&m);
        return r;
}

static int apply_step(struct options *o, json_object *doc, struct update_refusal *why) {
        return release_doc_set_rollout(doc, o->step.percent, o->step.paused);
}

static int verb_step(struct options *o) {
        struct step_input in;
        int r = step_input(o, &in);
        if (r < 0)
                return r;
        step_decide(&in, &o->step);
        printf("step: %s\n", o->step.reason);
        return o->step.action == STEP_HOLD ? 0 : edit_manifest(o, apply_step);
}

static const struct verb {
        const char *name;
        int n_args;
        int (*run)(struct options *o);
} verbs[] = {
        { "keygen", 0, verb_keygen },     { "sign", 0, verb_sign },     { "set", 0, verb_set },
        { "pause", 0, verb_pause },       { "revoke", 1, verb_revoke }, { "step", 0, verb_step },
        { "optional", 1, verb_optional },
};

static int parse_number(const char *name, const char *s, unsigned max, unsigned *ret) {
        if (parse_uint(s, ret) < 0 || *ret > max) {
                fprintf(stderr, "koompi-release: %s wants a number from 0 to %u, not '%s'\n", name, max, s);
                return -EINVAL;
        }
        return 0;
}

static int parse_option(int c, struct options *o) {
        unsigned n;
        switch (c) {
        case 'm':
                o->manifest = optarg;
                return 0;
        case 's':
                o->secret_key = optarg;
                return 0;
        case 'p':
                o->public_key = optarg;
                return 0;
        case 't':
                o->comment = optarg;
                return 0;
        case 'R':
                o->reports = optarg;
                return 0;
        case 'f':
                o->force = true;
                return 0;
        case 'P':
                return parse_number("--percent", optarg, 100, &n) < 0 ? -EINVAL : (o->percent = (int)n, 0);
        case 'T':
                return parse_number("--threshold", optarg, 100, &o->threshold);
        case 'M':
                return parse_number("--min-reports", optarg, UINT_MAX, &o->min_reports);
        case 'N':
                if (update_time_parse(optarg, &o->now) == 0)
                        return 0;
                fprintf(stderr, "koompi-release: --now wants a UTC time such as 2026-12-06T00:00:00Z\n");
                return -EINVAL;
        }
        return -EINVAL;
}

/* 0 to go on, 1 when help was printed, or -EINVAL. */
static int parse_options(int argc, char **argv, struct options *o) {
        static const struct option longopts[] = {
                { "manifest", required_argument, NULL, 'm' },
                { "secret-key", required_argument, NULL, 's' },
                { "public-key", required_argument, NULL, 'p' },
                { "comment", required_argument, NULL, 't' },
                { "reports", required_argument, NULL, 'R' },
                { "percent", required_argument, NULL, 'P' },
                { "threshold", required_argument, NULL, 'T' },
                { "min-reports", required_argument, NULL, 'M' },
                { "now", required_argument, NULL, 'N' },
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;
        *o = (struct options) { .manifest = "manifest.json",
                                .public_key = "koompi-release.pub",
                                .percent = -1,
                                .threshold = STEP_DEFAULT_THRESHOLD,
                                .min_reports = STEP_DEFAULT_MIN_REPORTS,
                                .now = (int64_t)time(NULL) };
        while ((c = getopt_long(argc, argv, "m:s:p:t:h", longopts, NULL)) >= 0) {
                if (c == 'h')
                        return usage(stdout), 1;
                if (c == '?' || parse_option(c, o) < 0)
                        return -EINVAL;
        }
        return 0;
}

int main(int argc, char **argv) {
        struct options o;
        int r = parse_options(argc, argv, &o);
        if (r != 0)
                return r > 0 ? 0 : exit_code(r);
        if (optind >= argc)
                return usage(stderr), exit_code(-EINVAL);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(verbs[i].name, argv[optind]))
                        continue;
                o.args = argv + optind + 1;
                o.n_args = argc - optind - 1;
                if (o.n_args != verbs[i].n_args) {
                        fprintf(stderr, "koompi-release: %s takes %d argument%s\n", verbs[i].name,
                                verbs[i].n_args, verbs[i].n_args == 1 ? "" : "s");
                        return exit_code(-EINVAL);
                }
                return exit_code(verbs[i].run(&o));
        }
        fprintf(stderr, "koompi-release: unknown verb '%s' (koompi-release --help lists them)\n",
                argv[optind]);
        return exit_code(-EINVAL);
}
