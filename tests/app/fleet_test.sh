#!/usr/bin/env bash
# The fleet on one real PostgreSQL: three `serve` processes (kiosks K01, K02,
# K03) on one database, as a branch runs them. Run inside pg_virtualenv (see
# tests/storage/pg_suite.sh), which exports PGHOST, PGPORT, PGUSER, PGPASSWORD;
# the kiosks get the password from a .pgpass file, as in production.
# Checks: migration once for ten kiosks starting together; send at K01, list
# at K02, staff reply at K03, unread at K01; a receipt printed at K01 verified
# at K02; lockout across kiosks; the fleet view; audit-verify; a send storm
# with kill -9; each notification once at a real SMTP server; a database
# restart answered 503 and recovered without restarting serve.
# Usage: fleet_test.sh PATH/TO/cassetto-kiosk SOURCE_DIR
set -u
bin=$1
src=$2
py=/usr/bin/python3
work=$(mktemp -d)
declare -A pid url
smtp_pid=
sms_pid=
frozen_pm=
cleanup() {
  [ -n "$frozen_pm" ] && { pkill -CONT -P "$frozen_pm"; kill -CONT "$frozen_pm"; } 2>/dev/null
  for k in "${!pid[@]}"; do kill -9 "${pid[$k]}" 2>/dev/null; done
  [ -n "$smtp_pid" ] && kill "$smtp_pid" "$sms_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS COMMAND…
  local limit=$1
  shift
  for _ in $(seq $((limit * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}
sql() { psql -XAtq -d kiosk -c "$1"; }

# The shared database and the password in a .pgpass file (never in the URL).
createdb kiosk || exit 1
port=${PGPORT:-5432}
printf '%s:%s:kiosk:%s:%s\n' "$PGHOST" "$port" "$PGUSER" "$PGPASSWORD" >"$work/pgpass"
chmod 600 "$work/pgpass"
export PGPASSFILE=$work/pgpass
db="postgresql://$PGUSER@$PGHOST:$port/kiosk"
check "a password in the URL is refused (exit 2), never used" bash -c "
  PGPASSWORD= '$bin' audit-verify --db 'postgresql://$PGUSER:secret@$PGHOST:$port/kiosk' 2>'$work/e'
  test \$? = 2 && grep -q 'pgpass' '$work/e'"
unset PGPASSWORD

# Ten kiosks starting at once migrate once.
for i in $(seq 10); do "$bin" audit-verify --db "$db" >"$work/migrate.$i" 2>&1 & done
wait
check "ten kiosks starting together: every one opens the database" \
  bash -c "! grep -L 'intact' '$work'/migrate.* | grep -q ."
check "ten kiosks starting together: each migration applied once" \
  test "$(sql 'SELECT count(*) = count(DISTINCT version) AND count(*) = max(version) FROM schema_migrations')" = t

# An SMTP server for every notification of the fleet.
mail_port=$(free_port)
$py -m aiosmtpd -n -l "127.0.0.1:$mail_port" -c aiosmtpd.handlers.Mailbox "$work/mail" >/dev/null 2>&1 &
smtp_pid=$!
wait_for 10 bash -c "(echo >/dev/tcp/127.0.0.1/$mail_port) 2>/dev/null"
sms_port=$(free_port)
$py "$src/tests/notify/sms_sink.py" "$sms_port" "$work/sms.jsonl" &
sms_pid=$!

start_kiosk() {  # start_kiosk K0N [--demo]   ($pec_port: another PEC server)
  local k=$1
  shift
  cat >"$work/$k.conf" <<CONF
[database]
statement_timeout_ms = 3000
busy_timeout_ms = 2000
[kiosk]
kiosk_id = $k
branch_code = 0042
branch_name = Sede di prova
[receipts]
key_file = $work/$k.key
[mail]
url = smtp://127.0.0.1:$mail_port
from = noreply@cassetto.example.it
require_tls = false
[pec]
url = smtp://127.0.0.1:${pec_port:-$mail_port}
from = cassetto@pec.example.it
require_tls = false
[sms]
url = http://127.0.0.1:$sms_port/sms
token = Bearer fleet-token
sender = INPS
[notify]
poll_seconds = 1
lease_seconds = 5
[fair_use]
# The storm's sends all come from one professional.
sends_per_hour = 0
CONF
  chmod 600 "$work/$k.conf"  # it holds the SMS token
  "$bin" serve "$@" --config "$work/$k.conf" --db "$db" --listen 127.0.0.1:0 >"$work/$k.log" 2>&1 &
  pid[$k]=$!
  wait_for 20 grep -q '^listening on' "$work/$k.log"
  url[$k]=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$work/$k.log" | head -1)
}
login() {  # login KIOSK JAR BODY → csrf token (empty when refused)
  curl -s -c "$work/$2" -H 'Content-Type: application/json' -d "$3" "${url[$1]}/api/session" |
    sed -nE 's/.*"csrf_token":"([0-9a-f]+)".*/\1/p'
}
pro='{"codice_fiscale":"RSSMRA80A01H501U","pin":"12345678"}'
staff='{"username":"sportello","password":"sportello-demo"}'

start_kiosk K01 --demo
start_kiosk K02
start_kiosk K03
check "three kiosks serve the one database" bash -c "[ -n '${url[K01]}' ] && [ -n '${url[K02]}' ] && [ -n '${url[K03]}' ]"

# Send at K01, list at K02, reply at K03, unread at K01.
t1=$(login K01 p1 "$pro")
sent=$(curl -s -b "$work/p1" -H "X-CSRF-Token: $t1" -F topic=ruoli_versamenti -F subject='Versamenti 2026' \
  -F body='Chiedo la verifica dei versamenti.' -F attachments=@"$src/tests/fixtures/files/documento.pdf" \
  "${url[K01]}/api/communications")
protocol=$(echo "$sent" | sed -nE 's/.*"protocol":"([^"]+)".*/\1/p')
id=$(echo "$sent" | sed -nE 's/.*"id":([0-9]+).*/\1/p')
check "a send at K01 gets protocol INPS.0042.<year>.0000001" bash -c "[[ '$protocol' =~ ^INPS\.0042\.[0-9]{4}\.0000001$ ]]"
t2=$(login K02 p2 "$pro")
check "K02 lists the thread sent at K01, with its attachment" bash -c "
  curl -s -b '$work/p2' '${url[K02]}/api/communications?box=sent' | grep -q '\"protocol\":\"$protocol\"' &&
  curl -s -b '$work/p2' '${url[K02]}/api/communications/$id' | grep -q '\"filename\":\"documento.pdf\"'"
check "K02 hands out the file sent at K01 byte for byte" bash -c "
  aid=\$(curl -s -b '$work/p2' '${url[K02]}/api/communications/$id' | sed -nE 's/.*\"attachments\":\[\{\"id\":([0-9]+).*/\1/p')
  curl -s -b '$work/p2' '${url[K02]}/api/attachments/'\$aid | cmp -s - '$src/tests/fixtures/files/documento.pdf'"
t3=$(login K03 s3 "$staff")
curl -s -b "$work/s3" -H "X-CSRF-Token: $t3" -F body='Versamenti verificati: tutto regolare.' \
  "${url[K03]}/api/staff/communications/$id/messages" >/dev/null
check "the reply written at K03 is unread for the professional at K01" bash -c "
  curl -s -b '$work/p1' '${url[K01]}/api/session' | grep -q '\"unread\":1'"

# Reads never queue behind the fleet's writes (Performance item 3): while a
# write at another desk holds the fleet's write lock (here psql, for 4 s),
# opening the unread reply (its read mark) and the receipt (its signed audit
# head) answer at once, and the read mark is stored.
sql "SELECT pg_advisory_xact_lock(1263095635, coalesce(hashtext(current_schema()), 0)), pg_sleep(4)" >/dev/null &
holder=$!
wait_for 5 bash -c "psql -XAtq -d kiosk -c \"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1263095635 AND granted\" | grep -qx 1"
open_ms=$(curl -s -o "$work/held.thread" -w '%{http_code} %{time_total}' -b "$work/p1" "${url[K01]}/api/communications/$id")
receipt_ms=$(curl -s -o "$work/held.pdf" -w '%{http_code} %{time_total}' -b "$work/p1" "${url[K01]}/api/communications/$id/receipt.pdf")
echo "#    under the held write lock: thread $open_ms s, receipt $receipt_ms s"
unread_after=$(sql "SELECT unread FROM communications WHERE id = $id")
wait "$holder"
check "while the fleet's write lock is held, the unread thread opens within 1 s and is marked read" \
  bash -c "[[ '$open_ms' =~ ^200\ 0\.[0-9]+$ ]] && [ '$unread_after' = 0 ]"
check "while the fleet's write lock is held, the receipt is printed within 1 s" \
  bash -c "[[ '$receipt_ms' =~ ^200\ 0\.[0-9]+$ ]] && pdftotext '$work/held.pdf' - | grep -q '$protocol'"

# A receipt printed at K01 verifies at K02 (K01's public key is in the database).
curl -s -b "$work/p1" "${url[K01]}/api/communications/$id/receipt.pdf" -o "$work/receipt.pdf"
check "K02's verify-receipt says the receipt printed at K01 is valid, and names K01" bash -c "
  '$bin' verify-receipt --config '$work/K02.conf' --db '$db' '$work/receipt.pdf' | grep -q '^valid: protocol $protocol.* Sede di prova K01\$'"
# As a person checks it: the receipt's QR code (read with zbarimg) opened at K02.
pdftoppm -r 150 -png "$work/receipt.pdf" "$work/receipt"
query=$(zbarimg -q --raw "$work"/receipt-1.png 2>/dev/null | sed -n 's/^[^?]*?//p' | head -1)
curl -s "${url[K02]}/verifica?$query" >"$work/verifica.html"
sed -nE 's/.*(<h2[^>]*>[^<]*<\/h2>(<p>[^<]*)?).*/\1/p; s/.*Sede e chiosco<\/dt><dd>([^<]*).*/\1/p' "$work/verifica.html" | sed 's/^/#    \/verifica at K02: /'
check "K02's /verifica page, opened from the QR code, says valid and names K01" bash -c "
  [ -n '$query' ] && grep -q 'Ricevuta valida' '$work/verifica.html' && grep -q 'Sede di prova · K01' '$work/verifica.html'"

# Lockout across kiosks: five wrong PINs over three kiosks lock the account everywhere.
curl -s -b "$work/p1" -H "X-CSRF-Token: $t1" -X DELETE "${url[K01]}/api/session" >/dev/null
curl -s -b "$work/p2" -H "X-CSRF-Token: $t2" -X DELETE "${url[K02]}/api/session" >/dev/null
wrong='{"codice_fiscale":"RSSMRA80A01H501U","pin":"99999999"}'
codes=""
for k in K01 K02 K03 K01 K02; do
  codes+=$(curl -s -o /dev/null -w '%{http_code} ' -H 'Content-Type: application/json' -d "$wrong" "${url[$k]}/api/session")
done
check "wrong PINs at K01, K02, K03, K01, K02: the fifth locks (401×4, 423)" test "$codes" = "401 401 401 401 423 "
check "the right PIN is refused as locked at K03 too" test \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$pro" "${url[K03]}/api/session")" = 423
curl -s -b "$work/s3" -H "X-CSRF-Token: $t3" -X POST "${url[K03]}/api/staff/professionals/RSSMRA80A01H501U/unlock" >/dev/null
check "staff unlock at K03 lets the professional in at K01" test -n "$(login K01 p1 "$pro")"

# The keeper's commands work on the shared database as on a file.
check "import-archive, set-pin and outbox list work with --db postgresql://" bash -c "
  '$bin' import-archive --db '$db' '$src/../shared/fixtures/gs-archive.csv' | grep -q '^added ' &&
  echo 'Pin2026abc' | '$bin' set-pin --db '$db' SRRMTT66S23F205R >/dev/null &&
  '$bin' outbox list --db '$db' | grep -q 'registered'"

# The technician sees the branch's fleet from any desk.
"$bin" add-staff --db "$db" --role technician --display-name 'Tecnico' tecnico <<<'tecnico-prova-2026' >/dev/null
"$bin" selftest --config "$work/K02.conf" --db "$db" >/dev/null 2>&1
tt=$(login K03 t3 '{"username":"tecnico","password":"tecnico-prova-2026"}')
curl -s -b "$work/t3" "${url[K03]}/api/technician/kiosks" >"$work/kiosks.json"
check "/api/technician/kiosks at K03 lists K01, K02, K03 online with version and head" $py -c "
import json
j = json.load(open('$work/kiosks.json'))
ks = {k['kiosk_id']: k for k in j['items']}
assert set(ks) == {'K01', 'K02', 'K03'}, ks
assert all(k['state'] == 'online' and k['version'] and k['branch_code'] == '0042' for k in ks.values()), ks
assert ks['K03']['this_kiosk'] and not ks['K01']['this_kiosk']
import re
iso = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
assert iso.match(ks['K02']['selftest']['at']), ks['K02']  # ISO 8601, as every time in the API
assert all(iso.match(k['last_seen']) and iso.match(k['started_at']) for k in ks.values()), ks
assert 'printer=' in ks['K01']['devices']
"

# Many sends at once on all three kiosks, K03 killed with kill -9 each round.
tk=( "" )
for k in K01 K02 K03; do login "$k" "storm$k" "$pro" >"$work/token$k"; done
acked=$work/acked
: >"$acked"
send_loop() {  # send_loop KIOSK ROUND
  local k=$1 token
  token=$(cat "$work/token$k")
  for i in $(seq 6); do
    out=$(curl -s -m 10 -w '\nstatus=%{http_code}' -b "$work/storm$k" -H "X-CSRF-Token: $token" \
      -F topic=normativa -F "subject=Storm $2 $k $i" -F body=Testo "${url[$k]}/api/communications")
    grep -oE '"protocol":"[^"]+"' <<<"$out" | cut -d'"' -f4 >>"$acked"
    body=${out%$'\n'status=*}
    echo "$k ${out##*status=} ${body:0:120}" >>"$work/storm-answers"
  done
}
kills=0
for round in 1 2 3; do
  send_loop K01 "$round" &
  a=$!
  send_loop K02 "$round" &
  b=$!
  send_loop K03 "$round" &
  c=$!
  sleep 0.3
  kill -9 "${pid[K03]}"
  kills=$((kills + 1))
  wait "$a" "$b" "$c"
  wait "${pid[K03]}" 2>/dev/null
  start_kiosk K03
  login K03 stormK03 "$pro" >"$work/tokenK03"
done
echo "#    storm: $(wc -l <"$acked") sends acknowledged, $(sql 'SELECT count(*) FROM communications') stored, outbox: $(sql "SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM outbox GROUP BY status) s")"
check "no acknowledged send lost: every protocol answered 201 is in the database" bash -c "
  sort -u '$acked' >'$work/acked.sorted'
  sql() { psql -XAtq -d kiosk -c \"\$1\"; }
  sql 'SELECT protocol FROM communications' | sort >'$work/stored'
  comm -23 '$work/acked.sorted' '$work/stored' | wc -l | grep -qx 0"
check "no protocol twice and no gap across the three kiosks" \
  test "$(sql "SELECT count(*) = count(DISTINCT protocol) AND count(*) = max(split_part(protocol, '.', 4)::int) FROM communications")" = t
check "the storm acknowledged sends at every kiosk" test "$(wc -l <"$acked")" -ge 20
# Item 5: a send is answered 201, or cut by the kill (000), or told to retry
# (408/503); never refused as malformed (two 400s were once seen in a storm).
grep -vE '^K0[123] (201|000|408|503) ' "$work/storm-answers" | sed 's/^/#    storm answer: /'
check "no send in the storm refused as malformed: each is 201, cut by the kill, or a retry" \
  bash -c "! grep -vqE '^K0[123] (201|000|408|503) ' '$work/storm-answers'"

# Each notification once: the outbox drains and every row's Message-ID is at the SMTP server.
# A PEC cut off by a kill mid-send is held for the technician (failed, with the reason),
# never sent twice; the technician's retry sends it after checking the provider's receipts.
settled() { [ "$(psql -XAtq -d kiosk -c "SELECT count(*) FROM outbox WHERE status = 'pending'")" = 0 ]; }
wait_for 60 settled
sql "SELECT id, event, channel, status, attempts, next_attempt_at - extract(epoch from now())::bigint, last_error FROM outbox WHERE status <> 'sent'" | sed 's/^/#    not sent: /'
check "the shared outbox drains: nothing left pending" wait_for 60 settled
held=$(sql "SELECT count(*) FROM outbox WHERE status = 'failed' AND channel = 'pec' AND last_error LIKE '%ricevute del gestore PEC%'")
check "only PEC cut off mid-send are held ($held ≤ $kills kills), nothing else failed" bash -c "
  [ $held -le $kills ] && [ \$(psql -XAtq -d kiosk -c \"SELECT count(*) FROM outbox WHERE status = 'failed'\") = $held ]"
$py "$src/tests/notify/check_maildir.py" "$work/mail" >"$work/mails.txt"
check "no PEC twice through the kills: each PEC Message-ID once at the server" $py -c "
import collections
rows = [l.split('\t') for l in open('$work/mails.txt')]
count = collections.Counter(r[2] for r in rows if '@pec.' in r[0])
assert all(n == 1 for n in count.values()), [m for m, n in count.items() if n > 1]
"
"$bin" outbox retry --all --db "$db" >/dev/null
check "after the technician's retry every row is sent" wait_for 60 \
  bash -c "[ \"\$(psql -XAtq -d kiosk -c \"SELECT count(*) FROM outbox WHERE status <> 'sent'\")\" = 0 ]"
mail_rows=$(sql "SELECT count(*) FROM outbox WHERE channel <> 'sms'")
sms_rows=$(sql "SELECT count(*) FROM outbox WHERE channel = 'sms'")
sleep 1
$py "$src/tests/notify/check_maildir.py" "$work/mail" >"$work/mails.txt"
check "every e-mail and PEC row reached the SMTP server, under its own Message-ID" \
  test "$(cut -f3 "$work/mails.txt" | sort -u | wc -l)" -eq "$mail_rows"
check "every SMS row reached the gateway" test "$(wc -l <"$work/sms.jsonl")" -ge "$sms_rows"
dups=$(( $(wc -l <"$work/mails.txt") - mail_rows + $(wc -l <"$work/sms.jsonl") - sms_rows ))
echo "#    $mail_rows mails and $sms_rows SMS; $dups sent twice (e-mail or SMS of a kiosk killed between the server's answer and its record); $held PEC held"
# Each kill can cut one send per channel worker (e-mail, PEC, SMS) of the killed kiosk.
check "an e-mail or SMS goes out twice only when a kiosk was killed mid-send ($dups ≤ 3 × $kills)" \
  test "$dups" -le $((3 * kills))

# One audit chain for the fleet, every kiosk's signed heads checked.
kill -TERM "${pid[K01]}" "${pid[K02]}" "${pid[K03]}"
wait "${pid[K01]}" "${pid[K02]}" "${pid[K03]}" 2>/dev/null
unset 'pid[K01]' 'pid[K02]' 'pid[K03]'
anchors=$(sql 'SELECT count(*) FROM audit_anchors')
check "audit-verify at K02: one chain, intact, every head checked, K01's too" bash -c "
  '$bin' audit-verify --config '$work/K02.conf' --db '$db' >'$work/audit' &&
  grep -q 'chain intact' '$work/audit' && grep -q 'signed heads: $anchors match' '$work/audit' &&
  test \$(psql -XAtq -d kiosk -c \"SELECT count(*) FROM audit_anchors WHERE kiosk_id = 'K01'\") -ge 1"

check "each signed head is also a log line, for the journal to forward off the box" bash -c "
  line=\$(grep '\"event\":\"audit_anchor\"' '$work/K01.log' | tail -1)
  hash=\$(echo \"\$line\" | sed -nE 's/.*\"head_hash\":\"([0-9a-f]+)\".*/\\1/p')
  [ -n \"\$hash\" ] && test \$(psql -XAtq -d kiosk -c \"SELECT count(*) FROM audit_anchors WHERE kiosk_id = 'K01' AND head_hash = '\$hash'\") -ge 1"

# A database restart: 503 database_unavailable while it is down, then back by itself.
start_kiosk K01
t1=$(login K01 p1 "$pro")
cluster=$(pg_lsclusters -h | awk -v p="$port" '$3 == p {print $1" "$2}')
pg_ctlcluster $cluster stop -m fast
check "/healthz says database_unavailable while PostgreSQL is down" bash -c "
  curl -s '${url[K01]}/healthz' | grep -q database_unavailable"
check "a list answers 503 database_unavailable with an Italian message" bash -c "
  out=\$(curl -s -w ' %{http_code}' -b '$work/p1' '${url[K01]}/api/communications?box=sent')
  [[ \"\$out\" == *'database_unavailable'*'archivio'*' 503' ]]"
pg_ctlcluster $cluster start
check "after the restart the kiosk serves again without a restart of its own" wait_for 20 bash -c "
  curl -s '${url[K01]}/healthz' | grep -q '\"status\":\"ok\"'"
check "the open session survives: a send after the restart is registered" bash -c "
  curl -s -b '$work/p1' -H 'X-CSRF-Token: $t1' -F topic=normativa -F subject='Dopo il riavvio' -F body=Testo \
    '${url[K01]}/api/communications' | grep -q '\"protocol\"'"

# A frozen database: the whole cluster stopped (SIGSTOP), as a hung host or a
# black-holed network, for longer than the bounds (a statement 3 s + 2 s,
# connecting 2 s). No request waits past its bound, /healthz answers within a
# second, and nothing acknowledged is lost.
datadir=$(pg_lsclusters -h | awk -v p="$port" '$3 == p {print $6}')
frozen_pm=$(head -1 "$datadir/postmaster.pid")
t1=$(login K01 p1 "$pro")
: >"$work/frozen"
timed() {  # timed NAME CURL-ARGS… → "NAME CODE MS" in $work/frozen
  local name=$1 start out
  shift
  start=$(date +%s%N)
  out=$(curl -s -m 60 -o "$work/frozen.$name" -w '%{http_code}' "$@")
  echo "$name $out $(( ($(date +%s%N) - start) / 1000000 ))" >>"$work/frozen"
}
kill -STOP "$frozen_pm"
pkill -STOP -P "$frozen_pm"
waiters=()
for i in $(seq 10); do
  timed "list$i" -b "$work/p1" "${url[K01]}/api/communications?box=sent" &
  waiters+=($!)
done
timed send -b "$work/p1" -H "X-CSRF-Token: $t1" -F topic=normativa -F subject='Durante il blocco' \
  -F body=Testo "${url[K01]}/api/communications" &
waiters+=($!)
sleep 1
timed healthz "${url[K01]}/healthz" &
waiters+=($!)
wait "${waiters[@]}"
sleep 3  # frozen longer than every bound
pkill -CONT -P "$frozen_pm"
kill -CONT "$frozen_pm"
frozen_pm=
sed 's/^/#    frozen database: /' "$work/frozen"
check "frozen database: every list and the send answered within 9 s (503, never hanging)" \
  awk '$1 != "healthz" && ($3 > 9000 || ($2 != 503 && $2 != 200 && $2 != 201)) {bad=1} END {exit bad}' "$work/frozen"
check "frozen database: /healthz answered 503 within 1.5 s" \
  awk '$1 == "healthz" {found=1; if ($2 != 503 || $3 > 1500) bad=1} END {exit bad || !found}' "$work/frozen"
check "frozen database: back by itself afterwards" wait_for 20 bash -c "
  curl -s '${url[K01]}/healthz' | grep -q '\"status\":\"ok\"' &&
  curl -s -o /dev/null -w '%{http_code}' -b '$work/p1' '${url[K01]}/api/communications?box=sent' | grep -qx 200"
check "frozen database: the send is there exactly when it was acknowledged" bash -c "
  code=\$(awk '\$1 == \"send\" {print \$2}' '$work/frozen')
  n=\$(psql -XAtq -d kiosk -c \"SELECT count(*) FROM communications WHERE subject = 'Durante il blocco'\")
  { [ \"\$code\" = 201 ] && [ \"\$n\" = 1 ]; } || { [ \"\$code\" != 201 ] && [ \"\$n\" = 0 ]; }"

# A slow PEC server (a second a message) and two kiosks with a 5 s lease:
# each PEC goes out once, counted at the server by Message-ID.
kill -TERM "${pid[K01]}"
wait "${pid[K01]}" 2>/dev/null
pec_port=$(free_port)
$py "$src/tests/notify/slow_smtp.py" "$pec_port" "$work/slowpec" 1 >/dev/null 2>&1 &
slow_pid=$!
wait_for 10 bash -c "(echo >/dev/tcp/127.0.0.1/$pec_port) 2>/dev/null"
sql "DELETE FROM outbox" >/dev/null
start_kiosk K01
start_kiosk K02
t1=$(login K01 p1 "$pro")
for i in $(seq 20); do
  curl -s -o /dev/null -b "$work/p1" -H "X-CSRF-Token: $t1" -F topic=normativa -F "subject=Lenta $i" \
    -F body=Testo "${url[K01]}/api/communications"
done
pec_rows=$(sql "SELECT count(*) FROM outbox WHERE channel = 'pec'")
check "slow PEC server: the $pec_rows PEC rows all sent" wait_for 60 bash -c "
  [ \"\$(psql -XAtq -d kiosk -c \"SELECT count(*) FROM outbox WHERE channel = 'pec' AND status <> 'sent'\")\" = 0 ]"
sleep 2
$py "$src/tests/notify/check_maildir.py" "$work/slowpec" >"$work/slowpec.txt"
echo "#    slow PEC server: $pec_rows rows, $(wc -l <"$work/slowpec.txt") mails, $(cut -f3 "$work/slowpec.txt" | sort -u | wc -l) Message-IDs"
check "slow PEC server, two kiosks, 5 s lease: no PEC twice (one mail per Message-ID, one per row)" bash -c "
  [ \$(wc -l <'$work/slowpec.txt') -eq $pec_rows ] && [ \$(cut -f3 '$work/slowpec.txt' | sort -u | wc -l) -eq $pec_rows ]"
kill "$slow_pid" 2>/dev/null

# A fleet kiosk's nightly backup: what the kiosk owns (its receipt keys); the
# shared database is the branch's (pg_dump). It failed every night before.
check "backup on a fleet kiosk keeps its receipt key and says who backs up the database" bash -c "
  '$bin' backup --config '$work/K02.conf' --db '$db' '$work/k02-backups' >'$work/bk.txt' 2>&1 &&
  grep -q 'the receipt key; the shared database is backed up by the branch with pg_dump' '$work/bk.txt' &&
  b=\$(ls -d '$work'/k02-backups/cassetto-*) && cmp -s \"\$b/receipt-key\" '$work/K02.key' &&
  grep -q '^database shared' \"\$b/manifest\" && ! test -e \"\$b/kiosk.db\""
# The replacement box: the key comes back from the backup, 0600.
sed "s|^key_file = .*|key_file = $work/K02-new.key|" "$work/K02.conf" >"$work/K02-new.conf"
chmod 600 "$work/K02-new.conf"
check "restore on a replacement fleet kiosk brings its receipt key back (0600), not over an existing one" bash -c "
  b=\$(ls -d '$work'/k02-backups/cassetto-*) &&
  '$bin' restore --config '$work/K02-new.conf' --db '$db' \"\$b\" >'$work/rs.txt' 2>&1 &&
  cmp -s '$work/K02-new.key' '$work/K02.key' && [ \"\$(stat -c %a '$work/K02-new.key')\" = 600 ] &&
  '$bin' restore --config '$work/K02-new.conf' --db '$db' \"\$b\" >/dev/null 2>&1; [ \$? = 2 ]"

echo "fleet: $failures failure(s)"
[ "$failures" -eq 0 ]
