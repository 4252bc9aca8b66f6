#!/usr/bin/env bash
# Fresh Debian bookworm machine to full test run: installs the dependencies,
# builds, and runs every test suite (unit, lit, end-to-end on the running
# kernel, the guest-kernel matrix in QEMU). Tests that need root, a guest
# kernel or a kernel feature print why they skip.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh"
build=${BPFSEAL_BUILD_DIR:-$here/build}
ctest --test-dir "$build" --output-on-failure --timeout 3000 "$@"
