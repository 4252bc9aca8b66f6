# Finds the system libraries bpfseal builds on. All come from Debian bookworm
# packages; scripts/install-deps.sh installs them. A missing or too old one
# stops configure with the package that provides it.
find_package(PkgConfig REQUIRED)

function(_bpfseal_require_pc prefix module min_version package)
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${module})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "bpfseal needs ${module}${min_version} and pkg-config found none "
      "(hint: apt-get install ${package}, or scripts/install-deps.sh; for a library "
      "elsewhere set PKG_CONFIG_PATH)")
  endif()
  if(min_version)
    string(REGEX REPLACE "^[ >=]+" "" min "${min_version}")
    if(${prefix}_VERSION VERSION_LESS min)
      message(FATAL_ERROR "bpfseal needs ${module} >= ${min} but found ${${prefix}_VERSION} "
        "(hint: install ${package} ${min} or newer, e.g. Debian bookworm's, and point "
        "PKG_CONFIG_PATH at it)")
    endif()
  endif()
  # pkg_check_modules sets its results in this function's scope only.
  foreach(var FOUND VERSION INCLUDEDIR INCLUDE_DIRS LIBRARIES LINK_LIBRARIES)
    set(${prefix}_${var} "${${prefix}_${var}}" PARENT_SCOPE)
  endforeach()
endfunction()

# libbpf >= 1.1: the loader context layout and the linker API bpfseal uses.
_bpfseal_require_pc(LIBBPF libbpf " >= 1.1" libbpf-dev)
_bpfseal_require_pc(LIBELF libelf "" libelf-dev)

foreach(dep "ZLIB;;zlib1g-dev" "OpenSSL;3.0;libssl-dev" "nlohmann_json;3.10;nlohmann-json3-dev")
  list(GET dep 0 name)
  list(GET dep 1 version)
  list(GET dep 2 package)
  find_package(${name} ${version} QUIET)
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "bpfseal needs ${name}${version} (hint: apt-get install ${package})")
  endif()
endforeach()

find_library(KEYUTILS_LIBRARY NAMES keyutils)
find_path(KEYUTILS_INCLUDE_DIR keyutils.h)
if(NOT KEYUTILS_LIBRARY OR NOT KEYUTILS_INCLUDE_DIR)
  message(FATAL_ERROR "bpfseal needs libkeyutils and keyutils.h (hint: apt-get install libkeyutils-dev)")
endif()
if(NOT TARGET Keyutils::keyutils)
  add_library(Keyutils::keyutils UNKNOWN IMPORTED)
  set_target_properties(Keyutils::keyutils PROPERTIES
    IMPORTED_LOCATION ${KEYUTILS_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${KEYUTILS_INCLUDE_DIR})
endif()
