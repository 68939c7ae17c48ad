/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The built-in health checks: what each one looks at, and its verdict. */
#include "builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statvfs.h>
#include <systemd/sd-bus.h>

#include "util.h"

#define MSG_MAX 512

/* The word [w, w + len) in the space-separated list. */
static bool list_has(const char *list, const char *w, size_t len) {
        for (const char *p = list; p && *p;) {
                p += strspn(p, " \t");
                size_t n = strcspn(p, " \t");
                if (n && n == len && strncmp(p, w, len) == 0)
                        return true;
                p += n;
        }
        return false;
}

bool builtin_in_list(const char *list, const char *name) {
        return name && list_has(list, name, strlen(name));
}

bool builtin_known(const char *name) {
        return builtin_in_list(BUILTIN_NAMES, name);
}

bool builtin_list_valid(const char *list) {
        for (const char *p = list; p && *p;) {
                p += strspn(p, " \t");
                size_t n = strcspn(p, " \t");
                if (n && !list_has(BUILTIN_NAMES, p, n))
                        return false;
                p += n;
        }
        return true;
}

int builtin_parse_free(const char *s, struct free_threshold *ret) {
        static const char units[] = "KMGT";
        char *end;
        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno)
                return -EINVAL;
        if (streq(end, "%")) {
                if (v > 100)
                        return -EINVAL;
                *ret = (struct free_threshold) { .percent = (unsigned)v };
                return 0;
        }
        const char *u = *end ? strchr(units, *end) : NULL;
        if (*end && (!u || end[1]))
                return -EINVAL;
        for (const char *k = units; u && k <= u; k++) {
                if (v > UINT64_MAX / 1024)
                        return -EINVAL;
                v *= 1024;
        }
        *ret = (struct free_threshold) { .bytes = v };
        return 0;
}

/* "/@home" and "@home" both name the subvolume @home. */
static bool root_is(const char *root, const char *subvol) {
        return streq(root, subvol) || (root[0] == '/' && streq(root + 1, subvol));
}

enum health_state builtin_mount_verdict(const struct mount_seen *m, const char *target, const char *subvol,
                                        bool want_rw, char *msg, size_t size) {
        const char *mode = want_rw ? "read-write" : "read-only";
        if (!m->found)
                snprintf(msg, size, "%s is not mounted", target);
        else if (subvol && !streq(m->fstype, "btrfs"))
                snprintf(msg, size, "%s is mounted from %s, not from the Btrfs subvolume %s", target,
                         m->fstype, subvol);
        else if (subvol && !root_is(m->root, subvol))
                snprintf(msg, size, "%s is mounted from %s, not from %s", target, m->root, subvol);
        else if (m->read_only == want_rw)
                snprintf(msg, size, "%s is mounted %s, not %s", target, want_rw ? "read-only" : "read-write",
                         mode);
        else {
                snprintf(msg, size, "%s is mounted %s from %s", target, mode, subvol ? subvol : m->root);
                return CHECK_PASSED;
        }
        return CHECK_FAILED;
}

/* 2048 -> "2.0 KiB": sizes for people. */
static const char *human(uint64_t v, char *buf, size_t size) {
        static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double d = (double)v;
        size_t i = 0;
        while (d >= 1024 && i + 1 < ELEMENTSOF(u)) {
                d /= 1024;
                i++;
        }
        if (i == 0)
                snprintf(buf, size, "%" PRIu64 " B", v);
        else
                snprintf(buf, size, "%.1f %s", d, u[i]);
        return buf;
}

enum health_state builtin_free_verdict(uint64_t avail, uint64_t total, const struct free_threshold *t,
                                       char *msg, size_t size) {
        char a[32], need[32];
        unsigned pct = total ? (unsigned)(avail * 100 / total) : 0;
        bool low = avail < t->bytes ||
                (t->percent && (__uint128_t)avail * 100 < (__uint128_t)total * t->percent);
        if (low && avail < t->bytes)
                snprintf(msg, size, "only %s free (%u%%), below the %s asked for", human(avail, a, sizeof a),
                         pct, human(t->bytes, need, sizeof need));
        else if (low)
                snprintf(msg, size, "only %s free (%u%%), below the %u%% asked for",
                         human(avail, a, sizeof a), pct, t->percent);
        else
                snprintf(msg, size, "%s free (%u%%)", human(avail, a, sizeof a), pct);
        return low ? CHECK_FAILED : CHECK_PASSED;
}

enum health_state builtin_units_verdict(const char *const *names, const char *const *states, size_t n,
                                        char *msg, size_t size) {
        size_t len = 0, failed = 0;
        if (n == 0) {
                snprintf(msg, size, "no units are listed (units= in agent.conf)");
                return CHECK_SKIPPED;
        }
        snprintf(msg, size, "%s", "");
        for (size_t i = 0; i < n; i++) {
                if (!states[i] || !streq(states[i], "failed"))
                        continue;
                int w = snprintf(msg + len, size - len, "%s%s", failed++ ? ", " : "", names[i]);
                if (w < 0 || (size_t)w >= size - len)
                        break;
                len += (size_t)w;
        }
        if (failed) {
                size_t l = strlen(msg);
                snprintf(msg + l, size - l, " failed");
                return CHECK_FAILED;
        }
        snprintf(msg, size, "none of %zu units failed", n);
        return CHECK_PASSED;
}

int builtin_mount_read(const char *mountinfo, const char *target, struct mount_seen *ret) {
        struct libmnt_table *tb = mnt_new_table();
        struct mount_seen m = { 0 };
        if (!tb)
                return -ENOMEM;
        int r = mnt_table_parse_file(tb, mountinfo);
        struct libmnt_fs *fs = r < 0 ? NULL : mnt_table_find_target(tb, target, MNT_ITER_BACKWARD);
        if (fs) {
                const char *root = mnt_fs_get_root(fs), *type = mnt_fs_get_fstype(fs);
                const char *vfs = mnt_fs_get_vfs_options(fs);
                m.found = true;
                snprintf(m.root, sizeof m.root, "%s", root ? root : "/");
                snprintf(m.fstype, sizeof m.fstype, "%s", type ? type : "");
                m.read_only = vfs && mnt_optstr_get_option(vfs, "ro", NULL, NULL) == 0;
        }
        mnt_unref_table(tb);
        if (r < 0)
                return r;
        *ret = m;
        return 0;
}

static enum health_state check_mount(const struct builtin_env *env, const char *target, const char *subvol,
                                     bool want_rw, char *msg, size_t size) {
        const char *mountinfo = env->mountinfo ? env->mountinfo : "/proc/self/mountinfo";
        struct mount_seen m;
        int r = builtin_mount_read(mountinfo, target, &m);
        if (r < 0) {
                snprintf(msg, size, "the mount table %s cannot be read: %s", mountinfo, strerror(-r));
                return CHECK_SKIPPED;
        }
        return builtin_mount_verdict(&m, target, subvol, want_rw, msg, size);
}

static enum health_state check_home(const struct builtin_settings *c, const struct builtin_env *env,
                                    char *msg, size_t size) {
        return check_mount(env, "/home", "@home", true, msg, size);
}

static enum health_state check_var(const struct builtin_settings *c, const struct builtin_env *env, char *msg,
                                   size_t size) {
        return check_mount(env, "/var", "@var", true, msg, size);
}

/* The root koompi-init booted, from its record; "" when the record names none. */
static int booted_root(const char *path, char *buf, size_t size) {
        json_object *o = json_object_from_file(path), *snap;
        if (!o)
                return -ENOENT;
        bool ok = json_object_object_get_ex(o, "snapshot", &snap) &&
                json_object_is_type(snap, json_type_string);
        snprintf(buf, size, "%s", ok ? json_object_get_string(snap) : "");
        json_object_put(o);
        return 0;
}

static enum health_state check_root(const struct builtin_settings *c, const struct builtin_env *env,
                                    char *msg, size_t size) {
        const char *path = env->boot_json ? env->boot_json : "/run/koompi/boot.json";
        char root[256];
        if (booted_root(path, root, sizeof root) < 0 || !*root) {
                snprintf(msg, size, "%s names no booted root (not booted by koompi-init)", path);
                return CHECK_SKIPPED;
        }
        return check_mount(env, "/", root, false, msg, size);
}

static enum health_state check_free(const struct builtin_settings *c, const struct builtin_env *env,
                                    char *msg, size_t size) {
        const char *path = env->top ? env->top : "/";
        struct statvfs st;
        if (statvfs(path, &st) < 0) {
                snprintf(msg, size, "the free space of %s cannot be read: %m", path);
                return CHECK_FAILED;
        }
        return builtin_free_verdict((uint64_t)st.f_bavail * st.f_frsize, (uint64_t)st.f_blocks * st.f_frsize,
                                    &c->min_free, msg, size);
}

static enum health_state check_ledger(const struct builtin_settings *c, const struct builtin_env *env,
                                      char *msg, size_t size) {
        char dir[4096], path[4200];
        if (env->top)
                snprintf(dir, sizeof dir, "%s/@var/lib/koompi", env->top);
        else
                snprintf(dir, sizeof dir, "/var/lib/koompi");
        snprintf(path, sizeof path, "%s/.health-XXXXXX", dir);
        int fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
                snprintf(msg, size, "the ledger's folder %s does not exist", dir);
                return CHECK_FAILED;
        }
        if (fd < 0) {
                snprintf(msg, size, "the ledger's folder %s is not writable: %m", dir);
                return CHECK_FAILED;
        }
        close(fd);
        if (unlink(path) < 0) {
                snprintf(msg, size, "a file created in the ledger's folder %s cannot be removed: %m", dir);
                return CHECK_FAILED;
        }
        snprintf(msg, size, "the ledger's folder %s is writable", dir);
        return CHECK_PASSED;
}

/* The ActiveState of each unit, from systemd over the bus; -ENXIO when no systemd is there. */
static int unit_states(sd_bus *bus, char **names, size_t n, char **states) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                int r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", names[i], &path);
                if (r >= 0)
                        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                                                       "org.freedesktop.systemd1.Unit", "ActiveState", &e,
                                                       &states[i]);
                bool absent = sd_bus_error_has_names(&e, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                                     SD_BUS_ERROR_NAME_HAS_NO_OWNER);
                sd_bus_error_free(&e);
                if (absent)
                        return -ENXIO;
        }
        return 0;
}

static enum health_state check_units(const struct builtin_settings *c, const struct builtin_env *env,
                                     char *msg, size_t size) {
        char *names[64] = { 0 }, *states[64] = { 0 };
        size_t n = 0;
        _cleanup_free_ char *list = strdup_or_die(c->units ? c->units : "");
        for (char *save = NULL, *w = strtok_r(list, " \t", &save); w && n < ELEMENTSOF(names);
             w = strtok_r(NULL, " \t", &save))
                names[n++] = w;
        sd_bus *bus = NULL;
        int r = n == 0 ? 0 : sd_bus_open_system(&bus);
        if (r >= 0 && n > 0) {
                sd_bus_set_method_call_timeout(bus, 5 * 1000 * 1000);
                r = unit_states(bus, names, n, states);
        }
        enum health_state s = r < 0 ? CHECK_SKIPPED
                                    : builtin_units_verdict((const char *const *)names,
                                                            (const char *const *)states, n, msg, size);
        if (r < 0)
                snprintf(msg, size, "no systemd on the system bus to ask about %s", c->units);
        for (size_t i = 0; i < n; i++)
                free(states[i]);
        sd_bus_flush_close_unref(bus);
        return s;
}

typedef enum health_state (*builtin_fn)(const struct builtin_settings *c, const struct builtin_env *env,
                                        char *msg, size_t size);

static const struct {
        const char *name;
        builtin_fn fn;
} builtins[] = {
        { "home-mounted", check_home }, { "var-mounted", check_var },        { "root-readonly", check_root },
        { "free-space", check_free },   { "ledger-writable", check_ledger }, { "units", check_units },
};

enum health_state builtin_run_one(const char *name, const struct builtin_settings *set,
                                  const struct builtin_env *env, char *msg, size_t size) {
        static const struct builtin_env none;
        for (size_t i = 0; i < ELEMENTSOF(builtins); i++)
                if (streq(builtins[i].name, name))
                        return builtins[i].fn(set, env ? env : &none, msg, size);
        snprintf(msg, size, "no built-in check is called %s", name);
        return CHECK_NOT_RUN;
}

void builtin_add_pending(struct health_run *run, const struct builtin_settings *set, unsigned timeout_ms) {
        for (size_t i = 0; i < ELEMENTSOF(builtins); i++) {
                bool required = builtin_in_list(set->required, builtins[i].name);
                if (required || builtin_in_list(set->wanted, builtins[i].name))
                        health_add(run, builtins[i].name, "", required, timeout_ms);
        }
}

void builtin_run_all(struct health_run *run, const struct builtin_settings *set,
                     const struct builtin_env *env) {
        char msg[MSG_MAX];
        for (size_t i = 0; i < ELEMENTSOF(builtins); i++) {
                bool required = builtin_in_list(set->required, builtins[i].name);
                if (!required && !builtin_in_list(set->wanted, builtins[i].name))
                        continue;
                enum health_state s = builtin_run_one(builtins[i].name, set, env, msg, sizeof msg);
                health_add_result(run, builtins[i].name, required, s, msg);
        }
}
