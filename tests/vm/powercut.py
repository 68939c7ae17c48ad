"""Power cuts during `koompi-boot update`, `snapshot create`, `snapshot delete`, `entries sync`,
`prune`, `rollback` and `mark-bad` inside the booted Debian root with systemd; and during a boot: in koompi-init's own
writes (koompi.fault=STEP:MS) and in koompi-boot-mark-good.service (its fault point armed through
systemd.setenv=).

Each scenario arms one cut: the verb's fault point POINT resets the machine at once (sysrq
b: no sync, no unmount), or MS milliseconds after it while the next step writes. QEMU stops at
the reset (-no-reboot): the host checks the ESP as the cut left it (fsck.fat -n), before the next
boot's systemd-fsck@ (fstab pass 2) would mend it, then starts QEMU again on the same disks and
firmware variables. That boot must have checked the ESP (what fsck.fat -a fixed there is noted,
never taken silently) and come up on a complete root (the old one or the new one), with the
student's files in /home unchanged, the ledger readable, no transaction left
(koompi-boot-recover.service finished or undid it), `koompi-boot recover` with nothing left to
do, every root read-only, and no root with two entries (an uncounted twin).

`rollback` goes back to the booted root (@root-systemd) from a snapshot of it made just before
(not cut): the boot after the cut is on one of the two, and once koompi-boot-recover.service has
finished the rollback, @root-systemd boots next and the snapshot's entry is spent. `mark-bad`
judges the boot of a root that an update (not cut) made and the machine rebooted into, with
@root-systemd behind it: the boot after the cut is on the updated root (the verdict did not
reach the ESP) or on @root-systemd (its entry spent).

A cut during a boot comes from the kernel command line, which the next boot would read again:
QEMU stops at the reset (-no-reboot), the host reads the ESP as the cut left it (one entry per
root, at most one try lost), disarms the word in the entry file's bytes in place (same length: no
file system write), and starts QEMU again on the same disks and firmware variables.

`make check` runs a sample (POWER_CUTS_SAMPLE); `make power-cuts` runs all of them:
    python3 tests/vm/run.py --power-cuts
"""
import os
import re
import subprocess

import vmtest  # noqa: F401  (sets up the import path of qemu/)
import disk  # noqa: E402
from disk import Entry  # noqa: E402
from espfsck import FSCK_CLEAN  # noqa: E402
from rollback import BOOT_FAILED, CURRENT, SYSTEMD, T_SYSTEMD, TRIES, SystemdBless, cmdline, parse_entry  # noqa: E402
from testroot import PROMPT, WRONG, read_status  # noqa: E402
from vm import Disk, VMExited, qcow2_overlay  # noqa: E402
from vmtest import FATAL, T_PROMPT, T_ROOT, Failure, check  # noqa: E402

# Each verb's steps, in order (src/koompi-boot/update.c, snapshot.c, prune.c), and the cuts
# tried at each: at the point itself, and while the next step writes.
POINTS = {
    "update": ["esp-checked", "marked", "snapshot", "command", "initramfs", "read-only", "sealed", "entry"],
    "snapshot": ["snapshot-marked", "snapshot-made"],
    "delete": ["delete-marked", "delete-one", "delete-removed", "delete-synced"],
}
DELAYS_MS = [0, 300, 2000]
# entries sync and prune (src/koompi-boot/sync.c, prune.c): (point, delay) of each cut.
VERB_CUTS = {
    "sync": [("sync-kernels", 0), ("sync-entries", 0), ("sync-entries", 300)],
    "prune": [("delete-marked", 300), ("delete-removed", 0), ("delete-synced", 300)],
    # src/koompi-boot/rollback-apply.c: the ledger marked, the entries renamed, the entries
    # synced; each at the point and while the next step writes.
    "rollback": [("rollback-marked", 0), ("rollback-marked", 300), ("rollback-renamed", 0),
                 ("rollback-renamed", 300), ("rollback-synced", 0)],
    # src/koompi-boot/bless.c: the booted entry found (then its rename and the ESP's sync), the
    # entry renamed (then the ledger's write).
    "mark-bad": [("mark-found", 0), ("mark-found", 20), ("mark-renamed", 0), ("mark-renamed", 20)],
}
# The roots on the systemd disk before a scenario makes any (qemu/disk.py).
DISK_ROOTS = {disk.SNAPSHOT_OLD, CURRENT, SYSTEMD}
SPENT = re.compile(r"\+0(-\d+)?\.(conf|efi)$")
# Cuts during a boot: koompi-init's writes (initramfs/init/: fault.c's steps) and
# mark-good.service's (src/koompi-boot/bless.c), each at the step and a few ms into its write.
INIT_STEPS = ["prompt-marker", "luks-remember", "prompt-answered", "counter-rename", "ledger-boot",
              "ledger-switch"]
INIT_DELAYS_MS = [0, 5, 50]
MARK_GOOD_CUTS = [("mark-found", 0), ("mark-found", 20), ("mark-renamed", 0)]
# The words that arm a boot's cut, and what they become once disarmed (same length).
DISARM = [(b"koompi.fault=", b"koompi.fault_"), (b"KOOMPI_FAULT_POINT=", b"KOOMPI_FAULT_POINX=")]
# One cut in each third of the update, and one just after koompi-init renames an entry, for
# `make check`.
POWER_CUTS_SAMPLE = ["update:snapshot+0", "update:initramfs+300", "update:entry+0",
                     "init:counter-rename+0"]


# systemd gave up on a unit the boot needs (on a loaded host: the ESP's device not seen within
# the fstab's 300 s): fail at once instead of waiting for the report.
EMERGENCY = r"You are in emergency mode[^\n]*|Timed out waiting for device[^\n]*"


def esp_damage(esp):
    """What fsck.fat -n finds on the ESP besides the dirty bit: damaged files and directories
    (lost clusters and half-written temporaries are reported apart). ([problems], [notes])."""
    part = esp + ".part"
    with open(esp, "rb") as f, open(part, "wb") as out:
        f.seek(disk.ESP_OFFSET)
        out.write(f.read())
    r = subprocess.run(["fsck.fat", "-n", part], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    os.unlink(part)
    problems, notes, path = [], [], ""
    for ln in r.stdout.splitlines():
        if ln.startswith("/"):
            path = ln.strip()
        elif not ln.startswith(" "):
            path = ""
        if ln.startswith("Reclaimed") or (path and ".tmp" in path.lower()):
            # A cluster only lost, or a temporary a cut left half written (the next writer
            # removes it): space, not damage.
            notes.append(ln.strip())
        elif not FSCK_CLEAN.search(ln):
            problems.append(ln.strip())
    return problems, notes


def empty_entries(esp, names):
    """The entry files on the ESP whose text names no kernel (a file a cut left empty)."""
    out = []
    for n in names:
        text = disk.esp_read(esp, f"/loader/entries/{n}") or ""
        if not re.search(r"^(linux|efi)\s", text, re.M):
            out.append(f"{n} ({len(text)} bytes)")
    return out


class PowerCut(SystemdBless):
    verb = "update"
    point = "snapshot"
    delay_ms = 0

    def run(self):
        cut = f"{self.verb}:{self.point}+{self.delay_ms}"
        words = f"systemd.show_status=1 koompi.test=powercut:{cut}"
        disks = self.setup_systemd(words)
        # QEMU stops at every reset (-no-reboot), so that the host reads the ESP as the cut left
        # it, before the next boot's systemd-fsck mends it; then it starts again on the same
        # disks and firmware variables.
        self.start_vm(disks=disks, no_reboot=True)
        self.boot_to_systemd(T_PROMPT)
        if self.verb == "mark-bad":
            self.boot_updated(disks)
        self.expect(r"KOOMPI-CUT: armed [^\n]*\n", T_SYSTEMD, bad=[r"KOOMPI-REPORT: done"])
        armed = len(self.vm.transcript)
        self.wait_reset("the cut")
        before = self.vm.transcript[armed:]
        cut_mid = f"KOOMPI-CUT: the {self.verb} ended before the cut" not in before
        self.note(f"cut at {cut}: {'during the work' if cut_mid else 'after the work had ended'}")
        self.check_esp("right after the cut")
        self.note("the ESP right after the cut: fsck.fat -n finds nothing but its dirty bit")
        self.start_vm(disks=disks, no_reboot=True, log_name=f"console-{len(self.vms) + 1}.log")
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED])
        self.vm.sendline(disk.PASSPHRASE)
        self.expect(r"KOOMPI-REPORT: done", T_ROOT + T_SYSTEMD, bad=[WRONG, PROMPT, BOOT_FAILED, EMERGENCY])
        after = self.vm.transcript
        st = read_status(after)
        lines = "\n".join(re.findall(r"KOOMPI-(?:CUT|REPORT|STATUS-ERR): [^\n]*", after))
        self.finish()
        self.judge(st, lines, self.entries())

    def boot_to_systemd(self, timeout):
        """The passphrase at koompi-init's prompt, then systemd starting."""
        self.expect(PROMPT, timeout, bad=[WRONG, BOOT_FAILED])
        self.vm.sendline(disk.PASSPHRASE)
        self.expect(r"systemd\[1\]|Welcome to ", T_ROOT, bad=[WRONG, PROMPT, BOOT_FAILED])

    def wait_reset(self, what):
        """Waits for the guest's reset (a cut, or a reboot) to stop QEMU (-no-reboot)."""
        try:
            _, m = self.vm.expect_any([r"KOOMPI-REPORT: done", PROMPT, BOOT_FAILED] + FATAL, T_PROMPT + T_SYSTEMD)
        except VMExited:
            return
        raise Failure(f"waiting for {what} to reset the machine, the console showed: {m.group(0).strip()!r}")

    def boot_updated(self, disks):
        """mark-bad's first boot updates (not cut) and reboots; the next one, on the new root,
        is the boot judged."""
        m = self.expect(r"KOOMPI-CUT: prepared: [^\n]*", T_SYSTEMD,
                        bad=[r"KOOMPI-REPORT: done", r"KOOMPI-CUT: armed"])
        self.note(m.group(0).strip())
        self.wait_reset("the reboot after the update")
        self.start_vm(disks=disks, no_reboot=True, log_name=f"console-{len(self.vms) + 1}.log")
        self.boot_to_systemd(T_PROMPT)

    def check_booted(self, s, booted, roots, lines):
        """The root booted after the cut is the old one or a complete new one; for rollback, the
        rollback is finished (the booted root boots next, the snapshot's entry spent)."""
        if self.verb != "rollback":
            # A finished snapshot's entry sorts before the root it copies, so systemd-boot may
            # boot it: that is the new root, complete when the checks below (read-only, no
            # transaction left) hold.
            made = set(roots) - DISK_ROOTS
            check(booted == SYSTEMD or "KOOMPI-REPORT: updated=yes" in lines
                  or (self.verb == "snapshot" and booted in made),
                  f"booted {booted}, neither the old root nor a complete new one\n{lines}")
            if self.verb == "mark-bad":
                self.check_judged(booted, roots)
            return
        made = sorted(set(roots) - DISK_ROOTS)
        check(len(made) == 1, f"rollback: not one snapshot to go back from: roots {sorted(roots)}\n{lines}")
        check(booted in (SYSTEMD, made[0]), f"booted {booted}, neither {SYSTEMD} nor {made[0]}\n{lines}")
        nxt = (s.get("default") or {}).get("snapshot")
        check(nxt == SYSTEMD, f"rollback: after recovery {nxt} boots next, not {SYSTEMD}: {s.get('default')}")
        entry = roots[made[0]].get("entry") or ""
        check(SPENT.search(entry), f"rollback: the entry of {made[0]} is not spent: {entry!r}")
        self.note(f"rollback: {made[0]} {roots[made[0]].get('state')} (entry {entry}), {SYSTEMD} boots next")

    def check_judged(self, booted, roots):
        """mark-bad: the boot on the old root means the updated root's entry is spent."""
        made = sorted(set(roots) - DISK_ROOTS)
        check(len(made) == 1, f"mark-bad: not one updated root: roots {sorted(roots)}")
        entry = roots[made[0]].get("entry") or ""
        check(booted != SYSTEMD or SPENT.search(entry),
              f"mark-bad: {SYSTEMD} booted, but the entry of {made[0]} is not spent: {entry!r}")
        self.note(f"mark-bad: {made[0]} {roots[made[0]].get('state')} (entry {entry or 'none'})")

    def judge(self, st, lines, names):
        check(st["status"] is not None,
              f"no koompi-boot status --json after the cut (rc={st['status_rc']}, {st['status_raw']!r}, "
              f"stderr {st['status_err']!r})\n{lines}")
        s = st["status"]
        booted = s.get("booted", {}).get("snapshot")
        roots = {r["name"]: r for r in s.get("snapshots", [])}
        self.note(f"booted {booted}; roots {sorted(roots)}; entries {' '.join(names)}")
        check("KOOMPI-CUT: home=same" in lines, f"/home changed across the cut:\n{lines}")
        check(booted in roots, f"booted {booted!r} is not a root koompi-boot sees: {sorted(roots)}\n{lines}")
        self.check_booted(s, booted, roots, lines)
        check(all(r.get("read_only") for r in roots.values()),
              f"a root is not read-only (half-made): {[n for n, r in roots.items() if not r.get('read_only')]}")
        check(s.get("transaction") is None, f"a transaction is left: {s.get('transaction')}\n{lines}")
        check((s.get("ledger") or {}).get("error") is None, f"the ledger is unreadable: {s.get('ledger')}")
        check(re.search(r"KOOMPI-CUT: recover-again nothing to recover", lines) is not None,
              f"koompi-boot recover still had work after the boot:\n{lines}")
        # Every entry is of a root that exists, and no root has two (a counted one and an
        # uncounted twin: systemd-boot would boot the twin without counting).
        seen = {}
        for n in names:
            m = re.match(r"koompi-(.*?)(\+\d+(-\d+)?)?\.conf$", n)
            if not m:
                continue
            root = "@" + m.group(1)
            check(root in roots, f"entry {n} of a root that is gone: roots {sorted(roots)}")
            check(root not in seen, f"{root} has two entries: {seen.get(root)} and {n}")
            seen[root] = n
        self.check_boot_fsck(lines)
        self.check_esp("after the boot that followed the cut")
        self.note("after the cut: complete root, /home unchanged, no transaction, recover has nothing to do")

    def check_boot_fsck(self, lines):
        """The boot after the cut checked the ESP before mounting it; a repair it made is
        reported, never taken silently (the ESP was already judged as the cut left it)."""
        f = self.check_esp_fsck(lines)
        if f["fixed"]:
            self.note(f"NOTE: fsck.fat at boot fixed what the check right after the cut did not call damage: "
                      f"{'; '.join(f['fixed'])}")
        elif f["dirty"]:
            self.note("fsck.fat at boot found only the dirty bit set, and cleared it")

    def check_esp(self, when):
        names = self.entries()
        problems, leaks = esp_damage(self.esp)
        check(not problems, f"{when}: fsck.fat finds the ESP damaged:\n" + "\n".join(problems))
        empty = empty_entries(self.esp, names)
        check(not empty, f"{when}: entries that name no kernel: {empty}")
        if leaks:
            self.note(f"{when}: {'; '.join(leaks)}")


class BootCut(PowerCut):
    """A cut during the boot itself (koompi-init's writes, or mark-good's). A counting entry
    with one prompt marker already pending (an earlier boot abandoned at the prompt): each boot
    then writes the marker, takes it back, and gives the try back by a counter rename."""
    verb = "init"

    def arm_words(self):
        if self.verb == "init":
            return f"koompi.fault={self.point}:{self.delay_ms}"
        return (f"systemd.setenv=KOOMPI_FAULT_POINT={self.point} systemd.setenv=KOOMPI_FAULT_ACTION=power-cut "
                f"systemd.setenv=KOOMPI_FAULT_DELAY_MS={self.delay_ms}")

    def setup_marked(self, words):
        ents = [Entry(f"koompi-root-systemd+{TRIES}", cmdline(SYSTEMD, words),
                      title="KOOMPI OS @root-systemd", version="3", sort_key="koompi"),
                Entry("koompi-root-current", cmdline(CURRENT), title="KOOMPI OS @root-current",
                      version="1", sort_key="koompi")]
        self.fresh_workdir()
        self.initrd = self.shared.initramfs()
        marker = os.path.join(self.workdir, "pending-marker")
        with open(marker, "w") as f:
            f.write("1\n")
        return self.setup_esp_files(ents, [(marker, "/koompi/pending/koompi-root-systemd.conf")])

    def setup_esp_files(self, ents, files):
        base = self.shared.luks_disk(self.variant)
        self.overlay = qcow2_overlay(base, os.path.join(self.workdir, "luks-root.qcow2"))
        self.esp = disk.make_esp(os.path.join(self.workdir, "esp.img"), self.initrd, ents, "koompi-*",
                                 extra_files=files, extra_dirs=["/koompi/pending"])
        return [Disk(self.esp, "raw", bootindex=0), Disk(self.overlay, "qcow2")]

    def cut_boot(self):
        """Boots until the reset stops QEMU; types the passphrase at each prompt."""
        while True:
            try:
                idx, m = self.vm.expect_any([PROMPT, r"KOOMPI-REPORT: done", BOOT_FAILED] + FATAL,
                                            T_PROMPT + T_SYSTEMD)
            except VMExited:
                return
            if idx == 0:
                self.vm.sendline(disk.PASSPHRASE)
                continue
            raise Failure(f"the boot with the cut armed ended without it: {m.group(0).strip()!r}")

    def disarm(self):
        with open(self.esp, "r+b") as f:
            data = f.read()
            found = 0
            for armed, off in DISARM:
                at = data.find(armed)
                while at >= 0:
                    f.seek(at)
                    f.write(off)
                    found += 1
                    at = data.find(armed, at + 1)
        check(found, "no armed word found in the ESP's bytes")

    def check_counters(self, names, pending):
        mine = [n for n in names if parse_entry(n)[0] == "koompi-root-systemd"]
        check(len(mine) == 1, f"after the cut @root-systemd has {len(mine)} entries: {names}")
        _, left, done = parse_entry(mine[0])
        given = sum(int(v.strip() or 0) for k, v in pending.items()
                    if k == "koompi-root-systemd.conf" and v is not None and v.strip().isdigit())
        # systemd-boot spent one try on the boot that was cut; more is a loss.
        check(left is None or min(TRIES, left + given) >= TRIES - 1,
              f"after the cut {mine[0]} with pending {pending}: more than one try lost")
        return mine[0]

    def run(self):
        cut = f"{self.verb}:{self.point}+{self.delay_ms}"
        words = f"systemd.show_status=1 koompi.test=bootcut {self.arm_words()}"
        disks = self.setup_marked(words)
        self.start_vm(disks=disks, no_reboot=True)
        self.cut_boot()
        fired = re.search(r"koompi.fault: the power is cut at [^\n]*", self.vm.transcript)
        names = self.entries()
        pending = {n: disk.esp_read(self.esp, f"/koompi/pending/{n}")
                   for n in disk.esp_list(self.esp, "/koompi/pending")}
        entry = self.check_counters(names, pending)
        self.check_esp("right after the cut")
        self.note(f"cut at {cut}{' (' + fired.group(0) + ')' if fired else ''}: then {entry}, pending {pending}")
        self.disarm()
        self.start_vm(disks=disks, no_reboot=True, log_name="console-2.log")
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED])
        self.vm.sendline(disk.PASSPHRASE)
        self.expect(r"KOOMPI-REPORT: done", T_ROOT + T_SYSTEMD, bad=[WRONG, PROMPT, BOOT_FAILED, EMERGENCY])
        after = self.vm.transcript
        st = read_status(after)
        lines = "\n".join(re.findall(r"KOOMPI-(?:CUT|REPORT|STATUS-ERR): [^\n]*", after))
        self.finish()
        self.judge(st, lines, self.entries())
        left = [n for n in self.pending() if ".tmp" in n]
        if left:
            self.note(f"half-written prompt markers left on the ESP (never read): {left}")


def _boot_scenario(verb, point, delay_ms):
    name = f"power-cut-{verb}-{point}" + (f"-{delay_ms}ms" if delay_ms else "")
    who = "koompi-init" if verb == "init" else "koompi-boot-mark-good.service"
    doc = (f"the power is cut during a boot at {who}'s step {point}" + (f" (+{delay_ms} ms)" if delay_ms else "")
           + ": one entry per root, at most one try lost; the next boot is complete, nothing lost")
    return type(f"BootCut_{verb}_{point}_{delay_ms}".replace("-", "_"), (BootCut,),
                {"name": name, "doc": doc, "verb": verb, "point": point, "delay_ms": delay_ms})


def _scenario(verb, point, delay_ms):
    name = f"power-cut-{verb}-{point}" + (f"-{delay_ms}ms" if delay_ms else "")
    doc = (f"the power is cut at koompi-boot {verb}'s step {point}"
           + (f" (+{delay_ms} ms)" if delay_ms else "") + ": the next boot is on a complete root, nothing lost")
    return type(f"PowerCut_{verb}_{point}_{delay_ms}".replace("-", "_"), (PowerCut,),
                {"name": name, "doc": doc, "verb": verb, "point": point, "delay_ms": delay_ms})


ALL = ([_scenario(v, p, d) for v, points in POINTS.items() for p in points for d in DELAYS_MS]
       + [_scenario(v, p, d) for v, cuts in VERB_CUTS.items() for p, d in cuts]
       + [_boot_scenario("init", p, d) for p in INIT_STEPS for d in INIT_DELAYS_MS]
       + [_boot_scenario("mark-good", p, d) for p, d in MARK_GOOD_CUTS])
SCENARIOS = [c for c in ALL if f"{c.verb}:{c.point}+{c.delay_ms}" in POWER_CUTS_SAMPLE]
