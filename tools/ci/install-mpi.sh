#!/usr/bin/env bash
# Installs Open MPI from Debian (mpirun and libmpi.so.40) for the data-parallel tests; quick when it is already there.
set -euo pipefail
if command -v mpirun >/dev/null 2>&1 && ldconfig -p | grep 'libmpi\.so\.40' >/dev/null; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
# Another apt client may hold the lock for a while; wait for it rather than fail.
$sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends openmpi-bin libopenmpi-dev >/dev/null
command -v mpirun >/dev/null
