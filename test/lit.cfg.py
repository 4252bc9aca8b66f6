# lit configuration shared by every suite under test/. Substitutions:
#   %bpfseal   the bpfseal CLI            %clang-bpf  clang-19 -target bpf -O2 -g
#   %plugin    BpfSealPlugin.so           %vmlinux    dir holding the generated vmlinux.h
#   %inputs    the suite's own Inputs/ (each suite's lit.local.cfg sets it)
#   %shared_inputs  test/Inputs: inputs more than one suite uses (test/README.md)
#   FileCheck, not from llvm-19
# Features: root (uid 0), bpf (root and the kernel exposes BTF), plugin.
import os
import subprocess
import lit.formats

# lit was pointed at a source directory (ctest: --param site=BUILD/test/lit.site.cfg.py):
# load the build's site config, which sets the paths and includes this file again.
if not hasattr(config, "bpfseal_obj_root"):
    site = lit_config.params.get("site")
    if not site:
        lit_config.fatal("run lit with --param site=BUILD/test/lit.site.cfg.py")
    lit_config.load_config(config, site)

config.name = "bpfseal"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".c", ".test", ".ll", ".sh"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in", "CMakeLists.txt",
                   "README.md", "vm"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.bpfseal_obj_root, "test", "lit-out")

shared_inputs = os.path.join(config.bpfseal_src_root, "test", "Inputs")
vmlinux_dir = os.path.join(config.bpfseal_obj_root, "test", "vmlinux")
clang_bpf = (f"{config.bpf_clang} -target bpf -O2 -g -D__TARGET_ARCH_x86 "
             f"-I{vmlinux_dir} -I{config.multiarch_include}")

config.substitutions.append(("%bpfseal", config.bpfseal_tool))
config.substitutions.append(("%clang-bpf", clang_bpf))
config.substitutions.append(("%plugin", config.bpfseal_plugin))
config.substitutions.append(("%shared_inputs", shared_inputs))
config.substitutions.append(("%vmlinux", vmlinux_dir))
config.substitutions.append(("%srcroot", config.bpfseal_src_root))
config.substitutions.append(("%testbin", config.test_bin_dir))

llvm_bin = os.path.dirname(config.filecheck)
config.environment["PATH"] = os.pathsep.join(
    [llvm_bin, os.path.dirname(config.bpfseal_tool), config.environment.get("PATH", "")])
config.environment["BPFSEAL_SRC_ROOT"] = config.bpfseal_src_root

if config.bpfseal_plugin:
    config.available_features.add("plugin")
if os.geteuid() == 0:
    config.available_features.add("root")
    if os.path.exists("/sys/kernel/btf/vmlinux"):
        config.available_features.add("bpf")
