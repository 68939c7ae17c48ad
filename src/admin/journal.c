/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "rootpolicy.h"
#include "strv.h"
#include "util.h"

#define JOURNAL_HEADER "koompi-boot-transaction 1"
#define PINS_HEADER "koompi-boot-pins 1"
#define STATE_FILE_MAX (256 * 1024)

static int state_path(const char *dir, const char *file, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s/%s", dir, file);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int read_state_file(const char *dir, const char *file, char **ret) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        size_t len;
        int r = state_path(dir, file, path, sizeof path);
        if (r < 0)
                return r;
        r = read_file(path, &text, &len);
        if (r < 0)
                return r;
        if (len > STATE_FILE_MAX || strlen(text) != len)
                return -EFBIG;
        *ret = text;
        text = NULL;
        return 0;
}

void journal_free(struct journal *j) {
        strv_free(j->roots);
        j->roots = NULL;
}

/* One "key value" line of the journal into j. -EBADMSG when a root's name is not a root's,
 * -ENOMEM. */
static int journal_line(struct journal *j, char *line) {
        char *sp = strchr(line, ' ');
        if (!sp)
                return 0;
        *sp = 0;
        const char *v = sp + 1;
        if (streq(line, "op"))
                snprintf(j->op, sizeof j->op, "%s", v);
        else if (streq(line, "step"))
                snprintf(j->step, sizeof j->step, "%s", v);
        else if (streq(line, "from"))
                snprintf(j->from, sizeof j->from, "%s", v);
        else if (streq(line, "kernel"))
                snprintf(j->kernel, sizeof j->kernel, "%s", v);
        else if (streq(line, "initrd"))
                snprintf(j->initrd, sizeof j->initrd, "%s", v);
        else if (streq(line, "options"))
                snprintf(j->options, sizeof j->options, "%s", v);
        else if (streq(line, "root")) {
                if (root_name_check(v) < 0)
                        return -EBADMSG;
                if (!j->root[0])
                        snprintf(j->root, sizeof j->root, "%s", v);
                return strv_extend(&j->roots, v);
        }
        return 0;
}

static bool journal_complete(const struct journal *j) {
        static const char *const ops[] = { "update", "snapshot", "delete", "rollback" };
        bool known = false;
        for (size_t i = 0; i < ELEMENTSOF(ops); i++)
                known = known || streq(j->op, ops[i]);
        return known && (streq(j->op, "delete") || j->root[0]);
}

int journal_read(const char *dir, struct journal *ret) {
        _cleanup_free_ char *text = NULL;
        struct journal j = {};
        int r = read_state_file(dir, JOURNAL_FILE, &text);
        if (r == -EFBIG)
                return -EBADMSG;
        if (r < 0)
                return r;
        char *save = NULL, *line = strtok_r(text, "\n", &save);
        if (!line || !streq(line, JOURNAL_HEADER))
                return -EBADMSG;
        while ((line = strtok_r(NULL, "\n", &save)) && r == 0)
                r = journal_line(&j, line);
        if (r == 0 && !journal_complete(&j))
                r = -EBADMSG;
        if (r < 0) {
                journal_free(&j);
                return r;
        }
        *ret = j;
        return 0;
}

int journal_write(const char *dir, const struct journal *j) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, JOURNAL_HEADER "\nop %s\n", j->op);
        if (j->step[0])
                fprintf(f, "step %s\n", j->step);
        if (j->from[0])
                fprintf(f, "from %s\n", j->from);
        if (strchr(j->kernel, '\n') || strchr(j->initrd, '\n') || strchr(j->options, '\n')) {
                fclose(f);
                return -EINVAL;
        }
        if (j->kernel[0])
                fprintf(f, "kernel %s\ninitrd %s\n", j->kernel, j->initrd);
        if (j->options[0])
                fprintf(f, "options %s\n", j->options);
        /* A delete names its roots; any other transaction its one root, which reading also puts
         * in roots: writing both would add a root line at every rewrite. */
        if (streq(j->op, "delete"))
                for (char **p = j->roots; p && *p; p++)
                        fprintf(f, "root %s\n", *p);
        else
                fprintf(f, "root %s\n", j->root);
        fprintf(f, "pid %d\n", (int)getpid());
        if (fclose(f) != 0)
                return -ENOMEM;
        int r = mkdir_p(dir, 0755);
        if (r == 0)
                r = state_path(dir, JOURNAL_FILE, path, sizeof path);
        if (r < 0)
                return r;
        return write_file_atomic(path, text, len, 0644);
}

int journal_remove(const char *dir) {
        char path[PATH_MAX];
        int r = state_path(dir, JOURNAL_FILE, path, sizeof path);
        if (r < 0)
                return r;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd >= 0 ? fsync_dir(fd) : 0;
}

int pins_read(const char *dir, char ***ret) {
        _cleanup_free_ char *text = NULL;
        char **pins = calloc(1, sizeof(char *));
        if (!pins)
                abort();
        int r = read_state_file(dir, PINS_FILE, &text);
        if (r < 0 && r != -ENOENT) {
                strv_free(pins);
                return r;
        }
        /* "UUID NAME" per line; the name is for people, the UUID decides. */
        for (char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save)) {
                size_t n = strcspn(line, " ");
                if (n != 36 || startswith(line, PINS_HEADER))
                        continue;
                line[n] = 0;
                if (strv_extend(&pins, line) < 0) {
                        strv_free(pins);
                        return -ENOMEM;
                }
        }
        *ret = pins;
        return 0;
}

int pins_write(const char *dir, char *const *uuids, char *const *names) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        size_t len = 0;
        bool more_names = names != NULL;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, PINS_HEADER "\n");
        for (size_t i = 0; uuids && uuids[i]; i++) {
                more_names = more_names && names[i];
                fprintf(f, "%s %s\n", uuids[i], more_names ? names[i] : "?");
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        int r = state_path(dir, PINS_FILE, path, sizeof path);
        if (r < 0)
                return r;
        return write_file_atomic(path, text, len, 0644);
}

int roots_lock(const char *top, int *ret_fd) {
        int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

/* Resets the machine at once, without syncing or unmounting: what pulling the charger does. */
static void power_cut(void) {
        int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
        if (fd >= 0)
                (void)!write(fd, "b", 1);
}

void fault_point(const char *name) {
        const char *want = getenv(FAULT_POINT_ENV), *action = getenv(FAULT_ACTION_ENV),
                   *delay = getenv(FAULT_DELAY_ENV);
        if (!want || !streq(want, name))
                return;
        if (!action || !streq(action, "power-cut"))
                _exit(FAULT_POINT_EXIT);
        unsigned long ms = delay ? strtoul(delay, NULL, 10) : 0;
        if (ms == 0) {
                power_cut();
                _exit(FAULT_POINT_EXIT);
        }
        /* Later, while the next step writes: the cut comes from a child, the work goes on. */
        if (fork() == 0) {
                struct timespec t = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };
                nanosleep(&t, NULL);
                power_cut();
                _exit(FAULT_POINT_EXIT);
        }
}
