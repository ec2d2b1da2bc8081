"""Measures beat: failover time over repeated leader kills, and idle CPU and memory.

failover: N beats on one SQLite file with a 1 s entry; the leader is SIGKILLed T times (a
replacement beat is started each time, as systemd would). For each kill: the time until
another beat holds the lease, and until the next due time is published. At the end every due
second must have been published exactly once (checked in the tasks table).

idle: one beat with 1,000 crontab entries that are not due during the measurement; CPU time
(utime + stime from /proc) over the window, and RSS / PSS (smaps_rollup) at its end.
"""

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import time


def start_beat(binary, workdir, schedule, extra=()):
    log = open(os.path.join(workdir, f"beat-{time.time_ns()}.log"), "w")
    return subprocess.Popen(
        [binary, "beat", "--broker", f"sqlite://{workdir}/celeriac.db", "--schedule", schedule,
         "-l", "warning", *extra],
        cwd=workdir, stdout=log, stderr=log)


def query(db, sql, args=()):
    connection = sqlite3.connect(db, timeout=5)
    try:
        return connection.execute(sql, args).fetchall()
    except sqlite3.OperationalError:
        return []  # the tables do not exist yet
    finally:
        connection.close()


def leader_pid(db):
    rows = query(db, "SELECT holder FROM beat_leader WHERE id = 1 AND expires > ?", (time.time(),))
    return int(rows[0][0].split(".")[-2]) if rows else None


def last_due(db):
    rows = query(db, "SELECT last_due FROM beat_runs WHERE name = 'tick'")
    return rows[0][0] if rows else None


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    return None


def failover(args):
    workdir = tempfile.mkdtemp(prefix="celeriac-beat-failover-")
    db = os.path.join(workdir, "celeriac.db")
    schedule = os.path.join(workdir, "schedule.json")
    with open(schedule, "w") as file:
        json.dump({"entries": [{"name": "tick", "task": "tasks.noop", "every": 1, "queue": "beat"}]}, file)
    extra = ["--leader-lease", str(args.lease)]
    beats = {}
    for _ in range(args.beats):
        process = start_beat(args.binary, workdir, schedule, extra)
        beats[process.pid] = process
    wait_for(lambda: leader_pid(db), 20)
    takeovers, publishes = [], []
    for trial in range(args.trials):
        wait_for(lambda: last_due(db), 10)
        time.sleep(args.settle)  # let the leader run a while before the next kill
        victim = leader_pid(db)
        before = last_due(db)
        killed_at = time.time()
        beats[victim].send_signal(signal.SIGKILL)
        beats.pop(victim).wait()
        new = wait_for(lambda: (leader_pid(db) or victim) != victim, args.lease * 4)
        took_over = time.time() - killed_at
        published = wait_for(lambda: (last_due(db) or 0) > max(before or 0, killed_at), args.lease * 4)
        published_after = time.time() - killed_at
        takeovers.append(took_over if new else float("inf"))
        publishes.append(published_after if published else float("inf"))
        print(f"kill {trial + 1}: leader {victim} killed; new leader after {took_over:.2f} s,"
              f" next due time published after {published_after:.2f} s")
        replacement = start_beat(args.binary, workdir, schedule, extra)
        beats[replacement.pid] = replacement
    time.sleep(2)
    for process in beats.values():
        process.send_signal(signal.SIGTERM)
        process.wait()
    dues = []
    for (payload,) in query(db, "SELECT payload FROM tasks WHERE queue = 'beat'"):
        message = json.loads(payload)
        dues.append(message["headers"]["celeriac_beat_due"])
    distinct = sorted(set(dues))
    print(f"lease {args.lease} s, {args.beats} beats, {args.trials} leader kills:"
          f" takeover median {statistics.median(takeovers):.2f} s, max {max(takeovers):.2f} s;"
          f" first publish after the kill median {statistics.median(publishes):.2f} s,"
          f" max {max(publishes):.2f} s")
    seconds = [time.mktime(time.strptime(d[:19], "%Y-%m-%dT%H:%M:%S")) for d in distinct]
    gaps = [b - a for a, b in zip(seconds, seconds[1:]) if b - a != 1]
    verdict = "OK" if len(dues) == len(distinct) and not gaps else "FAILED"
    print(f"exactly once: {len(dues)} messages, {len(distinct)} distinct due seconds,"
          f" {len(dues) - len(distinct)} duplicates, {len(gaps)} gaps: {verdict}")
    return 0 if verdict == "OK" else 1


def idle(args):
    workdir = tempfile.mkdtemp(prefix="celeriac-beat-idle-")
    schedule = os.path.join(workdir, "schedule.json")
    hour = (time.gmtime().tm_hour + 12) % 24  # never due during the window
    entries = [{"name": f"entry-{i}", "task": "tasks.noop", "cron": f"{i % 60} {hour} * * *",
                "timezone": ["UTC", "Europe/Berlin", "America/New_York"][i % 3]}
               for i in range(args.entries)]
    with open(schedule, "w") as file:
        json.dump({"entries": entries}, file)
    beat = start_beat(args.binary, workdir, schedule)
    time.sleep(args.warmup)
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu():
        with open(f"/proc/{beat.pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    start_cpu, start = cpu(), time.monotonic()
    time.sleep(args.window)
    used, elapsed = cpu() - start_cpu, time.monotonic() - start
    memory = {}
    with open(f"/proc/{beat.pid}/smaps_rollup") as file:
        for line in file:
            key, _, value = line.partition(":")
            if key in ("Rss", "Pss"):
                memory[key] = int(value.split()[0])
    beat.send_signal(signal.SIGTERM)
    beat.wait()
    print(f"idle beat with {args.entries} entries over {elapsed:.0f} s: CPU {used:.2f} s"
          f" ({100 * used / elapsed:.2f} % of one core); RSS {memory['Rss'] / 1024:.1f} MiB,"
          f" PSS {memory['Pss'] / 1024:.1f} MiB")
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("failover")
    one.add_argument("--beats", type=int, default=3)
    one.add_argument("--trials", type=int, default=10)
    one.add_argument("--lease", type=float, default=4.0)
    one.add_argument("--settle", type=float, default=2.0)
    two = sub.add_parser("idle")
    two.add_argument("--entries", type=int, default=1000)
    two.add_argument("--warmup", type=float, default=5.0)
    two.add_argument("--window", type=float, default=30.0)
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    return failover(args) if args.command == "failover" else idle(args)


if __name__ == "__main__":
    raise SystemExit(main())
