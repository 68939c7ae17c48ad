/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The reports machines send about a release, one JSON object a line:
 *   {"id": "REPORT-ID", "version": "2026.12.2", "outcome": "taken" | "applied" | "booted-good" | "rolled-back"}
 * Counts, for version, the machines that took it and those of them that rolled back from it,
 * each machine once however often it reported. Lines that are not such a report are skipped
 * and counted in *ret_skipped (may be NULL). 0 or -ENOMEM. */
int reports_count(const char *reports, const char *version, unsigned *ret_taken, unsigned *ret_failed,
                  unsigned *ret_skipped);
