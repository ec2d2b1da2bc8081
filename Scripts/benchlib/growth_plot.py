#!/usr/bin/env python3
"""Draws the bench's "cost as work grows" table as an SVG: the drain rate of each case,
per broker, as horizontal bars with the ratio to the broker's first case and the CPU time per
task. Reads a bench-results JSON (the newest by default); writes docs/growth.svg.

    python3 Scripts/benchlib/growth_plot.py [bench-results/X.json] [--output docs/growth.svg]
"""
import argparse
import glob
import json
import os
import statistics
import sys
from xml.sax.saxutils import escape

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BROKERS = [("celeriac-sqlite", "SQLite", "#4c78a8"), ("celeriac-redis", "Redis", "#e45756")]
ROW = 22
LABEL_WIDTH = 210
BAR_WIDTH = 420
NOTE_WIDTH = 230


def medians(reps):
    """Case name → (median rate, median CPU µs per task), in the order the bench ran them."""
    names = list(next((r["cases"] for r in reps if "cases" in r), {}).keys())
    out = []
    for name in names:
        done = [r["cases"][name] for r in reps if "rate" in r.get("cases", {}).get(name, {})]
        if done:
            out.append((name, statistics.median(c["rate"] for c in done),
                        statistics.median(c["cpu_us_per_task"] for c in done)))
    return out


def draw(document):
    grown = document["raw"].get("growth")
    if not grown:
        sys.exit("this bench run has no growth figures (run ./Scripts/bench --only growth)")
    groups = [(label, colour, medians(grown[key])) for key, label, colour in BROKERS
              if key in grown]
    top = max(rate for _, _, cases in groups for _, rate, _ in cases)
    height = 70 + sum(30 + ROW * len(cases) for _, _, cases in groups)
    width = LABEL_WIDTH + BAR_WIDTH + NOTE_WIDTH
    window = next(r["window"] for reps in grown.values() for r in reps if "window" in r)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">Drain rate as work grows '
        f'(tasks/s over a window of {window:,} results)</text>',
        f'<text x="10" y="38" fill="#555">{escape(document.get("timestamp", ""))} · '
        f'{escape(str(document.get("git", ""))[:12])} · ratio to the first case of each broker; '
        f'CPU µs per task of the worker trees</text>',
    ]
    y = 60
    for label, colour, cases in groups:
        parts.append(f'<text x="10" y="{y + 12}" font-weight="bold">{label}</text>')
        y += 20
        first = cases[0][1] if cases else None
        for name, rate, cpu in cases:
            length = BAR_WIDTH * rate / top
            parts.append(f'<text x="20" y="{y + 14}">{escape(name)}</text>')
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" '
                         f'height="{ROW - 6}" fill="{colour}"/>')
            parts.append(f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 14}">'
                         f'{rate:,.0f}/s · {rate / first:.2f}× · {cpu:.0f} µs</text>')
            y += ROW
        y += 10
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", help="a bench-results JSON (default: the newest)")
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "growth.svg"))
    options = parser.parse_args()
    path = options.results
    if not path:
        candidates = sorted(glob.glob(os.path.join(ROOT, "bench-results", "*.json")))
        with_growth = [p for p in candidates if "growth" in json.load(open(p))["raw"]]
        if not with_growth:
            sys.exit("no bench-results JSON with growth figures")
        path = with_growth[-1]
    with open(path) as source:
        svg = draw(json.load(source))
    with open(options.output, "w") as target:
        target.write(svg)
    print(f"{options.output} (from {os.path.relpath(path, ROOT)})")


if __name__ == "__main__":
    main()
