#!/usr/bin/env bash
# Real-series evaluation of `baton forecast train`: exports series bundled with R (r-base-core, r-cran-forecast) to
# CSV, trains baton on each with its defaults (plus --season, as a user would give it), runs R's ETS and
# auto.arima on the same split and rolling origins (tools/forecast/reference.R), and prints MASE per series with
# geometric means. Needs: apt-get install r-base-core r-cran-forecast; a built baton (BATON, default: dotnet baton.dll).
# Usage: tools/forecast/evaluate.sh [OUTDIR] [extra baton options...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-/tmp/baton-forecast-eval}"; shift || true
baton="${BATON:-dotnet $root/src/Baton.Cli/bin/Release/net10.0/Baton.Cli.dll}"
mkdir -p "$out"
Rscript "$here/export.R" "$out/data"
season_of() {
  case "$1" in
    taylor) echo "48,336" ;;
    woolyrnq|austres) echo 4 ;;
    sunspots) echo "" ;;
    *) echo 12 ;;
  esac
}
printf "%-16s %6s %8s %8s %8s %8s %8s %8s  %s\n" series rows baton ets snaive last R-ets R-arima scheme
for csv in "$out"/data/*.csv; do
  name="$(basename "$csv" .csv)"
  season="$(season_of "$name")"
  args=(forecast train --csv "$csv" --target value --time date --out "$out/run-$name" --json --quiet)
  [ -n "$season" ] && args+=(--season "$season")
  # A series too short for the default window (72 monthly rows) is retried with --window 24, as a user would.
  json="$($baton "${args[@]}" "$@" 2>/dev/null | tail -n 1)" || json="$($baton "${args[@]}" --window 24 "$@" | tail -n 1)"
  read -r mase ets snaive last train validation first_season scheme < <(python3 -c '
import json, sys
j = json.loads(sys.argv[1]); b = j["baselines"]
print(j["test"]["mase"], b["ets"]["mase"], b["seasonal_naive"]["mase"], b["last_value"]["mase"],
      j["split"]["train"], j["split"]["validation"], j["seasons"][0], j["scheme"].replace(" ", "_"))' "$json")
  rows=$(( $(wc -l < "$csv") - 1 ))
  m="${season%%,*}"; m="${m:-$first_season}"
  ref="$out/reference-$name-$m-$train-$validation.txt"   # R's figures depend only on the split: kept between runs
  [ -s "$ref" ] || Rscript "$here/reference.R" "$csv" "$m" "$train" "$((train + validation))" 12 > "$ref"
  read -r rets rarima < "$ref"
  printf "%-16s %6d %8.4f %8.4f %8.4f %8.4f %8s %8s  %s\n" "$name" "$rows" "$mase" "$ets" "$snaive" "$last" "$rets" "$rarima" "$scheme"
done | tee "$out/table.txt"
python3 - "$out/table.txt" <<'PY'
import math, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def gmean(col):
    vals = [float(r[col]) for r in rows if r[col] not in ("NA", "nan")]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)), len(vals)
names = {2: "baton", 3: "ets", 4: "seasonal naive", 5: "last value", 6: "R ets/stlf", 7: "R auto.arima"}
for col, name in names.items():
    g, count = gmean(col)
    print(f"geometric mean MASE {name:<16} {g:.4f} ({count} series)")
print("baton below seasonal naive on", sum(float(r[2]) < float(r[4]) for r in rows), "of", len(rows))
PY
