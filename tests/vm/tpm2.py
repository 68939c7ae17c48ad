# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM tests of unlocking through the TPM (a systemd-tpm2 token); run by tests/vm/run.py with the
others (SCENARIOS below).

  tpm2-uki-rollback
                a copy of the rollback disk gets a TPM2 token from koompi-boot tpm2 enroll on
                the host, against a swtpm, sealed to no PCR; the ESP holds the UKIs entries sync
                wrote ([boot] image = uki, tries = 1): @root-new's (+1, its init reboots) and
                @root-current's (good). The VM boots with that swtpm as its TPM and an image
                carrying the token plugin ([luks] tpm2 = yes): koompi-init waits for
                /dev/tpmrm0, the TPM releases the key with no prompt on every boot; @root-new
                comes up and reboots, systemd-boot spends its UKI (+0-1) and starts
                @root-current's by itself, with koompi-init's ALERT; boot.json says
                "unlocked_by":"tpm2" both times
  tpm2-refused  the same, sealed to PCR 7 as the host's TPM saw it (no firmware measured
                anything: another Secure Boot state than the VM's): koompi-init says in one
                line that the TPM would not release the key, asks; the recovery key printed
                by tpm2 enroll opens the volume, and the boot raises an alert

swtpm runs twice per scenario, both started and stopped by the test by their PIDs: on the host
for the enrolment (TCP on 127.0.0.1), then beside QEMU on the same state (a unix socket).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vmtest  # noqa: E402,F401  (sets up the import path of qemu/)
import disk  # noqa: E402
from testroot import PROMPT, WRONG  # noqa: E402
from secureboot import LoopTop, koompi_boot, staged_files  # noqa: E402
from vm import Disk  # noqa: E402
from vmtest import BOOT_CONF, RUNDIR, T_PROMPT, Failure, Scenario, Skip, check, entries_for  # noqa: E402

CURRENT = disk.SNAPSHOT_CURRENT
TOOLS = ("swtpm", "losetup", "systemd-cryptenroll")
PLUGIN = "/usr/lib/x86_64-linux-gnu/cryptsetup/libcryptsetup-token-systemd-tpm2.so"
REFUSAL = r"the TPM would not release the key: Secure Boot was turned off or its keys changed; type the recovery key"
RECOVERY_KEY = re.compile(r"\b[a-z]{8}(?:-[a-z]{8}){7}\b")
ALERT_TPM = r"ALERT: the TPM would not release the key"
LUKS_OFFSET = 2048 * 512  # the LUKS partition of the encrypted disk (qemu/disk.py)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Swtpm:
    """swtpm on STATE, in the foreground as our child, stopped by its PID."""

    def __init__(self, state, args, log):
        self.proc = subprocess.Popen(["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={state}", *args],
                                     stdout=log, stderr=subprocess.STDOUT)

    def wait_for(self, path=None, port=None, timeout=30):
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if self.proc.poll() is not None:
                raise Failure(f"swtpm exited with status {self.proc.returncode}")
            if path and os.path.exists(path):
                return
            if port:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        return
            time.sleep(0.05)
        raise Failure("swtpm did not start listening")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Tpm2Scenario(Scenario):
    pcrs = ""
    variant = "standard"

    def prepare(self):
        missing = [t for t in TOOLS if not shutil.which(t)]
        if missing:
            raise Skip(f"missing {', '.join(missing)} (make deps)")
        if os.geteuid() != 0:
            raise Skip("the enrolment needs a loop device: run as root")
        if not os.path.exists(PLUGIN):
            raise Skip(f"no {PLUGIN} (package systemd)")

    def initramfs(self):
        def build():
            conf = os.path.join(RUNDIR, "boot-tpm2.conf")
            with open(BOOT_CONF) as f:
                text = f.read()
            with open(conf, "w") as f:
                f.write(re.sub(r"(?m)^tpm2 = .*$", "tpm2 = yes", text))
            return disk.make_initramfs(os.path.join(RUNDIR, "initramfs-tpm2.img"), config=conf)
        return self.shared._once("initramfs (tpm2)", build)

    def enroll(self, image, state):
        """koompi-boot tpm2 enroll on the LUKS partition of IMAGE; returns the recovery key."""
        port = free_port()
        log = open(os.path.join(self.workdir, "swtpm-host.log"), "w")
        tpm = Swtpm(state, ["--server", f"type=tcp,port={port},bindaddr=127.0.0.1",
                            "--ctrl", f"type=tcp,port={port + 1},bindaddr=127.0.0.1",
                            "--flags", "not-need-init,startup-clear"], log)
        loop = None
        try:
            tpm.wait_for(port=port)
            loop = subprocess.run(["losetup", "--find", "--show", "--offset", str(LUKS_OFFSET), image],
                                  stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
            r = subprocess.run([disk.KOOMPI_BOOT, "tpm2", "enroll", "--device", loop,
                                f"--tpm2-device=swtpm:host=127.0.0.1,port={port}", f"--tpm2-pcrs={self.pcrs}"],
                               env=dict(os.environ, PASSWORD=disk.PASSPHRASE), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            with open(os.path.join(self.workdir, "enroll.log"), "w") as f:
                f.write(RECOVERY_KEY.sub("<recovery key>", r.stdout))
            check(r.returncode == 0, f"koompi-boot tpm2 enroll failed: {RECOVERY_KEY.sub('<key>', r.stdout)}")
            m = RECOVERY_KEY.search(r.stdout)
            check(m, "tpm2 enroll printed no recovery key")
            return m.group(0)
        finally:
            if loop:
                subprocess.run(["losetup", "-d", loop])
            tpm.stop()
            log.close()

    def boot_with_tpm(self):
        self.prepare()
        self.fresh_workdir()
        initrd = self.initramfs()
        image = os.path.join(self.workdir, "luks-root.img")
        subprocess.run(["cp", "--sparse=always", self.shared.luks_disk(self.variant), image], check=True)
        state = os.path.join(self.workdir, "tpm-state")
        os.makedirs(state)
        self.recovery_key = self.enroll(image, state)
        if self.variant == "rollback":
            files, dirs = self.esp_files(initrd)
            esp = disk.make_esp(os.path.join(self.workdir, "esp.img"), initrd, [], None, extra_files=files,
                                extra_dirs=dirs)
        else:
            ents = entries_for()
            esp = disk.make_esp(os.path.join(self.workdir, "esp.img"), initrd, ents, ents[0].id)
        self.esp = esp
        sock = os.path.join(state, "sock")
        self.tpm_log = open(os.path.join(self.workdir, "swtpm.log"), "w")
        self.tpm = Swtpm(state, ["--ctrl", f"type=unixio,path={sock}"], self.tpm_log)
        self.tpm.wait_for(path=sock)
        tpm_args = ["-chardev", f"socket,id=chrtpm,path={sock}", "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
                    "-device", "tpm-crb,tpmdev=tpm0"]
        # Guest reboots stay in this QEMU, with its TPM, variable store and disks.
        return self.start_vm(disks=[Disk(esp, "raw", bootindex=0), Disk(image, "raw")], extra_args=tpm_args,
                             no_reboot=self.variant != "rollback")

    def execute(self):
        try:
            super().execute()
        finally:
            if getattr(self, "tpm", None):
                self.tpm.stop()
                self.tpm_log.close()

    def check_secrets(self):
        super().check_secrets()
        for vm in self.vms:
            check(self.recovery_key not in vm.transcript, "the recovery key appears in the console transcript")


class Tpm2UkiRollback(Tpm2Scenario):
    name = "tpm2-uki-rollback"
    doc = ("UKIs and a TPM2 token (no PCRs): no prompt on any boot; @root-new's failed boot spends "
           "its UKI and systemd-boot falls back to @root-current's, with the ALERT")
    pcrs = ""
    variant = "rollback"

    def esp_files(self, initrd):
        """The UKIs of @root-current (good in the ledger) and @root-new (+1) as entries sync writes them."""
        staging = os.path.join(self.workdir, "esp-files")
        conf = os.path.join(self.workdir, "boot.conf")
        with open(conf, "w") as f:
            f.write(f"[boot]\nimage = uki\ntries = 1\n[secureboot]\nkeys = {self.workdir}/no-keys\n")
        os.makedirs(os.path.join(staging, "loader"))
        with open(os.path.join(staging, "loader", "loader.conf"), "w") as f:
            f.write("timeout 0\nauto-entries no\nauto-firmware no\n")
        ledger = "koompi-boot-ledger 1\nboot 1 1732400000 koompi-root-current.conf @root-current - good good -\n"
        with LoopTop(self.workdir, [CURRENT, disk.ROOT_NEW], ledger) as top:
            koompi_boot("--top", top, "--esp", staging, "--config", conf, "entries", "sync", "--kernel", disk.KERNEL,
                        "--initrd", initrd, "--options", disk.kernel_cmdline(CURRENT, extra="quiet"))
        return staged_files(staging)

    def boot_report(self, snapshot, what):
        rep = self.testroot_report(bad=[PROMPT, WRONG, REFUSAL])
        check(rep["root"] == snapshot, f"{what}: came up on {rep['root']}, expected {snapshot}")
        self.check_root(rep, snapshot, note=False)
        bj = rep["boot_json"]
        check(bj.get("unlocked_by") == "tpm2", f"{what}: boot.json says unlocked_by {bj.get('unlocked_by')!r}")
        marks = {m["stage"]: m["ms"] for m in bj.get("timeline", [])}
        self.note(f"{what}: {snapshot} from {bj.get('entry_file')}, unlocked by the TPM; unlock stage "
                  f"{marks.get('unlock', 0) - marks.get('device', 0)} ms, start to exec {marks.get('exec', 0)} ms")
        return rep

    def run(self):
        self.boot_with_tpm()
        rep = self.boot_report(disk.ROOT_NEW, "boot 1")
        check(rep["action"] == "reboot", f"boot 1: @root-new's init did {rep['action']}, expected reboot")
        since = len(self.vm.transcript)
        self.boot_report(CURRENT, "boot 2 (after the failed one)")
        alerts = re.findall(r"ALERT: ([^\n]*)", self.vm.transcript[since:])
        check([a for a in alerts if disk.ROOT_NEW in a and CURRENT in a],
              f"boot 2: no ALERT naming {disk.ROOT_NEW} and {CURRENT}: {alerts!r}")
        self.finish()
        ukis = disk.esp_list(self.esp, "/EFI/Linux")
        check("koompi-root-new+0-1.efi" in ukis, f"@root-new's UKI is not spent: EFI/Linux holds {ukis}")


class Tpm2Refused(Tpm2Scenario):
    name = "tpm2-refused"
    doc = ("a token sealed to another PCR 7: the refusal said in one line, the recovery key "
           "opens the volume, an alert is raised")
    pcrs = "7"

    def run(self):
        self.boot_with_tpm()
        self.expect(REFUSAL, T_PROMPT, bad=[PROMPT])
        self.expect(PROMPT, T_PROMPT, bad=[WRONG])
        self.vm.sendline(self.recovery_key)
        rep = self.testroot_report(bad=[WRONG, PROMPT])
        self.check_root(rep, CURRENT)
        check(rep["boot_json"].get("unlocked_by") == "passphrase",
              f"boot.json says unlocked_by {rep['boot_json'].get('unlocked_by')!r}")
        check(re.search(ALERT_TPM, self.vm.transcript), "no ALERT line about the TPM on the console")
        self.finish()


SCENARIOS = [Tpm2UkiRollback, Tpm2Refused]
