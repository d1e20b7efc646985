#!/usr/bin/env bash
# racegoals.sh: how often --detect races reports each planted race, at the
# smallest --ops where the bug can bite, with no injector but the bug's own.
# Prints a markdown table: runs with a race, and for nolock the runs that
# skipped the lock; for the message bugs, the runs another checker failed
# without a race (a bug that showed but was not a data race).
#   IPCHAOS=build/ipchaos SEEDS=100 MODE=chaos bench/racegoals.sh
# MODE: chaos (default) or random (--mode controlled --strategy random).
set -u
ic=${IPCHAOS:-build/ipchaos}
seeds=${SEEDS:-100}
mode=${MODE:-chaos}
case $mode in
chaos) margs="" ;;
random) margs="--mode controlled --strategy random" ;;
*) echo "racegoals: MODE=$mode (valid: chaos, random)" >&2; exit 2 ;;
esac
specs=(
	"shm_counter:lock=none --ops 1"
	"shm_counter:lock=mutex --inject nolock --ops 50"
	"shm_counter:lock=sem --inject nolock --ops 20"
	"shm_ring:bug=none_sync --procs 2:2 --ops 2"
	"shm_ring:bug=check_then_act --procs 1:2 --ops 2"
	"shm_ring:sync=spsc_atomic,bug=spsc_misuse --procs 2:1 --ops 1"
	"shm_ring:sync=spsc_atomic,bug=spsc_misuse --procs 2:1 --ops 2"
	"shm_ring:sync=spsc_atomic,bug=spsc_misuse --procs 2:1 --ops 5"
	"shm_ring:sync=spsc_atomic,bug=spsc_misuse --procs 2:1 --ops 20"
	"hybrid:bug=early_release --ops 11"
	"hybrid:bug=double_free --procs 2:1 --ops 10"
	"hybrid:bug=double_free --procs 2:1 --ops 20"
)
json=$(mktemp /tmp/racegoals.XXXXXX.json)
trap 'rm -f "$json"' EXIT
echo "| spec ($mode) | runs | with a race | lock skipped | failed otherwise, no race |"
echo "|---|---|---|---|---|"
for spec in "${specs[@]}"; do
	# shellcheck disable=SC2086
	"$ic" run $spec $margs --seeds "$seeds" --keep-going -q --jobs 2 --detect races --json "$json" >/dev/null 2>&1
	python3 - "$json" "$spec" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
race = lambda r: any(f["checker"] == "race" for f in r["findings"])
skip = [r for r in runs if any(f["injector"].startswith("nolock") and f["count"] for f in r["fired"])]
n, raced = len(runs), sum(map(race, runs))
other = sum(1 for r in runs if r["findings"] and not race(r))
skipped = "%d (race in %d)" % (len(skip), sum(map(race, skip))) if "nolock" in sys.argv[2] else "-"
print("| `%s` | %d | **%d (%.0f %%)** | %s | %d |" % (sys.argv[2], n, raced, 100.0 * raced / max(n, 1), skipped, other))
PY
done
