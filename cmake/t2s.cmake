# t2s.cmake - the table of OpenCC's multi-character t2s keys (common/t2s_phrases.h), read from the
# installed dictionaries at build time: OpenCC's C API cannot list them, its opencc_dict tool
# (Debian package opencc) dumps them as text, and kz_mkt2s turns the dumps into C.
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
target_link_libraries(kz_mkt2s PRIVATE PkgConfig::XXHASH)

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
                   COMMENT "Reading OpenCC's multi-character t2s keys from ${KZ_OPENCC_DIR}"
                   VERBATIM)
target_sources(kz_objects PRIVATE ${KZ_T2S_SRC})
