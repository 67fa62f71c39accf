# unicode.cmake - the generator of common/unicode_tables.c (Unicode property tables).
# The generated file is committed, so a normal build never runs this; after a change to the
# generator or to the Unicode data, run `cmake --build build --target gen-unicode-tables` and
# commit the result. The generator is not part of the library and is built only on request.
set(KZ_UCD_DIR /usr/share/unicode CACHE PATH "Unicode Character Database (Debian unicode-data)")
add_executable(gen_unicode_tables EXCLUDE_FROM_ALL ${CMAKE_SOURCE_DIR}/common/gen/gen_unicode_tables.c)
add_custom_target(gen-unicode-tables
  COMMAND gen_unicode_tables
          ${KZ_UCD_DIR}/auxiliary/WordBreakProperty.txt ${KZ_UCD_DIR}/emoji/emoji-data.txt
          ${KZ_UCD_DIR}/Scripts.txt ${KZ_UCD_DIR}/DerivedCoreProperties.txt
          ${CMAKE_SOURCE_DIR}/common/unicode_tables.c
  DEPENDS gen_unicode_tables
  COMMENT "Generating common/unicode_tables.c from ${KZ_UCD_DIR}"
  VERBATIM)
