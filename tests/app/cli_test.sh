#!/usr/bin/env bash
# The program's commands as a technician runs them: exit statuses, messages,
# the archive import report, set-pin, add-staff, selftest, and serve with
# --demo stopping cleanly on SIGTERM.
# Usage: cli_test.sh PATH/TO/cassetto-kiosk SOURCE_DIR
set -u
bin=$1
src=$2
fixtures=$src/../shared/fixtures
work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
server=
failures=0
checks=0

check() {  # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@"; then
    echo "ok   - $what"
  else
    echo "FAIL - $what"
    failures=$((failures + 1))
  fi
}

status_of() { "$@" >"$work/out" 2>"$work/err" </dev/null; echo $?; }

db="$work/kiosk.db"

check "no command is bad usage (2)" test "$(status_of "$bin")" = 2
check "an unknown command is bad usage (2)" test "$(status_of "$bin" frobnicate)" = 2
check "--help succeeds" test "$(status_of "$bin" --help)" = 0
check "each command has --help" bash -c "
  for c in serve import-archive set-pin add-staff selftest audit-verify; do
    '$bin' \$c --help | grep -q -- --config || exit 1
  done"
check "an unknown option is bad usage with a one-line reason" \
  bash -c "'$bin' selftest --bogus 2>'$work/e'; test \$? = 2 && test \$(wc -l <'$work/e') = 1"
printf '[server]\nthreads = lots\n' >"$work/bad.conf"
check "a bad configuration value is exit 2 naming the key" \
  bash -c "'$bin' selftest --config '$work/bad.conf' --db '$db' 2>'$work/e'; test \$? = 2 && grep -q 'server.threads' '$work/e'"
check "a missing configuration file is exit 2" test "$(status_of "$bin" selftest --config "$work/none.conf")" = 2
check "a folder as the configuration is exit 2" test "$(status_of "$bin" selftest --config "$work")" = 2
check "an unknown outbox status is exit 2 naming it" \
  bash -c "'$bin' outbox list --status bogus --db '$work/o.db' 2>'$work/e'; test \$? = 2 && grep -q bogus '$work/e'"
check "--version on any command" bash -c "'$bin' --version | grep -qE '^cassetto-kiosk [0-9]+\.[0-9]+\.[0-9]+$' &&
  '$bin' selftest --version | grep -q '^cassetto-kiosk '"
check "hash-password prints an argon2id hash; a short password is exit 2" \
  bash -c "echo 'una-password-lunga' | '$bin' hash-password | grep -qF 'argon2id\$v=19' &&
  ! echo corta | '$bin' hash-password 2>/dev/null"
check "the shipped kiosk.conf is accepted" \
  test "$(status_of "$bin" selftest --config "$src/firmware-config/kiosk.conf" --db "$db")" = 0

# Archive import: the counts of CONTRACT.md.
"$bin" import-archive --db "$db" "$fixtures/gs-archive-with-errors.csv" >"$work/import" 2>&1
check "import-archive succeeds" test $? = 0
check "import-archive reports 7 added and 3 rejected" grep -q '^added 7, updated 0, rejected 3, warnings 1$' "$work/import"
check "rejected lines 6, 7 and 11 are named with a reason" \
  bash -c "grep -q '^rejected line 6: codice fiscale non valido' '$work/import' &&
           grep -q '^rejected line 7: ' '$work/import' && grep -q '^rejected line 11: ' '$work/import'"
check "the warning names line 8" grep -q '^warning line 8: PEC non valido' "$work/import"
"$bin" import-archive --db "$db" "$fixtures/gs-archive-with-errors.csv" >"$work/import2" 2>&1
check "re-importing updates instead of adding" grep -q '^added 0, updated 7, rejected 3' "$work/import2"
check "importing a missing file is exit 2" test "$(status_of "$bin" import-archive --db "$db" "$work/none.csv")" = 2

# PINs and staff accounts, secrets on standard input.
check "set-pin sets a PIN for an imported professional" \
  bash -c "echo 'Pin2026abc' | '$bin' set-pin --db '$db' SRRMTT66S23F205R >/dev/null"
check "set-pin refuses a short PIN with exit 2" \
  bash -c "echo '123' | '$bin' set-pin --db '$db' SRRMTT66S23F205R 2>/dev/null; test \$? = 2"
check "set-pin refuses an unknown professional" \
  bash -c "echo '12345678' | '$bin' set-pin --db '$db' RSSMRA80A01H501U 2>/dev/null; test \$? = 2"
check "add-staff adds a technician" \
  bash -c "echo 'una-password-lunga' | '$bin' add-staff --db '$db' --role technician mario.t >/dev/null"
check "add-staff refuses a short password" \
  bash -c "echo 'corta' | '$bin' add-staff --db '$db' mario.s 2>/dev/null; test \$? = 2"
check "add-staff refuses an unknown role" \
  bash -c "echo 'una-password-lunga' | '$bin' add-staff --db '$db' --role boss mario.s 2>/dev/null; test \$? = 2"
hash=$(echo 'una-password-lunga' | "$bin" hash-password)
check "add-staff --password-hash saves an account from a hash, then says it is unchanged" \
  bash -c "[ \"\$(echo '$hash' | '$bin' add-staff --db '$db' --password-hash anna.b)\" = 'Utente salvato.' ] &&
           [ \"\$(echo '$hash' | '$bin' add-staff --db '$db' --password-hash anna.b)\" = 'Utente invariato.' ]"
check "add-staff --password-hash refuses what is not an argon2id hash" \
  bash -c "echo 'una-password-lunga' | '$bin' add-staff --db '$db' --password-hash anna.c 2>/dev/null; test \$? = 2"
check "no secret is stored in clear" bash -c "! grep -a -q 'Pin2026abc\|una-password-lunga' '$db' '$db-wal' 2>/dev/null"

# selftest
"$bin" selftest --db "$db" >"$work/selftest"
check "selftest passes with only the database configured" test $? = 0
check "selftest says the database is ok" grep -q '^database: ok sqlite:' "$work/selftest"
check "selftest says each device is not configured" \
  bash -c "for p in printer scanner usb mail sms; do grep -q \"^\$p: not configured\" '$work/selftest' || exit 1; done"
check "selftest checks the disk, the files' modes and the clock" \
  bash -c "grep -qE '^disk: ok [0-9]+ MB free' '$work/selftest' && grep -q '^files: ok' '$work/selftest' &&
           grep -qE '^clock: ok .* NTP (synchronised|not synchronised)$' '$work/selftest'"
chmod 644 "$db"
check "selftest fails on a database others can read" \
  bash -c "'$bin' selftest --db '$db' | grep -q '^files: FAIL database .* is 644'; test \${PIPESTATUS[0]} = 1"
chmod 600 "$db"
check "selftest fails when the database cannot be opened" \
  test "$(status_of "$bin" selftest --db /proc/nowhere/kiosk.db)" = 1

# audit-verify: intact, then tampered with behind the kiosk's back.
"$bin" audit-verify --db "$db" >"$work/audit"
check "audit-verify passes on an untouched log" test $? = 0
check "audit-verify counts the entries" grep -qE '^audit log: [0-9]+ entries, chain intact$' "$work/audit"
sqlite3 "$db" "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = 'falsificato' WHERE id = 3;"
check "audit-verify names the first changed entry and fails" \
  bash -c "'$bin' audit-verify --db '$db' >'$work/audit2'; test \$? = 1 && grep -q '^audit log: BROKEN at entry 3: its content does not match' '$work/audit2'"
sqlite3 "$db" "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id <= 3;"
check "audit-verify notices a removed entry" \
  bash -c "'$bin' audit-verify --db '$db' >'$work/audit3'; test \$? = 1 && grep -q 'BROKEN at entry 4: it does not point' '$work/audit3'"

# serve --demo: prints the address, answers, stops on SIGTERM.
"$bin" serve --demo --db "$work/demo.db" --listen 127.0.0.1:0 >"$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q '^listening on' "$work/serve.out" && break; sleep 0.1; done
check "serve prints 'listening on http://127.0.0.1:PORT'" grep -qE '^listening on http://127\.0\.0\.1:[0-9]+$' "$work/serve.out"
url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$work/serve.out" | head -1)
check "the demo professional logs in" \
  bash -c "curl -sf -H 'Content-Type: application/json' -d '{\"codice_fiscale\":\"RSSMRA80A01H501U\",\"pin\":\"12345678\"}' '$url/api/session' | grep -q '\"role\":\"professional\"'"
check "the demo staff logs in" \
  bash -c "curl -sf -H 'Content-Type: application/json' -d '{\"username\":\"sportello\",\"password\":\"sportello-demo\"}' '$url/api/session' | grep -q '\"role\":\"staff\"'"
check "the demo technician logs in" \
  bash -c "curl -sf -H 'Content-Type: application/json' -d '{\"username\":\"tecnico\",\"password\":\"tecnico-demo\"}' '$url/api/session' | grep -q '\"role\":\"technician\"'"
check "the logs never hold the PIN or passwords" bash -c "! grep -q '12345678\|sportello-demo\|tecnico-demo' '$work/serve.out'"
check "the logs are one JSON object per line" \
  bash -c "grep -v '^listening on' '$work/serve.out' | /usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'"
kill -HUP $server
for _ in $(seq 100); do grep -q sighup_ignored "$work/serve.out" && break; sleep 0.05; done
check "SIGHUP does not end serve, which still answers" \
  bash -c "kill -0 $server && curl -sf '$url/healthz' >/dev/null && grep -q sighup_ignored '$work/serve.out'"
kill -TERM $server
wait $server
check "serve exits 0 on SIGTERM" test $? = 0
server=

# The audit chain's head is signed (every minute, on every receipt, at stop):
# cutting the last entries, even with the triggers dropped, is caught.
check "audit-verify checks the signed heads" \
  bash -c "'$bin' audit-verify --db '$work/demo.db' | grep -qE '^signed heads: [1-9][0-9]* match$'"
cp "$work/demo.db" "$work/cut.db"
cp "$work/demo.db.receipt-key" "$work/cut.db.receipt-key"
sqlite3 "$work/cut.db" "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log);"
check "a log cut at its end is BROKEN (exit 1)" bash -c "
  '$bin' audit-verify --db '$work/cut.db' >'$work/out'; test \$? = 1 && grep -q 'cut' '$work/out'"
# Without the private key (a desk, a technician's copy) the heads are still
# checked, with the public keys the kiosk published in the database.
cp "$work/demo.db" "$work/nokey.db"
check "audit-verify without the private key checks the heads with the published keys" \
  bash -c "'$bin' audit-verify --db '$work/nokey.db' | grep -qE '^signed heads: [1-9][0-9]* match \(checked with the public keys in the database\)$' && ! test -e '$work/nokey.db.receipt-key'"
cp "$work/cut.db" "$work/cut-nokey.db"
check "without the private key a cut log is still BROKEN" bash -c "
  '$bin' audit-verify --db '$work/cut-nokey.db' >'$work/out2'; test \$? = 1 && grep -q 'cut' '$work/out2'"
# Deleted signed heads: one from the middle leaves a gap in the kiosk's
# numbering; the last ones (after cutting the log back to an older head) are
# still in the journal, which forwards every signed head off the box.
"$bin" serve --demo --db "$work/heads.db" --listen 127.0.0.1:0 >"$work/heads.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q '^listening on' "$work/heads.log" && break; sleep 0.1; done
hurl=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$work/heads.log" | head -1)
hcsrf=$(curl -s -c "$work/hjar" -H 'Content-Type: application/json' \
  -d '{"codice_fiscale":"RSSMRA80A01H501U","pin":"12345678"}' "$hurl/api/session" |
  sed -E 's/.*"csrf_token":"([0-9a-f]+)".*/\1/')
for i in 1 2 3; do
  id=$(curl -s -b "$work/hjar" -H "X-CSRF-Token: $hcsrf" -F topic=rimborso -F "subject=Teste $i" \
    -F body=Prova "$hurl/api/communications" | sed -E 's/.*"id":([0-9]+).*/\1/')
  curl -s -b "$work/hjar" -o /dev/null "$hurl/api/communications/$id/receipt.pdf"  # signs the head
done
kill -TERM $server
wait $server
server=
check "every signed head is numbered, and the journal's copy matches the database" bash -c "
  test \$(sqlite3 '$work/heads.db' 'SELECT count(*) FROM audit_anchors WHERE seq > 0') -ge 3 &&
  '$bin' audit-verify --db '$work/heads.db' --anchors '$work/heads.log' >'$work/h0' &&
  grep -qE '^journal: [3-9][0-9]* signed heads, all in the database$' '$work/h0'"
cp "$work/heads.db" "$work/gap.db"
cp "$work/heads.db.receipt-key" "$work/gap.db.receipt-key"
sqlite3 "$work/gap.db" "DROP TRIGGER audit_anchors_no_delete; DELETE FROM audit_anchors WHERE seq = 2;"
check "a signed head deleted from the middle is a gap in the numbering: BROKEN (exit 1)" bash -c "
  '$bin' audit-verify --db '$work/gap.db' >'$work/h1'; test \$? = 1 &&
  grep -q 'signed heads of kiosk K01 are missing (number 2 ' '$work/h1'"
# The careful forger: the log cut back to the first signed head, every later
# head deleted. The database alone agrees with itself; the journal does not.
cp "$work/heads.db" "$work/tail.db"
cp "$work/heads.db.receipt-key" "$work/tail.db.receipt-key"
sqlite3 "$work/tail.db" "DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_anchors_no_delete;
  DELETE FROM audit_log WHERE id > (SELECT head_id FROM audit_anchors WHERE seq = 1);
  DELETE FROM audit_anchors WHERE seq > 1;"
check "the last signed heads deleted with the log cut: the journal's copy makes it BROKEN" bash -c "
  '$bin' audit-verify --db '$work/tail.db' --anchors '$work/heads.log' >'$work/h2'; test \$? = 1 &&
  grep -q 'is in the journal but not in the database: it was deleted' '$work/h2'"
check "the journal's copy also works without the private key, and from standard input" bash -c "
  cp '$work/tail.db' '$work/tail-nokey.db' &&
  '$bin' audit-verify --db '$work/tail-nokey.db' --anchors - <'$work/heads.log' >'$work/h3'; test \$? = 1 &&
  grep -q 'in the journal but not in the database' '$work/h3'"
check "a port in use is a runtime failure (1)" bash -c "
  '$bin' serve --db '$work/demo.db' --listen 127.0.0.1:0 >'$work/s2' 2>&1 & p=\$!
  for _ in \$(seq 100); do grep -q '^listening' '$work/s2' && break; sleep 0.1; done
  port=\$(grep -oE '[0-9]+\$' '$work/s2' | head -1)
  '$bin' serve --db '$work/demo2.db' --listen 127.0.0.1:\$port >/dev/null 2>&1; rc=\$?
  kill \$p; wait \$p; test \$rc = 1"

# Files and modes: what the kiosk creates is its own (0600), and a
# configuration file holding secrets must not be readable by others.
check "the database and the receipt key are created 0600" bash -c "
  test \$(stat -c %a '$db') = 600 && for f in '$work'/*.receipt-key; do test \$(stat -c %a \"\$f\") = 600 || exit 1; done"
printf '[sms]\nurl = http://127.0.0.1:9/sms\ntoken = Bearer segreto\n' >"$work/secret.conf"
chmod 644 "$work/secret.conf"
check "a kiosk.conf with the SMS token readable by others is refused (2)" bash -c "
  '$bin' selftest --config '$work/secret.conf' --db '$db' >/dev/null 2>'$work/e'; test \$? = 2 && grep -q 'readable by others' '$work/e'"
chmod 640 "$work/secret.conf"
check "the same file at 0640 is accepted" bash -c "
  '$bin' audit-verify --config '$work/secret.conf' --db '$work/fresh.db' >/dev/null 2>&1"

# serve refuses a database it cannot write (a read-only mount, as root only).
ro="$work/ro"
mkdir -p "$ro"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=8m tmpfs "$ro" 2>/dev/null; then
  "$bin" import-archive --db "$ro/k.db" "$fixtures/gs-archive.csv" >/dev/null 2>&1
  mount -o remount,ro "$ro"
  check "serve refuses a read-only database with a clear reason (1)" bash -c "
    '$bin' serve --db '$ro/k.db' --listen 127.0.0.1:0 >/dev/null 2>'$work/e'; rc=\$?
    test \$rc = 1 && grep -qi 'database' '$work/e'"
  umount -l "$ro"
else
  echo "skip - serve on a read-only database (needs root to mount a tmpfs)"
fi

echo "$((checks - failures)) passed, $failures failed"
test $failures = 0
