#!/usr/bin/env bash
# libbpfseal.so exports exactly the allow-list (exported_symbols.txt: the C
# API and the C++ API, demangled), every exported symbol carries the version
# node of runtime/libbpfseal.map, and the SONAME carries a version. Fails on
# any symbol exported by accident (a std:: or nlohmann instance, an
# internal) and on any API symbol that went missing.
# usage: check_exports.sh LIBBPFSEAL_SO ALLOW_LIST
set -euo pipefail
lib=$1
allow=$2
node=LIBBPFSEAL_0.1

soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if ! [[ "$soname" =~ ^libbpfseal\.so\.[0-9]+(\.[0-9]+)*$ ]]; then
  echo "FAIL: SONAME of $lib is '$soname', not libbpfseal.so.<version>" >&2
  exit 1
fi

# name@@VERSION for every defined dynamic symbol (the version node itself is
# an absolute symbol named after the node).
syms=$(nm -D --defined-only --with-symbol-versions "$lib" | awk '{print $NF}')
unversioned=$(grep -v "@@$node\$" <<<"$syms" | grep -vx "$node" || true)
if [ -n "$unversioned" ]; then
  echo "FAIL: exported without version node $node:" >&2
  echo "$unversioned" | c++filt | sed 's/^/  /' >&2
  exit 1
fi
actual=$(grep -vx "$node" <<<"$syms" | grep -v "^$node@@" | sed "s/@@$node\$//" | c++filt | LC_ALL=C sort -u)
expected=$(grep -v '^#' "$allow" | grep -v '^$' | LC_ALL=C sort -u)
extra=$(LC_ALL=C comm -23 <(echo "$actual") <(echo "$expected"))
missing=$(LC_ALL=C comm -13 <(echo "$actual") <(echo "$expected"))
status=0
if [ -n "$extra" ]; then
  echo "FAIL: exported but not in $(basename "$allow") (mark only public API BPFSEAL_API):" >&2
  echo "$extra" | sed 's/^/  /' >&2
  status=1
fi
if [ -n "$missing" ]; then
  echo "FAIL: in $(basename "$allow") but not exported (lost BPFSEAL_API, or renamed):" >&2
  echo "$missing" | sed 's/^/  /' >&2
  status=1
fi
if [ $status -eq 0 ]; then
  echo "ok: $soname exports $(echo "$actual" | wc -l) symbols, all in $node, as $(basename "$allow") lists"
fi
exit $status
