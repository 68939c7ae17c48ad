/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The update library's only use of libcurl. */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>

#include "util.h"

struct body {
        char *data;
        size_t len, cap, max;
        bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *userdata) {
        struct body *b = userdata;
        size_t len = size * n;
        if (b->len + len > b->max) {
                b->too_big = true;
                return 0; /* curl stops with CURLE_WRITE_ERROR */
        }
        if (b->len + len + 1 > b->cap) {
                size_t cap = (b->len + len + 1) * 2;
                char *grown = realloc(b->data, cap);
                if (!grown)
                        return 0;
                b->data = grown;
                b->cap = cap;
        }
        memcpy(b->data + b->len, p, len);
        b->len += len;
        b->data[b->len] = '\0';
        return len;
}

void fetch_set_common(CURL *c, const char *url, unsigned connect_timeout_s, unsigned stall_timeout_s,
                      char *curl_error) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)connect_timeout_s);
        /* A stalled link: less than a byte a second for stall_timeout_s. */
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)stall_timeout_s);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "koompi-agent");
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
}

static void set_options(CURL *c, const char *url, const struct fetch_limits *lim, struct body *b,
                        char *curl_error) {
        fetch_set_common(c, url, lim->connect_timeout_s, lim->stall_timeout_s, curl_error);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)lim->total_timeout_s);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
}

/* The errno and the words for how the transfer ended. */
static int outcome(CURLcode rc, long status, const struct body *b, const char *curl_error, char *error) {
        if (b->too_big) {
                snprintf(error, FETCH_ERROR_MAX, "larger than %zu bytes", b->max);
                return -EFBIG;
        }
        if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
                snprintf(error, FETCH_ERROR_MAX, "only http and https are used");
                return -EPROTONOSUPPORT;
        }
        if (rc != CURLE_OK) {
                snprintf(error, FETCH_ERROR_MAX, "%s", curl_error[0] ? curl_error : curl_easy_strerror(rc));
                return -EIO;
        }
        if (status == 200)
                return 0;
        snprintf(error, FETCH_ERROR_MAX, "HTTP status %ld", status);
        return status == 404 || status == 410 ? -ENOENT : -EIO;
}

int fetch_url(const char *url, const struct fetch_limits *lim, char **ret, size_t *ret_len, char *error) {
        struct body b = { .max = lim->max_bytes };
        char curl_error[CURL_ERROR_SIZE] = "";
        long status = 0;
        CURL *c = curl_easy_init();
        if (!c) {
                snprintf(error, FETCH_ERROR_MAX, "libcurl could not start");
                return -ENOMEM;
        }
        set_options(c, url, lim, &b, curl_error);
        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        int r = outcome(rc, status, &b, curl_error, error);
        if (r < 0) {
                free(b.data);
                return r;
        }
        *ret = b.data ? b.data : strdup_or_die("");
        *ret_len = b.len;
        return 0;
}

int fetch_post_json(const char *url, const char *body, size_t len, const struct fetch_limits *lim,
                    char *error) {
        struct body b = { .max = lim->max_bytes };
        char curl_error[CURL_ERROR_SIZE] = "";
        long status = 0;
        struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
        CURL *c = curl_easy_init();
        if (!c || !headers) {
                curl_slist_free_all(headers);
                curl_easy_cleanup(c);
                snprintf(error, FETCH_ERROR_MAX, "libcurl could not start");
                return -ENOMEM;
        }
        set_options(c, url, lim, &b, curl_error);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        /* A redirect must not turn the report into a GET elsewhere. */
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        curl_slist_free_all(headers);
        free(b.data);
        if (rc == CURLE_OK && status >= 200 && status < 300)
                return 0;
        int r = outcome(rc, status, &b, curl_error, error);
        return r < 0 ? r : -EIO;
}

char *fetch_join_url(const char *mirror, const char *channel, const char *rest) {
        char *url;
        if (asprintf(&url, "%s%s%s/%s", mirror, endswith(mirror, "/") ? "" : "/", channel, rest) < 0)
                abort();
        return url;
}
