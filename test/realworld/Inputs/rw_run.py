#!/usr/bin/env python3
"""Real-world pipeline driver for test/realworld: compile with the plugin, link,
seal, sign, verify, inspect --json, load with `bpfseal load --mode auto`, pin,
run a trigger, then read pinned maps with bpftool and check values.

Every step prints one line 'STEP: ...' so lit tests can FileCheck them. A step
that fails prints its stderr and the driver exits 1, except that with
--expect-load-error the load step must fail and its message is printed."""
import argparse, json, os, shlex, shutil, subprocess, sys


def run(cmd, check=True, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        print(f"FAILED: {' '.join(map(shlex.quote, cmd))} (exit {p.returncode})")
        print(p.stdout + p.stderr)
        sys.exit(1)
    return p


def values_of(entry):
    """bpftool -j entry -> the 'formatted' value (summed over CPUs for per-CPU maps)."""
    f = entry.get("formatted", entry)
    if "values" in f:
        return sum(v["value"] for v in f["values"])
    return f["value"]


def datasec_var(value, var):
    """VAR or VAR.FIELD in bpftool's formatted DATASEC value."""
    name, *fields = var.split(".")
    for sec in value.values():
        for item in sec:
            if name in item:
                v = item[name]
                for f in fields:
                    v = v[f]
                return v
    raise KeyError(var)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfseal", required=True)
    ap.add_argument("--bpftool", default="bpftool")
    ap.add_argument("--clang", required=True, help="clang line (with -I flags)")
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--name", required=True, help="object name (sealed object, pin dir)")
    ap.add_argument("--src", action="append", required=True)
    ap.add_argument("--cflag", action="append", default=[])
    ap.add_argument("--seal-arg", action="append", default=[])
    ap.add_argument("--load-arg", action="append", default=[])
    ap.add_argument("--target", action="append", default=[])
    ap.add_argument("--set-self", action="append", default=[],
                    help="VAR: --set VAR=<pid of the trigger> (the trigger is started first, stopped)")
    ap.add_argument("--trigger-stopped", action="store_true",
                    help="start the trigger first, stopped; {trigger_pid} in --target names it")
    ap.add_argument("--after-load", action="append", default=[],
                    help="shell command run after loading, before the trigger; {pin} is the pin dir")
    ap.add_argument("--trigger", help="shell command run after attaching")
    ap.add_argument("--check", action="append", default=[],
                    help="MAP:VAR>=N (global data) or MAP[KEY]>=N / MAP[KEY]==N (arrays/hashes)")
    ap.add_argument("--check-ksym", action="append", default=[],
                    help="MAP:VAR=SYMBOL: the global holds SYMBOL's address from /proc/kallsyms")
    ap.add_argument("--expect-load-error", action="store_true")
    ap.add_argument("--seal-hide-kallsyms", action="store_true",
                    help="seal in a mount namespace where /proc/kallsyms is empty (a build "
                         "machine that does not list the kernel's symbols)")
    ap.add_argument("--lo-up", action="store_true", help="bring lo up (in a private netns)")
    ap.add_argument("--cgroup", action="store_true",
                    help="make a cgroup v2 directory for the run; {cg} in --target/--trigger names it")
    a = ap.parse_args()
    if a.set_self and not a.trigger:
        ap.error("--set-self needs --trigger (the process whose pid is baked)")
    if a.trigger_stopped and not a.trigger:
        ap.error("--trigger-stopped needs --trigger")
    cg = None
    if a.cgroup:
        cg = f"/sys/fs/cgroup/unified/bpfseal-rw-{os.getpid()}"
        os.makedirs(cg)
        a.target = [t.replace("{cg}", cg) for t in a.target]
        a.trigger = a.trigger.replace("{cg}", cg)
    try:
        return pipeline(a)
    finally:
        if cg:
            os.rmdir(cg)


def pipeline(a):

    os.makedirs(a.work, exist_ok=True)
    key, cert = os.path.join(a.work, "k.pem"), os.path.join(a.work, "c.pem")
    if not os.path.exists(cert):
        run([a.bpfseal, "keygen", "--key", key, "--cert", cert, "--subject", "CN=rw-signer",
             "--bits", "2048"])
    if a.lo_up:
        run(["ip", "link", "set", "lo", "up"])

    objs = []
    for src in a.src:
        out = os.path.join(a.work, os.path.basename(src).replace(".c", ".o"))
        p = run(shlex.split(a.clang) + [f"-fplugin={a.plugin}"] + a.cflag + ["-c", src, "-o", out],
                check=False)
        if p.returncode:
            print(f"STEP: compile {os.path.basename(src)}: error")
            print(p.stderr.strip())
            sys.exit(1)
        print(f"STEP: compile {os.path.basename(src)}: ok")
        objs.append(out)
    linked = objs[0]
    if len(objs) > 1:
        linked = os.path.join(a.work, a.name + ".bpf.o")
        run([a.bpfseal, "link", *objs, "-o", linked])
        print(f"STEP: link {len(objs)} objects: ok")

    # Values that depend on the trigger's pid are baked: start the trigger
    # stopped (SIGSTOP via a shell) so its pid is known at seal time.
    trig = None
    seal_args = list(a.seal_arg)
    if a.set_self or a.trigger_stopped:
        trig = subprocess.Popen(["sh", "-c", "kill -STOP $$; exec " + a.trigger],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for var in a.set_self:
            seal_args += ["--set", f"{var}={trig.pid}"]

    sealed = os.path.join(a.work, a.name + ".sealed.o")
    seal_cmd = [a.bpfseal, "seal", linked, "-o", sealed, "--name", a.name, *seal_args]
    if a.seal_hide_kallsyms:
        seal_cmd = ["unshare", "-m", "sh", "-c",
                    'mount --bind /dev/null /proc/kallsyms && exec "$@"', "sh", *seal_cmd]
    p = run(seal_cmd, check=False)
    if p.returncode:
        print("STEP: seal: error")
        print(p.stderr.strip())
        if trig:
            trig.kill()
        sys.exit(1)
    print("STEP: seal: ok")
    # sign and verify seal the object's ELF again (checkReproducible): on the
    # sealing "machine" (the same hidden kallsyms), as the docs require for
    # objects whose recording depends on it.
    def on_sealing_machine(cmd):
        if a.seal_hide_kallsyms:
            return ["unshare", "-m", "sh", "-c",
                    'mount --bind /dev/null /proc/kallsyms && exec "$@"', "sh", *cmd]
        return cmd
    run(on_sealing_machine([a.bpfseal, "sign", sealed, "--key", key, "--cert", cert]))
    print("STEP: sign: ok")
    v = run(on_sealing_machine([a.bpfseal, "verify", sealed, "--cert", cert]))
    print("STEP: verify: ok")
    info = json.loads(run([a.bpfseal, "inspect", sealed, "--json"]).stdout)
    progs = info.get("programs", [])
    maps = info.get("maps", [])
    print(f"STEP: inspect: {len(progs)} programs, {len(maps)} maps")
    for pr in progs:
        print(f"STEP: inspect program {pr.get('name')} {pr.get('section')}")
    for m in maps:
        print(f"STEP: inspect map {m.get('name')} {m.get('type')} max_entries={m.get('max_entries')}")

    pin = f"/sys/fs/bpf/rw-{a.name}"
    shutil.rmtree(pin, ignore_errors=True)
    cmd = [a.bpfseal, "load", sealed, "--mode", "auto", "--cert", cert, "--pin", pin,
           "--exit-after-load", *a.load_arg]
    for t in a.target:
        cmd += ["--target", t.replace("{trigger_pid}", str(trig.pid)) if trig else t]
    p = run(cmd, check=False)
    if p.returncode:
        shutil.rmtree(pin, ignore_errors=True)
        if trig:
            trig.kill()
        if a.expect_load_error:
            print("STEP: load: refused (expected)")
            for line in (p.stdout + p.stderr).strip().splitlines():
                print("STEP: load: " + line)
            return 0
        print("STEP: load: error")
        print(p.stdout + p.stderr)
        sys.exit(1)
    if a.expect_load_error:
        print("STEP: load: unexpectedly succeeded")
        print(p.stdout)
        subprocess.run(["rm", "-rf", pin])
        sys.exit(1)
    for line in p.stdout.strip().splitlines():
        print("STEP: load: " + line)

    failed = False
    try:
        # The pins are named from the signed manifest, the fds behind them come
        # from the loader's descriptors: the kernel's own names must agree
        # (kernel names are cut to 15 characters), or the manifest order is wrong.
        for kind in ("maps", "progs"):
            d = f"{pin}/{kind}"
            for pname in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                show = json.loads(run([a.bpftool, kind[:-1] if kind == "maps" else "prog",
                                       "show", "pinned", f"{d}/{pname}", "-j"]).stdout)
                kname = show.get("name", "")
                agree = bool(kname) and pname.startswith(kname.replace(".", "_"))
                failed |= not agree
                if kind == "maps":
                    print(f"STEP: kernel map {pname} {show.get('type')} "
                          f"max_entries={show.get('max_entries')}"
                          f"{'' if agree else f' NAME MISMATCH (kernel: {kname})'}")
                elif not agree:
                    print(f"STEP: kernel prog {pname} NAME MISMATCH (kernel: {kname})")
        if not failed:
            print("STEP: pinned names agree with the kernel's objects")
        for cmd in a.after_load:
            t = subprocess.run(cmd.replace("{pin}", pin), shell=True, capture_output=True,
                               text=True)
            print(f"STEP: after-load: exit {t.returncode}")
            for line in t.stdout.splitlines():
                print(f"STEP: after-load out: {line}")
            if t.returncode:
                print(t.stdout + t.stderr)
                failed = True
        if trig:
            trig.send_signal(18)  # SIGCONT
            out, _ = trig.communicate(timeout=60)
            print(f"STEP: trigger: exit {trig.returncode}")
            if a.trigger_stopped:
                for line in out.strip().splitlines():
                    print(f"STEP: trigger out: {line}")
        elif a.trigger:
            t = subprocess.run(a.trigger, shell=True, capture_output=True, text=True, timeout=60)
            print(f"STEP: trigger: exit {t.returncode}")
        for c in a.check:
            op = ">=" if ">=" in c else "=="
            lhs, want = c.split(op)
            want = int(want)
            if "[" in lhs:
                mname, k = lhs[:-1].split("[")
                dump = json.loads(run([a.bpftool, "map", "dump", "pinned",
                                       f"{pin}/maps/{mname}", "-j"]).stdout)
                got = sum(values_of(e) for e in dump
                          if e.get("formatted", e).get("key") == int(k))
            else:
                mname, var = lhs.rsplit(":", 1)
                dump = json.loads(run([a.bpftool, "map", "dump", "pinned",
                                       f"{pin}/maps/{mname}", "-j"]).stdout)
                got = datasec_var(values_of(dump[0]), var)
            good = got >= want if op == ">=" else got == want
            failed |= not good
            print(f"STEP: check {lhs} = {got} ({op}{want}) {'ok' if good else 'FAILED'}")
        for c in a.check_ksym:
            lhs, sym = c.split("=")
            mname, var = lhs.rsplit(":", 1)
            want = next(int(l.split()[0], 16) for l in open("/proc/kallsyms")
                        if l.split()[2] == sym)
            dump = json.loads(run([a.bpftool, "map", "dump", "pinned",
                                   f"{pin}/maps/{mname}", "-j"]).stdout)
            got = datasec_var(values_of(dump[0]), var)
            good = got == want and want != 0
            failed |= not good
            print(f"STEP: check {lhs} is the address of {sym} in this kernel: "
                  f"{'ok' if good else f'FAILED ({got:#x} vs {want:#x})'}")
    finally:
        subprocess.run(["rm", "-rf", pin])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
