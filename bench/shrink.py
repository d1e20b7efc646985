#!/usr/bin/env python3
"""How small each planted bug shrinks, and how many runs the search takes.

For every planted bug that `run --all` expects in controlled mode, the first
failing seed of its expectation (same spec, injectors, processes, ops) is
found with `run --mode controlled --json`, then shrunk with `ipchaos shrink
--max-runs N`; the table shows the sizes before and after (ops, processes,
faults, preemptions, steps), the runs the search took, and whether the goal
holds: at most 2 preemptions and 30 steps after, within N runs.

usage: bench/shrink.py [--ipchaos BUILD/ipchaos] [--max-runs 200] [--seeds 200]
                       [--only SUBSTRING] [--markdown]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time


def expectations(ipchaos):
    """(scenario, variant, inject, procs, ops, verdict) of each controlled planted bug."""
    out = subprocess.run([ipchaos, "list"], capture_output=True, text=True, check=True).stdout
    scenario, found = None, []
    line_re = re.compile(r"^      (\S+)\s+\[([^\]]*)\](?: --procs (\S+))? --mode controlled(?: --ops (\d+))?"
                         r" -> (\S+) within")
    for line in out.splitlines():
        m = re.match(r"^  (\w+)\s", line)
        if m and not line.startswith("    "):
            scenario = m.group(1)
        m = line_re.match(line)
        if m and m.group(5) != "pass":
            variant, inject, procs, ops, verdict = m.groups()
            found.append((scenario, variant, "" if inject == "no injection" else inject, procs, ops, verdict))
    return found


def shrink_one(ipchaos, tmp, exp, seeds, max_runs):
    scenario, variant, inject, procs, ops, verdict = exp
    spec = scenario + (":" + variant if variant else "")
    cmd = [ipchaos, "run", spec, "--mode", "controlled", "--seeds", str(seeds), "-q", "--json",
           os.path.join(tmp, "f.json")]
    for i in filter(None, inject.split(";")):
        cmd += ["--inject", i]
    if procs:
        cmd += ["--procs", procs]
    if ops:
        cmd += ["--ops", ops]
    if subprocess.run(cmd, capture_output=True).returncode != 1:
        return None
    t0 = time.monotonic()
    r = subprocess.run([ipchaos, "shrink", os.path.join(tmp, "f.json"), "--max-runs", str(max_runs),
                        "--out", os.path.join(tmp, "s.schedule")], capture_output=True, text=True)
    secs = time.monotonic() - t0
    rows = {m.group(1): [int(x) for x in m.groups()[1:]]
            for m in re.finditer(r"^  (before|after)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", r.stdout, re.M)}
    runs = re.search(r"^  search: (\d+) runs", r.stdout, re.M)
    checker = re.search(r"^shrunk: \S+ still fails (\S+)$", r.stdout, re.M)
    if r.returncode != 1 or "after" not in rows or not runs:
        return {"spec": spec, "error": (r.stderr or r.stdout).strip().splitlines()[-1:]}
    return {"spec": spec, "inject": inject, "checker": checker.group(1) if checker else "?",
            "before": rows["before"], "after": rows["after"], "runs": int(runs.group(1)), "seconds": secs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ipchaos", default=os.path.join(os.path.dirname(__file__), "..", "build", "ipchaos"))
    ap.add_argument("--max-runs", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--only", default="")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    results = []
    for exp in expectations(a.ipchaos):
        if a.only and a.only not in exp[0] + ":" + exp[1]:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            r = shrink_one(a.ipchaos, tmp, exp, a.seeds, a.max_runs)
        if r:
            results.append(r)
            print(r, file=sys.stderr) if "error" in r else None
    sep = " | " if a.markdown else "  "
    head = ["bug", "injected", "checker", "before: ops procs faults preempt steps",
            "after: ops procs faults preempt steps", "runs", "s", "goal"]
    if a.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
    else:
        print(sep.join(head))
    met = 0
    for r in results:
        if "error" in r:
            print(sep.join([r["spec"], "", "", "error: " + " ".join(r["error"])]))
            continue
        b, f = r["before"], r["after"]
        goal = f[3] <= 2 and f[4] <= 30 and r["runs"] <= a.max_runs
        met += goal
        cells = [r["spec"], r["inject"] or "-", r["checker"], " ".join(map(str, b)), " ".join(map(str, f)),
                 str(r["runs"]), "%.1f" % r["seconds"], "yes" if goal else "no"]
        print(("| " + " | ".join(cells) + " |") if a.markdown else sep.join(cells))
    print("\n%d of %d planted bugs shrank to <= 2 preemptions and <= 30 steps within %d runs"
          % (met, len(results), a.max_runs))


if __name__ == "__main__":
    main()
