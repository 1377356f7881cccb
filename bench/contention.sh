#!/usr/bin/env bash
# Baton and PyTorch with and without two competing busy processes on the same cores, row by row.
#
# usage: bench/contention.sh [ROW...] [--threads N] [--repeat N] [--rounds N] [--busy N] [--limit SECONDS] [--isa native|avx512|avx2|128]
#   ROW: rows both sides run (default: lstm-small gru-small lstm-b1 stream-lstm-512x2)
#   --busy N: competing processes, each a shell loop that never sleeps (default 2)
#   --limit: seconds one side may take for one row before it is stopped and reported as "> limit" (default 120)
#   --rounds N: repeat the four runs (quiet and loaded, each side) N times, alternating, and keep the median (default 1)
# Prints, per row: each side's median quiet and loaded, and its slowdown (loaded / quiet). The goal: Baton's slowdown is
# no worse than PyTorch's on every row. Needs the .NET SDK and Debian's python3-torch (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."

threads=$(nproc)
repeat=5
rounds=1
busy=2
limit=120
isa=native
rows=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --busy) busy="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    --isa) isa="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "contention.sh: unknown option $1" >&2; exit 2 ;;
    *) rows+=("$1"); shift ;;
  esac
done
[ ${#rows[@]} -gt 0 ] || rows=(lstm-small gru-small lstm-b1 stream-lstm-512x2)
python=/usr/bin/python3
[ -x "$python" ] || python=python3

source bench/isa-env.sh
set_isa_env "$isa"

dotnet build bench/Baton.Bench -c Release -v quiet -nologo >&2
bench_dll=bench/Baton.Bench/bin/Release/net10.0/Baton.Bench.dll
work=$(mktemp -d)
pids=()
stop_busy() {
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  wait ${pids[@]+"${pids[@]}"} 2>/dev/null || true
  pids=()
}
trap 'stop_busy; rm -rf "$work"' EXIT

# One row, one side, one load: a JSON line, or {"name", "timeout"} when the side ran past the limit.
run_side() {
  local side=$1 load=$2 row=$3 out
  if [ "$side" = baton ]; then
    out=$(env ${baton_env[@]+"${baton_env[@]}"} timeout "$limit" dotnet "$bench_dll" "$row" --json --threads "$threads" --repeat "$repeat" 2>/dev/null | grep '^{' || true)
  else
    out=$(env ${reference_env[@]+"${reference_env[@]}"} timeout "$limit" "$python" bench/torch_reference.py "$row" --json --threads "$threads" --repeat "$repeat" 2>/dev/null | grep '^{' || true)
  fi
  [ -n "$out" ] || out="{\"name\": \"$row\", \"timeout\": $limit}"
  echo "{\"side\": \"$side\", \"load\": \"$load\", \"row\": $out}" >> "$work/results.jsonl"
}

for ((round = 1; round <= rounds; round++)); do
  for row in "${rows[@]}"; do
    echo "round $round/$rounds, $row: quiet" >&2
    run_side baton quiet "$row"
    run_side torch quiet "$row"
    echo "round $round/$rounds, $row: beside $busy busy processes" >&2
    for ((i = 0; i < busy; i++)); do sh -c 'while :; do :; done' & pids+=($!); done
    run_side baton loaded "$row"
    run_side torch loaded "$row"
    stop_busy
  done
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
"$python" - "$work/results.jsonl" "$cpu" "$threads" "$busy" "$limit" "$isa" "$repeat" <<'PY'
import json, statistics, sys

path, cpu, threads, busy, limit, isa, repeat = sys.argv[1:]
limit, repeat = float(limit), int(repeat)
# A side stopped at the limit ran fewer than its warm-up and `repeat` samples of at least one step each: each of its
# steps took more than limit / (repeat + 1), a lower bound, shown with ">".
runs = {}
for line in open(path):
    r = json.loads(line)
    row = r["row"]
    stream = row["name"].startswith("stream-")
    if "timeout" in row:
        value, bound = limit * (1e6 if stream else 1e3) / (repeat + 1), True
    else:
        value, bound = row["us_per_step"] if stream else row["median_ms"], False
    runs.setdefault((row["name"], r["side"], r["load"]), []).append((float(value), bound))

def median(key):
    values = runs.get(key)
    if not values:
        return None
    m = statistics.median(v for v, _ in values)
    return m, any(b for v, b in values if v >= m)

def show(entry, unit):
    return "-" if entry is None else f"{'> ' if entry[1] else ''}{entry[0]:.1f} {unit}"

print(f"# {cpu}; {threads} threads each side; {busy} busy processes; isa {isa}; medians, ms per training step or us per stream step")
print("| row | Baton quiet | Baton loaded | Baton slowdown | PyTorch quiet | PyTorch loaded | PyTorch slowdown | Baton no worse |")
print("|---|---|---|---|---|---|---|---|")
for name in dict.fromkeys(k[0] for k in runs):
    unit = "us" if name.startswith("stream-") else "ms"
    bq, bl = median((name, "baton", "quiet")), median((name, "baton", "loaded"))
    tq, tl = median((name, "torch", "quiet")), median((name, "torch", "loaded"))
    bs = (bl[0] / bq[0], bl[1]) if bq and bl else None
    ts = (tl[0] / tq[0], tl[1]) if tq and tl else None
    ratio = lambda s: "-" if s is None else f"{'> ' if s[1] else ''}{s[0]:.2f}x"
    # Decided only where Baton's figure is exact, or PyTorch's bound already exceeds it.
    ok = "-" if bs is None or ts is None or bs[1] else ("yes" if bs[0] <= ts[0] else ("no" if not ts[1] else "-"))
    print(f"| {name} | {show(bq, unit)} | {show(bl, unit)} | {ratio(bs)} | {show(tq, unit)} | {show(tl, unit)} | {ratio(ts)} | {ok} |")
PY
