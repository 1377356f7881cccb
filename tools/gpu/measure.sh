#!/usr/bin/env bash
# One measuring session on an NVIDIA GPU, prepared where the .NET SDK is and run once where the GPU is (which has no SDK).
#
#   tools/gpu/measure.sh publish      # here: a self-contained linux-x64 baton in out/gpu/ (one file, about 50 MB)
#   tools/gpu/measure.sh run DIR      # on the GPU machine, from the repository root: raw output into DIR
#
# `run` writes, each file raw:
#   DIR/smi.txt       nvidia-smi
#   DIR/checks.txt    the device checks: baton train, forecast train and classify train with the same seeds on cpu and on cuda,
#                     the losses compared (bar 1e-4 relative), one line per value and PASS or FAIL per command
#   DIR/runs.txt      the JSON result of each of those runs
#   DIR/bench.jsonl   baton bench gpu-lstm-small gpu-lstm-1024 gpu-gru-4096 gpu-mingru-4096 gpu-stream-lstm-512x2 --json
#   DIR/torch.jsonl   the same rows in PyTorch on cuDNN (bench/torch_reference.py; float32, TF32 off)
#   DIR/log.txt       everything the commands printed on stderr
# With the device tool: run `publish` here, then run(command="tools/gpu/measure.sh run $OUT", carry=["out/gpu"], timeout_s=600).
# The whole run fits one 10-minute call: speed rows first (bench 200 s, cuDNN 100 s at most), then six check runs of 40 s at
# most each; whatever a timeout cuts is missing from its file, never half-written into another.
# BATON_MEASURE_DEVICE=emulate runs the checks against ILGPU's CPU emulation instead (to try the script without a GPU; slow).
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=out/gpu/Baton.Cli
DEVICE=${BATON_MEASURE_DEVICE:-cuda}

case "${1:-}" in
publish)
    set -e
    dotnet publish src/Baton.Cli -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true \
        -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=none -o out/gpu
    rm -f out/gpu/*.xml
    du -sh out/gpu
    ;;
run)
    DIR=${2:?usage: tools/gpu/measure.sh run DIR}
    mkdir -p "$DIR"
    [ -x "$BIN" ] || { echo "measure.sh: $BIN is missing: run 'tools/gpu/measure.sh publish' first and carry out/gpu" >&2; exit 2; }
    LOG="$DIR/log.txt"
    WORK=$(mktemp -d)
    nvidia-smi > "$DIR/smi.txt" 2>&1
    export DOTNET_CLI_TELEMETRY_OPTOUT=1

    # The speed rows first, Baton's and cuDNN's (each row's "device" says whether CUDA or the emulation ran it).
    timeout 200 "$BIN" bench gpu-lstm-small gpu-lstm-1024 gpu-gru-4096 gpu-mingru-4096 gpu-stream-lstm-512x2 --json \
        > "$DIR/bench.jsonl" 2>> "$LOG"
    PYTHONUNBUFFERED=1 timeout 100 python3 bench/torch_reference.py gpu-lstm-small gpu-lstm-1024 gpu-gru-4096 gpu-mingru-4096 \
        gpu-stream-lstm-512x2 --json > "$DIR/torch.jsonl" 2>> "$LOG"

    # The device checks: the same run on cpu and on cuda, the JSON's losses compared.
    python3 -c "print('the cat sat on the mat; the dog lay on the log. ' * 400)" > "$WORK/text.txt"
    compare() {   # NAME KEY... : the cpu run's JSON against the device run's
        local name=$1; shift
        python3 - "$WORK/$name-cpu.json" "$WORK/$name-$DEVICE.json" "$name" "$@" >> "$DIR/checks.txt" <<'PY'
import json, sys
cpu_path, cuda_path, name, keys = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def last_json(path):
    try:
        lines = [l for l in open(path) if l.strip().startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except OSError:
        return None
cpu, cuda = last_json(cpu_path), last_json(cuda_path)
if cpu is None or cuda is None:
    print(f"{name}: FAIL (no result: cpu {cpu is not None}, device {cuda is not None})")
    sys.exit()
ok = True
for key in keys:
    a, b = cuda.get(key), cpu.get(key)
    error = abs(a - b) / abs(b) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b != 0 else None
    good = error is not None and error <= 1e-4
    ok &= good
    print(f"{name} {key}: device {a} cpu {b} relative error {error}")
print(f"{name}: {'PASS' if ok else 'FAIL'}; device {cuda.get('device')}")
PY
    }
    for device in cpu "$DEVICE"; do
        timeout 40 "$BIN" train --data "$WORK/text.txt" --hidden 256 --layers 2 --embedding 32 --seq-length 64 --batch 16 --steps 20 \
            --eval-every 10 --out "$WORK/train-$device" --device "$device" --json > "$WORK/train-$device.json" 2>> "$LOG"
        timeout 40 "$BIN" forecast train --dataset energy --hidden 64 --steps 40 --out "$WORK/forecast-$device" --device "$device" \
            --json > "$WORK/forecast-$device.json" 2>> "$LOG"
        timeout 40 "$BIN" classify train --dataset motion --sequences 600 --hidden 64 --epochs 2 --out "$WORK/classify-$device" \
            --device "$device" --json > "$WORK/classify-$device.json" 2>> "$LOG"
    done
    compare train train_loss val_loss
    compare forecast train_loss validation_loss
    compare classify train_loss validation_loss
    for f in "$WORK"/*.json; do
        echo "== $(basename "$f")"
        cat "$f"
    done > "$DIR/runs.txt"

    rm -rf "$WORK"
    cat "$DIR/checks.txt" "$DIR/bench.jsonl" "$DIR/torch.jsonl"
    ;;
*)
    echo "usage: tools/gpu/measure.sh publish | run DIR" >&2
    exit 2
    ;;
esac
