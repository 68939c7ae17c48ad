# SPDX-License-Identifier: LGPL-2.1-or-later
"""The disks of the VM tests and the demo.

The fixed identities of the test install live here and nowhere else:
the LUKS2 volume (LUKS_UUID, PASSPHRASE, the key file), the Btrfs file system
inside it (FS_UUID) and the names of its subvolumes.

  build_luks_disk()    the encrypted root disk (GPT, one LUKS2 partition),
                       built inside a VM, cached in build/vm/ and rebuilt
                       when its inputs change
  make_initramfs()     runs build/koompi-mkinitramfs
  make_esp()           an EFI System Partition disk for one scenario:
                       systemd-boot, the kernel, an initramfs, BLS entries
"""

import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vm import VM, Disk, Firmware  # noqa: E402

ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, "build")
VMDIR = os.path.join(BUILD, "vm")
MKINITRAMFS = os.environ.get("KOOMPI_MKINITRAMFS") or os.path.join(BUILD, "koompi-mkinitramfs")
TESTROOT_INIT = os.path.join(BUILD, "koompi-testroot-init")
TESTROOT_SRC = os.path.join(ROOT, "tests", "vm", "testroot-init.c")
BUILDER_INIT = os.path.join(HERE, "builder-init.sh")
SYSTEMD_BOOT = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

# ---- the test install -------------------------------------------------------
LUKS_UUID = "3f6d2c1a-8e4b-4f0a-9c7d-5b1e2a3c4d01"
LUKS_PARTUUID = "3f6d2c1a-8e4b-4f0a-9c7d-5b1e2a3c4d02"
FS_UUID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c01"
PASSPHRASE = "koompi-demo"
LUKS_NAME = "root"
SNAPSHOT_CURRENT = "@root-current"
SNAPSHOT_OLD = "@root-2024-12-01"
SUBVOL_HOME = "@home"
SUBVOL_VAR = "@var"
KEYFILE_IN_IMAGE = "/etc/koompi/keys/root.key"
LUKS_DISK_MIB = 384
# pbkdf2 at the minimum iteration count: unlocking costs nothing under TCG.
PBKDF_ARGS = "--pbkdf pbkdf2 --pbkdf-force-iterations 1000"
# The "argon2" disk: argon2id as cryptsetup makes it by default, with its cost fixed (64 MiB,
# 4 passes, one thread) so that unlocking takes seconds, not minutes, under TCG.
ARGON2_PBKDF_ARGS = ("--pbkdf argon2id --pbkdf-memory 65536 --pbkdf-force-iterations 4 "
                     "--pbkdf-parallel 1")
LUKS_PART_TYPE = "CA7D7CCB-63ED-4C53-861C-1742536059CC"  # "Linux LUKS"
ESP_PART_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

# Modules the builder VM needs (with their dependencies).
BUILDER_MODULES = ["crc32c_generic", "virtio_pci", "virtio_blk", "dm-crypt", "btrfs", "ecb", "xts", "algif_skcipher",
                   "aesni_intel"]
BUILDER_TOOLS = ["cryptsetup", "mkfs.btrfs", "btrfs"]


def _find_kver():
    kver = os.environ.get("KOOMPI_KVER")
    if kver:
        return kver
    if os.path.exists("/boot/vmlinuz-6.1.0-56-amd64"):
        return "6.1.0-56-amd64"
    found = sorted(p[len("/boot/vmlinuz-"):] for p in glob.glob("/boot/vmlinuz-*")
                   if os.path.isdir("/lib/modules/" + p[len("/boot/vmlinuz-"):]))
    return found[-1] if found else "6.1.0-56-amd64"


KVER = _find_kver()
KERNEL = f"/boot/vmlinuz-{KVER}"


class BuildError(Exception):
    pass


def log(msg):
    print(f"disk: {msg}", file=sys.stderr, flush=True)


def keyfile():
    """The key file of LUKS keyslot 1: 64 fixed bytes (fixed so the cache key is stable)."""
    path = os.path.join(VMDIR, "root.key")
    data = hashlib.sha512(b"koompi-boot test key file, keyslot 1").digest()
    os.makedirs(VMDIR, exist_ok=True)
    if not os.path.exists(path) or open(path, "rb").read() != data:
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.chmod(path + ".tmp", 0o600)
        os.replace(path + ".tmp", path)
    return path


def kernel_cmdline(snapshot=SNAPSHOT_CURRENT, luks=True, extra=""):
    """The options= of a boot entry for the test install."""
    words = ["console=ttyS0,115200", "panic=-1", "no_timer_check"]
    if luks:
        words.append(f"rd.luks.name={LUKS_UUID}={LUKS_NAME}")
    words += [f"root=UUID={FS_UUID}", f"koompi.snapshot={snapshot}"]
    if extra:
        words.append(extra)
    return " ".join(words)


def tool(name):
    """The path of a host program (sbin included in the search)."""
    p = shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin:" + os.environ.get("PATH", ""))
    if not p:
        raise BuildError(f"{name} is not installed (see config/debian-packages.txt)")
    return p


def need_mkinitramfs():
    if not os.access(MKINITRAMFS, os.X_OK):
        raise BuildError(f"{MKINITRAMFS} is missing; run make first")


def make_initramfs(output, *, init=None, includes=(), modules=(), config=None,
                   compress="zstd", kver=None):
    """Builds an initramfs with build/koompi-mkinitramfs. includes: "SRC" or "SRC:DEST"."""
    need_mkinitramfs()
    # The cache of compressed host files stays in the build tree (make clean removes it).
    cmd = [MKINITRAMFS, "--kernel", kver or KVER, "--output", output, "--compress", compress,
           "--cache-dir", os.path.join(BUILD, "mkinitramfs-cache")]
    if config:
        cmd += ["--config", config]
    if init:
        cmd += ["--init", init]
    for inc in includes:
        cmd += ["--include", inc]
    for m in modules:
        cmd += ["--module", m]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise BuildError(f"koompi-mkinitramfs failed (status {r.returncode}):\n"
                         f"  {' '.join(cmd)}\n{r.stdout}")
    return output


# ---- the encrypted root disk ---------------------------------------------------

def _hash_files(h, paths):
    for p in paths:
        h.update(p.encode() + b"\0")
        with open(p, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())


# The variants of the encrypted disk. All have the same identities (LUKS and Btrfs UUIDs,
# passphrase, key file) and the roots @root-2024-12-01 and @root-current, @home and @var.
#   standard   the encrypted boot path (tests/vm/run.py, the demo, the benchmark)
#   rollback   + ROOT_NEW, the newest small root, whose init reboots; the small roots carry
#              koompi-boot and /etc/testroot-run (qemu/testroot-status.sh)
#   systemd    + ROOT_SYSTEMD, the newest root: a Debian root with systemd as its init
#              (qemu/systemd_root.py), copied in from an ext4 transfer image
#   argon2     the standard disk with argon2id keyslots (ARGON2_PBKDF_ARGS) and Btrfs
#              checksums by xxhash (whose driver the kernel asks for at mount time)
ROOT_NEW = "@root-new"
ROOT_SYSTEMD = "@root-systemd"
KOOMPI_BOOT = os.path.join(BUILD, "koompi-boot")
STATUS_SCRIPT = os.path.join(HERE, "testroot-status.sh")
DISK_FILES = {"standard": "luks-root.img", "rollback": "luks-rollback.img",
              "systemd": "luks-systemd.img", "argon2": "luks-argon2.img"}


def luks_disk_key(variant="standard", extra=b""):
    """What a cached disk depends on: the builder script, this module (the fixed
    identities), the test-root init, the kernel version, and what the variant adds."""
    h = hashlib.sha256()
    _hash_files(h, [BUILDER_INIT, os.path.abspath(__file__), TESTROOT_INIT])
    h.update(KVER.encode())
    if variant != "standard":
        h.update(variant.encode() + b"\0" + extra)
    return h.hexdigest()


def library_closure(binary):
    """The shared libraries BINARY loads on this host, and its interpreter (ldd's view)."""
    r = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        raise BuildError(f"ldd {binary} failed:\n{r.stdout}")
    libs = []
    for line in r.stdout.splitlines():
        parts = line.split()
        if "=>" in parts:
            i = parts.index("=>")
            if i + 1 < len(parts) and parts[i + 1].startswith("/"):
                libs.append(parts[i + 1])
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])  # the interpreter
    return libs


class _Lock:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.f = open(self.path, "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def build_luks_disk(force=False, variant="standard", extra_root=None):
    """Returns the path of the raw encrypted root disk of VARIANT, building it when needed.
    extra_root: for "systemd", (path of the ext4 transfer image, its cache key)."""
    if not os.access(TESTROOT_INIT, os.X_OK):
        raise BuildError(f"{TESTROOT_INIT} is missing; run make {os.path.relpath(TESTROOT_INIT, ROOT)}")
    if os.path.exists(TESTROOT_SRC) and os.path.getmtime(TESTROOT_SRC) > os.path.getmtime(TESTROOT_INIT):
        raise BuildError(f"{TESTROOT_INIT} is older than its source; run make "
                         f"{os.path.relpath(TESTROOT_INIT, ROOT)}")
    if variant not in DISK_FILES:
        raise ValueError(f"unknown disk variant {variant}")
    img = os.path.join(VMDIR, DISK_FILES[variant])
    name = DISK_FILES[variant][:-len(".img")]
    env_extra = ""
    includes = []
    modules = list(BUILDER_MODULES)
    disks = []
    size_mib = LUKS_DISK_MIB
    key_extra = b""
    pbkdf = PBKDF_ARGS
    if variant == "argon2":
        pbkdf = ARGON2_PBKDF_ARGS
        env_extra = "MKFS_ARGS='--csum xxhash'\n"
        modules.append("xxhash_generic")
        key_extra = (pbkdf + env_extra).encode()
    elif variant == "rollback":
        if not os.access(KOOMPI_BOOT, os.X_OK):
            raise BuildError(f"{KOOMPI_BOOT} is missing; run make")
        libs = library_closure(KOOMPI_BOOT)
        env_extra = f"ROOT_NEW={ROOT_NEW}\nSTATUS_TOOL=1\nSTATUS_LIBS='{' '.join(libs)}'\n"
        includes = [f"{KOOMPI_BOOT}:/usr/bin/koompi-boot",
                    f"{STATUS_SCRIPT}:/testroot/etc/testroot-run"]
        h = hashlib.sha256()
        _hash_files(h, [KOOMPI_BOOT, STATUS_SCRIPT])
        key_extra = h.digest() + " ".join(libs).encode()
    elif variant == "systemd":
        if not extra_root:
            raise ValueError("the systemd disk needs its root (extra_root)")
        xfer, xkey = extra_root
        env_extra = f"EXTRA_ROOT={ROOT_SYSTEMD}\nEXTRA_ROOT_DEV=/dev/vdb\n"
        modules.append("ext4")
        disks = [Disk(xfer, "raw", readonly=True)]
        # Room for the copied tree: the transfer image is sized from it with some slack.
        size_mib = LUKS_DISK_MIB + (os.path.getsize(xfer) >> 20) * 3 // 2
        key_extra = xkey.encode()
    stamp = img + ".stamp"
    with _Lock(os.path.join(VMDIR, f".{name}.lock")):
        key = luks_disk_key(variant, key_extra)
        if not force and os.path.exists(img) and os.path.exists(stamp) \
                and open(stamp).read().strip() == key:
            return img
        need_mkinitramfs()
        t0 = time.monotonic()
        log(f"building the encrypted root disk {os.path.relpath(img, ROOT)} (in a VM)")
        work = os.path.join(VMDIR, f"{name}-build" if variant != "standard" else "luks-build")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        for p in (img, stamp):
            if os.path.exists(p):
                os.unlink(p)
        env = os.path.join(work, "builder.env")
        with open(env, "w") as f:
            f.write(f"LUKS_UUID={LUKS_UUID}\nFS_UUID={FS_UUID}\nPASSPHRASE='{PASSPHRASE}'\n"
                    f"DISK=/dev/vda\nPART=/dev/vda1\nSNAPSHOT_OLD={SNAPSHOT_OLD}\n"
                    f"SNAPSHOT_CURRENT={SNAPSHOT_CURRENT}\nPBKDF_ARGS='{pbkdf}'\n" + env_extra)
        initrd = make_initramfs(
            os.path.join(work, "builder-initramfs.img"), init=BUILDER_INIT,
            includes=[tool(t) for t in BUILDER_TOOLS] + [f"{TESTROOT_INIT}:/testroot/sbin/init",
                                      f"{keyfile()}:/keyfile", f"{env}:/builder.env"] + includes,
            modules=modules)
        tmp = os.path.join(work, os.path.basename(img))
        with open(tmp, "wb") as f:
            f.truncate(size_mib << 20)
        _run(["sgdisk", "-o", "-n", "1:2048:0", "-t", f"1:{LUKS_PART_TYPE}",
              "-c", "1:koompi-root", "-u", f"1:{LUKS_PARTUUID}", tmp])
        vm = VM(f"{name}-builder", work, firmware=Firmware.DIRECT, kernel=KERNEL, initrd=initrd,
                append="console=ttyS0,115200 panic=-1 no_timer_check loglevel=4",
                disks=[Disk(tmp, "raw")] + disks, smp=1)
        try:
            vm.start()
            idx, m = vm.expect_any([r"KOOMPI-BUILDER: OK.*\n", r"KOOMPI-BUILDER: FAILED.*\n"], 900)
            if idx == 1:
                raise BuildError(f"the disk builder VM failed: {m.group(0).strip()}\n"
                                 f"---- console ({vm.log_path}) ----\n{vm.tail()}")
            vm.wait_exit(120)
        finally:
            vm.kill()
        os.replace(tmp, img)
        with open(stamp, "w") as f:
            f.write(key + "\n")
        log(f"encrypted root disk {os.path.relpath(img, ROOT)} built in "
            f"{time.monotonic() - t0:.1f} s")
        return img


# ---- the EFI System Partition ---------------------------------------------------

class Entry:
    """A Boot Loader Specification type #1 entry (loader/entries/ID.conf)."""

    def __init__(self, id, options, *, title=None, version=None, sort_key="koompi",
                 initrd="initramfs", kernel=None):
        self.id = id
        self.options = options
        self.title = title or f"KOOMPI OS ({id})"
        self.version = version or KVER
        self.sort_key = sort_key
        self.initrd = initrd   # key of the initramfs (see make_esp) or None
        self.kernel = kernel   # path on the host, default KERNEL

    def text(self, kernel_path, initrd_path):
        lines = [f"title {self.title}", f"version {self.version}", f"sort-key {self.sort_key}",
                 f"linux {kernel_path}"]
        if initrd_path:
            lines.append(f"initrd {initrd_path}")
        lines.append(f"options {self.options}")
        return "\n".join(lines) + "\n"


def _run(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise BuildError(f"{' '.join(args)} failed (status {r.returncode}):\n{r.stdout}")
    return r.stdout


def _mtools(args, img):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    r = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise BuildError(f"{' '.join(args)} failed on {img}:\n{r.stdout}")


ESP_OFFSET = 2048 * 512  # where make_esp() puts the partition


def esp_list(path, directory="/loader/entries"):
    """The names of the files in DIRECTORY of the ESP disk PATH (read with mtools, no mount).
    [] when the directory does not exist."""
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    r = subprocess.run(["mdir", "-b", "-i", f"{path}@@{ESP_OFFSET}", "::" + directory],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        if "not found" in r.stdout.lower():
            return []
        raise BuildError(f"mdir {directory} failed on {path}:\n{r.stdout}")
    return sorted(os.path.basename(ln.strip().rstrip("/")) for ln in r.stdout.splitlines()
                  if ln.strip())


def esp_read(path, file):
    """The text of FILE on the ESP disk PATH, None when it does not exist."""
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    r = subprocess.run(["mtype", "-i", f"{path}@@{ESP_OFFSET}", "::" + file],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return r.stdout if r.returncode == 0 else None


def make_esp(path, initramfs, entries, default=None, *, timeout=0, size_mib=None,
             extra_files=(), extra_dirs=()):
    """Makes PATH, a disk with a GPT and one EFI System Partition holding
    systemd-boot as the default loader (EFI/BOOT/BOOTX64.EFI), the kernel, the
    initramfs and the ENTRIES. initramfs is a file or a dict {key: file} that
    entries name by their initrd= key. Needs no root, no loop device."""
    if isinstance(initramfs, str):
        initramfs = {"initramfs": initramfs}
    kernels = {}
    for e in entries:
        kernels.setdefault(e.kernel or KERNEL, None)
    payload = sum(os.path.getsize(p) for p in list(initramfs.values()) + list(kernels)) \
        + os.path.getsize(SYSTEMD_BOOT) + sum(os.path.getsize(src) for src, _ in extra_files)
    if size_mib is None:
        size_mib = max(64, (payload >> 20) * 5 // 4 + 16)
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(size_mib << 20)
    _run(["sgdisk", "-o", "-n", "1:2048:0", "-t", f"1:{ESP_PART_TYPE}",
          "-c", "1:EFI System Partition", path])
    # Partition 1 runs from sector 2048 to the last usable one (the backup GPT takes 33).
    part_sectors = (size_mib << 11) - 2048 - 33
    _run(["mkfs.vfat", "--mbr=n", "-n", "KOOMPI-ESP", "--offset", "2048", path,
          str(part_sectors // 2)])
    img = f"{path}@@{2048 * 512}"
    _mtools(["mmd", "-i", img, "::/EFI", "::/EFI/BOOT", "::/loader", "::/loader/entries",
             "::/koompi"] + ["::" + d for d in extra_dirs], path)
    staged = os.path.join(os.path.dirname(os.path.abspath(path)),
                          os.path.basename(path) + ".files")
    shutil.rmtree(staged, ignore_errors=True)
    os.makedirs(os.path.join(staged, "entries"))
    copies = [(SYSTEMD_BOOT, "::/EFI/BOOT/BOOTX64.EFI")]
    kpath = {}
    for k in kernels:
        kver = os.path.basename(k)[len("vmlinuz-"):] if os.path.basename(k).startswith("vmlinuz-") \
            else KVER
        kpath[k] = f"/koompi/vmlinuz-{kver}"
        copies.append((k, "::" + kpath[k]))
    ipath = {}
    for key, p in initramfs.items():
        ipath[key] = f"/koompi/initramfs-{key}.img"
        copies.append((p, "::" + ipath[key]))
    conf = os.path.join(staged, "loader.conf")
    with open(conf, "w") as f:
        f.write(f"timeout {timeout}\neditor no\nauto-entries no\nauto-firmware no\n")
        if default:
            # An entry id, or a pattern as systemd-boot takes it ("koompi-*").
            pattern = "*" in default or default.endswith(".conf")
            f.write(f"default {default if pattern else default + '.conf'}\n")
    copies.append((conf, "::/loader/loader.conf"))
    for e in entries:
        p = os.path.join(staged, "entries", f"{e.id}.conf")
        with open(p, "w") as f:
            f.write(e.text(kpath[e.kernel or KERNEL], ipath[e.initrd] if e.initrd else None))
        copies.append((p, f"::/loader/entries/{e.id}.conf"))
    for src, dest in extra_files:
        copies.append((src, "::" + dest))
    for src, dest in copies:
        _mtools(["mcopy", "-o", "-i", img, src, dest], path)
    shutil.rmtree(staged, ignore_errors=True)
    return path
