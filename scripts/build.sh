#!/usr/bin/env bash
# Configures and builds bpfseal into ${BPFSEAL_BUILD_DIR:-build}.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BPFSEAL_BUILD_DIR:-$here/build}
jobs=${BPFSEAL_JOBS:-$(nproc)}
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$build" -j "$jobs"
