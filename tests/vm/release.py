# SPDX-License-Identifier: LGPL-2.1-or-later
"""The VM test of signed releases, run by tests/vm/run.py with the others
(SCENARIOS below).

  update-release   the systemd disk, its counted entry with koompi.test=release: inside the
                   booted Debian root (systemd, the agent by bus activation) a mirror is served
                   from the ESP on 127.0.0.1 (no network device), `koompi update check` makes
                   the agent fetch and verify the signed release 2026.12.2, `koompi-boot update
                   --release 2026.12.2` makes its root, and the guest reboots in the same QEMU.
                   The release's root boots and is blessed; a second signed manifest revokes
                   2026.12.2: the agent rolls back (`koompi-boot rollback @root-systemd`) and
                   raises a "revoked" alert naming the release and that root; the next boot is
                   @root-systemd, its status shows the alert and the release's root bad.
                   The guest's phases are qemu/release_script.py. About 3 minutes.
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vmtest  # noqa: E402,F401  (sets up the import path of qemu/)
import disk  # noqa: E402
from rollback import (BOOT_FAILED, SYSTEMD, T_SYSTEMD, SystemdBless, alerts_of, entry_of,  # noqa: E402
                      parse_entry, snapshot_state)
from testroot import PROMPT, WRONG, read_status  # noqa: E402
from vmtest import T_PROMPT, T_ROOT, Failure, Skip, check  # noqa: E402

RELEASE = "2026.12.2"
RELEASE_TOOL = os.path.join(disk.ROOT, "build", "koompi-release")


def _stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_mirror(top, name, serial, revoked, key):
    """TOP/NAME/stable/manifest.json of RELEASE, signed with KEY; its files."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    m = {"format": 1, "channel": "stable", "version": RELEASE, "serial": serial,
         "issued": _stamp(now - datetime.timedelta(days=1)),
         "expires": _stamp(now + datetime.timedelta(days=30)), "tier": "security",
         "rollout": {"percent": 100, "paused": False}, "repo": {"name": "koompi", "path": RELEASE + "/"},
         "packages": [], "revoked": revoked}
    d = os.path.join(top, name, "stable")
    os.makedirs(d)
    path = os.path.join(d, "manifest.json")
    with open(path, "w") as f:
        f.write(json.dumps(m, indent=1) + "\n")
    subprocess.run([RELEASE_TOOL, "-m", path, "-s", key, "sign"], check=True, stdout=subprocess.DEVNULL)
    return [(path, f"/koompi-test/{name}/stable/manifest.json"),
            (path + ".minisig", f"/koompi-test/{name}/stable/manifest.json.minisig")]


class UpdateRelease(SystemdBless):
    name = "update-release"
    doc = ("the agent takes a signed release from a mirror inside the guest, its root boots and "
           "is blessed; a release revoking it sends the machine back with an alert")

    def mirrors(self):
        """The ESP's files and folders: the public key, mirror m1 (the release) and m2 (a
        newer manifest revoking it)."""
        if not os.access(RELEASE_TOOL, os.X_OK):
            raise Skip(f"{RELEASE_TOOL} is not built (make all)")
        top = self.workdir + ".mirrors"
        shutil.rmtree(top, ignore_errors=True)
        os.makedirs(top)
        key, pub = os.path.join(top, "release.key"), os.path.join(top, "release.pub")
        subprocess.run([RELEASE_TOOL, "keygen", "-s", key, "-p", pub], check=True, stdout=subprocess.DEVNULL)
        files = [(pub, "/koompi-test/release.pub")]
        files += write_mirror(top, "m1", 1, [], key)
        files += write_mirror(top, "m2", 2, [RELEASE], key)
        dirs = ["/koompi-test"] + [f"/koompi-test/{m}{s}" for m in ("m1", "m2") for s in ("", "/stable")]
        return files, dirs

    def lines(self, since=0):
        return "\n".join(re.findall(r"KOOMPI-RELEASE: [^\n]*", self.vm.transcript[since:]))

    def phase(self, what, since):
        """Types the passphrase and waits for the guest's phase to say done."""
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED, r"KOOMPI-REPORT: done"])
        self.vm.sendline(disk.PASSPHRASE)
        t0 = self.vm.match_time
        self.expect(r"KOOMPI-RELEASE: done", T_SYSTEMD, bad=[WRONG, PROMPT, BOOT_FAILED, r"KOOMPI-REPORT: done"])
        self.note(f"{what}: done {self.vm.match_time - t0:.1f} s after the passphrase")
        return self.lines(since)

    def run(self):
        files, dirs = self.mirrors()
        disks = self.setup_systemd("systemd.show_status=1 koompi.test=release", esp_files=files,
                                   esp_dirs=dirs)
        self.start_vm(disks=disks, no_reboot=False)
        first = self.phase("first boot (take the release)", 0)
        check_first(first)
        since = len(self.vm.transcript)
        second = self.phase("the release's root (revoked)", since)
        new = check_second(second)
        self.note(f"the release's root: {new}")
        since = len(self.vm.transcript)
        self.expect(PROMPT, T_PROMPT, bad=[WRONG, BOOT_FAILED])
        self.vm.sendline(disk.PASSPHRASE)
        self.expect(r"systemd\[1\]|Welcome to ", T_ROOT, bad=[WRONG, PROMPT, BOOT_FAILED])
        self.expect(r"KOOMPI-REPORT: done", T_SYSTEMD, bad=[WRONG, PROMPT, BOOT_FAILED])
        st = read_status(self.vm.transcript[since:])
        self.finish()
        names = self.entries()
        self.note(f"ESP entries at the end: {' '.join(names)}")
        check_third(st, new, names)


def check_first(text):
    m = re.search(r"KOOMPI-RELEASE: check (\{.*\})", text)
    check(m is not None, f"no koompi update check answer in the first boot:\n{text}")
    ans = json.loads(m.group(1))
    check(ans.get("version") == RELEASE and ans.get("eligible") is True,
          f"the agent did not accept release {RELEASE} as one to take: {ans}\n{text}")
    check("KOOMPI-RELEASE: update rc=0" in text, f"koompi-boot update --release failed:\n{text}")
    m = re.search(r"KOOMPI-RELEASE: status (\{.*\})", text)
    status = json.loads(m.group(1)) if m else {}
    check(RELEASE in str(status.get("update_pending")),
          f"koompi status does not say the release boots next: {status.get('update_pending')!r}\n{text}")
    check(f'"version":"{RELEASE}","outcome":"applied"' in text, f"no applied outcome:\n{text}")


def check_second(text):
    m = re.search(r"KOOMPI-RELEASE: phase=updated root=(\S+)", text)
    check(m is not None and m.group(1) == RELEASE,
          f"the second boot is not on the release's root (its /etc/koompi/release):\n{text}")
    m = re.search(r"KOOMPI-RELEASE: check (\{.*\})", text)
    ans = json.loads(m.group(1)) if m else {}
    check(ans.get("revoked_current") is True and ans.get("current") == RELEASE,
          f"the revoking manifest's answer does not say the current release is revoked: {ans}\n{text}")
    m = re.search(r"release " + re.escape(RELEASE) + r" of the booted root (@root-\S+) was revoked: going back to "
                  + re.escape(SYSTEMD), text)
    check(m is not None, f"no revoked alert naming {RELEASE} and {SYSTEMD}:\n{text}")
    for outcome in ("booted-good", "rolled-back"):
        check(f'"version":"{RELEASE}","outcome":"{outcome}"' in text, f"no {outcome} outcome:\n{text}")
    return m.group(1)


def check_third(st, new, names):
    status = st["status"]
    check(status is not None, f"no koompi-boot status --json after the rollback: {st}")
    booted = status.get("booted", {}).get("snapshot")
    check(booted == SYSTEMD, f"after the revocation the machine booted {booted!r}, expected {SYSTEMD}")
    check(snapshot_state(status, new) == "bad",
          f"the revoked release's root {new} is {snapshot_state(status, new)!r}, expected bad")
    al = [a for a in alerts_of(status) if a.get("kind") == "revoked" and RELEASE in str(a.get("message"))
          and SYSTEMD in str(a.get("message"))]
    check(al, f"status --json has no revoked alert naming {RELEASE} and {SYSTEMD}: {alerts_of(status)}")
    e = entry_of(names, "koompi-" + new.lstrip("@"))
    _, left, _ = parse_entry(e if isinstance(e, str) else "?")
    check(left == 0, f"the revoked root's entry is {e}, expected spent (+0)")


SCENARIOS = [UpdateRelease]
