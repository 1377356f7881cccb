#!/usr/bin/env bash
# Baton beside PyTorch / OpenBLAS, row by row, at the same thread count.
#
# usage: bench/compare.sh [ROW...] [--threads N] [--repeat N] [--rounds N]
#   ROW: Baton.Bench row names or families (default: the sgemm rows and DESIGN.md's standard set)
#   --rounds N: run both sides N times, alternating, and keep each row's median round (default 1)
# Needs the .NET SDK and Debian's python3-torch / python3-numpy (/usr/bin/python3).
# Prints a table: medians, PyTorch time / Baton time, GFLOP/s, and Baton's GFLOP/s as a fraction
# of OpenBLAS's (numpy) at the same size for the sgemm rows and of its n=2048 peak for every row.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=$(nproc)
repeat=7
rounds=1
rows=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    *) rows+=("$1"); shift ;;
  esac
done
if [ ${#rows[@]} -eq 0 ]; then
  rows=(sgemm-512 sgemm-1024 sgemm-2048 lstm-small gru-small rnn-small lstm-2x512 lstm-1024 lstm-b1 lstm-long
        stream-lstm-128 stream-lstm-512x2 stream-gru-512x2 mingru-512 gru-512)
fi
python=/usr/bin/python3
[ -x "$python" ] || python=python3

dotnet build bench/Baton.Bench -c Release -v quiet -nologo >&2
bench_dll=bench/Baton.Bench/bin/Release/net10.0/Baton.Bench.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for ((round = 1; round <= rounds; round++)); do
  echo "round $round/$rounds: Baton" >&2
  dotnet "$bench_dll" "${rows[@]}" --json --threads "$threads" --repeat "$repeat" | grep '^{' >> "$work/baton.jsonl" || true
  echo "round $round/$rounds: PyTorch / OpenBLAS" >&2
  "$python" bench/torch_reference.py "${rows[@]}" numpy-sgemm-512 numpy-sgemm-1024 numpy-sgemm-2048 \
    --json --threads "$threads" --repeat "$repeat" | grep '^{' >> "$work/torch.jsonl" || true
done

"$python" - "$work/baton.jsonl" "$work/torch.jsonl" <<'PY'
import json, statistics, sys

def load(path):
    rounds = {}
    for line in open(path):
        r = json.loads(line)
        rounds.setdefault(r["name"], []).append(r)
    best = {}
    for name, rs in rounds.items():
        timed = sorted((r for r in rs if r.get("median_ms") is not None), key=lambda r: r["median_ms"])
        best[name] = timed[(len(timed) - 1) // 2] if timed else rs[-1]
    return best

baton, torch = load(sys.argv[1]), load(sys.argv[2])
peak = (torch.get("numpy-sgemm-2048") or {}).get("gflops")
core = (torch.get("numpy-sgemm-2048") or {}).get("core", "?")

def f(x, spec):
    return format(x, spec) if isinstance(x, (int, float)) else "-"

header = f"{'row':<26}{'Baton ms':>12}{'torch ms':>12}{'torch/Baton':>12}{'Baton GF/s':>12}{'torch GF/s':>12}{'BLAS GF/s':>11}{'vs BLAS':>9}{'vs peak':>9}"
print(header)
print("-" * len(header))
for name, b in baton.items():
    t = torch.get(name, {})
    blas = torch.get("numpy-" + name, {}).get("gflops") if name.startswith("sgemm-") else None
    speed = t["median_ms"] / b["median_ms"] if t.get("median_ms") and b.get("median_ms") else None
    if b.get("us_per_step") is not None and b.get("gflops") is None:
        bm, tm = f"{b['us_per_step']:.1f}us", (f"{t['us_per_step']:.1f}us" if t.get("us_per_step") else "-")
    else:
        bm, tm = f(b.get("median_ms"), ".3f"), f(t.get("median_ms"), ".3f")
    vs_blas = f(b["gflops"] / blas, ".0%") if blas and b.get("gflops") else "-"
    vs_peak = f(b["gflops"] / peak, ".0%") if peak and b.get("gflops") else "-"
    note = f"  ({b['error']})" if b.get("error") else ""
    print(f"{name:<26}{bm:>12}{tm:>12}{f(speed, '.2f'):>12}{f(b.get('gflops'), '.1f'):>12}{f(t.get('gflops'), '.1f'):>12}{f(blas, '.1f'):>11}{vs_blas:>9}{vs_peak:>9}{note}")
print(f"\nOpenBLAS peak (numpy sgemm n=2048, core {core}): {f(peak, '.1f')} GFLOP/s; threads {next(iter(baton.values()))['threads'] if baton else '?'}")
PY
