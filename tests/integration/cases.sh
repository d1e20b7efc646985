#!/usr/bin/env bash
# Integration tests for ipchaos: the real binary, real processes, real IPC objects.
#
#   cases.sh IPCHAOS_BINARY CASE_NAME
#
# Each case is a function case_<name>. It runs in a subshell with its own
# scratch directory; the global IPC state (POSIX shm and named semaphores of
# ipchaos, System V IPC, POSIX message queues, processes named ipchaos) is
# snapshotted before it and compared after it: anything new that remains
# fails the case, whatever the case itself concluded.
#
# Exit: 0 pass, 1 fail, 77 skip (CTest SKIP_RETURN_CODE), 2 bad invocation.
set -u

# ---------------------------------------------------------------- helpers --

say() { printf '%s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*"
	exit 1
}
skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}
ok() { printf '  ok: %s\n' "$*"; }

# The global state a run may touch, one sorted line per object.
snapshot() {
	{
		local f t mq
		for f in /dev/shm/ipchaos.* /dev/shm/sem.ipchaos.*; do
			[ -e "$f" ] && printf 'posix-shm %s\n' "$f"
		done
		for t in shm sem msg; do
			[ -r "/proc/sysvipc/$t" ] &&
				awk -v t="$t" 'NR > 1 { print "sysv-" t " key=" $1 " id=" $2 }' "/proc/sysvipc/$t"
		done
		awk '$3 == "mqueue" { print $2 }' /proc/mounts 2>/dev/null | while read -r mq; do
			for f in "$mq"/*; do
				[ -e "$f" ] && printf 'mqueue %s\n' "$f"
			done
		done
		pgrep -x ipchaos 2>/dev/null | while read -r pid; do
			printf 'process ipchaos pid=%s\n' "$pid"
		done
	} | LC_ALL=C sort -u
}

# Lines of snapshot file $2 that are not in snapshot file $1.
snapshot_new() {
	LC_ALL=C comm -13 "$1" "$2"
}

# Explains a leftover line: for processes, what they are.
explain_leftover() {
	local line=$1 pid
	say "    $line"
	case $line in
	process*)
		pid=${line##*pid=}
		ps -o pid=,ppid=,stat=,etime=,args= -p "$pid" 2>/dev/null | sed 's/^/      /'
		;;
	esac
}

# Runs the binary: stdout to $T/out, stderr to $T/err, exit code in RC.
ic() {
	"$IC" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# Shows what the last run printed (for failure messages).
show_output() {
	say "---- command: ipchaos $*"
	say "---- exit code: $RC"
	say "---- stdout (last 40 lines):"
	tail -n 40 "$T/out"
	say "---- stderr:"
	cat "$T/err"
	say "----"
}

expect_rc() {
	local want=$1
	shift
	if [ "$RC" != "$want" ]; then
		show_output "$@"
		fail "expected exit code $want, got $RC"
	fi
}

# py FILE: runs python code from stdin with `d` the JSON of FILE, `argv` the
# rest. The code raises or calls bad(msg) to fail; what it prints is shown.
py() {
	local file=$1
	shift
	local code
	code=$(cat)
	"$PY" -I -S - "$file" "$@" <<EOF
import json, re, sys
def bad(msg):
    print("FAIL: " + msg)
    sys.exit(1)
path = sys.argv[1]
argv = sys.argv[2:]
try:
    with open(path) as fh:
        d = json.load(fh)
except Exception as e:
    bad("%s is not valid JSON: %s" % (path, e))
if d.get("format") != "ipchaos-results" or d.get("format_version") != 1:
    bad("%s: format %r version %r" % (path, d.get("format"), d.get("format_version")))
runs = d["runs"]
summary = d["summary"]
if summary["runs"] != len(runs):
    bad("summary says %d runs, the file has %d" % (summary["runs"], len(runs)))
$code
EOF
}

# Another user, who needs no account: objects he makes carry his uid.
OTHER_UID=4242
as_other_user() { setpriv --reuid=$OTHER_UID --regid=$OTHER_UID --clear-groups "$@"; }
need_other_user() {
	[ "$(id -u)" = 0 ] || skip "needs root to act as another user"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux) to act as another user"
}

# The replay line printed in $T/out (the last one), without its indentation.
replay_line() {
	grep -E '^  replay: ipchaos run ' "$T/out" | tail -n 1 | sed 's/^  replay: //'
}

# The first verdict printed in $T/out: the checker of the first FAIL line.
printed_verdict() {
	local v
	v=$(grep -m1 -E '^  FAIL [a-z-]+: ' "$T/out" | sed -E 's/^  FAIL ([a-z-]+): .*/\1/')
	if [ -z "$v" ] && grep -q '^  BROKEN: ' "$T/out"; then
		v=broken
	fi
	printf '%s' "${v:-pass}"
}

# Runs a printed replay line exactly as printed, the leading word ipchaos
# replaced with the binary under test.
run_replay_line() {
	local line=$1
	local -a words
	read -r -a words <<<"$line"
	[ "${words[0]}" = ipchaos ] || fail "replay line does not start with ipchaos: $line"
	ic "${words[@]:1}"
}

# --------------------------------------------------------------- the cases --

case_race_found() {
	ic run shm_counter:lock=none --inject delay --seeds 100 --json "$T/r.json"
	expect_rc 1 run shm_counter:lock=none --inject delay --seeds 100
	ok "lock=none + delay exits 1"
	grep -qE '^  FAIL counter: expected [0-9]+, got [0-9]+ \([0-9]+ increments lost\)' "$T/out" ||
		{ show_output; fail "no '  FAIL counter: expected N, got M (K increments lost)' line"; }
	ok "a FAIL counter line: $(grep -m1 '^  FAIL counter' "$T/out")"
	grep -qE '^  replay: ipchaos run ' "$T/out" || { show_output; fail "no '  replay: ipchaos run' line"; }
	ok "a replay line: $(replay_line)"
	py "$T/r.json" <<'EOF' || exit 1
if not 1 <= len(runs) <= 100: bad("%d runs for --seeds 100" % len(runs))
last = runs[-1]
if last["verdict"] != "counter": bad("last run's verdict is %r, not counter" % last["verdict"])
if not any(f["checker"] == "counter" for f in last["findings"]): bad("no counter finding")
for r in runs[:-1]:
    if r["verdict"] != "pass": bad("a run before the first finding is %r" % r["verdict"])
if summary["exit"] != 1: bad("summary exit %r" % summary["exit"])
if not last["replay"].startswith("ipchaos run shm_counter:lock=none"): bad("replay %r" % last["replay"])
print("  ok: JSON: %d run(s), the last (seed %s) has verdict counter; summary exit 1" % (len(runs), last["seed"]))
EOF
}

# 200 seeds of a correct variant under injection: exit 0, 200 runs all pass.
correct_variant() {
	local variant=$1
	shift
	local -a inject=()
	local i
	for i in "$@"; do inject+=(--inject "$i"); done
	ic run "shm_counter:lock=$variant" "${inject[@]}" --seeds 200 --json "$T/c.json"
	expect_rc 0 run "shm_counter:lock=$variant" "${inject[@]}" --seeds 200
	ok "lock=$variant with ${inject[*]} --seeds 200 exits 0"
	grep -q '^summary: 200 runs, 200 passed, 0 failed, 0 broken' "$T/out" ||
		{ show_output; fail "summary line is not '200 runs, 200 passed, 0 failed, 0 broken'"; }
	ok "$(grep '^summary:' "$T/out")"
	py "$T/c.json" "$variant" "$#" <<'EOF' || exit 1
variant, ninj = argv[0], int(argv[1])
if len(runs) != 200: bad("%d runs, expected 200" % len(runs))
notpass = [(r["seed"], r["verdict"]) for r in runs if r["verdict"] != "pass"]
if notpass: bad("runs not passing: %r" % notpass[:5])
seeds = [int(r["seed"], 16) for r in runs]
if seeds != list(range(1, 201)): bad("seeds are not 0x1..0xc8 in order")
for r in runs:
    if not r["spec"].startswith("shm_counter:lock=%s," % variant): bad("spec %r" % r["spec"])
    if len(r["inject"]) != ninj: bad("inject %r" % r["inject"])
    if r["findings"]: bad("a passing run has findings: %r" % r["findings"])
if summary["passed"] != 200 or summary["exit"] != 0: bad("summary %r" % summary)
print("  ok: JSON: 200 runs, seeds 0x1..0xc8, all pass, summary exit 0")
EOF
}

case_correct_robust() { correct_variant robust delay kill; }
case_correct_atomic() { correct_variant atomic delay kill; }
case_correct_mutex() { correct_variant mutex delay; }
case_correct_sem() { correct_variant sem delay; }
case_correct_spin() { correct_variant spin delay; }

case_robust_recovers() {
	ic run shm_counter:lock=robust --inject kill:at=counter/locked --seeds 20 --json "$T/r.json"
	expect_rc 0 run shm_counter:lock=robust --inject kill:at=counter/locked --seeds 20
	ok "robust with kill:at=counter/locked, 20 seeds, exits 0"
	py "$T/r.json" <<'EOF' || exit 1
if len(runs) != 20: bad("%d runs, expected 20" % len(runs))
if any(r["verdict"] != "pass" for r in runs): bad("not every run passed")
rec = [r["recoveries"] for r in runs]
if max(rec) < 1: bad("no run recovered the robust mutex: recoveries %r" % rec)
print("  ok: JSON: all 20 pass; %d run(s) recovered from a dead holder (recoveries %r)"
      % (sum(1 for x in rec if x >= 1), rec))
EOF
}

case_dead_holder() {
	local lock at kind n first="" text
	for spec in mutex:counter/locked:mutex sem:counter/loaded:semaphore spin:counter/stored:spinlock; do
		IFS=: read -r lock at kind <<<"$spec"
		first=""
		for n in 1 2 3; do
			ic run "shm_counter:lock=$lock" --inject "kill:at=$at" --seed 42 --json "$T/d$n.json"
			expect_rc 1 run "shm_counter:lock=$lock" --inject "kill:at=$at" --seed 42
			text=$(py "$T/d$n.json" "$kind" <<'EOF'
kind = argv[0]
if len(runs) != 1: bad("%d runs" % len(runs))
r = runs[0]
if r["verdict"] != "dead-holder": bad("verdict %r, expected dead-holder; findings %r" % (r["verdict"], r["findings"]))
t = r["findings"][0]["text"]
if "'counter' (%s)" % kind not in t: bad("finding does not name lock site 'counter' and kind %s: %r" % (kind, t))
print(t)
EOF
			) || fail "lock=$lock kill:at=$at seed 42 (repeat $n): $text"
			if [ -z "$first" ]; then
				first=$text
			elif [ "$text" != "$first" ]; then
				fail "lock=$lock, same seed, repeat $n differs: first '$first', now '$text'"
			fi
		done
		ok "lock=$lock kill:at=$at: 3 x exit 1, dead-holder, same finding: $(printf '%s' "$first" | sed -n 2p | sed 's/^ *//')"
	done
}

case_hang() {
	ic run shm_counter:lock=mutex,bug=forget_unlock --timeout 0.5 --json "$T/h.json"
	expect_rc 1 run shm_counter:lock=mutex,bug=forget_unlock --timeout 0.5
	ok "forget_unlock exits 1"
	grep -q '^  FAIL hang: no progress for' "$T/out" || { show_output; fail "no 'FAIL hang' line"; }
	grep -qE '#[0-9]+ (pthread_mutex_lock|__lll_lock_wait)' "$T/out" ||
		{ show_output; fail "no stack frame naming pthread_mutex_lock or __lll_lock_wait"; }
	ok "stack: $(grep -m1 -E '#[0-9]+ (pthread_mutex_lock|__lll_lock_wait)' "$T/out" | sed 's/^ *//')"
	py "$T/h.json" <<'EOF' || exit 1
r = runs[0]
if r["verdict"] != "hang": bad("verdict %r, expected hang" % r["verdict"])
if not re.search(r"(pthread_mutex_lock|__lll_lock_wait)", r["findings"][0]["text"]): bad("JSON text has no lock frame")
print("  ok: JSON verdict hang, stack in the finding text")
EOF
	local pids pid
	pids=$(grep -oE '\(pid [0-9]+\)' "$T/out" | grep -oE '[0-9]+' | sort -u)
	[ -n "$pids" ] || { show_output; fail "no '(pid N)' in the hang report"; }
	for pid in $pids; do
		if [ -e "/proc/$pid" ]; then
			fail "process $pid of the run still exists: $(ps -o pid=,ppid=,stat=,comm= -p "$pid")"
		fi
	done
	ok "the stuck processes ($(tr '\n' ' ' <<<"$pids")) are gone"
}

case_crash() {
	ic run shm_counter:lock=mutex,bug=wild_write --json "$T/c.json"
	expect_rc 1 run shm_counter:lock=mutex,bug=wild_write
	grep -q '^  FAIL crash: ' "$T/out" || { show_output; fail "no 'FAIL crash' line"; }
	grep -qE 'died of SIGSEGV' "$T/out" || { show_output; fail "no 'died of SIGSEGV'"; }
	grep -qE '^ +#[0-9]+ counter_wild_write' "$T/out" || { show_output; fail "no backtrace frame counter_wild_write"; }
	ok "exit 1, $(grep -m1 'died of SIGSEGV' "$T/out" | sed 's/^ *//')"
	ok "frame: $(grep -m1 -E '#[0-9]+ counter_wild_write' "$T/out" | sed 's/^ *//')"
	py "$T/c.json" <<'EOF' || exit 1
r = runs[0]
if r["verdict"] != "crash": bad("verdict %r, expected crash" % r["verdict"])
t = r["findings"][0]["text"]
if "SIGSEGV" not in t or not re.search(r"#\d+ counter_wild_write", t): bad("finding text %r" % t)
print("  ok: JSON verdict crash, SIGSEGV and counter_wild_write in the finding")
EOF
}

case_leaks() {
	ic run shm_counter:bug=leak --json "$T/l.json"
	expect_rc 1 run shm_counter:bug=leak
	local obj
	obj=$(py "$T/l.json" <<'EOF'
r = runs[0]
if r["verdict"] != "leaks": bad("verdict %r, expected leaks" % r["verdict"])
m = re.search(r"/dev/shm/ipchaos\.%s\.untracked\.[0-9a-f]{16}\n" % r["run_id"], r["findings"][0]["text"])
if not m: bad("finding %r does not name /dev/shm/ipchaos.%s.untracked.<tag>" % (r["findings"][0]["text"], r["run_id"]))
print(m.group(0).strip())
EOF
	) || fail "$obj"
	grep -qF "    $obj" "$T/out" || { show_output; fail "the report does not list $obj"; }
	ok "exit 1, verdict leaks naming $obj"
	[ ! -e "$obj" ] || fail "$obj still exists after the run"
	ok "$obj was removed after reporting"
}

case_replay() {
	local line want got
	# A race found by a seed sweep.
	ic run shm_counter:lock=none --inject delay --seeds 100 --json "$T/a.json"
	expect_rc 1 run shm_counter:lock=none --inject delay --seeds 100
	line=$(replay_line)
	want=$(printed_verdict)
	[ "$want" = counter ] || fail "the race sweep's verdict is $want"
	run_replay_line "$line"
	got=$(printed_verdict)
	if [ "$RC" != 1 ] || [ "$got" != "$want" ]; then
		show_output "$line"
		fail "replay of '$line': exit $RC verdict $got, expected exit 1 verdict $want"
	fi
	ok "'$line' -> exit 1, $got"

	# A dead holder found by a sweep of seed-drawn kill points.
	ic run shm_counter:lock=mutex --inject kill --seed 1 --seeds 50
	expect_rc 1 run shm_counter:lock=mutex --inject kill --seed 1 --seeds 50
	line=$(replay_line)
	want=$(printed_verdict)
	[ "$want" = dead-holder ] || fail "the kill sweep's verdict is $want"
	local i
	for i in 1 2; do
		run_replay_line "$line"
		got=$(printed_verdict)
		if [ "$RC" != 1 ] || [ "$got" != "$want" ]; then
			show_output "$line"
			fail "replay of '$line': exit $RC verdict $got, expected exit 1 verdict $want"
		fi
	done
	ok "'$line' -> exit 1, $got (twice)"

	# --replays: how often the race reproduces.
	ic run shm_counter:lock=none --inject delay --seeds 100 --replays 10
	expect_rc 1 run shm_counter:lock=none --inject delay --seeds 100 --replays 10
	local n
	n=$(grep -m1 -oE '^  reproduced [0-9]+/10 replays$' "$T/out" | grep -oE '[0-9]+' | head -n1)
	[ -n "$n" ] || { show_output; fail "no '  reproduced N/10 replays' line"; }
	[ "$n" -ge 9 ] || fail "reproduced only $n/10 replays, expected at least 9"
	ok "--replays 10: reproduced $n/10 replays"
}

case_keep() {
	ic run shm_counter --keep
	expect_rc 0 run shm_counter --keep
	local line runid p n=0
	line=$(grep -m1 '^  kept for inspection: ' "$T/out") || { show_output; fail "no 'kept for inspection:' line"; }
	runid=$(grep -m1 -oE '\(run [0-9a-f]+,' "$T/out" | sed -E 's/\(run ([0-9a-f]+),/\1/')
	[ -n "$runid" ] || { show_output; fail "no run id in the report"; }
	local -a paths
	IFS=',' read -r -a paths <<<"${line#  kept for inspection: }"
	paths=("${paths[@]# }")
	[ "${#paths[@]}" -ge 1 ] || fail "no paths after 'kept for inspection:'"
	for p in "${paths[@]}"; do
		case $p in
		/dev/shm/ipchaos."$runid".*) ;;
		*) rm -f -- /dev/shm/ipchaos."$runid".*; fail "kept path $p is not /dev/shm/ipchaos.$runid.*" ;;
		esac
		if [ ! -e "$p" ]; then
			rm -f -- /dev/shm/ipchaos."$runid".*
			fail "kept path $p does not exist"
		fi
		n=$((n + 1))
	done
	printf '%s\n' "${paths[@]}" | grep -q '\.arena$' || { rm -f -- "${paths[@]}"; fail "the arena is not among the kept paths"; }
	printf '%s\n' "${paths[@]}" | grep -qE "\.counter\.[0-9a-f]{16}$" || { rm -f -- "${paths[@]}"; fail "the segment is not among the kept paths"; }
	grep -A1 '^  kept for inspection: ' "$T/out" | grep -qx "  remove with: ipchaos audit --remove-run $runid" ||
		{ rm -f -- "${paths[@]}"; show_output; fail "no 'remove with: ipchaos audit --remove-run $runid' after the listing"; }
	ok "exit 0; kept $n path(s) that exist: ${paths[*]}; then the command that removes them"
	rm -f -- "${paths[@]}"
	ok "removed them"
}

case_all() {
	"$IC" list >"$T/list" 2>&1 || fail "ipchaos list failed"
	ic run --all --json "$T/all.json"
	if [ "$RC" != 0 ]; then
		# The misses, whole: the tail alone may not show them.
		grep -A14 -E '^  (MISS|BROKEN)' "$T/out"
		"$PY" -I -S -c 'import json, sys
for r in json.load(open(sys.argv[1]))["runs"]:
    if r["verdict"] != "pass" and r.get("expected") != r["verdict"]:
        print("  unexpected:", r["spec"], r["inject"], r["seed"], r["verdict"], "expected", r.get("expected"))
        print("    " + (r.get("evidence") or r.get("broken") or "")[:1500].replace("\n", "\n    "))' "$T/all.json" 2>/dev/null
	fi
	expect_rc 0 run --all
	local line n missed
	line=$(grep -E '^expectations: [0-9]+ met, [0-9]+ missed$' "$T/out") || { show_output; fail "no 'expectations: N met, M missed' line"; }
	n=$(sed -E 's/^expectations: ([0-9]+) met.*/\1/' <<<"$line")
	missed=$(sed -E 's/.* ([0-9]+) missed$/\1/' <<<"$line")
	[ "$missed" = 0 ] || { show_output; fail "$line"; }
	[ "$n" -ge 13 ] || fail "$line: expected at least 13 met"
	ok "exit 0, $line"
	py "$T/all.json" "$T/list" "$n" <<'EOF' || exit 1
listing, met = argv[0], int(argv[1])
# The declared expectations and key defaults, from `ipchaos list`.
expects, defaults, procs, sc, in_scenarios = [], {}, {}, None, False
for l in open(listing):
    if l.startswith("scenarios"):
        in_scenarios = True
        continue
    if not l.startswith(" "):  # a blank line or the next section
        in_scenarios = False
    if not in_scenarios:
        continue
    m = re.match(r"^  (\S+) ", l)
    if m:
        sc = m.group(1)
        defaults[sc] = {}
        continue
    m = re.match(r"^    (\w+)=(\S*\*\S*)\s", l)
    if m:
        for v in m.group(2).split("|"):
            if v.endswith("*"):
                defaults[sc][m.group(1)] = v[:-1]
        continue
    m = re.match(r"^    roles: (.*?);", l)
    if m:
        procs[sc] = ":".join(x[1:] for x in m.group(1).split() if x.startswith("x"))
        continue
    m = re.match(r"^      (\S*)\s*\[(.*?)\](?: --procs (\S+))?(?: --mode (\S+))?(?: --detect (\S+))?(?: --ops (\d+))? -> (\S+) within (\d+) seeds?$", l)
    if m:
        expects.append((sc, m.group(1), m.group(2), m.group(7), int(m.group(8)), m.group(3) or procs[sc],
                        m.group(4) or "chaos", int(m.group(6)) if m.group(6) else None, m.group(5)))
if len(expects) < 13: bad("ipchaos list shows %d expectations, expected at least 13" % len(expects))
if len(expects) != met: bad("ipchaos list shows %d expectations, --all met %d" % (len(expects), met))
if d.get("mode") != "all": bad("mode %r" % d.get("mode"))
def full_spec(sc, variant):
    kv = dict(defaults[sc])
    for p in filter(None, variant.split(",")):
        k, v = p.split("="); kv[k] = v
    return kv
def spec_kv(spec):
    name, _, rest = spec.partition(":")
    return name, dict(p.split("=") for p in rest.split(",") if p)
i = 0
for (sc, variant, inject, verdict, seeds, nprocs, mode, ops, detect) in expects:
    want_inj = [] if inject == "no injection" else [x.split(":")[0] for x in inject.split(";")]
    want_kv = full_spec(sc, variant)
    group = []
    while i < len(runs):
        r = runs[i]
        name, kv = spec_kv(r["spec"])
        if (r["scenario"], name, kv, [x.split(":")[0] for x in r["inject"]], r.get("expected"), r["procs"], r.get("mode")) != (sc, sc, want_kv, want_inj, verdict, nprocs, mode):
            break
        if (ops is not None and r["ops"] != ops) or r.get("detect") != detect:
            break
        group.append(r); i += 1
        # A planted bug is decided by its first failing run, a pass by its seeds: the next
        # runs are another expectation's, which may look the same here (the same injector,
        # other parameters).
        if (verdict != "pass" and r["verdict"] != "pass") or (verdict == "pass" and len(group) == seeds):
            break
    label = "%s:%s [%s]%s%s -> %s" % (sc, variant, inject, " controlled" if mode == "controlled" else "",
                                       " races" if detect else "", verdict)
    if not group: bad("no JSON run for the expectation %s (next run: %r)" % (label, runs[i]["spec"] if i < len(runs) else None))
    if len(group) > seeds: bad("%s: %d runs for %d seeds" % (label, len(group), seeds))
    if verdict == "pass":
        if len(group) != seeds or any(r["verdict"] != "pass" for r in group): bad("%s: %d runs, not all pass" % (label, len(group)))
    else:
        if any(r["verdict"] != "pass" for r in group[:-1]): bad("%s: a failing run before the last" % label)
        if verdict not in [f["checker"] for f in group[-1]["findings"]]: bad("%s: last run's findings %r" % (label, group[-1]["findings"]))
    print("  ok: %-60s %d run(s)" % (label, len(group)))
if i != len(runs): bad("%d JSON runs belong to no expectation, first %r" % (len(runs) - i, runs[i]["spec"]))
if summary["exit"] != 0: bad("summary exit %r" % summary["exit"])
print("  ok: JSON has runs for all %d expectations, %d runs in all, summary exit 0" % (len(expects), len(runs)))
EOF
}

# One bad invocation: exit 2, one stderr line containing $1, empty stdout,
# the --json target not created, the global state unchanged.
bad_one() {
	local needle=$1 json=$2
	shift 2
	snapshot >"$T/bad.before"
	ic "$@"
	snapshot >"$T/bad.after"
	local lines
	lines=$(wc -l <"$T/err")
	[ "$RC" = 2 ] || { show_output "$@"; fail "ipchaos $*: exit $RC, expected 2"; }
	[ "$lines" = 1 ] || { show_output "$@"; fail "ipchaos $*: $lines lines on stderr, expected exactly 1"; }
	[ ! -s "$T/out" ] || { show_output "$@"; fail "ipchaos $*: printed on stdout"; }
	grep -qF -- "$needle" "$T/err" || { show_output "$@"; fail "ipchaos $*: stderr does not contain '$needle'"; }
	[ ! -e "$json" ] || fail "ipchaos $*: created the --json target $json"
	local new
	new=$(snapshot_new "$T/bad.before" "$T/bad.after")
	[ -z "$new" ] || fail "ipchaos $*: left global state behind: $new"
	ok "exit 2: $(cat "$T/err")"
}

case_bad_input() {
	local J="$T/never.json"
	bad_one nosuch_scenario "$J" run --json "$J" nosuch_scenario
	bad_one flavor "$J" run --json "$J" shm_counter:flavor=x
	bad_one bogus "$J" run --json "$J" shm_counter:lock=bogus
	bad_one nosuchinj "$J" run --json "$J" shm_counter --inject nosuchinj
	bad_one foo "$J" run --json "$J" shm_counter --inject delay:foo=1
	bad_one abc "$J" run --json "$J" shm_counter --seed abc
	bad_one -5 "$J" run --json "$J" shm_counter --seed -5
	bad_one 1.5 "$J" run --json "$J" shm_counter --inject delay:p=1.5
	bad_one "--procs 0" "$J" run --json "$J" shm_counter --procs 0
	bad_one /nonexistent/dir/x.json /nonexistent/dir/x.json run shm_counter --json /nonexistent/dir/x.json
	bad_one "--seeds 0" "$J" run --json "$J" shm_counter --seeds 0
	bad_one --frobnicate "$J" run --json "$J" shm_counter --frobnicate
	bad_one scenario "$J" run --json "$J"
	bad_one frobnicate "$J" frobnicate --json "$J"
	# One parser for every number (issue 11): no spaces, signs, exponents or
	# silent overflow; no empty list items; each injector key once.
	bad_one "--seed ' -1'" "$J" run --json "$J" shm_counter --seed ' -1'
	bad_one "--seed +5" "$J" run --json "$J" shm_counter --seed +5
	bad_one "--seed 0x10000000000000000" "$J" run --json "$J" shm_counter --seed 0x10000000000000000
	bad_one "--seeds ' 5'" "$J" run --json "$J" shm_counter --seeds ' 5'
	bad_one "--ops +5" "$J" run --json "$J" shm_counter --ops +5
	bad_one "--procs ' 2'" "$J" run --json "$J" shm_counter --procs ' 2'
	bad_one "--timeout ' 0x2'" "$J" run --json "$J" shm_counter --timeout ' 0x2'
	bad_one "--timeout 1e300" "$J" run --json "$J" shm_counter --timeout 1e300
	bad_one "--made-by ''" "$J" run --json "$J" shm_counter --made-by ''
	bad_one "scenario 'shm_counter:'" "$J" run --json "$J" shm_counter:
	bad_one "scenario 'shm_counter:,,'" "$J" run --json "$J" shm_counter:,,
	bad_one "scenario 'shm_counter:lock=mutex,'" "$J" run --json "$J" shm_counter:lock=mutex,
	bad_one "injector 'kill:'" "$J" run --json "$J" shm_counter --inject kill:
	bad_one "kill:hit=18446744073709551616" "$J" run --json "$J" shm_counter --inject kill:hit=18446744073709551616
	bad_one "kill:hit=' -1'" "$J" run --json "$J" shm_counter --inject 'kill:hit= -1'
	bad_one "kill:hit=-1" "$J" run --json "$J" shm_counter --inject kill:hit=-1
	bad_one "delay:max=' 5'" "$J" run --json "$J" shm_counter --inject 'delay:max= 5'
	bad_one "p given twice for injector delay" "$J" run --json "$J" shm_counter --inject delay:p=0.1,p=0.2
}

# The watchdog's multiplier is read as strictly as an option, by every command
# that runs something: garbage was ignored, and 1e300 overflowed the watchdog
# into a false hang. A valid one still works and is reported.
case_timeout_factor() {
	local J="$T/never.json" f
	for f in garbage 0 1e300 inf ' 2' 1001; do
		IPCHAOS_TIMEOUT_FACTOR=$f bad_one "IPCHAOS_TIMEOUT_FACTOR=" "$J" run --json "$J" shm_counter
		grep -qF -- "$f" "$T/err" || { show_output; fail "the error does not name '$f'"; }
	done
	IPCHAOS_TIMEOUT_FACTOR=1e300 bad_one "IPCHAOS_TIMEOUT_FACTOR=1e300" "$J" audit -- true
	IPCHAOS_TIMEOUT_FACTOR=1e300 bad_one "IPCHAOS_TIMEOUT_FACTOR=1e300" "$J" audit --stale
	IPCHAOS_TIMEOUT_FACTOR=x bad_one "IPCHAOS_TIMEOUT_FACTOR=x" "$J" bench --json "$J" --quick
	IPCHAOS_TIMEOUT_FACTOR=2.5 ic run shm_counter --seeds 3 --json "$T/f.json"
	expect_rc 0 run shm_counter --seeds 3 "(IPCHAOS_TIMEOUT_FACTOR=2.5)"
	[ ! -s "$T/err" ] || { show_output; fail "a valid factor printed on stderr"; }
	py "$T/f.json" <<'EOF' || exit 1
f = d["environment"]["timeout_factor"]
if f not in (2.5, 75): bad("timeout_factor %r, expected 2.5 (x30 under valgrind)" % f)
print("  ok: JSON environment.timeout_factor %r" % f)
EOF
	ok "IPCHAOS_TIMEOUT_FACTOR=2.5: 3 runs pass"
}

# An injector that can never act on the scenario is refused (a pass would read
# as if the fault had happened); one that may never act at the chosen --ops,
# or has p=0, is one warning line on stderr before the runs.
case_injector_never_acts() {
	local J="$T/never.json"
	bad_one "nolock never acts on mq: it declares no lock site" "$J" run --json "$J" mq --inject nolock
	bad_one "fail never acts on shm_counter" "$J" run --json "$J" shm_counter --inject fail
	bad_one "fail never acts on shm_ring" "$J" run --json "$J" shm_ring --inject fail
	bad_one "fail never acts on shm_counter" "$J" run --json "$J" mq shm_counter --inject fail
	bad_one "kill:at=ring/* matches no point of shm_counter" "$J" run --json "$J" shm_counter --inject 'kill:at=ring/*'
	local spec
	for spec in "kill:hit=99999999999" "kill:hit=18446744073709551615" "stall:hit=21" "delay:p=0"; do
		ic run shm_counter --ops 10 --inject "$spec" --json "$T/w.json"
		expect_rc 0 run shm_counter --ops 10 --inject "$spec"
		[ "$(wc -l <"$T/err")" = 1 ] || { show_output run --inject "$spec"; fail "--inject $spec: not one line on stderr"; }
		grep -qE '^ipchaos run: warning: shm_counter: (kill|stall|delay):.* (may never act|never acts)' "$T/err" ||
			{ show_output run --inject "$spec"; fail "--inject $spec: no warning line"; }
		ok "--inject $spec: $(cat "$T/err")"
	done
	# At what the run can reach, and with a drawn hit: no warning.
	ic run shm_counter --ops 10 --inject kill:hit=20 --inject kill:hit=5000,p=0.001
	[ ! -s "$T/err" ] || { show_output; fail "a warning for a reachable hit"; }
	ok "kill:hit=20 at --ops 10 x 2 processes, and hit= with p=: no warning"
}

# Beyond the listed bad inputs: a --json target that is a directory is bad
# usage too, to be refused at parse time (exit 2, one line), not once the
# campaign starts (exit 3).
case_json_directory() {
	mkdir "$T/results.d"
	bad_one "$T/results.d" "$T/results.d/never" run shm_counter --json "$T/results.d"
	[ -z "$(ls -A "$T/results.d")" ] || fail "something was written into $T/results.d"
}

# Results that cannot be written must not be lost silently: a JSON target
# where every write fails (/dev/full: ENOSPC) ends the command with exit 3
# and a message naming it, not exit 0.
case_json_write_error() {
	[ -w /dev/full ] || skip "no writable /dev/full"
	ic run shm_counter --json /dev/full
	if [ "$RC" != 3 ]; then
		show_output run shm_counter --json /dev/full
		fail "the JSON results could not be written (/dev/full), yet exit $RC, expected 3"
	fi
	grep -q '/dev/full' "$T/err" || { show_output; fail "no message on stderr naming /dev/full"; }
	ok "exit 3: $(head -n1 "$T/err")"
}

# Interrupt a long campaign with $1 after about a second: exit 130 (SIGINT) or 143 (SIGTERM).
interrupt_with() {
	local sig=$1 want=130
	shift
	[ "$sig" = TERM ] && want=143
	local -a launch=("$IC")
	# A user's ipchaos starts with the default disposition; a background job
	# of a non-interactive shell would start with SIGINT ignored.
	if env --default-signal=INT true 2>/dev/null; then
		launch=(env "--default-signal=INT,TERM" "$IC")
	fi
	"${launch[@]}" run shm_counter:lock=none --inject delay:p=0.5,max=200 --seeds 100000 --keep-going \
		--json "$T/i.json" "$@" >"$T/out" 2>"$T/err" &
	local pid=$!
	sleep 1
	kill -0 "$pid" 2>/dev/null || { wait "$pid"; RC=$?; show_output; fail "the campaign ended before SIG$sig"; }
	kill -s "$sig" "$pid"
	wait "$pid"
	RC=$?
	[ "$RC" = "$want" ] || { show_output "(SIG$sig)"; fail "SIG$sig: exit $RC, expected $want"; }
	grep -q '^interrupted' "$T/out" || { show_output "(SIG$sig)"; fail "SIG$sig: no 'interrupted' on stdout"; }
	grep -q '^summary: ' "$T/out" || { show_output "(SIG$sig)"; fail "SIG$sig: no summary line"; }
	ok "SIG$sig: exit $want, '$(grep -m1 '^interrupted' "$T/out")'"
	py "$T/i.json" "$want" <<'EOF' || exit 1
want = int(argv[0])
if summary["exit"] != want: bad("JSON summary exit %r, expected %d" % (summary["exit"], want))
if any(r["verdict"] == "interrupted" for r in runs): bad("an interrupted run was recorded")
print("  ok: JSON complete, %d runs recorded, summary exit %d" % (len(runs), want))
EOF
}

case_sigint() { interrupt_with INT; }
case_sigterm() { interrupt_with TERM; }
case_jobs_sigint() { interrupt_with INT --jobs 2; }
case_jobs_sigterm() { interrupt_with TERM --jobs 2; }

case_shm_full() {
	[ "$(id -u)" = 0 ] || skip "needs root (mounts a small tmpfs on /dev/shm in a mount namespace)"
	unshare -m true 2>/dev/null || skip "unshare -m does not work here"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m bash -c '
		mount --make-rprivate / || exit 90
		mount -t tmpfs -o size=256k tmpfs /dev/shm || exit 91
		"$1" run shm_counter --ops 1000000
		echo "ipchaos-exit=$?"
		echo "left-in-shm=[$(ls -A /dev/shm | tr "\n" " ")]"
	' inner "$IC" >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" = 0 ] || { show_output "(in unshare -m)"; fail "the namespace set-up failed (exit $RC)"; }
	local code
	code=$(sed -n 's/^ipchaos-exit=//p' "$T/out")
	[ "$code" = 3 ] || { show_output "(in unshare -m)"; fail "ipchaos exit $code with a full /dev/shm, expected 3"; }
	grep -q '/dev/shm' "$T/out" "$T/err" || { show_output; fail "no message mentioning /dev/shm"; }
	ok "exit 3: $(grep -h -m1 '/dev/shm' "$T/out" "$T/err" | sed 's/^ *//')"
	grep -q '^left-in-shm=\[\]$' "$T/out" || { show_output; fail "objects left in the small /dev/shm: $(grep '^left-in-shm' "$T/out")"; }
	ok "nothing left in the namespace's /dev/shm"
}

# --under memcheck: roles started by exec under valgrind. A planted read of
# uninitialised heap memory passes natively and is found under memcheck, with
# its stack; the correct variant passes under memcheck; so does a message
# scenario whose roles are killed; bad values are refused before anything runs.
case_under_memcheck() {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	ldd "$IC" 2>/dev/null | grep -q libasan && skip "an AddressSanitizer build cannot run under valgrind"
	valgrind -q "$IC" --version >/dev/null 2>&1 ||
		skip "this valgrind cannot read this build (clang's DWARF 5: build with -gdwarf-4 or use a newer valgrind)"
	local bug=shm_counter:lock=mutex,bug=uninit_read
	ic run "$bug" --seeds 5 --ops 20
	expect_rc 0 run "$bug" --seeds 5 --ops 20
	ok "natively, $bug passes 5 seeds: only memcheck can see it"

	ic run "$bug" --ops 20 --under memcheck --json "$T/m.json"
	expect_rc 1 run "$bug" --ops 20 --under memcheck
	grep -q '^  FAIL crash: memcheck found an error in a role' "$T/out" ||
		{ show_output; fail "no 'FAIL crash: memcheck found an error in a role' line"; }
	grep -q 'p0 (pid [0-9]*): memcheck: Conditional jump or move depends on uninitialised value' "$T/out" ||
		{ show_output; fail "no memcheck error naming p0 and the uninitialised value"; }
	grep -qE '^ +#0 counter_uninit_read' "$T/out" || { show_output; fail "no frame #0 counter_uninit_read"; }
	if readelf -S "$IC" 2>/dev/null | grep -q debug_info; then
		grep -qE '^ +#0 counter_uninit_read \(shm_counter\.c:[0-9]+\)' "$T/out" ||
			{ show_output; fail "frame #0 does not name shm_counter.c:LINE (the binary has debug info)"; }
	fi
	ok "under memcheck: exit 1, $(grep -m1 -E '#0 counter_uninit_read' "$T/out" | sed 's/^ *//')"
	[ "$(replay_line | sed 's/ --made-by [^ ]*$//')" = "ipchaos run $bug --seed 0x1 --procs 2 --ops 20 --under memcheck" ] ||
		{ show_output; fail "replay line does not carry --under memcheck: $(replay_line)"; }
	ok "replay: $(replay_line)"
	py "$T/m.json" <<'EOF' || exit 1
r = runs[0]
if r["verdict"] != "crash": bad("verdict %r, expected crash" % r["verdict"])
t = r["findings"][0]["text"]
if "memcheck: Conditional jump" not in t or not re.search(r"#0 counter_uninit_read", t): bad("finding text %r" % t)
print("  ok: JSON verdict crash, the memcheck error and its stack in the finding")
EOF

	ic run shm_counter:lock=mutex --ops 20 --under memcheck
	expect_rc 0 run shm_counter:lock=mutex --ops 20 --under memcheck
	ok "the correct variant passes under memcheck"
	ic run shm_ring --inject kill --inject delay --ops 30 --under memcheck
	expect_rc 0 run shm_ring --inject kill --inject delay --ops 30 --under memcheck
	ok "shm_ring with kill and delay passes under memcheck"
	# An exec'd role draws the same plan as a forked one: the same kill, at the same hit.
	local plan
	ic run shm_counter:lock=mutex --inject kill:at=counter/locked --ops 30
	expect_rc 1 run shm_counter:lock=mutex --inject kill:at=counter/locked --ops 30
	plan=$(grep -m1 '^  plan kill: ' "$T/out")
	ic run shm_counter:lock=mutex --inject kill:at=counter/locked --ops 30 --under memcheck
	expect_rc 1 run shm_counter:lock=mutex --inject kill:at=counter/locked --ops 30 --under memcheck
	grep -q '^  FAIL dead-holder: ' "$T/out" || { show_output; fail "no dead-holder finding under memcheck"; }
	[ -n "$plan" ] && grep -qxF -- "$plan" "$T/out" && grep -q 'killed by SIGKILL at counter/locked hit [0-9]* (injected)' "$T/out" ||
		{ show_output; fail "under memcheck the kill is not the native plan's: $plan"; }
	ok "the same kill natively and under memcheck:$(sed 's/^ *plan kill://' <<<"$plan")"

	local -a bad=(
		"shm_counter --under helgrind|--under helgrind: unknown tool (valid: memcheck)"
		"pipe --under memcheck|scenario pipe cannot start its roles by exec"
		"--all --under memcheck|--under does not apply"
	)
	local b args want
	for b in "${bad[@]}"; do
		args=${b%%|*} want=${b#*|}
		# shellcheck disable=SC2086
		ic run $args
		# shellcheck disable=SC2086
		expect_rc 2 run $args
		{ [ "$(wc -l <"$T/err")" = 1 ] && grep -qF -- "$want" "$T/err"; } ||
			{ show_output run "$args"; fail "message is not one line with '$want'"; }
		ok "run $args: exit 2, $(cat "$T/err")"
	done
	PATH=/nonexistent ic run shm_counter --under memcheck
	expect_rc 2 run shm_counter --under memcheck "(PATH without valgrind)"
	grep -qx 'ipchaos run: --under memcheck needs valgrind in PATH' "$T/err" ||
		{ show_output; fail "no 'needs valgrind in PATH'"; }
	ok "without valgrind in PATH: exit 2, $(cat "$T/err")"
}

case_no_leftover_processes() {
	local before after
	before=$(pgrep -x ipchaos | sort)
	ic run shm_counter:lock=robust --inject kill --inject delay --seeds 50
	expect_rc 0 run shm_counter:lock=robust --inject kill --inject delay --seeds 50
	ok "robust, kill + delay, 50 seeds: exit 0"
	after=$(pgrep -x ipchaos | sort)
	[ "$after" = "$before" ] || fail "processes named ipchaos remain: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')"
	# Failing runs end with the harness killing the survivors: as much to clean.
	ic run shm_counter:lock=mutex --inject kill --inject delay --seeds 50 --keep-going
	expect_rc 1 run shm_counter:lock=mutex --inject kill --inject delay --seeds 50 --keep-going
	ok "mutex, kill + delay, 50 seeds, --keep-going: exit 1, $(grep -c '^  FAIL dead-holder' "$T/out") dead-holder findings"
	after=$(pgrep -x ipchaos | sort)
	[ "$after" = "$before" ] || fail "processes named ipchaos remain: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')"
	ok "no process named ipchaos remains (before: [${before//$'\n'/ }], after: [${after//$'\n'/ }])"
}

# ------------------------------------------------ message-passing scenarios --

case_messages_bad_input() {
	local J="$T/never.json"
	bad_one fs.mqueue.msgsize_max "$J" run --json "$J" mq:size=16K
	bad_one "size=0" "$J" run --json "$J" pipe:size=0
	bad_one "32 bytes" "$J" run --json "$J" mq:size=16
	bad_one "--procs 1:2" "$J" run --json "$J" pipe --procs 1:2
	bad_one "--procs 1:3" "$J" run --json "$J" unix --procs 1:3
	bad_one spsc_atomic "$J" run --json "$J" shm_ring:sync=spsc_atomic --procs 2:1
	bad_one nosync "$J" run --json "$J" shm_ring:sync=nosync
	bad_one nosuchbug "$J" run --json "$J" hybrid:bug=nosuchbug
	bad_one raw "$J" run --json "$J" unix:type=raw
	bad_one no_framing "$J" run --json "$J" unix:type=dgram,bug=no_framing
	bad_one 131072 "$J" run --json "$J" unix:type=seqpacket,size=128K
	bad_one kernel.msgmax "$J" run --json "$J" sysv_msg:size=64K
	bad_one "--procs 2" "$J" run --json "$J" mq --procs 2
	bad_one "--procs 1::1" "$J" run --json "$J" mq --procs 1::1
	bad_one "size=0x40" "$J" run --json "$J" mq:size=0x40
	bad_one "size=64.." "$J" run --json "$J" pipe:size=64..
}

# Every message scenario under every injector, with the mqueue filesystem
# mounted so that a leftover queue would show: nothing may remain.
case_messages_no_leftovers() {
	[ "$(id -u)" = 0 ] || skip "needs root to mount the mqueue filesystem"
	mkdir -p "$T/mq"
	mount -t mqueue none "$T/mq" || skip "cannot mount the mqueue filesystem"
	snapshot >"$T/mq.before"
	local spec status=0
	for spec in mq mq:prio=on pipe unix:type=stream unix:type=seqpacket unix:type=dgram sysv_msg \
		shm_ring:sync=mutex_cond shm_ring:sync=sem shm_ring:sync=spsc_atomic hybrid; do
		# The ring makes no wrapped call: fail would never act there, and is refused.
		local -a fail=(--inject fail)
		[[ $spec == shm_ring* ]] && fail=()
		ic run "$spec" --inject delay --inject kill --inject stall "${fail[@]}" --seeds 10 --ops 200
		[ "$RC" = 0 ] || [ "$RC" = 1 ] || { show_output run "$spec"; status=1; }
	done
	ic run mq --inject kill --seeds 10 --procs 2:2 --keep-going
	snapshot >"$T/mq.after"
	local new
	new=$(snapshot_new "$T/mq.before" "$T/mq.after")
	umount "$T/mq"
	[ "$status" = 0 ] || fail "a run ended as a harness failure"
	[ -z "$new" ] || fail "left behind: $new"
	ok "11 scenario variants x 10 seeds under all injectors: /dev/shm, mqueues and SysV IPC unchanged"
}

# A stalled consumer is continued by the supervisor, and a stall is not a hang.
case_stall() {
	ic run mq --inject stall:at=consume/begin,max=30 --seeds 5 --timeout 1 --json "$T/s.json"
	expect_rc 0 run mq --inject stall
	py "$T/s.json" <<'EOF' || exit 1
if len(runs) != 5 or any(r["verdict"] != "pass" for r in runs): bad("verdicts %r" % [r["verdict"] for r in runs])
EOF
	ok "5 seeds with a consumer stopped up to 30 ms at its planned hit: all pass"
}

# EINTR and short transfers are retried by correct code and the run passes;
# the same failures tear the frames of the short_write bug.
case_fail_retried() {
	ic run pipe --inject fail:p=0.2 --seeds 20
	expect_rc 0 run pipe --inject fail:p=0.2
	ic run unix:type=stream --inject fail:p=0.2 --seeds 20
	expect_rc 0 run unix --inject fail:p=0.2
	ic run pipe:bug=short_write --inject fail --seeds 200
	expect_rc 1 run pipe:bug=short_write --inject fail
	grep -q 'FAIL messages' "$T/out" || { show_output; fail "short_write not found as a messages finding"; }
	grep -qE 'lost [0-9]+' "$T/out" || { show_output; fail "short_write: no lost messages named"; }
	ok "fail:p=0.2 retried on pipe and stream sockets; short_write found: $(grep -m1 -oE 'lost [0-9]+[^:]*' "$T/out")"
}

# A consumer killed mid-stream loses nothing beyond its open receive: the
# supervisor held the endpoint, and its drain resynchronised on the next frame.
case_drain_after_kill() {
	local spec
	for spec in pipe unix:type=stream mq hybrid; do
		ic run "$spec" --inject kill:at=consume/received --seeds 20 --json "$T/d.json"
		expect_rc 0 run "$spec" --inject kill:at=consume/received
		py "$T/d.json" <<'EOF' || exit 1
if any(r["verdict"] != "pass" for r in runs): bad("verdicts %r" % [r["verdict"] for r in runs])
if sum(r["messages"] for r in runs) == 0: bad("no message received at all")
EOF
	done
	ok "pipe, stream, mq, hybrid: 20 seeds each with a consumer killed after a receive: nothing lost"
}

# The summary prints throughput; a message run reports it in JSON too.
case_message_summary() {
	ic run mq --json "$T/m.json"
	expect_rc 0 run mq
	grep -qE '^messages: 1000 received intact, [0-9]+ msg/s, [0-9.]+ MB/s' "$T/out" || { show_output; fail "no messages line in the summary"; }
	py "$T/m.json" <<'EOF' || exit 1
r = runs[0]
if r["messages"] != 1000 or r["bytes"] != 64000: bad("messages %r bytes %r" % (r["messages"], r["bytes"]))
EOF
	ok "$(grep -m1 '^messages:' "$T/out")"
}

# Running out of the per-user mqueue byte budget is the harness's failure
# (exit 3) and names the rlimit, not a crash or a finding.
case_mq_rlimit() {
	bash -c 'ulimit -q 1000 && exec "$0" run mq:size=8K' "$IC" >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 3 run mq:size=8K "(ulimit -q 1000)"
	grep -q 'RLIMIT_MSGQUEUE' "$T/out" || { show_output; fail "the report does not name RLIMIT_MSGQUEUE"; }
	ok "exit 3: $(grep -m1 -o 'RLIMIT_MSGQUEUE[^:]*' "$T/out")"
}

# ---------------------------------------------------------------- audit --

# The audit test program, built beside the binary.
ipcprog() {
	local p
	p=$(dirname "$IC")/tests/audit/ipcprog
	[ -x "$p" ] || fail "no test program at $p"
	printf '%s' "$p"
}

# Every kind of object the program leaks is reported, by kind and name.
audit_expect_kinds() {
	local k
	for k in posix-shm posix-sem posix-mq sysv-shm sysv-sem sysv-msg socket fifo; do
		grep -qE "^  $k " "$T/out" || { show_output; fail "no $k object reported"; }
	done
}

case_audit_leak() {
	local prog d="$T/paths"
	prog=$(ipcprog) || exit 1
	mkdir -p "$d"
	ic audit --paths "$d" -- "$prog" leak "$d"
	expect_rc 1 audit leak
	grep -q 'isolated: own IPC, mount and PID namespaces' "$T/out" || [ "$(id -u)" != 0 ] || { show_output; fail "root audit not isolated"; }
	grep -q 'left 8 objects' "$T/out" || { show_output; fail "expected 8 leftovers"; }
	audit_expect_kinds
	grep -q '^  replay: ipchaos audit .* -- ' "$T/out" || { show_output; fail "no replay line"; }
	[ -z "$(ls -A "$d")" ] || fail "socket/FIFO files left in $d: $(ls -A "$d")"
	ok "leak: 8 objects of 8 kinds reported, files in --paths removed"
}

case_audit_clean() {
	local prog d="$T/paths"
	prog=$(ipcprog) || exit 1
	mkdir -p "$d"
	ic audit --paths "$d" --seeds 3 -- "$prog" clean "$d"
	expect_rc 0 audit clean
	[ "$(grep -c 'nothing left' "$T/out")" = 3 ] || { show_output; fail "expected 3 clean runs"; }
	ok "clean: 3 seeds, nothing left"
}

case_audit_kill() {
	local prog d="$T/paths"
	prog=$(ipcprog) || exit 1
	mkdir -p "$d"
	# Late enough for the objects to exist, under a sanitizer and a loaded machine too.
	ic audit --kill-after 0.4..0.8s --seeds 3 --paths "$d" -- "$prog" wait "$d"
	expect_rc 1 audit --kill-after
	[ "$(grep -c 'died of SIGKILL .* (signalled with SIGKILL at' "$T/out")" = 3 ] || { show_output; fail "expected 3 planned kills"; }
	[ "$(grep -c 'left 8 objects' "$T/out")" = 3 ] || { show_output; fail "expected 8 leftovers per seed"; }
	# A polite signal first: the program cleans up on SIGTERM.
	ic audit --kill-after 0.4..0.6s --signal TERM --grace 1s --paths "$d" -- "$prog" wait "$d"
	expect_rc 0 audit --signal TERM
	grep -q 'exited 0 .* (signalled with SIGTERM at' "$T/out" || { show_output; fail "TERM did not end it cleanly"; }
	# The same seed draws the same kill time.
	ic audit --kill-after 0.05..0.3s --seed 7 --paths "$d" -- "$prog" wait "$d"
	local a b
	a=$(grep -oE 'signalled with SIG[A-Z]+ at [0-9.]+' "$T/out")
	ic audit --kill-after 0.05..0.3s --seed 7 --paths "$d" -- "$prog" wait "$d"
	b=$(grep -oE 'signalled with SIG[A-Z]+ at [0-9.]+' "$T/out")
	[ -n "$a" ] && [ "$a" = "$b" ] || fail "seed 7 signalled at '$a' then '$b'"
	[ -z "$(ls -A "$d")" ] || fail "files left in $d"
	ok "killed at seeded times leaks 8 objects; TERM with grace leaks none; seed 7 twice: $a"
}

case_audit_timeout() {
	local prog
	prog=$(ipcprog) || exit 1
	ic audit --timeout 0.3s -- "$prog" wait "$T"
	expect_rc 1 audit --timeout
	grep -q 'timeout: still running at --timeout 0.3s' "$T/out" || { show_output; fail "no timeout reported"; }
	ok "a program that does not end is killed at --timeout and its leftovers reported"
}

case_audit_no_isolate() {
	local prog d="$T/paths"
	prog=$(ipcprog) || exit 1
	mkdir -p "$d"
	ic audit --no-isolate --paths "$d" -- "$prog" leak "$d"
	expect_rc 1 audit --no-isolate
	grep -q 'not isolated (--no-isolate)' "$T/out" || { show_output; fail "mode not said"; }
	grep -qE 'left (7|8) objects' "$T/out" || { show_output; fail "expected 7 or 8 leftovers (8 where mqueues can be listed)"; }
	# Host mode removes nothing unasked: each object stays, with the command that removes it.
	[ -n "$(ls -A "$d")" ] || { show_output; fail "host mode removed files without --remove"; }
	audit_run_hints
	rm -f "$d"/* /dev/shm/ipcprog.* /dev/shm/sem.ipcprog.*
	# --remove: what the program's tree is known to have made (it lives while seen) goes.
	ic audit --no-isolate --remove --kill-after 0.3s --paths "$d" -- "$prog" wait "$d"
	expect_rc 1 audit --no-isolate --remove
	grep -q 'removed$' "$T/out" || { show_output; fail "--remove removed nothing"; }
	grep -qE '^    remove with: ' "$T/out" && audit_run_hints
	rm -f "$d"/* /dev/shm/ipcprog.* /dev/shm/sem.ipcprog.*
	ok "host namespace: $(grep -oE 'left [0-9]+ objects' "$T/out"), left unless --remove, hints remove the rest"
}

case_audit_list_and_stale() {
	ic audit --list
	expect_rc 0 audit --list
	grep -qE '^[0-9]+ IPC objects' "$T/out" || { show_output; fail "no count line"; }
	ic audit --stale
	expect_rc 0 audit --stale
	ok "--list and --stale answer"
}

case_audit_bad_input() {
	local J="$T/never.json"
	bad_one "no command" "$J" audit
	bad_one "no command" "$J" audit --seeds 2 --
	bad_one nosuch-program "$J" audit -- nosuch-program
	bad_one "--kill-after 2..1s" "$J" audit --kill-after 2..1s -- true
	bad_one "--kill-after abc" "$J" audit --kill-after abc -- true
	bad_one "--timeout 0" "$J" audit --timeout 0 -- true
	bad_one "--signal FOO" "$J" audit --signal FOO -- true
	bad_one "--frob" "$J" audit --frob -- true
	bad_one "--clean goes with --stale" "$J" audit --clean
	bad_one "--seed ' -1'" "$J" audit --seed ' -1' -- true
	bad_one "--seed 0x10000000000000000" "$J" audit --seed 0x10000000000000000 -- true
	bad_one "--seeds +5" "$J" audit --seeds +5 -- true
	bad_one "--grace 1e3" "$J" audit --grace 1e3 -- true
	bad_one "--timeout ' 5'" "$J" audit --timeout ' 5' -- true
	bad_one "--kill-after 1..2x" "$J" audit --kill-after 1..2x -- true
}

# ------------------------------------------------------------ audit (issue 14) --

# Runs every "remove with:" hint of $T/out (the objects a host-mode audit left).
audit_run_hints() {
	local cmd
	grep -E '^    remove with: ' "$T/out" | sed 's/^    remove with: //' >"$T/hints"
	[ -s "$T/hints" ] || { show_output; fail "no 'remove with:' hints"; }
	while IFS= read -r cmd; do
		case $cmd in
		"rm /dev/mqueue"*) [ -d /dev/mqueue ] && mountpoint -q /dev/mqueue || continue ;;
		esac
		eval "$cmd" || fail "the hint '$cmd' failed"
	done <"$T/hints"
}

# The pids of processes whose command line holds $1 (a marker only the case uses).
procs_of() { pgrep -f -- "^$1" || true; }

# 1: a bystander's objects are never removed, and in isolated mode never even seen.
case_audit_bystander() {
	local d="$T/r" J="$T/never.json"
	mkdir -p "$d"
	# Host mode: what another process makes meanwhile is not the program's, and stays.
	# The bystander makes its file once the program runs; the program ends once it is there.
	(until [ -e "$T/go" ]; do sleep 0.01; done; echo x >/dev/shm/ipchaos-test-bystander) &
	ic audit --no-isolate --remove -- sh -c 'touch "$0"; until [ -e /dev/shm/ipchaos-test-bystander ]; do sleep 0.01; done' "$T/go"
	wait
	[ -e /dev/shm/ipchaos-test-bystander ] || { show_output; fail "--no-isolate --remove removed a bystander's file"; }
	rm -f /dev/shm/ipchaos-test-bystander
	grep -q '/dev/shm/ipchaos-test-bystander' "$T/out" || { show_output; fail "the bystander's file not reported"; }
	# Isolated --paths: an overlay; what appears on the host meanwhile is no finding, the host is never written.
	(sleep 0.2; mkfifo "$d/other") &
	ic audit --paths "$d" -- sh -c 'sleep 0.5; mkfifo "$1/mine"' sh "$d"
	wait
	expect_rc 1 audit --paths
	grep -q "fifo .*$d/mine" "$T/out" || { show_output; fail "the program's FIFO not reported"; }
	! grep -q "$d/other" "$T/out" || { show_output; fail "a bystander's FIFO reported"; }
	[ -p "$d/other" ] && [ ! -e "$d/mine" ] || fail "the host directory was written: $(ls -A "$d")"
	bad_one "--paths /dev/shm" "$J" audit --paths /dev/shm -- true
	bad_one "--paths $d/other" "$J" audit --paths "$d/other" -- true
	bad_one "--paths $T/none" "$J" audit --paths "$T/none" -- true
	bad_one "--remove goes with --no-isolate" "$J" audit --remove -- true
	ok "host mode left a bystander's file; --paths is an overlay: the host directory untouched"
}

# 2: processes still alive when the main one ends are findings; signal and grace reach the whole tree.
case_audit_processes() {
	local mark="ipchaos-i14-$$"
	# The main process waits for its child to have exec'd, so the report names it.
	ic audit -- bash -c "(exec -a $mark sleep 100) & until pgrep -f '^$mark' >/dev/null; do sleep 0.01; done"
	expect_rc 1 audit background child
	grep -qE "^  process +pid [0-9]+ +state . age [0-9.]+ s: $mark 100" "$T/out" || { show_output; fail "the leftover process not reported"; }
	[ -z "$(procs_of "$mark")" ] || fail "the leftover process survived the audit"
	ic audit --no-isolate -- sh -c "setsid bash -c 'exec -a $mark sleep 100' & until pgrep -f '^$mark' >/dev/null; do sleep 0.01; done"
	expect_rc 1 audit --no-isolate daemon
	grep -qE "^  process +pid [0-9]+ .*: $mark 100" "$T/out" || { show_output; fail "the daemon (setsid) not reported on the host"; }
	[ -z "$(procs_of "$mark")" ] || fail "the daemon survived a host-mode audit"
	# A runtime with a cleanup helper: the helper removes the main process's segment on SIGTERM.
	local helper='trap "rm -f /dev/shm/rt.seg; exit 0" TERM; while :; do sleep 0.05; done'
	ic audit --kill-after 0.3s --signal TERM --grace 2s -- sh -c "echo x >/dev/shm/rt.seg; sh -c '$helper' & sleep 100"
	expect_rc 0 audit runtime with a cleanup helper
	grep -q 'nothing left' "$T/out" || { show_output; fail "the helper did not get to clean"; }
	# A daemon still gets the planned signal: measured from the start, sent to the whole tree.
	ic audit --kill-after 0.3s --signal TERM --grace 2s -- sh -c "echo x >/dev/shm/rt.seg; setsid sh -c '$helper' & exit 0"
	expect_rc 1 audit daemonising runtime
	grep -qE "^  process +pid [0-9]+ " "$T/out" || { show_output; fail "the daemon not reported"; }
	! grep -q '^  posix-shm /dev/shm/rt.seg' "$T/out" || { show_output; fail "the daemon did not get the planned TERM in time to clean"; }
	ok "background child and setsid daemon reported and ended; TERM + grace let a cleanup helper clean"
}

# 3: who made each object, what became of it, many alike as one line, --json and --junit.
case_audit_creators() {
	local prog d="$T/paths"
	prog=$(ipcprog) || exit 1
	mkdir -p "$d"
	ic audit --kill-after 0.3s --json "$T/a.json" --junit "$T/a.xml" --paths "$d" -- "$prog" wait "$d"
	expect_rc 1 audit --json
	if grep -q '^creators: fanotify' "$T/out"; then
		grep -qE "^  posix-shm /dev/shm/ipcprog.*made by pid [0-9]+: .*ipcprog wait" "$T/out" || { show_output; fail "no creator for a POSIX segment"; }
		grep -qE "^  fifo .*made by pid [0-9]+: .*ipcprog wait" "$T/out" || { show_output; fail "no creator for a FIFO in --paths"; }
	fi
	local k
	for k in sysv-shm sysv-sem sysv-msg; do
		grep -qE "^  $k .*made by pid [0-9]+: .*ipcprog wait" "$T/out" || { show_output; fail "no creator for a $k object"; }
	done
	grep -q "after the planned signal" "$T/out" || { show_output; fail "when it was left not said"; }
	grep -q "gone with the audit's namespace" "$T/out" || { show_output; fail "fate not said"; }
	"$PY" -I -S - "$T/a.json" <<'EOF' || { cat "$T/a.json"; fail "audit JSON"; }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "ipchaos-audit" and d["format_version"] == 1, d["format"]
r = d["runs"][0]
assert r["verdict"] == "leaked" and r["end"] == "planned-signal" and r["signal"] == "SIGKILL", r
assert len(r["objects"]) == 8, r["objects"]
assert all(o["fate"] == "gone" and o["remove_with"] is None for o in r["objects"])
assert any(o["creator"] for o in r["objects"]), "no creator at all"
assert d["summary"] == {"runs": 1, "leaked": 1, "clean": 0, "broken": 0}, d["summary"]
EOF
	"$PY" -I -S -c 'import sys, xml.dom.minidom as m; assert len(m.parse(sys.argv[1]).getElementsByTagName("failure")) == 1' "$T/a.xml" ||
		fail "audit JUnit"
	ic audit -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do ipcmk -Q >/dev/null; done'
	expect_rc 1 audit ten queues
	grep -qE '^  sysv-msg +10 of them keys 0x[0-9a-f]{8}\.\.0x[0-9a-f]{8} ' "$T/out" || { show_output; fail "10 alike queues not one line"; }
	[ "$(grep -c '^  sysv-msg  key' "$T/out")" = 3 ] || { show_output; fail "expected 3 examples"; }
	# On the host: each object left says how to remove it, and the hint does.
	ic audit --no-isolate -- sh -c 'ipcmk -Q >/dev/null; touch /dev/shm/ipchaos-test-left'
	expect_rc 1 audit --no-isolate
	audit_run_hints
	[ ! -e /dev/shm/ipchaos-test-left ] || fail "the hint did not remove /dev/shm/ipchaos-test-left"
	ok "creators named, when and fate said, JSON and JUnit written, 10 queues grouped, hints remove"
}

# 4: a command that cannot run is exit 2, a timeout is a finding, SIGTERM is passed on.
case_audit_exit_codes() {
	local J="$T/never.json"
	bad_one "a directory" "$J" audit -- "$T"
	bad_one "''" "$J" audit -- ''
	printf '#!/nonexistent/interpreter\n' >"$T/script"
	chmod +x "$T/script"
	ic audit -- "$T/script"
	expect_rc 2 audit a script without its interpreter
	grep -q "cannot execute '.*script': .*interpreter" "$T/err" || { show_output; fail "no reason given"; }
	ic audit -- sh -c 'exit 127'
	expect_rc 0 audit a program exiting 127 by itself
	ic audit --timeout 0.3s -- sleep 30
	expect_rc 1 audit --timeout
	grep -q 'timeout: still running at --timeout' "$T/out" || { show_output; fail "no timeout finding"; }
	"$IC" audit -- sh -c 'touch "$0"; exec sleep 30' "$T/started" >"$T/out" 2>"$T/err" &
	local pid=$!
	until [ -e "$T/started" ]; do sleep 0.01; done
	kill -TERM $pid
	wait $pid
	RC=$?
	expect_rc 143 audit interrupted by SIGTERM
	grep -q 'the audit got SIGTERM and passed it on' "$T/out" || { show_output; fail "the interrupt not reported"; }
	ok "exec failures exit 2, a program's own 127 is its own, timeout is a finding, SIGTERM exits 143"
}

# 5: as a user other than root, the program runs as that user.
case_audit_user() {
	need_other_user_tools
	as_other_user "$T/pub/ipchaos" audit -- id -u >"$T/out" 2>"$T/err"
	RC=$?
	grep -q 'not isolated (this machine' "$T/out" && skip "no user namespaces for uid $OTHER_UID here"
	expect_rc 0 audit as uid $OTHER_UID
	grep -qx "$OTHER_UID" "$T/out" || { show_output; fail "the program did not run as uid $OTHER_UID"; }
	ok "the program ran as uid $OTHER_UID, not as root of the audit's namespace"
}

# 6: a program that reads the terminal keeps it.
case_audit_terminal() {
	command -v script >/dev/null || skip "needs script (bsdutils)"
	(sleep 0.5; echo hello) | script -qec "$IC audit --timeout 20s -- sh -c 'read x; echo got \$x'" /dev/null >"$T/out" 2>"$T/err"
	RC=$?
	tr -d '\r' <"$T/out" >"$T/out.txt" && mv "$T/out.txt" "$T/out"
	expect_rc 0 audit a terminal reader under script
	grep -qx 'got hello' "$T/out" || { show_output; fail "the program did not read the terminal"; }
	grep -q 'the program has the terminal, in the foreground' "$T/out" || { show_output; fail "not said"; }
	ok "the terminal reader read its line"
}

# 7: directories in /dev/shm, 32-bit keys, queued bytes, escaped names.
case_audit_everything_seen() {
	local prog
	prog=$(ipcprog) || exit 1
	mkdir -p "$T/p"
	ic audit --paths "$T/p" -- sh -c 'mkdir /dev/shm/app; echo x >/dev/shm/app/seg; ipcmk -M 4096 >/dev/null; touch "/dev/shm/a
forged"; exec "$0" leak "$1"' "$prog" "$T/p"
	expect_rc 1 audit
	grep -q '^  shm-dir   /dev/shm/app ' "$T/out" && grep -q '^  shm-file  /dev/shm/app/seg ' "$T/out" || { show_output; fail "no directory or file below /dev/shm"; }
	grep -qE '^  sysv-shm  key 0x[0-9a-f]{8} id' "$T/out" || { show_output; fail "a key not 32-bit"; }
	! grep -q 'key 0xffffffff' "$T/out" || { show_output; fail "a sign-extended key"; }
	grep -qE '^  posix-mq  /ipcprog\.[0-9]+\.mq +owner 0 mode 0600 size 5;' "$T/out" || { show_output; fail "the queue's size is not its 5 queued bytes"; }
	grep -qF '  posix-shm /dev/shm/a\nforged ' "$T/out" || { show_output; fail "a newline in a name not escaped"; }
	! grep -q '^forged' "$T/out" || fail "a name forged a line"
	ok "dirs below /dev/shm, 32-bit keys, QSIZE, escaped names"
}

# 8: the replay line runs the same command when pasted.
case_audit_replay_quoted() {
	ic audit -- sh -c 'touch /dev/shm/a; sleep 0'
	expect_rc 1 audit
	local line
	line=$(grep '^  replay: ' "$T/out" | sed 's/^  replay: //')
	[ "${line#*-- }" = "sh -c 'touch /dev/shm/a; sleep 0'" ] || fail "replay line: $line"
	eval "set -- ${line#ipchaos }"
	"$IC" "$@" >"$T/out2" 2>&1
	grep -q 'posix-shm /dev/shm/a ' "$T/out2" || { cat "$T/out2"; fail "the replay line did not run the same program"; }
	ok "replay: $line"
}

# 9: small ones: refusals, one duration rule, no directory left by a killed audit.
case_audit_small() {
	local J="$T/never.json"
	bad_one "--list goes alone" "$J" audit --list --stale --clean
	bad_one "--list goes alone" "$J" audit --list --stale
	ic audit --kill-after 1..2m --signal TERM --timeout 0.2s -- sleep 5
	grep -q -- '--kill-after 60s..120s' "$T/out" || { show_output; fail "1..2m is not 60..120 s"; }
	ic audit --kill-after 1..500ms -- sh -c 'touch /dev/shm/x; sleep 5'
	grep -q -- '--kill-after 0.001s..0.5s' "$T/out" || { show_output; fail "1..500ms is not 1..500 ms"; }
	ls -d /tmp/ipchaos-audit-mq.* >"$T/mq.before" 2>/dev/null
	"$IC" audit -- sh -c 'touch "$0"; exec sleep 30' "$T/started" >/dev/null 2>&1 &
	local pid=$!
	until [ -e "$T/started" ]; do sleep 0.01; done
	kill -KILL $pid
	wait $pid 2>/dev/null
	ls -d /tmp/ipchaos-audit-mq.* >"$T/mq.after" 2>/dev/null
	cmp -s "$T/mq.before" "$T/mq.after" || fail "a killed audit left $(comm -13 "$T/mq.before" "$T/mq.after")"
	ok "--list --stale --clean refused; 1..2m and 1..500ms read by one rule; a killed audit leaves no directory"
}

# ------------------------------------------------- the harness's own objects --

# Someone squatting the name of the run's arena or segment: the run refuses, exit 3.
case_squatted_names() {
	local id=0123456789abcdef
	: >/dev/shm/ipchaos.$id.arena
	ic run shm_counter --run-id $id
	rm -f /dev/shm/ipchaos.$id.arena
	expect_rc 3 run --run-id squatted arena
	grep -q 'refusing to use an object someone else created' "$T/out" || { show_output; fail "no clear message"; }
	ok "a squatted arena name: exit 3, the object left as found"
	# Object names were the run id and the object's: anyone who saw the arena could
	# make one first. Now a tag from the run's secret follows, which no one can derive.
	need_other_user
	as_other_user touch /dev/shm/ipchaos.$id.counter || fail "cannot create a file as uid $OTHER_UID"
	ic run shm_counter --run-id $id
	local owner
	owner=$(stat -c %u /dev/shm/ipchaos.$id.counter 2>/dev/null)
	rm -f /dev/shm/ipchaos.$id.counter
	expect_rc 0 run --run-id with the old name of its segment squatted by another user
	[ "$owner" = "$OTHER_UID" ] || fail "the squatter's /dev/shm/ipchaos.$id.counter was removed"
	ok "the segment's old name squatted by uid $OTHER_UID: the run passes, his file left"
}

# Another user's object that carries the run's id is interference, not the
# run's leak: never judged, never removed, reported.
case_foreign_object() {
	need_other_user
	local id=0123456789abcdef junk=/dev/shm/ipchaos.0123456789abcdef.junk owner
	as_other_user touch "$junk" || fail "cannot create a file as uid $OTHER_UID"
	ic run shm_counter --run-id $id --json "$T/f.json"
	owner=$(stat -c %u "$junk" 2>/dev/null)
	rm -f "$junk"
	expect_rc 0 run --run-id with a foreign object carrying the run id
	grep -qxF "  interference: another user's object carries this run's id (uid $OTHER_UID): $junk; not judged" "$T/out" ||
		{ show_output; fail "no interference line naming $junk"; }
	[ "$owner" = "$OTHER_UID" ] || fail "$junk was removed"
	py "$T/f.json" "$junk" "$OTHER_UID" <<'EOF' || exit 1
r = runs[0]
if r["verdict"] != "pass": bad("verdict %r" % r["verdict"])
if r.get("interference") != [{"object": argv[0], "uid": int(argv[1])}]: bad("interference %r" % r.get("interference"))
EOF
	ok "uid $OTHER_UID's $junk: the run passes, says interference (report and JSON), the file is left"
}

# A role killed inside the creation of a named semaphore leaves nothing that
# carries no run id (glibc's sem_open would leave its sem.XXXXXX temporary).
case_sem_open_killed() {
	command -v strace >/dev/null || skip "strace is not installed"
	strace -f -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	local new
	# LeakSanitizer cannot work under ptrace: an ASan build's leak check is off here.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	ls -A /dev/shm | LC_ALL=C sort >"$T/shm.before"
	# Where glibc's sem_open links its temporary to the name.
	strace -f -qq -o /dev/null -e trace=link -e inject=link:signal=KILL \
		"$IC" run cleanup:style=unlink_early >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 0 run cleanup:style=unlink_early with every link killed
	ic audit --stale --clean
	new=$(ls -A /dev/shm | LC_ALL=C sort | LC_ALL=C comm -13 "$T/shm.before" -)
	[ -z "$new" ] || { rm -f -- $(sed 's|^|/dev/shm/|' <<<"$new"); fail "left in /dev/shm: $new"; }
	ok "no link is made: a kill there cannot leave a temporary"
	# Inside the creation: the semaphore's file exists, not yet sized.
	strace -f -qq -o /dev/null -e trace=ftruncate -e inject=ftruncate:signal=KILL \
		"$IC" run cleanup:style=unlink_early >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 1 run cleanup:style=unlink_early with the service killed creating its semaphore
	grep -qE '^    /dev/shm/sem\.ipchaos\.[0-9a-f]{16}\.sem\.[0-9a-f]{16}$' "$T/out" ||
		{ show_output; fail "the kill did not hit the semaphore's creation"; }
	ic audit --stale --clean
	new=$(ls -A /dev/shm | LC_ALL=C sort | LC_ALL=C comm -13 "$T/shm.before" -)
	[ -z "$new" ] || { rm -f -- $(sed 's|^|/dev/shm/|' <<<"$new"); fail "left in /dev/shm: $new"; }
	ok "killed inside the semaphore's creation: its file carried the run id, was found and removed"
}

# --keep keeps every object, still judges what was made untracked, lists it all.
case_keep_untracked() {
	[ "$(id -u)" = 0 ] || skip "needs root to mount the mqueue filesystem (to remove the kept queue)"
	mkdir -p "$T/mq"
	mount -t mqueue none "$T/mq" || skip "cannot mount the mqueue filesystem"
	ic run cleanup:style=none --keep
	local runid line next p missing="" present
	runid=$(grep -m1 -oE '\(run [0-9a-f]+,' "$T/out" | sed -E 's/\(run ([0-9a-f]+),/\1/')
	line=$(grep -m1 '^  kept for inspection: ' "$T/out")
	next=$(grep -A1 '^  kept for inspection: ' "$T/out" | sed -n 2p)
	for p in "/dev/shm/ipchaos.$runid.arena" "/dev/shm/ipchaos.$runid.seg.*" "/dev/shm/sem.ipchaos.$runid.sem.*" \
		"mqueue /ipchaos.$runid.queue.*"; do
		# shellcheck disable=SC2053
		[[ ", ${line#  kept for inspection: }, " == *", "$p", "* ]] || missing+=" $p"
	done
	present=$(ls /dev/shm/ipchaos."$runid".* /dev/shm/sem.ipchaos."$runid".* "$T"/mq/ipchaos."$runid".* 2>/dev/null | wc -l)
	rm -f /dev/shm/ipchaos."$runid".* /dev/shm/sem.ipchaos."$runid".* "$T"/mq/ipchaos."$runid".*
	umount "$T/mq"
	[ -n "$runid" ] || { show_output; fail "no run id in the report"; }
	expect_rc 1 run cleanup:style=none --keep
	grep -q '^  FAIL leaks: 3 objects of this run were created untracked' "$T/out" ||
		{ show_output; fail "no leaks finding for the 3 untracked objects"; }
	[ -z "$missing" ] || { show_output; fail "the kept listing misses:$missing"; }
	[ "$next" = "  remove with: ipchaos audit --remove-run $runid" ] || { show_output; fail "no 'remove with' line after the listing"; }
	[ "$present" = 4 ] || fail "$present of the 4 kept objects existed"
	ok "exit 1, leaks of the 3 untracked objects; all 4 kept, listed, and the command to remove them"
}

# SIGKILL to the harness: its roles die with it, and the next run removes the rest.
case_harness_killed() {
	"$IC" run mq --inject delay:p=0.5,max=200 --seeds 100000 --keep-going >/dev/null 2>&1 &
	local pid=$! i
	sleep 1
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	for i in $(seq 50); do pgrep -x ipchaos >/dev/null || break; sleep 0.1; done
	pgrep -x ipchaos >/dev/null && fail "roles outlived the killed harness"
	ls /dev/shm/ipchaos.*.arena >/dev/null 2>&1 || fail "the killed run left no arena: nothing was tested"
	ic audit --stale
	grep -q ': dead, ' "$T/out" || { show_output; fail "the dead run is not listed as dead"; }
	ic run shm_counter
	expect_rc 0 run after a killed harness
	grep -qE '^swept [0-9]+ objects? left by dead ipchaos runs' "$T/out" || { show_output; fail "the next run did not sweep"; }
	ok "roles died with the harness; $(grep -m1 '^swept' "$T/out")"
}

# Two campaigns at once: neither sweeps nor disturbs the other.
case_parallel_campaigns() {
	"$IC" run mq --inject delay --inject kill --seeds 40 --json "$T/a.json" >"$T/a.out" 2>&1 &
	local a=$!
	"$IC" run shm_counter --inject delay --inject kill --seeds 40 --json "$T/b.json" >"$T/b.out" 2>&1 &
	local b=$!
	wait "$a"
	local ra=$?
	wait "$b"
	local rb=$?
	[ "$ra" = 0 ] && [ "$rb" = 0 ] || { cat "$T/a.out" "$T/b.out"; fail "exits $ra and $rb"; }
	! grep -q '^swept' "$T/a.out" "$T/b.out" || fail "a campaign swept the other's live objects"
	ok "two campaigns at once: both pass, neither swept the other"
}

# A kept run is not stale.
case_kept_not_swept() {
	ic run shm_counter --keep
	local line
	line=$(grep -m1 '^  kept for inspection: ' "$T/out") || { show_output; fail "nothing kept"; }
	ic run shm_counter
	grep -q '^swept' "$T/out" && { rm -f /dev/shm/ipchaos.*; fail "a kept run was swept"; }
	ic audit --stale
	grep -q 'kept (--keep)' "$T/out" || { show_output; fail "--stale does not say kept"; }
	rm -f -- $(sed -e 's/^  kept for inspection: //' -e 's/,//g' <<<"$line")
	ok "kept objects survive the next run's sweep and show as kept"
}

# ------------------------------------------------------------- the sweeper --

# The sweeper cases' tool (sweeptool.c), built beside the binary.
sweeptool() {
	local p
	p=$(dirname "$IC")/tests/integration/sweeptool
	[ -x "$p" ] || fail "no sweeptool at $p"
	printf '%s' "$p"
}

# A second user, uid 4242 (no account needed), runs copies of the binary and
# the tool from a directory it can reach ($T is 0700).
# As need_other_user, with the binary and sweeptool copied where uid $OTHER_UID can run them ($T/pub).
need_other_user_tools() {
	need_other_user
	local tool
	tool=$(sweeptool) || exit 1
	chmod 711 "$T" && mkdir -m 755 "$T/pub" && cp "$IC" "$T/pub/ipchaos" && cp "$tool" "$T/pub/sweeptool" ||
		fail "cannot copy the binary and the tool where uid $OTHER_UID can run them"
}

# A SysV key of this case's own (cases may share the host's namespace when not isolated).
case_key() { printf '%x' $((0x1c000000 + ($$ & 0xfffff) * 16 + $1)); }

# The count ipchaos audit --stale [--clean] ends with.
stale_count() { sed -nE 's/^([0-9]+) objects? (of dead runs|removed).*/\1/p' "$T/out"; }

# Another user's arena that lists root's own mqueue and SysV queue: the
# sweeper believes no word of it, in audit --stale --clean and in the sweep
# every run starts with; the forger's file is left as found.
case_sweep_forged_arena() {
	need_other_user_tools
	local tool="$T/pub/sweeptool" id=00000000deadbeef mq=/ic-sweep-root.$$ key mq_kept=0 msg_kept=0 arena_kept=0
	key=$(case_key 1)
	"$tool" mq-make "$mq" || fail "cannot make root's mqueue $mq"
	"$tool" msg-make "$key" || { "$tool" mq-rm "$mq"; fail "cannot make root's SysV queue 0x$key"; }
	as_other_user "$tool" forge $id "$mq" "$key" || { "$tool" mq-rm "$mq"; "$tool" msg-rm "$key"; fail "uid $OTHER_UID could not forge"; }
	ic audit --stale
	cp "$T/out" "$T/dry.out"
	ic audit --stale --clean
	cp "$T/out" "$T/clean.out"
	ic run shm_counter
	"$tool" mq-exists "$mq" && mq_kept=1
	"$tool" msg-exists "$key" && msg_kept=1
	[ -f /dev/shm/ipchaos.$id.arena ] && arena_kept=1
	"$tool" mq-rm "$mq"
	"$tool" msg-rm "$key"
	rm -f /dev/shm/ipchaos.$id.arena
	[ $mq_kept = 1 ] || fail "root's mqueue $mq was removed on the word of uid $OTHER_UID's arena"
	[ $msg_kept = 1 ] || fail "root's SysV queue 0x$key was removed on the word of uid $OTHER_UID's arena"
	[ $arena_kept = 1 ] || fail "the forger's file was removed"
	local f
	for f in dry clean; do
		grep -q "^  run $id: not yours (uid $OTHER_UID), left alone" "$T/$f.out" ||
			{ cat "$T/$f.out"; fail "audit --stale ($f) does not say the arena is not yours"; }
	done
	ok "root's mqueue and SysV queue survive --stale --clean and a run's sweep; listed: $(grep "run $id" "$T/clean.out")"
}

# An arena of the sweeping user's that is rewritten and truncated in a loop
# while audit --stale reads it: it is read with pread, never mapped, so no
# SIGBUS (exit 135) however the sizes race.
case_sweep_truncated_arena() {
	local tool i rc bus=0 other=0 pids=()
	tool=$(sweeptool) || exit 1
	for i in 1 2; do
		"$tool" truncate 333333333333333$i &
		pids+=($!)
	done
	for i in $(seq 150); do
		"$IC" audit --stale >"$T/out" 2>"$T/err"
		rc=$?
		[ $rc = 135 ] && bus=$((bus + 1))
		[ $rc = 0 ] || [ $rc = 135 ] || other=$rc
	done
	kill "${pids[@]}"
	wait "${pids[@]}" 2>/dev/null
	rm -f /dev/shm/ipchaos.333333333333333[12].arena
	[ $bus = 0 ] || fail "audit --stale died of SIGBUS $bus times in 150"
	[ $other = 0 ] || { show_output audit --stale; fail "audit --stale exited $other"; }
	ok "150 audit --stale beside 2 arenas truncated in a loop: no SIGBUS"
}

# 300 decoy names do not hide a real dead run, whose 20 extra objects are
# all counted; the dry run counts exactly what --clean removes, the SysV
# queue included.
case_sweep_decoys() {
	local tool R=1111111111111111 i key dry clean decoy
	tool=$(sweeptool) || exit 1
	key=$("$tool" run $R dead) || fail "cannot make a dead run $R"
	for i in $(seq 20); do : >/dev/shm/ipchaos.$R.extra$i; done
	for i in $(seq 300); do
		printf -v decoy '%016x' $((0x2000000000000000 + i))
		: >"/dev/shm/ipchaos.$decoy.decoy"
	done
	ic audit --stale
	dry=$(stale_count)
	cp "$T/out" "$T/dry.out"
	ic audit --stale --clean
	clean=$(stale_count)
	rm -f /dev/shm/ipchaos.2000*.decoy
	local left=""
	[ -e /dev/shm/ipchaos.$R.arena ] && left="$left arena"
	"$tool" msg-exists "$key" && left="$left SysV-queue"
	[ -e /dev/shm/ipchaos.$R.seg ] && left="$left segment"
	[ -e /dev/shm/ipchaos.$R.extra20 ] && left="$left extras"
	if [ -n "$left" ]; then
		"$tool" msg-rm "$key"
		rm -f /dev/shm/ipchaos.$R.*
		show_output audit --stale --clean
		fail "behind 300 decoys, --clean left the dead run's:$left"
	fi
	grep -q "^  run $R: dead, 23 objects$" "$T/dry.out" || { grep -v 2000 "$T/dry.out"; fail "the dry run does not list 23 objects of run $R"; }
	grep -q "^    SysV message queue key 0x0*$key$" "$T/dry.out" || fail "the dry run does not list the SysV queue"
	[ "$dry" = 23 ] && [ "$clean" = 23 ] || fail "the dry run counts $dry, --clean $clean, expected 23 and 23"
	ok "behind 300 decoys: run $R's arena, segment, SysV queue and 20 extras: 23 listed, 23 removed"
}

# Objects with a run id and no arena: another user's are never swept (an
# mqueue alone was removed at once: only /dev/shm ages were looked at), the
# user's own are swept once old.
case_sweep_foreign_orphans() {
	need_other_user_tools
	local tool="$T/pub/sweeptool" mq=/ipchaos.2222222222222222.squat shm=/dev/shm/ipchaos.2222222222222223.squat
	local mine=/dev/shm/ipchaos.2222222222222224.left mq_kept=0 shm_kept=0 mine_gone=0
	as_other_user "$tool" mq-make $mq || fail "uid $OTHER_UID could not make $mq"
	as_other_user touch -d '-2 min' $shm || { "$tool" mq-rm $mq; fail "uid $OTHER_UID could not make $shm"; }
	touch -d '-2 min' $mine
	ic audit --stale
	cp "$T/out" "$T/dry.out"
	ic audit --stale --clean
	cp "$T/out" "$T/clean.out"
	"$tool" mq-exists $mq && mq_kept=1
	[ -e $shm ] && shm_kept=1
	[ -e $mine ] || mine_gone=1
	"$tool" mq-rm $mq
	rm -f $shm $mine
	[ $mq_kept = 1 ] || { cat "$T/clean.out"; fail "uid $OTHER_UID's mqueue $mq was swept"; }
	[ $shm_kept = 1 ] || { cat "$T/clean.out"; fail "uid $OTHER_UID's old $shm was swept"; }
	[ $mine_gone = 1 ] || { cat "$T/clean.out"; fail "root's own old orphan $mine was not swept"; }
	local id
	for id in 2222222222222222 2222222222222223; do
		grep -q "^  run $id: not yours (uid $OTHER_UID) (no arena), left alone, 1 object$" "$T/dry.out" ||
			{ cat "$T/dry.out"; fail "run $id is not listed as not yours"; }
	done
	grep -q "^  run 2222222222222224: dead (no arena), 1 object$" "$T/dry.out" || { cat "$T/dry.out"; fail "root's orphan not listed as dead"; }
	ok "another user's orphan mqueue and old segment left alone, root's old orphan swept"
}

# Root's dead run seen by another user: "not yours", never "too young", and
# nothing of it touched; --remove-run refuses it to that user, root removes it.
case_sweep_not_yours() {
	need_other_user_tools
	local R=4444444444444444
	ic run shm_counter --keep --run-id $R
	expect_rc 0 run shm_counter --keep --run-id $R
	"$T/pub/sweeptool" unkeep $R || fail "cannot clear the kept flag of run $R"
	as_other_user "$T/pub/ipchaos" audit --stale >"$T/out" 2>"$T/err"
	RC=$?
	cp "$T/out" "$T/dry.out"
	as_other_user "$T/pub/ipchaos" audit --stale --clean >"$T/out" 2>"$T/err"
	cp "$T/out" "$T/clean.out"
	as_other_user "$T/pub/ipchaos" audit --remove-run $R >"$T/out" 2>"$T/err"
	RC=$?
	cp "$T/err" "$T/remove.err"
	local stayed=0 removed=0
	[ -e /dev/shm/ipchaos.$R.arena ] && compgen -G "/dev/shm/ipchaos.$R.counter.*" >/dev/null && stayed=1
	ic audit --remove-run $R
	[ "$RC" = 0 ] && [ ! -e /dev/shm/ipchaos.$R.arena ] && removed=1
	rm -f /dev/shm/ipchaos.$R.*
	[ $stayed = 1 ] || fail "another user's sweep removed root's objects"
	local f
	for f in dry clean; do
		grep -q "^  run $R: not yours (uid 0), left alone" "$T/$f.out" ||
			{ cat "$T/$f.out"; fail "uid $OTHER_UID's audit --stale ($f) does not say root's run is not yours"; }
	done
	grep -q 'too young' "$T/dry.out" && fail "root's dead run called too young"
	[ "$(wc -l <"$T/remove.err")" = 1 ] && grep -q "not yours" "$T/remove.err" ||
		{ cat "$T/remove.err"; fail "uid $OTHER_UID's --remove-run: not one 'not yours' line"; }
	[ $removed = 1 ] || { show_output audit --remove-run $R; fail "root's --remove-run did not remove its own run"; }
	ok "to uid $OTHER_UID: $(grep "run $R" "$T/dry.out"); --remove-run: $(cat "$T/remove.err")"
}

# --remove-run: a bad id, a run that is not here, a live run and a misuse
# are refused (exit 2, one line); a kept run is removed whole.
case_remove_run() {
	local tool R=5555555555555555 J="$T/never.json" pid i key
	tool=$(sweeptool) || exit 1
	bad_one "--remove-run xyz: expected a run id" "$J" audit --remove-run xyz
	bad_one "--remove-run 5555555555555555X" "$J" audit --remove-run 5555555555555555X
	bad_one "no object of run 0123456789abcdef" "$J" audit --remove-run 0123456789abcdef
	bad_one "--remove-run goes alone" "$J" audit --stale --remove-run $R
	bad_one "--remove-run takes no command" "$J" audit --remove-run $R -- true
	key=$("$tool" run $R kept) || fail "cannot make a kept run $R"
	"$tool" hold $R >"$T/hold" &
	pid=$!
	for i in $(seq 200); do grep -q held "$T/hold" && break; sleep 0.05; done
	bad_one "run $R is live" "$J" audit --remove-run $R
	kill $pid
	wait $pid 2>/dev/null
	ic audit --remove-run $R
	expect_rc 0 audit --remove-run $R
	grep -q "^  run $R: dead, 3 objects removed$" "$T/out" || { show_output audit --remove-run; fail "not listed as 3 objects removed"; }
	[ ! -e /dev/shm/ipchaos.$R.arena ] || fail "the arena is left"
	! "$tool" msg-exists "$key" || fail "the SysV queue 0x$key is left"
	ok "a kept run removed whole: $(tail -n 1 "$T/out")"
}

# A role that ends with exit() (atexit handlers) must not flush a copy of the
# harness's own buffers: the JSON stays valid, one record per run.
case_json_roles_exit() {
	ic run cleanup:style=atexit --seeds 5 --json "$T/e.json"
	expect_rc 0 run cleanup:style=atexit
	py "$T/e.json" <<'EOF' || exit 1
if len(runs) != 5: bad("%d runs in the JSON, expected 5" % len(runs))
EOF
	ok "5 runs whose role calls exit(): valid JSON with 5 records"
}

# ---------------------------------------------------------- CI formats --

case_junit() {
	ic run shm_counter:lock=none shm_counter --inject delay --seeds 3 --keep-going --junit "$T/j.xml"
	expect_rc 1 run --junit
	"$PY" -I -S - "$T/j.xml" <<'EOF' || exit 1
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
def bad(m):
    print("FAIL: " + m); sys.exit(1)
if root.tag != "testsuites" or root.get("tests") != "2" or root.get("failures") != "1": bad("root %r" % root.attrib)
suites = root.findall("testsuite")
if len(suites) != 1 or suites[0].find("properties") is None: bad("one testsuite with properties expected")
cases = suites[0].findall("testcase")
if [c.find("failure") is not None for c in cases] != [True, False]: bad("failure elements %r" % [c.attrib for c in cases])
f = cases[0].find("failure")
for need in ("counter", "seed 0x1", "replay: ipchaos run shm_counter:lock=none"):
    if need not in f.get("message", "") + f.text: bad("failure lacks %r" % need)
if "seed 0x1" not in cases[0].find("system-out").text: bad("system-out lacks the seed")
if any(c.find("properties") is not None for c in cases): bad("properties inside a testcase")
print("  ok: JUnit: 2 testcases, the failing one with verdict, seed and replay line")
EOF
}

case_tap() {
	ic run shm_counter:lock=none shm_counter --inject delay --seeds 2 --keep-going --tap
	expect_rc 1 run --tap
	head -1 "$T/out" | grep -qx 'TAP version 14' || { show_output; fail "no TAP version line"; }
	grep -q '^not ok 1 - shm_counter:lock=none' "$T/out" || { show_output; fail "no 'not ok 1'"; }
	grep -q '^ok 2 - shm_counter:lock=robust' "$T/out" || { show_output; fail "no 'ok 2'"; }
	grep -q '^  replay: "ipchaos run ' "$T/out" || { show_output; fail "no replay in the YAML block"; }
	tail -1 "$T/out" | grep -qx '1\.\.2' || { show_output; fail "no plan 1..2 at the end"; }
	grep -q '^summary:' "$T/out" && { show_output; fail "the human report is mixed into TAP"; }
	grep -q '^summary:' "$T/err" || { show_output; fail "the human report is not on stderr"; }
	ok "TAP 14 on stdout, the report on stderr"
}

# N shards' results together are exactly one unsharded run's.
case_shards() {
	ic run shm_counter mq --seeds 12 --json "$T/all.json"
	expect_rc 0 run unsharded
	local i
	for i in 0 1 2; do
		ic run shm_counter mq --seeds 12 --shard "$i/3" --json "$T/s$i.json"
		expect_rc 0 run --shard "$i/3"
	done
	GTEST_SHARD_INDEX=1 GTEST_TOTAL_SHARDS=3 "$IC" run shm_counter mq --seeds 12 --json "$T/g1.json" >/dev/null || fail "GTEST shard failed"
	JOB_COMPLETION_INDEX=2 "$IC" run shm_counter mq --seeds 12 --shards 3 --json "$T/k2.json" >/dev/null || fail "indexed job failed"
	"$PY" -I -S - "$T" <<'EOF' || exit 1
import json, sys
d = sys.argv[1]
def runs(n): return [(r["spec"], r["seed"], r["verdict"]) for r in json.load(open("%s/%s.json" % (d, n)))["runs"]]
def bad(m):
    print("FAIL: " + m); sys.exit(1)
whole, parts = runs("all"), [runs("s%d" % i) for i in range(3)]
if sorted(whole) != sorted(sum(parts, [])): bad("the shards do not add up to the unsharded run")
if len(set(sum(parts, []))) != len(whole): bad("the shards overlap")
if runs("g1") != parts[1]: bad("GTEST_SHARD_INDEX=1/3 differs from --shard 1/3")
if runs("k2") != parts[2]: bad("JOB_COMPLETION_INDEX=2 --shards 3 differs from --shard 2/3")
print("  ok: 3 shards cover the %d runs exactly once; GTEST and indexed-job variables agree" % len(whole))
EOF
}

case_time_budget() {
	ic run mq --seeds 100000 --time-budget 1s
	expect_rc 0 run --time-budget
	grep -qE '^time budget of 1 s reached: [0-9]+ runs done, the last with seed 0x[0-9a-f]+ \(of 0x1\.\.0x186a0\)' "$T/out" || { show_output; fail "no budget line"; }
	ok "$(grep '^time budget' "$T/out")"
}

case_ci_bad_input() {
	local J="$T/never.xml"
	bad_one "--shard 3/2" "$J" run --junit "$J" shm_counter --shard 3/2
	bad_one "--shard x" "$J" run --junit "$J" shm_counter --shard x
	bad_one "--time-budget abc" "$J" run --junit "$J" shm_counter --time-budget abc
	bad_one "--junit /nonexistent/dir/x.xml" /nonexistent/dir/x.xml run shm_counter --junit /nonexistent/dir/x.xml
	JOB_COMPLETION_INDEX=7 bad_one "JOB_COMPLETION_INDEX=7" "$J" run --junit "$J" shm_counter --shards 4
	GTEST_SHARD_INDEX=5 GTEST_TOTAL_SHARDS=2 bad_one "GTEST_SHARD_INDEX=5" "$J" run --junit "$J" shm_counter
}

# ---------------------------------------------------------------- merge --

# Shards of a sweep with findings, merged: the same runs, verdicts, summary
# and exit code as one unsharded run; a foreign environment only warns.
# The spec with a finding is a planted leak: deterministic, so separate runs agree.
case_merge_shards() {
	local -a args=(run shm_counter:bug=leak shm_counter mq --inject delay --keep-going --seeds 9)
	ic "${args[@]}" --json "$T/whole.json"
	expect_rc 1 "${args[@]}"
	local i
	for i in 0 1 2; do
		ic "${args[@]}" --shard "$i/3" --json "$T/s$i.json"
		expect_rc 1 "${args[@]}" --shard "$i/3"
	done
	ic merge "$T/s2.json" "$T/s0.json" "$T/s1.json" --json "$T/m.json"
	expect_rc 1 merge
	[ ! -s "$T/err" ] || { show_output merge; fail "merge wrote to stderr"; }
	grep -qx 'summary: 27 runs, 18 passed, 9 failed, 0 broken, .*' "$T/out" || { show_output merge; fail "summary line"; }
	[ "$(grep -c '^  FAIL leaks: ' "$T/out")" = 9 ] || { show_output merge; fail "not 9 FAIL leaks lines"; }
	[ "$(grep -c '^  replay: ipchaos run shm_counter:lock=robust,bug=leak' "$T/out")" = 9 ] || { show_output merge; fail "not 9 replay lines"; }
	ok "merge exits 1: $(grep '^summary:' "$T/out")"
	py "$T/m.json" "$T/whole.json" <<'EOF' || exit 1
whole = json.load(open(argv[0]))
key = lambda r: (r["spec"], tuple(r["inject"]), r["seed"], r["verdict"])
if sorted(map(key, runs)) != sorted(map(key, whole["runs"])): bad("merged runs differ from the unsharded run's")
if len(set(map(key, runs))) != len(runs): bad("a run twice in the merged file")
order = [(r["spec"], r["inject"], int(r["seed"], 16)) for r in runs]
if order != sorted(order): bad("runs are not ordered by spec, inject, seed")
for k in ("runs", "passed", "failed", "broken", "exit"):
    if summary[k] != whole["summary"][k]: bad("summary %s: merged %r, unsharded %r" % (k, summary[k], whole["summary"][k]))
if d["mode"] != "run" or d["environment"] != whole["environment"]: bad("mode or environment changed")
if not any(r["findings"] for r in runs): bad("no finding survived the merge")
print("  ok: merged JSON: the unsharded run's %d (spec, seed, verdict), summary %r" % (len(runs), summary))
EOF
	# Merging its own output again changes nothing but the summary's seconds.
	ic merge "$T/m.json" --json "$T/mm.json"
	expect_rc 1 merge again
	"$PY" -I -S -c 'import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for x in (a, b): del x["summary"]["seconds"]
sys.exit(a != b)' "$T/m.json" "$T/mm.json" || fail "merging the merged file changed it"
	ok "merging the merged file gives it back"
	"$PY" -I -S -c 'import json, sys
d = json.load(open(sys.argv[1])); d["environment"]["version"] = "9.9.9"; d["environment"]["kernel"] = "other"
json.dump(d, open(sys.argv[2], "w"))' "$T/s1.json" "$T/s1x.json"
	ic merge "$T/s0.json" "$T/s1x.json" "$T/s2.json" --json "$T/mx.json"
	expect_rc 1 merge with another environment
	[ "$(wc -l <"$T/err")" = 1 ] && grep -q 'warning: .* different environments (version 0.1.0 vs 9.9.9, kernel)' "$T/err" ||
		{ show_output merge; fail "expected one warning line naming version and kernel"; }
	py "$T/mx.json" <<'EOF' || exit 1
if d["environment"]["version"] == "9.9.9" or len(runs) != 27: bad("kept the wrong environment, or lost runs")
EOF
	ok "another environment: merged, one warning: $(cat "$T/err")"
}

# JUnit from merged shards: what run --junit writes for the unsharded run.
case_merge_junit() {
	local -a args=(run shm_counter:bug=leak shm_counter --inject delay --keep-going --seeds 6)
	ic "${args[@]}" --junit "$T/whole.xml"
	expect_rc 1 "${args[@]}" --junit
	local i
	for i in 0 1; do
		ic "${args[@]}" --shard "$i/2" --json "$T/s$i.json"
		expect_rc 1 "${args[@]}" --shard "$i/2"
	done
	ic merge "$T/s0.json" "$T/s1.json" --junit "$T/m.xml"
	expect_rc 1 merge --junit
	"$PY" -I -S - "$T/m.xml" "$T/whole.xml" <<'EOF' || exit 1
import sys, xml.etree.ElementTree as ET
def bad(m):
    print("FAIL: " + m); sys.exit(1)
def cases(path):
    root = ET.parse(path).getroot()
    return root, [(c.get("classname"), c.get("name"), c.find("failure") is not None, c.find("error") is not None,
                   c.find("system-out").text.split("\n")[0]) for c in root.iter("testcase")]
root, merged = cases(sys.argv[1])
_, whole = cases(sys.argv[2])
if (root.get("tests"), root.get("failures"), root.get("errors")) != ("2", "1", "0"): bad("root %r" % root.attrib)
if merged != whole: bad("merged testcases %r differ from the unsharded run's %r" % (merged, whole))
f = root.find("testsuite/testcase/failure")
for need in ("leaks", "seed 0x1", "replay: ipchaos run shm_counter:lock=robust,bug=leak"):
    if need not in f.get("message") + f.text: bad("failure lacks %r" % need)
print("  ok: merged JUnit parses: 2 testcases, 1 failure, as the unsharded run's: %r" % [m[1] for m in merged])
EOF
}

# Bad input: a one-line error naming the file and what is wrong, exit 2, nothing written.
case_merge_bad_input() {
	local J="$T/never.json"
	ic run shm_counter --seeds 4 --shard 0/2 --json "$T/a.json"
	expect_rc 0 run --shard 0/2
	ic run shm_counter --seeds 4 --shard 0/4 --json "$T/b.json"
	expect_rc 0 run --shard 0/4
	head -c 60 "$T/a.json" >"$T/trunc.json"
	sed 's/"ipchaos-results"/"other-results"/' "$T/a.json" >"$T/format.json"
	sed 's/"format_version":1/"format_version":2/' "$T/a.json" >"$T/v2.json"
	sed 's/"mode":"run"/"mode":"all"/' "$T/a.json" >"$T/all.json"
	sed 's/"seed":"0x1"/"seed":1/' "$T/a.json" >"$T/seed.json"
	printf '{"runs":[1,]}' >"$T/comma.json"
	bad_one "trunc.json: offset 60: unexpected end of input (expected a key)" "$J" merge "$T/trunc.json" --json "$J"
	bad_one "comma.json: offset 11: a trailing comma before ']'" "$J" merge "$T/comma.json" --json "$J"
	bad_one "nosuch.json: cannot read: No such file or directory" "$J" merge "$T/a.json" "$T/nosuch.json" --json "$J"
	bad_one 'format.json: not an ipchaos results file: "format" is "other-results"' "$J" merge "$T/format.json" --json "$J"
	bad_one '"format_version" is 2, expected 1' "$J" merge "$T/v2.json" --json "$J"
	bad_one 'seed.json: runs[0]: "seed" is 1, expected a string like "0x2a"' "$J" merge "$T/seed.json" --json "$J"
	bad_one 'mode "all", but' "$J" merge "$T/a.json" "$T/all.json" --json "$J"
	bad_one "a.json and $T/b.json both hold shm_counter:lock=robust,bug=none [no injection] seed 0x1" "$J" \
		merge "$T/a.json" "$T/b.json" --json "$J"
	bad_one "both hold" "$J" merge "$T/a.json" "$T/a.json" --json "$J"
	bad_one "no results files to merge" "$J" merge --json "$J"
	bad_one "unknown option --frobnicate" "$J" merge "$T/a.json" --frobnicate --json "$J"
	bad_one "--junit /nonexistent/dir/x.xml: cannot write there" "$J" merge "$T/a.json" --junit /nonexistent/dir/x.xml
}

# Hand-written results: the exit code and JUnit decided from the runs alone.
# Mode all: an expectation is met when its planted bug was found, missed when
# it was not (within its seeds) or a run ended otherwise than expected.
merge_fixture() { # FILE MODE SUMMARY_EXIT RUN...; a RUN is spec|inject|expected|seed|verdict
	"$PY" -I -S - "$@" <<'EOF'
import json, sys
path, mode, code, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), []
for r in sys.argv[4:]:
    spec, inject, expected, seed, verdict = r.split("|")
    run = {"scenario": spec.split(":")[0], "spec": spec, "inject": inject.split() if inject else [], "procs": "2",
           "ops": 1000, "seed": seed, "run_id": "0123456789abcdef", "verdict": verdict, "seconds": 0.01,
           "recoveries": 0, "messages": 0, "bytes": 0, "findings": [],
           "replay": "ipchaos run %s --seed %s" % (spec, seed)}
    if expected:
        run["expected"] = expected
    if verdict == "broken":
        run["broken"] = "cannot create the arena: No space left on device"
    elif verdict != "pass":
        run["findings"] = [{"checker": verdict, "text": "the %s invariant broke\n  evidence line\n" % verdict}]
    if verdict != "pass":
        run["evidence"] = "  roles: p0 exit 0\n"
    runs.append(run)
s = {"runs": len(runs), "passed": sum(r["verdict"] == "pass" for r in runs), "broken": sum(r["verdict"] == "broken" for r in runs),
     "seconds": 0.1, "exit": code}
s["failed"] = len(runs) - s["passed"] - s["broken"]
json.dump({"format": "ipchaos-results", "format_version": 1, "mode": mode,
           "environment": {"version": "0.1.0", "kernel": "test"}, "runs": runs, "summary": s}, open(path, "w"))
EOF
}

case_merge_verdicts() {
	local I='delay:p=0.05,max=20'
	# Shard 0: a planted bug not found within its 2 seeds (missed) and one found (met);
	# shard 1: a "pass" expectation whose second seed failed (missed).
	merge_fixture "$T/a0.json" all 1 "shm_counter:lock=none,bug=none|$I|counter|0x1|pass" \
		"shm_counter:lock=none,bug=none|$I|counter|0x2|pass" "shm_counter:lock=sem,bug=none|kill:at=counter/loaded|dead-holder|0x1|dead-holder"
	merge_fixture "$T/a1.json" all 1 "mq:prio=on|$I|pass|0x1|pass" "mq:prio=on|$I|pass|0x2|messages"
	ic merge "$T/a1.json" "$T/a0.json" --json "$T/m.json" --junit "$T/m.xml"
	expect_rc 1 merge mode all
	grep -qx 'expectations: 1 met, 2 missed' "$T/out" || { show_output merge; fail "no 'expectations: 1 met, 2 missed'"; }
	grep -q '^  MISS  shm_counter:lock=none,bug=none \[delay:p=0.05,max=20\] planted bug not found: expected counter within 2 seeds$' "$T/out" ||
		{ show_output merge; fail "no MISS line for the bug not found"; }
	grep -q '^  MISS  mq:prio=on \[delay:p=0.05,max=20\] expected pass, got messages:$' "$T/out" ||
		{ show_output merge; fail "no MISS line for the failed pass"; }
	ok "mode all: exit 1, $(grep '^expectations:' "$T/out")"
	"$PY" -I -S - "$T/m.xml" "$T/m.json" <<'EOF' || exit 1
import json, sys, xml.etree.ElementTree as ET
def bad(m):
    print("FAIL: " + m); sys.exit(1)
root = ET.parse(sys.argv[1]).getroot()
if (root.get("tests"), root.get("failures"), root.get("errors")) != ("3", "2", "0"): bad("root %r" % root.attrib)
fails = {c.get("name"): c.find("failure").get("message") for c in root.iter("testcase") if c.find("failure") is not None}
if sorted(fails) != ["mq:prio=on [delay:p=0.05,max=20] -> pass", "shm_counter:lock=none,bug=none [delay:p=0.05,max=20] -> counter"]: bad("failing cases %r" % fails)
if "planted bug not found" not in fails["shm_counter:lock=none,bug=none [delay:p=0.05,max=20] -> counter"]: bad("message %r" % fails)
d = json.load(open(sys.argv[2]))
if d["mode"] != "all" or d["summary"] != {"runs": 5, "passed": 3, "failed": 2, "broken": 0, "seconds": 0.2, "exit": 1}: bad("summary %r" % d["summary"])
print("  ok: JUnit 3 testcases, 2 failures; JSON summary %r" % d["summary"])
EOF
	# Mode run: a broken run is exit 3; so is an input that was interrupted (130), with a warning.
	merge_fixture "$T/r0.json" run 3 "mq|$I||0x1|pass" "mq|$I||0x2|broken"
	merge_fixture "$T/r1.json" run 0 "mq|$I||0x3|pass"
	merge_fixture "$T/r2.json" run 130 "mq|$I||0x4|pass"
	ic merge "$T/r0.json" "$T/r1.json" --junit "$T/r.xml"
	expect_rc 3 merge broken
	grep -q '^  BROKEN: cannot create the arena' "$T/out" || { show_output merge; fail "no BROKEN line"; }
	grep -q 'errors="1"' "$T/r.xml" || fail "JUnit has no error for the broken run"
	ok "a broken run: exit 3, a JUnit error"
	ic merge "$T/r1.json" "$T/r2.json"
	expect_rc 3 merge interrupted
	grep -qx "ipchaos merge: warning: $T/r2.json: that run was interrupted (exit 130): its results are incomplete" "$T/err" ||
		{ show_output merge; fail "no warning for the interrupted input"; }
	ok "an interrupted input: exit 3, $(cat "$T/err")"
	ic merge "$T/r1.json"
	expect_rc 0 merge passing
	ok "all passed: exit 0"
}

# Real run --all shards (a few expectations of a 50-way split: the whole of --all takes minutes).
case_merge_all() {
	local i
	local n=0 m
	for i in 0 3; do
		ic run --all --shard "$i/50" --json "$T/a$i.json"
		expect_rc 0 run --all --shard "$i/50"
		m=$(sed -nE 's/^expectations: ([0-9]+) met, 0 missed$/\1/p' "$T/out")
		[ -n "$m" ] || { show_output run --all --shard "$i/50"; fail "no 'expectations: N met, 0 missed'"; }
		n=$((n + m))
	done
	ic merge "$T/a0.json" "$T/a3.json" --json "$T/m.json" --junit "$T/m.xml"
	expect_rc 0 merge
	grep -qx "expectations: $n met, 0 missed" "$T/out" || { show_output merge; fail "no 'expectations: $n met, 0 missed'"; }
	py "$T/m.json" "$T/a0.json" "$T/a3.json" <<'EOF' || exit 1
parts = [json.load(open(p))["runs"] for p in argv]
key = lambda r: (r["spec"], tuple(r["inject"]), r["expected"], r["seed"], r["verdict"])
if sorted(map(key, runs)) != sorted(map(key, sum(parts, []))): bad("merged runs differ from the shards'")
if d["mode"] != "all" or summary["exit"] != 0: bad("mode %r exit %r" % (d["mode"], summary["exit"]))
print("  ok: mode all, %d runs of the shards' expectations, exit 0" % len(runs))
EOF
	"$PY" -I -S -c 'import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
sys.exit((r.get("tests"), r.get("failures"), r.get("errors")) != (sys.argv[2], "0", "0"))' "$T/m.xml" "$n" ||
		fail "JUnit is not $n tests, 0 failures"
	ok "JUnit: $n testcases, no failure"
}

case_merge_help() {
	ic merge --help
	expect_rc 0 merge --help
	grep -q '^  ipchaos merge FILE\.\.\. \[--json OUT\] \[--junit OUT\]$' "$T/out" || { show_output; fail "no synopsis in merge --help"; }
	local src got
	src=$(cd "$(dirname "$0")/../.." && pwd)
	got=$(bash -c 'source "$1"; COMP_WORDS=(ipchaos me); COMP_CWORD=1; _ipchaos; echo "${COMPREPLY[*]}";
		COMP_WORDS=(ipchaos merge a.json --j); COMP_CWORD=3; _ipchaos; echo "${COMPREPLY[*]}"' _ "$src/completions/ipchaos.bash")
	[ "$got" = "merge
--json --junit" ] || fail "completion offered: $got"
	ok "merge --help; completion: $(tr '\n' ' ' <<<"$got")"
}

# The man page renders without warnings; bash completion offers scenarios and injectors.
# ------------------------------------------------------- outputs, escaping --

# A run killed with its supervisor: its arena and queues stay, for a sweep to find.
plant_dead_run() {
	local pid i
	"$IC" run mq --inject delay:p=0.5,max=200 --seeds 100000 --keep-going >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 100); do
		ls /dev/shm/ipchaos.*.arena >/dev/null 2>&1 && break
		sleep 0.05
	done
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	for i in $(seq 50); do pgrep -x ipchaos >/dev/null || break; sleep 0.1; done
	ls /dev/shm/ipchaos.*.arena >/dev/null 2>&1 || fail "the killed run left no arena: nothing to sweep"
}

# Results paths that cannot take the results are bad usage, found before
# anything runs: exit 2, one line, nothing created, and no start-up sweep
# (the bad_one snapshots would see a planted dead run swept).
case_output_paths() {
	local J="$T/never.json"
	ic run shm_counter --json "$T/in.json"
	expect_rc 0 run for merge input
	echo "old results" >"$T/old.json"
	ln -s "$T/missing/dir/x.json" "$T/dangling"
	ln -s "$T/same.json" "$T/alias.json"
	plant_dead_run
	bad_one "--json '': an empty file name" "$J" run shm_counter --json ''
	bad_one "--junit '': an empty file name" "$J" run shm_counter --junit '' --json "$J"
	bad_one "--json $T/dangling: a symbolic link to nothing" "$T/missing/dir/x.json" run shm_counter --json "$T/dangling"
	[ ! -e "$T/missing" ] || fail "a directory was created for the dangling link"
	bad_one "--junit $T/same.json: also named by --json" "$T/same.json" \
		run shm_counter --json "$T/same.json" --junit "$T/same.json"
	bad_one "--junit $T/alias.json: the same file as --json $T/same.json" "$T/same.json" \
		run shm_counter --json "$T/same.json" --junit "$T/alias.json"
	bad_one "--junit $T/old.json: also named by --json" "$J" run shm_counter --json "$T/old.json" --junit "$T/old.json"
	[ "$(cat "$T/old.json")" = "old results" ] || fail "a refused run emptied an existing file"
	local proc_why="cannot write there"
	[ "$(id -u)" = 0 ] && proc_why="kernel interface" # root may open it: the filesystem refuses it
	bad_one "--json /proc/version: " "$J" run shm_counter --json /proc/version
	grep -qF "$proc_why" "$T/err" || fail "/proc/version refused for another reason: $(cat "$T/err")"
	bad_one "--junit $T/same.json: also named by --json" "$T/same.json" \
		merge "$T/in.json" --json "$T/same.json" --junit "$T/same.json"
	bad_one "--junit $T/alias.json: the same file as --json $T/same.json" "$T/same.json" \
		merge "$T/in.json" --json "$T/same.json" --junit "$T/alias.json"
	bad_one "--json '': an empty file name" "$J" merge "$T/in.json" --json ''
	bad_one "--junit /proc/version: " "$J" merge "$T/in.json" --junit /proc/version
	bad_one "--json $T/b.csv: also named by --csv" "$T/b.csv" bench --quick --csv "$T/b.csv" --json "$T/b.csv"
	bad_one "--svg $T/dangling: a symbolic link to nothing" "$J" bench --quick --json "$J" --svg "$T/dangling"
	ic audit --stale --clean
	expect_rc 0 audit --stale --clean
	ok "the dead run was still there for audit --stale --clean: nothing had swept it"
}

# Control bytes and escape sequences in what a user typed or a file holds
# are printed escaped: an error stays one line, no ESC reaches the terminal.
no_raw_controls() { # FILE...: no ESC, BEL or CR byte in them
	local f
	for f in "$@"; do
		if LC_ALL=C grep -q $'[\e\a\r]' "$f"; then
			show_output
			fail "a raw control byte reached $f"
		fi
	done
}

case_control_bytes() {
	local J="$T/never.json"
	bad_one 'lock=x\nFAIL counter: forged\e[2J' "$J" run --json "$J" $'shm_counter:lock=x\nFAIL counter: forged\e[2J'
	no_raw_controls "$T/err"
	bad_one 'delay:p=\e]0;title\x07\nforged' "$J" run shm_counter --json "$J" --inject $'delay:p=\e]0;title\a\nforged'
	no_raw_controls "$T/err"
	bad_one 'unknown command '\''fr\e[31m\nob'\''' "$J" $'fr\e[31m\nob'
	bad_one 'command '\''/no/such\nprog\r'\'' not found' "$J" audit -- $'/no/such\nprog\r'
	no_raw_controls "$T/err"
	local name=$'shard\n\e[31mforged.json'
	printf '{"runs":' >"$T/$name"
	bad_one 'shard\n\e[31mforged.json: offset 8: unexpected end of input' "$J" merge "$T/$name" --json "$J"
	no_raw_controls "$T/err"
	# A results file's strings, printed by merge: one escaped line each.
	merge_fixture "$T/esc.json" run 1 $'mq\e[2J\nFAIL messages: forged|||0x1|messages'
	ic merge "$T/esc.json"
	expect_rc 1 merge of a file with control bytes
	no_raw_controls "$T/out" "$T/err"
	grep -q '^FAIL messages: forged' "$T/out" && { show_output; fail "a forged line in merge's report"; }
	grep -qF 'mq\e[2J\nFAIL messages: forged seed 0x1' "$T/out" || { show_output; fail "the spec is not shown escaped"; }
	ok "merge shows a results file's strings escaped: $(grep -m1 -F 'mq\e' "$T/out")"
}

# A shard with no runs (more shards than seeds) merges, alone or with others;
# the ASan+UBSan build would abort on qsort(NULL, 0).
case_merge_empty_shard() {
	ic run shm_counter --seeds 1 --shard 1/2 --json "$T/e1.json"
	expect_rc 0 run of an empty shard
	ic run shm_counter --seeds 1 --shard 1/3 --json "$T/e2.json"
	ic merge "$T/e1.json" "$T/e2.json" --json "$T/m.json" --junit "$T/m.xml"
	expect_rc 0 merge of empty shards
	[ ! -s "$T/err" ] || { show_output merge; fail "merge of empty shards wrote to stderr"; }
	grep -q '^summary: 0 runs, 0 passed' "$T/out" || { show_output merge; fail "no summary of 0 runs"; }
	py "$T/m.json" <<'EOF' || exit 1
if d["runs"] != [] or d["summary"]["runs"] != 0: bad("runs %r, summary %r" % (d["runs"], d["summary"]))
print("  ok: merged JSON of empty shards: no runs, summary %r" % d["summary"])
EOF
}

# merge reads at most 256 MiB of an input: a bigger file is refused unread,
# and a device that never ends is read no further.
case_merge_too_big() {
	local J="$T/never.json"
	truncate -s 300M "$T/big.json"
	bad_one "big.json: larger than 256 MiB: not a results file" "$J" merge "$T/big.json" --json "$J"
	bad_one "/dev/zero: larger than 256 MiB: not a results file" "$J" merge /dev/zero --json "$J"
}

# `list` takes no arguments and says so, naming itself, not "unknown command".
case_list_args() {
	local J="$T/never.json"
	bad_one "ipchaos list: takes no arguments, got 'extra'" "$J" list extra
	ic list --help
	expect_rc 0 list --help
	grep -q 'ipchaos list' "$T/out" || { show_output list --help; fail "no help from list --help"; }
	ic list
	expect_rc 0 list
	grep -q '^scenarios' "$T/out" || { show_output list; fail "list lists no scenarios"; }
	ok "list --help and list work; list extra: $(cat "$T/err")"
}

case_man_and_completion() {
	local src
	src=$(cd "$(dirname "$0")/../.." && pwd)
	command -v groff >/dev/null || skip "groff is not installed"
	groff -man -Tutf8 -ww -z "$src/docs/ipchaos.1" 2>"$T/groff.err"
	[ ! -s "$T/groff.err" ] || { cat "$T/groff.err"; fail "the man page has warnings"; }
	local got
	got=$(PATH="$(dirname "$IC"):$PATH" bash -c 'source "$1"; COMP_WORDS=(ipchaos run sh); COMP_CWORD=2; _ipchaos;
		echo "${COMPREPLY[*]}"; COMP_WORDS=(ipchaos run mq --inject s); COMP_CWORD=4; _ipchaos; echo "${COMPREPLY[*]}"' \
		_ "$src/completions/ipchaos.bash")
	[ "$got" = "shm_counter shm_ring shm_batch
stall" ] || fail "completion offered: $got"
	ok "man page renders cleanly; completion: $(tr '\n' ' ' <<<"$got")"
}

# --jobs 2 judges exactly the runs of --jobs 1, in seed order, with the same
# verdicts where verdicts are deterministic (correct variants, planted leaks),
# and stops at the same first finding without --keep-going.
case_jobs() {
	local j
	for j in 1 2; do
		ic run shm_counter mq shm_counter:bug=leak --inject kill --seeds 12 --keep-going --jobs "$j" \
			--json "$T/k$j.json"
		expect_rc 1 run --jobs "$j" --keep-going
		ic run shm_counter shm_counter:bug=leak --seeds 12 --seed 5 --jobs "$j" --json "$T/s$j.json"
		expect_rc 1 run --jobs "$j" stopping at the first finding
	done
	grep -q '^jobs: 2 runs at a time' "$T/out" || { show_output; fail "no 'jobs:' line"; }
	"$PY" -I -S - "$T" <<'EOF' || exit 1
import json, sys
d = sys.argv[1]
def runs(n): return [(r["spec"], r["seed"], r["verdict"]) for r in json.load(open("%s/%s.json" % (d, n)))["runs"]]
def bad(m):
    print("FAIL: " + m); sys.exit(1)
for n in ("k", "s"):
    one, two = runs(n + "1"), runs(n + "2")
    if one != two: bad("%s: --jobs 2 ran %r, --jobs 1 ran %r" % (n, two, one))
k = runs("k1")
if len(k) != 36 or sum(v == "leaks" for _, _, v in k) != 12: bad("unexpected keep-going runs: %r" % k)
s = runs("s1")
if len(s) != 13 or s[-1][2] != "leaks" or s[-1][1] != "0x5": bad("the sweep did not stop at the first leak: %r" % s[-3:])
print("  ok: --jobs 2 == --jobs 1: %d runs with --keep-going, %d stopping at the first finding" % (len(k), len(s)))
EOF
}

case_jobs_bad_input() {
	local J="$T/never.json"
	bad_one "--jobs 0" "$J" run --json "$J" shm_counter --jobs 0
	bad_one "--jobs x" "$J" run --json "$J" shm_counter --jobs x
	bad_one "--jobs 65" "$J" run --json "$J" shm_counter --jobs 65
	bad_one "does not go with --jobs 2" "$J" run --json "$J" shm_counter --jobs 2 --run-id 0123456789abcdef
	bad_one "--keep leaves the reported run" "$J" run --json "$J" shm_counter --jobs 2 --keep
	bad_one "--made-by x/y" "$J" run --json "$J" shm_counter --made-by x/y
}

# A bar on a terminal; plain output in a log or under CI; --quiet and --verbose.
case_progress() {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	CI= script -qec "$IC run shm_counter --seeds 150 --jobs 2" /dev/null >"$T/tty" 2>&1
	grep -qaE $'\r\033\\[K\\[[#.]+\\] [0-9]+/150 seeds, 0 findings, [0-9]+ runs/s, ETA' "$T/tty" ||
		{ cat -A "$T/tty" | tail -3; fail "no progress bar on a terminal"; }
	CI=true script -qec "$IC run shm_counter --seeds 20" /dev/null >"$T/ci" 2>&1
	! grep -qa $'\033' "$T/ci" || fail "a bar was drawn with CI set"
	ic run shm_counter --seeds 20
	! grep -qa $'\r' "$T/out" "$T/err" || fail "carriage returns in output that is not a terminal"
	ic run shm_counter --seeds 4 --verbose
	[ "$(grep -c '^  run   shm_counter:lock=robust,bug=none *seed 0x[1-4] pass' "$T/out")" = 4 ] ||
		{ show_output; fail "--verbose: not a line per run"; }
	ic run shm_counter:lock=mutex,bug=forget_unlock --seeds 2 --quiet
	expect_rc 1 run --quiet
	grep -q 'replay: ' "$T/out" || { show_output; fail "--quiet hid the finding"; }
	ic run shm_counter --seeds 4 --quiet
	[ "$(cat "$T/out")" = "$(grep '^summary:' "$T/out")" ] || { show_output; fail "--quiet printed more than the summary"; }
	ok "bar on a tty, none under CI or in a file; --verbose a line per run; --quiet findings and summary"
}

# Replay lines name the version that printed them; another version warns.
case_made_by() {
	local v
	v=$("$IC" --version | awk '{print $2}')
	ic run shm_counter:lock=mutex,bug=forget_unlock
	grep -q "replay: ipchaos run .* --made-by $v\$" "$T/out" || { show_output; fail "the replay line does not end with --made-by $v"; }
	ic run shm_counter --made-by "$v"
	[ ! -s "$T/err" ] || { show_output; fail "the same version warned"; }
	ic run shm_counter --made-by 0.0.1-old
	expect_rc 0 run --made-by 0.0.1-old
	grep -q "warning: this replay comes from ipchaos 0.0.1-old and this is $v" "$T/err" || { show_output; fail "no version warning"; }
	ok "replay lines end with --made-by $v; 0.0.1-old warns"
}

# The install as a user gets it: `cmake --install` into a temporary prefix,
# then examples/ built against it through find_package and through
# pkg-config, its CTest tests run (the correct code passes, the planted bug
# is found), and the IPCHAOS_DISABLE demo built without libipchaos and run.
case_install_example() {
	local src build cc prefix lib f missing=
	src=$(cd "$(dirname "$0")/../.." && pwd)
	build=$(dirname "$IC")
	for f in cmake ctest make pkg-config nm cc; do
		command -v "$f" >/dev/null || skip "$f is not installed"
	done
	# The compiler that built the library links the example (sanitizer runtimes differ).
	cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
	prefix=$T/prefix
	cmake --install "$build" --prefix "$prefix" >"$T/install.log" 2>&1 ||
		{ cat "$T/install.log"; fail "cmake --install $build failed"; }
	# lib, lib64 or lib/<triplet>, as GNUInstallDirs decides for this system.
	lib=$(cd "$prefix" && find . -name ipchaos.pc -path '*/pkgconfig/*' | sed 's|^\./||; s|/pkgconfig/ipchaos.pc$||')
	for f in bin/ipchaos include/ipchaos.h "$lib/libipchaos.a" "$lib/cmake/ipchaos/ipchaosConfig.cmake" \
		"$lib/cmake/ipchaos/ipchaosConfigVersion.cmake" "$lib/cmake/ipchaos/ipchaosTargets.cmake" \
		"$lib/cmake/ipchaos/ipchaosTest.cmake" "$lib/pkgconfig/ipchaos.pc" share/man/man1/ipchaos.1 \
		share/bash-completion/completions/ipchaos; do
		[ -f "$prefix/$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] || { find "$prefix" -type f; fail "not installed:$missing"; }
	ok "installed: binary, header, library, CMake package, pkg-config file, man page, completion"

	cmake -S "$src/examples" -B "$T/ex" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
		-DCMAKE_C_FLAGS=-Werror \
		>"$T/ex.log" 2>&1 && cmake --build "$T/ex" -j2 >>"$T/ex.log" 2>&1 ||
		{ cat "$T/ex.log"; fail "examples/ does not build with find_package(ipchaos)"; }
	ctest --test-dir "$T/ex" --output-on-failure -j2 >"$T/ctest.log" 2>&1 ||
		{ cat "$T/ctest.log"; fail "the example's tests failed"; }
	grep -q '^100% tests passed, 0 tests failed out of 8$' "$T/ctest.log" ||
		{ cat "$T/ctest.log"; fail "the example should have run 8 tests"; }
	# The user's program built with ipchaos_race_instrument(): its race is found, its correct code is silent.
	grep -qE 'Test +#[0-9]+: workq_race_found [.]+ +Passed' "$T/ctest.log" &&
		grep -qE 'Test +#[0-9]+: workq_no_race [.]+ +Passed' "$T/ctest.log" ||
		{ cat "$T/ctest.log"; fail "no passing workq_race_found and workq_no_race tests"; }
	! nm "$T/ex/jobsvc-chaos-races" | grep -q ' U .*tsan' || fail "jobsvc-chaos-races links libtsan's symbols from outside"
	ok "ipchaos_race_instrument(): the user's race found with --detect races, none in the correct queue"

	grep -qE 'Test +#[0-9]+: workq_bug_found [.]+ +Passed' "$T/ctest.log" ||
		{ cat "$T/ctest.log"; fail "no passing workq_bug_found test"; }
	ok "find_package build: 5 tests pass, workq_bug_found (EXPECT messages) among them"

	"$T/ex/jobsvc-chaos" run workq:bug=unlocked_peek --inject delay --seeds 100 >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 1 jobsvc-chaos run workq:bug=unlocked_peek --inject delay --seeds 100
	grep -q "^  replay: $T/ex/jobsvc-chaos run workq:bug=unlocked_peek " "$T/out" ||
		{ show_output; fail "the replay line does not name the user's program"; }
	ok "the user's program finds the bug, and its replay line names it"
	if command -v valgrind >/dev/null && ! grep -q '^IPCHAOS_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
		"$T/ex/jobsvc-chaos" run shm_counter --ops 10 --under memcheck >"$T/out" 2>"$T/err"
		RC=$?
		expect_rc 0 jobsvc-chaos run shm_counter --under memcheck
		ok "the user's program runs its roles under memcheck"
	fi

	PKG_CONFIG_PATH=$prefix/$lib/pkgconfig make -C "$src/examples" O="$T" CC="$cc" CFLAGS=-Werror \
		>"$T/make.log" 2>&1 || { cat "$T/make.log"; fail "examples/ does not build with pkg-config"; }
	"$T/jobsvc-chaos" run tally --seeds 2 >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 0 jobsvc-chaos run tally --seeds 2
	ok "pkg-config build runs its scenarios"

	# Not one ipchaos symbol in it: the static inline plain calls are local ('t').
	if nm "$T/workq-demo" | grep -E ' [A-Z] ic_' >"$T/syms"; then
		cat "$T/syms"
		fail "the IPCHAOS_DISABLE demo links ipchaos symbols"
	fi
	"$T/workq-demo" >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 0 workq-demo
	ok "IPCHAOS_DISABLE demo, no libipchaos: $(cat "$T/out")"
}

# ---------------------------------------------------------------- bench --

# pybench CSV JSON SVG CHANNEL...: checks the three outputs of one bench run:
# the CSV's columns, the JSON's fields, the SVG as XML with a line per
# channel; every number measured is positive. No timing thresholds.
pybench() {
	"$PY" -I -S - "$@" <<'EOF'
import csv, json, sys
import xml.etree.ElementTree as ET
def bad(msg):
    print("FAIL: " + msg)
    sys.exit(1)
csv_path, json_path, svg_path = sys.argv[1:4]
channels = sys.argv[4:]
COLUMNS = ("channel,style,size,procs,status,reason,msgs_per_s,mb_per_s,memcpy_fraction,vs_best_mp,"
           "logged_msgs_per_s,harness_cost,rtt_median_ns,rtt_p99_ns,rtt_vs_futex,points_enabled_msgs_per_s,"
           "point_ns_per_msg,memcpy_mb_per_s,one_to_one_msgs_per_s,vs_one_to_one").split(",")
with open(csv_path, newline="") as fh:
    rows = list(csv.reader(fh))
if rows[0] != COLUMNS: bad("CSV columns %r" % rows[0])
rows = [dict(zip(COLUMNS, r)) for r in rows[1:]]
with open(json_path) as fh:
    d = json.load(fh)
if d.get("format") != "ipchaos-bench" or d.get("format_version") != 1: bad("JSON format %r" % d.get("format"))
for k in ("version", "kernel", "cores", "optimized", "sysctl"):
    if k not in d["environment"]: bad("environment lacks " + k)
sizes = d["config"]["sizes"]
got = [c["channel"] for c in d["config"]["channels"]]
if got != channels: bad("channels %r, expected %r" % (got, channels))
cells = d["cells"]
if len(cells) != len(channels) * len(sizes) or len(rows) != len(cells):
    bad("%d cells, %d CSV rows for %d channels x %d sizes" % (len(cells), len(rows), len(channels), len(sizes)))
def positive(where, v):
    if not (isinstance(v, (int, float)) and v > 0): bad("%s: %r is not a positive number" % (where, v))
lim = d["limits"]
for m in lim["memcpy"]:
    positive("memcpy %d" % m["size"], m["mb_per_s"]); positive("memcpy hot", m["hot_mb_per_s"])
positive("futex median", lim["futex_rtt"]["median_ns"]); positive("futex p99", lim["futex_rtt"]["p99_ns"])
dp = lim["disabled_point"]
if not (dp["ns"] >= 0): bad("disabled point ns %r" % dp["ns"])
if "instructions" in dp: positive("instructions per disabled point", dp["instructions"])
elif not dp.get("instructions_na"): bad("no instruction count and no reason")
ok = na = rtt = 0
for c, r in zip(cells, rows):
    where = "%s at %d" % (c["channel"], c["size"])
    if (r["channel"], int(r["size"]), r["status"]) != (c["channel"], c["size"], c["status"]): bad("CSV row %r vs JSON %r" % (r, c))
    if c["status"] == "n/a":
        na += 1
        if not c.get("reason") or not r["reason"]: bad(where + ": n/a without a reason")
        continue
    if c["status"] != "ok": bad(where + ": status %s: %s" % (c["status"], c.get("reason")))
    ok += 1
    # The run loops' messages need their 32-byte header: no logged figure below.
    for k in ("msgs_per_s", "mb_per_s", "memcpy_fraction", "vs_best_mp") + (("logged_msgs_per_s", "harness_cost") if c["size"] >= 32 else ()):
        positive(where + " " + k, c[k])
        positive(where + " CSV " + k, float(r[k]))
    if "rtt" in c and c["rtt"]["status"] == "ok":
        rtt += 1
        for k in ("median_ns", "p99_ns", "vs_futex"): positive(where + " rtt " + k, c["rtt"][k])
    if c["procs"] != "1:1": positive(where + " vs 1:1", c["vs_one_to_one"])
    for k in ("points_enabled_msgs_per_s", "point_ns_per_msg"):
        if k in c: positive(where + " " + k, c[k])
    for k, v in r.items():
        if k in COLUMNS[6:] and v != "": positive(where + " CSV " + k, float(v))
for s in d["shm_vs_mp"]:
    positive("shm/mp at %d" % s["size"], s["ratio"])
root = ET.parse(svg_path).getroot()
ns = "{http://www.w3.org/2000/svg}"
if root.tag != ns + "svg": bad("SVG root is %s" % root.tag)
lines = [e for e in root.iter(ns + "polyline") if e.get("class") == "channel"]
if [e.get("data-channel") for e in lines] != channels: bad("SVG lines %r" % [e.get("data-channel") for e in lines])
if len([e for e in root.iter(ns + "polyline") if e.get("class") == "limit"]) != 1: bad("no memcpy line in the SVG")
print("%d cells measured, %d n/a, %d round trips; SVG: %d channel lines and the memcpy limit" % (ok, na, rtt, len(lines)))
EOF
}

# The default matrix, briefly: every output parses and every number is positive.
case_bench_quick() {
	ic bench --quick --csv "$T/b.csv" --json "$T/b.json" --svg "$T/b.svg"
	expect_rc 0 bench --quick
	grep -q '^throughput, --procs 1:1' "$T/out" || { show_output bench --quick; fail "no throughput table"; }
	grep -qE '^shm_ring:sync=spsc_atomic +64 B +[0-9.]+[kM]? ' "$T/out" || { show_output bench --quick; fail "no spsc row at 64 B"; }
	local summary
	summary=$(pybench "$T/b.csv" "$T/b.json" "$T/b.svg" mq pipe unix:type=stream unix:type=seqpacket \
		unix:type=dgram sysv_msg shm_ring:sync=mutex_cond shm_ring:sync=sem shm_ring:sync=spsc_atomic hybrid \
		shm_batch shm_batch:api=inplace shm_batch:api=inplace_read) ||
		{ printf '%s\n' "$summary"; exit 1; }
	# Above fs.mqueue.msgsize_max an mqueue cell is n/a and names the sysctl.
	local max
	max=$(cat /proc/sys/fs/mqueue/msgsize_max)
	if [ "$max" -lt 1048576 ]; then
		grep -qE '^mq +1 MiB +n/a: .*sysctl fs\.mqueue\.msgsize_max=' "$T/out" || { show_output bench --quick; fail "mq at 1 MiB not n/a with the sysctl"; }
	fi
	ok "$summary"
	read_mostly_table "$T/out" # issue 15
}

# Channel lists in run's syntax, and contention: a 2:2 matrix where the SPSC
# ring is n/a (it takes one producer and one consumer) but its round trip,
# always 1:1, is measured.
case_bench_channels() {
	ic bench --quick --procs 2:2 --channels shm_ring:sync=spsc_atomic,unix:type=dgram,bug=none,shm_ring:sync=mutex_cond,mq \
		--sizes 8,1K --csv "$T/c.csv" --json "$T/c.json" --svg "$T/c.svg"
	expect_rc 0 bench --procs 2:2
	local summary
	summary=$(pybench "$T/c.csv" "$T/c.json" "$T/c.svg" shm_ring:sync=spsc_atomic unix:type=dgram,bug=none \
		shm_ring:sync=mutex_cond mq) || { printf '%s\n' "$summary"; exit 1; }
	"$PY" -I -S - "$T/c.json" <<'EOF' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
spsc = [c for c in d["cells"] if c["channel"] == "shm_ring:sync=spsc_atomic"]
if any(c["status"] != "n/a" or "--procs 1:1" not in c["reason"] for c in spsc): sys.exit("FAIL: spsc at 2:2: %r" % spsc)
if any(c.get("rtt", {}).get("status") != "ok" for c in spsc): sys.exit("FAIL: spsc round trips not measured at 1:1")
if any(c["status"] != "ok" or c["procs"] != "2:2" for c in d["cells"] if c["channel"] != "shm_ring:sync=spsc_atomic"):
    sys.exit("FAIL: a 2:2 cell did not run: %r" % d["cells"])
EOF
	ok "--procs 2:2: spsc n/a with the reason, its round trip measured; $summary"
}

# ---- issue 15: rare messages, and the batched ring (shm_batch) ----

# bench rare --quick: the table, the break-even lines, CSV and JSON parsed,
# every cost positive and growing with the rate. No timing thresholds.
case_bench_rare() {
	ic bench rare --quick --csv "$T/r.csv" --json "$T/r.json"
	expect_rc 0 bench rare --quick
	grep -qE '^rare messages: CPU time of both processes' "$T/out" || { show_output bench rare; fail "no rare table"; }
	local p
	for p in '(a) segment per message' '(b) segment once + sem' '(c) mqueue' '(d) pipe' '(e) unix dgram'; do
		grep -qF -- "$p" "$T/out" || { show_output bench rare; fail "no row for $p"; }
	done
	grep -qE '^cheapest ' "$T/out" || { show_output bench rare; fail "no cheapest row"; }
	grep -qE '^  (below [0-9.]+k? messages per second, .* costs less than .*; above, .* does|.* costs less than .* at every rate)' \
		"$T/out" || { show_output bench rare; fail "no break-even line"; }
	"$PY" -I -S - "$T/r.csv" "$T/r.json" <<'EOF2' || exit 1
import csv, json, sys
def bad(msg):
    print("FAIL: " + msg)
    sys.exit(1)
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
d = json.load(open(sys.argv[2]))
keys = ["seg_per_msg", "seg_once", "mq", "pipe", "unix_dgram"]
if [r["pattern"] for r in rows] != keys: bad("CSV patterns %r" % [r["pattern"] for r in rows])
if d.get("format") != "ipchaos-bench-rare" or d.get("format_version") != 1: bad("JSON format %r" % d.get("format"))
if d["config"]["rates"] != [1, 10, 100, 1000, 10000, 100000]: bad("rates %r" % d["config"]["rates"])
for r, p in zip(rows, d["patterns"]):
    if r["status"] != "ok" or p["status"] != "ok": bad("%s: %r" % (r["pattern"], p.get("reason")))
    for k in ("setup_ns", "message_ns", "one_way_ns"):
        if not float(r[k]) > 0 or not p[k] > 0: bad("%s %s not positive" % (r["pattern"], k))
    costs = p["cpu_s_per_s"]
    if len(costs) != 6 or any(not b > a for a, b in zip(costs, costs[1:])): bad("%s costs %r" % (r["pattern"], costs))
    csv_costs = [float(r["cpu_s_per_s_at_%d" % x]) for x in (1, 10, 100, 1000, 10000, 100000)]
    if any(abs(a - b) > 1e-6 * max(a, b) for a, b in zip(costs, csv_costs)): bad("CSV and JSON costs differ")
be = d["break_even"]
if len(be) != 4: bad("%d break-even pairs" % len(be))
for e in be:
    if ("msgs_per_s" in e) == ("cheaper_at_every_rate" in e): bad("break-even %r" % e)
    if "msgs_per_s" in e and not (e["msgs_per_s"] > 0 and e["below"] in (e["a"], e["b"])): bad("break-even %r" % e)
print("5 patterns; break-even: " + "; ".join("%s/%s %s" % (e["a"], e["b"], "%.3g msg/s" % e["msgs_per_s"] if "msgs_per_s" in e else e["cheaper_at_every_rate"] + " always") for e in be))
EOF2
	ok "bench rare --quick: table, CSV and JSON"
	bad_one "--lifetime 0" "$T/never.json" bench rare --json "$T/never.json" --lifetime 0
	bad_one "--frobnicate" "$T/never.json" bench rare --json "$T/never.json" --frobnicate
	bad_one "--reps 0" "$T/never.json" bench rare --json "$T/never.json" --reps 0
}

# shm_batch: silent under delay, kill and stall (lapping a 16-slot ring too);
# its planted bug found; in place at 1 MiB, and its ratios to mq and pipe.
case_shm_batch() {
	local spec
	for spec in shm_batch shm_batch:slots=16,size=32..300; do
		ic run "$spec" --inject delay --inject kill --inject stall --seeds 30 --ops 300 --json "$T/p.json"
		expect_rc 0 run "$spec"
		py "$T/p.json" <<'EOF2' || exit 1
if any(r["verdict"] != "pass" for r in runs): bad("verdicts %r" % [r["verdict"] for r in runs])
if sum(r["messages"] for r in runs) == 0: bad("no message received")
EOF2
	done
	ok "shm_batch, 4096 and 16 slots: 30 seeds each under delay, kill and stall pass"
	ic run shm_batch:bug=publish_before_write --inject delay --seeds 100
	expect_rc 1 run shm_batch:bug=publish_before_write
	grep -qE '^  FAIL messages: ' "$T/out" || { show_output; fail "publish_before_write not found by messages"; }
	ok "bug=publish_before_write found: $(grep -m1 -E '^    (garbled|duplicated|lost)' "$T/out")"
	ic run shm_batch:bug=release_before_read,slots=16 --inject delay --seeds 100
	expect_rc 1 run shm_batch:bug=release_before_read,slots=16
	grep -qE '^  FAIL messages: ' "$T/out" || { show_output; fail "release_before_read not found by messages"; }
	ok "bug=release_before_read found: $(grep -m1 -E '^    (duplicated|lost|reordered)' "$T/out")"
	bad_one "--procs 1:1" "$T/never.json" run --json "$T/never.json" shm_batch --procs 2:1
	bad_one "slots=3" "$T/never.json" run --json "$T/never.json" shm_batch:slots=3
	ic bench --quick --channels mq,pipe,shm_batch,shm_batch:api=inplace,shm_batch:api=inplace_read --sizes 64,1M \
		--csv "$T/c.csv" --json "$T/c.json" --svg "$T/c.svg"
	expect_rc 0 bench --channels ...,shm_batch
	grep -qE '^batching and zero-copy: ' "$T/out" || { show_output bench; fail "no batching section"; }
	grep -qE '^  1 MiB in place: no byte of the body copied' "$T/out" || { show_output bench; fail "no in-place line at 1 MiB"; }
	local summary
	summary=$(pybench "$T/c.csv" "$T/c.json" "$T/c.svg" mq pipe shm_batch shm_batch:api=inplace shm_batch:api=inplace_read) ||
		{ printf '%s\n' "$summary"; exit 1; }
	"$PY" -I -S - "$T/c.json" <<'EOF2' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
rows = {(r["channel"], r["size"]): r for r in d["batching"]}
for ch in ("shm_batch", "shm_batch:api=inplace", "shm_batch:api=inplace_read"):
    r = rows.get((ch, 64))
    if not r or not (r.get("vs_mq", 0) > 0 and r.get("vs_pipe", 0) > 0): sys.exit("FAIL: %s at 64 B: %r" % (ch, r))
if not rows.get(("shm_batch:api=inplace", 1048576), {}).get("vs_pipe", 0) > 0: sys.exit("FAIL: no in-place row at 1 MiB")
print("  ok: 64 B: %s" % ", ".join("%s %.1fx mq %.1fx pipe" % (c, rows[(c, 64)]["vs_mq"], rows[(c, 64)]["vs_pipe"]) for c in ("shm_batch", "shm_batch:api=inplace")))
EOF2
	ok "$summary"
}

case_bench_bad_input() {
	local J="$T/never.json"
	bad_one "--sizes 0" "$J" bench --json "$J" --sizes 0
	bad_one "nosuch is no channel" "$J" bench --json "$J" --channels mq,nosuch
	bad_one "shm_counter is not a message channel" "$J" bench --json "$J" --channels shm_counter
	bad_one "no channel can do these sizes" "$J" bench --json "$J" --channels pipe,unix:type=stream --sizes 16
	bad_one "no channel can do these sizes" "$J" bench --json "$J" --channels sysv_msg --sizes 16M
	bad_one "the size is set by --sizes" "$J" bench --json "$J" --channels mq:size=64
	bad_one "--procs 2" "$J" bench --json "$J" --procs 2
	bad_one "--reps 0" "$J" bench --json "$J" --reps 0
	bad_one "/nonexistent/dir/b.svg" "$J" bench --json "$J" --svg /nonexistent/dir/b.svg
	bad_one "--frobnicate" "$J" bench --json "$J" --frobnicate
	bad_one "--sizes '64,,64': an empty item" "$J" bench --json "$J" --sizes 64,,64
	bad_one "--sizes ',64': an empty item" "$J" bench --json "$J" --sizes ,64
	bad_one "--sizes '64,': an empty item" "$J" bench --json "$J" --sizes 64,
	bad_one "size 0x40" "$J" bench --json "$J" --sizes 0x40
	bad_one "--channels 'mq,,pipe': an empty item" "$J" bench --json "$J" --channels mq,,pipe
	bad_one "--reps 1.0" "$J" bench --json "$J" --reps 1.0
	bad_one "--time inf" "$J" bench --json "$J" --time inf
}

# ------------------------------------------------------------------- main --

# ------------------------------------------------------- --detect races --

# Runs of $T/r.json with a race finding, and how many runs there were: "found total".
race_count() {
	py "$T/r.json" <<'EOF'
found = sum(1 for r in runs if any(f["checker"] == "race" for f in r["findings"]))
for r in runs:
    if r.get("detect") != "races": bad("run %s has no \"detect\": \"races\"" % r["seed"])
    if "--detect races" not in r["replay"]: bad("replay %r lacks --detect races" % r["replay"])
print(found, len(runs))
EOF
}

# Goal: shm_counter:lock=none at --ops 1, no injector: a race on >= 99 % of runs
# (CI: 20 seeds, all of them; README: the 1,000-seed run). The report names
# the segment, the offset, both accesses with their points and stacks.
case_race_counter_ops1() {
	ic run shm_counter:lock=none --ops 1 --seeds 20 --keep-going --detect races --json "$T/r.json"
	expect_rc 1 run shm_counter:lock=none --ops 1 --seeds 20 --detect races
	local n want
	n=$(race_count) || { say "$n"; fail "JSON"; }
	[ "$n" = "20 20" ] || { show_output; fail "a race in $n (found total) runs, expected all 20"; }
	ok "a race in every one of 20 runs at --ops 1 without injection"
	for want in '^  FAIL race: p[01] (wrote|read) counter\+0x[0-9a-f]+ while p[01] had (written|read) it, unordered' \
		'^ +race 1: segment counter, offset [0-9]+' \
		'^ +now: p[01] (write|read) of 8 bytes, after point counter/' \
		'^ +before: p[01] (write|read) of 8 bytes, after point counter/' \
		'^ +locked_increment\+0x' '^ +counter_role\+0x' \
		'^  races: [0-9]+ accesses checked in counter' \
		'^  replay: ipchaos run shm_counter:lock=none,bug=none --seed 0x[0-9a-f]+ --procs 2 --ops 1 --detect races'; do
		grep -qE "$want" "$T/out" || { show_output; fail "no line matching $want"; }
	done
	ok "the report: segment and offset, both accesses with point and stack, the replay line"
}

# Goal: every correct variant silent under delay and kill (CI: 20 seeds each; README: 1,000).
case_race_correct_silent() {
	local spec n
	for spec in "shm_counter:lock=robust --inject delay --inject kill" \
		"shm_counter:lock=atomic --inject delay --inject kill" \
		"shm_counter:lock=sem --inject delay" "shm_counter:lock=spin --inject delay" \
		"shm_ring:sync=mutex_cond --procs 2:2 --inject delay --inject kill:at=*e/*" \
		"shm_ring:sync=sem --procs 2:2 --inject delay --inject stall" \
		"shm_ring:sync=spsc_atomic --inject delay --inject kill --inject stall" \
		"hybrid --procs 2:2 --inject delay --inject kill --inject fail"; do
		# shellcheck disable=SC2086
		ic run $spec --ops 50 --seeds 20 --keep-going --detect races --json "$T/r.json"
		n=$(race_count) || { say "$n"; fail "JSON"; }
		[ "${n%% *}" = 0 ] || { show_output run $spec; fail "$spec: a race reported in ${n%% *} runs"; }
		ok "$spec: no race in ${n##* } runs"
	done
}

# Goal: the planted message-ring and pool races without injection, on >= 90 %
# of runs (CI: 20 seeds). none_sync races at its smallest --ops; the others
# race only when their processes overlap, so at the --ops where they do
# (README has the rates at each --ops, and why check_then_act never races).
case_race_planted() {
	local spec min n
	while read -r min spec; do
		# shellcheck disable=SC2086
		ic run $spec --seeds 20 --keep-going --detect races --json "$T/r.json"
		n=$(race_count) || { say "$n"; fail "JSON"; }
		[ "${n%% *}" -ge "$min" ] || { show_output run $spec; fail "$spec: a race in $n (found total) runs, expected >= $min"; }
		ok "$spec: a race in ${n%% *} of ${n##* } runs"
	done <<'LIST'
18 shm_ring:bug=none_sync --procs 2:2 --ops 2
18 shm_ring:bug=check_then_act --procs 1:2 --ops 2
8 shm_ring:sync=spsc_atomic,bug=spsc_misuse --procs 2:1 --ops 100
18 shm_ring:sync=spsc_atomic,bug=spsc_misuse --procs 2:1 --ops 5 --mode controlled --strategy random
18 hybrid:bug=early_release --ops 11
15 hybrid:bug=double_free --procs 2:1 --ops 20
LIST
	# Each queue receive was matched to the sends it may have got, setup's
	# free indices included (counted before the fork): none fell back to
	# every send of the same content, which would have hidden double_free.
	ic run hybrid:bug=double_free --procs 2:1 --ops 20 --seeds 3 --keep-going --detect races
	grep -Eq 'queue receives: [1-9][0-9]* after the sends they may have got, 0 after every equal send' "$T/out" ||
		{ show_output; fail "hybrid's queue receives were not all matched to their sends"; }
	ok "hybrid's queue receives: every one matched to the sends it may have got"
}

# nolock on a locked kind: a race in every run where the lock was skipped,
# whatever the order the two processes came in (the lock discipline), and the
# report says which lock one side skipped and the other held.
case_race_nolock() {
	local n kind
	ic run shm_counter:lock=mutex --inject nolock:p=1 --ops 2 --seeds 20 --keep-going --detect races --json "$T/r.json"
	n=$(race_count) || { say "$n"; fail "JSON"; }
	[ "$n" = "20 20" ] || { show_output; fail "nolock:p=1: a race in $n (found total) runs, expected all 20"; }
	ok "nolock:p=1 on lock=mutex: a race in every run"
	for kind in mutex sem spin robust; do
		ic run shm_counter:lock=$kind --inject nolock:p=0.05 --ops 20 --seeds 20 --keep-going --detect races \
			--json "$T/r.json"
		py "$T/r.json" "$kind" <<'EOF' || exit 1
skipped = [r for r in runs if any(f["injector"].startswith("nolock") and f["count"] for f in r["fired"])]
raced = [r for r in runs if any(f["checker"] == "race" for f in r["findings"])]
if len(skipped) < 10: bad("the lock was skipped in %d runs only" % len(skipped))
if len(raced) != len(skipped): bad("%d runs skipped the lock, %d reported a race" % (len(skipped), len(raced)))
said = [f["text"] for r in raced for f in r["findings"] if f["checker"] == "race" and "skipped (nolock)" in f["text"]]
if not said: bad("no report names the skipped lock")
print("  ok: lock=%s: a race in each of the %d runs that skipped it (%d by the lock discipline)" % (argv[0], len(skipped), len(said)))
EOF
	done
}

# The detector off: the default build's scenario code is not instrumented at all.
case_race_default_untouched() {
	local build objs
	build=$(dirname "$IC")
	command -v nm >/dev/null || skip "nm is not installed"
	objs=$(find "$build/CMakeFiles/ipchaos_core.dir/scenarios" -name '*.o' 2>/dev/null)
	[ -n "$objs" ] || skip "no scenario objects under $build (not a build tree)"
	# shellcheck disable=SC2086
	! nm $objs | grep -q '__tsan_' || fail "a default scenario object calls __tsan_*"
	ok "default scenario objects: no __tsan_ call"
	objs=$(find "$build/CMakeFiles/ipchaos_race_scenarios.dir" -name '*.o')
	# shellcheck disable=SC2086
	nm $objs | grep -q 'U __tsan_write8' || fail "the instrumented copy does not call __tsan_write8"
	! ldd "$IC" | grep -q libtsan || fail "linked against libtsan"
	ok "instrumented copy calls __tsan_*, served by ipchaos's own runtime (no libtsan)"
	ic run shm_counter:lock=none --ops 1 --seeds 3 --json "$T/r.json"
	py "$T/r.json" <<'EOF' || exit 1
for r in runs:
    if "detect" in r: bad("a run without --detect has %r" % r["detect"])
    if any(f["checker"] == "race" for f in r["findings"]): bad("a race finding without --detect races")
print("  ok: without --detect races: no race checker, no detect field")
EOF
}

case_race_bad_input() {
	local J="$T/never.json"
	bad_one "--detect foo: unknown (valid: races)" "$J" run --json "$J" shm_counter --detect foo
	bad_one "--under memcheck" "$J" run --json "$J" shm_counter --detect races --under memcheck
	bad_one "--detect races does not apply" "$J" run --json "$J" --all --detect races
}

# JSON shards of race runs merge into a case of their own, named as run names it.
case_race_merge() {
	ic run shm_counter:lock=none --ops 1 --seeds 4 --shard 0/2 --keep-going --detect races --json "$T/a.json"
	ic run shm_counter:lock=none --ops 1 --seeds 4 --shard 1/2 --keep-going --detect races --json "$T/b.json"
	ic merge "$T/a.json" "$T/b.json" --junit "$T/m.xml"
	expect_rc 1 merge
	grep -q 'name="shm_counter:lock=none,bug=none (races) \[no injection\]' "$T/m.xml" ||
		{ cat "$T/m.xml"; fail "no (races) case in the merged JUnit"; }
	ok "merged: one (races) case"
}

# ------------------------------------------------------- controlled mode --

# The test program of controlled mode's own scenarios (abba, clocky), beside the binary.
ctlprog() {
	local p
	p=$(dirname "$IC")/tests/controlled/ctlprog
	[ -x "$p" ] || fail "no test program at $p (built with the tests)"
	printf '%s' "$p"
}

# A failing seed, then its replay line run again: 100 replays, each the same
# verdict and the same schedule (decision hash), and the replay line run as
# printed gives the same hash too.
case_controlled_replay() {
	local spec line hash again
	for spec in "shm_counter:lock=none --ops 3" "shm_ring:bug=check_then_act --procs 1:2 --ops 20" \
		"hybrid:bug=double_free --procs 2:1 --ops 10" "shm_counter:lock=robust,bug=leak --inject kill --ops 20"; do
		# shellcheck disable=SC2086 # the spec is words
		ic run $spec --mode controlled --seeds 100 --replays 100 --json "$T/f.json"
		expect_rc 1 run $spec --mode controlled
		grep -q '^  reproduced 100/100 replays (same verdict, same schedule)$' "$T/out" ||
			{ show_output run $spec; fail "$spec: not reproduced 100/100 with the same schedule"; }
		line=$(replay_line)
		hash=$(py "$T/f.json" <<'PY'
r = [r for r in runs if r["verdict"] != "pass"][-1]
if r["mode"] != "controlled": bad("mode %r" % r["mode"])
print(r["schedule"]["hash"])
PY
) || fail "$hash"
		run_replay_line "$line --json $T/r.json"
		again=$(py "$T/r.json" <<'PY'
print(runs[0]["schedule"]["hash"])
PY
) || fail "$again"
		[ "$RC" = 1 ] && [ "$hash" = "$again" ] ||
			{ show_output "$line"; fail "'$line': exit $RC, hash $again, expected exit 1 and $hash"; }
		ok "$spec: 100/100 replays, and '$line' -> schedule $hash"
	done
}

# Two processes taking two locks in opposite orders: a deadlock, decided at
# once (no watchdog), naming each process, what it waits for and where.
case_controlled_deadlock() {
	local prog
	prog=$(ctlprog) || exit 1
	"$prog" run abba --mode controlled --seeds 20 >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 1 ctlprog run abba --mode controlled
	[ "$(printed_verdict)" = deadlock ] || { show_output abba; fail "verdict $(printed_verdict), expected deadlock"; }
	grep -qE '^    p0 waits for lock b \(held by p1\) at lock:b$' "$T/out" &&
		grep -qE '^    p1 waits for lock a \(held by p0\) at lock:a$' "$T/out" ||
		{ show_output abba; fail "the finding does not name both waits"; }
	local secs
	secs=$(grep -m1 -oE '\(run [0-9a-f]+, [0-9.]+ s\)' "$T/out" | grep -oE '[0-9.]+ s' | cut -d' ' -f1)
	awk -v s="$secs" 'BEGIN { exit !(s < 1.0) }' || fail "the deadlocked run took $secs s (the watchdog is 2 s)"
	ok "deadlock in $secs s: $(grep -m1 'FAIL deadlock' "$T/out")"
}

# Kills in controlled mode: nothing left behind (the case's snapshots), and
# the failing run replays with the same schedule.
case_controlled_kills() {
	ic run shm_counter:lock=mutex --inject kill --mode controlled --ops 50 --seeds 30 --replays 20
	expect_rc 1 run shm_counter:lock=mutex --inject kill --mode controlled
	[ "$(printed_verdict)" = dead-holder ] || fail "verdict $(printed_verdict), expected dead-holder"
	grep -q '^  reproduced 20/20 replays (same verdict, same schedule)$' "$T/out" || { show_output; fail "not 20/20"; }
	ic run mq --inject kill --inject stall --mode controlled --ops 30 --seeds 30 --keep-going
	expect_rc 0 run mq --inject kill --inject stall --mode controlled
	ok "dead-holder replayed 20/20; mq under kill and stall: 30 seeds pass"
}

# Every built-in scenario schedules the same way twice from a seed; a
# scenario that reads the clock is caught, at the decision where it parts.
case_controlled_determinism() {
	local sc prog
	for sc in shm_counter mq pipe unix sysv_msg shm_ring hybrid perms cleanup shm_batch; do
		ic run "$sc" --mode controlled --check-determinism --ops 20 --seeds 3 --inject kill --keep-going --json "$T/d.json"
		[ "$RC" = 0 ] || [ "$RC" = 1 ] || { show_output "$sc"; fail "$sc: exit $RC"; }
		py "$T/d.json" "$sc" <<'PY' || exit 1
for r in runs:
    if any(f["checker"] == "determinism" for f in r["findings"]):
        bad("%s seed %s: %s" % (argv[0], r["seed"], r["findings"]))
print("  ok: %s: %d seeds, each scheduled the same way twice" % (argv[0], len(runs)))
PY
	done
	prog=$(ctlprog) || exit 1
	"$prog" run clocky --mode controlled --check-determinism --seeds 10 >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 1 ctlprog run clocky --check-determinism
	[ "$(printed_verdict)" = determinism ] || { show_output clocky; fail "verdict $(printed_verdict)"; }
	grep -qE '^    first run:  step [0-9]+: p[01] at clocky/tick ' "$T/out" || { show_output clocky; fail "no first divergence named"; }
	ok "clocky: $(grep -m1 'FAIL determinism' "$T/out")"
}

# The mode travels: JSON says it, and merge keeps a controlled run's case apart
# from the same spec's in chaos, as run's own JUnit does.
case_controlled_merge() {
	ic run perms:mode=0644 --json "$T/chaos.json" --junit "$T/chaos.xml"
	expect_rc 1 run perms:mode=0644
	ic run perms:mode=0644 --mode controlled --json "$T/ctl.json" --junit "$T/ctl.xml"
	expect_rc 1 run perms:mode=0644 --mode controlled
	grep -q 'name="perms:mode=0644,bug=none (controlled) \[no injection\]"' "$T/ctl.xml" || fail "run's JUnit case has no (controlled)"
	ic merge "$T/chaos.json" "$T/ctl.json" --junit "$T/m.xml" --json "$T/m.json"
	expect_rc 1 merge
	local n
	n=$(grep -c '<testcase ' "$T/m.xml")
	[ "$n" = 2 ] || { cat "$T/m.xml"; fail "merged JUnit has $n testcases, expected 2 (chaos and controlled)"; }
	grep -q 'name="perms:mode=0644,bug=none (controlled) \[no injection\]"' "$T/m.xml" || fail "merged JUnit lost the mode"
	py "$T/m.json" <<'PY' || exit 1
modes = sorted(r["mode"] for r in runs)
if modes != ["chaos", "controlled"]: bad("modes %r" % modes)
if "hash" not in [r for r in runs if r["mode"] == "controlled"][0]["schedule"]: bad("no schedule hash")
print("  ok: merged JSON keeps each run's mode and schedule")
PY
	ok "merge: 2 testcases, chaos and controlled"
}

case_controlled_bad_input() {
	local J="$T/never.json"
	bad_one "--depth 0" "$J" run --json "$J" shm_counter --mode controlled --depth 0
	bad_one "--strategy x" "$J" run --json "$J" shm_counter --mode controlled --strategy x
	bad_one "--mode x" "$J" run --json "$J" shm_counter --mode x
	bad_one "--steps -1" "$J" run --json "$J" shm_counter --mode controlled --steps -1
	bad_one "need --mode controlled" "$J" run --json "$J" shm_counter --depth 2
	bad_one "--under" "$J" run --json "$J" shm_counter --mode controlled --under memcheck
}

# ---- shrink ----

# The "before" or "after" row of a shrink's table: ops procs faults preemptions steps.
shrink_row() {
	grep -E "^  $1 " "$T/out" | awk '{ print $2, $3, $4, $5, $6 }'
}

# Finds a failing seed of SPEC... in controlled mode into $T/f.json.
find_failing() {
	ic run "$@" --mode controlled --seeds 200 --json "$T/f.json" -q
	[ "$RC" = 1 ] || { show_output run "$@"; fail "$*: no failing seed in 200 (exit $RC)"; }
}

# Each planted bug shrinks to a run that still fails the same checker, no
# larger in any measure, and whose replay line reproduces it 100 times of 100.
case_shrink_planted() {
	local spec checker before after line i
	local -a a b
	while IFS='|' read -r spec checker; do
		# shellcheck disable=SC2086 # the spec is words
		find_failing $spec
		ic shrink "$T/f.json" --out "$T/s.schedule" --max-runs 200
		[ "$RC" = 1 ] || { show_output shrink; fail "$spec: shrink exit $RC, expected 1"; }
		grep -q "^shrunk: .* still fails $checker\$" "$T/out" || { show_output shrink; fail "$spec: not $checker"; }
		before=$(shrink_row before) after=$(shrink_row after)
		read -r -a b <<<"$before"
		read -r -a a <<<"$after"
		[ "${#a[@]}" = 5 ] || { show_output shrink; fail "$spec: no after row"; }
		for i in 0 1 2 3 4; do
			[ "${a[$i]}" -le "${b[$i]}" ] || { show_output shrink; fail "$spec: after ($after) larger than before ($before)"; }
		done
		[ "$(printed_verdict)" = "$checker" ] || { show_output shrink; fail "$spec: shrunk run's verdict $(printed_verdict)"; }
		line=$(replay_line)
		case $line in *" --schedule $T/s.schedule "*) ;; *) fail "$spec: replay line without the schedule: $line" ;; esac
		run_replay_line "$line --replays 100"
		[ "$RC" = 1 ] && [ "$(printed_verdict)" = "$checker" ] &&
			grep -q '^  reproduced 100/100 replays (same verdict, same schedule)$' "$T/out" ||
			{ show_output "$line"; fail "$spec: the shrunk run does not reproduce 100/100"; }
		ok "$spec: $checker, ($before) -> ($after) ops procs faults preemptions steps; 100/100 replays"
	done <<-'EOF'
		shm_counter:lock=none --ops 3|counter
		shm_counter:lock=mutex --inject nolock --ops 5|counter
		shm_counter:lock=mutex --inject kill:at=counter/locked --ops 20|dead-holder
		pipe:bug=short_write --inject fail --ops 20|messages
		shm_ring:bug=check_then_act --procs 1:2 --ops 20|messages
	EOF
}

# The same input shrinks to the same result.
case_shrink_deterministic() {
	find_failing shm_ring:bug=check_then_act --procs 1:2 --ops 20
	ic shrink "$T/f.json" --out "$T/a.schedule" --max-runs 60
	expect_rc 1 shrink
	grep -vE '^  search: ' "$T/out" | grep -vE '\(run [0-9a-f]{16}, ' >"$T/a.out"
	ic shrink "$T/f.json" --out "$T/b.schedule" --max-runs 60
	expect_rc 1 shrink
	grep -vE '^  search: ' "$T/out" | grep -vE '\(run [0-9a-f]{16}, ' | sed "s|b\.schedule|a.schedule|g" >"$T/b.out"
	sed "s|b\.schedule|a.schedule|g" "$T/b.schedule" | diff "$T/a.schedule" - ||
		fail "two shrinks of one run wrote different schedules"
	diff "$T/a.out" "$T/b.out" || fail "two shrinks of one run reported differently"
	ok "two shrinks of one run: the same schedule and the same report"
}

# run --shrink: the first finding of a sweep, shrunk where it was found.
case_shrink_run_flag() {
	(cd "$T" && "$IC" run shm_counter:lock=none --mode controlled --ops 2 --seeds 100 --shrink >"$T/out" 2>"$T/err")
	RC=$?
	expect_rc 1 run --shrink
	grep -q '^shrinking the finding (counter; at most 60 s)$' "$T/out" &&
		grep -q '^shrunk: shm_counter still fails counter$' "$T/out" ||
		{ show_output run --shrink; fail "no shrink after the finding"; }
	ls "$T"/ipchaos-shm_counter-0x*.schedule >/dev/null 2>&1 || fail "no schedule file written in the working directory"
	ok "run --shrink shrank the first finding into $(basename "$T"/ipchaos-shm_counter-0x*.schedule)"
}

case_shrink_bad_input() {
	local J="$T/never.json" F="$T/f.json"
	printf 'ipchaos-schedule 1\nprocs 2\nswitch 0 1 5\n' >"$T/bad.schedule"
	printf 'ipchaos-schedule 2\n' >"$T/v2.schedule"
	printf 'procs 2\n' >"$T/nohead.schedule"
	printf 'ipchaos-schedule 1\nprocs 3\n' >"$T/p3.schedule"
	bad_one "cannot read" "$J" shrink "$T/nosuch.json"
	printf '{"format":' >"$T/trunc.json"
	bad_one "not JSON" "$J" shrink "$T/trunc.json"
	ic run shm_counter --mode controlled --ops 2 --json "$F"
	bad_one "no run in it failed" "$J" shrink "$F"
	ic run shm_counter:lock=mutex --inject kill:at=counter/locked --json "$F"
	bad_one "chaos-mode run" "$J" shrink "$F"
	ic run shm_counter:lock=none --mode controlled --ops 3 --seeds 30 --json "$F"
	bad_one "--run 999" "$J" shrink "$F" --run 999
	bad_one "--time-budget" "$J" shrink "$F" --time-budget 0
	bad_one "unknown option --nope" "$J" shrink "$F" --nope
	bad_one "--out" "$J" shrink "$F" --out /proc/version
	bad_one "line 3: process 5" "$J" run --json "$J" shm_counter --schedule "$T/bad.schedule"
	bad_one "version 2" "$J" run --json "$J" shm_counter --schedule "$T/v2.schedule"
	bad_one "no schedule file" "$J" run --json "$J" shm_counter --schedule "$T/nohead.schedule"
	bad_one "made for 3 processes" "$J" run --json "$J" shm_counter --schedule "$T/p3.schedule"
	bad_one "nosuch.schedule" "$J" run --json "$J" shm_counter --schedule "$T/nosuch.schedule"
	bad_one "not --all" "$J" run --json "$J" --all --schedule "$T/p3.schedule"
	bad_one "decides every choice" "$J" run --json "$J" shm_counter --schedule "$T/p3.schedule" --strategy pct
	bad_one "not with --mode chaos" "$J" run --json "$J" shm_counter --schedule "$T/p3.schedule" --mode chaos
	bad_one "--shrink needs a controlled run" "$J" run --json "$J" shm_counter --shrink
}

# ------------------------------------------------ lockorder: cross-process lockdep --

# The inversion is found from the orders the locks were taken in, on a run
# that did not deadlock (a controlled seed whose schedule kept the moves
# apart), and in chaos mode on the first seed.
case_lockorder_inversion() {
	ic run lockorder:bug=inversion --mode controlled --ops 5 --seed 1 --json "$T/i.json"
	expect_rc 1 run lockorder:bug=inversion --mode controlled --ops 5 --seed 1
	grep -qE "^  FAIL lockorder: lock order inversion: 'record/0' -> 'record/1' -> 'record/0': .* \(this run did not\)$" "$T/out" ||
		{ show_output; fail "no lockorder finding saying the run did not deadlock"; }
	grep -qE "^    ab0 took 'record/1' at lockorder/first while holding 'record/0' \(taken at lockorder/begin\), 5 times$" "$T/out" &&
		grep -qE "^    ba0 took 'record/0' at lockorder/first while holding 'record/1' \(taken at lockorder/begin\), 5 times$" "$T/out" ||
		{ show_output; fail "the finding does not name both orders, their processes and points"; }
	py "$T/i.json" <<'EOF' || exit 1
checkers = [f["checker"] for f in runs[0]["findings"]]
if checkers != ["lockorder"]: bad("findings %r, expected lockorder alone (no deadlock)" % checkers)
if "ab0 exit 0" not in runs[0]["evidence"] or "ba0 exit 0" not in runs[0]["evidence"]: bad("evidence %r" % runs[0]["evidence"])
print("  ok: JSON: lockorder alone, both roles exited 0")
EOF
	ic run lockorder:bug=inversion --json "$T/c.json"
	expect_rc 1 run lockorder:bug=inversion
	py "$T/c.json" <<'EOF' || exit 1
if len(runs) != 1 or "lockorder" not in [f["checker"] for f in runs[0]["findings"]]: bad("chaos, seed 1: %r" % runs)
print("  ok: chaos, first seed: lockorder")
EOF
	ic run lockorder:bug=inversion,records=4 --procs 2:2 --json "$T/c4.json"
	expect_rc 1 run lockorder:bug=inversion,records=4 --procs 2:2
	py "$T/c4.json" <<'EOF' || exit 1
t = [f["text"] for f in runs[0]["findings"] if f["checker"] == "lockorder"]
if not t or not re.search(r"'record/\d' -> 'record/\d' -> 'record/\d'", t[0]): bad("4 records, 2:2: %r" % runs[0]["findings"])
print("  ok: 4 records, 2:2: " + t[0].split("\n")[0][:100])
EOF
	ic run lockorder:bug=none
	expect_rc 0 run lockorder:bug=none
	ok "one global order: silent"
}

# A deadlock in chaos mode ends the run at once as `deadlock`, naming the
# cycle (processes, locks, points), not as a hang after the watchdog; a
# user's scenario that does not ask for lockorder gets it too.
case_lockorder_deadlock() {
	ic run lockorder:bug=inversion --inject delay --seeds 20 --keep-going --json "$T/d.json"
	expect_rc 1 run lockorder:bug=inversion --inject delay --seeds 20 --keep-going
	grep -qE "^  FAIL deadlock: a cycle of waits on locks: ab0 -> ba0 -> ab0 \(each waits for the next; seen [0-9.]+ ms after it closed\)$" "$T/out" ||
		{ show_output; fail "no deadlock finding naming the cycle"; }
	grep -qE "^    ab0 holds 'record/0' and waits for 'record/1' \(held by ba0\) at lockorder/first$" "$T/out" &&
		grep -qE "^    ba0 holds 'record/1' and waits for 'record/0' \(held by ab0\) at lockorder/first$" "$T/out" ||
		{ show_output; fail "the deadlock finding does not name each member's locks and point"; }
	py "$T/d.json" <<'EOF' || exit 1
if len(runs) != 20: bad("%d runs" % len(runs))
dead = [r for r in runs if "deadlock" in [f["checker"] for f in r["findings"]]]
if not dead: bad("no run deadlocked")
for r in runs:
    c = [f["checker"] for f in r["findings"]]
    if "lockorder" not in c: bad("seed %s: no lockorder finding: %r" % (r["seed"], c))
    if "hang" in c: bad("seed %s: a hang: the watchdog, not the cycle, ended it" % r["seed"])
for r in dead:
    if "killed by the harness" not in r["evidence"]: bad("seed %s: evidence %r" % (r["seed"], r["evidence"]))
print("  ok: JSON: %d of 20 runs deadlocked, each ended as deadlock (never hang); every run has lockorder" % len(dead))
EOF
	local prog
	prog=$(ctlprog) || exit 1
	# One process stalled holding its first lock: the other takes its own and waits; a deadlock each seed.
	"$prog" run abba --ops 20 --seeds 20 --inject stall:at=abba/first,hit=1,max=100 \
		--inject delay:at=abba/first,p=1,max=200 >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 1 ctlprog run abba --ops 20 --inject stall --inject delay
	[ "$(printed_verdict)" = deadlock ] || { show_output abba; fail "abba in chaos: verdict $(printed_verdict), expected deadlock"; }
	grep -qE "^    p[01] holds '[ab]' and waits for '[ab]' \(held by p[01]\)( at abba/first)?$" "$T/out" || { show_output abba; fail "abba: no member line"; }
	ok "abba (no lockorder asked): $(grep -m1 'FAIL deadlock' "$T/out" | sed 's/^ *//')"
	ic run lockorder:bug=inversion --mode controlled --ops 5 --seeds 50 --keep-going --json "$T/cd.json"
	expect_rc 1 run lockorder:bug=inversion --mode controlled --ops 5 --seeds 50 --keep-going
	py "$T/cd.json" <<'EOF' || exit 1
dead = [r for r in runs if r["verdict"] == "deadlock"]
if not dead: bad("controlled: no seed of 50 deadlocked")
t = dead[0]["findings"][0]["text"]
if "waits for lock record/" not in t: bad("controlled deadlock text %r" % t)
print("  ok: controlled: %d of 50 seeds deadlock, as the scheduler reports it" % len(dead))
EOF
}

# The correct variants stay silent under delay, kill and stall, in both
# modes; controlled runs schedule the same way twice (trylock included).
case_lockorder_silent() {
	local v
	for v in none trylock_backoff; do
		ic run "lockorder:bug=$v" --inject delay --inject kill --inject stall --seeds 10
		expect_rc 0 run "lockorder:bug=$v" --inject delay --inject kill --inject stall --seeds 10
		ic run "lockorder:bug=$v" --inject kill --inject stall --mode controlled --ops 10 --seeds 10 --check-determinism
		expect_rc 0 run "lockorder:bug=$v" --inject kill --inject stall --mode controlled --check-determinism
		ok "bug=$v: 10 seeds in chaos (delay, kill, stall), 10 controlled (kill, stall, twice each): silent"
	done
}

# ---- Story and trace (issue 13) ----

# check_trace FILE MODE: Chrome Trace Event Format as Perfetto reads it: every
# event has ph, ts, pid, tid, name; every X has a dur >= 0 (spans are complete,
# never a B without its E); each process named; prints what it counted.
check_trace() {
	"$PY" -I -S - "$1" "$2" <<'EOF'
import json, sys
path, mode = sys.argv[1], sys.argv[2]
def bad(msg):
    print("FAIL: %s: %s" % (path, msg)); sys.exit(1)
try:
    d = json.load(open(path))
except Exception as e:
    bad("not JSON: %s" % e)
ev = d.get("traceEvents")
if not isinstance(ev, list) or not ev: bad("no traceEvents")
if d.get("otherData", {}).get("mode") != mode: bad("mode %r, expected %r" % (d.get("otherData"), mode))
n = {"X": 0, "i": 0, "M": 0, "cut": 0, "evidence": 0, "lock": 0}
names = set()
for e in ev:
    for k in ("ph", "ts", "pid", "tid", "name"):
        if k not in e: bad("event without %s: %r" % (k, e))
    if e["ph"] not in ("X", "i", "M"): bad("phase %r: only complete spans, instants, metadata" % e["ph"])
    n[e["ph"]] += 1
    if e["ph"] == "X":
        if not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0: bad("X without a dur: %r" % e)
        n["cut"] += "cut_short" in e.get("args", {})
        n["lock"] += e.get("cat") == "lock"
    if e["ph"] == "M" and e["name"] == "process_name": names.add(e["args"]["name"])
    n["evidence"] += e.get("cat") == "evidence"
if not any(x.startswith("p0 ") for x in names): bad("no track named for p0: %r" % names)
print("%d spans (%d cut short, %d lock holds), %d instants, %d evidence, tracks %s" % (
    n["X"], n["cut"], n["lock"], n["i"], n["evidence"], ", ".join(sorted(names))))
EOF
}

case_story_counter() {
	# The planted race at one operation each: the first failing seed tells its story.
	ic run shm_counter:lock=none --mode controlled --ops 1 --seeds 50 --story --json "$T/s.json"
	expect_rc 1 run shm_counter:lock=none --mode controlled --ops 1 --seeds 50 --story
	[ "$(grep -c '<== load: both see the same value' "$T/out")" = 2 ] || { show_output story; fail "not both loads marked"; }
	grep -q '<== store: one increment' "$T/out" || { show_output story; fail "the first store not marked"; }
	grep -q '<== store: overwrites it, one lost' "$T/out" || { show_output story; fail "the lost store not marked"; }
	[ "$(grep -c '<== ' "$T/out")" = 4 ] || { show_output story; fail "not exactly 4 rows marked"; }
	[ "$(grep '<== load' "$T/out" | grep -o 'seen [0-9]*' | sort -u | wc -l)" = 1 ] ||
		{ show_output story; fail "the marked loads saw different values"; }
	py "$T/s.json" <<'EOF' || fail "JSON story"
r = [r for r in runs if r["verdict"] == "counter"][0]
if "<== load" not in r.get("story", ""): bad("the JSON run has no story with the marks: %r" % r.get("story"))
if any("story" in x for x in runs if x["verdict"] == "pass"): bad("a passing run has a story")
EOF
	ok "controlled lost update: both loads of the same value and both stores marked"
	# Chaos: the same marks, from the event log by the clock, with the clock's caveat.
	ic run shm_counter:lock=none --inject delay --ops 300 --seeds 30 --story
	expect_rc 1 run shm_counter:lock=none --inject delay --ops 300 --seeds 30 --story
	grep -q 'only as good as the clock' "$T/out" || { show_output chaos story; fail "no clock note"; }
	[ "$(grep -c '<== ' "$T/out")" = 4 ] || { show_output chaos story; fail "chaos: not 4 rows marked"; }
	grep -q 'rows omitted' "$T/out" || { show_output chaos story; fail "a long run's story is not windowed"; }
	ok "chaos lost update: 4 rows marked, $(grep -o '[0-9]* shown' "$T/out" | head -1) of $(grep -o '[0-9]* rows (' "$T/out" | head -1 | cut -d' ' -f1)"
}

case_trace_controlled() {
	# A dead holder: its increment and its hold of the lock cut short by the kill.
	ic run shm_counter:lock=mutex --inject kill:at=counter/locked --mode controlled --ops 3 --trace "$T/t.json"
	expect_rc 1 run shm_counter:lock=mutex --inject kill:at=counter/locked --mode controlled --ops 3 --trace "$T/t.json"
	grep -qF "  trace: $T/t.json" "$T/out" || { show_output trace; fail "the report does not name the trace"; }
	local out
	out=$(check_trace "$T/t.json" controlled) || fail "$out"
	"$PY" -I -S -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
cut = [e for e in ev if e["ph"] == "X" and "cut_short" in e.get("args", {})]
if not any(e.get("cat") == "lock" for e in cut): sys.exit("no lock hold cut short by the kill")
if not any(e.get("cat") == "op" for e in cut): sys.exit("no operation cut short by the kill")
if not any(e.get("cat") == "kill" for e in ev): sys.exit("the kill is not marked")
if not any(e.get("cat") == "evidence" for e in ev): sys.exit("no evidence flagged")
' "$T/t.json" || fail "controlled trace"
	ok "controlled: $out"
}

case_trace_chaos() {
	# A campaign: one trace per failing run, named by its seed.
	ic run shm_counter:lock=none --inject delay --ops 300 --seeds 30 --trace "$T/c.json"
	expect_rc 1 run shm_counter:lock=none --inject delay --ops 300 --seeds 30 --trace "$T/c.json"
	local seed out
	seed=$(grep -m1 -o 'seed 0x[0-9a-f]*' "$T/out" | cut -d' ' -f2)
	[ -f "$T/c.$seed.json" ] || { show_output chaos trace; fail "no $T/c.$seed.json"; }
	[ ! -e "$T/c.json" ] || fail "a campaign wrote the unnamed $T/c.json"
	[ "$(ls "$T" | grep -c '^c\.')" = 1 ] || fail "passing runs left traces: $(ls "$T")"
	out=$(check_trace "$T/c.$seed.json" chaos) || fail "$out"
	ok "chaos, seed $seed: $out"
	# --trace-all: every run, passing ones too.
	ic run shm_counter:lock=mutex --ops 20 --seeds 2 --trace "$T/a.json" --trace-all
	expect_rc 0 run shm_counter:lock=mutex --ops 20 --seeds 2 --trace "$T/a.json" --trace-all
	[ -f "$T/a.0x1.json" ] && [ -f "$T/a.0x2.json" ] || fail "--trace-all: $(ls "$T")"
	out=$(check_trace "$T/a.0x2.json" chaos) || fail "$out"
	ok "--trace-all, 2 passing runs: 2 files; $out"
	local J="$T/never.json"
	bad_one "--trace /nonexistent/dir/t.json" "$J" run --json "$J" shm_counter --trace /nonexistent/dir/t.json
	bad_one "--trace-all" "$J" run --json "$J" shm_counter --trace-all
	bad_one "--story x" "$J" run --json "$J" shm_counter --story=x
	bad_one "the same file as --json" "$J" run --json "$J" shm_counter --trace "$J"
}

# ------------------------------------------- rwcache, heartbeat (issue 15) --

# Correct locks stay silent under delay and stall; each planted bug is torn, and the finding
# names the record, the version and the writes it was not.
case_rwcache() {
	local lock spec
	for lock in rwlock seqlock mutex; do
		ic run "rwcache:lock=$lock" --inject delay --inject stall --procs 2:2 --ops 200 --seeds 5
		expect_rc 0 run "rwcache:lock=$lock" --inject delay --inject stall
	done
	ok "rwlock, seqlock, mutex: 5 seeds each under delay and stall, all pass"
	for spec in rwlock,bug=write_under_read rwlock,bug=unlocked_read seqlock,bug=seqlock_no_recheck; do
		ic run "rwcache:lock=$spec" --inject delay --seeds 100 --json "$T/t.json"
		expect_rc 1 run "rwcache:lock=$spec" --inject delay
		py "$T/t.json" "$spec" <<'EOF' || exit 1
r = runs[-1]
if r["verdict"] != "torn": bad("verdict %r" % r["verdict"])
t = r["findings"][0]["text"]
if not re.search(r"r\d accepted record \d+ version \d+ \(digest [0-9a-f]{16}\): ", t): bad("no record named: %r" % t)
if not re.search(r"\d+ torn of \d+ records read, \d+ writes", t): bad("no count: %r" % t)
print("  ok: lock=%s: torn at seed %s" % (argv[0], r["seed"]))
EOF
	done
	bad_one "bug=seqlock_no_recheck needs lock=seqlock, not lock=rwlock" "$T/never.json" run --json "$T/never.json" rwcache:bug=seqlock_no_recheck
	bad_one "for=" "$T/never.json" run --json "$T/never.json" rwcache:for=1h
}

# What a kill inside does to each kind: a reader inside an rwlock is a dead holder too; a
# seqlock's readers can die freely, its writer cannot.
case_rwcache_kills() {
	ic run rwcache:lock=rwlock --inject kill:at=rwcache/read/record --seeds 10 --json "$T/k.json"
	expect_rc 1 run rwcache:lock=rwlock --inject kill:at=rwcache/read/record
	py "$T/k.json" <<'EOF' || exit 1
t = runs[-1]["findings"][0]["text"]
if runs[-1]["verdict"] != "dead-holder" or "holding 'rwcache' (rwlock)" not in t: bad("%r: %r" % (runs[-1]["verdict"], t))
EOF
	ok "a reader killed holding the rwlock: dead-holder, naming 'rwcache' (rwlock)"
	ic run rwcache:lock=seqlock --inject 'kill:at=rwcache/read/*' --seeds 10
	expect_rc 0 run rwcache:lock=seqlock --inject 'kill:at=rwcache/read/*'
	ic run rwcache:lock=seqlock --inject kill:at=rwcache/write/field --seeds 10
	expect_rc 1 run rwcache:lock=seqlock --inject kill:at=rwcache/write/field
	grep -q "FAIL dead-holder" "$T/out" || { show_output; fail "a seqlock writer killed mid-write: no dead-holder"; }
	ok "seqlock: readers killed, pass; a writer killed mid-write, dead-holder"
}

# Killed workers are declared dead within the bound (latencies under -v); the three bugs found.
case_heartbeat() {
	ic run heartbeat --inject 'kill:at=hb/work/*' --seeds 5 -v
	expect_rc 0 run heartbeat --inject 'kill:at=hb/work/*'
	grep -qE '^ +liveness: detection latency: n [0-9]+, min [0-9.]+ ms, median [0-9.]+ ms, max [0-9.]+ ms \(bound: timeout 20\.000 ms \+ period 2\.000 ms\)' "$T/out" ||
		{ show_output; fail "no detection latency line under -v"; }
	ok "killed workers declared in time: $(grep -m1 -oE 'detection latency: .*' "$T/out")"
	ic run heartbeat:via=mq --inject 'stall:at=hb/work/*,max=15' --inject fail --seeds 5
	expect_rc 0 run heartbeat:via=mq --inject stall --inject fail
	ok "via=mq: stalls under the timeout and failed calls, all pass"
	local spec inject want
	for spec in "bug=no_timeout|kill:at=hb/work/*|never declared dead" "bug=wall_clock||it was alive" \
		"bug=no_fence|stall:at=hb/work/*,max=200|done 2 times"; do
		IFS='|' read -r spec inject want <<<"$spec"
		ic run "heartbeat:$spec" ${inject:+--inject "$inject"} --seeds 10
		expect_rc 1 run "heartbeat:$spec"
		{ grep -q "FAIL liveness" "$T/out" && grep -q -- "$want" "$T/out"; } ||
			{ show_output; fail "heartbeat:$spec: no liveness finding saying '$want'"; }
		ok "$spec: $(grep -m1 -- "$want" "$T/out" | sed 's/^ *//')"
	done
	ic run heartbeat:bug=no_timeout --inject 'kill:at=hb/work/*' --mode controlled --seeds 5
	expect_rc 1 run heartbeat:bug=no_timeout --mode controlled
	ok "controlled mode, on its virtual clock: no_timeout found"
	bad_one "timeout=3ms is under two periods" "$T/never.json" run --json "$T/never.json" heartbeat:timeout=3ms
	bad_one "timeout=20" "$T/never.json" run --json "$T/never.json" heartbeat:timeout=20
}

# read_mostly_table FILE: bench's read-mostly table is there, a row per reader count, a figure
# for every lock (called by case_bench_quick: one bench run serves both).
read_mostly_table() {
	"$PY" -I -S - "$1" <<'EOF' || { show_output bench --quick; fail "read-mostly table"; }
import re, sys
lines = open(sys.argv[1]).read().splitlines()
i = next((k for k, l in enumerate(lines) if l.startswith("read-mostly: rwcache")), None)
if i is None: print("FAIL: no read-mostly table"); sys.exit(1)
head = lines[i + 2].split()
if head[:7] != ["readers", "rwlock", "(writes)", "mutex", "(writes)", "seqlock", "(writes)"]: print("FAIL: header %r" % head); sys.exit(1)
num = r"[0-9.]+[kM]?"
for k, n in enumerate(["1", "2", "4"]):
    if not re.match(r"^%s( +%s){6} +[0-9.]+x$" % (n, num), lines[i + 3 + k]): print("FAIL: row %r" % lines[i + 3 + k]); sys.exit(1)
print("  ok: read-mostly table, 3 rows; at 4 readers: " + " ".join(lines[i + 5].split()))
EOF
}

# ------------------------------------------- a user's own channel (issue 17) --

# The test program of the loops' contract (async, dupe, spindrain, connect, ...), beside the binary.
chprog() {
	local p
	p=$(dirname "$IC")/tests/channel/chprog
	[ -x "$p" ] || fail "no test program at $p (built with the tests)"
	printf '%s' "$p"
}

# A receiver whose I/O thread hands messages over late, declared IC_CHANNEL_ASYNC:
# no seed may show a "lost" (README: the 1,000-seed run). Undeclared, the tail is lost.
case_channel_async() {
	local prog
	prog=$(chprog) || exit 1
	local IC=$prog
	ic run async --inject delay --ops 100 --seeds 100 --json "$T/a.json"
	expect_rc 0 chprog run async --inject delay --ops 100 --seeds 100
	grep -q '^summary: 100 runs, 100 passed, 0 failed, 0 broken' "$T/out" || { show_output; fail "not 100 passed"; }
	py "$T/a.json" <<'PY' || exit 1
if len(runs) != 100 or any(r["verdict"] != "pass" for r in runs): bad("not 100 passing runs")
n = sum(r["messages"] for r in runs)
if n != 100 * 2 * 100: bad("messages received %d, expected 20000" % n)
print("  ok: 100 seeds, 20000 messages, every one received, none lost")
PY
	ic run async:declare=no --inject delay --ops 100 --seeds 20
	expect_rc 1 chprog run async:declare=no
	grep -qE '^    lost [0-9]+ ' "$T/out" || { show_output; fail "undeclared: no loss shown (the trap the flag removes)"; }
	ok "undeclared, the same library loses its tail: $(grep -m1 -E '^    lost ' "$T/out" | sed 's/^ *//')"
}

# A drain that spins for ever: a hang within the watchdog, its stack named;
# SIGINT during it: 130, and nothing left (the case's snapshots).
case_channel_drain_hang() {
	local prog
	prog=$(chprog) || exit 1
	local IC=$prog
	ic run spindrain --timeout 0.5 --json "$T/h.json"
	expect_rc 1 chprog run spindrain --timeout 0.5
	[ "$(printed_verdict)" = hang ] || { show_output; fail "verdict $(printed_verdict), expected hang"; }
	grep -q '^    the final read (observe) was stuck in:' "$T/out" && grep -qE '#[01] spin_drain' "$T/out" ||
		{ show_output; fail "the finding does not show the drain's stack"; }
	ok "$(grep -m1 'FAIL hang' "$T/out" | sed 's/^ *//'), stuck in spin_drain"
	local -a launch=("$IC")
	if env --default-signal=INT true 2>/dev/null; then
		launch=(env "--default-signal=INT,TERM" "$IC")
	fi
	"${launch[@]}" run spindrain --timeout 60 >"$T/out" 2>"$T/err" &
	local pid=$!
	sleep 1.5
	kill -0 "$pid" 2>/dev/null || { wait "$pid"; RC=$?; show_output; fail "the run ended before SIGINT"; }
	kill -s INT "$pid"
	wait "$pid"
	RC=$?
	[ "$RC" = 130 ] || { show_output "(SIGINT in the drain)"; fail "SIGINT during the drain: exit $RC, expected 130"; }
	ok "SIGINT during the drain: exit 130"
}

# A channel that delivers each message ten times: a messages finding
# (duplicated) at once, never broken (a full log), losses not claimed.
case_channel_dupe() {
	local prog
	prog=$(chprog) || exit 1
	local IC=$prog
	ic run dupe --seeds 5 --keep-going --json "$T/d.json"
	expect_rc 1 chprog run dupe --seeds 5 --keep-going
	py "$T/d.json" <<'PY' || exit 1
for r in runs:
    if r["verdict"] != "messages": bad("seed %s: verdict %r, expected messages" % (r["seed"], r["verdict"]))
    t = r["findings"][0]["text"]
    if "duplicated" not in t or "\n  lost " in t: bad("seed %s: %r" % (r["seed"], t))
print("  ok: 5 seeds, each a messages finding (duplicated, no loss claimed), none broken")
PY
	# A consumer of its own that logs each message ten times fills its log: still judged.
	ic run fulllog --json "$T/f.json"
	expect_rc 1 chprog run fulllog
	grep -qE '^  the event log of c0 filled up \([0-9]+ records\): judged on what it holds \(no loss is claimed\)$' "$T/out" ||
		{ show_output; fail "no line saying the full log was judged on what it holds"; }
	[ "$(printed_verdict)" = messages ] || { show_output; fail "verdict $(printed_verdict), expected messages"; }
	ok "a full log: $(grep -m1 'FAIL' "$T/out" | sed 's/^ *//'); $(grep -m1 'filled up' "$T/out" | sed 's/^ *//')"
}

# Each contract of the loops is enforced before anything runs, or said at
# once; the ones removed work: no "size" key, EAGAIN while connecting (backed
# off: the role fails past 20000 sends), per-process state from open().
case_channel_contracts() {
	local prog J="$T/never.json"
	prog=$(chprog) || exit 1
	local IC=$prog
	bad_one "role 0 (c) runs ic_channel_consumer" "$J" run --json "$J" swapped
	bad_one "its .points lack consume/begin" "$J" run --json "$J" nopoints
	ic run wrongrole
	expect_rc 3 chprog run wrongrole
	grep -q '^  BROKEN: p0: ic_producer_loop runs in role 1 (p), but the loops take role 0 as the producers' "$T/out" ||
		{ show_output; fail "no BROKEN line naming the misplaced loop"; }
	ok "$(grep -m1 BROKEN "$T/out" | sed 's/^ *//')"
	ic run connect --inject delay --seeds 3
	expect_rc 0 chprog run connect --inject delay --seeds 3
	ok "connect (no size key, EAGAIN for 200 ms, per-process state): 3 seeds pass"
}

# A kill pinned to a point only one role passes fires in every seed; one that
# can never fire says so under the sweep.
case_pinned_kill_fires() {
	ic run mq --procs 2:1 --inject kill:at=consume/received --seeds 20 --json "$T/k.json"
	expect_rc 0 run mq --procs 2:1 --inject kill:at=consume/received --seeds 20
	py "$T/k.json" <<'PY' || exit 1
never = [r["seed"] for r in runs if r["fired"] != [{"injector": r["inject"][0], "count": 1}]]
if len(runs) != 20 or never: bad("runs where the kill did not fire once: %r" % never)
print("  ok: mq 2:1, kill:at=consume/received: fired in 20 of 20 seeds")
PY
	local prog
	prog=$(chprog) || exit 1
	local IC=$prog
	ic run connect --inject kill:at=produce/sent --seeds 5 -v
	expect_rc 0 chprog run connect --inject kill:at=produce/sent --seeds 5
	[ "$(grep -c 'fired: kill x1$' "$T/out")" = 5 ] || { show_output; fail "not 5 verbose lines saying the kill fired"; }
	ok "connect (role_points), kill:at=produce/sent: fired in 5 of 5 seeds, as --verbose says"
	ic run connect --ops 10 --inject kill:at=produce/sent,hit=500 --seeds 2
	expect_rc 0 chprog run connect --inject kill:at=produce/sent,hit=500
	grep -q '^never fired: kill:at=produce/sent,p=0,hit=500 in 2 runs of connect' "$T/out" ||
		{ show_output; fail "no 'never fired' line"; }
	ok "$(grep -m1 '^never fired' "$T/out")"
}

# run --all NAME...: only the named scenarios' expectations.
case_all_named() {
	local prog J="$T/never.json"
	prog=$(chprog) || exit 1
	local IC=$prog
	ic run --all dupe connect --json "$T/all.json"
	expect_rc 0 chprog run --all dupe connect
	grep -q '^expectations: 2 met, 0 missed' "$T/out" || { show_output; fail "not 2 expectations met"; }
	py "$T/all.json" <<'PY' || exit 1
names = sorted(set(r["scenario"] for r in runs))
if names != ["connect", "dupe"]: bad("scenarios run: %r" % names)
print("  ok: only dupe and connect ran (%d runs)" % len(runs))
PY
	bad_one "unknown scenario 'nosuch'" "$J" run --json "$J" --all nosuch
	bad_one "--all dupe:x=1: --all takes scenario names" "$J" run --json "$J" --all dupe:x=1
	bad_one "scenario swapped declares no expectations" "$J" run --json "$J" --all swapped
}

if [ $# -ne 2 ]; then
	printf 'usage: %s IPCHAOS_BINARY CASE_NAME\ncases:' "$0" >&2
	declare -F | sed -n 's/^declare -f case_/ /p' | tr -d '\n' >&2
	printf '\n' >&2
	exit 2
fi
IC=$1
CASE=$2
[ -x "$IC" ] || { printf '%s: not an executable: %s\n' "$0" "$IC" >&2; exit 2; }
declare -F "case_$CASE" >/dev/null || { printf '%s: no case %s\n' "$0" "$CASE" >&2; exit 2; }
# The interpreter itself, not a version manager's shim (which can cost a second a call).
PY=$(python3 -I -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=
[ -n "$PY" ] || { printf 'python3 is needed to read the JSON results\n' >&2; exit 2; }
case $IC in /*) ;; *) IC=$PWD/$IC ;; esac

# As root, each case runs in IPC, PID and mount namespaces of its own, with
# a private /dev/shm: its snapshots then see only what it made, so cases can
# run in parallel (ctest -j). PID 1 in there reaps orphans, as init does.
# IC_ISOLATE=0 runs it on the host (then cases must run one at a time).
REAPER='import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
code = 1
while True:
    try:
        p, status = os.wait()
    except ChildProcessError:
        break
    if p == pid:
        code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)'
if [ -z "${IC_CASE_ISOLATED-}" ] && [ "${IC_ISOLATE-1}" != 0 ] && [ "$(id -u)" = 0 ] &&
	unshare --ipc --pid --mount --fork --mount-proc true 2>/dev/null; then
	export IC_CASE_ISOLATED=1
	exec unshare --ipc --pid --mount --fork --mount-proc "$PY" -I -S -c "$REAPER" "$BASH" -c \
		'mount --make-rprivate / && mount -t tmpfs -o mode=1777 tmpfs /dev/shm && exec "$BASH" "$0" "$@"' \
		"$0" "$IC" "$CASE"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/ipchaos-integ.$CASE.XXXXXX") || exit 2
trap 'rm -rf -- "$T"' EXIT

say "case $CASE ($IC)"
snapshot >"$T/global.before"
start=$(date +%s.%N)
(case_"$CASE")
rc=$?
snapshot >"$T/global.after"
new=$(snapshot_new "$T/global.before" "$T/global.after")
if [ -n "$new" ]; then
	say "FAIL: global IPC state left behind by case $CASE:"
	while IFS= read -r l; do explain_leftover "$l"; done <<<"$new"
	rc=1
else
	say "  ok: global IPC state unchanged (ipchaos shm/sem, System V IPC, mqueues, processes)"
fi
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
case $rc in
0) say "PASS $CASE (${elapsed} s)" ;;
77) say "SKIP $CASE" ;;
*) say "FAIL $CASE (exit $rc, ${elapsed} s)"; rc=1 ;;
esac
exit $rc
