# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM tests of automatic rollback (issue "What it must show", VM tests 1-4); run by
tests/vm/run.py with the others.

  rollback-counting  systemd-boot counts: @root-new (its init reboots) three times, then
                     @root-current by itself; the entry is +0-3; the ALERT on the console
                     and in koompi-boot status --json; the next boot goes to @root-current
  rollback-kernel    the same with QEMU -kernel (no counting loader): koompi-init counts in
                     the ledger
  abandoned-prompt   three boots of @root-new killed at the passphrase prompt do not spend
                     its tries: they are given back, and @root-new comes up after
  systemd-bless      a Debian root with systemd as its init: boot-complete.target is
                     reached, koompi-boot-mark-good.service blesses the boot, the entry
                     loses its counter
  update-in-vm       the same root runs koompi-boot update itself, reboots: the new dated
                     root comes up with its change, is blessed and shown booted and good
  agent-health       the same root with koompi-agent and koompi-health under systemd:
                     koompi-health.service passes before boot-complete.target, the boot is
                     blessed, busctl introspects org.koompi.Agent1, koompi health shows the
                     built-in checks
  agent-health-fails the same root with koompi.test=health-fail: its required check
                     koompi-test-check fails, koompi-health marks the boot bad (+0) and the
                     machine reboots; the next boot is on @root-current, with koompi-init's
                     ALERT naming @root-systemd

The OVMF scenarios keep one firmware variable store (OVMF_VARS.fd in the workdir) and one
ESP and disk overlay across all their boots: guest reboots stay in the same QEMU
(no -no-reboot), and a new QEMU started later in the scenario reuses them.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vmtest  # noqa: E402,F401  (sets up the import path of qemu/)
import disk  # noqa: E402
from disk import Entry  # noqa: E402
from espfsck import boot_fsck, fsck_notes  # noqa: E402
from testroot import PROMPT, WRONG, read_status  # noqa: E402
from vm import Disk, Firmware, VMError, qcow2_overlay  # noqa: E402
from vmtest import T_EXIT, T_PROMPT, T_ROOT, Failure, Scenario, check  # noqa: E402

NEW = disk.ROOT_NEW
CURRENT = disk.SNAPSHOT_CURRENT
SYSTEMD = disk.ROOT_SYSTEMD
ALERT = r"(?m)^(?:\[[^]\n]*\] )?koompi-init: ALERT: ([^\n]*)"
# koompi-init gave up: waiting on would only run into the timeout.
BOOT_FAILED = r"koompi-init: BOOT FAILED[^\n]*\n(?:[^\n]*\n){0,3}"
TRIES = 3
# Extra kernel command line words for the entries of these scenarios, e.g. to try a
# workaround while looking into a failure.
EXTRA = os.environ.get("KOOMPI_VM_ROLLBACK_CMDLINE", "")
T_SYSTEMD = 900  # a Debian root with systemd under TCG: usually 35-60 s, generous here


def parse_entry(name):
    """(id, left, done) of a boot loader entry file name; left is None when uncounted.
    The counter is after the last '+' (Boot Loader Specification)."""
    m = re.fullmatch(r"(.*)\+(\d+)(?:-(\d+))?\.conf", name)
    if not m:
        return name[:-len(".conf")] if name.endswith(".conf") else name, None, None
    return m.group(1), int(m.group(2)), int(m.group(3) or 0)


def entry_of(names, entry_id):
    """The file name among NAMES of the entry ENTRY_ID, or None."""
    found = [n for n in names if parse_entry(n)[0] == entry_id]
    return found[0] if len(found) == 1 else (None if not found else found)


def cmdline(snapshot, extra=""):
    return disk.kernel_cmdline(snapshot, extra=" ".join(w for w in ("quiet", extra, EXTRA) if w))


def alerts_of(status):
    return [a for a in (status or {}).get("alerts", []) if isinstance(a, dict)]


def snapshot_state(status, name):
    for s in (status or {}).get("snapshots", []):
        if isinstance(s, dict) and s.get("name") == name:
            return s.get("state")
    return None


class RollbackScenario(Scenario):
    variant = "rollback"

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.problems = []

    def soft_check(self, cond, msg):
        """A check whose failure is reported at the end, so that one run shows every
        problem of the scenario, not only the first."""
        if not cond:
            self.problems.append(msg)
        return bool(cond)

    def execute(self):
        try:
            super().execute()
        except Failure as e:
            if self.problems:
                raise Failure("\n".join(self.problems + [str(e)]))
            raise
        if self.problems:
            raise Failure("\n".join(self.problems))

    def expect(self, pattern, timeout, bad=()):
        try:
            return super().expect(pattern, timeout, bad)
        except VMError:
            # After koompi-init's BOOT FAILED come the reason and what to do: show them.
            if re.search(r"BOOT FAILED", self.vm.transcript[-4000:]):
                try:
                    self.vm.expect(r"koompi-init: (What to do|the machine is)[^\n]*\n", 20)
                except VMError:
                    pass
                self.vm._fail(Failure, "koompi-init: BOOT FAILED (reason above)")
            raise

    def setup(self, entries=None, default="koompi-*", esp_files=(), esp_dirs=()):
        """The ESP (OVMF scenarios) and the disk overlay of this scenario; returns the disks.
        ESP_FILES (source, path on the ESP) and ESP_DIRS are added to the ESP."""
        self.fresh_workdir()
        self.initrd = self.shared.initramfs()
        base = self.shared.luks_disk(self.variant)
        self.overlay = qcow2_overlay(base, os.path.join(self.workdir, "luks-root.qcow2"))
        self.esp = None
        disks = []
        if entries is not None:
            self.esp = disk.make_esp(os.path.join(self.workdir, "esp.img"), self.initrd, entries,
                                     default, extra_files=esp_files, extra_dirs=esp_dirs)
            disks.append(Disk(self.esp, "raw", bootindex=0))
        disks.append(Disk(self.overlay, "qcow2"))
        return disks

    def entries(self):
        return disk.esp_list(self.esp)

    def pending(self):
        """koompi-init's markers of prompts not yet answered: {entry id: count}."""
        out = {}
        for n in disk.esp_list(self.esp, "/koompi/pending"):
            out[n] = (disk.esp_read(self.esp, f"/koompi/pending/{n}") or "").strip()
        return out

    def unlock_and_report(self, snapshot, what, bad=()):
        """Types the passphrase at the prompt and reads the test root's report; checks that
        SNAPSHOT came up. WHAT names the boot in messages."""
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED] + list(bad))
        start = self.vm.match_time
        self.vm.sendline(disk.PASSPHRASE)
        rep = self.testroot_report(bad=[WRONG, PROMPT, BOOT_FAILED])
        if rep["root"] != snapshot:
            raise Failure(f"{what}: came up on {rep['root']}, expected {snapshot}; "
                          f"boot.json {json.dumps(rep['boot_json'])}\n"
                          + "\n".join("    kmsg " + k for k in rep["kmsg"]))
        self.check_root(rep, snapshot, note=False)
        rep["unlock_to_root_s"] = self.vm.match_time - start
        return rep

    def boot_alerts(self, since):
        """koompi-init's ALERT lines on the console of the current VM after offset SINCE."""
        return re.findall(ALERT, self.vm.transcript[since:])

    def check_alert(self, lines, failed, booted, where):
        hit = [ln for ln in lines if failed in ln and booted in ln]
        check(hit, f"{where}: no ALERT naming {failed} and {booted}; ALERT lines: {lines!r}")
        return hit[0]

    def check_status_alert(self, rep, failed, booted, where):
        st = rep["status"]
        check(st is not None, f"{where}: no koompi-boot status --json from the test root "
                              f"(rc={rep['status_rc']}, output {rep['status_raw']!r}, "
                              f"stderr {rep['status_err']!r})")
        check(st.get("booted", {}).get("snapshot") == booted,
              f"{where}: status says booted.snapshot={st.get('booted', {}).get('snapshot')!r}, "
              f"expected {booted}")
        al = [a for a in alerts_of(st) if a.get("kind") == "fallback"
              and failed in str(a.get("message")) and booted in str(a.get("message"))]
        check(al, f"{where}: status --json has no fallback alert naming {failed} and {booted}; "
                  f"alerts: {json.dumps(alerts_of(st))}")
        return al[0]


class RollbackCounting(RollbackScenario):
    name = "rollback-counting"
    doc = ("systemd-boot counts: 3 failed boots of @root-new, then @root-current by itself "
           "(+0-3, ALERT, status --json), and the next boot goes there directly")

    def run(self):
        ents = [Entry(f"koompi-root-new+{TRIES}", cmdline(NEW), title="KOOMPI OS @root-new",
                      version="2", sort_key="koompi"),
                Entry("koompi-root-current", cmdline(CURRENT), title="KOOMPI OS @root-current",
                      version="1", sort_key="koompi")]
        disks = self.setup(ents)
        # Guest reboots stay in this QEMU, with its variable store and disks.
        self.start_vm(disks=disks, no_reboot=False)
        for n in range(1, TRIES + 1):
            rep = self.unlock_and_report(NEW, f"boot {n}")
            check(rep["action"] == "reboot", f"boot {n}: @root-new's init did {rep['action']}, "
                                             "expected reboot")
            bj = rep["boot_json"] or {}
            self.note(f"boot {n}: @root-new, entry_file={bj.get('entry_file')!r} "
                      f"counting={bj.get('counting')} (root up {rep['up_s']:.0f} s after QEMU start)")
        since = len(self.vm.transcript)
        rep = self.unlock_and_report(CURRENT, f"boot {TRIES + 1} (after {TRIES} failed boots)")
        bj = rep["boot_json"] or {}
        self.note(f"boot {TRIES + 1}: {rep['root']}, entry={bj.get('entry')!r} "
                  f"fallback={bj.get('fallback')} requested={bj.get('requested')!r}")
        self.finish()
        names = self.entries()
        self.note(f"ESP entries after boot {TRIES + 1}: {' '.join(names)}")
        check(f"koompi-root-new+0-{TRIES}.conf" in names,
              f"the spent entry is not koompi-root-new+0-{TRIES}.conf; the ESP has: {names}")
        alerts = self.boot_alerts(since)
        try:
            line = self.check_alert(alerts, NEW, CURRENT, f"boot {TRIES + 1}")
            self.note(f"console: koompi-init: ALERT: {line}")
        except Failure as e:
            self.soft_check(False, str(e) + f"; boot.json {json.dumps(bj)}")
        try:
            a = self.check_status_alert(rep, NEW, CURRENT, f"boot {TRIES + 1}")
            self.note(f"status --json alert: {json.dumps(a)}")
        except Failure as e:
            self.soft_check(False, str(e))

        # A further boot: straight to @root-current, no attempt on @root-new.
        self.start_vm(log_name="console-next.log", disks=disks, no_reboot=False)
        rep = self.unlock_and_report(CURRENT, "the boot after the fallback")
        bj = rep["boot_json"] or {}
        self.finish()
        names2 = self.entries()
        check(f"koompi-root-new+0-{TRIES}.conf" in names2,
              f"the boot after the fallback changed @root-new's entry: {names} -> {names2}")
        check(NEW not in str(bj.get("requested")) and "root-new" not in str(bj.get("entry")),
              f"the boot after the fallback was an attempt on @root-new: boot.json {json.dumps(bj)}")
        self.note(f"next boot: {rep['root']}, entry={bj.get('entry')!r}, ESP unchanged: "
                  f"{' '.join(names2)}")


class RollbackKernel(RollbackScenario):
    name = "rollback-kernel"
    doc = ("QEMU -kernel, no counting loader: koompi-init's ledger count sends the 4th boot of "
           "@root-new to @root-current, with the alert; the 5th goes there directly")

    def boot_direct(self, n, disks):
        return self.start_vm(log_name=f"console-{n}.log", firmware=Firmware.DIRECT,
                             kernel=disk.KERNEL, initrd=self.initrd, append=cmdline(NEW),
                             disks=disks, no_reboot=True)

    def run(self):
        disks = self.setup()
        for n in range(1, TRIES + 1):
            self.boot_direct(n, disks)
            rep = self.unlock_and_report(NEW, f"boot {n}")
            check(rep["action"] == "reboot", f"boot {n}: @root-new's init did {rep['action']}")
            st = self.vm.wait_exit(T_EXIT)  # -no-reboot: the guest's reboot ends QEMU
            check(st == 0, f"boot {n}: QEMU exit status {st}")
        self.boot_direct(TRIES + 1, disks)
        rep = self.unlock_and_report(CURRENT, f"boot {TRIES + 1} (after {TRIES} failed boots)")
        bj = rep["boot_json"] or {}
        self.finish()
        check(bj.get("fallback") is True and bj.get("requested") == NEW,
              f"boot.json does not say it fell back from {NEW}: {json.dumps(bj)}")
        line = self.check_alert(self.boot_alerts(0), NEW, CURRENT, f"boot {TRIES + 1}")
        self.note(f"boot {TRIES + 1}: console: koompi-init: ALERT: {line}")
        a = self.check_status_alert(rep, NEW, CURRENT, f"boot {TRIES + 1}")
        self.note(f"status --json alert: {json.dumps(a)}")
        self.note(f"status --json: @root-new is {snapshot_state(rep['status'], NEW)!r}, "
                  f"@root-current {snapshot_state(rep['status'], CURRENT)!r}")

        self.boot_direct(TRIES + 2, disks)
        rep = self.unlock_and_report(CURRENT, f"boot {TRIES + 2}")
        bj = rep["boot_json"] or {}
        self.finish()
        tried = [k for k in rep["kmsg"] if re.search(r"mount\w*[^\n]*@root-new", k)]
        check(not tried, f"boot {TRIES + 2} attempted @root-new: {tried}")
        self.note(f"boot {TRIES + 2}: {rep['root']} (fallback={bj.get('fallback')}, "
                  f"ALERT lines on its console: {len(self.boot_alerts(0))})")


class AbandonedPrompt(RollbackScenario):
    name = "abandoned-prompt"
    doc = ("3 boots of @root-new's counted entry killed at the passphrase prompt: its tries are "
           "given back, and @root-new comes up with one attempt counted")

    def run(self):
        # @root-new's init powers off here instead of rebooting.
        ents = [Entry(f"koompi-root-new+{TRIES}", cmdline(NEW, "testroot.action=poweroff"),
                      title="KOOMPI OS @root-new", version="2", sort_key="koompi"),
                Entry("koompi-root-current", cmdline(CURRENT), title="KOOMPI OS @root-current",
                      version="1", sort_key="koompi")]
        disks = self.setup(ents)
        for n in range(1, TRIES + 1):
            self.start_vm(log_name=f"console-{n}.log", disks=disks)
            self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED])
            self.vm.terminate()  # the power cut at the prompt
            self.note(f"killed at prompt {n}: entries {' '.join(self.entries())}, "
                      f"pending markers {self.pending()}")
        self.start_vm(log_name=f"console-{TRIES + 1}.log", disks=disks)
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED])
        self.vm.sendline(disk.PASSPHRASE)
        rep = self.testroot_report(bad=[WRONG, PROMPT, BOOT_FAILED])
        self.finish()
        self.check_root(rep, rep["root"], note=False)
        names = self.entries()
        e = entry_of(names, "koompi-root-new")
        self.note(f"boot {TRIES + 1} came up on {rep['root']}; entries then: {' '.join(names)}; "
                  f"pending markers {self.pending()}")
        gave = [k for k in rep["kmsg"] if "back" in k]
        for k in gave:
            self.note(f"kmsg {k}")
        check(isinstance(e, str), f"@root-new's entry is missing or twinned on the ESP: {names}")
        _, left, done = parse_entry(e)
        if rep["root"] == NEW:
            # systemd-boot started @root-new again: only this attempt may show.
            check(left is None or (left > 0 and done == 1),
                  f"@root-new's tries were not given back: its entry is {e} after the boot that "
                  f"followed {TRIES} boots abandoned at the prompt")
            return
        # systemd-boot skipped the spent entry and started @root-current (the default pattern
        # sorts bad entries last). The abandoned tries must be back all the same.
        check(rep["root"] == CURRENT, f"boot {TRIES + 1} came up on {rep['root']}")
        check(left is not None and left > 0 and done == 0,
              f"@root-new's tries were not given back: its entry is {e} after boot {TRIES + 1} "
              f"(on {CURRENT}) unlocked the disk following {TRIES} boots abandoned at the prompt; "
              f"koompi-init's lines: " + " | ".join(k for k in rep["kmsg"]
                                                   if "koompi-init" in k)[:1500])
        alerts = self.boot_alerts(0)
        check(not [a for a in alerts if NEW in a],
              f"boot {TRIES + 1} raised an alert about {NEW}, whose boots only stopped at the "
              f"prompt: {alerts}")
        # The next boot goes back to @root-new and counts that one attempt.
        self.start_vm(log_name=f"console-{TRIES + 2}.log", disks=disks)
        rep = self.unlock_and_report(NEW, f"boot {TRIES + 2}")
        self.finish()
        names = self.entries()
        e = entry_of(names, "koompi-root-new")
        self.note(f"boot {TRIES + 2} came up on {rep['root']}; entries then: {' '.join(names)}")
        _, left, done = parse_entry(e if isinstance(e, str) else "?")
        check(left == TRIES - 1 and done == 1,
              f"after one more boot @root-new's entry is {e}, expected "
              f"koompi-root-new+{TRIES - 1}-1.conf")


class SystemdBless(RollbackScenario):
    name = "systemd-bless"
    doc = ("a Debian root with systemd as init: boot-complete.target, "
           "koompi-boot-mark-good.service blesses the boot, the entry loses its counter")
    variant = "systemd"

    def run(self):
        words = "systemd.show_status=1"
        disks = self.setup_systemd(words)
        self.start_vm(disks=disks)
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED])
        self.vm.sendline(disk.PASSPHRASE)
        t0 = self.vm.match_time
        # The test root's init would mean the wrong root came up.
        self.expect(r"systemd\[1\]|Welcome to ", T_ROOT, bad=[WRONG, PROMPT, BOOT_FAILED])
        self.note(f"systemd started {self.vm.match_time - t0:.1f} s after the passphrase")
        self.expect(r"Reached target[^\n]*(boot-complete|Boot Completion)", T_SYSTEMD)
        self.note(f"boot-complete.target {self.vm.match_time - t0:.1f} s after the passphrase")
        idx, m = self.vm.expect_any([r"Finished[^\n]*(koompi-boot-mark-good|Mark the Current Boot)",
                                     r"Failed[^\n]*(koompi-boot-mark-good|Mark the Current Boot)"
                                     r"[^\n]*",
                                     r"KOOMPI-REPORT: done"], T_SYSTEMD)
        if idx == 1:
            raise Failure(f"koompi-boot-mark-good.service failed: {m.group(0).strip()!r}\n"
                          + self.report_lines())
        self.expect(r"KOOMPI-REPORT: done", T_SYSTEMD)
        self.note(f"report {self.vm.match_time - t0:.1f} s after the passphrase")
        st = read_status(self.vm.transcript)
        report = self.report_lines()
        self.finish()
        self.check_esp_fsck(report)
        names = self.entries()
        self.note(f"ESP entries after the boot: {' '.join(names)}")
        check(idx != 2, "mark-good never said it finished\n" + report)
        check("koompi-root-systemd.conf" in names and entry_of(names, "koompi-root-systemd")
              == "koompi-root-systemd.conf",
              f"the entry did not lose its counter: the ESP has {names}\n{report}")
        check(st["status"] is not None,
              f"no koompi-boot status --json on the console (rc={st['status_rc']}, "
              f"{st['status_raw']!r}, stderr {st['status_err']!r})\n{report}")
        booted = st["status"].get("booted", {}).get("snapshot")
        check(booted == SYSTEMD, f"status --json: booted.snapshot is {booted!r}")
        state = snapshot_state(st["status"], SYSTEMD)
        check(state == "good", f"status --json: {SYSTEMD} is {state!r}, expected good\n{report}")
        self.note(f"status --json: {SYSTEMD} is {state}")

    def setup_systemd(self, words, **esp):
        """The disk with @root-systemd's entry (counted, its kernel options plus words) booted
        first and @root-current's behind it; esp as setup() takes it."""
        ents = [Entry(f"koompi-root-systemd+{TRIES}", cmdline(SYSTEMD, words),
                      title="KOOMPI OS @root-systemd", version="3", sort_key="koompi"),
                Entry("koompi-root-current", cmdline(CURRENT), title="KOOMPI OS @root-current",
                      version="1", sort_key="koompi")]
        return self.setup(ents, **esp)

    def check_esp_fsck(self, report):
        """systemd-fsck@ checked the ESP before /efi was mounted (fstab pass 2); what it fixed
        and what the kernel said of a FAT are noted. Returns boot_fsck()'s findings."""
        f = boot_fsck(report)
        check(f["checked"], f"systemd-fsck did not check the ESP before it was mounted: unit {f['unit']!r}\n"
              + report)
        self.note(f"the ESP checked at boot: {f['unit']}")
        for n in fsck_notes(f):
            self.note(n)
        return f

    def report_lines(self):
        return "\n".join(re.findall(r"KOOMPI-REPORT: [^\n]*|KOOMPI-STATUS-ERR: [^\n]*",
                                    self.vm.transcript))


class UpdateInVm(SystemdBless):
    name = "update-in-vm"
    doc = ("koompi-boot update inside the booted systemd root, reboot: the new root boots, "
           "is blessed and is shown booted and good by status --json")

    def run(self):
        # koompi.test=update: the root's report unit runs koompi-boot update with the
        # booted entry's kernel and initramfs (the root carries none), then reboots.
        words = "systemd.show_status=1 koompi.test=update"
        disks = self.setup_systemd(words)
        # The guest's reboot after the update stays in this QEMU.
        self.start_vm(disks=disks, no_reboot=False)
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED])
        self.vm.sendline(disk.PASSPHRASE)
        t0 = self.vm.match_time
        self.expect(r"systemd\[1\]|Welcome to ", T_ROOT, bad=[WRONG, PROMPT, BOOT_FAILED])
        # systemd shortens the unit names and descriptions to the console's width.
        idx, m = self.vm.expect_any([r"Finished[^\n]*(koompi-boot-mark-|KOOMPI OS as Good)",
                                     r"Failed[^\n]*(koompi-boot-mark-|KOOMPI OS as Good)[^\n]*",
                                     r"KOOMPI-UPDATE: "], T_SYSTEMD)
        if idx == 1:
            raise Failure(f"first boot: koompi-boot-mark-good.service failed: "
                          f"{m.group(0).strip()!r}")
        check(idx == 0, "first boot: the update started before mark-good said it finished")
        self.note(f"first boot blessed {self.vm.match_time - t0:.1f} s after the passphrase")
        self.expect(r"KOOMPI-UPDATE: done rc=\d+ [^\n]*\n", T_SYSTEMD,
                    bad=[r"KOOMPI-REPORT: done"])
        m = re.search(r"KOOMPI-UPDATE: done rc=(\d+) entries ([^\n]*)\n", self.vm.transcript)
        upd = "\n".join(re.findall(r"KOOMPI-UPDATE: [^\n]*", self.vm.transcript))
        self.note(f"update finished {self.vm.match_time - t0:.1f} s after the passphrase: "
                  f"rc={m.group(1)}, entries {m.group(2).strip()}")
        check(m.group(1) == "0", f"koompi-boot update failed:\n{upd}")
        check("koompi-root-systemd.conf" in m.group(2).split(),
              f"the first boot was not blessed before the update: entries {m.group(2).strip()}")
        # The guest reboots in the same QEMU: systemd-boot must pick the new root's entry.
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED, r"KOOMPI-REPORT: done"])
        self.vm.sendline(disk.PASSPHRASE)
        t1 = self.vm.match_time
        self.expect(r"KOOMPI-REPORT: done", T_SYSTEMD, bad=[WRONG, PROMPT, BOOT_FAILED])
        self.note(f"second boot reported {self.vm.match_time - t1:.1f} s after the passphrase")
        st = read_status(self.vm.transcript)
        report = self.report_lines()
        self.finish()
        self.check_esp_fsck(report)
        names = self.entries()
        self.note(f"ESP entries after the second boot: {' '.join(names)}")
        check("KOOMPI-REPORT: updated=yes" in report,
              f"the second boot is not on the updated root (no /etc/koompi-updated)\n{report}")
        check(st["status"] is not None,
              f"no koompi-boot status --json on the console (rc={st['status_rc']}, "
              f"{st['status_raw']!r}, stderr {st['status_err']!r})\n{report}")
        booted = st["status"].get("booted", {}).get("snapshot")
        check(isinstance(booted, str) and re.fullmatch(r"@root-\d{4}-\d{2}-\d{2}(\.\d+)?", booted)
              and booted != SYSTEMD,
              f"status --json: booted.snapshot is {booted!r}, expected a new @root-YYYY-MM-DD")
        state = snapshot_state(st["status"], booted)
        check(state == "good", f"status --json: {booted} is {state!r}, expected good\n{report}")
        self.note(f"status --json: booted {booted}, {state}")
        # entries sync writes an entry for every root; the new root's is named after it.
        new = entry_of(names, "koompi-" + (booted or "").lstrip("@"))
        check(isinstance(new, str), f"no single entry of {booted} on the ESP: {names}\n{upd}")
        _, left, _ = parse_entry(new)
        check(left is None, f"the new root's entry {new} still counts: not blessed")
        text = disk.esp_read(self.esp, f"/loader/entries/{new}") or ""
        check(f"koompi.snapshot={booted}" in text,
              f"the blessed entry {new} does not boot {booted}:\n{text}")
        self.note(f"the new root's entry is {new} (blessed)")


class AgentHealth(SystemdBless):
    name = "agent-health"
    doc = ("koompi-agent and koompi-health under systemd: the health checks pass before "
           "boot-complete.target, the boot is blessed, busctl introspects the agent")

    def run(self):
        disks = self.setup_systemd("systemd.show_status=1")
        self.start_vm(disks=disks)
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED])
        self.vm.sendline(disk.PASSPHRASE)
        t0 = self.vm.match_time
        self.expect(r"systemd\[1\]|Welcome to ", T_ROOT, bad=[WRONG, PROMPT, BOOT_FAILED])
        # systemd shortens the unit names and descriptions to the console's width.
        idx, m = self.vm.expect_any([r"Finished[^\n]*(koompi-health|Health Checks)",
                                     r"Failed[^\n]*(koompi-health|Health Checks)[^\n]*",
                                     r"KOOMPI-REPORT: done"], T_SYSTEMD)
        if idx == 1:
            self.expect(r"KOOMPI-REPORT: done", T_SYSTEMD)
            raise Failure(f"koompi-health.service failed: {m.group(0).strip()!r}\n" + self.report_lines())
        self.note(f"koompi-health finished {self.vm.match_time - t0:.1f} s after the passphrase")
        self.expect(r"KOOMPI-REPORT: done", T_SYSTEMD)
        self.note(f"report {self.vm.match_time - t0:.1f} s after the passphrase")
        st = read_status(self.vm.transcript)
        report = self.report_lines()
        agent = "\n".join(re.findall(r"KOOMPI-AGENT: [^\n]*", self.vm.transcript))
        self.finish()
        self.check_esp_fsck(report)
        names = self.entries()
        self.note(f"ESP entries after the boot: {' '.join(names)}")
        check(idx == 0, "koompi-health.service never said it finished\n" + report)
        check("KOOMPI-REPORT: health=active result=success" in report,
              f"koompi-health.service did not succeed\n{report}")
        check(entry_of(names, "koompi-root-systemd") == "koompi-root-systemd.conf",
              f"the entry did not lose its counter: the ESP has {names}\n{report}")
        check(st["status"] is not None and snapshot_state(st["status"], SYSTEMD) == "good",
              f"status --json does not say {SYSTEMD} is good\n{report}")
        check(re.search(r"KOOMPI-AGENT: org\.koompi\.Agent1\s+interface", agent) is not None
              and ".RunHealth" in agent and ".GetStatus" in agent,
              f"busctl introspect org.koompi.Agent1 /org/koompi/Agent1 did not show the API:\n{agent}")
        # koompi-health's run (through the agent), then the agent's own run, made inside its
        # sandbox: the mounts it checks are PID 1's.
        for word, who in (("health", "koompi health"), ("run", "koompi health run (the agent's own)")):
            m = re.search(rf"KOOMPI-AGENT: {word} (\{{.*\}})", agent)
            check(m is not None, f"no {who} --json in the VM:\n{agent}")
            health = json.loads(m.group(1))
            states = {c["name"]: c["state"] for c in health.get("checks", [])}
            self.note(f"{who}: {health.get('state')}: {states}")
            for name in ("home-mounted", "var-mounted", "root-readonly", "ledger-writable"):
                check(states.get(name) == "passed", f"{who}: check {name} did not pass: {health}")
            check(health.get("state") in ("ok", "degraded"), f"{who} says {health.get('state')}")
        m = re.search(r"KOOMPI-AGENT: status (\{.*\})", agent)
        check(m is not None, f"no koompi --json status in the VM:\n{agent}")
        status = json.loads(m.group(1))
        check(status.get("booted_root") == SYSTEMD and status.get("problems") == [],
              f"koompi status from the agent: booted_root {status.get('booted_root')!r}, "
              f"problems {status.get('problems')!r}")


class AgentHealthFails(AgentHealth):
    name = "agent-health-fails"
    doc = ("a required health check fails under systemd: the boot is marked bad, the machine "
           "reboots and comes up on the previous good root with a fallback alert")

    def run(self):
        disks = self.setup_systemd("systemd.show_status=1 koompi.test=health-fail")
        # koompi-health.service's FailureAction=reboot stays in this QEMU.
        self.start_vm(disks=disks, no_reboot=False)
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED])
        self.vm.sendline(disk.PASSPHRASE)
        t0 = self.vm.match_time
        self.expect(r"systemd\[1\]|Welcome to ", T_ROOT, bad=[WRONG, PROMPT, BOOT_FAILED])
        self.expect(r"this boot is bad: check `koompi-test-check` failed: the VM test asked this check "
                    r"to fail", T_SYSTEMD, bad=[r"KOOMPI-REPORT: done"])
        self.note(f"marked bad {self.vm.match_time - t0:.1f} s after the passphrase")
        self.expect(r"restarting in 1 s", 60)
        since = len(self.vm.transcript)
        rep = self.unlock_and_report(CURRENT, "the boot after the failed check")
        self.finish()
        names = self.entries()
        self.note(f"ESP entries after the fallback: {' '.join(names)}")
        e = entry_of(names, "koompi-root-systemd")
        _, left, _ = parse_entry(e if isinstance(e, str) else "?")
        check(left == 0, f"@root-systemd's entry is {e}, expected its tries spent (+0)")
        # This disk's @root-current is a small test root without koompi-boot: the alert is
        # read from koompi-init's ALERT line, which names the roots and the failed check.
        alert = self.check_alert(self.boot_alerts(since), SYSTEMD, CURRENT, "the boot after the failed check")
        self.note(f"ALERT: {alert}")
        check("check `koompi-test-check` failed: the VM test asked this check to fail" in alert,
              f"the fallback alert does not name the failed check: {alert!r}\n{rep}")


SCENARIOS = [SystemdBless, UpdateInVm, AgentHealth, AgentHealthFails, RollbackCounting, RollbackKernel, AbandonedPrompt]
