#!/usr/bin/env bash
# The whole test suite, as CI runs it: gcc and clang in Debug and Release with
# -Werror and their unit tests, the full suite (unit + integration) on an
# ASan+UBSan build, the unit tests under valgrind memcheck, and each libFuzzer
# target for 45 s (ci/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ci/setup.sh

run_ctest() { # DIR [CTEST_ARGS...]
	local dir=$1
	shift
	echo "== ctest $dir $*"
	ctest --test-dir "$dir" --output-on-failure "$@"
}

ci/layers.sh
ci/build.sh gcc-debug -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug
ci/build.sh gcc-release -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release
ci/build.sh clang-debug -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug
ci/build.sh clang-release -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release
ci/build.sh asan -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug -DIPCHAOS_SANITIZE=ON
ci/build.sh memcheck -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug -DIPCHAOS_MEMCHECK=ON

run_ctest build-gcc-release -L unit
run_ctest build-clang-debug -L unit
run_ctest build-clang-release -L unit
run_ctest build-memcheck -L unit
run_ctest build-gcc-debug -L unit
# The integration suite once, under the sanitizers: it is the stricter build, and
# twice (gcc Debug too) no longer fits CI's 20 minutes on 2 cores.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_ctest build-asan -j2
echo "== fuzzing"
ci/fuzz.sh 45
echo "ci/test.sh: all builds and suites passed"
