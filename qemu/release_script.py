# SPDX-License-Identifier: LGPL-2.1-or-later
"""/usr/libexec/koompi-test-release of the systemd root, for the VM test update-release
(tests/vm/release.py). The test unit runs it first when the kernel command line has
koompi.test=release; it exits 1 when the boot is to be reported as usual.

One phase per boot, kept in /var/lib/koompi-test/release (/var is shared by the roots):
  (none)   the mirror /efi/koompi-test/m1 served on 127.0.0.1:8080 (perl, in the guest: no
           traffic leaves the VM; it answers ranges), the agent pointed at it (agent.conf
           bind-mounted from /run), `koompi update check` (the agent fetches and verifies release
           2026.12.2), then `koompi update apply`: the agent downloads the release's packages as
           its [update] user, verifies them and runs `koompi-boot update --release 2026.12.2`
           with pacman pinned to that copy; `koompi status`, reboot
  updated  the release's root booted and blessed: its packages (pacman -Q on the database inside
           the root); the mirror m2, whose manifest revokes 2026.12.2, `koompi update check`; the
           agent rolls back and raises an alert; the outcomes, the alerts and the agent's log on
           the console; reboot
  revoked  the packages of the root the machine went back to (none), then exit 1: the usual
           report
Every line it prints starts with KOOMPI-RELEASE:.
The test roots carry no kernel (their entries boot the ESP's), so the agent's koompi-boot is a
wrapper that gives update and rollback the booted entry's kernel and initramfs, as update-in-vm
gives them to update; a real root carries its own.
"""

HTTPD = r"""
use IO::Socket::INET;
my ($dir, $port) = @ARGV;
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port, Listen => 5, ReuseAddr => 1)
    or die "listen: $!";
while (my $c = $s->accept) {
    my $req = <$c> // "";
    my ($path) = $req =~ m{^GET (/[^ ?]*)};
    my $from;
    while (my $l = <$c>) {
        last if $l =~ /^\r?\n$/;
        $from = $1 if $l =~ /^Range: *bytes=(\d+)-\r?$/i;
    }
    my $file = defined $path && $path !~ /\.\./ ? "$dir$path" : "";
    if ($file ne "" && -f $file && open(my $f, "<:raw", $file)) {
        local $/;
        my $b = <$f>;
        my $n = length($b);
        if (defined $from && $from < $n) {
            print $c "HTTP/1.0 206 Partial Content\r\nContent-Range: bytes $from-" . ($n - 1) . "/$n\r\n"
                . "Content-Length: " . ($n - $from) . "\r\n\r\n" . substr($b, $from);
        } elsif (defined $from) {
            print $c "HTTP/1.0 416 Range Not Satisfiable\r\nContent-Range: bytes */$n\r\nContent-Length: 0\r\n\r\n";
        } else {
            print $c "HTTP/1.0 200 OK\r\nContent-Length: $n\r\n\r\n" . $b;
        }
    } else {
        print $c "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    }
    close $c;
}
"""

SCRIPT = r"""#!/bin/sh
# koompi-test-release: see qemu/release_script.py.
say() { printf 'KOOMPI-RELEASE: %s\n' "$*"; }
# What pacman says is installed in the booted root (its database inside the root), and the
# files of the release's packages.
packages() {
    say "pacman-q $(pacman --dbpath /usr/lib/pacman/db -Q 2>/dev/null | tr '\n' '|')"
    say "files $(cat /usr/share/pkg-*/version 2>/dev/null | tr '\n' '|')"
}
state=/var/lib/koompi-test/release
phase=$(cat $state 2>/dev/null)
if [ "$phase" = revoked ]; then
    say "phase=revoked root=$(cat /etc/koompi/release 2>/dev/null || echo none)"
    packages
    exit 1
fi
mkdir -p /var/lib/koompi-test /run/koompi-test/keys
mirror=m1
[ "$phase" = updated ] && mirror=m2
cp -r /efi/koompi-test/$mirror /run/koompi-test/mirror
cp /efi/koompi-test/release.pub /run/koompi-test/keys/
ent=$(grep -lw koompi.test=release /efi/loader/entries/*.conf | head -n 1)
k=$(sed -n 's/^linux[[:space:]]*//p' "$ent" | head -n 1)
i=$(sed -n 's/^initrd[[:space:]]*//p' "$ent" | head -n 1)
# What koompi-boot update printed is kept in /run/koompi (writable by the agent's unit) for
# the console; the agent sees it as ever.
mkdir -p /run/koompi
cat >/run/koompi-test/koompi-boot <<EOF
#!/bin/sh
case " \$* " in
*" rollback "*) exec /usr/bin/koompi-boot "\$@" --kernel "/efi$k" --initrd "/efi$i" ;;
*" update "*)
    /usr/bin/koompi-boot "\$@" --kernel "/efi$k" --initrd "/efi$i" >/run/koompi/test-update.out \
        2>/run/koompi/test-update.err
    rc=\$?
    cat /run/koompi/test-update.out
    cat /run/koompi/test-update.err >&2
    exit \$rc ;;
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
packages
say "check $(koompi --json update check 2>&1 | tr -d '\n')"
if [ -z "$phase" ]; then
    koompi --json update apply >/run/koompi-apply.out 2>/run/koompi-apply.err
    rc=$?
    tr '\r' '\n' </run/koompi-apply.err | tail -n 20 | sed 's/^/KOOMPI-RELEASE: apply-err /'
    say "apply rc=$rc $(tr -d '\n' </run/koompi-apply.out)"
    cat /run/koompi/test-update.out /run/koompi/test-update.err 2>&1 | sed 's/^/KOOMPI-RELEASE: update-log /'
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
journalctl -b -o cat -u koompi-agent.service --no-pager 2>&1 | grep -E 'update|koompi-boot|pacman' |
    sed 's/^/KOOMPI-RELEASE: agent /'
say "done"
sync
systemctl --no-block reboot
exit 0
""".replace("@HTTPD@", HTTPD.strip())
