/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stdarg.h>

/* Levels follow syslog(3) so a line can go to /dev/kmsg unchanged. */
enum { LOG_LVL_ERR = 3, LOG_LVL_WARNING = 4, LOG_LVL_NOTICE = 5, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* ident is the prefix of every line ("koompi-init"). */
void log_init(const char *ident);
/* PID 1: also write to /dev/kmsg. */
int log_open_kmsg(void);
/* Where human-readable lines go (stderr by default; the console in PID 1). -1 disables. */
void log_set_console_fd(int fd);
void log_set_max_level(int level);
int log_get_max_level(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Logs with strerror(-err) appended and returns err (negative errno), so
 * `return log_errno(r, "...")` logs and fails in one step. */
int log_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last lines logged, oldest first, for the recovery screen. */
void log_tail(void (*cb)(const char *line, void *userdata), void *userdata);

#define log_error(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
