#!/usr/bin/env bash
# Builds bpfseal the way a distribution's Release build does (-O3, warnings
# as errors so a new -O3-only warning shows here first) and runs the unit
# tests in that tree. Only the unit-test target and what it needs are built
# (no plugin, no static CLI), through ccache when it is installed, so a
# second run costs seconds.
# usage: release_unit.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
dir=$2
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
else
  echo "note: ccache not found; the Release tree is built from scratch"
fi
cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBPFSEAL_WERROR=ON \
  -DBPFSEAL_BUILD_PLUGIN=OFF -DBPFSEAL_BUILD_STATIC_TOOL=OFF "${launcher[@]}" >/dev/null
cmake --build "$dir" --target bpfseal_unittests -j "${BPFSEAL_JOBS:-2}"
ctest --test-dir "$dir" -L unit -LE packaging --no-tests=error --output-on-failure
