#!/usr/bin/env bash
# Slowloris on loopback: 200 connections dribbling their headers hold every
# worker of the main port; the box's own screen, on its own lane
# ([server] screen_listen), keeps answering within a second, a connection
# whose request line and headers do not arrive in time is closed, and the
# main port serves again once the attack stops.
# Usage: slowloris_test.sh PATH/TO/cassetto-kiosk
set -u
bin=$1
py=/usr/bin/python3
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}

printf '[server]\nscreen_listen = 127.0.0.1:0\n' >"$work/k.conf"
"$bin" serve --demo --config "$work/k.conf" --db "$work/k.db" --listen 127.0.0.1:0 >"$work/log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q '^screen lane on' "$work/log" && break; sleep 0.1; done
main=$(grep -oE '^listening on http://127\.0\.0\.1:[0-9]+' "$work/log" | grep -oE '[0-9]+$')
lane=$(grep -oE '^screen lane on http://127\.0\.0\.1:[0-9]+' "$work/log" | grep -oE '[0-9]+$')
[ -n "$main" ] && [ -n "$lane" ] || { echo "FAIL: serve did not start with a screen lane"; cat "$work/log"; exit 1; }

check "a connection whose headers dribble in is closed within 3 s" $py - "$main" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /api/kiosk HTTP/1.1\r\n")
start = time.time()
try:
    while time.time() - start < 10:
        s.sendall(b"X-a: b\r\n")
        s.settimeout(0.3)
        try:
            if not s.recv(4096) or True:
                break
        except socket.timeout:
            pass
except OSError:
    pass
took = time.time() - start
print(f"#    closed after {took:.2f} s")
sys.exit(0 if took < 3 else 1)
PY

# The attack: 200 connections, each sending one header line every 0.3 s and
# reconnecting when closed, for 12 s. Meanwhile the screen's lane is asked
# twice a second, and its slowest answer kept.
$py - "$main" "$lane" >"$work/attack" <<'PY'
import socket, sys, threading, time, urllib.request
main, lane = int(sys.argv[1]), int(sys.argv[2])
stop = time.time() + 12
def loris():
    while time.time() < stop:
        try:
            s = socket.create_connection(("127.0.0.1", main), timeout=2)
            s.sendall(b"GET /api/kiosk HTTP/1.1\r\n")
            while time.time() < stop:
                s.sendall(b"X-a: b\r\n")
                time.sleep(0.3)
        except OSError:
            time.sleep(0.05)
threads = [threading.Thread(target=loris, daemon=True) for _ in range(200)]
for t in threads:
    t.start()
time.sleep(2)
worst, failed, asked = 0.0, 0, 0
main_worst = 0.0
while time.time() < stop - 1:
    t = time.time()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{lane}/api/kiosk", timeout=5).read()
        worst = max(worst, time.time() - t)
    except Exception:
        failed += 1
    asked += 1
    t = time.time()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{main}/api/kiosk", timeout=1).read()
    except Exception:
        main_worst += 1
    time.sleep(0.3)
print(f"lane {asked} {failed} {worst:.3f} {int(main_worst)}")
PY
read -r _ asked failed worst main_missed <"$work/attack"
echo "#    during the attack the screen's lane answered $((asked - failed)) of $asked, slowest ${worst} s;"
echo "#    the main port left $main_missed of $asked unanswered within 1 s"
check "the screen's lane answers every request within 1 s while the main port is held" \
  bash -c "[ '$failed' = 0 ] && [ '$asked' -ge 5 ] && $py -c 'import sys; sys.exit(0 if float(\"$worst\") < 1.0 else 1)'"
check "the main port serves again within 3 s of the attack's end" bash -c "
  for _ in \$(seq 15); do curl -sf -m 1 -o /dev/null http://127.0.0.1:$main/api/kiosk && exit 0; sleep 0.2; done; exit 1"
check "the lane is the same kiosk: the demo professional logs in there" bash -c "
  curl -sf -H 'Content-Type: application/json' -d '{\"codice_fiscale\":\"RSSMRA80A01H501U\",\"pin\":\"12345678\"}' \
    http://127.0.0.1:$lane/api/session | grep -q '\"role\":\"professional\"'"
kill -TERM "$server"
wait "$server"
server=
echo "$((4 - failures)) passed, $failures failed"
[ "$failures" = 0 ]
