#!/usr/bin/env python3
"""Reference next-fire times from croniter, for Celeriac's cron property test.

Reads JSON lines {"expr": "...", "tz": "Europe/Berlin", "start": <unix seconds>, "count": N}
on stdin and writes one JSON line per case: {"fires": [<unix seconds>, ...]} or {"error": "..."}.

One documented difference from croniter is applied here: when the clocks go back, croniter
fires a wall-clock time in the repeated hour twice even for a fixed hour ("30 2 * * *" runs
twice on the fall-back day); Celeriac fires it once, at the first occurrence (an unrestricted
hour field keeps both, as croniter does). Second occurrences are dropped for such expressions.
"""
import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter


def second_occurrence(moment, zone):
    naive = moment.replace(tzinfo=None)
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    return first != second and moment.utcoffset() == second


def fires(expr, zone_name, start, count):
    zone = ZoneInfo(zone_name)
    wildcard_hour = croniter.expand(expr)[0][1] == ["*"]
    iterator = croniter(expr, datetime.fromtimestamp(start, zone))
    out = []
    guard = 0
    # A repeated hour can hold up to 60 second occurrences to drop.
    while len(out) < count and guard < count + 240:
        guard += 1
        moment = iterator.get_next(datetime)
        if not wildcard_hour and second_occurrence(moment, zone):
            continue
        out.append(moment.timestamp())
    return out


for line in sys.stdin:
    case = json.loads(line)
    try:
        result = {"fires": fires(case["expr"], case["tz"], case["start"], case["count"])}
    except Exception as error:  # reported, compared as a failure by the test
        result = {"error": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(result) + "\n")
