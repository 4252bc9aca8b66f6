# CMake functions that turn BPF C sources into sealed, signed BPF objects and
# embed them into user-space programs. Shipped with the BpfSeal package and
# included by BpfSealConfig.cmake; cmake/README.md documents every argument.
#
#   bpfseal_add_object(<name> SOURCES a.bpf.c ... [INCLUDE_DIRS ...] [DEFINES ...]
#                      [SET VAR=VALUE ...] [MAX_ENTRIES MAP=N ...] [DISABLE PROG ...]
#                      [ATTACH_TARGET PROG=FUNCTION ...] [ALTERNATIVE NAME=PROG[,PROG...] ...]
#                      [VERSION n]
#                      [SIGNING_KEY key|pkcs11-uri]
#                      [SIGNING_CERT cert] [SIGNING_PASS src] [PKCS11_MODULE so] [UNSIGNED]
#                      [VMLINUX_H path] [COMPILE_OPTIONS ...] [NO_WARN_CONFIG])
#   bpfseal_embed(<target> <name> [STATIC])
#   bpfseal_keygen(<name> [SUBJECT dn] [DAYS n] [OUTPUT_DIR dir])
#
# The helpers use the imported (or, inside the bpfseal build, aliased) targets
# BpfSeal::tool and BpfSeal::plugin.

# Script mode (run by the seal step, see bpfseal_add_object): warn, like a
# compiler, about every const volatile global of the sealed object that no SET
# gave a value. The plugin cannot tell at compile time which ones SET covers
# (SET is a seal-time argument, so changing it must not recompile), hence the
# check here, from the units manifest the plugin recorded and the baked values.
if(CMAKE_SCRIPT_MODE_FILE AND DEFINED BPFSEAL_CHECK_SEALED)
  cmake_policy(VERSION 3.20)
  execute_process(COMMAND "${BPFSEAL_TOOL}" inspect --json "${BPFSEAL_CHECK_SEALED}"
                  OUTPUT_VARIABLE json RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "bpfseal: cannot inspect ${BPFSEAL_CHECK_SEALED}")
  endif()
  set(baked)
  string(JSON n LENGTH "${json}" baked)
  if(n GREATER 0)
    math(EXPR last "${n} - 1")
    foreach(i RANGE ${last})
      string(JSON name GET "${json}" baked ${i} name)
      list(APPEND baked "${name}")
    endforeach()
  endif()
  string(JSON units LENGTH "${json}" units)
  if(units GREATER 0)
    math(EXPR last_unit "${units} - 1")
    foreach(u RANGE ${last_unit})
      string(JSON n ERROR_VARIABLE err LENGTH "${json}" units ${u} globals)
      if(err OR n EQUAL 0)
        continue()
      endif()
      math(EXPR last "${n} - 1")
      foreach(i RANGE ${last})
        string(JSON g GET "${json}" units ${u} globals ${i})
        string(JSON cv ERROR_VARIABLE err GET "${g}" const_volatile)
        if(err OR NOT cv STREQUAL "ON")
          continue()
        endif()
        string(JSON name GET "${g}" name)
        if(name IN_LIST baked)
          continue()
        endif()
        string(JSON file ERROR_VARIABLE err GET "${g}" file)
        string(JSON line ERROR_VARIABLE err GET "${g}" line)
        message("${file}:${line}: warning: '${name}' is a const volatile global that no SET "
          "gives a value: the signed object keeps the value compiled in (add SET ${name}=VALUE "
          "to bpfseal_add_object(${BPFSEAL_OBJECT}), or NO_WARN_CONFIG to keep defaults quietly)")
      endforeach()
    endforeach()
  endif()
  return()
endif()

include_guard(GLOBAL)

set(BPFSEAL_SIGNING_KEY "" CACHE STRING
    "Default signing key (PEM file or pkcs11: URI) for bpfseal_add_object calls without SIGNING_KEY")
set(BPFSEAL_SIGNING_CERT "" CACHE FILEPATH
    "Certificate of BPFSEAL_SIGNING_KEY")
set(BPFSEAL_VMLINUX_H "" CACHE FILEPATH
    "vmlinux.h to compile CO-RE programs against (default: dumped from /sys/kernel/btf/vmlinux)")

# Real file of an executable/module target, whether imported or built here:
# in a custom command, naming a built target in DEPENDS also orders the build.
function(_bpfseal_target_dep out target)
  get_target_property(aliased ${target} ALIASED_TARGET)
  if(aliased)
    set(${out} ${aliased} PARENT_SCOPE)
  else()
    get_target_property(imported ${target} IMPORTED)
    if(imported)
      set(${out} $<TARGET_FILE:${target}> PARENT_SCOPE)
    else()
      set(${out} ${target} PARENT_SCOPE)
    endif()
  endif()
endfunction()

# clang-19 exactly: the plugin is built against LLVM 19 and refuses other
# compilers, and older clangs miss BPF features the sealer relies on.
function(_bpfseal_find_clang)
  if(NOT BPFSEAL_CLANG)
    find_program(BPFSEAL_CLANG NAMES clang-19 PATHS /usr/lib/llvm-19/bin
                 DOC "clang 19 used to compile BPF sources for bpfseal")
  endif()
  if(NOT BPFSEAL_CLANG)
    message(FATAL_ERROR
      "bpfseal: clang-19 not found; BPF sources cannot be compiled "
      "(hint: apt-get install clang-19, or configure with -DBPFSEAL_CLANG=/path/to/clang-19)")
  endif()
  if(NOT EXISTS "${BPFSEAL_CLANG}")
    message(FATAL_ERROR
      "bpfseal: clang-19 not found at ${BPFSEAL_CLANG} (BPFSEAL_CLANG); BPF sources cannot be "
      "compiled (hint: apt-get install clang-19, or configure with "
      "-DBPFSEAL_CLANG=/path/to/clang-19)")
  endif()
  get_property(checked GLOBAL PROPERTY _BPFSEAL_CLANG_CHECKED)
  if(NOT checked)
    execute_process(COMMAND ${BPFSEAL_CLANG} --version
                    OUTPUT_VARIABLE version_text RESULT_VARIABLE rc ERROR_QUIET)
    if(NOT rc EQUAL 0 OR NOT version_text MATCHES "clang version 19\\.")
      string(REGEX MATCH "clang version [0-9.]+" found "${version_text}")
      message(FATAL_ERROR
        "bpfseal: ${BPFSEAL_CLANG} is not clang 19 (${found}); the BpfSeal plugin only loads "
        "into clang 19 (hint: apt-get install clang-19 and configure with -DBPFSEAL_CLANG=/usr/bin/clang-19)")
    endif()
    set_property(GLOBAL PROPERTY _BPFSEAL_CLANG_CHECKED TRUE)
  endif()
endfunction()

# Directory holding a vmlinux.h: the user's file (copied, so it may have any
# name) or one dumped once per build tree from the running kernel's BTF.
function(_bpfseal_vmlinux_dir out user_path)
  if(NOT user_path)
    set(user_path "${BPFSEAL_VMLINUX_H}")
  endif()
  if(user_path)
    get_filename_component(user_path "${user_path}" ABSOLUTE)
    if(NOT EXISTS "${user_path}")
      message(FATAL_ERROR "bpfseal: VMLINUX_H '${user_path}' does not exist "
        "(hint: bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h)")
    endif()
    string(SHA256 tag "${user_path}")
    string(SUBSTRING "${tag}" 0 12 tag)
    set(dir "${CMAKE_BINARY_DIR}/bpfseal/vmlinux-${tag}")
    configure_file("${user_path}" "${dir}/vmlinux.h" COPYONLY)
    set(${out} "${dir}" PARENT_SCOPE)
    return()
  endif()
  set(dir "${CMAKE_BINARY_DIR}/bpfseal/vmlinux")
  if(NOT EXISTS "${dir}/vmlinux.h")
    find_program(BPFSEAL_BPFTOOL bpftool PATHS /usr/sbin /sbin)
    if(NOT BPFSEAL_BPFTOOL OR NOT EXISTS /sys/kernel/btf/vmlinux)
      message(FATAL_ERROR
        "bpfseal: no vmlinux.h: this machine has no bpftool or no /sys/kernel/btf/vmlinux "
        "(hint: pass VMLINUX_H <file> to bpfseal_add_object or -DBPFSEAL_VMLINUX_H=<file>, made with "
        "'bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h' on a kernel with BTF)")
    endif()
    file(MAKE_DIRECTORY "${dir}")
    execute_process(COMMAND ${BPFSEAL_BPFTOOL} btf dump file /sys/kernel/btf/vmlinux format c
                    OUTPUT_FILE "${dir}/vmlinux.h.tmp" RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      file(REMOVE "${dir}/vmlinux.h.tmp")
      string(STRIP "${err}" err)
      message(FATAL_ERROR "bpfseal: bpftool could not dump /sys/kernel/btf/vmlinux: ${err} "
        "(hint: run as a user that can read it, or pass VMLINUX_H <file>)")
    endif()
    file(RENAME "${dir}/vmlinux.h.tmp" "${dir}/vmlinux.h")
    message(STATUS "bpfseal: generated ${dir}/vmlinux.h from the running kernel's BTF")
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

function(_bpfseal_target_arch out)
  set(p "${CMAKE_SYSTEM_PROCESSOR}")
  if(p MATCHES "^(x86_64|AMD64|amd64|i.86)$")
    set(arch x86)
  elseif(p MATCHES "^(aarch64|arm64)$")
    set(arch arm64)
  elseif(p MATCHES "^arm")
    set(arch arm)
  elseif(p MATCHES "^(ppc64|ppc64le|powerpc64)")
    set(arch powerpc)
  elseif(p MATCHES "^s390")
    set(arch s390)
  elseif(p MATCHES "^riscv")
    set(arch riscv)
  elseif(p MATCHES "^loongarch")
    set(arch loongarch)
  else()
    message(FATAL_ERROR "bpfseal: unknown CMAKE_SYSTEM_PROCESSOR '${p}' for __TARGET_ARCH_* "
      "(hint: add -D__TARGET_ARCH_<arch> via COMPILE_OPTIONS and report it)")
  endif()
  set(${out} ${arch} PARENT_SCOPE)
endfunction()

# bpfseal_add_object(<name> SOURCES ...): compile -> link -> seal -> sign, four
# separate custom commands so that only the sign step depends on the key and
# certificate: rotating a key re-signs and rebuilds nothing else.
function(bpfseal_add_object name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "UNSIGNED;NO_WARN_CONFIG"
    "SIGNING_KEY;SIGNING_CERT;SIGNING_PASS;PKCS11_MODULE;VMLINUX_H;VERSION"
    "SOURCES;INCLUDE_DIRS;DEFINES;SET;MAX_ENTRIES;DISABLE;ATTACH_TARGET;ALTERNATIVE;COMPILE_OPTIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bpfseal_add_object(${name}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "bpfseal_add_object(${name}): the name must be a C identifier "
      "(it names the generated skeleton ${name}_bpf and the object's maps)")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "bpfseal_add_object(${name}): SOURCES is empty")
  endif()
  if(TARGET ${name}_bpf)
    message(FATAL_ERROR "bpfseal_add_object(${name}): target ${name}_bpf already exists")
  endif()
  if(NOT TARGET BpfSeal::tool)
    message(FATAL_ERROR "bpfseal_add_object(${name}): BpfSeal::tool is not defined "
      "(hint: call find_package(BpfSeal CONFIG REQUIRED) first)")
  endif()
  _bpfseal_find_clang()
  _bpfseal_target_arch(arch)
  _bpfseal_vmlinux_dir(vmlinux_dir "${arg_VMLINUX_H}")
  _bpfseal_target_dep(tool_dep BpfSeal::tool)
  set(tool $<TARGET_FILE:BpfSeal::tool>)

  # --- signing decision (configure time, loudly) ---------------------------
  set(key "${arg_SIGNING_KEY}")
  set(cert "${arg_SIGNING_CERT}")
  if(NOT key AND NOT cert AND NOT arg_UNSIGNED)
    set(key "${BPFSEAL_SIGNING_KEY}")
    set(cert "${BPFSEAL_SIGNING_CERT}")
  endif()
  if(arg_UNSIGNED AND (arg_SIGNING_KEY OR arg_SIGNING_CERT))
    message(FATAL_ERROR "bpfseal_add_object(${name}): UNSIGNED contradicts SIGNING_KEY/SIGNING_CERT")
  endif()
  if(key AND NOT cert)
    message(FATAL_ERROR "bpfseal_add_object(${name}): SIGNING_KEY needs SIGNING_CERT (the key's X.509 certificate)")
  endif()
  if(cert AND NOT key)
    message(FATAL_ERROR "bpfseal_add_object(${name}): SIGNING_CERT needs SIGNING_KEY")
  endif()
  get_property(generated_keys GLOBAL PROPERTY BPFSEAL_GENERATED_KEY_FILES)
  set(sign_deps)
  if(key)
    if(key MATCHES "^pkcs11:")
      # A PIN in the URI would end up in logs; the hint says where it belongs.
      string(REGEX REPLACE "pin-value=[^;&?]*" "pin-value=***" shown "${key}")
      set(key_desc "PKCS#11 key ${shown}")
      if(key MATCHES "pin-value=")
        message(WARNING "bpfseal_add_object(${name}): the PIN is part of SIGNING_KEY and so "
          "of the build files; pass it with SIGNING_PASS env:VAR instead")
      endif()
    else()
      get_filename_component(key "${key}" ABSOLUTE)
      if(NOT EXISTS "${key}" AND NOT key IN_LIST generated_keys)
        message(FATAL_ERROR "bpfseal_add_object(${name}): signing key '${key}' does not exist "
          "(hint: pass the path of your PEM key or a pkcs11: URI; for development only, "
          "make one with bpfseal_keygen())")
      endif()
      list(APPEND sign_deps "${key}")
      set(key_desc "key ${key}")
    endif()
    get_filename_component(cert "${cert}" ABSOLUTE)
    if(NOT EXISTS "${cert}" AND NOT cert IN_LIST generated_keys)
      message(FATAL_ERROR "bpfseal_add_object(${name}): certificate '${cert}' does not exist "
        "(hint: SIGNING_CERT must name the X.509 certificate of SIGNING_KEY, PEM or DER)")
    endif()
    list(APPEND sign_deps "${cert}")
    if(key IN_LIST generated_keys)
      message(WARNING "bpfseal: object '${name}' is signed with a DEVELOPMENT key made by "
        "bpfseal_keygen (${key}); never ship it: pass your release key as SIGNING_KEY")
    else()
      message(STATUS "bpfseal: object '${name}' will be signed with ${key_desc}")
    endif()
  elseif(arg_UNSIGNED)
    message(STATUS "bpfseal: object '${name}' will be sealed but UNSIGNED (UNSIGNED given); "
      "sign it later with 'bpfseal sign'")
  else()
    message(WARNING "bpfseal: object '${name}' will be sealed but UNSIGNED: no SIGNING_KEY/"
      "SIGNING_CERT and no BPFSEAL_SIGNING_KEY/BPFSEAL_SIGNING_CERT; it will only load in modes "
      "that do not require a signature (pass UNSIGNED to say this is intended)")
  endif()

  # --- compile ---------------------------------------------------------------
  set(work "${CMAKE_CURRENT_BINARY_DIR}/bpfseal/${name}")
  file(MAKE_DIRECTORY "${work}")
  set(flags -target bpf -O2 -g -D__TARGET_ARCH_${arch} -I${vmlinux_dir})
  # <bpf/bpf_helpers.h> and friends come from libbpf's headers; the multiarch
  # directory holds <asm/types.h>, which clang -target bpf does not search.
  if(LIBBPF_INCLUDEDIR AND NOT LIBBPF_INCLUDEDIR STREQUAL "/usr/include")
    list(APPEND flags -idirafter ${LIBBPF_INCLUDEDIR})
  endif()
  if(CMAKE_LIBRARY_ARCHITECTURE)
    list(APPEND flags -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
  endif()
  set(plugin_dep)
  if(TARGET BpfSeal::plugin)
    # Unset const volatile globals are reported by the seal step, which knows SET;
    # so are __kconfig externs that no SET gives the target's value (the seal
    # step refuses them), hence allow-kconfig at compile time.
    list(APPEND flags -fplugin=$<TARGET_FILE:BpfSeal::plugin> -fpass-plugin=$<TARGET_FILE:BpfSeal::plugin>
         -fplugin-arg-bpfseal-no-warn-config -fplugin-arg-bpfseal-allow-kconfig)
    _bpfseal_target_dep(plugin_dep BpfSeal::plugin)
  else()
    message(WARNING "bpfseal_add_object(${name}): BpfSeal::plugin is missing (bpfseal built "
      "without BPFSEAL_BUILD_PLUGIN): sources compile without its checks and unit manifests")
  endif()
  foreach(dir IN LISTS arg_INCLUDE_DIRS)
    get_filename_component(dir "${dir}" ABSOLUTE)
    list(APPEND flags -I${dir})
  endforeach()
  foreach(def IN LISTS arg_DEFINES)
    list(APPEND flags -D${def})
  endforeach()
  list(APPEND flags ${arg_COMPILE_OPTIONS})

  set(objects)
  set(index 0)
  foreach(src IN LISTS arg_SOURCES)
    get_filename_component(src "${src}" ABSOLUTE)
    if(NOT EXISTS "${src}")
      message(FATAL_ERROR "bpfseal_add_object(${name}): source '${src}' does not exist")
    endif()
    get_filename_component(stem "${src}" NAME_WE)
    set(obj "${work}/${index}_${stem}.bpf.o")
    file(RELATIVE_PATH rel "${CMAKE_SOURCE_DIR}" "${src}")
    add_custom_command(OUTPUT "${obj}"
      COMMAND ${BPFSEAL_CLANG} ${flags} -MD -MF "${obj}.d" -c "${src}" -o "${obj}"
      DEPENDS "${src}" ${plugin_dep}
      DEPFILE "${obj}.d"
      COMMENT "bpfseal ${name}: compiling ${rel}"
      VERBATIM COMMAND_EXPAND_LISTS)
    list(APPEND objects "${obj}")
    math(EXPR index "${index} + 1")
  endforeach()

  # --- link, seal, sign ------------------------------------------------------
  set(linked "${work}/${name}.linked.bpf.o")
  add_custom_command(OUTPUT "${linked}"
    COMMAND ${tool} link -o "${linked}" ${objects}
    DEPENDS ${objects} ${tool_dep}
    COMMENT "bpfseal ${name}: linking ${index} object(s)"
    VERBATIM)

  set(set_args)
  foreach(assignment IN LISTS arg_SET)
    if(NOT assignment MATCHES "^[A-Za-z_][A-Za-z0-9_]*=")
      message(FATAL_ERROR "bpfseal_add_object(${name}): SET '${assignment}' is not NAME=VALUE")
    endif()
    list(APPEND set_args --set "${assignment}")
  endforeach()
  foreach(assignment IN LISTS arg_MAX_ENTRIES)
    if(NOT assignment MATCHES "^[A-Za-z_][A-Za-z0-9_.]*=[0-9]+$")
      message(FATAL_ERROR "bpfseal_add_object(${name}): MAX_ENTRIES '${assignment}' is not MAP=N")
    endif()
    list(APPEND set_args --max-entries "${assignment}")
  endforeach()
  foreach(prog IN LISTS arg_DISABLE)
    if(NOT prog MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
      message(FATAL_ERROR "bpfseal_add_object(${name}): DISABLE '${prog}' is not a program name")
    endif()
    list(APPEND set_args --disable "${prog}")
  endforeach()
  foreach(assignment IN LISTS arg_ATTACH_TARGET)
    if(NOT assignment MATCHES "^[A-Za-z_][A-Za-z0-9_]*=[A-Za-z_][A-Za-z0-9_.]*$")
      message(FATAL_ERROR "bpfseal_add_object(${name}): ATTACH_TARGET '${assignment}' is not PROG=FUNCTION")
    endif()
    list(APPEND set_args --attach-target "${assignment}")
  endforeach()
  # Alternative program groups, most preferred first. Commas separate the
  # programs of one group (a CMake list would split them into arguments).
  foreach(group IN LISTS arg_ALTERNATIVE)
    if(NOT group MATCHES "^[a-z0-9_-]+=[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*$")
      message(FATAL_ERROR "bpfseal_add_object(${name}): ALTERNATIVE '${group}' is not "
        "NAME=PROG[,PROG...] (hint: e.g. ALTERNATIVE fentry=on_open_fentry tp=on_open_tp)")
    endif()
    list(APPEND set_args --alternative "${group}")
  endforeach()
  if(DEFINED arg_VERSION)
    # The signed object version: loaders refuse older ones with --min-version.
    if(NOT arg_VERSION MATCHES "^[0-9]+$" OR arg_VERSION MATCHES "^0[0-9]")
      message(FATAL_ERROR "bpfseal_add_object(${name}): VERSION '${arg_VERSION}' is not a decimal "
        "number (hint: the signed object version, raised with every release, e.g. VERSION 3)")
    endif()
    list(APPEND set_args --version "${arg_VERSION}")
  endif()
  set(unsigned_out "${work}/${name}.unsigned.sealed.o")
  # This file, in script mode (a function's own file: variables set when the
  # file was included are not visible in other directories).
  set(helpers "${CMAKE_CURRENT_FUNCTION_LIST_FILE}")
  set(config_check)
  if(NOT arg_NO_WARN_CONFIG)
    set(config_check COMMAND ${CMAKE_COMMAND} -DBPFSEAL_CHECK_SEALED=${unsigned_out}
        -DBPFSEAL_TOOL=${tool} -DBPFSEAL_OBJECT=${name} -P ${helpers})
  endif()
  add_custom_command(OUTPUT "${unsigned_out}"
    COMMAND ${tool} seal "${linked}" --name ${name} ${set_args} -o "${unsigned_out}"
    ${config_check}
    DEPENDS "${linked}" ${tool_dep} ${helpers}
    COMMENT "bpfseal ${name}: sealing"
    VERBATIM)

  set(sealed "${CMAKE_CURRENT_BINARY_DIR}/${name}.sealed.o")
  if(key)
    set(pass_args)
    if(arg_SIGNING_PASS)
      set(pass_args --pass "${arg_SIGNING_PASS}")
    endif()
    if(arg_PKCS11_MODULE)
      if(NOT EXISTS "${arg_PKCS11_MODULE}")
        message(FATAL_ERROR "bpfseal_add_object(${name}): PKCS11_MODULE '${arg_PKCS11_MODULE}' "
          "does not exist (hint: the token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)")
      endif()
      list(APPEND pass_args --pkcs11-module "${arg_PKCS11_MODULE}")
    endif()
    add_custom_command(OUTPUT "${sealed}"
      COMMAND ${tool} sign "${unsigned_out}" --key "${key}" --cert "${cert}" ${pass_args} -o "${sealed}"
      DEPENDS "${unsigned_out}" ${sign_deps} ${tool_dep}
      COMMENT "bpfseal ${name}: signing"
      VERBATIM)
    set(signed TRUE)
  else()
    add_custom_command(OUTPUT "${sealed}"
      COMMAND ${CMAKE_COMMAND} -E copy "${unsigned_out}" "${sealed}"
      DEPENDS "${unsigned_out}"
      COMMENT "bpfseal ${name}: sealed, not signed"
      VERBATIM)
    set(signed FALSE)
  endif()

  add_custom_target(${name}_bpf ALL DEPENDS "${sealed}")
  # A key from bpfseal_keygen() in another directory: order its target first
  # (file-level DEPENDS only reach custom commands of the same directory).
  foreach(file IN LISTS sign_deps)
    string(SHA256 tag "${file}")
    get_property(keygen_target GLOBAL PROPERTY _BPFSEAL_KEYGEN_${tag})
    if(keygen_target)
      add_dependencies(${name}_bpf ${keygen_target})
    endif()
  endforeach()
  set_target_properties(${name}_bpf PROPERTIES
    BPFSEAL_OBJECT_NAME "${name}"
    BPFSEAL_SEALED_OBJECT "${sealed}"
    BPFSEAL_LINKED_OBJECT "${linked}"
    BPFSEAL_SIGNED "${signed}"
    BPFSEAL_SIGNING_CERT "${cert}")
endfunction()

# bpfseal_embed(<target> <name> [STATIC]): generates <name>.skel.h (C) and
# <name>.skel.hpp (C++) holding the sealed object's bytes and a typed skeleton,
# puts them on <target>'s include path and links libbpfseal.
function(bpfseal_embed target name)
  cmake_parse_arguments(PARSE_ARGV 2 arg "STATIC" "" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bpfseal_embed(${target} ${name}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "bpfseal_embed: '${target}' is not a target (hint: add_executable first)")
  endif()
  if(NOT TARGET ${name}_bpf)
    message(FATAL_ERROR "bpfseal_embed(${target} ${name}): no object '${name}' "
      "(hint: call bpfseal_add_object(${name} ...) before this call)")
  endif()
  get_target_property(sealed ${name}_bpf BPFSEAL_SEALED_OBJECT)
  get_target_property(signed ${name}_bpf BPFSEAL_SIGNED)
  get_target_property(cert ${name}_bpf BPFSEAL_SIGNING_CERT)
  _bpfseal_target_dep(tool_dep BpfSeal::tool)
  # A signed object is verified against the build's SIGNING_CERT before the
  # headers call it signed (kSigned); an unsigned one says so.
  # No DEPENDS on the cert: the sealed object is re-signed (and so the
  # headers regenerated) whenever it changes.
  set(verify_args)
  if(signed AND cert)
    set(verify_args --cert "${cert}")
  endif()
  # One pair of headers per object, made where the first embed asked for
  # them; later embeds (from any directory) include the same files.
  if(TARGET ${name}_skel)
    get_target_property(gen ${name}_skel BPFSEAL_SKELETON_DIR)
  else()
    set(gen "${CMAKE_CURRENT_BINARY_DIR}/bpfseal/skel")
  endif()
  set(c_header "${gen}/${name}.skel.h")
  set(cxx_header "${gen}/${name}.skel.hpp")
  if(NOT TARGET ${name}_skel)
    add_custom_command(OUTPUT "${c_header}" "${cxx_header}"
      COMMAND $<TARGET_FILE:BpfSeal::tool> gen-skeleton "${sealed}" --name ${name}
              --c-header "${c_header}" --cxx-header "${cxx_header}" ${verify_args}
      DEPENDS "${sealed}" ${name}_bpf ${tool_dep}
      COMMENT "bpfseal ${name}: generating ${name}.skel.h and ${name}.skel.hpp"
      VERBATIM)
    add_custom_target(${name}_skel DEPENDS "${c_header}" "${cxx_header}")
    set_target_properties(${name}_skel PROPERTIES BPFSEAL_SKELETON_DIR "${gen}")
  endif()
  add_dependencies(${target} ${name}_skel)
  if(gen STREQUAL "${CMAKE_CURRENT_BINARY_DIR}/bpfseal/skel")
    target_sources(${target} PRIVATE "${c_header}" "${cxx_header}")
  endif()
  target_include_directories(${target} PRIVATE "${gen}")
  if(arg_STATIC)
    target_link_libraries(${target} PRIVATE BpfSeal::runtime_static)
  else()
    target_link_libraries(${target} PRIVATE BpfSeal::runtime)
  endif()
  # The skeleton hands out program and map fds; libbpf's bpf_map_*() and
  # ring_buffer API are how user code works with them.
  if(TARGET PkgConfig::LIBBPF)
    target_link_libraries(${target} PRIVATE PkgConfig::LIBBPF)
  endif()
endfunction()

# bpfseal_keygen(<name> [SUBJECT dn] [DAYS n] [OUTPUT_DIR dir]): a DEVELOPMENT
# key and certificate made at build time in the build tree; sets <name>_KEY,
# <name>_CERT and <name>_CERT_DER in the caller's scope. Release keys come from
# your key management (a file or an HSM), never from here.
function(bpfseal_keygen name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "SUBJECT;DAYS;OUTPUT_DIR" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bpfseal_keygen(${name}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET BpfSeal::tool)
    message(FATAL_ERROR "bpfseal_keygen(${name}): BpfSeal::tool is not defined "
      "(hint: call find_package(BpfSeal CONFIG REQUIRED) first)")
  endif()
  if(NOT arg_SUBJECT)
    set(arg_SUBJECT "CN=${name},OU=development key - not for release,O=bpfseal_keygen")
  endif()
  if(NOT arg_DAYS)
    set(arg_DAYS 30)
  endif()
  if(NOT arg_OUTPUT_DIR)
    set(arg_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/bpfseal/keys")
  endif()
  get_filename_component(dir "${arg_OUTPUT_DIR}" ABSOLUTE)
  file(MAKE_DIRECTORY "${dir}")
  set(key "${dir}/${name}.key.pem")
  set(cert "${dir}/${name}.cert.pem")
  set(der "${dir}/${name}.cert.der")
  _bpfseal_target_dep(tool_dep BpfSeal::tool)
  # Made once: rebuilding the tool must not rotate the key under a running test.
  add_custom_command(OUTPUT "${key}" "${cert}" "${der}"
    COMMAND $<TARGET_FILE:BpfSeal::tool> keygen --key "${key}" --cert "${cert}" --der "${der}"
            --subject "${arg_SUBJECT}" --days ${arg_DAYS} --force
    COMMENT "bpfseal: making DEVELOPMENT key ${name} (not for release)"
    VERBATIM)
  add_custom_target(${name}_keygen DEPENDS "${key}" "${cert}" "${der}")
  if(TARGET "${tool_dep}")
    add_dependencies(${name}_keygen ${tool_dep})
  endif()
  set_property(GLOBAL APPEND PROPERTY BPFSEAL_GENERATED_KEY_FILES "${key}" "${cert}" "${der}")
  foreach(file "${key}" "${cert}" "${der}")
    string(SHA256 tag "${file}")
    set_property(GLOBAL PROPERTY _BPFSEAL_KEYGEN_${tag} ${name}_keygen)
  endforeach()
  message(STATUS "bpfseal: ${name} is a development key made in ${dir}; never sign releases with it")
  set(${name}_KEY "${key}" PARENT_SCOPE)
  set(${name}_CERT "${cert}" PARENT_SCOPE)
  set(${name}_CERT_DER "${der}" PARENT_SCOPE)
endfunction()

# bpfseal_add_policy(<name> SIGNING_KEY key|pkcs11-uri SIGNING_CERT cert
#                    [MODE enforce|audit] [SET NAME=VALUE ...] [OBJECT enforce.bpf.o]
#                    [OUTPUT file])
# A site's enforcement policy (policy/README.md): bpfseal's BPF LSM object
# sealed with MODE and SET configuration and signed, ready for
# `bpfseal enforce --policy`. Always signed: an unsigned policy cannot start.
function(bpfseal_add_policy name)
  cmake_parse_arguments(arg "" "SIGNING_KEY;SIGNING_CERT;MODE;OBJECT;OUTPUT" "SET" ${ARGN})
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bpfseal_add_policy(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_SIGNING_KEY OR NOT arg_SIGNING_CERT)
    message(FATAL_ERROR "bpfseal_add_policy(${name}): SIGNING_KEY and SIGNING_CERT are required "
      "(the policy is loaded only kernel-verified)")
  endif()
  if(NOT arg_MODE)
    set(arg_MODE enforce)
  endif()
  if(NOT arg_MODE MATCHES "^(enforce|audit)$")
    message(FATAL_ERROR "bpfseal_add_policy(${name}): MODE must be enforce or audit, not '${arg_MODE}'")
  endif()
  if(NOT arg_OBJECT)
    set(arg_OBJECT "${BPFSEAL_POLICY_OBJECT}")
  endif()
  if(NOT arg_OBJECT)
    message(FATAL_ERROR "bpfseal_add_policy(${name}): no policy object (BPFSEAL_POLICY_OBJECT is "
      "unset: bpfseal was built without the policy; pass OBJECT)")
  endif()
  if(NOT arg_OUTPUT)
    set(arg_OUTPUT "${CMAKE_CURRENT_BINARY_DIR}/${name}.sealed.o")
  endif()
  set(sets --set mode=${arg_MODE})
  foreach(s IN LISTS arg_SET)
    list(APPEND sets --set ${s})
  endforeach()
  set(key_dep)
  if(NOT arg_SIGNING_KEY MATCHES "^pkcs11:")
    set(key_dep "${arg_SIGNING_KEY}")
  endif()
  _bpfseal_target_dep(tool_dep BpfSeal::tool)
  set(object_dep "${arg_OBJECT}")
  if(TARGET enforce_policy)
    list(APPEND object_dep enforce_policy)
  endif()
  add_custom_command(OUTPUT "${arg_OUTPUT}"
    COMMAND $<TARGET_FILE:BpfSeal::tool> enforce build --object "${arg_OBJECT}"
            --key "${arg_SIGNING_KEY}" --cert "${arg_SIGNING_CERT}" ${sets} -o "${arg_OUTPUT}"
    DEPENDS ${object_dep} ${key_dep} "${arg_SIGNING_CERT}" ${tool_dep}
    COMMENT "bpfseal ${name}: sealing and signing the enforcement policy (mode ${arg_MODE})"
    VERBATIM)
  add_custom_target(${name} ALL DEPENDS "${arg_OUTPUT}")
  set_target_properties(${name} PROPERTIES BPFSEAL_POLICY "${arg_OUTPUT}")
endfunction()
