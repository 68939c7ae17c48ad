"""Power cuts during `koompi-boot update`, `snapshot create` and `snapshot delete` inside the
booted Debian root with systemd.

Each scenario arms one cut: the verb's fault point POINT resets the machine at once (sysrq
b: no sync, no unmount), or MS milliseconds after it while the next step writes. The machine
reboots in the same QEMU; the boot after the cut must come up on a complete root (the old one
or the new one), with the student's files in /home unchanged, the ledger readable, no
transaction left (koompi-boot-recover.service finished or undid it), `koompi-boot recover`
with nothing left to do, every root read-only, and no root with two entries (an uncounted twin).

`make check` runs a sample (POWER_CUTS_SAMPLE); `make power-cuts` runs all of them:
    python3 tests/vm/run.py --power-cuts
"""
import re

import vmtest  # noqa: F401  (sets up the import path of qemu/)
import disk  # noqa: E402
from rollback import BOOT_FAILED, SYSTEMD, T_SYSTEMD, SystemdBless  # noqa: E402
from testroot import PROMPT, WRONG, read_status  # noqa: E402
from vmtest import T_PROMPT, T_ROOT, check  # noqa: E402

# Each verb's steps, in order (src/koompi-boot/update.c, snapshot.c, prune.c), and the cuts
# tried at each: at the point itself, and while the next step writes.
POINTS = {
    "update": ["esp-checked", "marked", "snapshot", "command", "initramfs", "read-only", "sealed", "entry"],
    "snapshot": ["snapshot-marked", "snapshot-made"],
    "delete": ["delete-marked", "delete-one", "delete-removed", "delete-synced"],
}
DELAYS_MS = [0, 300, 2000]
# One cut in each third of the update, for `make check`.
POWER_CUTS_SAMPLE = ["update:snapshot+0", "update:initramfs+300", "update:entry+0"]


class PowerCut(SystemdBless):
    verb = "update"
    point = "snapshot"
    delay_ms = 0

    def run(self):
        cut = f"{self.verb}:{self.point}+{self.delay_ms}"
        words = f"systemd.show_status=1 koompi.test=powercut:{cut}"
        disks = self.setup_systemd(words)
        # The reset and the reboot stay in this QEMU.
        self.start_vm(disks=disks, no_reboot=False)
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED])
        self.vm.sendline(disk.PASSPHRASE)
        self.expect(r"systemd\[1\]|Welcome to ", T_ROOT, bad=[WRONG, PROMPT, BOOT_FAILED])
        self.expect(r"KOOMPI-CUT: armed [^\n]*\n", T_SYSTEMD, bad=[r"KOOMPI-REPORT: done"])
        armed = len(self.vm.transcript)
        # The cut: the firmware and systemd-boot again, then koompi-init's prompt.
        self.expect(PROMPT, T_PROMPT + T_SYSTEMD, bad=[BOOT_FAILED, r"KOOMPI-REPORT: done"])
        before = self.vm.transcript[armed:]
        cut_mid = f"KOOMPI-CUT: the {self.verb} ended before the cut" not in before
        self.note(f"cut at {cut}: {'during the work' if cut_mid else 'after the work had ended'}")
        self.vm.sendline(disk.PASSPHRASE)
        self.expect(r"KOOMPI-REPORT: done", T_SYSTEMD, bad=[WRONG, PROMPT, BOOT_FAILED])
        after = self.vm.transcript[armed:]
        st = read_status(after)
        lines = "\n".join(re.findall(r"KOOMPI-(?:CUT|REPORT|STATUS-ERR): [^\n]*", after))
        self.finish()
        self.judge(st, lines, self.entries())

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
        check(booted == SYSTEMD or "KOOMPI-REPORT: updated=yes" in lines,
              f"booted {booted}, neither the old root nor a complete new one\n{lines}")
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
        self.note("after the cut: complete root, /home unchanged, no transaction, recover has nothing to do")


def _scenario(verb, point, delay_ms):
    name = f"power-cut-{verb}-{point}" + (f"-{delay_ms}ms" if delay_ms else "")
    doc = (f"the power is cut at koompi-boot {verb}'s step {point}"
           + (f" (+{delay_ms} ms)" if delay_ms else "") + ": the next boot is on a complete root, nothing lost")
    return type(f"PowerCut_{verb}_{point}_{delay_ms}".replace("-", "_"), (PowerCut,),
                {"name": name, "doc": doc, "verb": verb, "point": point, "delay_ms": delay_ms})


ALL = [_scenario(v, p, d) for v, points in POINTS.items() for p in points for d in DELAYS_MS]
SCENARIOS = [c for c in ALL if f"{c.verb}:{c.point}+{c.delay_ms}" in POWER_CUTS_SAMPLE]
