#!/bin/sh
# run-matrix.sh [--kernels 5.10,6.1,6.12,6.18,7.2,7.3,nolsm,host] [--report-dir DIR] [--build-dir DIR]
#               [--cache DIR] [--timeout SECONDS]
#
# The kernel matrix (test/README.md). For each kernel: fetch the newest Debian
# cloud kernel of its suite (fetch-kernel.sh; cached, a second run downloads
# nothing), build a busybox initramfs with the static bpfseal, bpfseal-vmtest,
# the sealed test objects and certificates, boot it under QEMU (TCG: this
# machine's /dev/kvm cannot run stock kernels), and collect the suite's
# results from the serial console. "host" runs the same suite directly;
# "nolsm" boots the 7.3 kernel with 'bpf' left out of lsm= and runs only the
# rows about that (enforcement must refuse to start).
# Prints a table kernel x test -> PASS/FAIL/SKIP(reason) and wall time per
# kernel; writes DIR/<kernel>/{serial.log,results.txt} and DIR/summary.txt.
#
# Environment: BPFSEAL_VM_CACHE (kernel cache, default /var/cache/bpfseal-vm),
# BPFSEAL_VM_TIMEOUT (per boot, default 600 s), BPFSEAL_VM_QEMU (the emulator),
# BPFSEAL_VM_ARCHIVE (Debian mirror URI, default: the machine's apt sources).
#
# Exit status: 0 all ran tests passed, 1 a test failed, a guest panicked or
# hung, 77 everything was skipped (no qemu, no network to the archive).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
kernels=5.10,6.1,6.12,6.18,7.2,7.3,nolsm,host
build=${BPFSEAL_BUILD_DIR:-$src/build}
report=
cache=${BPFSEAL_VM_CACHE:-/var/cache/bpfseal-vm}
boot_timeout=${BPFSEAL_VM_TIMEOUT:-600}
qemu=${BPFSEAL_VM_QEMU:-qemu-system-x86_64}

while [ $# -gt 0 ]; do
  case $1 in
    --kernels) kernels=$2; shift 2 ;;
    --report-dir) report=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --timeout) boot_timeout=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-matrix: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run-matrix: no build dir $build" >&2; exit 1; }
report=${report:-$build/test/vm/report}
mkdir -p "$report"
report=$(cd "$report" && pwd)
export BPFSEAL_VM_CACHE=$cache

log() { echo "run-matrix: $*" >&2; }
now() { date +%s; }

# Host-side artifacts, shared by every kernel of this run.
prep=$report/prepared
if ! "$here/prepare.sh" "$build" "$prep" >"$report/prepare.log" 2>&1; then
  cat "$report/prepare.log" >&2
  log "FAIL: could not prepare the test objects"
  exit 1
fi

# Per-kernel results: $report/<kernel>/results.txt holds "test STATUS detail".
record() { # kernel test status detail
  k=$1 t=$2 s=$3
  shift 3
  echo "$t $s $*" >>"$report/$k/results.txt"
}

build_initramfs() { # kernel-kind out.gz
  root=$(mktemp -d "$report/initramfs.XXXXXX")
  mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/art"
  busybox=$(command -v busybox || echo /bin/busybox)
  file -L "$busybox" | grep -q 'statically linked' || { log "busybox is not static (install busybox-static)"; return 1; }
  cp "$busybox" "$root/bin/busybox"
  cp -r "$prep/art/." "$root/art/"
  # The host's bpftool (a dynamic executable) with its shared libraries and
  # the dynamic loader, at the paths ldd names, for the `bpftool prog load`
  # rows; without it those rows SKIP with the reason.
  bpftool=$(PATH=$PATH:/usr/sbin:/sbin command -v bpftool)
  if [ -n "$bpftool" ]; then
    mkdir -p "$root/usr/sbin"
    cp -L "$bpftool" "$root/usr/sbin/bpftool"
    for lib in $(ldd "$bpftool" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  fi
  cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
export PATH=/bin TMPDIR=/tmp
echo "@@BOOTED \$(uname -r) \$(cut -d' ' -f1 /proc/uptime)s"
/art/bin/bpfseal-vmtest session sh /art/guest-suite.sh /art $1
echo "@@DONE \$(cut -d' ' -f1 /proc/uptime)s"
poweroff -f
EOF
  chmod +x "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$2.tmp" && mv "$2.tmp" "$2"
  rc=$?
  rm -rf "$root"
  return $rc
}

accel_args() {
  if [ -w /dev/kvm ] && grep -qE '^(kvm_intel|kvm_amd) ' /proc/modules 2>/dev/null; then
    echo "-accel kvm -cpu host"
  else
    echo "-accel tcg,thread=multi -cpu max"
  fi
}

# The LSMs a guest boots with; the nolsm kind leaves out the BPF LSM.
lsm_list() { # kernel-kind
  if [ "$1" = nolsm ]; then echo lockdown,capability,landlock,yama,apparmor
  else echo lockdown,capability,landlock,yama,apparmor,bpf; fi
}

# The Debian kernel a kind boots.
kernel_of() { # kernel-kind
  if [ "$1" = nolsm ]; then echo 7.3; else echo "$1"; fi
}

boot() { # kernel-kind kdir initrd serial-log
  # shellcheck disable=SC2046
  timeout --foreground -k 10 "$boot_timeout" "$qemu" $(accel_args) -m 1024 -smp 2 \
    -nographic -no-reboot -kernel "$2/vmlinuz" -initrd "$3" \
    -append "console=ttyS0 panic=-1 quiet lsm=$(lsm_list "$1")" </dev/null >"$4" 2>&1
}

run_guest() { # kind
  kind=$1 dir=$report/$1
  command -v "$qemu" >/dev/null || { record "$kind" boot SKIP "$qemu not installed (apt-get install qemu-system-x86)"; return 0; }
  kdir=$("$here/fetch-kernel.sh" "$(kernel_of "$kind")" "$cache" 2>"$dir/fetch.log")
  rc=$?
  if [ $rc -eq 77 ]; then
    record "$kind" boot SKIP "$(sed -n 's/.*SKIP: //p' "$dir/fetch.log" | tail -n 1)"
    return 0
  elif [ $rc -ne 0 ]; then
    record "$kind" boot FAIL "fetch-kernel failed: $(tail -n 1 "$dir/fetch.log")"
    return 0
  fi
  { cat "$kdir/package" "$kdir/version" 2>/dev/null
    if grep -q 'downloading' "$dir/fetch.log"; then echo "(downloaded)"; else echo "(cached)"; fi
  } >"$dir/kernel.txt"
  build_initramfs "$kind" "$dir/initrd.gz" || { record "$kind" boot FAIL "initramfs build failed"; return 0; }
  for attempt in 1 2; do
    t0=$(now)
    boot "$kind" "$kdir" "$dir/initrd.gz" "$dir/serial.log"
    qrc=$?
    echo "boot attempt $attempt: qemu exit $qrc after $(($(now) - t0)) s" >>"$dir/boot.txt"
    if grep -q '^@@DONE' "$dir/serial.log"; then
      break
    fi
    # Multi-threaded TCG races with early-boot text patching: retry once.
    if [ $attempt = 1 ] && grep -q 'Oops: int3' "$dir/serial.log"; then
      cp "$dir/serial.log" "$dir/serial.attempt1.log"
      log "$kind: 'Oops: int3' early-boot race, retrying once"
      continue
    fi
    break
  done
  tr -d '\r' <"$dir/serial.log" | sed -n 's/^@@RESULT //p' >>"$dir/results.txt"
  if ! grep -q '^@@DONE' "$dir/serial.log"; then
    if [ $qrc = 124 ] || [ $qrc = 137 ]; then
      record "$kind" boot FAIL "guest hung: killed after ${boot_timeout}s (log kept: $dir/serial.log)"
    elif grep -qiE 'Kernel panic|Oops' "$dir/serial.log"; then
      record "$kind" boot FAIL "guest panicked: $(grep -m1 -iE 'Kernel panic|Oops' "$dir/serial.log" | tr -d '\r' | cut -c1-120) (log kept)"
    else
      record "$kind" boot FAIL "guest stopped before the suite ended (qemu exit $qrc; log kept)"
    fi
  else
    record "$kind" boot PASS "$(tr -d '\r' <"$dir/serial.log" | sed -n 's/^@@KERNEL //p' | head -n 1)"
    rm -f "$dir/initrd.gz" # rebuilt every run; kept only when the guest failed
  fi
}

run_host() {
  dir=$report/host
  if [ "$(id -u)" != 0 ]; then
    record host boot SKIP "the host suite needs root (bpf(), keyrings)"
    return 0
  fi
  TMPDIR=$dir "$prep/art/bin/bpfseal-vmtest" session sh "$prep/art/guest-suite.sh" "$prep/art" host >"$dir/serial.log" 2>&1
  sed -n 's/^@@RESULT //p' "$dir/serial.log" >>"$dir/results.txt"
  if grep -q '^@@SUITE-END' "$dir/serial.log"; then
    record host boot PASS "$(sed -n 's/^@@KERNEL //p' "$dir/serial.log" | head -n 1) (no guest)"
  else
    record host boot FAIL "suite stopped early (log: $dir/serial.log)"
  fi
}

list=$(echo "$kernels" | tr ',' ' ')
for k in $list; do
  case $k in 5.10|6.1|6.12|6.18|7.2|7.3|nolsm|host) ;; *) log "unknown kernel '$k' (5.10 6.1 6.12 6.18 7.2 7.3 nolsm host)"; exit 2 ;; esac
done
for k in $list; do
  rm -rf "${report:?}/$k"
  mkdir -p "$report/$k"
  : >"$report/$k/results.txt"
  t0=$(now)
  log "$k: start"
  if [ "$k" = host ]; then run_host; else run_guest "$k"; fi
  echo "$(($(now) - t0))" >"$report/$k/seconds"
  log "$k: $(grep -c ' PASS' "$report/$k/results.txt") pass, $(grep -c ' FAIL' "$report/$k/results.txt") fail, $(grep -c ' SKIP' "$report/$k/results.txt") skip, $(cat "$report/$k/seconds") s"
done

# The table: one row per test, one column per kernel; then the reasons.
summary=$report/summary.txt
{
  printf '%-40s' "test \\ kernel"
  for k in $list; do printf ' %-6s' "$k"; done
  echo
  tests=$(for k in $list; do cut -d' ' -f1 "$report/$k/results.txt"; done | awk '!seen[$0]++')
  for t in $tests; do
    printf '%-40s' "$t"
    for k in $list; do
      s=$(awk -v t="$t" '$1 == t {print $2; exit}' "$report/$k/results.txt")
      printf ' %-6s' "${s:--}"
    done
    echo
  done
  printf '%-40s' "wall time (s)"
  for k in $list; do printf ' %-6s' "$(cat "$report/$k/seconds")"; done
  echo
  echo
  for k in $list; do
    [ -s "$report/$k/kernel.txt" ] && echo "$k: $(tr '\n' ' ' <"$report/$k/kernel.txt")"
    grep -E ' (FAIL|SKIP) ' "$report/$k/results.txt" | sed "s/^/  $k: /"
  done
} >"$summary"
cat "$summary"

fails=$(cat $(for k in $list; do echo "$report/$k/results.txt"; done) | grep -c ' FAIL ')
passes=$(cat $(for k in $list; do echo "$report/$k/results.txt"; done) | grep -c ' PASS ')
if [ "$fails" -gt 0 ]; then
  log "FAILED: $fails failing test(s); details in $report"
  exit 1
fi
if [ "$passes" -eq 0 ]; then
  log "SKIP: nothing ran"
  exit 77
fi
exit 0
