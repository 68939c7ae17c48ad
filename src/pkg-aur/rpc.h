/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* The AUR's RPC, version 5: the URLs asked and what its answers mean, as pure functions (the
 * answers are network input: every field used is checked here, within what the agent takes). */
#define AUR_VERSION_MAX 64
#define AUR_SUMMARY_MAX 400
#define AUR_MAINTAINER_MAX 64

/* A package name as pacman allows it: letters, digits and @._+-, not starting with - or ., at
 * most 127 bytes. */
bool aur_valid_name(const char *name);
/* "<base>/rpc/?v=5&type=search&arg=TEXT" and "<base>/rpc/?v=5&type=info&arg[]=NAME", the
 * argument percent-encoded; "<base>/<pkgbase>.git". base has no trailing slash. Free them. */
char *aur_search_url(const char *base, const char *text);
char *aur_info_url(const char *base, const char *name);
char *aur_git_url(const char *base, const char *pkgbase);
/* The "results" array of an answer (a new reference; put it). 0; -EBADMSG when the text is not
 * a version 5 answer; -EIO when it is the RPC's own error (its words in why, WORKER_WHY_MAX
 * bytes). */
int aur_parse_answer(const char *text, size_t len, json_object **ret, char *why);
/* Whether a result has a valid Name, Version and PackageBase. */
bool aur_result_valid(json_object *result);
/* One result as the protocol's package (source "aur", the description cut to AUR_SUMMARY_MAX
 * bytes); NULL when its Name, Version or PackageBase is missing or not valid. */
json_object *aur_item(json_object *result);
/* The result as info gives it: the package plus installed_size 0, needs_restart true, and the
 * facts the risk score reads (votes, popularity, maintainer, out_of_date, first_submitted,
 * last_modified); the PKGBUILD is the caller's to add. NULL as aur_item. */
json_object *aur_info(json_object *result);
/* The result of results named name, or NULL. */
json_object *aur_find(json_object *results, const char *name);
/* The result's PackageBase (its git repository's name), or NULL when not valid. */
const char *aur_package_base(json_object *result);
