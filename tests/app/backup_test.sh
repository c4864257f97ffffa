#!/usr/bin/env bash
# backup and restore as a technician uses them: a backup taken while the kiosk
# serves, retention, a lost box restored from it with its receipts still
# valid and its audit chain intact; a changed file, a schema newer than the
# program and an existing database are refused; serve refuses a newer schema.
# Usage: backup_test.sh PATH/TO/cassetto-kiosk
set -u
bin=$1
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
failures=0
checks=0
check() {
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}
cd "$work"

"$bin" serve --demo --db box/kiosk.db --listen 127.0.0.1:0 >serve.log 2>&1 &
server=$!
mkdir -p box
for _ in $(seq 100); do grep -qs '^listening on' serve.log && break; sleep 0.1; done
url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' serve.log | head -1)
csrf=$(curl -s -c jar -H 'Content-Type: application/json' \
  -d '{"codice_fiscale":"RSSMRA80A01H501U","pin":"12345678"}' "$url/api/session" |
  sed -E 's/.*"csrf_token":"([0-9a-f]+)".*/\1/')
curl -s -b jar -H "X-CSRF-Token: $csrf" -F topic=rimborso -F subject=Prova -F body=Testo \
  "$url/api/communications" >/dev/null
curl -s -b jar "$url/api/communications/1/receipt.pdf" -o receipt.pdf

# The receipt key is rotated (the kiosk restarted on the new one); a second
# receipt is signed with the new key.
kill "$server"
wait "$server" 2>/dev/null
key_a=$("$bin" receipt-key show --db box/kiosk.db | sed -n 's/^current: //p')
"$bin" receipt-key rotate --db box/kiosk.db >rotate.txt
key_b=$("$bin" receipt-key show --db box/kiosk.db | sed -n 's/^current: //p')
check "rotate makes a new current key and keeps the old one as retired" \
  bash -c "[ -n '$key_a' ] && [ '$key_a' != '$key_b' ] && grep -q '^retired: $key_a' rotate.txt"
check "export-public lists both public keys" \
  bash -c "[ \$('$bin' receipt-key export-public --db box/kiosk.db | wc -l) = 2 ] &&
           '$bin' receipt-key export-public --db box/kiosk.db | grep -q '^$key_a [0-9a-f]\{64\} retired$'"
"$bin" serve --demo --db box/kiosk.db --listen 127.0.0.1:0 >serve.log 2>&1 &
server=$!
for _ in $(seq 100); do grep -qs '^listening on' serve.log && break; sleep 0.1; done
url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' serve.log | head -1)
csrf=$(curl -s -c jar -H 'Content-Type: application/json' \
  -d '{"codice_fiscale":"RSSMRA80A01H501U","pin":"12345678"}' "$url/api/session" |
  sed -E 's/.*"csrf_token":"([0-9a-f]+)".*/\1/')
curl -s -b jar -H "X-CSRF-Token: $csrf" -F topic=rimborso -F subject=Seconda -F body=Testo \
  "$url/api/communications" >/dev/null
curl -s -b jar "$url/api/communications/2/receipt.pdf" -o receipt2.pdf
check "each receipt names the key that signed it" \
  bash -c "pdftotext receipt.pdf - | tr -s ' \n' ' ' | grep -q 'Chiave di firma del chiosco: $key_a' &&
           pdftotext receipt2.pdf - | tr -s ' \n' ' ' | grep -q 'Chiave di firma del chiosco: $key_b'"
check "a receipt of the retired key still verifies on the running kiosk's database" \
  bash -c "'$bin' verify-receipt --db box/kiosk.db receipt.pdf | grep -q '^valid:'"

# 1. Backups while the kiosk serves, with retention.
for _ in 1 2 3; do "$bin" backup --db box/kiosk.db backups --keep 2 >>backup.txt || echo "backup failed" >>backup.txt; sleep 1.1; done
check "backup runs while the kiosk serves" bash -c "! grep -q 'failed' backup.txt && grep -q '^backup: backups/cassetto-' backup.txt"
check "--keep 2 keeps the newest two" test "$(ls backups | wc -l)" = 2
latest=backups/$(ls backups | tail -1)
check "the manifest names the schema and the files' sha256" \
  bash -c "grep -q '^schema [0-9]' $latest/manifest && grep -qE '^file [0-9a-f]{64} [0-9]+ kiosk.db$' $latest/manifest &&
           grep -qE '^file [0-9a-f]{64} [0-9]+ receipt-key$' $latest/manifest"
check "the backup is owner-only" bash -c "[ \"\$(stat -c %a $latest/kiosk.db)\" = 600 ]"
check "its folder is named in Rome's time, with the offset" \
  bash -c "[[ '$latest' == backups/cassetto-\$(TZ=Europe/Rome date +%Y%m%d)-*\$(TZ=Europe/Rome date +%z) ]]"
# Retention goes by when each backup was written, not by its name: a folder
# whose name sorts last but whose manifest is old is the one that goes.
mkdir -p backups/cassetto-99991231-235959+0100
echo x >backups/cassetto-99991231-235959+0100/manifest
touch -d 2020-01-01 backups/cassetto-99991231-235959+0100/manifest
"$bin" backup --db box/kiosk.db backups --keep 2 >/dev/null
check "--keep keeps the two written last, whatever their names" \
  bash -c "[ \$(ls backups | wc -l) = 2 ] && ! test -e backups/cassetto-99991231-235959+0100"
latest=backups/$(ls -t backups | head -1)
kill "$server"
wait "$server" 2>/dev/null
server=

# 2. The box is lost: restore on a new one; old receipts still verify.
mkdir newbox
check "restore puts the database and the key in place" \
  bash -c "'$bin' restore --db newbox/kiosk.db $latest | grep -q '^restored: .*audit log intact'"
check "receipts of both keys, printed before the loss, are valid on the restored kiosk" \
  bash -c "'$bin' verify-receipt --db newbox/kiosk.db receipt.pdf | grep -q '^valid: protocol INPS\.0000\.' &&
           '$bin' verify-receipt --db newbox/kiosk.db receipt2.pdf | grep -q '^valid: protocol INPS\.0000\.'"
check "the restored audit chain is intact, heads of both keys match" \
  bash -c "'$bin' audit-verify --db newbox/kiosk.db | grep -q 'chain intact' &&
           '$bin' audit-verify --db newbox/kiosk.db | grep -qE '^signed heads: [1-9][0-9]* match'"
rm -f newbox/kiosk.db.receipt-key newbox/kiosk.db.receipt-key.retired
check "serve refuses to start without the key its receipts were signed with (exit 2)" \
  bash -c "'$bin' serve --db newbox/kiosk.db --listen 127.0.0.1:0 2>&1 | grep -q 'receipt key .* is missing'; test \${PIPESTATUS[0]} = 2 && ! test -e newbox/kiosk.db.receipt-key"
check "restoring over a database needs --force" \
  bash -c "'$bin' restore --db newbox/kiosk.db $latest 2>/dev/null; test \$? = 2"

# 3. What restore refuses.
cp -r "$latest" changed
printf 'x' >>changed/kiosk.db
check "a file changed since the backup is refused" \
  bash -c "'$bin' restore --db other.db changed 2>&1 | grep -q 'kiosk.db is missing or changed' && ! test -e other.db"
cp -r "$latest" newer
sqlite3 newer/kiosk.db "INSERT INTO schema_migrations VALUES (999, '999_future.sql', 0)"
sha=$(sha256sum newer/kiosk.db | cut -d' ' -f1)
size=$(stat -c %s newer/kiosk.db)
sed -i -E "s/^file [0-9a-f]+ [0-9]+ kiosk.db$/file $sha $size kiosk.db/" newer/manifest
check "a backup from a newer program is refused (exit 2)" \
  bash -c "'$bin' restore --db other.db newer 2>&1 | grep -q 'newer than this program' && ! test -e other.db"
cp newer/kiosk.db future.db
check "serve and the commands refuse a database newer than the program" \
  bash -c "'$bin' selftest --db future.db 2>&1 | grep -q 'più recente'; '$bin' audit-verify --db future.db >/dev/null 2>&1; test \$? = 2"

# 4. A hostile backup folder: entries outside it, a FIFO, a device, files the
# manifest does not name, loose modes. Each refused at once, nothing restored.
hostile() {  # hostile NAME LINE: a copy of the backup with LINE added to its manifest
  rm -rf "$1"
  cp -r "$latest" "$1"
  echo "$2" >>"$1/manifest"
}
hostile outside "file $(sha256sum /etc/hostname | cut -d' ' -f1) $(stat -c %s /etc/hostname) ../../../../etc/hostname"
check "a manifest entry outside the folder is refused" \
  bash -c "'$bin' restore --db h1.db outside 2>&1 | grep -q 'not a file of a backup' && ! test -e h1.db"
hostile absolute "file $(sha256sum /etc/hostname | cut -d' ' -f1) $(stat -c %s /etc/hostname) /etc/hostname"
check "an absolute manifest entry is refused" \
  bash -c "'$bin' restore --db h2.db absolute 2>&1 | grep -q 'not a file of a backup' && ! test -e h2.db"
rm -rf fifo && cp -r "$latest" fifo && mv fifo/receipt-key.retired fifo/keep && mkfifo fifo/receipt-key.retired
check "a FIFO in place of a file is refused at once, not waited on" \
  bash -c "timeout 10 '$bin' restore --db h3.db fifo 2>&1 | grep -q 'not a regular file' && ! test -e h3.db"
rm -rf device && cp -r "$latest" device && rm device/receipt-key.retired && ln -s /dev/zero device/receipt-key.retired
check "a link to /dev/zero is refused at once" \
  bash -c "timeout 10 '$bin' restore --db h4.db device 2>&1 | grep -q 'not a regular file' && ! test -e h4.db"
rm -rf unlisted && cp -r "$latest" unlisted && sed -i '/ receipt-key.retired$/d' unlisted/manifest
check "a file the manifest does not name is not restored" \
  bash -c "mkdir -p unlisted-box && '$bin' restore --db unlisted-box/kiosk.db unlisted >/dev/null &&
           test -e unlisted-box/kiosk.db.receipt-key && ! test -e unlisted-box/kiosk.db.receipt-key.retired"
rm -rf loose && cp -r "$latest" loose && chmod 644 loose/kiosk.db  # (a key readable by others is refused outright)
mkdir -p loose-box
check "restored files are owner-only whatever the backup's modes" \
  bash -c "'$bin' restore --db loose-box/kiosk.db loose >/dev/null &&
           [ \"\$(stat -c %a loose-box/kiosk.db)\" = 600 ] && [ \"\$(stat -c %a loose-box/kiosk.db.receipt-key)\" = 600 ]"

# A technician with sudo: root writes into the kiosk user's folder. Every
# file a command writes there is handed to that folder's owner, and a key
# the kiosk cannot read is named as such, not as "no Ed25519 key".
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
  chmod 711 "$work"  # the kiosk's user reaches its own folder below, and the program
  install -m 755 "$bin" "$work/kiosk-as-user"
  mkdir -p sudo-box && chown nobody: sudo-box
  "$bin" restore --db sudo-box/kiosk.db "$latest" >/dev/null
  check "restore as root leaves the database and keys to the kiosk's user" \
    bash -c "[ \"\$(stat -c %U sudo-box/kiosk.db sudo-box/kiosk.db.receipt-key | sort -u)\" = nobody ]"
  "$bin" receipt-key rotate --db sudo-box/kiosk.db >/dev/null
  check "receipt-key rotate as root leaves the keys to the kiosk's user" \
    bash -c "[ \"\$(stat -c %U sudo-box/kiosk.db.receipt-key sudo-box/kiosk.db.receipt-key.retired | sort -u)\" = nobody ]"
  check "… who can still use them" \
    runuser -u nobody -- "$work/kiosk-as-user" receipt-key show --db sudo-box/kiosk.db
  chown root: sudo-box/kiosk.db.receipt-key
  check "a key the kiosk cannot read is named as unreadable" \
    bash -c "runuser -u nobody -- '$work/kiosk-as-user' receipt-key show --db sudo-box/kiosk.db 2>&1 | grep -q 'cannot be read: Permission denied'"
fi

# A database holding 200 MB of attachments is backed up, checked and restored
# in pieces: the program's memory stays far below the database's size (it
# read the whole file into memory twice to hash it).
mkdir -p big-box
echo 'tecnico-di-sede-2026' | "$bin" add-staff --db big-box/kiosk.db --role technician tecnico >/dev/null
sqlite3 big-box/kiosk.db "CREATE TABLE ballast (b BLOB); INSERT INTO ballast VALUES (randomblob(200000000));"
rss() { /usr/bin/time -f '%M' -o rss.txt "$@" >/dev/null 2>&1; local s=$?; echo "$(cat rss.txt | tail -1)"; return $s; }
kb=$(rss "$bin" backup --db big-box/kiosk.db big-backups)
check "a 200 MB database is backed up in under 64 MB of memory (${kb} KiB)" test "${kb:-999999}" -lt 65536
kb=$(rss "$bin" restore --db big-restored/kiosk.db "$(ls -d big-backups/cassetto-* | head -1)")
check "and restored in under 64 MB (${kb} KiB), the same bytes" \
  bash -c "test '${kb:-999999}' -lt 65536 &&
           [ \"\$(sqlite3 big-box/kiosk.db 'SELECT hex(sha3(b)) FROM ballast')\" = \"\$(sqlite3 big-restored/kiosk.db 'SELECT hex(sha3(b)) FROM ballast')\" ]"

mkdir -p fifo-backup && mkfifo fifo-backup/manifest
check "a FIFO in place of the manifest is refused at once (exit 2), not waited on" \
  bash -c "timeout 5 '$bin' restore --db fifo-box/kiosk.db fifo-backup 2>&1 | grep -q 'no manifest'; test \${PIPESTATUS[0]} = 2"

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
