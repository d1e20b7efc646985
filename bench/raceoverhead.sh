#!/usr/bin/env bash
# raceoverhead.sh: runs/s of the same runs with and without --detect races,
# interleaved round by round in one run, so that a loaded machine weighs on
# both alike; the ratio is the number to read.
#   IPCHAOS=build/ipchaos ROUNDS=5 SEEDS=20 bench/raceoverhead.sh shm_counter "shm_ring:size=64K --ops 100"
set -u
ic=${IPCHAOS:-build/ipchaos}
rounds=${ROUNDS:-5}
seeds=${SEEDS:-20}
now() { date +%s.%N; }
for spec in "$@"; do
	off=0 on=0
	for r in $(seq "$rounds"); do
		t0=$(now)
		# shellcheck disable=SC2086
		"$ic" run $spec --seeds "$seeds" --seed $((r * 1000)) --keep-going -q >/dev/null 2>&1
		t1=$(now)
		# shellcheck disable=SC2086
		"$ic" run $spec --seeds "$seeds" --seed $((r * 1000)) --keep-going -q --detect races >/dev/null 2>&1
		t2=$(now)
		off=$(awk -v s="$off" -v a="$t0" -v b="$t1" 'BEGIN { print s + b - a }')
		on=$(awk -v s="$on" -v a="$t1" -v b="$t2" 'BEGIN { print s + b - a }')
	done
	awk -v n=$((rounds * seeds)) -v a="$off" -v b="$on" -v s="$spec" \
		'BEGIN { printf "%-40s off %6.1f runs/s  on %6.1f runs/s  on/off %.2f\n", s, n / a, n / b, a / b }'
done
