#!/usr/bin/env python3
"""Downstream-use tests: the installed BpfSeal package, the CMake helpers'
error paths, key rotation, and the three examples built against the install
tree and run against the real kernel.

Each sub-command is one ctest entry (test/examples/CMakeLists.txt):

  install            cmake --install the build into a fresh prefix (fixture)
  package            installed layout, pkg-config, find_package from the
                     install tree and from the build tree
  configure-errors   one tiny project per mistake: configure must fail (or
                     warn) with the message that says what to do
  key-rotation       replacing/touching the signing cert re-runs only the
                     sign step (ninja -d explain), and the new signature is
                     made by the new key
  pkcs11             signing with a key inside a SoftHSM2 token
  example NAME       clean build of examples/NAME against the prefix, then
                     run it (root) and check what it printed

Exit status 77 means skipped (ctest SKIP_RETURN_CODE); the reason is printed.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

SKIP = 77


class Failure(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def run(cmd, *, cwd=None, env=None, check=True, timeout=600, quiet=False):
    """Runs cmd, returns CompletedProcess with text stdout+stderr combined."""
    log("$ " + " ".join(str(c) for c in cmd))
    start = time.monotonic()
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    took = time.monotonic() - start
    if not quiet or (check and p.returncode != 0):
        out = p.stdout.rstrip()
        if out:
            log(out)
    log(f"  -> exit {p.returncode} ({took:.1f} s)")
    if check and p.returncode != 0:
        raise Failure(f"command failed with exit {p.returncode}: {' '.join(map(str, cmd))}")
    return p


def squash(text):
    """CMake wraps and indents messages; compare with whitespace collapsed."""
    return re.sub(r"\s+", " ", text)


def expect_in(text, needle, what):
    if squash(needle) not in squash(text):
        raise Failure(f"{what}: expected to find {needle!r}")


def require_root(why):
    if os.geteuid() != 0:
        log(f"SKIP: needs root ({why})")
        sys.exit(SKIP)


def clean_env():
    env = dict(os.environ)
    for var in ("BpfSeal_DIR", "CMAKE_PREFIX_PATH", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR"):
        env.pop(var, None)
    return env


class Ctx:
    def __init__(self, args):
        self.build = os.path.abspath(args.build_dir)
        self.src = os.path.abspath(args.source_dir)
        self.prefix = os.path.abspath(args.prefix)
        self.work = os.path.abspath(args.work_dir)
        self.plugin_built = args.plugin == "ON"
        self.tool = os.path.join(self.prefix, "bin", "bpfseal")
        os.makedirs(self.work, exist_ok=True)

    def fresh(self, name):
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def configure(self, source, build, *defs, env=None, check=True, package_dir=None):
        cmd = ["cmake", "-S", source, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"]
        if package_dir:
            cmd.append(f"-DBpfSeal_DIR={package_dir}")
        else:
            cmd.append(f"-DCMAKE_PREFIX_PATH={self.prefix}")
        cmd += [f"-D{d}" for d in defs]
        return run(cmd, env=env or clean_env(), check=check)

    def require_install(self):
        if not os.path.exists(os.path.join(self.prefix, "lib", "cmake", "BpfSeal",
                                           "BpfSealConfig.cmake")):
            raise Failure(f"no BpfSeal package under {self.prefix}: the install test "
                          "(ctest -R examples-install) must run first")


# --- install -----------------------------------------------------------------

def cmd_install(ctx):
    shutil.rmtree(ctx.prefix, ignore_errors=True)
    run(["cmake", "--install", ctx.build, "--prefix", ctx.prefix], quiet=True)
    files = sorted(os.path.relpath(os.path.join(d, f), ctx.prefix)
                   for d, _, fs in os.walk(ctx.prefix) for f in fs)
    log(f"installed {len(files)} files under {ctx.prefix}")


# --- package -----------------------------------------------------------------

def cmd_package(ctx):
    ctx.require_install()
    libdir = os.path.join(ctx.prefix, "lib")
    expected = [
        "bin/bpfseal",
        "lib/libbpfseal.so",
        "lib/libbpfseal.a",
        "include/bpfseal/bpfseal.hpp",
        "include/bpfseal/bpfseal.h",
        "include/bpfseal/error.h",
        "include/bpfseal/format.h",
        "include/bpfseal/version.h",
        "lib/cmake/BpfSeal/BpfSealConfig.cmake",
        "lib/cmake/BpfSeal/BpfSealConfigVersion.cmake",
        "lib/cmake/BpfSeal/BpfSealTargets.cmake",
        "lib/cmake/BpfSeal/BpfSealHelpers.cmake",
        "lib/cmake/BpfSeal/README.md",
        "lib/pkgconfig/libbpfseal.pc",
    ]
    if ctx.plugin_built:
        expected.append("lib/bpfseal/BpfSealPlugin.so")
    missing = [f for f in expected if not os.path.exists(os.path.join(ctx.prefix, f))]
    if missing:
        raise Failure("missing from the install tree: " + ", ".join(missing))
    log("install tree has: " + ", ".join(expected))

    # pkg-config from the installed .pc (relocatable: the prefix was given
    # only to cmake --install), then a C++ program built with its flags.
    env = clean_env()
    env["PKG_CONFIG_PATH"] = os.path.join(libdir, "pkgconfig")
    flags = run(["pkg-config", "--cflags", "--libs", "libbpfseal"], env=env).stdout.split()
    dirs = {f[:2] + os.path.normpath(f[2:]) for f in flags if f[:2] in ("-I", "-L")}
    if f"-I{ctx.prefix}/include" not in dirs or f"-L{libdir}" not in dirs:
        raise Failure(f"pkg-config flags do not point into {ctx.prefix}: {flags}")
    work = ctx.fresh("pkgconfig")
    exe = os.path.join(work, "consumer")
    run(["g++", "-std=c++20", "-o", exe,
         os.path.join(ctx.src, "test/examples/projects/consumer/consumer.cpp")] + flags +
        [f"-Wl,-rpath,{libdir}"])
    check_consumer([exe], "pkg-config consumer")

    # find_package from the install tree and from the build tree. The
    # consumer also embeds an object compiled against a vmlinux.h given by
    # path under another name (VMLINUX_H).
    types_h = os.path.join(ctx.work, "kernel-types.h")
    for candidate in (os.path.join(ctx.build, "test", "vmlinux", "vmlinux.h"),
                      os.path.join(ctx.build, "bpfseal", "vmlinux", "vmlinux.h")):
        if os.path.exists(candidate):
            shutil.copy(candidate, types_h)
            break
    else:
        with open(types_h, "w") as f:
            subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux",
                            "format", "c"], stdout=f, check=True)
    src = os.path.join(ctx.src, "test/examples/projects/consumer")
    for label, package_dir in (("install tree", None), ("build tree", ctx.build)):
        b = ctx.fresh("consumer-" + label.replace(" ", "-"))
        ctx.configure(src, b, f"CONSUMER_VMLINUX_H={types_h}",
                      f"EXPECT_PLUGIN={'ON' if ctx.plugin_built else 'OFF'}",
                      package_dir=package_dir)
        run(["cmake", "--build", b], quiet=True)
        if os.path.exists(os.path.join(b, "bpfseal", "vmlinux", "vmlinux.h")) or \
                not any(d.startswith("vmlinux-") for d in os.listdir(os.path.join(b, "bpfseal"))):
            raise Failure(f"{label}: VMLINUX_H was not used instead of the kernel's BTF")
        out = run([os.path.join(b, "embedded_static")]).stdout
        for needle in ("object consumer,", "signed", "program on_getpid fd -1",
                       "map consumer.rodata fd -1"):
            if needle not in out:
                raise Failure(f"{label}: C++ skeleton output lacks {needle!r}")
        for exe in ("embedded_c", "sub/embedded_sub"):
            out = run([os.path.join(b, exe)]).stdout
            if "programs 1 maps 1, fds before load: prog -1 map -1" not in out:
                raise Failure(f"{label}: {exe}: C skeleton output unexpected")
        if "libbpfseal" in run(["ldd", os.path.join(b, "embedded_static")], quiet=True).stdout:
            raise Failure(f"{label}: bpfseal_embed(... STATIC) linked libbpfseal.so")
        tool = ctx.tool if package_dir is None else os.path.join(ctx.build, "tools", "bpfseal",
                                                                 "bpfseal")
        run([tool, "verify", os.path.join(b, "consumer.sealed.o"), "--cert",
             os.path.join(b, "bpfseal", "keys", "consumer_dev.cert.pem")])
        check_gen_skeleton_errors(tool, os.path.join(b, "consumer.sealed.o"), b)
        inspect = run([tool, "inspect", os.path.join(b, "consumer.sealed.o")]).stdout
        if not re.search(r"limit\s+\.rodata unsigned int = 7", inspect):
            raise Failure(f"{label}: SET limit=7 is not in the sealed object")
        if not re.search(r"^object:\s+consumer version 3$", inspect, re.M):
            raise Failure(f"{label}: VERSION 3 is not the sealed object's signed version:\n{inspect}")
        imported = open(os.path.join(b, "imported-files.txt")).read()
        log(imported.rstrip())
        root = ctx.prefix if package_dir is None else ctx.build
        for line in imported.splitlines():
            name, path = line.split("=", 1)
            if not path.startswith(root + "/") or not os.path.exists(path):
                raise Failure(f"{label}: BpfSeal::{name} -> {path}: not an existing file "
                              f"under {root}")
        check_consumer([os.path.join(b, "consumer_shared"), os.path.join(b, "consumer_static"),
                        os.path.join(b, "consumer_c")], label)
        # The static one must not need libbpfseal.so at run time.
        ldd = run(["ldd", os.path.join(b, "consumer_static")], quiet=True).stdout
        if "libbpfseal" in ldd:
            raise Failure(f"{label}: consumer_static links libbpfseal.so:\n{ldd}")


def check_gen_skeleton_errors(tool, sealed, work):
    """bpfseal gen-skeleton: one-line errors, non-zero exit, no header left."""
    out = os.path.join(work, "gen-errors")
    os.makedirs(out, exist_ok=True)
    h, hpp = os.path.join(out, "x.skel.h"), os.path.join(out, "x.skel.hpp")
    plain = os.path.join(work, "bpfseal", "consumer", "consumer.linked.bpf.o")
    cases = [
        (["--name", "a-b", "--c-header", h], "--name needs a C identifier, got 'a-b'"),
        (["--name", "x"], "nothing to write: give --c-header and/or --cxx-header"),
        (["--name", "x", "--c-header", h, "--cxx-header", "/nonexistent/dir/x.hpp"],
         "cannot create a file beside '/nonexistent/dir/x.hpp'"),
    ]
    for args, needle in cases:
        p = run([tool, "gen-skeleton", sealed] + args, check=False)
        if p.returncode == 0 or needle not in p.stdout or len(p.stdout.strip().splitlines()) != 1:
            raise Failure(f"gen-skeleton {args}: expected one line with {needle!r}")
    p = run([tool, "gen-skeleton", plain, "--name", "x", "--c-header", h, "--cxx-header", hpp],
            check=False)
    if p.returncode == 0 or "not a sealed object" not in p.stdout:
        raise Failure("gen-skeleton accepted an unsealed object")
    if os.listdir(out):
        raise Failure(f"gen-skeleton left files behind after errors: {os.listdir(out)}")


def check_consumer(exes, label):
    bogus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "projects", "consumer",
                         "consumer.cpp")
    for exe in exes:
        p = run([exe, bogus], check=False)
        if p.returncode != 3 or "open failed:" not in p.stdout:
            raise Failure(f"{label}: {os.path.basename(exe)} should refuse a non-sealed file "
                          f"with a message (exit 3), got exit {p.returncode}")


# --- configure-time errors -------------------------------------------------------

def cmd_configure_errors(ctx):
    ctx.require_install()
    src = os.path.join(ctx.src, "test/examples/projects/errors")
    keys = ctx.fresh("error-keys")
    key, cert = os.path.join(keys, "k.pem"), os.path.join(keys, "c.pem")
    run([ctx.tool, "keygen", "--key", key, "--cert", cert, "--subject", "CN=errors test"])
    kc = [f"KEY={key}", f"CERT={cert}"]

    # (case, extra -D, expected exit 0?, text that must appear)
    cases = [
        ("ok", kc, True, f"object 'prog' will be signed with key {key}"),
        ("missing_key", kc, False, "signing key '" + os.path.join(ctx.work, "error-missing_key",
                                                                  "no-such.key.pem")
         + "' does not exist (hint: pass the path of your PEM key or a pkcs11: URI"),
        ("missing_cert", kc, False, "does not exist (hint: SIGNING_CERT must name the X.509 "
         "certificate of SIGNING_KEY"),
        ("key_without_cert", kc, False, "SIGNING_KEY needs SIGNING_CERT"),
        ("unsigned_and_key", kc, False, "UNSIGNED contradicts SIGNING_KEY/SIGNING_CERT"),
        ("no_key", [], True, "object 'prog' will be sealed but UNSIGNED: no SIGNING_KEY"),
        ("unsigned", [], True, "object 'prog' will be sealed but UNSIGNED (UNSIGNED given)"),
        ("missing_source", [], False, "nope.bpf.c' does not exist"),
        ("bad_set", [], False, "SET 'limit 5' is not NAME=VALUE"),
        ("bad_name", [], False, "the name must be a C identifier"),
        ("unknown_argument", [], False, "unknown arguments: SIGNING_KEYS"),
        ("missing_vmlinux", [], False, "nope.h' does not exist (hint: bpftool btf dump"),
        ("embed_unknown", [], False, "no object 'nothing_here' (hint: call "
         "bpfseal_add_object(nothing_here ...) before"),
    ]
    failures = []
    for case, defs, ok, needle in cases:
        b = ctx.fresh("error-" + case)
        p = ctx.configure(src, b, f"CASE={case}", *defs, check=False)
        try:
            if (p.returncode == 0) != ok:
                raise Failure(f"configure exit {p.returncode}, expected "
                              f"{'success' if ok else 'failure'}")
            expect_in(p.stdout, needle, case)
            log(f"ok: {case}")
        except Failure as e:
            failures.append(f"{case}: {e}")

    # clang-19 missing, or another clang given.
    fake = os.path.join(ctx.work, "fake-clang")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\necho 'Debian clang version 14.0.6'\n")
    os.chmod(fake, 0o755)
    for case, clang, needle in (
            ("no_clang", "/nonexistent/clang-19", "clang-19 not found at /nonexistent/clang-19 "
             "(BPFSEAL_CLANG); BPF sources cannot be compiled (hint: apt-get install clang-19"),
            ("old_clang", fake, "is not clang 19 (clang version 14.0.6)")):
        b = ctx.fresh("error-" + case)
        p = ctx.configure(src, b, "CASE=unsigned", f"BPFSEAL_CLANG={clang}", check=False)
        try:
            if p.returncode == 0:
                raise Failure("configure succeeded")
            expect_in(p.stdout, needle, case)
            log(f"ok: {case}")
        except Failure as e:
            failures.append(f"{case}: {e}")

    # libbpf too old: a pkg-config search path whose libbpf is 0.8.
    pc = ctx.fresh("old-libbpf-pc")
    with open(os.path.join(pc, "libbpf.pc"), "w") as f:
        f.write("prefix=/usr\nName: libbpf\nDescription: old\nVersion: 0.8.1\n"
                "Libs: -lbpf\nCflags: -I/usr/include\n")
    env = clean_env()
    env["PKG_CONFIG_LIBDIR"] = pc
    b = ctx.fresh("error-old_libbpf")
    p = ctx.configure(src, b, "CASE=unsigned", env=env, check=False)
    try:
        if p.returncode == 0:
            raise Failure("configure succeeded")
        expect_in(p.stdout, "BpfSeal needs libbpf >= 1.1 but found 0.8.1 (hint: install "
                  "libbpf 1.1 or newer", "old_libbpf")
        log("ok: old_libbpf")
    except Failure as e:
        failures.append(f"old_libbpf: {e}")

    # ... and building bpfseal itself against it stops at configure too.
    b = ctx.fresh("error-old_libbpf_bpfseal")
    p = run(["cmake", "-S", ctx.src, "-B", b, "-G", "Ninja"], env=env, check=False)
    try:
        if p.returncode == 0:
            raise Failure("configure succeeded")
        expect_in(p.stdout, "bpfseal needs libbpf >= 1.1 but found 0.8.1 (hint: install "
                  "libbpf-dev 1.1 or newer", "old_libbpf_bpfseal")
        log("ok: old_libbpf_bpfseal")
    except Failure as e:
        failures.append(f"old_libbpf_bpfseal: {e}")

    # A construct the signed path cannot carry: the plugin stops the build at
    # the line, with the hint.
    if ctx.plugin_built:
        b = ctx.fresh("error-plugin_diagnostic")
        try:
            ctx.configure(src, b, "CASE=plugin_diagnostic")
            p = run(["cmake", "--build", b], check=False)
            if p.returncode == 0:
                raise Failure("build succeeded")
            # An unset __kconfig extern is refused at the seal step (seal-time
            # --set gives kconfig values since issue 12), naming it and the fix.
            expect_in(p.stdout, "__kconfig extern 'LINUX_KERNEL_VERSION'", "plugin_diagnostic")
            expect_in(p.stdout, "--set LINUX_KERNEL_VERSION=VALUE", "plugin_diagnostic")
            log("ok: plugin_diagnostic")
        except Failure as e:
            failures.append(f"plugin_diagnostic: {e}")
    else:
        log("note: plugin not built; plugin_diagnostic case not run")

    # Unset const volatile globals: the seal step warns at their line, and
    # only about those no SET covers.
    for case, sets, warned in (("config_unset", "", True), ("config_set", "limit=5", False)):
        b = ctx.fresh("error-" + case)
        try:
            ctx.configure(src, b, "CASE=config", f"SETS={sets}")
            p = run(["cmake", "--build", b])
            needle = "prog.bpf.c:5: warning: 'limit' is a const volatile global that no SET"
            if (squash(needle) in squash(p.stdout)) != warned:
                raise Failure(f"expected the warning {'' if warned else 'not '}to appear")
            log(f"ok: {case}")
        except Failure as e:
            failures.append(f"{case}: {e}")

    # SET of a variable the object does not have: the seal step fails, names
    # it, lists the ones there are, and writes no output.
    b = ctx.fresh("error-set_unknown")
    try:
        ctx.configure(src, b, "CASE=config", "SETS=nosuch=1")
        p = run(["cmake", "--build", b], check=False)
        if p.returncode == 0:
            raise Failure("build succeeded")
        expect_in(p.stdout, "--set nosuch=1: no variable 'nosuch' in .rodata/.data/.kconfig (known: "
                  "limit)", "set_unknown")
        if os.path.exists(os.path.join(b, "bpfseal", "prog", "prog.unsigned.sealed.o")):
            raise Failure("a sealed object was written")
        log("ok: set_unknown")
    except Failure as e:
        failures.append(f"set_unknown: {e}")

    # The key deleted after configure: ninja stops before running anything,
    # naming the key and what needs it.
    b = ctx.fresh("error-key_deleted")
    gone = os.path.join(b, "gone.key.pem")
    shutil.copy(key, gone)
    try:
        ctx.configure(src, b, "CASE=ok", f"KEY={gone}", f"CERT={cert}")
        os.unlink(gone)
        p = run(["cmake", "--build", b], check=False)
        if p.returncode == 0:
            raise Failure("build succeeded without the key")
        expect_in(p.stdout, "'gone.key.pem', needed by 'prog.sealed.o', missing",
                  "key_deleted")
        if os.path.exists(os.path.join(b, "prog.sealed.o")):
            raise Failure("prog.sealed.o was written without a key")
        log("ok: key_deleted")
    except Failure as e:
        failures.append(f"key_deleted: {e}")

    if failures:
        raise Failure("configure-error cases failed:\n  " + "\n  ".join(failures))


# --- PKCS#11 ------------------------------------------------------------------------

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def cmd_pkcs11(ctx):
    ctx.require_install()
    if not (os.path.exists(SOFTHSM_MODULE) and shutil.which("softhsm2-util")
            and shutil.which("pkcs11-tool")):
        log("SKIP: needs SoftHSM2 and OpenSC's pkcs11-tool (apt-get install softhsm2 opensc "
            "libengine-pkcs11-openssl)")
        sys.exit(SKIP)
    work = ctx.fresh("pkcs11")
    tokens = os.path.join(work, "tokens")
    os.makedirs(tokens)
    conf = os.path.join(work, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                "log.level = ERROR\n")
    env = clean_env()
    env["SOFTHSM2_CONF"] = conf
    key, cert, der = (os.path.join(work, n) for n in ("k.pem", "k.crt", "k.der"))
    run([ctx.tool, "keygen", "--key", key, "--cert", cert, "--subject", "CN=token signer"])
    run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-in", key, "-outform", "DER", "-out", der])
    run(["softhsm2-util", "--init-token", "--free", "--label", "bpfseal", "--pin", "1234",
         "--so-pin", "1234"], env=env, quiet=True)
    run(["pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", "bpfseal", "--login",
         "--pin", "1234", "--write-object", der, "--type", "privkey", "--id", "01",
         "--label", "k"], env=env, quiet=True)
    os.unlink(key)
    os.unlink(der)  # the private key now exists only inside the token

    uri = "pkcs11:token=bpfseal;object=k;type=private"
    src = os.path.join(ctx.src, "test/examples/projects/errors")
    b = os.path.join(work, "build")
    p = ctx.configure(src, b, "CASE=pkcs11", f"KEY_URI={uri}", f"CERT={cert}",
                      f"MODULE={SOFTHSM_MODULE}", env=env)
    expect_in(p.stdout, f"object 'prog' will be signed with PKCS#11 key {uri}", "pkcs11")
    env["TOKEN_PIN"] = "1234"
    p = run(["cmake", "--build", b], env=env)
    expect_in(p.stdout, "(CN=token signer, pkcs11-engine)", "pkcs11 sign step")
    if "1234" in open(os.path.join(b, "build.ninja")).read():
        raise Failure("the PIN is in build.ninja")
    run([ctx.tool, "verify", os.path.join(b, "prog.sealed.o"), "--cert", cert])

    # A PIN in the URI is redacted in the configure output, with a warning.
    b2 = os.path.join(work, "build-pin-in-uri")
    p = ctx.configure(src, b2, "CASE=pkcs11", f"KEY_URI={uri}?pin-value=1234",
                      f"CERT={cert}", f"MODULE={SOFTHSM_MODULE}", env=env)
    expect_in(p.stdout, f"signed with PKCS#11 key {uri}?pin-value=***", "pin redacted")
    expect_in(p.stdout, "pass it with SIGNING_PASS env:VAR instead", "pin warning")
    # A module that is not there stops configure.
    b3 = os.path.join(work, "build-no-module")
    p = ctx.configure(src, b3, "CASE=pkcs11_no_module", f"KEY_URI={uri}", f"CERT={cert}",
                      env=env, check=False)
    if p.returncode == 0:
        raise Failure("configure succeeded with a missing PKCS11_MODULE")
    expect_in(p.stdout, "missing.so' does not exist (hint: the token's PKCS#11 library",
              "no module")
    log("ok: signed inside the token through bpfseal_add_object; PIN kept out of build files")


# --- key rotation ------------------------------------------------------------------

def ninja_steps(output):
    """Descriptions of the edges ninja ran ('[3/7] bpfseal minimal: signing')."""
    return [m.group(1) for m in re.finditer(r"^\[\d+/\d+\] (.*)$", output, re.M)]


def cmd_key_rotation(ctx):
    ctx.require_install()
    work = ctx.fresh("key-rotation")
    keys = os.path.join(work, "keys")
    os.makedirs(keys)
    key, cert = os.path.join(keys, "release.key.pem"), os.path.join(keys, "release.cert.pem")
    run([ctx.tool, "keygen", "--key", key, "--cert", cert, "--subject", "CN=release key 1"])
    old_cert = os.path.join(work, "old.cert.pem")
    shutil.copy(cert, old_cert)

    b = os.path.join(work, "build")
    ctx.configure(os.path.join(ctx.src, "examples/minimal"), b,
                  f"BPFSEAL_SIGNING_KEY={key}", f"BPFSEAL_SIGNING_CERT={cert}")
    run(["cmake", "--build", b], quiet=True)
    sealed = os.path.join(b, "minimal.sealed.o")
    stage = os.path.join(b, "bpfseal", "minimal")
    intermediates = sorted(os.path.join(stage, f) for f in os.listdir(stage)
                           if f.endswith(".o"))
    stamps = {f: os.stat(f).st_mtime_ns for f in intermediates}
    log("intermediates: " + ", ".join(os.path.basename(f) for f in intermediates))

    # `reasons`: the changed signing inputs; ninja names whichever it stats
    # first as newer than the signed object, so any of them is the right cause.
    def rebuild(label, reasons):
        p = run(["ninja", "-C", b, "-d", "explain"], quiet=True)
        steps = ninja_steps(p.stdout)
        log(f"{label}: ninja ran: " + "; ".join(steps))
        explains = [l for l in p.stdout.splitlines() if l.startswith("ninja explain:")]
        if not any(r in l for l in explains for r in reasons):
            raise Failure(f"{label}: ninja -d explain does not name "
                          f"{' or '.join(os.path.basename(r) for r in reasons)} as the "
                          "reason:\n" + "\n".join(explains))
        bpf_steps = [s for s in steps if s.startswith("bpfseal minimal:")]
        if bpf_steps != ["bpfseal minimal: signing",
                         "bpfseal minimal: generating minimal.skel.h and minimal.skel.hpp"]:
            raise Failure(f"{label}: expected only the sign step (and the skeleton that "
                          f"embeds its output) to re-run, got {bpf_steps}")
        for f, t in stamps.items():
            if os.stat(f).st_mtime_ns != t:
                raise Failure(f"{label}: {os.path.basename(f)} was rebuilt")
        if ninja_steps(run(["ninja", "-C", b], quiet=True).stdout):
            raise Failure(f"{label}: a second build still had work to do")

    # 1. The certificate touched (re-issued with the same bytes).
    time.sleep(0.01)
    os.utime(cert)
    rebuild("cert touched", [cert])

    # 2. Key and certificate replaced in place: a rotation.
    run([ctx.tool, "keygen", "--key", key, "--cert", cert, "--subject", "CN=release key 2",
         "--force"])
    rebuild("key rotated", [key, cert])
    run([ctx.tool, "verify", sealed, "--cert", cert])
    p = run([ctx.tool, "verify", sealed, "--cert", old_cert], check=False)
    if p.returncode == 0:
        raise Failure("the re-signed object still verifies with the old certificate")
    skel = open(os.path.join(b, "bpfseal", "skel", "minimal.skel.hpp")).read()
    if "signed; every loader verified" not in skel.splitlines()[0]:
        raise Failure("the skeleton does not say the embedded object is signed")
    log("ok: rotation re-signed only; new cert verifies, old cert is refused")


# --- examples ------------------------------------------------------------------------

def build_example(ctx, name, *defs, fresh=True):
    b = os.path.join(ctx.work, "example-" + name)
    if fresh:
        shutil.rmtree(b, ignore_errors=True)
    start = time.monotonic()
    ctx.configure(os.path.join(ctx.src, "examples", name), b, *defs)
    p = run(["cmake", "--build", b], quiet=True)
    log(f"built {name} in {time.monotonic() - start:.1f} s")
    return b, p


class Reader:
    """Collects a child's output lines in a thread, echoing them."""

    def __init__(self, proc):
        self.lines = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc):
        for line in proc.stdout:
            log("| " + line.rstrip("\n"))
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f"timed out waiting for output matching {pattern!r}")
                self.cond.wait(left)

    def text(self):
        self.thread.join(timeout=10)
        return "\n".join(self.lines)


def start(cmd, **kw):
    log("$ " + " ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    return p, Reader(p)


def check_loaded(text, name):
    m = re.search(r"loaded: (.*)", text)
    if not m:
        raise Failure(f"{name} did not print its verification level")
    if "verified" not in m.group(1):
        raise Failure(f"{name}: unexpected verification level: {m.group(1)}")
    return m.group(1)


class ExecLoad:
    """Runs /bin/true every 20 ms until stopped: execs for the examples to see."""

    def __init__(self):
        self.count = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.wait(0.02):
            subprocess.run(["/bin/true"])
            self.count += 1

    def finish(self):
        self.stop.set()
        self.thread.join()
        return self.count


def example_minimal(ctx):
    b, _ = build_example(ctx, "minimal")
    require_root("loads BPF programs into the running kernel")
    for exe in ("minimal", "minimal-c"):  # the C++ and the C skeleton
        load = ExecLoad()
        p, out = start([os.path.join(b, exe), "3"])
        p.wait(timeout=30)
        ran = load.finish()
        text = out.text()
        if p.returncode != 0:
            raise Failure(f"{exe} exited {p.returncode}")
        check_loaded(text, exe)
        counts = [int(m.group(1))
                  for m in re.finditer(r"^\ds: (\d+) execve calls$", text, re.M)]
        if len(counts) != 3 or not 0 < counts[0] < counts[-1]:
            raise Failure(f"{exe}: expected 3 growing, non-zero samples, got {counts}")
        log(f"ok: {exe} counted {counts} execve calls (the test ran {ran} execs meanwhile)")


def run_execsnoop(exe, marker):
    p, out = start([exe, "-d", "3"])
    out.wait_for(r"^PCOMM", 20)
    ok_cmd = ["/bin/echo", marker]
    subprocess.run(ok_cmd, stdout=subprocess.DEVNULL)
    missing = "/nonexistent/" + marker
    try:
        subprocess.run([missing])
    except FileNotFoundError:
        pass
    p.wait(timeout=30)
    text = out.text()
    if p.returncode != 0:
        raise Failure(f"execsnoop exited {p.returncode}")
    check_loaded(text, "execsnoop")
    ok = re.search(rf"^echo\s+(\d+)\s+(\d+)\s+0 /bin/echo {marker}$", text, re.M)
    failed = re.search(rf"^\S+\s+\d+\s+\d+\s+-2 {re.escape(missing)}$", text, re.M)
    return text, ok, failed


def example_execsnoop(ctx):
    b, _ = build_example(ctx, "execsnoop")
    require_root("loads BPF programs into the running kernel")
    marker = f"bpfseal-execsnoop-{os.getpid()}"
    _, ok, failed = run_execsnoop(os.path.join(b, "execsnoop"), marker)
    if not ok:
        raise Failure("no exec line for /bin/echo " + marker)
    if not failed:
        raise Failure("no line for the failed exec (RET -2) although ignore_failed=0")
    log(f"ok: exec lines for the echo (pid {ok.group(1)}) and the failed exec")

    # A different filter is a different signed object: reconfigure with the
    # failure filter baked in; only seal/sign and what embeds them re-run.
    _, p = build_example(ctx, "execsnoop", "EXECSNOOP_IGNORE_FAILED=ON", fresh=False)
    steps = [s for s in ninja_steps(p.stdout) if s.startswith("bpfseal execsnoop:")]
    log("rebuild after changing SET ran: " + "; ".join(steps))
    if any("compiling" in s or "linking" in s for s in steps) or \
            "bpfseal execsnoop: sealing" not in steps:
        raise Failure(f"changing SET should re-seal without recompiling, ran {steps}")
    _, ok, failed = run_execsnoop(os.path.join(b, "execsnoop"), marker + "-2")
    if not ok:
        raise Failure("ignore_failed=1: no exec line for the successful echo")
    if failed:
        raise Failure("ignore_failed=1 baked at seal time, but the failed exec was shown")
    log("ok: with ignore_failed=1 sealed in, the failed exec is filtered in the kernel")


def leftover_network(pid):
    netns = run(["ip", "netns", "list"], quiet=True).stdout
    links = run(["ip", "-o", "link", "show"], quiet=True).stdout
    left = []
    if f"bpfseal-xdp-{pid}" in netns:
        left.append(f"netns bpfseal-xdp-{pid}")
    if re.search(rf"\bbsxdp{pid}(p)?[@:]", links):
        left.append(f"veth bsxdp{pid}")
    return left


def example_xdp_counter(ctx):
    b, _ = build_example(ctx, "xdp-counter")
    require_root("creates a network namespace and attaches XDP")
    exe = os.path.join(b, "xdp-counter")
    p, out = start([exe, "-n", "5"])
    p.wait(timeout=60)
    text = out.text()
    if p.returncode != 0:
        raise Failure(f"xdp-counter exited {p.returncode}")
    check_loaded(text, "xdp-counter")
    m = re.search(r"^icmp\s+(\d+)\s+(\d+)$", text, re.M)
    if not m or int(m.group(1)) < 5:
        raise Failure("expected >= 5 ICMP packets counted for 5 pings")
    if "cleaned up" not in text or leftover_network(p.pid):
        raise Failure(f"not cleaned up: {leftover_network(p.pid)}")
    log(f"ok: {m.group(1)} ICMP packets ({m.group(2)} bytes) counted; network removed")

    # Interrupted while pinging: Ctrl-C (SIGINT to the process group) and
    # SIGTERM to the process alone both leave nothing behind.
    for label, how in (("SIGINT to the group", "group"), ("SIGTERM", "term")):
        p, out = start([exe, "-n", "100"], start_new_session=True)
        out.wait_for(r"^\$ ip netns exec", 30)
        time.sleep(1)
        if how == "group":
            os.killpg(p.pid, signal.SIGINT)
        else:
            os.kill(p.pid, signal.SIGTERM)
        t0 = time.monotonic()
        p.wait(timeout=60)
        took = time.monotonic() - t0
        out.text()
        left = leftover_network(p.pid)
        if left:
            raise Failure(f"{label}: left behind {left}")
        if p.returncode != 130 or took > 5:
            raise Failure(f"{label}: expected exit 130 within 5 s, got {p.returncode} "
                          f"after {took:.1f} s")
        log(f"ok: {label}: exit {p.returncode}, nothing left behind")


EXAMPLES = {"minimal": example_minimal, "execsnoop": example_execsnoop,
            "xdp-counter": example_xdp_counter}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--work-dir", required=True)
    ap.add_argument("--plugin", default="ON")
    ap.add_argument("command", choices=["install", "package", "configure-errors",
                                        "key-rotation", "pkcs11", "example"])
    ap.add_argument("name", nargs="?")
    args = ap.parse_args()
    ctx = Ctx(args)
    try:
        if args.command == "example":
            if args.name not in EXAMPLES:
                ap.error("example needs one of " + ", ".join(EXAMPLES))
            ctx.require_install()
            EXAMPLES[args.name](ctx)
        else:
            {"install": cmd_install, "package": cmd_package,
             "configure-errors": cmd_configure_errors,
             "key-rotation": cmd_key_rotation, "pkcs11": cmd_pkcs11}[args.command](ctx)
    except (Failure, subprocess.TimeoutExpired) as e:
        log(f"FAIL: {e}")
        return 1
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
