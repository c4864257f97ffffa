#!/usr/bin/env bash
# migrate-db: a standalone kiosk's SQLite file, holding every kind of record,
# moved into an empty PostgreSQL database (inside pg_virtualenv, see
# tests/storage/pg_suite.sh); then the same kiosk served from PostgreSQL.
# Usage: migrate_db_test.sh PATH/TO/cassetto-kiosk SOURCE_DIR
set -u
bin=$1
src=$2
py=/usr/bin/python3
work=$(mktemp -d)
kiosk=
cleanup() {
  [ -n "$kiosk" ] && kill -9 "$kiosk" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}
wait_for() {
  local limit=$1
  shift
  for _ in $(seq $((limit * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}
createdb kiosk || exit 1
port=${PGPORT:-5432}
printf '%s:%s:*:%s:%s\n' "$PGHOST" "$port" "$PGUSER" "$PGPASSWORD" >"$work/pgpass"
chmod 600 "$work/pgpass"
export PGPASSFILE=$work/pgpass
unset PGPASSWORD
pg="postgresql://$PGUSER@$PGHOST:$port/kiosk"
file=$work/kiosk.db
key=$work/kiosk.db.receipt-key
printf '[kiosk]\nkiosk_id = K07\nbranch_code = 0042\n[receipts]\nkey_file = %s\n' "$key" >"$work/k.conf"

start_kiosk() {  # start_kiosk DB [--demo]
  local db=$1
  shift
  "$bin" serve "$@" --config "$work/k.conf" --db "$db" --listen 127.0.0.1:0 >"$work/log" 2>&1 &
  kiosk=$!
  wait_for 20 grep -q '^listening on' "$work/log"
  url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$work/log" | head -1)
}
stop_kiosk() { kill -TERM "$kiosk"; wait "$kiosk" 2>/dev/null; kiosk=; }
login() {  # login JAR BODY → csrf token
  curl -s -c "$work/$1" -H 'Content-Type: application/json' -d "$2" "$url/api/session" |
    sed -nE 's/.*"csrf_token":"([0-9a-f]+)".*/\1/p'
}
pro='{"codice_fiscale":"RSSMRA80A01H501U","pin":"12345678"}'

# A standalone kiosk with every kind of record.
"$bin" import-archive --db "$file" "$src/../shared/fixtures/gs-archive.csv" >/dev/null 2>&1
echo 'tecnico-di-sede-2026' | "$bin" add-staff --db "$file" --role technician tecnico >/dev/null
start_kiosk "$file" --demo
curl -s -H 'Content-Type: application/json' -d '{"codice_fiscale":"RSSMRA80A01H501U","pin":"00000000"}' \
  "$url/api/session" >/dev/null  # a failed login: counted
t=$(login pro "$pro")
s=$(login staff '{"username":"sportello","password":"sportello-demo"}')
curl -s -b "$work/pro" -H "X-CSRF-Token: $t" -F topic=rimborso -F subject='Rimborso 2025' -F body='Chiedo il rimborso.' \
  -F idempotency_key=k-1 -F attachments=@"$src/tests/fixtures/files/documento.pdf" \
  -F attachments=@"$src/tests/fixtures/files/foto.jpg" "$url/api/communications" >"$work/sent.json"
curl -s -b "$work/pro" -H "X-CSRF-Token: $t" -H 'Content-Type: application/json' -X PUT \
  -d '{"pec":"nuova@pec.example.com","email":"","mobile":"","notify":["pec"]}' "$url/api/contacts" >/dev/null
curl -s -b "$work/staff" -H "X-CSRF-Token: $s" -F body='Rimborso disposto.' "$url/api/staff/communications/1/messages" >/dev/null
curl -s -b "$work/staff" -H "X-CSRF-Token: $s" -F codice_fiscale=RSSMRA80A01H501U -F topic=normativa \
  -F subject='Avviso' -F body='Comunicazione dell Istituto.' "$url/api/staff/communications" >/dev/null
curl -s -b "$work/staff" -H "X-CSRF-Token: $s" -H 'Content-Type: application/json' -d '{"outcome":"Accolta"}' \
  "$url/api/staff/communications/1/close" >/dev/null
curl -s -b "$work/pro" -H "X-CSRF-Token: $t" -X POST "$url/api/communications/1/receipt/pec" >/dev/null
curl -s -b "$work/pro" "$url/api/communications/1/receipt.pdf" -o "$work/receipt.pdf"
stop_kiosk
sha_before=$(sqlite3 "$file" "SELECT group_concat(sha256, ',') FROM (SELECT sha256 FROM attachments ORDER BY id)")

# A source whose audit chain was rewritten is refused before anything is
# copied: the target stays empty, and the good file then goes into it.
cp "$file" "$work/broken.db"
sqlite3 "$work/broken.db" "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = 'falso' WHERE id = 2;"
check "a source with a broken audit chain copies nothing (exit 1), the target stays empty" bash -c "
  '$bin' migrate-db --config '$work/k.conf' --from '$work/broken.db' --to '$pg' >'$work/m0' 2>&1; test \$? = 1 &&
  grep -q 'BROKEN at entry 2' '$work/m0' && grep -q 'nothing was copied' '$work/m0' &&
  test \"\$(psql -XAtq -d kiosk -c 'SELECT count(*) FROM audit_log' 2>/dev/null || echo 0)\" = 0 &&
  test \"\$(psql -XAtq -d kiosk -c 'SELECT count(*) FROM communications' 2>/dev/null || echo 0)\" = 0"
# A receipt key only in the key file (not among the keys the kiosk published
# in its database) is not trusted branch-wide unless the technician says so.
cp "$file" "$work/unpublished.db"
sqlite3 "$work/unpublished.db" "DROP TRIGGER IF EXISTS receipt_keys_no_delete; DELETE FROM receipt_keys;"
createdb untrusted && createdb trusted
check "a key only in the key file is not published without --trust-key, and says so" bash -c "
  '$bin' migrate-db --config '$work/k.conf' --from '$work/unpublished.db' --to 'postgresql://$PGUSER@$PGHOST:$port/untrusted' >'$work/m1' 2>&1 &&
  grep -q 'only in the key file, NOT published' '$work/m1' &&
  test \$(psql -XAtq -d untrusted -c 'SELECT count(*) FROM receipt_keys') = 0"
check "with --trust-key it is published for every desk" bash -c "
  '$bin' migrate-db --config '$work/k.conf' --trust-key --from '$work/unpublished.db' --to 'postgresql://$PGUSER@$PGHOST:$port/trusted' >'$work/m2' 2>&1 &&
  grep -q 'published (--trust-key)' '$work/m2' &&
  test \$(psql -XAtq -d trusted -c \"SELECT count(*) FROM receipt_keys WHERE kiosk_id = 'K07'\") -ge 1"

"$bin" migrate-db --config "$work/k.conf" --from "$file" --to "$pg" >"$work/migrate" 2>&1
status=$?
sed 's/^/#    /' "$work/migrate"
check "migrate-db succeeds" test "$status" = 0
check "it reports the audit chain intact with its signed heads" grep -q 'chain intact; signed heads: [1-9]' "$work/migrate"
same=1
for table in professionals contact_versions staff_users audit_log audit_anchors protocol_counters \
             communications messages attachments idempotency_keys outbox receipt_keys kiosks; do
  a=$(sqlite3 "$file" "SELECT count(*) FROM $table")
  b=$(psql -XAtq -d kiosk -c "SELECT count(*) FROM $table")
  [ "$a" = "$b" ] && [ "$a" -gt 0 -o "$table" = kiosks ] || { echo "#    $table: $a vs $b"; same=0; }
done
check "every table has the same rows on both sides (and each kind of record is there)" test "$same" = 1
check "the files are byte for byte the same" test \
  "$(psql -XAtq -d kiosk -c "SELECT string_agg(encode(sha256(content), 'hex'), ',' ORDER BY id) FROM attachments")" = "$sha_before"
check "no session is moved" test "$(psql -XAtq -d kiosk -c 'SELECT count(*) FROM sessions')" = 0
check "a second migration into the now full database is refused (exit 2), nothing added" bash -c "
  '$bin' migrate-db --from '$file' --to '$pg' 2>'$work/e'; test \$? = 2 && grep -q 'già dati' '$work/e' &&
  test \$(psql -XAtq -d kiosk -c 'SELECT count(*) FROM communications') = \$(sqlite3 '$file' 'SELECT count(*) FROM communications')"

# The same kiosk, now on PostgreSQL.
check "the receipt printed before the move verifies against PostgreSQL" bash -c "
  '$bin' verify-receipt --config '$work/k.conf' --db '$pg' '$work/receipt.pdf' | grep -q '^valid:'"
start_kiosk "$pg"
t=$(login pro "$pro")
check "the professional logs in with the same PIN and sees both threads" bash -c "
  curl -s -b '$work/pro' '$url/api/communications?box=sent' | grep -q 'Rimborso 2025' &&
  curl -s -b '$work/pro' '$url/api/communications?box=received' | grep -q 'Avviso'"
check "a new send continues the protocol numbers (no number reused)" bash -c "
  curl -s -b '$work/pro' -H 'X-CSRF-Token: $t' -F topic=normativa -F subject=Dopo -F body=Testo '$url/api/communications' |
    grep -qE '\"protocol\":\"INPS\.0042\.[0-9]{4}\.0000003\"'"
check "the same idempotency key still answers the first send" bash -c "
  curl -s -o /dev/null -w '%{http_code}' -b '$work/pro' -H 'X-CSRF-Token: $t' -F topic=rimborso -F subject='Rimborso 2025' \
    -F body='Chiedo il rimborso.' -F idempotency_key=k-1 '$url/api/communications' | grep -qx 200"
stop_kiosk
check "audit-verify on PostgreSQL: intact, with the heads signed before and after the move" bash -c "
  '$bin' audit-verify --config '$work/k.conf' --db '$pg' | grep -q 'intact'"

# Without [receipts] key_file, a PostgreSQL kiosk's key is in its state
# folder whatever folder the command starts from (it was var/receipt-key
# under the current folder: "cannot create var/receipt-key" elsewhere).
if [ -d /var/lib/cassetto-kiosk ]; then state=/var/lib/cassetto-kiosk; else state=$work/home/.local/state/cassetto-kiosk; fi
check "on PostgreSQL the key defaults to the state folder, from any folder" bash -c "
  cd / && HOME='$work/home' XDG_STATE_HOME= '$bin' verify-receipt --db '$pg' '$work/receipt.pdf' 2>&1 |
    grep -qF 'no receipt key at $state/receipt-key'"
if [ ! -d /var/lib/cassetto-kiosk ]; then
  mkdir -p "$work/etc"
  printf '[kiosk]\nkiosk_id = K08\n' >"$work/etc/kiosk.conf"
  check "with --config, beside the configuration file" bash -c "
    cd / && HOME='$work/home' '$bin' verify-receipt --config '$work/etc/kiosk.conf' --db '$pg' '$work/receipt.pdf' 2>&1 |
      grep -qF 'no receipt key at $work/etc/receipt-key'"
  (cd / && HOME=$work/home XDG_STATE_HOME='' exec "$bin" serve --db "$pg" --listen 127.0.0.1:0 >"$work/elsewhere.log" 2>&1) &
  elsewhere=$!
  wait_for 20 grep -q '^listening on' "$work/elsewhere.log"
  kill -TERM "$elsewhere"; wait "$elsewhere" 2>/dev/null
  check "serve started from another folder makes its key there, in a private folder" bash -c "
    test -s '$state/receipt-key' && [ \"\$(stat -c %a '$state')\" = 700 ] && ! test -e /var/receipt-key"
fi
echo "migrate-db: $failures failure(s)"
[ "$failures" -eq 0 ]
