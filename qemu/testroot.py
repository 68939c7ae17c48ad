# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the consoles of the test VMs say: the prompts of koompi-init and the
report of the test root's init (tests/vm/testroot-init.c)."""

import json
import re

# koompi-init asks with a line containing "passphrase" and ending with ": ". Not its refusal,
# "wrong passphrase for disk root: 1 try left", which also ends with ": " when the console has
# delivered only that much of it so far.
PROMPT = r"(?im)^(?![^\n]*wrong passphrase)[^\n]*passphrase[^\n]*: $"
# ... and refuses a wrong one with one of these.
WRONG = r"(?i)(wrong passphrase|no key available)[^\n]*"
# The first line of the test root's report that the tests read.
REPORT = r"KOOMPI-TESTROOT: root=(\S+) ro=(\d) home=(\S+) var=(\S+)\n"
# Console output meaning the boot went wrong, whatever is awaited.
FATAL = [r"Kernel panic - not syncing[^\n]*", r"Shell> ", r"KOOMPI-TESTROOT: done[^\n]*\n"]


def read_report(vm, first, timeout=60):
    """Reads the rest of the test root's report, `first` being the match of REPORT.
    Returns a dict: root, ro, home, var, root_name, home_marker, write{root,home,var},
    boot_json (dict or None; boot_json_raw then), mounts [(point, fstype, source, opts, super)],
    kmsg [lines], action, up_s (seconds from QEMU start to the report), block (the report's
    text on the console), status (koompi-boot status --json of /etc/testroot-run: a dict, or
    None; status_rc, status_raw, status_err)."""
    rep = {"root": first.group(1), "ro": first.group(2), "home": first.group(3),
           "var": first.group(4), "up_s": vm.match_time - vm.started_at}
    rep["root_name"] = vm.expect(r"KOOMPI-TESTROOT: root-name=(.*)\n", timeout).group(1)
    rep["home_marker"] = vm.expect(r"KOOMPI-TESTROOT: home-marker=(.*)\n", timeout).group(1)
    w = vm.expect(r"KOOMPI-TESTROOT: write root=(\S+) home=(\S+) var=(\S+)\n", timeout)
    rep["write"] = {"root": w.group(1), "home": w.group(2), "var": w.group(3)}
    bj = vm.expect(r"KOOMPI-TESTROOT: boot.json (.*)\n", timeout).group(1)
    try:
        rep["boot_json"] = json.loads(bj)
    except ValueError:
        rep["boot_json"] = None
        rep["boot_json_raw"] = bj
    # Up to the end of the word: a match on a line still arriving would cut it short.
    done = vm.expect(r"KOOMPI-TESTROOT: done action=(\w+)[ \n]", timeout)
    rep["action"] = done.group(1)
    block = vm.transcript[first.start():done.end()]
    rep["kmsg"] = re.findall(r"KOOMPI-TESTROOT: kmsg (.*)", block)
    rep["mounts"] = [tuple(m.split(" ", 4)) for m in
                     re.findall(r"KOOMPI-TESTROOT: mount (\S+ \S+ \S+ \S+ \S+)\n", block)]
    rep["block"] = block
    rep.update(read_status(block))
    return rep


# What qemu/testroot-status.sh and the systemd root's report unit print.
STATUS = r"KOOMPI-STATUS rc=(\d+) esp=(\S+) ([^\n]*)\n"


def read_status(text):
    """The last koompi-boot status line in TEXT: {status, status_rc, status_esp, status_raw,
    status_err}; status is None when there is no such line or it is not JSON."""
    found = re.findall(STATUS, text)
    out = {"status": None, "status_rc": None, "status_esp": None, "status_raw": None,
           "status_err": re.findall(r"KOOMPI-STATUS-ERR: ([^\n]*)", text)}
    if not found:
        return out
    rc, esp, raw = found[-1]
    out.update(status_rc=int(rc), status_esp=esp, status_raw=raw)
    try:
        out["status"] = json.loads(raw)
    except ValueError:
        pass
    return out


def timeline_rows(boot_json):
    """[(stage, at_ms, took_ms or None)] from boot.json's "timeline"
    ([{"stage": NAME, "ms": MS since the kernel started, at the end of the stage}])."""
    rows = []
    prev = None
    for t in (boot_json or {}).get("timeline", []):
        if not isinstance(t, dict) or "ms" not in t:
            continue
        ms = t["ms"]
        rows.append((str(t.get("stage", "?")), ms, None if prev is None else ms - prev))
        prev = ms
    return rows


def format_timeline(boot_json, indent="  "):
    rows = timeline_rows(boot_json)
    if not rows:
        return indent + "(no timeline in boot.json: " + json.dumps(boot_json) + ")"
    w = max(len("stage"), max(len(r[0]) for r in rows))
    out = [f"{indent}{'stage':<{w}}  {'done at (ms)':>12}  {'took (ms)':>9}"]
    for stage, at, took in rows:
        out.append(f"{indent}{stage:<{w}}  {at:>12}  {'' if took is None else took:>9}")
    prompt = boot_json.get("prompt_ms")
    if prompt:
        out.append(f"{indent}(unlock includes {prompt} ms waiting at the passphrase prompt)")
    return "\n".join(out)
