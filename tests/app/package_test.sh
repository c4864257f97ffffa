#!/usr/bin/env bash
# The Debian package, as a technician meets it: built with CPack from the
# build folder, checked with lintian (no errors), installed for real with
# dpkg (as root, on this Debian 12 box), its users, folders, modes and
# conffile checked, the installed units verified and scored offline by
# systemd-analyze, the installed binary run as the cassetto user (selftest,
# then serve until /healthz answers), upgraded in place (data kept, a copy
# made before the upgrade), and purged (configuration gone, data kept unless
# asked). Exits 77 (skipped, with the reason) when not root or without dpkg.
# Usage: package_test.sh BUILD_DIR
set -u
build=$1
work=$(mktemp -d)
server=
failures=0
checks=0
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  if dpkg-query -W cassetto-kiosk >/dev/null 2>&1; then
    CASSETTO_KIOSK_PURGE_DATA=yes dpkg --purge cassetto-kiosk >/dev/null 2>&1
  fi
  [ -n "${had_data:-}" ] || rm -rf /var/lib/cassetto-kiosk
  rm -rf "$work"
}
check() {
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}

if [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null; then
  echo "SKIPPED: installing a package needs root and dpkg"
  exit 77
fi
if dpkg-query -W -f='${Status}' cassetto-kiosk 2>/dev/null | grep -q 'install ok'; then
  echo "SKIPPED: cassetto-kiosk is installed on this machine already; not touching it"
  exit 77
fi
[ -d /var/lib/cassetto-kiosk ] && had_data=1
trap cleanup EXIT

# 1. Build and lint.
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/cassetto-kiosk_*_amd64.deb 2>/dev/null | head -1)
check "cpack builds cassetto-kiosk_VERSION_amd64.deb" test -f "$deb"
lintian --tag-display-limit 0 "$deb" >"$work/lintian.txt" 2>&1
check "lintian finds no errors" bash -c "! grep -q '^E:' '$work/lintian.txt'"
grep -E '^[EW]:' "$work/lintian.txt" | sed 's/^/     /'
check "Depends lists the runtime libraries" \
  bash -c "dpkg-deb -f '$deb' Depends | grep -q 'libcivetweb1' && dpkg-deb -f '$deb' Depends | grep -q 'adduser'"

# 2. Install for real.
check "dpkg installs it" dpkg -i "$deb"
check "provisioning and its example values come with the package" bash -c "
  test -x /usr/share/cassetto-kiosk/provision &&
  test -f /usr/share/doc/cassetto-kiosk/examples/branch-kiosk.conf &&
  /usr/share/cassetto-kiosk/provision /nonexistent.conf 2>&1 | grep -q 'provision'"
# The receipt's base-14 Helvetica is not embedded: the kiosk's viewer puts a
# font with Helvetica's metrics in its place (Arial, as PDFium asks, too), not
# a wider one that pushes the text past the margin.
check "the kiosk has fonts with Helvetica's metrics (fonts-liberation2)" bash -c "
  fc-match -f '%{family}' Arial | grep -q 'Liberation Sans' &&
  fc-match -f '%{family}' Helvetica | grep -qE 'Nimbus Sans|Liberation Sans|TeX Gyre Heros'"
check "system user cassetto and the screen's kiosk-screen exist" \
  bash -c "id cassetto >/dev/null && id kiosk-screen >/dev/null && [ \"\$(getent passwd cassetto | cut -d: -f7)\" = /usr/sbin/nologin ]"
check "/var/lib/cassetto-kiosk is 0700 cassetto:cassetto" \
  bash -c "[ \"\$(stat -c '%a %U:%G' /var/lib/cassetto-kiosk)\" = '700 cassetto:cassetto' ]"
check "kiosk.conf is 0640 root:cassetto and a conffile" \
  bash -c "[ \"\$(stat -c '%a %U:%G' /etc/cassetto-kiosk/kiosk.conf)\" = '640 root:cassetto' ] &&
           dpkg-query -W -f='\${Conffiles}' cassetto-kiosk | grep -q /etc/cassetto-kiosk/kiosk.conf"
check "the binary is in /usr/bin and the units, udev rule and policies are installed" \
  bash -c "test -x /usr/bin/cassetto-kiosk && test -f /lib/systemd/system/cassetto-kiosk.service &&
           test -f /lib/systemd/system/cassetto-usb@.service && test -f /lib/udev/rules.d/99-cassetto-usb.rules &&
           test -f /etc/chromium/policies/managed/cassetto-kiosk.json"
check "Chromium's policy blocks downloads, devtools, other URLs and file dialogs" \
  /usr/bin/python3 -c "
import json
p = json.load(open('/etc/chromium/policies/managed/cassetto-kiosk.json'))
assert p['DownloadRestrictions'] == 3 and p['DeveloperToolsAvailability'] == 2
assert p['URLBlocklist'] == ['*'] and p['AllowFileSelectionDialogs'] is False
assert p['PasswordManagerEnabled'] is False and p['PrintPreviewDisabled'] is True
"

# 3. The installed units, offline (systemd is not PID 1 on every test box).
if [ -d /run/systemd/system ]; then echo "     (systemd runs here)"; else echo "     (systemd is not PID 1 here: units checked offline)"; fi
systemd-analyze verify /lib/systemd/system/cassetto-kiosk.service /lib/systemd/system/cassetto-usb@.service \
  /lib/systemd/system/cassetto-kiosk-backup.service /lib/systemd/system/cassetto-kiosk-backup.timer \
  /lib/systemd/system/cassetto-kiosk-browser.service >"$work/verify.txt" 2>&1
check "systemd-analyze verify: the server, screen, USB and backup units are clean" bash -c "! [ -s '$work/verify.txt' ]" ||
  sed 's/^/     /' "$work/verify.txt"
exposure=$(systemd-analyze security --offline=yes /lib/systemd/system/cassetto-kiosk.service 2>/dev/null |
  sed -nE 's/.*Overall exposure level for cassetto-kiosk.service: ([0-9.]+).*/\1/p')
echo "     exposure of cassetto-kiosk.service: ${exposure:-?}"
check "systemd-analyze security: exposure at most 2.0" \
  /usr/bin/python3 -c "import sys; sys.exit(0 if float('${exposure:-99}') <= 2.0 else 1)"
# The screen (cage + Chromium), the part the public touches.
screen_exposure=$(systemd-analyze security --offline=yes /lib/systemd/system/cassetto-kiosk-browser.service 2>/dev/null |
  sed -nE 's/.*Overall exposure level for cassetto-kiosk-browser.service: ([0-9.]+).*/\1/p')
echo "     exposure of cassetto-kiosk-browser.service: ${screen_exposure:-?}"
check "the screen unit: exposure at most 5.0, reaching only this box" bash -c "
  /usr/bin/python3 -c \"import sys; sys.exit(0 if float('${screen_exposure:-99}') <= 5.0 else 1)\" &&
  grep -qx 'IPAddressDeny=any' /lib/systemd/system/cassetto-kiosk-browser.service &&
  grep -qx 'IPAddressAllow=localhost' /lib/systemd/system/cassetto-kiosk-browser.service"
# The USB stick's mount unit, as an instance (sda1): hardened without a mount
# namespace of its own, which would keep the stick from the kiosk.
cp /lib/systemd/system/cassetto-usb@.service "$work/cassetto-usb@sda1.service"
usb_exposure=$(cd "$work" && systemd-analyze security --offline=yes cassetto-usb@sda1.service 2>/dev/null |
  sed -nE 's/.*Overall exposure level for cassetto-usb@sda1.service: ([0-9.]+).*/\1/p')
echo "     exposure of cassetto-usb@sda1.service: ${usb_exposure:-?}"
check "the USB mount unit: exposure at most 3.0, and no option that makes a mount namespace" bash -c "
  /usr/bin/python3 -c \"import sys; sys.exit(0 if float('${usb_exposure:-99}') <= 3.0 else 1)\" &&
  ! grep -qE '^(ProtectSystem|ProtectHome|PrivateTmp|PrivateMounts|ReadOnlyPaths|ReadWritePaths|InaccessiblePaths|ProtectKernel[A-Za-z]*|ProtectControlGroups|ProtectProc|PrivateDevices|MountFlags)=' /lib/systemd/system/cassetto-usb@.service"
check "Restart=always and UMask=0077" \
  bash -c "grep -q '^Restart=always' /lib/systemd/system/cassetto-kiosk.service &&
           grep -q '^UMask=0077' /lib/systemd/system/cassetto-kiosk.service"

# 4. The installed binary, as the cassetto user, with the installed config.
check "selftest runs as cassetto with the installed configuration" \
  runuser -u cassetto -- /usr/bin/cassetto-kiosk selftest --config /etc/cassetto-kiosk/kiosk.conf
check "the nightly backup runs as cassetto into /var/backups/cassetto-kiosk" \
  bash -c "runuser -u cassetto -- /usr/bin/cassetto-kiosk backup /var/backups/cassetto-kiosk --keep 14 \
             --config /etc/cassetto-kiosk/kiosk.conf | grep -q '^backup: /var/backups/cassetto-kiosk/cassetto-' &&
           [ \"\$(stat -c '%a %U' /var/backups/cassetto-kiosk)\" = '700 cassetto' ] &&
           test -L /etc/systemd/system/timers.target.wants/cassetto-kiosk-backup.timer"
check "the database was created in /var/lib/cassetto-kiosk, owner-only" \
  bash -c "[ \"\$(stat -c '%a %U' /var/lib/cassetto-kiosk/kiosk.db)\" = '600 cassetto' ]"
check "the unit pins no database: kiosk.conf names it" \
  bash -c "! grep -q -- '--db' /lib/systemd/system/cassetto-kiosk.service"
# Started with the unit's own ExecStart (on a free port), as systemd would.
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/cassetto-kiosk.service)
(cd /var/lib/cassetto-kiosk && runuser -u cassetto -- $exec_start --listen 127.0.0.1:0 >"$work/serve.log" 2>&1) &
server=$!
for _ in $(seq 100); do grep -qs 'listening on' "$work/serve.log" && break; sleep 0.1; done
url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$work/serve.log" | head -1)
check "serve answers /healthz as cassetto" bash -c "curl -sf '$url/healthz' | grep -q '\"status\":\"ok\"'"
pkill -TERM -u cassetto -f 'cassetto-kiosk serve' 2>/dev/null
wait "$server" 2>/dev/null
server=

# 5. Upgrade in place: the data stays, a copy is made first.
echo 'keep me' | runuser -u cassetto -- tee /var/lib/cassetto-kiosk/marker >/dev/null
check "reinstalling (an upgrade) keeps the data" bash -c "dpkg -i '$deb' >/dev/null && test -f /var/lib/cassetto-kiosk/marker"
check "a backup is taken before the upgrade, with its manifest and receipt key" \
  bash -c "ls /var/lib/cassetto-kiosk/before-upgrade/cassetto-*/manifest >/dev/null 2>&1 &&
           ls /var/lib/cassetto-kiosk/before-upgrade/cassetto-*/receipt-key >/dev/null 2>&1"
check "… which restore takes back" \
  bash -c "mkdir -p '$work/undo' && /usr/bin/cassetto-kiosk restore --db '$work/undo/kiosk.db' \
             \$(ls -d /var/lib/cassetto-kiosk/before-upgrade/cassetto-* | tail -1) | grep -q '^restored: '"
check "a changed kiosk.conf survives the upgrade (conffile)" \
  bash -c "echo '# branch note' >>/etc/cassetto-kiosk/kiosk.conf && dpkg -i --force-confold '$deb' >/dev/null &&
           grep -q '# branch note' /etc/cassetto-kiosk/kiosk.conf"

for _ in 1 2 3; do dpkg -i --force-confold "$deb" >/dev/null; sleep 1; done
check "the copies before upgrades are pruned to the newest 3" \
  bash -c "[ \$(ls -d /var/lib/cassetto-kiosk/before-upgrade/cassetto-* | wc -l) = 3 ]"

# 6. Purge: the configuration goes, the data only when asked.
check "purge removes the configuration" bash -c "dpkg --purge cassetto-kiosk >/dev/null 2>&1 && ! test -e /etc/cassetto-kiosk"
check "purge keeps the data unless asked" test -f /var/lib/cassetto-kiosk/marker
# Asked through debconf (the environment is lost through sudo): a preseeded
# "yes" removes the data on an unattended purge run as root by sudo's rules.
# (A box's own data, if any, is set aside meanwhile.)
[ -z "${had_data:-}" ] || mv /var/lib/cassetto-kiosk /var/lib/cassetto-kiosk.package-test
dpkg -i "$deb" >/dev/null 2>&1
echo 'cassetto-kiosk cassetto-kiosk/purge-data boolean true' | debconf-set-selections
check "purge removes the data when debconf's answer is yes (no environment variable)" bash -c "
  env -u CASSETTO_KIOSK_PURGE_DATA DEBIAN_FRONTEND=noninteractive dpkg --purge cassetto-kiosk >/dev/null 2>&1 &&
  ! test -e /var/lib/cassetto-kiosk && ! test -e /etc/cassetto-kiosk"
check "… and the answer does not outlive the package (debconf's entry purged)" bash -c "
  ! debconf-show cassetto-kiosk 2>/dev/null | grep -q purge-data"
[ -z "${had_data:-}" ] || mv /var/lib/cassetto-kiosk.package-test /var/lib/cassetto-kiosk
[ -n "${had_data:-}" ] || rm -rf /var/lib/cassetto-kiosk /var/backups/cassetto-kiosk
rm -rf /var/backups/cassetto-kiosk

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
