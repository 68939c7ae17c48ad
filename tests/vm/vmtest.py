# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the VM test scenarios share (tests/vm/run.py runs them): the disks and images built
once per run, the Scenario base class, its boots and checks."""

import json
import os
import re
import shutil
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "qemu"))
import disk  # noqa: E402
from disk import Entry  # noqa: E402
import testroot  # noqa: E402
from testroot import FATAL  # noqa: E402
from testroot import REPORT as TESTROOT  # noqa: E402
from vm import VM, Disk, Firmware, VMError, qcow2_overlay  # noqa: E402

RUNDIR = os.path.join(disk.VMDIR, "run")
KOOMPI_INIT = os.path.join(disk.BUILD, "koompi-init")
# The boot.conf carried in the test images; another can be given to look into a failure.
BOOT_CONF = os.environ.get("KOOMPI_VM_BOOT_CONF") or os.path.join(ROOT, "config", "boot.conf")

WRONG_PASSPHRASE = "not-the-koompi-passphrase"

# Generous: TCG on a busy machine can be several times slower than usual.
T_PROMPT = 300
T_ROOT = 300
T_EXIT = 120


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# ---- what the scenarios share, built on first use ---------------------------------

class Shared:
    def __init__(self):
        self._lock = threading.Lock()
        self._locks = {}
        self._done = {}
        self.timings = {}
        self.rebuild = False

    def _once(self, key, fn):
        # One lock per thing built: a long build (the systemd root) does not hold up the
        # scenarios that need something else.
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._done:
                t = time.monotonic()
                try:
                    self._done[key] = (True, fn())
                except Exception as e:  # remembered: every scenario needing it fails the same way
                    self._done[key] = (False, e)
                self.timings[key] = time.monotonic() - t
            ok, val = self._done[key]
            if not ok:
                raise val
            return val

    def luks_disk(self, variant="standard"):
        if variant == "systemd":
            return self._once("encrypted disk (systemd)", lambda: disk.build_luks_disk(
                force=self.rebuild, variant="systemd", extra_root=self.systemd_root()))
        label = "encrypted root disk" if variant == "standard" else f"encrypted disk ({variant})"
        return self._once(label, lambda: disk.build_luks_disk(force=self.rebuild, variant=variant))

    def systemd_root(self):
        import systemd_root

        def build():
            try:
                return systemd_root.transfer_image()
            except systemd_root.Unavailable as e:
                raise Skip(f"no root with systemd: {e}")
        return self._once("systemd root (debootstrap, ext4 image)", build)

    def initramfs(self, kind="standard"):
        def build():
            if not os.access(KOOMPI_INIT, os.X_OK):
                raise Failure(f"{KOOMPI_INIT} is missing (run make)")
            includes = []
            if kind == "keyfile":
                includes.append(f"{disk.keyfile()}:{disk.KEYFILE_IN_IMAGE}")
            out = os.path.join(RUNDIR, f"initramfs-{kind}.img")
            return disk.make_initramfs(out, config=BOOT_CONF, includes=includes)
        return self._once(f"initramfs ({kind})", build)


class Scenario:
    """One test: one or more boots. Subclasses set name/doc and define run(self)."""
    name = ""
    doc = ""
    exclusive = False  # timing-sensitive: runs alone, after the others

    def __init__(self, shared, echo=False):
        self.shared = shared
        self.echo = echo
        self.notes = []
        self.vm = None
        self.vms = []
        self.workdir = os.path.join(RUNDIR, self.name)

    def note(self, msg):
        self.notes.append(msg)

    def fresh_workdir(self):
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.makedirs(self.workdir)

    def boot(self, entries, default, initramfs="standard", luks=True, variant="standard",
             **vm_args):
        self.fresh_workdir()
        initrd = self.shared.initramfs(initramfs)
        esp = disk.make_esp(os.path.join(self.workdir, "esp.img"), initrd, entries, default)
        disks = [Disk(esp, "raw", bootindex=0)]
        if luks:
            base = self.shared.luks_disk(variant)
            disks.append(Disk(qcow2_overlay(base, os.path.join(self.workdir, "luks-root.qcow2")),
                              "qcow2"))
        return self.start_vm(disks=disks, **vm_args)

    def start_vm(self, log_name="console.log", **kw):
        """Starts QEMU (OVMF by default) in the workdir. Later starts in one scenario keep
        the firmware variables of the first (fresh_vars=False) and log to log_name."""
        kw.setdefault("firmware", Firmware.OVMF)
        kw.setdefault("fresh_vars", not self.vms)
        self.vm = VM(self.name, self.workdir, echo=self.echo, log_name=log_name, **kw)
        self.vms.append(self.vm)
        self.vm.start()
        return self.vm

    def expect(self, pattern, timeout, bad=()):
        """Waits for pattern; fails at once if a FATAL or `bad` pattern comes first."""
        pats = [pattern] + list(bad) + FATAL
        idx, m = self.vm.expect_any(pats, timeout)
        if idx != 0:
            self.vm._fail(VMError, f"waiting for /{pattern}/, the console showed instead: "
                                   f"{m.group(0).strip()!r}")
        return m

    def testroot_report(self, timeout=T_ROOT, bad=()):
        """Waits for the test root's report; returns its fields."""
        m = self.expect(TESTROOT, timeout, bad)
        return testroot.read_report(self.vm, m)

    def check_root(self, rep, snapshot, note=True):
        check(rep["root"] == snapshot, f"/ is {rep['root']}, expected {snapshot}")
        check(rep["root_name"] == snapshot,
              f"/etc/koompi-root-name says {rep['root_name']}, expected {snapshot}")
        check(rep["ro"] == "1", "/ is mounted read-write")
        check(rep["home"] == f"rw:{disk.SUBVOL_HOME}",
              f"/home is {rep['home']}, expected rw:{disk.SUBVOL_HOME}")
        check(rep["var"] == f"rw:{disk.SUBVOL_VAR}",
              f"/var is {rep['var']}, expected rw:{disk.SUBVOL_VAR}")
        check(rep["home_marker"] == "koompi-home",
              f"/home/koompi-home-marker: {rep['home_marker']}")
        check(rep["write"]["root"] == "EROFS", f"writing to / gave {rep['write']['root']}")
        check(rep["write"]["home"] == "ok", f"writing to /home gave {rep['write']['home']}")
        check(rep["write"]["var"] == "ok", f"writing to /var gave {rep['write']['var']}")
        bj = rep["boot_json"]
        check(bj is not None, f"/run/koompi/boot.json missing or not JSON: "
                              f"{rep.get('boot_json_raw', '')[:300]}")
        check(snapshot in json.dumps(bj), f"boot.json does not name {snapshot}: {json.dumps(bj)}")
        timeline = [k for k in rep["kmsg"] if "koompi-init: timeline" in k]
        dropped = [k for k in rep["kmsg"] if "ratelimiting" in k]
        check(timeline, "no \"koompi-init: timeline\" line in the kernel log; the test root found "
                        f"{len(rep['kmsg']) - len(dropped)} koompi-init line(s) there"
                        + (f", the last: {rep['kmsg'][-1 - len(dropped)]!r}"
                           if len(rep["kmsg"]) > len(dropped) else "")
                        + (f"; the kernel dropped some: {dropped[0]!r}" if dropped else ""))
        if note:
            self.note(f"root up {rep['up_s']:.1f} s after QEMU started")
            self.note("boot.json " + json.dumps(bj, separators=(",", ":")))

    def finish(self):
        st = self.vm.wait_exit(T_EXIT)
        check(st == 0, f"QEMU exit status {st}")

    def check_secrets(self):
        for vm in self.vms:
            text = vm.transcript
            for secret in (disk.PASSPHRASE, WRONG_PASSPHRASE):
                check(secret not in text,
                      f"the passphrase {secret!r} appears in the console transcript {vm.log_path}")

    def execute(self):
        try:
            self.run()
            self.check_secrets()
        finally:
            for vm in self.vms:
                vm.kill()


def entries_for(snapshots=(disk.SNAPSHOT_CURRENT, disk.SNAPSHOT_OLD), extra="quiet"):
    out = []
    for i, snap in enumerate(snapshots):
        out.append(Entry(f"koompi-{snap.lstrip('@')}", disk.kernel_cmdline(snap, extra=extra),
                         title=f"KOOMPI OS {snap}", sort_key=f"koompi-{i}"))
    return out


def excerpt(text, pattern, before=3, after=3):
    """The lines around the first match of PATTERN in TEXT, for a report."""
    lines = text.split("\n")
    for i, ln in enumerate(lines):
        if re.search(pattern, ln):
            return "\n".join(lines[max(0, i - before):i + after + 1])
    return ""
