#!/usr/bin/env python3
"""A trace written by `ipchaos run --trace FILE`, drawn as an SVG picture.

Perfetto (ui.perfetto.dev) is the tool to explore a trace; this draws one
small enough to read at a glance, for a README or a bug report: a track per
process and lock, operations and lock holds as bars, points as ticks named
above them, faults in orange, the checker's evidence in red.

usage: bench/trace_svg.py TRACE.json OUT.svg [--title TEXT]
"""
import argparse
import html
import json

COLORS = {"op": "#8fb8de", "lock": "#c9c9c9", "fault": "#e8912d", "evidence": "#d62728", "end": "#333333",
          "kill": "#d62728", "point": "#666666", "info": "#2c7fb8"}


def load(path):
    d = json.load(open(path))
    events = d["traceEvents"] if isinstance(d, dict) else d
    names, tracks = {}, []
    for e in events:
        if e["ph"] == "M" and e["name"] == "thread_name":
            names[(e["pid"], e["tid"])] = e["args"]["name"]
    for e in events:
        key = (e["pid"], e["tid"])
        if e["ph"] != "M" and key not in tracks:
            tracks.append(key)
    return events, names, tracks


def draw(events, names, tracks, title):
    t_end = max(e["ts"] + e.get("dur", 0) for e in events if e["ph"] != "M") or 1
    left, width, row, top = 170, 900, 70, 40
    x = lambda ts: left + width * ts / t_end
    h = top + row * len(tracks) + 30
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (left + width + 30, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="13" font-weight="bold">%s</text>' % html.escape(title)]
    for i, key in enumerate(tracks):
        y = top + i * row
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#eee"/>' % (left, y + row - 5, left + width, y + row - 5))
        out.append('<text x="10" y="%d">%s</text>' % (y + row - 20, html.escape(names.get(key, str(key)))))
    for e in events:
        if e["ph"] == "M":
            continue
        y = top + tracks.index((e["pid"], e["tid"])) * row
        if e["ph"] == "X":
            color = COLORS.get(e.get("cat"), "#8fb8de")
            out.append('<rect x="%.1f" y="%d" width="%.1f" height="16" fill="%s" stroke="#555"/>' % (
                x(e["ts"]), y + row - 40, max(1.0, x(e["ts"] + e["dur"]) - x(e["ts"])), color))
            label = e["name"] + (" (cut short)" if "cut_short" in e.get("args", {}) else "")
            out.append('<text x="%.1f" y="%d">%s</text>' % (x(e["ts"]) + 3, y + row - 28, html.escape(label)))
            continue
        cat = e.get("cat", "point")
        color = COLORS.get(cat, "#666")
        if cat == "evidence":
            out.append('<circle cx="%.1f" cy="%d" r="5" fill="%s"/>' % (x(e["ts"]), y + row - 12, color))
            continue
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%d"/>' % (
            x(e["ts"]), y + row - 22, x(e["ts"]), y + row - 6, color, 3 if cat in ("fault", "kill") else 1))
        if cat in ("point", "fault", "kill", "info", "end"):
            label = e["name"] + ("=" + e["args"]["value"] if "value" in e.get("args", {}) else "")
            out.append('<text x="%.1f" y="%d" font-size="9" fill="%s" transform="rotate(-35 %.1f %d)">%s</text>' % (
                x(e["ts"]) + 2, y + 16, color, x(e["ts"]) + 2, y + 16, html.escape(label)))
    out.append('<text x="%d" y="%d" fill="#666">time: scheduler steps 0..%g (controlled); red dots: the checker\'s '
               'evidence; orange: a fault injected</text>' % (left, h - 8, t_end))
    out.append("</svg>")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("svg")
    ap.add_argument("--title", default="ipchaos trace")
    a = ap.parse_args()
    events, names, tracks = load(a.trace)
    with open(a.svg, "w") as f:
        f.write(draw(events, names, tracks, a.title))


if __name__ == "__main__":
    main()
