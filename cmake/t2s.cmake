# t2s.cmake - the generated tables of what OpenCC's t2s conversion does (common/t2s_phrases.h), so
# that a process opens OpenCC only for a run holding one of its multi-character keys. The keys are
# read from the installed dictionaries (OpenCC's C API cannot list them; its opencc_dict tool,
# Debian package opencc, dumps them as text); what each character below KZ_T2S_LIMIT becomes alone
# is asked of libopencc itself by kz_mkt2s, which fails the build if OpenCC cannot be opened.
# The directory must be the one common/t2s_phrases.h names (KZ_T2S_DIR): the library compares
# the files' fingerprint at run time and ignores a table that does not describe them.
set(KZ_OPENCC_DIR "/usr/share/opencc")
find_program(KZ_OPENCC_DICT opencc_dict)
if(NOT KZ_OPENCC_DICT)
  message(FATAL_ERROR "opencc_dict not found: apt-get install opencc")
endif()
foreach(f t2s.json TSPhrases.ocd2 TSCharacters.ocd2)
  if(NOT EXISTS "${KZ_OPENCC_DIR}/${f}")
    message(FATAL_ERROR "${KZ_OPENCC_DIR}/${f} not found: apt-get install libopencc-data")
  endif()
endforeach()

# The generator is built from the sources it needs, not from the library it is an input of.
add_executable(kz_mkt2s ${CMAKE_SOURCE_DIR}/common/gen/kz_mkt2s.c
               ${CMAKE_SOURCE_DIR}/common/t2s_phrases.c ${CMAKE_SOURCE_DIR}/common/file.c
               ${CMAKE_SOURCE_DIR}/common/utf8.c ${CMAKE_SOURCE_DIR}/common/error.c)
target_include_directories(kz_mkt2s PRIVATE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/common)
target_link_libraries(kz_mkt2s PRIVATE PkgConfig::XXHASH PkgConfig::OPENCC)

set(KZ_T2S_GEN ${CMAKE_BINARY_DIR}/generated)
set(KZ_T2S_SRC ${KZ_T2S_GEN}/kz_t2s_phrases.c)
add_custom_command(OUTPUT ${KZ_T2S_SRC}
                   COMMAND ${KZ_OPENCC_DICT} -i ${KZ_OPENCC_DIR}/TSPhrases.ocd2 -o
                           ${KZ_T2S_GEN}/TSPhrases.txt -f ocd2 -t text
                   COMMAND ${KZ_OPENCC_DICT} -i ${KZ_OPENCC_DIR}/TSCharacters.ocd2 -o
                           ${KZ_T2S_GEN}/TSCharacters.txt -f ocd2 -t text
                   COMMAND kz_mkt2s ${KZ_OPENCC_DIR} ${KZ_T2S_GEN}/TSPhrases.txt
                           ${KZ_T2S_GEN}/TSCharacters.txt ${KZ_T2S_SRC}
                   DEPENDS kz_mkt2s ${KZ_OPENCC_DIR}/t2s.json ${KZ_OPENCC_DIR}/TSPhrases.ocd2
                           ${KZ_OPENCC_DIR}/TSCharacters.ocd2
                   COMMENT "Asking OpenCC in ${KZ_OPENCC_DIR} for its t2s keys and characters"
                   VERBATIM)
target_sources(kz_objects PRIVATE ${KZ_T2S_SRC})
