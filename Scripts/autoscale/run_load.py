"""Drives an autoscaling Celeriac worker with a rising, holding and falling load.

Samples every 0.1 s: the queue depth (read from the SQLite broker file), the number of live
children (from /proc), and the pool target the supervisor logs; writes a CSV and a PNG plot
(gnuplot), and prints how long the pool took to reach MAX and to come back to MIN.
"""

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from proctable import children_of  # noqa: E402


def depth(db):
    row = db.execute(
        "SELECT count(*) FROM tasks WHERE state = 'queued' AND queue = 'celery' AND eta <= ?",
        (time.time(),),
    ).fetchone()
    return row[0]


def rate_at(t, rise, hold, fall, peak):
    """Tasks per second the producer sends at time t."""
    if t < rise:
        return peak * t / rise
    if t < rise + hold:
        return peak
    if t < rise + hold + fall:
        return peak * (1 - (t - rise - hold) / fall)
    return 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--output", default="autoscale-output")
    parser.add_argument("--max", type=int, default=8)
    parser.add_argument("--min", type=int, default=1)
    parser.add_argument("--task-seconds", type=float, default=0.2)
    parser.add_argument("--rise", type=float, default=10)
    parser.add_argument("--hold", type=float, default=15)
    parser.add_argument("--fall", type=float, default=10)
    parser.add_argument("--idle", type=float, default=35)
    parser.add_argument("--cooldown", type=float, default=10)
    args = parser.parse_args()

    os.makedirs(args.output, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="celeriac-autoscale-")
    db_path = os.path.join(workdir, "celeriac.db")
    env = dict(os.environ, CELERIAC_BROKER_URL=f"sqlite://{db_path}")
    log_path = os.path.join(args.output, "worker.log")
    peak = args.max / args.task_seconds  # what MAX children can serve
    log = open(log_path, "w")
    worker = subprocess.Popen(
        [args.binary, "worker", "--autoscale", f"{args.max},{args.min}",
         "--autoscale-interval", "0.25", "--scale-down-cooldown", str(args.cooldown),
         "--scale-down-interval", "1", "--result-expires", "600"],
        env=env, stderr=log, stdout=log)
    try:
        deadline = time.time() + 20
        while "all pools ready" not in open(log_path).read():
            if time.time() > deadline or worker.poll() is not None:
                sys.exit("worker did not start; see " + log_path)
            time.sleep(0.05)
        db = sqlite3.connect(db_path, timeout=10)
        start = time.time()
        total = args.rise + args.hold + args.fall + args.idle
        samples = []
        sent = 0.0
        credit = 0.0
        last = start
        while True:
            now = time.time()
            t = now - start
            if t > total:
                break
            credit += rate_at(t, args.rise, args.hold, args.fall, peak) * (now - last)
            last = now
            batch = int(credit)
            if batch > 0:
                credit -= batch
                sent += batch
                subprocess.run(
                    [args.binary, "send", "tasks.sleep", str(args.task_seconds),
                     "--count", str(batch)], env=env, stdout=subprocess.DEVNULL, check=True)
            samples.append((t, depth(db), len(children_of(worker.pid)),
                            rate_at(t, args.rise, args.hold, args.fall, peak)))
            time.sleep(max(0.0, 0.1 - (time.time() - now)))
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        log.close()

    csv_path = os.path.join(args.output, "autoscale.csv")
    with open(csv_path, "w") as out:
        out.write("seconds,queue_depth,children,send_rate\n")
        for row in samples:
            out.write("%.2f,%d,%d,%.1f\n" % row)

    burst_end = args.rise + args.hold + args.fall
    reach_max = next((t for t, _, c, _ in samples if c >= args.max), None)
    drained = next((t for t, d, _, _ in samples if t > burst_end and d == 0), None)
    back_min = next((t for t, _, c, _ in samples
                     if drained is not None and t > drained and c <= args.min), None)
    decisions = len(re.findall(r"autoscale celery:", open(log_path).read()))

    png = os.path.join(args.output, "autoscale.png")
    script = f"""
set terminal pngcairo size 1100,600 font ',11'
set output '{png}'
set datafile separator ','
set title 'Celeriac autoscaling (--autoscale {args.max},{args.min}, cooldown {args.cooldown:g} s): load rises {args.rise:g} s, holds {args.hold:g} s, falls {args.fall:g} s'
set xlabel 'seconds'
set ylabel 'queue depth (tasks)'
set y2label 'children / send rate (tasks/s / 5)'
set ytics nomirror
set y2tics
set y2range [0:{args.max + 2}]
set key top right
set grid
plot '{csv_path}' using 1:2 skip 1 with lines lw 2 title 'queue depth', \\
     '' using 1:3 skip 1 axes x1y2 with steps lw 2 title 'children', \\
     '' using 1:($4/5) skip 1 axes x1y2 with lines dt 2 title 'send rate / 5'
"""
    subprocess.run(["gnuplot"], input=script.encode(), check=True)
    print(f"sent {int(sent)} tasks; {decisions} scaling decisions logged")
    print(f"time to reach MAX={args.max} children: "
          + (f"{reach_max:.1f} s after the load began" if reach_max is not None else "never"))
    if drained is not None and back_min is not None:
        print(f"queue drained at {drained:.1f} s; back to MIN={args.min} at {back_min:.1f} s "
              f"({back_min - drained:.1f} s after the drain; cooldown {args.cooldown:g} s)")
    else:
        print("did not return to MIN within the run")
    print(f"plot: {png}\ndata: {csv_path}\nworker log: {log_path}")


if __name__ == "__main__":
    main()
