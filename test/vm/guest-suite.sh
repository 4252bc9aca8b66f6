#!/bin/sh
# guest-suite.sh ART KIND
#
# The kernel-matrix suite. A guest's /init runs it under busybox sh; on the
# host run-matrix.sh runs it directly (dash). It drives the SHIPPED static
# bpfseal (ART/bin/bpfseal) and the helper bpfseal-vmtest against the objects
# prepare.sh made, and prints one line per test:
#   @@RESULT <test> PASS|FAIL|SKIP <detail>
# KIND says what this kernel is expected to do (docs/KERNEL.md, "Which scheme
# each kernel implements"): 5.10, 6.1, 6.12 and the host cannot verify
# signatures (userspace mode must work, kernel mode must fail closed); 6.18,
# 7.2 and 7.3 verify (kernel mode must work and refuse every damaged input
# with the kernel's errno). 5.10 cannot run a loader program either (no
# BPF_PROG_TYPE_SYSCALL, no CO-RE at BPF_PROG_LOAD): user-space and auto mode
# take the libbpf path there.
ART=${1:?usage: guest-suite.sh ART KIND}
KIND=${2:?usage: guest-suite.sh ART KIND}
B=$ART/bin/bpfseal
T=$ART/bin/bpfseal-vmtest
OBJS=$ART/objs
CERTS=$ART/certs
WORK=${TMPDIR:-/tmp}/bpfseal-vm.$$
mkdir -p "$WORK"

# nolsm is the 7.3 kernel booted with 'bpf' left out of lsm= (run-matrix.sh):
# it verifies signatures, but the BPF LSM that enforcement needs is off.
case $KIND in
  6.18|7.2|7.3|nolsm) VERIFIES=1 ;;
  *) VERIFIES=0 ;;
esac
# Kernels where only the libbpf path (CO-RE in user space) can create programs.
case $KIND in
  5.10) LIBBPF_ONLY=1 ;;
  *) LIBBPF_ONLY=0 ;;
esac
# The libbpf path trusts the sealed ELF only where the signature covers the
# whole file (format v2); it refuses a v1 object, naming the format.
FORMAT=$("$B" inspect --json "$OBJS/good.sealed.o" 2>/dev/null | sed -n 's/.*"format_version" *: *\([0-9]*\).*/\1/p' | head -n 1)
# The 6.18 scheme (loader-check, map->sha) and its bypasses: 6.18.x and 7.2;
# the host is 6.18 without the verifier, so the attacks run unsigned there.
case $KIND in
  6.18|7.2) BYPASS=signed ;;
  host) BYPASS=unsigned ;;
  *) BYPASS= ;;
esac

result() { # name status detail...
  name=$1 status=$2
  shift 2
  echo "@@RESULT $name $status $*"
}

# Live objects now: "progs N maps M". In a guest nothing else runs, so every
# object counts; on a shared host (other test suites load BPF, bpfseal's own
# loaders and metadata maps included) only the names of this suite's object:
# vm_count, vm_hits, vm_count.rodata, and the attacker's pwnd_cnt.
IDS_PREFIXES=
[ "$KIND" = host ] && IDS_PREFIXES="vm_ pwnd"
ids() { "$T" ids $IDS_PREFIXES; }

# Ids handed out between two `bpfseal-vmtest next-ids` answers A and B
# ("PROG_ID MAP_ID"), less what the later next-ids call itself used: its own
# probe program and map plus libbpf's feature probes in that fresh process,
# measured once here as the difference between two calls in a row. Guests
# only: on the host other processes take ids too.
if [ "$KIND" != host ]; then
  c0=$("$T" next-ids)
  c1=$("$T" next-ids)
  NEXT_IDS_PROGS=$(( ${c1% *} - ${c0% *} ))
  NEXT_IDS_MAPS=$(( ${c1#* } - ${c0#* } ))
fi
progs_made() { echo $(( ${2% *} - ${1% *} - NEXT_IDS_PROGS )); }
maps_made() { echo $(( ${2#* } - ${1#* } - NEXT_IDS_MAPS )); }

# The string value of "KEY" in a JSON report FILE (the first one), or "".
json_str() { sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p" "$2" | head -n 1; }

# Last line of output a load wrote, for a detail column.
lastline() { tail -n 1 "$1" | tr -s ' \t' ' ' | cut -c1-160; }

# The errno name the runtime reported: the `[ERRNO]` of the CLI's error line,
# or "errno":"NAME" in --json output.
errno_of() {
  e=$(sed -n 's/.*\[\(E[A-Z0-9]*\)\].*/\1/p' "$1" | tail -n 1)
  [ -n "$e" ] || e=$(sed -n 's/.*"errno" *: *"\(E[A-Z0-9]*\)".*/\1/p' "$1" | tail -n 1)
  echo "${e:-none}"
}

# load_ok NAME OBJ ARGS...: the load must succeed, attach, and count events;
# when it ends, every object it made must be gone.
load_ok() {
  name=$1 obj=$2
  shift 2
  before=$(ids)
  out=$WORK/$name.out
  "$B" load "$obj" "$@" --duration 4 --json >"$out" 2>&1 &
  pid=$!
  n=0 count=0
  while [ $n -lt 40 ]; do
    sleep 0.25
    n=$((n + 1))
    if [ "$("$T" prog-count "${COUNT_PROG:-vm_count}" 2>/dev/null)" = 1 ]; then
      # Give it a moment to see syscalls (this loop makes plenty).
      sleep 0.5
      count=$("$T" map-value "${COUNT_MAP:-vm_hits}" 0 2>/dev/null || echo 0)
      tgid=$("$T" map-value "${COUNT_MAP:-vm_hits}" "${SECOND_KEY:-1}" 2>/dev/null || echo 0)
      "$T" prog-xlated "${COUNT_PROG:-vm_count}" >"$WORK/$name.xlated" 2>&1
      break
    fi
    kill -0 $pid 2>/dev/null || break
  done
  wait $pid
  rc=$?
  level=$(json_str level "$out")
  loader=$(json_str loader "$out")
  level_text=$(json_str level_text "$out")
  ms=$(sed -n 's/.*"load_ms" *: *\([0-9]*\).*/\1/p' "$out" | head -n 1)
  loader_ok=1
  if [ -n "${EXPECT_LOADER:-}" ]; then
    case $loader in $EXPECT_LOADER) ;; *) loader_ok=0 ;; esac
  fi
  sleep 0.5
  after=$(ids)
  if [ $rc -ne 0 ]; then
    result "$name" FAIL "load exit $rc: $(lastline "$out")"
  elif [ "${count:-0}" -le 0 ] 2>/dev/null; then
    result "$name" FAIL "loaded (level ${level:-?}) but no events counted"
  elif [ "$after" != "$before" ]; then
    result "$name" FAIL "objects left behind: before '$before' after '$after'"
  elif [ -n "${SECOND_KEY:-}" ] && [ "${tgid:-0}" -le 0 ] 2>/dev/null; then
    result "$name" FAIL "loaded (level ${level:-?}) but nothing counted at key $SECOND_KEY of ${COUNT_MAP:-vm_hits}"
  elif [ -n "${EXPECT_MULTIPLE:-}" ] && [ $((count % EXPECT_MULTIPLE)) -ne 0 ]; then
    result "$name" FAIL "counted $count, not a multiple of the baked increment $EXPECT_MULTIPLE"
  elif [ $loader_ok = 0 ]; then
    result "$name" FAIL "ran loader '$loader', expected $EXPECT_LOADER on $KIND"
  elif [ -n "${EXPECT_LEVEL_TEXT:-}" ] && [ "$level_text" != "$EXPECT_LEVEL_TEXT" ]; then
    result "$name" FAIL "level '$level_text', expected '$EXPECT_LEVEL_TEXT' on $KIND"
  else
    second="last_tgid=$tgid"
    [ -n "${SECOND_KEY:-}" ] && second="key$SECOND_KEY=$tgid"
    result "$name" PASS "level=${level:-?}${level_text:+ ($level_text)} loader=${loader:-?} load_ms=${ms:-?} events=$count $second"
  fi
  cp "$out" "$WORK/last-ok.out"
}

# load_refused NAME "ERRNO ..." OBJ ARGS...: the load must fail with one of the
# errnos, no program or map may exist while it would have run, and (guests)
# no program may have been created beyond the runtime's probes and, where
# LOADERS_RUN=1, its loader: an object program that came and went counts too.
load_refused() {
  name=$1 want=$2 obj=$3
  shift 3
  before=$(ids)
  [ "$KIND" = host ] || next0=$("$T" next-ids)
  out=$WORK/$name.out
  "$B" load "$obj" "$@" --duration 3 --json >"$out" 2>&1 &
  pid=$!
  sleep 1
  during=$(ids)
  evil=$("$T" prog-count vm_count)
  wait $pid
  rc=$?
  made=
  if [ "$KIND" != host ]; then
    # Every id handed out meanwhile, even of objects already gone again.
    next1=$("$T" next-ids)
    made_progs=$(progs_made "$next0" "$next1")
    made_maps=$(maps_made "$next0" "$next1")
    made=" (created meanwhile: $made_progs progs, $made_maps maps)"
  fi
  allowed=$(( ${PROBE_PROGS:-0} + ${LOADERS_RUN:-0} ))
  got=$(errno_of "$out")
  grep -v '^ *$' "$out" | sed "s/^/@@LOG $name: /"
  ok=0
  for e in $want; do [ "$got" = "$e" ] && ok=1; done
  if [ $rc -eq 0 ]; then
    result "$name" FAIL "load succeeded (want $want)"
  elif [ -n "${REFUSAL_TEXT:-}" ] && ! grep -q -- "$REFUSAL_TEXT" "$out"; then
    result "$name" FAIL "refused ($got) but not with '$REFUSAL_TEXT': $(lastline "$out")"
  elif [ -n "$made" ] && [ "$made_progs" -gt "$allowed" ]; then
    result "$name" FAIL "refused ($got) but $made_progs programs were created (allowed: ${PROBE_PROGS:-0} probe + ${LOADERS_RUN:-0} loader)"
  elif [ "$during" != "$before" ] || [ "$evil" != 0 ]; then
    result "$name" FAIL "refused ($got) but objects existed: before '$before' during '$during'"
  elif [ $ok -ne 1 ]; then
    result "$name" FAIL "refused with $got, want $want: $(lastline "$out")"
  else
    result "$name" PASS "refused $got, nothing left$made"
  fi
}

# load_libbpf NAME OBJ ARGS...: a load that takes the libbpf path. A format
# v1 object must be refused (EPROTONOSUPPORT, naming the format) creating
# nothing; a v2 object must load as load_ok with the CO-RE-in-user-space level.
load_libbpf() {
  if [ "${FORMAT:-0}" -lt 2 ] 2>/dev/null; then
    lname=$1
    shift
    REFUSAL_TEXT='format v2'
    load_refused "$lname" EPROTONOSUPPORT "$@"
    REFUSAL_TEXT=
  else
    saved_loader=${EXPECT_LOADER:-}
    EXPECT_LOADER='none (libbpf)' EXPECT_LEVEL_TEXT='user-space-verified (CO-RE in user space)'
    load_ok "$@"
    EXPECT_LOADER=$saved_loader EXPECT_LEVEL_TEXT=
  fi
}

echo "@@KERNEL $(uname -r) kind=$KIND verifies=$VERIFIES libbpf_only=$LIBBPF_ONLY format=${FORMAT:-?}"

# ---- probe -------------------------------------------------------------------
# PROBE_PROGS: programs the runtime's kernel probe creates (and drops) per
# process; a refused load may create those and its own loader, nothing more.
[ "$KIND" = host ] || p0=$("$T" next-ids)
if "$B" probe --json >"$WORK/probe.json" 2>&1; then
  if [ "$KIND" != host ]; then
    p1=$("$T" next-ids)
    PROBE_PROGS=$(progs_made "$p0" "$p1")
  fi
  v=$(tr -d ' \n' <"$WORK/probe.json" | sed -n 's/.*"verifies_signatures":\(true\|false\).*/\1/p')
  lp=$(tr -d ' \n' <"$WORK/probe.json" | sed -n 's/.*"load_path":"\([a-z]*\)".*/\1/p')
  want=false
  [ $VERIFIES = 1 ] && want=true
  want_lp=loader
  [ $LIBBPF_ONLY = 1 ] && want_lp=libbpf
  if [ "$v" = "$want" ] && [ "$lp" = "$want_lp" ]; then
    result probe PASS "verifies_signatures=$v load_path=$lp"
  else
    result probe FAIL "verifies_signatures='$v' load_path='$lp', expected $want and $want_lp"
  fi
else
  result probe FAIL "$(lastline "$WORK/probe.json")"
fi
sed 's/^/@@PROBE /' "$WORK/probe.json"

# ---- keyrings ------------------------------------------------------------------
KR=$("$T" keyring-new bpfseal-vm-signer) && "$T" add-cert "$KR" "$CERTS/signer.der" >/dev/null || KR=
KR_OTHER=$("$T" keyring-new bpfseal-vm-other) && "$T" add-cert "$KR_OTHER" "$CERTS/other.der" >/dev/null || KR_OTHER=
KR_EMPTY=$("$T" keyring-new bpfseal-vm-empty) || KR_EMPTY=
SESSION_CERT=$("$T" add-cert session "$CERTS/signer.der" 2>"$WORK/session.err") || SESSION_CERT=

# ---- a verifying kernel without the BPF LSM (kind nolsm; then the suite ends) ----
# Signed loads still verify; `bpfseal enforce` must refuse to start, naming
# the missing 'bpf' in lsm= with the boot parameter to use, before anything
# is created (it checks the LSM list first). docs/SECURITY.md "Enforcement".
if [ "$KIND" = nolsm ]; then
  lsms=$(cat /sys/kernel/security/lsm 2>/dev/null)
  case ",$lsms," in
    ,,) result nolsm-lsm-list FAIL "no /sys/kernel/security/lsm" ;;
    *,bpf,*) result nolsm-lsm-list FAIL "'bpf' is active ($lsms): the boot did not leave it out" ;;
    *) result nolsm-lsm-list PASS "active LSMs: $lsms" ;;
  esac
  EXPECT_LOADER='kernel-check'
  load_ok nolsm-kernel-load "$OBJS/good.sealed.o" --mode kernel --keyring "${KR:-session}"
  EXPECT_LOADER=
  if [ ! -e "$OBJS/policy-enforce.sealed.o" ]; then
    result nolsm-enforce-refused SKIP "no enforcement policy built (needs the plugin: policy/)"
  else
    EKR=$("$T" keyring-new bpfseal-enforce) && "$T" add-cert "$EKR" "$CERTS/signer.der" "" >/dev/null || EKR=
    before=$(ids)
    n0=$("$T" next-ids)
    "$B" enforce --policy "$OBJS/policy-enforce.sealed.o" --keyring "${EKR:-1}" >"$WORK/nolsm.out" 2>&1
    rc=$?
    n1=$("$T" next-ids)
    after=$(ids)
    made=$(( $(progs_made "$n0" "$n1") + $(maps_made "$n0" "$n1") ))
    sed "s/^/@@LOG nolsm-enforce-refused: /" "$WORK/nolsm.out"
    if [ $rc -ne 0 ] && [ "$(wc -l <"$WORK/nolsm.out")" -eq 1 ] &&
       grep -q "the BPF LSM is not active: 'bpf' is not in the kernel's LSM list ($lsms) \[EOPNOTSUPP\] (hint: boot with lsm=$lsms,bpf" "$WORK/nolsm.out" &&
       [ "$made" -eq 0 ] && [ "$before" = "$after" ] &&
       ! "$B" enforce --status | grep -q 'enforcement: active' && [ ! -e /run/bpfseal/enforce ]; then
      result nolsm-enforce-refused PASS "exit $rc, nothing created: $(lastline "$WORK/nolsm.out" | cut -c1-140)"
    else
      result nolsm-enforce-refused FAIL "exit $rc, $made program/map id(s) used (ids $n0 -> $n1), before '$before' after '$after': $(lastline "$WORK/nolsm.out")"
    fi
    [ -n "$EKR" ] && "$T" keyring-drop "$EKR" 2>/dev/null
  fi
  for k in $KR $KR_OTHER $KR_EMPTY; do "$T" keyring-drop "$k" 2>/dev/null; done
  [ -n "$SESSION_CERT" ] && "$T" keyring-drop "$SESSION_CERT" 2>/dev/null
  rm -rf "$WORK"
  echo "@@SUITE-END"
  exit 0
fi

# ---- loads that must work --------------------------------------------------------
# Which loader each mode must pick here, by the kernel's behaviour and BTF:
# load-time verification (7.3) takes kernel-check in kernel mode; kernels
# with map->sha run their lc-<layout> variant; 6.1 and 6.12 have no map->sha;
# 5.10 runs no loader (libbpf path, load_libbpf).
case $KIND in
  5.10) EXPECT_USERSPACE= EXPECT_KERNEL= ;;
  6.1|6.12) EXPECT_USERSPACE='kernel-check' EXPECT_KERNEL= ;;
  7.3) EXPECT_USERSPACE='lc-*' EXPECT_KERNEL='kernel-check' ;;
  *) EXPECT_USERSPACE='lc-*' EXPECT_KERNEL='lc-*' ;;
esac
EXPECT_LOADER=$EXPECT_USERSPACE
if [ $LIBBPF_ONLY = 1 ]; then
  load_libbpf userspace "$OBJS/good.sealed.o" --mode userspace --cert "$CERTS/signer.crt"
else
  load_ok userspace "$OBJS/good.sealed.o" --mode userspace --cert "$CERTS/signer.crt"
fi
if [ $VERIFIES = 1 ]; then
  EXPECT_LOADER=$EXPECT_KERNEL
  if [ -n "$KR" ]; then
    load_ok kernel-keyring "$OBJS/good.sealed.o" --mode kernel --keyring "$KR"
  else
    result kernel-keyring FAIL "could not make a keyring with the signer cert"
  fi
  if [ -n "$SESSION_CERT" ]; then
    load_ok kernel-session "$OBJS/good.sealed.o" --mode kernel --keyring session
  else
    result kernel-session FAIL "add_key into the session keyring: $(cat "$WORK/session.err")"
  fi
  load_ok auto "$OBJS/good.sealed.o" --mode auto --keyring "${KR:-session}" --cert "$CERTS/signer.crt"
  case $(json_str level "$WORK/last-ok.out") in
    kernel-verified) result auto-level PASS "auto chose kernel-verified" ;;
    *) result auto-level FAIL "auto did not reach kernel-verified: $(lastline "$WORK/last-ok.out")" ;;
  esac
else
  # Kernel mode cannot be honoured: it must fail closed, creating nothing.
  load_refused kernel-mode-fails-closed EOPNOTSUPP \
    "$OBJS/good.sealed.o" --mode kernel --keyring session
  if [ $LIBBPF_ONLY = 1 ]; then
    load_libbpf auto "$OBJS/good.sealed.o" --mode auto --cert "$CERTS/signer.crt"
  else
    load_ok auto "$OBJS/good.sealed.o" --mode auto --cert "$CERTS/signer.crt"
  fi
fi

# load_strongest NAME OBJ: load_ok (load_libbpf on kernels without a loader)
# in the strongest mode this kernel offers.
load_strongest() {
  if [ $VERIFIES = 1 ]; then
    load_ok "$1" "$2" --mode kernel --keyring "${KR:-session}"
  elif [ $LIBBPF_ONLY = 1 ]; then
    load_libbpf "$1" "$2" --mode userspace --cert "$CERTS/signer.crt"
  else
    load_ok "$1" "$2" --mode userspace --cert "$CERTS/signer.crt"
  fi
}

# A value baked at seal time (--set increment=1000000007) reaches the kernel: every
# event adds that. Strongest mode this kernel offers.
EXPECT_MULTIPLE=1000000007
load_strongest baked-config "$OBJS/set.sealed.o"
EXPECT_MULTIPLE=

# 100 programs in one object: more program fds than libbpf's loader has stack
# slots for (32); the sealer widened its stack struct. The first and the last
# program count (slots 0 and 99 of vm_hund). Strongest mode this kernel offers.
if [ -e "$OBJS/hundred.sealed.o" ]; then
  COUNT_PROG=vm_h99 COUNT_MAP=vm_hund SECOND_KEY=99
  load_strongest hundred-programs "$OBJS/hundred.sealed.o"
  COUNT_PROG= COUNT_MAP= SECOND_KEY=
else
  result hundred-programs FAIL "no hundred.sealed.o in the guest's objects"
fi

# ---- the libbpf path (CO-RE in user space) ----------------------------------------
if [ $LIBBPF_ONLY = 1 ]; then
  # A BTF file given by option instead of /sys/kernel/btf/vmlinux (kernels
  # built without it): here a copy of the kernel's own.
  if cp /sys/kernel/btf/vmlinux "$WORK/vmlinux.btf" 2>/dev/null; then
    load_libbpf libbpf-btf-file "$OBJS/good.sealed.o" --mode userspace --cert "$CERTS/signer.crt" --btf "$WORK/vmlinux.btf"
  else
    result libbpf-btf-file SKIP "no /sys/kernel/btf/vmlinux to copy on $KIND"
  fi
  # The loader path asked for explicitly: this kernel refuses the loader
  # program (5.10: E2BIG, its bpf_attr predates the fields the loader's
  # BPF_PROG_LOAD uses; EINVAL for the program type elsewhere), the runtime
  # names that cause, and nothing of the object is created.
  REFUSAL_TEXT='cannot run a loader program'
  load_refused loader-path-unavailable "E2BIG EINVAL" "$OBJS/good.sealed.o" \
    --path loader --mode userspace --cert "$CERTS/signer.crt"
  REFUSAL_TEXT=
  result same-xlated-both-paths SKIP "$KIND has only the libbpf path"
else
  # Both paths exist here: the libbpf path asked for explicitly must hold the
  # same program in the kernel as the loader path did (row userspace).
  load_libbpf userspace-libbpf "$OBJS/good.sealed.o" --path libbpf --mode userspace --cert "$CERTS/signer.crt"
  if [ "${FORMAT:-0}" -lt 2 ] 2>/dev/null; then
    result same-xlated-both-paths SKIP "format v$FORMAT object: the libbpf path refuses it (needs format v2)"
  elif [ -s "$WORK/userspace.xlated" ] && ! grep -q '^error' "$WORK/userspace.xlated" &&
       cmp -s "$WORK/userspace.xlated" "$WORK/userspace-libbpf.xlated"; then
    result same-xlated-both-paths PASS "vm_count: $(grep -c . "$WORK/userspace.xlated") xlated insns equal (maps by name)"
  else
    sed "s/^/@@LOG xlated-loader: /" "$WORK/userspace.xlated"
    sed "s/^/@@LOG xlated-libbpf: /" "$WORK/userspace-libbpf.xlated"
    result same-xlated-both-paths FAIL "xlated instructions differ between the loader and the libbpf path"
  fi
fi

# ---- alternative program groups (seal --alternative) ------------------------------
# alt.sealed.o: group "fentry" (vm_alt_fentry, fentry on __x64_sys_openat) before group
# "tp" (vm_alt_tp, syscalls/sys_enter_openat); vm_alt_all (raw_tp) in no group. Every
# guest kernel from 6.1 on runs BPF trampolines: "fentry" must be kept, counting, and
# vm_alt_tp (which the loader loaded too) must not exist while the object is loaded.
# The host refuses trampolines: "tp" kept, no vm_alt_fentry. 5.10 has only the
# libbpf path, which refuses such objects creating nothing.
# alt_load MODE-ARGS...: load alt.sealed.o, check the group kept and the kernel's view.
alt_load() {
  case $KIND in
    host) want=tp keep=vm_alt_tp drop=vm_alt_fentry ki=1 di=0 ;;
    *) want=fentry keep=vm_alt_fentry drop=vm_alt_tp ki=0 di=1 ;;
  esac
  before=$(ids)
  out=$WORK/alternatives.out
  "$B" load "$OBJS/alt.sealed.o" "$@" --duration 4 --json >"$out" 2>&1 &
  pid=$!
  n=0 seen=0 kept_n=? drop_n=? hits=0 other=0 all=0
  while [ $n -lt 40 ]; do
    sleep 0.25
    n=$((n + 1))
    if [ "$("$T" prog-count vm_alt_all 2>/dev/null)" = 1 ]; then
      seen=1
      for f in /proc/version /proc/cpuinfo /proc/meminfo; do cat "$f" >/dev/null; done
      sleep 0.5
      kept_n=$("$T" prog-count $keep 2>/dev/null)
      drop_n=$("$T" prog-count $drop 2>/dev/null)
      hits=$("$T" map-value vm_alt_hits $ki 2>/dev/null || echo 0)
      other=$("$T" map-value vm_alt_hits $di 2>/dev/null || echo 0)
      all=$("$T" map-value vm_alt_hits 2 2>/dev/null || echo 0)
      break
    fi
    kill -0 $pid 2>/dev/null || break
  done
  wait $pid
  rc=$?
  kept=$(json_str kept "$out")
  why=$(json_str why "$out")
  level=$(json_str level "$out")
  sleep 0.5
  after=$(ids)
  if [ $rc -ne 0 ] || [ $seen = 0 ]; then
    result alternatives FAIL "load exit $rc: $(lastline "$out")"
  elif [ "$kept" != "$want" ]; then
    result alternatives FAIL "kept group '$kept' ($why), expected '$want' on $KIND"
  elif [ "$kept_n" != 1 ] || [ "$drop_n" != 0 ]; then
    result alternatives FAIL "kernel has $kept_n $keep and $drop_n $drop while loaded (want 1 and 0)"
  elif [ "${hits:-0}" -le 0 ] 2>/dev/null || [ "${all:-0}" -le 0 ] 2>/dev/null || [ "$other" != 0 ]; then
    result alternatives FAIL "counts: kept group $hits, other group $other, vm_alt_all $all"
  elif [ "$after" != "$before" ]; then
    result alternatives FAIL "objects left behind: before '$before' after '$after'"
  else
    result alternatives PASS "level=$level kept=$kept ($why); $keep events=$hits, $drop absent, vm_alt_all events=$all"
  fi
}
if [ ! -e "$OBJS/alt.sealed.o" ]; then
  result alternatives SKIP "no alt.sealed.o (made by prepare.sh)"
elif [ $LIBBPF_ONLY = 1 ]; then
  REFUSAL_TEXT='alternative program groups'
  load_refused alternatives EOPNOTSUPP "$OBJS/alt.sealed.o" --mode userspace --cert "$CERTS/signer.crt"
  REFUSAL_TEXT=
elif [ $VERIFIES = 1 ]; then
  alt_load --mode kernel --keyring "${KR:-session}"
else
  alt_load --mode userspace --cert "$CERTS/signer.crt"
fi

# ---- refusals -----------------------------------------------------------------------
if [ $VERIFIES = 1 ]; then
  K="--mode kernel --keyring ${KR:-session}"
  # bpfseal's reader refuses a damaged loader or metadata before any bpf()
  # call (format 2: the loaders are regenerated and compared, their
  # instructions carry the metadata hash); a junk signature reaches the
  # kernel, whose PKCS#7 parser refuses it.
  load_refused tampered-loader EKEYREJECTED "$OBJS/tampered-loader.sealed.o" $K
  load_refused tampered-metadata EKEYREJECTED "$OBJS/tampered-metadata.sealed.o" $K
  load_refused junk-signature EBADMSG "$OBJS/junk-sig.sealed.o" $K
  # The kernel's own refusal of the same damage, past the reader (as a
  # process that skips bpfseal would load it): 7.3 checks insns||metadata at
  # load; 6.18/7.2 check the loader's insns at load and its prologue finds
  # map->sha different from the hash it carries (verdict 2), creating nothing.
  raw_target="sealed:$OBJS/good.sealed.o"
  [ "$KIND" = 7.3 ] && raw_target="sealed-kc:$OBJS/good.sealed.o"
  raw_base=$(ids)
  raw_row() { # name damage expected-regex
    out=$WORK/$1.out
    "$T" raw-load "$2" "$raw_target" --keyring "${KR:-session}" >"$out" 2>&1
    rc=$?
    sed "s/^/@@LOG $1: /" "$out"
    line=$(sed -n 's/^.*RAW: //p' "$out" | tail -n 1)
    if [ $rc = 77 ]; then
      result "$1" SKIP "$(sed -n 's/^SKIP: //p' "$out" | tail -n 1)"
    elif [ $rc = 0 ] && printf '%s\n' "$line" | grep -Eq "$3"; then
      result "$1" PASS "$line"
    else
      result "$1" FAIL "want /$3/, got: ${line:-$(lastline "$out")}"
    fi
    # The kernel frees the tool's maps and programs after an RCU grace
    # period; the next rows count live objects, so wait for them to go.
    n=0
    while [ "$(ids)" != "$raw_base" ] && [ $n -lt 10 ]; do sleep 1; n=$((n + 1)); done
  }
  raw_row kernel-raw-good none '^loaded, retval 0, new progs [1-9]'
  raw_row kernel-refuses-tampered-loader loaders '^refused at load EKEYREJECTED .*new progs 0 maps 0$'
  if [ "$KIND" = 7.3 ]; then
    raw_row kernel-refuses-tampered-metadata metadata '^refused at load EKEYREJECTED .*new progs 0 maps 0$'
  else
    raw_row kernel-refuses-tampered-metadata metadata '^verdict 2, new progs 0 maps 0$'
  fi
  raw_row kernel-refuses-junk-signature junk-sig '^refused at load EBADMSG .*new progs 0 maps 0$'
  if [ -n "$KR_OTHER" ]; then
    load_refused wrong-cert ENOKEY "$OBJS/good.sealed.o" --mode kernel --keyring "$KR_OTHER"
  else
    result wrong-cert FAIL "could not make a keyring with the other cert"
  fi
  if [ -n "$KR_EMPTY" ]; then
    load_refused empty-keyring ENOKEY "$OBJS/good.sealed.o" --mode kernel --keyring "$KR_EMPTY"
  else
    result empty-keyring FAIL "could not make an empty keyring"
  fi
  # The kernel answers EINVAL for a keyring that does not exist; the runtime
  # checks the keyring first (keyctl describe) and refuses with the same
  # errno, naming the keyring, before any bpf().
  REFUSAL_TEXT=987654321
  load_refused unknown-keyring EINVAL "$OBJS/good.sealed.o" --mode kernel --keyring 987654321
  REFUSAL_TEXT=
else
  U="--mode userspace --cert $CERTS/signer.crt"
  # libbpfseal's CMS check (every loader's signature) refuses them before any bpf().
  load_refused tampered-loader EKEYREJECTED "$OBJS/tampered-loader.sealed.o" $U
  load_refused tampered-metadata EKEYREJECTED "$OBJS/tampered-metadata.sealed.o" $U
  load_refused junk-signature EBADMSG "$OBJS/junk-sig.sealed.o" $U
  load_refused wrong-cert ENOKEY "$OBJS/good.sealed.o" --mode userspace --cert "$CERTS/other.crt"
  result empty-keyring SKIP "no kernel verification on $KIND (keyrings unused)"
  for r in kernel-raw-good kernel-refuses-tampered-loader kernel-refuses-tampered-metadata \
           kernel-refuses-junk-signature; do
    result $r SKIP "no kernel verification on $KIND"
  done
  result unknown-keyring SKIP "no kernel verification on $KIND (keyrings unused)"
fi

# The libbpf path refuses every damaged input the loader path refuses, before
# anything of the object exists (on 5.10 the rows above already ran on it).
if [ $LIBBPF_ONLY = 0 ]; then
  L="--path libbpf --mode userspace --cert $CERTS/signer.crt"
  load_refused libbpf-tampered-loader EKEYREJECTED "$OBJS/tampered-loader.sealed.o" $L
  load_refused libbpf-tampered-metadata EKEYREJECTED "$OBJS/tampered-metadata.sealed.o" $L
  load_refused libbpf-junk-signature EBADMSG "$OBJS/junk-sig.sealed.o" $L
fi

# ---- the two bypasses of the 6.18 scheme ----------------------------------------------
bypass() { # attack target expectation-name
  out=$WORK/$3.out
  if [ $BYPASS = signed ]; then
    "$T" attack "$1" "$2" --keyring "${KR:-session}" >"$out" 2>&1
  else
    "$T" attack "$1" "$2" --unsigned >"$out" 2>&1
  fi
  rc=$?
  sed "s/^/@@LOG $3: /" "$out"
  line=$(sed -n 's/^RESULT: //p' "$out" | tail -n 1)
  case $rc in
    0) result "$3" PASS "${line:-ok}${BYPASS:+ ($BYPASS)}" ;;
    77) result "$3" SKIP "$(sed -n 's/^SKIP: //p' "$out" | tail -n 1)" ;;
    *) result "$3" FAIL "${line:-$(lastline "$out")}" ;;
  esac
}
if [ -n "$BYPASS" ]; then
  bypass zero-digest "upstream:$ART/upstream" bypass-zero-digest-upstream-vulnerable
  bypass zero-digest "sealed:$OBJS/good.sealed.o" bypass-zero-digest-bpfseal-defended
  bypass non-exclusive "upstream:$ART/upstream" bypass-nonexcl-upstream-vulnerable
  bypass non-exclusive "sealed:$OBJS/good.sealed.o" bypass-nonexcl-bpfseal-defended
elif [ "$KIND" = 7.3 ]; then
  # The same attacks against the load-time scheme: the kernel hashes the
  # bound map's contents into the signature check (and refuses non-exclusive
  # maps), so the rewrite is refused at load and nothing is created.
  BYPASS=signed
  bypass zero-digest "sealed-kc:$OBJS/good.sealed.o" bypass-zero-digest-kernel-check-defended
  bypass non-exclusive "sealed-kc:$OBJS/good.sealed.o" bypass-nonexcl-kernel-check-defended
  BYPASS=
  why="7.3 verifies insns||metadata at load time; loader-check signatures are refused"
  for t in bypass-zero-digest-upstream-vulnerable bypass-zero-digest-bpfseal-defended \
           bypass-nonexcl-upstream-vulnerable bypass-nonexcl-bpfseal-defended; do
    result "$t" SKIP "$why"
  done
else
  why="the 6.18 scheme does not exist on $KIND"
  for t in bypass-zero-digest-upstream-vulnerable bypass-zero-digest-bpfseal-defended \
           bypass-nonexcl-upstream-vulnerable bypass-nonexcl-bpfseal-defended; do
    result "$t" SKIP "$why"
  done
fi

# ---- enforcement (bpfseal enforce; last: irreversible within a boot) -----------
# Audit mode first (it does not protect itself, so it can be removed), then
# enforce mode until the guest powers off. docs/SECURITY.md "Enforcement".
enforce_rows="enforce-audit-admits enforce-start enforce-status enforce-plain-load-refused enforce-exemption-admitted
  enforce-userspace-load-refused enforce-kernel-load-admitted enforce-session-keyring-refused
  enforce-unlisted-keyring-refused enforce-sigcheck-before-hook enforce-preexisting-loader-refused enforce-bypass-zero-digest-refused enforce-bypass-nonexcl-refused
  enforce-link-fd-refused enforce-map-write-refused enforce-unpin-refused enforce-umount-refused
  enforce-keyring-locked enforce-audited enforce-audit-bpftool-admitted enforce-held-link-ops-refused
  enforce-bpftool-refused enforce-exemption-other-cgroup-refused enforce-audit-overflow-counted enforce-status-signer enforce-audit-prog-tag"
# The audit log so far (consumed by reading), JSON lines.
audit_log() { "$B" audit --json >>"$WORK/audit.jsonl" 2>&1; }
# prog_load events with DECISION and RULE by COMM: how many.
audit_count() { grep '"event":"prog_load"' "$WORK/audit.jsonl" | grep "\"decision\":\"$1\"" | grep "\"rule\":\"$2\"" | grep -c "\"comm\":\"$3\""; }
# The same, also matching a "FIELD":VALUE text (e.g. '"prog_type":"xdp"').
audit_count_with() { grep '"event":"prog_load"' "$WORK/audit.jsonl" | grep "\"decision\":\"$1\"" | grep "\"rule\":\"$2\"" | grep "\"comm\":\"$3\"" | grep -c "$4"; }
# The host's bpftool, copied into the initramfs by run-matrix.sh with its
# libraries; its prog load is what an administrator would type.
BPFTOOL=/usr/sbin/bpftool
[ -x "$BPFTOOL" ] || BPFTOOL=
BPFTOOL_PIN=/sys/fs/bpf/bpfseal-bpftool-plain
if [ ! -e "$OBJS/policy-enforce.sealed.o" ]; then
  for t in $enforce_rows enforce-refuses-to-start; do result "$t" SKIP "no enforcement policy built (needs the plugin: policy/)"; done
elif [ $VERIFIES = 1 ]; then
  # The release key added with an empty description: the kernel names it
  # "<certificate subject>: <key id>" (what enforce --status shows as signer).
  EKR=$("$T" keyring-new bpfseal-enforce) && EKR_KEY=$("$T" add-cert "$EKR" "$CERTS/signer.der" "") || EKR=
  # A syscall program loaded (unsigned) before enforcement starts, run after.
  "$T" stale-loader "$ART/upstream" "$WORK/stale.go" >"$WORK/stale.out" 2>&1 &
  stale_pid=$!
  i=0; while [ $i -lt 40 ] && ! grep -q 'stale loader loaded' "$WORK/stale.out"; do sleep 0.25; i=$((i + 1)); done
  # Audit mode: the same unsigned load is admitted and logged as would-refuse.
  if [ -n "$EKR" ] && "$B" enforce --policy "$OBJS/policy-audit.sealed.o" --keyring "$EKR" \
       --pin-dir /run/bpfseal/audit >"$WORK/audit-start.out" 2>&1; then
    got=$("$T" plain-load)
    audit_log
    n=$(audit_count would-refuse unsigned bpfseal-vmtest)
    if [ "$got" = ok ] && [ "$n" -ge 1 ]; then
      result enforce-audit-admits PASS "unsigned load admitted, $n would-refuse event(s)"
    else
      result enforce-audit-admits FAIL "plain load: $got, would-refuse events: $n"
    fi
    # bpftool prog load of an unsigned XDP object: admitted (pinned), logged
    # as would-refuse under comm bpftool with the program's type and name.
    if [ -z "$BPFTOOL" ]; then
      result enforce-audit-bpftool-admitted SKIP "no bpftool in this initramfs (run-matrix.sh copies the host's; install bpftool)"
      result enforce-audit-prog-tag SKIP "no bpftool in this initramfs (its prog show is the reference)"
    else
      "$BPFTOOL" prog load "$OBJS/plain.bpf.o" "$BPFTOOL_PIN" >"$WORK/bpftool-audit.out" 2>&1
      rc=$?
      sed "s/^/@@LOG bpftool-audit: /" "$WORK/bpftool-audit.out"
      audit_log
      nb=$(audit_count_with would-refuse unsigned bpftool '"prog_type":"xdp"')
      if [ $rc -eq 0 ] && [ -e "$BPFTOOL_PIN" ] && [ "$nb" -ge 1 ]; then
        result enforce-audit-bpftool-admitted PASS "bpftool prog load admitted and pinned, $nb would-refuse xdp event(s) by comm bpftool"
      else
        result enforce-audit-bpftool-admitted FAIL "bpftool exit $rc, pin $([ -e "$BPFTOOL_PIN" ] && echo present || echo absent), would-refuse xdp events $nb: $(lastline "$WORK/bpftool-audit.out")"
      fi
      # Id and tag exist only after the verifier: the policy's prog_loaded
      # event (lsm/bpf_prog, first fd) must name what bpftool reports.
      "$BPFTOOL" prog show pinned "$BPFTOOL_PIN" >"$WORK/bpftool-show.out" 2>&1
      sed "s/^/@@LOG bpftool-show: /" "$WORK/bpftool-show.out"
      pid_=$(sed -n 's/^\([0-9]*\): xdp .*/\1/p' "$WORK/bpftool-show.out" | head -n 1)
      ptag=$(sed -n 's/.* tag \([0-9a-f]*\).*/\1/p' "$WORK/bpftool-show.out" | head -n 1)
      nt=$(grep '"event":"prog_loaded"' "$WORK/audit.jsonl" | grep '"comm":"bpftool"' | grep "\"prog_id\":${pid_:-x}," | grep -c "\"tag\":\"${ptag:-x}\"")
      if [ -n "$pid_" ] && [ -n "$ptag" ] && [ "$ptag" != 0000000000000000 ] && [ "$nt" = 1 ]; then
        result enforce-audit-prog-tag PASS "prog_loaded event: id $pid_ tag $ptag, as bpftool prog show reports"
      else
        grep '"event":"prog_loaded"' "$WORK/audit.jsonl" | sed "s/^/@@LOG prog-loaded: /" | head -n 5
        result enforce-audit-prog-tag FAIL "bpftool says id '$pid_' tag '$ptag'; matching prog_loaded events: $nt"
      fi
      rm -f "$BPFTOOL_PIN"
    fi
    # A process that already holds an fd of a policy link (here obtained by id,
    # which audit mode only logs; in enforce mode BPF_LINK_GET_FD_BY_ID is
    # refused, row enforce-link-fd-refused): the kernel implements neither
    # detach nor update for tracing (LSM/fentry) links, so the fd cannot
    # remove or replace the policy, and the policy still decides afterwards.
    "$B" enforce --status --json >"$WORK/audit-status.json" 2>&1
    alinks=$(sed -n '/"link_ids"/,/]/p' "$WORK/audit-status.json" | tr -dc '0-9\n' | grep .)
    bad= outcomes=
    for l in $alinks; do
      got=$("$T" link-ops "$l" 2>&1)
      outcomes="$outcomes $l: $got;"
      case $got in "detach ok"*|*"update ok"|"") bad=1 ;; esac
    done
    "$T" plain-load >/dev/null
    audit_log
    n2=$(audit_count would-refuse unsigned bpfseal-vmtest)
    if [ -n "$alinks" ] && [ -z "$bad" ] && [ "$n2" -gt "$n" ] && "$B" enforce --status | grep -q 'enforcement: active'; then
      result enforce-held-link-ops-refused PASS "held fds of $(echo $alinks | wc -w) policy links:$(echo "$outcomes" | head -c 120); policy still active and deciding"
    else
      result enforce-held-link-ops-refused FAIL "links '$alinks':$outcomes events before $n after $n2"
    fi
    umount /run/bpfseal/audit
    # The audit policy's programs go once the last pin is gone (RCU).
    i=0; while [ $i -lt 20 ] && "$B" enforce --status | grep -q 'enforcement: active'; do sleep 0.25; i=$((i + 1)); done
  else
    for t in enforce-audit-admits enforce-audit-bpftool-admitted enforce-held-link-ops-refused enforce-audit-prog-tag; do
      result $t FAIL "audit policy did not start: $(lastline "$WORK/audit-start.out")"
    done
  fi
  : >"$WORK/audit.jsonl"
  sed "s/^/@@LOG audit-start: /" "$WORK/audit-start.out"
  if [ -n "$EKR" ] && "$B" enforce --policy "$OBJS/policy-enforce.sealed.o" --keyring "$EKR" \
       --json >"$WORK/enforce-start.out" 2>&1; then
    result enforce-start PASS "kernel-verified policy active (keyring $EKR, locked)"
    sed "s/^/@@LOG enforce-start: /" "$WORK/enforce-start.out"
    "$B" enforce --status --json >"$WORK/status.json" 2>&1
    st=$(tr -d ' \n' <"$WORK/status.json")
    case $st in
      *'"active":true,"mode":"enforce","self_protected":true'*) result enforce-status PASS "active, mode enforce, self-protected" ;;
      *) result enforce-status FAIL "$(lastline "$WORK/status.json")" ;;
    esac
    # The signer: the key of the allowed keyring that verified the policy,
    # found by the key id the policy's signature names (signer.crt's, from
    # openssl on the host), named by the kernel from the certificate subject.
    skid=$(cat "$CERTS/signer.skid")
    "$B" enforce --status >"$WORK/status.txt" 2>&1
    case $st in
      *"\"signer\":\"keyid$skid,'bpfsealvmtestsigner:$skid'\",\"signer_key\":$EKR_KEY,"*)
        if [ -n "$skid" ] && grep -q "^signer: key id $skid, 'bpfseal vm test signer: $skid' (key $EKR_KEY); the kernel verified the policy against keyring $EKR" "$WORK/status.txt"; then
          result enforce-status-signer PASS "$(grep '^signer:' "$WORK/status.txt" | cut -c1-150)"
        else
          result enforce-status-signer FAIL "text: $(grep '^signer:' "$WORK/status.txt" | cut -c1-150) (key id '$skid')"
        fi ;;
      *) result enforce-status-signer FAIL "json has no signer key $EKR_KEY 'bpfseal vm test signer: $skid': $(grep signer "$WORK/status.json" | tr -d '\n' | cut -c1-200)" ;;
    esac
    got=$("$T" plain-load)
    [ "$got" = "refused EPERM" ] && result enforce-plain-load-refused PASS "libbpf bpf_prog_load: EPERM" \
      || result enforce-plain-load-refused FAIL "plain load: $got"
    # The signed exemption: unsigned cgroup_device programs from cgroup 1 only.
    got=$("$T" plain-load cgroup_device)
    [ "$got" = ok ] && result enforce-exemption-admitted PASS "unsigned cgroup_device from cgroup 1 admitted (rule exempt); socket_filter refused above" \
      || result enforce-exemption-admitted FAIL "cgroup_device load: $got"
    # The cgroup side of the exemption: the same unsigned cgroup_device load
    # from another cgroup is refused, and audited with that cgroup's id.
    cg=/sys/fs/cgroup
    [ -e $cg/cgroup.procs ] || mount -t cgroup2 cgroup2 $cg 2>"$WORK/cg.err"
    if mkdir -p $cg/bpfseal-other 2>>"$WORK/cg.err" && cgid=$(stat -c %i $cg/bpfseal-other); then
      got=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" plain-load cgroup_device' sh $cg/bpfseal-other "$T" 2>&1)
      rmdir $cg/bpfseal-other 2>/dev/null
      audit_log
      n=$(audit_count_with refused unsigned bpfseal-vmtest "\"cgroup_id\":$cgid,")
      if [ "$got" = "refused EPERM" ] && [ "$n" -ge 1 ]; then
        result enforce-exemption-other-cgroup-refused PASS "unsigned cgroup_device from cgroup $cgid (not the exempt 1): EPERM, $n refused event(s) with that cgroup id"
      else
        result enforce-exemption-other-cgroup-refused FAIL "cgroup $cgid: $got, refused events with that cgroup id: $n"
      fi
    else
      result enforce-exemption-other-cgroup-refused FAIL "cannot make a cgroup: $(cat "$WORK/cg.err")"
    fi
    # bpftool prog load of an unsigned object: EPERM, nothing pinned, audited.
    if [ -z "$BPFTOOL" ]; then
      result enforce-bpftool-refused SKIP "no bpftool in this initramfs (run-matrix.sh copies the host's; install bpftool)"
    else
      "$BPFTOOL" prog load "$OBJS/plain.bpf.o" "$BPFTOOL_PIN" >"$WORK/bpftool.out" 2>&1
      rc=$?
      sed "s/^/@@LOG bpftool: /" "$WORK/bpftool.out"
      audit_log
      # libbpf (bpftool's, 1.1) first loads a trivial socket filter to see
      # that loading works at all; that refusal ends the command.
      n=$(audit_count refused unsigned bpftool)
      if [ $rc -ne 0 ] && grep -q 'Operation not permitted' "$WORK/bpftool.out" && [ ! -e "$BPFTOOL_PIN" ] && [ "$n" -ge 1 ]; then
        result enforce-bpftool-refused PASS "bpftool prog load: exit $rc, EPERM (Operation not permitted), nothing pinned, $n refused event(s) by comm bpftool"
      else
        result enforce-bpftool-refused FAIL "bpftool exit $rc, pin $([ -e "$BPFTOOL_PIN" ] && echo present || echo absent), refused events by bpftool $n: $(lastline "$WORK/bpftool.out")"
      fi
    fi
    "$B" load "$OBJS/good.sealed.o" --path loader --mode userspace --cert "$CERTS/signer.crt" --exit-after-load --json >"$WORK/e-us.out" 2>&1
    e=$(errno_of "$WORK/e-us.out")
    [ "$e" = EPERM ] && result enforce-userspace-load-refused PASS "user-space-verified load: EPERM" \
      || result enforce-userspace-load-refused FAIL "got $e: $(lastline "$WORK/e-us.out")"
    EXPECT_LOADER=$EXPECT_KERNEL
    load_ok enforce-kernel-load-admitted "$OBJS/good.sealed.o" --mode kernel --keyring "$EKR"
    EXPECT_LOADER=
    # Verified by the kernel, but against keyrings any process of the session
    # can write: not approval.
    for kr in session:enforce-session-keyring-refused "${KR:-none}":enforce-unlisted-keyring-refused; do
      "$B" load "$OBJS/good.sealed.o" --mode kernel --keyring "${kr%%:*}" --exit-after-load --json >"$WORK/e-kr.out" 2>&1
      e=$(errno_of "$WORK/e-kr.out")
      [ "$e" = EPERM ] && result "${kr#*:}" PASS "signed load via keyring ${kr%%:*}: EPERM" \
        || result "${kr#*:}" FAIL "got $e: $(lastline "$WORK/e-kr.out")"
    done
    # Where the hook runs relative to the signature check: a junk signature
    # with a keyring the policy refuses. Check first: the kernel's EBADMSG;
    # hook first: the policy's EPERM.
    "$B" load "$OBJS/junk-sig.sealed.o" --mode kernel --keyring session --exit-after-load --json >"$WORK/e-junk.out" 2>&1
    e=$(errno_of "$WORK/e-junk.out")
    [ "$e" = EBADMSG ] && result enforce-sigcheck-before-hook PASS "junk signature + refused keyring: EBADMSG (the kernel checked before the LSM hook)" \
      || result enforce-sigcheck-before-hook FAIL "got $e: $(lastline "$WORK/e-junk.out")"
    touch "$WORK/stale.go"
    wait $stale_pid
    sed "s/^/@@LOG stale-loader: /" "$WORK/stale.out"
    if grep -q '^created 0 programs, retval -' "$WORK/stale.out"; then
      result enforce-preexisting-loader-refused PASS "unsigned loader from before enforcement: $(grep '^created' "$WORK/stale.out")"
    else
      result enforce-preexisting-loader-refused FAIL "$(lastline "$WORK/stale.out")"
    fi
    for a in zero-digest:enforce-bypass-zero-digest-refused non-exclusive:enforce-bypass-nonexcl-refused; do
      "$T" attack "${a%%:*}" "upstream:$ART/upstream" --keyring "$EKR" >"$WORK/e-att.out" 2>&1
      sed "s/^/@@LOG ${a#*:}: /" "$WORK/e-att.out"
      if grep -q '^attacker program refused: Operation not permitted' "$WORK/e-att.out"; then
        result "${a#*:}" PASS "the attacker's first program (map writer) refused: EPERM"
      else
        result "${a#*:}" FAIL "$(lastline "$WORK/e-att.out")"
      fi
    done
    links=$(sed -n '/"link_ids"/,/]/p' "$WORK/status.json" | tr -dc '0-9\n' | grep .)
    maps=$(sed -n '/"map_ids"/,/]/p' "$WORK/status.json" | tr -dc '0-9\n' | grep .)
    bad=
    for l in $links; do got=$("$T" fd-by-id link "$l"); [ "$got" = "refused EPERM" ] || bad="$bad link $l: $got;"; done
    [ -n "$links" ] && [ -z "$bad" ] && result enforce-link-fd-refused PASS "BPF_LINK_GET_FD_BY_ID of $(echo $links | wc -w) policy links: EPERM (no fd to detach/update)" \
      || result enforce-link-fd-refused FAIL "links '$links':$bad"
    bad=
    # The state map (first id); the ring buffer is readable by design (bpfseal audit).
    m1=$(echo "$maps" | head -n 1)
    got=$("$T" fd-by-id map "$m1")
    [ -n "$m1" ] && [ "$got" = "refused EPERM" ] && result enforce-map-write-refused PASS "writable fd to the policy state map: EPERM" \
      || result enforce-map-write-refused FAIL "map '$m1': $got"
    if rm -f /run/bpfseal/enforce/bpfseal_load 2>"$WORK/rm.err" || [ ! -e /run/bpfseal/enforce/bpfseal_load ]; then
      result enforce-unpin-refused FAIL "the pin could be removed"
    else
      result enforce-unpin-refused PASS "unlink of the pin refused: $(cat "$WORK/rm.err" | cut -c1-80)"
    fi
    if umount /run/bpfseal/enforce 2>"$WORK/um.err" || umount -l /run/bpfseal/enforce 2>>"$WORK/um.err"; then
      result enforce-umount-refused FAIL "the policy's bpffs could be unmounted"
    else
      result enforce-umount-refused PASS "umount (also lazy) refused"
    fi
    if "$T" add-cert "$EKR" "$CERTS/other.der" >"$WORK/lock.out" 2>&1; then
      result enforce-keyring-locked FAIL "a key could be added to the allow-listed keyring"
    else
      result enforce-keyring-locked PASS "add_key into the allow-listed keyring refused: $(lastline "$WORK/lock.out" | sed 's/.*: //')"
    fi
    audit_log
    sed "s/^/@@LOG audit: /" "$WORK/audit.jsonl" | head -n 40
    r=$(audit_count refused unsigned bpfseal-vmtest)
    k=$(audit_count refused keyring-not-allowed bpfseal)
    v=$(audit_count admitted verified-loader bpfseal)
    s=$(audit_count admitted signed-allowed-keyring bpfseal)
    p=$(grep -c '"rule":"self-protection"' "$WORK/audit.jsonl")
    u=$(audit_count refused unadmitted-loader bpfseal-vmtest)
    x=$(audit_count admitted exempt bpfseal-vmtest)
    if [ "$r" -ge 1 ] && [ "$k" -ge 2 ] && [ "$v" -ge 1 ] && [ "$s" -ge 1 ] && [ "$p" -ge 3 ] && [ "$u" -ge 1 ] && [ "$x" -ge 1 ]; then
      result enforce-audited PASS "refused unsigned $r, keyring-not-allowed $k, admitted signed $s + loader-made $v, self-protection $p, unadmitted loader $u, exempt $x"
    else
      result enforce-audited FAIL "refused unsigned $r, keyring-not-allowed $k, admitted signed $s + loader-made $v, self-protection $p, unadmitted loader $u, exempt $x"
    fi
    # Overflow: with the log just read, more refused loads than the 256 KiB
    # ring buffer holds (~2700 events). Every one is either read back or
    # counted as dropped by the policy, shown by enforce --status and audit.
    dropped_of() { tr -d ' \n' <"$1" | sed -n 's/.*"dropped_events":\([0-9]*\).*/\1/p' | tail -n 1; }
    "$B" enforce --status --json >"$WORK/st0.json" 2>&1
    d0=$(dropped_of "$WORK/st0.json")
    flood=4000
    got=$("$T" plain-loads $flood)
    "$B" enforce --status --json >"$WORK/st1.json" 2>&1
    d1=$(dropped_of "$WORK/st1.json")
    "$B" audit --json >"$WORK/flood.jsonl" 2>&1
    "$B" audit >"$WORK/flood.txt" 2>&1
    head -n 2 "$WORK/flood.jsonl" | sed "s/^/@@LOG flood: /"
    read_back=$(grep '"event":"prog_load"' "$WORK/flood.jsonl" | grep '"decision":"refused"' | grep -c '"name":"plain_flood"')
    da=$(grep '"event":"dropped"' "$WORK/flood.jsonl" | sed -n 's/.*"dropped_events":\([0-9]*\).*/\1/p' | tail -n 1)
    if [ "$got" = "ok 0 refused $flood" ] && [ -n "$d0" ] && [ -n "$d1" ] && [ "$d1" -gt "$d0" ] &&
       [ $((read_back + d1 - d0)) -eq $flood ] && [ "$da" = "$d1" ] &&
       grep -q "^dropped $d1 event(s)" "$WORK/flood.txt"; then
      result enforce-audit-overflow-counted PASS "$flood refused loads: $read_back read back + $((d1 - d0)) dropped (status and audit say $d1 in total)"
    else
      result enforce-audit-overflow-counted FAIL "loads '$got', read back $read_back, dropped status $d0 -> $d1, audit says '$da', text '$(lastline "$WORK/flood.txt")'"
    fi
  else
    for t in enforce-start enforce-bpftool-refused enforce-exemption-other-cgroup-refused enforce-audit-overflow-counted enforce-status-signer; do
      result $t FAIL "enforce policy did not start: $(lastline "$WORK/enforce-start.out")"
    done
    sed "s/^/@@LOG enforce-start: /" "$WORK/enforce-start.out"
  fi
else
  # No verifier (6.12, the host): enforcement must refuse to start, naming
  # the reason, and create nothing.
  "$B" enforce --policy "$OBJS/policy-enforce.sealed.o" --keyring 1 >"$WORK/enforce-start.out" 2>&1
  rc=$?
  if [ $rc -ne 0 ] && [ "$(wc -l <"$WORK/enforce-start.out")" -eq 1 ] && grep -q 'cannot verify BPF program signatures\|BPF LSM is not active' "$WORK/enforce-start.out" &&
     ! "$B" enforce --status | grep -q 'enforcement: active' && [ ! -e /run/bpfseal/enforce ]; then
    result enforce-refuses-to-start PASS "$(lastline "$WORK/enforce-start.out" | cut -c1-120)"
  else
    result enforce-refuses-to-start FAIL "rc $rc: $(lastline "$WORK/enforce-start.out")"
  fi
  for t in $enforce_rows; do result "$t" SKIP "no signature verification on $KIND: enforcement refuses to start"; done
fi

for k in $KR $KR_OTHER $KR_EMPTY; do "$T" keyring-drop "$k" 2>/dev/null; done
[ -n "$SESSION_CERT" ] && "$T" keyring-drop "$SESSION_CERT" 2>/dev/null
rm -rf "$WORK"
echo "@@SUITE-END"
