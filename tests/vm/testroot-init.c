/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * koompi-testroot-init: the /sbin/init of the roots the VM tests boot.
 *
 * It reports, on /dev/console, lines starting with "KOOMPI-TESTROOT: " that the
 * tests parse, all derived from what the running system shows:
 *
 *   KOOMPI-TESTROOT: start boottime_ms=N pid=1
 *   KOOMPI-TESTROOT: cmdline <contents of /proc/cmdline>
 *   KOOMPI-TESTROOT: root=@NAME ro=1 home=rw:@home var=rw:@var
 *       (subvol= of the mounts at /, /home and /var in /proc/self/mountinfo,
 *        "none" for a missing mount, "-" + fstype for a non-btrfs mount)
 *   KOOMPI-TESTROOT: root-name=<first line of /etc/koompi-root-name>
 *   KOOMPI-TESTROOT: home-marker=<first line of /home/koompi-home-marker>
 *   KOOMPI-TESTROOT: write root=EROFS home=ok var=ok   (a probe file created and removed)
 *   KOOMPI-TESTROOT: mount <mountpoint> <fstype> <source> <mount options> <super options>
 *   KOOMPI-TESTROOT: boot.json {...}                   (joined onto one line)
 *   KOOMPI-TESTROOT: kmsg <kernel log records containing "koompi-init" or "ratelimiting">
 *   KOOMPI-TESTROOT: done action=poweroff|reboot|halt
 *
 * With the action "shell" it first runs /bin/sh of the root on the console
 * (for interactive runs) and powers off when the shell exits.
 *
 * Then it syncs and powers off (only when it runs as PID 1; otherwise it
 * writes the report to stdout and exits). The action is taken from, in order:
 * testroot.action= on the kernel command line, the first word of
 * /etc/testroot-action in the root, or poweroff.
 * testroot.run=PATH on the kernel command line runs PATH (no arguments) first
 * and reports its exit status; without it, /etc/testroot-run of the root runs
 * when it is executable (a root that always reports more, e.g. koompi-boot status).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAG "KOOMPI-TESTROOT: "

static int out_fd = STDOUT_FILENO;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
        char buf[8192];
        va_list ap;
        int n = snprintf(buf, sizeof buf, "%s", TAG);
        va_start(ap, fmt);
        n += vsnprintf(buf + n, sizeof buf - (size_t)n - 2, fmt, ap);
        va_end(ap);
        if (n > (int)sizeof buf - 2)
                n = (int)sizeof buf - 2;
        buf[n++] = '\r';
        buf[n++] = '\n';
        for (int off = 0; off < n;) {
                ssize_t w = write(out_fd, buf + off, (size_t)(n - off));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        break;
                off += (int)w;
        }
}

static long long ms_of(clockid_t clk)
{
        struct timespec ts;
        if (clock_gettime(clk, &ts) < 0)
                return -1;
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads a whole small file; NULL on error (errno set). */
static char *slurp(const char *path, size_t max)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        char *buf = malloc(max + 1);
        size_t len = 0;
        if (!buf) {
                close(fd);
                return NULL;
        }
        while (len < max) {
                ssize_t r = read(fd, buf + len, max - len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;
                        free(buf);
                        close(fd);
                        errno = e;
                        return NULL;
                }
                if (r == 0)
                        break;
                len += (size_t)r;
        }
        buf[len] = 0;
        close(fd);
        return buf;
}

/* Replaces control characters (newlines included) by spaces and trims the end. */
static void flatten(char *s)
{
        for (char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = ' ';
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == ' ')
                s[--n] = 0;
}

static void first_line(char *s)
{
        s[strcspn(s, "\r\n")] = 0;
}

/* Decodes the \ooo escapes of mountinfo in place. */
static void unescape(char *s)
{
        char *w = s;
        for (char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = 0;
}

struct mnt {
        bool found;
        char point[256];
        char fstype[64];
        char source[256];
        char opts[512];  /* per-mount options: ro/rw, ... */
        char super[512]; /* superblock options: subvol=, ... */
};

/* Finds the last (topmost) mount at `point` in mountinfo. */
static void find_mount(const char *mountinfo, const char *point, struct mnt *m)
{
        memset(m, 0, sizeof *m);
        const char *line = mountinfo;
        while (line && *line) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                char buf[2048];
                if (len >= sizeof buf)
                        len = sizeof buf - 1;
                memcpy(buf, line, len);
                buf[len] = 0;
                line = end ? end + 1 : NULL;

                /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
                char *fields[32];
                int nf = 0;
                char *save = NULL;
                for (char *t = strtok_r(buf, " ", &save); t && nf < 32; t = strtok_r(NULL, " ", &save))
                        fields[nf++] = t;
                if (nf < 7)
                        continue;
                int dash = -1;
                for (int i = 6; i < nf; i++)
                        if (strcmp(fields[i], "-") == 0) {
                                dash = i;
                                break;
                        }
                if (dash < 0 || dash + 3 > nf)
                        continue;
                unescape(fields[4]);
                if (strcmp(fields[4], point) != 0)
                        continue;
                m->found = true;
                snprintf(m->point, sizeof m->point, "%s", fields[4]);
                snprintf(m->opts, sizeof m->opts, "%s", fields[5]);
                snprintf(m->fstype, sizeof m->fstype, "%s", fields[dash + 1]);
                unescape(fields[dash + 2]);
                snprintf(m->source, sizeof m->source, "%s", fields[dash + 2]);
                if (dash + 3 < nf)
                        snprintf(m->super, sizeof m->super, "%s", fields[dash + 3]);
        }
}

static bool has_opt(const char *opts, const char *opt)
{
        size_t n = strlen(opt);
        for (const char *p = opts; p && *p;) {
                const char *c = strchr(p, ',');
                size_t len = c ? (size_t)(c - p) : strlen(p);
                if (len == n && strncmp(p, opt, n) == 0)
                        return true;
                p = c ? c + 1 : NULL;
        }
        return false;
}

/* The value of key= in a comma-separated option list, into out. */
static bool opt_value(const char *opts, const char *key, char *out, size_t outsz)
{
        size_t n = strlen(key);
        for (const char *p = opts; p && *p;) {
                const char *c = strchr(p, ',');
                size_t len = c ? (size_t)(c - p) : strlen(p);
                if (len > n && strncmp(p, key, n) == 0 && p[n] == '=') {
                        snprintf(out, outsz, "%.*s", (int)(len - n - 1), p + n + 1);
                        return true;
                }
                p = c ? c + 1 : NULL;
        }
        return false;
}

/* "@name" for a btrfs subvolume (leading '/' dropped), "-fstype" otherwise. */
static void describe_subvol(const struct mnt *m, char *out, size_t outsz)
{
        char sv[256];
        if (!m->found)
                snprintf(out, outsz, "none");
        else if (strcmp(m->fstype, "btrfs") == 0 && opt_value(m->super, "subvol", sv, sizeof sv))
                snprintf(out, outsz, "%s", sv[0] == '/' && sv[1] ? sv + 1 : sv);
        else
                snprintf(out, outsz, "-%s", m->fstype);
}

/* Value of word `key` (e.g. "testroot.action") on the kernel command line. */
static bool cmdline_value(const char *cmdline, const char *key, char *out, size_t outsz)
{
        size_t n = strlen(key);
        const char *p = cmdline;
        bool found = false;
        while (p && *p) {
                while (*p == ' ')
                        p++;
                const char *e = p;
                while (*e && *e != ' ')
                        e++;
                if ((size_t)(e - p) > n && strncmp(p, key, n) == 0 && p[n] == '=') {
                        snprintf(out, outsz, "%.*s", (int)(e - p - (long)n - 1), p + n + 1);
                        found = true; /* the last one wins */
                }
                p = e;
        }
        return found;
}

static const char *probe_write(const char *dir)
{
        static char res[3][64];
        static int slot;
        char path[512];
        char *r = res[slot++ % 3];
        snprintf(path, sizeof path, "%s/.koompi-testroot-probe", strcmp(dir, "/") == 0 ? "" : dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                snprintf(r, 64, "%s", errno == EROFS ? "EROFS" : strerror(errno));
                for (char *p = r; *p; p++)
                        if (*p == ' ')
                                *p = '_';
                return r;
        }
        bool ok = write(fd, "probe\n", 6) == 6;
        ok = (fsync(fd) == 0) && ok;
        close(fd);
        unlink(path);
        snprintf(r, 64, "%s", ok ? "ok" : "write-failed");
        return r;
}

static void print_file_line(const char *label, const char *path)
{
        char *s = slurp(path, 4096);
        if (!s) {
                say("%s=missing(%s)", label, strerror(errno));
                return;
        }
        first_line(s);
        flatten(s);
        say("%s=%s", label, s);
        free(s);
}

static void print_kmsg(void)
{
        /* A fresh reader of /dev/kmsg starts at the oldest record in the buffer. */
        int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return;
        char rec[8192];
        for (;;) {
                ssize_t r = read(fd, rec, sizeof rec - 1);
                if (r < 0 && errno == EPIPE)
                        continue; /* overwritten records: go on */
                if (r <= 0)
                        break;
                rec[r] = 0;
                /* "prio,seq,usec,flags;message\n KEY=VALUE..." */
                char *msg = strchr(rec, ';');
                if (!msg)
                        continue;
                msg++;
                first_line(msg);
                /* koompi-init's records, and the kernel saying it dropped some. */
                if (strstr(msg, "koompi-init") || strstr(msg, "ratelimiting"))
                        say("kmsg %s", msg);
        }
        close(fd);
}

static void run_program(const char *path)
{
        say("run %s", path);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(out_fd, STDIN_FILENO);
                dup2(out_fd, STDOUT_FILENO);
                dup2(out_fd, STDERR_FILENO);
                execl(path, path, (char *)NULL);
                _exit(127);
        }
        if (pid < 0) {
                say("run-status fork-failed(%s)", strerror(errno));
                return;
        }
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (WIFEXITED(st))
                say("run-status exit=%d", WEXITSTATUS(st));
        else
                say("run-status signal=%d", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
}

static void run_shell(void)
{
        if (access("/bin/sh", X_OK) < 0) {
                say("shell: /bin/sh: %s", strerror(errno));
                return;
        }
        say("shell: /bin/sh on the console; exit it to power off");
        pid_t pid = fork();
        if (pid == 0) {
                setsid();
                int fd = open("/dev/console", O_RDWR);
                if (fd >= 0) {
                        ioctl(fd, TIOCSCTTY, 1);
                        dup2(fd, STDIN_FILENO);
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                        if (fd > STDERR_FILENO)
                                close(fd);
                }
                setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
                setenv("HOME", "/root", 1);
                setenv("TERM", "linux", 0);
                execl("/bin/sh", "sh", (char *)NULL);
                _exit(127);
        }
        if (pid < 0)
                return;
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
}

int main(void)
{
        long long start_boot = ms_of(CLOCK_BOOTTIME);
        long long start_mono = ms_of(CLOCK_MONOTONIC);

        /* Outside a test VM (not PID 1) it only reports, on stdout, and exits. */
        bool pid1 = getpid() == 1;
        if (pid1) {
                if (access("/dev/console", F_OK) < 0)
                        mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
                int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (fd >= 0)
                        out_fd = fd;
                if (access("/proc/self/mountinfo", R_OK) < 0)
                        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        }

        say("start boottime_ms=%lld monotonic_ms=%lld pid=%d", start_boot, start_mono, (int)getpid());

        char *cmdline = slurp("/proc/cmdline", 4096);
        if (cmdline) {
                flatten(cmdline);
                say("cmdline %s", cmdline);
        }

        char *mountinfo = slurp("/proc/self/mountinfo", 1 << 20);
        struct mnt root, home, var;
        find_mount(mountinfo ? mountinfo : "", "/", &root);
        find_mount(mountinfo ? mountinfo : "", "/home", &home);
        find_mount(mountinfo ? mountinfo : "", "/var", &var);
        char rs[256], hs[256], vs[256];
        describe_subvol(&root, rs, sizeof rs);
        describe_subvol(&home, hs, sizeof hs);
        describe_subvol(&var, vs, sizeof vs);
        say("root=%s ro=%d home=%s%s var=%s%s", rs, root.found && has_opt(root.opts, "ro") ? 1 : 0,
            home.found ? (has_opt(home.opts, "rw") ? "rw:" : "ro:") : "", hs,
            var.found ? (has_opt(var.opts, "rw") ? "rw:" : "ro:") : "", vs);
        print_file_line("root-name", "/etc/koompi-root-name");
        print_file_line("home-marker", "/home/koompi-home-marker");
        const char *w_root = probe_write("/");
        const char *w_home = home.found ? probe_write("/home") : "none";
        const char *w_var = var.found ? probe_write("/var") : "none";
        say("write root=%s home=%s var=%s", w_root, w_home, w_var);
        const char *points[] = {"/", "/home", "/var", "/run", "/proc", "/sys", "/dev"};
        for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
                struct mnt m;
                find_mount(mountinfo ? mountinfo : "", points[i], &m);
                if (m.found)
                        say("mount %s %s %s %s %s", m.point, m.fstype, m.source, m.opts,
                            m.super[0] ? m.super : "-");
                else
                        say("mount %s none", points[i]);
        }
        free(mountinfo);

        char *json = slurp("/run/koompi/boot.json", 65536);
        if (json) {
                flatten(json);
                say("boot.json %s", json);
                free(json);
        } else
                say("boot.json missing (%s)", strerror(errno));

        print_kmsg();

        char val[512];
        if (cmdline && cmdline_value(cmdline, "testroot.run", val, sizeof val))
                run_program(val);
        else if (access("/etc/testroot-run", X_OK) == 0)
                run_program("/etc/testroot-run");

        char action[sizeof val] = "poweroff";
        if (cmdline && cmdline_value(cmdline, "testroot.action", val, sizeof val))
                snprintf(action, sizeof action, "%s", val);
        else {
                char *a = slurp("/etc/testroot-action", 256);
                if (a) {
                        char *p = a;
                        while (isspace((unsigned char)*p))
                                p++;
                        p[strcspn(p, " \t\r\n")] = 0;
                        if (*p)
                                snprintf(action, sizeof action, "%s", p);
                        free(a);
                }
        }
        free(cmdline);

        int how = RB_POWER_OFF;
        if (strcmp(action, "shell") == 0 && pid1) {
                run_shell();
                snprintf(action, sizeof action, "poweroff");
        }
        if (strcmp(action, "reboot") == 0)
                how = RB_AUTOBOOT;
        else if (strcmp(action, "halt") == 0)
                how = RB_HALT_SYSTEM;
        else
                snprintf(action, sizeof action, "poweroff");
        say("done action=%s uptime_ms=%lld", action, ms_of(CLOCK_BOOTTIME));
        if (!pid1)
                return 0;
        sync();
        reboot(how);
        say("reboot(%s) failed: %s", action, strerror(errno));
        for (;;)
                pause();
}
