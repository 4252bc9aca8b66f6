#!/usr/bin/env bash
# Configures and builds bpfseal into ${BPFSEAL_BUILD_DIR:-build}.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BPFSEAL_BUILD_DIR:-$here/build}
jobs=${BPFSEAL_JOBS:-$(nproc)}
# The project's own builds (and so CI) treat warnings as errors; packagers'
# builds do not (BPFSEAL_WERROR defaults to OFF).
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBPFSEAL_WERROR=ON "$@"
cmake --build "$build" -j "$jobs"
