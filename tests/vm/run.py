#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM tests of the encrypted boot path and of rollback (make vm-check).

    python3 tests/vm/run.py                 every scenario
    python3 tests/vm/run.py NAME...         only these
    python3 tests/vm/run.py --list          their names
    python3 tests/vm/run.py -j 2            two VMs at a time
    python3 tests/vm/run.py -v              echo the consoles

Each scenario boots QEMU (TCG) through OVMF and systemd-boot from its own ESP
disk (or with -kernel), with a copy-on-write overlay of a shared encrypted root
disk built once in build/vm/ (qemu/disk.py). The test root's init
(tests/vm/testroot-init.c) reports on the console what it finds; the scenarios
check those lines. The rollback scenarios are in tests/vm/rollback.py, those of the
recovery menu in tests/vm/recovery.py.
Console transcripts: build/vm/run/NAME/console*.log.
"""

import argparse
import concurrent.futures
import importlib
import os
import re
import signal
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "qemu"))
import disk  # noqa: E402
from disk import Entry  # noqa: E402
from testroot import PROMPT, WRONG  # noqa: E402
from testroot import REPORT as TESTROOT  # noqa: E402
from vm import VMError, timeout_scale  # noqa: E402
from vmtest import (RUNDIR, T_PROMPT, T_ROOT, WRONG_PASSPHRASE, Failure, Scenario,  # noqa: E402
                    Shared, Skip, check, entries_for)
import rollback  # noqa: E402

# Other scenario modules beside this file, each with a SCENARIOS list, run with these.
EXTRA_MODULES = ["recovery", "powercut", "secureboot", "tpm2", "release"]

# A UUID no attached disk has (missing-device).
ABSENT_UUID = "0badc0de-0000-4000-8000-00000000dead"


# ---- the scenarios ---------------------------------------------------------------

class BootPassphrase(Scenario):
    name = "boot-passphrase"
    doc = "passphrase typed at the prompt; @root-current read-only, @home and @var writable"

    def run(self):
        ents = entries_for()
        self.boot(ents, ents[0].id)
        self.expect(PROMPT, T_PROMPT, bad=[WRONG])
        self.note(f"prompt {self.vm.elapsed():.1f} s after QEMU started")
        self.vm.sendline(disk.PASSPHRASE)
        rep = self.testroot_report(bad=[WRONG, PROMPT])
        self.check_root(rep, disk.SNAPSHOT_CURRENT)
        self.finish()


class BootSnapshot(Scenario):
    name = "boot-snapshot"
    doc = "an entry with koompi.snapshot=@root-2024-12-01 boots that root"

    def run(self):
        ents = entries_for()
        self.boot(ents, ents[1].id)
        self.expect(PROMPT, T_PROMPT, bad=[WRONG])
        self.vm.sendline(disk.PASSPHRASE)
        rep = self.testroot_report(bad=[WRONG, PROMPT])
        self.check_root(rep, disk.SNAPSHOT_OLD)
        self.finish()


class BootKeyfile(Scenario):
    name = "boot-keyfile"
    doc = "a key file in the image unlocks the volume: no prompt"

    def run(self):
        ents = entries_for(extra=f"quiet rd.luks.key={disk.KEYFILE_IN_IMAGE}")
        self.boot(ents, ents[0].id, initramfs="keyfile")
        rep = self.testroot_report(bad=[PROMPT, WRONG])
        self.check_root(rep, disk.SNAPSHOT_CURRENT)
        self.finish()


class BootNoAesni(Scenario):
    name = "boot-no-aesni"
    doc = ("a processor without AES-NI (the kernel's generic AES, xts over ecb) and the key "
           "file: the volume opens with the module helper off, no module load is said to fail")

    def run(self):
        ents = entries_for(extra=f"quiet rd.luks.key={disk.KEYFILE_IN_IMAGE}")
        self.boot(ents, ents[0].id, initramfs="keyfile", cpu="max,aes=off")
        rep = self.testroot_report(bad=[PROMPT, WRONG])
        self.check_root(rep, disk.SNAPSHOT_CURRENT)
        failed = [k for k in rep["kmsg"] if "failed" in k or "trying again" in k]
        check(not failed, f"koompi-init reported: {failed}")
        self.finish()


class KeyslotRemembered(Scenario):
    name = "keyslot-remembered"
    doc = ("two keyslots (passphrase, key file): the first boot derives a key for each, "
           "remembers the key file's, the next derives one")
    # libcryptsetup's debug log says this once per key derived from a keyslot: counted in
    # koompi-init's console lines ("[N ms] koompi-init: ..."), not in the kernel log's copies.
    DERIVED = r"(?m)^\[ *\d+ ms\] koompi-init: cryptsetup: Verifying key from keyslot (\d+)"

    def derived(self):
        return [int(s) for s in re.findall(self.DERIVED, self.vm.transcript)]

    def run(self):
        ents = entries_for(extra=f"rd.debug rd.luks.key={disk.KEYFILE_IN_IMAGE}")
        self.boot(ents, ents[0].id, initramfs="keyfile")
        rep = self.testroot_report(bad=[PROMPT, WRONG])
        self.check_root(rep, disk.SNAPSHOT_CURRENT, note=False)
        first = self.derived()
        self.note(f"first boot: keys derived from keyslots {first}")
        check(first == [0, 1], f"the first boot derived keys from keyslots {first}, "
                               "expected [0, 1] (the passphrase's slot first, then the key file's)")
        check("keyslot 1 will be tried first from now on" in self.vm.transcript,
              "koompi-init did not say it remembers keyslot 1")
        self.finish()

        self.start_vm(log_name="console-2.log", disks=self.vm.disks)
        rep = self.testroot_report(bad=[PROMPT, WRONG])
        self.check_root(rep, disk.SNAPSHOT_CURRENT, note=False)
        second = self.derived()
        self.note(f"second boot: keys derived from keyslots {second}")
        check(second == [1], f"the second boot derived keys from keyslots {second}, expected "
                             "[1]: one key derivation, the remembered keyslot")
        check("will be tried first" not in self.vm.transcript,
              "the second boot wrote the keyslot preference again")
        self.finish()


class BootArgon2(Scenario):
    name = "boot-argon2id"
    doc = ("keyslots with argon2id, cryptsetup's default key derivation (64 MiB, 4 passes), and "
           "Btrfs checksums by xxhash: the passphrase opens the volume, the root mounts")

    def run(self):
        ents = entries_for()
        self.boot(ents, ents[0].id, variant="argon2")
        self.expect(PROMPT, T_PROMPT, bad=[WRONG])
        typed = time.monotonic()
        self.vm.sendline(disk.PASSPHRASE)
        rep = self.testroot_report(bad=[WRONG, PROMPT])
        self.note(f"root up {time.monotonic() - typed:.1f} s after the passphrase was typed")
        self.check_root(rep, disk.SNAPSHOT_CURRENT, note=False)
        check(rep["boot_json"].get("keyslot") == 0,
              f"boot.json says keyslot {rep['boot_json'].get('keyslot')}, expected 0 (the "
              "passphrase's)")
        # The first mount asks for the xxhash driver, which nobody loads with the module
        # helper off: the kernel says so, and koompi-init loads it and mounts again.
        check("xxhash64" in self.vm.transcript,
              "the kernel never mentioned xxhash64: is the filesystem's checksum xxhash?")
        self.finish()


class WrongPassphrase(Scenario):
    name = "wrong-passphrase"
    doc = "a wrong passphrase is refused with the tries left, then the right one boots"

    def run(self):
        ents = entries_for(extra="quiet rd.luks.options=tries=3")
        self.boot(ents, ents[0].id)
        self.expect(PROMPT, T_PROMPT, bad=[WRONG])
        self.vm.sendline(WRONG_PASSPHRASE)
        m = self.expect(WRONG, T_PROMPT)
        said = m.group(0).strip()
        p = self.expect(PROMPT, T_PROMPT, bad=[TESTROOT])
        between = self.vm.transcript[m.start():p.start()]
        check(re.search(r"\b2\b", between),
              f"the refusal does not give the tries left (2): {between.strip()!r}")
        self.note(f"refusal: {said!r}")
        self.vm.sendline(disk.PASSPHRASE)
        rep = self.testroot_report(bad=[WRONG, PROMPT])
        self.check_root(rep, disk.SNAPSHOT_CURRENT)
        self.finish()


class MissingDevice(Scenario):
    name = "missing-device"
    doc = "rd.luks.uuid= of a volume not attached: a message naming it within rd.timeout + 5 s"
    RD_TIMEOUT = 5
    exclusive = True
    FAILURE_WORDS = (r"(?i)(not found|never appeared|did not appear|missing|no (luks )?(device|volume)"
                     r"|timed? ?out|gave up|not attached|cannot|could not|couldn't|failed|no disk)")

    def run(self):
        # The real encrypted disk stays attached: the UUID asked for is another one.
        opts = (f"console=ttyS0,115200 panic=-1 no_timer_check rd.luks.uuid={ABSENT_UUID} "
                f"root=UUID={disk.FS_UUID} rd.timeout={self.RD_TIMEOUT}")
        ents = [Entry("koompi-absent", opts, title="KOOMPI OS (absent volume)")]
        self.boot(ents, ents[0].id)
        # No "quiet": the kernel says when it starts /init, and koompi-init's log shows.
        self.expect(r"Run /init as init process|koompi-init", T_PROMPT)
        start = self.vm.match_time
        self.note(f"koompi-init started {start - self.vm.started_at:.1f} s after QEMU started")
        limit = self.RD_TIMEOUT + 5
        deadline = start + limit * 1.0
        while True:
            m = self.expect(r"[^\n]*" + re.escape(ABSENT_UUID) + r"[^\n]*\n", T_ROOT,
                            bad=[PROMPT, TESTROOT])
            line = m.group(0).strip()
            if re.search(self.FAILURE_WORDS, line):
                break
            self.note(f"(not yet the failure) {line!r}")
        took = self.vm.match_time - start
        self.note(f"message {took:.1f} s after koompi-init started: {line!r}")
        check(self.vm.match_time <= deadline,
              f"the message came {took:.1f} s after koompi-init started, more than "
              f"rd.timeout + 5 = {limit} s")


# The long scenarios first, so that two VMs run side by side as long as possible.
SCENARIOS = rollback.SCENARIOS + [BootPassphrase, BootSnapshot, BootKeyfile, BootNoAesni,
                                  KeyslotRemembered, BootArgon2, WrongPassphrase, MissingDevice]
for _name in EXTRA_MODULES:
    if os.path.exists(os.path.join(HERE, _name + ".py")):
        SCENARIOS += importlib.import_module(_name).SCENARIOS


# ---- running them ------------------------------------------------------------------

_print_lock = threading.Lock()


def say(msg=""):
    with _print_lock:
        print(msg, flush=True)


def run_one(cls, shared, echo):
    sc = cls(shared, echo)
    t0 = time.monotonic()
    status, detail = "PASS", ""
    try:
        sc.execute()
    except Skip as e:
        status, detail = "SKIP", str(e)
    except (Failure, VMError, disk.BuildError) as e:
        status, detail = "FAIL", str(e)
    except Exception:
        status, detail = "FAIL", traceback.format_exc()
    dt = time.monotonic() - t0
    lines = [f"{status} {sc.name} ({dt:.1f} s)"]
    lines += [f"    {n}" for n in sc.notes]
    if detail:
        lines += ["    " + ln for ln in detail.rstrip().split("\n")]
    for vm in sc.vms:
        lines.append(f"    console: {os.path.relpath(vm.log_path, ROOT)}")
    say("\n".join(lines))
    return sc.name, status, dt, detail


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="scenarios to run (default: all)")
    ap.add_argument("-j", "--jobs", type=int,
                    default=int(os.environ.get("KOOMPI_VM_JOBS", "0")) or min(2, os.cpu_count() or 1),
                    help="VMs run at the same time (default: 2 on 2 or more CPUs, or $KOOMPI_VM_JOBS);"
                         " timing-sensitive scenarios always run alone")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the VM consoles to stderr")
    ap.add_argument("--list", action="store_true", help="list the scenarios")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the encrypted disk")
    ap.add_argument("--power-cuts", action="store_true",
                    help="every power-cut scenario (tests/vm/powercut.py), not only the sample")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))  # so the VMs are killed on the way out

    if args.list:
        for c in SCENARIOS:
            print(f"{c.name:20} {c.doc}")
        return 0
    import powercut
    if args.power_cuts and not args.names:
        args.names = [c.name for c in powercut.ALL]
    by_name = {c.name: c for c in SCENARIOS + powercut.ALL}
    unknown = [n for n in args.names if n not in by_name]
    if unknown:
        print(f"vm: unknown scenario(s): {' '.join(unknown)}; known: {' '.join(by_name)}",
              file=sys.stderr)
        return 2
    chosen = [by_name[n] for n in args.names] if args.names else SCENARIOS

    t0 = time.monotonic()
    os.makedirs(RUNDIR, exist_ok=True)
    shared = Shared()
    shared.rebuild = args.rebuild
    say(f"vm: {len(chosen)} scenario(s), kernel {disk.KVER}, {args.jobs} at a time, "
        f"timeouts x{timeout_scale():g}")
    together = [c for c in chosen if not c.exclusive]
    alone = [c for c in chosen if c.exclusive]
    results = []
    if args.jobs <= 1 or len(together) <= 1:
        for c in together:
            results.append(run_one(c, shared, args.verbose))
    else:
        # The first scenario needing the shared disk or an image builds it; the others wait.
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            futs = [ex.submit(run_one, c, shared, args.verbose) for c in together]
            results = [f.result() for f in futs]
    for c in alone:
        results.append(run_one(c, shared, args.verbose))

    for what, secs in shared.timings.items():
        say(f"vm: {what}: {secs:.1f} s")
    passed = sum(1 for r in results if r[1] == "PASS")
    failed = [r for r in results if r[1] == "FAIL"]
    skipped = [r for r in results if r[1] == "SKIP"]
    for name, _, _, why in skipped:
        say(f"vm: skipped {name}: {why}")
    summary = f"vm: {passed} passed, {len(failed)} failed"
    if skipped:
        summary += f", {len(skipped)} skipped"
    say(f"vm: total {time.monotonic() - t0:.1f} s")
    say(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
