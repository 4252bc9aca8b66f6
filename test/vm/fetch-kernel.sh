#!/bin/sh
# fetch-kernel.sh KIND [CACHE_DIR]
#
# Fetches the newest Debian cloud kernel of one matrix KIND into CACHE_DIR
# (default ${BPFSEAL_VM_CACHE:-${XDG_CACHE_HOME:-/var/cache}/bpfseal-vm}) through a
# private apt configuration (the machine's apt configuration is never touched),
# extracts vmlinuz, decompresses it to an ELF vmlinux (for its BTF) and prints
# the kernel directory on stdout. Everything is cached: when the kernel
# directory is complete, nothing is downloaded.
#
# KIND  suite             package pattern
# 5.10  bullseye          linux-image-5.10.0-*-cloud-amd64
# 6.1   bookworm          linux-image-6.1.0-*-cloud-amd64
# 6.12  trixie            linux-image-6.12.*-cloud-amd64
# 6.18  trixie-backports  linux-image-6.18.*-cloud-amd64
# 7.2   sid               linux-binary-7.2.*-cloud-amd64
# 7.3   trixie-backports  linux-binary-7.3.*-cloud-amd64 (the release; experimental only had 7.3-rc7)
#
# Exit status: 0 ok, 77 skip (no network to the archive / no apt), 1 error.
# Result files in $CACHE_DIR/kernels/<KIND>-<SUITE>/: vmlinuz, vmlinux, package, version.
set -eu

kind=${1:?usage: fetch-kernel.sh KIND [CACHE_DIR]}
cache=${2:-${BPFSEAL_VM_CACHE:-${XDG_CACHE_HOME:-/var/cache}/bpfseal-vm}}
here=$(cd "$(dirname "$0")" && pwd)

log() { echo "fetch-kernel[$kind]: $*" >&2; }
skip() { log "SKIP: $*"; exit 77; }

case $kind in
  5.10) suite=bullseye;         pattern='^linux-image-5\.10\.0-[0-9]+-cloud-amd64$' ;;
  6.1)  suite=bookworm;         pattern='^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' ;;
  6.12) suite=trixie;           pattern='^linux-image-6\.12\.[0-9]+\+deb[0-9]+-cloud-amd64$' ;;
  6.18) suite=trixie-backports; pattern='^linux-image-6\.18\.[0-9]+\+deb[0-9]+-cloud-amd64$' ;;
  7.2)  suite=sid;              pattern='^linux-binary-7\.2\.[0-9]+\+deb[0-9]+-cloud-amd64$' ;;
  7.3)  suite=trixie-backports; pattern='^linux-binary-7\.3\.[0-9]+\+deb[0-9]+-cloud-amd64$' ;;
  *) log "unknown kernel kind '$kind' (known: 5.10 6.1 6.12 6.18 7.2 7.3)"; exit 1 ;;
esac

# The suite is part of the cache key: a kind that moves suite (7.3: from the
# experimental rc to the trixie-backports release) is fetched anew.
kdir=$cache/kernels/$kind-$suite
# A cache made before the suite was part of the key (kernels/<KIND>) is reused
# when its package is one this suite's pattern names (not the old 7.3 rc).
legacy=$cache/kernels/$kind
if [ ! -e "$kdir" ] && [ -s "$legacy/vmlinuz" ] && [ -s "$legacy/vmlinux" ] &&
   grep -Eq "$pattern" "$legacy/package" 2>/dev/null; then
  # Hard links: a run of an older checkout may be using the old directory.
  cp -al "$legacy" "$kdir.tmp$$" && mv "$kdir.tmp$$" "$kdir" || rm -rf "$kdir.tmp$$"
fi
if [ -s "$kdir/vmlinuz" ] && [ -s "$kdir/vmlinux" ] && [ -s "$kdir/package" ]; then
  log "cached: $(cat "$kdir/package")"
  echo "$kdir"
  exit 0
fi

command -v apt-get >/dev/null || skip "apt-get not found"
command -v dpkg-deb >/dev/null || skip "dpkg-deb not found"

# The archive URI comes from the machine's own apt sources (deb822 or one-line form).
uri=${BPFSEAL_VM_ARCHIVE:-}
if [ -z "$uri" ]; then
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i ~ /debian\/?$/ && $i !~ /security/) {print $i; exit}}')
fi
if [ -z "$uri" ]; then
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*debian\/?$/ && $i !~ /security/) {print $i; exit}}')
fi
[ -n "$uri" ] || uri=http://deb.debian.org/debian
keyring=${BPFSEAL_VM_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
[ -r "$keyring" ] || skip "archive keyring $keyring not readable (install debian-archive-keyring)"

apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$cache/debs" "$kdir"
cat > "$apt_dir/sources.list.tmp" <<EOF
deb [signed-by=$keyring] $uri bullseye main
deb [signed-by=$keyring] $uri bookworm main
deb [signed-by=$keyring] $uri trixie main
deb [signed-by=$keyring] $uri trixie-backports main
deb [signed-by=$keyring] $uri sid main
EOF
# Other suites than the cached indexes were made for: refresh them now.
cmp -s "$apt_dir/sources.list.tmp" "$apt_dir/sources.list" || rm -f "$apt_dir/updated.stamp"
mv "$apt_dir/sources.list.tmp" "$apt_dir/sources.list"

apt_opts="-o Dir::Etc::SourceList=$apt_dir/sources.list -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir/cache
  -o Dir::State::status=/var/lib/dpkg/status -o Acquire::Languages=none
  -o APT::Architecture=amd64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root"

# Refresh the indexes at most once per run of the matrix (a stamp younger than
# BPFSEAL_VM_INDEX_MAX_AGE minutes, default 720, is reused).
stamp=$apt_dir/updated.stamp
if [ -z "$(find "$stamp" -mmin -"${BPFSEAL_VM_INDEX_MAX_AGE:-720}" 2>/dev/null)" ]; then
  log "apt-get update ($uri: bullseye bookworm trixie trixie-backports sid)"
  # apt-get update exits 0 on unreachable mirrors; it reports W:/E: lines instead.
  if ! out=$(timeout 300 apt-get $apt_opts update 2>&1); then
    echo "$out" >&2
    skip "apt-get update failed (no network to $uri?)"
  fi
  if echo "$out" | grep -Eq '^(W|E): (Failed to fetch|Some index files failed|The repository|GPG error)|NO_PUBKEY|not signed'; then
    echo "$out" | grep -E '^(W|E):' >&2
    if echo "$out" | grep -Eq 'GPG error|NO_PUBKEY|not signed|EXPKEYSIG'; then
      log "signature check of the archive indexes failed: refusing unverified packages"
      exit 1
    fi
    skip "archive unreachable: $uri"
  fi
  touch "$stamp"
fi

# Newest package of the pattern that the suite carries.
pkg=
for name in $(apt-cache $apt_opts pkgnames linux- 2>/dev/null | grep -E "$pattern" | sort -rV); do
  if apt-cache $apt_opts madison "$name" | grep -q " $suite/main "; then
    pkg=$name
    break
  fi
done
[ -n "$pkg" ] || { log "no package matching $pattern in $suite"; exit 1; }
ver=$(apt-cache $apt_opts madison "$pkg" | awk -F'|' -v s=" $suite/main " 'index($3, s) {gsub(/ /, "", $2); print $2; exit}')
log "newest in $suite: $pkg $ver"

deb=$(ls "$cache/debs/${pkg}_"*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
  log "downloading $pkg=$ver"
  # apt-get download checks the .deb against the hash in the signed index.
  (cd "$cache/debs" && timeout 900 apt-get $apt_opts download "$pkg=$ver" >&2) ||
    skip "download of $pkg failed (network?)"
  deb=$(ls "$cache/debs/${pkg}_"*.deb | head -n1)
fi

tmp=$(mktemp -d "$kdir/extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
vmlinuz=$(find "$tmp/boot" "$tmp/usr/lib/modules" -maxdepth 2 -name 'vmlinuz*' -type f 2>/dev/null | head -n1)
[ -n "$vmlinuz" ] || { log "no vmlinuz in $deb"; exit 1; }
cp "$vmlinuz" "$kdir/vmlinuz.tmp"
python3 "$here/extract-vmlinux.py" "$kdir/vmlinuz.tmp" "$kdir/vmlinux.tmp"
mv "$kdir/vmlinuz.tmp" "$kdir/vmlinuz"
mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
case $(basename "$vmlinuz") in
  vmlinuz-*) basename "$vmlinuz" | sed 's/^vmlinuz-//' > "$kdir/release" ;;
  *) basename "$(dirname "$vmlinuz")" > "$kdir/release" ;;
esac
echo "$ver" > "$kdir/version"
echo "$pkg" > "$kdir/package"
log "ready: $kdir ($(cat "$kdir/release"))"
echo "$kdir"
