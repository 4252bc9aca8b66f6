#!/usr/bin/env python3
"""Plain mutation harness for `bpfseal seal` and `bpfseal link` on damaged BPF
objects, run through the CLI so crashes inside libbpf (not instrumented for
libFuzzer) are seen too. Each input is a seed with 1-8 bytes or 32-bit words
changed, 80% of them in the structures libbpf trusts (section headers,
.symtab, .strtab, .rel*, .BTF, .BTF.ext, .maps).

A finding is: death by signal, a sanitizer report, an uncaught exception, an
error that is not exactly one line, or an output file left after a failure.
Findings are written to OUT_DIR/finding-<cmd>-<n>.o.

usage: mutate_cli.py BPFSEAL_TOOL SEED_DIR OUT_DIR [ITERATIONS] [RANDOM_SEED]
"""
import os
import random
import struct
import subprocess
import sys


def sections(d):
    shoff, = struct.unpack_from('<Q', d, 0x28)
    shnum, shstrndx = struct.unpack_from('<HH', d, 0x3c)
    secs = [struct.unpack_from('<IIQQQQIIQQ', d, shoff + i * 64) for i in range(shnum)]
    strtab = secs[shstrndx]

    def name(s):
        o = strtab[4] + s[0]
        return bytes(d[o:d.index(b'\0', o)]).decode()
    return shoff, shnum, [(name(s), s[4], s[5]) for s in secs]


def mutate(d, rng):
    shoff, shnum, secs = sections(d)
    hot = [(o, n) for name, o, n in secs
           if name in ('.symtab', '.strtab', '.BTF', '.BTF.ext', '.maps') or name.startswith('.rel')]
    hot.append((shoff, shnum * 64))
    for _ in range(rng.choice([1, 1, 2, 4, 8])):
        if rng.random() < 0.8:
            o, n = rng.choice(hot)
            p = o + rng.randrange(max(n, 1))
        else:
            p = rng.randrange(len(d))
        p = min(p, len(d) - 1)
        r = rng.random()
        if r < 0.5:
            d[p] ^= 1 << rng.randrange(8)
        elif r < 0.8:
            d[p] = rng.choice([0, 0xff, 0x7f, 0x80, rng.randrange(256)])
        elif p + 4 <= len(d):
            struct.pack_into('<I', d, p, rng.choice(
                [0, 0xffffffff, 0x7fffffff, 0x80000000, len(d), rng.randrange(1 << 32)]))


def main():
    tool, seed_dir, out_dir = sys.argv[1:4]
    iterations = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    os.makedirs(out_dir, exist_ok=True)
    seeds = [os.path.join(seed_dir, f) for f in sorted(os.listdir(seed_dir)) if f.endswith('.o')]
    work = os.path.join(out_dir, 'in.o')
    findings = 0
    outcomes = {}
    for i in range(iterations):
        d = bytearray(open(rng.choice(seeds), 'rb').read())
        mutate(d, rng)
        open(work, 'wb').write(d)
        for cmd in ('seal', 'link'):
            out = os.path.join(out_dir, 'out.o')
            try:
                r = subprocess.run([tool, cmd, work, '-o', out], capture_output=True, timeout=30)
            except subprocess.TimeoutExpired:
                r = None
            err = r.stderr.decode(errors='replace') if r else 'timeout'
            bad = (r is None or r.returncode < 0 or 'Sanitizer' in err or 'runtime error' in err
                   or 'terminate called' in err
                   or (r.returncode != 0 and err.rstrip('\n').count('\n') != 0))
            if r and r.returncode != 0 and os.path.exists(out):
                bad, err = True, 'output left behind after failure: ' + err
            if bad:
                findings += 1
                open(os.path.join(out_dir, f'finding-{cmd}-{i}.o'), 'wb').write(d)
                print(f'FINDING {cmd} #{i}: {err[:400]!r}', flush=True)
            if os.path.exists(out):
                os.unlink(out)
            key = f'{cmd}:{"timeout" if r is None else r.returncode}'
            outcomes[key] = outcomes.get(key, 0) + 1
    os.unlink(work)
    print(f'{iterations} inputs, {findings} findings, outcomes {outcomes}')
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
