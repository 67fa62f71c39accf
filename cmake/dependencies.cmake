# dependencies.cmake - finds the Debian packages kzsearch builds on; a missing one stops the
# configure step with the name of the package to install.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

set(KZ_DEP_TARGETS "")

# kz_require_pkg(<name> <pkg-config module> <Debian package>)
function(kz_require_pkg name module debian)
  pkg_check_modules(${name} IMPORTED_TARGET ${module})
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "${module} not found: apt-get install ${debian}")
  endif()
  set(KZ_DEP_TARGETS ${KZ_DEP_TARGETS} PkgConfig::${name} PARENT_SCOPE)
endfunction()

kz_require_pkg(UTF8PROC libutf8proc libutf8proc-dev)
kz_require_pkg(XXHASH libxxhash libxxhash-dev)
kz_require_pkg(OPENCC opencc libopencc-dev)
kz_require_pkg(ZSTD libzstd libzstd-dev)

# OpenCC is not linked into the library: common/opencc_lib.c loads it with dlopen at its first
# use, by the soname of the libopencc found here (its header and the build-time generator still
# use the package as usual). Loading it at every start cost a third of a one-shot query.
list(REMOVE_ITEM KZ_DEP_TARGETS PkgConfig::OPENCC)
list(APPEND KZ_DEP_TARGETS ${CMAKE_DL_LIBS})
find_library(KZ_OPENCC_LIBRARY NAMES opencc HINTS ${OPENCC_LIBRARY_DIRS})
find_program(KZ_OBJDUMP objdump)
if(NOT KZ_OPENCC_LIBRARY OR NOT KZ_OBJDUMP)
  message(FATAL_ERROR "libopencc.so or objdump not found: apt-get install libopencc-dev binutils")
endif()
execute_process(COMMAND ${KZ_OBJDUMP} -p ${KZ_OPENCC_LIBRARY} OUTPUT_VARIABLE KZ_OPENCC_DUMP
                RESULT_VARIABLE KZ_OPENCC_DUMP_RC)
string(REGEX MATCH "SONAME +([^ \n]+)" KZ_OPENCC_SONAME_LINE "${KZ_OPENCC_DUMP}")
set(KZ_OPENCC_SONAME "${CMAKE_MATCH_1}")
if(NOT KZ_OPENCC_DUMP_RC EQUAL 0 OR KZ_OPENCC_SONAME STREQUAL "")
  message(FATAL_ERROR "cannot read the soname of ${KZ_OPENCC_LIBRARY} with objdump -p")
endif()

# libstemmer ships no pkg-config file.
find_path(STEMMER_INCLUDE_DIR libstemmer.h)
find_library(STEMMER_LIBRARY stemmer)
if(NOT STEMMER_INCLUDE_DIR OR NOT STEMMER_LIBRARY)
  message(FATAL_ERROR "libstemmer not found: apt-get install libstemmer-dev")
endif()
add_library(kz_stemmer INTERFACE IMPORTED)
set_target_properties(kz_stemmer PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${STEMMER_INCLUDE_DIR}
                      INTERFACE_LINK_LIBRARIES ${STEMMER_LIBRARY})
list(APPEND KZ_DEP_TARGETS kz_stemmer Threads::Threads m)

find_package(Threads REQUIRED)
