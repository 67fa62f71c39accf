# generated.cmake - sources generated at build time.
include(cmake/unicode.cmake)
include(cmake/zhdict.cmake)
include(cmake/t2s.cmake)
