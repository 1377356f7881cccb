#!/usr/bin/env bash
# Writes samples/kjv.txt (4.3 MB, the King James Bible from Debian's bible-kjv package) for the
# real-text figures in README. Tests do not need it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v bible >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bible-kjv
fi
mkdir -p samples
bible "gen1:1-rev22:21" > samples/kjv.txt
wc -c samples/kjv.txt
