#!/usr/bin/env bash
# Rewrites PublicAPI.Unshipped.txt of the projects that lock their public API (src/Baton, src/Baton.Gpu by default)
# from what the code declares: the file is emptied, the project is compiled, and every RS0016 diagnostic
# ("Symbol '...' is not part of the declared public API") becomes one line, sorted. PublicAPI.Shipped.txt is left
# alone; a shipped symbol that is gone shows as RS0017 and is printed for a person to decide (a *REMOVED* line).
#
#   tools/publicapi/update.sh                 # both projects
#   tools/publicapi/update.sh src/Baton       # one project folder
#
# Review the diff of PublicAPI.Unshipped.txt before committing: it is the public surface as the next release will have it.
set -euo pipefail
cd "$(dirname "$0")/../.."
projects=("$@")
[ ${#projects[@]} -eq 0 ] && projects=(src/Baton src/Baton.Gpu)
for dir in "${projects[@]}"; do
  dir=${dir%/}
  unshipped="$dir/PublicAPI.Unshipped.txt"
  [ -f "$unshipped" ] || { echo "update.sh: $unshipped does not exist" >&2; exit 2; }
  full=$(cd "$dir" && pwd)
  printf '#nullable enable\n' > "$unshipped"
  log=$(mktemp)
  # The build fails while symbols are undeclared: its diagnostics are the point, so its exit status is not.
  dotnet build "$dir" -c Release --no-incremental -p:GenerateDocumentationFile=true 2>&1 > "$log" || true
  symbols=$(grep -F "$full/" "$log" | grep -F 'error RS0016:' \
    | sed -E "s/.*error RS0016: Symbol '(.*)' is not part of the declared public API.*/\1/" | LC_ALL=C sort -u || true)
  { printf '#nullable enable\n'; [ -n "$symbols" ] && printf '%s\n' "$symbols"; } > "$unshipped"
  count=$(printf '%s' "$symbols" | grep -c . || true)
  echo "$unshipped: $count symbols"
  grep -F "$full/" "$log" | grep -E 'error RS00(17|26|27|36|37|48|51)' | sed -E 's/ \[.*//' | sort -u || true
  rm -f "$log"
done
