#!/usr/bin/env python3
"""How fast each mode finds each planted race.

Every planted bug that needs an interleaving (not the deterministic ones: a
kill inside a lock, a wild write, a leak) runs at the smallest --ops at which
it can happen and at the scenario's default --ops, under
  none        no injection (the bug's own injector kept, e.g. nolock, fail),
  chaos+delay chaos mode with --inject delay added,
  controlled  the PCT scheduler (default depth, k measured per spec),
each from several base seeds with a fixed budget of seeds. The table gives,
per bug and mode: runs to the first finding (the median over the bases; '-'
when a base found nothing within its budget), the fraction of all runs that
found the bug, and runs per second. Every cell is measured in this one run.

usage: bench/findrate.py [--ipchaos BUILD/ipchaos] [--budget N] [--default-budget N]
                         [--bases K] [--only SUBSTRING] [--markdown]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# (spec, the injectors the bug needs, --procs, the smallest --ops at which it can happen, checker)
BUGS = [
    ("shm_counter:lock=none", [], None, 1, "counter"),
    ("shm_counter:lock=mutex", ["nolock"], None, 1, "counter"),
    ("shm_ring:bug=none_sync", [], "2:2", 2, "messages"),
    ("shm_ring:bug=check_then_act", [], "1:2", 2, "messages"),
    ("shm_ring:bug=lost_wakeup", [], None, 2, None),  # a hang in chaos, a deadlock in controlled
    ("shm_ring:sync=spsc_atomic,bug=spsc_misuse", [], "2:1", 5, "messages"),
    # The pool's bugs need its 8 slots reused: nothing shows below 9 operations (measured).
    ("hybrid:bug=early_release", [], None, 20, "messages"),
    ("hybrid:bug=double_free", [], "2:1", 10, "messages"),
    ("pipe:bug=short_write", ["fail"], None, 1, "messages"),
    ("unix:type=stream,bug=no_framing", ["fail"], None, 1, "messages"),
]
MODES = ["none", "chaos+delay", "controlled"]


def run(ipchaos, spec, inject, procs, ops, mode, seed, seeds, checker):
    """One sweep: (index of the first finding or None, findings, runs, seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        cmd = [ipchaos, "run", spec, "--seed", str(seed), "--seeds", str(seeds), "--keep-going",
               "-q", "--json", out]
        injectors = list(inject) + (["delay"] if mode == "chaos+delay" else [])
        for i in injectors:
            cmd += ["--inject", i]
        if procs:
            cmd += ["--procs", procs]
        if ops:
            cmd += ["--ops", str(ops)]
        if mode == "controlled":
            cmd += ["--mode", "controlled"]
        t0 = time.monotonic()
        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds = time.monotonic() - t0
        if rc.returncode not in (0, 1):
            sys.exit("findrate: %s: exit %d: %s" % (" ".join(cmd), rc.returncode, rc.stderr.strip()))
        with open(out) as fh:
            runs = json.load(fh)["runs"]
    # The bug's own checker (any finding where it has two forms, a hang or a deadlock).
    found = [i for i, r in enumerate(runs)
             if (checker is None and r["verdict"] not in ("pass", "broken"))
             or any(f["checker"] == checker for f in r["findings"])]
    return (found[0] + 1 if found else None), len(found), len(runs), seconds


def cell(args, spec, inject, procs, ops, mode, budget, checker):
    firsts, found, runs, seconds = [], 0, 0, 0.0
    for b in range(args.bases):
        first, n, r, s = run(args.ipchaos, spec, inject, procs, ops, mode, 1 + 100000 * b, budget, checker)
        firsts.append(first)
        found, runs, seconds = found + n, runs + r, seconds + s
    hits = sorted(f for f in firsts if f is not None)
    # The median over the bases, a base that found nothing counting as "more than the budget".
    ranked = hits + [None] * (len(firsts) - len(hits))
    median = ranked[len(ranked) // 2]
    return {"first": median, "fraction": found / runs if runs else 0.0, "rate": runs / seconds,
            "budget": budget}


def fmt(c):
    first = "-" if c["first"] is None else str(c["first"])
    return "%5s %5.1f%% %6.1f/s" % (first, 100 * c["fraction"], c["rate"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ipchaos", default=os.path.join("build", "ipchaos"))
    p.add_argument("--budget", type=int, default=100, help="seeds per base at the smallest --ops")
    p.add_argument("--default-budget", type=int, default=10, help="seeds per base at the default --ops")
    p.add_argument("--bases", type=int, default=5, help="base seeds (the median is over them)")
    p.add_argument("--only", default="", help="only bugs whose spec contains this (a|b: either)")
    p.add_argument("--markdown", action="store_true", help="a Markdown table (for the README)")
    args = p.parse_args()
    if args.bases < 1 or args.budget < 1 or args.default_budget < 1:
        sys.exit("findrate: --bases, --budget and --default-budget take a whole number above 0")
    if not os.access(args.ipchaos, os.X_OK):
        sys.exit("findrate: --ipchaos %s: not an executable (build first)" % args.ipchaos)
    bugs = [b for b in BUGS if any(o in b[0] for o in args.only.split("|"))]
    if not bugs:
        sys.exit("findrate: --only %s matches no bug (valid: %s)" % (args.only, ", ".join(b[0] for b in BUGS)))
    print("runs to the first finding (median of %d bases), fraction of runs finding it, runs/s" % args.bases)
    header = ["bug", "--ops"] + MODES
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
    else:
        print("%-44s %6s  %-22s %-22s %-22s" % tuple(header))
    for spec, inject, procs, small, checker in bugs:
        label = spec + ("".join(" +" + i for i in inject)) + (" --procs " + procs if procs else "")
        for ops, budget in ((small, args.budget), (None, args.default_budget)):
            cells = [cell(args, spec, inject, procs, ops, m, budget, checker) for m in MODES]
            row = [label, str(ops) if ops else "default"] + [fmt(c) for c in cells]
            if args.markdown:
                print("| " + " | ".join(row) + " |")
            else:
                print("%-44s %6s  %-22s %-22s %-22s" % tuple(row))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
