#!/usr/bin/env bash
# Builds and runs the three samples, and fails (exit 1) when one fails or prints a result outside its sanity bound.
#   samples/run.sh                                      against src/Baton (ProjectReference)
#   samples/run.sh --package-source DIR --version V     against the Baton package V found in DIR (e.g. from dotnet pack)
set -euo pipefail
cd "$(dirname "$0")"

source_dir=""
version=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --package-source) source_dir="$2"; shift 2 ;;
        --version) version="$2"; shift 2 ;;
        *) echo "samples/run.sh: unknown option '$1' (--package-source DIR --version V)" >&2; exit 2 ;;
    esac
done
if [[ -n "$source_dir" || -n "$version" ]] && [[ -z "$source_dir" || -z "$version" ]]; then
    echo "samples/run.sh: --package-source and --version go together" >&2
    exit 2
fi

build_args=(-c Release --nologo -v quiet)
if [[ -n "$version" ]]; then
    source_dir="$(cd "$source_dir" && pwd)"
    # A private packages folder, so that a package rebuilt under the same version is not served from the global cache.
    packages="$(mktemp -d)"
    trap 'rm -rf "$packages"' EXIT
    build_args+=("-p:BatonPackageVersion=$version" "-p:RestoreAdditionalProjectSources=$source_dir" "-p:RestorePackagesPath=$packages")
fi

failed=0
# name | the line prefix of its result | awk test of the value
check() {
    local name="$1" prefix="$2" test="$3"
    echo "== $name"
    if ! dotnet build "$name" "${build_args[@]}" >"/tmp/baton-sample-$name.log" 2>&1; then
        cat "/tmp/baton-sample-$name.log" >&2
        echo "FAIL $name: build failed" >&2
        failed=1
        return
    fi
    local start=$SECONDS output
    if ! output="$(dotnet run --project "$name" --no-build -c Release 2>&1)"; then
        echo "$output" >&2
        echo "FAIL $name: exited with an error" >&2
        failed=1
        return
    fi
    echo "$output"
    local value
    value="$(echo "$output" | sed -n "s/^$prefix: *//p" | tail -1)"
    if [[ -z "$value" ]] || ! awk -v v="$value" "BEGIN { exit !($test) }"; then
        echo "FAIL $name: '$prefix: $value' is outside the bound ($test)" >&2
        failed=1
        return
    fi
    echo "ok $name ($prefix $value, $((SECONDS - start)) s)"
}

check Forecast "test MAE" "v < 6"                            # mean forecast: 16.1, same hour yesterday: 3.8
check Classify "test accuracy" "v >= 0.9"                    # chance: 0.33
check CharModel "training loss (nats per character)" "v < 0.5"   # uniform guess: ln 28 = 3.3
exit $failed
