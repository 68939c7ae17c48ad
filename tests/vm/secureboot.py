# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM tests of Secure Boot with the school's own keys and signed unified kernel images; run by
tests/vm/run.py with the others (SCENARIOS below).

  secureboot-uki  on the host: koompi-boot secureboot keygen, entries sync with
                  [boot] image = uki (a loop Btrfs holding @root-current) writes the signed
                  UKI, secureboot enroll signs systemd-boot and writes loader/keys/auto/*.auth.
                  OVMF's Secure Boot build starts in setup mode: systemd-boot enrolls the keys
                  and resets; the next boot runs with Secure Boot on (the kernel says so), the
                  passphrase opens the volume and @root-current comes up from the UKI, whose
                  counter systemd-boot lowered (+2-1). Then one byte of the UKI's command line
                  is changed on the ESP: the firmware refuses to start it.

One firmware variable store, ESP and disk overlay for all the boots, as the rollback scenarios.
The firmware's refusal leaves it waiting at its boot menu: that boot is stopped by the test
once the refusal is on the console.
"""

import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vmtest  # noqa: E402,F401  (sets up the import path of qemu/)
import disk  # noqa: E402
from testroot import PROMPT, WRONG  # noqa: E402
from vm import OVMF_CODE_SECBOOT, Disk, Firmware, qcow2_overlay  # noqa: E402
from vmtest import T_EXIT, T_PROMPT, Failure, Scenario, Skip, check  # noqa: E402

CURRENT = disk.SNAPSHOT_CURRENT
UKI_DIR = "/EFI/Linux"
TOOLS = ("mkfs.btrfs", "btrfs", "objcopy", "openssl", "sbsign", "cert-to-efi-sig-list", "sign-efi-sig-list",
         "mcopy")
ENROLLED = r"(?i)enroll"
REFUSED = r"Access Denied|Security Violation"
SB_ON = r"Secure boot enabled|UEFI Secure Boot is enabled"


def run(args, what):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise Failure(f"{what} failed (status {r.returncode}): {' '.join(args)}\n{r.stdout}")
    return r.stdout


class LoopTop:
    """A Btrfs top level in a loop file, holding the read-only roots NAMES (empty, made in that
    order: the last is the newest) and @var with LEDGER (text) as its ledger, mounted at DIR for
    the with block: what entries sync reads the roots from."""

    def __init__(self, workdir, names, ledger=None):
        self.img = os.path.join(workdir, "top.img")
        self.dir = os.path.join(workdir, "top")
        self.names = [names] if isinstance(names, str) else list(names)
        self.ledger = ledger

    def __enter__(self):
        with open(self.img, "wb") as f:
            f.truncate(128 << 20)
        os.makedirs(self.dir, exist_ok=True)
        run(["mkfs.btrfs", "-q", "-f", self.img], "mkfs.btrfs")
        run(["mount", "-o", "loop", self.img, self.dir], "mounting the loop Btrfs")
        for sub in [disk.SUBVOL_VAR] + self.names:
            run(["btrfs", "-q", "subvolume", "create", os.path.join(self.dir, sub)], "btrfs subvolume create")
            if sub != disk.SUBVOL_VAR:
                run(["btrfs", "property", "set", "-ts", os.path.join(self.dir, sub), "ro", "true"], "read-only")
        if self.ledger:
            os.makedirs(os.path.join(self.dir, disk.SUBVOL_VAR, "lib", "koompi"))
            with open(os.path.join(self.dir, disk.SUBVOL_VAR, "lib", "koompi", "ledger"), "w") as f:
                f.write(self.ledger)
        return self.dir

    def __exit__(self, *exc):
        subprocess.run(["umount", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.unlink(self.img)


def koompi_boot(*args):
    return run([disk.KOOMPI_BOOT, *args], "koompi-boot " + " ".join(a for a in args if not a.startswith("/")))


def staged_files(staging):
    """(source, path on the ESP) of every file under STAGING, and the folders they need."""
    files, dirs = [], []
    for top, subdirs, names in os.walk(staging):
        rel = os.path.relpath(top, staging)
        if rel != "." and rel not in ("EFI", "EFI/BOOT", "loader", "loader/entries", "koompi"):
            dirs.append("/" + rel)
        files += [(os.path.join(top, n), "/" + os.path.normpath(os.path.join(rel, n))) for n in names]
    return files, sorted(dirs)


def alter_cmdline(esp, name, workdir):
    """Changes one byte of the command line inside the UKI NAME on the ESP disk."""
    img = f"{esp}@@{disk.ESP_OFFSET}"
    local = os.path.join(workdir, "altered.efi")
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    subprocess.run(["mcopy", "-o", "-i", img, f"::{UKI_DIR}/{name}", local], env=env, check=True)
    with open(local, "r+b") as f:
        data = f.read()
        at = data.find(b"koompi.snapshot=")
        check(at > 0, f"{name} holds no koompi.snapshot= in its command line")
        f.seek(at)
        f.write(b"K")
    subprocess.run(["mcopy", "-o", "-i", img, local, f"::{UKI_DIR}/{name}"], env=env, check=True)


class SecureBootUki(Scenario):
    name = "secureboot-uki"
    doc = ("own keys enrolled by systemd-boot; with Secure Boot on, the signed systemd-boot and "
           "signed UKI boot @root-current (counted on the UKI's name); an altered UKI is refused")

    def prepare(self):
        missing = [t for t in TOOLS if not shutil.which(t)]
        if missing:
            raise Skip(f"missing {', '.join(missing)} (make deps)")
        if os.geteuid() != 0:
            raise Skip("entries sync needs a Btrfs in a loop file: run as root")
        if not os.path.exists(OVMF_CODE_SECBOOT):
            raise Skip(f"no {OVMF_CODE_SECBOOT} (package ovmf)")

    def make_esp_files(self, initrd):
        """The ESP's files as koompi-boot writes them, in a staging folder."""
        keys = os.path.join(self.workdir, "keys")
        staging = os.path.join(self.workdir, "esp-files")
        conf = os.path.join(self.workdir, "boot.conf")
        with open(conf, "w") as f:
            f.write(f"[boot]\nimage = uki\n[secureboot]\nkeys = {keys}\n")
        os.makedirs(os.path.join(staging, "loader"))
        with open(os.path.join(staging, "loader", "loader.conf"), "w") as f:
            f.write("timeout 0\nauto-entries no\nauto-firmware no\n")
        koompi_boot("--config", conf, "secureboot", "keygen")
        # No "quiet": the kernel's line about Secure Boot is the guest's word for it.
        options = disk.kernel_cmdline(CURRENT)
        with LoopTop(self.workdir, CURRENT) as top:
            koompi_boot("--top", top, "--esp", staging, "--config", conf, "entries", "sync", "--kernel", disk.KERNEL,
                        "--initrd", initrd, "--options", options)
        koompi_boot("--esp", staging, "--config", conf, "secureboot", "enroll")
        return staging

    def run(self):
        self.prepare()
        self.fresh_workdir()
        initrd = self.shared.initramfs()
        files, dirs = staged_files(self.make_esp_files(initrd))
        esp = disk.make_esp(os.path.join(self.workdir, "esp.img"), initrd, [], None, extra_files=files,
                            extra_dirs=dirs)
        ukis = disk.esp_list(esp, UKI_DIR)
        check(ukis == ["koompi-root-current+3.efi"], f"EFI/Linux holds {ukis}")
        overlay = qcow2_overlay(self.shared.luks_disk(), os.path.join(self.workdir, "luks-root.qcow2"))
        disks = [Disk(esp, "raw", bootindex=0), Disk(overlay, "qcow2")]

        # 1. Setup mode: systemd-boot enrolls the keys, then resets (QEMU exits: -no-reboot).
        self.start_vm(disks=disks, firmware=Firmware.OVMF_SECBOOT, log_name="console-enroll.log")
        self.expect(ENROLLED, T_PROMPT, bad=[PROMPT])
        self.vm.wait_exit(T_EXIT)
        self.note(f"keys enrolled in {self.vm.elapsed():.1f} s")

        # 2. Secure Boot on: the signed loader and UKI start; the root comes up.
        self.start_vm(disks=disks, firmware=Firmware.OVMF_SECBOOT, log_name="console.log")
        self.expect(SB_ON, T_PROMPT, bad=[REFUSED, PROMPT])
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, REFUSED])
        self.note(f"prompt {self.vm.elapsed():.1f} s after QEMU started, Secure Boot on")
        self.vm.sendline(disk.PASSPHRASE)
        rep = self.testroot_report(bad=[WRONG, PROMPT])
        self.check_root(rep, CURRENT)
        check("koompi.snapshot=@root-current" in self.vm.transcript or rep["root"] == CURRENT,
              "the UKI's command line did not name the root")
        self.finish()
        ukis = disk.esp_list(esp, UKI_DIR)
        check(ukis == ["koompi-root-current+2-1.efi"], f"systemd-boot did not count the UKI: EFI/Linux holds {ukis}")

        # 3. One byte of the command line changed: the firmware refuses the UKI.
        alter_cmdline(esp, ukis[0], self.workdir)
        self.start_vm(disks=disks, firmware=Firmware.OVMF_SECBOOT, log_name="console-altered.log")
        m = self.expect(REFUSED, T_PROMPT, bad=[PROMPT])
        self.note(f"the altered UKI refused: {m.group(0)!r}")
        self.vm.kill()


SCENARIOS = [SecureBootUki]
