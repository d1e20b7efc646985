#!/usr/bin/env bash
# racesweep.sh: the detector's false-alarm sweep. Every correct built-in
# variant, with delay and kill where the variant survives a kill, run SEEDS
# seeds with --detect races; prints the runs that reported a race (the goal
# is 0 everywhere: a false race is a detector bug) and the runs that failed
# any other way (a race finding must never hide among them).
#   IPCHAOS=build/ipchaos SEEDS=1000 JOBS=2 bench/racesweep.sh [MODE...]
# MODE: chaos (default), random (controlled, --strategy random), pct.
# EXAMPLES=path/to/jobsvc-chaos-races adds the examples' workq and tally.
set -u
ic=${IPCHAOS:-build/ipchaos}
seeds=${SEEDS:-1000}
jobs=${JOBS:-2}
only=${ONLY:-} # a substring of the specs to run, for a part of the sweep
modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(chaos)

# spec | injectors. Kills only where the variant recovers from a dead holder.
specs=(
	"shm_counter:lock=robust|delay kill"
	"shm_counter:lock=mutex|delay"
	"shm_counter:lock=sem|delay"
	"shm_counter:lock=spin|delay"
	"shm_counter:lock=atomic|delay kill"
	"shm_ring:sync=mutex_cond --procs 2:2|delay kill:at=*e/*"
	"shm_ring:sync=sem --procs 2:2|delay kill:at=*e/*"
	"shm_ring:sync=spsc_atomic|delay kill"
	"shm_batch|delay kill"
	"hybrid --procs 2:2|delay kill"
	"rwcache:lock=rwlock|delay"
	"rwcache:lock=seqlock|delay"
	"rwcache:lock=mutex|delay"
	"heartbeat:via=shm|delay kill"
	"heartbeat:via=mq|delay kill"
	"lockorder|delay"
	"mq --procs 2:2|delay kill"
	"sysv_msg --procs 2:2|delay kill"
	"unix:type=dgram|delay kill"
	"pipe|delay kill"
)
mode_args() {
	case $1 in
	chaos) echo "" ;;
	random) echo "--mode controlled --strategy random --ops 20" ;;
	pct) echo "--mode controlled --ops 20" ;;
	*) echo "racesweep: mode $1 (valid: chaos, random, pct)" >&2; exit 2 ;;
	esac
}
# The examples' program has its own scenarios (examples/: built against the installed package).
examples=${EXAMPLES:-}
[ -n "$examples" ] && specs+=("@workq|delay" "@tally|delay")
json=$(mktemp /tmp/racesweep.XXXXXX.json)
trap 'rm -f "$json"' EXIT
printf '%-8s %-46s %-18s %6s %6s %6s\n' mode spec inject runs races other
for mode in "${modes[@]}"; do
	margs=$(mode_args "$mode") || exit 2
	for line in "${specs[@]}"; do
		spec=${line%%|*} inj=${line#*|} prog=$ic
		if [[ $spec == @* ]]; then
			spec=${spec#@} prog=$examples
		fi
		[ -n "$only" ] && [[ $spec != *"$only"* ]] && continue
		iargs=""
		for i in $inj; do iargs="$iargs --inject $i"; done
		# shellcheck disable=SC2086
		"$prog" run $spec $iargs $margs --seeds "$seeds" --keep-going -q --jobs "$jobs" \
			--detect races --json "$json" >/dev/null 2>&1
		python3 - "$json" "$mode" "$spec" "$inj" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
race = sum(any(f["checker"] == "race" for f in r["findings"]) for r in runs)
other = sum(bool(r["findings"]) and not any(f["checker"] == "race" for f in r["findings"]) for r in runs)
print(f"{sys.argv[2]:<8} {sys.argv[3]:<46} {sys.argv[4]:<18} {len(runs):>6} {race:>6} {other:>6}")
PY
	done
done
