# SPDX-License-Identifier: LGPL-2.1-or-later
"""/usr/libexec/koompi-test-release of the systemd root, for the VM test update-release
(tests/vm/release.py). The test unit runs it first when the kernel command line has
koompi.test=release; it exits 1 when the boot is to be reported as usual.

One phase per boot, kept in /var/lib/koompi-test/release (/var is shared by the roots):
  (none)   the mirror /efi/koompi-test/m1 served on 127.0.0.1:8080 (perl, in the guest: no
           traffic leaves the VM), the agent pointed at it (agent.conf bind-mounted from /run),
           `koompi update check` (the agent fetches and verifies release 2026.12.2), then
           `koompi-boot update --release 2026.12.2`, `koompi status`, reboot
  updated  the release's root booted and blessed: the mirror m2, whose manifest revokes
           2026.12.2, `koompi update check`; the agent rolls back and raises an alert; the
           outcomes, the alerts and the agent's log on the console; reboot
  revoked  exit 1: the usual report (on the root the machine went back to)
Every line it prints starts with KOOMPI-RELEASE:.
The test roots carry no kernel (their entries boot the ESP's), so the agent's koompi-boot is a
wrapper that gives rollback the booted entry's kernel and initramfs, as update-in-vm gives them
to update; a real root carries its own.
"""

HTTPD = r"""
use IO::Socket::INET;
my ($dir, $port) = @ARGV;
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port, Listen => 5, ReuseAddr => 1)
    or die "listen: $!";
while (my $c = $s->accept) {
    my $req = <$c> // "";
    my ($path) = $req =~ m{^GET (/[^ ?]*)};
    while (my $l = <$c>) { last if $l =~ /^\r?\n$/ }
    my $file = defined $path && $path !~ /\.\./ ? "$dir$path" : "";
    if ($file ne "" && -f $file && open(my $f, "<", $file)) {
        local $/;
        my $b = <$f>;
        print $c "HTTP/1.0 200 OK\r\nContent-Length: " . length($b) . "\r\n\r\n" . $b;
    } else {
        print $c "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    }
    close $c;
}
"""

SCRIPT = r"""#!/bin/sh
# koompi-test-release: see qemu/release_script.py.
say() { printf 'KOOMPI-RELEASE: %s\n' "$*"; }
state=/var/lib/koompi-test/release
phase=$(cat $state 2>/dev/null)
[ "$phase" = revoked ] && exit 1
mkdir -p /var/lib/koompi-test /run/koompi-test/keys
mirror=m1
[ "$phase" = updated ] && mirror=m2
cp -r /efi/koompi-test/$mirror /run/koompi-test/mirror
cp /efi/koompi-test/release.pub /run/koompi-test/keys/
ent=$(grep -lw koompi.test=release /efi/loader/entries/*.conf | head -n 1)
k=$(sed -n 's/^linux[[:space:]]*//p' "$ent" | head -n 1)
i=$(sed -n 's/^initrd[[:space:]]*//p' "$ent" | head -n 1)
cat >/run/koompi-test/koompi-boot <<EOF
#!/bin/sh
case " \$* " in
*" rollback "*) exec /usr/bin/koompi-boot "\$@" --kernel "/efi$k" --initrd "/efi$i" ;;
esac
exec /usr/bin/koompi-boot "\$@"
EOF
chmod 755 /run/koompi-test/koompi-boot
cat >/run/koompi-test/httpd.pl <<'PL'
@HTTPD@
PL
perl /run/koompi-test/httpd.pl /run/koompi-test/mirror 8080 &
printf '[agent]\nkoompi_boot = /run/koompi-test/koompi-boot\n[update]\nmirrors = http://127.0.0.1:8080\nchannel = stable\nkeys_dir = /run/koompi-test/keys\n' \
    >/run/koompi-test/agent.conf
mount --bind /run/koompi-test/agent.conf /etc/koompi/agent.conf
systemctl restart koompi-agent.service
sleep 1
say "phase=${phase:-first} root=$(cat /etc/koompi/release 2>/dev/null || echo none)"
say "check $(koompi --json update check 2>&1 | tr -d '\n')"
if [ -z "$phase" ]; then
    koompi-boot update --release 2026.12.2 --run 'touch /etc/koompi-updated' --kernel "/efi$k" \
        --initrd "/efi$i" >/run/koompi-update.log 2>&1
    rc=$?
    sed 's/^/KOOMPI-RELEASE: update-log /' /run/koompi-update.log
    say "update rc=$rc"
    say "status $(koompi --json status 2>&1 | tr -d '\n')"
    echo updated >$state
else
    n=0
    while [ $n -lt 90 ] && ! koompi-boot alerts 2>/dev/null | grep -q revoked; do
        sleep 1
        n=$((n + 1))
    done
    say "waited ${n}s for the rollback"
    say "alerts $(koompi-boot alerts 2>&1 | tr '\n' '|')"
    echo revoked >$state
fi
say "outcomes $(tr '\n' '|' </var/lib/koompi/update/outcomes 2>&1)"
journalctl -b -o cat -u koompi-agent.service --no-pager 2>&1 | grep 'update' | sed 's/^/KOOMPI-RELEASE: agent /'
say "done"
sync
systemctl --no-block reboot
exit 0
""".replace("@HTTPD@", HTTPD.strip())
