/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "pkgsource.h"

/* A package worker's answer, one JSON line at a time (the protocol in koompi-agent(8)), read
 * as untrusted: every field checked, and only the fields known kept. */
#define PKG_LINE_MAX 65536 /* a line longer than this is not an answer */
#define PKG_PKGBUILD_MAX (256 * 1024)
#define PKG_ITEMS_MAX 5000
#define PKG_TEXT_MAX 512

enum pkg_line_kind {
        PKG_LINE_PROGRESS, /* {"progress":{"done":N,"total":N,"text":"..."}} */
        PKG_LINE_RESULT, /* {"result": R} */
        PKG_LINE_ERROR, /* {"error":"...","errno":N} */
};

struct pkg_line {
        enum pkg_line_kind kind;
        uint32_t done, total; /* progress */
        char text[PKG_TEXT_MAX]; /* progress: its text; error: the sentence */
        int error; /* error: a negative errno */
        json_object *result; /* result: R as sent (owned; check it with the functions below) */
};

/* Parses one line. 0 with *ret written, or -EBADMSG when it is none of the three. Texts have
 * control characters replaced by spaces. */
int pkg_line_parse(const char *line, struct pkg_line *ret);
void pkg_line_done(struct pkg_line *l);

/* A search or list answer R, from the worker of source src: a new array of items, each with
 * name, id, version, summary, source, download_size, installed (the checked fields only). 0,
 * or -EBADMSG (not an array, more than PKG_ITEMS_MAX, or any item not valid). */
int pkg_items_clean(json_object *r, enum pkg_source src, json_object **ret);
/* An install or remove answer: {"name","version"}. 0 or -EBADMSG. */
int pkg_done_clean(json_object *r, enum pkg_source src, json_object **ret);

/* The pieces the checks above are made of, for pkginfo.c. */
/* o's member key when it is of type, else NULL. */
json_object *pkg_json_get(json_object *o, const char *key, json_type type);
/* One search item checked (see pkg_items_clean()). 0 or -EBADMSG. */
int pkg_item_clean(json_object *in, enum pkg_source src, json_object **ret);
/* Copies in's string key (at most max bytes, control characters as spaces) into out. Whether
 * it was there and good (or absent when optional). */
bool pkg_take_text(json_object *in, json_object *out, const char *key, size_t max, bool optional);
/* Copies in's non-negative integer key (0 when absent) into out. Whether it was good. */
bool pkg_take_u64(json_object *in, json_object *out, const char *key);
