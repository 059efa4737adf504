#!/usr/bin/env bash
# tokenvault A/B runs: two commits measured alternately on this machine, with a paired summary.
#   bench/ab.sh [--rounds 2] A B [-- run.sh options]
#   bench/ab.sh [--rounds 2] --writer tokenize|detokenize [--seconds 15] A B
#   bench/ab.sh --summarize A1.md B1.md [A2.md B2.md ...]
# A and B are commits (any git revision) of this repository: commit a probe on a branch first.
# Each is checked out in its own temporary worktree, so this tree may be edited meanwhile.
# Rounds alternate A B, B A, A B, ... so that a machine drifting one way within the hour favours
# neither. HTTP mode runs bench/run.sh (default options: --only ceiling,tokenize,detokenize
# --duration 20s --warmup 15s) and copies each results file into bench/results/. --writer runs
# WriterCost (bench/) instead: the SQLite writer's CPU per operation, no HTTP.
# The summary pairs each round's A with its B: "B/A" is the ratio of req/s, "B/A xc" the ratio
# of req/s divided by each run's own ceiling req/s (the same as B/A without a ceiling row, and
# for the ceiling and nginx rows). A difference is called only when both ratios show it by 3% or
# more in every round, and there are two rounds or more: this machine drifts more than that.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
}

die() {
  echo "ab: $*" >&2
  exit 1
}

log() {
  echo "ab: $*" >&2
}

# summarize FILE...: results files of bench/run.sh, A and B of round 1, then of round 2, ...
summarize() {
  (( $# >= 2 && $# % 2 == 0 )) || die "--summarize needs A and B files in pairs"
  local f
  for f in "$@"; do
    [[ -f "$f" ]] || die "no such results file: $f"
  done
  awk -F'|' '
    function trim(s) { gsub(/^ +| +$/, "", s); return s }
    function num(s) { return s ~ /^[0-9.]+$/ }
    FNR == 1 { file++; side = (file % 2 == 1) ? "A" : "B"; round = int((file + 1) / 2) }
    /^\| [a-z]+ \| [0-9]/ {
      s = trim($2)
      if (!(s in seen)) { seen[s] = 1; order[++n] = s }
      rps[s, round, side] = trim($3); p99[s, round, side] = trim($5)
      xc[s, round, side] = trim($10); us[s, round, side] = trim($13)
      if (round > rounds) rounds = round
    }
    END {
      printf "%-11s %5s %9s %9s %7s %7s %6s %7s %8s %8s %7s %7s\n", "scenario", "round",
        "A req/s", "B req/s", "A xceil", "B xceil", "B/A", "B/A xc", "A us/req", "B us/req",
        "A p99", "B p99"
      for (i = 1; i <= n; i++) {
        s = order[i]; above = 0; below = 0; paired = 0
        lo = ""; hi = ""; xlo = ""; xhi = ""
        for (r = 1; r <= rounds; r++) {
          if (!((s, r, "A") in rps) || !((s, r, "B") in rps)) continue
          a = rps[s, r, "A"]; b = rps[s, r, "B"]
          ratio = (a > 0) ? b / a : 0
          xratio = ratio
          ca = rps["ceiling", r, "A"]; cb = rps["ceiling", r, "B"]
          if (s != "ceiling" && s != "nginx" && num(ca) && num(cb) && ca > 0 && cb > 0 && a > 0) {
            xratio = (b / cb) / (a / ca)
          }
          paired++
          if (ratio >= 1.03 && xratio >= 1.03) above++
          else if (ratio <= 0.97 && xratio <= 0.97) below++
          if (lo == "" || ratio < lo) lo = ratio
          if (hi == "" || ratio > hi) hi = ratio
          if (xlo == "" || xratio < xlo) xlo = xratio
          if (xhi == "" || xratio > xhi) xhi = xratio
          printf "%-11s %5d %9s %9s %7s %7s %6.2f %7.2f %8s %8s %7s %7s\n", s, r,
            rps[s, r, "A"], rps[s, r, "B"], xc[s, r, "A"], xc[s, r, "B"], ratio, xratio,
            us[s, r, "A"], us[s, r, "B"], p99[s, r, "A"], p99[s, r, "B"]
        }
        if (paired == 0) continue
        verdict = (paired < 2) ? "one round: no call, run two or more" \
          : (above == paired) ? "B ahead by 3% or more in every round" \
          : (below == paired) ? "B behind by 3% or more in every round" \
          : "no difference of 3% or more in every round"
        printf "%-11s B/A %.2f-%.2f, x ceiling %.2f-%.2f, %d round(s): %s\n", s, lo, hi, xlo,
          xhi, paired, verdict
      }
    }' "$@"
}

# ---- arguments ----
ROUNDS=2
WRITER=""
SECONDS_PER_RUN=15
REVS=()
RUN_ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --summarize) shift; summarize "$@"; exit 0 ;;
    --rounds) [[ $# -ge 2 ]] || die "--rounds needs a value"; ROUNDS="$2"; shift 2 ;;
    --writer) [[ $# -ge 2 ]] || die "--writer needs a value"; WRITER="$2"; shift 2 ;;
    --seconds) [[ $# -ge 2 ]] || die "--seconds needs a value"; SECONDS_PER_RUN="$2"; shift 2 ;;
    --) shift; RUN_ARGS=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    -*) usage; die "unknown option '$1'" ;;
    *) REVS+=("$1"); shift ;;
  esac
done
[[ ${#REVS[@]} -eq 2 ]] || { usage; die "name two commits, A and B"; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds: a number >= 1"
[[ "$SECONDS_PER_RUN" =~ ^[1-9][0-9]*$ ]] || die "--seconds: a number >= 1"
[[ -z "$WRITER" || "$WRITER" == tokenize || "$WRITER" == detokenize ]] \
  || die "--writer: tokenize or detokenize"
if [[ -z "$WRITER" && ${#RUN_ARGS[@]} -eq 0 ]]; then
  RUN_ARGS=(--only ceiling,tokenize,detokenize --duration 20s --warmup 15s)
fi

declare -A COMMIT=()
for side in A B; do
  rev="${REVS[0]}"
  [[ "$side" == B ]] && rev="${REVS[1]}"
  COMMIT[$side]="$(git -C "$ROOT" rev-parse --verify --quiet "$rev^{commit}")" \
    || die "not a commit here: $rev"
done

# ---- worktrees, removed on exit ----
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tokenvault-ab.XXXXXX")"
cleanup() {
  local side
  for side in a b; do
    [[ -d "$WORK/$side" ]] && git -C "$ROOT" worktree remove --force "$WORK/$side" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
for side in A B; do
  dir="$WORK/${side,,}"
  git -C "$ROOT" worktree add --quiet --detach "$dir" "${COMMIT[$side]}"
  log "$side = $(git -C "$ROOT" log -1 --format='%h %s' "${COMMIT[$side]}")"
done

# run_http SIDE ROUND: one bench/run.sh in SIDE's worktree; prints the results file it copied.
run_http() {
  local dir="$WORK/${1,,}" out="$WORK/run-$1-$2.log" made dest
  log "round $2, $1: bench/run.sh ${RUN_ARGS[*]}"
  "$dir/bench/run.sh" "${RUN_ARGS[@]}" >"$out" 2>&1 || { tail -20 "$out" >&2; die "$1 failed"; }
  made="$(sed -n 's/^bench: results written to //p' "$out" | tail -1)"
  [[ -n "$made" && -f "$dir/$made" ]] || die "$1: no results file in $out"
  mkdir -p "$ROOT/bench/results"
  # Files are named by minute and commit: two short runs of one commit can share a name.
  dest="$ROOT/$made"
  [[ -e "$dest" ]] && dest="${dest%.md}-ab-${1,,}$2.md"
  cp "$dir/$made" "$dest"
  echo "$dest"
}

# run_writer SIDE ROUND: one WriterCost run; prints its "ops/s wall" line.
run_writer() {
  local dir="$WORK/${1,,}"
  log "round $2, $1: WriterCost $WRITER $SECONDS_PER_RUN"
  java -cp "$dir/bench/target/benchmarks.jar" dev.tokenvault.bench.WriterCost \
    "$WRITER" "$SECONDS_PER_RUN" 2>/dev/null | grep "ops/s wall" | head -1
}

if [[ -n "$WRITER" ]]; then
  for side in A B; do
    log "building $side's benchmarks"
    (cd "$WORK/${side,,}" && ./mvnw -B -q -pl bench -am package -DskipTests >&2)
  done
fi

# What each run gave, A then B for each round whatever order they ran in: its results file, or
# WriterCost's "ops/s wall" line with --writer.
GAVE=()
for ((round = 1; round <= ROUNDS; round++)); do
  order=(A B)
  (( round % 2 == 0 )) && order=(B A)
  declare -A this=()
  for side in "${order[@]}"; do
    if [[ -n "$WRITER" ]]; then
      this[$side]="$(run_writer "$side" "$round")"
    else
      this[$side]="$(run_http "$side" "$round")"
    fi
  done
  GAVE+=("${this[A]}" "${this[B]}")
done

echo "A = ${COMMIT[A]:0:7}, B = ${COMMIT[B]:0:7}, $ROUNDS round(s), order A B / B A alternating"
if [[ -z "$WRITER" ]]; then
  echo "results files: ${GAVE[*]#"$ROOT"/}"
  summarize "${GAVE[@]}"
else
  printf '%s\n' "${GAVE[@]}" | awk -v what="$WRITER" '
    {
      for (i = 1; i < NF; i++) {
        if ($(i + 1) == "ops/s") rate = $i
        if ($i == "CPU" && $(i - 1) == "writer") cpu = $(i + 1)
      }
      side = (NR % 2 == 1) ? "A" : "B"; round = int((NR + 1) / 2)
      r[round, side] = rate; c[round, side] = cpu
    }
    END {
      printf "%-10s %5s %9s %9s %6s %9s %9s %6s\n", "writer", "round", "A ops/s", "B ops/s",
        "B/A", "A us/op", "B us/op", "B/A"
      for (k = 1; k <= round; k++)
        printf "%-10s %5d %9s %9s %6.2f %9s %9s %6.2f\n", what, k, r[k, "A"], r[k, "B"],
          r[k, "B"] / r[k, "A"], c[k, "A"], c[k, "B"], c[k, "B"] / c[k, "A"]
    }'
fi
