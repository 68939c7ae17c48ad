/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TAIL_LINES 32
#define LINE_MAX_LEN 512

/* Where lines go and which: set once at start, read for every line. */
static struct {
        const char *ident;
        int kmsg_fd;
        int console_fd;
        int max_level;
} out = { .ident = "koompi", .kmsg_fd = -1, .console_fd = 2, .max_level = LOG_LVL_INFO };

/* The last lines, for the recovery screen. */
static struct {
        char lines[TAIL_LINES][LINE_MAX_LEN];
        unsigned next;
} tail;

void log_init(const char *ident) {
        out.ident = ident;
}

int log_open_kmsg(void) {
        out.kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        return out.kmsg_fd < 0 ? -errno : 0;
}

void log_set_console_fd(int fd) {
        out.console_fd = fd;
}
void log_set_max_level(int level) {
        out.max_level = level;
}
int log_get_max_level(void) {
        return out.max_level;
}

static void write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                buf += n;
                len -= (size_t)n;
        }
}

void log_vmsg(int level, const char *fmt, va_list ap) {
        char text[LINE_MAX_LEN - 32];
        char line[LINE_MAX_LEN];
        int saved = errno;

        vsnprintf(text, sizeof text, fmt, ap);
        snprintf(tail.lines[tail.next % TAIL_LINES], LINE_MAX_LEN, "%s", text);
        tail.next++;

        /* The kernel log gets everything but debug (unless asked): it has its own filter, and
         * `quiet` only quiets the console. */
        if (out.kmsg_fd >= 0 && (level <= LOG_LVL_INFO || level <= out.max_level)) {
                int n = snprintf(line, sizeof line, "<%d>%s: %s\n", level, out.ident, text);
                write_all(out.kmsg_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        }
        if (out.console_fd >= 0 && level <= out.max_level) {
                /* With debugging on, console lines carry the time, to see where a boot waits. */
                char stamp[32] = "";
                if (out.max_level >= LOG_LVL_DEBUG)
                        snprintf(stamp, sizeof stamp, "[%llu ms] ", (unsigned long long)now_boottime_ms());
                int n = snprintf(line, sizeof line, "%s%s: %s\n", stamp, out.ident, text);
                write_all(out.console_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        }
        errno = saved;
}

void log_msg(int level, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_vmsg(level, fmt, ap);
        va_end(ap);
}

int log_errno(int err, const char *fmt, ...) {
        char text[LINE_MAX_LEN - 96];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        log_msg(LOG_LVL_ERR, "%s: %s", text, strerror(err < 0 ? -err : err));
        return err;
}

void log_tail(void (*cb)(const char *line, void *userdata), void *userdata) {
        unsigned n = tail.next < TAIL_LINES ? tail.next : TAIL_LINES;
        for (unsigned i = tail.next - n; i < tail.next; i++)
                cb(tail.lines[i % TAIL_LINES], userdata);
}
