#!/usr/bin/env bash
# Installs every Debian bookworm package bpfseal needs to build, test and run its
# guest-kernel matrix. Idempotent; needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang-19 llvm-19 llvm-19-dev libclang-19-dev llvm-19-tools lld-19
  libbpf-dev libelf-dev zlib1g-dev libssl-dev openssl libkeyutils-dev keyutils
  bpftool googletest libgtest-dev libgmock-dev
  python3 nlohmann-json3-dev
  # <sys/sdt.h> for the USDT target program of test/realworld/usdt_attach.test
  systemtap-sdt-dev
  # guest-kernel matrix (test/vm)
  qemu-system-x86 busybox-static cpio xz-utils zstd file debian-archive-keyring
  # fuzzers (test/fuzz, -fsanitize=fuzzer)
  libclang-rt-19-dev
  # PKCS#11 signing tests
  softhsm2 libengine-pkcs11-openssl opensc
  # examples
  iproute2 iputils-ping
  # style check (scripts/format-check.sh)
  clang-format-19
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
