# SPDX-License-Identifier: LGPL-2.1-or-later
"""What fsck.fat says of the ESP, read the same way on the host (powercut.py's `fsck.fat -n` of
the ESP as a cut left it) and in the guest (systemd-fsck@ on it before /efi is mounted: fstab
pass 2, as on an installation; the report unit prints its unit, its log, the mount's options and
the kernel's FAT-fs lines as `KOOMPI-REPORT: fsck-unit|fsck-log|esp-mount|kernel` lines)."""
import re

# What fsck.fat says of a file system that was only not unmounted (a cut always leaves that).
FSCK_CLEAN = re.compile(r"fsck\.fat |Dirty bit is set|Automatically removing dirty bit|Leaving filesystem "
                        r"unchanged|^\S+: \d+ files, |Reclaimed \d+ unused clusters? \(|^\s*$")
# systemd's own lines about the check (its unit starting and finishing, its summary), and
# fsck.fat writing what it changed (with nothing else said: the dirty bit's removal).
FSCK_UNIT = re.compile(r"^(Starting|Started|Finished|Stopped|Stopping) |File System Check|"
                       r"errors corrected|^Performing changes\.$|^\*\*\* Filesystem was changed \*\*\*$|"
                       r"^Writing changes\.$")
# The kernel mounting a FAT whose dirty bit is set (koompi-init mounts the ESP for its prompt
# marker before systemd-fsck@ runs): what every cut leaves, not an error.
KERNEL_DIRTY = re.compile(r"Volume was not properly unmounted")


def boot_fsck(report):
    """What the report of a boot says of the ESP's check: a dict with `unit` (the
    systemd-fsck@ unit's line naming the ESP's label, or None), `checked` (that unit succeeded
    and fsck.fat itself ran: without it systemd-fsck only says it is missing), `fixed` (what
    fsck.fat changed besides the dirty bit), `dirty` (it found the dirty bit set), `kernel` (the
    kernel's FAT-fs lines but for a dirty volume mounted) and `mount` (/efi's mount options)."""
    units = re.findall(r"KOOMPI-REPORT: fsck-unit ([^\n]*)", report)
    unit = next((u for u in units if "KOOMPI" in u), None)
    fields = unit.split() if unit else []
    logs = re.findall(r"KOOMPI-REPORT: fsck-log ([^\n]*)", report)
    m = re.search(r"KOOMPI-REPORT: esp-mount ([^\n]*)", report)
    return {
        "unit": unit,
        "checked": len(fields) >= 4 and fields[2:4] == ["active", "exited"]
        and any(re.search(r"fsck\.fat \d|^\S+: \d+ files, ", ln) for ln in logs),
        "fixed": [ln.strip() for ln in logs if not FSCK_CLEAN.search(ln) and not FSCK_UNIT.search(ln)],
        "dirty": any("Dirty bit is set" in ln for ln in logs),
        "kernel": [ln for ln in re.findall(r"KOOMPI-REPORT: kernel ([^\n]*)", report)
                   if not KERNEL_DIRTY.search(ln)],
        "mount": m.group(1).strip() if m else None,
    }


def fsck_notes(f):
    """One line each for what a boot's check of the ESP fixed, what the kernel said of a FAT
    besides its dirty bit, and /efi mounted read-only."""
    notes = []
    if f["fixed"]:
        notes.append("systemd-fsck repaired the ESP at boot (fsck.fat -a): " + "; ".join(f["fixed"]))
    if f["kernel"]:
        notes.append("the kernel on a FAT: " + "; ".join(f["kernel"]))
    if f["mount"] and f["mount"].split(",")[0] == "ro":
        notes.append(f"/efi is mounted read-only: {f['mount']}")
    return notes
