# generated.cmake - sources generated at build time (none yet).
include(cmake/unicode.cmake)
