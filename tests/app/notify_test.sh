#!/usr/bin/env bash
# Notifications end to end with real parts: two aiosmtpd servers (e-mail and
# PEC, Debian's python3-aiosmtpd, writing Maildirs) and a local HTTP SMS sink.
# Checks recipients, subject, Message-ID and UTF-8; the contacts snapshot;
# retries while SMTP is down; and a kill -9 during dispatch.
# Usage: notify_test.sh PATH/TO/cassetto-kiosk SOURCE_DIR
set -u
bin=$1
src=$2
py=/usr/bin/python3
work=$(mktemp -d)
pids=()
kiosk=
cleanup() {
  [ -n "$kiosk" ] && kill -9 "$kiosk" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
checks=0
check() {
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mail_port=$(free_port)
pec_port=$(free_port)
sms_port=$(free_port)
start_smtp() {  # start_smtp PORT MAILDIR → pid in $smtp_pid (aiosmtpd makes the Maildir)
  $py -m aiosmtpd -n -l "127.0.0.1:$1" -c aiosmtpd.handlers.Mailbox "$2" >/dev/null 2>&1 &
  smtp_pid=$!
  for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "cannot start aiosmtpd on $1"
  exit 1
}
start_smtp "$mail_port" "$work/mail"
mail_pid=$smtp_pid
pids+=("$mail_pid")
start_smtp "$pec_port" "$work/pec"
pids+=("$smtp_pid")
$py "$src/tests/notify/sms_sink.py" "$sms_port" "$work/sms.jsonl" &
pids+=("$!")

cat >"$work/k.conf" <<CONF
[mail]
url = smtp://127.0.0.1:$mail_port
from = noreply@cassetto.example.it
require_tls = false
[pec]
url = smtp://127.0.0.1:$pec_port
from = cassetto@pec.example.it
require_tls = false
[sms]
url = http://127.0.0.1:$sms_port/sms
token = Bearer test-token
sender = INPS
[notify]
poll_seconds = 1
base_delay_seconds = 1
max_delay_seconds = 2
lease_seconds = 4
[fair_use]
# One professional sends every registration of the test.
sends_per_hour = 0
CONF
chmod 600 "$work/k.conf"  # it holds the SMS token: the kiosk refuses it readable by others

start_kiosk() {
  "$bin" serve --demo --config "$work/k.conf" --db "$work/k.db" --listen 127.0.0.1:0 >"$work/log" 2>&1 &
  kiosk=$!
  for _ in $(seq 100); do grep -q '^listening on' "$work/log" && break; sleep 0.1; done
  url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$work/log" | head -1)
}
login() {  # login JAR BODY → csrf token
  curl -s -c "$1" -H 'Content-Type: application/json' -d "$2" "$url/api/session" |
    sed -E 's/.*"csrf_token":"([0-9a-f]+)".*/\1/'
}
wait_for() {  # wait_for SECONDS COMMAND…
  local limit=$1
  shift
  for _ in $(seq $((limit * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}
mails() { ls "$work/$1/new" 2>/dev/null | wc -l; }
has_mails() { [ "$(mails "$1")" -ge "$2" ]; }  # has_mails BOX N (re-read at each try)

start_kiosk
pro=$(login "$work/pro" '{"codice_fiscale":"RSSMRA80A01H501U","pin":"12345678"}')
staff=$(login "$work/staff" '{"username":"sportello","password":"sportello-demo"}')

# 1. Registration: the PEC of the snapshot and the extra e-mail.
curl -s -b "$work/pro" -H "X-CSRF-Token: $pro" -F topic=rimborso -F subject='Oggetto segreto' \
  -F body='Testo riservato' -F extra_email=commercialista@studio.example.it "$url/api/communications" >/dev/null
check "the registration reaches the PEC mailbox" wait_for 15 has_mails pec 1
check "the extra e-mail is notified" wait_for 15 has_mails mail 1
$py "$src/tests/notify/check_maildir.py" "$work/pec" segreto riservato >"$work/pec.txt"
check "PEC: recipient, UTF-8 subject with the protocol, hint, no content" \
  grep -qP '^mario\.rossi@pec\.example\.com\tINPS Cassetto previdenziale – Comunicazione registrata – protocollo INPS\.0000\.\d{4}\.0000001\t<notifica-1\.INPS\.0000\.\d{4}\.0000001@cassetto-kiosk\.invalid>\tclean\tread-hint$' "$work/pec.txt"
check "the subject is RFC 2047 encoded on the wire" grep -rq '^Subject: =?UTF-8?B?' "$work/pec/new"

# 1b. "Invia ricevuta alla PEC": the receipt, as a PDF attachment, to the PEC on file.
answer=$(curl -s -w ' %{http_code}' -b "$work/pro" -H "X-CSRF-Token: $pro" -X POST "$url/api/communications/1/receipt/pec")
check "the receipt is queued for the PEC (202)" bash -c "[[ '$answer' == *'\"to\":\"mario.rossi@pec.example.com\"'*' 202' ]]"
check "the receipt reaches the PEC mailbox" wait_for 15 has_mails pec 2
check "the mail carries the receipt PDF with the protocol" $py -c "
import email, email.policy, mailbox, subprocess, sys
box = mailbox.Maildir('$work/pec', create=False)
for key in box.keys():
    msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    if 'Ricevuta' not in str(msg['Subject']):
        continue
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == 'application/pdf']
    assert len(parts) == 1, msg
    assert parts[0].get_filename().startswith('ricevuta-INPS.0000.'), parts[0].get_filename()
    text = subprocess.run(['pdftotext', '-', '-'], input=parts[0].get_content(), capture_output=True).stdout.decode()
    assert 'INPS.0000.' in text and 'Mario Rossi' in text, text
    sys.exit(0)
sys.exit('no receipt mail')
"

# 2. Contacts changed after the thread: the reply goes to the snapshot.
curl -s -b "$work/pro" -H "X-CSRF-Token: $pro" -H 'Content-Type: application/json' -X PUT \
  -d '{"pec":"nuova@pec.example.com","email":"nuova@mail.example.com","mobile":"+393470000000","notify":["pec","email","sms"]}' \
  "$url/api/contacts" >/dev/null
curl -s -b "$work/staff" -H "X-CSRF-Token: $staff" -F body='Risposta' "$url/api/staff/communications/1/messages" >/dev/null
check "the reply's SMS reaches the gateway" wait_for 15 test -s "$work/sms.jsonl"
check "the reply reaches the old PEC and e-mail" wait_for 15 bash -c "[ \$(ls '$work/pec/new' | wc -l) -ge 3 ] && [ \$(ls '$work/mail/new' | wc -l) -ge 2 ]"
$py "$src/tests/notify/check_maildir.py" "$work/pec" >"$work/pec2.txt"
$py "$src/tests/notify/check_maildir.py" "$work/mail" >"$work/mail2.txt"
check "no notification of the old thread went to the new contacts" \
  bash -c "! grep -q 'nuova@' '$work/pec2.txt' '$work/mail2.txt' '$work/sms.jsonl'"
check "the SMS went to the snapshot's mobile, with the token, in one GSM-7 message" \
  $py -c "
import json,sys
rows=[json.loads(l) for l in open('$work/sms.jsonl')]
r=rows[0]
assert r['body']['to']=='+393331234567', r
assert r['auth']=='Bearer test-token', r
assert r['type']=='application/json', r
assert len(r['body']['text'])<=160 and 'leggere' in r['body']['text'], r
assert 'Risposta' not in r['body']['text']
"

# 3. SMTP down: the closing notice is retried and arrives once it is back.
kill "$mail_pid"
wait "$mail_pid" 2>/dev/null
before=$(mails mail)
curl -s -b "$work/staff" -H "X-CSRF-Token: $staff" -H 'Content-Type: application/json' \
  -d '{"outcome":"Accolta"}' "$url/api/staff/communications/1/close" >/dev/null
check "while SMTP is down the e-mail row is retried, not lost" \
  wait_for 15 bash -c "'$bin' outbox list --db '$work/k.db' --status pending | grep -q 'closed.*email.*attempts=[1-9]'"
start_smtp "$mail_port" "$work/mail"
pids+=("$smtp_pid")
check "once SMTP is back the closing notice is delivered" wait_for 20 has_mails mail $((before + 1))
check "/metrics counts the retries" bash -c "curl -s '$url/metrics' | grep -q 'kiosk_notifications_total{channel=\"email\",result=\"retried\"}'"

# 4. Crash: kill -9 while registrations are being sent and notified, then
# restart. The kill waits on the condition, not on a sleep: it lands once the
# fifth of their PECs is out, with sends still arriving and the outbox busy.
pec_before=$(ls "$work/pec/new" | wc -l)
(
  for _ in $(seq 1000); do
    [ "$(ls "$work/pec/new" | wc -l)" -ge $((pec_before + 5)) ] && break
    sleep 0.02
  done
  kill -9 "$kiosk"
) &
killer=$!
for i in $(seq 30); do
  curl -s -m 5 -b "$work/pro" -H "X-CSRF-Token: $pro" -F topic=normativa -F "subject=Quesito $i" \
    -F body=Testo "$url/api/communications" >/dev/null || break
done
wait "$killer"
wait "$kiosk" 2>/dev/null
kiosk=
at_kill=$(( $(ls "$work/pec/new" | wc -l) - pec_before ))
registered=$(sqlite3 "$work/k.db" "SELECT count(*) FROM communications WHERE subject LIKE 'Quesito %'")
echo "     kill -9 with $registered registered and $at_kill of their PECs out"
check "the kill landed mid-dispatch: some PECs out, others not yet" \
  test "$at_kill" -ge 5 -a "$at_kill" -lt "$registered"
start_kiosk
check "after the crash the outbox settles: nothing left pending" \
  wait_for 40 bash -c "[ \$('$bin' outbox list --db '$work/k.db' --status pending | wc -l) -eq 0 ]"
$py "$src/tests/notify/check_maildir.py" "$work/pec" >"$work/pec3.txt"
held=$("$bin" outbox list --db "$work/k.db" --status failed | grep -c 'pec' || true)
arrived=$(grep -c 'nuova@pec.example.com.*Comunicazione registrata' "$work/pec3.txt" | tr -d ' ')
echo "     after kill -9: $arrived registrations at the PEC, $held PEC held as cut off mid-send"
# A PEC held as cut off mid-send may have arrived all the same (the kill came
# after the server took it, before the kiosk marked it): that is why it is
# held for the technician to check the provider's receipts, not sent again.
check "every registration arrived at the PEC or is held for the technician ($registered in all)" \
  test $((arrived + held)) -ge "$registered" -a "$arrived" -le "$registered"
check "no PEC twice: each Message-ID once at the PEC server" \
  $py -c "
import collections
rows=[l.split('\t') for l in open('$work/pec3.txt')]
count=collections.Counter(r[2] for r in rows)
assert all(n == 1 for n in count.values()), [m for m, n in count.items() if n > 1]
"
check "a PEC cut off mid-send says why, in Italian, for the technician" \
  bash -c "[ $held = 0 ] || '$bin' outbox list --db '$work/k.db' --status failed | grep -q 'ricevute del gestore PEC'"
"$bin" outbox retry --all --db "$work/k.db" >/dev/null
check "after the technician's retry every registration reaches the PEC" \
  wait_for 20 bash -c "[ \$('$bin' outbox list --db '$work/k.db' --status sent | wc -l) -eq \$('$bin' outbox list --db '$work/k.db' | wc -l) ]"

# selftest greets the servers without sending anything.
before_mail=$(mails mail)
"$bin" selftest --config "$work/k.conf" --db "$work/k.db" >"$work/selftest"
check "selftest: mail, PEC and SMS answer" \
  bash -c "grep -q '^mail: ok' '$work/selftest' && grep -q '^pec: ok' '$work/selftest' && grep -q '^sms: ok' '$work/selftest'"
check "selftest sent no mail" test "$(mails mail)" -eq "$before_mail"
sed -i "s|^url = smtp://127.0.0.1:$pec_port|url = smtp://127.0.0.1:$(free_port)|" "$work/k.conf"
check "selftest fails when the PEC server does not answer" \
  bash -c "'$bin' selftest --config '$work/k.conf' --db '$work/k.db' >'$work/selftest2'; test \$? = 1 && grep -q '^pec: FAIL' '$work/selftest2'"

# selftest logs in: a server that wants a login refuses a wrong password.
auth_port=$(free_port)
$py "$src/tests/notify/smtp_auth.py" "$auth_port" 'pass#word' >/dev/null 2>&1 &
pids+=("$!")
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$auth_port") 2>/dev/null && break; sleep 0.1; done
auth_conf() {  # auth_conf PASSWORD → a config whose mail server needs that login
  printf '[mail]\nurl = smtp://127.0.0.1:%s\nusername = kiosk\npassword = "%s"\nfrom = a@b.it\nrequire_tls = false\n' \
    "$auth_port" "$1" >"$work/auth.conf"
  chmod 600 "$work/auth.conf"
}
auth_conf 'pass#word'
check "selftest logs in to the SMTP server (a quoted password with '#')" \
  bash -c "'$bin' selftest --config '$work/auth.conf' --db '$work/auth.db' | grep -q '^mail: ok'"
auth_conf 'wrong'
check "selftest fails when the SMTP login is refused" \
  bash -c "'$bin' selftest --config '$work/auth.conf' --db '$work/auth.db' | grep -q '^mail: FAIL smtp: Login denied'"

# A PEC server that accepts and then says nothing: SIGTERM must still end the
# kiosk at once (it used to wait ~10 s per notification), and nothing is lost.
silent_port=$(free_port)
$py -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $silent_port)); s.listen(64)
held = []
while True:
    c, _ = s.accept(); held.append(c)
" &
pids+=("$!")
$py - "$work/k.conf" "$silent_port" <<'PY'
import re, sys
path, port = sys.argv[1], sys.argv[2]
text = open(path).read()
text = re.sub(r"(\[pec\]\nurl = smtp://127\.0\.0\.1:)\d+", r"\g<1>" + port, text)
open(path, "w").write(text)
PY
# A long lease, as in service, and a short try: the silent PEC server holds
# each PEC try 3 s.
sed -i -e 's/^lease_seconds = 4$/lease_seconds = 60/' -e 's/^\[notify\]$/[notify]\nsend_timeout_seconds = 3/' "$work/k.conf"
kill -TERM "$kiosk"  # the kiosk restarted after the crash: one at a time
wait "$kiosk" 2>/dev/null
rm -f "$work/k.db" "$work/k.db-wal" "$work/k.db-shm"
start_kiosk
pro=$(login "$work/pro" '{"codice_fiscale":"RSSMRA80A01H501U","pin":"12345678"}')

# Channels never wait on each other: with the PEC server silent, the e-mail
# and SMS of six replies go out at their normal pace.
curl -s -b "$work/pro" -H "X-CSRF-Token: $pro" -H 'Content-Type: application/json' -X PUT \
  -d '{"pec":"canali@pec.example.com","email":"canali@mail.example.com","mobile":"+393471111111","notify":["pec","email","sms"]}' \
  "$url/api/contacts" >/dev/null
for i in $(seq 6); do
  curl -s -b "$work/pro" -H "X-CSRF-Token: $pro" -F topic=normativa -F "subject=Canali $i" \
    -F body=Testo "$url/api/communications" >/dev/null
done
staff=$(login "$work/staff" '{"username":"sportello","password":"sportello-demo"}')
mail_before=$(mails mail)
sms_before=$(wc -l <"$work/sms.jsonl")
sent_at=$(date +%s%N)
for i in $(seq 6); do
  curl -s -b "$work/staff" -H "X-CSRF-Token: $staff" -F body="Risposta $i" \
    "$url/api/staff/communications/$i/messages" >/dev/null
done
check "with the PEC server silent, the six e-mails go out within 5 s" wait_for 5 has_mails mail $((mail_before + 6))
check "with the PEC server silent, the six SMS go out within 5 s" \
  wait_for 5 bash -c "[ \$(wc -l <'$work/sms.jsonl') -ge $((sms_before + 6)) ]"
echo "     e-mail and SMS beside a silent PEC server: $(( ($(date +%s%N) - sent_at) / 1000000 )) ms"
check "/metrics shows the PEC channel failing with its backlog, e-mail working" \
  wait_for 10 bash -c "m=\$(curl -s '$url/metrics'); grep -q '^kiosk_notify_channel_failing{channel=\"pec\"} 1' <<<\"\$m\" &&
    grep -q '^kiosk_notify_channel_failing{channel=\"email\"} 0' <<<\"\$m\" &&
    grep -q '^kiosk_outbox_pending_rows{channel=\"pec\"} [1-9]' <<<\"\$m\" &&
    grep -q '^kiosk_outbox_pending_rows{channel=\"email\"} 0' <<<\"\$m\""
tech=$(login "$work/tech" '{"username":"tecnico","password":"tecnico-demo"}')
curl -s -b "$work/tech" "$url/api/technician/outbox" >"$work/channels.json"
check "the technician sees each channel's state and backlog" $py -c "
import json
c = {x['channel']: x for x in json.load(open('$work/channels.json'))['channels']}
assert c['pec']['state'] == 'failing' and c['pec']['pending'] >= 1 and c['pec']['last_error'], c['pec']
assert c['email']['state'] == 'ok' and c['email']['pending'] == 0, c['email']
assert c['sms']['state'] == 'ok' and c['sms']['pending'] == 0, c['sms']
"
for i in $(seq 6); do
  curl -s -b "$work/pro" -H "X-CSRF-Token: $pro" -F topic=normativa -F "subject=Silenzio $i" \
    -F body=Testo "$url/api/communications" >/dev/null
done
sleep 2
started=$(date +%s%N)
kill -TERM "$kiosk"
wait "$kiosk" 2>/dev/null
stopped_ms=$(( ($(date +%s%N) - started) / 1000000 ))
kiosk=
echo "     SIGTERM with a silent PEC server: stopped in ${stopped_ms} ms"
check "SIGTERM ends the kiosk within 3 s while the PEC server is silent" test "$stopped_ms" -lt 3000
check "the notifications cut short are still in the outbox, pending" \
  bash -c "[ \$('$bin' outbox list --db '$work/k.db' --status pending | wc -l) -ge 6 ]"

echo "$((checks - failures)) passed, $failures failed"
test $failures = 0
