/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

/* HTTP(S) downloads into memory over libcurl, bounded in size and in time, for the small files
 * of a release (its manifest and signature). Meant to run in an unprivileged process: the
 * bytes are not trusted until verified. */
#define FETCH_ERROR_MAX 256

struct fetch_limits {
        size_t max_bytes; /* a larger body fails with -EFBIG */
        unsigned connect_timeout_s;
        unsigned stall_timeout_s; /* fails when nothing arrived for this long */
        unsigned total_timeout_s;
};

/* GETs url (http or https only, up to 3 redirects among those). 0 with the body in *ret (NUL
 * terminated, its length in *ret_len; free it); -ENOENT for HTTP 404 or 410; -EFBIG when the
 * body is larger than allowed; -EPROTONOSUPPORT for another scheme; -EIO for any other failure
 * (a refused connection, a timeout, another HTTP status). error (FETCH_ERROR_MAX bytes) says
 * what happened. */
int fetch_url(const char *url, const struct fetch_limits *lim, char **ret, size_t *ret_len, char *error);

/* POSTs body (len bytes, Content-Type: application/json) to url (http or https, no redirect)
 * within lim's timeouts; at most lim->max_bytes of the answer are read, and dropped. 0 for a
 * 2xx answer; -EPROTONOSUPPORT for another scheme; -ENOENT for HTTP 404 or 410; -EIO for any
 * other failure. error (FETCH_ERROR_MAX bytes) says what happened. */
int fetch_post_json(const char *url, const char *body, size_t len, const struct fetch_limits *lim,
                    char *error);

/* "<mirror>/<channel>/<rest>", with one slash after the mirror whether or not it ends in one.
 * Free it. */
char *fetch_join_url(const char *mirror, const char *channel, const char *rest);
/* The options every transfer of the update library shares: url, http and https only (up to 3
 * redirects among them), no signals, the connect and stall timeouts, curl's words into
 * curl_error (CURL_ERROR_SIZE bytes). */
void fetch_set_common(CURL *c, const char *url, unsigned connect_timeout_s, unsigned stall_timeout_s,
                      char *curl_error);
