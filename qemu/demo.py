#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The demo: boot the encrypted test install under QEMU (OVMF + systemd-boot).

    python3 qemu/demo.py                  make demo: types the passphrase, prints a summary
    python3 qemu/demo.py --interactive    make run: the console is yours
    python3 qemu/demo.py --interactive --shell
                                          ... and a shell in the booted root

The disks are those of the VM tests (qemu/disk.py), built once in build/vm/.
The encrypted disk is used through a fresh copy-on-write overlay each time.
"""

import argparse
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import disk  # noqa: E402
import testroot  # noqa: E402
from disk import Entry  # noqa: E402
from vm import VM, Disk, Firmware, VMError, qcow2_overlay  # noqa: E402

DEMODIR = os.path.join(disk.VMDIR, "demo")
BOOT_CONF = os.path.join(disk.ROOT, "config", "boot.conf")


def prepare(interactive, shell):
    os.makedirs(DEMODIR, exist_ok=True)
    t = time.monotonic()
    base = disk.build_luks_disk()
    initrd = disk.make_initramfs(os.path.join(DEMODIR, "initramfs.img"), config=BOOT_CONF)
    extra = "quiet" + (" testroot.action=shell" if shell else "")
    entries = [
        Entry("koompi-current", disk.kernel_cmdline(disk.SNAPSHOT_CURRENT, extra=extra),
              title="KOOMPI OS", sort_key="koompi-0"),
        Entry("koompi-2024-12-01", disk.kernel_cmdline(disk.SNAPSHOT_OLD, extra=extra),
              title=f"KOOMPI OS (previous root {disk.SNAPSHOT_OLD})", sort_key="koompi-1"),
    ]
    # Interactively, the menu stays a few seconds so another root can be picked.
    esp = disk.make_esp(os.path.join(DEMODIR, "esp.img"), initrd, entries, "koompi-current",
                        timeout=5 if interactive else 0)
    overlay = qcow2_overlay(base, os.path.join(DEMODIR, "luks-root.qcow2"))
    print(f"demo: disks ready in {time.monotonic() - t:.1f} s", flush=True)
    return [Disk(esp, "raw", bootindex=0), Disk(overlay, "qcow2")]


def interactive(disks, shell):
    print(f"""
demo: booting KOOMPI OS in QEMU (TCG, no KVM: give it 15-30 s).
demo: systemd-boot shows its menu for 5 s; the passphrase is: {disk.PASSPHRASE}
demo: {'a shell in the booted root follows the report; exit it to power off.' if shell else
       'the test root reports what it sees, then powers off.'}
demo: Ctrl-A x quits QEMU, Ctrl-A c its monitor.
""", flush=True)
    vm = VM("koompi-demo", DEMODIR, firmware=Firmware.OVMF, disks=disks, interactive=True)
    vm.start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the guest
    st = vm.wait_exit()
    print(f"\ndemo: QEMU exited with status {st}")
    return 0 if st == 0 else 1


def automatic(disks):
    print(f"demo: booting KOOMPI OS in QEMU (OVMF + systemd-boot, TCG); console below", flush=True)
    print("-" * 72, flush=True)
    vm = VM("koompi-demo", DEMODIR, firmware=Firmware.OVMF, disks=disks, echo=sys.stdout)
    try:
        vm.start()
        idx, m = vm.expect_any([testroot.PROMPT] + testroot.FATAL, 600)
        if idx != 0:
            vm._fail(VMError, f"no passphrase prompt; the console showed: {m.group(0).strip()!r}")
        prompt_at = vm.elapsed()
        time_typed = time.monotonic()
        vm.sendline(disk.PASSPHRASE)
        sys.stdout.write(f"[demo typed the passphrase {disk.PASSPHRASE!r}]\n")
        idx, m = vm.expect_any([testroot.REPORT, testroot.WRONG] + testroot.FATAL, 600)
        if idx != 0:
            vm._fail(VMError, f"the root did not come up: {m.group(0).strip()!r}")
        up_after = vm.match_time - time_typed
        rep = testroot.read_report(vm, m)
        vm.wait_exit(120)
    finally:
        vm.kill()
    print("-" * 72)
    summary(rep, prompt_at, up_after, vm)
    return 0


def summary(rep, prompt_at, up_after, vm):
    bj = rep["boot_json"] or {}
    ok = (rep["root"] == rep["root_name"] and rep["ro"] == "1"
          and rep["home"].startswith("rw:") and rep["var"].startswith("rw:"))
    print("\nKOOMPI OS demo: booted" + ("" if ok else " (with surprises: see above)"))
    print(f"  snapshot   {rep['root']:<18} {'read-only' if rep['ro'] == '1' else 'READ-WRITE'}"
          f"   (its /etc/koompi-root-name: {rep['root_name']})")
    for label, key in (("/home", "home"), ("/var", "var")):
        mode, _, sub = rep[key].partition(":")
        print(f"  {label:<10} {sub or rep[key]:<18} {'read-write' if mode == 'rw' else mode}"
              f"   (a file written: {rep['write'][key]})")
    print(f"  writing to / : {rep['write']['root']}")
    print("\nMounts seen by the root's init (/proc/self/mountinfo):")
    for point, fstype, source, opts, sup in rep["mounts"]:
        if fstype == "none":
            continue
        print(f"  {point:<6} {fstype:<9} {source:<18} {opts}  [{sup}]")
    if bj:
        print(f"\nkoompi-init: unlocked {bj.get('luks_device', '?')} "
              f"(keyslot {bj.get('keyslot', '?')}), root {bj.get('root_device', '?')}, "
              f"then ran {bj.get('init', '?')}")
        print("koompi-init boot timeline (/run/koompi/boot.json, ms since the kernel started):")
        print(testroot.format_timeline(bj))
    else:
        print(f"\n/run/koompi/boot.json: {rep.get('boot_json_raw', 'missing')}")
    print(f"\nOn the host: the prompt came {prompt_at:.1f} s after QEMU started (firmware, "
          f"systemd-boot, kernel, koompi-init under TCG);\n"
          f"the root's init reported {up_after:.1f} s after the passphrase was typed.")
    print(f"Console transcript: {os.path.relpath(vm.log_path, disk.ROOT)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--interactive", action="store_true", help="leave the console to the user")
    ap.add_argument("--shell", action="store_true",
                    help="with --interactive: a shell in the booted root after its report")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    try:
        disks = prepare(args.interactive, args.shell)
        if args.interactive:
            return interactive(disks, args.shell)
        return automatic(disks)
    except (VMError, disk.BuildError) as e:
        print(f"demo: FAILED: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
