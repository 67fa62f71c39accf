# quality.cmake - kzquality, the search-quality measurement of one-word Chinese queries
# (bench/QUALITY.md). Included from bench/CMakeLists.txt right after its source glob: quality.c
# has its own main(), so it is taken out of kzbench's sources and built alone.
#
#   cmake --build build --target kzquality
#   build/bin/kzquality --corpus CORPUS.jsonl --index DIR --queries QUERIES.tsv [--json OUT]
#   cmake --build build --target quality     # the same on KZ_QUALITY_CORPUS (not built by default)
set(KZ_QUALITY_SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/quality.c)
list(REMOVE_ITEM KZ_BENCH_SOURCES ${KZ_QUALITY_SOURCE})

add_executable(kzquality ${KZ_QUALITY_SOURCE})
# kzsearch_static brings the public header and OpenCC (the ground truth calls it directly).
# OpenCC directly: kzquality converts text with it (the library loads it itself).
target_link_libraries(kzquality PRIVATE kzsearch_static PkgConfig::OPENCC)

set(KZ_QUALITY_CORPUS /tmp/quality-corpus/corpus.jsonl CACHE FILEPATH
    "corpus.jsonl made by ../shared/bench/make-corpus, for the quality target")
set(KZ_QUALITY_QUERIES ${CMAKE_SOURCE_DIR}/../shared/bench/queries-dev.tsv CACHE FILEPATH
    "query file whose `zh` lines the quality target measures")
set(KZ_QUALITY_DIR ${CMAKE_BINARY_DIR}/quality-data CACHE PATH
    "where the quality target keeps its index and report")
add_custom_target(quality
                  COMMAND ${CMAKE_COMMAND} -E make_directory ${KZ_QUALITY_DIR}
                  COMMAND kzquality --corpus ${KZ_QUALITY_CORPUS} --index ${KZ_QUALITY_DIR}/index
                          --queries ${KZ_QUALITY_QUERIES} --json ${KZ_QUALITY_DIR}/quality.json
                  DEPENDS kzquality USES_TERMINAL
                  COMMENT "kzquality on ${KZ_QUALITY_CORPUS} (index and report in ${KZ_QUALITY_DIR})"
                  VERBATIM)
