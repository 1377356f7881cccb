#!/usr/bin/env bash
# Baton beside PyTorch / OpenBLAS, row by row, at the same thread count.
#
# usage: bench/compare.sh [ROW...] [--threads N] [--repeat N] [--rounds N] [--isa native|avx512|avx2|128]
#   ROW: Baton.Bench row names or families (default: the sgemm rows, DESIGN.md's standard set and the
#        ONNX Runtime twins of the stream rows, NAME-ort, shown in the ORT column of their Baton row)
#   --rounds N: run both sides N times, alternating, and keep each row's median round (default 1)
#   --isa: the instruction set both sides use (default native, the widest this CPU has). avx2: Baton with
#        DOTNET_EnableAVX512=0, OpenBLAS with OPENBLAS_CORETYPE=Haswell, oneDNN with ONEDNN_MAX_CPU_ISA=AVX2;
#        128: DOTNET_EnableAVX2=0 (SSE4.2, no FMA), OPENBLAS_CORETYPE=Nehalem, ONEDNN_MAX_CPU_ISA=SSE41;
#        avx512: the AVX-512 kernels on both sides (OPENBLAS_CORETYPE=SkylakeX). .NET 10 ignores the older
#        DOTNET_EnableAVX512F=0; the table's header names the path each side took.
# Needs the .NET SDK and Debian's python3-torch / python3-numpy (/usr/bin/python3).
# Prints a table: medians, PyTorch (and ONNX Runtime) time / Baton time, GFLOP/s, and Baton's GFLOP/s as a fraction
# of OpenBLAS's (numpy) at the same size for the sgemm rows and of its n=2048 peak for every row.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=$(nproc)
repeat=7
rounds=1
isa=native
rows=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --isa) isa="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    *) rows+=("$1"); shift ;;
  esac
done
if [ ${#rows[@]} -eq 0 ]; then
  rows=(sgemm-512 sgemm-1024 sgemm-2048 cache-read lstm-small gru-small rnn-small lstm-2x512 lstm-1024 lstm-b1 lstm-long
        stream-lstm-128 stream-lstm-512x2 stream-gru-512x2 mingru-512 gru-512
        stream-lstm-128-ort stream-lstm-512x2-ort stream-gru-512x2-ort)
fi
# The ONNX Runtime rows are Baton.Bench's own; torch_reference.py refuses names it does not know.
torch_rows=()
for row in "${rows[@]}"; do
  [[ "$row" == *-ort || "$row" == cache-read ]] || torch_rows+=("$row")
done
python=/usr/bin/python3
[ -x "$python" ] || python=python3

# One instruction set for both sides (bench/isa-env.sh).
source bench/isa-env.sh
set_isa_env "$isa"

dotnet build bench/Baton.Bench -c Release -v quiet -nologo >&2
bench_dll=bench/Baton.Bench/bin/Release/net10.0/Baton.Bench.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for ((round = 1; round <= rounds; round++)); do
  echo "round $round/$rounds: Baton" >&2
  env ${baton_env[@]+"${baton_env[@]}"} dotnet "$bench_dll" "${rows[@]}" --json --threads "$threads" --repeat "$repeat" | grep '^{' >> "$work/baton.jsonl" || true
  echo "round $round/$rounds: PyTorch / OpenBLAS" >&2
  env ${reference_env[@]+"${reference_env[@]}"} "$python" bench/torch_reference.py ${torch_rows[@]+"${torch_rows[@]}"} numpy-sgemm-512 numpy-sgemm-1024 numpy-sgemm-2048 \
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

# A NAME-ort row (ONNX Runtime running Baton's export of the same model) fills the ORT columns of row NAME.
ort = {name[:-len("-ort")]: r for name, r in baton.items() if name.endswith("-ort")}

first = next(iter(baton.values()), {})
print(f"Baton: {first.get('simd', '?')} on {first.get('cpu', '?')}; OpenBLAS core {core}; threads {first.get('threads', '?')}\n")
header = f"{'row':<26}{'Baton ms':>12}{'torch ms':>12}{'torch/Baton':>12}{'ORT':>10}{'ORT/Baton':>10}{'Baton GF/s':>12}{'torch GF/s':>12}{'BLAS GF/s':>11}{'vs BLAS':>9}{'vs peak':>9}"
print(header)
print("-" * len(header))
for name, b in baton.items():
    if name.endswith("-ort") and name[:-len("-ort")] in baton:
        continue
    t = torch.get(name, {})
    o = ort.get(name, {})
    om = f"{o['us_per_step']:.1f}us" if o.get("us_per_step") is not None else ("error" if o.get("error") else "-")
    ort_speed = o["us_per_step"] / b["us_per_step"] if o.get("us_per_step") and b.get("us_per_step") else None
    blas = torch.get("numpy-" + name, {}).get("gflops") if name.startswith("sgemm-") else None
    speed = t["median_ms"] / b["median_ms"] if t.get("median_ms") and b.get("median_ms") else None
    if b.get("us_per_step") is not None and b.get("gflops") is None:
        bm, tm = f"{b['us_per_step']:.1f}us", (f"{t['us_per_step']:.1f}us" if t.get("us_per_step") else "-")
    else:
        bm, tm = f(b.get("median_ms"), ".3f"), f(t.get("median_ms"), ".3f")
    vs_blas = f(b["gflops"] / blas, ".0%") if blas and b.get("gflops") else "-"
    vs_peak = f(b["gflops"] / peak, ".0%") if peak and b.get("gflops") else "-"
    note = f"  ({b['error']})" if b.get("error") else ""
    print(f"{name:<26}{bm:>12}{tm:>12}{f(speed, '.2f'):>12}{om:>10}{f(ort_speed, '.2f'):>10}{f(b.get('gflops'), '.1f'):>12}{f(t.get('gflops'), '.1f'):>12}{f(blas, '.1f'):>11}{vs_blas:>9}{vs_peak:>9}{note}")
print(f"\nOpenBLAS peak (numpy sgemm n=2048, core {core}): {f(peak, '.1f')} GFLOP/s; threads {next(iter(baton.values()))['threads'] if baton else '?'}")
rate = (baton.get("cache-read") or {}).get("gb_s")
mem = [(n, r) for n, r in baton.items() if r.get("peak_mb") is not None]
if mem:
    print("\nmemory held by a training step (MB): " + ", ".join(f"{n} {r['peak_mb']:.1f} (least {r['min_mb']:.1f})" for n, r in mem))
if rate:
    print(f"\ncache read rate (16 MB, same run): {rate:.1f} GB/s; each stream step against reading its weights once at that rate:")
    for n, r in baton.items():
        if n.startswith("stream-") and not n.endswith("-ort") and r.get("gb_s") and r.get("us_per_step"):
            bound = r["gb_s"] * r["us_per_step"] / rate  # weight bytes / rate, in µs
            print(f"  {n}: {r['us_per_step']:.1f} us = {r['us_per_step'] / bound:.2f} x the {bound:.1f} us read bound")
PY
