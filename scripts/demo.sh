#!/usr/bin/env bash
# Fresh Debian bookworm machine to the bpfseal demo: installs the dependencies,
# builds, and runs demo/run.sh (compile, seal, sign, verify, load, attach,
# count; a tampered and a foreign-signed copy rejected). Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh"
exec "$here/demo/run.sh" "${BPFSEAL_BUILD_DIR:-$here/build}"
