#!/usr/bin/env bash
# ci/build.sh NAME [CMAKE_ARGS...]: configure and build into build-NAME (warnings are errors).
set -euo pipefail
name=$1
shift
cmake -S . -B "build-$name" "$@" >/dev/null
cmake --build "build-$name" -j"$(nproc)" >/dev/null
echo "built build-$name"
