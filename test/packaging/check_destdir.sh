#!/usr/bin/env bash
# Installs the build the way a package build does (DESTDIR staging, prefix
# /usr) and checks that the staged tree is usable as it is: everything lands
# under DESTDIR, and no installed file (text or binary: debug info, RPATH,
# CMake and pkg-config files) names the build directory or the staging
# directory.
# usage: check_destdir.sh BUILD_DIR STAGE_DIR
set -euo pipefail
build=$(cd "$1" && pwd -P)
stage=$2
rm -rf "$stage"
mkdir -p "$stage"
stage=$(cd "$stage" && pwd -P)
DESTDIR="$stage" cmake --install "$build" --prefix /usr >/dev/null

outside=$(find "$stage" -mindepth 1 -maxdepth 1 ! -name usr)
if [ -n "$outside" ]; then
  echo "FAIL: cmake --install wrote outside DESTDIR/usr: $outside" >&2
  exit 1
fi
count=$(find "$stage/usr" -type f | wc -l)
if [ "$count" -lt 10 ]; then
  echo "FAIL: only $count files installed under $stage/usr" >&2
  exit 1
fi
for must in bin/bpfseal include/bpfseal/bpfseal.h include/bpfseal/bpfseal.hpp; do
  if [ ! -e "$stage/usr/$must" ]; then
    echo "FAIL: $must is not installed" >&2
    exit 1
  fi
done

# Only the public headers (runtime/README.md, "ABI"): no internal header.
headers=$(cd "$stage/usr/include/bpfseal" && ls | tr '\n' ' ')
if [ "$headers" != "api.h bpfseal.h bpfseal.hpp error.h format.h version.h " ]; then
  echo "FAIL: installed headers are: $headers(expected the public ones only)" >&2
  exit 1
fi

status=0
for needle in "$build" "$stage"; do
  # -a: binaries too; -F: the path literally.
  if hits=$(grep -rlaF -- "$needle" "$stage"); then
    echo "FAIL: installed files name $needle:" >&2
    for f in $hits; do
      echo "  ${f#"$stage"/}: $(grep -aoF -- "$needle" "$f" | head -1)..." >&2
    done
    status=1
  fi
done
[ $status -eq 0 ] && echo "ok: $count files under DESTDIR/usr, none names the build or staging directory"
exit $status
