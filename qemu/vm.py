# SPDX-License-Identifier: LGPL-2.1-or-later
"""Expect-style control of a QEMU virtual machine over its serial console.

    vm = VM("boot-passphrase", workdir, firmware=Firmware.OVMF,
            disks=[Disk(esp_img), Disk(overlay_img, fmt="qcow2")])
    vm.start()
    vm.expect(r"passphrase.*: ", timeout=300)
    vm.send("secret\\n")
    m = vm.expect(r"KOOMPI-TESTROOT: root=(\\S+)")
    vm.wait_exit()

Every byte the guest writes to its serial port is kept (vm.transcript) and
written as it arrives to WORKDIR/console.log. Errors raised while waiting carry
the last lines of the transcript, so a CI log alone shows what the guest did.
Waiting is always for console output or for QEMU to exit, never a fixed sleep.

The environment variable KOOMPI_VM_TIMEOUT_SCALE multiplies every timeout
(default 1), for slow or busy machines.
"""

import atexit
import bisect
import os
import re
import shutil
import subprocess
import sys
import threading
import time

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
# OVMF's Secure Boot build: needs SMM and a secure flash. With OVMF_VARS (no keys: setup mode)
# Secure Boot is off until keys are enrolled.
OVMF_CODE_SECBOOT = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
QEMU = os.environ.get("KOOMPI_QEMU", "qemu-system-x86_64")
TAIL_LINES = 150
# Terminal control sequences of the firmware (screen clears, colours), dropped when echoing.
_ANSI = re.compile(r"\x1b(\[[0-9;=?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78cDEHM])")

_running = set()


@atexit.register
def _kill_leftovers():
    # A VM must not outlive the program that started it, whatever went wrong there.
    for vm in list(_running):
        vm.kill()


def timeout_scale():
    try:
        return max(0.1, float(os.environ.get("KOOMPI_VM_TIMEOUT_SCALE", "1")))
    except ValueError:
        return 1.0


class VMError(Exception):
    """A wait that failed; the message ends with the tail of the console transcript."""


class VMTimeout(VMError):
    pass


class VMExited(VMError):
    pass


class Firmware:
    OVMF = "ovmf"      # UEFI firmware, boots the first bootable disk
    OVMF_SECBOOT = "ovmf-secboot"  # the same, built with Secure Boot
    DIRECT = "direct"  # -kernel/-initrd/-append (SeaBIOS loads them)


class Disk:
    """A virtio-blk disk. fmt is "raw" or "qcow2"; bootindex orders them for the firmware."""

    def __init__(self, path, fmt=None, readonly=False, bootindex=None, serial=None):
        self.path = path
        self.fmt = fmt or ("qcow2" if path.endswith(".qcow2") else "raw")
        self.readonly = readonly
        self.bootindex = bootindex
        self.serial = serial


def qcow2_overlay(base, path, base_fmt="raw"):
    """Creates PATH, a qcow2 image whose unwritten blocks read from BASE (left untouched)."""
    if os.path.exists(path):
        os.unlink(path)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", os.path.abspath(base),
                    "-F", base_fmt, path], check=True)
    return path


class VM:
    def __init__(self, name, workdir, *, firmware=Firmware.OVMF, kernel=None, initrd=None,
                 append=None, disks=(), memory=1024, smp=None, no_reboot=True,
                 interactive=False, echo=None, extra_args=(), fresh_vars=True,
                 log_name="console.log", cpu="max"):
        self.name = name
        self.cpu = cpu
        self.workdir = workdir
        self.firmware = firmware
        self.kernel = kernel
        self.initrd = initrd
        self.append = append
        self.disks = list(disks)
        self.memory = memory
        self.smp = smp if smp is not None else int(os.environ.get("KOOMPI_VM_SMP", "1"))
        self.no_reboot = no_reboot
        self.interactive = interactive
        # echo: True (stderr), a text file, or None/False; $KOOMPI_VM_ECHO=1 turns it on.
        if echo is None:
            echo = os.environ.get("KOOMPI_VM_ECHO") == "1"
        self.echo = sys.stderr if echo is True else echo or None
        self.extra_args = list(extra_args)
        self.fresh_vars = fresh_vars
        self.vars_path = os.path.join(workdir, "OVMF_VARS.fd")
        # One scenario may start QEMU several times in one workdir (reboots with the same
        # firmware variables and disks): each start then gets its own log_name.
        self.log_path = os.path.join(workdir, log_name)
        self.proc = None
        self.started_at = None
        self._buf = bytearray()
        self._text = ""            # decoded transcript, '\r' removed
        self._chunk_ends = []      # offsets in _text where each received chunk ends
        self._chunk_times = []     # monotonic arrival time of each chunk
        self._pos = 0              # expect() searches from here
        self._cond = threading.Condition()
        self._eof = False
        self._reader = None
        self._log = None
        self.match_time = None     # arrival time of the end of the last expect() match
        self._echo_pending = ""
        os.makedirs(workdir, exist_ok=True)

    # ---------------------------------------------------------------- start/stop

    def command(self):
        secboot = self.firmware == Firmware.OVMF_SECBOOT
        cmd = [QEMU, "-name", self.name, "-machine", "q35,smm=on" if secboot else "q35", "-accel", "tcg",
               "-cpu", self.cpu,
               "-m", str(self.memory), "-smp", str(self.smp), "-display", "none",
               "-vga", "none", "-nodefaults", "-no-user-config",
               "-serial", "mon:stdio" if self.interactive else "stdio"]
        if not self.interactive:
            cmd += ["-monitor", "none"]
        if self.no_reboot:
            cmd += ["-no-reboot"]
        if self.firmware in (Firmware.OVMF, Firmware.OVMF_SECBOOT):
            if secboot:
                cmd += ["-global", "driver=cfi.pflash01,property=secure,value=on"]
            code = OVMF_CODE_SECBOOT if secboot else OVMF_CODE
            cmd += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
                    "-drive", f"if=pflash,format=raw,unit=1,file={self.vars_path}"]
        else:
            if not self.kernel:
                raise ValueError("direct boot needs a kernel")
            cmd += ["-kernel", self.kernel]
            if self.initrd:
                cmd += ["-initrd", self.initrd]
            if self.append:
                cmd += ["-append", self.append]
        for i, d in enumerate(self.disks):
            drive = f"if=none,id=disk{i},format={d.fmt},file={d.path},cache=unsafe,discard=unmap"
            if d.readonly:
                drive += ",readonly=on"
            dev = f"virtio-blk-pci,drive=disk{i}"
            if d.bootindex is not None:
                dev += f",bootindex={d.bootindex}"
            if d.serial:
                dev += f",serial={d.serial}"
            cmd += ["-drive", drive, "-device", dev]
        cmd += self.extra_args
        return cmd

    def start(self):
        if self.firmware != Firmware.DIRECT and (self.fresh_vars or not os.path.exists(self.vars_path)):
            shutil.copyfile(OVMF_VARS, self.vars_path)
        cmd = self.command()
        base = os.path.splitext(os.path.basename(self.log_path))[0]
        cmdfile = "qemu-cmdline" if base == "console" else f"qemu-cmdline-{base}"
        with open(os.path.join(self.workdir, cmdfile), "w") as f:
            f.write(" ".join(_shquote(a) for a in cmd) + "\n")
        self.started_at = time.monotonic()
        if self.interactive:
            self.proc = subprocess.Popen(cmd)
            _running.add(self)
            return self
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        _running.add(self)
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        return self

    def _read_loop(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            now = time.monotonic()
            if data:
                self._log.write(data)
                self._log.flush()
            with self._cond:
                if data:
                    self._buf += data
                    # Decode only whole UTF-8 sequences; keep a trailing partial one.
                    cut = len(self._buf)
                    for back in range(1, min(4, len(self._buf)) + 1):
                        b = self._buf[-back]
                        if b & 0xC0 == 0x80:
                            continue
                        if b >= 0xC0:
                            need = 2 if b < 0xE0 else 3 if b < 0xF0 else 4
                            if back < need:
                                cut = len(self._buf) - back
                        break
                    text = self._buf[:cut].decode("utf-8", "replace")
                    del self._buf[:cut]
                    self._text += text.replace("\r", "")
                    self._chunk_ends.append(len(self._text))
                    self._chunk_times.append(now)
                    # Echoed before waiters wake, so what they print comes after it.
                    if self.echo:
                        self._echo(text)
                else:
                    self._eof = True
                    if self.echo and self._echo_pending:
                        self._echo("", final=True)
                self._cond.notify_all()
            if not data:
                break
        self._log.close()

    def _echo(self, text, final=False):
        text = self._echo_pending + text
        self._echo_pending = ""
        esc = text.rfind("\x1b")
        # A control sequence cut by the end of the chunk waits for its end.
        if not final and esc >= 0 and len(text) - esc < 16 and not _ANSI.match(text, esc):
            text, self._echo_pending = text[:esc], text[esc:]
        try:
            self.echo.write(_ANSI.sub("", text).replace("\r", ""))
            self.echo.flush()
        except (OSError, ValueError):
            pass

    def kill(self):
        """Stops QEMU at once (safe to call more than once)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._reader:
            self._reader.join(5)
        _running.discard(self)

    def terminate(self, timeout=30):
        """Stops QEMU like a power cut for the guest, but lets QEMU write its own caches
        (qcow2 metadata) to the image files first: SIGTERM, then SIGKILL if it lingers."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._reader:
            self._reader.join(5)
        _running.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    # ---------------------------------------------------------------- console

    @property
    def transcript(self):
        with self._cond:
            return self._text

    def tail(self, lines=TAIL_LINES):
        """The last LINES lines of the transcript, terminal control sequences removed."""
        text = _ANSI.sub("", self.transcript)
        return "\n".join(text.split("\n")[-lines:])

    def _fail(self, cls, msg):
        raise cls(f"{self.name}: {msg}\n"
                  f"---- last {TAIL_LINES} lines of the console ({self.log_path}) ----\n"
                  f"{self.tail()}\n---- end of console ----")

    def expect(self, pattern, timeout=120):
        """Waits for PATTERN (a regex, searched in the output not yet consumed by an
        earlier expect) and returns the match. Raises VMTimeout or VMExited."""
        return self.expect_any([pattern], timeout)[1]

    def expect_any(self, patterns, timeout=120):
        """Waits for the earliest of PATTERNS; returns (index, match)."""
        regs = [re.compile(p, re.M) if isinstance(p, str) else p for p in patterns]
        deadline = time.monotonic() + timeout * timeout_scale()
        with self._cond:
            while True:
                best = None
                for i, r in enumerate(regs):
                    m = r.search(self._text, self._pos)
                    if m and (best is None or m.end() < best[1].end()):
                        best = (i, m)
                if best:
                    self._pos = best[1].end()
                    self.match_time = self._time_of(best[1].end())
                    return best
                if self._eof:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 1.0))
        want = " or ".join(f"/{r.pattern}/" for r in regs)
        if self._eof or (self.proc and self.proc.poll() is not None):
            self.proc.wait()
            self._fail(VMExited, f"QEMU exited (status {self.proc.returncode}) while waiting for {want}")
        self._fail(VMTimeout, f"no {want} within {timeout * timeout_scale():.0f} s")

    def _time_of(self, offset):
        i = bisect.bisect_left(self._chunk_ends, offset)
        if i >= len(self._chunk_times):
            return time.monotonic()
        return self._chunk_times[i]

    def elapsed(self, since=None):
        """Seconds from `since` (a time.monotonic() value, default: QEMU start) to the last match."""
        return self.match_time - (since if since is not None else self.started_at)

    def send(self, text):
        """Types TEXT on the serial console."""
        if isinstance(text, str):
            text = text.encode()
        try:
            self.proc.stdin.write(text)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            self._fail(VMExited, f"cannot type on the console: {e}")

    def sendline(self, text):
        self.send(text + "\r")

    def wait_exit(self, timeout=120):
        """Waits for QEMU to exit (the guest powered off); returns its exit status."""
        if self.interactive:
            return self.proc.wait()
        try:
            self.proc.wait(timeout * timeout_scale())
        except subprocess.TimeoutExpired:
            self._fail(VMTimeout, f"QEMU still running after {timeout * timeout_scale():.0f} s")
        if self._reader:
            self._reader.join(10)
        return self.proc.returncode


def _shquote(s):
    if re.fullmatch(r"[\w@%+=:,./-]+", s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"
