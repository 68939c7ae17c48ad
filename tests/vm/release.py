# SPDX-License-Identifier: LGPL-2.1-or-later
"""The VM test of signed releases, run by tests/vm/run.py with the others
(SCENARIOS below).

  update-release   the systemd disk, its counted entry with koompi.test=release: inside the
                   booted Debian root (systemd, the agent by bus activation) a mirror is served
                   from the ESP on 127.0.0.1 (no network device): the signed release 2026.12.2
                   and its repository (packages pkg-a and pkg-b built here by makepkg, indexed
                   by repo-add). `koompi update check` makes the agent fetch and verify it;
                   `koompi update apply` makes the agent download the packages as its [update]
                   user, verify them and run `koompi-boot update --release 2026.12.2` with pacman
                   pinned to that copy; the guest reboots in the same QEMU. The release's root
                   boots and is blessed, and pacman -Q there (its database inside the root)
                   lists the packages; a second signed manifest revokes 2026.12.2: the agent
                   rolls back (`koompi-boot rollback @root-systemd`) and raises a "revoked" alert
                   naming the release and that root; the next boot is @root-systemd, without the
                   packages, its status shows the alert and the release's root bad.
                   The guest's phases are qemu/release_script.py. About 5 minutes.
"""

import datetime
import glob
import hashlib
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


# The release's packages: built by makepkg, as tests/host/lib-pacman.sh builds them.
PACKAGES = ["pkg-a", "pkg-b"]
LIB_PACMAN = os.path.join(disk.ROOT, "tests", "host", "lib-pacman.sh")


def build_repo(top):
    """TOP/repo: PACKAGES at 1.0 (makepkg as nobody) and repo-add's koompi.db. The manifest's
    package entries, the database's first."""
    for tool in ("makepkg", "repo-add", "setpriv"):
        if not shutil.which(tool):
            raise Skip(f"{tool} is not installed (make deps)")
    repo = os.path.join(top, "repo")
    script = f'. "$1"; build_packages "$2" 1.0 {" ".join(PACKAGES)} && make_repo "$2" koompi'
    r = subprocess.run(["sh", "-c", script, "sh", LIB_PACMAN, repo], env=dict(os.environ, T=top),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise Failure(f"the release's packages could not be built:\n{r.stdout}")
    files = sorted(os.path.basename(f) for f in glob.glob(os.path.join(repo, "*.pkg.tar.*"))
                   if not f.endswith(".sig"))
    entries = []
    for f in ["koompi.db"] + files:
        data = open(os.path.join(repo, f), "rb").read()
        name, ver = ("koompi", "1") if f == "koompi.db" else (f.rsplit("-", 3)[0], "-".join(f.rsplit("-", 3)[1:3]))
        entries.append({"name": name, "version": ver, "file": f, "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest()})
    check(sorted(e["name"] for e in entries[1:]) == PACKAGES, f"makepkg made {files}, expected {PACKAGES}")
    return repo, entries


def write_mirror(top, name, serial, revoked, key, packages):
    """TOP/NAME/stable/manifest.json of RELEASE, signed with KEY, naming packages; its files."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    m = {"format": 1, "channel": "stable", "version": RELEASE, "serial": serial,
         "issued": _stamp(now - datetime.timedelta(days=1)),
         "expires": _stamp(now + datetime.timedelta(days=30)), "tier": "security",
         "rollout": {"percent": 100, "paused": False}, "repo": {"name": "koompi", "path": RELEASE + "/"},
         "packages": packages, "revoked": revoked}
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
        """The ESP's files and folders: the public key, mirror m1 (the release and its
        repository) and m2 (a newer manifest revoking it)."""
        if not os.access(RELEASE_TOOL, os.X_OK):
            raise Skip(f"{RELEASE_TOOL} is not built (make all)")
        top = self.workdir + ".mirrors"
        shutil.rmtree(top, ignore_errors=True)
        os.makedirs(top)
        key, pub = os.path.join(top, "release.key"), os.path.join(top, "release.pub")
        subprocess.run([RELEASE_TOOL, "keygen", "-s", key, "-p", pub], check=True, stdout=subprocess.DEVNULL)
        repo, packages = build_repo(top)
        self.note(f"the release's repository: {', '.join(p['file'] for p in packages)}")
        files = [(pub, "/koompi-test/release.pub")]
        files += write_mirror(top, "m1", 1, [], key, packages)
        files += write_mirror(top, "m2", 2, [RELEASE], key, packages)
        # The real files (repo-add's koompi.db is a link): the ESP is FAT.
        files += [(os.path.realpath(os.path.join(repo, p["file"])), f"/koompi-test/m1/stable/{RELEASE}/{p['file']}")
                  for p in packages]
        dirs = ["/koompi-test"] + [f"/koompi-test/{m}{s}" for m in ("m1", "m2") for s in ("", "/stable")]
        dirs.append(f"/koompi-test/m1/stable/{RELEASE}")
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
        third = self.lines(since)
        self.finish()
        names = self.entries()
        self.note(f"ESP entries at the end: {' '.join(names)}")
        check_third(st, new, names, third)


def installed(text, phase):
    """What the phase's `pacman -Q` and the packages' files said."""
    q = re.search(r"KOOMPI-RELEASE: pacman-q ([^\n]*)", text)
    f = re.search(r"KOOMPI-RELEASE: files ([^\n]*)", text)
    check(q is not None and f is not None, f"the {phase} boot did not say its packages:\n{text}")
    return q.group(1).strip(), f.group(1).strip()


def check_absent(text, phase):
    q, f = installed(text, phase)
    check(q == "" and f == "", f"the {phase} root holds the release's packages: pacman -Q {q!r}, files {f!r}")


def check_first(text):
    check_absent(text, "first")
    m = re.search(r"KOOMPI-RELEASE: check (\{.*\})", text)
    check(m is not None, f"no koompi update check answer in the first boot:\n{text}")
    ans = json.loads(m.group(1))
    check(ans.get("version") == RELEASE and ans.get("eligible") is True,
          f"the agent did not accept release {RELEASE} as one to take: {ans}\n{text}")
    m = re.search(r"KOOMPI-RELEASE: apply rc=(\d+) ([^\n]*)", text)
    check(m is not None and m.group(1) == "0", f"koompi update apply failed:\n{text}")
    ans = json.loads(m.group(2))
    check(ans.get("version") == RELEASE and str(ans.get("root", "")).startswith("@root-")
          and ans.get("fetched", 0) > 0, f"koompi update apply's answer: {ans}\n{text}")
    for p in PACKAGES:
        check(f"update apply: fetching {p}-1.0-1-" in text, f"the agent's log does not say it fetched {p}:\n{text}")
    m = re.search(r"KOOMPI-RELEASE: status (\{.*\})", text)
    status = json.loads(m.group(1)) if m else {}
    check(RELEASE in str(status.get("update_pending")),
          f"koompi status does not say the release boots next: {status.get('update_pending')!r}\n{text}")
    for outcome in ("taken", "applied"):
        check(f'"version":"{RELEASE}","outcome":"{outcome}"' in text, f"no {outcome} outcome:\n{text}")


def check_second(text):
    m = re.search(r"KOOMPI-RELEASE: phase=updated root=(\S+)", text)
    check(m is not None and m.group(1) == RELEASE,
          f"the second boot is not on the release's root (its /etc/koompi/release):\n{text}")
    q, f = installed(text, "release's")
    want = "|".join(f"{p} 1.0-1" for p in PACKAGES) + "|"
    check(q == want, f"pacman -Q in the release's root says {q!r}, expected {want!r}")
    check(f == "|".join(f"{p} 1.0" for p in PACKAGES) + "|", f"the packages' files in the release's root: {f!r}")
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


def check_third(st, new, names, text):
    check("KOOMPI-RELEASE: phase=revoked root=none" in text,
          f"the boot after the revocation is not on a root of no release:\n{text}")
    check_absent(text, "previous")
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
