/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The keys of /etc/koompi/agent.conf the AUR worker reads, from [packages] (by pkgconf_load(),
 * with its defaults). */
#define AURCONF_DEFAULT_PATH "/etc/koompi/agent.conf"

struct aur_config {
        char *user; /* the network input is read, and makepkg runs, as this user */
        char *aur_url; /* the AUR's base URL: <aur_url>/rpc/ and <aur_url>/<pkgbase>.git */
};

/* Reads path (NULL: the default) over the defaults; a missing file leaves the defaults. 0, or
 * -EINVAL with why (WORKER_WHY_MAX bytes) when the file cannot be read or parsed, aur_url is not
 * an http(s) URL, or user is empty or has a space. *c is written only on success. */
int aurconf_load(struct aur_config *c, const char *path, char *why);
void aurconf_free(struct aur_config *c);
