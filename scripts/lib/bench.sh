# Helpers shared by scripts/bench and scripts/bench-postgresql (sourced).
# They use $work (a scratch folder) and set rps_NAME for each run.

wait_listening() {  # wait_listening LOGFILE
  for _ in $(seq 200); do grep -q '^listening on' "$1" && return 0; sleep 0.1; done
  echo "bench: server did not start" >&2
  cat "$1" >&2
  exit 1
}

# login_cookie PORT → sets $csrf and $cookie for the demo professional.
login_cookie() {
  local answer
  answer=$(curl -s -c "$work/jar.$1" -H 'Content-Type: application/json' \
    -d '{"codice_fiscale":"RSSMRA80A01H501U","pin":"12345678"}' "http://127.0.0.1:$1/api/session")
  csrf=$(printf '%s' "$answer" | sed -E 's/.*"csrf_token":"([0-9a-f]+)".*/\1/')
  cookie="kiosk_session=$(awk '$6 == "kiosk_session" {print $7}' "$work/jar.$1")"
}

# staff_cookie PORT → sets $staff_cookie for the demo counter clerk.
staff_cookie() {
  curl -s -c "$work/staffjar.$1" -H 'Content-Type: application/json' \
    -d '{"username":"sportello","password":"sportello-demo"}' \
    "http://127.0.0.1:$1/api/session" >/dev/null
  staff_cookie="kiosk_session=$(awk '$6 == "kiosk_session" {print $7}' "$work/staffjar.$1")"
}

# send_script NAME → $work/NAME.lua: a wrk script posting five 1 MiB
# attachments with the current $cookie and $csrf.
send_script() {
  local boundary=kioskbenchboundary
  if [ ! -f "$work/body" ]; then
    {
      for field in topic:rimborso subject:Benchmark body:Invio-di-prova; do
        printf -- '--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' \
          "$boundary" "${field%%:*}" "${field#*:}"
      done
      for i in 1 2 3 4 5; do
        printf -- '--%s\r\nContent-Disposition: form-data; name="attachments"; filename="a%d.txt"\r\n' \
          "$boundary" "$i"
        printf 'Content-Type: text/plain\r\n\r\n'
        head -c 1048576 /dev/zero | tr '\0' 'a'
        printf '\r\n'
      done
      printf -- '--%s--\r\n' "$boundary"
    } >"$work/body"
  fi
  cat >"$work/$1.lua" <<LUA
local f = io.open("$work/body", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=$boundary"
wrk.headers["Cookie"] = "$cookie"
wrk.headers["X-CSRF-Token"] = "$csrf"
LUA
}

# run NAME CONNECTIONS DURATION URL [wrk args…] → "NAME req/s p50 p99"
run() {
  local name=$1 conns=$2 dur=$3 url=$4
  shift 4
  wrk -t"$((conns < 2 ? 1 : 2))" -c"$conns" -d"${dur}s" --latency "$@" "$url" >"$work/$name.wrk" 2>&1
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$work/$name.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$name.wrk")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/$name.wrk")
  printf '%-10s %10s req/s   p50 %-9s p99 %-9s%s\n' "$name" "$rps" "$p50" "$p99" \
    "${non2xx:+  ($non2xx non-2xx answers!)}"
  eval "rps_${name//-/_}=$rps"
}

# median3 NAME WRK_FILE… → the median req/s and p99 of three wrk outputs
# beside their spread, and the median p50 (a send's target is its p50); sets
# rps_NAME, p99_NAME and p50_NAME to the medians.
median3() {
  local name=$1
  shift
  local line
  line=$(for f in "$@"; do
    awk 'function ms(v) {
        if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000
      }
      /Requests\/sec/ {r = $2} $1 == "50%" {m = $2} $1 == "99%" {p = $2}
      END {printf "%s %.2f %.2f\n", r, ms(p), ms(m)}' "$f"
  done | awk -v name="$name" '
    {r[NR] = $1; p[NR] = $2; m[NR] = $3}
    END {
      # The median of three: sorted, the middle one.
      for (i = 1; i <= 3; i++) for (j = i + 1; j <= 3; j++) {
        if (r[j] < r[i]) {t = r[i]; r[i] = r[j]; r[j] = t}
        if (p[j] < p[i]) {t = p[i]; p[i] = p[j]; p[j] = t}
        if (m[j] < m[i]) {t = m[i]; m[i] = m[j]; m[j] = t}
      }
      printf "%-10s %10.2f req/s   p99 %.2fms   (median of 3; req/s %.0f-%.0f, p99 %.2f-%.2fms)   p50 %.2fms\n",
        name, r[2], p[2], r[1], r[3], p[1], p[3], m[2]
    }')
  echo "$line"
  eval "rps_${name//-/_}=$(awk '{print $2}' <<<"$line")"
  eval "p99_${name//-/_}=$(awk '{sub(/ms$/, "", $5); print $5}' <<<"$line")"
  eval "p50_${name//-/_}=$(awk '{sub(/ms$/, "", $NF); print $NF}' <<<"$line")"
}

# run3 NAME CONNECTIONS DURATION URL [wrk args…] → as run, three times: the
# median req/s and p99 beside each run's (a target counts as met when the
# median of three runs meets it); sets rps_NAME and p99_NAME to the medians.
run3() {
  local name=$1 i
  shift
  for i in 1 2 3; do run "$name-$i" "$@" >/dev/null; done
  median3 "$name" "$work/$name-1.wrk" "$work/$name-2.wrk" "$work/$name-3.wrk"
}

# verdict NAME RPS_MIN P99_MAX_MS → "NAME: met" or "NAME: NOT met" from the
# medians run3 set (RPS_MIN 0: no throughput target).
verdict() {
  local v=${1//-/_} rps p99
  eval "rps=\$rps_$v p99=\$p99_$v"
  awk -v n="$1" -v r="$rps" -v p="$p99" -v rmin="$2" -v pmax="$3" 'BEGIN {
    ok = (r + 0 >= rmin + 0) && (p + 0 <= pmax + 0)
    printf "  %-18s %s (median %.0f req/s, p99 %.2f ms; target%s p99 <= %s ms)\n", n,
      ok ? "met" : "NOT met", r, p, (rmin > 0) ? sprintf(" >= %.0f req/s and", rmin) : "", pmax
  }'
}

# verdict50 NAME P50_MAX_MS → as verdict, on the median p50 (a send's target).
verdict50() {
  local v=${1//-/_} p50
  eval "p50=\$p50_$v"
  awk -v n="$1" -v p="$p50" -v pmax="$2" 'BEGIN {
    printf "  %-18s %s (median p50 %.2f ms; target p50 <= %s ms)\n", n,
      (p + 0 <= pmax + 0) ? "met" : "NOT met", p, pmax
  }'
}

# staff_figures PORT SECONDS RAW_RPS "CF|Surname" SUFFIX → the staff's queue
# and searches on the kiosk at PORT (1,000,000 threads seeded), each run
# three times and named with SUFFIX ("" or "-pg"), and the targets
# (Performance item 2), each met when the median of the three meets it.
staff_figures() {
  local port=$1 seconds=$2 raw=$3 cf=$4 x=$5
  staff_cookie "$port"
  local base="http://127.0.0.1:$port/api/staff/communications"
  run3 "queue$x" 8 "$seconds" "$base?per_page=20" -H "Cookie: $staff_cookie"
  run3 "queue-status$x" 8 "$seconds" "$base?per_page=20&status=aperta" -H "Cookie: $staff_cookie"
  run3 "queue-topic$x" 8 "$seconds" "$base?per_page=20&topic=ricorsi" -H "Cookie: $staff_cookie"
  run3 "by-protocol$x" 1 3 "$base?q=INPS.0000.2025.0424242" -H "Cookie: $staff_cookie"
  run3 "by-cf$x" 1 3 "$base?q=RSSMRA80A01H501U" -H "Cookie: $staff_cookie"
  run3 "digits$x" 8 "$seconds" "$base?q=424242" -H "Cookie: $staff_cookie"
  run3 "cf-prefix$x" 8 "$seconds" "$base?q=${cf:0:8}" -H "Cookie: $staff_cookie"
  run3 "surname$x" 8 "$seconds" "$base?q=${cf#*|}" -H "Cookie: $staff_cookie"
  run3 "subject$x" 8 "$seconds" "$base?q=rateizzazione%20pratica%204242" -H "Cookie: $staff_cookie"
  run3 "common-word$x" 8 "$seconds" "$base?q=rimborso" -H "Cookie: $staff_cookie"
  echo "total for a common word: $(curl -s -b "$work/staffjar.$port" "$base?q=rimborso&per_page=1" |
    grep -oE '"total":[0-9]+,"total_capped":(true|false)')"
  # A word in a third of the threads with one in 1.3 % of them (13,000
  # threads: "Richiesta di rimborso contributi anno 2010"): every plan reads
  # thousands of rows for its newest 1,000.
  run3 "year-word$x" 8 "$seconds" "$base?q=rimborso%202010" -H "Cookie: $staff_cookie"
  local queue_rps
  eval "queue_rps=\$rps_queue${x//-/_}"
  awk -v a="$queue_rps" -v b="$raw" 'BEGIN {printf "queue/raw %.0f%%\n", (b > 0) ? 100 * a / b : 0}'
  local least
  least=$(awk -v b="$raw" 'BEGIN {printf "%.0f", 0.3 * b}')
  echo "targets: the queue's first page >= 30% of raw with p99 <= 5 ms; a whole protocol or"
  echo "         codice fiscale p99 <= 2 ms; partial searches p99 <= 20 ms (wrk -c8)"
  local name
  for name in queue queue-status queue-topic; do verdict "$name$x" "$least" 5; done
  for name in by-protocol by-cf; do verdict "$name$x" 0 2; done
  for name in digits cf-prefix surname subject common-word year-word; do verdict "$name$x" 0 20; done
}
