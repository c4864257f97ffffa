#!/usr/bin/env bash
# The card login as it runs at a kiosk: `serve` with the test reader
# (SoftHSM2 tokens behind tests/card/fake_reader.c), a TS-CNS holder logging
# in with a known card PIN, then the whole box searched for that PIN: the
# journal lines (stdout and stderr), the database and its -wal, and a core
# file of the running kiosk (gcore). selftest names the reader, the module
# and the CA bundle's expiry.
# Usage: card_test.sh PATH/TO/cassetto-kiosk SOURCE_DIR PATH/TO/fake_reader_pkcs11.so
set -u
bin=$1
src=$2
module=$3
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
failures=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}
cd "$work"
bash "$src/tests/card/make_cards.sh" "$work/cards" || exit 1
export SOFTHSM2_CONF=$work/cards/softhsm2.conf KIOSK_TEST_READER_DIR=$work/cards/reader
pin=73915284  # cns-greco's card PIN: eight digits found nowhere else
cat >kiosk.conf <<CONF
[card]
module = $module
ca_bundle = $work/cards/ca.pem
crl = $work/cards/crl.pem
CONF

"$bin" import-archive --config kiosk.conf --db kiosk.db "$src/../shared/fixtures/gs-archive.csv" >import.log 2>&1
check "the archive holds the card's professional" grep -q . import.log

"$bin" selftest --config kiosk.conf --db kiosk.db >selftest.txt 2>&1
cat selftest.txt
check "selftest: the reader is ready" grep -q '^card: ok .*lettore Lettore di prova' selftest.txt
check "selftest names the module" grep -q "modulo $module" selftest.txt
check "selftest names the CA bundle's expiry" grep -qE "CA .*ca.pem valide fino al 20[0-9]{2}-[0-9]{2}-[0-9]{2}" selftest.txt

"$bin" serve --config kiosk.conf --db kiosk.db --listen 127.0.0.1:0 >serve.log 2>&1 &
server=$!
for _ in $(seq 100); do grep -qs '^listening on' serve.log && break; sleep 0.1; done
url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' serve.log | head -1)
echo cns-greco >cards/reader/inserted
# As the UI sends it: the PIN after 16 KiB of padding (README, card login).
pad=$(printf '%16384s' '')
code=$(curl -s -o wrong.json -w '%{http_code}' -H 'Content-Type: application/json' \
  -d "{\"pad\":\"$pad\",\"pin\":\"11111111\"}" "$url/api/card/login")
check "a wrong card PIN: 401 card_pin_wrong" test "$code" = 401
code=$(curl -s -o login.json -w '%{http_code}' -c jar -H 'Content-Type: application/json' \
  -d "{\"pad\":\"$pad\",\"pin\":\"$pin\"}" "$url/api/card/login")
check "the card's PIN logs in" test "$code" = 200
check "as the card's holder" grep -q '"display_name":"Francesca Greco"' login.json
code=$(curl -s -o /dev/null -w '%{http_code}' -b jar "$url/api/communications?box=received")
check "the session reads the inbox" test "$code" = 200

# The lot, searched for the PIN: the process's memory first, then its files.
gcore -o core "$server" >gcore.log 2>&1
check "a core file of the running kiosk" test -s "core.$server"
check "no card PIN in the kiosk's memory" bash -c "test -s core.$server && ! grep -aq $pin core.$server"
kill "$server"
wait "$server" 2>/dev/null
server=
check "no card PIN in the journal lines" bash -c "! grep -aq $pin serve.log"
check "the journal line of the login says how, not the PIN" grep -q '"with":"card"' serve.log
for f in kiosk.db kiosk.db-wal; do
  [ -f "$f" ] && check "no card PIN in $f" bash -c "! grep -aq $pin $f"
done

echo "$failures failed"
[ "$failures" -eq 0 ]
