/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

/* Device discovery without udev: kernel uevents over netlink, /sys walks, libblkid probes. */

struct uevent {
        char action[16];
        char subsystem[32];
        char devname[64];
        char modalias[256];
};

/* A NETLINK_KOBJECT_UEVENT socket, non-blocking. Returns fd or negative errno. */
int uevent_open(void);
/* Reads one pending event. 1 when one was read, 0 when none is pending, negative errno. */
int uevent_receive(int fd, struct uevent *ret);
/* Parses a raw kernel uevent message (NUL-separated KEY=VALUE after "action@path"), reading
 * only its len bytes: the last KEY=VALUE may end without a NUL. 0, or -EINVAL when it is no
 * kernel message (empty, or a first string without '@'). */
int uevent_parse(const char *buf, size_t len, struct uevent *ret);

/* Calls cb with every modalias found under sysdir (normally "/sys/devices") and its
 * modalias_priority(), in that order, then by name; a negative return of cb stops the walk and
 * is returned. */
int coldplug_modaliases(const char *sysdir, int (*cb)(const char *modalias, int priority, void *userdata),
                        void *userdata);

/* How early the driver of a device with this modalias loads at coldplug, 0 first: virtio
 * disks and NVMe, then other storage controllers (AHCI, SD/eMMC), then USB and input (USB
 * disks, keyboards for the passphrase), then the rest. Pure. */
int modalias_priority(const char *alias);

/* Finds the block device whose tag matches: spec is "UUID=...", "LABEL=...", "PARTUUID=...",
 * "PARTLABEL=..." or a path ("/dev/vda2"). Probes every device in /sys/class/block.
 * Writes the /dev path into ret. 0, -ENOENT when none matches yet, other negative errno. */
int devices_find(const char *spec, char *ret, size_t size);
/* The filesystem type of a device ("crypto_LUKS", "btrfs"), by probing it. */
int devices_probe_type(const char *devpath, char *ret, size_t size);
