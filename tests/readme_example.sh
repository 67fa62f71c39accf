#!/bin/sh
# Compiles the embedding example of README.md against the built shared library, indexes the demo
# collection and runs the example on it: the README's code must compile, link against only the
# public API, and find results.
# usage: readme_example.sh SOURCE_DIR BINARY_DIR CC [CFLAGS...]
set -eu
src=$1 bin=$2 cc=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk '/<!-- embed-example -->/ {armed=1; next}
     armed && /^```c/ {inside=1; next}
     inside && /^```/ {exit}
     inside {print}' "$src/README.md" > "$work/example.c"
test -s "$work/example.c" || { echo "no embedding example found in README.md"; exit 1; }
"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror "$@" -I"$src/include" "$work/example.c" \
    -L"$bin/lib" -lkzsearch -Wl,-rpath,"$bin/lib" -o "$work/example"
"$bin/bin/kzsearch" index --index "$work/index" "$src/data/demo" 2>/dev/null
"$work/example" "$work/index" "CSTO troops" > "$work/out"
cat "$work/out"
grep -q "CSTO" "$work/out" || { echo "the example found no CSTO passage"; exit 1; }
# Only kz_ symbols are exported by the shared library.
if nm -D --defined-only "$bin/lib/libkzsearch.so" | awk '{print $3}' | grep -v '^kz_' | grep -v '^_' | grep .; then
  echo "the shared library exports symbols outside the kz_ namespace (above)"; exit 1
fi
echo "README example: ok"
