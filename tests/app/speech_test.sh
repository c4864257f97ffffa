#!/usr/bin/env bash
# The audio mode's voice is real sound: `serve` renders phrases in Italian
# and in English with libespeak-ng, and sox finds each one long enough and
# not silent. The voice answers the kiosk's screen only, refuses bad values,
# and on a loudspeaker kiosk withholds what is personal.
# Usage: speech_test.sh PATH/TO/cassetto-kiosk
set -u
bin=$1
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
start() {  # CONFIG
  [ -n "$server" ] && kill "$server" && wait "$server" 2>/dev/null
  : >serve.log
  "$bin" serve --demo --db kiosk.db --config "$1" --listen 127.0.0.1:0 >serve.log 2>&1 &
  server=$!
  for _ in $(seq 100); do grep -qs '^listening on' serve.log && break; sleep 0.1; done
  url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' serve.log | head -1)
}
say() {  # LANG TEXT OUT [PERSONAL]
  curl -s -o "$3" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"lang\":\"$1\",\"text\":\"$2\",\"personal\":${4:-false}}" "$url/api/speech"
}
# Seconds of sound and its RMS amplitude, as sox measures them.
length() { sox "$1" -n stat 2>&1 | awk '/^Length/ {print $3}'; }
rms() { sox "$1" -n stat 2>&1 | awk '/^RMS +amplitude/ {print $3}'; }

printf '[speech]\nrecord = %s/spoken.jsonl\n' "$work" >headphones.conf
start headphones.conf
check "Italian: 200 audio/wav" test "$(say it 'Benvenuta, benvenuto. Inserisca la carta nel lettore.' it.wav)" = 200
check "Italian: a WAV file" bash -c "file it.wav | grep -q 'WAVE audio'"
check "Italian: over a second of sound ($(length it.wav) s)" awk -v l="$(length it.wav)" 'BEGIN {exit !(l > 1.0)}'
check "Italian: not silence (RMS $(rms it.wav))" awk -v r="$(rms it.wav)" 'BEGIN {exit !(r > 0.01)}'
check "English: 200" test "$(say en 'Welcome. Insert your card into the reader.' en.wav)" = 200
check "English: over a second of sound ($(length en.wav) s)" awk -v l="$(length en.wav)" 'BEGIN {exit !(l > 1.0)}'
check "English: not silence (RMS $(rms en.wav))" awk -v r="$(rms en.wav)" 'BEGIN {exit !(r > 0.01)}'
check "the two languages sound different" bash -c "! cmp -s it.wav en.wav"
check "an unknown language: 422 speech_invalid" test "$(say fr 'Bonjour' x.wav)" = 422
check "no text: 422" test "$(say it '' x.wav)" = 422
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 10.1.2.3' -H 'Content-Type: application/json' \
  -d '{"lang":"it","text":"ciao"}' "$url/api/speech")
check "a branch PC gets no voice: 403" test "$code" = 403
check "the sink says language and path" grep -q '"lang":"en","path":"headphones"' spoken.jsonl

printf '[speech]\noutput = loudspeaker\nrecord = %s/loud.jsonl\n' "$work" >loud.conf
start loud.conf
check "loudspeaker: personal text answered" test "$(say it 'RSSMRA80A01H501U' p.wav true)" = 200
check "loudspeaker: the codice fiscale is withheld" bash -c "! grep -q RSSMRA loud.jsonl && grep -q 'solo in cuffia' loud.jsonl"

echo "$failures failed"
[ "$failures" -eq 0 ]
