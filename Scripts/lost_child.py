"""SIGKILLs a busy pool child repeatedly and reports how long the supervisor took to know.

The supervisor stores FAILURE WorkerLostError the moment it learns of the death (pidfd); its
`dateDone` (microseconds) minus the time of `kill()` is the detection latency.
"""

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "pylib"))
from proctable import children_of  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="celeriac-lost-")
    db_path = os.path.join(workdir, "celeriac.db")
    env = dict(os.environ, CELERIAC_BROKER_URL=f"sqlite://{db_path}")
    log_path = os.path.join(workdir, "worker.log")
    log = open(log_path, "w")
    worker = subprocess.Popen(
        [args.binary, "worker", "-c", "1", "--stable-uptime", "0.1",
         "--restart-backoff-min", "0.01"], env=env, stderr=log)
    latencies = []
    try:
        while "all pools ready" not in open(log_path).read():
            time.sleep(0.02)
        db = sqlite3.connect(db_path, timeout=10)
        for _ in range(args.trials):
            task_id = subprocess.run(
                [args.binary, "send", "tasks.sleep", "60"], env=env, check=True,
                capture_output=True, text=True).stdout.strip()
            while True:
                row = db.execute("SELECT state FROM results WHERE task_id = ?",
                                 (task_id,)).fetchone()
                if row and row[0] == "STARTED":
                    break
                time.sleep(0.005)
            child = children_of(worker.pid)[0]
            killed_at = time.time()
            os.kill(child, signal.SIGKILL)
            while True:
                row = db.execute("SELECT state, record FROM results WHERE task_id = ?",
                                 (task_id,)).fetchone()
                if row and row[0] == "FAILURE":
                    record = json.loads(row[1])
                    done = datetime.fromisoformat(record["dateDone"]).timestamp()
                    latencies.append((done - killed_at) * 1000)
                    break
                time.sleep(0.002)
            while len(children_of(worker.pid)) != 1 or child in children_of(worker.pid):
                time.sleep(0.005)
            time.sleep(0.15)  # let the new child pass --stable-uptime so backoff stays short
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    latencies.sort()
    print(f"child SIGKILL -> WorkerLostError stored, {len(latencies)} trials: "
          f"median {statistics.median(latencies):.2f} ms, min {latencies[0]:.2f} ms, "
          f"max {latencies[-1]:.2f} ms")


if __name__ == "__main__":
    main()
