/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "agentconf.h"
#include "util.h"

static char path[] = "/tmp/koompi-test-agentconf-XXXXXX";

static void write_conf(const char *text) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup(void **state) {
        int fd = mkstemp(path);
        if (fd < 0)
                return -1;
        close(fd);
        return 0;
}

static int teardown(void **state) {
        unlink(path);
        return 0;
}

/* A setting as text, whatever its type, so one table covers them all. */
static const char *field(const struct agent_config *c, const char *name, char *buf, size_t size) {
        if (streq(name, "koompi_boot"))
                return c->koompi_boot;
        if (streq(name, "admin_group"))
                return c->admin_group;
        if (streq(name, "teacher_group"))
                return c->teacher_group;
        if (streq(name, "polkit"))
                return c->polkit;
        if (streq(name, "required_dir"))
                return c->required_dir;
        if (streq(name, "wanted_dir"))
                return c->wanted_dir;
        if (streq(name, "timeout"))
                return snprintf(buf, size, "%u", c->check_timeout_ms), buf;
        if (streq(name, "required_checks"))
                return c->required_checks;
        if (streq(name, "wanted_checks"))
                return c->wanted_checks;
        if (streq(name, "units"))
                return c->units;
        if (streq(name, "min_free"))
                return snprintf(buf, size, "%" PRIu64 "B %u%%", c->min_free.bytes, c->min_free.percent), buf;
        if (streq(name, "telemetry"))
                return c->telemetry ? "yes" : "no";
        if (streq(name, "crash_reports"))
                return c->crash_reports ? "yes" : "no";
        if (streq(name, "mirrors"))
                return c->update_mirrors;
        if (streq(name, "channel"))
                return c->update_channel;
        if (streq(name, "keys_dir"))
                return c->update_keys_dir;
        if (streq(name, "machine_id_file"))
                return c->update_machine_id_file;
        if (streq(name, "ring"))
                return c->update_ring;
        if (streq(name, "user"))
                return c->update_user;
        if (streq(name, "check_interval"))
                return snprintf(buf, size, "%u", c->update_check_interval_ms), buf;
        if (streq(name, "max_rate"))
                return snprintf(buf, size, "%llu", (unsigned long long)c->update_max_rate), buf;
        if (streq(name, "packages.aur"))
                return c->packages.aur ? "yes" : "no";
        if (streq(name, "packages.flatpak"))
                return c->packages.flatpak ? "yes" : "no";
        if (streq(name, "packages.appimage"))
                return c->packages.appimage ? "yes" : "no";
        if (streq(name, "packages.order"))
                return c->packages.order;
        if (streq(name, "packages.aur_url"))
                return c->packages.aur_url;
        if (streq(name, "packages.user"))
                return c->packages.user;
        if (streq(name, "packages.workers_dir"))
                return c->packages.workers_dir;
        if (streq(name, "packages.pacman_conf"))
                return c->packages.pacman_conf;
        if (streq(name, "packages.protected"))
                return c->packages.protected_names;
        if (streq(name, "packages.appimage_dir"))
                return c->packages.appimage_dir;
        if (streq(name, "packages.desktop_dir"))
                return c->packages.desktop_dir;
        if (streq(name, "packages.icon_dir"))
                return c->packages.icon_dir;
        if (streq(name, "packages.timeout"))
                return snprintf(buf, size, "%u", c->packages.timeout_ms), buf;
        if (streq(name, "reboot"))
                return c->update_reboot;
        if (streq(name, "report_url"))
                return c->update_report_url;
        if (streq(name, "report"))
                return c->report ? "yes" : "no";
        fail_msg("no field %s", name);
        return NULL;
}

static void test_defaults(void **state) {
        static const struct {
                const char *field, *value;
        } defaults[] = {
                { "koompi_boot", "/usr/bin/koompi-boot" },
                { "admin_group", "koompi-admin" },
                { "teacher_group", "koompi-teacher" },
                { "polkit", "auto" },
                { "required_dir", "/etc/koompi/health.d/required" },
                { "wanted_dir", "/etc/koompi/health.d/wanted" },
                { "timeout", "30000" },
                { "required_checks", "home-mounted var-mounted root-readonly ledger-writable" },
                { "wanted_checks", "free-space units" },
                { "min_free", "1073741824B 0%" },
                { "units", "display-manager.service" },
                { "telemetry", "no" },
                { "crash_reports", "no" },
                { "mirrors", "" },
                { "channel", "stable" },
                { "keys_dir", "/etc/koompi/update-keys.d" },
                { "machine_id_file", "/etc/machine-id" },
                { "ring", "normal" },
                { "user", "nobody" },
                { "check_interval", "21600000" },
                { "max_rate", "0" },
                { "reboot", "never" },
                { "report_url", "" },
                { "report", "no" },
        };
        struct agent_config c;
        char buf[64];
        agentconf_defaults(&c);
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
                assert_string_equal(field(&c, defaults[i].field, buf, sizeof buf), defaults[i].value);
        assert_int_equal(c.n_problems, 0);
        agentconf_free(&c);
}

static void test_shipped_config_is_the_defaults(void **state) {
        /* config/agent.conf lists every key with its default: loading it changes nothing. */
        static const char *const names[] = {
                "koompi_boot",
                "admin_group",
                "teacher_group",
                "polkit",
                "required_dir",
                "wanted_dir",
                "timeout",
                "telemetry",
                "crash_reports",
                "required_checks",
                "wanted_checks",
                "min_free",
                "units",
                "mirrors",
                "channel",
                "keys_dir",
                "machine_id_file",
                "ring",
                "user",
                "check_interval",
                "max_rate",
                "packages.aur",
                "packages.flatpak",
                "packages.appimage",
                "packages.order",
                "packages.aur_url",
                "packages.user",
                "packages.workers_dir",
                "packages.pacman_conf",
                "packages.protected",
                "packages.appimage_dir",
                "packages.desktop_dir",
                "packages.icon_dir",
                "packages.timeout",
                "reboot",
                "report_url",
                "report",
        };
        struct agent_config d, c;
        char a[64], b[64];
        agentconf_defaults(&d);
        agentconf_defaults(&c);
        assert_int_equal(agentconf_load(&c, "config/agent.conf"), 0);
        assert_int_equal(c.n_problems, 0);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                assert_string_equal(field(&c, names[i], a, sizeof a), field(&d, names[i], b, sizeof b));
        agentconf_free(&d);
        agentconf_free(&c);
}

static void test_shipped_config_names_every_key(void **state) {
        static const char *const keys[][2] = {
                { "agent", "koompi_boot" },
                { "access", "admin_group" },
                { "access", "teacher_group" },
                { "access", "polkit" },
                { "health", "required_dir" },
                { "health", "wanted_dir" },
                { "health", "timeout" },
                { "privacy", "telemetry" },
                { "privacy", "crash_reports" },
                { "health", "required_checks" },
                { "health", "wanted_checks" },
                { "health", "min_free" },
                { "health", "units" },
                { "update", "mirrors" },
                { "update", "channel" },
                { "update", "keys_dir" },
                { "update", "machine_id_file" },
                { "update", "ring" },
                { "update", "user" },
                { "update", "check_interval" },
                { "update", "max_rate" },
                { "packages", "flatpak" },
                { "packages", "aur" },
                { "packages", "appimage" },
                { "packages", "order" },
                { "packages", "aur_url" },
                { "packages", "user" },
                { "packages", "workers_dir" },
                { "packages", "pacman_conf" },
                { "packages", "protected" },
                { "packages", "appimage_dir" },
                { "packages", "desktop_dir" },
                { "packages", "icon_dir" },
                { "packages", "timeout" },
                { "update", "reboot" },
                { "update", "report_url" },
                { "privacy", "report" },
        };
        _cleanup_free_ char *text = NULL;
        assert_int_equal(read_file("config/agent.conf", &text, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                assert_true(agentconf_line_of(text, keys[i][0], keys[i][1]) > 0);
}

/* A file, the setting it leaves, and the one problem it reports (NULL: none). */
static const struct {
        const char *text, *field, *value, *problem;
} cases[] = {
        { "[health]\ntimeout = 5s\n", "timeout", "5000", NULL },
        { "[health]\ntimeout = 250ms\n", "timeout", "250", NULL },
        { "[health]\ntimeout = soon\n", "timeout", "30000",
          ":2: health:timeout: bad value 'soon' (expected a duration" },
        { "[health]\ntimeout = 0\n", "timeout", "30000", ":2: health:timeout: bad value '0'" },
        { "[access]\npolkit = no\n", "polkit", "no", NULL },
        { "[access]\npolkit = maybe\n", "polkit", "auto",
          ":2: access:polkit: bad value 'maybe' (expected auto, yes or no)" },
        { "[access]\npolkit = yes no\n", "polkit", "auto", ":2: access:polkit: bad value" },
        { "[access]\n\nadmin_group = staff\nfrobnicate = 1\n", "admin_group", "staff",
          ":4: access:frobnicate: unknown key" },
        { "# comment\n[Access]\nTeacher_Group = teachers\n", "teacher_group", "teachers", NULL },
        { "[access]\nadmin_group =\n", "admin_group", "koompi-admin",
          ":2: access:admin_group: bad value ''" },
        { "[agent]\nkoompi_boot = bin/koompi-boot\n", "koompi_boot", "/usr/bin/koompi-boot",
          ":2: agent:koompi_boot: bad value" },
        { "[agent]\nkoompi_boot = /opt/kb\n", "koompi_boot", "/opt/kb", NULL },
        { "[privacy]\ntelemetry = yes\n", "telemetry", "yes", NULL },
        { "[privacy]\ncrash_reports = On\n", "crash_reports", "yes", NULL },
        { "[privacy]\ntelemetry = sometimes\n", "telemetry", "no",
          ":2: privacy:telemetry: bad value 'sometimes'" },
        { "[health]\nwanted_dir = /srv/wanted\n[nosuch]\nkey = 1\n", "wanted_dir", "/srv/wanted",
          ":4: nosuch:key: unknown key" },
        /* The built-in checks: known names only, an empty list switches them off. */
        { "[health]\nrequired_checks = home-mounted units\n", "required_checks", "home-mounted units", NULL },
        { "[health]\nwanted_checks =\n", "wanted_checks", "", NULL },
        { "[health]\nrequired_checks = home-mounted disk-ok\n", "required_checks",
          "home-mounted var-mounted root-readonly ledger-writable",
          ":2: health:required_checks: bad value 'home-mounted disk-ok' (expected built-in check names" },
        { "[health]\nmin_free = 5%\n", "min_free", "0B 5%", NULL },
        { "[health]\nmin_free = 512M\n", "min_free", "536870912B 0%", NULL },
        { "[health]\nmin_free = lots\n", "min_free", "1073741824B 0%",
          ":2: health:min_free: bad value 'lots'" },
        { "[health]\nmin_free = 101%\n", "min_free", "1073741824B 0%", ":2: health:min_free: bad value" },
        { "[health]\nunits = gdm.service sddm.service\n", "units", "gdm.service sddm.service", NULL },
        { "[health]\nunits =\n", "units", "", NULL },
        /* [update]: mirrors as words, a channel name, absolute paths, a ring. */
        { "[update]\nmirrors = http://a/ https://b/koompi\n", "mirrors", "http://a/ https://b/koompi", NULL },
        { "[update]\nchannel = beta-2\n", "channel", "beta-2", NULL },
        { "[update]\nchannel = ../etc\n", "channel", "stable", ":2: update:channel: bad value '../etc'" },
        { "[update]\nkeys_dir = keys\n", "keys_dir", "/etc/koompi/update-keys.d",
          ":2: update:keys_dir: bad value" },
        { "[update]\nring = early\n", "ring", "early", NULL },
        { "[update]\nring = first\n", "ring", "normal",
          ":2: update:ring: bad value 'first' (expected early, normal or late)" },
        { "[update]\nuser =\n", "user", "nobody", ":2: update:user: bad value ''" },
        { "[update]\ncheck_interval = 30min\n", "check_interval", "1800000", NULL },
        /* [update] reboot and report_url, [privacy] report. */
        { "[update]\nreboot = idle\n", "reboot", "idle", NULL },
        { "[update]\nreboot = 22:00-05:00\n", "reboot", "22:00-05:00", NULL },
        { "[update]\nreboot = nightly\n", "reboot", "never",
          ":2: update:reboot: bad value 'nightly' (expected never, idle or a window such as 22:00-05:00)" },
        { "[update]\nreboot = 25:00-01:00\n", "reboot", "never", ":2: update:reboot: bad value" },
        { "[update]\nreport_url = https://reports.example/koompi\n", "report_url",
          "https://reports.example/koompi", NULL },
        { "[update]\nreport_url = ftp://x/\n", "report_url", "",
          ":2: update:report_url: bad value 'ftp://x/'" },
        { "[privacy]\nreport = yes\n", "report", "yes", NULL },
        { "[privacy]\nreport = later\n", "report", "no", ":2: privacy:report: bad value 'later'" },
        { "[update]\ncheck_interval = 0\n", "check_interval", "21600000",
          ":2: update:check_interval: bad value '0'" },
        { "[update]\nmax_rate = 500K\n", "max_rate", "512000", NULL },
        { "[update]\nmax_rate = 0\n", "max_rate", "0", NULL },
        { "[update]\nmax_rate = 5%\n", "max_rate", "0", ":2: update:max_rate: bad value '5%'" },
        /* [packages]: the AUR off unless set, an order of known sources, absolute paths. */
        { "[packages]\naur = yes\n", "packages.aur", "yes", NULL },
        { "[packages]\naur = perhaps\n", "packages.aur", "no", ":2: packages:aur: bad value 'perhaps'" },
        { "[packages]\norder = flatpak appimage\n", "packages.order", "flatpak appimage", NULL },
        { "[packages]\norder = snap pacman\n", "packages.order", "pacman flatpak aur appimage",
          ":2: packages:order: bad value 'snap pacman'" },
        { "[packages]\nappimage_dir = apps\n", "packages.appimage_dir", "/opt/appimages",
          ":2: packages:appimage_dir: bad value" },
        { "[packages]\ntimeout = 20min\n", "packages.timeout", "1200000", NULL },
        { "[packages]\nsnap = yes\n", "packages.aur", "no", ":2: packages:snap: unknown key" },
        /* Not INI at all: every default, and the line iniparser stumbled on. */
        { "[health]\ntimeout = 5s\nthis line is neither\n", "timeout", "30000",
          "not an INI file, every default is used" },
};

static void test_values(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct agent_config c;
                char buf[64];
                write_conf(cases[i].text);
                agentconf_defaults(&c);
                assert_int_equal(agentconf_load(&c, path), 0);
                if (!streq(field(&c, cases[i].field, buf, sizeof buf), cases[i].value))
                        fail_msg("case %zu: %s is %s, expected %s", i, cases[i].field, buf, cases[i].value);
                assert_int_equal(c.n_problems, cases[i].problem ? 1 : 0);
                if (cases[i].problem &&
                    (!strstr(c.problems[0], cases[i].problem) || !strstr(c.problems[0], path)))
                        fail_msg("case %zu: problem '%s' does not name the file or say '%s'", i,
                                 c.problems[0], cases[i].problem);
                agentconf_free(&c);
        }
}

static void test_syntax_error_names_the_line(void **state) {
        struct agent_config c;
        write_conf("[health]\ntimeout = 5s\nthis line is neither\n");
        agentconf_defaults(&c);
        assert_int_equal(agentconf_load(&c, path), 0);
        assert_int_equal(c.n_problems, 1);
        assert_non_null(strstr(c.problems[0], "(3)"));
        assert_null(strchr(c.problems[0], '\n'));
        agentconf_free(&c);
}

static void test_missing_and_unreadable(void **state) {
        struct agent_config c;
        agentconf_defaults(&c);
        assert_int_equal(agentconf_load(&c, "/nonexistent/agent.conf"), -ENOENT);
        assert_int_equal(c.n_problems, 0);
        /* A folder cannot be read as a file: reported, defaults kept. */
        assert_true(agentconf_load(&c, "/") < 0);
        assert_int_equal(c.n_problems, 1);
        assert_non_null(strstr(c.problems[0], "the defaults are used"));
        agentconf_free(&c);
}

static void test_problems_are_bounded(void **state) {
        struct agent_config c;
        char text[4096] = "[access]\n";
        for (int i = 0; i < 40; i++)
                snprintf(text + strlen(text), sizeof text - strlen(text), "unknown%d = 1\n", i);
        write_conf(text);
        agentconf_defaults(&c);
        assert_int_equal(agentconf_load(&c, path), 0);
        assert_int_equal(c.n_problems, AGENTCONF_MAX_PROBLEMS);
        assert_null(c.problems[AGENTCONF_MAX_PROBLEMS]);
        agentconf_free(&c);
}

static void test_line_of(void **state) {
        static const struct {
                const char *text, *section, *key;
                unsigned line;
        } rows[] = {
                { "[a]\nk = 1\n", "a", "k", 2 },
                { "[a]\nk = 1\n[b]\nk = 2\n", "b", "k", 4 },
                { "[a]\nkey = 1\nk = 2\n", "a", "k", 3 },
                { "  [ A ]\n\tK=1", "a", "k", 2 },
                { "[ab]\nk=1\n", "a", "k", 0 },
                { "  [A]\n\tK=1", "a", "k", 2 },
                { "[a]\n# k = 1\n", "a", "k", 0 },
                { "k = 1\n[a]\n", "a", "k", 0 },
                { "", "a", "k", 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if (agentconf_line_of(rows[i].text, rows[i].section, rows[i].key) != rows[i].line)
                        fail_msg("row %zu: line %u, expected %u", i,
                                 agentconf_line_of(rows[i].text, rows[i].section, rows[i].key), rows[i].line);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_shipped_config_is_the_defaults),
                cmocka_unit_test(test_shipped_config_names_every_key),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_syntax_error_names_the_line),
                cmocka_unit_test(test_missing_and_unreadable),
                cmocka_unit_test(test_problems_are_bounded),
                cmocka_unit_test(test_line_of),
        };
        return cmocka_run_group_tests_name("agentconf", tests, setup, teardown);
}
