#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM tests of the recovery menu of koompi-init (man 7 koompi-recovery).

    python3 tests/vm/recovery.py            these scenarios only
    python3 tests/vm/recovery.py NAME...    (same options as tests/vm/run.py)

tests/vm/run.py runs them with the others: SCENARIOS below is a list of Scenario
classes like its own. They boot an initramfs whose boot.conf carries the
crypt(3) hash of TECH_PASSWORD ([recovery] password_hash), built once per run.

Neither passphrase nor technician password may ever appear on the console: every
secret is typed at a prompt without echo, and every scenario checks its
transcripts for all four (right and wrong passphrase, right and wrong password).
To look for a secret inside the VM without typing it, the shell is given a
pattern that matches it but is spelt differently ("koompi-dem[o]").
"""

import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    import vmtest as base  # the scenarios' shared helpers
except ImportError:  # an older tree: they lived in run.py
    import run as base
import disk  # noqa: E402  (base put qemu/ on the path)
from disk import Entry  # noqa: E402
from testroot import PROMPT, WRONG  # noqa: E402
from testroot import REPORT as TESTROOT  # noqa: E402
from vm import VM, Disk, Firmware, qcow2_overlay  # noqa: E402

check = base.check
Failure = base.Failure
Skip = base.Skip
T_PROMPT, T_ROOT, T_EXIT = base.T_PROMPT, base.T_ROOT, base.T_EXIT
WRONG_PASSPHRASE = base.WRONG_PASSPHRASE

TECH_PASSWORD = "koompi-technician-7"
WRONG_TECH_PASSWORD = "not-the-technician-pw"
SECRETS = (disk.PASSPHRASE, WRONG_PASSPHRASE, TECH_PASSWORD, WRONG_TECH_PASSWORD)
# A UUID no attached disk has.
ABSENT_UUID = "0badc0de-0000-4000-8000-00000000dead"

# What the recovery menu shows.
PASSWORD_PROMPT = r"(?im)password[^\n]*: $"
DENIED = r"(?i)(denied|incorrect|wrong password)[^\n]*"
MENU = r"(?m)^recovery> $"
SHELL = r"koompi-recovery# "
REFUSED = r"(?i)not available[^\n]*"
ACCEPTED = r"(?i)password accepted"
TOP = "/run/koompi/top"
LEDGER_IN_TOP = f"{TOP}/{disk.SUBVOL_VAR}/lib/koompi/ledger"
LEDGER_IN_ROOT = "/var/lib/koompi/ledger"


def spelt_apart(secret):
    """A grep pattern matching SECRET that does not contain it: 'abc' -> 'ab[c]'."""
    return f"{secret[:-1]}[{secret[-1]}]"


def secrets_grep(files):
    """A shell command printing SECRETS-FOUND=N: how many lines of FILES (or of the kernel log
    for "dmesg") hold any secret."""
    pats = " ".join(f"-e '{spelt_apart(s)}'" for s in SECRETS)
    srcs = []
    for f in files:
        srcs.append("dmesg" if f == "dmesg" else f"cat {f}")
    return f"echo SECRETS-FOUND=$( ({'; '.join(srcs)}) 2>/dev/null | grep -c {pats})"


def technician_conf(shared, variant="recovery", settings=()):
    """boot.conf of the images here: the repository's, with the technician password's hash and
    SETTINGS ((key, value) pairs replacing those keys' lines)."""
    def build():
        openssl = shutil.which("openssl")
        if not openssl:
            raise Skip("openssl is not installed: no way to make the password hash")
        h = subprocess.run([openssl, "passwd", "-6", "-salt", "koompirecovery", TECH_PASSWORD],
                           check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
        with open(base.BOOT_CONF) as f:
            text = f.read()
        for key, value in (("password_hash", h),) + tuple(settings):
            text, n = re.subn(rf"(?m)^{key} *=.*$", lambda m: f"{key} = {value}", text)
            check(n == 1, f"no single {key} line in {base.BOOT_CONF}")
        os.makedirs(base.RUNDIR, exist_ok=True)
        path = os.path.join(base.RUNDIR, f"{variant}-boot.conf")
        with open(path, "w") as f:
            f.write(text)
        return path
    return shared._once(f"boot.conf ({variant})", build)


def recovery_initramfs(shared, variant="recovery", settings=()):
    def build():
        if not os.access(base.KOOMPI_INIT, os.X_OK):
            raise Failure(f"{base.KOOMPI_INIT} is missing (run make)")
        out = os.path.join(base.RUNDIR, f"initramfs-{variant}.img")
        return disk.make_initramfs(out, config=technician_conf(shared, variant, settings))
    return shared._once(f"initramfs ({variant})", build)


def entries(extra, snapshots=(disk.SNAPSHOT_CURRENT, disk.SNAPSHOT_OLD)):
    return base.entries_for(snapshots, extra=extra)


class RecoveryScenario(base.Scenario):
    """A boot of the recovery image, on an overlay of the shared encrypted disk."""

    def boot_recovery(self, ents, default, variant="recovery", settings=()):
        """VARIANT "standard": the image of the other VM tests, whose boot.conf has no hash."""
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.makedirs(self.workdir)
        if variant == "standard":
            initrd = self.shared.initramfs("standard")
        else:
            initrd = recovery_initramfs(self.shared, variant, settings)
        esp = disk.make_esp(os.path.join(self.workdir, "esp.img"), initrd, ents, default)
        overlay = qcow2_overlay(self.shared.luks_disk(),
                                os.path.join(self.workdir, "luks-root.qcow2"))
        self.vm = VM(self.name, self.workdir, firmware=Firmware.OVMF, echo=self.echo,
                     disks=[Disk(esp, "raw", bootindex=0), Disk(overlay, "qcow2")])
        if isinstance(getattr(self, "vms", None), list):
            self.vms.append(self.vm)
        self.vm.start()
        return self.vm

    def menu(self, timeout=T_PROMPT):
        return self.expect(MENU, timeout, bad=[SHELL])

    def choose(self, item):
        """Types ITEM at the menu's prompt (already awaited)."""
        self.vm.sendline(item)

    def password(self, secret, timeout=T_PROMPT):
        self.expect(PASSWORD_PROMPT, timeout, bad=[SHELL])
        self.vm.sendline(secret)

    def login(self):
        """The password prompt, a wrong password refused, the right one accepted."""
        self.password(WRONG_TECH_PASSWORD)
        said = self.expect(DENIED, T_PROMPT, bad=[ACCEPTED, MENU]).group(0).strip()
        self.note(f"a wrong password: {said!r}")
        self.password(TECH_PASSWORD)
        self.expect(ACCEPTED, T_PROMPT, bad=[DENIED])

    def shell_command(self, command, answer, timeout=60):
        """At the shell's prompt (already awaited): runs COMMAND, returns the match of ANSWER,
        then waits for the prompt again."""
        self.vm.sendline(command)
        m = self.expect(answer, timeout)
        self.expect(SHELL, timeout)
        return m

    def wrong_passphrases(self, n=3):
        for i in range(n):
            self.expect(PROMPT, T_PROMPT, bad=[TESTROOT, MENU])
            self.vm.sendline(WRONG_PASSPHRASE)
            self.expect(WRONG, T_PROMPT)

    def check_secrets(self):
        vms = getattr(self, "vms", None) or ([self.vm] if self.vm else [])
        for vm in vms:
            text = vm.transcript
            for secret in SECRETS:
                check(secret not in text,
                      f"the secret {secret!r} appears in the console transcript {vm.log_path}")


class AfterPassphrases(RecoveryScenario):
    name = "recovery-after-passphrases"
    doc = ("three wrong passphrases: the recovery menu; a wrong technician password refused, the "
           "right one accepted; shell runs a command, exit returns; retry boots; the ledger has it")

    def run(self):
        ents = entries("quiet rd.luks.options=tries=3 testroot.action=shell")
        self.boot_recovery(ents, ents[0].id)
        self.wrong_passphrases(3)
        m = self.expect(r"The boot stopped at stage unlock[^\n]*\n", T_PROMPT, bad=[TESTROOT])
        self.note(m.group(0).strip())
        why = self.expect(r"What went wrong: [^\n]*\n", 30).group(0)
        check(disk.LUKS_UUID in why, f"the explanation does not name the LUKS UUID: {why!r}")
        self.login()
        self.menu()
        self.choose("shell")
        self.expect(SHELL, 60)
        # The command, echoed, reads "$((6*7))"; only its output reads 42.
        self.shell_command("echo KOOMPI-SHELL-$((6*7))", r"KOOMPI-SHELL-42\n")
        self.vm.sendline("exit")
        self.menu(60)
        self.choose("retry")
        self.expect(PROMPT, T_PROMPT, bad=[TESTROOT, MENU])
        self.vm.sendline(disk.PASSPHRASE)
        m = self.expect(TESTROOT, T_ROOT, bad=[WRONG, MENU])
        check(m.group(1) == disk.SNAPSHOT_CURRENT, f"/ is {m.group(1)}, expected "
                                                  f"{disk.SNAPSHOT_CURRENT}")
        # The records made while the disk was locked reached the ledger with the boot.
        idx, m = self.vm.expect_any([r"KOOMPI-TESTROOT: shell: /bin/sh on the console",
                                     r"KOOMPI-TESTROOT: shell: /bin/sh: [^\n]*"], T_ROOT)
        if idx == 1:
            self.note("the test root has no shell: the ledger is not checked")
        else:
            self.vm.expect(r"# ", 60)
            self.vm.sendline(f"echo LEDGER-TECH=$(grep -c technician {LEDGER_IN_ROOT}) "
                             f"SHELL=$(grep -c 'opened%20a%20shel[l]' {LEDGER_IN_ROOT})")
            m = self.vm.expect(r"LEDGER-TECH=(\d+) SHELL=(\d+)\n", 60)
            check(int(m.group(1)) >= 4, f"{m.group(1)} technician records in the ledger, expected "
                                        "the opening, the wrong password, the right one, the "
                                        "shell and the retry")
            check(int(m.group(2)) == 1, "the shell is not recorded in the ledger")
            self.note(f"{m.group(1)} technician records in the ledger")
            self.vm.sendline("exit")
        self.vm.expect(r"KOOMPI-TESTROOT: done action=", 60)
        self.finish()


class CmdlineBoot(RecoveryScenario):
    name = "recovery-cmdline"
    doc = ("koompi.recovery: the passphrase, then the technician password; list shows the roots; "
           "the ledger has the records; boot @root-2024-12-01 boots that root")

    def run(self):
        ents = entries("quiet koompi.recovery")
        self.boot_recovery(ents, ents[0].id)
        self.expect(PROMPT, T_PROMPT, bad=[MENU, PASSWORD_PROMPT])
        self.vm.sendline(disk.PASSPHRASE)
        self.expect(r"Recovery was asked for on the kernel command line \(koompi.recovery\)",
                    T_PROMPT, bad=[WRONG, TESTROOT])
        self.password(TECH_PASSWORD)
        self.expect(ACCEPTED, T_PROMPT, bad=[DENIED])
        self.menu()
        start = len(self.vm.transcript)
        self.choose("1")
        end = self.expect(r"Roots are listed newest first[^\n]*\n", 60)
        listing = self.vm.transcript[start:end.start()]
        rows = {}
        for name in (disk.SNAPSHOT_CURRENT, disk.SNAPSHOT_OLD):
            m = re.search(r"(?m)^  " + re.escape(name) + r" +(\S+) +(\S+)", listing)
            check(m, f"list does not show {name}: {listing!r}")
            rows[name] = (m.group(1), m.group(2))
        self.note(f"list: {rows}")
        for name, (state, left) in rows.items():
            check(state in ("untested", "in-trial", "good", "bad"), f"{name}: state {state!r}")
            check(left == "-" or left.isdigit(), f"{name}: tries left {left!r}")
        self.menu(60)
        self.choose("shell")
        self.expect(SHELL, 60)
        m = self.shell_command(f"echo TOP=$(ls {TOP} | tr '\\n' ' ') "
                               f"TECH=$(grep -c technician {LEDGER_IN_TOP})",
                               r"TOP=([^\n]*) TECH=(\d+)\n")
        check(disk.SNAPSHOT_OLD in m.group(1) and disk.SUBVOL_VAR in m.group(1),
              f"{TOP} does not hold the subvolumes: {m.group(1)!r}")
        check(int(m.group(2)) >= 3, f"{m.group(2)} technician records in {LEDGER_IN_TOP}")
        self.vm.sendline("exit")
        self.menu(60)
        self.choose(f"boot {disk.SNAPSHOT_OLD}")
        rep = self.testroot_report(bad=[WRONG, MENU])
        self.check_root(rep, disk.SNAPSHOT_OLD)
        self.finish()


class Lockout(RecoveryScenario):
    name = "recovery-lockout"
    doc = "three wrong technician passwords: longer waits, then no shell whatever is typed next"

    def run(self):
        ents = entries("quiet koompi.recovery")
        self.boot_recovery(ents, ents[0].id)
        self.expect(PROMPT, T_PROMPT, bad=[MENU, PASSWORD_PROMPT])
        self.vm.sendline(disk.PASSPHRASE)
        waits = []
        self.expect(PASSWORD_PROMPT, T_PROMPT, bad=[SHELL])
        for i in range(3):
            self.vm.sendline(WRONG_TECH_PASSWORD)
            self.expect(DENIED, T_PROMPT, bad=[ACCEPTED])
            refused = self.vm.match_time
            nxt = PASSWORD_PROMPT if i < 2 else MENU
            self.expect(nxt, T_PROMPT, bad=[ACCEPTED, SHELL])
            waits.append(self.vm.match_time - refused)
        self.note("waits after each refusal: " + ", ".join(f"{w:.1f} s" for w in waits))
        for i, least in enumerate((1, 2, 4)):
            check(waits[i] >= least - 0.2, f"after refusal {i + 1} the wait was {waits[i]:.1f} s, "
                                           f"expected at least {least} s")
        for item in ("shell", "7", "SHELL", "list", f"boot {disk.SNAPSHOT_OLD}",
                     f"good {disk.SNAPSHOT_CURRENT}", "2", ""):
            self.choose(item)
            if item:
                self.expect(REFUSED, 60, bad=[SHELL, PASSWORD_PROMPT, TESTROOT])
            self.menu(60)
        text = self.vm.transcript
        check(SHELL not in text, "a shell prompt appeared after the lockout")
        check(not re.search(ACCEPTED, text), "a password was accepted")
        self.choose("poweroff")
        self.finish()


class MissingDevice(RecoveryScenario):
    name = "recovery-missing-device"
    doc = "the LUKS volume never appears: the menu names the UUID it waited for; poweroff works"
    RD_TIMEOUT = 5

    def run(self):
        opts = (f"console=ttyS0,115200 panic=-1 no_timer_check rd.luks.uuid={ABSENT_UUID} "
                f"root=UUID={disk.FS_UUID} rd.timeout={self.RD_TIMEOUT} quiet")
        ents = [Entry("koompi-absent", opts, title="KOOMPI OS (absent volume)")]
        self.boot_recovery(ents, ents[0].id)
        m = self.expect(r"The boot stopped at stage device[^\n]*\n", T_ROOT,
                        bad=[PROMPT, TESTROOT])
        self.note(m.group(0).strip())
        why = self.expect(r"What went wrong: [^\n]*\n", 30).group(0)
        check(ABSENT_UUID in why, f"the explanation does not name the missing UUID: {why!r}")
        self.note(why.strip()[:160])
        self.expect(r"LUKS volume UUID " + re.escape(ABSENT_UUID) + r", not found", 30)
        # Enter alone: the menu without the password, which still powers off.
        self.expect(PASSWORD_PROMPT, 60)
        self.vm.sendline("")
        self.menu(60)
        self.choose("shell")
        self.password(WRONG_TECH_PASSWORD, 60)
        self.expect(DENIED, 60, bad=[ACCEPTED, SHELL])
        self.expect(PASSWORD_PROMPT, 60)
        self.vm.sendline("")
        self.expect(REFUSED, 60, bad=[SHELL])
        self.menu(60)
        self.choose("poweroff")
        self.finish()


class Secrets(RecoveryScenario):
    name = "recovery-secrets"
    doc = ("no passphrase and no technician password on the console, in the kernel log or in "
           "the ledger, right or wrong")

    def run(self):
        ents = entries("quiet koompi.recovery rd.luks.options=tries=2 testroot.action=shell")
        self.boot_recovery(ents, ents[0].id)
        self.wrong_passphrases(1)
        self.expect(PROMPT, T_PROMPT, bad=[MENU])
        self.vm.sendline(disk.PASSPHRASE)
        self.expect(r"Recovery was asked for", T_PROMPT, bad=[WRONG, TESTROOT])
        self.login()
        self.menu()
        self.choose("log")
        self.expect(r"The kernel's last lines:", 60)
        self.menu(60)
        self.choose("shell")
        self.expect(SHELL, 60)
        m = self.shell_command(secrets_grep(["dmesg", LEDGER_IN_TOP, "/run/koompi/*"]),
                               r"SECRETS-FOUND=(\d+)\n")
        check(m.group(1) == "0", f"{m.group(1)} lines of the kernel log, the ledger or "
                                 "/run/koompi hold a secret")
        m = self.shell_command(f"echo TECH=$(grep -c technician {LEDGER_IN_TOP})", r"TECH=(\d+)\n")
        check(int(m.group(1)) >= 3, f"only {m.group(1)} technician records in the ledger")
        self.vm.sendline("exit")
        self.menu(60)
        self.choose("retry")
        m = self.expect(TESTROOT, T_ROOT, bad=[WRONG, MENU, PROMPT])
        check(m.group(1) == disk.SNAPSHOT_CURRENT, f"/ is {m.group(1)}")
        idx, m = self.vm.expect_any([r"KOOMPI-TESTROOT: shell: /bin/sh on the console",
                                     r"KOOMPI-TESTROOT: shell: /bin/sh: [^\n]*"], T_ROOT)
        if idx == 0:
            self.vm.expect(r"# ", 60)
            self.vm.sendline(secrets_grep(["dmesg", LEDGER_IN_ROOT, "/run/koompi/*"]))
            m = self.vm.expect(r"SECRETS-FOUND=(\d+)\n", 60)
            check(m.group(1) == "0", f"{m.group(1)} lines of the booted system's kernel log, "
                                     "ledger or /run/koompi hold a secret")
            self.vm.sendline("exit")
        else:
            self.note("the test root has no shell: its kernel log is checked on the console only")
        self.vm.expect(r"KOOMPI-TESTROOT: done action=", 60)
        self.finish()


class RootFailure(RecoveryScenario):
    name = "recovery-root-failure"
    doc = ("the root stage fails (no such @home): the menu with the disk open; bad and good "
           "marks show in list; boot NAME fails again and the menu opens without a new password")
    HOME = "@no-such-home"

    def stopped_at_root(self):
        self.expect(r"The boot stopped at stage root", T_ROOT, bad=[TESTROOT, PROMPT])
        why = self.expect(r"What went wrong: [^\n]*\n", 30).group(0)
        check(self.HOME in why, f"the explanation does not name {self.HOME}: {why!r}")
        return why

    def run(self):
        ents = entries("quiet")
        self.boot_recovery(ents, ents[0].id, variant="recovery-nohome",
                           settings=[("home", self.HOME)])
        self.expect(PROMPT, T_PROMPT, bad=[MENU])
        self.vm.sendline(disk.PASSPHRASE)
        self.note(self.stopped_at_root().strip())
        self.password(TECH_PASSWORD)
        self.expect(ACCEPTED, T_PROMPT, bad=[DENIED])
        self.menu()
        self.choose("bad current")
        self.expect(r"@root-current is marked bad", 60)
        self.menu(60)
        self.choose("4 2024-12-01")
        self.expect(r"@root-2024-12-01 is marked good", 60)
        self.menu(60)
        start = len(self.vm.transcript)
        self.choose("list")
        end = self.expect(r"Roots are listed newest first[^\n]*\n", 60)
        listing = self.vm.transcript[start:end.start()]
        for name, state, left in ((disk.SNAPSHOT_CURRENT, "bad", "0"),
                                  (disk.SNAPSHOT_OLD, "good", "-")):
            check(re.search(r"(?m)^  " + re.escape(name) + rf" +{state} +{re.escape(left)}(\s|$)",
                            listing), f"list does not show {name} {state} {left}: {listing!r}")
        self.menu(60)
        self.choose(f"boot {disk.SNAPSHOT_OLD}")
        # The root stage runs again for that root, fails the same way: the menu again, and the
        # password is not asked twice in a boot.
        self.stopped_at_root()
        self.menu(T_ROOT)
        check(not re.search(PASSWORD_PROMPT, self.vm.transcript[end.end():]),
              "the password was asked again")
        self.choose("shell")
        self.expect(SHELL, 60)
        # What the first failure left under /sysroot was cleared before the second try.
        m = self.shell_command("echo SYSROOT=$(grep -c ' /sysroot ' /proc/mounts) "
                               f"MARKS=$(grep -c '^mark ' {LEDGER_IN_TOP})",
                               r"SYSROOT=(\d+) MARKS=(\d+)\n")
        check(m.group(1) == "1", f"/sysroot is mounted {m.group(1)} times")
        check(m.group(2) == "2", f"{m.group(2)} marks in the ledger, expected bad and good")
        self.vm.sendline("exit")
        self.menu(60)
        self.choose("poweroff")
        self.finish()


class NoPassword(RecoveryScenario):
    name = "recovery-no-password"
    doc = ("no password_hash in boot.conf: the menu explains, never asks a password, gives no "
           "shell; retry and poweroff work")

    def run(self):
        ents = entries("quiet rd.luks.options=tries=1")
        self.boot_recovery(ents, ents[0].id, variant="standard")
        self.wrong_passphrases(1)
        self.expect(r"The boot stopped at stage unlock", T_PROMPT, bad=[TESTROOT])
        said = self.expect(r"(?i)no technician password[^\n]*\n", 60, bad=[PASSWORD_PROMPT])
        self.note(said.group(0).strip())
        self.menu(60)
        for item in ("shell", "7", "list", f"boot {disk.SNAPSHOT_OLD}"):
            self.choose(item)
            self.expect(REFUSED, 60, bad=[SHELL, PASSWORD_PROMPT])
            self.menu(60)
        # retry: the passphrase again (wrong again), then the menu again.
        self.choose("retry")
        self.wrong_passphrases(1)
        self.menu(T_PROMPT)
        check(not re.search(PASSWORD_PROMPT, self.vm.transcript), "a password was asked")
        check(SHELL not in self.vm.transcript, "a shell prompt appeared")
        self.choose("9")
        self.finish()


SCENARIOS = [AfterPassphrases, CmdlineBoot, Lockout, MissingDevice, Secrets, RootFailure,
             NoPassword]


if __name__ == "__main__":
    import run
    run.SCENARIOS[:] = SCENARIOS
    sys.exit(run.main())
