#!/usr/bin/env bash
# scripts/provision end to end on this Debian 12 box (as root), from a values
# file: a wrong value stops it before anything changes, --dry-run changes
# nothing, a real run installs the .deb, writes kiosk.conf (secrets quoted,
# mode 0640), adds the staff accounts from hashes, creates the CUPS queue
# (cups-pdf), sets Europe/Rome, writes and checks the nftables firewall and the
# nginx TLS proxy, enables the units and ends with selftest; a second run
# changes nothing. Where systemd is not PID 1 the steps that need it are
# checked offline, and the summary says which. Everything is undone at the end.
# Exits 77 (skipped, with the reason) when not root.
# Usage: provision_test.sh SOURCE_DIR BUILD_DIR
set -u
src=$1
build=$2
work=$(mktemp -d)
failures=0
checks=0
tz_before=$(readlink /etc/localtime)
had_nginx_default=0
[ -e /etc/nginx/sites-enabled/default ] && had_nginx_default=1
had_nft=0
[ -f /etc/nftables.conf ] && had_nft=1 && cp -p /etc/nftables.conf "$work/nftables.conf.before"
cleanup() {
  if dpkg-query -W cassetto-kiosk >/dev/null 2>&1; then
    CASSETTO_KIOSK_PURGE_DATA=yes dpkg --purge cassetto-kiosk >/dev/null 2>&1
  fi
  lpadmin -x CassettoKiosk 2>/dev/null
  ln -sf "$tz_before" /etc/localtime
  echo "${tz_before#/usr/share/zoneinfo/}" >/etc/timezone
  if [ "$had_nft" = 1 ]; then cp -p "$work/nftables.conf.before" /etc/nftables.conf; fi
  rm -f /etc/nginx/sites-enabled/cassetto-kiosk /etc/nginx/sites-available/cassetto-kiosk
  if [ "$had_nginx_default" = 1 ]; then ln -sf /etc/nginx/sites-available/default /etc/nginx/sites-enabled/default; fi
  rm -rf "$work"
}
check() {
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}

if [ "$(id -u)" != 0 ]; then echo "SKIPPED: provisioning needs root"; exit 77; fi
if dpkg-query -W -f='${Status}' cassetto-kiosk 2>/dev/null | grep -q 'install ok'; then
  echo "SKIPPED: cassetto-kiosk is installed on this machine already; not touching it"
  exit 77
fi
trap cleanup EXIT

# The package, a certificate, a staff list with a hash, a PEC password with a '#'.
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/cassetto-kiosk_*_amd64.deb | head -1)
openssl req -x509 -newkey ed25519 -nodes -days 30 -subj /CN=kiosk.test -keyout "$work/kiosk.key" \
  -out "$work/kiosk.crt" 2>/dev/null
hash=$(printf 'sportello-prova-2026\n' | "$build/cassetto-kiosk" hash-password)
printf 'sportello2 staff Anna-Bianchi %s\ntecnico2 technician Luca-Verdi %s\n' "$hash" "$hash" >"$work/staff.txt"
printf 'pa#ss "quoted" \\ word\n' >"$work/pec.password"
chmod 600 "$work/pec.password" "$work/staff.txt" "$work/kiosk.key"

# cupsd for the printer queue (systemd may not run it here).
lpstat -r 2>/dev/null | grep -q 'scheduler is running' || { /usr/sbin/cupsd 2>/dev/null; sleep 1; }

values() {
  cat <<VALUES
package = $deb
kiosk_id = K07
branch_code = 0042
branch_name = Sede di Roma #2 "Tuscolano"
database_url = /var/lib/cassetto-kiosk/kiosk.db
verify_url = https://sede-0042.inps.example.it/verifica
printer_uri = cups-pdf:/
printer_model = lsb/usr/cups-pdf/CUPS-PDF_opt.ppd
printer_driver = printer-driver-cups-pdf
scanner_device = test
mail_url =
mail_from =
mail_password_file =
pec_url =
pec_from = cassetto@pec.inps.example.it
pec_password_file = $work/pec.password
sms_url =
sms_sender = INPS
sms_token_file =
staff_file = $work/staff.txt
staff_lan = 10.42.0.0/24
ssh_lan = 10.42.9.0/24
tls_port = 8443
tls_cert = $work/kiosk.crt
tls_key = $work/kiosk.key
screen = no
VALUES
}
values >"$work/values.conf"

# 1. A wrong value stops the run before anything changes, naming the key.
sed 's/^staff_lan = .*/staff_lan = 10.42.0.0/' "$work/values.conf" >"$work/bad.conf"
out=$("$src/scripts/provision" "$work/bad.conf" 2>&1)
code=$?
check "a wrong value stops with exit 2 and names the key" bash -c "[ $code = 2 ] && [[ '$out' == *staff_lan* ]]"
check "… before anything changed" bash -c "! dpkg-query -W cassetto-kiosk >/dev/null 2>&1 && [ \"\$(readlink /etc/localtime)\" = '$tz_before' ]"
# Mistakes that used to pass the checks and fail after changes were made.
openssl req -x509 -newkey ed25519 -nodes -days 30 -subj /CN=other -keyout "$work/other.key" \
  -out "$work/other.crt" 2>/dev/null
printf 'not a certificate\n' >"$work/junk.crt"
while IFS='|' read -r key value says; do
  sed "s#^$key =.*#$key = ${value//WORK/$work}#" "$work/values.conf" >"$work/mistake.conf"
  check "refused before any change: $key = $value" bash -c "
    '$src/scripts/provision' '$work/mistake.conf' >'$work/mistake.out' 2>&1; [ \$? = 2 ] &&
    grep -qF '$says' '$work/mistake.out' && ! dpkg-query -W cassetto-kiosk >/dev/null 2>&1" ||
    sed 's/^/     /' "$work/mistake.out"
done <<'MISTAKES'
staff_lan|300.42.0.0/24|staff_lan: an IPv4 CIDR
ssh_lan|10.42.9.0/33|ssh_lan: an IPv4 CIDR
tls_port|8080|tls_port: 8080 is the kiosk
tls_key|WORK/other.key|tls_key: not the private key of tls_cert
tls_cert|WORK/junk.crt|tls_cert: not a PEM certificate
database_url|/tmp/kiosk.db|database_url: a SQLite file in /var/lib/cassetto-kiosk/
printer_model|lsb/usr/cups-pdf/NO-SUCH.ppd|printer_model: lsb/usr/cups-pdf/NO-SUCH.ppd is not a model of printer-driver-cups-pdf
printer_model|everywhere|printer_model: everywhere (IPP Everywhere) needs an ipp:// or ipps:// printer_uri
MISTAKES
sed -e 's#^sms_url =.*#sms_url = https://sms.example.it/send#' -e 's#^sms_sender =.*#sms_sender =#' \
  "$work/values.conf" >"$work/mistake.conf"
check "refused before any change: an SMS URL without a sender" bash -c "
  '$src/scripts/provision' '$work/mistake.conf' 2>&1 | grep -qF 'sms_sender is required with sms_url' && ! dpkg-query -W cassetto-kiosk >/dev/null 2>&1"
echo 'colour = blue' >>"$work/bad.conf"
check "an unknown key is refused" bash -c "'$src/scripts/provision' '$work/bad.conf' 2>&1 | grep -q 'unknown key \"colour\"'"
{ sed 's/^screen = .*/screen = yes/' "$work/values.conf"; echo 'card_module = opensc'; } >"$work/bad.conf"
check "a card reader without its CA bundle is refused, naming the key" bash -c "
  '$src/scripts/provision' '$work/bad.conf' 2>&1 | grep -q 'card_ca_bundle is required with card_module'"
{ cat "$work/values.conf"; echo 'card_pin_login = no'; } >"$work/bad.conf"
check "the card only, without a card reader, is refused" bash -c "
  '$src/scripts/provision' '$work/bad.conf' 2>&1 | grep -q 'card_pin_login = no needs card_module'"
sed 's|^database_url = .*|database_url = postgresql://cassetto:secret@db.sede.example:5432/cassetto|' \
  "$work/values.conf" >"$work/bad.conf"
check "a shared database URL with a password in it is refused" bash -c "
  '$src/scripts/provision' '$work/bad.conf' 2>&1 | grep -q 'database_url: postgresql://USER@HOST:PORT/DB (no password'"

# 2. --dry-run prints the plan and changes nothing.
"$src/scripts/provision" --dry-run "$work/values.conf" >"$work/dry.txt" 2>&1
check "--dry-run prints the plan" grep -q '^would: dpkg -i' "$work/dry.txt"
printf 'a-db-password\n' >"$work/db.pw"
sed -e 's|^database_url = .*|database_url = postgresql://cassetto@db.sede.example:5432/cassetto?sslmode=require|' \
  "$work/values.conf" >"$work/pg.conf"
echo "database_password_file = $work/db.pw" >>"$work/pg.conf"
"$src/scripts/provision" --dry-run "$work/pg.conf" >"$work/dry-pg.txt" 2>&1
check "--dry-run on a shared database plans the service user's .pgpass" \
  grep -q 'write /var/lib/cassetto-kiosk/.pgpass (600 ' "$work/dry-pg.txt"
check "--dry-run changes nothing" bash -c "! dpkg-query -W cassetto-kiosk >/dev/null 2>&1 && ! test -e /etc/cassetto-kiosk"

# 3. The real run.
"$src/scripts/provision" "$work/values.conf" >"$work/run1.txt" 2>&1
code=$?
sed 's/^/     /' "$work/run1.txt" | tail -14
check "provision ends with selftest ok" bash -c "[ $code = 0 ] && grep -q '^selftest: *ok' '$work/run1.txt'"
check "the package is installed" bash -c "dpkg-query -W -f='\${Status}' cassetto-kiosk | grep -q 'install ok installed'"
check "the values in kiosk.conf.d/50-provision.conf (0640 root:cassetto), '#' and quotes kept" \
  bash -c "[ \"\$(stat -c '%a %U:%G' /etc/cassetto-kiosk/kiosk.conf.d/50-provision.conf)\" = '640 root:cassetto' ] &&
           grep -q '^kiosk_id = K07' /etc/cassetto-kiosk/kiosk.conf.d/50-provision.conf"
check "it sets the 16 workers the README recommends (it wrote 8)" \
  grep -qx 'threads = 16' /etc/cassetto-kiosk/kiosk.conf.d/50-provision.conf
check "the shipped kiosk.conf is left as shipped (an upgrade never asks about it)" \
  bash -c "cmp -s /etc/cassetto-kiosk/kiosk.conf '$build/package/kiosk.conf'"
# The installed program with the written configuration, as the cassetto user.
(cd /var/lib/cassetto-kiosk && runuser -u cassetto -- /usr/bin/cassetto-kiosk serve \
  --config /etc/cassetto-kiosk/kiosk.conf --listen 127.0.0.1:0 >"$work/serve.log" 2>&1) &
server=$!
for _ in $(seq 100); do grep -qs 'listening on' "$work/serve.log" && break; sleep 0.1; done
url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$work/serve.log" | head -1)
check "the kiosk reads the quoted branch name back intact ('#' and quotes)" \
  bash -c "curl -s '$url/api/kiosk' | grep -qF '\"branch_name\":\"Sede di Roma #2 \\\"Tuscolano\\\"\"'"
check "a staff account from the hash file logs in" \
  bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
            -d '{\"username\":\"sportello2\",\"password\":\"sportello-prova-2026\"}' '$url/api/session')\" = 200 ]"
pkill -TERM -u cassetto -f 'cassetto-kiosk serve' 2>/dev/null
wait "$server" 2>/dev/null
check "the CUPS queue exists with the URI" bash -c "lpstat -v CassettoKiosk | grep -q 'cups-pdf:/'"
check "timezone Europe/Rome" bash -c "[ \"\$(readlink /etc/localtime)\" = /usr/share/zoneinfo/Europe/Rome ]"
check "the firewall lets only the staff LAN reach the proxy's port" \
  bash -c "grep -q 'ip saddr 10.42.0.0/24 tcp dport 8443 accept' /etc/nftables.conf && grep -q 'policy drop' /etc/nftables.conf && nft -c -f /etc/nftables.conf"
check "the technicians' network reaches SSH; on the box only the screen reaches its lane" \
  bash -c "grep -q 'ip saddr 10.42.9.0/24 tcp dport 22 accept' /etc/nftables.conf &&
           grep -q 'tcp dport 8079 meta skuid != { 0, kiosk-screen } reject' /etc/nftables.conf"
check "the TLS proxy's configuration passes nginx -t" \
  bash -c "grep -q 'ssl_certificate $work/kiosk.crt' /etc/nginx/sites-available/cassetto-kiosk && nginx -t -q"
if [ -d /run/systemd/system ]; then
  check "the service is enabled and running" systemctl is-active --quiet cassetto-kiosk
else
  check "the summary says what waits for systemd" grep -q 'systemd is not PID 1 here' "$work/run1.txt"
  check "the service is enabled (offline)" test -L /etc/systemd/system/multi-user.target.wants/cassetto-kiosk.service
fi

# 4. A second run changes nothing.
"$src/scripts/provision" "$work/values.conf" >"$work/run2.txt" 2>&1
check "a second run succeeds" grep -q '^selftest: *ok' "$work/run2.txt"
check "a second run changes nothing" bash -c "
  grep -q '^package: *unchanged' '$work/run2.txt' && grep -q '^config: *unchanged' '$work/run2.txt' &&
  grep -q '^staff: *2 accounts, 0 changed' '$work/run2.txt' && grep -q '^printer: *unchanged' '$work/run2.txt' &&
  grep -q '^time: *Europe/Rome unchanged' '$work/run2.txt' && grep -q '^firewall: *unchanged' '$work/run2.txt' &&
  grep -q '^proxy: *unchanged' '$work/run2.txt'" || sed 's/^/     /' "$work/run2.txt"

# 4b. A kiosk provisioned before kiosk.conf.d: its kiosk.conf was written by
# provisioning (a changed conffile, so every upgrade asked). Provisioning
# again puts the shipped file back; the values live in the drop-in.
{ echo '# Written by scripts/provision from old.conf; edit the values file'; echo '[kiosk]'; echo 'kiosk_id = K07'; } \
  >/etc/cassetto-kiosk/kiosk.conf
"$src/scripts/provision" "$work/values.conf" >"$work/run-old.txt" 2>&1
check "a kiosk.conf written by an older provisioning is put back as shipped" bash -c "
  grep -q 'the shipped kiosk.conf put back' '$work/run-old.txt' && grep -q '^selftest: *ok' '$work/run-old.txt' &&
  cmp -s /etc/cassetto-kiosk/kiosk.conf '$build/package/kiosk.conf' &&
  [ \"\$(stat -c '%a %U:%G' /etc/cassetto-kiosk/kiosk.conf)\" = '640 root:cassetto' ]" || sed 's/^/     /' "$work/run-old.txt"

# 5. Staff accounts asked for at the terminal (staff_file = prompt).
sed 's|^staff_file = .*|staff_file = prompt|' "$work/values.conf" >"$work/prompt.conf"
printf 'cassiere1\nstaff\nGiulia Neri\ncassiere-prova-2026\ncassiere-prova-2026\nx\nstaff\nNo\n\n' |
  "$src/scripts/provision" "$work/prompt.conf" >"$work/run3.txt" 2>&1
check "staff_file = prompt asks for the accounts and adds the valid ones" \
  bash -c "grep -q '^staff: *1 accounts, 1 changed' '$work/run3.txt' && grep -q 'skipped' '$work/run3.txt'" ||
  sed 's/^/     /' "$work/run3.txt"

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
