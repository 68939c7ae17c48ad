#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""make bench: koompi-init side by side with a busybox script, initramfs-tools and dracut.

    python3 qemu/bench.py                   everything (about 20-30 minutes under TCG)
    python3 qemu/bench.py --runs 1          one build and one boot of each image (quick look)
    python3 qemu/bench.py --only koompi,dracut
    python3 qemu/bench.py --report          redo results.md and results.png from results.json
    python3 qemu/bench.py --admin-only      only the koompi-boot figures (100 roots), into
                                            results.json and results.md

Every image is built for the same kernel (qemu/disk.py's KVER) and boots the
same LUKS2 + Btrfs test disk (qemu/disk.py: a copy-on-write overlay per image,
booted once untimed; each timed boot on a fresh overlay of that, so the timed
boots are those of a machine that has booted before) in the same QEMU (TCG, one
vCPU, direct -kernel/-initrd/-append).
The volume is unlocked by its key file (LUKS keyslot 1, keyslot 0 holding the
passphrase) in every image, so each key derivation costs the same for all; the
others try keyslot 0 first on every boot, koompi-init the keyslot that opened
the volume last time (one derivation instead of two):

  koompi           koompi-mkinitramfs, default settings (config/boot.conf), the key
                   file included, rd.luks.key= on the command line
  busybox-script   qemu/bench/busybox-init.sh as /init, built with koompi-mkinitramfs
                   --init (the same modules) and --include /usr/sbin/cryptsetup
  initramfs-tools  Debian's mkinitramfs, MODULES=most, COMPRESS=zstd, with
                   cryptsetup-initramfs: a crypttab entry with the initramfs option and
                   KEYFILE_PATTERN matching the key file (both bind-mounted over the
                   host's files in a private mount namespace, so the host is untouched)
  dracut           dracut --hostonly with its crypt and btrfs modules, --zstd, the key
                   file --include'd, rd.luks.key=

Figures, each the median of --runs runs (default 5) with min and max:
image size (compressed, as booted), build time (wall, warm caches: one untimed
build first; for koompi also cold: caches dropped before each build), and the
time from kernel start to the exec of the real init (CLOCK_BOOTTIME printed by
the test root's init as its first action). Boots run one at a time, the images
taking turns, so a noisy spell of the machine spreads over all of them.

Every boot also asks the kernel to log each exec and each module load
(tp_printk trace events, the same command line for every image) and the test
root prints the kernel log (testroot.run=/bin/dmesg) after its report; that
gives the initramfs userspace phase (exec of /init to exec of /sbin/init) and,
for koompi, its own overhead (see overhead() below).

koompi-boot's own figures come from tests/host/bench-admin.sh --json (as root,
100 roots on a Btrfs in a loop file): status latency, and the update
transaction's cost apart from its command and the initramfs build, with roots
carrying no kernel and with roots each carrying a 12 MiB kernel and a 30 MiB
image; then the initramfs build of an update, with roots carrying this machine's
modules: cold, after one carried module changed, and warm.

Results: build/bench/results.json, results.md (with ratios ours / peer) and
results.png; consoles and images under build/bench/.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import disk  # noqa: E402
from vm import VM, Disk, Firmware, VMError, qcow2_overlay, timeout_scale  # noqa: E402

ROOT = disk.ROOT
OUT = os.path.join(disk.BUILD, "bench")
BOOT_CONF = os.path.join(ROOT, "config", "boot.conf")
BUSYBOX_INIT = os.path.join(HERE, "bench", "busybox-init.sh")
KVER = disk.KVER
KEY_IN_IMAGE = disk.KEYFILE_IN_IMAGE

BENCH_PACKAGES = ["initramfs-tools", "cryptsetup-initramfs", "dracut-core", "gnuplot-nox", "zstd",
                  "util-linux"]

IMAGES = ["koompi", "busybox-script", "initramfs-tools", "dracut"]
PEERS = ["busybox-script", "initramfs-tools", "dracut"]

# The same for every image: quiet like an installed system, and the kernel log
# records every exec and module load (into the log buffer only, not the console).
TRACE = ("log_buf_len=4M tp_printk trace_event=sched:sched_process_exec,module:module_load,"
         "syscalls:sys_enter_finit_module,syscalls:sys_exit_finit_module")
COMMON = f"console=ttyS0,115200 panic=-1 no_timer_check quiet {TRACE} testroot.run=/bin/dmesg"

# The modules the busybox script loads (the image carries koompi's default set).
BUSYBOX_MODULES = "virtio_pci virtio_blk dm_crypt btrfs xts algif_skcipher aesni_intel"

START = r"KOOMPI-TESTROOT: start boottime_ms=(\d+)"
FATAL = [r"Kernel panic - not syncing[^\n]*", r"\(initramfs\) ", r"busybox-init: FAILED[^\n]*",
         r"koompi-init: BOOT FAILED[^\n]*", r"[^\n]*[Ee]mergency (mode|shell)[^\n]*",
         r"Give root password for maintenance[^\n]*", r"[^\n]*passphrase[^\n]*: $"]
T_BOOT = 300
T_DONE = 180

NOT_MEASURED = "not measured: tests/host/bench-admin.sh did not run"
NOT_DERIVED = "not measured: the debug boot of koompi did not run or failed"
BENCH_ADMIN = os.path.join("tests", "host", "bench-admin.sh")
KOOMPI_BOOT = os.path.join("build", "koompi-boot")
T_ADMIN = 1800
# bench-admin.sh's JSON keys (seconds) and what they measure, with 100 roots.
ADMIN_FIGURES = [
    ("status_100_roots_s", "koompi-boot status, median of 20 runs"),
    ("status_json_100_roots_s", "koompi-boot --json status, median of 20 runs"),
    ("update_transaction_100_roots_s",
     "update --run true, the transaction's own cost (roots carrying no kernel), median of 5"),
    ("update_wall_100_roots_s", "the same, wall time of the whole command"),
    ("update_transaction_100_kernel_roots_s",
     "update --run true, roots each carrying a 12 MiB kernel and a 30 MiB image, median of 3"),
    ("update_wall_100_kernel_roots_s", "the same, wall time (with the initramfs build)"),
    ("mkinitramfs_cold_s", "koompi-mkinitramfs, config/boot.conf, no cache (a kernel upgrade), median of 3"),
    ("mkinitramfs_cold_cpu_s", "the same, CPU time (what the load of a shared machine changes least)"),
    ("mkinitramfs_warm_s", "koompi-mkinitramfs, cached host files, median of 5"),
    ("update_cold_initramfs_s", "update --run true, roots carrying modules: the initramfs build, empty cache"),
    ("update_cold_transaction_s", "the same, the transaction's own cost"),
    ("update_cold_cpu_s", "the same, CPU time of the whole update"),
    ("update_changed_initramfs_s", "update changing one carried module: the initramfs build"),
    ("update_changed_transaction_s", "the same, the transaction's own cost"),
    ("update_changed_cpu_s", "the same, CPU time of the whole update"),
    ("update_warm_initramfs_s", "update --run true, nothing carried changed: the initramfs build"),
    ("update_warm_transaction_s", "the same, the transaction's own cost"),
]
LOADAVG = {}


def say(msg):
    print(f"bench: {msg}", flush=True)


class BenchError(Exception):
    pass


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} failed (status {r.returncode}):\n{r.stdout[-4000:]}")
    return r.stdout


# ---- bench-deps ----------------------------------------------------------------------

def bench_deps():
    """Installs the peers and gnuplot when missing (they are not needed by make check)."""
    missing = []
    for p in BENCH_PACKAGES:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        if "install ok installed" not in r.stdout:
            missing.append(p)
    if not missing:
        return
    say(f"bench-deps: installing {' '.join(missing)}")
    if os.geteuid() != 0:
        raise BenchError(f"these Debian packages are missing and installing them needs root: "
                         f"{' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
                   env=env, check=True)


# ---- the images ------------------------------------------------------------------------

def stats(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    r = lambda v: round(v, 4) if isinstance(v, float) else v  # noqa: E731
    return {"median": r(statistics.median(vals)), "min": r(min(vals)), "max": r(max(vals)),
            "n": len(vals), "runs": [r(v) for v in vals]}


class Image:
    name = ""
    doc = ""
    cmdline = ""

    def __init__(self, work):
        self.work = os.path.join(work, self.name)
        os.makedirs(self.work, exist_ok=True)
        self.path = os.path.join(self.work, "initramfs.img")
        self.notes = []

    def prepare(self):
        """Writes the configuration the builds need (untimed)."""

    def build_cmd(self, output):
        raise NotImplementedError

    def build(self, output=None):
        """One build; returns the wall time in seconds."""
        output = output or self.path
        cmd, env = self.build_cmd(output)
        t = time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=env)
        dt = time.monotonic() - t
        with open(os.path.join(self.work, "build.log"), "w") as f:
            f.write(" ".join(cmd) + "\n" + r.stdout)
        if r.returncode != 0 or not os.path.exists(output):
            raise BenchError(f"building {self.name} failed (status {r.returncode}):\n"
                             f"  {' '.join(cmd)}\n{r.stdout[-3000:]}")
        return dt


class Koompi(Image):
    name = "koompi"
    doc = "koompi-mkinitramfs, default settings, key file included, rd.luks.key="
    cmdline = disk.kernel_cmdline(extra=f"rd.luks.key={KEY_IN_IMAGE}")

    def build_cmd(self, output):
        if not os.access(disk.MKINITRAMFS, os.X_OK):
            raise BenchError(f"{disk.MKINITRAMFS} is missing (run make)")
        return ([disk.MKINITRAMFS, "--kernel", KVER, "--output", output, "--config", BOOT_CONF,
                 "--include", f"{disk.keyfile()}:{KEY_IN_IMAGE}"], None)


class BusyboxScript(Image):
    name = "busybox-script"
    doc = ("qemu/bench/busybox-init.sh as /init (busybox + the cryptsetup binary), "
           "built by koompi-mkinitramfs --init with the same modules")
    cmdline = disk.kernel_cmdline()

    def prepare(self):
        self.env = os.path.join(self.work, "bench.env")
        with open(self.env, "w") as f:
            f.write(f"LUKS_UUID={disk.LUKS_UUID}\nLUKS_NAME={disk.LUKS_NAME}\n"
                    f"KEYFILE={KEY_IN_IMAGE}\nSNAPSHOT={disk.SNAPSHOT_CURRENT}\n"
                    f"HOME_SUBVOL={disk.SUBVOL_HOME}\nVAR_SUBVOL={disk.SUBVOL_VAR}\n"
                    f"MODULES='{BUSYBOX_MODULES}'\n")

    def build_cmd(self, output):
        if not os.access(disk.MKINITRAMFS, os.X_OK):
            raise BenchError(f"{disk.MKINITRAMFS} is missing (run make)")
        return ([disk.MKINITRAMFS, "--kernel", KVER, "--output", output, "--config", BOOT_CONF,
                 "--init", BUSYBOX_INIT, "--include", disk.tool("cryptsetup"),
                 "--include", f"{disk.keyfile()}:{KEY_IN_IMAGE}",
                 "--include", f"{self.env}:/etc/bench.env"], None)


class InitramfsTools(Image):
    name = "initramfs-tools"
    doc = ("Debian mkinitramfs, MODULES=most, COMPRESS=zstd, cryptsetup-initramfs with a "
           "crypttab entry (initramfs option) and KEYFILE_PATTERN for the key file")
    cmdline = (f"root=UUID={disk.FS_UUID} rootflags=subvol={disk.SNAPSHOT_CURRENT} "
               f"rootfstype=btrfs ro")

    def prepare(self):
        for f in ("/etc/crypttab", "/etc/cryptsetup-initramfs/conf-hook"):
            if not os.path.exists(f):
                raise BenchError(f"{f} is missing: cryptsetup-initramfs is not installed properly")
        self.conf = os.path.join(self.work, "confdir")
        shutil.rmtree(self.conf, ignore_errors=True)
        shutil.copytree("/etc/initramfs-tools", self.conf, symlinks=True)
        with open(os.path.join(self.conf, "initramfs.conf")) as f:
            text = f.read()
        text = re.sub(r"(?m)^MODULES=.*$", "MODULES=most", text)
        text = re.sub(r"(?m)^COMPRESS=.*$", "COMPRESS=zstd", text)
        with open(os.path.join(self.conf, "initramfs.conf"), "w") as f:
            f.write(text)
        with open(os.path.join(self.conf, "modules"), "a") as f:
            f.write("virtio_pci\nvirtio_blk\ndm-crypt\nbtrfs\n")
        keydir = os.path.join(self.work, "keys")
        os.makedirs(keydir, mode=0o700, exist_ok=True)
        self.key = os.path.join(keydir, "root.key")
        shutil.copyfile(disk.keyfile(), self.key)
        os.chmod(self.key, 0o600)
        self.crypttab = os.path.join(self.work, "crypttab")
        with open(self.crypttab, "w") as f:
            f.write(f"{disk.LUKS_NAME} UUID={disk.LUKS_UUID} {self.key} luks,initramfs\n")
        self.confhook = os.path.join(self.work, "conf-hook")
        with open(self.confhook, "w") as f:
            f.write(f'KEYFILE_PATTERN="{self.key}"\nUMASK=0077\n')

    def build_cmd(self, output):
        script = ('mount --bind "$1" /etc/crypttab && '
                  'mount --bind "$2" /etc/cryptsetup-initramfs/conf-hook && '
                  'exec mkinitramfs -d "$3" -o "$4" "$5"')
        env = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin")
        return (["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                 self.crypttab, self.confhook, self.conf, output, KVER], env)


class Dracut(Image):
    name = "dracut"
    doc = ("dracut --hostonly --add 'crypt btrfs' --zstd, the key file --include'd, "
           "rd.luks.key=")
    cmdline = (f"rd.luks.uuid={disk.LUKS_UUID} rd.luks.key={KEY_IN_IMAGE} "
               f"root=UUID={disk.FS_UUID} rootflags=subvol={disk.SNAPSHOT_CURRENT} "
               f"rootfstype=btrfs ro")

    def build_cmd(self, output):
        env = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin")
        return (["dracut", "--force", "--quiet", "--kver", KVER, "--hostonly", "--zstd",
                 "--add", "crypt btrfs",
                 "--add-drivers", "virtio_pci virtio_blk dm-crypt btrfs",
                 "--include", disk.keyfile(), KEY_IN_IMAGE,
                 "--kernel-cmdline", self.cmdline, output], env)

    def build(self, output=None):
        dt = super().build(output)
        log = open(os.path.join(self.work, "build.log")).read()
        if "Switching to non-hostonly mode" in log:
            note = ("dracut could not list the loaded modules of the build machine (no "
                    "/proc/modules: it is a container) and switched to non-hostonly mode for "
                    "kernel drivers; files other than drivers stay host-only")
            if note not in self.notes:
                self.notes.append(note)
        return dt


CLASSES = {c.name: c for c in (Koompi, BusyboxScript, InitramfsTools, Dracut)}


def drop_caches():
    subprocess.run(["sync"], check=False)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def build_all(images, runs, results):
    for img in images:
        res = results[img.name]
        try:
            img.prepare()
            say(f"{img.name}: warm-up build")
            img.build()
            warm, sizes = [], []
            for i in range(runs):
                warm.append(img.build())
                sizes.append(os.path.getsize(img.path))
            res["build"] = stats(warm)
            res["size"] = stats(sizes)
            say(f"{img.name}: {sizes[-1]} bytes, build {statistics.median(warm):.3f} s "
                f"(median of {runs})")
            if img.name == "koompi":
                cold = []
                tmp = os.path.join(img.work, "cold.img")
                try:
                    for i in range(runs):
                        drop_caches()
                        cold.append(img.build(tmp))
                    res["build_cold"] = stats(cold)
                    say(f"{img.name}: cold build {statistics.median(cold):.3f} s")
                except OSError as e:
                    res["build_cold_error"] = f"cannot drop the page cache: {e}"
                finally:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
                res["members"] = largest_members(img.path)
            res["compression"] = compression_of(img.path)
        except (BenchError, OSError, disk.BuildError) as e:
            res["build_error"] = str(e)
            say(f"{img.name}: build FAILED: {str(e).splitlines()[0]}")
        res["notes"] = list(img.notes)


# ---- what is in our image -----------------------------------------------------------------

def compression_of(path):
    with open(path, "rb") as f:
        head = f.read(6)
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ"):
        return "xz"
    if head.startswith(b"070701") or head.startswith(b"070702"):
        return "cpio (an early uncompressed archive first, or none)"
    return "unknown"


def cpio_segments(data):
    """Splits an initramfs into its segments: (kind, bytes) with kind cpio, zstd, gzip, xz."""
    segs = []
    pos = 0
    while pos < len(data):
        if data[pos:pos + 6] in (b"070701", b"070702"):
            end = pos
            while True:  # walk newc headers up to TRAILER!!!
                namesize = int(data[end + 94:end + 102], 16)
                filesize = int(data[end + 54:end + 62], 16)
                name = data[end + 110:end + 110 + namesize - 1]
                end = (end + 110 + namesize + 3) & ~3
                end = (end + filesize + 3) & ~3
                if name == b"TRAILER!!!":
                    break
            while end < len(data) and data[end] == 0:
                end += 1
            segs.append(("cpio", data[pos:end]))
            pos = end
        else:
            segs.append((compression_of_bytes(data[pos:pos + 6]), data[pos:]))
            break
    return segs


def compression_of_bytes(head):
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ"):
        return "xz"
    return "unknown"


def cpio_members(data):
    out = []
    pos = 0
    while pos + 110 <= len(data) and data[pos:pos + 6] in (b"070701", b"070702"):
        mode = int(data[pos + 14:pos + 22], 16)
        filesize = int(data[pos + 54:pos + 62], 16)
        namesize = int(data[pos + 94:pos + 102], 16)
        name = data[pos + 110:pos + 110 + namesize - 1].decode("utf-8", "replace")
        pos = (pos + 110 + namesize + 3) & ~3
        if name == "TRAILER!!!":
            pos = (pos + filesize + 3) & ~3
            while pos < len(data) and data[pos] == 0:
                pos += 1
            continue
        body = data[pos:pos + filesize]
        pos = (pos + filesize + 3) & ~3
        if mode & 0o170000 == 0o100000:
            out.append((name, filesize, body))
    return out


def largest_members(path, n=10):
    """The N largest regular files of the image: size in the archive and alone with zstd -10."""
    data = open(path, "rb").read()
    members = []
    for kind, seg in cpio_segments(data):
        if kind == "cpio":
            members += cpio_members(seg)
        elif kind == "zstd":
            raw = subprocess.run(["zstd", "-dc"], input=seg, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL).stdout
            members += cpio_members(raw)
        elif kind == "gzip":
            raw = subprocess.run(["gzip", "-dc"], input=seg, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL).stdout
            members += cpio_members(raw)
    total = sum(m[1] for m in members)
    members.sort(key=lambda m: -m[1])
    top = []
    for name, size, body in members[:n]:
        z = subprocess.run(["zstd", "-10", "-c"], input=body, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL).stdout
        top.append({"path": "/" + name.lstrip("/"), "bytes": size, "zstd10_bytes": len(z)})
    return {"files": len(members), "uncompressed_bytes": total, "largest": top}


# ---- boots ----------------------------------------------------------------------------------

KLOG = re.compile(r"^\[\s*(\d+\.\d+)\] (.*)$", re.M)


def kernel_log(text):
    """The (seconds, message) records of the kernel log the test root printed."""
    m = re.search(r"KOOMPI-TESTROOT: run /bin/dmesg\n", text)
    if not m:
        return []
    end = text.find("KOOMPI-TESTROOT: run-status", m.end())
    block = text[m.end():end if end >= 0 else len(text)]
    return [(float(t), msg) for t, msg in KLOG.findall(block)]


def analyse_klog(klog):
    """Initramfs phases from the kernel log (printk clock, seconds)."""
    a = {}
    execs = [(t, msg) for t, msg in klog if "sched_process_exec:" in msg and " pid=1 " in msg + " "]
    for t, msg in klog:
        if "Trying to unpack rootfs image as initramfs" in msg:
            a["unpack_start"] = t
        elif "Freeing initrd memory" in msg:
            a["unpack_end"] = t
        elif "Run /init as init process" in msg:
            a["run_init"] = t
    for t, msg in execs:
        if "filename=/init " in msg + " " and "exec_init" not in a:
            a["exec_init"] = t
        if "filename=/sbin/init " in msg + " ":
            a["exec_real_init"] = t
    lo, hi = a.get("exec_init", 1e9), a.get("exec_real_init", 0)
    a["modules_loaded"] = sum(1 for t, msg in klog if "module_load:" in msg and lo <= t <= hi)
    # The kernel's own module requests (request_module: crypto algorithms, file systems)
    # each start the usermode helper /sbin/modprobe when the image has one.
    a["modprobe_helper_execs"] = sum(1 for t, msg in klog if lo <= t <= hi and
                                     "sched_process_exec: filename=/sbin/modprobe " in msg)
    return a


def module_busy(klog, lo, hi):
    """Intervals (printk clock) during which at least one finit_module call was in progress
    within [lo, hi]: the depth of sys_enter/sys_exit pairs, whatever the process."""
    spans, depth, since = [], 0, None
    for t, msg in klog:
        if t < lo or t > hi:
            continue
        if msg.startswith("sys_finit_module("):
            if depth == 0:
                since = t
            depth += 1
        elif msg.startswith("sys_finit_module ->"):
            if depth > 0:
                depth -= 1
                if depth == 0:
                    spans.append((since, t))
    if depth > 0 and since is not None:
        spans.append((since, hi))
    return spans


def union_length(spans):
    total, cur = 0.0, None
    for a, b in sorted(spans):
        if cur is None or a > cur[1]:
            if cur:
                total += cur[1] - cur[0]
            cur = [a, b]
        else:
            cur[1] = max(cur[1], b)
    if cur:
        total += cur[1] - cur[0]
    return total


def klog_time(klog, prefix, lo, hi):
    """The printk time of the first record starting with PREFIX within [lo, hi]."""
    for t, msg in klog:
        if lo <= t <= hi and msg.startswith(prefix):
            return t
    return None


def overlap(spans, a, b):
    """How much of [a, b] the union of SPANS covers."""
    return union_length([(max(x, a), min(y, b)) for x, y in spans if min(y, b) > max(x, a)])


def overhead(klog, phases, bootjson):
    """koompi-init's own overhead: the time koompi-init is running minus the time during
    which a module was being loaded or the volume was being unlocked.

    Window: koompi-init's whole life, from the kernel's exec of /init to the exec of
    /sbin/init (sched_process_exec trace events; printk clock). Module loading: every
    moment some finit_module call was in progress (sys_enter/sys_exit_finit_module trace
    events), whichever of koompi-init's two processes made it; the probe of the disk by
    virtio_blk and the RAID6 benchmark of btrfs happen inside these calls. Unlock: from
    koompi-init's "found" log record (end of the device stage) to its "unlocked" record
    (end of the unlock stage): reading the LUKS header, the key derivation and the
    dm-crypt activation, in libcryptsetup and the kernel. Overhead = window minus the
    union of the two. It is broken down into the process start (exec of /init to the
    "start" mark of boot.json, put on the printk clock by the offset of koompi-init's
    "timeline" record from the "exec" mark it follows), the root stage outside module
    loading (the Btrfs mounts: kernel work, counted here because it is neither module
    loading nor key derivation) and the rest (mounting /proc /sys /dev /run, reading the
    settings, walking /sys for modaliases and the libkmod work between module loads,
    waiting for the disk, switching root)."""
    lo, hi = phases.get("exec_init"), phases.get("exec_real_init")
    if lo is None or hi is None:
        return None
    spans = module_busy(klog, lo, hi)
    res = {"koompi_init_ms": (hi - lo) * 1000, "module_loading_ms": union_length(spans) * 1000}
    marks = {}
    if bootjson and isinstance(bootjson.get("timeline"), list):
        for m in bootjson["timeline"]:
            if isinstance(m, dict) and "stage" in m and "ms" in m:
                marks[m["stage"]] = m["ms"] / 1000.0
    names = list(marks)
    res["stages_ms"] = {cur: (marks[cur] - marks[prev]) * 1000
                        for prev, cur in zip(names, names[1:])}
    t_found = klog_time(klog, "koompi-init: found ", lo, hi)
    t_unlocked = klog_time(klog, "koompi-init: unlocked ", lo, hi)
    t_mounted = klog_time(klog, "koompi-init: mounted ", lo, hi)
    t_timeline = klog_time(klog, "koompi-init: timeline", lo, hi)
    off = t_timeline - marks["exec"] if t_timeline is not None and "exec" in marks else None
    if (t_found is None or t_unlocked is None) and off is not None and "unlock" in marks \
            and "device" in marks:
        t_found, t_unlocked = marks["device"] + off, marks["unlock"] + off
    busy = list(spans)
    res["unlock_ms"] = None
    if t_found is not None and t_unlocked is not None:
        busy.append((t_found, t_unlocked))
        res["unlock_ms"] = (t_unlocked - t_found) * 1000
    res["waiting_ms"] = union_length(busy) * 1000
    res["overhead_ms"] = res["koompi_init_ms"] - res["waiting_ms"]
    if off is not None and "start" in marks:
        res["startup_ms"] = max(0.0, marks["start"] + off - lo) * 1000
    if t_unlocked is not None and t_mounted is not None:
        res["root_mounts_ms"] = ((t_mounted - t_unlocked) - overlap(spans, t_unlocked, t_mounted)) \
            * 1000
    if "startup_ms" in res and "root_mounts_ms" in res:
        res["other_ms"] = res["overhead_ms"] - res["startup_ms"] - res["root_mounts_ms"]
    return res


# libcryptsetup's debug log says this once per key derived from a keyslot: counted in
# koompi-init's console lines ("[N ms] koompi-init: ..."), not in the kernel log's copies.
DERIVED = r"(?m)^\[ *\d+ ms\] koompi-init: cryptsetup: Verifying key from keyslot (\d+)"


def boot_once(img, label, overlay, extra=""):
    wd = os.path.join(OUT, "boots", f"{img.name}-{label}")
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    vm = VM(f"bench-{img.name}-{label}", wd, firmware=Firmware.DIRECT, kernel=disk.KERNEL,
            initrd=img.path, append=f"{COMMON} {img.cmdline} {extra}".rstrip(),
            disks=[Disk(overlay, "qcow2")],
            smp=1)
    rec = {"console": os.path.relpath(vm.log_path, ROOT)}
    try:
        vm.start()
        idx, m = vm.expect_any([START] + FATAL, T_BOOT)
        if idx != 0:
            vm._fail(VMError, f"the boot failed: {m.group(0).strip()!r}")
        rec["real_init_s"] = int(m.group(1)) / 1000.0
        rec["wall_s"] = vm.elapsed()
        mounts = vm.expect(r"KOOMPI-TESTROOT: (root=[^\n]*)\n", T_DONE).group(1)
        rec["mounts"] = mounts
        bj = vm.expect(r"KOOMPI-TESTROOT: boot.json (.*)\n", T_DONE).group(1)
        try:
            rec["boot_json"] = json.loads(bj)
        except ValueError:
            rec["boot_json"] = None
        vm.expect(r"KOOMPI-TESTROOT: done[^\n]*\n", T_DONE)
        vm.wait_exit(T_DONE)
        klog = kernel_log(vm.transcript)
        ph = analyse_klog(klog)
        rec["phases"] = ph
        if "exec_init" in ph and "exec_real_init" in ph:
            rec["initramfs_s"] = ph["exec_real_init"] - ph["exec_init"]
        if "unpack_start" in ph and "unpack_end" in ph:
            rec["unpack_s"] = ph["unpack_end"] - ph["unpack_start"]
        if img.name == "koompi":
            rec["overhead"] = overhead(klog, ph, rec.get("boot_json"))
        rec["keyslots_derived"] = [int(s) for s in re.findall(DERIVED, vm.transcript)]
    except VMError as e:
        rec["error"] = str(e)
    finally:
        vm.kill()
    return rec


def excerpt(err, lines=40):
    return "\n".join(err.rstrip().split("\n")[-lines:])


def boot_all(images, runs, results):
    base = disk.build_luks_disk()
    bootable = [img for img in images if "build_error" not in results[img.name]]
    recs = {img.name: [] for img in bootable}
    # Each image boots its own copy of the disk once, untimed; every timed boot then starts
    # from a fresh overlay of that copy, i.e. the disk of a machine that has booted once
    # (koompi-init has remembered the keyslot that opened the volume; the others keep
    # nothing). Fresh each time, because the test root never marks its boot good: boots of
    # one disk in a row would count as failures and end in a rollback.
    warm = {}
    os.makedirs(os.path.join(OUT, "boots"), exist_ok=True)
    for img in bootable:
        warm[img.name] = qcow2_overlay(base, os.path.join(OUT, "boots",
                                                          f"{img.name}-warm.qcow2"))
        t = time.monotonic()
        rec = boot_once(img, "warmup", warm[img.name])
        if "error" in rec:
            results[img.name]["boot_error"] = excerpt(rec["error"])
            say(f"{img.name}: warm-up boot FAILED ({time.monotonic() - t:.0f} s); console "
                f"{rec['console']}")
        else:
            say(f"{img.name}: warm-up boot: real init at {rec['real_init_s']:.2f} s (untimed)")

    def fresh(img):
        return qcow2_overlay(warm[img.name], os.path.join(OUT, "boots", f"{img.name}-boot.qcow2"),
                             base_fmt="qcow2")

    for i in range(runs):
        for img in bootable:
            if results[img.name].get("boot_error"):
                continue
            t = time.monotonic()
            rec = boot_once(img, i + 1, fresh(img))
            recs[img.name].append(rec)
            if "error" in rec:
                results[img.name]["boot_error"] = excerpt(rec["error"])
                say(f"{img.name}: boot {i + 1} FAILED ({time.monotonic() - t:.0f} s); console "
                    f"{rec['console']}")
            else:
                say(f"{img.name}: boot {i + 1}: real init at {rec['real_init_s']:.2f} s "
                    f"(QEMU ran {time.monotonic() - t:.0f} s)")
    # One more boot of ours, untimed, with libcryptsetup's debug log: the keys it derives.
    koompi = next((i for i in bootable if i.name == "koompi"), None)
    if koompi and not results["koompi"].get("boot_error"):
        rec = boot_once(koompi, "debug", fresh(koompi), extra="rd.debug")
        if "error" in rec:
            say(f"koompi: debug boot FAILED; console {rec['console']}")
        else:
            results["koompi"]["keyslots_derived"] = rec["keyslots_derived"]
            say(f"koompi: keys derived at an unlock after the first boot: keyslots "
                f"{rec['keyslots_derived']}")
    for img in bootable:
        for path in (warm[img.name], os.path.join(OUT, "boots", f"{img.name}-boot.qcow2")):
            if os.path.exists(path):
                os.unlink(path)
    for img in bootable:
        rs = [r for r in recs[img.name] if "error" not in r]
        res = results[img.name]
        res["boots"] = [{k: v for k, v in r.items() if k not in ("boot_json",)} for r in recs[img.name]]
        res["real_init"] = stats([r["real_init_s"] for r in rs])
        res["initramfs_phase"] = stats([r.get("initramfs_s") for r in rs])
        res["unpack"] = stats([r.get("unpack_s") for r in rs])
        res["run_init_at"] = stats([r["phases"].get("run_init") for r in rs])
        res["modules_loaded"] = stats([r["phases"].get("modules_loaded") for r in rs])
        res["modprobe_helper_execs"] = stats([r["phases"].get("modprobe_helper_execs")
                                              for r in rs])
        if rs and "home=none" in rs[-1].get("mounts", ""):
            res.setdefault("notes", []).append(
                f"mounts only the root ({rs[-1]['mounts']}): @home and @var are left to the "
                f"real init (fstab), so it does less than koompi-init here")
        if img.name == "koompi":
            ovs = [r["overhead"] for r in rs if r.get("overhead")]
            if ovs:
                o = {}
                for k in ("koompi_init_ms", "module_loading_ms", "unlock_ms", "waiting_ms",
                          "overhead_ms", "startup_ms", "root_mounts_ms", "other_ms"):
                    o[k] = stats([v.get(k) for v in ovs])
                st = {}
                for v in ovs:
                    for s, ms in v.get("stages_ms", {}).items():
                        st.setdefault(s, []).append(ms)
                o["stages_ms"] = {s: stats(v) for s, v in st.items()}
                o["method"] = " ".join(overhead.__doc__.split())
                res["overhead"] = o
            bjs = [r.get("boot_json") for r in rs if r.get("boot_json")]
            if bjs:
                res["boot_json_example"] = bjs[-1]


# ---- results ----------------------------------------------------------------------------------

def flat(res):
    """The figures of one image, flat: NAME (median), NAME_min, NAME_max."""
    out = {}

    def put(key, st, scale=1.0, nd=3):
        if st:
            out[key] = round(st["median"] * scale, nd)
            out[key + "_min"] = round(st["min"] * scale, nd)
            out[key + "_max"] = round(st["max"] * scale, nd)
            out[key + "_n"] = st["n"]

    if res.get("size"):
        out["bytes"] = int(res["size"]["median"])
        out["bytes_min"] = int(res["size"]["min"])
        out["bytes_max"] = int(res["size"]["max"])
    put("build_s", res.get("build"))
    put("build_cold_s", res.get("build_cold"))
    put("real_init_s", res.get("real_init"))
    put("initramfs_phase_s", res.get("initramfs_phase"))
    put("unpack_s", res.get("unpack"))
    put("run_init_at_s", res.get("run_init_at"))
    if res.get("modules_loaded"):
        out["modules_loaded"] = int(res["modules_loaded"]["median"])
    if res.get("modprobe_helper_execs"):
        out["modprobe_helper_execs"] = int(res["modprobe_helper_execs"]["median"])
    o = res.get("overhead")
    if o:
        for k in ("overhead_ms", "koompi_init_ms", "module_loading_ms", "unlock_ms",
                  "startup_ms", "root_mounts_ms", "other_ms"):
            put(k, o.get(k), nd=1)
    for k in ("compression", "doc", "cmdline", "build_error", "boot_error", "build_cold_error",
              "notes", "members", "overhead", "boot_json_example"):
        if res.get(k) not in (None, [], ""):
            out[k] = res[k]
    out["raw"] = {k: res[k] for k in ("build", "build_cold", "size", "real_init",
                                       "initramfs_phase", "unpack") if res.get(k)}
    out["boots"] = res.get("boots", [])
    return out


def ratios(images):
    k = images.get("koompi", {})
    out = {}
    for peer in PEERS:
        p = images.get(peer, {})
        r = {}
        for key in ("bytes", "build_s", "real_init_s", "initramfs_phase_s"):
            if k.get(key) and p.get(key):
                r[key] = round(k[key] / p[key], 4)
        # The same ratios boot by boot (the images take turns, so boots of one round ran
        # close in time): less sensitive to a slow spell of the machine.
        for key, field in (("real_init", "real_init_s"), ("initramfs_phase", "initramfs_s")):
            a = [b.get(field) for b in k.get("boots", [])]
            b = [b.get(field) for b in p.get("boots", [])]
            st = stats([x / y for x, y in zip(a, b) if x and y])
            if st:
                r[key + "_paired"] = {"median": round(st["median"], 4),
                                      "min": round(st["min"], 4), "max": round(st["max"], 4),
                                      "n": st["n"]}
        if r:
            out[f"koompi/{peer}"] = r
    return out


def admin_figures():
    """Runs tests/host/bench-admin.sh --json; its last line is a JSON object of figures in
    seconds. Returns that object, or {"error": why} when it could not run."""
    if os.geteuid() != 0:
        return {"error": "bench-admin.sh needs root (loop devices, Btrfs)"}
    if not os.access(os.path.join(ROOT, KOOMPI_BOOT), os.X_OK):
        return {"error": f"{KOOMPI_BOOT} is not built (make {KOOMPI_BOOT})"}
    say(f"koompi-boot with 100 roots: sh {BENCH_ADMIN} --json (a few minutes)")
    try:
        r = subprocess.run(["sh", BENCH_ADMIN, "--json", KOOMPI_BOOT], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=T_ADMIN)
    except subprocess.TimeoutExpired:
        return {"error": f"{BENCH_ADMIN} took more than {T_ADMIN} s"}
    lines = r.stdout.strip().split("\n")
    for line in lines:
        if line and not line.startswith("{"):
            say(f"  {line}")
    try:
        figures = json.loads(lines[-1])
    except (ValueError, IndexError):
        figures = None
    if r.returncode != 0 or not isinstance(figures, dict):
        return {"error": f"{BENCH_ADMIN} failed (status {r.returncode}):\n" + "\n".join(lines[-20:])}
    return figures


def apply_admin(doc, admin):
    """Puts bench-admin.sh's figures (or why there are none) into the results document."""
    k = doc["images"].setdefault("koompi", {})
    nm = doc.setdefault("not_measured", {})
    for key in ("koompi_boot_status_100_roots_s", "update_transaction_100_roots_s"):
        nm.pop(key, None)
    if admin is None:
        return
    doc["koompi_boot"] = admin
    if "error" in admin:
        why = "not measured: " + admin["error"].split("\n")[0]
        k["status_100_roots_s"] = why
        k["update_transaction_100_roots_s"] = why
        nm["koompi_boot_status_100_roots_s"] = why
        nm["update_transaction_100_roots_s"] = why
    else:
        k["status_100_roots_s"] = admin.get("status_100_roots_s")
        k["update_transaction_100_roots_s"] = admin.get("update_transaction_100_roots_s")
    doc.setdefault("method", {})["koompi_boot"] = (
        f"sh {BENCH_ADMIN} --json as root: 100 read-only roots on a Btrfs in a loop file, the ESP "
        "a directory; " + "; ".join(f"{key}: {what}" for key, what in ADMIN_FIGURES))
    doc["targets"] = targets(doc["images"])


def targets(images):
    k = images.get("koompi", {})
    peers = [images[p] for p in ("initramfs-tools", "dracut") if images.get(p, {}).get("bytes")]
    t = {}

    def verdict(ok):
        return "met" if ok else "not met"

    if k.get("bytes"):
        t["image <= 4 MiB"] = {"value": k["bytes"], "status": verdict(k["bytes"] <= 4 << 20)}
        if peers:
            smaller = min(p["bytes"] for p in peers)
            t["image 5x smaller than the smaller peer"] = {
                "value": round(smaller / k["bytes"], 2), "status": verdict(smaller >= 5 * k["bytes"])}
    if k.get("build_s"):
        t["build <= 0.5 s warm"] = {"value": k["build_s"], "status": verdict(k["build_s"] <= 0.5)}
        bp = [p["build_s"] for p in peers if p.get("build_s")]
        if bp:
            t["build 20x faster than the faster peer"] = {
                "value": round(min(bp) / k["build_s"], 2),
                "status": verdict(min(bp) >= 20 * k["build_s"])}
    if k.get("real_init_s"):
        rp = [p["real_init_s"] for p in peers if p.get("real_init_s")]
        if rp:
            t["real init 2x faster than both peers"] = {
                "value": round(min(rp) / k["real_init_s"], 2),
                "status": verdict(all(x >= 2 * k["real_init_s"] for x in rp))}
    if k.get("overhead_ms") is not None:
        t["own overhead <= 50 ms beyond module loading and key derivation"] = {
            "value": k["overhead_ms"], "status": verdict(k["overhead_ms"] <= 50)}
    st, up = k.get("status_100_roots_s"), k.get("update_transaction_100_roots_s")
    if isinstance(st, (int, float)):
        t["koompi-boot status < 20 ms with 100 roots"] = {"value": st, "status": verdict(st < 0.020)}
    if isinstance(up, (int, float)):
        t["update transaction < 1 s with 100 roots"] = {"value": up, "status": verdict(up < 1.0)}
    kd = k.get("key_derivations_per_unlock")
    if isinstance(kd, int):
        t["exactly one key derivation per unlock when the keyslot is known"] = {
            "value": kd, "status": verdict(kd == 1)}
    return t


def host_info():
    def out(cmd):
        try:
            return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True).stdout.strip().split("\n")[0]
        except OSError:
            return None
    return {"kernel_booted": KVER, "qemu": out(["qemu-system-x86_64", "--version"]),
            "accel": "tcg", "vcpus": 1, "memory_mib": 1024, "host_cpus": os.cpu_count(),
            "host": platform.platform(),
            "dracut": out(["dpkg-query", "-W", "-f=${Version}", "dracut-core"]),
            "initramfs_tools": out(["dpkg-query", "-W", "-f=${Version}", "initramfs-tools"]),
            "cryptsetup": out(["dpkg-query", "-W", "-f=${Version}", "cryptsetup-bin"]),
            "busybox": out(["dpkg-query", "-W", "-f=${Version}", "busybox-static"])}


def write_results(results, runs, took, admin):
    images = {name: flat(results[name]) for name in IMAGES if name in results}
    if "koompi" in images:
        derived = results["koompi"].get("keyslots_derived")
        images["koompi"].update({
            "status_100_roots_s": NOT_MEASURED,
            "update_transaction_100_roots_s": NOT_MEASURED,
            "key_derivations_per_unlock": len(derived) if derived else NOT_DERIVED,
            "keyslots_derived": derived})
    doc = {
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "runs": runs,
        "bench_s": round(took, 1),
        "load_average": LOADAVG,
        "host": host_info(),
        "kernel_cmdline_common": COMMON,
        "images": images,
        "ratios": ratios(images),
        "targets": targets(images),
        "not_measured": {
            "koompi_boot_status_100_roots_s": NOT_MEASURED,
            "update_transaction_100_roots_s": NOT_MEASURED,
        } | ({} if isinstance(images.get("koompi", {}).get("key_derivations_per_unlock"), int)
             else {"key_derivations_per_unlock": NOT_DERIVED}),
        "method": {
            "bytes": "size of the image file as given to -initrd (compressed)",
            "build_s": "wall time of one build, page cache warm (one untimed build first)",
            "key_derivations_per_unlock": "koompi only: one more boot of its disk after the "
                                          "timed ones, with rd.debug; libcryptsetup's "
                                          "\"Verifying key from keyslot N\" lines on the console",
            "build_cold_s": "wall time of one build right after sync; echo 3 > "
                            "/proc/sys/vm/drop_caches",
            "real_init_s": "CLOCK_BOOTTIME printed by the test root's /sbin/init as its "
                           "first action: kernel start to the exec of the real init",
            "initramfs_phase_s": "exec of /init to exec of /sbin/init, from the "
                                 "sched_process_exec trace events in the kernel log",
            "unpack_s": "kernel log: 'Trying to unpack rootfs image' to 'Freeing initrd memory'",
            "run_init_at_s": "kernel log: 'Run /init as init process'",
            "modules_loaded": "module_load trace events during the initramfs phase",
            "modprobe_helper_execs": "execs of /sbin/modprobe during the initramfs phase: the "
                                     "kernel's request_module usermode helper (and, in "
                                     "shell-script images, modprobe run by the script)",
            "overhead_ms": " ".join(overhead.__doc__.split()),
            "boots": "one vCPU, 1 GiB, TCG, direct -kernel/-initrd/-append, a fresh "
                     "copy-on-write overlay of the test disk per boot; images take turns",
        },
    }
    apply_admin(doc, admin)
    save(doc)
    return doc


def save(doc):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def fmt_range(img, key, fmt="{:.2f}", scale=1.0):
    if img.get(key) is None:
        return "—"
    return (fmt.format(img[key] * scale) + " (" + fmt.format(img[key + "_min"] * scale) + "–"
            + fmt.format(img[key + "_max"] * scale) + ")")


def write_markdown(doc):
    imgs = doc["images"]
    L = []
    L.append(f"# make bench — {doc['generated']}")
    L.append("")
    L.append(f"Kernel {doc['host']['kernel_booted']}, {doc['host']['qemu']}, TCG, one vCPU; "
             f"the same LUKS2 + Btrfs test disk, unlocked by its key file in every image. "
             f"Median of {doc['runs']} runs (min–max). The whole bench took "
             f"{doc['bench_s'] / 60:.1f} min; host load average (1 min) at the start, after "
             f"the builds and at the end: " + ", ".join(
                 f"{v[0]:.1f}" for v in doc.get("load_average", {}).values()) + ".")
    L.append("")
    L.append("| image | size (MB) | build warm (s) | build cold (s) | kernel start → real init (s) "
             "| initramfs phase (s) | unpack (s) | modules loaded | kernel modprobe calls |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for name in IMAGES:
        i = imgs.get(name)
        if not i:
            continue
        size = f"{i['bytes'] / 1e6:.2f}" if i.get("bytes") else "—"
        L.append(f"| {name} | {size} | {fmt_range(i, 'build_s', '{:.3f}')} | "
                 f"{fmt_range(i, 'build_cold_s', '{:.3f}')} | {fmt_range(i, 'real_init_s')} | "
                 f"{fmt_range(i, 'initramfs_phase_s')} | {fmt_range(i, 'unpack_s')} | "
                 f"{i.get('modules_loaded', '—')} | {i.get('modprobe_helper_execs', '—')} |")
    L.append("")
    if doc["ratios"]:
        L.append("Ratios, ours / peer (below 1: ours is smaller or faster):")
        L.append("")
        L.append("| peer | size | build | real init | initramfs phase | real init, boot by boot |")
        L.append("|---|---|---|---|---|---|")
        for key, r in doc["ratios"].items():
            def g(k):
                return f"{r[k]:.3f} (1/{1 / r[k]:.1f})" if r.get(k) else "—"
            pr = r.get("real_init_paired")
            paired = (f"{pr['median']:.3f} ({pr['min']:.3f}–{pr['max']:.3f})" if pr else "—")
            L.append(f"| {key.split('/', 1)[1]} | {g('bytes')} | {g('build_s')} | "
                     f"{g('real_init_s')} | {g('initramfs_phase_s')} | {paired} |")
        L.append("")
        L.append("Ratios of medians; the last column is the median (min–max) of the ratios of "
                 "the boots of one round (the images take turns, so they ran close in time).")
        L.append("")
    k = imgs.get("koompi", {})
    o = k.get("overhead")
    if o:
        L.append("## koompi-init's own overhead")
        L.append("")
        L.append("| | ms |")
        L.append("|---|---|")
        for key, label in (("koompi_init_ms", "koompi-init, exec of /init to exec of /sbin/init"),
                           ("module_loading_ms", "of which a module load was in progress"),
                           ("unlock_ms", "unlock stage (key derivation, dm-crypt activation)"),
                           ("waiting_ms", "either of the two (union)"),
                           ("overhead_ms", "**own overhead** (the rest)"),
                           ("startup_ms", "of which the process start (exec of /init to the start mark)"),
                           ("root_mounts_ms", "of which the root stage's Btrfs mounts"),
                           ("other_ms", "of which the rest")):
            st = o.get(key)
            if st:
                L.append(f"| {label} | {st['median']:.0f} ({st['min']:.0f}–{st['max']:.0f}) |")
        if o.get("stages_ms"):
            L.append("")
            L.append("Stages of boot.json (ms, median): " + ", ".join(
                f"{s} {v['median']:.0f}" for s, v in o["stages_ms"].items()))
        L.append("")
        L.append("How: " + o["method"])
        L.append("")
    m = k.get("members")
    if m:
        L.append(f"## The ten largest members of our image ({m['files']} files, "
                 f"{m['uncompressed_bytes'] / 1e6:.2f} MB uncompressed)")
        L.append("")
        L.append("| path | bytes | alone with zstd -10 |")
        L.append("|---|---|---|")
        for f in m["largest"]:
            L.append(f"| `{f['path']}` | {f['bytes']} | {f['zstd10_bytes']} |")
        L.append("")
    kb = doc.get("koompi_boot")
    if kb and "error" not in kb:
        L.append(f"## koompi-boot with {kb.get('roots', 100)} roots")
        L.append("")
        L.append("| | s |")
        L.append("|---|---|")
        for key, what in ADMIN_FIGURES:
            v = kb.get(key)
            L.append(f"| {what} | {v:.3f} |" if isinstance(v, (int, float)) else f"| {what} | — |")
        L.append("")
        L.append("How: " + doc["method"]["koompi_boot"].split("; ", 1)[0] + ".")
        L.append("")
    L.append("## Targets")
    L.append("")
    for name, t in doc["targets"].items():
        v = f" ({t['value']})" if "value" in t else ""
        L.append(f"- {name}: {t['status']}{v}")
    L.append("")
    L.append("## Not measured")
    L.append("")
    for name, why in doc["not_measured"].items():
        L.append(f"- {name}: {why}")
    for name in IMAGES:
        i = imgs.get(name, {})
        for key in ("build_error", "boot_error", "build_cold_error"):
            if i.get(key):
                L.append(f"- {name}: {key.replace('_', ' ')}:")
                L.append("")
                L.append("```")
                L.extend(i[key].rstrip().split("\n")[-25:])
                L.append("```")
    L.append("")
    L.append("## The images")
    L.append("")
    for name in IMAGES:
        i = imgs.get(name)
        if not i:
            continue
        L.append(f"- **{name}**: {i.get('doc', '')}; {i.get('compression', '?')}; command line "
                 f"`{i.get('cmdline', '')}`")
        for n in i.get("notes", []):
            L.append(f"  - {n}")
    L.append("")
    L.append(f"Every boot's command line starts with `{doc['kernel_cmdline_common']}`.")
    L.append("")
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write("\n".join(L))


def write_chart(doc):
    """build/bench/results.png: three bar charts (size, build, real init) with min-max bars."""
    imgs = doc["images"]
    rows = [n for n in IMAGES if n in imgs]
    dat = os.path.join(OUT, "results.dat")
    with open(dat, "w") as f:
        f.write("# image bytesMB build build_min build_max init init_min init_max\n")
        for n in rows:
            i = imgs[n]

            def v(k, scale=1.0):
                return f"{i[k] * scale:.4f}" if i.get(k) is not None else "NaN"
            f.write(f'"{n}" {v("bytes", 1e-6)} {v("build_s")} {v("build_s_min")} '
                    f'{v("build_s_max")} {v("real_init_s")} {v("real_init_s_min")} '
                    f'{v("real_init_s_max")}\n')
    gp = os.path.join(OUT, "results.gp")
    png = os.path.join(OUT, "results.png")
    with open(gp, "w") as f:
        f.write(f"""set terminal pngcairo size 1500,520 font "DejaVu Sans,11"
set output '{png}'
set multiplot layout 1,3 title "koompi-boot: make bench ({doc['generated'][:10]}, TCG, median of {doc['runs']}, bars: min-max)"
set style fill solid 0.8 border -1
set boxwidth 0.6
set grid ytics
set yrange [0:*]
set xtics rotate by -20
unset key
set title "image size (MB, compressed)"
plot '{dat}' using 0:2:xtic(1) with boxes lc rgb "#3465a4", \\
     '' using 0:2:(sprintf("%.1f", $2)) with labels offset 2.8,0.7
set title "build time, warm (s, log scale)"
set logscale y
set yrange [*:*]
plot '{dat}' using 0:3:xtic(1) with boxes lc rgb "#73d216", \\
     '' using 0:3:4:5 with yerrorbars lc rgb "black" pt 0, \\
     '' using 0:3:(sprintf("%.2f", $3)) with labels offset 2.8,0.7
unset logscale y
set yrange [0:*]
set title "kernel start to real init (s)"
plot '{dat}' using 0:6:xtic(1) with boxes lc rgb "#f57900", \\
     '' using 0:6:7:8 with yerrorbars lc rgb "black" pt 0, \\
     '' using 0:6:(sprintf("%.1f", $6)) with labels offset 2.8,0.7
unset multiplot
""")
    try:
        r = subprocess.run(["gnuplot", gp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as e:
        say(f"no chart: gnuplot: {e}")
        return
    if r.returncode != 0:
        say(f"gnuplot failed: {r.stdout.strip()}")


def report(doc):
    write_markdown(doc)
    write_chart(doc)
    say(f"results: {os.path.relpath(os.path.join(OUT, 'results.json'), ROOT)}, results.md, "
        f"results.png")
    print(open(os.path.join(OUT, "results.md")).read().split("\n## ")[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("KOOMPI_BENCH_RUNS", "5")),
                    help="builds and boots of each image (default 5)")
    ap.add_argument("--only", default="", help="comma-separated images (default: all)")
    ap.add_argument("--no-deps", action="store_true", help="do not install missing packages")
    ap.add_argument("--no-boot", action="store_true", help="build and measure images only")
    ap.add_argument("--report", action="store_true",
                    help="only redo results.md and results.png from results.json")
    ap.add_argument("--no-admin", action="store_true",
                    help="skip koompi-boot's figures (tests/host/bench-admin.sh)")
    ap.add_argument("--admin-only", action="store_true",
                    help="only koompi-boot's figures, into the existing results.json")
    args = ap.parse_args()
    if args.admin_only:
        path = os.path.join(OUT, "results.json")
        if os.path.exists(path):
            doc = json.load(open(path))
        else:
            doc = {"generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   "runs": 0, "bench_s": 0.0, "host": host_info(), "kernel_cmdline_common": COMMON,
                   "images": {}, "ratios": {}, "targets": {}, "not_measured": {}, "method": {}}
        admin = admin_figures()
        apply_admin(doc, admin)
        save(doc)
        report(doc)
        return 0 if "error" not in admin else 1
    if args.report:
        doc = json.load(open(os.path.join(OUT, "results.json")))
        doc["ratios"] = ratios(doc["images"])
        doc["targets"] = targets(doc["images"])
        with open(os.path.join(OUT, "results.json"), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        report(doc)
        return 0
    names = [n for n in args.only.split(",") if n] or IMAGES
    bad = [n for n in names if n not in CLASSES]
    if bad:
        print(f"bench: unknown image(s) {bad}; known: {', '.join(IMAGES)}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    os.makedirs(OUT, exist_ok=True)
    if not args.no_deps:
        bench_deps()
    say(f"kernel {KVER}, {args.runs} run(s) of each of {', '.join(names)}; timeouts "
        f"x{timeout_scale():g}")
    images = [CLASSES[n](OUT) for n in names]
    results = {img.name: {"doc": img.doc, "cmdline": f"{img.cmdline}"} for img in images}
    LOADAVG["start"] = list(os.getloadavg())
    build_all(images, args.runs, results)
    LOADAVG["after_builds"] = list(os.getloadavg())
    if not args.no_boot:
        try:
            boot_all(images, args.runs, results)
        except (disk.BuildError, BenchError) as e:
            for img in images:
                results[img.name].setdefault("boot_error", f"the test disk: {e}")
            say(f"no boots: {e}")
    admin = None if args.no_admin else admin_figures()
    LOADAVG["end"] = list(os.getloadavg())
    doc = write_results(results, args.runs, time.monotonic() - t0, admin)
    report(doc)
    say(f"done in {(time.monotonic() - t0) / 60:.1f} min")
    ok = all("build_error" not in results[n] for n in ("koompi",) if n in results)
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
