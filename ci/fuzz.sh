#!/usr/bin/env bash
# ci/fuzz.sh [SECONDS]: builds the libFuzzer targets (clang, ASan+UBSan) into
# build-fuzz, replays their checked-in corpora, then fuzzes both at once for
# SECONDS each (default 45). New inputs go to build-fuzz/corpus-*, a crash to
# build-fuzz/crash-* (add it to tests/fuzz/corpus/ with the fix).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45}
ci/build.sh fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DIPCHAOS_FUZZ=ON -DIPCHAOS_TESTS=OFF
ctest --test-dir build-fuzz --output-on-failure -L fuzz
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
targets=(json_read cli)
pids=()
for target in "${targets[@]}"; do
	mkdir -p "build-fuzz/corpus-$target"
	"build-fuzz/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="build-fuzz/" "build-fuzz/corpus-$target" "tests/fuzz/corpus/$target" \
		>"build-fuzz/fuzz-$target.log" 2>&1 &
	pids+=($!)
done
bad=0
for i in "${!pids[@]}"; do
	log="build-fuzz/fuzz-${targets[$i]}.log"
	if wait "${pids[$i]}"; then
		echo "ci/fuzz.sh: fuzz_${targets[$i]}: $(grep -m1 '^Done' "$log"), nothing found"
	else
		echo "ci/fuzz.sh: fuzz_${targets[$i]} found a failure:"
		tail -n 60 "$log"
		bad=1
	fi
done
exit "$bad"
