#!/bin/sh
# guest-suite.sh ART KIND
#
# The kernel-matrix suite. A guest's /init runs it under busybox sh; on the
# host run-matrix.sh runs it directly (dash). It drives the SHIPPED static
# bpfseal (ART/bin/bpfseal) and the helper bpfseal-vmtest against the objects
# prepare.sh made, and prints one line per test:
#   @@RESULT <test> PASS|FAIL|SKIP <detail>
# KIND says what this kernel is expected to do (KERNEL_FACTS.md): 6.12 and the
# host cannot verify signatures (userspace mode must work, kernel mode must
# fail closed); 6.18, 7.2 and 7.3 verify (kernel mode must work and refuse
# every damaged input with the kernel's errno).
ART=${1:?usage: guest-suite.sh ART KIND}
KIND=${2:?usage: guest-suite.sh ART KIND}
B=$ART/bin/bpfseal
T=$ART/bin/bpfseal-vmtest
OBJS=$ART/objs
CERTS=$ART/certs
WORK=${TMPDIR:-/tmp}/bpfseal-vm.$$
mkdir -p "$WORK"

case $KIND in
  6.18|7.2|7.3) VERIFIES=1 ;;
  *) VERIFIES=0 ;;
esac
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
    if [ "$("$T" prog-count vm_count 2>/dev/null)" = 1 ]; then
      # Give it a moment to see syscalls (this loop makes plenty).
      sleep 0.5
      count=$("$T" map-value vm_hits 0 2>/dev/null || echo 0)
      tgid=$("$T" map-value vm_hits 1 2>/dev/null || echo 0)
      break
    fi
    kill -0 $pid 2>/dev/null || break
  done
  wait $pid
  rc=$?
  level=$(sed -n 's/.*"level" *: *"\([^"]*\)".*/\1/p' "$out" | head -n 1)
  loader=$(sed -n 's/.*"loader" *: *"\([^"]*\)".*/\1/p' "$out" | head -n 1)
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
  elif [ -n "${EXPECT_MULTIPLE:-}" ] && [ $((count % EXPECT_MULTIPLE)) -ne 0 ]; then
    result "$name" FAIL "counted $count, not a multiple of the baked increment $EXPECT_MULTIPLE"
  elif [ $loader_ok = 0 ]; then
    result "$name" FAIL "ran loader '$loader', expected $EXPECT_LOADER on $KIND"
  else
    result "$name" PASS "level=${level:-?} loader=${loader:-?} load_ms=${ms:-?} events=$count last_tgid=$tgid"
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
    made_progs=$(( ${next1% *} - ${next0% *} - 1 ))
    made_maps=$(( ${next1#* } - ${next0#* } - 1 ))
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

echo "@@KERNEL $(uname -r) kind=$KIND verifies=$VERIFIES"

# ---- probe -------------------------------------------------------------------
# PROBE_PROGS: programs the runtime's kernel probe creates (and drops) per
# process; a refused load may create those and its own loader, nothing more.
[ "$KIND" = host ] || p0=$("$T" next-ids)
if "$B" probe --json >"$WORK/probe.json" 2>&1; then
  if [ "$KIND" != host ]; then
    p1=$("$T" next-ids)
    PROBE_PROGS=$(( ${p1% *} - ${p0% *} - 1 ))
  fi
  v=$(tr -d ' \n' <"$WORK/probe.json" | sed -n 's/.*"verifies_signatures":\(true\|false\).*/\1/p')
  want=false
  [ $VERIFIES = 1 ] && want=true
  if [ "$v" = "$want" ]; then
    result probe PASS "verifies_signatures=$v"
  else
    result probe FAIL "verifies_signatures='$v', expected $want"
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

# ---- loads that must work --------------------------------------------------------
# Which loader each mode must pick here, by the kernel's behaviour and BTF:
# load-time verification (7.3) takes kernel-check in kernel mode; kernels
# with map->sha run their lc-<layout> variant; 6.12 has no map->sha.
case $KIND in
  6.12) EXPECT_USERSPACE='kernel-check' EXPECT_KERNEL= ;;
  7.3) EXPECT_USERSPACE='lc-*' EXPECT_KERNEL='kernel-check' ;;
  *) EXPECT_USERSPACE='lc-*' EXPECT_KERNEL='lc-*' ;;
esac
EXPECT_LOADER=$EXPECT_USERSPACE
load_ok userspace "$OBJS/good.sealed.o" --mode userspace --cert "$CERTS/signer.crt"
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
  case $(sed -n 's/.*"level" *: *"\([^"]*\)".*/\1/p' "$WORK/last-ok.out" | head -n 1) in
    kernel-verified) result auto-level PASS "auto chose kernel-verified" ;;
    *) result auto-level FAIL "auto did not reach kernel-verified: $(lastline "$WORK/last-ok.out")" ;;
  esac
else
  # Kernel mode cannot be honoured: it must fail closed, creating nothing.
  load_refused kernel-mode-fails-closed EOPNOTSUPP \
    "$OBJS/good.sealed.o" --mode kernel --keyring session
  load_ok auto "$OBJS/good.sealed.o" --mode auto --cert "$CERTS/signer.crt"
fi

# A value baked at seal time (--set increment=1000000007) reaches the kernel: every
# event adds that. Strongest mode this kernel offers.
EXPECT_MULTIPLE=1000000007
if [ $VERIFIES = 1 ]; then
  load_ok baked-config "$OBJS/set.sealed.o" --mode kernel --keyring "${KR:-session}"
else
  load_ok baked-config "$OBJS/set.sealed.o" --mode userspace --cert "$CERTS/signer.crt"
fi
EXPECT_MULTIPLE=

# ---- refusals -----------------------------------------------------------------------
if [ $VERIFIES = 1 ]; then
  # 7.3: the kernel refuses the load (its signature covers the metadata).
  # 6.18/7.2: the signed loader loads, its prologue finds map->sha different
  # from the baked hash and returns its hash-mismatch verdict at run time
  # (creating nothing); the runtime names that cause (EKEYREJECTED).
  # On 7.3 the runtime tries kernel-check first (EKEYREJECTED: the signature
  # covers the metadata), cannot tell that from a scheme mismatch, tries its
  # loader-check variant, which 7.3 refuses with EACCES, and reports that
  # both forms were refused, as EKEYREJECTED.
  meta_text='prologue verdict 2'
  [ "$KIND" = 7.3 ] && meta_text='refused both loader forms'
  K="--mode kernel --keyring ${KR:-session}"
  load_refused tampered-loader EKEYREJECTED "$OBJS/tampered-loader.sealed.o" $K
  REFUSAL_TEXT=$meta_text
  LOADERS_RUN=0
  [ "$KIND" = 7.3 ] || LOADERS_RUN=1 # the signed loader loads, its prologue refuses
  load_refused tampered-metadata EKEYREJECTED "$OBJS/tampered-metadata.sealed.o" $K
  REFUSAL_TEXT= LOADERS_RUN=0
  load_refused junk-signature EBADMSG "$OBJS/junk-sig.sealed.o" $K
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
  result unknown-keyring SKIP "no kernel verification on $KIND (keyrings unused)"
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

for k in $KR $KR_OTHER $KR_EMPTY; do "$T" keyring-drop "$k" 2>/dev/null; done
[ -n "$SESSION_CERT" ] && "$T" keyring-drop "$SESSION_CERT" 2>/dev/null
rm -rf "$WORK"
echo "@@SUITE-END"
