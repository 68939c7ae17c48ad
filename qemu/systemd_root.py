# SPDX-License-Identifier: LGPL-2.1-or-later
"""A root with real systemd as its init, for the VM test of blessing (systemd-bless).

    tree = debian_tree()          Debian bookworm minbase with systemd and pacman, made with
                                  debootstrap once and cached in build/vm/debian-systemd/
                                  (documentation, translations and apt's lists are left
                                  out of the image: PRUNED)
    img, key = transfer_image()   the tree plus koompi-boot, its mark-good unit and a
                                  test unit, as an ext4 image that the disk builder VM
                                  copies into the encrypted disk (qemu/disk.py, "systemd")

What is added to the tree:
  /usr/bin/koompi-boot                        build/koompi-boot (libraries it needs and the
                                              tree lacks are copied from this host)
  koompi-boot-mark-good.service               boot/, enabled as its [Install] says
  koompi-boot-recover.service                 boot/, the same
  koompi-test-report.service                  after mark-good: prints koompi-boot status
                                              --json on the console, then powers off; with
                                              koompi.test=update (update-in-vm) on a root
                                              not yet updated: koompi-boot update, reboot
  /usr/libexec/koompi-test-release           update-release's phases (release_script.py)
  /etc/fstab                                  the ESP (label KOOMPI-ESP) at /efi, checked by
                                              systemd-fsck@ first (pass 2; dosfstools), /tmp
  /usr/lib/modules/KVER                       the few modules the root loads itself (FAT and
                                              its character sets, for /efi; efivarfs) with
                                              depmod's indexes: the test kernel is the host's
  /etc/machine-id, /etc/hostname              fixed
  /etc/koompi/health.d/required/koompi-test-check   fails with koompi.test=health-fail
  koompi-agent, koompi-health, koompi         build/, with agent.conf, the bus policy and
                                              activation file, the sysusers file, and
                                              koompi-agent.service and koompi-health.service
                                              enabled as their [Install] says; dbus (the
                                              system bus) in the Debian packages

Unavailable (debootstrap missing, the mirror unreachable) raises Unavailable with the
reason; the test is then skipped, never passed.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import disk  # noqa: E402
import release_script  # noqa: E402

SUITE = "bookworm"
# kmod: the root loads the modules it needs itself (the ESP's character sets), as a real
# root does; minbase has libkmod but no modprobe.
# dbus: the system bus koompi-agent serves on.
# pacman-package-manager: `koompi update apply` installs a release's packages with pacman.
# dosfstools: fsck.fat, which systemd-fsck@ runs on the ESP before /efi is mounted (fstab pass 2),
# as on a real installation.
PACKAGES = ["systemd", "systemd-sysv", "udev", "kmod", "dbus", "libbtrfsutil1", "libcryptsetup12", "libefivar1",
            "libcurl4", "libiniparser1", "libkmod2", "libzstd1", "pacman-package-manager", "dosfstools"]
TREE_DIR = os.path.join(disk.VMDIR, "debian-systemd")
TREE = os.path.join(TREE_DIR, "root")
IMAGE = os.path.join(disk.VMDIR, "systemd-root.ext4")
MARK_GOOD_UNIT = os.path.join(disk.ROOT, "boot", "koompi-boot-mark-good.service")
RECOVER_UNIT = os.path.join(disk.ROOT, "boot", "koompi-boot-recover.service")
# The agent's pieces: (file in the source or build tree, place in the root, mode).
AGENT_FILES = [
    ("build/koompi-agent", "usr/lib/koompi/koompi-agent", 0o755),
    ("build/koompi-health", "usr/lib/koompi/koompi-health", 0o755),
    ("build/koompi", "usr/bin/koompi", 0o755),
    ("config/agent.conf", "etc/koompi/agent.conf", 0o644),
    ("config/org.koompi.Agent1.conf", "usr/share/dbus-1/system.d/org.koompi.Agent1.conf", 0o644),
    ("config/org.koompi.Agent1.service", "usr/share/dbus-1/system-services/org.koompi.Agent1.service",
     0o644),
    ("config/koompi-agent.sysusers", "usr/lib/sysusers.d/koompi-agent.conf", 0o644),
    ("boot/koompi-agent.service", "usr/lib/systemd/system/koompi-agent.service", 0o644),
    ("boot/koompi-health.service", "usr/lib/systemd/system/koompi-health.service", 0o644),
]
AGENT_BINARIES = [os.path.join(disk.ROOT, f) for f, _, mode in AGENT_FILES if mode == 0o755]
MACHINE_ID = "6b6f6f6d7069626f6f74746573740001"
ESP_LABEL = "KOOMPI-ESP"  # what disk.make_esp() names the ESP
# What a VM test never reads, left out of the image to keep it small: documentation,
# translations, apt's package lists (pacman's dependencies brought libicu's 30 MiB).
PRUNED = ["usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "var/lib/apt/lists"]
# Units of a minimal Debian that only cost time in a VM test.
MASKED = ["apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer",
          "e2scrub_all.timer", "e2scrub_reap.service", "fstrim.timer",
          "systemd-timesyncd.service", "getty@tty1.service", "serial-getty@ttyS0.service",
          "getty-static.service"]

REPORT_UNIT = """\
# Only for the VM tests: once the boot is blessed (or mark-good gave up), print what
# koompi-boot says on the console, then power off.
[Unit]
Description=KOOMPI VM test report
After=koompi-boot-mark-good.service boot-complete.target
Wants=boot-complete.target

[Service]
Type=oneshot
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
ExecStart=/usr/libexec/koompi-test-report

[Install]
WantedBy=multi-user.target
"""

REPORT_SCRIPT = """\
#!/bin/sh
# koompi-test-report: one console line each for the VM tests, then power off.
# With koompi.test=update on the command line (update-in-vm) and the root not yet updated:
# koompi-boot update with the booted entry's kernel and initramfs, then reboot.
# With koompi.test=powercut:VERB:POINT+MS (tests/vm/powercut.py), once: a student's files in
# /home and their sums, synced; then koompi-boot VERB (update, snapshot create, snapshot delete,
# entries sync, prune, rollback, mark-bad) with the machine reset without a sync at its step
# POINT (or MS later, while the next step writes). The boot after it reports as usual. rollback
# goes back to the booted root from a snapshot made first; mark-bad judges the boot of a root
# updated (and rebooted into) first. With koompi.test=bootcut the
# cut came during an earlier boot (koompi.fault= in koompi-init, or the fault point of
# mark-good.service through systemd.setenv=): this boot reports the same checks.
# With koompi.test=release (update-release): /usr/libexec/koompi-test-release's phases first.
if grep -qw koompi.test=release /proc/cmdline && /usr/libexec/koompi-test-release; then
    exit 0
fi
cut=$(sed -n 's/.*koompi\.test=powercut:\([^ ]*\).*/\\1/p' /proc/cmdline)
verb=${cut%%:*}
if [ -n "$cut" ] && [ ! -e /var/lib/koompi-test/cut ]; then
    ent=$(grep -lw "koompi.test=powercut:$cut" /efi/loader/entries/*.conf | head -n 1)
    k=$(sed -n 's/^linux[[:space:]]*//p' "$ent" | head -n 1)
    i=$(sed -n 's/^initrd[[:space:]]*//p' "$ent" | head -n 1)
fi
# mark-bad judges the running boot: first an update (not cut) and a boot of its new root, with
# the root booted now behind it.
if [ "$verb" = mark-bad ] && [ ! -e /var/lib/koompi-test/prepared ]; then
    mkdir -p /var/lib/koompi-test
    koompi-boot update --run 'touch /etc/koompi-updated' --kernel "/efi$k" --initrd "/efi$i" \\
        >/run/koompi-update.log 2>&1
    printf 'KOOMPI-CUT: prepared: update rc=%s, entries %s\\n' "$?" "$(ls /efi/loader/entries | tr '\\n' ' ')"
    touch /var/lib/koompi-test/prepared
    sync
    systemctl --no-block reboot
    exit 0
fi
if [ -n "$cut" ] && [ ! -e /var/lib/koompi-test/cut ]; then
    mkdir -p /home/student /var/lib/koompi-test
    for n in 1 2 3; do head -c 65536 /dev/urandom >/home/student/work-$n; done
    (cd /home/student && sha256sum work-*) >/var/lib/koompi-test/home.sha256
    echo "$cut" >/var/lib/koompi-test/cut
    sync
    point=${cut#*:}
    point=${point%%+*}
    ms=0
    case $cut in *+*) ms=${cut#*+} ;; esac
    printf 'KOOMPI-CUT: armed verb=%s point=%s delay=%sms\\n' "$verb" "$point" "$ms"
    export KOOMPI_FAULT_POINT=$point KOOMPI_FAULT_ACTION=power-cut KOOMPI_FAULT_DELAY_MS=$ms
    case $verb in
    update) koompi-boot update --run 'touch /etc/koompi-updated' --kernel "/efi$k" --initrd "/efi$i" ;;
    snapshot) koompi-boot snapshot create --kernel "/efi$k" --initrd "/efi$i" ;;
    delete) koompi-boot snapshot delete --kernel "/efi$k" --initrd "/efi$i" @root-2024-12-01 ;;
    sync) koompi-boot entries sync --kernel "/efi$k" --initrd "/efi$i" ;;
    prune) koompi-boot prune --keep 2 --kernel "/efi$k" --initrd "/efi$i" ;;
    rollback)
        # A newer root to go back from (not cut), then the rollback to the booted one; the
        # kernel for the entries it writes, as the other verbs are given it (the test's roots
        # carry none), is what recovery finishes it with too.
        KOOMPI_FAULT_POINT= koompi-boot snapshot create --kernel "/efi$k" --initrd "/efi$i" \\
            >/run/koompi-snapshot.log 2>&1
        printf 'KOOMPI-CUT: prepared: snapshot rc=%s, entries %s\\n' "$?" "$(ls /efi/loader/entries | tr '\\n' ' ')"
        koompi-boot rollback --kernel "/efi$k" --initrd "/efi$i" @root-systemd ;;
    mark-bad) koompi-boot mark-bad --reason 'the power cut test' ;;
    esac
    printf 'KOOMPI-CUT: the %s ended before the cut: rc=%s\\n' "$verb" "$?"
    sleep 60
    systemctl --no-block reboot
    exit 0
fi
if grep -qw koompi.test=update /proc/cmdline && [ ! -e /etc/koompi-updated ]; then
    ent=$(grep -lw koompi.test=update /efi/loader/entries/*.conf | head -n 1)
    k=$(sed -n 's/^linux[[:space:]]*//p' "$ent" | head -n 1)
    i=$(sed -n 's/^initrd[[:space:]]*//p' "$ent" | head -n 1)
    printf 'KOOMPI-UPDATE: entry=%s linux=%s initrd=%s\\n' "$ent" "$k" "$i"
    koompi-boot update --run 'touch /etc/koompi-updated' --kernel "/efi$k" --initrd "/efi$i" \\
        >/run/koompi-update.log 2>&1
    rc=$?
    sed 's/^/KOOMPI-UPDATE: /' /run/koompi-update.log
    printf 'KOOMPI-UPDATE: done rc=%s entries %s\\n' "$rc" "$(ls /efi/loader/entries | tr '\\n' ' ')"
    sync
    systemctl --no-block reboot
    exit 0
fi
out=$(koompi-boot status --json 2>/run/koompi-test-status.err)
rc=$?
printf 'KOOMPI-STATUS rc=%s esp=%s %s\\n' "$rc" "$(findmnt -n -o TARGET /efi || echo none)" \\
    "$(printf '%s' "$out" | tr -d '\\n')"
[ -s /run/koompi-test-status.err ] && sed 's/^/KOOMPI-STATUS-ERR: /' /run/koompi-test-status.err
printf 'KOOMPI-REPORT: mark-good=%s result=%s\\n' \\
    "$(systemctl is-active koompi-boot-mark-good.service)" \\
    "$(systemctl show -P Result koompi-boot-mark-good.service)"
printf 'KOOMPI-REPORT: updated=%s\\n' "$([ -e /etc/koompi-updated ] && echo yes || echo no)"
printf 'KOOMPI-REPORT: boot-complete=%s\\n' "$(systemctl is-active boot-complete.target)"
printf 'KOOMPI-REPORT: entries %s\\n' "$(ls /efi/loader/entries 2>&1 | tr '\\n' ' ')"
# The ESP's check before it was mounted (systemd-fsck@, fstab pass 2), what fsck.fat said and
# fixed, how /efi is mounted now, and what the kernel said of a FAT.
systemctl list-units --all --plain --no-legend 'systemd-fsck@*' 2>&1 | sed 's/^/KOOMPI-REPORT: fsck-unit /'
journalctl -b -o cat -u 'systemd-fsck@*' --no-pager 2>&1 | sed 's/^/KOOMPI-REPORT: fsck-log /'
printf 'KOOMPI-REPORT: esp-mount %s\\n' "$(findmnt -n -o OPTIONS /efi)"
journalctl -b -k -o cat --no-pager 2>/dev/null | grep 'FAT-fs' | sed 's/^/KOOMPI-REPORT: kernel /'
printf 'KOOMPI-REPORT: health=%s result=%s\\n' "$(systemctl is-active koompi-health.service)" \\
    "$(systemctl show -P Result koompi-health.service)"
journalctl -b -o cat -u koompi-health.service --no-pager 2>&1 | sed 's/^/KOOMPI-REPORT: health-log /'
busctl introspect org.koompi.Agent1 /org/koompi/Agent1 2>&1 | sed 's/^/KOOMPI-AGENT: /'
printf 'KOOMPI-AGENT: health %s\\n' "$(koompi --json health 2>&1 | tr -d '\\n')"
# The agent's own run and status, from inside its sandbox (the unit's ProtectSystem= etc.).
printf 'KOOMPI-AGENT: run %s\\n' "$(koompi --json health run 2>&1 | tr -d '\\n')"
printf 'KOOMPI-AGENT: status %s\\n' "$(koompi --json status 2>&1 | tr -d '\\n')"
printf 'KOOMPI-AGENT: active=%s\\n' "$(systemctl is-active koompi-agent.service)"
journalctl -b -o cat -u koompi-boot-mark-good.service --no-pager 2>&1 | sed 's/^/KOOMPI-REPORT: mark-good-log /'
if [ -e /var/lib/koompi-test/cut ] || grep -qw koompi.test=bootcut /proc/cmdline; then
    if [ -e /var/lib/koompi-test/home.sha256 ]; then
        home=$(cd /home/student && sha256sum -c --quiet /var/lib/koompi-test/home.sha256 >/dev/null 2>&1 && echo same || echo changed)
    else
        home=$([ "$(cat /home/koompi-home-marker 2>/dev/null)" = koompi-home ] && echo same || echo changed)
    fi
    printf 'KOOMPI-CUT: home=%s\\n' "$home"
    printf 'KOOMPI-CUT: recover-unit=%s condition=%s\\n' "$(systemctl show -P Result koompi-boot-recover.service)" \\
        "$(systemctl show -P ConditionResult koompi-boot-recover.service)"
    journalctl -b -o cat -u koompi-boot-recover.service --no-pager 2>&1 | sed 's/^/KOOMPI-CUT: recover-log /'
    printf 'KOOMPI-CUT: recover-again %s\\n' "$(koompi-boot recover 2>&1 | tr '\\n' ' ')"
    printf 'KOOMPI-CUT: ledger %s\\n' "$(koompi-boot history -n 3 2>&1 | tr '\\n' '|')"
fi
printf 'KOOMPI-REPORT: done\\n'
systemctl --no-block poweroff
"""

# A required health check for the VM tests: it fails when the kernel command line has
# koompi.test=health-fail (agent-health-fails), and passes otherwise.
FAILING_CHECK = """\
#!/bin/sh
if grep -qw koompi.test=health-fail /proc/cmdline; then
    echo "the VM test asked this check to fail"
    exit 1
fi
exit 0
"""

FSTAB = f"""\
# The VM test's ESP (made by qemu/disk.py) and a writable /tmp; / is a read-only snapshot.
# Under TCG on a loaded host udev may take most of a minute to name the ESP: wait longer than
# systemd's default 90 s before giving up on it. Pass 2, as genfstab writes for an ESP:
# systemd-fsck@ runs `fsck.fat -a` on it before it is mounted, so a FAT a power cut left
# inconsistent is mended before the kernel finds the error and makes /efi read-only.
LABEL={ESP_LABEL} /efi vfat umask=0077,x-systemd.device-timeout=300s 0 2
tmpfs /tmp tmpfs mode=1777,nosuid,nodev 0 0
"""


class Unavailable(Exception):
    """The root cannot be made on this machine; the message says why."""


def log(msg):
    print(f"systemd-root: {msg}", file=sys.stderr, flush=True)


def mirror():
    """The Debian mirror: $KOOMPI_DEBIAN_MIRROR, else the first one apt uses for bookworm."""
    env = os.environ.get("KOOMPI_DEBIAN_MIRROR")
    if env:
        return env
    for path in sorted(os.listdir("/etc/apt/sources.list.d")) if os.path.isdir(
            "/etc/apt/sources.list.d") else []:
        if not path.endswith(".sources"):
            continue
        text = open(os.path.join("/etc/apt/sources.list.d", path)).read()
        for stanza in text.split("\n\n"):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.*)$", stanza, re.M)
            if uris and suites and SUITE in suites.group(1).split():
                return uris.group(1)
    if os.path.exists("/etc/apt/sources.list"):
        for line in open("/etc/apt/sources.list"):
            m = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+" + SUITE + r"\s", line)
            if m:
                return m.group(1)
    return "http://deb.debian.org/debian"


def _tree_key():
    # The mirror is not part of it: any bookworm mirror gives the same root.
    return f"debootstrap --variant=minbase --include={','.join(PACKAGES)} {SUITE}"


def debian_tree():
    """The cached debootstrap tree, made when missing or made with other inputs. A failed
    attempt leaves the cache as it was."""
    stamp = os.path.join(TREE_DIR, "stamp")
    with disk._Lock(os.path.join(disk.VMDIR, ".debian-systemd.lock")):
        key = _tree_key()
        if os.path.isdir(TREE) and os.path.exists(stamp) and open(stamp).read().strip() == key:
            return TREE
        tool = shutil.which("debootstrap", path="/usr/sbin:/usr/bin:/sbin:/bin")
        if not tool:
            raise Unavailable("debootstrap is not installed (apt-get install debootstrap)")
        if os.geteuid() != 0:
            raise Unavailable("debootstrap needs root")
        new = TREE_DIR + ".new"
        shutil.rmtree(new, ignore_errors=True)
        os.makedirs(new)
        tmp = os.path.join(new, "root")
        t0 = time.monotonic()
        log(f"{key} {mirror()} (once; cached in {os.path.relpath(TREE_DIR, disk.ROOT)})")
        cmd = [tool, "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, tmp, mirror()]
        logf = os.path.join(disk.VMDIR, "debootstrap.log")
        with open(logf, "w") as f:
            try:
                r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=1200)
            except subprocess.TimeoutExpired:
                shutil.rmtree(new, ignore_errors=True)
                raise Unavailable(f"debootstrap took more than 20 minutes (log: {logf})")
        if r.returncode != 0:
            tail = open(logf, errors="replace").read().strip().split("\n")[-4:]
            shutil.rmtree(new, ignore_errors=True)
            raise Unavailable(f"debootstrap from {mirror()} failed (status {r.returncode}; "
                              f"{os.path.relpath(logf, disk.ROOT)}): " + " | ".join(tail))
        # What apt downloaded is not needed in the root.
        shutil.rmtree(os.path.join(tmp, "var/cache/apt/archives"), ignore_errors=True)
        os.makedirs(os.path.join(tmp, "var/cache/apt/archives/partial"), exist_ok=True)
        with open(os.path.join(new, "stamp"), "w") as f:
            f.write(key + "\n")
        shutil.rmtree(TREE_DIR, ignore_errors=True)
        os.rename(new, TREE_DIR)
        log(f"debootstrap done in {time.monotonic() - t0:.1f} s")
        return TREE


def _write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def _symlink(target, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink(target, path)


def _install_targets(unit_text):
    """The .wants/.requires directories an [Install] section puts the unit in."""
    out = []
    section = None
    for line in unit_text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Install]" and "=" in line:
            k, v = (x.strip() for x in line.split("=", 1))
            if k == "WantedBy":
                out += [f"{t}.wants" for t in v.split()]
            elif k == "RequiredBy":
                out += [f"{t}.requires" for t in v.split()]
    return out


def _lib_present(tree, soname):
    for d in ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu", "usr/lib", "lib", "usr/lib64",
              "lib64"):
        if os.path.lexists(os.path.join(tree, d, soname)):
            return True
    return False


KMOD_DIRS = ["kernel/fs/fat", "kernel/fs/nls", "kernel/fs/efivarfs"]
KMOD_FILES = ["modules.order", "modules.builtin", "modules.builtin.modinfo"]


def _modules(tree):
    src = f"/lib/modules/{disk.KVER}"
    dst = os.path.join(tree, "usr/lib/modules", disk.KVER)
    shutil.rmtree(dst, ignore_errors=True)
    for d in KMOD_DIRS:
        if os.path.isdir(os.path.join(src, d)):
            shutil.copytree(os.path.join(src, d), os.path.join(dst, d))
    for f in KMOD_FILES:
        if os.path.exists(os.path.join(src, f)):
            shutil.copy2(os.path.join(src, f), os.path.join(dst, f))
    disk._run([disk.tool("depmod"), "-b", tree, disk.KVER])


def _overlay(tree):
    """Puts what the test adds into the tree (idempotent). Returns notes."""
    notes = []
    if not os.access(disk.KOOMPI_BOOT, os.X_OK):
        raise disk.BuildError(f"{disk.KOOMPI_BOOT} is missing; run make")
    shutil.copy2(disk.KOOMPI_BOOT, os.path.join(tree, "usr/bin/koompi-boot"))
    for lib in disk.library_closure(disk.KOOMPI_BOOT):
        name = os.path.basename(lib)
        if not _lib_present(tree, name):
            dest = os.path.join(tree, "usr/lib/x86_64-linux-gnu", name)
            shutil.copy2(os.path.realpath(lib), dest)
            notes.append(f"copied {lib} from the host")
    unitdir = os.path.join(tree, "usr/lib/systemd/system")
    for path in (MARK_GOOD_UNIT, RECOVER_UNIT):
        unit = open(path).read()
        name = os.path.basename(path)
        _write(os.path.join(unitdir, name), unit)
        targets = _install_targets(unit)
        if not targets:
            raise disk.BuildError(f"{path} has no WantedBy=/RequiredBy= to enable it by")
        for t in targets:
            _symlink(f"/usr/lib/systemd/system/{name}", os.path.join(tree, "etc/systemd/system", t, name))
    notes += _agent(tree)
    _write(os.path.join(unitdir, "koompi-test-report.service"), REPORT_UNIT)
    _symlink("/usr/lib/systemd/system/koompi-test-report.service",
             os.path.join(tree, "etc/systemd/system/multi-user.target.wants/koompi-test-report.service"))
    _write(os.path.join(tree, "usr/libexec/koompi-test-report"), REPORT_SCRIPT, 0o755)
    _write(os.path.join(tree, "usr/libexec/koompi-test-release"), release_script.SCRIPT, 0o755)
    for u in MASKED:
        _symlink("/dev/null", os.path.join(tree, "etc/systemd/system", u))
    _write(os.path.join(tree, "etc/fstab"), FSTAB)
    _write(os.path.join(tree, "etc/machine-id"), MACHINE_ID + "\n", 0o444)
    _write(os.path.join(tree, "etc/hostname"), "koompi-systemd\n")
    _modules(tree)
    for d in ("efi", "home", "var", "tmp"):
        os.makedirs(os.path.join(tree, d), exist_ok=True)
    for d in PRUNED:
        shutil.rmtree(os.path.join(tree, d), ignore_errors=True)
    return notes


def _agent(tree):
    """koompi-agent, koompi-health and koompi with their files; the units enabled. Notes."""
    notes = []
    for src, dst, mode in AGENT_FILES:
        path = os.path.join(disk.ROOT, src)
        if not os.path.exists(path):
            raise disk.BuildError(f"{path} is missing; run make")
        os.makedirs(os.path.dirname(os.path.join(tree, dst)), exist_ok=True)
        shutil.copy2(path, os.path.join(tree, dst))
        os.chmod(os.path.join(tree, dst), mode)
    for binary in AGENT_BINARIES:
        for lib in disk.library_closure(binary):
            name = os.path.basename(lib)
            if not _lib_present(tree, name):
                shutil.copy2(os.path.realpath(lib), os.path.join(tree, "usr/lib/x86_64-linux-gnu", name))
                notes.append(f"copied {lib} from the host")
    for unit in ("koompi-agent.service", "koompi-health.service"):
        text = open(os.path.join(disk.ROOT, "boot", unit)).read()
        for t in _install_targets(text):
            _symlink(f"/usr/lib/systemd/system/{unit}", os.path.join(tree, "etc/systemd/system", t, unit))
    for d in ("required", "wanted"):
        os.makedirs(os.path.join(tree, "etc/koompi/health.d", d), exist_ok=True)
    _write(os.path.join(tree, "etc/koompi/health.d/required/koompi-test-check"), FAILING_CHECK, 0o755)
    return notes


def _hash_tree_inputs():
    h = hashlib.sha256()
    h.update(disk.KVER.encode() + b"\0")
    for p in [disk.KOOMPI_BOOT, MARK_GOOD_UNIT, RECOVER_UNIT, os.path.abspath(__file__),
              os.path.abspath(release_script.__file__)] + \
            [os.path.join(disk.ROOT, f) for f, _, _ in AGENT_FILES]:
        h.update(p.encode() + b"\0")
        with open(p, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def transfer_image():
    """(path, key) of the ext4 image holding the root, made when its inputs changed."""
    tree = debian_tree()
    stamp = IMAGE + ".stamp"
    with disk._Lock(os.path.join(disk.VMDIR, ".systemd-root.lock")):
        key = hashlib.sha256((_tree_key() + "\n" + _hash_tree_inputs()).encode()).hexdigest()
        if os.path.exists(IMAGE) and os.path.exists(stamp) and open(stamp).read().strip() == key:
            return IMAGE, key
        t0 = time.monotonic()
        for n in _overlay(tree):
            log(n)
        used = int(subprocess.run(["du", "-sm", "--apparent-size", tree], check=True,
                                  stdout=subprocess.PIPE, text=True).stdout.split()[0])
        size = used * 3 // 2 + 64
        tmp = IMAGE + ".tmp"
        if os.path.exists(tmp):
            os.unlink(tmp)
        mkfs = disk.tool("mkfs.ext4")
        disk._run([mkfs, "-q", "-F", "-L", "koompi-xfer", "-O", "^has_journal", "-d", tree, tmp,
                   f"{size}M"])
        os.replace(tmp, IMAGE)
        with open(stamp, "w") as f:
            f.write(key + "\n")
        log(f"transfer image {os.path.relpath(IMAGE, disk.ROOT)} ({used} MiB of files) made in "
            f"{time.monotonic() - t0:.1f} s")
        return IMAGE, key


if __name__ == "__main__":
    try:
        print(transfer_image())
    except Unavailable as e:
        print(f"unavailable: {e}", file=sys.stderr)
        sys.exit(1)
