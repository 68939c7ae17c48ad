/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <flatpak.h>
#include <json-c/json.h>
#include <stdint.h>

/* The Flatpak source over libflatpak, on one installation (the system one: FLATPAK_SYSTEM_DIR
 * and FLATPAK_CONFIG_DIR move it, as libflatpak reads them). Apps only, of the machine's default
 * architecture. Every function returns 0 with its answer in *ret (the protocol's objects), or a
 * negative errno with a sentence in why (WORKER_WHY_MAX bytes): -EINVAL for a name that cannot be
 * an app id, -ENOENT for an app no remote has (or that is not installed, for remove), -EEXIST
 * for an app already installed, -ENOSPC when the installation's disk is full, -EIO when a remote
 * could not be read or another step failed. */
typedef void (*fpk_progress_fn)(uint64_t done, uint64_t total, const char *text, void *userdata);

struct fpk_ops {
        fpk_progress_fn progress; /* may be NULL */
        void *userdata;
};

/* Every app of every enabled remote whose id holds text (without case): the installation's remotes
 * that could be read; -EIO only when none could. */
int fpk_search(FlatpakInstallation *inst, const char *text, json_object **ret, char *why);
/* The app named by its id (org.example.App) in the first remote that has it, with its sizes and
 * its metadata's [Context] permissions as facts. */
int fpk_info(FlatpakInstallation *inst, const char *name, json_object **ret, char *why);
/* The installed apps. */
int fpk_list(FlatpakInstallation *inst, json_object **ret, char *why);
/* Installs the app with its runtime, non-interactively. On failure every ref the attempt added
 * is uninstalled again, so the installation is as it was. */
int fpk_install(FlatpakInstallation *inst, const char *name, const struct fpk_ops *ops, json_object **ret,
                char *why);
/* Uninstalls the app (its runtime stays, as other apps may use it). */
int fpk_remove(FlatpakInstallation *inst, const char *name, const struct fpk_ops *ops, json_object **ret,
               char *why);

/* Shared by the query and the transaction halves. */
int fpk_errno(const GError *e);
int fpk_check_name(const char *name, char *why);
/* The first remote (in the installation's order) with the app: its name and ref (free both), or
 * -ENOENT or -EIO as above. */
int fpk_find_remote_app(FlatpakInstallation *inst, const char *name, char **ret_remote,
                        FlatpakRemoteRef **ret_ref, char *why);
/* The app's installed ref, or NULL. */
FlatpakInstalledRef *fpk_installed_app(FlatpakInstallation *inst, const char *name);
