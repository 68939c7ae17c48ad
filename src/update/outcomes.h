/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What became of a release on this machine, one JSON object a line, as koompi-release step reads
 * them (reports.h):
 *   {"id": "REPORT-ID", "version": "2026.12.2", "outcome": "taken", "time": "2026-12-07T08:00:00Z"}
 * kept in STATE_DIR/update/outcomes and, when [privacy] report allows it, queued in
 * STATE_DIR/update/report-queue until the report URL took them. The report id is
 * HMAC-SHA256(key = the machine-id's 16 bytes, message = "koompi-report") in hex: the
 * machine-id itself never leaves the machine. Both files are bounded: the oldest lines go. */
#define OUTCOMES_FILE "update/outcomes"
#define OUTCOMES_QUEUE_FILE "update/report-queue"
#define OUTCOMES_MAX_BYTES (64 * 1024)
#define OUTCOMES_REPORT_ID_HEX 65 /* 64 hex digits and the NUL */

/* This machine's report id from its machine-id file. 0, -EINVAL when the file holds no
 * machine-id, or the negative errno of reading it. */
int outcome_report_id(const char *machine_id_file, char ret[OUTCOMES_REPORT_ID_HEX]);
/* Whether outcome is one of "taken", "applied", "booted-good", "rolled-back". */
bool outcome_known(const char *outcome);
/* One record, without a newline; free it. NULL (with nothing made) for an unknown outcome. */
char *outcome_line(const char *id, const char *version, const char *outcome, int64_t time);
/* Appends line and a newline to path (made when missing, with its folder), dropping the oldest
 * whole lines so the file stays within max_bytes; written atomically. 0 or a negative errno. */
int outcome_append(const char *path, const char *line, size_t max_bytes);
/* Drops the first n lines of path (those the report URL took). 0, -ENOENT when there is no such
 * file, or another negative errno. */
int outcome_drop_first(const char *path, size_t n);
/* The number of lines of text (a last line without a newline counts). */
size_t outcome_count_lines(const char *text);
