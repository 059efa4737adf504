#!/usr/bin/env bash
# tokenvault HTTP load harness.
#   bench/run.sh [--duration 30s] [--connections 64] [--threads 2] [--only tokenize,detokenize,...]
#                [--seed-tokens 20000] [--warmup 20s]
# Environment: BENCH_VAULT_ARGS adds server settings (e.g. "--tokenvault.tls.engine=jdk").
# Builds the server, starts it on its embedded defaults in a fresh temp data dir, takes dev
# tokens, seeds tokens, then drives it with wrk (keep-alive, HTTPS) and the Lua scripts in
# bench/wrk/. Scenarios: nginx ceiling tokenize detokenize payments mixed (all by default).
# Prints a table and writes it as Markdown to bench/results/<date>-<commit>.md.
# Needs wrk, nginx (nginx-light), curl and jq; installs the missing ones with apt-get as root.
# Results only mean something on a quiet machine: the load average is recorded with each row.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
SCENARIOS=(nginx ceiling tokenize detokenize payments mixed)

DURATION=30s
CONNECTIONS=64
THREADS=2
ONLY=""
SEED_TOKENS=20000
WARMUP=20s

usage() {
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

die() {
  echo "bench: $*" >&2
  exit 1
}

log() {
  echo "bench: $*" >&2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration|--connections|--threads|--only|--seed-tokens|--warmup)
      [[ $# -ge 2 ]] || die "$1 needs a value"
      case "$1" in
        --duration) DURATION="$2" ;;
        --connections) CONNECTIONS="$2" ;;
        --threads) THREADS="$2" ;;
        --only) ONLY="$2" ;;
        --seed-tokens) SEED_TOKENS="$2" ;;
        --warmup) WARMUP="$2" ;;
      esac
      shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die "unknown option '$1'" ;;
  esac
done

[[ "$DURATION" =~ ^[0-9]+[smh]?$ ]] || die "--duration: a wrk duration such as 30s"
[[ "$WARMUP" =~ ^[0-9]+[smh]?$ ]] || die "--warmup: a wrk duration such as 20s, or 0"
[[ "$CONNECTIONS" =~ ^[0-9]+$ && "$THREADS" =~ ^[0-9]+$ ]] || die "--connections/--threads: numbers"
[[ "$SEED_TOKENS" =~ ^[0-9]+$ && "$SEED_TOKENS" -ge 1 ]] || die "--seed-tokens: a number >= 1"
(( THREADS >= 1 && CONNECTIONS >= THREADS )) || die "need 1 <= threads <= connections"

# ---- which scenarios ----
declare -A WANT=()
if [[ -z "$ONLY" ]]; then
  for s in "${SCENARIOS[@]}"; do WANT[$s]=1; done
else
  IFS=',' read -r -a picked <<<"$ONLY"
  for s in "${picked[@]}"; do
    [[ " ${SCENARIOS[*]} " == *" $s "* ]] || die "unknown scenario '$s' (one of: ${SCENARIOS[*]})"
    WANT[$s]=1
  done
fi
wants() { [[ -n "${WANT[$1]:-}" ]]; }

# ---- tools ----
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ "$(id -u)" == 0 ]] || die "missing ${missing[*]}: install them (apt-get install -y ${missing[*]})"
  log "installing ${missing[*]}"
  apt-get install -y "${missing[@]}" >&2
fi
JAVA=java
[[ -n "${JAVA_HOME:-}" ]] && JAVA="$JAVA_HOME/bin/java"

# ---- run directory and cleanup: everything started here is stopped on exit ----
RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/tokenvault-bench.XXXXXX")"
chmod 700 "$RUN_DIR"
DATA_DIR="$RUN_DIR/data"
VAULT_PID=""
NGINX_PID=""
WRK_PID=""

# stop_pid PID SIGNAL: signal a child we started, wait up to 20 s, then SIGKILL it.
stop_pid() {
  local pid="$1" sig="$2" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$WRK_PID" INT
  stop_pid "$NGINX_PID" TERM
  stop_pid "$VAULT_PID" TERM
  if [[ $rc -ne 0 && -f "$RUN_DIR/vault.log" ]]; then
    # the vault's logs never carry values or bearer tokens (redacted, see README "Logging")
    log "failed ($rc); last lines of the vault log:"
    tail -n 30 "$RUN_DIR/vault.log" >&2 || true
  fi
  rm -rf "$RUN_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free_port: a port nothing listens on (random, probed with bash's /dev/tcp).
free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

# ---- build and start the vault ----
# the commit that is built and measured (-dirty: with uncommitted changes outside bench/results)
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD)"
[[ -z "$(git -C "$ROOT" status --porcelain -- . ':!bench/results')" ]] || COMMIT="$COMMIT-dirty"

log "building the server (./mvnw -B -q -DskipTests -pl server -am package)"
(cd "$ROOT" && ./mvnw -B -q -DskipTests -pl server -am package) >&2 || die "build failed"

VAULT_PORT="$(free_port)"
log "starting the vault on https://127.0.0.1:$VAULT_PORT (data dir and log under $RUN_DIR)"
# BENCH_VAULT_ARGS: extra server settings for A/B runs, e.g. "--tokenvault.tls.engine=jdk".
# shellcheck disable=SC2086
# Per-client rate limits are off: one bench client would hit them; they are a policy, not the
# vault's capacity. Audit checkpoints every 10 s instead of 5 min: the checkpointer reads back and
# re-hashes every event once either way, but with 5 min the whole catch-up lands in whichever
# scenario runs at that mark (bench/README, session 7); every 10 s each scenario pays its share.
"$ROOT/tokenvault" serve --data-dir "$DATA_DIR" --port "$VAULT_PORT" \
  --tokenvault.rate-limit.enabled=false --tokenvault.audit.checkpoint-interval=10s \
  ${BENCH_VAULT_ARGS:-} \
  >"$RUN_DIR/vault.log" 2>&1 &
VAULT_PID=$!
CA="$DATA_DIR/tls/ca.pem"
BASE="https://127.0.0.1:$VAULT_PORT"

for ((i = 0; ; i++)); do
  kill -0 "$VAULT_PID" 2>/dev/null || die "the vault exited during start"
  if [[ -f "$CA" ]] && [[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" \
      "$BASE/health/ready" || true)" == 200 ]]; then
    break
  fi
  (( i < 600 )) || die "the vault was not ready after 60 s"
  sleep 0.1
done
log "vault ready"

# Access tokens live in shell variables only; wrk gets them in its environment.
MERCHANT_TOKEN=""
ADMIN_TOKEN=""
take_tokens() {
  MERCHANT_TOKEN="$("$ROOT/tokenvault" dev-token --client merchant \
    --scopes "payments.tokenize payments.create payments.read" \
    --data-dir "$DATA_DIR" --port "$VAULT_PORT")"
  ADMIN_TOKEN="$("$ROOT/tokenvault" dev-token --client admin \
    --scopes "payments.detokenize audit.read payments.read" \
    --data-dir "$DATA_DIR" --port "$VAULT_PORT")"
  [[ -n "$MERCHANT_TOKEN" && -n "$ADMIN_TOKEN" ]] || die "could not take dev tokens"
}

# api BEARER METHOD PATH [BODY [curl options...]]: prints the body, a newline and the status.
# The bearer token goes to curl on stdin (--config -), never on its command line.
api() {
  local bearer="$1" method="$2" path="$3" body="${4:-}"
  shift $(($# < 4 ? $# : 4))
  local args=(-sS --cacert "$CA" -X "$method" -w '\n%{http_code}')
  [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  printf 'header = "Authorization: Bearer %s"\n' "$bearer" \
    | curl "${args[@]}" "$@" --config - "$BASE$path"
}

# count_events NAME: how many audit events named NAME the vault holds (pages of 1000).
count_events() {
  local name="$1" after=0 total=0 resp status body n next
  while :; do
    resp="$(api "$ADMIN_TOKEN" GET "/v1/audit?eventName=$name&limit=1000&after=$after")"
    status="${resp##*$'\n'}"
    body="${resp%$'\n'*}"
    [[ "$status" == 200 ]] || die "GET /v1/audit answered $status"
    n="$(jq '.events | length' <<<"$body")"
    next="$(jq -r '.next // empty' <<<"$body")"
    total=$((total + n))
    [[ -n "$next" ]] || break
    after="$next"
  done
  echo "$total"
}

# writer_counters: "<commits> <writes> <log syncs> <log sync s> <slow log syncs> <writer paused s>
# <slow commits>" of the store so far (GET /metrics, audit.read scope), or "" when the vault does
# not expose them.
writer_counters() {
  local resp
  resp="$(api "$ADMIN_TOKEN" GET /metrics)"
  [[ "${resp##*$'\n'}" == 200 ]] || { echo ""; return; }
  awk '$1 == "tokenvault_store_writer_commits_total" { c = $2 }
       $1 == "tokenvault_store_writer_operations_total" { o = $2 }
       $1 == "tokenvault_store_log_syncs_total" { n = $2 }
       $1 == "tokenvault_store_log_sync_seconds_total" { t = $2 }
       $1 == "tokenvault_store_log_syncs_slow_total" { sl = $2 }
       $1 == "tokenvault_store_wal_writer_pause_seconds_total" { p = $2 }
       $1 == "tokenvault_store_writer_commits_slow_total" { sc = $2 }
       END { if (c != "" && o != "") printf "%d %d %s %s %s %s %s", c, o, n, t, sl, p, sc }' \
    <<<"${resp%$'\n'*}"
}

key_manager_calls() {
  echo $(( $(count_events GenerateDataKey) + $(count_events Decrypt) ))
}

# ---- CPU accounting (evidence for "what limits each figure") ----
CLK_TCK="$(getconf CLK_TCK)"
NPROC="$(nproc)"

# proc_jiffies PID...: user+system CPU ticks of the processes (all their threads).
proc_jiffies() {
  local pid s f total=0
  for pid in "$@"; do
    [[ -r "/proc/$pid/stat" ]] || continue
    s="$(<"/proc/$pid/stat")" || continue
    s="${s##*) }"
    read -r -a f <<<"$s"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# machine_jiffies: "busy total" ticks of all CPUs from /proc/stat.
machine_jiffies() {
  local cpu user nice system idle iowait irq softirq steal rest
  read -r cpu user nice system idle iowait irq softirq steal rest </proc/stat
  echo "$((user + nice + system + irq + softirq + steal)) \
$((user + nice + system + idle + iowait + irq + softirq + steal))"
}

nginx_workers() {
  [[ -n "$NGINX_PID" ]] && pgrep -P "$NGINX_PID" || true
}

# ---- one wrk run ----
declare -A RPS=() P50=() P99=() P999=() NON2XX=() ERRS=() LOAD=() CPU=() REQS=() JIT=() CPUREQ=()
declare -A BATCH=() SYNCMS=() SLOWSYNCS=() SLOWCOMMITS=() PAUSED=()

# jit_seconds: the vault JVM's total JIT compile time so far (jstat -compiler), or "" without
# jstat. The JIT keeps compiling for tens of seconds under load on 2 cores (seen here: ~30 s of
# compile time during a 60 s run that followed 40 s of warm-up), and every compile-second is
# CPU the server's threads did not get.
JSTAT="$(dirname "$(command -v "$JAVA")")/jstat"
jit_seconds() {
  [[ -x "$JSTAT" ]] || { echo ""; return; }
  "$JSTAT" -compiler "$VAULT_PID" 2>/dev/null | awk 'NR == 2 { print $4 }'
}

# run_wrk NAME URL SCRIPT DURATION [record]: runs wrk; with "record" keeps its figures.
run_wrk() {
  local name="$1" url="$2" script="$3" duration="$4" record="${5:-}"
  local out="$RUN_DIR/$name.wrk.txt" load t0 t1 m0 m1 v0 v1 n0 n1 wall jit0 jit1
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  log "$name: wrk -t$THREADS -c$CONNECTIONS -d$duration (load average $load)"
  local workers
  workers="$(nginx_workers)"
  local wc0="" wc1=""
  [[ -n "$record" && "$name" != nginx ]] && wc0="$(writer_counters)"
  m0="$(machine_jiffies)"; v0="$(proc_jiffies "$VAULT_PID")"; jit0="$(jit_seconds)"
  # shellcheck disable=SC2086
  n0="$(proc_jiffies $workers)"
  t0="$(date +%s%N)"
  # wrk runs in the background so that a signal stops the run at once (bash runs traps only
  # between foreground commands); its CPU time is read from /proc while it runs, every 0.2 s
  TV_TOKEN="$MERCHANT_TOKEN" TV_ADMIN_TOKEN="$ADMIN_TOKEN" TV_LUA_DIR="$BENCH_DIR/wrk" \
    TV_TOKENS_FILE="$RUN_DIR/tokens.txt" TV_PAYMENT_ID="${PAYMENT_ID:-}" TV_PHASE="$PHASE" \
    wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --timeout 10s \
      -s "$BENCH_DIR/wrk/$script" "$url" >"$out" 2>&1 &
  WRK_PID=$!
  local w=0 j
  while kill -0 "$WRK_PID" 2>/dev/null; do
    j="$(proc_jiffies "$WRK_PID")"
    (( j > w )) && w="$j"
    sleep 0.2
  done
  wait "$WRK_PID" || { cat "$out" >&2; die "wrk failed in $name"; }
  WRK_PID=""
  t1="$(date +%s%N)"
  m1="$(machine_jiffies)"; v1="$(proc_jiffies "$VAULT_PID")"; jit1="$(jit_seconds)"
  LAST_JIT="$(awk -v a="$jit0" -v b="$jit1" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%.1f", b - a }')"
  # shellcheck disable=SC2086
  n1="$(proc_jiffies $workers)"
  PHASE=$((PHASE % 9 + 1))
  grep -v '^TV_RESULT' "$out" >&2
  local line
  line="$(grep '^TV_RESULT' "$out")" || die "no result line from $script"
  [[ -n "$record" ]] || return 0
  [[ "$name" != nginx ]] && wc1="$(writer_counters)"

  local -A r=()
  local kv
  for kv in ${line#TV_RESULT }; do r[${kv%%=*}]="${kv#*=}"; done
  REQS[$name]="${r[requests]}"
  RPS[$name]="$(awk -v n="${r[requests]}" -v us="${r[duration_us]}" 'BEGIN { printf "%.0f", n / (us / 1e6) }')"
  P50[$name]="$(ms "${r[p50_us]}")"
  P99[$name]="$(ms "${r[p99_us]}")"
  P999[$name]="$(ms "${r[p999_us]}")"
  NON2XX[$name]="${r[non2xx]}"
  ERRS[$name]="$((r[connect_errors] + r[read_errors] + r[write_errors] + r[timeouts]))"
  LOAD[$name]="$load"
  # CPU in % of one core over the run's wall time: the vault, wrk, nginx, everything else
  wall=$(( (t1 - t0) / 1000000 ))
  CPU[$name]="$(awk -v wall="$wall" -v hz="$CLK_TCK" -v v=$((v1 - v0)) -v n=$((n1 - n0)) \
      -v w="$w" -v m0="$m0" -v m1="$m1" -v cores="$NPROC" 'BEGIN {
    split(m0, a, " "); split(m1, b, " ")
    busy = (b[1] - a[1]) / (b[2] - a[2]) * cores * 100
    vault = v / hz * 1000 / wall * 100; ng = n / hz * 1000 / wall * 100; wr = w / hz * 1000 / wall * 100
    other = busy - vault - ng - wr; if (other < 0) other = 0
    printf "%.0f/%.0f/%.0f/%.0f", vault, wr, ng, other }')"
  JIT[$name]="$LAST_JIT"
  # the writer's mean batch during the run: writes committed / transactions committed
  BATCH[$name]="$(awk -v a="$wc0" -v b="$wc1" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    if (a == "" || b == "" || y[1] == x[1]) print "n/a"; else printf "%.1f", (y[2] - x[2]) / (y[1] - x[1]) }')"
  # the durability path during the run: the log fsyncs' mean time, those over 10 ms per second,
  # commits over 10 ms per second, and the time per second the writer was paused for a log
  # cycle's last checkpoint
  read -r SYNCMS[$name] SLOWSYNCS[$name] SLOWCOMMITS[$name] PAUSED[$name] < <(awk -v a="$wc0" \
      -v b="$wc1" -v wall="$wall" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    if (a == "" || b == "" || y[7] == "" || y[3] == x[3] || wall <= 0) {
      print "n/a n/a n/a n/a"; exit
    }
    printf "%.2f %.1f %.1f %.1f\n", (y[4] - x[4]) / (y[3] - x[3]) * 1000,
      (y[5] - x[5]) / wall * 1000, (y[7] - x[7]) / wall * 1000, (y[6] - x[6]) / wall * 1e6 }')
  # the vault's CPU time per request, in µs: what a request costs, which a loaded machine
  # distorts far less than it distorts req/s
  CPUREQ[$name]="$(awk -v v=$((v1 - v0)) -v hz="$CLK_TCK" -v n="${r[requests]}" \
    'BEGIN { if (n > 0) printf "%.0f", v / hz * 1e6 / n; else printf "n/a" }')"
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

PHASE=1
take_tokens

# ---- seed tokens (and one payment for the ceiling) ----
need_tokens=0
if wants detokenize || wants payments || wants mixed; then
  need_tokens="$SEED_TOKENS"
elif wants ceiling; then
  need_tokens=1
fi
: >"$RUN_DIR/tokens.txt"
if (( need_tokens > 0 )); then
  log "seeding $need_tokens tokens (POST /v1/tokens, wrk collecting the answers)"
  per_thread=$(( (need_tokens + THREADS - 1) / THREADS ))
  seed_conns=$(( CONNECTIONS < 16 ? CONNECTIONS : 16 ))
  seed_conns=$(( seed_conns < THREADS ? THREADS : seed_conns ))
  TV_TOKEN="$MERCHANT_TOKEN" TV_LUA_DIR="$BENCH_DIR/wrk" TV_PHASE="$PHASE" \
    TV_SEED_OUT="$RUN_DIR/seed" TV_SEED_PER_THREAD="$per_thread" \
    wrk -t"$THREADS" -c"$seed_conns" -d600s -s "$BENCH_DIR/wrk/tokenize.lua" "$BASE" \
    >"$RUN_DIR/seed.wrk.txt" 2>&1 &
  WRK_PID=$!
  PHASE=$((PHASE % 9 + 1))
  # wrk sleeps for its whole duration: interrupt it once every thread has its share
  while kill -0 "$WRK_PID" 2>/dev/null; do
    have="$(cat "$RUN_DIR"/seed.* 2>/dev/null | grep -c '^tok_' || true)"
    (( have >= THREADS * per_thread )) && break
    sleep 0.5
  done
  stop_pid "$WRK_PID" INT
  WRK_PID=""
  cat "$RUN_DIR"/seed.[0-9]* | grep '^tok_' | head -n "$need_tokens" >"$RUN_DIR/tokens.txt" || true
  have="$(wc -l <"$RUN_DIR/tokens.txt")"
  (( have >= need_tokens )) || { cat "$RUN_DIR/seed.wrk.txt" >&2; die "seeded only $have tokens"; }
  log "seeded $have tokens"
fi

if wants ceiling; then
  resp="$(api "$MERCHANT_TOKEN" POST /v1/payments \
    "{\"token\":\"$(head -n 1 "$RUN_DIR/tokens.txt")\",\"amount\":2500,\"currency\":\"USD\"}" \
    -H "Idempotency-Key: bench-ceiling-$$")"
  [[ "${resp##*$'\n'}" == 201 ]] || die "could not create the ceiling's payment (${resp##*$'\n'})"
  PAYMENT_ID="$(jq -r '.id' <<<"${resp%$'\n'*}")"
fi

# ---- warm-up (not recorded): the JIT compiles the hot paths ----
# Measured here: a cold vault did 1.7k req/s on the ceiling route, 5k after 40 s of load.
if [[ ! "$WARMUP" =~ ^0+[smh]?$ ]]; then
  if wants detokenize || wants payments || wants mixed; then
    run_wrk warmup-mixed "$BASE" mixed.lua "$WARMUP"
  elif wants tokenize; then
    run_wrk warmup-tokenize "$BASE" tokenize.lua "$WARMUP"
  fi
  if wants ceiling; then
    run_wrk warmup-ceiling "$BASE" ceiling.lua "$WARMUP"
  fi
  # then until the JIT has settled: rounds of one 8 s slice per wanted vault scenario, until a
  # round in which no slice compiled for 1 s or more (at most 5 rounds). One scenario's slices
  # are not enough: each route has its own hot code (seen here: 10 s of compiling in a ceiling
  # run that followed a settled tokenize warm-up).
  settle=()
  for s in ceiling tokenize detokenize payments mixed; do
    wants "$s" && settle+=("$s")
  done
  if [[ -x "$JSTAT" ]] && (( ${#settle[@]} > 0 )); then
    for ((round = 1; round <= 5; round++)); do
      settled=1
      for s in "${settle[@]}"; do
        run_wrk "warmup-jit-$round-$s" "$BASE" "$s.lua" 8s
        log "JIT compile time in that slice: ${LAST_JIT} s"
        [[ "$LAST_JIT" != n/a ]] && awk -v j="$LAST_JIT" 'BEGIN { exit !(j < 1.0) }' || settled=0
      done
      (( settled )) && break
    done
  fi
fi

# ---- nginx: the machine's TLS+HTTP ceiling ----
if wants nginx; then
  NGINX_PORT="$(free_port)"
  while [[ "$NGINX_PORT" == "$VAULT_PORT" ]]; do NGINX_PORT="$(free_port)"; done
  mkdir -p "$RUN_DIR/nginx"
  sed -e "s|@RUN@|$RUN_DIR/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" \
    -e "s|@CERT@|$DATA_DIR/tls/server.pem|g" -e "s|@KEY@|$DATA_DIR/tls/server-key.pem|g" \
    "$BENCH_DIR/nginx/nginx.conf.template" >"$RUN_DIR/nginx/nginx.conf"
  nginx -p "$RUN_DIR/nginx/" -e "$RUN_DIR/nginx/error.log" -c "$RUN_DIR/nginx/nginx.conf" \
    >"$RUN_DIR/nginx/stdout.log" 2>&1 &
  NGINX_PID=$!
  for ((i = 0; ; i++)); do
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$RUN_DIR/nginx/error.log" >&2; die "nginx exited"; }
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" \
      "https://127.0.0.1:$NGINX_PORT/" || true)" == 200 ]] && break
    (( i < 100 )) || die "nginx did not answer within 10 s"
    sleep 0.1
  done
  run_wrk nginx "https://127.0.0.1:$NGINX_PORT" nginx.lua "$DURATION" record
  stop_pid "$NGINX_PID" TERM
  NGINX_PID=""
fi

# ---- the vault's scenarios (fresh access tokens for each: they live 15 minutes) ----
if wants ceiling; then
  take_tokens
  run_wrk ceiling "$BASE" ceiling.lua "$DURATION" record
fi
KM_CALLS=""
if wants tokenize; then
  take_tokens
  km_before="$(key_manager_calls)"
  run_wrk tokenize "$BASE" tokenize.lua "$DURATION" record
  km_after="$(key_manager_calls)"
  KM_CALLS=$((km_after - km_before))
fi
for s in detokenize payments mixed; do
  if wants "$s"; then
    take_tokens
    run_wrk "$s" "$BASE" "$s.lua" "$DURATION" record
  fi
done

KM_TOTAL="$(key_manager_calls)"

# ---- report ----
CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
JDK="$("$JAVA" -version 2>&1 | head -n 1)"
WRK_VERSION="$(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2 || true)"
NGINX_VERSION="$(nginx -v 2>&1 | sed 's/^nginx version: //')"
NOW="$(date -u +%Y-%m-%dT%H:%MZ)"

ratio() {
  local base="${RPS[$2]:-}"
  [[ -n "$base" && "$base" != 0 ]] || { echo "n/a"; return; }
  awk -v a="$1" -v b="$base" 'BEGIN { printf "%.2f", a / b }'
}

report() {
  echo "# tokenvault HTTP load harness: $NOW"
  echo
  echo "- machine: $NPROC cores, $CPU_MODEL; $JDK; $WRK_VERSION; nginx $NGINX_VERSION"
  echo "- commit: $COMMIT"
  echo "- server: $(grep -o 'HTTPS uses [^"]*' "$RUN_DIR/vault.log" | head -1 || true);" \
    "extra settings (BENCH_VAULT_ARGS): ${BENCH_VAULT_ARGS:-none}; JAVA_OPTS: ${JAVA_OPTS:-none}"
  echo "- wrk: $THREADS threads, $CONNECTIONS connections (keep-alive), $DURATION per scenario," \
    "HTTPS, on the same machine as the server"
  echo "- load average (1/5/15 min) at the start of each run is in the table: other" \
    "processes on the machine distort every figure when it is well above 0"
  echo
  echo "| scenario | req/s | p50 ms | p99 ms | p99.9 ms | non-2xx | socket errors |" \
    "× nginx | × ceiling | load avg | CPU % vault/wrk/nginx/other | vault CPU µs/req | JIT s |" \
    "writes/commit | log sync ms | slow syncs/s | slow commits/s | writer paused ms/s |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"
  local s
  for s in "${SCENARIOS[@]}"; do
    [[ -n "${RPS[$s]:-}" ]] || continue
    echo "| $s | ${RPS[$s]} | ${P50[$s]} | ${P99[$s]} | ${P999[$s]} | ${NON2XX[$s]} |" \
      "${ERRS[$s]} | $(ratio "${RPS[$s]}" nginx) | $(ratio "${RPS[$s]}" ceiling) |" \
      "${LOAD[$s]} | ${CPU[$s]} | ${CPUREQ[$s]} | ${JIT[$s]} | ${BATCH[$s]:-n/a} |" \
      "${SYNCMS[$s]:-n/a} | ${SLOWSYNCS[$s]:-n/a} | ${SLOWCOMMITS[$s]:-n/a} |" \
      "${PAUSED[$s]:-n/a} |"
  done
  echo
  echo "- ceiling = \`GET /v1/payments/{id}\` of an existing payment (200): TLS, HTTP, bearer" \
    "check (cached verification), scope check, one SQLite point read, no write."
  echo "- mixed = 50% detokenize (Zipf s=1.0), 30% tokenize, 20% payments."
  echo "- CPU %: of one core, over the run (${NPROC} cores = $((NPROC * 100))%); other = the" \
    "rest of the machine's busy time (other processes, kernel work not charged to these)."
  echo "- vault CPU µs/req: the vault JVM's CPU time (all threads, JIT and GC included) per" \
    "request; JIT s: seconds the JIT compiled during the scenario (jstat), which should be ~0."
  echo "- writes/commit: the store writer's mean batch during the scenario (\`/metrics\`:" \
    "writes committed / transactions committed; audit events and checkpoints included)."
  echo "- log sync ms: the mean fsync of SQLite's write-ahead log (every acknowledged write waits" \
    "for one); slow syncs/s: those over 10 ms, per second; slow commits/s: the writer's" \
    "COMMITs over 10 ms, per second; writer paused ms/s: time per second the writer spent on a" \
    "log cycle's last checkpoint, when no write commits (\`/metrics\`)."
  if [[ -n "$KM_CALLS" ]]; then
    local ok=$(( REQS[tokenize] - NON2XX[tokenize] ))
    echo "- key-manager calls (GenerateDataKey + Decrypt audit events) during the tokenize run:" \
      "$KM_CALLS for $ok tokenizations =" \
      "$(awk -v k="$KM_CALLS" -v n="$ok" 'BEGIN { if (n > 0) printf "%.1f", k * 100000 / n; else printf "n/a" }')" \
      "per 100k tokenizations"
  fi
  echo "- key-manager calls since the vault started (seeding, warm-up and every scenario): $KM_TOTAL"
}

mkdir -p "$BENCH_DIR/results"
RESULT_FILE="$BENCH_DIR/results/$(date -u +%Y-%m-%dT%H%MZ)-$COMMIT.md"
report | tee "$RESULT_FILE"
log "results written to ${RESULT_FILE#"$ROOT"/}"
