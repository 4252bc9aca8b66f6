# Finds the system libraries bpfseal builds on. All come from Debian bookworm
# packages; scripts/install-deps.sh installs them.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf>=1.1)
pkg_check_modules(LIBELF REQUIRED IMPORTED_TARGET libelf)
find_package(ZLIB REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_library(KEYUTILS_LIBRARY NAMES keyutils REQUIRED)
find_path(KEYUTILS_INCLUDE_DIR keyutils.h REQUIRED)
if(NOT TARGET Keyutils::keyutils)
  add_library(Keyutils::keyutils UNKNOWN IMPORTED)
  set_target_properties(Keyutils::keyutils PROPERTIES
    IMPORTED_LOCATION ${KEYUTILS_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${KEYUTILS_INCLUDE_DIR})
endif()
