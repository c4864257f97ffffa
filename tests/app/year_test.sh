#!/usr/bin/env bash
# A technician's year on bare Debian 12 roots (debootstrap, minbase), each
# step run in mount and PID namespaces of its own (unshare) so that nothing
# reaches this box, and the kiosk served in a network namespace of its own:
# the package installed with apt, provisioned from a values file, served with
# its unit's own ExecStart, a communication sent; upgraded unattended to a
# newer version (no conffile prompt, the technician's values kept, a backup
# taken first); the backup restored onto a second root, which serves the
# same communication; the receipt key rotated as root, and the kiosk serves;
# removed (data kept) and purged (data gone when debconf says so); and two
# kiosks of a fleet on the PostgreSQL of pg_virtualenv. Not in it: a
# migration new in the second version (both versions are this build, the
# second repacked).
# One debootstrap, copied for each root; apt's downloads kept between roots
# and runs. Every step has a bound: a slow or stuck mirror fails the step
# with its log, never the whole CI run.
# Exits 77 (skipped, with the reason) when not root or without debootstrap.
# Usage: year_test.sh SOURCE_DIR BUILD_DIR
set -u
src=$1
build=$2
if [ "$(id -u)" != 0 ]; then echo "SKIPPED: debootstrap and chroot need root"; exit 77; fi
command -v debootstrap >/dev/null || { echo "SKIPPED: debootstrap missing (scripts/install-deps installs it)"; exit 77; }
work=$(mktemp -d /var/tmp/cassetto-year.XXXXXX)
cache=/var/cache/cassetto-kiosk-year  # debootstrap's and apt's downloads, kept between runs
step=${YEAR_STEP_SECONDS:-600}        # the bound of each step in a root
failures=0
checks=0
cleanup() { [ -n "${YEAR_KEEP:-}" ] && echo "kept $work" || rm -rf --one-file-system "$work"; }
trap cleanup EXIT
check() {
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); return 1; fi
}
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}

# inroot ROOT [net] CMD…: CMD in ROOT, in mount and PID namespaces of its own
# (and with "net" a network namespace with loopback only); /proc, /dev, /sys
# and /run mounted inside, gone when it ends.
inroot() {
  local root=$1 net=()
  shift
  if [ "$1" = net ]; then net=(-n); shift; fi
  timeout -k 10 "$step" unshare -m -p -f --kill-child "${net[@]}" --propagation private bash -c '
    root=$1 archives=$2; shift 2
    [ -x /usr/sbin/ip ] && /usr/sbin/ip link set lo up 2>/dev/null
    mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" &&
      mount -t sysfs sysfs "$root/sys" && mount -t tmpfs tmpfs "$root/run" && mkdir -p "$root/run/lock" &&
      mount --bind "$archives" "$root/var/cache/apt/archives" || exit 99
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      DEBIAN_FRONTEND=noninteractive "$@"' _ "$root" "$cache/archives" "$@"
}

# One bare root with apt's lists (debootstrap and apt-get update, each
# bounded), told to retry and time out a stalled download and to fetch as
# root into the shared archives; each root of the test is a copy of it.
mkbase() {
  mkdir -p "$cache/archives/partial"
  timeout -k 10 900 debootstrap --variant=minbase --cache-dir="$cache" bookworm "$work/base" "$mirror" \
    >"$work/base.debootstrap" 2>&1 || { tail -5 "$work/base.debootstrap"; return 1; }
  cp /etc/resolv.conf "$work/base/etc/resolv.conf"
  printf '%s\n' 'Acquire::Retries "3";' 'Acquire::http::Timeout "30";' 'APT::Sandbox::User "root";' \
    'Binary::apt-get::APT::Keep-Downloaded-Packages "true";' >"$work/base/etc/apt/apt.conf.d/50year-test"
  inroot "$work/base" apt-get update -q >"$work/base.update" 2>&1 || { tail -5 "$work/base.update"; return 1; }
  # The kept downloads: those the archive no longer has are dropped.
  inroot "$work/base" apt-get autoclean -q >/dev/null 2>&1
}
mkroot() {
  [ -d "$work/base" ] || mkbase || return 1
  cp -a "$work/base" "$work/$1"
}

# serve ROOT [PORT] < CLIENT: the kiosk started with its unit's own ExecStart
# as the unit's user, in a network namespace of its own (with PORT: in this
# box's, where the fleet's PostgreSQL is, the kiosk told PORT by a drop-in);
# the client script (sh, in the root, with curl; login sets $t, $k is the
# kiosk's URL) runs once /healthz answers, and its exit status is the result.
serve() {
  local root=$1 port=${2:-} net=net exec
  [ -n "$port" ] && net=host
  exec=$(sed -n 's/^ExecStart=//p' "$work/$root/lib/systemd/system/cassetto-kiosk.service")
  {
    echo "k=http://127.0.0.1:${port:-8080}"
    cat <<'LOGIN'
login() {
  t=$(curl -s -c /tmp/j -H 'Content-Type: application/json' \
    -d '{"codice_fiscale":"RSSMRA80A01H501U","pin":"12345678"}' "$k/api/session" |
    sed -nE 's/.*"csrf_token":"([0-9a-f]+)".*/\1/p')
  [ -n "$t" ]
}
LOGIN
    cat
  } >"$work/$root/root/client.sh"
  cat >"$work/$root/root/serve.sh" <<SERVE
cd /var/lib/cassetto-kiosk
runuser -u cassetto -- env OPENSC_CONF=/etc/cassetto-kiosk/opensc.conf $exec >/root/serve.log 2>&1 &
pid=\$!
up=0
for _ in \$(seq 100); do
  curl -fs -o /dev/null http://127.0.0.1:${port:-8080}/healthz && up=1 && break
  kill -0 \$pid 2>/dev/null || break
  sleep 0.1
done
rc=1
[ \$up = 1 ] && { sh -e /root/client.sh; rc=\$?; }
kill \$pid 2>/dev/null
wait \$pid 2>/dev/null
exit \$rc
SERVE
  if [ "$net" = net ]; then inroot "$work/$root" net sh /root/serve.sh; else inroot "$work/$root" sh /root/serve.sh; fi
}

echo "# building two package versions"
(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { tail -20 "$work/cpack.log"; exit 1; }
v1=$(ls "$work"/pkg/cassetto-kiosk_*_amd64.deb | head -1)
version=$(dpkg-deb -f "$v1" Version)
dpkg-deb -R "$v1" "$work/v2tree"
sed -i "s/^Version: .*/Version: $version+year1/" "$work/v2tree/DEBIAN/control"
dpkg-deb -b "$work/v2tree" "$work/v2.deb" >/dev/null
check "two versions: $version and $version+year1" test "$(dpkg-deb -f "$work/v2.deb" Version)" = "$version+year1"

echo "# two bare Debian 12 roots (debootstrap minbase)"
mkroot a || { echo "FAIL - debootstrap of the first root"; exit 1; }
mkroot b || { echo "FAIL - debootstrap of the second root"; exit 1; }
check "two bare Debian 12 roots" bash -c "grep -q '^12' '$work/a/etc/debian_version' && grep -q '^12' '$work/b/etc/debian_version'"

# The technician's values: a standalone kiosk on SQLite, no screen, printer
# or scanner (none on this box), the TLS proxy for the staff LAN.
hash=$(printf 'sportello-anno-2026\n' | "$build/cassetto-kiosk" hash-password)
openssl req -x509 -newkey ed25519 -nodes -days 30 -subj /CN=kiosk.year -keyout "$work/tls.key" \
  -out "$work/tls.crt" 2>/dev/null
for r in a b; do
  mkdir -p "$work/$r/root/values"
  cp "$v1" "$work/$r/root/v1.deb"
  cp "$work/v2.deb" "$work/$r/root/v2.deb"
  cp "$work/tls.crt" "$work/tls.key" "$work/$r/root/values/"
  printf 'sportello staff Anna-Bianchi %s\n' "$hash" >"$work/$r/root/values/staff.txt"
  chmod 600 "$work/$r/root/values/"*
  cat >"$work/$r/root/values/kiosk.values" <<VALUES
package = /root/v1.deb
kiosk_id = K0${r/a/1}
branch_code = 0042
branch_name = Sede di Roma
database_url = /var/lib/cassetto-kiosk/kiosk.db
verify_url = https://sede-0042.inps.example.it/verifica
printer_uri =
printer_model =
printer_driver =
scanner_device =
staff_file = /root/values/staff.txt
staff_lan = 10.42.0.0/24
tls_port = 8443
tls_cert = /root/values/tls.crt
tls_key = /root/values/tls.key
screen = no
VALUES
done
sed -i 's/^kiosk_id = K0b/kiosk_id = K02/' "$work/b/root/values/kiosk.values"

echo "# root A: install, provision, serve, send"
inroot "$work/a" apt-get install -y -q --no-install-recommends /root/v1.deb >"$work/a.install" 2>&1
check "apt installs the package on a bare root (no Recommends)" \
  grep -q 'Setting up cassetto-kiosk' "$work/a.install" || tail -5 "$work/a.install"
inroot "$work/a" /usr/share/cassetto-kiosk/provision /root/values/kiosk.values >"$work/a.provision" 2>&1
code=$?
check "provisioning from the values file ends without a hand fix" test "$code" = 0 || tail -15 "$work/a.provision"
check "the technician's values are in kiosk.conf.d, the shipped kiosk.conf untouched" bash -c "
  grep -q '^kiosk_id = K01' '$work/a/etc/cassetto-kiosk/kiosk.conf.d/50-provision.conf' &&
  cmp -s '$work/a/etc/cassetto-kiosk/kiosk.conf' <(dpkg-deb --fsys-tarfile '$v1' | tar -xOf - ./etc/cassetto-kiosk/kiosk.conf)"
# The branch's professionals from the Institute's archive, and one PIN.
install -m 0644 "$src/../shared/fixtures/gs-archive.csv" "$work/a/tmp/archive.csv"
inroot "$work/a" runuser -u cassetto -- /usr/bin/cassetto-kiosk import-archive --config /etc/cassetto-kiosk/kiosk.conf \
  /tmp/archive.csv >"$work/a.import" 2>&1
printf '12345678\n' >"$work/a/root/pin"
inroot "$work/a" sh -c 'runuser -u cassetto -- /usr/bin/cassetto-kiosk set-pin RSSMRA80A01H501U \
  --config /etc/cassetto-kiosk/kiosk.conf </root/pin' >"$work/a.setpin" 2>&1
check "the archive imported and a PIN set, as the kiosk's user" bash -c "
  grep -q '^added ' '$work/a.import' && ! grep -qi 'error' '$work/a.setpin'" || cat "$work/a.import" "$work/a.setpin" | tail -4
serve a >"$work/a.serve1" 2>&1 <<'CLIENT'
login
curl -s -b /tmp/j -H "X-CSRF-Token: $t" -F topic=rimborso -F subject=Anno -F body=Testo \
  "$k/api/communications" >/root/protocol
CLIENT
protocol=$(sed -nE 's/.*"protocol":"([^"]+)".*/\1/p' "$work/a/root/protocol" 2>/dev/null)
check "served with the unit's own ExecStart, a send registered ($protocol)" bash -c "[[ '$protocol' == INPS.0042.* ]]" ||
  tail -5 "$work/a/root/serve.log"

echo "# root A: an unattended upgrade"
inroot "$work/a" apt-get install -y -q --no-install-recommends /root/v2.deb </dev/null >"$work/a.upgrade" 2>&1
code=$?
check "apt upgrades unattended (no conffile prompt, exit 0)" test "$code" = 0 || tail -8 "$work/a.upgrade"
check "… to the new version" bash -c "grep -q 'Status: install ok installed' <(sed -n '/^Package: cassetto-kiosk$/,/^$/p' '$work/a/var/lib/dpkg/status') &&
  sed -n '/^Package: cassetto-kiosk$/,/^$/p' '$work/a/var/lib/dpkg/status' | grep -q '^Version: $version+year1'"
check "… with the technician's values kept" grep -q '^kiosk_id = K01' "$work/a/etc/cassetto-kiosk/kiosk.conf.d/50-provision.conf"
check "… and a backup taken before it (manifest and receipt key)" bash -c "
  ls '$work'/a/var/lib/cassetto-kiosk/before-upgrade/cassetto-*/manifest >/dev/null 2>&1"
serve a >/dev/null 2>&1 <<'CLIENT'
curl -s http://127.0.0.1:8080/healthz | grep -q '"status":"ok"'
login
CLIENT
check "after the upgrade the kiosk serves" test $? = 0

echo "# root B: a replacement box from A's backup"
inroot "$work/a" runuser -u cassetto -- /usr/bin/cassetto-kiosk backup --config /etc/cassetto-kiosk/kiosk.conf \
  /var/lib/cassetto-kiosk/year-backup >"$work/a.backup" 2>&1
backup=$(ls -d "$work"/a/var/lib/cassetto-kiosk/year-backup/cassetto-* 2>/dev/null | tail -1)
check "backup on A" test -n "$backup" || tail -3 "$work/a.backup"
inroot "$work/b" apt-get install -y -q --no-install-recommends /root/v2.deb >"$work/b.install" 2>&1
sed -i 's#^package = .*#package = /root/v2.deb#' "$work/b/root/values/kiosk.values"
inroot "$work/b" /usr/share/cassetto-kiosk/provision /root/values/kiosk.values >"$work/b.provision" 2>&1
check "the replacement box installs and provisions" test $? = 0 || tail -10 "$work/b.provision"
mkdir -p "$work/b/root/from-a" && cp -a "$backup" "$work/b/root/from-a/"
inroot "$work/b" /usr/bin/cassetto-kiosk restore --config /etc/cassetto-kiosk/kiosk.conf --force \
  "/root/from-a/$(basename "$backup")" >"$work/b.restore" 2>&1
check "restore as root onto the replacement box" bash -c "grep -q '^restored: ' '$work/b.restore'" || tail -5 "$work/b.restore"
check "… leaves the database and key to the kiosk's user" bash -c "
  [ \"\$(stat -c %U '$work/b/var/lib/cassetto-kiosk/kiosk.db')\" = \"\$(stat -c %U '$work/b/var/lib/cassetto-kiosk')\" ]"
serve b >/dev/null 2>&1 <<CLIENT
login
curl -s -b /tmp/j "\$k/api/communications?box=sent" | grep -q '"protocol":"$protocol"'
CLIENT
check "the replacement box serves A's communication ($protocol)" test $? = 0 || tail -5 "$work/b/root/serve.log"

echo "# root B: the receipt key rotated as root"
inroot "$work/b" /usr/bin/cassetto-kiosk receipt-key rotate --config /etc/cassetto-kiosk/kiosk.conf >"$work/b.rotate" 2>&1
check "receipt-key rotate as root" test $? = 0 || tail -3 "$work/b.rotate"
serve b >/dev/null 2>&1 <<'CLIENT'
login
id=$(curl -s -b /tmp/j "$k/api/communications?box=sent" | grep -oE '"id":[0-9]+' | head -1 | cut -d: -f2)
curl -s -o /tmp/r.pdf -w '%{http_code}' -b /tmp/j "$k/api/communications/$id/receipt.pdf" | grep -qx 200
CLIENT
check "after the rotation the kiosk serves and prints a receipt" test $? = 0 || tail -5 "$work/b/root/serve.log"

echo "# remove and purge"
inroot "$work/a" apt-get remove -y -q cassetto-kiosk >"$work/a.remove" 2>&1
check "remove keeps the data and the configuration" bash -c "
  test -f '$work/a/var/lib/cassetto-kiosk/kiosk.db' && test -d '$work/a/etc/cassetto-kiosk'"
inroot "$work/b" sh -c "echo 'cassetto-kiosk cassetto-kiosk/purge-data boolean true' | debconf-set-selections &&
  apt-get purge -y -q cassetto-kiosk" >"$work/b.purge" 2>&1
check "purge with debconf's yes removes the data and the configuration" bash -c "
  ! test -e '$work/b/var/lib/cassetto-kiosk' && ! test -e '$work/b/etc/cassetto-kiosk'" || tail -5 "$work/b.purge"

echo "# a fleet: two kiosks on one PostgreSQL, each started with the unit's ExecStart"
if [ -z "${PGPORT:-}" ]; then
  echo "FAIL - the fleet needs PostgreSQL: run under tests/storage/pg_suite.sh (pg_virtualenv)"
  failures=$((failures + 1))
else
  createdb fleet
  declare -A port=([c]=18211 [d]=18213)
  for r in c d; do
    mkroot "$r" || { echo "FAIL - debootstrap of root $r"; exit 1; }
    mkdir -p "$work/$r/root/values"
    cp "$work/v2.deb" "$work/tls.crt" "$work/tls.key" "$work/$r/root/values/"
    printf '%s\n' "$PGPASSWORD" >"$work/$r/root/values/db.password"
    printf 'sportello staff Anna-Bianchi %s\n' "$hash" >"$work/$r/root/values/staff.txt"
    chmod 600 "$work/$r/root/values/"*
    sed -e "s#^package = .*#package = /root/values/v2.deb#" -e "s#^kiosk_id = .*#kiosk_id = K1${r/c/1}#" \
      -e "s#^database_url = .*#database_url = postgresql://$PGUSER@127.0.0.1:${PGPORT}/fleet#" \
      "$work/a/root/values/kiosk.values" >"$work/$r/root/values/kiosk.values"
    sed -i 's/^kiosk_id = K1d/kiosk_id = K12/' "$work/$r/root/values/kiosk.values"
    echo 'database_password_file = /root/values/db.password' >>"$work/$r/root/values/kiosk.values"
    inroot "$work/$r" apt-get install -y -q --no-install-recommends /root/values/v2.deb >"$work/$r.install" 2>&1
    inroot "$work/$r" /usr/share/cassetto-kiosk/provision /root/values/kiosk.values >"$work/$r.provision" 2>&1 ||
      tail -10 "$work/$r.provision"
    # Two kiosks on this one box: each told its own ports (a technician's drop-in).
    printf '[server]\nlisten = 127.0.0.1:%s\nscreen_listen = 127.0.0.1:%s\n' "${port[$r]}" "$((port[$r] + 1))" \
      >"$work/$r/etc/cassetto-kiosk/kiosk.conf.d/60-ports.conf"
  done
  check "provisioning writes the shared database in kiosk.conf.d, and the unit pins none" bash -c "
    grep -q '^url = \"postgresql://' '$work/c/etc/cassetto-kiosk/kiosk.conf.d/50-provision.conf' &&
    grep -q '^url = \"postgresql://' '$work/d/etc/cassetto-kiosk/kiosk.conf.d/50-provision.conf' &&
    ! grep -q '^ExecStart=.*--db' '$work/c/lib/systemd/system/cassetto-kiosk.service'"
  install -m 0644 "$src/../shared/fixtures/gs-archive.csv" "$work/c/tmp/archive.csv"
  printf '12345678\n' >"$work/c/root/pin"
  inroot "$work/c" sh -c 'runuser -u cassetto -- /usr/bin/cassetto-kiosk import-archive --config /etc/cassetto-kiosk/kiosk.conf /tmp/archive.csv &&
    runuser -u cassetto -- /usr/bin/cassetto-kiosk set-pin RSSMRA80A01H501U --config /etc/cassetto-kiosk/kiosk.conf </root/pin' \
    >"$work/c.import" 2>&1
  # K11 sends and stays up until K12 has seen the send: both serve at once.
  serve c "${port[c]}" >"$work/c.serve" 2>&1 <<'CLIENT' &
login
curl -s -b /tmp/j -H "X-CSRF-Token: $t" -F topic=rimborso -F subject=Flotta -F body=Testo "$k/api/communications" >/root/protocol
for _ in $(seq 300); do [ -e /root/seen ] && exit 0; sleep 0.1; done
exit 1
CLIENT
  k11=$!
  for _ in $(seq 300); do grep -q '"protocol"' "$work/c/root/protocol" 2>/dev/null && break; sleep 0.1; done
  fleet_protocol=$(sed -nE 's/.*"protocol":"([^"]+)".*/\1/p' "$work/c/root/protocol" 2>/dev/null)
  serve d "${port[d]}" >"$work/d.serve" 2>&1 <<CLIENT
login
curl -s -b /tmp/j "\$k/api/communications?box=sent" | grep -q '"protocol":"$fleet_protocol"'
CLIENT
  seen=$?
  touch "$work/c/root/seen"
  wait "$k11"
  k11_rc=$?
  check "two kiosks serve at once from their units' ExecStart: K12 lists what K11 sent ($fleet_protocol)" \
    bash -c "[ -n '$fleet_protocol' ] && [ $seen = 0 ] && [ $k11_rc = 0 ]" ||
    tail -3 "$work/c/root/serve.log" "$work/d/root/serve.log"
  check "… and both are in the fleet's list" \
    test "$(psql -XAtq -d fleet -c "SELECT string_agg(kiosk_id, ' ' ORDER BY kiosk_id) FROM kiosks")" = "K11 K12"
fi

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
